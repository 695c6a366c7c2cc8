//! Everything at once from an order list: [`LtvReport`].

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::id::{Channel, StoreId};
use crate::ingest::OrderLog;
use crate::order::Order;
use crate::summary::{CustomerSummary, Skipped, SummaryConfig};

use super::cohort::{CohortTable, CurvePoint, Ledger};
use super::kpi::{Breakdown, Group, KpiConfig, Kpis};

/// The population KPIs, their breakdowns per acquisition channel and store,
/// the monthly cohort table and each channel's pooled LTV curve, from one
/// validated pass over the orders.
///
/// Serialized with snake_case keys (what `rfmkit ltv` prints).
///
/// # Example
///
/// ```
/// use rfmkit::ltv::{KpiConfig, LtvReport};
/// use rfmkit::sim::SimConfig;
///
/// let shop = SimConfig::builder().customers(200).orders(1_000).seed(7).build()?.generate();
/// let report = LtvReport::from_orders(shop.orders(), shop.as_of(), &KpiConfig::default())?;
/// assert_eq!(report.kpis.customers, 200);
/// let by_channel: u64 = report.by_channel.iter().map(|g| g.value.customers).sum();
/// assert_eq!(by_channel, 200);
/// assert_eq!(report.cohorts.customers(), 200);
/// println!("{}", report.display_table(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct LtvReport {
    /// The as-of date.
    pub as_of: NaiveDate,
    /// The config the report was computed with.
    pub config: KpiConfig,
    /// The population KPIs.
    pub kpis: Kpis,
    /// KPIs per acquisition channel.
    pub by_channel: Breakdown<Channel, Kpis>,
    /// KPIs per acquisition store.
    pub by_store: Breakdown<StoreId, Kpis>,
    /// The monthly cohort table of the population.
    pub cohorts: CohortTable,
    /// The pooled LTV curve of each acquisition channel's cohorts (for
    /// payback per channel).
    pub channel_curves: Breakdown<Channel, Vec<CurvePoint>>,
}

impl LtvReport {
    /// The report of `orders` as of `as_of`, validated strictly like
    /// [`Summaries::from_orders`](crate::summary::Summaries::from_orders).
    ///
    /// # Errors
    ///
    /// The first invalid order's error ([`Error::DuplicateOrderId`],
    /// [`Error::OrderAfterAsOf`], [`Error::InvalidAmount`]);
    /// [`Error::Overflow`] if a customer's sums overflow;
    /// [`Error::OutOfRange`] if a money total leaves `i64` minor units.
    ///
    /// [`Error::DuplicateOrderId`]: crate::Error::DuplicateOrderId
    /// [`Error::OrderAfterAsOf`]: crate::Error::OrderAfterAsOf
    /// [`Error::InvalidAmount`]: crate::Error::InvalidAmount
    /// [`Error::Overflow`]: crate::Error::Overflow
    /// [`Error::OutOfRange`]: crate::Error::OutOfRange
    pub fn from_orders<'a>(
        orders: impl IntoIterator<Item = &'a Order>,
        as_of: NaiveDate,
        config: &KpiConfig,
    ) -> Result<LtvReport> {
        LtvReport::build(orders, &SummaryConfig::new(as_of), config).map(|(report, _)| report)
    }

    /// The report of `orders` with the validation and future-order policies
    /// of `summary`, and the orders it left out (in input order; see
    /// [`SummaryConfig::summarize`]).
    ///
    /// # Errors
    ///
    /// As [`SummaryConfig::summarize`], plus [`Error::OutOfRange`] if a
    /// money total leaves `i64` minor units.
    ///
    /// [`Error::OutOfRange`]: crate::Error::OutOfRange
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ltv::{KpiConfig, LtvReport};
    /// use rfmkit::summary::{SummaryConfig, Validation};
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let orders = vec![
    ///     Order::new("A-1", "alice", d(1, 5)?, Money::new(4_500)),
    ///     Order::new("A-1", "bob", d(1, 9)?, Money::new(900)), // repeated id
    /// ];
    /// let lenient = SummaryConfig::new(d(3, 31)?).validation(Validation::Lenient);
    /// let (report, skipped) = LtvReport::build(&orders, &lenient, &KpiConfig::default())?;
    /// assert_eq!((report.kpis.customers, skipped.len()), (1, 1));
    /// assert_eq!(report.cohorts.customers(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build<'a>(
        orders: impl IntoIterator<Item = &'a Order>,
        summary: &SummaryConfig,
        config: &KpiConfig,
    ) -> Result<(LtvReport, Vec<Skipped>)> {
        let log = summary.ingest_config().ingest(orders)?;
        let report = LtvReport::from_log(&log, config)?;
        Ok((report, log.skipped().to_vec()))
    }

    /// The report of an ingested [`OrderLog`] as of its as-of date: what
    /// [`build`](Self::build) computes after ingesting, for callers that
    /// built the log themselves (a file loader pushing rows into a
    /// [`LogBuilder`](crate::ingest::LogBuilder)). The orders the log left
    /// out are in [`OrderLog::skipped`]. An empty log gives a report of
    /// zeros.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if a customer's sums overflow;
    /// [`Error::OutOfRange`] if a money total leaves `i64` minor units.
    ///
    /// [`Error::Overflow`]: crate::Error::Overflow
    /// [`Error::OutOfRange`]: crate::Error::OutOfRange
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ingest::{IngestConfig, OrderRecord};
    /// use rfmkit::ltv::{KpiConfig, LtvReport};
    /// use rfmkit::Money;
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let mut log = IngestConfig::new(d(3, 31)?).builder();
    /// log.push_record(OrderRecord::new("alice", d(1, 5)?, Money::new(4_500)).channel("web"))?;
    /// log.push_record(OrderRecord::new("bob", d(1, 9)?, Money::new(900)).channel("app"))?;
    /// let report = LtvReport::from_log(&log.build()?, &KpiConfig::default())?;
    /// assert_eq!(report.kpis.customers, 2);
    /// assert_eq!(report.by_channel.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_log(log: &OrderLog, config: &KpiConfig) -> Result<LtvReport> {
        let summaries = &crate::summary::Summaries::from_log(log)?;
        let ledger = Ledger::new(summaries, log)?;
        let cohorts = ledger
            .tables(config, |_| None::<&()>)?
            .pop()
            .map_or_else(|| CohortTable::empty(log.as_of()), |g| g.value);
        let channel_curves = ledger
            .tables(config, CustomerSummary::first_channel)?
            .into_iter()
            .map(|g| Group {
                key: g.key,
                value: g.value.curve(),
            })
            .collect();
        Ok(LtvReport {
            as_of: log.as_of(),
            config: config.clone(),
            kpis: Kpis::from_summaries(summaries, config)?,
            by_channel: Kpis::by_channel(summaries, config)?,
            by_store: Kpis::by_store(summaries, config)?,
            cohorts,
            channel_curves: Breakdown::from_groups(channel_curves),
        })
    }

    /// The KPIs, the per-channel and per-store tables and the cohort
    /// tables, with money written with `scale` decimals.
    #[must_use]
    pub fn display_table(&self, scale: u32) -> DisplayReport<'_> {
        DisplayReport {
            report: self,
            scale,
        }
    }
}

impl fmt::Display for LtvReport {
    /// The [`display_table`](LtvReport::display_table) with money in minor
    /// units.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.display_table(0), f)
    }
}

/// Displays an [`LtvReport`]; made by [`LtvReport::display_table`].
#[derive(Debug, Clone, Copy)]
pub struct DisplayReport<'a> {
    report: &'a LtvReport,
    scale: u32,
}

impl fmt::Display for DisplayReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.report;
        let s = self.scale;
        write!(
            f,
            "{}\n\nper acquisition channel:\n{}\n\nper acquisition store:\n{}\n\n{}",
            r.kpis.display_table(s),
            r.by_channel.display_table(s),
            r.by_store.display_table(s),
            r.cohorts.display_table(s)
        )
    }
}
