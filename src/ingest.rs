//! Orders → the validated [`OrderLog`]: the one ingest stage every later
//! stage is built from.
//!
//! Raw orders are checked **once**, here, and stored as columns; the
//! summaries ([`Summaries::from_log`](crate::summary::Summaries::from_log)),
//! and through them the scores, segments, audience profiles, BTYD inputs and
//! cohorts, read the log and never the raw orders again.
//!
//! # What ingesting does
//!
//! 1. **Validates** each order, in input order: its id is not a repeat of an
//!    earlier order's ([`Error::DuplicateOrderId`]); it is not dated after
//!    the as-of date ([`Error::OrderAfterAsOf`], or left out under
//!    [`FutureOrders::Ignore`]); its amount has the right sign for its
//!    status ([`Error::InvalidAmount`]); with a customer list, its customer
//!    is on it ([`Error::UnknownCustomer`]). Under [`Validation::Strict`] the
//!    first problem is the error; under [`Validation::Lenient`] every
//!    problem order is listed in [`OrderLog::skipped`] and the rest are kept.
//!    Nothing is dropped silently.
//! 2. Applies the [status policy](crate::order#status-policy): completed
//!    orders and returns are kept as rows, cancellations are validated
//!    (their ids count for duplicates) and then counted in
//!    [`OrderLog::cancelled`] only.
//! 3. **Interns** customer ids once into a [`CustomerIndex`]: the customers
//!    with a kept row, numbered `0..n` in the [`IdOrder`] you chose. Every
//!    later stage shares this index (an `Arc`) and so uses one id order
//!    everywhere: output order, rank tie-breaks, lookups, top-N ties.
//! 4. Stores the rows as columns grouped by customer, each customer's rows
//!    sorted by (date, input position), with each row's 0-based input
//!    position kept for error messages.
//!
//! Memory: 17 bytes per kept row (day, amount, position, return flag; 21
//! while building, 25 while the customers of integer ids are not numbered
//! yet, plus 12 to 28 while [`LogBuilder::build`] groups them by customer),
//! plus 16 more when orders carry costs, plus 4 bytes per customer; the
//! first completed order's id, channel and store are kept per customer
//! when the orders have ids.
//!
//! # Three ways in, one type out
//!
//! - [`IngestConfig::ingest`] takes any `IntoIterator<Item = &Order>`
//!   (a slice, a `Vec`, an iterator);
//! - [`IngestConfig::ingest_for`] also checks customers against a
//!   [`Customers`] list;
//! - [`IngestConfig::builder`] gives a [`LogBuilder`] to
//!   [`push`](LogBuilder::push) rows one at a time, for loaders that never
//!   materialise [`Order`]s (a CSV or Arrow reader): `push(customer, date,
//!   amount)` is a completed order, [`push_return`](LogBuilder::push_return)
//!   a refund, [`push_order`](LogBuilder::push_order) a full [`Order`],
//!   and [`push_record`](LogBuilder::push_record) an [`OrderRecord`]: every
//!   field of an [`Order`] (id, status, cost, channel, store) borrowed from
//!   the loader's buffer, so a loader that reads a file allocates nothing
//!   per row for them;
//! - an [`OrderBatch`] gathers records as columns anywhere (a parser
//!   thread) and [`LogBuilder::push_batch`] takes them in one call, with
//!   the same checks and errors: a batch of the usual kind goes in as
//!   whole columns. The `rfmkit` CLI parses each block of a file into
//!   batches on all threads this way.
//!
//! # Example
//!
//! ```
//! use chrono::NaiveDate;
//! use rfmkit::ingest::{IdOrder, IngestConfig};
//! use rfmkit::summary::Summaries;
//! use rfmkit::Money;
//!
//! let day = |d| NaiveDate::from_ymd_opt(2025, 1, d).ok_or("bad date");
//! let mut log = IngestConfig::new(day(31)?).id_order(IdOrder::Numeric).builder();
//! log.push("10", day(3)?, Money::new(1_200))?;
//! log.push("9", day(5)?, Money::new(800))?;
//! log.push_return("10", day(6)?, Money::new(-200))?;
//! let log = log.build()?;
//! // Numeric id order: customer 9 comes before customer 10.
//! let ids: Vec<&str> = log.index().iter().map(|c| c.as_str()).collect();
//! assert_eq!(ids, ["9", "10"]);
//! assert_eq!(log.rows(), 3);
//!
//! let summaries = Summaries::from_log(&log)?;
//! let ten = summaries.get("10").ok_or("missing")?;
//! assert_eq!((ten.orders(), ten.monetary()), (1, Money::new(1_000)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use compact_str::{CompactString, ToCompactString as _};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::customer::Customers;
use crate::error::{Error, Result};
use crate::id::{Channel, CustomerId, OrderId, StoreId};
use crate::money::Money;
use crate::order::{Order, OrderStatus};
use crate::summary::{FirstOrder, FirstOrders};

#[cfg(feature = "arrow")]
pub mod arrow;
mod batch;

pub use batch::OrderBatch;

/// The largest number of rows (and customers) one log holds: indices are
/// `u32`. Split larger inputs and merge their summaries.
pub const MAX_ROWS: usize = u32::MAX as usize;

/// How many rows or map entries are reserved up front at most, whatever an
/// iterator's `size_hint` or a caller's count says: a wrong hint must cost
/// reallocations, never an abort.
const MAX_PREALLOCATION: usize = 1 << 22;

/// How many rows [`LogBuilder::reserve`] reserves at most: a caller's own
/// estimate (a file's size, a Parquet footer's row count) is trusted up to
/// 2^26 rows, so a 10M-row load never regrows its columns. Reserved pages
/// cost address space, not memory, until rows fill them.
const MAX_RESERVE: usize = 1 << 26;

/// What to do with orders dated after the as-of date.
///
/// # Example
///
/// ```
/// use rfmkit::ingest::FutureOrders;
/// assert_eq!(FutureOrders::default(), FutureOrders::Reject);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FutureOrders {
    /// Such an order is an [`Error::OrderAfterAsOf`] (the default): scoring
    /// "as of" a date with later orders in the input is usually a mistake.
    #[default]
    Reject,
    /// Such orders are left out and listed in [`OrderLog::skipped`], for
    /// re-scoring history as of past dates from a full order log.
    Ignore,
}

/// How to handle invalid orders.
///
/// # Example
///
/// ```
/// use rfmkit::ingest::Validation;
/// assert_eq!(Validation::default(), Validation::Strict);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Validation {
    /// The first invalid order (in input order) is returned as the error (the
    /// default).
    #[default]
    Strict,
    /// Invalid orders are skipped and each is listed in
    /// [`OrderLog::skipped`] with its error; the rest are kept.
    Lenient,
}

/// The order of customer ids: output order and the tie-break of every
/// ranking, in every stage.
///
/// # Example
///
/// ```
/// use std::cmp::Ordering;
/// use rfmkit::ingest::IdOrder;
///
/// assert_eq!(IdOrder::default(), IdOrder::Text);
/// assert_eq!(IdOrder::Text.compare("10", "9"), Ordering::Less); // byte-wise
/// assert_eq!(IdOrder::Numeric.compare("10", "9"), Ordering::Greater); // by value
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdOrder {
    /// [`CustomerId`] order: byte-wise text, `"C10" < "C9"` (the default).
    #[default]
    Text,
    /// Integer ids by value, then by text (so `"07"` < `"7"`), as a
    /// database orders an integer id column: `"9" < "10" < "100"`. Every id
    /// must be a decimal `i64` (ingesting checks it).
    Numeric,
}

impl IdOrder {
    /// Compares two ids in this order. Under [`IdOrder::Numeric`], an id
    /// that is not an integer sorts after every integer id (such ids are
    /// rejected when a log or summaries are built, so this only matters for
    /// lookups of ids that cannot be present).
    #[must_use]
    pub fn compare(self, a: &str, b: &str) -> Ordering {
        match self {
            IdOrder::Text => a.cmp(b),
            IdOrder::Numeric => numeric_key(a).cmp(&numeric_key(b)).then_with(|| a.cmp(b)),
        }
    }
}

/// The numeric sort key of an id: integers first, by value.
fn numeric_key(id: &str) -> (bool, i64) {
    match id.parse::<i64>() {
        Ok(v) => (false, v),
        Err(_) => (true, 0),
    }
}

/// The customers of a log (or of summaries built otherwise), numbered
/// `0..len` in their [`IdOrder`].
///
/// Every stage after ingest (summaries, scores, segmentation, profiles)
/// holds the same index behind an `Arc`, so a customer's position is the
/// same in all of them, and lookups by id are a binary search in this
/// order.
///
/// # Example
///
/// ```
/// use rfmkit::ingest::{CustomerIndex, IdOrder};
///
/// let index = CustomerIndex::new(["100", "9", "10"], IdOrder::Numeric)?;
/// assert_eq!(index.position("10"), Some(1));
/// assert_eq!(index.id(2).map(|c| c.as_str()), Some("100"));
/// assert_eq!(index.position("11"), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomerIndex {
    ids: Vec<CustomerId>,
    id_order: IdOrder,
}

impl CustomerIndex {
    /// An index of `ids` (any order, no repeats) in `id_order`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `customers`) if an id repeats, or
    /// (field `id_order`) under [`IdOrder::Numeric`] if an id is not a
    /// decimal integer; (field `rows`) beyond [`MAX_ROWS`] customers.
    pub fn new<I>(ids: I, id_order: IdOrder) -> Result<CustomerIndex>
    where
        I: IntoIterator,
        I::Item: Into<CustomerId>,
    {
        let mut ids: Vec<CustomerId> = ids.into_iter().map(Into::into).collect();
        check_numeric(&ids, id_order)?;
        ids.sort_unstable_by(|a, b| id_order.compare(a.as_str(), b.as_str()));
        if let Some(w) = ids.windows(2).find(|w| matches!(w, [a, b] if a == b)) {
            let repeated = w.first().map(CustomerId::to_string).unwrap_or_default();
            return Err(Error::config(
                "customers",
                format!("customer {repeated} appears twice; ids must be unique"),
            ));
        }
        if ids.len() > MAX_ROWS {
            return Err(too_many());
        }
        Ok(CustomerIndex { ids, id_order })
    }

    /// An index of ids already sorted in `id_order` without repeats.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new), and (field `customers`) if the ids are not in
    /// `id_order`.
    pub(crate) fn from_sorted(ids: Vec<CustomerId>, id_order: IdOrder) -> Result<CustomerIndex> {
        check_numeric(&ids, id_order)?;
        let sorted = ids.windows(2).all(|w| match w {
            [a, b] => id_order.compare(a.as_str(), b.as_str()) == Ordering::Less,
            _ => true,
        });
        if !sorted {
            return Err(Error::config(
                "customers",
                format!("customers must be sorted in {id_order:?} id order with no repeats"),
            ));
        }
        if ids.len() > MAX_ROWS {
            return Err(too_many());
        }
        Ok(CustomerIndex { ids, id_order })
    }

    /// An index with no customers.
    pub(crate) fn empty(id_order: IdOrder) -> CustomerIndex {
        CustomerIndex {
            ids: Vec::new(),
            id_order,
        }
    }

    /// The id order.
    #[must_use]
    pub fn id_order(&self) -> IdOrder {
        self.id_order
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no customers.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id at `position`.
    #[must_use]
    pub fn id(&self, position: usize) -> Option<&CustomerId> {
        self.ids.get(position)
    }

    /// The ids in order.
    #[must_use]
    pub fn ids(&self) -> &[CustomerId] {
        &self.ids
    }

    /// The ids in order, as an iterator.
    pub fn iter(&self) -> std::slice::Iter<'_, CustomerId> {
        self.ids.iter()
    }

    /// The position of a customer, by binary search in the id order.
    #[must_use]
    pub fn position(&self, id: &str) -> Option<usize> {
        let order = self.id_order;
        self.ids
            .binary_search_by(|probe| order.compare(probe.as_str(), id))
            .ok()
    }
}

fn too_many() -> Error {
    Error::config(
        "rows",
        format!("more than {MAX_ROWS} rows or customers; split the input and merge the summaries"),
    )
}

fn check_numeric(ids: &[CustomerId], id_order: IdOrder) -> Result<()> {
    if id_order == IdOrder::Numeric {
        if let Some(bad) = ids.iter().find(|id| id.as_str().parse::<i64>().is_err()) {
            return Err(Error::config(
                "id_order",
                format!("customer id {bad:?} is not an integer; use IdOrder::Text"),
            ));
        }
    }
    Ok(())
}

/// An order that was not kept, with the reason.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ingest::{FutureOrders, IngestConfig};
/// use rfmkit::{Error, Money, Order};
///
/// let as_of = NaiveDate::from_ymd_opt(2025, 1, 31).ok_or("bad date")?;
/// let later = NaiveDate::from_ymd_opt(2025, 2, 2).ok_or("bad date")?;
/// let orders = [Order::new("A-9", "carol", later, Money::new(500))];
/// let log = IngestConfig::new(as_of).future_orders(FutureOrders::Ignore).ingest(&orders)?;
/// let skipped = &log.skipped()[0];
/// assert_eq!((skipped.index, skipped.order_id.as_str()), (0, "A-9"));
/// assert!(matches!(skipped.reason, Error::OrderAfterAsOf { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// 0-based position of the order in the input.
    pub index: usize,
    /// The order's id (empty for rows pushed without one).
    pub order_id: OrderId,
    /// Why it was skipped.
    pub reason: Error,
}

/// How to ingest orders: the as-of date, the policies and the id order.
///
/// Created with [`IngestConfig::new`]; the setters take and return the
/// config. A config is plain data: reuse it for any number of runs.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ingest::{FutureOrders, IngestConfig, Validation};
/// use rfmkit::{Money, Order};
///
/// let as_of = NaiveDate::from_ymd_opt(2025, 1, 31).ok_or("bad date")?;
/// let day = |d| NaiveDate::from_ymd_opt(2025, 1, d).ok_or("bad date");
/// let orders = vec![
///     Order::new("A-1", "alice", day(3)?, Money::new(1200)),
///     Order::new("A-2", "alice", day(3)?, Money::new(-5)), // wrong sign for a purchase
///     Order::new("A-1", "bob", day(4)?, Money::new(800)),  // duplicate id
/// ];
/// let config = IngestConfig::new(as_of)
///     .validation(Validation::Lenient)
///     .future_orders(FutureOrders::Ignore);
/// let log = config.ingest(&orders)?;
/// assert_eq!((log.rows(), log.index().len()), (1, 1));
/// assert_eq!(log.skipped().iter().map(|s| s.index).collect::<Vec<_>>(), [1, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct IngestConfig {
    pub(crate) as_of: NaiveDate,
    #[serde(default)]
    future_orders: FutureOrders,
    #[serde(default)]
    validation: Validation,
    #[serde(default)]
    pub(crate) id_order: IdOrder,
}

impl IngestConfig {
    /// A config as of `as_of` with the defaults: [`FutureOrders::Reject`],
    /// [`Validation::Strict`], [`IdOrder::Text`].
    #[must_use]
    pub fn new(as_of: NaiveDate) -> IngestConfig {
        IngestConfig {
            as_of,
            future_orders: FutureOrders::Reject,
            validation: Validation::Strict,
            id_order: IdOrder::Text,
        }
    }

    /// Sets what to do with orders after the as-of date (default
    /// [`FutureOrders::Reject`]).
    #[must_use]
    pub fn future_orders(mut self, policy: FutureOrders) -> IngestConfig {
        self.future_orders = policy;
        self
    }

    /// Sets how invalid orders are handled (default [`Validation::Strict`]).
    #[must_use]
    pub fn validation(mut self, validation: Validation) -> IngestConfig {
        self.validation = validation;
        self
    }

    /// Sets the id order (default [`IdOrder::Text`]).
    #[must_use]
    pub fn id_order(mut self, id_order: IdOrder) -> IngestConfig {
        self.id_order = id_order;
        self
    }

    /// The as-of date.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// An empty [`LogBuilder`] with this config.
    #[must_use]
    pub fn builder<'a>(&self) -> LogBuilder<'a> {
        LogBuilder::new(self.clone(), None)
    }

    /// Validates and ingests orders; see the [module docs](self).
    ///
    /// Empty input gives an empty log.
    ///
    /// # Errors
    ///
    /// With [`Validation::Strict`], the first invalid order's error:
    /// [`Error::DuplicateOrderId`], [`Error::OrderAfterAsOf`] (unless
    /// [`FutureOrders::Ignore`]) or [`Error::InvalidAmount`]. In both modes,
    /// [`Error::InvalidConfig`] beyond [`MAX_ROWS`] rows, or under
    /// [`IdOrder::Numeric`] for an id that is not an integer.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ingest::IngestConfig;
    /// use rfmkit::{Money, Order};
    ///
    /// let as_of = NaiveDate::from_ymd_opt(2025, 1, 31).ok_or("bad date")?;
    /// let day = NaiveDate::from_ymd_opt(2025, 1, 10).ok_or("bad date")?;
    /// let orders = [Order::new("A-1", "alice", day, Money::new(1200))];
    /// let log = IngestConfig::new(as_of).ingest(&orders)?;
    /// assert_eq!((log.rows(), log.skipped().len()), (1, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ingest<'a>(&self, orders: impl IntoIterator<Item = &'a Order>) -> Result<OrderLog> {
        let orders = orders.into_iter();
        let mut builder = LogBuilder::new(self.clone(), None);
        builder.reserve(orders.size_hint().0);
        for order in orders {
            builder.push_order(order)?;
        }
        builder.build()
    }

    /// Like [`ingest`](Self::ingest), and also checks that every order's
    /// customer is in `customers`.
    ///
    /// Customers in the list without orders are not in the log (they have
    /// no purchase to score).
    ///
    /// # Errors
    ///
    /// As [`ingest`](Self::ingest), plus [`Error::UnknownCustomer`] for an
    /// order whose customer is not in the list (checked after the other
    /// checks; skipped instead under [`Validation::Lenient`]).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::customer::{Customer, Customers};
    /// use rfmkit::ingest::IngestConfig;
    /// use rfmkit::{Error, Money, Order};
    ///
    /// let as_of = NaiveDate::from_ymd_opt(2025, 1, 31).ok_or("bad date")?;
    /// let day = NaiveDate::from_ymd_opt(2025, 1, 10).ok_or("bad date")?;
    /// let customers = Customers::new([Customer::new("alice")])?;
    /// let orders = [Order::new("A-1", "mallory", day, Money::new(1200))];
    /// let err = IngestConfig::new(as_of).ingest_for(&orders, &customers).unwrap_err();
    /// assert!(matches!(err, Error::UnknownCustomer { index: 0, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ingest_for<'a>(
        &self,
        orders: impl IntoIterator<Item = &'a Order>,
        customers: &'a Customers,
    ) -> Result<OrderLog> {
        let orders = orders.into_iter();
        let mut builder = LogBuilder::new(self.clone(), Some(customers));
        builder.reserve(orders.size_hint().0);
        for order in orders {
            builder.push_order(order)?;
        }
        builder.build()
    }
}

/// Adds a row's cost to a cost column that exists once any row has a cost
/// (`None` for the `rows` rows before the first one).
#[inline]
fn push_cost(costs: &mut Option<Vec<Option<i64>>>, rows: usize, cost: Option<Money>) {
    match (costs.as_mut(), cost) {
        (Some(costs), c) => costs.push(c.map(Money::minor_units)),
        (None, Some(c)) => {
            let mut column = vec![None; rows];
            column.push(Some(c.minor_units()));
            *costs = Some(column);
        }
        (None, None) => {}
    }
}

/// The best first-order candidate of a customer while pushing.
#[derive(Debug, Clone)]
struct FirstCandidate {
    day: i32,
    order: FirstOrder,
}

/// One order as a loader reads it, with every text field borrowed: the
/// input of [`LogBuilder::push_record`].
///
/// It carries what an [`Order`] carries (customer, date, amount, and
/// optionally an order id, a status, a cost, a channel and a store) without
/// owning any of it, so a CSV or Arrow reader can push rows straight from
/// its buffers. Built with [`OrderRecord::new`] (a completed order without
/// an id) and the setters, which take and return the record.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ingest::{IngestConfig, OrderRecord};
/// use rfmkit::order::OrderStatus;
/// use rfmkit::summary::Summaries;
/// use rfmkit::Money;
///
/// let day = |d| NaiveDate::from_ymd_opt(2025, 1, d).ok_or("bad date");
/// let line = String::from("A-1,alice,web"); // a loader's buffer
/// let mut fields = line.split(',');
/// let (id, customer, channel) = (fields.next(), fields.next(), fields.next());
/// let (id, customer, channel) = (id.ok_or("id")?, customer.ok_or("customer")?, channel.ok_or("channel")?);
///
/// let mut log = IngestConfig::new(day(31)?).builder();
/// log.push_record(OrderRecord::new(customer, day(3)?, Money::new(1_200)).order_id(id).channel(channel))?;
/// log.push_record(
///     OrderRecord::new(customer, day(9)?, Money::new(900))
///         .order_id("A-2")
///         .status(OrderStatus::Cancelled),
/// )?;
/// let log = log.build()?;
/// assert_eq!((log.rows(), log.cancelled()), (1, 1));
/// let alice = Summaries::from_log(&log)?.get("alice").ok_or("missing")?;
/// assert_eq!(alice.first_channel().map(|c| c.as_str()), Some("web"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderRecord<'r> {
    pub(crate) order_id: Option<&'r str>,
    pub(crate) customer: &'r str,
    pub(crate) date: NaiveDate,
    pub(crate) amount: Money,
    pub(crate) status: OrderStatus,
    pub(crate) cost: Option<Money>,
    channel: Option<&'r str>,
    store: Option<&'r str>,
}

impl<'r> OrderRecord<'r> {
    /// A completed order of `customer` on `date` for `amount`, without an
    /// order id, cost, channel or store.
    #[must_use]
    pub fn new(customer: &'r str, date: NaiveDate, amount: Money) -> OrderRecord<'r> {
        OrderRecord {
            order_id: None,
            customer,
            date,
            amount,
            status: OrderStatus::Completed,
            cost: None,
            channel: None,
            store: None,
        }
    }

    /// The order's id (default none). Rows with an id are checked for
    /// duplicates; rows without are not.
    #[must_use]
    pub fn order_id(mut self, id: &'r str) -> OrderRecord<'r> {
        self.order_id = Some(id);
        self
    }

    /// The order's status (default [`OrderStatus::Completed`]).
    #[must_use]
    pub fn status(mut self, status: OrderStatus) -> OrderRecord<'r> {
        self.status = status;
        self
    }

    /// The cost of goods sold (default unknown).
    #[must_use]
    pub fn cost(mut self, cost: Money) -> OrderRecord<'r> {
        self.cost = Some(cost);
        self
    }

    /// The sales channel (default none).
    #[must_use]
    pub fn channel(mut self, channel: &'r str) -> OrderRecord<'r> {
        self.channel = Some(channel);
        self
    }

    /// The store (default none).
    #[must_use]
    pub fn store(mut self, store: &'r str) -> OrderRecord<'r> {
        self.store = Some(store);
        self
    }

    /// The record of an [`Order`], borrowing its fields.
    pub(crate) fn of(order: &'r Order) -> OrderRecord<'r> {
        OrderRecord {
            order_id: Some(order.id().as_str()),
            customer: order.customer().as_str(),
            date: order.date(),
            amount: order.amount(),
            status: order.status(),
            cost: order.cost(),
            channel: order.channel().map(Channel::as_str),
            store: order.store().map(StoreId::as_str),
        }
    }

    /// Whether the record says anything a [`FirstOrder`] keeps beyond the
    /// date.
    pub(crate) fn has_first_order_fields(&self) -> bool {
        self.order_id.is_some() || self.channel.is_some() || self.store.is_some()
    }

    pub(crate) fn first_order(&self) -> FirstOrder {
        FirstOrder {
            date: self.date,
            order_id: OrderId::new(self.order_id.unwrap_or("")),
            channel: self.channel.map(Channel::new),
            store: self.store.map(StoreId::new),
        }
    }
}

/// The checks every order passes on its way into the pipeline, shared by
/// the bulk [`LogBuilder`] and incremental updates
/// ([`LiveSummaries`](crate::summary::LiveSummaries)): duplicate ids, the
/// as-of date, the amount's sign for the status, the customer list; the
/// validation and future-order policies; the skip report and the count of
/// cancelled orders. Positions (the `index` in errors) count every record.
#[derive(Debug, Clone)]
pub(crate) struct Gate<'a> {
    pub(crate) config: IngestConfig,
    customers: Option<&'a Customers>,
    seen_ids: SeenIds,
    as_of_day: i32,
    pub(crate) pushed: usize,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) cancelled: usize,
}

/// What the [`Gate`] says of a record.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// A completed order or a return: it counts, at this input position.
    Count(usize),
    /// Left out: a cancellation, or a problem skipped by policy.
    Drop(Option<Skipped>),
}

impl<'a> Gate<'a> {
    pub(crate) fn new(config: IngestConfig, customers: Option<&'a Customers>) -> Gate<'a> {
        Gate {
            as_of_day: config.as_of.num_days_from_ce(),
            config,
            customers,
            seen_ids: SeenIds::default(),
            pushed: 0,
            skipped: Vec::new(),
            cancelled: 0,
        }
    }

    /// Moves the as-of date (for incremental updates; never backwards,
    /// which the caller checks).
    pub(crate) fn set_as_of(&mut self, as_of: NaiveDate) {
        self.config.as_of = as_of;
        self.as_of_day = as_of.num_days_from_ce();
    }

    /// The verdict on `record` without recording anything: under strict
    /// validation a problem is an `Err`.
    pub(crate) fn judge(&self, record: &OrderRecord<'_>) -> Result<Verdict> {
        self.judge_keyed(record, Keys::of(record).order)
    }

    /// [`judge`](Self::judge) with the order id's canonical value known.
    fn judge_keyed(&self, record: &OrderRecord<'_>, order: Option<u64>) -> Result<Verdict> {
        let index = self.pushed;
        if let Some(reason) = self.check(index, record, order) {
            let ignorable = matches!(reason, Error::OrderAfterAsOf { .. })
                && self.config.future_orders == FutureOrders::Ignore;
            if self.config.validation == Validation::Strict && !ignorable {
                return Err(reason);
            }
            return Ok(Verdict::Drop(Some(Skipped {
                index,
                order_id: OrderId::new(record.order_id.unwrap_or("")),
                reason,
            })));
        }
        if record.status.counts_amount() {
            Ok(Verdict::Count(index))
        } else {
            Ok(Verdict::Drop(None))
        }
    }

    /// Records a verdict of [`judge`](Self::judge) on the same record: its
    /// position, its id as seen (unless skipped), the skip or the
    /// cancellation.
    pub(crate) fn commit(&mut self, record: &OrderRecord<'_>, verdict: Verdict) -> Option<usize> {
        self.commit_keyed(record, Keys::of(record).order, verdict)
    }

    /// [`commit`](Self::commit) with the order id's canonical value known.
    fn commit_keyed(
        &mut self,
        record: &OrderRecord<'_>,
        order: Option<u64>,
        verdict: Verdict,
    ) -> Option<usize> {
        self.pushed = self.pushed.saturating_add(1);
        match verdict {
            Verdict::Drop(Some(skipped)) => {
                // A duplicate keeps the first index; other skipped rows
                // still claim their id, as the bulk path always did.
                if !matches!(skipped.reason, Error::DuplicateOrderId { .. }) {
                    self.see(record, order, skipped.index);
                }
                self.skipped.push(skipped);
                None
            }
            Verdict::Drop(None) => {
                self.see(record, order, self.pushed - 1);
                self.cancelled = self.cancelled.saturating_add(1);
                None
            }
            Verdict::Count(index) => {
                self.see(record, order, index);
                Some(index)
            }
        }
    }

    /// [`judge`](Self::judge) then [`commit`](Self::commit): the input
    /// position of a record that counts, `None` for one left out.
    /// Each id of the record is parsed once (or comes in `keys`).
    pub(crate) fn admit(&mut self, record: &OrderRecord<'_>, keys: Keys) -> Result<Option<usize>> {
        match self.judge_keyed(record, keys.order) {
            Ok(v) => Ok(self.commit_keyed(record, keys.order, v)),
            Err(e) => {
                self.reject_keyed(record, keys.order);
                Err(e)
            }
        }
    }

    /// Records a record that [`judge`](Self::judge) rejected under strict
    /// validation: it still takes its position and claims its id.
    pub(crate) fn reject(&mut self, record: &OrderRecord<'_>) {
        self.reject_keyed(record, Keys::of(record).order);
    }

    fn reject_keyed(&mut self, record: &OrderRecord<'_>, order: Option<u64>) {
        self.pushed = self.pushed.saturating_add(1);
        self.see(record, order, self.pushed - 1);
    }

    fn see(&mut self, record: &OrderRecord<'_>, order: Option<u64>, index: usize) {
        if let Some(id) = record.order_id {
            self.seen_ids.insert(id, order, index);
        }
    }

    /// The first problem with a record, if any.
    fn check(&self, index: usize, record: &OrderRecord<'_>, order: Option<u64>) -> Option<Error> {
        let OrderRecord {
            order_id: id,
            customer,
            date,
            amount,
            status,
            ..
        } = *record;
        let order_id = || OrderId::new(id.unwrap_or(""));
        if let Some(id) = id {
            if let Some(first_index) = self.seen_ids.get(id, order) {
                return Some(Error::DuplicateOrderId {
                    index,
                    order_id: order_id(),
                    first_index,
                });
            }
        }
        if date.num_days_from_ce() > self.as_of_day {
            return Some(Error::OrderAfterAsOf {
                index,
                order_id: order_id(),
                date,
                as_of: self.config.as_of,
            });
        }
        if !status.allows_amount(amount) {
            return Some(Error::InvalidAmount {
                index,
                order_id: order_id(),
                amount,
                status,
            });
        }
        if let Some(list) = self.customers {
            if !list.contains(customer) {
                return Some(Error::UnknownCustomer {
                    index,
                    order_id: order_id(),
                    customer: CustomerId::from(customer),
                });
            }
        }
        None
    }
}

/// The order ids seen so far and the input position of each id's first
/// occurrence, for the duplicate check.
///
/// Shops usually number orders 1, 2, 3, … in file order, so canonical
/// decimal ids (no sign, no leading zero, at most 19 digits) that are each
/// higher than every earlier one are stored as runs `(first id, first
/// position, length)` of ids and positions both counting up by one: a file
/// of ten million such orders needs one run instead of ten million hash
/// entries. Every other id goes to a hash map keyed by its text. A
/// canonical id names one integer and an integer has one canonical text,
/// so the two stores never disagree about equality.
#[derive(Debug, Clone, Default)]
struct SeenIds {
    /// Increasing runs, sorted by `first` (each above the previous run's
    /// last id).
    runs: Vec<IdRun>,
    /// Every id not in a run.
    other: FxHashMap<OrderId, usize>,
}

/// Ids `first..first + len` seen at positions `index..index + len`.
#[derive(Debug, Clone, Copy)]
struct IdRun {
    first: u64,
    index: usize,
    len: u64,
}

/// The value of a canonical decimal id: 1 to 19 ASCII digits without a
/// leading zero (or exactly `0`).
pub(crate) fn canonical_id(id: &str) -> Option<u64> {
    let bytes = id.as_bytes();
    match bytes {
        [] => return None,
        [b'0', _, ..] => return None,
        _ if bytes.len() > 19 => return None,
        _ => {}
    }
    let mut value = 0_u64;
    if bytes.len() < 19 {
        // At most 18 digits: below 10^18, no overflow. The leading digits
        // one by one, then eight at a time.
        let (head, eights) = bytes.split_at(bytes.len() % 8);
        for &b in head {
            let digit = b.wrapping_sub(b'0');
            if digit > 9 {
                return None;
            }
            value = value * 10 + u64::from(digit);
        }
        for chunk in eights.chunks_exact(8) {
            let eight = chunk.first_chunk::<8>().and_then(|c| eight_digits(*c))?;
            value = value * 100_000_000 + eight;
        }
        return Some(value);
    }
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(value)
}

/// The value of eight ASCII decimal digits (most significant first), or
/// `None` if any byte is not a digit: one check and three multiplications
/// on the word instead of eight dependent steps.
fn eight_digits(bytes: [u8; 8]) -> Option<u64> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const HIGH: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    let word = u64::from_le_bytes(bytes);
    // Every byte is 0x30..=0x39: its high nibble is 3, and still 3 after
    // adding 6 (no byte carries into the next: each is below 0x40).
    if word & HIGH != ZEROS || word.wrapping_add(0x0606_0606_0606_0606) & HIGH != ZEROS {
        return None;
    }
    // Digits in bytes, the first in the lowest byte; then pairs, then
    // fours, each step combining neighbours (all products stay in their
    // lanes; the wrapping parts are shifted out).
    let digits = word - ZEROS;
    let pairs = (digits * 10 + (digits >> 8)) & 0x00ff_00ff_00ff_00ff;
    let fours = (pairs * 100 + (pairs >> 16)) & 0x0000_ffff_0000_ffff;
    Some((fours & 0xffff_ffff) * 10_000 + (fours >> 32))
}

/// A record's ids as canonical values ([`canonical_id`]), worked out once
/// per row: by parsing the texts, or from the integer columns a loader
/// read them from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Keys {
    /// The order id's value (`None`: no order id, or not canonical).
    pub(crate) order: Option<u64>,
    /// The customer id's value (`None`: not canonical).
    pub(crate) customer: Option<u64>,
}

impl Keys {
    /// The keys of `record`, parsed from its texts.
    pub(crate) fn of(record: &OrderRecord<'_>) -> Keys {
        Keys {
            order: record.order_id.and_then(canonical_id),
            customer: canonical_id(record.customer),
        }
    }

    #[cfg(feature = "arrow")]
    /// The canonical value of an integer id column's value `v` (its
    /// decimal text is canonical when it is not negative and has at most
    /// 19 digits).
    pub(crate) fn of_int(v: i128) -> Option<u64> {
        u64::try_from(v)
            .ok()
            .filter(|&v| v <= 9_999_999_999_999_999_999)
    }
}

impl SeenIds {
    /// The position of `id` (of canonical value `value`)'s first
    /// occurrence, if seen.
    fn get(&self, id: &str, value: Option<u64>) -> Option<usize> {
        if let Some(value) = value {
            let at = self.runs.partition_point(|r| r.first <= value);
            if let Some(run) = at.checked_sub(1).and_then(|i| self.runs.get(i)) {
                let offset = value - run.first;
                if offset < run.len {
                    return usize::try_from(offset)
                        .ok()
                        .and_then(|o| run.index.checked_add(o));
                }
            }
        }
        self.other.get(id).copied()
    }

    /// Whether the id recorded last, at `index`, ended up in a run (so
    /// [`id_at`](Self::id_at) finds it).
    fn last_run_ends_at(&self, index: usize) -> bool {
        self.runs.last().is_some_and(|r| {
            usize::try_from(r.len)
                .ok()
                .and_then(|len| r.index.checked_add(len))
                == index.checked_add(1)
        })
    }

    /// The id recorded in a run at position `index`, if any.
    fn id_at(&self, index: usize) -> Option<u64> {
        let at = self.runs.partition_point(|r| r.index <= index);
        let run = self.runs.get(at.checked_sub(1)?)?;
        let offset = u64::try_from(index - run.index).ok()?;
        (offset < run.len).then(|| run.first + offset)
    }

    /// Records ids `first..first + len` at positions `index..index + len`,
    /// all new and above every id seen (as [`insert`](Self::insert) would
    /// one by one).
    fn extend_run(&mut self, first: u64, index: usize, len: u64) {
        if let Some(run) = self.runs.last_mut() {
            let next_id = run.first.checked_add(run.len);
            let next_index = u64::try_from(run.index)
                .ok()
                .and_then(|i| i.checked_add(run.len));
            if next_id == Some(first) && next_index == u64::try_from(index).ok() {
                run.len += len;
                return;
            }
        }
        if len > 0 {
            self.runs.push(IdRun { first, index, len });
        }
    }

    /// Records `id` at `index` unless it was seen before (the first
    /// occurrence is kept). Positions must not decrease between calls.
    fn insert(&mut self, id: &str, value: Option<u64>, index: usize) {
        if let Some(value) = value {
            // A canonical id in `other` is at most the runs' highest id at
            // the time it was stored, so an id above every run is new.
            let above = self
                .runs
                .last()
                .is_none_or(|r| value.checked_sub(r.first).is_some_and(|d| d >= r.len));
            if above {
                if let Some(run) = self.runs.last_mut() {
                    let next_id = run.first.checked_add(run.len);
                    let next_index = u64::try_from(run.index)
                        .ok()
                        .and_then(|i| i.checked_add(run.len));
                    if next_id == Some(value) && next_index == u64::try_from(index).ok() {
                        run.len += 1;
                        return;
                    }
                }
                self.runs.push(IdRun {
                    first: value,
                    index,
                    len: 1,
                });
                return;
            }
            if self.get(id, Some(value)).is_some() {
                return;
            }
        }
        self.other.entry(OrderId::new(id)).or_insert(index);
    }
}

/// Builds an [`OrderLog`] row by row; made by [`IngestConfig::builder`].
///
/// Each push validates the row (as [`IngestConfig::ingest`] does) and
/// interns the customer id (one hash lookup). Under [`Validation::Strict`]
/// a push returns the row's error; under [`Validation::Lenient`] it records
/// the row in [`OrderLog::skipped`] and returns `Ok`. Positions (the
/// `index` in errors) count every push, 0-based.
#[derive(Debug, Clone)]
pub struct LogBuilder<'a> {
    gate: Gate<'a>,
    intern: FxHashMap<CompactString, u32>,
    /// Canonical decimal ids (see [`canonical_id`]) by value: one integer
    /// key instead of a text key to hash and compare, in 32 bits when it
    /// fits (a smaller table: fewer cache and TLB misses per lookup).
    intern_int: FxHashMap<u64, u32>,
    intern_u32: FxHashMap<u32, u32>,
    names: Vec<CompactString>,
    customer: Vec<u32>,
    day: Vec<i32>,
    amount: Vec<i64>,
    position: Positions,
    returned: Vec<bool>,
    /// Costs, once any row has one: `None` for rows without.
    cost: Option<Vec<Option<i64>>>,
    /// First completed order candidates per interned customer, for rows
    /// with an order id, a channel or a store.
    first: Vec<Option<FirstCandidate>>,
    /// The day of each customer's candidate in `first` (`i32::MAX` for
    /// none): a small column checked before the candidate itself, so a
    /// later row (the usual case in a date-sorted export) does not touch
    /// the candidate.
    first_day: Vec<i32>,
    /// Rows whose customers are not numbered yet (see [`Deferred`]).
    deferred: Option<Deferred>,
    /// Whether every customer id pushed so far is a canonical integer.
    integer_ids: bool,
    /// A row count beyond [`MAX_ROWS`] was reached.
    overfull: bool,
}

/// Kept rows whose customers are numbered only when the log is built.
///
/// Interning a customer per row is one random access into a hash table of
/// every customer; with a million customers that table is far larger than
/// the caches, so the access misses and dominates loading. While every
/// customer id is a canonical integer, every order id counts up (so it is
/// recovered from the row's position, see [`SeenIds`]) and there are few
/// distinct (channel, store) pairs, a row is stored as its customer's
/// value instead, and [`LogBuilder::build`] groups the rows by a radix
/// sort of (value, row) (or, if that does not apply, numbers the
/// customers in one pass over hash partitions small enough for the cache). The first row
/// that breaks a condition numbers the rows so far in input order and the
/// builder goes on as before: the log is the same either way.
#[derive(Debug, Clone, Default)]
struct Deferred {
    /// Each kept row's customer id value.
    keys: Vec<u64>,
    /// The distinct (channel, store) pairs of the kept rows.
    pairs: Vec<(Option<CompactString>, Option<CompactString>)>,
    /// Each kept row's index into `pairs`, once there are two pairs.
    pair_of: Option<Vec<u8>>,
}

/// Each kept row's push position (its order index). While every row so
/// far sits at its push position (nothing skipped or cancelled: the usual
/// case) the list stays empty and costs nothing; the first row elsewhere
/// writes it out.
#[derive(Debug, Clone, Default)]
struct Positions {
    list: Vec<u32>,
    /// The list is written out (else the positions are 0, 1, 2, …).
    listed: bool,
}

impl Positions {
    fn reserve(&mut self, rows: usize) {
        if self.listed {
            self.list.reserve(rows);
        }
    }

    /// Row `row`'s position (with no list written out, every row is its
    /// own position).
    fn get(&self, row: usize) -> Option<u32> {
        match self.listed {
            true => self.list.get(row).copied(),
            false => u32::try_from(row).ok(),
        }
    }

    /// Writes the list out for the `rows` rows kept so far.
    fn list_out(&mut self, rows: usize) {
        if !self.listed {
            self.list = (0..rows)
                .map(|r| u32::try_from(r).unwrap_or(u32::MAX))
                .collect();
            self.listed = true;
        }
    }

    /// Records row `row`'s position `index`.
    fn push(&mut self, row: usize, index: usize) {
        self.extend(row, index, 1);
    }

    /// Records that the `count` rows from row `row` on have the positions
    /// `start..start + count`.
    fn extend(&mut self, row: usize, start: usize, count: usize) {
        if !self.listed && row == start {
            return;
        }
        self.list_out(row);
        self.list
            .extend((start..start + count).map(|p| u32::try_from(p).unwrap_or(u32::MAX)));
    }

    /// The positions of the `rows` rows as a list.
    fn into_vec(mut self, rows: usize) -> Vec<u32> {
        self.list_out(rows);
        self.list
    }
}

/// At most this many (channel, store) pairs while numbering is deferred.
const MAX_DEFERRED_PAIRS: usize = 255;

impl<'a> LogBuilder<'a> {
    fn new(config: IngestConfig, customers: Option<&'a Customers>) -> LogBuilder<'a> {
        LogBuilder {
            gate: Gate::new(config, customers),
            intern: FxHashMap::default(),
            intern_int: FxHashMap::default(),
            intern_u32: FxHashMap::default(),
            names: Vec::new(),
            customer: Vec::new(),
            day: Vec::new(),
            amount: Vec::new(),
            position: Positions::default(),
            returned: Vec::new(),
            cost: None,
            first: Vec::new(),
            first_day: Vec::new(),
            deferred: Some(Deferred::default()),
            integer_ids: true,
            overfull: false,
        }
    }

    /// Reserves room for about `rows` more rows (at most 2^26, about 67
    /// million, are reserved up front, whatever `rows` says). Reserving
    /// for the whole input avoids regrowing (copying) the columns; an
    /// over-estimate costs address space, not resident memory.
    pub fn reserve(&mut self, rows: usize) {
        let rows = rows.min(MAX_RESERVE);
        match self.deferred.as_mut() {
            Some(deferred) => deferred.keys.reserve(rows),
            None => self.customer.reserve(rows),
        }
        self.day.reserve(rows);
        self.amount.reserve(rows);
        self.position.reserve(rows);
        self.returned.reserve(rows);
    }

    /// Sets the id order the log will be numbered in (default: the
    /// config's), e.g. after looking at the ids with
    /// [`customer_ids`](Self::customer_ids).
    #[must_use]
    pub fn id_order(mut self, id_order: IdOrder) -> Self {
        self.gate.config.id_order = id_order;
        self
    }

    /// The distinct customer ids of the kept rows so far, in first-seen
    /// order.
    ///
    /// While the ids are all integers the builder may not have numbered
    /// its customers yet (it does so in bulk when building, which is much
    /// faster on large inputs); this call numbers them first, one hash
    /// lookup per row so far, and later rows go the slower way. To ask only
    /// whether every id is an integer, use
    /// [`integer_ids`](Self::integer_ids).
    pub fn customer_ids(&mut self) -> impl Iterator<Item = &str> {
        self.number_deferred(false);
        self.names.iter().map(CompactString::as_str)
    }

    /// Whether every customer id of the kept rows so far is a decimal
    /// integer without sign or leading zero (so [`IdOrder::Numeric`]
    /// applies), and there is at least one. Cheap: no numbering needed.
    #[must_use]
    pub fn integer_ids(&self) -> bool {
        self.integer_ids && !self.day.is_empty()
    }

    /// The number of rows pushed so far, kept or not.
    #[must_use]
    pub fn pushed(&self) -> usize {
        self.gate.pushed
    }

    /// Adds a completed order without an order id: a customer, a date and
    /// an amount `>= 0`. Such rows are not checked for duplicate ids.
    ///
    /// # Errors
    ///
    /// Under [`Validation::Strict`]: [`Error::OrderAfterAsOf`] (unless
    /// [`FutureOrders::Ignore`]), [`Error::InvalidAmount`] for a negative
    /// amount, [`Error::UnknownCustomer`] with a customer list. Under
    /// [`Validation::Lenient`] these rows are skipped and listed instead.
    pub fn push(&mut self, customer: &str, date: NaiveDate, amount: Money) -> Result<()> {
        self.push_row(&OrderRecord::new(customer, date, amount))
    }

    /// Adds a return without an order id: the refund is an amount `<= 0`.
    ///
    /// # Errors
    ///
    /// As [`push`](Self::push); [`Error::InvalidAmount`] for a positive
    /// amount.
    pub fn push_return(&mut self, customer: &str, date: NaiveDate, amount: Money) -> Result<()> {
        self.push_row(&OrderRecord::new(customer, date, amount).status(OrderStatus::Returned))
    }

    /// Adds an [`Order`]: checked for a duplicate id, the as-of date, the
    /// amount's sign and (with a list) its customer, then kept by the
    /// status policy.
    ///
    /// # Errors
    ///
    /// Under [`Validation::Strict`], the order's problem:
    /// [`Error::DuplicateOrderId`], [`Error::OrderAfterAsOf`],
    /// [`Error::InvalidAmount`] or [`Error::UnknownCustomer`].
    pub fn push_order(&mut self, order: &Order) -> Result<()> {
        self.push_row(&OrderRecord::of(order))
    }

    /// Adds an [`OrderRecord`]: the same checks and status policy as
    /// [`push_order`](Self::push_order), from borrowed fields. Its order id
    /// (if any) is checked for duplicates against every earlier row with an
    /// id; its id, channel and store are kept for the customer's
    /// [first order](crate::summary::FirstOrder) when it is the earliest
    /// completed one by (date, order id), an absent id counting as empty.
    ///
    /// Nothing is allocated per row for the text fields, except the id of a
    /// row with an order id longer than 24 bytes (kept for the duplicate
    /// check) and a first-order candidate's fields.
    ///
    /// # Errors
    ///
    /// As [`push_order`](Self::push_order).
    ///
    /// # Example
    ///
    /// See [`OrderRecord`].
    pub fn push_record(&mut self, record: OrderRecord<'_>) -> Result<()> {
        self.push_row(&record)
    }

    /// Records a row that a loader could not read (a malformed cell: a
    /// null id, an amount with too many decimals, …), so that nothing is
    /// dropped silently: under [`Validation::Strict`] `reason` is returned
    /// as the error; under [`Validation::Lenient`] the row is listed in
    /// [`OrderLog::skipped`] with `reason` and `order_id` (if the loader
    /// could read it). Either way the row takes its push position, so the
    /// positions of later rows stay those of the input.
    ///
    /// # Errors
    ///
    /// `reason`, under [`Validation::Strict`].
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ingest::{IngestConfig, Validation};
    /// use rfmkit::{Error, Money};
    ///
    /// let day = NaiveDate::from_ymd_opt(2025, 1, 3).ok_or("date")?;
    /// let bad = Error::InvalidColumn {
    ///     column: "amount".into(),
    ///     row: Some(0),
    ///     problem: "is null".into(),
    /// };
    /// let mut log = IngestConfig::new(day).validation(Validation::Lenient).builder();
    /// log.push_unreadable(Some("A-1"), bad.clone())?;
    /// log.push("alice", day, Money::new(500))?;
    /// let log = log.build()?;
    /// assert_eq!(log.skipped()[0].index, 0);
    /// assert_eq!(log.skipped()[0].reason, bad);
    /// assert_eq!(log.customer_rows(0).next().map(|r| r.position), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push_unreadable(&mut self, order_id: Option<&str>, reason: Error) -> Result<()> {
        let index = self.gate.pushed;
        self.gate.pushed = self.gate.pushed.saturating_add(1);
        if self.gate.config.validation == Validation::Strict {
            return Err(reason);
        }
        self.gate.skipped.push(Skipped {
            index,
            order_id: OrderId::new(order_id.unwrap_or("")),
            reason,
        });
        Ok(())
    }

    fn push_row(&mut self, record: &OrderRecord<'_>) -> Result<()> {
        self.push_row_keyed(record, Keys::of(record))
    }

    fn push_row_keyed(&mut self, record: &OrderRecord<'_>, keys: Keys) -> Result<()> {
        let OrderRecord {
            customer,
            date,
            amount,
            status,
            cost,
            ..
        } = *record;
        let Some(index) = self.gate.admit(record, keys)? else {
            return Ok(());
        };
        if self.day.len() >= MAX_ROWS || index >= MAX_ROWS {
            self.overfull = true;
            return Ok(());
        }
        let day = date.num_days_from_ce();
        let slot = match self.defer(record, keys.customer, index) {
            Some(()) => None,
            None => Some(self.intern(customer, keys.customer)),
        };
        if let Some(slot) = slot {
            self.customer.push(slot);
        }
        self.day.push(day);
        self.amount.push(amount.minor_units());
        self.position.push(self.day.len() - 1, index);
        let returned = status == OrderStatus::Returned;
        self.returned.push(returned);
        push_cost(&mut self.cost, self.day.len() - 1, cost);
        if let (false, Some(slot)) = (returned, slot) {
            self.offer_first(slot, day, record);
        }
        Ok(())
    }

    /// Keeps `record` (a kept completed row of customer `slot`) as the
    /// customer's first-order candidate if it is earlier by (date, order
    /// id) than the current one.
    fn offer_first(&mut self, slot: u32, day: i32, record: &OrderRecord<'_>) {
        if !record.has_first_order_fields() {
            return;
        }
        let at = crate::id::widen(slot);
        let maybe = self.first_day.get(at).is_some_and(|&first| day <= first);
        if let (true, Some(best)) = (maybe, self.first.get_mut(at)) {
            let earlier = match best {
                Some(b) => {
                    (day, record.order_id.unwrap_or("")) < (b.day, b.order.order_id.as_str())
                }
                None => true,
            };
            if earlier {
                *best = Some(FirstCandidate {
                    day,
                    order: record.first_order(),
                });
                if let Some(first) = self.first_day.get_mut(at) {
                    *first = day;
                }
            }
        }
    }

    /// Stores a kept row (at input position `index`) as deferred if the
    /// builder still defers and the row allows it; otherwise numbers the
    /// deferred rows and returns `None`.
    fn defer(&mut self, record: &OrderRecord<'_>, value: Option<u64>, index: usize) -> Option<()> {
        self.integer_ids &= value.is_some();
        let deferred = self.deferred.as_mut()?;
        let id_ok = record
            .order_id
            .is_none_or(|_| self.gate.seen_ids.last_run_ends_at(index));
        let pair = (record.channel, record.store);
        let found = deferred
            .pairs
            .iter()
            .position(|(c, s)| c.as_deref() == pair.0 && s.as_deref() == pair.1);
        let pair_at = match found {
            Some(at) => Some(at),
            None if deferred.pairs.len() < MAX_DEFERRED_PAIRS => {
                deferred.pairs.push((
                    pair.0.map(CompactString::new),
                    pair.1.map(CompactString::new),
                ));
                Some(deferred.pairs.len() - 1)
            }
            None => None,
        };
        match (value, id_ok, pair_at.and_then(|p| u8::try_from(p).ok())) {
            (Some(value), true, Some(pair_at)) => {
                let rows = deferred.keys.len();
                if pair_at > 0 && deferred.pair_of.is_none() {
                    deferred.pair_of = Some(vec![0; rows]);
                }
                if let Some(pair_of) = deferred.pair_of.as_mut() {
                    pair_of.push(pair_at);
                }
                deferred.keys.push(value);
                Some(())
            }
            _ => {
                self.number_deferred(false);
                None
            }
        }
    }

    /// Numbers the customers of the deferred rows and ends deferral: in
    /// input order through the intern maps (`partitioned == false`, when
    /// pushing goes on), or by hash partitions (when building, where the
    /// numbering order does not matter). Then offers each deferred row as
    /// a first-order candidate, in input order.
    fn number_deferred(&mut self, partitioned: bool) {
        let Some(deferred) = self.deferred.take() else {
            return;
        };
        let Deferred {
            keys,
            pairs,
            pair_of,
        } = deferred;
        if partitioned {
            self.customer = self.number_partitioned(keys);
        } else {
            let mut customer = Vec::with_capacity(keys.len().min(MAX_PREALLOCATION));
            for key in keys {
                let text = key.to_compact_string();
                customer.push(self.intern(&text, Some(key)));
            }
            self.customer = customer;
        }
        let customer = std::mem::take(&mut self.customer);
        for (row, &slot) in customer.iter().enumerate() {
            let returned = self.returned.get(row).copied().unwrap_or(true);
            let (Some(&day), Some(position), false) =
                (self.day.get(row), self.position.get(row), returned)
            else {
                continue;
            };
            let at = crate::id::widen(slot);
            if self.first_day.get(at).is_none_or(|&first| day > first) {
                continue;
            }
            let pair = pair_of
                .as_ref()
                .and_then(|p| p.get(row))
                .map_or(0, |&p| usize::from(p));
            let (channel, store) = pairs
                .get(pair)
                .map_or((None, None), |(c, s)| (c.as_deref(), s.as_deref()));
            let id = self
                .gate
                .seen_ids
                .id_at(crate::id::widen(position))
                .map(|v| v.to_compact_string());
            let Some(date) = NaiveDate::from_num_days_from_ce_opt(day) else {
                continue;
            };
            let mut record = OrderRecord::new("", date, Money::new(0));
            record.order_id = id.as_deref();
            record.channel = channel;
            record.store = store;
            self.offer_first(slot, day, &record);
        }
        self.customer = customer;
    }

    /// Numbers deferred customer values: the rows are split into hash
    /// partitions (one counting pass, one scatter), and each partition is
    /// numbered with its own small map.
    fn number_partitioned(&mut self, keys: Vec<u64>) -> Vec<u32> {
        const BITS: u32 = 8;
        let part = |key: u64| {
            let hash = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            crate::id::widen(u32::try_from(hash >> (64 - BITS)).unwrap_or(0))
        };
        let mut starts = vec![0_usize; (1 << BITS) + 1];
        for &key in &keys {
            if let Some(c) = starts.get_mut(part(key) + 1) {
                *c += 1;
            }
        }
        for i in 1..starts.len() {
            let prev = starts.get(i - 1).copied().unwrap_or(0);
            if let Some(c) = starts.get_mut(i) {
                *c += prev;
            }
        }
        let mut cursor = starts.clone();
        let mut part_keys = vec![0_u64; keys.len()];
        let mut part_rows = vec![0_u32; keys.len()];
        for (row, &key) in (0_u32..).zip(&keys) {
            if let Some(at) = cursor.get_mut(part(key)) {
                if let (Some(k), Some(r)) = (part_keys.get_mut(*at), part_rows.get_mut(*at)) {
                    *k = key;
                    *r = row;
                }
                *at += 1;
            }
        }
        let rows = keys.len();
        drop(keys);
        let mut customer = vec![0_u32; rows];
        let mut map: FxHashMap<u64, u32> = FxHashMap::default();
        for w in starts.windows(2) {
            let (from, to) = match w {
                [from, to] => (*from, *to),
                _ => continue,
            };
            let (Some(ks), Some(rs)) = (part_keys.get(from..to), part_rows.get(from..to)) else {
                continue;
            };
            map.clear();
            for (&key, &row) in ks.iter().zip(rs) {
                let next = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
                let slot = *map.entry(key).or_insert(next);
                if slot == next {
                    self.names.push(key.to_compact_string());
                    self.first.push(None);
                    self.first_day.push(i32::MAX);
                }
                if let Some(c) = customer.get_mut(crate::id::widen(row)) {
                    *c = slot;
                }
            }
        }
        customer
    }

    /// The slot of `customer` (of canonical value `value`, see [`Keys`]),
    /// interning it if new.
    fn intern(&mut self, customer: &str, value: Option<u64>) -> u32 {
        let next = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        let found = match value {
            Some(value) => match u32::try_from(value) {
                Ok(small) => *self.intern_u32.entry(small).or_insert(next),
                Err(_) => *self.intern_int.entry(value).or_insert(next),
            },
            // Look up before inserting: an id over 24 bytes would
            // allocate as a key.
            None => match self.intern.get(customer) {
                Some(&slot) => slot,
                None => {
                    self.intern.insert(CompactString::new(customer), next);
                    next
                }
            },
        };
        if found == next {
            self.names.push(CompactString::new(customer));
            self.first.push(None);
            self.first_day.push(i32::MAX);
        }
        found
    }

    /// Numbers the customers in the id order, groups the rows by customer
    /// and freezes the log.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `rows`) beyond [`MAX_ROWS`] rows;
    /// (field `id_order`) under [`IdOrder::Numeric`] if an id is not a
    /// decimal integer.
    pub fn build(self) -> Result<OrderLog> {
        if self.overfull {
            return Err(too_many());
        }
        match self.sortable() {
            Some((row_bits, key_bits)) => self.build_sorted(row_bits, key_bits),
            None => self.build_grouped(),
        }
    }

    /// Whether [`build_sorted`](Self::build_sorted) applies: numbering is
    /// still deferred (every customer id is a canonical integer), each
    /// row's customer value and row number fit one `u64` together, and
    /// under [`IdOrder::Numeric`] every value is an `i64`. Returns the bits
    /// of the row numbers and of the values.
    fn sortable(&self) -> Option<(u32, u32)> {
        let deferred = self.deferred.as_ref()?;
        let max = crate::par::max(&deferred.keys).unwrap_or(0);
        if self.gate.config.id_order == IdOrder::Numeric && i64::try_from(max).is_err() {
            return None;
        }
        let rows = u64::try_from(deferred.keys.len()).ok()?;
        let row_bits = u64::BITS - rows.saturating_sub(1).leading_zeros();
        let key_bits = u64::BITS - max.leading_zeros();
        (row_bits < u64::BITS && row_bits + key_bits <= u64::BITS).then_some((row_bits, key_bits))
    }

    /// Builds the log of deferred rows by sorting: each row's customer
    /// value and row number packed in one `u64` (`value << row_bits |
    /// row`), radix-sorted by the value bits (stable, so each customer's
    /// rows stay in input order). Equal values then form each customer's
    /// block of rows, already in [`IdOrder::Numeric`] order; under
    /// [`IdOrder::Text`] the blocks are put in the text order of the ids.
    /// No hash table, no per-row random write: the same log as
    /// [`build_grouped`](Self::build_grouped), faster.
    fn build_sorted(mut self, row_bits: u32, key_bits: u32) -> Result<OrderLog> {
        let Some(Deferred {
            keys,
            pairs,
            pair_of,
        }) = self.deferred.take()
        else {
            return self.build_grouped();
        };
        self.intern = FxHashMap::default();
        self.intern_int = FxHashMap::default();
        self.intern_u32 = FxHashMap::default();
        let rows = keys.len();
        let id_order = self.gate.config.id_order;
        // Numeric order: the rows move to their customer's place together
        // with their amount, day and position (no gather afterwards).
        let flags = RowFlags {
            returned: std::mem::take(&mut self.returned),
            pair_of,
        };
        let (bucketed, flags) = if id_order == IdOrder::Numeric {
            let columns = (
                std::mem::take(&mut self.amount),
                std::mem::take(&mut self.day),
                // Empty while the positions are the rows.
                std::mem::take(&mut self.position.list),
            );
            match bucket_rows(&keys, key_bits, columns, flags) {
                Ok(b) => (Some(b), None),
                Err(((amount, day, position), flags)) => {
                    (self.amount, self.day, self.position.list) = (amount, day, position);
                    (None, Some(flags))
                }
            }
        } else {
            (None, Some(flags))
        };
        let (values, starts, perm, moved, returned, pair_of, days_sorted) = match (bucketed, flags)
        {
            (Some(b), _) => {
                drop(keys);
                (
                    b.values,
                    b.starts,
                    b.perm,
                    Some((b.amount, b.day, b.position)),
                    b.returned,
                    b.pair_of,
                    b.days_sorted,
                )
            }
            (None, flags) => {
                let RowFlags { returned, pair_of } = flags.unwrap_or_default();
                let (values, starts, perm) = sort_by_value(keys, row_bits, key_bits);
                let pair_of = pair_of.map(Moved::ByRow);
                (
                    values,
                    starts,
                    perm,
                    None,
                    Moved::ByRow(returned),
                    pair_of,
                    false,
                )
            }
        };
        let block = |c: usize| -> std::ops::Range<usize> {
            let from = starts.get(c).copied().unwrap_or(rows);
            from..starts.get(c + 1).copied().unwrap_or(rows).max(from)
        };
        // The customers in id order, as indices into `values`.
        let order: Vec<usize> = if id_order == IdOrder::Numeric {
            (0..values.len()).collect()
        } else {
            let mut order: Vec<usize> = (0..values.len()).collect();
            order.sort_unstable_by_key(|&c| text_key(values.get(c).copied().unwrap_or(0)));
            order
        };
        let (perm, offsets) = if id_order == IdOrder::Numeric {
            let offsets = starts
                .iter()
                .map(|&s| u32::try_from(s).unwrap_or(u32::MAX))
                .collect();
            (perm, offsets)
        } else {
            let mut regrouped = Vec::with_capacity(rows);
            let mut offsets = Vec::with_capacity(order.len() + 1);
            offsets.push(0_u32);
            for &c in &order {
                regrouped.extend_from_slice(perm.get(block(c)).unwrap_or_default());
                offsets.push(u32::try_from(regrouped.len()).unwrap_or(u32::MAX));
            }
            (regrouped, offsets)
        };
        drop(starts);
        let ids: Vec<CustomerId> = crate::par::column(order.len(), |k| {
            let value = order.get(k).and_then(|&c| values.get(c)).copied();
            CustomerId::new(value.unwrap_or(0).to_compact_string())
        });
        drop(order);
        drop(values);
        // The rows' amount, day and position side by side (16 bytes, one
        // cache line), so gathering them in customer order costs one cache
        // miss a row instead of three.
        let (amount, day, position) = match moved {
            Some(columns) => columns,
            None => {
                let side_by_side: Vec<(i64, i32, u32)> = {
                    let amount = std::mem::take(&mut self.amount);
                    let day = std::mem::take(&mut self.day);
                    let position = std::mem::take(&mut self.position).into_vec(day.len());
                    amount
                        .iter()
                        .zip(&day)
                        .zip(&position)
                        .map(|((&a, &d), &p)| (a, d, p))
                        .collect()
                };
                gather_side_by_side(&perm, &side_by_side)
            }
        };
        let returned = match returned {
            Moved::Grouped(returned) => returned,
            Moved::ByRow(returned) => gather_rows(&perm, &returned),
        };
        let cost = self.cost.take().map(|c| gather_rows(&perm, &c));
        // Positions that are the rows equal `perm` (see `bucket_rows`).
        let positions: &[u32] = if position.len() == rows {
            &position
        } else {
            &perm
        };
        // Each customer's first order: the earliest completed row by
        // (date, order id), as `offer_first` picks it row by row.
        // Customers are independent: on all threads with `parallel`.
        let n = ids.len();
        let seen_ids = &self.gate.seen_ids;
        // A row can be a first order if it has an order id, a channel or a
        // store, and its day is a date.
        let pair_has_fields: Vec<bool> = pairs
            .iter()
            .map(|(c, s)| c.is_some() || s.is_some())
            .collect();
        let dates = NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce();
        let id_text = |id: Option<u64>| id.map(|v| v.to_compact_string()).unwrap_or_default();
        // (day, order id value, pair) of each customer's first order.
        let first_of = |c: usize| {
            let from = offsets.get(c).map_or(0, |&o| crate::id::widen(o));
            let to = offsets.get(c + 1).map_or(from, |&o| crate::id::widen(o));
            let mut best: Option<(i32, Option<u64>, u32)> = None;
            for r in from..to {
                let (Some(&row_day), Some(false), Some(&pos), Some(&row)) = (
                    day.get(r),
                    returned.get(r).copied(),
                    positions.get(r),
                    perm.get(r),
                ) else {
                    continue;
                };
                if best.is_some_and(|b| row_day > b.0) {
                    continue;
                }
                let pair = match &pair_of {
                    None => None,
                    Some(Moved::Grouped(pairs)) => pairs.get(r),
                    Some(Moved::ByRow(pairs)) => pairs.get(crate::id::widen(row)),
                }
                .map_or(0, |&p| usize::from(p));
                let id = seen_ids.id_at(crate::id::widen(pos));
                let fields = id.is_some() || pair_has_fields.get(pair).copied().unwrap_or(false);
                if !fields || !dates.contains(&row_day) {
                    continue;
                }
                // Ties on the day go to the smaller id text, as
                // `offer_first` compares them.
                let earlier = best.is_none_or(|(day, best_id, _)| {
                    row_day < day || (row_day == day && id_text(id) < id_text(best_id))
                });
                if earlier {
                    best = Some((row_day, id, u32::try_from(pair).unwrap_or(u32::MAX)));
                }
            }
            best
        };
        let first_orders = FirstOrders::from_fn(
            n,
            if pairs.is_empty() {
                vec![(None, None)]
            } else {
                pairs.iter().map(crate::summary::pair_of_texts).collect()
            },
            first_of,
        );
        let position = if position.len() == rows {
            position
        } else {
            perm
        };
        let mut log = OrderLog {
            config: self.gate.config,
            index: Arc::new(CustomerIndex { ids, id_order }),
            offsets,
            day,
            amount,
            position,
            returned,
            cost,
            first_orders: Arc::new(first_orders),
            skipped: self.gate.skipped,
            cancelled: self.gate.cancelled,
        };
        // The read-out of the buckets saw whether every customer's rows
        // are in date order (exports are mostly sorted by time).
        if !days_sorted {
            log.sort_days();
        }
        Ok(log)
    }

    /// Builds the log by numbering customers through hash tables, then a
    /// counting sort of the rows by customer: any ids.
    fn build_grouped(mut self) -> Result<OrderLog> {
        self.number_deferred(true);
        // Free the id maps before the columns are regrouped (peak memory).
        self.gate.seen_ids = SeenIds::default();
        self.intern = FxHashMap::default();
        self.intern_int = FxHashMap::default();
        self.intern_u32 = FxHashMap::default();
        self.first_day = Vec::new();
        let id_order = self.gate.config.id_order;
        // Number the customers in id order: rank[slot] = position.
        let mut by_id: Vec<u32> = (0..self.names.len())
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        let name = |i: u32| {
            self.names
                .get(crate::id::widen(i))
                .map_or("", CompactString::as_str)
        };
        if id_order == IdOrder::Numeric {
            let mut numbers = Vec::with_capacity(self.names.len());
            for n in &self.names {
                let v: i64 = n.parse().map_err(|_| {
                    Error::config(
                        "id_order",
                        format!("customer id {n:?} is not an integer; use IdOrder::Text"),
                    )
                })?;
                numbers.push(v);
            }
            let num = |i: u32| {
                numbers
                    .get(crate::id::widen(i))
                    .copied()
                    .unwrap_or_default()
            };
            by_id.sort_unstable_by(|&a, &b| num(a).cmp(&num(b)).then_with(|| name(a).cmp(name(b))));
        } else {
            by_id.sort_unstable_by(|&a, &b| name(a).cmp(name(b)));
        }
        let n = by_id.len();
        let mut rank = vec![0_u32; n];
        for (new, &old) in (0_u32..).zip(&by_id) {
            if let Some(slot) = rank.get_mut(crate::id::widen(old)) {
                *slot = new;
            }
        }
        let ids: Vec<CustomerId> = by_id.iter().map(|&i| CustomerId::new(name(i))).collect();
        let mut first_orders = FirstOrders::default();
        if self.first.iter().any(Option::is_some) {
            for &i in &by_id {
                let first = self.first.get(crate::id::widen(i)).and_then(Option::as_ref);
                first_orders.push(first.map(|c| &c.order));
            }
        }

        // Counting sort of the rows by customer position (stable, so each
        // customer's rows stay in input order), then by date within each
        // customer.
        let rows = self.customer.len();
        let mut offsets = vec![0_u32; n + 1];
        for &slot in &self.customer {
            let c = rank.get(crate::id::widen(slot)).copied().unwrap_or(0);
            if let Some(o) = offsets.get_mut(crate::id::widen(c) + 1) {
                *o += 1;
            }
        }
        for i in 1..offsets.len() {
            let prev = offsets.get(i - 1).copied().unwrap_or(0);
            if let Some(o) = offsets.get_mut(i) {
                *o += prev;
            }
        }
        let mut cursor: Vec<u32> = offsets.iter().take(n).copied().collect();
        let mut dest = vec![0_u32; rows];
        for (d, &slot) in dest.iter_mut().zip(&self.customer) {
            let c = rank.get(crate::id::widen(slot)).copied().unwrap_or(0);
            if let Some(at) = cursor.get_mut(crate::id::widen(c)) {
                *d = *at;
                *at += 1;
            }
        }
        drop(self.customer);
        let day = scatter(&dest, self.day);
        let amount = scatter(&dest, self.amount);
        let position = scatter(&dest, self.position.into_vec(dest.len()));
        let returned = scatter(&dest, self.returned);
        let cost = self.cost.map(|c| scatter(&dest, c));
        drop(dest);
        let mut log = OrderLog {
            config: self.gate.config,
            index: Arc::new(CustomerIndex { ids, id_order }),
            offsets,
            day,
            amount,
            position,
            returned,
            cost,
            first_orders: Arc::new(first_orders),
            skipped: self.gate.skipped,
            cancelled: self.gate.cancelled,
        };
        log.sort_days();
        Ok(log)
    }
}

/// Matching chunks of the amount, day and position outputs and of `perm`.
type RowChunks<'a> = (((&'a mut [i64], &'a mut [i32]), &'a mut [u32]), &'a [u32]);

/// The deferred rows sorted by (customer value, row) with a radix sort of
/// `value << row_bits | row`: each customer's value and first sorted row
/// (plus the end), and the input row of each sorted row.
fn sort_by_value(keys: Vec<u64>, row_bits: u32, key_bits: u32) -> (Vec<u64>, Vec<usize>, Vec<u32>) {
    let rows = keys.len();
    let packed: Vec<u64> = keys
        .iter()
        .zip(0_u64..)
        .map(|(&key, row)| (key << row_bits) | row)
        .collect();
    drop(keys);
    let sorted = radix_sort(packed, row_bits, row_bits + key_bits);
    let row_mask = (1_u64 << row_bits) - 1;
    let mut values: Vec<u64> = Vec::new();
    let mut starts: Vec<usize> = Vec::new();
    let mut perm: Vec<u32> = Vec::with_capacity(rows);
    for (at, &v) in sorted.iter().enumerate() {
        let value = v >> row_bits;
        if values.last() != Some(&value) {
            values.push(value);
            starts.push(at);
        }
        perm.push(u32::try_from(v & row_mask).unwrap_or(u32::MAX));
    }
    starts.push(rows);
    (values, starts, perm)
}

/// How many top bits of the customer value pick a row's bucket in
/// [`bucket_rows`]: 1,024 buckets, about 10,000 rows each for 10M rows,
/// so that each bucket sorts within the cache.
const BUCKET_BITS: u32 = 10;

/// A row on its way to its customer's place in [`bucket_rows`]: the
/// value's bits below the bucket's (`low`), the input row, the amount, the
/// day and a 32-bit `extra` (the position, or the return flag when the
/// positions are the rows), packed in plain words so that a column of them
/// is allocated zeroed by the system (no fill pass before the scatter
/// writes every one). The first word is always `low << 32 | row`.
trait Moving: Copy + Send + Sync + 'static {
    /// `n` rows of zero words.
    fn zeroed(n: usize) -> Vec<Self>;
    /// A row; days are stored relative to `base` where that saves room.
    fn pack(low: u32, row: u32, amount: i64, day: i32, extra: u32, base: i32) -> Self;
    /// (low, row, amount, day, extra).
    fn unpack(&self, base: i32) -> (u32, u32, i64, i32, u32);
    /// `low << 32 | row`.
    fn first(&self) -> u64;
}

fn high_half(w: u64) -> u32 {
    u32::try_from(w >> 32).unwrap_or(0)
}

fn low_half(w: u64) -> u32 {
    u32::try_from(w & u64::from(u32::MAX)).unwrap_or(0)
}

/// Three words: `low << 32 | row`, the amount, `day << 32 | extra`.
impl Moving for [u64; 3] {
    fn zeroed(n: usize) -> Vec<Self> {
        vec![[0; 3]; n]
    }

    fn pack(low: u32, row: u32, amount: i64, day: i32, extra: u32, _: i32) -> Self {
        [
            (u64::from(low) << 32) | u64::from(row),
            u64::from_ne_bytes(amount.to_ne_bytes()),
            (u64::from(u32::from_ne_bytes(day.to_ne_bytes())) << 32) | u64::from(extra),
        ]
    }

    fn unpack(&self, _: i32) -> (u32, u32, i64, i32, u32) {
        let [a, b, c] = *self;
        (
            high_half(a),
            low_half(a),
            i64::from_ne_bytes(b.to_ne_bytes()),
            i32::from_ne_bytes(high_half(c).to_ne_bytes()),
            low_half(c),
        )
    }

    fn first(&self) -> u64 {
        self[0]
    }
}

/// Bits of a [`Compact`] row's day (relative to the base day).
const COMPACT_DAY_BITS: u32 = 21;

/// Two words, for the usual rows (see [`compact_fits`]): `low << 32 |
/// row`, and `amount << 22 | (day - base) << 1 | extra` with a one-bit
/// `extra` (the return flag). A third less memory to move than three.
type Compact = [u64; 2];

impl Moving for Compact {
    fn zeroed(n: usize) -> Vec<Self> {
        vec![[0; 2]; n]
    }

    fn pack(low: u32, row: u32, amount: i64, day: i32, extra: u32, base: i32) -> Self {
        let offset = u64::from(day.abs_diff(base));
        let amount = u64::from_ne_bytes(amount.to_ne_bytes());
        [
            (u64::from(low) << 32) | u64::from(row),
            (amount << (COMPACT_DAY_BITS + 1)) | (offset << 1) | u64::from(extra & 1),
        ]
    }

    fn unpack(&self, base: i32) -> (u32, u32, i64, i32, u32) {
        let [a, b] = *self;
        let amount = i64::from_ne_bytes(b.to_ne_bytes()) >> (COMPACT_DAY_BITS + 1);
        let offset = (b >> 1) & ((1 << COMPACT_DAY_BITS) - 1);
        let day = i64::from(base) + i64::try_from(offset).unwrap_or(0);
        (
            high_half(a),
            low_half(a),
            amount,
            i32::try_from(day).unwrap_or(base),
            u32::from(b & 1 == 1),
        )
    }

    fn first(&self) -> u64 {
        self[0]
    }
}

/// Whether rows with amounts in `amounts` and days in `days` (inclusive
/// ranges) fit a [`Compact`] row: amounts in 42 signed bits (±2.2 × 10^12
/// minor units), days within 2^21 of the first.
fn compact_fits(amounts: (i64, i64), days: (i32, i32)) -> bool {
    let limit = 1_i64 << (63 - COMPACT_DAY_BITS - 1);
    amounts.0 >= -limit && amounts.1 < limit && days.1.abs_diff(days.0) < (1 << COMPACT_DAY_BITS)
}

/// A log's amount, day and position columns.
type RowColumns = (Vec<i64>, Vec<i32>, Vec<u32>);

/// The rows grouped by customer value in numeric order, stably (each
/// customer's rows in input order), with their columns moved along.
struct Bucketed {
    /// Each customer's value, ascending.
    values: Vec<u64>,
    /// Each customer's first row (plus the end).
    starts: Vec<usize>,
    /// The input row of each grouped row.
    perm: Vec<u32>,
    /// Each grouped row's amount, day and position; positions are empty
    /// when they are the rows (then they equal `perm`).
    amount: Vec<i64>,
    day: Vec<i32>,
    position: Vec<u32>,
    /// The return flags: grouped when they moved along (see
    /// [`bucket_rows`]).
    returned: Moved<Vec<bool>>,
    /// The rows' (channel, store) pair indices, if any: grouped when they
    /// moved along.
    pair_of: Option<Moved<Vec<u8>>>,
    /// Whether every customer's grouped rows are in date order.
    days_sorted: bool,
}

/// Per-row columns that ride along with the moving rows where they fit:
/// the return flags, and the rows' indices into the (channel, store)
/// pairs. By input row.
#[derive(Default)]
struct RowFlags {
    returned: Vec<bool>,
    pair_of: Option<Vec<u8>>,
}

/// A per-row column either grouped along with the rows, or still by input
/// row (to be read through `perm`).
enum Moved<T> {
    Grouped(T),
    ByRow(T),
}

/// Bit of a moving row's `low` where a carried pair index starts: pairs
/// ride along when the value's low bits (and the sort's digits over them,
/// see [`sort_moving`]) stay below it.
const PAIR_SHIFT: u32 = 24;

/// The most low bits with which a pair index can ride along: the sort's
/// digits cover `passes × width` bits, at most 22 for 22 bits (two
/// passes of 11), within [`PAIR_SHIFT`].
const PAIR_LOW_BITS: u32 = 22;

/// One bucket's moving rows and its places in the output columns.
struct BucketOut<'a, M> {
    bucket: usize,
    rows: &'a mut [M],
    perm: &'a mut [u32],
    amount: &'a mut [i64],
    day: &'a mut [i32],
    /// Empty when positions are rebuilt from `perm`.
    position: &'a mut [u32],
    /// Empty unless return flags moved along.
    flags: &'a mut [bool],
    /// Empty unless pair indices moved along.
    pairs: &'a mut [u8],
}

/// Splits `data` into consecutive slices of the given lengths (the last
/// one takes whatever is left).
fn split_lengths<T>(mut data: &mut [T], lengths: impl IntoIterator<Item = usize>) -> Vec<&mut [T]> {
    let mut out = Vec::new();
    for len in lengths {
        let (head, tail) = data.split_at_mut(len.min(data.len()));
        out.push(head);
        data = tail;
    }
    out
}

/// Groups the rows by customer value (`keys`, below `2^key_bits`): one
/// pass scatters each row, with its amount, day and position, into the
/// bucket of its value's top [`BUCKET_BITS`] bits (a counting sort: rows
/// stay in input order within a bucket); each bucket is then sorted by
/// the rest of the value on its own (cache-sized) and read out in order.
/// Versus sorting `(value, row)` and gathering the columns by row
/// afterwards, no row is fetched from a random place. With `parallel`
/// every step runs on all threads: the scatter in consecutive parts of
/// the rows, each into its own share of every bucket. `None` when the
/// value's remaining bits do not fit 32, or the columns do not match
/// `keys`.
fn bucket_rows(
    keys: &[u64],
    key_bits: u32,
    columns: RowColumns,
    flags: RowFlags,
) -> Result<Bucketed, (RowColumns, RowFlags)> {
    // One part per thread, of at least 2^20 rows each.
    let parts = (keys.len() >> 20).clamp(1, crate::par::threads());
    bucket_rows_in(keys, key_bits, columns, flags, parts)
}

/// [`bucket_rows`], scattering in `parts` parts.
fn bucket_rows_in(
    keys: &[u64],
    key_bits: u32,
    (amount, day, mut position): RowColumns,
    flags: RowFlags,
    parts: usize,
) -> Result<Bucketed, (RowColumns, RowFlags)> {
    let rows = keys.len();
    let top = key_bits.min(BUCKET_BITS);
    let low_bits = key_bits - top;
    if amount.len() != rows
        || day.len() != rows
        // Empty positions are the rows' own (see `Positions`).
        || (!position.is_empty() && position.len() != rows)
        || low_bits > u32::BITS
        || u32::try_from(rows).is_err()
        || flags.pair_of.as_ref().is_some_and(|p| p.len() != rows)
    {
        return Err(((amount, day, position), flags));
    }
    let buckets = 1_usize << top;
    let bucket = |k: u64| usize::try_from(k >> low_bits).unwrap_or(0);
    // Consecutive parts of the rows, each scanned once (in parallel): its
    // count per bucket, its ranges of amounts and days (whether rows fit
    // two words) and whether its positions are its rows.
    let parts = parts.clamp(1, rows.max(1));
    let part_len = rows.div_ceil(parts).max(1);
    let scans: Vec<PartScan> = crate::par::column(parts, |p| {
        let mut counts = vec![0_usize; buckets];
        let from = (p * part_len).min(rows);
        let to = (from + part_len).min(rows);
        for &k in keys.get(from..to).unwrap_or_default() {
            if let Some(c) = counts.get_mut(bucket(k)) {
                *c += 1;
            }
        }
        let amounts = amount.get(from..to).unwrap_or_default().iter();
        let days = day.get(from..to).unwrap_or_default().iter();
        let a = amounts.fold((i64::MAX, i64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let d = days.fold((i32::MAX, i32::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let positions = position.get(from..to).unwrap_or_default();
        let identity = positions
            .iter()
            .zip(from..)
            .all(|(&p, row)| u32::try_from(row) == Ok(p));
        (counts, a, d, identity)
    });
    let (amounts, days) = scans.iter().fold(
        ((i64::MAX, i64::MIN), (i32::MAX, i32::MIN)),
        |(a, d), &(_, pa, pd, _)| {
            (
                (a.0.min(pa.0), a.1.max(pa.1)),
                (d.0.min(pd.0), d.1.max(pd.1)),
            )
        },
    );
    // Positions 0, 1, 2, … (no row was skipped or cancelled: the usual
    // case) equal the rows, so they equal `perm` once the rows have moved
    // (the output's `position` stays empty), and their place in a moving
    // row carries the row's return flag instead.
    let identity = scans.iter().all(|s| s.3) && flags.returned.len() == rows;
    if identity {
        position = Vec::new();
    }
    let part_counts: Vec<Vec<usize>> = scans.into_iter().map(|s| s.0).collect();
    let bucket_len = |b: usize| {
        part_counts
            .iter()
            .map(|c| c.get(b).copied().unwrap_or(0))
            .sum()
    };
    let lengths: Vec<usize> = (0..buckets).map(bucket_len).collect();
    let spread = Spread {
        keys,
        low_bits,
        buckets,
        part_len,
        part_counts,
        lengths,
        identity,
        base: days.0,
    };
    let columns = (amount, day, position);
    if identity && (rows == 0 || compact_fits(amounts, days)) {
        Ok(move_rows::<Compact>(spread, columns, flags))
    } else {
        Ok(move_rows::<[u64; 3]>(spread, columns, flags))
    }
}

/// A part's scan in [`bucket_rows`]: its count of rows per bucket, its
/// ranges of amounts and days, whether its positions are its rows.
type PartScan = (Vec<usize>, (i64, i64), (i32, i32), bool);

/// What [`move_rows`] needs to know of the rows it moves.
struct Spread<'a> {
    keys: &'a [u64],
    /// Bits of a value below its bucket's.
    low_bits: u32,
    buckets: usize,
    /// Rows per part (the last part may have fewer).
    part_len: usize,
    /// Each part's count of rows per bucket.
    part_counts: Vec<Vec<usize>>,
    /// Rows per bucket.
    lengths: Vec<usize>,
    /// Whether the positions are the rows.
    identity: bool,
    /// The first day (for [`Compact`] rows).
    base: i32,
}

/// The scatter, sort and read-out of [`bucket_rows`], with rows moving as
/// `M`.
fn move_rows<M: Moving>(
    spread: Spread<'_>,
    (mut amount, mut day, mut position): RowColumns,
    RowFlags {
        mut returned,
        mut pair_of,
    }: RowFlags,
) -> Bucketed {
    let Spread {
        keys,
        low_bits,
        buckets,
        part_len,
        part_counts,
        lengths,
        identity,
        base,
    } = spread;
    let rows = keys.len();
    let parts = part_counts.len();
    let low_mask = (1_u64 << low_bits) - 1;
    let bucket = |k: u64| usize::try_from(k >> low_bits).unwrap_or(0);
    let carried: &[u32] = &position;
    // Pair indices ride in the top bits of `low` when the value leaves
    // room.
    let carry_pair = pair_of.is_some() && low_bits <= PAIR_LOW_BITS;
    let pairs_in: &[u8] = match &pair_of {
        Some(p) if carry_pair => p,
        _ => &[],
    };
    let mut moving_rows: Vec<M> = M::zeroed(rows);
    {
        // Each part's share of each bucket: bucket-major, part-minor.
        let shares = (0..buckets).flat_map(|b| {
            part_counts
                .iter()
                .map(move |c| c.get(b).copied().unwrap_or(0))
        });
        let mut slices = split_lengths(&mut moving_rows, shares).into_iter();
        let mut by_part: Vec<Vec<&mut [M]>> =
            (0..parts).map(|_| Vec::with_capacity(buckets)).collect();
        for _ in 0..buckets {
            for part in &mut by_part {
                part.extend(slices.next());
            }
        }
        let scatter = |(p, mut shares): (usize, Vec<&mut [M]>)| {
            let from = (p * part_len).min(rows);
            let to = (from + part_len).min(rows);
            let mut cursor = vec![0_usize; buckets];
            let positions = carried.get(from..to).unwrap_or_default().iter().copied();
            let flags = returned.get(from..to).unwrap_or_default().iter();
            let positions = positions.chain(flags.map(|&r| u32::from(r)));
            let pairs = pairs_in.get(from..to).unwrap_or_default().iter().copied();
            let columns = keys
                .get(from..to)
                .unwrap_or_default()
                .iter()
                .zip(amount.get(from..to).unwrap_or_default())
                .zip(day.get(from..to).unwrap_or_default())
                .zip(positions.chain(std::iter::repeat(0)))
                .zip(pairs.chain(std::iter::repeat(0)));
            for (row, ((((&k, &a), &d), pos), pair)) in (from..to).zip(columns) {
                let b = bucket(k);
                let (Some(share), Some(at)) = (shares.get_mut(b), cursor.get_mut(b)) else {
                    continue;
                };
                if let Some(slot) = share.get_mut(*at) {
                    let low = u32::try_from(k & low_mask).unwrap_or(u32::MAX)
                        | (u32::from(pair) << PAIR_SHIFT);
                    let row = u32::try_from(row).unwrap_or(u32::MAX);
                    *slot = M::pack(low, row, a, d, pos, base);
                }
                *at += 1;
            }
        };
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            by_part.into_par_iter().enumerate().for_each(scatter);
        }
        #[cfg(not(feature = "parallel"))]
        by_part.into_iter().enumerate().for_each(scatter);
    }
    // Each bucket sorted on its own, then read out into its own place of
    // the output columns: the input columns' memory, mapped already, whose
    // every value the read-out overwrites (no fill pass). The return flags
    // and pair indices that rode along overwrite their input columns.
    let mut perm = vec![0_u32; rows];
    let position_lengths = lengths.iter().map(|&l| if identity { 0 } else { l });
    let flag_lengths = lengths.iter().map(|&l| if identity { l } else { 0 });
    let pair_lengths = lengths.iter().map(|&l| if carry_pair { l } else { 0 });
    let mut no_pairs = Vec::new();
    let pairs_out = match &mut pair_of {
        Some(p) if carry_pair => p,
        _ => &mut no_pairs,
    };
    let work: Vec<BucketOut<'_, M>> = split_lengths(&mut moving_rows, lengths.iter().copied())
        .into_iter()
        .zip(split_lengths(&mut perm, lengths.iter().copied()))
        .zip(split_lengths(&mut amount, lengths.iter().copied()))
        .zip(split_lengths(&mut day, lengths.iter().copied()))
        .zip(split_lengths(&mut position, position_lengths))
        .zip(split_lengths(&mut returned, flag_lengths))
        .zip(split_lengths(pairs_out, pair_lengths))
        .enumerate()
        .map(
            |(bucket, ((((((rows, perm), amount), day), position), flags), pairs))| BucketOut {
                bucket,
                rows,
                perm,
                amount,
                day,
                position,
                flags,
                pairs,
            },
        )
        .collect();
    let low_only = if carry_pair {
        (1_u32 << PAIR_SHIFT) - 1
    } else {
        u32::MAX
    };
    let read_out = |spare: &mut Vec<M>, out: BucketOut<'_, M>| {
        let BucketOut {
            bucket: b,
            rows,
            perm,
            amount,
            day,
            position,
            flags,
            pairs,
        } = out;
        sort_moving(rows, low_bits, spare);
        let high = u64::try_from(b).unwrap_or(0) << low_bits;
        let mut values = Vec::new();
        let mut starts = Vec::new();
        let mut days_sorted = true;
        let mut previous = i32::MIN;
        for (i, m) in rows.iter().enumerate() {
            let (low, row, a, d, pos) = m.unpack(base);
            let value = high | u64::from(low & low_only);
            if values.last() == Some(&value) {
                days_sorted &= d >= previous;
            } else {
                values.push(value);
                starts.push(i);
            }
            previous = d;
            if let Some(pair) = pairs.get_mut(i) {
                *pair = u8::try_from(low >> PAIR_SHIFT).unwrap_or(0);
            }
            if let (Some(p), Some(am), Some(dy)) =
                (perm.get_mut(i), amount.get_mut(i), day.get_mut(i))
            {
                (*p, *am, *dy) = (row, a, d);
            }
            if let Some(ps) = position.get_mut(i) {
                *ps = pos;
            }
            if let Some(flag) = flags.get_mut(i) {
                *flag = pos != 0;
            }
        }
        (values, starts, days_sorted)
    };
    #[cfg(feature = "parallel")]
    let per_bucket: Vec<(Vec<u64>, Vec<usize>, bool)> = {
        use rayon::prelude::*;
        work.into_par_iter().map_init(Vec::new, read_out).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let per_bucket: Vec<(Vec<u64>, Vec<usize>, bool)> = {
        let mut spare = Vec::new();
        work.into_iter().map(|w| read_out(&mut spare, w)).collect()
    };
    // Freeing the moving rows takes a while: another thread does it.
    crate::par::drop_later(moving_rows);
    // The buckets' customers, one after another (in parallel).
    let customers = per_bucket.iter().map(|(v, _, _)| v.len()).sum();
    let days_sorted = per_bucket.iter().all(|b| b.2);
    let mut values = vec![0_u64; customers];
    let mut starts = vec![0_usize; customers + 1];
    let counts = || per_bucket.iter().map(|(v, _, _)| v.len());
    let first_rows = lengths.iter().scan(0, |row, &len| {
        let first = *row;
        *row += len;
        Some(first)
    });
    let pieces: Vec<_> = split_lengths(&mut values, counts())
        .into_iter()
        .zip(split_lengths(&mut starts, counts()))
        .zip(per_bucket.iter().zip(first_rows))
        .collect();
    crate::par::for_each(pieces, |((values, starts), ((v, s, _), first))| {
        for (to, &from) in values.iter_mut().zip(v) {
            *to = from;
        }
        for (to, &from) in starts.iter_mut().zip(s) {
            *to = from + first;
        }
    });
    if let Some(end) = starts.last_mut() {
        *end = rows;
    }
    Bucketed {
        values,
        starts,
        perm,
        amount,
        day,
        position,
        returned: if identity {
            Moved::Grouped(returned)
        } else {
            Moved::ByRow(returned)
        },
        pair_of: pair_of.map(|p| {
            if carry_pair {
                Moved::Grouped(p)
            } else {
                Moved::ByRow(p)
            }
        }),
        days_sorted,
    }
}

/// Sorts a bucket by `low` (its `bits` low bits), stably: a least
/// significant digit radix sort in passes of equal digits of at most 11
/// bits (the bucket and its counts stay in the cache), back and forth
/// between `rows` and `spare`, skipping a pass whose digit is the same
/// everywhere.
fn sort_moving<M: Moving>(rows: &mut [M], bits: u32, spare: &mut Vec<M>) {
    const MAX_DIGIT: u32 = 11;
    if rows.len() < 2 || bits == 0 {
        return;
    }
    spare.clear();
    spare.extend_from_slice(rows);
    let passes = bits.div_ceil(MAX_DIGIT);
    let width = bits.div_ceil(passes);
    let mask = (1_u64 << width) - 1;
    let mut counts = vec![0_usize; 1 << width];
    // Sorted data alternates between `rows` and `spare`.
    let mut in_spare = false;
    let mut shift = 0;
    while shift < bits {
        let at = shift + 32;
        shift += width;
        let digit = move |m: &M| usize::try_from((m.first() >> at) & mask).unwrap_or(0);
        let (from, to): (&mut [M], &mut [M]) = if in_spare {
            (spare.as_mut_slice(), &mut *rows)
        } else {
            (&mut *rows, spare.as_mut_slice())
        };
        counts.iter_mut().for_each(|c| *c = 0);
        for m in from.iter() {
            if let Some(c) = counts.get_mut(digit(m)) {
                *c += 1;
            }
        }
        if counts.contains(&from.len()) {
            continue;
        }
        let mut sum = 0;
        for c in &mut counts {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for m in from.iter() {
            if let Some(c) = counts.get_mut(digit(m)) {
                if let Some(slot) = to.get_mut(*c) {
                    *slot = *m;
                }
                *c += 1;
            }
        }
        in_spare = !in_spare;
    }
    if in_spare {
        rows.copy_from_slice(spare);
    }
}

/// The amount, day and position columns of `rows[perm[i]]` for each `i`,
/// on all threads with `parallel`.
fn gather_side_by_side(perm: &[u32], rows: &[(i64, i32, u32)]) -> (Vec<i64>, Vec<i32>, Vec<u32>) {
    const CHUNK: usize = 1 << 16;
    let n = perm.len();
    let mut amount = vec![0_i64; n];
    let mut day = vec![0_i32; n];
    let mut position = vec![0_u32; n];
    let fill = |(((a, d), p), at): RowChunks<'_>| {
        for (((a, d), p), &r) in a.iter_mut().zip(d).zip(p).zip(at) {
            if let Some(&(x, y, z)) = rows.get(crate::id::widen(r)) {
                (*a, *d, *p) = (x, y, z);
            }
        }
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        amount
            .par_chunks_mut(CHUNK)
            .zip(day.par_chunks_mut(CHUNK))
            .zip(position.par_chunks_mut(CHUNK))
            .zip(perm.par_chunks(CHUNK))
            .for_each(fill);
    }
    #[cfg(not(feature = "parallel"))]
    {
        amount
            .chunks_mut(CHUNK)
            .zip(day.chunks_mut(CHUNK))
            .zip(position.chunks_mut(CHUNK))
            .zip(perm.chunks(CHUNK))
            .for_each(fill);
    }
    (amount, day, position)
}

/// `column[perm[i]]` for each `i`, on all threads with `parallel`.
fn gather_rows<T: Copy + Default + Send + Sync>(perm: &[u32], column: &[T]) -> Vec<T> {
    crate::par::column(perm.len(), |i| {
        perm.get(i)
            .and_then(|&r| column.get(crate::id::widen(r)))
            .copied()
            .unwrap_or_default()
    })
}

/// Sorts `values` by their bits `low..high`, stably: a least-significant
/// digit radix sort, 11 bits a pass, skipping a pass whose digit is the
/// same in every value.
fn radix_sort(mut values: Vec<u64>, low: u32, high: u32) -> Vec<u64> {
    const DIGIT: u32 = 11;
    let mut spare: Vec<u64> = Vec::new();
    let mut shift = low;
    while shift < high {
        let bits = (high - shift).min(DIGIT);
        let mask = (1_u64 << bits) - 1;
        let digit = |v: u64| usize::try_from((v >> shift) & mask).unwrap_or(0);
        let mut counts = vec![0_usize; 1 << bits];
        for &v in &values {
            if let Some(c) = counts.get_mut(digit(v)) {
                *c += 1;
            }
        }
        if counts.iter().all(|&c| c == 0 || c == values.len()) {
            shift += bits;
            continue;
        }
        let mut sum = 0;
        for c in &mut counts {
            let n = *c;
            *c = sum;
            sum += n;
        }
        if spare.len() != values.len() {
            spare = vec![0_u64; values.len()];
        }
        for &v in &values {
            if let Some(c) = counts.get_mut(digit(v)) {
                if let Some(slot) = spare.get_mut(*c) {
                    *slot = v;
                }
                *c += 1;
            }
        }
        std::mem::swap(&mut values, &mut spare);
        shift += bits;
    }
    values
}

/// The text order of a canonical decimal id (see [`canonical_id`]) as a
/// number: its digits left-aligned in 19 places, then its length, so that
/// `"1" < "10" < "100" < "11" < "9"` as strings compare.
fn text_key(value: u64) -> (u64, u32) {
    let digits = value.checked_ilog10().map_or(1, |l| l + 1);
    let aligned = 10_u64
        .checked_pow(19_u32.saturating_sub(digits))
        .and_then(|pad| value.checked_mul(pad))
        .unwrap_or(u64::MAX);
    (aligned, digits)
}

/// `out[dest[i]] = values[i]`.
fn scatter<T: Copy + Default>(dest: &[u32], values: Vec<T>) -> Vec<T> {
    let mut out = vec![T::default(); values.len()];
    for (&d, v) in dest.iter().zip(values) {
        if let Some(slot) = out.get_mut(crate::id::widen(d)) {
            *slot = v;
        }
    }
    out
}

/// Validated orders as columns, grouped by customer: the output of the
/// ingest stage and the input of every later one.
///
/// Built by [`IngestConfig::ingest`], [`IngestConfig::ingest_for`] or a
/// [`LogBuilder`]; see the [module docs](self). Each kept row is a
/// completed order or a return; customer `i` of the [`index`](Self::index)
/// owns rows `range(i)`, sorted by (date, input position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLog {
    config: IngestConfig,
    index: Arc<CustomerIndex>,
    offsets: Vec<u32>,
    day: Vec<i32>,
    amount: Vec<i64>,
    position: Vec<u32>,
    returned: Vec<bool>,
    cost: Option<Vec<Option<i64>>>,
    /// Shared with the summaries built from the log.
    first_orders: Arc<FirstOrders>,
    skipped: Vec<Skipped>,
    cancelled: usize,
}

/// One kept row of an [`OrderLog`], as [`OrderLog::customer_rows`] yields
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Row {
    /// The order's date.
    pub date: NaiveDate,
    /// The amount (a refund `<= 0` for a return).
    pub amount: Money,
    /// Whether the row is a return.
    pub returned: bool,
    /// The cost, if the order had one.
    pub cost: Option<Money>,
    /// 0-based position of the order in the input.
    pub position: usize,
}

impl OrderLog {
    /// Sorts each customer's rows by date (stable: equal dates keep input
    /// order). Exports are usually chronological, so most customers are
    /// already sorted and cost one scan.
    fn sort_days(&mut self) {
        let n = self.index.len();
        // The customers whose rows are out of date order (few: exports are
        // mostly sorted by time), found on all threads with `parallel`.
        let unsorted: Vec<usize> = crate::par::column(n, |c| {
            let sorted = self.day.get(self.range(c)).is_none_or(<[i32]>::is_sorted);
            (!sorted).then_some(c)
        })
        .into_iter()
        .flatten()
        .collect();
        for c in unsorted {
            let range = self.range(c);
            let Some(days) = self.day.get(range.clone()) else {
                continue;
            };
            if days.is_sorted() {
                continue;
            }
            let mut perm: Vec<usize> = range.clone().collect();
            perm.sort_by_key(|&r| self.day.get(r).copied().unwrap_or(0));
            let start = range.start;
            permute(&mut self.day, start, &perm);
            permute(&mut self.amount, start, &perm);
            permute(&mut self.position, start, &perm);
            permute(&mut self.returned, start, &perm);
            if let Some(cost) = &mut self.cost {
                permute(cost, start, &perm);
            }
        }
    }

    /// The log as of an earlier date: each customer's rows dated on or
    /// before `as_of`, and only the customers who have one, numbered in
    /// the same id order. Everything built from it (summaries, scores,
    /// cohorts, BTYD inputs) is what the pipeline would have given on that
    /// date; [`skipped`](Self::skipped) and [`cancelled`](Self::cancelled)
    /// are the whole input's, and rows keep their input positions.
    ///
    /// One pass over the rows (each customer's rows are sorted by date).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `as_of`) if `as_of` is after the
    /// log's own date: rows after that date were never kept, so a later
    /// view would silently miss them.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ingest::IngestConfig;
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::Money;
    ///
    /// let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let mut log = IngestConfig::new(day(6, 30)?).builder();
    /// log.push("alice", day(1, 10)?, Money::new(500))?;
    /// log.push("alice", day(5, 2)?, Money::new(700))?;
    /// log.push("bob", day(4, 1)?, Money::new(900))?;
    /// let log = log.build()?;
    ///
    /// let march = Summaries::from_log(&log.until(day(3, 31)?)?)?;
    /// let alice = march.get("alice").ok_or("missing")?;
    /// assert_eq!((march.len(), alice.orders(), alice.recency_days()), (1, 1, Some(80)));
    /// assert!(log.until(day(7, 1)?).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn until(&self, as_of: NaiveDate) -> Result<OrderLog> {
        if as_of > self.as_of() {
            return Err(Error::config(
                "as_of",
                format!(
                    "{as_of} is after the log's as-of date {}; rows after it were never kept",
                    self.as_of()
                ),
            ));
        }
        let last = as_of.num_days_from_ce();
        let mut ids = Vec::new();
        let mut keep: Vec<std::ops::Range<usize>> = Vec::new();
        let mut kept_customers = Vec::new();
        for (c, id) in self.index.iter().enumerate() {
            let range = self.range(c);
            let days = self.day.get(range.clone()).unwrap_or_default();
            let kept = days.partition_point(|&d| d <= last);
            if kept == 0 {
                continue;
            }
            ids.push(id.clone());
            keep.push(range.start..range.start + kept);
            kept_customers.push(c);
        }
        let mut offsets = Vec::with_capacity(keep.len() + 1);
        offsets.push(0_u32);
        let mut at = 0_u32;
        for r in &keep {
            // Fewer rows than the log, whose counts fit in u32.
            at = at.saturating_add(u32::try_from(r.len()).unwrap_or(u32::MAX));
            offsets.push(at);
        }
        let mut config = self.config.clone();
        config.as_of = as_of;
        Ok(OrderLog {
            config,
            index: Arc::new(CustomerIndex {
                ids,
                id_order: self.index.id_order(),
            }),
            offsets,
            day: gather(&self.day, &keep),
            amount: gather(&self.amount, &keep),
            position: gather(&self.position, &keep),
            returned: gather(&self.returned, &keep),
            cost: self.cost.as_ref().map(|c| gather(c, &keep)),
            first_orders: Arc::new(self.first_orders.select(kept_customers, last)),
            skipped: self.skipped.clone(),
            cancelled: self.cancelled,
        })
    }

    /// The config the log was ingested with.
    #[must_use]
    pub fn config(&self) -> &IngestConfig {
        &self.config
    }

    /// The as-of date orders were checked against.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.config.as_of
    }

    /// The customers with a kept row, in the id order.
    #[must_use]
    pub fn index(&self) -> &Arc<CustomerIndex> {
        &self.index
    }

    /// The number of kept rows (completed orders and returns).
    #[must_use]
    pub fn rows(&self) -> usize {
        self.day.len()
    }

    /// Whether no row was kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.day.is_empty()
    }

    /// Orders that were not kept, in input order, with the reason:
    /// invalid ones under [`Validation::Lenient`] and ones after the as-of
    /// date under [`FutureOrders::Ignore`].
    #[must_use]
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// The number of valid cancelled orders (they count nowhere).
    #[must_use]
    pub fn cancelled(&self) -> usize {
        self.cancelled
    }

    /// The row range of the customer at `position` (empty if out of range).
    pub(crate) fn range(&self, position: usize) -> std::ops::Range<usize> {
        let at = |i: usize| self.offsets.get(i).map_or(0, |&o| crate::id::widen(o));
        at(position)..at(position + 1).max(at(position))
    }

    /// The rows of the customer at `position`, by date.
    pub fn customer_rows(&self, position: usize) -> impl Iterator<Item = Row> + '_ {
        self.range(position).filter_map(move |r| {
            let day = *self.day.get(r)?;
            Some(Row {
                date: day_to_date(day)?,
                amount: Money::new(*self.amount.get(r)?),
                returned: *self.returned.get(r)?,
                cost: self
                    .cost
                    .as_ref()
                    .and_then(|c| c.get(r).copied().flatten())
                    .map(Money::new),
                position: crate::id::widen(*self.position.get(r)?),
            })
        })
    }

    /// The first orders, shared.
    pub(crate) fn first_orders_shared(&self) -> Arc<FirstOrders> {
        Arc::clone(&self.first_orders)
    }

    /// The columns for the summary kernel.
    pub(crate) fn columns(&self) -> LogColumns<'_> {
        LogColumns {
            day: &self.day,
            amount: &self.amount,
            returned: &self.returned,
            cost: self.cost.as_deref(),
            first_orders: &self.first_orders,
        }
    }
}

/// Borrowed columns of a log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogColumns<'a> {
    pub(crate) day: &'a [i32],
    pub(crate) amount: &'a [i64],
    pub(crate) returned: &'a [bool],
    pub(crate) cost: Option<&'a [Option<i64>]>,
    pub(crate) first_orders: &'a FirstOrders,
}

/// The rows of `column` in the ranges `keep`, in order.
fn gather<T: Copy>(column: &[T], keep: &[std::ops::Range<usize>]) -> Vec<T> {
    let mut out = Vec::with_capacity(keep.iter().map(ExactSizeIterator::len).sum());
    for r in keep {
        out.extend_from_slice(column.get(r.clone()).unwrap_or_default());
    }
    out
}

/// Reorders `column[start..start + perm.len()]` so that slot `i` takes the
/// value at `perm[i]` (absolute indices).
fn permute<T: Copy>(column: &mut [T], start: usize, perm: &[usize]) {
    let picked: Vec<T> = perm
        .iter()
        .filter_map(|&r| column.get(r).copied())
        .collect();
    if let Some(dst) = column.get_mut(start..start + picked.len()) {
        dst.copy_from_slice(&picked);
    }
}

/// A day number (days from the common era, as `num_days_from_ce`) back to
/// a date.
pub(crate) fn day_to_date(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The fast reading equals a checked one, on digits, near-digits
        /// and other bytes, of every length.
        #[test]
        fn canonical_ids_equal_digit_by_digit(
            text in "[0-9]{0,21}|[0-9/:]{1,12}|[0-9a-f -]{1,20}|0[0-9]{0,5}",
        ) {
            let reference = || -> Option<u64> {
                let bytes = text.as_bytes();
                if bytes.is_empty() || bytes.len() > 19 || (bytes.len() > 1 && bytes[0] == b'0') {
                    return None;
                }
                bytes.iter().try_fold(0_u64, |v, &b| {
                    b.is_ascii_digit().then_some(())?;
                    v.checked_mul(10)?.checked_add(u64::from(b - b'0'))
                })
            };
            proptest::prop_assert_eq!(canonical_id(&text), reference());
        }
    }

    #[test]
    fn positions_are_listed_from_the_first_row_elsewhere() {
        let mut p = Positions::default();
        p.push(0, 0);
        p.extend(1, 1, 3);
        assert!(!p.listed && p.list.is_empty());
        assert_eq!((p.get(0), p.get(3)), (Some(0), Some(3)));
        // Row 4 is push 6 (two pushes skipped): the list is written out.
        p.push(4, 6);
        p.extend(5, 7, 2);
        assert_eq!(p.get(4), Some(6));
        assert_eq!(p.clone().into_vec(7), [0, 1, 2, 3, 6, 7, 8]);
        assert_eq!(Positions::default().into_vec(3), [0, 1, 2]);
    }

    #[test]
    fn eight_digits_at_once() {
        assert_eq!(eight_digits(*b"12345678"), Some(12_345_678));
        assert_eq!(eight_digits(*b"00000000"), Some(0));
        assert_eq!(eight_digits(*b"99999999"), Some(99_999_999));
        assert_eq!(eight_digits(*b"90000001"), Some(90_000_001));
        // A byte just outside 0-9 anywhere: '/' and ':' sit beside the
        // digits, 0xb5 has the digits' low nibble.
        for bad in [b'/', b':', b'a', b' ', 0xb5, 0x39 + 0x80] {
            for at in 0..8 {
                let mut bytes = *b"12345678";
                bytes[at] = bad;
                assert_eq!(eight_digits(bytes), None, "{bad:#x} at {at}");
            }
        }
    }

    #[test]
    fn canonical_ids() {
        assert_eq!(canonical_id("0"), Some(0));
        assert_eq!(canonical_id("42"), Some(42));
        assert_eq!(
            canonical_id("9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        assert_eq!(
            canonical_id("999999999999999999"),
            Some(999_999_999_999_999_999)
        );
        for not in [
            "12a",
            "1/",
            "99999999999999999:",
            "",
            "07",
            "00",
            "+1",
            "-1",
            "1.0",
            "1e3",
            "10000000000000000000",
            "A-1",
        ] {
            assert_eq!(canonical_id(not), None, "{not}");
        }
    }

    #[test]
    fn seen_ids_keep_counting_ids_in_one_run() {
        let mut seen = SeenIds::default();
        for (index, id) in (1_u64..=1000).enumerate() {
            seen.insert(&id.to_string(), canonical_id(&id.to_string()), index);
        }
        assert_eq!(seen.runs.len(), 1);
        assert!(seen.other.is_empty());
        assert_eq!(
            (
                seen.get("1", canonical_id("1")),
                seen.get("1000", canonical_id("1000"))
            ),
            (Some(0), Some(999))
        );
        assert_eq!(
            (
                seen.get("0", canonical_id("0")),
                seen.get("1001", canonical_id("1001")),
                seen.get("01", canonical_id("01"))
            ),
            (None, None, None)
        );
        // A gap in positions (a row without id) starts a new run; a lower
        // id, a non-canonical one and text go to the map.
        seen.insert("1001", canonical_id("1001"), 1001);
        seen.insert("500", canonical_id("500"), 1002);
        seen.insert("7", canonical_id("7"), 1003);
        seen.insert("0500", canonical_id("0500"), 1004);
        seen.insert("A-1", canonical_id("A-1"), 1005);
        seen.insert("A-1", canonical_id("A-1"), 1006);
        assert_eq!(seen.runs.len(), 2);
        assert_eq!(
            ["1001", "500", "7", "0500", "A-1"].map(|id| seen.get(id, canonical_id(id))),
            [Some(1001), Some(499), Some(6), Some(1004), Some(1005)]
        );
    }

    /// Orders for the deferral tests: integer customers (one of them
    /// `007` when `odd_customer`), ids counting up with gaps, repeats and
    /// text ids, a few channels, returns and cancellations.
    type DeferralOrder = (
        String,
        Option<String>,
        NaiveDate,
        Money,
        OrderStatus,
        Option<&'static str>,
    );

    fn deferral_orders(rows: &[(u8, u8, u8, u8, u8)], odd_customer: bool) -> Vec<DeferralOrder> {
        rows.iter()
            .enumerate()
            .map(|(i, &(c, id, day, amount, kind))| {
                let customer = if odd_customer && c == 0 {
                    "007".to_owned()
                } else {
                    (u32::from(c) * 1_000_003).to_string()
                };
                let order_id = match id % 8 {
                    0 => None,
                    1 => Some(format!("A-{}", id / 8)),
                    2 => Some((id / 8).to_string()),
                    _ => Some((i + 100).to_string()),
                };
                let status = match kind % 10 {
                    0 => OrderStatus::Returned,
                    1 => OrderStatus::Cancelled,
                    _ => OrderStatus::Completed,
                };
                let amount = i64::from(amount)
                    * if status == OrderStatus::Returned {
                        -1
                    } else {
                        1
                    };
                let channel = [None, Some("web"), Some("store")][usize::from(kind % 3)];
                let date = d(1 + u32::from(day % 2), 1 + u32::from(day % 28));
                (
                    customer,
                    order_id,
                    date,
                    Money::new(amount),
                    status,
                    channel,
                )
            })
            .collect()
    }

    proptest::proptest! {
        /// Deferred numbering (the default while ids are integers) builds
        /// the same log, skip report and errors as numbering every row as
        /// it comes, whenever deferral ends (`stop_at`).
        #[test]
        fn deferred_numbering_builds_the_same_log(
            rows in proptest::collection::vec((0_u8..12, 0_u8..40, 0_u8..60, 0_u8..50, 0_u8..30), 0..80),
            odd_customer in proptest::bool::ANY,
            lenient in proptest::bool::ANY,
            numeric in proptest::bool::ANY,
            plain in proptest::bool::ANY,
            stop_at in 0_usize..90,
        ) {
            let mut orders = deferral_orders(&rows, odd_customer);
            if plain {
                // Only ids that count up with the row (or none): numbering
                // stays deferred to the end, so `build` sorts.
                for (i, order) in orders.iter_mut().enumerate() {
                    if order.1.as_ref().is_some_and(|id| *id != (i + 100).to_string()) {
                        order.1 = None;
                    }
                }
            }
            let mut config = IngestConfig::new(d(2, 20)).future_orders(FutureOrders::Ignore);
            if numeric {
                config = config.id_order(IdOrder::Numeric);
            }
            if lenient {
                config = config.validation(Validation::Lenient);
            }
            let run = |stop: Option<usize>| -> Result<OrderLog> {
                let mut builder = config.builder();
                for (i, (customer, id, date, amount, status, channel)) in orders.iter().enumerate() {
                    if stop == Some(i) {
                        let _ = builder.customer_ids().count();
                    }
                    let mut record = OrderRecord::new(customer, *date, *amount).status(*status);
                    if let Some(id) = id {
                        record = record.order_id(id);
                    }
                    if let Some(channel) = channel {
                        record = record.channel(channel);
                    }
                    builder.push_record(record)?;
                }
                builder.build()
            };
            let deferred = run(None);
            proptest::prop_assert_eq!(&deferred, &run(Some(0)));
            proptest::prop_assert_eq!(&deferred, &run(Some(stop_at)));
            if let Ok(log) = &deferred {
                let summaries = crate::summary::Summaries::from_log(log);
                let stepwise = crate::summary::Summaries::from_log(&run(Some(0)).unwrap());
                proptest::prop_assert_eq!(summaries, stepwise);
            }
        }
    }

    #[test]
    fn compact_rows_keep_every_part_at_the_limits() {
        let limit = 1_i64 << 41;
        assert!(compact_fits((-limit, limit - 1), (5, 5 + (1 << 21) - 1)));
        assert!(!compact_fits((-limit - 1, 0), (0, 0)));
        assert!(!compact_fits((0, limit), (0, 0)));
        assert!(!compact_fits((0, 0), (5, 5 + (1 << 21))));
        let base = 730_000;
        for (amount, day, flag) in [
            (-limit, base, 1),
            (limit - 1, base + (1 << 21) - 1, 0),
            (0, base, 1),
        ] {
            let row = <Compact as Moving>::pack(u32::MAX, 7, amount, day, flag, base);
            assert_eq!(row.unpack(base), (u32::MAX, 7, amount, day, flag));
            assert_eq!(row.first(), (u64::from(u32::MAX) << 32) | 7);
        }
        let wide = <[u64; 3] as Moving>::pack(3, 9, i64::MIN, i32::MIN, u32::MAX, 0);
        assert_eq!(wide.unpack(0), (3, 9, i64::MIN, i32::MIN, u32::MAX));
    }

    #[test]
    fn radix_sort_is_stable_on_the_chosen_bits() {
        // Values `key << 4 | row`: sorting bits 4..64 orders by key and
        // keeps rows of one key in input order.
        let keys = [5_u64, 3, 5, 0, 1 << 40, 3, 2047, 2048, 0];
        let packed: Vec<u64> = keys.iter().zip(0..).map(|(&k, r)| (k << 4) | r).collect();
        let sorted = radix_sort(packed, 4, 64);
        let pairs: Vec<(u64, u64)> = sorted.iter().map(|v| (v >> 4, v & 15)).collect();
        assert_eq!(
            pairs,
            [
                (0, 3),
                (0, 8),
                (3, 1),
                (3, 5),
                (5, 0),
                (5, 2),
                (2047, 6),
                (2048, 7),
                (1 << 40, 4)
            ]
        );
        assert!(radix_sort(Vec::new(), 0, 64).is_empty());
    }

    #[test]
    fn text_keys_order_as_strings() {
        let mut ids: Vec<u64> = vec![
            9,
            10,
            1,
            100,
            11,
            0,
            1_000_003,
            99,
            9_999_999_999_999_999_999,
        ];
        ids.sort_by_key(|&v| text_key(v));
        let mut texts: Vec<String> = ids.iter().map(u64::to_string).collect();
        let sorted_texts = {
            let mut t = texts.clone();
            t.sort();
            t
        };
        assert_eq!(texts, sorted_texts);
        texts.dedup();
        assert_eq!(texts.len(), 9);
    }

    #[cfg(feature = "arrow")]
    proptest::proptest! {
        /// An integer column's value has the canonical value its decimal
        /// text parses to (so pushing it unparsed changes nothing).
        #[test]
        fn integer_keys_equal_parsed_texts(
            v in proptest::prop_oneof![
                proptest::strategy::Strategy::prop_map(proptest::num::i64::ANY, i128::from),
                proptest::strategy::Strategy::prop_map(proptest::num::u64::ANY, i128::from),
                proptest::sample::select(vec![0_i128, -1, 9_999_999_999_999_999_999, 10_000_000_000_000_000_000]),
            ],
        ) {
            proptest::prop_assert_eq!(Keys::of_int(v), canonical_id(&v.to_string()));
        }
    }

    proptest::proptest! {
        /// `SeenIds` answers as a plain map of first positions does.
        #[test]
        fn seen_ids_match_a_map(ids in proptest::collection::vec(
            proptest::prop_oneof![0_u64..40, 1_000_u64..1_010, proptest::strategy::Just(u64::MAX / 2)],
            0..60,
        ), zero_pad in proptest::collection::vec(proptest::bool::weighted(0.1), 60)) {
            let mut seen = SeenIds::default();
            let mut model = std::collections::HashMap::new();
            for (index, (id, pad)) in ids.iter().zip(&zero_pad).enumerate() {
                let text = if *pad { format!("0{id}") } else { id.to_string() };
                let expected = model.get(&text).copied();
                proptest::prop_assert_eq!(seen.get(&text, canonical_id(&text)), expected);
                seen.insert(&text, canonical_id(&text), index);
                model.entry(text).or_insert(index);
            }
            for (text, &index) in &model {
                proptest::prop_assert_eq!(seen.get(text, canonical_id(text)), Some(index));
            }
        }
    }

    proptest::proptest! {
        /// Moving the rows into buckets gives what sorting `(value, row)`
        /// and gathering the columns by row gives: values, block starts,
        /// rows and columns (return flags and pair indices too, whether
        /// they rode along or not), for values of 3 to 42 bits (one to
        /// four sort passes within a bucket), and whether every group's
        /// days ascend; beyond 42 bits the columns come back untouched.
        #[test]
        fn bucketed_rows_equal_sorted_and_gathered_rows(
            bits in proptest::sample::select(vec![3_u32, 10, 11, 20, 33, 42, 43, 60]),
            raw in proptest::collection::vec((proptest::num::u64::ANY, -50_i64..50, 0_i32..9), 0..3000),
            few in proptest::bool::ANY,
            dense in proptest::bool::ANY,
            parts in 1_usize..5,
            wide in 0_u8..3,
            with_pairs in proptest::bool::ANY,
        ) {
            // `few`: at most 40 distinct values, so customers have many rows.
            let mask = (1_u64 << bits) - 1;
            let keys: Vec<u64> = raw.iter().map(|&(k, _, _)| if few { (k % 40) * (mask / 40) } else { k & mask }).collect();
            // `wide`: amounts near and past 42 bits (two-word rows and the
            // three-word fallback), or days spread over centuries.
            let amount: Vec<i64> = raw.iter().map(|r| match wide {
                1 => r.1 << 35,
                _ => r.1,
            }).collect();
            let day: Vec<i32> = raw.iter().map(|r| match wide {
                2 => 700_000 + r.2 * 300_000,
                _ => r.2,
            }).collect();
            // `dense`: positions 0, 1, 2, … (no row skipped), else gaps.
            let step = if dense { 1 } else { 3 };
            let position: Vec<u32> = (0..u32::try_from(raw.len()).unwrap()).map(|p| p * step).collect();
            let key_bits = u64::BITS - keys.iter().copied().max().unwrap_or(0).leading_zeros();
            let rows = u64::try_from(keys.len()).unwrap();
            let row_bits = u64::BITS - rows.saturating_sub(1).leading_zeros();
            let columns = (amount.clone(), day.clone(), position.clone());
            let returned: Vec<bool> = amount.iter().map(|&a| a < 0).collect();
            // Pair indices up to 255 (every bit of the byte).
            let pair_of: Option<Vec<u8>> = with_pairs.then(|| raw.iter().map(|r| (r.0 >> 56) as u8).collect());
            let flags = RowFlags { returned: returned.clone(), pair_of: pair_of.clone() };
            match bucket_rows_in(&keys, key_bits, columns, flags, parts) {
                Ok(b) => {
                    proptest::prop_assert!(key_bits <= BUCKET_BITS + 32);
                    if row_bits + key_bits <= 64 {
                        let (values, starts, perm) = sort_by_value(keys.clone(), row_bits, key_bits);
                        proptest::prop_assert_eq!(&b.values, &values);
                        proptest::prop_assert_eq!(&b.starts, &starts);
                        proptest::prop_assert_eq!(&b.perm, &perm);
                    }
                    // Directly: every group's rows ascend and hold its value.
                    for (c, w) in b.starts.windows(2).enumerate() {
                        let rows_of = &b.perm[w[0]..w[1]];
                        proptest::prop_assert!(rows_of.windows(2).all(|p| p[0] < p[1]));
                        for &r in rows_of {
                            proptest::prop_assert_eq!(keys[r as usize], b.values[c]);
                        }
                    }
                    proptest::prop_assert!(b.values.windows(2).all(|v| v[0] < v[1]));
                    // Pairs ride along exactly when the value's low bits
                    // leave room.
                    let low_bits = key_bits.saturating_sub(BUCKET_BITS);
                    let grouped_pairs = matches!(b.pair_of, Some(Moved::Grouped(_)));
                    proptest::prop_assert_eq!(grouped_pairs, with_pairs && low_bits <= PAIR_LOW_BITS);
                    proptest::prop_assert_eq!(b.pair_of.is_some(), with_pairs);
                    for k in 0..keys.len() {
                        let row = b.perm[k] as usize;
                        proptest::prop_assert_eq!(b.amount[k], amount[row]);
                        proptest::prop_assert_eq!(b.day[k], day[row]);
                        let moved = if b.position.is_empty() { &b.perm } else { &b.position };
                        proptest::prop_assert_eq!(moved[k], position[row]);
                        match &b.returned {
                            Moved::Grouped(flags) => proptest::prop_assert_eq!(flags[k], returned[row]),
                            Moved::ByRow(flags) => proptest::prop_assert_eq!(flags, &returned),
                        }
                        match (&b.pair_of, &pair_of) {
                            (Some(Moved::Grouped(p)), Some(input)) => proptest::prop_assert_eq!(p[k], input[row]),
                            (Some(Moved::ByRow(p)), Some(input)) => proptest::prop_assert_eq!(p, input),
                            (None, None) => {}
                            _ => proptest::prop_assert!(false, "pair indices lost"),
                        }
                    }
                    // Return flags ride along when the positions are the rows.
                    proptest::prop_assert_eq!(matches!(b.returned, Moved::Grouped(_)), b.position.is_empty());
                    let sorted = b.starts.windows(2).all(|w| b.day[w[0]..w[1]].windows(2).all(|d| d[0] <= d[1]));
                    proptest::prop_assert_eq!(b.days_sorted, sorted);
                }
                Err(((a, d, p), flags)) => {
                    proptest::prop_assert!(key_bits > BUCKET_BITS + 32);
                    proptest::prop_assert_eq!((a, d, p), (amount, day, position));
                    proptest::prop_assert_eq!(flags.returned, returned);
                    proptest::prop_assert_eq!(flags.pair_of, pair_of);
                }
            }
        }
    }

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, day).unwrap()
    }

    #[test]
    fn rows_are_grouped_by_customer_and_sorted_by_date() {
        let orders = [
            Order::new("1", "b", d(1, 9), Money::new(10)),
            Order::new("2", "a", d(1, 5), Money::new(20)),
            Order::new("3", "b", d(1, 2), Money::new(30)),
            Order::new("4", "a", d(1, 5), Money::new(40)),
        ];
        let log = IngestConfig::new(d(2, 1)).ingest(&orders).unwrap();
        let a: Vec<(usize, i64)> = log
            .customer_rows(0)
            .map(|r| (r.position, r.amount.minor_units()))
            .collect();
        let b: Vec<(usize, i64)> = log
            .customer_rows(1)
            .map(|r| (r.position, r.amount.minor_units()))
            .collect();
        assert_eq!(a, [(1, 20), (3, 40)]);
        assert_eq!(b, [(2, 30), (0, 10)]);
    }

    #[test]
    fn numeric_order_and_lookups() {
        let index = CustomerIndex::new(["9", "100", "10"], IdOrder::Numeric).unwrap();
        let ids: Vec<&str> = index.iter().map(CustomerId::as_str).collect();
        assert_eq!(ids, ["9", "10", "100"]);
        assert_eq!(
            [
                index.position("9"),
                index.position("10"),
                index.position("100")
            ],
            [Some(0), Some(1), Some(2)]
        );
        assert_eq!(index.position("x"), None);
        let err = CustomerIndex::new(["9", "x"], IdOrder::Numeric).unwrap_err();
        assert!(matches!(err, Error::InvalidConfig { .. }));
        let err = CustomerIndex::new(["9", "9"], IdOrder::Text).unwrap_err();
        assert!(err.to_string().contains("appears twice"), "{err}");
    }

    #[test]
    fn cancelled_orders_count_for_duplicates_only() {
        let orders = [
            Order::new("X", "a", d(1, 1), Money::new(900)).with_status(OrderStatus::Cancelled),
            Order::new("Y", "b", d(1, 2), Money::new(100)),
        ];
        let log = IngestConfig::new(d(2, 1)).ingest(&orders).unwrap();
        assert_eq!((log.rows(), log.cancelled(), log.index().len()), (1, 1, 1));
    }

    #[test]
    fn lying_size_hint_does_not_abort() {
        struct Liar<'a>(std::slice::Iter<'a, Order>);
        impl<'a> Iterator for Liar<'a> {
            type Item = &'a Order;
            fn next(&mut self) -> Option<&'a Order> {
                self.0.next()
            }
            fn size_hint(&self) -> (usize, Option<usize>) {
                (usize::MAX, None)
            }
        }
        let orders = [Order::new("1", "a", d(1, 1), Money::new(5))];
        let log = IngestConfig::new(d(2, 1))
            .ingest(Liar(orders.iter()))
            .unwrap();
        assert_eq!(log.rows(), 1);
    }

    #[test]
    fn records_match_orders() {
        let orders = [
            Order::new("A-2", "b", d(1, 9), Money::new(10))
                .with_channel("app")
                .with_store("osaka")
                .with_cost(Money::new(4)),
            Order::new("A-1", "b", d(1, 9), Money::new(30)).with_channel("web"),
            Order::new("A-3", "a", d(1, 5), Money::new(-20)).with_status(OrderStatus::Returned),
            Order::new("A-4", "a", d(1, 6), Money::new(99)).with_status(OrderStatus::Cancelled),
            Order::new("A-1", "c", d(1, 7), Money::new(5)), // duplicate id
            Order::new("A-5", "c", d(3, 1), Money::new(5)), // after the as-of date
        ];
        let config = IngestConfig::new(d(2, 1)).validation(Validation::Lenient);
        let from_orders = config.ingest(&orders).unwrap();
        let mut builder = config.builder();
        for o in &orders {
            let mut record = OrderRecord::new(o.customer().as_str(), o.date(), o.amount())
                .order_id(o.id().as_str())
                .status(o.status());
            if let Some(c) = o.cost() {
                record = record.cost(c);
            }
            if let Some(c) = o.channel() {
                record = record.channel(c.as_str());
            }
            if let Some(s) = o.store() {
                record = record.store(s.as_str());
            }
            builder.push_record(record).unwrap();
        }
        let from_records = builder.build().unwrap();
        assert_eq!(from_records, from_orders);
        assert_eq!(from_records.rows(), 3);
        assert_eq!(from_records.cancelled(), 1);
        let skipped: Vec<(usize, &str)> = from_records
            .skipped()
            .iter()
            .map(|s| (s.index, s.order_id.as_str()))
            .collect();
        assert_eq!(skipped, [(4, "A-1"), (5, "A-5")]);
        // b's first order is A-1 (same day as A-2, smaller id), via web.
        let b = from_records.index().position("b").unwrap();
        let first = from_records.first_orders.get(b).unwrap();
        assert_eq!(first.order_id.as_str(), "A-1");
        assert_eq!(first.channel.unwrap().as_str(), "web");
    }

    #[test]
    fn records_without_ids_keep_the_first_pushed_channel() {
        let mut b = IngestConfig::new(d(2, 1)).builder();
        b.push_record(OrderRecord::new("a", d(1, 3), Money::new(5)).channel("web"))
            .unwrap();
        b.push_record(OrderRecord::new("a", d(1, 3), Money::new(5)).channel("app"))
            .unwrap();
        b.push_record(OrderRecord::new("a", d(1, 2), Money::new(5)).store("tokyo"))
            .unwrap();
        let log = b.build().unwrap();
        let first = log.first_orders.get(0).unwrap();
        // The earliest date wins; it had a store and no channel.
        assert_eq!((first.date, first.channel), (d(1, 2), None));
        assert_eq!(first.store.unwrap().as_str(), "tokyo");
        assert_eq!(first.order_id.as_str(), "");
    }

    #[test]
    fn id_less_rows_report_positions() {
        let mut b = IngestConfig::new(d(2, 1))
            .validation(Validation::Lenient)
            .builder();
        b.push("a", d(1, 1), Money::new(5)).unwrap();
        b.push("a", d(1, 1), Money::new(-5)).unwrap();
        b.push_return("a", d(3, 1), Money::new(-5)).unwrap();
        let log = b.build().unwrap();
        let skipped: Vec<usize> = log.skipped().iter().map(|s| s.index).collect();
        assert_eq!(skipped, [1, 2]);
        assert!(matches!(
            log.skipped()[0].reason,
            Error::InvalidAmount { index: 1, .. }
        ));
        assert!(matches!(
            log.skipped()[1].reason,
            Error::OrderAfterAsOf { index: 2, .. }
        ));
    }
}
