//! [`FrequencyDrop`]: a customer's recent purchase rate against their own
//! earlier rate.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

use super::CustomerSummary;

/// The default recent window: 90 days.
pub const DEFAULT_RECENT_DAYS: u32 = 90;
/// The default baseline window: the 365 days before the recent one.
pub const DEFAULT_BASELINE_DAYS: u32 = 365;
/// The default minimum of baseline purchase days: 2.
pub const DEFAULT_MIN_BASELINE_PURCHASES: u32 = 2;
/// The default drop threshold: a ratio at or below 0.5 (half the usual
/// rate or less) is a drop.
pub const DEFAULT_DROP_THRESHOLD: f64 = 0.5;

/// The windows of a [`FrequencyDrop`].
///
/// Built with [`FrequencyDropConfig::builder`]; [`Default`] is the
/// documented defaults. Serialized with snake_case keys; missing keys take
/// their defaults and deserializing validates like the builder.
///
/// # Example
///
/// ```
/// use rfmkit::summary::FrequencyDropConfig;
///
/// let config = FrequencyDropConfig::builder().recent_days(60).baseline_days(180).build()?;
/// assert_eq!((config.recent_days(), config.baseline_days()), (60, 180));
/// assert_eq!(FrequencyDropConfig::default().min_baseline_purchases(), 2);
/// assert!(FrequencyDropConfig::builder().recent_days(0).build().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawConfig")]
pub struct FrequencyDropConfig {
    recent_days: u32,
    baseline_days: u32,
    min_baseline_purchases: u32,
    threshold: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", default, deny_unknown_fields)]
struct RawConfig {
    recent_days: u32,
    baseline_days: u32,
    min_baseline_purchases: u32,
    threshold: f64,
}

impl Default for RawConfig {
    fn default() -> RawConfig {
        let d = FrequencyDropConfig::default();
        RawConfig {
            recent_days: d.recent_days,
            baseline_days: d.baseline_days,
            min_baseline_purchases: d.min_baseline_purchases,
            threshold: d.threshold,
        }
    }
}

impl TryFrom<RawConfig> for FrequencyDropConfig {
    type Error = Error;
    fn try_from(raw: RawConfig) -> Result<FrequencyDropConfig> {
        FrequencyDropConfig::builder()
            .recent_days(raw.recent_days)
            .baseline_days(raw.baseline_days)
            .min_baseline_purchases(raw.min_baseline_purchases)
            .threshold(raw.threshold)
            .build()
    }
}

impl Default for FrequencyDropConfig {
    fn default() -> FrequencyDropConfig {
        FrequencyDropConfig {
            recent_days: DEFAULT_RECENT_DAYS,
            baseline_days: DEFAULT_BASELINE_DAYS,
            min_baseline_purchases: DEFAULT_MIN_BASELINE_PURCHASES,
            threshold: DEFAULT_DROP_THRESHOLD,
        }
    }
}

impl FrequencyDropConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> FrequencyDropConfigBuilder {
        FrequencyDropConfigBuilder {
            config: FrequencyDropConfig::default(),
        }
    }

    /// The recent window's length `W` in days.
    #[must_use]
    pub fn recent_days(&self) -> u32 {
        self.recent_days
    }

    /// The baseline window's length `B` in days (at most; it starts no
    /// earlier than the first purchase).
    #[must_use]
    pub fn baseline_days(&self) -> u32 {
        self.baseline_days
    }

    /// The fewest baseline purchase days that give a ratio.
    #[must_use]
    pub fn min_baseline_purchases(&self) -> u32 {
        self.min_baseline_purchases
    }

    /// Ratios at or below this are a drop.
    #[must_use]
    pub fn threshold(&self) -> f64 {
        self.threshold
    }
}

/// Builds a [`FrequencyDropConfig`]; made by
/// [`FrequencyDropConfig::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct FrequencyDropConfigBuilder {
    config: FrequencyDropConfig,
}

impl FrequencyDropConfigBuilder {
    /// Sets the recent window `W` in days (default
    /// [`DEFAULT_RECENT_DAYS`], 90).
    pub fn recent_days(mut self, days: u32) -> Self {
        self.config.recent_days = days;
        self
    }

    /// Sets the baseline window `B` in days (default
    /// [`DEFAULT_BASELINE_DAYS`], 365).
    pub fn baseline_days(mut self, days: u32) -> Self {
        self.config.baseline_days = days;
        self
    }

    /// Sets the fewest baseline purchase days that give a ratio (default
    /// [`DEFAULT_MIN_BASELINE_PURCHASES`], 2).
    pub fn min_baseline_purchases(mut self, purchases: u32) -> Self {
        self.config.min_baseline_purchases = purchases;
        self
    }

    /// Sets the drop threshold (default [`DEFAULT_DROP_THRESHOLD`], 0.5).
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.config.threshold = threshold;
        self
    }

    /// Validates and returns the config.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] with field `recent_days`, `baseline_days`
    /// or `min_baseline_purchases` if it is 0, and `threshold` if it is
    /// not a finite number `>= 0`.
    pub fn build(self) -> Result<FrequencyDropConfig> {
        let c = self.config;
        for (field, value) in [
            ("recent_days", c.recent_days),
            ("baseline_days", c.baseline_days),
            ("min_baseline_purchases", c.min_baseline_purchases),
        ] {
            if value == 0 {
                return Err(Error::config(field, "must be >= 1"));
            }
        }
        if !(c.threshold.is_finite() && c.threshold >= 0.0) {
            return Err(Error::config(
                "threshold",
                format!("is {}; use a finite ratio >= 0 such as 0.5", c.threshold),
            ));
        }
        Ok(c)
    }
}

/// One customer's purchase rate over a recent window against their own
/// earlier (baseline) rate.
///
/// # Definition
///
/// Purchases are distinct days with a completed order (a split basket
/// counts once, as in F2 and BTYD). With `W` =
/// [`recent_days`](FrequencyDropConfig::recent_days), `B` =
/// [`baseline_days`](FrequencyDropConfig::baseline_days) and the as-of
/// date `A`:
///
/// - the **recent window** is `(A − W, A]`, `W` days;
/// - the **baseline window** is `(A − W − B, A − W]`, cut to start no
///   earlier than the first purchase day: from `max(A − W − B + 1, first)`
///   to `A − W`, both included, `baseline_days` days long;
/// - **recent rate** = recent purchases ÷ `W`; **baseline rate** =
///   baseline purchases ÷ `baseline_days` (purchases per day);
/// - **ratio** = recent rate ÷ baseline rate: 1 buys at the usual pace,
///   0.5 at half of it, 0 not at all since `A − W`.
///
/// The ratio is **missing** (`None`, never a silent 0) when the customer
/// has no purchase before the recent window (first purchase after
/// `A − W`, so there is no baseline) or fewer than
/// [`min_baseline_purchases`](FrequencyDropConfig::min_baseline_purchases)
/// purchase days in the baseline window (too few to know a usual pace).
/// [`dropped`](Self::dropped) is then missing too; in audience rules the
/// `frequency_drop` field follows the three-valued logic (`frequency_drop
/// <= 0.5` is unknown, so not selected, and `frequency_drop is null`
/// finds these customers).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::summary::{FrequencyDropConfig, Summaries};
/// use rfmkit::{Money, Order};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// // A monthly buyer from January to May, then nothing.
/// let mut orders = Vec::new();
/// for m in 1..=5 {
///     orders.push(Order::new(format!("A-{m}"), "alice", d(m, 1)?, Money::new(1_000)));
/// }
/// let summaries = Summaries::from_orders(&orders, d(7, 30)?)?;
/// let alice = summaries.get("alice").ok_or("missing")?;
/// let config = FrequencyDropConfig::builder().recent_days(90).baseline_days(120).build()?;
/// let drop = alice.frequency_drop(&config);
/// // A − W = 1 May; the baseline is the 120 days 2 Jan ..= 1 May:
/// // 4 purchases (1 Feb, 1 Mar, 1 Apr, 1 May)
/// assert_eq!((drop.baseline_purchases, drop.baseline_days), (4, 120));
/// // recent window 2 May ..= 30 July: no purchase
/// assert_eq!((drop.recent_purchases, drop.ratio, drop.dropped), (0, Some(0.0), Some(true)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct FrequencyDrop {
    /// Purchase days in the recent window.
    pub recent_purchases: u64,
    /// Purchase days in the baseline window.
    pub baseline_purchases: u64,
    /// The baseline window's length in days (0 without a baseline).
    pub baseline_days: u64,
    /// `recent rate / baseline rate`; `None` without enough baseline.
    pub ratio: Option<f64>,
    /// `ratio <= threshold`; `None` when the ratio is.
    pub dropped: Option<bool>,
}

impl FrequencyDrop {
    /// The drop of a customer whose distinct purchase days (day numbers
    /// from the common era, ascending) are `days`, as of day `as_of`.
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn of_days(days: &[i32], as_of: i32, config: &FrequencyDropConfig) -> FrequencyDrop {
        let as_of = i64::from(as_of);
        let recent_start = as_of - i64::from(config.recent_days); // excluded
        let count = |after: i64, to: i64| -> u64 {
            let lo = days.partition_point(|&d| i64::from(d) <= after);
            let hi = days.partition_point(|&d| i64::from(d) <= to);
            u64::try_from(hi.saturating_sub(lo)).unwrap_or(u64::MAX)
        };
        let recent_purchases = count(recent_start, as_of);
        let none = FrequencyDrop {
            recent_purchases,
            baseline_purchases: 0,
            baseline_days: 0,
            ratio: None,
            dropped: None,
        };
        let Some(&first) = days.first() else {
            return none;
        };
        let first = i64::from(first);
        if first > recent_start {
            return none;
        }
        let start = (recent_start - i64::from(config.baseline_days) + 1).max(first);
        let baseline_days = u64::try_from(recent_start - start + 1).unwrap_or(0);
        let baseline_purchases = count(start - 1, recent_start);
        if baseline_purchases < u64::from(config.min_baseline_purchases) || baseline_days == 0 {
            return FrequencyDrop {
                baseline_purchases,
                baseline_days,
                ..none
            };
        }
        let recent_rate = recent_purchases as f64 / f64::from(config.recent_days);
        let baseline_rate = baseline_purchases as f64 / baseline_days as f64;
        let ratio = recent_rate / baseline_rate;
        FrequencyDrop {
            recent_purchases,
            baseline_purchases,
            baseline_days,
            ratio: Some(ratio),
            dropped: Some(ratio <= config.threshold),
        }
    }
}

impl CustomerSummary {
    /// The customer's [`FrequencyDrop`] as of the summary's date, with the
    /// windows of `config`.
    #[must_use]
    pub fn frequency_drop(&self, config: &FrequencyDropConfig) -> FrequencyDrop {
        let days: Vec<i32> = self
            .purchase_dates()
            .iter()
            .map(NaiveDate::num_days_from_ce)
            .collect();
        FrequencyDrop::of_days(&days, self.as_of().num_days_from_ce(), config)
    }
}
