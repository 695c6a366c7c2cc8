//! The planner: programs + profiles + history → today's [`Plan`].

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::{Datelike, Days, NaiveDate};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::audience::Profiles;
use crate::campaign::in_control;
use crate::error::{Error, Result};
use crate::id::CustomerId;
use crate::ingest::IdOrder;

use super::definition::{Entry, Exit, Program};
use super::history::{Contact, ContactChannel, ContactHistory, Outcome};

/// A frequency cap: at most `max` messages in any `days` consecutive days
/// (today and the `days − 1` before).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawCap")]
#[non_exhaustive]
pub struct Cap {
    /// The most messages in the window.
    pub max: u32,
    /// The window's length in days, at least 1.
    pub days: u32,
}

/// The contact-pressure rules of a [`Planner`]: an overall cap, caps per
/// channel, and a minimum gap between two messages. Transactional programs
/// are exempt from all three and do not count toward them; held-out
/// (control) contacts never count.
///
/// # Example
///
/// ```
/// use rfmkit::program::{Caps, ContactChannel};
///
/// // At most 3 messages a week, 1 SMS a month, and a day between two.
/// let caps = Caps::new().overall(3, 7)?.channel(ContactChannel::Sms, 1, 30)?.min_gap_days(1);
/// assert_eq!(caps.min_gap(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caps {
    #[serde(default)]
    overall: Option<Cap>,
    #[serde(default)]
    per_channel: BTreeMap<ContactChannel, Cap>,
    #[serde(default)]
    min_gap_days: u32,
}

impl Caps {
    /// No caps and no minimum gap.
    #[must_use]
    pub fn new() -> Caps {
        Caps::default()
    }

    /// At most `max` messages of any channel in `days` days.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `overall.days`) for `days == 0`.
    pub fn overall(mut self, max: u32, days: u32) -> Result<Caps> {
        self.overall = Some(cap("overall", max, days)?);
        Ok(self)
    }

    /// At most `max` messages on `channel` in `days` days.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `per_channel.CHANNEL.days`) for
    /// `days == 0`.
    pub fn channel(mut self, channel: ContactChannel, max: u32, days: u32) -> Result<Caps> {
        let c = cap(&format!("per_channel.{channel}"), max, days)?;
        self.per_channel.insert(channel, c);
        Ok(self)
    }

    /// At least `days` days between two messages (default 0; 1 means at
    /// most one a day).
    #[must_use]
    pub fn min_gap_days(mut self, days: u32) -> Caps {
        self.min_gap_days = days;
        self
    }

    /// The minimum gap in days.
    #[must_use]
    pub fn min_gap(&self) -> u32 {
        self.min_gap_days
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCap {
    max: u32,
    days: u32,
}

impl TryFrom<RawCap> for Cap {
    type Error = Error;

    fn try_from(raw: RawCap) -> Result<Cap> {
        cap("cap", raw.max, raw.days)
    }
}

fn cap(field: &str, max: u32, days: u32) -> Result<Cap> {
    if days == 0 {
        return Err(Error::config(
            format!("{field}.days"),
            "a cap's window is at least 1 day",
        ));
    }
    Ok(Cap { max, days })
}

/// Why a customer a program wanted did not get its step today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
#[non_exhaustive]
pub enum SkipReason {
    /// A frequency cap is reached by earlier days' messages: the overall
    /// one (`channel` none) or the channel's.
    Capped {
        /// The capped channel, `None` for the overall cap.
        channel: Option<ContactChannel>,
    },
    /// Today's messages of a higher-priority program (ties by key) took
    /// the room the caps or the gap leave.
    LowerPriority {
        /// The program that won.
        program: String,
    },
    /// The last message was too recent.
    MinimumGap {
        /// Its date.
        last: NaiveDate,
    },
    /// The customer has not opted in to the step's channel.
    OptedOut {
        /// The channel.
        channel: ContactChannel,
    },
    /// The step's own rule does not hold today (the step waits).
    StepRule,
    /// The run ended by an exit condition before this step.
    Exited,
    /// The program admits a customer once, and this one was in it.
    AlreadyReceived,
    /// The customer may enter again on `until`.
    QuietPeriod {
        /// The first day they may re-enter.
        until: NaiveDate,
    },
}

/// A step a program wanted for a customer and did not get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Skip {
    /// The customer.
    pub customer: CustomerId,
    /// The program's key.
    pub program: String,
    /// The step's index.
    pub step: u16,
    /// Why.
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// Today's plan: the contacts to make (sent, or held out as control), and
/// every step a program wanted but did not get, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Plan {
    /// The day planned.
    pub as_of: NaiveDate,
    contacts: Vec<Contact>,
    skipped: Vec<Skip>,
}

impl Plan {
    /// The contacts, by customer (in the profiles' id order), then program
    /// key and step; append them to the history once done
    /// ([`ContactHistory::record`]).
    #[must_use]
    pub fn contacts(&self) -> &[Contact] {
        &self.contacts
    }

    /// The contacts actually sent (not held out).
    pub fn sends(&self) -> impl Iterator<Item = &Contact> {
        self.contacts.iter().filter(|c| c.outcome == Outcome::Sent)
    }

    /// The steps not given, in the same order.
    #[must_use]
    pub fn skipped(&self) -> &[Skip] {
        &self.skipped
    }
}

/// Plans a day of CRM programs; see the [module docs](super).
#[derive(Debug, Clone, PartialEq)]
pub struct Planner {
    programs: Vec<Program>,
    caps: Caps,
}

impl Planner {
    /// A planner for `programs` under `caps`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `programs[i].key`) if two programs
    /// share a key.
    pub fn new(programs: impl IntoIterator<Item = Program>, caps: Caps) -> Result<Planner> {
        let mut programs: Vec<Program> = crate::bounded::bounded(programs).collect();
        let mut seen = FxHashMap::default();
        for (i, p) in programs.iter().enumerate() {
            if let Some(first) = seen.insert(p.key().to_owned(), i) {
                return Err(Error::config(
                    format!("programs[{i}].key"),
                    format!("{} is also the key of programs[{first}]", p.key()),
                ));
            }
        }
        programs.sort_by(|a, b| a.key().cmp(b.key()));
        Ok(Planner { programs, caps })
    }

    /// The programs, by key.
    #[must_use]
    pub fn programs(&self) -> &[Program] {
        &self.programs
    }

    /// Plans the profiles' as-of date: for each customer and program, the
    /// step due (entry when the audience holds and the entry policy
    /// allows; the next step of a running sequence when its delay has
    /// passed and no exit holds), then per customer the opt-ins, the
    /// control group, and the caps by priority.
    ///
    /// Deterministic and independent of the order of programs and
    /// history; planning a day again after [recording](ContactHistory::record)
    /// its plan adds no contact.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `contacts[i].date`) for a contact
    /// after the as-of date; the errors of compiling a program's rules
    /// against the profiles ([`Profiles::compile`]).
    pub fn plan(&self, profiles: &Profiles, history: &ContactHistory) -> Result<Plan> {
        let as_of = profiles.as_of();
        if history.latest().is_some_and(|latest| latest > as_of) {
            let late = history
                .contacts()
                .iter()
                .enumerate()
                .find(|(_, c)| c.date > as_of);
            if let Some((i, c)) = late {
                return Err(Error::config(
                    format!("contacts[{i}].date"),
                    format!(
                        "customer {}: {} is after the planning date {as_of}",
                        c.customer, c.date
                    ),
                ));
            }
        }
        let n = profiles.len();
        let rows = |rule| -> Result<Vec<bool>> {
            let mut out = vec![false; n];
            for r in profiles.compile(rule)?.selected_rows() {
                if let Some(slot) = out.get_mut(r) {
                    *slot = true;
                }
            }
            Ok(out)
        };
        let mut compiled = Vec::with_capacity(self.programs.len());
        for p in &self.programs {
            let steps = p
                .steps()
                .iter()
                .map(|s| s.rule.as_ref().map(&rows).transpose())
                .collect::<Result<Vec<_>>>()?;
            let exits = p
                .exits()
                .iter()
                .map(|e| match e {
                    Exit::Rule(r) => rows(r).map(Some),
                    _ => Ok(None),
                })
                .collect::<Result<Vec<_>>>()?;
            compiled.push(Compiled {
                program: p,
                audience: rows(p.audience())?,
                steps,
                exits,
            });
        }
        // Programs are sorted by key: a contact's program is found by
        // binary search.
        let keys: Vec<&str> = self.programs.iter().map(Program::key).collect();
        // The history's program ids → the planner's program index.
        let to_planner: Vec<Option<usize>> = history
            .programs()
            .iter()
            .map(|k| keys.binary_search(&k.as_str()).ok())
            .collect();
        let program_of = history.program_of();
        let mut lookup = RunLookup::new(history, profiles.id_order());
        let mut runs: Vec<Option<Run>> = vec![None; keys.len()];
        let mut wanted = Vec::new();
        let mut candidates = Vec::new();
        let mut pressure = Pressure::default();
        let cols = &profiles.cols;
        let mut plan = Plan {
            as_of,
            contacts: Vec::new(),
            skipped: Vec::new(),
        };
        for (row, customer) in profiles.customers().iter().enumerate() {
            let range = lookup.next(customer.as_str()).unwrap_or(0..0);
            let first_row = range.start;
            let past = history.contacts().get(range).unwrap_or_default();
            let facts = Facts {
                row,
                as_of,
                last_order: cols.last_order.get(row),
                email: cols.email_opt_in.get(row) == Some(1),
                sms: cols.sms_opt_in.get(row) == Some(1),
            };
            let (first_contact, first_skip) = (plan.contacts.len(), plan.skipped.len());
            // One pass over the customer's history: each program's latest
            // run, and the sends that count toward caps.
            runs.fill(None);
            pressure.clear();
            for (i, c) in past.iter().enumerate() {
                let program = program_of
                    .get(first_row + i)
                    .and_then(|&p| to_planner.get(crate::id::widen(p)))
                    .copied()
                    .flatten();
                if let Some(run) = program.and_then(|p| runs.get_mut(p)) {
                    match run {
                        Some(r) if c.step != 0 => {
                            r.step = r.step.max(c.step);
                            r.last = r.last.max(c.date);
                        }
                        _ => {
                            *run = Some(Run {
                                entered: c.date,
                                step: c.step,
                                last: c.date,
                            });
                        }
                    }
                }
                let exempt = program
                    .and_then(|p| self.programs.get(p))
                    .is_some_and(Program::transactional);
                if c.outcome == Outcome::Sent && !exempt {
                    pressure.past.push((c.date, c.channel));
                }
            }
            wanted.clear();
            for (c, run) in compiled.iter().zip(&runs) {
                match c.due(&facts, run.as_ref()) {
                    Due::Nothing => {}
                    Due::Skip(step, reason) => {
                        plan.skipped.push(skip(customer, c.program, step, reason))
                    }
                    Due::Step(step) => wanted.push((c, step)),
                }
            }
            // Opt-ins and control first; the rest compete for the caps.
            candidates.clear();
            for &(c, step) in &wanted {
                let Some(s) = c.program.steps().get(usize::from(step)) else {
                    continue;
                };
                if !facts.consents(s.channel) {
                    let reason = SkipReason::OptedOut { channel: s.channel };
                    plan.skipped.push(skip(customer, c.program, step, reason));
                } else if in_control(c.program.key(), customer.as_str(), c.program.control()) {
                    let contact =
                        Contact::sent(customer.clone(), c.program.key(), step, s.channel, as_of);
                    plan.contacts.push(contact.held_out());
                } else {
                    candidates.push((c.program, step, s.channel));
                }
            }
            candidates.sort_by(|a, b| {
                b.0.priority()
                    .cmp(&a.0.priority())
                    .then_with(|| a.0.key().cmp(b.0.key()))
            });
            for &(program, step, channel) in &candidates {
                if !program.transactional() {
                    if let Some(reason) = pressure.refuse(&self.caps, channel, as_of) {
                        plan.skipped.push(skip(customer, program, step, reason));
                        continue;
                    }
                    pressure.take(program.key(), channel);
                }
                plan.contacts.push(Contact::sent(
                    customer.clone(),
                    program.key(),
                    step,
                    channel,
                    as_of,
                ));
            }
            // Customers come in id order; within one, by program and step.
            if let Some(mine) = plan.contacts.get_mut(first_contact..) {
                mine.sort_by(|a, b| (&a.program, a.step).cmp(&(&b.program, b.step)));
            }
            if let Some(mine) = plan.skipped.get_mut(first_skip..) {
                mine.sort_by(|a, b| (&a.program, a.step).cmp(&(&b.program, b.step)));
            }
        }
        Ok(plan)
    }
}

/// Finds each profile's rows in the history: a merge join when the
/// profiles are in text id order (the history's order), a hash map
/// otherwise. Profiles are visited in row order.
enum RunLookup<'h> {
    Merge {
        runs: Vec<(&'h str, Range<usize>)>,
        at: usize,
    },
    Hash(FxHashMap<&'h str, Range<usize>>),
}

impl<'h> RunLookup<'h> {
    fn new(history: &'h ContactHistory, order: IdOrder) -> RunLookup<'h> {
        let runs: Vec<(&str, Range<usize>)> = history.runs().collect();
        match order {
            IdOrder::Text => RunLookup::Merge { runs, at: 0 },
            _ => RunLookup::Hash(runs.into_iter().collect()),
        }
    }

    /// The rows of `customer`, the next profile in row order.
    fn next(&mut self, customer: &str) -> Option<Range<usize>> {
        match self {
            RunLookup::Merge { runs, at } => {
                while runs.get(*at).is_some_and(|(c, _)| *c < customer) {
                    *at += 1;
                }
                match runs.get(*at) {
                    Some((c, r)) if *c == customer => Some(r.clone()),
                    _ => None,
                }
            }
            RunLookup::Hash(map) => map.get(customer).cloned(),
        }
    }
}

fn skip(customer: &CustomerId, program: &Program, step: u16, reason: SkipReason) -> Skip {
    Skip {
        customer: customer.clone(),
        program: program.key().to_owned(),
        step,
        reason,
    }
}

/// A program with its rules evaluated over the profiles.
struct Compiled<'p> {
    program: &'p Program,
    audience: Vec<bool>,
    /// Per step, the rows where its rule holds (`None`: no rule).
    steps: Vec<Option<Vec<bool>>>,
    /// Per exit, for rule exits, the rows where the rule holds.
    exits: Vec<Option<Vec<bool>>>,
}

/// What one customer's profile says today.
struct Facts {
    row: usize,
    as_of: NaiveDate,
    /// Day number of the last purchase.
    last_order: Option<i64>,
    email: bool,
    sms: bool,
}

impl Facts {
    /// Whether the customer agreed to messages on `channel`: email and SMS
    /// need their opt-in; the other channels need none.
    fn consents(&self, channel: ContactChannel) -> bool {
        match channel {
            ContactChannel::Email => self.email,
            ContactChannel::Sms => self.sms,
            _ => true,
        }
    }
}

/// The step a program wants today, if any.
enum Due {
    Nothing,
    Step(u16),
    Skip(u16, SkipReason),
}

/// The latest run of a program for one customer, from the history.
#[derive(Clone, Copy)]
struct Run {
    entered: NaiveDate,
    /// The highest step recorded in the run.
    step: u16,
    last: NaiveDate,
}

impl Compiled<'_> {
    fn holds(rows: &[bool], row: usize) -> bool {
        rows.get(row).copied().unwrap_or(false)
    }

    fn due(&self, f: &Facts, run: Option<&Run>) -> Due {
        let in_audience = Compiled::holds(&self.audience, f.row);
        if let Some(r) = run {
            let next = r.step.saturating_add(1);
            if let Some(step) = self.program.steps().get(usize::from(next)) {
                let due = r
                    .entered
                    .checked_add_days(Days::new(u64::from(step.delay_days)));
                let is_due = due.is_some_and(|d| d <= f.as_of);
                if !self.exited(f, r, in_audience, step.channel) {
                    if !is_due {
                        return Due::Nothing;
                    }
                    let rule_holds = self
                        .steps
                        .get(usize::from(next))
                        .and_then(Option::as_ref)
                        .is_none_or(|rows| Compiled::holds(rows, f.row));
                    return if rule_holds {
                        Due::Step(next)
                    } else {
                        Due::Skip(next, SkipReason::StepRule)
                    };
                }
                // Reported on the day the step fell due; after that the
                // run is over and the entry policy applies.
                if due == Some(f.as_of) {
                    return Due::Skip(next, SkipReason::Exited);
                }
            }
        }
        if !in_audience {
            return Due::Nothing;
        }
        match (run, self.program.entry()) {
            (None, _) => Due::Step(0),
            (Some(_), Entry::Once) => Due::Skip(0, SkipReason::AlreadyReceived),
            (Some(r), Entry::AfterDays(days)) => {
                match r.last.checked_add_days(Days::new(u64::from(days))) {
                    Some(until) if until <= f.as_of => Due::Step(0),
                    Some(until) => Due::Skip(0, SkipReason::QuietPeriod { until }),
                    None => Due::Skip(0, SkipReason::AlreadyReceived),
                }
            }
        }
    }

    /// Whether an exit condition holds for a running sequence.
    fn exited(&self, f: &Facts, r: &Run, in_audience: bool, next: ContactChannel) -> bool {
        self.program
            .exits()
            .iter()
            .zip(&self.exits)
            .any(|(exit, rows)| match exit {
                Exit::Purchase => f
                    .last_order
                    .is_some_and(|d| d > i64::from(r.entered.num_days_from_ce())),
                Exit::LeftAudience => !in_audience,
                Exit::OptOut => !f.consents(next),
                Exit::Rule(_) => rows
                    .as_ref()
                    .is_some_and(|rows| Compiled::holds(rows, f.row)),
            })
    }
}

/// One customer's contact pressure: sent, non-transactional messages in
/// the history and the ones planned today (buffers reused across
/// customers).
#[derive(Default)]
struct Pressure<'a> {
    /// Dates and channels of past sends that count.
    past: Vec<(NaiveDate, ContactChannel)>,
    /// Programs and channels accepted today, in order.
    today: Vec<(&'a str, ContactChannel)>,
}

impl<'a> Pressure<'a> {
    fn clear(&mut self) {
        self.past.clear();
        self.today.clear();
    }

    fn take(&mut self, program: &'a str, channel: ContactChannel) {
        self.today.push((program, channel));
    }

    /// Why one more message on `channel` today is refused, if it is.
    fn refuse(&self, caps: &Caps, channel: ContactChannel, as_of: NaiveDate) -> Option<SkipReason> {
        let winner = |on: Option<ContactChannel>| {
            self.today
                .iter()
                .find(|(_, ch)| on.is_none_or(|c| c == *ch))
                .map(|(p, _)| SkipReason::LowerPriority {
                    program: (*p).to_owned(),
                })
        };
        if caps.min_gap_days > 0 {
            if !self.today.is_empty() {
                return winner(None);
            }
            let last = self.past.iter().map(|&(d, _)| d).max();
            if let Some(last) = last {
                if (as_of - last).num_days() < i64::from(caps.min_gap_days) {
                    return Some(SkipReason::MinimumGap { last });
                }
            }
        }
        let checks = caps
            .overall
            .map(|c| (None, c))
            .into_iter()
            .chain(caps.per_channel.get(&channel).map(|&c| (Some(channel), c)));
        for (on, cap) in checks {
            let start = as_of.checked_sub_days(Days::new(u64::from(cap.days.saturating_sub(1))));
            let in_window = |d: NaiveDate, ch: ContactChannel| {
                start.is_none_or(|s| d >= s) && on.is_none_or(|c| c == ch)
            };
            let before = self
                .past
                .iter()
                .filter(|&&(d, ch)| in_window(d, ch))
                .count();
            let today = self
                .today
                .iter()
                .filter(|&&(_, ch)| on.is_none_or(|c| c == ch))
                .count();
            let max = usize::try_from(cap.max).unwrap_or(usize::MAX);
            if before + today >= max {
                return if before >= max {
                    Some(SkipReason::Capped { channel: on })
                } else {
                    winner(on)
                };
            }
        }
        None
    }
}
