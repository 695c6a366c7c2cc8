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

// Only the flag parser is used here.
#[path = "common/mod.rs"]
#[allow(dead_code)]
mod common;

use std::process::ExitCode;
use std::time::Instant;

use rfmkit::audience::{Profiles, Rule};
use rfmkit::rfm::{RfmModel, ScoringConfig};
use rfmkit::segment::SegmentTable;
use rfmkit::sim::SimConfig;
use rfmkit::summary::Summaries;

use common::Failure;

const USAGE: &str = "\
usage: audience_bench [--profiles N] [--runs R]

Times a five-condition audience rule over N simulated profiles.

options:
  --profiles N   customers to simulate, each with about 3 orders (default 1000000)
  --runs R       evaluations to time; the median is printed (default 21)
  -h, --help     print this help";

const QUERY: &str = "segment in (at_risk, cant_lose_them, loyal) and monetary >= 100.00 \
                     and last_order < -90d and email_opt_in and not tags contains vip";

fn run() -> Result<(), Failure> {
    let flags = common::parse_flags(std::env::args_os().skip(1), &["profiles", "runs"], &[])?;
    let customers = flags.positive("profiles", 1_000_000)?;
    let runs = flags.positive("runs", 21)?;
    let fail = |e: rfmkit::Error| Failure::Run(e.to_string());

    let started = Instant::now();
    let shop = SimConfig::builder()
        .customers(customers)
        .orders(customers.saturating_mul(3))
        .seed(7)
        .build()
        .map_err(fail)?
        .generate();
    let summaries = Summaries::from_orders(shop.orders(), shop.as_of()).map_err(fail)?;
    let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    let segmentation = SegmentTable::standard()
        .segment_all(&scores)
        .map_err(fail)?;
    let simulated = started.elapsed();

    let started = Instant::now();
    let profiles = Profiles::builder(&segmentation, &summaries)
        .customers(shop.customers())
        .build()
        .map_err(fail)?;
    let built = started.elapsed();

    let started = Instant::now();
    let rule = Rule::parse(QUERY, &profiles.schema()).map_err(fail)?;
    let compiled = profiles.compile(&rule).map_err(fail)?;
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

fn main() -> ExitCode {
    common::exit(run(), USAGE)
}
