//! The `rfm_summary` aggregate function: rfmkit's per-customer summary as a
//! DataFusion [`AggregateUDFImpl`].

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Int64Array, ListArray, PrimitiveArray,
    StringViewArray, StructArray,
};
use datafusion::arrow::buffer::{OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, FieldRef, Fields, Int64Type};
use datafusion::common::{DataFusionError, Result as DfResult, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
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
/// use datafusion::execution::FunctionRegistry as _;
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
                    "order_date" => {
                        matches!(t, DataType::Date32 | DataType::Date64 | DataType::Null)
                    }
                    "status" => {
                        matches!(
                            t,
                            DataType::Utf8
                                | DataType::LargeUtf8
                                | DataType::Utf8View
                                | DataType::Null
                        ) || matches!(t, DataType::Dictionary(_, v)
                        if matches!(**v, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View))
                    }
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

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> DfResult<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(SummaryGroupsAccumulator::new(self.as_of)))
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

/// One customer's summary so far: the state of both accumulators.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Partial {
    /// Purchase days (`Date32`); sorted and distinct when `sorted`.
    days: Vec<i32>,
    sorted: bool,
    orders: i64,
    returns: i64,
    revenue: i64,
    refunds: i64,
    /// `None`: some counted order had no cost.
    margin: Option<i64>,
}

impl Default for Partial {
    fn default() -> Partial {
        Partial {
            days: Vec::new(),
            sorted: true,
            orders: 0,
            returns: 0,
            revenue: 0,
            refunds: 0,
            margin: Some(0),
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

fn day_text(day: i32) -> String {
    date_of(day).map_or_else(|| format!("day {day}"), |d| d.to_string())
}

/// The arguments of one batch, as the planner coerced them.
struct Args<'a> {
    dates: &'a PrimitiveArray<Date32Type>,
    amounts: &'a Int64Array,
    statuses: &'a StringViewArray,
    costs: Option<&'a Int64Array>,
}

impl<'a> Args<'a> {
    fn of(values: &'a [ArrayRef]) -> DfResult<Args<'a>> {
        let [dates, amounts, statuses, rest @ ..] = values else {
            return Err(exec_err(format!(
                "expected 3 or 4 arguments, got {}",
                values.len()
            )));
        };
        let costs = match rest.first() {
            Some(c) => Some(
                c.as_primitive_opt::<Int64Type>()
                    .ok_or_else(|| exec_err("cost is not Int64".into()))?,
            ),
            None => None,
        };
        match (
            dates.as_primitive_opt::<Date32Type>(),
            amounts.as_primitive_opt::<Int64Type>(),
            statuses.as_string_view_opt(),
        ) {
            (Some(dates), Some(amounts), Some(statuses)) => Ok(Args {
                dates,
                amounts,
                statuses,
                costs,
            }),
            _ => Err(exec_err(
                "arguments are not (Date32, Int64, Utf8View[, Int64]); call the function through \
                 the planner"
                    .into(),
            )),
        }
    }

    fn len(&self) -> usize {
        self.dates.len()
    }
}

/// The state columns of a batch of partial summaries.
struct States<'a> {
    days: &'a ListArray,
    orders: &'a Int64Array,
    returns: &'a Int64Array,
    revenue: &'a Int64Array,
    refunds: &'a Int64Array,
    margin: &'a Int64Array,
}

impl<'a> States<'a> {
    fn of(states: &'a [ArrayRef]) -> DfResult<States<'a>> {
        let [days, orders, returns, revenue, refunds, margin] = states else {
            return Err(exec_err(format!(
                "expected 6 state columns, got {}",
                states.len()
            )));
        };
        let int = |a: &'a ArrayRef, what: &str| {
            a.as_primitive_opt::<Int64Type>()
                .ok_or_else(|| exec_err(format!("state column {what} is not Int64")))
        };
        Ok(States {
            days: days
                .as_list_opt::<i32>()
                .ok_or_else(|| exec_err("state column days is not a list".into()))?,
            orders: int(orders, "orders")?,
            returns: int(returns, "returns")?,
            revenue: int(revenue, "revenue")?,
            refunds: int(refunds, "refunds")?,
            margin: int(margin, "margin")?,
        })
    }
}

impl Partial {
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

    /// Adds order `row` of `args`, validated as rfmkit's strict ingest does.
    fn add_order(
        &mut self,
        args: &Args<'_>,
        row: usize,
        as_of: NaiveDate,
        as_of_day: i32,
    ) -> DfResult<()> {
        let date = args.dates.is_valid(row).then(|| args.dates.value(row));
        let amount = args.amounts.is_valid(row).then(|| args.amounts.value(row));
        let status = args
            .statuses
            .is_valid(row)
            .then(|| args.statuses.value(row));
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
        if date > as_of_day {
            return Err(exec_err(format!(
                "{}: the date is after the as-of date {as_of}; leave future orders out with \
                 WHERE order_date <= DATE '{as_of}'",
                describe()
            )));
        }
        let purchase = match status {
            "completed" => true,
            "returned" => false,
            "cancelled" => return Ok(()),
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
                "{}: the amount has the wrong sign; a returned order's amount is the refund and \
                 must be <= 0",
                describe()
            )));
        }
        if purchase {
            self.orders = add(self.orders, 1, "orders")?;
            self.revenue = add(self.revenue, amount, "revenue")?;
            self.push_day(date);
        } else {
            self.returns = add(self.returns, 1, "returns")?;
            self.refunds = add(self.refunds, amount, "refunds")?;
        }
        let cost = args
            .costs
            .and_then(|c| c.is_valid(row).then(|| c.value(row)));
        self.margin = match (self.margin, cost) {
            (Some(m), Some(c)) => {
                let d = amount
                    .checked_sub(c)
                    .ok_or_else(|| exec_err(format!("{}: amount − cost overflows", describe())))?;
                Some(add(m, d, "margin")?)
            }
            _ => None,
        };
        Ok(())
    }

    /// Merges partial summary `row` of `states` (a disjoint set of the
    /// customer's orders) into this one.
    fn merge_row(&mut self, states: &States<'_>, row: usize) -> DfResult<()> {
        if states.days.is_null(row) {
            return Ok(());
        }
        let list = states.days.value(row);
        let days = list
            .as_primitive_opt::<Date32Type>()
            .ok_or_else(|| exec_err("state days are not Date32".into()))?;
        for day in days.iter().flatten() {
            self.push_day(day);
        }
        self.orders = add(self.orders, states.orders.value(row), "orders")?;
        self.returns = add(self.returns, states.returns.value(row), "returns")?;
        self.revenue = add(self.revenue, states.revenue.value(row), "revenue")?;
        self.refunds = add(self.refunds, states.refunds.value(row), "refunds")?;
        self.margin = match (self.margin, states.margin.is_valid(row)) {
            (Some(m), true) => Some(add(m, states.margin.value(row), "margin")?),
            _ => None,
        };
        Ok(())
    }
}

/// The purchase days of `partials` as one list array (one row each).
fn days_list(partials: &mut [Partial]) -> DfResult<ListArray> {
    let mut offsets = Vec::with_capacity(partials.len() + 1);
    offsets.push(0_i32);
    let total: usize = partials.iter().map(|p| p.days.len()).sum();
    let mut values = Vec::with_capacity(total);
    for p in partials.iter_mut() {
        p.normalize();
        values.extend_from_slice(&p.days);
        offsets.push(
            i32::try_from(values.len())
                .map_err(|_| exec_err("more than 2^31 purchase days in one batch".into()))?,
        );
    }
    let field = Arc::new(Field::new_list_field(DataType::Date32, true));
    Ok(ListArray::try_new(
        field,
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        Arc::new(Date32Array::from(values)),
        None,
    )?)
}

/// The state columns of `partials`.
fn state_arrays(partials: &mut [Partial]) -> DfResult<Vec<ArrayRef>> {
    let ints = |f: fn(&Partial) -> i64, p: &[Partial]| -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(p.iter().map(f)))
    };
    let days = days_list(partials)?;
    Ok(vec![
        Arc::new(days),
        ints(|p| p.orders, partials),
        ints(|p| p.returns, partials),
        ints(|p| p.revenue, partials),
        ints(|p| p.refunds, partials),
        Arc::new(partials.iter().map(|p| p.margin).collect::<Int64Array>()),
    ])
}

/// The result struct of `partials` (one row each).
fn evaluate_array(partials: &mut [Partial]) -> DfResult<StructArray> {
    let days = days_list(partials)?;
    let ends = |last: bool| -> Date32Array {
        partials
            .iter()
            .map(|p| {
                if last {
                    p.days.last().copied()
                } else {
                    p.days.first().copied()
                }
            })
            .collect()
    };
    let ints = |f: &dyn Fn(&Partial) -> DfResult<i64>| -> DfResult<ArrayRef> {
        Ok(Arc::new(
            partials
                .iter()
                .map(|p| f(p).map(Some))
                .collect::<DfResult<Int64Array>>()?,
        ))
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(ends(false)),
        Arc::new(ends(true)),
        ints(&|p| Ok(p.orders))?,
        ints(&|p| {
            i64::try_from(p.days.len()).map_err(|_| exec_err("too many purchase days".into()))
        })?,
        ints(&|p| Ok(p.returns))?,
        ints(&|p| Ok(p.revenue))?,
        ints(&|p| Ok(p.refunds))?,
        ints(&|p| add(p.revenue, p.refunds, "monetary"))?,
        Arc::new(partials.iter().map(|p| p.margin).collect::<Int64Array>()),
        Arc::new(days),
    ];
    Ok(StructArray::try_new(summary_fields(), columns, None)?)
}

/// The accumulator of [`RfmSummary`] for one group: one customer's summary
/// so far.
///
/// Its state (six columns: distinct purchase days, orders, returns,
/// revenue, refunds, margin) merges exactly: counts and sums add (checked),
/// day sets unite, a margin is known only when both sides know it.
/// DataFusion's hash aggregation uses [`SummaryGroupsAccumulator`] instead
/// (the same state for all groups at once, same results); this one serves
/// other plans and direct use.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use chrono::NaiveDate;
/// use datafusion::arrow::array::{ArrayRef, Date32Array, Int64Array, StringViewArray};
/// use datafusion::common::ScalarValue;
/// use datafusion::logical_expr::Accumulator as _;
/// use rfmkit_datafusion::{SummaryAccumulator, date32};
///
/// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
/// let mut acc = SummaryAccumulator::new(d(31)?);
/// let args: Vec<ArrayRef> = vec![
///     Arc::new(Date32Array::from(vec![date32(d(3)?), date32(d(9)?)])),
///     Arc::new(Int64Array::from(vec![100, 250])),
///     Arc::new(StringViewArray::from(vec!["completed", "completed"])),
/// ];
/// acc.update_batch(&args)?;
/// let ScalarValue::Struct(summary) = acc.evaluate()? else { return Err("not a struct".into()) };
/// assert_eq!(summary.column_by_name("orders").ok_or("no orders")?.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryAccumulator {
    as_of: NaiveDate,
    as_of_day: i32,
    partial: Partial,
}

impl SummaryAccumulator {
    /// An empty summary as of `as_of`.
    #[must_use]
    pub fn new(as_of: NaiveDate) -> SummaryAccumulator {
        SummaryAccumulator {
            as_of,
            as_of_day: date32(as_of),
            partial: Partial::default(),
        }
    }
}

impl Accumulator for SummaryAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let args = Args::of(values)?;
        for row in 0..args.len() {
            self.partial
                .add_order(&args, row, self.as_of, self.as_of_day)?;
        }
        Ok(())
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        let array = evaluate_array(std::slice::from_mut(&mut self.partial))?;
        Ok(ScalarValue::Struct(Arc::new(array)))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.partial.days.capacity() * size_of::<i32>()
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        state_arrays(std::slice::from_mut(&mut self.partial))?
            .iter()
            .map(|a| ScalarValue::try_from_array(a, 0))
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let states = States::of(states)?;
        for row in 0..states.days.len() {
            self.partial.merge_row(&states, row)?;
        }
        Ok(())
    }
}

/// The accumulator of [`RfmSummary`] for all groups of a hash aggregation
/// at once: one partial summary per group in a vector, so DataFusion does
/// not box one accumulator per customer. Same state and results as
/// [`SummaryAccumulator`].
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use datafusion::logical_expr::GroupsAccumulator as _;
/// use rfmkit_datafusion::SummaryGroupsAccumulator;
///
/// let acc = SummaryGroupsAccumulator::new(NaiveDate::from_ymd_opt(2025, 1, 31).ok_or("bad date")?);
/// assert!(acc.size() > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryGroupsAccumulator {
    as_of: NaiveDate,
    as_of_day: i32,
    groups: Vec<Partial>,
    /// Purchase days held (an estimate of memory between emits).
    days: usize,
}

impl SummaryGroupsAccumulator {
    /// No groups yet, as of `as_of`.
    #[must_use]
    pub fn new(as_of: NaiveDate) -> SummaryGroupsAccumulator {
        SummaryGroupsAccumulator {
            as_of,
            as_of_day: date32(as_of),
            groups: Vec::new(),
            days: 0,
        }
    }

    fn take(&mut self, emit_to: EmitTo) -> Vec<Partial> {
        let taken = emit_to.take_needed(&mut self.groups);
        self.days = self.groups.iter().map(|p| p.days.len()).sum();
        taken
    }
}

impl GroupsAccumulator for SummaryGroupsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> DfResult<()> {
        let args = Args::of(values)?;
        self.groups.resize_with(total_num_groups, Partial::default);
        for (row, &g) in group_indices.iter().enumerate() {
            if opt_filter.is_some_and(|f| !(f.is_valid(row) && f.value(row))) {
                continue;
            }
            let group = self
                .groups
                .get_mut(g)
                .ok_or_else(|| exec_err(format!("group {g} out of range")))?;
            let before = group.days.len();
            group.add_order(&args, row, self.as_of, self.as_of_day)?;
            self.days += group.days.len() - before;
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> DfResult<ArrayRef> {
        let mut taken = self.take(emit_to);
        Ok(Arc::new(evaluate_array(&mut taken)?))
    }

    fn state(&mut self, emit_to: EmitTo) -> DfResult<Vec<ArrayRef>> {
        let mut taken = self.take(emit_to);
        state_arrays(&mut taken)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> DfResult<()> {
        let states = States::of(values)?;
        self.groups.resize_with(total_num_groups, Partial::default);
        for (row, &g) in group_indices.iter().enumerate() {
            let group = self
                .groups
                .get_mut(g)
                .ok_or_else(|| exec_err(format!("group {g} out of range")))?;
            let before = group.days.len();
            group.merge_row(&states, row)?;
            self.days += group.days.len().saturating_sub(before);
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> DfResult<Vec<ArrayRef>> {
        let args = Args::of(values)?;
        let mut rows = vec![Partial::default(); args.len()];
        for (row, partial) in rows.iter_mut().enumerate() {
            if opt_filter.is_some_and(|f| !(f.is_valid(row) && f.value(row))) {
                continue;
            }
            partial.add_order(&args, row, self.as_of, self.as_of_day)?;
        }
        state_arrays(&mut rows)
    }

    fn size(&self) -> usize {
        size_of_val(self)
            + self.groups.capacity() * size_of::<Partial>()
            + self.days * size_of::<i32>()
    }
}
