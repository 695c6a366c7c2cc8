//! [`LiveSummaries`]: summaries updated one order at a time.

use chrono::{Datelike, NaiveDate};
use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::id::CustomerId;
use crate::ingest::{Gate, IdOrder, IngestConfig, OrderRecord, Skipped, Verdict, day_to_date};
use crate::order::{Order, OrderStatus};

use crate::money::Money;

use super::{CustomerSummary, FirstOrder, Summaries};

/// Per-customer summaries that take orders as they arrive: each order,
/// refund or cancellation is applied in O(1) amortised time (no rescan of
/// the customer's history), with the same checks and policies as bulk
/// ingestion.
///
/// A back end keeps one in memory, applies the day's orders as they come,
/// re-scores the touched customer against a frozen
/// [`RfmModel`](crate::rfm::RfmModel) in the request path
/// ([`get`](Self::get) then [`RfmModel::score`](crate::rfm::RfmModel::score)),
/// moves the as-of date forward at midnight ([`advance`](Self::advance):
/// recency grows, no order is touched) and freezes a [`Summaries`] for the
/// nightly re-fit ([`summaries`](Self::summaries)).
///
/// # Same result as bulk ingestion
///
/// Applying a stream of records one by one gives exactly the summaries,
/// skip report and cancellation count that [`IngestConfig::ingest`] and
/// [`Summaries::from_log`] give for the whole stream at once, whatever the
/// split between a first batch and later updates: duplicate order ids (a
/// record's id against every earlier record's), orders after the as-of
/// date, amounts of the wrong sign, the validation and future-order
/// policies, the status policy, and overflow (an [`Error::Overflow`] that
/// leaves the summaries unchanged) all behave the same. Input positions
/// (the `index` of errors) count every record applied since
/// [`new`](Self::new).
///
/// A record is a fact about one order: a later cancellation of an order
/// that was already applied is a new record with the same id, so it is a
/// duplicate, as it would be in a bulk file. (Send the refund as a return
/// with its own id.)
///
/// Checking customer ids against a [`Customers`](crate::customer::Customers)
/// list is a bulk-only option.
///
/// # Cost
///
/// A hash lookup of the customer and of the order id, and a few checked
/// additions; a purchase day older than the customer's last is inserted in
/// their sorted list of days (dates usually arrive in order, so this is an
/// append). Memory: the order ids seen (for duplicate checks) plus about
/// 64 bytes per customer and 4 per distinct purchase day.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ingest::{IngestConfig, OrderRecord};
/// use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
/// use rfmkit::summary::LiveSummaries;
/// use rfmkit::Money;
///
/// let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let mut live = LiveSummaries::new(IngestConfig::new(day(3, 31)?));
/// live.apply(OrderRecord::new("alice", day(3, 1)?, Money::new(5_000)).order_id("A-1"))?;
/// live.apply(OrderRecord::new("bob", day(1, 5)?, Money::new(2_000)).order_id("A-2"))?;
/// let config = ScoringConfig::builder().method(Method::Rank).build()?;
/// let model = RfmModel::fit(&config, &live.summaries()?); // the nightly fit
///
/// // A day later bob buys again: apply, then re-score him alone.
/// live.advance(day(4, 1)?)?;
/// live.apply(OrderRecord::new("bob", day(4, 1)?, Money::new(9_000)).order_id("A-3"))?;
/// let bob = live.get("bob").ok_or("missing")?;
/// assert_eq!((bob.orders(), bob.recency_days()), (2, Some(0)));
/// assert_eq!(model.score(&bob)?.to_string(), "5-5-5");
///
/// // The same id again is a duplicate, and nothing changes.
/// let again = OrderRecord::new("bob", day(4, 1)?, Money::new(0)).order_id("A-3");
/// assert!(live.apply(again).is_err());
/// assert_eq!(live.get("bob").ok_or("missing")?.orders(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct LiveSummaries {
    gate: Gate<'static>,
    slots: FxHashMap<CompactString, u32>,
    ids: Vec<CustomerId>,
    rows: Vec<LiveRow>,
}

/// One customer's running totals.
#[derive(Debug, Clone)]
struct LiveRow {
    /// Distinct purchase days, ascending.
    days: Vec<i32>,
    orders: u64,
    returns: u64,
    revenue: i64,
    refunds: i64,
    /// `None` once a counted order had no cost.
    margin: Option<i64>,
    first: Option<FirstOrder>,
}

impl LiveRow {
    fn empty() -> LiveRow {
        LiveRow {
            days: Vec::new(),
            orders: 0,
            returns: 0,
            revenue: 0,
            refunds: 0,
            margin: Some(0),
            first: None,
        }
    }
}

impl LiveSummaries {
    /// No customers yet, with `config`'s as-of date, policies and id order.
    #[must_use]
    pub fn new(config: IngestConfig) -> LiveSummaries {
        LiveSummaries {
            gate: Gate::new(config, None),
            slots: FxHashMap::default(),
            ids: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Applies one record: checked like a row of bulk ingestion, then
    /// counted by the status policy (a completed order adds a purchase, a
    /// return nets monetary, a cancellation counts nowhere).
    ///
    /// Returns the customer whose summary changed, or `None` for a
    /// cancellation or (under lenient validation or
    /// [`FutureOrders::Ignore`](crate::ingest::FutureOrders::Ignore)) a
    /// skipped record, which [`skipped`](Self::skipped) then lists.
    ///
    /// # Errors
    ///
    /// Under [`Validation::Strict`](crate::ingest::Validation::Strict) the
    /// record's problem ([`Error::DuplicateOrderId`],
    /// [`Error::OrderAfterAsOf`], [`Error::InvalidAmount`]); in any mode
    /// [`Error::Overflow`] if the customer's totals would leave `i64` minor
    /// units (the record is then not applied), and
    /// [`Error::InvalidConfig`] (field `id_order`) for a new customer id
    /// that is not an integer under [`IdOrder::Numeric`].
    pub fn apply(&mut self, record: OrderRecord<'_>) -> Result<Option<&CustomerId>> {
        let verdict = match self.gate.judge(&record) {
            Ok(v) => v,
            Err(e) => {
                self.gate.reject(&record);
                return Err(e);
            }
        };
        let Verdict::Count(_) = verdict else {
            self.gate.commit(&record, verdict);
            return Ok(None);
        };
        let customer = record.customer;
        let overflow = || Error::Overflow {
            customer: CustomerId::from(customer),
        };
        let i = match self.slots.get(customer) {
            Some(&slot) => {
                let i = crate::id::widen(slot);
                add(self.rows.get_mut(i).ok_or_else(overflow)?, &record).ok_or_else(overflow)?;
                i
            }
            None => {
                if self.gate.config.id_order == IdOrder::Numeric && customer.parse::<i64>().is_err()
                {
                    return Err(Error::config(
                        "id_order",
                        format!("customer id {customer:?} is not an integer; use IdOrder::Text"),
                    ));
                }
                let slot = u32::try_from(self.rows.len()).map_err(|_| {
                    Error::config("rows", "more than 2^32 customers in one LiveSummaries")
                })?;
                let mut row = LiveRow::empty();
                add(&mut row, &record).ok_or_else(overflow)?;
                self.slots.insert(CompactString::new(customer), slot);
                self.ids.push(CustomerId::from(customer));
                self.rows.push(row);
                crate::id::widen(slot)
            }
        };
        self.gate.commit(&record, verdict);
        Ok(self.ids.get(i))
    }

    /// Applies an [`Order`]; see [`apply`](Self::apply).
    ///
    /// # Errors
    ///
    /// As [`apply`](Self::apply).
    pub fn apply_order(&mut self, order: &Order) -> Result<Option<&CustomerId>> {
        self.apply(OrderRecord::of(order))
    }

    /// Moves the as-of date forward: recencies grow, orders up to the new
    /// date are accepted, nothing else changes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `as_of`) for a date before the
    /// current one.
    pub fn advance(&mut self, as_of: NaiveDate) -> Result<()> {
        if as_of < self.as_of() {
            return Err(Error::config(
                "as_of",
                format!(
                    "{as_of} is before the current as-of date {}; live summaries only move forward",
                    self.as_of()
                ),
            ));
        }
        self.gate.set_as_of(as_of);
        Ok(())
    }

    /// The current as-of date.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.gate.config.as_of
    }

    /// The number of customers with a counted order.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no order was counted yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// One customer's summary as of the current date.
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<CustomerSummary> {
        let slot = crate::id::widen(*self.slots.get(customer)?);
        self.summary(slot)
    }

    /// Every record left out so far (lenient validation, ignored future
    /// orders), in input order.
    #[must_use]
    pub fn skipped(&self) -> &[Skipped] {
        &self.gate.skipped
    }

    /// The number of valid cancelled orders applied (they count nowhere).
    #[must_use]
    pub fn cancelled(&self) -> usize {
        self.gate.cancelled
    }

    /// The number of records applied, counted or not: the next record's
    /// input position.
    #[must_use]
    pub fn applied(&self) -> usize {
        self.gate.pushed
    }

    /// Every customer's summary as of the current date, in the config's id
    /// order: equal to bulk ingestion of every record applied.
    ///
    /// # Errors
    ///
    /// As [`Summaries::from_rows`] (which cannot fail on rows built here
    /// unless a count exceeds `u32::MAX`).
    pub fn summaries(&self) -> Result<Summaries> {
        let order = self.gate.config.id_order;
        let mut by_id: Vec<usize> = (0..self.ids.len()).collect();
        let id = |k: usize| self.ids.get(k).map_or("", CustomerId::as_str);
        by_id.sort_unstable_by(|&a, &b| order.compare(id(a), id(b)));
        let rows = by_id.into_iter().filter_map(|k| self.summary(k)).collect();
        Summaries::from_rows(self.as_of(), order, rows)
    }

    fn summary(&self, slot: usize) -> Option<CustomerSummary> {
        let row = self.rows.get(slot)?;
        Some(CustomerSummary {
            customer: self.ids.get(slot)?.clone(),
            as_of: self.as_of(),
            purchase_dates: row.days.iter().filter_map(|&d| day_to_date(d)).collect(),
            orders: row.orders,
            returns: row.returns,
            revenue: Money::new(row.revenue),
            refunds: Money::new(row.refunds),
            margin: row.margin.map(Money::new),
            first_order: row.first.clone(),
        })
    }
}

/// Adds a counted record to a customer's totals, or returns `None` on
/// overflow with the totals unchanged.
fn add(row: &mut LiveRow, record: &OrderRecord<'_>) -> Option<()> {
    let amount = record.amount.minor_units();
    let returned = record.status == OrderStatus::Returned;
    // Every checked value first, so that an overflow changes nothing.
    let (revenue, refunds) = if returned {
        (row.revenue, row.refunds.checked_add(amount)?)
    } else {
        (row.revenue.checked_add(amount)?, row.refunds)
    };
    let margin = match (row.margin, record.cost) {
        (Some(m), Some(cost)) => Some(m.checked_add(amount.checked_sub(cost.minor_units())?)?),
        _ => None,
    };
    row.revenue = revenue;
    row.refunds = refunds;
    row.margin = margin;
    if returned {
        row.returns += 1;
        return Some(());
    }
    row.orders += 1;
    let day = record.date.num_days_from_ce();
    if row.days.last().is_none_or(|&last| last < day) {
        row.days.push(day);
    } else if let Err(at) = row.days.binary_search(&day) {
        row.days.insert(at, day);
    }
    if record.has_first_order_fields() {
        let candidate = record.first_order();
        let earlier = row.first.as_ref().is_none_or(|f| {
            (candidate.date, candidate.order_id.as_str()) < (f.date, f.order_id.as_str())
        });
        if earlier {
            row.first = Some(candidate);
        }
    }
    Some(())
}
