//! Amounts of money in integer minor units.
//!
//! [`Money`] is an `i64` count of the currency's minor unit: yen have none
//! (1 yen is `Money::new(1)`), dollars and euros have two (12.34 USD is
//! `Money::new(1234)`). Money is never a float, so sums are exact; it becomes a
//! float only inside ratios (shares, means), which are returned as `f64`.
//!
//! rfmkit does not track currencies: one set of orders is in one currency,
//! and the number of decimals (the *scale*) is given where text is parsed or
//! printed ([`Money::parse_decimal`], [`Money::display_decimal`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The largest scale [`Money::parse_decimal`] and [`Money::display_decimal`]
/// accept (10^18 is the largest power of ten in an `i64`).
pub const MAX_SCALE: u32 = 18;

/// An amount of money in integer minor units of one currency.
///
/// Arithmetic is checked: [`Money::checked_add`] and [`Money::checked_sub`]
/// return `None` on overflow, and the aggregation stages turn that into
/// [`Error::Overflow`] naming the customer. There is deliberately no `Add`
/// impl, so no sum over user data can panic or wrap.
///
/// Serialized as a bare integer of minor units (`1234`), which is stable and
/// exact in JSON.
///
/// # Example
///
/// ```
/// use rfmkit::Money;
///
/// let price = Money::parse_decimal("29.33", 2)?;
/// assert_eq!(price, Money::new(2933));
/// let total = price.checked_add(Money::new(67)).ok_or("overflow")?;
/// assert_eq!(total.display_decimal(2).to_string(), "30.00");
/// assert_eq!(Money::new(1500).to_string(), "1500");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// Money from a count of minor units (cents, or yen).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::Money;
    /// assert_eq!(Money::new(-250).minor_units(), -250);
    /// ```
    #[must_use]
    pub const fn new(minor_units: i64) -> Money {
        Money(minor_units)
    }

    /// The amount in minor units.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::Money;
    /// assert_eq!(Money::new(1234).minor_units(), 1234);
    /// ```
    #[must_use]
    pub const fn minor_units(self) -> i64 {
        self.0
    }

    /// `self + other`, or `None` on overflow.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::Money;
    /// assert_eq!(Money::new(5).checked_add(Money::new(7)), Some(Money::new(12)));
    /// assert_eq!(Money::new(i64::MAX).checked_add(Money::new(1)), None);
    /// ```
    #[must_use]
    pub const fn checked_add(self, other: Money) -> Option<Money> {
        match self.0.checked_add(other.0) {
            Some(v) => Some(Money(v)),
            None => None,
        }
    }

    /// `self - other`, or `None` on overflow.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::Money;
    /// assert_eq!(Money::new(5).checked_sub(Money::new(7)), Some(Money::new(-2)));
    /// assert_eq!(Money::new(i64::MIN).checked_sub(Money::new(1)), None);
    /// ```
    #[must_use]
    pub const fn checked_sub(self, other: Money) -> Option<Money> {
        match self.0.checked_sub(other.0) {
            Some(v) => Some(Money(v)),
            None => None,
        }
    }

    /// Whether the amount is below zero.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::Money;
    /// assert!(Money::new(-1).is_negative());
    /// assert!(!Money::ZERO.is_negative());
    /// ```
    #[must_use]
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Whether the amount is above zero.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::Money;
    /// assert!(Money::new(1).is_positive());
    /// assert!(!Money::ZERO.is_positive());
    /// ```
    #[must_use]
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// The amount as a float of minor units, for ratios and means.
    ///
    /// Exact up to 2^53 minor units (90 trillion dollars).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::Money;
    /// assert_eq!(Money::new(1250).to_f64(), 1250.0);
    /// ```
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub const fn to_f64(self) -> f64 {
        self.0 as f64
    }

    /// Parses a decimal amount such as `29.33` into minor units, given the
    /// currency's `scale` (number of decimals: 0 for yen, 2 for dollars).
    ///
    /// Accepted: an optional `-` or `+`, ASCII digits, and optionally `.`
    /// followed by 1 to `scale` digits (`"12"`, `"12.3"`, `"-0.05"`).
    /// Nothing else: no spaces, thousands separators or exponents; trim the
    /// text first if your source pads it.
    ///
    /// # Errors
    ///
    /// [`Error::ParseMoney`] if the text is empty, has a character other than
    /// the above, has more decimals than `scale`, or overflows `i64` minor
    /// units; [`Error::OutOfRange`] if `scale` exceeds [`MAX_SCALE`].
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::{Error, Money};
    ///
    /// assert_eq!(Money::parse_decimal("-5.5", 2)?, Money::new(-550));
    /// assert_eq!(Money::parse_decimal("1200", 0)?, Money::new(1200));
    /// assert!(matches!(Money::parse_decimal("1.234", 2), Err(Error::ParseMoney { .. })));
    /// assert!(matches!(Money::parse_decimal("abc", 2), Err(Error::ParseMoney { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse_decimal(text: &str, scale: u32) -> Result<Money> {
        scale_factor(scale)?;
        let fail = |reason: &str| Error::ParseMoney {
            input: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        if text.is_empty() {
            return Err(fail("empty; expected a number such as 12.34"));
        }
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        if int_part.is_empty() {
            return Err(fail("expected a digit before the decimal point"));
        }
        let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !digits_ok(int_part) {
            return Err(fail("expected only digits, an optional sign and one '.'"));
        }
        if let Some(frac) = frac_part {
            if frac.is_empty() {
                return Err(fail("expected a digit after the decimal point"));
            }
            if !digits_ok(frac) {
                return Err(fail("expected only digits after the decimal point"));
            }
        }
        Money::from_decimal_parts(negative, int_part, frac_part, scale).map_err(|p| match p {
            DecimalProblem::Decimals => fail(&format!(
                "has {} decimals; this currency has at most {scale}",
                frac_part.map_or(0, str::len)
            )),
            DecimalProblem::Range => fail("too large for i64 minor units"),
        })
    }

    /// `±int.frac` in minor units of a currency with `scale` decimals, where
    /// `int` and `frac` are ASCII digits (checked by the caller). The one
    /// decimal-to-minor-units conversion of the crate: [`parse_decimal`]
    /// and the audience query parser both use it. Exact (`i128`
    /// arithmetic), so `-92233720368547758.08` at scale 2 is `i64::MIN`.
    ///
    /// [`parse_decimal`]: Money::parse_decimal
    pub(crate) fn from_decimal_parts(
        negative: bool,
        int: &str,
        frac: Option<&str>,
        scale: u32,
    ) -> std::result::Result<Money, DecimalProblem> {
        let frac = frac.unwrap_or("");
        let decimals = u32::try_from(frac.len()).map_err(|_| DecimalProblem::Decimals)?;
        if decimals > scale {
            return Err(DecimalProblem::Decimals);
        }
        let unit = 10_i128.checked_pow(scale).ok_or(DecimalProblem::Range)?;
        let int: i128 = int
            .parse::<u64>()
            .map_err(|_| DecimalProblem::Range)?
            .into();
        let frac_value: i128 = if frac.is_empty() {
            0
        } else {
            let pad = 10_i128
                .checked_pow(scale - decimals)
                .ok_or(DecimalProblem::Range)?;
            i128::from(frac.parse::<u64>().map_err(|_| DecimalProblem::Range)?)
                .checked_mul(pad)
                .ok_or(DecimalProblem::Range)?
        };
        let minor = int
            .checked_mul(unit)
            .and_then(|v| v.checked_add(frac_value))
            .ok_or(DecimalProblem::Range)?;
        let signed = if negative { -minor } else { minor };
        i64::try_from(signed)
            .map(Money)
            .map_err(|_| DecimalProblem::Range)
    }

    /// Displays the amount as a decimal with `scale` decimals, e.g. `29.33`.
    ///
    /// A `scale` above [`MAX_SCALE`] is treated as [`MAX_SCALE`].
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::Money;
    ///
    /// assert_eq!(Money::new(2933).display_decimal(2).to_string(), "29.33");
    /// assert_eq!(Money::new(-5).display_decimal(2).to_string(), "-0.05");
    /// assert_eq!(Money::new(1200).display_decimal(0).to_string(), "1200");
    /// ```
    #[must_use]
    pub const fn display_decimal(self, scale: u32) -> DisplayDecimal {
        DisplayDecimal {
            money: self,
            scale: if scale > MAX_SCALE { MAX_SCALE } else { scale },
        }
    }
}

/// `10^scale`, or an error if `scale` exceeds [`MAX_SCALE`].
/// Why [`Money::from_decimal_parts`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecimalProblem {
    /// More decimals than the scale.
    Decimals,
    /// Outside `i64` minor units.
    Range,
}

fn scale_factor(scale: u32) -> Result<i64> {
    if scale > MAX_SCALE {
        return Err(Error::OutOfRange {
            what: "scale",
            value: scale.to_string(),
            expected: format!("a currency scale is 0..={MAX_SCALE} decimals"),
        });
    }
    Ok(10_i64.pow(scale))
}

impl fmt::Display for Money {
    /// Writes the minor units as an integer (`1234`); use
    /// [`Money::display_decimal`] for `12.34`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<i64> for Money {
    fn from(minor_units: i64) -> Money {
        Money(minor_units)
    }
}

/// Displays [`Money`] as a decimal; made by [`Money::display_decimal`].
#[derive(Debug, Clone, Copy)]
pub struct DisplayDecimal {
    money: Money,
    scale: u32,
}

impl fmt::Display for DisplayDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = 10_u64.pow(self.scale);
        let abs = self.money.0.unsigned_abs();
        let sign = if self.money.0 < 0 { "-" } else { "" };
        let text = if self.scale == 0 {
            format!("{sign}{abs}")
        } else {
            let width = self.scale as usize;
            format!("{sign}{}.{:0width$}", abs / unit, abs % unit)
        };
        f.pad(&text)
    }
}

/// An exact sum as [`Money`], or [`Error::OutOfRange`] naming it (`what`)
/// if it leaves `i64` minor units: the one check every report total goes
/// through, so no total saturates silently.
pub(crate) fn total(sum: i128, what: &'static str) -> Result<Money> {
    i64::try_from(sum)
        .map(Money::new)
        .map_err(|_| Error::OutOfRange {
            what,
            value: sum.to_string(),
            expected: "a total within i64 minor units (about ±9.2e18)".to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_examples() {
        let ok = |s: &str, scale: u32| Money::parse_decimal(s, scale).map(Money::minor_units);
        assert_eq!(ok("29.33", 2), Ok(2933));
        assert_eq!(ok("29.3", 2), Ok(2930));
        assert_eq!(ok("29", 2), Ok(2900));
        assert_eq!(ok("+0.01", 2), Ok(1));
        assert_eq!(ok("-0.01", 2), Ok(-1));
        assert_eq!(ok("007", 0), Ok(7));
        assert_eq!(ok("92233720368547758.07", 2), Ok(i64::MAX));
        assert_eq!(ok("-92233720368547758.08", 2), Ok(i64::MIN));
        assert_eq!(ok("1", 18), Ok(1_000_000_000_000_000_000));
        assert_eq!(ok("00000000000000000000000012.5", 1), Ok(125));
    }

    #[test]
    fn parse_reasons() {
        let reason = |s: &str, scale: u32| match Money::parse_decimal(s, scale) {
            Err(Error::ParseMoney { reason, .. }) => reason,
            other => format!("{other:?}"),
        };
        assert_eq!(reason("", 2), "empty; expected a number such as 12.34");
        assert_eq!(
            reason("1.234", 2),
            "has 3 decimals; this currency has at most 2"
        );
        assert_eq!(reason("10", 18), "too large for i64 minor units");
        assert_eq!(reason("-", 2), "expected a digit before the decimal point");
        assert_eq!(reason("5.", 2), "expected a digit after the decimal point");
        assert_eq!(
            reason("1e3", 2),
            "expected only digits, an optional sign and one '.'"
        );
        assert_eq!(
            reason("1.x", 2),
            "expected only digits after the decimal point"
        );
    }

    #[test]
    fn parse_rejects_bad_text() {
        for bad in [
            "",
            "-",
            ".5",
            "5.",
            "1.2.3",
            "1,200",
            " 1",
            "1e3",
            "１",
            "1.234",
            "92233720368547758.08",
        ] {
            assert!(
                matches!(
                    Money::parse_decimal(bad, 2),
                    Err(Error::ParseMoney { ref input, .. }) if input == bad
                ),
                "{bad:?} should not parse"
            );
        }
        assert!(matches!(
            Money::parse_decimal("1", 19),
            Err(Error::OutOfRange { what: "scale", .. })
        ));
    }

    #[test]
    fn display_decimal_pads_and_signs() {
        assert_eq!(Money::new(5).display_decimal(2).to_string(), "0.05");
        assert_eq!(Money::new(-1234).display_decimal(2).to_string(), "-12.34");
        assert_eq!(Money::new(100).display_decimal(3).to_string(), "0.100");
        assert_eq!(
            Money::new(i64::MIN).display_decimal(2).to_string(),
            "-92233720368547758.08"
        );
        assert_eq!(
            format!("{:>8}", Money::new(150).display_decimal(2)),
            "    1.50"
        );
    }

    #[test]
    fn serde_is_a_bare_integer() {
        let json = serde_json::to_string(&Money::new(-42)).ok();
        assert_eq!(json.as_deref(), Some("-42"));
    }
}
