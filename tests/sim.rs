//! The whole pipeline on a small simulated shop: invariants that need no
//! hand arithmetic, checked against sums computed here from the raw orders.

use std::collections::BTreeMap;

use rfmkit::order::OrderStatus;
use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
use rfmkit::segment::SegmentTable;
use rfmkit::sim::SimConfig;
use rfmkit::summary::SummaryConfig;

#[test]
fn simulated_shop_runs_through_the_pipeline() {
    let config = SimConfig::builder()
        .customers(300)
        .orders(2_000)
        .seed(11)
        .build()
        .unwrap();
    let shop = config.generate();
    assert_eq!(shop, config.generate(), "same config, same shop");

    let out = SummaryConfig::new(shop.as_of())
        .summarize_for(shop.orders(), shop.customers())
        .unwrap();
    assert!(out.skipped.is_empty());
    let summaries = out.summaries;

    // Independent per-customer sums of the raw orders.
    let mut net: BTreeMap<&str, i128> = BTreeMap::new();
    let mut completed: BTreeMap<&str, u64> = BTreeMap::new();
    for o in shop.orders() {
        let c = o.customer().as_str();
        match o.status() {
            OrderStatus::Completed => {
                *net.entry(c).or_default() += i128::from(o.amount().minor_units());
                *completed.entry(c).or_default() += 1;
            }
            OrderStatus::Returned => {
                *net.entry(c).or_default() += i128::from(o.amount().minor_units());
            }
            _ => {}
        }
    }
    assert_eq!(completed.values().sum::<u64>(), 2_000);
    // Every customer buys at least once.
    assert_eq!(summaries.len(), 300);
    for s in &summaries {
        let id = s.customer().as_str();
        assert_eq!(i128::from(s.monetary().minor_units()), net[id], "{id}");
        assert_eq!(s.orders(), completed[id], "{id}");
    }

    for method in [Method::Quantile, Method::Rank] {
        let scoring = ScoringConfig::builder().method(method).build().unwrap();
        let scores = RfmModel::fit(&scoring, &summaries).score_all(&summaries);
        assert_eq!(scores.len(), 300);
        assert!(scores.unscored().is_empty());
        for table in [SegmentTable::standard(), SegmentTable::compact()] {
            let report = table.segment_all(&scores).unwrap().report().unwrap();
            assert_eq!(report.customers(), 300);
            let rows: usize = report.rows().iter().map(|r| r.customers).sum();
            assert_eq!(rows, 300);
            let revenue: i128 = report
                .rows()
                .iter()
                .map(|r| i128::from(r.revenue.minor_units()))
                .sum();
            assert_eq!(revenue, net.values().sum::<i128>());
        }
    }
}
