//! Quickstart: simulate a shop of about 100,000 orders, then run the whole
//! pipeline — orders → summaries → RFM model → scores → segments — and print
//! the model's cuts and the segment report.
//!
//! ```text
//! cargo run --release --example quickstart
//! ```
//!
//! The command line does the same on an order file:
//!
//! ```text
//! rfmkit score --input orders.csv --as-of 2025-12-31 --output scores.csv --report
//! ```

use std::error::Error;
use std::time::Instant;

use rfmkit::rfm::{RfmModel, ScoringConfig};
use rfmkit::segment::SegmentTable;
use rfmkit::sim::SimConfig;
use rfmkit::summary::Summaries;

fn main() -> Result<(), Box<dyn Error>> {
    // A deterministic shop: the same seed gives the same orders everywhere.
    let shop = SimConfig::builder()
        .customers(20_000)
        .orders(100_000)
        .seed(42)
        .build()?
        .generate();
    let as_of = shop.as_of();
    println!(
        "simulated shop: {} customers, {} order records (incl. returns and cancellations), as of {as_of}\n",
        shop.customers().len(),
        shop.orders().len(),
    );

    let started = Instant::now();
    let summaries = Summaries::from_orders(shop.orders(), as_of)?;
    let model = RfmModel::fit(&ScoringConfig::default(), &summaries);
    let scores = model.score_all(&summaries);
    let segments = SegmentTable::standard().segment_all(&scores)?;
    let elapsed = started.elapsed();

    // Money is in cents: print it with 2 decimals.
    println!("{}\n", model.display_table(2));
    println!("{}\n", segments.report()?.display_table(2));

    if let Some(example) = segments.iter().find(|c| c.segment.as_str() == "at_risk") {
        println!(
            "e.g. customer {}: last order {} days ago, {} orders, {} spent -> cell {} -> {}",
            example.scored.customer,
            example.scored.recency_days,
            example.scored.frequency,
            example.scored.monetary.display_decimal(2),
            example.scored.score,
            example.segment,
        );
    }
    println!(
        "pipeline: {} order records -> {} segmented customers in {:.1} ms",
        shop.orders().len(),
        segments.len(),
        elapsed.as_secs_f64() * 1e3
    );
    Ok(())
}
