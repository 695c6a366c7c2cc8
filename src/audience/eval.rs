//! Evaluation of a [`CompiledRule`]: over all profiles, one condition at a
//! time over its column (64 customers per machine word, true and false kept
//! as two bit sets so that "unknown" is neither), or for one customer.

use serde::{Deserialize, Serialize};

use crate::id::CustomerId;

use super::column::{Bits, IntValues};
use super::compile::{Cmp, CompiledRule, IntPred, Kernel, Op, later, lookup};
use super::profile::Profiles;
use super::rule::{Rule, Truth};

/// A condition's or rule's result for every profile: the rows where it is
/// true and the rows where it is false; the others are unknown.
#[derive(Debug, Clone)]
pub(crate) struct Tri {
    pub(crate) t: Bits,
    pub(crate) f: Bits,
}

impl Tri {
    fn and(self, other: &Tri) -> Tri {
        Tri {
            t: self.t.zip(&other.t, |a, b| a & b),
            f: self.f.zip(&other.f, |a, b| a | b),
        }
    }

    fn or(self, other: &Tri) -> Tri {
        Tri {
            t: self.t.zip(&other.t, |a, b| a | b),
            f: self.f.zip(&other.f, |a, b| a & b),
        }
    }
}

/// Columns shorter than this are scanned on the calling thread even with the
/// `parallel` feature: below it, splitting costs more than it saves.
#[cfg(feature = "parallel")]
const PARALLEL_MIN_ROWS: usize = 1 << 16;

/// Scans a column: bit `i` of `t` is set when row `i` is valid and
/// `pred(value)`, of `f` when it is valid and not.
///
/// With the `parallel` feature, columns of at least `PARALLEL_MIN_ROWS`
/// rows are scanned in 64-row words on all threads of rayon's current pool;
/// each word depends only on its own rows, so the result is identical.
#[inline]
fn scan<T: Copy + Send + Sync>(values: &[T], valid: &Bits, pred: impl Fn(T) -> bool + Sync) -> Tri {
    let word_of = |chunk: &[T], ok: u64| {
        let mut word = 0_u64;
        for (j, &v) in chunk.iter().enumerate() {
            word |= u64::from(pred(v)) << j;
        }
        (word & ok, !word & ok)
    };
    let (t, f): (Vec<u64>, Vec<u64>) = {
        #[cfg(feature = "parallel")]
        {
            if values.len() >= PARALLEL_MIN_ROWS {
                use rayon::prelude::*;
                let pairs: Vec<(u64, u64)> = values
                    .par_chunks(64)
                    .zip(valid.words.par_iter())
                    .map(|(chunk, &ok)| word_of(chunk, ok))
                    .collect();
                pairs.into_iter().unzip()
            } else {
                values
                    .chunks(64)
                    .zip(&valid.words)
                    .map(|(chunk, &ok)| word_of(chunk, ok))
                    .unzip()
            }
        }
        #[cfg(not(feature = "parallel"))]
        {
            values
                .chunks(64)
                .zip(&valid.words)
                .map(|(chunk, &ok)| word_of(chunk, ok))
                .unzip()
        }
    };
    Tri {
        t: Bits {
            words: t,
            len: valid.len,
        },
        f: Bits {
            words: f,
            len: valid.len,
        },
    }
}

fn scan_int(values: &IntValues, valid: &Bits, pred: &IntPred, negate: bool) -> Tri {
    match values {
        IntValues::Narrow(v) => scan_int_as(v, valid, pred, negate),
        IntValues::Wide(v) => scan_int_as(v, valid, pred, negate),
    }
}

fn scan_int_as<T>(values: &[T], valid: &Bits, pred: &IntPred, negate: bool) -> Tri
where
    T: Copy + Send + Sync + Into<i64>,
{
    // One monomorphized loop per predicate and width, so the comparison
    // inlines; `v` is widened to i64 in a register.
    macro_rules! go {
        ($v:ident => $test:expr) => {
            scan(values, valid, |x: T| {
                let $v: i64 = x.into();
                ($test) != negate
            })
        };
    }
    match pred {
        IntPred::Cmp(Cmp::Eq, k) => go!(v => v == *k),
        IntPred::Cmp(Cmp::Lt, k) => go!(v => v < *k),
        IntPred::Cmp(Cmp::Le, k) => go!(v => v <= *k),
        IntPred::Cmp(Cmp::Gt, k) => go!(v => v > *k),
        IntPred::Cmp(Cmp::Ge, k) => go!(v => v >= *k),
        IntPred::Between(lo, hi) => go!(v => *lo <= v && v <= *hi),
        IntPred::In(set) if set.len() <= 8 => go!(v => set.contains(&v)),
        IntPred::In(set) => go!(v => set.binary_search(&v).is_ok()),
        IntPred::Table(table) => go!(v => lookup(table, v)),
        IntPred::Later(table) => go!(v => later(table, v)),
    }
}

impl Kernel<'_> {
    fn scan(&self, n: usize) -> Tri {
        match self {
            Kernel::Int { col, pred, negate } => scan_int(&col.values, &col.valid, pred, *negate),
            Kernel::Float { col, pred, negate } => {
                scan(&col.values, &col.valid, |v| pred.eval(v) != *negate)
            }
            Kernel::Tags { col, tag } => {
                // A row's tags are `ids[offsets[row]..offsets[row + 1]]`.
                let has_tag = |row: usize| {
                    tag.is_some_and(
                        |tag| match (col.offsets.get(row), col.offsets.get(row + 1)) {
                            (Some(&a), Some(&b)) => {
                                col.ids.get(a..b).is_some_and(|ids| ids.contains(&tag))
                            }
                            _ => false,
                        },
                    )
                };
                let mut t = Vec::with_capacity(col.valid.words.len());
                let mut f = Vec::with_capacity(col.valid.words.len());
                for (w, &ok) in col.valid.words.iter().enumerate() {
                    let mut word = 0_u64;
                    let mut rest = ok;
                    while rest != 0 {
                        let j = rest.trailing_zeros() as usize;
                        rest &= rest - 1;
                        word |= u64::from(has_tag(w * 64 + j)) << j;
                    }
                    t.push(word);
                    f.push(!word & ok);
                }
                Tri {
                    t: Bits { words: t, len: n },
                    f: Bits { words: f, len: n },
                }
            }
            Kernel::Null { valid, is_null } => {
                let present = valid.cloned().unwrap_or_else(|| Bits::zeros(n));
                let absent = Bits::ones(n).zip(&present, |a, b| a & !b);
                if *is_null {
                    Tri {
                        t: absent,
                        f: present,
                    }
                } else {
                    Tri {
                        t: present,
                        f: absent,
                    }
                }
            }
            Kernel::Missing => Tri {
                t: Bits::zeros(n),
                f: Bits::zeros(n),
            },
        }
    }

    /// The result for one row.
    pub(crate) fn test(&self, row: usize) -> Truth {
        match self {
            Kernel::Int { col, pred, negate } => match col.get(row) {
                Some(v) => Truth::from(pred.eval(v) != *negate),
                None => Truth::Unknown,
            },
            Kernel::Float { col, pred, negate } => match col.get(row) {
                Some(v) => Truth::from(pred.eval(v) != *negate),
                None => Truth::Unknown,
            },
            Kernel::Tags { col, tag } => {
                if col.valid.get(row) {
                    Truth::from(tag.is_some_and(|tag| col.row(row).contains(&tag)))
                } else {
                    Truth::Unknown
                }
            }
            Kernel::Null { valid, is_null } => {
                let present = valid.is_some_and(|v| v.get(row));
                Truth::from(present != *is_null)
            }
            Kernel::Missing => Truth::Unknown,
        }
    }
}

/// How many profiles a rule selects, rejects, and cannot decide.
///
/// # Example
///
/// ```
/// # use chrono::NaiveDate;
/// # use rfmkit::audience::{Profiles, Rule};
/// # use rfmkit::rfm::{RfmModel, ScoringConfig};
/// # use rfmkit::segment::SegmentTable;
/// # use rfmkit::summary::Summaries;
/// # use rfmkit::{Money, Order};
/// # let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
/// # let orders = [Order::new("A-1", "alice", d(2)?, Money::new(1250)), Order::new("A-2", "bob", d(5)?, Money::new(300))];
/// # let summaries = Summaries::from_orders(&orders, d(10)?)?;
/// # let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
/// # let segmentation = SegmentTable::standard().segment_all(&scores)?;
/// let profiles = Profiles::builder(&segmentation, &summaries).build()?;
/// let rule = Rule::parse("monetary >= 10.00 or email_opt_in", &profiles.schema())?;
/// let tally = profiles.compile(&rule)?.tally();
/// // alice: true (12.50); bob: false or unknown = unknown (no record).
/// assert_eq!((tally.selected, tally.rejected, tally.unknown), (1, 0, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Tally {
    /// Profiles for which the rule is true: the audience.
    pub selected: usize,
    /// Profiles for which it is false.
    pub rejected: usize,
    /// Profiles for which it is unknown (a value it needs is missing).
    pub unknown: usize,
}

impl<'p> CompiledRule<'p> {
    /// The rule that was compiled.
    #[must_use]
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// The profiles it was compiled against.
    #[must_use]
    pub fn profiles(&self) -> &'p Profiles {
        self.profiles
    }

    /// The rule's result for every profile.
    pub(crate) fn evaluate(&self) -> Tri {
        let n = self.profiles.len();
        let mut stack: Vec<Tri> = Vec::new();
        for node in &self.nodes {
            match &node.op {
                Op::Leaf(leaf) => stack.push(leaf.kernel.scan(n)),
                Op::Not => {
                    if let Some(top) = stack.pop() {
                        stack.push(Tri { t: top.f, f: top.t });
                    }
                }
                Op::All(k) | Op::Any(k) => {
                    let all = matches!(node.op, Op::All(_));
                    let parts = stack.split_off(stack.len().saturating_sub(*k));
                    let neutral = if all {
                        Tri {
                            t: Bits::ones(n),
                            f: Bits::zeros(n),
                        }
                    } else {
                        Tri {
                            t: Bits::zeros(n),
                            f: Bits::ones(n),
                        }
                    };
                    let combined =
                        parts.iter().fold(
                            neutral,
                            |acc, part| {
                                if all { acc.and(part) } else { acc.or(part) }
                            },
                        );
                    stack.push(combined);
                }
            }
        }
        stack.pop().unwrap_or(Tri {
            t: Bits::zeros(n),
            f: Bits::zeros(n),
        })
    }

    /// The rows the rule selects, ascending (so in customer-id order).
    pub(crate) fn selected_rows(&self) -> Vec<usize> {
        self.evaluate().t.ones_iter().collect()
    }

    /// The customers for whom the rule is true, in id order.
    ///
    /// `campaign::Audience::from(compiled.selected())` makes an audience of
    /// them for set operations.
    #[must_use]
    pub fn selected(&self) -> Vec<CustomerId> {
        self.evaluate()
            .t
            .ones_iter()
            .filter_map(|row| self.profiles.id(row).cloned())
            .collect()
    }

    /// How many profiles the rule selects, rejects, and cannot decide.
    #[must_use]
    pub fn tally(&self) -> Tally {
        let tri = self.evaluate();
        let selected = tri.t.count_ones();
        let rejected = tri.f.count_ones();
        Tally {
            selected,
            rejected,
            unknown: self.profiles.len().saturating_sub(selected + rejected),
        }
    }

    /// The rule's result for one customer, or `None` if the customer has no
    /// profile.
    #[must_use]
    pub fn matches(&self, customer: &str) -> Option<Truth> {
        let row = self.profiles.row(customer)?;
        Some(self.test_row(row))
    }

    /// The rule's result for one row.
    pub(crate) fn test_row(&self, row: usize) -> Truth {
        let mut stack: Vec<Truth> = Vec::new();
        for node in &self.nodes {
            match &node.op {
                Op::Leaf(leaf) => stack.push(leaf.kernel.test(row)),
                Op::Not => {
                    if let Some(top) = stack.pop() {
                        stack.push(!top);
                    }
                }
                Op::All(k) => {
                    let parts = stack.split_off(stack.len().saturating_sub(*k));
                    stack.push(parts.into_iter().fold(Truth::True, Truth::and));
                }
                Op::Any(k) => {
                    let parts = stack.split_off(stack.len().saturating_sub(*k));
                    stack.push(parts.into_iter().fold(Truth::False, Truth::or));
                }
            }
        }
        stack.pop().unwrap_or(Truth::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A column long enough to take the parallel path (with the feature on)
    /// scans exactly like a plain per-row loop.
    #[test]
    fn long_columns_scan_like_a_plain_loop() {
        let n = 200_003;
        let values: Vec<i64> = (0..n).map(|i| (i * 7919 % 1000) as i64).collect();
        let mut valid = Bits::ones(n);
        for i in (0..n).step_by(13) {
            valid.set(i, false);
        }
        let tri = scan(&values, &valid, |v| v >= 500);
        let mut t = Bits::zeros(n);
        let mut f = Bits::zeros(n);
        for (i, &v) in values.iter().enumerate() {
            if valid.get(i) {
                t.set(i, v >= 500);
                f.set(i, v < 500);
            }
        }
        assert_eq!(tri.t, t);
        assert_eq!(tri.f, f);
        assert!(t.count_ones() > 90_000 && f.count_ones() > 90_000);
    }

    #[test]
    fn bits_basics() {
        let mut b = Bits::zeros(130);
        b.set(0, true);
        b.set(64, true);
        b.set(129, true);
        b.set(130, true); // out of range: ignored
        assert_eq!(b.ones_iter().collect::<Vec<_>>(), [0, 64, 129]);
        assert_eq!(b.count_ones(), 3);
        assert_eq!(Bits::ones(130).count_ones(), 130);
        assert_eq!(Bits::ones(128).count_ones(), 128);
        assert_eq!(Bits::ones(0).count_ones(), 0);
        b.set(64, false);
        assert!(!b.get(64));
    }

    #[test]
    fn scan_marks_true_false_and_invalid() {
        let mut valid = Bits::zeros(3);
        valid.set(0, true);
        valid.set(2, true);
        let tri = scan(&[5_i64, 7, 9], &valid, |v| v > 6);
        assert_eq!(tri.t.ones_iter().collect::<Vec<_>>(), [2]);
        assert_eq!(tri.f.ones_iter().collect::<Vec<_>>(), [0]);
    }
}
