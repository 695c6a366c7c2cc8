//! CRM programs (issue 11): a hand-computed scenario over four days, the
//! control group, idempotence, and validation of stored programs.

use chrono::NaiveDate;
use rfmkit::audience::{Profiles, Rule, Schema};
use rfmkit::customer::{Customer, Customers};
use rfmkit::program::{
    Caps, Contact, ContactChannel, ContactHistory, Entry, Exit, Outcome, Plan, Planner, Program,
    SkipReason,
};
use rfmkit::rfm::{RfmModel, ScoringConfig};
use rfmkit::segment::SegmentTable;
use rfmkit::summary::Summaries;
use rfmkit::{Error, Order};

use crate::common::{buy, d};

fn orders() -> Vec<Order> {
    vec![
        buy("1", "ann", d(3, 1), 5_000),
        buy("2", "ben", d(3, 1), 5_000),
        buy("3", "cat", d(3, 1), 5_000),
        buy("4", "dan", d(2, 1), 5_000),
        buy("5", "dan", d(3, 1), 5_000),
        // ben's second purchase: he leaves F2 (exit on purchase).
        buy("6", "ben", d(3, 10), 5_000),
    ]
}

fn customers() -> Customers {
    Customers::new([
        Customer::new("ann")
            .with_email_opt_in(true)
            .with_sms_opt_in(true),
        Customer::new("ben").with_email_opt_in(true),
        Customer::new("cat"),
        Customer::new("dan").with_email_opt_in(true),
    ])
    .unwrap()
}

/// The profiles as of `day`, from the orders up to it.
fn profiles(day: NaiveDate) -> Profiles {
    let upto: Vec<Order> = orders().into_iter().filter(|o| o.date() <= day).collect();
    let summaries = Summaries::from_orders(&upto, day).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    let segments = SegmentTable::standard().segment_all(&scores).unwrap();
    let customers = customers();
    Profiles::builder(&segments, &summaries)
        .customers(&customers)
        .build()
        .unwrap()
}

fn rule(text: &str) -> Rule {
    Rule::parse(text, &Schema::default()).unwrap()
}

/// F2 (priority 10; steps at 0, 7, 14 days: email, email, SMS; exit on
/// purchase; once) and a promo (priority 1; one email; again after 10
/// days); at most 2 messages in 7 days and one a day.
fn planner() -> Planner {
    let f2 = Program::builder("f2", rule("frequency = 1 and first_order <= -7d"))
        .step(0, ContactChannel::Email)
        .step(7, ContactChannel::Email)
        .step(14, ContactChannel::Sms)
        .exit(Exit::Purchase)
        .priority(10)
        .build()
        .unwrap();
    let promo = Program::builder("promo", rule("frequency >= 1"))
        .step(0, ContactChannel::Email)
        .entry(Entry::AfterDays(10))
        .priority(1)
        .build()
        .unwrap();
    Planner::new(
        [promo, f2],
        Caps::new().overall(2, 7).unwrap().min_gap_days(1),
    )
    .unwrap()
}

fn sends(plan: &Plan) -> Vec<String> {
    plan.sends()
        .map(|c| format!("{} {}/{} {}", c.customer, c.program, c.step, c.channel))
        .collect()
}

fn skips(plan: &Plan) -> Vec<String> {
    plan.skipped()
        .iter()
        .map(|s| format!("{} {}/{} {:?}", s.customer, s.program, s.step, s.reason))
        .collect()
}

/// The scenario of the module docs' rules, worked by hand day by day.
#[test]
fn four_days_of_two_programs_as_worked_by_hand() {
    let planner = planner();
    let mut history = ContactHistory::default();

    // 8 March: F2 takes ann and ben (first order 7 days ago) and wins the
    // day over the promo (one a day); cat has no opt-in; dan (2 orders) is
    // not an F2 customer and gets the promo.
    let plan = planner.plan(&profiles(d(3, 8)), &history).unwrap();
    assert_eq!(
        sends(&plan),
        ["ann f2/0 email", "ben f2/0 email", "dan promo/0 email"]
    );
    assert_eq!(
        skips(&plan),
        [
            "ann promo/0 LowerPriority { program: \"f2\" }",
            "ben promo/0 LowerPriority { program: \"f2\" }",
            "cat f2/0 OptedOut { channel: Email }",
            "cat promo/0 OptedOut { channel: Email }",
        ]
    );
    history.record(&plan);
    // Planned again after recording: nothing new to send.
    let again = planner.plan(&profiles(d(3, 8)), &history).unwrap();
    assert_eq!(again.sends().count(), 0);
    assert!(
        again.skipped().iter().any(|s| s.customer.as_str() == "ann"
            && s.reason == SkipReason::MinimumGap { last: d(3, 8) })
    );

    // 9 March: a day after F2's mail, ann and ben get the promo (1 in the
    // 7-day window before it); dan's promo comes back on 18 March.
    let plan = planner.plan(&profiles(d(3, 9)), &history).unwrap();
    assert_eq!(sends(&plan), ["ann promo/0 email", "ben promo/0 email"]);
    assert_eq!(
        skips(&plan),
        [
            "cat f2/0 OptedOut { channel: Email }",
            "cat promo/0 OptedOut { channel: Email }",
            "dan promo/0 QuietPeriod { until: 2025-03-18 }",
        ]
    );
    history.record(&plan);

    // 15 March: F2's step 1 is due (8 + 7). ann: the window 9..15 March
    // holds one message (the promo), so it goes. ben bought on 10 March:
    // his run exited. Promos wait until 19 (ann, ben) and 18 (dan).
    let plan = planner.plan(&profiles(d(3, 15)), &history).unwrap();
    assert_eq!(sends(&plan), ["ann f2/1 email"]);
    assert_eq!(
        skips(&plan),
        [
            "ann promo/0 QuietPeriod { until: 2025-03-19 }",
            "ben f2/1 Exited",
            "ben promo/0 QuietPeriod { until: 2025-03-19 }",
            "cat f2/0 OptedOut { channel: Email }",
            "cat promo/0 OptedOut { channel: Email }",
            "dan promo/0 QuietPeriod { until: 2025-03-18 }",
        ]
    );
    history.record(&plan);

    // 22 March: F2's last step (SMS, 8 + 14) for ann, who beats her own
    // promo re-entry; ben (out of F2's audience now) and dan re-enter the
    // promo.
    let plan = planner.plan(&profiles(d(3, 22)), &history).unwrap();
    assert_eq!(
        sends(&plan),
        ["ann f2/2 sms", "ben promo/0 email", "dan promo/0 email"]
    );
    assert_eq!(
        skips(&plan),
        [
            "ann promo/0 LowerPriority { program: \"f2\" }",
            "cat f2/0 OptedOut { channel: Email }",
            "cat promo/0 OptedOut { channel: Email }",
        ]
    );
    history.record(&plan);
    // ann has had the whole F2 sequence: it admits her once.
    let plan = planner.plan(&profiles(d(3, 23)), &history).unwrap();
    assert!(plan.skipped().iter().any(|s| s.customer.as_str() == "ann"
        && s.program == "f2"
        && s.reason == SkipReason::AlreadyReceived));
}

/// The plan does not depend on the order programs and history rows come
/// in.
#[test]
fn plans_are_independent_of_input_order() {
    let programs: Vec<Program> = planner().programs().to_vec();
    let reversed = Planner::new(
        programs.iter().rev().cloned(),
        Caps::new().overall(2, 7).unwrap().min_gap_days(1),
    )
    .unwrap();
    let rows = vec![
        Contact::sent("ann", "f2", 0, ContactChannel::Email, d(3, 8)),
        Contact::sent("dan", "promo", 0, ContactChannel::Email, d(3, 8)),
        Contact::sent("ann", "promo", 0, ContactChannel::Email, d(3, 9)),
    ];
    let forward = ContactHistory::new(rows.clone()).unwrap();
    let backward = ContactHistory::new(rows.into_iter().rev()).unwrap();
    let day = profiles(d(3, 15));
    assert_eq!(
        planner().plan(&day, &forward).unwrap(),
        reversed.plan(&day, &backward).unwrap()
    );
}

/// Caps bind on earlier days' messages: 2 in 7 days.
#[test]
fn a_cap_reached_by_history_is_capped_not_lower_priority() {
    let promo = Program::builder("promo", rule("frequency >= 1"))
        .step(0, ContactChannel::Email)
        .build()
        .unwrap();
    let planner = Planner::new([promo], Caps::new().overall(2, 7).unwrap()).unwrap();
    // Two other messages to dan on 2 and 8 March: the window 2..8 March is full.
    let history = ContactHistory::new([
        Contact::sent("dan", "other", 0, ContactChannel::Email, d(3, 2)),
        Contact::sent("dan", "other", 1, ContactChannel::Email, d(3, 8)),
    ])
    .unwrap();
    let plan = planner.plan(&profiles(d(3, 8)), &history).unwrap();
    let dan: Vec<_> = plan
        .skipped()
        .iter()
        .filter(|s| s.customer.as_str() == "dan")
        .map(|s| s.reason.clone())
        .collect();
    assert_eq!(dan, [SkipReason::Capped { channel: None }]);
    // On 9 March the 2 March message left the window: dan gets it.
    let plan = planner.plan(&profiles(d(3, 9)), &history).unwrap();
    assert!(plan.sends().any(|c| c.customer.as_str() == "dan"));
}

/// Control customers are recorded as held out, are never sent, and do not
/// count toward caps; the split is the campaign module's draw.
#[test]
fn the_control_group_is_held_out_and_recorded() {
    let program = Program::builder("welcome", rule("frequency >= 1"))
        .step(0, ContactChannel::Push)
        .control(0.5)
        .build()
        .unwrap();
    let planner = Planner::new([program], Caps::new()).unwrap();
    let plan = planner
        .plan(&profiles(d(3, 8)), &ContactHistory::default())
        .unwrap();
    assert_eq!(plan.contacts().len(), 4);
    for c in plan.contacts() {
        let control = rfmkit::campaign::in_control("welcome", c.customer.as_str(), 0.5);
        assert_eq!(c.outcome == Outcome::Control, control, "{}", c.customer);
    }
}

#[test]
fn contacts_after_the_planning_day_are_an_error() {
    let history = ContactHistory::new([Contact::sent(
        "ann",
        "f2",
        0,
        ContactChannel::Email,
        d(3, 9),
    )])
    .unwrap();
    let err = planner().plan(&profiles(d(3, 8)), &history).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidConfig { field, reason } if field == "contacts[0].date" && reason.contains("customer ann")),
        "{err}"
    );
}

#[test]
fn programs_round_trip_and_reject_bad_documents() {
    let program = Program::builder("f2", rule("frequency = 1"))
        .step(0, ContactChannel::Email)
        .step_if(7, ContactChannel::Sms, rule("sms_opt_in"))
        .exit(Exit::Purchase)
        .entry(Entry::AfterDays(30))
        .priority(3)
        .control(0.2)
        .build()
        .unwrap();
    let json = serde_json::to_value(&program).unwrap();
    assert_eq!(json["version"], 1);
    let back: Program = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, program);

    let load = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut j = json.clone();
        edit(&mut j);
        serde_json::from_value::<Program>(j)
            .unwrap_err()
            .to_string()
    };
    let e = load(&|j| j["steps"][1]["delay_days"] = serde_json::json!(0));
    assert!(
        e.contains("steps[1].delay_days") && e.contains("strictly increase"),
        "{e}"
    );
    let e = load(&|j| j["steps"][0]["delay_days"] = serde_json::json!(3));
    assert!(e.contains("steps[0].delay_days"), "{e}");
    let e = load(&|j| j["key"] = serde_json::json!("F2 Conversion"));
    assert!(e.contains("key") && e.contains("a-z"), "{e}");
    let e = load(&|j| j["control"] = serde_json::json!(1.0));
    assert!(e.contains("control"), "{e}");
    let e = load(&|j| j["steps"] = serde_json::json!([]));
    assert!(e.contains("at least one step"), "{e}");
    let e = load(&|j| j["priorty"] = serde_json::json!(1));
    assert!(e.contains("unknown field"), "{e}");
    let e = load(&|j| j["version"] = serde_json::json!(2));
    assert!(e.contains('2'), "{e}");

    // Two programs with one key.
    let err = Planner::new([program.clone(), program], Caps::new()).unwrap_err();
    assert!(matches!(err, Error::InvalidConfig { ref field, .. } if field == "programs[1].key"));
    // A cap window of 0 days.
    assert!(serde_json::from_str::<Caps>(r#"{"overall":{"max":1,"days":0}}"#).is_err());
}

mod lift {
    use rand::{Rng, SeedableRng};
    use rand_pcg::Pcg64;
    use rfmkit::ingest::IngestConfig;
    use rfmkit::program::{Contact, ContactChannel, ContactHistory, Lift};
    use rfmkit::{Error, Money, Order};

    use crate::common::{buy, d, refund};

    fn entry(customer: &str, day: chrono::NaiveDate, control: bool) -> Contact {
        let c = Contact::sent(customer, "winback", 0, ContactChannel::Email, day);
        if control { c.held_out() } else { c }
    }

    /// Worked by hand. Entry 1 March, window 30 days (2..31 March).
    /// Target t1..t4 net revenue 1000, 3000, 0, 0 (t2: 3500 − a 500
    /// refund); control c1..c4: 2000, 0, 0, 0 (c2's order is on the entry
    /// day, c3's after the window: neither counts).
    ///
    /// Conversion: 2/4 − 1/4 = 0.25 ± 1.959964 · √(0.25/4 + 0.1875/4) =
    /// ± 0.648198. Revenue per customer: 1000 − 500 = 500; variances 2e6
    /// and 1e6, SE = √(2e6/4 + 1e6/4) = 866.03, Welch df = 5.4, so the
    /// half-width lies between t(6) · SE = 2119 and t(5) · SE = 2227.
    #[test]
    fn a_small_measurement_worked_by_hand() {
        let history = ContactHistory::new([
            entry("t1", d(3, 1), false),
            entry("t2", d(3, 1), false),
            entry("t3", d(3, 1), false),
            entry("t4", d(3, 1), false),
            entry("t4", d(3, 20), false), // a second entry: the first counts
            entry("c1", d(3, 1), true),
            entry("c2", d(3, 1), true),
            entry("c3", d(3, 1), true),
            entry("c4", d(3, 1), true),
            entry("late", d(4, 10), false), // window ends 10 May: pending
        ])
        .unwrap();
        let orders = vec![
            buy("1", "t1", d(3, 5), 1_000),
            buy("2", "t2", d(3, 31), 3_500),
            refund("3", "t2", d(3, 31), -500),
            buy("4", "c1", d(3, 2), 2_000),
            buy("5", "c2", d(3, 1), 9_000),
            buy("6", "c3", d(4, 1), 9_000),
        ];
        let log = IngestConfig::new(d(4, 30)).ingest(&orders).unwrap();
        let lift = Lift::measure(&log, &history, "winback", 30, 0.95).unwrap();
        assert_eq!(
            (lift.target.customers, lift.control.customers, lift.pending),
            (4, 4, 1)
        );
        assert_eq!((lift.target.converted, lift.control.converted), (2, 1));
        assert_eq!((lift.target.orders, lift.control.orders), (2, 1));
        assert_eq!(
            (lift.target.revenue, lift.control.revenue),
            (Money::new(4_000), Money::new(2_000))
        );
        let conv = lift.conversion_difference.unwrap();
        assert!((conv.estimate - 0.25).abs() < 1e-12);
        assert!((conv.high - 0.898_198).abs() < 1e-5, "{conv:?}");
        assert!((conv.low + 0.398_198).abs() < 1e-5, "{conv:?}");
        let rev = lift.revenue_per_customer_difference.unwrap();
        assert!((rev.estimate - 500.0).abs() < 1e-9);
        let half = rev.high - rev.estimate;
        assert!(half > 2_119.0 && half < 2_227.0, "{rev:?}");
        let inc = lift.incremental_revenue.unwrap();
        assert!((inc.estimate - 2_000.0).abs() < 1e-9);
        assert!(lift.underpowered);
    }

    /// A simulated shop with a known effect: 20,000 entrants, 20% control;
    /// a target customer buys (one order of 50.00) with probability 0.30, a
    /// control customer with 0.20. The true differences, 0.10 in
    /// conversion and 500 minor units per customer, lie in the intervals,
    /// and 0 does not.
    #[test]
    fn a_known_effect_lies_in_the_interval() {
        let mut rng = Pcg64::seed_from_u64(42);
        let mut contacts = Vec::new();
        let mut orders: Vec<Order> = Vec::new();
        for i in 0..20_000 {
            let id = format!("u{i}");
            let control = rfmkit::campaign::in_control("winback", &id, 0.2);
            contacts.push(entry(&id, d(3, 1), control));
            let p = if control { 0.20 } else { 0.30 };
            if rng.random::<f64>() < p {
                orders.push(buy(&format!("o{i}"), &id, d(3, 15), 5_000));
            }
        }
        let history = ContactHistory::new(contacts).unwrap();
        let log = IngestConfig::new(d(4, 30)).ingest(&orders).unwrap();
        let lift = Lift::measure(&log, &history, "winback", 30, 0.95).unwrap();
        let conv = lift.conversion_difference.unwrap();
        assert!(conv.contains(0.10) && !conv.contains(0.0), "{conv:?}");
        let rev = lift.revenue_per_customer_difference.unwrap();
        assert!(rev.contains(500.0) && !rev.contains(0.0), "{rev:?}");
        assert!(!lift.underpowered);
        // About 4,000 control customers.
        assert!((3_700..4_300).contains(&lift.control.customers));
    }

    #[test]
    fn bad_arguments_are_named() {
        let log = IngestConfig::new(d(4, 30)).ingest(&[]).unwrap();
        let history = ContactHistory::default();
        for (program, window, confidence, field) in [
            ("Win Back", 30, 0.95, "program"),
            ("winback", 0, 0.95, "window_days"),
            ("winback", 30, 1.0, "confidence"),
        ] {
            let err = Lift::measure(&log, &history, program, window, confidence).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidConfig { field: f, .. } if f == field),
                "{err}"
            );
        }
    }
}

/// The seeds' presets on a small shop as of 30 June 2025, worked by hand
/// (control groups set to 0 by editing the presets' JSON, so that every
/// entrant is sent):
///
/// - p1: one order 7 days ago → F2 (frequency 1, first order in
///   (-14d, -7d]);
/// - p2: one order 20 days ago → too late for F2;
/// - p3: three orders, the last on 1 Nov 2024 (241 days) → dormant (≥ 2
///   orders, none in 180 days);
/// - p4: birthday on 3 July → birthday within 7 days;
/// - p5: first order on 2 July 2024, again on 1 May → anniversary within 7
///   days, not F2 (2 orders), not dormant.
#[test]
fn presets_select_the_customers_the_seeds_describe() {
    use rfmkit::customer::Birthday;
    use rfmkit::program::presets;

    let no_control = |p: Program| -> Program {
        let mut json = serde_json::to_value(&p).unwrap();
        json["control"] = serde_json::json!(0.0);
        serde_json::from_value(json).unwrap()
    };
    let as_of = d(6, 30);
    let y2024 = |m, day| NaiveDate::from_ymd_opt(2024, m, day).unwrap();
    let orders = vec![
        buy("1", "p1", d(6, 23), 3_000),
        buy("2", "p2", d(6, 10), 3_000),
        buy("3", "p3", y2024(3, 1), 3_000),
        buy("4", "p3", y2024(6, 1), 3_000),
        buy("5", "p3", y2024(11, 1), 3_000),
        buy("6", "p4", d(1, 15), 3_000),
        buy("7", "p4", d(6, 1), 3_000),
        buy("8", "p5", y2024(7, 2), 3_000),
        buy("9", "p5", d(5, 1), 3_000),
    ];
    let customers = Customers::new(["p1", "p2", "p3", "p4", "p5"].map(|id| {
        let c = Customer::new(id).with_email_opt_in(true);
        if id == "p4" {
            c.with_birthday(Birthday::new(7, 3).unwrap())
        } else {
            c
        }
    }))
    .unwrap();
    let summaries = Summaries::from_orders(&orders, as_of).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    let segments = SegmentTable::standard().segment_all(&scores).unwrap();
    let profiles = Profiles::builder(&segments, &summaries)
        .customers(&customers)
        .build()
        .unwrap();
    let planner = Planner::new(
        [
            no_control(presets::f2_conversion().unwrap()),
            no_control(presets::dormant_reactivation(2, 180).unwrap()),
            presets::birthday(7).unwrap(),
            presets::anniversary(7).unwrap(),
        ],
        Caps::new(),
    )
    .unwrap();
    let plan = planner.plan(&profiles, &ContactHistory::default()).unwrap();
    assert_eq!(
        sends(&plan),
        [
            "p1 f2_conversion/0 email",
            "p3 dormant_reactivation/0 email",
            "p4 birthday/0 email",
            "p5 first_order_anniversary/0 email",
        ]
    );
    assert!(plan.skipped().is_empty(), "{:?}", skips(&plan));
}

/// `purchase_interval_days` and `next_purchase_due`, worked by hand as of
/// 31 March, on both ways profiles are built (columns, and rows with
/// prospects):
///
/// - c1: days 1 Jan, 31 Jan, 3 Mar, 23 Mar → gaps 30, 31, 20 → 30 → due
///   23 Mar + 30 = 22 Apr;
/// - c2: 1 and 11 Feb → 10 → due 21 Feb;
/// - c4: 1, 4, 6 Jan → gaps 3, 2 → 2.5 → rounded 3 → due 9 Jan;
/// - c3: one day (1 Mar) → no interval of its own; the population median
///   of 2.5, 10, 30 is 10 → due 11 Mar.
///
/// The replenishment preset from 7 days before to 21 days after the due
/// date (due dates 10 Mar ..= 7 Apr) takes c3 only; with 14 days of grace
/// (17 Mar ..= 7 Apr) nobody.
#[test]
fn purchase_intervals_and_replenishment_worked_by_hand() {
    use rfmkit::audience::Prospects;
    use rfmkit::program::presets;

    let days = [
        ("c1", vec![d(1, 1), d(1, 31), d(3, 3), d(3, 23)]),
        ("c2", vec![d(2, 1), d(2, 11)]),
        ("c3", vec![d(3, 1)]),
        ("c4", vec![d(1, 1), d(1, 4), d(1, 6)]),
    ];
    let mut orders = Vec::new();
    for (c, dates) in &days {
        for (i, day) in dates.iter().enumerate() {
            orders.push(buy(&format!("{c}-{i}"), c, *day, 2_000));
        }
    }
    let as_of = d(3, 31);
    let summaries = Summaries::from_orders(&orders, as_of).unwrap();
    assert_eq!(summaries.median_purchase_interval_days(), Some(10.0));
    let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    let segments = SegmentTable::standard().segment_all(&scores).unwrap();
    let customers = Customers::new(
        ["c1", "c2", "c3", "c4", "prospect"].map(|id| Customer::new(id).with_email_opt_in(true)),
    )
    .unwrap();
    let fast = Profiles::builder(&segments, &summaries)
        .customers(&customers)
        .build()
        .unwrap();
    let rows = Profiles::builder(&segments, &summaries)
        .customers(&customers)
        .prospects(Prospects::Include)
        .build()
        .unwrap();
    for profiles in [&fast, &rows] {
        let got = |id: &str| {
            let p = profiles.get(id).unwrap();
            (p.purchase_interval_days, p.next_purchase_due)
        };
        assert_eq!(got("c1"), (Some(30.0), Some(d(4, 22))));
        assert_eq!(got("c2"), (Some(10.0), Some(d(2, 21))));
        assert_eq!(got("c3"), (None, Some(d(3, 11))));
        assert_eq!(got("c4"), (Some(2.5), Some(d(1, 9))));
        let select = |q: &str| -> Vec<String> {
            let rule = Rule::parse(q, &profiles.schema()).unwrap();
            profiles
                .compile(&rule)
                .unwrap()
                .selected()
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(select("purchase_interval_days < 15"), ["c2", "c4"]);
        assert_eq!(
            select("next_purchase_due is null"),
            if profiles.len() == 5 {
                vec!["prospect"]
            } else {
                vec![]
            }
        );

        for (grace, expected) in [(21, vec!["c3 replenishment/0 email"]), (14, vec![])] {
            let mut json = serde_json::to_value(presets::replenishment(7, grace).unwrap()).unwrap();
            json["control"] = serde_json::json!(0.0);
            let refill: Program = serde_json::from_value(json).unwrap();
            let planner = Planner::new([refill], Caps::new()).unwrap();
            let plan = planner.plan(profiles, &ContactHistory::default()).unwrap();
            assert_eq!(sends(&plan), expected, "grace {grace}");
        }
    }
}

/// Replenishment due dates on the real CDNOW sample (2,357 customers) as
/// of 30 June 1998 equal a direct computation from the raw rows: distinct
/// purchase days per customer, the median gap, the population median of
/// those, and the last day plus the rounded interval.
#[test]
fn replenishment_due_dates_on_cdnow_equal_a_direct_computation() {
    use std::collections::{BTreeMap, BTreeSet};

    let text = include_str!("data/ltv_cdnow_sample.txt");
    let mut days: BTreeMap<String, BTreeSet<NaiveDate>> = BTreeMap::new();
    let mut orders = Vec::new();
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let date = NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap();
        let amount = rfmkit::Money::parse_decimal(f[4], 2).unwrap();
        days.entry(f[1].to_owned()).or_default().insert(date);
        orders.push(Order::new(format!("row-{i}"), f[1], date, amount));
    }
    let median = |mut v: Vec<f64>| -> Option<f64> {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n == 0 {
            None
        } else if n % 2 == 1 {
            Some(v[n / 2])
        } else {
            Some((v[n / 2 - 1] + v[n / 2]) / 2.0)
        }
    };
    let own: BTreeMap<&str, Option<f64>> = days
        .iter()
        .map(|(c, ds)| {
            let v: Vec<NaiveDate> = ds.iter().copied().collect();
            let gaps = v
                .windows(2)
                .map(|w| (w[1] - w[0]).num_days() as f64)
                .collect();
            (c.as_str(), median(gaps))
        })
        .collect();
    let population = median(own.values().flatten().copied().collect()).unwrap();

    let as_of = NaiveDate::from_ymd_opt(1998, 6, 30).unwrap();
    let summaries = Summaries::from_orders(&orders, as_of).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    let segments = SegmentTable::standard().segment_all(&scores).unwrap();
    let profiles = Profiles::builder(&segments, &summaries).build().unwrap();
    assert_eq!(profiles.len(), 2_357);
    for (c, ds) in &days {
        let p = profiles.get(c).unwrap();
        let interval = own[c.as_str()];
        assert_eq!(p.purchase_interval_days, interval, "{c}");
        let cycle = interval.unwrap_or(population);
        let due = *ds.last().unwrap() + chrono::Days::new((cycle + 0.5).floor() as u64);
        assert_eq!(p.next_purchase_due, Some(due), "{c}");
    }
}

/// Loyalty tiers by hand: member (0, 0), silver (90 days, 300.00), gold
/// (365 days, 1,000.00), spend over the whole history.
///
/// As of 30 June 2025: amy (first order 2025-06-01: 29 days, 5,000.00) is
/// a member (tenure too short); bo (2025-03-01: 121 days, 300.00 exactly)
/// is silver; cy (2024-06-30: 365 days, 999.99) is silver; di (2024-01-01,
/// 1,200.00 minus a 300.00 refund = 900.00) is silver; eve has only a
/// refund and no tier.
/// As of 31 March: amy has no order yet; bo (30 days) is a member; cy (274
/// days, 999.99) silver; di (455 days, 1,200.00 before the May refund)
/// gold. So by June: bo up, di down, amy entered.
#[test]
fn loyalty_tiers_worked_by_hand() {
    use rfmkit::ingest::IngestConfig;
    use rfmkit::program::{LoyaltyTiers, TierMove};

    let y2024 = |m, day| NaiveDate::from_ymd_opt(2024, m, day).unwrap();
    let orders = vec![
        buy("1", "amy", d(6, 1), 500_000),
        buy("2", "bo", d(3, 1), 30_000),
        buy("3", "cy", y2024(6, 30), 99_999),
        buy("4", "di", y2024(1, 1), 120_000),
        crate::common::refund("5", "di", d(5, 1), -30_000),
        crate::common::refund("6", "eve", d(5, 1), -1_000),
    ];
    let tiers = LoyaltyTiers::builder()
        .tier("member", 0, rfmkit::Money::ZERO)
        .tier("silver", 90, rfmkit::Money::new(30_000))
        .tier("gold", 365, rfmkit::Money::new(100_000))
        .build()
        .unwrap();
    let log = IngestConfig::new(d(6, 30)).ingest(&orders).unwrap();
    let june = tiers.assign(&log).unwrap();
    let names: Vec<(String, String)> = june
        .customers
        .iter()
        .map(|(c, t)| (c.to_string(), t.clone()))
        .collect();
    let pair = |c: &str, t: &str| (c.to_owned(), t.to_owned());
    assert_eq!(
        names,
        [
            pair("amy", "member"),
            pair("bo", "silver"),
            pair("cy", "silver"),
            pair("di", "silver")
        ]
    );
    let march = tiers.assign(&log.until(d(3, 31)).unwrap()).unwrap();
    assert_eq!(march.tier_of("bo"), Some("member"));
    assert_eq!(march.tier_of("di"), Some("gold"));
    let moves: Vec<(String, TierMove)> = tiers
        .changes(&march, &june)
        .into_iter()
        .map(|m| (m.customer.to_string(), m.kind))
        .collect();
    assert_eq!(
        moves,
        [
            ("amy".to_owned(), TierMove::Entered),
            ("bo".to_owned(), TierMove::Upgrade),
            ("di".to_owned(), TierMove::Downgrade),
        ]
    );

    // Invalid tier lists are named.
    let bad = LoyaltyTiers::builder()
        .tier("member", 0, rfmkit::Money::ZERO)
        .tier("gold", 365, rfmkit::Money::new(100_000))
        .tier("silver", 90, rfmkit::Money::new(30_000))
        .build()
        .unwrap_err();
    assert!(
        matches!(&bad, Error::InvalidConfig { field, .. } if field == "tiers[2].min_tenure_days"),
        "{bad}"
    );
    let bad = LoyaltyTiers::builder()
        .tier("vip", 30, rfmkit::Money::ZERO)
        .build()
        .unwrap_err();
    assert!(
        matches!(&bad, Error::InvalidConfig { field, .. } if field == "tiers[0]"),
        "{bad}"
    );
    let json = serde_json::to_string(&tiers).unwrap();
    assert_eq!(serde_json::from_str::<LoyaltyTiers>(&json).unwrap(), tiers);
    assert!(serde_json::from_str::<LoyaltyTiers>(&json.replace("\"tiers\"", "\"tier\"")).is_err());
}

/// An opt-out ends a run with `Exit::OptOut` (reported `Exited` on the day
/// the next step falls due) and leaves it waiting without it (`OptedOut`).
#[test]
fn an_opt_out_ends_the_run_only_with_the_opt_out_exit() {
    let orders = vec![buy("1", "ann", d(3, 1), 5_000)];
    let summaries = Summaries::from_orders(&orders, d(3, 8)).unwrap();
    let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    let segments = SegmentTable::standard().segment_all(&scores).unwrap();
    // ann withdrew her email consent after step 0.
    let customers = Customers::new([Customer::new("ann").with_email_opt_in(false)]).unwrap();
    let profiles = Profiles::builder(&segments, &summaries)
        .customers(&customers)
        .build()
        .unwrap();
    let history = ContactHistory::new([Contact::sent(
        "ann",
        "series",
        0,
        ContactChannel::Email,
        d(3, 1),
    )])
    .unwrap();
    for (exit, reason) in [
        (Some(Exit::OptOut), SkipReason::Exited),
        (
            None,
            SkipReason::OptedOut {
                channel: ContactChannel::Email,
            },
        ),
    ] {
        let mut b = Program::builder("series", rule("frequency >= 1"))
            .step(0, ContactChannel::Email)
            .step(7, ContactChannel::Email);
        if let Some(exit) = exit {
            b = b.exit(exit);
        }
        let planner = Planner::new([b.build().unwrap()], Caps::new()).unwrap();
        let plan = planner.plan(&profiles, &history).unwrap();
        assert_eq!(plan.contacts().len(), 0);
        let skipped: Vec<_> = plan
            .skipped()
            .iter()
            .map(|s| (s.step, s.reason.clone()))
            .collect();
        assert_eq!(skipped, [(1, reason)]);
    }
}
