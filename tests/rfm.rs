//! Summaries → RFM scores, every expectation worked out by hand.

use chrono::NaiveDate;
use rfmkit::rfm::{
    Dimension, FrequencyBasis, Method, RfmModel, Score, ScoreCounts, ScoringConfig, Thresholds,
};
use rfmkit::segment::SegmentTable;
use rfmkit::summary::Summaries;
use rfmkit::{CustomerId, Money, Order};

use crate::common::{buy, cell, cells, d, dim, expect, population, summaries};

fn as_of() -> NaiveDate {
    d(6, 30)
}

/// Ten customers `(id, recency_days, frequency, monetary)`: 60% bought once,
/// recency ties (b, c at 10 days), monetary ties (a, d, f at 100).
const TEN: [(&str, u64, u64, i64); 10] = [
    ("a", 5, 1, 100),
    ("b", 10, 1, 200),
    ("c", 10, 1, 300),
    ("d", 40, 1, 100),
    ("e", 60, 1, 500),
    ("f", 90, 1, 100),
    ("g", 3, 2, 800),
    ("h", 20, 4, 1200),
    ("i", 200, 4, 50),
    ("j", 0, 9, 5000),
];

fn config(bins: u8, method: Method) -> ScoringConfig {
    ScoringConfig::builder()
        .bins(bins)
        .method(method)
        .build()
        .unwrap()
}

fn cut_values(model: &RfmModel, d: Dimension) -> Vec<i64> {
    model.cuts(d).iter().map(|c| c.value).collect()
}

// ----------------------------------------------------------------- quantile

/// N = 10, n = 5: b_k = v(⌈10k/5⌉) = v(2k), k = 1..4; score = 1 + #{k: v > b_k}.
///
/// Recency, oriented v = -days, ascending:
///   i -200, f -90, e -60, d -40, h -20, b -10, c -10, a -5, g -3, j 0
///   b_1 = v(2) = -90, b_2 = v(4) = -40, b_3 = v(6) = -10, b_4 = v(8) = -5
///   i: 1; f: -90 > nothing -> 1; e, d: > -90 only -> 2;
///   h, b, c: > -90, > -40 -> 3; a: -5 > -10 -> 4; g, j: > -5 -> 5.
/// Frequency 1,1,1,1,1,1,2,4,4,9: b = 1, 1, 1, 4
///   F=1 -> 1 (six customers); F=2 -> 4; F=4 -> 4 (not > 4); F=9 -> 5.
///   Scores 2 and 3 stay empty: the F = 1 tie block sits whole in bin 1.
/// Monetary 50,100,100,100,200,300,500,800,1200,5000: b = 100, 100, 300, 800
///   50, 100 -> 1; 200, 300 -> 3; 500, 800 -> 4; 1200, 5000 -> 5.
#[test]
fn quantile_five_bins_with_heavy_ties() {
    let s = summaries(as_of(), &TEN);
    let model = RfmModel::fit(&ScoringConfig::default(), &s);
    let scores = model.score_all(&s);
    assert_eq!(
        cells(&scores),
        expect(&[
            ("a", "4-1-1"),
            ("b", "3-1-3"),
            ("c", "3-1-3"),
            ("d", "2-1-1"),
            ("e", "2-1-4"),
            ("f", "1-1-1"),
            ("g", "5-4-4"),
            ("h", "3-4-5"),
            ("i", "1-4-1"),
            ("j", "5-5-5"),
        ])
    );
    // 60% bought once and all of them score F = 1; nobody scores 2 or 3.
    let f = dim(&scores, 1);
    assert_eq!(f.iter().filter(|&&x| x == 1).count(), 6);
    assert!(!f.contains(&2) && !f.contains(&3));
}

/// The frozen cuts are the quantiles b_k themselves, passed strictly:
/// recency oriented -90 -> "< 90 days", -40, -10, -5; frequency 1, 1, 1, 4;
/// monetary 100, 100, 300, 800.
#[test]
fn quantile_cuts_by_hand() {
    let s = summaries(as_of(), &TEN);
    let model = RfmModel::fit(&ScoringConfig::default(), &s);
    assert_eq!(cut_values(&model, Dimension::Recency), [90, 40, 10, 5]);
    assert_eq!(cut_values(&model, Dimension::Frequency), [1, 1, 1, 4]);
    assert_eq!(
        cut_values(&model, Dimension::Monetary),
        [100, 100, 300, 800]
    );
    let scores: Vec<u8> = model
        .cuts(Dimension::Monetary)
        .iter()
        .map(|c| c.score.get())
        .collect();
    assert_eq!(scores, [2, 3, 4, 5]);
    assert!(
        model
            .cuts(Dimension::Recency)
            .iter()
            .all(|c| c.customer.is_none())
    );
    assert_eq!(model.population(), 10);
    assert_eq!(model.as_of(), as_of());
    assert_eq!(model.bins(), 5);
    assert!(model.to_string().starts_with(
        "RFM model as of 2025-06-30: 5 bins, method quantile, fitted on 10 customers"
    ));
}

#[test]
fn scored_customer_carries_its_values() {
    let s = summaries(as_of(), &TEN);
    let scores = RfmModel::fit(&ScoringConfig::default(), &s).score_all(&s);
    let h = scores.get("h").unwrap();
    assert_eq!(
        (h.recency_days, h.frequency, h.monetary),
        (20, 4, Money::new(1200))
    );
    assert_eq!(h.score, cell(3, 4, 5));
    assert_eq!(
        (scores.len(), scores.bins(), scores.as_of()),
        (10, 5, as_of())
    );
    assert!(scores.unscored().is_empty());
    assert!(scores.get("zz").is_none());
}

// --------------------------------------------------------------------- rank

/// score = ⌈5r/10⌉ = ⌈r/2⌉; sort ascending by (key, id).
///
/// Recency by last order date, oldest first (most recent scores highest):
///   i f e d h b c a g j -> r 1..10 -> i1 f1 e2 d2 h3 b3 c4 a4 g5 j5
///   (b and c tie at 10 days: b sorts first, so b gets 3 and c gets 4)
/// Frequency: a b c d e f (all 1, by id) g(2) h(4) i(4) j(9)
///   -> a1 b1 c2 d2 e3 f3 g4 h4 i5 j5
/// Monetary: i50 a100 d100 f100 b200 c300 e500 g800 h1200 j5000
///   -> i1 a1 d2 f2 b3 c3 e4 g4 h5 j5
#[test]
fn rank_five_bins_by_hand() {
    let s = summaries(as_of(), &TEN);
    let model = RfmModel::fit(&config(5, Method::Rank), &s);
    let scores = model.score_all(&s);
    assert_eq!(
        cells(&scores),
        expect(&[
            ("a", "4-1-1"),
            ("b", "3-1-3"),
            ("c", "4-2-3"),
            ("d", "2-2-2"),
            ("e", "2-3-4"),
            ("f", "1-3-2"),
            ("g", "5-4-4"),
            ("h", "3-4-5"),
            ("i", "1-5-1"),
            ("j", "5-5-5"),
        ])
    );
}

/// The cut for score k+1 is the customer at position ⌊kN/n⌋ + 1 = 2k + 1:
/// positions 3, 5, 7, 9 of each sort above.
#[test]
fn rank_cuts_hold_value_and_id() {
    let s = summaries(as_of(), &TEN);
    let model = RfmModel::fit(&config(5, Method::Rank), &s);
    let cuts = |d: Dimension| -> Vec<(i64, String)> {
        model
            .cuts(d)
            .iter()
            .map(|c| (c.value, c.customer.as_ref().unwrap().to_string()))
            .collect()
    };
    let own = |v: &[(i64, &str)]| -> Vec<(i64, String)> {
        v.iter().map(|&(a, b)| (a, b.to_owned())).collect()
    };
    assert_eq!(
        cuts(Dimension::Recency),
        own(&[(60, "e"), (20, "h"), (10, "c"), (3, "g")])
    );
    assert_eq!(
        cuts(Dimension::Frequency),
        own(&[(1, "c"), (1, "e"), (2, "g"), (4, "i")])
    );
    assert_eq!(
        cuts(Dimension::Monetary),
        own(&[(100, "d"), (200, "b"), (500, "e"), (1200, "h")])
    );
}

/// A new customer is placed where they would sort among the fitted ones.
///
/// Both have recency 10 (tied with b and c), F = 1, M = 150.
/// - "bb" sorts between b and c, so it does not reach the score-4 recency
///   cut (10 days, id c) but reaches the score-3 cut (20 days): R = 3.
///   F: the score-2 cut is (1, c) and "bb" < "c": F = 1.
///   M: 150 > 100 (cut d) but < 200: M = 2.
/// - "cc" >= "c": R = 4 (not 5: 10 days > 3); F: reaches (1, c), not (1, e):
///   F = 2; M = 2.
#[test]
fn rank_model_places_new_customers_by_value_then_id() {
    let s = summaries(as_of(), &TEN);
    let model = RfmModel::fit(&config(5, Method::Rank), &s);
    let new = summaries(as_of(), &[("bb", 10, 1, 150), ("cc", 10, 1, 150)]);
    assert_eq!(model.score(&new.get("bb").unwrap()).unwrap(), cell(3, 1, 2));
    assert_eq!(model.score(&new.get("cc").unwrap()).unwrap(), cell(4, 2, 2));
}

// --------------------------------------------------------------- thresholds

/// 4 bins:
///
/// ```text
/// recency   <= 30 -> 4, <= 90 -> 3, <= 180 -> 2, else 1
/// frequency >= 8 -> 4, >= 4 -> 3, >= 2 -> 2, else 1
/// monetary  >= 1000 -> 4, >= 500 -> 3, >= 200 -> 2, else 1
///   a 5d F1 100   -> 4-1-1      f 90d F1 100   -> 3-1-1 (90 <= 90)
///   b 10d F1 200  -> 4-1-2      g 3d F2 800    -> 4-2-3
///   c 10d F1 300  -> 4-1-2      h 20d F4 1200  -> 4-3-4
///   d 40d F1 100  -> 3-1-1      i 200d F4 50   -> 1-3-1
///   e 60d F1 500  -> 3-1-3      j 0d F9 5000   -> 4-4-4
/// ```
#[test]
fn thresholds_four_bins_by_hand() {
    let t = Thresholds::new(
        vec![30, 90, 180],
        vec![2, 4, 8],
        vec![Money::new(200), Money::new(500), Money::new(1000)],
    )
    .unwrap();
    let config = config(4, Method::Thresholds(t));
    let s = summaries(as_of(), &TEN);
    let model = RfmModel::fit(&config, &s);
    let want = expect(&[
        ("a", "4-1-1"),
        ("b", "4-1-2"),
        ("c", "4-1-2"),
        ("d", "3-1-1"),
        ("e", "3-1-3"),
        ("f", "3-1-1"),
        ("g", "4-2-3"),
        ("h", "4-3-4"),
        ("i", "1-3-1"),
        ("j", "4-4-4"),
    ]);
    assert_eq!(cells(&model.score_all(&s)), want);
    // Recency cuts are stored for scores 2, 3, 4: 180, 90, 30 days.
    assert_eq!(cut_values(&model, Dimension::Recency), [180, 90, 30]);
    assert_eq!(cut_values(&model, Dimension::Frequency), [2, 4, 8]);
    assert_eq!(cut_values(&model, Dimension::Monetary), [200, 500, 1000]);
    // Nothing is learned: a model fitted on nobody scores the same.
    let blank = RfmModel::fit(&config, &Summaries::empty(as_of()));
    assert_eq!(blank.population(), 0);
    assert_eq!(cells(&blank.score_all(&s)), want);
}

// --------------------------------------------------------- other bin counts

/// m01..m10: customer i has recency 11 - i days, i orders, 100·i monetary, so
/// it ranks i-th (1-based, ascending) in every dimension and its cell is
/// (s, s, s).
fn diagonal() -> Summaries {
    let spec: Vec<(String, u64, u64, i64)> = (1..=10u64)
        .map(|i| (format!("m{i:02}"), 11 - i, i, 100 * i as i64))
        .collect();
    let refs: Vec<(&str, u64, u64, i64)> = spec
        .iter()
        .map(|(a, r, f, m)| (a.as_str(), *r, *f, *m))
        .collect();
    summaries(as_of(), &refs)
}

fn diagonal_scores(bins: u8, method: Method) -> Vec<u8> {
    let s = diagonal();
    let scores = RfmModel::fit(&config(bins, method), &s).score_all(&s);
    let (r, f, m) = (dim(&scores, 0), dim(&scores, 1), dim(&scores, 2));
    assert_eq!(r, f);
    assert_eq!(r, m);
    r
}

/// Quantile, N = 10, distinct values: score(i) = 1 + #{k: i > ⌈10k/n⌉}.
///   n=2:  ⌈5⌉ = 5                       -> 1,1,1,1,1,2,2,2,2,2
///   n=3:  ⌈3.33⌉ = 4, ⌈6.67⌉ = 7         -> 1,1,1,1,2,2,2,3,3,3
///   n=4:  ⌈2.5⌉ = 3, 5, ⌈7.5⌉ = 8        -> 1,1,1,2,2,3,3,3,4,4
///   n=10: k                              -> 1..=10
#[test]
fn quantile_with_two_three_four_and_ten_bins() {
    assert_eq!(
        diagonal_scores(2, Method::Quantile),
        [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    );
    assert_eq!(
        diagonal_scores(3, Method::Quantile),
        [1, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    );
    assert_eq!(
        diagonal_scores(4, Method::Quantile),
        [1, 1, 1, 2, 2, 3, 3, 3, 4, 4]
    );
    assert_eq!(
        diagonal_scores(10, Method::Quantile),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    );
}

/// Rank, N = 10: score(r) = ⌈n·r/10⌉.
///   n=2:  ⌈r/5⌉                          -> 1,1,1,1,1,2,2,2,2,2
///   n=3:  .3 .6 .9 1.2 1.5 1.8 2.1 2.4 2.7 3 -> 1,1,1,2,2,2,3,3,3,3
///   n=4:  .4 .8 1.2 1.6 2 2.4 2.8 3.2 3.6 4  -> 1,1,2,2,2,3,3,4,4,4
///   n=10: r                              -> 1..=10
#[test]
fn rank_with_two_three_four_and_ten_bins() {
    assert_eq!(
        diagonal_scores(2, Method::Rank),
        [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    );
    assert_eq!(
        diagonal_scores(3, Method::Rank),
        [1, 1, 1, 2, 2, 2, 3, 3, 3, 3]
    );
    assert_eq!(
        diagonal_scores(4, Method::Rank),
        [1, 1, 2, 2, 2, 3, 3, 4, 4, 4]
    );
    assert_eq!(
        diagonal_scores(10, Method::Rank),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    );
}

/// Without ties, quantile and rank bins agree only when n divides N: with
/// 10 customers and 3 bins, quantile puts 4/3/3 customers in the bins and
/// rank 3/3/4 (see the two tests above). The module docs of `rfm` say
/// "without ties this puts N/n customers in each bin, exactly like the rank
/// method"; that holds for n | N only. This pins the formulas' behaviour.
#[test]
fn quantile_and_rank_differ_when_bins_do_not_divide_the_population() {
    let count = |v: &[u8], s: u8| v.iter().filter(|&&x| x == s).count();
    let q = diagonal_scores(3, Method::Quantile);
    let r = diagonal_scores(3, Method::Rank);
    assert_eq!((count(&q, 1), count(&q, 2), count(&q, 3)), (4, 3, 3));
    assert_eq!((count(&r, 1), count(&r, 2), count(&r, 3)), (3, 3, 4));
    // With 5 | 10 they agree.
    assert_eq!(
        diagonal_scores(5, Method::Quantile),
        diagonal_scores(5, Method::Rank)
    );
}

// ------------------------------------------------------------- purchase days

/// All last ordered 20 Jun (recency 10) for a total of 1000, so R = M = 1.
///   p: 3 orders on 20 Jun           -> orders 3, days 1
///   q: 19 and 20 Jun                -> orders 2, days 2
///   r: 20 Jun                       -> orders 1, days 1
///   s: 2 on 18 Jun, 2 on 20 Jun     -> orders 4, days 2
///   t: 16..=20 Jun                  -> orders 5, days 5
/// Quantile, N = n = 5: b_k = v(k).
///   orders 1,2,3,4,5 distinct -> r1 q2 p3 s4 t5
///   days   1,1,2,2,5: b = 1,1,2,2 -> 1 -> 1; 2 -> 3; 5 -> 5: p1 q3 r1 s3 t5
/// Rank on days, sorted (days, id): p r q s t -> p1 r2 q3 s4 t5.
#[test]
fn frequency_basis_purchase_days() {
    let orders = vec![
        buy("p1", "p", d(6, 20), 1000),
        buy("p2", "p", d(6, 20), 0),
        buy("p3", "p", d(6, 20), 0),
        buy("q1", "q", d(6, 19), 1000),
        buy("q2", "q", d(6, 20), 0),
        buy("r1", "r", d(6, 20), 1000),
        buy("s1", "s", d(6, 18), 1000),
        buy("s2", "s", d(6, 18), 0),
        buy("s3", "s", d(6, 20), 0),
        buy("s4", "s", d(6, 20), 0),
        buy("t1", "t", d(6, 16), 1000),
        buy("t2", "t", d(6, 17), 0),
        buy("t3", "t", d(6, 18), 0),
        buy("t4", "t", d(6, 19), 0),
        buy("t5", "t", d(6, 20), 0),
    ];
    let s = Summaries::from_orders(&orders, as_of()).unwrap();
    let by_orders = RfmModel::fit(&ScoringConfig::default(), &s).score_all(&s);
    assert_eq!(dim(&by_orders, 1), [3, 2, 1, 4, 5]);
    assert_eq!(dim(&by_orders, 0), [1, 1, 1, 1, 1]);
    assert_eq!(dim(&by_orders, 2), [1, 1, 1, 1, 1]);

    let days = ScoringConfig::builder()
        .frequency(FrequencyBasis::PurchaseDays)
        .build()
        .unwrap();
    let by_days = RfmModel::fit(&days, &s).score_all(&s);
    assert_eq!(dim(&by_days, 1), [1, 3, 1, 3, 5]);
    let freq: Vec<u64> = by_days.iter().map(|c| c.frequency).collect();
    assert_eq!(freq, [1, 2, 1, 2, 5]);
    assert_eq!(
        RfmModel::fit(&days, &s).cuts(Dimension::Frequency)[0].value,
        1 // b_1 = v(1) of [1, 1, 2, 2, 5]
    );

    let rank_days = ScoringConfig::builder()
        .method(Method::Rank)
        .frequency(FrequencyBasis::PurchaseDays)
        .build()
        .unwrap();
    let ranked = RfmModel::fit(&rank_days, &s).score_all(&s);
    assert_eq!(dim(&ranked, 1), [1, 3, 2, 4, 5]); // p q r s t
}

// ------------------------------------------------------- scoring one at a time

/// Against the frozen quantile model of [`TEN`] (recency cuts < 90/40/10/5
/// days, frequency > 1/1/1/4, monetary > 100/100/300/800):
/// - zed: 4 days, 3 orders, 301 -> R passes all 4 cuts = 5; F passes 3 = 4;
///   M passes 3 = 4 -> 5-4-4;
/// - yan: 5 days, 1 order, 300 -> R 4 (5 is not < 5); F 1; M 3 (300 is not
///   > 300) -> 4-1-3.
#[test]
fn score_one_new_customer_against_a_frozen_model() {
    let s = summaries(as_of(), &TEN);
    let model = RfmModel::fit(&ScoringConfig::default(), &s);
    let new = summaries(as_of(), &[("zed", 4, 3, 301), ("yan", 5, 1, 300)]);
    assert_eq!(
        model.score(&new.get("zed").unwrap()).unwrap(),
        cell(5, 4, 4)
    );
    assert_eq!(
        model.score(&new.get("yan").unwrap()).unwrap(),
        cell(4, 1, 3)
    );
    // Scoring does not refit.
    assert_eq!(model.population(), 10);
    assert_eq!(
        cut_values(&model, Dimension::Monetary),
        [100, 100, 300, 800]
    );
}

/// A summary as of a later date is scored with its own recency: last order
/// 21 Jul, as of 31 Jul -> 10 days -> R 3 (<= 39, not <= 9); F 1; M 5000 >= 801 -> 5.
#[test]
fn score_uses_the_summarys_own_as_of_date() {
    let s = summaries(as_of(), &TEN);
    let model = RfmModel::fit(&ScoringConfig::default(), &s);
    let later = Summaries::from_orders(&[buy("X", "xia", d(7, 21), 5000)], d(7, 31)).unwrap();
    assert_eq!(
        model.score(&later.get("xia").unwrap()).unwrap(),
        cell(3, 1, 5)
    );
}

// ------------------------------------------------------ degenerate populations

#[test]
fn model_fitted_on_nobody_scores_everyone_one() {
    let empty = Summaries::empty(as_of());
    for method in [Method::Quantile, Method::Rank] {
        let model = RfmModel::fit(&config(5, method), &empty);
        assert_eq!(model.population(), 0);
        for d in [
            Dimension::Recency,
            Dimension::Frequency,
            Dimension::Monetary,
        ] {
            assert!(model.cuts(d).is_empty());
        }
        let scores = model.score_all(&empty);
        assert!(scores.is_empty() && scores.unscored().is_empty());
        let big = summaries(as_of(), &[("vip", 0, 50, 1_000_000)]);
        assert_eq!(
            model.score(&big.get("vip").unwrap()).unwrap(),
            cell(1, 1, 1)
        );
    }
}

/// One customer: quantile cuts all equal their value + 1 -> 1-1-1. Rank with
/// N = 1: r = 1, ⌈n·1/1⌉ = n -> 5-5-5 with 5 bins, 3-3-3 with 3.
#[test]
fn one_customer() {
    let s = summaries(as_of(), &[("solo", 7, 3, 999)]);
    let q = RfmModel::fit(&ScoringConfig::default(), &s).score_all(&s);
    assert_eq!(cells(&q), expect(&[("solo", "1-1-1")]));
    let r5 = RfmModel::fit(&config(5, Method::Rank), &s).score_all(&s);
    assert_eq!(cells(&r5), expect(&[("solo", "5-5-5")]));
    let r3 = RfmModel::fit(&config(3, Method::Rank), &s).score_all(&s);
    assert_eq!(cells(&r3), expect(&[("solo", "3-3-3")]));
}

/// Five identical customers: quantile -> all 1-1-1 (nobody is better);
/// rank spreads them by id: ⌈5r/5⌉ = r with 5 bins, and ⌈2r/5⌉ =
/// 1,1,2,2,2 with 2 bins.
#[test]
fn all_customers_equal() {
    let spec: Vec<(&str, u64, u64, i64)> = ["e1", "e2", "e3", "e4", "e5"]
        .iter()
        .map(|&id| (id, 12, 2, 700))
        .collect();
    let s = summaries(as_of(), &spec);
    let q = RfmModel::fit(&ScoringConfig::default(), &s).score_all(&s);
    assert!(q.iter().all(|c| c.score == cell(1, 1, 1)));
    let r = RfmModel::fit(&config(5, Method::Rank), &s).score_all(&s);
    assert_eq!(
        cells(&r),
        expect(&[
            ("e1", "1-1-1"),
            ("e2", "2-2-2"),
            ("e3", "3-3-3"),
            ("e4", "4-4-4"),
            ("e5", "5-5-5"),
        ])
    );
    let r2 = RfmModel::fit(&config(2, Method::Rank), &s).score_all(&s);
    assert_eq!(dim(&r2, 0), [1, 1, 2, 2, 2]);
}

/// Net-negative and zero monetary sort below positive; returns-only
/// customers are unscored and not fitted on. 4 bins, N = 4, b_k = v(k):
/// monetary -200 (neg), 0 (zero), 100 (low), 500 (top) -> 1, 2, 3, 4.
#[test]
fn negative_monetary_and_returns_only_customers() {
    let mut orders = population(
        as_of(),
        &[
            ("top", 1, 1, 500),
            ("low", 1, 1, 100),
            ("zero", 1, 1, 0),
            ("neg", 1, 1, -200),
        ],
    );
    orders.push(crate::common::refund("RET", "ret", d(6, 1), -50));
    let s = Summaries::from_orders(&orders, as_of()).unwrap();
    assert_eq!(s.get("neg").unwrap().monetary(), Money::new(-200));
    let model = RfmModel::fit(&config(4, Method::Quantile), &s);
    assert_eq!(model.population(), 4);
    let scores = model.score_all(&s);
    let m: Vec<(String, u8)> = scores
        .iter()
        .map(|c| (c.customer.to_string(), c.score.m.get()))
        .collect();
    let own = |v: &[(&str, u8)]| -> Vec<(String, u8)> {
        v.iter().map(|&(a, b)| (a.to_owned(), b)).collect()
    };
    // id order: low, neg, top, zero
    assert_eq!(m, own(&[("low", 3), ("neg", 1), ("top", 4), ("zero", 2)]));
    assert_eq!(scores.unscored(), [CustomerId::from("ret")]);
    assert_eq!(scores.len(), 4);
}

#[test]
fn score_bounds_and_defaults() {
    assert!(Score::new(1).is_ok() && Score::new(100).is_ok());
    assert!(Score::new(0).is_err() && Score::new(101).is_err());
    assert_eq!(Score::MIN.get(), 1);
    let c = ScoringConfig::default();
    assert_eq!(
        (c.bins(), c.method(), c.frequency()),
        (5, &Method::Quantile, FrequencyBasis::Orders)
    );
    assert_eq!(ScoringConfig::builder().build().unwrap(), c);
    assert_eq!(cell(5, 4, 3).to_string(), "5-4-3");
}

/// Regression: equal values must score equally low under quantile even at
/// the top of the money range. Two customers each bought once for
/// `i64::MAX` (separate customers, so no sum overflows). All values are
/// equal, so (module docs, "all values equal") everyone scores 1-1-1:
/// b_1 = v(1) = i64::MAX, and nobody has a value > b_1.
/// The cut is stored as b_1 + 1, which does not fit in i64; if it is
/// saturated back to i64::MAX the customers "reach" it and score M = 2.
#[test]
fn quantile_with_maximal_monetary_scores_equal_values_one() {
    let orders = [
        buy("1", "a", d(6, 1), i64::MAX),
        buy("2", "b", d(6, 1), i64::MAX),
    ];
    let s = Summaries::from_orders(&orders, as_of()).unwrap();
    let config = ScoringConfig::builder().bins(2).build().unwrap();
    let scores = RfmModel::fit(&config, &s).score_all(&s);
    assert_eq!(cells(&scores), expect(&[("a", "1-1-1"), ("b", "1-1-1")]));
    // One customer, 5 bins: "everyone scores 1 under Method::Quantile".
    let one = Summaries::from_orders(&orders[..1], as_of()).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &one).score_all(&one);
    assert_eq!(cells(&scores), expect(&[("a", "1-1-1")]));
}

// ------------------------------------------------------- empty scores (issue 18)

/// Ten customers, 60% with F = 1: frequencies 1 ×6, 2 ×2, 3, 5.
fn sixty_percent_one_timers() -> Summaries {
    let freq = [1, 1, 1, 1, 1, 1, 2, 2, 3, 5];
    let mut orders = Vec::new();
    for (i, &n) in freq.iter().enumerate() {
        for k in 0..n {
            orders.push(Order::new(
                format!("O-{i}-{k}"),
                format!("c{i:02}"),
                d(1, 1 + k + i as u32),
                Money::new(100 * (i as i64 + 1)),
            ));
        }
    }
    Summaries::from_orders(&orders, d(1, 31)).unwrap()
}

#[test]
fn quantile_ties_leave_named_empty_scores() {
    let summaries = sixty_percent_one_timers();
    let model = RfmModel::fit(&ScoringConfig::default(), &summaries);
    // sorted F: 1 1 1 1 1 1 2 2 3 5; b_k = v(2k): b1 = b2 = b3 = 1, b4 = 2
    let f_cuts: Vec<i64> = model
        .cuts(Dimension::Frequency)
        .iter()
        .map(|c| c.value)
        .collect();
    assert_eq!(f_cuts, [1, 1, 1, 2]);
    let empty: Vec<(Dimension, u8, i64)> = model
        .empty_scores()
        .iter()
        .map(|e| (e.dimension, e.score.get(), e.value))
        .collect();
    // R and M values are all distinct, so only F has empty scores
    assert_eq!(
        empty,
        [(Dimension::Frequency, 2, 1), (Dimension::Frequency, 3, 1)]
    );
    let text = model.to_string();
    assert!(text.contains("F 2: empty — ties at 1 order ("), "{text}");
    assert!(text.contains("F 3: empty — ties at 1 order ("), "{text}");
    assert!(!text.contains("F 4: empty"), "{text}");
    assert!(text.contains("> 1 orders (empty)"), "{text}");
    // F = 1 scores 1 (6), F = 2 passes b1..b3 → 4 (2), F = 3 and 5 → 5 (2)
    let scores = model.score_all(&summaries);
    let counts = scores.score_counts();
    assert_eq!(counts.counts(Dimension::Frequency), [6, 0, 0, 2, 2]);
    assert_eq!(
        counts.count(Dimension::Frequency, Score::new(2).unwrap()),
        0
    );
    // the segment report shows it
    let report = SegmentTable::standard()
        .segment_all(&scores)
        .unwrap()
        .report()
        .unwrap();
    assert_eq!(report.score_counts(), &counts);
    let text = report.to_string();
    assert!(text.contains("customers per score:"), "{text}");
    let row2 = text
        .lines()
        .find(|l| l.starts_with("2 ") && l.contains("(empty)"))
        .unwrap_or_else(|| panic!("{text}"));
    // R and M have 2 customers at score 2 (10 distinct values, 5 bins)
    assert_eq!(
        row2.split_whitespace().collect::<Vec<_>>(),
        ["2", "2", "0", "(empty)", "2"]
    );
    // counts round-trip and are validated
    let json = serde_json::to_string(&counts).unwrap();
    assert_eq!(serde_json::from_str::<ScoreCounts>(&json).unwrap(), counts);
    let bad = r#"{"bins": 2, "recency": [1], "frequency": [1, 0], "monetary": [0, 1]}"#;
    let err = serde_json::from_str::<ScoreCounts>(bad).unwrap_err();
    assert!(err.to_string().contains("recency"), "{err}");
}

#[test]
fn rank_and_thresholds_have_no_empty_scores_on_distinct_data() {
    let summaries = sixty_percent_one_timers();
    let rank = ScoringConfig::builder()
        .method(Method::Rank)
        .build()
        .unwrap();
    let model = RfmModel::fit(&rank, &summaries);
    // rank cuts are distinct customers, so no score is empty: 2 per bin
    assert!(model.empty_scores().is_empty());
    let counts = model.score_all(&summaries).score_counts();
    assert_eq!(counts.counts(Dimension::Frequency), [2, 2, 2, 2, 2]);
    assert!(!model.to_string().contains("empty"));
}

/// The README's "Quantile or rank?" example.
#[test]
fn readme_quantile_vs_rank_example() {
    // (id, orders, days since the last order)
    let people = [
        ("a", 1, 200),
        ("b", 1, 180),
        ("c", 1, 150),
        ("d", 1, 120),
        ("e", 1, 2),
        ("f", 1, 90),
        ("g", 2, 60),
        ("h", 2, 30),
        ("i", 3, 10),
        ("j", 5, 5),
    ];
    let as_of = d(6, 30);
    let mut orders = Vec::new();
    for (id, n, recency) in people {
        for k in 0..n {
            let date = as_of - chrono::Days::new(recency + k);
            orders.push(Order::new(format!("{id}-{k}"), id, date, Money::new(1_000)));
        }
    }
    let summaries = Summaries::from_orders(&orders, as_of).unwrap();
    let segment_of = |method: Method| -> Vec<(String, String, String)> {
        let config = ScoringConfig::builder().method(method).build().unwrap();
        let scores = RfmModel::fit(&config, &summaries).score_all(&summaries);
        SegmentTable::standard()
            .segment_all(&scores)
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c.scored.customer.to_string(),
                    c.scored.score.to_string(),
                    c.segment.to_string(),
                )
            })
            .collect()
    };
    let quantile = segment_of(Method::Quantile);
    let rank = segment_of(Method::Rank);
    // e: R 5 F 1 new / R 5 F 3 potential_loyalist; f: R 3 F 1 / R 3 F 3
    let get = |rows: &[(String, String, String)], id: &str| {
        let row = rows.iter().find(|r| r.0 == id).unwrap();
        (row.1[..3].to_owned(), row.2.clone())
    };
    assert_eq!(get(&quantile, "e"), ("5-1".to_owned(), "new".to_owned()));
    assert_eq!(
        get(&rank, "e"),
        ("5-3".to_owned(), "potential_loyalist".to_owned())
    );
    assert_eq!(
        get(&quantile, "f"),
        ("3-1".to_owned(), "about_to_sleep".to_owned())
    );
    assert_eq!(
        get(&rank, "f"),
        ("3-3".to_owned(), "need_attention".to_owned())
    );
    let moved: Vec<&str> = quantile
        .iter()
        .zip(&rank)
        .filter(|(q, r)| q.2 != r.2)
        .map(|(q, _)| q.0.as_str())
        .collect();
    assert_eq!(moved, ["e", "f"]);
}
