//! [`Snapshot`]: every scored customer's scores and segment on one date.

use std::cmp::Ordering;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::CustomerId;
use crate::ingest::IdOrder;
use crate::money::Money;
use crate::rfm::{RfmModel, RfmScore, Score};
use crate::segment::{Segment, SegmentTable, Segmentation};
use crate::summary::Summaries;

/// Every scored customer's R, F, M scores, segment and monetary as of one
/// date, with the [`RfmModel`] and [`SegmentTable`] that produced them.
///
/// A back end stores one per night or per month and compares two with
/// [`Transitions`](super::Transitions). Customers without a completed order
/// (returns only) are not scored, so they are not in a snapshot.
///
/// # Size
///
/// In memory, 14 bytes per customer plus the id (24 bytes inline for ids
/// up to 24 bytes): 38 bytes for typical ids. As JSON, the id, three
/// one-digit scores and the monetary amount: about 20 bytes plus the id.
/// Serialized as `{"version": 1, "as_of", "model", "table", "customers":
/// [id…], "r": [..], "f": [..], "m": [..], "monetary": [..]}`; the segments
/// are not stored but recomputed from the table on load.
///
/// # Invariants
///
/// Checked by [`Snapshot::new`] and when deserializing: the table's bins
/// equal the model's; customers are sorted in the model's id order without
/// repeats; every score is in `1..=bins`; all columns have one entry per
/// customer. A stored snapshot that breaks one is an
/// [`Error::InvalidConfig`] naming the field and customer.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
/// use rfmkit::segment::SegmentTable;
/// use rfmkit::summary::Summaries;
/// use rfmkit::timeline::Snapshot;
/// use rfmkit::{Money, Order};
///
/// let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let orders = [
///     Order::new("A-1", "alice", day(3, 1)?, Money::new(5_000)),
///     Order::new("A-2", "alice", day(3, 20)?, Money::new(4_000)),
///     Order::new("A-3", "bob", day(1, 5)?, Money::new(2_000)),
/// ];
/// let summaries = Summaries::from_orders(&orders, day(3, 31)?)?;
/// let config = ScoringConfig::builder().method(Method::Rank).build()?;
/// let model = RfmModel::fit(&config, &summaries);
/// let snapshot = Snapshot::take(&model, &SegmentTable::standard(), &summaries)?;
///
/// // alice ranks 2nd of 2 on every dimension, bob 1st: ⌈5·2/2⌉ = 5, ⌈5·1/2⌉ = 3.
/// let alice = snapshot.get("alice").ok_or("missing")?;
/// assert_eq!((alice.score.to_string().as_str(), alice.segment.as_str()), ("5-5-5", "champions"));
/// let bob = snapshot.get("bob").ok_or("missing")?;
/// assert_eq!((bob.score.to_string().as_str(), bob.segment.as_str()), ("3-3-3", "need_attention"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    as_of: NaiveDate,
    model: RfmModel,
    table: SegmentTable,
    customers: Vec<CustomerId>,
    r: Vec<u8>,
    f: Vec<u8>,
    m: Vec<u8>,
    /// Index into `table.segments()`.
    segment: Vec<u16>,
    monetary: Vec<i64>,
}

/// One customer of a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SnapshotRow {
    /// The customer.
    pub customer: CustomerId,
    /// Their R, F, M scores.
    pub score: RfmScore,
    /// Their segment.
    pub segment: Segment,
    /// Their net revenue as of the snapshot's date.
    pub monetary: Money,
}

impl Snapshot {
    /// The snapshot of a segmentation, recording the model that scored it.
    ///
    /// The model need not have been fitted on the same date: a model
    /// fitted earlier and applied to later summaries (the frozen mode of
    /// [`Transitions`](super::Transitions)) records those frozen cuts.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `bins`) if the model's bins differ
    /// from the segmentation's table, (field `id_order`) if the model and
    /// the segmentation order ids differently.
    pub fn new(model: &RfmModel, segmentation: &Segmentation) -> Result<Snapshot> {
        let scores = segmentation.scores();
        let index = scores.index();
        if model.id_order() != index.id_order() {
            return Err(Error::config(
                "id_order",
                format!(
                    "the model orders ids {:?} but the segmentation {:?}",
                    model.id_order(),
                    index.id_order()
                ),
            ));
        }
        let cols = scores.columns();
        let customers = cols
            .rows
            .iter()
            .filter_map(|&p| index.id(crate::id::widen(p)).cloned())
            .collect();
        let snapshot = Snapshot {
            as_of: scores.as_of(),
            model: model.clone(),
            table: segmentation.table().clone(),
            customers,
            r: cols.r.clone(),
            f: cols.f.clone(),
            m: cols.m.clone(),
            segment: segmentation.segment_column().to_vec(),
            monetary: cols.monetary.clone(),
        };
        snapshot.check()?;
        Ok(snapshot)
    }

    /// Scores `summaries` with `model`, segments them with `table` and
    /// records the result: [`RfmModel::score_all`],
    /// [`SegmentTable::segment_all`] and [`Snapshot::new`] in one call.
    ///
    /// # Errors
    ///
    /// As [`SegmentTable::segment_all`] and [`Snapshot::new`].
    pub fn take(model: &RfmModel, table: &SegmentTable, summaries: &Summaries) -> Result<Snapshot> {
        Snapshot::new(model, &table.segment_all(&model.score_all(summaries))?)
    }

    /// The date the customers were scored as of.
    #[must_use]
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The model whose cuts gave the scores.
    #[must_use]
    pub fn model(&self) -> &RfmModel {
        &self.model
    }

    /// The table that gave the segments.
    #[must_use]
    pub fn table(&self) -> &SegmentTable {
        &self.table
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// Whether no customer was scored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    /// The customers, in the model's id order.
    #[must_use]
    pub fn customers(&self) -> &[CustomerId] {
        &self.customers
    }

    /// The customer at position `k` (in id order).
    #[must_use]
    pub fn row(&self, k: usize) -> Option<SnapshotRow> {
        let score = |v: &[u8]| v.get(k).copied().and_then(|s| Score::new(s).ok());
        Some(SnapshotRow {
            customer: self.customers.get(k)?.clone(),
            score: RfmScore::new(score(&self.r)?, score(&self.f)?, score(&self.m)?),
            segment: self.segment_at(k)?.clone(),
            monetary: Money::new(*self.monetary.get(k)?),
        })
    }

    /// The position of `customer`, found in the model's id order.
    #[must_use]
    pub fn position(&self, customer: &str) -> Option<usize> {
        let order = self.model.id_order();
        self.customers
            .binary_search_by(|probe| order.compare(probe.as_str(), customer))
            .ok()
    }

    /// One customer's row, or `None` if they were not scored that day.
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<SnapshotRow> {
        self.row(self.position(customer)?)
    }

    /// Every customer's row, in id order.
    pub fn iter(&self) -> impl Iterator<Item = SnapshotRow> + '_ {
        (0..self.len()).filter_map(|k| self.row(k))
    }

    /// The segment of the customer at position `k`.
    pub(crate) fn segment_at(&self, k: usize) -> Option<&Segment> {
        let i = usize::from(*self.segment.get(k)?);
        self.table.segments().nth(i)
    }

    /// The segment index of the customer at position `k`.
    pub(crate) fn segment_index(&self, k: usize) -> Option<u16> {
        self.segment.get(k).copied()
    }

    /// The monetary of the customer at position `k`.
    pub(crate) fn monetary_at(&self, k: usize) -> i64 {
        self.monetary.get(k).copied().unwrap_or(0)
    }

    /// The scores of the customer at position `k`, as stored.
    pub(crate) fn scores_at(&self, k: usize) -> Option<[u8; 3]> {
        Some([*self.r.get(k)?, *self.f.get(k)?, *self.m.get(k)?])
    }

    /// Checks the documented invariants.
    fn check(&self) -> Result<()> {
        let bins = self.model.bins();
        if self.table.bins() != bins {
            return Err(Error::config(
                "bins",
                format!(
                    "the model has {bins} bins but the segment table {}",
                    self.table.bins()
                ),
            ));
        }
        let n = self.customers.len();
        for (name, len) in [
            ("r", self.r.len()),
            ("f", self.f.len()),
            ("m", self.m.len()),
            ("monetary", self.monetary.len()),
            ("segment", self.segment.len()),
        ] {
            if len != n {
                return Err(Error::config(
                    name,
                    format!("has {len} entries for {n} customers"),
                ));
            }
        }
        let order = self.model.id_order();
        for (k, pair) in self.customers.windows(2).enumerate() {
            if let [a, b] = pair {
                if order.compare(a.as_str(), b.as_str()) != Ordering::Less {
                    return Err(Error::config(
                        format!("customers[{}]", k + 1),
                        format!(
                            "customer {b}: customers must be sorted in {order:?} id order without repeats"
                        ),
                    ));
                }
            }
        }
        if order == IdOrder::Numeric {
            if let Some(bad) = self
                .customers
                .iter()
                .find(|c| c.as_str().parse::<i64>().is_err())
            {
                return Err(Error::config(
                    "customers",
                    format!("customer {bad}: not an integer under the numeric id order"),
                ));
            }
        }
        for (name, column) in [("r", &self.r), ("f", &self.f), ("m", &self.m)] {
            if let Some(k) = column.iter().position(|&s| s == 0 || s > bins) {
                let customer = self.customers.get(k).map(CustomerId::as_str).unwrap_or("");
                return Err(Error::config(
                    format!("{name}[{k}]"),
                    format!(
                        "customer {customer}: score {} is not in 1..={bins}",
                        column.get(k).copied().unwrap_or(0)
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The stored form: columns, segments left out (recomputed on load).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    version: u64,
    as_of: NaiveDate,
    model: RfmModel,
    table: SegmentTable,
    customers: Vec<CustomerId>,
    r: Vec<u8>,
    f: Vec<u8>,
    m: Vec<u8>,
    monetary: Vec<i64>,
}

/// The version of the stored form.
const VERSION: u64 = 1;

impl Serialize for Snapshot {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        Wire {
            version: VERSION,
            as_of: self.as_of,
            model: self.model.clone(),
            table: self.table.clone(),
            customers: self.customers.clone(),
            r: self.r.clone(),
            f: self.f.clone(),
            m: self.m.clone(),
            monetary: self.monetary.clone(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Snapshot {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        Snapshot::try_from(wire).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<Wire> for Snapshot {
    type Error = Error;

    fn try_from(wire: Wire) -> Result<Snapshot> {
        if wire.version != VERSION {
            return Err(Error::UnsupportedVersion {
                version: wire.version,
                supported: VERSION,
            });
        }
        let n = wire.customers.len();
        let mut snapshot = Snapshot {
            as_of: wire.as_of,
            model: wire.model,
            table: wire.table,
            customers: wire.customers,
            r: wire.r,
            f: wire.f,
            m: wire.m,
            segment: vec![0; n],
            monetary: wire.monetary,
        };
        snapshot.check()?;
        // Scores are in range (checked), so every cell has a segment.
        let index: Vec<&Segment> = snapshot.table.segments().collect();
        for k in 0..n {
            let Some([r, f, m]) = snapshot.scores_at(k) else {
                continue;
            };
            let score = RfmScore::new(Score::new(r)?, Score::new(f)?, Score::new(m)?);
            let segment = snapshot.table.assign(score)?;
            let i = index.iter().position(|s| *s == segment).unwrap_or(0);
            if let Some(slot) = snapshot.segment.get_mut(k) {
                *slot = u16::try_from(i).unwrap_or(u16::MAX);
            }
        }
        Ok(snapshot)
    }
}
