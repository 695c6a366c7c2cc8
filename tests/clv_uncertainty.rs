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

use chrono::NaiveDate;
use rfmkit::clv::{
    BtydConfig, BtydData, GammaGamma, ModelKind, ParameterUncertainty, TransactionFit,
};
use rfmkit::ltv::TimeUnit;
use rfmkit::{Money, Order};

fn date(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The CDNOW 1/10 sample as orders (as in `tests/clv.rs`).
fn cdnow_orders() -> Vec<Order> {
    let text = include_str!("data/ltv_cdnow_sample.txt");
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (f.len() == 5).then(|| {
                let day = NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap();
                Order::new(
                    format!("L{i}"),
                    f[1],
                    day,
                    Money::parse_decimal(f[4], 2).unwrap(),
                )
            })
        })
        .collect()
}

/// Calibration to 1997-09-30, holdout to 1998-06-30, weeks.
fn cdnow() -> BtydData {
    let config = BtydConfig::builder(date(1997, 9, 30))
        .observation_end(date(1998, 6, 30))
        .unit(TimeUnit::Week)
        .build()
        .unwrap();
    BtydData::from_orders(&cdnow_orders(), &config).unwrap()
}

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
