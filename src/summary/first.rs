//! [`FirstOrders`]: each customer's [`FirstOrder`] in a compact table.

use std::hash::{Hash, Hasher};

use chrono::Datelike as _;
use compact_str::{CompactString, ToCompactString as _};
use rustc_hash::FxHashMap;

use super::FirstOrder;
use crate::id::{Channel, OrderId, StoreId};
use crate::ingest::day_to_date;

/// `day` of a customer without a first order.
const NONE: i32 = i32::MIN;

/// Order ids at or above this value index `texts`: every canonical id
/// (a decimal integer without leading zeros, below 10^19) is below it.
const TEXT: u64 = 10_000_000_000_000_000_000;

/// The order id of a first order without one (the empty id).
const NO_ID: u64 = u64::MAX;

/// A (channel, store) pair of a first order.
type Pair = (Option<Channel>, Option<StoreId>);

/// Each customer's first order, by customer position: 16 bytes a
/// customer (day, order id as its integer value where it is one, and an
/// index into a small table of (channel, store) pairs) instead of an
/// 80-byte [`FirstOrder`], which [`get`](Self::get) builds on demand.
/// Empty (length 0) when no customer has one.
///
/// Equal tables hold equal first orders, however they were built.
#[derive(Debug, Clone, Default)]
pub(crate) struct FirstOrders {
    /// Each customer's first order's day (days from 0001-01-01 CE), or
    /// [`NONE`].
    day: Vec<i32>,
    /// Its order id: the canonical value, [`TEXT`] + an index into
    /// `texts`, or [`NO_ID`].
    order: Vec<u64>,
    /// Its index into `pairs`.
    pair: Vec<u32>,
    /// Order ids that are not canonical integers.
    texts: Vec<OrderId>,
    /// The distinct (channel, store) pairs.
    pairs: Vec<Pair>,
    pair_index: FxHashMap<Pair, u32>,
}

impl FirstOrders {
    /// A table from columns a builder computed: per customer, `None` or
    /// (day, order id value (`None`: no id), index into `pairs`). Every
    /// index must be below `pairs.len()`.
    #[cfg(test)]
    pub(crate) fn from_parts(
        firsts: &[Option<(i32, Option<u64>, u32)>],
        pairs: Vec<Pair>,
    ) -> FirstOrders {
        FirstOrders::from_fn(firsts.len(), pairs, |c| firsts.get(c).copied().flatten())
    }

    /// The table of `n` customers whose first orders are `first(c)`: `None`
    /// or (day, order id value (`None`: no id), index into `pairs`), every
    /// index below `pairs.len()`. Computed on all threads with `parallel`,
    /// straight into the table's columns.
    pub(crate) fn from_fn(
        n: usize,
        pairs: Vec<Pair>,
        first: impl Fn(usize) -> Option<(i32, Option<u64>, u32)> + Sync + Send,
    ) -> FirstOrders {
        const CHUNK: usize = 1 << 14;
        let mut day = vec![NONE; n];
        let mut order = vec![NO_ID; n];
        let mut pair = vec![0_u32; n];
        let chunks: Vec<_> = day
            .chunks_mut(CHUNK)
            .zip(order.chunks_mut(CHUNK))
            .zip(pair.chunks_mut(CHUNK))
            .enumerate()
            .collect();
        let any = crate::par::map(chunks, |(k, ((day, order), pair))| {
            let mut any = false;
            let slots = day.iter_mut().zip(order.iter_mut()).zip(pair.iter_mut());
            for (c, ((day, order), pair)) in (k * CHUNK..).zip(slots) {
                if let Some((d, o, p)) = first(c) {
                    (*day, *order, *pair) = (d, o.unwrap_or(NO_ID), p);
                    any = true;
                }
            }
            any
        });
        if !any.contains(&true) {
            return FirstOrders::default();
        }
        let mut pair_index = FxHashMap::default();
        for (i, p) in (0_u32..).zip(&pairs) {
            pair_index.entry(p.clone()).or_insert(i);
        }
        FirstOrders {
            day,
            order,
            pair,
            texts: Vec::new(),
            pairs,
            pair_index,
        }
    }

    /// Customers in the table (0 when no customer has a first order).
    pub(crate) fn len(&self) -> usize {
        self.day.len()
    }

    /// Whether no customer has a first order (the table holds no rows).
    pub(crate) fn is_empty(&self) -> bool {
        self.day.is_empty()
    }

    /// Whether some customer has a first order.
    pub(crate) fn any(&self) -> bool {
        self.day.iter().any(|&d| d != NONE)
    }

    /// Customer `c`'s first order.
    pub(crate) fn get(&self, c: usize) -> Option<FirstOrder> {
        let day = self.day.get(c).copied().filter(|&d| d != NONE)?;
        let order = self.order.get(c).copied().unwrap_or(NO_ID);
        let order_id = match order {
            NO_ID => OrderId::new(""),
            v if v >= TEXT => self
                .texts
                .get(usize::try_from(v - TEXT).unwrap_or(usize::MAX))
                .cloned()
                .unwrap_or_else(|| OrderId::new("")),
            v => OrderId::new(v.to_compact_string()),
        };
        let (channel, store) = self.pair_at(c).cloned().unwrap_or((None, None));
        Some(FirstOrder {
            date: day_to_date(day)?,
            order_id,
            channel,
            store,
        })
    }

    fn pair_at(&self, c: usize) -> Option<&Pair> {
        self.pairs.get(self.pair_index(c)?)
    }

    /// Customer `c`'s first order's index into [`pairs`](Self::pairs), if
    /// it has a first order.
    pub(crate) fn pair_index(&self, c: usize) -> Option<usize> {
        self.day.get(c).filter(|&&d| d != NONE)?;
        self.pair.get(c).map(|&p| crate::id::widen(p))
    }

    /// The distinct (channel, store) pairs of the first orders.
    pub(crate) fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    /// Appends a customer's first order (or none).
    pub(crate) fn push(&mut self, first: Option<&FirstOrder>) {
        let Some(first) = first else {
            self.day.push(NONE);
            self.order.push(NO_ID);
            self.pair.push(0);
            return;
        };
        self.day.push(first.date.num_days_from_ce());
        let text = first.order_id.as_str();
        let order = match crate::ingest::canonical_id(text) {
            _ if text.is_empty() => NO_ID,
            Some(value) => value,
            None => {
                let at = u64::try_from(self.texts.len()).unwrap_or(u64::MAX);
                self.texts.push(first.order_id.clone());
                TEXT.saturating_add(at)
            }
        };
        self.order.push(order);
        let key = (first.channel.clone(), first.store.clone());
        let next = u32::try_from(self.pairs.len()).unwrap_or(u32::MAX);
        let at = *self.pair_index.entry(key.clone()).or_insert(next);
        if at == next {
            self.pairs.push(key);
        }
        self.pair.push(at);
    }

    /// The first orders of `keep`'s customers, in that order, with any
    /// after `last` (a day number) dropped; empty if none is left.
    pub(crate) fn select(&self, keep: impl IntoIterator<Item = usize>, last: i32) -> FirstOrders {
        let mut out = FirstOrders::default();
        if self.is_empty() {
            return out;
        }
        for c in keep {
            let first = self.get(c).filter(|f| f.date.num_days_from_ce() <= last);
            out.push(first.as_ref());
        }
        if !out.any() {
            return FirstOrders::default();
        }
        out
    }
}

impl PartialEq for FirstOrders {
    fn eq(&self, other: &FirstOrders) -> bool {
        self.len() == other.len() && (0..self.len()).all(|c| self.get(c) == other.get(c))
    }
}

impl Eq for FirstOrders {}

impl Hash for FirstOrders {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.len().hash(state);
        for c in 0..self.len() {
            self.get(c).hash(state);
        }
    }
}

/// A (channel, store) pair of `CompactString`s as a [`Pair`].
pub(crate) fn pair_of_texts(
    (channel, store): &(Option<CompactString>, Option<CompactString>),
) -> Pair {
    (
        channel.as_deref().map(Channel::new),
        store.as_deref().map(StoreId::new),
    )
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn first(d: u32, id: &str, channel: Option<&str>, store: Option<&str>) -> FirstOrder {
        FirstOrder {
            date: NaiveDate::from_ymd_opt(2025, 1, d).unwrap(),
            order_id: OrderId::new(id),
            channel: channel.map(Channel::new),
            store: store.map(StoreId::new),
        }
    }

    #[test]
    fn pushed_first_orders_come_back_as_they_were() {
        let orders = [
            Some(first(3, "42", Some("web"), None)),
            None,
            // Not canonical: kept as text, leading zero and all.
            Some(first(4, "007", Some("web"), None)),
            Some(first(5, "A-1", None, Some("tokyo"))),
            Some(first(6, "", None, None)),
            Some(first(7, "9999999999999999999", Some("app"), Some("osaka"))),
            Some(first(8, "10000000000000000000", Some("web"), None)),
        ];
        let mut table = FirstOrders::default();
        for o in &orders {
            table.push(o.as_ref());
        }
        assert_eq!(table.len(), orders.len());
        for (c, o) in orders.iter().enumerate() {
            assert_eq!(table.get(c).as_ref(), o.as_ref(), "customer {c}");
            let pair = table.pair_index(c).and_then(|i| table.pairs().get(i));
            let expected = o.as_ref().map(|f| (f.channel.clone(), f.store.clone()));
            assert_eq!(pair, expected.as_ref());
        }
        assert_eq!(table.get(orders.len()), None);
        // Three pairs: (web, -), (-, tokyo), (-, -), (app, osaka); the
        // customer without a first order takes none.
        assert_eq!(table.pairs.len(), 4);
        // Only `007`, `A-1` and the 20-digit id are texts.
        assert_eq!(table.texts.len(), 3);
    }

    #[test]
    fn tables_built_differently_are_equal_when_their_orders_are() {
        let web = (Some(Channel::new("web")), None);
        let store = (None, Some(StoreId::new("s1")));
        // Pairs listed in a different order, the same first orders.
        let a = FirstOrders::from_parts(
            &[Some((739_000, Some(5), 0)), None, Some((739_001, None, 1))],
            vec![web.clone(), store.clone()],
        );
        let b = FirstOrders::from_parts(
            &[Some((739_000, Some(5), 1)), None, Some((739_001, None, 0))],
            vec![store, web],
        );
        assert_eq!(a, b);
        let mut c = FirstOrders::default();
        for i in 0..3 {
            c.push(a.get(i).as_ref());
        }
        assert_eq!(a, c);
        assert_eq!(c.get(0).map(|f| f.order_id), Some(OrderId::new("5")));
        assert_eq!(c.get(2).map(|f| f.order_id), Some(OrderId::new("")));
        let hash = |t: &FirstOrders| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            t.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&a), hash(&c));
        // A different day is a different table.
        let d = FirstOrders::from_parts(
            &[Some((739_000, Some(5), 0)), None, Some((739_002, None, 1))],
            a.pairs.clone(),
        );
        assert_ne!(a, d);
        // No first order at all: the empty table.
        let none = FirstOrders::from_parts(&[None, None], vec![(None, None)]);
        assert!(none.is_empty() && !none.any());
        assert_eq!(none, FirstOrders::default());
    }

    #[test]
    fn a_selection_drops_later_first_orders() {
        let mut table = FirstOrders::default();
        table.push(Some(&first(3, "1", Some("web"), None)));
        table.push(Some(&first(20, "2", Some("app"), None)));
        table.push(None);
        let day = |d: u32| {
            NaiveDate::from_ymd_opt(2025, 1, d)
                .unwrap()
                .num_days_from_ce()
        };
        let kept = table.select([1, 0], day(10));
        assert_eq!(kept.len(), 2);
        assert_eq!(kept.get(0), None);
        assert_eq!(kept.get(1), Some(first(3, "1", Some("web"), None)));
        assert!(table.select([1, 2], day(10)).is_empty());
    }
}
