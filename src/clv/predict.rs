//! Per-customer predictions (P(alive), expected purchases, expected spend,
//! CLV) and the calibration-vs-holdout table.

use std::fmt;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::btyd::{Btyd, BtydData, CustomerBtyd};
use super::gamma_gamma::SpendFit;
use super::model::{ModelKind, TransactionFit, TransactionModel};
use crate::error::{Error, Result};
use crate::id::CustomerId;
use crate::ltv::TimeUnit;
use crate::money::Money;

/// The length of the CLV month in days: a twelfth of the mean Gregorian
/// year, 365.2425 / 12 = 30.436875 days (4.348125 weeks).
///
/// Calendar months vary from 28 to 31 days; the mean month keeps twelve
/// months equal to one year exactly, in any time unit, and is the month of
/// [`ltv::TimeUnit::Month`](crate::ltv::TimeUnit::Month). (`lifetimes` uses 30
/// days, or 4.345 weeks, so its 12-month CLV covers 360 days, or 52.14
/// weeks; expect differences of about 1.4% over a year.)
pub const MONTH_DAYS: f64 = 365.2425 / 12.0;

/// The longest prediction horizon, in days: 100 mean Gregorian years,
/// 36,524.25 days (the CLV horizon's limit of 1,200 months is the same
/// length).
///
/// [`PredictConfig`] rejects longer horizons, and the models'
/// `expected_purchases` reject a horizon `t` above this number in their
/// own unit (so 36,524.25 weeks for a model in weeks). A fit that is
/// returned by [`TransactionFit::fit`] can predict every horizon up to it:
/// the fit checks the slowest case (a new customer over the longest
/// horizon) before it is returned.
pub const MAX_HORIZON_DAYS: f64 = 36_524.25;

/// How to predict: the horizon for expected purchases and the CLV
/// horizon, discount rate and margin, and optionally a later start.
///
/// By default the predictions start at the calibration end. With
/// [`start_days`](PredictConfigBuilder::start_days) `s` they cover a
/// window that begins `s` days later (see the
/// [module docs](super#predictions-over-a-window)): the expected purchases
/// are those in `(s, s + horizon]` and the CLV sums the months after `s`,
/// still discounted back to the calibration end.
///
/// Built with [`PredictConfig::builder`]; [`Default`] is the builder's
/// defaults.
///
/// # Example
///
/// ```
/// use rfmkit::clv::PredictConfig;
///
/// let config = PredictConfig::builder()
///     .horizon_days(273.0) // 39 weeks
///     .months(24)
///     .discount_rate(0.01)
///     .margin(0.3)
///     .build()?;
/// assert_eq!(config.months(), 24);
/// assert_eq!(PredictConfig::default().horizon_days(), 365.2425);
/// assert!(PredictConfig::builder().margin(1.5).build().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawPredictConfig")]
pub struct PredictConfig {
    horizon_days: f64,
    months: u32,
    discount_rate: f64,
    margin: f64,
    // Left out of JSON when 0, so configs without a window serialize as
    // before.
    #[serde(skip_serializing_if = "is_zero")]
    start_days: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawPredictConfig {
    horizon_days: f64,
    months: u32,
    discount_rate: f64,
    margin: f64,
    #[serde(default)]
    start_days: f64,
}

impl TryFrom<RawPredictConfig> for PredictConfig {
    type Error = Error;
    fn try_from(raw: RawPredictConfig) -> Result<PredictConfig> {
        PredictConfig::builder()
            .horizon_days(raw.horizon_days)
            .months(raw.months)
            .discount_rate(raw.discount_rate)
            .margin(raw.margin)
            .start_days(raw.start_days)
            .build()
    }
}

impl Default for PredictConfig {
    fn default() -> PredictConfig {
        PredictConfig {
            horizon_days: 365.2425,
            months: 12,
            discount_rate: 0.01,
            margin: 1.0,
            start_days: 0.0,
        }
    }
}

impl PredictConfig {
    /// A builder with the defaults.
    #[must_use]
    pub fn builder() -> PredictConfigBuilder {
        PredictConfigBuilder {
            config: PredictConfig::default(),
        }
    }

    /// The horizon of [`CustomerPrediction::expected_purchases`], in days.
    #[must_use]
    pub fn horizon_days(&self) -> f64 {
        self.horizon_days
    }

    /// The CLV horizon in months of [`MONTH_DAYS`].
    #[must_use]
    pub fn months(&self) -> u32 {
        self.months
    }

    /// The monthly discount rate.
    #[must_use]
    pub fn discount_rate(&self) -> f64 {
        self.discount_rate
    }

    /// The margin applied to expected revenue (1 = revenue CLV).
    #[must_use]
    pub fn margin(&self) -> f64 {
        self.margin
    }

    /// How many days after the calibration end the predictions start
    /// (0 by default: from the calibration end).
    #[must_use]
    pub fn start_days(&self) -> f64 {
        self.start_days
    }
}

/// Builds a [`PredictConfig`]; made by [`PredictConfig::builder`].
#[derive(Debug, Clone)]
pub struct PredictConfigBuilder {
    config: PredictConfig,
}

impl PredictConfigBuilder {
    /// Sets the horizon of the expected purchases, in days (default one
    /// year, 365.2425 days). Converted to the model's unit when predicting.
    #[must_use]
    pub fn horizon_days(mut self, days: f64) -> Self {
        self.config.horizon_days = days;
        self
    }

    /// Sets the CLV horizon in months of [`MONTH_DAYS`] (default 12; 0
    /// gives a CLV of 0).
    #[must_use]
    pub fn months(mut self, months: u32) -> Self {
        self.config.months = months;
        self
    }

    /// Sets the monthly discount rate `d` (default 0.01, about 12.7% a
    /// year, as `lifetimes`' default): month `i`'s cash flow is divided by
    /// `(1 + d)^i`.
    #[must_use]
    pub fn discount_rate(mut self, rate: f64) -> Self {
        self.config.discount_rate = rate;
        self
    }

    /// Sets the margin, the share of revenue that is profit (default 1:
    /// CLV is revenue). Use your gross margin for a profit CLV, as the
    /// seeds recommend.
    #[must_use]
    pub fn margin(mut self, margin: f64) -> Self {
        self.config.margin = margin;
        self
    }

    /// Starts the predictions `days` after the calibration end (default 0):
    /// the expected purchases cover `(days, days + horizon]` and the CLV
    /// the `months` after `days`, discounted back to the calibration end
    /// (see the [module docs](super#predictions-over-a-window)).
    ///
    /// # Example
    ///
    /// Purchases and CLV in the second half of the coming year:
    ///
    /// ```
    /// use rfmkit::clv::{MONTH_DAYS, PredictConfig};
    ///
    /// let second_half = PredictConfig::builder()
    ///     .start_days(6.0 * MONTH_DAYS)
    ///     .horizon_days(6.0 * MONTH_DAYS)
    ///     .months(6)
    ///     .build()?;
    /// assert_eq!(second_half.start_days(), 182.621_25);
    /// assert!(PredictConfig::builder().start_days(-1.0).build().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn start_days(mut self, days: f64) -> Self {
        self.config.start_days = days;
        self
    }

    /// Validates and returns the config.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] with field `horizon_days` (not a finite
    /// number `>= 0`, or above [`MAX_HORIZON_DAYS`]), `discount_rate` (not a finite number `>= 0`),
    /// `margin` (not in `0..=1`), `months` (above 1,200, 100 years) or
    /// `start_days` (not a finite number `>= 0`, or a window that ends
    /// more than [`MAX_HORIZON_DAYS`] after the calibration end).
    pub fn build(self) -> Result<PredictConfig> {
        let c = self.config;
        if !(c.start_days.is_finite() && c.start_days >= 0.0) {
            return Err(Error::config(
                "start_days",
                format!("{} is not a finite number of days >= 0", c.start_days),
            ));
        }
        if !(c.horizon_days.is_finite() && c.horizon_days >= 0.0) {
            return Err(Error::config(
                "horizon_days",
                format!("{} is not a finite number of days >= 0", c.horizon_days),
            ));
        }
        if c.horizon_days > MAX_HORIZON_DAYS {
            return Err(Error::config(
                "horizon_days",
                format!(
                    "{} days is longer than the longest supported horizon, \
                     {MAX_HORIZON_DAYS} days (100 years)",
                    c.horizon_days
                ),
            ));
        }
        if !(c.discount_rate.is_finite() && c.discount_rate >= 0.0) {
            return Err(Error::config(
                "discount_rate",
                format!("{} is not a finite monthly rate >= 0", c.discount_rate),
            ));
        }
        if !(0.0..=1.0).contains(&c.margin) {
            return Err(Error::config(
                "margin",
                format!("{} is not a share of revenue in 0..=1", c.margin),
            ));
        }
        if c.months > 1_200 {
            return Err(Error::config(
                "months",
                format!("{} months is more than 1200 (100 years)", c.months),
            ));
        }
        // The window last: the checks above name a bad horizon or months
        // first. Without a start, the configs valid before windows existed
        // stay valid (1200 months of MONTH_DAYS may round above the limit).
        let longest = c.horizon_days.max(f64::from(c.months) * MONTH_DAYS);
        if c.start_days > 0.0 && c.start_days + longest > MAX_HORIZON_DAYS {
            return Err(Error::config(
                "start_days",
                format!(
                    "the window from day {} to day {} ends more than {MAX_HORIZON_DAYS} days \
                     (100 years) after the calibration end; start earlier or shorten the \
                     horizon and months",
                    c.start_days,
                    c.start_days + longest
                ),
            ));
        }
        Ok(c)
    }
}

/// One customer's predictions.
///
/// To feed them to audience rules, pass all of them to
/// [`Profiles::set_predictions_from`](crate::audience::Profiles::set_predictions_from),
/// or convert one into [`audience::PredictedValues`](crate::audience::PredictedValues)
/// (`PredictedValues::from(&prediction)`) for
/// [`Profiles::set_predictions`](crate::audience::Profiles::set_predictions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct CustomerPrediction {
    /// The customer.
    pub customer: CustomerId,
    /// The history the predictions are for.
    #[serde(flatten)]
    pub btyd: Btyd,
    /// The probability that the customer is alive at the calibration end.
    pub p_alive: f64,
    /// Expected purchases over the config's horizon (in the window after
    /// [`PredictConfig::start_days`] when set).
    pub expected_purchases: f64,
    /// Expected spend per purchase day in minor units (Gamma-Gamma), if a
    /// spend model was given and the expectation is finite.
    pub expected_spend: Option<f64>,
    /// CLV over the config's months: see the [module docs](super#clv).
    /// `None` without expected spend.
    pub clv: Option<Money>,
    /// Actual purchase days in the holdout period, if the data has one.
    pub holdout_purchases: Option<u32>,
}

/// Predictions for every customer of a [`BtydData`], in [`CustomerId`]
/// order, with the model and settings they come from.
///
/// # Example
///
/// ```
/// use rfmkit::clv::{BgNbd, GammaGamma, PredictConfig, SimulationConfig, TransactionModel, simulate};
///
/// let truth = TransactionModel::from(BgNbd::new(0.5, 8.0, 0.7, 3.0)?);
/// let config = SimulationConfig::builder()
///     .customers(1_000)
///     .spend(GammaGamma::new(6.0, 4.0, 1_500.0)?)
///     .seed(2)
///     .build()?;
/// let data = simulate(&truth, &config)?;
/// let fit = BgNbd::fit(&data)?;
/// let spend = GammaGamma::fit(&data)?;
/// let predictions = fit.predict(&data, Some(&spend), &PredictConfig::default())?;
/// assert_eq!(predictions.len(), 1_000);
/// let first = predictions.iter().next().ok_or("empty")?;
/// assert!((0.0..=1.0).contains(&first.p_alive));
/// assert!(first.clv.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Predictions {
    model: ModelKind,
    unit: TimeUnit,
    horizon: f64,
    config: PredictConfig,
    customers: Vec<CustomerPrediction>,
}

impl Predictions {
    /// The transaction model used.
    #[must_use]
    pub fn model(&self) -> ModelKind {
        self.model
    }

    /// The time unit of the histories and the horizon.
    #[must_use]
    pub fn unit(&self) -> TimeUnit {
        self.unit
    }

    /// The horizon of the expected purchases in the model's unit.
    #[must_use]
    pub fn horizon(&self) -> f64 {
        self.horizon
    }

    /// The settings used.
    #[must_use]
    pub fn config(&self) -> &PredictConfig {
        &self.config
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// Whether there are no customers.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    /// One customer's predictions, if present.
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<&CustomerPrediction> {
        crate::id::find_by_customer(&self.customers, customer, |c| &c.customer)
    }

    /// The predictions, in [`CustomerId`] order.
    pub fn iter(&self) -> std::slice::Iter<'_, CustomerPrediction> {
        self.customers.iter()
    }

    /// The predictions as a slice, in [`CustomerId`] order.
    #[must_use]
    pub fn as_slice(&self) -> &[CustomerPrediction] {
        &self.customers
    }
}

impl<'a> IntoIterator for &'a Predictions {
    type Item = &'a CustomerPrediction;
    type IntoIter = std::slice::Iter<'a, CustomerPrediction>;
    fn into_iter(self) -> Self::IntoIter {
        self.customers.iter()
    }
}

/// What a history predicts, before spend: P(alive), expected purchases
/// over the horizon, and the discounted expected purchases over the CLV
/// months.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outlook {
    pub(crate) p_alive: f64,
    pub(crate) expected: f64,
    pub(crate) discounted: f64,
}

impl TransactionFit {
    /// Predictions for every customer of `data`, with spend and CLV from
    /// `spend` if given. Customers with identical histories are computed
    /// once. Empty data gives empty predictions.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `unit`) if `data` is not in the
    /// model's time unit; [`Error::Numerical`] (naming the customer) if an
    /// expectation does not converge; [`Error::Overflow`] if a CLV leaves
    /// the range of [`Money`].
    ///
    /// # Example
    ///
    /// See [`Predictions`].
    pub fn predict(
        &self,
        data: &BtydData,
        spend: Option<&SpendFit>,
        config: &PredictConfig,
    ) -> Result<Predictions> {
        self.check_unit(data.unit())?;
        let horizon = config.horizon_days / self.unit.days();
        let mut cache: FxHashMap<(u32, u64, u64), Outlook> = FxHashMap::default();
        let mut customers = Vec::with_capacity(data.len());
        for c in data {
            let outlook = match cache.get(&c.btyd().key()) {
                Some(o) => *o,
                None => {
                    let o = self
                        .outlook(c.btyd(), horizon, config)
                        .map_err(|e| named(e, c))?;
                    cache.insert(c.btyd().key(), o);
                    o
                }
            };
            customers.push(prediction(c, outlook, spend, config)?);
        }
        Ok(Predictions {
            model: self.model.kind(),
            unit: self.unit,
            horizon,
            config: *config,
            customers,
        })
    }

    /// Predictions for one customer (for a request path).
    ///
    /// # Errors
    ///
    /// As [`predict`](Self::predict), without the unit check (the history
    /// must be in the model's unit).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgNbd, Btyd, CustomerBtyd, PredictConfig, SimulationConfig, TransactionModel, simulate};
    ///
    /// let truth = TransactionModel::from(BgNbd::new(0.5, 8.0, 0.7, 3.0)?);
    /// let fit = BgNbd::fit(&simulate(&truth, &SimulationConfig::builder().customers(800).build()?)?)?;
    /// let alice = CustomerBtyd::new("alice", Btyd::new(3, 20.0, 26.0)?);
    /// let p = fit.predict_one(&alice, None, &PredictConfig::default())?;
    /// assert!(p.expected_purchases > 0.0 && p.clv.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict_one(
        &self,
        customer: &CustomerBtyd,
        spend: Option<&SpendFit>,
        config: &PredictConfig,
    ) -> Result<CustomerPrediction> {
        let horizon = config.horizon_days / self.unit.days();
        let outlook = self
            .outlook(customer.btyd(), horizon, config)
            .map_err(|e| named(e, customer))?;
        prediction(customer, outlook, spend, config)
    }

    /// The calibration-vs-holdout table: customers grouped by calibration
    /// repeat purchases `x = 0, 1, ..., max_x − 1` and `max_x` or more, with
    /// the mean actual holdout purchases against the mean predicted
    /// `E[Y(holdout length) | x, t_x, T]`, and the per-customer error over
    /// everyone.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `observation_end`) if the data has no
    /// holdout period; as [`predict`](Self::predict) otherwise.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgNbd, BtydConfig, BtydData};
    /// use rfmkit::sim::SimConfig;
    ///
    /// let shop = SimConfig::builder().customers(2_000).orders(9_000).seed(4).build()?.generate();
    /// let calibration_end = shop.as_of() - chrono::Days::new(180);
    /// let config = BtydConfig::builder(calibration_end).observation_end(shop.as_of()).build()?;
    /// let data = BtydData::from_orders(shop.orders(), &config)?;
    /// let table = BgNbd::fit(&data)?.holdout_table(&data, 7)?;
    /// assert_eq!(table.rows.len(), 8);
    /// println!("{table}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn holdout_table(&self, data: &BtydData, max_x: u32) -> Result<HoldoutTable> {
        self.check_unit(data.unit())?;
        let no_holdout = || {
            Error::config(
                "observation_end",
                "the data has no holdout period; build it with an observation end \
                 (BtydConfig::builder(..).observation_end(..))",
            )
        };
        let length = data.holdout_length().ok_or_else(no_holdout)?;
        let mut tally = HoldoutTally::new(max_x);
        let mut cache: FxHashMap<(u32, u64, u64), f64> = FxHashMap::default();
        for c in data {
            let actual = c.holdout().ok_or_else(no_holdout)?.purchases;
            let predicted = match cache.get(&c.btyd().key()) {
                Some(p) => *p,
                None => {
                    let p = self
                        .model
                        .expected_purchases(c.btyd(), length)
                        .map_err(|e| named(e, c))?;
                    cache.insert(c.btyd().key(), p);
                    p
                }
            };
            tally.add(c.btyd().x(), actual, predicted);
        }
        Ok(tally.finish(self.model.kind(), length, self.unit))
    }

    pub(crate) fn check_unit(&self, unit: TimeUnit) -> Result<()> {
        if unit == self.unit {
            Ok(())
        } else {
            Err(Error::config(
                "unit",
                format!(
                    "the data is in {unit}s but the model was fitted in {}s; build the data in \
                     the model's unit",
                    self.unit
                ),
            ))
        }
    }

    fn outlook(&self, c: Btyd, horizon: f64, config: &PredictConfig) -> Result<Outlook> {
        outlook(&self.model, self.unit, c, horizon, config)
    }
}

/// A history's [`Outlook`] under `model` (in `unit`): see the module docs'
/// CLV formula; with a start `s`, the months run from `s` and month `i`
/// (ending at `s + i·m`) is discounted by `(1 + d)^(s/m + i)`.
pub(crate) fn outlook(
    model: &TransactionModel,
    unit: TimeUnit,
    c: Btyd,
    horizon: f64,
    config: &PredictConfig,
) -> Result<Outlook> {
    let month = MONTH_DAYS / unit.days();
    let start = config.start_days / unit.days();
    let at_start = if start > 0.0 {
        model.expected_purchases(c, start)?
    } else {
        0.0
    };
    let mut discounted = 0.0;
    let mut previous = at_start;
    let mut factor = if start > 0.0 {
        (1.0 + config.discount_rate).powf(-start / month)
    } else {
        1.0
    };
    for i in 1..=config.months {
        let cumulative = model.expected_purchases(c, start + f64::from(i) * month)?;
        factor /= 1.0 + config.discount_rate;
        discounted += (cumulative - previous) * factor;
        previous = cumulative;
    }
    let expected = if horizon > 0.0 {
        (model.expected_purchases(c, start + horizon)? - at_start).max(0.0)
    } else {
        0.0
    };
    Ok(Outlook {
        p_alive: model.p_alive(c),
        expected,
        discounted,
    })
}

/// Names the customer in a numerical error.
pub(crate) fn named(err: Error, c: &CustomerBtyd) -> Error {
    match err {
        Error::Numerical {
            model,
            customer: None,
            problem,
        } => Error::Numerical {
            model,
            customer: Some(c.customer().clone()),
            problem,
        },
        other => other,
    }
}

fn prediction(
    c: &CustomerBtyd,
    outlook: Outlook,
    spend: Option<&SpendFit>,
    config: &PredictConfig,
) -> Result<CustomerPrediction> {
    let expected_spend =
        spend.and_then(|s| s.model.expected_spend(c.btyd().x(), c.mean_repeat_spend()));
    let clv = match expected_spend {
        Some(m) => Some(to_money(outlook.discounted * m * config.margin, c)?),
        None => None,
    };
    Ok(CustomerPrediction {
        customer: c.customer().clone(),
        btyd: c.btyd(),
        p_alive: outlook.p_alive,
        expected_purchases: outlook.expected,
        expected_spend,
        clv,
        holdout_purchases: c.holdout().map(|h| h.purchases),
    })
}

/// Rounds to the nearest minor unit, halves away from zero.
fn to_money(value: f64, c: &CustomerBtyd) -> Result<Money> {
    let rounded = value.round();
    // 2^63 is exactly representable; every finite f64 below it in
    // magnitude converts to i64 without loss.
    if rounded.is_finite() && rounded.abs() < 9_223_372_036_854_775_808.0 {
        #[allow(clippy::cast_possible_truncation)]
        Ok(Money::new(rounded as i64))
    } else {
        Err(Error::Overflow {
            customer: c.customer().clone(),
        })
    }
}

/// One line of a [`HoldoutTable`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct HoldoutRow {
    /// Calibration repeat purchases (the lower bound when `or_more`).
    pub x: u32,
    /// Whether the row is `x` or more.
    pub or_more: bool,
    /// Customers in the row.
    pub customers: usize,
    /// Their mean actual holdout purchases.
    pub actual: f64,
    /// Their mean predicted holdout purchases.
    pub predicted: f64,
}

/// Per-customer holdout errors summed into a [`HoldoutTable`]: shared by
/// every model's `holdout_table`.
pub(crate) struct HoldoutTally {
    max_x: u32,
    /// (customers, actual purchases, predicted purchases) per calibration
    /// frequency, the last bucket holding `max_x` or more.
    sums: Vec<(usize, f64, f64)>,
    customers: usize,
    abs_error: f64,
    sq_error: f64,
    actual_total: u64,
    predicted_total: f64,
}

impl HoldoutTally {
    /// An empty tally with buckets for frequencies 0..=`max_x` (at most 1000).
    pub(crate) fn new(max_x: u32) -> HoldoutTally {
        let buckets = usize::try_from(max_x)
            .unwrap_or(usize::MAX)
            .saturating_add(1)
            .min(1_000);
        HoldoutTally {
            max_x,
            sums: vec![(0, 0.0, 0.0); buckets],
            customers: 0,
            abs_error: 0.0,
            sq_error: 0.0,
            actual_total: 0,
            predicted_total: 0.0,
        }
    }

    /// Adds one customer: calibration frequency `x`, `actual` holdout
    /// purchases and the model's `predicted` ones.
    pub(crate) fn add(&mut self, x: u32, actual: u32, predicted: f64) {
        let last = self.sums.len().saturating_sub(1);
        let bucket = usize::try_from(x).unwrap_or(usize::MAX).min(last);
        if let Some(s) = self.sums.get_mut(bucket) {
            s.0 += 1;
            s.1 += f64::from(actual);
            s.2 += predicted;
        }
        let error = predicted - f64::from(actual);
        self.customers += 1;
        self.abs_error += error.abs();
        self.sq_error += error * error;
        self.actual_total += u64::from(actual);
        self.predicted_total += predicted;
    }

    /// The table of the customers added.
    pub(crate) fn finish(
        self,
        model: ModelKind,
        holdout_length: f64,
        unit: TimeUnit,
    ) -> HoldoutTable {
        let customers = self.customers;
        let n = f64::from(u32::try_from(customers).unwrap_or(u32::MAX));
        let max_x = self.max_x;
        let rows = self
            .sums
            .iter()
            .zip(0_u32..)
            .map(|(&(count, actual, predicted), x)| {
                let k = f64::from(u32::try_from(count).unwrap_or(u32::MAX));
                HoldoutRow {
                    x,
                    or_more: x == max_x,
                    customers: count,
                    actual: if count > 0 { actual / k } else { 0.0 },
                    predicted: if count > 0 { predicted / k } else { 0.0 },
                }
            })
            .collect();
        let mean = |total: f64| if customers > 0 { total / n } else { 0.0 };
        HoldoutTable {
            model,
            holdout_length,
            unit,
            rows,
            customers,
            actual_total: self.actual_total,
            predicted_total: self.predicted_total,
            mean_absolute_error: mean(self.abs_error),
            root_mean_squared_error: mean(self.sq_error).sqrt(),
        }
    }
}

/// Calibration vs holdout: mean actual against mean predicted holdout
/// purchases by calibration repeat purchases, and the error per customer;
/// made by [`TransactionFit::holdout_table`]. Displays as a text table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct HoldoutTable {
    /// The transaction model.
    pub model: ModelKind,
    /// The holdout length in `unit`.
    pub holdout_length: f64,
    /// The time unit.
    pub unit: TimeUnit,
    /// One row per `x = 0, 1, ..., max_x − 1`, then `max_x` or more.
    pub rows: Vec<HoldoutRow>,
    /// Customers.
    pub customers: usize,
    /// Total actual holdout purchases.
    pub actual_total: u64,
    /// Total predicted holdout purchases.
    pub predicted_total: f64,
    /// Mean |predicted − actual| per customer.
    pub mean_absolute_error: f64,
    /// Root mean squared error per customer.
    pub root_mean_squared_error: f64,
}

impl fmt::Display for HoldoutTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} calibration vs holdout ({} {}s)",
            self.model, self.holdout_length, self.unit
        )?;
        let mut rows: Vec<[String; 4]> =
            vec![["x", "customers", "actual", "predicted"].map(String::from)];
        for row in &self.rows {
            let x = if row.or_more {
                format!("{}+", row.x)
            } else {
                row.x.to_string()
            };
            rows.push([
                x,
                row.customers.to_string(),
                format!("{:.3}", row.actual),
                format!("{:.3}", row.predicted),
            ]);
        }
        rows.push([
            "total".to_owned(),
            self.customers.to_string(),
            self.actual_total.to_string(),
            format!("{:.1}", self.predicted_total),
        ]);
        let style = crate::table::Style {
            left: 0,
            gap: " ",
            min_widths: &[5, 9, 9, 9],
        };
        crate::table::write(f, &rows, style)?;
        writeln!(f)?;
        write!(
            f,
            "per customer: MAE {:.4}, RMSE {:.4}",
            self.mean_absolute_error, self.root_mean_squared_error
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::{BgNbd, GammaGamma, TransactionModel};

    fn fit_of(model: TransactionModel) -> TransactionFit {
        TransactionFit {
            model,
            unit: TimeUnit::Week,
            calibration_end: None,
            diagnostics: super::super::model::FitDiagnostics {
                log_likelihood: 0.0,
                converged: true,
                gradient_norm: 0.0,
                iterations: 0,
                evaluations: 0,
                optimizer: super::super::Optimizer::Bfgs,
                customers: 0,
                groups: 0,
                uncertainty: None,
            },
        }
    }

    #[test]
    fn clv_is_the_discounted_sum_of_monthly_purchases_times_spend() {
        let model = TransactionModel::from(BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap());
        let fit = fit_of(model);
        let spend = SpendFit {
            model: GammaGamma::new(6.25, 3.74, 1_544.0).unwrap(),
            calibration_end: None,
            diagnostics: fit.diagnostics.clone(),
            zero_spend: 0,
            frequency_spend_correlation: None,
        };
        let c = CustomerBtyd::new("a", Btyd::new(2, 30.43, 38.86).unwrap())
            .with_mean_repeat_spend(2_234.5)
            .unwrap();
        let config = PredictConfig::builder()
            .months(3)
            .discount_rate(0.02)
            .margin(0.5)
            .build()
            .unwrap();
        let p = fit.predict_one(&c, Some(&spend), &config).unwrap();
        let month = MONTH_DAYS / 7.0;
        let e = |m: f64| model.expected_purchases(c.btyd(), m * month).unwrap();
        let m = spend.model.expected_spend(2, Some(2_234.5)).unwrap();
        let by_hand = 0.5
            * m
            * (e(1.0) / 1.02
                + (e(2.0) - e(1.0)) / 1.02f64.powi(2)
                + (e(3.0) - e(2.0)) / 1.02f64.powi(3));
        assert_eq!(p.clv, Some(Money::new(by_hand.round() as i64)));
    }

    #[test]
    fn unit_mismatch_is_an_error() {
        let fit = fit_of(TransactionModel::from(
            BgNbd::new(1.0, 1.0, 1.0, 1.0).unwrap(),
        ));
        let data = BtydData::new(TimeUnit::Day, []).unwrap();
        let err = fit
            .predict(&data, None, &PredictConfig::default())
            .unwrap_err();
        assert!(matches!(err, Error::InvalidConfig { ref field, .. } if field == "unit"));
        let week = BtydData::new(TimeUnit::Week, []).unwrap();
        assert!(fit.holdout_table(&week, 7).is_err()); // no holdout period
        assert!(
            fit.predict(&week, None, &PredictConfig::default())
                .unwrap()
                .is_empty()
        );
    }
}
