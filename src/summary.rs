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
//! - `average_amount` = `monetary / orders`, rounded to the nearest minor
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

use chrono::NaiveDate;
use itertools::Itertools as _;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::customer::Customers;
use crate::error::{Error, Result};
use crate::id::{Channel, CustomerId, OrderId, StoreId};
use crate::money::Money;
use crate::order::Order;

/// What to do with orders dated after the as-of date.
///
/// # Example
///
/// ```
/// use rfmkit::summary::FutureOrders;
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
    /// Such orders are left out and listed in [`Summarized::skipped`], for
    /// re-scoring history as of past dates from a full order log.
    Ignore,
}

/// How to handle invalid orders.
///
/// # Example
///
/// ```
/// use rfmkit::summary::Validation;
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
    /// [`Summarized::skipped`] with its error; the rest are summarized.
    Lenient,
}

/// How to turn orders into summaries: the as-of date and the policies.
///
/// Created with [`SummaryConfig::new`]; the setters take and return the
/// config. A config is plain data: reuse it for any number of runs.
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
#[serde(rename_all = "snake_case")]
pub struct SummaryConfig {
    as_of: NaiveDate,
    #[serde(default)]
    future_orders: FutureOrders,
    #[serde(default)]
    validation: Validation,
}

/// An order that was not summarized, with the reason.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::summary::{FutureOrders, SummaryConfig};
/// use rfmkit::{Error, Money, Order};
///
/// let as_of = NaiveDate::from_ymd_opt(2025, 1, 31).ok_or("bad date")?;
/// let later = NaiveDate::from_ymd_opt(2025, 2, 2).ok_or("bad date")?;
/// let orders = [Order::new("A-9", "carol", later, Money::new(500))];
/// let out = SummaryConfig::new(as_of).future_orders(FutureOrders::Ignore).summarize(&orders)?;
/// let skipped = &out.skipped[0];
/// assert_eq!((skipped.index, skipped.order_id.as_str()), (0, "A-9"));
/// assert!(matches!(skipped.reason, Error::OrderAfterAsOf { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// 0-based position of the order in the input.
    pub index: usize,
    /// The order's id.
    pub order_id: OrderId,
    /// Why it was skipped.
    pub reason: Error,
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
    /// [`FutureOrders::Reject`] and [`Validation::Strict`].
    #[must_use]
    pub fn new(as_of: NaiveDate) -> SummaryConfig {
        SummaryConfig {
            as_of,
            future_orders: FutureOrders::Reject,
            validation: Validation::Strict,
        }
    }

    /// Sets what to do with orders after the as-of date (default
    /// [`FutureOrders::Reject`]).
    #[must_use]
    pub fn future_orders(mut self, policy: FutureOrders) -> SummaryConfig {
        self.future_orders = policy;
        self
    }

    /// Sets how invalid orders are handled (default [`Validation::Strict`]).
    #[must_use]
    pub fn validation(mut self, validation: Validation) -> SummaryConfig {
        self.validation = validation;
        self
    }

    /// The as-of date.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// Summarizes orders per customer.
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
        self.run(orders, None)
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
        customers: &Customers,
    ) -> Result<Summarized> {
        self.run(orders, Some(customers))
    }

    fn run<'a>(
        &self,
        orders: impl IntoIterator<Item = &'a Order>,
        customers: Option<&Customers>,
    ) -> Result<Summarized> {
        let orders = orders.into_iter();
        // Sizing the id map up front avoids rehashing it as it grows, a
        // seventh of the run time on a million orders.
        let expected = orders.size_hint().0;
        let mut seen_ids: FxHashMap<&'a OrderId, usize> =
            FxHashMap::with_capacity_and_hasher(expected, Default::default());
        let mut slots: FxHashMap<&'a CustomerId, usize> = FxHashMap::default();
        let mut accs: Vec<CustomerSummary> = Vec::new();
        let mut skipped = Vec::new();

        for (index, order) in orders.enumerate() {
            let problem = self.check(index, order, &mut seen_ids, customers);
            if let Some(reason) = problem {
                let ignorable = matches!(reason, Error::OrderAfterAsOf { .. })
                    && self.future_orders == FutureOrders::Ignore;
                if self.validation == Validation::Strict && !ignorable {
                    return Err(reason);
                }
                skipped.push(Skipped {
                    index,
                    order_id: order.id().clone(),
                    reason,
                });
                continue;
            }
            if !order.status().counts_amount() {
                continue;
            }
            let slot = *slots.entry(order.customer()).or_insert_with(|| {
                accs.push(CustomerSummary::empty(order.customer().clone(), self.as_of));
                accs.len() - 1
            });
            if let Some(acc) = accs.get_mut(slot) {
                acc.add(order)?;
            }
        }

        let mut summaries = accs;
        summaries.iter_mut().for_each(CustomerSummary::finish);
        summaries.sort_unstable_by(|a, b| a.customer.cmp(&b.customer));
        Ok(Summarized {
            summaries: Summaries {
                as_of: self.as_of,
                sorted: summaries,
            },
            skipped,
        })
    }

    /// The first problem with `order`, if any; records its id as seen.
    fn check<'a>(
        &self,
        index: usize,
        order: &'a Order,
        seen_ids: &mut FxHashMap<&'a OrderId, usize>,
        customers: Option<&Customers>,
    ) -> Option<Error> {
        if let Some(&first_index) = seen_ids.get(order.id()) {
            return Some(Error::DuplicateOrderId {
                index,
                order_id: order.id().clone(),
                first_index,
            });
        }
        seen_ids.insert(order.id(), index);
        if order.date() > self.as_of {
            return Some(Error::OrderAfterAsOf {
                index,
                order_id: order.id().clone(),
                date: order.date(),
                as_of: self.as_of,
            });
        }
        if !order.status().allows_amount(order.amount()) {
            return Some(Error::InvalidAmount {
                index,
                order_id: order.id().clone(),
                amount: order.amount(),
                status: order.status(),
            });
        }
        if let Some(list) = customers {
            if !list.contains(order.customer().as_str()) {
                return Some(Error::UnknownCustomer {
                    index,
                    order_id: order.id().clone(),
                    customer: order.customer().clone(),
                });
            }
        }
        None
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
/// let first = summaries.get("alice").and_then(|s| s.first_order()).ok_or("no first order")?;
/// assert_eq!(first.order_id.as_str(), "A-1");
/// assert_eq!(first.channel.as_ref().map(|c| c.as_str()), Some("web"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    fn of(order: &Order) -> FirstOrder {
        FirstOrder {
            date: order.date(),
            order_id: order.id().clone(),
            channel: order.channel().cloned(),
            store: order.store().cloned(),
        }
    }

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
/// assert_eq!(alice.average_amount(), Some(Money::new(1333)));
/// assert_eq!(alice.margin(), Some(Money::new(1600)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    fn empty(customer: CustomerId, as_of: NaiveDate) -> CustomerSummary {
        CustomerSummary {
            customer,
            as_of,
            purchase_dates: Vec::new(),
            orders: 0,
            returns: 0,
            revenue: Money::ZERO,
            refunds: Money::ZERO,
            margin: Some(Money::ZERO),
            first_order: None,
        }
    }

    /// Adds one counted (completed or returned) order, already validated.
    /// Purchase dates are pushed unsorted; [`finish`](Self::finish) sorts them.
    fn add(&mut self, order: &Order) -> Result<()> {
        let overflow = || Error::Overflow {
            customer: order.customer().clone(),
        };
        if order.status().is_purchase() {
            self.orders = self.orders.checked_add(1).ok_or_else(overflow)?;
            self.revenue = self
                .revenue
                .checked_add(order.amount())
                .ok_or_else(overflow)?;
            self.purchase_dates.push(order.date());
            let earlier = match &self.first_order {
                Some(first) => (order.date(), order.id()) < first.key(),
                None => true,
            };
            if earlier {
                self.first_order = Some(FirstOrder::of(order));
            }
        } else {
            self.returns = self.returns.checked_add(1).ok_or_else(overflow)?;
            self.refunds = self
                .refunds
                .checked_add(order.amount())
                .ok_or_else(overflow)?;
        }
        self.margin = match (self.margin, order.cost()) {
            (Some(margin), Some(cost)) => Some(
                order
                    .amount()
                    .checked_sub(cost)
                    .and_then(|m| margin.checked_add(m))
                    .ok_or_else(overflow)?,
            ),
            _ => None,
        };
        Ok(())
    }

    fn finish(&mut self) {
        self.purchase_dates.sort_unstable();
        self.purchase_dates.dedup();
    }

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
    pub fn average_amount(&self) -> Option<Money> {
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
    ///     .merge(right.get("alice").ok_or("missing")?)?;
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

/// Per-customer summaries as of one date, in [`CustomerId`] order.
///
/// Empty input gives empty summaries. See the [module docs](self).
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
/// let ids: Vec<&str> = summaries.iter().map(|s| s.customer().as_str()).collect();
/// assert_eq!(ids, ["alice", "bob"]);
/// assert_eq!(summaries.get("bob").map(|s| s.monetary()), Some(Money::new(7500)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawSummaries")]
pub struct Summaries {
    as_of: NaiveDate,
    #[serde(rename = "customers")]
    sorted: Vec<CustomerSummary>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
struct RawSummaries {
    as_of: NaiveDate,
    customers: Vec<CustomerSummary>,
}

impl TryFrom<RawSummaries> for Summaries {
    type Error = Error;
    fn try_from(raw: RawSummaries) -> Result<Summaries> {
        for s in &raw.customers {
            if s.as_of != raw.as_of {
                return Err(Error::AsOfMismatch {
                    left: raw.as_of,
                    right: s.as_of,
                });
            }
        }
        let sorted_unique = raw
            .customers
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.customer < b.customer));
        if !sorted_unique {
            return Err(Error::config(
                "customers",
                "summaries must be sorted by customer id with no repeats",
            ));
        }
        Ok(Summaries {
            as_of: raw.as_of,
            sorted: raw.customers,
        })
    }
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
        Ok(SummaryConfig::new(as_of).summarize(orders)?.summaries)
    }

    /// No customers, as of `as_of`.
    #[must_use]
    pub fn empty(as_of: NaiveDate) -> Summaries {
        Summaries {
            as_of,
            sorted: Vec::new(),
        }
    }

    /// The as-of date.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether there are no customers.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The summary of one customer.
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<&CustomerSummary> {
        crate::id::find_by_customer(&self.sorted, customer, |s| &s.customer)
    }

    /// The summaries in customer-id order.
    pub fn iter(&self) -> std::slice::Iter<'_, CustomerSummary> {
        self.sorted.iter()
    }

    /// The summaries as a slice, in customer-id order.
    #[must_use]
    pub fn as_slice(&self) -> &[CustomerSummary] {
        &self.sorted
    }

    /// Merges summaries of another, disjoint set of orders as of the same
    /// date: the result equals summarizing both sets together.
    ///
    /// # Errors
    ///
    /// [`Error::AsOfMismatch`] if the as-of dates differ; [`Error::Overflow`]
    /// if a customer's sums overflow.
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
        let mut sorted = Vec::with_capacity(self.sorted.len().max(other.sorted.len()));
        for pair in self
            .sorted
            .into_iter()
            .merge_join_by(other.sorted, |a, b| a.customer.cmp(&b.customer))
        {
            sorted.push(match pair {
                itertools::EitherOrBoth::Both(a, b) => a.merge(&b)?,
                itertools::EitherOrBoth::Left(a) | itertools::EitherOrBoth::Right(a) => a,
            });
        }
        Ok(Summaries {
            as_of: self.as_of,
            sorted,
        })
    }

    /// Re-keys every summary with `unify` and merges the summaries that land
    /// on the same customer: the multi-store merge, where store-local
    /// customer ids map to one unified customer.
    ///
    /// `unify` returns the unified id for a local id (return the id itself
    /// to keep it). The result equals summarizing all orders with their
    /// customer ids replaced, provided the local customers' orders are
    /// disjoint (each order appears under one local id only).
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if a merged customer's sums overflow.
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
        let mut rekeyed: Vec<CustomerSummary> = self
            .sorted
            .into_iter()
            .map(|mut s| {
                s.customer = unify(&s.customer);
                s
            })
            .collect();
        rekeyed.sort_by(|a, b| a.customer.cmp(&b.customer));
        let mut sorted: Vec<CustomerSummary> = Vec::with_capacity(rekeyed.len());
        for summary in rekeyed {
            match sorted.last_mut() {
                Some(last) if last.customer == summary.customer => {
                    let merged = last.clone().merge(&summary)?;
                    *last = merged;
                }
                _ => sorted.push(summary),
            }
        }
        Ok(Summaries {
            as_of: self.as_of,
            sorted,
        })
    }
}

impl<'a> IntoIterator for &'a Summaries {
    type Item = &'a CustomerSummary;
    type IntoIter = std::slice::Iter<'a, CustomerSummary>;
    fn into_iter(self) -> Self::IntoIter {
        self.sorted.iter()
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
    fn average_rounds_half_away_from_zero() {
        let orders = [
            Order::new("1", "a", d(1, 1), Money::new(1)),
            Order::new("2", "a", d(1, 2), Money::new(2)),
        ];
        let s = Summaries::from_orders(&orders, d(2, 1)).unwrap();
        // 3 / 2 = 1.5 -> 2
        assert_eq!(s.get("a").unwrap().average_amount(), Some(Money::new(2)));
        let orders = [
            Order::new("1", "a", d(1, 1), Money::new(1)),
            Order::new("2", "a", d(1, 2), Money::ZERO),
            Order::new("3", "a", d(1, 3), Money::new(-4)).with_status(OrderStatus::Returned),
        ];
        let s = Summaries::from_orders(&orders, d(2, 1)).unwrap();
        // -3 / 2 = -1.5 -> -2
        assert_eq!(s.get("a").unwrap().average_amount(), Some(Money::new(-2)));
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
        assert_eq!(a.average_amount(), None);
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
}
