//! Orders from Arrow [`RecordBatch`]es (feature `arrow`): the columns of a
//! Parquet file, an Arrow IPC stream or a query engine's result go into a
//! [`LogBuilder`] without being written out as text and parsed back.
//!
//! # Columns
//!
//! Columns are found by name, ASCII case-insensitive (surrounding spaces
//! ignored), in any order, as in the CSV loader of the `rfmkit` tool;
//! other columns are ignored, and a known column named twice is an error.
//!
//! | column | required | Arrow types | a null means |
//! |---|---|---|---|
//! | `customer_id` | yes | any integer; `Utf8`, `LargeUtf8`, `Utf8View`; a dictionary of strings | an error |
//! | `order_date` | yes | `Date32`, `Date64`, `Timestamp` (any unit, with or without a time zone) | an error |
//! | `amount` | yes | `Decimal32/64/128`; any integer (minor units); `Float32/64` (see below) | an error |
//! | `order_id` | no | as `customer_id` | no id |
//! | `status` | no | strings: `completed`, `returned`, `cancelled` (any case) | as if absent |
//! | `channel`, `store` | no | as `customer_id` | none |
//! | `cost` | no | as `amount` | unknown |
//!
//! An empty string in an optional text column means none, as an empty CSV
//! cell does; an empty `customer_id` is an error. Integer ids are the
//! decimal text of the integer (`42`, `-7`), so an integer column and a
//! string column of the same ids give the same customers. Without a
//! `status` (or where it is null or empty) a negative amount is a return
//! and any other a completed order.
//!
//! # Dates: the shop's calendar day
//!
//! - `Date32` is the day; `Date64` must be a whole day (a multiple of
//!   86,400,000 ms, as the Arrow format requires).
//! - A `Timestamp` **without** a time zone is a wall-clock time already in
//!   the shop's zone: its date is the day.
//! - A `Timestamp` **with** a time zone is an instant. Its day is taken in
//!   the shop's zone, which you give with [`ArrowOrders::offset`] (a fixed
//!   UTC offset) or [`ArrowOrders::day_of`] (any conversion, e.g. an IANA
//!   zone with daylight-saving rules from a tz database crate). Without
//!   either, such a column is an error: the zone stored in the file is the
//!   writer's, not necessarily the shop's, and rfmkit never guesses.
//!   `2025-01-05T23:30:00+09:00` is 5 January for a shop at `+09:00`.
//!
//! # Amounts: exact minor units, never rounded
//!
//! Money is in minor units at the money scale given to [`ArrowOrders::new`]
//! (0 for yen, 2 for cents).
//!
//! - A decimal with *fewer or as many* decimals as the scale is scaled up
//!   exactly (`Decimal128(10, 1)` 12.5 at scale 2 is 1250).
//! - A decimal type with *more* decimals than the scale is accepted value
//!   by value: 12.3400 is 1234 at scale 2, but 12.345 is an error naming
//!   its row. Nothing is rounded.
//! - Integers are minor units as they are.
//! - Floats are read as the shortest decimal that round-trips (the text
//!   `12.34` that Python, polars or Rust print for the float), which must
//!   have at most `scale` decimals: `12.34_f64` is 1234 at scale 2, while
//!   `0.1 + 0.2` (printed `0.30000000000000004`) is an error. NaN and
//!   infinities are errors. Prefer decimals or integers where you can.
//!
//! # Errors and validation
//!
//! A missing column or a column of an unsupported type is an
//! [`Error::InvalidColumn`] without a row, returned before any row of the
//! batch is pushed. A bad cell (a null id, date or amount, an amount with
//! too many decimals, an unknown status) is an [`Error::InvalidColumn`]
//! naming the column and the 0-based row (counted over every batch this
//! reader has read): under [`Validation::Strict`](super::Validation) it is
//! the error, under [`Validation::Lenient`](super::Validation) the row is
//! listed in [`OrderLog::skipped`](super::OrderLog::skipped) (see
//! [`LogBuilder::push_unreadable`]). Every row that is read goes through
//! the same checks as every other way in (duplicate order ids, the as-of
//! date, the amount's sign, the customer list): each row takes one push
//! position, so an order error's `index` is the row too when the builder
//! started empty.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//!
//! use arrow_array::{ArrayRef, Date32Array, Decimal128Array, Int64Array, RecordBatch};
//! use chrono::NaiveDate;
//! use rfmkit::ingest::IngestConfig;
//! use rfmkit::ingest::arrow::ArrowOrders;
//! use rfmkit::summary::Summaries;
//! use rfmkit::Money;
//!
//! // 2025-01-03 is day 20091 after 1970-01-01.
//! let batch = RecordBatch::try_from_iter([
//!     ("customer_id", Arc::new(Int64Array::from(vec![7, 7, 9])) as ArrayRef),
//!     ("order_date", Arc::new(Date32Array::from(vec![20091, 20093, 20091])) as ArrayRef),
//!     (
//!         "amount",
//!         Arc::new(Decimal128Array::from(vec![1250, 300, 99]).with_precision_and_scale(10, 2)?)
//!             as ArrayRef,
//!     ),
//! ])?;
//! let as_of = NaiveDate::from_ymd_opt(2025, 1, 31).ok_or("date")?;
//! let log = ArrowOrders::new(2)?.ingest(&IngestConfig::new(as_of), [&batch])?;
//! let summaries = Summaries::from_log(&log)?;
//! let seven = summaries.get("7").ok_or("missing")?;
//! assert_eq!((seven.orders(), seven.monetary()), (2, Money::new(1550)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Borrow;
use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;

use arrow_array::cast::AsArray as _;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type, Int8Type, Int16Type,
    Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, LargeStringArray, PrimitiveArray, RecordBatch, StringArray, StringViewArray,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Schema, TimeUnit};
use chrono::{DateTime, Datelike as _, FixedOffset, NaiveDate, Utc};

use super::{IngestConfig, Keys, LogBuilder, OrderBatch, OrderLog, OrderRecord, canonical_id};
use crate::error::{Error, Result};
use crate::money::{MAX_SCALE, Money};
use crate::order::OrderStatus;

/// Days from 0001-01-01 (chrono's day 1 of the common era) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;
const SECONDS_PER_DAY: i64 = 86_400;
const MS_PER_DAY: i64 = 86_400_000;

/// A caller-supplied conversion from a UTC instant to the shop's day.
type DayOf = Arc<dyn Fn(DateTime<Utc>) -> NaiveDate + Send + Sync>;

/// How instants (timestamps with a time zone) become the shop's day.
#[derive(Clone)]
enum Zone {
    /// Not given: zoned timestamps are an error.
    Unknown,
    /// A fixed offset, in seconds east of UTC.
    Fixed(i64),
    /// The caller's conversion.
    Custom(DayOf),
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Unknown => f.write_str("Unknown"),
            Zone::Fixed(seconds) => f.debug_tuple("Fixed").field(seconds).finish(),
            Zone::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// Reads orders from Arrow [`RecordBatch`]es into a [`LogBuilder`]; see the
/// [module docs](self) for the columns, types and rules.
///
/// Made with [`new`](Self::new) (the money scale), then optionally told the
/// shop's zone with [`offset`](Self::offset) or [`day_of`](Self::day_of).
/// It counts the rows it has read, so the rows in its errors are positions
/// in the whole stream of batches, not in one batch.
///
/// # Example
///
/// Timestamps with a zone, for a shop in Tokyo (`+09:00`): an order at
/// 23:30 Tokyo time is on that Tokyo day, although it is 14:30 UTC.
///
/// ```
/// use std::sync::Arc;
///
/// use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampSecondArray};
/// use chrono::{FixedOffset, NaiveDate};
/// use rfmkit::ingest::IngestConfig;
/// use rfmkit::ingest::arrow::ArrowOrders;
///
/// // 2025-01-05T23:30:00+09:00 and 2025-01-05T15:30:00Z
/// let at = TimestampSecondArray::from(vec![1_736_087_400, 1_736_091_000]).with_timezone("UTC");
/// let batch = RecordBatch::try_from_iter([
///     ("Customer_ID", Arc::new(StringArray::from(vec!["alice", "bob"])) as ArrayRef),
///     ("order_date", Arc::new(at) as ArrayRef),
///     ("amount", Arc::new(Int64Array::from(vec![1200, 800])) as ArrayRef),
/// ])?;
/// let tokyo = FixedOffset::east_opt(9 * 3600).ok_or("offset")?;
/// let as_of = NaiveDate::from_ymd_opt(2025, 1, 31).ok_or("date")?;
/// let mut orders = ArrowOrders::new(0)?.offset(tokyo);
/// let mut builder = IngestConfig::new(as_of).builder();
/// orders.push_batch(&batch, &mut builder)?;
/// assert_eq!(orders.rows(), 2);
/// let log = builder.build()?;
/// let days: Vec<_> = log.customer_rows(0).chain(log.customer_rows(1)).map(|r| r.date).collect();
/// let day = |d| NaiveDate::from_ymd_opt(2025, 1, d).ok_or("date");
/// assert_eq!(days, [day(5)?, day(6)?]);
///
/// // Without the shop's zone, zoned timestamps are refused.
/// let mut builder = IngestConfig::new(as_of).builder();
/// let err = ArrowOrders::new(0)?.push_batch(&batch, &mut builder).unwrap_err();
/// assert!(err.to_string().starts_with("column order_date: "), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ArrowOrders {
    scale: u32,
    zone: Zone,
    rows: usize,
    /// The rows of the batch being pushed (its memory reused batch after
    /// batch).
    batch: OrderBatch,
}

impl ArrowOrders {
    /// A reader of orders whose money has `scale` decimals (0 for yen, 2
    /// for cents), with no shop zone (zoned timestamps are refused until
    /// [`offset`](Self::offset) or [`day_of`](Self::day_of) gives one).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `scale` exceeds [`MAX_SCALE`].
    pub fn new(scale: u32) -> Result<ArrowOrders> {
        if scale > MAX_SCALE {
            return Err(Error::OutOfRange {
                what: "scale",
                value: scale.to_string(),
                expected: format!("a currency scale is 0..={MAX_SCALE} decimals"),
            });
        }
        Ok(ArrowOrders {
            scale,
            zone: Zone::Unknown,
            rows: 0,
            batch: OrderBatch::new(),
        })
    }

    /// The shop's zone as a fixed UTC offset (default: none). Replaces a
    /// conversion set with [`day_of`](Self::day_of).
    #[must_use]
    pub fn offset(mut self, offset: FixedOffset) -> ArrowOrders {
        self.zone = Zone::Fixed(i64::from(offset.local_minus_utc()));
        self
    }

    /// The shop's day of a UTC instant, computed by `day_of` (default:
    /// none), for zones with daylight-saving time: pass a closure over an
    /// IANA zone from a tz database crate. Called once per row of a zoned
    /// timestamp column. Replaces an [`offset`](Self::offset).
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampSecondArray};
    /// use chrono::{Duration, NaiveDate};
    /// use rfmkit::ingest::IngestConfig;
    /// use rfmkit::ingest::arrow::ArrowOrders;
    ///
    /// // 2025-01-05T03:00:00Z is still 4 January in a shop at UTC-5.
    /// let at = TimestampSecondArray::from(vec![1_736_046_000]).with_timezone("UTC");
    /// let batch = RecordBatch::try_from_iter([
    ///     ("customer_id", Arc::new(StringArray::from(vec!["alice"])) as ArrayRef),
    ///     ("order_date", Arc::new(at) as ArrayRef),
    ///     ("amount", Arc::new(Int64Array::from(vec![1200])) as ArrayRef),
    /// ])?;
    /// // A shop that keeps UTC-5 (a real one would use its tz database).
    /// let orders = ArrowOrders::new(2)?.day_of(|utc| (utc - Duration::hours(5)).date_naive());
    /// let as_of = NaiveDate::from_ymd_opt(2025, 1, 31).ok_or("date")?;
    /// let log = orders.ingest(&IngestConfig::new(as_of), [&batch])?;
    /// let day = log.customer_rows(0).next().map(|r| r.date);
    /// assert_eq!(day, NaiveDate::from_ymd_opt(2025, 1, 4));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn day_of(
        mut self,
        day_of: impl Fn(DateTime<Utc>) -> NaiveDate + Send + Sync + 'static,
    ) -> ArrowOrders {
        self.zone = Zone::Custom(Arc::new(day_of));
        self
    }

    /// The money scale.
    #[must_use]
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// The number of rows read so far, over every batch (the next row's
    /// number in errors).
    #[must_use]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Checks that `schema` has the order columns, in types this reader
    /// reads, without reading any row.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidColumn`] (without a row) for a missing required
    /// column, a known column named twice, a column of an unsupported type,
    /// or zoned timestamps without a shop zone.
    pub fn check_schema(&self, schema: &Schema) -> Result<()> {
        let columns = find_columns(schema)?;
        for (name, at) in columns.iter() {
            if let Some(field) = at.and_then(|i| schema.fields().get(i)) {
                check_type(name, field.name(), field.data_type(), &self.zone)?;
            }
        }
        Ok(())
    }

    /// Reads every row of `batch` into `builder`, in row order: each row is
    /// pushed as an [`OrderRecord`] or, if a cell cannot be read, with
    /// [`LogBuilder::push_unreadable`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidColumn`] without a row (see
    /// [`check_schema`](Self::check_schema)) before any row is pushed. Then,
    /// under [`Validation::Strict`](super::Validation), the first bad cell
    /// ([`Error::InvalidColumn`] with the row) or the first invalid order
    /// (the errors of [`LogBuilder::push_record`]); rows before it are
    /// pushed, and [`rows`](Self::rows) counts up to and including it.
    pub fn push_batch(&mut self, batch: &RecordBatch, builder: &mut LogBuilder<'_>) -> Result<()> {
        let plan = Plan::new(batch, &self.zone, self.scale)?;
        builder.reserve(batch.num_rows());
        let mut buffers = Buffers::default();
        let rows = &mut self.batch;
        rows.clear();
        if !plan.push_plain(batch.num_rows(), self.scale, &mut buffers, rows) {
            rows.clear();
            for i in 0..batch.num_rows() {
                let row = self.rows.saturating_add(i);
                match plan.record(i, row, self.scale, &mut buffers) {
                    Ok((record, keys, day)) => rows.push_keyed(&record, keys, day),
                    Err(reason) => rows.push_unreadable(None, reason),
                }
            }
        }
        // Every row takes one push position: on an error, the rows up to
        // and including it.
        let pushed = builder.pushed();
        let result = builder.push_batch(rows);
        self.rows = self
            .rows
            .saturating_add(builder.pushed().saturating_sub(pushed));
        result
    }

    /// Builds an [`OrderLog`] from `batches` with `config`: a
    /// [`builder`](IngestConfig::builder), every batch through
    /// [`push_batch`](Self::push_batch), then
    /// [`build`](LogBuilder::build).
    ///
    /// # Errors
    ///
    /// As [`push_batch`](Self::push_batch) and [`LogBuilder::build`].
    pub fn ingest<B: Borrow<RecordBatch>>(
        mut self,
        config: &IngestConfig,
        batches: impl IntoIterator<Item = B>,
    ) -> Result<OrderLog> {
        let mut builder = config.builder();
        for batch in batches {
            self.push_batch(batch.borrow(), &mut builder)?;
        }
        builder.build()
    }
}

/// The names of the order columns, required ones first.
const COLUMNS: [&str; 8] = [
    "customer_id",
    "order_date",
    "amount",
    "order_id",
    "status",
    "channel",
    "store",
    "cost",
];
const REQUIRED: usize = 3;

/// Where each of [`COLUMNS`] is in a schema.
struct Found([Option<usize>; 8]);

impl Found {
    fn iter(&self) -> impl Iterator<Item = (&'static str, Option<usize>)> + '_ {
        COLUMNS.iter().copied().zip(self.0.iter().copied())
    }
}

fn column_error(column: &str, row: Option<usize>, problem: impl Into<String>) -> Error {
    Error::InvalidColumn {
        column: column.to_owned(),
        row,
        problem: problem.into(),
    }
}

fn find_columns(schema: &Schema) -> Result<Found> {
    let mut found = [None; 8];
    for (slot, name) in found.iter_mut().zip(COLUMNS) {
        let mut matches = schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.name().trim().eq_ignore_ascii_case(name))
            .map(|(i, _)| i);
        *slot = matches.next();
        if let (Some(first), Some(second)) = (*slot, matches.next()) {
            return Err(column_error(
                name,
                None,
                format!(
                    "appears twice (columns {} and {}); keep one",
                    first + 1,
                    second + 1
                ),
            ));
        }
    }
    for (name, at) in COLUMNS.iter().zip(&found).take(REQUIRED) {
        if at.is_none() {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            return Err(column_error(
                name,
                None,
                format!("is missing (columns: {})", names.join(",")),
            ));
        }
    }
    Ok(Found(found))
}

/// What each column may hold.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Id,
    Date,
    Money,
    Status,
}

fn kind(column: &str) -> Kind {
    match column {
        "order_date" => Kind::Date,
        "amount" | "cost" => Kind::Money,
        "status" => Kind::Status,
        _ => Kind::Id,
    }
}

fn is_integer(t: &DataType) -> bool {
    t.is_integer()
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn is_text(t: &DataType) -> bool {
    is_string(t)
        || matches!(t, DataType::Dictionary(key, values) if is_integer(key) && is_string(values))
}

/// Checks a column's type; `name` is the column as the schema spells it.
fn check_type(column: &str, name: &str, t: &DataType, zone: &Zone) -> Result<()> {
    let ok = match kind(column) {
        Kind::Id => is_integer(t) || is_text(t),
        Kind::Status => is_text(t),
        Kind::Date => match t {
            DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, None) => true,
            DataType::Timestamp(_, Some(tz)) => {
                if matches!(zone, Zone::Unknown) {
                    return Err(column_error(
                        name,
                        None,
                        format!(
                            "holds instants (timestamps in zone {tz}) but the shop's time zone is not given; \
                             set it with ArrowOrders::offset or ArrowOrders::day_of"
                        ),
                    ));
                }
                true
            }
            _ => false,
        },
        Kind::Money => {
            is_integer(t)
                || matches!(
                    t,
                    DataType::Decimal32(..)
                        | DataType::Decimal64(..)
                        | DataType::Decimal128(..)
                        | DataType::Float32
                        | DataType::Float64
                )
        }
    };
    if ok {
        return Ok(());
    }
    let expected = match kind(column) {
        Kind::Id => {
            "an integer or a string (utf8, large_utf8, utf8_view or a dictionary of strings)"
        }
        Kind::Status => "a string (utf8, large_utf8, utf8_view or a dictionary of strings)",
        Kind::Date => "date32, date64 or a timestamp",
        Kind::Money => {
            "a decimal (decimal32/64/128), an integer (minor units) or a float; \
             decimal256 is not read"
        }
    };
    Err(column_error(
        name,
        None,
        format!("has type {t}; {column} must be {expected}"),
    ))
}

/// An integer column, read as `i128`.
enum Ints<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
}

impl<'a> Ints<'a> {
    fn of(array: &'a dyn Array) -> Option<Ints<'a>> {
        fn values<T: arrow_array::ArrowPrimitiveType>(a: &dyn Array) -> Option<&[T::Native]> {
            a.as_primitive_opt::<T>()
                .map(|p: &PrimitiveArray<T>| p.values().as_ref())
        }
        Some(match array.data_type() {
            DataType::Int8 => Ints::I8(values::<Int8Type>(array)?),
            DataType::Int16 => Ints::I16(values::<Int16Type>(array)?),
            DataType::Int32 => Ints::I32(values::<Int32Type>(array)?),
            DataType::Int64 => Ints::I64(values::<Int64Type>(array)?),
            DataType::UInt8 => Ints::U8(values::<UInt8Type>(array)?),
            DataType::UInt16 => Ints::U16(values::<UInt16Type>(array)?),
            DataType::UInt32 => Ints::U32(values::<UInt32Type>(array)?),
            DataType::UInt64 => Ints::U64(values::<UInt64Type>(array)?),
            _ => return None,
        })
    }

    /// The canonical values (see [`Keys::of_int`]) of the first `n`
    /// values, into `keys`; `false` if one has none.
    fn keys(&self, n: usize, keys: &mut Vec<u64>) -> bool {
        fn each<T: Copy + Into<i128>>(values: &[T], n: usize, keys: &mut Vec<u64>) -> bool {
            let values = values.get(..n).unwrap_or(values);
            keys.extend(values.iter().map_while(|&v| Keys::of_int(v.into())));
            keys.len() == n
        }
        keys.clear();
        match self {
            Ints::I8(v) => each(v, n, keys),
            Ints::I16(v) => each(v, n, keys),
            Ints::I32(v) => each(v, n, keys),
            Ints::I64(v) => each(v, n, keys),
            Ints::U8(v) => each(v, n, keys),
            Ints::U16(v) => each(v, n, keys),
            Ints::U32(v) => each(v, n, keys),
            Ints::U64(v) => each(v, n, keys),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> Option<i128> {
        match self {
            Ints::I8(v) => v.get(i).map(|&x| i128::from(x)),
            Ints::I16(v) => v.get(i).map(|&x| i128::from(x)),
            Ints::I32(v) => v.get(i).map(|&x| i128::from(x)),
            Ints::I64(v) => v.get(i).map(|&x| i128::from(x)),
            Ints::U8(v) => v.get(i).map(|&x| i128::from(x)),
            Ints::U16(v) => v.get(i).map(|&x| i128::from(x)),
            Ints::U32(v) => v.get(i).map(|&x| i128::from(x)),
            Ints::U64(v) => v.get(i).map(|&x| i128::from(x)),
        }
    }
}

/// A string column.
enum Strings<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> Strings<'a> {
    fn of(array: &'a dyn Array) -> Option<Strings<'a>> {
        match array.data_type() {
            DataType::Utf8 => array.as_string_opt::<i32>().map(Strings::Utf8),
            DataType::LargeUtf8 => array.as_string_opt::<i64>().map(Strings::Large),
            DataType::Utf8View => array.as_string_view_opt().map(Strings::View),
            _ => None,
        }
    }

    #[inline]
    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Strings::Utf8(a) => (i < a.len()).then(|| a.value(i)),
            Strings::Large(a) => (i < a.len()).then(|| a.value(i)),
            Strings::View(a) => (i < a.len()).then(|| a.value(i)),
        }
    }
}

/// An id-like column: integers (written as decimal text) or strings.
enum Text<'a> {
    Ints(Ints<'a>),
    Strings(Strings<'a>),
    Dict(Vec<usize>, Strings<'a>),
}

/// A stack buffer for an integer's decimal text.
struct NumBuf([u8; 40]);

impl Default for NumBuf {
    fn default() -> NumBuf {
        NumBuf([0; 40])
    }
}

impl NumBuf {
    /// The decimal text of `value` (any `i64` or `u64`), with 64-bit
    /// divisions (a 128-bit division is a slow library call).
    fn write(&mut self, value: i128) -> &str {
        let mut at = self.0.len();
        let mut rest = u64::try_from(value.unsigned_abs()).unwrap_or(u64::MAX);
        loop {
            at -= 1;
            if let Some(slot) = self.0.get_mut(at) {
                // `rest % 10` is a digit.
                *slot = b'0' + (rest % 10) as u8;
            }
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if value < 0 {
            at -= 1;
            if let Some(slot) = self.0.get_mut(at) {
                *slot = b'-';
            }
        }
        std::str::from_utf8(self.0.get(at..).unwrap_or_default()).unwrap_or("")
    }
}

impl<'a> Text<'a> {
    fn of(array: &'a dyn Array) -> Option<Text<'a>> {
        if let Some(ints) = Ints::of(array) {
            return Some(Text::Ints(ints));
        }
        if let Some(strings) = Strings::of(array) {
            return Some(Text::Strings(strings));
        }
        let dict = array.as_any_dictionary_opt()?;
        let values = Strings::of(dict.values().as_ref())?;
        Some(Text::Dict(dict.normalized_keys(), values))
    }

    /// The canonical value (see [`Keys`]) of row `i`'s text, straight from
    /// an integer column; parsed from `text` otherwise.
    #[inline]
    fn key(&self, i: usize, text: &str) -> Option<u64> {
        match self {
            Text::Ints(ints) => ints.get(i).and_then(Keys::of_int),
            _ => canonical_id(text),
        }
    }

    /// Row `i` of a string column (`None` for an integer column).
    #[inline]
    fn text(&self, i: usize) -> Option<&'a str> {
        match self {
            Text::Ints(_) => None,
            Text::Strings(s) => s.get(i),
            Text::Dict(keys, values) => values.get(*keys.get(i)?),
        }
    }

    /// The canonical value of row `i` of an integer column, if it has one.
    #[inline]
    fn int_key(&self, i: usize) -> Option<u64> {
        match self {
            Text::Ints(ints) => ints.get(i).and_then(Keys::of_int),
            _ => None,
        }
    }

    #[inline]
    fn get<'b>(&self, i: usize, buf: &'b mut NumBuf) -> Option<&'b str>
    where
        'a: 'b,
    {
        match self {
            Text::Ints(ints) => ints.get(i).map(|v| buf.write(v)),
            Text::Strings(s) => s.get(i),
            Text::Dict(keys, values) => values.get(*keys.get(i)?),
        }
    }
}

/// A date column, as what each value means.
enum Dates<'a> {
    Days(&'a [i32]),
    Millis(&'a [i64]),
    /// Timestamps: values, units per second, and the zone of instants
    /// (`None` for wall-clock times).
    Stamps(&'a [i64], i64, Option<Zone>),
}

impl<'a> Dates<'a> {
    fn of(array: &'a dyn Array, zone: &Zone) -> Option<Dates<'a>> {
        fn values<T: arrow_array::ArrowPrimitiveType>(a: &dyn Array) -> Option<&[T::Native]> {
            a.as_primitive_opt::<T>()
                .map(|p: &PrimitiveArray<T>| p.values().as_ref())
        }
        Some(match array.data_type() {
            DataType::Date32 => Dates::Days(values::<Date32Type>(array)?),
            DataType::Date64 => Dates::Millis(values::<Date64Type>(array)?),
            DataType::Timestamp(unit, tz) => {
                let (values, per_second) = match unit {
                    TimeUnit::Second => (values::<TimestampSecondType>(array)?, 1),
                    TimeUnit::Millisecond => (values::<TimestampMillisecondType>(array)?, 1_000),
                    TimeUnit::Microsecond => {
                        (values::<TimestampMicrosecondType>(array)?, 1_000_000)
                    }
                    TimeUnit::Nanosecond => {
                        (values::<TimestampNanosecondType>(array)?, 1_000_000_000)
                    }
                };
                Dates::Stamps(values, per_second, tz.as_ref().map(|_| zone.clone()))
            }
            _ => return None,
        })
    }

    /// The days of rows `0..n` appended to `out`, a column at a time, if
    /// this is a `date32` column whose first `n` values are all dates
    /// chrono knows (what [`get`](Self::get) gives row by row); `false`
    /// (and `out` unchanged) otherwise.
    fn days_into(&self, n: usize, out: &mut Vec<i32>) -> bool {
        let Dates::Days(values) = self else {
            return false;
        };
        let Some(values) = values.get(..n) else {
            return false;
        };
        let first = i64::from(NaiveDate::MIN.num_days_from_ce()) - EPOCH_DAYS_FROM_CE;
        let last = i64::from(NaiveDate::MAX.num_days_from_ce()) - EPOCH_DAYS_FROM_CE;
        let (lo, hi) = values
            .iter()
            .fold((i32::MAX, i32::MIN), |(lo, hi), &d| (lo.min(d), hi.max(d)));
        if !values.is_empty() && (i64::from(lo) < first || i64::from(hi) > last) {
            return false;
        }
        // In range: the sum fits i32 (chrono's last day number does).
        let epoch = i32::try_from(EPOCH_DAYS_FROM_CE).unwrap_or(0);
        out.extend(values.iter().map(|&d| d + epoch));
        true
    }

    /// The shop's day of row `i`, as a day number from 0001-01-01 CE
    /// (checked to be a date chrono knows, without building one).
    fn get(&self, i: usize) -> std::result::Result<i32, String> {
        let first = NaiveDate::MIN.num_days_from_ce();
        let last = NaiveDate::MAX.num_days_from_ce();
        let day = |days: i64| {
            days.checked_add(EPOCH_DAYS_FROM_CE)
                .and_then(|d| i32::try_from(d).ok())
                .filter(|d| (first..=last).contains(d))
                .ok_or_else(|| format!("day {days} after 1970-01-01 is out of range"))
        };
        match self {
            Dates::Days(v) => day(i64::from(v.get(i).copied().unwrap_or(0))),
            Dates::Millis(v) => {
                let ms = v.get(i).copied().unwrap_or(0);
                if ms.rem_euclid(MS_PER_DAY) != 0 {
                    return Err(format!(
                        "date64 value {ms} ms is not a whole day; date64 must be a multiple of 86400000"
                    ));
                }
                day(ms.div_euclid(MS_PER_DAY))
            }
            Dates::Stamps(v, per_second, zone) => {
                let value = v.get(i).copied().unwrap_or(0);
                let seconds = value.div_euclid(*per_second);
                match zone {
                    None | Some(Zone::Unknown) => day(seconds.div_euclid(SECONDS_PER_DAY)),
                    Some(Zone::Fixed(offset)) => {
                        day(seconds.saturating_add(*offset).div_euclid(SECONDS_PER_DAY))
                    }
                    Some(Zone::Custom(day_of)) => {
                        let nanos = value.rem_euclid(*per_second) * (1_000_000_000 / per_second);
                        let instant =
                            DateTime::from_timestamp(seconds, u32::try_from(nanos).unwrap_or(0))
                                .ok_or_else(|| format!("timestamp {seconds} s is out of range"))?;
                        Ok(day_of(instant).num_days_from_ce())
                    }
                }
            }
        }
    }
}

/// A money column.
enum Amounts<'a> {
    /// Decimals: values and the power of ten to multiply by (`>= 0`) or to
    /// divide by exactly (`< 0`), and the type's scale (for messages).
    Decimal(Decimals<'a>, i32, i8),
    Ints(Ints<'a>),
    F32(&'a [f32]),
    F64(&'a [f64]),
}

enum Decimals<'a> {
    D32(&'a [i32]),
    D64(&'a [i64]),
    D128(&'a [i128]),
}

impl<'a> Amounts<'a> {
    fn of(array: &'a dyn Array, scale: u32) -> Option<Amounts<'a>> {
        fn values<T: arrow_array::ArrowPrimitiveType>(a: &dyn Array) -> Option<&[T::Native]> {
            a.as_primitive_opt::<T>()
                .map(|p: &PrimitiveArray<T>| p.values().as_ref())
        }
        if let Some(ints) = Ints::of(array) {
            return Some(Amounts::Ints(ints));
        }
        let scale = i32::try_from(scale).ok()?;
        Some(match array.data_type() {
            DataType::Decimal32(_, s) => Amounts::Decimal(
                Decimals::D32(values::<Decimal32Type>(array)?),
                scale - i32::from(*s),
                *s,
            ),
            DataType::Decimal64(_, s) => Amounts::Decimal(
                Decimals::D64(values::<Decimal64Type>(array)?),
                scale - i32::from(*s),
                *s,
            ),
            DataType::Decimal128(_, s) => Amounts::Decimal(
                Decimals::D128(values::<Decimal128Type>(array)?),
                scale - i32::from(*s),
                *s,
            ),
            DataType::Float32 => Amounts::F32(
                array
                    .as_primitive_opt::<arrow_array::types::Float32Type>()?
                    .values(),
            ),
            DataType::Float64 => Amounts::F64(
                array
                    .as_primitive_opt::<arrow_array::types::Float64Type>()?
                    .values(),
            ),
            _ => return None,
        })
    }

    /// The minor units of rows `0..n` appended to `out`, a column at a
    /// time, for integer columns and decimals with at most the currency's
    /// decimals, when every value fits (what [`get`](Self::get) gives row
    /// by row); `false` (and `out` unchanged) otherwise.
    fn minor_into(&self, n: usize, out: &mut Vec<i64>) -> bool {
        fn each<T: Copy>(
            values: &[T],
            n: usize,
            out: &mut Vec<i64>,
            minor: impl Fn(T) -> Option<i64>,
        ) -> bool {
            let Some(values) = values.get(..n) else {
                return false;
            };
            let start = out.len();
            out.extend(values.iter().map_while(|&v| minor(v)));
            if out.len() - start == n {
                return true;
            }
            out.truncate(start);
            false
        }
        match self {
            Amounts::Ints(Ints::I64(v)) => each(v, n, out, Some),
            Amounts::Ints(Ints::I32(v)) => each(v, n, out, |x| Some(i64::from(x))),
            Amounts::Decimal(values, exp, _) if *exp >= 0 => {
                let Some(factor) = 10_i64.checked_pow(exp.unsigned_abs()) else {
                    return false;
                };
                match values {
                    Decimals::D32(v) => each(v, n, out, |x| i64::from(x).checked_mul(factor)),
                    Decimals::D64(v) => each(v, n, out, |x| x.checked_mul(factor)),
                    Decimals::D128(v) => each(v, n, out, |x| {
                        i64::try_from(x).ok().and_then(|x| x.checked_mul(factor))
                    }),
                }
            }
            _ => false,
        }
    }

    /// Row `i` in minor units at `scale`.
    #[inline]
    fn get(&self, i: usize, scale: u32, text: &mut String) -> std::result::Result<Money, String> {
        let too_large =
            |v: &dyn fmt::Display| format!("{v} is too large for i64 minor units at scale {scale}");
        match self {
            Amounts::Ints(ints) => {
                let v = ints.get(i).unwrap_or(0);
                i64::try_from(v).map(Money::new).map_err(|_| too_large(&v))
            }
            Amounts::Decimal(values, exp, s) => {
                let v = match values {
                    Decimals::D32(v) => v.get(i).map(|&x| i128::from(x)),
                    Decimals::D64(v) => v.get(i).map(|&x| i128::from(x)),
                    Decimals::D128(v) => v.get(i).copied(),
                }
                .unwrap_or(0);
                let shown = || DecimalText(v, *s);
                let minor = if *exp >= 0 {
                    10_i128
                        .checked_pow(exp.unsigned_abs())
                        .and_then(|f| v.checked_mul(f))
                        .ok_or_else(|| too_large(&shown()))?
                } else {
                    let divisor = 10_i128.checked_pow(exp.unsigned_abs()).unwrap_or(i128::MAX);
                    if v % divisor != 0 {
                        return Err(format!(
                            "{} has more than {scale} decimals; this currency has at most {scale} \
                             (the value is never rounded)",
                            shown()
                        ));
                    }
                    v / divisor
                };
                i64::try_from(minor)
                    .map(Money::new)
                    .map_err(|_| too_large(&shown()))
            }
            Amounts::F32(v) => float(v.get(i).copied().map(f64::from), v.get(i), scale, text),
            Amounts::F64(v) => float(v.get(i).copied(), v.get(i), scale, text),
        }
    }
}

/// A float amount through its shortest round-trip decimal text (`shown`
/// is the value in its own type, whose `Display` gives that text).
fn float<T: fmt::Display>(
    value: Option<f64>,
    shown: Option<&T>,
    scale: u32,
    text: &mut String,
) -> std::result::Result<Money, String> {
    let (Some(value), Some(shown)) = (value, shown) else {
        return Err("missing value".to_owned());
    };
    if !value.is_finite() {
        return Err(format!("{shown} is not an amount"));
    }
    text.clear();
    let _ = write!(text, "{shown}");
    Money::parse_decimal(text, scale).map_err(|err| match err {
        Error::ParseMoney { reason, .. } => format!(
            "float {text} is not an amount with at most {scale} decimals: {reason} \
             (floats are read as the shortest decimal that round-trips; store money as a decimal \
             or integer minor units)"
        ),
        other => format!("float {text}: {other}"),
    })
}

/// A decimal's value for messages: `v` with `s` decimals.
struct DecimalText(i128, i8);

impl fmt::Display for DecimalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let DecimalText(v, s) = *self;
        if s <= 0 {
            return write!(f, "{v}{}", "0".repeat(usize::from(s.unsigned_abs())));
        }
        let digits = v.unsigned_abs().to_string();
        let s = usize::from(s.unsigned_abs());
        let digits = format!("{digits:0>width$}", width = s + 1);
        let (int, frac) = digits.split_at(digits.len() - s);
        let sign = if v < 0 { "-" } else { "" };
        write!(f, "{sign}{int}.{frac}")
    }
}

/// A column of a batch: its name as the schema spells it, its values and
/// its (logical) nulls.
struct Column<'a, T> {
    name: &'a str,
    values: T,
    nulls: Option<NullBuffer>,
}

impl<T> Column<'_, T> {
    #[inline]
    fn is_null(&self, i: usize) -> bool {
        self.nulls.as_ref().is_some_and(|n| n.is_null(i))
    }

    /// Whether no value of the column is null.
    fn no_nulls(&self) -> bool {
        self.nulls.as_ref().is_none_or(|n| n.null_count() == 0)
    }
}

/// The order columns of one batch, typed.
struct Plan<'a> {
    customer: Column<'a, Text<'a>>,
    date: Column<'a, Dates<'a>>,
    amount: Column<'a, Amounts<'a>>,
    order_id: Option<Column<'a, Text<'a>>>,
    status: Option<Column<'a, Text<'a>>>,
    channel: Option<Column<'a, Text<'a>>>,
    store: Option<Column<'a, Text<'a>>>,
    cost: Option<Column<'a, Amounts<'a>>>,
}

/// Per-row scratch space for integer ids and float amounts, and scratch
/// columns for [`Plan::push_plain`].
#[derive(Default)]
struct Buffers {
    keys: Vec<u64>,
    order_keys: Vec<u64>,
    days: Vec<i32>,
    amounts: Vec<i64>,
    customer: NumBuf,
    order_id: NumBuf,
    channel: NumBuf,
    store: NumBuf,
    status: NumBuf,
    float: String,
}

impl<'a> Plan<'a> {
    fn new(batch: &'a RecordBatch, zone: &Zone, scale: u32) -> Result<Plan<'a>> {
        let schema = batch.schema_ref();
        let found = find_columns(schema)?;
        let mut arrays: [Option<(&'a str, &'a ArrayRef)>; 8] = [None; 8];
        for ((column, at), slot) in found.iter().zip(arrays.iter_mut()) {
            let Some(at) = at else { continue };
            let (Some(field), Some(array)) = (schema.fields().get(at), batch.columns().get(at))
            else {
                continue;
            };
            check_type(column, field.name(), array.data_type(), zone)?;
            *slot = Some((field.name().as_str(), array));
        }
        fn column<'a, T>(
            slot: Option<(&'a str, &'a ArrayRef)>,
            read: impl FnOnce(&'a dyn Array) -> Option<T>,
        ) -> Result<Option<Column<'a, T>>> {
            let Some((name, array)) = slot else {
                return Ok(None);
            };
            let values = read(array.as_ref()).ok_or_else(|| {
                column_error(
                    name,
                    None,
                    format!("has type {} but could not be read as it", array.data_type()),
                )
            })?;
            Ok(Some(Column {
                name,
                values,
                nulls: array.logical_nulls(),
            }))
        }
        fn required<T>(c: Option<T>, name: &str) -> Result<T> {
            c.ok_or_else(|| column_error(name, None, "is missing"))
        }
        let [
            customer,
            date,
            amount,
            order_id,
            status,
            channel,
            store,
            cost,
        ] = arrays;
        Ok(Plan {
            customer: required(column(customer, Text::of)?, "customer_id")?,
            date: required(column(date, |a| Dates::of(a, zone))?, "order_date")?,
            amount: required(column(amount, |a| Amounts::of(a, scale))?, "amount")?,
            order_id: column(order_id, Text::of)?,
            status: column(status, Text::of)?,
            channel: column(channel, Text::of)?,
            store: column(store, Text::of)?,
            cost: column(cost, |a| Amounts::of(a, scale))?,
        })
    }

    /// Adds the batch's `n` rows to `rows` the quick way when they are the
    /// usual kind: integer customer and order ids that are canonical, no
    /// null customer, date or amount, no status, store or cost column.
    /// Each row is what [`record`](Self::record) makes of it (the status
    /// from the amount's sign), without the per-column checks. Returns
    /// `false` at the first row that is not (`rows` then holds a part of
    /// the batch, to be cleared).
    fn push_plain(
        &self,
        n: usize,
        scale: u32,
        buffers: &mut Buffers,
        rows: &mut OrderBatch,
    ) -> bool {
        if self.status.is_some()
            || self.store.is_some()
            || self.cost.is_some()
            || !self.customer.no_nulls()
            || !self.date.no_nulls()
            || !self.amount.no_nulls()
        {
            return false;
        }
        let Text::Ints(customers) = &self.customer.values else {
            return false;
        };
        let orders = match &self.order_id {
            None => None,
            Some(c) => match (&c.values, c.no_nulls()) {
                (Text::Ints(ints), true) => Some(ints),
                _ => return false,
            },
        };
        // A column at a time into scratch columns, then into the batch.
        // Channels read as text from the array (not integers written out).
        if self
            .channel
            .as_ref()
            .is_some_and(|c| matches!(c.values, Text::Ints(_)))
        {
            return false;
        }
        let Buffers {
            keys,
            order_keys,
            days,
            amounts,
            float,
            ..
        } = buffers;
        if !customers.keys(n, keys) || !orders.is_none_or(|o| o.keys(n, order_keys)) {
            return false;
        }
        days.clear();
        amounts.clear();
        // The usual columns (date32 days, integer or decimal amounts) a
        // column at a time; anything else, or a value that needs a
        // message, row by row.
        let columns =
            self.date.values.days_into(n, days) && self.amount.values.minor_into(n, amounts);
        if !columns {
            days.clear();
            amounts.clear();
            for i in 0..n {
                let (Ok(day), Ok(amount)) = (
                    self.date.values.get(i),
                    self.amount.values.get(i, scale, float),
                ) else {
                    return false;
                };
                days.push(day);
                amounts.push(amount.minor_units());
            }
        }
        let orders = orders.map(|_| order_keys.as_slice());
        let channel = self.channel.as_ref();
        rows.extend_plain(keys, orders, days, amounts, |i| {
            let c = channel.filter(|c| !c.is_null(i))?;
            c.values.text(i).filter(|s| !s.is_empty())
        });
        true
    }

    /// Row `i` (row `row` of the stream) as a record, with its ids'
    /// canonical values.
    #[inline]
    fn record<'b>(
        &'b self,
        i: usize,
        row: usize,
        scale: u32,
        buffers: &'b mut Buffers,
    ) -> Result<(OrderRecord<'b>, Keys, i32)> {
        let Buffers {
            customer: customer_buf,
            order_id: order_buf,
            channel: channel_buf,
            store: store_buf,
            status: status_buf,
            float,
            ..
        } = buffers;
        let bad = |column: &str, problem: String| column_error(column, Some(row), problem);
        let null = |column: &str| bad(column, "is null".to_owned());
        if self.customer.is_null(i) {
            return Err(null(self.customer.name));
        }
        // An integer id with a canonical value is never read as text (see
        // `OrderBatch::push_keyed`).
        let customer_key = self.customer.values.int_key(i);
        let customer = match customer_key {
            Some(_) => "",
            None => self.customer.values.get(i, customer_buf).unwrap_or(""),
        };
        if customer.is_empty() && customer_key.is_none() {
            return Err(bad(self.customer.name, "customer_id is empty".to_owned()));
        }
        if self.date.is_null(i) {
            return Err(null(self.date.name));
        }
        let day = self
            .date
            .values
            .get(i)
            .map_err(|p| bad(self.date.name, p))?;
        if self.amount.is_null(i) {
            return Err(null(self.amount.name));
        }
        let amount = self
            .amount
            .values
            .get(i, scale, float)
            .map_err(|p| bad(self.amount.name, p))?;
        let text = |c: &'b Option<Column<'b, Text<'b>>>, buf: &'b mut NumBuf| -> Option<&'b str> {
            let c = c.as_ref()?;
            if c.is_null(i) {
                return None;
            }
            c.values.get(i, buf).filter(|s| !s.is_empty())
        };
        let status = match (text(&self.status, status_buf), &self.status) {
            (Some(s), Some(c)) => parse_status(s).map_err(|p| bad(c.name, p))?,
            _ if amount.is_negative() => OrderStatus::Returned,
            _ => OrderStatus::Completed,
        };
        // The date is the day number `day` (see `OrderBatch::push_keyed`).
        let mut record = OrderRecord::new(customer, NaiveDate::MIN, amount).status(status);
        let mut keys = Keys {
            order: None,
            customer: customer_key.or_else(|| self.customer.values.key(i, customer)),
        };
        let order_key = self
            .order_id
            .as_ref()
            .filter(|c| !c.is_null(i))
            .and_then(|c| c.values.int_key(i));
        if let Some(key) = order_key {
            record = record.order_id("");
            keys.order = Some(key);
        } else if let Some(id) = text(&self.order_id, order_buf) {
            record = record.order_id(id);
            keys.order = self.order_id.as_ref().and_then(|c| c.values.key(i, id));
        }
        if let Some(channel) = text(&self.channel, channel_buf) {
            record = record.channel(channel);
        }
        if let Some(store) = text(&self.store, store_buf) {
            record = record.store(store);
        }
        if let Some(cost) = self.cost.as_ref().filter(|c| !c.is_null(i)) {
            let cost = cost
                .values
                .get(i, scale, float)
                .map_err(|p| bad(cost.name, p))?;
            record = record.cost(cost);
        }
        Ok((record, keys, day))
    }
}

fn parse_status(text: &str) -> std::result::Result<OrderStatus, String> {
    [
        OrderStatus::Completed,
        OrderStatus::Returned,
        OrderStatus::Cancelled,
    ]
    .into_iter()
    .find(|status| text.eq_ignore_ascii_case(&status.to_string()))
    .ok_or_else(|| format!("status {text:?} is unknown; use completed, returned or cancelled"))
}
