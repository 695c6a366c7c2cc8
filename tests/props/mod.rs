//! Property tests (proptest) of the pipeline's invariants; strategies live in
//! [`strategies`]. 64 cases each, to keep the debug suite fast.

pub(crate) mod strategies;

use std::collections::HashSet;

use chrono::Datelike;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use rfmkit::order::OrderStatus;
use rfmkit::rfm::{FrequencyBasis, Method, RfmModel, RfmScore, Score, Scores, ScoringConfig};
use rfmkit::segment::{ScoreRange, SegmentTable};
use rfmkit::summary::{FutureOrders, Summaries, SummaryConfig, Validation};
use rfmkit::{CustomerId, Error, Order};
use serde_json::{from_str, to_string};

use strategies::*;

fn summarize(orders: &[Order]) -> Summaries {
    Summaries::from_orders(orders, as_of()).unwrap()
}

fn scores_of(config: &ScoringConfig, orders: &[Order]) -> (Summaries, Scores) {
    let s = summarize(orders);
    let scores = RfmModel::fit(config, &s).score_all(&s);
    (s, scores)
}

fn parts(score: RfmScore) -> [u8; 3] {
    [score.r.get(), score.f.get(), score.m.get()]
}

/// The segment of a cell, worked out here from the rules' ranges (without
/// `SegmentRule::matches`): the first rule whose ranges all contain the
/// cell, else the fallback.
fn first_match(table: &SegmentTable, cell: RfmScore) -> &str {
    let inside = |range: Option<ScoreRange>, s: Score| {
        range.is_none_or(|r| r.min() <= s.get() && s.get() <= r.max())
    };
    for rule in table.rules() {
        let [r, f, m] = rule.ranges();
        if inside(r, cell.r) && inside(f, cell.f) && inside(m, cell.m) {
            return rule.name().as_str();
        }
    }
    table.fallback().as_str()
}

fn json_round_trip<T>(value: &T) -> T
where
    T: ::serde::Serialize + ::serde::de::DeserializeOwned,
{
    from_str(&to_string(value).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// 6. Money prints and parses back exactly, for every `i64` (extremes
    /// weighted in) at every scale `0..=MAX_SCALE` (issue 16 item 2).
    #[test]
    fn money_display_then_parse_is_exact(
        x in prop_oneof![
            any::<i64>(),
            Just(i64::MIN),
            Just(i64::MAX),
            Just(i64::MIN + 1),
            Just(0_i64),
            -1000_i64..1000,
        ],
        scale in 0_u32..=rfmkit::money::MAX_SCALE,
    ) {
        let money = rfmkit::Money::new(x);
        let text = money.display_decimal(scale).to_string();
        prop_assert_eq!(rfmkit::Money::parse_decimal(&text, scale), Ok(money), "{}", text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// 1. Every R, F, M score is in 1..=bins, for any bins 2..=10, any
    /// method and any input, in and out of the fitted population; bulk and
    /// one-at-a-time scoring agree.
    #[test]
    fn scores_are_within_bins(
        orders in valid_orders(40),
        others in valid_orders(15),
        config in scoring_config(),
    ) {
        let bins = config.bins();
        let (s, scores) = scores_of(&config, &orders);
        let model = RfmModel::fit(&config, &s);
        prop_assert_eq!(scores.bins(), bins);
        prop_assert_eq!(scores.len() + scores.unscored().len(), s.len());
        for c in &scores {
            for x in parts(c.score) {
                prop_assert!((1..=bins).contains(&x), "{} scored {}", c.customer, c.score);
            }
        }
        for summary in &s {
            match model.score(&summary) {
                Ok(cell) => {
                    prop_assert_eq!(scores.get(summary.customer().as_str()).map(|c| c.score), Some(cell));
                }
                Err(Error::NoPurchase { customer }) => {
                    prop_assert_eq!(summary.orders(), 0);
                    prop_assert!(scores.unscored().contains(&customer));
                }
                Err(other) => prop_assert!(false, "unexpected {other}"),
            }
        }
        for c in &model.score_all(&summarize(&others)) {
            for x in parts(c.score) {
                prop_assert!((1..=bins).contains(&x));
            }
        }
    }

    /// 2. Under the default quantile method, equal (recency, frequency,
    /// monetary) gives equal scores: a twin with a copy of one customer's
    /// orders scores like them, and so does any pair with equal values.
    #[test]
    fn equal_values_get_equal_quantile_scores(
        orders in valid_orders(40),
        pick in any::<Index>(),
        bins in 2u8..=10,
        basis in basis(),
    ) {
        let source = CUSTOMERS[pick.index(CUSTOMERS.len())];
        let mut all = orders.clone();
        for o in orders.iter().filter(|o| o.customer().as_str() == source) {
            all.push(copy_as(o, "twin", &format!("{}-t", o.id())));
        }
        let config = config_with(bins, Method::Quantile, basis);
        let (_, scores) = scores_of(&config, &all);
        prop_assert_eq!(
            scores.get(source).map(|c| c.score),
            scores.get("twin").map(|c| c.score)
        );
        for a in &scores {
            for b in &scores {
                if (a.recency_days, a.frequency, a.monetary) == (b.recency_days, b.frequency, b.monetary) {
                    prop_assert_eq!(a.score, b.score, "{} vs {}", a.customer, b.customer);
                }
            }
        }
    }

    /// 3. Rank method: the fitted population scores ⌈n·r/N⌉, with r the
    /// 1-based position in a sort by (key, customer id) done here; recency
    /// is keyed on the last order date, so the most recent scores highest.
    #[test]
    fn rank_scores_follow_the_ntile_formula(
        orders in valid_orders(40),
        bins in 2u8..=10,
        basis in basis(),
    ) {
        let config = config_with(bins, Method::Rank, basis);
        let (s, scores) = scores_of(&config, &orders);
        let buyers: Vec<_> = s.iter().filter(|c| c.orders() > 0).collect();
        let big_n = buyers.len();
        prop_assert_eq!(scores.len(), big_n);
        let n = usize::from(bins);
        for which in 0..3 {
            let mut keyed: Vec<(i128, &str)> = buyers
                .iter()
                .map(|c| {
                    let key = match which {
                        0 => i128::from(c.last_order_date().unwrap().num_days_from_ce()),
                        1 => i128::from(match basis {
                            FrequencyBasis::PurchaseDays => c.purchase_dates().len() as u64,
                            _ => c.orders(),
                        }),
                        _ => i128::from(c.monetary().minor_units()),
                    };
                    (key, c.customer().as_str())
                })
                .collect();
            keyed.sort_unstable();
            for (pos, (_, id)) in keyed.iter().enumerate() {
                let want = (n * (pos + 1)).div_ceil(big_n);
                let got = parts(scores.get(id).unwrap().score)[which];
                prop_assert_eq!(usize::from(got), want, "dimension {} customer {}", which, id);
            }
        }
    }

    /// 4a. Segment assignment is total and exclusive for a random valid
    /// table: every scored customer is in exactly one segment, the first
    /// matching rule's (else the fallback); report counts and revenues add up.
    #[test]
    fn random_tables_assign_exactly_one_segment(
        orders in valid_orders(40),
        (config, table) in scoring_config().prop_flat_map(|c| {
            let bins = c.bins();
            (Just(c), segment_table(bins))
        }),
    ) {
        let (_, scores) = scores_of(&config, &orders);
        check_segmentation(&table, &scores)?;
    }

    /// 4b. The same for the standard and compact presets.
    #[test]
    fn presets_assign_exactly_one_segment(orders in valid_orders(40), config in five_bin_config()) {
        let (_, scores) = scores_of(&config, &orders);
        check_segmentation(&SegmentTable::standard(), &scores)?;
        check_segmentation(&SegmentTable::compact(), &scores)?;
    }

    /// 5. Summaries do not depend on the order of the input.
    #[test]
    fn summaries_are_order_independent(
        (orders, shuffled) in valid_orders(40).prop_flat_map(|o| (Just(o.clone()), Just(o).prop_shuffle())),
    ) {
        prop_assert_eq!(summarize(&orders), summarize(&shuffled));
    }

    /// 6. Summaries are mergeable: any split into two disjoint parts (a
    /// prefix/suffix cut, or an arbitrary partition), summarized separately
    /// and merged, equals summarizing everything; merge is commutative.
    #[test]
    fn summaries_are_mergeable(
        orders in valid_orders(40),
        cut in any::<Index>(),
        sides in proptest::collection::vec(any::<bool>(), 40),
    ) {
        let all = summarize(&orders);
        let k = cut.index(orders.len() + 1);
        let (a, b) = orders.split_at(k);
        let (sa, sb) = (summarize(a), summarize(b));
        let ab = sa.clone().merge(sb.clone()).unwrap();
        prop_assert_eq!(&ab, &all);
        prop_assert_eq!(sb.merge(sa).unwrap(), ab);

        let side = |want: bool| -> Vec<Order> {
            orders
                .iter()
                .enumerate()
                .filter(|(i, _)| sides[*i] == want)
                .map(|(_, o)| o.clone())
                .collect()
        };
        let (left, right) = (side(true), side(false));
        let (sl, sr) = (summarize(&left), summarize(&right));
        prop_assert_eq!(&sl.clone().merge(sr.clone()).unwrap(), &all);
        prop_assert_eq!(&sr.clone().merge(sl.clone()).unwrap(), &all);
        for c in &sl {
            if let Some(other) = sr.get(c.customer().as_str()) {
                let lr = c.clone().merge(&other).unwrap();
                let rl = other.clone().merge(&c).unwrap();
                prop_assert_eq!(&lr, &rl);
                prop_assert_eq!(Some(lr), all.get(c.customer().as_str()));
            }
        }
    }

    /// 6b. The multi-store merge: re-keying summaries to unified ids
    /// (several local ids onto one) equals summarizing the orders with their
    /// customer ids replaced.
    #[test]
    fn remap_equals_summarizing_unified_orders(
        orders in valid_orders(40),
        targets in proptest::collection::vec(0_u8..3, 8),
    ) {
        // Map each local id to one of three unified ids, by the id's last byte.
        let unify = |id: &str| -> String {
            let slot = id.bytes().last().map_or(0, |b| usize::from(b) % targets.len());
            format!("u{}", targets[slot])
        };
        let remapped = summarize(&orders)
            .remap(|id| CustomerId::from(unify(id.as_str())))
            .unwrap();
        let unified: Vec<Order> = orders
            .iter()
            .map(|o| copy_as(o, &unify(o.customer().as_str()), o.id().as_str()))
            .collect();
        prop_assert_eq!(remapped, summarize(&unified));
    }

    /// 7. Money is conserved exactly: Σ monetary = Σ completed + Σ returned
    /// amounts; Σ revenue = Σ completed; counts match too.
    #[test]
    fn money_is_conserved(orders in valid_orders(40)) {
        let s = summarize(&orders);
        let sum = |status: OrderStatus| -> i128 {
            orders
                .iter()
                .filter(|o| o.status() == status)
                .map(|o| i128::from(o.amount().minor_units()))
                .sum()
        };
        let count = |status: OrderStatus| orders.iter().filter(|o| o.status() == status).count() as u64;
        let (completed, returned) = (sum(OrderStatus::Completed), sum(OrderStatus::Returned));
        let monetary: i128 = s.iter().map(|c| i128::from(c.monetary().minor_units())).sum();
        let revenue: i128 = s.iter().map(|c| i128::from(c.revenue().minor_units())).sum();
        let refunds: i128 = s.iter().map(|c| i128::from(c.refunds().minor_units())).sum();
        prop_assert_eq!(monetary, completed + returned);
        prop_assert_eq!(revenue, completed);
        prop_assert_eq!(refunds, returned);
        prop_assert_eq!(s.iter().map(|c| c.orders()).sum::<u64>(), count(OrderStatus::Completed));
        prop_assert_eq!(s.iter().map(|c| c.returns()).sum::<u64>(), count(OrderStatus::Returned));
    }

    /// 8. serde_json round trips give identical values for every public data
    /// type, and a reloaded model scores identically.
    #[test]
    fn serde_round_trips(
        orders in valid_orders(30),
        customers in customers(),
        (config, table) in scoring_config().prop_flat_map(|c| {
            let bins = c.bins();
            (Just(c), segment_table(bins))
        }),
    ) {
        for o in &orders {
            prop_assert_eq!(&json_round_trip(o), o);
        }
        for c in &customers {
            prop_assert_eq!(&json_round_trip(c), c);
        }
        prop_assert_eq!(&json_round_trip(&customers), &customers);
        let s = summarize(&orders);
        prop_assert_eq!(&json_round_trip(&s), &s);
        prop_assert_eq!(&json_round_trip(&config), &config);
        let model = RfmModel::fit(&config, &s);
        let loaded: RfmModel = json_round_trip(&model);
        prop_assert_eq!(&loaded, &model);
        let scores = model.score_all(&s);
        prop_assert_eq!(&loaded.score_all(&s), &scores);
        prop_assert_eq!(&json_round_trip(&scores), &scores);
        prop_assert_eq!(&json_round_trip(&table), &table);
        let seg = table.segment_all(&scores).unwrap();
        prop_assert_eq!(&json_round_trip(&seg), &seg);
    }

    /// 9. A quantile (or threshold) score depends only on the values: a copy
    /// of a customer under another id, scored by the frozen model, gets the
    /// same cell.
    #[test]
    fn quantile_score_depends_only_on_the_values(
        orders in valid_orders(40),
        (bins, method) in (2u8..=10).prop_flat_map(|b| (Just(b), value_only_method(b))),
        basis in basis(),
        copy_id in select(vec!["0copy", "C95", "zzz"]),
    ) {
        let config = config_with(bins, method, basis);
        let (_, scores) = scores_of(&config, &orders);
        let model = RfmModel::fit(&config, &summarize(&orders));
        for c in &scores {
            let copy: Vec<Order> = orders
                .iter()
                .filter(|o| o.customer() == &c.customer)
                .map(|o| copy_as(o, copy_id, o.id().as_str()))
                .collect();
            let copied = summarize(&copy);
            let cell = model.score(&copied.get(copy_id).unwrap()).unwrap();
            prop_assert_eq!(cell, c.score, "{} vs its copy", c.customer);
        }
    }

    /// 10. Lenient mode never loses an order: counted + skipped + cancelled
    /// = input length; the skipped ones are exactly those this test finds
    /// invalid (repeated id, future date, wrong sign), in input order; and
    /// the summaries equal those of the valid orders alone. Strict mode
    /// fails on the first of them.
    #[test]
    fn lenient_mode_never_loses_orders(orders in messy_orders(40), ignore in any::<bool>()) {
        let policy = if ignore { FutureOrders::Ignore } else { FutureOrders::Reject };
        let out = SummaryConfig::new(as_of())
            .validation(Validation::Lenient)
            .future_orders(policy)
            .summarize(&orders)
            .unwrap();
        let mut seen = HashSet::new();
        let mut invalid = Vec::new();
        for (i, o) in orders.iter().enumerate() {
            let repeated = !seen.insert(o.id().clone());
            let wrong_sign = match o.status() {
                OrderStatus::Completed => o.amount().is_negative(),
                OrderStatus::Returned => o.amount().is_positive(),
                _ => false,
            };
            if repeated || o.date() > as_of() || wrong_sign {
                invalid.push(i);
            }
        }
        let skipped: Vec<usize> = out.skipped.iter().map(|s| s.index).collect();
        prop_assert_eq!(&skipped, &invalid);
        for s in &out.skipped {
            prop_assert_eq!(&s.order_id, orders[s.index].id());
        }
        let counted: u64 = out.summaries.iter().map(|c| c.orders() + c.returns()).sum();
        let cancelled = orders
            .iter()
            .enumerate()
            .filter(|(i, o)| o.status() == OrderStatus::Cancelled && !invalid.contains(i))
            .count();
        prop_assert_eq!(counted as usize + skipped.len() + cancelled, orders.len());
        let valid: Vec<Order> = orders
            .iter()
            .enumerate()
            .filter(|(i, _)| !invalid.contains(i))
            .map(|(_, o)| o.clone())
            .collect();
        prop_assert_eq!(&out.summaries, &summarize(&valid));

        let strict = SummaryConfig::new(as_of()).future_orders(policy).summarize(&orders);
        let first_fatal = out
            .skipped
            .iter()
            .find(|s| !(ignore && matches!(s.reason, Error::OrderAfterAsOf { .. })));
        match (strict, first_fatal) {
            (Ok(strict), None) => prop_assert_eq!(strict.summaries, out.summaries),
            (Err(e), Some(first)) => prop_assert_eq!(e, first.reason.clone()),
            (got, want) => prop_assert!(false, "strict gave {:?}, expected failure {:?}", got, want),
        }
    }
}

/// Checks property 4 on one table.
fn check_segmentation(table: &SegmentTable, scores: &Scores) -> Result<(), TestCaseError> {
    let seg = table.segment_all(scores).unwrap();
    prop_assert_eq!(seg.len(), scores.len());
    for (c, scored) in seg.iter().zip(scores) {
        prop_assert_eq!(&c.scored, &scored);
        prop_assert_eq!(c.segment.as_str(), first_match(table, scored.score));
        let memberships = table
            .segments()
            .filter(|s| {
                seg.in_segment(s.as_str())
                    .any(|x| x.scored.customer == scored.customer)
            })
            .count();
        prop_assert_eq!(memberships, 1);
    }
    let report = seg.report().unwrap();
    prop_assert_eq!(report.rows().len(), table.len());
    prop_assert_eq!(report.customers(), scores.len());
    prop_assert_eq!(
        report.rows().iter().map(|r| r.customers).sum::<usize>(),
        scores.len()
    );
    let total: i128 = scores
        .iter()
        .map(|c| i128::from(c.monetary.minor_units()))
        .sum();
    let rows: i128 = report
        .rows()
        .iter()
        .map(|r| i128::from(r.revenue.minor_units()))
        .sum();
    prop_assert_eq!(rows, total);
    prop_assert_eq!(i128::from(report.revenue().minor_units()), total);
    Ok(())
}
