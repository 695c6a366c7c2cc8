//! `.parquet` order files: the same orders as CSV and as Parquet give
//! byte-identical output. The Parquet files are written here, from the CSV
//! fixtures, with the parquet crate (no binary blobs in the repository);
//! each test says which Arrow types it writes.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Date32Array, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use assert_cmd::Command;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use predicates::prelude::*;
use predicates::str::contains;

const AS_OF: &str = "2025-12-31";
const LAPSING: &str = "segment in (at_risk, cant_lose_them) and last_order < -90d";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
}

fn rfmkit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rfmkit"))
}

fn stdout_of(cmd: &mut Command) -> Vec<u8> {
    cmd.assert().success().get_output().stdout.clone()
}

/// Days from 1970-01-01 to `YYYY-MM-DD`.
fn days(text: &str) -> i32 {
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    i32::try_from((date - epoch).num_days()).unwrap()
}

/// `120.00` → 12000 (two decimals, as the fixtures write them).
fn cents(text: &str) -> i128 {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    assert!(frac.len() <= 2, "{text}");
    let value: i128 = format!("{int}{frac:0<2}").parse().unwrap();
    value
}

/// A string column from cells, empty cells as nulls.
fn strings(cells: &[String]) -> ArrayRef {
    Arc::new(StringArray::from(
        cells
            .iter()
            .map(|c| (!c.is_empty()).then_some(c.as_str()))
            .collect::<Vec<_>>(),
    ))
}

/// How to type the CSV's columns in Parquet.
#[derive(Clone, Copy)]
struct Types {
    /// `customer_id` as Int64 (the ids must be integers) instead of Utf8.
    integer_ids: bool,
    /// `amount`/`cost` as Decimal128(p, this scale) (the CSV's values
    /// rescaled exactly), or as Float64 if `None`.
    decimal_scale: Option<i8>,
    /// Rows per row group.
    row_group: usize,
}

const STRING_DECIMAL: Types = Types {
    integer_ids: false,
    decimal_scale: Some(2),
    row_group: 4,
};

/// Writes the CSV `csv` as Parquet at `out`: `order_date` as date32, the
/// money columns per `types`, every other column as Utf8 (empty = null).
fn csv_to_parquet(csv: &Path, out: &Path, types: Types) -> usize {
    let mut reader = csv::Reader::from_path(csv).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let mut columns: Vec<Vec<String>> = vec![Vec::new(); header.len()];
    for row in reader.records() {
        for (column, cell) in columns.iter_mut().zip(row.unwrap().iter()) {
            // The CLI trims cells; so does the conversion.
            column.push(cell.trim().to_owned());
        }
    }
    let mut fields: Vec<(String, ArrayRef)> = Vec::new();
    for (name, cells) in header.iter().zip(&columns) {
        let array: ArrayRef = match name.as_str() {
            "customer_id" if types.integer_ids => Arc::new(Int64Array::from(
                cells
                    .iter()
                    .map(|c| c.parse::<i64>().unwrap())
                    .collect::<Vec<_>>(),
            )),
            "order_date" => Arc::new(Date32Array::from(
                cells.iter().map(|c| days(c)).collect::<Vec<_>>(),
            )),
            "amount" | "cost" => match types.decimal_scale {
                Some(scale) => {
                    let up = 10_i128.pow(u32::try_from(scale - 2).unwrap());
                    let values: Vec<Option<i128>> = cells
                        .iter()
                        .map(|c| (!c.is_empty()).then(|| cents(c) * up))
                        .collect();
                    Arc::new(
                        Decimal128Array::from(values)
                            .with_precision_and_scale(18, scale)
                            .unwrap(),
                    )
                }
                None => Arc::new(Float64Array::from(
                    cells
                        .iter()
                        .map(|c| (!c.is_empty()).then(|| c.parse::<f64>().unwrap()))
                        .collect::<Vec<_>>(),
                )),
            },
            _ => strings(cells),
        };
        fields.push((name.clone(), array));
    }
    let batch = RecordBatch::try_from_iter(fields).unwrap();
    write(out, &[batch], types.row_group)
}

/// Writes batches as one zstd-compressed Parquet file with row groups of
/// `row_group` rows; returns the number of row groups.
fn write(out: &Path, batches: &[RecordBatch], row_group: usize) -> usize {
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(row_group))
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let file = fs::File::create(out).unwrap();
    let mut writer = ArrowWriter::try_new(file, batches[0].schema(), Some(props)).unwrap();
    for batch in batches {
        writer.write(batch).unwrap();
    }
    writer.close().unwrap().num_row_groups()
}

/// The output of `rfmkit ARGS -i FILE`.
fn run(args: &[&str], input: &Path) -> Vec<u8> {
    stdout_of(rfmkit().args(args).arg("-i").arg(input))
}

#[test]
fn score_and_audience_of_parquet_equal_csv_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("orders.parquet");
    // 13 orders in row groups of 4: four row groups.
    assert_eq!(
        csv_to_parquet(&data("orders_small.csv"), &parquet, STRING_DECIMAL),
        4
    );
    let score = ["score", "--as-of", AS_OF, "--method", "rank", "--bins", "5"];
    let from_csv = run(&score, &data("orders_small.csv"));
    assert_eq!(
        from_csv,
        fs::read(data("orders_small.expected.csv")).unwrap(),
        "the CSV path gives the hand-computed fixture"
    );
    assert_eq!(run(&score, &parquet), from_csv);
    let report = [
        "score", "--as-of", AS_OF, "--method", "rank", "--report", "--format", "json",
    ];
    assert_eq!(
        run(&report, &parquet),
        run(&report, &data("orders_small.csv"))
    );
    let audience = [
        "audience", "--as-of", AS_OF, "--method", "rank", "--query", LAPSING,
    ];
    let from_csv = run(&audience, &data("orders_small.csv"));
    assert_eq!(
        from_csv,
        fs::read(data("audience_small.expected.csv")).unwrap()
    );
    assert_eq!(run(&audience, &parquet), from_csv);
}

#[test]
fn ltv_with_costs_stores_and_finer_decimals_equals_csv() {
    // Decimal128(18, 4): 100.0000 is 10000 cents, exactly.
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("ltv.PARQUET");
    let types = Types {
        decimal_scale: Some(4),
        ..STRING_DECIMAL
    };
    assert!(csv_to_parquet(&data("ltv_small.csv"), &parquet, types) > 1);
    let ltv = ["ltv", "--as-of", AS_OF];
    let from_csv = run(&ltv, &data("ltv_small.csv"));
    assert!(!from_csv.is_empty());
    assert_eq!(run(&ltv, &parquet), from_csv);
    // Floats whose shortest text has at most two decimals read the same.
    let floats = dir.path().join("floats.parquet");
    let types = Types {
        decimal_scale: None,
        ..STRING_DECIMAL
    };
    csv_to_parquet(&data("ltv_small.csv"), &floats, types);
    assert_eq!(run(&ltv, &floats), from_csv);
}

/// orders_small with integer customer ids (C01 → 1, C10 → 10, …), so that
/// text and numeric id orders differ.
fn integer_id_csv(dir: &Path) -> PathBuf {
    let text = fs::read_to_string(data("orders_small.csv")).unwrap();
    let text = text
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            let id = cells[1]
                .strip_prefix('C')
                .map(|n| (n.parse::<u32>().unwrap() * 7).to_string())
                .unwrap_or_else(|| cells[1].to_owned());
            let mut cells: Vec<String> = cells.iter().map(|c| (*c).to_owned()).collect();
            cells[1] = id;
            cells.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.join("orders_int.csv");
    fs::write(&path, text + "\n").unwrap();
    path
}

#[test]
fn integer_ids_give_the_same_output_in_both_id_orders() {
    let dir = tempfile::tempdir().unwrap();
    let csv = integer_id_csv(dir.path());
    let parquet = dir.path().join("orders_int.parquet");
    let types = Types {
        integer_ids: true,
        ..STRING_DECIMAL
    };
    csv_to_parquet(&csv, &parquet, types);
    for order in ["text", "numeric"] {
        let score = ["score", "--as-of", AS_OF, "--id-order", order];
        let from_csv = run(&score, &csv);
        assert_eq!(run(&score, &parquet), from_csv, "--id-order {order}");
    }
    // Numeric order: 7 before 21 before 28 … (text order would put 14
    // before 7).
    let out = String::from_utf8(run(
        &["score", "--as-of", AS_OF, "--id-order", "numeric"],
        &parquet,
    ))
    .unwrap();
    let ids: Vec<u32> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

/// Orders as instants: (customer, UTC milliseconds, the same instant as
/// CSV text with a +09:00 offset).
const INSTANTS: [(&str, i64, &str); 4] = [
    // 2025-01-05T23:30:00+09:00 = 2025-01-05T14:30:00Z: 5 January in Tokyo.
    ("tokyo_late", 1_736_087_400_000, "2025-01-05T23:30:00+09:00"),
    // 2025-01-05T08:30:00+09:00 = 2025-01-04T23:30:00Z: 5 January in Tokyo.
    (
        "tokyo_early",
        1_736_033_400_000,
        "2025-01-05T08:30:00+09:00",
    ),
    // 2025-01-06T00:00:00+09:00: 6 January in Tokyo, 5 January in UTC.
    ("midnight", 1_736_089_200_000, "2025-01-06T00:00:00+09:00"),
    // 2025-01-04T23:59:59.999+09:00: 4 January in Tokyo.
    (
        "just_before",
        1_736_002_799_999,
        "2025-01-04T23:59:59.999+09:00",
    ),
];

#[test]
fn zoned_timestamps_fall_on_the_shops_day_as_in_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("stamps.csv");
    let mut text = String::from("customer_id,order_date,amount\n");
    for (customer, _, stamp) in INSTANTS {
        text.push_str(&format!("{customer},{stamp},1.00\n"));
    }
    fs::write(&csv, text).unwrap();
    let parquet = dir.path().join("stamps.parquet");
    let customers: Vec<&str> = INSTANTS.iter().map(|i| i.0).collect();
    let stamps: Vec<i64> = INSTANTS.iter().map(|i| i.1).collect();
    let batch = RecordBatch::try_from_iter([
        (
            "customer_id",
            Arc::new(StringArray::from(customers)) as ArrayRef,
        ),
        (
            "order_date",
            Arc::new(TimestampMillisecondArray::from(stamps).with_timezone("+09:00")) as ArrayRef,
        ),
        (
            "amount",
            Arc::new(
                Decimal128Array::from(vec![100; 4])
                    .with_precision_and_scale(9, 2)
                    .unwrap(),
            ) as ArrayRef,
        ),
    ])
    .unwrap();
    write(&parquet, &[batch], 1024);
    for zone in ["Asia/Tokyo", "+09:00", "UTC", "America/New_York"] {
        let score = ["score", "--as-of", "2025-01-10", "--timezone", zone];
        assert_eq!(
            run(&score, &parquet),
            run(&score, &csv),
            "--timezone {zone}"
        );
    }
    // In Tokyo: recency from 10 January is 5, 5, 4, 6 days.
    let out = String::from_utf8(run(
        &["score", "--as-of", "2025-01-10", "--timezone", "Asia/Tokyo"],
        &parquet,
    ))
    .unwrap();
    let mut recency: Vec<(String, String)> = out
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[0].to_owned(), c[1].to_owned())
        })
        .collect();
    recency.sort();
    let expected = [
        ("just_before", "6"),
        ("midnight", "4"),
        ("tokyo_early", "5"),
        ("tokyo_late", "5"),
    ];
    assert_eq!(
        recency,
        expected
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect::<Vec<_>>()
    );
    // Without --timezone instants are refused, naming the column.
    rfmkit()
        .args(["score", "--as-of", "2025-01-10", "-i"])
        .arg(&parquet)
        .assert()
        .code(1)
        .stderr(contains("column order_date").and(contains("--timezone")));
}

/// One batch of three orders with the given columns.
fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    // Nullable columns, so that batches with and without nulls share one
    // schema (a non-nullable column would be written without its nulls).
    RecordBatch::try_from_iter_with_nullable(columns.into_iter().map(|(n, a)| (n, a, true)))
        .unwrap()
}

fn ids() -> ArrayRef {
    Arc::new(StringArray::from(vec!["a", "b", "c"]))
}

fn dates() -> ArrayRef {
    Arc::new(Date32Array::from(vec![20_000, 20_001, 20_002]))
}

fn amounts(values: Vec<Option<i128>>, scale: i8) -> ArrayRef {
    Arc::new(
        Decimal128Array::from(values)
            .with_precision_and_scale(18, scale)
            .unwrap(),
    )
}

/// `rfmkit score` of a one-file Parquet input with `batches`; the
/// assertion for the caller to finish.
fn score_of(
    batches: &[RecordBatch],
    extra: &[&str],
) -> (tempfile::TempDir, assert_cmd::assert::Assert) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.parquet");
    write(&path, batches, 2);
    let assert = rfmkit()
        .args(["score", "--as-of", AS_OF])
        .args(extra)
        .arg("-i")
        .arg(&path)
        .assert();
    (dir, assert)
}

#[test]
fn null_id_names_the_column_and_row() {
    let cells: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), Some("b"), None]));
    let one = batch(vec![
        ("customer_id", cells),
        ("order_date", dates()),
        ("amount", amounts(vec![Some(100); 3], 2)),
    ]);
    // Row 2 of the first batch is row 2; of the second, row 5.
    let (_dir, assert) = score_of(std::slice::from_ref(&one), &[]);
    assert.code(1).stderr(contains(
        "orders.parquet: row 2, column customer_id: is null",
    ));
    let cells: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), Some("b"), Some("c")]));
    let good = batch(vec![
        ("customer_id", cells),
        ("order_date", dates()),
        ("amount", amounts(vec![Some(100); 3], 2)),
    ]);
    let (_dir, assert) = score_of(&[good, one], &[]);
    assert.code(1).stderr(contains(
        "orders.parquet: row 5, column customer_id: is null",
    ));
}

#[test]
fn extra_decimals_are_an_error_never_rounded() {
    // Decimal128(18, 3) at --scale 2: 1.230 is 123 cents; 1.234 is refused.
    let one = batch(vec![
        ("customer_id", ids()),
        ("order_date", dates()),
        (
            "amount",
            amounts(vec![Some(1_230), Some(1_234), Some(5_000)], 3),
        ),
    ]);
    let (_dir, assert) = score_of(std::slice::from_ref(&one), &[]);
    assert.code(1).stderr(contains(
        "orders.parquet: row 1, column amount: 1.234 has more than 2 decimals",
    ));
    // With --scale 3 the same file is read.
    let (_dir, assert) = score_of(std::slice::from_ref(&one), &["--scale", "3"]);
    assert.success();
    // --lenient skips the row and lists it, by row.
    let (_dir, assert) = score_of(&[one], &["--lenient"]);
    let out = assert.success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 3, "header + a and c: {stdout}");
    assert!(!stdout.contains("\nb,"), "{stdout}");
    out.stderr(
        contains("orders.parquet row 1, column amount: 1.234 has more than 2 decimals")
            .and(contains("row 1: row 1").not())
            .and(contains("skipped 1 of 3 rows")),
    );
}

#[test]
fn wrong_column_types_and_missing_columns_are_named() {
    let text_dates: ArrayRef = Arc::new(StringArray::from(vec!["2025-01-01"; 3]));
    let one = batch(vec![
        ("customer_id", ids()),
        ("Order_Date", text_dates),
        ("amount", amounts(vec![Some(100); 3], 2)),
    ]);
    let (_dir, assert) = score_of(&[one], &[]);
    assert.code(1).stderr(contains(
        "orders.parquet: column Order_Date: has type Utf8; order_date must be date32, date64 or a timestamp",
    ));
    let one = batch(vec![("customer_id", ids()), ("order_date", dates())]);
    let (_dir, assert) = score_of(&[one], &[]);
    assert.code(1).stderr(contains(
        "column amount: is missing (columns: customer_id,order_date)",
    ));
    // Not a Parquet file at all.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.parquet");
    fs::write(&path, "customer_id,order_date,amount\n").unwrap();
    rfmkit()
        .args(["score", "--as-of", AS_OF, "-i"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains("orders.parquet: cannot read as Parquet"));
}

#[test]
fn order_errors_name_the_row() {
    // A duplicate order id in row 2 (first in row 0), as for CSV lines.
    let order_ids: ArrayRef = Arc::new(Int64Array::from(vec![7, 8, 7]));
    let one = batch(vec![
        ("order_id", order_ids),
        ("customer_id", ids()),
        ("order_date", dates()),
        ("amount", amounts(vec![Some(100); 3], 2)),
    ]);
    let (_dir, assert) = score_of(&[one], &[]);
    assert.code(1).stderr(
        contains("orders.parquet row 2 (order 7)").and(contains("(the first is on row 0)")),
    );
}
