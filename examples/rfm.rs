//! Tutorial: RFM scores and segments, step by step, on 13 orders of 5
//! customers.
//!
//! ```text
//! cargo run --example rfm
//! ```
//!
//! It teaches the pipeline's stages one by one: build [`Order`]s (with a
//! return and a cancellation), summarize them per customer as of a date,
//! fit an [`RfmModel`] (here the `rank` method), score every customer,
//! name their segments with the standard [`SegmentTable`], save the model
//! as JSON and score a customer against the frozen model.
//!
//! The orders are those of `tests/data/orders_small.csv`, and the CSV this
//! prints is `tests/data/orders_small.expected.csv`, worked out by hand in
//! `tests/data/orders_small.expected.md` (CI diffs the two). The command
//! line does the same from the file:
//!
//! ```text
//! rfmkit score --input tests/data/orders_small.csv --as-of 2025-12-31 --method rank
//! ```

use std::error::Error;

use chrono::NaiveDate;
use rfmkit::order::OrderStatus;
use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
use rfmkit::segment::SegmentTable;
use rfmkit::summary::Summaries;
use rfmkit::{Money, Order};

fn main() -> Result<(), Box<dyn Error>> {
    // 1. Orders: an id, a customer, the day in the shop's calendar and the
    //    amount in minor units (cents). A return carries the refund (<= 0)
    //    and nets against monetary; a cancelled order counts nowhere.
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or("bad date");
    let rows = [
        ("A-01", "C01", day(2025, 3, 2)?, 12_000),
        ("A-02", "C03", day(2024, 8, 1)?, 9_999),
        ("A-03", "C04", day(2025, 7, 7)?, 6_000),
        ("A-04", "C01", day(2025, 6, 15)?, 8_990),
        ("A-05", "C03", day(2024, 11, 29)?, 13_000),
        ("A-06", "C05", day(2025, 11, 15)?, 4_500),
        ("A-07", "C04", day(2025, 10, 1)?, 2_550),
        ("A-08", "C01", day(2025, 9, 9)?, 4_510),
        ("A-09", "C03", day(2025, 2, 14)?, 7_001),
        ("A-10", "C04", day(2025, 11, 20)?, -5_000),
        ("A-11", "C02", day(2025, 12, 20)?, 4_500),
        ("A-12", "C01", day(2025, 12, 20)?, 15_000),
        ("A-13", "C02", day(2025, 12, 28)?, 50_000),
    ];
    let orders: Vec<Order> = rows
        .into_iter()
        .map(|(id, customer, date, cents)| {
            let order = Order::new(id, customer, date, Money::new(cents));
            match id {
                "A-10" => order.with_status(OrderStatus::Returned),
                "A-13" => order.with_status(OrderStatus::Cancelled),
                _ => order,
            }
        })
        .collect();

    // 2. Per-customer summaries as of an explicit date (never the clock):
    //    recency in days, frequency, monetary net of returns. An order
    //    dated after the as-of date is an error.
    let as_of = day(2025, 12, 31)?;
    let summaries = Summaries::from_orders(&orders, as_of)?;

    // 3. Fit the model: 5 bins by rank (equal-count bins, ties broken by
    //    customer id). The default method is `Quantile`.
    let config = ScoringConfig::builder()
        .method(Method::Rank)
        .bins(5)
        .build()?;
    let model = RfmModel::fit(&config, &summaries);

    // 4. Score everyone, then name the segments (first matching rule wins).
    let scores = model.score_all(&summaries);
    let segments = SegmentTable::standard().segment_all(&scores)?;

    println!("customer_id,recency_days,frequency,monetary,r,f,m,segment");
    for customer in segments.iter() {
        let s = &customer.scored;
        println!(
            "{},{},{},{},{},{},{},{}",
            s.customer,
            s.recency_days,
            s.frequency,
            s.monetary.display_decimal(2),
            s.score.r,
            s.score.f,
            s.score.m,
            customer.segment
        );
    }

    // 5. The model's cuts and the per-segment report, for humans (stderr,
    //    so that stdout stays the CSV above).
    eprintln!("{}\n", model.display_table(2));
    eprintln!("{}", segments.report()?.display_table(2));

    // 6. A fitted model is data: save it, load it back, and score later
    //    summaries against the same cuts (`rfmkit score --model-out` and
    //    `--model`). The same data gives the same scores.
    let json = serde_json::to_string(&model)?;
    let frozen: RfmModel = serde_json::from_str(&json)?;
    assert_eq!(frozen.score_all(&summaries), scores);
    eprintln!("\nthe model as JSON: {} bytes", json.len());
    Ok(())
}
