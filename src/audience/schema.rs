//! [`Schema`]: what a query may name (segments, custom attributes) and the
//! currency scale its amounts are written in; "did you mean" suggestions.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::money::MAX_SCALE;
use crate::segment::{Segment, SegmentTable};

use super::rule::{ATTRIBUTE_PREFIX, BUILTIN_FIELDS, Field, ValueType};

/// The context a query is read and printed in: the currency scale of
/// amounts, the segment names and the custom attributes it may use.
///
/// [`Profiles::schema`](super::Profiles::schema) gives the schema of a set
/// of profiles: their segment table, every attribute some customer has (with
/// the types seen), and the profiles' scale. [`Schema::default`] is *open*:
/// scale 2, and any segment name or attribute is accepted (it is checked
/// later, when the rule is compiled against profiles).
///
/// # Example
///
/// ```
/// use rfmkit::audience::{Rule, Schema, ValueType};
/// use rfmkit::segment::SegmentTable;
///
/// let schema = Schema::builder()
///     .scale(0) // yen
///     .segments(&SegmentTable::standard())
///     .attribute("points", ValueType::Number)
///     .build()?;
/// assert!(Rule::parse("monetary >= 3000 and attr.points > 100", &schema).is_ok());
/// let err = Rule::parse("segment = at_rsik", &schema).unwrap_err();
/// assert_eq!(err.to_string(), "column 11: unknown segment 'at_rsik'; did you mean 'at_risk'?");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    scale: u32,
    segments: Option<Vec<Segment>>,
    attributes: Option<BTreeMap<String, BTreeSet<ValueType>>>,
}

impl Default for Schema {
    /// Scale 2; any segment name and any attribute.
    fn default() -> Schema {
        Schema {
            scale: 2,
            segments: None,
            attributes: None,
        }
    }
}

impl Schema {
    /// A builder, starting from [`Schema::default`].
    #[must_use]
    pub fn builder() -> SchemaBuilder {
        SchemaBuilder {
            schema: Schema::default(),
        }
    }

    /// The number of decimals of amounts: `300.00` at scale 2.
    #[must_use]
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// The segment names a query may use, or `None` for any name.
    #[must_use]
    pub fn segments(&self) -> Option<&[Segment]> {
        self.segments.as_deref()
    }

    /// The custom attributes a query may use with the types each may have,
    /// or `None` for any attribute of any type.
    #[must_use]
    pub fn attributes(&self) -> Option<&BTreeMap<String, BTreeSet<ValueType>>> {
        self.attributes.as_ref()
    }

    /// A closed schema: exactly these segments and attributes.
    pub(crate) fn from_parts(
        scale: u32,
        segments: Vec<Segment>,
        attributes: BTreeMap<String, BTreeSet<ValueType>>,
    ) -> Schema {
        Schema {
            scale,
            segments: Some(segments),
            attributes: Some(attributes),
        }
    }

    /// Whether `name` is an allowed segment.
    pub(crate) fn knows_segment(&self, name: &str) -> bool {
        self.segments
            .as_ref()
            .is_none_or(|list| list.iter().any(|s| s.as_str() == name))
    }

    /// The closest allowed segment name to `name`.
    pub(crate) fn suggest_segment(&self, name: &str) -> Option<String> {
        let list = self.segments.as_ref()?;
        closest(name, list.iter().map(Segment::as_str))
    }

    /// `Ok` if the attribute may be used with values of type `ty` (`None`:
    /// any type, for `is null`); else the reason.
    pub(crate) fn check_attribute(&self, name: &str, ty: Option<ValueType>) -> AttributeCheck {
        let Some(map) = &self.attributes else {
            return AttributeCheck::Ok;
        };
        match (map.get(name), ty) {
            (None, _) => AttributeCheck::Unknown,
            (Some(_), None) => AttributeCheck::Ok,
            (Some(types), Some(ty)) if types.contains(&ty) => AttributeCheck::Ok,
            (Some(types), Some(_)) => AttributeCheck::WrongType(
                types
                    .iter()
                    .map(|t| t.plural())
                    .collect::<Vec<_>>()
                    .join(" and "),
            ),
        }
    }
}

/// How an attribute fits a schema.
pub(crate) enum AttributeCheck {
    Ok,
    Unknown,
    /// The types the attribute has, for the message.
    WrongType(String),
}

/// Builds a [`Schema`]; made by [`Schema::builder`].
#[derive(Debug, Clone)]
pub struct SchemaBuilder {
    schema: Schema,
}

impl SchemaBuilder {
    /// Sets the scale of amounts, `0..=18` (default 2; 0 for yen).
    #[must_use]
    pub fn scale(mut self, scale: u32) -> Self {
        self.schema.scale = scale;
        self
    }

    /// Allows only the segments of `table` (default: any name).
    #[must_use]
    pub fn segments(mut self, table: &SegmentTable) -> Self {
        self.schema.segments = Some(table.segments().cloned().collect());
        self
    }

    /// Allows the attribute `name` with values of type `ty` (text, number,
    /// bool or date); once one attribute is declared, undeclared ones are
    /// unknown (default: any attribute of any type).
    #[must_use]
    pub fn attribute(mut self, name: impl Into<String>, ty: ValueType) -> Self {
        self.schema
            .attributes
            .get_or_insert_with(BTreeMap::new)
            .entry(name.into())
            .or_default()
            .insert(ty);
        self
    }

    /// Declares that the profiles have no custom attributes: every
    /// `attr.NAME` is unknown, unless declared with
    /// [`attribute`](Self::attribute).
    #[must_use]
    pub fn no_attributes(mut self) -> Self {
        self.schema.attributes.get_or_insert_with(BTreeMap::new);
        self
    }

    /// The schema.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `scale`) if the scale exceeds 18, and
    /// (field `attributes`) if an attribute's type is not text, number, bool
    /// or date.
    pub fn build(self) -> Result<Schema> {
        if self.schema.scale > MAX_SCALE {
            return Err(Error::config(
                "scale",
                format!(
                    "{} decimals is too many; a currency scale is 0..={MAX_SCALE}",
                    self.schema.scale
                ),
            ));
        }
        if let Some(map) = &self.schema.attributes {
            for (name, types) in map {
                if let Some(bad) = types.iter().find(|t| !t.is_attribute_type()) {
                    return Err(Error::config(
                        "attributes",
                        format!(
                            "attribute {name:?} declared as {bad}; attributes are text, number, bool or date"
                        ),
                    ));
                }
            }
        }
        Ok(self.schema)
    }
}

/// Common misspellings and other tools' names for the built-in fields.
const ALIASES: [(&str, &str); 16] = [
    ("aov", "average_order_value"),
    ("average_amount", "average_order_value"),
    ("recency", "recency_days"),
    ("orders", "frequency"),
    ("revenue", "monetary"),
    ("last_order_date", "last_order"),
    ("first_order_date", "first_order"),
    ("tenure", "days_since_first_order"),
    ("cell", "rfm_cell"),
    ("channel", "first_channel"),
    ("store", "first_store"),
    ("tag", "tags"),
    ("signup", "signup_date"),
    ("email", "email_opt_in"),
    ("sms", "sms_opt_in"),
    ("clv", "predicted_clv"),
];

/// The closest field name to an unknown `name`: an alias, a built-in field
/// within a small edit distance, or a known attribute (`attr.NAME`).
pub(crate) fn suggest_field(name: &str, schema: Option<&Schema>) -> Option<String> {
    if let Some((_, target)) = ALIASES.iter().find(|(alias, _)| *alias == name) {
        return Some((*target).to_owned());
    }
    let attributes: Vec<String> = schema
        .and_then(|s| s.attributes.as_ref())
        .map(|map| {
            map.keys()
                .map(|k| format!("{ATTRIBUTE_PREFIX}{k}"))
                .collect()
        })
        .unwrap_or_default();
    let bare = name.strip_prefix(ATTRIBUTE_PREFIX);
    let candidates = BUILTIN_FIELDS
        .iter()
        .map(|(n, _, _)| *n)
        .chain(attributes.iter().map(String::as_str));
    if let Some(found) = closest(name, candidates) {
        return Some(found);
    }
    // `points` for `attr.points`, and `attr.monetary` for `monetary`.
    let lookup = bare.unwrap_or(name);
    attributes
        .iter()
        .find(|a| a.strip_prefix(ATTRIBUTE_PREFIX) == Some(lookup))
        .cloned()
        .or_else(|| {
            BUILTIN_FIELDS
                .iter()
                .find(|(n, _, _)| bare == Some(*n))
                .map(|(n, _, _)| (*n).to_owned())
        })
}

/// The candidate closest to `name` by optimal-string-alignment distance
/// (Levenshtein plus adjacent transpositions), if it is close enough: none
/// for names of 1 or 2 characters, at most 1 edit up to 4 characters, 2 up
/// to 8, 3 beyond. Ties go to the earlier candidate.
pub(crate) fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let len = name.chars().count();
    let limit = match len {
        0..=2 => return None,
        3..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let distance = osa_distance(name, candidate);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c.to_owned())
}

/// Optimal string alignment distance between two strings, by characters.
pub(crate) fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rolling rows: two rows back (for transpositions), previous, current.
    let mut two_back: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    let mut prev_char: Option<char> = None;
    for (i, &ca) in a.iter().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        let mut prev_b: Option<char> = None;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let deletion = prev
                .get(j + 1)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            let insertion = cur.get(j).copied().unwrap_or(usize::MAX).saturating_add(1);
            let substitution = prev
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(cost);
            let mut best = deletion.min(insertion).min(substitution);
            if prev_char == Some(cb) && prev_b == Some(ca) {
                if let Some(&t) = two_back.get(j.wrapping_sub(1)) {
                    best = best.min(t.saturating_add(1));
                }
            }
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = best;
            }
            prev_b = Some(cb);
        }
        std::mem::swap(&mut two_back, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
        prev_char = Some(ca);
    }
    prev.last().copied().unwrap_or(0)
}

/// A field from its name (how JSON reads fields), with a suggestion when
/// the name is unknown. Here rather than next to [`Field`] so that the rule
/// AST does not depend on this module.
impl TryFrom<String> for Field {
    type Error = Error;
    fn try_from(name: String) -> Result<Field> {
        Field::from_name(&name).ok_or_else(|| Error::UnknownField {
            position: None,
            suggestion: suggest_field(&name, None),
            name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(osa_distance("", ""), 0);
        assert_eq!(osa_distance("abc", ""), 3);
        assert_eq!(osa_distance("", "ab"), 2);
        assert_eq!(osa_distance("kitten", "sitting"), 3);
        assert_eq!(osa_distance("monetory", "monetary"), 1);
        assert_eq!(osa_distance("frequnecy", "frequency"), 1);
        assert_eq!(osa_distance("ab", "ba"), 1);
        assert_eq!(osa_distance("ca", "abc"), 3);
    }

    #[test]
    fn field_suggestions() {
        assert_eq!(suggest_field("monetory", None).as_deref(), Some("monetary"));
        assert_eq!(
            suggest_field("aov", None).as_deref(),
            Some("average_order_value")
        );
        assert_eq!(
            suggest_field("last_ordr", None).as_deref(),
            Some("last_order")
        );
        assert_eq!(suggest_field("zzzzzz", None), None);
        let schema = Schema::builder()
            .attribute("points", ValueType::Number)
            .build()
            .unwrap();
        assert_eq!(
            suggest_field("points", Some(&schema)).as_deref(),
            Some("attr.points")
        );
        assert_eq!(
            suggest_field("attr.pionts", Some(&schema)).as_deref(),
            Some("attr.points")
        );
        assert_eq!(
            suggest_field("attr.monetary", Some(&schema)).as_deref(),
            Some("monetary")
        );
    }
}
