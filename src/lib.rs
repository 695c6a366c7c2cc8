//! rfmkit (crate docs written below once the API is in place).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![doc(test(attr(deny(warnings))))]

pub mod customer;
pub mod error;
pub mod id;
pub mod money;
pub mod order;
pub mod rfm;
pub mod segment;
pub mod sim;
pub mod summary;

pub use error::{Error, Result};
pub use id::{CustomerId, OrderId};
pub use money::Money;
pub use order::Order;
