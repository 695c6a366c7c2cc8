//! Monthly acquisition cohorts and the LTV curve: [`CohortTable`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{Channel, StoreId};
use crate::ingest::{IngestConfig, OrderLog};
use crate::money::Money;
use crate::order::Order;
use crate::summary::{CustomerSummary, Summaries};

use super::kpi::{Breakdown, Group, GroupKey, KpiConfig, PartialMonths, ratio};
use super::units::div_round;
use crate::money::total;
use crate::table::{self, Cells, Style};

/// A calendar month, such as `2025-03`.
///
/// Orders by date. Displayed and serialized as `YYYY-MM` (a string);
/// parsing and deserializing accept exactly that form (`-YYYY-MM` before
/// year 0, more digits after 9999, as chrono allows).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ltv::YearMonth;
///
/// let march = YearMonth::of(NaiveDate::from_ymd_opt(2025, 3, 14).ok_or("bad date")?);
/// assert_eq!(march, YearMonth::new(2025, 3)?);
/// assert_eq!(march.to_string(), "2025-03");
/// assert_eq!("2025-03".parse::<YearMonth>()?, march);
/// assert_eq!(YearMonth::new(2024, 11)?.months_until(march), 4);
/// assert!(YearMonth::new(2025, 13).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// The month `month` (1..=12) of `year`.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] (what `month`) if `month` is not in `1..=12`.
    pub fn new(year: i32, month: u32) -> Result<YearMonth> {
        if !(1..=12).contains(&month) {
            return Err(Error::OutOfRange {
                what: "month",
                value: month.to_string(),
                expected: "a month in 1..=12".to_owned(),
            });
        }
        Ok(YearMonth { year, month })
    }

    /// The month of `date`.
    #[must_use]
    pub fn of(date: NaiveDate) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The year.
    #[must_use]
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1..=12.
    #[must_use]
    pub fn month(self) -> u32 {
        self.month
    }

    /// Calendar months from `self` to `later` (negative if `later` is
    /// earlier): 2025-01 to 2025-03 is 2.
    #[must_use]
    pub fn months_until(self, later: YearMonth) -> i64 {
        later.index() - self.index()
    }

    /// Months since year 0, for differences.
    fn index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.year < 0 { "-" } else { "" };
        f.pad(&format!(
            "{sign}{:04}-{:02}",
            self.year.unsigned_abs(),
            self.month
        ))
    }
}

impl FromStr for YearMonth {
    type Err = Error;
    /// Parses `YYYY-MM`: a year of at least four digits (with a `-` before
    /// it for years before 0, as [`Display`](fmt::Display) writes them) and a
    /// two-digit month.
    fn from_str(text: &str) -> Result<YearMonth> {
        let bad = || Error::OutOfRange {
            what: "year-month",
            value: format!("{text:?}"),
            expected: "a month written YYYY-MM, such as 2025-03".to_owned(),
        };
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (year, month) = body.split_once('-').ok_or_else(bad)?;
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if year.len() < 4 || !digits(year) || month.len() != 2 || !digits(month) {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let year = if negative { -year } else { year };
        let month: u32 = month.parse().map_err(|_| bad())?;
        YearMonth::new(year, month).map_err(|_| bad())
    }
}

impl TryFrom<String> for YearMonth {
    type Error = Error;
    fn try_from(text: String) -> Result<YearMonth> {
        text.parse()
    }
}

impl From<YearMonth> for String {
    fn from(month: YearMonth) -> String {
        month.to_string()
    }
}

/// One cell of a [`Cohort`]: the cohort's customers in one calendar month
/// since acquisition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct CohortCell {
    /// Calendar months since the cohort month (0 = the acquisition month).
    pub months_since: u32,
    /// Customers of the cohort with a completed order in that month.
    pub active: u64,
    /// `active / cohort customers`, in `0.0..=1.0`.
    pub retention: f64,
    /// The cohort's net revenue in that month (completed minus returned).
    pub revenue: Money,
    /// The cohort's net revenue from its acquisition month to this one.
    pub cumulative_revenue: Money,
    /// `cumulative_revenue / cohort customers`: the LTV curve.
    pub cumulative_revenue_per_customer: Money,
    /// The cohort's gross margin to this month, if every counted order so
    /// far had a cost.
    pub cumulative_margin: Option<Money>,
    /// `cumulative_margin / cohort customers`: the profit LTV curve.
    pub cumulative_margin_per_customer: Option<Money>,
    /// Whether this is the partial as-of month: the as-of date is not the
    /// last day of the month, so the cell covers only the month's first
    /// days and its retention and revenue are not comparable with full
    /// months (see [`PartialMonths`]). Missing in JSON means `false`.
    #[serde(default)]
    pub partial: bool,
}

/// The customers first acquired in one month, and their cells from the
/// acquisition month to the as-of month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct Cohort {
    /// The month of the customers' first completed order.
    pub month: YearMonth,
    /// How many customers were acquired that month (`>= 1`).
    pub customers: u64,
    /// One cell per month since acquisition, `0..=months to the as-of
    /// month`. When the as-of date is not a month end the last one is
    /// partial (it ends on the as-of date): flagged with
    /// [`CohortCell::partial`], or left out with [`PartialMonths::Omit`]
    /// (then a cohort acquired in the as-of month has no cells).
    pub cells: Vec<CohortCell>,
}

/// One point of the pooled LTV curve ([`CohortTable::curve`]): every cohort
/// old enough to have reached `months_since`, taken together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct CurvePoint {
    /// Months since acquisition.
    pub months_since: u32,
    /// Cohorts that have reached this month.
    pub cohorts: u64,
    /// Their customers.
    pub customers: u64,
    /// Those active that month.
    pub active: u64,
    /// `active / customers`.
    pub retention: f64,
    /// Their summed cumulative net revenue / `customers`.
    pub cumulative_revenue_per_customer: Money,
    /// Their summed cumulative margin / `customers`, if known for all.
    pub cumulative_margin_per_customer: Option<Money>,
    /// Whether one of the pooled cells is a partial month
    /// ([`CohortCell::partial`]): the point then understates retention (a
    /// few days of activity counted as a month). Missing in JSON means
    /// `false`.
    #[serde(default)]
    pub partial: bool,
}

/// Which number a cohort table shows; see [`CohortTable::display_metric`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CohortMetric {
    /// [`CohortCell::active`].
    Active,
    /// [`CohortCell::retention`], as a percentage.
    Retention,
    /// [`CohortCell::cumulative_revenue_per_customer`].
    CumulativeRevenuePerCustomer,
    /// [`CohortCell::cumulative_margin_per_customer`].
    CumulativeMarginPerCustomer,
}

impl CohortMetric {
    fn title(self) -> &'static str {
        match self {
            CohortMetric::Active => "active customers",
            CohortMetric::Retention => "retention",
            CohortMetric::CumulativeRevenuePerCustomer => {
                "cumulative net revenue per acquired customer"
            }
            CohortMetric::CumulativeMarginPerCustomer => "cumulative margin per acquired customer",
        }
    }
}

/// Customers grouped by the month of their first completed order, with, for
/// each month since acquisition, active customers, retention and cumulative
/// revenue per acquired customer (the LTV curve, LTV推移).
///
/// Cohorts come in month order; each has cells from its acquisition month
/// (months since = 0) to the as-of month, so the table is a triangle. Months
/// since acquisition count calendar months (an order on 31 January by a
/// customer acquired on 1 January is in month 0; one on 1 February is in
/// month 1).
///
/// Which orders count follows the
/// [status policy](crate::order#status-policy): completed orders make a
/// customer active and add revenue, returns subtract their refund in the
/// month they are dated (a return dated before the customer's first
/// purchase counts in month 0), cancellations count nowhere. Customers with
/// only returns belong to no cohort. Empty input gives an empty table.
///
/// # Partial months
///
/// When the as-of date is not the last day of its month, the as-of month is
/// partial: each cohort's cell for it covers only the days up to the as-of
/// date, so its retention looks like a cliff. By default
/// ([`PartialMonths::Mark`]) such cells are kept and flagged
/// ([`CohortCell::partial`], [`CurvePoint::partial`]; `"partial": true` in
/// JSON; a `*` after the number in text tables, with a note under the
/// table); with [`PartialMonths::Omit`] in the [`KpiConfig`] they are left
/// out.
///
/// Print it with `{}` (money in minor units) or
/// [`display_table`](Self::display_table); serialized with snake_case keys.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ltv::{CohortTable, KpiConfig, YearMonth};
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
/// let table = CohortTable::from_orders(&orders, d(3, 31)?, &KpiConfig::default())?;
/// let january = table.get(YearMonth::new(2025, 1)?).ok_or("no January cohort")?;
/// assert_eq!(january.customers, 2); // alice and bob
/// let active: Vec<u64> = january.cells.iter().map(|c| c.active).collect();
/// assert_eq!(active, [2, 1, 1]); // only alice came back, in February and March
/// let ltv: Vec<Money> = january.cells.iter().map(|c| c.cumulative_revenue_per_customer).collect();
/// // (4,500 + 1,200) / 2, then + 3,000 / 2, then + 6,000 / 2
/// assert_eq!(ltv, [Money::new(2_850), Money::new(4_350), Money::new(7_350)]);
/// println!("{}", table.display_table(0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct CohortTable {
    as_of: NaiveDate,
    cohorts: Vec<Cohort>,
}

impl CohortTable {
    /// The cohort table of `orders` as of `as_of`, for the customers the
    /// config counts (all, or those acquired in its window).
    ///
    /// Orders are validated like [`Summaries::from_orders`] (strict, orders
    /// after the as-of date rejected); for other policies use
    /// [`LtvReport::build`](super::LtvReport::build).
    ///
    /// # Errors
    ///
    /// The first invalid order's error: [`Error::DuplicateOrderId`],
    /// [`Error::OrderAfterAsOf`] or [`Error::InvalidAmount`];
    /// [`Error::Overflow`] if a customer's sums overflow;
    /// [`Error::OutOfRange`] if a cohort's revenue total leaves `i64`.
    pub fn from_orders<'a>(
        orders: impl IntoIterator<Item = &'a Order>,
        as_of: NaiveDate,
        config: &KpiConfig,
    ) -> Result<CohortTable> {
        CohortTable::from_log(&IngestConfig::new(as_of).ingest(orders)?, config)
    }

    /// Cohorts of an ingested [`OrderLog`], as of its as-of date, over the
    /// customers `config` counts: the log's rows are read once, nothing
    /// re-reads the raw orders.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if a customer's sums overflow;
    /// [`Error::OutOfRange`] if a cohort's revenue total leaves `i64`.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ingest::IngestConfig;
    /// use rfmkit::ltv::{CohortTable, KpiConfig, YearMonth};
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let orders = [
    ///     Order::new("A-1", "alice", d(1, 5)?, Money::new(1_000)),
    ///     Order::new("A-2", "alice", d(2, 9)?, Money::new(500)),
    ///     Order::new("A-3", "bob", d(1, 20)?, Money::new(700)),
    /// ];
    /// let log = IngestConfig::new(d(2, 28)?).ingest(&orders)?;
    /// let table = CohortTable::from_log(&log, &KpiConfig::default())?;
    /// let january = table.get(YearMonth::new(2025, 1)?).ok_or("no cohort")?;
    /// assert_eq!(january.customers, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_log(log: &OrderLog, config: &KpiConfig) -> Result<CohortTable> {
        let summaries = Summaries::from_log(log)?;
        let ledger = Ledger::new(&summaries, log)?;
        let mut tables = ledger.tables(config, |_| None::<&()>)?;
        Ok(tables
            .pop()
            .map_or_else(|| CohortTable::empty(log.as_of()), |g| g.value))
    }

    /// A cohort table per acquisition channel (the channel of each
    /// customer's first completed order), grouped like
    /// [`Kpis::by_channel`](super::Kpis::by_channel).
    ///
    /// # Errors
    ///
    /// As [`CohortTable::from_orders`].
    pub fn by_channel<'a>(
        orders: impl IntoIterator<Item = &'a Order>,
        as_of: NaiveDate,
        config: &KpiConfig,
    ) -> Result<Breakdown<Channel, CohortTable>> {
        let log = IngestConfig::new(as_of).ingest(orders)?;
        let summaries = Summaries::from_log(&log)?;
        let ledger = Ledger::new(&summaries, &log)?;
        Ok(Breakdown::from_groups(
            ledger.tables(config, CustomerSummary::first_channel)?,
        ))
    }

    /// A cohort table per acquisition store (the store of each customer's
    /// first completed order), grouped like
    /// [`Kpis::by_store`](super::Kpis::by_store).
    ///
    /// # Errors
    ///
    /// As [`CohortTable::from_orders`].
    pub fn by_store<'a>(
        orders: impl IntoIterator<Item = &'a Order>,
        as_of: NaiveDate,
        config: &KpiConfig,
    ) -> Result<Breakdown<StoreId, CohortTable>> {
        let log = IngestConfig::new(as_of).ingest(orders)?;
        let summaries = Summaries::from_log(&log)?;
        let ledger = Ledger::new(&summaries, &log)?;
        Ok(Breakdown::from_groups(
            ledger.tables(config, CustomerSummary::first_store)?,
        ))
    }

    /// A cohort table per acquisition channel of an ingested [`OrderLog`]
    /// (the log's rows are read once): [`CohortTable::by_channel`] for
    /// callers that built the log themselves. Each group's table is the
    /// LTV curve of that channel's cohorts as a series over the months
    /// since acquisition ([`Cohort::cells`]), and [`CohortTable::curve`]
    /// pools the channel's cohorts. For the curves at several as-of dates,
    /// cut the log with [`OrderLog::until`]; the cells of months before a
    /// date do not change with later orders (only the last, partial month
    /// grows), so the table at the last date holds every earlier one.
    ///
    /// # Errors
    ///
    /// As [`CohortTable::from_log`].
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ingest::{IngestConfig, OrderRecord};
    /// use rfmkit::ltv::{CohortTable, KpiConfig};
    /// use rfmkit::Money;
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let mut log = IngestConfig::new(d(3, 31)?).builder();
    /// log.push_record(OrderRecord::new("alice", d(1, 5)?, Money::new(1_000)).order_id("A-1").channel("web"))?;
    /// log.push_record(OrderRecord::new("alice", d(2, 9)?, Money::new(500)).order_id("A-2").channel("app"))?;
    /// log.push_record(OrderRecord::new("bob", d(1, 20)?, Money::new(700)).order_id("A-3").channel("app"))?;
    /// let tables = CohortTable::from_log_by_channel(&log.build()?, &KpiConfig::default())?;
    /// // alice was acquired on the web: her February app order counts there
    /// let web = tables.get(Some("web")).ok_or("no web group")?;
    /// let curve: Vec<Money> = web.curve().iter().map(|p| p.cumulative_revenue_per_customer).collect();
    /// assert_eq!(curve, [Money::new(1_000), Money::new(1_500), Money::new(1_500)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_log_by_channel(
        log: &OrderLog,
        config: &KpiConfig,
    ) -> Result<Breakdown<Channel, CohortTable>> {
        let summaries = Summaries::from_log(log)?;
        let ledger = Ledger::new(&summaries, log)?;
        Ok(Breakdown::from_groups(
            ledger.tables(config, CustomerSummary::first_channel)?,
        ))
    }

    /// A cohort table per acquisition store of an ingested [`OrderLog`],
    /// as [`CohortTable::from_log_by_channel`] per channel.
    ///
    /// # Errors
    ///
    /// As [`CohortTable::from_log`].
    pub fn from_log_by_store(
        log: &OrderLog,
        config: &KpiConfig,
    ) -> Result<Breakdown<StoreId, CohortTable>> {
        let summaries = Summaries::from_log(log)?;
        let ledger = Ledger::new(&summaries, log)?;
        Ok(Breakdown::from_groups(
            ledger.tables(config, CustomerSummary::first_store)?,
        ))
    }

    /// No cohorts, as of `as_of`.
    #[must_use]
    pub fn empty(as_of: NaiveDate) -> CohortTable {
        CohortTable {
            as_of,
            cohorts: Vec::new(),
        }
    }

    /// The as-of date.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The cohorts, in month order.
    #[must_use]
    pub fn cohorts(&self) -> &[Cohort] {
        &self.cohorts
    }

    /// The cohorts, in month order.
    pub fn iter(&self) -> std::slice::Iter<'_, Cohort> {
        self.cohorts.iter()
    }

    /// The number of cohorts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.cohorts.len()
    }

    /// Whether there are no cohorts.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cohorts.is_empty()
    }

    /// The cohort acquired in `month`.
    #[must_use]
    pub fn get(&self, month: YearMonth) -> Option<&Cohort> {
        self.cohorts.iter().find(|c| c.month == month)
    }

    /// All customers in the table (the sum of the cohort sizes).
    #[must_use]
    pub fn customers(&self) -> u64 {
        self.cohorts.iter().map(|c| c.customers).sum()
    }

    /// The pooled LTV curve: for each month since acquisition, the cohorts
    /// that have reached it taken together (sums of their customers, active
    /// customers and cumulative revenue, then divided).
    ///
    /// Young cohorts drop out of the later points, so the pooled curve can
    /// fall from one month to the next even though every cohort's curve
    /// rises (without returns). Empty for an empty table.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ltv::{CohortTable, KpiConfig};
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let orders = vec![
    ///     Order::new("A-1", "alice", d(1, 5)?, Money::new(1_000)),
    ///     Order::new("A-2", "alice", d(2, 5)?, Money::new(1_000)),
    ///     Order::new("A-3", "bob", d(2, 10)?, Money::new(3_000)),
    /// ];
    /// let table = CohortTable::from_orders(&orders, d(2, 28)?, &KpiConfig::default())?;
    /// let curve = table.curve();
    /// // month 0: both cohorts, (1,000 + 3,000) / 2; month 1: January only, 2,000 / 1
    /// assert_eq!(curve[0].cumulative_revenue_per_customer, Money::new(2_000));
    /// assert_eq!((curve[1].customers, curve[1].cumulative_revenue_per_customer), (1, Money::new(2_000)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn curve(&self) -> Vec<CurvePoint> {
        let months = self
            .cohorts
            .iter()
            .map(|c| c.cells.len())
            .max()
            .unwrap_or(0);
        let mut points = Vec::with_capacity(months);
        for k in 0..months {
            let (mut cohorts, mut customers, mut active) = (0_u64, 0_u64, 0_u64);
            let (mut revenue, mut margin) = (0_i128, Some(0_i128));
            let mut partial = false;
            for cohort in &self.cohorts {
                let Some(cell) = cohort.cells.get(k) else {
                    continue;
                };
                cohorts += 1;
                partial |= cell.partial;
                customers += cohort.customers;
                active += cell.active;
                revenue += i128::from(cell.cumulative_revenue.minor_units());
                margin = margin
                    .zip(cell.cumulative_margin)
                    .map(|(sum, m)| sum + i128::from(m.minor_units()));
            }
            points.push(CurvePoint {
                months_since: u32::try_from(k).unwrap_or(u32::MAX),
                cohorts,
                customers,
                active,
                retention: ratio(active, customers).unwrap_or(0.0),
                cumulative_revenue_per_customer: per_customer(revenue, customers),
                cumulative_margin_per_customer: margin.map(|m| per_customer(m, customers)),
                partial,
            });
        }
        points
    }

    /// The three main tables (active customers, retention, cumulative net
    /// revenue per acquired customer), one after the other, with money
    /// written with `scale` decimals; each ends with the pooled curve as an
    /// `all` row.
    #[must_use]
    pub fn display_table(&self, scale: u32) -> DisplayCohorts<'_> {
        DisplayCohorts {
            table: self,
            metrics: &[
                CohortMetric::Active,
                CohortMetric::Retention,
                CohortMetric::CumulativeRevenuePerCustomer,
            ],
            scale,
        }
    }

    /// One table: cohorts down, months since acquisition across, `metric`
    /// in the cells, with money written with `scale` decimals.
    #[must_use]
    pub fn display_metric(&self, metric: CohortMetric, scale: u32) -> DisplayCohorts<'_> {
        let metrics: &'static [CohortMetric] = match metric {
            CohortMetric::Active => &[CohortMetric::Active],
            CohortMetric::Retention => &[CohortMetric::Retention],
            CohortMetric::CumulativeRevenuePerCustomer => {
                &[CohortMetric::CumulativeRevenuePerCustomer]
            }
            CohortMetric::CumulativeMarginPerCustomer => {
                &[CohortMetric::CumulativeMarginPerCustomer]
            }
        };
        DisplayCohorts {
            table: self,
            metrics,
            scale,
        }
    }
}

/// `sum / customers`, rounded; saturating, though a mean never exceeds the
/// largest of its `i64` parts.
fn per_customer(sum: i128, customers: u64) -> Money {
    let v = div_round(sum, i128::from(customers)).unwrap_or(0);
    Money::new(i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX }))
}

impl<'a> IntoIterator for &'a CohortTable {
    type Item = &'a Cohort;
    type IntoIter = std::slice::Iter<'a, Cohort>;
    fn into_iter(self) -> Self::IntoIter {
        self.cohorts.iter()
    }
}

impl fmt::Display for CohortTable {
    /// The [`display_table`](CohortTable::display_table) with money in minor
    /// units.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.display_table(0), f)
    }
}

/// Displays a [`CohortTable`]; made by [`CohortTable::display_table`] and
/// [`CohortTable::display_metric`].
#[derive(Debug, Clone, Copy)]
pub struct DisplayCohorts<'a> {
    table: &'a CohortTable,
    metrics: &'static [CohortMetric],
    scale: u32,
}

impl fmt::Display for DisplayCohorts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = Cells::new(self.scale);
        let curve = self.table.curve();
        let months = curve.len();
        for (i, &metric) in self.metrics.iter().enumerate() {
            if i > 0 {
                write!(f, "\n\n")?;
            }
            writeln!(f, "{} (as of {}):", metric.title(), self.table.as_of)?;
            let mut header = vec!["cohort".to_owned(), "customers".to_owned()];
            header.extend((0..months).map(|k| format!("m{k}")));
            let mut rows = vec![header];
            let star = |text: String, partial: bool| {
                if partial { format!("{text}*") } else { text }
            };
            for cohort in &self.table.cohorts {
                let mut row = vec![cohort.month.to_string(), cohort.customers.to_string()];
                row.extend(cohort.cells.iter().map(|cell| {
                    let text = match metric {
                        CohortMetric::Active => cell.active.to_string(),
                        CohortMetric::Retention => c.pct(Some(cell.retention)),
                        CohortMetric::CumulativeRevenuePerCustomer => {
                            c.money(Some(cell.cumulative_revenue_per_customer))
                        }
                        CohortMetric::CumulativeMarginPerCustomer => {
                            c.money(cell.cumulative_margin_per_customer)
                        }
                    };
                    star(text, cell.partial)
                }));
                rows.push(row);
            }
            let mut all = vec!["all".to_owned(), self.table.customers().to_string()];
            all.extend(curve.iter().map(|p| {
                let text = match metric {
                    CohortMetric::Active => p.active.to_string(),
                    CohortMetric::Retention => c.pct(Some(p.retention)),
                    CohortMetric::CumulativeRevenuePerCustomer => {
                        c.money(Some(p.cumulative_revenue_per_customer))
                    }
                    CohortMetric::CumulativeMarginPerCustomer => {
                        c.money(p.cumulative_margin_per_customer)
                    }
                };
                star(text, p.partial)
            }));
            rows.push(all);
            table::write(f, &rows, Style::left(1))?;
            if curve.iter().any(|p| p.partial) {
                write!(
                    f,
                    "\n* partial month: {} ends on the as-of date, {} of its {} days",
                    YearMonth::of(self.table.as_of),
                    self.table.as_of.day(),
                    days_in_month(self.table.as_of),
                )?;
            }
        }
        Ok(())
    }
}

/// One counted order of a customer with a cohort: its month since
/// acquisition, net amount and margin.
#[derive(Debug, Clone, Copy)]
struct Entry {
    slot: usize,
    months_since: usize,
    amount: i64,
    margin: Option<i64>,
}

/// The orders of a summarized population, placed by customer and month since
/// acquisition; aggregated into cohort tables per group.
pub(crate) struct Ledger<'s> {
    summaries: &'s Summaries,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, Copy)]
struct CellAcc {
    active: u64,
    amount: i128,
    margin: Option<i128>,
}

impl Default for CellAcc {
    fn default() -> CellAcc {
        CellAcc {
            active: 0,
            amount: 0,
            margin: Some(0),
        }
    }
}

struct CohortAcc {
    customers: u64,
    cells: Vec<CellAcc>,
}

impl<'s> Ledger<'s> {
    /// Places the rows of `log` (the log `summaries` was built from, so
    /// they share one customer index) by customer and month since their
    /// first purchase.
    pub(crate) fn new(summaries: &'s Summaries, log: &OrderLog) -> Result<Ledger<'s>> {
        let mut entries = Vec::with_capacity(log.rows().min(1 << 22));
        for (slot, s) in summaries.iter().enumerate() {
            let Some(first) = s.first_order_date().map(|d| YearMonth::of(d).index()) else {
                continue;
            };
            for row in log.customer_rows(slot) {
                let months = YearMonth::of(row.date).index() - first;
                let margin = match row.cost {
                    Some(cost) => Some(
                        row.amount
                            .checked_sub(cost)
                            .ok_or_else(|| Error::Overflow {
                                customer: s.customer().clone(),
                            })?
                            .minor_units(),
                    ),
                    None => None,
                };
                entries.push(Entry {
                    slot,
                    months_since: usize::try_from(months).unwrap_or(0),
                    amount: row.amount.minor_units(),
                    margin,
                });
            }
        }
        Ok(Ledger { summaries, entries })
    }

    /// One cohort table per group of `key`, in [`Breakdown`] order, over the
    /// customers `config` counts; groups without such customers are left
    /// out.
    pub(crate) fn tables<K: Ord + Clone>(
        &self,
        config: &KpiConfig,
        key: impl Fn(&CustomerSummary) -> Option<&K>,
    ) -> Result<Vec<Group<K, CohortTable>>> {
        let as_of = self.summaries.as_of();
        let last = YearMonth::of(as_of).index();
        // The as-of month's index if it is partial.
        let partial_at = (!is_month_end(as_of)).then_some(last);
        // Cohorts are accumulated in a flat list; `index` finds each one by
        // (group, month) once per customer, and `placed` maps a summary slot
        // to its cohort, so placing an order is two vector lookups.
        let mut index: BTreeMap<GroupKey<K>, BTreeMap<i64, usize>> = BTreeMap::new();
        let mut cohorts: Vec<CohortAcc> = Vec::new();
        let mut placed: Vec<Option<usize>> = vec![None; self.summaries.len()];
        for (slot, s) in self.summaries.iter().enumerate() {
            let Some(first) = s.first_order_date() else {
                continue;
            };
            if config.acquired().is_some_and(|w| !w.contains(first)) {
                continue;
            }
            let month = YearMonth::of(first).index();
            let position = *index
                .entry(GroupKey(key(&s).cloned()))
                .or_default()
                .entry(month)
                .or_insert_with(|| {
                    let width = usize::try_from(last - month + 1).unwrap_or(1).max(1);
                    cohorts.push(CohortAcc {
                        customers: 0,
                        cells: vec![CellAcc::default(); width],
                    });
                    cohorts.len() - 1
                });
            let Some(cohort) = cohorts.get_mut(position) else {
                continue;
            };
            cohort.customers += 1;
            let mut previous = None;
            for &date in s.purchase_dates() {
                let m = YearMonth::of(date).index();
                if previous == Some(m) {
                    continue;
                }
                previous = Some(m);
                let since = usize::try_from(m - month).unwrap_or(0);
                if let Some(cell) = cohort.cells.get_mut(since) {
                    cell.active += 1;
                }
            }
            if let Some(p) = placed.get_mut(slot) {
                *p = Some(position);
            }
        }
        for entry in &self.entries {
            let Some(&Some(position)) = placed.get(entry.slot) else {
                continue;
            };
            // Orders are dated on or before the as-of date, so the cell
            // exists.
            let cell = cohorts
                .get_mut(position)
                .and_then(|c| c.cells.get_mut(entry.months_since));
            if let Some(cell) = cell {
                cell.amount += i128::from(entry.amount);
                cell.margin = cell
                    .margin
                    .zip(entry.margin)
                    .map(|(sum, m)| sum + i128::from(m));
            }
        }
        let mut cohorts: Vec<Option<CohortAcc>> = cohorts.into_iter().map(Some).collect();
        let mut out = Vec::with_capacity(index.len());
        for (k, months) in index {
            let mut table = CohortTable::empty(as_of);
            for (month, position) in months {
                if let Some(acc) = cohorts.get_mut(position).and_then(Option::take) {
                    table.cohorts.push(finish_cohort(
                        month,
                        acc,
                        partial_at,
                        config.partial_months(),
                    )?);
                }
            }
            out.push(Group {
                key: k.0,
                value: table,
            });
        }
        Ok(out)
    }
}

/// Whether `date` is the last day of its month.
fn is_month_end(date: NaiveDate) -> bool {
    date.succ_opt()
        .is_none_or(|next| next.month() != date.month())
}

/// The number of days in `date`'s month.
fn days_in_month(date: NaiveDate) -> u32 {
    let mut last = date;
    while let Some(next) = last.succ_opt().filter(|n| n.month() == date.month()) {
        last = next;
    }
    last.day()
}

/// The cohort acquired in month index `month`; the cell of month index
/// `partial_at` (the partial as-of month, if any) is flagged or left out.
fn finish_cohort(
    month: i64,
    acc: CohortAcc,
    partial_at: Option<i64>,
    partial_months: PartialMonths,
) -> Result<Cohort> {
    let year = i32::try_from(month.div_euclid(12)).unwrap_or(0);
    let m = u32::try_from(month.rem_euclid(12) + 1).unwrap_or(1);
    let mut cells = Vec::with_capacity(acc.cells.len());
    let (mut revenue, mut margin) = (0_i128, Some(0_i128));
    for (k, cell) in acc.cells.into_iter().enumerate() {
        let partial = partial_at
            .is_some_and(|p| i64::try_from(k).is_ok_and(|k| month.checked_add(k) == Some(p)));
        if partial && partial_months == PartialMonths::Omit {
            continue;
        }
        revenue += cell.amount;
        margin = margin.zip(cell.margin).map(|(a, b)| a + b);
        cells.push(CohortCell {
            months_since: u32::try_from(k).unwrap_or(u32::MAX),
            active: cell.active,
            retention: ratio(cell.active, acc.customers).unwrap_or(0.0),
            revenue: total(cell.amount, "cohort revenue")?,
            cumulative_revenue: total(revenue, "cohort revenue")?,
            cumulative_revenue_per_customer: per_customer(revenue, acc.customers),
            cumulative_margin: margin.map(|m| total(m, "cohort margin")).transpose()?,
            cumulative_margin_per_customer: margin.map(|m| per_customer(m, acc.customers)),
            partial,
        });
    }
    Ok(Cohort {
        month: YearMonth { year, month: m },
        customers: acc.customers,
        cells,
    })
}
