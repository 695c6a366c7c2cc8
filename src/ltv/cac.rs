//! LTV against customer acquisition cost: [`Cac`], [`Health`], [`LtvCac`]
//! and the per-channel [`LtvCacTable`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::Channel;
use crate::money::Money;

use super::cohort::CurvePoint;
use super::kpi::{Breakdown, Kpis};
use super::report::LtvReport;
use super::units::div_round;
use crate::table::{self, Cells, Style};

/// Customer acquisition cost: what was spent to acquire one customer,
/// `>= 0`, in minor units.
///
/// Serialized as a bare integer of minor units; deserializing rejects a
/// negative cost.
///
/// # Example
///
/// ```
/// use rfmkit::ltv::Cac;
/// use rfmkit::Money;
///
/// // ¥3,000,000 of ads that brought 1,200 new customers
/// let cac = Cac::from_spend(Money::new(3_000_000), 1_200)?;
/// assert_eq!(cac.money(), Money::new(2_500));
/// assert!(Cac::new(Money::new(-1)).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Money", into = "Money")]
pub struct Cac(Money);

impl Cac {
    /// A CAC of `per_customer`.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] (what `cac`) if `per_customer` is negative.
    pub fn new(per_customer: Money) -> Result<Cac> {
        if per_customer.is_negative() {
            return Err(Error::OutOfRange {
                what: "cac",
                value: per_customer.to_string(),
                expected: "an acquisition cost >= 0".to_owned(),
            });
        }
        Ok(Cac(per_customer))
    }

    /// The CAC of spending `spend` to acquire `customers` customers:
    /// `spend / customers`, rounded to the nearest minor unit (halves up).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] (what `cac`) if `spend` is negative, (what
    /// `customers`) if `customers` is 0.
    pub fn from_spend(spend: Money, customers: u64) -> Result<Cac> {
        if customers == 0 {
            return Err(Error::OutOfRange {
                what: "customers",
                value: "0".to_owned(),
                expected: "at least 1 acquired customer to spread the spend over".to_owned(),
            });
        }
        let per = div_round(i128::from(spend.minor_units()), i128::from(customers))
            .and_then(|v| i64::try_from(v).ok())
            .unwrap_or(i64::MAX);
        Cac::new(Money::new(per))
    }

    /// The cost per acquired customer.
    #[must_use]
    pub fn money(self) -> Money {
        self.0
    }
}

impl TryFrom<Money> for Cac {
    type Error = Error;
    fn try_from(money: Money) -> Result<Cac> {
        Cac::new(money)
    }
}

impl From<Cac> for Money {
    fn from(cac: Cac) -> Money {
        cac.0
    }
}

impl fmt::Display for Cac {
    /// Writes the minor units, like [`Money`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// How an LTV compares with its CAC (seed 003: LTV > CAC is the survival
/// condition, LTV / CAC > 3 the usual health mark).
///
/// [`Health::classify`] decides with exact integer comparisons:
/// `Healthy` if LTV > 3 × CAC, `Losing` if LTV < CAC, `Thin` otherwise. So
/// a ratio of exactly 3 is `Thin` and exactly 1 is `Thin`; with a CAC of 0
/// (no ratio) any positive LTV is `Healthy` and an LTV of 0 is `Thin`.
///
/// Serialized in snake_case.
///
/// # Example
///
/// ```
/// use rfmkit::ltv::{Cac, Health};
/// use rfmkit::Money;
///
/// let cac = Cac::new(Money::new(10_000))?;
/// assert_eq!(Health::classify(Money::new(30_001), cac), Health::Healthy);
/// assert_eq!(Health::classify(Money::new(30_000), cac), Health::Thin);
/// assert_eq!(Health::classify(Money::new(10_000), cac), Health::Thin);
/// assert_eq!(Health::classify(Money::new(9_999), cac), Health::Losing);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Health {
    /// LTV / CAC > 3.
    Healthy,
    /// 1 <= LTV / CAC <= 3: the customer pays back, with a thin margin for
    /// everything else.
    Thin,
    /// LTV / CAC < 1: every customer acquired loses money.
    Losing,
}

impl Health {
    /// Classifies `ltv` against `cac`; see the [type docs](Health).
    #[must_use]
    pub fn classify(ltv: Money, cac: Cac) -> Health {
        let (ltv, cac) = (
            i128::from(ltv.minor_units()),
            i128::from(cac.money().minor_units()),
        );
        if ltv > 3 * cac {
            Health::Healthy
        } else if ltv < cac {
            Health::Losing
        } else {
            Health::Thin
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Health::Healthy => "healthy",
            Health::Thin => "thin",
            Health::Losing => "losing",
        })
    }
}

/// Which LTV is read against CAC.
///
/// The seeds define LTV as profit and read *profit* LTV against CAC (seed
/// 003: "what you can afford to spend per customer"), which needs costs on
/// the orders; revenue LTV overstates what a customer can pay back.
///
/// # Example
///
/// ```
/// use rfmkit::ltv::LtvBasis;
/// assert_eq!(serde_json::to_string(&LtvBasis::Margin)?, "\"margin\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LtvBasis {
    /// Net revenue per customer ([`Kpis::ltv`]).
    Revenue,
    /// Gross margin per customer ([`Kpis::margin_ltv`]).
    Margin,
}

impl LtvBasis {
    fn of(self, kpis: &Kpis) -> Option<Money> {
        match self {
            LtvBasis::Revenue => kpis.ltv,
            LtvBasis::Margin => kpis.margin_ltv,
        }
    }

    fn of_point(self, point: &CurvePoint) -> Option<Money> {
        match self {
            LtvBasis::Revenue => Some(point.cumulative_revenue_per_customer),
            LtvBasis::Margin => point.cumulative_margin_per_customer,
        }
    }
}

impl fmt::Display for LtvBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            LtvBasis::Revenue => "revenue",
            LtvBasis::Margin => "margin",
        })
    }
}

/// One LTV read against one CAC: the ratio, the health class and what is
/// left after acquisition.
///
/// # Example
///
/// ```
/// use rfmkit::ltv::{Cac, Health, LtvCac};
/// use rfmkit::Money;
///
/// // seed 003's profit LTV of ¥225,000 against a CAC of ¥60,000
/// let read = LtvCac::new(Money::new(225_000), Cac::new(Money::new(60_000))?)?;
/// assert_eq!(read.ratio, Some(3.75));
/// assert_eq!(read.health, Health::Healthy);
/// assert_eq!(read.net, Money::new(165_000));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct LtvCac {
    /// The LTV.
    pub ltv: Money,
    /// The CAC.
    pub cac: Cac,
    /// `ltv / cac`; `None` when the CAC is 0.
    pub ratio: Option<f64>,
    /// The class; see [`Health`].
    pub health: Health,
    /// `ltv − cac`.
    pub net: Money,
}

impl LtvCac {
    /// Reads `ltv` against `cac`.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] (what `ltv`) if `ltv − cac` leaves `i64`
    /// minor units.
    pub fn new(ltv: Money, cac: Cac) -> Result<LtvCac> {
        let net = ltv.checked_sub(cac.money()).ok_or(Error::OutOfRange {
            what: "ltv",
            value: ltv.to_string(),
            expected: "an ltv from which the cac can be subtracted within i64 minor units"
                .to_owned(),
        })?;
        Ok(LtvCac {
            ltv,
            cac,
            ratio: cac
                .money()
                .is_positive()
                .then(|| ltv.to_f64() / cac.money().to_f64()),
            health: Health::classify(ltv, cac),
            net,
        })
    }
}

/// The months until a customer pays back their CAC: the first month since
/// acquisition from which the LTV curve (on `basis`) stays at or above
/// `cac` to the end of the horizon.
///
/// 0 means within the acquisition month. `None` if the curve does not
/// cross the CAC within the horizon, or if the margin is unknown at a point
/// of the horizon ([`LtvBasis::Margin`] without costs). [`payback`] gives
/// the reason and the horizon with it.
///
/// # The horizon, and why a crossing must hold
///
/// The *horizon* is the curve's points, except a last point that is
/// [partial](CurvePoint::partial): the last point of a pooled curve is the
/// oldest cohort alone, so when partial it holds a few days of one cohort
/// and tells nothing about a month. A crossing must *hold* to the end of
/// the horizon because the pooled curve is not a single cohort's: its late
/// points pool ever fewer, older cohorts and can rise above the CAC for a
/// month and fall back. Taking the first point above the CAC would show a
/// channel that loses money on average ([`Health::Losing`]) with a payback
/// month read off such a blip; with this rule a losing channel shows a
/// month only if its curve really stays above the CAC.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ltv::{payback_months, Cac, CohortTable, KpiConfig, LtvBasis};
/// use rfmkit::{Money, Order};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let orders = vec![
///     Order::new("A-1", "alice", d(1, 5)?, Money::new(2_000)),
///     Order::new("A-2", "alice", d(3, 5)?, Money::new(2_000)),
///     Order::new("A-3", "bob", d(1, 9)?, Money::new(2_000)),
/// ];
/// let curve = CohortTable::from_orders(&orders, d(4, 30)?, &KpiConfig::default())?.curve();
/// // per customer: 2,000 in January, 3,000 from March on
/// let cac = Cac::new(Money::new(2_500))?;
/// assert_eq!(payback_months(&curve, cac, LtvBasis::Revenue), Some(2));
/// assert_eq!(payback_months(&curve, Cac::new(Money::new(5_000))?, LtvBasis::Revenue), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn payback_months(curve: &[CurvePoint], cac: Cac, basis: LtvBasis) -> Option<u32> {
    match payback(curve, cac, basis) {
        (Payback::Reached, month, _) => month,
        _ => None,
    }
}

/// [`payback_months`] with its reason and horizon: `(status, month,
/// horizon)`, where `month` is `Some` exactly when the status is
/// [`Payback::Reached`] and `horizon` is the last month since acquisition
/// the horizon covers (`None` for an empty curve).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ltv::{payback, Cac, CohortTable, KpiConfig, LtvBasis, Payback};
/// use rfmkit::{Money, Order};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let orders = [Order::new("A-1", "alice", d(1, 5)?, Money::new(2_000))];
/// let curve = CohortTable::from_orders(&orders, d(3, 31)?, &KpiConfig::default())?.curve();
/// let cac = Cac::new(Money::new(2_500))?;
/// assert_eq!(payback(&curve, cac, LtvBasis::Revenue), (Payback::NotWithinHorizon, None, Some(2)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn payback(
    curve: &[CurvePoint],
    cac: Cac,
    basis: LtvBasis,
) -> (Payback, Option<u32>, Option<u32>) {
    let horizon = match curve.split_last() {
        Some((last, rest)) if last.partial => rest,
        _ => curve,
    };
    let Some(last) = horizon.last() else {
        return (Payback::NotWithinHorizon, None, None);
    };
    // The first month of the run of points at or above the CAC that ends
    // the horizon.
    let mut start = None;
    for point in horizon {
        let Some(value) = basis.of_point(point) else {
            return (Payback::Unknown, None, Some(last.months_since));
        };
        if value >= cac.money() {
            start = start.or(Some(point.months_since));
        } else {
            start = None;
        }
    }
    match start {
        Some(month) => (Payback::Reached, Some(month), Some(last.months_since)),
        None => (Payback::NotWithinHorizon, None, Some(last.months_since)),
    }
}

/// Whether a channel's LTV curve pays back its CAC: the reason beside
/// [`LtvCacRow::payback_months`], so that a `null` month says why.
///
/// Serialized as `"reached"`, `"not_within_horizon"` or `"unknown"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Payback {
    /// The curve crosses the CAC and stays above it: the month is known.
    Reached,
    /// The curve does not cross the CAC for good within the horizon (the
    /// months observed; see [`payback_months`]).
    NotWithinHorizon,
    /// No curve or no CAC, or margin unknown on the curve (the default,
    /// for rows written before this field existed).
    #[default]
    Unknown,
}

impl fmt::Display for Payback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Payback::Reached => "reached",
            Payback::NotWithinHorizon => "not within the horizon",
            Payback::Unknown => "unknown",
        })
    }
}

/// Acquisition cost per channel, with an optional default for the others.
///
/// Serialized as `{"channels": {"web": 1200, "ads": 4000}, "default": 2500}`
/// (minor units; both keys optional).
///
/// # Example
///
/// ```
/// use rfmkit::ltv::{AcquisitionCosts, Cac};
/// use rfmkit::Money;
///
/// let costs = AcquisitionCosts::new()
///     .with_channel("instagram_ads", Cac::new(Money::new(4_000))?)
///     .with_default(Cac::new(Money::new(1_000))?);
/// assert_eq!(costs.cac(Some("instagram_ads")).map(|c| c.money()), Some(Money::new(4_000)));
/// assert_eq!(costs.cac(Some("web")).map(|c| c.money()), Some(Money::new(1_000)));
/// assert_eq!(costs.cac(None).map(|c| c.money()), Some(Money::new(1_000)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct AcquisitionCosts {
    #[serde(default)]
    channels: BTreeMap<Channel, Cac>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<Cac>,
}

impl AcquisitionCosts {
    /// No costs.
    #[must_use]
    pub fn new() -> AcquisitionCosts {
        AcquisitionCosts::default()
    }

    /// Sets the CAC of `channel`.
    #[must_use]
    pub fn with_channel(mut self, channel: impl Into<Channel>, cac: Cac) -> AcquisitionCosts {
        self.channels.insert(channel.into(), cac);
        self
    }

    /// Sets the CAC of every channel without its own, and of customers
    /// without a channel (default: none).
    #[must_use]
    pub fn with_default(mut self, cac: Cac) -> AcquisitionCosts {
        self.default = Some(cac);
        self
    }

    /// The CAC of `channel` (`None` for customers without one): its own,
    /// else the default.
    #[must_use]
    pub fn cac(&self, channel: Option<&str>) -> Option<Cac> {
        channel
            .and_then(|c| self.channels.get(c).copied())
            .or(self.default)
    }
}

/// One channel's LTV against its CAC; a row of [`LtvCacTable`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct LtvCacRow {
    /// The acquisition channel; `None` for customers without one (and for
    /// the total row).
    pub channel: Option<Channel>,
    /// Customers acquired through it.
    pub customers: u64,
    /// Their historical LTV on the table's basis; `None` if unknown (no
    /// customers, or margin without costs).
    pub ltv: Option<Money>,
    /// The CAC; `None` if the costs give none for this channel.
    pub cac: Option<Cac>,
    /// `ltv / cac`; `None` if either is missing or the CAC is 0.
    pub ratio: Option<f64>,
    /// The class; `None` if the LTV or the CAC is missing.
    pub health: Option<Health>,
    /// `ltv − cac`.
    pub net: Option<Money>,
    /// Months until the channel's pooled cohort curve crosses the CAC for
    /// good ([`payback_months`]); `None` if not within the horizon, or
    /// without curves: [`payback`](Self::payback) says which.
    pub payback_months: Option<u32>,
    /// Why [`payback_months`](Self::payback_months) is what it is. A
    /// [`Health::Losing`] channel is `not_within_horizon` unless its curve
    /// really crosses the CAC.
    #[serde(default)]
    pub payback: Payback,
    /// The last month since acquisition the curve covers (the horizon the
    /// payback was looked for in); `None` without a curve.
    #[serde(default)]
    pub horizon_months: Option<u32>,
}

/// Historical LTV against CAC per acquisition channel, plus a total row,
/// on a chosen [`LtvBasis`]; lists which channels lose money.
///
/// The total row reads the population LTV against the *blended* CAC: Σ
/// (customers × channel CAC) ÷ Σ customers, defined when every channel
/// with customers has a CAC.
///
/// # Example
///
/// ```
/// use rfmkit::ltv::{AcquisitionCosts, Cac, KpiConfig, LtvBasis, LtvCacTable, LtvReport};
/// use rfmkit::sim::SimConfig;
/// use rfmkit::Money;
///
/// let shop = SimConfig::builder().customers(300).orders(1_500).seed(3).build()?.generate();
/// let report = LtvReport::from_orders(shop.orders(), shop.as_of(), &KpiConfig::default())?;
/// let costs = AcquisitionCosts::new()
///     .with_channel("instagram_ads", Cac::new(Money::new(90_000))?)
///     .with_default(Cac::new(Money::new(1_500))?);
/// let table = LtvCacTable::from_report(&report, &costs, LtvBasis::Margin)?;
/// let losing: Vec<&str> = table.losing().filter_map(|r| r.channel.as_ref()).map(|c| c.as_str()).collect();
/// assert_eq!(losing, ["instagram_ads"]);
/// println!("{}", table.display_table(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct LtvCacTable {
    basis: LtvBasis,
    rows: Vec<LtvCacRow>,
    total: LtvCacRow,
}

impl LtvCacTable {
    /// The table from a report's per-channel KPIs, with payback from its
    /// per-channel cohort curves.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if an `ltv − cac` leaves `i64` minor units.
    pub fn from_report(
        report: &LtvReport,
        costs: &AcquisitionCosts,
        basis: LtvBasis,
    ) -> Result<LtvCacTable> {
        LtvCacTable::build(
            &report.kpis,
            &report.by_channel,
            Some(Curves {
                total: &report.cohorts.curve(),
                by_channel: &report.channel_curves,
            }),
            costs,
            basis,
        )
    }

    /// The table from per-channel KPIs alone (say, of merged store
    /// summaries), without payback months.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if an `ltv − cac` leaves `i64` minor units.
    pub fn from_kpis(
        total: &Kpis,
        by_channel: &Breakdown<Channel, Kpis>,
        costs: &AcquisitionCosts,
        basis: LtvBasis,
    ) -> Result<LtvCacTable> {
        LtvCacTable::build(total, by_channel, None, costs, basis)
    }

    fn build(
        total: &Kpis,
        by_channel: &Breakdown<Channel, Kpis>,
        curves: Option<Curves<'_>>,
        costs: &AcquisitionCosts,
        basis: LtvBasis,
    ) -> Result<LtvCacTable> {
        let mut rows = Vec::with_capacity(by_channel.len());
        let (mut spend, mut all_costed) = (0_i128, true);
        for group in by_channel {
            let key = group.key.as_ref().map(Channel::as_str);
            let cac = costs.cac(key);
            match cac {
                Some(c) => {
                    spend +=
                        i128::from(c.money().minor_units()) * i128::from(group.value.customers);
                }
                None => all_costed &= group.value.customers == 0,
            }
            let curve = curves
                .as_ref()
                .and_then(|c| c.by_channel.get(key))
                .map(Vec::as_slice);
            rows.push(row(group.key.clone(), &group.value, cac, curve, basis)?);
        }
        let blended = if all_costed && total.customers > 0 {
            div_round(spend, i128::from(total.customers))
                .and_then(|v| i64::try_from(v).ok())
                .and_then(|v| Cac::new(Money::new(v)).ok())
        } else {
            None
        };
        let total = row(None, total, blended, curves.map(|c| c.total), basis)?;
        Ok(LtvCacTable { basis, rows, total })
    }

    /// The LTV basis.
    #[must_use]
    pub fn basis(&self) -> LtvBasis {
        self.basis
    }

    /// One row per channel, in channel order, customers without a channel
    /// last.
    #[must_use]
    pub fn rows(&self) -> &[LtvCacRow] {
        &self.rows
    }

    /// The whole population against the blended CAC.
    #[must_use]
    pub fn total(&self) -> &LtvCacRow {
        &self.total
    }

    /// The channels whose customers lose money: [`Health::Losing`].
    pub fn losing(&self) -> impl Iterator<Item = &LtvCacRow> {
        self.rows
            .iter()
            .filter(|r| r.health == Some(Health::Losing))
    }

    /// An aligned text table with money written with `scale` decimals.
    #[must_use]
    pub fn display_table(&self, scale: u32) -> DisplayLtvCac<'_> {
        DisplayLtvCac { table: self, scale }
    }
}

/// The pooled LTV curves a table reads payback from.
struct Curves<'a> {
    total: &'a [CurvePoint],
    by_channel: &'a Breakdown<Channel, Vec<CurvePoint>>,
}

fn row(
    channel: Option<Channel>,
    kpis: &Kpis,
    cac: Option<Cac>,
    curve: Option<&[CurvePoint]>,
    basis: LtvBasis,
) -> Result<LtvCacRow> {
    let ltv = basis.of(kpis);
    let (status, payback_months, horizon_months) = match (curve, cac) {
        (Some(curve), Some(cac)) => payback(curve, cac, basis),
        (Some(curve), None) => (Payback::Unknown, None, curve.last().map(|p| p.months_since)),
        (None, _) => (Payback::Unknown, None, None),
    };
    let read = match (ltv, cac) {
        (Some(l), Some(c)) => Some(LtvCac::new(l, c)?),
        _ => None,
    };
    Ok(LtvCacRow {
        channel,
        customers: kpis.customers,
        ltv,
        cac,
        ratio: read.as_ref().and_then(|r| r.ratio),
        health: read.as_ref().map(|r| r.health),
        net: read.as_ref().map(|r| r.net),
        payback_months,
        payback: status,
        horizon_months,
    })
}

impl fmt::Display for LtvCacTable {
    /// The [`display_table`](LtvCacTable::display_table) with money in minor
    /// units.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.display_table(0), f)
    }
}

/// Displays an [`LtvCacTable`]; made by [`LtvCacTable::display_table`].
#[derive(Debug, Clone, Copy)]
pub struct DisplayLtvCac<'a> {
    table: &'a LtvCacTable,
    scale: u32,
}

impl fmt::Display for DisplayLtvCac<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = Cells::new(self.scale);
        let ltv = format!("ltv ({})", self.table.basis);
        let mut rows = vec![
            [
                "channel",
                "customers",
                &ltv,
                "cac",
                "ltv/cac",
                "health",
                "net",
                "payback",
            ]
            .map(str::to_owned)
            .to_vec(),
        ];
        let all = (None, &self.table.total);
        for (name, r) in self
            .table
            .rows
            .iter()
            .map(|r| (Some(&r.channel), r))
            .chain(std::iter::once(all))
        {
            let name = match name {
                Some(Some(channel)) => channel.to_string(),
                Some(None) => "(unknown)".to_owned(),
                None => "total".to_owned(),
            };
            rows.push(vec![
                name,
                r.customers.to_string(),
                c.money(r.ltv),
                c.money(r.cac.map(Cac::money)),
                c.num(r.ratio, 2),
                r.health.map_or_else(|| "-".to_owned(), |h| h.to_string()),
                c.money(r.net),
                match (r.payback, r.payback_months, r.horizon_months) {
                    (Payback::Reached, Some(m), _) => format!("{m} mo"),
                    (Payback::NotWithinHorizon, _, Some(h)) => {
                        format!("not within the horizon ({h} mo)")
                    }
                    (Payback::NotWithinHorizon, _, None) => "not within the horizon".to_owned(),
                    _ => "-".to_owned(),
                },
            ]);
        }
        table::write(f, &rows, Style::left(1))
    }
}
