//! Audience rule throughput: build profiles of a simulated shop, then time
//! a five-condition rule over all of them (median of repeated runs).
//!
//! ```text
//! cargo run --release --example audience_bench -- [--profiles 1000000] [--runs 21]
//! ```
//!
//! Prints the time to build the profiles, to parse and compile the query,
//! and to evaluate it over every profile, with the throughput in profiles
//! per second.

use std::error::Error;
use std::num::NonZeroUsize;
use std::time::Instant;

use clap::Parser;

use rfmkit::audience::{Profiles, Rule};
use rfmkit::rfm::{RfmModel, ScoringConfig};
use rfmkit::segment::SegmentTable;
use rfmkit::sim::SimConfig;
use rfmkit::summary::Summaries;

/// Times a five-condition audience rule over simulated profiles.
#[derive(Debug, Parser)]
struct Args {
    /// Customers to simulate, each with about 3 orders.
    #[arg(long, default_value = "1000000")]
    profiles: NonZeroUsize,
    /// Evaluations to time; the median is printed.
    #[arg(long, default_value = "21")]
    runs: NonZeroUsize,
}

const QUERY: &str = "segment in (at_risk, cant_lose_them, loyal) and monetary >= 100.00 \
                     and last_order < -90d and email_opt_in and not tags contains vip";

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let (customers, runs) = (args.profiles.get(), args.runs.get());

    let started = Instant::now();
    let shop = SimConfig::builder()
        .customers(customers)
        .orders(customers.saturating_mul(3))
        .seed(7)
        .build()?
        .generate();
    let summaries = Summaries::from_orders(shop.orders(), shop.as_of())?;
    let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    let segmentation = SegmentTable::standard().segment_all(&scores)?;
    let simulated = started.elapsed();

    let started = Instant::now();
    let profiles = Profiles::builder(&segmentation, &summaries)
        .customers(shop.customers())
        .build()?;
    let built = started.elapsed();

    let started = Instant::now();
    let rule = Rule::parse(QUERY, &profiles.schema())?;
    let compiled = profiles.compile(&rule)?;
    let compile = started.elapsed();

    let mut times = Vec::with_capacity(runs);
    let mut selected = 0;
    for _ in 0..runs {
        let started = Instant::now();
        selected = std::hint::black_box(compiled.tally()).selected;
        times.push(started.elapsed());
    }
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let best = times.first().copied().unwrap_or_default();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    let n = profiles.len();
    println!("query: {}", rule.display_query(profiles.scale()));
    println!(
        "simulated shop + RFM: {customers} customers in {:.0} ms",
        ms(simulated)
    );
    println!("profiles: {n} built in {:.0} ms", ms(built));
    println!("parse + compile: {:.3} ms", ms(compile));
    println!(
        "evaluate: median {:.2} ms, best {:.2} ms over {runs} runs; {:.0} million profiles/s; {selected} selected",
        ms(median),
        ms(best),
        n as f64 / median.as_secs_f64().max(1e-9) / 1e6
    );
    Ok(())
}
