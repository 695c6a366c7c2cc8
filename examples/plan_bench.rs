//! Planning throughput (issue 11): ten programs over a simulated shop's
//! profiles with a large contact history, timed on one thread.
//!
//! ```text
//! cargo run --release --example plan_bench -- [--customers 1000000] [--history 10000000] [--runs 3]
//! ```
//!
//! Prints one JSON line: the time to build the profiles and the history
//! (untimed setup), the median planning time, and the plan's size.

use std::error::Error;
use std::num::NonZeroUsize;
use std::time::Instant;

use chrono::Days;
use clap::Parser;
use rfmkit::audience::{Profiles, Rule};
use rfmkit::program::{
    Caps, Contact, ContactChannel, ContactHistory, Entry, Exit, Planner, Program,
};
use rfmkit::rfm::{RfmModel, ScoringConfig};
use rfmkit::segment::SegmentTable;
use rfmkit::sim::SimConfig;
use rfmkit::summary::Summaries;
use serde_json::json;

/// Plans ten programs for simulated customers (about 3 orders each) with a
/// contact history spread over the last 90 days, on one thread.
#[derive(Debug, Parser)]
struct Args {
    /// Customers to simulate.
    #[arg(long, default_value = "1000000")]
    customers: NonZeroUsize,
    /// Contact history rows.
    #[arg(long, default_value = "10000000")]
    history: NonZeroUsize,
    /// Plans to time; the median is printed.
    #[arg(long, default_value = "3")]
    runs: NonZeroUsize,
}

/// Ten programs: (key, audience, delays of the steps, priority).
const PROGRAMS: [(&str, &str, &[u32], i32); 10] = [
    (
        "f2",
        "frequency = 1 and first_order <= -7d and first_order > -60d",
        &[0, 14, 38],
        10,
    ),
    (
        "winback",
        "segment in (at_risk, cant_lose_them)",
        &[0, 7],
        9,
    ),
    (
        "dormant",
        "segment in (dormant, lost) and frequency >= 2",
        &[0, 30],
        8,
    ),
    ("vip", "segment = champions", &[0], 7),
    ("loyal", "segment = loyal", &[0, 21], 6),
    ("new", "segment in (new, promising)", &[0, 3, 10], 5),
    ("attention", "segment = need_attention", &[0], 4),
    ("sleep", "segment = about_to_sleep", &[0, 5], 3),
    ("big", "monetary >= 500.00", &[0], 2),
    ("everyone", "frequency >= 1", &[0], 1),
];

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let (customers, rows, runs) = (args.customers.get(), args.history.get(), args.runs.get());

    let started = Instant::now();
    let shop = SimConfig::builder()
        .customers(customers)
        .orders(customers * 3)
        .seed(11)
        .build()?
        .generate();
    let as_of = shop.as_of();
    let summaries = Summaries::from_orders(shop.orders(), as_of)?;
    let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    let segments = SegmentTable::standard().segment_all(&scores)?;
    let profiles = Profiles::builder(&segments, &summaries)
        .customers(shop.customers())
        .build()?;
    let schema = profiles.schema();
    let mut programs = Vec::new();
    for (key, audience, delays, priority) in PROGRAMS {
        let mut b = Program::builder(key, Rule::parse(audience, &schema)?)
            .priority(priority)
            .entry(Entry::AfterDays(60))
            .exit(Exit::Purchase)
            .control(0.1);
        for &delay in delays {
            b = b.step(
                delay,
                if delay % 2 == 0 {
                    ContactChannel::Email
                } else {
                    ContactChannel::Push
                },
            );
        }
        programs.push(b.build()?);
    }
    let planner = Planner::new(programs, Caps::new().overall(3, 7)?.min_gap_days(1))?;
    // A deterministic history: row i goes to customer i mod N, program
    // i mod 10, step 0, i mod 90 days ago.
    let ids = profiles.customers();
    let history = ContactHistory::new((0..rows).filter_map(|i| {
        let customer = ids.get(i % ids.len())?.clone();
        let (key, ..) = PROGRAMS.get(i % PROGRAMS.len())?;
        let date = as_of.checked_sub_days(Days::new((i % 90) as u64))?;
        Some(Contact::sent(customer, key, 0, ContactChannel::Email, date))
    }))?;
    let setup = started.elapsed().as_secs_f64();

    // One thread: rule evaluation would otherwise use every core.
    #[cfg(feature = "parallel")]
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let plan_once = || {
        #[cfg(feature = "parallel")]
        return pool.install(|| planner.plan(&profiles, &history));
        #[cfg(not(feature = "parallel"))]
        return planner.plan(&profiles, &history);
    };
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let plan = plan_once()?;
        times.push(t.elapsed().as_secs_f64());
        last = Some(plan);
    }
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(0.0);
    let plan = last.ok_or("no run")?;
    println!(
        "{}",
        json!({
            "customers": profiles.len(),
            "history_rows": history.len(),
            "programs": planner.programs().len(),
            "setup_seconds": setup,
            "plan_seconds": times,
            "median_seconds": median,
            "contacts": plan.contacts().len(),
            "sends": plan.sends().count(),
            "skipped": plan.skipped().len(),
        })
    );
    Ok(())
}
