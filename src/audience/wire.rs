//! The JSON wire format of rules, and [`StoredRule`], its versioned
//! envelope. The schema is documented in the [module docs](super#json).

use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::money::Money;
use crate::rfm::{RfmScore, Score};
use crate::segment::Segment;

use super::rule::{Condition, DateValue, Field, FieldType, Period, Rule, Test, Value, ValueType};

/// A node as read from JSON: exactly one of `and`, `or`, `not`, or
/// `field` + `op` (+ `value`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireRule {
    #[serde(default)]
    and: Option<Vec<WireRule>>,
    #[serde(default)]
    or: Option<Vec<WireRule>>,
    #[serde(default)]
    not: Option<Box<WireRule>>,
    #[serde(default)]
    field: Option<Field>,
    #[serde(default)]
    op: Option<WireOp>,
    #[serde(default)]
    value: Option<WireValue>,
}

/// A node as written to JSON.
#[derive(Debug, Serialize)]
pub(crate) struct WireRuleOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    and: Option<Vec<WireRuleOut>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    or: Option<Vec<WireRuleOut>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not: Option<Box<WireRuleOut>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    op: Option<WireOp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<WireValue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum WireOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Between,
    In,
    NotIn,
    Contains,
    Within,
    IsNull,
    IsNotNull,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum WireValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Date(WireDate),
    List(Vec<WireValue>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum WireDate {
    Date(NaiveDate),
    Ago(Period),
    Ahead(Period),
}

impl From<&Rule> for WireRuleOut {
    /// Recursive: callers check the depth first ([`Rule`]'s `Serialize`).
    fn from(rule: &Rule) -> WireRuleOut {
        let mut out = WireRuleOut {
            and: None,
            or: None,
            not: None,
            field: None,
            op: None,
            value: None,
        };
        match rule {
            Rule::All(rules) => out.and = Some(rules.iter().map(Into::into).collect()),
            Rule::Any(rules) => out.or = Some(rules.iter().map(Into::into).collect()),
            Rule::Not(inner) => out.not = Some(Box::new((&**inner).into())),
            Rule::Condition(condition) => {
                let Condition { field, test } = condition.clone();
                let (op, value) = match test {
                    Test::Eq(v) => (WireOp::Eq, Some(encode(v))),
                    Test::Ne(v) => (WireOp::Ne, Some(encode(v))),
                    Test::Lt(v) => (WireOp::Lt, Some(encode(v))),
                    Test::Le(v) => (WireOp::Le, Some(encode(v))),
                    Test::Gt(v) => (WireOp::Gt, Some(encode(v))),
                    Test::Ge(v) => (WireOp::Ge, Some(encode(v))),
                    Test::Between(a, b) => (
                        WireOp::Between,
                        Some(WireValue::List(vec![encode(a), encode(b)])),
                    ),
                    Test::In(vs) => (WireOp::In, Some(list(vs))),
                    Test::NotIn(vs) => (WireOp::NotIn, Some(list(vs))),
                    Test::Contains(v) => (WireOp::Contains, Some(encode(v))),
                    Test::Within(p) => (WireOp::Within, Some(WireValue::Text(p.to_string()))),
                    Test::IsNull => (WireOp::IsNull, None),
                    Test::IsNotNull => (WireOp::IsNotNull, None),
                };
                out.field = Some(field);
                out.op = Some(op);
                out.value = value;
            }
        }
        out
    }
}

fn list(values: Vec<Value>) -> WireValue {
    WireValue::List(values.into_iter().map(encode).collect())
}

fn encode(value: Value) -> WireValue {
    match value {
        Value::Integer(n) => WireValue::Int(n),
        Value::Number(x) => WireValue::Float(x),
        Value::Money(m) => WireValue::Int(m.minor_units()),
        Value::Date(DateValue::Exact(d)) => WireValue::Date(WireDate::Date(d)),
        Value::Date(DateValue::Ago(p)) => WireValue::Date(WireDate::Ago(p)),
        Value::Date(DateValue::Ahead(p)) => WireValue::Date(WireDate::Ahead(p)),
        Value::Text(t) => WireValue::Text(t),
        Value::Bool(b) => WireValue::Bool(b),
        Value::Segment(s) => WireValue::Text(s.as_str().to_owned()),
        Value::Cell(c) => WireValue::Text(c.to_string()),
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::InvalidRule {
        position: None,
        field: field.to_owned(),
        reason: reason.into(),
    }
}

impl TryFrom<WireRule> for Rule {
    type Error = Error;

    /// Converts and checks the depth once, at the top (see
    /// [`MAX_RULE_DEPTH`](super::MAX_RULE_DEPTH)).
    fn try_from(wire: WireRule) -> Result<Rule> {
        let rule = convert(wire)?;
        rule.check_depth()?;
        Ok(rule)
    }
}

/// A wire node → a rule. Recursive, but bounded by the deserializer's own
/// recursion limit (`serde_json`: 128 levels, 64 rule levels).
fn convert(wire: WireRule) -> Result<Rule> {
    {
        let WireRule {
            and,
            or,
            not,
            field,
            op,
            value,
        } = wire;
        let forms = usize::from(and.is_some())
            + usize::from(or.is_some())
            + usize::from(not.is_some())
            + usize::from(field.is_some());
        let shape = || {
            invalid(
                "rule",
                "a rule is an object with exactly one of \"and\", \"or\", \"not\" or \"field\" (with \"op\")",
            )
        };
        if forms != 1 || (field.is_none() && (op.is_some() || value.is_some())) {
            return Err(shape());
        }
        if let Some(rules) = and {
            return Ok(Rule::All(
                rules.into_iter().map(convert).collect::<Result<_>>()?,
            ));
        }
        if let Some(rules) = or {
            return Ok(Rule::Any(
                rules.into_iter().map(convert).collect::<Result<_>>()?,
            ));
        }
        if let Some(inner) = not {
            return Ok(Rule::Not(Box::new(convert(*inner)?)));
        }
        let field = field.ok_or_else(shape)?;
        let name = field.name().into_owned();
        let op = op.ok_or_else(|| invalid(&name, "a condition needs \"op\""))?;
        let ty = match field.field_type() {
            FieldType::Value(ty) => Some(ty),
            FieldType::Attribute => None,
        };
        let one = |value: Option<WireValue>| -> Result<Value> {
            match value {
                Some(WireValue::List(_)) | None => Err(invalid(
                    &name,
                    format!("op {} needs one value", op_name(op)),
                )),
                Some(v) => decode(&name, ty, v),
            }
        };
        let many = |value: Option<WireValue>| -> Result<Vec<Value>> {
            match value {
                Some(WireValue::List(vs)) => vs.into_iter().map(|v| decode(&name, ty, v)).collect(),
                _ => Err(invalid(
                    &name,
                    format!("op {} needs a list of values", op_name(op)),
                )),
            }
        };
        let test = match op {
            WireOp::Eq => Test::Eq(one(value)?),
            WireOp::Ne => Test::Ne(one(value)?),
            WireOp::Lt => Test::Lt(one(value)?),
            WireOp::Le => Test::Le(one(value)?),
            WireOp::Gt => Test::Gt(one(value)?),
            WireOp::Ge => Test::Ge(one(value)?),
            WireOp::Contains => Test::Contains(one(value)?),
            WireOp::In => Test::In(many(value)?),
            WireOp::NotIn => Test::NotIn(many(value)?),
            WireOp::Between => {
                let mut bounds = many(value)?.into_iter();
                match (bounds.next(), bounds.next(), bounds.next()) {
                    (Some(low), Some(high), None) => Test::Between(low, high),
                    _ => return Err(invalid(&name, "op between needs a list of two values")),
                }
            }
            WireOp::Within => match value {
                Some(WireValue::Text(text)) => Test::Within(text.parse()?),
                _ => {
                    return Err(invalid(&name, "op within needs a period such as \"7d\""));
                }
            },
            WireOp::IsNull | WireOp::IsNotNull => {
                if value.is_some() {
                    return Err(invalid(&name, format!("op {} takes no value", op_name(op))));
                }
                if op == WireOp::IsNull {
                    Test::IsNull
                } else {
                    Test::IsNotNull
                }
            }
        };
        let condition = Condition::new(field, test);
        condition.validate()?;
        Ok(Rule::Condition(condition))
    }
}

fn op_name(op: WireOp) -> &'static str {
    match op {
        WireOp::Eq => "eq",
        WireOp::Ne => "ne",
        WireOp::Lt => "lt",
        WireOp::Le => "le",
        WireOp::Gt => "gt",
        WireOp::Ge => "ge",
        WireOp::Between => "between",
        WireOp::In => "in",
        WireOp::NotIn => "not_in",
        WireOp::Contains => "contains",
        WireOp::Within => "within",
        WireOp::IsNull => "is_null",
        WireOp::IsNotNull => "is_not_null",
    }
}

/// A JSON value read as a value of type `ty` (`None`: a custom attribute,
/// typed by the JSON value).
fn decode(name: &str, ty: Option<ValueType>, wire: WireValue) -> Result<Value> {
    let mismatch = |wanted: &str| {
        invalid(
            name,
            format!("expected {wanted} in JSON, found {}", describe(&wire)),
        )
    };
    let date = |d: WireDate| match d {
        WireDate::Date(d) => DateValue::Exact(d),
        WireDate::Ago(p) => DateValue::Ago(p),
        WireDate::Ahead(p) => DateValue::Ahead(p),
    };
    match (ty, &wire) {
        (Some(ValueType::Integer), WireValue::Int(n)) => Ok(Value::Integer(*n)),
        (Some(ValueType::Integer), _) => Err(mismatch("a whole number")),
        (Some(ValueType::Number) | None, WireValue::Int(n)) =>
        {
            #[allow(clippy::cast_precision_loss)]
            Ok(Value::Number(*n as f64))
        }
        (Some(ValueType::Number) | None, WireValue::Float(x)) => Ok(Value::Number(*x)),
        (Some(ValueType::Number), _) => Err(mismatch("a number")),
        (Some(ValueType::Money), WireValue::Int(n)) => Ok(Value::Money(Money::new(*n))),
        (Some(ValueType::Money), _) => Err(mismatch("an amount in integer minor units")),
        (Some(ValueType::Date) | None, WireValue::Date(d)) => Ok(Value::Date(date(*d))),
        (Some(ValueType::Date), _) => Err(mismatch(
            "a date object such as {\"date\":\"2025-12-31\"} or {\"ago\":\"90d\"}",
        )),
        (Some(ValueType::Text | ValueType::Tags) | None, WireValue::Text(t)) => {
            Ok(Value::Text(t.clone()))
        }
        (Some(ValueType::Text | ValueType::Tags), _) => Err(mismatch("a string")),
        (Some(ValueType::Bool) | None, WireValue::Bool(b)) => Ok(Value::Bool(*b)),
        (Some(ValueType::Bool), _) => Err(mismatch("true or false")),
        (Some(ValueType::Segment), WireValue::Text(t)) => Ok(Value::Segment(Segment::new(t)?)),
        (Some(ValueType::Segment), _) => Err(mismatch("a segment name")),
        (Some(ValueType::Cell), WireValue::Text(t)) => parse_cell(t)
            .map(Value::Cell)
            .ok_or_else(|| invalid(name, format!("{t:?} is not an RFM cell such as \"5-4-3\""))),
        (Some(ValueType::Cell), _) => Err(mismatch("an RFM cell such as \"5-4-3\"")),
        (Some(ValueType::Annual), _) => Err(mismatch("no value but a period with op within")),
        (None, WireValue::List(_)) => Err(mismatch("a single value")),
    }
}

fn describe(wire: &WireValue) -> &'static str {
    match wire {
        WireValue::Bool(_) => "a boolean",
        WireValue::Int(_) => "an integer",
        WireValue::Float(_) => "a real number",
        WireValue::Text(_) => "a string",
        WireValue::Date(_) => "a date object",
        WireValue::List(_) => "a list",
    }
}

/// `5-4-3` as a cell.
pub(crate) fn parse_cell(text: &str) -> Option<RfmScore> {
    let mut parts = text.split('-').map(|p| {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse::<u8>().ok().and_then(|v| Score::new(v).ok())
    });
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Some(r)), Some(Some(f)), Some(Some(m)), None) => Some(RfmScore::new(r, f, m)),
        _ => None,
    }
}

/// A [`Rule`] in its stored form: `{"version":1,"rule":{...}}`.
///
/// This is the format to keep in a database: the version says how to read
/// the rule, and a later rfmkit that changes the rule format will still read
/// version 1 (or say clearly that it cannot). A document whose version this
/// rfmkit does not read is an [`Error::UnsupportedVersion`] (inside serde's
/// error), reported before the rule itself is looked at when `version`
/// comes first, as it does in what [`StoredRule`] writes.
///
/// # Example
///
/// ```
/// use rfmkit::audience::{field, StoredRule};
/// use rfmkit::Money;
///
/// let rule = field::segment().eq("at_risk")? & field::monetary().ge(Money::new(30_000));
/// let json = serde_json::to_string(&StoredRule::new(rule.clone()))?;
/// assert_eq!(
///     json,
///     r#"{"version":1,"rule":{"and":[{"field":"segment","op":"eq","value":"at_risk"},{"field":"monetary","op":"ge","value":30000}]}}"#
/// );
/// let back: StoredRule = serde_json::from_str(&json)?;
/// assert_eq!(back.rule(), &rule);
///
/// let future = r#"{"version":2,"rule":{"everything":"new"}}"#;
/// let err = serde_json::from_str::<StoredRule>(future).unwrap_err();
/// assert!(err.to_string().starts_with("rule format version 2 is not supported"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRule {
    rule: Rule,
}

impl StoredRule {
    /// The format version this rfmkit writes and reads: 1.
    pub const VERSION: u64 = 1;

    /// Wraps a rule for storage.
    #[must_use]
    pub fn new(rule: Rule) -> StoredRule {
        StoredRule { rule }
    }

    /// The rule.
    #[must_use]
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// The rule, unwrapped.
    #[must_use]
    pub fn into_rule(self) -> Rule {
        self.rule
    }
}

impl From<Rule> for StoredRule {
    fn from(rule: Rule) -> StoredRule {
        StoredRule::new(rule)
    }
}

impl Serialize for StoredRule {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("StoredRule", 2)?;
        s.serialize_field("version", &StoredRule::VERSION)?;
        s.serialize_field("rule", &self.rule)?;
        s.end()
    }
}

impl StoredRule {
    /// Checks a format version: `Ok` only for [`StoredRule::VERSION`].
    pub(crate) fn check_version(version: u64) -> Result<()> {
        if version == StoredRule::VERSION {
            Ok(())
        } else {
            Err(Error::UnsupportedVersion {
                version,
                supported: StoredRule::VERSION,
            })
        }
    }
}

impl<'de> Deserialize<'de> for StoredRule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct StoredVisitor;

        impl<'de> Visitor<'de> for StoredVisitor {
            type Value = StoredRule;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object {\"version\": 1, \"rule\": {...}}")
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<StoredRule, A::Error> {
                let mut version: Option<u64> = None;
                let mut rule: Option<Rule> = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "version" if version.is_none() => {
                            let v: u64 = map.next_value()?;
                            StoredRule::check_version(v).map_err(de::Error::custom)?;
                            version = Some(v);
                        }
                        "rule" if rule.is_none() => rule = Some(map.next_value()?),
                        "version" | "rule" => {
                            return Err(de::Error::custom(format!("duplicate key {key:?}")));
                        }
                        other => {
                            return Err(de::Error::unknown_field(other, &["version", "rule"]));
                        }
                    }
                }
                let version = version.ok_or_else(|| de::Error::missing_field("version"))?;
                StoredRule::check_version(version).map_err(de::Error::custom)?;
                let rule = rule.ok_or_else(|| de::Error::missing_field("rule"))?;
                Ok(StoredRule { rule })
            }
        }

        deserializer.deserialize_struct("StoredRule", &["version", "rule"], StoredVisitor)
    }
}

/// Rules serialize through `WireRuleOut` (as `#[serde(into)]` would);
/// implemented here so that the rule AST does not depend on this module. A
/// rule deeper than [`MAX_RULE_DEPTH`](super::MAX_RULE_DEPTH) is an error
/// (it could not be loaded back).
impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        if self.deeper_than(super::MAX_RULE_DEPTH) {
            return Err(serde::ser::Error::custom(
                crate::error::Error::RuleTooDeep {
                    max: super::MAX_RULE_DEPTH,
                },
            ));
        }
        WireRuleOut::from(self).serialize(serializer)
    }
}

/// Rules deserialize through `WireRule` and its validation (as
/// `#[serde(try_from)]` would).
impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Rule, D::Error> {
        Rule::try_from(WireRule::deserialize(deserializer)?).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells() {
        assert_eq!(
            parse_cell("5-4-3").map(|c| c.to_string()).as_deref(),
            Some("5-4-3")
        );
        for bad in [
            "", "5-4", "5-4-3-2", "0-1-1", "5--3", "a-b-c", "101-1-1", "0005-1-1",
        ] {
            assert_eq!(parse_cell(bad), None, "{bad}");
        }
    }
}
