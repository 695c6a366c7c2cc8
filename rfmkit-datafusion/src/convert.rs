//! The aggregated Arrow result → rfmkit [`Summaries`].

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray, RecordBatch, StructArray};
use datafusion::arrow::datatypes::{DataType, Date32Type, Int64Type};
use rfmkit::ingest::IdOrder;
use rfmkit::summary::{CustomerSummary, Summaries};
use rfmkit::{CustomerId, Money};

use crate::error::{Error, Result};
use crate::udaf::date_of;

/// Turns the result of `SELECT customer_id, rfm_summary(..) ... GROUP BY
/// customer_id` into rfmkit [`Summaries`] as of `as_of`.
///
/// Reads the first two columns of every batch: the customer id (text or
/// integer: `Utf8`, `LargeUtf8`, `Utf8View`, `Int8`..`Int64`,
/// `UInt8`..`UInt64`) and the struct of [`summary_fields`](crate::summary_fields)
/// (found by name, so extra fields are ignored). Rows may come in any
/// order; the summaries are in `id_order` (pass [`IdOrder::Numeric`] for
/// integer ids to break rank ties as rfmkit's in-process pipeline does on
/// integer ids). Customers whose every order was cancelled (no order, no
/// return) are left out, as rfmkit's ingest leaves them out. Every summary
/// is checked like [`Summaries::from_rows`]; empty input gives empty
/// summaries.
///
/// Memory: the customer rows (about 100 bytes each plus 4 bytes per
/// distinct purchase day) and then the [`Summaries`] (28 bytes per customer
/// plus 4 per purchase day).
///
/// # Errors
///
/// [`Error::Column`] naming the batch, row and column for a missing or
/// mistyped column, a NULL id or summary, or a count or date out of range;
/// [`Error::Rfmkit`] for a summary that breaks an invariant (naming the
/// customer), a customer id that appears twice
/// ([`rfmkit::Error::InvalidConfig`], the query was not grouped by
/// customer), or a non-integer id under [`IdOrder::Numeric`].
///
/// # Example
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use chrono::NaiveDate;
/// use datafusion::arrow::array::{ArrayRef, Date32Array, Int64Array, RecordBatch, StringArray};
/// use datafusion::prelude::SessionContext;
/// use rfmkit::ingest::IdOrder;
/// use rfmkit_datafusion::{date32, register, summaries_from_batches};
///
/// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
/// let orders = RecordBatch::try_from_iter([
///     ("customer_id", std::sync::Arc::new(StringArray::from(vec!["alice", "bob", "alice"])) as ArrayRef),
///     ("order_date", std::sync::Arc::new(Date32Array::from(vec![date32(d(3)?), date32(d(5)?), date32(d(9)?)])) as ArrayRef),
///     ("amount", std::sync::Arc::new(Int64Array::from(vec![100, 700, 250])) as ArrayRef),
///     ("status", std::sync::Arc::new(StringArray::from(vec!["completed"; 3])) as ArrayRef),
/// ])?;
/// let ctx = SessionContext::new();
/// register(&ctx, d(31)?);
/// ctx.register_batch("orders", orders)?;
/// let sql = "SELECT customer_id, rfm_summary(order_date, amount, status) FROM orders GROUP BY customer_id";
/// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// let batches = runtime.block_on(async { ctx.sql(sql).await?.collect().await })?;
/// let summaries = summaries_from_batches(&batches, d(31)?, IdOrder::Text)?;
/// let alice = summaries.get("alice").ok_or("alice missing")?;
/// assert_eq!((alice.orders(), alice.recency_days()), (2, Some(22)));
/// # Ok(())
/// # }
/// ```
pub fn summaries_from_batches(
    batches: &[RecordBatch],
    as_of: NaiveDate,
    id_order: IdOrder,
) -> Result<Summaries> {
    let mut rows: Vec<CustomerSummary> = Vec::new();
    for (b, batch) in batches.iter().enumerate() {
        let schema = batch.schema();
        let (Some(ids), Some(summary)) = (batch.columns().first(), batch.columns().get(1)) else {
            return Err(Error::Column {
                batch: b,
                row: 0,
                column: "(columns)".into(),
                problem: format!(
                    "{} columns; expected customer_id and rfm_summary(..) first",
                    batch.num_columns()
                ),
            });
        };
        let id_name = schema.field(0).name().clone();
        let summary_name = schema.field(1).name().clone();
        let bad = |row: usize, column: &str, problem: String| Error::Column {
            batch: b,
            row,
            column: column.to_owned(),
            problem,
        };
        let ids = id_texts(ids.as_ref()).ok_or_else(|| {
            bad(
                0,
                &id_name,
                format!(
                    "is {}; a customer id is text or an integer",
                    ids.data_type()
                ),
            )
        })?;
        let summary = summary.as_struct_opt().ok_or_else(|| {
            bad(
                0,
                &summary_name,
                format!(
                    "is {}; expected the struct of rfm_summary",
                    summary.data_type()
                ),
            )
        })?;
        let parts = Parts::of(summary).map_err(|p| bad(0, &summary_name, p))?;
        for (row, id) in ids.into_iter().enumerate() {
            let id = id.ok_or_else(|| bad(row, &id_name, "customer id is NULL".into()))?;
            if summary.is_null(row) {
                return Err(bad(
                    row,
                    &summary_name,
                    format!("customer {id}: summary is NULL"),
                ));
            }
            let built = parts
                .row(row, id, as_of)
                .map_err(|p| bad(row, &summary_name, p))?;
            if let Some(built) = built {
                rows.push(built?);
            }
        }
    }
    rows.sort_by(|a, b| id_order.compare(a.customer().as_str(), b.customer().as_str()));
    if let Some(pair) = rows
        .windows(2)
        .find(|w| matches!(w, [a, b] if a.customer() == b.customer()))
    {
        let customer = pair
            .first()
            .map(|s| s.customer().to_string())
            .unwrap_or_default();
        return Err(Error::Rfmkit(rfmkit::Error::InvalidConfig {
            field: "customer_id".into(),
            reason: format!(
                "customer {customer} appears in more than one row; group the query by customer id"
            ),
        }));
    }
    Ok(Summaries::from_rows(as_of, id_order, rows)?)
}

/// The ids of a text or integer column as text.
fn id_texts(ids: &dyn Array) -> Option<Vec<Option<String>>> {
    use datafusion::arrow::datatypes as t;
    fn ints<T: t::ArrowPrimitiveType>(a: &dyn Array) -> Option<Vec<Option<String>>>
    where
        T::Native: ToString,
    {
        Some(
            a.as_primitive_opt::<T>()?
                .iter()
                .map(|v| v.map(|v| v.to_string()))
                .collect(),
        )
    }
    let own = |v: Option<&str>| v.map(str::to_owned);
    match ids.data_type() {
        DataType::Utf8 => Some(ids.as_string_opt::<i32>()?.iter().map(own).collect()),
        DataType::LargeUtf8 => Some(ids.as_string_opt::<i64>()?.iter().map(own).collect()),
        DataType::Utf8View => Some(ids.as_string_view_opt()?.iter().map(own).collect()),
        DataType::Int8 => ints::<t::Int8Type>(ids),
        DataType::Int16 => ints::<t::Int16Type>(ids),
        DataType::Int32 => ints::<t::Int32Type>(ids),
        DataType::Int64 => ints::<t::Int64Type>(ids),
        DataType::UInt8 => ints::<t::UInt8Type>(ids),
        DataType::UInt16 => ints::<t::UInt16Type>(ids),
        DataType::UInt32 => ints::<t::UInt32Type>(ids),
        DataType::UInt64 => ints::<t::UInt64Type>(ids),
        _ => None,
    }
}

/// The struct's columns that make a summary.
struct Parts<'a> {
    dates: &'a datafusion::arrow::array::ListArray,
    orders: &'a datafusion::arrow::array::Int64Array,
    returns: &'a datafusion::arrow::array::Int64Array,
    revenue: &'a datafusion::arrow::array::Int64Array,
    refunds: &'a datafusion::arrow::array::Int64Array,
    margin: &'a datafusion::arrow::array::Int64Array,
}

impl<'a> Parts<'a> {
    fn of(summary: &'a StructArray) -> std::result::Result<Parts<'a>, String> {
        let field = |name: &str| {
            summary
                .column_by_name(name)
                .ok_or_else(|| format!("has no field {name}; expected the struct of rfm_summary"))
        };
        let int = |name: &str| {
            field(name)?
                .as_primitive_opt::<Int64Type>()
                .ok_or_else(|| format!("field {name} is not Int64"))
        };
        Ok(Parts {
            dates: field("purchase_dates")?
                .as_list_opt::<i32>()
                .ok_or_else(|| "field purchase_dates is not a List".to_owned())?,
            orders: int("orders")?,
            returns: int("returns")?,
            revenue: int("revenue")?,
            refunds: int("refunds")?,
            margin: int("margin")?,
        })
    }

    /// The summary of `row`; `None` for a customer with cancelled orders only.
    fn row(
        &self,
        row: usize,
        id: String,
        as_of: NaiveDate,
    ) -> std::result::Result<Option<rfmkit::Result<CustomerSummary>>, String> {
        let count = |a: &datafusion::arrow::array::Int64Array, name: &str| {
            if a.is_null(row) {
                return Err(format!("customer {id}: {name} is NULL"));
            }
            u64::try_from(a.value(row))
                .map_err(|_| format!("customer {id}: {name} {} is negative", a.value(row)))
        };
        let (orders, returns) = (
            count(self.orders, "orders")?,
            count(self.returns, "returns")?,
        );
        if orders == 0 && returns == 0 {
            return Ok(None);
        }
        let money = |a: &datafusion::arrow::array::Int64Array, name: &str| {
            a.is_valid(row)
                .then(|| Money::new(a.value(row)))
                .ok_or_else(|| format!("customer {id}: {name} is NULL"))
        };
        let (revenue, refunds) = (
            money(self.revenue, "revenue")?,
            money(self.refunds, "refunds")?,
        );
        let margin = self
            .margin
            .is_valid(row)
            .then(|| Money::new(self.margin.value(row)));
        let list = self.dates.value(row);
        let days = list
            .as_primitive_opt::<Date32Type>()
            .ok_or_else(|| format!("customer {id}: purchase_dates are not Date32"))?;
        let mut dates = Vec::with_capacity(days.len());
        for day in days.iter() {
            let day = day.ok_or_else(|| format!("customer {id}: a purchase date is NULL"))?;
            dates.push(date_of(day).ok_or_else(|| {
                format!("customer {id}: purchase date {day} (days since 1970) is out of range")
            })?);
        }
        Ok(Some(
            CustomerSummary::builder(CustomerId::from(id.as_str()), as_of)
                .purchase_dates(dates)
                .orders(orders)
                .returns(returns)
                .revenue(revenue)
                .refunds(refunds)
                .margin(margin)
                .build(),
        ))
    }
}
