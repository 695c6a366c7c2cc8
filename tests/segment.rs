//! Scores → segments → report, checked on hand-made cells and an
//! end-to-end data set.

use rfmkit::rfm::{RfmModel, ScoringConfig};
use rfmkit::segment::{Segment, SegmentRule, SegmentTable};
use rfmkit::summary::Summaries;
use rfmkit::{CustomerId, Money, Order};

use crate::common::{buy, cancel, cell, close, close_opt, d, refund};

fn name(table: &SegmentTable, r: u8, f: u8, m: u8) -> String {
    table.assign(cell(r, f, m)).unwrap().as_str().to_owned()
}

fn count(table: &SegmentTable, segment: &str) -> usize {
    table.cells().filter(|(_, s)| s.as_str() == segment).count()
}

/// The benchmark table of issue 6: champions R>=4 & F>=4 & M>=4; loyal F>=4;
/// new R>=4 & F=1; at_risk R<=2 & F>=3; dormant R=1; otherwise other.
fn benchmark() -> SegmentTable {
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

#[test]
fn standard_preset_on_hand_cells() {
    let t = SegmentTable::standard();
    assert_eq!(name(&t, 4, 4, 4), "champions");
    assert_eq!(name(&t, 4, 5, 3), "loyal"); // M 3 is not a champion
    assert_eq!(name(&t, 3, 5, 5), "loyal"); // R 3 is not a champion
    assert_eq!(name(&t, 4, 3, 5), "potential_loyalist");
    assert_eq!(name(&t, 5, 1, 1), "new");
    assert_eq!(name(&t, 4, 1, 5), "promising");
    assert_eq!(name(&t, 3, 2, 5), "need_attention");
    assert_eq!(name(&t, 3, 1, 5), "about_to_sleep");
    assert_eq!(name(&t, 2, 4, 4), "cant_lose_them");
    assert_eq!(name(&t, 1, 4, 3), "at_risk"); // M 3: not cant_lose_them
    assert_eq!(name(&t, 1, 3, 5), "at_risk");
    assert_eq!(name(&t, 2, 1, 5), "dormant");
    assert_eq!(name(&t, 2, 2, 1), "dormant");
    assert_eq!(name(&t, 1, 2, 5), "lost");
    assert_eq!(name(&t, 1, 1, 1), "lost");
}

/// Cells per segment of the standard table, by hand:
/// champions 2·2·2 = 8; loyal 3·2·5 - 8 = 22; potential_loyalist 2·2·5 = 20;
/// new 5; promising 5; need_attention 1·2·5 = 10; about_to_sleep 5;
/// cant_lose_them 2·2·2 = 8; at_risk 2·3·5 - 8 = 22; dormant 10; lost 10;
/// total 125, so `other` gets none.
#[test]
fn standard_preset_cell_counts() {
    let t = SegmentTable::standard();
    let names: Vec<&str> = t.segments().map(Segment::as_str).collect();
    assert_eq!(
        names,
        [
            "champions",
            "loyal",
            "potential_loyalist",
            "new",
            "promising",
            "need_attention",
            "about_to_sleep",
            "cant_lose_them",
            "at_risk",
            "dormant",
            "lost",
            "other"
        ]
    );
    let want = [8, 22, 20, 5, 5, 10, 5, 8, 22, 10, 10, 0];
    for (segment, n) in names.iter().zip(want) {
        assert_eq!(count(&t, segment), n, "{segment}");
    }
    assert_eq!(t.cells().count(), 125);
    assert_eq!(t.fallback_cells().count(), 0);
    assert_eq!((t.bins(), t.len(), t.rules().len()), (5, 12, 11));
    assert_eq!(t.fallback().as_str(), "other");
}

/// Compact: champions R4-5 F4-5 = 20; loyal R3-5 F2-5 = 60 - 20 = 40;
/// new R3-5 F1 = 15; at_risk R1-2 F3-5 = 30; dormant R1-2 F1-2 = 20; 125.
#[test]
fn compact_preset_on_hand_cells() {
    let t = SegmentTable::compact();
    assert_eq!(name(&t, 5, 5, 1), "champions");
    assert_eq!(name(&t, 3, 4, 5), "loyal");
    assert_eq!(name(&t, 4, 2, 1), "loyal");
    assert_eq!(name(&t, 5, 1, 5), "new");
    assert_eq!(name(&t, 3, 1, 1), "new");
    assert_eq!(name(&t, 2, 5, 5), "at_risk");
    assert_eq!(name(&t, 1, 3, 1), "at_risk");
    assert_eq!(name(&t, 2, 2, 5), "dormant");
    assert_eq!(name(&t, 1, 1, 1), "dormant");
    for (segment, n) in [
        ("champions", 20),
        ("loyal", 40),
        ("new", 15),
        ("at_risk", 30),
        ("dormant", 20),
        ("other", 0),
    ] {
        assert_eq!(count(&t, segment), n, "{segment}");
    }
}

/// First match wins: 1-5-1 is loyal (F >= 4) before at_risk or dormant.
/// Cells: champions 8; loyal F4-5: 5·2·5 - 8 = 42; new R4-5 F1 = 10;
/// at_risk R1-2 F3 (F4-5 taken) = 10; dormant R1 F1-2 = 10; other 45
/// (R3 F1-3: 15, R4-5 F2-3: 20, R2 F1-2: 10).
#[test]
fn benchmark_table_on_hand_cells() {
    let t = benchmark();
    assert_eq!(name(&t, 5, 5, 5), "champions");
    assert_eq!(name(&t, 4, 4, 3), "loyal");
    assert_eq!(name(&t, 1, 5, 1), "loyal");
    assert_eq!(name(&t, 5, 1, 5), "new");
    assert_eq!(name(&t, 4, 1, 1), "new");
    assert_eq!(name(&t, 2, 3, 5), "at_risk");
    assert_eq!(name(&t, 1, 3, 1), "at_risk");
    assert_eq!(name(&t, 1, 1, 1), "dormant");
    assert_eq!(name(&t, 1, 2, 5), "dormant");
    assert_eq!(name(&t, 3, 3, 3), "other");
    assert_eq!(name(&t, 2, 2, 2), "other");
    assert_eq!(name(&t, 3, 1, 5), "other");
    assert_eq!(name(&t, 5, 2, 5), "other");
    for (segment, n) in [
        ("champions", 8),
        ("loyal", 42),
        ("new", 10),
        ("at_risk", 10),
        ("dormant", 10),
        ("other", 45),
    ] {
        assert_eq!(count(&t, segment), n, "{segment}");
    }
    assert_eq!(t.fallback_cells().count(), 45);
    assert!(t.fallback_cells().all(|c| c.r.get() >= 2));
}

#[test]
fn custom_table_with_three_bins_and_no_rules() {
    let only_fallback = SegmentTable::builder(3)
        .fallback("everyone")
        .build()
        .unwrap();
    assert_eq!(only_fallback.len(), 1);
    assert_eq!(only_fallback.fallback_cells().count(), 27);
    assert_eq!(name(&only_fallback, 3, 3, 3), "everyone");
    let t = SegmentTable::builder(3)
        .rule(SegmentRule::new("best").unwrap().r(3..=3).f(3..=3).m(3..=3))
        .rule(SegmentRule::new("recent").unwrap().r(3..=3))
        .fallback("rest")
        .build()
        .unwrap();
    // best 1 cell, recent 9 - 1 = 8, rest 27 - 9 = 18.
    assert_eq!(
        (count(&t, "best"), count(&t, "recent"), count(&t, "rest")),
        (1, 8, 18)
    );
    assert_eq!(name(&t, 3, 3, 2), "recent");
}

#[test]
fn rule_display_and_matches() {
    let rule = SegmentRule::new("at_risk")
        .unwrap()
        .r(1..=2)
        .f(3..=5)
        .describe("were frequent");
    assert_eq!(rule.to_string(), "at_risk: R 1-2, F 3-5, M any");
    assert_eq!(rule.description(), "were frequent");
    assert!(rule.matches(cell(2, 3, 1)));
    assert!(!rule.matches(cell(3, 3, 1)));
    assert!(!rule.matches(cell(2, 2, 5)));
}

// --------------------------------------------------------------- end to end

/// As of 2025-06-30:
/// - ann: 28 Jun 5000, 1 Jun 3000, 10 May 2000 -> R 2 days, F 3, M 10000
/// - ben: 25 Jun 1500, 1 Apr 1500              -> 5 days, F 2, M 3000
/// - cat: 20 Jun 800                           -> 10 days, F 1, M 800
/// - dan: 1 Mar, 1 Feb, 15 Jan, 10 Jan x 4000  -> 1 Mar..30 Jun = 31+30+31+29
///   = 121 days, F 4, M 16000
/// - eve: 5 Jan 600 -> 26+28+31+30+31+30 = 176 days, F 1, M 600
/// - fay: 15 May 2500, returned in full 16 May -> 16+30 = 46 days, F 1, M 0
/// - gus: a return only (unscored); hal: a cancelled order only (absent).
fn end_to_end_orders() -> Vec<Order> {
    vec![
        buy("1", "ann", d(6, 28), 5000),
        buy("2", "ann", d(6, 1), 3000),
        buy("3", "ann", d(5, 10), 2000),
        buy("4", "ben", d(6, 25), 1500),
        buy("5", "ben", d(4, 1), 1500),
        buy("6", "cat", d(6, 20), 800),
        buy("7", "dan", d(3, 1), 4000),
        buy("8", "dan", d(2, 1), 4000),
        buy("9", "dan", d(1, 15), 4000),
        buy("10", "dan", d(1, 10), 4000),
        buy("11", "eve", d(1, 5), 600),
        buy("12", "fay", d(5, 15), 2500),
        refund("12-R", "fay", d(5, 16), -2500),
        refund("13-R", "gus", d(4, 10), -300),
        cancel("14", "hal", d(6, 29), 1000),
    ]
}

/// Quantile, 5 bins, N = 6: b_k = v(⌈6k/5⌉) = v(2), v(3), v(4), v(5); for
/// distinct values the i-th smallest scores 1,1,2,3,4,5.
/// - R (oriented asc): eve, dan, fay, cat, ben, ann -> 1,1,2,3,4,5
/// - F: 1,1,1,2,3,4 (cat, eve, fay, ben, ann, dan); b = 1,1,2,3
///   -> F1: 1; F2: 3; F3: 4; F4: 5
/// - M: fay 0, eve 600, cat 800, ben 3000, ann 10000, dan 16000 -> 1,1,2,3,4,5
///
/// Cells: ann 5-4-4, ben 4-3-3, cat 3-1-2, dan 1-5-5, eve 1-1-1, fay 2-1-1.
#[test]
fn end_to_end_scores() {
    let s = Summaries::from_orders(&end_to_end_orders(), d(6, 30)).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &s).score_all(&s);
    assert_eq!(
        crate::common::cells(&scores),
        crate::common::expect(&[
            ("ann", "5-4-4"),
            ("ben", "4-3-3"),
            ("cat", "3-1-2"),
            ("dan", "1-5-5"),
            ("eve", "1-1-1"),
            ("fay", "2-1-1"),
        ])
    );
    assert_eq!(scores.unscored(), [CustomerId::from("gus")]);
    let rfm: Vec<(i64, u64, i64)> = scores
        .iter()
        .map(|c| (c.recency_days, c.frequency, c.monetary.minor_units()))
        .collect();
    assert_eq!(
        rfm,
        [
            (2, 3, 10000),
            (5, 2, 3000),
            (10, 1, 800),
            (121, 4, 16000),
            (176, 1, 600),
            (46, 1, 0)
        ]
    );
}

fn end_to_end_segments(table: &SegmentTable) -> rfmkit::segment::Segmentation {
    let s = Summaries::from_orders(&end_to_end_orders(), d(6, 30)).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &s).score_all(&s);
    table.segment_all(&scores).unwrap()
}

/// Standard: ann 5-4-4 champions; ben 4-3-3 potential_loyalist; cat 3-1-2
/// about_to_sleep; dan 1-5-5 cant_lose_them; eve 1-1-1 lost; fay 2-1-1 dormant.
/// Total revenue 10000+3000+800+16000+600+0 = 30400.
#[test]
fn end_to_end_standard_report() {
    let seg = end_to_end_segments(&SegmentTable::standard());
    let rows: Vec<(String, String)> = seg
        .iter()
        .map(|c| (c.scored.customer.to_string(), c.segment.to_string()))
        .collect();
    let names: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        names,
        [
            ("ann", "champions"),
            ("ben", "potential_loyalist"),
            ("cat", "about_to_sleep"),
            ("dan", "cant_lose_them"),
            ("eve", "lost"),
            ("fay", "dormant"),
        ]
    );
    assert_eq!(seg.len(), 6);
    assert_eq!(seg.get("dan").unwrap().segment.as_str(), "cant_lose_them");
    assert!(seg.get("gus").is_none());
    assert_eq!(seg.table(), &SegmentTable::standard());

    let report = seg.report().unwrap();
    assert_eq!(report.customers(), 6);
    assert_eq!(report.revenue(), Money::new(30400));
    assert_eq!(report.rows().len(), 12);
    let row = |n: &str| {
        report
            .rows()
            .iter()
            .find(|r| r.segment.as_str() == n)
            .unwrap()
    };

    let champions = row("champions");
    assert_eq!(
        (champions.customers, champions.revenue),
        (1, Money::new(10000))
    );
    close(champions.customer_share, 1.0 / 6.0);
    close_opt(champions.revenue_share, Some(10000.0 / 30400.0));
    close_opt(champions.mean_recency_days, Some(2.0));
    close_opt(champions.mean_frequency, Some(3.0));
    close_opt(champions.mean_monetary, Some(10000.0));

    let cant = row("cant_lose_them");
    assert_eq!((cant.customers, cant.revenue), (1, Money::new(16000)));
    close_opt(cant.revenue_share, Some(16000.0 / 30400.0));
    close_opt(cant.mean_recency_days, Some(121.0));

    // fay's monetary is 0: her segment has revenue 0 and a share of 0.
    let dormant = row("dormant");
    assert_eq!((dormant.customers, dormant.revenue), (1, Money::ZERO));
    close_opt(dormant.revenue_share, Some(0.0));
    close_opt(dormant.mean_recency_days, Some(46.0));

    let loyal = row("loyal");
    assert_eq!((loyal.customers, loyal.revenue), (0, Money::ZERO));
    close(loyal.customer_share, 0.0);
    close_opt(loyal.revenue_share, Some(0.0));
    assert_eq!(
        (
            loyal.mean_recency_days,
            loyal.mean_frequency,
            loyal.mean_monetary
        ),
        (None, None, None)
    );
    let names: Vec<&str> = report.rows().iter().map(|r| r.segment.as_str()).collect();
    assert_eq!(names.last(), Some(&"other"));
}

/// Compact: ann champions; ben (R4 F3) loyal; cat (R3 F1) new; dan (R1 F5)
/// at_risk; eve (1-1-1) and fay (2-1-1) dormant.
/// dormant: 2 customers, share 2/6, revenue 600 + 0 = 600, share 600/30400,
/// mean recency (176 + 46)/2 = 111, mean frequency 1, mean monetary 300.
#[test]
fn end_to_end_compact_report() {
    let seg = end_to_end_segments(&SegmentTable::compact());
    let dormant: Vec<String> = seg
        .in_segment("dormant")
        .map(|c| c.scored.customer.to_string())
        .collect();
    assert_eq!(dormant, ["eve", "fay"]);
    assert_eq!(seg.in_segment("at_risk").count(), 1);
    assert_eq!(seg.in_segment("other").count(), 0);
    assert_eq!(seg.get("ben").unwrap().segment.as_str(), "loyal");
    assert_eq!(seg.get("cat").unwrap().segment.as_str(), "new");

    let report = seg.report().unwrap();
    assert_eq!(
        (report.customers(), report.revenue()),
        (6, Money::new(30400))
    );
    let counts: Vec<(&str, usize, i64)> = report
        .rows()
        .iter()
        .map(|r| (r.segment.as_str(), r.customers, r.revenue.minor_units()))
        .collect();
    assert_eq!(
        counts,
        [
            ("champions", 1, 10000),
            ("loyal", 1, 3000),
            ("new", 1, 800),
            ("at_risk", 1, 16000),
            ("dormant", 2, 600),
            ("other", 0, 0),
        ]
    );
    let row = &report.rows()[4];
    close(row.customer_share, 2.0 / 6.0);
    close_opt(row.revenue_share, Some(600.0 / 30400.0));
    close_opt(row.mean_recency_days, Some(111.0));
    close_opt(row.mean_frequency, Some(1.0));
    close_opt(row.mean_monetary, Some(300.0));
    let text = report.to_string();
    assert!(
        text.lines().next().unwrap().starts_with("segment"),
        "{text}"
    );
    // the segment table ends with the total; the score counts follow
    let (segments, scores) = text.split_once("\n\n").unwrap();
    assert!(
        segments.lines().last().unwrap().starts_with("total"),
        "{text}"
    );
    assert!(scores.starts_with("customers per score:"), "{text}");
}

/// Benchmark table: ann 5-4-4 champions; ben 4-3-3 other (R>=4 but F 3);
/// cat 3-1-2 other; dan 1-5-5 loyal (F>=4 first); eve 1-1-1 dormant;
/// fay 2-1-1 other.
#[test]
fn end_to_end_benchmark_table() {
    let seg = end_to_end_segments(&benchmark());
    let names: Vec<String> = seg.iter().map(|c| c.segment.to_string()).collect();
    assert_eq!(
        names,
        ["champions", "other", "other", "loyal", "dormant", "other"]
    );
    let report = seg.report().unwrap();
    let other = report
        .rows()
        .iter()
        .find(|r| r.segment.as_str() == "other")
        .unwrap();
    // ben 3000 + cat 800 + fay 0 = 3800; recency (5 + 10 + 46)/3 = 61/3.
    assert_eq!((other.customers, other.revenue), (3, Money::new(3800)));
    close_opt(other.mean_recency_days, Some(61.0 / 3.0));
    close_opt(other.mean_frequency, Some(4.0 / 3.0)); // (2 + 1 + 1) / 3
}

/// Net revenue <= 0 overall: shares of revenue mean nothing and are None.
#[test]
fn report_revenue_share_is_none_without_positive_revenue() {
    let orders = [
        buy("1", "a", d(1, 1), 0),
        buy("2", "b", d(1, 2), 100),
        refund("3", "b", d(1, 3), -300),
    ];
    let s = Summaries::from_orders(&orders, d(1, 31)).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &s).score_all(&s);
    let report = SegmentTable::compact()
        .segment_all(&scores)
        .unwrap()
        .report()
        .unwrap();
    assert_eq!(report.revenue(), Money::new(-200)); // 0 + 100 - 300
    assert!(report.rows().iter().all(|r| r.revenue_share.is_none()));
}

#[test]
fn empty_scores_give_an_empty_report_with_every_row() {
    let s = Summaries::empty(d(1, 31));
    let scores = RfmModel::fit(&ScoringConfig::default(), &s).score_all(&s);
    let seg = SegmentTable::standard().segment_all(&scores).unwrap();
    assert!(seg.is_empty());
    let report = seg.report().unwrap();
    assert_eq!((report.customers(), report.revenue()), (0, Money::ZERO));
    assert_eq!(report.rows().len(), 12);
    assert!(report.rows().iter().all(|r| r.customers == 0
        && r.customer_share == 0.0
        && r.revenue_share.is_none()
        && r.mean_monetary.is_none()));
}

/// Issue 17 point 4: two customers of i64::MAX each in one segment sum to
/// 2·(2^63 − 1), beyond i64: the report fails naming that segment instead of
/// printing a saturated total.
#[test]
fn report_overflow_names_the_segment() {
    let orders = [
        buy("1", "alice", d(1, 1), i64::MAX),
        buy("2", "bob", d(1, 2), i64::MAX),
    ];
    let s = Summaries::from_orders(&orders, d(1, 31)).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &s).score_all(&s);
    let table = SegmentTable::builder(5)
        .fallback("everyone")
        .build()
        .unwrap();
    let err = table.segment_all(&scores).unwrap().report().unwrap_err();
    assert_eq!(
        err,
        rfmkit::Error::SegmentOverflow {
            segment: "everyone".to_owned()
        }
    );
    assert_eq!(
        err.location(),
        Some(rfmkit::error::Location::Segment("everyone".to_owned()))
    );
}

/// Each segment's revenue fits (i64::MAX in one, 1 in the other) but the
/// total i64::MAX + 1 does not: the total is an error, not i64::MAX.
#[test]
fn report_total_overflow_is_an_error() {
    // alice bought on the as-of date, bob 30 days earlier: alice has the
    // better (higher) recency score.
    let orders = [
        buy("1", "alice", d(1, 31), i64::MAX),
        buy("2", "bob", d(1, 1), 1),
    ];
    let s = Summaries::from_orders(&orders, d(1, 31)).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &s).score_all(&s);
    let alice_r = scores.get("alice").unwrap().score.r.get();
    let table = SegmentTable::builder(5)
        .rule(SegmentRule::new("recent").unwrap().r(alice_r..=alice_r))
        .fallback("older")
        .build()
        .unwrap();
    let seg = table.segment_all(&scores).unwrap();
    assert_eq!(seg.segment_of_customer("alice").unwrap().as_str(), "recent");
    assert_eq!(seg.segment_of_customer("bob").unwrap().as_str(), "older");
    let err = seg.report().unwrap_err();
    assert!(
        matches!(&err, rfmkit::Error::OutOfRange { what: "total revenue", value, .. }
            if value == "9223372036854775808"),
        "{err:?}"
    );
}
