//! [`Lift`]: did a program work? Target against control after entry.

use chrono::{Days, NaiveDate};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::error::{Error, Result};
use crate::ingest::OrderLog;
use crate::money::Money;

use super::definition::check_key;
use super::history::{ContactHistory, Outcome};

/// What happened to one group (target or control) in the attribution
/// window after each customer's entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GroupOutcome {
    /// Customers whose window is complete.
    pub customers: u64,
    /// Of them, customers with a completed order in their window.
    pub converted: u64,
    /// `converted / customers`.
    pub conversion_rate: Option<f64>,
    /// Completed orders in the windows.
    pub orders: u64,
    /// Net revenue in the windows (completed orders plus refunds).
    pub revenue: Money,
    /// `revenue / customers`, in minor units.
    pub revenue_per_customer: Option<f64>,
}

/// An estimate with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Interval {
    /// The point estimate.
    pub estimate: f64,
    /// The lower bound.
    pub low: f64,
    /// The upper bound.
    pub high: f64,
}

impl Interval {
    fn around(estimate: f64, half_width: f64) -> Interval {
        Interval {
            estimate,
            low: estimate - half_width,
            high: estimate + half_width,
        }
    }

    /// Whether `x` lies in the interval.
    #[must_use]
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// A program's measured effect: target against control over an
/// attribution window after entry.
///
/// # Definitions
///
/// - **Entrants**: customers whose history has a step-0 contact of the
///   program; the first such contact is their entry date `E` and its
///   outcome their group ([`Outcome::Sent`] target, [`Outcome::Control`]
///   control). Only entrants whose window `(E, E + window]` has ended by
///   the log's as-of date count; the others are [`Lift::pending`].
/// - **Conversion**: at least one completed order in the window;
///   **orders** and **revenue** (net of refunds) are summed over it.
/// - **Conversion difference**: `p_t − p_c`, with the Wald interval of a
///   difference of two proportions, `± z·√(p_t(1−p_t)/n_t +
///   p_c(1−p_c)/n_c)`, `z` the normal quantile of the confidence level.
/// - **Revenue per customer difference**: the difference of means with
///   Welch's interval (`t` quantile at the Welch–Satterthwaite degrees of
///   freedom; sample variances).
/// - **Incremental revenue**: that difference times the target size, with
///   the interval scaled alike.
/// - **Minimum detectable effect**: the conversion difference the groups
///   could detect with 80% power at this confidence,
///   `(z + z₀.₈)·√(p̄(1−p̄)(1/n_t + 1/n_c))` with `p̄` the pooled rate;
///   [`Lift::underpowered`] when the observed difference is smaller, i.e.
///   the control group is too small to tell this effect from chance.
///
/// Intervals are `None` while a group has fewer than 2 customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Lift {
    /// The program's key.
    pub program: String,
    /// The attribution window, in days after entry.
    pub window_days: u32,
    /// The confidence level of the intervals.
    pub confidence: f64,
    /// The target group.
    pub target: GroupOutcome,
    /// The control group.
    pub control: GroupOutcome,
    /// Entrants whose window has not ended yet.
    pub pending: u64,
    /// Target minus control conversion rate.
    pub conversion_difference: Option<Interval>,
    /// Target minus control revenue per customer, in minor units.
    pub revenue_per_customer_difference: Option<Interval>,
    /// Revenue the program added: the difference per customer times the
    /// target size, in minor units.
    pub incremental_revenue: Option<Interval>,
    /// The smallest conversion difference detectable with 80% power.
    pub minimum_detectable_effect: Option<f64>,
    /// Whether the observed conversion difference is below the minimum
    /// detectable effect (the control group is too small for it).
    pub underpowered: bool,
}

/// One entrant: their group, and their completed orders and net revenue
/// in the window (exact: a sum of `i64` amounts in `i128`).
struct Entrant {
    control: bool,
    orders: u64,
    revenue: i128,
}

impl Lift {
    /// Measures `program` from the order log and the contact history, with
    /// a `window_days` attribution window at `confidence` (e.g. 0.95).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `program`) for a malformed key,
    /// (field `window_days`) for 0, (field `confidence`) outside `0..1`;
    /// [`Error::OutOfRange`] if a group's revenue leaves `i64`.
    ///
    /// # Example
    ///
    /// Two target and two control customers entered on 1 March; one of
    /// each target bought within 30 days, no control customer did.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ingest::IngestConfig;
    /// use rfmkit::program::{Contact, ContactChannel, ContactHistory, Lift};
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let history = ContactHistory::new([
    ///     Contact::sent("a", "winback", 0, ContactChannel::Email, d(3, 1)?),
    ///     Contact::sent("b", "winback", 0, ContactChannel::Email, d(3, 1)?),
    ///     Contact::sent("c", "winback", 0, ContactChannel::Email, d(3, 1)?).held_out(),
    ///     Contact::sent("e", "winback", 0, ContactChannel::Email, d(3, 1)?).held_out(),
    /// ])?;
    /// let orders = [Order::new("O-1", "a", d(3, 10)?, Money::new(4_000))];
    /// let log = IngestConfig::new(d(4, 30)?).ingest(&orders)?;
    /// let lift = Lift::measure(&log, &history, "winback", 30, 0.95)?;
    /// assert_eq!((lift.target.converted, lift.control.converted), (1, 0));
    /// assert_eq!(lift.conversion_difference.map(|i| i.estimate), Some(0.5));
    /// assert!(lift.underpowered); // 2 against 2 cannot tell
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn measure(
        log: &OrderLog,
        history: &ContactHistory,
        program: &str,
        window_days: u32,
        confidence: f64,
    ) -> Result<Lift> {
        check_key(program).map_err(|reason| Error::config("program", reason))?;
        if window_days == 0 {
            return Err(Error::config("window_days", "the window is at least 1 day"));
        }
        if !(confidence > 0.0 && confidence < 1.0) {
            return Err(Error::config(
                "confidence",
                format!("is {confidence}; a confidence level is in 0..1"),
            ));
        }
        // First entry per customer.
        let mut entries: FxHashMap<&str, (NaiveDate, bool)> = FxHashMap::default();
        for c in history
            .contacts()
            .iter()
            .filter(|c| c.program == program && c.step == 0)
        {
            let entry = entries
                .entry(c.customer.as_str())
                .or_insert((c.date, c.outcome == Outcome::Control));
            if c.date < entry.0 {
                *entry = (c.date, c.outcome == Outcome::Control);
            }
        }
        let as_of = log.as_of();
        let mut pending = 0_u64;
        let mut entrants = Vec::with_capacity(entries.len());
        for (customer, (entered, control)) in entries {
            let end = entered.checked_add_days(Days::new(u64::from(window_days)));
            let Some(end) = end.filter(|&end| end <= as_of) else {
                pending += 1;
                continue;
            };
            let (mut orders, mut revenue) = (0_u64, 0_i128);
            if let Some(position) = log.index().position(customer) {
                for row in log.customer_rows(position) {
                    if row.date > entered && row.date <= end {
                        if !row.returned {
                            orders += 1;
                        }
                        revenue += i128::from(row.amount.minor_units());
                    }
                }
            }
            entrants.push(Entrant {
                control,
                orders,
                revenue,
            });
        }
        let target = outcome(entrants.iter().filter(|e| !e.control))?;
        let control = outcome(entrants.iter().filter(|e| e.control))?;
        let z = normal_quantile((1.0 + confidence) / 2.0);
        let (nt, nc) = (target.customers, control.customers);
        let enough = nt >= 2 && nc >= 2;
        let conversion_difference = match (target.conversion_rate, control.conversion_rate) {
            (Some(pt), Some(pc)) if enough => {
                let se = (pt * (1.0 - pt) / count(nt) + pc * (1.0 - pc) / count(nc)).sqrt();
                z.map(|z| Interval::around(pt - pc, z * se))
            }
            _ => None,
        };
        let revenue_per_customer_difference = if enough {
            welch(
                entrants.iter().filter(|e| !e.control).map(|e| e.revenue),
                entrants.iter().filter(|e| e.control).map(|e| e.revenue),
                confidence,
            )
        } else {
            None
        };
        let incremental_revenue = revenue_per_customer_difference.map(|i| Interval {
            estimate: i.estimate * count(nt),
            low: i.low * count(nt),
            high: i.high * count(nt),
        });
        let minimum_detectable_effect = if enough {
            let pooled = count(target.converted + control.converted) / count(nt + nc);
            let z80 = normal_quantile(0.8); // 80% power
            match (z, z80) {
                (Some(z), Some(z80)) => Some(
                    (z + z80)
                        * (pooled * (1.0 - pooled) * (1.0 / count(nt) + 1.0 / count(nc))).sqrt(),
                ),
                _ => None,
            }
        } else {
            None
        };
        let underpowered = match (conversion_difference, minimum_detectable_effect) {
            (Some(d), Some(mde)) => d.estimate.abs() < mde,
            _ => true,
        };
        Ok(Lift {
            program: program.to_owned(),
            window_days,
            confidence,
            target,
            control,
            pending,
            conversion_difference,
            revenue_per_customer_difference,
            incremental_revenue,
            minimum_detectable_effect,
            underpowered,
        })
    }
}

#[allow(clippy::cast_precision_loss)]
fn count(n: u64) -> f64 {
    n as f64
}

/// The standard normal quantile `Φ⁻¹(p)`, `p` in `0..1`.
fn normal_quantile(p: f64) -> Option<f64> {
    let normal = Normal::new(0.0, 1.0).ok()?;
    Some(normal.inverse_cdf(p))
}

fn outcome<'a>(entrants: impl Iterator<Item = &'a Entrant>) -> Result<GroupOutcome> {
    let (mut customers, mut converted, mut orders, mut revenue) = (0_u64, 0_u64, 0_u64, 0_i128);
    for e in entrants {
        customers += 1;
        converted += u64::from(e.orders > 0);
        orders += e.orders;
        revenue += e.revenue;
    }
    let total = crate::money::total(revenue, "a group's revenue")?;
    Ok(GroupOutcome {
        customers,
        converted,
        conversion_rate: (customers > 0).then(|| count(converted) / count(customers)),
        orders,
        revenue: total,
        revenue_per_customer: (customers > 0)
            .then(|| total.minor_units() as f64 / count(customers)),
    })
}

/// Welch's interval for the difference of two means.
#[allow(clippy::cast_precision_loss)]
fn welch(
    a: impl Iterator<Item = i128> + Clone,
    b: impl Iterator<Item = i128> + Clone,
    confidence: f64,
) -> Option<Interval> {
    let stats = |xs: &mut dyn Iterator<Item = i128>| {
        let v: Vec<f64> = xs.map(|x| x as f64).collect();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (n, mean, var)
    };
    let (na, ma, va) = stats(&mut a.clone());
    let (nb, mb, vb) = stats(&mut b.clone());
    let (sa, sb) = (va / na, vb / nb);
    let se = (sa + sb).sqrt();
    if se == 0.0 {
        return Some(Interval::around(ma - mb, 0.0));
    }
    let df = (sa + sb).powi(2) / (sa.powi(2) / (na - 1.0) + sb.powi(2) / (nb - 1.0));
    let t = StudentsT::new(0.0, 1.0, df)
        .ok()?
        .inverse_cdf((1.0 + confidence) / 2.0);
    t.is_finite().then(|| Interval::around(ma - mb, t * se))
}
