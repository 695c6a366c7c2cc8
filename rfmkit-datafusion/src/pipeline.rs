//! The rest of the pipeline on the merged summaries: fit or apply a frozen
//! model, segment, select audiences.

use chrono::NaiveDate;
use datafusion::arrow::array::RecordBatch;
use rfmkit::CustomerId;
use rfmkit::audience::{Profiles, Rule};
use rfmkit::ingest::IdOrder;
use rfmkit::rfm::{RfmModel, Scores, ScoringConfig};
use rfmkit::segment::{SegmentTable, Segmentation};
use rfmkit::summary::Summaries;

use crate::convert::summaries_from_batches;
use crate::error::Result;

/// Where the scoring model comes from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Scoring {
    /// Fit a new model on the merged summaries (quantile and rank cuts are
    /// exact: they see every customer, see the [crate docs](crate#cut-points-at-scale)).
    Fit(ScoringConfig),
    /// Apply a frozen model (e.g. loaded from its JSON), so scores stay
    /// comparable between runs.
    Frozen(RfmModel),
}

/// Summaries, model, scores and segments of one run; made by [`run`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Outcome {
    /// The merged per-customer summaries.
    pub summaries: Summaries,
    /// The model that scored them (fitted, or the frozen one).
    pub model: RfmModel,
    /// R, F, M scores; customers with returns only are in `unscored()`.
    pub scores: Scores,
    /// One named segment per scored customer.
    pub segmentation: Segmentation,
}

impl Outcome {
    /// The customers an audience query selects (rfmkit's query language,
    /// e.g. `segment in (at_risk, dormant) and monetary >= 100.00`), in id
    /// order.
    ///
    /// # Errors
    ///
    /// [`rfmkit::Error::QueryParse`] and the other query errors, naming the
    /// position in the query.
    ///
    /// # Example
    ///
    /// See [`run`].
    pub fn audience(&self, query: &str) -> Result<Vec<CustomerId>> {
        let profiles = Profiles::builder(&self.segmentation, &self.summaries).build()?;
        let rule = Rule::parse(query, &profiles.schema())?;
        Ok(profiles.compile(&rule)?.selected())
    }
}

/// The aggregated Arrow result → summaries ([`summaries_from_batches`]) →
/// model ([`Scoring`]) → scores → segments (`table`): what rfmkit's
/// in-process pipeline gives on the same orders.
///
/// # Errors
///
/// Those of [`summaries_from_batches`]; [`rfmkit::Error::InvalidConfig`]
/// if the table's bins differ from the model's. A frozen model of an
/// earlier date is allowed: recency is counted to `as_of` and compared
/// with the frozen cuts, as [`RfmModel::score`] does.
///
/// # Example
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use chrono::NaiveDate;
/// use datafusion::arrow::array::{ArrayRef, Date32Array, Int64Array, RecordBatch, StringArray};
/// use datafusion::prelude::SessionContext;
/// use rfmkit::ingest::IdOrder;
/// use rfmkit::rfm::{Method, ScoringConfig};
/// use rfmkit::segment::SegmentTable;
/// use rfmkit_datafusion::{Scoring, date32, register, run};
///
/// let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).ok_or("bad date");
/// let days = [d(1, 5)?, d(2, 14)?, d(3, 30)?, d(1, 10)?, d(3, 2)?, d(3, 28)?];
/// let orders = RecordBatch::try_from_iter([
///     ("customer_id", Arc::new(StringArray::from(vec!["alice", "alice", "alice", "bob", "carol", "carol"])) as ArrayRef),
///     ("order_date", Arc::new(Date32Array::from(days.map(date32).to_vec())) as ArrayRef),
///     ("amount", Arc::new(Int64Array::from(vec![4_500, 3_000, 6_000, 1_200, 2_500, 900])) as ArrayRef),
///     ("status", Arc::new(StringArray::from(vec!["completed"; 6])) as ArrayRef),
/// ])?;
/// let as_of = d(3, 31)?;
/// let ctx = SessionContext::new();
/// register(&ctx, as_of);
/// ctx.register_batch("orders", orders)?;
/// let sql = "SELECT customer_id, rfm_summary(order_date, amount, status) FROM orders GROUP BY customer_id";
/// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// let batches = runtime.block_on(async { ctx.sql(sql).await?.collect().await })?;
///
/// let config = ScoringConfig::builder().method(Method::Rank).build()?;
/// let out = run(&batches, as_of, IdOrder::Text, &Scoring::Fit(config), &SegmentTable::standard())?;
/// let alice = out.segmentation.get("alice").ok_or("alice missing")?;
/// assert_eq!((alice.scored.score.to_string().as_str(), alice.segment.as_str()), ("5-5-5", "champions"));
/// assert_eq!(out.audience("segment in (champions, loyal) and monetary >= 100.00")?, [rfmkit::CustomerId::from("alice")]);
/// # Ok(())
/// # }
/// ```
pub fn run(
    batches: &[RecordBatch],
    as_of: NaiveDate,
    id_order: IdOrder,
    scoring: &Scoring,
    table: &SegmentTable,
) -> Result<Outcome> {
    let summaries = summaries_from_batches(batches, as_of, id_order)?;
    let model = match scoring {
        Scoring::Fit(config) => RfmModel::fit(config, &summaries),
        Scoring::Frozen(model) => model.clone(),
    };
    let scores = model.score_all(&summaries);
    let segmentation = table.segment_all(&scores)?;
    Ok(Outcome {
        summaries,
        model,
        scores,
        segmentation,
    })
}
