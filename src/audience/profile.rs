//! [`Profile`] and [`Profiles`]: everything a rule can test about a
//! customer, joined from the summaries, the scores and segments, and the
//! customer records, and stored as columns for fast evaluation.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::clv::Predictions;
use crate::customer::{AttributeValue, Birthday, Customer, Customers};
use crate::error::{Error, Result};
use crate::id::{Channel, CustomerId, StoreId};
use crate::ingest::{CustomerIndex, IdOrder};
use crate::money::{MAX_SCALE, Money};
use crate::rfm::RfmScore;
use crate::segment::{Segment, SegmentTable, Segmentation, SegmentedCustomer};
use crate::summary::{CustomerSummary, FrequencyDrop, FrequencyDropConfig, Summaries};

use super::column::{
    AttrCol, Bits, Columns, FloatCol, IntCol, TagsCol, day_number, from_day_number, pack_cell,
    pack_cell_parts, pack_ymd, unpack_cell,
};
use super::predicted::PredictedValues;
use super::rule::ValueType;
use super::schema::Schema;

/// Whether [`Profiles`] include customers who are not in the segmentation.
///
/// # Example
///
/// ```
/// use rfmkit::audience::Prospects;
/// assert_eq!(Prospects::default(), Prospects::Exclude);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Prospects {
    /// Only segmented (scored) customers have profiles (the default), so
    /// every audience is a subset of the scored customers.
    #[default]
    Exclude,
    /// Also customers with a record but no completed order (prospects) and
    /// customers whose summary was not scored (returns only). Their order,
    /// score and segment fields are missing, so `frequency is null and
    /// email_opt_in` finds opted-in prospects.
    Include,
}

/// One customer's profile: what a rule can test, as of the profiles' date.
///
/// Each field is `None` when missing; the [module docs](super#fields) say
/// when. Made by [`Profiles::get`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct Profile {
    /// The customer.
    pub customer: CustomerId,
    /// Days since the last completed order.
    pub recency_days: Option<i64>,
    /// Completed orders (or purchase days, on the scoring model's basis).
    pub frequency: Option<u64>,
    /// Revenue net of returns.
    pub monetary: Option<Money>,
    /// Monetary per completed order, rounded half away from zero.
    pub average_order_value: Option<Money>,
    /// The first completed order's date.
    pub first_order: Option<NaiveDate>,
    /// The last completed order's date.
    pub last_order: Option<NaiveDate>,
    /// Days from the first completed order to the as-of date.
    pub days_since_first_order: Option<i64>,
    /// The R, F and M scores.
    pub score: Option<RfmScore>,
    /// The segment.
    pub segment: Option<Segment>,
    /// The first completed order's channel.
    pub first_channel: Option<Channel>,
    /// The first completed order's store.
    pub first_store: Option<StoreId>,
    /// The acquisition channel of the customer record.
    pub acquisition_channel: Option<Channel>,
    /// The signup date of the customer record.
    pub signup_date: Option<NaiveDate>,
    /// The customer record's tags (`None` without a record).
    pub tags: Option<BTreeSet<String>>,
    /// The birthday.
    pub birthday: Option<Birthday>,
    /// The e-mail opt-in (`None` without a record).
    pub email_opt_in: Option<bool>,
    /// The SMS opt-in (`None` without a record).
    pub sms_opt_in: Option<bool>,
    /// The custom attributes of the customer record.
    pub attributes: BTreeMap<String, AttributeValue>,
    /// Recent purchase rate ÷ the customer's own earlier rate
    /// ([`FrequencyDrop::ratio`]).
    pub frequency_drop: Option<f64>,
    /// Median days between the customer's purchase days.
    pub purchase_interval_days: Option<f64>,
    /// When the next purchase is due: the last order plus the purchase
    /// interval (the population's for one-time buyers).
    pub next_purchase_due: Option<NaiveDate>,
    /// Predicted values.
    pub predictions: PredictedValues,
}

impl Profile {
    /// Takes the fields of a customer record.
    fn set_record(&mut self, r: &Customer) {
        self.acquisition_channel = r.acquisition_channel().cloned();
        self.signup_date = r.signup_date();
        self.tags = Some(r.tags().iter().map(str::to_owned).collect());
        self.birthday = r.birthday();
        self.email_opt_in = Some(r.email_opt_in());
        self.sms_opt_in = Some(r.sms_opt_in());
        self.attributes = r.attributes().map(|(k, v)| (k.to_owned(), v)).collect();
    }

    fn empty(customer: CustomerId) -> Profile {
        Profile {
            customer,
            recency_days: None,
            frequency: None,
            monetary: None,
            average_order_value: None,
            first_order: None,
            last_order: None,
            days_since_first_order: None,
            score: None,
            segment: None,
            first_channel: None,
            first_store: None,
            acquisition_channel: None,
            signup_date: None,
            tags: None,
            birthday: None,
            email_opt_in: None,
            sms_opt_in: None,
            attributes: BTreeMap::new(),
            frequency_drop: None,
            purchase_interval_days: None,
            next_purchase_due: None,
            predictions: PredictedValues::default(),
        }
    }
}

/// Custom attribute columns by (name, type).
pub(crate) type AttrCols = BTreeMap<(String, ValueType), AttrCol>;

#[derive(Default)]
struct Interner {
    ids: FxHashMap<String, u32>,
    dict: Vec<String>,
    /// The id interned last: a column often repeats a text (most first
    /// orders come through one channel), compared before hashing.
    last: Option<u32>,
}

impl Interner {
    fn intern(&mut self, text: &str) -> i64 {
        if let Some(last) = self.last {
            if self
                .dict
                .get(crate::id::widen(last))
                .is_some_and(|t| t == text)
            {
                return i64::from(last);
            }
        }
        let id = match self.ids.get(text) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.dict.len()).unwrap_or(u32::MAX);
                self.ids.insert(text.to_owned(), id);
                self.dict.push(text.to_owned());
                id
            }
        };
        self.last = Some(id);
        i64::from(id)
    }
}

/// The profiles of a population as of one date, in [`CustomerId`] order,
/// stored column by column.
///
/// Build them with [`Profiles::builder`] from a [`Segmentation`], the
/// [`Summaries`] it was scored from and, optionally, the [`Customers`]
/// records. Then [`compile`](Profiles::compile) rules against them.
///
/// Which customers have a profile: every segmented customer, and with
/// [`Prospects::Include`] also every customer of the summaries or the
/// records who is not segmented. Empty inputs give empty profiles.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::audience::{Profiles, Rule};
/// use rfmkit::customer::{Customer, Customers};
/// use rfmkit::rfm::{RfmModel, ScoringConfig};
/// use rfmkit::segment::SegmentTable;
/// use rfmkit::summary::Summaries;
/// use rfmkit::{Money, Order};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let orders = vec![
///     Order::new("A-1", "alice", d(1, 5)?, Money::new(4_500)),
///     Order::new("A-2", "alice", d(3, 30)?, Money::new(6_000)),
///     Order::new("A-3", "bob", d(1, 10)?, Money::new(1_200)),
///     Order::new("A-4", "carol", d(3, 2)?, Money::new(2_500)),
/// ];
/// let summaries = Summaries::from_orders(&orders, d(3, 31)?)?;
/// let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
/// let segmentation = SegmentTable::standard().segment_all(&scores)?;
/// let customers = Customers::new([
///     Customer::new("alice").with_email_opt_in(true),
///     Customer::new("bob").with_email_opt_in(true).with_tag("vip"),
///     Customer::new("dave").with_email_opt_in(true), // a prospect: no orders
/// ])?;
/// let profiles = Profiles::builder(&segmentation, &summaries).customers(&customers).build()?;
/// assert_eq!(profiles.len(), 3); // dave is not segmented
///
/// let rule = Rule::parse("email_opt_in and last_order >= -30d", &profiles.schema())?;
/// let compiled = profiles.compile(&rule)?;
/// let selected = compiled.selected();
/// let ids: Vec<&str> = selected.iter().map(|c| c.as_str()).collect();
/// assert_eq!(ids, ["alice"]); // carol bought recently but has no record: opt-in unknown
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Profiles {
    as_of: NaiveDate,
    scale: u32,
    table: SegmentTable,
    segments: Vec<Segment>,
    ids: Ids,
    id_order: IdOrder,
    pub(crate) cols: Columns,
    /// Custom attribute columns by (name, type).
    pub(crate) attrs: AttrCols,
    /// Which rows have an attribute of any type, by name.
    pub(crate) attr_present: BTreeMap<String, Bits>,
}

/// Builds [`Profiles`]; made by [`Profiles::builder`].
#[derive(Debug, Clone)]
pub struct ProfilesBuilder<'a> {
    segmentation: &'a Segmentation,
    summaries: &'a Summaries,
    customers: Option<&'a Customers>,
    prospects: Prospects,
    scale: u32,
    frequency_drop: FrequencyDropConfig,
}

impl<'a> ProfilesBuilder<'a> {
    /// Sets the windows of the `frequency_drop` field (default
    /// [`FrequencyDropConfig::default`]: the last 90 days against the 365
    /// before).
    #[must_use]
    pub fn frequency_drop(mut self, config: FrequencyDropConfig) -> Self {
        self.frequency_drop = config;
        self
    }

    /// Joins the customer records: tags, birthday, opt-ins, acquisition
    /// channel, signup date and custom attributes (default: none, so those
    /// fields are missing for everyone).
    #[must_use]
    pub fn customers(mut self, customers: &'a Customers) -> Self {
        self.customers = Some(customers);
        self
    }

    /// Sets whether customers outside the segmentation get profiles
    /// (default [`Prospects::Exclude`]).
    #[must_use]
    pub fn prospects(mut self, prospects: Prospects) -> Self {
        self.prospects = prospects;
        self
    }

    /// Sets the currency's scale, the decimals of amounts in queries and
    /// explanations (default 2; 0 for yen).
    #[must_use]
    pub fn scale(mut self, scale: u32) -> Self {
        self.scale = scale;
        self
    }

    /// Joins the inputs into profiles.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidConfig`] (field `scale`) if the scale exceeds 18;
    /// - [`Error::InvalidConfig`] (field `summaries`) if a segmented customer
    ///   has no summary with a purchase, or a recency that differs from
    ///   their summary's: the segmentation was not scored from these
    ///   summaries (other orders, or another as-of date).
    pub fn build(self) -> Result<Profiles> {
        if self.scale > MAX_SCALE {
            return Err(Error::config(
                "scale",
                format!(
                    "{} decimals is too many; a currency scale is 0..={MAX_SCALE}",
                    self.scale
                ),
            ));
        }
        let as_of = self.summaries.as_of();
        let table = self.segmentation.table().clone();
        let segments: Vec<Segment> = table.segments().cloned().collect();
        let segment_index: BTreeMap<&str, i64> = segments
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i64::try_from(i).unwrap_or(i64::MAX)))
            .collect();

        let same_index = std::sync::Arc::ptr_eq(self.segmentation.index(), self.summaries.index())
            || self.segmentation.index() == self.summaries.index();
        if self.prospects == Prospects::Exclude && same_index {
            return self.build_segmented(as_of, table, segments);
        }
        let order = self.summaries.index().id_order();
        let mut ids: Vec<CustomerId> = self
            .segmentation
            .iter()
            .map(|c| c.scored.customer.clone())
            .collect();
        if self.prospects == Prospects::Include {
            ids.extend(self.summaries.index().iter().cloned());
            if let Some(customers) = self.customers {
                ids.extend(customers.iter().map(|c| c.id().clone()));
            }
            ids.sort_unstable_by(|a, b| order.compare(a.as_str(), b.as_str()));
            ids.dedup();
        }

        let n = ids.len();
        let population_interval = self.summaries.median_purchase_interval_days();
        let mut builder = ColumnsBuilder::new(n);
        for (row, id) in ids.iter().enumerate() {
            let seg = self.segmentation.get(id.as_str());
            let summary = self.summaries.get(id.as_str());
            let record = self.customers.and_then(|c| c.get(id.as_str()));
            let mut profile = join(id, as_of, seg.as_ref(), summary.as_ref(), record)?;
            profile.frequency_drop = summary
                .as_ref()
                .and_then(|s| s.frequency_drop(&self.frequency_drop).ratio);
            if let Some(s) = &summary {
                let own = s.purchase_interval_days();
                profile.purchase_interval_days = own;
                profile.next_purchase_due = due(s.last_order_date(), own.or(population_interval));
            }
            let segment = profile
                .segment
                .as_ref()
                .and_then(|s| segment_index.get(s.as_str()).copied());
            builder.push(row, &profile, segment, as_of);
        }
        let (cols, attrs, attr_present) = builder.finish();
        Ok(Profiles {
            as_of,
            scale: self.scale,
            table,
            segments,
            ids: Ids::Owned(ids),
            id_order: order,
            cols,
            attrs,
            attr_present,
        })
    }
}

/// The ids of [`Profiles`]: the summaries' own index when every customer
/// has a profile (no copy), some of its customers by position, or a list.
#[derive(Debug, Clone)]
enum Ids {
    Shared(std::sync::Arc<CustomerIndex>),
    /// The index's customers at these positions (in id order); their list
    /// of ids is made only when [`Profiles::customers`] asks for it.
    Subset {
        index: std::sync::Arc<CustomerIndex>,
        positions: Vec<u32>,
        list: std::sync::OnceLock<Vec<CustomerId>>,
    },
    Owned(Vec<CustomerId>),
}

impl Ids {
    fn len(&self) -> usize {
        match self {
            Ids::Shared(index) => index.len(),
            Ids::Subset { positions, .. } => positions.len(),
            Ids::Owned(ids) => ids.len(),
        }
    }

    fn get(&self, row: usize) -> Option<&CustomerId> {
        match self {
            Ids::Shared(index) => index.id(row),
            Ids::Subset {
                index, positions, ..
            } => index.id(crate::id::widen(*positions.get(row)?)),
            Ids::Owned(ids) => ids.get(row),
        }
    }

    fn as_slice(&self) -> &[CustomerId] {
        match self {
            Ids::Shared(index) => index.ids(),
            Ids::Subset {
                index,
                positions,
                list,
            } => list.get_or_init(|| {
                positions
                    .iter()
                    .filter_map(|&p| index.id(crate::id::widen(p)).cloned())
                    .collect()
            }),
            Ids::Owned(ids) => ids,
        }
    }
}

impl ProfilesBuilder<'_> {
    /// Profiles of exactly the segmented customers, whose summaries share
    /// the segmentation's index: every summary, score and segment column
    /// is filled column by column (on all threads with `parallel`), and
    /// customer records are joined by binary search.
    fn build_segmented(
        self,
        as_of: NaiveDate,
        table: SegmentTable,
        segments: Vec<Segment>,
    ) -> Result<Profiles> {
        let scores = self.segmentation.scores();
        let sc = scores.columns();
        let cols = self.summaries.columns();
        let index = self.summaries.index();
        let seg = self.segmentation.segment_column();
        let n = scores.len();
        let as_of_day = day_number(as_of);
        let pos = |k: usize| sc.rows.get(k).map_or(usize::MAX, |&p| crate::id::widen(p));
        // The segmentation must have been scored from these summaries.
        for k in 0..n {
            let p = pos(k);
            let last = cols.last.get(p).copied().unwrap_or(crate::summary::NO_DAY);
            let scored = sc.recency_days.get(k).copied().unwrap_or_default();
            let id = || index.id(p).map(CustomerId::to_string).unwrap_or_default();
            if last == crate::summary::NO_DAY {
                let id = id();
                return Err(Error::config(
                    "summaries",
                    format!(
                        "customer {id} is segmented but has no summary with a purchase; \
                         build profiles from the summaries the segmentation was scored from"
                    ),
                ));
            }
            let recency = as_of_day - i64::from(last);
            if recency != scored {
                let id = id();
                return Err(Error::config(
                    "summaries",
                    format!(
                        "customer {id}: recency is {scored} days in the segmentation but {recency} in the \
                         summaries (as of {as_of}); build profiles from the summaries the \
                         segmentation was scored from"
                    ),
                ));
            }
        }
        // Each customer's first purchase day, once (NO_DAY if none).
        let firsts: Vec<i32> = crate::par::column(n, |k| {
            cols.days_of(pos(k))
                .first()
                .copied()
                .unwrap_or(crate::summary::NO_DAY)
        });
        let first_day = |k: usize| {
            firsts
                .get(k)
                .copied()
                .filter(|&d| d != crate::summary::NO_DAY)
        };
        let mut builder = ColumnsBuilder::new(0);
        {
            let c = &mut builder.cols;
            c.recency_days = int_col(n, |k| sc.recency_days.get(k).copied());
            c.frequency = int_col(n, |k| sc.frequency.get(k).copied());
            c.monetary = int_col(n, |k| sc.monetary.get(k).copied());
            c.average_order_value = int_col(n, |k| {
                let p = pos(k);
                average(cols.monetary(p), cols.orders.get(p).copied().unwrap_or(0))
            });
            c.first_order = int_col(n, |k| first_day(k).map(i64::from));
            c.last_order = int_col(n, |k| cols.last.get(pos(k)).map(|&d| i64::from(d)));
            c.days_since_first_order =
                int_col(n, |k| first_day(k).map(|d| as_of_day - i64::from(d)));
            // Packed dates from a table over the range of first days (a
            // calendar conversion per customer costs more than the rest).
            let (lo, hi) = firsts
                .iter()
                .filter(|&&d| d != crate::summary::NO_DAY)
                .fold((i32::MAX, i32::MIN), |(lo, hi), &d| (lo.min(d), hi.max(d)));
            let span = usize::try_from(i64::from(hi) - i64::from(lo) + 1).unwrap_or(0);
            let packed: Vec<Option<i64>> = if span <= 1 << 20 {
                (0..span)
                    .map(|i| {
                        let day = i64::from(lo) + i64::try_from(i).unwrap_or(0);
                        i32::try_from(day)
                            .ok()
                            .and_then(NaiveDate::from_num_days_from_ce_opt)
                            .map(pack_ymd)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            c.anniversary = int_col(n, |k| {
                let d = first_day(k)?;
                let i = usize::try_from(i64::from(d) - i64::from(lo)).ok()?;
                match packed.get(i) {
                    Some(p) => *p,
                    None => NaiveDate::from_num_days_from_ce_opt(d).map(pack_ymd),
                }
            });
            let score = |v: &[u8], k: usize| v.get(k).copied().unwrap_or(0);
            c.r = int_col(n, |k| Some(i64::from(score(&sc.r, k))));
            c.f = int_col(n, |k| Some(i64::from(score(&sc.f, k))));
            c.m = int_col(n, |k| Some(i64::from(score(&sc.m, k))));
            c.cell = int_col(n, |k| {
                Some(pack_cell_parts(
                    score(&sc.r, k),
                    score(&sc.f, k),
                    score(&sc.m, k),
                ))
            });
            c.segment = int_col(n, |k| seg.get(k).map(|&s| i64::from(s)));
            let as_of_day = chrono::Datelike::num_days_from_ce(&as_of);
            let drop_config = &self.frequency_drop;
            c.frequency_drop = FloatCol::from_fn(n, |k| {
                FrequencyDrop::of_days(cols.days_of(pos(k)), as_of_day, drop_config).ratio
            });
            // NaN: no interval of their own (one 8-byte column).
            let own: Vec<f64> = crate::par::column(n, |k| {
                crate::summary::median_gap(cols.days_of(pos(k))).unwrap_or(f64::NAN)
            });
            // The population's interval over every summary (as
            // `Summaries::median_purchase_interval_days`): the segmented
            // customers' from `own`, the others' computed here.
            let population = {
                let mut segmented = vec![false; index.len()];
                for k in 0..n {
                    if let Some(s) = segmented.get_mut(pos(k)) {
                        *s = true;
                    }
                }
                let mut all: Vec<f64> = own.iter().copied().filter(|g| !g.is_nan()).collect();
                for (p, _) in segmented.iter().enumerate().filter(|(_, s)| !**s) {
                    all.extend(crate::summary::median_gap(cols.days_of(p)));
                }
                crate::summary::median_of(&mut all)
            };
            let own_of = |k: usize| own.get(k).copied().filter(|g| !g.is_nan());
            c.purchase_interval_days = FloatCol::from_fn(n, own_of);
            let dues = int_col(n, |k| {
                let last = cols.days_of(pos(k)).last().copied();
                due_day(last, own_of(k).or(population))
            });
            c.next_purchase_due = dues;
        }
        // Each (channel, store) pair of first orders is interned once, in
        // the order the customers first show it (the dictionaries' order
        // of a row-by-row build); the columns are then filled from the
        // pairs' codes on all threads.
        let firsts = &cols.first_orders;
        let pairs = firsts.pairs();
        let mut codes: Vec<Option<(Option<i64>, Option<i64>)>> = vec![None; pairs.len()];
        let mut unseen = pairs.len();
        for k in 0..n {
            if unseen == 0 {
                break;
            }
            let Some(i) = firsts.pair_index(pos(k)) else {
                continue;
            };
            if let (Some(code @ None), Some((channel, store))) = (codes.get_mut(i), pairs.get(i)) {
                *code = Some((
                    channel
                        .as_ref()
                        .map(|t| builder.first_channel.intern(t.as_str())),
                    store
                        .as_ref()
                        .map(|t| builder.first_store.intern(t.as_str())),
                ));
                unseen -= 1;
            }
        }
        let code = |k: usize| {
            let i = firsts.pair_index(pos(k))?;
            codes.get(i).copied().flatten()
        };
        let first_channel = int_col(n, |k| code(k)?.0);
        let first_store = int_col(n, |k| code(k)?.1);
        builder.cols.first_channel = first_channel;
        builder.cols.first_store = first_store;
        builder.n = n;
        for col in [
            &mut builder.cols.acquisition_channel,
            &mut builder.cols.signup_date,
            &mut builder.cols.birthday,
            &mut builder.cols.birthday_month,
            &mut builder.cols.email_opt_in,
            &mut builder.cols.sms_opt_in,
            &mut builder.cols.predicted_clv,
        ] {
            *col = IntCol::with_len(n);
        }
        builder.cols.p_alive = FloatCol::with_len(n);
        builder.cols.expected_purchases = FloatCol::with_len(n);
        builder.cols.tags.valid = Bits::zeros(n);
        let ids = if n == index.len() {
            Ids::Shared(std::sync::Arc::clone(index))
        } else {
            // Every position is a customer's (checked above).
            Ids::Subset {
                index: std::sync::Arc::clone(index),
                positions: (0..n)
                    .map(|k| u32::try_from(pos(k)).unwrap_or(u32::MAX))
                    .collect(),
                list: std::sync::OnceLock::new(),
            }
        };
        match self.customers {
            None => builder.cols.tags.offsets = vec![0; n + 1],
            Some(customers) => {
                for (k, id) in (0..ids.len()).filter_map(|k| Some((k, ids.get(k)?))) {
                    match customers.get(id.as_str()) {
                        Some(record) => {
                            let mut p = Profile::empty(id.clone());
                            p.set_record(record);
                            builder.push_record(k, &p);
                        }
                        None => builder.cols.tags.offsets.push(builder.cols.tags.ids.len()),
                    }
                }
            }
        }
        let (cols, attrs, attr_present) = builder.finish();
        Ok(Profiles {
            as_of,
            scale: self.scale,
            table,
            segments,
            ids,
            id_order: index.id_order(),
            cols,
            attrs,
            attr_present,
        })
    }
}

/// Net amount per order, rounded half away from zero (as
/// [`CustomerSummary::average_order_value`]); `None` without orders.
fn average(total: i64, orders: u32) -> Option<i64> {
    // The common case in 64 bits (2·|total| + n cannot overflow).
    if orders > 0 && total.unsigned_abs() < 1 << 61 {
        let n = i64::from(orders);
        return Some((2 * total + total.signum() * n) / (2 * n));
    }
    let (total, n) = (i128::from(total), i128::from(orders));
    if n == 0 {
        return None;
    }
    i64::try_from((2 * total + total.signum() * n) / (2 * n)).ok()
}

/// An integer column of `n` rows from `f`, computed on all threads with
/// `parallel`; rows where `f` gives `None` are missing.
fn int_col(n: usize, f: impl Fn(usize) -> Option<i64> + Sync + Send) -> IntCol {
    IntCol::from_fn(n, f)
}

/// `last + interval`, the interval rounded to whole days (halves up).
fn due(last: Option<NaiveDate>, interval: Option<f64>) -> Option<NaiveDate> {
    let days = interval.filter(|d| d.is_finite() && *d >= 0.0)?.round();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let days = days.min(1e6) as u64;
    last?.checked_add_days(chrono::Days::new(days))
}

/// [`due`] on day numbers (days from 0001-01-01 CE): the day number of
/// `last + interval`, without a calendar conversion.
fn due_day(last: Option<i32>, interval: Option<f64>) -> Option<i64> {
    let days = interval.filter(|d| d.is_finite() && *d >= 0.0)?.round();
    #[allow(clippy::cast_possible_truncation)]
    let days = days.min(1e6) as i64;
    let day = i64::from(last?) + days;
    (day <= i64::from(chrono::Datelike::num_days_from_ce(&NaiveDate::MAX))).then_some(day)
}

/// One customer's profile from their parts.
fn join(
    id: &CustomerId,
    as_of: NaiveDate,
    seg: Option<&SegmentedCustomer>,
    summary: Option<&CustomerSummary>,
    record: Option<&Customer>,
) -> Result<Profile> {
    let mut p = Profile::empty(id.clone());
    let buyer = summary.filter(|s| s.orders() > 0);
    if let Some(s) = buyer {
        p.recency_days = s.recency_days();
        p.frequency = Some(s.orders());
        p.monetary = Some(s.monetary());
        p.average_order_value = s.average_order_value();
        p.first_order = s.first_order_date();
        p.last_order = s.last_order_date();
        p.days_since_first_order = s.first_order_date().map(|d| (as_of - d).num_days());
        p.first_channel = s.first_channel().cloned();
        p.first_store = s.first_store().cloned();
    }
    if let Some(c) = seg {
        let Some(s) = buyer else {
            return Err(Error::config(
                "summaries",
                format!(
                    "customer {id} is segmented but has no summary with a purchase; \
                     build profiles from the summaries the segmentation was scored from"
                ),
            ));
        };
        if s.recency_days() != Some(c.scored.recency_days) {
            return Err(Error::config(
                "summaries",
                format!(
                    "customer {id}: recency is {} days in the segmentation but {} in the \
                     summaries (as of {as_of}); build profiles from the summaries the \
                     segmentation was scored from",
                    c.scored.recency_days,
                    s.recency_days().unwrap_or_default()
                ),
            ));
        }
        p.frequency = Some(c.scored.frequency);
        p.monetary = Some(c.scored.monetary);
        p.score = Some(c.scored.score);
        p.segment = Some(c.segment.clone());
    }
    if let Some(r) = record {
        p.set_record(r);
    }
    Ok(p)
}

struct ColumnsBuilder {
    n: usize,
    cols: Columns,
    first_channel: Interner,
    first_store: Interner,
    acquisition_channel: Interner,
    tags: Interner,
    attrs: AttrCols,
    attr_dicts: BTreeMap<String, Interner>,
    attr_present: BTreeMap<String, Bits>,
}

impl ColumnsBuilder {
    fn new(n: usize) -> ColumnsBuilder {
        let int = || IntCol::with_len(n);
        let cols = Columns {
            recency_days: int(),
            frequency: int(),
            monetary: int(),
            average_order_value: int(),
            first_order: int(),
            last_order: int(),
            days_since_first_order: int(),
            anniversary: int(),
            r: int(),
            f: int(),
            m: int(),
            cell: int(),
            segment: int(),
            first_channel: int(),
            first_store: int(),
            acquisition_channel: int(),
            signup_date: int(),
            birthday: int(),
            birthday_month: int(),
            email_opt_in: int(),
            sms_opt_in: int(),
            frequency_drop: FloatCol::with_len(n),
            purchase_interval_days: FloatCol::with_len(n),
            next_purchase_due: int(),
            p_alive: FloatCol::with_len(n),
            expected_purchases: FloatCol::with_len(n),
            predicted_clv: int(),
            tags: TagsCol {
                offsets: vec![0],
                ids: Vec::new(),
                dict: Vec::new(),
                valid: Bits::zeros(n),
            },
        };
        ColumnsBuilder {
            n,
            cols,
            first_channel: Interner::default(),
            first_store: Interner::default(),
            acquisition_channel: Interner::default(),
            tags: Interner::default(),
            attrs: BTreeMap::new(),
            attr_dicts: BTreeMap::new(),
            attr_present: BTreeMap::new(),
        }
    }

    /// Writes row `row` (rows are pushed in order).
    fn push(&mut self, row: usize, p: &Profile, segment: Option<i64>, as_of: NaiveDate) {
        let c = &mut self.cols;
        c.recency_days.set(row, p.recency_days);
        c.frequency.set(
            row,
            p.frequency.map(|f| i64::try_from(f).unwrap_or(i64::MAX)),
        );
        c.monetary.set(row, p.monetary.map(Money::minor_units));
        c.average_order_value
            .set(row, p.average_order_value.map(Money::minor_units));
        c.first_order.set(row, p.first_order.map(day_number));
        c.last_order.set(row, p.last_order.map(day_number));
        c.days_since_first_order
            .set(row, p.first_order.map(|d| (as_of - d).num_days()));
        c.anniversary.set(row, p.first_order.map(pack_ymd));
        c.r.set(row, p.score.map(|s| i64::from(s.r.get())));
        c.f.set(row, p.score.map(|s| i64::from(s.f.get())));
        c.m.set(row, p.score.map(|s| i64::from(s.m.get())));
        c.cell.set(row, p.score.map(pack_cell));
        c.segment.set(row, segment);
        c.frequency_drop.set(row, p.frequency_drop);
        c.purchase_interval_days.set(row, p.purchase_interval_days);
        c.next_purchase_due
            .set(row, p.next_purchase_due.map(day_number));
        c.first_channel.set(
            row,
            p.first_channel
                .as_ref()
                .map(|t| self.first_channel.intern(t.as_str())),
        );
        c.first_store.set(
            row,
            p.first_store
                .as_ref()
                .map(|t| self.first_store.intern(t.as_str())),
        );
        self.push_record(row, p);
    }

    /// Writes the customer-record and prediction fields of row `row`
    /// (rows are pushed in order: tags need it).
    fn push_record(&mut self, row: usize, p: &Profile) {
        let c = &mut self.cols;
        c.acquisition_channel.set(
            row,
            p.acquisition_channel
                .as_ref()
                .map(|t| self.acquisition_channel.intern(t.as_str())),
        );
        c.signup_date.set(row, p.signup_date.map(day_number));
        c.birthday.set(
            row,
            p.birthday
                .map(|b| i64::from(b.month()) * 32 + i64::from(b.day())),
        );
        c.birthday_month
            .set(row, p.birthday.map(|b| i64::from(b.month())));
        c.email_opt_in.set(row, p.email_opt_in.map(i64::from));
        c.sms_opt_in.set(row, p.sms_opt_in.map(i64::from));
        c.p_alive.set(row, p.predictions.p_alive);
        c.expected_purchases
            .set(row, p.predictions.expected_purchases);
        c.predicted_clv
            .set(row, p.predictions.predicted_clv.map(Money::minor_units));
        if let Some(tags) = &p.tags {
            c.tags.valid.set(row, true);
            for tag in tags {
                let id = self.tags.intern(tag);
                c.tags.ids.push(u32::try_from(id).unwrap_or(u32::MAX));
            }
        }
        c.tags.offsets.push(c.tags.ids.len());

        for (name, value) in &p.attributes {
            let n = self.n;
            let (ty, int, float) = match value {
                AttributeValue::String(s) => {
                    let dict = self.attr_dicts.entry(name.clone()).or_default();
                    (ValueType::Text, Some(dict.intern(s)), None)
                }
                AttributeValue::Number(x) if x.is_nan() => continue,
                AttributeValue::Number(x) => (ValueType::Number, None, Some(*x)),
                AttributeValue::Bool(b) => (ValueType::Bool, Some(i64::from(*b)), None),
                AttributeValue::Date(d) => (ValueType::Date, Some(day_number(*d)), None),
            };
            self.attr_present
                .entry(name.clone())
                .or_insert_with(|| Bits::zeros(n))
                .set(row, true);
            let col = self.attrs.entry((name.clone(), ty)).or_insert_with(|| {
                if ty == ValueType::Number {
                    AttrCol::Float(FloatCol::with_len(n))
                } else {
                    AttrCol::Int(IntCol::with_len(n))
                }
            });
            match col {
                AttrCol::Int(col) => col.set(row, int),
                AttrCol::Float(col) => col.set(row, float),
            }
        }
    }

    fn finish(mut self) -> (Columns, AttrCols, BTreeMap<String, Bits>) {
        self.cols.first_channel.dict = self.first_channel.dict;
        self.cols.first_store.dict = self.first_store.dict;
        self.cols.acquisition_channel.dict = self.acquisition_channel.dict;
        self.cols.tags.dict = self.tags.dict;
        for ((name, ty), col) in &mut self.attrs {
            if let (ValueType::Text, AttrCol::Int(col)) = (ty, col) {
                if let Some(dict) = self.attr_dicts.remove(name) {
                    col.dict = dict.dict;
                }
            }
        }
        (self.cols, self.attrs, self.attr_present)
    }
}

impl Profiles {
    /// A builder joining `segmentation` with the `summaries` it was scored
    /// from (their as-of date is the profiles' as-of date).
    #[must_use]
    pub fn builder<'a>(
        segmentation: &'a Segmentation,
        summaries: &'a Summaries,
    ) -> ProfilesBuilder<'a> {
        ProfilesBuilder {
            segmentation,
            summaries,
            customers: None,
            prospects: Prospects::Exclude,
            scale: 2,
            frequency_drop: FrequencyDropConfig::default(),
        }
    }

    /// The as-of date: relative dates in rules count from it.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The currency's scale (decimals of amounts in queries).
    #[must_use]
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// The segment table of the segmentation.
    #[must_use]
    pub fn segment_table(&self) -> &SegmentTable {
        &self.table
    }

    /// The number of profiles.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no profiles.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.len() == 0
    }

    /// The customers, in the id order of the summaries (see
    /// [`IdOrder`]).
    #[must_use]
    pub fn customers(&self) -> &[CustomerId] {
        self.ids.as_slice()
    }

    /// The id order of the rows.
    #[must_use]
    pub fn id_order(&self) -> IdOrder {
        self.id_order
    }

    /// The row of a customer, by binary search in the id order.
    pub(crate) fn row(&self, customer: &str) -> Option<usize> {
        let order = self.id_order;
        let compare =
            |id: Option<&CustomerId>| order.compare(id.map_or("", CustomerId::as_str), customer);
        match &self.ids {
            Ids::Subset {
                index, positions, ..
            } => positions
                .binary_search_by(|&p| compare(index.id(crate::id::widen(p))))
                .ok(),
            ids => ids.as_slice().binary_search_by(|id| compare(Some(id))).ok(),
        }
    }

    pub(crate) fn id(&self, row: usize) -> Option<&CustomerId> {
        self.ids.get(row)
    }

    pub(crate) fn segment_list(&self) -> &[Segment] {
        &self.segments
    }

    /// The schema of these profiles: their scale, their segment table, and
    /// every custom attribute some customer has, with the types seen. Parse
    /// queries against it to have names checked as they are typed.
    #[must_use]
    pub fn schema(&self) -> Schema {
        let mut attributes: BTreeMap<String, BTreeSet<ValueType>> = BTreeMap::new();
        for (name, ty) in self.attrs.keys() {
            attributes.entry(name.clone()).or_default().insert(*ty);
        }
        Schema::from_parts(self.scale, self.segments.clone(), attributes)
    }

    /// One customer's profile.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::audience::Profiles;
    /// use rfmkit::rfm::{RfmModel, ScoringConfig};
    /// use rfmkit::segment::SegmentTable;
    /// use rfmkit::summary::Summaries;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
    /// let orders = [Order::new("A-1", "alice", d(2)?, Money::new(1250))];
    /// let summaries = Summaries::from_orders(&orders, d(10)?)?;
    /// let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    /// let segmentation = SegmentTable::standard().segment_all(&scores)?;
    /// let profiles = Profiles::builder(&segmentation, &summaries).build()?;
    /// let alice = profiles.get("alice").ok_or("missing")?;
    /// assert_eq!((alice.recency_days, alice.monetary), (Some(8), Some(Money::new(1250))));
    /// assert_eq!(alice.email_opt_in, None); // no customer record
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<Profile> {
        let row = self.row(customer)?;
        let c = &self.cols;
        let date = |col: &IntCol| col.get(row).and_then(from_day_number);
        let money = |col: &IntCol| col.get(row).map(Money::new);
        let text = |col: &IntCol| col.text(row).map(str::to_owned);
        let mut p = Profile::empty(self.id(row)?.clone());
        p.recency_days = c.recency_days.get(row);
        p.frequency = c.frequency.get(row).and_then(|f| u64::try_from(f).ok());
        p.monetary = money(&c.monetary);
        p.average_order_value = money(&c.average_order_value);
        p.first_order = date(&c.first_order);
        p.last_order = date(&c.last_order);
        p.days_since_first_order = c.days_since_first_order.get(row);
        p.score = c.cell.get(row).and_then(unpack_cell);
        p.segment = c
            .segment
            .get(row)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.segments.get(i))
            .cloned();
        p.first_channel = text(&c.first_channel).map(Channel::from);
        p.first_store = text(&c.first_store).map(StoreId::from);
        p.acquisition_channel = text(&c.acquisition_channel).map(Channel::from);
        p.signup_date = date(&c.signup_date);
        if c.tags.valid.get(row) {
            let tags = c.tags.row(row).iter().filter_map(|&id| {
                usize::try_from(id)
                    .ok()
                    .and_then(|i| c.tags.dict.get(i))
                    .cloned()
            });
            p.tags = Some(tags.collect());
        }
        p.birthday = c.birthday.get(row).and_then(|packed| {
            let month = u8::try_from(packed / 32).ok()?;
            let day = u8::try_from(packed % 32).ok()?;
            Birthday::new(month, day).ok()
        });
        p.frequency_drop = c.frequency_drop.get(row);
        p.purchase_interval_days = c.purchase_interval_days.get(row);
        p.next_purchase_due = c.next_purchase_due.get(row).and_then(from_day_number);
        p.email_opt_in = c.email_opt_in.get(row).map(|v| v != 0);
        p.sms_opt_in = c.sms_opt_in.get(row).map(|v| v != 0);
        p.predictions = PredictedValues {
            p_alive: c.p_alive.get(row),
            expected_purchases: c.expected_purchases.get(row),
            predicted_clv: money(&c.predicted_clv),
        };
        for ((name, ty), col) in &self.attrs {
            if let Some(value) = attribute_value(*ty, col, row) {
                p.attributes.insert(name.clone(), value);
            }
        }
        Some(p)
    }

    /// Sets one customer's predicted values (replacing earlier ones);
    /// returns `false`, changing nothing, if the customer has no profile.
    ///
    /// Compiled rules borrow the profiles, so set predictions before
    /// compiling.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use rfmkit::audience::{PredictedValues, Profiles, Rule};
    /// # use rfmkit::rfm::{RfmModel, ScoringConfig};
    /// # use rfmkit::segment::SegmentTable;
    /// # use rfmkit::summary::Summaries;
    /// # use rfmkit::{Money, Order};
    /// # let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).ok_or("bad date");
    /// # let orders = [Order::new("A-1", "alice", d(2)?, Money::new(1250))];
    /// # let summaries = Summaries::from_orders(&orders, d(10)?)?;
    /// # let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    /// # let segmentation = SegmentTable::standard().segment_all(&scores)?;
    /// let mut profiles = Profiles::builder(&segmentation, &summaries).build()?;
    /// let mut p = PredictedValues::default();
    /// p.p_alive = Some(0.9);
    /// assert!(profiles.set_predictions("alice", p));
    /// assert!(!profiles.set_predictions("nobody", p));
    /// let rule = Rule::parse("p_alive >= 0.5", &profiles.schema())?;
    /// assert_eq!(profiles.compile(&rule)?.selected().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_predictions(&mut self, customer: &str, predictions: PredictedValues) -> bool {
        let Some(row) = self.row(customer) else {
            return false;
        };
        let c = &mut self.cols;
        c.p_alive.set(row, predictions.p_alive);
        c.expected_purchases
            .set(row, predictions.expected_purchases);
        let clv = predictions.predicted_clv.map(Money::minor_units);
        match clv {
            Some(_) => c.predicted_clv.set(row, clv),
            None => c.predicted_clv.valid.set(row, false),
        }
        true
    }

    /// Sets the predicted values of every customer in `predictions` who has
    /// a profile (see [`set_predictions`](Profiles::set_predictions) and
    /// `PredictedValues`'s `From<&CustomerPrediction>` conversion) and returns how many were matched; customers without a
    /// profile are skipped. Fit and predict as of the profiles' as-of date
    /// so that both describe the same moment.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::audience::{Profiles, Rule};
    /// use rfmkit::clv::{BgNbd, BtydConfig, BtydData, PredictConfig};
    /// use rfmkit::ltv::TimeUnit;
    /// use rfmkit::rfm::{RfmModel, ScoringConfig};
    /// use rfmkit::segment::SegmentTable;
    /// use rfmkit::sim::SimConfig;
    /// use rfmkit::summary::Summaries;
    ///
    /// let shop = SimConfig::builder().customers(300).orders(1_200).seed(7).build()?.generate();
    /// let summaries = Summaries::from_orders(shop.orders(), shop.as_of())?;
    /// let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    /// let segmentation = SegmentTable::standard().segment_all(&scores)?;
    /// let mut profiles = Profiles::builder(&segmentation, &summaries).build()?;
    ///
    /// let config = BtydConfig::builder(shop.as_of()).unit(TimeUnit::Week).build()?;
    /// let data = BtydData::from_orders(shop.orders(), &config)?;
    /// let predictions = BgNbd::fit(&data)?.predict(&data, None, &PredictConfig::default())?;
    /// // Every profiled (segmented) customer bought, so every one has a prediction.
    /// assert_eq!(profiles.set_predictions_from(&predictions), profiles.len());
    ///
    /// let rule = Rule::parse("p_alive >= 0", &profiles.schema())?;
    /// assert_eq!(profiles.compile(&rule)?.selected().len(), profiles.len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_predictions_from(&mut self, predictions: &Predictions) -> usize {
        predictions
            .iter()
            .filter(|c| self.set_predictions(c.customer.as_str(), PredictedValues::from(*c)))
            .count()
    }
}

fn attribute_value(ty: ValueType, col: &AttrCol, row: usize) -> Option<AttributeValue> {
    match (ty, col) {
        (ValueType::Number, AttrCol::Float(col)) => col.get(row).map(AttributeValue::Number),
        (ValueType::Text, AttrCol::Int(col)) => {
            col.text(row).map(|t| AttributeValue::String(t.to_owned()))
        }
        (ValueType::Bool, AttrCol::Int(col)) => col.get(row).map(|v| AttributeValue::Bool(v != 0)),
        (ValueType::Date, AttrCol::Int(col)) => col
            .get(row)
            .and_then(from_day_number)
            .map(AttributeValue::Date),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike as _;

    #[test]
    fn interning_numbers_texts_in_first_seen_order() {
        let mut interner = Interner::default();
        let ids: Vec<i64> = ["web", "web", "store", "web", "app", "store"]
            .iter()
            .map(|t| interner.intern(t))
            .collect();
        assert_eq!(ids, [0, 0, 1, 0, 2, 1]);
        assert_eq!(interner.dict, ["web", "store", "app"]);
    }

    proptest::proptest! {
        /// Due days on day numbers equal due dates through the calendar,
        /// up to the last date chrono knows.
        #[test]
        fn due_days_equal_due_dates(
            last in proptest::option::of(1_i32..=NaiveDate::MAX.num_days_from_ce()),
            interval in proptest::option::of(proptest::prop_oneof![-2.0..400.0_f64, proptest::num::f64::ANY]),
            near_end in proptest::bool::ANY,
        ) {
            let last = match near_end {
                true => last.map(|d| NaiveDate::MAX.num_days_from_ce() - d % 500),
                false => last,
            };
            let date = last.and_then(NaiveDate::from_num_days_from_ce_opt);
            proptest::prop_assert_eq!(due_day(last, interval), due(date, interval).map(day_number));
        }
    }
}
