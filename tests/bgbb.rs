//! BG/BB (discrete time): the published donation-cohort fit, per-pattern
//! predictions against an independent implementation, periods from orders.

use chrono::NaiveDate;
use rfmkit::clv::{BgBb, BgBbConfig, BgBbData, BgBbFit, BgBbHistory, ModelKind, TransactionFit};
use rfmkit::{Error, Money, Order};

/// The 1995 donor cohort of Fader, Hardie & Shang (2010): 11,104 donors, 6
/// yearly periods, as 22 (x, t_x, n, donors) patterns.
/// `tests/data/bgbb_donations.csv` is `lifetimes/datasets/donations.csv`
/// from `lifetimes` 0.11.3.
fn donations() -> BgBbData {
    let text = include_str!("data/bgbb_donations.csv");
    let patterns: Vec<(BgBbHistory, u64)> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<u64> = line.split(',').map(|v| v.trim().parse().unwrap()).collect();
            let [x, t_x, n, w] = f[..] else {
                panic!("{line}")
            };
            (BgBbHistory::new(x as u32, t_x as u32, n as u32).unwrap(), w)
        })
        .collect();
    assert_eq!(patterns.len(), 22);
    BgBbData::from_patterns(patterns).unwrap()
}

fn sig3(value: f64) -> f64 {
    let scale = 10f64.powi(2 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

#[test]
fn donation_cohort_reproduces_the_published_fit() {
    let data = donations();
    assert_eq!(data.customer_count(), 11_104);
    let fit = BgBb::fit(&data).unwrap();
    assert!(fit.diagnostics.converged);
    let m = fit.model;
    // FHS (2010), Table 2 / Figure 4: α 1.204, β 0.750, γ 0.657, δ 2.783,
    // LL −33,225.6.
    assert_eq!(sig3(m.alpha()), 1.20);
    assert_eq!(sig3(m.beta()), 0.750);
    assert_eq!(sig3(m.gamma()), 0.657);
    assert_eq!(sig3(m.delta()), 2.78);
    // 4 significant digits too, where the paper prints them.
    assert!((m.alpha() - 1.204).abs() < 5e-4, "{}", m.alpha());
    assert!((m.delta() - 2.783).abs() < 5e-4, "{}", m.delta());
    assert!(
        (fit.diagnostics.log_likelihood - (-33_225.6)).abs() < 0.05,
        "{}",
        fit.diagnostics.log_likelihood
    );
    assert_eq!(fit.diagnostics.customers, 11_104);
    assert_eq!(fit.diagnostics.groups, 22);
    // Standard errors from the observed information, against lifetimes'
    // (`.ci/bgbb_reference.py`: 0.069391, 0.029448, 0.05101, 0.320819).
    let u = fit.diagnostics.uncertainty.as_ref().unwrap();
    assert!(u.positive_definite);
    let se = u.standard_errors().unwrap();
    for (ours, theirs) in se.iter().zip([0.069391, 0.029448, 0.05101, 0.320819]) {
        assert!((ours / theirs - 1.0).abs() < 0.02, "{se:?}");
    }
}

/// `lifetimes` 0.11.3 `BetaGeoBetaBinomFitter` at the published parameters
/// (`.ci/bgbb_reference.py`): (x, t_x, n, ln L, P(alive in period n+1),
/// E[X(n, n+5)]).
const LIFETIMES: [(u32, u32, u32, f64, f64, f64); 22] = [
    (
        0,
        0,
        6,
        -1.167262472674e+00,
        1.080165841687e-01,
        7.280287747504e-02,
    ),
    (
        1,
        1,
        6,
        -2.288531685666e+00,
        6.940809320655e-02,
        8.563539833787e-02,
    ),
    (
        1,
        2,
        6,
        -3.588050932881e+00,
        2.545564769517e-01,
        3.140706551089e-01,
    ),
    (
        1,
        3,
        6,
        -4.224770872479e+00,
        4.811805985201e-01,
        5.936784937183e-01,
    ),
    (
        1,
        4,
        6,
        -4.570990413807e+00,
        6.802512434979e-01,
        8.392909748064e-01,
    ),
    (
        1,
        5,
        6,
        -4.767622682922e+00,
        8.280673360231e-01,
        1.021665815828e+00,
    ),
    (
        1,
        6,
        6,
        -4.884145541903e+00,
        9.304025423727e-01,
        1.147926540692e+00,
    ),
    (
        2,
        2,
        6,
        -3.011787922162e+00,
        6.637954735437e-02,
        1.190579533264e-01,
    ),
    (
        2,
        3,
        6,
        -4.516066629604e+00,
        2.987681022466e-01,
        5.358686551865e-01,
    ),
    (
        2,
        4,
        6,
        -5.195697601042e+00,
        5.895141164336e-01,
        1.057348941909e+00,
    ),
    (
        2,
        5,
        6,
        -5.506584592618e+00,
        8.044715946413e-01,
        1.442895370405e+00,
    ),
    (
        2,
        6,
        6,
        -5.652016268659e+00,
        9.304025423726e-01,
        1.668764354074e+00,
    ),
    (
        3,
        3,
        6,
        -3.527345168682e+00,
        9.497278938125e-02,
        2.235082300486e-01,
    ),
    (
        3,
        4,
        6,
        -5.059307947411e+00,
        4.394628570557e-01,
        1.034228498421e+00,
    ),
    (
        3,
        5,
        6,
        -5.615894746361e+00,
        7.667340499955e-01,
        1.804425999794e+00,
    ),
    (
        3,
        6,
        6,
        -5.809372079435e+00,
        9.304025423725e-01,
        2.189602167455e+00,
    ),
    (
        4,
        4,
        6,
        -3.848303519431e+00,
        2.001334342006e-01,
        5.830268479019e-01,
    ),
    (
        4,
        5,
        6,
        -5.095675638863e+00,
        6.967010676850e-01,
        2.029623031477e+00,
    ),
    (
        4,
        6,
        6,
        -5.384936538099e+00,
        9.304025423726e-01,
        2.710439980836e+00,
    ),
    (
        5,
        5,
        6,
        -3.716999307290e+00,
        5.219082862804e-01,
        1.812581736692e+00,
    ),
    (
        5,
        6,
        6,
        -4.295124765384e+00,
        9.304025423728e-01,
        3.231277794218e+00,
    ),
    (
        6,
        6,
        6,
        -2.182248447618e+00,
        9.304025423729e-01,
        3.752115607600e+00,
    ),
];

#[test]
fn per_pattern_predictions_equal_lifetimes() {
    let model = BgBb::new(1.204, 0.750, 0.657, 2.783).unwrap();
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
    for &(x, t_x, n, ll, p_alive, expected) in &LIFETIMES {
        let h = BgBbHistory::new(x, t_x, n).unwrap();
        assert!(rel(model.log_likelihood(h), ll) < 1e-10, "ln L {h:?}");
        assert!(rel(model.p_alive(h), p_alive) < 1e-9, "P(alive) {h:?}");
        let e = model.expected_transactions(h, 5).unwrap();
        assert!(rel(e, expected) < 1e-9, "E {h:?}: {e} vs {expected}");
    }
    // lifetimes' expected_number_of_transactions_in_first_n_periods(6),
    // averaged: the mean of its P(X(6) = x) distribution.
    let new = model.expected_transactions_new(6).unwrap();
    assert!(rel(new, 2.219631393487e+00) < 1e-9, "{new}");
}

#[test]
fn predictions_behave() {
    let model = BgBb::new(1.204, 0.750, 0.657, 2.783).unwrap();
    let h = BgBbHistory::new(3, 6, 6).unwrap();
    let mut last = 0.0;
    for periods in [1, 2, 5, 10, 100, 10_000] {
        let e = model.expected_transactions(h, periods).unwrap();
        // Increasing in the horizon, at most one transaction per period.
        assert!(e > last && e <= f64::from(periods), "{periods}: {e}");
        last = e;
    }
    // The next period alone: P(alive in n+1) · E[p | history, alive]
    // = P(alive) · (α + x)/(α + β + n).
    let one = model.expected_transactions(h, 1).unwrap();
    let by_hand = model.p_alive(h) * (1.204 + 3.0) / (1.204 + 0.750 + 6.0);
    assert!((one - by_hand).abs() < 1e-12, "{one} vs {by_hand}");
    // γ = 1 exactly (the closed form's 0/0) is continuous with γ near 1.
    let at = BgBb::new(1.2, 0.8, 1.0, 2.5).unwrap();
    let near = BgBb::new(1.2, 0.8, 1.0 + 1e-5, 2.5).unwrap();
    let (a, b) = (
        at.expected_transactions(h, 20).unwrap(),
        near.expected_transactions(h, 20).unwrap(),
    );
    assert!((a - b).abs() < 1e-4 * a, "{a} vs {b}");
}

#[test]
fn grouped_and_per_customer_data_fit_the_same() {
    // Expand a small pattern table into customers: same fit.
    let table = [
        ((0, 0, 4), 40),
        ((1, 1, 4), 12),
        ((1, 4, 4), 6),
        ((2, 2, 4), 5),
        ((2, 4, 4), 8),
        ((3, 4, 4), 11),
        ((4, 4, 4), 15),
        ((1, 3, 4), 4),
    ];
    let h = |(x, t, n)| BgBbHistory::new(x, t, n).unwrap();
    let grouped = BgBbData::from_patterns(table.iter().map(|&(k, w)| (h(k), w))).unwrap();
    let mut customers = Vec::new();
    for &(k, w) in &table {
        for i in 0..w {
            customers.push((format!("c{}-{}-{}-{i}", k.0, k.1, k.2), h(k)));
        }
    }
    let each = BgBbData::from_histories(customers).unwrap();
    assert_eq!(each.customers().len(), 101);
    assert_eq!(each.patterns(), grouped.patterns());
    let (a, b) = (BgBb::fit(&grouped).unwrap(), BgBb::fit(&each).unwrap());
    assert_eq!(a.model, b.model);
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn periods_from_orders_follow_the_definition() {
    let orders = [
        // ann: first 2024-01-01; weekly periods; calibration end 2024-01-31
        // (31 days = 4 whole weeks + 3 days): n = 4 − 1 = 3.
        Order::new("1", "ann", day(2024, 1, 1), Money::new(100)),
        Order::new("2", "ann", day(2024, 1, 3), Money::new(100)), // period 0
        Order::new("3", "ann", day(2024, 1, 8), Money::new(100)), // period 1
        Order::new("4", "ann", day(2024, 1, 14), Money::new(100)), // period 1
        Order::new("5", "ann", day(2024, 1, 22), Money::new(100)), // period 3
        Order::new("6", "ann", day(2024, 1, 30), Money::new(100)), // period 4: partial
        // bob: first on the 25th: 7 days to the end, n = 0.
        Order::new("7", "bob", day(2024, 1, 25), Money::new(100)),
        // cat: a return only is not a transaction.
        Order::new("8", "cat", day(2024, 1, 5), Money::new(-100))
            .with_status(rfmkit::order::OrderStatus::Returned),
    ];
    let config = BgBbConfig::new(day(2024, 1, 31), 7).unwrap();
    let data = BgBbData::from_orders(&orders, &config).unwrap();
    let got: Vec<(&str, u32, u32, u32)> = data
        .customers()
        .iter()
        .map(|c| {
            (
                c.customer.as_str(),
                c.history.x(),
                c.history.t_x(),
                c.history.n(),
            )
        })
        .collect();
    assert_eq!(got, [("ann", 2, 3, 3), ("bob", 0, 0, 0)]);
    assert_eq!(data.partial_period_orders(), 1);
    assert_eq!(data.period_days(), Some(7));
    // An order after the calibration end is an error naming it.
    let late = [Order::new("9", "dan", day(2024, 2, 1), Money::new(100))];
    assert!(matches!(
        BgBbData::from_orders(&late, &config),
        Err(Error::OrderAfterAsOf { .. })
    ));
    // Empty input: empty data, and a clear error when fitted.
    let empty = BgBbData::from_orders(&[], &config).unwrap();
    assert_eq!(empty.customer_count(), 0);
    assert!(matches!(
        BgBb::fit(&empty),
        Err(Error::NotIdentified { model: "bg_bb", .. })
    ));
}

#[test]
fn bad_inputs_are_clear_errors() {
    assert!(matches!(
        BgBbHistory::new(3, 2, 6),
        Err(Error::OutOfRange {
            what: "bg_bb history",
            ..
        })
    ));
    assert!(BgBb::new(f64::NAN, 1.0, 1.0, 1.0).is_err());
    assert!(matches!(
        BgBbConfig::new(day(2024, 1, 1), 0),
        Err(Error::InvalidConfig { .. })
    ));
    let dup = BgBbData::from_histories([
        ("a", BgBbHistory::new(0, 0, 2).unwrap()),
        ("a", BgBbHistory::new(1, 1, 2).unwrap()),
    ]);
    assert!(matches!(dup, Err(Error::DuplicateCustomer { .. })));
    // Nobody ever comes back: not identified, not a NaN.
    let none = BgBbData::from_patterns([(BgBbHistory::new(0, 0, 6).unwrap(), 100)]).unwrap();
    assert!(matches!(BgBb::fit(&none), Err(Error::NotIdentified { .. })));
    // bg_bb parses as a model name but is not a TransactionFit model.
    let kind: ModelKind = "bgbb".parse().unwrap();
    assert_eq!(kind, ModelKind::BgBb);
    assert!(!kind.is_transaction_model());
    let cdnowish = rfmkit::clv::BtydData::new(rfmkit::ltv::TimeUnit::Week, []).unwrap();
    assert!(matches!(
        TransactionFit::fit(kind, &cdnowish),
        Err(Error::InvalidConfig { .. })
    ));
}

#[test]
fn serde_round_trips_and_validates() {
    let fit = BgBb::fit(&donations()).unwrap();
    let json = serde_json::to_string(&fit).unwrap();
    let back: BgBbFit = serde_json::from_str(&json).unwrap();
    assert_eq!(back, fit);
    let data = donations();
    let back: BgBbData = serde_json::from_str(&serde_json::to_string(&data).unwrap()).unwrap();
    assert_eq!(back, data);
    assert!(serde_json::from_str::<BgBbHistory>(r#"{"x":3,"t_x":2,"n":6}"#).is_err());
    assert!(serde_json::from_str::<BgBb>(r#"{"alpha":1,"beta":0,"gamma":1,"delta":1}"#).is_err());
}
