//! LTV and CRM KPIs of a simulated shop: population KPIs, LTV per
//! acquisition channel against its acquisition cost, and monthly cohorts.
//!
//! ```text
//! cargo run --release --example ltv_report
//! ```
//!
//! The shop is the crate's deterministic simulator (20,000 customers,
//! 100,000 completed orders from 2023 to 2026, five channels, three stores,
//! costs on every order). The acquisition costs below are made up for the
//! example: a cheap organic `web`, a paid `instagram_ads` that costs more
//! than its customers bring in, and the seed-003 thresholds (LTV/CAC above 3
//! is healthy, below 1 loses money) to read them with.
//!
//! It teaches the `ltv` module: [`LtvReport`] (KPIs of the population, per
//! channel and per store, and monthly cohorts), [`LtvCacTable`] against
//! [`AcquisitionCosts`], and [`CohortTable`]. The command line computes the
//! same report from an order file (the hand-computed fixture here):
//!
//! ```text
//! rfmkit ltv --input tests/data/ltv_small.csv --as-of 2025-12-31 --format table
//! rfmkit ltv --input orders.csv --as-of 2025-12-31 --cac web=15.00 --cac instagram_ads=90.00
//! ```

use std::error::Error;
use std::io::{self, Write};
use std::process::ExitCode;

use chrono::NaiveDate;
use rfmkit::Money;
use rfmkit::ltv::{
    AcquisitionCosts, Cac, CohortMetric, CohortTable, DateRange, KpiConfig, LtvBasis, LtvCacTable,
    LtvReport,
};
use rfmkit::sim::SimConfig;

/// Currency decimals of the simulated shop (cents).
const SCALE: u32 = 2;

fn run() -> Result<String, Box<dyn Error>> {
    let shop = SimConfig::builder()
        .customers(20_000)
        .orders(100_000)
        .seed(42)
        .build()?
        .generate();
    let as_of = shop.as_of();
    let config = KpiConfig::default();
    let report = LtvReport::from_orders(shop.orders(), as_of, &config)?;

    // Acquisition cost per new customer, in cents.
    let cac = |cents| Cac::new(Money::new(cents));
    let costs = AcquisitionCosts::new()
        .with_channel("web", cac(1_500)?)
        .with_channel("app", cac(4_000)?)
        .with_channel("marketplace", cac(9_000)?)
        .with_channel("instagram_ads", cac(30_000)?)
        .with_channel("referral", cac(2_000)?);
    let margin = LtvCacTable::from_report(&report, &costs, LtvBasis::Margin)?;
    let losing: Vec<String> = margin
        .losing()
        .map(|r| {
            r.channel
                .as_ref()
                .map_or_else(|| "(unknown)".to_owned(), ToString::to_string)
        })
        .collect();

    // The full cohort table has one column per month since 2023; show the
    // customers acquired in 2025, one cohort per month.
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("bad date")?;
    let end = NaiveDate::from_ymd_opt(2025, 12, 31).ok_or("bad date")?;
    let recent = KpiConfig::builder()
        .acquired(DateRange::new(start, end)?)
        .build()?;
    let cohorts = CohortTable::from_orders(shop.orders(), as_of, &recent)?;

    Ok(format!(
        "simulated shop: {} orders (returns and cancellations included), as of {as_of}\n\n\
         {}\n\n\
         per acquisition channel:\n{}\n\n\
         per acquisition store:\n{}\n\n\
         margin LTV against acquisition cost (healthy > 3, thin 1..=3, losing < 1):\n{}\n\
         channels losing money: {}\n\n\
         customers acquired in 2025, by month of first order:\n\n{}\n\n{}\n\n{}",
        shop.orders().len(),
        report.kpis.display_table(SCALE),
        report.by_channel.display_table(SCALE),
        report.by_store.display_table(SCALE),
        margin.display_table(SCALE),
        if losing.is_empty() {
            "none".to_owned()
        } else {
            losing.join(", ")
        },
        cohorts.display_metric(CohortMetric::Retention, SCALE),
        cohorts.display_metric(CohortMetric::CumulativeRevenuePerCustomer, SCALE),
        cohorts.display_metric(CohortMetric::CumulativeMarginPerCustomer, SCALE),
    ))
}

fn main() -> ExitCode {
    match run() {
        Ok(text) => {
            // A closed stdout (say, piped to `head`) is not an error.
            let _ = writeln!(io::stdout().lock(), "{text}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            let _ = writeln!(io::stderr().lock(), "error: {err}");
            ExitCode::FAILURE
        }
    }
}
