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

// ------------------------------------------------------------------- trend

mod trend {
    use std::collections::BTreeMap;

    use chrono::{Days, NaiveDate};
    use proptest::collection::btree_set;
    use proptest::prelude::*;
    use rfmkit::Error;
    use rfmkit::ingest::{IngestConfig, OrderLog};
    use rfmkit::ltv::{DateRange, KpiConfig, Kpis};
    use rfmkit::rfm::{RfmModel, ScoringConfig};
    use rfmkit::segment::SegmentTable;
    use rfmkit::summary::Summaries;
    use rfmkit::timeline::{Every, ModelMode, Snapshot, Trend, TrendConfig, TrendPoint, series};

    use crate::common::{buy, d, refund};
    use crate::props::strategies::{as_of, five_bin_config, valid_orders};

    /// The mix of a snapshot: segment -> (customers, monetary), nonzero
    /// segments only.
    fn snapshot_mix(s: &Snapshot) -> BTreeMap<String, (u64, i64)> {
        let mut out: BTreeMap<String, (u64, i64)> = BTreeMap::new();
        for row in s.iter() {
            let cell = out.entry(row.segment.to_string()).or_default();
            cell.0 += 1;
            cell.1 += row.monetary.minor_units();
        }
        out
    }

    fn point_mix(p: &TrendPoint) -> BTreeMap<String, (u64, i64)> {
        p.mix
            .iter()
            .filter(|s| s.customers > 0)
            .map(|s| {
                (
                    s.segment.to_string(),
                    (s.customers, s.monetary.minor_units()),
                )
            })
            .collect()
    }

    fn summaries_at(log: &OrderLog, date: NaiveDate) -> Summaries {
        Summaries::from_log(&log.until(date).unwrap()).unwrap()
    }

    /// Hand-computed: three month ends, a refund and a frozen model.
    ///
    /// alice buys 100.00 on 1/5 and 50.00 on 2/14 and returns 30.00 on
    /// 3/10; bob buys 20.00 on 1/10; carol buys 40.00 on 3/2.
    /// - 1/31: alice, bob; 2 orders, net 120.00; repeat 0/2.
    /// - 2/28: alice 2 orders; 3 orders, net 170.00, repeat 1/2, AOV 56.67.
    /// - 3/31: + carol, − 30.00; 4 orders, net 180.00, repeat 1/3, AOV 45.00,
    ///   LTV 180.00 / 3 = 60.00.
    #[test]
    fn a_trend_worked_by_hand() {
        let orders = [
            buy("A-1", "alice", d(1, 5), 10_000),
            buy("A-2", "alice", d(2, 14), 5_000),
            refund("A-3", "alice", d(3, 10), -3_000),
            buy("B-1", "bob", d(1, 10), 2_000),
            buy("C-1", "carol", d(3, 2), 4_000),
        ];
        let log = IngestConfig::new(d(3, 31)).ingest(&orders).unwrap();
        let dates = series(d(1, 31), d(3, 31), Every::Month).unwrap();
        assert_eq!(dates, [d(1, 31), d(2, 28), d(3, 31)]);
        let trend = Trend::from_log(&log, &dates, &TrendConfig::default()).unwrap();
        type Row = (u64, u64, i64, Option<i64>, Option<i64>);
        let got: Vec<Row> = trend
            .iter()
            .map(|p| {
                let k = &p.kpis;
                (
                    k.customers,
                    k.orders,
                    k.net_revenue.minor_units(),
                    k.average_order_value.map(|m| m.minor_units()),
                    k.ltv.map(|m| m.minor_units()),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (2, 2, 12_000, Some(6_000), Some(6_000)),
                (2, 3, 17_000, Some(5_667), Some(8_500)),
                (3, 4, 18_000, Some(4_500), Some(6_000)),
            ]
        );
        let repeat: Vec<Option<f64>> = trend.iter().map(|p| p.kpis.repeat_rate).collect();
        assert_eq!(repeat, [Some(0.0), Some(0.5), Some(1.0 / 3.0)]);
        assert!(trend.iter().all(|p| p.mix.is_empty()));
        assert_eq!(trend.mode(), None);
    }

    /// Frozen mix by hand: 2-bin thresholds (recency <= 30 days → R 2,
    /// frequency >= 2 → F 2, monetary >= 100.00 → M 2) and a 2-bin table
    /// `top` (R 2, F 2) else `rest`.
    /// - 1/31: alice 26 days, 1 order, 100.00 → 2-1-2 rest; bob 21 days,
    ///   1 order → 2-1-1 rest.
    /// - 2/28: alice 14 days, 2 orders, 150.00 → 2-2-2 top; bob 49 days →
    ///   rest.
    #[test]
    fn a_frozen_mix_worked_by_hand() {
        use rfmkit::rfm::{Method, Thresholds};
        use rfmkit::segment::SegmentRule;
        let orders = [
            buy("A-1", "alice", d(1, 5), 10_000),
            buy("A-2", "alice", d(2, 14), 5_000),
            buy("B-1", "bob", d(1, 10), 2_000),
        ];
        let log = IngestConfig::new(d(2, 28)).ingest(&orders).unwrap();
        let thresholds =
            Thresholds::new(vec![30], vec![2], vec![rfmkit::Money::new(10_000)]).unwrap();
        let scoring = ScoringConfig::builder()
            .bins(2)
            .method(Method::Thresholds(thresholds))
            .build()
            .unwrap();
        let model = RfmModel::fit(&scoring, &Summaries::empty(d(1, 31)));
        let table = SegmentTable::builder(2)
            .rule(SegmentRule::new("top").unwrap().r(2..=2).f(2..=2))
            .fallback("rest")
            .build()
            .unwrap();
        let config = TrendConfig::builder().frozen(model, table).build().unwrap();
        let trend = Trend::from_log(&log, &[d(1, 31), d(2, 28)], &config).unwrap();
        assert_eq!(trend.mode(), Some(ModelMode::Frozen));
        let mixes: Vec<Vec<(String, u64, i64)>> = trend
            .iter()
            .map(|p| {
                p.mix
                    .iter()
                    .map(|s| (s.segment.to_string(), s.customers, s.monetary.minor_units()))
                    .collect()
            })
            .collect();
        assert_eq!(
            mixes,
            [
                vec![("top".to_owned(), 0, 0), ("rest".to_owned(), 2, 12_000)],
                vec![("top".to_owned(), 1, 15_000), ("rest".to_owned(), 1, 2_000)],
            ]
        );
    }

    #[test]
    fn bad_dates_are_named() {
        let log = IngestConfig::new(d(3, 31))
            .ingest(&[buy("A-1", "alice", d(1, 5), 100)])
            .unwrap();
        let config = TrendConfig::default();
        let err = Trend::from_log(&log, &[d(2, 1), d(2, 1)], &config).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidConfig { field, .. } if field == "dates[1]"),
            "{err}"
        );
        let err = Trend::from_log(&log, &[d(3, 1), d(4, 1)], &config).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidConfig { field, .. } if field == "dates[1]"),
            "{err}"
        );
        // A date before every order: zero customers, ratios missing.
        let trend = Trend::from_log(&log, &[d(1, 1)], &config).unwrap();
        assert_eq!(trend.points()[0].kpis.customers, 0);
        assert_eq!(trend.points()[0].kpis.repeat_rate, None);
        // An empty series is an empty trend.
        assert!(Trend::from_log(&log, &[], &config).unwrap().is_empty());
    }

    #[test]
    fn month_series_clamp_without_carrying_over() {
        let y = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // From a month end: month ends (leap February).
        assert_eq!(
            series(y(2023, 11, 30), y(2024, 3, 31), Every::Month).unwrap(),
            [
                y(2023, 11, 30),
                y(2023, 12, 31),
                y(2024, 1, 31),
                y(2024, 2, 29),
                y(2024, 3, 31)
            ]
        );
        // From the 29th (not a month end): clamped in February only.
        assert_eq!(
            series(y(2025, 1, 29), y(2025, 3, 29), Every::Month).unwrap(),
            [y(2025, 1, 29), y(2025, 2, 28), y(2025, 3, 29)]
        );
        // `to` off the step is not added.
        assert_eq!(
            series(y(2025, 1, 1), y(2025, 1, 3), Every::Day)
                .unwrap()
                .len(),
            3
        );
        assert_eq!("week".parse::<Every>().unwrap(), Every::Week);
        assert!("fortnight".parse::<Every>().is_err());
    }

    fn kpi_config() -> impl Strategy<Value = KpiConfig> {
        (
            1u32..60,
            1u32..60,
            proptest::option::of((0u64..90, 0u64..60)),
        )
            .prop_map(|(f2, churn, window)| {
                let mut b = KpiConfig::builder().f2_days(f2).churn_days(churn);
                if let Some((back, len)) = window {
                    let start = as_of() - Days::new(back);
                    b = b.acquired(DateRange::new(start, start + Days::new(len)).unwrap());
                }
                b.build().unwrap()
            })
    }

    fn dates_from(backs: &std::collections::BTreeSet<u64>) -> Vec<NaiveDate> {
        backs
            .iter()
            .rev()
            .map(|&b| as_of() - Days::new(b))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The one-pass trend equals the KPIs computed separately at every
        /// date from the log cut at that date, in total and per channel.
        #[test]
        fn the_trend_equals_the_kpis_at_every_date(
            orders in valid_orders(60),
            backs in btree_set(0u64..120, 0..6),
            kpi in kpi_config(),
        ) {
            let log = IngestConfig::new(as_of()).ingest(&orders).unwrap();
            let dates = dates_from(&backs);
            let config = TrendConfig::builder().kpi(kpi.clone()).build().unwrap();
            let trend = Trend::from_log(&log, &dates, &config).unwrap();
            prop_assert_eq!(trend.len(), dates.len());
            let by_channel = Trend::by_channel(&log, &dates, &config).unwrap();
            for (j, &date) in dates.iter().enumerate() {
                let summaries = summaries_at(&log, date);
                prop_assert_eq!(&trend.points()[j].kpis, &Kpis::from_summaries(&summaries, &kpi).unwrap());
                // Per channel: every non-empty group of that date matches;
                // groups absent that date have no customer.
                let expected = Kpis::by_channel(&summaries, &kpi).unwrap();
                for group in &by_channel {
                    let key = group.key.as_ref().map(|k| k.as_str());
                    let point = &group.value.points()[j].kpis;
                    match expected.get(key) {
                        Some(k) => prop_assert_eq!(point, k),
                        None => prop_assert_eq!((point.customers, point.returns_only_customers), (0, 0)),
                    }
                }
                for group in &expected {
                    let key = group.key.as_ref().map(|k| k.as_str());
                    prop_assert!(by_channel.get(key).is_some(), "group {:?} missing", key);
                }
            }
        }

        /// The segment mix equals segmenting the log cut at each date: with
        /// one frozen model (fitted at the first date), or refitted at each.
        #[test]
        fn the_mix_equals_segmenting_each_date(
            orders in valid_orders(60),
            backs in btree_set(0u64..120, 1..5),
            scoring in five_bin_config(),
            refit in any::<bool>(),
        ) {
            let log = IngestConfig::new(as_of()).ingest(&orders).unwrap();
            let dates = dates_from(&backs);
            let table = SegmentTable::standard();
            let frozen = RfmModel::fit(&scoring, &summaries_at(&log, dates[0]));
            let config = if refit {
                TrendConfig::builder().refit(scoring.clone(), table.clone())
            } else {
                TrendConfig::builder().frozen(frozen.clone(), table.clone())
            }
            .build()
            .unwrap();
            let trend = Trend::from_log(&log, &dates, &config).unwrap();
            for (j, &date) in dates.iter().enumerate() {
                let summaries = summaries_at(&log, date);
                let model = if refit { RfmModel::fit(&scoring, &summaries) } else { frozen.clone() };
                let snapshot = Snapshot::take(&model, &table, &summaries).unwrap();
                prop_assert_eq!(point_mix(&trend.points()[j]), snapshot_mix(&snapshot));
                prop_assert_eq!(trend.points()[j].mix.len(), table.len());
            }
        }
    }
}
