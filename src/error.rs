//! The crate's single error type.
//!
//! # Design
//!
//! rfmkit has one error type, [`Error`], for every stage of the pipeline, in
//! the spirit of jiff and csv: a caller that runs the whole pipeline handles
//! one type, and matching on a variant's fields tells exactly what went wrong
//! and where. Every variant carries its location as typed fields:
//!
//! - `index`: the 0-based position of an order in the input you passed (the
//!   first order is `index == 0`; a CSV reader that skips a header line must
//!   add 2 to get a 1-based line number);
//! - `order_id` and `customer`: the ids as they appear in the input;
//! - `field`: the configuration key, written as a path such as
//!   `thresholds.recency_days` or `rules[3].r`;
//! - `position`: a [`QueryPosition`] in an audience query (its byte offset
//!   and its 1-based column in characters), displayed `column N`; `None`
//!   for a rule that came from JSON or the Rust builder.
//!
//! [`Error::location`] returns that location without matching on variants.
//!
//! Messages are written location first, then the problem, then the
//! constraint, in lower case without a final period:
//!
//! ```text
//! order #12 (id A-991): amount -500 is negative; a completed order's amount must be >= 0
//! ```

use chrono::NaiveDate;

use crate::id::{CustomerId, OrderId};
use crate::money::Money;
use crate::order::OrderStatus;

/// A `Result` whose error is rfmkit's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in rfmkit.
///
/// The enum is `#[non_exhaustive]`: later stages (audience queries, LTV,
/// predictive models) add variants, so match with a wildcard arm. Each
/// variant's documentation says how to fix the input that caused it.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::{Error, Money, Order};
/// use rfmkit::summary::Summaries;
///
/// let as_of = NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("bad date")?;
/// let late = NaiveDate::from_ymd_opt(2025, 3, 1).ok_or("bad date")?;
/// let orders = vec![Order::new("A-1", "alice", late, Money::new(1200))];
///
/// let err = Summaries::from_orders(&orders, as_of).unwrap_err();
/// assert!(matches!(err, Error::OrderAfterAsOf { index: 0, .. }));
/// assert_eq!(
///     err.to_string(),
///     "order #0 (id A-1): dated 2025-03-01, after the as-of date 2025-01-01; \
///      score as of a later date or drop orders after it (FutureOrders::Ignore)",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An order is dated after the as-of date of the summaries.
    ///
    /// Fix: summarize as of a later date, or build the
    /// [`SummaryConfig`](crate::summary::SummaryConfig) with
    /// [`FutureOrders::Ignore`](crate::summary::FutureOrders::Ignore) to
    /// leave such orders out (they are then listed, not dropped silently).
    #[error(
        "order #{index} (id {order_id}): dated {date}, after the as-of date {as_of}; \
         score as of a later date or drop orders after it (FutureOrders::Ignore)"
    )]
    OrderAfterAsOf {
        /// 0-based position of the order in the input.
        index: usize,
        /// The order's id.
        order_id: OrderId,
        /// The order's date.
        date: NaiveDate,
        /// The as-of date it was checked against.
        as_of: NaiveDate,
    },

    /// An order's amount has the wrong sign for its status.
    ///
    /// A [`Completed`](OrderStatus::Completed) order must have an amount
    /// `>= 0`; a [`Returned`](OrderStatus::Returned) order records the refund
    /// as an amount `<= 0`. Fix the sign, or the status.
    #[error(
        "order #{index} (id {order_id}): amount {amount} has the wrong sign for a {status} order; {}",
        status.amount_rule()
    )]
    InvalidAmount {
        /// 0-based position of the order in the input.
        index: usize,
        /// The order's id.
        order_id: OrderId,
        /// The amount found.
        amount: Money,
        /// The order's status.
        status: OrderStatus,
    },

    /// Two orders share an id.
    ///
    /// Order ids must be unique within one call. Fix: de-duplicate the input
    /// (a re-sent order), or give each order line its own id. In lenient mode
    /// every later order with an id already seen is skipped, whether or not
    /// the first one was valid.
    #[error(
        "order #{index} (id {order_id}): duplicate order id, first seen at order #{first_index}; \
         order ids must be unique"
    )]
    DuplicateOrderId {
        /// 0-based position of the repeated order in the input.
        index: usize,
        /// The repeated id.
        order_id: OrderId,
        /// 0-based position of the first order with this id.
        first_index: usize,
    },

    /// An order refers to a customer that is not in the customer list given
    /// to [`SummaryConfig::summarize_for`](crate::summary::SummaryConfig::summarize_for).
    ///
    /// Fix: add the customer to the list, or correct the order's customer id.
    #[error(
        "order #{index} (id {order_id}): customer {customer} is not in the customer list; \
         add the customer or fix the order's customer id"
    )]
    UnknownCustomer {
        /// 0-based position of the order in the input.
        index: usize,
        /// The order's id.
        order_id: OrderId,
        /// The unknown customer id.
        customer: CustomerId,
    },

    /// The same customer id appears twice in a customer list.
    ///
    /// Fix: merge the two records into one [`Customer`](crate::customer::Customer).
    #[error(
        "customer {customer}: appears more than once in the customer list; customer ids must be unique"
    )]
    DuplicateCustomer {
        /// The repeated customer id.
        customer: CustomerId,
    },

    /// A customer has no completed order (only returns), so has no recency
    /// and cannot be RFM-scored.
    ///
    /// Fix: score only customers with a purchase, or check
    /// [`CustomerSummary::orders`](crate::summary::CustomerSummary::orders) first. Bulk scoring lists
    /// such customers in [`Scores::unscored`](crate::rfm::Scores::unscored) instead of failing.
    #[error(
        "customer {customer}: has no completed order, so no recency to score; score customers with a purchase"
    )]
    NoPurchase {
        /// The customer.
        customer: CustomerId,
    },

    /// A money sum or count left the range of `i64` minor units.
    ///
    /// This takes sums beyond 92 quadrillion minor units, so it nearly always
    /// means corrupted amounts: check the customer's orders.
    #[error(
        "customer {customer}: total amount overflows i64 minor units; check the customer's order amounts"
    )]
    Overflow {
        /// The customer whose total overflowed.
        customer: CustomerId,
    },

    /// The revenue of one segment of a
    /// [`SegmentReport`](crate::segment::SegmentReport) leaves the range of
    /// `i64` minor units.
    ///
    /// A sum beyond 92 quadrillion minor units nearly always means corrupted
    /// monetary values: check the customers of that segment.
    #[error(
        "segment {segment}: revenue overflows i64 minor units; check the monetary values of its customers"
    )]
    SegmentOverflow {
        /// The segment whose revenue overflowed.
        segment: String,
    },

    /// Two collections that must share an as-of date do not.
    ///
    /// Summaries merge only when both were built as of the same date. Fix:
    /// rebuild one side as of the other's date.
    #[error(
        "as-of dates differ: {left} and {right}; merge only summaries built as of the same date"
    )]
    AsOfMismatch {
        /// The as-of date of the left-hand side.
        left: NaiveDate,
        /// The as-of date of the right-hand side.
        right: NaiveDate,
    },

    /// A configuration value is invalid.
    ///
    /// `field` names the key (`bins`, `thresholds.recency_days`,
    /// `rules[2].f`, ...) and `reason` says what is allowed.
    #[error("config {field}: {reason}")]
    InvalidConfig {
        /// The configuration key, as a path.
        field: String,
        /// What is wrong and what is allowed.
        reason: String,
    },

    /// A value is out of the range its type allows (a score outside
    /// `1..=bins`, a birthday on 31 April, a timestamp beyond chrono's range).
    #[error("{what}: {value} is out of range; {expected}")]
    OutOfRange {
        /// What the value is (`score`, `birthday`, `timestamp`).
        what: &'static str,
        /// The value found, as text.
        value: String,
        /// The allowed range.
        expected: String,
    },

    /// A decimal amount could not be parsed into [`Money`].
    ///
    /// Amounts are written like `29.33`, `-5`, or `1200.5`: an optional sign,
    /// digits, and at most as many decimals as the currency's minor unit has.
    #[error("amount {input:?}: {reason}")]
    ParseMoney {
        /// The text that failed to parse.
        input: String,
        /// What is wrong with it.
        reason: String,
    },

    /// An audience query is not well formed: at `position`, the parser
    /// expected one thing and found another.
    ///
    /// Fix the query at that column; `expected` says what may come there.
    #[error("column {}: expected {expected}, found {found}", position.column)]
    QueryParse {
        /// Where in the query.
        position: QueryPosition,
        /// What may come there, e.g. `a number after '>='`.
        expected: String,
        /// What is there, quoted, or `end of query`.
        found: String,
    },

    /// An audience rule names a field that does not exist, or a custom
    /// attribute that no customer has.
    ///
    /// Fix the name; `suggestion` is the closest known field, if any. The
    /// fields are listed in the [`audience`](crate::audience#fields) docs.
    #[error("{}unknown field '{name}'{}", at(position.as_ref()), did_you_mean(suggestion.as_deref()))]
    UnknownField {
        /// Where in the query, if the rule came from query text.
        position: Option<QueryPosition>,
        /// The name as written.
        name: String,
        /// The closest known field name.
        suggestion: Option<String>,
    },

    /// An audience rule names a segment that is not in the segment table.
    ///
    /// Fix the name; `suggestion` is the closest segment, if any.
    #[error("{}unknown segment '{name}'{}", at(position.as_ref()), did_you_mean(suggestion.as_deref()))]
    UnknownSegment {
        /// Where in the query, if the rule came from query text.
        position: Option<QueryPosition>,
        /// The name as written.
        name: String,
        /// The closest segment name.
        suggestion: Option<String>,
    },

    /// An audience rule's condition does not fit its field: an operator
    /// the field's type does not allow, a value of the wrong type, a number
    /// that is not finite, or a date out of range.
    ///
    /// `reason` says which operators or values the field takes.
    #[error("{}{field}: {reason}", at(position.as_ref()))]
    InvalidRule {
        /// Where in the query, if the rule came from query text.
        position: Option<QueryPosition>,
        /// The field of the condition (`monetary`, `attr.points`).
        field: String,
        /// What is wrong and what is allowed.
        reason: String,
    },

    /// An audience rule nests deeper than
    /// [`audience::MAX_RULE_DEPTH`](crate::audience::MAX_RULE_DEPTH)
    /// levels of `and`, `or` and `not` (`All`, `Any`, `Not`).
    ///
    /// Every front end (typed rules compiled or put in a campaign, JSON,
    /// query text, serialization) uses this one limit, so whatever the
    /// crate accepts it can also save and load back. Fix: flatten the rule
    /// (`a and b and c` is one level, not two).
    #[error(
        "rule nests deeper than {max} levels of and/or/not; flatten it (a and b and c is one level)"
    )]
    RuleTooDeep {
        /// The deepest rule accepted.
        max: usize,
    },

    /// A stored audience rule or campaign has a format version this rfmkit
    /// does not read.
    ///
    /// Fix: upgrade rfmkit, or store the rule in a version it reads.
    #[error(
        "rule format version {version} is not supported; this rfmkit reads version {supported}"
    )]
    UnsupportedVersion {
        /// The version found.
        version: u64,
        /// The version this rfmkit reads.
        supported: u64,
    },

    /// A BTYD input `(x, t_x, T)` or mean repeat spend is inconsistent
    /// ([`clv::Btyd::new`](crate::clv::Btyd::new)): a time that is negative
    /// or not finite, `t_x` after `T`, or `t_x > 0` with no repeat purchase.
    ///
    /// Fix the figures: `t_x` is the time from the first to the last
    /// purchase and `T` from the first purchase to the calibration end, so
    /// `0 <= t_x <= T`.
    #[error("{}{problem}", btyd_at(customer.as_ref()))]
    InvalidBtyd {
        /// The customer, when known.
        customer: Option<CustomerId>,
        /// What is wrong and what is allowed.
        problem: String,
    },

    /// The data cannot identify a predictive model's parameters: no
    /// customers, no repeat purchases, or a parameter that runs off to 0
    /// or infinity.
    ///
    /// Fix: fit on more customers or a longer calibration period; `reason`
    /// says what is missing.
    #[error("{model} fit: {reason}")]
    NotIdentified {
        /// The model's name as [`clv::ModelKind::name`](crate::clv::ModelKind::name)
        /// prints it (`"bg_nbd"`, `"gamma_gamma"`, ...); compare with
        /// `kind.name()`.
        model: &'static str,
        /// Why the data cannot identify it.
        reason: String,
    },

    /// A predictive model's computation did not converge or left the range
    /// of `f64` (a prediction horizon tens of thousands of times longer than
    /// the customer's history, or extreme parameters).
    ///
    /// Fix: use a shorter horizon, or check the parameters.
    #[error("{}{model}: {problem}", customer_at(customer.as_ref()))]
    Numerical {
        /// The model's name as [`clv::ModelKind::name`](crate::clv::ModelKind::name)
        /// prints it.
        model: &'static str,
        /// The customer, when the computation was for one.
        customer: Option<CustomerId>,
        /// What failed.
        problem: String,
    },

    /// A column of columnar input (an Arrow record batch, a Parquet file)
    /// cannot be read as orders: it is missing, named twice, or of a type
    /// that is not read (`row` is `None`), or one of its cells is bad: a
    /// null required value, an amount with more decimals than the money
    /// scale, an unknown status (`row` is the 0-based row).
    ///
    /// Fix: rename or cast the column to one of the types listed in the
    /// docs of `ingest::arrow` (feature `arrow`), or fix the row.
    #[error("{}column {column}: {problem}", row_at(*row))]
    InvalidColumn {
        /// The column's name as the input spells it.
        column: String,
        /// The 0-based row, for a bad cell.
        row: Option<usize>,
        /// What is wrong, and what is expected.
        problem: String,
    },
}

/// `row N, ` for a cell, nothing for a whole column.
fn row_at(row: Option<usize>) -> String {
    row.map_or_else(String::new, |r| format!("row {r}, "))
}

/// Where in an audience query an [`Error`] is: displayed `column N`.
///
/// # Example
///
/// ```
/// use rfmkit::audience::{Rule, Schema};
/// use rfmkit::error::{Location, QueryPosition};
///
/// let err = Rule::parse("monetary >= abc", &Schema::default()).unwrap_err();
/// assert_eq!(err.location(), Some(Location::Query(QueryPosition { offset: 12, column: 13 })));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueryPosition {
    /// 0-based byte offset into the query (for slicing the text).
    pub offset: usize,
    /// 1-based column, counted in characters (for people).
    pub column: usize,
}

impl QueryPosition {
    /// The position of byte `offset` in `query`; an offset inside a
    /// character or past the end counts the characters before it.
    #[must_use]
    pub fn in_query(query: &str, offset: usize) -> QueryPosition {
        let column = query
            .char_indices()
            .take_while(|(i, _)| *i < offset)
            .count()
            + 1;
        QueryPosition { offset, column }
    }
}

impl std::fmt::Display for QueryPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {}", self.column)
    }
}

/// `column N: ` for a position, nothing without one.
fn at(position: Option<&QueryPosition>) -> String {
    position.map_or_else(String::new, |p| format!("{p}: "))
}

/// `customer C: ` for a customer, `btyd input: ` without one.
fn btyd_at(customer: Option<&CustomerId>) -> String {
    customer.map_or_else(|| "btyd input: ".to_owned(), |c| format!("customer {c}: "))
}

/// `customer C: ` for a customer, nothing without one.
fn customer_at(customer: Option<&CustomerId>) -> String {
    customer.map_or_else(String::new, |c| format!("customer {c}: "))
}

/// `; did you mean 'x'?` for a suggestion, nothing without one.
fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion.map_or_else(String::new, |s| format!("; did you mean '{s}'?"))
}

/// Where an [`Error`] happened, as returned by [`Error::location`].
///
/// # Example
///
/// ```
/// use rfmkit::error::Location;
/// use rfmkit::{Error, OrderId};
///
/// let err = Error::DuplicateOrderId { index: 3, order_id: OrderId::from("A-7"), first_index: 1 };
/// assert_eq!(err.location(), Some(Location::Order { index: 3, order_id: OrderId::from("A-7") }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// An order in the input, by 0-based position and id.
    Order {
        /// 0-based position of the order in the input.
        index: usize,
        /// The order's id.
        order_id: OrderId,
    },
    /// A customer, by id.
    Customer(CustomerId),
    /// A configuration key.
    Field(String),
    /// A position in an audience query.
    Query(QueryPosition),
    /// A segment, by name.
    Segment(String),
    /// A column of columnar input, and the 0-based row of a bad cell.
    Column {
        /// The column's name.
        column: String,
        /// The 0-based row, for a bad cell.
        row: Option<usize>,
    },
}

impl Error {
    /// The location the error names, if it names one.
    ///
    /// Order errors give [`Location::Order`], customer errors
    /// [`Location::Customer`], configuration errors [`Location::Field`],
    /// segment totals [`Location::Segment`] and
    /// audience query errors [`Location::Query`] (when the rule came from
    /// query text); BTYD input and numerical errors give
    /// [`Location::Customer`] when they name one; errors about a value, a
    /// date pair or a whole model fit give `None`.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::error::Location;
    /// use rfmkit::rfm::ScoringConfig;
    ///
    /// let err = ScoringConfig::builder().bins(1).build().unwrap_err();
    /// assert_eq!(err.location(), Some(Location::Field("bins".into())));
    /// ```
    #[must_use]
    pub fn location(&self) -> Option<Location> {
        match self {
            Error::OrderAfterAsOf {
                index, order_id, ..
            }
            | Error::InvalidAmount {
                index, order_id, ..
            }
            | Error::DuplicateOrderId {
                index, order_id, ..
            }
            | Error::UnknownCustomer {
                index, order_id, ..
            } => Some(Location::Order {
                index: *index,
                order_id: order_id.clone(),
            }),
            Error::DuplicateCustomer { customer }
            | Error::Overflow { customer }
            | Error::NoPurchase { customer } => Some(Location::Customer(customer.clone())),
            Error::InvalidConfig { field, .. } => Some(Location::Field(field.clone())),
            Error::SegmentOverflow { segment } => Some(Location::Segment(segment.clone())),
            Error::QueryParse { position, .. } => Some(Location::Query(*position)),
            Error::UnknownField { position, .. }
            | Error::UnknownSegment { position, .. }
            | Error::InvalidRule { position, .. } => position.map(Location::Query),
            Error::AsOfMismatch { .. } | Error::OutOfRange { .. } | Error::ParseMoney { .. } => {
                None
            }
            Error::UnsupportedVersion { .. }
            | Error::NotIdentified { .. }
            | Error::RuleTooDeep { .. } => None,
            Error::InvalidBtyd { customer, .. } | Error::Numerical { customer, .. } => {
                customer.clone().map(Location::Customer)
            }
            Error::InvalidColumn { column, row, .. } => Some(Location::Column {
                column: column.clone(),
                row: *row,
            }),
        }
    }

    /// Builds an [`Error::InvalidConfig`].
    pub(crate) fn config(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::InvalidConfig {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_static() {
        fn assert_traits<T: Send + Sync + 'static + std::error::Error>() {}
        assert_traits::<Error>();
    }

    #[test]
    fn invalid_amount_message_names_order_and_rule() {
        let err = Error::InvalidAmount {
            index: 12,
            order_id: OrderId::from("A-991"),
            amount: Money::new(-500),
            status: OrderStatus::Completed,
        };
        assert_eq!(
            err.to_string(),
            "order #12 (id A-991): amount -500 has the wrong sign for a completed order; \
             a completed order's amount must be >= 0"
        );
    }

    #[test]
    fn config_error_location_is_its_field() {
        let err = Error::config("rules[2].f", "min 4 > max 3");
        assert_eq!(err.location(), Some(Location::Field("rules[2].f".into())));
        assert_eq!(err.to_string(), "config rules[2].f: min 4 > max 3");
    }
}
