//! Every error variant reachable from the public API, with its fields,
//! location and message (location first, then problem, then the fix).

use rfmkit::customer::{Birthday, Customer, Customers};
use rfmkit::error::Location;
use rfmkit::order::OrderStatus;
use rfmkit::rfm::{Method, RfmModel, Score, ScoringConfig, Thresholds};
use rfmkit::segment::{ScoreRange, Segment, SegmentRule, SegmentTable, SegmentTableBuilder};
use rfmkit::summary::{FutureOrders, Summaries, SummaryConfig, Validation};
use rfmkit::{CustomerId, Error, Money, Order, OrderId};

use crate::common::{buy, cancel, cell, d, refund};

fn field_of(err: &Error) -> &str {
    match err {
        Error::InvalidConfig { field, .. } => field,
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

// ------------------------------------------------------------------ orders

#[test]
fn order_after_as_of_names_the_order() {
    let orders = [
        buy("A-1", "alice", d(1, 10), 100),
        buy("A-2", "bob", d(2, 1), 500),
    ];
    let err = Summaries::from_orders(&orders, d(1, 31)).unwrap_err();
    assert_eq!(
        err,
        Error::OrderAfterAsOf {
            index: 1,
            order_id: OrderId::from("A-2"),
            date: d(2, 1),
            as_of: d(1, 31),
        }
    );
    assert_eq!(
        err.to_string(),
        "order #1 (id A-2): dated 2025-02-01, after the as-of date 2025-01-31; \
         score as of a later date or drop orders after it (FutureOrders::Ignore)"
    );
    assert_eq!(
        err.location(),
        Some(Location::Order {
            index: 1,
            order_id: OrderId::from("A-2")
        })
    );
}

#[test]
fn invalid_amount_for_completed_and_returned() {
    let err = Summaries::from_orders(&[buy("A-9", "a", d(1, 1), -5)], d(1, 31)).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidAmount {
            index: 0,
            order_id: OrderId::from("A-9"),
            amount: Money::new(-5),
            status: OrderStatus::Completed,
        }
    );
    assert_eq!(
        err.to_string(),
        "order #0 (id A-9): amount -5 has the wrong sign for a completed order; \
         a completed order's amount must be >= 0"
    );
    let orders = [
        buy("A-1", "a", d(1, 1), 5),
        refund("R-1", "a", d(1, 2), 500),
    ];
    let err = Summaries::from_orders(&orders, d(1, 31)).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidAmount { index: 1, ref order_id, amount, status: OrderStatus::Returned }
            if order_id.as_str() == "R-1" && amount == Money::new(500)
    ));
    assert_eq!(
        err.to_string(),
        "order #1 (id R-1): amount 500 has the wrong sign for a returned order; \
         a returned order's amount is the refund and must be <= 0"
    );
}

#[test]
fn duplicate_order_id_even_against_a_cancelled_order() {
    let orders = [
        cancel("X-1", "a", d(1, 1), 900),
        buy("B", "b", d(1, 2), 10),
        buy("X-1", "b", d(1, 3), 100),
    ];
    let err = Summaries::from_orders(&orders, d(1, 31)).unwrap_err();
    assert_eq!(
        err,
        Error::DuplicateOrderId {
            index: 2,
            order_id: OrderId::from("X-1"),
            first_index: 0,
        }
    );
    assert_eq!(
        err.to_string(),
        "order #2 (id X-1): duplicate order id, first seen at order #0; order ids must be unique"
    );
}

#[test]
fn unknown_customer_in_summarize_for() {
    let customers = Customers::new([Customer::new("alice")]).unwrap();
    let orders = [
        buy("A-1", "alice", d(1, 5), 100),
        buy("M-1", "mallory", d(1, 6), 100),
    ];
    let err = SummaryConfig::new(d(1, 31))
        .summarize_for(&orders, &customers)
        .unwrap_err();
    assert_eq!(
        err,
        Error::UnknownCustomer {
            index: 1,
            order_id: OrderId::from("M-1"),
            customer: CustomerId::from("mallory"),
        }
    );
    assert_eq!(
        err.to_string(),
        "order #1 (id M-1): customer mallory is not in the customer list; \
         add the customer or fix the order's customer id"
    );
    // Without the list, mallory is fine.
    assert!(SummaryConfig::new(d(1, 31)).summarize(&orders).is_ok());
}

/// Checks run in the documented order: duplicate id, then date, then sign,
/// then customer list.
#[test]
fn order_checks_run_in_documented_order() {
    let customers = Customers::new([Customer::new("a")]).unwrap();
    let run = |orders: &[Order]| {
        SummaryConfig::new(d(1, 31))
            .summarize_for(orders, &customers)
            .unwrap_err()
    };
    // Duplicate, future and negative: duplicate wins.
    let e = run(&[buy("X", "a", d(1, 1), 1), buy("X", "zz", d(3, 1), -1)]);
    assert!(matches!(e, Error::DuplicateOrderId { index: 1, .. }));
    // Future and negative: date wins.
    let e = run(&[buy("X", "zz", d(3, 1), -1)]);
    assert!(matches!(e, Error::OrderAfterAsOf { index: 0, .. }));
    // Negative and unknown customer: sign wins.
    let e = run(&[buy("X", "zz", d(1, 1), -1)]);
    assert!(matches!(e, Error::InvalidAmount { index: 0, .. }));
}

/// Strict mode returns the first invalid order in input order.
#[test]
fn strict_mode_reports_the_first_invalid_order() {
    let err = Summaries::from_orders(&lenient_input(), d(1, 31)).unwrap_err();
    assert!(matches!(err, Error::InvalidAmount { index: 1, .. }));
    // Ignoring future orders does not relax the other checks.
    let err = SummaryConfig::new(d(1, 31))
        .future_orders(FutureOrders::Ignore)
        .summarize(&lenient_input())
        .unwrap_err();
    assert!(matches!(err, Error::InvalidAmount { index: 1, .. }));
}

/// 0 ok; 1 wrong sign; 2 duplicate of 0; 3 future; 4 positive refund;
/// 5 unknown customer; 6 cancelled (valid, counted nowhere); 7 ok;
/// 8 duplicate of 1 (whose id was seen although it was rejected); 9 ok return.
fn lenient_input() -> Vec<Order> {
    vec![
        buy("A-1", "alice", d(1, 5), 1000),
        buy("A-2", "alice", d(1, 6), -5),
        buy("A-1", "bob", d(1, 7), 800),
        buy("A-3", "bob", d(2, 3), 700),
        refund("R-1", "bob", d(1, 8), 100),
        buy("M-1", "mallory", d(1, 9), 400),
        cancel("X-1", "alice", d(1, 10), 50),
        buy("B-1", "bob", d(1, 11), 300),
        buy("A-2", "bob", d(1, 12), 200),
        refund("R-2", "alice", d(1, 20), -300),
    ]
}

#[test]
fn lenient_mode_lists_every_rejected_order_in_input_order() {
    let customers = Customers::new([Customer::new("alice"), Customer::new("bob")]).unwrap();
    for future in [FutureOrders::Reject, FutureOrders::Ignore] {
        let out = SummaryConfig::new(d(1, 31))
            .validation(Validation::Lenient)
            .future_orders(future)
            .summarize_for(&lenient_input(), &customers)
            .unwrap();
        let skipped: Vec<(usize, &str)> = out
            .skipped
            .iter()
            .map(|s| (s.index, s.order_id.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (1, "A-2"),
                (2, "A-1"),
                (3, "A-3"),
                (4, "R-1"),
                (5, "M-1"),
                (8, "A-2")
            ]
        );
        let reasons: Vec<&Error> = out.skipped.iter().map(|s| &s.reason).collect();
        assert!(matches!(reasons[0], Error::InvalidAmount { index: 1, .. }));
        assert_eq!(
            reasons[1],
            &Error::DuplicateOrderId {
                index: 2,
                order_id: OrderId::from("A-1"),
                first_index: 0
            }
        );
        assert!(matches!(reasons[2], Error::OrderAfterAsOf { index: 3, .. }));
        assert!(matches!(
            reasons[3],
            Error::InvalidAmount {
                index: 4,
                status: OrderStatus::Returned,
                ..
            }
        ));
        assert!(matches!(
            reasons[4],
            Error::UnknownCustomer { index: 5, customer, .. } if customer.as_str() == "mallory"
        ));
        assert!(matches!(
            reasons[5],
            Error::DuplicateOrderId {
                index: 8,
                first_index: 1,
                ..
            }
        ));
        // The rest: alice 1000 on 5 Jan and a -300 return -> monetary 700,
        // recency 31 - 5 = 26; bob only B-1: 300, recency 31 - 11 = 20.
        let s = &out.summaries;
        assert_eq!(s.len(), 2);
        let alice = s.get("alice").unwrap();
        assert_eq!((alice.orders(), alice.returns()), (1, 1));
        assert_eq!(alice.monetary(), Money::new(700));
        assert_eq!(alice.recency_days(), Some(26));
        let bob = s.get("bob").unwrap();
        assert_eq!((bob.orders(), bob.monetary()), (1, Money::new(300)));
        assert_eq!(bob.recency_days(), Some(20));
        // 3 counted + 6 skipped + 1 cancelled = 10 orders.
        let counted: u64 = s.iter().map(|c| c.orders() + c.returns()).sum();
        assert_eq!(
            counted as usize + out.skipped.len() + 1,
            lenient_input().len()
        );
    }
}

#[test]
fn future_orders_ignore_lists_them_in_skipped() {
    let orders = [
        buy("A-1", "a", d(1, 5), 100),
        buy("A-2", "a", d(2, 5), 200),
        buy("B-1", "b", d(3, 1), 300),
        buy("A-3", "a", d(1, 31), 50),
    ];
    let out = SummaryConfig::new(d(1, 31))
        .future_orders(FutureOrders::Ignore)
        .summarize(&orders)
        .unwrap();
    assert_eq!(
        out.skipped.iter().map(|s| s.index).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(
        out.skipped[1].reason,
        Error::OrderAfterAsOf {
            index: 2,
            order_id: OrderId::from("B-1"),
            date: d(3, 1),
            as_of: d(1, 31)
        }
    );
    // a: 100 + 50, last order on the as-of date; b has nothing counted.
    let a = out.summaries.get("a").unwrap();
    assert_eq!((a.monetary(), a.recency_days()), (Money::new(150), Some(0)));
    assert!(out.summaries.get("b").is_none());
}

// ------------------------------------------------------- customers, scoring

#[test]
fn duplicate_customer_names_the_first_repeat_in_id_order() {
    let err = Customers::new(["zed", "amy", "zed", "amy"].map(Customer::new)).unwrap_err();
    assert_eq!(
        err,
        Error::DuplicateCustomer {
            customer: CustomerId::from("amy")
        }
    );
    assert_eq!(
        err.to_string(),
        "customer amy: appears more than once in the customer list; customer ids must be unique"
    );
    assert_eq!(err.location(), Some(Location::Customer("amy".into())));
}

#[test]
fn no_purchase_for_a_returns_only_customer() {
    let orders = [
        buy("1", "ann", d(1, 1), 100),
        refund("2", "gus", d(1, 2), -300),
    ];
    let s = Summaries::from_orders(&orders, d(1, 31)).unwrap();
    let model = RfmModel::fit(&ScoringConfig::default(), &s);
    let err = model.score(&s.get("gus").unwrap()).unwrap_err();
    assert_eq!(
        err,
        Error::NoPurchase {
            customer: CustomerId::from("gus")
        }
    );
    assert_eq!(
        err.to_string(),
        "customer gus: has no completed order, so no recency to score; score customers with a purchase"
    );
}

#[test]
fn overflow_names_the_customer() {
    let msg =
        "customer big: total amount overflows i64 minor units; check the customer's order amounts";
    let big = Error::Overflow {
        customer: CustomerId::from("big"),
    };
    // Revenue: i64::MAX + 1.
    let orders = [
        buy("0", "small", d(1, 1), 5),
        buy("1", "big", d(1, 1), i64::MAX),
        buy("2", "big", d(1, 2), 1),
    ];
    let err = Summaries::from_orders(&orders, d(1, 31)).unwrap_err();
    assert_eq!(err, big);
    assert_eq!(err.to_string(), msg);
    // Refunds: i64::MIN - 1.
    let orders = [
        refund("1", "big", d(1, 1), i64::MIN),
        refund("2", "big", d(1, 2), -1),
    ];
    assert_eq!(Summaries::from_orders(&orders, d(1, 31)).unwrap_err(), big);
    // Margin: 0 - (-i64::MAX) = i64::MAX, then + (0 - (-1)) overflows while
    // revenue stays 0.
    let orders = [
        buy("1", "big", d(1, 1), 0).with_cost(Money::new(-i64::MAX)),
        buy("2", "big", d(1, 2), 0).with_cost(Money::new(-1)),
    ];
    assert_eq!(Summaries::from_orders(&orders, d(1, 31)).unwrap_err(), big);
    // Lenient validation does not swallow overflow.
    let orders = [
        buy("1", "big", d(1, 1), i64::MAX),
        buy("2", "big", d(1, 2), 1),
    ];
    let err = SummaryConfig::new(d(1, 31))
        .validation(Validation::Lenient)
        .summarize(&orders)
        .unwrap_err();
    assert_eq!(err, big);
    // Merging two halves that each fit.
    let l = Summaries::from_orders(&orders[..1], d(1, 31)).unwrap();
    let r = Summaries::from_orders(&orders[1..], d(1, 31)).unwrap();
    assert_eq!(l.merge(r).unwrap_err(), big);
}

#[test]
fn merge_with_different_as_of_dates() {
    let l = Summaries::from_orders(&[buy("1", "a", d(1, 1), 1)], d(1, 31)).unwrap();
    let r = Summaries::from_orders(&[buy("2", "a", d(1, 2), 1)], d(2, 28)).unwrap();
    let err = l.clone().merge(r.clone()).unwrap_err();
    assert_eq!(
        err,
        Error::AsOfMismatch {
            left: d(1, 31),
            right: d(2, 28)
        }
    );
    assert_eq!(
        err.to_string(),
        "as-of dates differ: 2025-01-31 and 2025-02-28; merge only summaries built as of the same date"
    );
    assert_eq!(err.location(), None);
    let one = l.get("a").unwrap().clone();
    assert!(matches!(
        one.merge(&r.get("a").unwrap()),
        Err(Error::AsOfMismatch { .. })
    ));
}

#[test]
fn merging_summaries_of_two_customers() {
    let s = Summaries::from_orders(
        &[buy("1", "alice", d(1, 1), 1), buy("2", "bob", d(1, 2), 1)],
        d(1, 31),
    )
    .unwrap();
    let err = s
        .get("alice")
        .unwrap()
        .clone()
        .merge(&s.get("bob").unwrap())
        .unwrap_err();
    assert_eq!(field_of(&err), "customer");
    assert_eq!(
        err.to_string(),
        "config customer: cannot merge the summary of bob into that of alice"
    );
}

// ------------------------------------------------------------------ configs

#[test]
fn scoring_bins_out_of_range() {
    for bins in [0u8, 1, 101, 255] {
        let err = ScoringConfig::builder().bins(bins).build().unwrap_err();
        assert_eq!(
            err,
            Error::InvalidConfig {
                field: "bins".into(),
                reason: format!("is {bins}; use 2..=100 bins"),
            }
        );
        assert_eq!(err.location(), Some(Location::Field("bins".into())));
    }
    assert_eq!(
        ScoringConfig::builder()
            .bins(0)
            .build()
            .unwrap_err()
            .to_string(),
        "config bins: is 0; use 2..=100 bins"
    );
    assert!(ScoringConfig::builder().bins(2).build().is_ok());
    assert!(ScoringConfig::builder().bins(100).build().is_ok());
}

fn m(v: &[i64]) -> Vec<Money> {
    v.iter().copied().map(Money::new).collect()
}

#[test]
fn thresholds_must_increase_strictly() {
    let err = Thresholds::new(vec![30, 30], vec![2, 3], m(&[1, 2])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "config thresholds.recency_days: cuts must be strictly increasing, but cut 0 (30) >= cut 1 (30)"
    );
    let err = Thresholds::new(vec![30, 90], vec![5, 3], m(&[1, 2])).unwrap_err();
    assert_eq!(field_of(&err), "thresholds.frequency");
    let err = Thresholds::new(vec![1, 2, 3], vec![1, 2, 3], m(&[100, 200, 200])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "config thresholds.monetary: cuts must be strictly increasing, but cut 1 (200) >= cut 2 (200)"
    );
}

#[test]
fn thresholds_must_have_matching_lengths_in_range() {
    let err = Thresholds::new(vec![30, 90], vec![2], m(&[1, 2])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "config thresholds.frequency: has 1 cuts but thresholds.recency_days has 2; \
         all dimensions need bins - 1 cuts"
    );
    let err = Thresholds::new(vec![30, 90], vec![2, 3], m(&[1, 2, 3])).unwrap_err();
    assert_eq!(field_of(&err), "thresholds.monetary");
    let err = Thresholds::new(vec![], vec![], vec![]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "config thresholds.recency_days: has 0 cuts; give bins - 1 cuts, 1..=99"
    );
    let hundred: Vec<u32> = (0..100).collect();
    let err = Thresholds::new(
        hundred.clone(),
        (0..100).collect(),
        (0..100).map(Money::new).collect(),
    )
    .unwrap_err();
    assert_eq!(field_of(&err), "thresholds.recency_days");
    // 99 cuts make 100 bins: the maximum.
    let t = Thresholds::new(
        hundred[..99].to_vec(),
        (0..99).collect(),
        (0..99).map(Money::new).collect(),
    )
    .unwrap();
    assert_eq!(t.bins(), 100);
}

#[test]
fn thresholds_must_match_the_bins() {
    let t = Thresholds::new(vec![30, 90], vec![2, 5], m(&[100, 1000])).unwrap();
    let err = ScoringConfig::builder()
        .method(Method::Thresholds(t.clone()))
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "config bins: is 5 but the thresholds have 2 cuts per dimension, which make 3 bins"
    );
    assert!(
        ScoringConfig::builder()
            .bins(3)
            .method(Method::Thresholds(t))
            .build()
            .is_ok()
    );
}

fn rule(name: &str) -> SegmentRule {
    SegmentRule::new(name).unwrap()
}

fn table_err(builder: SegmentTableBuilder) -> Error {
    builder.build().unwrap_err()
}

#[test]
fn segment_table_empty_and_out_of_range_ranges() {
    let err = table_err(
        SegmentTable::builder(5)
            .rule(rule("a").r(ScoreRange::new(3, 2)))
            .fallback("x"),
    );
    assert_eq!(
        err.to_string(),
        "config rules[0].r: range 3..=2 is empty; min must be <= max"
    );
    let err = table_err(
        SegmentTable::builder(5)
            .rule(rule("a").r(1..=1))
            .rule(rule("b").m(0..=2))
            .fallback("x"),
    );
    assert_eq!(
        err.to_string(),
        "config rules[1].m: range 0..=2 leaves the scores 1..=5 of this table"
    );
    let err = table_err(
        SegmentTable::builder(5)
            .rule(rule("a").f(4..=6))
            .fallback("x"),
    );
    assert_eq!(field_of(&err), "rules[0].f");
    // A 3-bin table rejects a range fine for 5 bins.
    let err = table_err(
        SegmentTable::builder(3)
            .rule(rule("a").r(1..=4))
            .fallback("x"),
    );
    assert_eq!(
        err.to_string(),
        "config rules[0].r: range 1..=4 leaves the scores 1..=3 of this table"
    );
}

#[test]
fn segment_table_duplicate_names() {
    let err = table_err(
        SegmentTable::builder(5)
            .rule(rule("a").r(1..=1))
            .rule(rule("b").r(2..=2))
            .rule(rule("a").r(3..=3))
            .fallback("x"),
    );
    assert_eq!(
        err.to_string(),
        "config rules[2].name: segment a appears twice; names must be unique"
    );
    let err = table_err(
        SegmentTable::builder(5)
            .rule(rule("x").r(1..=1))
            .fallback("x"),
    );
    assert_eq!(field_of(&err), "rules[0].name");
}

#[test]
fn segment_table_shadowed_rules() {
    let err = table_err(
        SegmentTable::builder(5)
            .rule(rule("a").r(1..=3))
            .rule(rule("b").r(2..=3).f(5..=5))
            .fallback("x"),
    );
    assert_eq!(
        err.to_string(),
        "config rules[1]: segment b is never assigned: every cell it takes matches an earlier rule; \
         reorder or narrow the rules"
    );
    // Shadowed by the union of two earlier rules, neither alone covering it.
    let err = table_err(
        SegmentTable::builder(5)
            .rule(rule("low").r(1..=2))
            .rule(rule("high").r(3..=5))
            .rule(rule("once").f(1..=1))
            .fallback("x"),
    );
    assert_eq!(field_of(&err), "rules[2]");
    // An unrestricted first rule shadows everything after it.
    let err = table_err(
        SegmentTable::builder(5)
            .rule(rule("all"))
            .rule(rule("some").r(5..=5))
            .fallback("x"),
    );
    assert_eq!(field_of(&err), "rules[1]");
}

#[test]
fn segment_table_fallback_and_bins() {
    let err = table_err(SegmentTable::builder(5).rule(rule("a").r(1..=1)));
    assert_eq!(
        err.to_string(),
        "config fallback: missing; every table needs a fallback segment so that every customer gets one"
    );
    let err = table_err(SegmentTable::builder(5).fallback("Other"));
    assert_eq!(
        err.to_string(),
        "config fallback: name \"Other\" is not a snake_case identifier such as \"other\""
    );
    for bins in [0u8, 1, 101] {
        let err = table_err(SegmentTable::builder(bins).fallback("x"));
        assert_eq!(field_of(&err), "bins");
    }
}

#[test]
fn segment_names_must_be_snake_case() {
    for bad in [
        "",
        "At Risk",
        "at risk",
        "1st",
        "_x",
        "a-b",
        "caf\u{e9}",
        "Champions",
    ] {
        let err = Segment::new(bad).unwrap_err();
        assert_eq!(field_of(&err), "segment", "{bad:?}");
        assert!(SegmentRule::new(bad).is_err(), "{bad:?}");
    }
    let long = "a".repeat(65);
    assert!(Segment::new(&long).is_err());
    assert!(Segment::new(&long[..64]).is_ok());
    assert!(Segment::new("at_risk_2").is_ok());
    let err = Segment::new("At Risk").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("config segment: name \"At Risk\" is not a snake_case identifier"),
        "{err}"
    );
}

#[test]
fn assigning_scores_beyond_the_table() {
    let err = SegmentTable::standard().assign(cell(6, 1, 1)).unwrap_err();
    assert!(matches!(err, Error::OutOfRange { what: "score", .. }));
    assert_eq!(err.location(), None);
    let small = SegmentTable::builder(3).fallback("all").build().unwrap();
    assert!(small.assign(cell(3, 3, 3)).is_ok());
    assert!(small.assign(cell(1, 4, 1)).is_err());
}

#[test]
fn segmenting_scores_with_other_bins() {
    let s = Summaries::from_orders(&[buy("1", "a", d(1, 1), 1)], d(1, 31)).unwrap();
    let config = ScoringConfig::builder().bins(4).build().unwrap();
    let scores = RfmModel::fit(&config, &s).score_all(&s);
    let err = SegmentTable::standard().segment_all(&scores).unwrap_err();
    assert_eq!(
        err.to_string(),
        "config bins: the scores have 4 bins but the segment table has 5; use a table for 4 bins"
    );
}

// ------------------------------------------------------------- values

#[test]
fn out_of_range_values() {
    let err = Score::new(0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "score: 0 is out of range; scores are 1..=100"
    );
    assert!(Score::new(101).is_err());
    let err = Birthday::new(2, 30).unwrap_err();
    assert_eq!(
        err.to_string(),
        "birthday: 02-30 is out of range; a real month (1..=12) and day of that month (29 February allowed)"
    );
    assert!(Birthday::new(13, 1).is_err());
    assert!(Birthday::new(0, 1).is_err());
    assert!(Birthday::new(2, 29).is_ok());
}

#[test]
fn parse_money_errors() {
    let err = Money::parse_decimal("12.345", 2).unwrap_err();
    assert_eq!(
        err,
        Error::ParseMoney {
            input: "12.345".into(),
            reason: "has 3 decimals; this currency has at most 2".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "amount \"12.345\": has 3 decimals; this currency has at most 2"
    );
    assert!(matches!(
        Money::parse_decimal("1", 19),
        Err(Error::OutOfRange { what: "scale", .. })
    ));
}

#[test]
fn error_is_send_sync_static_and_cloneable() {
    fn check<T: Send + Sync + 'static + std::error::Error + Clone>() {}
    check::<Error>();
}

// --------------------------------------------------- invalid JSON is refused

#[test]
fn json_cannot_bypass_validation() {
    assert!(serde_json::from_str::<Score>("0").is_err());
    assert!(serde_json::from_str::<Score>("101").is_err());
    assert_eq!(
        serde_json::from_str::<Score>("5").unwrap(),
        Score::new(5).unwrap()
    );

    assert!(serde_json::from_str::<Birthday>(r#"{"month":2,"day":30}"#).is_err());
    assert!(serde_json::from_str::<Birthday>(r#"{"month":13,"day":1}"#).is_err());

    let err =
        serde_json::from_str::<SegmentTable>(r#"{"bins":5,"rules":[{"name":"a","r":[1,1]}]}"#)
            .unwrap_err();
    assert!(
        err.to_string().contains("config fallback: missing"),
        "{err}"
    );
    let shadowed = r#"{"bins":5,"rules":[{"name":"a"},{"name":"b","r":[1,1]}],"fallback":"x"}"#;
    assert!(serde_json::from_str::<SegmentTable>(shadowed).is_err());
    assert!(serde_json::from_str::<Segment>(r#""At Risk""#).is_err());

    assert!(serde_json::from_str::<ScoringConfig>(r#"{"bins":1}"#).is_err());
    let mismatched = r#"{"bins":5,"method":{"thresholds":{"recency_days":[30,90],"frequency":[2,5],"monetary":[100,1000]}}}"#;
    assert!(serde_json::from_str::<ScoringConfig>(mismatched).is_err());
    let unordered = r#"{"recency_days":[90,30],"frequency":[2,5],"monetary":[100,1000]}"#;
    assert!(serde_json::from_str::<Thresholds>(unordered).is_err());

    assert!(serde_json::from_str::<Customers>(r#"[{"id":"a"},{"id":"a"}]"#).is_err());
}

#[test]
fn json_model_with_bad_cuts_is_refused() {
    let orders: Vec<Order> = (1..=6)
        .map(|i| {
            buy(
                &format!("o{i}"),
                &format!("c{i}"),
                d(1, i),
                100 * i64::from(i),
            )
        })
        .collect();
    let s = Summaries::from_orders(&orders, d(1, 31)).unwrap();
    let config = ScoringConfig::builder().bins(3).build().unwrap();
    let model = RfmModel::fit(&config, &s);
    let good = serde_json::to_value(&model).unwrap();
    assert_eq!(
        serde_json::from_value::<RfmModel>(good.clone()).unwrap(),
        model
    );

    // Monetary cuts in disorder.
    let mut bad = good.clone();
    let cuts = bad["monetary"].as_array_mut().unwrap();
    let (a, b) = (cuts[0]["value"].clone(), cuts[1]["value"].clone());
    cuts[0]["value"] = b;
    cuts[1]["value"] = a;
    let err = serde_json::from_value::<RfmModel>(bad).unwrap_err();
    assert!(err.to_string().contains("config monetary"), "{err}");

    // Recency cuts in disorder (recency is "<= days": must not increase).
    let mut bad = good.clone();
    bad["recency"][0]["value"] = serde_json::json!(0);
    bad["recency"][1]["value"] = serde_json::json!(365);
    assert!(serde_json::from_value::<RfmModel>(bad).is_err());

    // Wrong number of cuts for 3 bins.
    let mut bad = good.clone();
    bad["frequency"].as_array_mut().unwrap().pop();
    assert!(serde_json::from_value::<RfmModel>(bad).is_err());

    // Cuts labelled with the wrong scores.
    let mut bad = good.clone();
    bad["frequency"][0]["score"] = serde_json::json!(3);
    assert!(serde_json::from_value::<RfmModel>(bad).is_err());

    // An empty model (no cuts) is valid.
    let mut empty = good;
    for dim in ["recency", "frequency", "monetary"] {
        empty[dim] = serde_json::json!([]);
    }
    assert!(serde_json::from_value::<RfmModel>(empty).is_ok());
}

#[test]
fn json_summaries_must_be_sorted_and_share_the_as_of_date() {
    let orders = [buy("1", "a", d(1, 1), 100), buy("2", "b", d(1, 2), 100)];
    let s = Summaries::from_orders(&orders, d(1, 31)).unwrap();
    let good = serde_json::to_value(&s).unwrap();
    let mut swapped = good.clone();
    swapped["customers"].as_array_mut().unwrap().swap(0, 1);
    assert!(serde_json::from_value::<Summaries>(swapped).is_err());
    let mut other_date = good;
    other_date["customers"][1]["as_of"] = serde_json::json!("2025-02-28");
    let err = serde_json::from_value::<Summaries>(other_date).unwrap_err();
    assert!(err.to_string().contains("as-of dates differ"), "{err}");
}
