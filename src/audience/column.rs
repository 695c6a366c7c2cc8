//! Column storage for [`Profiles`](super::Profiles): bit sets and the typed
//! columns rules are compiled against and evaluated over.
//!
//! A leaf of the audience stage: it imports nothing from the other audience
//! modules, so that profiles (which build columns), compilation (which
//! resolves names to columns) and evaluation (which scans them) depend on
//! it and not on each other.

use chrono::{Datelike, NaiveDate};

use crate::rfm::{RfmScore, Score};

/// A fixed-length set of bits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Bits {
    pub(crate) words: Vec<u64>,
    pub(crate) len: usize,
}

impl Bits {
    pub(crate) fn zeros(len: usize) -> Bits {
        Bits {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    pub(crate) fn ones(len: usize) -> Bits {
        let mut bits = Bits {
            words: vec![u64::MAX; len.div_ceil(64)],
            len,
        };
        if len % 64 != 0 {
            if let Some(last) = bits.words.last_mut() {
                *last = (1_u64 << (len % 64)) - 1;
            }
        }
        bits
    }

    pub(crate) fn get(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|w| (w >> (i % 64)) & 1 == 1)
    }

    pub(crate) fn set(&mut self, i: usize, value: bool) {
        if i >= self.len {
            return;
        }
        if let Some(w) = self.words.get_mut(i / 64) {
            let bit = 1_u64 << (i % 64);
            if value {
                *w |= bit;
            } else {
                *w &= !bit;
            }
        }
    }

    pub(crate) fn zip(&self, other: &Bits, f: impl Fn(u64, u64) -> u64) -> Bits {
        Bits {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(&a, &b)| f(a, b))
                .collect(),
            len: self.len,
        }
    }

    pub(crate) fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The indices of the set bits, ascending.
    pub(crate) fn ones_iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut word = w;
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                Some(i * 64 + bit)
            })
        })
    }
}

/// A column of whole numbers (counts, money, day numbers, dictionary ids)
/// with a validity bit per row.
///
/// Values are stored in 32 bits while they all fit (days, counts, scores,
/// dictionary ids: most columns of a profile), in 64 bits otherwise, so a
/// profile costs half the memory it would with `i64` everywhere.
#[derive(Debug, Clone, Default)]
pub(crate) struct IntCol {
    pub(crate) values: IntValues,
    pub(crate) valid: Bits,
    /// For text columns: the texts, indexed by value.
    pub(crate) dict: Vec<String>,
}

/// The values of an [`IntCol`]: narrow while every value fits in `i32`.
#[derive(Debug, Clone)]
pub(crate) enum IntValues {
    Narrow(Vec<i32>),
    Wide(Vec<i64>),
}

impl Default for IntValues {
    fn default() -> IntValues {
        IntValues::Narrow(Vec::new())
    }
}

impl IntValues {
    fn get(&self, row: usize) -> Option<i64> {
        match self {
            IntValues::Narrow(v) => v.get(row).map(|&x| i64::from(x)),
            IntValues::Wide(v) => v.get(row).copied(),
        }
    }

    /// Stores `value` at `row`, widening the column if it does not fit.
    fn set(&mut self, row: usize, value: i64) -> bool {
        if let IntValues::Narrow(v) = self {
            match (i32::try_from(value), v.get_mut(row)) {
                (Ok(x), Some(slot)) => {
                    *slot = x;
                    return true;
                }
                (_, None) => return false,
                (Err(_), Some(_)) => {
                    *self = IntValues::Wide(v.iter().map(|&x| i64::from(x)).collect());
                }
            }
        }
        match self {
            IntValues::Wide(v) => v.get_mut(row).map(|slot| *slot = value).is_some(),
            IntValues::Narrow(_) => false,
        }
    }
}

impl IntCol {
    pub(crate) fn with_len(n: usize) -> IntCol {
        IntCol {
            values: IntValues::Narrow(vec![0; n]),
            valid: Bits::zeros(n),
            dict: Vec::new(),
        }
    }

    /// The column `f(0), …, f(n − 1)` (`None`: missing), computed on all
    /// threads with `parallel`; narrow unless a value needs 64 bits.
    pub(crate) fn from_fn(n: usize, f: impl Fn(usize) -> Option<i64> + Sync + Send) -> IntCol {
        // A sentinel marks the rows to look at again: missing, or too wide.
        const MARK: i32 = i32::MIN;
        let narrow = crate::par::column(n, |k| {
            f(k).and_then(|v| i32::try_from(v).ok()).unwrap_or(MARK)
        });
        let mut valid = Bits::ones(n);
        let mut wide = false;
        for (k, &v) in narrow.iter().enumerate() {
            if v == MARK {
                match f(k) {
                    None => valid.set(k, false),
                    Some(x) if x != i64::from(MARK) => wide = true,
                    Some(_) => {}
                }
            }
        }
        let values = if wide {
            drop(narrow);
            IntValues::Wide(crate::par::column(n, |k| f(k).unwrap_or(0)))
        } else {
            IntValues::Narrow(narrow)
        };
        IntCol {
            values,
            valid,
            dict: Vec::new(),
        }
    }

    pub(crate) fn set(&mut self, row: usize, value: Option<i64>) {
        if let Some(v) = value {
            if self.values.set(row, v) {
                self.valid.set(row, true);
            }
        }
    }

    pub(crate) fn get(&self, row: usize) -> Option<i64> {
        if self.valid.get(row) {
            self.values.get(row)
        } else {
            None
        }
    }

    /// The text of a text column at `row`.
    pub(crate) fn text(&self, row: usize) -> Option<&str> {
        let id = usize::try_from(self.get(row)?).ok()?;
        self.dict.get(id).map(String::as_str)
    }

    /// The id of `text` in a text column's dictionary.
    pub(crate) fn id_of(&self, text: &str) -> Option<i64> {
        self.dict
            .iter()
            .position(|t| t == text)
            .and_then(|i| i64::try_from(i).ok())
    }
}

/// A column of real numbers; NaN is stored as missing.
#[derive(Debug, Clone, Default)]
pub(crate) struct FloatCol {
    pub(crate) values: Vec<f64>,
    pub(crate) valid: Bits,
}

impl FloatCol {
    pub(crate) fn with_len(n: usize) -> FloatCol {
        FloatCol {
            values: vec![0.0; n],
            valid: Bits::zeros(n),
        }
    }

    /// The column `f(0), …, f(n − 1)` (`None` or NaN: missing), computed
    /// on all threads with `parallel`.
    pub(crate) fn from_fn(n: usize, f: impl Fn(usize) -> Option<f64> + Sync + Send) -> FloatCol {
        // Missing values are NaN until the validity bits are set, then 0.
        let mut values: Vec<f64> = crate::par::column(n, |k| f(k).unwrap_or(f64::NAN));
        let mut valid = Bits::ones(n);
        for (k, v) in values.iter_mut().enumerate() {
            if v.is_nan() {
                valid.set(k, false);
                *v = 0.0;
            }
        }
        FloatCol { values, valid }
    }

    pub(crate) fn set(&mut self, row: usize, value: Option<f64>) {
        match (value.filter(|x| !x.is_nan()), self.values.get_mut(row)) {
            (Some(v), Some(slot)) => {
                *slot = v;
                self.valid.set(row, true);
            }
            (None, Some(slot)) => {
                *slot = 0.0;
                self.valid.set(row, false);
            }
            _ => {}
        }
    }

    pub(crate) fn get(&self, row: usize) -> Option<f64> {
        if self.valid.get(row) {
            self.values.get(row).copied()
        } else {
            None
        }
    }
}

/// Sets of tags, as dictionary ids per row (`offsets[row]..offsets[row+1]`).
#[derive(Debug, Clone, Default)]
pub(crate) struct TagsCol {
    pub(crate) offsets: Vec<usize>,
    pub(crate) ids: Vec<u32>,
    pub(crate) dict: Vec<String>,
    pub(crate) valid: Bits,
}

impl TagsCol {
    pub(crate) fn row(&self, row: usize) -> &[u32] {
        match (self.offsets.get(row), self.offsets.get(row + 1)) {
            (Some(&a), Some(&b)) => self.ids.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// A custom attribute column of one type.
#[derive(Debug, Clone)]
pub(crate) enum AttrCol {
    Int(IntCol),
    Float(FloatCol),
}

/// The built-in columns.
#[derive(Debug, Clone, Default)]
pub(crate) struct Columns {
    pub(crate) recency_days: IntCol,
    pub(crate) frequency: IntCol,
    pub(crate) monetary: IntCol,
    pub(crate) average_order_value: IntCol,
    /// Day numbers (days from 0001-01-01 CE, as chrono counts them).
    pub(crate) first_order: IntCol,
    pub(crate) last_order: IntCol,
    pub(crate) days_since_first_order: IntCol,
    /// The first order date packed as `year * 512 + month * 32 + day`.
    pub(crate) anniversary: IntCol,
    pub(crate) r: IntCol,
    pub(crate) f: IntCol,
    pub(crate) m: IntCol,
    /// `r * 1_000_000 + f * 1_000 + m`.
    pub(crate) cell: IntCol,
    /// Index into [`Profiles::segments`].
    pub(crate) segment: IntCol,
    pub(crate) first_channel: IntCol,
    pub(crate) first_store: IntCol,
    pub(crate) acquisition_channel: IntCol,
    pub(crate) signup_date: IntCol,
    /// `month * 32 + day`.
    pub(crate) birthday: IntCol,
    pub(crate) birthday_month: IntCol,
    pub(crate) email_opt_in: IntCol,
    pub(crate) sms_opt_in: IntCol,
    pub(crate) frequency_drop: FloatCol,
    pub(crate) purchase_interval_days: FloatCol,
    pub(crate) next_purchase_due: IntCol,
    pub(crate) p_alive: FloatCol,
    pub(crate) expected_purchases: FloatCol,
    pub(crate) predicted_clv: IntCol,
    pub(crate) tags: TagsCol,
}

pub(crate) fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

pub(crate) fn from_day_number(days: i64) -> Option<NaiveDate> {
    i32::try_from(days)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

pub(crate) fn pack_ymd(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 512 + i64::from(date.month()) * 32 + i64::from(date.day())
}

pub(crate) fn pack_cell(cell: RfmScore) -> i64 {
    pack_cell_parts(cell.r.get(), cell.f.get(), cell.m.get())
}

/// [`pack_cell`] of raw scores.
pub(crate) fn pack_cell_parts(r: u8, f: u8, m: u8) -> i64 {
    i64::from(r) * 1_000_000 + i64::from(f) * 1_000 + i64::from(m)
}

pub(crate) fn unpack_cell(packed: i64) -> Option<RfmScore> {
    let score = |v: i64| u8::try_from(v).ok().and_then(|v| Score::new(v).ok());
    Some(RfmScore::new(
        score(packed / 1_000_000)?,
        score(packed / 1_000 % 1_000)?,
        score(packed % 1_000)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(col: &IntCol, n: usize) -> Vec<Option<i64>> {
        (0..n).map(|k| col.get(k)).collect()
    }

    #[test]
    fn int_columns_are_narrow_until_a_value_needs_64_bits() {
        // i32::MIN itself is a value, not the "look again" mark.
        let min = i64::from(i32::MIN);
        let values = [Some(3), None, Some(min), Some(-7)];
        let col = IntCol::from_fn(4, |k| values.get(k).copied().flatten());
        assert!(matches!(col.values, IntValues::Narrow(_)));
        assert_eq!(all(&col, 4), values);

        let values = [Some(1), Some(i64::MAX), None, Some(min - 1)];
        let col = IntCol::from_fn(4, |k| values.get(k).copied().flatten());
        assert!(matches!(col.values, IntValues::Wide(_)));
        assert_eq!(all(&col, 4), values);
    }

    #[test]
    fn setting_a_wide_value_widens_and_keeps_the_others() {
        let mut col = IntCol::with_len(3);
        col.set(0, Some(5));
        col.set(2, Some(-9));
        assert!(matches!(col.values, IntValues::Narrow(_)));
        col.set(1, Some(1 << 40));
        assert!(matches!(col.values, IntValues::Wide(_)));
        assert_eq!(all(&col, 3), [Some(5), Some(1 << 40), Some(-9)]);
        // Out of range rows are ignored, as before.
        col.set(3, Some(1));
        assert_eq!(col.get(3), None);
    }
}
