//! LTV and CRM KPIs: the seeds' LTV formulas, population KPIs from
//! summaries, breakdowns per acquisition channel and store, multi-store
//! merge, monthly cohorts with the LTV curve, and LTV against acquisition
//! cost.
//!
//! # Formulas
//!
//! Every LTV formula of the seeds is a function with typed inputs: money in
//! minor units ([`Money`](crate::Money)), fractions as [`Rate`] (validated `0..=1`),
//! durations as [`Duration`] and frequencies as [`Frequency`] (with a
//! [`TimeUnit`]; 1 year = 12 months = 365.2425 days, 1 week = 7 days).
//! They compute exactly (factors keep 9 decimals, products are 128-bit
//! integers) and round once to the nearest minor unit, halves away from
//! zero; invalid inputs (a churn of 0, a rate above 1, a negative duration,
//! NaN) are [`Error::OutOfRange`](crate::Error::OutOfRange), never an
//! infinity or NaN.
//!
//! | formula (seed) | function | seed's example → result |
//! |---|---|---|
//! | annual revenue × profit margin × retention years (000) | [`from_annual_revenue`] | ¥1,000,000 × 0.30 × 4 years → ¥1,200,000 |
//! | average order value × average purchase count (000) | [`from_order_value`] | — |
//! | (revenue − cost of sales) ÷ purchasers (000) | [`from_gross_profit`] | — |
//! | purchase amount × frequency × duration (001, 002, 004) | [`from_frequency`] | ¥5,000 × 1/year × 3 years → ¥15,000 |
//! | average unit price × purchases per year × years (003) | [`from_frequency`] | ¥150,000 × 0.5/year × 10 years → ¥750,000 |
//! | (unit price × gross margin) × frequency × years (003) | [`profit_from_frequency`] | (¥150,000 × 0.30) × 0.5 × 10 → ¥225,000 |
//! | cumulative revenue ÷ unique customers (004) | [`from_cumulative_revenue`] | ¥15,000,000 ÷ 1,000 → ¥15,000 |
//! | subscription: average price ÷ churn rate (004) | [`from_subscription`] | ¥5,000 ÷ 0.10 → ¥50,000 |
//! | LTV − acquisition and retention cost (001) | [`net_of_costs`] | — |
//! | health: LTV / CAC, should exceed 3 (003) | [`LtvCac::new`], [`Health::classify`] | — |
//!
//! # Definitions
//!
//! [`Kpis`] are computed from [`Summaries`](crate::summary::Summaries) as of
//! their as-of date, over the customers with at least one completed order
//! (*customers*), or, with an acquisition window
//! ([`KpiConfig::builder`]`.acquired(..)`), over those whose first purchase
//! day is in the window, with everything they did up to the as-of date.
//! Orders count by the [status policy](crate::order#status-policy).
//!
//! - **customers**: customers with ≥ 1 completed order (customers with only
//!   returns are counted apart, in `returns_only_customers`, with their
//!   refunds in `returns_only_refunds`, and left out of everything else).
//! - **orders**: completed orders; **purchase days**: distinct (customer,
//!   day) pairs with a completed order.
//! - **revenue**: the sum of completed amounts; **refunds**: the sum of
//!   returned amounts; **net revenue** = revenue + refunds.
//! - **margin**: Σ (amount − cost) over completed and returned orders,
//!   known only if every customer's margin is known.
//! - **average order value (AOV)** = net revenue ÷ orders.
//! - **orders per customer** = orders ÷ customers.
//! - **purchase frequency per year** = orders ÷ customer-years of exposure,
//!   where each customer is exposed from their first purchase day to the
//!   as-of date, both included, at 365.2425 days a year.
//! - **repeat rate** = customers with ≥ 2 completed orders ÷ customers (two
//!   orders on one day count: a repeat *order*, unlike F2).
//! - **F2 conversion rate** = converted ÷ eligible, where *eligible* are the
//!   customers whose first purchase day is at least N days before the as-of
//!   date (so each had the full N days to come back) and *converted* are
//!   those whose second distinct purchase day is at most N days after the
//!   first (N = [`KpiConfig::f2_days`], default 90).
//! - **churn rate** over a period of L days (default 365) = churned ÷
//!   active, where *active* customers bought in the L days before the
//!   period, `(as_of − 2L, as_of − L]`, and *churned* are active customers
//!   with no purchase in the period, `(as_of − L, as_of]`.
//! - **churn-implied lifespan** = L ÷ churn rate, in days: the mean of a
//!   geometric lifetime at that churn.
//! - **mean lifespan** = the mean of (last purchase day − first purchase
//!   day) in days, 0 for one-time buyers: the observed customer lifespan.
//! - **historical LTV** = net revenue ÷ customers (seed 004's cumulative
//!   revenue ÷ unique customers); **margin LTV** = margin ÷ customers.
//!
//! Ratios are `f64` divisions of exact integer sums, done last; a ratio
//! whose denominator is 0 is `None`, never NaN. Money per order or per
//! customer is rounded to the nearest minor unit, halves away from zero.
//!
//! # Breakdowns
//!
//! [`Kpis::by_channel`] and [`Kpis::by_store`] group customers by the
//! channel and the store of their **first** completed order (their
//! acquisition channel, the seeds' 流入媒体別 / ad-medium LTV, and their
//! acquisition store), so every customer is in exactly one group and group
//! counts add up to the total. Groups come in key order, and customers
//! without a channel (or store) form a last group with key `None`. For
//! several stores with their own customer numbering, [`merge_stores`] merges
//! per-store summaries into unique customers through a [`CustomerMap`]
//! (seed 004).
//!
//! # Cohorts and the LTV curve
//!
//! [`CohortTable`] groups customers by the calendar month of their first
//! completed order. For each cohort and each calendar month since
//! acquisition (0 = the acquisition month, up to the as-of month, which is
//! partial): **active** customers made a completed order that month,
//! **retention** = active ÷ cohort size, and the **LTV curve** is the
//! cohort's cumulative net revenue ÷ cohort size. [`CohortTable::curve`]
//! pools all cohorts old enough for each month. Cohorts need per-order
//! amounts by date, so they are built from orders (validated like
//! summaries) rather than from summaries.
//!
//! # LTV against CAC
//!
//! A [`Cac`] is money per acquired customer, per channel in
//! [`AcquisitionCosts`]. [`LtvCacTable`] reads each channel's historical LTV
//! (on an [`LtvBasis`]: revenue, or margin as the seeds recommend) against
//! its CAC: **LTV/CAC** ratio, **health** ([`Health`]: healthy if LTV > 3 ×
//! CAC, losing if LTV < CAC, thin otherwise, seed 003), and **payback** =
//! the first month since acquisition at which the channel's pooled LTV
//! curve reaches the CAC ([`payback_months`]).
//!
//! # Example
//!
//! ```
//! use rfmkit::ltv::{AcquisitionCosts, Cac, KpiConfig, LtvBasis, LtvCacTable, LtvReport};
//! use rfmkit::sim::SimConfig;
//! use rfmkit::Money;
//!
//! let shop = SimConfig::builder().customers(500).orders(2_500).seed(11).build()?.generate();
//! let config = KpiConfig::builder().f2_days(60).build()?;
//! let report = LtvReport::from_orders(shop.orders(), shop.as_of(), &config)?;
//! let kpis = &report.kpis;
//! assert_eq!(kpis.customers, 500);
//! assert!(kpis.repeat_rate.is_some_and(|r| (0.0..=1.0).contains(&r)));
//! println!("{}", report.display_table(2));
//!
//! let costs = AcquisitionCosts::new().with_default(Cac::new(Money::new(2_000))?);
//! let table = LtvCacTable::from_report(&report, &costs, LtvBasis::Margin)?;
//! println!("{}", table.display_table(2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cac;
mod cohort;
mod formula;
mod kpi;
mod merge;
mod report;
mod units;

pub use cac::{
    AcquisitionCosts, Cac, DisplayLtvCac, Health, LtvBasis, LtvCac, LtvCacRow, LtvCacTable,
    Payback, payback, payback_months,
};
pub use cohort::{
    Cohort, CohortCell, CohortMetric, CohortTable, CurvePoint, DisplayCohorts, YearMonth,
};
pub use formula::{
    from_annual_revenue, from_cumulative_revenue, from_frequency, from_gross_profit,
    from_order_value, from_subscription, net_of_costs, profit_from_frequency,
};
pub use kpi::{
    Breakdown, Churn, DEFAULT_CHURN_DAYS, DEFAULT_F2_DAYS, DateRange, DisplayBreakdown,
    DisplayKpis, F2, Group, KpiConfig, KpiConfigBuilder, Kpis, PartialMonths,
};
pub(crate) use kpi::{CustomerView, GroupKey, KpiAccumulator};
pub use merge::{CustomerMap, Unmapped, merge_stores};
pub use report::{DisplayReport, LtvReport};
pub use units::{Duration, Frequency, MAX_FACTOR, Purchases, Rate, TimeUnit};
