//! A columnar fast path: orders as integer columns → summaries → rank
//! scores → segments → audience profiles, for re-segmenting millions of
//! orders in a fraction of a second.
//!
//! The object pipeline ([`Summaries::from_orders`](crate::summary::Summaries::from_orders)
//! → [`RfmModel::fit`] → [`SegmentTable::segment_all`] →
//! [`Profiles::builder`](crate::audience::Profiles::builder)) keeps every
//! detail of every customer (purchase days, first order, margin, channels).
//! This module computes only what RFM needs, over columns of integers:
//!
//! 1. [`OrderBatchBuilder`] interns customer ids **once**, at load, to dense
//!    indices numbered in id order, and stores each row as
//!    `(customer index: u32, day: i32, amount: i64)`: 16 bytes a row;
//! 2. [`OrderBatch::summarize`] aggregates by index into one 16-byte record
//!    per customer (last order day, order count, amount sum), one pass, no
//!    hashing;
//! 3. [`ColumnSummaries::score`] ranks each dimension with a stable radix
//!    (counting) sort on the value, so ties stay in id order, and fills
//!    the bins; it also returns the frozen [`RfmModel`] (the same model
//!    [`RfmModel::fit`] gives), to score single customers in a request path;
//! 4. [`ColumnScores::segment`] assigns segments through a `bins³`-entry
//!    lookup table built from the [`SegmentTable`];
//! 5. [`ColumnSegmentation::profiles`] makes [`Profiles`] (RFM fields and
//!    segment only) to compile and evaluate audience [`Rule`](crate::audience::Rule)s.
//!
//! Results are identical to the object pipeline with [`Method::Rank`] for
//! the same rows under [`RowPolicy::ReturnsNetOnly`] (tested on simulated
//! shops): same scores, cuts, segments and audiences.
//!
//! # Row policies
//!
//! A row has no status, only a signed amount, so you choose how rows count
//! ([`RowPolicy`], no default):
//!
//! - [`RowPolicy::EveryRow`]: every row is an order. frequency = number of
//!   rows, last order = latest row date, monetary = sum of signed amounts
//!   (returns included). This is what a SQL or dataframe
//!   `GROUP BY customer_id: max(order_date), count(*), sum(amount)` gives,
//!   and what the reference benchmark (issue 6) computes.
//! - [`RowPolicy::ReturnsNetOnly`]: the crate's
//!   [status policy](crate::order#status-policy) with the sign as status: a
//!   row with amount `>= 0` is a completed order, a negative row is a
//!   return that only nets against monetary. Customers with returns only
//!   are left unscored, as in [`Scores::unscored`](crate::rfm::Scores::unscored).
//!
//! # Id order
//!
//! Rank ties are broken by customer id ascending. [`IdOrder::Text`] (the
//! default) is [`CustomerId`] order, as everywhere in the crate;
//! [`IdOrder::Numeric`] orders integer ids by value (`"9" < "10"`), as a
//! database or dataframe does with an integer id column.
//!
//! # Example
//!
//! ```
//! use chrono::NaiveDate;
//! use rfmkit::audience::Rule;
//! use rfmkit::columnar::{OrderBatch, RowPolicy};
//! use rfmkit::rfm::{Method, ScoringConfig};
//! use rfmkit::segment::SegmentTable;
//! use rfmkit::Money;
//!
//! let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
//! let mut batch = OrderBatch::builder();
//! batch.push("alice", day(1, 5)?, Money::new(4_500));
//! batch.push("alice", day(3, 30)?, Money::new(6_000));
//! batch.push("bob", day(1, 10)?, Money::new(1_200));
//! batch.push("carol", day(3, 2)?, Money::new(2_500));
//! batch.push("carol", day(3, 28)?, Money::new(-900)); // a return
//! let batch = batch.build()?;
//!
//! let summaries = batch.summarize(day(3, 31)?, RowPolicy::EveryRow)?;
//! let config = ScoringConfig::builder().method(Method::Rank).build()?;
//! let scores = summaries.score(&config)?;
//! let segments = scores.segment(&SegmentTable::standard())?;
//! // alice: latest order (R 5), 2 orders tied with carol and first by id
//! // (rank 2 of 3: ⌈5·2/3⌉ = 4), the most money (M 5).
//! assert_eq!(scores.get("alice").map(|s| s.to_string()), Some("5-4-5".into()));
//! assert_eq!(segments.get("alice").map(|s| s.as_str()), Some("champions"));
//!
//! let profiles = segments.profiles();
//! let rule = Rule::parse("segment = champions and monetary >= 100.00", &profiles.schema())?;
//! assert_eq!(profiles.compile(&rule)?.tally().selected, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Parallelism
//!
//! With the `parallel` feature, aggregation, the three rankings and the
//! segment lookup run on rayon's current thread pool. Results are
//! bit-identical to the sequential path: sums are exact integers and ties
//! are decided by id, not by thread timing.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use compact_str::CompactString;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::audience::Profiles;
use crate::audience::{RfmColumns, pack_cell_parts};
use crate::error::{Error, Result};
use crate::id::{CustomerId, OrderId};
use crate::money::Money;
use crate::order::{Order, OrderStatus};
use crate::rfm::{Cut, FrequencyBasis, Method, RfmModel, RfmScore, Score, ScoringConfig};
use crate::segment::{Segment, SegmentTable};

/// How the rows of an [`OrderBatch`] count as orders; see the
/// [module docs](self#row-policies).
///
/// # Example
///
/// ```
/// use rfmkit::columnar::RowPolicy;
/// assert_ne!(RowPolicy::EveryRow, RowPolicy::ReturnsNetOnly);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RowPolicy {
    /// Every row is an order: it counts in frequency and its date in
    /// recency, whatever its sign; monetary sums the signed amounts.
    EveryRow,
    /// Rows with amount `>= 0` are orders; negative rows are returns that
    /// only reduce monetary (the crate's status policy).
    ReturnsNetOnly,
}

/// The order of customer ids, which breaks rank ties; see the
/// [module docs](self#id-order).
///
/// # Example
///
/// ```
/// use rfmkit::columnar::IdOrder;
/// assert_eq!(IdOrder::default(), IdOrder::Text);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdOrder {
    /// [`CustomerId`] order: byte-wise text (the default).
    #[default]
    Text,
    /// Integer ids by value (then by text, so `"07"` < `"7"`); every id must
    /// be a decimal `i64`.
    Numeric,
}

/// Builds an [`OrderBatch`] row by row; made by [`OrderBatch::builder`].
///
/// Each [`push`](Self::push) interns the customer id (one hash lookup);
/// [`build`](Self::build) numbers the customers in id order.
#[derive(Debug, Clone, Default)]
pub struct OrderBatchBuilder {
    index: FxHashMap<CompactString, u32>,
    names: Vec<CompactString>,
    customer: Vec<u32>,
    day: Vec<i32>,
    amount: Vec<i64>,
    id_order: IdOrder,
}

impl OrderBatchBuilder {
    /// Reserves room for `rows` more rows.
    pub fn reserve(&mut self, rows: usize) {
        self.customer.reserve(rows);
        self.day.reserve(rows);
        self.amount.reserve(rows);
    }

    /// Sets the id order (default [`IdOrder::Text`]).
    #[must_use]
    pub fn id_order(mut self, id_order: IdOrder) -> Self {
        self.id_order = id_order;
        self
    }

    /// Adds one row: a customer, a date, a signed amount.
    pub fn push(&mut self, customer: &str, date: NaiveDate, amount: Money) {
        let next = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        let index = match self.index.get(customer) {
            Some(&i) => i,
            None => {
                let key = CompactString::new(customer);
                self.index.insert(key.clone(), next);
                self.names.push(key);
                next
            }
        };
        self.customer.push(index);
        self.day.push(date.num_days_from_ce());
        self.amount.push(amount.minor_units());
    }

    /// Adds an [`Order`] by its status: a cancelled order (and a zero
    /// return) adds no row, a return adds its (negative) refund. Returns
    /// whether a row was added.
    ///
    /// Under [`RowPolicy::ReturnsNetOnly`] the rows then count as the
    /// object pipeline counts the orders.
    pub fn push_order(&mut self, order: &Order) -> bool {
        let keep = match order.status() {
            OrderStatus::Completed => true,
            OrderStatus::Returned => order.amount().minor_units() != 0,
            _ => false,
        };
        if keep {
            self.push(order.customer().as_str(), order.date(), order.amount());
        }
        keep
    }

    /// The number of rows so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.customer.len()
    }

    /// The distinct customer ids so far, in first-seen order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(CompactString::as_str)
    }

    /// Whether no row was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }

    /// Numbers the customers in id order and freezes the batch.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `rows`) beyond `u32::MAX` rows or
    /// customers; (field `id_order`) with [`IdOrder::Numeric`] if an id is
    /// not a decimal integer.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::columnar::{IdOrder, OrderBatch};
    /// use rfmkit::Money;
    ///
    /// let day = NaiveDate::from_ymd_opt(2025, 1, 2).ok_or("bad date")?;
    /// let mut b = OrderBatch::builder().id_order(IdOrder::Numeric);
    /// for id in ["10", "9", "10"] {
    ///     b.push(id, day, Money::new(100));
    /// }
    /// let batch = b.build()?;
    /// let ids: Vec<&str> = batch.customers().iter().map(|c| c.as_str()).collect();
    /// assert_eq!((batch.len(), ids), (3, vec!["9", "10"]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> Result<OrderBatch> {
        if u32::try_from(self.customer.len()).is_err() || self.names.len() >= MAX_CUSTOMERS {
            return Err(Error::config(
                "rows",
                "more than u32::MAX rows or customers; split the batch and merge",
            ));
        }
        let mut order: Vec<u32> = (0..self.names.len())
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        let name = |i: u32| self.names.get(ix(i)).map_or("", CompactString::as_str);
        match self.id_order {
            IdOrder::Text => order.sort_unstable_by(|&a, &b| name(a).cmp(name(b))),
            IdOrder::Numeric => {
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
                let num = |i: u32| numbers.get(ix(i)).copied().unwrap_or_default();
                order.sort_unstable_by(|&a, &b| {
                    num(a).cmp(&num(b)).then_with(|| name(a).cmp(name(b)))
                });
            }
        }
        let mut rank = vec![0_u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            if let (Some(slot), Ok(new)) = (rank.get_mut(ix(old)), u32::try_from(new)) {
                *slot = new;
            }
        }
        let mut customer = self.customer;
        for c in &mut customer {
            *c = rank.get(ix(*c)).copied().unwrap_or(*c);
        }
        let ids = order.iter().map(|&i| CustomerId::new(name(i))).collect();
        let max_day = self.day.iter().copied().max();
        Ok(OrderBatch {
            ids,
            id_order: self.id_order,
            customer,
            day: self.day,
            amount: self.amount,
            max_day,
        })
    }
}

/// At most this many customers (indices fit `u32`, with room for a marker).
const MAX_CUSTOMERS: usize = u32::MAX as usize;

/// Widens a customer index (`u32` always fits `usize` on the platforms we
/// build for).
#[inline]
fn ix(i: u32) -> usize {
    i as usize
}

/// Orders as columns: a dense customer index per row (customers numbered
/// in id order), the day and the signed amount in minor units.
///
/// Build with [`OrderBatch::builder`]; then [`summarize`](Self::summarize).
/// An empty batch is valid and gives empty results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBatch {
    ids: Vec<CustomerId>,
    id_order: IdOrder,
    customer: Vec<u32>,
    day: Vec<i32>,
    amount: Vec<i64>,
    max_day: Option<i32>,
}

/// Aggregates and their recorded sum wraps (see [`aggregate`]).
type Partial = (Vec<Acc>, Vec<(u32, i64)>);

/// One customer's aggregate: 16 bytes, so a row touches one cache line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Acc {
    /// Day number of the last order; `i32::MIN` if none.
    last: i32,
    count: u32,
    sum: i64,
}

const EMPTY: Acc = Acc {
    last: i32::MIN,
    count: 0,
    sum: 0,
};

/// Aggregates rows into `accs`. Sums wrap; each wrap is recorded in
/// `carries` as (customer, ±1) so that overflow is detected exactly and
/// independently of the order of the rows.
fn aggregate<const EVERY_ROW: bool>(
    accs: &mut [Acc],
    carries: &mut Vec<(u32, i64)>,
    customer: &[u32],
    day: &[i32],
    amount: &[i64],
) {
    let rows = customer
        .iter()
        .zip(day)
        .zip(amount)
        .map(|((&c, &d), &a)| (c, d, a));
    add_rows::<EVERY_ROW>(accs, carries, rows);
}

/// The loop of [`aggregate`] over `(customer, day, amount)` rows.
#[inline(always)]
fn add_rows<const EVERY_ROW: bool>(
    accs: &mut [Acc],
    carries: &mut Vec<(u32, i64)>,
    rows: impl Iterator<Item = (u32, i32, i64)>,
) {
    for (c, d, a) in rows {
        if let Some(acc) = accs.get_mut(ix(c)) {
            if EVERY_ROW || a >= 0 {
                acc.last = acc.last.max(d);
                // At most u32::MAX rows per batch: cannot wrap.
                acc.count = acc.count.wrapping_add(1);
            }
            let (sum, wrapped) = acc.sum.overflowing_add(a);
            acc.sum = sum;
            if wrapped {
                carries.push((c, if a < 0 { -1 } else { 1 }));
            }
        }
    }
}

/// Merges `other` into `into`, customer by customer, recording wraps.
#[cfg(feature = "parallel")]
fn merge_into(into: &mut [Acc], other: &[Acc], base: u32, carries: &mut Vec<(u32, i64)>) {
    for (i, (a, b)) in into.iter_mut().zip(other).enumerate() {
        a.last = a.last.max(b.last);
        a.count = a.count.wrapping_add(b.count);
        let (sum, wrapped) = a.sum.overflowing_add(b.sum);
        a.sum = sum;
        if wrapped {
            let c = base.wrapping_add(u32::try_from(i).unwrap_or(u32::MAX));
            carries.push((c, if b.sum < 0 { -1 } else { 1 }));
        }
    }
}

impl OrderBatch {
    /// An empty builder.
    #[must_use]
    pub fn builder() -> OrderBatchBuilder {
        OrderBatchBuilder::default()
    }

    /// The number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.customer.len()
    }

    /// Whether there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }

    /// The customers, in index order (their [`IdOrder`]).
    #[must_use]
    pub fn customers(&self) -> &[CustomerId] {
        &self.ids
    }

    /// The index of a customer.
    #[must_use]
    pub fn index_of(&self, customer: &str) -> Option<usize> {
        match self.id_order {
            IdOrder::Text => self
                .ids
                .binary_search_by(|id| id.as_str().cmp(customer))
                .ok(),
            IdOrder::Numeric => {
                let v: i64 = customer.parse().ok()?;
                self.ids
                    .binary_search_by(|id| {
                        let w: i64 = id.as_str().parse().unwrap_or_default();
                        w.cmp(&v).then_with(|| id.as_str().cmp(customer))
                    })
                    .ok()
            }
        }
    }

    /// Aggregates the rows per customer as of `as_of` under `policy`:
    /// the last order date, the number of orders and the sum of amounts.
    ///
    /// # Errors
    ///
    /// - [`Error::OrderAfterAsOf`] for the first row dated after `as_of`
    ///   (the batch has no order ids: `order_id` is `#` and the row index);
    /// - [`Error::Overflow`] if a customer's sum leaves `i64`.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::columnar::{OrderBatch, RowPolicy};
    /// use rfmkit::Money;
    ///
    /// let day = |d| NaiveDate::from_ymd_opt(2025, 1, d).ok_or("bad date");
    /// let mut b = OrderBatch::builder();
    /// b.push("alice", day(2)?, Money::new(5_000));
    /// b.push("alice", day(9)?, Money::new(-1_000)); // a return
    /// let batch = b.build()?;
    /// let i = batch.index_of("alice").ok_or("missing")?;
    ///
    /// let every = batch.summarize(day(10)?, RowPolicy::EveryRow)?;
    /// assert_eq!((every.recency_days(i), every.frequency(i)), (Some(1), Some(2)));
    /// let net = batch.summarize(day(10)?, RowPolicy::ReturnsNetOnly)?;
    /// assert_eq!((net.recency_days(i), net.frequency(i)), (Some(8), Some(1)));
    /// assert_eq!(net.monetary(i), Some(Money::new(4_000))); // both ways
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn summarize(&self, as_of: NaiveDate, policy: RowPolicy) -> Result<ColumnSummaries<'_>> {
        let as_of_day = as_of.num_days_from_ce();
        if self.max_day.is_some_and(|d| d > as_of_day) {
            let index = self.day.iter().position(|&d| d > as_of_day).unwrap_or(0);
            let date = self
                .day
                .get(index)
                .and_then(|&d| NaiveDate::from_num_days_from_ce_opt(d))
                .unwrap_or(as_of);
            return Err(Error::OrderAfterAsOf {
                index,
                order_id: OrderId::new(format!("#{index}")),
                date,
                as_of,
            });
        }
        let every_row = policy == RowPolicy::EveryRow;
        let (accs, carries) = self.aggregate(every_row);
        if !carries.is_empty() {
            let mut net: BTreeMap<u32, i64> = BTreeMap::new();
            for (c, d) in carries {
                let e = net.entry(c).or_default();
                *e = e.saturating_add(d);
            }
            if let Some((&c, _)) = net.iter().find(|(_, d)| **d != 0) {
                return Err(Error::Overflow {
                    customer: self
                        .ids
                        .get(ix(c))
                        .cloned()
                        .unwrap_or_else(|| CustomerId::new("")),
                });
            }
        }
        Ok(ColumnSummaries {
            batch: self,
            as_of,
            as_of_day,
            all_scored: every_row,
            accs,
        })
    }

    fn aggregate_range(&self, every_row: bool, rows: std::ops::Range<usize>) -> Partial {
        let mut accs = vec![EMPTY; self.ids.len()];
        let mut carries = Vec::new();
        let (c, d, a) = (
            self.customer.get(rows.clone()).unwrap_or_default(),
            self.day.get(rows.clone()).unwrap_or_default(),
            self.amount.get(rows).unwrap_or_default(),
        );
        if every_row {
            aggregate::<true>(&mut accs, &mut carries, c, d, a);
        } else {
            aggregate::<false>(&mut accs, &mut carries, c, d, a);
        }
        (accs, carries)
    }

    #[cfg(not(feature = "parallel"))]
    fn aggregate(&self, every_row: bool) -> Partial {
        self.aggregate_range(every_row, 0..self.len())
    }

    #[cfg(feature = "parallel")]
    fn aggregate(&self, every_row: bool) -> Partial {
        use rayon::prelude::*;
        let threads = rayon::current_num_threads();
        if threads <= 1 || self.len() < 1 << 16 {
            return self.aggregate_range(every_row, 0..self.len());
        }
        let chunk = self.len().div_ceil(threads);
        let parts: Vec<Partial> = (0..threads)
            .into_par_iter()
            .map(|t| {
                let start = (t * chunk).min(self.len());
                let end = (start + chunk).min(self.len());
                self.aggregate_range(every_row, start..end)
            })
            .collect();
        let mut parts = parts.into_iter();
        let Some((mut accs, mut carries)) = parts.next() else {
            return (Vec::new(), Vec::new());
        };
        let rest: Vec<Partial> = parts.collect();
        for (_, c) in &rest {
            carries.extend_from_slice(c);
        }
        let block = accs.len().div_ceil(threads).max(1);
        let merged: Vec<Vec<(u32, i64)>> = accs
            .par_chunks_mut(block)
            .enumerate()
            .map(|(b, into)| {
                let mut carries = Vec::new();
                let start = b * block;
                let base = u32::try_from(start).unwrap_or(u32::MAX);
                for (other, _) in &rest {
                    let other = other.get(start..start + into.len()).unwrap_or_default();
                    merge_into(into, other, base, &mut carries);
                }
                carries
            })
            .collect();
        carries.extend(merged.into_iter().flatten());
        (accs, carries)
    }
}

/// Per-customer aggregates of an [`OrderBatch`] as of a date: made by
/// [`OrderBatch::summarize`]. 16 bytes per customer.
#[derive(Debug, Clone)]
pub struct ColumnSummaries<'b> {
    batch: &'b OrderBatch,
    as_of: NaiveDate,
    as_of_day: i32,
    /// Whether every customer has an order (so is scored).
    all_scored: bool,
    accs: Vec<Acc>,
}

impl<'b> ColumnSummaries<'b> {
    /// The as-of date.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The number of customers (with or without an order).
    #[must_use]
    pub fn len(&self) -> usize {
        self.accs.len()
    }

    /// Whether there are no customers.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.accs.is_empty()
    }

    /// The batch summarized.
    #[must_use]
    pub fn batch(&self) -> &'b OrderBatch {
        self.batch
    }

    /// Recency in days of the customer at `index`; `None` without an order.
    #[must_use]
    pub fn recency_days(&self, index: usize) -> Option<i64> {
        let acc = self.accs.get(index)?;
        (acc.count > 0).then(|| i64::from(self.as_of_day) - i64::from(acc.last))
    }

    /// The number of orders of the customer at `index`.
    #[must_use]
    pub fn frequency(&self, index: usize) -> Option<u64> {
        self.accs.get(index).map(|a| u64::from(a.count))
    }

    /// The net amount of the customer at `index`.
    #[must_use]
    pub fn monetary(&self, index: usize) -> Option<Money> {
        self.accs.get(index).map(|a| Money::new(a.sum))
    }

    /// The bytes of per-customer summary data (excluding the ids).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.accs.capacity() * std::mem::size_of::<Acc>()
    }

    /// Fits [`Method::Rank`] scores on the customers with an order and
    /// scores them; see the [module docs](self).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `method`) for a method other than
    /// [`Method::Rank`], (field `frequency`) for
    /// [`FrequencyBasis::PurchaseDays`] (the batch does not keep days).
    ///
    /// # Example
    ///
    /// The fitted model scores a customer in a request path, exactly as
    /// the batch did:
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::columnar::{OrderBatch, RowPolicy};
    /// use rfmkit::rfm::{Method, ScoringConfig};
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let day = |d| NaiveDate::from_ymd_opt(2025, 1, d).ok_or("bad date");
    /// let orders = vec![
    ///     Order::new("A-1", "alice", day(2)?, Money::new(5_000)),
    ///     Order::new("A-2", "bob", day(5)?, Money::new(1_000)),
    ///     Order::new("A-3", "carol", day(8)?, Money::new(3_000)),
    /// ];
    /// let mut b = OrderBatch::builder();
    /// for o in &orders {
    ///     b.push_order(o);
    /// }
    /// let batch = b.build()?;
    /// let summaries = batch.summarize(day(10)?, RowPolicy::ReturnsNetOnly)?;
    /// let scores = summaries.score(&ScoringConfig::builder().method(Method::Rank).build()?)?;
    ///
    /// let objects = Summaries::from_orders(&orders, day(10)?)?;
    /// let carol = objects.get("carol").ok_or("missing")?;
    /// assert_eq!(Some(scores.model().score(carol)?), scores.get("carol"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn score(&self, config: &ScoringConfig) -> Result<ColumnScores<'_>> {
        if !matches!(config.method(), Method::Rank) {
            return Err(Error::config(
                "method",
                "the columnar path scores by rank only; use Method::Rank or the object pipeline",
            ));
        }
        if config.frequency() != FrequencyBasis::Orders {
            return Err(Error::config(
                "frequency",
                "the columnar path counts orders; use FrequencyBasis::Orders or the object pipeline",
            ));
        }
        let scored: Option<Vec<u32>> = (!self.all_scored).then(|| {
            self.accs
                .iter()
                .enumerate()
                .filter(|(_, a)| a.count > 0)
                .filter_map(|(i, _)| u32::try_from(i).ok())
                .collect()
        });
        let population = scored.as_ref().map_or(self.accs.len(), Vec::len);
        let bins = config.bins();
        let dim = |d: Dim| self.rank_dimension(d, scored.as_deref(), population, bins);
        #[cfg(feature = "parallel")]
        let (r, (f, m)) = rayon::join(
            || dim(Dim::Recency),
            || rayon::join(|| dim(Dim::Frequency), || dim(Dim::Monetary)),
        );
        #[cfg(not(feature = "parallel"))]
        let (r, f, m) = (dim(Dim::Recency), dim(Dim::Frequency), dim(Dim::Monetary));
        let model = RfmModel::from_cuts(config, self.as_of, population, [r.1, f.1, m.1]);
        Ok(ColumnScores {
            summaries: self,
            model,
            bins,
            r: r.0,
            f: f.0,
            m: m.0,
        })
    }

    /// The natural value (days, orders, minor units) of a customer.
    fn natural(&self, dim: Dim, acc: &Acc) -> i64 {
        match dim {
            Dim::Recency => i64::from(self.as_of_day) - i64::from(acc.last),
            Dim::Frequency => i64::from(acc.count),
            Dim::Monetary => acc.sum,
        }
    }

    /// Scores (0 = unscored) for one dimension and its cuts.
    fn rank_dimension(
        &self,
        dim: Dim,
        scored: Option<&[u32]>,
        population: usize,
        bins: u8,
    ) -> (Vec<u8>, Vec<Cut>) {
        // The sort key, ascending = better: last day, count, or the sum
        // with its sign bit flipped (i64 order as u64 order).
        let key = |a: &Acc| -> u64 {
            match dim {
                Dim::Recency => u64::from(a.last.abs_diff(i32::MIN)),
                Dim::Frequency => u64::from(a.count),
                Dim::Monetary => u64::from_ne_bytes((a.sum ^ i64::MIN).to_ne_bytes()),
            }
        };
        let keys: Vec<u64> = match scored {
            None => self.accs.iter().map(key).collect(),
            Some(list) => list
                .iter()
                .filter_map(|&i| self.accs.get(ix(i)))
                .map(key)
                .collect(),
        };
        let order = stable_order(&keys);
        drop(keys);
        let customer_at = |pos: u32| -> u32 {
            match scored {
                None => pos,
                Some(list) => list.get(ix(pos)).copied().unwrap_or(pos),
            }
        };
        let mut scores = vec![0_u8; self.accs.len()];
        let n = usize::from(bins);
        let starts: Vec<usize> = (0..=n).map(|k| k * population / n).collect();
        let mut cuts = Vec::with_capacity(n.saturating_sub(1));
        for (k, w) in starts.windows(2).enumerate() {
            let (&[lo, hi], Ok(score)) = (w, u8::try_from(k + 1)) else {
                continue;
            };
            let block = order.get(lo..hi).unwrap_or_default();
            for &pos in block {
                if let Some(s) = scores.get_mut(ix(customer_at(pos))) {
                    *s = score;
                }
            }
            if k > 0 && population > 0 {
                let first = order.get(lo).map(|&p| customer_at(p));
                if let (Some(c), Ok(score)) = (first, Score::new(score)) {
                    let acc = self.accs.get(ix(c)).copied().unwrap_or(EMPTY);
                    cuts.push(Cut {
                        score,
                        value: self.natural(dim, &acc),
                        customer: self.batch.ids.get(ix(c)).cloned(),
                    });
                }
            }
        }
        (scores, cuts)
    }
}

#[derive(Debug, Clone, Copy)]
enum Dim {
    Recency,
    Frequency,
    Monetary,
}

/// The positions `0..keys.len()` sorted by key, ties in position order
/// (a stable sort), by LSD radix sort of `key << b | position`.
fn stable_order(keys: &[u64]) -> Vec<u32> {
    let n = keys.len();
    let (Some(&min), Some(&max)) = (keys.iter().min(), keys.iter().max()) else {
        return Vec::new();
    };
    let range = max - min;
    let key_bits = 64 - range.leading_zeros();
    let pos_bits = 64 - u64::try_from(n).unwrap_or(u64::MAX).leading_zeros();
    if key_bits == 0 {
        return (0..n).filter_map(|i| u32::try_from(i).ok()).collect();
    }
    if key_bits + pos_bits > 64 {
        // Wide keys: a comparison sort on (key, position).
        let mut pairs: Vec<(u64, u32)> = keys.iter().zip(0_u32..).map(|(&k, i)| (k, i)).collect();
        pairs.sort_unstable();
        return pairs.into_iter().map(|(_, i)| i).collect();
    }
    let mut items: Vec<u64> = keys
        .iter()
        .zip(0_u64..)
        .map(|(&k, i)| ((k - min) << pos_bits) | i)
        .collect();
    let passes = key_bits.div_ceil(11);
    let width = key_bits.div_ceil(passes);
    let buckets = 1_usize << width;
    let mask = (1_u64 << width) - 1;
    // All histograms in one read.
    let mut counts = vec![0_usize; buckets * ix(passes)];
    for &v in &items {
        let key = v >> pos_bits;
        for p in 0..passes {
            let digit = (key >> (p * width)) & mask;
            let slot = ix(p) * buckets + usize::try_from(digit).unwrap_or(0);
            if let Some(c) = counts.get_mut(slot) {
                *c += 1;
            }
        }
    }
    let mut scratch = vec![0_u64; n];
    for p in 0..passes {
        let hist = counts
            .get_mut(ix(p) * buckets..ix(p + 1) * buckets)
            .unwrap_or_default();
        if hist.contains(&n) {
            continue; // every item has the same digit: the pass is a no-op
        }
        let mut sum = 0;
        for c in hist.iter_mut() {
            let here = *c;
            *c = sum;
            sum += here;
        }
        let shift = pos_bits + p * width;
        for &v in &items {
            let digit = usize::try_from((v >> shift) & mask).unwrap_or(0);
            if let Some(c) = hist.get_mut(digit) {
                if let Some(slot) = scratch.get_mut(*c) {
                    *slot = v;
                }
                *c += 1;
            }
        }
        std::mem::swap(&mut items, &mut scratch);
    }
    let low = (1_u64 << pos_bits) - 1;
    items
        .into_iter()
        .filter_map(|v| u32::try_from(v & low).ok())
        .collect()
}

/// Rank scores of [`ColumnSummaries`]: made by [`ColumnSummaries::score`].
#[derive(Debug, Clone)]
pub struct ColumnScores<'s> {
    summaries: &'s ColumnSummaries<'s>,
    model: RfmModel,
    bins: u8,
    r: Vec<u8>,
    f: Vec<u8>,
    m: Vec<u8>,
}

impl<'s> ColumnScores<'s> {
    /// The fitted model: the same as [`RfmModel::fit`] on the same
    /// customers, for scoring single customers with [`RfmModel::score`].
    #[must_use]
    pub fn model(&self) -> &RfmModel {
        &self.model
    }

    /// The summaries scored.
    #[must_use]
    pub fn summaries(&self) -> &'s ColumnSummaries<'s> {
        self.summaries
    }

    /// The score of the customer at `index`; `None` if unscored (no order).
    #[must_use]
    pub fn score_at(&self, index: usize) -> Option<RfmScore> {
        let s = |v: &Vec<u8>| v.get(index).and_then(|&s| Score::new(s).ok());
        Some(RfmScore::new(s(&self.r)?, s(&self.f)?, s(&self.m)?))
    }

    /// The score of a customer.
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<RfmScore> {
        self.score_at(self.summaries.batch.index_of(customer)?)
    }

    /// Assigns segments with `table`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `bins`) if the table has a different
    /// number of bins than the scores.
    pub fn segment(&self, table: &SegmentTable) -> Result<ColumnSegmentation<'_>> {
        let b = usize::from(self.bins);
        if table.bins() != self.bins {
            return Err(Error::config(
                "bins",
                format!(
                    "the scores have {} bins but the segment table has {}; use a table for {} bins",
                    self.bins,
                    table.bins(),
                    self.bins
                ),
            ));
        }
        let names: Vec<&Segment> = table.segments().collect();
        let mut lut = vec![0_u16; b * b * b];
        for (cell, segment) in table.cells() {
            let at = cell_index(b, cell.r.get(), cell.f.get(), cell.m.get());
            let s = names.iter().position(|n| *n == segment).unwrap_or(0);
            if let (Some(slot), Ok(s)) = (at.and_then(|at| lut.get_mut(at)), u16::try_from(s)) {
                *slot = s;
            }
        }
        let assign = |(out, ((r, f), m)): Block<'_>| {
            for (o, ((&r, &f), &m)) in out.iter_mut().zip(r.iter().zip(f).zip(m)) {
                *o = cell_index(b, r, f, m)
                    .and_then(|at| lut.get(at))
                    .copied()
                    .unwrap_or(UNSCORED);
            }
        };
        let mut segment = vec![UNSCORED; self.r.len()];
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            const BLOCK: usize = 1 << 14;
            segment
                .par_chunks_mut(BLOCK)
                .zip(
                    self.r
                        .par_chunks(BLOCK)
                        .zip(self.f.par_chunks(BLOCK))
                        .zip(self.m.par_chunks(BLOCK)),
                )
                .for_each(assign);
        }
        #[cfg(not(feature = "parallel"))]
        assign((&mut segment, ((&self.r, &self.f), &self.m)));
        let mut counts = vec![0_usize; names.len()];
        for &s in &segment {
            if let Some(c) = counts.get_mut(usize::from(s)) {
                *c += 1;
            }
        }
        Ok(ColumnSegmentation {
            scores: self,
            table: table.clone(),
            segment,
            counts,
        })
    }
}

const UNSCORED: u16 = u16::MAX;

/// `f(0), f(1), …, f(n − 1)`, on all threads with `parallel`.
#[cfg(feature = "parallel")]
fn column<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    use rayon::prelude::*;
    (0..n).into_par_iter().map(f).collect()
}

/// `f(0), f(1), …, f(n − 1)`, on all threads with `parallel`.
#[cfg(not(feature = "parallel"))]
fn column<T>(n: usize, f: impl Fn(usize) -> T) -> Vec<T> {
    (0..n).map(f).collect()
}

/// A block of segment outputs with its r, f and m scores.
type Block<'a> = (&'a mut [u16], ((&'a [u8], &'a [u8]), &'a [u8]));

/// The lookup-table slot of a cell; `None` for a score of 0 (unscored) or
/// above `bins`.
#[inline]
fn cell_index(bins: usize, r: u8, f: u8, m: u8) -> Option<usize> {
    let (r, f, m) = (usize::from(r), usize::from(f), usize::from(m));
    if r == 0 || f == 0 || m == 0 || r > bins || f > bins || m > bins {
        return None;
    }
    Some(((r - 1) * bins + (f - 1)) * bins + (m - 1))
}

/// Segments of [`ColumnScores`]: made by [`ColumnScores::segment`].
#[derive(Debug, Clone)]
pub struct ColumnSegmentation<'s> {
    scores: &'s ColumnScores<'s>,
    table: SegmentTable,
    segment: Vec<u16>,
    counts: Vec<usize>,
}

impl ColumnSegmentation<'_> {
    /// The segment table.
    #[must_use]
    pub fn table(&self) -> &SegmentTable {
        &self.table
    }

    /// The segment of the customer at `index`; `None` if unscored.
    #[must_use]
    pub fn segment_at(&self, index: usize) -> Option<&Segment> {
        let s = *self.segment.get(index)?;
        self.table.segments().nth(usize::from(s))
    }

    /// The segment of a customer.
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<&Segment> {
        self.segment_at(self.scores.summaries.batch.index_of(customer)?)
    }

    /// The number of customers in each segment, in the table's
    /// [`segments`](SegmentTable::segments) order (empty segments
    /// included).
    #[must_use]
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::columnar::{OrderBatch, RowPolicy};
    /// use rfmkit::rfm::{Method, ScoringConfig};
    /// use rfmkit::segment::SegmentTable;
    /// use rfmkit::Money;
    ///
    /// let day = |d| NaiveDate::from_ymd_opt(2025, 1, d).ok_or("bad date");
    /// let mut b = OrderBatch::builder();
    /// b.push("alice", day(8)?, Money::new(5_000));
    /// b.push("bob", day(2)?, Money::new(1_000));
    /// let batch = b.build()?;
    /// let summaries = batch.summarize(day(10)?, RowPolicy::EveryRow)?;
    /// let scores = summaries.score(&ScoringConfig::builder().method(Method::Rank).build()?)?;
    /// let segments = scores.segment(&SegmentTable::compact())?;
    /// let total: usize = segments.counts().iter().map(|(_, n)| n).sum();
    /// assert_eq!(total, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn counts(&self) -> Vec<(&Segment, usize)> {
        self.table
            .segments()
            .zip(self.counts.iter().copied())
            .collect()
    }

    /// Audience profiles of the scored customers, in index order, for
    /// compiling and evaluating [`Rule`](crate::audience::Rule)s.
    ///
    /// Only `recency_days`, `frequency`, `monetary`, `last_order`, `r`, `f`,
    /// `m`, `rfm` and `segment` are present; every other field is missing
    /// (a condition on it is unknown, `is null` is true). The currency
    /// scale is 2.
    #[must_use]
    pub fn profiles(&self) -> Profiles {
        let summaries = self.scores.summaries;
        let rows: Option<Vec<u32>> = (!summaries.all_scored).then(|| {
            self.segment
                .iter()
                .zip(0_u32..)
                .filter(|(s, _)| **s != UNSCORED)
                .map(|(_, i)| i)
                .collect()
        });
        let n = rows.as_ref().map_or(self.segment.len(), Vec::len);
        let rows = rows.as_deref();
        let at = move |k: usize| -> usize {
            match rows {
                None => k,
                Some(r) => r.get(k).map_or(usize::MAX, |&i| ix(i)),
            }
        };
        let acc = |k: usize| summaries.accs.get(at(k)).copied().unwrap_or(EMPTY);
        let score = |v: &[u8], k: usize| v.get(at(k)).copied().unwrap_or(0);
        let as_of_day = i64::from(summaries.as_of_day);
        let (r, f, m) = (&self.scores.r, &self.scores.f, &self.scores.m);
        let c = RfmColumns {
            ids: column(n, |k| {
                summaries
                    .batch
                    .ids
                    .get(at(k))
                    .map_or_else(|| CustomerId::new(""), Clone::clone)
            }),
            recency_days: column(n, |k| as_of_day - i64::from(acc(k).last)),
            frequency: column(n, |k| i64::from(acc(k).count)),
            monetary: column(n, |k| acc(k).sum),
            last_order: column(n, |k| i64::from(acc(k).last)),
            r: column(n, |k| i64::from(score(r, k))),
            f: column(n, |k| i64::from(score(f, k))),
            m: column(n, |k| i64::from(score(m, k))),
            cell: column(n, |k| {
                pack_cell_parts(score(r, k), score(f, k), score(m, k))
            }),
            segment: column(n, |k| {
                i64::from(self.segment.get(at(k)).copied().unwrap_or(UNSCORED))
            }),
        };
        Profiles::from_rfm_columns(summaries.as_of, self.table.clone(), c)
    }
}
