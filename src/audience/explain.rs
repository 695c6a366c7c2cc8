//! Why a customer is, or is not, in an audience: every clause of the rule
//! with its result and the values it saw.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::customer::AttributeValue;
use crate::id::CustomerId;

use super::compile::{CompiledRule, Op, next_occurrence};
use super::format::write_text;
use super::profile::Profile;
use super::rule::{Field, Truth};

/// The clause-by-clause evaluation of a rule for one customer; made by
/// [`CompiledRule::explain`].
///
/// Displays as an indented tree, one clause per line with its result, the
/// value the clause saw, and how relative dates resolved:
///
/// ```text
/// customer C04: not selected (the rule is false)
/// false    segment in (at_risk, cant_lose_them) and monetary >= 300.00 and last_order < -90d
///   true     segment in (at_risk, cant_lose_them)  [segment = at_risk]
///   false    monetary >= 300.00  [monetary = 35.50]
///   true     last_order < -90d  [last_order = 2025-10-01; -90d is 2025-10-02]
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Explanation {
    /// The customer.
    pub customer: CustomerId,
    /// Whether the customer is selected: the rule is true.
    pub selected: bool,
    /// The whole rule's clause, with its parts nested.
    pub clause: Clause,
}

/// One clause of an [`Explanation`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Clause {
    /// The clause as canonical query text.
    pub text: String,
    /// Its result for the customer.
    pub result: Truth,
    /// For a condition, the value it saw: `monetary = 35.50`, or
    /// `monetary is missing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<String>,
    /// For a condition on dates, how relative dates resolved:
    /// `-90d is 2025-10-02`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The parts of an `and`, `or` or `not`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clauses: Vec<Clause>,
}

impl CompiledRule<'_> {
    /// Explains the rule's result for one customer, or `None` if the
    /// customer has no profile.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::audience::{Profiles, Rule, Truth};
    /// use rfmkit::customer::{Customer, Customers};
    /// use rfmkit::rfm::{RfmModel, ScoringConfig};
    /// use rfmkit::segment::SegmentTable;
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let orders = [
    ///     Order::new("A-1", "alice", d(1, 5)?, Money::new(45_000)),
    ///     Order::new("A-2", "bob", d(3, 1)?, Money::new(1_200)),
    /// ];
    /// let summaries = Summaries::from_orders(&orders, d(3, 31)?)?;
    /// let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    /// let segmentation = SegmentTable::standard().segment_all(&scores)?;
    /// let customers = Customers::new([Customer::new("alice").with_email_opt_in(true)])?;
    /// let profiles = Profiles::builder(&segmentation, &summaries).customers(&customers).build()?;
    ///
    /// let rule = Rule::parse("monetary >= 300.00 and last_order < -30d and email_opt_in", &profiles.schema())?;
    /// let compiled = profiles.compile(&rule)?;
    /// let why = compiled.explain("bob").ok_or("no profile")?;
    /// assert!(!why.selected);
    /// assert_eq!(why.clause.result, Truth::False);
    /// let parts: Vec<(Truth, Option<&str>)> =
    ///     why.clause.clauses.iter().map(|c| (c.result, c.seen.as_deref())).collect();
    /// assert_eq!(parts, [
    ///     (Truth::False, Some("monetary = 12.00")),
    ///     (Truth::False, Some("last_order = 2025-03-01")),
    ///     (Truth::Unknown, Some("email_opt_in is missing")),
    /// ]);
    /// assert_eq!(why.clause.clauses[1].note.as_deref(), Some("-30d is 2025-03-01"));
    /// println!("{why}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn explain(&self, customer: &str) -> Option<Explanation> {
        let row = self.profiles.row(customer)?;
        let profile = self.profiles.get(customer)?;
        let scale = self.profiles.scale();
        let as_of = self.profiles.as_of();
        let mut stack: Vec<Clause> = Vec::new();
        for node in &self.nodes {
            let clause = match &node.op {
                Op::Leaf(leaf) => Clause {
                    text: node.text.clone(),
                    result: leaf.kernel.test(row),
                    seen: Some(seen(&profile, &leaf.condition.field, scale, as_of)),
                    note: leaf.note.clone(),
                    clauses: Vec::new(),
                },
                Op::Not => {
                    let inner = stack.pop();
                    Clause {
                        text: node.text.clone(),
                        result: !inner.as_ref().map_or(Truth::Unknown, |c| c.result),
                        seen: None,
                        note: None,
                        clauses: inner.into_iter().collect(),
                    }
                }
                Op::All(k) | Op::Any(k) => {
                    let parts = stack.split_off(stack.len().saturating_sub(*k));
                    let result = if matches!(node.op, Op::All(_)) {
                        parts.iter().fold(Truth::True, |acc, c| acc.and(c.result))
                    } else {
                        parts.iter().fold(Truth::False, |acc, c| acc.or(c.result))
                    };
                    Clause {
                        text: node.text.clone(),
                        result,
                        seen: None,
                        note: None,
                        clauses: parts,
                    }
                }
            };
            stack.push(clause);
        }
        let clause = stack.pop()?;
        Some(Explanation {
            customer: profile.customer.clone(),
            selected: clause.result == Truth::True,
            clause,
        })
    }
}

/// `field = value` or `field is missing`, for a profile.
fn seen(p: &Profile, field: &Field, scale: u32, as_of: NaiveDate) -> String {
    let name = field.name();
    let money = |m: Option<crate::money::Money>| m.map(|m| m.display_decimal(scale).to_string());
    let value: Option<String> = match field {
        Field::RecencyDays => p.recency_days.map(|v| v.to_string()),
        Field::Frequency => p.frequency.map(|v| v.to_string()),
        Field::Monetary => money(p.monetary),
        Field::AverageOrderValue => money(p.average_order_value),
        Field::FirstOrder => p.first_order.map(|d| d.to_string()),
        Field::LastOrder => p.last_order.map(|d| d.to_string()),
        Field::DaysSinceFirstOrder => p.days_since_first_order.map(|v| v.to_string()),
        Field::FirstOrderAnniversary => p.first_order.map(|d| {
            match next_occurrence(d.month(), d.day(), as_of, Some(d.year())) {
                Some(next) => format!("{d} (next anniversary {next})"),
                None => d.to_string(),
            }
        }),
        Field::R => p.score.map(|s| s.r.to_string()),
        Field::F => p.score.map(|s| s.f.to_string()),
        Field::M => p.score.map(|s| s.m.to_string()),
        Field::RfmCell => p.score.map(|s| s.to_string()),
        Field::Segment => p.segment.as_ref().map(ToString::to_string),
        Field::FirstChannel => p.first_channel.as_ref().map(|t| text(t.as_str())),
        Field::FirstStore => p.first_store.as_ref().map(|t| text(t.as_str())),
        Field::AcquisitionChannel => p.acquisition_channel.as_ref().map(|t| text(t.as_str())),
        Field::SignupDate => p.signup_date.map(|d| d.to_string()),
        Field::Tags => p.tags.as_ref().map(|tags| {
            let list: Vec<String> = tags.iter().map(|t| text(t)).collect();
            format!("({})", list.join(", "))
        }),
        Field::Birthday => p.birthday.map(|b| {
            let next = next_occurrence(u32::from(b.month()), u32::from(b.day()), as_of, None);
            match next {
                Some(next) => format!("{b} (next {next})"),
                None => b.to_string(),
            }
        }),
        Field::BirthdayMonth => p.birthday.map(|b| b.month().to_string()),
        Field::EmailOptIn => p.email_opt_in.map(|b| b.to_string()),
        Field::SmsOptIn => p.sms_opt_in.map(|b| b.to_string()),
        Field::FrequencyDrop => p.frequency_drop.map(|x| x.to_string()),
        Field::PurchaseIntervalDays => p.purchase_interval_days.map(|x| x.to_string()),
        Field::NextPurchaseDue => p.next_purchase_due.map(|d| d.to_string()),
        Field::PAlive => p.predictions.p_alive.map(|x| x.to_string()),
        Field::ExpectedPurchases => p.predictions.expected_purchases.map(|x| x.to_string()),
        Field::PredictedClv => money(p.predictions.predicted_clv),
        Field::Attribute(key) => p.attributes.get(key).map(|v| match v {
            AttributeValue::String(s) => text(s),
            AttributeValue::Number(x) => x.to_string(),
            AttributeValue::Bool(b) => b.to_string(),
            AttributeValue::Date(d) => d.to_string(),
        }),
    };
    match value {
        Some(v) => format!("{name} = {v}"),
        None => format!("{name} is missing"),
    }
}

fn text(t: &str) -> String {
    let mut out = String::new();
    let _ = write_text(&mut out, t);
    out
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.clause.result {
            Truth::True => "selected (the rule is true)",
            Truth::False => "not selected (the rule is false)",
            Truth::Unknown => "not selected (the rule is unknown: a value it needs is missing)",
        };
        writeln!(f, "customer {}: {verdict}", self.customer)?;
        write_clause(f, &self.clause, 0)
    }
}

fn write_clause(f: &mut fmt::Formatter<'_>, clause: &Clause, depth: usize) -> fmt::Result {
    let indent = "  ".repeat(depth);
    write!(f, "{indent}{:<8} {}", clause.result, clause.text)?;
    let details: Vec<&str> = clause
        .seen
        .iter()
        .chain(clause.note.iter())
        .map(String::as_str)
        .collect();
    if !details.is_empty() {
        write!(f, "  [{}]", details.join("; "))?;
    }
    for child in &clause.clauses {
        writeln!(f)?;
        write_clause(f, child, depth + 1)?;
    }
    Ok(())
}
