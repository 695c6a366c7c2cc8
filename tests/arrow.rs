//! The `arrow` feature: orders from Arrow record batches
//! ([`ArrowOrders`]). Expected values are worked out by hand in comments,
//! or come from the other way into the same ingest stage
//! ([`IngestConfig::ingest`] of plain [`Order`]s), which shares no reading
//! code with the Arrow path.

use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, Date32Array, Date64Array, Decimal32Array, Decimal128Array, DictionaryArray,
    Float64Array, Int16Array, Int64Array, LargeStringArray, RecordBatch, StringArray,
    StringViewArray, TimestampMicrosecondArray, TimestampNanosecondArray, TimestampSecondArray,
    UInt64Array,
};
use chrono::{Duration, FixedOffset, NaiveDate};
use proptest::prelude::*;
use rfmkit::ingest::arrow::ArrowOrders;
use rfmkit::ingest::{IngestConfig, OrderLog, Validation};
use rfmkit::order::OrderStatus;
use rfmkit::summary::{CustomerSummary, Summaries};
use rfmkit::{Error, Money, Order};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, d).unwrap()
}

/// Days from 1970-01-01 to 2025-01-`d`: 2025-01-01 is day 20089.
fn epoch_day(d: u32) -> i32 {
    20_088 + i32::try_from(d).unwrap()
}

fn as_of() -> NaiveDate {
    day(31)
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter_with_nullable(columns.into_iter().map(|(n, a)| (n, a, true)))
        .unwrap()
}

fn decimals(values: Vec<Option<i128>>, scale: i8) -> ArrayRef {
    Arc::new(
        Decimal128Array::from(values)
            .with_precision_and_scale(20, scale)
            .unwrap(),
    )
}

fn strings(values: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

fn dates(days: &[u32]) -> ArrayRef {
    Arc::new(Date32Array::from(
        days.iter().map(|&d| epoch_day(d)).collect::<Vec<_>>(),
    ))
}

fn ingest(orders: ArrowOrders, batches: &[RecordBatch]) -> Result<OrderLog, Error> {
    orders.ingest(&IngestConfig::new(as_of()), batches)
}

fn summaries(log: &OrderLog) -> Vec<CustomerSummary> {
    Summaries::from_log(log).unwrap().iter().collect()
}

/// The summary of `customer` as (orders, monetary minor units, last day).
fn brief(log: &OrderLog, customer: &str) -> (u64, i64, Option<NaiveDate>) {
    let s = Summaries::from_log(log).unwrap().get(customer).unwrap();
    (s.orders(), s.monetary().minor_units(), s.last_order_date())
}

#[test]
fn every_id_type_gives_the_same_customers() {
    // Customers 7, 7, 12: as Int64, UInt64, Int16, Utf8, LargeUtf8,
    // Utf8View and a dictionary. Customer 7: two orders, 12.50 + 3.00.
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![7, 7, 12])),
        Arc::new(UInt64Array::from(vec![7, 7, 12])),
        Arc::new(Int16Array::from(vec![7, 7, 12])),
        strings(&["7", "7", "12"]),
        Arc::new(LargeStringArray::from(vec!["7", "7", "12"])),
        Arc::new(StringViewArray::from(vec!["7", "7", "12"])),
        Arc::new(
            vec!["7", "7", "12"]
                .into_iter()
                .collect::<DictionaryArray<Int32Type>>(),
        ),
    ];
    let mut all = Vec::new();
    for ids in columns {
        let b = batch(vec![
            ("customer_id", ids),
            ("order_date", dates(&[3, 5, 4])),
            ("amount", decimals(vec![Some(1250), Some(300), Some(99)], 2)),
        ]);
        let log = ingest(ArrowOrders::new(2).unwrap(), &[b]).unwrap();
        assert_eq!(brief(&log, "7"), (2, 1550, Some(day(5))));
        assert_eq!(brief(&log, "12"), (1, 99, Some(day(4))));
        all.push(summaries(&log));
    }
    assert!(all.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn decimals_scale_exactly_and_never_round() {
    let one = |amount: ArrayRef, scale: u32| -> Result<i64, Error> {
        let b = batch(vec![
            ("customer_id", strings(&["a"])),
            ("order_date", dates(&[3])),
            ("amount", amount),
        ]);
        ingest(ArrowOrders::new(scale)?, &[b]).map(|log| brief(&log, "a").1)
    };
    // 12 (scale 0) at money scale 2: 1200 cents.
    assert_eq!(one(decimals(vec![Some(12)], 0), 2), Ok(1200));
    // 5 with scale -1 is 50; at money scale 0, 50 yen.
    assert_eq!(one(decimals(vec![Some(5)], -1), 0), Ok(50));
    // 1.230 (scale 3) at scale 2: 123 cents; 1.234 is an error.
    assert_eq!(one(decimals(vec![Some(1230)], 3), 2), Ok(123));
    let err = one(decimals(vec![Some(1234)], 3), 2).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidColumn {
            column: "amount".into(),
            row: Some(0),
            problem: "1.234 has more than 2 decimals; this currency has at most 2 \
                      (the value is never rounded)"
                .into(),
        }
    );
    // Decimal32 too: 0.05 at scale 2 is 5 cents.
    let d32: ArrayRef = Arc::new(
        Decimal32Array::from(vec![5])
            .with_precision_and_scale(9, 2)
            .unwrap(),
    );
    assert_eq!(one(d32, 2), Ok(5));
    // Integers are minor units.
    assert_eq!(one(Arc::new(Int64Array::from(vec![4321])), 2), Ok(4321));
    // Beyond i64 minor units: 10^17 units at scale 2 is 10^19 cents.
    let err = one(decimals(vec![Some(100_000_000_000_000_000)], 0), 2).unwrap_err();
    assert!(err.to_string().contains("too large"), "{err}");
    let err = one(Arc::new(UInt64Array::from(vec![u64::MAX])), 2).unwrap_err();
    assert!(err.to_string().contains("too large"), "{err}");
}

#[test]
fn floats_are_read_by_their_shortest_decimal() {
    let one = |value: f64| -> Result<i64, Error> {
        let b = batch(vec![
            ("customer_id", strings(&["a"])),
            ("order_date", dates(&[3])),
            ("amount", Arc::new(Float64Array::from(vec![value]))),
        ]);
        ingest(ArrowOrders::new(2)?, &[b]).map(|log| brief(&log, "a").1)
    };
    // 12.34 prints as "12.34": 1234 cents, although 12.34 * 100 is
    // 1233.9999999999998 in binary.
    assert_eq!(one(12.34), Ok(1234));
    assert_eq!(one(0.07), Ok(7));
    // 0.1 + 0.2 prints as 0.30000000000000004: too many decimals.
    let err = one(0.1 + 0.2).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("row 0, column amount: float 0.30000000000000004"),
        "{err}"
    );
    assert!(
        one(f64::NAN)
            .unwrap_err()
            .to_string()
            .contains("NaN is not an amount")
    );
    assert!(one(f64::INFINITY).is_err());
}

#[test]
fn every_date_type_gives_the_shops_day() {
    let with_dates = |dates: ArrayRef, orders: ArrowOrders| -> Result<NaiveDate, Error> {
        let b = batch(vec![
            ("customer_id", strings(&["a"])),
            ("order_date", dates),
            ("amount", decimals(vec![Some(100)], 2)),
        ]);
        ingest(orders, &[b]).map(|log| brief(&log, "a").2.unwrap())
    };
    let plain = || ArrowOrders::new(2).unwrap();
    let tokyo = FixedOffset::east_opt(9 * 3600).unwrap();
    // 2025-01-05 is day 20093; 2025-01-05T00:00Z is 1_736_035_200 s.
    let midnight = 1_736_035_200_i64;
    assert_eq!(with_dates(dates(&[5]), plain()), Ok(day(5)));
    let ms = Arc::new(Date64Array::from(vec![20_093 * 86_400_000]));
    assert_eq!(with_dates(ms, plain()), Ok(day(5)));
    let not_whole = Arc::new(Date64Array::from(vec![20_093 * 86_400_000 + 1]));
    let err = with_dates(not_whole, plain()).unwrap_err();
    assert!(err.to_string().contains("not a whole day"), "{err}");
    // Naive timestamps: 2025-01-05 23:59:59.999999999 is 5 January, in
    // any unit, whatever the shop's zone.
    let last = midnight + 86_399;
    let naive: Vec<ArrayRef> = vec![
        Arc::new(TimestampSecondArray::from(vec![last])),
        Arc::new(TimestampMicrosecondArray::from(vec![
            last * 1_000_000 + 999_999,
        ])),
        Arc::new(TimestampNanosecondArray::from(vec![
            last * 1_000_000_000 + 999_999_999,
        ])),
    ];
    for stamps in naive {
        assert_eq!(with_dates(stamps.clone(), plain()), Ok(day(5)));
        assert_eq!(with_dates(stamps, plain().offset(tokyo)), Ok(day(5)));
    }
    // Instants: 2025-01-05T23:30+09:00 is 14:30Z; the column's own zone
    // does not matter, the shop's does.
    let late = midnight + 14 * 3600 + 30 * 60;
    for zone in ["UTC", "+09:00", "America/New_York"] {
        let stamps =
            || -> ArrayRef { Arc::new(TimestampSecondArray::from(vec![late]).with_timezone(zone)) };
        assert_eq!(with_dates(stamps(), plain().offset(tokyo)), Ok(day(5)));
        // Two hours later it is 6 January in Tokyo (01:30), still 5 in UTC.
        let later: ArrayRef =
            Arc::new(TimestampSecondArray::from(vec![late + 7200]).with_timezone(zone));
        assert_eq!(with_dates(later.clone(), plain().offset(tokyo)), Ok(day(6)));
        let utc = FixedOffset::east_opt(0).unwrap();
        assert_eq!(with_dates(later, plain().offset(utc)), Ok(day(5)));
        // A caller's conversion: UTC-5 puts 14:30Z on 5 January 09:30.
        let ny = plain().day_of(|utc| (utc - Duration::hours(5)).date_naive());
        assert_eq!(with_dates(stamps(), ny), Ok(day(5)));
        // No shop zone: an error naming the column, before any row.
        let err = with_dates(stamps(), plain()).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidColumn { column, row: None, .. } if column == "order_date"),
            "{err:?}"
        );
    }
}

#[test]
fn integer_id_columns_check_every_date_and_amount() {
    // Integer customer ids: the batch is read a column at a time, with the
    // same values and the same errors as row by row.
    let one = |days: Vec<i32>, amount: ArrayRef| -> Result<OrderLog, Error> {
        let n = days.len();
        let b = batch(vec![
            (
                "customer_id",
                Arc::new(Int64Array::from(vec![7; n])) as ArrayRef,
            ),
            ("order_date", Arc::new(Date32Array::from(days)) as ArrayRef),
            ("amount", amount),
        ]);
        ingest(ArrowOrders::new(2)?, &[b])
    };
    // 12 and 3 (scale 0) at money scale 2: 1500 cents over two days.
    let log = one(
        vec![epoch_day(3), epoch_day(4)],
        decimals(vec![Some(12), Some(3)], 0),
    )
    .unwrap();
    assert_eq!(brief(&log, "7"), (2, 1500, Some(day(4))));
    // A day chrono has no date for, in the second row.
    let err = one(
        vec![epoch_day(3), i32::MAX],
        decimals(vec![Some(12), Some(3)], 0),
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("row 1, column order_date: "), "{err}");
    assert!(err.contains("out of range"), "{err}");
    // 10^17 units at scale 2 is 10^19 cents: beyond i64, in the first row.
    let err = one(
        vec![epoch_day(3), epoch_day(4)],
        decimals(vec![Some(100_000_000_000_000_000), Some(1)], 0),
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("row 0, column amount: "), "{err}");
    assert!(err.contains("too large"), "{err}");
    // A decimal with more digits than the currency: never rounded.
    let err = one(vec![epoch_day(3)], decimals(vec![Some(1234)], 3))
        .unwrap_err()
        .to_string();
    assert!(err.contains("has more than 2 decimals"), "{err}");
}

#[test]
fn bad_cells_name_column_and_row_across_batches() {
    let amounts = |v: Vec<Option<i128>>| decimals(v, 2);
    let good = batch(vec![
        ("customer_id", strings(&["a", "b"])),
        ("order_date", dates(&[3, 4])),
        ("amount", amounts(vec![Some(100), Some(200)])),
    ]);
    let null_date: ArrayRef = Arc::new(Date32Array::from(vec![Some(epoch_day(3)), None]));
    let bad = batch(vec![
        ("customer_id", strings(&["c", "d"])),
        ("order_date", null_date),
        ("amount", amounts(vec![Some(100), Some(200)])),
    ]);
    // Row 1 of the second batch is row 3 of the stream.
    let err = ingest(ArrowOrders::new(2).unwrap(), &[good.clone(), bad.clone()]).unwrap_err();
    assert_eq!(err.to_string(), "row 3, column order_date: is null");
    assert_eq!(
        err.location(),
        Some(rfmkit::error::Location::Column {
            column: "order_date".into(),
            row: Some(3)
        })
    );
    // Lenient: the row is listed (at push position 3) and the rest kept.
    let config = IngestConfig::new(as_of()).validation(Validation::Lenient);
    let log = ArrowOrders::new(2)
        .unwrap()
        .ingest(&config, [&good, &bad])
        .unwrap();
    assert_eq!(log.rows(), 3);
    assert_eq!(log.skipped().len(), 1);
    assert_eq!(log.skipped()[0].index, 3);
    assert_eq!(log.skipped()[0].reason, err);
    // A null or empty customer id, an unknown status.
    let ids: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some("")]));
    let b = batch(vec![
        ("customer_id", ids),
        ("order_date", dates(&[3, 4, 5])),
        ("amount", amounts(vec![Some(1); 3])),
    ]);
    let log = ArrowOrders::new(2).unwrap().ingest(&config, [&b]).unwrap();
    let reasons: Vec<String> = log.skipped().iter().map(|s| s.reason.to_string()).collect();
    assert_eq!(
        reasons,
        [
            "row 1, column customer_id: is null",
            "row 2, column customer_id: customer_id is empty"
        ]
    );
    let b = batch(vec![
        ("customer_id", strings(&["a"])),
        ("order_date", dates(&[3])),
        ("amount", amounts(vec![Some(1)])),
        ("STATUS", strings(&["shipped"])),
    ]);
    let err = ingest(ArrowOrders::new(2).unwrap(), &[b]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 0, column STATUS: status \"shipped\" is unknown; use completed, returned or cancelled"
    );
}

#[test]
fn schema_problems_are_found_before_any_row() {
    let ok = batch(vec![
        ("customer_id", strings(&["a"])),
        ("order_date", dates(&[3])),
        ("amount", decimals(vec![Some(1)], 2)),
    ]);
    let orders = ArrowOrders::new(2).unwrap();
    assert_eq!(orders.check_schema(ok.schema_ref()), Ok(()));
    let twice = batch(vec![
        ("customer_id", strings(&["a"])),
        (" Customer_Id", strings(&["a"])),
        ("order_date", dates(&[3])),
        ("amount", decimals(vec![Some(1)], 2)),
    ]);
    assert_eq!(
        orders
            .check_schema(twice.schema_ref())
            .unwrap_err()
            .to_string(),
        "column customer_id: appears twice (columns 1 and 2); keep one"
    );
    let text_amounts = batch(vec![
        ("customer_id", strings(&["a"])),
        ("order_date", dates(&[3])),
        ("amount", strings(&["1.00"])),
    ]);
    let err = orders.check_schema(text_amounts.schema_ref()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("column amount: has type Utf8; amount must be a decimal"),
        "{err}"
    );
    let mut builder = IngestConfig::new(as_of()).builder();
    let mut reader = ArrowOrders::new(2).unwrap();
    assert_eq!(reader.push_batch(&text_amounts, &mut builder), Err(err));
    assert_eq!((reader.rows(), builder.pushed()), (0, 0));
    assert!(ArrowOrders::new(19).is_err());
}

/// Orders of one arbitrary shop: (customer, day, cents, status, channel).
fn shop() -> impl Strategy<Value = Vec<(u16, u32, i64, u8, Option<u8>)>> {
    prop::collection::vec(
        (
            0_u16..40,
            1_u32..=31,
            0_i64..100_000,
            0_u8..6,
            prop::option::of(0_u8..3),
        ),
        0..200,
    )
}

proptest! {
    /// Any orders, split into any batches, with integer or string ids, give
    /// the same log as the same orders through `IngestConfig::ingest`.
    #[test]
    fn batches_ingest_like_orders(
        rows in shop(),
        cuts in prop::collection::vec(0_usize..200, 0..4),
        integer_ids in any::<bool>(),
        with_status in any::<bool>(),
    ) {
        // Without a status column, the sign of the amount tells returns.
        let status = |s: u8| match (s, with_status) {
            (0, _) => OrderStatus::Returned,
            (1, true) => OrderStatus::Cancelled,
            _ => OrderStatus::Completed,
        };
        let orders: Vec<Order> = rows
            .iter()
            .enumerate()
            .map(|(i, &(c, d, cents, s, channel))| {
                let amount = if status(s) == OrderStatus::Returned { -cents } else { cents };
                let order = Order::new(format!("{}", i * 3), c.to_string(), day(d), Money::new(amount))
                    .with_status(status(s));
                match channel {
                    Some(ch) => order.with_channel(format!("ch{ch}")),
                    None => order,
                }
            })
            .collect();
        let expected = IngestConfig::new(as_of()).ingest(&orders).unwrap();
        let mut bounds: Vec<usize> = cuts.into_iter().map(|c| c.min(rows.len())).collect();
        bounds.extend([0, rows.len()]);
        bounds.sort_unstable();
        let mut batches = Vec::new();
        for w in bounds.windows(2) {
            let part = &rows[w[0]..w[1]];
            let offset = w[0];
            let ids: ArrayRef = if integer_ids {
                Arc::new(Int64Array::from(part.iter().map(|r| i64::from(r.0)).collect::<Vec<_>>()))
            } else {
                Arc::new(StringArray::from(part.iter().map(|r| r.0.to_string()).collect::<Vec<_>>()))
            };
            let order_ids: ArrayRef = Arc::new(UInt64Array::from(
                (0..part.len()).map(|i| u64::try_from((offset + i) * 3).unwrap()).collect::<Vec<_>>(),
            ));
            let days: ArrayRef = Arc::new(Date32Array::from(
                part.iter().map(|r| epoch_day(r.1)).collect::<Vec<_>>(),
            ));
            let amounts = decimals(
                part.iter()
                    .map(|r| Some(i128::from(if status(r.3) == OrderStatus::Returned { -r.2 } else { r.2 })))
                    .collect(),
                2,
            );
            let statuses: ArrayRef = Arc::new(StringArray::from(
                part.iter().map(|r| status(r.3).to_string().to_uppercase()).collect::<Vec<_>>(),
            ));
            let channels: ArrayRef = Arc::new(StringArray::from(
                part.iter().map(|r| r.4.map(|c| format!("ch{c}"))).collect::<Vec<_>>(),
            ));
            let mut columns = vec![
                ("Order_ID", order_ids),
                ("customer_id", ids),
                ("order_date", days),
                ("amount", amounts),
                ("channel", channels),
            ];
            if with_status {
                columns.push(("status", statuses));
            }
            batches.push(batch(columns));
        }
        let log = ingest(ArrowOrders::new(2).unwrap(), &batches).unwrap();
        prop_assert_eq!(log.rows(), expected.rows());
        prop_assert_eq!(log.cancelled(), expected.cancelled());
        prop_assert_eq!(summaries(&log), summaries(&expected));
    }
}
