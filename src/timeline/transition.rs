//! [`Transitions`]: two snapshots compared.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::CustomerId;
use crate::ingest::OrderLog;
use crate::money::Money;
use crate::rfm::{RfmModel, RfmScore, Score, ScoringConfig};
use crate::segment::{Segment, SegmentTable};
use crate::summary::Summaries;

use super::snapshot::Snapshot;

/// Which cuts score the later date of a comparison; see the
/// [module docs](super#frozen-model-or-refit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModelMode {
    /// The earlier date's fitted model scores both dates (the default): a
    /// move means the customer changed.
    #[default]
    Frozen,
    /// Each date is scored by a model fitted on that date's population: a
    /// move can also mean the population changed.
    Refit,
}

/// Where a customer stood in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Standing {
    /// Their segment.
    pub segment: Segment,
    /// Their R, F, M scores.
    pub score: RfmScore,
    /// Their net revenue as of that date.
    pub monetary: Money,
}

impl fmt::Display for Standing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.segment, self.score)
    }
}

/// One customer whose segment or scores moved between two snapshots.
///
/// `before` is `None` for a customer scored only at the later date (a new
/// customer, or one whose first purchase came after the earlier date);
/// `after` is `None` for one scored only at the earlier date.
///
/// Displays as `C123: loyal 4-4-3 → at_risk 2-4-3`, with `(absent)` for a
/// missing side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Change {
    /// The customer.
    pub customer: CustomerId,
    /// Where they stood at the earlier date.
    pub before: Option<Standing>,
    /// Where they stand at the later date.
    pub after: Option<Standing>,
}

impl Change {
    /// Whether the segment changed (including entering or leaving the
    /// scored population), not only a score.
    #[must_use]
    pub fn moved(&self) -> bool {
        self.before.as_ref().map(|s| &s.segment) != self.after.as_ref().map(|s| &s.segment)
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |s: &Option<Standing>| {
            s.as_ref()
                .map_or("(absent)".to_owned(), ToString::to_string)
        };
        write!(
            f,
            "{}: {} → {}",
            self.customer,
            side(&self.before),
            side(&self.after)
        )
    }
}

/// One cell of the migration matrix: the customers who were in segment
/// `from` at the earlier date and are in `to` at the later one.
///
/// `from` is `None` for customers absent at the earlier date, `to` for
/// customers absent at the later one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Migration {
    /// The segment at the earlier date.
    pub from: Option<Segment>,
    /// The segment at the later date.
    pub to: Option<Segment>,
    /// How many customers.
    pub customers: u64,
    /// Their net revenue as of the earlier date (0 for absent customers).
    pub revenue_from: Money,
    /// Their net revenue as of the later date (0 for absent customers).
    pub revenue_to: Money,
}

/// Whether a [`SegmentEvent`] is an entry or an exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// The customer is in the segment at the later date and was not at
    /// the earlier one.
    Entered,
    /// The customer was in the segment at the earlier date and is not at
    /// the later one.
    Exited,
}

/// A customer entering or leaving a segment between two dates: the
/// trigger of a CRM program ("became dormant", "left champions").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SegmentEvent {
    /// The customer.
    pub customer: CustomerId,
    /// Entered or exited.
    pub kind: EventKind,
    /// The segment entered or left.
    pub segment: Segment,
    /// The segment on the other side (left for an entry, entered for an
    /// exit); `None` when the customer was or is absent.
    pub other: Option<Segment>,
    /// The later date of the comparison, when the move was seen.
    pub date: NaiveDate,
}

/// Two snapshots compared: the migration matrix, the per-customer changes
/// and the entry and exit events; see the [module docs](super).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
/// use rfmkit::segment::SegmentTable;
/// use rfmkit::summary::Summaries;
/// use rfmkit::timeline::{Snapshot, Transitions};
/// use rfmkit::{Money, Order};
///
/// let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let orders = [
///     Order::new("A-1", "alice", day(3, 1)?, Money::new(5_000)),
///     Order::new("A-2", "alice", day(3, 20)?, Money::new(4_000)),
///     Order::new("A-3", "bob", day(1, 5)?, Money::new(2_000)),
/// ];
/// let table = SegmentTable::standard();
/// let config = ScoringConfig::builder().method(Method::Rank).build()?;
/// let march = Summaries::from_orders(&orders, day(3, 31)?)?;
/// let model = RfmModel::fit(&config, &march);
/// let before = Snapshot::take(&model, &table, &march)?;
///
/// // Nothing bought since: by June both are older than every frozen
/// // recency cut (bob's 85 days, alice's 11), so R = 1.
/// let june = Summaries::from_orders(&orders, day(6, 30)?)?;
/// let after = Snapshot::take(&model, &table, &june)?;
/// let moves = Transitions::between(&before, &after)?;
/// let alice = moves.change("alice").ok_or("no change")?;
/// assert_eq!(alice.to_string(), "alice: champions 5-5-5 → cant_lose_them 1-5-5");
/// assert_eq!(moves.exited("champions").collect::<Vec<_>>(), ["alice"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transitions {
    from: NaiveDate,
    to: NaiveDate,
    mode: ModelMode,
    matrix: Vec<Migration>,
    changes: Vec<Change>,
}

impl Transitions {
    /// Compares two snapshots taken with the same segment table, `before`
    /// no later than `after`.
    ///
    /// The mode is [`ModelMode::Frozen`] when both snapshots were scored
    /// by the same model, else [`ModelMode::Refit`]. One merge pass over
    /// the two id-sorted customer lists.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `table`) if the snapshots' tables
    /// differ, (field `id_order`) if their models order ids differently,
    /// (field `as_of`) if `before` is later than `after`;
    /// [`Error::OutOfRange`] if a cell's revenue leaves `i64` minor units.
    pub fn between(before: &Snapshot, after: &Snapshot) -> Result<Transitions> {
        if before.table() != after.table() {
            return Err(Error::config(
                "table",
                "the snapshots were segmented with different tables; compare snapshots of one table",
            ));
        }
        let order = before.model().id_order();
        if after.model().id_order() != order {
            return Err(Error::config(
                "id_order",
                "the snapshots order ids differently",
            ));
        }
        if before.as_of() > after.as_of() {
            return Err(Error::config(
                "as_of",
                format!(
                    "the earlier snapshot is as of {} but the later one as of {}",
                    before.as_of(),
                    after.as_of()
                ),
            ));
        }
        let mode = if before.model() == after.model() {
            ModelMode::Frozen
        } else {
            ModelMode::Refit
        };
        // (from, to) segment indices, `u16::MAX` for absent, in table order.
        let mut cells: BTreeMap<(u16, u16), (u64, i128, i128)> = BTreeMap::new();
        let mut changes = Vec::new();
        let (a, b) = (before.customers(), after.customers());
        let (mut i, mut j) = (0, 0);
        loop {
            let step = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) => order.compare(x.as_str(), y.as_str()),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => break,
            };
            let (was, is) = match step {
                Ordering::Less => (Some(i), None),
                Ordering::Greater => (None, Some(j)),
                Ordering::Equal => (Some(i), Some(j)),
            };
            let seg = |s: &Snapshot, k: Option<usize>| {
                k.and_then(|k| s.segment_index(k)).unwrap_or(ABSENT)
            };
            let money =
                |s: &Snapshot, k: Option<usize>| k.map_or(0, |k| i128::from(s.monetary_at(k)));
            let cell = cells
                .entry((seg(before, was), seg(after, is)))
                .or_insert((0, 0, 0));
            cell.0 += 1;
            cell.1 += money(before, was);
            cell.2 += money(after, is);
            let scores_moved = match (was, is) {
                (Some(p), Some(q)) => {
                    before.scores_at(p) != after.scores_at(q) || seg(before, was) != seg(after, is)
                }
                _ => true,
            };
            if scores_moved {
                let customer = match (was, is) {
                    (Some(p), _) => a.get(p),
                    (None, Some(q)) => b.get(q),
                    (None, None) => None,
                };
                if let Some(customer) = customer {
                    changes.push(Change {
                        customer: customer.clone(),
                        before: was.and_then(|k| standing(before, k)),
                        after: is.and_then(|k| standing(after, k)),
                    });
                }
            }
            i += usize::from(was.is_some());
            j += usize::from(is.is_some());
        }
        let segments: Vec<&Segment> = before.table().segments().collect();
        let name = |k: u16| segments.get(usize::from(k)).map(|s| (*s).clone());
        let total = |x: i128, what: &str| {
            i64::try_from(x)
                .map(Money::new)
                .map_err(|_| Error::OutOfRange {
                    what: "revenue",
                    value: x.to_string(),
                    expected: format!("{what} within i64 minor units"),
                })
        };
        let mut matrix = Vec::with_capacity(cells.len());
        for ((from, to), (customers, rf, rt)) in cells {
            matrix.push(Migration {
                from: name(from),
                to: name(to),
                customers,
                revenue_from: total(rf, "a migration cell's revenue")?,
                revenue_to: total(rt, "a migration cell's revenue")?,
            });
        }
        Ok(Transitions {
            from: before.as_of(),
            to: after.as_of(),
            mode,
            matrix,
            changes,
        })
    }

    /// Compares the pipeline at `from` with the pipeline at the log's own
    /// date: summaries of [`log.until(from)`](OrderLog::until) and of
    /// `log`, scored by `config` and segmented by `table`; in
    /// [`ModelMode::Frozen`] the model fitted at `from` scores both dates,
    /// in [`ModelMode::Refit`] each date gets its own fit.
    ///
    /// # Errors
    ///
    /// As [`OrderLog::until`], [`Summaries::from_log`], [`Snapshot::take`]
    /// and [`Transitions::between`].
    pub fn from_log(
        log: &OrderLog,
        from: NaiveDate,
        config: &ScoringConfig,
        table: &SegmentTable,
        mode: ModelMode,
    ) -> Result<Transitions> {
        let earlier = Summaries::from_log(&log.until(from)?)?;
        let later = Summaries::from_log(log)?;
        let model = RfmModel::fit(config, &earlier);
        let before = Snapshot::take(&model, table, &earlier)?;
        let after = match mode {
            ModelMode::Frozen => Snapshot::take(&model, table, &later)?,
            ModelMode::Refit => Snapshot::take(&RfmModel::fit(config, &later), table, &later)?,
        };
        Transitions::between(&before, &after)
    }

    /// The earlier date.
    #[must_use]
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// The later date.
    #[must_use]
    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// Whether one model scored both dates.
    #[must_use]
    pub fn mode(&self) -> ModelMode {
        self.mode
    }

    /// The migration matrix: one entry per (segment before, segment after)
    /// pair with at least one customer, in the table's segment order
    /// (absent last) by `from`, then by `to`. The diagonal holds the
    /// customers who stayed.
    #[must_use]
    pub fn matrix(&self) -> &[Migration] {
        &self.matrix
    }

    /// The customers whose segment or scores moved, in id order; customers
    /// whose standing is the same at both dates are not listed.
    #[must_use]
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// One customer's change, if they moved.
    #[must_use]
    pub fn change(&self, customer: &str) -> Option<&Change> {
        self.changes
            .iter()
            .find(|c| c.customer.as_str() == customer)
    }

    /// Every entry and exit, in customer order (an exit before the entry
    /// it pairs with).
    pub fn events(&self) -> impl Iterator<Item = SegmentEvent> + '_ {
        self.changes
            .iter()
            .filter(|c| c.moved())
            .flat_map(move |c| {
                let was = c.before.as_ref().map(|s| s.segment.clone());
                let is = c.after.as_ref().map(|s| s.segment.clone());
                let exit = was.clone().map(|segment| SegmentEvent {
                    customer: c.customer.clone(),
                    kind: EventKind::Exited,
                    segment,
                    other: is.clone(),
                    date: self.to,
                });
                let entry = is.map(|segment| SegmentEvent {
                    customer: c.customer.clone(),
                    kind: EventKind::Entered,
                    segment,
                    other: was,
                    date: self.to,
                });
                exit.into_iter().chain(entry)
            })
    }

    /// The customers who entered `segment`, in id order.
    pub fn entered<'a>(&'a self, segment: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.changes
            .iter()
            .filter(move |c| {
                c.moved()
                    && c.after
                        .as_ref()
                        .is_some_and(|s| s.segment.as_str() == segment)
            })
            .map(|c| c.customer.as_str())
    }

    /// The customers who left `segment`, in id order.
    pub fn exited<'a>(&'a self, segment: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.changes
            .iter()
            .filter(move |c| {
                c.moved()
                    && c.before
                        .as_ref()
                        .is_some_and(|s| s.segment.as_str() == segment)
            })
            .map(|c| c.customer.as_str())
    }

    /// The customers scored at the later date only, in id order.
    pub fn new_customers(&self) -> impl Iterator<Item = &str> {
        self.changes
            .iter()
            .filter(|c| c.before.is_none())
            .map(|c| c.customer.as_str())
    }
}

/// The segment index of an absent side; sorts after every real segment.
const ABSENT: u16 = u16::MAX;

fn standing(snapshot: &Snapshot, k: usize) -> Option<Standing> {
    let [r, f, m] = snapshot.scores_at(k)?;
    let score = |s: u8| Score::new(s).ok();
    Some(Standing {
        segment: snapshot.segment_at(k)?.clone(),
        score: RfmScore::new(score(r)?, score(f)?, score(m)?),
        monetary: Money::new(snapshot.monetary_at(k)),
    })
}

impl fmt::Display for Transitions {
    /// The migration matrix as a table: `from`, `to`, customers and both
    /// revenues, `(absent)` for a missing side.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |s: &Option<Segment>| {
            s.as_ref()
                .map_or("(absent)".to_owned(), ToString::to_string)
        };
        let mut rows = vec![vec![
            "from".to_owned(),
            "to".to_owned(),
            "customers".to_owned(),
            "revenue_from".to_owned(),
            "revenue_to".to_owned(),
        ]];
        for cell in &self.matrix {
            rows.push(vec![
                side(&cell.from),
                side(&cell.to),
                cell.customers.to_string(),
                cell.revenue_from.minor_units().to_string(),
                cell.revenue_to.minor_units().to_string(),
            ]);
        }
        crate::table::write(f, &rows, crate::table::Style::left(2))
    }
}
