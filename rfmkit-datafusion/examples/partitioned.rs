//! The partitioned run: `SELECT customer_id, rfm_summary(order_date,
//! amount, status) FROM orders GROUP BY customer_id` over Parquet parts
//! with `target_partitions = 8`, then rank scores, segments and one
//! audience in rfmkit — checked against rfmkit's in-process pipeline on
//! the same rows, with one JSON line of timings and checksums.
//!
//! ```text
//! cargo run -p rfmkit-datafusion --release --example partitioned
//! cargo run -p rfmkit-datafusion --release --example partitioned -- --input DIR --threads 2 --repeat 3
//! ```
//!
//! Without `--input` it simulates a shop (20 000 customers, 200 000
//! orders with returns, cancellations and costs), writes it as 8 Parquet
//! parts (rows dealt round-robin, so every customer spans files) into a
//! temporary directory, and runs on those. With `--input DIR`, DIR holds
//! Parquet files with `customer_id` (integer or text), `order_date`
//! (DATE), `amount` (integer minor units) and `status` (text), e.g. from
//! `.ci/orders_to_parquet.py`.
//!
//! The pipeline is the one `rfmkit bench` times:
//! rank scores in 5 bins, segments champions / loyal / new / at_risk /
//! dormant / other, audience `segment in (at_risk, dormant) and monetary
//! >= 100.00`. Exits with status 1 if the two paths disagree.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use datafusion::prelude::ParquetReadOptions;
use rfmkit::ingest::IdOrder;
use rfmkit::sim::SimConfig;
use rfmkit_datafusion::{Scoring, run};
use support::BoxError;

struct Args {
    input: Option<String>,
    as_of: NaiveDate,
    threads: usize,
    partitions: usize,
    repeat: usize,
}

fn args() -> Result<Args, BoxError> {
    let mut a = Args {
        input: None,
        as_of: NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("date")?,
        threads: 2,
        partitions: 8,
        repeat: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--input" => a.input = Some(value()?),
            "--as-of" => a.as_of = value()?.parse()?,
            "--threads" => a.threads = value()?.parse()?,
            "--partitions" => a.partitions = value()?.parse()?,
            "--repeat" => a.repeat = value()?.parse()?,
            _ => {
                return Err(format!(
                    "unknown flag {flag}; usage: partitioned [--input DIR] [--as-of YYYY-MM-DD] \
                     [--threads T] [--partitions P] [--repeat K]"
                )
                .into());
            }
        }
    }
    if a.threads == 0 || a.partitions == 0 || a.repeat == 0 {
        return Err("--threads, --partitions and --repeat must be >= 1".into());
    }
    Ok(a)
}

fn main() -> ExitCode {
    match main_inner() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn main_inner() -> Result<bool, BoxError> {
    let args = args()?;
    let mut cleanup = None;
    let dir = match &args.input {
        Some(dir) => dir.clone(),
        None => {
            let start = NaiveDate::from_ymd_opt(2024, 1, 1).ok_or("date")?;
            let shop = SimConfig::builder()
                .seed(14)
                .customers(20_000)
                .orders(200_000)
                .start(start)
                .as_of(args.as_of)
                .with_costs(true)
                .build()?
                .generate();
            let dir =
                std::env::temp_dir().join(format!("rfmkit-df-example-{}", std::process::id()));
            let batch = support::orders_batch(shop.orders())?;
            support::write_parts(&dir, &batch, 8, |i| i)?;
            cleanup = Some(dir.clone());
            dir.to_string_lossy().into_owned()
        }
    };
    let runtime = support::runtime(args.threads)?;
    let ctx = support::session(args.as_of, args.partitions);
    runtime.block_on(ctx.register_parquet("orders", &dir, ParquetReadOptions::default()))?;
    let table = support::bench_table()?;

    // DataFusion: Parquet -> partial summaries per partition -> merged ->
    // rfmkit scores, segments, audience.
    let mut df_times = Vec::new();
    let mut agg_times = Vec::new();
    let mut outcome = None;
    let mut id_order = IdOrder::Text;
    for _ in 0..args.repeat {
        let t = Instant::now();
        let batches = runtime.block_on(async { ctx.sql(support::SQL).await?.collect().await })?;
        agg_times.push(t.elapsed().as_secs_f64());
        id_order = if support::integer_ids(&batches) {
            IdOrder::Numeric
        } else {
            IdOrder::Text
        };
        let out = run(
            &batches,
            args.as_of,
            id_order,
            &Scoring::Fit(support::rank_config()?),
            &table,
        )?;
        let sums = support::outcome_checksums(&out)?;
        df_times.push(t.elapsed().as_secs_f64());
        outcome = Some((out, sums));
    }
    let (out, df_sums) = outcome.ok_or("no run")?;

    // In process: the same rows read once, ingested, summarized, scored.
    let t = Instant::now();
    let rows = runtime.block_on(async {
        ctx.sql("SELECT customer_id, order_date, amount, status FROM orders")
            .await?
            .collect()
            .await
    })?;
    let log = support::log_from_batches(&rows, args.as_of, id_order)?;
    drop(rows);
    let load = t.elapsed().as_secs_f64();
    let mut ip_times = Vec::new();
    let mut ip_sums = None;
    for _ in 0..args.repeat {
        let t = Instant::now();
        let (summaries, _, scores, segmentation) = support::in_process(&log, &table)?;
        let sums = support::checksums(&summaries, &scores, &segmentation)?;
        ip_times.push(t.elapsed().as_secs_f64());
        if ip_sums.is_none() {
            let same = summaries == out.summaries;
            ip_sums = Some((sums, same));
        }
    }
    let (ip_sums, same_summaries) = ip_sums.ok_or("no run")?;
    let equal = same_summaries && ip_sums == df_sums;
    let orders = log.rows() + log.cancelled();
    let line = serde_json::json!({
        "input": args.input.as_deref().unwrap_or("simulated: 20000 customers, 200000 orders, 8 parts"),
        "threads": args.threads,
        "target_partitions": args.partitions,
        "orders": orders,
        "customers": out.summaries.len(),
        "datafusion": {
            "median_seconds": support::median(&df_times),
            "aggregate_median_seconds": support::median(&agg_times),
            "times": df_times,
            "checksums": df_sums.to_json(),
        },
        "in_process": {
            "load_seconds": load,
            "median_seconds": support::median(&ip_times),
            "times": ip_times,
            "checksums": ip_sums.to_json(),
        },
        "summaries_equal": same_summaries,
        "equal": equal,
    });
    println!("{line}");
    if let Some(dir) = cleanup {
        std::fs::remove_dir_all(dir)?;
    }
    if !equal {
        eprintln!("the DataFusion run and the in-process pipeline disagree");
    }
    Ok(equal)
}
