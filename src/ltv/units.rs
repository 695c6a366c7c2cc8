//! Typed inputs of the LTV formulas: [`Rate`], [`Duration`], [`Frequency`],
//! [`Purchases`], and the exact arithmetic behind them.
//!
//! Every factor is a decimal with at most 9 fractional digits, stored as an
//! integer count of billionths; a float given to a constructor is rounded to
//! the nearest billionth. Formulas multiply these integers with the amount in
//! 128 bits and round once, at the end, to the nearest minor unit (halves away
//! from zero), so `1,000,000 × 0.30 × 4` is exactly `1,200,000`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::Money;

/// Billionths in one: the fixed-point scale of every factor.
const SCALE: u64 = 1_000_000_000;

/// The largest value a [`Duration`], [`Frequency`] or [`Purchases`] accepts.
pub const MAX_FACTOR: f64 = 1e9;

/// Rounds a finite `value` in `0..=max` to billionths, or reports it as out of
/// range with `what` and `expected`.
fn to_billionths(value: f64, max: f64, what: &'static str, expected: &str) -> Result<u64> {
    if !value.is_finite() || value < 0.0 || value > max {
        return Err(Error::OutOfRange {
            what,
            value: value.to_string(),
            expected: expected.to_owned(),
        });
    }
    // `0 <= value <= 1e9`, so `value * 1e9 <= 1e18 < u64::MAX`: the cast is
    // exact after rounding and cannot saturate.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let billionths = (value * 1e9).round() as u64;
    Ok(billionths)
}

/// Billionths back to a float (the nearest `f64` to the decimal).
#[allow(clippy::cast_precision_loss)]
fn from_billionths(billionths: u64) -> f64 {
    billionths as f64 / 1e9
}

/// A fraction in `0..=1`: a profit margin, a churn rate, a retention rate.
///
/// Built from a float with [`Rate::new`] (or [`Rate::from_percent`]), which
/// rejects NaN, infinities and values outside `0..=1`, and keeps 9 decimals
/// (`0.3` is stored as exactly 3/10). Serialized as a bare number (`0.3`);
/// deserializing validates like [`Rate::new`].
///
/// # Example
///
/// ```
/// use rfmkit::ltv::Rate;
/// use rfmkit::Error;
///
/// let margin = Rate::new(0.30)?;
/// assert_eq!(margin, Rate::from_percent(30.0)?);
/// assert_eq!(margin.value(), 0.3);
/// assert_eq!(margin.to_string(), "0.3");
/// assert!(matches!(Rate::new(1.2), Err(Error::OutOfRange { what: "rate", .. })));
/// assert!(Rate::new(f64::NAN).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Rate(u64);

impl Rate {
    /// 0.
    pub const ZERO: Rate = Rate(0);
    /// 1 (100%).
    pub const ONE: Rate = Rate(SCALE);

    /// A rate from a fraction such as `0.3` for 30%, rounded to 9 decimals.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] (what `rate`) if `value` is NaN, infinite,
    /// negative or above 1.
    pub fn new(value: f64) -> Result<Rate> {
        to_billionths(
            value,
            1.0,
            "rate",
            "a fraction in 0..=1, such as 0.3 for 30%",
        )
        .map(Rate)
    }

    /// A rate from a percentage such as `30.0` for 0.3.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] (what `rate`) if `percent` is NaN, infinite,
    /// negative or above 100.
    pub fn from_percent(percent: f64) -> Result<Rate> {
        to_billionths(percent, 100.0, "rate", "a percentage in 0..=100")
            // Billionths of a percent to billionths, rounded half up.
            .map(|b| Rate((b + 50) / 100))
    }

    /// The rate as a float in `0.0..=1.0`.
    #[must_use]
    pub fn value(self) -> f64 {
        from_billionths(self.0)
    }

    /// Whether the rate is 0.
    #[must_use]
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn billionths(self) -> u64 {
        self.0
    }
}

impl TryFrom<f64> for Rate {
    type Error = Error;
    fn try_from(value: f64) -> Result<Rate> {
        Rate::new(value)
    }
}

impl From<Rate> for f64 {
    fn from(rate: Rate) -> f64 {
        rate.value()
    }
}

impl fmt::Display for Rate {
    /// Writes the fraction, e.g. `0.3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value(), f)
    }
}

/// A unit of time for [`Duration`] and [`Frequency`].
///
/// Units convert at fixed ratios: 1 week = 7 days, 1 year = 12 months =
/// 365.2425 days (the mean Gregorian year), so 1 month = 30.436875 days.
/// Calendar arithmetic (cohort months) does not use these ratios: it counts
/// calendar months between dates.
///
/// Serialized in snake_case, singular: `"day"`, `"week"`, `"month"`, `"year"`.
///
/// # Example
///
/// ```
/// use rfmkit::ltv::TimeUnit;
/// assert_eq!(TimeUnit::Year.days(), 365.2425);
/// assert_eq!(TimeUnit::Month.to_string(), "month");
/// ```
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimeUnit {
    /// One calendar day.
    Day,
    /// 7 days.
    Week,
    /// A twelfth of a year: 30.436875 days.
    Month,
    /// 365.2425 days (the default).
    #[default]
    Year,
}

impl TimeUnit {
    /// The unit's length in millionths of a day (exact integers).
    const fn micro_days(self) -> i128 {
        match self {
            TimeUnit::Day => 1_000_000,
            TimeUnit::Week => 7_000_000,
            TimeUnit::Month => 30_436_875,
            TimeUnit::Year => 365_242_500,
        }
    }

    /// The unit's length in days.
    #[must_use]
    pub const fn days(self) -> f64 {
        match self {
            TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
            TimeUnit::Month => 30.436_875,
            TimeUnit::Year => 365.2425,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
            TimeUnit::Year => "year",
        }
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A non-negative length of time with its unit, the "duration" of the LTV
/// formulas: a customer lifespan, a retention period.
///
/// Unlike the audience stage's calendar offsets
/// ([`audience::Period`](crate::audience::Period): `-3m` is a calendar
/// month back from a date), a `Duration` is an average length: a month is a
/// twelfth of 365.2425 days.
///
/// The length keeps 9 decimals, so `Duration::years(2.5)` is exact. Durations in
/// different units convert at the ratios of [`TimeUnit`] ([`Duration::to_days`],
/// [`Duration::to_years`]).
/// Serialized as `{"value": 4.0, "unit": "year"}`; deserializing validates
/// like [`Duration::new`].
///
/// # Example
///
/// ```
/// use rfmkit::ltv::{Duration, TimeUnit};
/// use rfmkit::Error;
///
/// let lifespan = Duration::years(3.0)?;
/// assert_eq!((lifespan.value(), lifespan.unit()), (3.0, TimeUnit::Year));
/// assert_eq!(Duration::months(18.0)?.to_years(), 1.5);
/// assert_eq!(Duration::weeks(2.0)?.to_days(), 14.0);
/// assert_eq!(lifespan.to_string(), "3 years");
/// assert!(matches!(Duration::days(-1.0), Err(Error::OutOfRange { what: "duration", .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "RawDuration", try_from = "RawDuration")]
pub struct Duration {
    billionths: u64,
    unit: TimeUnit,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawDuration {
    value: f64,
    unit: TimeUnit,
}

impl Duration {
    /// A duration of `value` units, rounded to 9 decimals.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] (what `duration`) if `value` is NaN, infinite,
    /// negative or above [`MAX_FACTOR`].
    pub fn new(value: f64, unit: TimeUnit) -> Result<Duration> {
        let billionths = to_billionths(
            value,
            MAX_FACTOR,
            "duration",
            "a length of time >= 0 (and at most 1e9 units)",
        )?;
        Ok(Duration { billionths, unit })
    }

    /// `value` days. See [`Duration::new`] for the errors.
    ///
    /// # Errors
    ///
    /// As [`Duration::new`].
    pub fn days(value: f64) -> Result<Duration> {
        Duration::new(value, TimeUnit::Day)
    }

    /// `value` weeks.
    ///
    /// # Errors
    ///
    /// As [`Duration::new`].
    pub fn weeks(value: f64) -> Result<Duration> {
        Duration::new(value, TimeUnit::Week)
    }

    /// `value` months (twelfths of a year).
    ///
    /// # Errors
    ///
    /// As [`Duration::new`].
    pub fn months(value: f64) -> Result<Duration> {
        Duration::new(value, TimeUnit::Month)
    }

    /// `value` years of 365.2425 days.
    ///
    /// # Errors
    ///
    /// As [`Duration::new`].
    pub fn years(value: f64) -> Result<Duration> {
        Duration::new(value, TimeUnit::Year)
    }

    /// The length in its own unit.
    #[must_use]
    pub fn value(self) -> f64 {
        from_billionths(self.billionths)
    }

    /// The unit.
    #[must_use]
    pub fn unit(self) -> TimeUnit {
        self.unit
    }

    /// The length in days.
    #[must_use]
    pub fn to_days(self) -> f64 {
        self.in_unit(TimeUnit::Day).to_f64()
    }

    /// The length in years of 365.2425 days.
    #[must_use]
    pub fn to_years(self) -> f64 {
        self.in_unit(TimeUnit::Year).to_f64()
    }

    /// The length in `unit`s, exactly.
    pub(crate) fn in_unit(self, unit: TimeUnit) -> Exact {
        Exact::integer(i128::from(self.billionths)).scale(
            self.unit.micro_days(),
            unit.micro_days() * i128::from(SCALE),
        )
    }
}

impl From<Duration> for RawDuration {
    fn from(p: Duration) -> RawDuration {
        RawDuration {
            value: p.value(),
            unit: p.unit,
        }
    }
}

impl TryFrom<RawDuration> for Duration {
    type Error = Error;
    fn try_from(raw: RawDuration) -> Result<Duration> {
        Duration::new(raw.value, raw.unit)
    }
}

impl fmt::Display for Duration {
    /// Writes `3 years`, `1 month`, `2.5 days`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.billionths == SCALE { "" } else { "s" };
        write!(f, "{} {}{plural}", self.value(), self.unit)
    }
}

/// A purchase frequency: purchases per unit of time, `>= 0`.
///
/// `Frequency::per_year(0.5)` is one purchase every two years. Keeps 9
/// decimals. Serialized as `{"value": 0.5, "per": "year"}`; deserializing
/// validates like [`Frequency::new`].
///
/// # Example
///
/// ```
/// use rfmkit::ltv::{Frequency, TimeUnit};
///
/// let f = Frequency::per_year(0.5)?;
/// assert_eq!((f.value(), f.per()), (0.5, TimeUnit::Year));
/// assert_eq!(f.to_string(), "0.5 per year");
/// assert!(Frequency::per_month(f64::INFINITY).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "RawFrequency", try_from = "RawFrequency")]
pub struct Frequency {
    billionths: u64,
    per: TimeUnit,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawFrequency {
    value: f64,
    per: TimeUnit,
}

impl Frequency {
    /// `value` purchases per `per`, rounded to 9 decimals.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] (what `frequency`) if `value` is NaN, infinite,
    /// negative or above [`MAX_FACTOR`].
    pub fn new(value: f64, per: TimeUnit) -> Result<Frequency> {
        let billionths = to_billionths(
            value,
            MAX_FACTOR,
            "frequency",
            "a number of purchases per unit of time >= 0 (and at most 1e9)",
        )?;
        Ok(Frequency { billionths, per })
    }

    /// `value` purchases per year.
    ///
    /// # Errors
    ///
    /// As [`Frequency::new`].
    pub fn per_year(value: f64) -> Result<Frequency> {
        Frequency::new(value, TimeUnit::Year)
    }

    /// `value` purchases per month.
    ///
    /// # Errors
    ///
    /// As [`Frequency::new`].
    pub fn per_month(value: f64) -> Result<Frequency> {
        Frequency::new(value, TimeUnit::Month)
    }

    /// `value` purchases per week.
    ///
    /// # Errors
    ///
    /// As [`Frequency::new`].
    pub fn per_week(value: f64) -> Result<Frequency> {
        Frequency::new(value, TimeUnit::Week)
    }

    /// `value` purchases per day.
    ///
    /// # Errors
    ///
    /// As [`Frequency::new`].
    pub fn per_day(value: f64) -> Result<Frequency> {
        Frequency::new(value, TimeUnit::Day)
    }

    /// The number of purchases per [`per`](Self::per).
    #[must_use]
    pub fn value(self) -> f64 {
        from_billionths(self.billionths)
    }

    /// The unit of time the count is per.
    #[must_use]
    pub fn per(self) -> TimeUnit {
        self.per
    }

    /// The expected number of purchases over `period`, exactly.
    pub(crate) fn over(self, period: Duration) -> Exact {
        period
            .in_unit(self.per)
            .scale(i128::from(self.billionths), i128::from(SCALE))
    }
}

impl From<Frequency> for RawFrequency {
    fn from(f: Frequency) -> RawFrequency {
        RawFrequency {
            value: f.value(),
            per: f.per,
        }
    }
}

impl TryFrom<RawFrequency> for Frequency {
    type Error = Error;
    fn try_from(raw: RawFrequency) -> Result<Frequency> {
        Frequency::new(raw.value, raw.per)
    }
}

impl fmt::Display for Frequency {
    /// Writes `0.5 per year`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} per {}", self.value(), self.per)
    }
}

/// A number of purchases, `>= 0`, possibly fractional (an average such as
/// 2.4 purchases per customer).
///
/// Keeps 9 decimals. Serialized as a bare number; deserializing validates
/// like [`Purchases::new`].
///
/// # Example
///
/// ```
/// use rfmkit::ltv::Purchases;
///
/// assert_eq!(Purchases::new(2.4)?.value(), 2.4);
/// assert!(Purchases::new(-1.0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Purchases(u64);

impl Purchases {
    /// `value` purchases, rounded to 9 decimals.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] (what `purchases`) if `value` is NaN, infinite,
    /// negative or above [`MAX_FACTOR`].
    pub fn new(value: f64) -> Result<Purchases> {
        to_billionths(
            value,
            MAX_FACTOR,
            "purchases",
            "a number of purchases >= 0 (and at most 1e9)",
        )
        .map(Purchases)
    }

    /// The count as a float.
    #[must_use]
    pub fn value(self) -> f64 {
        from_billionths(self.0)
    }

    pub(crate) fn billionths(self) -> u64 {
        self.0
    }
}

impl TryFrom<f64> for Purchases {
    type Error = Error;
    fn try_from(value: f64) -> Result<Purchases> {
        Purchases::new(value)
    }
}

impl From<Purchases> for f64 {
    fn from(p: Purchases) -> f64 {
        p.value()
    }
}

impl fmt::Display for Purchases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value(), f)
    }
}

/// An exact rational `num / den` (`den > 0`), or `None` after an overflow.
///
/// Products are reduced by their greatest common divisor at each step, so
/// the 128-bit range is reached only by results far beyond `i64` money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exact(Option<(i128, i128)>);

impl Exact {
    pub(crate) fn integer(value: i128) -> Exact {
        Exact(Some((value, 1)))
    }

    pub(crate) fn money(value: Money) -> Exact {
        Exact::integer(i128::from(value.minor_units()))
    }

    /// `self × num / den`, for `den > 0` (otherwise the result is `None`).
    pub(crate) fn scale(self, num: i128, den: i128) -> Exact {
        Exact(self.0.and_then(|(a, b)| {
            if den <= 0 {
                return None;
            }
            let g1 = gcd(a, den);
            let g2 = gcd(num, b);
            let n = (a / g1).checked_mul(num / g2)?;
            let d = (b / g2).checked_mul(den / g1)?;
            let g = gcd(n, d);
            Some((n / g, d / g))
        }))
    }

    /// `self × other`.
    pub(crate) fn times(self, other: Exact) -> Exact {
        match other.0 {
            Some((n, d)) => self.scale(n, d),
            None => Exact(None),
        }
    }

    /// The value as the nearest float (NaN after an overflow; callers only
    /// convert values built from validated, bounded inputs).
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn to_f64(self) -> f64 {
        self.0.map_or(f64::NAN, |(n, d)| n as f64 / d as f64)
    }

    /// Rounded to the nearest integer, halves away from zero; then to
    /// [`Money`] if it fits.
    pub(crate) fn to_money(self) -> Option<Money> {
        let (n, d) = self.0?;
        i64::try_from(div_round(n, d)?).ok().map(Money::new)
    }
}

/// Greatest common divisor, `>= 1` (so it can always divide).
fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    // gcd(i128::MIN, 0) = 2^127 does not fit: fall back to 1 (no reduction).
    i128::try_from(a).ok().filter(|&g| g > 0).unwrap_or(1)
}

/// `n / d` rounded to the nearest integer, halves away from zero; `None`
/// for `d <= 0` or on overflow.
pub(crate) fn div_round(n: i128, d: i128) -> Option<i128> {
    if d <= 0 {
        return None;
    }
    let q = n / d;
    let r = n % d;
    // |r| < d, so 2|r| fits unless d is near i128::MAX: compare r to d - r.
    let half_up = r.unsigned_abs() >= (d - r.abs()).unsigned_abs();
    if half_up {
        if n < 0 {
            q.checked_sub(1)
        } else {
            q.checked_add(1)
        }
    } else {
        Some(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn div_round_halves_away_from_zero() {
        assert_eq!(div_round(5, 2), Some(3));
        assert_eq!(div_round(-5, 2), Some(-3));
        assert_eq!(div_round(4, 3), Some(1));
        assert_eq!(div_round(-4, 3), Some(-1));
        assert_eq!(div_round(5, 3), Some(2));
        assert_eq!(div_round(0, 7), Some(0));
        assert_eq!(div_round(1, 0), None);
        assert_eq!(div_round(i128::MAX, i128::MAX), Some(1));
    }

    #[test]
    fn exact_products_reduce_and_detect_overflow() {
        let x = Exact::integer(1_000_000).scale(3, 10).scale(4, 1);
        assert_eq!(x.to_money(), Some(Money::new(1_200_000)));
        let big = Exact::integer(i128::MAX).scale(3, 1);
        assert_eq!(big.to_money(), None);
        assert_eq!(Exact::integer(1).scale(1, 0).to_money(), None);
    }

    #[test]
    fn unit_conversions_are_exact() {
        let p = Duration::months(18.0).unwrap();
        assert_eq!(p.in_unit(TimeUnit::Year), Exact::integer(3).scale(1, 2));
        let f = Frequency::per_month(2.0).unwrap();
        assert_eq!(f.over(Duration::years(1.0).unwrap()), Exact::integer(24));
        assert_eq!(f.over(Duration::days(0.0).unwrap()), Exact::integer(0));
    }

    #[test]
    fn percentages_round_to_billionths() {
        assert_eq!(Rate::from_percent(30.0).unwrap(), Rate(300_000_000));
        // 33.33333335% = 0.3333333335 -> 0.333333334 (half up)
        assert_eq!(
            Rate::from_percent(33.333_333_35).unwrap(),
            Rate(333_333_334)
        );
        assert_eq!(Rate::from_percent(100.0).unwrap(), Rate::ONE);
    }

    #[test]
    fn rates_round_trip_through_f64() {
        for b in [0, 1, 3, 300_000_000, 999_999_999, SCALE] {
            let r = Rate(b);
            assert_eq!(Rate::new(r.value()).unwrap(), r);
        }
    }
}
