//! The columnar fast path against the object pipeline and a naive
//! reference, and (with `parallel`) against itself on one thread.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;
use rfmkit::audience::{Profiles, Rule};
use rfmkit::columnar::{IdOrder, OrderBatch, RowPolicy};
use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
use rfmkit::segment::{SegmentRule, SegmentTable};
use rfmkit::sim::SimConfig;
use rfmkit::summary::Summaries;
use rfmkit::{Error, Money, Order};

use crate::common::d;
use crate::props::strategies::{as_of, valid_orders};

fn rank(bins: u8) -> ScoringConfig {
    ScoringConfig::builder()
        .method(Method::Rank)
        .bins(bins)
        .build()
        .unwrap()
}

/// The benchmark's segment table (issue 6).
fn bench_table() -> SegmentTable {
    SegmentTable::builder(5)
        .rule(
            SegmentRule::new("champions")
                .unwrap()
                .r(4..=5)
                .f(4..=5)
                .m(4..=5),
        )
        .rule(SegmentRule::new("loyal").unwrap().f(4..=5))
        .rule(SegmentRule::new("new").unwrap().r(4..=5).f(1..=1))
        .rule(SegmentRule::new("at_risk").unwrap().r(1..=2).f(3..=5))
        .rule(SegmentRule::new("dormant").unwrap().r(1..=1))
        .fallback("other")
        .build()
        .unwrap()
}

fn batch_of(orders: &[Order]) -> OrderBatch {
    let mut b = OrderBatch::builder();
    for o in orders {
        b.push_order(o);
    }
    b.build().unwrap()
}

/// Asserts the columnar path equals the object pipeline on `orders`
/// (status policy = `ReturnsNetOnly`).
fn assert_same_as_objects(
    orders: &[Order],
    as_of: NaiveDate,
    bins: u8,
    table: &SegmentTable,
    query: &str,
) {
    let config = rank(bins);
    let summaries = Summaries::from_orders(orders, as_of).unwrap();
    let model = RfmModel::fit(&config, &summaries);
    let scores = model.score_all(&summaries);
    let segmentation = table.segment_all(&scores).unwrap();
    let profiles = Profiles::builder(&segmentation, &summaries)
        .build()
        .unwrap();

    let batch = batch_of(orders);
    let cs = batch.summarize(as_of, RowPolicy::ReturnsNetOnly).unwrap();
    let cscores = cs.score(&config).unwrap();
    assert_eq!(cscores.model(), &model);
    let cseg = cscores.segment(table).unwrap();
    for s in &scores {
        assert_eq!(
            cscores.get(s.customer.as_str()),
            Some(s.score),
            "{}",
            s.customer
        );
    }
    for c in &segmentation {
        assert_eq!(cseg.get(c.scored.customer.as_str()), Some(&c.segment));
    }
    // Unscored in the batch (returns only) are unscored objects too.
    for (i, id) in batch.customers().iter().enumerate() {
        if cscores.score_at(i).is_none() {
            assert!(scores.unscored().contains(id), "{id}");
        }
    }
    let report = segmentation.report();
    for (segment, count) in cseg.counts() {
        let expected = report
            .rows()
            .iter()
            .find(|r| &r.segment == segment)
            .map_or(0, |r| r.customers);
        assert_eq!(count, expected, "{segment}");
    }
    let cprofiles = cseg.profiles();
    let rule = Rule::parse(query, &profiles.schema()).unwrap();
    assert_eq!(
        cprofiles.compile(&rule).unwrap().selected(),
        profiles.compile(&rule).unwrap().selected()
    );
}

#[test]
fn simulated_shop_matches_the_object_pipeline() {
    let shop = SimConfig::builder()
        .seed(11)
        .customers(3_000)
        .orders(30_000)
        .return_rate(0.05)
        .cancel_rate(0.02)
        .build()
        .unwrap()
        .generate();
    assert_same_as_objects(
        shop.orders(),
        shop.as_of(),
        5,
        &bench_table(),
        "segment in (at_risk, dormant) and monetary >= 100.00",
    );
    assert_same_as_objects(
        shop.orders(),
        shop.as_of(),
        5,
        &SegmentTable::standard(),
        "r >= 4 and frequency > 2 and last_order >= -60d",
    );
}

/// A naive reference for `RowPolicy::EveryRow`: BTreeMap aggregation, sort
/// by (key, id), score = ⌈n·r/N⌉.
fn naive_every_row(
    rows: &[(String, NaiveDate, i64)],
    as_of: NaiveDate,
    n: usize,
) -> BTreeMap<String, [usize; 3]> {
    let mut agg: BTreeMap<String, (NaiveDate, i64, i64)> = BTreeMap::new();
    for (c, day, a) in rows {
        let e = agg.entry(c.clone()).or_insert((*day, 0, 0));
        e.0 = e.0.max(*day);
        e.1 += 1;
        e.2 += a;
    }
    let total = agg.len();
    let mut out: BTreeMap<String, [usize; 3]> = agg.keys().map(|k| (k.clone(), [0; 3])).collect();
    for dim in 0..3 {
        let mut v: Vec<(i64, &String)> = agg
            .iter()
            .map(|(k, &(last, count, sum))| {
                let key = match dim {
                    0 => -(as_of - last).num_days(),
                    1 => count,
                    _ => sum,
                };
                (key, k)
            })
            .collect();
        v.sort();
        for (pos, (_, k)) in v.iter().enumerate() {
            out.get_mut(*k).unwrap()[dim] = (n * (pos + 1)).div_ceil(total);
        }
    }
    out
}

#[test]
fn every_row_matches_a_naive_reference() {
    let shop = SimConfig::builder()
        .seed(5)
        .customers(2_000)
        .orders(15_000)
        .return_rate(0.08)
        .build()
        .unwrap()
        .generate();
    let rows: Vec<(String, NaiveDate, i64)> = shop
        .orders()
        .iter()
        .map(|o| (o.customer().to_string(), o.date(), o.amount().minor_units()))
        .collect();
    let mut b = OrderBatch::builder();
    for (c, day, a) in &rows {
        b.push(c, *day, Money::new(*a));
    }
    let batch = b.build().unwrap();
    let cs = batch.summarize(shop.as_of(), RowPolicy::EveryRow).unwrap();
    let scores = cs.score(&rank(5)).unwrap();
    let expected = naive_every_row(&rows, shop.as_of(), 5);
    assert_eq!(batch.customers().len(), expected.len());
    for (id, [r, f, m]) in &expected {
        let got = scores.get(id).unwrap();
        let got = [got.r.get(), got.f.get(), got.m.get()].map(usize::from);
        assert_eq!(got, [*r, *f, *m], "{id}");
    }
}

#[test]
fn every_row_counts_returns_as_orders() {
    let mut b = OrderBatch::builder();
    b.push("a", d(1, 5), Money::new(1_000));
    b.push("a", d(2, 1), Money::new(-300)); // a return, the latest row
    let batch = b.build().unwrap();
    let every = batch.summarize(d(2, 11), RowPolicy::EveryRow).unwrap();
    assert_eq!(
        (every.recency_days(0), every.frequency(0), every.monetary(0)),
        (Some(10), Some(2), Some(Money::new(700)))
    );
    let net = batch
        .summarize(d(2, 11), RowPolicy::ReturnsNetOnly)
        .unwrap();
    // 2025-01-05 to 2025-02-11: 37 days.
    assert_eq!(
        (net.recency_days(0), net.frequency(0), net.monetary(0)),
        (Some(37), Some(1), Some(Money::new(700)))
    );
}

#[test]
fn numeric_id_order_breaks_ties_by_value() {
    // Three customers, equal in everything: ranks follow the ids.
    let build = |order: IdOrder| {
        let mut b = OrderBatch::builder().id_order(order);
        for id in ["10", "9", "100"] {
            b.push(id, d(1, 1), Money::new(100));
        }
        b.build().unwrap()
    };
    let numeric = build(IdOrder::Numeric);
    let ids: Vec<&str> = numeric.customers().iter().map(|c| c.as_str()).collect();
    assert_eq!(ids, ["9", "10", "100"]);
    let text = build(IdOrder::Text);
    let ids: Vec<&str> = text.customers().iter().map(|c| c.as_str()).collect();
    assert_eq!(ids, ["10", "100", "9"]);
    // 3 bins over 3 customers: positions 1, 2, 3 score 1, 2, 3.
    let s = numeric.summarize(d(1, 2), RowPolicy::EveryRow).unwrap();
    let scores = s.score(&rank(3)).unwrap();
    assert_eq!(scores.get("9").unwrap().m.get(), 1);
    assert_eq!(scores.get("100").unwrap().m.get(), 3);

    let mut b = OrderBatch::builder().id_order(IdOrder::Numeric);
    b.push("C1", d(1, 1), Money::new(1));
    assert!(matches!(b.build(), Err(Error::InvalidConfig { .. })));
}

#[test]
fn errors_and_empty_input() {
    let mut b = OrderBatch::builder();
    b.push("a", d(1, 1), Money::new(1));
    b.push("b", d(3, 1), Money::new(1));
    let batch = b.build().unwrap();
    let err = batch.summarize(d(2, 1), RowPolicy::EveryRow).unwrap_err();
    assert!(
        matches!(err, Error::OrderAfterAsOf { index: 1, .. }),
        "{err}"
    );

    let mut b = OrderBatch::builder();
    b.push("a", d(1, 1), Money::new(i64::MAX));
    b.push("a", d(1, 2), Money::new(1));
    b.push("b", d(1, 2), Money::new(i64::MAX));
    b.push("b", d(1, 3), Money::new(1));
    b.push("b", d(1, 3), Money::new(-5)); // back in range
    let batch = b.build().unwrap();
    let err = batch.summarize(d(2, 1), RowPolicy::EveryRow).unwrap_err();
    assert!(
        matches!(&err, Error::Overflow { customer } if customer.as_str() == "a"),
        "{err}"
    );

    let quantile = ScoringConfig::default();
    let batch = OrderBatch::builder().build().unwrap();
    let s = batch.summarize(d(1, 1), RowPolicy::EveryRow).unwrap();
    assert!(matches!(
        s.score(&quantile),
        Err(Error::InvalidConfig { .. })
    ));
    let scores = s.score(&rank(5)).unwrap();
    assert_eq!(scores.model().population(), 0);
    let seg = scores.segment(&SegmentTable::standard()).unwrap();
    assert!(seg.counts().iter().all(|(_, c)| *c == 0));
    assert!(seg.profiles().is_empty());
    assert!(matches!(
        scores.segment(&SegmentTable::builder(3).fallback("x").build().unwrap()),
        Err(Error::InvalidConfig { .. })
    ));
}

#[test]
fn fitted_model_scores_single_customers_like_the_batch() {
    let shop = SimConfig::builder()
        .seed(3)
        .customers(500)
        .orders(4_000)
        .build()
        .unwrap()
        .generate();
    let batch = batch_of(shop.orders());
    let cs = batch
        .summarize(shop.as_of(), RowPolicy::ReturnsNetOnly)
        .unwrap();
    let scores = cs.score(&rank(5)).unwrap();
    let summaries = Summaries::from_orders(shop.orders(), shop.as_of()).unwrap();
    for s in &summaries {
        let Ok(one) = scores.model().score(s) else {
            continue;
        };
        assert_eq!(scores.get(s.customer().as_str()), Some(one));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_columnar_equals_objects(orders in valid_orders(60), bins in 2u8..=6) {
        let table = SegmentTable::builder(bins).fallback("everyone").build().unwrap();
        assert_same_as_objects(&orders, as_of(), bins, &table, "r >= 2 and monetary > 10.00");
    }
}

#[cfg(feature = "parallel")]
mod parallel {
    use super::*;

    /// The model, each customer's segment, score and monetary, the segment
    /// counts and the audience size.
    type Outputs = (RfmModel, Vec<Option<String>>, Vec<(String, usize)>, usize);

    /// Everything the pipeline outputs, on a pool of `threads`.
    fn run(batch: &OrderBatch, as_of: NaiveDate, threads: usize, policy: RowPolicy) -> Outputs {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let cs = batch.summarize(as_of, policy).unwrap();
            let scores = cs.score(&rank(5)).unwrap();
            let seg = scores.segment(&bench_table()).unwrap();
            let each = (0..batch.customers().len())
                .map(|i| {
                    seg.segment_at(i)
                        .map(|s| format!("{s} {:?} {:?}", scores.score_at(i), cs.monetary(i)))
                })
                .collect();
            let counts = seg
                .counts()
                .into_iter()
                .map(|(s, c)| (s.to_string(), c))
                .collect();
            let profiles = seg.profiles();
            let rule = Rule::parse(
                "segment in (at_risk, dormant) and monetary >= 100.00",
                &profiles.schema(),
            )
            .unwrap();
            let audience = profiles.compile(&rule).unwrap().tally().selected;
            (scores.model().clone(), each, counts, audience)
        })
    }

    #[test]
    fn large_batch_is_bit_identical_across_thread_counts() {
        let shop = SimConfig::builder()
            .seed(9)
            .customers(20_000)
            .orders(200_000)
            .return_rate(0.05)
            .build()
            .unwrap()
            .generate();
        let mut b = OrderBatch::builder();
        for o in shop.orders() {
            b.push(o.customer().as_str(), o.date(), o.amount());
        }
        let batch = b.build().unwrap();
        let one = run(&batch, shop.as_of(), 1, RowPolicy::EveryRow);
        for threads in [2, 3, 4] {
            assert_eq!(run(&batch, shop.as_of(), threads, RowPolicy::EveryRow), one);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn prop_parallel_equals_sequential(orders in valid_orders(200), copies in 1usize..400) {
            // Repeat the orders so the batch passes the parallel threshold.
            let mut b = OrderBatch::builder();
            for k in 0..copies {
                for o in &orders {
                    let id = format!("{}-{}", o.customer(), k % 7);
                    b.push(&id, o.date(), o.amount());
                }
            }
            let batch = b.build().unwrap();
            for policy in [RowPolicy::EveryRow, RowPolicy::ReturnsNetOnly] {
                prop_assert_eq!(run(&batch, as_of(), 2, policy), run(&batch, as_of(), 1, policy));
            }
        }
    }
}

#[test]
fn policies_round_trip_through_serde() {
    for p in [RowPolicy::EveryRow, RowPolicy::ReturnsNetOnly] {
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<RowPolicy>(&json).unwrap(), p);
    }
    assert_eq!(
        serde_json::to_string(&IdOrder::Numeric).unwrap(),
        "\"numeric\""
    );
    assert_eq!(
        serde_json::from_str::<IdOrder>("\"text\"").unwrap(),
        IdOrder::Text
    );
}
