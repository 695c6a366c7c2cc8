//! The seeds' LTV formulas, one function each, computed exactly.
//!
//! Each function multiplies integers (money in minor units, factors in
//! billionths) in 128 bits and rounds once to the nearest minor unit, halves
//! away from zero. See the [module docs](super#formulas) for the table.

use crate::error::{Error, Result};
use crate::money::Money;

use super::units::{Duration, Exact, Frequency, Purchases, Rate, TimeUnit};

/// The error for a result beyond `i64` minor units.
fn too_large(what: &'static str) -> Error {
    Error::OutOfRange {
        what,
        value: "a result beyond i64 minor units".to_owned(),
        expected: "inputs whose result fits in i64 minor units (about ±9.2e18)".to_owned(),
    }
}

/// Rounds an exact result to money, or reports it as too large.
fn finish(value: Exact) -> Result<Money> {
    value.to_money().ok_or_else(|| too_large("ltv"))
}

/// LTV = annual revenue × profit margin × retention years (seed 000).
///
/// `retention` may be in any unit; it is converted to years at 365.2425
/// days (12 months) per year.
///
/// # Errors
///
/// [`Error::OutOfRange`] (what `ltv`) if the result does not fit in `i64`
/// minor units.
///
/// # Example
///
/// The seed's worked example: ¥1,000,000 a year at a 30% margin for 4 years.
///
/// ```
/// use rfmkit::ltv::{self, Duration, Rate};
/// use rfmkit::Money;
///
/// let value = ltv::from_annual_revenue(Money::new(1_000_000), Rate::new(0.30)?, Duration::years(4.0)?)?;
/// assert_eq!(value, Money::new(1_200_000));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_annual_revenue(
    annual_revenue: Money,
    margin: Rate,
    retention: Duration,
) -> Result<Money> {
    let years = retention.in_unit(TimeUnit::Year);
    finish(
        Exact::money(annual_revenue)
            .scale(i128::from(margin.billionths()), 1_000_000_000)
            .times(years),
    )
}

/// LTV = average order value × average number of purchases per customer
/// (seed 000).
///
/// # Errors
///
/// [`Error::OutOfRange`] (what `ltv`) if the result does not fit in `i64`
/// minor units.
///
/// # Example
///
/// No worked example in the seeds; ¥4,000 per order, 2.5 orders per
/// customer:
///
/// ```
/// use rfmkit::ltv::{self, Purchases};
/// use rfmkit::Money;
///
/// let value = ltv::from_order_value(Money::new(4_000), Purchases::new(2.5)?)?;
/// assert_eq!(value, Money::new(10_000));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_order_value(average_order_value: Money, purchases: Purchases) -> Result<Money> {
    finish(
        Exact::money(average_order_value).scale(i128::from(purchases.billionths()), 1_000_000_000),
    )
}

/// LTV = (revenue − cost of sales) ÷ number of purchasers (seed 000): gross
/// profit per customer.
///
/// The result is negative when cost exceeds revenue.
///
/// # Errors
///
/// [`Error::OutOfRange`] (what `purchasers`) if `purchasers` is 0, (what
/// `ltv`) if `revenue − cost_of_sales` does not fit in `i64` minor units.
///
/// # Example
///
/// No worked example in the seeds; ¥15,000,000 of sales at a cost of
/// ¥9,000,000, bought by 1,000 customers:
///
/// ```
/// use rfmkit::ltv;
/// use rfmkit::Money;
///
/// let value = ltv::from_gross_profit(Money::new(15_000_000), Money::new(9_000_000), 1_000)?;
/// assert_eq!(value, Money::new(6_000));
/// assert!(ltv::from_gross_profit(Money::new(1), Money::ZERO, 0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_gross_profit(revenue: Money, cost_of_sales: Money, purchasers: u64) -> Result<Money> {
    if purchasers == 0 {
        return Err(no_customers("purchasers"));
    }
    let profit = revenue
        .checked_sub(cost_of_sales)
        .ok_or_else(|| too_large("ltv"))?;
    finish(Exact::money(profit).scale(1, i128::from(purchasers)))
}

/// LTV = purchase amount × purchase frequency × duration (seeds 001, 002,
/// 003, 004): revenue-based LTV.
///
/// The frequency and the duration may be in different units; they are
/// converted with the ratios of [`TimeUnit`].
///
/// # Errors
///
/// [`Error::OutOfRange`] (what `ltv`) if the result does not fit in `i64`
/// minor units.
///
/// # Example
///
/// The seeds' worked examples: ¥5,000 once a year for 3 years (seed 004),
/// and ¥150,000 every other year for 10 years (seed 003).
///
/// ```
/// use rfmkit::ltv::{self, Frequency, Duration};
/// use rfmkit::Money;
///
/// let ec = ltv::from_frequency(Money::new(5_000), Frequency::per_year(1.0)?, Duration::years(3.0)?)?;
/// assert_eq!(ec, Money::new(15_000));
/// let b2b = ltv::from_frequency(Money::new(150_000), Frequency::per_year(0.5)?, Duration::years(10.0)?)?;
/// assert_eq!(b2b, Money::new(750_000));
/// // Units convert: twice a month for half a year is 12 purchases.
/// let monthly = ltv::from_frequency(Money::new(1_000), Frequency::per_month(2.0)?, Duration::years(0.5)?)?;
/// assert_eq!(monthly, Money::new(12_000));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_frequency(price: Money, frequency: Frequency, lifespan: Duration) -> Result<Money> {
    finish(Exact::money(price).times(frequency.over(lifespan)))
}

/// Profit LTV = (average unit price × gross margin) × purchase frequency ×
/// duration (seed 003).
///
/// # Errors
///
/// [`Error::OutOfRange`] (what `ltv`) if the result does not fit in `i64`
/// minor units.
///
/// # Example
///
/// The seed's worked example: ¥150,000 at a 30% gross margin, every other
/// year for 10 years.
///
/// ```
/// use rfmkit::ltv::{self, Frequency, Duration, Rate};
/// use rfmkit::Money;
///
/// let value = ltv::profit_from_frequency(
///     Money::new(150_000),
///     Rate::new(0.30)?,
///     Frequency::per_year(0.5)?,
///     Duration::years(10.0)?,
/// )?;
/// assert_eq!(value, Money::new(225_000));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn profit_from_frequency(
    price: Money,
    margin: Rate,
    frequency: Frequency,
    lifespan: Duration,
) -> Result<Money> {
    finish(
        Exact::money(price)
            .scale(i128::from(margin.billionths()), 1_000_000_000)
            .times(frequency.over(lifespan)),
    )
}

/// LTV = cumulative revenue ÷ unique customers (seed 004).
///
/// This is the historical LTV that [`Kpis::ltv`](super::Kpis::ltv) computes
/// from data.
///
/// # Errors
///
/// [`Error::OutOfRange`] (what `customers`) if `customers` is 0.
///
/// # Example
///
/// The seed's worked example: ¥15,000,000 over 3 years from 1,000 unique
/// customers.
///
/// ```
/// use rfmkit::ltv;
/// use rfmkit::Money;
///
/// let value = ltv::from_cumulative_revenue(Money::new(15_000_000), 1_000)?;
/// assert_eq!(value, Money::new(15_000));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_cumulative_revenue(cumulative_revenue: Money, customers: u64) -> Result<Money> {
    if customers == 0 {
        return Err(no_customers("customers"));
    }
    finish(Exact::money(cumulative_revenue).scale(1, i128::from(customers)))
}

/// Subscription LTV = average price per billing period ÷ churn rate per
/// billing period (seed 004).
///
/// `1 / churn` is the expected number of billing periods a subscriber
/// stays (a geometric lifetime).
///
/// # Errors
///
/// [`Error::OutOfRange`] (what `churn rate`) if `churn` is 0: nobody ever
/// leaves and the lifetime is unbounded; (what `ltv`) if the result does not
/// fit in `i64` minor units. A churn above 1 cannot be built (see
/// [`Rate::new`]).
///
/// # Example
///
/// The seed's worked example: ¥5,000 a month with 10% monthly churn.
///
/// ```
/// use rfmkit::ltv::{self, Rate};
/// use rfmkit::{Error, Money};
///
/// let value = ltv::from_subscription(Money::new(5_000), Rate::new(0.10)?)?;
/// assert_eq!(value, Money::new(50_000));
/// let err = ltv::from_subscription(Money::new(5_000), Rate::ZERO).unwrap_err();
/// assert!(matches!(err, Error::OutOfRange { what: "churn rate", .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_subscription(price: Money, churn: Rate) -> Result<Money> {
    if churn.is_zero() {
        return Err(Error::OutOfRange {
            what: "churn rate",
            value: "0".to_owned(),
            expected: "a churn rate in (0, 1]; with no churn the lifetime is unbounded".to_owned(),
        });
    }
    finish(Exact::money(price).scale(1_000_000_000, i128::from(churn.billionths())))
}

/// LTV minus acquisition and retention cost (seed 001): what one customer
/// is worth after what it cost to win and keep them.
///
/// # Errors
///
/// [`Error::OutOfRange`] (what `ltv`) if the result does not fit in `i64`
/// minor units.
///
/// # Example
///
/// No worked example in the seeds; a profit LTV of ¥225,000 (seed 003),
/// ¥60,000 to acquire and ¥40,000 of retention spend:
///
/// ```
/// use rfmkit::ltv;
/// use rfmkit::Money;
///
/// let net = ltv::net_of_costs(Money::new(225_000), Money::new(60_000), Money::new(40_000))?;
/// assert_eq!(net, Money::new(125_000));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn net_of_costs(ltv: Money, acquisition_cost: Money, retention_cost: Money) -> Result<Money> {
    ltv.checked_sub(acquisition_cost)
        .and_then(|v| v.checked_sub(retention_cost))
        .ok_or_else(|| too_large("ltv"))
}

fn no_customers(what: &'static str) -> Error {
    Error::OutOfRange {
        what,
        value: "0".to_owned(),
        expected: "at least 1; a value per customer needs customers".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        // 5 × 0.5 = 2.5 -> 3; -5 × 0.5 = -2.5 -> -3
        let half = Purchases::new(0.5).unwrap();
        assert_eq!(
            from_order_value(Money::new(5), half).unwrap(),
            Money::new(3)
        );
        assert_eq!(
            from_order_value(Money::new(-5), half).unwrap(),
            Money::new(-3)
        );
        // 10 / 3 = 3.33 -> 3; 20 / 3 = 6.67 -> 7
        assert_eq!(
            from_cumulative_revenue(Money::new(10), 3).unwrap(),
            Money::new(3)
        );
        assert_eq!(
            from_cumulative_revenue(Money::new(20), 3).unwrap(),
            Money::new(7)
        );
    }

    #[test]
    fn overflow_is_an_error() {
        let err = from_order_value(Money::new(i64::MAX), Purchases::new(2.0).unwrap()).unwrap_err();
        assert!(matches!(err, Error::OutOfRange { what: "ltv", .. }));
        let err = net_of_costs(Money::new(i64::MIN), Money::new(1), Money::ZERO).unwrap_err();
        assert!(matches!(err, Error::OutOfRange { what: "ltv", .. }));
        let err = from_gross_profit(Money::new(i64::MIN), Money::new(1), 1).unwrap_err();
        assert!(matches!(err, Error::OutOfRange { what: "ltv", .. }));
    }

    #[test]
    fn smallest_churn_is_fine() {
        // churn 1e-9: 5 × 1e9 = 5e9
        let churn = Rate::new(1e-9).unwrap();
        assert_eq!(
            from_subscription(Money::new(5), churn).unwrap(),
            Money::new(5_000_000_000)
        );
    }
}
