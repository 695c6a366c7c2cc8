//! Orders → per-customer summaries.
//!
//! A [`CustomerSummary`] is everything the later stages need to know about
//! one customer's orders as of a date: their purchase days (so first and
//! last order, distinct purchase days), order count, revenue net of returns,
//! gross margin and first channel. [`Summaries`] holds one per customer, in
//! [`CustomerId`] order.
//!
//! # Building summaries
//!
//! [`Summaries::from_orders`] is the common path: strict validation, orders
//! after the as-of date are errors. [`SummaryConfig`] chooses the policies
//! (lenient validation, ignoring future orders, checking customer ids against
//! a [`Customers`] list) and reports every order it did not count.
//!
//! Which orders count where follows the [status policy](crate::order#status-policy):
//! completed orders are purchases, returns only net against monetary,
//! cancellations count nowhere.
//!
//! # Definitions
//!
//! For a customer as of date `as_of`, over their counted orders:
//!
//! - `orders` (frequency): the number of completed orders;
//! - `purchase_days`: the number of distinct dates with a completed order;
//! - `first_order_date`, `last_order_date`: the first and last of those dates;
//! - `recency_days` = `as_of − last_order_date`, in days (0 = bought on the as-of date);
//! - `revenue`: the sum of completed amounts; `refunds`: the sum of returned
//!   amounts (`<= 0`); `monetary` = `revenue + refunds` (net);
//! - `average_order_value` = `monetary / orders`, rounded to the nearest minor
//!   unit, halves away from zero;
//! - `margin` = Σ (`amount − cost`) over completed and returned orders, when
//!   every one of them has a cost; otherwise unknown (`None`);
//! - `first_channel`, `first_store`: those of the first completed order, the
//!   earliest by (date, order id).
//!
//! A customer whose only counted orders are returns (a refund of a purchase
//! made before your data starts) has a summary with `orders == 0` and no
//! order dates; the scoring stage lists such customers as unscored.
//!
//! # Merging
//!
//! Summaries are mergeable: for two *disjoint* sets of orders `a` and `b`
//! summarized as of the same date, `summarize(a).merge(summarize(b))` equals
//! `summarize(a ++ b)` exactly, whatever the order of the input. So
//! summaries can be built per shard, per store, or per day and combined.
//! (Orders present in both halves would be counted twice: merging does not
//! see order ids.)

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use itertools::Itertools as _;
use serde::{Deserialize, Serialize};

use crate::customer::Customers;
use crate::error::{Error, Result};
use crate::id::{Channel, CustomerId, OrderId, StoreId};
use crate::ingest::{CustomerIndex, IdOrder, IngestConfig, OrderLog, day_to_date};
pub use crate::ingest::{FutureOrders, Skipped, Validation};
use crate::money::Money;
use crate::order::Order;

mod first;
mod frequency;
mod live;
pub(crate) use first::{FirstOrders, pair_of_texts};
pub use frequency::{
    DEFAULT_BASELINE_DAYS, DEFAULT_DROP_THRESHOLD, DEFAULT_MIN_BASELINE_PURCHASES,
    DEFAULT_RECENT_DAYS, FrequencyDrop, FrequencyDropConfig, FrequencyDropConfigBuilder,
};
pub use live::LiveSummaries;

/// Orders to summaries in one step: the [ingest stage](crate::ingest) and
/// [`Summaries::from_log`] together, keeping the skip report.
///
/// Created with [`SummaryConfig::new`]; the setters take and return the
/// config. It is the shorthand for an [`IngestConfig`] with the same
/// settings ([`ingest_config`](Self::ingest_config)); build the
/// [`OrderLog`] yourself when later stages (BTYD inputs, cohorts) need it
/// too.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::summary::{FutureOrders, SummaryConfig, Validation};
/// use rfmkit::{Money, Order};
///
/// let as_of = NaiveDate::from_ymd_opt(2025, 1, 31).ok_or("bad date")?;
/// let day = |d| NaiveDate::from_ymd_opt(2025, 1, d).ok_or("bad date");
/// let orders = vec![
///     Order::new("A-1", "alice", day(3)?, Money::new(1200)),
///     Order::new("A-2", "alice", day(3)?, Money::new(-5)), // wrong sign for a purchase
///     Order::new("A-1", "bob", day(4)?, Money::new(800)),  // duplicate id
/// ];
/// let config = SummaryConfig::new(as_of)
///     .validation(Validation::Lenient)
///     .future_orders(FutureOrders::Ignore);
/// let out = config.summarize(&orders)?;
/// assert_eq!(out.summaries.len(), 1);
/// assert_eq!(out.skipped.iter().map(|s| s.index).collect::<Vec<_>>(), [1, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SummaryConfig {
    ingest: IngestConfig,
}

/// The result of [`SummaryConfig::summarize`]: the summaries, and every order
/// that was not counted with its reason (in input order).
///
/// Orders with status [`Cancelled`](crate::order::OrderStatus::Cancelled)
/// are valid and count nowhere by policy; they are not listed here.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Summarized {
    /// One summary per customer with a counted order.
    pub summaries: Summaries,
    /// Orders left out: invalid ones (lenient validation) and ones after the
    /// as-of date ([`FutureOrders::Ignore`]).
    pub skipped: Vec<Skipped>,
}

impl SummaryConfig {
    /// A config as of `as_of` with the default policies:
    /// [`FutureOrders::Reject`], [`Validation::Strict`] and
    /// [`IdOrder::Text`].
    #[must_use]
    pub fn new(as_of: NaiveDate) -> SummaryConfig {
        SummaryConfig {
            ingest: IngestConfig::new(as_of),
        }
    }

    /// Sets what to do with orders after the as-of date (default
    /// [`FutureOrders::Reject`]).
    #[must_use]
    pub fn future_orders(self, policy: FutureOrders) -> SummaryConfig {
        SummaryConfig {
            ingest: self.ingest.future_orders(policy),
        }
    }

    /// Sets how invalid orders are handled (default [`Validation::Strict`]).
    #[must_use]
    pub fn validation(self, validation: Validation) -> SummaryConfig {
        SummaryConfig {
            ingest: self.ingest.validation(validation),
        }
    }

    /// Sets the id order (default [`IdOrder::Text`]).
    #[must_use]
    pub fn id_order(self, id_order: IdOrder) -> SummaryConfig {
        SummaryConfig {
            ingest: self.ingest.id_order(id_order),
        }
    }

    /// The as-of date.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.ingest.as_of()
    }

    /// The ingest config with the same settings.
    #[must_use]
    pub fn ingest_config(&self) -> &IngestConfig {
        &self.ingest
    }

    /// Summarizes orders per customer: [`IngestConfig::ingest`], then
    /// [`Summaries::from_log`].
    ///
    /// Each order is checked, in this order: its id is not a repeat of an
    /// earlier order's; it is not dated after the as-of date; its amount has
    /// the right sign for its status. Empty input gives empty summaries.
    ///
    /// # Errors
    ///
    /// With [`Validation::Strict`], the first invalid order's error:
    /// [`Error::DuplicateOrderId`], [`Error::OrderAfterAsOf`] (unless
    /// [`FutureOrders::Ignore`]) or [`Error::InvalidAmount`]. In both modes,
    /// [`Error::Overflow`] if a customer's money or count sums overflow.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::summary::SummaryConfig;
    /// use rfmkit::{Money, Order};
    ///
    /// let as_of = NaiveDate::from_ymd_opt(2025, 1, 31).ok_or("bad date")?;
    /// let day = NaiveDate::from_ymd_opt(2025, 1, 10).ok_or("bad date")?;
    /// let orders = [Order::new("A-1", "alice", day, Money::new(1200))];
    /// let out = SummaryConfig::new(as_of).summarize(&orders)?;
    /// assert_eq!(out.summaries.get("alice").map(|s| s.recency_days()), Some(Some(21)));
    /// assert!(out.skipped.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn summarize<'a>(&self, orders: impl IntoIterator<Item = &'a Order>) -> Result<Summarized> {
        let log = self.ingest.ingest(orders)?;
        Summarized::of(&log)
    }

    /// Like [`summarize`](Self::summarize), and also checks that every order's
    /// customer is in `customers`.
    ///
    /// Customers in the list without orders get no summary (they have no
    /// purchase to score).
    ///
    /// # Errors
    ///
    /// As [`summarize`](Self::summarize), plus [`Error::UnknownCustomer`] for
    /// an order whose customer is not in the list (checked after the other
    /// checks; skipped instead under [`Validation::Lenient`]).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::customer::{Customer, Customers};
    /// use rfmkit::summary::SummaryConfig;
    /// use rfmkit::{Error, Money, Order};
    ///
    /// let as_of = NaiveDate::from_ymd_opt(2025, 1, 31).ok_or("bad date")?;
    /// let day = NaiveDate::from_ymd_opt(2025, 1, 10).ok_or("bad date")?;
    /// let customers = Customers::new([Customer::new("alice")])?;
    /// let orders = [Order::new("A-1", "mallory", day, Money::new(1200))];
    /// let err = SummaryConfig::new(as_of).summarize_for(&orders, &customers).unwrap_err();
    /// assert!(matches!(err, Error::UnknownCustomer { index: 0, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn summarize_for<'a>(
        &self,
        orders: impl IntoIterator<Item = &'a Order>,
        customers: &'a Customers,
    ) -> Result<Summarized> {
        let log = self.ingest.ingest_for(orders, customers)?;
        Summarized::of(&log)
    }
}

impl Summarized {
    fn of(log: &OrderLog) -> Result<Summarized> {
        Ok(Summarized {
            summaries: Summaries::from_log(log)?,
            skipped: log.skipped().to_vec(),
        })
    }
}

/// The first completed order of a customer: the earliest by (date, order id).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::summary::Summaries;
/// use rfmkit::{Money, Order};
///
/// let day = NaiveDate::from_ymd_opt(2025, 1, 3).ok_or("bad date")?;
/// let orders = [
///     Order::new("A-2", "alice", day, Money::new(100)).with_channel("app"),
///     Order::new("A-1", "alice", day, Money::new(100)).with_channel("web"),
/// ];
/// let summaries = Summaries::from_orders(&orders, day)?;
/// let alice = summaries.get("alice").ok_or("alice missing")?;
/// let first = alice.first_order().ok_or("no first order")?;
/// assert_eq!(first.order_id.as_str(), "A-1");
/// assert_eq!(first.channel.as_ref().map(|c| c.as_str()), Some("web"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct FirstOrder {
    /// The order's date.
    pub date: NaiveDate,
    /// The order's id.
    pub order_id: OrderId,
    /// The order's channel, if it had one.
    pub channel: Option<Channel>,
    /// The order's store, if it had one.
    pub store: Option<StoreId>,
}

impl FirstOrder {
    fn key(&self) -> (NaiveDate, &OrderId) {
        (self.date, &self.order_id)
    }
}

/// One customer's orders, summarized as of a date.
///
/// See the [module docs](self#definitions) for each quantity's definition.
/// Built by [`Summaries::from_orders`] or [`SummaryConfig::summarize`];
/// merged with [`CustomerSummary::merge`].
///
/// Serialized with snake_case keys; `purchase_dates` is the sorted list of
/// distinct purchase days.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::order::OrderStatus;
/// use rfmkit::summary::Summaries;
/// use rfmkit::{Money, Order};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let orders = [
///     Order::new("A-1", "alice", d(1, 5)?, Money::new(3000)).with_cost(Money::new(1800)),
///     Order::new("A-2", "alice", d(1, 5)?, Money::new(1000)).with_cost(Money::new(600)),
///     Order::new("A-3", "alice", d(2, 1)?, Money::new(2000)).with_cost(Money::new(1200)),
///     Order::new("A-3R", "alice", d(2, 3)?, Money::new(-2000))
///         .with_cost(Money::new(-1200))
///         .with_status(OrderStatus::Returned),
/// ];
/// let summaries = Summaries::from_orders(&orders, d(3, 1)?)?;
/// let alice = summaries.get("alice").ok_or("alice missing")?;
/// assert_eq!(alice.orders(), 3);
/// assert_eq!(alice.purchase_days(), 2);
/// assert_eq!(alice.last_order_date(), Some(d(2, 1)?));
/// assert_eq!(alice.recency_days(), Some(28));
/// assert_eq!(alice.revenue(), Money::new(6000));
/// assert_eq!(alice.monetary(), Money::new(4000));
/// assert_eq!(alice.average_order_value(), Some(Money::new(1333)));
/// assert_eq!(alice.margin(), Some(Money::new(1600)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct CustomerSummary {
    customer: CustomerId,
    as_of: NaiveDate,
    purchase_dates: Vec<NaiveDate>,
    orders: u64,
    returns: u64,
    revenue: Money,
    refunds: Money,
    margin: Option<Money>,
    first_order: Option<FirstOrder>,
}

impl CustomerSummary {
    /// The customer.
    #[must_use]
    pub fn customer(&self) -> &CustomerId {
        &self.customer
    }

    /// The date the summary is as of.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The number of completed orders (the default frequency).
    #[must_use]
    pub fn orders(&self) -> u64 {
        self.orders
    }

    /// The number of returned orders.
    #[must_use]
    pub fn returns(&self) -> u64 {
        self.returns
    }

    /// The number of distinct days with a completed order (the alternative
    /// frequency, which counts a split basket once).
    #[must_use]
    pub fn purchase_days(&self) -> u64 {
        self.purchase_dates.len() as u64
    }

    /// The distinct days with a completed order, ascending.
    #[must_use]
    pub fn purchase_dates(&self) -> &[NaiveDate] {
        &self.purchase_dates
    }

    /// The first purchase date, or `None` for a returns-only customer.
    #[must_use]
    pub fn first_order_date(&self) -> Option<NaiveDate> {
        self.purchase_dates.first().copied()
    }

    /// The last purchase date, or `None` for a returns-only customer.
    #[must_use]
    pub fn last_order_date(&self) -> Option<NaiveDate> {
        self.purchase_dates.last().copied()
    }

    /// The customer's typical days between purchases: the median of the
    /// gaps between consecutive distinct purchase days (the mean of the two
    /// middle gaps for an even count); `None` with fewer than two purchase
    /// days. The replenishment cycle of a consumable bought again and
    /// again.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// // Gaps of 30, 31 and 20 days: median 30.
    /// let orders: Vec<Order> = [d(1, 1)?, d(1, 31)?, d(3, 3)?, d(3, 23)?]
    ///     .into_iter()
    ///     .enumerate()
    ///     .map(|(i, day)| Order::new(format!("O-{i}"), "c", day, Money::new(900)))
    ///     .collect();
    /// let c = Summaries::from_orders(&orders, d(3, 31)?)?.get("c").ok_or("missing")?;
    /// assert_eq!(c.purchase_interval_days(), Some(30.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn purchase_interval_days(&self) -> Option<f64> {
        let days: Vec<i32> = self
            .purchase_dates
            .iter()
            .map(|d| d.num_days_from_ce())
            .collect();
        median_gap(&days)
    }

    /// Days from the last purchase to the as-of date (`>= 0`), or `None` for
    /// a returns-only customer.
    #[must_use]
    pub fn recency_days(&self) -> Option<i64> {
        self.last_order_date()
            .map(|last| (self.as_of - last).num_days())
    }

    /// The sum of completed order amounts (gross of returns).
    #[must_use]
    pub fn revenue(&self) -> Money {
        self.revenue
    }

    /// The sum of returned amounts (`<= 0`).
    #[must_use]
    pub fn refunds(&self) -> Money {
        self.refunds
    }

    /// Revenue net of returns: the RFM monetary value.
    #[must_use]
    pub fn monetary(&self) -> Money {
        // Both parts were accumulated with checked adds and have opposite
        // signs (revenue >= 0, refunds <= 0), so their sum cannot overflow.
        Money::new(
            self.revenue
                .minor_units()
                .saturating_add(self.refunds.minor_units()),
        )
    }

    /// Net amount per completed order, rounded to the nearest minor unit
    /// (halves away from zero); `None` without completed orders.
    #[must_use]
    pub fn average_order_value(&self) -> Option<Money> {
        let total = i128::from(self.monetary().minor_units());
        let n = i128::from(self.orders);
        if n == 0 {
            return None;
        }
        let rounded = (2 * total + total.signum() * n) / (2 * n);
        // |rounded| <= |total|, which came from an i64.
        i64::try_from(rounded).ok().map(Money::new)
    }

    /// Gross margin, Σ (amount − cost), if every counted order had a cost.
    #[must_use]
    pub fn margin(&self) -> Option<Money> {
        self.margin
    }

    /// The first completed order, if any.
    #[must_use]
    pub fn first_order(&self) -> Option<&FirstOrder> {
        self.first_order.as_ref()
    }

    /// The channel of the first completed order, if known.
    #[must_use]
    pub fn first_channel(&self) -> Option<&Channel> {
        self.first_order.as_ref().and_then(|f| f.channel.as_ref())
    }

    /// The store of the first completed order, if known.
    #[must_use]
    pub fn first_store(&self) -> Option<&StoreId> {
        self.first_order.as_ref().and_then(|f| f.store.as_ref())
    }

    /// Starts a summary from its parts, for summaries computed outside
    /// rfmkit (a query engine's aggregate, a SQL table): set the parts with
    /// the [`CustomerSummaryBuilder`] setters, then
    /// [`build`](CustomerSummaryBuilder::build) checks them.
    ///
    /// Every part starts empty (no purchase dates, no orders or returns,
    /// zero amounts, margin unknown); the first order's details are not
    /// settable (they need order ids).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::summary::CustomerSummary;
    /// use rfmkit::Money;
    ///
    /// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
    /// let built = CustomerSummary::builder("alice", d(31)?)
    ///     .purchase_dates(vec![d(3)?, d(9)?])
    ///     .orders(3)
    ///     .revenue(Money::new(4_200))
    ///     .build()?;
    /// assert_eq!((built.recency_days(), built.monetary()), (Some(22), Money::new(4_200)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn builder(customer: impl Into<CustomerId>, as_of: NaiveDate) -> CustomerSummaryBuilder {
        CustomerSummaryBuilder {
            row: CustomerSummary {
                customer: customer.into(),
                as_of,
                purchase_dates: Vec::new(),
                orders: 0,
                returns: 0,
                revenue: Money::ZERO,
                refunds: Money::ZERO,
                margin: None,
                first_order: None,
            },
        }
    }

    /// Merges the summary of another, disjoint set of this customer's orders
    /// into this one.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `customer`) if the summaries are of two
    /// different customers, [`Error::AsOfMismatch`] if their as-of dates
    /// differ, and [`Error::Overflow`] if a sum overflows.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
    /// let a = [Order::new("A-1", "alice", d(3)?, Money::new(100))];
    /// let b = [Order::new("A-2", "alice", d(9)?, Money::new(250))];
    /// let left = Summaries::from_orders(&a, d(31)?)?;
    /// let right = Summaries::from_orders(&b, d(31)?)?;
    /// let merged = left.get("alice").ok_or("missing")?.clone()
    ///     .merge(&right.get("alice").ok_or("missing")?)?;
    /// assert_eq!((merged.orders(), merged.monetary()), (2, Money::new(350)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(mut self, other: &CustomerSummary) -> Result<CustomerSummary> {
        if self.customer != other.customer {
            return Err(Error::config(
                "customer",
                format!(
                    "cannot merge the summary of {} into that of {}",
                    other.customer, self.customer
                ),
            ));
        }
        if self.as_of != other.as_of {
            return Err(Error::AsOfMismatch {
                left: self.as_of,
                right: other.as_of,
            });
        }
        let overflow = || Error::Overflow {
            customer: self.customer.clone(),
        };
        let orders = self.orders.checked_add(other.orders).ok_or_else(overflow)?;
        let returns = self
            .returns
            .checked_add(other.returns)
            .ok_or_else(overflow)?;
        let revenue = self
            .revenue
            .checked_add(other.revenue)
            .ok_or_else(overflow)?;
        let refunds = self
            .refunds
            .checked_add(other.refunds)
            .ok_or_else(overflow)?;
        let margin = match (self.margin, other.margin) {
            (Some(a), Some(b)) => Some(a.checked_add(b).ok_or_else(overflow)?),
            _ => None,
        };
        let first_order = match (self.first_order.take(), &other.first_order) {
            (Some(a), Some(b)) if b.key() < a.key() => Some(b.clone()),
            (Some(a), _) => Some(a),
            (None, b) => b.clone(),
        };
        let dates = itertools::merge(&self.purchase_dates, &other.purchase_dates)
            .copied()
            .dedup()
            .collect();
        Ok(CustomerSummary {
            customer: self.customer,
            as_of: self.as_of,
            purchase_dates: dates,
            orders,
            returns,
            revenue,
            refunds,
            margin,
            first_order,
        })
    }
}

/// Builds a [`CustomerSummary`] from its parts; made by
/// [`CustomerSummary::builder`].
///
/// The parts are those of the [module docs](self#definitions); each setter
/// says its default. [`build`](Self::build) checks the invariants every
/// summary keeps (those listed under [`Summaries`]).
#[derive(Debug, Clone)]
pub struct CustomerSummaryBuilder {
    row: CustomerSummary,
}

impl CustomerSummaryBuilder {
    /// The distinct purchase dates (completed orders), ascending. Default:
    /// none.
    #[must_use]
    pub fn purchase_dates(mut self, dates: Vec<NaiveDate>) -> Self {
        self.row.purchase_dates = dates;
        self
    }

    /// The number of completed orders. Default: 0.
    #[must_use]
    pub fn orders(mut self, orders: u64) -> Self {
        self.row.orders = orders;
        self
    }

    /// The number of returned orders. Default: 0.
    #[must_use]
    pub fn returns(mut self, returns: u64) -> Self {
        self.row.returns = returns;
        self
    }

    /// The sum of completed amounts (`>= 0`). Default: 0.
    #[must_use]
    pub fn revenue(mut self, revenue: Money) -> Self {
        self.row.revenue = revenue;
        self
    }

    /// The sum of returned amounts (`<= 0`). Default: 0.
    #[must_use]
    pub fn refunds(mut self, refunds: Money) -> Self {
        self.row.refunds = refunds;
        self
    }

    /// The margin, Σ (amount − cost) over completed and returned orders;
    /// `None` when unknown. Default: `None`.
    #[must_use]
    pub fn margin(mut self, margin: Option<Money>) -> Self {
        self.row.margin = margin;
        self
    }

    /// Checks the parts and returns the summary.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] naming the part (`purchase_dates`,
    /// `orders`, `revenue`, `refunds`, …) and the customer when an
    /// invariant breaks: purchase dates not ascending and distinct or after
    /// the as-of date, `orders` not matching them (`orders == 0` exactly
    /// when there are no dates, `orders >= ` their count), neither an order
    /// nor a return, a count above `u32::MAX`, a revenue without orders or
    /// below 0, refunds without returns or above 0.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::summary::CustomerSummary;
    ///
    /// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
    /// let err = CustomerSummary::builder("bob", d(31)?)
    ///     .purchase_dates(vec![d(3)?, d(9)?])
    ///     .orders(1) // two purchase days need at least two orders
    ///     .build()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("customer bob"), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> Result<CustomerSummary> {
        check_row(None, self.row.as_of, &self.row)?;
        Ok(self.row)
    }
}

/// Per-customer summaries as of one date, in the id order of their
/// [`CustomerIndex`] ([`CustomerId`] order unless the log chose
/// [`IdOrder::Numeric`]).
///
/// Stored as columns (28 bytes per customer, plus 4 bytes per distinct
/// purchase day, plus the first order's details when orders had ids):
/// [`get`](Self::get), [`row`](Self::row) and [`iter`](Self::iter) build
/// [`CustomerSummary`] rows on demand; the later stages read the columns.
///
/// Empty input gives empty summaries. See the [module docs](self).
///
/// Serialized as `{"as_of": …, "customers": [CustomerSummary, …]}` (plus
/// `"id_order": "numeric"` for numeric id order); deserializing checks
/// every invariant the crate keeps, naming the row (`customers[i].field`)
/// and the customer when one breaks:
///
/// - ids sorted (in the `id_order`) and unique; every row as of `as_of`;
/// - purchase dates ascending, distinct and not after `as_of` (any date
///   chrono represents is allowed before it, as orders may carry one);
/// - `orders >= purchase days`, `orders == 0` exactly when there are no
///   purchase dates, and at least one order or return; `orders` and
///   `returns` at most `u32::MAX`;
/// - `revenue >= 0`, and 0 without orders; `refunds <= 0`, and 0 without
///   returns; the first order, if given, on the first purchase date.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::summary::Summaries;
/// use rfmkit::{Money, Order};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let orders = vec![
///     Order::new("A-1", "bob", d(1, 5)?, Money::new(4500)),
///     Order::new("A-2", "alice", d(2, 10)?, Money::new(1200)),
///     Order::new("A-3", "bob", d(3, 1)?, Money::new(3000)),
/// ];
/// let summaries = Summaries::from_orders(&orders, d(3, 31)?)?;
/// let ids: Vec<String> = summaries.iter().map(|s| s.customer().to_string()).collect();
/// assert_eq!(ids, ["alice", "bob"]);
/// assert_eq!(summaries.get("bob").map(|s| s.monetary()), Some(Money::new(7500)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Summaries {
    as_of: NaiveDate,
    index: Arc<CustomerIndex>,
    cols: SummaryColumns,
}

/// The columns of [`Summaries`], one entry per customer of the index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct SummaryColumns {
    /// Day number (`num_days_from_ce`) of the last purchase; [`NO_DAY`] for
    /// a returns-only customer.
    pub(crate) last: Vec<i32>,
    /// Completed orders.
    pub(crate) orders: Vec<u32>,
    /// Σ completed amounts (`>= 0`).
    pub(crate) revenue: Vec<i64>,
    /// Σ refunds (`<= 0`).
    pub(crate) refunds: Vec<i64>,
    /// `days[day_offsets[i]..day_offsets[i + 1]]` are customer `i`'s
    /// distinct purchase days, ascending.
    pub(crate) day_offsets: Vec<u32>,
    pub(crate) days: Vec<i32>,
    /// (position, returns) of the customers with returns, by position.
    pub(crate) returns: Vec<(u32, u32)>,
    /// Margins; empty when no order had a cost (every margin unknown).
    pub(crate) margin: Vec<Option<i64>>,
    /// First completed orders; empty when the orders had no ids.
    /// Shared with the log the summaries were built from.
    pub(crate) first_orders: Arc<FirstOrders>,
}

/// The median gap between consecutive days of an ascending list; `None`
/// for fewer than two days.
pub(crate) fn median_gap(days: &[i32]) -> Option<f64> {
    // Most customers have a few purchase days: their gaps sort in a buffer
    // on the stack (no allocation per customer).
    const ON_STACK: usize = 32;
    let gap = |w: &[i32]| match w {
        [a, b] => i64::from(*b) - i64::from(*a),
        _ => 0,
    };
    let n = days.len().saturating_sub(1);
    let mut stack = [0_i64; ON_STACK];
    let mut heap = Vec::new();
    let gaps: &mut [i64] = if n <= ON_STACK {
        let gaps = stack.get_mut(..n).unwrap_or_default();
        for (slot, w) in gaps.iter_mut().zip(days.windows(2)) {
            *slot = gap(w);
        }
        gaps
    } else {
        heap.extend(days.windows(2).map(gap));
        &mut heap
    };
    gaps.sort_unstable();
    #[allow(clippy::cast_precision_loss)]
    let at = |i: usize| gaps.get(i).map(|&g| g as f64);
    match n {
        0 => None,
        _ if n % 2 == 1 => at(n / 2),
        _ => Some((at(n / 2 - 1)? + at(n / 2)?) / 2.0),
    }
}

/// The median of `values` (the mean of the middle two for an even count),
/// `None` for none; reorders `values` (a selection, not a sort).
pub(crate) fn median_of(values: &mut [f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (below, &mut upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = below.iter().copied().max_by(f64::total_cmp)?;
    Some((lower + upper) / 2.0)
}

/// The `last` value of a customer without a purchase.
pub(crate) const NO_DAY: i32 = i32::MIN;

impl SummaryColumns {
    fn with_capacity(n: usize) -> SummaryColumns {
        let n = n.min(1 << 22);
        SummaryColumns {
            last: Vec::with_capacity(n),
            orders: Vec::with_capacity(n),
            revenue: Vec::with_capacity(n),
            refunds: Vec::with_capacity(n),
            day_offsets: {
                let mut v = Vec::with_capacity(n + 1);
                v.push(0);
                v
            },
            days: Vec::with_capacity(n),
            returns: Vec::new(),
            margin: Vec::new(),
            first_orders: Arc::default(),
        }
    }

    /// Drops optional columns that hold nothing (every margin unknown,
    /// no first orders), so equal summaries have equal columns.
    fn canonicalize(&mut self) {
        if self.margin.iter().all(Option::is_none) {
            self.margin = Vec::new();
        }
        if !self.first_orders.any() {
            self.first_orders = Arc::default();
        }
    }

    /// The number of distinct purchase days of customer `i`.
    pub(crate) fn purchase_days(&self, i: usize) -> u32 {
        let at = |k: usize| self.day_offsets.get(k).copied().unwrap_or(0);
        at(i + 1).saturating_sub(at(i))
    }

    /// The distinct purchase days of customer `i`.
    pub(crate) fn days_of(&self, i: usize) -> &[i32] {
        let at = |k: usize| self.day_offsets.get(k).map_or(0, |&o| crate::id::widen(o));
        self.days
            .get(at(i)..at(i + 1).max(at(i)))
            .unwrap_or_default()
    }

    /// Monetary of customer `i`: revenue + refunds, which cannot overflow
    /// (opposite signs).
    pub(crate) fn monetary(&self, i: usize) -> i64 {
        let r = self.revenue.get(i).copied().unwrap_or(0);
        let f = self.refunds.get(i).copied().unwrap_or(0);
        r.saturating_add(f)
    }

    fn returns_of(&self, i: usize) -> u32 {
        let Ok(i) = u32::try_from(i) else { return 0 };
        self.returns
            .binary_search_by_key(&i, |&(p, _)| p)
            .ok()
            .and_then(|k| self.returns.get(k))
            .map_or(0, |&(_, n)| n)
    }

    /// Appends customer rows, validating nothing (the caller did).
    fn push_row(
        &mut self,
        position: u32,
        row: &CustomerSummary,
        keep_margin: bool,
        keep_first: bool,
    ) -> Result<()> {
        let overflow = || Error::Overflow {
            customer: row.customer.clone(),
        };
        let orders = u32::try_from(row.orders).map_err(|_| overflow())?;
        let returns = u32::try_from(row.returns).map_err(|_| overflow())?;
        self.last.push(
            row.purchase_dates
                .last()
                .map_or(NO_DAY, |d| d.num_days_from_ce()),
        );
        self.orders.push(orders);
        self.revenue.push(row.revenue.minor_units());
        self.refunds.push(row.refunds.minor_units());
        self.days
            .extend(row.purchase_dates.iter().map(Datelike::num_days_from_ce));
        let end = u32::try_from(self.days.len()).map_err(|_| overflow())?;
        self.day_offsets.push(end);
        if returns > 0 {
            self.returns.push((position, returns));
        }
        if keep_margin {
            self.margin.push(row.margin.map(Money::minor_units));
        }
        if keep_first {
            Arc::make_mut(&mut self.first_orders).push(row.first_order.as_ref());
        }
        Ok(())
    }
}

/// The summary kernel over customers `range` of a log: one sequential pass
/// over their rows (each customer's rows are contiguous and by date).
fn summarize_range(log: &OrderLog, range: std::ops::Range<usize>) -> Result<SummaryColumns> {
    let cols = log.columns();
    let mut out = SummaryColumns::with_capacity(range.len());
    let with_cost = cols.cost.is_some();
    for c in range {
        let rows = log.range(c);
        let (mut last, mut orders, mut returns) = (NO_DAY, 0_u32, 0_u32);
        let (mut revenue, mut refunds, mut margin) = (0_i64, 0_i64, Some(0_i64));
        let mut ok = true;
        for r in rows {
            let (Some(&day), Some(&amount), Some(&returned)) =
                (cols.day.get(r), cols.amount.get(r), cols.returned.get(r))
            else {
                continue;
            };
            if returned {
                returns += 1;
                let (sum, wrapped) = refunds.overflowing_add(amount);
                refunds = sum;
                ok &= !wrapped;
            } else {
                orders += 1;
                let (sum, wrapped) = revenue.overflowing_add(amount);
                revenue = sum;
                ok &= !wrapped;
                if day != last {
                    out.days.push(day);
                    last = day;
                }
            }
            if with_cost {
                let cost = cols.cost.and_then(|c| c.get(r).copied().flatten());
                margin = match (margin, cost) {
                    (Some(m), Some(cost)) => {
                        let add = amount.checked_sub(cost).and_then(|d| m.checked_add(d));
                        ok &= add.is_some();
                        add
                    }
                    _ => None,
                };
            }
        }
        if !ok {
            return Err(Error::Overflow {
                customer: log
                    .index()
                    .id(c)
                    .cloned()
                    .unwrap_or_else(|| CustomerId::new("")),
            });
        }
        out.last.push(last);
        out.orders.push(orders);
        out.revenue.push(revenue);
        out.refunds.push(refunds);
        out.day_offsets
            .push(u32::try_from(out.days.len()).unwrap_or(u32::MAX));
        if returns > 0 {
            out.returns
                .push((u32::try_from(c).unwrap_or(u32::MAX), returns));
        }
        if with_cost {
            out.margin.push(margin);
        }
    }
    Ok(out)
}

/// Concatenates per-chunk columns (chunks in customer order).
#[cfg(feature = "parallel")]
fn concat(parts: Vec<SummaryColumns>) -> SummaryColumns {
    let n: usize = parts.iter().map(|p| p.last.len()).sum();
    let mut out = SummaryColumns::with_capacity(n);
    for p in parts {
        let base = out.days.len();
        out.last.extend(p.last);
        out.orders.extend(p.orders);
        out.revenue.extend(p.revenue);
        out.refunds.extend(p.refunds);
        out.days.extend(p.days);
        let base = u32::try_from(base).unwrap_or(u32::MAX);
        out.day_offsets.extend(
            p.day_offsets
                .iter()
                .skip(1)
                .map(|&o| o.saturating_add(base)),
        );
        out.returns.extend(p.returns);
        out.margin.extend(p.margin);
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawSummaries {
    as_of: NaiveDate,
    #[serde(default)]
    id_order: IdOrder,
    customers: Vec<CustomerSummary>,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
struct WireSummaries<'a> {
    as_of: NaiveDate,
    #[serde(skip_serializing_if = "is_text")]
    id_order: IdOrder,
    customers: WireRows<'a>,
}

fn is_text(order: &IdOrder) -> bool {
    *order == IdOrder::Text
}

struct WireRows<'a>(&'a Summaries);

impl Serialize for WireRows<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl Serialize for Summaries {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        WireSummaries {
            as_of: self.as_of,
            id_order: self.index.id_order(),
            customers: WireRows(self),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Summaries {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let raw = RawSummaries::deserialize(deserializer)?;
        Summaries::from_rows(raw.as_of, raw.id_order, raw.customers)
            .map_err(serde::de::Error::custom)
    }
}

/// Checks the invariants of one row that the crate keeps; `i` is the row's
/// position in a list (fields are then named `customers[i].field`).
fn check_row(i: Option<usize>, as_of: NaiveDate, row: &CustomerSummary) -> Result<()> {
    let bad = |field: &str, reason: String| {
        Err(Error::config(
            match i {
                Some(i) => format!("customers[{i}].{field}"),
                None => field.to_owned(),
            },
            format!("customer {}: {reason}", row.customer),
        ))
    };
    if row.as_of != as_of {
        return Err(Error::AsOfMismatch {
            left: as_of,
            right: row.as_of,
        });
    }
    let dates = &row.purchase_dates;
    if !dates.windows(2).all(|w| matches!(w, [a, b] if a < b)) {
        return bad("purchase_dates", "must be ascending with no repeats".into());
    }
    if let Some(last) = dates.last().filter(|&&d| d > as_of) {
        return bad(
            "purchase_dates",
            format!("{last} is after the as-of date {as_of}"),
        );
    }
    let days = u64::try_from(dates.len()).unwrap_or(u64::MAX);
    if (row.orders == 0) != dates.is_empty() || row.orders < days {
        return bad(
            "orders",
            format!(
                "{} orders do not fit {} distinct purchase days",
                row.orders, days
            ),
        );
    }
    if row.orders == 0 && row.returns == 0 {
        return bad(
            "orders",
            "a summary needs a completed order or a return".into(),
        );
    }
    for (field, count) in [("orders", row.orders), ("returns", row.returns)] {
        if u32::try_from(count).is_err() {
            return bad(
                field,
                format!(
                    "{count} is more than a summary counts (at most {})",
                    u32::MAX
                ),
            );
        }
    }
    if row.orders == 0 && row.revenue != Money::ZERO {
        return bad(
            "revenue",
            format!("{} without a completed order; it must be 0", row.revenue),
        );
    }
    if row.returns == 0 && row.refunds != Money::ZERO {
        return bad(
            "refunds",
            format!("{} without a returned order; it must be 0", row.refunds),
        );
    }
    if row.revenue.is_negative() {
        return bad(
            "revenue",
            format!("{} is negative; revenue is >= 0", row.revenue),
        );
    }
    if row.refunds.is_positive() {
        return bad(
            "refunds",
            format!("{} is positive; refunds are <= 0", row.refunds),
        );
    }
    if let Some(first) = &row.first_order {
        if dates.first() != Some(&first.date) {
            return bad(
                "first_order",
                "its date is not the first purchase date".into(),
            );
        }
    }
    Ok(())
}

impl Summaries {
    /// Summarizes `orders` as of `as_of` with the default, strict policies.
    ///
    /// Shorthand for `SummaryConfig::new(as_of).summarize(orders)`, keeping
    /// only the summaries (under strict validation nothing is skipped).
    ///
    /// # Errors
    ///
    /// The first invalid order's error, in input order:
    /// [`Error::DuplicateOrderId`], [`Error::OrderAfterAsOf`] or
    /// [`Error::InvalidAmount`]; [`Error::Overflow`] if a customer's sums
    /// overflow.
    pub fn from_orders<'a>(
        orders: impl IntoIterator<Item = &'a Order>,
        as_of: NaiveDate,
    ) -> Result<Summaries> {
        Summaries::from_log(&IngestConfig::new(as_of).ingest(orders)?)
    }

    /// Summarizes an ingested [`OrderLog`], as of its as-of date, sharing
    /// its [`CustomerIndex`].
    ///
    /// One pass over the log's rows (each customer's rows are contiguous),
    /// on all threads with the `parallel` feature (identical results).
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] naming the first customer (in id order) whose
    /// revenue, refunds or margin overflow.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ingest::IngestConfig;
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::Money;
    ///
    /// let day = |d| NaiveDate::from_ymd_opt(2025, 1, d).ok_or("bad date");
    /// let mut log = IngestConfig::new(day(31)?).builder();
    /// log.push("alice", day(2)?, Money::new(500))?;
    /// log.push("alice", day(2)?, Money::new(700))?;
    /// log.push("alice", day(9)?, Money::new(300))?;
    /// let summaries = Summaries::from_log(&log.build()?)?;
    /// let alice = summaries.get("alice").ok_or("missing")?;
    /// assert_eq!((alice.orders(), alice.purchase_days(), alice.recency_days()), (3, 2, Some(22)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_log(log: &OrderLog) -> Result<Summaries> {
        let n = log.index().len();
        #[cfg(feature = "parallel")]
        let mut cols = {
            use rayon::prelude::*;
            const CHUNK: usize = 1 << 15;
            let chunks: Vec<std::ops::Range<usize>> = (0..n)
                .step_by(CHUNK)
                .map(|s| s..(s + CHUNK).min(n))
                .collect();
            let parts: Vec<Result<SummaryColumns>> = chunks
                .into_par_iter()
                .map(|r| summarize_range(log, r))
                .collect();
            concat(parts.into_iter().collect::<Result<Vec<_>>>()?)
        };
        #[cfg(not(feature = "parallel"))]
        let mut cols = summarize_range(log, 0..n)?;
        cols.first_orders = log.first_orders_shared();
        cols.canonicalize();
        Ok(Summaries {
            as_of: log.as_of(),
            index: Arc::clone(log.index()),
            cols,
        })
    }

    /// Summaries from rows, checking every invariant: rows sorted in
    /// `id_order` without repeats, each as of `as_of`, purchase dates
    /// ascending, distinct and not after `as_of`, `orders >= purchase days`
    /// and `orders == 0` exactly when there are no purchase dates,
    /// revenue `>= 0`, refunds `<= 0`.
    ///
    /// # Errors
    ///
    /// [`Error::AsOfMismatch`] for a row of another date;
    /// [`Error::InvalidConfig`] naming the row (`customers[i].field`) and
    /// the customer for any other broken invariant (see [`Summaries`]),
    /// a count above `u32::MAX` included.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ingest::IdOrder;
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
    /// let orders = [Order::new("A-1", "alice", d(3)?, Money::new(100))];
    /// let summaries = Summaries::from_orders(&orders, d(31)?)?;
    /// let rows: Vec<_> = summaries.iter().collect();
    /// assert_eq!(Summaries::from_rows(d(31)?, IdOrder::Text, rows)?, summaries);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_rows(
        as_of: NaiveDate,
        id_order: IdOrder,
        rows: Vec<CustomerSummary>,
    ) -> Result<Summaries> {
        for (i, row) in rows.iter().enumerate() {
            check_row(Some(i), as_of, row)?;
        }
        let keep_margin = rows.iter().any(|r| r.margin.is_some());
        let keep_first = rows.iter().any(|r| r.first_order.is_some());
        let mut cols = SummaryColumns::with_capacity(rows.len());
        for (position, row) in (0_u32..).zip(&rows) {
            cols.push_row(position, row, keep_margin, keep_first)?;
        }
        cols.canonicalize();
        let ids = rows.into_iter().map(|r| r.customer).collect();
        let index = CustomerIndex::from_sorted(ids, id_order)?;
        Ok(Summaries {
            as_of,
            index: Arc::new(index),
            cols,
        })
    }

    /// No customers, as of `as_of`.
    #[must_use]
    pub fn empty(as_of: NaiveDate) -> Summaries {
        Summaries {
            as_of,
            index: Arc::new(CustomerIndex::empty(IdOrder::Text)),
            cols: SummaryColumns::with_capacity(0),
        }
    }

    /// The as-of date.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The customers, in order; shared with every stage built from these
    /// summaries.
    #[must_use]
    pub fn index(&self) -> &Arc<CustomerIndex> {
        &self.index
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether there are no customers.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The summary of one customer, built on demand.
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<CustomerSummary> {
        self.row(self.index.position(customer)?)
    }

    /// The summary of the customer at `position` in the id order.
    #[must_use]
    pub fn row(&self, position: usize) -> Option<CustomerSummary> {
        let cols = &self.cols;
        let customer = self.index.id(position)?.clone();
        let purchase_dates = cols
            .days_of(position)
            .iter()
            .filter_map(|&d| day_to_date(d))
            .collect();
        Some(CustomerSummary {
            customer,
            as_of: self.as_of,
            purchase_dates,
            orders: u64::from(*cols.orders.get(position)?),
            returns: u64::from(cols.returns_of(position)),
            revenue: Money::new(*cols.revenue.get(position)?),
            refunds: Money::new(*cols.refunds.get(position)?),
            margin: cols.margin.get(position).copied().flatten().map(Money::new),
            first_order: cols.first_orders.get(position),
        })
    }

    /// The summaries in id order, built on demand.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            summaries: self,
            next: 0,
        }
    }

    /// The population's typical days between purchases: the median of the
    /// customers' own [`purchase_interval_days`](CustomerSummary::purchase_interval_days)
    /// (over customers with at least two purchase days); `None` when no
    /// customer has two. The fallback cycle for customers with too few
    /// purchases of their own.
    #[must_use]
    pub fn median_purchase_interval_days(&self) -> Option<f64> {
        let mut own: Vec<f64> =
            crate::par::column(self.len(), |i| median_gap(self.cols.days_of(i)))
                .into_iter()
                .flatten()
                .collect();
        median_of(&mut own)
    }

    /// Heap bytes per customer of the core columns that scoring reads
    /// (last purchase day, orders, revenue, refunds and the purchase-day
    /// offsets: 28 when the columns are tight), measured from their
    /// allocated capacity. The distinct purchase days (4 bytes each), the
    /// customers with returns, margins and first orders come on top, when
    /// present. `0.0` for no customers.
    #[must_use]
    pub fn core_bytes_per_customer(&self) -> f64 {
        let c = &self.cols;
        let bytes = c.last.capacity() * std::mem::size_of::<i32>()
            + c.orders.capacity() * std::mem::size_of::<u32>()
            + (c.revenue.capacity() + c.refunds.capacity()) * std::mem::size_of::<i64>()
            + c.day_offsets.capacity() * std::mem::size_of::<u32>();
        if self.is_empty() {
            return 0.0;
        }
        #[allow(clippy::cast_precision_loss)]
        let per = bytes as f64 / self.len() as f64;
        per
    }

    /// The columns, for the later stages' kernels.
    pub(crate) fn columns(&self) -> &SummaryColumns {
        &self.cols
    }

    /// Merges summaries of another, disjoint set of orders as of the same
    /// date: the result equals summarizing both sets together.
    ///
    /// # Errors
    ///
    /// [`Error::AsOfMismatch`] if the as-of dates differ;
    /// [`Error::InvalidConfig`] (field `id_order`) if the id orders differ;
    /// [`Error::Overflow`] if a customer's sums overflow.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
    /// let orders = vec![
    ///     Order::new("A-1", "alice", d(3)?, Money::new(100)),
    ///     Order::new("A-2", "bob", d(5)?, Money::new(700)),
    ///     Order::new("A-3", "alice", d(9)?, Money::new(250)),
    /// ];
    /// let (left, right) = orders.split_at(2);
    /// let merged = Summaries::from_orders(left, d(31)?)?.merge(Summaries::from_orders(right, d(31)?)?)?;
    /// assert_eq!(merged, Summaries::from_orders(&orders, d(31)?)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(self, other: Summaries) -> Result<Summaries> {
        if self.as_of != other.as_of {
            return Err(Error::AsOfMismatch {
                left: self.as_of,
                right: other.as_of,
            });
        }
        let order = self.index.id_order();
        if other.index.id_order() != order && !other.is_empty() && !self.is_empty() {
            return Err(Error::config(
                "id_order",
                "cannot merge summaries in text id order with summaries in numeric id order",
            ));
        }
        let order = if self.is_empty() {
            other.index.id_order()
        } else {
            order
        };
        let mut rows = Vec::with_capacity(self.len().max(other.len()));
        for pair in self.iter().merge_join_by(other.iter(), |a, b| {
            order.compare(a.customer.as_str(), b.customer.as_str())
        }) {
            rows.push(match pair {
                itertools::EitherOrBoth::Both(a, b) => a.merge(&b)?,
                itertools::EitherOrBoth::Left(a) | itertools::EitherOrBoth::Right(a) => a,
            });
        }
        Summaries::from_rows(self.as_of, order, rows)
    }

    /// Re-keys every summary with `unify` and merges the summaries that land
    /// on the same customer: the multi-store merge, where store-local
    /// customer ids map to one unified customer.
    ///
    /// `unify` returns the unified id for a local id (return the id itself
    /// to keep it). The result equals summarizing all orders with their
    /// customer ids replaced, provided the local customers' orders are
    /// disjoint (each order appears under one local id only). The result
    /// keeps the id order.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if a merged customer's sums overflow;
    /// [`Error::InvalidConfig`] (field `id_order`) if a unified id is not an
    /// integer under [`IdOrder::Numeric`].
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{CustomerId, Money, Order};
    ///
    /// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
    /// let orders = vec![
    ///     Order::new("T-1", "tokyo:17", d(3)?, Money::new(100)).with_store("tokyo"),
    ///     Order::new("O-1", "osaka:4", d(9)?, Money::new(250)).with_store("osaka"),
    ///     Order::new("O-2", "osaka:5", d(9)?, Money::new(900)).with_store("osaka"),
    /// ];
    /// // tokyo:17 and osaka:4 are the same person, "u-1".
    /// let unify = |id: &CustomerId| match id.as_str() {
    ///     "tokyo:17" | "osaka:4" => CustomerId::from("u-1"),
    ///     _ => id.clone(),
    /// };
    /// let unified = Summaries::from_orders(&orders, d(31)?)?.remap(unify)?;
    /// assert_eq!(unified.len(), 2);
    /// let u1 = unified.get("u-1").ok_or("missing")?;
    /// assert_eq!((u1.orders(), u1.monetary()), (2, Money::new(350)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remap(self, mut unify: impl FnMut(&CustomerId) -> CustomerId) -> Result<Summaries> {
        let order = self.index.id_order();
        let mut rekeyed: Vec<CustomerSummary> = self
            .iter()
            .map(|mut s| {
                s.customer = unify(&s.customer);
                s
            })
            .collect();
        rekeyed.sort_by(|a, b| order.compare(a.customer.as_str(), b.customer.as_str()));
        let mut rows: Vec<CustomerSummary> = Vec::with_capacity(rekeyed.len());
        for summary in rekeyed {
            match rows.last_mut() {
                Some(last) if last.customer == summary.customer => {
                    let merged = last.clone().merge(&summary)?;
                    *last = merged;
                }
                _ => rows.push(summary),
            }
        }
        Summaries::from_rows(self.as_of, order, rows)
    }
}

/// The summaries of [`Summaries::iter`], in id order, built on demand.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    summaries: &'a Summaries,
    next: usize,
}

impl Iterator for Iter<'_> {
    type Item = CustomerSummary;

    fn next(&mut self) -> Option<CustomerSummary> {
        let row = self.summaries.row(self.next)?;
        self.next += 1;
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.summaries.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Summaries {
    type Item = CustomerSummary;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::OrderStatus;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, day).unwrap()
    }

    #[test]
    fn builder_rebuilds_a_summary_and_names_the_broken_part() {
        let orders = [
            Order::new("1", "a", d(1, 1), Money::new(500)).with_cost(Money::new(300)),
            Order::new("2", "a", d(1, 1), Money::new(700)).with_cost(Money::new(100)),
            Order::new("3", "a", d(1, 9), Money::new(-200))
                .with_cost(Money::new(-50))
                .with_status(OrderStatus::Returned),
        ];
        let mut from_orders = Summaries::from_orders(&orders, d(2, 1))
            .unwrap()
            .get("a")
            .unwrap();
        from_orders.first_order = None; // needs order ids; not settable
        let built = CustomerSummary::builder("a", d(2, 1))
            .purchase_dates(vec![d(1, 1)])
            .orders(2)
            .returns(1)
            .revenue(Money::new(1200))
            .refunds(Money::new(-200))
            .margin(Some(Money::new(650)))
            .build()
            .unwrap();
        assert_eq!(built, from_orders);

        let err = CustomerSummary::builder("a", d(2, 1))
            .purchase_dates(vec![d(1, 1)])
            .orders(1)
            .revenue(Money::new(-1))
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidConfig { field, reason }
                if field == "revenue" && reason.contains("customer a")),
            "{err}"
        );
        let err = CustomerSummary::builder("b", d(2, 1)).build().unwrap_err();
        assert!(
            err.to_string()
                .contains("needs a completed order or a return"),
            "{err}"
        );
    }

    #[test]
    fn average_rounds_half_away_from_zero() {
        let orders = [
            Order::new("1", "a", d(1, 1), Money::new(1)),
            Order::new("2", "a", d(1, 2), Money::new(2)),
        ];
        let s = Summaries::from_orders(&orders, d(2, 1)).unwrap();
        // 3 / 2 = 1.5 -> 2
        assert_eq!(
            s.get("a").unwrap().average_order_value(),
            Some(Money::new(2))
        );
        let orders = [
            Order::new("1", "a", d(1, 1), Money::new(1)),
            Order::new("2", "a", d(1, 2), Money::ZERO),
            Order::new("3", "a", d(1, 3), Money::new(-4)).with_status(OrderStatus::Returned),
        ];
        let s = Summaries::from_orders(&orders, d(2, 1)).unwrap();
        // -3 / 2 = -1.5 -> -2
        assert_eq!(
            s.get("a").unwrap().average_order_value(),
            Some(Money::new(-2))
        );
    }

    #[test]
    fn returns_only_customer_has_no_dates() {
        let orders =
            [Order::new("R", "a", d(1, 1), Money::new(-300)).with_status(OrderStatus::Returned)];
        let s = Summaries::from_orders(&orders, d(2, 1)).unwrap();
        let a = s.get("a").unwrap();
        assert_eq!(
            (a.orders(), a.returns(), a.monetary()),
            (0, 1, Money::new(-300))
        );
        assert_eq!((a.last_order_date(), a.recency_days()), (None, None));
        assert_eq!(a.average_order_value(), None);
    }

    #[test]
    fn cancelled_orders_count_nowhere_but_their_ids_do() {
        let orders = [
            Order::new("X", "a", d(1, 1), Money::new(900)).with_status(OrderStatus::Cancelled),
            Order::new("X", "b", d(1, 2), Money::new(100)),
        ];
        let err = Summaries::from_orders(&orders, d(2, 1)).unwrap_err();
        assert_eq!(
            err,
            Error::DuplicateOrderId {
                index: 1,
                order_id: "X".into(),
                first_index: 0
            }
        );
        let s = Summaries::from_orders(&orders[..1], d(2, 1)).unwrap();
        assert!(s.is_empty());
    }

    #[test]
    fn margin_is_unknown_if_any_counted_order_lacks_cost() {
        let orders = [
            Order::new("1", "a", d(1, 1), Money::new(100)).with_cost(Money::new(60)),
            Order::new("2", "a", d(1, 2), Money::new(100)),
            Order::new("3", "b", d(1, 2), Money::new(100)).with_cost(Money::new(70)),
        ];
        let s = Summaries::from_orders(&orders, d(2, 1)).unwrap();
        assert_eq!(s.get("a").unwrap().margin(), None);
        assert_eq!(s.get("b").unwrap().margin(), Some(Money::new(30)));
    }

    #[test]
    fn overflow_names_the_customer() {
        let orders = [
            Order::new("1", "big", d(1, 1), Money::new(i64::MAX)),
            Order::new("2", "big", d(1, 2), Money::new(1)),
        ];
        let err = Summaries::from_orders(&orders, d(2, 1)).unwrap_err();
        assert_eq!(
            err,
            Error::Overflow {
                customer: "big".into()
            }
        );
    }

    #[test]
    fn merge_rejects_different_as_of() {
        let a = Summaries::empty(d(1, 1));
        let b = Summaries::empty(d(1, 2));
        assert!(matches!(a.merge(b), Err(Error::AsOfMismatch { .. })));
    }

    #[test]
    fn deserialize_rejects_unsorted_summaries() {
        let orders = [
            Order::new("1", "a", d(1, 1), Money::new(100)),
            Order::new("2", "b", d(1, 1), Money::new(100)),
        ];
        let s = Summaries::from_orders(&orders, d(2, 1)).unwrap();
        let json = serde_json::to_string(&s).unwrap();
        let back: Summaries = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        let swapped = json.replacen("\"customer\":\"a\"", "\"customer\":\"c\"", 1);
        assert!(serde_json::from_str::<Summaries>(&swapped).is_err());
    }

    #[test]
    fn median_gaps_by_hand() {
        // Gaps 3, 1, 10: median 3. Gaps 3, 1: mean of the two.
        assert_eq!(median_gap(&[0, 3, 4, 14]), Some(3.0));
        assert_eq!(median_gap(&[0, 3, 4]), Some(2.0));
        assert_eq!(median_gap(&[7]), None);
        assert_eq!(median_gap(&[]), None);
        // 40 days (39 gaps, past the stack buffer): gaps 39, 38, …, 1,
        // median 20.
        let mut days = vec![0_i32];
        for g in (1..=39).rev() {
            days.push(days.last().copied().unwrap_or(0) + g);
        }
        assert_eq!(median_gap(&days), Some(20.0));
        assert_eq!(median_of(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median_of(&mut [5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median_of(&mut []), None);
    }

    proptest::proptest! {
        #[test]
        fn median_gap_and_median_of_match_a_sort(
            mut days in proptest::collection::vec(-1000_i32..1000, 0..80),
        ) {
            days.sort_unstable();
            let mut gaps: Vec<f64> = days.windows(2).map(|w| f64::from(w[1] - w[0])).collect();
            gaps.sort_by(f64::total_cmp);
            let n = gaps.len();
            let expected = match n {
                0 => None,
                _ if n % 2 == 1 => Some(gaps[n / 2]),
                _ => Some((gaps[n / 2 - 1] + gaps[n / 2]) / 2.0),
            };
            proptest::prop_assert_eq!(median_gap(&days), expected);
            let mut shuffled: Vec<f64> = gaps.iter().rev().copied().collect();
            proptest::prop_assert_eq!(median_of(&mut shuffled), expected);
        }
    }
}
