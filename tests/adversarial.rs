//! The standing adversarial suite (issues 16 and 17): tampered JSON for each
//! stored type, extreme dates and amounts, and untrusted configs that must
//! load fast. Every document here is either rejected with an error naming
//! the field (and the customer, where there is one) or loads to a value the
//! crate itself could have produced; none panics.

use ::serde::Serialize;
use ::serde::de::DeserializeOwned;
use serde_json::{Value, json};

use rfmkit::audience::{Rule, StoredRule};
use rfmkit::campaign::Campaign;
use rfmkit::clv::{
    BgNbd, BtydConfig, BtydData, GammaGamma, PredictConfig, SimulationConfig, TransactionModel,
    simulate,
};
use rfmkit::ltv::{KpiConfig, LtvReport};
use rfmkit::rfm::{RfmModel, Scores, ScoringConfig};
use rfmkit::segment::{SegmentTable, Segmentation};
use rfmkit::sim::SimConfig;
use rfmkit::summary::{Summaries, SummaryConfig};
use rfmkit::{Money, Order};

use crate::common::{buy, d, refund};

/// Six orders of three customers, as of 2025-03-31.
fn orders() -> Vec<Order> {
    vec![
        buy("A-1", "alice", d(1, 5), 4500),
        buy("A-2", "alice", d(3, 20), 3000),
        buy("A-3", "bob", d(1, 10), 1200),
        refund("A-4", "bob", d(1, 12), -200),
        buy("A-5", "carol", d(3, 28), 900),
        buy("A-6", "carol", d(3, 29), 100),
    ]
}

fn summaries() -> Summaries {
    Summaries::from_orders(&orders(), d(3, 31)).unwrap()
}

fn model() -> RfmModel {
    RfmModel::fit(&ScoringConfig::default(), &summaries())
}

fn scores() -> Scores {
    model().score_all(&summaries())
}

fn segmentation() -> Segmentation {
    SegmentTable::standard().segment_all(&scores()).unwrap()
}

fn value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

/// `Err(message)` when `doc` does not load as a `T`.
fn load<T: DeserializeOwned>(doc: &Value) -> Result<T, String> {
    serde_json::from_value::<T>(doc.clone()).map_err(|e| e.to_string())
}

/// Every JSON object inside `doc`, as paths of keys and indices.
fn object_paths(doc: &Value, at: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match doc {
        Value::Object(map) => {
            out.push(at.clone());
            for (k, v) in map {
                at.push(json!(k));
                object_paths(v, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(json!(i));
                object_paths(v, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn object_at<'a>(doc: &'a mut Value, path: &[Value]) -> &'a mut serde_json::Map<String, Value> {
    let mut cur = doc;
    for step in path {
        cur = match step {
            Value::String(k) => cur.get_mut(k.as_str()).unwrap(),
            Value::Number(i) => cur.get_mut(i.as_u64().unwrap() as usize).unwrap(),
            _ => unreachable!(),
        };
    }
    cur.as_object_mut().unwrap()
}

/// Issue 17 point 5: a key the type does not know, added to any object of a
/// stored document (top level or nested), is an error that names the key.
/// Objects that are maps keyed by user data (`skip` lists their paths'
/// last key) are left out: a new entry there is data, not a typo.
#[track_caller]
fn unknown_keys_are_rejected<T: Serialize + DeserializeOwned>(v: &T, skip: &[&str]) {
    let doc = value(v);
    assert!(load::<T>(&doc).is_ok(), "the untampered document loads");
    let mut paths = Vec::new();
    object_paths(&doc, &mut Vec::new(), &mut paths);
    assert!(!paths.is_empty());
    for path in paths {
        if path
            .last()
            .and_then(Value::as_str)
            .is_some_and(|k| skip.contains(&k))
        {
            continue;
        }
        let mut tampered = doc.clone();
        object_at(&mut tampered, &path).insert("typo_key".to_owned(), json!(1));
        let err = load::<T>(&tampered).err();
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("unknown field `typo_key`")),
            "{} at {path:?}: {err:?}",
            std::any::type_name::<T>()
        );
    }
}

#[test]
fn every_stored_type_denies_unknown_keys() {
    unknown_keys_are_rejected(&orders()[0], &[]);
    unknown_keys_are_rejected(&SummaryConfig::new(d(3, 31)), &[]);
    unknown_keys_are_rejected(&summaries(), &[]);
    unknown_keys_are_rejected(&ScoringConfig::default(), &[]);
    unknown_keys_are_rejected(&model(), &[]);
    unknown_keys_are_rejected(&scores(), &[]);
    unknown_keys_are_rejected(&SegmentTable::standard(), &[]);
    unknown_keys_are_rejected(&segmentation(), &[]);
    unknown_keys_are_rejected(&segmentation().report().unwrap(), &[]);
    unknown_keys_are_rejected(&KpiConfig::default(), &[]);
    let report = LtvReport::from_orders(&orders(), d(3, 31), &KpiConfig::default()).unwrap();
    unknown_keys_are_rejected(&report, &[]);
    let rule = Rule::parse(
        "segment in (champions, loyal) and monetary >= 1000",
        &rfmkit::audience::Schema::default(),
    )
    .unwrap();
    unknown_keys_are_rejected(&StoredRule::new(rule.clone()), &[]);
    unknown_keys_are_rejected(&rule, &[]);
    let campaign = Campaign::builder("spring", rule).build().unwrap();
    unknown_keys_are_rejected(&campaign, &[]);
    let config = BtydConfig::builder(d(3, 31)).build().unwrap();
    let data = BtydData::from_orders(&orders(), &config).unwrap();
    unknown_keys_are_rejected(&data, &[]);
    unknown_keys_are_rejected(&config, &[]);
    let bg = TransactionModel::from(BgNbd::new(0.25, 4.4, 0.8, 2.4).unwrap());
    unknown_keys_are_rejected(&bg, &[]);
    unknown_keys_are_rejected(&GammaGamma::new(6.25, 3.74, 15.44).unwrap(), &[]);
    unknown_keys_are_rejected(&PredictConfig::default(), &[]);
    let sim = SimulationConfig::builder()
        .customers(300)
        .seed(7)
        .build()
        .unwrap();
    unknown_keys_are_rejected(&sim, &[]);
    let fit = BgNbd::fit(&simulate(&bg, &sim).unwrap()).unwrap();
    unknown_keys_are_rejected(&fit, &[]);
    unknown_keys_are_rejected(&SimConfig::default(), &[]);
}

/// A segment-table rule written with `"R"` for `"r"` used to drop the
/// range and match every cell; it is an error naming the key.
#[test]
fn a_segment_rule_with_a_capital_r_is_an_error() {
    let doc = json!({
        "bins": 5,
        "rules": [{"name": "recent", "R": [4, 5]}],
        "fallback": "other"
    });
    let err = load::<SegmentTable>(&doc).unwrap_err();
    assert!(err.contains("unknown field `R`"), "{err}");
    let ok = json!({
        "bins": 5,
        "rules": [{"name": "recent", "r": [4, 5]}],
        "fallback": "other"
    });
    let table = load::<SegmentTable>(&ok).unwrap();
    // 2 recency scores of 5, times 5 × 5 F and M cells: 50 cells.
    assert_eq!(
        table
            .cells()
            .filter(|(_, s)| s.as_str() == "recent")
            .count(),
        50
    );
}

/// A 100-bin table of 20,000 one-cell rules: rule `k` takes the cell
/// r = k / 10000 + 1, f = (k / 100) % 100 + 1, m = k % 100 + 1.
fn big_table_json(extra: Option<Value>) -> String {
    let mut rules: Vec<Value> = (0..20_000_u32)
        .map(|k| {
            let (r, f, m) = (k / 10_000 + 1, (k / 100) % 100 + 1, k % 100 + 1);
            json!({"name": format!("s{k}"), "r": [r, r], "f": [f, f], "m": [m, m]})
        })
        .collect();
    rules.extend(extra);
    serde_json::to_string(&json!({"bins": 100, "rules": rules, "fallback": "other"})).unwrap()
}

/// Issue 17 point 6: a ~1 MB table loads with validation linear in its
/// size. Checking shadowed rules cell by cell (10^6 cells × up to 20,000
/// rules) or duplicate names pairwise (2·10^8 comparisons) would not
/// finish in a test run.
#[test]
fn a_one_megabyte_segment_table_loads_and_validates() {
    let text = big_table_json(None);
    assert!(text.len() > 1_000_000, "{} bytes", text.len());
    let table: SegmentTable = serde_json::from_str(&text).unwrap();
    assert_eq!(table.len(), 20_001); // 20,000 rules + the fallback
    let name = |r, f, m| {
        table
            .assign(crate::common::cell(r, f, m))
            .unwrap()
            .to_string()
    };
    assert_eq!(name(1, 1, 1), "s0");
    assert_eq!(name(2, 1, 1), "s10000"); // k = 10000
    assert_eq!(name(2, 100, 100), "s19999");
    assert_eq!(name(1, 3, 7), "s206"); // (3 − 1)·100 + (7 − 1)
    assert_eq!(name(3, 1, 1), "other");
    // 10^6 cells, 20,000 taken by rules.
    assert_eq!(table.fallback_cells().count(), 1_000_000 - 20_000);

    // The same table plus a rule for cell 2-100-100, already taken by s19999.
    let shadowed = big_table_json(Some(
        json!({"name": "late", "r": [2, 2], "f": [100, 100], "m": [100, 100]}),
    ));
    let err = serde_json::from_str::<SegmentTable>(&shadowed)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("config rules[20000]: segment late is never assigned"),
        "{err}"
    );

    // The same table plus a second rule named s5 (on a free cell).
    let repeated = big_table_json(Some(
        json!({"name": "s5", "r": [9, 9], "f": [9, 9], "m": [9, 9]}),
    ));
    let err = serde_json::from_str::<SegmentTable>(&repeated)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("config rules[20000].name: segment s5 appears twice"),
        "{err}"
    );
}

/// `doc` with `edit` applied does not load as a `T`; the message has every
/// needle (the field path, the customer, the constraint).
#[track_caller]
fn tampered<T: DeserializeOwned + std::fmt::Debug>(
    doc: &Value,
    edit: impl FnOnce(&mut Value),
    needles: &[&str],
) {
    let mut t = doc.clone();
    edit(&mut t);
    let err = load::<T>(&t).unwrap_err();
    for n in needles {
        assert!(err.contains(n), "{err:?} lacks {n:?}");
    }
}

/// Issue 16: each tampered summaries document of the issue is an error
/// naming the row's field and the customer. Rows: alice [0] (2 orders,
/// revenue 7500), bob [1] (1 order 1200, 1 return -200), carol [2].
#[test]
fn tampered_summaries_name_the_field_and_customer() {
    let doc = value(&summaries());
    assert_eq!(doc["customers"][1]["customer"], json!("bob"));
    tampered::<Summaries>(
        &doc,
        |t| t["customers"][0]["purchase_dates"][1] = json!("2029-03-31"),
        &[
            "customers[0].purchase_dates",
            "alice",
            "after the as-of date",
        ],
    );
    tampered::<Summaries>(
        &doc,
        |t| t["customers"][0]["purchase_dates"] = json!(["2025-03-20", "2025-01-05"]),
        &["customers[0].purchase_dates", "alice", "ascending"],
    );
    tampered::<Summaries>(
        &doc,
        |t| t["customers"][0]["orders"] = json!(0),
        &["customers[0].orders", "alice"],
    );
    tampered::<Summaries>(
        &doc,
        |t| t["customers"][0]["orders"] = json!(u64::MAX),
        &["customers[0].orders", "alice", "at most 4294967295"],
    );
    tampered::<Summaries>(
        &doc,
        |t| t["customers"][1]["returns"] = json!(u64::MAX),
        &["customers[1].returns", "bob"],
    );
    tampered::<Summaries>(
        &doc,
        |t| t["customers"][0]["revenue"] = json!(i64::MIN),
        &["customers[0].revenue", "alice", "negative"],
    );
    tampered::<Summaries>(
        &doc,
        |t| t["customers"][1]["refunds"] = json!(i64::MAX),
        &["customers[1].refunds", "bob", "positive"],
    );
    // Refunds on alice, who returned nothing.
    tampered::<Summaries>(
        &doc,
        |t| t["customers"][0]["refunds"] = json!(-5),
        &["customers[0].refunds", "alice", "without a returned order"],
    );
    // A returns-only customer with revenue.
    tampered::<Summaries>(
        &doc,
        |t| {
            t["customers"][1]["orders"] = json!(0);
            t["customers"][1]["purchase_dates"] = json!([]);
            t["customers"][1]["first_order"] = Value::Null;
        },
        &["customers[1].revenue", "bob", "without a completed order"],
    );
    // A year past chrono's range is refused by the date parser itself.
    tampered::<Summaries>(
        &doc,
        |t| t["customers"][2]["purchase_dates"][0] = json!("+262143-01-01"),
        &["out of range"],
    );
}

/// The earliest date chrono represents is a date an order may carry, so a
/// purchase then loads (the crate could have produced it) and its recency
/// is exact.
#[test]
fn the_earliest_representable_date_loads_with_an_exact_recency() {
    let mut doc = value(&summaries());
    doc["customers"][1]["purchase_dates"] = json!(["-262143-01-01"]);
    doc["customers"][1]["first_order"] = Value::Null;
    let s: Summaries = serde_json::from_value(doc).unwrap();
    let bob = s.get("bob").unwrap();
    // Days from -262143-01-01 to 2025-03-31 in the proleptic Gregorian
    // calendar, by Hinnant's days-from-civil (146097 days per 400 years),
    // worked out separately: 96,485,470.
    let expected = 96_485_470;
    assert_eq!(bob.recency_days(), Some(expected));
    // Scoring and segmenting it works and puts bob lowest on recency.
    let scores = RfmModel::fit(&ScoringConfig::default(), &s).score_all(&s);
    assert_eq!(scores.get("bob").unwrap().score.r.get(), 1);
}

/// Issue 16: a score of 99 in a 5-bin document and a segment that is not
/// the table's are errors naming the row and the customer.
#[test]
fn tampered_scores_and_segmentations_are_rejected() {
    let doc = value(&scores());
    tampered::<Scores>(
        &doc,
        |t| t["scored"][0]["score"]["m"] = json!(99),
        &["scored[0].score.m", "alice", "above the 5 bins"],
    );
    let doc = value(&segmentation());
    tampered::<Segmentation>(
        &doc,
        |t| t["customers"][2]["segment"] = json!("martians"),
        &["customers[2].segment", "carol", "the table assigns"],
    );
    tampered::<Segmentation>(
        &doc,
        |t| t["customers"][2]["score"]["r"] = json!(99),
        &["customers[2].score", "carol"],
    );
    // A table whose rule range leaves the bins.
    tampered::<SegmentTable>(
        &value(&SegmentTable::standard()),
        |t| t["rules"][0]["r"] = json!([4, 6]),
        &["rules[0].r", "leaves the scores 1..=5"],
    );
}

/// Tampered CLV fits and campaigns: a fit claiming convergence with a
/// large gradient, more groups than customers, negative parameters, a
/// control share above 1 and an unknown format version.
#[test]
fn tampered_fits_and_campaigns_are_rejected() {
    let bg = TransactionModel::from(BgNbd::new(0.25, 4.4, 0.8, 2.4).unwrap());
    let sim = SimulationConfig::builder()
        .customers(300)
        .seed(7)
        .build()
        .unwrap();
    let fit = BgNbd::fit(&simulate(&bg, &sim).unwrap()).unwrap();
    let doc = value(&fit);
    tampered::<rfmkit::clv::TransactionFit>(
        &doc,
        |t| {
            t["diagnostics"]["converged"] = json!(true);
            t["diagnostics"]["gradient_norm"] = json!(0.5);
        },
        &["diagnostics.converged", "0.5"],
    );
    tampered::<rfmkit::clv::TransactionFit>(
        &doc,
        |t| t["diagnostics"]["groups"] = json!(301),
        &["diagnostics.groups", "301 distinct histories among 300"],
    );
    tampered::<rfmkit::clv::TransactionFit>(&doc, |t| t["model"]["alpha"] = json!(-1.0), &[]);
    let campaign = Campaign::builder("spring", Rule::everyone())
        .control(0.1)
        .build()
        .unwrap();
    let doc = value(&campaign);
    tampered::<Campaign>(&doc, |t| t["control"] = json!(1.5), &["control"]);
    tampered::<Campaign>(
        &doc,
        |t| t["version"] = json!(2),
        &["version 2 is not supported"],
    );
}

/// Extreme amounts: the largest and smallest `i64` amounts print and parse
/// back exactly at every scale, and a sum past `i64` is an error naming the
/// customer.
#[test]
fn extreme_amounts() {
    for x in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX] {
        for scale in [0, 2, 3, 18] {
            let text = Money::new(x).display_decimal(scale).to_string();
            assert_eq!(
                Money::parse_decimal(&text, scale),
                Ok(Money::new(x)),
                "{text}"
            );
        }
    }
    // i64::MIN at scale 2 is -92233720368547758.08.
    assert_eq!(
        Money::new(i64::MIN).display_decimal(2).to_string(),
        "-92233720368547758.08"
    );
    let orders = [
        buy("1", "zed", d(1, 1), i64::MAX),
        buy("2", "zed", d(1, 2), 1),
    ];
    assert_eq!(
        Summaries::from_orders(&orders, d(1, 31)).unwrap_err(),
        rfmkit::Error::Overflow {
            customer: "zed".into()
        }
    );
}

#[path = "../fuzz/checks.rs"]
mod fuzz_checks;

/// `seed` and its mutations: every truncation at a stride, and bytes
/// replaced by JSON-significant ones.
fn mutations(seed: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![seed.to_vec()];
    for i in (0..seed.len()).step_by(3) {
        out.push(seed[..i].to_vec());
        for b in [b'0', b'9', b'-', b'"', b'}', b']', b'e', b' '] {
            let mut m = seed.to_vec();
            m[i] = b;
            out.push(m);
        }
    }
    out
}

/// Issue 16 item 3: the fuzz targets' checks (never panic; whatever loads
/// prints, saves and loads back) over a fixed corpus of mutated documents,
/// so every CI run exercises them even without a nightly toolchain.
#[test]
fn fuzz_checks_hold_on_a_mutated_corpus() {
    let schema = rfmkit::audience::Schema::default();
    let queries = [
        r#"segment in (champions, loyal) and monetary >= 1000.00"#,
        r#"attr."and" = 1 or not (attr."" in ()) and birthday within 7d"#,
        r#"last_order between -90d and 2025-12-31 and tags contains vip"#,
    ];
    let mut rules = 0;
    for q in queries {
        let rule = Rule::parse(q, &schema).unwrap();
        for m in mutations(q.as_bytes()) {
            fuzz_checks::query_text(&m);
        }
        let json = serde_json::to_vec(&StoredRule::new(rule)).unwrap();
        for m in mutations(&json) {
            fuzz_checks::rule_json(&m);
            rules += usize::from(serde_json::from_slice::<StoredRule>(&m).is_ok());
        }
    }
    // At least the three unmutated documents load.
    assert!(rules >= 3, "{rules}");

    let bg = TransactionModel::from(BgNbd::new(0.25, 4.4, 0.8, 2.4).unwrap());
    let sim = SimulationConfig::builder()
        .customers(300)
        .seed(7)
        .build()
        .unwrap();
    let fit = BgNbd::fit(&simulate(&bg, &sim).unwrap()).unwrap();
    let seeds: [(u8, Vec<u8>); 3] = [
        (0, serde_json::to_vec(&model()).unwrap()),
        (1, serde_json::to_vec(&SegmentTable::compact()).unwrap()),
        (2, serde_json::to_vec(&fit).unwrap()),
    ];
    // The unmutated seeds load (so the checks run on real values too).
    assert!(serde_json::from_slice::<RfmModel>(&seeds[0].1).is_ok());
    assert!(serde_json::from_slice::<SegmentTable>(&seeds[1].1).is_ok());
    assert!(serde_json::from_slice::<rfmkit::clv::TransactionFit>(&seeds[2].1).is_ok());
    for (which, seed) in seeds {
        for m in mutations(&seed) {
            let mut data = vec![which];
            data.extend_from_slice(&m);
            fuzz_checks::model_json(&data);
        }
    }
}
