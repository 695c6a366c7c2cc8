//! Audience rules: select customers by their profile, with a typed Rust
//! builder, a stored JSON form, or a one-line query a marketer can type.
//!
//! ```text
//! Segmentation + Summaries + Customers ──► Profiles ──┐
//! field::… builder ─┐                                 ├─► CompiledRule ──► selected customers, tally, explain
//! JSON (StoredRule) ├─► Rule ──── Profiles::compile ──┘
//! query text ───────┘        (campaign::Audience / Campaign take it from there)
//! ```
//!
//! 1. [`Profiles`] join, per customer, the summary (dates, frequency,
//!    monetary, first channel and store), the RFM scores and segment, and
//!    the customer record (tags, birthday, opt-ins, custom attributes), all
//!    as of one date, and store them as columns.
//! 2. A [`Rule`] is a closed AST of conditions combined with `and`, `or`,
//!    `not`. The three front ends build the same rules:
//!    the typed builder [`field`], the JSON form (serde on [`Rule`], and
//!    the versioned [`StoredRule`] envelope to keep in a database), and the
//!    text query language ([`Rule::parse`], printed back by
//!    [`Rule::display_query`]).
//! 3. [`Profiles::compile`] resolves a rule once (segment names to indices,
//!    relative dates to days, texts to dictionary ids) into a
//!    [`CompiledRule`], which evaluates over all profiles in a tight loop
//!    ([`CompiledRule::selected`]), or for one customer with the reasons
//!    ([`CompiledRule::explain`]).
//!
//! # Example
//!
//! The same audience in the three front ends:
//!
//! ```
//! use chrono::NaiveDate;
//! use rfmkit::audience::{field, Period, Profiles, Rule, StoredRule};
//! use rfmkit::customer::{Customer, Customers};
//! use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
//! use rfmkit::segment::SegmentTable;
//! use rfmkit::summary::Summaries;
//! use rfmkit::{Money, Order};
//!
//! let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
//! let orders = vec![
//!     Order::new("A-1", "alice", d(1, 5)?, Money::new(45_000)),
//!     Order::new("A-2", "alice", d(1, 20)?, Money::new(30_000)),
//!     Order::new("A-3", "bob", d(3, 20)?, Money::new(1_200)),
//!     Order::new("A-4", "carol", d(3, 2)?, Money::new(2_500)),
//!     Order::new("A-5", "carol", d(3, 28)?, Money::new(900)),
//!     Order::new("A-6", "bob", d(3, 29)?, Money::new(800)),
//! ];
//! let summaries = Summaries::from_orders(&orders, d(3, 31)?)?;
//! let config = ScoringConfig::builder().method(Method::Rank).build()?;
//! let scores = RfmModel::fit(&config, &summaries).score_all(&summaries);
//! let segmentation = SegmentTable::standard().segment_all(&scores)?;
//! let customers = Customers::new([
//!     Customer::new("alice").with_email_opt_in(true),
//!     Customer::new("bob").with_email_opt_in(true),
//!     Customer::new("carol"),
//! ])?;
//! let profiles = Profiles::builder(&segmentation, &summaries).customers(&customers).build()?;
//!
//! // 1. typed Rust
//! let built = field::monetary().ge(Money::new(30_000))
//!     & field::last_order().lt(Period::days(30).ago())
//!     & field::email_opt_in().is_true();
//! // 2. JSON, as a back end stores it
//! let json = r#"{"version":1,"rule":{"and":[
//!     {"field":"monetary","op":"ge","value":30000},
//!     {"field":"last_order","op":"lt","value":{"ago":"30d"}},
//!     {"field":"email_opt_in","op":"eq","value":true}]}}"#;
//! let stored: StoredRule = serde_json::from_str(json)?;
//! // 3. text
//! let typed = Rule::parse(
//!     "monetary >= 300.00 and last_order < -30d and email_opt_in",
//!     &profiles.schema(),
//! )?;
//! assert_eq!(&built, stored.rule());
//! assert_eq!(built, typed);
//!
//! let compiled = profiles.compile(&built)?;
//! let selected = compiled.selected();
//! assert_eq!(selected.iter().map(|c| c.as_str()).collect::<Vec<_>>(), ["alice"]); // 750.00, last order 20 January
//! println!("{}", compiled.explain("bob").ok_or("no profile")?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Fields
//!
//! | field | type | value | missing when |
//! |---|---|---|---|
//! | `recency_days` | integer | days from the last completed order to the as-of date | no completed order |
//! | `frequency` | integer | completed orders (or purchase days, on the scoring model's basis) | no completed order |
//! | `monetary` | money | revenue net of returns | no completed order |
//! | `average_order_value` | money | `monetary / orders`, rounded half away from zero | no completed order |
//! | `first_order`, `last_order` | date | first / last completed order's date | no completed order |
//! | `days_since_first_order` | integer | as-of date − first order's date | no completed order |
//! | `first_order_anniversary` | annual | the first order's month and day, every later year | no completed order |
//! | `r`, `f`, `m` | integer | the RFM scores, `1..=bins` | not scored |
//! | `rfm_cell` | cell | the three scores, written `5-4-3` | not scored |
//! | `segment` | segment | the segment name | not scored |
//! | `first_channel`, `first_store` | text | of the first completed order | no completed order, or none recorded |
//! | `acquisition_channel`, `signup_date` | text, date | from the customer record | no record, or none recorded |
//! | `tags` | tags | the record's tags | no customer record |
//! | `birthday` | annual | month and day | no record, or none recorded |
//! | `birthday_month` | integer | `1..=12` | as `birthday` |
//! | `email_opt_in`, `sms_opt_in` | bool | consent from the record | no customer record |
//! | `frequency_drop` | number | recent purchase rate ÷ the customer's own earlier rate ([`FrequencyDrop`](crate::summary::FrequencyDrop); windows set by [`ProfilesBuilder::frequency_drop`]) | no purchase before the recent window, or too few in the baseline |
//! | `purchase_interval_days` | number | the median of the days between the customer's consecutive purchase days ([`CustomerSummary::purchase_interval_days`](crate::summary::CustomerSummary::purchase_interval_days)) | fewer than two purchase days |
//! | `next_purchase_due` | date | `last_order` + the purchase interval, rounded to whole days (halves up); the population's median interval ([`Summaries::median_purchase_interval_days`](crate::summary::Summaries::median_purchase_interval_days)) for customers with one purchase day | no purchase, or no customer with two purchase days |
//! | `p_alive` | number | the model's probability that the customer is still buying, `0..=1` ([`PredictedValues`]); under BG/NBD 1 for a customer without a repeat purchase | not predicted |
//! | `expected_purchases` | number | purchases expected over the prediction horizon, *already weighted by* `p_alive` | not predicted |
//! | `predicted_clv` | money | expected spend per purchase × the purchases expected in each month of the CLV horizon, discounted ([CLV](crate::clv#clv)): *includes* `p_alive` | not predicted, or no spend model |
//! | `attr.NAME` | text, number, bool or date | a custom attribute of the record (`attr."two words"` for other names) | not set, or set with another type |
//!
//! The predicted fields nest: `predicted_clv` includes `expected_purchases`,
//! which includes `p_alive`, so `p_alive < 0.3 and predicted_clv > 200.00`
//! asks for customers who have probably left yet will spend a lot, and
//! selects almost nobody. Pair a prediction with history instead:
//! `m >= 4 and p_alive < 0.5` (valuable customers slipping away, "rescue"),
//! `frequency = 2 and p_alive < 0.5`, or `expected_purchases >= 1 and m <= 2`
//! (the README lists these with what each is for; a test runs them on a
//! simulated shop).
//!
//! Only segmented customers have profiles unless [`Prospects::Include`] is
//! set; then prospects (a record, no completed order) and unscored
//! customers (returns only) have profiles whose order, score and segment
//! fields are missing, so `frequency is null and email_opt_in` finds
//! opted-in prospects. A custom attribute's type in a condition is the type
//! of its values (`attr.points > 100` is a number test); a customer whose
//! attribute has another type counts as missing for that condition, but not
//! for `is null`, which asks whether the attribute is set at all. NaN
//! numbers count as missing.
//!
//! # Operators
//!
//! | type | `=` `!=` | `<` `<=` `>` `>=` `between` | `in` `not in` | `contains` | `within` | `is null` `is not null` |
//! |---|---|---|---|---|---|---|
//! | integer, number, money, date | ✓ | ✓ | ✓ | | | ✓ |
//! | text | ✓ | | ✓ | substring, case-sensitive | | ✓ |
//! | segment, cell | ✓ | | ✓ | | | ✓ |
//! | bool | ✓ (a field alone means `= true`) | | | | | ✓ |
//! | tags | | | | the tag is among them | | ✓ |
//! | annual | | | | | ✓ | ✓ |
//!
//! `between a and b` includes both ends (`b < a` selects nobody). `x != v`
//! is exactly `not (x = v)`, and `x not in (..)` exactly `not (x in (..))`.
//!
//! # Missing values
//!
//! Every condition on a missing value is *unknown*, and `and`, `or` and
//! `not` follow Kleene's three-valued logic; a customer is selected only
//! when the whole rule is *true*. So a missing value never selects a
//! customer by accident, neither through `!=` (the trap of Shopify's
//! segments, where `!=` keeps customers without a value) nor through `not`:
//!
//! | `x` | `x = 1` | `x != 1` | `not x = 1` | `x is null` | `x is not null` |
//! |---|---|---|---|---|---|
//! | 1 | true | false | false | false | true |
//! | 2 | false | true | true | false | true |
//! | missing | unknown | unknown | unknown | true | false |
//!
//! | `a` | `b` | `a and b` | `a or b` | `not a` |
//! |---|---|---|---|---|
//! | true | unknown | unknown | true | false |
//! | false | unknown | false | unknown | true |
//! | unknown | unknown | unknown | unknown | unknown |
//!
//! `is null` and `is not null` are the only tests that are never unknown:
//! write `email_opt_in is null or not email_opt_in` to reach customers
//! *without* consent on record too. A consequence: `a and b` ⊆ `a` ⊆
//! `a or b` for the selected customers, and `a` and `not a` never share a
//! customer.
//!
//! # Dates
//!
//! Dates in conditions are calendar dates (`2025-12-31`) or relative to the
//! as-of date of the profiles: `-90d` is 90 days before it, `+7d` 7 days
//! after; units are `d` (days), `w` (7 days), `m` (calendar months) and `y`
//! (12 calendar months). Months and years use chrono's calendar arithmetic,
//! which keeps the day of the month and clamps it to the end of a shorter
//! month: as of 2024-03-31, `-1m` is 2024-02-29; as of 2024-02-29, `-1y` is
//! 2023-02-28 and `+4y` 2028-02-29. The dates resolve when the rule is
//! compiled, so a stored rule means "the last 90 days" on every run.
//!
//! `birthday within 7d` is true when the customer's next birthday on or
//! after the as-of date falls in `[as_of, as_of + 7d]`, both ends included
//! (today and the 7 following days). A 29 February birthday falls on 28
//! February in years without one. `first_order_anniversary within 7d` is
//! the same for the first order's date in any *later* year (the first order
//! itself is not an anniversary), with the same rule for 29 February.
//!
//! # Query language
//!
//! ```text
//! query      = or ;
//! or         = and , { "or" , and } ;
//! and        = unary , { "and" , unary } ;
//! unary      = "not" , unary | primary ;
//! primary    = "(" , or , ")"
//!            | ( "all" | "any" ) , "(" , [ or , { "," , or } ] , ")"
//!            | condition ;
//! condition  = field , [ test ] ;                 (* a bool field alone: "= true" *)
//! field      = name | "attr" , "." , ( name | string ) ;
//! test       = ( "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=" ) , value
//!            | "between" , value , "and" , value
//!            | [ "not" ] , "in" , "(" , [ value , { "," , value } ] , ")"
//!            | "contains" , value
//!            | "within" , period
//!            | "is" , [ "not" ] , "null" ;
//! value      = number | date | relative | cell | string | name | "true" | "false" ;
//! number     = [ "-" | "+" ] , digits , [ "." , digits ] ;   (* 300.00 *)
//! date       = digit4 , "-" , digit2 , "-" , digit2 ;        (* 2025-12-31 *)
//! relative   = ( "-" | "+" ) , period ;                      (* -90d, +7d *)
//! period     = digits , ( "d" | "w" | "m" | "y" ) ;          (* 7d, 2w, 3m, 1y *)
//! cell       = digits , "-" , digits , "-" , digits ;        (* 5-4-3 *)
//! string     = '"' , { char | '\"' | '\\' } , '"' | "'" , { char | "\'" | '\\' } , "'" ;
//! name       = ( letter | "_" ) , { letter | digit | "_" } ;
//! ```
//!
//! `not` binds tighter than `and`, which binds tighter than `or`; all three
//! keywords, like every keyword and field name, are case-insensitive
//! (`AND`, `Monetary`), while texts and segment names are not. Whitespace
//! separates tokens and is otherwise ignored. A value is read with its
//! field's type: `300.00` is an amount for `monetary` (at most the
//! [`Schema`]'s scale of decimals), a whole number for `frequency`, a text
//! for `first_store`; bare names are texts or segment names, and texts that
//! are not plain names (or are keywords) are quoted. Attribute names follow
//! the same rule: `attr.tier`, but `attr."and"`, `attr."a b"` and `attr.""`
//! (any name a customer record may hold is accepted, and the printed text
//! quotes it so that it parses back). `in ()` selects nobody and `not in ()`
//! everyone with a value. `all()` is true for
//! everyone and `any()` for no one. Parentheses, `not` and
//! `all(..)`/`any(..)` nest at most [`MAX_RULE_DEPTH`] deep, the one depth
//! limit of every front end (see [`Rule`'s depth](Rule#depth)).
//!
//! Errors name the column (counted in characters from 1) and say what was
//! expected and what was found, and misspelled fields and segments get the
//! closest valid name:
//!
//! ```text
//! column 54: expected a number after '>=', found 'abc'
//! column 1: unknown field 'monetory'; did you mean 'monetary'?
//! column 12: unknown segment 'at_rsik'; did you mean 'at_risk'?
//! column 15: expected ')' to close the '(' at column 1, found end of query
//! ```
//!
//! [`Rule::display_query`] prints a rule in the canonical form above, so
//! `Rule::parse(&rule.display_query(scale).to_string(), &schema)` gives back
//! the rule.
//!
//! # JSON
//!
//! A rule is a JSON object of one of four shapes:
//!
//! | shape | meaning |
//! |---|---|
//! | `{"and": [rule, ...]}` | all of the rules (`[]`: everyone) |
//! | `{"or": [rule, ...]}` | any of the rules (`[]`: no one) |
//! | `{"not": rule}` | the negation |
//! | `{"field": NAME, "op": OP, "value": VALUE}` | a condition |
//!
//! `NAME` is a field name as in the query language (`"monetary"`,
//! `"attr.points"`); `OP` is one of `eq`, `ne`, `lt`, `le`, `gt`, `ge`,
//! `between` (value: `[low, high]`), `in` and `not_in` (value: a list),
//! `contains`, `within` (value: a period such as `"7d"`), `is_null` and
//! `is_not_null` (no value). Values are JSON numbers (money in integer minor
//! units: `30000` for 300.00), strings (texts, segment names, cells
//! `"5-4-3"`), booleans, and date objects: `{"date": "2025-12-31"}`,
//! `{"ago": "90d"}`, `{"ahead": "7d"}`. Unknown keys are errors.
//!
//! Store rules in the versioned envelope [`StoredRule`],
//! `{"version": 1, "rule": RULE}`; a version this rfmkit does not read is
//! an [`Error::UnsupportedVersion`](crate::Error::UnsupportedVersion). The
//! win-back audience of the [example](#example), stored:
//!
//! ```json
//! {"version": 1, "rule": {"and": [
//!   {"field": "segment", "op": "in", "value": ["at_risk", "cant_lose_them"]},
//!   {"field": "monetary", "op": "ge", "value": 30000},
//!   {"field": "last_order", "op": "lt", "value": {"ago": "90d"}},
//!   {"field": "email_opt_in", "op": "eq", "value": true}
//! ]}}
//! ```
//!
//! # Performance
//!
//! Compiling resolves everything that does not depend on the customer
//! once. Evaluating over all profiles then scans each condition's column
//! (one `i64` or `f64` per customer and a validity bit set) into two bit
//! sets, true and false, and combines them 64 customers per machine word.
//! A five-condition rule over 1,000,000 profiles takes a few milliseconds
//! on one core (see `benches/audience.rs` and the `audience_bench`
//! example).

mod column;
mod compile;
mod eval;
mod explain;
pub mod field;
mod format;
mod parse;
mod predicted;
mod profile;
mod rule;
mod schema;
mod wire;

pub use compile::CompiledRule;
pub use eval::Tally;
pub use explain::{Clause, Explanation};
pub use format::DisplayQuery;
#[allow(deprecated)]
pub use parse::MAX_DEPTH;
pub use predicted::PredictedValues;
pub use profile::{Profile, Profiles, ProfilesBuilder, Prospects};
pub use rule::{
    Condition, DateValue, Field, FieldType, MAX_RULE_DEPTH, Period, PeriodUnit, Rule, Test, Truth,
    Value, ValueType,
};
pub use schema::{Schema, SchemaBuilder};
pub use wire::StoredRule;
