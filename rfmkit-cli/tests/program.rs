//! `rfmkit plan` and `rfmkit lift` (issue 11): the library's hand-computed
//! four-day scenario through the command line, and a lift measurement.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

fn rfmkit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rfmkit"))
}

/// The scenario of the library's `four_days_of_two_programs_as_worked_by_hand`:
/// F2 (priority 10; email at 0 and 7 days, SMS at 14; exit on purchase)
/// and a promo (priority 1; one email; again after 10 days), at most 2
/// messages in 7 days and one a day.
const PROGRAMS: &str = r#"{
  "caps": {"overall": {"max": 2, "days": 7}, "min_gap_days": 1},
  "programs": [
    {"version": 1, "key": "f2",
     "audience": {"and": [
       {"field": "frequency", "op": "eq", "value": 1},
       {"field": "first_order", "op": "le", "value": {"ago": "7d"}}]},
     "steps": [{"delay_days": 0, "channel": "email"},
               {"delay_days": 7, "channel": "email"},
               {"delay_days": 14, "channel": "sms"}],
     "exits": ["purchase"], "priority": 10},
    {"version": 1, "key": "promo",
     "audience": {"field": "frequency", "op": "ge", "value": 1},
     "steps": [{"delay_days": 0, "channel": "email"}],
     "entry": {"after_days": 10}, "priority": 1}
  ]}"#;

const ORDERS: &str = "order_id,customer_id,order_date,amount
1,ann,2025-03-01,50.00
2,ben,2025-03-01,50.00
3,cat,2025-03-01,50.00
4,dan,2025-02-01,50.00
5,dan,2025-03-01,50.00
";

const CUSTOMERS: &str = "customer_id,email_opt_in,sms_opt_in
ann,true,true
ben,true,false
cat,false,false
dan,true,false
";

fn plan(dir: &Path, as_of: &str) -> (String, String) {
    let out = rfmkit()
        .args(["plan", "--as-of", as_of, "--skipped-steps"])
        .arg(dir.join("skipped.csv"))
        .arg("--input")
        .arg(dir.join("orders.csv"))
        .arg("--customers")
        .arg(dir.join("customers.csv"))
        .arg("--programs")
        .arg(dir.join("programs.json"))
        .arg("--history")
        .arg(dir.join("history.csv"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    (
        String::from_utf8(out).unwrap(),
        fs::read_to_string(dir.join("skipped.csv")).unwrap(),
    )
}

/// Appends a plan's rows (dated `as_of`) to the history file.
fn record(dir: &Path, plan: &str, as_of: &str) {
    let path = dir.join("history.csv");
    let mut history = fs::read_to_string(&path)
        .unwrap_or_else(|_| "customer_id,program,step,channel,date,outcome\n".to_owned());
    for line in plan.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        history.push_str(&format!(
            "{},{},{},{},{as_of},{}\n",
            f[0], f[1], f[2], f[3], f[4]
        ));
    }
    fs::write(path, history).unwrap();
}

#[test]
fn two_days_of_the_scenario_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("orders.csv"), ORDERS).unwrap();
    fs::write(dir.path().join("customers.csv"), CUSTOMERS).unwrap();
    fs::write(dir.path().join("programs.json"), PROGRAMS).unwrap();

    // 8 March (no history file yet): F2 takes ann and ben; dan gets the promo.
    let (out, skipped) = plan(dir.path(), "2025-03-08");
    assert_eq!(
        out,
        "customer_id,program,step,channel,outcome\n\
         ann,f2,0,email,sent\n\
         ben,f2,0,email,sent\n\
         dan,promo,0,email,sent\n"
    );
    assert_eq!(
        skipped,
        "customer_id,program,step,reason,detail\n\
         ann,promo,0,lower_priority,f2\n\
         ben,promo,0,lower_priority,f2\n\
         cat,f2,0,opted_out,email\n\
         cat,promo,0,opted_out,email\n"
    );
    record(dir.path(), &out, "2025-03-08");
    // The same day again: nothing new to send.
    let (again, _) = plan(dir.path(), "2025-03-08");
    assert_eq!(again, "customer_id,program,step,channel,outcome\n");

    // 9 March: the promo for ann and ben; dan waits until 18 March.
    let (out, skipped) = plan(dir.path(), "2025-03-09");
    assert_eq!(
        out,
        "customer_id,program,step,channel,outcome\n\
         ann,promo,0,email,sent\n\
         ben,promo,0,email,sent\n"
    );
    assert!(
        skipped.contains("dan,promo,0,quiet_period,2025-03-18\n"),
        "{skipped}"
    );
}

#[test]
fn bad_programs_and_histories_are_named() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("orders.csv"), ORDERS).unwrap();
    fs::write(dir.path().join("customers.csv"), CUSTOMERS).unwrap();
    // Step delays that do not increase, in the second program.
    let bad = PROGRAMS.replace(r#""entry": {"after_days": 10}"#, r#""steps_x": 1"#);
    fs::write(dir.path().join("programs.json"), bad).unwrap();
    rfmkit()
        .current_dir(dir.path())
        .args([
            "plan",
            "--as-of",
            "2025-03-08",
            "--input",
            "orders.csv",
            "--programs",
            "programs.json",
        ])
        .assert()
        .failure()
        .stderr(contains("programs[1]").and(contains("steps_x")));
    fs::write(dir.path().join("programs.json"), PROGRAMS).unwrap();
    fs::write(
        dir.path().join("history.csv"),
        "customer_id,program,step,channel,date,outcome\nann,f2,0,fax,2025-03-01,sent\n",
    )
    .unwrap();
    rfmkit()
        .current_dir(dir.path())
        .args([
            "plan",
            "--as-of",
            "2025-03-08",
            "--input",
            "orders.csv",
            "--programs",
            "programs.json",
            "--history",
            "history.csv",
        ])
        .assert()
        .failure()
        .stderr(contains("history.csv line 2").and(contains("fax")));
}

/// `rfmkit lift` of the `win_back` program (30-day window, as of
/// 2025-04-30) over `orders` and a history of two target entrants (a, b)
/// and two control (c, e), all entered on 2025-03-01; `extra` arguments
/// last.
fn lift_of(orders: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("orders.csv"), orders).unwrap();
    fs::write(
        dir.path().join("history.csv"),
        "customer_id,program,step,channel,date,outcome\n\
         a,win_back,0,email,2025-03-01,sent\n\
         b,win_back,0,email,2025-03-01,sent\n\
         c,win_back,0,email,2025-03-01,control\n\
         e,win_back,0,email,2025-03-01,control\n",
    )
    .unwrap();
    rfmkit()
        .current_dir(dir.path())
        .args(["lift", "--input", "orders.csv", "--history", "history.csv"])
        .args([
            "--program",
            "win_back",
            "--window",
            "30",
            "--as-of",
            "2025-04-30",
        ])
        .args(extra)
        .assert()
}

/// Lift: two target entrants (one buys within 30 days) and two control
/// (none buys): conversion 1/2 − 0/2 = 0.5; 2 against 2 is underpowered.
#[test]
fn lift_reports_groups_and_warns_when_underpowered() {
    let orders =
        "order_id,customer_id,order_date,amount\n1,a,2025-03-10,40.00\n2,c,2025-02-01,10.00\n";
    let out = lift_of(orders, &[])
        .success()
        .stderr(contains("too small"))
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["target"]["customers"], 2);
    assert_eq!(json["target"]["converted"], 1);
    assert_eq!(json["control"]["converted"], 0);
    assert_eq!(json["conversion_difference"]["estimate"], 0.5);
    assert_eq!(json["underpowered"], true);
}

/// Lift as a table: revenue in currency units with the currency's
/// decimals. Target (40.00 + 0) / 2 = 20.00 a customer, control
/// (0 + 15.00) / 2 = 7.50 (c's February order is before entry): a
/// difference of 12.50 a customer, 25.00 over the 2 targets.
#[test]
fn lift_table_shows_revenue_in_currency_units() {
    let orders = "order_id,customer_id,order_date,amount\n1,a,2025-03-10,40.00\n\
                  2,c,2025-02-01,10.00\n3,c,2025-03-05,15.00\n";
    let out = lift_of(orders, &["--format", "table"])
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let row = |name: &str| {
        text.lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no {name} row in\n{text}"))
            .to_owned()
    };
    assert!(
        row("revenue per customer difference").contains(" 12.50 ["),
        "{text}"
    );
    assert!(row("incremental revenue").contains(" 25.00 ["), "{text}");
}
