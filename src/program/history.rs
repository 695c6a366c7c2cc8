//! [`ContactHistory`]: what was sent, to whom, when.

use std::ops::Range;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::CustomerId;

use super::definition::check_key;

/// How a message reaches a customer.
///
/// [`Email`](Self::Email) needs the customer's `email_opt_in` to be true,
/// [`Sms`](Self::Sms) their `sms_opt_in`; the others need no opt-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContactChannel {
    /// An email.
    Email,
    /// A text message.
    Sms,
    /// An app push notification.
    Push,
    /// A letter or catalogue by post.
    Mail,
    /// A phone call.
    Call,
}

impl ContactChannel {
    /// The channel's name as serialized: `email`, `sms`, `push`, `mail`,
    /// `call`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ContactChannel::Email => "email",
            ContactChannel::Sms => "sms",
            ContactChannel::Push => "push",
            ContactChannel::Mail => "mail",
            ContactChannel::Call => "call",
        }
    }
}

impl std::fmt::Display for ContactChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// Whether a planned step reached the customer or was held out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The message was sent (the default).
    #[default]
    Sent,
    /// The customer is in the program's control group: nothing was sent,
    /// but the step is recorded so that the control group moves through
    /// the program like the target group and lift can be measured.
    Control,
}

/// One step of one program for one customer on one date: a row of the
/// [`ContactHistory`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Contact {
    /// The customer.
    pub customer: CustomerId,
    /// The program's key.
    pub program: String,
    /// The step's index in the program (0 = the entry step).
    pub step: u16,
    /// The channel.
    pub channel: ContactChannel,
    /// The send date.
    pub date: NaiveDate,
    /// Sent, or held out as control.
    #[serde(default)]
    pub outcome: Outcome,
    /// The sender's message id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

impl Contact {
    /// A sent contact without a message id.
    #[must_use]
    pub fn sent(
        customer: impl Into<CustomerId>,
        program: &str,
        step: u16,
        channel: ContactChannel,
        date: NaiveDate,
    ) -> Contact {
        Contact {
            customer: customer.into(),
            program: program.to_owned(),
            step,
            channel,
            date,
            outcome: Outcome::Sent,
            message_id: None,
        }
    }

    /// The same contact held out as control.
    #[must_use]
    pub fn held_out(mut self) -> Contact {
        self.outcome = Outcome::Control;
        self
    }
}

/// The append-only record of contacts that caps, sequences and
/// measurement read: every row says which customer got which step of which
/// program, on which channel and date, sent or held out.
///
/// Stored as a JSON list of [`Contact`]s; loading validates like
/// [`ContactHistory::new`]. Rows are kept sorted by customer, then date,
/// program and step, whatever order they were given in.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::program::{Contact, ContactChannel, ContactHistory};
///
/// let day = |d| NaiveDate::from_ymd_opt(2025, 4, d).ok_or("bad date");
/// let mut history = ContactHistory::new([
///     Contact::sent("bob", "winback", 0, ContactChannel::Email, day(3)?),
///     Contact::sent("alice", "f2", 0, ContactChannel::Email, day(1)?),
/// ])?;
/// history.push(Contact::sent("alice", "f2", 1, ContactChannel::Sms, day(8)?))?;
/// assert_eq!(history.len(), 3);
/// assert_eq!(history.of("alice").iter().map(|c| c.step).collect::<Vec<_>>(), [0, 1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Contact>", into = "Vec<Contact>")]
pub struct ContactHistory {
    contacts: Vec<Contact>,
    /// Derived from `contacts` (by [`ContactHistory::index`]) so that
    /// planning reads no string twice.
    derived: Derived,
}

/// What planning needs, derived once per change of the history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Derived {
    /// The latest contact date.
    latest: Option<NaiveDate>,
    /// The distinct program keys, sorted.
    programs: Vec<String>,
    /// Per contact, the index of its program in `programs`.
    program_of: Vec<u32>,
    /// Each customer's row range, in customer order.
    runs: Vec<Range<usize>>,
}

fn sort_key(c: &Contact) -> (&str, NaiveDate, &str, u16) {
    (c.customer.as_str(), c.date, c.program.as_str(), c.step)
}

impl ContactHistory {
    /// A history of `contacts`, in any order.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `contacts[i].program`) for a program
    /// key that is not 1–64 characters of `a-z`, `0-9`, `_` and `-`, or
    /// (`contacts[i].customer`) for an empty customer id.
    pub fn new(contacts: impl IntoIterator<Item = Contact>) -> Result<ContactHistory> {
        let contacts: Vec<Contact> = crate::bounded::bounded(contacts).collect();
        for (i, c) in contacts.iter().enumerate() {
            check(i, c)?;
        }
        let mut history = ContactHistory {
            contacts,
            derived: Derived::default(),
        };
        history.index();
        Ok(history)
    }

    /// Appends one contact (kept in order: a contact dated after every
    /// other of its customer is an append).
    ///
    /// # Errors
    ///
    /// As [`ContactHistory::new`].
    pub fn push(&mut self, contact: Contact) -> Result<()> {
        check(self.contacts.len(), &contact)?;
        let at = self
            .contacts
            .partition_point(|c| sort_key(c) <= sort_key(&contact));
        self.contacts.insert(at, contact);
        self.index();
        Ok(())
    }

    /// Appends a day's [`Plan`](super::Plan): its sends and control
    /// holds, as the back end records them once done. Linear in the
    /// history's size (one merge of two sorted runs).
    pub fn record(&mut self, plan: &super::Plan) {
        self.contacts.extend(plan.contacts().iter().cloned());
        self.index();
    }

    /// Sorts the contacts and derives the planner's indexes (linear after
    /// the sort, which is linear for an append of sorted rows).
    fn index(&mut self) {
        self.contacts.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        let mut programs: Vec<String> = self.contacts.iter().map(|c| c.program.clone()).collect();
        programs.sort_unstable();
        programs.dedup();
        let program_of = self
            .contacts
            .iter()
            .map(|c| {
                let i = programs.binary_search(&c.program).unwrap_or(0);
                u32::try_from(i).unwrap_or(u32::MAX)
            })
            .collect();
        let mut runs = Vec::new();
        let mut start = 0;
        for (i, pair) in self.contacts.windows(2).enumerate() {
            if let [a, b] = pair {
                if a.customer != b.customer {
                    runs.push(start..i + 1);
                    start = i + 1;
                }
            }
        }
        if !self.contacts.is_empty() {
            runs.push(start..self.contacts.len());
        }
        self.derived = Derived {
            latest: self.contacts.iter().map(|c| c.date).max(),
            programs,
            program_of,
            runs,
        };
    }

    /// The number of contacts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.contacts.len()
    }

    /// Whether there is no contact.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.contacts.is_empty()
    }

    /// Every contact, by customer, date, program and step.
    #[must_use]
    pub fn contacts(&self) -> &[Contact] {
        &self.contacts
    }

    /// One customer's contacts, by date, program and step.
    #[must_use]
    pub fn of(&self, customer: &str) -> &[Contact] {
        let start = self
            .contacts
            .partition_point(|c| c.customer.as_str() < customer);
        let end = self
            .contacts
            .partition_point(|c| c.customer.as_str() <= customer);
        self.contacts.get(start..end).unwrap_or_default()
    }

    /// The latest contact date.
    #[must_use]
    pub fn latest(&self) -> Option<NaiveDate> {
        self.derived.latest
    }

    /// Each customer's rows, in customer order: (customer, range).
    pub(crate) fn runs(&self) -> impl Iterator<Item = (&str, Range<usize>)> + '_ {
        self.derived.runs.iter().filter_map(|r| {
            let c = self.contacts.get(r.start)?;
            Some((c.customer.as_str(), r.clone()))
        })
    }

    /// The distinct program keys, sorted; contacts refer to them by index
    /// ([`program_of`](Self::program_of)).
    pub(crate) fn programs(&self) -> &[String] {
        &self.derived.programs
    }

    /// The index in [`programs`](Self::programs) of each contact's program.
    pub(crate) fn program_of(&self) -> &[u32] {
        &self.derived.program_of
    }
}

fn check(i: usize, c: &Contact) -> Result<()> {
    check_key(&c.program).map_err(|reason| {
        Error::config(
            format!("contacts[{i}].program"),
            format!("customer {}: {reason}", c.customer),
        )
    })?;
    if c.customer.as_str().is_empty() {
        return Err(Error::config(
            format!("contacts[{i}].customer"),
            "the customer id is empty",
        ));
    }
    Ok(())
}

impl TryFrom<Vec<Contact>> for ContactHistory {
    type Error = Error;

    fn try_from(contacts: Vec<Contact>) -> Result<ContactHistory> {
        ContactHistory::new(contacts)
    }
}

impl From<ContactHistory> for Vec<Contact> {
    fn from(history: ContactHistory) -> Vec<Contact> {
        history.contacts
    }
}
