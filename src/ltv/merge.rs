//! Multi-store merge (seed 004): store-local customer ids → unique
//! customers, with [`CustomerMap`] and [`merge_stores`].

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{CustomerId, StoreId};
use crate::order::Order;
use crate::summary::Summaries;

/// What [`CustomerMap`] does with a local id it has no entry for.
///
/// # Example
///
/// ```
/// use rfmkit::ltv::Unmapped;
/// assert_eq!(Unmapped::default(), Unmapped::Keep);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Unmapped {
    /// Keep the local id as the unified id (the default): right when the
    /// stores already share one id space, or when local ids never collide.
    #[default]
    Keep,
    /// Use `store:local` as the unified id, so that customer `17` of two
    /// stores stays two customers. An order without a store keeps its id.
    Qualify,
}

/// A mapping from (store, store-local customer id) to a unified customer id:
/// the result of matching customers across stores (by e-mail, phone,
/// membership number...), done outside rfmkit.
///
/// Serialized as `{"store": {"local id": "unified id", ...}, ...}`.
///
/// # Example
///
/// ```
/// use rfmkit::ltv::{CustomerMap, Unmapped};
/// use rfmkit::CustomerId;
///
/// let map = CustomerMap::new()
///     .with("tokyo", "17", "u-1")
///     .with("osaka", "4", "u-1");
/// let id = |s: &str| CustomerId::from(s);
/// assert_eq!(map.resolve(Some("osaka"), &id("4"), Unmapped::Keep), id("u-1"));
/// assert_eq!(map.resolve(Some("osaka"), &id("17"), Unmapped::Keep), id("17"));
/// assert_eq!(map.resolve(Some("osaka"), &id("17"), Unmapped::Qualify), id("osaka:17"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerMap {
    stores: BTreeMap<StoreId, BTreeMap<CustomerId, CustomerId>>,
}

impl CustomerMap {
    /// An empty map.
    #[must_use]
    pub fn new() -> CustomerMap {
        CustomerMap::default()
    }

    /// Maps `local` of `store` to `unified`; returns the previous unified id
    /// if there was one.
    pub fn insert(
        &mut self,
        store: impl Into<StoreId>,
        local: impl Into<CustomerId>,
        unified: impl Into<CustomerId>,
    ) -> Option<CustomerId> {
        self.stores
            .entry(store.into())
            .or_default()
            .insert(local.into(), unified.into())
    }

    /// [`insert`](Self::insert), chained.
    #[must_use]
    pub fn with(
        mut self,
        store: impl Into<StoreId>,
        local: impl Into<CustomerId>,
        unified: impl Into<CustomerId>,
    ) -> CustomerMap {
        self.insert(store, local, unified);
        self
    }

    /// The unified id of `local` in `store`, if mapped.
    #[must_use]
    pub fn get(&self, store: &str, local: &str) -> Option<&CustomerId> {
        self.stores.get(store).and_then(|m| m.get(local))
    }

    /// The number of mapped local ids.
    #[must_use]
    pub fn len(&self) -> usize {
        self.stores.values().map(BTreeMap::len).sum()
    }

    /// Whether nothing is mapped.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The unified id of `local` in `store` (`None`: no store), applying
    /// `unmapped` when there is no entry.
    #[must_use]
    pub fn resolve(
        &self,
        store: Option<&str>,
        local: &CustomerId,
        unmapped: Unmapped,
    ) -> CustomerId {
        match store {
            Some(store) => match self.get(store, local.as_str()) {
                Some(unified) => unified.clone(),
                None => match unmapped {
                    Unmapped::Keep => local.clone(),
                    Unmapped::Qualify => CustomerId::new(format!("{store}:{local}")),
                },
            },
            None => local.clone(),
        }
    }

    /// `orders` with each customer id replaced by its unified id, looked up
    /// by the order's own store ([`Order::store`]); the order is otherwise
    /// unchanged.
    ///
    /// Summarizing the result gives the same summaries as summarizing each
    /// store's orders and calling [`merge_stores`].
    #[must_use]
    pub fn unify_orders<'a>(
        &self,
        orders: impl IntoIterator<Item = &'a Order>,
        unmapped: Unmapped,
    ) -> Vec<Order> {
        crate::bounded::bounded(orders)
            .map(|o| {
                let store = o.store().map(StoreId::as_str);
                let customer = self.resolve(store, o.customer(), unmapped);
                let mut out = Order::new(o.id().clone(), customer, o.date(), o.amount())
                    .with_status(o.status());
                if let Some(cost) = o.cost() {
                    out = out.with_cost(cost);
                }
                if let Some(channel) = o.channel() {
                    out = out.with_channel(channel.clone());
                }
                if let Some(store) = o.store() {
                    out = out.with_store(store.clone());
                }
                out
            })
            .collect()
    }
}

impl FromIterator<(StoreId, CustomerId, CustomerId)> for CustomerMap {
    fn from_iter<I: IntoIterator<Item = (StoreId, CustomerId, CustomerId)>>(iter: I) -> Self {
        let mut map = CustomerMap::new();
        map.extend(iter);
        map
    }
}

impl Extend<(StoreId, CustomerId, CustomerId)> for CustomerMap {
    fn extend<I: IntoIterator<Item = (StoreId, CustomerId, CustomerId)>>(&mut self, iter: I) {
        for (store, local, unified) in iter {
            self.insert(store, local, unified);
        }
    }
}

/// Merges per-store summaries into summaries of unique customers (seed 004:
/// 多店舗の顧客統合).
///
/// Each store's summaries are keyed by that store's local customer ids;
/// every local id is replaced by its unified id ([`CustomerMap::resolve`])
/// and the summaries that land on one customer are merged
/// ([`Summaries::remap`], [`Summaries::merge`]). The result equals
/// summarizing all stores' orders with unified ids
/// ([`CustomerMap::unify_orders`]), provided each order is in one store's
/// summaries only. No stores give empty summaries as of `as_of`.
///
/// # Errors
///
/// [`Error::AsOfMismatch`] if a store's summaries are not as of `as_of`;
/// [`Error::Overflow`] if a merged customer's sums overflow.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ltv::{merge_stores, CustomerMap, KpiConfig, Kpis, Unmapped};
/// use rfmkit::summary::Summaries;
/// use rfmkit::id::StoreId;
/// use rfmkit::{Money, Order};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let as_of = d(6, 30)?;
/// // Each store numbers its own customers.
/// let tokyo = vec![
///     Order::new("T-1", "17", d(1, 5)?, Money::new(5_000)).with_store("tokyo"),
///     Order::new("T-2", "18", d(2, 1)?, Money::new(3_000)).with_store("tokyo"),
/// ];
/// let osaka = vec![Order::new("O-1", "4", d(3, 9)?, Money::new(7_000)).with_store("osaka")];
/// // Osaka's customer 4 is Tokyo's customer 17.
/// let map = CustomerMap::new().with("tokyo", "17", "u-1").with("osaka", "4", "u-1");
/// let unified = merge_stores(
///     as_of,
///     [
///         (StoreId::from("tokyo"), Summaries::from_orders(&tokyo, as_of)?),
///         (StoreId::from("osaka"), Summaries::from_orders(&osaka, as_of)?),
///     ],
///     &map,
///     Unmapped::Qualify,
/// )?;
/// let ids: Vec<String> = unified.iter().map(|s| s.customer().to_string()).collect();
/// assert_eq!(ids, ["tokyo:18", "u-1"]);
/// let kpis = Kpis::from_summaries(&unified, &KpiConfig::default())?;
/// // 2 unique customers, not 3: 15,000 / 2
/// assert_eq!((kpis.customers, kpis.ltv), (2, Some(Money::new(7_500))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn merge_stores(
    as_of: NaiveDate,
    stores: impl IntoIterator<Item = (StoreId, Summaries)>,
    map: &CustomerMap,
    unmapped: Unmapped,
) -> Result<Summaries> {
    let mut merged = Summaries::empty(as_of);
    for (store, summaries) in stores {
        if summaries.as_of() != as_of {
            return Err(Error::AsOfMismatch {
                left: as_of,
                right: summaries.as_of(),
            });
        }
        let unified = summaries.remap(|id| map.resolve(Some(store.as_str()), id, unmapped))?;
        merged = merged.merge(unified)?;
    }
    Ok(merged)
}
