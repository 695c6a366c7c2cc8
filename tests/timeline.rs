//! Snapshots and transitions over time (issue 12): hand-computed moves,
//! frozen against refit, and the matrix against an independent join of
//! two separately scored dates.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;
use rfmkit::ingest::IngestConfig;
use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
use rfmkit::segment::SegmentTable;
use rfmkit::summary::Summaries;
use rfmkit::timeline::{EventKind, ModelMode, Snapshot, Transitions};
use rfmkit::{Error, Money, Order};

use crate::common::{buy, d, refund};
use crate::props::strategies::{as_of, five_bin_config, valid_orders};

fn rank() -> ScoringConfig {
    ScoringConfig::builder()
        .method(Method::Rank)
        .build()
        .unwrap()
}

fn lines(t: &Transitions) -> Vec<String> {
    t.changes().iter().map(ToString::to_string).collect()
}

/// The difference between the two modes, worked by hand. Rank method, 5
/// bins, N = 2 in March and N = 3 in June.
///
/// March 31: ann (1 order of 100.00 on 3/30) and ben (1 order of 50.00 on
/// 3/1). R: ben (30 days) rank 1 → ⌈5/2⌉ = 3, ann rank 2 → 5. F: tie at 1,
/// by id: ann 3, ben 5. M: ben 3, ann 5. ann 5-3-5 potential_loyalist, ben
/// 3-5-3 loyal.
///
/// June 30: ann and ben buy nothing; cid buys 3 orders of 1000.00 in June,
/// the last on the 30th.
///
/// Frozen (March's cuts, position ⌊k·2/5⌋ + 1 = 1, 1, 2, 2): R cuts are
/// ben's 30 days (twice) then ann's 1 day (twice). ann is now 92 days, ben
/// 121: both older than every cut → R 1. F and M unchanged (same values
/// and ids as March) → ann 1-3-5 (R 1–2, F 3–5: at_risk), ben 1-5-3 (not
/// cant_lose_them with M 3: at_risk). cid: R 5 (0 < 1 day), F 3 > 1 → 5,
/// M → 5.
///
/// Refit (June's own ranks, N = 3, scores ⌈5r/3⌉ = 2, 4, 5): R by last
/// purchase: ben (121) 2, ann (92) 4, cid 5. F: ann 1, ben 1, cid 3 → ann
/// 2, ben 4, cid 5. M: ben 2, ann 4, cid 5. ann 4-2-4 potential_loyalist
/// (unchanged segment, moved scores), ben 2-4-2 at_risk.
#[test]
fn frozen_and_refit_differ_as_worked_by_hand() {
    let orders = vec![
        buy("1", "ann", d(3, 30), 10_000),
        buy("2", "ben", d(3, 1), 5_000),
        buy("3", "cid", d(6, 1), 100_000),
        buy("4", "cid", d(6, 10), 100_000),
        buy("5", "cid", d(6, 30), 100_000),
    ];
    let log = IngestConfig::new(d(6, 30)).ingest(&orders).unwrap();
    let table = SegmentTable::standard();

    let frozen = Transitions::from_log(&log, d(3, 31), &rank(), &table, ModelMode::Frozen).unwrap();
    assert_eq!(frozen.mode(), ModelMode::Frozen);
    assert_eq!(
        lines(&frozen),
        [
            "ann: potential_loyalist 5-3-5 → at_risk 1-3-5",
            "ben: loyal 3-5-3 → at_risk 1-5-3",
            "cid: (absent) → champions 5-5-5",
        ]
    );

    let refit = Transitions::from_log(&log, d(3, 31), &rank(), &table, ModelMode::Refit).unwrap();
    assert_eq!(refit.mode(), ModelMode::Refit);
    assert_eq!(
        lines(&refit),
        [
            "ann: potential_loyalist 5-3-5 → potential_loyalist 4-2-4",
            "ben: loyal 3-5-3 → at_risk 2-4-2",
            "cid: (absent) → champions 5-5-5",
        ]
    );
    // ann's scores moved but her segment did not: no event for her.
    assert!(!refit.change("ann").unwrap().moved());
    let events: Vec<(String, EventKind, String)> = refit
        .events()
        .map(|e| (e.customer.to_string(), e.kind, e.segment.to_string()))
        .collect();
    assert_eq!(
        events,
        [
            ("ben".into(), EventKind::Exited, "loyal".into()),
            ("ben".into(), EventKind::Entered, "at_risk".into()),
            ("cid".into(), EventKind::Entered, "champions".into()),
        ]
    );
    assert!(refit.events().all(|e| e.date == d(6, 30)));
}

/// The matrix: cells in table order, absent last, with customers and both
/// revenues. A customer refunded in full stays scored (a return nets
/// monetary only), with monetary 0.
#[test]
fn the_matrix_counts_customers_and_revenue_per_cell() {
    // dan buys in February and is refunded in May: still a purchaser (the
    // status policy), monetary 0 in June. eve buys only in June.
    let orders = vec![
        buy("1", "dan", d(2, 1), 8_000),
        refund("2", "dan", d(5, 1), -8_000),
        buy("3", "eve", d(6, 2), 3_000),
        buy("4", "fay", d(3, 3), 1_000),
    ];
    let log = IngestConfig::new(d(6, 30)).ingest(&orders).unwrap();
    let table = SegmentTable::standard();
    let t = Transitions::from_log(&log, d(3, 31), &rank(), &table, ModelMode::Frozen).unwrap();
    // Every customer is in exactly one cell.
    let total: u64 = t.matrix().iter().map(|c| c.customers).sum();
    assert_eq!(total, 3);
    // Revenue at each side: March dan 80.00 + fay 10.00; June 0 + 30.00 + 10.00.
    let from: i64 = t
        .matrix()
        .iter()
        .map(|c| c.revenue_from.minor_units())
        .sum();
    let to: i64 = t.matrix().iter().map(|c| c.revenue_to.minor_units()).sum();
    assert_eq!((from, to), (9_000, 4_000));
    // eve's row: from absent, revenue 0 then 30.00.
    let eve = t.matrix().iter().find(|c| c.from.is_none()).unwrap();
    assert_eq!(
        (eve.customers, eve.revenue_from, eve.revenue_to),
        (1, Money::ZERO, Money::new(3_000))
    );
    // Absent sorts last: the last cell is the one from absent.
    assert!(t.matrix().last().unwrap().from.is_none());
}

#[test]
fn snapshots_must_share_a_table_and_go_forward() {
    let orders = [buy("1", "a", d(3, 1), 100), buy("2", "b", d(3, 2), 200)];
    let march = Summaries::from_orders(&orders, d(3, 31)).unwrap();
    let june = Summaries::from_orders(&orders, d(6, 30)).unwrap();
    let model = RfmModel::fit(&rank(), &march);
    let standard = Snapshot::take(&model, &SegmentTable::standard(), &march).unwrap();
    let compact = Snapshot::take(&model, &SegmentTable::compact(), &june).unwrap();
    let later = Snapshot::take(&model, &SegmentTable::standard(), &june).unwrap();
    assert!(matches!(
        Transitions::between(&standard, &compact),
        Err(Error::InvalidConfig { ref field, .. }) if field == "table"
    ));
    assert!(matches!(
        Transitions::between(&later, &standard),
        Err(Error::InvalidConfig { ref field, .. }) if field == "as_of"
    ));
    // Same snapshot twice: nobody moved, the matrix is the diagonal.
    let same = Transitions::between(&standard, &standard).unwrap();
    assert!(same.changes().is_empty());
    assert!(same.matrix().iter().all(|c| c.from == c.to));
}

#[test]
fn a_snapshot_round_trips_and_rejects_tampering() {
    let orders = [
        buy("1", "a", d(3, 1), 100),
        buy("2", "b", d(3, 2), 200),
        buy("3", "c", d(3, 9), 50),
    ];
    let summaries = Summaries::from_orders(&orders, d(3, 31)).unwrap();
    let model = RfmModel::fit(&rank(), &summaries);
    let snapshot = Snapshot::take(&model, &SegmentTable::standard(), &summaries).unwrap();
    let json = serde_json::to_value(&snapshot).unwrap();
    assert_eq!(json["customers"], serde_json::json!(["a", "b", "c"]));
    assert!(
        json.get("segment").is_none(),
        "segments are recomputed, not stored"
    );
    let back: Snapshot = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, snapshot);

    let tampered = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut j = json.clone();
        edit(&mut j);
        serde_json::from_value::<Snapshot>(j)
            .unwrap_err()
            .to_string()
    };
    let e = tampered(&|j| j["r"][1] = serde_json::json!(9));
    assert!(
        e.contains("r[1]") && e.contains("customer b") && e.contains("1..=5"),
        "{e}"
    );
    let e = tampered(&|j| j["customers"] = serde_json::json!(["a", "c", "b"]));
    assert!(
        e.contains("customers[2]") && e.contains("customer b"),
        "{e}"
    );
    let e = tampered(&|j| j["monetary"] = serde_json::json!([1, 2]));
    assert!(
        e.contains("monetary") && e.contains("2 entries for 3 customers"),
        "{e}"
    );
    let e = tampered(&|j| j["version"] = serde_json::json!(2));
    assert!(e.contains('2'), "{e}");
    let e = tampered(&|j| j["segment"] = serde_json::json!([0, 0, 0]));
    assert!(e.contains("unknown field"), "{e}");
}

/// (from segment, to segment) → (customers, revenue from, revenue to).
type Matrix = BTreeMap<(Option<String>, Option<String>), (u64, i64, i64)>;

/// The naive join: score each date on its own, then pair customers by id.
fn naive_matrix(
    orders: &[Order],
    from: NaiveDate,
    to: NaiveDate,
    config: &ScoringConfig,
    mode: ModelMode,
) -> Matrix {
    let table = SegmentTable::standard();
    let early: Vec<Order> = orders
        .iter()
        .filter(|o| o.date() <= from)
        .cloned()
        .collect();
    let s1 = Summaries::from_orders(&early, from).unwrap();
    let s2 = Summaries::from_orders(orders, to).unwrap();
    let m1 = RfmModel::fit(config, &s1);
    let m2 = match mode {
        ModelMode::Frozen => m1.clone(),
        _ => RfmModel::fit(config, &s2),
    };
    let seg1 = table.segment_all(&m1.score_all(&s1)).unwrap();
    let seg2 = table.segment_all(&m2.score_all(&s2)).unwrap();
    let mut side: BTreeMap<String, [Option<(String, i64)>; 2]> = BTreeMap::new();
    for c in &seg1 {
        side.entry(c.scored.customer.to_string()).or_default()[0] =
            Some((c.segment.to_string(), c.scored.monetary.minor_units()));
    }
    for c in &seg2 {
        side.entry(c.scored.customer.to_string()).or_default()[1] =
            Some((c.segment.to_string(), c.scored.monetary.minor_units()));
    }
    let mut cells = BTreeMap::new();
    for [a, b] in side.into_values() {
        let key = (
            a.as_ref().map(|x| x.0.clone()),
            b.as_ref().map(|x| x.0.clone()),
        );
        let cell = cells.entry(key).or_insert((0, 0, 0));
        cell.0 += 1;
        cell.1 += a.map_or(0, |x| x.1);
        cell.2 += b.map_or(0, |x| x.1);
    }
    cells
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `Transitions::from_log` equals the join of two independent runs, in
    /// both modes, for any split date.
    #[test]
    fn the_matrix_equals_the_join_of_two_runs(
        orders in valid_orders(60),
        back in 0u64..400,
        config in five_bin_config(),
        refit in any::<bool>(),
    ) {
        let to = as_of();
        let from = to - chrono::Days::new(back);
        let mode = if refit { ModelMode::Refit } else { ModelMode::Frozen };
        let log = IngestConfig::new(to).ingest(&orders).unwrap();
        let t = Transitions::from_log(&log, from, &config, &SegmentTable::standard(), mode).unwrap();
        let got: BTreeMap<_, _> = t
            .matrix()
            .iter()
            .map(|c| (
                (c.from.as_ref().map(ToString::to_string), c.to.as_ref().map(ToString::to_string)),
                (c.customers, c.revenue_from.minor_units(), c.revenue_to.minor_units()),
            ))
            .collect();
        prop_assert_eq!(got, naive_matrix(&orders, from, to, &config, mode));
        // Every change is a customer whose standing differs.
        for change in t.changes() {
            prop_assert!(change.before != change.after);
        }
    }

    /// The log as of an earlier date summarizes exactly the orders up to it.
    #[test]
    fn until_equals_summarizing_the_earlier_orders(
        orders in valid_orders(60),
        back in 0u64..400,
    ) {
        let to = as_of();
        let from = to - chrono::Days::new(back);
        let log = IngestConfig::new(to).ingest(&orders).unwrap();
        let early: Vec<Order> = orders.iter().filter(|o| o.date() <= from).cloned().collect();
        prop_assert_eq!(
            Summaries::from_log(&log.until(from).unwrap()).unwrap(),
            Summaries::from_orders(&early, from).unwrap()
        );
    }
}
