//! [`Customer`]: who a customer is, beyond their orders.
//!
//! Orders say what a customer did; a [`Customer`] record says what campaigns
//! need to know about them: when they signed up, their birthday, how they
//! were acquired, their tags and opt-ins, and any custom attributes the shop
//! keeps. [`Customers`] is a validated list of them, keyed by id.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::num::NonZeroU8;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{Channel, CustomerId};

/// A birthday as month and day, without a year.
///
/// 29 February is a valid birthday; audience rules decide how it falls in
/// non-leap years. Serialized as `{"month":2,"day":29}`, validated on the way
/// in.
///
/// # Example
///
/// ```
/// use rfmkit::customer::Birthday;
///
/// let b = Birthday::new(2, 29)?;
/// assert_eq!((b.month(), b.day()), (2, 29));
/// assert_eq!(b.to_string(), "02-29");
/// assert!(Birthday::new(4, 31).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawBirthday")]
pub struct Birthday {
    // Non-zero so that `Option<Birthday>` takes two bytes, not three.
    month: NonZeroU8,
    day: NonZeroU8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBirthday {
    month: u8,
    day: u8,
}

impl TryFrom<RawBirthday> for Birthday {
    type Error = Error;
    fn try_from(raw: RawBirthday) -> Result<Birthday> {
        Birthday::new(raw.month, raw.day)
    }
}

impl Birthday {
    /// A birthday on `day` of `month` (1 = January).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if the month is not `1..=12` or the day does not
    /// exist in that month (29 February is allowed).
    pub fn new(month: u8, day: u8) -> Result<Birthday> {
        let max_day = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 => 29,
            _ => 0,
        };
        let (Some(m), Some(d)) = (NonZeroU8::new(month), NonZeroU8::new(day)) else {
            return Err(Birthday::out_of_range(month, day));
        };
        if day > max_day {
            return Err(Birthday::out_of_range(month, day));
        }
        Ok(Birthday { month: m, day: d })
    }

    fn out_of_range(month: u8, day: u8) -> Error {
        Error::OutOfRange {
            what: "birthday",
            value: format!("{month:02}-{day:02}"),
            expected: "a real month (1..=12) and day of that month (29 February allowed)".into(),
        }
    }

    /// The month, `1..=12`.
    #[must_use]
    pub fn month(self) -> u8 {
        self.month.get()
    }

    /// The day of the month, `1..=31`.
    #[must_use]
    pub fn day(self) -> u8 {
        self.day.get()
    }
}

impl fmt::Display for Birthday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month.get(), self.day.get())
    }
}

/// A typed custom attribute value.
///
/// Serialized externally tagged in snake_case:
/// `{"string":"gold"}`, `{"number":4.5}`, `{"bool":true}`,
/// `{"date":"2024-05-01"}`.
///
/// # Example
///
/// ```
/// use rfmkit::customer::AttributeValue;
///
/// let v = AttributeValue::from("gold");
/// assert_eq!(v, AttributeValue::String("gold".into()));
/// assert_eq!(AttributeValue::from(3.5), AttributeValue::Number(3.5));
/// ```
#[derive(Debug, Clone, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttributeValue {
    /// Text.
    String(String),
    /// A number. JSON cannot hold NaN or infinities, so keep numbers finite.
    Number(f64),
    /// A flag.
    Bool(bool),
    /// A calendar date.
    Date(NaiveDate),
}

impl From<&str> for AttributeValue {
    fn from(v: &str) -> Self {
        AttributeValue::String(v.to_owned())
    }
}
impl From<String> for AttributeValue {
    fn from(v: String) -> Self {
        AttributeValue::String(v)
    }
}
impl From<f64> for AttributeValue {
    fn from(v: f64) -> Self {
        AttributeValue::Number(v)
    }
}
impl From<bool> for AttributeValue {
    fn from(v: bool) -> Self {
        AttributeValue::Bool(v)
    }
}
impl From<NaiveDate> for AttributeValue {
    fn from(v: NaiveDate) -> Self {
        AttributeValue::Date(v)
    }
}

/// A customer record: id plus what campaigns need.
///
/// Build with [`Customer::new`] and the `with_*` methods; everything but the
/// id is optional (opt-ins default to `false`: never contact without
/// consent).
///
/// # Memory
///
/// A record is 72 bytes plus one heap allocation holding its tags and
/// custom attributes packed together (none when it has neither): a typical
/// record with a birthday, opt-ins, two tags and two attributes takes about
/// 120 bytes in all (`examples/customer_memory.rs` measures it). Tags and
/// attributes are therefore read through views ([`Tags`], [`Attributes`])
/// rather than as collections, and each `with_tag` / `with_attribute` call
/// rebuilds the packed block, in time linear in its size.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::customer::{AttributeValue, Birthday, Customer};
///
/// let alice = Customer::new("alice")
///     .with_signup_date(NaiveDate::from_ymd_opt(2024, 3, 1).ok_or("bad date")?)
///     .with_birthday(Birthday::new(7, 14)?)
///     .with_acquisition_channel("instagram_ads")
///     .with_tag("vip")
///     .with_email_opt_in(true)
///     .with_attribute("shoe_size", 24.5);
/// assert!(alice.tags().contains("vip"));
/// assert!(alice.email_opt_in() && !alice.sms_opt_in());
/// assert_eq!(alice.attribute("shoe_size"), Some(AttributeValue::Number(24.5)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[serde(from = "WireCustomer", into = "WireCustomer")]
pub struct Customer {
    id: CustomerId,
    acquisition_channel: Option<Channel>,
    /// Tags and attributes, see [`packed`].
    packed: Box<[u8]>,
    signup_date: Option<NaiveDate>,
    birthday: Option<Birthday>,
    email_opt_in: bool,
    sms_opt_in: bool,
}

/// The JSON form of a [`Customer`] (the field layout before records were
/// packed, kept so that the wire format does not change).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct WireCustomer {
    id: CustomerId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signup_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    birthday: Option<Birthday>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    acquisition_channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    tags: BTreeSet<String>,
    #[serde(default)]
    email_opt_in: bool,
    #[serde(default)]
    sms_opt_in: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    attributes: BTreeMap<String, AttributeValue>,
}

impl From<WireCustomer> for Customer {
    fn from(w: WireCustomer) -> Customer {
        Customer {
            id: w.id,
            acquisition_channel: w.acquisition_channel,
            packed: packed::encode(
                w.tags.iter().map(String::as_str),
                w.attributes
                    .iter()
                    .map(|(k, v)| (k.as_str(), packed::Value::Owned(v))),
            ),
            signup_date: w.signup_date,
            birthday: w.birthday,
            email_opt_in: w.email_opt_in,
            sms_opt_in: w.sms_opt_in,
        }
    }
}

impl From<Customer> for WireCustomer {
    fn from(c: Customer) -> WireCustomer {
        WireCustomer {
            tags: c.tags().iter().map(str::to_owned).collect(),
            attributes: c.attributes().map(|(k, v)| (k.to_owned(), v)).collect(),
            id: c.id,
            signup_date: c.signup_date,
            birthday: c.birthday,
            acquisition_channel: c.acquisition_channel,
            email_opt_in: c.email_opt_in,
            sms_opt_in: c.sms_opt_in,
        }
    }
}

impl PartialEq for Customer {
    /// Field by field; attribute values compare as [`AttributeValue`]s
    /// (so `0.0 == -0.0` and NaN is unequal to itself, as before packing).
    fn eq(&self, other: &Customer) -> bool {
        self.id == other.id
            && self.acquisition_channel == other.acquisition_channel
            && self.signup_date == other.signup_date
            && self.birthday == other.birthday
            && self.email_opt_in == other.email_opt_in
            && self.sms_opt_in == other.sms_opt_in
            && self.tags().iter().eq(other.tags().iter())
            && self.attributes().eq(other.attributes())
    }
}

impl fmt::Debug for Customer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Customer")
            .field("id", &self.id)
            .field("signup_date", &self.signup_date)
            .field("birthday", &self.birthday)
            .field("acquisition_channel", &self.acquisition_channel)
            .field("tags", &self.tags())
            .field("email_opt_in", &self.email_opt_in)
            .field("sms_opt_in", &self.sms_opt_in)
            .field("attributes", &self.attributes())
            .finish()
    }
}

impl Customer {
    /// A customer with only an id.
    #[must_use]
    pub fn new(id: impl Into<CustomerId>) -> Customer {
        Customer {
            id: id.into(),
            acquisition_channel: None,
            packed: Box::default(),
            signup_date: None,
            birthday: None,
            email_opt_in: false,
            sms_opt_in: false,
        }
    }

    /// Sets the signup date (default: none).
    #[must_use]
    pub fn with_signup_date(mut self, date: NaiveDate) -> Customer {
        self.signup_date = Some(date);
        self
    }

    /// Sets the birthday (default: none).
    #[must_use]
    pub fn with_birthday(mut self, birthday: Birthday) -> Customer {
        self.birthday = Some(birthday);
        self
    }

    /// Sets the acquisition channel (default: none).
    #[must_use]
    pub fn with_acquisition_channel(mut self, channel: impl Into<Channel>) -> Customer {
        self.acquisition_channel = Some(channel.into());
        self
    }

    /// Adds a tag (default: no tags); adding a tag twice keeps one.
    #[must_use]
    pub fn with_tag(mut self, tag: impl Into<String>) -> Customer {
        let tag = tag.into();
        if !self.tags().contains(&tag) {
            let mut tags: Vec<&str> = self.tags().iter().collect();
            let at = tags.partition_point(|t| *t < tag.as_str());
            tags.insert(at, &tag);
            self.packed = packed::encode(tags, packed::raw_attributes(&self.packed));
        }
        self
    }

    /// Sets the e-mail opt-in (default: `false`).
    #[must_use]
    pub fn with_email_opt_in(mut self, opt_in: bool) -> Customer {
        self.email_opt_in = opt_in;
        self
    }

    /// Sets the SMS opt-in (default: `false`).
    #[must_use]
    pub fn with_sms_opt_in(mut self, opt_in: bool) -> Customer {
        self.sms_opt_in = opt_in;
        self
    }

    /// Sets a custom attribute, replacing any earlier value for `key`.
    #[must_use]
    pub fn with_attribute(
        mut self,
        key: impl Into<String>,
        value: impl Into<AttributeValue>,
    ) -> Customer {
        let (key, value) = (key.into(), value.into());
        let mut attrs: Vec<(&str, packed::Value<'_>)> = packed::raw_attributes(&self.packed)
            .filter(|(k, _)| *k != key.as_str())
            .collect();
        let at = attrs.partition_point(|(k, _)| *k < key.as_str());
        attrs.insert(at, (&key, packed::Value::Owned(&value)));
        self.packed = packed::encode(self.tags().iter(), attrs);
        self
    }

    /// The customer's id.
    #[must_use]
    pub fn id(&self) -> &CustomerId {
        &self.id
    }

    /// The signup date, if known.
    #[must_use]
    pub fn signup_date(&self) -> Option<NaiveDate> {
        self.signup_date
    }

    /// The birthday, if known.
    #[must_use]
    pub fn birthday(&self) -> Option<Birthday> {
        self.birthday
    }

    /// The acquisition channel, if known.
    #[must_use]
    pub fn acquisition_channel(&self) -> Option<&Channel> {
        self.acquisition_channel.as_ref()
    }

    /// The tags, in sorted order, without duplicates.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::customer::Customer;
    ///
    /// let bob = Customer::new("bob").with_tag("vip").with_tag("app").with_tag("vip");
    /// assert!(bob.tags().contains("vip"));
    /// assert_eq!(bob.tags().iter().collect::<Vec<_>>(), ["app", "vip"]);
    /// assert_eq!(bob.tags().len(), 2);
    /// ```
    #[must_use]
    pub fn tags(&self) -> Tags<'_> {
        Tags {
            packed: &self.packed,
        }
    }

    /// Whether the customer agreed to e-mail.
    #[must_use]
    pub fn email_opt_in(&self) -> bool {
        self.email_opt_in
    }

    /// Whether the customer agreed to SMS.
    #[must_use]
    pub fn sms_opt_in(&self) -> bool {
        self.sms_opt_in
    }

    /// One custom attribute (a copy of it: records store values packed).
    #[must_use]
    pub fn attribute(&self, key: &str) -> Option<AttributeValue> {
        packed::raw_attributes(&self.packed)
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.decode())
    }

    /// All custom attributes, in key order, as `(key, value)` pairs.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::customer::{AttributeValue, Customer};
    ///
    /// let carol = Customer::new("carol")
    ///     .with_attribute("points", 120.0)
    ///     .with_attribute("prefecture", "osaka")
    ///     .with_attribute("points", 80.0);
    /// let attrs: Vec<(&str, AttributeValue)> = carol.attributes().collect();
    /// assert_eq!(
    ///     attrs,
    ///     [("points", AttributeValue::Number(80.0)), ("prefecture", AttributeValue::from("osaka"))]
    /// );
    /// ```
    #[must_use]
    pub fn attributes(&self) -> Attributes<'_> {
        Attributes {
            raw: packed::raw_attributes(&self.packed),
        }
    }
}

/// The tags of a [`Customer`], in sorted order; made by [`Customer::tags`].
#[derive(Clone, Copy)]
pub struct Tags<'a> {
    packed: &'a [u8],
}

impl<'a> Tags<'a> {
    /// The tags in sorted order.
    #[must_use]
    pub fn iter(&self) -> TagsIter<'a> {
        TagsIter {
            inner: packed::tags(self.packed),
        }
    }

    /// Whether the customer has this tag.
    #[must_use]
    pub fn contains(&self, tag: &str) -> bool {
        self.iter().any(|t| t == tag)
    }

    /// The number of tags.
    #[must_use]
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are no tags.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl fmt::Debug for Tags<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for Tags<'a> {
    type Item = &'a str;
    type IntoIter = TagsIter<'a>;
    fn into_iter(self) -> TagsIter<'a> {
        self.iter()
    }
}

/// Iterator over a customer's tags; made by [`Tags::iter`].
#[derive(Debug, Clone)]
pub struct TagsIter<'a> {
    inner: packed::TagIter<'a>,
}

impl<'a> Iterator for TagsIter<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        self.inner.next()
    }
}

/// Iterator over a customer's custom attributes in key order, as
/// `(key, value)`; made by [`Customer::attributes`].
#[derive(Clone)]
pub struct Attributes<'a> {
    raw: packed::RawAttributes<'a>,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = (&'a str, AttributeValue);
    fn next(&mut self) -> Option<(&'a str, AttributeValue)> {
        self.raw.by_ref().find_map(|(k, v)| Some((k, v.decode()?)))
    }
}

impl fmt::Debug for Attributes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.clone()).finish()
    }
}

/// The packed block of a [`Customer`]'s tags and attributes.
///
/// Layout (lengths and counts as LEB128 varints): the tag count, then each
/// tag as length and UTF-8 bytes, in sorted order without duplicates; then
/// the attributes until the end, each as key (length, bytes), a type byte
/// and the value: `0` text (length, bytes), `1` number (8 bytes,
/// little-endian IEEE 754 bits), `2` false, `3` true, `4` date (4 bytes,
/// little-endian days from 0001-01-01 CE). Keys are sorted and unique. An
/// empty block has neither. Only [`encode`] writes blocks; the readers stop
/// at the first malformed entry rather than panic.
mod packed {
    use chrono::{Datelike, NaiveDate};

    use super::AttributeValue;

    const TEXT: u8 = 0;
    const NUMBER: u8 = 1;
    const FALSE: u8 = 2;
    const TRUE: u8 = 3;
    const DATE: u8 = 4;

    /// An attribute value to encode: decoded, or still packed.
    #[derive(Debug, Clone, Copy)]
    pub(super) enum Value<'a> {
        Owned(&'a AttributeValue),
        /// Type byte and payload, as stored.
        Raw(&'a [u8]),
    }

    impl Value<'_> {
        pub(super) fn decode(self) -> Option<AttributeValue> {
            match self {
                Value::Owned(v) => Some(v.clone()),
                Value::Raw(raw) => {
                    let mut c = Cursor(raw);
                    match c.byte()? {
                        TEXT => c.text().map(AttributeValue::from),
                        NUMBER => Some(AttributeValue::Number(f64::from_le_bytes(
                            c.take(8)?.try_into().ok()?,
                        ))),
                        FALSE => Some(AttributeValue::Bool(false)),
                        TRUE => Some(AttributeValue::Bool(true)),
                        DATE => NaiveDate::from_num_days_from_ce_opt(i32::from_le_bytes(
                            c.take(4)?.try_into().ok()?,
                        ))
                        .map(AttributeValue::Date),
                        _ => None,
                    }
                }
            }
        }
    }

    fn put_varint(out: &mut Vec<u8>, mut n: usize) {
        loop {
            // Seven bits at a time, low first; the cast keeps them exactly.
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(low);
                return;
            }
            out.push(low | 0x80);
        }
    }

    fn put_text(out: &mut Vec<u8>, text: &str) {
        put_varint(out, text.len());
        out.extend_from_slice(text.as_bytes());
    }

    /// Packs tags (sorted, unique) and attributes (sorted by unique key).
    pub(super) fn encode<'a>(
        tags: impl IntoIterator<Item = &'a str>,
        attributes: impl IntoIterator<Item = (&'a str, Value<'a>)>,
    ) -> Box<[u8]> {
        let tags: Vec<&str> = tags.into_iter().collect();
        let mut out = Vec::new();
        let mut attributes = attributes.into_iter().peekable();
        if tags.is_empty() && attributes.peek().is_none() {
            return Box::default();
        }
        put_varint(&mut out, tags.len());
        for tag in tags {
            put_text(&mut out, tag);
        }
        for (key, value) in attributes {
            put_text(&mut out, key);
            match value {
                Value::Raw(raw) => out.extend_from_slice(raw),
                Value::Owned(AttributeValue::String(s)) => {
                    out.push(TEXT);
                    put_text(&mut out, s);
                }
                Value::Owned(AttributeValue::Number(x)) => {
                    out.push(NUMBER);
                    out.extend_from_slice(&x.to_le_bytes());
                }
                Value::Owned(AttributeValue::Bool(b)) => out.push(if *b { TRUE } else { FALSE }),
                Value::Owned(AttributeValue::Date(d)) => {
                    out.push(DATE);
                    out.extend_from_slice(&d.num_days_from_ce().to_le_bytes());
                }
            }
        }
        out.into_boxed_slice()
    }

    #[derive(Debug, Clone, Copy)]
    struct Cursor<'a>(&'a [u8]);

    impl<'a> Cursor<'a> {
        fn byte(&mut self) -> Option<u8> {
            let (&b, rest) = self.0.split_first()?;
            self.0 = rest;
            Some(b)
        }

        fn varint(&mut self) -> Option<usize> {
            let mut n: usize = 0;
            let mut shift = 0u32;
            loop {
                let b = self.byte()?;
                n |= usize::from(b & 0x7f).checked_shl(shift)?;
                if b & 0x80 == 0 {
                    return Some(n);
                }
                shift += 7;
            }
        }

        fn take(&mut self, len: usize) -> Option<&'a [u8]> {
            let (head, rest) = self.0.split_at_checked(len)?;
            self.0 = rest;
            Some(head)
        }

        fn text(&mut self) -> Option<&'a str> {
            let len = self.varint()?;
            std::str::from_utf8(self.take(len)?).ok()
        }

        /// The type byte and payload of one value.
        fn value(&mut self) -> Option<&'a [u8]> {
            let start = *self;
            let len = match self.byte()? {
                TEXT => {
                    let n = self.varint()?;
                    self.take(n)?;
                    start.0.len() - self.0.len()
                }
                NUMBER => 9,
                FALSE | TRUE => 1,
                DATE => 5,
                _ => return None,
            };
            let mut start = start;
            let raw = start.take(len)?;
            *self = start;
            Some(raw)
        }
    }

    /// The tags of a block, and the rest.
    fn split(packed: &[u8]) -> (TagIter<'_>, Cursor<'_>) {
        let mut c = Cursor(packed);
        let count = c.varint().unwrap_or(0);
        let tags = TagIter {
            cursor: c,
            left: count,
        };
        let mut rest = c;
        for _ in 0..count {
            if rest.text().is_none() {
                return (tags, Cursor(&[]));
            }
        }
        (tags, rest)
    }

    #[derive(Debug, Clone)]
    pub(super) struct TagIter<'a> {
        cursor: Cursor<'a>,
        left: usize,
    }

    impl<'a> Iterator for TagIter<'a> {
        type Item = &'a str;
        fn next(&mut self) -> Option<&'a str> {
            self.left = self.left.checked_sub(1)?;
            let tag = self.cursor.text();
            if tag.is_none() {
                self.left = 0;
            }
            tag
        }
    }

    pub(super) fn tags(packed: &[u8]) -> TagIter<'_> {
        split(packed).0
    }

    #[derive(Debug, Clone)]
    pub(super) struct RawAttributes<'a> {
        cursor: Cursor<'a>,
    }

    impl<'a> Iterator for RawAttributes<'a> {
        type Item = (&'a str, Value<'a>);
        fn next(&mut self) -> Option<(&'a str, Value<'a>)> {
            let entry = self
                .cursor
                .text()
                .and_then(|key| Some((key, Value::Raw(self.cursor.value()?))));
            if entry.is_none() {
                self.cursor = Cursor(&[]);
            }
            entry
        }
    }

    pub(super) fn raw_attributes(packed: &[u8]) -> RawAttributes<'_> {
        RawAttributes {
            cursor: split(packed).1,
        }
    }
}

/// A list of customers with unique ids, in id order.
///
/// # Example
///
/// ```
/// use rfmkit::customer::{Customer, Customers};
/// use rfmkit::Error;
///
/// let customers = Customers::new([Customer::new("bob"), Customer::new("alice")])?;
/// assert_eq!(customers.len(), 2);
/// assert_eq!(customers.iter().next().map(|c| c.id().as_str()), Some("alice"));
/// assert!(customers.get("bob").is_some());
///
/// let dup = Customers::new([Customer::new("bob"), Customer::new("bob")]);
/// assert!(matches!(dup, Err(Error::DuplicateCustomer { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Customer>", into = "Vec<Customer>")]
pub struct Customers {
    sorted: Vec<Customer>,
}

impl Customers {
    /// Collects customers, sorted by id.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateCustomer`] naming the first id (in id order) that
    /// appears twice.
    pub fn new(customers: impl IntoIterator<Item = Customer>) -> Result<Customers> {
        let mut sorted: Vec<Customer> = crate::bounded::bounded(customers).collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        let duplicate = sorted.windows(2).find_map(|pair| match pair {
            [a, b] if a.id == b.id => Some(a.id.clone()),
            _ => None,
        });
        if let Some(customer) = duplicate {
            return Err(Error::DuplicateCustomer { customer });
        }
        Ok(Customers { sorted })
    }

    /// The customer with this id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Customer> {
        crate::id::find_by_customer(&self.sorted, id, |c| &c.id)
    }

    /// Whether a customer with this id is in the list.
    #[must_use]
    pub fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// The number of customers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The customers in id order.
    pub fn iter(&self) -> std::slice::Iter<'_, Customer> {
        self.sorted.iter()
    }
}

impl TryFrom<Vec<Customer>> for Customers {
    type Error = Error;
    fn try_from(customers: Vec<Customer>) -> Result<Customers> {
        Customers::new(customers)
    }
}

impl From<Customers> for Vec<Customer> {
    fn from(customers: Customers) -> Vec<Customer> {
        customers.sorted
    }
}

impl<'a> IntoIterator for &'a Customers {
    type Item = &'a Customer;
    type IntoIter = std::slice::Iter<'a, Customer>;
    fn into_iter(self) -> Self::IntoIter {
        self.sorted.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birthday_validates_each_month() {
        assert!(Birthday::new(2, 29).is_ok());
        assert!(Birthday::new(2, 30).is_err());
        assert!(Birthday::new(4, 30).is_ok());
        assert!(Birthday::new(4, 31).is_err());
        assert!(Birthday::new(12, 31).is_ok());
        assert!(Birthday::new(13, 1).is_err());
        assert!(Birthday::new(1, 0).is_err());
    }

    #[test]
    fn birthday_json_is_validated() {
        let ok: std::result::Result<Birthday, _> = serde_json::from_str(r#"{"month":2,"day":29}"#);
        assert!(ok.is_ok());
        let bad: std::result::Result<Birthday, _> = serde_json::from_str(r#"{"month":2,"day":30}"#);
        assert!(bad.is_err());
    }

    #[test]
    fn malformed_blocks_read_as_far_as_they_are_well_formed() {
        // Two tags announced, one present and cut short; then nothing.
        let bad = [2u8, 3, b'v', b'i'];
        assert_eq!(packed::tags(&bad).count(), 0);
        assert_eq!(packed::raw_attributes(&bad).count(), 0);
        // One tag, then a key with an unknown type byte 9.
        let bad = [1u8, 1, b'a', 1, b'k', 9, 0];
        assert_eq!(packed::tags(&bad).collect::<Vec<_>>(), ["a"]);
        assert_eq!(packed::raw_attributes(&bad).count(), 0);
        // A varint that never ends.
        let bad = [0xffu8; 20];
        assert_eq!(packed::tags(&bad).count(), 0);
        // A number cut short decodes to nothing.
        let bad = [0u8, 1, b'k', 1, 0, 0];
        assert_eq!(packed::raw_attributes(&bad).count(), 0);
    }

    #[test]
    fn customers_json_rejects_duplicates() {
        let bad: std::result::Result<Customers, _> =
            serde_json::from_str(r#"[{"id":"a"},{"id":"a"}]"#);
        assert!(bad.is_err());
    }
}
