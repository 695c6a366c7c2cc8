//! Rule → [`CompiledRule`]: names resolved to columns, segment names to
//! indices, texts to dictionary ids, relative dates to day numbers, and the
//! tree flattened into a postfix program.

use chrono::{Datelike, NaiveDate};

use crate::error::{Error, Result};

use super::column::{AttrCol, Bits, FloatCol, IntCol, TagsCol, day_number, pack_cell};
use super::format::{condition_text, write_rule_text};
use super::profile::Profiles;
use super::rule::{Condition, DateValue, Field, Period, Rule, Test, Value, ValueType};
use super::schema::closest;

/// A rule compiled against one set of [`Profiles`], ready to evaluate.
///
/// Made by [`Profiles::compile`]; it borrows the profiles. Evaluating it over
/// all profiles ([`selected`](Self::selected), [`tally`](Self::tally)) runs
/// each condition once over its column, 64 customers per machine word,
/// then combines the results with three-valued `and`/`or`/`not`.
/// [`matches`](Self::matches) and [`explain`](Self::explain) evaluate one
/// customer.
#[derive(Debug, Clone)]
pub struct CompiledRule<'p> {
    pub(crate) profiles: &'p Profiles,
    pub(crate) rule: Rule,
    pub(crate) nodes: Vec<Node<'p>>,
}

/// One step of the postfix program, with the canonical text of its rule.
#[derive(Debug, Clone)]
pub(crate) struct Node<'p> {
    pub(crate) op: Op<'p>,
    pub(crate) text: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Op<'p> {
    All(usize),
    Any(usize),
    Not,
    Leaf(Box<Leaf<'p>>),
}

#[derive(Debug, Clone)]
pub(crate) struct Leaf<'p> {
    pub(crate) condition: Condition,
    pub(crate) kernel: Kernel<'p>,
    /// How relative dates and windows resolved, for explanations.
    pub(crate) note: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum Kernel<'p> {
    Int {
        col: &'p IntCol,
        pred: IntPred,
        negate: bool,
    },
    Float {
        col: &'p FloatCol,
        pred: FloatPred,
        negate: bool,
    },
    Tags {
        col: &'p TagsCol,
        tag: Option<u32>,
    },
    /// `is null` (`is_null`) or `is not null`; `valid: None` when no
    /// customer has the value.
    Null {
        valid: Option<&'p Bits>,
        is_null: bool,
    },
    /// A value test on an attribute no customer has with that type.
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
pub(crate) enum IntPred {
    Cmp(Cmp, i64),
    Between(i64, i64),
    /// Sorted.
    In(Vec<i64>),
    /// True for values `v` with `table[v]`.
    Table(Vec<bool>),
    /// Anniversaries: for a date packed `year * 512 + month * 32 + day`,
    /// true when `table[month * 32 + day] > year`.
    Later(Vec<i64>),
}

impl IntPred {
    #[inline]
    pub(crate) fn eval(&self, v: i64) -> bool {
        match self {
            IntPred::Cmp(cmp, k) => cmp_i64(*cmp, v, *k),
            IntPred::Between(lo, hi) => *lo <= v && v <= *hi,
            IntPred::In(set) => set.binary_search(&v).is_ok(),
            IntPred::Table(table) => lookup(table, v),
            IntPred::Later(table) => later(table, v),
        }
    }
}

#[inline]
pub(crate) fn cmp_i64(cmp: Cmp, v: i64, k: i64) -> bool {
    match cmp {
        Cmp::Eq => v == k,
        Cmp::Lt => v < k,
        Cmp::Le => v <= k,
        Cmp::Gt => v > k,
        Cmp::Ge => v >= k,
    }
}

#[inline]
pub(crate) fn lookup(table: &[bool], v: i64) -> bool {
    usize::try_from(v)
        .ok()
        .and_then(|i| table.get(i))
        .copied()
        .unwrap_or(false)
}

#[inline]
pub(crate) fn later(table: &[i64], packed: i64) -> bool {
    let year = packed.div_euclid(512);
    let md = packed.rem_euclid(512);
    usize::try_from(md)
        .ok()
        .and_then(|i| table.get(i))
        .is_some_and(|&occurs| occurs > year)
}

#[derive(Debug, Clone)]
pub(crate) enum FloatPred {
    Cmp(Cmp, f64),
    Between(f64, f64),
    In(Vec<f64>),
}

impl FloatPred {
    #[inline]
    pub(crate) fn eval(&self, v: f64) -> bool {
        match self {
            FloatPred::Cmp(cmp, k) => match cmp {
                Cmp::Eq => v == *k,
                Cmp::Lt => v < *k,
                Cmp::Le => v <= *k,
                Cmp::Gt => v > *k,
                Cmp::Ge => v >= *k,
            },
            FloatPred::Between(lo, hi) => *lo <= v && v <= *hi,
            FloatPred::In(set) => set.contains(&v),
        }
    }
}

impl Profiles {
    /// Compiles `rule` against these profiles.
    ///
    /// Segment names are resolved against the segment table, relative dates
    /// against the as-of date, texts against the values present. Custom
    /// attributes are open-ended: an attribute no customer has (with the
    /// type the rule compares with) is missing for everyone, so a test on
    /// it is unknown and `is null` is true. (Parsing a query against
    /// [`Profiles::schema`] catches misspelled attributes instead.)
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidRule`] for a condition that does not suit its
    ///   field (see [`Condition::validate`]) or a relative date outside the
    ///   calendar;
    /// - [`Error::RuleTooDeep`] for a rule nested deeper than
    ///   [`MAX_RULE_DEPTH`](super::MAX_RULE_DEPTH);
    /// - [`Error::UnknownSegment`] for a segment not in the table, with the
    ///   closest name.
    ///
    /// The errors have no query position; parse queries against
    /// [`Profiles::schema`] to get positioned errors while typing.
    pub fn compile(&self, rule: &Rule) -> Result<CompiledRule<'_>> {
        rule.check_depth()?;
        rule.validate()?;
        let mut nodes = Vec::new();
        let mut stack: Vec<(&Rule, bool)> = vec![(rule, false)];
        while let Some((r, expanded)) = stack.pop() {
            let text = || {
                let mut text = String::new();
                let _ = write_rule_text(&mut text, r, self.scale());
                text
            };
            match r {
                Rule::All(children) | Rule::Any(children) => {
                    if expanded {
                        let op = if matches!(r, Rule::All(_)) {
                            Op::All(children.len())
                        } else {
                            Op::Any(children.len())
                        };
                        nodes.push(Node { op, text: text() });
                    } else {
                        stack.push((r, true));
                        stack.extend(children.iter().rev().map(|c| (c, false)));
                    }
                }
                Rule::Not(inner) => {
                    if expanded {
                        nodes.push(Node {
                            op: Op::Not,
                            text: text(),
                        });
                    } else {
                        stack.push((r, true));
                        stack.push((inner, false));
                    }
                }
                Rule::Condition(condition) => {
                    let leaf = self.compile_condition(condition)?;
                    nodes.push(Node {
                        op: Op::Leaf(Box::new(leaf)),
                        text: condition_text(condition, self.scale()),
                    });
                }
            }
        }
        Ok(CompiledRule {
            profiles: self,
            rule: rule.clone(),
            nodes,
        })
    }

    fn compile_condition(&self, condition: &Condition) -> Result<Leaf<'_>> {
        let field = &condition.field;
        let test = &condition.test;
        let invalid = |reason: String| Error::InvalidRule {
            position: None,
            field: field.to_string(),
            reason,
        };
        let mut note = None;
        let c = &self.cols;
        let null = |valid| null_kernel(test, valid);
        let kernel = match field {
            Field::Attribute(name) => {
                if let Some(k) = null(self.attr_present.get(name)) {
                    k
                } else {
                    let ty = condition.value_type().unwrap_or(ValueType::Text);
                    match self.attrs.get(&(name.clone(), ty)) {
                        None => Kernel::Missing,
                        Some(AttrCol::Float(col)) => self.float_kernel(col, test),
                        Some(AttrCol::Int(col)) => {
                            self.int_kernel(col, test, &mut note, &invalid)?
                        }
                    }
                }
            }
            Field::Tags => match null(Some(&c.tags.valid)) {
                Some(k) => k,
                None => {
                    let tag = test.values().next().and_then(|v| match v {
                        Value::Text(t) => c.tags.dict.iter().position(|d| d == t),
                        _ => None,
                    });
                    Kernel::Tags {
                        col: &c.tags,
                        tag: tag.and_then(|t| u32::try_from(t).ok()),
                    }
                }
            },
            Field::PAlive
            | Field::ExpectedPurchases
            | Field::FrequencyDrop
            | Field::PurchaseIntervalDays => {
                let col = match field {
                    Field::PAlive => &c.p_alive,
                    Field::FrequencyDrop => &c.frequency_drop,
                    Field::PurchaseIntervalDays => &c.purchase_interval_days,
                    _ => &c.expected_purchases,
                };
                null(Some(&col.valid)).unwrap_or_else(|| self.float_kernel(col, test))
            }
            Field::Birthday | Field::FirstOrderAnniversary => {
                let col = if *field == Field::Birthday {
                    &c.birthday
                } else {
                    &c.anniversary
                };
                match (null(Some(&col.valid)), test) {
                    (Some(k), _) => k,
                    (None, Test::Within(period)) => {
                        let (from, to) = self.window(*period, &invalid)?;
                        note = Some(format!("within {period} is {from}..={to}"));
                        let pred = if *field == Field::Birthday {
                            IntPred::Table(birthday_table(from, to))
                        } else {
                            IntPred::Later(anniversary_table(from, to))
                        };
                        Kernel::Int {
                            col,
                            pred,
                            negate: false,
                        }
                    }
                    (None, _) => return Err(invalid("expected within or is null".into())),
                }
            }
            builtin => {
                let col = self
                    .int_column(builtin)
                    .ok_or_else(|| invalid("this field cannot be tested here".into()))?;
                match null(Some(&col.valid)) {
                    Some(k) => k,
                    None => self.int_kernel(col, test, &mut note, &invalid)?,
                }
            }
        };
        Ok(Leaf {
            condition: condition.clone(),
            kernel,
            note,
        })
    }

    pub(crate) fn int_column(&self, field: &Field) -> Option<&IntCol> {
        let c = &self.cols;
        Some(match field {
            Field::RecencyDays => &c.recency_days,
            Field::Frequency => &c.frequency,
            Field::Monetary => &c.monetary,
            Field::AverageOrderValue => &c.average_order_value,
            Field::FirstOrder => &c.first_order,
            Field::LastOrder => &c.last_order,
            Field::DaysSinceFirstOrder => &c.days_since_first_order,
            Field::FirstOrderAnniversary => &c.anniversary,
            Field::R => &c.r,
            Field::F => &c.f,
            Field::M => &c.m,
            Field::RfmCell => &c.cell,
            Field::Segment => &c.segment,
            Field::FirstChannel => &c.first_channel,
            Field::FirstStore => &c.first_store,
            Field::AcquisitionChannel => &c.acquisition_channel,
            Field::SignupDate => &c.signup_date,
            Field::Birthday => &c.birthday,
            Field::BirthdayMonth => &c.birthday_month,
            Field::EmailOptIn => &c.email_opt_in,
            Field::SmsOptIn => &c.sms_opt_in,
            Field::PredictedClv => &c.predicted_clv,
            Field::NextPurchaseDue => &c.next_purchase_due,
            Field::Tags
            | Field::PAlive
            | Field::ExpectedPurchases
            | Field::FrequencyDrop
            | Field::PurchaseIntervalDays
            | Field::Attribute(_) => {
                return None;
            }
        })
    }

    /// `[as_of, as_of + period]`.
    fn window(
        &self,
        period: Period,
        invalid: &impl Fn(String) -> Error,
    ) -> Result<(NaiveDate, NaiveDate)> {
        let to = period.after(self.as_of()).ok_or_else(|| {
            invalid(format!(
                "within {period} of {} is outside the calendar",
                self.as_of()
            ))
        })?;
        Ok((self.as_of(), to))
    }

    /// A value as a column value: `Ok(None)` for a text no customer has.
    fn int_value(
        &self,
        col: &IntCol,
        value: &Value,
        note: &mut Option<String>,
        invalid: &impl Fn(String) -> Error,
    ) -> Result<Option<i64>> {
        Ok(match value {
            Value::Integer(n) => Some(*n),
            Value::Money(m) => Some(m.minor_units()),
            Value::Bool(b) => Some(i64::from(*b)),
            Value::Cell(cell) => Some(pack_cell(*cell)),
            Value::Text(t) => col.id_of(t),
            Value::Segment(s) => {
                let list = self.segment_list();
                match list.iter().position(|x| x == s) {
                    Some(i) => i64::try_from(i).ok(),
                    None => {
                        return Err(Error::UnknownSegment {
                            position: None,
                            name: s.as_str().to_owned(),
                            suggestion: closest(s.as_str(), list.iter().map(|x| x.as_str())),
                        });
                    }
                }
            }
            Value::Date(d) => {
                let date = d.resolve(self.as_of()).ok_or_else(|| {
                    invalid(format!("{d} from {} is outside the calendar", self.as_of()))
                })?;
                if !matches!(d, DateValue::Exact(_)) {
                    let line = format!("{d} is {date}");
                    *note = Some(match note.take() {
                        Some(earlier) => format!("{earlier}, {line}"),
                        None => line,
                    });
                }
                Some(day_number(date))
            }
            Value::Number(_) => return Err(invalid("expected a whole number".into())),
        })
    }

    fn int_kernel<'p>(
        &self,
        col: &'p IntCol,
        test: &Test,
        note: &mut Option<String>,
        invalid: &impl Fn(String) -> Error,
    ) -> Result<Kernel<'p>> {
        let mut value = |v: &Value| self.int_value(col, v, note, invalid);
        let (pred, negate) = match test {
            Test::Eq(v) | Test::Ne(v) => {
                let pred = match value(v)? {
                    Some(k) => IntPred::Cmp(Cmp::Eq, k),
                    None => IntPred::In(Vec::new()),
                };
                (pred, matches!(test, Test::Ne(_)))
            }
            Test::Lt(v) | Test::Le(v) | Test::Gt(v) | Test::Ge(v) => {
                let cmp = match test {
                    Test::Lt(_) => Cmp::Lt,
                    Test::Le(_) => Cmp::Le,
                    Test::Gt(_) => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                match value(v)? {
                    Some(k) => (IntPred::Cmp(cmp, k), false),
                    None => return Err(invalid("expected a value that can be ordered".into())),
                }
            }
            Test::Between(lo, hi) => match (value(lo)?, value(hi)?) {
                (Some(lo), Some(hi)) => (IntPred::Between(lo, hi), false),
                _ => return Err(invalid("expected values that can be ordered".into())),
            },
            Test::In(vs) | Test::NotIn(vs) => {
                let mut set = Vec::with_capacity(vs.len());
                for v in vs {
                    if let Some(k) = value(v)? {
                        set.push(k);
                    }
                }
                set.sort_unstable();
                set.dedup();
                (IntPred::In(set), matches!(test, Test::NotIn(_)))
            }
            Test::Contains(Value::Text(needle)) => {
                let table = col
                    .dict
                    .iter()
                    .map(|t| t.contains(needle.as_str()))
                    .collect();
                (IntPred::Table(table), false)
            }
            Test::Contains(_) | Test::Within(_) | Test::IsNull | Test::IsNotNull => {
                return Err(invalid(format!("'{}' does not apply here", test.op_name())));
            }
        };
        Ok(Kernel::Int { col, pred, negate })
    }

    fn float_kernel<'p>(&self, col: &'p FloatCol, test: &Test) -> Kernel<'p> {
        let num = |v: &Value| match v {
            Value::Number(x) => *x,
            #[allow(clippy::cast_precision_loss)]
            Value::Integer(n) => *n as f64,
            _ => f64::NAN,
        };
        let (pred, negate) = match test {
            Test::Eq(v) => (FloatPred::Cmp(Cmp::Eq, num(v)), false),
            Test::Ne(v) => (FloatPred::Cmp(Cmp::Eq, num(v)), true),
            Test::Lt(v) => (FloatPred::Cmp(Cmp::Lt, num(v)), false),
            Test::Le(v) => (FloatPred::Cmp(Cmp::Le, num(v)), false),
            Test::Gt(v) => (FloatPred::Cmp(Cmp::Gt, num(v)), false),
            Test::Ge(v) => (FloatPred::Cmp(Cmp::Ge, num(v)), false),
            Test::Between(lo, hi) => (FloatPred::Between(num(lo), num(hi)), false),
            Test::In(vs) => (FloatPred::In(vs.iter().map(num).collect()), false),
            Test::NotIn(vs) => (FloatPred::In(vs.iter().map(num).collect()), true),
            Test::Contains(_) | Test::Within(_) | Test::IsNull | Test::IsNotNull => {
                return Kernel::Missing;
            }
        };
        Kernel::Float { col, pred, negate }
    }
}

/// The kernel of `is null` / `is not null`, for other tests `None`.
fn null_kernel<'p>(test: &Test, valid: Option<&'p Bits>) -> Option<Kernel<'p>> {
    match test {
        Test::IsNull => Some(Kernel::Null {
            valid,
            is_null: true,
        }),
        Test::IsNotNull => Some(Kernel::Null {
            valid,
            is_null: false,
        }),
        _ => None,
    }
}

/// The dates from `from` to `to` inclusive, at most `max` of them.
fn days(from: NaiveDate, to: NaiveDate, max: usize) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to).take(max)
}

fn is_leap(year: i32) -> bool {
    NaiveDate::from_ymd_opt(year, 2, 29).is_some()
}

fn md_index(month: u32, day: u32) -> Option<usize> {
    usize::try_from(month * 32 + day).ok()
}

/// Which birthdays (`month * 32 + day`) occur in `[from, to]`. A birthday
/// on 29 February occurs on 28 February in other years.
fn birthday_table(from: NaiveDate, to: NaiveDate) -> Vec<bool> {
    let mut table = vec![false; 13 * 32];
    // Every birthday occurs within any 366 consecutive days.
    for date in days(from, to, 367) {
        let mut mark = |m, d| {
            if let Some(slot) = md_index(m, d).and_then(|i| table.get_mut(i)) {
                *slot = true;
            }
        };
        mark(date.month(), date.day());
        if date.month() == 2 && date.day() == 28 && !is_leap(date.year()) {
            mark(2, 29);
        }
    }
    table
}

/// For each `month * 32 + day`, the latest year in which that anniversary
/// occurs in `[from, to]` (29 February falls on 28 February in other
/// years), or `i64::MIN`. An anniversary of a first order dated in year `y`
/// falls in the window exactly when that year is `> y` (the first order
/// itself is not an anniversary; first orders are never after the as-of
/// date `from`). Three years of the window suffice: beyond them every date
/// has occurred in a year later than any first order.
fn anniversary_table(from: NaiveDate, to: NaiveDate) -> Vec<i64> {
    let mut table = vec![i64::MIN; 13 * 32];
    for date in days(from, to, 3 * 366 + 1) {
        let year = i64::from(date.year());
        let mut mark = |m, d| {
            if let Some(slot) = md_index(m, d).and_then(|i| table.get_mut(i)) {
                *slot = (*slot).max(year);
            }
        };
        mark(date.month(), date.day());
        if date.month() == 2 && date.day() == 28 && !is_leap(date.year()) {
            mark(2, 29);
        }
    }
    table
}

/// The next occurrence on or after `from` of a yearly date on `month-day`,
/// in a year after `after_year` if given; 29 February falls on 28 February
/// in other years.
pub(crate) fn next_occurrence(
    month: u32,
    day: u32,
    from: NaiveDate,
    after_year: Option<i32>,
) -> Option<NaiveDate> {
    let start = after_year.map_or(from.year(), |y| from.year().max(y.saturating_add(1)));
    (start..=start.saturating_add(1)).find_map(|year| {
        let date = NaiveDate::from_ymd_opt(year, month, day).or_else(|| {
            (month == 2 && day == 29)
                .then(|| NaiveDate::from_ymd_opt(year, 2, 28))
                .flatten()
        })?;
        (date >= from).then_some(date)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn birthday_windows_handle_leap_days() {
        let t = birthday_table(d(2025, 2, 27), d(2025, 3, 1));
        assert!(t[md_index(2, 28).unwrap()]);
        assert!(t[md_index(2, 29).unwrap()]); // 2025 is not a leap year
        assert!(t[md_index(3, 1).unwrap()]);
        assert!(!t[md_index(3, 2).unwrap()]);
        let t = birthday_table(d(2024, 2, 27), d(2024, 2, 28));
        assert!(!t[md_index(2, 29).unwrap()]); // in 2024 it falls on the 29th
        let t = birthday_table(d(2024, 1, 1), d(2030, 1, 1));
        assert!(
            t.iter()
                .enumerate()
                .filter(|(i, _)| i % 32 != 0 && *i >= 32)
                .count()
                > 0
        );
    }

    #[test]
    fn anniversaries_need_a_later_year() {
        let t = anniversary_table(d(2025, 12, 31), d(2026, 1, 7));
        let first = |y, m, day| i64::from(y) * 512 + i64::from(m) * 32 + i64::from(day);
        assert!(later(&t, first(2025, 1, 2))); // 2026-01-02
        assert!(!later(&t, first(2025, 12, 31))); // that is the first order itself
        assert!(later(&t, first(2024, 12, 31))); // 2025-12-31
        assert!(!later(&t, first(2025, 12, 30)));
    }

    #[test]
    fn next_occurrences() {
        assert_eq!(
            next_occurrence(2, 29, d(2025, 1, 1), None),
            Some(d(2025, 2, 28))
        );
        assert_eq!(
            next_occurrence(2, 29, d(2027, 3, 1), None),
            Some(d(2028, 2, 29))
        );
        assert_eq!(
            next_occurrence(1, 5, d(2025, 1, 5), Some(2025)),
            Some(d(2026, 1, 5))
        );
        assert_eq!(
            next_occurrence(1, 5, d(2025, 1, 5), Some(2024)),
            Some(d(2025, 1, 5))
        );
    }
}
