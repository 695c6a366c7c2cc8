//! [`OrderBatch`]: orders gathered as columns, anywhere, then pushed into
//! a [`LogBuilder`] in one call.

use chrono::{Datelike, NaiveDate};
use compact_str::{CompactString, ToCompactString as _};
use rustc_hash::FxHashMap;

use super::{Keys, LogBuilder, MAX_DEFERRED_PAIRS, MAX_ROWS, OrderRecord};
use crate::error::{Error, Result};
use crate::id::OrderId;
use crate::money::Money;
use crate::order::OrderStatus;

/// Ids at or above this value index [`OrderBatch::texts`]: every
/// canonical id (see [`super::canonical_id`]) is below it.
const TEXT: u64 = 10_000_000_000_000_000_000;

/// The order id of a row without one.
const NO_ID: u64 = u64::MAX;

/// Orders gathered as columns, to push into a [`LogBuilder`] with
/// [`LogBuilder::push_batch`]: the same result, the same checks and the
/// same errors as pushing each row on its own, in the order the rows were
/// added.
///
/// A batch does the per-row work that does not depend on earlier rows
/// (reading each id as an integer, each date as a day number, and keeping
/// channels and stores as a small table), and owns what it keeps, so it
/// can be filled on another thread while the builder takes the previous
/// one. When its rows are the usual kind (every customer id a decimal
/// integer, every order id one higher than the last, no date after the
/// as-of date, no cancellation, no customer list to check) the builder
/// takes them as whole columns; otherwise row by row.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::ingest::{IngestConfig, OrderBatch, OrderRecord};
/// use rfmkit::Money;
///
/// let day = |d| NaiveDate::from_ymd_opt(2025, 1, d).ok_or("bad date");
/// // Filled anywhere (another thread, say) ...
/// let mut batch = OrderBatch::new();
/// batch.push_record(OrderRecord::new("7", day(3)?, Money::new(1_200)).order_id("1"));
/// batch.push_record(OrderRecord::new("9", day(4)?, Money::new(800)).order_id("2"));
/// batch.push_record(OrderRecord::new("7", day(9)?, Money::new(500)).order_id("3"));
/// assert_eq!(batch.len(), 3);
///
/// // ... then pushed in one call.
/// let mut log = IngestConfig::new(day(31)?).builder();
/// log.push_batch(&batch)?;
/// let log = log.build()?;
/// assert_eq!((log.rows(), log.index().len()), (3, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBatch {
    /// Each row's customer: its canonical value, or [`TEXT`] + an index
    /// into `texts`.
    customer: Vec<u64>,
    /// Each row's order id: as `customer`, or [`NO_ID`].
    order: Vec<u64>,
    /// Ids that are not canonical integers.
    texts: Vec<CompactString>,
    day: Vec<i32>,
    amount: Vec<i64>,
    status: Vec<OrderStatus>,
    /// Costs, once any row has one.
    cost: Option<Vec<Option<i64>>>,
    /// Each row's index into `pairs`.
    pair: Vec<u32>,
    /// The distinct (channel, store) pairs.
    pairs: Vec<(Option<CompactString>, Option<CompactString>)>,
    pair_index: FxHashMap<(Option<CompactString>, Option<CompactString>), u32>,
    /// Unreadable rows: (readable rows before it, order id, reason).
    unreadable: Vec<(usize, OrderId, Error)>,
    /// The latest day of a row (`i32::MIN` for none).
    max_day: i32,
    /// Every row's customer is canonical and its status is counted with
    /// an amount of the allowed sign.
    plain: bool,
    ids: Ids,
}

/// The shape of a batch's order ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ids {
    /// No row yet.
    Empty,
    /// No row has an order id.
    Without,
    /// Every row has a canonical id, `first` and then one higher each row.
    Run(u64),
    /// Anything else.
    Mixed,
}

impl Default for OrderBatch {
    fn default() -> OrderBatch {
        OrderBatch::new()
    }
}

impl OrderBatch {
    /// An empty batch.
    #[must_use]
    pub fn new() -> OrderBatch {
        OrderBatch {
            customer: Vec::new(),
            order: Vec::new(),
            texts: Vec::new(),
            day: Vec::new(),
            amount: Vec::new(),
            status: Vec::new(),
            cost: None,
            pair: Vec::new(),
            pairs: Vec::new(),
            pair_index: FxHashMap::default(),
            unreadable: Vec::new(),
            max_day: i32::MIN,
            plain: true,
            ids: Ids::Empty,
        }
    }

    /// An empty batch with room for `rows` rows (at most 2^22 are
    /// reserved up front).
    #[must_use]
    pub fn with_capacity(rows: usize) -> OrderBatch {
        let rows = rows.min(super::MAX_PREALLOCATION);
        let mut batch = OrderBatch::new();
        batch.customer.reserve(rows);
        batch.order.reserve(rows);
        batch.day.reserve(rows);
        batch.amount.reserve(rows);
        batch.status.reserve(rows);
        batch.pair.reserve(rows);
        batch
    }

    /// Removes every row, keeping the allocated room (a loader that fills
    /// one batch after another reuses the same memory).
    pub fn clear(&mut self) {
        self.customer.clear();
        self.order.clear();
        self.texts.clear();
        self.day.clear();
        self.amount.clear();
        self.status.clear();
        self.cost = None;
        self.pair.clear();
        self.pairs.clear();
        self.pair_index.clear();
        self.unreadable.clear();
        self.max_day = i32::MIN;
        self.plain = true;
        self.ids = Ids::Empty;
    }

    /// The rows added, readable or not.
    #[must_use]
    pub fn len(&self) -> usize {
        self.day.len() + self.unreadable.len()
    }

    /// Whether no row was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds an [`OrderRecord`], as [`LogBuilder::push_record`] would take
    /// it. Nothing is checked yet: that happens in
    /// [`LogBuilder::push_batch`], in order.
    ///
    /// Nothing is allocated per row, except for an id that is not a
    /// decimal integer and longer than 24 bytes, and the first row of each
    /// (channel, store) pair.
    #[inline]
    pub fn push_record(&mut self, record: OrderRecord<'_>) {
        self.push_keyed(&record, Keys::of(&record), record.date.num_days_from_ce());
    }

    /// Adds a row a loader could not read, as
    /// [`LogBuilder::push_unreadable`] would take it: it takes its push
    /// position, and under [`Validation::Strict`](super::Validation) its
    /// `reason` is the error.
    pub fn push_unreadable(&mut self, order_id: Option<&str>, reason: Error) {
        self.plain = false;
        self.unreadable
            .push((self.day.len(), OrderId::new(order_id.unwrap_or("")), reason));
    }

    /// [`push_record`](Self::push_record) with the ids' canonical values
    /// and the date's day number (days from 0001-01-01 CE) known: the text
    /// of an id with a value (here `keys.customer`, or `keys.order` for a
    /// record with an order id) and the record's date are not read, so a
    /// loader of integer and date columns may leave them empty (any date).
    pub(crate) fn push_keyed(&mut self, record: &OrderRecord<'_>, keys: Keys, day: i32) {
        let row = u64::try_from(self.day.len()).unwrap_or(u64::MAX);
        let customer = match keys.customer {
            Some(value) => value,
            None => {
                self.plain = false;
                self.text(record.customer)
            }
        };
        self.customer.push(customer);
        let order = match (record.order_id, keys.order) {
            (None, _) => NO_ID,
            (Some(_), Some(value)) => value,
            (Some(text), None) => self.text(text),
        };
        self.order.push(order);
        self.ids = match (self.ids, record.order_id, keys.order) {
            (Ids::Empty | Ids::Without, None, _) => Ids::Without,
            (Ids::Empty, Some(_), Some(value)) => Ids::Run(value),
            (Ids::Run(first), Some(_), Some(value)) if first.checked_add(row) == Some(value) => {
                Ids::Run(first)
            }
            _ => Ids::Mixed,
        };
        self.max_day = self.max_day.max(day);
        self.day.push(day);
        self.amount.push(record.amount.minor_units());
        self.status.push(record.status);
        self.plain &= record.status.counts_amount() && record.status.allows_amount(record.amount);
        super::push_cost(&mut self.cost, self.day.len() - 1, record.cost);
        let pair = self.pair_of(record.channel, record.store);
        self.pair.push(pair);
    }

    /// Adds rows of the usual kind a column at a time, as
    /// [`push_keyed`](Self::push_keyed) would one by one: canonical
    /// customer ids, canonical order ids (or none), day numbers, amounts
    /// (the status from the sign: negative is a return) and each row's
    /// channel (no store, no cost). The columns have one value per row.
    #[cfg(feature = "arrow")]
    pub(crate) fn extend_plain<'c>(
        &mut self,
        customers: &[u64],
        orders: Option<&[u64]>,
        days: &[i32],
        amounts: &[i64],
        mut channel: impl FnMut(usize) -> Option<&'c str>,
    ) {
        let rows = customers.len();
        let start = u64::try_from(self.day.len()).unwrap_or(u64::MAX);
        self.customer.extend_from_slice(customers);
        self.ids = match orders {
            None => match self.ids {
                Ids::Empty | Ids::Without if rows > 0 => Ids::Without,
                ids if rows == 0 => ids,
                _ => Ids::Mixed,
            },
            Some(orders) => {
                self.order.extend_from_slice(orders);
                let counts_up = |first: u64, start: u64| {
                    (0_u64..)
                        .zip(orders)
                        .all(|(i, &value)| first.checked_add(start + i) == Some(value))
                };
                match (self.ids, orders.first()) {
                    (ids, None) => ids,
                    (Ids::Empty, Some(&first)) if counts_up(first, 0) => Ids::Run(first),
                    (Ids::Run(first), Some(_)) if counts_up(first, start) => Ids::Run(first),
                    _ => Ids::Mixed,
                }
            }
        };
        if orders.is_none() {
            self.order.resize(self.order.len() + rows, NO_ID);
        }
        self.day.extend_from_slice(days);
        self.max_day = days.iter().copied().fold(self.max_day, i32::max);
        self.amount.extend_from_slice(amounts);
        self.status.extend(amounts.iter().map(|&a| match a < 0 {
            true => OrderStatus::Returned,
            false => OrderStatus::Completed,
        }));
        if let Some(costs) = self.cost.as_mut() {
            costs.resize(costs.len() + rows, None);
        }
        for row in 0..rows {
            let pair = self.pair_of(channel(row), None);
            self.pair.push(pair);
        }
    }

    /// Stores an id's text; its value in the id columns.
    fn text(&mut self, text: &str) -> u64 {
        let at = u64::try_from(self.texts.len()).unwrap_or(u64::MAX);
        self.texts.push(CompactString::new(text));
        TEXT.saturating_add(at)
    }

    /// The index of a (channel, store) pair: the previous row's first,
    /// then (while there are few pairs, as there usually are) a look
    /// through them all, then the hash table.
    fn pair_of(&mut self, channel: Option<&str>, store: Option<&str>) -> u32 {
        /// Pairs compared one by one before hashing.
        const FEW: usize = 8;
        if let Some(&last) = self.pair.last() {
            if self
                .pairs
                .get(crate::id::widen(last))
                .is_some_and(|pair| pair_is(pair, channel, store))
            {
                return last;
            }
        }
        if self.pairs.len() <= FEW {
            if let Some(at) = self
                .pairs
                .iter()
                .position(|pair| pair_is(pair, channel, store))
            {
                return u32::try_from(at).unwrap_or(u32::MAX);
            }
        }
        let key = (
            channel.map(CompactString::new),
            store.map(CompactString::new),
        );
        let next = u32::try_from(self.pairs.len()).unwrap_or(u32::MAX);
        let at = *self.pair_index.entry(key.clone()).or_insert(next);
        if at == next {
            self.pairs.push(key);
        }
        at
    }

    /// Row `row` as a record and its keys; `texts` holds the rendered
    /// texts of integer ids.
    fn record<'b>(
        &'b self,
        row: usize,
        texts: &'b mut (CompactString, CompactString),
    ) -> Option<(OrderRecord<'b>, Keys)> {
        let (customer_text, order_text) = texts;
        let text = |value: u64, buf: &'b mut CompactString| -> (&'b str, Option<u64>) {
            match value.checked_sub(TEXT) {
                Some(at) => {
                    let at = usize::try_from(at).unwrap_or(usize::MAX);
                    (self.texts.get(at).map_or("", CompactString::as_str), None)
                }
                None => {
                    *buf = value.to_compact_string();
                    (buf.as_str(), Some(value))
                }
            }
        };
        let (customer, customer_key) = text(*self.customer.get(row)?, customer_text);
        let date = NaiveDate::from_num_days_from_ce_opt(*self.day.get(row)?)?;
        let mut record = OrderRecord::new(customer, date, Money::new(*self.amount.get(row)?))
            .status(*self.status.get(row)?);
        let mut keys = Keys {
            order: None,
            customer: customer_key,
        };
        let order = *self.order.get(row)?;
        if order != NO_ID {
            let (id, key) = text(order, order_text);
            record.order_id = Some(id);
            keys.order = key;
        }
        if let Some(Some(cost)) = self.cost.as_ref().and_then(|c| c.get(row)) {
            record.cost = Some(Money::new(*cost));
        }
        let (channel, store) = self.pairs.get(crate::id::widen(*self.pair.get(row)?))?;
        record.channel = channel.as_deref();
        record.store = store.as_deref();
        Some((record, keys))
    }
}

impl LogBuilder<'_> {
    /// Pushes every row of `batch` in the order they were added: the same
    /// as [`push_record`](Self::push_record) for each record and
    /// [`push_unreadable`](Self::push_unreadable) for each unreadable row
    /// (same checks, positions, errors and log), usually much faster (see
    /// [`OrderBatch`]).
    ///
    /// # Errors
    ///
    /// Under [`Validation::Strict`](super::Validation), the first row's
    /// error, as those calls give it; the rows before it are pushed, the
    /// rows after it are not.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::ingest::{IngestConfig, OrderBatch, OrderRecord};
    /// use rfmkit::{Error, Money};
    ///
    /// let day = |d| NaiveDate::from_ymd_opt(2025, 1, d).ok_or("bad date");
    /// let mut batch = OrderBatch::new();
    /// batch.push_record(OrderRecord::new("7", day(3)?, Money::new(1_200)).order_id("1"));
    /// batch.push_record(OrderRecord::new("9", day(4)?, Money::new(800)).order_id("1"));
    /// let mut log = IngestConfig::new(day(31)?).builder();
    /// let err = log.push_batch(&batch).err().ok_or("a duplicate")?;
    /// assert!(matches!(err, Error::DuplicateOrderId { index: 1, first_index: 0, .. }));
    /// assert_eq!(log.pushed(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push_batch(&mut self, batch: &OrderBatch) -> Result<()> {
        if self.push_columns(batch) {
            return Ok(());
        }
        let mut unreadable = batch.unreadable.iter().peekable();
        let mut texts = (CompactString::default(), CompactString::default());
        for row in 0..batch.day.len() {
            while let Some((_, id, reason)) = unreadable.next_if(|u| u.0 <= row) {
                self.push_unreadable(Some(id.as_str()), reason.clone())?;
            }
            if let Some((record, keys)) = batch.record(row, &mut texts) {
                self.push_row_keyed(&record, keys)?;
            }
        }
        for (_, id, reason) in unreadable {
            self.push_unreadable(Some(id.as_str()), reason.clone())?;
        }
        Ok(())
    }

    /// Appends `batch` as whole columns if its rows need no check that
    /// depends on them one by one and the builder still defers numbering
    /// its customers (see [`super::Deferred`]): the log is then the same
    /// as pushing the rows one by one. Returns whether it did.
    fn push_columns(&mut self, batch: &OrderBatch) -> bool {
        let rows = batch.day.len();
        if batch.unreadable.is_empty() && rows == 0 {
            return true;
        }
        let start = self.gate.pushed;
        let fits = self
            .day
            .len()
            .checked_add(rows)
            .is_some_and(|r| r <= MAX_ROWS)
            && start.checked_add(rows).is_some_and(|r| r <= MAX_ROWS);
        if !batch.plain
            || !fits
            || self.overfull
            || self.gate.customers.is_some()
            || batch.max_day > self.gate.as_of_day
        {
            return false;
        }
        let Some(deferred) = self.deferred.as_mut() else {
            return false;
        };
        let run = match batch.ids {
            Ids::Without => None,
            // Above every id seen: new, and (see `SeenIds::insert`) stored
            // as runs, so each row's id is recovered from its position.
            Ids::Run(first) => {
                let above = self
                    .gate
                    .seen_ids
                    .runs
                    .last()
                    .is_none_or(|r| first.checked_sub(r.first).is_some_and(|d| d >= r.len));
                if !above {
                    return false;
                }
                Some(first)
            }
            Ids::Empty | Ids::Mixed => return false,
        };
        // The batch's pairs among the builder's (`defer` looks them up the
        // same way, and ends deferral past `MAX_DEFERRED_PAIRS`).
        let mut map: Vec<u8> = Vec::with_capacity(batch.pairs.len());
        let mut new: Vec<(Option<CompactString>, Option<CompactString>)> = Vec::new();
        for pair in &batch.pairs {
            let at = deferred
                .pairs
                .iter()
                .chain(&new)
                .position(|p| p == pair)
                .or_else(|| {
                    (deferred.pairs.len() + new.len() < MAX_DEFERRED_PAIRS).then(|| {
                        new.push(pair.clone());
                        deferred.pairs.len() + new.len() - 1
                    })
                });
            match at.and_then(|at| u8::try_from(at).ok()) {
                Some(at) => map.push(at),
                None => return false,
            }
        }
        deferred.pairs.extend(new);
        let before = self.day.len();
        if deferred.pair_of.is_none() && map.iter().any(|&p| p > 0) {
            deferred.pair_of = Some(vec![0; deferred.keys.len()]);
        }
        if let Some(pair_of) = deferred.pair_of.as_mut() {
            pair_of.extend(
                batch
                    .pair
                    .iter()
                    .map(|&p| map.get(crate::id::widen(p)).copied().unwrap_or(0)),
            );
        }
        deferred.keys.extend_from_slice(&batch.customer);
        self.day.extend_from_slice(&batch.day);
        self.amount.extend_from_slice(&batch.amount);
        self.position.extend(before, start, rows);
        self.returned
            .extend(batch.status.iter().map(|&s| s == OrderStatus::Returned));
        match (&mut self.cost, &batch.cost) {
            (Some(costs), Some(more)) => costs.extend_from_slice(more),
            (Some(costs), None) => costs.resize(before + rows, None),
            (None, Some(more)) => {
                let mut costs = vec![None; before];
                costs.extend_from_slice(more);
                self.cost = Some(costs);
            }
            (None, None) => {}
        }
        if let Some(first) = run {
            self.gate
                .seen_ids
                .extend_run(first, start, u64::try_from(rows).unwrap_or(u64::MAX));
        }
        self.gate.pushed = start + rows;
        true
    }
}

/// Whether `pair` is (`channel`, `store`).
#[inline]
fn pair_is(
    (c, s): &(Option<CompactString>, Option<CompactString>),
    channel: Option<&str>,
    store: Option<&str>,
) -> bool {
    let same = |a: Option<&CompactString>, b: Option<&str>| match (a, b) {
        (Some(a), Some(b)) => same_text(a, b),
        (a, b) => a.is_none() && b.is_none(),
    };
    same(c.as_ref(), channel) && same(s.as_ref(), store)
}

/// Whether `a == b`, compared inline for texts of up to 16 bytes (two
/// overlapping words; a call to `memcmp` for a channel name of a few bytes
/// on every row costs more than the comparison).
#[inline]
fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| s.get(at..).and_then(<[u8]>::first_chunk::<8>).copied();
    let half = |s: &[u8], at: usize| s.get(at..).and_then(<[u8]>::first_chunk::<4>).copied();
    match n {
        0..4 => a.iter().zip(b).all(|(x, y)| x == y),
        4..8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{FutureOrders, IdOrder, IngestConfig, OrderLog, Validation};

    /// A generated row: customer, order id, day, amount, status, cost,
    /// channel, store, or an unreadable row.
    #[derive(Debug, Clone)]
    enum Row {
        Record {
            customer: String,
            order_id: Option<String>,
            date: NaiveDate,
            amount: Money,
            status: OrderStatus,
            cost: Option<Money>,
            channel: Option<&'static str>,
            store: Option<&'static str>,
        },
        Unreadable(Option<String>),
    }

    impl Row {
        fn push_into(&self, builder: &mut LogBuilder<'_>) -> Result<()> {
            match self.record() {
                Some(record) => builder.push_record(record),
                None => builder.push_unreadable(self.unreadable_id(), self.reason()),
            }
        }

        fn add_to(&self, batch: &mut OrderBatch) {
            match self.record() {
                Some(record) => batch.push_record(record),
                None => batch.push_unreadable(self.unreadable_id(), self.reason()),
            }
        }

        fn record(&self) -> Option<OrderRecord<'_>> {
            let Row::Record {
                customer,
                order_id,
                date,
                amount,
                status,
                cost,
                channel,
                store,
            } = self
            else {
                return None;
            };
            let mut record = OrderRecord::new(customer, *date, *amount).status(*status);
            if let Some(id) = order_id {
                record = record.order_id(id);
            }
            if let Some(cost) = cost {
                record = record.cost(*cost);
            }
            if let Some(channel) = channel {
                record = record.channel(channel);
            }
            if let Some(store) = store {
                record = record.store(store);
            }
            Some(record)
        }

        fn unreadable_id(&self) -> Option<&str> {
            match self {
                Row::Unreadable(id) => id.as_deref(),
                Row::Record { .. } => None,
            }
        }

        fn reason(&self) -> Error {
            Error::InvalidColumn {
                column: "amount".into(),
                row: None,
                problem: "is null".into(),
            }
        }
    }

    /// Rows from small numbers: mostly the plain kind (integer customers,
    /// ids counting up, completed orders before the as-of date), with
    /// every kind of exception now and then.
    /// `shape`: 0 odd rows among them, 1 only integer customers, 2 also
    /// every order id present and counting up, no date past 2025-02-09.
    fn rows(seeds: &[(u8, u8, u8, u8, u8)], shape: u8) -> Vec<Row> {
        let odd = shape == 0;
        let day = |d: u8| {
            NaiveDate::from_ymd_opt(2025, 1, 1)
                .and_then(|s| s.checked_add_days(chrono::Days::new(u64::from(d))))
                .unwrap_or_default()
        };
        seeds
            .iter()
            .enumerate()
            .map(|(i, &(c, id, d, amount, kind))| {
                if odd && kind == 29 {
                    return Row::Unreadable((id % 2 == 0).then(|| format!("{}", i + 100)));
                }
                let customer = match (odd, c) {
                    (true, 0) => "007".to_owned(),
                    (true, 1) => "c-1".to_owned(),
                    _ => (u64::from(c) * 1_000_000_007).to_string(),
                };
                let order_id = match (odd, id % 16) {
                    (_, 0) if shape < 2 => None,
                    (true, 1) => Some(format!("A-{}", id / 16)),
                    (true, 2) => Some((id / 16).to_string()),
                    _ => Some((i + 100).to_string()),
                };
                let status = match (odd, kind % 10) {
                    (_, 0) => OrderStatus::Returned,
                    (true, 1) => OrderStatus::Cancelled,
                    _ => OrderStatus::Completed,
                };
                let sign = match (status, odd && kind % 7 == 3) {
                    (OrderStatus::Returned, false) | (OrderStatus::Completed, true) => -1,
                    _ => 1,
                };
                Row::Record {
                    customer,
                    order_id,
                    date: day(match shape {
                        0 => d,
                        1 => d % 50,
                        _ => d % 40,
                    }),
                    amount: Money::new(i64::from(amount) * sign),
                    status,
                    cost: (kind % 5 == 4).then(|| Money::new(i64::from(amount / 2))),
                    channel: [None, Some("web"), Some("store")][usize::from(kind % 3)],
                    store: [None, Some("s1")][usize::from(d % 2)],
                }
            })
            .collect()
    }

    /// Pushes `rows` one by one, or in batches cut at `cuts` (every other
    /// batch pushed row by row, so the two ways mix). Returns the log or
    /// the error, and the pushed count.
    fn load(
        config: &IngestConfig,
        rows: &[Row],
        cuts: Option<&[usize]>,
    ) -> (Result<OrderLog>, usize) {
        let mut builder = config.builder();
        let pushed = match cuts {
            None => rows.iter().try_for_each(|r| r.push_into(&mut builder)),
            Some(cuts) => {
                let mut bounds: Vec<usize> = cuts.iter().map(|&c| c.min(rows.len())).collect();
                bounds.push(0);
                bounds.push(rows.len());
                bounds.sort_unstable();
                bounds.windows(2).enumerate().try_for_each(|(k, w)| {
                    let part = rows.get(w[0]..w[1]).unwrap_or_default();
                    if k % 3 == 2 {
                        part.iter().try_for_each(|r| r.push_into(&mut builder))
                    } else {
                        let mut batch = OrderBatch::new();
                        part.iter().for_each(|r| r.add_to(&mut batch));
                        assert_eq!(batch.len(), part.len());
                        builder.push_batch(&batch)
                    }
                })
            }
        };
        let count = builder.pushed();
        (pushed.and_then(|()| builder.build()), count)
    }

    proptest::proptest! {
        /// `same_text` is string equality at every length around its word
        /// sizes, for equal texts and texts differing in one byte anywhere.
        #[test]
        fn same_text_is_equality(
            a in "[ab]{0,20}",
            flip in proptest::num::usize::ANY,
            other in "[ab]{0,20}",
        ) {
            proptest::prop_assert!(same_text(&a, &a.clone()));
            proptest::prop_assert_eq!(same_text(&a, &other), a == other);
            if !a.is_empty() {
                let at = flip % a.len();
                let mut bytes = a.clone().into_bytes();
                bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
                let b = String::from_utf8(bytes).unwrap();
                proptest::prop_assert!(!same_text(&a, &b));
            }
        }
    }

    proptest::proptest! {
        /// Batches, cut anywhere and mixed with single pushes, give the
        /// same log (rows, customers, first orders, costs, skip report)
        /// or the same error at the same position as pushing row by row.
        #[test]
        fn batches_equal_pushing_row_by_row(
            seeds in proptest::collection::vec((0_u8..12, 0_u8..64, 0_u8..60, 0_u8..50, 0_u8..30), 0..120),
            cuts in proptest::collection::vec(0_usize..130, 0..6),
            shape in 0_u8..3,
            lenient in proptest::bool::ANY,
            ignore_future in proptest::bool::ANY,
            numeric in proptest::bool::ANY,
        ) {
            let rows = rows(&seeds, shape);
            let as_of = NaiveDate::from_ymd_opt(2025, 2, 15).unwrap_or_default();
            let mut config = IngestConfig::new(as_of);
            if lenient {
                config = config.validation(Validation::Lenient);
            }
            if ignore_future {
                config = config.future_orders(FutureOrders::Ignore);
            }
            if numeric {
                config = config.id_order(IdOrder::Numeric);
            }
            let one_by_one = load(&config, &rows, None);
            let batched = load(&config, &rows, Some(&cuts));
            proptest::prop_assert_eq!(&one_by_one, &batched);
            if let (Ok(a), Ok(b)) = (&one_by_one.0, &batched.0) {
                proptest::prop_assert_eq!(a.first_orders_shared(), b.first_orders_shared());
            }
        }
    }

    #[cfg(feature = "arrow")]
    proptest::proptest! {
        /// Rows added a column at a time equal the same rows added one by
        /// one, whatever came before them in the batch.
        #[test]
        fn plain_columns_equal_rows_one_by_one(
            before in proptest::collection::vec((0_u64..5, proptest::option::of(0_u64..4)), 0..4),
            rows in proptest::collection::vec((0_u64..1_000, -50_i64..50, 0_i32..40, 0_u8..3), 0..40),
            ids in 0_u8..3,
            first in 0_u64..5,
        ) {
            let day0 = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default().num_days_from_ce();
            let date = |d: i32| NaiveDate::from_num_days_from_ce_opt(day0 + d).unwrap_or_default();
            let mut one = OrderBatch::new();
            for (i, (c, o)) in before.iter().enumerate() {
                let id = o.map(|o| (o + u64::try_from(i).unwrap_or(0)).to_string());
                let mut record = OrderRecord::new("", date(0), Money::new(1));
                if let Some(id) = id.as_deref() {
                    record = record.order_id(id);
                }
                let customer = c.to_string();
                record.customer = &customer;
                one.push_record(record);
            }
            let mut columns = one.clone();
            // `ids`: none, counting up from `first` after the rows before,
            // or anything.
            let start = u64::try_from(before.len()).unwrap_or(0);
            let orders: Vec<u64> = (0..rows.len())
                .map(|i| match ids {
                    1 => first + start + u64::try_from(i).unwrap_or(0),
                    _ => rows.get(i).map_or(0, |r| r.0 % 7),
                })
                .collect();
            let channels = [None, Some("web"), Some("")];
            for (i, &(c, amount, d, ch)) in rows.iter().enumerate() {
                let status = if amount < 0 { OrderStatus::Returned } else { OrderStatus::Completed };
                let mut record = OrderRecord::new("", date(0), Money::new(amount)).status(status);
                if ids > 0 {
                    record = record.order_id("");
                }
                if let Some(ch) = channels[usize::from(ch)].filter(|c| !c.is_empty()) {
                    record = record.channel(ch);
                }
                let keys = Keys { customer: Some(c), order: (ids > 0).then(|| orders[i]) };
                one.push_keyed(&record, keys, day0 + d);
            }
            let customers: Vec<u64> = rows.iter().map(|r| r.0).collect();
            let amounts: Vec<i64> = rows.iter().map(|r| r.1).collect();
            let days: Vec<i32> = rows.iter().map(|r| day0 + r.2).collect();
            let orders = (ids > 0).then_some(orders.as_slice());
            columns.extend_plain(&customers, orders, &days, &amounts, |i| {
                channels[usize::from(rows[i].3)].filter(|c| !c.is_empty())
            });
            proptest::prop_assert_eq!(one, columns);
        }
    }

    #[test]
    fn a_cleared_batch_is_an_empty_one() {
        let day = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap_or_default();
        let mut batch = OrderBatch::new();
        batch.push_record(OrderRecord::new("c-1", day, Money::new(-5)).channel("web"));
        batch.push_unreadable(Some("A-9"), Error::config("amount", "is null"));
        assert_eq!(batch.len(), 2);
        batch.clear();
        assert!(batch.is_empty());
        // Refilled, it pushes as a new batch would.
        batch.push_record(OrderRecord::new("5", day, Money::new(10)).order_id("1"));
        let mut builder = IngestConfig::new(day).builder();
        assert!(builder.push_columns(&batch));
        assert_eq!(builder.pushed(), 1);
    }

    #[test]
    fn plain_batches_go_in_as_columns_and_others_row_by_row() {
        let day = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap_or_default();
        let config = IngestConfig::new(day);
        let mut plain = OrderBatch::new();
        plain.push_record(OrderRecord::new("5", day, Money::new(10)).order_id("1"));
        plain.push_record(OrderRecord::new("3", day, Money::new(20)).order_id("2"));
        let mut builder = config.builder();
        assert!(builder.push_columns(&plain));
        // The next batch continues the ids: still columns.
        let mut next = OrderBatch::new();
        next.push_record(OrderRecord::new("5", day, Money::new(30)).order_id("3"));
        assert!(builder.push_columns(&next));
        // A repeated id must be checked row by row.
        assert!(!builder.push_columns(&next));
        // So must a text customer id, a cancellation and a future date.
        let mut text = OrderBatch::new();
        text.push_record(OrderRecord::new("c-1", day, Money::new(1)));
        let mut cancelled = OrderBatch::new();
        cancelled
            .push_record(OrderRecord::new("5", day, Money::new(1)).status(OrderStatus::Cancelled));
        let mut future = OrderBatch::new();
        future.push_record(OrderRecord::new(
            "5",
            day.succ_opt().unwrap_or(day),
            Money::new(1),
        ));
        for batch in [&text, &cancelled, &future] {
            assert!(!config.builder().push_columns(batch));
        }
        assert_eq!(builder.pushed(), 3);
        let log = builder.build().unwrap();
        let ids: Vec<&str> = log.index().iter().map(|c| c.as_str()).collect();
        assert_eq!(ids, ["3", "5"]);
        let amounts: Vec<i64> = log
            .customer_rows(1)
            .map(|r| r.amount.minor_units())
            .collect();
        assert_eq!(amounts, [10, 30]);
    }
}
