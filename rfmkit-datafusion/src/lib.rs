//! rfmkit's per-customer summaries as an [Apache DataFusion] aggregate: the
//! heavy step of an RFM run (orders → one summary per customer) runs as a
//! partitioned, exactly mergeable aggregation inside DataFusion, over
//! Parquet files or any other table it reads, and the rest of the pipeline
//! (fit or apply a frozen model, segments, audiences) runs in rfmkit on the
//! merged result.
//!
//! [Apache DataFusion]: https://datafusion.apache.org
//!
//! ```text
//! orders (Parquet parts) ──► rfm_summary(order_date, amount, status)   partial states per partition
//!                            GROUP BY customer_id                       merged: exact summaries
//!                                    │
//!                                    ▼
//!      summaries_from_batches ──► RfmModel::fit / frozen model ──► segments ──► audiences   (rfmkit)
//! ```
//!
//! # Example
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use chrono::NaiveDate;
//! use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
//! use rfmkit::ingest::IdOrder;
//! use rfmkit::rfm::{Method, ScoringConfig};
//! use rfmkit::segment::SegmentTable;
//! use rfmkit_datafusion::{Scoring, register, run};
//!
//! let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("bad date")?;
//! let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(8));
//! register(&ctx, as_of);
//! let runtime = tokio::runtime::Runtime::new()?;
//! let batches = runtime.block_on(async {
//!     ctx.register_parquet("orders", "orders/", ParquetReadOptions::default()).await?;
//!     ctx.sql("SELECT customer_id, rfm_summary(order_date, amount, status) \
//!              FROM orders GROUP BY customer_id").await?.collect().await
//! })?;
//! let config = ScoringConfig::builder().method(Method::Rank).build()?;
//! let out = run(&batches, as_of, IdOrder::Numeric, &Scoring::Fit(config), &SegmentTable::standard())?;
//! println!("{}", out.segmentation.report()?.display_table(2));
//! # Ok(())
//! # }
//! ```
//!
//! `examples/partitioned.rs` runs this over Parquet parts and checks the
//! result against rfmkit's in-process pipeline.
//!
//! # Exactness
//!
//! The aggregate's state *is* rfmkit's summary: the set of distinct purchase
//! days, the order and return counts, revenue, refunds and margin. Merging
//! two states unites the day sets and adds the rest (checked), exactly as
//! [`CustomerSummary::merge`](rfmkit::summary::CustomerSummary::merge). So
//! however DataFusion splits the orders (files, row groups,
//! `target_partitions`, repartitioning) and in whatever order it merges
//! partial states, the summaries equal those of
//! [`Summaries::from_orders`](rfmkit::summary::Summaries::from_orders) on all
//! orders at once, and so do the scores and segments fitted on them. The
//! crate's tests check this with random partitionings (proptest) and with
//! Parquet files written in several parts.
//!
//! The status policy and validation are rfmkit's strict ones (see
//! [`RfmSummary`]); customers whose orders were all cancelled are left out
//! and customers with returns only get a summary without purchases (listed as
//! unscored), as in rfmkit.
//!
//! # Cut points at scale
//!
//! Quantile and rank cut points are computed in rfmkit on the merged
//! summaries, so they are **exact**: [`RfmModel::fit`](rfmkit::rfm::RfmModel::fit)
//! sees one value per customer and dimension, sorts each of the three
//! columns and reads the cuts (ties by customer id for ranks). No sketch,
//! no approximation, no dependence on the partitioning.
//!
//! Memory is per *customer*, not per order: the merged summaries take 28
//! bytes per customer plus 4 bytes per distinct purchase day
//! ([`Summaries::core_bytes_per_customer`](rfmkit::summary::Summaries::core_bytes_per_customer)
//! reports it), and fitting sorts three columns of `i64` values plus
//! positions (about 3 × 12 bytes per customer, freed after the fit). One
//! million customers fit in well under 100 MB; a hundred million in a few
//! GB on one machine. Orders never need to be in one place: only the
//! per-customer result of the aggregation is collected. There is no
//! approximate mode.
//!
//! The aggregation itself holds one summary per customer per partition
//! while it runs (DataFusion spills nothing for this function), so plan
//! memory for the customers of each partition, not for the orders.
//!
//! # On a cluster: Ballista
//!
//! [Ballista](https://datafusion.apache.org/ballista/) runs DataFusion plans
//! on a scheduler and executors. A user-defined aggregate must be compiled
//! into every process that plans or executes it. The crate
//! `rfmkit-ballista` in this repository (outside the workspace, with its own
//! `Cargo.lock`; Ballista 55 on DataFusion 55) does it and is the template
//! for your own processes:
//!
//! 1. **Codecs carry the function.** Plans travel as protobuf, where an
//!    aggregate is written by name plus bytes that an extension codec may
//!    add. `RfmLogicalCodec` and `RfmPhysicalCodec` wrap Ballista's codecs
//!    and write `rfm_summary`'s as-of date into those bytes; decoding
//!    rebuilds `RfmSummary::new(as_of)`. Every other node and function is
//!    left to Ballista's codecs.
//! 2. **Executor**: `ExecutorProcessConfig` with `override_logical_codec`
//!    and `override_physical_codec` set to those codecs
//!    (`rfmkit_ballista::executor_config`), started with
//!    `start_executor_process`. It needs no as-of date and no registration:
//!    one executor binary serves queries for any as-of date.
//! 3. **Scheduler** (it plans the stages): a `SchedulerConfig` with the same
//!    two overrides (`rfmkit_ballista::scheduler_config`), started with
//!    `start_server`.
//! 4. **Client**: a session whose config has the codecs
//!    (`SessionConfigExt::with_ballista_logical_extension_codec` and
//!    `with_ballista_physical_extension_codec`), connected with
//!    `SessionContext::remote_with_state(url, state)`, [`register`] for the
//!    as-of date, the `GROUP BY` query, `collect`, and [`run`]
//!    (`rfmkit_ballista::connect` does the first three). A client without
//!    the codecs gets an error saying that the plan carries no as-of date
//!    for `rfm_summary`, never a default date.
//!
//! Tried on the project's build machine (2 cores shared with other builds,
//! load average 3 to 4): `.ci/ballista_local.sh PARTS_DIR [AS_OF]
//! [EXPECTED_JSON]` builds `rfmkit-ballista` (release profile), starts one
//! scheduler and two executor processes on localhost (one task slot each),
//! runs the query over the Parquet parts (8 target partitions: a partial
//! `rfm_summary` stage of 8 tasks, a hash exchange on `customer_id`, a
//! final stage of 8 tasks), checks that both executors ran tasks (their
//! logs), stops every process, and compares the checksums (segment counts,
//! audience size, sums of R, F, M) with the same query in the client's
//! process, with rfmkit's in-process pipeline on the same rows, and with
//! expected numbers. CI does not run it. Measured:
//!
//! - cold build, `CARGO_TARGET_DIR=/work/ballista-target cargo build
//!   --release --locked --manifest-path rfmkit-ballista/Cargo.toml`: 37 min
//!   wall (2 578 s of CPU, peak 1.2 GB of memory); the target directory
//!   then holds 1.6 GB (the binary alone 197 MB);
//! - the 10M-order file as 8 Parquet parts (`.ci/orders_to_parquet.py`,
//!   999 102 customers): the cluster's checksums equal the in-process
//!   pipeline's and the numbers expected for that file exactly, in every
//!   run. The grouped query (median of 3, against the same query in one
//!   process on 2 threads, the `partitioned` example's path, measured in
//!   the same run): 2.98 s against 3.10 s and 3.22 s against 3.13 s with
//!   the machine otherwise quiet (load average about 1), 5.17 s against
//!   3.28 s while other builds ran (load 3 to 4). With rfmkit's scoring,
//!   segments and audience: 4.91 s against 4.99 s, 5.21 s against 5.00 s,
//!   7.56 s against 5.07 s. Two executors with one task slot each use the
//!   same 2 cores as one process, so on an idle machine the cluster's
//!   costs (protobuf plans, gRPC, shuffle files between the stages) are
//!   within the noise; on a busy one they are not;
//! - the 20 000-order `small.csv`: 0.07 s on the cluster against 0.008 s in
//!   one process (the cluster's fixed cost per query), same checksums as
//!   polars;
//! - one running cluster, clients with as-of dates 2026-01-01 and
//!   2026-06-30 on the simulated shop: the same segments, Σ recency 180 days
//!   × 20 000 customers apart; with 2025-06-30 the executors fail with
//!   rfmkit's message about an order after the as-of date 2025-06-30, so
//!   the date does travel with the plan.
//!
//! One machine gains nothing from the cluster; it pays off when the orders
//! do not fit one machine or live in an object store that several
//! executors' machines read. The exactness argument above does not depend
//! on where partitions run.
//!
//! # Any SQL engine: the plain-SQL recipe
//!
//! Without DataFusion, the summary columns are built-in aggregates with the
//! status policy in `CASE` expressions; [`SQL_RECIPE`] is the query
//! (standard SQL: runs as is on DuckDB, PostgreSQL, Spark SQL and BigQuery,
//! with `:as_of` replaced by the as-of date literal). Run [`SQL_CHECK`]
//! first: it returns the orders rfmkit would reject (unknown status, wrong
//! sign, date after the as-of date), and must return nothing.
//!
//! The table has `first_purchase`, `last_purchase`, `orders`,
//! `purchase_days`, `returns`, `revenue`, `refunds` and `monetary` per
//! customer — everything scoring needs, but not the list of purchase days
//! (so not the median purchase interval). Score each row against a
//! **frozen** model with
//! [`RfmModel::score_row`](rfmkit::rfm::RfmModel::score_row)`(customer,
//! as_of − last_purchase, orders (or purchase_days for
//! FrequencyBasis::PurchaseDays), monetary)`; rows with `orders = 0` have
//! returns only and are not scored. To *fit* a model exactly on such a
//! table, rank or sort the three columns in the engine, or load the rows
//! with [`CustomerSummary::builder`](rfmkit::summary::CustomerSummary::builder)
//! when you also aggregate the distinct purchase dates (e.g.
//! `ARRAY_AGG(DISTINCT order_date ORDER BY order_date)`).
//!
//! The crate's tests run the recipe in DuckDB (through Python) and check
//! every column against rfmkit's summaries and every score against
//! [`RfmModel::score`](rfmkit::rfm::RfmModel::score).
//!
//! # Crate features
//!
//! None. DataFusion is used with default features off plus `sql` and
//! `parquet`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![doc(test(attr(deny(warnings))))]

mod convert;
mod error;
mod pipeline;
mod udaf;

pub use convert::summaries_from_batches;
pub use error::{Error, Result};
pub use pipeline::{Outcome, Scoring, run};
pub use udaf::{
    NAME, RfmSummary, SummaryAccumulator, SummaryGroupsAccumulator, date_of, date32, register,
    summary_fields,
};

/// The plain-SQL summary recipe for any engine: one row per customer with
/// the summary columns, by rfmkit's status policy. Replace `:as_of` with
/// the as-of date literal (e.g. `DATE '2026-01-01'`) and `orders` with your
/// table (columns `customer_id`, `order_date` a DATE, `amount` integer minor
/// units, `status` text); run [`SQL_CHECK`] first. See the
/// [crate docs](crate#any-sql-engine-the-plain-sql-recipe).
///
/// # Example
///
/// ```
/// let sql = rfmkit_datafusion::SQL_RECIPE.replace(":as_of", "DATE '2026-01-01'");
/// assert!(sql.contains("COUNT(DISTINCT CASE WHEN status = 'completed'"));
/// ```
pub const SQL_RECIPE: &str = "\
SELECT
  customer_id,
  MIN(CASE WHEN status = 'completed' THEN order_date END) AS first_purchase,
  MAX(CASE WHEN status = 'completed' THEN order_date END) AS last_purchase,
  COUNT(CASE WHEN status = 'completed' THEN 1 END) AS orders,
  COUNT(DISTINCT CASE WHEN status = 'completed' THEN order_date END) AS purchase_days,
  COUNT(CASE WHEN status = 'returned' THEN 1 END) AS returns,
  COALESCE(SUM(CASE WHEN status = 'completed' THEN amount END), 0) AS revenue,
  COALESCE(SUM(CASE WHEN status = 'returned' THEN amount END), 0) AS refunds,
  COALESCE(SUM(CASE WHEN status IN ('completed', 'returned') THEN amount END), 0) AS monetary
FROM orders
WHERE order_date <= :as_of
GROUP BY customer_id
HAVING COUNT(CASE WHEN status IN ('completed', 'returned') THEN 1 END) > 0
";

/// The orders that rfmkit's strict validation rejects, for the
/// [`SQL_RECIPE`]: unknown or NULL status, NULL date or amount, an amount
/// with the wrong sign for its status, a date after the as-of date (`:as_of`
/// as in the recipe). Must return no rows before the recipe's result is
/// scored.
///
/// # Example
///
/// ```
/// assert!(rfmkit_datafusion::SQL_CHECK.contains("status = 'returned' AND amount > 0"));
/// ```
pub const SQL_CHECK: &str = "\
SELECT *
FROM orders
WHERE status IS NULL OR status NOT IN ('completed', 'returned', 'cancelled')
   OR order_date IS NULL OR amount IS NULL
   OR (status = 'completed' AND amount < 0)
   OR (status = 'returned' AND amount > 0)
   OR order_date > :as_of
";
