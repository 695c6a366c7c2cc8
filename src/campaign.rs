//! Campaign audiences: sets of customers, suppression lists, deterministic
//! control groups and top-N limits.
//!
//! An [`Audience`] is a set of customers in [`CustomerId`] order, made from a
//! rule over [`Profiles`] ([`Audience::select`]) or from any list of ids,
//! and combined with [`union`](Audience::union),
//! [`intersection`](Audience::intersection) and
//! [`difference`](Audience::difference). A [`Campaign`] puts the steps a
//! send needs in a fixed order:
//!
//! ```text
//! profiles ─► rule is true ─► minus suppression ─► top N by a field ─► control group │ target
//!              (matched)        (suppressed)          (over_limit)        (held out)   (contacted)
//! ```
//!
//! The control group is held out *after* the limit, so it is a random share
//! of exactly the customers the campaign would have contacted: comparing it
//! with the target measures the campaign's lift.
//!
//! # Control groups
//!
//! Whether a customer is held out depends only on the campaign key and the
//! customer id, never on the input order, the other customers, the machine
//! or the Rust release: the same customer lands in the same group on every
//! run, and a customer added later does not move anyone else. The draw is
//!
//! ```text
//! h    = SipHash-2-4, key (0, 0), of  u64_le(len(key)) ‖ key ‖ customer_id   (UTF-8 bytes)
//! draw = (h >> 11) / 2^53                                                  (uniform in [0, 1))
//! held out  ⇔  draw < fraction
//! ```
//!
//! SipHash-2-4 is a fixed, published function (also in Python, Go, SQL
//! extensions), so a back end can recompute the groups outside Rust; the
//! length prefix keeps `("ab", "c")` and `("a", "bc")` apart. With fraction
//! `p` among `N` customers the control group has `pN` customers on average,
//! with standard deviation `√(Np(1−p))`, independently of segments or any
//! other attribute. [`control_draw`] returns the draw.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::Hasher as _;

use serde::{Deserialize, Serialize};
use siphasher::sip::SipHasher24;

use crate::audience::{CompiledRule, Field, FieldType, Profiles, Rule, ValueType};
use crate::error::{Error, Result};
use crate::id::CustomerId;

/// A set of customers, in [`CustomerId`] order without repeats.
///
/// Serialized as a JSON list of ids; deserializing sorts and de-duplicates.
///
/// # Example
///
/// ```
/// use rfmkit::campaign::Audience;
///
/// let a: Audience = ["carol", "alice", "bob", "alice"].into_iter().collect();
/// let b: Audience = ["bob", "dave"].into_iter().collect();
/// fn ids(x: &Audience) -> Vec<&str> {
///     x.iter().map(|c| c.as_str()).collect()
/// }
/// assert_eq!(ids(&a), ["alice", "bob", "carol"]);
/// assert_eq!(ids(&a.union(&b)), ["alice", "bob", "carol", "dave"]);
/// assert_eq!(ids(&a.intersection(&b)), ["bob"]);
/// assert_eq!(ids(&a.difference(&b)), ["alice", "carol"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "Vec<CustomerId>", into = "Vec<CustomerId>")]
pub struct Audience {
    customers: Vec<CustomerId>,
}

impl Audience {
    /// An audience of `customers`, sorted, without repeats.
    #[must_use]
    pub fn new(customers: impl IntoIterator<Item = CustomerId>) -> Audience {
        let mut customers: Vec<CustomerId> = crate::bounded::bounded(customers).collect();
        if !customers.windows(2).all(|w| matches!(w, [a, b] if a < b)) {
            customers.sort_unstable();
            customers.dedup();
        }
        Audience { customers }
    }

    /// The customers for whom `rule` is true among `profiles`.
    ///
    /// # Errors
    ///
    /// As [`Profiles::compile`].
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::audience::{field, Profiles};
    /// use rfmkit::campaign::Audience;
    /// use rfmkit::rfm::{RfmModel, ScoringConfig};
    /// use rfmkit::segment::SegmentTable;
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
    /// let orders = [
    ///     Order::new("A-1", "alice", d(2)?, Money::new(1250)),
    ///     Order::new("A-2", "bob", d(8)?, Money::new(300)),
    ///     Order::new("A-3", "bob", d(9)?, Money::new(300)),
    /// ];
    /// let summaries = Summaries::from_orders(&orders, d(10)?)?;
    /// let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    /// let segmentation = SegmentTable::standard().segment_all(&scores)?;
    /// let profiles = Profiles::builder(&segmentation, &summaries).build()?;
    /// let repeat = Audience::select(&profiles, &field::frequency().ge(2))?;
    /// assert_eq!(repeat.iter().map(|c| c.as_str()).collect::<Vec<_>>(), ["bob"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn select(profiles: &Profiles, rule: &Rule) -> Result<Audience> {
        Ok(Audience::from(&profiles.compile(rule)?))
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// Whether the audience is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    /// Whether the customer is in the audience.
    #[must_use]
    pub fn contains(&self, customer: &str) -> bool {
        self.customers
            .binary_search_by(|c| c.as_str().cmp(customer))
            .is_ok()
    }

    /// The customers in id order.
    pub fn iter(&self) -> std::slice::Iter<'_, CustomerId> {
        self.customers.iter()
    }

    /// The customers as a slice, in id order.
    #[must_use]
    pub fn as_slice(&self) -> &[CustomerId] {
        &self.customers
    }

    /// The customers in either audience.
    #[must_use]
    pub fn union(&self, other: &Audience) -> Audience {
        self.merge(other, |left, right| left || right)
    }

    /// The customers in both audiences.
    #[must_use]
    pub fn intersection(&self, other: &Audience) -> Audience {
        self.merge(other, |left, right| left && right)
    }

    /// The customers in `self` but not in `other`.
    #[must_use]
    pub fn difference(&self, other: &Audience) -> Audience {
        self.merge(other, |left, right| left && !right)
    }

    /// The customers not on the suppression list.
    #[must_use]
    pub fn without(&self, suppression: &Suppression) -> Audience {
        Audience {
            customers: self
                .customers
                .iter()
                .filter(|c| !suppression.contains(c.as_str()))
                .cloned()
                .collect(),
        }
    }

    fn merge(&self, other: &Audience, keep: impl Fn(bool, bool) -> bool) -> Audience {
        use itertools::EitherOrBoth::{Both, Left, Right};
        let customers =
            itertools::merge_join_by(&self.customers, &other.customers, |a, b| a.cmp(b))
                .filter_map(|pair| match pair {
                    Both(c, _) => keep(true, true).then_some(c),
                    Left(c) => keep(true, false).then_some(c),
                    Right(c) => keep(false, true).then_some(c),
                })
                .cloned()
                .collect();
        Audience { customers }
    }
}

impl From<Vec<CustomerId>> for Audience {
    fn from(customers: Vec<CustomerId>) -> Audience {
        Audience::new(customers)
    }
}

impl From<&CompiledRule<'_>> for Audience {
    /// The customers the compiled rule selects.
    fn from(compiled: &CompiledRule<'_>) -> Audience {
        Audience {
            customers: compiled.selected(),
        }
    }
}

impl From<Audience> for Vec<CustomerId> {
    fn from(audience: Audience) -> Vec<CustomerId> {
        audience.customers
    }
}

impl FromIterator<CustomerId> for Audience {
    fn from_iter<I: IntoIterator<Item = CustomerId>>(iter: I) -> Audience {
        Audience::new(iter)
    }
}

impl<'a> FromIterator<&'a str> for Audience {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Audience {
        Audience::new(crate::bounded::bounded(iter).map(CustomerId::from))
    }
}

impl Extend<CustomerId> for Audience {
    fn extend<I: IntoIterator<Item = CustomerId>>(&mut self, iter: I) {
        let mut all = std::mem::take(&mut self.customers);
        all.extend(crate::bounded::bounded(iter));
        *self = Audience::new(all);
    }
}

impl<'a> IntoIterator for &'a Audience {
    type Item = &'a CustomerId;
    type IntoIter = std::slice::Iter<'a, CustomerId>;
    fn into_iter(self) -> Self::IntoIter {
        self.customers.iter()
    }
}

impl IntoIterator for Audience {
    type Item = CustomerId;
    type IntoIter = std::vec::IntoIter<CustomerId>;
    fn into_iter(self) -> Self::IntoIter {
        self.customers.into_iter()
    }
}

/// Why a customer must not be contacted.
///
/// Serialized in snake_case: `"unsubscribed"`, `{"other":"gdpr_request"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SuppressionReason {
    /// Unsubscribed from the channel.
    Unsubscribed,
    /// Complained (marked as spam).
    Complained,
    /// The address bounced.
    Bounced,
    /// Contacted recently (frequency capping).
    RecentlyContacted,
    /// Another reason, by name.
    Other(String),
}

impl fmt::Display for SuppressionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuppressionReason::Unsubscribed => f.write_str("unsubscribed"),
            SuppressionReason::Complained => f.write_str("complained"),
            SuppressionReason::Bounced => f.write_str("bounced"),
            SuppressionReason::RecentlyContacted => f.write_str("recently_contacted"),
            SuppressionReason::Other(reason) => f.write_str(reason),
        }
    }
}

/// Customers who must never be selected, each with a reason.
///
/// A customer listed twice keeps the first reason. Serialized as a JSON
/// object from id to reason, in id order.
///
/// # Example
///
/// ```
/// use rfmkit::campaign::{Audience, Suppression, SuppressionReason};
///
/// let mut suppression = Suppression::new();
/// suppression.insert("bob", SuppressionReason::Unsubscribed);
/// suppression.insert("bob", SuppressionReason::Complained); // keeps the first
/// assert_eq!(suppression.reason("bob"), Some(&SuppressionReason::Unsubscribed));
/// let audience: Audience = ["alice", "bob"].into_iter().collect();
/// assert_eq!(audience.without(&suppression).len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Suppression {
    entries: BTreeMap<CustomerId, SuppressionReason>,
}

impl Suppression {
    /// An empty list.
    #[must_use]
    pub fn new() -> Suppression {
        Suppression::default()
    }

    /// Adds a customer; returns `false` (keeping the earlier reason) if the
    /// customer was already listed.
    pub fn insert(&mut self, customer: impl Into<CustomerId>, reason: SuppressionReason) -> bool {
        match self.entries.entry(customer.into()) {
            std::collections::btree_map::Entry::Occupied(_) => false,
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(reason);
                true
            }
        }
    }

    /// Adds every customer of an audience with one reason.
    pub fn insert_all(&mut self, audience: &Audience, reason: &SuppressionReason) {
        for customer in audience {
            self.insert(customer.clone(), reason.clone());
        }
    }

    /// Whether the customer is listed.
    #[must_use]
    pub fn contains(&self, customer: &str) -> bool {
        self.entries.contains_key(customer)
    }

    /// The customer's reason, if listed.
    #[must_use]
    pub fn reason(&self, customer: &str) -> Option<&SuppressionReason> {
        self.entries.get(customer)
    }

    /// The number of customers listed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The listed customers with their reasons, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&CustomerId, &SuppressionReason)> {
        self.entries.iter()
    }
}

impl FromIterator<(CustomerId, SuppressionReason)> for Suppression {
    fn from_iter<I: IntoIterator<Item = (CustomerId, SuppressionReason)>>(iter: I) -> Suppression {
        let mut suppression = Suppression::new();
        for (customer, reason) in iter {
            suppression.insert(customer, reason);
        }
        suppression
    }
}

/// The control-group draw of a customer in a campaign: uniform in `[0, 1)`
/// and fixed by the campaign key and the customer id alone (see the
/// [module docs](self#control-groups) for the exact recipe).
///
/// # Example
///
/// ```
/// use rfmkit::campaign::control_draw;
///
/// let draw = control_draw("spring-sale", "C00000001");
/// assert!((0.0..1.0).contains(&draw));
/// assert_eq!(draw, control_draw("spring-sale", "C00000001"));
/// assert_ne!(draw, control_draw("summer-sale", "C00000001"));
/// ```
#[must_use]
pub fn control_draw(campaign_key: &str, customer: &str) -> f64 {
    let mut hasher = SipHasher24::new_with_keys(0, 0);
    let key_len = u64::try_from(campaign_key.len()).unwrap_or(u64::MAX);
    hasher.write(&key_len.to_le_bytes());
    hasher.write(campaign_key.as_bytes());
    hasher.write(customer.as_bytes());
    let h = hasher.finish();
    // 53 bits fill an f64 mantissa exactly: the draw is k / 2^53.
    #[allow(clippy::cast_precision_loss)]
    let top = (h >> 11) as f64;
    top / 9_007_199_254_740_992.0
}

/// Whether a customer is in a campaign's control group of `fraction`
/// (`control_draw(key, customer) < fraction`).
#[must_use]
pub fn in_control(campaign_key: &str, customer: &str, fraction: f64) -> bool {
    control_draw(campaign_key, customer) < fraction
}

/// The direction of a top-N limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SortOrder {
    /// Largest (or latest) first: the top spenders (the default).
    #[default]
    Descending,
    /// Smallest (or earliest) first.
    Ascending,
}

/// Keep only the first `count` customers by a field.
///
/// Customers are ordered by the field's value in `order`; customers whose
/// value is missing come after all others; ties, and customers without a
/// value, are ordered by customer id, ascending. So the cut is
/// deterministic.
///
/// # Example
///
/// ```
/// use rfmkit::audience::Field;
/// use rfmkit::campaign::{Limit, SortOrder};
///
/// let top = Limit::new(1000, Field::Monetary, SortOrder::Descending)?;
/// assert_eq!(top.count(), 1000);
/// assert!(Limit::new(10, Field::Segment, SortOrder::Descending).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawLimit")]
pub struct Limit {
    count: usize,
    by: Field,
    #[serde(default)]
    order: SortOrder,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawLimit {
    count: usize,
    by: Field,
    #[serde(default)]
    order: SortOrder,
}

impl TryFrom<RawLimit> for Limit {
    type Error = Error;
    fn try_from(raw: RawLimit) -> Result<Limit> {
        Limit::new(raw.count, raw.by, raw.order)
    }
}

impl Limit {
    /// The first `count` customers by `by`, in `order`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `limit.by`) unless `by` is a built-in
    /// field of integers, numbers, money or dates (`monetary`,
    /// `recency_days`, `last_order`, `p_alive`, ...).
    pub fn new(count: usize, by: Field, order: SortOrder) -> Result<Limit> {
        let sortable = matches!(
            by.field_type(),
            FieldType::Value(
                ValueType::Integer | ValueType::Number | ValueType::Money | ValueType::Date
            )
        );
        if !sortable {
            return Err(Error::config(
                "limit.by",
                format!(
                    "cannot rank customers by {by}; use a field of numbers, money or dates such as monetary"
                ),
            ));
        }
        Ok(Limit { count, by, order })
    }

    /// How many customers to keep.
    #[must_use]
    pub fn count(&self) -> usize {
        self.count
    }

    /// The field to rank by.
    #[must_use]
    pub fn by(&self) -> &Field {
        &self.by
    }

    /// The direction.
    #[must_use]
    pub fn order(&self) -> SortOrder {
        self.order
    }

    /// The rows to keep, best first, and the rows cut, in row order.
    fn apply(&self, profiles: &Profiles, rows: Vec<usize>) -> (Vec<usize>, Vec<usize>) {
        if rows.len() <= self.count {
            return (rows, Vec::new());
        }
        let mut ranked = rows;
        let floats = match &self.by {
            Field::PAlive => Some(&profiles.cols.p_alive),
            Field::FrequencyDrop => Some(&profiles.cols.frequency_drop),
            Field::PurchaseIntervalDays => Some(&profiles.cols.purchase_interval_days),
            Field::ExpectedPurchases => Some(&profiles.cols.expected_purchases),
            _ => None,
        };
        match (floats, profiles.int_column(&self.by)) {
            (Some(col), _) => rank(&mut ranked, |r| col.get(r), f64::total_cmp, self.order),
            (None, Some(col)) => rank(
                &mut ranked,
                |r| col.get(r),
                |a: &i64, b| a.cmp(b),
                self.order,
            ),
            (None, None) => {}
        }
        let mut cut = ranked.split_off(self.count.min(ranked.len()));
        cut.sort_unstable();
        (ranked, cut)
    }
}

/// Sorts rows by `key` in `order`, rows without a key last. The sort is
/// stable and rows come in customer-id order, so ties stay in id order.
fn rank<K>(
    rows: &mut [usize],
    key: impl Fn(usize) -> Option<K>,
    cmp: impl Fn(&K, &K) -> Ordering,
    order: SortOrder,
) {
    rows.sort_by(|&a, &b| match (key(a), key(b)) {
        (Some(x), Some(y)) => match order {
            SortOrder::Descending => cmp(&y, &x),
            SortOrder::Ascending => cmp(&x, &y),
        },
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    });
}

/// A campaign: who to select, who is held out, how many to contact.
///
/// Built with [`Campaign::builder`]; plain data, serialized with a format
/// version as
/// `{"version":1,"key":"winback-2025-12","rule":{...},"control":0.1,"limit":{"count":1000,"by":"monetary","order":"descending"}}`
/// (`control` and `limit` optional).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::audience::{field, Field, Profiles};
/// use rfmkit::campaign::{Campaign, Limit, SortOrder, Suppression, SuppressionReason};
/// use rfmkit::rfm::{RfmModel, ScoringConfig};
/// use rfmkit::segment::SegmentTable;
/// use rfmkit::summary::Summaries;
/// use rfmkit::{Money, Order};
///
/// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
/// let orders = [
///     Order::new("A-1", "alice", d(2)?, Money::new(1250)),
///     Order::new("A-2", "bob", d(8)?, Money::new(300)),
///     Order::new("A-3", "carol", d(9)?, Money::new(9900)),
/// ];
/// let summaries = Summaries::from_orders(&orders, d(10)?)?;
/// let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
/// let segmentation = SegmentTable::standard().segment_all(&scores)?;
/// let profiles = Profiles::builder(&segmentation, &summaries).build()?;
///
/// let campaign = Campaign::builder("thank-you", field::frequency().ge(1))
///     .limit(Limit::new(1, Field::Monetary, SortOrder::Descending)?)
///     .build()?;
/// let mut suppression = Suppression::new();
/// suppression.insert("carol", SuppressionReason::Unsubscribed);
/// let run = campaign.run(&profiles, &suppression)?;
/// let ids = |a: &rfmkit::campaign::Audience| a.iter().map(|c| c.to_string()).collect::<Vec<_>>();
/// assert_eq!(run.matched, 3);
/// assert_eq!(ids(&run.suppressed), ["carol"]);
/// assert_eq!(ids(&run.target), ["alice"]); // the top spender left
/// assert_eq!(ids(&run.over_limit), ["bob"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawCampaign", into = "RawCampaign")]
pub struct Campaign {
    key: String,
    rule: Rule,
    control: f64,
    limit: Option<Limit>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCampaign {
    version: u64,
    key: String,
    rule: Rule,
    #[serde(default, skip_serializing_if = "is_zero")]
    control: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit: Option<Limit>,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl TryFrom<RawCampaign> for Campaign {
    type Error = Error;
    fn try_from(raw: RawCampaign) -> Result<Campaign> {
        crate::audience::StoredRule::check_version(raw.version)?;
        let mut builder = Campaign::builder(raw.key, raw.rule).control(raw.control);
        if let Some(limit) = raw.limit {
            builder = builder.limit(limit);
        }
        builder.build()
    }
}

impl From<Campaign> for RawCampaign {
    fn from(c: Campaign) -> RawCampaign {
        RawCampaign {
            version: crate::audience::StoredRule::VERSION,
            key: c.key,
            rule: c.rule,
            control: c.control,
            limit: c.limit,
        }
    }
}

/// Builds a [`Campaign`]; made by [`Campaign::builder`].
#[derive(Debug, Clone)]
pub struct CampaignBuilder {
    campaign: Campaign,
}

impl CampaignBuilder {
    /// Holds out `fraction` of the eligible customers as a control group
    /// (default 0: no control group).
    #[must_use]
    pub fn control(mut self, fraction: f64) -> Self {
        self.campaign.control = fraction;
        self
    }

    /// Keeps only the first customers by a field (default: no limit).
    #[must_use]
    pub fn limit(mut self, limit: Limit) -> Self {
        self.campaign.limit = Some(limit);
        self
    }

    /// The campaign.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `key`) if the key is empty, (field
    /// `control`) if the fraction is not in `0..=1`;
    /// [`Error::RuleTooDeep`] if the rule nests deeper than
    /// [`MAX_RULE_DEPTH`](crate::audience::MAX_RULE_DEPTH); and the rule's
    /// [`Rule::validate`] error.
    pub fn build(self) -> Result<Campaign> {
        let c = self.campaign;
        if c.key.is_empty() {
            return Err(Error::config(
                "key",
                "the campaign key is empty; use a stable name such as \"winback-2025-12\", which seeds the control group",
            ));
        }
        if !(0.0..=1.0).contains(&c.control) {
            return Err(Error::config(
                "control",
                format!(
                    "{} is not a fraction; use 0..=1, e.g. 0.1 for 10%",
                    c.control
                ),
            ));
        }
        c.rule.check_depth()?;
        c.rule.validate()?;
        Ok(c)
    }
}

/// The result of [`Campaign::run`]: the customers at each step. `target`,
/// `control`, `over_limit` and `suppressed` are disjoint and together are
/// the customers the rule matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CampaignRun {
    /// The campaign key.
    pub key: String,
    /// How many customers the rule selected.
    pub matched: usize,
    /// Matched customers on the suppression list.
    pub suppressed: Audience,
    /// Eligible customers cut by the limit.
    pub over_limit: Audience,
    /// Held out: not contacted, measured for comparison.
    pub control: Audience,
    /// To contact.
    pub target: Audience,
}

impl Campaign {
    /// A builder for the campaign `key` selecting `rule`.
    ///
    /// The key names the campaign and seeds its control group: keep it
    /// stable across runs of the same campaign, and change it for a new one
    /// so that different customers are held out.
    #[must_use]
    pub fn builder(key: impl Into<String>, rule: Rule) -> CampaignBuilder {
        CampaignBuilder {
            campaign: Campaign {
                key: key.into(),
                rule,
                control: 0.0,
                limit: None,
            },
        }
    }

    /// The campaign key.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The rule.
    #[must_use]
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// The control-group fraction.
    #[must_use]
    pub fn control(&self) -> f64 {
        self.control
    }

    /// The limit, if any.
    #[must_use]
    pub fn limit(&self) -> Option<&Limit> {
        self.limit.as_ref()
    }

    /// Whether a customer would be in this campaign's control group.
    #[must_use]
    pub fn in_control(&self, customer: &str) -> bool {
        in_control(&self.key, customer, self.control)
    }

    /// Runs the campaign over `profiles`: the rule's customers, minus the
    /// suppression list, limited, then split into control and target (see
    /// the [module docs](self)). Deterministic: every set is in id order and
    /// depends only on the inputs.
    ///
    /// # Errors
    ///
    /// As [`Profiles::compile`].
    pub fn run(&self, profiles: &Profiles, suppression: &Suppression) -> Result<CampaignRun> {
        let compiled = profiles.compile(&self.rule)?;
        let matched_rows = compiled.selected_rows();
        let matched = matched_rows.len();
        let id = |row: usize| profiles.customers().get(row).cloned();
        let (suppressed_rows, eligible): (Vec<usize>, Vec<usize>) = matched_rows
            .into_iter()
            .partition(|&row| id(row).is_some_and(|c| suppression.contains(c.as_str())));
        let (kept, cut) = match &self.limit {
            Some(limit) => limit.apply(profiles, eligible),
            None => (eligible, Vec::new()),
        };
        let mut control = Vec::new();
        let mut target = Vec::new();
        for customer in kept.into_iter().filter_map(id) {
            if self.in_control(customer.as_str()) {
                control.push(customer);
            } else {
                target.push(customer);
            }
        }
        let audience = |rows: Vec<usize>| Audience::new(rows.into_iter().filter_map(id));
        Ok(CampaignRun {
            key: self.key.clone(),
            matched,
            suppressed: audience(suppressed_rows),
            over_limit: audience(cut),
            control: Audience::new(control),
            target: Audience::new(target),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siphash_reference_vector() {
        // The SipHash-2-4 paper's test vector: key 00..0f, message 00..0e.
        let key = |lo: u8| u64::from_le_bytes(std::array::from_fn(|i| lo + i as u8));
        let mut h = SipHasher24::new_with_keys(key(0), key(8));
        let message: Vec<u8> = (0..15).collect();
        h.write(&message);
        assert_eq!(h.finish(), 0xa129_ca61_49be_45e5);
    }

    #[test]
    fn draws_are_in_unit_interval() {
        for i in 0..1000 {
            let d = control_draw("k", &format!("C{i}"));
            assert!((0.0..1.0).contains(&d));
        }
        assert!(!in_control("k", "C1", 0.0));
        assert!(in_control("k", "C1", 1.0));
    }
}
