//! BTYD inputs: per customer `x`, `t_x`, `T` and mean repeat spend, from
//! orders, with an optional calibration/holdout split.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::CustomerId;
use crate::ingest::{FutureOrders, IngestConfig, OrderLog};
use crate::ltv::TimeUnit;
use crate::money::Money;
use crate::order::Order;

/// One customer's purchase history as the BTYD models see it: `x` repeat
/// purchase days, the last at `t_x`, observed for `T`, all times in one
/// [`TimeUnit`] since the customer's first purchase.
///
/// Built by [`BtydData::from_orders`], or with [`Btyd::new`] from figures you
/// already have. See the [module docs](super#definitions) for the exact
/// definitions (`t_x` is *last − first purchase*, not the time since the
/// last purchase).
///
/// Serialized as `{"x": 2, "t_x": 30.43, "T": 38.86}`; deserializing
/// validates like [`Btyd::new`].
///
/// # Example
///
/// ```
/// use rfmkit::clv::Btyd;
/// use rfmkit::Error;
///
/// let c = Btyd::new(2, 30.43, 38.86)?;
/// assert_eq!((c.x(), c.t_x(), c.t()), (2, 30.43, 38.86));
/// // The last purchase cannot come after the end of the observation.
/// assert!(matches!(Btyd::new(2, 40.0, 38.86), Err(Error::InvalidBtyd { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawBtyd")]
pub struct Btyd {
    x: u32,
    t_x: f64,
    #[serde(rename = "T")]
    t: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBtyd {
    x: u32,
    t_x: f64,
    #[serde(rename = "T")]
    t: f64,
}

impl TryFrom<RawBtyd> for Btyd {
    type Error = Error;
    fn try_from(raw: RawBtyd) -> Result<Btyd> {
        Btyd::new(raw.x, raw.t_x, raw.t)
    }
}

impl Btyd {
    /// A validated `(x, t_x, T)`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBtyd`] (without a customer) if `t_x` or `T` is not a
    /// finite number `>= 0`, if `t_x > T`, or if `x == 0` and `t_x != 0`.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::Btyd;
    ///
    /// let one_time_buyer = Btyd::new(0, 0.0, 12.0)?;
    /// assert_eq!(one_time_buyer.x(), 0);
    /// assert!(Btyd::new(0, 3.0, 12.0).is_err()); // no repeat purchase, yet t_x > 0
    /// assert!(Btyd::new(1, f64::NAN, 12.0).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(x: u32, t_x: f64, t: f64) -> Result<Btyd> {
        let problem = if !(t_x.is_finite() && t_x >= 0.0) {
            Some(format!("t_x {t_x} is not a finite number >= 0"))
        } else if !(t.is_finite() && t >= 0.0) {
            Some(format!("T {t} is not a finite number >= 0"))
        } else if t_x > t {
            Some(format!(
                "t_x {t_x} is after T {t}; t_x (first to last purchase) must be <= T \
                 (first purchase to calibration end)"
            ))
        } else if x == 0 && t_x != 0.0 {
            Some(format!(
                "x is 0 but t_x is {t_x}; a customer without repeat purchases has t_x = 0"
            ))
        } else {
            None
        };
        match problem {
            Some(problem) => Err(Error::InvalidBtyd {
                customer: None,
                problem,
            }),
            // `+ 0.0` turns -0.0 into 0.0, so equal times have equal bits.
            None => Ok(Btyd {
                x,
                t_x: t_x + 0.0,
                t: t + 0.0,
            }),
        }
    }

    /// `x`: the number of repeat purchase days (distinct purchase days after
    /// the first).
    #[must_use]
    pub fn x(&self) -> u32 {
        self.x
    }

    /// `t_x`: the time from the first to the last purchase (0 if `x == 0`).
    #[must_use]
    pub fn t_x(&self) -> f64 {
        self.t_x
    }

    /// `T`: the time from the first purchase to the end of calibration.
    #[must_use]
    pub fn t(&self) -> f64 {
        self.t
    }

    /// `(x, t_x, T)` as a key for grouping identical histories.
    pub(crate) fn key(&self) -> (u32, u64, u64) {
        (self.x, self.t_x.to_bits(), self.t.to_bits())
    }
}

/// A customer's purchases and spend in the holdout period
/// `(calibration_end, observation_end]`.
///
/// # Example
///
/// ```
/// use rfmkit::clv::Holdout;
/// use rfmkit::Money;
///
/// let h = Holdout::new(2, Money::new(4_480));
/// assert_eq!((h.purchases, h.spend), (2, Money::new(4_480)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct Holdout {
    /// Distinct days with a completed order in the holdout period.
    pub purchases: u32,
    /// The sum of completed order amounts in the holdout period.
    pub spend: Money,
}

impl Holdout {
    /// Holdout purchase days and spend.
    #[must_use]
    pub fn new(purchases: u32, spend: Money) -> Holdout {
        Holdout { purchases, spend }
    }
}

/// One customer's BTYD input: [`Btyd`], the mean spend per repeat purchase
/// day, the first and last purchase dates and the holdout figures.
///
/// # Example
///
/// ```
/// use rfmkit::clv::{Btyd, CustomerBtyd, Holdout};
/// use rfmkit::Money;
///
/// let c = CustomerBtyd::new("alice", Btyd::new(2, 30.43, 38.86)?)
///     .with_mean_repeat_spend(2_234.5)?
///     .with_holdout(Holdout::new(1, Money::new(2_648)));
/// assert_eq!(c.customer().as_str(), "alice");
/// assert_eq!(c.mean_repeat_spend(), Some(2_234.5));
/// assert_eq!(c.holdout().map(|h| h.purchases), Some(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawCustomerBtyd")]
pub struct CustomerBtyd {
    customer: CustomerId,
    #[serde(flatten)]
    btyd: Btyd,
    #[serde(skip_serializing_if = "Option::is_none")]
    mean_repeat_spend: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_purchase: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_purchase: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    holdout: Option<Holdout>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawCustomerBtyd {
    customer: CustomerId,
    x: u32,
    t_x: f64,
    #[serde(rename = "T")]
    t: f64,
    #[serde(default)]
    mean_repeat_spend: Option<f64>,
    #[serde(default)]
    first_purchase: Option<NaiveDate>,
    #[serde(default)]
    last_purchase: Option<NaiveDate>,
    #[serde(default)]
    holdout: Option<Holdout>,
}

impl TryFrom<RawCustomerBtyd> for CustomerBtyd {
    type Error = Error;
    fn try_from(raw: RawCustomerBtyd) -> Result<CustomerBtyd> {
        let btyd = Btyd::new(raw.x, raw.t_x, raw.t).map_err(|e| at_customer(e, &raw.customer))?;
        let mut c = CustomerBtyd::new(raw.customer, btyd);
        if let Some(m) = raw.mean_repeat_spend {
            c = c.with_mean_repeat_spend(m)?;
        }
        c.first_purchase = raw.first_purchase;
        c.last_purchase = raw.last_purchase;
        c.holdout = raw.holdout;
        Ok(c)
    }
}

/// Puts the customer into an [`Error::InvalidBtyd`] that has none.
fn at_customer(err: Error, customer: &CustomerId) -> Error {
    match err {
        Error::InvalidBtyd {
            customer: None,
            problem,
        } => Error::InvalidBtyd {
            customer: Some(customer.clone()),
            problem,
        },
        other => other,
    }
}

impl CustomerBtyd {
    /// A customer's BTYD input without spend, dates or holdout figures.
    #[must_use]
    pub fn new(customer: impl Into<CustomerId>, btyd: Btyd) -> CustomerBtyd {
        CustomerBtyd {
            customer: customer.into(),
            btyd,
            mean_repeat_spend: None,
            first_purchase: None,
            last_purchase: None,
            holdout: None,
        }
    }

    /// Sets the mean spend per repeat purchase day, in minor units.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBtyd`] if the customer has no repeat purchase
    /// (`x == 0`: there is nothing to average) or the mean is not a finite
    /// number `>= 0`.
    pub fn with_mean_repeat_spend(mut self, mean: f64) -> Result<CustomerBtyd> {
        let problem = if self.btyd.x == 0 {
            Some(format!(
                "mean repeat spend {mean} given, but x is 0; only repeat buyers have one"
            ))
        } else if !(mean.is_finite() && mean >= 0.0) {
            Some(format!(
                "mean repeat spend {mean} is not a finite number >= 0"
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::InvalidBtyd {
                customer: Some(self.customer),
                problem,
            });
        }
        self.mean_repeat_spend = Some(mean);
        Ok(self)
    }

    /// Sets the holdout purchases and spend.
    #[must_use]
    pub fn with_holdout(mut self, holdout: Holdout) -> CustomerBtyd {
        self.holdout = Some(holdout);
        self
    }

    /// The customer.
    #[must_use]
    pub fn customer(&self) -> &CustomerId {
        &self.customer
    }

    /// `(x, t_x, T)`.
    #[must_use]
    pub fn btyd(&self) -> Btyd {
        self.btyd
    }

    /// The mean spend per repeat purchase day in minor units (a purchase
    /// day's spend is the sum of its completed orders; the first purchase
    /// day is excluded); `None` for one-time buyers.
    #[must_use]
    pub fn mean_repeat_spend(&self) -> Option<f64> {
        self.mean_repeat_spend
    }

    /// The first purchase date, when built from orders.
    #[must_use]
    pub fn first_purchase(&self) -> Option<NaiveDate> {
        self.first_purchase
    }

    /// The last purchase date in the calibration period, when built from
    /// orders.
    #[must_use]
    pub fn last_purchase(&self) -> Option<NaiveDate> {
        self.last_purchase
    }

    /// Holdout purchases and spend, when the data has a holdout period.
    #[must_use]
    pub fn holdout(&self) -> Option<Holdout> {
        self.holdout
    }
}

/// How to turn orders into [`BtydData`]: the calibration end, an optional
/// observation end (for a holdout period), the time unit and the policy for
/// orders after the last date.
///
/// Built with [`BtydConfig::builder`]; a built config is immutable plain
/// data.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::clv::BtydConfig;
/// use rfmkit::ltv::TimeUnit;
///
/// let calibration_end = NaiveDate::from_ymd_opt(1997, 9, 30).ok_or("bad date")?;
/// let observation_end = NaiveDate::from_ymd_opt(1998, 6, 30).ok_or("bad date")?;
/// let config = BtydConfig::builder(calibration_end)
///     .observation_end(observation_end)
///     .unit(TimeUnit::Week)
///     .build()?;
/// assert_eq!(config.holdout_length(), Some(39.0)); // 273 days / 7
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawBtydConfig")]
pub struct BtydConfig {
    calibration_end: NaiveDate,
    observation_end: Option<NaiveDate>,
    unit: TimeUnit,
    future_orders: FutureOrders,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawBtydConfig {
    calibration_end: NaiveDate,
    #[serde(default)]
    observation_end: Option<NaiveDate>,
    #[serde(default = "default_unit")]
    unit: TimeUnit,
    #[serde(default)]
    future_orders: FutureOrders,
}

fn default_unit() -> TimeUnit {
    TimeUnit::Week
}

impl TryFrom<RawBtydConfig> for BtydConfig {
    type Error = Error;
    fn try_from(raw: RawBtydConfig) -> Result<BtydConfig> {
        let mut builder = BtydConfig::builder(raw.calibration_end)
            .unit(raw.unit)
            .future_orders(raw.future_orders);
        if let Some(end) = raw.observation_end {
            builder = builder.observation_end(end);
        }
        builder.build()
    }
}

impl BtydConfig {
    /// A builder with the calibration end date (the last day of the
    /// calibration period, included) and the defaults: no holdout period,
    /// [`TimeUnit::Week`], [`FutureOrders::Reject`].
    #[must_use]
    pub fn builder(calibration_end: NaiveDate) -> BtydConfigBuilder {
        BtydConfigBuilder {
            config: BtydConfig {
                calibration_end,
                observation_end: None,
                unit: TimeUnit::Week,
                future_orders: FutureOrders::Reject,
            },
        }
    }

    /// The last day of the calibration period (included).
    #[must_use]
    pub fn calibration_end(&self) -> NaiveDate {
        self.calibration_end
    }

    /// The last day of the holdout period (included), if there is one.
    #[must_use]
    pub fn observation_end(&self) -> Option<NaiveDate> {
        self.observation_end
    }

    /// The time unit of `t_x` and `T`.
    #[must_use]
    pub fn unit(&self) -> TimeUnit {
        self.unit
    }

    /// The policy for orders after the last date.
    #[must_use]
    pub fn future_orders(&self) -> FutureOrders {
        self.future_orders
    }

    /// The holdout length `(observation_end − calibration_end)` in the time
    /// unit, if there is a holdout period.
    #[must_use]
    pub fn holdout_length(&self) -> Option<f64> {
        self.observation_end
            .map(|end| days_between(self.calibration_end, end) / self.unit.days())
    }
}

/// Days from `from` to `to` as a float (chrono's range fits an `i32`
/// number of days, so the conversion is exact).
fn days_between(from: NaiveDate, to: NaiveDate) -> f64 {
    let days = (to - from).num_days();
    i32::try_from(days).map_or(f64::NAN, f64::from)
}

/// Builds a [`BtydConfig`]; made by [`BtydConfig::builder`].
#[derive(Debug, Clone)]
pub struct BtydConfigBuilder {
    config: BtydConfig,
}

impl BtydConfigBuilder {
    /// Sets the last day of the holdout period (default: none). Orders in
    /// `(calibration_end, observation_end]` are holdout purchases.
    #[must_use]
    pub fn observation_end(mut self, observation_end: NaiveDate) -> Self {
        self.config.observation_end = Some(observation_end);
        self
    }

    /// Sets the time unit of `t_x` and `T` (default [`TimeUnit::Week`], 7
    /// days, as in the BG/NBD paper). Times are `days / unit.days()`, so
    /// weeks are fractional.
    #[must_use]
    pub fn unit(mut self, unit: TimeUnit) -> Self {
        self.config.unit = unit;
        self
    }

    /// Sets what to do with orders after the last date, the observation
    /// end or else the calibration end (default [`FutureOrders::Reject`]).
    /// With [`FutureOrders::Ignore`] they are left out and counted in
    /// [`BtydData::ignored_orders`].
    #[must_use]
    pub fn future_orders(mut self, policy: FutureOrders) -> Self {
        self.config.future_orders = policy;
        self
    }

    /// Validates and returns the config.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] with field `observation_end` if it is not
    /// after the calibration end.
    pub fn build(self) -> Result<BtydConfig> {
        let c = self.config;
        if let Some(end) = c.observation_end {
            if end <= c.calibration_end {
                return Err(Error::config(
                    "observation_end",
                    format!(
                        "{end} is not after the calibration end {}; the holdout period \
                         (calibration_end, observation_end] must not be empty",
                        c.calibration_end
                    ),
                ));
            }
        }
        Ok(c)
    }
}

/// BTYD inputs of a population, one [`CustomerBtyd`] per customer in
/// [`CustomerId`] order, with the time unit and the calibration and
/// observation ends they were computed for.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::clv::{BtydConfig, BtydData};
/// use rfmkit::ltv::TimeUnit;
/// use rfmkit::{Money, Order};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let orders = vec![
///     Order::new("A-1", "alice", d(1, 1)?, Money::new(2_000)),
///     Order::new("A-2", "alice", d(1, 15)?, Money::new(1_000)),
///     Order::new("A-3", "alice", d(1, 15)?, Money::new(500)), // same day: one purchase
///     Order::new("A-4", "alice", d(2, 12)?, Money::new(2_500)),
///     Order::new("A-5", "bob", d(1, 29)?, Money::new(900)),
///     Order::new("A-6", "bob", d(3, 5)?, Money::new(1_200)), // holdout
/// ];
/// let config = BtydConfig::builder(d(2, 26)?)
///     .observation_end(d(3, 26)?)
///     .unit(TimeUnit::Week)
///     .build()?;
/// let data = BtydData::from_orders(&orders, &config)?;
///
/// let alice = data.get("alice").ok_or("alice missing")?;
/// // Purchase days Jan 1, Jan 15, Feb 12: x = 2 repeat days; t_x = 42 days
/// // = 6 weeks; T = Jan 1 → Feb 26 = 56 days = 8 weeks.
/// assert_eq!((alice.btyd().x(), alice.btyd().t_x(), alice.btyd().t()), (2, 6.0, 8.0));
/// // Repeat days spent 1,500 and 2,500: mean 2,000 (the first day is left out).
/// assert_eq!(alice.mean_repeat_spend(), Some(2_000.0));
/// let bob = data.get("bob").ok_or("bob missing")?;
/// assert_eq!((bob.btyd().x(), bob.btyd().t()), (0, 4.0));
/// assert_eq!(bob.holdout().map(|h| h.purchases), Some(1));
/// assert_eq!(data.holdout_length(), Some(4.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawBtydData")]
pub struct BtydData {
    unit: TimeUnit,
    calibration_end: Option<NaiveDate>,
    observation_end: Option<NaiveDate>,
    holdout_length: Option<f64>,
    customers: Vec<CustomerBtyd>,
    new_in_holdout: usize,
    ignored_orders: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawBtydData {
    unit: TimeUnit,
    #[serde(default)]
    calibration_end: Option<NaiveDate>,
    #[serde(default)]
    observation_end: Option<NaiveDate>,
    #[serde(default)]
    holdout_length: Option<f64>,
    customers: Vec<CustomerBtyd>,
    #[serde(default)]
    new_in_holdout: usize,
    #[serde(default)]
    ignored_orders: usize,
}

impl TryFrom<RawBtydData> for BtydData {
    type Error = Error;
    fn try_from(raw: RawBtydData) -> Result<BtydData> {
        let sorted_unique = raw
            .customers
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.customer < b.customer));
        if !sorted_unique {
            return Err(Error::config(
                "customers",
                "btyd customers must be sorted by customer id with no repeats",
            ));
        }
        let mut data = BtydData {
            unit: raw.unit,
            calibration_end: raw.calibration_end,
            observation_end: raw.observation_end,
            holdout_length: None,
            customers: raw.customers,
            new_in_holdout: raw.new_in_holdout,
            ignored_orders: raw.ignored_orders,
        };
        if let Some(length) = raw.holdout_length {
            data = data.with_holdout_length(length)?;
        }
        Ok(data)
    }
}

/// One purchase of one customer during aggregation (by date).
struct Day {
    date: NaiveDate,
    amount: Money,
}

impl BtydData {
    /// BTYD inputs from orders, per the [definitions](super#definitions).
    ///
    /// Orders are checked as for summaries: a repeated order id is an error,
    /// an order after the last date (the observation end, or else the
    /// calibration end) is an error unless the config ignores such orders,
    /// and an amount must have the right sign for its status. Only completed
    /// orders are purchases; returns and cancellations are left out (spend
    /// is gross). Customers whose first purchase is after the calibration
    /// end are not modelled; they are counted in
    /// [`new_in_holdout`](Self::new_in_holdout). Empty input gives empty
    /// data.
    ///
    /// # Errors
    ///
    /// The first invalid order's error, in input order:
    /// [`Error::DuplicateOrderId`], [`Error::OrderAfterAsOf`] (with the last
    /// date as the as-of date) or [`Error::InvalidAmount`];
    /// [`Error::Overflow`] if a customer's spend overflows.
    ///
    /// # Example
    ///
    /// See [`BtydData`].
    pub fn from_orders<'a>(
        orders: impl IntoIterator<Item = &'a Order>,
        config: &BtydConfig,
    ) -> Result<BtydData> {
        let last_date = config.observation_end.unwrap_or(config.calibration_end);
        let log = IngestConfig::new(last_date)
            .future_orders(config.future_orders)
            .ingest(orders)?;
        BtydData::from_log(&log, config)
    }

    /// BTYD inputs from an ingested [`OrderLog`], per the
    /// [definitions](super#definitions): the log's completed orders up to
    /// the observation end (or else the calibration end). The log is read
    /// once; nothing re-reads the raw orders.
    ///
    /// Orders the log left out count in [`ignored_orders`](Self::ignored_orders)
    /// when they were after its as-of date. Customers come out in
    /// [`CustomerId`] order (text), whatever the log's id order.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `observation_end`) if the log has
    /// orders after the last date and the config does not ignore them
    /// (ingest as of the last date instead); [`Error::Overflow`] if a
    /// customer's spend overflows.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::clv::{BtydConfig, BtydData};
    /// use rfmkit::ingest::IngestConfig;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let orders = [
    ///     Order::new("A-1", "alice", d(1, 1)?, Money::new(1_000)),
    ///     Order::new("A-2", "alice", d(1, 15)?, Money::new(1_500)),
    ///     Order::new("A-3", "alice", d(3, 1)?, Money::new(900)),
    /// ];
    /// let config = BtydConfig::builder(d(2, 26)?).observation_end(d(3, 26)?).build()?;
    /// let log = IngestConfig::new(d(3, 26)?).ingest(&orders)?;
    /// let data = BtydData::from_log(&log, &config)?;
    /// let alice = data.get("alice").ok_or("alice missing")?;
    /// assert_eq!((alice.btyd().x(), alice.btyd().t_x()), (1, 2.0)); // 14 days = 2 weeks
    /// assert_eq!(alice.holdout().map(|h| h.purchases), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_log(log: &OrderLog, config: &BtydConfig) -> Result<BtydData> {
        let last_date = config.observation_end.unwrap_or(config.calibration_end);
        let mut ignored_orders = log
            .skipped()
            .iter()
            .filter(|s| matches!(s.reason, Error::OrderAfterAsOf { .. }))
            .count();
        let mut customers = Vec::with_capacity(log.index().len().min(1 << 22));
        let mut new_in_holdout = 0;
        let mut days: Vec<Day> = Vec::new();
        for (slot, id) in log.index().iter().enumerate() {
            days.clear();
            for row in log.customer_rows(slot) {
                if row.date > last_date {
                    if config.future_orders == FutureOrders::Ignore {
                        ignored_orders += 1;
                        continue;
                    }
                    return Err(Error::config(
                        "observation_end",
                        format!(
                            "the log has an order of {id} dated {} (input #{}), after the last \
                             BTYD date {last_date}; ingest as of {last_date} or ignore later orders",
                            row.date, row.position
                        ),
                    ));
                }
                if !row.returned {
                    days.push(Day {
                        date: row.date,
                        amount: row.amount,
                    });
                }
            }
            if days.is_empty() {
                continue;
            }
            match aggregate(id, &days, config)? {
                Some(c) => customers.push(c),
                None => new_in_holdout += 1,
            }
        }
        customers.sort_unstable_by(|a, b| a.customer.cmp(&b.customer));
        Ok(BtydData {
            unit: config.unit,
            calibration_end: Some(config.calibration_end),
            observation_end: config.observation_end,
            holdout_length: config.holdout_length(),
            customers,
            new_in_holdout,
            ignored_orders,
        })
    }

    /// Data from per-customer inputs you already have (from another system,
    /// or from `lifetimes`' `summary_data_from_transaction_data`), in
    /// `unit`, without calibration or observation dates. Customers are
    /// sorted by id.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateCustomer`] if a customer appears twice.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{Btyd, BtydData, CustomerBtyd};
    /// use rfmkit::ltv::TimeUnit;
    ///
    /// let data = BtydData::new(TimeUnit::Week, [
    ///     CustomerBtyd::new("b", Btyd::new(0, 0.0, 38.86)?),
    ///     CustomerBtyd::new("a", Btyd::new(2, 30.43, 38.86)?),
    /// ])?;
    /// assert_eq!(data.iter().map(|c| c.customer().as_str()).collect::<Vec<_>>(), ["a", "b"]);
    /// assert_eq!(data.repeat_buyers(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        unit: TimeUnit,
        customers: impl IntoIterator<Item = CustomerBtyd>,
    ) -> Result<BtydData> {
        let mut customers: Vec<CustomerBtyd> = crate::bounded::bounded(customers).collect();
        customers.sort_by(|a, b| a.customer.cmp(&b.customer));
        if let Some(w) = customers
            .windows(2)
            .find(|w| matches!(w, [a, b] if a.customer == b.customer))
        {
            if let Some(c) = w.first() {
                return Err(Error::DuplicateCustomer {
                    customer: c.customer.clone(),
                });
            }
        }
        Ok(BtydData {
            unit,
            calibration_end: None,
            observation_end: None,
            holdout_length: None,
            customers,
            new_in_holdout: 0,
            ignored_orders: 0,
        })
    }

    /// Sets the holdout length in the data's unit, for data built with
    /// [`BtydData::new`] whose customers carry holdout figures.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] with field `holdout_length` if it is not a
    /// finite number `> 0`.
    pub fn with_holdout_length(mut self, length: f64) -> Result<BtydData> {
        if !(length.is_finite() && length > 0.0) {
            return Err(Error::config(
                "holdout_length",
                format!("{length} is not a finite number > 0"),
            ));
        }
        self.holdout_length = Some(length);
        Ok(self)
    }

    /// The time unit of `t_x` and `T`.
    #[must_use]
    pub fn unit(&self) -> TimeUnit {
        self.unit
    }

    /// The calibration end, when built from orders.
    #[must_use]
    pub fn calibration_end(&self) -> Option<NaiveDate> {
        self.calibration_end
    }

    /// The observation end, when built from orders with a holdout period.
    #[must_use]
    pub fn observation_end(&self) -> Option<NaiveDate> {
        self.observation_end
    }

    /// The holdout length in the data's unit, if there is a holdout period.
    #[must_use]
    pub fn holdout_length(&self) -> Option<f64> {
        self.holdout_length
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

    /// The number of customers with at least one repeat purchase (`x > 0`).
    #[must_use]
    pub fn repeat_buyers(&self) -> usize {
        self.customers.iter().filter(|c| c.btyd.x > 0).count()
    }

    /// Customers whose first purchase is in the holdout period (not
    /// modelled: they were not customers at the calibration end).
    #[must_use]
    pub fn new_in_holdout(&self) -> usize {
        self.new_in_holdout
    }

    /// Orders after the last date left out under [`FutureOrders::Ignore`].
    #[must_use]
    pub fn ignored_orders(&self) -> usize {
        self.ignored_orders
    }

    /// One customer's input, if present.
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<&CustomerBtyd> {
        crate::id::find_by_customer(&self.customers, customer, |c| &c.customer)
    }

    /// The customers, in [`CustomerId`] order.
    pub fn iter(&self) -> std::slice::Iter<'_, CustomerBtyd> {
        self.customers.iter()
    }

    /// The customers as a slice, in [`CustomerId`] order.
    #[must_use]
    pub fn as_slice(&self) -> &[CustomerBtyd] {
        &self.customers
    }
}

impl<'a> IntoIterator for &'a BtydData {
    type Item = &'a CustomerBtyd;
    type IntoIter = std::slice::Iter<'a, CustomerBtyd>;
    fn into_iter(self) -> Self::IntoIter {
        self.customers.iter()
    }
}

/// One customer's purchase days (sorted by date) → their BTYD input, or
/// `None` if they first bought after the calibration end.
fn aggregate(id: &CustomerId, days: &[Day], config: &BtydConfig) -> Result<Option<CustomerBtyd>> {
    let overflow = || Error::Overflow {
        customer: id.clone(),
    };
    // Same-day orders collapse into one purchase day with their summed spend.
    let mut calibration: Vec<(NaiveDate, Money)> = Vec::new();
    let mut holdout_days = BTreeSet::new();
    let mut holdout_spend = Money::ZERO;
    for day in days {
        if day.date <= config.calibration_end {
            match calibration.last_mut() {
                Some((date, spend)) if *date == day.date => {
                    *spend = spend.checked_add(day.amount).ok_or_else(overflow)?;
                }
                _ => calibration.push((day.date, day.amount)),
            }
        } else {
            holdout_days.insert(day.date);
            holdout_spend = holdout_spend.checked_add(day.amount).ok_or_else(overflow)?;
        }
    }
    let (Some(&(first, _)), Some(&(last, _))) = (calibration.first(), calibration.last()) else {
        return Ok(None);
    };
    let x = u32::try_from(calibration.len().saturating_sub(1)).map_err(|_| overflow())?;
    let unit_days = config.unit.days();
    let btyd = Btyd::new(
        x,
        days_between(first, last) / unit_days,
        days_between(first, config.calibration_end) / unit_days,
    )
    .map_err(|e| at_customer(e, id))?;
    let mut c = CustomerBtyd::new(id.clone(), btyd);
    if x > 0 {
        let mut repeat = Money::ZERO;
        for (_, spend) in calibration.iter().skip(1) {
            repeat = repeat.checked_add(*spend).ok_or_else(overflow)?;
        }
        c = c.with_mean_repeat_spend(repeat.to_f64() / f64::from(x))?;
    }
    c.first_purchase = Some(first);
    c.last_purchase = Some(last);
    if config.observation_end.is_some() {
        let purchases = u32::try_from(holdout_days.len()).map_err(|_| overflow())?;
        c.holdout = Some(Holdout::new(purchases, holdout_spend));
    }
    Ok(Some(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::OrderStatus;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, day).unwrap()
    }

    #[test]
    fn returns_and_cancellations_are_not_purchases() {
        let orders = [
            Order::new("1", "a", d(1, 1), Money::new(100)),
            Order::new("2", "a", d(1, 8), Money::new(-100)).with_status(OrderStatus::Returned),
            Order::new("3", "a", d(1, 15), Money::new(300)).with_status(OrderStatus::Cancelled),
        ];
        let config = BtydConfig::builder(d(1, 29))
            .unit(TimeUnit::Day)
            .build()
            .unwrap();
        let data = BtydData::from_orders(&orders, &config).unwrap();
        let a = data.get("a").unwrap();
        assert_eq!((a.btyd().x(), a.btyd().t_x(), a.btyd().t()), (0, 0.0, 28.0));
        assert_eq!(a.mean_repeat_spend(), None);
        assert_eq!(a.holdout(), None);
    }

    #[test]
    fn orders_after_the_last_date_are_errors_or_counted() {
        let orders = [
            Order::new("1", "a", d(1, 1), Money::new(100)),
            Order::new("2", "b", d(3, 1), Money::new(100)),
        ];
        let strict = BtydConfig::builder(d(1, 31)).build().unwrap();
        let err = BtydData::from_orders(&orders, &strict).unwrap_err();
        assert!(matches!(err, Error::OrderAfterAsOf { index: 1, as_of, .. } if as_of == d(1, 31)));
        let lenient = BtydConfig::builder(d(1, 31))
            .future_orders(FutureOrders::Ignore)
            .build()
            .unwrap();
        let data = BtydData::from_orders(&orders, &lenient).unwrap();
        assert_eq!((data.len(), data.ignored_orders()), (1, 1));
    }

    #[test]
    fn customers_new_in_the_holdout_are_counted_not_modelled() {
        let orders = [
            Order::new("1", "a", d(1, 1), Money::new(100)),
            Order::new("2", "b", d(2, 10), Money::new(100)),
        ];
        let config = BtydConfig::builder(d(1, 31))
            .observation_end(d(2, 28))
            .build()
            .unwrap();
        let data = BtydData::from_orders(&orders, &config).unwrap();
        assert_eq!((data.len(), data.new_in_holdout()), (1, 1));
        assert_eq!(
            data.get("a").unwrap().holdout(),
            Some(Holdout::new(0, Money::ZERO))
        );
    }

    #[test]
    fn config_rejects_an_empty_holdout() {
        let err = BtydConfig::builder(d(1, 31))
            .observation_end(d(1, 31))
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidConfig { ref field, .. } if field == "observation_end")
        );
    }

    #[test]
    fn duplicate_ids_and_wrong_signs_are_errors() {
        let dup = [
            Order::new("1", "a", d(1, 1), Money::new(100)),
            Order::new("1", "b", d(1, 2), Money::new(100)),
        ];
        let config = BtydConfig::builder(d(1, 31)).build().unwrap();
        assert!(matches!(
            BtydData::from_orders(&dup, &config),
            Err(Error::DuplicateOrderId {
                index: 1,
                first_index: 0,
                ..
            })
        ));
        let negative = [Order::new("1", "a", d(1, 1), Money::new(-5))];
        assert!(matches!(
            BtydData::from_orders(&negative, &config),
            Err(Error::InvalidAmount { index: 0, .. })
        ));
    }

    #[test]
    fn serde_validates_inputs() {
        let ok: Btyd = serde_json::from_str(r#"{"x":1,"t_x":2.5,"T":4}"#).unwrap();
        assert_eq!(ok, Btyd::new(1, 2.5, 4.0).unwrap());
        assert!(serde_json::from_str::<Btyd>(r#"{"x":1,"t_x":5,"T":4}"#).is_err());
        let bad_order = r#"{"unit":"week","customers":[
            {"customer":"b","x":0,"t_x":0,"T":1},{"customer":"a","x":0,"t_x":0,"T":1}]}"#;
        assert!(serde_json::from_str::<BtydData>(bad_order).is_err());
    }
}
