//! Integration tests: one binary (`autotests = false`), one module per stage.
//!
//! Every expected value is worked out by hand in a comment next to it; none is
//! produced by calling the code under test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod adversarial;
#[cfg(feature = "arrow")]
mod arrow;
mod audience;
mod bgbb;
mod clv;
mod clv_covariates;
mod clv_uncertainty;
mod common;
mod errors;
mod ltv;
mod pipeline;
mod program;
mod props;
mod rfm;
mod segment;
mod serde;
mod sim;
mod sizes;
mod summary;
mod timeline;
