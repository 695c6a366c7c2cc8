//! The rule AST: [`Rule`], its [`Condition`]s, and the values they compare
//! against.
//!
//! A rule is plain data. It is written by one of three front ends (the
//! typed builder in [`field`](super::field), the JSON wire format, or the
//! text query language) and means the same whichever wrote it: see the
//! [module docs](super) for the semantics.

use std::fmt;
use std::ops::{BitAnd, BitOr, Not};

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::Money;
use crate::rfm::RfmScore;
use crate::segment::Segment;

/// An audience rule: conditions on profile fields combined with
/// `and`, `or` and `not`.
///
/// Build one with the typed builder ([`field`](super::field)), parse one
/// from a query with [`Rule::parse`], or deserialize one from JSON. Print it
/// back as canonical query text with [`Rule::display_query`].
///
/// `All` and `Any` hold any number of rules: `All` of none is true (every
/// customer) and `Any` of none is false. The text form writes them `a and b`
/// and `a or b` when they hold two or more rules, and `all(..)` / `any(..)`
/// otherwise, so every rule prints to a query that parses back to the same
/// rule.
///
/// # Example
///
/// ```
/// use rfmkit::audience::{field, Period, Rule, Schema};
/// use rfmkit::Money;
///
/// let built = field::segment().is_in(["at_risk", "cant_lose_them"])?
///     & field::monetary().ge(Money::new(30_000))
///     & field::last_order().lt(Period::days(90).ago())
///     & field::email_opt_in().is_true();
/// let text = "segment in (at_risk, cant_lose_them) and monetary >= 300.00 \
///             and last_order < -90d and email_opt_in";
/// assert_eq!(Rule::parse(text, &Schema::default())?, built);
/// assert_eq!(built.display_query(2).to_string(), text);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Depth
///
/// A rule's [depth](Rule::depth) is the largest number of `All`, `Any`
/// and `Not` nodes on a path from the root to a leaf. Every front end
/// accepts rules up to [`MAX_RULE_DEPTH`] deep and rejects deeper ones
/// with [`Error::RuleTooDeep`]: the text parser, JSON
/// ([`StoredRule`](super::StoredRule) and `Rule` itself), serialization,
/// [`Profiles::compile`](super::Profiles::compile) and
/// [`Campaign::build`](crate::campaign::Campaign). The limit is chosen so
/// that any accepted rule saves to JSON and loads back through
/// `serde_json`'s default recursion limit of 128 (two JSON levels per
/// rule level, plus the envelope), and prints to text that parses back.
///
/// The variants are public, so code can still build a deeper rule by
/// hand; the rule type's own traits stay safe on it: `Drop`, `Clone` and
/// `PartialEq` are iterative (a rule nested 100,000 deep drops, clones and
/// compares without deep recursion), `Debug` and
/// [`display_query`](Rule::display_query) stop after [`MAX_RULE_DEPTH`]
/// levels and print `...` in place of the rest, and `Serialize` returns an
/// error.
//
// `Serialize` and `Deserialize` are implemented in `wire.rs`, next to the
// wire format, so that this module does not import it.
#[non_exhaustive]
pub enum Rule {
    /// True when every rule is true (`and`); `All(vec![])` is true.
    All(Vec<Rule>),
    /// True when some rule is true (`or`); `Any(vec![])` is false.
    Any(Vec<Rule>),
    /// The negation (`not`); `not unknown` stays unknown.
    Not(Box<Rule>),
    /// A test of one field.
    Condition(Condition),
}

impl Rule {
    /// The rule every customer passes: `all()`.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::audience::Rule;
    /// assert_eq!(Rule::everyone().display_query(2).to_string(), "all()");
    /// ```
    #[must_use]
    pub fn everyone() -> Rule {
        Rule::All(Vec::new())
    }

    /// All of `rules` (`and`).
    #[must_use]
    pub fn all(rules: impl IntoIterator<Item = Rule>) -> Rule {
        Rule::All(crate::bounded::bounded(rules).collect())
    }

    /// Any of `rules` (`or`).
    #[must_use]
    pub fn any(rules: impl IntoIterator<Item = Rule>) -> Rule {
        Rule::Any(crate::bounded::bounded(rules).collect())
    }

    /// `self and other`. If `self` is already an `All` of two or more rules,
    /// `other` is appended to it, so `a.and(b).and(c)` is `a and b and c`,
    /// as the parser reads it. Also written `self & other`.
    #[must_use]
    pub fn and(self, other: Rule) -> Rule {
        let mut this = self;
        if let Rule::All(rules) = &mut this {
            if rules.len() >= 2 {
                rules.push(other);
                return this;
            }
        }
        Rule::All(vec![this, other])
    }

    /// `self or other`, appending like [`and`](Self::and). Also written
    /// `self | other`.
    #[must_use]
    pub fn or(self, other: Rule) -> Rule {
        let mut this = self;
        if let Rule::Any(rules) = &mut this {
            if rules.len() >= 2 {
                rules.push(other);
                return this;
            }
        }
        Rule::Any(vec![this, other])
    }

    /// The conditions of the rule, depth first, left to right.
    pub fn conditions(&self) -> impl Iterator<Item = &Condition> {
        let mut stack = vec![self];
        std::iter::from_fn(move || {
            while let Some(rule) = stack.pop() {
                match rule {
                    Rule::All(rules) | Rule::Any(rules) => stack.extend(rules.iter().rev()),
                    Rule::Not(inner) => stack.push(inner),
                    Rule::Condition(condition) => return Some(condition),
                }
            }
            None
        })
    }

    /// Checks every condition with [`Condition::validate`].
    ///
    /// Rules parsed from text are always valid; rules built by hand from
    /// the enum variants, or read from JSON, are checked here (and by
    /// [`Profiles::compile`](super::Profiles::compile)).
    ///
    /// # Errors
    ///
    /// The first invalid condition's [`Error::InvalidRule`].
    pub fn validate(&self) -> Result<()> {
        self.conditions().try_for_each(Condition::validate)
    }
}

/// The deepest rule every front end accepts; see [`Rule#depth`].
pub const MAX_RULE_DEPTH: usize = 48;

impl Rule {
    /// The largest number of `All`, `Any` and `Not` nodes on a path from
    /// the root to a leaf (a condition has depth 0, `all()` depth 1),
    /// computed without recursion.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::audience::{Rule, Schema};
    ///
    /// let rule = Rule::parse("r >= 4 and not (f >= 4 or m >= 4)", &Schema::default())?;
    /// assert_eq!(rule.depth(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(self, 0_usize)];
        while let Some((rule, above)) = stack.pop() {
            match rule {
                Rule::All(rules) | Rule::Any(rules) => {
                    deepest = deepest.max(above + 1);
                    stack.extend(rules.iter().map(|r| (r, above + 1)));
                }
                Rule::Not(inner) => {
                    deepest = deepest.max(above + 1);
                    stack.push((inner, above + 1));
                }
                Rule::Condition(_) => {}
            }
        }
        deepest
    }

    /// Whether the rule is deeper than `limit`, stopping at the first node
    /// beyond it (so the cost is bounded by the part within the limit).
    pub(crate) fn deeper_than(&self, limit: usize) -> bool {
        let mut stack = vec![(self, 0_usize)];
        while let Some((rule, above)) = stack.pop() {
            let children: &[Rule] = match rule {
                Rule::All(rules) | Rule::Any(rules) => rules,
                Rule::Not(inner) => std::slice::from_ref(&**inner),
                Rule::Condition(_) => continue,
            };
            if above + 1 > limit {
                return true;
            }
            stack.extend(children.iter().map(|r| (r, above + 1)));
        }
        false
    }

    /// [`Error::RuleTooDeep`] if the rule is deeper than
    /// [`MAX_RULE_DEPTH`].
    pub(crate) fn check_depth(&self) -> Result<()> {
        if self.deeper_than(MAX_RULE_DEPTH) {
            Err(Error::RuleTooDeep {
                max: MAX_RULE_DEPTH,
            })
        } else {
            Ok(())
        }
    }
}

/// Tears the tree down with an explicit stack: the derived drop would
/// recurse once per level and overflow the stack on a rule nested
/// 100,000 deep.
impl Drop for Rule {
    fn drop(&mut self) {
        let mut stack: Vec<Rule> = Vec::new();
        match self {
            Rule::All(rules) | Rule::Any(rules) => stack.append(rules),
            Rule::Not(inner) => stack.push(std::mem::replace(&mut **inner, Rule::All(Vec::new()))),
            Rule::Condition(_) => return,
        }
        while let Some(mut rule) = stack.pop() {
            match &mut rule {
                Rule::All(rules) | Rule::Any(rules) => stack.append(rules),
                Rule::Not(inner) => {
                    stack.push(std::mem::replace(&mut **inner, Rule::All(Vec::new())));
                }
                Rule::Condition(_) => {}
            }
            // `rule` now has no children and drops without recursion.
        }
    }
}

/// Iterative, like [`Drop`]: children are cloned from an explicit stack
/// and the copies assembled bottom-up.
impl Clone for Rule {
    fn clone(&self) -> Rule {
        enum Task<'a> {
            Visit(&'a Rule),
            Build(&'a Rule, usize),
        }
        let mut tasks = vec![Task::Visit(self)];
        let mut done: Vec<Rule> = Vec::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Visit(rule) => match rule {
                    Rule::All(rules) | Rule::Any(rules) => {
                        tasks.push(Task::Build(rule, rules.len()));
                        tasks.extend(rules.iter().rev().map(Task::Visit));
                    }
                    Rule::Not(inner) => {
                        tasks.push(Task::Build(rule, 1));
                        tasks.push(Task::Visit(inner));
                    }
                    Rule::Condition(c) => done.push(Rule::Condition(c.clone())),
                },
                Task::Build(rule, n) => {
                    let children = done.split_off(done.len().saturating_sub(n));
                    let built = match rule {
                        Rule::All(_) => Rule::All(children),
                        Rule::Any(_) => Rule::Any(children),
                        _ => {
                            let inner = children.into_iter().next().unwrap_or_else(Rule::everyone);
                            Rule::Not(Box::new(inner))
                        }
                    };
                    done.push(built);
                }
            }
        }
        done.pop().unwrap_or_else(Rule::everyone)
    }
}

/// Iterative structural equality.
impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        let mut stack = vec![(self, other)];
        while let Some((a, b)) = stack.pop() {
            match (a, b) {
                (Rule::All(x), Rule::All(y)) | (Rule::Any(x), Rule::Any(y)) => {
                    if x.len() != y.len() {
                        return false;
                    }
                    stack.extend(x.iter().zip(y));
                }
                (Rule::Not(x), Rule::Not(y)) => stack.push((x, y)),
                (Rule::Condition(x), Rule::Condition(y)) => {
                    if x != y {
                        return false;
                    }
                }
                _ => return false,
            }
        }
        true
    }
}

/// Like the derived `Debug`, but a subtree below [`MAX_RULE_DEPTH`]
/// levels prints as `...`, so a hand-built rule of any depth prints
/// without deep recursion.
impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_rule(self, f, 0)
    }
}

fn debug_rule(rule: &Rule, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
    /// A subtree at a given depth.
    struct Nested<'a>(&'a Rule, usize);
    impl fmt::Debug for Nested<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            debug_rule(self.0, f, self.1)
        }
    }
    /// The children of an `All` or `Any` at a given depth.
    struct Children<'a>(&'a [Rule], usize);
    impl fmt::Debug for Children<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_list()
                .entries(self.0.iter().map(|r| Nested(r, self.1)))
                .finish()
        }
    }
    let below = depth + 1;
    match rule {
        Rule::Condition(c) => f.debug_tuple("Condition").field(c).finish(),
        _ if below > MAX_RULE_DEPTH => f.write_str("..."),
        Rule::All(rules) => f.debug_tuple("All").field(&Children(rules, below)).finish(),
        Rule::Any(rules) => f.debug_tuple("Any").field(&Children(rules, below)).finish(),
        Rule::Not(inner) => f.debug_tuple("Not").field(&Nested(inner, below)).finish(),
    }
}

impl Not for Rule {
    type Output = Rule;
    /// `not self`.
    fn not(self) -> Rule {
        Rule::Not(Box::new(self))
    }
}

impl BitAnd for Rule {
    type Output = Rule;
    /// `self and rhs`; see [`Rule::and`].
    fn bitand(self, rhs: Rule) -> Rule {
        self.and(rhs)
    }
}

impl BitOr for Rule {
    type Output = Rule;
    /// `self or rhs`; see [`Rule::or`].
    fn bitor(self, rhs: Rule) -> Rule {
        self.or(rhs)
    }
}

impl From<Condition> for Rule {
    fn from(condition: Condition) -> Rule {
        Rule::Condition(condition)
    }
}

/// A test of one field, such as `monetary >= 300.00`.
///
/// # Example
///
/// ```
/// use rfmkit::audience::{Condition, Field, Rule, Test, Value};
///
/// let c = Condition::new(Field::Frequency, Test::Ge(Value::Integer(2)));
/// assert_eq!(Rule::from(c).display_query(2).to_string(), "frequency >= 2");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Condition {
    /// The field tested.
    pub field: Field,
    /// The test.
    pub test: Test,
}

impl Condition {
    /// A condition; check it with [`validate`](Self::validate).
    #[must_use]
    pub fn new(field: Field, test: Test) -> Condition {
        Condition { field, test }
    }

    /// The type of values the condition's field holds; for a custom
    /// attribute, the type of the test's values (`None` for `is null` and
    /// `is not null`, which take any type).
    #[must_use]
    pub fn value_type(&self) -> Option<ValueType> {
        match self.field.field_type() {
            FieldType::Attribute => self.test.values().next().map(Value::value_type),
            FieldType::Value(ty) => Some(ty),
        }
    }

    /// Checks that the test suits the field: the operator is one the
    /// field's type allows ([module docs](super#operators)), every value
    /// has the field's type, numbers are finite and dates have four-digit
    /// years.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRule`] (without a position) saying what is wrong.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::audience::{Condition, Field, Test, Value};
    /// use rfmkit::Error;
    ///
    /// let bad = Condition::new(Field::Segment, Test::Ge(Value::Integer(3)));
    /// assert!(matches!(bad.validate(), Err(Error::InvalidRule { position: None, .. })));
    /// ```
    pub fn validate(&self) -> Result<()> {
        self.problem().map_or(Ok(()), |reason| {
            Err(Error::InvalidRule {
                position: None,
                field: self.field.to_string(),
                reason,
            })
        })
    }

    /// What is wrong with the condition, if anything.
    pub(crate) fn problem(&self) -> Option<String> {
        let field = &self.field;
        let op = self.test.op_name();
        let ty = match field.field_type() {
            FieldType::Value(ty) => ty,
            FieldType::Attribute => match self.test.values().next() {
                // Custom attributes hold text, numbers, yes/no or dates, and
                // `within` (a window around today's day of the year) only
                // applies to the annual fields; the query parser rejects it
                // too, so every stored rule prints text that parses back.
                None if self.test.kind() == TestKind::Within => {
                    return Some(format!(
                        "'{op}' does not apply to custom attributes; it takes the annual \
                         fields birthday and first_order_anniversary"
                    ));
                }
                None => return None,
                Some(first) => {
                    let ty = first.value_type();
                    if !ty.is_attribute_type() {
                        return Some(format!(
                            "custom attributes hold text, numbers, true/false or dates, not {}",
                            ty.plural()
                        ));
                    }
                    ty
                }
            },
        };
        if !ty.allows(self.test.kind()) {
            return Some(format!(
                "'{op}' does not apply to {}; use {}",
                ty.plural(),
                ty.operators()
            ));
        }
        for value in self.test.values() {
            let found = value.value_type();
            let wanted = match ty {
                ValueType::Tags => ValueType::Text,
                other => other,
            };
            if found != wanted {
                return Some(format!(
                    "'{op}' needs {} here, found {}",
                    wanted.plural(),
                    found.article()
                ));
            }
            if let Some(problem) = value.problem() {
                return Some(problem);
            }
        }
        None
    }
}

/// What a [`Condition`] tests.
///
/// Which tests apply to which fields is in the
/// [module docs](super#operators); [`Condition::validate`] checks it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Test {
    /// `=`; a bare yes/no field means `= true`.
    Eq(Value),
    /// `!=`.
    Ne(Value),
    /// `<`.
    Lt(Value),
    /// `<=`.
    Le(Value),
    /// `>`.
    Gt(Value),
    /// `>=`.
    Ge(Value),
    /// `between low and high`, both ends included.
    Between(Value, Value),
    /// `in (a, b, ...)`. The empty list `in ()` is allowed and selects
    /// nobody (no value is in it).
    In(Vec<Value>),
    /// `not in (a, b, ...)`. `not in ()` selects every customer with a
    /// value, as `is not null` does.
    NotIn(Vec<Value>),
    /// `contains x`: a tag among the tags, or a substring of a text.
    Contains(Value),
    /// `within 7d`: the next yearly occurrence of a birthday or an
    /// anniversary falls in `[as_of, as_of + period]`. Only for those
    /// annual fields: on a custom attribute (even one holding dates) it is
    /// an error from every front end (text, JSON, builder).
    Within(Period),
    /// `is null`: the value is missing.
    IsNull,
    /// `is not null`: the value is present.
    IsNotNull,
}

/// The shape of a test, for checking which fields it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TestKind {
    Equality,
    Order,
    Membership,
    Contains,
    Within,
    Null,
}

impl Test {
    /// The values the test compares with, in order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        let (one, two, many): (Option<&Value>, Option<&Value>, &[Value]) = match self {
            Test::Eq(v)
            | Test::Ne(v)
            | Test::Lt(v)
            | Test::Le(v)
            | Test::Gt(v)
            | Test::Ge(v)
            | Test::Contains(v) => (Some(v), None, &[]),
            Test::Between(a, b) => (Some(a), Some(b), &[]),
            Test::In(vs) | Test::NotIn(vs) => (None, None, vs.as_slice()),
            Test::Within(_) | Test::IsNull | Test::IsNotNull => (None, None, &[]),
        };
        one.into_iter().chain(two).chain(many)
    }

    pub(crate) fn kind(&self) -> TestKind {
        match self {
            Test::Eq(_) | Test::Ne(_) => TestKind::Equality,
            Test::Lt(_) | Test::Le(_) | Test::Gt(_) | Test::Ge(_) | Test::Between(..) => {
                TestKind::Order
            }
            Test::In(_) | Test::NotIn(_) => TestKind::Membership,
            Test::Contains(_) => TestKind::Contains,
            Test::Within(_) => TestKind::Within,
            Test::IsNull | Test::IsNotNull => TestKind::Null,
        }
    }

    /// The operator as written in a query (`>=`, `not in`, `is null`).
    #[must_use]
    pub fn op_name(&self) -> &'static str {
        match self {
            Test::Eq(_) => "=",
            Test::Ne(_) => "!=",
            Test::Lt(_) => "<",
            Test::Le(_) => "<=",
            Test::Gt(_) => ">",
            Test::Ge(_) => ">=",
            Test::Between(..) => "between",
            Test::In(_) => "in",
            Test::NotIn(_) => "not in",
            Test::Contains(_) => "contains",
            Test::Within(_) => "within",
            Test::IsNull => "is null",
            Test::IsNotNull => "is not null",
        }
    }
}

/// A literal value in a condition.
///
/// Money is in integer minor units ([`Money`]); the text form writes it as a
/// decimal with the currency's scale (`300.00`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A whole number (days, counts, scores, months).
    Integer(i64),
    /// A real number (custom attributes, predictions); must be finite.
    Number(f64),
    /// An amount of money.
    Money(Money),
    /// A date, absolute or relative to the as-of date.
    Date(DateValue),
    /// A text (channels, stores, tags, text attributes).
    Text(String),
    /// Yes or no.
    Bool(bool),
    /// A segment name.
    Segment(Segment),
    /// An RFM cell such as `5-4-3`.
    Cell(RfmScore),
}

impl Value {
    /// The value's type.
    #[must_use]
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Integer(_) => ValueType::Integer,
            Value::Number(_) => ValueType::Number,
            Value::Money(_) => ValueType::Money,
            Value::Date(_) => ValueType::Date,
            Value::Text(_) => ValueType::Text,
            Value::Bool(_) => ValueType::Bool,
            Value::Segment(_) => ValueType::Segment,
            Value::Cell(_) => ValueType::Cell,
        }
    }

    fn problem(&self) -> Option<String> {
        match self {
            Value::Number(x) if !x.is_finite() => {
                Some(format!("number {x} is not finite; use a finite number"))
            }
            Value::Date(DateValue::Exact(date)) if !(0..=9999).contains(&date.year()) => Some(
                format!("date {date} is out of range; dates have four-digit years (0000..=9999)"),
            ),
            _ => None,
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Integer(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Number(v)
    }
}
impl From<Money> for Value {
    fn from(v: Money) -> Value {
        Value::Money(v)
    }
}
impl From<DateValue> for Value {
    fn from(v: DateValue) -> Value {
        Value::Date(v)
    }
}
impl From<NaiveDate> for Value {
    fn from(v: NaiveDate) -> Value {
        Value::Date(DateValue::Exact(v))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<Segment> for Value {
    fn from(v: Segment) -> Value {
        Value::Segment(v)
    }
}
impl From<RfmScore> for Value {
    fn from(v: RfmScore) -> Value {
        Value::Cell(v)
    }
}

/// A date in a condition: a calendar date, or a date relative to the as-of
/// date that the rule is compiled against.
///
/// Written `2025-12-31`, `-90d` (90 days before the as-of date) and `+7d`
/// (7 days after). See the [module docs](super#dates) for the calendar
/// arithmetic of months and years.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::audience::{DateValue, Period};
///
/// let as_of = NaiveDate::from_ymd_opt(2024, 3, 31).ok_or("bad date")?;
/// // Month arithmetic clamps to the end of the month.
/// assert_eq!(Period::months(1).ago().resolve(as_of), NaiveDate::from_ymd_opt(2024, 2, 29));
/// assert_eq!(DateValue::from(as_of).resolve(as_of), Some(as_of));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DateValue {
    /// A calendar date, written `2025-12-31`.
    Exact(NaiveDate),
    /// A period before the as-of date, written `-90d`.
    Ago(Period),
    /// A period after the as-of date, written `+7d`.
    Ahead(Period),
}

impl DateValue {
    /// The calendar date, given the as-of date; `None` if it falls outside
    /// chrono's range of dates.
    #[must_use]
    pub fn resolve(self, as_of: NaiveDate) -> Option<NaiveDate> {
        match self {
            DateValue::Exact(date) => Some(date),
            DateValue::Ago(period) => period.before(as_of),
            DateValue::Ahead(period) => period.after(as_of),
        }
    }
}

impl From<NaiveDate> for DateValue {
    fn from(date: NaiveDate) -> DateValue {
        DateValue::Exact(date)
    }
}

impl fmt::Display for DateValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateValue::Exact(date) => write!(f, "{date}"),
            DateValue::Ago(period) => write!(f, "-{period}"),
            DateValue::Ahead(period) => write!(f, "+{period}"),
        }
    }
}

/// A length of calendar time: a count of days, weeks, months or years,
/// written `90d`, `2w`, `3m`, `1y`.
///
/// Serialized as that text.
///
/// # Example
///
/// ```
/// use rfmkit::audience::{Period, PeriodUnit};
///
/// let p: Period = "3m".parse()?;
/// assert_eq!(p, Period::months(3));
/// assert_eq!((p.count(), p.unit()), (3, PeriodUnit::Months));
/// assert_eq!(Period::weeks(2).to_string(), "2w");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    count: u32,
    unit: PeriodUnit,
}

/// The unit of a [`Period`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PeriodUnit {
    /// Days, `d`.
    Days,
    /// Weeks of 7 days, `w`.
    Weeks,
    /// Calendar months, `m`, clamped to the end of a shorter month.
    Months,
    /// Calendar years of 12 months, `y`; 29 February becomes 28 February
    /// in other years.
    Years,
}

impl PeriodUnit {
    /// The unit's letter: `d`, `w`, `m` or `y`.
    #[must_use]
    pub fn letter(self) -> char {
        match self {
            PeriodUnit::Days => 'd',
            PeriodUnit::Weeks => 'w',
            PeriodUnit::Months => 'm',
            PeriodUnit::Years => 'y',
        }
    }

    pub(crate) fn from_letter(letter: char) -> Option<PeriodUnit> {
        match letter {
            'd' => Some(PeriodUnit::Days),
            'w' => Some(PeriodUnit::Weeks),
            'm' => Some(PeriodUnit::Months),
            'y' => Some(PeriodUnit::Years),
            _ => None,
        }
    }
}

impl Period {
    /// A period of `count` units.
    #[must_use]
    pub const fn new(count: u32, unit: PeriodUnit) -> Period {
        Period { count, unit }
    }

    /// `count` days.
    #[must_use]
    pub const fn days(count: u32) -> Period {
        Period::new(count, PeriodUnit::Days)
    }

    /// `count` weeks.
    #[must_use]
    pub const fn weeks(count: u32) -> Period {
        Period::new(count, PeriodUnit::Weeks)
    }

    /// `count` calendar months.
    #[must_use]
    pub const fn months(count: u32) -> Period {
        Period::new(count, PeriodUnit::Months)
    }

    /// `count` calendar years.
    #[must_use]
    pub const fn years(count: u32) -> Period {
        Period::new(count, PeriodUnit::Years)
    }

    /// The count of units.
    #[must_use]
    pub const fn count(self) -> u32 {
        self.count
    }

    /// The unit.
    #[must_use]
    pub const fn unit(self) -> PeriodUnit {
        self.unit
    }

    /// The date this period before the as-of date: `-90d`.
    #[must_use]
    pub const fn ago(self) -> DateValue {
        DateValue::Ago(self)
    }

    /// The date this period after the as-of date: `+7d`.
    #[must_use]
    pub const fn ahead(self) -> DateValue {
        DateValue::Ahead(self)
    }

    /// `date` minus the period, or `None` outside chrono's range.
    ///
    /// Months and years use chrono's calendar arithmetic, which clamps to
    /// the end of a shorter month: 2024-03-31 − 1m = 2024-02-29 and
    /// 2024-02-29 − 1y = 2023-02-28.
    #[must_use]
    pub fn before(self, date: NaiveDate) -> Option<NaiveDate> {
        match self.unit {
            PeriodUnit::Days => date.checked_sub_days(chrono::Days::new(u64::from(self.count))),
            PeriodUnit::Weeks => {
                date.checked_sub_days(chrono::Days::new(u64::from(self.count) * 7))
            }
            PeriodUnit::Months => date.checked_sub_months(Months::new(self.count)),
            PeriodUnit::Years => date.checked_sub_months(Months::new(self.count.checked_mul(12)?)),
        }
    }

    /// `date` plus the period, or `None` outside chrono's range; months and
    /// years clamp like [`before`](Self::before): 2024-01-31 + 1m =
    /// 2024-02-29.
    #[must_use]
    pub fn after(self, date: NaiveDate) -> Option<NaiveDate> {
        match self.unit {
            PeriodUnit::Days => date.checked_add_days(chrono::Days::new(u64::from(self.count))),
            PeriodUnit::Weeks => {
                date.checked_add_days(chrono::Days::new(u64::from(self.count) * 7))
            }
            PeriodUnit::Months => date.checked_add_months(Months::new(self.count)),
            PeriodUnit::Years => date.checked_add_months(Months::new(self.count.checked_mul(12)?)),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.count, self.unit.letter())
    }
}

impl std::str::FromStr for Period {
    type Err = Error;

    /// Parses `90d`, `2w`, `3m` or `1y`: ASCII digits, then the unit letter.
    fn from_str(text: &str) -> Result<Period> {
        let bad = || Error::InvalidRule {
            position: None,
            field: "period".into(),
            reason: format!(
                "{text:?} is not a period; write a count and a unit: 90d, 2w, 3m or 1y"
            ),
        };
        let mut chars = text.chars();
        let unit = chars
            .next_back()
            .and_then(PeriodUnit::from_letter)
            .ok_or_else(bad)?;
        let digits = chars.as_str();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let count = digits.parse::<u32>().map_err(|_| bad())?;
        Ok(Period::new(count, unit))
    }
}

impl TryFrom<String> for Period {
    type Error = Error;
    fn try_from(text: String) -> Result<Period> {
        text.parse()
    }
}

impl From<Period> for String {
    fn from(period: Period) -> String {
        period.to_string()
    }
}

/// A profile field a rule can test.
///
/// The [module docs](super#fields) list every field with its type and when
/// it is missing. Fields are named in queries and JSON by their snake_case
/// name ([`Field::name`]); custom attributes as `attr.NAME`.
///
/// Serialized as its name.
///
/// # Example
///
/// ```
/// use rfmkit::audience::Field;
///
/// assert_eq!(Field::from_name("last_order"), Some(Field::LastOrder));
/// assert_eq!(Field::from_name("attr.points"), Some(Field::Attribute("points".into())));
/// assert_eq!(Field::AverageOrderValue.to_string(), "average_order_value");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[non_exhaustive]
pub enum Field {
    /// `recency_days`: days since the last completed order.
    RecencyDays,
    /// `frequency`: completed orders (or purchase days, on the model's basis).
    Frequency,
    /// `monetary`: revenue net of returns.
    Monetary,
    /// `average_order_value`: monetary per completed order.
    AverageOrderValue,
    /// `first_order`: the date of the first completed order.
    FirstOrder,
    /// `last_order`: the date of the last completed order.
    LastOrder,
    /// `days_since_first_order`: as-of date minus the first order's date.
    DaysSinceFirstOrder,
    /// `first_order_anniversary`: the yearly anniversaries of the first order.
    FirstOrderAnniversary,
    /// `r`: the recency score.
    R,
    /// `f`: the frequency score.
    F,
    /// `m`: the monetary score.
    M,
    /// `rfm_cell`: the three scores, `5-4-3`.
    RfmCell,
    /// `segment`: the segment name.
    Segment,
    /// `first_channel`: the channel of the first completed order.
    FirstChannel,
    /// `first_store`: the store of the first completed order.
    FirstStore,
    /// `acquisition_channel`: from the customer record.
    AcquisitionChannel,
    /// `signup_date`: from the customer record.
    SignupDate,
    /// `tags`: the customer record's tags.
    Tags,
    /// `birthday`: the customer's birthday (month and day).
    Birthday,
    /// `birthday_month`: the month of the birthday, 1..=12.
    BirthdayMonth,
    /// `email_opt_in`: the customer agreed to e-mail.
    EmailOptIn,
    /// `sms_opt_in`: the customer agreed to SMS.
    SmsOptIn,
    /// `frequency_drop`: the customer's recent purchase rate ÷ their own
    /// earlier rate ([`FrequencyDrop`](crate::summary::FrequencyDrop)).
    FrequencyDrop,
    /// `purchase_interval_days`: the customer's median days between
    /// purchase days
    /// ([`CustomerSummary::purchase_interval_days`](crate::summary::CustomerSummary::purchase_interval_days)).
    PurchaseIntervalDays,
    /// `next_purchase_due`: the last order plus the customer's purchase
    /// interval (the population's median interval for customers with one
    /// purchase day): when a consumable runs out.
    NextPurchaseDue,
    /// `p_alive`: predicted probability that the customer is still active.
    PAlive,
    /// `expected_purchases`: predicted purchases over the prediction horizon.
    ExpectedPurchases,
    /// `predicted_clv`: predicted customer lifetime value.
    PredictedClv,
    /// `attr.NAME`: a custom attribute of the customer record.
    Attribute(String),
}

/// The type of a field: a [`ValueType`], or "custom attribute", whose
/// type each condition's values give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldType {
    /// Values of one type.
    Value(ValueType),
    /// A custom attribute: text, number, yes/no or date, per condition.
    Attribute,
}

/// The type of a value or of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ValueType {
    /// Whole numbers.
    Integer,
    /// Real numbers.
    Number,
    /// Money.
    Money,
    /// Dates.
    Date,
    /// Month and day, recurring every year (birthdays, anniversaries).
    Annual,
    /// Texts.
    Text,
    /// A set of tags.
    Tags,
    /// Yes or no.
    Bool,
    /// Segment names.
    Segment,
    /// RFM cells.
    Cell,
}

impl ValueType {
    pub(crate) fn allows(self, kind: TestKind) -> bool {
        use TestKind as K;
        match self {
            ValueType::Integer | ValueType::Number | ValueType::Money | ValueType::Date => {
                matches!(kind, K::Equality | K::Order | K::Membership | K::Null)
            }
            ValueType::Text => matches!(kind, K::Equality | K::Membership | K::Contains | K::Null),
            ValueType::Segment | ValueType::Cell => {
                matches!(kind, K::Equality | K::Membership | K::Null)
            }
            ValueType::Bool => matches!(kind, K::Equality | K::Null),
            ValueType::Tags => matches!(kind, K::Contains | K::Null),
            ValueType::Annual => matches!(kind, K::Within | K::Null),
        }
    }

    /// The operators the type allows, for messages.
    pub(crate) fn operators(self) -> &'static str {
        match self {
            ValueType::Integer | ValueType::Number | ValueType::Money | ValueType::Date => {
                "=, !=, <, <=, >, >=, between, in, not in, is null"
            }
            ValueType::Text => "=, !=, in, not in, contains, is null",
            ValueType::Segment | ValueType::Cell => "=, !=, in, not in, is null",
            ValueType::Bool => "the field alone, =, != or is null",
            ValueType::Tags => "contains or is null",
            ValueType::Annual => "within (such as within 7d) or is null",
        }
    }

    pub(crate) fn is_attribute_type(self) -> bool {
        matches!(
            self,
            ValueType::Text | ValueType::Number | ValueType::Bool | ValueType::Date
        )
    }

    /// `numbers`, `dates`, ... for messages.
    pub(crate) fn plural(self) -> &'static str {
        match self {
            ValueType::Integer => "whole numbers",
            ValueType::Number => "numbers",
            ValueType::Money => "amounts",
            ValueType::Date => "dates",
            ValueType::Annual => "birthdays and anniversaries",
            ValueType::Text => "texts",
            ValueType::Tags => "tags",
            ValueType::Bool => "true/false values",
            ValueType::Segment => "segment names",
            ValueType::Cell => "RFM cells",
        }
    }

    /// `a number`, `a date`, ... for messages.
    pub(crate) fn article(self) -> &'static str {
        match self {
            ValueType::Integer => "a whole number",
            ValueType::Number => "a number",
            ValueType::Money => "an amount",
            ValueType::Date => "a date",
            ValueType::Annual => "a birthday",
            ValueType::Text => "a text",
            ValueType::Tags => "a tag",
            ValueType::Bool => "true or false",
            ValueType::Segment => "a segment name",
            ValueType::Cell => "an RFM cell",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueType::Integer => "integer",
            ValueType::Number => "number",
            ValueType::Money => "money",
            ValueType::Date => "date",
            ValueType::Annual => "annual",
            ValueType::Text => "text",
            ValueType::Tags => "tags",
            ValueType::Bool => "bool",
            ValueType::Segment => "segment",
            ValueType::Cell => "cell",
        })
    }
}

/// Every built-in field with its name and type, in documentation order.
pub(crate) const BUILTIN_FIELDS: [(&str, Field, ValueType); 28] = [
    ("recency_days", Field::RecencyDays, ValueType::Integer),
    ("frequency", Field::Frequency, ValueType::Integer),
    ("monetary", Field::Monetary, ValueType::Money),
    (
        "average_order_value",
        Field::AverageOrderValue,
        ValueType::Money,
    ),
    ("first_order", Field::FirstOrder, ValueType::Date),
    ("last_order", Field::LastOrder, ValueType::Date),
    (
        "days_since_first_order",
        Field::DaysSinceFirstOrder,
        ValueType::Integer,
    ),
    (
        "first_order_anniversary",
        Field::FirstOrderAnniversary,
        ValueType::Annual,
    ),
    ("r", Field::R, ValueType::Integer),
    ("f", Field::F, ValueType::Integer),
    ("m", Field::M, ValueType::Integer),
    ("rfm_cell", Field::RfmCell, ValueType::Cell),
    ("segment", Field::Segment, ValueType::Segment),
    ("first_channel", Field::FirstChannel, ValueType::Text),
    ("first_store", Field::FirstStore, ValueType::Text),
    (
        "acquisition_channel",
        Field::AcquisitionChannel,
        ValueType::Text,
    ),
    ("signup_date", Field::SignupDate, ValueType::Date),
    ("tags", Field::Tags, ValueType::Tags),
    ("birthday", Field::Birthday, ValueType::Annual),
    ("birthday_month", Field::BirthdayMonth, ValueType::Integer),
    ("email_opt_in", Field::EmailOptIn, ValueType::Bool),
    ("sms_opt_in", Field::SmsOptIn, ValueType::Bool),
    ("frequency_drop", Field::FrequencyDrop, ValueType::Number),
    (
        "purchase_interval_days",
        Field::PurchaseIntervalDays,
        ValueType::Number,
    ),
    ("next_purchase_due", Field::NextPurchaseDue, ValueType::Date),
    ("p_alive", Field::PAlive, ValueType::Number),
    (
        "expected_purchases",
        Field::ExpectedPurchases,
        ValueType::Number,
    ),
    ("predicted_clv", Field::PredictedClv, ValueType::Money),
];

/// The prefix of custom attribute fields: `attr.points`.
pub(crate) const ATTRIBUTE_PREFIX: &str = "attr.";

impl Field {
    /// The field named `name`: a built-in name or `attr.NAME`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Field> {
        if let Some(attribute) = name.strip_prefix(ATTRIBUTE_PREFIX) {
            return Some(Field::Attribute(attribute.to_owned()));
        }
        BUILTIN_FIELDS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, field, _)| field.clone())
    }

    /// The built-in fields, in documentation order.
    pub fn builtin() -> impl Iterator<Item = Field> {
        BUILTIN_FIELDS.iter().map(|(_, field, _)| field.clone())
    }

    /// The field's name: `monetary`, `attr.points`.
    #[must_use]
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Field::Attribute(name) => format!("{ATTRIBUTE_PREFIX}{name}").into(),
            builtin => BUILTIN_FIELDS
                .iter()
                .find(|(_, field, _)| field == builtin)
                .map_or("?", |(name, _, _)| name)
                .into(),
        }
    }

    /// The field's type.
    #[must_use]
    pub fn field_type(&self) -> FieldType {
        match self {
            Field::Attribute(_) => FieldType::Attribute,
            builtin => BUILTIN_FIELDS
                .iter()
                .find(|(_, field, _)| field == builtin)
                .map_or(FieldType::Attribute, |(_, _, ty)| FieldType::Value(*ty)),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.name())
    }
}

// `TryFrom<String> for Field` (used by `Deserialize`) is in `schema.rs`,
// with the suggestions it makes for unknown names.

impl From<Field> for String {
    fn from(field: Field) -> String {
        field.name().into_owned()
    }
}

/// The three-valued result of a rule for one customer.
///
/// A condition on a missing value is `Unknown`; `and`, `or` and `not`
/// follow Kleene's logic (see the [module docs](super#missing-values)); a
/// customer is selected only when the rule is `True`.
///
/// # Example
///
/// ```
/// use rfmkit::audience::Truth;
///
/// assert_eq!(Truth::Unknown.and(Truth::False), Truth::False);
/// assert_eq!(Truth::Unknown.or(Truth::True), Truth::True);
/// assert_eq!(!Truth::Unknown, Truth::Unknown);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Truth {
    /// The rule holds.
    True,
    /// The rule does not hold.
    False,
    /// A value the rule needs is missing.
    Unknown,
}

impl Truth {
    /// Kleene `and`: false wins, then unknown.
    #[must_use]
    pub fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    /// Kleene `or`: true wins, then unknown.
    #[must_use]
    pub fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }

    /// `Some(true)`, `Some(false)` or `None` for unknown.
    #[must_use]
    pub fn to_option(self) -> Option<bool> {
        match self {
            Truth::True => Some(true),
            Truth::False => Some(false),
            Truth::Unknown => None,
        }
    }
}

impl Not for Truth {
    type Output = Truth;
    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
}

impl From<bool> for Truth {
    fn from(b: bool) -> Truth {
        if b { Truth::True } else { Truth::False }
    }
}

impl fmt::Display for Truth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Truth::True => "true",
            Truth::False => "false",
            Truth::Unknown => "unknown",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kleene_tables() {
        use Truth::*;
        let all = [True, False, Unknown];
        for a in all {
            for b in all {
                assert_eq!(a.and(b), b.and(a));
                assert_eq!(a.or(b), b.or(a));
                // De Morgan holds in Kleene logic.
                assert_eq!(!(a.and(b)), (!a).or(!b));
            }
        }
        assert_eq!(Unknown.and(True), Unknown);
        assert_eq!(Unknown.or(False), Unknown);
    }

    #[test]
    fn field_names_round_trip() {
        for field in Field::builtin() {
            assert_eq!(Field::from_name(&field.name()), Some(field.clone()));
        }
        assert_eq!(Field::from_name("monetory"), None);
    }

    #[test]
    fn period_arithmetic_clamps_month_ends() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            Period::months(1).before(d(2024, 3, 31)),
            Some(d(2024, 2, 29))
        );
        assert_eq!(
            Period::months(1).before(d(2025, 3, 31)),
            Some(d(2025, 2, 28))
        );
        assert_eq!(
            Period::years(1).before(d(2024, 2, 29)),
            Some(d(2023, 2, 28))
        );
        assert_eq!(Period::years(4).after(d(2024, 2, 29)), Some(d(2028, 2, 29)));
        assert_eq!(
            Period::weeks(2).before(d(2025, 1, 10)),
            Some(d(2024, 12, 27))
        );
        assert_eq!(Period::years(u32::MAX).before(d(2025, 1, 1)), None);
        assert_eq!(Period::days(u32::MAX).after(d(2025, 1, 1)), None);
    }

    #[test]
    fn period_text() {
        assert_eq!("90d".parse::<Period>().unwrap(), Period::days(90));
        for bad in ["", "d", "9", "-9d", "9x", "９d", "99999999999d"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }
}
