//! [`Customer`]: who a customer is, beyond their orders.
//!
//! Orders say what a customer did; a [`Customer`] record says what campaigns
//! need to know about them: when they signed up, their birthday, how they
//! were acquired, their tags and opt-ins, and any custom attributes the shop
//! keeps. [`Customers`] is a validated list of them, keyed by id.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

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
    month: u8,
    day: u8,
}

#[derive(Deserialize)]
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
        if day == 0 || day > max_day {
            return Err(Error::OutOfRange {
                what: "birthday",
                value: format!("{month:02}-{day:02}"),
                expected: "a real month (1..=12) and day of that month (29 February allowed)"
                    .into(),
            });
        }
        Ok(Birthday { month, day })
    }

    /// The month, `1..=12`.
    #[must_use]
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, `1..=31`.
    #[must_use]
    pub fn day(self) -> u8 {
        self.day
    }
}

impl fmt::Display for Birthday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
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
/// assert_eq!(alice.attribute("shoe_size"), Some(&AttributeValue::Number(24.5)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Customer {
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

impl Customer {
    /// A customer with only an id.
    #[must_use]
    pub fn new(id: impl Into<CustomerId>) -> Customer {
        Customer {
            id: id.into(),
            signup_date: None,
            birthday: None,
            acquisition_channel: None,
            tags: BTreeSet::new(),
            email_opt_in: false,
            sms_opt_in: false,
            attributes: BTreeMap::new(),
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

    /// Adds a tag (default: no tags).
    #[must_use]
    pub fn with_tag(mut self, tag: impl Into<String>) -> Customer {
        self.tags.insert(tag.into());
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
        self.attributes.insert(key.into(), value.into());
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

    /// The tags, in sorted order.
    #[must_use]
    pub fn tags(&self) -> &BTreeSet<String> {
        &self.tags
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

    /// One custom attribute.
    #[must_use]
    pub fn attribute(&self, key: &str) -> Option<&AttributeValue> {
        self.attributes.get(key)
    }

    /// All custom attributes, in key order.
    #[must_use]
    pub fn attributes(&self) -> &BTreeMap<String, AttributeValue> {
        &self.attributes
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
        let mut sorted: Vec<Customer> = customers.into_iter().collect();
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
    fn customers_json_rejects_duplicates() {
        let bad: std::result::Result<Customers, _> =
            serde_json::from_str(r#"[{"id":"a"},{"id":"a"}]"#);
        assert!(bad.is_err());
    }
}
