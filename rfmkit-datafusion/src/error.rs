//! [`Error`], the crate's one error type.

/// What went wrong in the adapter: in DataFusion, in rfmkit, or in the
/// shape of an aggregated Arrow result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// DataFusion failed: planning, reading, or `rfm_summary` rejecting an
    /// order (its message starts with `rfm_summary:` and names the order).
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// rfmkit rejected a summary or a configuration; the inner error names
    /// the customer or the field.
    #[error(transparent)]
    Rfmkit(#[from] rfmkit::Error),
    /// The aggregated Arrow result does not have the expected shape or holds
    /// a value rfmkit cannot take. Fix: select `customer_id` and
    /// `rfm_summary(..)` as the first two columns.
    #[error("batch {batch}, row {row}, column {column}: {problem}")]
    Column {
        /// 0-based position of the record batch.
        batch: usize,
        /// 0-based row in that batch (0 for a problem with the whole column).
        row: usize,
        /// The column's name.
        column: String,
        /// What is wrong and what is expected.
        problem: String,
    },
}

/// `Result` with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
