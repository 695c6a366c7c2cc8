//! Independent tests of the one-pipeline core (issue 9): ingest
//! ([`IngestConfig`], [`LogBuilder`](rfmkit::ingest::LogBuilder)) → columnar
//! [`Summaries`] → [`Scores`] → [`Segmentation`] → [`Profiles`].
//!
//! Expected values come from the naive reference in [`naive`], a direct
//! reading of the documented definitions over plain [`Order`]s that shares
//! no code with the crate, or are worked out by hand in comments.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use rfmkit::audience::{PredictedValues, Profiles, Prospects, Rule, Schema};
use rfmkit::customer::{Birthday, Customer, Customers};
use rfmkit::ingest::{IdOrder, IngestConfig};
use rfmkit::order::OrderStatus;
use rfmkit::rfm::{FrequencyBasis, Method, RfmModel, Scores, ScoringConfig, Thresholds};
use rfmkit::segment::{SegmentRule, SegmentTable, Segmentation};
use rfmkit::summary::{CustomerSummary, Summaries, SummaryConfig};
use rfmkit::{CustomerId, Error, Money, Order};

/// The as-of date of every data set here.
fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
}

fn ago(days: u64) -> NaiveDate {
    as_of() - Days::new(days)
}

/// The naive reference: per-customer summaries and the three scoring
/// methods, straight from the module docs of `order`, `summary` and `rfm`.
mod naive {
    use super::*;

    /// The documented id orders: byte-wise text, or integer value then text.
    pub fn compare(order: IdOrder, a: &str, b: &str) -> Ordering {
        if order == IdOrder::Numeric {
            let x: i64 = a.parse().expect("numeric id");
            let y: i64 = b.parse().expect("numeric id");
            x.cmp(&y).then_with(|| a.cmp(b))
        } else {
            a.cmp(b)
        }
    }

    /// The first completed order: (date, order id, channel, store).
    pub type First = (NaiveDate, String, Option<String>, Option<String>);

    /// One customer's summary, every field a plain value.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Row {
        pub customer: String,
        pub orders: u64,
        pub returns: u64,
        pub purchase_dates: Vec<NaiveDate>,
        pub purchase_days: u64,
        pub first_date: Option<NaiveDate>,
        pub last_date: Option<NaiveDate>,
        pub recency: Option<i64>,
        pub revenue: i64,
        pub refunds: i64,
        pub monetary: i64,
        pub average: Option<i64>,
        pub margin: Option<i64>,
        pub first: Option<First>,
    }

    /// `total / n` rounded to the nearest integer, halves away from zero,
    /// by quotient and remainder.
    fn round_half_away(total: i64, n: u64) -> i64 {
        let n = i64::try_from(n).unwrap();
        let (q, r) = (total / n, total % n);
        if 2 * r.abs() >= n {
            q + total.signum()
        } else {
            q
        }
    }

    /// Summaries of `orders` as of `as_of`, sorted in `order`.
    pub fn summarize(orders: &[Order], as_of: NaiveDate, order: IdOrder) -> Vec<Row> {
        let mut by: BTreeMap<String, Vec<&Order>> = BTreeMap::new();
        for o in orders {
            // Cancelled orders count nowhere.
            if o.status() != OrderStatus::Cancelled {
                by.entry(o.customer().to_string()).or_default().push(o);
            }
        }
        let mut rows: Vec<Row> = by
            .into_iter()
            .map(|(customer, os)| {
                let completed: Vec<&Order> = os
                    .iter()
                    .copied()
                    .filter(|o| o.status() == OrderStatus::Completed)
                    .collect();
                let returned: Vec<&Order> = os
                    .iter()
                    .copied()
                    .filter(|o| o.status() == OrderStatus::Returned)
                    .collect();
                let mut dates: Vec<NaiveDate> = completed.iter().map(|o| o.date()).collect();
                dates.sort();
                dates.dedup();
                let revenue: i64 = completed.iter().map(|o| o.amount().minor_units()).sum();
                let refunds: i64 = returned.iter().map(|o| o.amount().minor_units()).sum();
                let monetary = revenue + refunds;
                let orders = completed.len() as u64;
                let margin = if os.iter().all(|o| o.cost().is_some()) {
                    Some(
                        os.iter()
                            .map(|o| o.amount().minor_units() - o.cost().unwrap().minor_units())
                            .sum(),
                    )
                } else {
                    None
                };
                let first = completed
                    .iter()
                    .min_by(|a, b| (a.date(), a.id().as_str()).cmp(&(b.date(), b.id().as_str())))
                    .map(|o| {
                        (
                            o.date(),
                            o.id().to_string(),
                            o.channel().map(ToString::to_string),
                            o.store().map(ToString::to_string),
                        )
                    });
                Row {
                    customer,
                    orders,
                    returns: returned.len() as u64,
                    purchase_days: dates.len() as u64,
                    first_date: dates.first().copied(),
                    last_date: dates.last().copied(),
                    recency: dates.last().map(|&d| (as_of - d).num_days()),
                    purchase_dates: dates,
                    revenue,
                    refunds,
                    monetary,
                    average: (orders > 0).then(|| round_half_away(monetary, orders)),
                    margin,
                    first,
                }
            })
            .collect();
        rows.sort_by(|a, b| compare(order, &a.customer, &b.customer));
        rows
    }

    /// A library summary as a naive row.
    pub fn of(s: &CustomerSummary) -> Row {
        Row {
            customer: s.customer().to_string(),
            orders: s.orders(),
            returns: s.returns(),
            purchase_dates: s.purchase_dates().to_vec(),
            purchase_days: s.purchase_days(),
            first_date: s.first_order_date(),
            last_date: s.last_order_date(),
            recency: s.recency_days(),
            revenue: s.revenue().minor_units(),
            refunds: s.refunds().minor_units(),
            monetary: s.monetary().minor_units(),
            average: s.average_order_value().map(Money::minor_units),
            margin: s.margin().map(Money::minor_units),
            first: s.first_order().map(|f| {
                (
                    f.date,
                    f.order_id.to_string(),
                    f.channel.as_ref().map(ToString::to_string),
                    f.store.as_ref().map(ToString::to_string),
                )
            }),
        }
    }

    /// A scoring method, with thresholds as plain numbers.
    #[derive(Debug, Clone)]
    pub enum Scoring {
        Quantile,
        Rank,
        Thresholds {
            recency: Vec<u32>,
            frequency: Vec<u64>,
            monetary: Vec<i64>,
        },
    }

    /// A scored customer: (id, recency days, frequency, monetary, [r, f, m]).
    pub type Scored = (String, i64, u64, i64, [u8; 3]);

    /// Quantile: `b_k = v(⌈kN/n⌉)` over ascending values, score
    /// `1 + #{k : v > b_k}`.
    fn quantile(v: &[i64], n: usize) -> Vec<u8> {
        let big = v.len();
        if big == 0 {
            return Vec::new();
        }
        let mut sorted = v.to_vec();
        sorted.sort_unstable();
        let cuts: Vec<i64> = (1..n).map(|k| sorted[(k * big).div_ceil(n) - 1]).collect();
        v.iter()
            .map(|x| 1 + cuts.iter().filter(|&&b| *x > b).count() as u8)
            .collect()
    }

    /// Rank: stable sort by value (the input is in id order, so ties go by
    /// id), score `⌈n·r/N⌉` with `r` 1-based.
    fn rank(v: &[i64], n: usize) -> Vec<u8> {
        let big = v.len();
        let mut idx: Vec<usize> = (0..big).collect();
        idx.sort_by_key(|&i| v[i]);
        let mut out = vec![0; big];
        for (pos, &i) in idx.iter().enumerate() {
            out[i] = u8::try_from((n * (pos + 1)).div_ceil(big)).unwrap();
        }
        out
    }

    /// Scores of the customers with a completed order (in the rows' order)
    /// and the ids of the others.
    pub fn score(
        rows: &[Row],
        bins: u8,
        scoring: &Scoring,
        basis: FrequencyBasis,
    ) -> (Vec<Scored>, Vec<String>) {
        let n = usize::from(bins);
        let scored: Vec<&Row> = rows.iter().filter(|r| r.orders > 0).collect();
        let unscored = rows
            .iter()
            .filter(|r| r.orders == 0)
            .map(|r| r.customer.clone())
            .collect();
        let recency: Vec<i64> = scored.iter().map(|r| r.recency.unwrap()).collect();
        let frequency: Vec<u64> = scored
            .iter()
            .map(|r| match basis {
                FrequencyBasis::PurchaseDays => r.purchase_days,
                _ => r.orders,
            })
            .collect();
        let monetary: Vec<i64> = scored.iter().map(|r| r.monetary).collect();
        // Oriented so that higher is better.
        let oriented = [
            recency.iter().map(|r| -r).collect::<Vec<i64>>(),
            frequency.iter().map(|&f| f as i64).collect(),
            monetary.clone(),
        ];
        let by_dim: Vec<Vec<u8>> = match scoring {
            Scoring::Quantile => oriented.iter().map(|v| quantile(v, n)).collect(),
            Scoring::Rank => oriented.iter().map(|v| rank(v, n)).collect(),
            Scoring::Thresholds {
                recency: rc,
                frequency: fc,
                monetary: mc,
            } => {
                // Recency cuts are maximum days: n − #{k : days > c_k};
                // frequency and monetary cuts minimums: 1 + #{k : v >= c_k}.
                let r = recency
                    .iter()
                    .map(|&d| bins - rc.iter().filter(|&&c| d > i64::from(c)).count() as u8)
                    .collect();
                let f = frequency
                    .iter()
                    .map(|&v| 1 + fc.iter().filter(|&&c| v >= c).count() as u8)
                    .collect();
                let m = monetary
                    .iter()
                    .map(|&v| 1 + mc.iter().filter(|&&c| v >= c).count() as u8)
                    .collect();
                vec![r, f, m]
            }
        };
        let out = scored
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    r.customer.clone(),
                    recency[i],
                    frequency[i],
                    monetary[i],
                    [by_dim[0][i], by_dim[1][i], by_dim[2][i]],
                )
            })
            .collect();
        (out, unscored)
    }

    /// Library scores in the same shape.
    pub fn of_scores(scores: &Scores) -> Vec<Scored> {
        scores
            .iter()
            .map(|c| {
                (
                    c.customer.to_string(),
                    c.recency_days,
                    c.frequency,
                    c.monetary.minor_units(),
                    [c.score.r.get(), c.score.f.get(), c.score.m.get()],
                )
            })
            .collect()
    }
}

/// Generated orders: customers from small pools so that they repeat and
/// values tie.
mod arb {
    use super::*;
    use proptest::collection::vec;

    /// Text ids, with "C10" < "C9" and "10" < "100" < "9" byte-wise.
    pub const TEXT_POOL: [&str; 7] = ["C10", "C9", "ann", "bob", "9", "10", "100"];
    /// Integer ids: "07" and "7" are both 7 (then "07" < "7" by text).
    pub const NUMERIC_POOL: [&str; 7] = ["9", "10", "100", "07", "7", "-3", "0"];
    pub const CHANNELS: [&str; 3] = ["web", "app", "ads"];
    pub const STORES: [&str; 2] = ["tokyo", "osaka"];

    #[derive(Debug, Clone)]
    pub struct Spec {
        customer: usize,
        days_before: u64,
        status: u8,
        size: i64,
        cost: Option<i64>,
        channel: Option<usize>,
        store: Option<usize>,
        tag: u16,
    }

    fn spec() -> impl Strategy<Value = Spec> {
        (
            0..7usize,
            0u64..=40,
            prop_oneof![6 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8)],
            prop_oneof![(0i64..=6).prop_map(|x| x * 250), 0i64..=50_000],
            proptest::option::weighted(0.9, 0i64..=30_000),
            proptest::option::of(0..3usize),
            proptest::option::of(0..2usize),
            any::<u16>(),
        )
            .prop_map(
                |(customer, days_before, status, size, cost, channel, store, tag)| Spec {
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

    pub fn specs(max: usize) -> impl Strategy<Value = Vec<Spec>> {
        vec(spec(), 0..max)
    }

    /// Valid orders: unique ids (scrambled, so id order is not input
    /// order), dates <= as_of, amounts signed per status.
    pub fn orders(specs: &[Spec], pool: &[&str]) -> Vec<Order> {
        specs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (status, amount) = match s.status {
                    0 => (OrderStatus::Completed, s.size),
                    1 => (OrderStatus::Returned, -s.size),
                    _ => (OrderStatus::Cancelled, s.size - 25_000),
                };
                let mut o = Order::new(
                    format!("{:04x}-{i}", s.tag),
                    pool[s.customer],
                    ago(s.days_before),
                    Money::new(amount),
                )
                .with_status(status);
                if let Some(c) = s.cost {
                    o = o.with_cost(Money::new(if status == OrderStatus::Returned {
                        -c
                    } else {
                        c
                    }));
                }
                if let Some(c) = s.channel {
                    o = o.with_channel(CHANNELS[c]);
                }
                if let Some(c) = s.store {
                    o = o.with_store(STORES[c]);
                }
                o
            })
            .collect()
    }

    /// (pool, id order): text ids in text order, integer ids in both.
    pub fn ids() -> impl Strategy<Value = (&'static [&'static str], IdOrder)> {
        prop_oneof![
            Just((&TEXT_POOL[..], IdOrder::Text)),
            Just((&NUMERIC_POOL[..], IdOrder::Text)),
            Just((&NUMERIC_POOL[..], IdOrder::Numeric)),
        ]
    }
}

/// Summaries of `orders` in `order`, through the one-step config.
fn summarize(orders: &[Order], order: IdOrder) -> Summaries {
    SummaryConfig::new(as_of())
        .id_order(order)
        .summarize(orders)
        .unwrap()
        .summaries
}

fn rows(s: &Summaries) -> Vec<naive::Row> {
    s.iter().map(|c| naive::of(&c)).collect()
}

fn ids_of<'a>(ids: impl IntoIterator<Item = &'a CustomerId>) -> Vec<String> {
    ids.into_iter().map(ToString::to_string).collect()
}

mod summaries {
    use super::*;

    proptest! {
        #[test]
        fn equal_the_naive_rows((pool, order) in arb::ids(), specs in arb::specs(60)) {
            let orders = arb::orders(&specs, pool);
            let expected = naive::summarize(&orders, as_of(), order);
            let s = if order == IdOrder::Text {
                Summaries::from_orders(&orders, as_of()).unwrap()
            } else {
                summarize(&orders, order)
            };
            prop_assert_eq!(s.len(), expected.len());
            prop_assert_eq!(rows(&s), expected.clone());
            for (i, e) in expected.iter().enumerate() {
                prop_assert_eq!(s.index().position(&e.customer), Some(i));
                prop_assert_eq!(s.get(&e.customer).map(|c| naive::of(&c)), Some(e.clone()));
            }
            prop_assert!(s.get("nobody-42").is_none());
        }

        #[test]
        fn from_log_equals_the_one_step_config((pool, order) in arb::ids(), specs in arb::specs(40)) {
            let orders = arb::orders(&specs, pool);
            let log = IngestConfig::new(as_of()).id_order(order).ingest(&orders).unwrap();
            let cancelled = orders.iter().filter(|o| o.status() == OrderStatus::Cancelled).count();
            prop_assert_eq!(log.cancelled(), cancelled);
            prop_assert_eq!(log.rows(), orders.len() - cancelled);
            prop_assert_eq!(Summaries::from_log(&log).unwrap(), summarize(&orders, order));
        }

        #[test]
        fn do_not_depend_on_input_order((pool, order) in arb::ids(), specs in arb::specs(40)) {
            let orders = arb::orders(&specs, pool);
            let mut reversed = orders.clone();
            reversed.reverse();
            prop_assert_eq!(summarize(&reversed, order), summarize(&orders, order));
        }

        /// `push`/`push_return` of the same rows, without ids or costs, give
        /// the same summaries except the margin and the first order.
        #[test]
        fn push_builder_equals_ingest((pool, order) in arb::ids(), specs in arb::specs(60)) {
            let orders = arb::orders(&specs, pool);
            let mut b = IngestConfig::new(as_of()).id_order(order).builder();
            for o in &orders {
                let (c, d, a) = (o.customer().as_str(), o.date(), o.amount());
                match o.status() {
                    OrderStatus::Completed => b.push(c, d, a).unwrap(),
                    OrderStatus::Returned => b.push_return(c, d, a).unwrap(),
                    _ => {}
                }
            }
            let pushed = Summaries::from_log(&b.build().unwrap()).unwrap();
            let expected: Vec<naive::Row> = naive::summarize(&orders, as_of(), order)
                .into_iter()
                .map(|mut r| {
                    r.margin = None;
                    r.first = None;
                    r
                })
                .collect();
            prop_assert_eq!(rows(&pushed), expected);

            // push_order through the builder is ingest, first orders included.
            let mut b = IngestConfig::new(as_of()).id_order(order).builder();
            for o in &orders {
                b.push_order(o).unwrap();
            }
            prop_assert_eq!(
                Summaries::from_log(&b.build().unwrap()).unwrap(),
                summarize(&orders, order)
            );
        }
    }

    #[test]
    fn push_builder_by_hand() {
        // "10": 1200 on day -5 and -5 again (one purchase day), refund -200;
        // "9": returns only. As of 2025-06-30.
        let mut b = IngestConfig::new(as_of())
            .id_order(IdOrder::Numeric)
            .builder();
        b.push("10", ago(5), Money::new(1_200)).unwrap();
        b.push_return("9", ago(2), Money::new(-300)).unwrap();
        b.push("10", ago(5), Money::new(301)).unwrap();
        b.push_return("10", ago(1), Money::new(-200)).unwrap();
        let s = Summaries::from_log(&b.build().unwrap()).unwrap();
        let ids: Vec<String> = s.iter().map(|c| c.customer().to_string()).collect();
        assert_eq!(ids, ["9", "10"]);
        let ten = s.get("10").unwrap();
        // orders 2, purchase days 1, revenue 1501, refunds -200, monetary
        // 1301, average 650.5 -> 651, recency 5.
        assert_eq!(
            (ten.orders(), ten.purchase_days(), ten.returns()),
            (2, 1, 1)
        );
        assert_eq!(
            (ten.revenue(), ten.refunds(), ten.monetary()),
            (Money::new(1_501), Money::new(-200), Money::new(1_301))
        );
        assert_eq!(ten.average_order_value(), Some(Money::new(651)));
        assert_eq!(ten.recency_days(), Some(5));
        assert_eq!((ten.margin(), ten.first_order()), (None, None));
        let nine = s.get("9").unwrap();
        assert_eq!((nine.orders(), nine.returns()), (0, 1));
        assert_eq!(nine.recency_days(), None);
    }
}

mod scores {
    use super::*;

    /// (bins, basis, scoring): thresholds from cumulative increments, cut
    /// to `bins − 1` per dimension.
    fn scoring() -> impl Strategy<Value = (u8, FrequencyBasis, naive::Scoring)> {
        (
            2u8..=7,
            prop_oneof![
                Just(FrequencyBasis::Orders),
                Just(FrequencyBasis::PurchaseDays)
            ],
            0..3u8,
            (0u32..=5, proptest::collection::vec(1u32..=12, 6)),
            (1u64..=2, proptest::collection::vec(1u64..=2, 6)),
            (-500i64..=2_000, proptest::collection::vec(1i64..=25_000, 6)),
        )
            .prop_map(|(bins, basis, method, (r0, rs), (f0, fs), (m0, ms))| {
                let k = usize::from(bins - 1);
                let cum = |base: i64, steps: Vec<i64>| -> Vec<i64> {
                    steps
                        .iter()
                        .scan(base, |acc, s| {
                            let v = *acc;
                            *acc += s;
                            Some(v)
                        })
                        .take(k)
                        .collect()
                };
                let scoring = match method {
                    0 => naive::Scoring::Quantile,
                    1 => naive::Scoring::Rank,
                    _ => naive::Scoring::Thresholds {
                        recency: cum(i64::from(r0), rs.iter().map(|&x| i64::from(x)).collect())
                            .into_iter()
                            .map(|x| u32::try_from(x).unwrap())
                            .collect(),
                        frequency: cum(f0 as i64, fs.iter().map(|&x| x as i64).collect())
                            .into_iter()
                            .map(|x| x as u64)
                            .collect(),
                        monetary: cum(m0, ms),
                    },
                };
                (bins, basis, scoring)
            })
    }

    fn config(bins: u8, basis: FrequencyBasis, scoring: &naive::Scoring) -> ScoringConfig {
        let method = match scoring {
            naive::Scoring::Quantile => Method::Quantile,
            naive::Scoring::Rank => Method::Rank,
            naive::Scoring::Thresholds {
                recency,
                frequency,
                monetary,
            } => Method::Thresholds(
                Thresholds::new(
                    recency.clone(),
                    frequency.clone(),
                    monetary.iter().map(|&m| Money::new(m)).collect(),
                )
                .unwrap(),
            ),
        };
        ScoringConfig::builder()
            .bins(bins)
            .frequency(basis)
            .method(method)
            .build()
            .unwrap()
    }

    proptest! {
        #[test]
        fn equal_the_naive_scores(
            (pool, order) in arb::ids(),
            specs in arb::specs(60),
            (bins, basis, scoring) in scoring(),
        ) {
            let orders = arb::orders(&specs, pool);
            let summaries = summarize(&orders, order);
            let model = RfmModel::fit(&config(bins, basis, &scoring), &summaries);
            let scores = model.score_all(&summaries);
            let naive_rows = naive::summarize(&orders, as_of(), order);
            let (expected, unscored) = naive::score(&naive_rows, bins, &scoring, basis);
            prop_assert_eq!(model.population(), expected.len());
            prop_assert_eq!(scores.bins(), bins);
            prop_assert_eq!(naive::of_scores(&scores), expected.clone());
            prop_assert_eq!(ids_of(&scores.unscored()), unscored.clone());

            // Lookups, and the frozen model on one customer at a time.
            for (k, e) in expected.iter().enumerate() {
                prop_assert_eq!(scores.rank_of(&e.0), Some(k));
                let got = scores.get(&e.0).unwrap();
                prop_assert_eq!(
                    [got.score.r.get(), got.score.f.get(), got.score.m.get()],
                    e.4
                );
                let one = model.score(&summaries.get(&e.0).unwrap()).unwrap();
                prop_assert_eq!(one, got.score);
            }
            for id in &unscored {
                prop_assert!(scores.get(id).is_none());
                let is_no_purchase = matches!(
                    model.score(&summaries.get(id).unwrap()),
                    Err(Error::NoPurchase { .. })
                );
                prop_assert!(is_no_purchase);
            }

            // A model stored as JSON scores identically.
            let back: RfmModel = serde_json::from_str(&serde_json::to_string(&model).unwrap()).unwrap();
            prop_assert_eq!(&back, &model);
            prop_assert_eq!(back.score_all(&summaries), scores);
        }
    }

    #[test]
    fn thresholds_by_hand() {
        // 3 bins; recency max days [10, 20], frequency min [2, 3],
        // monetary min [1000, 5000].
        // a: 1 order 10 days ago, 1000 -> r 3 (10 <= 10), f 1, m 2.
        // b: 3 orders, last 11 days ago, 5000 -> r 2, f 3, m 3.
        // c: 2 orders, last 21 days ago, 999 -> r 1, f 2, m 1.
        let orders = [
            Order::new("a1", "a", ago(10), Money::new(1_000)),
            Order::new("b1", "b", ago(11), Money::new(2_000)),
            Order::new("b2", "b", ago(15), Money::new(2_000)),
            Order::new("b3", "b", ago(30), Money::new(1_000)),
            Order::new("c1", "c", ago(21), Money::new(500)),
            Order::new("c2", "c", ago(40), Money::new(499)),
        ];
        let s = Summaries::from_orders(&orders, as_of()).unwrap();
        let t = Thresholds::new(
            vec![10, 20],
            vec![2, 3],
            vec![Money::new(1_000), Money::new(5_000)],
        )
        .unwrap();
        let config = ScoringConfig::builder()
            .bins(3)
            .method(Method::Thresholds(t))
            .build()
            .unwrap();
        let cells: Vec<String> = RfmModel::fit(&config, &s)
            .score_all(&s)
            .iter()
            .map(|c| c.score.to_string())
            .collect();
        assert_eq!(cells, ["3-1-2", "2-3-3", "1-2-1"]);
    }
}

/// Ids 9, 10, 100, 1000, 10000 (integer order 9 < 10 < … , text order
/// "10" < "100" < "1000" < "10000" < "9"), tied in every dimension, plus
/// "50" with a return only (unscored).
mod id_order {
    use super::*;

    const NUMERIC: [&str; 5] = ["9", "10", "100", "1000", "10000"];
    const TEXT: [&str; 5] = ["10", "100", "1000", "10000", "9"];

    fn orders() -> Vec<Order> {
        let mut out = Vec::new();
        // Input order scrambled on purpose.
        for id in ["100", "9", "10000", "10", "1000"] {
            // Two orders on two days: recency 3, frequency 2 (2 days),
            // monetary 1000; first order 10 days ago on the web.
            out.push(
                Order::new(format!("{id}-b"), id, ago(3), Money::new(600)).with_channel("app"),
            );
            out.push(
                Order::new(format!("{id}-a"), id, ago(10), Money::new(400)).with_channel("web"),
            );
        }
        out.push(
            Order::new("50-r", "50", ago(4), Money::new(-100)).with_status(OrderStatus::Returned),
        );
        out
    }

    /// r >= 4 "top", r = 3 "mid", else "low".
    fn table() -> SegmentTable {
        SegmentTable::builder(5)
            .rule(SegmentRule::new("top").unwrap().r(4..=5))
            .rule(SegmentRule::new("mid").unwrap().r(3..=3))
            .fallback("low")
            .build()
            .unwrap()
    }

    fn rank() -> ScoringConfig {
        ScoringConfig::builder()
            .method(Method::Rank)
            .build()
            .unwrap()
    }

    struct Pipeline {
        summaries: Summaries,
        model: RfmModel,
        scores: Scores,
        segmentation: Segmentation,
    }

    fn pipeline(order: IdOrder, config: &ScoringConfig) -> Pipeline {
        let summaries = summarize(&orders(), order);
        let model = RfmModel::fit(config, &summaries);
        let scores = model.score_all(&summaries);
        let segmentation = table().segment_all(&scores).unwrap();
        Pipeline {
            summaries,
            model,
            scores,
            segmentation,
        }
    }

    fn check_order(order: IdOrder, expected: [&str; 5]) {
        let p = pipeline(order, &rank());
        let summary_ids: Vec<String> = p
            .summaries
            .iter()
            .map(|c| c.customer().to_string())
            .collect();
        // "50" (unscored) sorts 10 < 50 < 100 by value, and
        // "10000" < "50" < "9" by text.
        let mut with_50: Vec<&str> = expected.to_vec();
        with_50.push("50");
        with_50.sort_by(|a, b| naive::compare(order, a, b));
        assert_eq!(summary_ids, with_50);
        let score_ids: Vec<String> = p.scores.iter().map(|c| c.customer.to_string()).collect();
        assert_eq!(score_ids, expected);
        assert_eq!(ids_of(&p.scores.unscored()), ["50"]);
        let seg_ids: Vec<String> = p
            .segmentation
            .iter()
            .map(|c| c.scored.customer.to_string())
            .collect();
        assert_eq!(seg_ids, expected);
        let profiles = Profiles::builder(&p.segmentation, &p.summaries)
            .build()
            .unwrap();
        assert_eq!(ids_of(profiles.customers()), expected);
        let rowpath = Profiles::builder(&p.segmentation, &p.summaries)
            .prospects(Prospects::Include)
            .build()
            .unwrap();
        assert_eq!(ids_of(rowpath.customers()), with_50);

        // Rank ties go by the id order: all five tie in every dimension, so
        // with 5 bins and N = 5 each scores its position, r = f = m.
        let cells: Vec<String> = p.scores.iter().map(|c| c.score.to_string()).collect();
        assert_eq!(cells, ["1-1-1", "2-2-2", "3-3-3", "4-4-4", "5-5-5"]);
        let segments: Vec<String> = p
            .segmentation
            .iter()
            .map(|c| c.segment.to_string())
            .collect();
        assert_eq!(segments, ["low", "low", "mid", "top", "top"]);
        let top: Vec<String> = p
            .segmentation
            .in_segment("top")
            .map(|c| c.scored.customer.to_string())
            .collect();
        assert_eq!(top, expected[3..]);
    }

    #[test]
    fn numeric_order_is_9_10_100_everywhere() {
        check_order(IdOrder::Numeric, NUMERIC);
    }

    #[test]
    fn text_order_is_10_100_9_everywhere() {
        check_order(IdOrder::Text, TEXT);
    }

    #[test]
    fn quantile_ties_score_equal() {
        // All tied: every quantile cut is the common value, nobody passes.
        for order in [IdOrder::Numeric, IdOrder::Text] {
            let p = pipeline(order, &ScoringConfig::default());
            assert!(p.scores.iter().all(|c| c.score.to_string() == "1-1-1"));
        }
    }

    #[test]
    fn frozen_model_scores_one_customer_like_score_all() {
        for order in [IdOrder::Numeric, IdOrder::Text] {
            for config in [rank(), ScoringConfig::default()] {
                let p = pipeline(order, &config);
                for c in p.scores.iter() {
                    let summary = p.summaries.get(c.customer.as_str()).unwrap();
                    assert_eq!(
                        p.model.score(&summary).unwrap(),
                        c.score,
                        "{order:?} {}",
                        c.customer
                    );
                }
            }
        }
    }

    #[test]
    fn lookups_find_every_customer_in_both_orders() {
        for order in [IdOrder::Numeric, IdOrder::Text] {
            let p = pipeline(order, &rank());
            for (k, id) in p.scores.iter().map(|c| c.customer).enumerate() {
                let id = id.as_str();
                let s = p
                    .summaries
                    .get(id)
                    .unwrap_or_else(|| panic!("{order:?} summary {id}"));
                assert_eq!((s.customer().as_str(), s.orders()), (id, 2));
                assert_eq!(p.scores.rank_of(id), Some(k), "{order:?} {id}");
                assert_eq!(p.scores.get(id).unwrap().customer.as_str(), id);
                assert_eq!(p.segmentation.get(id).unwrap().scored.customer.as_str(), id);
                assert!(
                    p.segmentation.segment_of_customer(id).is_some(),
                    "{order:?} {id}"
                );
            }
            assert_eq!(p.summaries.get("50").unwrap().returns(), 1);
            assert!(p.scores.get("50").is_none());
            assert!(p.segmentation.get("50").is_none());
            assert!(p.summaries.get("11").is_none());
        }
    }

    /// Profiles::get / CompiledRule::explain / matches / set_predictions for
    /// every customer, in one id order.
    fn profile_lookups(order: IdOrder) {
        let p = pipeline(order, &rank());
        let expected: Vec<(String, String)> = p
            .segmentation
            .iter()
            .map(|c| (c.scored.customer.to_string(), c.segment.to_string()))
            .collect();
        for prospects in [Prospects::Exclude, Prospects::Include] {
            let mut profiles = Profiles::builder(&p.segmentation, &p.summaries)
                .prospects(prospects)
                .build()
                .unwrap();
            let rule = Rule::parse("segment = top", &profiles.schema()).unwrap();
            {
                let compiled = profiles.compile(&rule).unwrap();
                let selected = ids_of(&compiled.selected());
                let top: Vec<String> = expected
                    .iter()
                    .filter(|(_, s)| s == "top")
                    .map(|(c, _)| c.clone())
                    .collect();
                assert_eq!(selected, top);
                for (id, segment) in &expected {
                    let why = compiled
                        .explain(id)
                        .unwrap_or_else(|| panic!("{order:?} {prospects:?}: explain {id}"));
                    assert_eq!(why.selected, segment == "top", "{id}");
                    assert!(compiled.matches(id).is_some(), "{order:?} matches {id}");
                }
            }
            for (id, segment) in &expected {
                let profile = profiles
                    .get(id)
                    .unwrap_or_else(|| panic!("{order:?} {prospects:?}: get {id}"));
                assert_eq!(profile.customer.as_str(), id);
                assert_eq!(
                    profile.segment.map(|s| s.to_string()).as_deref(),
                    Some(segment.as_str())
                );
                assert_eq!(profile.monetary, Some(Money::new(1_000)));
                let mut predictions = PredictedValues::default();
                predictions.p_alive = Some(0.5);
                assert!(
                    profiles.set_predictions(id, predictions),
                    "{order:?} set_predictions {id}"
                );
                assert_eq!(profiles.get(id).unwrap().predictions.p_alive, Some(0.5));
            }
            assert!(profiles.get("11").is_none());
            assert!(!profiles.set_predictions("11", PredictedValues::default()));
        }
    }

    #[test]
    fn profile_lookups_text_order() {
        profile_lookups(IdOrder::Text);
    }

    #[test]
    fn profile_lookups_numeric_order() {
        profile_lookups(IdOrder::Numeric);
    }

    #[test]
    fn seven_and_07_tie_numerically_then_by_text() {
        // Ids "10", "9", "7", "07", tied in every dimension, 4 bins, rank:
        // numeric order 07 < 7 < 9 < 10 (07 and 7 are both 7, then text);
        // text order "07" < "10" < "7" < "9". N = n = 4: score = position.
        let mut orders = Vec::new();
        for id in ["10", "9", "7", "07"] {
            orders.push(Order::new(format!("o{id}"), id, ago(2), Money::new(700)));
        }
        let config = ScoringConfig::builder()
            .bins(4)
            .method(Method::Rank)
            .build()
            .unwrap();
        for (order, expect) in [
            (IdOrder::Numeric, ["07", "7", "9", "10"]),
            (IdOrder::Text, ["07", "10", "7", "9"]),
        ] {
            let s = summarize(&orders, order);
            let model = RfmModel::fit(&config, &s);
            let got: Vec<(String, u8)> = model
                .score_all(&s)
                .iter()
                .map(|c| (c.customer.to_string(), c.score.m.get()))
                .collect();
            let want: Vec<(String, u8)> = expect
                .iter()
                .zip(1u8..)
                .map(|(id, k)| ((*id).to_owned(), k))
                .collect();
            assert_eq!(got, want, "{order:?}");
            for (id, k) in &want {
                let one = model.score(&s.get(id).unwrap()).unwrap();
                assert_eq!(one.m.get(), *k, "{order:?} {id}");
            }
        }
    }

    #[test]
    fn numeric_rejects_a_non_integer_id() {
        let orders = [Order::new("o", "x9", ago(1), Money::new(5))];
        let err = IngestConfig::new(as_of())
            .id_order(IdOrder::Numeric)
            .ingest(&orders)
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidConfig { field, .. } if field == "id_order"),
            "{err}"
        );
    }
}

/// `Profiles::builder(..).build()` (the columnar fast path) against the row
/// path (`Prospects::Include`), restricted to the segmented customers.
mod fast_path {
    use super::*;

    const RULES: [&str; 15] = [
        "segment in (champions, loyal)",
        "monetary >= 10.00 and recency_days < 30",
        "first_channel = web",
        "first_store in (tokyo) or first_store is null",
        "email_opt_in and tags contains vip",
        "sms_opt_in is null or not sms_opt_in",
        "attr.points > 50 or attr.tier = gold",
        "attr.tier is null",
        "average_order_value between 5.00 and 200.00",
        "days_since_first_order >= 20 and frequency >= 2",
        "rfm_cell in (5-5-5, 1-1-1) or r = 3 or m != 2",
        "acquisition_channel = app and signup_date < -10d",
        "birthday within 30d or birthday_month = 7",
        "last_order >= -7d or first_order <= -35d",
        "first_order_anniversary within 340d",
    ];

    fn records() -> impl Strategy<Value = Vec<Customer>> {
        let record = (
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(any::<bool>()),
            proptest::option::of(0u32..100),
            proptest::option::of(prop_oneof![Just("gold"), Just("silver")]),
            proptest::option::of(prop_oneof![Just("app"), Just("web")]),
            proptest::option::of(0u64..60),
            proptest::option::of((1u8..=12, 1u8..=28)),
        );
        proptest::collection::vec(proptest::option::of(record), 8).prop_map(|recs| {
            // The text pool plus a prospect "zz" without orders.
            let ids = arb::TEXT_POOL.iter().copied().chain(["zz"]);
            ids.zip(recs)
                .filter_map(|(id, rec)| {
                    let (email, vip, sms, points, tier, channel, signup, birthday) = rec?;
                    let mut c = Customer::new(id).with_email_opt_in(email);
                    if vip {
                        c = c.with_tag("vip");
                    }
                    c = c.with_tag("newsletter");
                    if let Some(s) = sms {
                        c = c.with_sms_opt_in(s);
                    }
                    if let Some(p) = points {
                        c = c.with_attribute("points", f64::from(p));
                    }
                    if let Some(t) = tier {
                        c = c.with_attribute("tier", t);
                    }
                    if let Some(ch) = channel {
                        c = c.with_acquisition_channel(ch);
                    }
                    if let Some(d) = signup {
                        c = c.with_signup_date(ago(d));
                    }
                    if let Some((m, d)) = birthday {
                        c = c.with_birthday(Birthday::new(m, d).unwrap());
                    }
                    Some(c)
                })
                .collect()
        })
    }

    fn compare(
        segmentation: &Segmentation,
        summaries: &Summaries,
        customers: Option<&Customers>,
        lookups: bool,
    ) -> Result<(), TestCaseError> {
        let mut fast = Profiles::builder(segmentation, summaries);
        let mut rows = Profiles::builder(segmentation, summaries).prospects(Prospects::Include);
        if let Some(c) = customers {
            fast = fast.customers(c);
            rows = rows.customers(c);
        }
        let fast = fast.build().unwrap();
        let rows = rows.build().unwrap();
        let segmented: Vec<String> = segmentation
            .iter()
            .map(|c| c.scored.customer.to_string())
            .collect();
        prop_assert_eq!(ids_of(fast.customers()), segmented.clone());
        if lookups {
            for id in &segmented {
                prop_assert_eq!(fast.get(id), rows.get(id), "profile of {}", id);
            }
        }
        for query in RULES {
            let rule = Rule::parse(query, &Schema::default()).unwrap();
            let (Ok(f), Ok(r)) = (fast.compile(&rule), rows.compile(&rule)) else {
                // A rule on an attribute no profile has compiles in neither
                // or one of them; nothing to compare.
                continue;
            };
            let restricted: Vec<String> = ids_of(&r.selected())
                .into_iter()
                .filter(|id| segmentation.get(id).is_some())
                .collect();
            prop_assert_eq!(ids_of(&f.selected()), restricted, "rule {}", query);
        }
        Ok(())
    }

    #[test]
    fn first_order_anniversaries_by_hand() {
        // As of 2025-06-30, `within 30d` is [2025-06-30, 2025-07-30]:
        // a 2024-07-10 -> 2025-07-10 yes; b 2023-08-15 -> 2025-08-15 no;
        // c 2024-02-29 -> 2025-02-28 passed, next 2026-02-28 no; d 2025-06-30
        // (the first order itself is no anniversary) no; e 2022-06-30 ->
        // today yes; f 2020-07-30 -> 2025-07-30, the end included, yes.
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let firsts = [
            ("a", day(2024, 7, 10)),
            ("b", day(2023, 8, 15)),
            ("c", day(2024, 2, 29)),
            ("d", day(2025, 6, 30)),
            ("e", day(2022, 6, 30)),
            ("f", day(2020, 7, 30)),
        ];
        let mut orders = Vec::new();
        for (id, first) in firsts {
            orders.push(Order::new(format!("{id}-1"), id, first, Money::new(100)));
            orders.push(Order::new(format!("{id}-2"), id, ago(1), Money::new(100)));
        }
        let summaries = summarize(&orders, IdOrder::Text);
        let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
        let segmentation = SegmentTable::standard().segment_all(&scores).unwrap();
        let rule = Rule::parse("first_order_anniversary within 30d", &Schema::default()).unwrap();
        for prospects in [Prospects::Exclude, Prospects::Include] {
            let profiles = Profiles::builder(&segmentation, &summaries)
                .prospects(prospects)
                .build()
                .unwrap();
            let selected = ids_of(&profiles.compile(&rule).unwrap().selected());
            assert_eq!(selected, ["a", "e", "f"], "{prospects:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn same_selection_as_the_row_path(
            specs in arb::specs(60),
            records in records(),
            rank in any::<bool>(),
        ) {
            let orders = arb::orders(&specs, &arb::TEXT_POOL);
            let summaries = summarize(&orders, IdOrder::Text);
            let method = if rank { Method::Rank } else { Method::Quantile };
            let config = ScoringConfig::builder().method(method).build().unwrap();
            let scores = RfmModel::fit(&config, &summaries).score_all(&summaries);
            let segmentation = SegmentTable::standard().segment_all(&scores).unwrap();
            let customers = Customers::new(records).unwrap();
            compare(&segmentation, &summaries, None, true)?;
            compare(&segmentation, &summaries, Some(&customers), true)?;
        }

        /// Under numeric id order, the selections (which do not look up
        /// customers by id) agree too.
        #[test]
        fn same_selection_under_numeric_ids(specs in arb::specs(60)) {
            let orders = arb::orders(&specs, &arb::NUMERIC_POOL);
            let summaries = summarize(&orders, IdOrder::Numeric);
            let config = ScoringConfig::builder().method(Method::Rank).build().unwrap();
            let scores = RfmModel::fit(&config, &summaries).score_all(&summaries);
            let segmentation = SegmentTable::standard().segment_all(&scores).unwrap();
            compare(&segmentation, &summaries, None, false)?;
        }
    }
}

/// Identical results at 1 and 4 threads on a simulated shop.
#[cfg(feature = "parallel")]
mod parallel {
    use super::*;
    use rfmkit::sim::SimConfig;

    type Outcome = (Summaries, Vec<(Scores, Segmentation, Vec<Vec<CustomerId>>)>);

    fn run(orders: &[Order], customers: &Customers, as_of: NaiveDate, threads: usize) -> Outcome {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let summaries = SummaryConfig::new(as_of)
                .summarize(orders)
                .unwrap()
                .summaries;
            let configs = [
                ScoringConfig::default(),
                ScoringConfig::builder()
                    .method(Method::Rank)
                    .frequency(FrequencyBasis::PurchaseDays)
                    .build()
                    .unwrap(),
            ];
            let mut out = Vec::new();
            for config in configs {
                let scores = RfmModel::fit(&config, &summaries).score_all(&summaries);
                let segmentation = SegmentTable::standard().segment_all(&scores).unwrap();
                let profiles = Profiles::builder(&segmentation, &summaries)
                    .customers(customers)
                    .build()
                    .unwrap();
                let selections = [
                    "segment in (champions, loyal)",
                    "monetary >= 100.00 and recency_days < 30",
                    "first_channel = web and email_opt_in",
                ]
                .iter()
                .map(|q| {
                    let rule = Rule::parse(q, &profiles.schema()).unwrap();
                    profiles.compile(&rule).unwrap().selected()
                })
                .collect();
                out.push((scores, segmentation, selections));
            }
            (summaries, out)
        })
    }

    #[test]
    fn one_and_four_threads_agree() {
        // 40k customers: more than one 32k-customer chunk of the summary
        // kernel.
        let shop = SimConfig::builder()
            .seed(9)
            .customers(40_000)
            .orders(100_000)
            .build()
            .unwrap()
            .generate();
        let as_of = shop.as_of();
        let (customers, orders) = shop.into_parts();
        let one = run(&orders, &customers, as_of, 1);
        let four = run(&orders, &customers, as_of, 4);
        assert_eq!(one.0.len(), four.0.len());
        assert_eq!(one.0, four.0);
        for (a, b) in one.1.iter().zip(&four.1) {
            assert_eq!(a.0, b.0);
            assert_eq!(a.1, b.1);
            assert_eq!(a.2, b.2);
            assert!(a.2.iter().any(|s| !s.is_empty()));
        }
        // And the summaries are the naive ones.
        let expected = naive::summarize(&orders, as_of, IdOrder::Text);
        assert_eq!(rows(&one.0), expected);
    }
}

/// JSON round trips in both id orders, and tampered JSON rejected with the
/// field named.
mod serde_json_checks {
    use super::*;
    use serde_json::{Value, from_str, from_value, json, to_string, to_value};

    fn data(order: IdOrder) -> (Summaries, Scores, Segmentation) {
        let pool: &[&str] = &["9", "10", "100", "7", "07"];
        let mut orders = Vec::new();
        for (i, id) in pool.iter().enumerate() {
            let i = i as u64;
            orders.push(
                Order::new(
                    format!("{id}-1"),
                    *id,
                    ago(i + 1),
                    Money::new(1_000 * (i as i64 + 1)),
                )
                .with_cost(Money::new(10))
                .with_channel("web"),
            );
            orders.push(
                Order::new(format!("{id}-2"), *id, ago(2 * i + 5), Money::new(500))
                    .with_store("tokyo"),
            );
        }
        orders.push(
            Order::new("50-r", "50", ago(3), Money::new(-40)).with_status(OrderStatus::Returned),
        );
        let s = summarize(&orders, order);
        let scores = RfmModel::fit(&ScoringConfig::default(), &s).score_all(&s);
        let seg = SegmentTable::standard().segment_all(&scores).unwrap();
        (s, scores, seg)
    }

    fn has_numeric_tag(v: &Value) -> bool {
        v.get("id_order") == Some(&json!("numeric"))
    }

    #[test]
    fn round_trips_in_both_orders() {
        for order in [IdOrder::Numeric, IdOrder::Text] {
            let (s, scores, seg) = data(order);
            let numeric = order == IdOrder::Numeric;
            for v in [
                to_value(&s).unwrap(),
                to_value(&scores).unwrap(),
                to_value(&seg).unwrap(),
            ] {
                assert_eq!(has_numeric_tag(&v), numeric, "{v}");
                assert_eq!(
                    v.get("id_order").is_some(),
                    numeric,
                    "text order writes no tag"
                );
            }
            let s2: Summaries = from_str(&to_string(&s).unwrap()).unwrap();
            assert_eq!(s2.index().id_order(), order);
            assert_eq!(rows(&s2), rows(&s));
            assert_eq!(s2, s);
            let scores2: Scores = from_str(&to_string(&scores).unwrap()).unwrap();
            assert_eq!(naive::of_scores(&scores2), naive::of_scores(&scores));
            assert_eq!(scores2, scores);
            assert_eq!(scores2.unscored(), scores.unscored());
            assert_eq!(scores2.index().id_order(), order);
            let seg2: Segmentation = from_str(&to_string(&seg).unwrap()).unwrap();
            assert_eq!(to_value(&seg2).unwrap(), to_value(&seg).unwrap());
            assert_eq!(seg2, seg);
            assert_eq!(seg2.index().id_order(), order);
            // Lookups on the loaded values work in their id order.
            for c in scores.iter() {
                assert_eq!(scores2.get(c.customer.as_str()), Some(c.clone()));
                assert_eq!(
                    seg2.segment_of_customer(c.customer.as_str()),
                    seg.segment_of_customer(c.customer.as_str())
                );
            }
            // The loaded ones feed the later stages like the originals.
            let model = RfmModel::fit(&ScoringConfig::default(), &s2);
            assert_eq!(
                naive::of_scores(&model.score_all(&s2)),
                naive::of_scores(&scores)
            );
        }
    }

    #[test]
    fn numeric_json_in_text_order_is_rejected() {
        // Numeric output order 07, 7, 9, 10, 50, 100 is not text order.
        let (s, scores, _) = data(IdOrder::Numeric);
        let mut v = to_value(&s).unwrap();
        v.as_object_mut().unwrap().remove("id_order");
        assert!(from_value::<Summaries>(v).is_err());
        let mut v = to_value(&scores).unwrap();
        v.as_object_mut().unwrap().remove("id_order");
        assert!(from_value::<Scores>(v).is_err());
    }

    /// The position of customer `id` in the serialized summaries.
    fn at(v: &Value, key: &str, id: &str) -> usize {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["customer"] == json!(id))
            .unwrap()
    }

    #[track_caller]
    fn rejected<T: serde::de::DeserializeOwned + std::fmt::Debug>(v: Value, needles: &[&str]) {
        let err = from_value::<T>(v).unwrap_err().to_string();
        for n in needles {
            assert!(err.contains(n), "{err:?} lacks {n:?}");
        }
    }

    #[test]
    fn tampered_summaries_are_rejected() {
        for order in [IdOrder::Numeric, IdOrder::Text] {
            let (s, _, _) = data(order);
            let v = to_value(&s).unwrap();
            let i = at(&v, "customers", "10");
            let dates = |v: &Value| v["customers"][i]["purchase_dates"].clone();
            assert_eq!(dates(&v).as_array().unwrap().len(), 2);

            // A purchase date after the as-of date.
            let mut t = v.clone();
            t["customers"][i]["purchase_dates"][1] = json!("2025-07-01");
            rejected::<Summaries>(
                t,
                &[
                    &format!("customers[{i}].purchase_dates"),
                    "after the as-of date",
                ],
            );

            // Unsorted purchase dates.
            let mut t = v.clone();
            let mut d = dates(&v).as_array().unwrap().clone();
            d.reverse();
            t["customers"][i]["purchase_dates"] = Value::Array(d);
            rejected::<Summaries>(t, &[&format!("customers[{i}].purchase_dates"), "ascending"]);

            // Repeated purchase dates.
            let mut t = v.clone();
            let first = dates(&v)[0].clone();
            t["customers"][i]["purchase_dates"][1] = first;
            rejected::<Summaries>(t, &[&format!("customers[{i}].purchase_dates")]);

            // orders: 0 with dates.
            let mut t = v.clone();
            t["customers"][i]["orders"] = json!(0);
            rejected::<Summaries>(t, &[&format!("customers[{i}].orders")]);

            // Fewer orders than purchase days.
            let mut t = v.clone();
            t["customers"][i]["orders"] = json!(1);
            rejected::<Summaries>(t, &[&format!("customers[{i}].orders")]);

            // Negative revenue.
            let mut t = v.clone();
            t["customers"][i]["revenue"] = json!(-1);
            rejected::<Summaries>(t, &[&format!("customers[{i}].revenue"), "negative"]);

            // Positive refunds.
            let mut t = v.clone();
            let j = at(&v, "customers", "50");
            t["customers"][j]["refunds"] = json!(5);
            rejected::<Summaries>(t, &[&format!("customers[{j}].refunds")]);

            // Unsorted customers.
            let mut t = v.clone();
            t["customers"].as_array_mut().unwrap().swap(0, 1);
            assert!(from_value::<Summaries>(t).is_err());

            // Unknown fields.
            let mut t = v.clone();
            t["colour"] = json!("red");
            rejected::<Summaries>(t, &["unknown field", "colour"]);
        }
    }

    #[test]
    fn tampered_scores_are_rejected() {
        for order in [IdOrder::Numeric, IdOrder::Text] {
            let (_, scores, _) = data(order);
            assert_eq!(scores.bins(), 5);
            let v = to_value(&scores).unwrap();
            let i = at(&v, "scored", "9");
            for dim in ["r", "f", "m"] {
                let mut t = v.clone();
                t["scored"][i]["score"][dim] = json!(9);
                rejected::<Scores>(
                    t,
                    &[&format!("scored[{i}].score.{dim}"), "above the 5 bins"],
                );
            }
            // Score 0 is no score.
            let mut t = v.clone();
            t["scored"][i]["score"]["r"] = json!(0);
            assert!(from_value::<Scores>(t).is_err());

            let mut t = v.clone();
            t["scored"][i]["recency_days"] = json!(-1);
            rejected::<Scores>(t, &[&format!("scored[{i}].recency_days")]);

            let mut t = v.clone();
            t["scored"][i]["frequency"] = json!(0);
            rejected::<Scores>(t, &[&format!("scored[{i}].frequency")]);

            let mut t = v.clone();
            t["bins"] = json!(1);
            rejected::<Scores>(t, &["bins"]);

            // A customer both scored and unscored.
            let mut t = v.clone();
            t["unscored"] = json!(["9"]);
            assert!(from_value::<Scores>(t).is_err());

            let mut t = v.clone();
            t["scored"].as_array_mut().unwrap().reverse();
            rejected::<Scores>(t, &["sorted"]);

            let mut t = v.clone();
            t["extra"] = json!(1);
            rejected::<Scores>(t, &["unknown field", "extra"]);
        }
    }

    #[test]
    fn tampered_segmentation_is_rejected() {
        for order in [IdOrder::Numeric, IdOrder::Text] {
            let (_, _, seg) = data(order);
            let v = to_value(&seg).unwrap();
            let i = at(&v, "customers", "9");
            let actual = v["customers"][i]["segment"].as_str().unwrap().to_owned();
            let other = if actual == "champions" {
                "lost"
            } else {
                "champions"
            };
            let mut t = v.clone();
            t["customers"][i]["segment"] = json!(other);
            rejected::<Segmentation>(
                t,
                &[&format!("customers[{i}].segment"), "the table assigns"],
            );

            let mut t = v.clone();
            t["customers"][i]["score"]["f"] = json!(9);
            rejected::<Segmentation>(t, &[&format!("customers[{i}].score")]);

            let mut t = v.clone();
            t["extra"] = json!(true);
            rejected::<Segmentation>(t, &["unknown field", "extra"]);
        }
    }
}
