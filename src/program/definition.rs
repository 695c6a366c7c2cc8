//! [`Program`]: a CRM program as plain data.

use serde::{Deserialize, Serialize};

use crate::audience::Rule;
use crate::error::{Error, Result};

use super::history::ContactChannel;

/// One message of a [`Program`]: sent `delay_days` after the customer
/// entered, on `channel`, if the optional `rule` holds on that day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Step {
    /// Days after entry (the entry step has 0).
    pub delay_days: u32,
    /// The channel.
    pub channel: ContactChannel,
    /// A rule that must hold on the send day; while it does not, the step
    /// waits (it is reported as skipped with
    /// [`SkipReason::StepRule`](super::SkipReason::StepRule)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Rule>,
}

/// When a customer may enter a program again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Entry {
    /// At most once ever (the default): F2 conversion, a welcome series.
    #[default]
    Once,
    /// Again once this many days have passed since their last contact of
    /// the program: win-back, replenishment, birthdays (365).
    AfterDays(u32),
}

/// What ends a customer's run through a program before its last step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Exit {
    /// A completed order after the entry date (the customer converted).
    Purchase,
    /// The program's audience rule no longer holds.
    LeftAudience,
    /// The customer withdrew consent for the next step's channel (its
    /// `email_opt_in` or `sms_opt_in` is not true): the run ends rather
    /// than waiting for consent.
    OptOut,
    /// This rule holds.
    Rule(Rule),
}

/// A CRM program: who enters (an audience rule), the steps they receive
/// and when, what ends their run, how it competes with other programs
/// (priority) and which share is held out as control.
///
/// Built with [`Program::builder`], or loaded from the versioned JSON
/// `{"version": 1, "key": .., "audience": <rule>, "steps": [..], "entry":
/// .., "exits": [..], "priority": .., "control": .., "transactional": ..}`,
/// which validates like the builder.
///
/// # Invariants
///
/// The key is 1–64 characters of `a-z`, `0-9`, `_`, `-`; there is at least
/// one step, the first has delay 0 (entering *is* receiving the first
/// step, so the history records every entry), delays strictly increase;
/// at most 1,000 steps; the control fraction is in `0..1`.
///
/// # Example
///
/// F2 conversion (seed 004: turning first-time buyers into second-time
/// buyers): one-time buyers whose first order was 7 to 13 days ago enter;
/// mails at 7, 21 and 45 days after the first order; a second purchase
/// ends the run.
///
/// ```
/// use rfmkit::audience::{Rule, Schema};
/// use rfmkit::program::{ContactChannel, Exit, Program};
///
/// let audience = Rule::parse(
///     "frequency = 1 and first_order <= -7d and first_order > -14d and email_opt_in",
///     &Schema::default(),
/// )?;
/// let f2 = Program::builder("f2_conversion", audience)
///     .step(0, ContactChannel::Email)
///     .step(14, ContactChannel::Email)
///     .step(38, ContactChannel::Email)
///     .exit(Exit::Purchase)
///     .priority(10)
///     .control(0.1)
///     .build()?;
/// assert_eq!(f2.steps().len(), 3);
/// assert!(Program::builder("F2!", Rule::all([])).step(0, ContactChannel::Email).build().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawProgram", into = "RawProgram")]
pub struct Program {
    key: String,
    audience: Rule,
    steps: Vec<Step>,
    entry: Entry,
    exits: Vec<Exit>,
    priority: i32,
    control: f64,
    transactional: bool,
}

/// The most steps a program has.
pub const MAX_STEPS: usize = 1_000;

/// The stored form's version.
const VERSION: u64 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgram {
    version: u64,
    key: String,
    audience: Rule,
    steps: Vec<Step>,
    #[serde(default)]
    entry: Entry,
    #[serde(default)]
    exits: Vec<Exit>,
    #[serde(default)]
    priority: i32,
    #[serde(default)]
    control: f64,
    #[serde(default)]
    transactional: bool,
}

impl From<Program> for RawProgram {
    fn from(p: Program) -> RawProgram {
        RawProgram {
            version: VERSION,
            key: p.key,
            audience: p.audience,
            steps: p.steps,
            entry: p.entry,
            exits: p.exits,
            priority: p.priority,
            control: p.control,
            transactional: p.transactional,
        }
    }
}

impl TryFrom<RawProgram> for Program {
    type Error = Error;

    fn try_from(raw: RawProgram) -> Result<Program> {
        if raw.version != VERSION {
            return Err(Error::UnsupportedVersion {
                version: raw.version,
                supported: VERSION,
            });
        }
        let program = Program {
            key: raw.key,
            audience: raw.audience,
            steps: raw.steps,
            entry: raw.entry,
            exits: raw.exits,
            priority: raw.priority,
            control: raw.control,
            transactional: raw.transactional,
        };
        program.check()?;
        Ok(program)
    }
}

/// Checks a program key: 1–64 characters of `a-z`, `0-9`, `_`, `-`.
pub(crate) fn check_key(key: &str) -> std::result::Result<(), String> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "program key {key:?} must be 1-64 characters of a-z, 0-9, '_' and '-'"
        ))
    }
}

impl Program {
    /// A builder for the program `key` whose customers enter while
    /// `audience` holds; defaults: entry [`Entry::Once`], no exits,
    /// priority 0, no control group, not transactional.
    #[must_use]
    pub fn builder(key: &str, audience: Rule) -> ProgramBuilder {
        ProgramBuilder {
            program: Program {
                key: key.to_owned(),
                audience,
                steps: Vec::new(),
                entry: Entry::Once,
                exits: Vec::new(),
                priority: 0,
                control: 0.0,
                transactional: false,
            },
        }
    }

    /// The key, which names the program in the history and the plan.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Who may enter.
    #[must_use]
    pub fn audience(&self) -> &Rule {
        &self.audience
    }

    /// The steps, by delay.
    #[must_use]
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The re-entry policy.
    #[must_use]
    pub fn entry(&self) -> Entry {
        self.entry
    }

    /// What ends a run early.
    #[must_use]
    pub fn exits(&self) -> &[Exit] {
        &self.exits
    }

    /// The priority: higher wins when caps bind.
    #[must_use]
    pub fn priority(&self) -> i32 {
        self.priority
    }

    /// The control fraction held out.
    #[must_use]
    pub fn control(&self) -> f64 {
        self.control
    }

    /// Whether the program is exempt from frequency caps and the minimum
    /// gap (order confirmations, replenishment the customer asked for).
    #[must_use]
    pub fn transactional(&self) -> bool {
        self.transactional
    }

    fn check(&self) -> Result<()> {
        check_key(&self.key).map_err(|reason| Error::config("key", reason))?;
        let bad = |field: String, reason: String| {
            Err(Error::config(
                field,
                format!("program {}: {reason}", self.key),
            ))
        };
        if self.steps.is_empty() {
            return bad("steps".into(), "a program needs at least one step".into());
        }
        if self.steps.len() > MAX_STEPS {
            return bad(
                "steps".into(),
                format!("{} steps; at most {MAX_STEPS}", self.steps.len()),
            );
        }
        if let Some(first) = self.steps.first() {
            if first.delay_days != 0 {
                return bad(
                    "steps[0].delay_days".into(),
                    format!(
                        "is {}; the entry step is sent on entry (delay 0)",
                        first.delay_days
                    ),
                );
            }
        }
        for (i, pair) in self.steps.windows(2).enumerate() {
            if let [a, b] = pair {
                if b.delay_days <= a.delay_days {
                    return bad(
                        format!("steps[{}].delay_days", i + 1),
                        format!(
                            "is {} after {}; delays must strictly increase",
                            b.delay_days, a.delay_days
                        ),
                    );
                }
            }
        }
        if !(0.0..1.0).contains(&self.control) {
            return bad(
                "control".into(),
                format!("is {}; a control fraction is in 0..1", self.control),
            );
        }
        Ok(())
    }
}

/// Builds a [`Program`]; made by [`Program::builder`].
#[derive(Debug, Clone)]
pub struct ProgramBuilder {
    program: Program,
}

impl ProgramBuilder {
    /// Adds a step `delay_days` after entry on `channel`.
    #[must_use]
    pub fn step(mut self, delay_days: u32, channel: ContactChannel) -> Self {
        self.program.steps.push(Step {
            delay_days,
            channel,
            rule: None,
        });
        self
    }

    /// Adds a step that is sent only while `rule` holds.
    #[must_use]
    pub fn step_if(mut self, delay_days: u32, channel: ContactChannel, rule: Rule) -> Self {
        self.program.steps.push(Step {
            delay_days,
            channel,
            rule: Some(rule),
        });
        self
    }

    /// Sets the re-entry policy (default [`Entry::Once`]).
    #[must_use]
    pub fn entry(mut self, entry: Entry) -> Self {
        self.program.entry = entry;
        self
    }

    /// Adds an exit condition (default none).
    #[must_use]
    pub fn exit(mut self, exit: Exit) -> Self {
        self.program.exits.push(exit);
        self
    }

    /// Sets the priority (default 0; higher wins).
    #[must_use]
    pub fn priority(mut self, priority: i32) -> Self {
        self.program.priority = priority;
        self
    }

    /// Sets the control fraction (default 0: no control group).
    #[must_use]
    pub fn control(mut self, fraction: f64) -> Self {
        self.program.control = fraction;
        self
    }

    /// Marks the program transactional (default false).
    #[must_use]
    pub fn transactional(mut self, transactional: bool) -> Self {
        self.program.transactional = transactional;
        self
    }

    /// Validates and returns the program.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] naming the field (`key`, `steps`,
    /// `steps[i].delay_days`, `control`) for a broken invariant (see
    /// [`Program`]).
    pub fn build(self) -> Result<Program> {
        self.program.check()?;
        Ok(self.program)
    }
}
