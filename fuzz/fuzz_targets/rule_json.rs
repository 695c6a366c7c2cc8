//! Fuzzes `checks::rule_json` (see `fuzz/checks.rs`): the parser never panics,
//! and whatever it accepts prints, saves and loads back unchanged.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::rule_json(data));
