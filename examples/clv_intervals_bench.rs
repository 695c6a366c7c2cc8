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

use std::num::{NonZeroU32, NonZeroUsize};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use rfmkit::clv::{
    BgNbd, BootstrapConfig, GammaGamma, PredictConfig, SimulationConfig, TransactionFit,
    TransactionModel, simulate,
};
use serde_json::json;

/// Fits BG/NBD and Gamma-Gamma to simulated customers and times
/// `predict_intervals`; prints one JSON line with the median of the runs.
#[derive(Debug, Parser)]
struct Args {
    /// Customers to simulate.
    #[arg(long, default_value = "1000000")]
    customers: NonZeroUsize,
    /// Parameter draws of the bootstrap.
    #[arg(long, default_value = "200")]
    draws: NonZeroU32,
    /// Threads (more than 1 needs the default `parallel` feature).
    #[arg(long, default_value = "1")]
    threads: NonZeroUsize,
    /// Timed runs; the median is printed.
    #[arg(long, default_value = "3")]
    repeat: NonZeroUsize,
    /// Seed of the simulation and of the draws.
    #[arg(long, default_value = "1")]
    seed: u64,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("clv_intervals_bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let customers = args.customers.get();
    let draws = args.draws.get();
    let threads = args.threads.get();
    let repeat = args.repeat.get() as u64;
    let seed = args.seed;
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
