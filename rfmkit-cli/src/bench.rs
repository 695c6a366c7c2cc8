//! `rfmkit bench`: the issue-6 pipeline benchmark (formerly
//! `examples/pipeline_bench.rs`).
//!
//! The pipeline, as of `--as-of` (default 2026-01-01): (a) per-customer
//! summaries by the crate's status policy; (b) R, F, M scores 1..5 by
//! `--method` (rank by default); (c) segments, first match wins:
//! champions R≥4 ∧ F≥4 ∧ M≥4; loyal F≥4; new R≥4 ∧ F=1; at_risk R≤2 ∧ F≥3;
//! dormant R=1; otherwise other; (d) the audience `segment in (at_risk,
//! dormant) and monetary >= 100.00`, counted. Loading (parse or simulate,
//! then build the log) is timed separately from the pipeline, which runs
//! `--repeat` times on `--threads` threads; one JSON line reports the
//! medians, peak memory and checksums.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{Result, anyhow};
use rfmkit::Money;
use rfmkit::audience::{Profiles, Rule};
use rfmkit::ingest::{IdOrder, IngestConfig, LogBuilder, OrderLog, OrderRecord};
use rfmkit::rfm::{Method, RfmModel, ScoringConfig, Thresholds};
use rfmkit::segment::{SegmentRule, SegmentTable};
use rfmkit::sim::SimConfig;
use rfmkit::summary::Summaries;
use serde_json::json;

use crate::cli::{BenchArgs, BenchIdOrder, MethodArg};
use crate::load::{FileError, ParseOptions, library_message, load_orders};

const QUERY: &str = "segment in (at_risk, dormant) and monetary >= 100.00";

/// The benchmark's segment table.
fn bench_table() -> Result<SegmentTable, rfmkit::Error> {
    SegmentTable::builder(5)
        .rule(SegmentRule::new("champions")?.r(4..=5).f(4..=5).m(4..=5))
        .rule(SegmentRule::new("loyal")?.f(4..=5))
        .rule(SegmentRule::new("new")?.r(4..=5).f(1..=1))
        .rule(SegmentRule::new("at_risk")?.r(1..=2).f(3..=5))
        .rule(SegmentRule::new("dormant")?.r(1..=1))
        .fallback("other")
        .build()
}

/// The pipeline's outputs that the checksums need.
struct Outcome {
    segments: BTreeMap<String, usize>,
    audience: usize,
    /// Seconds per stage: aggregate, score, segment, profiles, audience.
    stages: [f64; 5],
    /// Sums of recency days, frequency and monetary over scored customers.
    sums: [i128; 3],
    /// The summaries' core bytes per customer.
    summary_bytes: f64,
}

fn pipeline(
    log: &OrderLog,
    config: &ScoringConfig,
    table: &SegmentTable,
) -> Result<Outcome, rfmkit::Error> {
    let mut stages = [0.0; 5];
    let mut t = Instant::now();
    let mut lap = |i: usize| {
        if let Some(s) = stages.get_mut(i) {
            *s = t.elapsed().as_secs_f64();
        }
        t = Instant::now();
    };
    let summaries = Summaries::from_log(log)?;
    lap(0);
    let scores = RfmModel::fit(config, &summaries).score_all(&summaries);
    lap(1);
    let segmentation = table.segment_all(&scores)?;
    lap(2);
    // The checksums' sums (untimed), then the scores go: the segmentation
    // holds its own copy (peak memory).
    let mut sums = [0_i128; 3];
    for s in &scores {
        let values = [
            i128::from(s.recency_days),
            i128::from(s.frequency),
            i128::from(s.monetary.minor_units()),
        ];
        for (sum, v) in sums.iter_mut().zip(values) {
            *sum += v;
        }
    }
    drop(scores);
    lap(5);
    let profiles = Profiles::builder(&segmentation, &summaries).build()?;
    lap(3);
    let rule = Rule::parse(QUERY, &profiles.schema())?;
    let audience = profiles.compile(&rule)?.tally().selected;
    lap(4);
    let segments = segmentation
        .report()?
        .rows()
        .iter()
        .map(|r| (r.segment.to_string(), r.customers))
        .collect();
    Ok(Outcome {
        summary_bytes: summaries.core_bytes_per_customer(),
        segments,
        audience,
        stages,
        sums,
    })
}

/// An exact integer as a JSON number (as a string if it leaves i64).
fn big(x: i128) -> serde_json::Value {
    i64::try_from(x).map_or_else(|_| json!(x.to_string()), |v| json!(v))
}

fn median(times: &[f64]) -> f64 {
    let mut t = times.to_vec();
    t.sort_by(f64::total_cmp);
    let n = t.len();
    let mid = |i: usize| t.get(i).copied().unwrap_or(0.0);
    match n {
        0 => 0.0,
        n if n % 2 == 1 => mid(n / 2),
        n => (mid(n / 2 - 1) + mid(n / 2)) / 2.0,
    }
}

/// Peak resident memory (VmHWM) in bytes, if the OS reports it.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Whether every id pushed so far is a decimal integer.
fn ids_numeric(builder: &mut LogBuilder<'_>) -> bool {
    // `integer_ids` is cheap; ids such as `007` need the full list.
    if builder.integer_ids() {
        return true;
    }
    let mut ids = builder.customer_ids().peekable();
    ids.peek().is_some() && ids.all(|id| id.parse::<i64>().is_ok())
}

fn id_order(choice: BenchIdOrder, builder: &mut LogBuilder<'_>) -> IdOrder {
    let numeric = match choice {
        BenchIdOrder::Numeric => true,
        BenchIdOrder::Text => false,
        BenchIdOrder::Auto => ids_numeric(builder),
    };
    if numeric {
        IdOrder::Numeric
    } else {
        IdOrder::Text
    }
}

/// Runs the benchmark and prints its JSON line.
pub fn run(args: &BenchArgs) -> Result<()> {
    let fail = |e: rfmkit::Error| anyhow!("{e}");
    let ingest = IngestConfig::new(args.as_of);
    // Loading and the pipeline run on the same `--threads` threads.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(usize::from(args.threads))
        .build()
        .map_err(|e| anyhow!("cannot start {} threads: {e}", args.threads))?;
    let started = Instant::now();
    let (log, parse_seconds) = pool.install(|| -> Result<(OrderLog, f64)> {
        Ok(match &args.input {
            Some(path) => {
                let options = ParseOptions {
                    scale: args.scale,
                    zone: args.timezone,
                    lenient: false,
                };
                let mut parsed = 0.0;
                let file = load_orders(path, &ingest, options, |mut b| {
                    parsed = started.elapsed().as_secs_f64();
                    let order = id_order(args.id_order, &mut b);
                    b.id_order(order)
                })?;
                (file.log, parsed)
            }
            None => {
                let start = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default();
                let end = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default();
                let shop = SimConfig::builder()
                    .seed(2026)
                    .customers(args.customers)
                    .orders(args.orders)
                    .start(start)
                    .as_of(end)
                    .build()
                    .map_err(|e| crate::UsageError(e.to_string()))?
                    .generate();
                let mut builder = ingest.builder();
                builder.reserve(shop.orders().len());
                for o in shop.orders() {
                    let record = OrderRecord::new(o.customer().as_str(), o.date(), o.amount())
                        .status(o.status());
                    builder.push_record(record).map_err(fail)?;
                }
                let parsed = started.elapsed().as_secs_f64();
                let order = id_order(args.id_order, &mut builder);
                let log = builder.id_order(order).build().map_err(|e| {
                    FileError(library_message(
                        std::path::Path::new("simulated"),
                        &Default::default(),
                        &e,
                    ))
                })?;
                (log, parsed)
            }
        })
    })?;
    let load_seconds = started.elapsed().as_secs_f64();
    let load_peak = peak_memory();

    let method = match args.method {
        MethodArg::Quantile => Method::Quantile,
        MethodArg::Rank => Method::Rank,
        MethodArg::Thresholds => Method::Thresholds(
            Thresholds::new(
                vec![30, 90, 180, 365],
                vec![2, 3, 5, 10],
                vec![
                    Money::new(5_000),
                    Money::new(20_000),
                    Money::new(50_000),
                    Money::new(100_000),
                ],
            )
            .map_err(fail)?,
        ),
    };
    let config = ScoringConfig::builder()
        .method(method)
        .bins(5)
        .build()
        .map_err(fail)?;
    let table = bench_table().map_err(fail)?;
    let repeat = usize::from(args.repeat);
    let run_all = || -> Result<(Vec<f64>, Vec<f64>, Outcome)> {
        let mut times = Vec::with_capacity(repeat);
        let mut stages: Vec<Vec<f64>> = vec![Vec::new(); 5];
        let mut last = None;
        for _ in 0..repeat {
            let out = pipeline(&log, &config, &table).map_err(fail)?;
            times.push(out.stages.iter().sum());
            for (all, s) in stages.iter_mut().zip(out.stages) {
                all.push(s);
            }
            last = Some(out);
        }
        let medians = stages.iter().map(|s| median(s)).collect();
        last.map(|o| (times, medians, o))
            .ok_or_else(|| anyhow!("no run"))
    };
    let (times, stage_medians, outcome) = pool.install(run_all)?;

    let med = median(&times);
    let rows = log.rows();
    #[allow(clippy::cast_precision_loss)]
    let per_second = if med > 0.0 { rows as f64 / med } else { 0.0 };
    let stage = |i: usize| stage_medians.get(i).copied();
    let report = json!({
        "orders": rows,
        "customers": log.index().len(),
        "threads": args.threads,
        "method": format!("{:?}", args.method).to_lowercase(),
        "id_order": match log.index().id_order() { IdOrder::Numeric => "numeric", _ => "text" },
        "as_of": args.as_of.to_string(),
        "load_seconds": load_seconds,
        "load_parse_or_simulate_seconds": parse_seconds,
        "median_seconds": med,
        "pipeline_seconds": times,
        "stage_median_seconds": {
            "aggregate": stage(0),
            "score": stage(1),
            "segment": stage(2),
            "profiles": stage(3),
            "audience": stage(4),
        },
        "orders_per_second": per_second,
        "summary_bytes_per_customer": outcome.summary_bytes,
        "checksums": {
            "segments": outcome.segments,
            "audience": outcome.audience,
            "sum_recency_days": big(outcome.sums[0]),
            "sum_frequency": big(outcome.sums[1]),
            "sum_monetary": big(outcome.sums[2]),
        },
        "peak_memory_bytes": peak_memory(),
        "load_peak_memory_bytes": load_peak,
    });
    let mut stdout = std::io::stdout().lock();
    std::io::Write::write_all(&mut stdout, format!("{report}\n").as_bytes())
        .map_err(|e| anyhow!("cannot write stdout: {e}"))?;
    Ok(())
}
