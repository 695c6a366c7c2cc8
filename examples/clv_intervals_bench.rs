//! Times the bootstrap prediction intervals of `clv`
//! (`TransactionFit::predict_intervals`): BG/NBD and Gamma-Gamma fitted to
//! simulated customers, then P(alive), expected purchases over a year and
//! a 12-month CLV with 95% intervals from D parameter draws, per customer
//! and in total. Prints one JSON line with the median time of K runs.
//!
//! ```text
//! cargo run --release --example clv_intervals_bench -- --customers 1000000 --draws 200 --threads 2
//! ```
//!
//! The customers are simulated from a CDNOW-like BG/NBD in weeks (`r =
//! 0.25, α = 4.4, a = 0.8, b = 2.4`), acquired over two years, with times
//! rounded down to whole days (as order dates give them) and Gamma-Gamma
//! spend; identical histories are computed once per draw, so the cost
//! follows the number of distinct histories, which the output reports.

use std::process::ExitCode;
use std::time::Instant;

use rfmkit::clv::{
    BgNbd, BootstrapConfig, GammaGamma, PredictConfig, SimulationConfig, TransactionFit,
    TransactionModel, simulate,
};
use serde_json::json;

const USAGE: &str = "\
usage: clv_intervals_bench [--customers C] [--draws D] [--threads T] [--repeat K] [--seed S]

Fits BG/NBD and Gamma-Gamma to C simulated customers (default 1000000) and
times predict_intervals with D draws (default 200) on T threads (default 1;
T > 1 needs the default `parallel` feature), K times (default 3); prints one
JSON line with the median.";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("clv_intervals_bench: {message}\n\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

fn flag(args: &[String], name: &str, default: u64) -> Result<u64, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| format!("{name} needs a whole number")),
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let known = ["--customers", "--draws", "--threads", "--repeat", "--seed"];
    for (i, a) in args.iter().enumerate() {
        if i % 2 == 0 && !known.contains(&a.as_str()) {
            return Err(format!("unknown argument {a:?}"));
        }
    }
    let customers =
        usize::try_from(flag(&args, "--customers", 1_000_000)?).map_err(|e| e.to_string())?;
    let draws = u32::try_from(flag(&args, "--draws", 200)?).map_err(|e| e.to_string())?;
    let threads = usize::try_from(flag(&args, "--threads", 1)?).map_err(|e| e.to_string())?;
    let repeat = flag(&args, "--repeat", 3)?.max(1);
    let seed = flag(&args, "--seed", 1)?;
    if threads == 0 {
        return Err("--threads must be at least 1".into());
    }
    if threads > 1 && !cfg!(feature = "parallel") {
        return Err("--threads > 1 needs the `parallel` feature (on by default)".into());
    }

    let err = |e: rfmkit::Error| e.to_string();
    let truth = TransactionModel::from(BgNbd::new(0.25, 4.4, 0.8, 2.4).map_err(err)?);
    let config = SimulationConfig::builder()
        .customers(customers)
        .max_age(104.0)
        .resolution(1.0 / 7.0)
        .spend(GammaGamma::new(6.0, 4.0, 1_500.0).map_err(err)?)
        .seed(seed)
        .build()
        .map_err(err)?;
    let data = simulate(&truth, &config).map_err(err)?;
    let fit = BgNbd::fit(&data).map_err(err)?;
    let spend = GammaGamma::fit(&data).map_err(err)?;
    let predict = PredictConfig::default();
    let bootstrap = BootstrapConfig::builder()
        .draws(draws)
        .seed(seed)
        .build()
        .map_err(err)?;
    let distinct = {
        let mut keys: Vec<(u32, u64, u64)> = data
            .iter()
            .map(|c| {
                let b = c.btyd();
                (b.x(), b.t_x().to_bits(), b.t().to_bits())
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.len()
    };

    let once = |fit: &TransactionFit| {
        let start = Instant::now();
        let intervals = fit
            .predict_intervals(&data, Some(&spend), &predict, &bootstrap)
            .map_err(err)?;
        Ok::<_, String>((start.elapsed().as_secs_f64(), intervals))
    };
    let run_all = || {
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..repeat {
            let (t, intervals) = once(&fit)?;
            times.push(t);
            last = Some(intervals);
        }
        Ok::<_, String>((times, last))
    };
    #[cfg(feature = "parallel")]
    let (mut times, last) = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| e.to_string())?
        .install(run_all)?;
    #[cfg(not(feature = "parallel"))]
    let (mut times, last) = run_all()?;
    let intervals = last.ok_or("no run")?;
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
    let total = intervals.total_expected_purchases();
    let clv = intervals.total_clv().ok_or("no total CLV")?;
    let report = json!({
        "customers": customers,
        "distinct_histories": distinct,
        "draws": draws,
        "threads": threads,
        "runs": repeat,
        "median_seconds": median,
        "times": times,
        "customer_draws_per_second": customers as f64 * f64::from(draws) / median,
        "total_expected_purchases": [total.estimate, total.lower, total.upper],
        "total_clv_minor_units": [clv.estimate, clv.lower, clv.upper],
    });
    println!("{report}");
    Ok(())
}
