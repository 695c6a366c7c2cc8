//! Audience rules and campaigns: the query language, the three front ends,
//! missing values, calendar dates, explanations, set operations, control
//! groups and top-N limits.
//!
//! The fixture is the 13-order shop of `tests/data/orders_small.csv`
//! (worked out in `orders_small.expected.md`), as of 2025-12-31, scored by
//! rank:
//!
//! | customer | recency | freq | monetary | first order | last order | cell | segment |
//! |---|---|---|---|---|---|---|---|
//! | C01 | 11 | 4 | 405.00 | 2025-03-02 web | 2025-12-20 | 4-5-5 | champions |
//! | C02 | 11 | 1 | 45.00 | 2025-12-20 app | 2025-12-20 | 5-1-2 | new |
//! | C03 | 320 | 3 | 300.00 | 2024-08-01 web | 2025-02-14 | 1-4-4 | cant_lose_them |
//! | C04 | 91 | 2 | 35.50 | 2025-07-07 web | 2025-10-01 | 2-3-1 | at_risk |
//! | C05 | 46 | 1 | 45.00 | 2025-11-15 web | 2025-11-15 | 3-2-3 | need_attention |
//!
//! and these customer records (C04 has none; P01 is a prospect without
//! orders):
//!
//! | customer | email | sms | tags | birthday | attributes |
//! |---|---|---|---|---|---|
//! | C01 | yes | no | vip | 01-03 | points 405 (number), tier "gold" |
//! | C02 | no | yes | | 02-29 | tier "silver" |
//! | C03 | yes | no | | | points "n/a" (text) |
//! | C05 | yes | no | newsletter | 12-31 | since 2025-11-15 (date) |
//! | P01 | yes | no | | 07-14 | |

use std::collections::BTreeSet;

use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::sample::select;
use rfmkit::audience::{
    DateValue, Field, Period, PeriodUnit, PredictedValues, Profiles, Prospects, Rule, Schema,
    StoredRule, Test, Truth, Value, field,
};
use rfmkit::campaign::{
    Audience, Campaign, CampaignRun, Limit, SortOrder, Suppression, SuppressionReason,
    control_draw, in_control,
};
use rfmkit::customer::{Birthday, Customer, Customers};
use rfmkit::error::{Location, QueryPosition};
use rfmkit::order::OrderStatus;
use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
use rfmkit::segment::{SegmentTable, Segmentation};
use rfmkit::sim::SimConfig;
use rfmkit::summary::Summaries;
use rfmkit::{CustomerId, Error, Money, Order};

use crate::common::{cell, d};

fn ymd(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn small_orders() -> Vec<Order> {
    let o = |id: &str, c: &str, date: NaiveDate, cents: i64, ch: &str| {
        Order::new(id, c, date, Money::new(cents)).with_channel(ch)
    };
    vec![
        o("A-01", "C01", ymd(2025, 3, 2), 12_000, "web"),
        o("A-02", "C03", ymd(2024, 8, 1), 9_999, "web"),
        o("A-03", "C04", ymd(2025, 7, 7), 6_000, "web"),
        o("A-04", "C01", ymd(2025, 6, 15), 8_990, "app"),
        o("A-05", "C03", ymd(2024, 11, 29), 13_000, "store"),
        o("A-06", "C05", ymd(2025, 11, 15), 4_500, "web"),
        o("A-07", "C04", ymd(2025, 10, 1), 2_550, "app"),
        o("A-08", "C01", ymd(2025, 9, 9), 4_510, "web"),
        o("A-09", "C03", ymd(2025, 2, 14), 7_001, "web"),
        o("A-10", "C04", ymd(2025, 11, 20), -5_000, "app").with_status(OrderStatus::Returned),
        o("A-11", "C02", ymd(2025, 12, 20), 4_500, "app"),
        o("A-12", "C01", ymd(2025, 12, 20), 15_000, "web"),
        o("A-13", "C02", ymd(2025, 12, 28), 50_000, "app").with_status(OrderStatus::Cancelled),
    ]
}

fn small_customers() -> Customers {
    Customers::new([
        Customer::new("C01")
            .with_email_opt_in(true)
            .with_tag("vip")
            .with_birthday(Birthday::new(1, 3).unwrap())
            .with_attribute("points", 405.0)
            .with_attribute("tier", "gold"),
        Customer::new("C02")
            .with_sms_opt_in(true)
            .with_birthday(Birthday::new(2, 29).unwrap())
            .with_attribute("tier", "silver"),
        Customer::new("C03")
            .with_email_opt_in(true)
            .with_attribute("points", "n/a"),
        Customer::new("C05")
            .with_email_opt_in(true)
            .with_tag("newsletter")
            .with_birthday(Birthday::new(12, 31).unwrap())
            .with_attribute("since", ymd(2025, 11, 15)),
        Customer::new("P01")
            .with_email_opt_in(true)
            .with_birthday(Birthday::new(7, 14).unwrap()),
    ])
    .unwrap()
}

fn segmentation_of(summaries: &Summaries) -> Segmentation {
    let config = ScoringConfig::builder()
        .method(Method::Rank)
        .build()
        .unwrap();
    let scores = RfmModel::fit(&config, summaries).score_all(summaries);
    SegmentTable::standard().segment_all(&scores).unwrap()
}

fn build(
    orders: &[Order],
    as_of: NaiveDate,
    customers: Option<&Customers>,
    prospects: Prospects,
) -> Profiles {
    let summaries = Summaries::from_orders(orders, as_of).unwrap();
    let segmentation = segmentation_of(&summaries);
    let mut builder = Profiles::builder(&segmentation, &summaries).prospects(prospects);
    if let Some(c) = customers {
        builder = builder.customers(c);
    }
    builder.build().unwrap()
}

/// The fixture as of 2025-12-31, with records, without prospects.
fn small() -> Profiles {
    build(
        &small_orders(),
        d(12, 31),
        Some(&small_customers()),
        Prospects::Exclude,
    )
}

fn ids(customers: &[CustomerId]) -> Vec<String> {
    customers.iter().map(ToString::to_string).collect()
}

fn audience_ids(audience: &Audience) -> Vec<String> {
    ids(audience.as_slice())
}

fn rule(p: &Profiles, query: &str) -> Rule {
    Rule::parse(query, &p.schema()).unwrap_or_else(|e| panic!("{query}: {e}"))
}

/// The customers a query selects.
fn select_q(p: &Profiles, query: &str) -> Vec<String> {
    ids(&p.compile(&rule(p, query)).unwrap().selected())
}

fn truth(p: &Profiles, query: &str, customer: &str) -> Truth {
    p.compile(&rule(p, query))
        .unwrap()
        .matches(customer)
        .unwrap()
}

// ------------------------------------------------------------------ profiles

#[test]
fn profiles_join_summary_scores_segment_and_record() {
    let p = small();
    assert_eq!(ids(p.customers()), ["C01", "C02", "C03", "C04", "C05"]);
    let c01 = p.get("C01").unwrap();
    assert_eq!(c01.recency_days, Some(11));
    assert_eq!(c01.frequency, Some(4));
    assert_eq!(c01.monetary, Some(Money::new(40_500)));
    // 405.00 / 4 = 101.25
    assert_eq!(c01.average_order_value, Some(Money::new(10_125)));
    assert_eq!(c01.first_order, Some(ymd(2025, 3, 2)));
    // March 2 to December 31: 29 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31
    assert_eq!(c01.days_since_first_order, Some(304));
    assert_eq!(c01.score, Some(cell(4, 5, 5)));
    assert_eq!(c01.segment.as_ref().map(|s| s.as_str()), Some("champions"));
    assert_eq!(c01.first_channel.as_ref().map(|c| c.as_str()), Some("web"));
    assert_eq!(c01.first_store, None);
    assert_eq!(c01.email_opt_in, Some(true));
    assert_eq!(c01.tags, Some(BTreeSet::from(["vip".to_owned()])));
    let c04 = p.get("C04").unwrap();
    assert_eq!(c04.monetary, Some(Money::new(3_550)));
    assert_eq!((c04.email_opt_in, c04.tags.clone()), (None, None));
    assert!(p.get("P01").is_none());
}

#[test]
fn customers_with_only_returns_have_no_profile() {
    // C06 and C00 only returned orders: they are in the summaries (with
    // no purchase) but not segmented, so the profiles are the summaries'
    // other customers, in id order.
    let mut orders = small_orders();
    for (id, customer) in [("A-20", "C06"), ("A-21", "C00")] {
        orders.push(
            Order::new(id, customer, ymd(2025, 12, 1), Money::new(-1_000))
                .with_status(OrderStatus::Returned),
        );
    }
    let summaries = Summaries::from_orders(&orders, d(12, 31)).unwrap();
    assert_eq!(summaries.len(), 7);
    let segmentation = segmentation_of(&summaries);
    for customers in [None, Some(small_customers())] {
        let mut builder = Profiles::builder(&segmentation, &summaries);
        if let Some(c) = &customers {
            builder = builder.customers(c);
        }
        let p = builder.build().unwrap();
        assert_eq!(p.len(), 5);
        assert!(!p.is_empty());
        assert_eq!(ids(p.customers()), ["C01", "C02", "C03", "C04", "C05"]);
        assert!(p.get("C06").is_none() && p.get("C00").is_none());
        assert_eq!(p.get("C05").unwrap().monetary, Some(Money::new(4_500)));
        assert_eq!(select_q(&p, "frequency >= 3"), ["C01", "C03"]);
        assert_eq!(truth(&p, "frequency >= 3", "C03"), Truth::True);
        let opted = p.get("C05").unwrap().email_opt_in;
        assert_eq!(opted, customers.as_ref().map(|_| true));
    }
}

#[test]
fn prospects_have_missing_order_fields() {
    let p = build(
        &small_orders(),
        d(12, 31),
        Some(&small_customers()),
        Prospects::Include,
    );
    assert_eq!(
        ids(p.customers()),
        ["C01", "C02", "C03", "C04", "C05", "P01"]
    );
    let p01 = p.get("P01").unwrap();
    assert_eq!((p01.frequency, p01.segment.clone()), (None, None));
    assert_eq!(select_q(&p, "frequency is null and email_opt_in"), ["P01"]);
    // `frequency < 1` does not find prospects: their frequency is unknown.
    assert!(select_q(&p, "frequency < 1").is_empty());
}

#[test]
fn profiles_reject_summaries_of_another_date() {
    let orders = small_orders();
    let summaries = Summaries::from_orders(&orders, d(12, 31)).unwrap();
    let segmentation = segmentation_of(&summaries);
    let later = Summaries::from_orders(&orders, ymd(2026, 1, 10)).unwrap();
    let err = Profiles::builder(&segmentation, &later)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidConfig {
            field: "summaries".into(),
            reason: "customer C01: recency is 11 days in the segmentation but 21 in the \
                     summaries (as of 2026-01-10); build profiles from the summaries the \
                     segmentation was scored from"
                .into()
        }
    );
    let fewer = Summaries::from_orders(&orders[..2], d(12, 31)).unwrap();
    let err = Profiles::builder(&segmentation, &fewer)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidConfig { ref field, .. } if field == "summaries"));
    let err = Profiles::builder(&segmentation, &summaries)
        .scale(19)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidConfig { ref field, .. } if field == "scale"));
}

#[test]
fn empty_input_gives_empty_profiles_and_audiences() {
    let p = build(&[], d(12, 31), None, Prospects::Include);
    assert!(p.is_empty());
    let compiled = p.compile(&rule(&p, "monetary > 0")).unwrap();
    assert!(compiled.selected().is_empty());
    assert_eq!(compiled.tally().selected, 0);
}

// ---------------------------------------------------------------- selection

#[test]
fn marketer_queries_on_the_fixture() {
    let p = small();
    let cases: &[(&str, &[&str])] = &[
        (
            "segment in (at_risk, cant_lose_them) and monetary >= 300.00",
            &["C03"],
        ),
        // -90d is 2025-10-02: C04's last order (2025-10-01) is just before it.
        ("last_order < -90d", &["C03", "C04"]),
        ("recency_days > 90", &["C03", "C04"]),
        ("recency_days >= 91 and recency_days <= 91", &["C04"]),
        ("first_channel = app", &["C02"]),
        ("first_channel != app", &["C01", "C03", "C04", "C05"]),
        ("frequency between 2 and 3", &["C03", "C04"]),
        ("rfm_cell in (4-5-5, 5-1-2)", &["C01", "C02"]),
        ("r >= 4 and f >= 4", &["C01"]),
        ("monetary = 45.00", &["C02", "C05"]),
        ("average_order_value > 100.00", &["C01"]),
        ("first_order >= 2025-07-01", &["C02", "C04", "C05"]),
        ("days_since_first_order > 365", &["C03"]),
        ("tags contains vip", &["C01"]),
        ("attr.points > 100", &["C01"]),
        ("attr.tier in (gold, silver)", &["C01", "C02"]),
        ("attr.tier contains l", &["C01", "C02"]),
        ("attr.since >= -60d", &["C05"]),
        (
            "segment not in (champions, new) and email_opt_in",
            &["C03", "C05"],
        ),
        ("all()", &["C01", "C02", "C03", "C04", "C05"]),
        ("any()", &[]),
        ("not (monetary < 100.00 or recency_days > 300)", &["C01"]),
    ];
    for (query, want) in cases {
        assert_eq!(select_q(&p, query), *want, "{query}");
    }
}

#[test]
fn missing_values_are_unknown_and_never_select() {
    let p = small();
    // C04 has no record: its opt-in is missing.
    assert_eq!(select_q(&p, "email_opt_in"), ["C01", "C03", "C05"]);
    assert_eq!(select_q(&p, "not email_opt_in"), ["C02"]);
    // The Shopify trap: `!=` must not keep customers without a value.
    assert_eq!(select_q(&p, "email_opt_in != true"), ["C02"]);
    assert_eq!(select_q(&p, "email_opt_in is null"), ["C04"]);
    assert_eq!(
        select_q(&p, "email_opt_in is not null"),
        ["C01", "C02", "C03", "C05"]
    );
    assert_eq!(
        select_q(&p, "email_opt_in is null or not email_opt_in"),
        ["C02", "C04"]
    );
    // Tags: C02, C03 have records with no tags; C04 has no record.
    assert_eq!(select_q(&p, "not tags contains vip"), ["C02", "C03", "C05"]);
    // An attribute of another type is missing for that test, but set.
    assert_eq!(truth(&p, "attr.points > 100", "C03"), Truth::Unknown);
    assert_eq!(truth(&p, "attr.points is null", "C03"), Truth::False);
    assert_eq!(select_q(&p, "attr.points is null"), ["C02", "C04", "C05"]);
    // Kleene logic for C04 (missing opt-in).
    assert_eq!(truth(&p, "email_opt_in", "C04"), Truth::Unknown);
    assert_eq!(truth(&p, "not email_opt_in", "C04"), Truth::Unknown);
    assert_eq!(
        truth(&p, "email_opt_in and monetary > 100.00", "C04"),
        Truth::False
    );
    assert_eq!(
        truth(&p, "email_opt_in and monetary < 100.00", "C04"),
        Truth::Unknown
    );
    assert_eq!(
        truth(&p, "email_opt_in or monetary < 100.00", "C04"),
        Truth::True
    );
    assert_eq!(
        truth(&p, "email_opt_in or monetary > 100.00", "C04"),
        Truth::Unknown
    );
    // An attribute nobody has: unknown for value tests, null for all.
    let nothing = p.compile(&field::attr_text("nothing").is_null()).unwrap();
    assert_eq!(nothing.selected().len(), 5);
    // Parsing against the profiles' schema catches the unknown name instead.
    assert!(matches!(
        Rule::parse("attr.nothing is null", &p.schema()),
        Err(Error::UnknownField { .. })
    ));
    let compiled = p.compile(&field::attr_number("nothing").gt(1.0)).unwrap();
    assert_eq!(compiled.tally().unknown, 5);
    // Predicted values are missing until set.
    assert_eq!(truth(&p, "p_alive < 0.5", "C01"), Truth::Unknown);
    let tally = p.compile(&rule(&p, "email_opt_in")).unwrap().tally();
    assert_eq!((tally.selected, tally.rejected, tally.unknown), (3, 1, 1));
}

#[test]
fn predictions_fill_their_fields() {
    let mut p = small();
    let mut pred = PredictedValues::default();
    pred.p_alive = Some(0.2);
    pred.predicted_clv = Some(Money::new(90_000));
    assert!(p.set_predictions("C03", pred));
    pred.p_alive = Some(f64::NAN); // NaN is missing
    assert!(p.set_predictions("C01", pred));
    assert_eq!(select_q(&p, "p_alive < 0.5"), ["C03"]);
    assert_eq!(
        select_q(&p, "p_alive is null"),
        ["C01", "C02", "C04", "C05"]
    );
    assert_eq!(select_q(&p, "predicted_clv >= 900.00"), ["C01", "C03"]);
}

// -------------------------------------------------------------------- dates

#[test]
fn relative_dates_use_calendar_months_and_years() {
    // As of 2024-03-31: -1m is 2024-02-29 (end of a leap February).
    let orders = [
        Order::new("1", "a", ymd(2024, 2, 28), Money::new(100)),
        Order::new("2", "b", ymd(2024, 2, 29), Money::new(100)),
        Order::new("3", "c", ymd(2024, 3, 1), Money::new(100)),
        Order::new("4", "e", ymd(2023, 3, 31), Money::new(100)),
        Order::new("5", "f", ymd(2023, 3, 30), Money::new(100)),
    ];
    let p = build(&orders, ymd(2024, 3, 31), None, Prospects::Exclude);
    assert_eq!(select_q(&p, "last_order >= -1m"), ["b", "c"]);
    assert_eq!(select_q(&p, "last_order = -1m"), ["b"]);
    // -1y is 2023-03-31; -12m the same; -4w is 2024-03-03.
    assert_eq!(select_q(&p, "last_order < -1y"), ["f"]);
    assert_eq!(select_q(&p, "last_order = -12m"), ["e"]);
    assert_eq!(select_q(&p, "last_order >= -4w"), Vec::<String>::new());
    assert_eq!(select_q(&p, "last_order between -32d and -31d"), ["a", "b"]);
    assert_eq!(select_q(&p, "last_order < 2024-02-29"), ["a", "e", "f"]);
    // As of 2025-02-28 (not a leap year), -1y is 2024-02-28 and +1y 2026-02-28.
    let p = build(&orders, ymd(2025, 2, 28), None, Prospects::Exclude);
    assert_eq!(select_q(&p, "last_order = -1y"), ["a"]);
    let compiled = p.compile(&rule(&p, "last_order < +1y")).unwrap();
    assert_eq!(compiled.selected().len(), 5);
    let why = compiled.explain("a").unwrap();
    assert_eq!(why.clause.note.as_deref(), Some("+1y is 2026-02-28"));
}

#[test]
fn relative_dates_outside_the_calendar_are_errors() {
    let p = small();
    let far = field::last_order().lt(Period::years(u32::MAX).ago());
    assert!(matches!(
        p.compile(&far),
        Err(Error::InvalidRule { position: None, ref field, .. }) if field == "last_order"
    ));
}

#[test]
fn birthdays_within_a_window() {
    // As of 2025-12-31: the window of 7d is 2025-12-31..=2026-01-07.
    let p = small();
    assert_eq!(select_q(&p, "birthday within 7d"), ["C01", "C05"]);
    assert_eq!(select_q(&p, "birthday within 0d"), ["C05"]);
    assert_eq!(select_q(&p, "birthday within 1w"), ["C01", "C05"]);
    // 2026 is not a leap year: C02's 29 February falls on 28 February,
    // 59 days after 2025-12-31.
    assert_eq!(select_q(&p, "birthday within 58d"), ["C01", "C05"]);
    assert_eq!(select_q(&p, "birthday within 59d"), ["C01", "C02", "C05"]);
    assert_eq!(select_q(&p, "birthday within 2m"), ["C01", "C02", "C05"]);
    assert_eq!(select_q(&p, "birthday_month = 1"), ["C01"]);
    assert_eq!(select_q(&p, "birthday is null"), ["C03", "C04"]);
    let why = p
        .compile(&rule(&p, "birthday within 59d"))
        .unwrap()
        .explain("C02")
        .unwrap();
    assert_eq!(
        why.clause.seen.as_deref(),
        Some("birthday = 02-29 (next 2026-02-28)")
    );
    assert_eq!(
        why.clause.note.as_deref(),
        Some("within 59d is 2025-12-31..=2026-02-28")
    );
}

#[test]
fn leap_day_birthdays_in_leap_years() {
    // As of 2028-02-27 (a leap year), a 29 February birthday is 2 days away,
    // and a 28 February one 1 day.
    let orders = [
        Order::new("1", "leap", ymd(2028, 1, 5), Money::new(100)),
        Order::new("2", "feb28", ymd(2028, 1, 5), Money::new(100)),
    ];
    let customers = Customers::new([
        Customer::new("leap").with_birthday(Birthday::new(2, 29).unwrap()),
        Customer::new("feb28").with_birthday(Birthday::new(2, 28).unwrap()),
    ])
    .unwrap();
    let p = build(
        &orders,
        ymd(2028, 2, 27),
        Some(&customers),
        Prospects::Exclude,
    );
    assert_eq!(select_q(&p, "birthday within 1d"), ["feb28"]);
    assert_eq!(select_q(&p, "birthday within 2d"), ["feb28", "leap"]);
}

#[test]
fn first_order_anniversaries() {
    // As of 2026-03-01: C01's first order was 2025-03-02, one year tomorrow;
    // C03's 2024-08-01. A first order inside the window is not an
    // anniversary of itself.
    let mut orders = small_orders();
    orders.push(Order::new("N-1", "new", ymd(2026, 3, 1), Money::new(100)));
    let p = build(&orders, ymd(2026, 3, 1), None, Prospects::Exclude);
    assert_eq!(select_q(&p, "first_order_anniversary within 1d"), ["C01"]);
    assert_eq!(
        select_q(&p, "first_order_anniversary within 0d"),
        Vec::<String>::new()
    );
    assert_eq!(
        select_q(&p, "first_order_anniversary within 1y"),
        ["C01", "C02", "C03", "C04", "C05", "new"]
    );
    // A first order on 29 February 2024 has its anniversary on 28 February
    // in 2025.
    let orders = [Order::new("1", "leap", ymd(2024, 2, 29), Money::new(100))];
    let p = build(&orders, ymd(2025, 2, 27), None, Prospects::Exclude);
    assert_eq!(select_q(&p, "first_order_anniversary within 1d"), ["leap"]);
    assert!(select_q(&p, "first_order_anniversary within 0d").is_empty());
}

// -------------------------------------------------------------- front ends

const WINBACK_QUERY: &str = "segment in (at_risk, cant_lose_them) and monetary >= 30.00 \
                             and last_order < -90d and email_opt_in";

const WINBACK_JSON: &str = r#"{"version":1,"rule":{"and":[
    {"field":"segment","op":"in","value":["at_risk","cant_lose_them"]},
    {"field":"monetary","op":"ge","value":3000},
    {"field":"last_order","op":"lt","value":{"ago":"90d"}},
    {"field":"email_opt_in","op":"eq","value":true}]}}"#;

fn winback_built() -> Rule {
    field::segment()
        .is_in(["at_risk", "cant_lose_them"])
        .unwrap()
        & field::monetary().ge(Money::new(3_000))
        & field::last_order().lt(Period::days(90).ago())
        & field::email_opt_in().is_true()
}

#[test]
fn three_front_ends_build_the_same_rule_and_audience() {
    let p = small();
    let built = winback_built();
    let stored: StoredRule = serde_json::from_str(WINBACK_JSON).unwrap();
    let parsed = rule(&p, WINBACK_QUERY);
    assert_eq!(stored.rule(), &built);
    assert_eq!(parsed, built);
    let audiences: Vec<Vec<String>> = [&built, stored.rule(), &parsed]
        .iter()
        .map(|r| ids(&p.compile(r).unwrap().selected()))
        .collect();
    // C03: cant_lose_them, 300.00, 2025-02-14, opted in. C04 is at_risk
    // with 35.50 and an old order, but has no record: its opt-in is unknown.
    assert_eq!(audiences, vec![vec!["C03".to_owned()]; 3]);
    assert_eq!(built.display_query(2).to_string(), WINBACK_QUERY);
    let json = serde_json::to_string(&StoredRule::new(built)).unwrap();
    let compact: String = WINBACK_JSON.split_whitespace().collect();
    assert_eq!(json, compact);
}

#[test]
fn json_wire_format_of_every_test() {
    let cases: Vec<(Rule, &str)> = vec![
        (
            field::r().between(2, 4),
            r#"{"field":"r","op":"between","value":[2,4]}"#,
        ),
        (
            field::frequency().not_in([1, 2]),
            r#"{"field":"frequency","op":"not_in","value":[1,2]}"#,
        ),
        (
            field::first_store().ne("tokyo"),
            r#"{"field":"first_store","op":"ne","value":"tokyo"}"#,
        ),
        (
            field::tags().contains("vip"),
            r#"{"field":"tags","op":"contains","value":"vip"}"#,
        ),
        (
            field::birthday().within(Period::weeks(2)),
            r#"{"field":"birthday","op":"within","value":"2w"}"#,
        ),
        (
            field::email_opt_in().is_null(),
            r#"{"field":"email_opt_in","op":"is_null"}"#,
        ),
        (
            field::rfm_cell().eq(cell(5, 4, 3)),
            r#"{"field":"rfm_cell","op":"eq","value":"5-4-3"}"#,
        ),
        (
            field::p_alive().le(0.25),
            r#"{"field":"p_alive","op":"le","value":0.25}"#,
        ),
        (
            field::signup_date().ge(ymd(2025, 1, 1)),
            r#"{"field":"signup_date","op":"ge","value":{"date":"2025-01-01"}}"#,
        ),
        (
            field::last_order().gt(Period::months(3).ahead()),
            r#"{"field":"last_order","op":"gt","value":{"ahead":"3m"}}"#,
        ),
        (
            field::attr_bool("vip").is_false(),
            r#"{"field":"attr.vip","op":"eq","value":false}"#,
        ),
        (
            !field::sms_opt_in().is_true(),
            r#"{"not":{"field":"sms_opt_in","op":"eq","value":true}}"#,
        ),
        (Rule::any([]), r#"{"or":[]}"#),
    ];
    for (rule, json) in cases {
        assert_eq!(serde_json::to_string(&rule).unwrap(), json);
        let back: Rule = serde_json::from_str(json).unwrap();
        assert_eq!(back, rule, "{json}");
    }
}

#[test]
fn json_errors_are_clear() {
    let bad = |json: &str| {
        serde_json::from_str::<StoredRule>(json)
            .unwrap_err()
            .to_string()
    };
    let wrap = |rule: &str| format!(r#"{{"version":1,"rule":{rule}}}"#);
    assert!(
        bad(r#"{"version":7,"rule":{}}"#)
            .starts_with("rule format version 7 is not supported; this rfmkit reads version 1")
    );
    assert!(bad(r#"{"rule":{"and":[]}}"#).contains("missing field `version`"));
    assert!(
        bad(&wrap(r#"{"field":"monetory","op":"ge","value":1}"#))
            .starts_with("unknown field 'monetory'; did you mean 'monetary'?")
    );
    assert!(
        bad(&wrap(r#"{"field":"monetary","op":"ge","value":"300.00"}"#)).starts_with(
            "monetary: expected an amount in integer minor units in JSON, found a string"
        )
    );
    assert!(
        bad(&wrap(r#"{"field":"segment","op":"ge","value":"at_risk"}"#))
            .starts_with("segment: '>=' does not apply to segment names")
    );
    assert!(
        bad(&wrap(r#"{"and":[],"or":[]}"#))
            .starts_with("rule: a rule is an object with exactly one")
    );
    assert!(
        bad(&wrap(r#"{"field":"r","op":"eq","value":1,"extra":2}"#))
            .contains("unknown field `extra`")
    );
    assert!(
        bad(&wrap(r#"{"field":"r","op":"between","value":[1]}"#))
            .starts_with("r: op between needs a list of two values")
    );
    assert!(
        bad(&wrap(r#"{"field":"r","op":"is_null","value":1}"#))
            .starts_with("r: op is_null takes no value")
    );
    assert!(
        bad(&wrap(
            r#"{"field":"birthday","op":"within","value":"7 days"}"#
        ))
        .contains("is not a period")
    );
}

#[test]
fn canonical_text() {
    let schema = Schema::default();
    let canon = |q: &str| {
        Rule::parse(q, &schema)
            .unwrap()
            .display_query(2)
            .to_string()
    };
    let cases = [
        ("r>=4 AND f>=4", "r >= 4 and f >= 4"),
        ("(a_b_c_d_e)", ""),
        ("email_opt_in = true", "email_opt_in"),
        ("email_opt_in == false", "email_opt_in = false"),
        ("frequency <> 1", "frequency != 1"),
        ("not not sms_opt_in", "not not sms_opt_in"),
        ("(r = 1 or r = 2) and f = 1", "(r = 1 or r = 2) and f = 1"),
        ("r = 1 or (r = 2 and f = 1)", "r = 1 or r = 2 and f = 1"),
        ("(r = 1 and f = 1) and m = 1", "(r = 1 and f = 1) and m = 1"),
        ("all(r = 1)", "all(r = 1)"),
        ("ANY()", "any()"),
        ("monetary >= 5", "monetary >= 5.00"),
        ("first_store = 'and'", "first_store = \"and\""),
        ("first_store = \"tokyo\"", "first_store = tokyo"),
        (
            "first_store in ('two words', 12, x)",
            "first_store in (\"two words\", \"12\", x)",
        ),
        ("attr.\"shoe size\" >= 24.5", "attr.\"shoe size\" >= 24.5"),
        (
            "tags contains \"say \\\"hi\\\"\"",
            "tags contains \"say \\\"hi\\\"\"",
        ),
        ("last_order>=+0d", "last_order >= +0d"),
        ("segment not in (\"null\")", "segment not in (\"null\")"),
    ];
    for (query, want) in cases {
        if want.is_empty() {
            assert!(Rule::parse(query, &schema).is_err(), "{query}");
        } else {
            assert_eq!(canon(query), want, "{query}");
            assert_eq!(canon(want), want, "{want} is not a fixed point");
        }
    }
    // Yen: scale 0.
    let yen = Schema::builder().scale(0).build().unwrap();
    let r = Rule::parse("monetary >= 3000", &yen).unwrap();
    assert_eq!(r, field::monetary().ge(Money::new(3000)));
    assert_eq!(r.display_query(0).to_string(), "monetary >= 3000");
}

// ------------------------------------------------------------ query errors

fn parse_err(query: &str) -> Error {
    let p = small();
    Rule::parse(query, &p.schema()).unwrap_err()
}

#[test]
fn query_errors_point_at_the_column() {
    let cases = [
        (
            "segment in (at_risk, cant_lose_them) and monetary >= abc",
            "column 54: expected a number after '>=', found 'abc'",
        ),
        (
            "monetory >= 300",
            "column 1: unknown field 'monetory'; did you mean 'monetary'?",
        ),
        (
            "segment = at_rsik",
            "column 11: unknown segment 'at_rsik'; did you mean 'at_risk'?",
        ),
        (
            "segment = At_Risk",
            "column 11: unknown segment 'At_Risk'; did you mean 'at_risk'?",
        ),
        ("segment = vip", "column 11: unknown segment 'vip'"),
        (
            "store = tokyo",
            "column 1: unknown field 'store'; did you mean 'first_store'?",
        ),
        (
            "points > 3",
            "column 1: unknown field 'points'; did you mean 'attr.points'?",
        ),
        (
            "attr.pionts > 3",
            "column 1: unknown field 'attr.pionts'; did you mean 'attr.points'?",
        ),
        (
            "attr.tier > 3",
            "column 11: expected a test of texts after 'attr.tier' (the type it holds), found '>'",
        ),
        (
            "(frequency > 1 and (r = 5)",
            "column 27: expected ')' to close the '(' at column 1, found end of query",
        ),
        (
            "frequency > 1)",
            "column 14: expected 'and', 'or' or end of query (this ')' has no '('), found ')'",
        ),
        (
            "monetary >= 1.005",
            "column 13: expected a number with at most 2 decimals after '>=', found '1.005'",
        ),
        (
            "frequency >= 1.5",
            "column 14: expected a whole number after '>=', found '1.5'",
        ),
        (
            "last_order < 90d",
            "column 14: expected a date (2025-12-31) or a relative date with a sign (-90d, +7d) after '<', found '90d'",
        ),
        (
            "last_order < 2025-02-30",
            "column 14: expected a real calendar date (YYYY-MM-DD), found '2025-02-30'",
        ),
        (
            "birthday > 2025-01-01",
            "column 10: expected within (such as within 7d) or is null after 'birthday' (a field of birthdays and anniversaries), found '>'",
        ),
        (
            "last_order within 30d",
            "column 12: expected =, !=, <, <=, >, >=, between, in, not in, is null after 'last_order' (a field of dates), found 'within'",
        ),
        (
            "monetary",
            "column 9: expected =, !=, <, <=, >, >=, between, in, not in, is null after 'monetary', found end of query",
        ),
        (
            "r = 1 and",
            "column 10: expected a field name, 'not' or '(', found end of query",
        ),
        (
            "r = 1 or or f = 1",
            "column 10: expected a field name, 'not' or '(', found 'or'",
        ),
        (
            "rfm_cell = 5-4-0",
            "column 12: expected an RFM cell with scores 1..=100, such as 5-4-3, found '5-4-0'",
        ),
        (
            "tags contains",
            "column 14: expected a text (web, or \"two words\") after 'contains', found end of query",
        ),
        (
            "frequency in (1, 2",
            "column 19: expected ')' to close the list at column 14, found end of query",
        ),
        (
            "r = 1 & f = 1",
            "column 7: expected a field, a value, an operator or a parenthesis, found '&'",
        ),
        (
            "r between 1 or 2",
            "column 13: expected 'and' between the two bounds of 'between', found 'or'",
        ),
        (
            "tags contains 会員 and mönetary > 1",
            "column 22: unknown field 'mönetary'; did you mean 'monetary'?",
        ),
    ];
    for (query, message) in cases {
        let err = parse_err(query);
        assert_eq!(err.to_string(), message, "{query}");
        assert!(
            matches!(err.location(), Some(Location::Query(QueryPosition { .. }))),
            "{query}"
        );
    }
    // The byte offset and the character column differ after non-ASCII text.
    let err = parse_err("tags contains 会員 and mönetary > 1");
    assert_eq!(
        err.location(),
        Some(Location::Query(QueryPosition {
            offset: 25,
            column: 22
        }))
    );
    assert!(matches!(
        parse_err("segment = at_rsik"),
        Error::UnknownSegment { position: Some(QueryPosition { offset: 10, column: 11 }), ref name, suggestion: Some(ref s) }
            if name == "at_rsik" && s == "at_risk"
    ));
}

#[test]
fn random_bytes_give_errors_not_panics() {
    let schema = Schema::default();
    for input in [
        "\u{0}",
        "\"",
        "'",
        "\\",
        "((((((",
        "))))",
        "-",
        "+",
        "--5",
        "5-",
        "5-4",
        "1e9",
        ".5",
        "attr.",
        "attr.(",
        "r = 1 ,",
        "r in ()",
        "r in (,)",
        "!",
        "<",
        "=",
        "\u{feff}r = 1",
        "9999-99-99",
        "1-2-3-4",
        "99999999999999999999d",
        "r = 99999999999999999999",
        "monetary = 99999999999999999.99",
        "tags contains '\\x'",
        "all(",
        "any(r = 1,",
    ] {
        let result = Rule::parse(input, &schema);
        if input == "r in ()" {
            assert!(result.is_ok());
        } else {
            assert!(
                matches!(
                    result,
                    Err(Error::QueryParse { .. } | Error::UnknownField { .. })
                ),
                "{input:?}: {result:?}"
            );
        }
    }
}

#[test]
fn compile_checks_rules_from_json_and_by_hand() {
    let p = small();
    let unknown = field::segment().eq("vip").unwrap();
    assert_eq!(
        p.compile(&unknown).unwrap_err(),
        Error::UnknownSegment {
            position: None,
            name: "vip".into(),
            suggestion: None
        }
    );
    let typo = field::segment().eq("loyl").unwrap();
    assert_eq!(
        p.compile(&typo).unwrap_err().to_string(),
        "unknown segment 'loyl'; did you mean 'loyal'?"
    );
    let mismatch = Rule::Condition(rfmkit::audience::Condition::new(
        Field::Monetary,
        Test::Ge(Value::Integer(3)),
    ));
    assert_eq!(
        p.compile(&mismatch).unwrap_err().to_string(),
        "monetary: '>=' needs amounts here, found a whole number"
    );
    let nan = field::p_alive().gt(f64::NAN);
    assert!(matches!(p.compile(&nan), Err(Error::InvalidRule { .. })));
    let mut deep = field::r().eq(1);
    for _ in 0..600 {
        deep = !deep;
    }
    assert!(matches!(
        p.compile(&deep),
        Err(Error::RuleTooDeep { max: 48 })
    ));
}

// ------------------------------------------------------------------ explain

#[test]
fn explain_names_every_clause_and_value() {
    let p = small();
    let compiled = p.compile(&winback_built()).unwrap();
    let why = compiled.explain("C04").unwrap();
    assert!(!why.selected);
    let rows: Vec<(Truth, &str, Option<&str>, Option<&str>)> = why
        .clause
        .clauses
        .iter()
        .map(|c| {
            (
                c.result,
                c.text.as_str(),
                c.seen.as_deref(),
                c.note.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                Truth::True,
                "segment in (at_risk, cant_lose_them)",
                Some("segment = at_risk"),
                None
            ),
            (
                Truth::True,
                "monetary >= 30.00",
                Some("monetary = 35.50"),
                None
            ),
            (
                Truth::True,
                "last_order < -90d",
                Some("last_order = 2025-10-01"),
                Some("-90d is 2025-10-02")
            ),
            (
                Truth::Unknown,
                "email_opt_in",
                Some("email_opt_in is missing"),
                None
            ),
        ]
    );
    assert_eq!(why.clause.result, Truth::Unknown.and(Truth::True));
    let text = why.to_string();
    assert_eq!(
        text.lines().next(),
        Some("customer C04: not selected (the rule is unknown: a value it needs is missing)")
    );
    assert_eq!(
        text.lines().nth(4),
        Some("  true     last_order < -90d  [last_order = 2025-10-01; -90d is 2025-10-02]")
    );
    let yes = compiled.explain("C03").unwrap();
    assert!(yes.selected);
    assert!(compiled.explain("nobody").is_none());
    // Explanations serialize for back ends.
    let json = serde_json::to_value(&yes).unwrap();
    assert_eq!(json["clause"]["result"], "true");
    assert_eq!(
        json["clause"]["clauses"][0]["seen"],
        "segment = cant_lose_them"
    );
}

// ------------------------------------------------------------------ campaign

#[test]
fn audience_set_operations() {
    let p = small();
    let a = Audience::select(&p, &rule(&p, "monetary >= 45.00")).unwrap();
    let b = Audience::select(&p, &rule(&p, "recency_days < 50")).unwrap();
    assert_eq!(audience_ids(&a), ["C01", "C02", "C03", "C05"]);
    assert_eq!(audience_ids(&b), ["C01", "C02", "C05"]);
    assert_eq!(audience_ids(&a.intersection(&b)), ["C01", "C02", "C05"]);
    assert_eq!(audience_ids(&a.difference(&b)), ["C03"]);
    let c: Audience = ["C04", "Z"].into_iter().collect();
    assert_eq!(
        audience_ids(&a.union(&c)),
        ["C01", "C02", "C03", "C04", "C05", "Z"]
    );
    assert_eq!(serde_json::to_string(&c).unwrap(), r#"["C04","Z"]"#);
    let back: Audience = serde_json::from_str(r#"["Z","C04","Z"]"#).unwrap();
    assert_eq!(back, c);
}

#[test]
fn campaign_steps_in_order() {
    let p = small();
    let mut suppression = Suppression::new();
    suppression.insert("C01", SuppressionReason::Unsubscribed);
    suppression.insert("C09", SuppressionReason::Complained); // not selected anyway
    let campaign = Campaign::builder("fixture", Rule::everyone())
        .limit(Limit::new(3, Field::Monetary, SortOrder::Descending).unwrap())
        .build()
        .unwrap();
    let run = campaign.run(&p, &suppression).unwrap();
    // Eligible by monetary: C03 300.00, C02 45.00, C05 45.00 (tie: id order),
    // C04 35.50.
    assert_eq!(run.matched, 5);
    assert_eq!(audience_ids(&run.suppressed), ["C01"]);
    assert_eq!(audience_ids(&run.target), ["C02", "C03", "C05"]);
    assert_eq!(audience_ids(&run.over_limit), ["C04"]);
    assert!(run.control.is_empty());
    let top = |n, by, order| {
        Campaign::builder("t", Rule::everyone())
            .limit(Limit::new(n, by, order).unwrap())
            .build()
            .unwrap()
            .run(&p, &Suppression::new())
            .unwrap()
            .target
    };
    assert_eq!(
        audience_ids(&top(1, Field::Monetary, SortOrder::Ascending)),
        ["C04"]
    );
    assert_eq!(
        audience_ids(&top(3, Field::Monetary, SortOrder::Descending)),
        ["C01", "C02", "C03"]
    );
    // Latest first orders: C02 (12-20), C05 (11-15).
    assert_eq!(
        audience_ids(&top(2, Field::FirstOrder, SortOrder::Descending)),
        ["C02", "C05"]
    );
    // Missing values rank last: nobody has p_alive, so ids decide.
    assert_eq!(
        audience_ids(&top(2, Field::PAlive, SortOrder::Descending)),
        ["C01", "C02"]
    );
    assert!(Limit::new(1, Field::Tags, SortOrder::Ascending).is_err());
}

#[test]
fn campaign_config_is_validated_and_serialized() {
    let bad = |c: Result<Campaign, Error>| match c.unwrap_err() {
        Error::InvalidConfig { field, .. } => field,
        other => panic!("{other}"),
    };
    assert_eq!(bad(Campaign::builder("", Rule::everyone()).build()), "key");
    assert_eq!(
        bad(Campaign::builder("k", Rule::everyone())
            .control(1.5)
            .build()),
        "control"
    );
    assert_eq!(
        bad(Campaign::builder("k", Rule::everyone())
            .control(f64::NAN)
            .build()),
        "control"
    );
    let campaign = Campaign::builder("winback", winback_built())
        .control(0.1)
        .limit(Limit::new(100, Field::Monetary, SortOrder::Descending).unwrap())
        .build()
        .unwrap();
    let json = serde_json::to_string(&campaign).unwrap();
    assert!(json.starts_with(r#"{"version":1,"key":"winback","rule":{"and":["#));
    assert!(
        json.ends_with(
            r#""control":0.1,"limit":{"count":100,"by":"monetary","order":"descending"}}"#
        )
    );
    let back: Campaign = serde_json::from_str(&json).unwrap();
    assert_eq!(back, campaign);
    let v2 = json.replacen("\"version\":1", "\"version\":2", 1);
    assert!(serde_json::from_str::<Campaign>(&v2).is_err());
    let bad_limit = json.replacen("\"by\":\"monetary\"", "\"by\":\"segment\"", 1);
    assert!(serde_json::from_str::<Campaign>(&bad_limit).is_err());
}

#[test]
fn control_draw_is_pinned() {
    // Golden values, also computed with an independent SipHash-2-4 in
    // Python: a change here breaks every stored campaign's control group.
    assert_eq!(control_draw("spring-sale", "C00000001"), SPRING_C1);
    assert_eq!(control_draw("", ""), EMPTY_EMPTY);
    // The key's length prefix keeps ("ab", "c") and ("a", "bc") apart.
    assert_ne!(control_draw("ab", "c"), control_draw("a", "bc"));
}

const SPRING_C1: f64 = 0.043775690893709696;
const EMPTY_EMPTY: f64 = 0.9073777635203375;

/// `n` ids like the simulator's.
fn many_ids(n: u32) -> Vec<String> {
    (0..n)
        .map(|i| format!("C{:08}", u64::from(i) * 61_803_399 % 100_000_000))
        .collect()
}

#[test]
fn control_group_proportion_is_binomial() {
    // 100,000 ids at 10%: mean 10,000, sd √(100000·0.1·0.9) ≈ 94.9; allow 4 sd.
    for key in ["spring-sale", "winback-2025-12"] {
        let held = many_ids(100_000)
            .iter()
            .filter(|id| in_control(key, id, 0.1))
            .count();
        assert!((9_620..=10_380).contains(&held), "{key}: {held}");
    }
    // Two campaigns hold out (nearly) independent groups: 1% expected overlap.
    let both = many_ids(100_000)
        .iter()
        .filter(|id| in_control("a", id, 0.1) && in_control("b", id, 0.1))
        .count();
    assert!((880..=1_120).contains(&both), "{both}");
}

fn sim_profiles(customers: usize, orders: usize, seed: u64) -> (Profiles, Vec<Order>, Customers) {
    let shop = SimConfig::builder()
        .customers(customers)
        .orders(orders)
        .seed(seed)
        .build()
        .unwrap()
        .generate();
    let as_of = shop.as_of();
    let (records, orders) = shop.into_parts();
    let summaries = Summaries::from_orders(&orders, as_of).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    let segmentation = SegmentTable::standard().segment_all(&scores).unwrap();
    let profiles = Profiles::builder(&segmentation, &summaries)
        .customers(&records)
        .build()
        .unwrap();
    (profiles, orders, records)
}

#[test]
fn control_group_is_independent_of_segment() {
    let (p, _, _) = sim_profiles(20_000, 80_000, 11);
    let campaign = Campaign::builder("holdout-test", Rule::everyone())
        .control(0.2)
        .build()
        .unwrap();
    let run = campaign.run(&p, &Suppression::new()).unwrap();
    // A 2 x k contingency table (segment x held out): Pearson's chi-square
    // against independence, df = k - 1 <= 11; the 0.1% critical value for
    // df = 11 is 31.3.
    let segments: Vec<String> = p
        .segment_table()
        .segments()
        .map(ToString::to_string)
        .collect();
    let total = p.len() as f64;
    let held_share = run.control.len() as f64 / total;
    let mut chi2 = 0.0;
    for segment in &segments {
        let members: Vec<CustomerId> = p
            .customers()
            .iter()
            .filter(|c| {
                p.get(c.as_str())
                    .unwrap()
                    .segment
                    .as_ref()
                    .map(|s| s.as_str())
                    == Some(segment)
            })
            .cloned()
            .collect();
        if members.is_empty() {
            continue;
        }
        let n = members.len() as f64;
        let held = members
            .iter()
            .filter(|c| run.control.contains(c.as_str()))
            .count() as f64;
        for (observed, expected) in [(held, n * held_share), (n - held, n * (1.0 - held_share))] {
            chi2 += (observed - expected).powi(2) / expected;
        }
    }
    assert!(chi2 < 31.3, "chi-square {chi2}");
    assert!(
        (held_share - 0.2).abs() < 4.0 * (0.2 * 0.8 / total).sqrt(),
        "{held_share}"
    );
}

#[test]
fn control_group_is_stable_under_shuffling_and_new_customers() {
    let (p, mut orders, records) = sim_profiles(2_000, 8_000, 5);
    let campaign = Campaign::builder("stable", Rule::everyone())
        .control(0.1)
        .build()
        .unwrap();
    let first = campaign.run(&p, &Suppression::new()).unwrap();
    assert!(!first.control.is_empty());
    // Reverse the order log and add unrelated customers.
    orders.reverse();
    let as_of = p.as_of();
    for i in 0..500 {
        orders.push(Order::new(
            format!("X-{i}"),
            format!("new-{i:03}"),
            as_of,
            Money::new(100),
        ));
    }
    let summaries = Summaries::from_orders(&orders, as_of).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    let segmentation = SegmentTable::standard().segment_all(&scores).unwrap();
    let bigger = Profiles::builder(&segmentation, &summaries)
        .customers(&records)
        .build()
        .unwrap();
    let second = campaign.run(&bigger, &Suppression::new()).unwrap();
    let old: Audience = p.customers().iter().cloned().collect();
    assert_eq!(second.control.intersection(&old), first.control);
    assert_eq!(second.target.intersection(&old), first.target);
}

/// The win-back audience of a simulated shop, filtered by hand from the
/// summaries, segments and records (not through profiles or rules).
#[test]
fn marketer_query_matches_a_hand_written_filter() {
    let shop = SimConfig::builder()
        .customers(5_000)
        .orders(25_000)
        .seed(3)
        .build()
        .unwrap()
        .generate();
    let as_of = shop.as_of();
    let summaries = Summaries::from_orders(shop.orders(), as_of).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    let segmentation = SegmentTable::standard().segment_all(&scores).unwrap();
    let p = Profiles::builder(&segmentation, &summaries)
        .customers(shop.customers())
        .build()
        .unwrap();
    let query = "segment in (at_risk, cant_lose_them, loyal) and monetary >= 300.00 \
                 and last_order < -90d and email_opt_in and not tags contains vip \
                 and first_channel != web";
    let got = select_q(&p, query);
    let cutoff = as_of - chrono::Days::new(90);
    let want: Vec<String> = segmentation
        .iter()
        .filter(|c| ["at_risk", "cant_lose_them", "loyal"].contains(&c.segment.as_str()))
        .filter(|c| c.scored.monetary >= Money::new(30_000))
        .filter(|c| {
            let s = summaries.get(c.scored.customer.as_str()).unwrap();
            let record = shop.customers().get(c.scored.customer.as_str()).unwrap();
            s.last_order_date().unwrap() < cutoff
                && record.email_opt_in()
                && !record.tags().contains("vip")
                && s.first_channel().is_some_and(|ch| ch.as_str() != "web")
        })
        .map(|c| c.scored.customer.to_string())
        .collect();
    assert!(
        want.len() > 10,
        "the query should select someone: {}",
        want.len()
    );
    assert_eq!(got, want);
}

// ---------------------------------------------------------------- proptests

/// A text that exercises quoting: keywords, quotes, spaces, non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        select(
            &[
                "web",
                "and",
                "NULL",
                "x y",
                "\"",
                "\\",
                "'",
                "会員",
                "",
                "12",
                "2025-01-01",
                "a-b"
            ][..]
        )
        .prop_map(str::to_owned),
        "\\PC{0,6}",
        "[a-z_][a-z0-9_]{0,6}",
    ]
}

fn segment_name() -> impl Strategy<Value = String> {
    prop_oneof![
        select(&["at_risk", "champions", "null", "and", "in", "x1"][..]).prop_map(str::to_owned),
        "[a-z][a-z0-9_]{0,8}",
    ]
}

fn period() -> impl Strategy<Value = Period> {
    (
        any::<u32>(),
        select(
            &[
                PeriodUnit::Days,
                PeriodUnit::Weeks,
                PeriodUnit::Months,
                PeriodUnit::Years,
            ][..],
        ),
    )
        .prop_map(|(n, u)| Period::new(n, u))
}

fn date_value() -> impl Strategy<Value = DateValue> {
    prop_oneof![
        (0i32..=9999, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| DateValue::Exact(ymd(y, m, d))),
        period().prop_map(Period::ago),
        period().prop_map(Period::ahead),
    ]
}

/// A value of type `ty`; `finite` numbers are arbitrary when `wild`, else
/// short decimals (which every JSON parser reads back exactly).
fn value_of(ty: &'static str, wild: bool) -> BoxedStrategy<Value> {
    match ty {
        "int" => any::<i64>().prop_map(Value::Integer).boxed(),
        "money" => any::<i64>()
            .prop_map(|m| Value::Money(Money::new(m)))
            .boxed(),
        "number" if wild => any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Value::Number)
            .boxed(),
        "number" => (-1_000_000i32..1_000_000)
            .prop_map(|x| Value::Number(f64::from(x) / 100.0))
            .boxed(),
        "date" => date_value().prop_map(Value::Date).boxed(),
        "text" => text().prop_map(Value::Text).boxed(),
        "bool" => any::<bool>().prop_map(Value::Bool).boxed(),
        "segment" => segment_name()
            .prop_map(|s| Value::Segment(rfmkit::segment::Segment::new(&s).unwrap()))
            .boxed(),
        _ => (1u8..=100, 1u8..=100, 1u8..=100)
            .prop_map(|(r, f, m)| Value::Cell(cell(r, f, m)))
            .boxed(),
    }
}

fn ordered_test(ty: &'static str, wild: bool) -> BoxedStrategy<Test> {
    let v = move || value_of(ty, wild);
    prop_oneof![
        v().prop_map(Test::Eq),
        v().prop_map(Test::Ne),
        v().prop_map(Test::Lt),
        v().prop_map(Test::Le),
        v().prop_map(Test::Gt),
        v().prop_map(Test::Ge),
        (v(), v()).prop_map(|(a, b)| Test::Between(a, b)),
        proptest::collection::vec(v(), 0..3).prop_map(Test::In),
        proptest::collection::vec(v(), 0..3).prop_map(Test::NotIn),
        Just(Test::IsNull),
        Just(Test::IsNotNull),
    ]
    .boxed()
}

fn equality_test(ty: &'static str, wild: bool, contains: bool) -> BoxedStrategy<Test> {
    let v = move || value_of(ty, wild);
    let base = prop_oneof![
        v().prop_map(Test::Eq),
        v().prop_map(Test::Ne),
        proptest::collection::vec(v(), 0..3).prop_map(Test::In),
        proptest::collection::vec(v(), 0..3).prop_map(Test::NotIn),
        Just(Test::IsNull),
        Just(Test::IsNotNull),
    ];
    if contains {
        prop_oneof![base, v().prop_map(Test::Contains)].boxed()
    } else {
        base.boxed()
    }
}

/// Any valid condition, on any field.
fn condition(wild: bool) -> BoxedStrategy<Rule> {
    let cond = |field: Field, test: BoxedStrategy<Test>| {
        test.prop_map(move |t| Rule::Condition(rfmkit::audience::Condition::new(field.clone(), t)))
            .boxed()
    };
    let ints = select(
        &[
            Field::RecencyDays,
            Field::Frequency,
            Field::DaysSinceFirstOrder,
            Field::R,
            Field::F,
            Field::M,
            Field::BirthdayMonth,
        ][..],
    );
    let attr_name = prop_oneof![
        select(&["points", "tier", "and", "two words", ""][..]).prop_map(str::to_owned),
        "\\PC{0,5}"
    ];
    prop_oneof![
        ints.prop_flat_map(move |f| cond(f, ordered_test("int", wild))),
        select(
            &[
                Field::Monetary,
                Field::AverageOrderValue,
                Field::PredictedClv
            ][..]
        )
        .prop_flat_map(move |f| cond(f, ordered_test("money", wild))),
        select(&[Field::PAlive, Field::ExpectedPurchases][..])
            .prop_flat_map(move |f| cond(f, ordered_test("number", wild))),
        select(&[Field::FirstOrder, Field::LastOrder, Field::SignupDate][..])
            .prop_flat_map(move |f| cond(f, ordered_test("date", wild))),
        select(
            &[
                Field::FirstChannel,
                Field::FirstStore,
                Field::AcquisitionChannel
            ][..]
        )
        .prop_flat_map(move |f| cond(f, equality_test("text", wild, true))),
        cond(Field::Segment, equality_test("segment", wild, false)),
        cond(Field::RfmCell, equality_test("cell", wild, false)),
        select(&[Field::EmailOptIn, Field::SmsOptIn][..]).prop_flat_map(move |f| {
            cond(
                f,
                prop_oneof![
                    any::<bool>().prop_map(|b| Test::Eq(Value::Bool(b))),
                    any::<bool>().prop_map(|b| Test::Ne(Value::Bool(b))),
                    Just(Test::IsNull),
                ]
                .boxed(),
            )
        }),
        cond(
            Field::Tags,
            prop_oneof![
                text().prop_map(|t| Test::Contains(Value::Text(t))),
                Just(Test::IsNotNull)
            ]
            .boxed()
        ),
        select(&[Field::Birthday, Field::FirstOrderAnniversary][..]).prop_flat_map(move |f| {
            cond(
                f,
                prop_oneof![period().prop_map(Test::Within), Just(Test::IsNull)].boxed(),
            )
        }),
        (attr_name, select(&["text", "number", "bool", "date"][..])).prop_flat_map(
            move |(name, ty)| {
                let test = if ty == "text" {
                    equality_test("text", wild, true)
                } else if ty == "bool" {
                    prop_oneof![
                        any::<bool>().prop_map(|b| Test::Eq(Value::Bool(b))),
                        Just(Test::IsNull)
                    ]
                    .boxed()
                } else {
                    ordered_test(ty, wild)
                };
                cond(Field::Attribute(name), test)
            }
        ),
    ]
    .boxed()
}

fn any_rule(wild: bool) -> impl Strategy<Value = Rule> {
    condition(wild).prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Rule::All),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Rule::Any),
            inner.prop_map(|r| !r),
        ]
    })
}

/// Tokens, near-valid and not, to glue into query-like soup.
const TOKENS: [&str; 40] = [
    "segment",
    "monetary",
    "last_order",
    "email_opt_in",
    "tags",
    "birthday",
    "attr",
    ".",
    "points",
    "rfm_cell",
    "and",
    "or",
    "not",
    "in",
    "between",
    "contains",
    "is",
    "null",
    "within",
    "all",
    "any",
    "(",
    ")",
    ",",
    "=",
    "!=",
    ">=",
    "<",
    "-90d",
    "7d",
    "300.00",
    "2025-12-31",
    "5-4-3",
    "\"x",
    "'y'",
    "at_risk",
    "true",
    "-",
    "会員",
    "\\",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn print_then_parse_gives_the_same_rule(rule in any_rule(true), scale in 0u32..=4) {
        let schema = Schema::builder().scale(scale).build().unwrap();
        let text = rule.display_query(scale).to_string();
        let back = Rule::parse(&text, &schema);
        prop_assert_eq!(back.as_ref(), Ok(&rule), "{}", text);
    }

    #[test]
    fn json_round_trips(rule in any_rule(false)) {
        let json = serde_json::to_string(&StoredRule::new(rule.clone())).unwrap();
        let back: StoredRule = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.rule(), &rule, "{}", json);
    }

    #[test]
    fn the_parser_never_panics_on_any_string(input in "\\PC{0,40}|.{0,40}") {
        let _ = Rule::parse(&input, &Schema::default());
    }

    #[test]
    fn the_parser_never_panics_on_token_soup(tokens in proptest::collection::vec(select(&TOKENS[..]), 0..14), glue in any::<bool>()) {
        let input = tokens.join(if glue { "" } else { " " });
        let small = small_schema();
        match Rule::parse(&input, &small) {
            Ok(rule) => {
                // Whatever parses prints back to itself.
                let again = Rule::parse(&rule.display_query(2).to_string(), &small);
                prop_assert_eq!(again, Ok(rule));
            }
            Err(err) => prop_assert!(err.location().is_some(), "{}: {}", input, err),
        }
    }
}

fn small_schema() -> Schema {
    Schema::builder()
        .segments(&SegmentTable::standard())
        .attribute("points", rfmkit::audience::ValueType::Number)
        .build()
        .unwrap()
}

/// Rules over the values a small simulated shop has.
fn shop_condition() -> BoxedStrategy<Rule> {
    let segments = select(
        &[
            "champions",
            "loyal",
            "potential_loyalist",
            "new",
            "promising",
            "need_attention",
            "about_to_sleep",
            "cant_lose_them",
            "at_risk",
            "dormant",
            "lost",
            "other",
        ][..],
    );
    prop_oneof![
        (0i64..=400).prop_map(|n| field::recency_days().le(n)),
        (1i64..=6).prop_map(|n| field::frequency().ge(n)),
        (0i64..=60_000).prop_map(|m| field::monetary().gt(Money::new(m))),
        (1i64..=5, 1i64..=5).prop_map(|(a, b)| field::r().between(a, b)),
        (1i64..=5).prop_map(|n| field::m().ne(n)),
        proptest::collection::vec(segments, 0..4).prop_map(|s| field::segment().is_in(s).unwrap()),
        (0u32..=500).prop_map(|n| field::last_order().ge(Period::days(n).ago())),
        (0u32..=60).prop_map(|n| field::birthday().within(Period::days(n))),
        (0u32..=60).prop_map(|n| field::first_order_anniversary().within(Period::days(n))),
        Just(field::email_opt_in().is_true()),
        Just(field::sms_opt_in().is_null()),
        Just(field::tags().contains("vip")),
        Just(field::tags().contains("newsletter")),
        Just(field::first_channel().eq("web")),
        (0i64..=20_000).prop_map(|n| field::attr_number("points").ge(n as f64)),
        Just(field::attr_text("prefecture").contains("a")),
    ]
    .boxed()
}

fn shop_rule() -> impl Strategy<Value = Rule> {
    shop_condition().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Rule::All),
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Rule::Any),
            inner.prop_map(|r| !r),
        ]
    })
}

fn shop() -> &'static (Profiles, Profiles) {
    static SHOP: std::sync::OnceLock<(Profiles, Profiles)> = std::sync::OnceLock::new();
    SHOP.get_or_init(|| {
        let (p, orders, records) = sim_profiles(300, 1_200, 9);
        let summaries = Summaries::from_orders(&orders, p.as_of()).unwrap();
        let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
        let segmentation = SegmentTable::standard().segment_all(&scores).unwrap();
        let with_prospects = Profiles::builder(&segmentation, &summaries)
            .customers(&records)
            .prospects(Prospects::Include)
            .build()
            .unwrap();
        (p, with_prospects)
    })
}

fn selected(p: &Profiles, rule: &Rule) -> Audience {
    Audience::select(p, rule).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn audience_algebra_holds(a in shop_rule(), b in shop_rule()) {
        let (p, _) = shop();
        let sa = selected(p, &a);
        let both = selected(p, &(a.clone() & b.clone()));
        let either = selected(p, &(a.clone() | b));
        prop_assert_eq!(both.difference(&sa).len(), 0);
        prop_assert_eq!(sa.difference(&either).len(), 0);
        prop_assert!(sa.intersection(&selected(p, &!a)).is_empty());
    }

    #[test]
    fn bulk_and_per_customer_evaluation_agree(rule in shop_rule()) {
        let (_, p) = shop();
        let compiled = p.compile(&rule).unwrap();
        let bulk: BTreeSet<CustomerId> = compiled.selected().into_iter().collect();
        let tally = compiled.tally();
        let mut counts = [0usize; 3];
        for id in p.customers() {
            let t = compiled.matches(id.as_str()).unwrap();
            prop_assert_eq!(t == Truth::True, bulk.contains(id));
            prop_assert_eq!(compiled.explain(id.as_str()).unwrap().clause.result, t);
            counts[match t { Truth::True => 0, Truth::False => 1, _ => 2 }] += 1;
        }
        prop_assert_eq!(counts, [tally.selected, tally.rejected, tally.unknown]);
    }

    #[test]
    fn audiences_are_subsets_of_the_scored_customers(rule in shop_rule(), fraction in 0.0f64..=1.0, n in 0usize..50) {
        let (p, _) = shop();
        let campaign = Campaign::builder("prop", rule)
            .control(fraction)
            .limit(Limit::new(n, Field::Monetary, SortOrder::Descending).unwrap())
            .build()
            .unwrap();
        let mut suppression = Suppression::new();
        for id in p.customers().iter().step_by(7) {
            suppression.insert(id.clone(), SuppressionReason::RecentlyContacted);
        }
        let run: CampaignRun = campaign.run(p, &suppression).unwrap();
        let scored: Audience = p.customers().iter().cloned().collect();
        let parts = [&run.target, &run.control, &run.over_limit, &run.suppressed];
        let mut union = Audience::default();
        for part in parts {
            prop_assert!(part.difference(&scored).is_empty());
            prop_assert!(union.intersection(part).is_empty());
            union = union.union(part);
        }
        prop_assert_eq!(union.len(), run.matched);
        prop_assert_eq!(run.target.len() + run.control.len(), n.min(run.matched - run.suppressed.len()));
        prop_assert!(run.suppressed.iter().all(|c| suppression.contains(c.as_str())));
        prop_assert!(run.control.iter().all(|c| campaign.in_control(c.as_str())));
    }
}

#[test]
fn serde_round_trips_of_the_other_public_types() {
    fn round_trip<T>(value: &T) -> T
    where
        T: ::serde::Serialize + ::serde::de::DeserializeOwned,
    {
        serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
    }
    let p = small();
    let profile = p.get("C01").unwrap();
    assert_eq!(round_trip(&profile), profile);
    let compiled = p.compile(&winback_built()).unwrap();
    let why = compiled.explain("C04").unwrap();
    assert_eq!(round_trip(&why), why);
    let tally = compiled.tally();
    assert_eq!(round_trip(&tally), tally);
    let mut pred = PredictedValues::default();
    pred.expected_purchases = Some(1.5);
    assert_eq!(
        serde_json::to_string(&pred).unwrap(),
        r#"{"expected_purchases":1.5}"#
    );
    assert_eq!(round_trip(&pred), pred);
    assert_eq!(
        serde_json::to_string(&Prospects::Include).unwrap(),
        r#""include""#
    );
    assert_eq!(
        serde_json::to_string(&Period::months(3)).unwrap(),
        r#""3m""#
    );
    assert_eq!(
        serde_json::to_string(&Field::Attribute("x y".into())).unwrap(),
        r#""attr.x y""#
    );
    assert_eq!(
        serde_json::to_string(&Truth::Unknown).unwrap(),
        r#""unknown""#
    );
    let mut suppression = Suppression::new();
    suppression.insert("b", SuppressionReason::Other("gdpr".into()));
    suppression.insert("a", SuppressionReason::RecentlyContacted);
    assert_eq!(
        serde_json::to_string(&suppression).unwrap(),
        r#"{"a":"recently_contacted","b":{"other":"gdpr"}}"#
    );
    assert_eq!(round_trip(&suppression), suppression);
    let run = Campaign::builder("k", Rule::everyone())
        .control(0.5)
        .build()
        .unwrap()
        .run(&p, &suppression)
        .unwrap();
    assert_eq!(round_trip(&run), run);
}

// ------------------------------------------------ deep rules (issue 17)

mod deep {
    use rfmkit::Error;
    use rfmkit::audience::{MAX_RULE_DEPTH, Rule, Schema, StoredRule, field};
    use rfmkit::campaign::Campaign;

    fn leaf(i: usize) -> Rule {
        field::frequency().ge(i64::try_from(i % 7).unwrap())
    }

    /// `not not ... not frequency >= 0`, `depth` nots: built iteratively.
    fn nots(depth: usize) -> Rule {
        let mut rule = leaf(0);
        for _ in 0..depth {
            rule = !rule;
        }
        rule
    }

    /// `a and (b or (c and (d or ...)))`: every level is a chain of two,
    /// alternating `and` and `or`: the most JSON levels (two per rule
    /// level) and parentheses every other level in text.
    fn chains(depth: usize) -> Rule {
        let mut rule = leaf(depth);
        for level in 0..depth {
            rule = if level % 2 == 0 {
                Rule::all([leaf(level), rule])
            } else {
                Rule::any([leaf(level), rule])
            };
        }
        rule
    }

    fn shapes(depth: usize) -> [Rule; 2] {
        [nots(depth), chains(depth)]
    }

    #[test]
    fn the_helpers_build_the_depth_they_say() {
        assert_eq!(nots(5).depth(), 5);
        assert_eq!(chains(5).depth(), 5);
        assert_eq!(leaf(1).depth(), 0);
    }

    #[test]
    fn a_rule_at_the_limit_round_trips_through_every_front_end() {
        let schema = Schema::default();
        for rule in shapes(MAX_RULE_DEPTH) {
            assert_eq!(rule.depth(), MAX_RULE_DEPTH);
            // JSON, bare and in the envelope, with serde_json's default
            // recursion limit.
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(serde_json::from_str::<Rule>(&json).unwrap(), rule);
            let stored = serde_json::to_string(&StoredRule::new(rule.clone())).unwrap();
            let back: StoredRule = serde_json::from_str(&stored).unwrap();
            assert_eq!(back.rule(), &rule);
            // Text.
            let text = rule.display_query(2).to_string();
            assert!(!text.contains("..."), "{text}");
            assert_eq!(Rule::parse(&text, &schema).unwrap(), rule);
            // Campaign, and the campaign's JSON.
            let campaign = Campaign::builder("deep", rule.clone()).build().unwrap();
            let json = serde_json::to_string(&campaign).unwrap();
            let loaded: Campaign = serde_json::from_str(&json).unwrap();
            assert_eq!(loaded, campaign);
        }
    }

    fn is_too_deep(err: &Error) -> bool {
        matches!(err, Error::RuleTooDeep { max } if *max == MAX_RULE_DEPTH)
    }

    #[test]
    fn a_rule_one_past_the_limit_is_rejected_by_every_front_end() {
        let schema = Schema::default();
        for rule in shapes(MAX_RULE_DEPTH + 1) {
            assert_eq!(rule.depth(), MAX_RULE_DEPTH + 1);
            // Saving fails (it could not be loaded back) ...
            let err = serde_json::to_string(&rule).unwrap_err();
            assert!(
                err.to_string().contains("rule nests deeper than 48"),
                "{err}"
            );
            assert!(serde_json::to_string(&StoredRule::new(rule.clone())).is_err());
            // ... and so does building a campaign.
            let err = Campaign::builder("deep", rule.clone()).build().unwrap_err();
            assert!(is_too_deep(&err), "{err}");
            assert_eq!(
                err.to_string(),
                "rule nests deeper than 48 levels of and/or/not; flatten it (a and b and c is one level)"
            );
        }
        // JSON written by hand, one level too deep (within serde_json's
        // own limit): rejected with the named error.
        let cond = r#"{"field":"frequency","op":"ge","value":0}"#;
        let n = MAX_RULE_DEPTH + 1;
        let json = format!("{}{cond}{}", r#"{"not":"#.repeat(n), "}".repeat(n));
        let err = serde_json::from_str::<Rule>(&json).unwrap_err();
        assert!(
            err.to_string().contains("rule nests deeper than 48"),
            "{err}"
        );
        let stored = format!(r#"{{"version":1,"rule":{json}}}"#);
        assert!(serde_json::from_str::<StoredRule>(&stored).is_err());
        let at_limit = format!("{}{cond}{}", r#"{"not":"#.repeat(n - 1), "}".repeat(n - 1));
        assert_eq!(
            serde_json::from_str::<Rule>(&at_limit).unwrap(),
            nots(n - 1)
        );
        // Text one level too deep: `not` 49 times, and an `or` of `and`s
        // nested with parentheses.
        let text = format!("{}frequency >= 0", "not ".repeat(n));
        assert!(Rule::parse(&text, &schema).is_err());
        let inner = chains(n - 1);
        assert!(matches!(inner, Rule::Any(_)));
        let chain_text = format!("frequency >= 1 and ({})", inner.display_query(2));
        let err = Rule::parse(&chain_text, &schema).unwrap_err();
        assert!(is_too_deep(&err), "{err}");
    }

    /// Runs `f` on a thread with a 256 KiB stack: a recursive drop, clone
    /// or comparison of a 100,000-deep rule would overflow it.
    fn on_small_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn a_rule_100_000_deep_is_safe_to_use() {
        on_small_stack(|| {
            for rule in [nots(100_000), chains(100_000)] {
                assert_eq!(rule.depth(), 100_000);
                let copy = rule.clone();
                assert!(copy == rule);
                let mut other = nots(100_000);
                if copy == other {
                    other = !other;
                }
                assert!(copy != other);
                let debug = format!("{rule:?}");
                assert!(
                    debug.ends_with(')') && debug.contains("..."),
                    "{}",
                    debug.len()
                );
                let text = rule.display_query(2).to_string();
                assert!(text.contains("..."));
                assert!(serde_json::to_string(&rule).is_err());
                let err = Campaign::builder("deep", rule.clone()).build().unwrap_err();
                assert!(is_too_deep(&err), "{err}");
                drop(copy);
                drop(other);
                drop(rule);
            }
        });
    }
}

/// `clv` predictions land in the profiles by customer id: customers
/// without a profile are skipped and counted out, the others get exactly
/// `p_alive`, `expected_purchases` and `clv`.
#[test]
fn clv_predictions_fill_profiles_by_id() {
    let mut p = small();
    let json = r#"{"model":"bg_nbd","unit":"week","horizon":52.0,
        "config":{"horizon_days":364.0,"months":12,"discount_rate":0.01,"margin":1.0},
        "customers":[
          {"customer":"C02","x":1,"t_x":2.0,"T":5.0,"p_alive":0.25,"expected_purchases":1.5,
           "expected_spend":null,"clv":1234,"holdout_purchases":null},
          {"customer":"C04","x":0,"t_x":0.0,"T":3.0,"p_alive":0.75,"expected_purchases":0.5,
           "expected_spend":null,"clv":null,"holdout_purchases":null},
          {"customer":"NOBODY","x":0,"t_x":0.0,"T":3.0,"p_alive":0.5,"expected_purchases":0.5,
           "expected_spend":null,"clv":null,"holdout_purchases":null}]}"#;
    let predictions: rfmkit::clv::Predictions = serde_json::from_str(json).unwrap();
    assert_eq!(p.set_predictions_from(&predictions), 2);
    let c02 = p.get("C02").unwrap().predictions;
    assert_eq!(
        (c02.p_alive, c02.expected_purchases, c02.predicted_clv),
        (Some(0.25), Some(1.5), Some(Money::new(1234)))
    );
    let c04 = p.get("C04").unwrap().predictions;
    assert_eq!(
        (c04.p_alive, c04.expected_purchases, c04.predicted_clv),
        (Some(0.75), Some(0.5), None)
    );
    assert_eq!(
        p.get("C01").unwrap().predictions,
        PredictedValues::default()
    );
    assert_eq!(select_q(&p, "p_alive > 0.5"), ["C04"]);
    assert_eq!(select_q(&p, "predicted_clv > 12.00"), ["C02"]);
}

/// Money beyond 32 bits (21,474,836.47 in cents) is compared exactly: a
/// profile column that needs 64 bits selects the same customers as one
/// that does not.
#[test]
fn rules_compare_amounts_beyond_32_bits_exactly() {
    let o = |id: &str, c: &str, cents: i64| Order::new(id, c, ymd(2025, 6, 1), Money::new(cents));
    let orders = vec![
        o("1", "big", 3_000_000_000_000), // 30,000,000,000.00
        o("2", "edge", 2_147_483_648),    // 21,474,836.48: one past i32
        o("3", "small", 12_345),          // 123.45
        o("4", "max32", 2_147_483_647),   // i32::MAX cents
    ];
    let p = build(&orders, d(12, 31), None, Prospects::Exclude);
    assert_eq!(select_q(&p, "monetary > 21474836.47"), ["big", "edge"]);
    assert_eq!(
        select_q(&p, "monetary >= 21474836.47"),
        ["big", "edge", "max32"]
    );
    assert_eq!(select_q(&p, "monetary < 200.00"), ["small"]);
    assert_eq!(
        select_q(&p, "monetary between 100.00 and 21474836.48"),
        ["edge", "max32", "small"]
    );
    assert_eq!(select_q(&p, "monetary = 30000000000.00"), ["big"]);
    let big = p.get("big").unwrap();
    assert_eq!(big.monetary, Some(Money::new(3_000_000_000_000)));
}

/// Issue 16 item 2: `in ()` is defined (no value is in the empty list, so
/// it selects nobody; `not in ()` selects everyone with a value, as `is not
/// null` does), and round-trips through JSON and text.
#[test]
fn empty_lists_have_a_meaning_and_round_trip() {
    let p = small();
    assert!(select_q(&p, "segment in ()").is_empty());
    assert!(select_q(&p, "attr.tier in ()").is_empty());
    assert_eq!(
        select_q(&p, "attr.tier not in ()"),
        select_q(&p, "attr.tier is not null")
    );
    assert_eq!(select_q(&p, "segment not in ()").len(), p.len());
    for query in ["attr.tier in ()", "monetary not in ()"] {
        let r = rule(&p, query);
        assert_eq!(r.display_query(2).to_string(), query);
        let json = serde_json::to_string(&StoredRule::new(r.clone())).unwrap();
        let back: StoredRule = serde_json::from_str(&json).unwrap();
        assert_eq!(back.rule(), &r);
    }
}

/// Issue 16 item 2: attribute names that are not plain words print quoted
/// and parse back; `within` on a custom attribute is refused by JSON as by
/// the parser (it applies to birthday and first_order_anniversary only).
#[test]
fn odd_attribute_names_quote_and_within_is_for_annual_fields() {
    let schema = Schema::default();
    for (json, text) in [
        (r#"{"field":"attr.","op":"eq","value":1}"#, r#"attr."" = 1"#),
        (
            r#"{"field":"attr.and","op":"eq","value":1}"#,
            r#"attr."and" = 1"#,
        ),
        (
            r#"{"field":"attr.a b","op":"eq","value":"x"}"#,
            r#"attr."a b" = x"#,
        ),
        (
            r#"{"field":"attr.q\"","op":"is_null"}"#,
            r#"attr."q\"" is null"#,
        ),
    ] {
        let r: Rule = serde_json::from_str(json).unwrap();
        assert_eq!(r.display_query(2).to_string(), text);
        assert_eq!(Rule::parse(text, &schema).unwrap(), r, "{text}");
    }
    let err = serde_json::from_str::<Rule>(r#"{"field":"attr.since","op":"within","value":"3d"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("attr.since") && err.contains("'within' does not apply to custom attributes"),
        "{err}"
    );
    assert!(Rule::parse("attr.since within 3d", &schema).is_err());
    assert!(Rule::parse("birthday within 3d", &schema).is_ok());
}

/// Every field of the rule language, custom attributes with odd names
/// included.
fn any_field() -> BoxedStrategy<Field> {
    prop_oneof![
        select(
            &[
                Field::RecencyDays,
                Field::Frequency,
                Field::DaysSinceFirstOrder,
                Field::R,
                Field::F,
                Field::M,
                Field::BirthdayMonth,
                Field::Monetary,
                Field::AverageOrderValue,
                Field::PredictedClv,
                Field::PAlive,
                Field::ExpectedPurchases,
                Field::FirstOrder,
                Field::LastOrder,
                Field::SignupDate,
                Field::FirstChannel,
                Field::FirstStore,
                Field::AcquisitionChannel,
                Field::Segment,
                Field::RfmCell,
                Field::EmailOptIn,
                Field::SmsOptIn,
                Field::Tags,
                Field::Birthday,
                Field::FirstOrderAnniversary,
            ][..]
        ),
        prop_oneof![
            select(&["tier", "and", "OR", "in", "two words", "", "q\"", "x.y"][..])
                .prop_map(str::to_owned),
            "\\PC{0,5}"
        ]
        .prop_map(Field::Attribute),
    ]
    .boxed()
}

/// Every operator with a value of every type (most pairs are invalid).
fn any_test() -> BoxedStrategy<Test> {
    prop_oneof![
        select(&["int", "money", "number", "date", "segment", "cell"][..])
            .prop_flat_map(|ty| ordered_test(ty, false)),
        select(&["text", "bool"][..]).prop_flat_map(|ty| equality_test(ty, false, true)),
        period().prop_map(Test::Within),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Issue 16 item 2: every operator on every field, valid or not.
    /// Whatever the JSON form accepts is valid for `Condition::validate`
    /// (the builder's check) and prints to text that parses back to it; a
    /// valid rule loads back from its JSON unchanged.
    #[test]
    fn every_operator_on_every_field_round_trips_or_is_refused(field in any_field(), test in any_test()) {
        let rule = Rule::Condition(rfmkit::audience::Condition::new(field, test));
        let valid = rule.validate().is_ok();
        let json = serde_json::to_string(&rule);
        let loaded = json.as_ref().ok().map(|j| serde_json::from_str::<Rule>(j));
        if valid {
            prop_assert_eq!(loaded.as_ref().and_then(|l| l.as_ref().ok()), Some(&rule), "{:?}", json);
        }
        if let Some(Ok(back)) = loaded {
            prop_assert!(back.validate().is_ok(), "JSON accepted an invalid rule: {:?}", json);
            let text = back.display_query(2).to_string();
            prop_assert_eq!(Rule::parse(&text, &Schema::default()), Ok(back), "{}", text);
        }
    }
}

// ------------------------------------------------------- frequency drop

mod frequency_drop {
    use rfmkit::audience::{Profiles, Prospects, Rule};
    use rfmkit::rfm::{RfmModel, ScoringConfig};
    use rfmkit::segment::SegmentTable;
    use rfmkit::summary::{FrequencyDropConfig, Summaries};
    use rfmkit::{Error, Money, Order};

    use crate::common::d;

    /// As of 2025-06-30 with W = B = 90: A − W = 1 April, so the recent
    /// window is 2 April ..= 30 June and the baseline 2 January ..= 1 April
    /// (90 days), cut to start at the first purchase.
    ///
    /// | customer | baseline days | baseline | recent | ratio |
    /// |---|---|---|---|---|
    /// | steady | 1/10..=4/1 = 82 | 1/10 2/10 3/10 | 4/10 5/10 6/10 | (3/90) / (3/82) = 82/90 |
    /// | slowing | 1/5..=4/1 = 87 | 1/5 2/5 3/5 3/25 | 5/5 | (1/90) / (4/87) = 87/360 |
    /// | young | 3/1..=4/1 = 32 | 3/1 3/20 | 4/20 | (1/90) / (2/32) = 32/180 |
    /// | gone | 1/15..=4/1 = 77 | 1/15 2/15 | — | 0 (a real zero) |
    /// | thin | 2/1..=4/1 = 60 | 2/1 | 5/1 | missing: 1 < 2 baseline purchases |
    /// | new | — | — | 5/1 5/20 | missing: no purchase before 2 April |
    fn orders() -> Vec<Order> {
        let plan: [(&str, &[(u32, u32)]); 6] = [
            (
                "steady",
                &[(1, 10), (2, 10), (3, 10), (4, 10), (5, 10), (6, 10)],
            ),
            ("slowing", &[(1, 5), (2, 5), (3, 5), (3, 25), (5, 5)]),
            ("young", &[(3, 1), (3, 20), (4, 20)]),
            ("gone", &[(1, 15), (2, 15)]),
            ("thin", &[(2, 1), (5, 1)]),
            ("new", &[(5, 1), (5, 20)]),
        ];
        let mut out = Vec::new();
        for (customer, dates) in plan {
            for (i, &(m, day)) in dates.iter().enumerate() {
                out.push(Order::new(
                    format!("{customer}-{i}"),
                    customer,
                    d(m, day),
                    Money::new(1_000),
                ));
            }
        }
        out
    }

    fn config() -> FrequencyDropConfig {
        FrequencyDropConfig::builder()
            .recent_days(90)
            .baseline_days(90)
            .build()
            .unwrap()
    }

    #[test]
    fn ratios_worked_by_hand() {
        let summaries = Summaries::from_orders(&orders(), d(6, 30)).unwrap();
        let drop = |c: &str| summaries.get(c).unwrap().frequency_drop(&config());
        let steady = drop("steady");
        assert_eq!((steady.baseline_purchases, steady.recent_purchases), (3, 3));
        assert_eq!(steady.baseline_days, 82);
        assert!((steady.ratio.unwrap() - 82.0 / 90.0).abs() < 1e-12);
        assert_eq!(steady.dropped, Some(false));
        let slowing = drop("slowing");
        assert_eq!((slowing.baseline_purchases, slowing.baseline_days), (4, 87));
        assert!((slowing.ratio.unwrap() - 87.0 / 360.0).abs() < 1e-12);
        assert_eq!(slowing.dropped, Some(true));
        let young = drop("young");
        assert_eq!((young.baseline_purchases, young.baseline_days), (2, 32));
        assert!((young.ratio.unwrap() - 32.0 / 180.0).abs() < 1e-12);
        assert_eq!(
            (drop("gone").ratio, drop("gone").dropped),
            (Some(0.0), Some(true))
        );
        let thin = drop("thin");
        assert_eq!((thin.baseline_purchases, thin.baseline_days), (1, 60));
        assert_eq!((thin.ratio, thin.dropped), (None, None));
        let new = drop("new");
        assert_eq!(
            (new.recent_purchases, new.baseline_days, new.ratio),
            (2, 0, None)
        );
        // A lower bar lets one baseline purchase count: (1/90) / (1/60) = 2/3.
        let one = FrequencyDropConfig::builder()
            .recent_days(90)
            .baseline_days(90)
            .min_baseline_purchases(1)
            .build()
            .unwrap();
        let thin = summaries
            .get("thin")
            .unwrap()
            .frequency_drop(&one)
            .ratio
            .unwrap();
        assert!((thin - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn bad_windows_are_named() {
        for (built, name) in [
            (
                FrequencyDropConfig::builder().recent_days(0).build(),
                "recent_days",
            ),
            (
                FrequencyDropConfig::builder().baseline_days(0).build(),
                "baseline_days",
            ),
            (
                FrequencyDropConfig::builder()
                    .min_baseline_purchases(0)
                    .build(),
                "min_baseline_purchases",
            ),
            (
                FrequencyDropConfig::builder().threshold(f64::NAN).build(),
                "threshold",
            ),
        ] {
            assert!(
                matches!(&built, Err(Error::InvalidConfig { field, .. }) if field == name),
                "{built:?}"
            );
        }
        let json = r#"{"recent_days": 0}"#;
        assert!(serde_json::from_str::<FrequencyDropConfig>(json).is_err());
        let back: FrequencyDropConfig =
            serde_json::from_str(&serde_json::to_string(&config()).unwrap()).unwrap();
        assert_eq!(back, config());
    }

    fn select(profiles: &Profiles, query: &str) -> Vec<String> {
        let rule = Rule::parse(query, &profiles.schema()).unwrap();
        profiles
            .compile(&rule)
            .unwrap()
            .selected()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The field in rules, through both ways profiles are built (columnar
    /// for segmented customers only, row by row with prospects), with
    /// missing values unknown: neither `<= 0.5` nor its negation selects
    /// them, `is null` does.
    #[test]
    fn the_audience_field_follows_three_valued_logic() {
        let summaries = Summaries::from_orders(&orders(), d(6, 30)).unwrap();
        let model = RfmModel::fit(&ScoringConfig::default(), &summaries);
        let segmentation = SegmentTable::standard()
            .segment_all(&model.score_all(&summaries))
            .unwrap();
        for prospects in [Prospects::Exclude, Prospects::Include] {
            let profiles = Profiles::builder(&segmentation, &summaries)
                .prospects(prospects)
                .frequency_drop(config())
                .build()
                .unwrap();
            assert_eq!(
                select(&profiles, "frequency_drop <= 0.5"),
                ["gone", "slowing", "young"]
            );
            assert_eq!(select(&profiles, "not frequency_drop <= 0.5"), ["steady"]);
            assert_eq!(select(&profiles, "frequency_drop is null"), ["new", "thin"]);
            let slowing = profiles.get("slowing").unwrap().frequency_drop.unwrap();
            assert!((slowing - 87.0 / 360.0).abs() < 1e-12);
        }
        // Default windows (90 against the 365 before): the baseline of
        // "slowing" is cut to its first purchase, 1/5 ..= 4/1 = 87 days.
        let profiles = Profiles::builder(&segmentation, &summaries)
            .build()
            .unwrap();
        let expected = (1.0 / 90.0) / (4.0 / 87.0);
        assert!(
            (profiles.get("slowing").unwrap().frequency_drop.unwrap() - expected).abs() < 1e-12
        );
    }
}

// ------------------------------------- the README's predictive audiences (issue 18)

/// The queries of the README's predictive-audiences table (the backticked
/// second cell of each row between the markers).
fn readme_predictive_queries() -> Vec<(String, String)> {
    let readme = include_str!("../README.md");
    let start = readme.find("<!-- predictive-audiences: start").unwrap();
    let end = readme.find("<!-- predictive-audiences: end").unwrap();
    readme[start..end]
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| audience"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_owned(), cells[2].trim_matches('`').to_owned())
        })
        .collect()
}

#[test]
fn readme_predictive_audiences_select_real_audiences() {
    use rfmkit::clv::{BgNbd, BtydConfig, BtydData, GammaGamma, PredictConfig};
    use rfmkit::ltv::TimeUnit;

    let queries = readme_predictive_queries();
    assert_eq!(queries.len(), 5, "{queries:?}");
    let shop = SimConfig::builder()
        .customers(3_000)
        .orders(15_000)
        .seed(18)
        .build()
        .unwrap()
        .generate();
    let summaries = Summaries::from_orders(shop.orders(), shop.as_of()).unwrap();
    let segmentation = segmentation_of(&summaries);
    let mut profiles = Profiles::builder(&segmentation, &summaries)
        .build()
        .unwrap();
    let config = BtydConfig::builder(shop.as_of())
        .unit(TimeUnit::Week)
        .build()
        .unwrap();
    let data = BtydData::from_orders(shop.orders(), &config).unwrap();
    let spend = GammaGamma::fit(&data).unwrap();
    let predictions = BgNbd::fit(&data)
        .unwrap()
        .predict(&data, Some(&spend), &PredictConfig::default())
        .unwrap();
    assert_eq!(profiles.set_predictions_from(&predictions), profiles.len());
    let n = profiles.len();
    let share = |query: &str| {
        let rule = Rule::parse(query, &profiles.schema()).unwrap();
        let selected = profiles.compile(&rule).unwrap().selected().len();
        selected as f64 / n as f64
    };
    for (name, query) in &queries {
        let s = share(query);
        assert!(
            (0.01..=0.30).contains(&s),
            "README audience {name} ({query}) selects {:.2}% of {n}",
            100.0 * s
        );
    }
    // the rule the README warns about: CLV already includes P(alive)
    let warned = share("p_alive < 0.3 and predicted_clv > 200.00");
    assert!(warned < 0.01, "selects {:.2}%", 100.0 * warned);
}
