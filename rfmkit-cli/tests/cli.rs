//! Tests of the `rfmkit` binary. Expected outputs are hand-computed (the
//! fixtures in `tests/data/` with their `.expected.*` files, carried over
//! from `.ci/examples.sh`) or derived in the comments next to them.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

const AS_OF: &str = "2025-12-31";
const HEADER: &str = "customer_id,recency_days,frequency,monetary,r,f,m,segment";
const LAPSING: &str = "segment in (at_risk, cant_lose_them) and last_order < -90d";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
}

fn expected(name: &str) -> String {
    fs::read_to_string(data(name)).unwrap()
}

fn rfmkit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rfmkit"))
}

/// A temporary directory with one file written into it.
fn file(contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.csv");
    fs::write(&path, contents).unwrap();
    (dir, path)
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

// --- score: the hand-computed fixture ----------------------------------

#[test]
fn score_matches_the_hand_computed_fixture() {
    let out = stdout_of(
        rfmkit()
            .args([
                "score", "--as-of", AS_OF, "--method", "rank", "--bins", "5", "-i",
            ])
            .arg(data("orders_small.csv")),
    );
    assert_eq!(out, expected("orders_small.expected.csv"));
}

#[test]
fn score_output_file_gets_the_csv_and_stdout_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scores.csv");
    rfmkit()
        .args([
            "score", "--as-of", AS_OF, "--method", "rank", "--report", "-i",
        ])
        .arg(data("orders_small.csv"))
        .arg("--output")
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("wrote 5 customers to").and(contains("RFM model as of 2025-12-31")))
        .stdout(contains("segments (standard table)"));
    assert_eq!(
        fs::read_to_string(out).unwrap(),
        expected("orders_small.expected.csv")
    );
}

#[test]
fn header_only_file_gives_just_the_header() {
    let out = stdout_of(
        rfmkit()
            .args(["score", "--as-of", AS_OF, "-i"])
            .arg(data("empty.csv")),
    );
    assert_eq!(out.trim_end(), HEADER);
}

#[test]
fn json_and_table_formats_carry_the_same_scores() {
    let out = stdout_of(
        rfmkit()
            .args([
                "score", "--as-of", AS_OF, "--method", "rank", "--format", "json", "-i",
            ])
            .arg(data("orders_small.csv")),
    );
    let rows: Value = serde_json::from_str(&out).unwrap();
    let c04 = &rows[3];
    assert_eq!(c04["customer_id"], "C04");
    assert_eq!(c04["recency_days"], 91);
    assert_eq!(c04["frequency"], 2);
    assert_eq!(c04["monetary"], "35.50");
    assert_eq!(
        (c04["r"].clone(), c04["f"].clone(), c04["m"].clone()),
        (2.into(), 3.into(), 1.into())
    );
    assert_eq!(c04["segment"], "at_risk");
    assert_eq!(rows.as_array().unwrap().len(), 5);

    let table = stdout_of(
        rfmkit()
            .args([
                "score", "--as-of", AS_OF, "--method", "rank", "--format", "table", "-i",
            ])
            .arg(data("orders_small.csv")),
    );
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 6, "{table}");
    let words: Vec<&str> = lines[4].split_whitespace().collect();
    assert_eq!(words, ["C04", "91", "2", "35.50", "2", "3", "1", "at_risk"]);
    // Aligned: every row has the segment column at the same offset.
    let at = lines[0].find("segment").unwrap();
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.len() > at && l.as_bytes()[at - 1] == b' '),
        "{table}"
    );
}

#[test]
fn saved_model_scores_the_same_data_identically() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    rfmkit()
        .args(["score", "--as-of", AS_OF, "--method", "rank", "-i"])
        .arg(data("orders_small.csv"))
        .arg("--model-out")
        .arg(&model)
        .assert()
        .success();
    let json: Value = serde_json::from_str(&fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(json["as_of"], AS_OF);
    let out = stdout_of(
        rfmkit()
            .args(["score", "--as-of", AS_OF, "-i"])
            .arg(data("orders_small.csv"))
            .arg("--model")
            .arg(&model),
    );
    assert_eq!(out, expected("orders_small.expected.csv"));
    // A frozen model fixes the method and bins: asking again is a usage error.
    rfmkit()
        .args(["score", "--as-of", AS_OF, "--bins", "4", "-i"])
        .arg(data("orders_small.csv"))
        .arg("--model")
        .arg(&model)
        .assert()
        .code(2);
}

#[test]
fn bins_must_fit_the_segment_table() {
    rfmkit()
        .args(["score", "--as-of", AS_OF, "--bins", "4", "-i"])
        .arg(data("orders_small.csv"))
        .assert()
        .code(2)
        .stderr(contains("segment table is for 5"));
}

// --- errors naming file, line and column -------------------------------

#[test]
fn malformed_fixtures_fail_naming_the_line() {
    for (fixture, line) in [
        ("bad_date.csv", 4),
        ("bad_amount.csv", 3),
        ("overflow_amount.csv", 5),
        ("short_row.csv", 5),
        ("after_as_of.csv", 8),
    ] {
        let pattern = format!(r"{fixture} line {line}[^0-9]");
        rfmkit()
            .args(["score", "--as-of", AS_OF, "-i"])
            .arg(data(fixture))
            .assert()
            .code(1)
            .stdout("")
            .stderr(predicate::str::is_match(&pattern).unwrap());
    }
}

#[test]
fn bad_cells_name_their_column() {
    rfmkit()
        .args(["score", "--as-of", AS_OF, "-i"])
        .arg(data("bad_date.csv"))
        .assert()
        .code(1)
        .stderr(contains(
            "line 4, column 2 (order_date): \"2025-13-01\" is not a date",
        ));
    rfmkit()
        .args(["score", "--as-of", AS_OF, "-i"])
        .arg(data("bad_amount.csv"))
        .assert()
        .code(1)
        .stderr(contains("line 3, column 4 (amount): \"1e3\""));
}

#[test]
fn missing_column_is_named() {
    rfmkit()
        .args(["score", "--as-of", AS_OF, "-i"])
        .arg(data("missing_column.csv"))
        .assert()
        .code(1)
        .stderr(contains(
            "missing column \"amount\" (header: customer_id,order_date)",
        ));
}

#[test]
fn duplicated_column_is_an_error() {
    let (_dir, path) = file(b"customer_id,order_date,amount,Amount\nC1,2025-01-01,1.00,2.00\n");
    rfmkit()
        .args(["score", "--as-of", AS_OF, "-i"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains(
            "line 1: column \"amount\" appears twice (columns 3 and 4)",
        ));
}

#[test]
fn more_decimals_than_the_scale_is_an_error_never_rounded() {
    let (_dir, path) =
        file(b"customer_id,order_date,amount\nC1,2025-01-01,10.00\nC1,2025-01-02,10.005\n");
    rfmkit()
        .args(["score", "--as-of", AS_OF, "-i"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains(
            "line 3, column 3 (amount): \"10.005\" is not an amount with at most 2 decimals",
        ));
    // Yen: scale 0 takes 1200 and rejects 1200.5.
    let (_dir, yen) =
        file(b"customer_id,order_date,amount\nC1,2025-12-01,1200\nC1,2025-12-21,800\n");
    let out = stdout_of(
        rfmkit()
            .args(["score", "--as-of", AS_OF, "--scale", "0", "-i"])
            .arg(&yen),
    );
    assert!(
        out.lines().nth(1).unwrap().starts_with("C1,10,2,2000,"),
        "{out}"
    );
    let (_dir, bad) = file(b"customer_id,order_date,amount\nC1,2025-12-01,1200.5\n");
    rfmkit()
        .args(["score", "--as-of", AS_OF, "--scale", "0", "-i"])
        .arg(&bad)
        .assert()
        .code(1)
        .stderr(contains("line 2, column 3 (amount)"));
}

#[test]
fn unknown_status_is_an_error() {
    let (_dir, path) = file(b"customer_id,order_date,amount,status\nC1,2025-01-01,1.00,completed\nC1,2025-01-02,2.00,shipped\n");
    rfmkit()
        .args(["score", "--as-of", AS_OF, "-i"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains(
            "line 3, column 4 (status): status \"shipped\" is unknown",
        ));
}

#[test]
fn duplicate_order_ids_name_both_lines() {
    let (_dir, path) = file(b"order_id,customer_id,order_date,amount\nA,C1,2025-01-01,1.00\nB,C2,2025-01-01,1.00\nA,C3,2025-01-02,2.00\n");
    rfmkit()
        .args(["score", "--as-of", AS_OF, "-i"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains("line 4 (order A)").and(contains("the first is on line 2")));
}

// --- shop exports: BOM, CRLF, quoting, column order, timestamps --------

#[test]
fn bom_crlf_quotes_and_reordered_columns_give_the_fixture() {
    // orders_small.csv with the columns in another order, a byte-order
    // mark, CRLF line ends, upper-case headers, quoted cells (some with
    // commas and a quote) and a multi-line note.
    let rows = [
        (
            "A-01",
            "C01",
            "2025-03-02",
            "120.00",
            "completed",
            "\"web, desktop\"",
        ),
        (
            "A-02",
            "C03",
            "2024-08-01",
            "99.99",
            "COMPLETED",
            "\"first \"\"big\"\" order\"",
        ),
        ("A-03", "C04", "2025-07-07", "60.00", "completed", ""),
        (
            "A-04",
            "C01",
            "2025-06-15",
            "\"89.90\"",
            "completed",
            "\"two\r\nlines\"",
        ),
        ("A-05", "C03", "2024-11-29", "130.00", "completed", ""),
        ("A-06", "\"C05\"", "2025-11-15", " 45.00 ", "completed", ""),
        ("A-07", "C04", "2025-10-01", "25.50", "completed", ""),
        ("A-08", "C01", "2025-09-09", "45.10", "completed", ""),
        ("A-09", "C03", "2025-02-14", "70.01", "completed", ""),
        (
            "A-10",
            "C04",
            "2025-11-20",
            "-50.00",
            "returned",
            "\"refund, partial\"",
        ),
        ("A-11", "C02", "2025-12-20", "45.00", "completed", ""),
        ("A-12", "C01", "2025-12-20", "150.00", "completed", ""),
        (
            "A-13",
            "C02",
            "2025-12-28",
            "500.00",
            "cancelled",
            "\"cancelled, counts nowhere\"",
        ),
    ];
    let mut text = String::from("\u{feff}Note,AMOUNT,Status,Order_Date,Customer_ID,order_id\r\n");
    for (id, customer, date, amount, status, note) in rows {
        text.push_str(&format!(
            "{note},{amount},{status},{date},{customer},{id}\r\n"
        ));
    }
    let (_dir, path) = file(text.as_bytes());
    let out = stdout_of(
        rfmkit()
            .args(["score", "--as-of", AS_OF, "--method", "rank", "-i"])
            .arg(&path),
    );
    assert_eq!(out, expected("orders_small.expected.csv"));
}

#[test]
fn quoted_field_with_a_comma_in_the_amount_is_a_clear_error() {
    let (_dir, path) = file(b"customer_id,order_date,amount\nC1,2025-01-01,\"1,200.00\"\n");
    rfmkit()
        .args(["score", "--as-of", AS_OF, "-i"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains("line 2, column 3 (amount): \"1,200.00\""));
}

/// One customer per row; as of 2025-01-10, recency = 10 - day.
const STAMPS: &[u8] = b"customer_id,order_date,amount\n\
tokyo_late,2025-01-05T23:30:00+09:00,1.00\n\
tokyo_early,2025-01-05T08:30:00+09:00,1.00\n\
utc_late,2025-01-04T23:30:00Z,1.00\n\
naive,2025-01-05 23:30:00,1.00\n\
plain,2025-01-05,1.00\n";

fn recencies(zone: &str) -> Vec<(String, String)> {
    let (_dir, path) = file(STAMPS);
    let out = stdout_of(
        rfmkit()
            .args(["score", "--as-of", "2025-01-10", "--timezone", zone, "-i"])
            .arg(&path),
    );
    out.lines()
        .skip(1)
        .map(|l| {
            let mut cells = l.split(',');
            (
                cells.next().unwrap().to_owned(),
                cells.next().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn timestamps_fall_on_the_shops_day() {
    // Tokyo (UTC+9): 23:30+09 and 08:30+09 are 5 January; 23:30Z is 08:30
    // on 5 January in Tokyo. Naive timestamps and dates are taken as is.
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    };
    let tokyo = pairs(&[
        ("naive", "5"),
        ("plain", "5"),
        ("tokyo_early", "5"),
        ("tokyo_late", "5"),
        ("utc_late", "5"),
    ]);
    assert_eq!(recencies("Asia/Tokyo"), tokyo);
    assert_eq!(recencies("+09:00"), tokyo);
    // UTC: 08:30+09 is 23:30 on 4 January; 23:30Z stays on 4 January.
    let utc = pairs(&[
        ("naive", "5"),
        ("plain", "5"),
        ("tokyo_early", "6"),
        ("tokyo_late", "5"),
        ("utc_late", "6"),
    ]);
    assert_eq!(recencies("UTC"), utc);
    // New York (UTC-5 in January): 23:30+09 is 09:30 on 5 January;
    // 08:30+09 is 18:30 on 4 January; 23:30Z is 18:30 on 4 January.
    let ny = pairs(&[
        ("naive", "5"),
        ("plain", "5"),
        ("tokyo_early", "6"),
        ("tokyo_late", "5"),
        ("utc_late", "6"),
    ]);
    assert_eq!(recencies("America/New_York"), ny);
}

#[test]
fn offsets_need_a_timezone() {
    let (_dir, path) = file(STAMPS);
    rfmkit()
        .args(["score", "--as-of", "2025-01-10", "-i"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains("line 2, column 2 (order_date)").and(contains("pass --timezone")));
    rfmkit()
        .args([
            "score",
            "--as-of",
            "2025-01-10",
            "--timezone",
            "Mars/Olympus",
            "-i",
        ])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("not a time zone"));
}

// --- --lenient ---------------------------------------------------------

#[test]
fn lenient_fixtures_skip_and_list_the_line() {
    for (fixture, line) in [("bad_date.csv", 4), ("after_as_of.csv", 8)] {
        let pattern = format!(r"(?m)^skipped .* line {line}[^0-9]");
        rfmkit()
            .args(["score", "--as-of", AS_OF, "--lenient", "-i"])
            .arg(data(fixture))
            .assert()
            .success()
            .stdout(predicate::str::starts_with(HEADER))
            .stderr(
                predicate::str::is_match(&pattern)
                    .unwrap()
                    .and(contains("skipped 1 of ")),
            );
    }
}

/// Eight rows, five of them bad in five ways; one row spans two lines.
const MESSY: &[u8] = b"order_id,customer_id,order_date,amount,status,note\n\
A1,C1,2025-01-01,10.00,completed,\n\
A2,C1,2025-02-30,10.00,completed,\n\
A3,C2,2025-01-03,10.00,completed,\"two\nlines\"\n\
A4,C2,2025-01-04,10.00,shipped,\n\
A5,C3,2025-01-05,10.001,completed,\n\
A1,C3,2025-01-06,10.00,completed,\n\
A7,C4,2026-02-01,10.00,completed,\n\
A8,C4,2025-01-08,10.00,completed,\n";

#[test]
fn lenient_lists_every_skipped_row_with_line_and_column() {
    let (dir, path) = file(MESSY);
    // Lines: 1 header, 2 A1, 3 A2 (30 February), 4-5 A3 (two-line note),
    // 6 A4 (unknown status), 7 A5 (three decimals), 8 duplicate id A1,
    // 9 A7 (after the as-of date), 10 A8.
    rfmkit()
        .args(["score", "--as-of", AS_OF, "--lenient", "-i"])
        .arg(&path)
        .assert()
        .success()
        .stderr(
            contains("line 3, column 3 (order_date)")
                .and(contains("line 6, column 5 (status)"))
                .and(contains("line 7, column 4 (amount)"))
                .and(contains("line 8 (order A1)"))
                .and(contains("line 9 (order A7)"))
                .and(contains("(the first is on line 2)"))
                .and(contains("skipped 5 of 8 rows")),
        );
    let report = dir.path().join("skipped.csv");
    let out = stdout_of(
        rfmkit()
            .args(["score", "--as-of", AS_OF, "--lenient", "-i"])
            .arg(&path)
            .arg("--skipped")
            .arg(&report),
    );
    // C1 (A1), C2 (A3), C4 (A8) are scored; C3's only good row was a duplicate.
    let ids: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["C1", "C2", "C4"]);
    let listed = fs::read_to_string(report).unwrap();
    let lines: Vec<&str> = listed
        .lines()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(lines, ["line", "3", "6", "7", "8", "9"]);
    assert!(listed.contains("8,,A1,"), "{listed}");
}

#[test]
fn skipped_needs_lenient() {
    rfmkit()
        .args(["score", "--as-of", AS_OF, "--skipped", "x.csv", "-i"])
        .arg(data("orders_small.csv"))
        .assert()
        .code(2);
}

// --- audiences ---------------------------------------------------------

#[test]
fn audience_matches_the_fixture() {
    rfmkit()
        .args([
            "audience", "--as-of", AS_OF, "--method", "rank", "--query", LAPSING, "-i",
        ])
        .arg(data("orders_small.csv"))
        .assert()
        .success()
        .stdout(expected("audience_small.expected.csv"))
        .stderr(contains(format!(
            "audience: 2 of 5 customers selected by {LAPSING}"
        )));
    // The same through score --audience.
    rfmkit()
        .args([
            "score",
            "--as-of",
            AS_OF,
            "--method",
            "rank",
            "--audience",
            LAPSING,
            "-i",
        ])
        .arg(data("orders_small.csv"))
        .assert()
        .success()
        .stdout(expected("audience_small.expected.csv"));
}

#[test]
fn explain_prints_each_clause() {
    let query = format!("{LAPSING} and monetary >= 100.00");
    rfmkit()
        .args(["audience", "--as-of", AS_OF, "--method", "rank", "--explain", "C04", "--query", &query, "-i"])
        .arg(data("orders_small.csv"))
        .assert()
        .success()
        .stderr(
            predicate::str::is_match(r"(?m)^customer C04: not selected \(the rule is false\)").unwrap()
                .and(predicate::str::is_match(r"(?m)^  true     last_order < -90d  \[last_order = 2025-10-01; -90d is 2025-10-02\]").unwrap())
                .and(predicate::str::is_match(r"(?m)^  false    monetary >= 100.00  \[monetary = 35.50\]").unwrap()),
        );
    rfmkit()
        .args(["score", "--as-of", AS_OF, "--explain", "C04", "-i"])
        .arg(data("orders_small.csv"))
        .assert()
        .code(2);
    rfmkit()
        .args([
            "audience",
            "--as-of",
            AS_OF,
            "--query",
            "r >= 1",
            "--explain",
            "C99",
            "-i",
        ])
        .arg(data("orders_small.csv"))
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains("explain C99: no scored customer"));
}

#[test]
fn query_errors_name_the_column_with_a_caret() {
    for (query, message, caret) in [
        (
            "segment in (at_risk) and monetary >= abc",
            "column 38: expected a number after '>=', found 'abc'",
            38,
        ),
        (
            "segment = at_rsik",
            "column 11: unknown segment 'at_rsik'; did you mean 'at_risk'?",
            11,
        ),
        (
            "monetory > 1",
            "column 1: unknown field 'monetory'; did you mean 'monetary'?",
            1,
        ),
        (
            "(frequency > 1",
            "column 15: expected ')' to close the '(' at column 1, found end of query",
            15,
        ),
    ] {
        let assert = rfmkit()
            .args(["audience", "--as-of", AS_OF, "--query", query, "-i"])
            .arg(data("orders_small.csv"))
            .assert()
            .code(1)
            .stdout("")
            .stderr(contains(format!("error: --query: {message}")));
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines[1], format!("  {query}"));
        assert_eq!(lines[2], format!("  {}^", " ".repeat(caret - 1)));
    }
}

#[test]
fn query_errors_come_before_reading_the_orders() {
    rfmkit()
        .args([
            "audience",
            "--as-of",
            AS_OF,
            "--query",
            "monetory > 1",
            "-i",
            "does-not-exist.csv",
        ])
        .assert()
        .code(1)
        .stderr(contains("unknown field 'monetory'"));
}

const CUSTOMERS: &[u8] =
    b"\xef\xbb\xbfcustomer_id,email_opt_in,tags,attr.points,signup_date,birthday\r\n\
C01,yes,vip;newsletter,150,2024-01-01,07-14\r\n\
C02,no,vip,500,,\r\n\
C03,true,,90,,1990-02-28\r\n\
C04,1,vip,120,,\r\n\
C05,,vip,200,,\r\n";

#[test]
fn customers_file_feeds_record_rules_and_control_groups() {
    let (dir, _) = file(b"");
    let customers = dir.path().join("customers.csv");
    fs::write(&customers, CUSTOMERS).unwrap();
    // Opted in, tagged vip and more than 100 points: C01 and C04 (C02 is
    // opted out, C03 has no tag and 90 points, C05's opt-in is empty).
    let query = "email_opt_in and tags contains vip and attr.points > 100";
    let out = stdout_of(
        rfmkit()
            .args([
                "audience", "--as-of", AS_OF, "--method", "rank", "--query", query, "-i",
            ])
            .arg(data("orders_small.csv"))
            .arg("--customers")
            .arg(&customers),
    );
    assert_eq!(
        out,
        format!("{HEADER}\nC01,11,4,405.00,4,5,5,champions\nC04,91,2,35.50,2,3,1,at_risk\n")
    );
    // A control group splits the same two customers into target and control.
    let assert = rfmkit()
        .args([
            "audience",
            "--as-of",
            AS_OF,
            "--method",
            "rank",
            "--query",
            query,
            "--control",
            "0.5",
            "--campaign",
            "test-1",
            "-i",
        ])
        .arg(data("orders_small.csv"))
        .arg("--customers")
        .arg(&customers)
        .assert()
        .success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    let rows: Vec<(&str, &str)> = out
        .lines()
        .skip(1)
        .map(|l| (l.split(',').next().unwrap(), l.rsplit(',').next().unwrap()))
        .collect();
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), ["C01", "C04"]);
    let targets = rows.iter().filter(|r| r.1 == "target").count();
    let controls = rows.iter().filter(|r| r.1 == "control").count();
    assert_eq!(targets + controls, 2, "{out}");
    assert!(
        stderr.contains(&format!(
            "campaign test-1: 2 matched, {targets} target + {controls} control"
        )),
        "{stderr}"
    );
    // --control without --campaign is a usage error.
    rfmkit()
        .args([
            "audience",
            "--as-of",
            AS_OF,
            "--query",
            query,
            "--control",
            "0.5",
            "-i",
        ])
        .arg(data("orders_small.csv"))
        .assert()
        .code(2);
}

#[test]
fn bad_customers_cell_names_line_and_column() {
    let (dir, _) = file(b"");
    let customers = dir.path().join("customers.csv");
    fs::write(&customers, "customer_id,email_opt_in\nC01,yes\nC02,maybe\n").unwrap();
    rfmkit()
        .args([
            "audience",
            "--as-of",
            AS_OF,
            "--query",
            "email_opt_in",
            "-i",
        ])
        .arg(data("orders_small.csv"))
        .arg("--customers")
        .arg(&customers)
        .assert()
        .code(1)
        .stderr(contains(
            "customers.csv line 3, column 2 (email_opt_in): \"maybe\" is not true or false",
        ));
}

// --- ltv ---------------------------------------------------------------

fn ltv_json(extra: &[&str], fixture: &str) -> Value {
    let out = stdout_of(
        rfmkit()
            .args(["ltv", "--as-of", AS_OF])
            .args(extra)
            .arg("-i")
            .arg(data(fixture)),
    );
    serde_json::from_str(&out).unwrap()
}

#[test]
fn ltv_matches_the_hand_computed_kpis() {
    // tests/ltv.rs (ltv_small_fixture_by_hand): 5 customers, 9 completed
    // orders, net 655.00 - 40.00 = 615.00, AOV 61500 / 9 = 6833.33.
    let j = ltv_json(&[], "ltv_small.csv");
    let k = &j["kpis"];
    assert_eq!(j["scale"], 2);
    assert_eq!(
        (k["customers"].clone(), k["orders"].clone()),
        (5.into(), 9.into())
    );
    assert_eq!(k["net_revenue"], 61500);
    assert_eq!(k["margin"], 24000);
    assert_eq!(k["average_order_value"], 6833);
    assert_eq!(k["repeat_rate"], 0.4);
    assert_eq!(
        k["f2"],
        serde_json::json!({"days": 90, "eligible": 4, "converted": 2, "rate": 0.5})
    );
    assert_eq!(
        (k["churn"]["active"].clone(), k["churn"]["churned"].clone()),
        (1.into(), 1.into())
    );
    assert_eq!(
        (k["ltv"].clone(), k["margin_ltv"].clone()),
        (12300.into(), 4800.into())
    );
    let groups = |key: &str| -> Vec<(Value, Value)> {
        j[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| (g["key"].clone(), g["value"]["customers"].clone()))
            .collect()
    };
    assert_eq!(
        groups("by_channel"),
        [
            ("app".into(), 2.into()),
            ("web".into(), 2.into()),
            (Value::Null, 1.into())
        ]
    );
    assert_eq!(
        groups("by_store"),
        [
            ("online".into(), 1.into()),
            ("osaka".into(), 2.into()),
            ("tokyo".into(), 2.into())
        ]
    );
    let cohorts = j["cohorts"]["cohorts"].as_array().unwrap();
    let months: Vec<&str> = cohorts
        .iter()
        .map(|c| c["month"].as_str().unwrap())
        .collect();
    assert_eq!(
        months,
        ["2024-12", "2025-01", "2025-03", "2025-06", "2025-12"]
    );
    let active: Vec<&Value> = cohorts[3]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["active"])
        .collect();
    assert_eq!(active, [1, 0, 1, 0, 0, 0, 0]);
    let last = cohorts[1]["cells"].as_array().unwrap().last().unwrap();
    assert_eq!(last["cumulative_revenue_per_customer"], 23000);
}

#[test]
fn ltv_options_errors_and_empty_input() {
    // --f2-days 30: C05 (first order 30 days before the as-of date) becomes
    // eligible; C01 came back after 36 days, C03 after 70: no conversion.
    let j = ltv_json(&["--f2-days", "30"], "ltv_small.csv");
    assert_eq!(
        j["kpis"]["f2"],
        serde_json::json!({"days": 30, "eligible": 5, "converted": 0, "rate": 0.0})
    );
    rfmkit()
        .args(["ltv", "--as-of", AS_OF, "-i"])
        .arg(data("after_as_of.csv"))
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::is_match("line 8[^0-9]").unwrap());
    let lenient = rfmkit()
        .args(["ltv", "--as-of", AS_OF, "--lenient", "-i"])
        .arg(data("after_as_of.csv"))
        .assert()
        .success()
        .stderr(predicate::str::is_match("(?m)^skipped .* line 8[^0-9]").unwrap());
    let j: Value = serde_json::from_slice(&lenient.get_output().stdout).unwrap();
    assert_eq!(j["kpis"]["customers"], 4);
    let j = ltv_json(&[], "empty.csv");
    assert_eq!(j["kpis"]["customers"], 0);
    assert_eq!(j["kpis"]["repeat_rate"], Value::Null);
    assert_eq!(j["by_channel"], serde_json::json!([]));
    rfmkit()
        .args(["ltv", "--as-of", AS_OF, "--f2-days", "0", "-i"])
        .arg(data("ltv_small.csv"))
        .assert()
        .code(2)
        .stderr(contains("--f2-days"));
    let table = stdout_of(
        rfmkit()
            .args(["ltv", "--as-of", AS_OF, "--format", "table", "-i"])
            .arg(data("ltv_small.csv")),
    );
    assert!(table.contains("61") && table.lines().count() > 5, "{table}");
}

// --- clv ---------------------------------------------------------------

/// The CDNOW sample (id, YYYYMMDD, count, amount) as an order CSV.
fn cdnow_csv(dir: &Path) -> PathBuf {
    let text = fs::read_to_string(data("ltv_cdnow_sample.txt")).unwrap();
    let mut csv = String::from("order_id,customer_id,order_date,amount\n");
    for (n, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() == 5 {
            let d = f[2];
            csv.push_str(&format!(
                "L{},{},{}-{}-{},{}\n",
                n + 1,
                f[1],
                &d[..4],
                &d[4..6],
                &d[6..],
                f[4]
            ));
        }
    }
    let path = dir.join("cdnow.csv");
    fs::write(&path, csv).unwrap();
    path
}

/// Rounds to three significant digits.
fn sig3(v: f64) -> f64 {
    let scale = 10f64.powi(2 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

#[test]
fn clv_reproduces_the_published_bg_nbd_fit() {
    let dir = tempfile::tempdir().unwrap();
    let input = cdnow_csv(dir.path());
    let predictions = dir.path().join("pred.csv");
    let out = stdout_of(
        rfmkit()
            .args([
                "clv",
                "--calibration-end",
                "1997-09-30",
                "--observation-end",
                "1998-06-30",
                "--model",
                "bg_nbd",
                "-i",
            ])
            .arg(&input)
            .arg("--output")
            .arg(&predictions),
    );
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let bg = &lines[0];
    assert_eq!(bg["model"], "bg_nbd");
    let params: Vec<f64> = ["r", "alpha", "a", "b"]
        .iter()
        .map(|k| sig3(bg[k].as_f64().unwrap()))
        .collect();
    assert_eq!(params, [0.243, 4.41, 0.793, 2.43]);
    assert!((bg["log_likelihood"].as_f64().unwrap() + 9582.4).abs() <= 0.1);
    assert_eq!(bg["holdout_actual"], 1882);
    let gg = &lines[1];
    assert_eq!(gg["model"], "gamma_gamma");
    assert_eq!(gg["customers"], 946);
    // Customer 0001: x = 2, t_x = 213/7, T = 272/7 weeks, one holdout
    // purchase day; lifetimes gives P(alive) 0.72662, 1.22599 purchases.
    let text = fs::read_to_string(predictions).unwrap();
    let mut rows = text.lines();
    assert_eq!(
        rows.next().unwrap(),
        "customer_id,x,t_x,T,p_alive,expected_purchases,expected_spend,clv,holdout_purchases"
    );
    let first: Vec<&str> = rows.next().unwrap().split(',').collect();
    assert_eq!((first[0], first[1], first[8]), ("0001", "2", "1"));
    assert!((first[4].parse::<f64>().unwrap() - 0.72662).abs() < 1e-5);
    assert!((first[5].parse::<f64>().unwrap() - 1.22599).abs() < 1e-5);
    assert_eq!(text.lines().count(), 2358);
}

#[test]
fn clv_errors() {
    rfmkit()
        .args([
            "clv",
            "--calibration-end",
            "2025-06-30",
            "--horizon",
            "52",
            "-i",
        ])
        .arg(data("clv_no_repeat.csv"))
        .assert()
        .code(1)
        .stderr(contains("no customer made a repeat purchase"));
    rfmkit()
        .args([
            "clv",
            "--calibration-end",
            "2025-06-30",
            "--observation-end",
            AS_OF,
            "-i",
        ])
        .arg(data("after_as_of.csv"))
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::is_match("line 8[^0-9]").unwrap());
    rfmkit()
        .args([
            "clv",
            "--calibration-end",
            "2025-06-30",
            "--unit",
            "month",
            "-i",
        ])
        .arg(data("after_as_of.csv"))
        .assert()
        .code(2);
    rfmkit()
        .args(["clv", "--calibration-end", "2025-06-30", "-i"])
        .arg(data("after_as_of.csv"))
        .assert()
        .code(2)
        .stderr(contains("--horizon is required"));
}

#[test]
fn clv_reports_standard_errors_and_bootstrap_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let input = cdnow_csv(dir.path());
    let run = |extra: &[&str], output: &Path| {
        stdout_of(
            rfmkit()
                .args([
                    "clv",
                    "--calibration-end",
                    "1997-09-30",
                    "--observation-end",
                    "1998-06-30",
                    "--model",
                    "bg_nbd",
                    "-i",
                ])
                .arg(&input)
                .args(extra)
                .arg("--output")
                .arg(output),
        )
    };
    let plain_csv = dir.path().join("plain.csv");
    let plain = run(&[], &plain_csv);
    let lines: Vec<Value> = plain
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // lifetimes 0.11.3 BetaGeoFitter.standard_errors_ on the same data
    // (.ci/clv_se_reference.py): r 0.012557, alpha 0.37822, a 0.18573,
    // b 0.70541; Gamma-Gamma (dollars) p 1.1901, q 0.29013, v 4.1594.
    let bg = &lines[0];
    for (k, se) in [
        ("r", 0.012557),
        ("alpha", 0.37822),
        ("a", 0.18573),
        ("b", 0.70541),
    ] {
        let ours = bg["standard_errors"][k].as_f64().unwrap();
        assert!((ours / se - 1.0).abs() < 1e-3, "{k}: {ours}");
        let ci = bg["ci95"][k].as_array().unwrap();
        let est = bg[k].as_f64().unwrap();
        assert!(ci[0].as_f64().unwrap() < est && est < ci[1].as_f64().unwrap());
    }
    assert!(bg.get("hessian_warning").is_none());
    let gg = &lines[1];
    for (k, se) in [("p", 1.1901), ("q", 0.29013), ("gamma", 4.1594)] {
        let ours = gg["standard_errors"][k].as_f64().unwrap();
        assert!((ours / se - 1.0).abs() < 1e-3, "{k}: {ours}");
    }

    // --intervals: a third line with the totals, six more CSV columns,
    // the same for the same seed.
    let args = ["--intervals", "--draws", "40", "--seed", "5"];
    let a_csv = dir.path().join("a.csv");
    let b_csv = dir.path().join("b.csv");
    let a = run(&args, &a_csv);
    let b = run(&args, &b_csv);
    assert_eq!(a, b);
    assert_eq!(
        fs::read_to_string(&a_csv).unwrap(),
        fs::read_to_string(&b_csv).unwrap()
    );
    let lines: Vec<Value> = a
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let totals = &lines[2];
    assert_eq!(totals["intervals"], "bg_nbd");
    assert_eq!(totals["draws"], 40);
    assert_eq!(totals["from"], "1997-10-01");
    let est = totals["total_expected_purchases"].as_f64().unwrap();
    let band = totals["total_expected_purchases_interval"]
        .as_array()
        .unwrap();
    assert!(band[0].as_f64().unwrap() < est && est < band[1].as_f64().unwrap());
    // The holdout check's predicted total is the same expectation.
    assert!((est - lines[0]["holdout_predicted"].as_f64().unwrap()).abs() < 1e-6 * est);
    let clv = totals["total_clv"].as_f64().unwrap();
    let band = totals["total_clv_interval"].as_array().unwrap();
    assert!(band[0].as_f64().unwrap() < clv && clv < band[1].as_f64().unwrap());
    let text = fs::read_to_string(&a_csv).unwrap();
    let mut rows = text.lines();
    assert_eq!(
        rows.next().unwrap(),
        "customer_id,x,t_x,T,p_alive,expected_purchases,expected_spend,clv,holdout_purchases,\
         p_alive_lower,p_alive_upper,expected_purchases_lower,expected_purchases_upper,\
         clv_lower,clv_upper"
    );
    let first: Vec<f64> = rows
        .next()
        .unwrap()
        .split(',')
        .skip(4)
        .map(|v| v.parse().unwrap())
        .collect();
    // p_alive within its bounds, expected purchases within theirs.
    assert!(first[5] <= first[0] && first[0] <= first[6], "{first:?}");
    assert!(first[7] <= first[1] && first[1] <= first[8], "{first:?}");
    // The point columns are those of the plain run.
    let plain_text = fs::read_to_string(&plain_csv).unwrap();
    for (with, without) in text.lines().zip(plain_text.lines()).skip(1) {
        assert!(with.starts_with(without), "{with} vs {without}");
    }
}

#[test]
fn clv_predicts_over_a_window() {
    let dir = tempfile::tempdir().unwrap();
    let input = cdnow_csv(dir.path());
    let predictions = |extra: &[&str], name: &str| {
        let out = dir.path().join(name);
        rfmkit()
            .args([
                "clv",
                "--calibration-end",
                "1997-09-30",
                "--observation-end",
                "1998-06-30",
                "--model",
                "bg_nbd",
                "-i",
            ])
            .arg(&input)
            .args(extra)
            .arg("--output")
            .arg(&out)
            .assert()
            .success();
        let text = fs::read_to_string(out).unwrap();
        text.lines()
            .skip(1)
            .map(|l| l.split(',').nth(5).unwrap().parse::<f64>().unwrap())
            .collect::<Vec<f64>>()
    };
    // 1997-10-01..1998-06-30 is the 273-day (39-week) horizon from the
    // calibration end; the window 1997-10-01..1997-12-30 (91 days, 13
    // weeks) and 1997-12-31..1998-06-30 (182 days) add up to it.
    let whole = predictions(&["--horizon", "39"], "whole.csv");
    let same = predictions(&["--to", "1998-06-30"], "same.csv");
    let first = predictions(&["--from", "1997-10-01", "--to", "1997-12-30"], "first.csv");
    let second = predictions(
        &["--from", "1997-12-31", "--to", "1998-06-30"],
        "second.csv",
    );
    assert_eq!(whole.len(), 2357);
    for i in 0..whole.len() {
        assert!((whole[i] - same[i]).abs() < 1e-12);
        assert!((first[i] + second[i] - whole[i]).abs() < 1e-9, "{i}");
    }

    rfmkit()
        .args([
            "clv",
            "--calibration-end",
            "1997-09-30",
            "--from",
            "1997-09-30",
            "--horizon",
            "5",
            "-i",
        ])
        .arg(&input)
        .assert()
        .code(2)
        .stderr(contains("--from 1997-09-30 is not after --calibration-end"));
    rfmkit()
        .args([
            "clv",
            "--calibration-end",
            "1997-09-30",
            "--from",
            "1997-12-01",
            "--to",
            "1997-11-01",
            "-i",
        ])
        .arg(&input)
        .assert()
        .code(2)
        .stderr(contains("--to 1997-11-01 is before"));
    rfmkit()
        .args([
            "clv",
            "--calibration-end",
            "1997-09-30",
            "--horizon",
            "5",
            "--draws",
            "10",
            "-i",
        ])
        .arg(&input)
        .assert()
        .code(2)
        .stderr(contains("--intervals"));
    rfmkit()
        .args([
            "clv",
            "--calibration-end",
            "1997-09-30",
            "--horizon",
            "5",
            "--intervals",
            "--quantiles",
            "0.9,0.1",
            "-i",
        ])
        .arg(&input)
        .assert()
        .code(2)
        .stderr(contains("not two quantiles"));
}

// --- bench -------------------------------------------------------------

#[test]
fn bench_on_the_fixture_reports_its_sums() {
    let out = stdout_of(
        rfmkit()
            .args(["bench", "--repeat", "1", "--as-of", AS_OF, "-i"])
            .arg(data("orders_small.csv")),
    );
    let j: Value = serde_json::from_str(&out).unwrap();
    // 11 completed orders and 1 return kept (A-13 is cancelled).
    assert_eq!(
        (j["orders"].clone(), j["customers"].clone()),
        (12.into(), 5.into())
    );
    // From orders_small.expected.csv: recency 11+11+320+91+46, frequency
    // 4+1+3+2+1, monetary 405.00+45.00+300.00+35.50+45.00.
    let c = &j["checksums"];
    assert_eq!(c["sum_recency_days"], 479);
    assert_eq!(c["sum_frequency"], 11);
    assert_eq!(c["sum_monetary"], 83050);
    let segments: i64 = c["segments"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(segments, 5);
}

/// Runs the plain-Python reference (`.ci/pipeline_reference.py`) with
/// `args`, from the workspace root.
fn reference(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/pipeline_reference.py"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bench_checksums_equal_the_python_reference() {
    // The combinations `.ci/examples.sh` checked for the former `pipeline_bench` example:
    // (text ids?, method, id order).
    // The reference is plain Python (no packages); without python3 the
    // test says so and skips (CI has it: `.ci/run` uses it throughout).
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: python3 is not installed (the independent reference needs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let os = std::ffi::OsStr::new;
    for text_ids in [false, true] {
        let name = if text_ids { "text.csv" } else { "int.csv" };
        let orders = dir.path().join(name);
        let mut args: Vec<&std::ffi::OsStr> = vec![os("generate"), orders.as_os_str()];
        args.extend(["--rows", "20000", "--customers", "3000"].map(os));
        if text_ids {
            args.push(os("--text-ids"));
        }
        assert!(reference(&args).status.success());
        let specs: &[(&str, &str)] = if text_ids {
            &[("rank", "auto"), ("quantile", "auto")]
        } else {
            &[
                ("rank", "auto"),
                ("quantile", "auto"),
                ("thresholds", "auto"),
                ("rank", "text"),
                ("quantile", "text"),
            ]
        };
        for &(method, order) in specs {
            let out = stdout_of(
                rfmkit()
                    .args(["bench", "--repeat", "1", "--method", method])
                    .args(["--id-order", order, "-i"])
                    .arg(&orders),
            );
            let json = dir.path().join(format!("{name}-{method}-{order}.json"));
            fs::write(&json, &out).unwrap();
            let compare = reference(&[
                os("compare"),
                orders.as_os_str(),
                json.as_os_str(),
                os("--method"),
                os(method),
                os("--id-order"),
                os(order),
            ]);
            assert!(
                compare.status.success(),
                "{name} {method} {order}: {}{}",
                String::from_utf8_lossy(&compare.stdout),
                String::from_utf8_lossy(&compare.stderr)
            );
        }
        // The same file with CRLF line ends and, from its middle on, a
        // quoted cell (so the loader leaves its fast path there) gives the
        // same checksums.
        let out = stdout_of(rfmkit().args(["bench", "--repeat", "1", "-i"]).arg(&orders));
        let text = fs::read_to_string(&orders).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let middle = lines.len() / 2;
        let quoted = lines[middle].replacen(",web", ",\"web\"", 1);
        assert_ne!(quoted, lines[middle]);
        lines[middle] = quoted;
        let crlf = dir.path().join(format!("crlf-{name}"));
        fs::write(&crlf, lines.join("\r\n")).unwrap();
        let again = stdout_of(rfmkit().args(["bench", "--repeat", "1", "-i"]).arg(&crlf));
        let (a, b): (Value, Value) = (
            serde_json::from_str(&out).unwrap(),
            serde_json::from_str(&again).unwrap(),
        );
        assert_eq!(a["checksums"], b["checksums"], "{name}");
        assert_eq!(a["orders"], b["orders"], "{name}");
    }
}

#[test]
fn errors_after_a_quoted_row_keep_their_line() {
    // Line 3 has a quoted cell (the csv reader takes over from there); the
    // blank line 4 counts; line 6 has a bad date. (The csv reader does not
    // count a blank CRLF line, so the second file uses LF after line 2.)
    let (_dir, path) = file(
        b"customer_id,order_date,amount\r\n\
          c1,2025-01-01,1.00\r\n\
          \"c2\",2025-01-02,\"1,000.00\"\r\n\
          \r\n\
          c3,2025-01-03,2.00\r\n\
          c4,2025-02-30,3.00\r\n",
    );
    rfmkit()
        .args(["score", "--as-of", AS_OF, "-i"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains("orders.csv line 3, column 3 (amount)"));
    let (_dir, path) = file(
        b"customer_id,order_date,amount\r\n\
          c1,2025-01-01,1.00\r\n\
          \"c2\",2025-01-02,\"1000.00\"\n\
          \n\
          c3,2025-01-03,2.00\n\
          c4,2025-02-30,3.00\n",
    );
    rfmkit()
        .args(["score", "--as-of", AS_OF, "-i"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains("orders.csv line 6, column 2 (order_date)"));
    // The same on the fast path (no quotes at all): a row with too many
    // fields and a blank line before it.
    let (_dir, path) =
        file(b"customer_id,order_date,amount\nc1,2025-01-01,1.00\n\nc2,2025-01-02,1,00\n");
    rfmkit()
        .args(["score", "--as-of", AS_OF, "-i"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains(
            "orders.csv line 4: has 4 fields but the header has 3",
        ));
}

#[test]
fn bench_simulates_a_small_shop() {
    let out = stdout_of(rfmkit().args([
        "bench",
        "--customers",
        "300",
        "--orders",
        "3000",
        "--repeat",
        "2",
        "--threads",
        "2",
    ]));
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["threads"], 2);
    assert_eq!(j["pipeline_seconds"].as_array().unwrap().len(), 2);
    let customers = j["customers"].as_u64().unwrap();
    assert!(customers > 0 && customers <= 300);
    let segments: u64 = j["checksums"]["segments"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(segments <= customers && segments > 0);
    assert!(j["checksums"]["audience"].as_u64().unwrap() <= segments);
}

// --- help --------------------------------------------------------------

#[test]
fn every_subcommand_has_help_with_examples() {
    for sub in ["score", "audience", "ltv", "clv", "bench", "report"] {
        rfmkit()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(contains("EXAMPLES:").and(contains(format!("rfmkit {sub} "))));
    }
    rfmkit()
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("ORDER FILE:"));
    rfmkit().assert().code(2);
}

// --- transitions and trend ---------------------------------------------

/// A copy of an order CSV with only the rows dated on or before `date`
/// (ISO dates compare as text).
fn cut(input: &Path, date: &str, name: &str) -> PathBuf {
    let text = fs::read_to_string(input).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines {
        if line.split(',').nth(2).unwrap() <= date {
            out.push_str(line);
            out.push('\n');
        }
    }
    let path = input.with_file_name(name);
    fs::write(&path, out).unwrap();
    path
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// "123.45" → 12345.
fn cents(text: &str) -> i64 {
    let (units, frac) = text.split_once('.').unwrap_or((text, "00"));
    units.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap()
}

/// `score` rows by customer: (segment, r, f, m, monetary in cents).
type Scored = std::collections::BTreeMap<String, (String, String, String, String, i64)>;

fn scored(path: &Path) -> Scored {
    csv_rows(path)
        .into_iter()
        .map(|r| {
            (
                r[0].clone(),
                (
                    r[7].clone(),
                    r[4].clone(),
                    r[5].clone(),
                    r[6].clone(),
                    cents(&r[3]),
                ),
            )
        })
        .collect()
}

type Cells = std::collections::BTreeMap<(String, String), (u64, Option<i64>, Option<i64>)>;

/// The migration matrix of two score runs, joined by customer id: the
/// absent side has an empty segment and no revenue.
fn join(a: &Scored, b: &Scored) -> Cells {
    let mut cells = Cells::new();
    let ids: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for id in ids {
        let (x, y) = (a.get(id), b.get(id));
        let key = (
            x.map_or(String::new(), |s| s.0.clone()),
            y.map_or(String::new(), |s| s.0.clone()),
        );
        let cell = cells.entry(key).or_insert((0, x.map(|_| 0), y.map(|_| 0)));
        cell.0 += 1;
        if let (Some(sum), Some(s)) = (&mut cell.1, x) {
            *sum += s.4;
        }
        if let (Some(sum), Some(s)) = (&mut cell.2, y) {
            *sum += s.4;
        }
    }
    cells
}

fn matrix(path: &Path) -> Cells {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.starts_with("from_segment,to_segment,customers,revenue_from,revenue_to\n"));
    let side = |s: &str| (!s.is_empty()).then(|| cents(s));
    csv_rows(path)
        .into_iter()
        .map(|r| {
            (
                (r[0].clone(), r[1].clone()),
                (r[2].parse().unwrap(), side(&r[3]), side(&r[4])),
            )
        })
        .collect()
}

const FROM: &str = "1997-09-30";
const TO: &str = "1998-06-30";

/// CDNOW as of two dates: `transitions --refit` equals the join of two
/// independent `score` runs (each fitting its own model), and the frozen
/// mode equals scoring the later date with the earlier date's saved model;
/// the change list is exactly the customers whose segment or scores differ.
#[test]
fn transitions_equal_the_join_of_two_score_runs() {
    let dir = tempfile::tempdir().unwrap();
    let input = cdnow_csv(dir.path());
    let early = cut(&input, FROM, "early.csv");
    let p = |name: &str| dir.path().join(name);
    rfmkit()
        .args(["score", "--as-of", FROM, "--model-out"])
        .arg(p("model.json"))
        .arg("-i")
        .arg(&early)
        .arg("-o")
        .arg(p("s1.csv"))
        .assert()
        .success();
    rfmkit()
        .args(["score", "--as-of", TO, "-i"])
        .arg(&input)
        .arg("-o")
        .arg(p("s2.csv"))
        .assert()
        .success();
    rfmkit()
        .args(["score", "--as-of", TO, "--model"])
        .arg(p("model.json"))
        .arg("-i")
        .arg(&input)
        .arg("-o")
        .arg(p("s2_frozen.csv"))
        .assert()
        .success();
    let (s1, s2, s2f) = (
        scored(&p("s1.csv")),
        scored(&p("s2.csv")),
        scored(&p("s2_frozen.csv")),
    );
    // CDNOW's customers all bought in the first quarter of 1997.
    assert_eq!((s1.len(), s2.len()), (2357, 2357));

    for (refit, second, name) in [(true, &s2, "refit"), (false, &s2f, "frozen")] {
        let mut cmd = rfmkit();
        cmd.args(["transitions", "--from", FROM, "--to", TO, "-i"])
            .arg(&input)
            .arg("--output")
            .arg(p(&format!("{name}.csv")))
            .arg("--changes")
            .arg(p(&format!("{name}_changes.csv")));
        if refit {
            cmd.arg("--refit");
        }
        cmd.assert().success();
        let got = matrix(&p(&format!("{name}.csv")));
        assert_eq!(got, join(&s1, second), "{name}");
        let total: u64 = got.values().map(|c| c.0).sum();
        assert_eq!(total, 2357);
        // The change list: every customer whose segment or cell differs.
        let expected: Vec<Vec<String>> = s1
            .iter()
            .filter(|(id, a)| {
                let b = &second[*id];
                (&a.0, &a.1, &a.2, &a.3) != (&b.0, &b.1, &b.2, &b.3)
            })
            .map(|(id, a)| {
                let b = &second[id];
                vec![
                    id.clone(),
                    a.0.clone(),
                    a.1.clone(),
                    a.2.clone(),
                    a.3.clone(),
                    b.0.clone(),
                    b.1.clone(),
                    b.2.clone(),
                    b.3.clone(),
                ]
            })
            .collect();
        let changes: Vec<Vec<String>> = csv_rows(&p(&format!("{name}_changes.csv")))
            .into_iter()
            .map(|r| r[..9].to_vec())
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(changes, expected, "{name}");
    }
    // Nobody buys after June 1998 in a refit, but the frozen model knows
    // the old cuts: the two modes differ on CDNOW.
    assert_ne!(join(&s1, &s2), join(&s1, &s2f));
}

#[test]
fn transitions_errors() {
    let (_dir, path) =
        file(b"customer_id,order_date,amount\nC1,2025-01-05,10.00\nC1,2025-13-01,5.00\n");
    // The dates the wrong way round: a usage error.
    rfmkit()
        .args([
            "transitions",
            "--from",
            "2025-06-30",
            "--to",
            "2025-01-31",
            "-i",
        ])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("--from 2025-06-30 is after --to 2025-01-31"));
    // A bad row names the file and line.
    rfmkit()
        .args([
            "transitions",
            "--from",
            "2025-01-31",
            "--to",
            "2025-06-30",
            "-i",
        ])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains("orders.csv").and(contains("line 3")));
}

/// `trend --refit` on CDNOW: the rows at two month ends equal `ltv` and
/// `score` run separately as of each date.
#[test]
fn trend_rows_equal_separate_runs_at_each_date() {
    let dir = tempfile::tempdir().unwrap();
    let input = cdnow_csv(dir.path());
    let out = dir.path().join("trend.csv");
    rfmkit()
        .args([
            "trend",
            "--from",
            "1997-01-31",
            "--to",
            TO,
            "--every",
            "month",
            "--refit",
            "-i",
        ])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let text = fs::read_to_string(&out).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let rows = csv_rows(&out);
    // 1997-01-31 ..= 1998-06-30: 18 month ends.
    assert_eq!(rows.len(), 18);
    assert_eq!(rows[1][0], "1997-02-28");
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for date in [FROM, TO] {
        let row = rows.iter().find(|r| r[0] == date).unwrap();
        let early = cut(&input, date, "at.csv");
        let ltv: Value = serde_json::from_str(&stdout_of(
            rfmkit().args(["ltv", "--as-of", date, "-i"]).arg(&early),
        ))
        .unwrap();
        let kpis = &ltv["kpis"];
        assert_eq!(row[col("customers")], kpis["customers"].to_string());
        assert_eq!(row[col("orders")], kpis["orders"].to_string());
        assert_eq!(
            cents(&row[col("net_revenue")]),
            kpis["net_revenue"].as_i64().unwrap()
        );
        assert_eq!(
            row[col("repeat_rate")].parse::<f64>().unwrap(),
            kpis["repeat_rate"].as_f64().unwrap()
        );
        assert_eq!(
            row[col("churn_active")],
            kpis["churn"]["active"].to_string()
        );
        // The segment mix: counts per segment of a separate score run.
        let score = dir.path().join("score.csv");
        rfmkit()
            .args(["score", "--as-of", date, "-i"])
            .arg(&early)
            .arg("-o")
            .arg(&score)
            .assert()
            .success();
        let mut counts = std::collections::BTreeMap::<String, u64>::new();
        for s in scored(&score).values() {
            *counts.entry(s.0.clone()).or_default() += 1;
        }
        for (segment, n) in counts {
            assert_eq!(
                row[col(&format!("segment:{segment}"))],
                n.to_string(),
                "{date} {segment}"
            );
        }
    }
}

// --- report ------------------------------------------------------------

/// A simulated shop in yen (scale 0) with Japanese channel names, written
/// as an order CSV and, beside it, `customers.csv` (the simulated customer
/// records: channel and opt-ins); returns its as-of date.
fn simulated_shop(path: &Path) -> chrono::NaiveDate {
    let shop = rfmkit::sim::SimConfig::builder()
        .seed(13)
        .customers(400)
        .orders(4000)
        .channels(vec![
            "ウェブ".to_owned(),
            "店舗".to_owned(),
            "アプリ".to_owned(),
        ])
        .build()
        .unwrap()
        .generate();
    let mut csv = String::from("order_id,customer_id,order_date,amount,status,channel\n");
    for o in shop.orders() {
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            o.id(),
            o.customer(),
            o.date(),
            o.amount().display_decimal(0),
            o.status(),
            o.channel().map_or("", |c| c.as_ref())
        ));
    }
    fs::write(path, csv).unwrap();
    let mut customers = String::from("customer_id,acquisition_channel,email_opt_in,sms_opt_in\n");
    for c in shop.customers().iter() {
        customers.push_str(&format!(
            "{},{},{},{}\n",
            c.id(),
            c.acquisition_channel().map_or("", |c| c.as_ref()),
            c.email_opt_in(),
            c.sms_opt_in()
        ));
    }
    fs::write(path.with_file_name("customers.csv"), customers).unwrap();
    shop.as_of()
}

/// The charts of the shop's report: heatmap, segments, 3 distributions,
/// retention, LTV curves, LTV/CAC, opt-ins, migration, trend, calibration
/// vs holdout, P(alive).
const SHOP_CHARTS: usize = 13;

/// Runs `rfmkit report` on the simulated shop; returns the directory, the
/// report's path and the as-of date.
fn shop_report() -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let orders = dir.path().join("orders.csv");
    let as_of = simulated_shop(&orders);
    let calibration_end = as_of - chrono::Days::new(182);
    let out = dir.path().join("report.html");
    rfmkit()
        .args(["report", "--input"])
        .arg(&orders)
        .args([
            "--as-of",
            &as_of.to_string(),
            "--scale",
            "0",
            "--currency",
            "円",
        ])
        .args(["--cac", "3000", "--cac", "ウェブ=2500", "--customers"])
        .arg(dir.path().join("customers.csv"))
        .args([
            "--calibration-end",
            &calibration_end.to_string(),
            "--output",
        ])
        .arg(&out)
        .assert()
        .success()
        .stderr(contains(format!("({SHOP_CHARTS} charts)")));
    (dir, out, as_of.to_string())
}

/// The rows of the report's data table whose caption starts with
/// `caption`, as text cells (entities decoded, thousands separators kept).
fn html_table(html: &str, caption: &str) -> Vec<Vec<String>> {
    let at = html
        .find(&format!("<caption>{caption}"))
        .unwrap_or_else(|| panic!("no table {caption:?}"));
    let body = &html[at..];
    let body = &body[body.find("<tbody>").unwrap()..body.find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let text = &cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()];
                    text.replace("&amp;", "&")
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                })
                .collect()
        })
        .collect()
}

/// Checks that nothing in the report reaches outside the file.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    for external in [
        "http://", "https://", "<script", "<img", "<link", "<iframe", "src=", "href=", "url(",
        "@import",
    ] {
        assert!(!html.contains(external), "the report has {external}");
    }
}

/// `rfmkit score --report`'s text (cut points and segment report) for
/// `orders`, with `extra` arguments.
fn score_report(dir: &Path, orders: &Path, as_of: &str, extra: &[&str]) -> String {
    let scored = rfmkit()
        .args(["score", "--input"])
        .arg(orders)
        .args(["--as-of", as_of, "--report", "--output"])
        .arg(dir.join("scores.csv"))
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(scored).unwrap();
    text.split_once("\n\n").unwrap().1.trim_end().to_owned()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[test]
fn report_is_one_self_contained_file_with_every_chart() {
    let (dir, out, as_of) = shop_report();
    let html = fs::read_to_string(&out).unwrap();
    assert_self_contained(&html);
    assert_eq!(html.matches("<svg").count(), SHOP_CHARTS);
    assert_eq!(
        html.matches("<table class=\"rfmkit-data\">").count(),
        SHOP_CHARTS
    );
    for text in [
        "RFM heatmap",
        "Cohort retention",
        "Segment migration",
        "Segment sizes over time",
        "Opt-ins per segment",
        "P(alive)",
        "calibration vs holdout",
        "LTV / CAC",
    ] {
        assert!(html.contains(text), "{text} missing");
    }
    // Japanese channel names and yen amounts (scale 0, no decimals)
    assert!(html.contains("ウェブ") && html.contains("店舗") && html.contains("円"));
    // The cut points and segment report are `rfmkit score --report`'s text.
    let orders = dir.path().join("orders.csv");
    let report = score_report(dir.path(), &orders, &as_of, &["--scale", "0"]);
    assert!(
        html.contains(&html_escape(&report)),
        "the report's cut points differ from score --report"
    );

    // Opt-ins per segment, counted here from the scores CSV and the
    // customers file: every scored customer has a record in the simulated
    // shop, so customers = with record.
    let consent: std::collections::HashMap<String, (bool, bool)> =
        fs::read_to_string(dir.path().join("customers.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                (f[0].to_owned(), (f[2] == "true", f[3] == "true"))
            })
            .collect();
    let mut expected: std::collections::BTreeMap<String, [u64; 4]> = Default::default();
    for line in fs::read_to_string(dir.path().join("scores.csv"))
        .unwrap()
        .lines()
        .skip(1)
    {
        let f: Vec<&str> = line.split(',').collect();
        let (email, sms) = consent[f[0]];
        let e = expected.entry(f[7].to_owned()).or_default();
        e[0] += 1;
        e[1] += u64::from(email);
        e[2] += u64::from(sms);
        e[3] += u64::from(email || sms);
    }
    let rows = html_table(&html, "customers who can be contacted");
    assert_eq!(rows.len(), 12, "one row per segment of the standard table");
    let mut checked = 0;
    for row in &rows {
        let [n, email, sms, either] = expected.get(&row[0]).copied().unwrap_or_default();
        let counted: Vec<String> = [n, n, email, sms, either]
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(row[1..6], counted[..], "{}", row[0]);
        checked += n;
    }
    assert_eq!(checked, 400);
    // The trend: the last date is the as-of date, with the segment
    // report's counts.
    let trend = html_table(&html, "KPIs and customers per segment");
    let last = trend.last().unwrap();
    assert_eq!(last[0], as_of);
    assert_eq!(last[1], "400");
    assert_eq!(trend.len(), 25, "monthly dates, 24 months back");
}

/// The issue's acceptance check on a real public data set (the CDNOW
/// sample): one file, nothing external, at least eight charts, and
/// tables whose numbers are those of `rfmkit score --report` and
/// `rfmkit ltv`.
#[test]
fn report_on_cdnow_matches_score_and_ltv() {
    let dir = tempfile::tempdir().unwrap();
    let input = cdnow_csv(dir.path());
    let out = dir.path().join("cdnow.html");
    let as_of = "1998-06-30";
    rfmkit()
        .args([
            "report",
            "--as-of",
            as_of,
            "--calibration-end",
            "1997-09-30",
        ])
        .args(["--currency", "USD", "-i"])
        .arg(&input)
        .arg("--output")
        .arg(&out)
        .assert()
        .success()
        .stderr(contains("(11 charts)"));
    let html = fs::read_to_string(&out).unwrap();
    assert_self_contained(&html);
    // heatmap, segments, 3 distributions, retention, LTV curves,
    // migration, trend, calibration vs holdout, P(alive) (no LTV / CAC
    // without --cac)
    assert_eq!(html.matches("<svg").count(), 11);
    assert!(html.contains("LTV / CAC per channel: give acquisition costs"));

    // score --report: its text verbatim, and the segment bars' table
    // holds its customers and revenue per segment.
    let report = score_report(dir.path(), &input, as_of, &[]);
    assert!(html.contains(&html_escape(&report)));
    let section = report.split_once("segments (standard table):\n").unwrap().1;
    let bars = html_table(&html, "customers and revenue (USD) per segment");
    let mut segments = 0;
    for line in section.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() || f[0] == "total" {
            break;
        }
        let row = bars.iter().find(|r| r[0] == f[0]).unwrap();
        assert_eq!(row[1].replace(',', ""), f[1], "{}", f[0]);
        assert_eq!(row[2], f[2], "{}", f[0]);
        assert_eq!(row[3].replace(',', ""), f[3], "{}", f[0]);
        segments += 1;
    }
    assert_eq!(segments, 12);
    assert_eq!(bars.len(), 12);

    // rfmkit ltv: the table text verbatim, and the KPI tiles are its
    // JSON numbers.
    let table = stdout_of(
        rfmkit()
            .args(["ltv", "--as-of", as_of, "--format", "table", "-i"])
            .arg(&input),
    );
    assert!(html.contains(&html_escape(table.trim_end())));
    let json: Value = serde_json::from_str(&stdout_of(
        rfmkit().args(["ltv", "--as-of", as_of, "-i"]).arg(&input),
    ))
    .unwrap();
    let k = &json["kpis"];
    let group = |whole: String| {
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        grouped
    };
    let cents = |v: &Value| {
        let v = v.as_i64().unwrap();
        format!("{}.{:02}", group((v / 100).to_string()), v % 100)
    };
    let count = |v: &Value| group(v.as_u64().unwrap().to_string());
    let pct = |v: &Value| format!("{:.1}%", v.as_f64().unwrap() * 100.0);
    for (value, label) in [
        (count(&k["customers"]), "customers"),
        (count(&k["orders"]), "orders"),
        (cents(&k["net_revenue"]), "net revenue (USD)"),
        (cents(&k["average_order_value"]), "average order value"),
        (pct(&k["repeat_rate"]), "repeat rate"),
        (pct(&k["churn"]["rate"]), "churn (365 days)"),
        (cents(&k["ltv"]), "historical LTV per customer"),
    ] {
        let tile = format!("<b>{value}</b><span>{label}</span>");
        assert!(html.contains(&tile), "no tile {tile}");
    }
    // By hand from the published sample: 2,357 customers, 6,919 orders.
    assert!(html.contains("<b>2,357</b><span>customers</span>"));
    assert!(html.contains("<b>6,919</b><span>orders</span>"));
    // The trend runs monthly from 30 January 1997 (the first orders are
    // on 1 January) to the as-of date.
    let trend = html_table(&html, "KPIs and customers per segment");
    assert_eq!(trend.len(), 18);
    assert_eq!(trend[0][0], "1997-01-30");
    assert_eq!(trend[17][0], as_of);
    assert_eq!(trend[17][1], "2,357");
}

#[test]
fn report_needs_dates_in_order() {
    let (_dir, path) = file(b"customer_id,order_date,amount\nC1,2025-01-05,10.00\n");
    rfmkit()
        .args(["report", "--input"])
        .arg(&path)
        .args([
            "--as-of",
            AS_OF,
            "--from",
            "2026-01-01",
            "--output",
            "x.html",
        ])
        .assert()
        .code(2)
        .stderr(contains("--from 2026-01-01 must be before --as-of"));
}

#[test]
fn report_names_the_bad_cell_of_a_customers_file() {
    let (dir, path) = file(b"customer_id,order_date,amount\nC1,2025-01-05,10.00\n");
    let customers = dir.path().join("customers.csv");
    fs::write(&customers, "customer_id,email_opt_in\nC1,maybe\n").unwrap();
    rfmkit()
        .args(["report", "--as-of", AS_OF, "--input"])
        .arg(&path)
        .arg("--customers")
        .arg(&customers)
        .arg("--output")
        .arg(dir.path().join("x.html"))
        .assert()
        .failure()
        .stderr(contains(
            "customers.csv line 2, column 2 (email_opt_in): \"maybe\" is not true or false",
        ));
    assert!(!dir.path().join("x.html").exists());
}

/// Runs headless Chromium with a 1280 px wide window `height` px tall.
fn chromium(binary: &str, height: u32, args: &[&str]) -> Vec<u8> {
    let output = std::process::Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            &format!("--window-size=1280,{height}"),
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Decodes an RGB(A) PNG: width, height, bytes per pixel and the pixels.
fn decode_png(path: &Path) -> (u32, u32, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    pixels.truncate(info.buffer_size());
    (info.width, info.height, channels, pixels)
}

/// Opens the report in headless Chromium, as a reader would. A copy with
/// a script measures the layout (every `<svg>`'s box, the page size);
/// then a full-page screenshot is decoded and each chart's box must hold
/// ink (non-white pixels) across its area, each laid out inside the
/// 1280 px page.
#[test]
fn report_renders_in_headless_chromium() {
    let Some(binary) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        eprintln!(
            "SKIPPED report_renders_in_headless_chromium: no chromium on PATH (apt-get install chromium)"
        );
        return;
    };
    let (dir, out, _) = shop_report();

    // Layout: a copy with a script that writes what it measures into the DOM.
    let html = fs::read_to_string(&out).unwrap();
    let probe = r#"<script>
const w = document.documentElement.clientWidth;
const svgs = [...document.querySelectorAll('svg')].map(s => {
  const r = s.getBoundingClientRect();
  return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height};
});
const pre = document.createElement('pre');
pre.id = 'probe';
pre.textContent = JSON.stringify({width: w, scroll: document.documentElement.scrollWidth,
  height: document.documentElement.scrollHeight, svgs: svgs});
document.body.appendChild(pre);
</script></body>"#;
    let measured = dir.path().join("measured.html");
    fs::write(&measured, html.replace("</body>", probe)).unwrap();
    let dom = String::from_utf8(chromium(
        binary,
        2000,
        &["--dump-dom", &format!("file://{}", measured.display())],
    ))
    .unwrap();
    let json = dom
        .split_once("<pre id=\"probe\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(json, _)| json.to_owned())
        .unwrap_or_else(|| panic!("no probe output in the DOM"));
    let probe: Value = serde_json::from_str(&json).unwrap();
    let width = probe["width"].as_f64().unwrap();
    assert!(
        probe["scroll"].as_f64().unwrap() <= width,
        "the page scrolls sideways: {probe}"
    );
    let svgs = probe["svgs"].as_array().unwrap();
    assert_eq!(svgs.len(), SHOP_CHARTS, "{probe}");
    let rects: Vec<[f64; 4]> = svgs
        .iter()
        .map(|s| ["x", "y", "w", "h"].map(|k| s[k].as_f64().unwrap()))
        .collect();
    for (k, &[x, _, w, h]) in rects.iter().enumerate() {
        assert!(
            w > 100.0 && h > 100.0 && x >= 0.0 && x + w <= width + 1.0,
            "chart {k} is hidden or wider than the page: {probe}"
        );
    }

    // The whole page in one screenshot (the layout does not depend on the
    // window's height), and the first screen for the README.
    let height = probe["height"].as_f64().unwrap().ceil() as u32;
    let full = dir.path().join("report-full.png");
    chromium(
        binary,
        height,
        &[
            &format!("--screenshot={}", full.display()),
            &format!("file://{}", out.display()),
        ],
    );
    let first = dir.path().join("report.png");
    chromium(
        binary,
        2000,
        &[
            &format!("--screenshot={}", first.display()),
            &format!("file://{}", out.display()),
        ],
    );
    let (w, h, channels, pixels) = decode_png(&full);
    assert_eq!((w, h), (1280, height), "the screenshot is not the page");
    let ink = |x: u32, y: u32| {
        let at = (y as usize * w as usize + x as usize) * channels;
        pixels[at..at + 3].iter().any(|&c| c < 200)
    };
    // Each chart: ink in at least 2 % of its pixels, and in each of its
    // four quarters (a chart drawn only in a corner, or cut off, fails).
    let mut shares = Vec::new();
    for (k, &[x, y, cw, ch]) in rects.iter().enumerate() {
        let (x0, y0) = (x.round() as u32, y.round() as u32);
        let (x1, y1) = (
            ((x + cw).round() as u32).min(w),
            ((y + ch).round() as u32).min(h),
        );
        let (mx, my) = ((x0 + x1) / 2, (y0 + y1) / 2);
        let mut quarters = [0u64; 4];
        for py in y0..y1 {
            for px in x0..x1 {
                if ink(px, py) {
                    quarters[usize::from(px >= mx) + 2 * usize::from(py >= my)] += 1;
                }
            }
        }
        let total: u64 = quarters.iter().sum();
        let share = total as f64 / (f64::from(x1 - x0) * f64::from(y1 - y0));
        shares.push(format!("{share:.3}"));
        assert!(
            share >= 0.02,
            "chart {k} at ({x}, {y}) is almost blank: {share:.4} of its pixels inked"
        );
        assert!(
            quarters.iter().all(|&q| q > 0),
            "chart {k} at ({x}, {y}) has a blank quarter: {quarters:?}"
        );
    }
    eprintln!("inked share per chart: {}", shares.join(" "));
    // Outside the charts, the page is not blank either (KPI tiles, tables).
    let top: u64 = (0..200)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| ink(x, y))
        .count() as u64;
    assert!(top > 1000, "the page's head is blank ({top} inked pixels)");

    // RFMKIT_REPORT_DIR=DIR keeps the orders, the customers, the report
    // and the screenshots (the README's picture is made this way).
    if let Some(keep) = std::env::var_os("RFMKIT_REPORT_DIR") {
        let keep = PathBuf::from(keep);
        fs::create_dir_all(&keep).unwrap();
        for name in [
            "orders.csv",
            "customers.csv",
            "report.html",
            "report.png",
            "report-full.png",
        ] {
            fs::copy(dir.path().join(name), keep.join(name)).unwrap();
        }
    }
}

#[test]
fn ltv_marks_or_omits_the_partial_as_of_month() {
    // As of 10 December, December is 10 of its 31 days: C03's June cohort
    // has cells June..December, the last one partial; C05 (1 December)
    // forms a cohort whose only month is partial.
    let json = |extra: &[&str]| -> Value {
        let out = stdout_of(
            rfmkit()
                .args(["ltv", "--as-of", "2025-12-10"])
                .args(extra)
                .arg("-i")
                .arg(data("ltv_small.csv")),
        );
        serde_json::from_str(&out).unwrap()
    };
    let j = json(&[]);
    let cohorts = j["cohorts"]["cohorts"].as_array().unwrap();
    let june = cohorts.iter().find(|c| c["month"] == "2025-06").unwrap();
    let flags: Vec<&Value> = june["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["partial"])
        .collect();
    assert_eq!(flags, [false, false, false, false, false, false, true]);
    let omitted = json(&["--partial-months", "omit"]);
    let cohorts = omitted["cohorts"]["cohorts"].as_array().unwrap();
    let cells = |month: &str| {
        cohorts.iter().find(|c| c["month"] == month).unwrap()["cells"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!((cells("2025-06"), cells("2025-12")), (6, 0));
    let table = stdout_of(
        rfmkit()
            .args(["ltv", "--as-of", "2025-12-10", "--format", "table", "-i"])
            .arg(data("ltv_small.csv")),
    );
    assert!(
        table.contains("* partial month: 2025-12 ends on the as-of date, 10 of its 31 days"),
        "{table}"
    );
}

#[test]
fn help_lists_the_input_conventions() {
    let help = stdout_of(rfmkit().arg("--help"));
    for needle in [
        "INPUT CONVENTIONS:",
        "completed, returned or cancelled",
        "a returned row's amount is the refund, <= 0",
        "pass --scale 0 for yen",
        "--id-order numeric",
        "--timezone",
    ] {
        assert!(help.contains(needle), "{needle:?} missing from:\n{help}");
    }
    // every subcommand reading orders points there and explains --scale
    for sub in ["score", "audience", "ltv", "transitions", "trend"] {
        let help = stdout_of(rfmkit().args([sub, "--help"]));
        assert!(help.contains("rfmkit --help"), "{sub}:\n{help}");
        assert!(help.contains("0 for yen"), "{sub}:\n{help}");
    }
}

#[test]
fn a_yen_export_with_the_wrong_conventions_says_which_to_use() {
    let (dir, _) = file(b"");
    let csv = dir.path().join("yen.csv");
    fs::write(
        &csv,
        "customer_id,order_date,amount,status\nC1,2025-01-05,\"1,200\",completed\n",
    )
    .unwrap();
    rfmkit()
        .args(["score", "--as-of", AS_OF, "--scale", "0", "-i"])
        .arg(&csv)
        .assert()
        .code(1)
        .stderr(contains("line 2, column 3 (amount)"))
        .stderr(contains("at most 0 decimals"));
    fs::write(
        &csv,
        "customer_id,order_date,amount,status\nC1,2025-01-05,1200,refunded\n",
    )
    .unwrap();
    rfmkit()
        .args(["score", "--as-of", AS_OF, "--scale", "0", "-i"])
        .arg(&csv)
        .assert()
        .code(1)
        .stderr(contains("use completed, returned or cancelled"));
}

#[test]
fn ltv_cac_shows_a_losing_channel_without_payback() {
    // Web (acquired): C01 100 + 50 + 80 = 230.00, C03 230 + 60 = 290.00;
    // LTV 260.00 < CAC 300.00: losing. Pooled web curve per customer: 165,
    // 190, then 220 to month 6 (both cohorts), then January alone 150 up
    // to 230 in month 10 and 11: never 300, so not within the 11 months.
    let out = stdout_of(
        rfmkit()
            .args(["ltv", "--as-of", AS_OF, "--cac", "web=300.00", "-i"])
            .arg(data("ltv_small.csv")),
    );
    let j: Value = serde_json::from_str(&out).unwrap();
    let rows = j["ltv_cac"]["rows"].as_array().unwrap();
    let web = rows.iter().find(|r| r["channel"] == "web").unwrap();
    assert_eq!(web["ltv"], 26000);
    assert_eq!(web["health"], "losing");
    assert_eq!(web["payback_months"], Value::Null);
    assert_eq!(web["payback"], "not_within_horizon");
    assert_eq!(web["horizon_months"], 11);
    let table = stdout_of(
        rfmkit()
            .args(["ltv", "--as-of", AS_OF, "--format", "table"])
            .args(["--cac", "web=300.00", "-i"])
            .arg(data("ltv_small.csv")),
    );
    let (_, cac) = table.split_once("LTV/CAC:").unwrap();
    let line = cac.lines().find(|l| l.starts_with("web ")).unwrap();
    assert!(line.contains("losing"), "{table}");
    assert!(line.ends_with("not within the horizon (11 mo)"), "{table}");
    rfmkit()
        .args(["ltv", "--as-of", AS_OF, "--cac", "web:300", "-i"])
        .arg(data("ltv_small.csv"))
        .assert()
        .code(2)
        .stderr(contains("write CHANNEL=AMOUNT"));
    // `ltv` and `report` read --cac alike: AMOUNT is '*=AMOUNT', every
    // channel's CAC (web's LTV 260.00 against 300.00 again).
    let bare = stdout_of(
        rfmkit()
            .args(["ltv", "--as-of", AS_OF, "--cac", "300.00", "-i"])
            .arg(data("ltv_small.csv")),
    );
    let star = stdout_of(
        rfmkit()
            .args(["ltv", "--as-of", AS_OF, "--cac", "*=300.00", "-i"])
            .arg(data("ltv_small.csv")),
    );
    assert_eq!(bare, star);
    let j: Value = serde_json::from_str(&bare).unwrap();
    let rows = j["ltv_cac"]["rows"].as_array().unwrap();
    let web = rows.iter().find(|r| r["channel"] == "web").unwrap();
    assert_eq!(
        (web["ltv"].clone(), web["health"].clone()),
        (26000.into(), "losing".into())
    );
}

/// `--ignore-future-orders`: the order dated after --as-of (line 8, C05's
/// only order) is left out and listed, not an error; C01 keeps its two
/// orders (2 March and 1 July).
#[test]
fn future_orders_can_be_ignored_and_are_listed() {
    let out = rfmkit()
        .args(["score", "--as-of", AS_OF, "--ignore-future-orders", "-i"])
        .arg(data("after_as_of.csv"))
        .assert()
        .success()
        .stderr(predicate::str::is_match("line 8[^0-9]").unwrap())
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let rows: Vec<(&str, &str)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0], f[2])
        })
        .collect();
    assert_eq!(
        rows,
        [("C01", "2"), ("C02", "1"), ("C03", "1"), ("C04", "1")]
    );
}

/// Library errors that name library API name the flags instead.
#[test]
fn errors_name_the_command_line_flags() {
    rfmkit()
        .args(["score", "--as-of", AS_OF, "-i"])
        .arg(data("after_as_of.csv"))
        .assert()
        .code(1)
        .stderr(contains("--ignore-future-orders").and(contains("FutureOrders").not()));
    let (_dir, path) = file(b"order_id,customer_id,order_date,amount\n1,abc,2025-01-01,1.00\n");
    rfmkit()
        .args(["score", "--as-of", AS_OF, "--id-order", "numeric", "-i"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains("\"abc\" is not an integer; use --id-order text"));
}

/// Two orders a month apart span two monthly as-of dates (5 January and
/// 5 February): too few for a trend, which the report says instead of
/// drawing one; with a third month the chart is there.
#[test]
fn report_draws_the_trend_from_three_monthly_dates() {
    let (dir, path) =
        file(b"customer_id,order_date,amount\nC1,2025-01-05,10.00\nC2,2025-02-01,20.00\n");
    let out = dir.path().join("r.html");
    let run = |as_of: &str| {
        rfmkit()
            .args(["report", "--as-of", as_of, "--input"])
            .arg(&path)
            .arg("--output")
            .arg(&out)
            .assert()
            .success();
        fs::read_to_string(&out).unwrap()
    };
    let html = run("2025-02-05");
    assert!(html.contains(
        "no trend chart: the orders span 2 monthly as-of date(s) up to 2025-02-05; it needs 3"
    ));
    assert!(!html.contains("Segment sizes over time"));
    let html = run("2025-03-05");
    assert!(html.contains("Segment sizes over time"));
    assert_eq!(
        html_table(&html, "KPIs and customers per segment")
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str()))
            .collect::<Vec<_>>(),
        [
            ("2025-01-05", "1"),
            ("2025-02-05", "2"),
            ("2025-03-05", "2")
        ]
    );
}
