//! [`Trend`]: KPIs and the segment mix over a series of as-of dates, in one
//! pass over an [`OrderLog`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{Channel, CustomerId, StoreId};
use crate::ingest::{OrderLog, day_to_date};
use crate::ltv::{Breakdown, CustomerView, Group, GroupKey, KpiAccumulator, KpiConfig, Kpis};
use crate::money::{Money, total};
use crate::rfm::{FrequencyBasis, RfmModel, RfmScore, ScoringConfig};
use crate::segment::{Segment, SegmentTable};
use crate::summary::FirstOrder;

use super::transition::ModelMode;

/// How far apart the dates of a [`series`] are.
///
/// Parsed from and displayed as `day`, `week` or `month`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Every {
    /// Every day.
    Day,
    /// Every 7 days.
    Week,
    /// Every calendar month; see [`series`] for month ends.
    Month,
}

impl fmt::Display for Every {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Every::Day => "day",
            Every::Week => "week",
            Every::Month => "month",
        })
    }
}

impl FromStr for Every {
    type Err = Error;
    fn from_str(text: &str) -> Result<Every> {
        match text {
            "day" => Ok(Every::Day),
            "week" => Ok(Every::Week),
            "month" => Ok(Every::Month),
            _ => Err(Error::OutOfRange {
                what: "step",
                value: text.to_owned(),
                expected: "day, week or month".to_owned(),
            }),
        }
    }
}

/// The dates `from, from + step, …` up to `to` (included if it falls on a
/// step): the as-of dates of a [`Trend`].
///
/// With [`Every::Month`], the `k`-th date is `k` calendar months after
/// `from`, counted from `from` (not from the previous date), and:
///
/// - if `from` is the last day of its month, every date is the last day of
///   its month (31 January, 28 February, 31 March, 30 April, …);
/// - otherwise the day of the month is `from`'s, clamped to the month's
///   length (30 January → 28 February → 30 March: the clamp does not
///   carry over).
///
/// # Errors
///
/// [`Error::InvalidConfig`] (field `to`) if `to` is before `from`.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::timeline::{Every, series};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2024, m, d).ok_or("bad date");
/// let ends = series(d(1, 31)?, d(4, 30)?, Every::Month)?;
/// assert_eq!(ends, [d(1, 31)?, d(2, 29)?, d(3, 31)?, d(4, 30)?]);
/// let mid = series(d(1, 30)?, d(3, 31)?, Every::Month)?;
/// assert_eq!(mid, [d(1, 30)?, d(2, 29)?, d(3, 30)?]);
/// assert_eq!(series(d(1, 1)?, d(1, 20)?, Every::Week)?.len(), 3); // 1, 8, 15
/// assert!(series(d(2, 1)?, d(1, 1)?, Every::Day).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn series(from: NaiveDate, to: NaiveDate, every: Every) -> Result<Vec<NaiveDate>> {
    if to < from {
        return Err(Error::config(
            "to",
            format!("{to} is before the first date {from}; use a later end"),
        ));
    }
    let month_end = from
        .succ_opt()
        .is_none_or(|next| next.month() != from.month());
    let mut out = Vec::new();
    for k in 0_u32.. {
        let date = match every {
            Every::Day => from.checked_add_days(Days::new(u64::from(k))),
            Every::Week => from.checked_add_days(Days::new(7 * u64::from(k))),
            Every::Month if month_end => from
                .with_day(1)
                .and_then(|first| first.checked_add_months(Months::new(k.saturating_add(1))))
                .and_then(|next| next.pred_opt()),
            // chrono clamps the day to the month's length.
            Every::Month => from.checked_add_months(Months::new(k)),
        };
        match date {
            Some(date) if date <= to => out.push(date),
            _ => break,
        }
    }
    Ok(out)
}

/// How the segment mix of a [`Trend`] is scored.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mix {
    Frozen(RfmModel, SegmentTable),
    Refit(ScoringConfig, SegmentTable),
}

/// What a [`Trend`] computes: the KPI definitions and, optionally, the
/// segment mix with a frozen model or a model refitted at every date.
///
/// Built with [`TrendConfig::builder`]; [`Default`] is KPIs with
/// [`KpiConfig::default`] and no segment mix.
///
/// # Example
///
/// ```
/// use rfmkit::ltv::KpiConfig;
/// use rfmkit::rfm::ScoringConfig;
/// use rfmkit::segment::SegmentTable;
/// use rfmkit::timeline::TrendConfig;
///
/// let config = TrendConfig::builder()
///     .kpi(KpiConfig::builder().f2_days(60).build()?)
///     .refit(ScoringConfig::default(), SegmentTable::standard())
///     .build()?;
/// assert!(config.table().is_some());
/// // a 3-bin scoring against a 5-bin table is refused
/// let three = ScoringConfig::builder().bins(3).build()?;
/// assert!(TrendConfig::builder().refit(three, SegmentTable::standard()).build().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrendConfig {
    kpi: KpiConfig,
    mix: Option<Mix>,
}

impl TrendConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> TrendConfigBuilder {
        TrendConfigBuilder {
            config: TrendConfig::default(),
        }
    }

    /// The KPI definitions.
    #[must_use]
    pub fn kpi(&self) -> &KpiConfig {
        &self.kpi
    }

    /// The segment table of the mix, if there is a mix.
    #[must_use]
    pub fn table(&self) -> Option<&SegmentTable> {
        match &self.mix {
            Some(Mix::Frozen(_, t) | Mix::Refit(_, t)) => Some(t),
            None => None,
        }
    }

    /// The model mode of the mix, if there is a mix.
    #[must_use]
    pub fn mode(&self) -> Option<ModelMode> {
        match &self.mix {
            Some(Mix::Frozen(..)) => Some(ModelMode::Frozen),
            Some(Mix::Refit(..)) => Some(ModelMode::Refit),
            None => None,
        }
    }
}

/// Builds a [`TrendConfig`]; made by [`TrendConfig::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct TrendConfigBuilder {
    config: TrendConfig,
}

impl TrendConfigBuilder {
    /// Sets the KPI definitions (default [`KpiConfig::default`]).
    pub fn kpi(mut self, kpi: KpiConfig) -> Self {
        self.config.kpi = kpi;
        self
    }

    /// Scores every date with `model` (its frozen cuts) and segments with
    /// `table` ([`ModelMode::Frozen`]): a change in the mix means customers
    /// changed. Replaces an earlier [`refit`](Self::refit). Default: no mix.
    pub fn frozen(mut self, model: RfmModel, table: SegmentTable) -> Self {
        self.config.mix = Some(Mix::Frozen(model, table));
        self
    }

    /// Fits a model with `config` on each date's population and segments
    /// with `table` ([`ModelMode::Refit`]): the mix an analyst re-running
    /// the pipeline every date would see. Replaces an earlier
    /// [`frozen`](Self::frozen). Default: no mix.
    pub fn refit(mut self, config: ScoringConfig, table: SegmentTable) -> Self {
        self.config.mix = Some(Mix::Refit(config, table));
        self
    }

    /// Validates and returns the config.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `table`) if the table's bins differ
    /// from the model's or the scoring config's.
    pub fn build(self) -> Result<TrendConfig> {
        let bins = match &self.config.mix {
            Some(Mix::Frozen(model, table)) => Some((model.bins(), table.bins())),
            Some(Mix::Refit(config, table)) => Some((config.bins(), table.bins())),
            None => None,
        };
        if let Some((scores, table)) = bins {
            if scores != table {
                return Err(Error::config(
                    "table",
                    format!(
                        "has {table} bins but the scores have {scores}; use a table of {scores} bins"
                    ),
                ));
            }
        }
        Ok(self.config)
    }
}

/// One segment's share of the scored customers at one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct SegmentShare {
    /// The segment.
    pub segment: Segment,
    /// Customers in it.
    pub customers: u64,
    /// Their summed net revenue (RFM monetary) as of the date.
    pub monetary: Money,
}

/// The KPIs and segment mix at one date of a [`Trend`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct TrendPoint {
    /// The as-of date.
    pub as_of: NaiveDate,
    /// The KPIs as of that date: [`Kpis::from_summaries`] of the summaries
    /// of [`OrderLog::until`] that date.
    pub kpis: Kpis,
    /// Every segment of the table, in table order (zero rows included), or
    /// empty without a mix.
    pub mix: Vec<SegmentShare>,
}

/// KPIs and the segment mix over a series of as-of dates, computed in one
/// pass over an [`OrderLog`].
///
/// # What each point is
///
/// The point at date `d` equals running the pipeline on
/// [`log.until(d)`](OrderLog::until): its [`kpis`](TrendPoint::kpis) are
/// [`Kpis::from_summaries`] of `Summaries::from_log(&log.until(d)?)`, and
/// its [`mix`](TrendPoint::mix) counts, per segment, the customers with a
/// completed order by `d` as [`Snapshot::take`](super::Snapshot::take)
/// would segment them:
///
/// - **frozen** ([`TrendConfigBuilder::frozen`]): the given model scores
///   every date (recency is measured at each date, against the frozen
///   cuts);
/// - **refit** ([`TrendConfigBuilder::refit`]): at each date a model is
///   fitted, as [`RfmModel::fit`] would, on that date's scored customers.
///
/// The mix covers every scored customer; an acquisition window in the
/// [`KpiConfig`] narrows the KPIs only.
///
/// # Partial periods
///
/// No point is partial: every KPI of a point is a stock as of its date
/// (customers, revenue and repeat rate to date) or a window that ends on
/// it and is checked to be complete (F2 counts only customers whose window
/// has passed, churn compares two whole trailing periods of
/// [`churn_days`](KpiConfig::churn_days)), so a point dated mid-month is
/// the shop as of that day, not a month cut short. This differs from the
/// calendar months of a [`CohortTable`](crate::ltv::CohortTable), whose
/// as-of month can be partial ([`PartialMonths`](crate::ltv::PartialMonths)).
///
/// # Cost
///
/// The log's rows are read once, in date order per customer, while the
/// dates advance: O(rows + customers × dates) time and O(customers) memory
/// besides the output (one running state per customer; a refit keeps one
/// date's values). Nothing is re-summarized per date.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ingest::IngestConfig;
/// use rfmkit::timeline::{Every, Trend, TrendConfig, series};
/// use rfmkit::Money;
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let mut log = IngestConfig::new(d(3, 31)?).builder();
/// log.push("alice", d(1, 5)?, Money::new(4_500))?;
/// log.push("alice", d(2, 14)?, Money::new(3_000))?;
/// log.push("bob", d(1, 10)?, Money::new(1_200))?;
/// log.push("carol", d(3, 2)?, Money::new(2_500))?;
/// let log = log.build()?;
///
/// let dates = series(d(1, 31)?, d(3, 31)?, Every::Month)?;
/// let trend = Trend::from_log(&log, &dates, &TrendConfig::default())?;
/// let customers: Vec<u64> = trend.iter().map(|p| p.kpis.customers).collect();
/// assert_eq!(customers, [2, 2, 3]);
/// // repeat rate: alice's second order comes in February
/// let repeat: Vec<Option<f64>> = trend.iter().map(|p| p.kpis.repeat_rate).collect();
/// assert_eq!(repeat, [Some(0.0), Some(0.5), Some(1.0 / 3.0)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Trend {
    mode: Option<ModelMode>,
    points: Vec<TrendPoint>,
}

impl Trend {
    /// The trend of the whole population at `dates`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] with field `dates[i]` if the dates are not
    /// strictly increasing or one is after the log's as-of date, and field
    /// `id_order` if a frozen model orders ids differently from the log;
    /// [`Error::Overflow`] if a customer's sums overflow by a date;
    /// [`Error::OutOfRange`] if a money total leaves `i64` minor units.
    pub fn from_log(log: &OrderLog, dates: &[NaiveDate], config: &TrendConfig) -> Result<Trend> {
        let mut groups = run(log, dates, config, false, |_| None::<&()>)?;
        Ok(groups.pop().map_or_else(
            || Trend {
                mode: config.mode(),
                points: Vec::new(),
            },
            |g| g.value,
        ))
    }

    /// The trend per acquisition channel (the channel of each customer's
    /// first completed order, as [`Kpis::by_channel`] groups them), in
    /// channel order with the unknown channel last. Every group has a point
    /// at every date (zero counts while it has no customer yet). The mix of
    /// a group counts its customers, scored by the population's model.
    ///
    /// # Errors
    ///
    /// As [`Trend::from_log`].
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ingest::{IngestConfig, OrderRecord};
    /// use rfmkit::timeline::{Trend, TrendConfig};
    /// use rfmkit::Money;
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let mut log = IngestConfig::new(d(2, 28)?).builder();
    /// log.push_record(OrderRecord::new("alice", d(1, 5)?, Money::new(900)).order_id("A-1").channel("web"))?;
    /// log.push_record(OrderRecord::new("bob", d(2, 9)?, Money::new(500)).order_id("A-2").channel("app"))?;
    /// let log = log.build()?;
    /// let trend = Trend::by_channel(&log, &[d(1, 31)?, d(2, 28)?], &TrendConfig::default())?;
    /// let app = trend.get(Some("app")).ok_or("no app group")?;
    /// let app: Vec<u64> = app.iter().map(|p| p.kpis.customers).collect();
    /// assert_eq!(app, [0, 1]); // bob arrives in February
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn by_channel(
        log: &OrderLog,
        dates: &[NaiveDate],
        config: &TrendConfig,
    ) -> Result<Breakdown<Channel, Trend>> {
        Ok(Breakdown::from_groups(run(
            log,
            dates,
            config,
            true,
            |f| f.channel.as_ref(),
        )?))
    }

    /// The trend per acquisition store, grouped like
    /// [`Trend::by_channel`].
    ///
    /// # Errors
    ///
    /// As [`Trend::from_log`].
    pub fn by_store(
        log: &OrderLog,
        dates: &[NaiveDate],
        config: &TrendConfig,
    ) -> Result<Breakdown<StoreId, Trend>> {
        Ok(Breakdown::from_groups(run(
            log,
            dates,
            config,
            true,
            |f| f.store.as_ref(),
        )?))
    }

    /// The model mode of the mix, `None` without a mix.
    #[must_use]
    pub fn mode(&self) -> Option<ModelMode> {
        self.mode
    }

    /// The points, in date order.
    #[must_use]
    pub fn points(&self) -> &[TrendPoint] {
        &self.points
    }

    /// The points, in date order.
    pub fn iter(&self) -> std::slice::Iter<'_, TrendPoint> {
        self.points.iter()
    }

    /// The number of dates.
    #[must_use]
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether there are no dates.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

impl<'a> IntoIterator for &'a Trend {
    type Item = &'a TrendPoint;
    type IntoIter = std::slice::Iter<'a, TrendPoint>;
    fn into_iter(self) -> Self::IntoIter {
        self.points.iter()
    }
}

/// One customer's running state while the dates advance.
#[derive(Debug, Clone, Copy)]
struct Running {
    /// The next row of the log to read.
    cursor: usize,
    /// Distinct purchase days read so far (a prefix of the customer's).
    days: usize,
    rows: u64,
    orders: u64,
    revenue: i64,
    refunds: i64,
    margin: Option<i64>,
    last: i32,
}

/// Checks that `dates` increase strictly and end on or before `as_of`.
fn check_dates(dates: &[NaiveDate], as_of: NaiveDate) -> Result<()> {
    let mut previous: Option<NaiveDate> = None;
    for (i, &date) in dates.iter().enumerate() {
        if previous.is_some_and(|p| p >= date) {
            return Err(Error::config(
                format!("dates[{i}]"),
                format!("{date} does not follow the previous date; dates must increase strictly"),
            ));
        }
        if date > as_of {
            return Err(Error::config(
                format!("dates[{i}]"),
                format!(
                    "{date} is after the log's as-of date {as_of}; rows after it were never kept"
                ),
            ));
        }
        previous = Some(date);
    }
    Ok(())
}

/// The one-pass trend, one [`Trend`] per group of `key` (in [`Breakdown`]
/// order; a single group with key `None` when `key` always gives `None`).
fn run<K: Ord + Clone>(
    log: &OrderLog,
    dates: &[NaiveDate],
    config: &TrendConfig,
    grouped: bool,
    key: impl Fn(&FirstOrder) -> Option<&K>,
) -> Result<Vec<Group<K, Trend>>> {
    check_dates(dates, log.as_of())?;
    let index = log.index();
    if let Some(Mix::Frozen(model, _)) = &config.mix {
        if model.id_order() != index.id_order() {
            return Err(Error::config(
                "id_order",
                format!(
                    "the model orders ids {:?} but the log {:?}",
                    model.id_order(),
                    index.id_order()
                ),
            ));
        }
    }
    let cols = log.columns();
    let n = index.len();
    // Each customer's distinct purchase days, flat: customer `c` owns
    // `purchase[offsets[c]..offsets[c + 1]]`.
    let mut purchase: Vec<NaiveDate> = Vec::new();
    let mut offsets: Vec<usize> = Vec::with_capacity(n + 1);
    offsets.push(0);
    for c in 0..n {
        let mut last = None;
        for r in log.range(c) {
            let (Some(&day), Some(&false)) = (cols.day.get(r), cols.returned.get(r)) else {
                continue;
            };
            if last != Some(day) {
                last = Some(day);
                purchase.extend(day_to_date(day));
            }
        }
        offsets.push(purchase.len());
    }
    // Group keys: dense group numbers, in key order with `None` last.
    let first = |c: usize| cols.first_orders.get(c);
    let mut keys: BTreeMap<GroupKey<K>, usize> = BTreeMap::new();
    keys.insert(GroupKey(None), 0);
    for c in 0..n {
        if let Some(k) = first(c).as_ref().and_then(&key) {
            keys.entry(GroupKey(Some(k.clone()))).or_insert(0);
        }
    }
    for (g, slot) in keys.values_mut().enumerate() {
        *slot = g;
    }
    // Each customer's first order's date and group, once (not per date).
    let first_group: Vec<Option<(NaiveDate, usize)>> = (0..n)
        .map(|c| {
            let f = first(c)?;
            let g = key(&f).and_then(|k| keys.get(&GroupKey(Some(k.clone()))))?;
            Some((f.date, *g))
        })
        .collect();
    let groups = keys.len();
    let mix_table = config.table();
    let segments: Vec<Segment> =
        mix_table.map_or_else(Vec::new, |t| t.segments().cloned().collect());
    let basis = match &config.mix {
        Some(Mix::Frozen(model, _)) => model.config().frequency(),
        Some(Mix::Refit(scoring, _)) => scoring.frequency(),
        None => FrequencyBasis::Orders,
    };
    let mut state = vec![
        Running {
            cursor: 0,
            days: 0,
            rows: 0,
            orders: 0,
            revenue: 0,
            refunds: 0,
            margin: cols.cost.map(|_| 0),
            last: 0,
        };
        n
    ];
    for (c, s) in state.iter_mut().enumerate() {
        s.cursor = log.range(c).start;
    }
    let mut series: Vec<Vec<TrendPoint>> = vec![Vec::with_capacity(dates.len()); groups];
    let mut used = vec![false; groups];
    let mut cells: FxHashMap<RfmScore, usize> = FxHashMap::default();
    for &date in dates {
        let last_day = date.num_days_from_ce();
        let mut accs: Vec<KpiAccumulator> = (0..groups)
            .map(|_| KpiAccumulator::new(date, &config.kpi))
            .collect();
        // The scored customers of this date: (customer, group, values).
        let mut scored: Vec<(usize, usize, [i64; 3])> = Vec::new();
        for (c, s) in state.iter_mut().enumerate() {
            let end = log.range(c).end;
            while s.cursor < end {
                let r = s.cursor;
                let (Some(&day), Some(&amount), Some(&returned)) =
                    (cols.day.get(r), cols.amount.get(r), cols.returned.get(r))
                else {
                    break;
                };
                if day > last_day {
                    break;
                }
                advance(
                    s,
                    day,
                    amount,
                    returned,
                    cols.cost.map(|col| col.get(r).copied().flatten()),
                )
                .ok_or_else(|| Error::Overflow {
                    customer: index.id(c).cloned().unwrap_or_else(|| CustomerId::new("")),
                })?;
                s.cursor += 1;
            }
            if s.rows == 0 {
                continue;
            }
            let dates_c = purchase
                .get(offsets.get(c).copied().unwrap_or(0)..)
                .and_then(|p| p.get(..s.days))
                .unwrap_or_default();
            let view = CustomerView {
                dates: dates_c,
                orders: s.orders,
                revenue: s.revenue,
                refunds: s.refunds,
                margin: s.margin,
            };
            let group = first_group
                .get(c)
                .copied()
                .flatten()
                .filter(|&(first_date, _)| first_date <= date)
                .map_or_else(|| keys.len() - 1, |(_, g)| g);
            if let Some(acc) = accs.get_mut(group) {
                acc.add(&view);
            }
            if mix_table.is_some() && s.orders > 0 {
                let frequency = match basis {
                    FrequencyBasis::PurchaseDays => s.days,
                    _ => usize::try_from(s.orders).unwrap_or(usize::MAX),
                };
                scored.push((
                    c,
                    group,
                    [
                        i64::from(last_day) - i64::from(s.last),
                        i64::try_from(frequency).unwrap_or(i64::MAX),
                        s.revenue.saturating_add(s.refunds),
                    ],
                ));
            }
        }
        let mut mixes: Vec<Vec<(u64, i128)>> = vec![vec![(0, 0); segments.len()]; groups];
        if let Some(mix) = &config.mix {
            let refitted;
            let (model, table) = match mix {
                Mix::Frozen(model, table) => (model, table),
                Mix::Refit(scoring, table) => {
                    let column = |k: usize| -> Vec<i64> {
                        scored
                            .iter()
                            .map(|v| v.2.get(k).copied().unwrap_or(0))
                            .collect()
                    };
                    let ids: Vec<CustomerId> = scored
                        .iter()
                        .filter_map(|v| index.id(v.0).cloned())
                        .collect();
                    refitted = RfmModel::fit_values(
                        scoring,
                        date,
                        index.id_order(),
                        [&column(0), &column(1), &column(2)],
                        &ids,
                    );
                    (&refitted, table)
                }
            };
            for &(c, group, values) in &scored {
                let Some(id) = index.id(c) else { continue };
                let score = model.score_values(values, id);
                let k = match cells.get(&score) {
                    Some(&k) => k,
                    None => {
                        let name = table.assign(score)?;
                        let k = segments.iter().position(|s| s == name).unwrap_or(0);
                        cells.insert(score, k);
                        k
                    }
                };
                let [_, _, monetary] = values;
                if let Some(cell) = mixes.get_mut(group).and_then(|m| m.get_mut(k)) {
                    cell.0 += 1;
                    cell.1 += i128::from(monetary);
                }
            }
        }
        for (g, (acc, mix)) in accs.into_iter().zip(mixes).enumerate() {
            if let Some(u) = used.get_mut(g) {
                *u |= !acc.is_empty();
            }
            let mut shares = Vec::with_capacity(segments.len());
            for (segment, (customers, monetary)) in segments.iter().zip(mix) {
                shares.push(SegmentShare {
                    segment: segment.clone(),
                    customers,
                    monetary: total(monetary, "a segment's monetary")?,
                });
            }
            if let Some(points) = series.get_mut(g) {
                points.push(TrendPoint {
                    as_of: date,
                    kpis: acc.finish()?,
                    mix: shares,
                });
            }
        }
    }
    let mut out = Vec::with_capacity(groups);
    for ((k, _), (points, used)) in keys.into_iter().zip(series.into_iter().zip(used)) {
        // An ungrouped trend is its one group, empty or not.
        if used || !grouped {
            out.push(Group {
                key: k.0,
                value: Trend {
                    mode: config.mode(),
                    points,
                },
            });
        }
    }
    Ok(out)
}

/// Adds one row to a customer's running state; `None` on overflow.
fn advance(
    s: &mut Running,
    day: i32,
    amount: i64,
    returned: bool,
    cost: Option<Option<i64>>,
) -> Option<()> {
    s.rows += 1;
    if returned {
        s.refunds = s.refunds.checked_add(amount)?;
    } else {
        s.orders += 1;
        s.revenue = s.revenue.checked_add(amount)?;
        if s.orders == 1 || day != s.last {
            s.days += 1;
            s.last = day;
        }
    }
    if let Some(cost) = cost {
        s.margin = match (s.margin, cost) {
            (Some(m), Some(cost)) => Some(amount.checked_sub(cost).and_then(|d| m.checked_add(d))?),
            _ => None,
        };
    }
    Some(())
}
