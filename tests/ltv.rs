//! The `ltv` stage: the seeds' formulas, KPIs, breakdowns, multi-store
//! merge, cohorts and LTV/CAC, by hand; the KPIs on the real CDNOW sample
//! against an independent computation; property tests of the invariants.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate};
use proptest::prelude::*;
use proptest::sample::select;
use rfmkit::id::StoreId;
use rfmkit::ltv::{
    self, AcquisitionCosts, Cac, CohortTable, CustomerMap, DateRange, Duration, Frequency, Health,
    KpiConfig, Kpis, LtvBasis, LtvCac, LtvCacTable, LtvReport, Purchases, Rate, TimeUnit, Unmapped,
    YearMonth, merge_stores, payback_months,
};
use rfmkit::order::OrderStatus;
use rfmkit::summary::{Summaries, SummaryConfig, Validation};
use rfmkit::{Error, Money, Order};
use serde_json::json;

use crate::common::{buy, cancel, close, close_opt, d, refund};

fn m(v: i64) -> Money {
    Money::new(v)
}

fn kpis(orders: &[Order], as_of: NaiveDate, config: &KpiConfig) -> Kpis {
    Kpis::from_summaries(&Summaries::from_orders(orders, as_of).unwrap(), config).unwrap()
}

// ------------------------------------------------------------------ formulas

#[test]
fn seeds_worked_examples_are_exact() {
    // 000: 1,000,000 × 0.30 × 4 = 1,200,000
    assert_eq!(
        ltv::from_annual_revenue(
            m(1_000_000),
            Rate::new(0.30).unwrap(),
            Duration::years(4.0).unwrap()
        ),
        Ok(m(1_200_000))
    );
    // 004: 5,000 × 1/year × 3 years = 15,000
    assert_eq!(
        ltv::from_frequency(
            m(5_000),
            Frequency::per_year(1.0).unwrap(),
            Duration::years(3.0).unwrap()
        ),
        Ok(m(15_000))
    );
    // 003: 150,000 × 0.5/year × 10 years = 750,000
    assert_eq!(
        ltv::from_frequency(
            m(150_000),
            Frequency::per_year(0.5).unwrap(),
            Duration::years(10.0).unwrap()
        ),
        Ok(m(750_000))
    );
    // 003: (150,000 × 0.30) × 0.5 × 10 = 45,000 × 5 = 225,000
    assert_eq!(
        ltv::profit_from_frequency(
            m(150_000),
            Rate::new(0.30).unwrap(),
            Frequency::per_year(0.5).unwrap(),
            Duration::years(10.0).unwrap()
        ),
        Ok(m(225_000))
    );
    // 004: 15,000,000 / 1,000 = 15,000
    assert_eq!(
        ltv::from_cumulative_revenue(m(15_000_000), 1_000),
        Ok(m(15_000))
    );
    // 004: 5,000 / 0.10 = 50,000
    assert_eq!(
        ltv::from_subscription(m(5_000), Rate::new(0.10).unwrap()),
        Ok(m(50_000))
    );
}

#[test]
fn formulas_without_seed_examples_by_hand() {
    // 4,000 × 2.5 = 10,000
    assert_eq!(
        ltv::from_order_value(m(4_000), Purchases::new(2.5).unwrap()),
        Ok(m(10_000))
    );
    // (15,000,000 − 9,000,000) / 1,000 = 6,000; a loss gives a negative LTV
    assert_eq!(
        ltv::from_gross_profit(m(15_000_000), m(9_000_000), 1_000),
        Ok(m(6_000))
    );
    assert_eq!(ltv::from_gross_profit(m(100), m(400), 3), Ok(m(-100)));
    // 225,000 − 60,000 − 40,000 = 125,000
    assert_eq!(
        ltv::net_of_costs(m(225_000), m(60_000), m(40_000)),
        Ok(m(125_000))
    );
    // Units: 4 per month over 3 weeks = 4 × 21 / 30.436875 = 2.7599...
    // purchases; × 1,000 = 2,759.9 -> 2,760
    assert_eq!(
        ltv::from_frequency(
            m(1_000),
            Frequency::per_month(4.0).unwrap(),
            Duration::weeks(3.0).unwrap()
        ),
        Ok(m(2_760))
    );
    // 1 per week for a year of 365.2425 days = 52.1775 purchases × 100 = 5,217.75 -> 5,218
    assert_eq!(
        ltv::from_frequency(
            m(100),
            Frequency::per_week(1.0).unwrap(),
            Duration::years(1.0).unwrap()
        ),
        Ok(m(5_218))
    );
    // 18 months at ¥1,000,000 a year, 10% margin = 150,000
    assert_eq!(
        ltv::from_annual_revenue(
            m(1_000_000),
            Rate::from_percent(10.0).unwrap(),
            Duration::months(18.0).unwrap()
        ),
        Ok(m(150_000))
    );
}

#[test]
fn invalid_formula_inputs_are_errors_not_infinities() {
    let out_of_range = |r: Result<_, Error>, name: &str| match r {
        Err(Error::OutOfRange { what, .. }) => assert_eq!(what, name),
        other => panic!("expected OutOfRange({name}), got {other:?}"),
    };
    out_of_range(
        ltv::from_subscription(m(5_000), Rate::ZERO).map(|_| ()),
        "churn rate",
    );
    out_of_range(Rate::new(1.0000001).map(|_| ()), "rate");
    out_of_range(Rate::new(-0.1).map(|_| ()), "rate");
    out_of_range(Rate::new(f64::NAN).map(|_| ()), "rate");
    out_of_range(Rate::from_percent(130.0).map(|_| ()), "rate");
    out_of_range(Duration::years(-1.0).map(|_| ()), "duration");
    out_of_range(Duration::days(f64::INFINITY).map(|_| ()), "duration");
    out_of_range(Duration::months(2e9).map(|_| ()), "duration");
    out_of_range(Frequency::per_year(-0.5).map(|_| ()), "frequency");
    out_of_range(Purchases::new(f64::NAN).map(|_| ()), "purchases");
    out_of_range(
        ltv::from_cumulative_revenue(m(1), 0).map(|_| ()),
        "customers",
    );
    out_of_range(
        ltv::from_gross_profit(m(1), m(0), 0).map(|_| ()),
        "purchasers",
    );
    out_of_range(
        ltv::from_frequency(
            m(i64::MAX),
            Frequency::per_day(1e9).unwrap(),
            Duration::years(1e9).unwrap(),
        )
        .map(|_| ()),
        "ltv",
    );
    // The message says where, what and how to fix it.
    let err = ltv::from_subscription(m(5_000), Rate::ZERO).unwrap_err();
    assert_eq!(
        err.to_string(),
        "churn rate: 0 is out of range; a churn rate in (0, 1]; with no churn the lifetime is unbounded"
    );
    assert_eq!(
        Rate::new(1.5).unwrap_err().to_string(),
        "rate: 1.5 is out of range; a fraction in 0..=1, such as 0.3 for 30%"
    );
    // Full churn: the customer pays once.
    assert_eq!(ltv::from_subscription(m(5_000), Rate::ONE), Ok(m(5_000)));
}

#[test]
fn factors_keep_nine_decimals() {
    // 0.1234567894 rounds to 0.123456789
    assert_eq!(
        Rate::new(0.123_456_789_4).unwrap(),
        Rate::new(0.123_456_789).unwrap()
    );
    assert_eq!(Duration::years(2.5).unwrap().to_days(), 913.10625);
    assert_eq!(Duration::weeks(2.0).unwrap().to_years(), 14.0 / 365.2425);
    assert_eq!(TimeUnit::Month.days() * 12.0, TimeUnit::Year.days());
}

// ------------------------------------------------------------------ KPIs

/// The orders of `tests/data/ltv_small.csv` (the `rfmkit ltv` fixture), as
/// of 2025-12-31.
fn ltv_small() -> Vec<Order> {
    let y24 = |mo, day| NaiveDate::from_ymd_opt(2024, mo, day).unwrap();
    let o =
        |id: &str, c: &str, date, amount: i64, cost: i64, channel: Option<&str>, store: &str| {
            let mut order = Order::new(id, c, date, m(amount))
                .with_cost(m(cost))
                .with_store(store);
            if let Some(ch) = channel {
                order = order.with_channel(ch);
            }
            order
        };
    vec![
        o("L-01", "C01", d(1, 10), 10_000, 6_000, Some("web"), "tokyo"),
        o("L-02", "C01", d(2, 15), 5_000, 3_000, Some("app"), "tokyo"),
        o("L-03", "C01", d(11, 20), 8_000, 5_000, Some("web"), "osaka"),
        o("L-04", "C02", d(3, 5), 4_000, 2_500, Some("app"), "osaka"),
        o(
            "L-05",
            "C02",
            d(3, 20),
            -4_000,
            -2_500,
            Some("app"),
            "osaka",
        )
        .with_status(OrderStatus::Returned),
        o("L-06", "C03", d(6, 1), 20_000, 12_000, Some("web"), "tokyo"),
        o("L-07", "C03", d(6, 1), 3_000, 2_000, Some("web"), "tokyo"),
        o("L-08", "C03", d(8, 10), 6_000, 4_000, Some("web"), "tokyo"),
        o("L-09", "C04", y24(12, 20), 7_000, 4_000, None, "osaka"),
        o("L-10", "C04", d(1, 5), 9_000, 5_000, None, "osaka").with_status(OrderStatus::Cancelled),
        o("L-11", "C05", d(12, 1), 2_500, 1_500, Some("app"), "online"),
    ]
}

#[test]
fn ltv_small_fixture_by_hand() {
    let as_of = d(12, 31);
    let k = kpis(&ltv_small(), as_of, &KpiConfig::default());
    // Completed: C01 ×3, C02, C03 ×3, C04, C05 = 9 orders of 5 customers.
    assert_eq!((k.customers, k.orders, k.returns_only_customers), (5, 9, 0));
    // Distinct purchase days: C01 3, C02 1, C03 2 (two orders on 1 June), C04 1, C05 1.
    assert_eq!(k.purchase_days, 8);
    // 230.00 + 40.00 + 290.00 + 70.00 + 25.00 = 655.00; the cancelled 90.00 counts nowhere.
    assert_eq!(
        (k.revenue, k.refunds, k.net_revenue),
        (m(65_500), m(-4_000), m(61_500))
    );
    // Margins: C01 40+20+30, C02 15−15, C03 80+10+20, C04 30, C05 10 = 240.00
    assert_eq!(k.margin, Some(m(24_000)));
    // AOV 61,500 / 9 = 6,833.3 -> 6,833
    assert_eq!(k.average_order_value, Some(m(6_833)));
    close_opt(k.orders_per_customer, Some(1.8));
    // Repeat: C01 and C03 have >= 2 orders: 2 / 5.
    assert_eq!(k.repeat_customers, 2);
    close_opt(k.repeat_rate, Some(0.4));
    // F2 (90 days): cutoff 2025-10-02; C05 (1 Dec) is not eligible. C01 came
    // back after 36 days, C03's second *day* is 10 Aug (70 days); C02, C04 never.
    assert_eq!((k.f2.days, k.f2.eligible, k.f2.converted), (90, 4, 2));
    close_opt(k.f2.rate, Some(0.5));
    // Churn (365): previous period (2024-01-01, 2024-12-31] has only C04
    // (20 Dec 2024), who bought nothing in 2025 (the cancellation does not count).
    assert_eq!((k.churn.active, k.churn.churned), (1, 1));
    close_opt(k.churn.rate, Some(1.0));
    close_opt(k.churn.expected_lifespan_days, Some(365.0));
    // Lifespans 314 + 0 + 70 + 0 + 0 = 384 days / 5
    close_opt(k.mean_lifespan_days, Some(76.8));
    // Exposure (as_of − first + 1): 356 + 302 + 214 + 377 + 31 = 1,280 days;
    // 9 orders × 365.2425 / 1,280
    close_opt(k.purchase_frequency_per_year, Some(9.0 * 365.2425 / 1280.0));
    // LTV 61,500 / 5 = 12,300; margin LTV 24,000 / 5 = 4,800
    assert_eq!((k.ltv, k.margin_ltv), (Some(m(12_300)), Some(m(4_800))));
}

#[test]
fn ltv_small_breakdowns_and_cohorts_by_hand() {
    let as_of = d(12, 31);
    let orders = ltv_small();
    let s = Summaries::from_orders(&orders, as_of).unwrap();
    let config = KpiConfig::default();
    let by_channel = Kpis::by_channel(&s, &config).unwrap();
    let rows: Vec<(Option<&str>, u64, Money)> = by_channel
        .iter()
        .map(|g| {
            (
                g.key.as_ref().map(|k| k.as_str()),
                g.value.customers,
                g.value.net_revenue,
            )
        })
        .collect();
    // app: C02 (40 − 40) + C05 25 = 25.00; web: C01 230 + C03 290 = 520.00;
    // C04's first order has no channel: the unknown group, last.
    assert_eq!(
        rows,
        [
            (Some("app"), 2, m(2_500)),
            (Some("web"), 2, m(52_000)),
            (None, 1, m(7_000))
        ]
    );
    // C01 bought once through the app, but was acquired on the web.
    assert_eq!(by_channel.get(Some("web")).unwrap().orders, 6);
    assert_eq!(by_channel.get(None).unwrap().ltv, Some(m(7_000)));
    assert!(by_channel.get(Some("mail")).is_none());
    let by_store = Kpis::by_store(&s, &config).unwrap();
    let stores: Vec<(Option<&str>, u64)> = by_store
        .iter()
        .map(|g| (g.key.as_ref().map(|k| k.as_str()), g.value.customers))
        .collect();
    // C01's November order was in Osaka; C01 stays a Tokyo customer.
    assert_eq!(
        stores,
        [(Some("online"), 1), (Some("osaka"), 2), (Some("tokyo"), 2)]
    );

    let table = CohortTable::from_orders(&orders, as_of, &config).unwrap();
    let months: Vec<(String, u64, usize)> = table
        .iter()
        .map(|c| (c.month.to_string(), c.customers, c.cells.len()))
        .collect();
    // One customer per cohort; cells run to December 2025.
    assert_eq!(
        months,
        [
            ("2024-12".to_owned(), 1, 13),
            ("2025-01".to_owned(), 1, 12),
            ("2025-03".to_owned(), 1, 10),
            ("2025-06".to_owned(), 1, 7),
            ("2025-12".to_owned(), 1, 1),
        ]
    );
    let jan = table.get(YearMonth::new(2025, 1).unwrap()).unwrap();
    // C01: January, February and November (month 10).
    let active: Vec<u64> = jan.cells.iter().map(|c| c.active).collect();
    assert_eq!(active, [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    let cum: Vec<i64> = jan
        .cells
        .iter()
        .map(|c| c.cumulative_revenue_per_customer.minor_units())
        .collect();
    assert_eq!(
        cum,
        [
            10_000, 15_000, 15_000, 15_000, 15_000, 15_000, 15_000, 15_000, 15_000, 15_000, 23_000,
            23_000
        ]
    );
    // Margin: 40, +20, ..., +30
    assert_eq!(
        jan.cells.last().unwrap().cumulative_margin_per_customer,
        Some(m(9_000))
    );
    // C02 bought and returned in March: active, but no net revenue.
    let mar = table.get(YearMonth::new(2025, 3).unwrap()).unwrap();
    assert_eq!(
        (mar.cells[0].active, mar.cells[0].revenue),
        (1, Money::ZERO)
    );
    // C03: June (two orders, one active customer) and August.
    let jun = table.get(YearMonth::new(2025, 6).unwrap()).unwrap();
    assert_eq!(
        jun.cells.iter().map(|c| c.active).collect::<Vec<_>>(),
        [1, 0, 1, 0, 0, 0, 0]
    );
    close(jun.cells[1].retention, 0.0);
    close(jun.cells[2].retention, 1.0);
    // The pooled curve at month 0: all 5 cohorts, (70 + 100 + 0 + 230 + 25) / 5 = 85.00
    let curve = table.curve();
    assert_eq!(curve.len(), 13);
    assert_eq!(
        (curve[0].cohorts, curve[0].customers, curve[0].active),
        (5, 5, 5)
    );
    assert_eq!(curve[0].cumulative_revenue_per_customer, m(8_500));
    // Month 12: only the December 2024 cohort (C04): 70.00.
    assert_eq!(
        (
            curve[12].customers,
            curve[12].cumulative_revenue_per_customer
        ),
        (1, m(7_000))
    );
    let text = table.display_table(2).to_string();
    assert!(text.starts_with("active customers (as of 2025-12-31):\ncohort"));
    assert!(
        text.contains("\n2025-01          1  100.0%  100.0%"),
        "{text}"
    );
}

#[test]
fn f2_eligibility_and_conversion_boundaries() {
    let as_of = d(12, 31);
    let config = KpiConfig::builder().f2_days(30).build().unwrap();
    let orders = [
        // first on 1 Dec: exactly 30 days before the as-of date: eligible
        buy("a1", "a", d(12, 1), 100),
        // back on day 30 exactly: converted
        buy("a2", "a", d(12, 31), 100),
        // first on 2 Dec: 29 days: not eligible, even though it came back
        buy("b1", "b", d(12, 2), 100),
        buy("b2", "b", d(12, 3), 100),
        // two orders on the first day, then day 31: not converted
        buy("c1", "c", d(10, 1), 100),
        buy("c2", "c", d(10, 1), 100),
        buy("c3", "c", d(11, 1), 100),
        // a refund is not a purchase
        buy("e1", "e", d(10, 1), 100),
        refund("e2", "e", d(10, 5), -100),
        // a cancelled order is not a purchase
        buy("f1", "f", d(10, 1), 100),
        cancel("f2", "f", d(10, 5), 100),
    ];
    let k = kpis(&orders, as_of, &config);
    // eligible: a, c, e, f; converted: a
    assert_eq!((k.f2.eligible, k.f2.converted), (4, 1));
    close_opt(k.f2.rate, Some(0.25));
    // repeat (by orders): a, b, c
    assert_eq!(k.repeat_customers, 3);
    // nobody eligible: rate None, not NaN
    let none = kpis(&orders[..1], d(12, 2), &config);
    assert_eq!((none.f2.eligible, none.f2.rate), (0, None));
}

#[test]
fn churn_compares_two_periods() {
    let as_of = d(12, 31);
    let config = KpiConfig::builder().churn_days(100).build().unwrap();
    // churn period (22 Sep, 31 Dec]; previous period (14 Jun, 22 Sep]
    let orders = [
        buy("a1", "a", d(9, 22), 100), // active (last day of the previous period), churned
        buy("b1", "b", d(6, 15), 100), // active (first day of it), comes back
        buy("b2", "b", d(9, 23), 100),
        buy("c1", "c", d(6, 14), 100), // bought before the previous period only: not active
        buy("e1", "e", d(10, 1), 100), // new in the churn period: not active
    ];
    let k = kpis(&orders, as_of, &config);
    assert_eq!((k.churn.active, k.churn.churned), (2, 1));
    close_opt(k.churn.rate, Some(0.5));
    close_opt(k.churn.expected_lifespan_days, Some(200.0));
    // No churn: the implied lifespan is unbounded, so None.
    let k = kpis(&orders[1..3], as_of, &config);
    assert_eq!(
        (k.churn.rate, k.churn.expected_lifespan_days),
        (Some(0.0), None)
    );
}

#[test]
fn acquisition_window_selects_customers_with_all_their_orders() {
    let as_of = d(12, 31);
    let orders = [
        buy("a1", "a", d(1, 10), 1_000),
        buy("a2", "a", d(6, 10), 1_000),
        buy("b1", "b", d(3, 10), 500),
        buy("b2", "b", d(9, 10), 700), // after the window: still b's
        buy("c1", "c", d(4, 1), 300),
        refund("r1", "r", d(5, 1), -50), // returns only
    ];
    let window = DateRange::new(d(3, 1), d(3, 31)).unwrap();
    let config = KpiConfig::builder().acquired(window).build().unwrap();
    let k = kpis(&orders, as_of, &config);
    assert_eq!((k.customers, k.orders, k.net_revenue), (1, 2, m(1_200)));
    assert_eq!(k.acquired, Some(window));
    assert_eq!(k.returns_only_customers, 0);
    let all = kpis(&orders, as_of, &KpiConfig::default());
    // r has no purchase: counted apart, its refund left out.
    assert_eq!(
        (all.customers, all.returns_only_customers, all.net_revenue),
        (3, 1, m(3_500))
    );
    let table = CohortTable::from_orders(&orders, as_of, &config).unwrap();
    assert_eq!(table.len(), 1);
    assert_eq!(
        table.cohorts()[0].cells.last().unwrap().cumulative_revenue,
        m(1_200)
    );
}

#[test]
fn empty_input_gives_zero_counts_and_no_ratios() {
    let as_of = d(6, 30);
    let k = kpis(&[], as_of, &KpiConfig::default());
    assert_eq!((k.customers, k.orders, k.net_revenue), (0, 0, Money::ZERO));
    assert_eq!(
        (
            k.average_order_value,
            k.repeat_rate,
            k.ltv,
            k.purchase_frequency_per_year
        ),
        (None, None, None, None)
    );
    assert_eq!(k.margin_ltv, None);
    let table = CohortTable::from_orders(&[], as_of, &KpiConfig::default()).unwrap();
    assert!(table.is_empty() && table.curve().is_empty());
    let report = LtvReport::from_orders(&[], as_of, &KpiConfig::default()).unwrap();
    assert!(report.by_channel.is_empty() && report.by_store.is_empty());
    assert!(!report.display_table(2).to_string().is_empty());
}

#[test]
fn margin_is_unknown_when_a_cost_is_missing() {
    let orders = [
        buy("1", "a", d(1, 1), 1_000).with_cost(m(600)),
        buy("2", "b", d(1, 2), 1_000),
    ];
    let k = kpis(&orders, d(3, 1), &KpiConfig::default());
    assert_eq!((k.margin, k.margin_ltv), (None, None));
    assert_eq!(k.ltv, Some(m(1_000)));
    let table = CohortTable::from_orders(&orders, d(3, 1), &KpiConfig::default()).unwrap();
    assert_eq!(table.cohorts()[0].cells[0].cumulative_margin, None);
}

#[test]
fn cohorts_reject_bad_orders_like_summaries() {
    let orders = [
        buy("1", "a", d(1, 1), 100),
        buy("2", "a", d(4, 1), 100), // after the as-of date
    ];
    let err = CohortTable::from_orders(&orders, d(3, 1), &KpiConfig::default()).unwrap_err();
    assert!(matches!(err, Error::OrderAfterAsOf { index: 1, .. }));
    let err = LtvReport::from_orders(&orders, d(3, 1), &KpiConfig::default()).unwrap_err();
    assert!(matches!(err, Error::OrderAfterAsOf { index: 1, .. }));
    // Lenient: the bad order is skipped in the cohorts too.
    let lenient = SummaryConfig::new(d(3, 1)).validation(Validation::Lenient);
    let (report, skipped) = LtvReport::build(&orders, &lenient, &KpiConfig::default()).unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(
        report.cohorts.cohorts()[0]
            .cells
            .last()
            .unwrap()
            .cumulative_revenue,
        m(100)
    );
}

#[test]
fn returns_before_the_first_purchase_count_in_month_zero() {
    // A refund of a purchase made before the data starts, then a purchase.
    let orders = [
        refund("r", "a", d(1, 20), -300),
        buy("1", "a", d(3, 5), 1_000),
    ];
    let table = CohortTable::from_orders(&orders, d(4, 30), &KpiConfig::default()).unwrap();
    let c = &table.cohorts()[0];
    assert_eq!(c.month, YearMonth::new(2025, 3).unwrap());
    // −300 + 1,000 in month 0: the cohort's money equals the customer's net.
    assert_eq!(c.cells[0].revenue, m(700));
    assert_eq!(
        kpis(&orders, d(4, 30), &KpiConfig::default()).net_revenue,
        m(700)
    );
}

#[test]
fn kpi_config_validates_and_rejects_bad_json() {
    let err = KpiConfig::builder().churn_days(0).build().unwrap_err();
    assert_eq!(err.to_string(), "config churn_days: must be >= 1 day");
    assert!(serde_json::from_value::<KpiConfig>(json!({"f2_days": 0})).is_err());
    assert!(serde_json::from_value::<KpiConfig>(json!({"f2": 30})).is_err());
    let c: KpiConfig = serde_json::from_value(json!({"churn_days": 180})).unwrap();
    assert_eq!((c.f2_days(), c.churn_days(), c.acquired()), (90, 180, None));
    let bad_window = json!({"acquired": {"start": "2025-03-01", "end": "2025-01-01"}});
    assert!(serde_json::from_value::<KpiConfig>(bad_window).is_err());
}

// ---------------------------------------------------------------- multi-store

#[test]
fn multi_store_merge_with_local_ids() {
    let as_of = d(6, 30);
    // Both stores number customers from 1; tokyo's 1 and osaka's 2 are Ann.
    let tokyo = vec![
        buy("T1", "1", d(1, 5), 5_000).with_store("tokyo"),
        buy("T2", "2", d(2, 5), 1_000).with_store("tokyo"),
    ];
    let osaka = vec![
        buy("O1", "1", d(1, 20), 2_000).with_store("osaka"),
        buy("O2", "2", d(3, 1), 4_000).with_store("osaka"),
    ];
    let map = CustomerMap::new()
        .with("tokyo", "1", "ann")
        .with("osaka", "2", "ann");
    assert_eq!(map.len(), 2);
    let merged = merge_stores(
        as_of,
        [
            (
                StoreId::from("tokyo"),
                Summaries::from_orders(&tokyo, as_of).unwrap(),
            ),
            (
                StoreId::from("osaka"),
                Summaries::from_orders(&osaka, as_of).unwrap(),
            ),
        ],
        &map,
        Unmapped::Qualify,
    )
    .unwrap();
    let ids: Vec<String> = merged.iter().map(|s| s.customer().to_string()).collect();
    // 4 local customers, 3 people: "1" of two stores stays two customers.
    assert_eq!(ids, ["ann", "osaka:1", "tokyo:2"]);
    let ann = merged.get("ann").unwrap();
    assert_eq!((ann.orders(), ann.monetary()), (2, m(9_000)));
    // The same as summarizing the unified order list.
    let all: Vec<Order> = tokyo.iter().chain(&osaka).cloned().collect();
    let unified = map.unify_orders(&all, Unmapped::Qualify);
    assert_eq!(merged, Summaries::from_orders(&unified, as_of).unwrap());
    // KPIs of unique customers: 12,000 / 3 = 4,000 (not 12,000 / 4).
    let k = Kpis::from_summaries(&merged, &KpiConfig::default()).unwrap();
    assert_eq!((k.customers, k.ltv), (3, Some(m(4_000))));
    // Without qualification, the two "1"s collapse: only ok for global ids.
    let kept = merge_stores(
        as_of,
        [
            (
                StoreId::from("tokyo"),
                Summaries::from_orders(&tokyo, as_of).unwrap(),
            ),
            (
                StoreId::from("osaka"),
                Summaries::from_orders(&osaka, as_of).unwrap(),
            ),
        ],
        &map,
        Unmapped::Keep,
    )
    .unwrap();
    assert_eq!(kept.len(), 3);
    assert_eq!(kept.get("1").unwrap().orders(), 1);
    // A store summarized as of another date is an error.
    let err = merge_stores(
        as_of,
        [(StoreId::from("x"), Summaries::empty(d(1, 1)))],
        &map,
        Unmapped::Keep,
    )
    .unwrap_err();
    assert!(matches!(err, Error::AsOfMismatch { .. }));
}

// ------------------------------------------------------------------ LTV/CAC

#[test]
fn health_thresholds_from_seed_003() {
    let cac = |v| Cac::new(m(v)).unwrap();
    let h = |ltv, c| Health::classify(m(ltv), cac(c));
    assert_eq!(h(300_001, 100_000), Health::Healthy); // 3.00001
    assert_eq!(h(300_000, 100_000), Health::Thin); // exactly 3
    assert_eq!(h(100_000, 100_000), Health::Thin); // exactly 1: LTV = CAC
    assert_eq!(h(99_999, 100_000), Health::Losing);
    assert_eq!(h(-1, 0), Health::Losing);
    assert_eq!(h(0, 0), Health::Thin);
    assert_eq!(h(1, 0), Health::Healthy);
    let read = LtvCac::new(m(0), cac(0)).unwrap();
    assert_eq!((read.ratio, read.health), (None, Health::Thin));
    let read = LtvCac::new(m(50_000), cac(100_000)).unwrap();
    assert_eq!((read.ratio, read.net), (Some(0.5), m(-50_000)));
    assert!(matches!(
        Cac::from_spend(m(100), 0),
        Err(Error::OutOfRange {
            what: "customers",
            ..
        })
    ));
    // 1,000 / 3 = 333.3 -> 333
    assert_eq!(Cac::from_spend(m(1_000), 3).unwrap().money(), m(333));
    assert!(Cac::from_spend(m(-1_000), 3).is_err());
}

#[test]
fn ltv_cac_table_by_hand() {
    let as_of = d(4, 30);
    let o = |id: &str, c: &str, date, amount: i64, channel: &str| {
        buy(id, c, date, amount)
            .with_cost(m(amount / 2))
            .with_channel(channel)
    };
    let orders = vec![
        // ads: 2 customers, margin 1,000 + 500 = 1,500 -> margin LTV 750
        o("1", "a", d(1, 5), 2_000, "ads"),
        o("2", "b", d(1, 7), 1_000, "ads"),
        // web: 1 customer, margin 1,000 in January, 1,000 more in March
        o("3", "c", d(1, 9), 2_000, "web"),
        o("4", "c", d(3, 9), 2_000, "web"),
        // no channel: margin 250
        buy("5", "e", d(2, 1), 500).with_cost(m(250)),
    ];
    let report = LtvReport::from_orders(&orders, as_of, &KpiConfig::default()).unwrap();
    let costs = AcquisitionCosts::new()
        .with_channel("ads", Cac::new(m(1_000)).unwrap())
        .with_channel("web", Cac::new(m(600)).unwrap());
    let table = LtvCacTable::from_report(&report, &costs, LtvBasis::Margin).unwrap();
    let rows: Vec<_> = table
        .rows()
        .iter()
        .map(|r| {
            (
                r.channel.as_ref().map(|c| c.as_str()),
                r.ltv,
                r.health,
                r.payback_months,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            // 750 / 1,000: losing, never paid back
            (Some("ads"), Some(m(750)), Some(Health::Losing), None),
            // 2,000 / 600 = 3.33: healthy; month 0 already 1,000 >= 600
            (Some("web"), Some(m(2_000)), Some(Health::Healthy), Some(0)),
            // no CAC for customers without a channel
            (None, Some(m(250)), None, None),
        ]
    );
    close_opt(table.rows()[0].ratio, Some(0.75));
    assert_eq!(table.rows()[0].net, Some(m(-250)));
    let losing: Vec<_> = table.losing().map(|r| r.channel.clone()).collect();
    assert_eq!(losing, [Some("ads".into())]);
    // No blended CAC: one group has customers and no cost.
    assert_eq!(table.total().cac, None);
    // With a default CAC of 1,000: blended (2 × 1,000 + 600 + 1,000) / 4 = 900;
    // total margin LTV (1,500 + 2,000 + 250) / 4 = 937.5 -> 938: thin.
    let costs = costs.with_default(Cac::new(m(1_000)).unwrap());
    let table = LtvCacTable::from_report(&report, &costs, LtvBasis::Margin).unwrap();
    let total = table.total();
    assert_eq!(
        (total.customers, total.ltv, total.cac.map(Cac::money)),
        (4, Some(m(938)), Some(m(900)))
    );
    assert_eq!(total.health, Some(Health::Thin));
    // Pooled margin curve (January cohort a, b, c; February cohort e):
    // m0 (2,500 + 250) / 4 = 688; m1 the same; m2 c's March order:
    // (3,500 + 250) / 4 = 938 >= 900 -> payback in month 2.
    let curve = report.cohorts.curve();
    let points: Vec<_> = curve
        .iter()
        .map(|p| p.cumulative_margin_per_customer)
        .collect();
    assert_eq!(
        points,
        [Some(m(688)), Some(m(688)), Some(m(938)), Some(m(1_167))]
    );
    assert_eq!(total.payback_months, Some(2));
    // The unknown group now has a CAC of 1,000 against 250: losing too.
    assert_eq!(table.losing().count(), 2);
    // Revenue basis: LTVs double.
    let revenue = LtvCacTable::from_report(&report, &costs, LtvBasis::Revenue).unwrap();
    assert_eq!(revenue.rows()[0].ltv, Some(m(1_500)));
    assert_eq!(revenue.rows()[0].health, Some(Health::Thin));
    // From KPIs alone: the same rows, no payback.
    let plain =
        LtvCacTable::from_kpis(&report.kpis, &report.by_channel, &costs, LtvBasis::Margin).unwrap();
    assert_eq!(plain.rows()[1].payback_months, None);
    assert_eq!(plain.rows()[1].health, Some(Health::Healthy));
    let text = table.display_table(2).to_string();
    assert!(text.contains("ads"), "{text}");
    assert!(text.contains("losing"), "{text}");
    // The curve helper directly: margin unknown -> None.
    let no_cost = [buy("1", "a", d(1, 5), 2_000)];
    let curve = CohortTable::from_orders(&no_cost, as_of, &KpiConfig::default())
        .unwrap()
        .curve();
    assert_eq!(
        payback_months(&curve, Cac::new(m(1)).unwrap(), LtvBasis::Margin),
        None
    );
    assert_eq!(
        payback_months(&curve, Cac::new(m(1)).unwrap(), LtvBasis::Revenue),
        Some(0)
    );
}

// ------------------------------------------------------------------ serde

#[test]
fn wire_formats() {
    let v = |x: &dyn erased::Ser| x.value();
    assert_eq!(v(&Rate::new(0.3).unwrap()), json!(0.3));
    assert_eq!(
        v(&Duration::years(4.0).unwrap()),
        json!({"value": 4.0, "unit": "year"})
    );
    assert_eq!(
        v(&Frequency::per_month(2.5).unwrap()),
        json!({"value": 2.5, "per": "month"})
    );
    assert_eq!(v(&Purchases::new(2.4).unwrap()), json!(2.4));
    assert_eq!(v(&Cac::new(m(2_500)).unwrap()), json!(2500));
    assert_eq!(v(&Health::Losing), json!("losing"));
    assert_eq!(v(&LtvBasis::Revenue), json!("revenue"));
    assert_eq!(v(&YearMonth::new(2025, 3).unwrap()), json!("2025-03"));
    assert_eq!(v(&Unmapped::Qualify), json!("qualify"));
    assert_eq!(
        v(&KpiConfig::default()),
        json!({"f2_days": 90, "churn_days": 365, "acquired": null, "partial_months": "mark"})
    );
    assert_eq!(
        v(&AcquisitionCosts::new()
            .with_channel("web", Cac::new(m(1_200)).unwrap())
            .with_default(Cac::new(m(900)).unwrap())),
        json!({"channels": {"web": 1200}, "default": 900})
    );
    assert_eq!(
        v(&CustomerMap::new().with("tokyo", "17", "u-1")),
        json!({"tokyo": {"17": "u-1"}})
    );
    // Validated on the way in.
    assert!(serde_json::from_value::<Rate>(json!(1.5)).is_err());
    assert!(serde_json::from_value::<Duration>(json!({"value": -1.0, "unit": "day"})).is_err());
    assert!(
        serde_json::from_value::<Frequency>(json!({"value": 1.0, "per": "fortnight"})).is_err()
    );
    assert!(serde_json::from_value::<Cac>(json!(-5)).is_err());
    assert!(serde_json::from_value::<YearMonth>(json!("2025-13")).is_err());
    assert!(serde_json::from_value::<YearMonth>(json!("2025-3")).is_err());
    for (y, text) in [(-44, "-0044-03"), (12_025, "12025-03"), (5, "0005-03")] {
        let month = YearMonth::new(y, 3).unwrap();
        assert_eq!(month.to_string(), text);
        assert_eq!(text.parse::<YearMonth>().unwrap(), month);
    }
    assert!(
        serde_json::from_value::<DateRange>(json!({"start": "2025-02-01", "end": "2025-01-01"}))
            .is_err()
    );
}

/// `serde_json::to_value` behind a trait object, for the table above.
mod erased {
    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap()
        }
    }
}

fn round_trip<T>(v: &T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap()
}

#[test]
fn report_and_tables_round_trip() {
    let as_of = d(12, 31);
    let report = LtvReport::from_orders(&ltv_small(), as_of, &KpiConfig::default()).unwrap();
    assert_eq!(round_trip(&report), report);
    let costs = AcquisitionCosts::new().with_default(Cac::new(m(3_000)).unwrap());
    let table = LtvCacTable::from_report(&report, &costs, LtvBasis::Margin).unwrap();
    assert_eq!(round_trip(&table), table);
    assert_eq!(round_trip(&costs), costs);
    let map = CustomerMap::new().with("a", "1", "x");
    assert_eq!(round_trip(&map), map);
    for rate in [0.0, 0.1, 0.3, 1.0 / 3.0, 1.0] {
        let r = Rate::new(rate).unwrap();
        assert_eq!(round_trip(&r), r);
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["kpis"]["f2"]["rate"], json!(0.5));
    assert_eq!(json["by_channel"][2]["key"], json!(null));
    assert_eq!(json["cohorts"]["cohorts"][0]["month"], json!("2024-12"));
}

/// Asserts two JSON values are equal, floats to within 1e-15 relative.
#[track_caller]
fn assert_json_close(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-15 * x.abs().max(y.abs()),
                "{path}: {x} != {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                assert_json_close(x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{path}"
            );
            for (k, v) in x {
                assert_json_close(v, &y[k], &format!("{path}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

// ------------------------------------------------------------------ CDNOW

/// The CDNOW 1/10 sample (Fader, Hardie & Lee 2005; 2,357 customers, 6,919
/// transactions, all first purchases in Q1 1997), one order per row.
fn cdnow() -> Vec<Order> {
    let text = include_str!("data/ltv_cdnow_sample.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let date = NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap();
            let amount = Money::parse_decimal(f[4], 2).unwrap();
            Order::new(format!("row-{i}"), f[0], date, amount)
        })
        .collect()
}

#[test]
fn cdnow_kpis_match_an_independent_computation() {
    let orders = cdnow();
    let as_of = NaiveDate::from_ymd_opt(1998, 6, 30).unwrap();
    let report = LtvReport::from_orders(&orders, as_of, &KpiConfig::default()).unwrap();
    let k = &report.kpis;

    // Independent computation straight from the rows (no summaries).
    let mut days: BTreeMap<&str, BTreeSet<NaiveDate>> = BTreeMap::new();
    let mut count: BTreeMap<&str, u64> = BTreeMap::new();
    let mut revenue = 0_i64;
    for o in &orders {
        days.entry(o.customer().as_str())
            .or_default()
            .insert(o.date());
        *count.entry(o.customer().as_str()).or_default() += 1;
        revenue += o.amount().minor_units();
    }
    let customers = days.len() as u64;
    let repeat = count.values().filter(|&&n| n >= 2).count() as u64;
    let f2_cut = as_of - Days::new(90);
    let (mut eligible, mut converted) = (0, 0);
    for ds in days.values() {
        let v: Vec<_> = ds.iter().collect();
        if *v[0] <= f2_cut {
            eligible += 1;
            if v.get(1).is_some_and(|&&s| s <= *v[0] + Days::new(90)) {
                converted += 1;
            }
        }
    }
    assert_eq!(k.customers, customers);
    assert_eq!(k.orders, orders.len() as u64);
    assert_eq!(k.net_revenue, m(revenue));
    assert_eq!(k.repeat_customers, repeat);
    assert_eq!((k.f2.eligible, k.f2.converted), (eligible, converted));
    // AOV = revenue / rows, rounded half up (revenue > 0)
    let n = orders.len() as i64;
    assert_eq!(k.average_order_value, Some(m((2 * revenue + n) / (2 * n))));

    // The same numbers, computed once more with a separate Python script
    // (see the note on issue 4), pinned here.
    assert_eq!(
        (k.customers, k.orders, k.purchase_days),
        (2_357, 6_919, 6_696)
    );
    assert_eq!(k.net_revenue, m(24_409_194));
    assert_eq!(k.average_order_value, Some(m(3_528)));
    assert_eq!(k.repeat_customers, 1_152);
    close_opt(k.repeat_rate, Some(1_152.0 / 2_357.0));
    // Everyone had 90 days; 687 came back within them.
    assert_eq!((k.f2.eligible, k.f2.converted), (2_357, 687));
    // Everyone bought in the year to 1997-06-30; 1,545 not in the next.
    assert_eq!((k.churn.active, k.churn.churned), (2_357, 1_545));
    assert_eq!(k.ltv, Some(m(10_356)));
    close_opt(k.mean_lifespan_days, Some(307_464.0 / 2_357.0));

    // Cohort retention: active customers per calendar month since
    // acquisition, computed independently.
    let month = |date: NaiveDate| i64::from(date.year()) * 12 + i64::from(date.month0());
    let mut expected: BTreeMap<i64, (u64, BTreeMap<i64, u64>)> = BTreeMap::new();
    for ds in days.values() {
        let first = month(*ds.iter().next().unwrap());
        let entry = expected.entry(first).or_default();
        entry.0 += 1;
        let months: BTreeSet<i64> = ds.iter().map(|&x| month(x)).collect();
        for mo in months {
            *entry.1.entry(mo - first).or_default() += 1;
        }
    }
    assert_eq!(report.cohorts.len(), 3);
    for (cohort, (first, (size, active))) in report.cohorts.iter().zip(&expected) {
        assert_eq!(
            month(NaiveDate::from_ymd_opt(cohort.month.year(), cohort.month.month(), 1).unwrap()),
            *first
        );
        assert_eq!(cohort.customers, *size);
        for cell in &cohort.cells {
            let want = active
                .get(&i64::from(cell.months_since))
                .copied()
                .unwrap_or(0);
            assert_eq!(cell.active, want, "{} m{}", cohort.month, cell.months_since);
            close(cell.retention, want as f64 / *size as f64);
        }
    }
    // Pinned from the script: January 1997 (781 customers).
    let jan = &report.cohorts.cohorts()[0];
    let active: Vec<u64> = jan.cells.iter().map(|c| c.active).collect();
    assert_eq!(
        active,
        [
            781, 124, 95, 70, 65, 77, 65, 53, 52, 45, 62, 59, 45, 47, 63, 37, 37, 33
        ]
    );
    assert_eq!(
        jan.cells.last().unwrap().cumulative_revenue_per_customer,
        m(10_095)
    );
    let sizes: Vec<u64> = report.cohorts.iter().map(|c| c.customers).collect();
    assert_eq!(sizes, [781, 857, 719]);
}

// ------------------------------------------------------------------ properties

const PEOPLE: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];
const CHANNELS: [&str; 3] = ["ads", "web", "app"];
const STORES: [&str; 3] = ["tokyo", "osaka", "online"];

fn prop_as_of() -> NaiveDate {
    d(6, 30)
}

/// Valid orders over about 14 months (so cohorts span many months), with
/// channels, stores (always), costs (mostly), returns and cancellations.
fn orders(max: usize, with_returns: bool) -> impl Strategy<Value = Vec<Order>> {
    let status = if with_returns {
        prop_oneof![
            6 => Just(OrderStatus::Completed),
            2 => Just(OrderStatus::Returned),
            1 => Just(OrderStatus::Cancelled),
        ]
        .boxed()
    } else {
        prop_oneof![
            6 => Just(OrderStatus::Completed),
            1 => Just(OrderStatus::Cancelled),
        ]
        .boxed()
    };
    proptest::collection::vec(
        (
            select(&PEOPLE[..]),
            0u64..=420,
            status,
            0i64..=50_000,
            proptest::option::weighted(0.9, 0i64..=30_000),
            proptest::option::of(select(&CHANNELS[..])),
            select(&STORES[..]),
        ),
        0..max,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .enumerate()
            .map(|(i, (who, back, status, size, cost, channel, store))| {
                let amount = if status == OrderStatus::Returned {
                    -size
                } else {
                    size
                };
                let mut o = Order::new(
                    format!("o{i}"),
                    who,
                    prop_as_of() - Days::new(back),
                    m(amount),
                )
                .with_status(status)
                .with_store(store);
                if let Some(c) = cost {
                    o = o.with_cost(m(if status == OrderStatus::Returned {
                        -c
                    } else {
                        c
                    }));
                }
                if let Some(ch) = channel {
                    o = o.with_channel(ch);
                }
                o
            })
            .collect()
    })
}

fn kpi_config() -> impl Strategy<Value = KpiConfig> {
    (
        1u32..=120,
        1u32..=200,
        proptest::option::of((0u64..=400, 0u64..=200)),
    )
        .prop_map(|(f2, churn, window)| {
            let mut b = KpiConfig::builder().f2_days(f2).churn_days(churn);
            if let Some((back, len)) = window {
                let start = prop_as_of() - Days::new(back);
                b = b.acquired(DateRange::new(start, start + Days::new(len)).unwrap());
            }
            b.build().unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// KPIs, breakdowns and cohorts do not depend on the order of the input.
    #[test]
    fn ltv_report_is_order_independent(
        (orders, shuffled) in orders(40, true).prop_flat_map(|o| (Just(o.clone()), Just(o).prop_shuffle())),
        config in kpi_config(),
    ) {
        let a = LtvReport::from_orders(&orders, prop_as_of(), &config).unwrap();
        let b = LtvReport::from_orders(&shuffled, prop_as_of(), &config).unwrap();
        prop_assert_eq!(a, b);
    }

    /// Every customer is in exactly one channel group and one store group:
    /// counts, orders and money add up to the total exactly.
    #[test]
    fn breakdowns_add_up(orders in orders(40, true), config in kpi_config()) {
        let s = Summaries::from_orders(&orders, prop_as_of()).unwrap();
        let total = Kpis::from_summaries(&s, &config).unwrap();
        let by_channel = Kpis::by_channel(&s, &config).unwrap();
        let by_store = Kpis::by_store(&s, &config).unwrap();
        for groups in [
            by_channel.iter().map(|g| &g.value).collect::<Vec<_>>(),
            by_store.iter().map(|g| &g.value).collect::<Vec<_>>(),
        ] {
            prop_assert_eq!(groups.iter().map(|k| k.customers).sum::<u64>(), total.customers);
            prop_assert_eq!(groups.iter().map(|k| k.orders).sum::<u64>(), total.orders);
            prop_assert_eq!(groups.iter().map(|k| k.repeat_customers).sum::<u64>(), total.repeat_customers);
            prop_assert_eq!(groups.iter().map(|k| k.f2.converted).sum::<u64>(), total.f2.converted);
            prop_assert_eq!(groups.iter().map(|k| k.churn.churned).sum::<u64>(), total.churn.churned);
            prop_assert_eq!(
                groups.iter().map(|k| k.net_revenue.minor_units()).sum::<i64>(),
                total.net_revenue.minor_units()
            );
        }
        // Keys in order, the unknown group last.
        let keys: Vec<_> = by_channel.iter().map(|g| g.key.clone()).collect();
        let mut sorted = keys.clone();
        sorted.sort_by_key(|k| (k.is_none(), k.clone()));
        prop_assert_eq!(keys, sorted);
    }

    /// Rates are in [0, 1] and the counts behind them are consistent.
    #[test]
    fn kpi_counts_are_consistent(orders in orders(40, true), config in kpi_config()) {
        let k = kpis(&orders, prop_as_of(), &config);
        prop_assert!(k.repeat_customers <= k.customers);
        prop_assert!(k.f2.converted <= k.f2.eligible && k.f2.eligible <= k.customers);
        prop_assert!(k.churn.churned <= k.churn.active && k.churn.active <= k.customers);
        prop_assert!(k.purchase_days <= k.orders);
        for rate in [k.repeat_rate, k.f2.rate, k.churn.rate].into_iter().flatten() {
            prop_assert!((0.0..=1.0).contains(&rate));
        }
        prop_assert_eq!(k.customers == 0, k.ltv.is_none());
        prop_assert_eq!(k.orders == 0, k.average_order_value.is_none());
    }

    /// Multi-store merge: per-store summaries (store-local ids), merged
    /// through a customer map, equal summarizing the unified order list;
    /// so do the KPIs.
    #[test]
    fn merging_stores_equals_summarizing_unified_orders(
        orders in orders(40, true),
        links in proptest::collection::vec((select(&STORES[..]), select(&PEOPLE[..]), 0u8..4), 0..8),
        qualify in any::<bool>(),
    ) {
        let as_of = prop_as_of();
        let unmapped = if qualify { Unmapped::Qualify } else { Unmapped::Keep };
        let map: CustomerMap = links
            .iter()
            .map(|(store, local, person)| {
                (StoreId::from(*store), (*local).into(), format!("person-{person}").into())
            })
            .collect();
        let stores = STORES.iter().map(|&store| {
            let local: Vec<Order> = orders
                .iter()
                .filter(|o| o.store().map(|s| s.as_str()) == Some(store))
                .cloned()
                .collect();
            (StoreId::from(store), Summaries::from_orders(&local, as_of).unwrap())
        });
        let merged = merge_stores(as_of, stores, &map, unmapped).unwrap();
        let unified = Summaries::from_orders(&map.unify_orders(&orders, unmapped), as_of).unwrap();
        prop_assert_eq!(&merged, &unified);
        let config = KpiConfig::default();
        prop_assert_eq!(
            Kpis::from_summaries(&merged, &config).unwrap(),
            Kpis::from_summaries(&unified, &config).unwrap()
        );
    }

    /// Cohorts partition the customers; retention is in [0, 1]; month 0 is
    /// everyone; the cohorts' money is the customers' net revenue.
    #[test]
    fn cohorts_partition_customers(orders in orders(40, true), config in kpi_config()) {
        let as_of = prop_as_of();
        let table = CohortTable::from_orders(&orders, as_of, &config).unwrap();
        let k = kpis(&orders, as_of, &config);
        prop_assert_eq!(table.customers(), k.customers);
        let mut net = 0_i64;
        for cohort in &table {
            prop_assert!(cohort.customers >= 1);
            prop_assert_eq!(cohort.cells.len() as i64, cohort.month.months_until(YearMonth::of(as_of)) + 1);
            prop_assert_eq!(cohort.cells[0].active, cohort.customers);
            for cell in &cohort.cells {
                prop_assert!((0.0..=1.0).contains(&cell.retention));
                prop_assert!(cell.active <= cohort.customers);
            }
            net += cohort.cells.last().unwrap().cumulative_revenue.minor_units();
        }
        prop_assert_eq!(net, k.net_revenue.minor_units());
        for p in table.curve() {
            prop_assert!((0.0..=1.0).contains(&p.retention));
        }
        // Months are strictly increasing.
        prop_assert!(table.cohorts().windows(2).all(|w| w[0].month < w[1].month));
    }

    /// Without returns, every cohort's LTV curve is non-decreasing.
    #[test]
    fn ltv_curve_rises_without_returns(orders in orders(40, false)) {
        let table = CohortTable::from_orders(&orders, prop_as_of(), &KpiConfig::default()).unwrap();
        for cohort in &table {
            for w in cohort.cells.windows(2) {
                prop_assert!(w[0].cumulative_revenue_per_customer <= w[1].cumulative_revenue_per_customer);
                prop_assert!(w[0].cumulative_revenue <= w[1].cumulative_revenue);
            }
        }
    }

    /// The formulas equal integer arithmetic for whole-number inputs.
    #[test]
    fn formulas_match_integer_arithmetic(
        price in 0i64..=10_000_000,
        per_year in 0u32..=50,
        years in 0u32..=40,
        percent in 0u32..=100,
        customers in 1u64..=10_000,
    ) {
        let f = ltv::from_frequency(
            m(price),
            Frequency::per_year(f64::from(per_year)).unwrap(),
            Duration::years(f64::from(years)).unwrap(),
        ).unwrap();
        prop_assert_eq!(f, m(price * i64::from(per_year) * i64::from(years)));
        // price × percent / 100 × years, rounded half up (all >= 0)
        let p = ltv::from_annual_revenue(
            m(price),
            Rate::from_percent(f64::from(percent)).unwrap(),
            Duration::years(f64::from(years)).unwrap(),
        ).unwrap();
        let exact = i128::from(price) * i128::from(percent) * i128::from(years);
        prop_assert_eq!(i128::from(p.minor_units()), (2 * exact + 100) / 200);
        let c = ltv::from_cumulative_revenue(m(price), customers).unwrap();
        let n = i128::from(customers);
        prop_assert_eq!(i128::from(c.minor_units()), (2 * i128::from(price) + n) / (2 * n));
        // The health class agrees with the ratio away from float ties.
        if let Ok(cac) = Cac::new(m(i64::from(percent) * 1_000)) {
            let read = LtvCac::new(f, cac).unwrap();
            if let Some(ratio) = read.ratio {
                let want = if ratio > 3.0 { Health::Healthy } else if ratio < 1.0 { Health::Losing } else { Health::Thin };
                prop_assert_eq!(read.health, want);
            }
        }
    }

    /// Reports round-trip through JSON: integers, money, dates and keys
    /// identically; floats to the last bit that serde_json's default
    /// (non-`float_roundtrip`) parser keeps, 1 ulp.
    #[test]
    fn report_round_trips(orders in orders(30, true), config in kpi_config()) {
        let report = LtvReport::from_orders(&orders, prop_as_of(), &config).unwrap();
        let back = round_trip(&report);
        assert_json_close(
            &serde_json::to_value(&back).unwrap(),
            &serde_json::to_value(&report).unwrap(),
            "$",
        );
        prop_assert_eq!(&round_trip(&config), &config);
    }
}

/// Issue 17 point 7: bob has only a return (-300, his purchase predates the
/// data). He stays out of customers, refunds and LTV but his refund is
/// reported in `returns_only_refunds` and in the printed table.
#[test]
fn refunds_of_returns_only_customers_are_reported() {
    let orders = [
        buy("1", "alice", d(1, 5), 1000),
        refund("2", "bob", d(1, 6), -300),
        refund("3", "carol", d(1, 7), -50),
    ];
    let kpis = Kpis::from_summaries(
        &Summaries::from_orders(&orders, d(1, 31)).unwrap(),
        &KpiConfig::default(),
    )
    .unwrap();
    assert_eq!(kpis.customers, 1);
    assert_eq!(kpis.returns_only_customers, 2);
    assert_eq!(kpis.returns_only_refunds, Money::new(-350)); // -300 - 50
    assert_eq!(kpis.refunds, Money::ZERO);
    assert_eq!(kpis.net_revenue, Money::new(1000));
    assert_eq!(kpis.ltv, Some(Money::new(1000)));
    let text = kpis.display_table(2).to_string();
    let line = text
        .lines()
        .find(|l| l.starts_with("returns-only customers"))
        .unwrap();
    assert!(line.ends_with(" 2 (refunds -3.50)"), "{text}");
    // JSON written before the field existed loads with 0.
    let mut doc = serde_json::to_value(&kpis).unwrap();
    doc.as_object_mut().unwrap().remove("returns_only_refunds");
    let old: Kpis = serde_json::from_value(doc).unwrap();
    assert_eq!(old.returns_only_refunds, Money::ZERO);
}

// ------------------------------------------------------- partial months (issue 18)

/// Jan: alice (1,000 on 5 Jan, 600 on 2 Mar) and bob (400 on 20 Jan); Mar:
/// carol (900 on 1 Mar). As of 10 March, March is 10 of 31 days old.
fn partial_fixture() -> Vec<Order> {
    vec![
        buy("A-1", "alice", d(1, 5), 1_000),
        buy("A-2", "alice", d(3, 2), 600),
        buy("A-3", "bob", d(1, 20), 400),
        buy("A-4", "carol", d(3, 1), 900),
    ]
}

#[test]
fn partial_as_of_month_is_marked_by_default() {
    let table =
        CohortTable::from_orders(&partial_fixture(), d(3, 10), &KpiConfig::default()).unwrap();
    let jan = table.get(YearMonth::new(2025, 1).unwrap()).unwrap();
    // months 0 (Jan), 1 (Feb) complete; 2 (Mar) ends on 10 March
    let flags: Vec<bool> = jan.cells.iter().map(|c| c.partial).collect();
    assert_eq!(flags, [false, false, true]);
    // the numbers are kept: alice came back in March, 1 of 2
    assert_eq!(jan.cells[2].active, 1);
    close(jan.cells[2].retention, 0.5);
    let mar = table.get(YearMonth::new(2025, 3).unwrap()).unwrap();
    assert_eq!(
        mar.cells.iter().map(|c| c.partial).collect::<Vec<_>>(),
        [true]
    );
    // pooled: m0 includes carol's partial March, m1 is January's February
    let curve: Vec<bool> = table.curve().iter().map(|p| p.partial).collect();
    assert_eq!(curve, [true, false, true]);
    // text: a star on every partial number and a note under each table
    let text = table.display_table(0).to_string();
    assert!(text.contains("50.0%*"), "{text}");
    assert!(
        text.contains("* partial month: 2025-03 ends on the as-of date, 10 of its 31 days"),
        "{text}"
    );
    // JSON: "partial": true on the cell
    let json = serde_json::to_value(&table).unwrap();
    assert_eq!(json["cohorts"][0]["cells"][2]["partial"], json!(true));
    assert_eq!(json["cohorts"][0]["cells"][1]["partial"], json!(false));
}

#[test]
fn partial_as_of_month_can_be_left_out() {
    let config = KpiConfig::builder()
        .partial_months(ltv::PartialMonths::Omit)
        .build()
        .unwrap();
    let table = CohortTable::from_orders(&partial_fixture(), d(3, 10), &config).unwrap();
    let jan = table.get(YearMonth::new(2025, 1).unwrap()).unwrap();
    assert_eq!(jan.cells.len(), 2); // January and February only
    assert!(jan.cells.iter().all(|c| !c.partial));
    // cumulative per customer to February: (1,000 + 400) / 2
    assert_eq!(jan.cells[1].cumulative_revenue_per_customer, m(700));
    let mar = table.get(YearMonth::new(2025, 3).unwrap()).unwrap();
    assert_eq!((mar.customers, mar.cells.len()), (1, 0));
    assert_eq!(table.customers(), 3);
    let curve = table.curve();
    assert_eq!(curve.len(), 2);
    assert!(curve.iter().all(|p| !p.partial));
    assert!(!table.display_table(0).to_string().contains('*'));
}

#[test]
fn a_month_end_as_of_has_no_partial_month() {
    for partial in [ltv::PartialMonths::Mark, ltv::PartialMonths::Omit] {
        let config = KpiConfig::builder()
            .partial_months(partial)
            .build()
            .unwrap();
        let table = CohortTable::from_orders(&partial_fixture(), d(3, 31), &config).unwrap();
        let jan = table.get(YearMonth::new(2025, 1).unwrap()).unwrap();
        assert_eq!(jan.cells.len(), 3);
        assert!(table.iter().flat_map(|c| &c.cells).all(|c| !c.partial));
    }
}

#[test]
fn partial_months_config_round_trips_and_old_json_reads() {
    let config: KpiConfig = serde_json::from_value(json!({"partial_months": "omit"})).unwrap();
    assert_eq!(config.partial_months(), ltv::PartialMonths::Omit);
    assert_eq!(
        KpiConfig::default().partial_months(),
        ltv::PartialMonths::Mark
    );
    let back: KpiConfig = serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
    assert_eq!(back, config);
    // a table written before the flag existed reads as complete months
    let old = json!({"as_of": "2025-01-31", "cohorts": [{"month": "2025-01", "customers": 1,
        "cells": [{"months_since": 0, "active": 1, "retention": 1.0, "revenue": 5,
        "cumulative_revenue": 5, "cumulative_revenue_per_customer": 5,
        "cumulative_margin": null, "cumulative_margin_per_customer": null}]}]});
    let table: CohortTable = serde_json::from_value(old).unwrap();
    assert!(!table.cohorts()[0].cells[0].partial);
}

// ------------------------------------------- payback of a losing channel (issue 18)

/// Cohorts: Jan alice (1,000 in Jan, `alice_april` on `april_day` of
/// April), Feb bob (`bob` in Feb), Mar carol (100), Apr dave, erin, frank
/// (100 each, on 1 April); all through the web.
fn losing_channel(alice_april: i64, april_day: u32, bob: i64) -> Vec<Order> {
    let web = |o: Order| o.with_channel("web");
    let mut orders = vec![
        web(buy("P-1", "alice", d(1, 5), 1_000)),
        web(buy("P-3", "bob", d(2, 3), bob)),
        web(buy("P-4", "carol", d(3, 3), 100)),
        web(buy("P-5", "dave", d(4, 1), 100)),
        web(buy("P-6", "erin", d(4, 1), 100)),
        web(buy("P-7", "frank", d(4, 1), 100)),
    ];
    if alice_april > 0 {
        orders.push(web(buy("P-2", "alice", d(4, april_day), alice_april)));
    }
    orders
}

fn web_row(orders: &[Order], as_of: NaiveDate) -> ltv::LtvCacRow {
    let report = LtvReport::from_orders(orders, as_of, &KpiConfig::default()).unwrap();
    let costs = AcquisitionCosts::new().with_channel("web", Cac::new(m(2_500)).unwrap());
    let table = LtvCacTable::from_report(&report, &costs, LtvBasis::Revenue).unwrap();
    table.rows()[0].clone()
}

#[test]
fn a_losing_channel_has_no_payback_from_a_blip() {
    // As of 30 April (complete). LTV = 7,400 / 6 = 1,233 < CAC 2,500: losing.
    // Pooled curve: m0 all six, 7,400 / 6 = 1,233; m1 Jan+Feb+Mar,
    // 7,100 / 3 = 2,367; m2 Jan+Feb, 7,000 / 2 = 3,500 (>= 2,500);
    // m3 Jan alone, 1,000: it falls back, so no payback within 3 months.
    let orders = losing_channel(0, 1, 6_000);
    assert_eq!(
        payback_months(
            &LtvReport::from_orders(&orders, d(4, 30), &KpiConfig::default())
                .unwrap()
                .cohorts
                .curve(),
            Cac::new(m(2_500)).unwrap(),
            LtvBasis::Revenue
        ),
        None
    );
    let row = web_row(&orders, d(4, 30));
    assert_eq!(row.ltv, Some(m(1_233)));
    assert_eq!(row.health, Some(Health::Losing));
    assert_eq!(row.payback_months, None);
    assert_eq!(row.payback, ltv::Payback::NotWithinHorizon);
    assert_eq!(row.horizon_months, Some(3));
    let json = serde_json::to_value(&row).unwrap();
    assert_eq!(json["payback_months"], serde_json::Value::Null);
    assert_eq!(json["payback"], json!("not_within_horizon"));
    assert_eq!(json["horizon_months"], json!(3));
}

#[test]
fn a_losing_channel_shows_a_real_crossing() {
    // alice adds 5,000 on 5 April: LTV = 12,400 / 6 = 2,067 < 2,500, still
    // losing; m2 = (1,000 + 6,000) / 2 = 3,500 and m3 = 6,000: the curve
    // crosses at month 2 and stays above.
    let row = web_row(&losing_channel(5_000, 5, 6_000), d(4, 30));
    assert_eq!(row.health, Some(Health::Losing));
    assert_eq!(
        (row.payback, row.payback_months, row.horizon_months),
        (ltv::Payback::Reached, Some(2), Some(3))
    );
}

#[test]
fn a_partial_last_month_is_not_a_payback() {
    // As of 10 April (partial). bob spends 2,000; alice 5,000 on 5 April.
    // m0 (1,000 + 2,000 + 100 + 300) / 6 = 567,
    // m1 (1,000 + 2,000 + 100) / 3 = 1,033, m2 (1,000 + 2,000) / 2 = 1,500,
    // m3 = alice's January cohort in its 10-day April: 6,000, partial and
    // the oldest cohort alone, so outside the horizon (months 0..=2).
    let orders = losing_channel(5_000, 5, 2_000);
    let row = web_row(&orders, d(4, 10));
    // LTV = 8,400 / 6 = 1,400
    assert_eq!(
        (row.ltv, row.health),
        (Some(m(1_400)), Some(Health::Losing))
    );
    assert_eq!(
        (row.payback, row.payback_months, row.horizon_months),
        (ltv::Payback::NotWithinHorizon, None, Some(2))
    );
    let report = LtvReport::from_orders(&orders, d(4, 10), &KpiConfig::default()).unwrap();
    let costs = AcquisitionCosts::new().with_channel("web", Cac::new(m(2_500)).unwrap());
    let text = LtvCacTable::from_report(&report, &costs, LtvBasis::Revenue)
        .unwrap()
        .display_table(0)
        .to_string();
    let web = text.lines().find(|l| l.starts_with("web")).unwrap();
    assert!(web.contains("losing"), "{text}");
    assert!(web.ends_with("not within the horizon (2 mo)"), "{text}");
}
