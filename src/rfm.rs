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

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::CustomerId;
use crate::money::Money;
use crate::summary::{CustomerSummary, Summaries};

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
#[serde(rename_all = "snake_case", default)]
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
    recency: Vec<Cut>,
    frequency: Vec<Cut>,
    monetary: Vec<Cut>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
struct RawModel {
    config: ScoringConfig,
    as_of: NaiveDate,
    population: usize,
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
            let ordered = cuts.windows(2).all(|w| match w {
                [a, b] => {
                    dim.key(a.value, a.customer.as_ref()) <= dim.key(b.value, b.customer.as_ref())
                }
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

    /// The value oriented so that higher is better, widened so that
    /// negation cannot overflow.
    fn oriented(self, value: i64) -> i128 {
        match self {
            Dimension::Recency => -i128::from(value),
            Dimension::Frequency | Dimension::Monetary => i128::from(value),
        }
    }

    /// Back from oriented to natural units; exact for every oriented value
    /// made from an `i64` (the saturation is never reached).
    fn natural(self, oriented: i128) -> i64 {
        let v = match self {
            Dimension::Recency => -oriented,
            Dimension::Frequency | Dimension::Monetary => oriented,
        };
        i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
    }

    /// The sort key of a (value, id) pair: oriented value, then id.
    fn key(self, value: i64, customer: Option<&CustomerId>) -> (i128, Option<&CustomerId>) {
        (self.oriented(value), customer)
    }
}

/// Whether a customer with `value` and id `id` passes `cut`: strictly
/// better for a quantile cut, at least as good otherwise (with the id
/// tie-break of a rank cut).
fn passes(dim: Dimension, strict: bool, value: i64, id: &CustomerId, cut: &Cut) -> bool {
    let (v, c) = (dim.oriented(value), dim.oriented(cut.value));
    v > c || (!strict && v == c && cut.customer.as_ref().is_none_or(|tie| id >= tie))
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
        let population = summaries.iter().filter(|s| s.orders() > 0).count();
        let fit_dim = |dim: Dimension| -> Vec<Cut> {
            if let Method::Thresholds(t) = &config.method {
                return threshold_cuts(dim, t);
            }
            // Summaries are in id order, so a stable sort by value keeps
            // ties in id order, as the rank method requires.
            let mut values: Vec<(i128, &CustomerId)> = summaries
                .iter()
                .filter_map(|s| dim.value(s, basis).map(|v| (dim.oriented(v), s.customer())))
                .collect();
            values.sort_by_key(|&(v, _)| v);
            let n = usize::from(config.bins);
            let count = values.len();
            if count == 0 {
                return Vec::new();
            }
            (1..n)
                .filter_map(|k| {
                    let score = Score::new(u8::try_from(k + 1).ok()?).ok()?;
                    let cut = match config.method {
                        Method::Rank => {
                            // Position ⌊kN/n⌋ + 1 (1-based) is index ⌊kN/n⌋ < N.
                            let (v, id) = values.get(k * count / n)?;
                            Cut {
                                score,
                                value: dim.natural(*v),
                                customer: Some((*id).clone()),
                            }
                        }
                        _ => {
                            // b_k = v(⌈kN/n⌉), 1-based; passing means v > b_k.
                            let (b, _) = values.get((k * count).div_ceil(n) - 1)?;
                            Cut {
                                score,
                                value: dim.natural(*b),
                                customer: None,
                            }
                        }
                    };
                    Some(cut)
                })
                .collect()
        };
        RfmModel {
            config: config.clone(),
            as_of: summaries.as_of(),
            population,
            recency: fit_dim(Dimension::Recency),
            frequency: fit_dim(Dimension::Frequency),
            monetary: fit_dim(Dimension::Monetary),
        }
    }

    /// A model from cuts computed elsewhere (the columnar pipeline), which
    /// must be what [`fit`](Self::fit) would compute.
    pub(crate) fn from_cuts(
        config: &ScoringConfig,
        as_of: NaiveDate,
        population: usize,
        [recency, frequency, monetary]: [Vec<Cut>; 3],
    ) -> RfmModel {
        RfmModel {
            config: config.clone(),
            as_of,
            population,
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

    fn score_dim(&self, dim: Dimension, value: i64, id: &CustomerId) -> Score {
        let cuts = self.cuts(dim);
        // Cuts are ordered, so the cuts reached form a prefix.
        let strict = matches!(self.config.method, Method::Quantile);
        let reached = cuts.partition_point(|cut| passes(dim, strict, value, id, cut));
        // reached <= bins - 1 <= 99, so the score is in 1..=bins.
        Score(u8::try_from(reached + 1).unwrap_or(self.config.bins))
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
    /// let score = model.score(summaries.get("dave").ok_or("missing")?)?;
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

    /// Scores every customer, in customer-id order.
    ///
    /// Customers without a completed order are listed in
    /// [`Scores::unscored`] instead. Empty summaries give empty scores.
    #[must_use]
    pub fn score_all(&self, summaries: &Summaries) -> Scores {
        let mut scored = Vec::with_capacity(summaries.len());
        let mut unscored = Vec::new();
        for summary in summaries {
            match (self.score(summary), summary.recency_days()) {
                (Ok(score), Some(recency_days)) => scored.push(ScoredCustomer {
                    customer: summary.customer().clone(),
                    recency_days,
                    frequency: match self.config.frequency {
                        FrequencyBasis::Orders => summary.orders(),
                        FrequencyBasis::PurchaseDays => summary.purchase_days(),
                    },
                    monetary: summary.monetary(),
                    score,
                }),
                _ => unscored.push(summary.customer().clone()),
            }
        }
        Scores {
            as_of: summaries.as_of(),
            bins: self.config.bins,
            scored,
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
        let mut widths = [0_usize; 4];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let [w0, w1, w2, _] = widths;
        for (i, [score, r, fr, mo]) in rows.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{score:<w0$}  {r:<w1$}  {fr:<w2$}  {mo}")?;
        }
        Ok(())
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

/// Every customer's scores, in customer-id order; made by
/// [`RfmModel::score_all`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Scores {
    as_of: NaiveDate,
    bins: u8,
    scored: Vec<ScoredCustomer>,
    unscored: Vec<CustomerId>,
}

impl Scores {
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

    /// The number of scored customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.scored.len()
    }

    /// Whether no customer was scored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.scored.is_empty()
    }

    /// The scored customers in id order.
    pub fn iter(&self) -> std::slice::Iter<'_, ScoredCustomer> {
        self.scored.iter()
    }

    /// The scored customers as a slice, in id order.
    #[must_use]
    pub fn as_slice(&self) -> &[ScoredCustomer] {
        &self.scored
    }

    /// One customer's scores.
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<&ScoredCustomer> {
        crate::id::find_by_customer(&self.scored, customer, |s| &s.customer)
    }

    /// Customers that could not be scored because they have no completed
    /// order (only returns), in id order.
    #[must_use]
    pub fn unscored(&self) -> &[CustomerId] {
        &self.unscored
    }
}

impl<'a> IntoIterator for &'a Scores {
    type Item = &'a ScoredCustomer;
    type IntoIter = std::slice::Iter<'a, ScoredCustomer>;
    fn into_iter(self) -> Self::IntoIter {
        self.scored.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::Order;

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
            model.score(s.get("b").unwrap()),
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
