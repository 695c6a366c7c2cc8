//! [`ExpectedFrequency`]: a customer's recent purchases against what a
//! fitted model expected of them.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::summary::CustomerSummary;

use super::btyd::Btyd;
use crate::ltv::TimeUnit;

use super::model::{TransactionFit, TransactionModel};

/// A customer's purchase days in a recent window against the number a
/// fitted transaction model expected from their history before it: the
/// model-based variant of [`FrequencyDrop`](crate::summary::FrequencyDrop).
///
/// With `A` the summary's as-of date and `W` the window: the history is
/// the distinct purchase days on or before `C = A − W`, giving `x` (days
/// − 1), `t_x` (last − first) and `T` (`C` − first) in the fit's unit;
/// `expected_purchases` is the model's `E[Y(W) | x, t_x, T]`;
/// `recent_purchases` counts the distinct purchase days in `(C, A]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExpectedFrequency {
    /// Distinct purchase days in the recent window.
    pub recent_purchases: u64,
    /// The model's expected purchases in the window.
    pub expected_purchases: f64,
    /// `recent_purchases / expected_purchases`; `None` when the model
    /// expects nothing.
    pub ratio: Option<f64>,
}

impl TransactionFit {
    /// [`TransactionModel::expected_frequency`] in the fit's unit.
    ///
    /// # Errors
    ///
    /// As [`TransactionModel::expected_frequency`].
    pub fn expected_frequency(
        &self,
        summary: &CustomerSummary,
        window_days: u32,
    ) -> Result<Option<ExpectedFrequency>> {
        self.model
            .expected_frequency(summary, window_days, self.unit)
    }
}

impl TransactionModel {
    /// The customer's recent purchases against the model's expectation
    /// (see [`ExpectedFrequency`]), with the model's parameters in `unit`;
    /// `None` for a customer with no purchase before the window (nothing
    /// to expect from).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] for a window of 0 days or one reaching before
    /// the calendar's start; the model's errors
    /// ([`TransactionModel::expected_purchases`]).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::clv::{BgNbd, Btyd, TransactionModel};
    /// use rfmkit::ltv::TimeUnit;
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// // The published CDNOW BG/NBD parameters, in weeks.
    /// let model = TransactionModel::BgNbd(BgNbd::new(0.2426, 4.4136, 0.7929, 2.4259)?);
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let orders: Vec<Order> = [d(1, 1)?, d(1, 15)?, d(2, 1)?]
    ///     .into_iter()
    ///     .enumerate()
    ///     .map(|(i, day)| Order::new(format!("O-{i}"), "c", day, Money::new(1_000)))
    ///     .collect();
    /// let summary = Summaries::from_orders(&orders, d(6, 30)?)?.get("c").ok_or("missing")?;
    /// let check = model.expected_frequency(&summary, 30, TimeUnit::Week)?.ok_or("no history")?;
    /// // Before 31 May: x = 2, t_x = 31 days, T = 150 days; nothing since.
    /// let expected = model.expected_purchases(Btyd::new(2, 31.0 / 7.0, 150.0 / 7.0)?, 30.0 / 7.0)?;
    /// assert_eq!((check.recent_purchases, check.expected_purchases), (0, expected));
    /// assert_eq!(check.ratio, Some(0.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_frequency(
        &self,
        summary: &CustomerSummary,
        window_days: u32,
        unit: TimeUnit,
    ) -> Result<Option<ExpectedFrequency>> {
        let bad_window = || Error::OutOfRange {
            what: "window",
            value: format!("{window_days} days"),
            expected: "at least 1 day, after the calendar's start".to_owned(),
        };
        if window_days == 0 {
            return Err(bad_window());
        }
        let cutoff = summary
            .as_of()
            .checked_sub_days(Days::new(u64::from(window_days)))
            .ok_or_else(bad_window)?;
        let dates = summary.purchase_dates();
        let before = dates.partition_point(|&d| d <= cutoff);
        let (Some(&first), Some(&last)) = (
            dates.first(),
            before.checked_sub(1).and_then(|i| dates.get(i)),
        ) else {
            return Ok(None);
        };
        let unit = unit.days();
        let span = |a: NaiveDate, b: NaiveDate| {
            #[allow(clippy::cast_precision_loss)]
            let days = (b - a).num_days() as f64;
            days / unit
        };
        let x = u32::try_from(before - 1).unwrap_or(u32::MAX);
        let btyd = Btyd::new(x, span(first, last), span(first, cutoff))?;
        let expected = self.expected_purchases(btyd, f64::from(window_days) / unit)?;
        let recent = u64::try_from(dates.len() - before).unwrap_or(u64::MAX);
        #[allow(clippy::cast_precision_loss)]
        let ratio = (expected > 0.0).then(|| recent as f64 / expected);
        Ok(Some(ExpectedFrequency {
            recent_purchases: recent,
            expected_purchases: expected,
            ratio,
        }))
    }
}
