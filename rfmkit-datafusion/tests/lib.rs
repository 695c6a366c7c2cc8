//! Integration tests of rfmkit-datafusion (one binary).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

mod errors;
mod merge;
mod parquet;
mod recipe;
