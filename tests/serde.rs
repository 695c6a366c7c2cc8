//! The JSON wire format, written out by hand, and round trips of hand-built
//! values (random round trips are in `props`).

use rfmkit::customer::{AttributeValue, Birthday, Customer, Customers};
use rfmkit::order::OrderStatus;
use rfmkit::rfm::{Method, RfmModel, Score, ScoringConfig, Thresholds};
use rfmkit::segment::{ScoreRange, SegmentRule, SegmentTable};
use rfmkit::summary::{FutureOrders, Summaries, SummaryConfig, Validation};
use rfmkit::{Money, Order};
use serde_json::json;

use crate::common::{buy, cell, d, refund};

fn to_value<T: ::serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap()
}

fn round_trip<T>(v: &T) -> T
where
    T: ::serde::Serialize + ::serde::de::DeserializeOwned,
{
    serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap()
}

#[test]
fn order_wire_format() {
    let order = buy("A-1", "alice", d(1, 5), 1200)
        .with_cost(Money::new(700))
        .with_channel("web")
        .with_store("tokyo");
    assert_eq!(
        serde_json::to_string(&order).unwrap(),
        r#"{"id":"A-1","customer":"alice","date":"2025-01-05","amount":1200,"status":"completed","cost":700,"channel":"web","store":"tokyo"}"#
    );
    let back: Order = serde_json::from_str(
        r#"{"id":"R","customer":"bob","date":"2025-02-01","amount":-30,"status":"returned"}"#,
    )
    .unwrap();
    assert_eq!(back, refund("R", "bob", d(2, 1), -30));
    assert_eq!(round_trip(&order), order);
}

#[test]
fn small_types_wire_format() {
    assert_eq!(to_value(&Money::new(-42)), json!(-42));
    assert_eq!(to_value(&OrderStatus::Cancelled), json!("cancelled"));
    assert_eq!(to_value(&Score::new(4).unwrap()), json!(4));
    assert_eq!(to_value(&cell(5, 4, 3)), json!({"r": 5, "f": 4, "m": 3}));
    assert_eq!(to_value(&ScoreRange::from(4..=5)), json!([4, 5]));
    assert_eq!(
        to_value(&Birthday::new(2, 29).unwrap()),
        json!({"month": 2, "day": 29})
    );
    assert_eq!(to_value(&FutureOrders::Ignore), json!("ignore"));
    assert_eq!(to_value(&Validation::Lenient), json!("lenient"));
    assert_eq!(
        to_value(&SummaryConfig::new(d(1, 31))),
        json!({"as_of": "2025-01-31", "future_orders": "reject", "validation": "strict", "id_order": "text"})
    );
    assert_eq!(
        to_value(&SegmentRule::new("at_risk").unwrap().r(1..=2).f(3..=5)),
        json!({"name": "at_risk", "r": [1, 2], "f": [3, 5]})
    );
}

#[test]
fn customer_wire_format() {
    let c = Customer::new("alice")
        .with_signup_date(d(3, 1))
        .with_birthday(Birthday::new(7, 14).unwrap())
        .with_acquisition_channel("instagram_ads")
        .with_tag("vip")
        .with_email_opt_in(true)
        .with_attribute("shoe_size", 24.5)
        .with_attribute("tier", "gold");
    assert_eq!(
        to_value(&c),
        json!({
            "id": "alice",
            "signup_date": "2025-03-01",
            "birthday": {"month": 7, "day": 14},
            "acquisition_channel": "instagram_ads",
            "tags": ["vip"],
            "email_opt_in": true,
            "sms_opt_in": false,
            "attributes": {"shoe_size": {"number": 24.5}, "tier": {"string": "gold"}}
        })
    );
    assert_eq!(round_trip(&c), c);
    assert_eq!(
        c.attribute("tier"),
        Some(AttributeValue::String("gold".into()))
    );
    // A bare id is a whole customer; the list comes out sorted by id.
    let list: Customers = serde_json::from_str(r#"[{"id":"b"},{"id":"a"}]"#).unwrap();
    assert_eq!(
        to_value(&list),
        json!([
            {"id": "a", "email_opt_in": false, "sms_opt_in": false},
            {"id": "b", "email_opt_in": false, "sms_opt_in": false}
        ])
    );
}

#[test]
fn scoring_config_wire_format_and_defaults() {
    assert_eq!(
        to_value(&ScoringConfig::default()),
        json!({"bins": 5, "method": "quantile", "frequency": "orders"})
    );
    // Missing keys take the defaults.
    let c: ScoringConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(c, ScoringConfig::default());
    let t = Thresholds::new(
        vec![30, 90],
        vec![2, 5],
        vec![Money::new(100), Money::new(1000)],
    )
    .unwrap();
    let c = ScoringConfig::builder()
        .bins(3)
        .method(Method::Thresholds(t))
        .build()
        .unwrap();
    assert_eq!(
        to_value(&c),
        json!({
            "bins": 3,
            "method": {"thresholds": {"recency_days": [30, 90], "frequency": [2, 5], "monetary": [100, 1000]}},
            "frequency": "orders"
        })
    );
    assert_eq!(round_trip(&c), c);
}

/// Three customers c1..c3 bought on 1..3 Jan for 100, 200, 300; as of
/// 31 Jan. Quantile, 3 bins: b_k = v(k), and the cuts are b_k itself
/// (passed strictly): recency days 30, 29, 28 -> oriented -30, -29 -> cuts
/// "< 30" and "< 29" days; frequency all 1 -> 1, 1; monetary 100, 200.
#[test]
fn model_wire_format() {
    let orders: Vec<Order> = (1..=3)
        .map(|i| {
            buy(
                &format!("o{i}"),
                &format!("c{i}"),
                d(1, i),
                100 * i64::from(i),
            )
        })
        .collect();
    let s = Summaries::from_orders(&orders, d(1, 31)).unwrap();
    let config = ScoringConfig::builder().bins(3).build().unwrap();
    let model = RfmModel::fit(&config, &s);
    assert_eq!(
        to_value(&model),
        json!({
            "config": {"bins": 3, "method": "quantile", "frequency": "orders"},
            "as_of": "2025-01-31",
            "population": 3,
            "recency": [{"score": 2, "value": 30}, {"score": 3, "value": 29}],
            "frequency": [{"score": 2, "value": 1}, {"score": 3, "value": 1}],
            "monetary": [{"score": 2, "value": 100}, {"score": 3, "value": 200}]
        })
    );
    // Rank cuts carry the tie-break id: positions ⌊k·3/3⌋ + 1 = 2, 3.
    let rank = ScoringConfig::builder()
        .bins(3)
        .method(Method::Rank)
        .build()
        .unwrap();
    let model = RfmModel::fit(&rank, &s);
    assert_eq!(
        to_value(&model)["monetary"],
        json!([{"score": 2, "value": 200, "customer": "c2"}, {"score": 3, "value": 300, "customer": "c3"}])
    );
    let loaded: RfmModel = round_trip(&model);
    assert_eq!(loaded, model);
    assert_eq!(loaded.score_all(&s), model.score_all(&s));
}

#[test]
fn segmentation_wire_format() {
    let orders = [buy("1", "ann", d(1, 30), 500)];
    let s = Summaries::from_orders(&orders, d(1, 31)).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &s).score_all(&s);
    // One customer under quantile: 1-1-1, which the standard table calls lost.
    let seg = SegmentTable::standard().segment_all(&scores).unwrap();
    let v = to_value(&seg);
    assert_eq!(
        v["customers"],
        json!([{
            "customer": "ann",
            "recency_days": 1,
            "frequency": 1,
            "monetary": 500,
            "score": {"r": 1, "f": 1, "m": 1},
            "segment": "lost"
        }])
    );
    assert_eq!(v["table"]["fallback"], json!("other"));
    assert_eq!(v["table"]["rules"][0]["name"], json!("champions"));
    assert_eq!(round_trip(&seg), seg);
    assert_eq!(round_trip(&scores), scores);
    assert_eq!(
        to_value(&scores),
        json!({
            "as_of": "2025-01-31",
            "bins": 5,
            "scored": [{"customer": "ann", "recency_days": 1, "frequency": 1, "monetary": 500, "score": {"r": 1, "f": 1, "m": 1}}],
            "unscored": []
        })
    );
}

#[test]
fn presets_and_summaries_round_trip() {
    for t in [SegmentTable::standard(), SegmentTable::compact()] {
        assert_eq!(round_trip(&t), t);
    }
    let orders = [
        buy("1", "a", d(1, 1), 100)
            .with_cost(Money::new(40))
            .with_channel("web"),
        refund("2", "a", d(1, 3), -20).with_cost(Money::new(-8)),
        refund("3", "b", d(1, 3), -20),
    ];
    let s = Summaries::from_orders(&orders, d(1, 31)).unwrap();
    assert_eq!(round_trip(&s), s);
    let v = to_value(&s);
    assert_eq!(v["as_of"], json!("2025-01-31"));
    assert_eq!(v["customers"][0]["purchase_dates"], json!(["2025-01-01"]));
    assert_eq!(v["customers"][0]["margin"], json!(48)); // (100-40) + (-20+8)
}

/// JSON as written before records were packed (`tags` a `BTreeSet`,
/// `attributes` a `BTreeMap`): it loads, and prints back byte for byte
/// (fields in declaration order, tags and keys sorted).
#[test]
fn customer_json_from_before_packing_loads_and_prints_identically() {
    let old = r#"{"id":"C00000042","signup_date":"2024-03-01","birthday":{"month":2,"day":29},"acquisition_channel":"instagram_ads","tags":["newsletter","vip"],"email_opt_in":true,"sms_opt_in":false,"attributes":{"first_seen":{"date":"2023-12-24"},"member":{"bool":true},"points":{"number":1234.5},"prefecture":{"string":"tokyo"}}}"#;
    let c: Customer = serde_json::from_str(old).unwrap();
    assert_eq!(c.id().as_str(), "C00000042");
    assert_eq!(c.signup_date(), chrono::NaiveDate::from_ymd_opt(2024, 3, 1));
    assert_eq!(c.birthday(), Some(Birthday::new(2, 29).unwrap()));
    assert_eq!(
        c.acquisition_channel().map(|ch| ch.as_str()),
        Some("instagram_ads")
    );
    assert_eq!(c.tags().iter().collect::<Vec<_>>(), ["newsletter", "vip"]);
    assert!(c.email_opt_in() && !c.sms_opt_in());
    assert_eq!(
        c.attribute("first_seen"),
        Some(AttributeValue::Date(
            chrono::NaiveDate::from_ymd_opt(2023, 12, 24).unwrap()
        ))
    );
    assert_eq!(c.attribute("member"), Some(AttributeValue::Bool(true)));
    assert_eq!(c.attribute("points"), Some(AttributeValue::Number(1234.5)));
    assert_eq!(
        c.attribute("prefecture"),
        Some(AttributeValue::from("tokyo"))
    );
    assert_eq!(c.attribute("missing"), None);
    assert_eq!(serde_json::to_string(&c).unwrap(), old);

    // Unsorted and repeated tags, and a repeated key (the last wins), load
    // as the old sets and maps did.
    let messy = r#"{"id":"b","tags":["vip","app","vip"],"attributes":{"z":{"bool":false},"a":{"number":1.0},"z":{"string":"x"}}}"#;
    let c: Customer = serde_json::from_str(messy).unwrap();
    assert_eq!(
        serde_json::to_string(&c).unwrap(),
        r#"{"id":"b","tags":["app","vip"],"email_opt_in":false,"sms_opt_in":false,"attributes":{"a":{"number":1.0},"z":{"string":"x"}}}"#
    );
}

/// Tags with non-ASCII text and long strings (multi-byte length prefixes)
/// survive packing.
#[test]
fn customer_long_and_unicode_values() {
    let long = "x".repeat(300);
    let c = Customer::new("u")
        .with_tag("東京")
        .with_tag(long.as_str())
        .with_attribute(long.as_str(), long.as_str())
        .with_attribute("名前", "さくら");
    // Byte order: "x" is 0x78, "東" starts 0xE6 and "名" 0xE5.
    assert_eq!(c.tags().iter().collect::<Vec<_>>(), [long.as_str(), "東京"]);
    assert_eq!(
        c.attribute(&long),
        Some(AttributeValue::from(long.as_str()))
    );
    assert_eq!(c.attribute("名前"), Some(AttributeValue::from("さくら")));
    let keys: Vec<&str> = c.attributes().map(|(k, _)| k).collect();
    assert_eq!(keys, [long.as_str(), "名前"]);
    assert_eq!(round_trip(&c), c);
}

mod customer_model {
    //! The packed record against a model built from `BTreeSet` and
    //! `BTreeMap` (the old representation).
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;
    use rfmkit::customer::{AttributeValue, Customer};

    fn value() -> impl Strategy<Value = AttributeValue> {
        prop_oneof![
            "[a-z]{0,30}".prop_map(AttributeValue::from),
            (-1e12f64..1e12).prop_map(AttributeValue::Number),
            any::<bool>().prop_map(AttributeValue::Bool),
            (1i32..1_000_000).prop_map(|n| AttributeValue::Date(
                chrono::NaiveDate::from_num_days_from_ce_opt(n).unwrap()
            )),
        ]
    }

    proptest! {
        #[test]
        fn packed_matches_sets_and_maps(
            tags in proptest::collection::vec("[a-e]{0,3}", 0..8),
            attrs in proptest::collection::vec(("[a-e]{1,3}", value()), 0..8),
        ) {
            let mut c = Customer::new("x");
            let mut want_tags = BTreeSet::new();
            let mut want_attrs = BTreeMap::new();
            for t in &tags {
                c = c.with_tag(t.as_str());
                want_tags.insert(t.clone());
            }
            for (k, v) in &attrs {
                c = c.with_attribute(k.as_str(), v.clone());
                want_attrs.insert(k.clone(), v.clone());
            }
            let got_tags: Vec<&str> = c.tags().iter().collect();
            let want: Vec<&str> = want_tags.iter().map(String::as_str).collect();
            prop_assert_eq!(got_tags, want);
            prop_assert_eq!(c.tags().len(), want_tags.len());
            prop_assert_eq!(c.tags().is_empty(), want_tags.is_empty());
            for t in ["", "a", "ab", "zz"] {
                prop_assert_eq!(c.tags().contains(t), want_tags.contains(t));
            }
            let got_attrs: Vec<(String, AttributeValue)> =
                c.attributes().map(|(k, v)| (k.to_owned(), v)).collect();
            let want_list: Vec<(String, AttributeValue)> = want_attrs.clone().into_iter().collect();
            prop_assert_eq!(got_attrs, want_list);
            for (k, v) in &want_attrs {
                prop_assert_eq!(c.attribute(k), Some(v.clone()));
            }
            prop_assert_eq!(c.attribute("q"), None);
            // The JSON is what the old representation printed.
            let json = serde_json::to_value(&c).unwrap();
            let empty = serde_json::Value::Null;
            let tags_json = json.get("tags").unwrap_or(&empty);
            if want_tags.is_empty() {
                prop_assert!(tags_json.is_null());
            } else {
                prop_assert_eq!(tags_json, &serde_json::to_value(&want_tags).unwrap());
            }
            let attrs_json = json.get("attributes").unwrap_or(&empty);
            if want_attrs.is_empty() {
                prop_assert!(attrs_json.is_null());
            } else {
                prop_assert_eq!(attrs_json, &serde_json::to_value(&want_attrs).unwrap());
            }
        }
    }
}
