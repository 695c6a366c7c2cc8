//! RFM scores → named segments, and the per-segment report.
//!
//! A [`SegmentTable`] is an ordered list of named rules over R, F and M
//! score ranges plus a mandatory fallback. A customer's segment is the first
//! rule whose three ranges contain their scores, else the fallback: so
//! every scored customer is in exactly one segment, by construction.
//!
//! Tables are plain data (JSON via serde) and validated when built: names
//! are unique snake_case identifiers (`at_risk`, usable in audience
//! queries), ranges are non-empty and inside `1..=bins`, and no rule is
//! *shadowed* (every rule must win at least one cell, else it could never
//! be assigned and is surely a mistake).
//!
//! # Presets
//!
//! Both presets are for 5 bins. A range not given means any score.
//!
//! ## [`SegmentTable::standard`]: eleven segments for an EC shop
//!
//! | # | segment | R | F | M | who they are |
//! |---|---|---|---|---|---|
//! | 1 | `champions` | 4–5 | 4–5 | 4–5 | bought recently, often, and spend the most |
//! | 2 | `loyal` | 3–5 | 4–5 | any | buy often; still active |
//! | 3 | `potential_loyalist` | 4–5 | 2–3 | any | recent repeat buyers: nurture into loyal |
//! | 4 | `new` | 5 | 1 | any | bought once, very recently: the F2-conversion target |
//! | 5 | `promising` | 4 | 1 | any | bought once, recently |
//! | 6 | `need_attention` | 3 | 2–3 | any | repeat buyers slipping into the middle |
//! | 7 | `about_to_sleep` | 3 | 1 | any | one purchase, a while ago |
//! | 8 | `cant_lose_them` | 1–2 | 4–5 | 4–5 | were frequent big spenders, now gone quiet |
//! | 9 | `at_risk` | 1–2 | 3–5 | any | were frequent, now lapsing: win back |
//! | 10 | `dormant` | 2 | 1–2 | any | few purchases, long ago (休眠顧客): reactivate |
//! | 11 | `lost` | 1 | 1–2 | any | few purchases, longest ago |
//! | — | `other` (fallback) | | | | no cell: the rules cover all 125 |
//!
//! Cells per segment: champions 8, loyal 22, potential_loyalist 20,
//! new 5, promising 5, need_attention 10, about_to_sleep 5,
//! cant_lose_them 8, at_risk 22, dormant 10, lost 10 (sum 125).
//!
//! ## [`SegmentTable::compact`]: five segments for a small shop
//!
//! | # | segment | R | F | M |
//! |---|---|---|---|---|
//! | 1 | `champions` | 4–5 | 4–5 | any |
//! | 2 | `loyal` | 3–5 | 2–5 | any |
//! | 3 | `new` | 3–5 | 1 | any |
//! | 4 | `at_risk` | 1–2 | 3–5 | any |
//! | 5 | `dormant` | 1–2 | 1–2 | any |
//! | — | `other` (fallback) | | | no cell |
//!
//! Under the default quantile scoring, `F = 1` is exactly the customers
//! with the fewest orders (usually one): see the
//! [tie rules](crate::rfm#heavy-ties).

use std::fmt;
use std::ops::RangeInclusive;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::Money;
use chrono::NaiveDate;

use crate::id::CustomerId;
use crate::ingest::{CustomerIndex, IdOrder};
use crate::par::column;
use crate::rfm::{MAX_BINS, MIN_BINS, RfmScore, Score, ScoreCounts, ScoredCustomer, Scores};

/// A segment's name: a snake_case identifier such as `at_risk`.
///
/// Names start with a lowercase ASCII letter, continue with lowercase
/// letters, digits or `_`, and are at most 64 bytes, so that audience
/// queries can name them bare (`segment in (at_risk, dormant)`).
///
/// # Example
///
/// ```
/// use rfmkit::segment::Segment;
///
/// let s = Segment::new("at_risk")?;
/// assert_eq!(s.as_str(), "at_risk");
/// assert!(Segment::new("At Risk").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Segment(CompactString);

impl Segment {
    /// A segment name.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `segment`) if the name is not a
    /// snake_case identifier of at most 64 bytes.
    pub fn new(name: &str) -> Result<Segment> {
        let mut bytes = name.bytes();
        let first_ok = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
        let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !first_ok || !rest_ok || name.len() > 64 {
            return Err(Error::config(
                "segment",
                format!(
                    "name {name:?} is not a snake_case identifier; use a lowercase letter, then \
                     lowercase letters, digits or '_' (at most 64 bytes), like \"at_risk\""
                ),
            ));
        }
        Ok(Segment(CompactString::new(name)))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl TryFrom<String> for Segment {
    type Error = Error;
    fn try_from(name: String) -> Result<Segment> {
        Segment::new(&name)
    }
}

impl From<Segment> for String {
    fn from(segment: Segment) -> String {
        segment.0.into_string()
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.0.as_str())
    }
}

impl AsRef<str> for Segment {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

/// An inclusive range of scores, `min..=max`, checked against the table's
/// bins when the table is built.
///
/// Serialized as `[min, max]`.
///
/// # Example
///
/// ```
/// use rfmkit::segment::ScoreRange;
///
/// let r = ScoreRange::from(4..=5);
/// assert_eq!((r.min(), r.max()), (4, 5));
/// assert_eq!(r.to_string(), "4-5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "[u8; 2]", into = "[u8; 2]")]
pub struct ScoreRange {
    min: u8,
    max: u8,
}

impl ScoreRange {
    /// The range `min..=max`.
    #[must_use]
    pub const fn new(min: u8, max: u8) -> ScoreRange {
        ScoreRange { min, max }
    }

    /// The lowest score in the range.
    #[must_use]
    pub const fn min(self) -> u8 {
        self.min
    }

    /// The highest score in the range.
    #[must_use]
    pub const fn max(self) -> u8 {
        self.max
    }

    /// Whether the range contains `score`.
    #[must_use]
    pub const fn contains(self, score: Score) -> bool {
        self.min <= score.get() && score.get() <= self.max
    }
}

impl From<RangeInclusive<u8>> for ScoreRange {
    fn from(range: RangeInclusive<u8>) -> ScoreRange {
        ScoreRange::new(*range.start(), *range.end())
    }
}

impl From<[u8; 2]> for ScoreRange {
    fn from([min, max]: [u8; 2]) -> ScoreRange {
        ScoreRange::new(min, max)
    }
}

impl From<ScoreRange> for [u8; 2] {
    fn from(range: ScoreRange) -> [u8; 2] {
        [range.min, range.max]
    }
}

impl fmt::Display for ScoreRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = if self.min == self.max {
            self.min.to_string()
        } else {
            format!("{}-{}", self.min, self.max)
        };
        f.pad(&text)
    }
}

/// The most rules a [`SegmentTable`] takes: 65,534 (segment indices are
/// stored in 16 bits, the fallback's included). A table needs far fewer:
/// every rule must win a cell, and 5 bins have 125 cells.
pub const MAX_RULES: usize = 65_534;

/// One rule of a [`SegmentTable`]: a segment name and the R, F, M score
/// ranges it takes (a range left out takes any score).
///
/// # Example
///
/// ```
/// use rfmkit::segment::SegmentRule;
///
/// let rule = SegmentRule::new("at_risk")?.r(1..=2).f(3..=5).describe("were frequent, now lapsing");
/// assert_eq!(rule.name().as_str(), "at_risk");
/// assert_eq!(rule.to_string(), "at_risk: R 1-2, F 3-5, M any");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct SegmentRule {
    name: Segment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    r: Option<ScoreRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    f: Option<ScoreRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    m: Option<ScoreRange>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
}

impl SegmentRule {
    /// A rule for segment `name` taking any score (narrow it with
    /// [`r`](Self::r), [`f`](Self::f), [`m`](Self::m)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if `name` is not a valid [`Segment`] name.
    pub fn new(name: &str) -> Result<SegmentRule> {
        Ok(SegmentRule {
            name: Segment::new(name)?,
            r: None,
            f: None,
            m: None,
            description: String::new(),
        })
    }

    /// Restricts the recency score to `range` (default: any).
    #[must_use]
    pub fn r(mut self, range: impl Into<ScoreRange>) -> SegmentRule {
        self.r = Some(range.into());
        self
    }

    /// Restricts the frequency score to `range` (default: any).
    #[must_use]
    pub fn f(mut self, range: impl Into<ScoreRange>) -> SegmentRule {
        self.f = Some(range.into());
        self
    }

    /// Restricts the monetary score to `range` (default: any).
    #[must_use]
    pub fn m(mut self, range: impl Into<ScoreRange>) -> SegmentRule {
        self.m = Some(range.into());
        self
    }

    /// Sets a description for marketers (default: none).
    #[must_use]
    pub fn describe(mut self, description: impl Into<String>) -> SegmentRule {
        self.description = description.into();
        self
    }

    /// The segment name.
    #[must_use]
    pub fn name(&self) -> &Segment {
        &self.name
    }

    /// The description, possibly empty.
    #[must_use]
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The range of a dimension's score, `None` meaning any.
    #[must_use]
    pub fn ranges(&self) -> [Option<ScoreRange>; 3] {
        [self.r, self.f, self.m]
    }

    /// Whether the rule takes this cell.
    #[must_use]
    pub fn matches(&self, score: RfmScore) -> bool {
        let ok = |range: Option<ScoreRange>, s: Score| range.is_none_or(|r| r.contains(s));
        ok(self.r, score.r) && ok(self.f, score.f) && ok(self.m, score.m)
    }
}

impl fmt::Display for SegmentRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |r: Option<ScoreRange>| r.map_or_else(|| "any".to_owned(), |r| r.to_string());
        write!(
            f,
            "{}: R {}, F {}, M {}",
            self.name,
            show(self.r),
            show(self.f),
            show(self.m)
        )
    }
}

/// An ordered table of segment rules with a fallback: first match wins.
///
/// Build with [`SegmentTable::builder`], or start from a preset
/// ([`standard`](Self::standard), [`compact`](Self::compact)). Deserializing
/// validates like [`SegmentTableBuilder::build`].
///
/// # Example
///
/// The table of the performance benchmark (issue 6): champions, loyal, new,
/// at-risk, dormant, otherwise other.
///
/// ```
/// use rfmkit::rfm::{RfmScore, Score};
/// use rfmkit::segment::{SegmentRule, SegmentTable};
///
/// let table = SegmentTable::builder(5)
///     .rule(SegmentRule::new("champions")?.r(4..=5).f(4..=5).m(4..=5))
///     .rule(SegmentRule::new("loyal")?.f(4..=5))
///     .rule(SegmentRule::new("new")?.r(4..=5).f(1..=1))
///     .rule(SegmentRule::new("at_risk")?.r(1..=2).f(3..=5))
///     .rule(SegmentRule::new("dormant")?.r(1..=1))
///     .fallback("other")
///     .build()?;
/// let cell = RfmScore::new(Score::new(1)?, Score::new(4)?, Score::new(2)?);
/// assert_eq!(table.assign(cell)?.as_str(), "loyal");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "SegmentTableBuilder")]
pub struct SegmentTable {
    bins: u8,
    rules: Vec<SegmentRule>,
    fallback: Segment,
}

/// Builder of a [`SegmentTable`]; made by [`SegmentTable::builder`].
///
/// A fallback is mandatory: [`build`](Self::build) fails without one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[must_use]
pub struct SegmentTableBuilder {
    bins: u8,
    #[serde(default)]
    rules: Vec<SegmentRule>,
    #[serde(default)]
    fallback: Option<String>,
}

impl SegmentTableBuilder {
    /// Appends a rule (rules are tried in the order added).
    pub fn rule(mut self, rule: SegmentRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Sets the fallback segment, assigned when no rule matches (required).
    pub fn fallback(mut self, name: &str) -> Self {
        self.fallback = Some(name.to_owned());
        self
    }

    /// Validates and builds the table.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] with field:
    /// - `bins` if bins is outside `2..=100`;
    /// - `fallback` if there is none or its name is invalid;
    /// - `rules[i].r` (or `.f`, `.m`) if a range is empty (`min > max`) or
    ///   outside `1..=bins`;
    /// - `rules[i].name` if a name repeats an earlier rule's or the
    ///   fallback's;
    /// - `rules` if there are more than [`MAX_RULES`] rules;
    /// - `rules[i]` if the rule is shadowed: every cell it takes is taken by
    ///   an earlier rule, so it could never be assigned.
    pub fn build(self) -> Result<SegmentTable> {
        let bins = self.bins;
        if !(MIN_BINS..=MAX_BINS).contains(&bins) {
            return Err(Error::config(
                "bins",
                format!("is {bins}; use {MIN_BINS}..={MAX_BINS} bins"),
            ));
        }
        let fallback_name = self.fallback.ok_or_else(|| {
            Error::config(
                "fallback",
                "missing; every table needs a fallback segment so that every customer gets one",
            )
        })?;
        let fallback = Segment::new(&fallback_name).map_err(|_| {
            Error::config(
                "fallback",
                format!("name {fallback_name:?} is not a snake_case identifier such as \"other\""),
            )
        })?;
        if self.rules.len() > MAX_RULES {
            return Err(Error::config(
                "rules",
                format!(
                    "{} rules; a table has at most {} (each rule must win a cell of its own)",
                    self.rules.len(),
                    MAX_RULES
                ),
            ));
        }
        let mut seen = std::collections::HashSet::with_capacity(self.rules.len());
        for (i, rule) in self.rules.iter().enumerate() {
            for (dim, range) in ["r", "f", "m"].into_iter().zip(rule.ranges()) {
                let Some(range) = range else { continue };
                if range.min > range.max {
                    return Err(Error::config(
                        format!("rules[{i}].{dim}"),
                        format!(
                            "range {}..={} is empty; min must be <= max",
                            range.min, range.max
                        ),
                    ));
                }
                if range.min < 1 || range.max > bins {
                    return Err(Error::config(
                        format!("rules[{i}].{dim}"),
                        format!(
                            "range {}..={} leaves the scores 1..={bins} of this table",
                            range.min, range.max
                        ),
                    ));
                }
            }
            if rule.name == fallback || !seen.insert(&rule.name) {
                return Err(Error::config(
                    format!("rules[{i}].name"),
                    format!("segment {} appears twice; names must be unique", rule.name),
                ));
            }
        }
        let table = SegmentTable {
            bins,
            rules: self.rules,
            fallback,
        };
        if let Err(i) = table.paint() {
            let name = table
                .rules
                .get(i)
                .map(|r| r.name.to_string())
                .unwrap_or_default();
            return Err(Error::config(
                format!("rules[{i}]"),
                format!(
                    "segment {name} is never assigned: every cell it takes matches an earlier rule; \
                     reorder or narrow the rules"
                ),
            ));
        }
        Ok(table)
    }
}

impl TryFrom<SegmentTableBuilder> for SegmentTable {
    type Error = Error;
    fn try_from(builder: SegmentTableBuilder) -> Result<SegmentTable> {
        builder.build()
    }
}

/// A preset rule: name, (min, max) ranges of R, F, M (`None`: any), description.
type PresetRule = (&'static str, [Option<(u8, u8)>; 3], &'static str);

/// Every cell `(r, f, m)` of a table with `bins` bins.
fn all_cells(bins: u8) -> impl Iterator<Item = RfmScore> {
    let scores = move || (1..=bins).filter_map(|s| Score::new(s).ok());
    scores()
        .flat_map(move |r| scores().flat_map(move |f| scores().map(move |m| RfmScore { r, f, m })))
}

impl SegmentTable {
    /// A builder for a table over scores `1..=bins`.
    pub fn builder(bins: u8) -> SegmentTableBuilder {
        SegmentTableBuilder {
            bins,
            rules: Vec::new(),
            fallback: None,
        }
    }

    /// The standard EC preset of eleven segments; see the
    /// [module docs](self#segmenttablestandard-eleven-segments-for-an-ec-shop).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::segment::SegmentTable;
    ///
    /// let table = SegmentTable::standard();
    /// assert_eq!(table.len(), 12); // 11 rules + the fallback
    /// assert_eq!(table.fallback_cells().count(), 0);
    /// ```
    #[must_use]
    pub fn standard() -> SegmentTable {
        let rules: [PresetRule; 11] = [
            (
                "champions",
                [Some((4, 5)), Some((4, 5)), Some((4, 5))],
                "bought recently, often, and spend the most",
            ),
            (
                "loyal",
                [Some((3, 5)), Some((4, 5)), None],
                "buy often; still active",
            ),
            (
                "potential_loyalist",
                [Some((4, 5)), Some((2, 3)), None],
                "recent repeat buyers: nurture into loyal",
            ),
            (
                "new",
                [Some((5, 5)), Some((1, 1)), None],
                "bought once, very recently: the F2-conversion target",
            ),
            (
                "promising",
                [Some((4, 4)), Some((1, 1)), None],
                "bought once, recently",
            ),
            (
                "need_attention",
                [Some((3, 3)), Some((2, 3)), None],
                "repeat buyers slipping into the middle",
            ),
            (
                "about_to_sleep",
                [Some((3, 3)), Some((1, 1)), None],
                "one purchase, a while ago",
            ),
            (
                "cant_lose_them",
                [Some((1, 2)), Some((4, 5)), Some((4, 5))],
                "were frequent big spenders, now gone quiet",
            ),
            (
                "at_risk",
                [Some((1, 2)), Some((3, 5)), None],
                "were frequent, now lapsing: win back",
            ),
            (
                "dormant",
                [Some((2, 2)), Some((1, 2)), None],
                "few purchases, long ago: reactivate",
            ),
            (
                "lost",
                [Some((1, 1)), Some((1, 2)), None],
                "few purchases, longest ago",
            ),
        ];
        Self::preset(&rules)
    }

    /// The compact preset of five segments for small shops; see the
    /// [module docs](self#segmenttablecompact-five-segments-for-a-small-shop).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::segment::SegmentTable;
    ///
    /// let table = SegmentTable::compact();
    /// let names: Vec<&str> = table.segments().map(|s| s.as_str()).collect();
    /// assert_eq!(names, ["champions", "loyal", "new", "at_risk", "dormant", "other"]);
    /// ```
    #[must_use]
    pub fn compact() -> SegmentTable {
        let rules: [PresetRule; 5] = [
            (
                "champions",
                [Some((4, 5)), Some((4, 5)), None],
                "recent and frequent",
            ),
            (
                "loyal",
                [Some((3, 5)), Some((2, 5)), None],
                "active repeat buyers",
            ),
            (
                "new",
                [Some((3, 5)), Some((1, 1)), None],
                "one purchase, recently",
            ),
            (
                "at_risk",
                [Some((1, 2)), Some((3, 5)), None],
                "were frequent, now lapsing",
            ),
            (
                "dormant",
                [Some((1, 2)), Some((1, 2)), None],
                "few purchases, long ago",
            ),
        ];
        Self::preset(&rules)
    }

    /// Builds a preset from a literal table; the presets are tested to be
    /// valid, so a failure here cannot happen (it would fall back to an
    /// all-`other` table rather than panic).
    fn preset(rules: &[PresetRule]) -> SegmentTable {
        let build = || -> Result<SegmentTable> {
            let mut builder = SegmentTable::builder(5).fallback("other");
            for &(name, [r, f, m], description) in rules {
                let mut rule = SegmentRule::new(name)?.describe(description);
                rule.r = r.map(|(a, b)| ScoreRange::new(a, b));
                rule.f = f.map(|(a, b)| ScoreRange::new(a, b));
                rule.m = m.map(|(a, b)| ScoreRange::new(a, b));
                builder = builder.rule(rule);
            }
            builder.build()
        };
        build().unwrap_or_else(|_| SegmentTable {
            bins: 5,
            rules: Vec::new(),
            fallback: Segment(CompactString::const_new("other")),
        })
    }

    /// The number of bins the table's scores run over.
    #[must_use]
    pub fn bins(&self) -> u8 {
        self.bins
    }

    /// The rules, in order.
    #[must_use]
    pub fn rules(&self) -> &[SegmentRule] {
        &self.rules
    }

    /// The fallback segment.
    #[must_use]
    pub fn fallback(&self) -> &Segment {
        &self.fallback
    }

    /// The number of segments, fallback included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rules.len() + 1
    }

    /// Always `false`: a table has at least its fallback.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// All segment names in table order, the fallback last.
    pub fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.rules
            .iter()
            .map(SegmentRule::name)
            .chain(std::iter::once(&self.fallback))
    }

    /// The position of the segment a cell falls in: a rule's index, or
    /// `rules().len()` for the fallback.
    fn index_of(&self, score: RfmScore) -> usize {
        self.rules
            .iter()
            .position(|rule| rule.matches(score))
            .unwrap_or(self.rules.len())
    }

    fn segment_at(&self, index: usize) -> &Segment {
        self.rules
            .get(index)
            .map_or(&self.fallback, SegmentRule::name)
    }

    /// The segment of one cell: the first rule that takes it, else the
    /// fallback.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if a score exceeds the table's bins (scores from
    /// a model with more bins than the table).
    pub fn assign(&self, score: RfmScore) -> Result<&Segment> {
        for s in [score.r, score.f, score.m] {
            if s.get() > self.bins {
                return Err(Error::OutOfRange {
                    what: "score",
                    value: format!("{score} (score {s})"),
                    expected: format!("this segment table takes scores 1..={}", self.bins),
                });
            }
        }
        Ok(self.segment_at(self.index_of(score)))
    }

    /// How many cells each segment wins, in [`segments`](Self::segments)
    /// order.
    #[cfg(test)]
    fn cell_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.len()];
        for &s in &self.lookup() {
            if let Some(c) = counts.get_mut(usize::from(s)) {
                *c += 1;
            }
        }
        counts
    }

    /// The segment index (in [`segments`](Self::segments) order) of every
    /// cell, at `((r − 1)·bins + (f − 1))·bins + (m − 1)`; `Err(i)` if rule
    /// `i` wins no cell (it is shadowed).
    ///
    /// Paints the rules in order, each taking the cells of its box that no
    /// earlier rule took: one 128-bit mask of taken M scores per (R, F)
    /// pair (bins <= 100), so the cost is the (R, F) area of the rules plus
    /// one step per cell, not `rules × bins³`. Stops at the first shadowed
    /// rule.
    fn paint(&self) -> std::result::Result<Vec<u16>, usize> {
        let b = usize::from(self.bins);
        let fallback = u16::try_from(self.rules.len()).unwrap_or(u16::MAX);
        let mut lut = vec![fallback; b * b * b];
        let mut taken = vec![0_u128; b * b];
        let span = |range: Option<ScoreRange>| {
            let (lo, hi) = range.map_or((1, self.bins), |r| (r.min, r.max));
            (usize::from(lo.max(1)), usize::from(hi.min(self.bins)))
        };
        for (i, rule) in self.rules.iter().enumerate() {
            let [r, f, m] = rule.ranges().map(span);
            // Bits m.0 − 1 ..= m.1 − 1; at most 100 of 128.
            let width = m.1.saturating_sub(m.0) + 1;
            let mask = u128::MAX
                .checked_shr(u32::try_from(128 - width.min(128)).unwrap_or(0))
                .unwrap_or(0)
                .checked_shl(u32::try_from(m.0.saturating_sub(1)).unwrap_or(0))
                .unwrap_or(0);
            let index = u16::try_from(i).unwrap_or(u16::MAX);
            let mut won = false;
            for rr in r.0..=r.1 {
                for ff in f.0..=f.1 {
                    let row = (rr - 1) * b + (ff - 1);
                    let Some(t) = taken.get_mut(row) else {
                        continue;
                    };
                    let mut new = mask & !*t;
                    *t |= mask;
                    won |= new != 0;
                    while new != 0 {
                        let mm = usize::try_from(new.trailing_zeros()).unwrap_or(0);
                        new &= new - 1;
                        if let Some(slot) = lut.get_mut(row * b + mm) {
                            *slot = index;
                        }
                    }
                }
            }
            if !won {
                return Err(i);
            }
        }
        Ok(lut)
    }

    /// [`paint`](Self::paint) of a built table, whose rules all win.
    fn lookup(&self) -> Vec<u16> {
        self.paint().unwrap_or_default()
    }

    /// Every cell with its segment, in (r, f, m) order: the whole table
    /// spelled out, `bins³` rows.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::segment::SegmentTable;
    ///
    /// let table = SegmentTable::standard();
    /// let champions = table.cells().filter(|(_, s)| s.as_str() == "champions").count();
    /// assert_eq!(champions, 8);
    /// ```
    pub fn cells(&self) -> impl Iterator<Item = (RfmScore, &Segment)> {
        all_cells(self.bins)
            .zip(self.lookup())
            .map(|(cell, s)| (cell, self.segment_at(usize::from(s))))
    }

    /// The cells no rule takes, which go to the fallback.
    pub fn fallback_cells(&self) -> impl Iterator<Item = RfmScore> + '_ {
        let fallback = self.rules.len();
        all_cells(self.bins)
            .zip(self.lookup())
            .filter(move |&(_, s)| usize::from(s) == fallback)
            .map(|(cell, _)| cell)
    }

    /// Assigns every scored customer a segment, in customer-id order.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `bins`) if the scores were made with
    /// a different number of bins than the table's.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::rfm::{RfmModel, ScoringConfig};
    /// use rfmkit::segment::SegmentTable;
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let orders = vec![
    ///     Order::new("A-1", "alice", d(1, 5)?, Money::new(4500)),
    ///     Order::new("A-2", "alice", d(3, 20)?, Money::new(3000)),
    ///     Order::new("A-3", "bob", d(1, 10)?, Money::new(1200)),
    ///     Order::new("A-4", "carol", d(3, 28)?, Money::new(900)),
    /// ];
    /// let summaries = Summaries::from_orders(&orders, d(3, 31)?)?;
    /// let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    /// let segments = SegmentTable::standard().segment_all(&scores)?;
    /// let names: Vec<String> = segments.iter().map(|c| c.segment.to_string()).collect();
    /// // alice is 2-4-4, bob 1-1-2, carol 4-1-1
    /// assert_eq!(names, ["cant_lose_them", "lost", "promising"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn segment_all(&self, scores: &Scores) -> Result<Segmentation> {
        if scores.bins() != self.bins {
            return Err(Error::config(
                "bins",
                format!(
                    "the scores have {} bins but the segment table has {}; use a table for {} bins",
                    scores.bins(),
                    self.bins,
                    scores.bins()
                ),
            ));
        }
        let lut = self.lookup();
        let bins = usize::from(self.bins);
        let cols = scores.columns();
        let segment = column(scores.len(), |k| {
            let cell = |v: &[u8]| v.get(k).map_or(0, |&s| usize::from(s).saturating_sub(1));
            let at = (cell(&cols.r) * bins + cell(&cols.f)) * bins + cell(&cols.m);
            lut.get(at).copied().unwrap_or(0)
        });
        Ok(Segmentation {
            table: self.clone(),
            scores: scores.clone(),
            segment,
        })
    }
}

impl fmt::Display for SegmentTable {
    /// One rule per line, first match first, then the fallback.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, rule) in self.rules.iter().enumerate() {
            writeln!(f, "{:>2}. {rule}", i + 1)?;
        }
        write!(f, "    otherwise: {}", self.fallback)
    }
}

/// A scored customer and their segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SegmentedCustomer {
    /// The customer's R, F, M values and scores.
    #[serde(flatten)]
    pub scored: ScoredCustomer,
    /// Their segment.
    pub segment: Segment,
}

/// Every scored customer with their segment, in the id order of the
/// scores, and the table that assigned them; made by
/// [`SegmentTable::segment_all`].
///
/// Stored as the [`Scores`] plus one 2-byte segment index per customer;
/// [`get`](Self::get) and [`iter`](Self::iter) build
/// [`SegmentedCustomer`] rows on demand.
///
/// Serialized as `{"as_of", "table", "customers": [SegmentedCustomer…]}`
/// (plus `"unscored": [id…]` when some customers had no purchase, and
/// `"id_order": "numeric"` for numeric ids); deserializing checks
/// the scores (as [`Scores`] does) and that each customer's segment is the
/// one the table assigns to their scores.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Segmentation {
    table: SegmentTable,
    scores: Scores,
    /// Per scored customer, the index of their segment in
    /// `table.segments()`.
    segment: Vec<u16>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawSegmentation {
    as_of: NaiveDate,
    #[serde(default)]
    id_order: IdOrder,
    table: SegmentTable,
    customers: Vec<SegmentedCustomer>,
    #[serde(default)]
    unscored: Vec<CustomerId>,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
struct WireSegmentation<'a> {
    as_of: NaiveDate,
    #[serde(skip_serializing_if = "is_text")]
    id_order: IdOrder,
    table: &'a SegmentTable,
    customers: WireCustomers<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unscored: Vec<CustomerId>,
}

fn is_text(order: &IdOrder) -> bool {
    *order == IdOrder::Text
}

struct WireCustomers<'a>(&'a Segmentation);

impl Serialize for WireCustomers<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl Serialize for Segmentation {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        WireSegmentation {
            as_of: self.scores.as_of(),
            id_order: self.scores.index().id_order(),
            table: &self.table,
            customers: WireCustomers(self),
            unscored: self.scores.unscored(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Segmentation {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let raw = RawSegmentation::deserialize(deserializer)?;
        Segmentation::from_raw(raw).map_err(serde::de::Error::custom)
    }
}

impl Segmentation {
    fn from_raw(raw: RawSegmentation) -> Result<Segmentation> {
        let table = raw.table;
        let lut = table.lookup();
        let bins = usize::from(table.bins);
        for (i, c) in raw.customers.iter().enumerate() {
            let score = c.scored.score;
            let [r, f, m] =
                [score.r, score.f, score.m].map(|s| usize::from(s.get()).saturating_sub(1));
            let expected = (score.r.get() <= table.bins
                && score.f.get() <= table.bins
                && score.m.get() <= table.bins)
                .then(|| lut.get((r * bins + f) * bins + m))
                .flatten()
                .map(|&s| table.segment_at(usize::from(s)))
                .ok_or_else(|| {
                    Error::config(
                        format!("customers[{i}].score"),
                        format!(
                            "customer {}: score {score} is out of range; this segment table takes scores 1..={}",
                            c.scored.customer, table.bins
                        ),
                    )
                })?;
            if *expected != c.segment {
                return Err(Error::config(
                    format!("customers[{i}].segment"),
                    format!(
                        "customer {}: is {:?}, but the table assigns {} to {:?}",
                        c.scored.customer,
                        c.segment.as_str(),
                        c.scored.score,
                        expected.as_str()
                    ),
                ));
            }
        }
        let scored = raw.customers.into_iter().map(|c| c.scored).collect();
        let scores =
            Scores::from_parts(raw.as_of, table.bins(), raw.id_order, scored, raw.unscored)?;
        table.segment_all(&scores)
    }

    /// The table used.
    #[must_use]
    pub fn table(&self) -> &SegmentTable {
        &self.table
    }

    /// The scores segmented.
    #[must_use]
    pub fn scores(&self) -> &Scores {
        &self.scores
    }

    /// The customers (those of the scores), in order.
    #[must_use]
    pub fn index(&self) -> &std::sync::Arc<CustomerIndex> {
        self.scores.index()
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.segment.len()
    }

    /// Whether there are no customers.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.segment.is_empty()
    }

    /// The `k`-th customer, in id order.
    #[must_use]
    pub fn row(&self, k: usize) -> Option<SegmentedCustomer> {
        Some(SegmentedCustomer {
            segment: self.segment_of(k)?.clone(),
            scored: self.scores.row(k)?,
        })
    }

    /// The segment of the `k`-th customer.
    fn segment_of(&self, k: usize) -> Option<&Segment> {
        let s = *self.segment.get(k)?;
        Some(self.table.segment_at(usize::from(s)))
    }

    /// The customers in id order, built on demand.
    pub fn iter(&self) -> SegmentationIter<'_> {
        SegmentationIter {
            segmentation: self,
            next: 0,
        }
    }

    /// One customer, built on demand.
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<SegmentedCustomer> {
        self.row(self.scores.rank_of(customer)?)
    }

    /// The segment of one customer.
    #[must_use]
    pub fn segment_of_customer(&self, customer: &str) -> Option<&Segment> {
        self.segment_of(self.scores.rank_of(customer)?)
    }

    /// The customers of one segment, in id order.
    pub fn in_segment<'a>(
        &'a self,
        segment: &'a str,
    ) -> impl Iterator<Item = SegmentedCustomer> + 'a {
        let wanted = self
            .table
            .segments()
            .position(|s| s.as_str() == segment)
            .and_then(|i| u16::try_from(i).ok());
        self.segment
            .iter()
            .enumerate()
            .filter(move |&(_, &s)| Some(s) == wanted)
            .filter_map(|(k, _)| self.row(k))
    }

    /// The segment column: per scored customer, the index of their
    /// segment in the table's [`segments`](SegmentTable::segments).
    pub(crate) fn segment_column(&self) -> &[u16] {
        &self.segment
    }

    /// The per-segment report.
    ///
    /// # Errors
    ///
    /// As [`SegmentReport::new`]: [`Error::SegmentOverflow`] or
    /// [`Error::OutOfRange`] if a revenue sum leaves `i64` minor units.
    pub fn report(&self) -> Result<SegmentReport> {
        SegmentReport::new(self)
    }
}

/// The customers of [`Segmentation::iter`], built on demand.
#[derive(Debug, Clone)]
pub struct SegmentationIter<'a> {
    segmentation: &'a Segmentation,
    next: usize,
}

impl Iterator for SegmentationIter<'_> {
    type Item = SegmentedCustomer;

    fn next(&mut self) -> Option<SegmentedCustomer> {
        let row = self.segmentation.row(self.next)?;
        self.next += 1;
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.segmentation.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for SegmentationIter<'_> {}

impl<'a> IntoIterator for &'a Segmentation {
    type Item = SegmentedCustomer;
    type IntoIter = SegmentationIter<'a>;
    fn into_iter(self) -> SegmentationIter<'a> {
        self.iter()
    }
}

/// One row of a [`SegmentReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SegmentRow {
    /// The segment.
    pub segment: Segment,
    /// Customers in it.
    pub customers: usize,
    /// `customers / all customers`, `0.0..=1.0` (0 when there are none).
    pub customer_share: f64,
    /// Their net revenue (sum of monetary).
    pub revenue: Money,
    /// `revenue / all revenue`; `None` when all revenue is zero or
    /// negative, where a share means nothing.
    pub revenue_share: Option<f64>,
    /// Mean recency in days; `None` for an empty segment.
    pub mean_recency_days: Option<f64>,
    /// Mean frequency; `None` for an empty segment.
    pub mean_frequency: Option<f64>,
    /// Mean monetary in minor units; `None` for an empty segment.
    pub mean_monetary: Option<f64>,
}

/// Per segment: customers, share of customers, revenue, share of revenue,
/// mean recency, frequency and monetary; one row per segment of the table,
/// in table order, empty segments included. Below it, the customers per R,
/// F and M score ([`score_counts`](Self::score_counts)), where a score
/// nobody got reads `0 (empty)`.
///
/// Print it with `{}` (money in minor units) or
/// [`display_table`](Self::display_table) (money as decimals).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::rfm::{RfmModel, ScoringConfig};
/// use rfmkit::segment::SegmentTable;
/// use rfmkit::summary::Summaries;
/// use rfmkit::{Money, Order};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let orders = vec![
///     Order::new("A-1", "alice", d(1, 5)?, Money::new(4500)),
///     Order::new("A-2", "alice", d(3, 20)?, Money::new(3000)),
///     Order::new("A-3", "bob", d(1, 10)?, Money::new(1200)),
///     Order::new("A-4", "carol", d(3, 28)?, Money::new(900)),
/// ];
/// let summaries = Summaries::from_orders(&orders, d(3, 31)?)?;
/// let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
/// let report = SegmentTable::standard().segment_all(&scores)?.report()?;
/// let row = report.rows().iter().find(|r| r.segment.as_str() == "cant_lose_them").ok_or("no row")?;
/// assert_eq!((row.customers, row.revenue), (1, Money::new(7500)));
/// assert_eq!(row.revenue_share, Some(7500.0 / 9600.0));
/// assert_eq!(report.rows().len(), 12); // every segment, empty ones too
/// println!("{}", report.display_table(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct SegmentReport {
    customers: usize,
    revenue: Money,
    rows: Vec<SegmentRow>,
    /// Missing in reports written before it existed (then empty).
    #[serde(default)]
    score_counts: ScoreCounts,
}

#[derive(Default)]
struct RowAcc {
    customers: usize,
    revenue: i128,
    recency: i128,
    frequency: u128,
}

impl SegmentReport {
    /// The report of a segmentation.
    ///
    /// Revenue sums are exact (accumulated in 128 bits) and checked: a
    /// segment's revenue, or the revenue of all segments, must fit in
    /// `i64` minor units (over 92 quadrillion).
    ///
    /// # Errors
    ///
    /// - [`Error::SegmentOverflow`] naming the first segment (in table
    ///   order) whose revenue leaves `i64` minor units;
    /// - [`Error::OutOfRange`] (what `total revenue`) if every segment's
    ///   revenue fits but their sum does not.
    pub fn new(segmentation: &Segmentation) -> Result<SegmentReport> {
        let table = &segmentation.table;
        let mut accs: Vec<RowAcc> = table.segments().map(|_| RowAcc::default()).collect();
        let (mut total_customers, mut total_revenue) = (0_usize, 0_i128);
        for (k, &s) in segmentation.segment.iter().enumerate() {
            let (Some(acc), Some(c)) = (accs.get_mut(usize::from(s)), segmentation.scores.row(k))
            else {
                continue;
            };
            acc.customers += 1;
            acc.revenue += i128::from(c.monetary.minor_units());
            acc.recency += i128::from(c.recency_days);
            acc.frequency += u128::from(c.frequency);
            total_customers += 1;
            total_revenue += i128::from(c.monetary.minor_units());
        }
        #[allow(clippy::cast_precision_loss)]
        let rows = table
            .segments()
            .zip(accs)
            .map(|(segment, acc)| {
                let revenue = i64::try_from(acc.revenue).map_err(|_| Error::SegmentOverflow {
                    segment: segment.to_string(),
                })?;
                let n = acc.customers as f64;
                let mean = |sum: f64| (acc.customers > 0).then(|| sum / n);
                Ok(SegmentRow {
                    segment: segment.clone(),
                    customers: acc.customers,
                    customer_share: if total_customers == 0 {
                        0.0
                    } else {
                        n / total_customers as f64
                    },
                    revenue: Money::new(revenue),
                    revenue_share: (total_revenue > 0)
                        .then(|| acc.revenue as f64 / total_revenue as f64),
                    mean_recency_days: mean(acc.recency as f64),
                    mean_frequency: mean(acc.frequency as f64),
                    mean_monetary: mean(acc.revenue as f64),
                })
            })
            .collect::<Result<Vec<SegmentRow>>>()?;
        Ok(SegmentReport {
            customers: total_customers,
            revenue: crate::money::total(total_revenue, "total revenue")?,
            rows,
            score_counts: segmentation.scores.score_counts(),
        })
    }

    /// Customers per R, F and M score, so that a score nobody got (an
    /// [`EmptyScore`](crate::rfm::EmptyScore) of the quantile method) is
    /// visible next to the segments; printed under the segment table.
    #[must_use]
    pub fn score_counts(&self) -> &ScoreCounts {
        &self.score_counts
    }

    /// The rows, in table order.
    #[must_use]
    pub fn rows(&self) -> &[SegmentRow] {
        &self.rows
    }

    /// All customers.
    #[must_use]
    pub fn customers(&self) -> usize {
        self.customers
    }

    /// All net revenue.
    #[must_use]
    pub fn revenue(&self) -> Money {
        self.revenue
    }

    /// An aligned text table with money written with `scale` decimals.
    #[must_use]
    pub fn display_table(&self, scale: u32) -> DisplayReport<'_> {
        DisplayReport {
            report: self,
            scale,
        }
    }
}

impl fmt::Display for SegmentReport {
    /// An aligned text table with money in minor units.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.display_table(0), f)
    }
}

/// Displays a [`SegmentReport`]; made by [`SegmentReport::display_table`].
#[derive(Debug, Clone, Copy)]
pub struct DisplayReport<'a> {
    report: &'a SegmentReport,
    scale: u32,
}

impl fmt::Display for DisplayReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cells = crate::table::Cells::new(self.scale);
        let pct = |v: Option<f64>| cells.pct(v);
        let num = |v: Option<f64>, d: usize| cells.num(v, d);
        let money_mean = |v: Option<f64>| {
            v.map_or_else(
                || "-".to_owned(),
                |v| {
                    #[allow(clippy::cast_possible_truncation)]
                    let minor = v.round().clamp(i64::MIN as f64, i64::MAX as f64) as i64;
                    Money::new(minor).display_decimal(self.scale).to_string()
                },
            )
        };
        let header = [
            "segment",
            "customers",
            "share",
            "revenue",
            "rev share",
            "recency",
            "frequency",
            "monetary",
        ];
        let mut rows: Vec<[String; 8]> = vec![header.map(str::to_owned)];
        let all = SegmentRow {
            segment: Segment(CompactString::const_new("total")),
            customers: self.report.customers,
            customer_share: if self.report.customers > 0 { 1.0 } else { 0.0 },
            revenue: self.report.revenue,
            revenue_share: self.report.revenue.is_positive().then_some(1.0),
            mean_recency_days: None,
            mean_frequency: None,
            mean_monetary: None,
        };
        for row in self.report.rows.iter().chain(std::iter::once(&all)) {
            rows.push([
                row.segment.to_string(),
                row.customers.to_string(),
                pct(Some(row.customer_share)),
                row.revenue.display_decimal(self.scale).to_string(),
                pct(row.revenue_share),
                num(row.mean_recency_days, 1),
                num(row.mean_frequency, 2),
                money_mean(row.mean_monetary),
            ]);
        }
        crate::table::write(f, &rows, crate::table::Style::left(1))?;
        if self.report.score_counts.bins() > 0 {
            write!(f, "\n\n{}", self.report.score_counts)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Painting rules in order gives every cell the first rule that takes
    /// it, as trying the rules cell by cell does (overlapping rules, a
    /// rule taking any score, and edge ranges at 1 and `bins`).
    #[test]
    fn painting_agrees_with_first_match() {
        let overlapping = SegmentTable::builder(7)
            .rule(SegmentRule::new("a").unwrap().r(7..=7))
            .rule(SegmentRule::new("b").unwrap().f(1..=3).m(5..=7))
            .rule(SegmentRule::new("c").unwrap().r(1..=7).f(2..=6).m(1..=1))
            .rule(SegmentRule::new("d").unwrap())
            .fallback("z")
            .build()
            .unwrap();
        for table in [
            SegmentTable::standard(),
            SegmentTable::compact(),
            overlapping,
        ] {
            let lut = table.lookup();
            assert_eq!(lut.len(), usize::from(table.bins).pow(3));
            for (cell, s) in all_cells(table.bins).zip(lut) {
                assert_eq!(usize::from(s), table.index_of(cell), "{cell}");
            }
        }
    }

    fn cell(r: u8, f: u8, m: u8) -> RfmScore {
        RfmScore::new(
            Score::new(r).unwrap(),
            Score::new(f).unwrap(),
            Score::new(m).unwrap(),
        )
    }

    #[test]
    fn presets_are_valid_and_cover_every_cell_on_purpose() {
        let standard = SegmentTable::standard();
        assert_eq!(standard.rules().len(), 11);
        assert_eq!(standard.fallback_cells().count(), 0);
        let counts = standard.cell_counts();
        assert_eq!(counts, [8, 22, 20, 5, 5, 10, 5, 8, 22, 10, 10, 0]);
        let compact = SegmentTable::compact();
        assert_eq!(compact.rules().len(), 5);
        assert_eq!(compact.fallback_cells().count(), 0);
        assert_eq!(compact.cell_counts(), [20, 40, 15, 30, 20, 0]);
    }

    #[test]
    fn standard_preset_by_hand() {
        let t = SegmentTable::standard();
        let name = |r, f, m| t.assign(cell(r, f, m)).unwrap().as_str().to_owned();
        assert_eq!(name(5, 5, 5), "champions");
        assert_eq!(name(5, 5, 3), "loyal");
        assert_eq!(name(3, 4, 1), "loyal");
        assert_eq!(name(5, 2, 1), "potential_loyalist");
        assert_eq!(name(5, 1, 5), "new");
        assert_eq!(name(4, 1, 1), "promising");
        assert_eq!(name(3, 3, 3), "need_attention");
        assert_eq!(name(3, 1, 2), "about_to_sleep");
        assert_eq!(name(1, 5, 5), "cant_lose_them");
        assert_eq!(name(2, 5, 3), "at_risk");
        assert_eq!(name(2, 3, 5), "at_risk");
        assert_eq!(name(2, 2, 2), "dormant");
        assert_eq!(name(1, 1, 1), "lost");
    }

    #[test]
    #[allow(clippy::reversed_empty_ranges)]
    fn build_rejects_bad_tables_with_the_field() {
        let field = |b: SegmentTableBuilder| match b.build() {
            Err(Error::InvalidConfig { field, .. }) => field,
            other => panic!("expected InvalidConfig, got {other:?}"),
        };
        let rule = |n: &str| SegmentRule::new(n).unwrap();
        assert_eq!(field(SegmentTable::builder(5).rule(rule("a"))), "fallback");
        assert_eq!(field(SegmentTable::builder(1).fallback("x")), "bins");
        assert_eq!(
            field(
                SegmentTable::builder(5)
                    .rule(rule("a").f(3..=2))
                    .fallback("x")
            ),
            "rules[0].f"
        );
        assert_eq!(
            field(
                SegmentTable::builder(5)
                    .rule(rule("a").m(0..=2))
                    .fallback("x")
            ),
            "rules[0].m"
        );
        assert_eq!(
            field(
                SegmentTable::builder(5)
                    .rule(rule("a").r(4..=6))
                    .fallback("x")
            ),
            "rules[0].r"
        );
        assert_eq!(
            field(
                SegmentTable::builder(5)
                    .rule(rule("a").r(1..=1))
                    .rule(rule("a").r(2..=2))
                    .fallback("x")
            ),
            "rules[1].name"
        );
        assert_eq!(
            field(SegmentTable::builder(5).rule(rule("x")).fallback("x")),
            "rules[0].name"
        );
        assert_eq!(
            field(
                SegmentTable::builder(5)
                    .rule(rule("a").r(1..=3))
                    .rule(rule("b").r(2..=3).f(5..=5))
                    .fallback("x")
            ),
            "rules[1]"
        );
        assert_eq!(
            field(SegmentTable::builder(5).fallback("Other")),
            "fallback"
        );
    }

    #[test]
    fn assign_rejects_scores_beyond_bins() {
        let t = SegmentTable::standard();
        assert!(matches!(
            t.assign(cell(6, 1, 1)),
            Err(Error::OutOfRange { .. })
        ));
    }

    #[test]
    fn table_json_round_trips_and_is_validated() {
        let t = SegmentTable::standard();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<SegmentTable>(&json).unwrap(), t);
        let no_fallback = r#"{"bins":5,"rules":[{"name":"a"}]}"#;
        assert!(serde_json::from_str::<SegmentTable>(no_fallback).is_err());
        let ok = r#"{"bins":5,"rules":[{"name":"a","r":[4,5]}],"fallback":"b"}"#;
        let t: SegmentTable = serde_json::from_str(ok).unwrap();
        assert_eq!(t.assign(cell(4, 1, 1)).unwrap().as_str(), "a");
    }
}
