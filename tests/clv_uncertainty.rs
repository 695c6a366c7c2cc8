//! CLV uncertainty: parameter standard errors against `lifetimes`, Wald
//! interval coverage on simulated shops, bootstrap prediction intervals,
//! and predictions over a window `[t1, t2]`.
//!
//! The `lifetimes` figures come from `.ci/clv_se_reference.py`, run as
//!
//! ```text
//! python3 -m venv /tmp/clvse-venv
//! /tmp/clvse-venv/bin/pip install lifetimes 'numpy<2'
//! /tmp/clvse-venv/bin/python .ci/clv_se_reference.py tests/data/ltv_cdnow_sample.txt
//! ```
//!
//! (lifetimes 0.11.3, numpy 1.26.4, scipy 1.17.1, autograd 1.9.1).

use rfmkit::clv::{
    BgNbd, BootstrapConfig, Btyd, BtydData, GammaGamma, MONTH_DAYS, MbgNbd, ModelKind,
    ParameterUncertainty, ParetoNbd, PredictConfig, SimulationConfig, TransactionFit,
    TransactionModel, simulate,
};
use rfmkit::{Error, Money};

use crate::clv::cdnow;

fn assert_ses(u: &ParameterUncertainty, expected: &[(&str, f64, f64)], money_scale: f64) {
    assert!(u.positive_definite, "{:?}", u.warning);
    assert_eq!(u.parameters.len(), expected.len());
    for (p, &(name, estimate, se)) in u.parameters.iter().zip(expected) {
        assert_eq!(p.name, name);
        let ours = p.standard_error.unwrap() / money_scale;
        let rel = (ours - se).abs() / se;
        println!(
            "{name}: {} se {ours} (lifetimes {estimate} se {se}, {:.3}%)",
            p.estimate / money_scale,
            rel * 100.0
        );
        // The brief asks for 2%; the two agree to 0.03% (Pareto/NBD: two
        // optimizers stop at slightly different points of a flat ridge).
        assert!(rel < 0.001, "{name}: se {ours} vs lifetimes {se}");
        // The interval is the Wald interval of ln p, mapped back.
        let (lo, hi) = (p.lower.unwrap(), p.upper.unwrap());
        let sd = p.standard_error.unwrap() / p.estimate;
        assert!((lo - p.estimate * (-1.959964 * sd).exp()).abs() < 1e-6 * p.estimate);
        assert!((hi - p.estimate * (1.959964 * sd).exp()).abs() < 1e-6 * p.estimate);
    }
}

// lifetimes: BetaGeoFitter().standard_errors_.
#[test]
fn cdnow_bg_nbd_standard_errors_match_lifetimes() {
    let fit = TransactionFit::fit(ModelKind::BgNbd, &cdnow()).unwrap();
    let u = fit.diagnostics.uncertainty.as_ref().unwrap();
    assert_ses(
        u,
        &[
            ("r", 0.2425945434, 0.01255737918),
            ("alpha", 4.413602716, 0.3782241013),
            ("a", 0.7929218333, 0.1857337497),
            ("b", 2.425905729, 0.7054138497),
        ],
        1.0,
    );
}

// lifetimes: ModifiedBetaGeoFitter().standard_errors_.
#[test]
fn cdnow_mbg_nbd_standard_errors_match_lifetimes() {
    let fit = TransactionFit::fit(ModelKind::MbgNbd, &cdnow()).unwrap();
    assert_ses(
        fit.diagnostics.uncertainty.as_ref().unwrap(),
        &[
            ("r", 0.5248429031, 0.08326808868),
            ("alpha", 6.183081764, 0.695619909),
            ("a", 0.8913595173, 0.154789938),
            ("b", 1.614002931, 0.537494794),
        ],
        1.0,
    );
}

// lifetimes' ParetoNBDFitter has no standard_errors_; the script
// differentiates lifetimes' own Pareto/NBD likelihood (scipy hyp2f1)
// numerically at lifetimes' fit (see the script's docstring).
#[test]
fn cdnow_pareto_nbd_standard_errors_match_lifetimes_likelihood() {
    let fit = TransactionFit::fit(ModelKind::ParetoNbd, &cdnow()).unwrap();
    assert_ses(
        fit.diagnostics.uncertainty.as_ref().unwrap(),
        &[
            ("r", 0.5532792328, 0.0476298081),
            ("alpha", 10.57759269, 0.8427228051),
            ("s", 0.6061585182, 0.1872531108),
            ("beta", 11.66552358, 6.209769699),
        ],
        1.0,
    );
}

// lifetimes: GammaGammaFitter().standard_errors_ on the 946 repeat buyers
// (dollars; rfmkit's gamma is in cents).
#[test]
fn cdnow_gamma_gamma_standard_errors_match_lifetimes() {
    let fit = GammaGamma::fit(&cdnow()).unwrap();
    let u = fit.diagnostics.uncertainty.as_ref().unwrap();
    assert_eq!(u.parameters[2].name, "gamma");
    // p and q have no unit; compare gamma in dollars.
    let mut dollars = u.clone();
    for p in &mut dollars.parameters[2..] {
        p.estimate /= 100.0;
        p.standard_error = p.standard_error.map(|s| s / 100.0);
        p.lower = p.lower.map(|s| s / 100.0);
        p.upper = p.upper.map(|s| s / 100.0);
    }
    assert_ses(
        &dollars,
        &[
            ("p", 6.249572278, 1.190055346),
            ("q", 3.744224675, 0.2901330676),
            ("gamma", 15.44352102, 4.159422802),
        ],
        1.0,
    );
}

// ------------------------------------------------- Wald interval coverage

/// Fits `kind` to `replications` simulated shops of `customers` drawn from
/// `truth` and returns, per parameter, how many 95% intervals covered the
/// true value, the mean reported SE and the spread (sd) of the estimates.
fn coverage(
    truth: &TransactionModel,
    customers: usize,
    replications: u64,
) -> Vec<(usize, f64, f64)> {
    let kind = truth.kind();
    let truths = truth.parameters();
    let mut covered = [0usize; 4];
    let mut se_sum = [0.0; 4];
    let mut estimates: Vec<Vec<f64>> = vec![Vec::new(); 4];
    for seed in 0..replications {
        let config = SimulationConfig::builder()
            .customers(customers)
            .max_age(52.0)
            .seed(1_000 + seed)
            .build()
            .unwrap();
        let data = simulate(truth, &config).unwrap();
        let fit = TransactionFit::fit(kind, &data).unwrap();
        let u = fit.diagnostics.uncertainty.unwrap();
        assert!(u.positive_definite, "seed {seed}: {:?}", u.warning);
        for (i, p) in u.parameters.iter().enumerate() {
            let truth = truths[i].1;
            if p.lower.unwrap() <= truth && truth <= p.upper.unwrap() {
                covered[i] += 1;
            }
            se_sum[i] += p.standard_error.unwrap();
            estimates[i].push(p.estimate);
        }
    }
    let n = replications as f64;
    (0..4)
        .map(|i| {
            let mean = estimates[i].iter().sum::<f64>() / n;
            let sd =
                (estimates[i].iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            (covered[i], se_sum[i] / n, sd)
        })
        .collect()
}

/// 40 BG/NBD shops of 1,500 customers: the 160 nominal-95% intervals cover
/// the truth 88% to 99.5% of the time (a binomial(160, 0.95) count falls
/// outside that range with probability below 0.1%), and the reported SEs
/// match the actual spread of the estimates (within a factor 1.5: the sd
/// of 40 estimates is itself uncertain by about 11%).
#[test]
fn wald_intervals_cover_the_true_bg_nbd_parameters() {
    let truth = TransactionModel::from(BgNbd::new(0.6, 5.0, 0.8, 2.5).unwrap());
    let result = coverage(&truth, 1_500, 40);
    let total: usize = result.iter().map(|r| r.0).sum();
    println!("{result:?}, {total}/160");
    assert!((141..=159).contains(&total), "{total} of 160 covered");
    for (i, &(hits, se, sd)) in result.iter().enumerate() {
        assert!(hits >= 33, "parameter {i}: {hits} of 40");
        assert!(
            se / sd > 0.67 && se / sd < 1.5,
            "parameter {i}: se {se}, sd {sd}"
        );
    }
}

/// The heavy version: 200 shops of 2,000 customers per transaction model
/// (`cargo test --release --test integration -- --ignored coverage`).
#[test]
#[ignore = "heavy: about a minute in release"]
fn wald_intervals_cover_the_true_parameters_of_every_model_heavy() {
    for truth in [
        TransactionModel::from(BgNbd::new(0.6, 5.0, 0.8, 2.5).unwrap()),
        TransactionModel::from(MbgNbd::new(0.6, 5.0, 0.8, 2.5).unwrap()),
        TransactionModel::from(ParetoNbd::new(0.6, 5.0, 0.8, 8.0).unwrap()),
    ] {
        let result = coverage(&truth, 2_000, 200);
        println!("{}: {result:?}", truth.kind());
        for (i, &(hits, se, sd)) in result.iter().enumerate() {
            // binomial(200, 0.95): 95% of counts in 184..=196.
            assert!(
                (178..=199).contains(&hits),
                "{} {i}: {hits} of 200",
                truth.kind()
            );
            assert!(
                se / sd > 0.8 && se / sd < 1.25,
                "{} {i}: se {se} sd {sd}",
                truth.kind()
            );
        }
    }
}

// ------------------------------------------------- bootstrap intervals

fn spend_shop(customers: usize, seed: u64) -> BtydData {
    let truth = TransactionModel::from(BgNbd::new(0.6, 5.0, 0.8, 2.5).unwrap());
    let config = SimulationConfig::builder()
        .customers(customers)
        .max_age(52.0)
        .resolution(1.0 / 7.0)
        .spend(GammaGamma::new(6.0, 4.0, 1_500.0).unwrap())
        .seed(seed)
        .build()
        .unwrap();
    simulate(&truth, &config).unwrap()
}

#[test]
fn bootstrap_intervals_are_seeded_and_bracket_the_estimates() {
    let data = spend_shop(1_500, 3);
    let fit = BgNbd::fit(&data).unwrap();
    let spend = GammaGamma::fit(&data).unwrap();
    let predict = PredictConfig::builder().months(6).build().unwrap();
    let boot = BootstrapConfig::builder()
        .draws(60)
        .seed(9)
        .build()
        .unwrap();
    let a = fit
        .predict_intervals(&data, Some(&spend), &predict, &boot)
        .unwrap();
    let b = fit
        .predict_intervals(&data, Some(&spend), &predict, &boot)
        .unwrap();
    assert_eq!(a, b);
    let other = BootstrapConfig::builder()
        .draws(60)
        .seed(10)
        .build()
        .unwrap();
    let c = fit
        .predict_intervals(&data, Some(&spend), &predict, &other)
        .unwrap();
    assert_ne!(a.total_expected_purchases(), c.total_expected_purchases());

    // The estimates are predict()'s.
    let point = fit.predict(&data, Some(&spend), &predict).unwrap();
    assert_eq!(a.customers().len(), point.len());
    let mut inside = 0;
    for (i, p) in a.customers().iter().zip(point.iter()) {
        assert_eq!(i.customer, p.customer);
        assert_eq!(i.p_alive.estimate, p.p_alive);
        assert_eq!(i.expected_purchases.estimate, p.expected_purchases);
        let clv = i.clv.unwrap();
        assert_eq!(Money::new(clv.estimate.round() as i64), p.clv.unwrap());
        assert!(i.p_alive.lower <= i.p_alive.upper && i.p_alive.upper <= 1.0);
        assert!(clv.lower <= clv.upper && clv.lower >= 0.0);
        if clv.lower <= clv.estimate && clv.estimate <= clv.upper {
            inside += 1;
        }
    }
    // The estimate at the MLE is inside the 95% band for nearly everyone.
    assert!(inside * 100 >= 95 * a.customers().len(), "{inside}");
    let total = a.total_expected_purchases();
    let sum: f64 = point.iter().map(|p| p.expected_purchases).sum();
    assert!((total.estimate - sum).abs() < 1e-6 * sum);
    assert!(total.lower < total.estimate && total.estimate < total.upper);
    let clv = a.total_clv().unwrap();
    assert!(clv.lower < clv.estimate && clv.estimate < clv.upper);

    // Without covariance (a fit loaded from old JSON): a clear error.
    let mut json: serde_json::Value = serde_json::to_value(&fit).unwrap();
    json["diagnostics"]
        .as_object_mut()
        .unwrap()
        .remove("uncertainty");
    let old: TransactionFit = serde_json::from_value(json).unwrap();
    let err = old
        .predict_intervals(&data, None, &predict, &boot)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotIdentified {
                model: "bg_nbd",
                ..
            }
        ),
        "{err}"
    );
}

/// The bootstrap interval of the population's expected purchases against
/// the delta method: for a smooth total `S(θ)`, the interval's half-width
/// is about `1.96 · √(∇Sᵀ Σ ∇S)`. Computed here with a numeric gradient
/// of `S` over the log-parameters and the fit's covariance.
#[test]
fn bootstrap_total_matches_the_delta_method() {
    let data = spend_shop(2_000, 5);
    let fit = BgNbd::fit(&data).unwrap();
    let predict = PredictConfig::builder()
        .months(0)
        .horizon_days(182.0)
        .build()
        .unwrap();
    let boot = BootstrapConfig::builder()
        .draws(400)
        .seed(1)
        .build()
        .unwrap();
    let total = fit
        .predict_intervals(&data, None, &predict, &boot)
        .unwrap()
        .total_expected_purchases();
    let u = fit.diagnostics.uncertainty.as_ref().unwrap();
    let theta: Vec<f64> = u.parameters.iter().map(|p| p.estimate.ln()).collect();
    let horizon = 26.0;
    let total_at = |t: &[f64]| -> f64 {
        let m = TransactionModel::from(
            BgNbd::new(t[0].exp(), t[1].exp(), t[2].exp(), t[3].exp()).unwrap(),
        );
        data.iter()
            .map(|c| m.expected_purchases(c.btyd(), horizon).unwrap())
            .sum()
    };
    let mut grad = [0.0; 4];
    for i in 0..4 {
        let (mut up, mut down) = (theta.clone(), theta.clone());
        up[i] += 1e-5;
        down[i] -= 1e-5;
        grad[i] = (total_at(&up) - total_at(&down)) / 2e-5;
    }
    let cov = u.working_covariance.as_ref().unwrap();
    let var: f64 = (0..4)
        .map(|i| (0..4).map(|j| grad[i] * cov[i][j] * grad[j]).sum::<f64>())
        .sum();
    let half_delta = 1.959964 * var.sqrt();
    let half_boot = (total.upper - total.lower) / 2.0;
    println!("bootstrap half-width {half_boot}, delta method {half_delta}");
    // 400 draws estimate a 95% quantile to a few percent.
    assert!((half_boot / half_delta - 1.0).abs() < 0.15);
}

#[cfg(feature = "parallel")]
#[test]
fn bootstrap_intervals_do_not_depend_on_the_number_of_threads() {
    let data = spend_shop(3_000, 8);
    let fit = BgNbd::fit(&data).unwrap();
    let spend = GammaGamma::fit(&data).unwrap();
    let predict = PredictConfig::builder().months(3).build().unwrap();
    let boot = BootstrapConfig::builder()
        .draws(20)
        .seed(4)
        .build()
        .unwrap();
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                fit.predict_intervals(&data, Some(&spend), &predict, &boot)
                    .unwrap()
            })
    };
    let one = on(1);
    assert_eq!(one, on(3));
    // Bit for bit, totals included.
    assert_eq!(
        one.total_clv().unwrap().upper.to_bits(),
        on(4).total_clv().unwrap().upper.to_bits()
    );
}

#[test]
fn bootstrap_config_is_validated_and_round_trips() {
    for (draws, lo, hi, field) in [
        (1, 0.025, 0.975, "draws"),
        (200_000, 0.025, 0.975, "draws"),
        (200, 0.5, 0.5, "quantiles"),
        (200, -0.1, 0.5, "quantiles"),
        (200, 0.1, f64::NAN, "quantiles"),
    ] {
        let err = BootstrapConfig::builder()
            .draws(draws)
            .quantiles(lo, hi)
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidConfig { field: ref f, .. } if f == field),
            "{err}"
        );
    }
    let c = BootstrapConfig::builder()
        .draws(50)
        .seed(3)
        .build()
        .unwrap();
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(json, r#"{"draws":50,"seed":3,"lower":0.025,"upper":0.975}"#);
    assert_eq!(serde_json::from_str::<BootstrapConfig>(&json).unwrap(), c);
    assert!(
        serde_json::from_str::<BootstrapConfig>(
            r#"{"draws":1,"seed":3,"lower":0.025,"upper":0.975}"#
        )
        .is_err()
    );
}

#[test]
fn fits_with_uncertainty_round_trip() {
    let data = spend_shop(800, 2);
    let fit = BgNbd::fit(&data).unwrap();
    let json = serde_json::to_string(&fit).unwrap();
    assert!(json.contains("\"standard_error\""));
    let back: TransactionFit = serde_json::from_str(&json).unwrap();
    assert_eq!(back, fit);
}

// ------------------------------------------------- windows [t1, t2]

/// Composite Simpson's rule on `[a, b]` with `n` (even) panels.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let h = (b - a) / n as f64;
    let mut sum = f(a) + f(b);
    for i in 1..n {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(a + i as f64 * h);
    }
    sum * h / 3.0
}

fn ln_beta(a: f64, b: f64) -> f64 {
    statrs::function::gamma::ln_gamma(a) + statrs::function::gamma::ln_gamma(b)
        - statrs::function::gamma::ln_gamma(a + b)
}

/// An independent BG/NBD (shift 0) or MBG/NBD (shift 1) window
/// expectation. Given alive at `T`, `λ ~ Gamma(r+x, α+T)` and
/// `p ~ Beta(a, b+x+shift)` independently, and a customer with `(λ, p)`
/// expects `(e^(−λ p t1) − e^(−λ p t2)) / p` purchases in `(t1, t2]` (death
/// at rate `λp`). Integrating `λ` out gives
/// `[(h/(h+p t1))^n − (h/(h+p t2))^n] / p` with `h = α+T`, `n = r+x`; the
/// Beta integral over `p` is done numerically after `p = u^(1/a)`, which
/// removes the `p^(a−1)` singularity. Times P(alive).
fn bg_window_by_integration(
    params: [f64; 4],
    shift: f64,
    c: Btyd,
    p_alive: f64,
    t1: f64,
    t2: f64,
) -> f64 {
    let [r, alpha, a, b] = params;
    let x = f64::from(c.x());
    let (h, n, big_b) = (alpha + c.t(), r + x, b + x + shift);
    let norm = ln_beta(a, big_b);
    let f = |u: f64| {
        if u <= 0.0 {
            return n * (t2 - t1) / h * (-norm).exp() / a;
        }
        let p = u.powf(1.0 / a);
        let e = |t: f64| (-n * (p * t / h).ln_1p()).exp();
        let g = (e(t1) - e(t2)) / p;
        g * ((big_b - 1.0) * (-p).ln_1p() - norm).exp() / a
    };
    p_alive * simpson(f, 0.0, 1.0, 20_000)
}

/// An independent Pareto/NBD window expectation: given alive at `T`,
/// `λ ~ Gamma(r+x, α+T)` and `μ ~ Gamma(s, β+T)`, so the purchase rate at
/// `T + u` is `E[λ] · E[e^(−μu)] = (r+x)/(α+T) · ((β+T)/(β+T+u))^s`,
/// integrated over `(t1, t2]`. Times P(alive).
fn pareto_window_by_integration(m: &ParetoNbd, c: Btyd, p_alive: f64, t1: f64, t2: f64) -> f64 {
    let x = f64::from(c.x());
    let rate = (m.r() + x) / (m.alpha() + c.t());
    let bt = m.beta() + c.t();
    p_alive * simpson(|u| rate * (bt / (bt + u)).powf(m.s()), t1, t2, 20_000)
}

#[test]
fn window_expectations_match_numeric_integration() {
    let histories = [
        Btyd::new(0, 0.0, 30.0).unwrap(),
        Btyd::new(2, 30.43, 38.86).unwrap(),
        Btyd::new(7, 35.0, 38.0).unwrap(),
    ];
    let windows = [(0.0, 13.0), (13.0, 39.0), (26.0, 104.0)];
    let bg = [0.243, 4.414, 0.793, 2.426];
    let mbg = [0.525, 6.183, 0.891, 1.614];
    let bg_model = TransactionModel::from(BgNbd::new(bg[0], bg[1], bg[2], bg[3]).unwrap());
    let mbg_model = TransactionModel::from(MbgNbd::new(mbg[0], mbg[1], mbg[2], mbg[3]).unwrap());
    let pareto = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
    let pareto_model = TransactionModel::from(pareto);
    for c in histories {
        for (t1, t2) in windows {
            let ours = bg_model.expected_purchases_between(c, t1, t2).unwrap();
            let peer = bg_window_by_integration(bg, 0.0, c, bg_model.p_alive(c), t1, t2);
            assert!(
                (ours - peer).abs() < 1e-7 * peer.max(1e-3),
                "bg {c:?} {t1}..{t2}: {ours} vs {peer}"
            );
            let ours = mbg_model.expected_purchases_between(c, t1, t2).unwrap();
            let peer = bg_window_by_integration(mbg, 1.0, c, mbg_model.p_alive(c), t1, t2);
            assert!(
                (ours - peer).abs() < 1e-7 * peer.max(1e-3),
                "mbg {c:?} {t1}..{t2}: {ours} vs {peer}"
            );
            let ours = pareto_model.expected_purchases_between(c, t1, t2).unwrap();
            let peer = pareto_window_by_integration(&pareto, c, pareto_model.p_alive(c), t1, t2);
            assert!(
                (ours - peer).abs() < 1e-7 * peer.max(1e-3),
                "pareto {c:?} {t1}..{t2}: {ours} vs {peer}"
            );
        }
    }
}

#[test]
fn windows_start_at_zero_and_add_up() {
    let model = TransactionModel::from(BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap());
    let c = Btyd::new(3, 20.0, 38.0).unwrap();
    assert_eq!(
        model.expected_purchases_between(c, 0.0, 39.0).unwrap(),
        model.expected_purchases(c, 39.0).unwrap()
    );
    let ab = model.expected_purchases_between(c, 0.0, 10.0).unwrap()
        + model.expected_purchases_between(c, 10.0, 52.0).unwrap();
    assert!((ab - model.expected_purchases(c, 52.0).unwrap()).abs() < 1e-12);
    assert_eq!(model.expected_purchases_between(c, 5.0, 5.0).unwrap(), 0.0);
    assert!(matches!(
        model.expected_purchases_between(c, 6.0, 5.0),
        Err(Error::OutOfRange {
            what: "horizon",
            ..
        })
    ));
    assert!(model.expected_purchases_between(c, f64::NAN, 5.0).is_err());

    // Predictions: start 0 is the plain prediction, and the CLV of months
    // 1-6 plus months 7-12 (discounted to the calibration end) is the
    // 12-month CLV, to the rounding of each to a cent.
    let data = spend_shop(500, 4);
    let fit = BgNbd::fit(&data).unwrap();
    let spend = GammaGamma::fit(&data).unwrap();
    let year = PredictConfig::builder()
        .months(12)
        .horizon_days(12.0 * MONTH_DAYS)
        .build()
        .unwrap();
    let zero = PredictConfig::builder()
        .months(12)
        .horizon_days(12.0 * MONTH_DAYS)
        .start_days(0.0)
        .build()
        .unwrap();
    assert_eq!(
        fit.predict(&data, Some(&spend), &year).unwrap().as_slice(),
        fit.predict(&data, Some(&spend), &zero).unwrap().as_slice()
    );
    let half = |start: f64| {
        PredictConfig::builder()
            .months(6)
            .horizon_days(6.0 * MONTH_DAYS)
            .start_days(start)
            .build()
            .unwrap()
    };
    let whole = fit.predict(&data, Some(&spend), &year).unwrap();
    let first = fit.predict(&data, Some(&spend), &half(0.0)).unwrap();
    let second = fit
        .predict(&data, Some(&spend), &half(6.0 * MONTH_DAYS))
        .unwrap();
    for ((w, f), s) in whole.iter().zip(first.iter()).zip(second.iter()) {
        let sum = f.clv.unwrap().minor_units() + s.clv.unwrap().minor_units();
        assert!((sum - w.clv.unwrap().minor_units()).abs() <= 1, "{w:?}");
        let e = f.expected_purchases + s.expected_purchases;
        assert!((e - w.expected_purchases).abs() < 1e-9);
        assert!(s.expected_purchases <= f.expected_purchases + 1e-12);
    }
}

#[test]
fn window_configs_are_validated_and_round_trip() {
    for start in [-1.0, f64::NAN, f64::INFINITY, 36_500.0] {
        let err = PredictConfig::builder()
            .start_days(start)
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidConfig { ref field, .. } if field == "start_days"),
            "{start}: {err}"
        );
    }
    let c = PredictConfig::builder().start_days(30.0).build().unwrap();
    let json = serde_json::to_string(&c).unwrap();
    assert!(json.ends_with(r#""start_days":30.0}"#), "{json}");
    assert_eq!(serde_json::from_str::<PredictConfig>(&json).unwrap(), c);
    // Without a start, the JSON is as before.
    let plain = serde_json::to_string(&PredictConfig::default()).unwrap();
    assert!(!plain.contains("start_days"));
}
