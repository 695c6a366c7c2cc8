//! Predictive CLV of an order CSV: fits BG/NBD, MBG/NBD, Pareto/NBD and
//! Gamma-Gamma on a calibration period (with `--model`, only that
//! transaction model and Gamma-Gamma), prints one JSON line per model, and
//! optionally writes per-customer predictions. Every fit finishes in
//! bounded time, with parameters or an error line.
//!
//! ```text
//! cargo run --release --example clv_csv -- --input ORDERS.csv \
//!     --calibration-end YYYY-MM-DD [--observation-end YYYY-MM-DD] \
//!     [--unit day|week] [--model bg_nbd|mbg_nbd|pareto_nbd] [--horizon N] \
//!     [--months N] [--discount-rate D] [--margin M] [--scale 2] \
//!     [--output PREDICTIONS.csv] [--lenient]
//! ```
//!
//! Reads the CSV of `rfm_csv` (required `customer_id`, `order_date`,
//! `amount`; the format is in `examples/common/mod.rs`) and builds the BTYD
//! inputs as the `rfmkit::clv` module docs define them: purchase days
//! (same-day orders merged) up to `--calibration-end`, times in `--unit`
//! (default `week`, meaning days / 7 as in the BG/NBD paper), holdout
//! purchase days in `(calibration end, observation end]`.
//!
//! # Output
//!
//! One JSON object per line on stdout, one per model, with the parameters
//! under their usual names (`r`, `alpha`, `a`, `b`; `r`, `alpha`, `s`,
//! `beta`; `p`, `q`, `gamma`), `log_likelihood`, `converged`, `iterations`
//! and `customers`. Transaction models also get the holdout check when
//! there is an observation end: `holdout_actual` and `holdout_predicted`
//! (total purchase days), `holdout_mae` and `holdout_rmse` (per customer).
//! `alpha` and `beta` are in `--unit`s; Gamma-Gamma's `gamma` and its
//! log-likelihood are in currency units (dollars with `--scale 2`), as
//! published fits report them. A model that cannot be fitted gets a line
//! with `model` and `error`.
//!
//! ```text
//! {"model":"bg_nbd","r":0.2426,"alpha":4.4136,"a":0.7929,"b":2.4259,"log_likelihood":-9582.43,"converged":true,...}
//! ```
//!
//! With `--model`, only that transaction model is fitted (a slow or
//! unidentifiable model the user did not ask for cannot hold the run up).
//! With `--output`, the chosen `--model` (default `bg_nbd`, with
//! Gamma-Gamma for spend) writes one row per customer, in customer-id
//! order:
//!
//! ```text
//! customer_id,x,t_x,T,p_alive,expected_purchases,expected_spend,clv,holdout_purchases
//! ```
//!
//! `expected_purchases` is over the holdout length, or `--horizon` units if
//! given; `expected_spend` (per purchase day) and `clv` (over `--months`
//! months of 30.436875 days, discounted at `--discount-rate` a month,
//! times `--margin`) are in currency units, empty if Gamma-Gamma could not
//! be fitted; `holdout_purchases` are distinct purchase days in the
//! holdout, empty without `--observation-end`.
//!
//! # Errors
//!
//! Exit code 1 for bad input (every error names the file and, for one row,
//! its line) or when the chosen model cannot be fitted; 2 for a bad command
//! line. With `--lenient`, malformed rows are skipped and orders after the
//! last date left out, each listed on stderr.

#[path = "common/mod.rs"]
mod common;

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use rfmkit::clv::{
    BtydConfig, BtydData, GammaGamma, ModelKind, PredictConfig, SpendFit, TransactionFit,
};
use rfmkit::ltv::TimeUnit;
use rfmkit::summary::FutureOrders;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Value, json};

use common::{Failure, locate_error, write_stderr};

const USAGE: &str = "\
usage: clv_csv --input ORDERS.csv --calibration-end YYYY-MM-DD [options]

Fits the BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma models (with --model,
only that model and Gamma-Gamma) to the orders up to the calibration end and
prints one JSON line per model (parameters, log_likelihood, converged); with
--output, writes per-customer predictions.

options:
  --input PATH               the order CSV (required)
  --calibration-end DATE     last day of the calibration period, YYYY-MM-DD (required)
  --observation-end DATE     last day of the holdout period; holdout purchases are
                             counted in (calibration end, observation end]
  --unit day|week            time unit of t_x, T, alpha, beta (default week = days / 7)
  --model NAME               fit only this transaction model (and gamma_gamma), and use
                             it for --output: bg_nbd, mbg_nbd, pareto_nbd (default: fit
                             all three, bg_nbd for --output)
  --horizon N                expected purchases over N units (default: the holdout
                             length; required without --observation-end)
  --months N                 CLV horizon in months of 30.436875 days (default 12)
  --discount-rate D          monthly discount rate for CLV (default 0.01)
  --margin M                 share of revenue counted in CLV, 0..=1 (default 1)
  --scale N                  decimals of the currency, 0..=18 (default 2)
  --output PATH              write per-customer predictions to this CSV
  --lenient                  skip malformed rows and orders after the last date,
                             listing them on stderr, instead of failing
  -h, --help                 print this help";

/// The command line, parsed and validated.
#[derive(Debug)]
struct Options {
    input: PathBuf,
    config: BtydConfig,
    model: ModelKind,
    /// Whether `--model` was given: then only that model is fitted.
    only_model: bool,
    predict: PredictConfig,
    scale: u32,
    output: Option<PathBuf>,
    lenient: bool,
}

fn parse_options() -> Result<Options, Failure> {
    let flags = common::parse_flags(
        std::env::args_os().skip(1),
        &[
            "input",
            "calibration-end",
            "observation-end",
            "unit",
            "model",
            "horizon",
            "months",
            "discount-rate",
            "margin",
            "scale",
            "output",
        ],
        &["lenient"],
    )?;
    let date = |name: &str| -> Result<Option<NaiveDate>, Failure> {
        flags
            .value(name)
            .map(|text| {
                common::parse_date(text).ok_or_else(|| {
                    Failure::Usage(format!("--{name} {text:?} is not a date (YYYY-MM-DD)"))
                })
            })
            .transpose()
    };
    let input = PathBuf::from(flags.required("input")?);
    flags.required("calibration-end")?;
    let calibration_end = date("calibration-end")?
        .ok_or_else(|| Failure::Usage("--calibration-end is required".into()))?;
    let observation_end = date("observation-end")?;
    let unit = match flags.value("unit") {
        None | Some("week") => TimeUnit::Week,
        Some("day") => TimeUnit::Day,
        Some(other) => return Err(Failure::Usage(format!("--unit {other:?}: use day or week"))),
    };
    let lenient = flags.switch("lenient");
    let mut builder = BtydConfig::builder(calibration_end).unit(unit);
    if let Some(end) = observation_end {
        builder = builder.observation_end(end);
    }
    if lenient {
        builder = builder.future_orders(FutureOrders::Ignore);
    }
    let config = builder.build().map_err(|e| Failure::Usage(e.to_string()))?;
    let only_model = flags.value("model").is_some();
    let model = match flags.value("model") {
        None => ModelKind::BgNbd,
        Some(text) => text
            .parse::<ModelKind>()
            .ok()
            .filter(|k| k.is_transaction_model())
            .ok_or_else(|| {
                Failure::Usage(format!(
                    "--model {text:?}: use bg_nbd, mbg_nbd or pareto_nbd"
                ))
            })?,
    };
    let number = |name: &str| -> Result<Option<f64>, Failure> {
        flags
            .value(name)
            .map(|text| {
                text.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| {
                        Failure::Usage(format!("--{name} {text:?} is not a number >= 0"))
                    })
            })
            .transpose()
    };
    let horizon = number("horizon")?;
    if horizon.is_none() && observation_end.is_none() {
        return Err(Failure::Usage(
            "--horizon is required without --observation-end (there is no holdout length)".into(),
        ));
    }
    let horizon_units = horizon.or(config.holdout_length()).unwrap_or(0.0);
    let months = match flags.value("months") {
        None => 12,
        Some(text) => text
            .parse::<u32>()
            .map_err(|_| Failure::Usage(format!("--months {text:?} is not a whole number")))?,
    };
    let predict = PredictConfig::builder()
        .horizon_days(horizon_units * unit.days())
        .months(months)
        .discount_rate(number("discount-rate")?.unwrap_or(0.01))
        .margin(number("margin")?.unwrap_or(1.0))
        .build()
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let scale = flags.scale()?;
    Ok(Options {
        input,
        config,
        model,
        only_model,
        predict,
        scale,
        output: flags.value("output").map(PathBuf::from),
        lenient,
    })
}

/// One JSON line: keys in insertion order (`model` first), unlike
/// `serde_json::Map`, which sorts them.
#[derive(Debug, Default)]
struct Line(Vec<(&'static str, Value)>);

impl Line {
    fn insert(&mut self, key: &'static str, value: Value) {
        self.0.push((key, value));
    }

    /// Inserts a float, or `null` where it is not finite (JSON has no NaN).
    fn number(&mut self, key: &'static str, value: f64) {
        self.insert(
            key,
            serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number),
        );
    }
}

impl Serialize for Line {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

fn run(options: &Options) -> Result<(), Failure> {
    let path = options.input.as_path();
    let loaded = common::read_orders(path, options.scale, options.lenient)?;
    for (line, problem) in &loaded.skipped {
        write_stderr(&format!(
            "skipped {} line {line}: {problem}",
            path.display()
        ));
    }
    let data = BtydData::from_orders(&loaded.orders, &options.config)
        .map_err(|err| Failure::Run(locate_error(path, &loaded.lines, &err)))?;
    if data.ignored_orders() > 0 {
        write_stderr(&format!(
            "left out {} order(s) after the last date (--lenient)",
            data.ignored_orders()
        ));
    }
    if data.new_in_holdout() > 0 {
        write_stderr(&format!(
            "{} customer(s) first bought in the holdout period and are not modelled",
            data.new_in_holdout()
        ));
    }
    // Money is in minor units inside rfmkit; γ and the spend density are
    // reported in currency units: γ / 10^scale, and ln f + ln 10^scale per
    // customer.
    let unit_money = 10f64.powi(i32::try_from(options.scale).unwrap_or(0));

    let mut lines = Vec::new();
    let mut chosen: Option<TransactionFit> = None;
    let mut chosen_error = None;
    let kinds: &[ModelKind] = if options.only_model {
        std::slice::from_ref(&options.model)
    } else {
        &ModelKind::TRANSACTION
    };
    for &kind in kinds {
        let mut line = Line::default();
        line.insert("model", json!(kind.name()));
        match TransactionFit::fit(kind, &data) {
            Ok(fit) => {
                for (name, value) in fit.model.parameters() {
                    line.number(name, value);
                }
                let d = &fit.diagnostics;
                line.number("log_likelihood", d.log_likelihood);
                line.insert("converged", json!(d.converged));
                line.insert("iterations", json!(d.iterations));
                line.insert("customers", json!(d.customers));
                if data.holdout_length().is_some() {
                    let table = fit
                        .holdout_table(&data, 7)
                        .map_err(|e| Failure::Run(format!("{}: {e}", path.display())))?;
                    line.insert("holdout_actual", json!(table.actual_total));
                    line.number("holdout_predicted", table.predicted_total);
                    line.number("holdout_mae", table.mean_absolute_error);
                    line.number("holdout_rmse", table.root_mean_squared_error);
                }
                if kind == options.model {
                    chosen = Some(fit);
                }
            }
            Err(err) => {
                line.insert("error", json!(err.to_string()));
                if kind == options.model {
                    chosen_error = Some(err);
                }
            }
        }
        lines.push(line);
    }
    let mut line = Line::default();
    line.insert("model", json!(ModelKind::GammaGamma.name()));
    let spend: Option<SpendFit> = match GammaGamma::fit(&data) {
        Ok(fit) => {
            line.number("p", fit.model.p());
            line.number("q", fit.model.q());
            line.number("gamma", fit.model.gamma() / unit_money);
            let d = &fit.diagnostics;
            let n = f64::from(u32::try_from(d.customers).unwrap_or(u32::MAX));
            line.number("log_likelihood", d.log_likelihood + n * unit_money.ln());
            line.insert("converged", json!(d.converged));
            line.insert("iterations", json!(d.iterations));
            line.insert("customers", json!(d.customers));
            Some(fit)
        }
        Err(err) => {
            line.insert("error", json!(err.to_string()));
            None
        }
    };
    lines.push(line);

    let mut stdout = io::stdout().lock();
    for line in &lines {
        let text = serde_json::to_string(line)
            .map_err(|err| Failure::Run(format!("cannot write stdout: {err}")))?;
        writeln!(stdout, "{text}")
            .map_err(|err| Failure::Run(format!("cannot write stdout: {err}")))?;
    }
    drop(stdout);

    let fit = match (chosen, chosen_error) {
        (Some(fit), _) => fit,
        (None, Some(err)) => return Err(Failure::Run(format!("{}: {err}", path.display()))),
        (None, None) => return Err(Failure::Run("no model was fitted".into())),
    };
    if let Some(output) = &options.output {
        let predictions = fit
            .predict(&data, spend.as_ref(), &options.predict)
            .map_err(|e| Failure::Run(format!("{}: {e}", path.display())))?;
        let cannot = |err: &dyn std::fmt::Display| {
            Failure::Run(format!("{}: cannot write: {err}", output.display()))
        };
        let file = File::create(output).map_err(|e| cannot(&e))?;
        let mut writer = csv::Writer::from_writer(io::BufWriter::new(file));
        writer
            .write_record([
                "customer_id",
                "x",
                "t_x",
                "T",
                "p_alive",
                "expected_purchases",
                "expected_spend",
                "clv",
                "holdout_purchases",
            ])
            .map_err(|e| cannot(&e))?;
        for p in &predictions {
            writer
                .write_record([
                    p.customer.to_string(),
                    p.btyd.x().to_string(),
                    p.btyd.t_x().to_string(),
                    p.btyd.t().to_string(),
                    p.p_alive.to_string(),
                    p.expected_purchases.to_string(),
                    p.expected_spend
                        .map_or_else(String::new, |m| (m / unit_money).to_string()),
                    p.clv.map_or_else(String::new, |m| {
                        m.display_decimal(options.scale).to_string()
                    }),
                    p.holdout_purchases
                        .map_or_else(String::new, |h| h.to_string()),
                ])
                .map_err(|e| cannot(&e))?;
        }
        writer.flush().map_err(|e| cannot(&e))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let result = parse_options().and_then(|options| run(&options));
    common::exit(result, USAGE)
}
