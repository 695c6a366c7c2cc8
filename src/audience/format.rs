//! Rules → canonical query text.
//!
//! The printed form is canonical: one space around operators and after
//! commas, `and`/`or` chains without redundant parentheses, a yes/no field
//! `= true` printed bare, texts bare when they are plain identifiers that
//! are not keywords and quoted otherwise, amounts with exactly the scale's
//! decimals. Parsing the printed text gives back the same rule.

use std::fmt;

use super::rule::{Condition, Field, MAX_RULE_DEPTH, Rule, Test, Value};

/// The query language's reserved words; a text value spelled like one is
/// quoted when printed.
pub(crate) const KEYWORDS: [&str; 13] = [
    "and", "or", "not", "in", "between", "contains", "is", "null", "within", "true", "false",
    "all", "any",
];

/// Whether `c` may start an identifier.
pub(crate) fn ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// Whether `c` may continue an identifier.
pub(crate) fn ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `text` is written bare: an identifier that is not a keyword.
pub(crate) fn is_bare(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(ident_start) && chars.all(ident_continue) && !is_keyword(text)
}

/// Whether `word` is a keyword, in any ASCII case (`AND` is `and`).
pub(crate) fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// Writes `text` bare if it can be, else double-quoted with `\` and `"`
/// escaped.
pub(crate) fn write_text(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    if is_bare(text) {
        return out.write_str(text);
    }
    out.write_char('"')?;
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.write_char('\\')?;
        }
        out.write_char(c)?;
    }
    out.write_char('"')
}

/// Displays a [`Rule`] as query text; made by [`Rule::display_query`].
#[derive(Debug, Clone, Copy)]
pub struct DisplayQuery<'a> {
    rule: &'a Rule,
    scale: u32,
}

impl Rule {
    /// Displays the rule as canonical query text, writing amounts with
    /// `scale` decimals (the currency's; 2 for cents, 0 for yen).
    ///
    /// `Rule::parse(&rule.display_query(s).to_string(), schema)` gives back
    /// `rule` for any valid rule up to
    /// [`MAX_RULE_DEPTH`](super::MAX_RULE_DEPTH) deep and a schema of
    /// scale `s` that knows its segments and attributes. Parts of a deeper
    /// (hand-built) rule below that depth print as `...`.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::audience::{Rule, Schema};
    ///
    /// let rule = Rule::parse("(r>=4 AND f>=4) OR NOT tags contains 'vip'", &Schema::default())?;
    /// assert_eq!(rule.display_query(2).to_string(), "r >= 4 and f >= 4 or not tags contains vip");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn display_query(&self, scale: u32) -> DisplayQuery<'_> {
        DisplayQuery { rule: self, scale }
    }
}

impl fmt::Display for DisplayQuery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_rule(f, self.rule, self.scale, false, 0)
    }
}

/// Whether the rule prints as an infix chain (`a and b`, `a or b`).
fn is_chain(rule: &Rule) -> bool {
    matches!(rule, Rule::All(rules) | Rule::Any(rules) if rules.len() >= 2)
}

/// Writes `rule`, at `depth` nodes below the root. Below
/// [`MAX_RULE_DEPTH`] nodes the rest is written `...`: no front end
/// accepts such a rule, so it has no canonical text, and the recursion
/// stays bounded.
fn write_rule(
    out: &mut impl fmt::Write,
    rule: &Rule,
    scale: u32,
    parens: bool,
    depth: usize,
) -> fmt::Result {
    if !matches!(rule, Rule::Condition(_)) && depth >= MAX_RULE_DEPTH {
        return out.write_str("...");
    }
    let below = depth + 1;
    let wrap = parens && is_chain(rule);
    if wrap {
        out.write_char('(')?;
    }
    match rule {
        Rule::All(rules) | Rule::Any(rules) if rules.len() >= 2 => {
            let and = matches!(rule, Rule::All(_));
            for (i, child) in rules.iter().enumerate() {
                if i > 0 {
                    out.write_str(if and { " and " } else { " or " })?;
                }
                // In an `and` chain every nested chain needs parentheses; in
                // an `or` chain, an `and` chain binds tighter and needs none.
                let child_parens = and || matches!(child, Rule::Any(_));
                write_rule(out, child, scale, child_parens, below)?;
            }
        }
        Rule::All(rules) | Rule::Any(rules) => {
            out.write_str(if matches!(rule, Rule::All(_)) {
                "all("
            } else {
                "any("
            })?;
            for (i, child) in rules.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                write_rule(out, child, scale, false, below)?;
            }
            out.write_char(')')?;
        }
        Rule::Not(inner) => {
            out.write_str("not ")?;
            write_rule(out, inner, scale, true, below)?;
        }
        Rule::Condition(condition) => write_condition(out, condition, scale)?,
    }
    if wrap {
        out.write_char(')')?;
    }
    Ok(())
}

pub(crate) fn write_field(out: &mut impl fmt::Write, field: &Field) -> fmt::Result {
    match field {
        Field::Attribute(name) => {
            out.write_str("attr.")?;
            write_text(out, name)
        }
        builtin => out.write_str(&builtin.name()),
    }
}

pub(crate) fn write_condition(
    out: &mut impl fmt::Write,
    condition: &Condition,
    scale: u32,
) -> fmt::Result {
    write_field(out, &condition.field)?;
    let test = &condition.test;
    match test {
        Test::Eq(Value::Bool(true)) => Ok(()),
        Test::Eq(v)
        | Test::Ne(v)
        | Test::Lt(v)
        | Test::Le(v)
        | Test::Gt(v)
        | Test::Ge(v)
        | Test::Contains(v) => {
            write!(out, " {} ", test.op_name())?;
            write_value(out, v, scale)
        }
        Test::Between(low, high) => {
            out.write_str(" between ")?;
            write_value(out, low, scale)?;
            out.write_str(" and ")?;
            write_value(out, high, scale)
        }
        Test::In(values) | Test::NotIn(values) => {
            write!(out, " {} (", test.op_name())?;
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                write_value(out, v, scale)?;
            }
            out.write_char(')')
        }
        Test::Within(period) => write!(out, " within {period}"),
        Test::IsNull | Test::IsNotNull => write!(out, " {}", test.op_name()),
    }
}

pub(crate) fn write_value(out: &mut impl fmt::Write, value: &Value, scale: u32) -> fmt::Result {
    match value {
        Value::Integer(n) => write!(out, "{n}"),
        Value::Number(x) => write!(out, "{x}"),
        Value::Money(m) => write!(out, "{}", m.display_decimal(scale)),
        Value::Date(d) => write!(out, "{d}"),
        Value::Text(t) => write_text(out, t),
        Value::Bool(b) => write!(out, "{b}"),
        Value::Segment(s) => write_text(out, s.as_str()),
        Value::Cell(c) => write!(out, "{c}"),
    }
}

/// A condition as canonical text.
pub(crate) fn condition_text(condition: &Condition, scale: u32) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = write_condition(&mut text, condition, scale);
    text
}

/// Writes a rule as canonical text.
pub(crate) fn write_rule_text(out: &mut impl fmt::Write, rule: &Rule, scale: u32) -> fmt::Result {
    write_rule(out, rule, scale, false, 0)
}
