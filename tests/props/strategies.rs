//! proptest strategies: orders (valid, or with injected faults), customers,
//! scoring configs and segment tables.

use chrono::{Days, NaiveDate};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use rfmkit::customer::{AttributeValue, Birthday, Customer, Customers};
use rfmkit::order::OrderStatus;
use rfmkit::rfm::{FrequencyBasis, Method, ScoringConfig, Thresholds};
use rfmkit::segment::{SegmentRule, SegmentTable};
use rfmkit::{Error, Money, Order};

/// The as-of date of every generated data set.
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
}

/// A small pool, so customers repeat; "C10" < "C9" byte-wise.
pub const CUSTOMERS: [&str; 7] = ["C10", "C9", "ann", "bob", "dee", "eve", "zed"];
const CHANNELS: [&str; 3] = ["web", "app", "ads"];
const STORES: [&str; 2] = ["tokyo", "osaka"];

/// One order before it gets its id.
#[derive(Debug, Clone)]
pub struct Parts {
    customer: &'static str,
    days_before: u64,
    status: OrderStatus,
    /// Magnitude, `>= 0`; the sign comes from the status.
    size: i64,
    cost: Option<i64>,
    channel: Option<&'static str>,
    store: Option<&'static str>,
    /// Scrambles the id so that id order is not input order.
    tag: u16,
}

pub fn status() -> impl Strategy<Value = OrderStatus> {
    prop_oneof![
        6 => Just(OrderStatus::Completed),
        2 => Just(OrderStatus::Returned),
        1 => Just(OrderStatus::Cancelled),
    ]
}

/// Amounts with many ties (multiples of 500) and some spread.
fn size() -> impl Strategy<Value = i64> {
    prop_oneof![(0i64..=10).prop_map(|x| x * 500), 0i64..=200_000]
}

pub fn parts() -> impl Strategy<Value = Parts> {
    (
        select(&CUSTOMERS[..]),
        // A narrow window, so that same-day orders and date ties are common.
        0u64..=90,
        status(),
        size(),
        proptest::option::of(-1_000i64..=100_000),
        proptest::option::of(select(&CHANNELS[..])),
        proptest::option::of(select(&STORES[..])),
        any::<u16>(),
    )
        .prop_map(
            |(customer, days_before, status, size, cost, channel, store, tag)| Parts {
                customer,
                days_before,
                status,
                size,
                cost,
                channel,
                store,
                tag,
            },
        )
}

/// Builds an order from its parts.
pub fn make(
    id: &str,
    customer: &str,
    date: NaiveDate,
    amount: i64,
    status: OrderStatus,
    template: &Parts,
) -> Order {
    let mut o = Order::new(id, customer, date, Money::new(amount)).with_status(status);
    if let Some(c) = template.cost {
        o = o.with_cost(Money::new(c));
    }
    if let Some(c) = template.channel {
        o = o.with_channel(c);
    }
    if let Some(s) = template.store {
        o = o.with_store(s);
    }
    o
}

impl Parts {
    /// The valid order at input position `index` (ids are unique by index).
    pub fn order(&self, index: usize) -> Order {
        let amount = match self.status {
            OrderStatus::Completed => self.size,
            OrderStatus::Returned => -self.size,
            // Any sign is valid for a cancelled order.
            _ => self.size - 100_000,
        };
        make(
            &format!("{:04x}-{index}", self.tag),
            self.customer,
            self.date(),
            amount,
            self.status,
            self,
        )
    }

    fn date(&self) -> NaiveDate {
        as_of() - Days::new(self.days_before)
    }
}

/// Valid orders (unique ids, dates <= as_of, amounts signed per status).
pub fn valid_orders(max: usize) -> impl Strategy<Value = Vec<Order>> {
    vec(parts(), 0..max)
        .prop_map(|parts| parts.iter().enumerate().map(|(i, p)| p.order(i)).collect())
}

/// What is wrong with a generated order.
#[derive(Debug, Clone)]
pub enum Fault {
    None,
    /// Dated this many days after the as-of date.
    Future(u64),
    /// Amount of the wrong sign for its status.
    WrongSign,
    /// Reuses the id of an earlier order.
    Duplicate(Index),
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::None),
        1 => (1u64..=30).prop_map(Fault::Future),
        1 => Just(Fault::WrongSign),
        1 => any::<Index>().prop_map(Fault::Duplicate),
    ]
}

/// Orders with some invalid ones mixed in (future dates, wrong signs,
/// repeated ids); some faults combine with cancellations.
pub fn messy_orders(max: usize) -> impl Strategy<Value = Vec<Order>> {
    vec((parts(), fault()), 0..max).prop_map(|items| {
        let mut out: Vec<Order> = Vec::with_capacity(items.len());
        for (i, (p, f)) in items.iter().enumerate() {
            let valid = p.order(i);
            let order = match f {
                Fault::None => valid,
                Fault::Future(days) => make(
                    valid.id().as_str(),
                    p.customer,
                    as_of() + Days::new(*days),
                    valid.amount().minor_units(),
                    p.status,
                    p,
                ),
                Fault::WrongSign => {
                    let (amount, status) = match p.status {
                        OrderStatus::Returned => (p.size + 1, OrderStatus::Returned),
                        _ => (-(p.size + 1), OrderStatus::Completed),
                    };
                    make(valid.id().as_str(), p.customer, p.date(), amount, status, p)
                }
                Fault::Duplicate(ix) if i > 0 => {
                    let id = out[ix.index(i)].id().clone();
                    make(
                        id.as_str(),
                        p.customer,
                        p.date(),
                        valid.amount().minor_units(),
                        p.status,
                        p,
                    )
                }
                Fault::Duplicate(_) => valid,
            };
            out.push(order);
        }
        out
    })
}

/// `order` re-issued for another customer under another id.
pub fn copy_as(order: &Order, customer: &str, id: &str) -> Order {
    let mut o = Order::new(id, customer, order.date(), order.amount()).with_status(order.status());
    if let Some(c) = order.cost() {
        o = o.with_cost(c);
    }
    if let Some(c) = order.channel() {
        o = o.with_channel(c.as_str());
    }
    if let Some(s) = order.store() {
        o = o.with_store(s.as_str());
    }
    o
}

// ------------------------------------------------------------------ scoring

/// `bins - 1` strictly increasing cuts per dimension.
pub fn thresholds(bins: u8) -> impl Strategy<Value = Thresholds> {
    let n = usize::from(bins - 1);
    (
        btree_set(0u32..=400, n),
        btree_set(1u64..=30, n),
        btree_set(-5_000i64..=300_000, n),
    )
        .prop_map(|(r, f, m)| {
            Thresholds::new(
                r.into_iter().collect(),
                f.into_iter().collect(),
                m.into_iter().map(Money::new).collect(),
            )
            .unwrap()
        })
}

pub fn method(bins: u8) -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::Quantile),
        Just(Method::Rank),
        thresholds(bins).prop_map(Method::Thresholds),
    ]
}

/// Methods under which a score depends only on the customer's values.
pub fn value_only_method(bins: u8) -> impl Strategy<Value = Method> {
    prop_oneof![
        2 => Just(Method::Quantile),
        1 => thresholds(bins).prop_map(Method::Thresholds),
    ]
}

pub fn basis() -> impl Strategy<Value = FrequencyBasis> {
    prop_oneof![
        Just(FrequencyBasis::Orders),
        Just(FrequencyBasis::PurchaseDays)
    ]
}

pub fn config_with(bins: u8, method: Method, basis: FrequencyBasis) -> ScoringConfig {
    ScoringConfig::builder()
        .bins(bins)
        .method(method)
        .frequency(basis)
        .build()
        .unwrap()
}

/// Any valid config with 2 to 10 bins and any method.
pub fn scoring_config() -> impl Strategy<Value = ScoringConfig> {
    (2u8..=10)
        .prop_flat_map(|bins| (Just(bins), method(bins), basis()))
        .prop_map(|(bins, method, basis)| config_with(bins, method, basis))
}

/// A config with 5 bins (for the presets) and any method.
pub fn five_bin_config() -> impl Strategy<Value = ScoringConfig> {
    (method(5), basis()).prop_map(|(method, basis)| config_with(5, method, basis))
}

// ----------------------------------------------------------------- segments

type Ranges = [Option<(u8, u8)>; 3];

fn range(bins: u8) -> impl Strategy<Value = Option<(u8, u8)>> {
    proptest::option::of((1..=bins, 1..=bins).prop_map(|(a, b)| (a.min(b), a.max(b))))
}

/// Builds a table from rule ranges, dropping each rule the builder reports
/// as shadowed until the table is valid.
fn valid_table(bins: u8, specs: &[Ranges]) -> SegmentTable {
    let mut rules: Vec<SegmentRule> = specs
        .iter()
        .enumerate()
        .map(|(i, [r, f, m])| {
            let mut rule = SegmentRule::new(&format!("s{i}")).unwrap();
            if let Some((a, b)) = *r {
                rule = rule.r(a..=b);
            }
            if let Some((a, b)) = *f {
                rule = rule.f(a..=b);
            }
            if let Some((a, b)) = *m {
                rule = rule.m(a..=b);
            }
            rule
        })
        .collect();
    loop {
        let mut builder = SegmentTable::builder(bins).fallback("other");
        for rule in &rules {
            builder = builder.rule(rule.clone());
        }
        match builder.build() {
            Ok(table) => return table,
            Err(Error::InvalidConfig { field, reason }) => {
                let i: usize = field
                    .strip_prefix("rules[")
                    .and_then(|s| s.strip_suffix(']'))
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| panic!("unexpected error {field}: {reason}"));
                rules.remove(i);
            }
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
}

/// A random valid segment table over `bins` bins (0 to 6 rules).
pub fn segment_table(bins: u8) -> impl Strategy<Value = SegmentTable> {
    vec([range(bins), range(bins), range(bins)], 0..7)
        .prop_map(move |specs| valid_table(bins, &specs))
}

// ---------------------------------------------------------------- customers

const TAGS: [&str; 3] = ["vip", "newsletter", "b2b"];
const KEYS: [&str; 3] = ["tier", "points", "since"];

fn attribute() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        "[a-z]{0,6}".prop_map(AttributeValue::String),
        // Quarters are exact in binary, so JSON round-trips them exactly.
        (-4_000i32..4_000).prop_map(|x| AttributeValue::Number(f64::from(x) / 4.0)),
        any::<bool>().prop_map(AttributeValue::Bool),
        (0u64..1_000).prop_map(|k| AttributeValue::Date(as_of() - Days::new(k))),
    ]
}

pub fn customer() -> impl Strategy<Value = Customer> {
    (
        select(&CUSTOMERS[..]),
        proptest::option::of(0u64..=1_000),
        proptest::option::of((1u8..=12, 1u8..=31)),
        proptest::option::of(select(&CHANNELS[..])),
        btree_set(select(&TAGS[..]), 0..3),
        any::<bool>(),
        any::<bool>(),
        btree_map(select(&KEYS[..]), attribute(), 0..3),
    )
        .prop_map(|(id, signup, birthday, channel, tags, email, sms, attrs)| {
            let mut c = Customer::new(id)
                .with_email_opt_in(email)
                .with_sms_opt_in(sms);
            if let Some(days) = signup {
                c = c.with_signup_date(as_of() - Days::new(days));
            }
            if let Some(b) = birthday.and_then(|(m, d)| Birthday::new(m, d).ok()) {
                c = c.with_birthday(b);
            }
            if let Some(ch) = channel {
                c = c.with_acquisition_channel(ch);
            }
            for t in tags {
                c = c.with_tag(t);
            }
            for (k, v) in attrs {
                c = c.with_attribute(k, v);
            }
            c
        })
}

/// A customer list (ids unique: later repeats are dropped).
pub fn customers() -> impl Strategy<Value = Customers> {
    vec(customer(), 0..6).prop_map(|list| {
        let mut seen = std::collections::BTreeSet::new();
        let unique: Vec<Customer> = list
            .into_iter()
            .filter(|c| seen.insert(c.id().clone()))
            .collect();
        Customers::new(unique).unwrap()
    })
}
