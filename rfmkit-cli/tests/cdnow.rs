//! `rfmkit score` and `rfmkit clv` on a real public data set: the CDNOW 1/10
//! sample (`tests/data/ltv_cdnow_sample.txt`, 2,357 customers, 6,919 rows).
//!
//! The order CSV is `tests/data/cdnow.csv` (the sample converted by the awk
//! command in `tests/data/cdnow_rfm.expected.md`; `.ci/examples.sh` checks
//! the conversion). The RFM scores are compared byte for byte with the output of an
//! independent plain-Python implementation of the documented rules
//! (`.ci/rfm_reference.py`), committed as `tests/data/cdnow_rfm_*.expected.csv`
//! with the commands that made them (`tests/data/cdnow_rfm.expected.md`);
//! `.ci/examples.sh` regenerates those files and diffs them. The CLV fits are
//! compared with the published figures (Fader, Hardie & Lee 2005 and the
//! Fader-Hardie notes) and one customer's predictions with the `lifetimes`
//! Python package. These checks come from `.ci/examples.sh` (`rfm_csv` and
//! `clv_csv` on CDNOW), with the same inputs and expected numbers.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

use common::{data, rfmkit, stdout_of};

/// The CDNOW sample as an order CSV (`tests/data/cdnow.csv`: order id
/// `L<line>`, the sample id as customer, the date, the dollars), with every
/// date rewritten by `date(day, line)` into a file in `dir`.
fn cdnow_csv(dir: &Path, date: impl Fn(NaiveDate, usize) -> String) -> PathBuf {
    let text = fs::read_to_string(data("cdnow.csv")).unwrap();
    let mut lines = text.lines();
    let mut csv = format!("{}\n", lines.next().unwrap());
    for (n, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let day = NaiveDate::parse_from_str(f[2], "%Y-%m-%d").unwrap();
        csv.push_str(&format!(
            "{},{},{},{}\n",
            f[0],
            f[1],
            date(day, n + 2),
            f[3]
        ));
    }
    let path = dir.join("cdnow.csv");
    fs::write(&path, csv).unwrap();
    path
}

/// `rfmkit score` output without its last (segment) column.
fn without_segment(scores: &str) -> String {
    scores
        .lines()
        .map(|l| format!("{}\n", &l[..l.rfind(',').unwrap()]))
        .collect()
}

fn score(input: &Path, method: &str, zone: Option<&str>) -> String {
    let mut cmd = rfmkit();
    cmd.args(["score", "--as-of", "1998-07-01", "--method", method, "-i"])
        .arg(input);
    if let Some(zone) = zone {
        cmd.args(["--timezone", zone]);
    }
    without_segment(&stdout_of(&mut cmd))
}

// --- rfmkit score against the independent reference --------------------

#[test]
fn score_on_cdnow_equals_the_independent_reference() {
    let input = data("cdnow.csv");
    for method in ["quantile", "rank"] {
        let expected =
            fs::read_to_string(data(&format!("cdnow_rfm_{method}.expected.csv"))).unwrap();
        assert_eq!(expected.lines().count(), 2358, "2,357 customers");
        let got = score(&input, method, None);
        // assert_eq! would print two 70 kB files: name the first difference.
        let first = got.lines().zip(expected.lines()).position(|(a, b)| a != b);
        assert!(
            got == expected,
            "--method {method}: first difference at line {:?}: {:?}",
            first.map(|i| i + 1),
            first.map(|i| (got.lines().nth(i), expected.lines().nth(i)))
        );
    }
}

#[test]
fn tokyo_timestamps_fall_on_the_tokyo_day() {
    // Every order as a timestamp on its day in Tokyo (UTC+9, no DST): odd
    // lines at 23:30+09:00, even lines at 00:30 Tokyo written in UTC, i.e.
    // 15:30Z on the day before. Read with --timezone Asia/Tokyo the scores
    // equal the reference's; read as UTC the even lines move a day earlier.
    let dir = tempfile::tempdir().unwrap();
    let input = cdnow_csv(dir.path(), |day, line| {
        if line % 2 == 1 {
            format!("{day}T23:30:00+09:00")
        } else {
            format!("{}T15:30:00Z", day.pred_opt().unwrap())
        }
    });
    let expected = fs::read_to_string(data("cdnow_rfm_quantile.expected.csv")).unwrap();
    assert!(score(&input, "quantile", Some("Asia/Tokyo")) == expected);
    assert!(score(&input, "quantile", Some("+09:00")) == expected);
    assert!(score(&input, "quantile", Some("UTC")) != expected);
}

// --- rfmkit clv against the published fits ------------------------------

const CDNOW_PERIODS: [&str; 4] = [
    "--calibration-end",
    "1997-09-30",
    "--observation-end",
    "1998-06-30",
];

/// Rounds to three significant digits.
fn sig3(v: f64) -> f64 {
    let scale = 10f64.powi(2 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

/// The JSON lines of `rfmkit clv` by model name, in order.
fn models(out: &str) -> Vec<(String, Value)> {
    out.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["model"].as_str().unwrap().to_owned(), v)
        })
        .collect()
}

fn model<'a>(models: &'a [(String, Value)], name: &str) -> &'a Value {
    &models.iter().find(|(n, _)| n == name).unwrap().1
}

fn params(v: &Value, keys: &[&str]) -> Vec<f64> {
    keys.iter().map(|k| sig3(v[k].as_f64().unwrap())).collect()
}

#[test]
fn clv_on_cdnow_matches_the_published_fits_and_lifetimes() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("cdnow.csv");
    let predictions = dir.path().join("pred.csv");
    let out = stdout_of(
        rfmkit()
            .arg("clv")
            .args(CDNOW_PERIODS)
            .arg("-i")
            .arg(&input)
            .arg("--output")
            .arg(&predictions),
    );
    let m = models(&out);
    let names: Vec<&str> = m.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["bg_nbd", "mbg_nbd", "pareto_nbd", "gamma_gamma"]);
    // The parameters come first, in the model's own order.
    let first = out.lines().next().unwrap();
    let order = r#"^\{"model":"bg_nbd","r":[^,]+,"alpha":[^,]+,"a":[^,]+,"b":"#;
    assert!(
        predicate::str::is_match(order).unwrap().eval(first),
        "{first}"
    );

    let bg = model(&m, "bg_nbd");
    assert_eq!(
        params(bg, &["r", "alpha", "a", "b"]),
        [0.243, 4.41, 0.793, 2.43]
    );
    assert!((bg["log_likelihood"].as_f64().unwrap() + 9582.4).abs() <= 0.1);
    assert_eq!(bg["converged"], true);
    let pareto = model(&m, "pareto_nbd");
    assert_eq!(
        params(pareto, &["r", "alpha", "s", "beta"]),
        [0.553, 10.6, 0.606, 11.7]
    );
    assert!((pareto["log_likelihood"].as_f64().unwrap() + 9595.0).abs() <= 0.1);
    assert_eq!(pareto["converged"], true);
    let gg = model(&m, "gamma_gamma");
    assert_eq!(params(gg, &["p", "q", "gamma"]), [6.25, 3.74, 15.4]);
    assert_eq!(gg["customers"], 946);
    assert_eq!(model(&m, "mbg_nbd")["converged"], true);
    for name in ["bg_nbd", "mbg_nbd", "pareto_nbd"] {
        assert_eq!(model(&m, name)["holdout_actual"], 1882, "{name}");
    }

    // One prediction row per customer, in id order. Customer 0001: x = 2,
    // t_x = 213/7, T = 272/7 weeks, one holdout purchase day; lifetimes'
    // BetaGeoFitter gives P(alive) 0.72662 and 1.22599 expected purchases
    // in 39 weeks.
    let text = fs::read_to_string(predictions).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "customer_id,x,t_x,T,p_alive,expected_purchases,expected_spend,clv,holdout_purchases"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2357);
    assert!(rows.windows(2).all(|w| w[0][0] < w[1][0]), "id order");
    let r = rows.iter().find(|r| r[0] == "0001").unwrap();
    let num = |i: usize| r[i].parse::<f64>().unwrap();
    assert_eq!((r[1], r[8]), ("2", "1"));
    assert!((num(2) - 213.0 / 7.0).abs() < 1e-12);
    assert!((num(3) - 272.0 / 7.0).abs() < 1e-12);
    assert!((num(4) - 0.72662).abs() < 1e-5);
    assert!((num(5) - 1.22599).abs() < 1e-5);
    assert!((num(6) - 24.6539).abs() < 1e-3);
    assert!(!r[7].is_empty());
}

#[test]
fn clv_in_days_scales_alpha_by_seven() {
    // Same r, a, b; the scale parameter alpha in days is 7 x alpha in weeks.
    let input = data("cdnow.csv");
    let out = stdout_of(
        rfmkit()
            .arg("clv")
            .args(CDNOW_PERIODS)
            .args(["--unit", "day", "-i"])
            .arg(&input),
    );
    let m = models(&out);
    let bg = model(&m, "bg_nbd");
    assert_eq!(sig3(bg["r"].as_f64().unwrap()), 0.243);
    assert_eq!(sig3(bg["alpha"].as_f64().unwrap()), sig3(7.0 * 4.4136));
}

#[test]
fn clv_without_repeat_purchases_fails_listing_each_model() {
    let assert = rfmkit()
        .args([
            "clv",
            "--calibration-end",
            "2025-06-30",
            "--horizon",
            "52",
            "-i",
        ])
        .arg(data("clv_no_repeat.csv"))
        .assert()
        .code(1)
        .stderr(contains("no customer made a repeat purchase"));
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let m = models(&out);
    assert!(model(&m, "bg_nbd").get("error").is_some(), "{out}");
    assert!(model(&m, "gamma_gamma").get("error").is_some(), "{out}");
}
