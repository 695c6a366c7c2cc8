//! Audiences: simulate a shop, define three campaign audiences (one per
//! front end: typed Rust, stored JSON, a typed query), print their sizes,
//! run one as a campaign with a 10% control group, and explain the result
//! for two customers.
//!
//! ```text
//! cargo run --release --example audience
//! ```
//!
//! The command line selects an audience from an order file (and a
//! customers file for the record fields) the same way:
//!
//! ```text
//! rfmkit audience --input orders.csv --as-of 2025-12-31 --customers customers.csv \
//!     --query 'segment in (at_risk, cant_lose_them) and email_opt_in' \
//!     --control 0.1 --campaign winback-demo --explain C04
//! ```

use std::error::Error;

use rfmkit::Money;
use rfmkit::audience::{Period, Profiles, Prospects, Rule, StoredRule, Truth, field};
use rfmkit::campaign::{Audience, Campaign, Limit, SortOrder, Suppression, SuppressionReason};
use rfmkit::rfm::{RfmModel, ScoringConfig};
use rfmkit::segment::SegmentTable;
use rfmkit::sim::SimConfig;
use rfmkit::summary::Summaries;

/// The win-back audience as a back end stores it: a versioned JSON rule.
const WINBACK_JSON: &str = r#"{"version": 1, "rule": {"and": [
  {"field": "segment", "op": "in", "value": ["at_risk", "cant_lose_them"]},
  {"field": "monetary", "op": "ge", "value": 30000},
  {"field": "last_order", "op": "lt", "value": {"ago": "90d"}},
  {"field": "email_opt_in", "op": "eq", "value": true}
]}}"#;

/// The birthday audience as a marketer types it.
const BIRTHDAY_QUERY: &str =
    "birthday within 14d and (email_opt_in or sms_opt_in) and segment not in (lost)";

fn main() -> Result<(), Box<dyn Error>> {
    let shop = SimConfig::builder()
        .customers(20_000)
        .orders(100_000)
        .seed(42)
        .build()?
        .generate();
    let as_of = shop.as_of();
    let summaries = Summaries::from_orders(shop.orders(), as_of)?;
    let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    let segmentation = SegmentTable::standard().segment_all(&scores)?;
    let profiles = Profiles::builder(&segmentation, &summaries)
        .customers(shop.customers())
        .prospects(Prospects::Exclude)
        .scale(2)
        .build()?;
    println!(
        "{} profiles as of {as_of} (simulated shop, seed 42)\n",
        profiles.len()
    );

    // 1. Typed Rust: F2 conversion, one-time buyers of the last 60 days who
    //    opted in to e-mail.
    let f2 = field::frequency().eq(1)
        & field::first_order().ge(Period::days(60).ago())
        & field::email_opt_in().is_true();
    // 2. Stored JSON: win-back of lapsing big spenders.
    let winback = serde_json::from_str::<StoredRule>(WINBACK_JSON)?.into_rule();
    // 3. Query text, checked against the profiles' segments and attributes.
    let birthday = Rule::parse(BIRTHDAY_QUERY, &profiles.schema())?;

    println!(
        "{:<10} {:>9} {:>9} {:>9}  rule",
        "audience", "selected", "rejected", "unknown"
    );
    for (name, rule) in [("f2", &f2), ("winback", &winback), ("birthday", &birthday)] {
        let tally = profiles.compile(rule)?.tally();
        println!(
            "{name:<10} {:>9} {:>9} {:>9}  {}",
            tally.selected,
            tally.rejected,
            tally.unknown,
            rule.display_query(profiles.scale())
        );
    }

    // The same win-back audience written in the other two front ends.
    let built = field::segment().is_in(["at_risk", "cant_lose_them"])?
        & field::monetary().ge(Money::new(30_000))
        & field::last_order().lt(Period::days(90).ago())
        & field::email_opt_in().is_true();
    let typed = Rule::parse(
        "segment in (at_risk, cant_lose_them) and monetary >= 300.00 \
         and last_order < -90d and email_opt_in",
        &profiles.schema(),
    )?;
    let same = [&built, &typed]
        .iter()
        .all(|r| Audience::select(&profiles, r).ok() == Audience::select(&profiles, &winback).ok());
    println!("\nwinback written three ways selects the same customers: {same}");

    // Audiences combine as sets.
    let winback_set = Audience::select(&profiles, &winback)?;
    let birthday_set = Audience::select(&profiles, &birthday)?;
    println!(
        "winback and birthday: {} customers in both, {} in either",
        winback_set.intersection(&birthday_set).len(),
        winback_set.union(&birthday_set).len()
    );

    // A campaign: suppress recent complainers, keep the top 400 by
    // monetary, hold out 10% as a control group.
    let mut suppression = Suppression::new();
    for id in winback_set.iter().step_by(25) {
        suppression.insert(id.clone(), SuppressionReason::Complained);
    }
    let campaign = Campaign::builder("winback-demo", winback.clone())
        .limit(Limit::new(
            400,
            rfmkit::audience::Field::Monetary,
            SortOrder::Descending,
        )?)
        .control(0.10)
        .build()?;
    let run = campaign.run(&profiles, &suppression)?;
    println!(
        "\ncampaign {}: {} matched, {} suppressed, {} over the limit -> {} target + {} control ({:.1}% held out)",
        run.key,
        run.matched,
        run.suppressed.len(),
        run.over_limit.len(),
        run.target.len(),
        run.control.len(),
        100.0 * run.control.len() as f64 / (run.target.len() + run.control.len()).max(1) as f64
    );

    // Why is (isn't) a customer in the win-back audience?
    let compiled = profiles.compile(&winback)?;
    let selected = compiled.selected();
    let inside = selected.first();
    let at_risk = |c: &&rfmkit::CustomerId| {
        profiles
            .get(c.as_str())
            .and_then(|p| p.segment)
            .is_some_and(|s| s.as_str() == "at_risk")
    };
    let outside = profiles
        .customers()
        .iter()
        .filter(at_risk)
        .find(|c| compiled.matches(c.as_str()) != Some(Truth::True));
    for customer in [inside, outside].into_iter().flatten() {
        if let Some(why) = compiled.explain(customer.as_str()) {
            println!("\n{why}");
        }
    }
    Ok(())
}
