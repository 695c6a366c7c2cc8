//! Tutorial: predictive CLV with BG/NBD and Gamma-Gamma on a simulated shop.
//!
//! ```text
//! cargo run --release --example clv
//! ```
//!
//! It teaches the `clv` module: split the order history at a calibration
//! end into per-customer `(x, t_x, T)` ([`BtydData`]), fit a transaction
//! model ([`TransactionFit`], BG/NBD here) and the spend model
//! ([`GammaGamma`]), check the fit on the holdout period, then predict each
//! customer's P(alive), expected purchases and discounted CLV
//! ([`PredictConfig`]). The published CDNOW fits are reproduced by the
//! `cdnow` example. The command line does the same on an order file:
//!
//! ```text
//! rfmkit clv --input orders.csv --calibration-end 2025-06-30 --observation-end 2025-12-31 \
//!     --model bg_nbd --output predictions.csv
//! ```

use std::error::Error;

use chrono::Days;
use rfmkit::clv::{BtydConfig, BtydData, GammaGamma, ModelKind, PredictConfig, TransactionFit};
use rfmkit::ltv::TimeUnit;
use rfmkit::sim::SimConfig;

fn main() -> Result<(), Box<dyn Error>> {
    // A deterministic shop: the same seed gives the same orders everywhere.
    let shop = SimConfig::builder()
        .customers(5_000)
        .orders(25_000)
        .seed(42)
        .build()?
        .generate();
    let as_of = shop.as_of();

    // 1. Calibrate on the orders up to 26 weeks before the as-of date and
    //    keep the last 26 weeks as a holdout to check the predictions.
    let calibration_end = as_of
        .checked_sub_days(Days::new(26 * 7))
        .ok_or("date out of range")?;
    let config = BtydConfig::builder(calibration_end)
        .observation_end(as_of)
        .unit(TimeUnit::Week)
        .build()?;
    let data = BtydData::from_orders(shop.orders(), &config)?;
    println!(
        "{} customers, {} repeat buyers; calibration to {calibration_end}, holdout to {as_of}",
        data.len(),
        data.repeat_buyers()
    );

    // 2. Fit BG/NBD (purchases while alive, then a drop-out chance after
    //    each purchase) and Gamma-Gamma (spend per repeat purchase).
    let fit = TransactionFit::fit(ModelKind::BgNbd, &data)?;
    let params: Vec<String> = fit
        .model
        .parameters()
        .into_iter()
        .map(|(name, value)| format!("{name} = {value:.4}"))
        .collect();
    println!(
        "BG/NBD: {} (log-likelihood {:.1}, converged {})",
        params.join(", "),
        fit.diagnostics.log_likelihood,
        fit.diagnostics.converged
    );
    let spend = GammaGamma::fit(&data)?;
    let gg = &spend.model;
    println!(
        "Gamma-Gamma: p = {:.3}, q = {:.3}, gamma = {:.1} (cents)",
        gg.p(),
        gg.q(),
        gg.gamma()
    );

    // 3. The holdout check: actual against predicted purchases, grouped by
    //    calibration repeat purchases (0, 1, ..., 7+).
    let table = fit.holdout_table(&data, 7)?;
    println!(
        "holdout: {} purchases actual, {:.1} predicted (MAE per customer {:.3})",
        table.actual_total, table.predicted_total, table.mean_absolute_error
    );

    // 4. Predict over the next year: P(alive), expected purchases and the
    //    CLV of a 30% margin discounted at 1% a month.
    let predict = PredictConfig::builder()
        .horizon_days(365.0)
        .margin(0.3)
        .discount_rate(0.01)
        .build()?;
    let predictions = fit.predict(&data, Some(&spend), &predict)?;
    let mut best: Vec<_> = predictions.iter().filter(|p| p.clv.is_some()).collect();
    best.sort_by(|a, b| b.clv.cmp(&a.clv).then_with(|| a.customer.cmp(&b.customer)));
    println!("\nthe five most valuable customers over the next year:");
    println!("customer   x    t_x      T  p_alive  purchases      clv");
    for p in best.iter().take(5) {
        println!(
            "{:<8} {:>3} {:>6.1} {:>6.1} {:>8.3} {:>10.2} {:>8}",
            p.customer,
            p.btyd.x(),
            p.btyd.t_x(),
            p.btyd.t(),
            p.p_alive,
            p.expected_purchases,
            p.clv
                .map_or_else(String::new, |m| m.display_decimal(2).to_string())
        );
    }
    Ok(())
}
