//! LTV and CRM KPIs of an order CSV, printed as one JSON object.
//!
//! ```text
//! cargo run --release --example ltv_csv -- --input ORDERS.csv --as-of YYYY-MM-DD \
//!     [--f2-days N] [--churn-days N] [--scale 2] [--lenient]
//! ```
//!
//! Reads the same CSV as `rfm_csv` (required `customer_id`, `order_date`,
//! `amount`; optional `order_id`, `status`, `channel`, `store`, `cost`; the
//! full format is in `examples/common/mod.rs`) and computes, as of
//! `--as-of`, an [`LtvReport`]: the population KPIs, the KPIs per
//! acquisition channel and per acquisition store, the monthly cohort table
//! and each channel's pooled LTV curve. Every definition is in the
//! `rfmkit::ltv` module docs.
//!
//! # Output
//!
//! One pretty-printed JSON object on stdout: `scale` (the currency decimals
//! given with `--scale`), then the report's fields `as_of`, `config`,
//! `kpis`, `by_channel`, `by_store`, `cohorts` and `channel_curves`. Money is
//! in integer minor units (cents with `--scale 2`: `12345` is 123.45), dates
//! are `YYYY-MM-DD`, cohort months `YYYY-MM`, ratios are numbers in
//! `0..=1` or `null` when undefined (no eligible customers, say).
//!
//! ```text
//! {
//!   "scale": 2,
//!   "as_of": "2025-12-31",
//!   "config": { "f2_days": 90, "churn_days": 365, "acquired": null },
//!   "kpis": { "customers": 4, "orders": 8, "average_order_value": 5375, "repeat_rate": 0.5, ... },
//!   "by_channel": [ { "key": "app", "value": { ... } }, ..., { "key": null, "value": { ... } } ],
//!   ...
//! }
//! ```
//!
//! # Errors
//!
//! As `rfm_csv`: every error names the file and, when it comes from one row,
//! its line; exit code 1 for bad input, 2 for a bad command line. With
//! `--lenient`, malformed rows and invalid orders are skipped and listed on
//! stderr with their line.

#[path = "common/mod.rs"]
mod common;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use rfmkit::ltv::{KpiConfig, LtvReport};
use rfmkit::summary::{SummaryConfig, Validation};
use serde::Serialize;

use common::{Failure, locate_error, report_skipped};

const USAGE: &str = "\
usage: ltv_csv --input ORDERS.csv --as-of YYYY-MM-DD [options]

Prints the LTV and CRM KPIs of an order CSV (columns customer_id, order_date,
amount; optional order_id, status, channel, store, cost) as one JSON object:
population KPIs, per-channel and per-store breakdowns, monthly cohorts.

options:
  --input PATH          the order CSV (required)
  --as-of YYYY-MM-DD    the date to measure as of; later orders are errors (required)
  --f2-days N           days a first-time buyer has to buy again to count as an F2
                        conversion (default 90)
  --churn-days N        length of the churn period in days (default 365)
  --scale N             decimals of the currency, 0..=18 (default 2; 0 for yen);
                        money in the JSON is in minor units
  --lenient             skip malformed rows and invalid orders, listing them on
                        stderr, instead of failing
  -h, --help            print this help";

/// The command line, parsed and validated.
#[derive(Debug)]
struct Options {
    input: PathBuf,
    as_of: NaiveDate,
    config: KpiConfig,
    scale: u32,
    lenient: bool,
}

/// What is printed: the report, with the scale its money is in.
#[derive(Serialize)]
struct Output<'a> {
    scale: u32,
    #[serde(flatten)]
    report: &'a LtvReport,
}

fn parse_options() -> Result<Options, Failure> {
    let flags = common::parse_flags(
        std::env::args_os().skip(1),
        &["input", "as-of", "f2-days", "churn-days", "scale"],
        &["lenient"],
    )?;
    let input = PathBuf::from(flags.required("input")?);
    let as_of_text = flags.required("as-of")?;
    let as_of = common::parse_date(as_of_text).ok_or_else(|| {
        Failure::Usage(format!("--as-of {as_of_text:?} is not a date (YYYY-MM-DD)"))
    })?;
    let days = |name: &str, default: u32| -> Result<u32, Failure> {
        match flags.value(name) {
            None => Ok(default),
            Some(text) => text.parse::<u32>().ok().filter(|&d| d >= 1).ok_or_else(|| {
                Failure::Usage(format!("--{name} {text:?} is not a number of days >= 1"))
            }),
        }
    };
    let config = KpiConfig::builder()
        .f2_days(days("f2-days", rfmkit::ltv::DEFAULT_F2_DAYS)?)
        .churn_days(days("churn-days", rfmkit::ltv::DEFAULT_CHURN_DAYS)?)
        .build()
        .map_err(|err| Failure::Usage(err.to_string()))?;
    let scale = flags.scale()?;
    Ok(Options {
        input,
        as_of,
        config,
        scale,
        lenient: flags.switch("lenient"),
    })
}

fn run(options: &Options) -> Result<(), Failure> {
    let path = options.input.as_path();
    let loaded = common::read_orders(path, options.scale, options.lenient)?;
    let validation = if options.lenient {
        Validation::Lenient
    } else {
        Validation::Strict
    };
    let summary = SummaryConfig::new(options.as_of).validation(validation);
    let (report, skipped_orders) = LtvReport::build(&loaded.orders, &summary, &options.config)
        .map_err(|err| Failure::Run(locate_error(path, &loaded.lines, &err)))?;

    report_skipped(path, &loaded, &skipped_orders);

    let output = Output {
        scale: options.scale,
        report: &report,
    };
    let mut stdout = io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &output)
        .map_err(|err| Failure::Run(format!("cannot write stdout: {err}")))?;
    writeln!(stdout).map_err(|err| Failure::Run(format!("cannot write stdout: {err}")))?;
    Ok(())
}

fn main() -> ExitCode {
    let result = parse_options().and_then(|options| run(&options));
    common::exit(result, USAGE)
}
