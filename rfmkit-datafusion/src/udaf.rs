//! The `rfm_summary` aggregate function: rfmkit's per-customer summary as a
//! DataFusion [`AggregateUDFImpl`].

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Int64Array, ListArray, StructArray,
};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, FieldRef, Fields, Int64Type};
use datafusion::common::{DataFusionError, Result as DfResult, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};
use datafusion::prelude::SessionContext;

/// The name the function is registered under.
pub const NAME: &str = "rfm_summary";

/// Days from 0001-01-01 (chrono's `num_days_from_ce` base) to 1970-01-01
/// (Arrow's `Date32` base).
const EPOCH_FROM_CE: i32 = 719_163;

/// The [`NaiveDate`] of an Arrow `Date32` value (days since 1970-01-01);
/// `None` outside chrono's range.
#[must_use]
pub fn date_of(days_since_epoch: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days_since_epoch.checked_add(EPOCH_FROM_CE)?)
}

/// The Arrow `Date32` value (days since 1970-01-01) of a date.
#[must_use]
pub fn date32(date: NaiveDate) -> i32 {
    // Every NaiveDate is within ±262_143 years: no overflow.
    date.num_days_from_ce() - EPOCH_FROM_CE
}

/// The fields of the struct that `rfm_summary` returns, in order.
///
/// | field | type | meaning (rfmkit's [definitions](rfmkit::summary#definitions)) |
/// |---|---|---|
/// | `first_purchase` | `Date32`, null without a completed order | first purchase date |
/// | `last_purchase` | `Date32`, null without a completed order | last purchase date |
/// | `orders` | `Int64` | completed orders (frequency) |
/// | `purchase_days` | `Int64` | distinct dates with a completed order |
/// | `returns` | `Int64` | returned orders |
/// | `revenue` | `Int64` | Σ completed amounts (`>= 0`), minor units |
/// | `refunds` | `Int64` | Σ returned amounts (`<= 0`), minor units |
/// | `monetary` | `Int64` | `revenue + refunds` (net) |
/// | `margin` | `Int64`, null when unknown | Σ (amount − cost) over completed and returned orders |
/// | `purchase_dates` | `List<Date32>` | the distinct purchase dates, ascending |
///
/// # Example
///
/// ```
/// let names: Vec<_> = rfmkit_datafusion::summary_fields().iter().map(|f| f.name().clone()).collect();
/// assert_eq!(names[..3], ["first_purchase", "last_purchase", "orders"]);
/// ```
#[must_use]
pub fn summary_fields() -> Fields {
    Fields::from(vec![
        Field::new("first_purchase", DataType::Date32, true),
        Field::new("last_purchase", DataType::Date32, true),
        Field::new("orders", DataType::Int64, false),
        Field::new("purchase_days", DataType::Int64, false),
        Field::new("returns", DataType::Int64, false),
        Field::new("revenue", DataType::Int64, false),
        Field::new("refunds", DataType::Int64, false),
        Field::new("monetary", DataType::Int64, false),
        Field::new("margin", DataType::Int64, true),
        Field::new("purchase_dates", days_list_type(), false),
    ])
}

fn days_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Date32, true)))
}

/// `rfm_summary(order_date, amount, status [, cost])`: one customer's
/// orders → rfmkit's summary, as an aggregate function for `GROUP BY
/// customer_id`.
///
/// Arguments (cast to these types where DataFusion can):
///
/// - `order_date`: `DATE` in the shop's calendar (`Date32`; `Date64` is cast);
/// - `amount`: integer minor units (`BIGINT`; cast decimals yourself, e.g.
///   `CAST(ROUND(amount * 100) AS BIGINT)`);
/// - `status`: `'completed'`, `'returned'` or `'cancelled'`, the
///   [status policy](rfmkit::order#status-policy): completed amounts are
///   `>= 0` and purchases, returned amounts are `<= 0` (the refund) and
///   only net against monetary, cancelled orders count nowhere;
/// - `cost` (optional): integer minor units; with it the margin is known
///   when every completed and returned order of the customer has a cost.
///
/// Returns a struct with the [`summary_fields`]. The accumulator's state
/// is the summary itself (distinct purchase days, counts, sums), and
/// merging two states is [`CustomerSummary::merge`](rfmkit::summary::CustomerSummary::merge):
/// any split of the orders into partitions, merged in any order, gives
/// exactly the one-partition result.
///
/// # Errors (at execution)
///
/// Like rfmkit's strict ingest: an order dated after the as-of date, a
/// NULL date, amount or status, an unknown status, an amount with the
/// wrong sign for its status, or a sum that overflows `i64`. An aggregate
/// does not see the group key, so messages name the order's date, amount
/// and status rather than the customer (find it with a `WHERE` on those).
/// Duplicate orders are not detected (the aggregate sees no order ids):
/// de-duplicate in the query.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use datafusion::logical_expr::AggregateUDFImpl as _;
/// use rfmkit_datafusion::RfmSummary;
///
/// let as_of = NaiveDate::from_ymd_opt(2025, 3, 31).ok_or("bad date")?;
/// let udaf = RfmSummary::new(as_of);
/// assert_eq!((udaf.name(), udaf.as_of()), ("rfm_summary", as_of));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RfmSummary {
    as_of: NaiveDate,
    signature: Signature,
}

impl RfmSummary {
    /// The function for summaries as of `as_of`: orders dated after it are
    /// errors (filter them out in the query to leave them out).
    #[must_use]
    pub fn new(as_of: NaiveDate) -> RfmSummary {
        RfmSummary {
            as_of,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// The as-of date.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The function as a DataFusion [`AggregateUDF`].
    #[must_use]
    pub fn udaf(&self) -> AggregateUDF {
        AggregateUDF::from(self.clone())
    }
}

/// Registers `rfm_summary` (as of `as_of`) with a session.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use datafusion::prelude::SessionContext;
///
/// let ctx = SessionContext::new();
/// rfmkit_datafusion::register(&ctx, NaiveDate::from_ymd_opt(2025, 3, 31).ok_or("bad date")?);
/// assert!(ctx.udaf("rfm_summary").is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn register(ctx: &SessionContext, as_of: NaiveDate) {
    ctx.register_udaf(RfmSummary::new(as_of).udaf());
}

fn plan_err(message: String) -> DataFusionError {
    DataFusionError::Plan(format!("{NAME}: {message}"))
}

fn exec_err(message: String) -> DataFusionError {
    DataFusionError::Execution(format!("{NAME}: {message}"))
}

impl AggregateUDFImpl for RfmSummary {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> DfResult<Vec<DataType>> {
        if !(3..=4).contains(&arg_types.len()) {
            return Err(plan_err(format!(
                "takes (order_date, amount, status [, cost]), got {} arguments",
                arg_types.len()
            )));
        }
        let names = ["order_date", "amount", "status", "cost"];
        arg_types
            .iter()
            .zip(names)
            .map(|(t, name)| {
                let ok = match name {
                    "order_date" => matches!(t, DataType::Date32 | DataType::Date64 | DataType::Null),
                    "status" => matches!(
                        t,
                        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
                    ) || matches!(t, DataType::Dictionary(_, v) if v.is_string()),
                    _ => t.is_integer() || *t == DataType::Null,
                };
                if !ok {
                    let hint = match name {
                        "order_date" => "a DATE (cast timestamps to the shop's calendar date)",
                        "status" => "text: 'completed', 'returned' or 'cancelled'",
                        _ => "an integer of minor units, e.g. CAST(ROUND(amount * 100) AS BIGINT)",
                    };
                    return Err(plan_err(format!("{name} is {t}; it must be {hint}")));
                }
                Ok(match name {
                    "order_date" => DataType::Date32,
                    "status" => DataType::Utf8View,
                    _ => DataType::Int64,
                })
            })
            .collect()
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Struct(summary_fields()))
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        Ok(Box::new(SummaryAccumulator::new(self.as_of)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        let name = |part: &str| format!("{}[{part}]", args.name);
        Ok(vec![
            Arc::new(Field::new(name("days"), days_list_type(), true)),
            Arc::new(Field::new(name("orders"), DataType::Int64, true)),
            Arc::new(Field::new(name("returns"), DataType::Int64, true)),
            Arc::new(Field::new(name("revenue"), DataType::Int64, true)),
            Arc::new(Field::new(name("refunds"), DataType::Int64, true)),
            Arc::new(Field::new(name("margin"), DataType::Int64, true)),
        ])
    }
}

/// The accumulator of [`RfmSummary`]: one customer's summary so far.
///
/// Its state (six columns: distinct purchase days, orders, returns,
/// revenue, refunds, margin) merges exactly: counts and sums add (checked),
/// day sets unite, a margin is known only when both sides know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryAccumulator {
    as_of: NaiveDate,
    as_of_day: i32,
    /// Purchase days (`Date32`); sorted and distinct after [`Self::normalize`].
    days: Vec<i32>,
    sorted: bool,
    orders: i64,
    returns: i64,
    revenue: i64,
    refunds: i64,
    /// `None`: some counted order had no cost.
    margin: Option<i64>,
}

impl SummaryAccumulator {
    /// An empty summary as of `as_of`.
    #[must_use]
    pub fn new(as_of: NaiveDate) -> SummaryAccumulator {
        SummaryAccumulator {
            as_of,
            as_of_day: date32(as_of),
            days: Vec::new(),
            sorted: true,
            orders: 0,
            returns: 0,
            revenue: 0,
            refunds: 0,
            margin: Some(0),
        }
    }

    fn normalize(&mut self) {
        if !self.sorted {
            self.days.sort_unstable();
            self.days.dedup();
            self.sorted = true;
        }
    }

    fn push_day(&mut self, day: i32) {
        match self.days.last() {
            Some(&last) if last == day => {}
            Some(&last) if last < day => self.days.push(day),
            None => self.days.push(day),
            Some(_) => {
                self.days.push(day);
                self.sorted = false;
            }
        }
    }

    fn add(total: i64, amount: i64, what: &str) -> DfResult<i64> {
        total.checked_add(amount).ok_or_else(|| {
            exec_err(format!(
                "{what} overflows (adding {amount} to {total}); amounts are i64 minor units"
            ))
        })
    }

    fn days_scalar(&mut self) -> ScalarValue {
        self.normalize();
        let list = ListArray::from_iter_primitive::<Date32Type, _, _>([Some(
            self.days.iter().map(|&d| Some(d)),
        )]);
        ScalarValue::List(Arc::new(list))
    }
}

fn day_text(day: i32) -> String {
    date_of(day).map_or_else(|| format!("day {day}"), |d| d.to_string())
}

impl Accumulator for SummaryAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let [dates, amounts, statuses, rest @ ..] = values else {
            return Err(exec_err(format!("expected 3 or 4 arguments, got {}", values.len())));
        };
        let dates = dates.as_primitive_opt::<datafusion::arrow::datatypes::Date32Type>();
        let amounts = amounts.as_primitive_opt::<Int64Type>();
        let statuses = statuses.as_string_view_opt();
        let costs = match rest.first() {
            Some(c) => Some(
                c.as_primitive_opt::<Int64Type>()
                    .ok_or_else(|| exec_err("cost is not Int64".into()))?,
            ),
            None => None,
        };
        let (Some(dates), Some(amounts), Some(statuses)) = (dates, amounts, statuses) else {
            return Err(exec_err(
                "arguments are not (Date32, Int64, Utf8View): was the function called through the planner?"
                    .into(),
            ));
        };
        for row in 0..dates.len() {
            let date = dates.is_valid(row).then(|| dates.value(row));
            let amount = amounts.is_valid(row).then(|| amounts.value(row));
            let status = statuses.is_valid(row).then(|| statuses.value(row));
            let describe = || {
                format!(
                    "order (order_date {}, amount {}, status {})",
                    date.map_or_else(|| "NULL".into(), day_text),
                    amount.map_or_else(|| "NULL".into(), |a| a.to_string()),
                    status.map_or_else(|| "NULL".into(), |s| format!("'{s}'")),
                )
            };
            let (Some(date), Some(amount), Some(status)) = (date, amount, status) else {
                return Err(exec_err(format!(
                    "{}: order_date, amount and status must not be NULL",
                    describe()
                )));
            };
            if date > self.as_of_day {
                return Err(exec_err(format!(
                    "{}: the date is after the as-of date {}; leave future orders out with \
                     WHERE order_date <= DATE '{}'",
                    describe(),
                    self.as_of,
                    self.as_of
                )));
            }
            let cost = costs.and_then(|c| c.is_valid(row).then(|| c.value(row)));
            let purchase = match status {
                "completed" => true,
                "returned" => false,
                "cancelled" => continue,
                _ => {
                    return Err(exec_err(format!(
                        "{}: unknown status; it must be 'completed', 'returned' or 'cancelled'",
                        describe()
                    )));
                }
            };
            if purchase && amount < 0 {
                return Err(exec_err(format!(
                    "{}: the amount has the wrong sign; a completed order's amount must be >= 0",
                    describe()
                )));
            }
            if !purchase && amount > 0 {
                return Err(exec_err(format!(
                    "{}: the amount has the wrong sign; a returned order's amount is the refund \
                     and must be <= 0",
                    describe()
                )));
            }
            if purchase {
                self.orders = Self::add(self.orders, 1, "orders")?;
                self.revenue = Self::add(self.revenue, amount, "revenue")?;
                self.push_day(date);
            } else {
                self.returns = Self::add(self.returns, 1, "returns")?;
                self.refunds = Self::add(self.refunds, amount, "refunds")?;
            }
            self.margin = match (self.margin, cost) {
                (Some(m), Some(c)) => {
                    let d = amount
                        .checked_sub(c)
                        .ok_or_else(|| exec_err(format!("{}: amount − cost overflows", describe())))?;
                    Some(Self::add(m, d, "margin")?)
                }
                _ => None,
            };
        }
        Ok(())
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        self.normalize();
        let first = self.days.first().copied();
        let last = self.days.last().copied();
        let purchase_days = i64::try_from(self.days.len())
            .map_err(|_| exec_err("too many purchase days".into()))?;
        let monetary = Self::add(self.revenue, self.refunds, "monetary")?;
        let ScalarValue::List(days) = self.days_scalar() else {
            return Err(exec_err("internal: purchase dates are not a list".into()));
        };
        let int = |v: i64| Arc::new(Int64Array::from(vec![v])) as ArrayRef;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Date32Array::from(vec![first])),
            Arc::new(Date32Array::from(vec![last])),
            int(self.orders),
            int(purchase_days),
            int(self.returns),
            int(self.revenue),
            int(self.refunds),
            int(monetary),
            Arc::new(Int64Array::from(vec![self.margin])),
            days,
        ];
        let array = StructArray::try_new(summary_fields(), columns, None)?;
        Ok(ScalarValue::Struct(Arc::new(array)))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.days.capacity() * size_of::<i32>()
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        Ok(vec![
            self.days_scalar(),
            ScalarValue::Int64(Some(self.orders)),
            ScalarValue::Int64(Some(self.returns)),
            ScalarValue::Int64(Some(self.revenue)),
            ScalarValue::Int64(Some(self.refunds)),
            ScalarValue::Int64(self.margin),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let [days, orders, returns, revenue, refunds, margin] = states else {
            return Err(exec_err(format!("expected 6 state columns, got {}", states.len())));
        };
        let ints = |a: &ArrayRef, what: &str| {
            a.as_primitive_opt::<Int64Type>()
                .cloned()
                .ok_or_else(|| exec_err(format!("state column {what} is not Int64")))
        };
        let days = days
            .as_list_opt::<i32>()
            .ok_or_else(|| exec_err("state column days is not a list".into()))?;
        let (orders, returns) = (ints(orders, "orders")?, ints(returns, "returns")?);
        let (revenue, refunds) = (ints(revenue, "revenue")?, ints(refunds, "refunds")?);
        let margin = ints(margin, "margin")?;
        for row in 0..days.len() {
            if days.is_null(row) {
                continue;
            }
            let list = days.value(row);
            let list = list
                .as_primitive_opt::<Date32Type>()
                .ok_or_else(|| exec_err("state days are not Date32".into()))?;
            for day in list.iter().flatten() {
                self.push_day(day);
            }
            self.orders = Self::add(self.orders, orders.value(row), "orders")?;
            self.returns = Self::add(self.returns, returns.value(row), "returns")?;
            self.revenue = Self::add(self.revenue, revenue.value(row), "revenue")?;
            self.refunds = Self::add(self.refunds, refunds.value(row), "refunds")?;
            self.margin = match (self.margin, margin.is_valid(row)) {
                (Some(m), true) => Some(Self::add(m, margin.value(row), "margin")?),
                _ => None,
            };
        }
        Ok(())
    }
}
