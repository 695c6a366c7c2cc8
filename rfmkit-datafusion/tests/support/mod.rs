//! Helpers shared by the tests and `examples/partitioned.rs`: orders as
//! Arrow batches and Parquet parts, the in-process pipeline on the same
//! rows, and the benchmark's checksums.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Date32Type, Int64Type};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{SessionConfig, SessionContext};
use rfmkit::audience::{Profiles, Rule};
use rfmkit::ingest::{IdOrder, IngestConfig, OrderLog, OrderRecord};
use rfmkit::order::OrderStatus;
use rfmkit::rfm::{Method, RfmModel, Scores, ScoringConfig};
use rfmkit::segment::{SegmentRule, SegmentTable, Segmentation};
use rfmkit::summary::Summaries;
use rfmkit::{Money, Order};
use rfmkit_datafusion::{Outcome, date_of, date32};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The issue-6 benchmark's audience.
pub const QUERY: &str = "segment in (at_risk, dormant) and monetary >= 100.00";

/// The median of run times (the mean of the middle two for an even
/// count; 0 for none).
pub fn median(times: &[f64]) -> f64 {
    let mut t = times.to_vec();
    t.sort_by(f64::total_cmp);
    match t.len() {
        0 => 0.0,
        n if n % 2 == 1 => t[n / 2],
        n => (t[n / 2 - 1] + t[n / 2]) / 2.0,
    }
}

/// The grouped query of the crate docs.
pub const SQL: &str = "SELECT customer_id, rfm_summary(order_date, amount, status) \
                       FROM orders GROUP BY customer_id";

/// The same with costs (margin known).
pub const SQL_COST: &str = "SELECT customer_id, rfm_summary(order_date, amount, status, cost) \
                            FROM orders GROUP BY customer_id";

/// The issue-6 benchmark's segment table (as in `rfmkit bench`).
pub fn bench_table() -> Result<SegmentTable, rfmkit::Error> {
    SegmentTable::builder(5)
        .rule(SegmentRule::new("champions")?.r(4..=5).f(4..=5).m(4..=5))
        .rule(SegmentRule::new("loyal")?.f(4..=5))
        .rule(SegmentRule::new("new")?.r(4..=5).f(1..=1))
        .rule(SegmentRule::new("at_risk")?.r(1..=2).f(3..=5))
        .rule(SegmentRule::new("dormant")?.r(1..=1))
        .fallback("other")
        .build()
}

/// Rank scoring in 5 bins, as the benchmark.
pub fn rank_config() -> Result<ScoringConfig, rfmkit::Error> {
    ScoringConfig::builder()
        .method(Method::Rank)
        .bins(5)
        .build()
}

fn status_text(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Returned => "returned",
        OrderStatus::Cancelled => "cancelled",
        _ => "completed",
    }
}

/// Orders as one batch: customer_id (Utf8), order_date (Date32), amount
/// and cost (Int64, minor units; cost nullable), status (Utf8).
pub fn orders_batch(orders: &[Order]) -> Result<RecordBatch, BoxError> {
    let customer: Vec<&str> = orders.iter().map(|o| o.customer().as_str()).collect();
    let date: Vec<i32> = orders.iter().map(|o| date32(o.date())).collect();
    let amount: Vec<i64> = orders.iter().map(|o| o.amount().minor_units()).collect();
    let status: Vec<&str> = orders.iter().map(|o| status_text(o.status())).collect();
    let cost: Vec<Option<i64>> = orders
        .iter()
        .map(|o| o.cost().map(Money::minor_units))
        .collect();
    Ok(RecordBatch::try_from_iter([
        (
            "customer_id",
            Arc::new(StringArray::from(customer)) as ArrayRef,
        ),
        ("order_date", Arc::new(Date32Array::from(date)) as ArrayRef),
        ("amount", Arc::new(Int64Array::from(amount)) as ArrayRef),
        ("status", Arc::new(StringArray::from(status)) as ArrayRef),
        ("cost", Arc::new(Int64Array::from(cost)) as ArrayRef),
    ])?)
}

/// Writes `batch` as `parts` Parquet files in `dir`, row `i` going to part
/// `assign(i)` (so one customer's orders spread over files).
pub fn write_parts(
    dir: &Path,
    batch: &RecordBatch,
    parts: usize,
    assign: impl Fn(usize) -> usize,
) -> Result<(), BoxError> {
    std::fs::create_dir_all(dir)?;
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); parts];
    for i in 0..batch.num_rows() {
        rows[assign(i) % parts].push(u32::try_from(i)?);
    }
    for (p, take) in rows.iter().enumerate() {
        let indices = datafusion::arrow::array::UInt32Array::from(take.clone());
        let part = datafusion::arrow::compute::take_record_batch(batch, &indices)?;
        let file = std::fs::File::create(dir.join(format!("part-{p:03}.parquet")))?;
        let mut writer = ArrowWriter::try_new(file, batch.schema(), None)?;
        writer.write(&part)?;
        writer.close()?;
    }
    Ok(())
}

/// A session with `target_partitions` and `rfm_summary` as of `as_of`.
pub fn session(as_of: NaiveDate, target_partitions: usize) -> SessionContext {
    let config = SessionConfig::new().with_target_partitions(target_partitions);
    let ctx = SessionContext::new_with_config(config);
    rfmkit_datafusion::register(&ctx, as_of);
    ctx
}

/// A tokio runtime with `threads` workers.
pub fn runtime(threads: usize) -> Result<tokio::runtime::Runtime, BoxError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .build()?)
}

/// Whether the `customer_id` column of a table is an integer.
pub fn integer_ids(batches: &[RecordBatch]) -> bool {
    batches
        .first()
        .and_then(|b| b.schema().field_with_name("customer_id").ok().cloned())
        .is_some_and(|f| f.data_type().is_integer())
}

/// The in-process ingest of raw order rows (customer_id, order_date,
/// amount, status[, cost]) read back from Arrow.
pub fn log_from_batches(
    batches: &[RecordBatch],
    as_of: NaiveDate,
    id_order: IdOrder,
) -> Result<OrderLog, BoxError> {
    let config = IngestConfig::new(as_of);
    let mut builder = config.builder().id_order(id_order);
    for batch in batches {
        let col = |name: &str| -> Result<&ArrayRef, BoxError> {
            batch
                .column_by_name(name)
                .ok_or_else(|| format!("no column {name}").into())
        };
        let ids = col("customer_id")?;
        let ids: Vec<String> = match ids.data_type() {
            DataType::Int64 => ids
                .as_primitive::<Int64Type>()
                .iter()
                .map(|v| v.map(|v| v.to_string()).unwrap_or_default())
                .collect(),
            DataType::Utf8View => ids
                .as_string_view()
                .iter()
                .map(|v| v.unwrap_or_default().to_owned())
                .collect(),
            _ => ids
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap_or_default().to_owned())
                .collect(),
        };
        let dates = col("order_date")?.as_primitive::<Date32Type>();
        let amounts = col("amount")?.as_primitive::<Int64Type>();
        let status = col("status")?;
        let status: Vec<String> = match status.data_type() {
            DataType::Utf8View => status
                .as_string_view()
                .iter()
                .map(|v| v.unwrap_or_default().to_owned())
                .collect(),
            _ => status
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap_or_default().to_owned())
                .collect(),
        };
        let cost = batch
            .column_by_name("cost")
            .map(|c| c.as_primitive::<Int64Type>().clone());
        for (row, id) in ids.iter().enumerate() {
            let date = date_of(dates.value(row)).ok_or("date out of range")?;
            let status = match status[row].as_str() {
                "returned" => OrderStatus::Returned,
                "cancelled" => OrderStatus::Cancelled,
                _ => OrderStatus::Completed,
            };
            let mut record =
                OrderRecord::new(id, date, Money::new(amounts.value(row))).status(status);
            if let Some(c) = cost.as_ref().filter(|c| c.is_valid(row)) {
                record = record.cost(Money::new(c.value(row)));
            }
            builder.push_record(record)?;
        }
    }
    Ok(builder.build()?)
}

/// The benchmark's checksums: customers per segment, audience size, sums of
/// recency days, frequency and monetary over the scored customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksums {
    pub segments: BTreeMap<String, usize>,
    pub audience: usize,
    pub sums: [i128; 3],
}

impl Checksums {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "segments": self.segments,
            "audience": self.audience,
            "sum_recency_days": self.sums[0].to_string().parse::<i64>().unwrap_or(-1),
            "sum_frequency": self.sums[1].to_string().parse::<i64>().unwrap_or(-1),
            "sum_monetary": self.sums[2].to_string().parse::<i64>().unwrap_or(-1),
        })
    }
}

pub fn checksums(
    summaries: &Summaries,
    scores: &Scores,
    segmentation: &Segmentation,
) -> Result<Checksums, BoxError> {
    let segments = segmentation
        .report()?
        .rows()
        .iter()
        .map(|r| (r.segment.to_string(), r.customers))
        .collect();
    let profiles = Profiles::builder(segmentation, summaries).build()?;
    let rule = Rule::parse(QUERY, &profiles.schema())?;
    let audience = profiles.compile(&rule)?.selected().len();
    let mut sums = [0_i128; 3];
    for s in scores {
        sums[0] += i128::from(s.recency_days);
        sums[1] += i128::from(s.frequency);
        sums[2] += i128::from(s.monetary.minor_units());
    }
    Ok(Checksums {
        segments,
        audience,
        sums,
    })
}

/// The in-process pipeline on a log: summaries, rank model, scores,
/// segments.
pub fn in_process(
    log: &OrderLog,
    table: &SegmentTable,
) -> Result<(Summaries, RfmModel, Scores, Segmentation), BoxError> {
    let summaries = Summaries::from_log(log)?;
    let model = RfmModel::fit(&rank_config()?, &summaries);
    let scores = model.score_all(&summaries);
    let segmentation = table.segment_all(&scores)?;
    Ok((summaries, model, scores, segmentation))
}

/// The checksums of an [`Outcome`].
pub fn outcome_checksums(out: &Outcome) -> Result<Checksums, BoxError> {
    checksums(&out.summaries, &out.scores, &out.segmentation)
}
