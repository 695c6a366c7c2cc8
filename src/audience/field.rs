//! The typed Rust front end: one constructor per field, returning a handle
//! whose methods take values of the field's type.
//!
//! ```
//! use rfmkit::audience::{field, Period};
//! use rfmkit::Money;
//!
//! let win_back = field::segment().is_in(["at_risk", "cant_lose_them"])?
//!     & field::monetary().ge(Money::new(30_000))
//!     & field::last_order().lt(Period::days(90).ago())
//!     & field::email_opt_in().is_true();
//! assert_eq!(
//!     win_back.display_query(2).to_string(),
//!     "segment in (at_risk, cant_lose_them) and monetary >= 300.00 and last_order < -90d and email_opt_in"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A handle cannot build a test its field does not allow (there is no
//! `segment().ge(..)`), so a rule built here always passes
//! [`Rule::validate`], except for non-finite numbers and dates with years
//! beyond 9999.

use chrono::NaiveDate;

use crate::error::Result;
use crate::money::Money;
use crate::rfm::RfmScore;
use crate::segment::Segment;

use super::rule::{Condition, DateValue, Field, Period, Rule, Test, Value};

fn rule(field: &Field, test: Test) -> Rule {
    Rule::Condition(Condition::new(field.clone(), test))
}

macro_rules! null_tests {
    () => {
        /// `is null`: the value is missing.
        #[must_use]
        pub fn is_null(&self) -> Rule {
            rule(&self.0, Test::IsNull)
        }

        /// `is not null`: the value is present.
        #[must_use]
        pub fn is_not_null(&self) -> Rule {
            rule(&self.0, Test::IsNotNull)
        }

        /// The field.
        #[must_use]
        pub fn field(&self) -> &Field {
            &self.0
        }
    };
}

macro_rules! ordered_tests {
    ($arg:ty, $conv:expr) => {
        /// `= value`.
        #[must_use]
        pub fn eq(&self, value: $arg) -> Rule {
            rule(&self.0, Test::Eq($conv(value)))
        }

        /// `!= value`.
        #[must_use]
        pub fn ne(&self, value: $arg) -> Rule {
            rule(&self.0, Test::Ne($conv(value)))
        }

        /// `< value`.
        #[must_use]
        pub fn lt(&self, value: $arg) -> Rule {
            rule(&self.0, Test::Lt($conv(value)))
        }

        /// `<= value`.
        #[must_use]
        pub fn le(&self, value: $arg) -> Rule {
            rule(&self.0, Test::Le($conv(value)))
        }

        /// `> value`.
        #[must_use]
        pub fn gt(&self, value: $arg) -> Rule {
            rule(&self.0, Test::Gt($conv(value)))
        }

        /// `>= value`.
        #[must_use]
        pub fn ge(&self, value: $arg) -> Rule {
            rule(&self.0, Test::Ge($conv(value)))
        }

        /// `between low and high`, both ends included.
        #[must_use]
        pub fn between(&self, low: $arg, high: $arg) -> Rule {
            rule(&self.0, Test::Between($conv(low), $conv(high)))
        }

        /// `in (values)`.
        #[must_use]
        pub fn is_in(&self, values: impl IntoIterator<Item = $arg>) -> Rule {
            rule(
                &self.0,
                Test::In(crate::bounded::bounded(values).map($conv).collect()),
            )
        }

        /// `not in (values)`.
        #[must_use]
        pub fn not_in(&self, values: impl IntoIterator<Item = $arg>) -> Rule {
            rule(
                &self.0,
                Test::NotIn(crate::bounded::bounded(values).map($conv).collect()),
            )
        }

        null_tests!();
    };
}

/// A whole-number field: counts, days, scores, months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegerField(Field);

impl IntegerField {
    ordered_tests!(i64, Value::Integer);
}

/// A real-number field: predictions and number attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberField(Field);

impl NumberField {
    ordered_tests!(f64, Value::Number);
}

/// A money field, compared with [`Money`] in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyField(Field);

impl MoneyField {
    ordered_tests!(Money, Value::Money);
}

/// A date field, compared with calendar dates or dates relative to the
/// as-of date (`Period::days(90).ago()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateField(Field);

impl DateField {
    ordered_tests!(impl Into<DateValue>, |v| Value::Date(
        Into::<DateValue>::into(v)
    ));
}

/// A yearly date: a birthday or the anniversary of the first order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnualField(Field);

impl AnnualField {
    /// `within period`: the next occurrence falls in
    /// `[as_of, as_of + period]`.
    #[must_use]
    pub fn within(&self, period: Period) -> Rule {
        rule(&self.0, Test::Within(period))
    }

    null_tests!();
}

/// A text field: channels, stores, text attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextField(Field);

impl TextField {
    /// `= text`.
    #[must_use]
    pub fn eq(&self, text: impl Into<String>) -> Rule {
        rule(&self.0, Test::Eq(Value::Text(text.into())))
    }

    /// `!= text`.
    #[must_use]
    pub fn ne(&self, text: impl Into<String>) -> Rule {
        rule(&self.0, Test::Ne(Value::Text(text.into())))
    }

    /// `in (texts)`.
    #[must_use]
    pub fn is_in<S: Into<String>>(&self, texts: impl IntoIterator<Item = S>) -> Rule {
        let values = crate::bounded::bounded(texts)
            .map(|t| Value::Text(t.into()))
            .collect();
        rule(&self.0, Test::In(values))
    }

    /// `not in (texts)`.
    #[must_use]
    pub fn not_in<S: Into<String>>(&self, texts: impl IntoIterator<Item = S>) -> Rule {
        let values = crate::bounded::bounded(texts)
            .map(|t| Value::Text(t.into()))
            .collect();
        rule(&self.0, Test::NotIn(values))
    }

    /// `contains text`: `text` is a substring (case-sensitive).
    #[must_use]
    pub fn contains(&self, text: impl Into<String>) -> Rule {
        rule(&self.0, Test::Contains(Value::Text(text.into())))
    }

    null_tests!();
}

/// The tags of the customer record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagsField(Field);

impl TagsField {
    /// `contains tag`: the customer has the tag (exact match).
    #[must_use]
    pub fn contains(&self, tag: impl Into<String>) -> Rule {
        rule(&self.0, Test::Contains(Value::Text(tag.into())))
    }

    null_tests!();
}

/// A yes/no field: opt-ins, bool attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoolField(Field);

impl BoolField {
    /// The field is `true` (the query writes the field alone).
    #[must_use]
    pub fn is_true(&self) -> Rule {
        self.eq(true)
    }

    /// The field is `false`.
    #[must_use]
    pub fn is_false(&self) -> Rule {
        self.eq(false)
    }

    /// `= value`.
    #[must_use]
    pub fn eq(&self, value: bool) -> Rule {
        rule(&self.0, Test::Eq(Value::Bool(value)))
    }

    /// `!= value`.
    #[must_use]
    pub fn ne(&self, value: bool) -> Rule {
        rule(&self.0, Test::Ne(Value::Bool(value)))
    }

    null_tests!();
}

/// The segment field, compared with segment names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentField(Field);

impl SegmentField {
    /// `= name`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) (field
    /// `segment`) if `name` is not a snake_case segment name.
    pub fn eq(&self, name: &str) -> Result<Rule> {
        Ok(rule(&self.0, Test::Eq(Value::Segment(Segment::new(name)?))))
    }

    /// `!= name`.
    ///
    /// # Errors
    ///
    /// As [`eq`](Self::eq).
    pub fn ne(&self, name: &str) -> Result<Rule> {
        Ok(rule(&self.0, Test::Ne(Value::Segment(Segment::new(name)?))))
    }

    /// `in (names)`.
    ///
    /// # Errors
    ///
    /// As [`eq`](Self::eq), for the first invalid name.
    pub fn is_in<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Result<Rule> {
        Ok(rule(&self.0, Test::In(segments(names)?)))
    }

    /// `not in (names)`.
    ///
    /// # Errors
    ///
    /// As [`eq`](Self::eq), for the first invalid name.
    pub fn not_in<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Result<Rule> {
        Ok(rule(&self.0, Test::NotIn(segments(names)?)))
    }

    null_tests!();
}

fn segments<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Vec<Value>> {
    names
        .into_iter()
        .map(|n| Segment::new(n).map(Value::Segment))
        .collect()
}

/// The RFM cell field, compared with cells such as `5-4-3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellField(Field);

impl CellField {
    /// `= cell`.
    #[must_use]
    pub fn eq(&self, cell: RfmScore) -> Rule {
        rule(&self.0, Test::Eq(Value::Cell(cell)))
    }

    /// `!= cell`.
    #[must_use]
    pub fn ne(&self, cell: RfmScore) -> Rule {
        rule(&self.0, Test::Ne(Value::Cell(cell)))
    }

    /// `in (cells)`.
    #[must_use]
    pub fn is_in(&self, cells: impl IntoIterator<Item = RfmScore>) -> Rule {
        rule(
            &self.0,
            Test::In(crate::bounded::bounded(cells).map(Value::Cell).collect()),
        )
    }

    /// `not in (cells)`.
    #[must_use]
    pub fn not_in(&self, cells: impl IntoIterator<Item = RfmScore>) -> Rule {
        rule(
            &self.0,
            Test::NotIn(crate::bounded::bounded(cells).map(Value::Cell).collect()),
        )
    }

    null_tests!();
}

macro_rules! constructors {
    ($($(#[$doc:meta])* $name:ident -> $handle:ident = $field:ident;)*) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $name() -> $handle {
                $handle(Field::$field)
            }
        )*
    };
}

constructors! {
    /// `recency_days`: days since the last completed order.
    recency_days -> IntegerField = RecencyDays;
    /// `frequency`: completed orders, or purchase days, on the model's basis.
    frequency -> IntegerField = Frequency;
    /// `monetary`: revenue net of returns.
    monetary -> MoneyField = Monetary;
    /// `average_order_value`: monetary per completed order.
    average_order_value -> MoneyField = AverageOrderValue;
    /// `first_order`: the date of the first completed order.
    first_order -> DateField = FirstOrder;
    /// `last_order`: the date of the last completed order.
    last_order -> DateField = LastOrder;
    /// `days_since_first_order`: as-of date minus the first order's date.
    days_since_first_order -> IntegerField = DaysSinceFirstOrder;
    /// `first_order_anniversary`: yearly anniversaries of the first order.
    first_order_anniversary -> AnnualField = FirstOrderAnniversary;
    /// `r`: the recency score.
    r -> IntegerField = R;
    /// `f`: the frequency score.
    f -> IntegerField = F;
    /// `m`: the monetary score.
    m -> IntegerField = M;
    /// `rfm_cell`: the three scores.
    rfm_cell -> CellField = RfmCell;
    /// `segment`: the segment name.
    segment -> SegmentField = Segment;
    /// `first_channel`: the channel of the first completed order.
    first_channel -> TextField = FirstChannel;
    /// `first_store`: the store of the first completed order.
    first_store -> TextField = FirstStore;
    /// `acquisition_channel`: from the customer record.
    acquisition_channel -> TextField = AcquisitionChannel;
    /// `signup_date`: from the customer record.
    signup_date -> DateField = SignupDate;
    /// `tags`: the customer record's tags.
    tags -> TagsField = Tags;
    /// `birthday`: month and day.
    birthday -> AnnualField = Birthday;
    /// `birthday_month`: 1..=12.
    birthday_month -> IntegerField = BirthdayMonth;
    /// `email_opt_in`.
    email_opt_in -> BoolField = EmailOptIn;
    /// `sms_opt_in`.
    sms_opt_in -> BoolField = SmsOptIn;
    /// `frequency_drop`: recent purchase rate ÷ the customer's earlier rate.
    frequency_drop -> NumberField = FrequencyDrop;
    /// `purchase_interval_days`: median days between purchase days.
    purchase_interval_days -> NumberField = PurchaseIntervalDays;
    /// `next_purchase_due`: last order plus the purchase interval.
    next_purchase_due -> DateField = NextPurchaseDue;
    /// `p_alive`: predicted probability of being active.
    p_alive -> NumberField = PAlive;
    /// `expected_purchases`: predicted purchases.
    expected_purchases -> NumberField = ExpectedPurchases;
    /// `predicted_clv`: predicted lifetime value.
    predicted_clv -> MoneyField = PredictedClv;
}

/// `attr.NAME` holding text.
#[must_use]
pub fn attr_text(name: impl Into<String>) -> TextField {
    TextField(Field::Attribute(name.into()))
}

/// `attr.NAME` holding numbers.
#[must_use]
pub fn attr_number(name: impl Into<String>) -> NumberField {
    NumberField(Field::Attribute(name.into()))
}

/// `attr.NAME` holding true/false.
#[must_use]
pub fn attr_bool(name: impl Into<String>) -> BoolField {
    BoolField(Field::Attribute(name.into()))
}

/// `attr.NAME` holding dates.
#[must_use]
pub fn attr_date(name: impl Into<String>) -> DateField {
    DateField(Field::Attribute(name.into()))
}

/// A date, for comparing date fields: `field::last_order().ge(date(2025, 1, 1)?)`.
///
/// # Errors
///
/// [`Error::OutOfRange`](crate::Error::OutOfRange) if the date does not
/// exist.
pub fn date(year: i32, month: u32, day: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| crate::Error::OutOfRange {
        what: "date",
        value: format!("{year:04}-{month:02}-{day:02}"),
        expected: "a real calendar date".into(),
    })
}
