//! CRM programs over time: step sequences, contact history, frequency caps
//! and priority arbitration, planned one day at a time.
//!
//! A shop does not send one campaign once. It runs **programs** — F2
//! conversion, dormant reactivation, win-back, birthdays — each a
//! [`Program`]: an audience rule that lets customers in, [`Step`]s sent a
//! number of days after entry, [`Exit`]s that end a run early (a purchase,
//! leaving the audience), an [`Entry`] policy for coming back, a priority
//! and a control fraction. The [`ContactHistory`] records every step given
//! (sent, or held out as control), and the [`Planner`] turns programs,
//! [`Profiles`](crate::audience::Profiles) and history into a day's
//! [`Plan`].
//!
//! [`presets`] has the seeds' programs ready to use and edit: F2
//! conversion, dormant reactivation, win-back, birthday and first-order
//! anniversary messages, and the frequency-drop follow-up call.
//!
//! # How a day is planned
//!
//! For each customer and program, in this order:
//!
//! 1. **Runs** come from the history: a step-0 contact starts a run on its
//!    date (the entry date); later steps of the program belong to the
//!    latest run.
//! 2. **A running sequence** wants its next step once `entry + delay` has
//!    come, unless an exit holds today (then the run is over; a step that
//!    falls due on that day is reported [`SkipReason::Exited`]). A step
//!    whose own rule does not hold waits ([`SkipReason::StepRule`]).
//! 3. **Entry**: a customer with no running sequence who is in the
//!    audience enters (step 0) if the entry policy allows:
//!    [`Entry::Once`] never again ([`SkipReason::AlreadyReceived`]),
//!    [`Entry::AfterDays`] once that many days passed since their last
//!    contact of the program ([`SkipReason::QuietPeriod`]).
//! 4. **Opt-ins**: an email step needs `email_opt_in`, an SMS step
//!    `sms_opt_in` ([`SkipReason::OptedOut`]).
//! 5. **Control**: customers in the program's control group (the
//!    campaign module's SipHash draw on the program key and customer id)
//!    get a [`Outcome::Control`] contact: recorded, not sent, not counted
//!    by caps.
//! 6. **Caps by priority**: the remaining steps, highest priority first
//!    (ties by program key), are sent while the minimum gap and the caps
//!    allow ([`Caps`]: at most N per rolling D days overall and per
//!    channel); a step refused because of earlier days' messages is
//!    [`SkipReason::Capped`] or [`SkipReason::MinimumGap`], one refused
//!    because a higher-priority step took today's room is
//!    [`SkipReason::LowerPriority`]. Transactional programs are exempt.
//!
//! Nothing reads the clock: the day planned is the profiles' as-of date.
//! Planning is deterministic, independent of the order of programs and
//! history rows, and idempotent: after [`ContactHistory::record`] of a
//! day's plan, planning that day again gives no new contact.
//!
//! # Example
//!
//! Two programs compete for alice under a one-message-a-day gap; the
//! win-back has the higher priority.
//!
//! ```
//! use chrono::NaiveDate;
//! use rfmkit::audience::{Profiles, Rule};
//! use rfmkit::customer::{Customer, Customers};
//! use rfmkit::program::{Caps, ContactChannel, ContactHistory, Planner, Program, SkipReason};
//! use rfmkit::rfm::{RfmModel, ScoringConfig};
//! use rfmkit::segment::SegmentTable;
//! use rfmkit::summary::Summaries;
//! use rfmkit::{Money, Order};
//!
//! let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
//! let orders = [Order::new("A-1", "alice", day(1, 10)?, Money::new(9_000))];
//! let summaries = Summaries::from_orders(&orders, day(4, 30)?)?;
//! let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
//! let segments = SegmentTable::standard().segment_all(&scores)?;
//! let customers = Customers::new([Customer::new("alice").with_email_opt_in(true)])?;
//! let profiles = Profiles::builder(&segments, &summaries).customers(&customers).build()?;
//!
//! let schema = profiles.schema();
//! let winback = Program::builder("winback", Rule::parse("last_order < -60d", &schema)?)
//!     .step(0, ContactChannel::Email)
//!     .priority(5)
//!     .build()?;
//! let newsletter = Program::builder("newsletter", Rule::parse("frequency >= 1", &schema)?)
//!     .step(0, ContactChannel::Email)
//!     .build()?;
//! let planner = Planner::new([winback, newsletter], Caps::new().min_gap_days(1))?;
//!
//! let mut history = ContactHistory::default();
//! let plan = planner.plan(&profiles, &history)?;
//! let sent: Vec<&str> = plan.sends().map(|c| c.program.as_str()).collect();
//! assert_eq!(sent, ["winback"]);
//! assert_eq!(
//!     plan.skipped()[0].reason,
//!     SkipReason::LowerPriority { program: "winback".into() }
//! );
//! // Recorded, the same day plans nothing new.
//! history.record(&plan);
//! assert_eq!(planner.plan(&profiles, &history)?.sends().count(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod definition;
mod history;
mod lift;
mod plan;
pub mod presets;
mod tiers;

pub use definition::{Entry, Exit, MAX_STEPS, Program, ProgramBuilder, Step};
pub use history::{Contact, ContactChannel, ContactHistory, Outcome};
pub use lift::{GroupOutcome, Interval, Lift};
pub use plan::{Cap, Caps, Plan, Planner, Skip, SkipReason};
pub use tiers::{LoyaltyTiers, LoyaltyTiersBuilder, Tier, TierAssignment, TierChange, TierMove};
