//! Reproduces the published BTYD fits on the CDNOW sample: BG/NBD (Fader,
//! Hardie & Lee 2005), Pareto/NBD, MBG/NBD and Gamma-Gamma, with the
//! calibration-vs-holdout table.
//!
//! ```text
//! cargo run --release --example cdnow -- PATH/TO/CDNOW_sample.txt
//! ```
//!
//! The file is the CDNOW 1/10 sample (2,357 customers, 6,919 rows; a copy
//! is in `tests/data/ltv_cdnow_sample.txt`): whitespace-separated, no
//! header, columns customer id, sample id, date `YYYYMMDD`, number of CDs,
//! dollar value. The conventions are the paper's: calibration 1997-01-01 to
//! 1997-09-30 (39 weeks), holdout 1997-10-01 to 1998-06-30 (39 weeks),
//! weeks = days / 7, repeat purchases counted as distinct purchase days,
//! `T` from the first purchase to 1997-09-30; spend per purchase day is the
//! sum of the day's rows, and Gamma-Gamma fits each repeat buyer's mean
//! spend over their repeat days (the first purchase left out). Money is
//! read in cents; `γ` and the Gamma-Gamma log-likelihood are printed in
//! dollars, as published.
//!
//! Prints each model's parameters next to the published ones (a match is
//! equality to 3 significant digits, and a log-likelihood within 0.1), the
//! fit time, and for each transaction model the mean holdout purchases,
//! actual against predicted, by calibration repeat purchases 0..7+, with
//! the error per customer. Exits 1 if a published figure is not matched,
//! 2 for a bad command line.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use clap::Parser;
use rfmkit::clv::{BtydConfig, BtydData, GammaGamma, ModelKind, TransactionFit};
use rfmkit::ltv::TimeUnit;
use rfmkit::{Money, Order};

/// Fits BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma to the CDNOW sample with
/// the paper's 39-week calibration period, prints the parameters and
/// log-likelihoods next to the published ones, and the
/// calibration-vs-holdout table.
#[derive(Debug, Parser)]
struct Args {
    /// CDNOW_sample.txt: customer id, sample id, YYYYMMDD, CDs, dollars
    /// (a copy is tests/data/ltv_cdnow_sample.txt).
    path: PathBuf,
}

/// A failed run: the message printed after `error: `.
type Failure = String;

/// A published fit: the model, its parameters by name, its log-likelihood.
type Published = (ModelKind, &'static [(&'static str, f64)], Option<f64>);

/// The published figures.
const PUBLISHED: [Published; 3] = [
    (
        ModelKind::BgNbd,
        &[("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)],
        Some(-9582.4),
    ),
    (
        ModelKind::ParetoNbd,
        &[
            ("r", 0.553),
            ("alpha", 10.578),
            ("s", 0.606),
            ("beta", 11.669),
        ],
        Some(-9595.0),
    ),
    (
        ModelKind::GammaGamma,
        &[("p", 6.25), ("q", 3.74), ("gamma", 15.44)],
        None,
    ),
];

fn main() -> ExitCode {
    match run(&Args::parse().path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the sample into orders (ids `L<line>`, customers by sample id).
fn read(path: &Path) -> Result<Vec<Order>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let mut orders = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let bad = |what: &str| format!("{} line {}: {what}", path.display(), i + 1);
        let [_, customer, date, _, value] = fields.as_slice() else {
            return Err(bad(
                "expected 5 fields: customer id, sample id, YYYYMMDD, CDs, dollars",
            ));
        };
        let date = NaiveDate::parse_from_str(date, "%Y%m%d")
            .map_err(|_| bad(&format!("{date:?} is not a date (YYYYMMDD)")))?;
        let value = Money::parse_decimal(value, 2).map_err(|e| bad(&e.to_string()))?;
        orders.push(Order::new(format!("L{}", i + 1), *customer, date, value));
    }
    Ok(orders)
}

/// Rounds to `digits` significant digits.
fn significant(value: f64, digits: i32) -> f64 {
    if value == 0.0 {
        return 0.0;
    }
    let scale = 10f64.powi(digits - 1 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

fn run(path: &Path) -> Result<(), Failure> {
    let orders = read(path)?;
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| String::from("bad date"));
    let config = BtydConfig::builder(day(1997, 9, 30)?)
        .observation_end(day(1998, 6, 30)?)
        .unit(TimeUnit::Week)
        .build()
        .map_err(|e| e.to_string())?;
    let data = BtydData::from_orders(&orders, &config).map_err(|e| e.to_string())?;
    let fail = |e: rfmkit::Error| e.to_string();

    let mut out = String::new();
    let mut mismatches = 0;
    let w = |out: &mut String, line: String| {
        out.push_str(&line);
        out.push('\n');
    };
    w(
        &mut out,
        format!(
            "CDNOW sample: {} customers, {} rows, {} repeat buyers; calibration to {}, holdout {} weeks to {}",
            data.len(),
            orders.len(),
            data.repeat_buyers(),
            config.calibration_end(),
            config.holdout_length().unwrap_or(0.0),
            config
                .observation_end()
                .map_or_else(String::new, |d| d.to_string()),
        ),
    );
    w(&mut out, String::new());
    w(
        &mut out,
        format!(
            "{:<12} {:<10} {:>12} {:>10}  {}",
            "model", "parameter", "fitted", "published", "match"
        ),
    );

    let mut fits = Vec::new();
    for kind in ModelKind::TRANSACTION {
        let start = Instant::now();
        let fit = TransactionFit::fit(kind, &data).map_err(fail)?;
        let elapsed = start.elapsed();
        let published = PUBLISHED.iter().find(|p| p.0 == kind);
        for (name, value) in fit.model.parameters() {
            let reference = published
                .and_then(|p| p.1.iter().find(|q| q.0 == name))
                .map(|q| q.1);
            mismatches += report(&mut out, kind, name, value, reference, 3);
        }
        let d = &fit.diagnostics;
        mismatches += report_ll(
            &mut out,
            kind,
            d.log_likelihood,
            published.and_then(|p| p.2),
        );
        w(
            &mut out,
            format!(
                "{:<12} converged {}, {} iterations, {} groups, {:.1} ms",
                kind,
                d.converged,
                d.iterations,
                d.groups,
                elapsed.as_secs_f64() * 1e3
            ),
        );
        fits.push(fit);
    }

    let start = Instant::now();
    let spend = GammaGamma::fit(&data).map_err(fail)?;
    let elapsed = start.elapsed();
    let gg = spend.model;
    let published = PUBLISHED.iter().find(|p| p.0 == ModelKind::GammaGamma);
    // γ and the density of the mean spend are in cents; the paper's are in
    // dollars: γ / 100, and ln f gains ln 100 per customer.
    let dollars = [("p", gg.p()), ("q", gg.q()), ("gamma", gg.gamma() / 100.0)];
    for (name, value) in dollars {
        let reference = published
            .and_then(|p| p.1.iter().find(|q| q.0 == name))
            .map(|q| q.1);
        mismatches += report(&mut out, ModelKind::GammaGamma, name, value, reference, 3);
    }
    let d = &spend.diagnostics;
    let customers = f64::from(u32::try_from(d.customers).unwrap_or(u32::MAX));
    mismatches += report_ll(
        &mut out,
        ModelKind::GammaGamma,
        d.log_likelihood + customers * 100f64.ln(),
        None,
    );
    w(
        &mut out,
        format!(
            "{:<12} converged {}, {} iterations, {} customers, {:.1} ms; corr(x, mean spend) {:.3}",
            ModelKind::GammaGamma,
            d.converged,
            d.iterations,
            d.customers,
            elapsed.as_secs_f64() * 1e3,
            spend.frequency_spend_correlation.unwrap_or(f64::NAN),
        ),
    );

    // Calibration vs holdout, all transaction models side by side.
    let tables = fits
        .iter()
        .map(|f| f.holdout_table(&data, 7))
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    w(&mut out, String::new());
    w(
        &mut out,
        "mean holdout purchases (39 weeks) by calibration repeat purchases x, actual vs predicted"
            .to_string(),
    );
    let mut header = format!("{:>4} {:>9} {:>8}", "x", "customers", "actual");
    for t in &tables {
        let _ = write!(header, " {:>10}", t.model.name());
    }
    w(&mut out, header);
    if let Some(first) = tables.first() {
        for (i, row) in first.rows.iter().enumerate() {
            let x = if row.or_more {
                format!("{}+", row.x)
            } else {
                row.x.to_string()
            };
            let mut line = format!("{x:>4} {:>9} {:>8.3}", row.customers, row.actual);
            for t in &tables {
                let _ = write!(
                    line,
                    " {:>10.3}",
                    t.rows.get(i).map_or(f64::NAN, |r| r.predicted)
                );
            }
            w(&mut out, line);
        }
        let mut total = format!(
            "{:>4} {:>9} {:>8}",
            "sum", first.customers, first.actual_total
        );
        for t in &tables {
            let _ = write!(total, " {:>10.1}", t.predicted_total);
        }
        w(&mut out, total);
        for (name, get) in [
            (
                "MAE",
                (|t: &rfmkit::clv::HoldoutTable| t.mean_absolute_error) as fn(&_) -> f64,
            ),
            ("RMSE", |t| t.root_mean_squared_error),
        ] {
            let mut line = format!("{:>4} {:>9} {:>8}", name, "", "");
            for t in &tables {
                let _ = write!(line, " {:>10.4}", get(t));
            }
            w(&mut out, line);
        }
    }
    w(&mut out, String::new());
    if mismatches == 0 {
        w(&mut out, "all fits match the published figures".into());
    } else {
        w(
            &mut out,
            format!("{mismatches} figure(s) differ from the published ones"),
        );
    }
    io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .map_err(|e| format!("cannot write the output: {e}"))?;
    if mismatches == 0 {
        Ok(())
    } else {
        Err(format!(
            "{mismatches} figure(s) differ from the published ones"
        ))
    }
}

/// Prints one parameter; returns 1 if it does not match the published one
/// to `digits` significant digits.
fn report(
    out: &mut String,
    kind: ModelKind,
    name: &str,
    value: f64,
    published: Option<f64>,
    digits: i32,
) -> u32 {
    let matched = published.map(|p| significant(p, digits) == significant(value, digits));
    let _ = writeln!(
        out,
        "{:<12} {:<10} {:>12.4} {:>10}  {}",
        kind,
        name,
        value,
        published.map_or_else(|| "-".into(), |p| p.to_string()),
        match matched {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        }
    );
    u32::from(matched == Some(false))
}

/// Prints a log-likelihood; returns 1 if it is more than 0.1 from the
/// published one.
fn report_ll(out: &mut String, kind: ModelKind, value: f64, published: Option<f64>) -> u32 {
    let matched = published.map(|p| (p - value).abs() <= 0.1);
    let _ = writeln!(
        out,
        "{:<12} {:<10} {:>12.2} {:>10}  {}",
        kind,
        "LL",
        value,
        published.map_or_else(|| "-".into(), |p| format!("{p:.1}")),
        match matched {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        }
    );
    u32::from(matched == Some(false))
}
