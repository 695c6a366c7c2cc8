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
use rfmkit::rfm::{RfmModel, ScoringConfig, Scores};
use rfmkit::segment::{SegmentTable, Segmentation};
use rfmkit::sim::SimConfig;
use rfmkit::summary::{Summaries, SummaryConfig};
use rfmkit::Order;

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
    assert_eq!(table.cells().filter(|(_, s)| s.as_str() == "recent").count(), 50);
}
