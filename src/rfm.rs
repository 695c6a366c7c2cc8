//! Summaries → RFM scores.
//!
//! Scoring is split into *fit* and *apply*, like a statistics model:
//!
//! 1. [`RfmModel::fit`] looks at a population of [`Summaries`] and freezes,
//!    for each dimension, the breakpoints ([`Cut`]s) between scores;
//! 2. [`RfmModel::score`] scores one customer (for a request path) and
//!    [`RfmModel::score_all`] a whole population, with those frozen cuts.
//!
//! A model is plain data: print it (`{}` gives the table of cuts), store it as
//! JSON, load it in another service, and it scores identically.
//!
//! # The three dimensions
//!
//! For a customer's [`CustomerSummary`] as of the summaries' date:
//!
//! - **R**ecency: `recency_days` = as-of − last order date. *Lower is
//!   better*: recent buyers score high.
//! - **F**requency: the number of completed orders, or of distinct purchase
//!   days with [`FrequencyBasis::PurchaseDays`]. Higher is better.
//! - **M**onetary: revenue net of returns, in minor units. Higher is better.
//!
//! Scores run from 1 (worst) to `bins` (best), default 5.
//!
//! # Methods
//!
//! Write `v` for a customer's value in a dimension, oriented so that higher
//! is better (for recency, `v = −recency_days`), `N` for the number of
//! scored customers and `n` for the number of bins.
//!
//! ## [`Method::Quantile`] (default): equal values, equal scores
//!
//! Sort the `N` values ascending as `v(1) <= … <= v(N)`. The cut points are
//! the empirical quantiles `b_k = v(⌈k·N/n⌉)` for `k = 1..n−1` (the
//! inverse of the empirical distribution function, "type 1" in R's
//! `quantile`). A value's score is
//!
//! ```text
//! score(v) = 1 + #{ k : v > b_k }
//! ```
//!
//! So a score depends only on the value: **two customers with equal values
//! always get equal scores**, and scores are always in `1..=n`. Without ties
//! this puts `N/n` customers in each bin when `n` divides `N`, exactly like
//! the rank method (otherwise the two round bin edges differently).
//!
//! *Heavy ties.* A tie block goes, whole, to the lowest bin it reaches, and
//! the bins it spans above that stay empty. With frequency, where most
//! customers bought once: if 60% have `F = 1`, then `b_1 = b_2 = b_3 = 1`,
//! so every one-time buyer scores 1, no customer scores 2 or 3, and
//! customers with 2 orders start at score 4 (if `b_4 = 2`, they stay at 4;
//! if `b_4 = 1`, they score 5). Nobody is moved up or down arbitrarily; the
//! printed cuts show where the empty bins are.
//!
//! ## [`Method::Rank`]: equal-count bins, ties broken by customer id
//!
//! Sort customers ascending by `v` (recency: by last order date, so the
//! most recent come last), breaking ties by [`CustomerId`] ascending; with
//! `r` the 1-based position,
//!
//! ```text
//! score = ⌈n · r / N⌉
//! ```
//!
//! This is pandas' `ceil(n * v.rank(method="first") / N)` on id-sorted
//! rows, and SQL's `CEIL(n * ROW_NUMBER() OVER (ORDER BY v, customer_id) / N)`.
//! It equals SQL's `NTILE(n)` when `n` divides `N`; otherwise the bin sizes
//! are the same but `NTILE` puts the larger bins first (7 customers in 3
//! bins: `NTILE` makes 3-2-2, this formula 2-2-3). Bin sizes differ by at
//! most one, but two customers with equal values can get different
//! scores (decided by their ids). The frozen cut for score `k+1` is the
//! customer at position `⌊k·N/n⌋ + 1` — its value *and id* — so scoring the
//! fitted population reproduces the formula exactly, and a new customer is
//! placed where they would sort.
//!
//! ## [`Method::Thresholds`]: fixed business thresholds
//!
//! You give `n − 1` increasing cut values per dimension, and nothing is
//! learned from the data. Recency cuts are *maximum* days:
//! `[30, 90, 180, 365]` means `≤ 30` days → 5, `≤ 90` → 4, `≤ 180` → 3,
//! `≤ 365` → 2, older → 1. Frequency and monetary cuts are *minimums*:
//! frequency `[2, 3, 5, 10]` means `≥ 10` → 5, `≥ 5` → 4, …, `1` → 1.
//!
//! # Degenerate populations
//!
//! - **Empty**: the fitted model has no cuts and scores every customer 1;
//!   scoring empty summaries gives empty scores. Check
//!   [`RfmModel::population`] before trusting a model in a request path.
//! - **One customer**, or **all values equal**: every quantile cut equals that
//!   value, so everyone scores 1 under [`Method::Quantile`] (nobody is better
//!   than anybody); under [`Method::Rank`] the scores spread by id.
//! - **Zero or negative monetary** (net refunds): ordinary values; they sort
//!   below positive ones.
//! - **Customers without a completed order** (returns only): they have no
//!   recency, are not used to fit, and [`Scores::unscored`] lists them.

use std::fmt;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::CustomerId;
use crate::ingest::{CustomerIndex, IdOrder};
use crate::money::Money;
use crate::par::{column, join3};
use crate::summary::{CustomerSummary, NO_DAY, Summaries, SummaryColumns};

/// The smallest number of bins: 2.
pub const MIN_BINS: u8 = 2;
/// The largest number of bins: 100.
pub const MAX_BINS: u8 = 100;

/// A score in one dimension, `1..=100`; `1` is worst.
///
/// A score knows nothing of the number of bins; models and segment tables
/// check scores against their own `bins`.
///
/// # Example
///
/// ```
/// use rfmkit::rfm::Score;
///
/// let s = Score::new(4)?;
/// assert_eq!(s.get(), 4);
/// assert!(Score::new(0).is_err());
/// assert_eq!(serde_json::to_string(&s)?, "4");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Score(u8);

impl Score {
    /// The lowest score, 1.
    pub const MIN: Score = Score(1);

    /// A score.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] unless `1 <= value <= 100`.
    pub fn new(value: u8) -> Result<Score> {
        if (1..=MAX_BINS).contains(&value) {
            Ok(Score(value))
        } else {
            Err(Error::OutOfRange {
                what: "score",
                value: value.to_string(),
                expected: format!("scores are 1..={MAX_BINS}"),
            })
        }
    }

    /// The score as a number.
    #[must_use]
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Score {
    type Error = Error;
    fn try_from(value: u8) -> Result<Score> {
        Score::new(value)
    }
}

impl From<Score> for u8 {
    fn from(score: Score) -> u8 {
        score.0
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A customer's three scores: the RFM *cell*, written `r-f-m` (`5-4-3`).
///
/// # Example
///
/// ```
/// use rfmkit::rfm::{RfmScore, Score};
///
/// let cell = RfmScore::new(Score::new(5)?, Score::new(4)?, Score::new(3)?);
/// assert_eq!(cell.to_string(), "5-4-3");
/// assert_eq!(cell.r.get(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RfmScore {
    /// Recency score.
    pub r: Score,
    /// Frequency score.
    pub f: Score,
    /// Monetary score.
    pub m: Score,
}

impl RfmScore {
    /// A cell from its three scores.
    #[must_use]
    pub const fn new(r: Score, f: Score, m: Score) -> RfmScore {
        RfmScore { r, f, m }
    }
}

impl fmt::Display for RfmScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{}-{}-{}", self.r, self.f, self.m))
    }
}

/// Which count is the frequency.
///
/// # Example
///
/// ```
/// use rfmkit::rfm::FrequencyBasis;
/// assert_eq!(FrequencyBasis::default(), FrequencyBasis::Orders);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FrequencyBasis {
    /// The number of completed orders (the default).
    #[default]
    Orders,
    /// The number of distinct days with a completed order: a basket split
    /// into several orders on one day counts once.
    PurchaseDays,
}

/// Fixed business thresholds for [`Method::Thresholds`]: `bins − 1`
/// strictly increasing cuts per dimension.
///
/// Recency cuts are maximum days (`recency_days <= cut`), frequency and
/// monetary cuts are minimums (`value >= cut`); see the
/// [module docs](self#methodthresholds-fixed-business-thresholds).
///
/// # Example
///
/// ```
/// use rfmkit::rfm::Thresholds;
/// use rfmkit::Money;
///
/// let t = Thresholds::new(
///     vec![30, 90, 180, 365],
///     vec![2, 3, 5, 10],
///     vec![Money::new(5_000), Money::new(20_000), Money::new(50_000), Money::new(100_000)],
/// )?;
/// assert_eq!(t.bins(), 5);
/// assert!(Thresholds::new(vec![90, 30], vec![2, 3], vec![Money::new(1), Money::new(2)]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawThresholds")]
pub struct Thresholds {
    recency_days: Vec<u32>,
    frequency: Vec<u64>,
    monetary: Vec<Money>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThresholds {
    recency_days: Vec<u32>,
    frequency: Vec<u64>,
    monetary: Vec<Money>,
}

impl TryFrom<RawThresholds> for Thresholds {
    type Error = Error;
    fn try_from(raw: RawThresholds) -> Result<Thresholds> {
        Thresholds::new(raw.recency_days, raw.frequency, raw.monetary)
    }
}

fn check_increasing<T: PartialOrd + fmt::Display>(field: &str, cuts: &[T]) -> Result<()> {
    if let Some(pair) = cuts.windows(2).position(|w| matches!(w, [a, b] if a >= b)) {
        let (a, b) = (cuts.get(pair), cuts.get(pair + 1));
        if let (Some(a), Some(b)) = (a, b) {
            return Err(Error::config(
                field,
                format!(
                    "cuts must be strictly increasing, but cut {} ({a}) >= cut {} ({b})",
                    pair,
                    pair + 1
                ),
            ));
        }
    }
    Ok(())
}

impl Thresholds {
    /// Thresholds from the cuts of each dimension.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `thresholds.recency_days`,
    /// `thresholds.frequency` or `thresholds.monetary`) if a list is not
    /// strictly increasing, the lists differ in length, or the length is not
    /// `1..=99` (that is, `bins − 1` for 2 to 100 bins).
    pub fn new(
        recency_days: Vec<u32>,
        frequency: Vec<u64>,
        monetary: Vec<Money>,
    ) -> Result<Thresholds> {
        let n = recency_days.len();
        if n < usize::from(MIN_BINS - 1) || n > usize::from(MAX_BINS - 1) {
            return Err(Error::config(
                "thresholds.recency_days",
                format!("has {n} cuts; give bins - 1 cuts, 1..={}", MAX_BINS - 1),
            ));
        }
        for (field, len) in [
            ("thresholds.frequency", frequency.len()),
            ("thresholds.monetary", monetary.len()),
        ] {
            if len != n {
                return Err(Error::config(
                    field,
                    format!(
                        "has {len} cuts but thresholds.recency_days has {n}; all dimensions need bins - 1 cuts"
                    ),
                ));
            }
        }
        check_increasing("thresholds.recency_days", &recency_days)?;
        check_increasing("thresholds.frequency", &frequency)?;
        check_increasing("thresholds.monetary", &monetary)?;
        Ok(Thresholds {
            recency_days,
            frequency,
            monetary,
        })
    }

    /// The number of bins these thresholds make: cuts + 1.
    #[must_use]
    pub fn bins(&self) -> u8 {
        // The constructor bounds the length to 1..=99.
        u8::try_from(self.recency_days.len() + 1).unwrap_or(MAX_BINS)
    }

    /// The recency cuts, in days.
    #[must_use]
    pub fn recency_days(&self) -> &[u32] {
        &self.recency_days
    }

    /// The frequency cuts.
    #[must_use]
    pub fn frequency(&self) -> &[u64] {
        &self.frequency
    }

    /// The monetary cuts.
    #[must_use]
    pub fn monetary(&self) -> &[Money] {
        &self.monetary
    }
}

/// How scores are assigned; see the [module docs](self#methods).
///
/// # Example
///
/// ```
/// use rfmkit::rfm::Method;
/// assert_eq!(Method::default(), Method::Quantile);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Method {
    /// Empirical quantile cuts; equal values get equal scores (the default).
    #[default]
    Quantile,
    /// Equal-count bins by rank, ties broken by customer id
    /// (`⌈n·r/N⌉`, SQL's `NTILE` when `n` divides `N`).
    Rank,
    /// Fixed business thresholds.
    Thresholds(Thresholds),
}

impl Method {
    fn name(&self) -> &'static str {
        match self {
            Method::Quantile => "quantile",
            Method::Rank => "rank",
            Method::Thresholds(_) => "thresholds",
        }
    }
}

/// How to score: number of bins, method and frequency basis.
///
/// Build with [`ScoringConfig::builder`]; [`Default`] is 5 bins,
/// [`Method::Quantile`], [`FrequencyBasis::Orders`].
///
/// # Example
///
/// ```
/// use rfmkit::rfm::{FrequencyBasis, Method, ScoringConfig};
///
/// let config = ScoringConfig::builder()
///     .bins(4)
///     .method(Method::Rank)
///     .frequency(FrequencyBasis::PurchaseDays)
///     .build()?;
/// assert_eq!(config.bins(), 4);
/// assert_eq!(ScoringConfig::default().bins(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "ScoringConfigBuilder")]
pub struct ScoringConfig {
    bins: u8,
    method: Method,
    frequency: FrequencyBasis,
}

impl Default for ScoringConfig {
    fn default() -> ScoringConfig {
        ScoringConfig {
            bins: 5,
            method: Method::Quantile,
            frequency: FrequencyBasis::Orders,
        }
    }
}

impl ScoringConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> ScoringConfigBuilder {
        ScoringConfigBuilder::default()
    }

    /// The number of bins: scores run `1..=bins`.
    #[must_use]
    pub fn bins(&self) -> u8 {
        self.bins
    }

    /// The scoring method.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Which count is the frequency.
    #[must_use]
    pub fn frequency(&self) -> FrequencyBasis {
        self.frequency
    }
}

/// Builder of a [`ScoringConfig`]; setters take and return the builder.
///
/// # Example
///
/// ```
/// use rfmkit::rfm::ScoringConfig;
///
/// let err = ScoringConfig::builder().bins(1).build().unwrap_err();
/// assert_eq!(err.to_string(), "config bins: is 1; use 2..=100 bins");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", default, deny_unknown_fields)]
#[must_use]
pub struct ScoringConfigBuilder {
    bins: u8,
    method: Method,
    frequency: FrequencyBasis,
}

impl Default for ScoringConfigBuilder {
    fn default() -> ScoringConfigBuilder {
        let ScoringConfig {
            bins,
            method,
            frequency,
        } = ScoringConfig::default();
        ScoringConfigBuilder {
            bins,
            method,
            frequency,
        }
    }
}

impl ScoringConfigBuilder {
    /// Sets the number of bins, `2..=100` (default 5). With
    /// [`Method::Thresholds`] it must be the thresholds' cuts + 1.
    pub fn bins(mut self, bins: u8) -> Self {
        self.bins = bins;
        self
    }

    /// Sets the method (default [`Method::Quantile`]).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Sets the frequency basis (default [`FrequencyBasis::Orders`]).
    pub fn frequency(mut self, frequency: FrequencyBasis) -> Self {
        self.frequency = frequency;
        self
    }

    /// Validates and builds the config.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] with field `bins` if bins is outside
    /// `2..=100`, or with [`Method::Thresholds`] differs from the number of
    /// cuts + 1.
    pub fn build(self) -> Result<ScoringConfig> {
        if !(MIN_BINS..=MAX_BINS).contains(&self.bins) {
            return Err(Error::config(
                "bins",
                format!("is {}; use {MIN_BINS}..={MAX_BINS} bins", self.bins),
            ));
        }
        if let Method::Thresholds(t) = &self.method {
            if t.bins() != self.bins {
                return Err(Error::config(
                    "bins",
                    format!(
                        "is {} but the thresholds have {} cuts per dimension, which make {} bins",
                        self.bins,
                        t.bins() - 1,
                        t.bins()
                    ),
                ));
            }
        }
        Ok(ScoringConfig {
            bins: self.bins,
            method: self.method,
            frequency: self.frequency,
        })
    }
}

impl TryFrom<ScoringConfigBuilder> for ScoringConfig {
    type Error = Error;
    fn try_from(builder: ScoringConfigBuilder) -> Result<ScoringConfig> {
        builder.build()
    }
}

/// One of the three RFM dimensions.
///
/// # Example
///
/// ```
/// use rfmkit::rfm::Dimension;
/// assert_eq!(Dimension::Recency.to_string(), "recency");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Days since the last order (lower is better).
    Recency,
    /// Number of orders or purchase days.
    Frequency,
    /// Net revenue in minor units.
    Monetary,
}

impl Dimension {
    /// All three, in R, F, M order.
    pub const ALL: [Dimension; 3] = [
        Dimension::Recency,
        Dimension::Frequency,
        Dimension::Monetary,
    ];
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Dimension::Recency => "recency",
            Dimension::Frequency => "frequency",
            Dimension::Monetary => "monetary",
        })
    }
}

/// The frozen breakpoint of one score in one dimension: a customer scores at
/// least `score` when their value *passes* the cut.
///
/// `value` is in the dimension's natural unit (days, orders, minor units),
/// and what "passes" means depends on the method:
///
/// | method | recency passes when | frequency, monetary pass when |
/// |---|---|---|
/// | [`Method::Quantile`] | `recency_days < value` | `v > value` |
/// | [`Method::Rank`] | `recency_days < value`, or equal and id `>= customer` | `v > value`, or equal and id `>= customer` |
/// | [`Method::Thresholds`] | `recency_days <= value` | `v >= value` |
///
/// So a quantile cut is the empirical quantile `b_k` itself (the value R's
/// `quantile(type = 1)` gives), a rank cut is the first customer of the
/// bin (value and id), and a threshold cut is your own number.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::rfm::{Dimension, RfmModel, ScoringConfig};
/// use rfmkit::summary::Summaries;
/// use rfmkit::{Money, Order};
///
/// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
/// let orders: Vec<Order> = (1..=5)
///     .map(|i| Ok(Order::new(format!("A-{i}"), format!("c{i}"), d(i)?, Money::new(i64::from(i) * 100))))
///     .collect::<Result<_, &str>>()?;
/// let summaries = Summaries::from_orders(&orders, d(10)?)?;
/// let model = RfmModel::fit(&ScoringConfig::default(), &summaries);
/// // Score 5 needs the top 20%: monetary above the 80% quantile, 400.
/// let top = model.cuts(Dimension::Monetary).last().ok_or("no cuts")?;
/// assert_eq!((top.score.get(), top.value), (5, 400));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Cut {
    /// The score this cut opens, `2..=bins`.
    pub score: Score,
    /// The value to reach, in the dimension's natural unit.
    pub value: i64,
    /// The id tie-break of [`Method::Rank`]; `None` for the other methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerId>,
}

/// A score that no customer can get under a fitted model: its cut equals
/// the next score's, so a value passing one passes the other.
///
/// Under [`Method::Quantile`] this happens when a tie block spans several
/// quantiles (if 60% of customers bought once, `b_1 = b_2 = b_3 = 1` and
/// F 2 and F 3 are empty; see the [module docs](self#methods)). Under
/// [`Method::Rank`] it happens only with fewer customers than bins. Listed
/// by [`RfmModel::empty_scores`] and named under the printed cut table.
///
/// Only scores `2..bins` can be detected from the cuts alone; the top score
/// is empty when nobody passes its cut, which [`ScoreCounts`] shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct EmptyScore {
    /// The dimension.
    pub dimension: Dimension,
    /// The score nobody can get.
    pub score: Score,
    /// The shared cut value, in the dimension's unit (days, orders or
    /// purchase days, minor units).
    pub value: i64,
}

/// Customers per score in each dimension: made by
/// [`Scores::score_counts`], shown under a
/// [`SegmentReport`](crate::segment::SegmentReport) so that empty scores
/// ([`EmptyScore`]) are visible.
///
/// Serialized as `{"bins": 5, "recency": [..], "frequency": [..],
/// "monetary": [..]}`, each list indexed by score − 1 (score 1 first);
/// deserializing checks that every list has `bins` entries. Printed as a
/// table with the best score first, a 0 marked `(empty)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawScoreCounts")]
pub struct ScoreCounts {
    bins: u8,
    recency: Vec<u64>,
    frequency: Vec<u64>,
    monetary: Vec<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawScoreCounts {
    bins: u8,
    recency: Vec<u64>,
    frequency: Vec<u64>,
    monetary: Vec<u64>,
}

impl TryFrom<RawScoreCounts> for ScoreCounts {
    type Error = Error;
    fn try_from(raw: RawScoreCounts) -> Result<ScoreCounts> {
        for (field, list) in [
            ("recency", &raw.recency),
            ("frequency", &raw.frequency),
            ("monetary", &raw.monetary),
        ] {
            if list.len() != usize::from(raw.bins) {
                return Err(Error::config(
                    field,
                    format!(
                        "has {} counts for {} bins; give one count per score",
                        list.len(),
                        raw.bins
                    ),
                ));
            }
        }
        Ok(ScoreCounts {
            bins: raw.bins,
            recency: raw.recency,
            frequency: raw.frequency,
            monetary: raw.monetary,
        })
    }
}

impl ScoreCounts {
    /// The number of bins (0 for counts read from a report written before
    /// they existed).
    #[must_use]
    pub fn bins(&self) -> u8 {
        self.bins
    }

    /// The customers per score of one dimension, score 1 first.
    #[must_use]
    pub fn counts(&self, dimension: Dimension) -> &[u64] {
        match dimension {
            Dimension::Recency => &self.recency,
            Dimension::Frequency => &self.frequency,
            Dimension::Monetary => &self.monetary,
        }
    }

    /// The customers with `score` in `dimension` (0 above the bins).
    #[must_use]
    pub fn count(&self, dimension: Dimension, score: Score) -> u64 {
        self.counts(dimension)
            .get(usize::from(score.get().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    }
}

impl fmt::Display for ScoreCounts {
    /// `customers per score:` and a table, best score first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "customers per score:")?;
        let mut rows: Vec<[String; 4]> = vec![["score", "R", "F", "M"].map(String::from)];
        for k in (0..usize::from(self.bins)).rev() {
            let cell = |list: &[u64]| match list.get(k) {
                Some(0) => "0 (empty)".to_owned(),
                Some(n) => n.to_string(),
                None => "-".to_owned(),
            };
            rows.push([
                (k + 1).to_string(),
                cell(&self.recency),
                cell(&self.frequency),
                cell(&self.monetary),
            ]);
        }
        crate::table::write(f, &rows, crate::table::Style::left(1))
    }
}

/// A fitted, frozen RFM scoring model.
///
/// Fit with [`RfmModel::fit`]; inspect with [`cuts`](Self::cuts) or print
/// it (`{}` lists the cuts; [`display_table`](Self::display_table) writes
/// monetary as decimals); serialize it as JSON; score with
/// [`score`](Self::score) and [`score_all`](Self::score_all).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::rfm::{RfmModel, ScoringConfig};
/// use rfmkit::summary::Summaries;
/// use rfmkit::{Money, Order};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let orders = vec![
///     Order::new("A-1", "alice", d(1, 5)?, Money::new(4500)),
///     Order::new("A-2", "alice", d(3, 20)?, Money::new(3000)),
///     Order::new("A-3", "bob", d(2, 10)?, Money::new(1200)),
///     Order::new("A-4", "carol", d(3, 28)?, Money::new(900)),
/// ];
/// let summaries = Summaries::from_orders(&orders, d(3, 31)?)?;
/// let config = ScoringConfig::builder().bins(3).build()?;
/// let model = RfmModel::fit(&config, &summaries);
/// let scores = model.score_all(&summaries);
/// let cells: Vec<String> = scores.iter().map(|s| s.score.to_string()).collect();
/// assert_eq!(cells, ["2-3-3", "1-1-2", "3-1-1"]); // alice, bob, carol
///
/// let json = serde_json::to_string(&model)?;
/// let loaded: RfmModel = serde_json::from_str(&json)?;
/// assert_eq!(loaded.score_all(&summaries), scores);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawModel")]
pub struct RfmModel {
    config: ScoringConfig,
    as_of: NaiveDate,
    population: usize,
    /// The id order of rank tie-breaks (text unless fitted on numeric ids).
    #[serde(default, skip_serializing_if = "is_text")]
    id_order: IdOrder,
    recency: Vec<Cut>,
    frequency: Vec<Cut>,
    monetary: Vec<Cut>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawModel {
    config: ScoringConfig,
    as_of: NaiveDate,
    population: usize,
    #[serde(default)]
    id_order: IdOrder,
    recency: Vec<Cut>,
    frequency: Vec<Cut>,
    monetary: Vec<Cut>,
}

impl TryFrom<RawModel> for RfmModel {
    type Error = Error;
    fn try_from(raw: RawModel) -> Result<RfmModel> {
        let bins = raw.config.bins;
        for (dim, cuts) in [
            (Dimension::Recency, &raw.recency),
            (Dimension::Frequency, &raw.frequency),
            (Dimension::Monetary, &raw.monetary),
        ] {
            let field = dim.to_string();
            if !cuts.is_empty() && cuts.len() != usize::from(bins - 1) {
                return Err(Error::config(
                    field,
                    format!(
                        "has {} cuts; a {bins}-bin model has {} (or none)",
                        cuts.len(),
                        bins - 1
                    ),
                ));
            }
            for (i, cut) in cuts.iter().enumerate() {
                if usize::from(cut.score.get()) != i + 2 {
                    return Err(Error::config(
                        format!("{field}[{i}].score"),
                        format!("is {}; cuts open scores 2..={bins} in order", cut.score),
                    ));
                }
            }
            let order = raw.id_order;
            let ordered = cuts.windows(2).all(|w| match w {
                [a, b] => dim
                    .oriented(a.value)
                    .cmp(&dim.oriented(b.value))
                    .then_with(|| match (&a.customer, &b.customer) {
                        (Some(x), Some(y)) => order.compare(x.as_str(), y.as_str()),
                        (x, y) => x.is_some().cmp(&y.is_some()),
                    })
                    .is_le(),
                _ => true,
            });
            if !ordered {
                return Err(Error::config(
                    field,
                    "cuts must be ordered from score 2 upwards",
                ));
            }
        }
        Ok(RfmModel {
            config: raw.config,
            as_of: raw.as_of,
            population: raw.population,
            id_order: raw.id_order,
            recency: raw.recency,
            frequency: raw.frequency,
            monetary: raw.monetary,
        })
    }
}

impl Dimension {
    /// The customer's value in this dimension, natural unit; `None` for a
    /// customer without a completed order.
    fn value(self, summary: &CustomerSummary, basis: FrequencyBasis) -> Option<i64> {
        match self {
            Dimension::Recency => summary.recency_days(),
            Dimension::Frequency => {
                let count = match basis {
                    FrequencyBasis::Orders => summary.orders(),
                    FrequencyBasis::PurchaseDays => summary.purchase_days(),
                };
                (count > 0).then(|| i64::try_from(count).unwrap_or(i64::MAX))
            }
            Dimension::Monetary => summary
                .last_order_date()
                .map(|_| summary.monetary().minor_units()),
        }
    }

    /// The values of the customers at `rows` (each with a completed
    /// order), one tight loop per dimension.
    fn values(
        self,
        cols: &SummaryColumns,
        rows: &[u32],
        as_of_day: i64,
        basis: FrequencyBasis,
    ) -> Vec<i64> {
        let at = |p: u32| crate::id::widen(p);
        match (self, basis) {
            (Dimension::Recency, _) => column(rows.len(), |k| {
                let p = rows.get(k).map_or(usize::MAX, |&p| at(p));
                as_of_day - cols.last.get(p).map_or(0, |&d| i64::from(d))
            }),
            (Dimension::Frequency, FrequencyBasis::Orders) => column(rows.len(), |k| {
                let p = rows.get(k).map_or(usize::MAX, |&p| at(p));
                cols.orders.get(p).map_or(0, |&o| i64::from(o))
            }),
            (Dimension::Frequency, FrequencyBasis::PurchaseDays) => column(rows.len(), |k| {
                let p = rows.get(k).map_or(usize::MAX, |&p| at(p));
                i64::from(cols.purchase_days(p))
            }),
            (Dimension::Monetary, _) => column(rows.len(), |k| {
                let p = rows.get(k).map_or(usize::MAX, |&p| at(p));
                cols.monetary(p)
            }),
        }
    }

    /// The value oriented so that higher is better, widened so that
    /// negation cannot overflow.
    fn oriented(self, value: i64) -> i128 {
        match self {
            Dimension::Recency => -i128::from(value),
            Dimension::Frequency | Dimension::Monetary => i128::from(value),
        }
    }

    /// An order-preserving `u64` key of an oriented value (higher is
    /// better): exact for every value made from an `i64`.
    fn key(self, value: i64) -> u64 {
        let oriented = match self {
            // −value can overflow for i64::MIN; recency is a day count far
            // inside the range, but stay total: saturate.
            Dimension::Recency => value.checked_neg().unwrap_or(i64::MAX),
            Dimension::Frequency | Dimension::Monetary => value,
        };
        u64::from_ne_bytes((oriented ^ i64::MIN).to_ne_bytes())
    }
}

/// Whether a customer with `value` and id `id` passes `cut`: strictly
/// better for a quantile cut, at least as good otherwise (with the id
/// tie-break of a rank cut, in `order`).
fn passes(dim: Dimension, strict: bool, order: IdOrder, value: i64, id: &str, cut: &Cut) -> bool {
    let (v, c) = (dim.oriented(value), dim.oriented(cut.value));
    v > c
        || (!strict
            && v == c
            && cut
                .customer
                .as_ref()
                .is_none_or(|tie| order.compare(id, tie.as_str()).is_ge()))
}

/// A cut prepared for scoring the customers of one index: the oriented
/// value and, for a rank cut, the tie-break as a position in that index
/// (customers at or after it pass on an equal value).
#[derive(Debug, Clone, Copy)]
struct PreparedCut {
    /// [`Dimension::key`] of the cut value.
    key: u64,
    /// Customers at or after this position pass on an equal value (0 for a
    /// cut without a tie-break).
    tie: usize,
}

fn prepare(dim: Dimension, cuts: &[Cut], index: &CustomerIndex) -> Vec<PreparedCut> {
    let order = index.id_order();
    cuts.iter()
        .map(|cut| PreparedCut {
            key: dim.key(cut.value),
            // The insertion point of the tie id: every id at or after it is
            // >= the tie id in the index's order.
            tie: cut.customer.as_ref().map_or(0, |tie| {
                index
                    .ids()
                    .partition_point(|id| order.compare(id.as_str(), tie.as_str()).is_lt())
            }),
        })
        .collect()
}

/// The score of a value (and position) against prepared cuts.
#[inline]
fn score_prepared(
    cuts: &[PreparedCut],
    strict: bool,
    dim: Dimension,
    value: i64,
    position: usize,
) -> u8 {
    let v = dim.key(value);
    let reached =
        cuts.partition_point(|c| v > c.key || (!strict && v == c.key && position >= c.tie));
    // reached <= bins - 1 <= 99.
    u8::try_from(reached + 1).unwrap_or(u8::MAX)
}

/// The position of the `r`-th item (0-based) of `keys` sorted by key with
/// ties in position order (a stable sort), for each rank `r` of `ranks`
/// (ascending): selections on (key, position) pairs, each within the part
/// left of the previous one, instead of sorting every key (the cuts of a
/// dimension need 4 ranks of a million). A rank past the end gives `None`.
fn stable_ranks(keys: &[u64], ranks: &[usize]) -> Vec<Option<u32>> {
    let mut out = vec![None; ranks.len()];
    let (Some(&min), Some(&max)) = (keys.iter().min(), keys.iter().max()) else {
        return out;
    };
    let n = keys.len();
    let key_bits = 64 - (max - min).leading_zeros();
    let pos_bits = 64 - u64::try_from(n).unwrap_or(u64::MAX).leading_zeros();
    if key_bits + pos_bits <= 64 {
        // Key and position packed in one word (the usual case).
        let mut items: Vec<u64> = keys
            .iter()
            .zip(0_u64..)
            .map(|(&k, i)| ((k - min) << pos_bits) | i)
            .collect();
        let low = (1_u64 << pos_bits) - 1;
        select_ranks(&mut items, ranks, &mut out, |v| u32::try_from(v & low).ok());
    } else {
        // Wide keys: (key, position) pairs.
        let mut pairs: Vec<(u64, u32)> = keys.iter().zip(0_u32..).map(|(&k, i)| (k, i)).collect();
        select_ranks(&mut pairs, ranks, &mut out, |(_, i)| Some(i));
    }
    out
}

/// `out[j] = of(the ranks[j]-th smallest item)` for ascending `ranks`
/// (distinct items): selects from the highest rank down, each within the
/// part before the previous one (everything there is smaller).
fn select_ranks<T: Ord + Copy>(
    items: &mut [T],
    ranks: &[usize],
    out: &mut [Option<u32>],
    of: impl Fn(T) -> Option<u32>,
) {
    let mut end = items.len();
    for (slot, &rank) in out.iter_mut().zip(ranks).rev() {
        if rank >= items.len() {
            continue;
        }
        if rank < end {
            if let Some(part) = items.get_mut(..end) {
                part.select_nth_unstable(rank);
            }
            end = rank;
        }
        // `rank == end`: the item selected last (an equal rank).
        *slot = items.get(rank).and_then(|&v| of(v));
    }
}

fn is_text(order: &IdOrder) -> bool {
    *order == IdOrder::Text
}

/// The cuts of one dimension fitted on `values` (one per customer of the
/// population, in id order); `id(i)` is the id of the `i`-th customer.
fn fit_cuts(
    config: &ScoringConfig,
    dim: Dimension,
    values: &[i64],
    id: &(dyn Fn(usize) -> Option<CustomerId> + Sync),
) -> Vec<Cut> {
    if let Method::Thresholds(t) = &config.method {
        return threshold_cuts(dim, t);
    }
    let population = values.len();
    if population == 0 {
        return Vec::new();
    }
    let n = usize::from(config.bins);
    // The rank (0-based) of the customer that sets cut `k`: position
    // ⌊kN/n⌋ + 1 (1-based) for the rank method, else ⌈kN/n⌉.
    let rank_of = |k: usize| match config.method {
        Method::Rank => k * population / n,
        _ => (k * population).div_ceil(n) - 1,
    };
    let ranks: Vec<usize> = (1..n).map(rank_of).collect();
    // In a stable order by value (ties in id order, as the rank method
    // requires).
    let keys: Vec<u64> = values.iter().map(|&v| dim.key(v)).collect();
    let picked = stable_ranks(&keys, &ranks);
    drop(keys);
    // The customer of cut `k`: its index among the population.
    let at = |k: usize| -> Option<usize> { Some(crate::id::widen(picked.get(k - 1).copied()??)) };
    let value = |i: usize| values.get(i).copied().unwrap_or_default();
    (1..n)
        .filter_map(|k| {
            let score = Score::new(u8::try_from(k + 1).ok()?).ok()?;
            let i = at(k)?;
            // The rank method names the customer at each cut (ties are
            // broken by position); a quantile cut b_k = v(⌈kN/n⌉) is a
            // value only (passing means v > b_k).
            Some(Cut {
                score,
                value: value(i),
                customer: if config.method == Method::Rank {
                    id(i)
                } else {
                    None
                },
            })
        })
        .collect()
}

impl RfmModel {
    /// Fits a model on a population of summaries, as of their date.
    ///
    /// Customers without a completed order are left out of the fit (they
    /// have no recency). Fitting is deterministic: the same summaries give
    /// the same model. See the [module docs](self) for each method's cuts
    /// and for empty or degenerate populations.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::rfm::{RfmModel, ScoringConfig};
    /// use rfmkit::summary::Summaries;
    ///
    /// let as_of = NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("bad date")?;
    /// let model = RfmModel::fit(&ScoringConfig::default(), &Summaries::empty(as_of));
    /// assert_eq!(model.population(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn fit(config: &ScoringConfig, summaries: &Summaries) -> RfmModel {
        let basis = config.frequency;
        let cols = summaries.columns();
        let index = summaries.index();
        let as_of_day = i64::from(summaries.as_of().num_days_from_ce());
        // The fitted population: customers with a completed order, in id
        // order (positions in the index).
        let scored: Vec<u32> = (0_u32..)
            .zip(&cols.last)
            .filter(|&(_, &last)| last != NO_DAY)
            .map(|(i, _)| i)
            .collect();
        let population = scored.len();
        let id = |i: usize| {
            scored
                .get(i)
                .and_then(|&p| index.id(crate::id::widen(p)))
                .cloned()
        };
        let fit_dim = |dim: Dimension| -> Vec<Cut> {
            if let Method::Thresholds(t) = &config.method {
                return threshold_cuts(dim, t);
            }
            let values = dim.values(cols, &scored, as_of_day, basis);
            fit_cuts(config, dim, &values, &id)
        };
        let (recency, frequency, monetary) = join3(
            || fit_dim(Dimension::Recency),
            || fit_dim(Dimension::Frequency),
            || fit_dim(Dimension::Monetary),
        );
        RfmModel {
            config: config.clone(),
            as_of: summaries.as_of(),
            population,
            id_order: index.id_order(),
            recency,
            frequency,
            monetary,
        }
    }

    /// The config the model was fitted with.
    #[must_use]
    pub fn config(&self) -> &ScoringConfig {
        &self.config
    }

    /// The as-of date of the summaries it was fitted on.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The number of customers it was fitted on.
    #[must_use]
    pub fn population(&self) -> usize {
        self.population
    }

    /// The number of bins.
    #[must_use]
    pub fn bins(&self) -> u8 {
        self.config.bins
    }

    /// The cuts of one dimension, for scores `2..=bins` in order (empty for
    /// a model fitted on no customers).
    #[must_use]
    pub fn cuts(&self, dimension: Dimension) -> &[Cut] {
        match dimension {
            Dimension::Recency => &self.recency,
            Dimension::Frequency => &self.frequency,
            Dimension::Monetary => &self.monetary,
        }
    }

    /// The scores no customer can get, in R, F, M and score order: each
    /// score `k` in `2..bins` whose cut equals the cut of `k + 1` (same
    /// value, and same customer for [`Method::Rank`]). See [`EmptyScore`].
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::rfm::{Dimension, RfmModel, ScoringConfig};
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
    /// // 3 of 5 customers bought once: F cuts are 1, 1, 1, 2
    /// let mut orders = Vec::new();
    /// for (i, n) in [1, 1, 1, 2, 3].into_iter().enumerate() {
    ///     for k in 0..n {
    ///         orders.push(Order::new(format!("A-{i}-{k}"), format!("c{i}"), d(k + 1)?, Money::new(100)));
    ///     }
    /// }
    /// let model = RfmModel::fit(&ScoringConfig::default(), &Summaries::from_orders(&orders, d(10)?)?);
    /// let empty: Vec<(Dimension, u8, i64)> = model
    ///     .empty_scores()
    ///     .iter()
    ///     .filter(|e| e.dimension == Dimension::Frequency)
    ///     .map(|e| (e.dimension, e.score.get(), e.value))
    ///     .collect();
    /// assert_eq!(empty, [(Dimension::Frequency, 2, 1), (Dimension::Frequency, 3, 1)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn empty_scores(&self) -> Vec<EmptyScore> {
        let mut out = Vec::new();
        for dimension in Dimension::ALL {
            let cuts = self.cuts(dimension);
            for pair in cuts.windows(2) {
                if let [low, high] = pair {
                    if low.value == high.value && low.customer == high.customer {
                        out.push(EmptyScore {
                            dimension,
                            score: low.score,
                            value: low.value,
                        });
                    }
                }
            }
        }
        out
    }

    /// The id order of the rank tie-breaks: that of the summaries the model
    /// was fitted on.
    #[must_use]
    pub fn id_order(&self) -> IdOrder {
        self.id_order
    }

    /// Fits a model on raw values: `values` are the recency days, the
    /// frequency (on the config's basis) and the monetary of a population
    /// of customers with a completed order, one entry per customer in
    /// `id_order`, and `ids` their ids. Gives what [`RfmModel::fit`] gives
    /// on summaries with those values (the one-pass trend of
    /// [`timeline`](crate::timeline) fits every date this way).
    pub(crate) fn fit_values(
        config: &ScoringConfig,
        as_of: NaiveDate,
        id_order: IdOrder,
        values: [&[i64]; 3],
        ids: &[CustomerId],
    ) -> RfmModel {
        let id = |i: usize| ids.get(i).cloned();
        let [recency, frequency, monetary] = values;
        RfmModel {
            config: config.clone(),
            as_of,
            population: ids.len(),
            id_order,
            recency: fit_cuts(config, Dimension::Recency, recency, &id),
            frequency: fit_cuts(config, Dimension::Frequency, frequency, &id),
            monetary: fit_cuts(config, Dimension::Monetary, monetary, &id),
        }
    }

    /// Scores raw values (recency days, frequency on the config's basis,
    /// monetary) of the customer `id`: what [`RfmModel::score`] gives for a
    /// summary with those values.
    pub(crate) fn score_values(&self, values: [i64; 3], id: &CustomerId) -> RfmScore {
        let [r, f, m] = values;
        RfmScore {
            r: self.score_dim(Dimension::Recency, r, id),
            f: self.score_dim(Dimension::Frequency, f, id),
            m: self.score_dim(Dimension::Monetary, m, id),
        }
    }

    fn score_dim(&self, dim: Dimension, value: i64, id: &CustomerId) -> Score {
        let cuts = self.cuts(dim);
        // Cuts are ordered, so the cuts reached form a prefix.
        let strict = matches!(self.config.method, Method::Quantile);
        let order = self.id_order;
        let reached =
            cuts.partition_point(|cut| passes(dim, strict, order, value, id.as_str(), cut));
        // reached <= bins - 1 <= 99, so the score is in 1..=bins.
        Score(u8::try_from(reached + 1).unwrap_or(self.config.bins))
    }

    /// Scores one customer from plain values — recency in days, frequency
    /// on the config's [`FrequencyBasis`] (completed orders or distinct
    /// purchase days) and net monetary — as [`score`](Self::score) scores a
    /// summary with those values. For summary tables computed elsewhere,
    /// e.g. by SQL in a warehouse; `customer` breaks rank ties like the id
    /// of a summary.
    ///
    /// # Errors
    ///
    /// [`Error::NoPurchase`] if `frequency` is 0 (no completed order, so no
    /// recency); [`Error::InvalidConfig`] (field `recency_days`) if
    /// `recency_days` is negative (a purchase after the as-of date).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::rfm::{Method, RfmModel, ScoringConfig, Thresholds};
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::Money;
    ///
    /// let thresholds = Thresholds::new(
    ///     vec![30, 90, 180, 365],
    ///     vec![2, 3, 5, 10],
    ///     vec![Money::new(5_000), Money::new(20_000), Money::new(50_000), Money::new(100_000)],
    /// )?;
    /// let config = ScoringConfig::builder().method(Method::Thresholds(thresholds)).build()?;
    /// let as_of = NaiveDate::from_ymd_opt(2025, 6, 30).ok_or("bad date")?;
    /// let model = RfmModel::fit(&config, &Summaries::empty(as_of));
    /// // A row of a warehouse table: last purchase 60 days ago, 2 orders, 550.00.
    /// let score = model.score_row("dave", 60, 2, Money::new(55_000))?;
    /// assert_eq!(score.to_string(), "4-2-4");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn score_row(
        &self,
        customer: &str,
        recency_days: i64,
        frequency: u64,
        monetary: Money,
    ) -> Result<RfmScore> {
        let id = CustomerId::from(customer);
        if frequency == 0 {
            return Err(Error::NoPurchase { customer: id });
        }
        if recency_days < 0 {
            return Err(Error::config(
                "recency_days",
                format!(
                    "customer {id}: {recency_days} is negative (a purchase after the as-of date)"
                ),
            ));
        }
        let frequency = i64::try_from(frequency).unwrap_or(i64::MAX);
        Ok(self.score_values([recency_days, frequency, monetary.minor_units()], &id))
    }

    /// Scores one customer, e.g. in a request path.
    ///
    /// The customer need not be in the fitted population: the summary's own
    /// as-of date gives its recency, which is compared with the frozen cuts.
    ///
    /// # Errors
    ///
    /// [`Error::NoPurchase`] if the customer has no completed order (only
    /// returns), so has no recency to score.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::rfm::{Method, RfmModel, ScoringConfig, Thresholds};
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let thresholds = Thresholds::new(
    ///     vec![30, 90, 180, 365],
    ///     vec![2, 3, 5, 10],
    ///     vec![Money::new(5_000), Money::new(20_000), Money::new(50_000), Money::new(100_000)],
    /// )?;
    /// let config = ScoringConfig::builder().method(Method::Thresholds(thresholds)).build()?;
    /// let as_of = NaiveDate::from_ymd_opt(2025, 6, 30).ok_or("bad date")?;
    /// let model = RfmModel::fit(&config, &Summaries::empty(as_of));
    ///
    /// let day = NaiveDate::from_ymd_opt(2025, 5, 1).ok_or("bad date")?; // 60 days before
    /// let orders = [
    ///     Order::new("A-1", "dave", day, Money::new(30_000)),
    ///     Order::new("A-2", "dave", day, Money::new(25_000)),
    /// ];
    /// let summaries = Summaries::from_orders(&orders, as_of)?;
    /// let score = model.score(&summaries.get("dave").ok_or("missing")?)?;
    /// assert_eq!(score.to_string(), "4-2-4");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn score(&self, summary: &CustomerSummary) -> Result<RfmScore> {
        let basis = self.config.frequency;
        let id = summary.customer();
        let value = |dim: Dimension| {
            dim.value(summary, basis).ok_or_else(|| Error::NoPurchase {
                customer: id.clone(),
            })
        };
        Ok(RfmScore {
            r: self.score_dim(Dimension::Recency, value(Dimension::Recency)?, id),
            f: self.score_dim(Dimension::Frequency, value(Dimension::Frequency)?, id),
            m: self.score_dim(Dimension::Monetary, value(Dimension::Monetary)?, id),
        })
    }

    /// Scores every customer, in the summaries' id order.
    ///
    /// Customers without a completed order are listed in
    /// [`Scores::unscored`] instead. Empty summaries give empty scores.
    /// Rank tie-breaks compare ids in the summaries' id order (the model's
    /// own, when it was fitted on the same kind of summaries). On all
    /// threads with the `parallel` feature (identical results).
    #[must_use]
    pub fn score_all(&self, summaries: &Summaries) -> Scores {
        let cols = summaries.columns();
        let index = summaries.index();
        let basis = self.config.frequency;
        let as_of_day = i64::from(summaries.as_of().num_days_from_ce());
        let rows: Vec<u32> = (0_u32..)
            .zip(&cols.last)
            .filter(|&(_, &last)| last != NO_DAY)
            .map(|(i, _)| i)
            .collect();
        let unscored: Vec<u32> = (0_u32..)
            .zip(&cols.last)
            .filter(|&(_, &last)| last == NO_DAY)
            .map(|(i, _)| i)
            .collect();
        let strict = matches!(self.config.method, Method::Quantile);
        let score_dim = |dim: Dimension| -> (Vec<i64>, Vec<u8>) {
            let values = dim.values(cols, &rows, as_of_day, basis);
            let cuts = prepare(dim, self.cuts(dim), index);
            let scores = column(rows.len(), |k| {
                let position = rows.get(k).map_or(0, |&p| crate::id::widen(p));
                let v = values.get(k).copied().unwrap_or_default();
                score_prepared(&cuts, strict, dim, v, position)
            });
            (values, scores)
        };
        let ((recency_days, r), (frequency, f), (monetary, m)) = join3(
            || score_dim(Dimension::Recency),
            || score_dim(Dimension::Frequency),
            || score_dim(Dimension::Monetary),
        );
        Scores {
            as_of: summaries.as_of(),
            bins: self.config.bins,
            index: Arc::clone(index),
            cols: ScoreColumns {
                recency_days,
                frequency,
                monetary,
                rows,
                r,
                f,
                m,
            },
            unscored,
        }
    }

    /// A display of the cuts with monetary values written as decimals with
    /// `scale` decimals (`{}` on the model writes minor units).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::rfm::{RfmModel, ScoringConfig};
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
    /// let orders = [
    ///     Order::new("A-1", "alice", d(2)?, Money::new(1250)),
    ///     Order::new("A-2", "bob", d(9)?, Money::new(4000)),
    /// ];
    /// let summaries = Summaries::from_orders(&orders, d(10)?)?;
    /// let config = ScoringConfig::builder().bins(2).build()?;
    /// let model = RfmModel::fit(&config, &summaries);
    /// let text = model.display_table(2).to_string();
    /// assert!(text.contains("2      < 8 days    > 1 orders  > 12.50"), "{text}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn display_table(&self, scale: u32) -> DisplayModel<'_> {
        DisplayModel { model: self, scale }
    }
}

fn threshold_cuts(dim: Dimension, t: &Thresholds) -> Vec<Cut> {
    let values: Vec<i64> = match dim {
        // Recency cuts are given best-last for score 2.. as maximum days:
        // the cut opening score k+1 is the (n-k)-th from the end.
        Dimension::Recency => t.recency_days.iter().rev().map(|&d| i64::from(d)).collect(),
        Dimension::Frequency => t
            .frequency
            .iter()
            .map(|&f| i64::try_from(f).unwrap_or(i64::MAX))
            .collect(),
        Dimension::Monetary => t.monetary.iter().map(|m| m.minor_units()).collect(),
    };
    values
        .into_iter()
        .zip(2..)
        .filter_map(|(value, s)| {
            Some(Cut {
                score: Score::new(s).ok()?,
                value,
                customer: None,
            })
        })
        .collect()
}

/// Displays an [`RfmModel`]'s cuts; made by [`RfmModel::display_table`].
#[derive(Debug, Clone, Copy)]
pub struct DisplayModel<'a> {
    model: &'a RfmModel,
    scale: u32,
}

impl fmt::Display for DisplayModel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.model;
        let freq_unit = match m.config.frequency {
            FrequencyBasis::Orders => "orders",
            FrequencyBasis::PurchaseDays => "days",
        };
        writeln!(
            f,
            "RFM model as of {}: {} bins, method {}, fitted on {} customers",
            m.as_of,
            m.config.bins,
            m.config.method.name(),
            m.population
        )?;
        // Quantile cuts are passed strictly; see `Cut`.
        let (le, ge) = match m.config.method {
            Method::Quantile => ("<", ">"),
            _ => ("<=", ">="),
        };
        let tie = |c: &Cut| match &c.customer {
            Some(id) => format!(" (ties: id >= {id})"),
            None => String::new(),
        };
        let mut rows: Vec<[String; 4]> =
            vec![["score", "recency", "frequency", "monetary"].map(String::from)];
        for k in (2..=m.config.bins).rev() {
            let i = usize::from(k - 2);
            let (Some(r), Some(fr), Some(mo)) =
                (m.recency.get(i), m.frequency.get(i), m.monetary.get(i))
            else {
                continue;
            };
            rows.push([
                k.to_string(),
                format!("{le} {} days{}", r.value, tie(r)),
                format!("{ge} {} {freq_unit}{}", fr.value, tie(fr)),
                format!(
                    "{ge} {}{}",
                    Money::new(mo.value).display_decimal(self.scale),
                    tie(mo)
                ),
            ]);
        }
        rows.push(["1", "(the rest)", "(the rest)", "(the rest)"].map(String::from));
        let empty = m.empty_scores();
        for e in &empty {
            let column = match e.dimension {
                Dimension::Recency => 1,
                Dimension::Frequency => 2,
                Dimension::Monetary => 3,
            };
            // Row 1 is score `bins`, so score k is row `bins - k + 1`.
            let row = usize::from(m.config.bins.saturating_sub(e.score.get())) + 1;
            if let Some(cell) = rows.get_mut(row).and_then(|r| r.get_mut(column)) {
                cell.push_str(" (empty)");
            }
        }
        // Every column left-aligned; the last one's padding is trimmed.
        crate::table::write(f, &rows, crate::table::Style::left(4))?;
        for e in &empty {
            let (letter, ties) = match e.dimension {
                Dimension::Recency => ("R", plural(e.value, "day", "days")),
                Dimension::Frequency => match m.config.frequency {
                    FrequencyBasis::Orders => ("F", plural(e.value, "order", "orders")),
                    FrequencyBasis::PurchaseDays => {
                        ("F", plural(e.value, "purchase day", "purchase days"))
                    }
                },
                Dimension::Monetary => (
                    "M",
                    Money::new(e.value).display_decimal(self.scale).to_string(),
                ),
            };
            let next = e.score.get().saturating_add(1);
            write!(
                f,
                "\n{letter} {}: empty — ties at {ties} (its cut equals {letter} {next}'s, so no customer can get it)",
                e.score
            )?;
        }
        Ok(())
    }
}

/// `"1 order"`, `"2 orders"`.
fn plural(value: i64, one: &str, many: &str) -> String {
    if value == 1 {
        format!("{value} {one}")
    } else {
        format!("{value} {many}")
    }
}

impl fmt::Display for RfmModel {
    /// Writes the table of cuts with monetary in minor units.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.display_table(0), f)
    }
}

/// One scored customer: their R, F, M values and scores.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::rfm::{RfmModel, ScoringConfig};
/// use rfmkit::summary::Summaries;
/// use rfmkit::{Money, Order};
///
/// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
/// let orders = [Order::new("A-1", "alice", d(2)?, Money::new(1250))];
/// let summaries = Summaries::from_orders(&orders, d(10)?)?;
/// let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
/// let alice = scores.get("alice").ok_or("missing")?;
/// assert_eq!((alice.recency_days, alice.frequency, alice.monetary), (8, 1, Money::new(1250)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ScoredCustomer {
    /// The customer.
    pub customer: CustomerId,
    /// Days since the last completed order.
    pub recency_days: i64,
    /// The frequency, on the model's basis.
    pub frequency: u64,
    /// Net revenue.
    pub monetary: Money,
    /// The scores.
    pub score: RfmScore,
}

/// Every customer's scores, in the id order of their summaries' index;
/// made by [`RfmModel::score_all`].
///
/// Stored as columns (27 bytes per scored customer);
/// [`get`](Self::get) and [`iter`](Self::iter) build [`ScoredCustomer`]
/// rows on demand.
///
/// Serialized as `{"as_of", "bins", "scored": [ScoredCustomer…],
/// "unscored": [id…]}` (plus `"id_order": "numeric"` for numeric ids);
/// deserializing checks that every score is in `1..=bins`, ids are sorted
/// and unique across both lists, and values are consistent (recency and
/// frequency `>= 0`... frequency `>= 1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scores {
    as_of: NaiveDate,
    bins: u8,
    index: Arc<CustomerIndex>,
    cols: ScoreColumns,
    /// Positions of the customers without a completed order.
    unscored: Vec<u32>,
}

/// The columns of [`Scores`], one entry per scored customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct ScoreColumns {
    /// Positions in the index, ascending.
    pub(crate) rows: Vec<u32>,
    pub(crate) recency_days: Vec<i64>,
    pub(crate) frequency: Vec<i64>,
    pub(crate) monetary: Vec<i64>,
    pub(crate) r: Vec<u8>,
    pub(crate) f: Vec<u8>,
    pub(crate) m: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawScores {
    as_of: NaiveDate,
    bins: u8,
    #[serde(default)]
    id_order: IdOrder,
    scored: Vec<ScoredCustomer>,
    unscored: Vec<CustomerId>,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
struct WireScores<'a> {
    as_of: NaiveDate,
    bins: u8,
    #[serde(skip_serializing_if = "is_text")]
    id_order: IdOrder,
    scored: WireScored<'a>,
    unscored: Vec<CustomerId>,
}

struct WireScored<'a>(&'a Scores);

impl Serialize for WireScored<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl Serialize for Scores {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        WireScores {
            as_of: self.as_of,
            bins: self.bins,
            id_order: self.index.id_order(),
            scored: WireScored(self),
            unscored: self.unscored(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Scores {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let raw = RawScores::deserialize(deserializer)?;
        Scores::from_parts(raw.as_of, raw.bins, raw.id_order, raw.scored, raw.unscored)
            .map_err(serde::de::Error::custom)
    }
}

impl Scores {
    /// Scores from rows, checking every invariant: `bins` in
    /// `2..=100`, every score in `1..=bins`, recency `>= 0`, frequency
    /// `>= 1`, each list sorted in `id_order` and no id in both.
    pub(crate) fn from_parts(
        as_of: NaiveDate,
        bins: u8,
        id_order: IdOrder,
        scored: Vec<ScoredCustomer>,
        unscored: Vec<CustomerId>,
    ) -> Result<Scores> {
        let raw = RawScores {
            as_of,
            bins,
            id_order,
            scored,
            unscored,
        };
        if !(MIN_BINS..=MAX_BINS).contains(&raw.bins) {
            return Err(Error::config(
                "bins",
                format!("is {}; bins must be in {MIN_BINS}..={MAX_BINS}", raw.bins),
            ));
        }
        for (i, s) in raw.scored.iter().enumerate() {
            let bad = |field: &str, reason: String| {
                Err(Error::config(
                    format!("scored[{i}].{field}"),
                    format!("customer {}: {reason}", s.customer),
                ))
            };
            for (name, score) in [("r", s.score.r), ("f", s.score.f), ("m", s.score.m)] {
                if score.get() > raw.bins {
                    return bad(
                        &format!("score.{name}"),
                        format!("{score} is above the {} bins", raw.bins),
                    );
                }
            }
            if s.recency_days < 0 {
                return bad("recency_days", format!("{} is negative", s.recency_days));
            }
            if s.frequency == 0 {
                return bad(
                    "frequency",
                    "a scored customer has at least one purchase".into(),
                );
            }
        }
        let ids: Vec<CustomerId> = raw
            .scored
            .iter()
            .map(|s| s.customer.clone())
            .chain(raw.unscored.iter().cloned())
            .collect();
        let index = CustomerIndex::new(ids, raw.id_order)?;
        let order = raw.id_order;
        let sorted = |ids: &mut dyn Iterator<Item = &CustomerId>| {
            let v: Vec<&CustomerId> = ids.collect();
            v.windows(2).all(|w| match w {
                [a, b] => order.compare(a.as_str(), b.as_str()).is_lt(),
                _ => true,
            })
        };
        if !sorted(&mut raw.scored.iter().map(|s| &s.customer)) || !sorted(&mut raw.unscored.iter())
        {
            return Err(Error::config(
                "scored",
                "scored and unscored customers must each be sorted by id",
            ));
        }
        let position = |id: &CustomerId| {
            index
                .position(id.as_str())
                .and_then(|p| u32::try_from(p).ok())
                .unwrap_or(u32::MAX)
        };
        let mut cols = ScoreColumns::default();
        for s in &raw.scored {
            cols.rows.push(position(&s.customer));
            cols.recency_days.push(s.recency_days);
            cols.frequency
                .push(i64::try_from(s.frequency).unwrap_or(i64::MAX));
            cols.monetary.push(s.monetary.minor_units());
            cols.r.push(s.score.r.get());
            cols.f.push(s.score.f.get());
            cols.m.push(s.score.m.get());
        }
        let unscored = raw.unscored.iter().map(position).collect();
        Ok(Scores {
            as_of: raw.as_of,
            bins: raw.bins,
            index: Arc::new(index),
            cols,
            unscored,
        })
    }

    /// The as-of date of the summaries scored.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The number of bins of the model.
    #[must_use]
    pub fn bins(&self) -> u8 {
        self.bins
    }

    /// How many scored customers got each score in each dimension; a 0
    /// is a score nobody got (see [`EmptyScore`]).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::rfm::{Dimension, RfmModel, ScoringConfig};
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
    /// let orders = [
    ///     Order::new("A-1", "alice", d(2)?, Money::new(100)),
    ///     Order::new("A-2", "bob", d(3)?, Money::new(100)),
    /// ];
    /// let summaries = Summaries::from_orders(&orders, d(10)?)?;
    /// let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    /// // equal monetary: both score M 1, and M 2..5 are empty
    /// assert_eq!(scores.score_counts().counts(Dimension::Monetary), [2, 0, 0, 0, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn score_counts(&self) -> ScoreCounts {
        let count = |column: &[u8]| {
            let mut out = vec![0_u64; usize::from(self.bins)];
            for &score in column {
                if let Some(slot) = out.get_mut(usize::from(score.saturating_sub(1))) {
                    *slot += 1;
                }
            }
            out
        };
        ScoreCounts {
            bins: self.bins,
            recency: count(&self.cols.r),
            frequency: count(&self.cols.f),
            monetary: count(&self.cols.m),
        }
    }

    /// The number of scored customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.cols.rows.len()
    }

    /// Whether no customer was scored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cols.rows.is_empty()
    }

    /// The customers (scored and unscored), in order; shared with the
    /// summaries scored.
    #[must_use]
    pub fn index(&self) -> &Arc<CustomerIndex> {
        &self.index
    }

    /// The `k`-th scored customer, in id order.
    #[must_use]
    pub fn row(&self, k: usize) -> Option<ScoredCustomer> {
        let c = &self.cols;
        let score = |v: &[u8]| v.get(k).and_then(|&s| Score::new(s).ok());
        Some(ScoredCustomer {
            customer: self.index.id(crate::id::widen(*c.rows.get(k)?))?.clone(),
            recency_days: *c.recency_days.get(k)?,
            frequency: u64::try_from(*c.frequency.get(k)?).unwrap_or(0),
            monetary: Money::new(*c.monetary.get(k)?),
            score: RfmScore::new(score(&c.r)?, score(&c.f)?, score(&c.m)?),
        })
    }

    /// The scored customers in id order, built on demand.
    pub fn iter(&self) -> ScoresIter<'_> {
        ScoresIter {
            scores: self,
            next: 0,
        }
    }

    /// The position among the scored customers of a customer, if scored.
    #[must_use]
    pub fn rank_of(&self, customer: &str) -> Option<usize> {
        let p = u32::try_from(self.index.position(customer)?).ok()?;
        self.cols.rows.binary_search(&p).ok()
    }

    /// One customer's scores, built on demand.
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<ScoredCustomer> {
        self.row(self.rank_of(customer)?)
    }

    /// Customers that could not be scored because they have no completed
    /// order (only returns), in id order.
    #[must_use]
    pub fn unscored(&self) -> Vec<CustomerId> {
        self.unscored
            .iter()
            .filter_map(|&p| self.index.id(crate::id::widen(p)).cloned())
            .collect()
    }

    /// The columns, for the later stages' kernels.
    pub(crate) fn columns(&self) -> &ScoreColumns {
        &self.cols
    }
}

/// The scored customers of [`Scores::iter`], built on demand.
#[derive(Debug, Clone)]
pub struct ScoresIter<'a> {
    scores: &'a Scores,
    next: usize,
}

impl Iterator for ScoresIter<'_> {
    type Item = ScoredCustomer;

    fn next(&mut self) -> Option<ScoredCustomer> {
        let row = self.scores.row(self.next)?;
        self.next += 1;
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.scores.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for ScoresIter<'_> {}

impl<'a> IntoIterator for &'a Scores {
    type Item = ScoredCustomer;
    type IntoIter = ScoresIter<'a>;
    fn into_iter(self) -> ScoresIter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::Order;

    proptest::proptest! {
        /// The selected ranks are those of a stable sort: by key, ties by
        /// position; narrow keys (packed with the position), wide keys
        /// (pairs), many ties, equal ranks and ranks past the end.
        #[test]
        fn stable_ranks_are_a_stable_sorts(
            keys in proptest::prop_oneof![
                proptest::collection::vec(0_u64..4, 0..60),
                proptest::collection::vec(proptest::num::u64::ANY, 0..60),
                proptest::collection::vec(0_u64..1000, 0..60),
            ],
            mut ranks in proptest::collection::vec(0_usize..70, 0..6),
        ) {
            ranks.sort_unstable();
            let mut order: Vec<(u64, u32)> = keys.iter().zip(0_u32..).map(|(&k, i)| (k, i)).collect();
            order.sort_by_key(|&(k, _)| k);
            let expected: Vec<Option<u32>> =
                ranks.iter().map(|&r| order.get(r).map(|&(_, i)| i)).collect();
            proptest::prop_assert_eq!(stable_ranks(&keys, &ranks), expected);
        }
    }

    #[test]
    fn stable_ranks_by_hand() {
        // Sorted stably: 1@1, 1@3, 2@4, 5@0, 9@2.
        let keys = [5, 1, 9, 1, 2];
        assert_eq!(
            stable_ranks(&keys, &[0, 1, 1, 3, 4, 5]),
            [Some(1), Some(3), Some(3), Some(0), Some(2), None]
        );
        assert_eq!(stable_ranks(&[], &[0]), [None]);
        // Keys 64 bits wide: pairs, not packed words.
        let wide = [u64::MAX, 0, u64::MAX, 7];
        assert_eq!(stable_ranks(&wide, &[1, 2, 3]), [Some(3), Some(0), Some(2)]);
    }

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(n as u64)
    }

    /// Customers c0..c{k} with (days before as-of of last order, orders, amount).
    fn summaries(spec: &[(&str, i64, u64, i64)]) -> Summaries {
        let as_of = day(400);
        let mut orders = Vec::new();
        for &(id, recency, count, amount) in spec {
            for i in 0..count {
                let date = as_of - chrono::Days::new((recency + i as i64) as u64);
                let amt = if i == 0 { amount } else { 0 };
                orders.push(Order::new(format!("{id}-{i}"), id, date, Money::new(amt)));
            }
        }
        Summaries::from_orders(&orders, as_of).unwrap()
    }

    #[test]
    fn score_row_equals_score_on_the_same_values() {
        let s = summaries(&[
            ("a", 3, 4, 900),
            ("b", 40, 1, 120),
            ("c", 40, 2, 120),
            ("d", 200, 1, 50),
            ("e", 10, 3, 5000),
            ("f", 10, 3, 5000),
        ]);
        for method in [Method::Rank, Method::Quantile] {
            for basis in [FrequencyBasis::Orders, FrequencyBasis::PurchaseDays] {
                let config = ScoringConfig::builder()
                    .method(method.clone())
                    .frequency(basis)
                    .bins(3)
                    .build()
                    .unwrap();
                let model = RfmModel::fit(&config, &s);
                for summary in s.iter() {
                    let f = match basis {
                        FrequencyBasis::Orders => summary.orders(),
                        _ => summary.purchase_days(),
                    };
                    let row = model
                        .score_row(
                            summary.customer().as_str(),
                            summary.recency_days().unwrap(),
                            f,
                            summary.monetary(),
                        )
                        .unwrap();
                    assert_eq!(
                        row,
                        model.score(&summary).unwrap(),
                        "{}",
                        summary.customer()
                    );
                }
                assert!(matches!(
                    model.score_row("z", 1, 0, Money::ZERO),
                    Err(Error::NoPurchase { .. })
                ));
                assert!(matches!(
                    model.score_row("z", -1, 1, Money::ZERO),
                    Err(Error::InvalidConfig { .. })
                ));
            }
        }
    }

    fn cells(model: &RfmModel, s: &Summaries) -> Vec<String> {
        model
            .score_all(s)
            .iter()
            .map(|c| c.score.to_string())
            .collect()
    }

    #[test]
    fn rank_matches_ntile_by_hand() {
        // 7 customers, 3 bins. Monetary ascending with a tie: b(100) and
        // d(100) tie, broken by id: b before d.
        let s = summaries(&[
            ("a", 10, 1, 50),
            ("b", 20, 1, 100),
            ("c", 30, 1, 700),
            ("d", 40, 1, 100),
            ("e", 50, 1, 300),
            ("f", 60, 1, 200),
            ("g", 70, 1, 900),
        ]);
        let config = ScoringConfig::builder()
            .bins(3)
            .method(Method::Rank)
            .build()
            .unwrap();
        let model = RfmModel::fit(&config, &s);
        let scores = model.score_all(&s);
        // Monetary order: a50 b100 d100 f200 e300 c700 g900 -> r = 1..7,
        // score = ceil(3r/7): 1,1,2,2,3,3,3.
        let m: Vec<(String, u8)> = scores
            .iter()
            .map(|c| (c.customer.to_string(), c.score.m.get()))
            .collect();
        let expect = [
            ("a", 1),
            ("b", 1),
            ("c", 3),
            ("d", 2),
            ("e", 3),
            ("f", 2),
            ("g", 3),
        ];
        assert_eq!(m, expect.map(|(a, b)| (a.to_string(), b)).to_vec());
        // Recency: most recent (a, 10 days) is last in ascending last-date
        // order: g f e d c b a -> scores 1,1,2,2,3,3,3.
        let r: Vec<u8> = scores.iter().map(|c| c.score.r.get()).collect();
        assert_eq!(r, [3, 3, 3, 2, 2, 1, 1]);
        // Frequency: all 1, ties by id: a..g -> 1,1,2,2,3,3,3.
        let f: Vec<u8> = scores.iter().map(|c| c.score.f.get()).collect();
        assert_eq!(f, [1, 1, 2, 2, 3, 3, 3]);
    }

    #[test]
    fn quantile_puts_a_tie_block_in_its_lowest_bin() {
        // Frequencies 1,1,1,1,1,1,2,2,3,7 with 5 bins: b_k = v(2k) =
        // 1,1,1,2 -> F=1 -> 1, F=2 -> 4 (2 > b_3=1, not > b_4=2), F=3,7 -> 5.
        let spec: Vec<(String, u64)> = [1, 1, 1, 1, 1, 1, 2, 2, 3, 7]
            .iter()
            .enumerate()
            .map(|(i, &f)| (format!("c{i}"), f))
            .collect();
        let refs: Vec<(&str, i64, u64, i64)> = spec
            .iter()
            .map(|(id, f)| (id.as_str(), 5, *f, 100))
            .collect();
        let s = summaries(&refs);
        let model = RfmModel::fit(&ScoringConfig::default(), &s);
        let f: Vec<u8> = model
            .score_all(&s)
            .iter()
            .map(|c| c.score.f.get())
            .collect();
        assert_eq!(f, [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]);
        // Everyone has the same recency and monetary: all score 1.
        assert!(
            model
                .score_all(&s)
                .iter()
                .all(|c| c.score.r.get() == 1 && c.score.m.get() == 1)
        );
    }

    #[test]
    fn quantile_without_ties_equals_rank() {
        let s = summaries(&[
            ("a", 1, 1, 10),
            ("b", 2, 2, 20),
            ("c", 3, 3, 30),
            ("d", 4, 4, 40),
            ("e", 5, 5, 50),
        ]);
        let q = RfmModel::fit(&ScoringConfig::default(), &s);
        let r = RfmModel::fit(
            &ScoringConfig::builder()
                .method(Method::Rank)
                .build()
                .unwrap(),
            &s,
        );
        assert_eq!(cells(&q, &s), ["5-1-1", "4-2-2", "3-3-3", "2-4-4", "1-5-5"]);
        assert_eq!(cells(&q, &s), cells(&r, &s));
    }

    #[test]
    fn thresholds_score_by_hand() {
        let t = Thresholds::new(
            vec![30, 90],
            vec![2, 5],
            vec![Money::new(100), Money::new(1000)],
        )
        .unwrap();
        let config = ScoringConfig::builder()
            .bins(3)
            .method(Method::Thresholds(t))
            .build()
            .unwrap();
        let s = summaries(&[
            ("a", 30, 1, 99),
            ("b", 31, 2, 100),
            ("c", 91, 5, 1000),
            ("d", 90, 4, 999),
        ]);
        let model = RfmModel::fit(&config, &s);
        assert_eq!(cells(&model, &s), ["3-1-1", "2-2-2", "1-3-3", "2-2-2"]);
    }

    #[test]
    fn thresholds_must_match_bins() {
        let t = Thresholds::new(
            vec![30, 90],
            vec![2, 5],
            vec![Money::new(100), Money::new(1000)],
        )
        .unwrap();
        let err = ScoringConfig::builder()
            .method(Method::Thresholds(t))
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidConfig { ref field, .. } if field == "bins"));
    }

    #[test]
    fn empty_and_single_populations() {
        let empty = Summaries::empty(day(0));
        let model = RfmModel::fit(&ScoringConfig::default(), &empty);
        assert!(model.score_all(&empty).is_empty());
        let one = summaries(&[("solo", 3, 2, 500)]);
        let model = RfmModel::fit(&ScoringConfig::default(), &one);
        assert_eq!(cells(&model, &one), ["1-1-1"]);
        let other = summaries(&[("new", 0, 9, 9_999)]);
        // The empty-fitted model has no cuts: everyone scores 1.
        let empty_model = RfmModel::fit(&ScoringConfig::default(), &empty);
        assert_eq!(cells(&empty_model, &other), ["1-1-1"]);
    }

    #[test]
    fn returns_only_customers_are_unscored() {
        let as_of = day(10);
        let orders = [
            Order::new("1", "a", day(1), Money::new(100)),
            Order::new("2", "b", day(1), Money::new(-100))
                .with_status(crate::order::OrderStatus::Returned),
        ];
        let s = Summaries::from_orders(&orders, as_of).unwrap();
        let model = RfmModel::fit(&ScoringConfig::default(), &s);
        let scores = model.score_all(&s);
        assert_eq!(scores.len(), 1);
        assert_eq!(scores.unscored(), [CustomerId::from("b")]);
        assert!(matches!(
            model.score(&s.get("b").unwrap()),
            Err(Error::NoPurchase { .. })
        ));
    }

    #[test]
    fn deserialize_rejects_disordered_cuts() {
        let s = summaries(&[("a", 1, 1, 10), ("b", 2, 2, 20), ("c", 3, 3, 30)]);
        let model = RfmModel::fit(&ScoringConfig::builder().bins(3).build().unwrap(), &s);
        let mut json: serde_json::Value = serde_json::to_value(&model).unwrap();
        json["monetary"][0]["value"] = serde_json::json!(1_000_000);
        assert!(serde_json::from_value::<RfmModel>(json).is_err());
    }
}
