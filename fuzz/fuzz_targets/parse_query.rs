//! The query parser must never panic, and whatever it accepts must print
//! back to the same rule.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfmkit::audience::{Rule, Schema};

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let schema = Schema::default();
    if let Ok(rule) = Rule::parse(query, &schema) {
        let printed = rule.display_query(schema.scale()).to_string();
        assert_eq!(Rule::parse(&printed, &schema).ok(), Some(rule), "{printed}");
    }
});
