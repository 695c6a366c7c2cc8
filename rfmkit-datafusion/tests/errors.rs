//! Bad input: clear errors naming the order's values, never a panic.

use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::AggregateUDFImpl as _;
use rfmkit::ingest::IdOrder;
use rfmkit_datafusion::{Error, RfmSummary, date32, summaries_from_batches};

use crate::support;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()
}

/// Runs the grouped query on one order and returns the error text.
fn error_of(date: NaiveDate, amount: Option<i64>, status: Option<&str>) -> String {
    let batch = RecordBatch::try_from_iter([
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["alice"])) as ArrayRef,
        ),
        (
            "order_date",
            Arc::new(Date32Array::from(vec![date32(date)])) as ArrayRef,
        ),
        (
            "amount",
            Arc::new(Int64Array::from(vec![amount])) as ArrayRef,
        ),
        (
            "status",
            Arc::new(StringArray::from(vec![status])) as ArrayRef,
        ),
    ])
    .unwrap();
    let ctx = support::session(as_of(), 2);
    ctx.register_batch("orders", batch).unwrap();
    let rt = support::runtime(1).unwrap();
    let err = rt
        .block_on(async { ctx.sql(support::SQL).await?.collect().await })
        .unwrap_err();
    err.to_string()
}

#[test]
fn invalid_orders_are_named_errors() {
    let day = NaiveDate::from_ymd_opt(2025, 3, 2).unwrap();
    let cases = [
        (
            error_of(day, Some(-5), Some("completed")),
            "order (order_date 2025-03-02, amount -5, status 'completed')",
            "must be >= 0",
        ),
        (
            error_of(day, Some(5), Some("returned")),
            "amount 5, status 'returned'",
            "must be <= 0",
        ),
        (
            error_of(day, Some(5), Some("shipped")),
            "status 'shipped'",
            "'completed', 'returned' or 'cancelled'",
        ),
        (
            error_of(day, None, Some("completed")),
            "amount NULL",
            "must not be NULL",
        ),
        (
            error_of(day, Some(5), None),
            "status NULL",
            "must not be NULL",
        ),
        (
            error_of(
                NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
                Some(5),
                Some("cancelled"),
            ),
            "order_date 2025-04-01",
            "after the as-of date 2025-03-31",
        ),
    ];
    for (err, place, rule) in cases {
        assert!(err.contains("rfm_summary: "), "{err}");
        assert!(err.contains(place), "{err}");
        assert!(err.contains(rule), "{err}");
    }
}

#[test]
fn wrong_argument_types_are_plan_errors() {
    let udaf = RfmSummary::new(as_of());
    let err = udaf
        .coerce_types(&[DataType::Date32, DataType::Float64, DataType::Utf8])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("amount is Float64") && err.contains("CAST(ROUND(amount * 100) AS BIGINT)"),
        "{err}"
    );
    let err = udaf
        .coerce_types(&[DataType::Date32, DataType::Int64])
        .unwrap_err()
        .to_string();
    assert!(err.contains("got 2 arguments"), "{err}");
    assert_eq!(
        udaf.coerce_types(&[
            DataType::Date32,
            DataType::Int32,
            DataType::Utf8,
            DataType::UInt16
        ])
        .unwrap(),
        [
            DataType::Date32,
            DataType::Int64,
            DataType::Utf8View,
            DataType::Int64
        ]
    );

    // Through SQL: a float amount is refused at planning, naming the fix.
    let batch = RecordBatch::try_from_iter([
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
        ),
        (
            "order_date",
            Arc::new(Date32Array::from(vec![0])) as ArrayRef,
        ),
        (
            "amount",
            Arc::new(Float64Array::from(vec![1.5])) as ArrayRef,
        ),
        (
            "status",
            Arc::new(StringArray::from(vec!["completed"])) as ArrayRef,
        ),
    ])
    .unwrap();
    let ctx = support::session(as_of(), 1);
    ctx.register_batch("orders", batch).unwrap();
    let rt = support::runtime(1).unwrap();
    let err = rt
        .block_on(async { ctx.sql(support::SQL).await?.collect().await })
        .unwrap_err()
        .to_string();
    assert!(err.contains("amount is Float64"), "{err}");
}

#[test]
fn malformed_aggregated_results_name_batch_row_and_column() {
    let ids_only = RecordBatch::try_from_iter([(
        "customer_id",
        Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
    )])
    .unwrap();
    let err = summaries_from_batches(&[ids_only], as_of(), IdOrder::Text).unwrap_err();
    assert!(matches!(err, Error::Column { batch: 0, .. }), "{err}");

    let not_struct = RecordBatch::try_from_iter([
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
        ),
        ("summary", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
    ])
    .unwrap();
    let err = summaries_from_batches(&[not_struct], as_of(), IdOrder::Text).unwrap_err();
    assert!(
        err.to_string().contains("column summary: is Int64"),
        "{err}"
    );

    // The same customer in two rows (not grouped by customer): an error
    // naming the customer, not a silent merge or a drop.
    let batch = RecordBatch::try_from_iter([
        (
            "customer_id",
            Arc::new(StringArray::from(vec!["a", "a"])) as ArrayRef,
        ),
        (
            "order_date",
            Arc::new(Date32Array::from(vec![0, 1])) as ArrayRef,
        ),
        ("amount", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        (
            "status",
            Arc::new(StringArray::from(vec!["completed"; 2])) as ArrayRef,
        ),
    ])
    .unwrap();
    let ctx = support::session(as_of(), 1);
    ctx.register_batch("orders", batch).unwrap();
    let rt = support::runtime(1).unwrap();
    let out = rt
        .block_on(async {
            ctx.sql(
                "SELECT customer_id, rfm_summary(order_date, amount, status) FROM orders \
                     GROUP BY customer_id, order_date",
            )
            .await?
            .collect()
            .await
        })
        .unwrap();
    let err = summaries_from_batches(&out, as_of(), IdOrder::Text).unwrap_err();
    assert!(
        err.to_string()
            .contains("customer a appears in more than one row"),
        "{err}"
    );

    // No batches: empty summaries.
    let empty = summaries_from_batches(&out[..0], as_of(), IdOrder::Numeric).unwrap();
    assert!(empty.is_empty());
}
