//! The issue-6 benchmark: re-segment a whole order log (RFM by rank,
//! segments, one audience) from data already in memory, and print one JSON
//! line with timings, peak memory and checksums.
//!
//! ```text
//! cargo run --release --example pipeline_bench -- --customers 1000000 --orders 10000000
//! cargo run --release --example pipeline_bench -- --input orders.csv --threads 2
//! ```
//!
//! The pipeline, as of 2026-01-01 (`--as-of`):
//!
//! (a) per customer, by the crate's status policy (a negative amount is a
//!     return): recency_days = as-of − last purchase date, frequency =
//!     number of purchases, monetary = sum of signed amounts (cents),
//!     returns included; customers with returns only are not scored;
//! (b) R, F, M scores 1..5 by equal-count rank (ties by customer id);
//! (c) segments (first match wins): champions R≥4 ∧ F≥4 ∧ M≥4; loyal F≥4;
//!     new R≥4 ∧ F=1; at_risk R≤2 ∧ F≥3; dormant R=1; otherwise other;
//! (d) the audience `segment in (at_risk, dormant) and monetary >= 100.00`,
//!     counted.
//!
//! Everything runs through the crate's documented API: loading pushes rows
//! into the ingest stage's [`LogBuilder`] and builds the [`OrderLog`]
//! (validate, intern ids, group rows by customer), timed separately; the
//! pipeline is `Summaries::from_log` → `RfmModel::fit` → `score_all` →
//! `SegmentTable::segment_all` → `Profiles::builder(..).build()` →
//! `CompiledRule`, timed per stage. `--method quantile|rank|thresholds`
//! picks the scoring method (default rank). `--baseline` also times
//! `Summaries::from_orders` on materialised `Order`s (the same pipeline
//! from `&[Order]`), whose checksums must be equal.

#[path = "common/mod.rs"]
#[allow(dead_code)]
mod common;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use rfmkit::audience::{Profiles, Rule};
use rfmkit::ingest::{IdOrder, IngestConfig, LogBuilder, OrderLog};
use rfmkit::order::OrderStatus;
use rfmkit::rfm::{Method, RfmModel, ScoringConfig, Thresholds};
use rfmkit::segment::{SegmentRule, SegmentTable};
use rfmkit::sim::SimConfig;
use rfmkit::summary::Summaries;
use rfmkit::{Money, Order};
use serde_json::json;

use common::Failure;

const USAGE: &str = "\
usage: pipeline_bench [--input ORDERS.csv | --customers C --orders N] [--threads T] [--repeat K]
                      [--as-of YYYY-MM-DD] [--id-order auto|text|numeric]
                      [--method rank|quantile|thresholds] [--write-csv PATH] [--baseline]

Runs the issue-6 pipeline (RFM by rank, segments, one audience) K times on
orders in memory and prints one JSON line: timings, peak memory, checksums.

options:
  --input PATH      order CSV: order_id,customer_id,order_date,amount[,...]
                    (amount a decimal like 12.34, may be negative)
  --customers C     simulated customers (default 1000000; without --input)
  --orders N        simulated orders (default 10000000; without --input)
  --threads T       worker threads (default 1; T > 1 needs the default `parallel` feature)
  --repeat K        pipeline runs to time; the median is reported (default 5)
  --as-of DATE      the as-of date (default 2026-01-01)
  --id-order O      rank tie-break order of ids: auto (numeric if every id
                    is an integer, else text; default), text or numeric
  --method M        rank (default), quantile, or thresholds (fixed cuts:
                    recency 30/90/180/365 days, frequency 2/3/5/10,
                    monetary 50/200/500/1000.00)
  --write-csv PATH  also write the loaded orders as CSV (for other tools)
  --baseline        also time the object pipeline (needs memory for Orders)
  -h, --help        print this help";

const QUERY: &str = "segment in (at_risk, dormant) and monetary >= 100.00";

/// The benchmark's segment table, in the crate's own type.
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

/// Rows as loaded: kept only for `--baseline` and `--write-csv`.
struct Rows {
    customer: Vec<String>,
    day: Vec<NaiveDate>,
    amount: Vec<i64>,
}

/// Parses `12.34`, `-5`, `7.5` into cents (at most 2 decimals).
fn parse_cents(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let mut value: i64 = 0;
    let mut decimals: Option<u32> = None;
    let mut any = false;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                if decimals == Some(2) {
                    return None;
                }
                value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
                decimals = decimals.map(|d| d + 1);
                any = true;
            }
            b'.' if decimals.is_none() => decimals = Some(0),
            _ => return None,
        }
    }
    if !any {
        return None;
    }
    let scale = 10_i64.pow(2 - decimals.unwrap_or(0));
    let cents = value.checked_mul(scale)?;
    Some(if negative { -cents } else { cents })
}

/// Parses `YYYY-MM-DD`, also as the start of a timestamp
/// (`YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DDTHH:MM:SS`: the date is taken as is).
fn parse_day(text: &[u8]) -> Option<NaiveDate> {
    let text = match text.get(10) {
        Some(b' ' | b'T') => text.get(..10)?,
        _ => text,
    };
    let digits = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0_u32, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    match text {
        [y @ .., b'-', m1, m2, b'-', d1, d2] if y.len() == 4 => NaiveDate::from_ymd_opt(
            i32::try_from(digits(y)?).ok()?,
            digits(&[*m1, *m2])?,
            digits(&[*d1, *d2])?,
        ),
        _ => None,
    }
}

/// A field without surrounding spaces and double quotes (no escapes).
fn unquote(field: &[u8]) -> &[u8] {
    let field = field.trim_ascii();
    match field {
        [b'"', inner @ .., b'"'] => inner,
        _ => field,
    }
}

/// Reads the order CSV into a batch (a fast, simple reader: no quoting).
fn load_csv(
    path: &str,
    keep: bool,
    config: &IngestConfig,
) -> Result<(LogBuilder<'static>, Option<Rows>), Failure> {
    use std::io::BufRead as _;
    let io = |e: std::io::Error| Failure::Run(format!("{path}: {e}"));
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    // Streamed line by line: memory is the log, not the file.
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut header = Vec::new();
    reader.read_until(b'\n', &mut header).map_err(io)?;
    let header = String::from_utf8_lossy(&header);
    let columns: Vec<String> = header
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let find = |name: &str| {
        columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| Failure::Run(format!("{path}: missing column \"{name}\"")))
    };
    let (ci, di, ai) = (find("customer_id")?, find("order_date")?, find("amount")?);
    let mut builder = config.builder();
    builder.reserve(usize::try_from(size / 40).unwrap_or(0));
    let mut rows = keep.then(|| Rows {
        customer: Vec::new(),
        day: Vec::new(),
        amount: Vec::new(),
    });
    // Rows are usually in date order: parse each distinct date text once.
    let mut last_date: (Vec<u8>, Option<NaiveDate>) = (Vec::new(), None);
    let mut buffer = Vec::new();
    for n in 0.. {
        buffer.clear();
        if reader.read_until(b'\n', &mut buffer).map_err(io)? == 0 {
            break;
        }
        let line = buffer.strip_suffix(b"\n").unwrap_or(&buffer);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let line_no = n + 2;
        let bad = |what: &str| Failure::Run(format!("{path}: line {line_no}: {what}"));
        let (mut customer, mut date, mut amount) = (None, None, None);
        for (i, field) in line.split(|&b| b == b',').enumerate() {
            if i == ci {
                customer = Some(field);
            } else if i == di {
                date = Some(field);
            } else if i == ai {
                amount = Some(field);
            }
        }
        let (Some(customer), Some(date), Some(amount)) = (customer, date, amount) else {
            return Err(bad("too few fields"));
        };
        let (customer, date, amount) = (unquote(customer), unquote(date), unquote(amount));
        let customer = std::str::from_utf8(customer)
            .map_err(|_| bad("customer_id is not UTF-8"))?
            .trim();
        if customer.is_empty() {
            return Err(bad("empty customer_id"));
        }
        let day = if last_date.0 == date {
            last_date.1
        } else {
            let day = parse_day(date);
            last_date = (date.to_vec(), day);
            day
        }
        .ok_or_else(|| bad("order_date is not YYYY-MM-DD"))?;
        let cents = parse_cents(amount).ok_or_else(|| bad("amount is not a decimal like 12.34"))?;
        let pushed = if cents < 0 {
            builder.push_return(customer, day, Money::new(cents))
        } else {
            builder.push(customer, day, Money::new(cents))
        };
        pushed.map_err(|e| bad(&e.to_string()))?;
        if let Some(rows) = &mut rows {
            rows.customer.push(customer.to_owned());
            rows.day.push(day);
            rows.amount.push(cents);
        }
    }
    Ok((builder, rows))
}

/// Generates a simulated shop into a batch.
fn load_sim(
    customers: usize,
    orders: usize,
    keep: bool,
    config: &IngestConfig,
) -> Result<(LogBuilder<'static>, Option<Rows>), Failure> {
    let as_of = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default();
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default();
    let shop = SimConfig::builder()
        .seed(2026)
        .customers(customers)
        .orders(orders)
        .start(start)
        .as_of(as_of)
        .build()
        .map_err(|e| Failure::Usage(e.to_string()))?
        .generate();
    let mut builder = config.builder();
    builder.reserve(shop.orders().len());
    let mut rows = keep.then(|| Rows {
        customer: Vec::new(),
        day: Vec::new(),
        amount: Vec::new(),
    });
    for o in shop.orders() {
        if o.status() == OrderStatus::Cancelled {
            continue;
        }
        let (c, d, a) = (o.customer().as_str(), o.date(), o.amount());
        let pushed = if o.status() == OrderStatus::Returned {
            builder.push_return(c, d, a)
        } else {
            builder.push(c, d, a)
        };
        pushed.map_err(|e| Failure::Run(e.to_string()))?;
        if let Some(rows) = &mut rows {
            rows.customer.push(o.customer().to_string());
            rows.day.push(o.date());
            rows.amount.push(o.amount().minor_units());
        }
    }
    Ok((builder, rows))
}

/// The pipeline's outputs that the checksums need.
struct Outcome {
    segments: BTreeMap<String, usize>,
    audience: usize,
    /// Seconds per stage: aggregate, score, segment, profiles, audience.
    stages: [f64; 5],
    /// Sums of recency days, frequency and monetary over scored customers.
    sums: [i128; 3],
}

/// (a)–(d) through the documented API, timed per stage.
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
    let profiles = Profiles::builder(&segmentation, &summaries).build()?;
    lap(3);
    let rule = Rule::parse(QUERY, &profiles.schema())?;
    let audience = profiles.compile(&rule)?.tally().selected;
    lap(4);
    let counts = segmentation
        .report()?
        .rows()
        .iter()
        .map(|r| (r.segment.to_string(), r.customers))
        .collect();
    let mut sums = [0_i128; 3];
    for s in &scores {
        sums[0] += i128::from(s.recency_days);
        sums[1] += i128::from(s.frequency);
        sums[2] += i128::from(s.monetary.minor_units());
    }
    Ok(Outcome {
        segments: counts,
        audience,
        stages,
        sums,
    })
}

/// (a)–(d) from materialised `Order`s (`IngestConfig::ingest`), untimed
/// per stage: its checksums must equal the pushed log's.
fn object_pipeline(
    orders: &[Order],
    ingest: &IngestConfig,
    config: &ScoringConfig,
    table: &SegmentTable,
) -> Result<(Outcome, [i128; 3]), rfmkit::Error> {
    let log = ingest.ingest(orders)?;
    let out = pipeline(&log, config, table)?;
    let sums = out.sums;
    Ok((out, sums))
}

/// An exact integer as a JSON number (as a string if it leaves i64).
fn big(x: i128) -> serde_json::Value {
    i64::try_from(x).map_or_else(|_| json!(x.to_string()), |v| json!(v))
}

fn median(times: &[f64]) -> f64 {
    let mut t = times.to_vec();
    t.sort_by(f64::total_cmp);
    match t.len() {
        0 => 0.0,
        n if n % 2 == 1 => t[n / 2],
        n => (t[n / 2 - 1] + t[n / 2]) / 2.0,
    }
}

/// Peak resident memory (VmHWM) in bytes, if the OS reports it.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn write_csv(path: &str, rows: &Rows) -> Result<(), Failure> {
    use std::io::Write as _;
    let fail = |e: std::io::Error| Failure::Run(format!("{path}: {e}"));
    let file = std::fs::File::create(path).map_err(fail)?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "order_id,customer_id,order_date,amount,channel").map_err(fail)?;
    for (i, ((c, d), a)) in rows
        .customer
        .iter()
        .zip(&rows.day)
        .zip(&rows.amount)
        .enumerate()
    {
        let sign = if *a < 0 { "-" } else { "" };
        let abs = a.unsigned_abs();
        writeln!(
            out,
            "{},{c},{d},{sign}{}.{:02},web",
            i + 1,
            abs / 100,
            abs % 100
        )
        .map_err(fail)?;
    }
    out.flush().map_err(fail)
}

fn run() -> Result<(), Failure> {
    let flags = common::parse_flags(
        std::env::args_os().skip(1),
        &[
            "input",
            "customers",
            "orders",
            "threads",
            "repeat",
            "as-of",
            "id-order",
            "method",
            "write-csv",
        ],
        &["baseline"],
    )?;
    let threads = flags.positive("threads", 1)?;
    let repeat = flags.positive("repeat", 5)?;
    let as_of = match flags.value("as-of") {
        None => NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        Some(t) => common::parse_date(t)
            .ok_or_else(|| Failure::Usage(format!("--as-of {t:?} is not YYYY-MM-DD")))?,
    };
    let method = flags.value("method").unwrap_or("rank");
    if !matches!(method, "rank" | "quantile" | "thresholds") {
        return Err(Failure::Usage(format!(
            "--method {method:?}: rank, quantile or thresholds"
        )));
    }
    let id_order = flags.value("id-order").unwrap_or("auto");
    if !matches!(id_order, "auto" | "text" | "numeric") {
        return Err(Failure::Usage(format!(
            "--id-order {id_order:?}: auto, text or numeric"
        )));
    }
    if threads > 1 && !cfg!(feature = "parallel") {
        return Err(Failure::Usage(
            "--threads > 1 needs the `parallel` feature (on by default; this build has it off)"
                .into(),
        ));
    }
    let baseline = flags.switch("baseline");
    let keep = baseline || flags.value("write-csv").is_some();
    let fail = |e: rfmkit::Error| Failure::Run(e.to_string());

    // Load: parse (or simulate) into the ingest stage, then build the log
    // (intern ids, number customers in id order, group rows by customer).
    let ingest = IngestConfig::new(as_of);
    let started = Instant::now();
    let (mut builder, rows) = match flags.value("input") {
        Some(path) => {
            if flags.value("customers").is_some() || flags.value("orders").is_some() {
                return Err(Failure::Usage(
                    "--input and --customers/--orders exclude each other".into(),
                ));
            }
            load_csv(path, keep, &ingest)?
        }
        None => load_sim(
            flags.positive("customers", 1_000_000)?,
            flags.positive("orders", 10_000_000)?,
            keep,
            &ingest,
        )?,
    };
    let sim_seconds = started.elapsed().as_secs_f64();
    let numeric = match id_order {
        "numeric" => true,
        "text" => false,
        _ => builder_ids_numeric(&mut builder),
    };
    let builder = builder.id_order(if numeric {
        IdOrder::Numeric
    } else {
        IdOrder::Text
    });
    let log = builder.build().map_err(fail)?;
    let load_seconds = started.elapsed().as_secs_f64();
    if let (Some(path), Some(rows)) = (flags.value("write-csv"), &rows) {
        write_csv(path, rows)?;
    }

    let method = match method {
        "quantile" => Method::Quantile,
        "thresholds" => Method::Thresholds(
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
        _ => Method::Rank,
    };
    let config = ScoringConfig::builder()
        .method(method)
        .bins(5)
        .build()
        .map_err(fail)?;
    let table = bench_table().map_err(fail)?;

    let run_all = || -> Result<(Vec<f64>, Vec<f64>, Outcome), Failure> {
        let mut times = Vec::with_capacity(repeat);
        let mut stages: Vec<Vec<f64>> = vec![Vec::new(); 5];
        let mut last = None;
        for _ in 0..repeat {
            let out = pipeline(&log, &config, &table).map_err(fail)?;
            // The pipeline's time is that of its five stages (the checksum
            // pass after them is not timed).
            times.push(out.stages.iter().sum());
            for (all, s) in stages.iter_mut().zip(out.stages) {
                all.push(s);
            }
            last = Some(out);
        }
        let stage_medians: Vec<f64> = stages.iter().map(|s| median(s)).collect();
        last.map(|o| (times, stage_medians, o))
            .ok_or_else(|| Failure::Run("no run".into()))
    };
    #[cfg(feature = "parallel")]
    let (times, stage_medians, outcome) = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Failure::Run(e.to_string()))?
        .install(run_all)?;
    #[cfg(not(feature = "parallel"))]
    let (times, stage_medians, outcome) = run_all()?;

    // Checksums and memory (not timed).
    let summaries = Summaries::from_log(&log).map_err(fail)?;
    let sums = outcome.sums;
    let bytes_per_customer = summaries.core_bytes_per_customer();
    let med = median(&times);
    let mut report = json!({
        "orders": log.rows(),
        "customers": log.index().len(),
        "threads": threads,
        "parallel_feature": cfg!(feature = "parallel"),
        "method": flags.value("method").unwrap_or("rank"),
        "id_order": if numeric { "numeric" } else { "text" },
        "as_of": as_of.to_string(),
        "load_seconds": load_seconds,
        "load_parse_or_simulate_seconds": sim_seconds,
        "median_seconds": med,
        "pipeline_seconds": times,
        "stage_median_seconds": {
            "aggregate": stage_medians.first(),
            "score": stage_medians.get(1),
            "segment": stage_medians.get(2),
            "profiles": stage_medians.get(3),
            "audience": stage_medians.get(4),
        },
        "orders_per_second": if med > 0.0 { log.rows() as f64 / med } else { 0.0 },
        "summary_bytes_per_customer": bytes_per_customer,
        "checksums": {
            "segments": outcome.segments,
            "audience": outcome.audience,
            "sum_recency_days": big(sums[0]),
            "sum_frequency": big(sums[1]),
            "sum_monetary": big(sums[2]),
        },
    });

    if let (true, Some(rows)) = (baseline, &rows) {
        let ingest_config = ingest.clone().id_order(log.index().id_order());
        let orders: Vec<Order> = rows
            .customer
            .iter()
            .zip(&rows.day)
            .zip(&rows.amount)
            .enumerate()
            .map(|(i, ((c, d), &a))| {
                let o = Order::new(format!("{i}"), c.as_str(), *d, Money::new(a));
                if a < 0 {
                    o.with_status(OrderStatus::Returned)
                } else {
                    o
                }
            })
            .collect();
        let mut base_times = Vec::with_capacity(repeat);
        let mut base = None;
        for _ in 0..repeat {
            let t = Instant::now();
            let out = object_pipeline(&orders, &ingest_config, &config, &table).map_err(fail)?;
            base_times.push(t.elapsed().as_secs_f64());
            base = Some(out);
        }
        if let Some((out, sums)) = base {
            let bmed = median(&base_times);
            report["baseline"] = json!({
                "median_seconds": bmed,
                "pipeline_seconds": base_times,
                "speedup": if med > 0.0 { bmed / med } else { 0.0 },
                "checksums": {
                    "segments": out.segments,
                    "audience": out.audience,
                    "sum_recency_days": big(sums[0]),
                    "sum_frequency": big(sums[1]),
                    "sum_monetary": big(sums[2]),
                },
            });
        }
    }
    report["peak_memory_bytes"] = json!(peak_memory());
    println!("{report}");
    Ok(())
}

/// Whether every id pushed so far is a decimal integer.
fn builder_ids_numeric(builder: &mut LogBuilder<'_>) -> bool {
    // `integer_ids` is cheap; ids such as `007` need the full list.
    if builder.integer_ids() {
        return true;
    }
    let mut ids = builder.customer_ids().peekable();
    ids.peek().is_some() && ids.all(|id| id.parse::<i64>().is_ok())
}

fn main() -> ExitCode {
    common::exit(run(), USAGE)
}
