//! Population KPIs from summaries ([`Kpis`]), their configuration
//! ([`KpiConfig`]) and breakdowns per group ([`Breakdown`]).

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{Channel, StoreId};
use crate::money::{Money, total};
use crate::summary::{CustomerSummary, Summaries};

use super::units::div_round;
use crate::table::{self, Cells, Style};

/// The default F2 window: a second purchase within 90 days.
pub const DEFAULT_F2_DAYS: u32 = 90;

/// The default churn period: 365 days.
pub const DEFAULT_CHURN_DAYS: u32 = 365;

/// An inclusive range of dates, `start..=end` with `start <= end`.
///
/// Serialized as `{"start": "2025-01-01", "end": "2025-03-31"}`;
/// deserializing validates like [`DateRange::new`].
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ltv::DateRange;
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let q1 = DateRange::new(d(1, 1)?, d(3, 31)?)?;
/// assert!(q1.contains(d(3, 31)?) && !q1.contains(d(4, 1)?));
/// assert!(DateRange::new(d(3, 1)?, d(1, 1)?).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawDateRange")]
pub struct DateRange {
    start: NaiveDate,
    end: NaiveDate,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawDateRange {
    start: NaiveDate,
    end: NaiveDate,
}

impl TryFrom<RawDateRange> for DateRange {
    type Error = Error;
    fn try_from(raw: RawDateRange) -> Result<DateRange> {
        DateRange::new(raw.start, raw.end)
    }
}

impl DateRange {
    /// The dates `start..=end`.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] (what `date range`) if `start > end`.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<DateRange> {
        if start > end {
            return Err(Error::OutOfRange {
                what: "date range",
                value: format!("{start}..={end}"),
                expected: "a start on or before the end".to_owned(),
            });
        }
        Ok(DateRange { start, end })
    }

    /// The first date.
    #[must_use]
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// The last date (included).
    #[must_use]
    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// Whether `date` is in the range.
    #[must_use]
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..={}", self.start, self.end)
    }
}

/// How KPIs and cohorts are computed: the F2 window, the churn period, an
/// optional acquisition window and what cohort tables do with the partial
/// as-of month.
///
/// Built with [`KpiConfig::builder`]; [`Default`] is the documented
/// defaults (F2 within [`DEFAULT_F2_DAYS`], churn over
/// [`DEFAULT_CHURN_DAYS`], every customer, partial months
/// [marked](PartialMonths::Mark)). A built config is immutable and
/// reusable. Serialized with snake_case keys; missing keys take their
/// defaults and deserializing validates like the builder.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ltv::{DateRange, KpiConfig};
///
/// let start = NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("bad date")?;
/// let end = NaiveDate::from_ymd_opt(2025, 6, 30).ok_or("bad date")?;
/// let config = KpiConfig::builder()
///     .f2_days(60)
///     .churn_days(180)
///     .acquired(DateRange::new(start, end)?)
///     .build()?;
/// assert_eq!((config.f2_days(), config.churn_days()), (60, 180));
/// assert_eq!(KpiConfig::default().f2_days(), 90);
/// assert!(KpiConfig::builder().f2_days(0).build().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawKpiConfig")]
pub struct KpiConfig {
    f2_days: u32,
    churn_days: u32,
    acquired: Option<DateRange>,
    partial_months: PartialMonths,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", default, deny_unknown_fields)]
struct RawKpiConfig {
    f2_days: u32,
    churn_days: u32,
    acquired: Option<DateRange>,
    partial_months: PartialMonths,
}

impl Default for RawKpiConfig {
    fn default() -> RawKpiConfig {
        RawKpiConfig {
            f2_days: DEFAULT_F2_DAYS,
            churn_days: DEFAULT_CHURN_DAYS,
            acquired: None,
            partial_months: PartialMonths::Mark,
        }
    }
}

impl TryFrom<RawKpiConfig> for KpiConfig {
    type Error = Error;
    fn try_from(raw: RawKpiConfig) -> Result<KpiConfig> {
        let mut builder = KpiConfig::builder()
            .f2_days(raw.f2_days)
            .churn_days(raw.churn_days)
            .partial_months(raw.partial_months);
        if let Some(window) = raw.acquired {
            builder = builder.acquired(window);
        }
        builder.build()
    }
}

impl Default for KpiConfig {
    fn default() -> KpiConfig {
        KpiConfig {
            f2_days: DEFAULT_F2_DAYS,
            churn_days: DEFAULT_CHURN_DAYS,
            acquired: None,
            partial_months: PartialMonths::Mark,
        }
    }
}

impl KpiConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> KpiConfigBuilder {
        KpiConfigBuilder {
            config: KpiConfig::default(),
        }
    }

    /// Days a first-time buyer has to make a second purchase to count as an
    /// F2 conversion.
    #[must_use]
    pub fn f2_days(&self) -> u32 {
        self.f2_days
    }

    /// The length in days of the churn period (and of the period before it).
    #[must_use]
    pub fn churn_days(&self) -> u32 {
        self.churn_days
    }

    /// The acquisition window, if any: only customers whose first purchase
    /// is in it are counted.
    #[must_use]
    pub fn acquired(&self) -> Option<DateRange> {
        self.acquired
    }

    /// What cohort tables do with the partial as-of month.
    #[must_use]
    pub fn partial_months(&self) -> PartialMonths {
        self.partial_months
    }
}

/// What a [`CohortTable`](super::CohortTable) does with the as-of month
/// when the as-of date is not the last day of its month: that calendar
/// month is *partial* (it ends on the as-of date), so its retention and
/// revenue cover only part of the month and read as a false cliff.
///
/// The default is [`Mark`](Self::Mark): every number stays (the cumulative
/// revenue to date is exact, no customer or order disappears, and cohort
/// totals still add up to the [`Kpis`] of the same orders), and the partial
/// cells say so ([`CohortCell::partial`](super::CohortCell::partial),
/// `"partial": true` in JSON, a `*` in text tables). Choose
/// [`Omit`](Self::Omit) for a table or chart that must show complete months
/// only, such as a retention curve read month by month. With an as-of date
/// on a month end the two give the same table.
///
/// Serialized as `"mark"` or `"omit"`.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ltv::{CohortTable, KpiConfig, PartialMonths};
/// use rfmkit::{Money, Order};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let orders = [
///     Order::new("A-1", "alice", d(1, 5)?, Money::new(1_000)),
///     Order::new("A-2", "alice", d(2, 1)?, Money::new(500)),
/// ];
/// // as of 1 February: February is one day old
/// let marked = CohortTable::from_orders(&orders, d(2, 1)?, &KpiConfig::default())?;
/// let flags: Vec<bool> = marked.cohorts()[0].cells.iter().map(|c| c.partial).collect();
/// assert_eq!(flags, [false, true]);
/// let config = KpiConfig::builder().partial_months(PartialMonths::Omit).build()?;
/// let omitted = CohortTable::from_orders(&orders, d(2, 1)?, &config)?;
/// assert_eq!(omitted.cohorts()[0].cells.len(), 1); // January only
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PartialMonths {
    /// Keep the partial month's cells and flag them (the default).
    #[default]
    Mark,
    /// Leave the partial month's cells out: each cohort's cells end with
    /// the last complete month, and a cohort acquired in the partial month
    /// keeps its customer count with no cells.
    Omit,
}

/// Builds a [`KpiConfig`]; made by [`KpiConfig::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct KpiConfigBuilder {
    config: KpiConfig,
}

impl KpiConfigBuilder {
    /// Sets the F2 window in days (default [`DEFAULT_F2_DAYS`], 90).
    pub fn f2_days(mut self, days: u32) -> Self {
        self.config.f2_days = days;
        self
    }

    /// Sets the churn period in days (default [`DEFAULT_CHURN_DAYS`], 365).
    pub fn churn_days(mut self, days: u32) -> Self {
        self.config.churn_days = days;
        self
    }

    /// Counts only customers whose first purchase is in `window` (default:
    /// every customer).
    pub fn acquired(mut self, window: DateRange) -> Self {
        self.config.acquired = Some(window);
        self
    }

    /// Sets what cohort tables do with the partial as-of month (default
    /// [`PartialMonths::Mark`]; see there for why).
    pub fn partial_months(mut self, partial: PartialMonths) -> Self {
        self.config.partial_months = partial;
        self
    }

    /// Validates and returns the config.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] with field `f2_days` or `churn_days` if it
    /// is 0.
    pub fn build(self) -> Result<KpiConfig> {
        if self.config.f2_days == 0 {
            return Err(Error::config(
                "f2_days",
                "must be >= 1: a second purchase is on a later day than the first",
            ));
        }
        if self.config.churn_days == 0 {
            return Err(Error::config("churn_days", "must be >= 1 day"));
        }
        Ok(self.config)
    }
}

/// F2 conversion: how many first-time buyers came back for a second
/// purchase day within [`days`](Self::days).
///
/// See the [module docs](super#definitions) for who is eligible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct F2 {
    /// The window in days.
    pub days: u32,
    /// Customers whose first purchase day is at least `days` days before
    /// the as-of date.
    pub eligible: u64,
    /// Eligible customers whose second distinct purchase day is at most
    /// `days` days after their first.
    pub converted: u64,
    /// `converted / eligible`; `None` without eligible customers.
    pub rate: Option<f64>,
}

/// Churn over the last [`days`](Self::days) days.
///
/// See the [module docs](super#definitions) for the definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct Churn {
    /// The period length in days.
    pub days: u32,
    /// Customers with a purchase in the previous period, `(as_of − 2·days,
    /// as_of − days]`: active at the start of the churn period.
    pub active: u64,
    /// Active customers without a purchase in the churn period,
    /// `(as_of − days, as_of]`.
    pub churned: u64,
    /// `churned / active`; `None` without active customers.
    pub rate: Option<f64>,
    /// `days / rate`: the lifetime this churn implies if it stayed constant
    /// (a geometric lifetime); `None` if `rate` is `None` or 0.
    pub expected_lifespan_days: Option<f64>,
}

/// Population KPIs as of a date: counts, revenue, average order value,
/// frequency, repeat rate, F2 conversion, churn, lifespan and historical LTV.
///
/// Built from [`Summaries`] by [`Kpis::from_summaries`] (or per group by
/// [`Kpis::by_channel`] and [`Kpis::by_store`]). Every definition is in the
/// [module docs](super#definitions). Ratios are `f64` computed from exact
/// integer sums at the end and are `None` when their denominator is 0; money
/// per customer or per order is rounded to the nearest minor unit (halves
/// away from zero).
///
/// Serialized with snake_case keys, money as integer minor units.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ltv::{KpiConfig, Kpis};
/// use rfmkit::summary::Summaries;
/// use rfmkit::{Money, Order};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let orders = vec![
///     Order::new("A-1", "alice", d(1, 5)?, Money::new(4_500)),
///     Order::new("A-2", "alice", d(2, 14)?, Money::new(3_000)),
///     Order::new("A-3", "alice", d(3, 30)?, Money::new(6_000)),
///     Order::new("A-4", "bob", d(1, 10)?, Money::new(1_200)),
///     Order::new("A-5", "carol", d(3, 2)?, Money::new(2_500)),
///     Order::new("A-6", "carol", d(3, 28)?, Money::new(900)),
/// ];
/// let summaries = Summaries::from_orders(&orders, d(6, 30)?)?;
/// let kpis = Kpis::from_summaries(&summaries, &KpiConfig::default())?;
/// assert_eq!((kpis.customers, kpis.orders), (3, 6));
/// assert_eq!(kpis.net_revenue, Money::new(18_100));
/// // AOV: 18,100 / 6 orders = 3,016.67 -> 3,017
/// assert_eq!(kpis.average_order_value, Some(Money::new(3_017)));
/// // alice and carol bought twice or more: 2 of 3
/// assert_eq!(kpis.repeat_rate, Some(2.0 / 3.0));
/// // F2 within 90 days: eligible = first purchase on or before 1 April (all 3);
/// // alice (40 days) and carol (26 days) came back in time, bob did not.
/// assert_eq!((kpis.f2.eligible, kpis.f2.converted), (3, 2));
/// // historical LTV: 18,100 / 3 customers = 6,033.33 -> 6,033
/// assert_eq!(kpis.ltv, Some(Money::new(6_033)));
/// println!("{}", kpis.display_table(0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct Kpis {
    /// The as-of date of the summaries.
    pub as_of: NaiveDate,
    /// The acquisition window, if the config set one.
    pub acquired: Option<DateRange>,
    /// Customers with at least one completed order (first purchase in the
    /// window, if any).
    pub customers: u64,
    /// Customers whose only counted orders are returns: they have no
    /// acquisition date and are left out of every other KPI (always 0 under
    /// an acquisition window).
    pub returns_only_customers: u64,
    /// Sum of the refunds of the `returns_only_customers` (`<= 0`): money
    /// paid back to customers who bought nothing in the data (their
    /// purchases predate it). Not part of `refunds`, `net_revenue` or `ltv`,
    /// which are over `customers`; subtract it too for the shop's whole net
    /// cash flow. Always 0 under an acquisition window. Absent from JSON
    /// written before it existed, and then 0.
    #[serde(default)]
    pub returns_only_refunds: Money,
    /// Completed orders.
    pub orders: u64,
    /// Distinct (customer, day) pairs with a completed order.
    pub purchase_days: u64,
    /// Sum of completed amounts (gross of returns).
    pub revenue: Money,
    /// Sum of returned amounts (`<= 0`).
    pub refunds: Money,
    /// `revenue + refunds`.
    pub net_revenue: Money,
    /// Sum of gross margins, if every customer's margin is known.
    pub margin: Option<Money>,
    /// `net_revenue / orders`.
    pub average_order_value: Option<Money>,
    /// `orders / customers`.
    pub orders_per_customer: Option<f64>,
    /// Completed orders per customer-year of exposure (see the definitions).
    pub purchase_frequency_per_year: Option<f64>,
    /// Customers with at least 2 completed orders.
    pub repeat_customers: u64,
    /// `repeat_customers / customers`.
    pub repeat_rate: Option<f64>,
    /// F2 conversion.
    pub f2: F2,
    /// Churn over the last `churn_days`.
    pub churn: Churn,
    /// Mean of `last purchase day − first purchase day`, in days (0 for a
    /// one-time buyer).
    pub mean_lifespan_days: Option<f64>,
    /// Historical revenue LTV: `net_revenue / customers`.
    pub ltv: Option<Money>,
    /// Historical margin LTV: `margin / customers`, if the margin is known.
    pub margin_ltv: Option<Money>,
}

/// Dates the KPIs compare purchase days against, derived once per run.
struct Bounds {
    as_of: NaiveDate,
    config: KpiConfig,
    /// Customers whose first purchase is on or before this date are F2
    /// eligible (`None`: nobody, the date is before chrono's range).
    f2_cutoff: Option<NaiveDate>,
    /// Start (excluded) of the period before the churn period; `None`:
    /// unbounded.
    prior_after: Option<NaiveDate>,
    /// End (included) of the period before the churn period; `None`:
    /// nobody is active.
    prior_end: Option<NaiveDate>,
}

impl Bounds {
    fn new(as_of: NaiveDate, config: &KpiConfig) -> Bounds {
        let back = |days: u64| as_of.checked_sub_days(Days::new(days));
        let churn = u64::from(config.churn_days);
        Bounds {
            as_of,
            config: config.clone(),
            f2_cutoff: back(u64::from(config.f2_days)),
            prior_after: back(2 * churn),
            prior_end: back(churn),
        }
    }

    /// Whether the customer is counted: has a first purchase, in the window.
    fn includes(&self, view: &CustomerView<'_>) -> bool {
        match (view.dates.first(), self.config.acquired) {
            (None, _) => false,
            (Some(&first), Some(window)) => window.contains(first),
            (Some(_), None) => true,
        }
    }
}

/// What the KPIs read of one customer as of a date: the light view that
/// both [`Kpis::from_summaries`] (from a [`CustomerSummary`]) and the
/// one-pass trend of [`timeline`](crate::timeline) (from a prefix of the
/// customer's rows) build, so that both share one definition of every KPI.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CustomerView<'a> {
    /// The distinct days with a completed order up to the date, ascending.
    pub(crate) dates: &'a [NaiveDate],
    /// Completed orders.
    pub(crate) orders: u64,
    /// Σ completed amounts.
    pub(crate) revenue: i64,
    /// Σ refunds (`<= 0`).
    pub(crate) refunds: i64,
    /// Σ (amount − cost), if every row had a cost.
    pub(crate) margin: Option<i64>,
}

impl<'a> CustomerView<'a> {
    pub(crate) fn of(summary: &'a CustomerSummary) -> CustomerView<'a> {
        CustomerView {
            dates: summary.purchase_dates(),
            orders: summary.orders(),
            revenue: summary.revenue().minor_units(),
            refunds: summary.refunds().minor_units(),
            margin: summary.margin().map(Money::minor_units),
        }
    }
}

/// Running KPI sums at one as-of date, for callers outside this module
/// that feed customers one at a time (the trend of
/// [`timeline`](crate::timeline)).
pub(crate) struct KpiAccumulator {
    bounds: Bounds,
    acc: Acc,
}

impl KpiAccumulator {
    pub(crate) fn new(as_of: NaiveDate, config: &KpiConfig) -> KpiAccumulator {
        KpiAccumulator {
            bounds: Bounds::new(as_of, config),
            acc: Acc::default(),
        }
    }

    pub(crate) fn add(&mut self, view: &CustomerView<'_>) {
        self.acc.add(view, &self.bounds);
    }

    /// Whether no customer (not even a returns-only one) was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.acc.customers == 0 && self.acc.returns_only == 0
    }

    pub(crate) fn finish(self) -> Result<Kpis> {
        self.acc.finish(&self.bounds)
    }
}

/// Exact running sums behind [`Kpis`].
struct Acc {
    customers: u64,
    returns_only: u64,
    returns_only_refunds: i128,
    orders: u128,
    purchase_days: u128,
    revenue: i128,
    refunds: i128,
    margin: Option<i128>,
    repeat: u64,
    f2_eligible: u64,
    f2_converted: u64,
    churn_active: u64,
    churned: u64,
    lifespan_days: i128,
    exposure_days: i128,
}

impl Default for Acc {
    fn default() -> Acc {
        Acc {
            customers: 0,
            returns_only: 0,
            returns_only_refunds: 0,
            orders: 0,
            purchase_days: 0,
            revenue: 0,
            refunds: 0,
            // Known (zero) until a customer without a known margin is added.
            margin: Some(0),
            repeat: 0,
            f2_eligible: 0,
            f2_converted: 0,
            churn_active: 0,
            churned: 0,
            lifespan_days: 0,
            exposure_days: 0,
        }
    }
}

impl Acc {
    fn add(&mut self, s: &CustomerView<'_>, bounds: &Bounds) {
        let dates = s.dates;
        let (Some(&first), Some(&last)) = (dates.first(), dates.last()) else {
            if s.orders == 0 && bounds.config.acquired.is_none() {
                self.returns_only += 1;
                self.returns_only_refunds += i128::from(s.refunds);
            }
            return;
        };
        if !bounds.includes(s) {
            return;
        }
        self.customers += 1;
        self.orders += u128::from(s.orders);
        self.purchase_days += dates.len() as u128;
        self.revenue += i128::from(s.revenue);
        self.refunds += i128::from(s.refunds);
        self.margin = match (self.margin, s.margin) {
            (Some(sum), Some(m)) => Some(sum + i128::from(m)),
            _ => None,
        };
        if s.orders >= 2 {
            self.repeat += 1;
        }
        if bounds.f2_cutoff.is_some_and(|cutoff| first <= cutoff) {
            self.f2_eligible += 1;
            let deadline = first.checked_add_days(Days::new(u64::from(bounds.config.f2_days)));
            if let Some(&second) = dates.get(1) {
                if deadline.is_none_or(|deadline| second <= deadline) {
                    self.f2_converted += 1;
                }
            }
        }
        if let Some(prior_end) = bounds.prior_end {
            let from = match bounds.prior_after {
                Some(after) => dates.partition_point(|&d| d <= after),
                None => 0,
            };
            let active = dates.get(from).is_some_and(|&d| d <= prior_end);
            if active {
                self.churn_active += 1;
                if last <= prior_end {
                    self.churned += 1;
                }
            }
        }
        self.lifespan_days += i128::from((last - first).num_days());
        self.exposure_days += i128::from((bounds.as_of - first).num_days().max(0) + 1);
    }

    #[allow(clippy::cast_precision_loss)]
    fn finish(self, bounds: &Bounds) -> Result<Kpis> {
        let revenue = total(self.revenue, "total revenue")?;
        let refunds = total(self.refunds, "total refunds")?;
        let net = self.revenue + self.refunds;
        let net_revenue = total(net, "total net revenue")?;
        let margin = self.margin.map(|m| total(m, "total margin")).transpose()?;
        let count = |n: u128, what: &'static str| {
            u64::try_from(n).map_err(|_| Error::OutOfRange {
                what,
                value: n.to_string(),
                expected: "a count within u64".to_owned(),
            })
        };
        let orders = count(self.orders, "total orders")?;
        let purchase_days = count(self.purchase_days, "total purchase days")?;
        let customers = i128::from(self.customers);
        let per = |sum: i128, n: i128| div_round(sum, n).and_then(|v| i64::try_from(v).ok());
        let churn_rate = ratio(self.churned, self.churn_active);
        let churn_days = bounds.config.churn_days;
        Ok(Kpis {
            as_of: bounds.as_of,
            acquired: bounds.config.acquired,
            customers: self.customers,
            returns_only_customers: self.returns_only,
            returns_only_refunds: total(self.returns_only_refunds, "returns-only refunds")?,
            orders,
            purchase_days,
            revenue,
            refunds,
            net_revenue,
            margin,
            average_order_value: per(net, i128::from(orders)).map(Money::new),
            orders_per_customer: (self.customers > 0)
                .then(|| self.orders as f64 / self.customers as f64),
            purchase_frequency_per_year: (self.exposure_days > 0).then(|| {
                self.orders as f64 * super::units::TimeUnit::Year.days() / self.exposure_days as f64
            }),
            repeat_customers: self.repeat,
            repeat_rate: ratio(self.repeat, self.customers),
            f2: F2 {
                days: bounds.config.f2_days,
                eligible: self.f2_eligible,
                converted: self.f2_converted,
                rate: ratio(self.f2_converted, self.f2_eligible),
            },
            churn: Churn {
                days: churn_days,
                active: self.churn_active,
                churned: self.churned,
                rate: churn_rate,
                expected_lifespan_days: churn_rate
                    .filter(|&r| r > 0.0)
                    .map(|r| f64::from(churn_days) / r),
            },
            mean_lifespan_days: (self.customers > 0)
                .then(|| self.lifespan_days as f64 / self.customers as f64),
            ltv: per(net, customers).map(Money::new),
            margin_ltv: self.margin.and_then(|m| per(m, customers)).map(Money::new),
        })
    }
}

/// `num / den` as a float, `None` for `den == 0`.
#[allow(clippy::cast_precision_loss)]
pub(crate) fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

impl Kpis {
    /// The KPIs of every customer in `summaries` (or of those acquired in
    /// the config's window), as of the summaries' as-of date.
    ///
    /// Empty summaries give zero counts and `None` ratios.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if a money total (revenue, refunds, net
    /// revenue, margin) leaves `i64` minor units.
    pub fn from_summaries(summaries: &Summaries, config: &KpiConfig) -> Result<Kpis> {
        let bounds = Bounds::new(summaries.as_of(), config);
        let mut acc = Acc::default();
        for s in summaries {
            acc.add(&CustomerView::of(&s), &bounds);
        }
        acc.finish(&bounds)
    }

    /// The KPIs per acquisition channel: the channel of each customer's first
    /// completed order ([`CustomerSummary::first_channel`]).
    ///
    /// Every customer is in exactly one group, so group counts add up to
    /// [`Kpis::from_summaries`]'s. Groups come in channel order; customers
    /// whose first order has no channel (and returns-only customers) form
    /// the last group, with key `None`. Only non-empty groups are listed.
    ///
    /// # Errors
    ///
    /// As [`Kpis::from_summaries`].
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ltv::{KpiConfig, Kpis};
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let orders = vec![
    ///     Order::new("A-1", "alice", d(1, 5)?, Money::new(4_500)).with_channel("web"),
    ///     Order::new("A-2", "alice", d(2, 14)?, Money::new(3_000)).with_channel("app"),
    ///     Order::new("A-3", "bob", d(1, 10)?, Money::new(1_200)).with_channel("app"),
    ///     Order::new("A-4", "carol", d(3, 2)?, Money::new(2_500)),
    /// ];
    /// let summaries = Summaries::from_orders(&orders, d(6, 30)?)?;
    /// let by_channel = Kpis::by_channel(&summaries, &KpiConfig::default())?;
    /// let keys: Vec<Option<&str>> = by_channel.iter().map(|g| g.key.as_ref().map(|k| k.as_str())).collect();
    /// assert_eq!(keys, [Some("app"), Some("web"), None]);
    /// // alice was acquired on the web: her app order counts there too
    /// assert_eq!(by_channel.get(Some("web")).map(|k| k.net_revenue), Some(Money::new(7_500)));
    /// println!("{}", by_channel.display_table(0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn by_channel(
        summaries: &Summaries,
        config: &KpiConfig,
    ) -> Result<Breakdown<Channel, Kpis>> {
        Kpis::grouped(summaries, config, CustomerSummary::first_channel)
    }

    /// The KPIs per acquisition store: the store of each customer's first
    /// completed order ([`CustomerSummary::first_store`]).
    ///
    /// A customer who later buys in another store stays in their first
    /// store's group, with all their orders, so groups add up to the total.
    /// For the revenue each store earned, summarize each store's orders
    /// separately. Group order and the `None` group as in
    /// [`Kpis::by_channel`].
    ///
    /// # Errors
    ///
    /// As [`Kpis::from_summaries`].
    pub fn by_store(summaries: &Summaries, config: &KpiConfig) -> Result<Breakdown<StoreId, Kpis>> {
        Kpis::grouped(summaries, config, CustomerSummary::first_store)
    }

    fn grouped<K: Ord + Clone>(
        summaries: &Summaries,
        config: &KpiConfig,
        key: impl Fn(&CustomerSummary) -> Option<&K>,
    ) -> Result<Breakdown<K, Kpis>> {
        let bounds = Bounds::new(summaries.as_of(), config);
        let mut accs: BTreeMap<GroupKey<K>, Acc> = BTreeMap::new();
        for s in summaries {
            accs.entry(GroupKey(key(&s).cloned()))
                .or_default()
                .add(&CustomerView::of(&s), &bounds);
        }
        let mut groups = Vec::with_capacity(accs.len());
        for (k, acc) in accs {
            if acc.customers == 0 && acc.returns_only == 0 {
                continue;
            }
            groups.push(Group {
                key: k.0,
                value: acc.finish(&bounds)?,
            });
        }
        Ok(Breakdown { groups })
    }

    /// A two-column text table (KPI, value) with money written with `scale`
    /// decimals.
    #[must_use]
    pub fn display_table(&self, scale: u32) -> DisplayKpis<'_> {
        DisplayKpis { kpis: self, scale }
    }
}

/// A group key that sorts `Some` keys in order and `None` last.
#[derive(PartialEq, Eq)]
pub(crate) struct GroupKey<K>(pub(crate) Option<K>);

impl<K: Ord> PartialOrd for GroupKey<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: Ord> Ord for GroupKey<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
    }
}

/// One group of a [`Breakdown`]: its key (`None` for "unknown") and value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct Group<K, V> {
    /// The channel or store; `None` for customers without one.
    pub key: Option<K>,
    /// The group's KPIs, cohort table or curve.
    pub value: V,
}

/// Values per group (acquisition channel or store), in key order with the
/// `None` ("unknown") group last; only non-empty groups are listed.
///
/// Serialized as a JSON array of `{"key": ..., "value": ...}` objects
/// (`"key": null` for the unknown group), in that order.
///
/// See [`Kpis::by_channel`] for an example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Breakdown<K, V> {
    groups: Vec<Group<K, V>>,
}

impl<K, V> Breakdown<K, V> {
    pub(crate) fn from_groups(groups: Vec<Group<K, V>>) -> Breakdown<K, V> {
        Breakdown { groups }
    }

    /// The groups, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Group<K, V>> {
        self.groups.iter()
    }

    /// The groups as a slice, in order.
    #[must_use]
    pub fn as_slice(&self) -> &[Group<K, V>] {
        &self.groups
    }

    /// The number of groups.
    #[must_use]
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there are no groups.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The value of the group with `key` (`None` for the unknown group).
    #[must_use]
    pub fn get(&self, key: Option<&str>) -> Option<&V>
    where
        K: Borrow<str>,
    {
        self.groups
            .iter()
            .find(|g| g.key.as_ref().map(Borrow::borrow) == key)
            .map(|g| &g.value)
    }
}

impl<'a, K, V> IntoIterator for &'a Breakdown<K, V> {
    type Item = &'a Group<K, V>;
    type IntoIter = std::slice::Iter<'a, Group<K, V>>;
    fn into_iter(self) -> Self::IntoIter {
        self.groups.iter()
    }
}

impl<K: fmt::Display> Breakdown<K, Kpis> {
    /// An aligned text table, one row per group, with money written with
    /// `scale` decimals: customers, orders, net revenue, AOV, orders per
    /// customer, repeat rate, F2 rate, churn rate, LTV and margin LTV.
    #[must_use]
    pub fn display_table(&self, scale: u32) -> DisplayBreakdown<'_, K> {
        DisplayBreakdown {
            breakdown: self,
            scale,
        }
    }
}

impl<K: fmt::Display> fmt::Display for Breakdown<K, Kpis> {
    /// The [`display_table`](Self::display_table) with money in minor units.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.display_table(0), f)
    }
}

/// Displays a [`Breakdown`] of [`Kpis`]; made by
/// [`Breakdown::display_table`].
#[derive(Debug, Clone, Copy)]
pub struct DisplayBreakdown<'a, K> {
    breakdown: &'a Breakdown<K, Kpis>,
    scale: u32,
}

impl<K: fmt::Display> fmt::Display for DisplayBreakdown<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = Cells::new(self.scale);
        let mut rows = vec![
            [
                "group",
                "customers",
                "orders",
                "net revenue",
                "aov",
                "orders/cust",
                "repeat",
                "f2",
                "churn",
                "ltv",
                "margin ltv",
            ]
            .map(str::to_owned)
            .to_vec(),
        ];
        for g in self.breakdown {
            let k = &g.value;
            rows.push(vec![
                g.key
                    .as_ref()
                    .map_or_else(|| "(unknown)".to_owned(), ToString::to_string),
                k.customers.to_string(),
                k.orders.to_string(),
                c.money(Some(k.net_revenue)),
                c.money(k.average_order_value),
                c.num(k.orders_per_customer, 2),
                c.pct(k.repeat_rate),
                c.pct(k.f2.rate),
                c.pct(k.churn.rate),
                c.money(k.ltv),
                c.money(k.margin_ltv),
            ]);
        }
        table::write(f, &rows, Style::left(1))
    }
}

impl fmt::Display for Kpis {
    /// The [`display_table`](Kpis::display_table) with money in minor units.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.display_table(0), f)
    }
}

/// Displays [`Kpis`]; made by [`Kpis::display_table`].
#[derive(Debug, Clone, Copy)]
pub struct DisplayKpis<'a> {
    kpis: &'a Kpis,
    scale: u32,
}

impl fmt::Display for DisplayKpis<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.kpis;
        let c = Cells::new(self.scale);
        let window = k
            .acquired
            .map_or_else(|| "all customers".to_owned(), |w| format!("acquired {w}"));
        let rows: Vec<Vec<String>> = [
            ("as of", k.as_of.to_string()),
            ("population", window),
            ("customers", k.customers.to_string()),
        ]
        .into_iter()
        .chain((k.returns_only_customers > 0).then(|| {
            (
                "returns-only customers",
                format!(
                    "{} (refunds {})",
                    k.returns_only_customers,
                    c.money(Some(k.returns_only_refunds))
                ),
            )
        }))
        .chain([
            ("orders", k.orders.to_string()),
            ("revenue", c.money(Some(k.revenue))),
            ("refunds", c.money(Some(k.refunds))),
            ("net revenue", c.money(Some(k.net_revenue))),
            ("margin", c.money(k.margin)),
            ("average order value", c.money(k.average_order_value)),
            ("orders per customer", c.num(k.orders_per_customer, 2)),
            (
                "purchases per year",
                c.num(k.purchase_frequency_per_year, 2),
            ),
            ("repeat rate", c.pct(k.repeat_rate)),
            (
                &format!("f2 within {} days", k.f2.days),
                format!(
                    "{} ({}/{})",
                    c.pct(k.f2.rate),
                    k.f2.converted,
                    k.f2.eligible
                ),
            ),
            (
                &format!("churn over {} days", k.churn.days),
                format!(
                    "{} ({}/{})",
                    c.pct(k.churn.rate),
                    k.churn.churned,
                    k.churn.active
                ),
            ),
            ("mean lifespan (days)", c.num(k.mean_lifespan_days, 1)),
            (
                "churn-implied lifespan (days)",
                c.num(k.churn.expected_lifespan_days, 1),
            ),
            ("ltv (net revenue)", c.money(k.ltv)),
            ("ltv (margin)", c.money(k.margin_ltv)),
        ])
        .map(|(name, value)| vec![name.to_owned(), value])
        .collect();
        table::write(f, &rows, Style::left(1))
    }
}
