//! Hostile sizes: every public entry point that takes an iterator gets one
//! whose `size_hint` lies (`(usize::MAX, None)`). Collecting such an
//! iterator naively aborts with "capacity overflow" before reading an item;
//! each entry point must instead read the items and give the same result
//! as for an honest iterator.

use rfmkit::audience::{Rule, field};
use rfmkit::campaign::{Audience, Suppression, SuppressionReason};
use rfmkit::clv::{Btyd, BtydConfig, BtydData, CustomerBtyd};
use rfmkit::customer::{Customer, Customers};
use rfmkit::id::StoreId;
use rfmkit::ltv::{
    CohortTable, CustomerMap, KpiConfig, LtvReport, TimeUnit, Unmapped, merge_stores,
};
use rfmkit::rfm::{RfmScore, Score};
use rfmkit::summary::{Summaries, SummaryConfig};
use rfmkit::{CustomerId, Money, Order};

use crate::common::{buy, d};

/// Yields the items of `I` but claims `usize::MAX` of them.
struct Liar<I>(I);

impl<I: Iterator> Iterator for Liar<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}

fn liar<T: IntoIterator>(items: T) -> Liar<T::IntoIter> {
    Liar(items.into_iter())
}

fn orders() -> Vec<Order> {
    vec![
        buy("A-1", "alice", d(1, 5), 4_500)
            .with_channel("web")
            .with_store("tokyo"),
        buy("A-2", "alice", d(3, 1), 6_000)
            .with_channel("web")
            .with_store("tokyo"),
        buy("A-3", "bob", d(2, 10), 1_200)
            .with_channel("app")
            .with_store("osaka"),
    ]
}

#[test]
fn customers_new() {
    let got = Customers::new(liar([Customer::new("b"), Customer::new("a")])).unwrap();
    let ids: Vec<&str> = got.iter().map(|c| c.id().as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn audiences_and_suppressions() {
    let ids = || ["c", "a", "b", "a"].map(CustomerId::from);
    let want = ["a", "b", "c"];
    let names = |a: &Audience| a.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    assert_eq!(names(&Audience::new(liar(ids()))), want);
    assert_eq!(names(&liar(ids()).collect::<Audience>()), want);
    assert_eq!(names(&liar(["c", "a", "b"]).collect::<Audience>()), want);
    let mut grown = Audience::new([CustomerId::from("b")]);
    grown.extend(liar(["c", "a"].map(CustomerId::from)));
    assert_eq!(names(&grown), want);

    let s: Suppression = liar([
        (CustomerId::from("a"), SuppressionReason::Unsubscribed),
        (CustomerId::from("b"), SuppressionReason::Unsubscribed),
    ])
    .collect();
    assert!(s.contains("a") && s.contains("b") && !s.contains("c"));
}

#[test]
fn ltv_inputs() {
    let orders = orders();
    let as_of = d(3, 31);
    let config = KpiConfig::default();
    let honest = CohortTable::from_orders(&orders, as_of, &config).unwrap();
    assert_eq!(
        CohortTable::from_orders(liar(&orders), as_of, &config).unwrap(),
        honest
    );
    assert_eq!(
        CohortTable::by_channel(liar(&orders), as_of, &config).unwrap(),
        CohortTable::by_channel(&orders, as_of, &config).unwrap()
    );
    assert_eq!(
        CohortTable::by_store(liar(&orders), as_of, &config).unwrap(),
        CohortTable::by_store(&orders, as_of, &config).unwrap()
    );
    assert_eq!(
        LtvReport::from_orders(liar(&orders), as_of, &config).unwrap(),
        LtvReport::from_orders(&orders, as_of, &config).unwrap()
    );
    assert_eq!(
        LtvReport::build(liar(&orders), &SummaryConfig::new(as_of), &config).unwrap(),
        LtvReport::build(&orders, &SummaryConfig::new(as_of), &config).unwrap()
    );

    let map: CustomerMap = liar([(
        StoreId::from("osaka"),
        CustomerId::from("bob"),
        CustomerId::from("u-1"),
    )])
    .collect();
    assert_eq!(map.len(), 1);
    let mut grown = CustomerMap::new();
    grown.extend(liar([(
        StoreId::from("tokyo"),
        CustomerId::from("alice"),
        CustomerId::from("u-2"),
    )]));
    assert_eq!(grown.len(), 1);
    let unified = map.unify_orders(liar(&orders), Unmapped::Keep);
    let owners: Vec<&str> = unified.iter().map(|o| o.customer().as_str()).collect();
    assert_eq!(owners, ["alice", "alice", "u-1"]);

    let tokyo = Summaries::from_orders(orders.iter().take(2), as_of).unwrap();
    let merged = merge_stores(
        as_of,
        liar([(StoreId::from("tokyo"), tokyo)]),
        &map,
        Unmapped::Keep,
    )
    .unwrap();
    assert_eq!(merged.len(), 1);
}

#[test]
fn clv_inputs() {
    let orders = orders();
    let config = BtydConfig::builder(d(3, 31))
        .unit(TimeUnit::Day)
        .build()
        .unwrap();
    let honest = BtydData::from_orders(&orders, &config).unwrap();
    assert_eq!(
        BtydData::from_orders(liar(&orders), &config).unwrap(),
        honest
    );
    assert_eq!(honest.len(), 2);

    let customers = || {
        [
            CustomerBtyd::new("b", Btyd::new(0, 0.0, 3.0).unwrap()),
            CustomerBtyd::new("a", Btyd::new(1, 2.0, 5.0).unwrap()),
        ]
    };
    assert_eq!(
        BtydData::new(TimeUnit::Week, liar(customers())).unwrap(),
        BtydData::new(TimeUnit::Week, customers()).unwrap()
    );
}

#[test]
fn rule_builders() {
    let a = field::frequency().ge(2);
    let b = field::email_opt_in().is_true();
    assert_eq!(
        Rule::all(liar([a.clone(), b.clone()])),
        Rule::all([a.clone(), b.clone()])
    );
    assert_eq!(Rule::any(liar([a.clone(), b.clone()])), Rule::any([a, b]));
    assert_eq!(
        field::frequency().is_in(liar([1, 2])),
        field::frequency().is_in([1, 2])
    );
    assert_eq!(
        field::monetary().not_in(liar([Money::new(1)])),
        field::monetary().not_in([Money::new(1)])
    );
    assert_eq!(
        field::first_channel().is_in(liar(["web", "app"])),
        field::first_channel().is_in(["web", "app"])
    );
    assert_eq!(
        field::segment().is_in(liar(["at_risk"])).unwrap(),
        field::segment().is_in(["at_risk"]).unwrap()
    );
    let s = |v| Score::new(v).unwrap();
    let cell = RfmScore::new(s(5), s(4), s(3));
    assert_eq!(
        field::rfm_cell().is_in(liar([cell])),
        field::rfm_cell().is_in([cell])
    );
}
