//! [`Order`]: the input record of the pipeline.
//!
//! An order is one purchase (or return, or cancellation) of one customer on
//! one day of the shop's calendar, for an amount in integer minor units.
//!
//! # Status policy
//!
//! Every order has an [`OrderStatus`], so that cancellations and returns are
//! handled on purpose rather than by accident:
//!
//! | status | amount | counts as a purchase (frequency, first/last order, purchase days) | adds to monetary |
//! |---|---|---|---|
//! | [`Completed`](OrderStatus::Completed) | `>= 0` | yes | yes |
//! | [`Returned`](OrderStatus::Returned) | `<= 0` (the refund) | no | yes (reduces it) |
//! | [`Cancelled`](OrderStatus::Cancelled) | any | no | no |
//!
//! A partial refund is a `Returned` order for the refunded part; a fully
//! refunded order is its `Completed` order plus a `Returned` one for the
//! whole amount (the customer still bought, then gave it back: frequency
//! keeps the purchase, monetary nets to zero). A cancelled order never
//! happened for every metric, but its id still counts for duplicate
//! detection. An amount with the wrong sign for its status is an
//! [`Error::InvalidAmount`] when summarized.
//!
//! # Dates
//!
//! Order dates are [`NaiveDate`]s in the shop's own calendar: "bought on
//! 1 March" means 1 March where the shop is. A back end that stores UTC
//! timestamps converts each once with [`shop_date`], using the shop's UTC
//! offset.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{Channel, CustomerId, OrderId, StoreId};
use crate::money::Money;

/// What happened to an order; see the [module docs](self) for the policy.
///
/// # Example
///
/// ```
/// use rfmkit::order::OrderStatus;
///
/// assert_eq!(OrderStatus::default(), OrderStatus::Completed);
/// assert!(OrderStatus::Completed.is_purchase());
/// assert!(!OrderStatus::Returned.is_purchase());
/// assert_eq!(OrderStatus::Cancelled.to_string(), "cancelled");
/// ```
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrderStatus {
    /// A purchase: counts in frequency and recency, adds its amount (`>= 0`).
    #[default]
    Completed,
    /// A return or refund: its amount (`<= 0`) nets against monetary; it is
    /// not a purchase.
    Returned,
    /// A cancelled order: counts nowhere.
    Cancelled,
}

impl OrderStatus {
    /// Whether an order with this status is a purchase (counts in frequency
    /// and in the first and last order dates).
    #[must_use]
    pub const fn is_purchase(self) -> bool {
        matches!(self, OrderStatus::Completed)
    }

    /// Whether an order with this status adds its amount to monetary.
    #[must_use]
    pub const fn counts_amount(self) -> bool {
        matches!(self, OrderStatus::Completed | OrderStatus::Returned)
    }

    /// Whether `amount` has an allowed sign for this status.
    #[must_use]
    pub const fn allows_amount(self, amount: Money) -> bool {
        match self {
            OrderStatus::Completed => !amount.is_negative(),
            OrderStatus::Returned => !amount.is_positive(),
            OrderStatus::Cancelled => true,
        }
    }

    /// The sign rule, for error messages.
    pub(crate) const fn amount_rule(self) -> &'static str {
        match self {
            OrderStatus::Completed => "a completed order's amount must be >= 0",
            OrderStatus::Returned => "a returned order's amount is the refund and must be <= 0",
            OrderStatus::Cancelled => "a cancelled order's amount is ignored",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            OrderStatus::Completed => "completed",
            OrderStatus::Returned => "returned",
            OrderStatus::Cancelled => "cancelled",
        })
    }
}

/// One order: who, when (shop calendar date), how much, and what happened
/// to it.
///
/// Build with [`Order::new`] (a completed purchase) and the `with_*`
/// methods for the optional parts. Orders are not validated when built:
/// validation happens where the order is used in context (its position in
/// the input, the as-of date, the other orders' ids), so that errors can say
/// where the bad record is.
///
/// Serialized with snake_case keys; `status` defaults to `completed` and the
/// optional parts may be omitted:
///
/// ```json
/// {"id":"A-1","customer":"alice","date":"2025-01-05","amount":1200,"status":"completed"}
/// ```
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::order::OrderStatus;
/// use rfmkit::{Money, Order};
///
/// let day = NaiveDate::from_ymd_opt(2025, 1, 5).ok_or("bad date")?;
/// let order = Order::new("A-1", "alice", day, Money::new(1200))
///     .with_channel("web")
///     .with_store("tokyo")
///     .with_cost(Money::new(700));
/// assert_eq!(order.customer().as_str(), "alice");
/// assert_eq!(order.status(), OrderStatus::Completed);
///
/// let refund = Order::new("A-1-R", "alice", day, Money::new(-1200)).with_status(OrderStatus::Returned);
/// assert!(!refund.status().is_purchase());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Order {
    id: OrderId,
    customer: CustomerId,
    date: NaiveDate,
    amount: Money,
    #[serde(default)]
    status: OrderStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cost: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    store: Option<StoreId>,
}

impl Order {
    /// A completed order with no cost, channel or store.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::{Money, Order};
    ///
    /// let day = NaiveDate::from_ymd_opt(2025, 1, 5).ok_or("bad date")?;
    /// let order = Order::new("A-1", "alice", day, Money::new(1200));
    /// assert_eq!(order.amount(), Money::new(1200));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(
        id: impl Into<OrderId>,
        customer: impl Into<CustomerId>,
        date: NaiveDate,
        amount: Money,
    ) -> Order {
        Order {
            id: id.into(),
            customer: customer.into(),
            date,
            amount,
            status: OrderStatus::Completed,
            cost: None,
            channel: None,
            store: None,
        }
    }

    /// Sets the status (default [`OrderStatus::Completed`]).
    #[must_use]
    pub fn with_status(mut self, status: OrderStatus) -> Order {
        self.status = status;
        self
    }

    /// Sets the cost of goods sold, for gross margin (default: none).
    ///
    /// For a return, give the cost of the goods coming back as a negative
    /// amount, so that the margin nets out like the revenue.
    #[must_use]
    pub fn with_cost(mut self, cost: Money) -> Order {
        self.cost = Some(cost);
        self
    }

    /// Sets the sales channel (default: none).
    #[must_use]
    pub fn with_channel(mut self, channel: impl Into<Channel>) -> Order {
        self.channel = Some(channel.into());
        self
    }

    /// Sets the store (default: none).
    #[must_use]
    pub fn with_store(mut self, store: impl Into<StoreId>) -> Order {
        self.store = Some(store.into());
        self
    }

    /// The order's id.
    #[must_use]
    pub fn id(&self) -> &OrderId {
        &self.id
    }

    /// The customer who placed the order.
    #[must_use]
    pub fn customer(&self) -> &CustomerId {
        &self.customer
    }

    /// The order date in the shop's calendar.
    #[must_use]
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// The amount: `>= 0` for a purchase, `<= 0` for a return.
    #[must_use]
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// The status.
    #[must_use]
    pub fn status(&self) -> OrderStatus {
        self.status
    }

    /// The cost of goods sold, if known.
    #[must_use]
    pub fn cost(&self) -> Option<Money> {
        self.cost
    }

    /// The sales channel, if known.
    #[must_use]
    pub fn channel(&self) -> Option<&Channel> {
        self.channel.as_ref()
    }

    /// The store, if known.
    #[must_use]
    pub fn store(&self) -> Option<&StoreId> {
        self.store.as_ref()
    }
}

/// The shop-calendar date of a UTC timestamp, for a shop at UTC offset
/// `offset_seconds` east of UTC (Japan: `9 * 3600`; New York in winter:
/// `-5 * 3600`).
///
/// An order placed at 2025-01-01 20:00 UTC was placed on 2 January in Tokyo.
///
/// # Errors
///
/// [`Error::OutOfRange`] if the offset is not strictly within ±24 hours, or
/// the timestamp is outside chrono's supported range (about ±262,000 years).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::order::shop_date;
///
/// // 2025-01-01T20:00:00Z as Unix seconds
/// let ts = 1_735_761_600;
/// assert_eq!(shop_date(ts, 9 * 3600)?, NaiveDate::from_ymd_opt(2025, 1, 2).ok_or("bad")?);
/// assert_eq!(shop_date(ts, -5 * 3600)?, NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("bad")?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn shop_date(unix_seconds: i64, offset_seconds: i32) -> Result<NaiveDate> {
    let offset = FixedOffset::east_opt(offset_seconds).ok_or_else(|| Error::OutOfRange {
        what: "utc offset",
        value: format!("{offset_seconds} s"),
        expected: "an offset strictly between -86400 and 86400 seconds".into(),
    })?;
    let utc: DateTime<Utc> =
        DateTime::from_timestamp(unix_seconds, 0).ok_or_else(|| Error::OutOfRange {
            what: "timestamp",
            value: format!("{unix_seconds} s"),
            expected: "a Unix timestamp within chrono's supported dates".into(),
        })?;
    Ok(offset.from_utc_datetime(&utc.naive_utc()).date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_rules() {
        assert!(OrderStatus::Completed.allows_amount(Money::ZERO));
        assert!(!OrderStatus::Completed.allows_amount(Money::new(-1)));
        assert!(OrderStatus::Returned.allows_amount(Money::new(-1)));
        assert!(!OrderStatus::Returned.allows_amount(Money::new(1)));
        assert!(OrderStatus::Cancelled.allows_amount(Money::new(-1)));
    }

    #[test]
    fn shop_date_rejects_bad_offsets_and_timestamps() {
        assert!(matches!(
            shop_date(0, 86_400),
            Err(Error::OutOfRange {
                what: "utc offset",
                ..
            })
        ));
        assert!(matches!(
            shop_date(i64::MAX, 0),
            Err(Error::OutOfRange {
                what: "timestamp",
                ..
            })
        ));
    }

    #[test]
    fn serde_defaults_status_and_omits_missing_parts() {
        let json = r#"{"id":"A-1","customer":"c","date":"2025-01-05","amount":5}"#;
        let order: Order = serde_json::from_str(json)
            .map_err(|e| e.to_string())
            .unwrap();
        assert_eq!(order.status(), OrderStatus::Completed);
        let out = serde_json::to_string(&order).unwrap();
        assert_eq!(
            out,
            r#"{"id":"A-1","customer":"c","date":"2025-01-05","amount":5,"status":"completed"}"#
        );
    }
}
