//! The seeds' campaign programs as ready-made, editable [`Program`]s.
//!
//! Each preset is an ordinary program: change its steps, priority or
//! control fraction with [`Program::builder`]-style edits by rebuilding
//! from its parts, or serialize it and edit the JSON. The audiences use
//! only built-in fields, so the presets compile against any profiles.

use crate::audience::{Period, Rule, field};
use crate::error::Result;

use super::definition::{Entry, Exit, Program};
use super::history::ContactChannel;

/// **F2 conversion** — "turning one-time buyers into second-time buyers"
/// (seed 004). One-time buyers enter 7 to 13 days after their first order
/// (the planner runs daily, so normally on day 7); emails at entry, 14 and
/// 38 days later (day 7, 21 and 45 after the first order); a second
/// purchase ends the run; once per customer; priority 50; 10% control.
///
/// # Errors
///
/// None in practice; the builder's checks run as for any program.
///
/// # Example
///
/// ```
/// let f2 = rfmkit::program::presets::f2_conversion()?;
/// let delays: Vec<u32> = f2.steps().iter().map(|s| s.delay_days).collect();
/// assert_eq!(delays, [0, 14, 38]);
/// assert_eq!(
///     f2.audience().display_query(2).to_string(),
///     "frequency = 1 and first_order <= -7d and first_order > -14d"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn f2_conversion() -> Result<Program> {
    let audience = field::frequency().eq(1)
        & field::first_order().le(Period::days(7).ago())
        & field::first_order().gt(Period::days(14).ago());
    Program::builder("f2_conversion", audience)
        .step(0, ContactChannel::Email)
        .step(14, ContactChannel::Email)
        .step(38, ContactChannel::Email)
        .exit(Exit::Purchase)
        .priority(50)
        .control(0.1)
        .build()
}

/// **Dormant-customer reactivation** — 休眠顧客の引き上げ (seed 004):
/// customers with at least `min_purchases` orders and none in the last
/// `quiet_days`; an email at entry and a second 14 days later; a purchase
/// ends the run; again after 180 days; priority 30; 10% control.
///
/// # Errors
///
/// [`Error::InvalidConfig`](crate::Error::InvalidConfig) never for valid
/// arguments; the builder's checks run as for any program.
///
/// # Example
///
/// ```
/// let dormant = rfmkit::program::presets::dormant_reactivation(2, 180)?;
/// assert_eq!(
///     dormant.audience().display_query(2).to_string(),
///     "frequency >= 2 and last_order < -180d"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dormant_reactivation(min_purchases: i64, quiet_days: u32) -> Result<Program> {
    let audience = field::frequency().ge(min_purchases)
        & field::last_order().lt(Period::days(quiet_days).ago());
    Program::builder("dormant_reactivation", audience)
        .step(0, ContactChannel::Email)
        .step(14, ContactChannel::Email)
        .exit(Exit::Purchase)
        .entry(Entry::AfterDays(180))
        .priority(30)
        .control(0.1)
        .build()
}

/// **Win-back** of valuable customers slipping away: the `at_risk` and
/// `cant_lose_them` segments of the standard table; an email at entry and
/// one 7 days later; a purchase or leaving those segments ends the run;
/// again after 90 days; priority 60 (above reactivation); 10% control.
///
/// # Errors
///
/// As [`dormant_reactivation`].
///
/// # Example
///
/// ```
/// let winback = rfmkit::program::presets::win_back()?;
/// assert_eq!(
///     winback.audience().display_query(2).to_string(),
///     "segment in (at_risk, cant_lose_them)"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn win_back() -> Result<Program> {
    let audience = field::segment().is_in(["at_risk", "cant_lose_them"])?;
    Program::builder("win_back", audience)
        .step(0, ContactChannel::Email)
        .step(7, ContactChannel::Email)
        .exit(Exit::Purchase)
        .exit(Exit::LeftAudience)
        .entry(Entry::AfterDays(90))
        .priority(60)
        .control(0.1)
        .build()
}

/// **Birthday** message — contact customers "on birthdays and
/// anniversaries" (seeds 002, 003): an email when the birthday falls
/// within the next `lead_days`; once a year (re-entry after 300 days);
/// priority 40; no control group (a courtesy, not a test).
///
/// # Errors
///
/// As [`dormant_reactivation`].
///
/// # Example
///
/// ```
/// let birthday = rfmkit::program::presets::birthday(7)?;
/// assert_eq!(birthday.audience().display_query(2).to_string(), "birthday within 7d");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn birthday(lead_days: u32) -> Result<Program> {
    annual(
        "birthday",
        field::birthday().within(Period::days(lead_days)),
    )
}

/// **First-order anniversary** message (seeds 002, 003): as [`birthday`],
/// on the anniversary of the first order.
///
/// # Errors
///
/// As [`dormant_reactivation`].
///
/// # Example
///
/// ```
/// let anniversary = rfmkit::program::presets::anniversary(7)?;
/// assert_eq!(
///     anniversary.audience().display_query(2).to_string(),
///     "first_order_anniversary within 7d"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn anniversary(lead_days: u32) -> Result<Program> {
    annual(
        "first_order_anniversary",
        field::first_order_anniversary().within(Period::days(lead_days)),
    )
}

fn annual(key: &str, audience: Rule) -> Result<Program> {
    Program::builder(key, audience)
        .step(0, ContactChannel::Email)
        .entry(Entry::AfterDays(300))
        .priority(40)
        .build()
}

/// **Frequency-drop follow-up** — "call customers whose purchase
/// frequency dropped" before they leave (seeds 002, 003): customers whose
/// recent purchase rate is at most `threshold` times their own earlier
/// rate (the `frequency_drop` field); a phone call; a purchase ends the
/// run; again after 90 days; priority 55; 10% control.
///
/// # Errors
///
/// As [`dormant_reactivation`].
///
/// # Example
///
/// ```
/// let drop = rfmkit::program::presets::frequency_drop_follow_up(0.5)?;
/// assert_eq!(drop.audience().display_query(2).to_string(), "frequency_drop <= 0.5");
/// assert_eq!(drop.steps()[0].channel, rfmkit::program::ContactChannel::Call);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn frequency_drop_follow_up(threshold: f64) -> Result<Program> {
    Program::builder("frequency_drop", field::frequency_drop().le(threshold))
        .step(0, ContactChannel::Call)
        .exit(Exit::Purchase)
        .entry(Entry::AfterDays(90))
        .priority(55)
        .control(0.1)
        .build()
}

/// **Replenishment reminder** — contact customers "when the consumable
/// they bought is about to run out" (seeds 002, 003): the due date is the
/// last order plus the customer's own typical interval between purchases
/// (the population's median for customers with one purchase day; the
/// `next_purchase_due` field); customers enter from `lead_days` before it
/// until `grace_days` after it; an email; a purchase ends the run; one
/// reminder per cycle (re-entry after `lead_days + grace_days + 1` days);
/// priority 45; 10% control. Per-category cycles need orders that carry a
/// category, which the crate's orders do not yet.
///
/// # Errors
///
/// As [`dormant_reactivation`].
///
/// # Example
///
/// ```
/// let refill = rfmkit::program::presets::replenishment(7, 14)?;
/// assert_eq!(
///     refill.audience().display_query(2).to_string(),
///     "next_purchase_due <= +7d and next_purchase_due >= -14d"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn replenishment(lead_days: u32, grace_days: u32) -> Result<Program> {
    let audience = field::next_purchase_due().le(Period::days(lead_days).ahead())
        & field::next_purchase_due().ge(Period::days(grace_days).ago());
    Program::builder("replenishment", audience)
        .step(0, ContactChannel::Email)
        .exit(Exit::Purchase)
        .entry(Entry::AfterDays(
            lead_days.saturating_add(grace_days).saturating_add(1),
        ))
        .priority(45)
        .control(0.1)
        .build()
}
