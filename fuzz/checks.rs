//! The checks of the fuzz targets, one function per parser. Shared by the
//! cargo-fuzz targets in `fuzz_targets/` (run on nightly) and by the
//! integration tests (`tests/adversarial.rs`, on stable, over a fixed
//! corpus), so the property each target fuzzes is also checked in every CI
//! run.
//!
//! Each function must never panic for input the crate rejects; it panics
//! (an assertion) only when the crate accepts something it cannot print,
//! save or load back.
#![allow(dead_code, clippy::expect_used, clippy::panic)]

use rfmkit::audience::{Rule, Schema, StoredRule};
use rfmkit::clv::{SpendFit, TransactionFit};
use rfmkit::rfm::RfmModel;
use rfmkit::segment::SegmentTable;

/// Query text: whatever parses prints back to the same rule.
pub fn query_text(data: &[u8]) {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let schema = Schema::default();
    if let Ok(rule) = Rule::parse(query, &schema) {
        let printed = rule.display_query(schema.scale()).to_string();
        assert_eq!(Rule::parse(&printed, &schema).ok(), Some(rule), "{printed}");
    }
}

/// Stored rules (JSON): whatever loads is valid, prints to text that parses
/// back to it, and saves to JSON that loads back to it.
pub fn rule_json(data: &[u8]) {
    let Ok(stored) = serde_json::from_slice::<StoredRule>(data) else {
        return;
    };
    let rule = stored.rule();
    assert!(rule.validate().is_ok(), "a loaded rule is valid");
    let schema = Schema::default();
    let printed = rule.display_query(schema.scale()).to_string();
    assert_eq!(
        Rule::parse(&printed, &schema).as_ref(),
        Ok(rule),
        "{printed}"
    );
    let json = serde_json::to_string(&stored).expect("a loaded rule saves");
    let back: StoredRule = serde_json::from_str(&json).expect("a saved rule loads");
    assert_eq!(back.rule(), rule);
}

fn round_trip<T>(value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value).expect("a loaded value saves");
    let back: T = serde_json::from_str(&json).expect("a saved value loads");
    assert_eq!(&back, value);
}

/// Stored models (JSON): the first byte picks the type (RFM model, segment
/// table, transaction fit, spend fit), the rest is the document. Whatever
/// loads saves and loads back unchanged and is usable.
pub fn model_json(data: &[u8]) {
    let Some((&which, json)) = data.split_first() else {
        return;
    };
    match which % 4 {
        0 => {
            if let Ok(model) = serde_json::from_slice::<RfmModel>(json) {
                round_trip(&model);
                let _ = model.display_table(2).to_string();
            }
        }
        1 => {
            if let Ok(table) = serde_json::from_slice::<SegmentTable>(json) {
                round_trip(&table);
                for (cell, _) in table.cells() {
                    assert!(table.assign(cell).is_ok(), "{cell}");
                }
            }
        }
        2 => {
            if let Ok(fit) = serde_json::from_slice::<TransactionFit>(json) {
                round_trip(&fit);
                let _ = fit.model.expected_purchases_new(1.0);
            }
        }
        _ => {
            if let Ok(fit) = serde_json::from_slice::<SpendFit>(json) {
                round_trip(&fit);
            }
        }
    }
}
