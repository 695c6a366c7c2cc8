//! [`LoyaltyTiers`]: tiers by tenure and spend, and the moves between them.

use std::cmp::Ordering;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::CustomerId;
use crate::ingest::OrderLog;
use crate::money::Money;

/// One tier: reached by customers with at least `min_tenure_days` since
/// their first purchase and at least `min_spend` of net revenue in the
/// spend window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Tier {
    /// The tier's name (snake_case).
    pub name: String,
    /// The least days since the first purchase.
    pub min_tenure_days: u32,
    /// The least net revenue in the spend window.
    pub min_spend: Money,
}

/// Loyalty tiers — "special treatment, points or coupons by tenure and
/// cumulative spend" (seeds 002, 003, 004): ordered tiers, each with a
/// tenure and a spend threshold; a customer is in the highest tier whose
/// both thresholds they meet. Spend is net revenue (completed orders plus
/// refunds) over the whole history, or over the last `spend_window_days`
/// (so a customer who stops buying moves down).
///
/// # Invariants
///
/// At least one tier; the first has both thresholds at 0, so every
/// customer with a purchase has a tier; names unique and snake_case;
/// thresholds never decrease from one tier to the next and at least one
/// of them increases. Loading JSON validates alike.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ingest::IngestConfig;
/// use rfmkit::program::{LoyaltyTiers, TierMove};
/// use rfmkit::{Money, Order};
///
/// let tiers = LoyaltyTiers::builder()
///     .spend_window_days(365)
///     .tier("member", 0, Money::ZERO)
///     .tier("silver", 90, Money::new(30_000))
///     .tier("gold", 300, Money::new(100_000))
///     .build()?;
/// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or("bad date");
/// let orders = [
///     Order::new("O-1", "ann", d(2024, 1, 10)?, Money::new(120_000)),
///     Order::new("O-2", "ann", d(2025, 1, 10)?, Money::new(40_000)),
/// ];
/// let log = IngestConfig::new(d(2025, 6, 30)?).ingest(&orders)?;
/// // ann: 537 days of tenure, 400.00 in the last 365 days → silver.
/// let june = tiers.assign(&log)?;
/// assert_eq!(june.tier_of("ann"), Some("silver"));
/// // At the end of 2024 the 1,200.00 order was in the window → gold.
/// let december = tiers.assign(&log.until(d(2024, 12, 31)?)?)?;
/// let moves = tiers.changes(&december, &june);
/// assert_eq!(moves[0].kind, TierMove::Downgrade);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawTiers", into = "RawTiers")]
pub struct LoyaltyTiers {
    tiers: Vec<Tier>,
    spend_window_days: Option<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTiers {
    tiers: Vec<Tier>,
    #[serde(default)]
    spend_window_days: Option<u32>,
}

impl From<LoyaltyTiers> for RawTiers {
    fn from(t: LoyaltyTiers) -> RawTiers {
        RawTiers {
            tiers: t.tiers,
            spend_window_days: t.spend_window_days,
        }
    }
}

impl TryFrom<RawTiers> for LoyaltyTiers {
    type Error = Error;

    fn try_from(raw: RawTiers) -> Result<LoyaltyTiers> {
        let tiers = LoyaltyTiers {
            tiers: raw.tiers,
            spend_window_days: raw.spend_window_days,
        };
        tiers.check()?;
        Ok(tiers)
    }
}

/// Builds [`LoyaltyTiers`]; made by [`LoyaltyTiers::builder`].
#[derive(Debug, Clone, Default)]
pub struct LoyaltyTiersBuilder {
    tiers: Vec<Tier>,
    spend_window_days: Option<u32>,
}

impl LoyaltyTiersBuilder {
    /// Adds the next (higher) tier.
    #[must_use]
    pub fn tier(mut self, name: &str, min_tenure_days: u32, min_spend: Money) -> Self {
        self.tiers.push(Tier {
            name: name.to_owned(),
            min_tenure_days,
            min_spend,
        });
        self
    }

    /// Counts spend over the last `days` only (default: the whole
    /// history).
    #[must_use]
    pub fn spend_window_days(mut self, days: u32) -> Self {
        self.spend_window_days = Some(days);
        self
    }

    /// Validates and returns the tiers.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] naming the field (`tiers`, `tiers[i].name`,
    /// `tiers[i].min_tenure_days`, `tiers[i].min_spend`,
    /// `spend_window_days`) for a broken invariant (see [`LoyaltyTiers`]).
    pub fn build(self) -> Result<LoyaltyTiers> {
        LoyaltyTiers::try_from(RawTiers {
            tiers: self.tiers,
            spend_window_days: self.spend_window_days,
        })
    }
}

/// Every customer's tier as of a date; made by [`LoyaltyTiers::assign`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TierAssignment {
    /// The date.
    pub as_of: NaiveDate,
    /// (customer, tier name), in the log's id order.
    pub customers: Vec<(CustomerId, String)>,
}

impl TierAssignment {
    /// A customer's tier, if they have a purchase by the date.
    #[must_use]
    pub fn tier_of(&self, customer: &str) -> Option<&str> {
        self.customers
            .iter()
            .find(|(c, _)| c.as_str() == customer)
            .map(|(_, t)| t.as_str())
    }
}

/// How a customer's tier changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TierMove {
    /// To a higher tier.
    Upgrade,
    /// To a lower tier.
    Downgrade,
    /// A first tier (a new customer).
    Entered,
}

/// A customer whose tier changed between two assignments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TierChange {
    /// The customer.
    pub customer: CustomerId,
    /// The earlier tier (`None` for a new customer).
    pub from: Option<String>,
    /// The later tier.
    pub to: String,
    /// Up, down or new.
    pub kind: TierMove,
}

impl LoyaltyTiers {
    /// An empty builder: add tiers lowest first.
    #[must_use]
    pub fn builder() -> LoyaltyTiersBuilder {
        LoyaltyTiersBuilder::default()
    }

    /// The tiers, lowest first.
    #[must_use]
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// The spend window in days (`None`: the whole history).
    #[must_use]
    pub fn spend_window_days(&self) -> Option<u32> {
        self.spend_window_days
    }

    /// The tier of a customer with this tenure and spend: the highest
    /// whose thresholds both hold (the first tier holds for everyone).
    #[must_use]
    pub fn tier_of(&self, tenure_days: i64, spend: Money) -> &str {
        self.tiers
            .iter()
            .rev()
            .find(|t| tenure_days >= i64::from(t.min_tenure_days) && spend >= t.min_spend)
            .or_else(|| self.tiers.first())
            .map_or("", |t| t.name.as_str())
    }

    /// Every customer with a completed order's tier as of the log's date:
    /// tenure from their first purchase, spend over the window.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if a customer's spend leaves `i64`.
    pub fn assign(&self, log: &OrderLog) -> Result<TierAssignment> {
        let as_of = log.as_of();
        let start = self
            .spend_window_days
            .and_then(|d| as_of.checked_sub_days(Days::new(u64::from(d))));
        let mut customers = Vec::new();
        for (position, id) in log.index().iter().enumerate() {
            let mut first = None;
            let mut spend = 0_i64;
            for row in log.customer_rows(position) {
                if !row.returned && first.is_none() {
                    first = Some(row.date);
                }
                if start.is_none_or(|s| row.date > s) {
                    spend = spend.checked_add(row.amount.minor_units()).ok_or_else(|| {
                        Error::Overflow {
                            customer: id.clone(),
                        }
                    })?;
                }
            }
            let Some(first) = first else { continue };
            let tier = self.tier_of((as_of - first).num_days(), Money::new(spend));
            customers.push((id.clone(), tier.to_owned()));
        }
        Ok(TierAssignment { as_of, customers })
    }

    /// The customers whose tier changed from `before` to `after`, in
    /// `after`'s order.
    #[must_use]
    pub fn changes(&self, before: &TierAssignment, after: &TierAssignment) -> Vec<TierChange> {
        let rank = |name: &str| self.tiers.iter().position(|t| t.name == name);
        let earlier: std::collections::HashMap<&str, &str> = before
            .customers
            .iter()
            .map(|(c, t)| (c.as_str(), t.as_str()))
            .collect();
        after
            .customers
            .iter()
            .filter_map(|(c, to)| {
                let from = earlier.get(c.as_str()).copied();
                let kind = match from {
                    None => TierMove::Entered,
                    Some(from) => match rank(to).cmp(&rank(from)) {
                        Ordering::Greater => TierMove::Upgrade,
                        Ordering::Less => TierMove::Downgrade,
                        Ordering::Equal => return None,
                    },
                };
                Some(TierChange {
                    customer: c.clone(),
                    from: from.map(str::to_owned),
                    to: to.clone(),
                    kind,
                })
            })
            .collect()
    }

    fn check(&self) -> Result<()> {
        let Some(first) = self.tiers.first() else {
            return Err(Error::config("tiers", "at least one tier is needed"));
        };
        if first.min_tenure_days != 0 || first.min_spend != Money::ZERO {
            return Err(Error::config(
                "tiers[0]",
                "the first tier has both thresholds at 0, so every customer has a tier",
            ));
        }
        if self.spend_window_days == Some(0) {
            return Err(Error::config(
                "spend_window_days",
                "the window is at least 1 day",
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (i, t) in self.tiers.iter().enumerate() {
            if crate::segment::Segment::new(&t.name).is_err() {
                return Err(Error::config(
                    format!("tiers[{i}].name"),
                    format!("{:?} is not a snake_case name", t.name),
                ));
            }
            if !names.insert(t.name.as_str()) {
                return Err(Error::config(
                    format!("tiers[{i}].name"),
                    format!("{:?} is used twice", t.name),
                ));
            }
        }
        for (i, pair) in self.tiers.windows(2).enumerate() {
            if let [a, b] = pair {
                let field = |f: &str| format!("tiers[{}].{f}", i + 1);
                if b.min_tenure_days < a.min_tenure_days {
                    return Err(Error::config(field("min_tenure_days"), "decreases"));
                }
                if b.min_spend < a.min_spend {
                    return Err(Error::config(field("min_spend"), "decreases"));
                }
                if b.min_tenure_days == a.min_tenure_days && b.min_spend == a.min_spend {
                    return Err(Error::config(
                        field("min_spend"),
                        "equals the tier below on both thresholds",
                    ));
                }
            }
        }
        Ok(())
    }
}
