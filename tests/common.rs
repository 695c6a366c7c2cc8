//! Small builders shared by the test modules.
#![allow(dead_code)]

use chrono::{Days, NaiveDate};
use rfmkit::order::OrderStatus;
use rfmkit::rfm::{RfmScore, Score, Scores};
use rfmkit::summary::Summaries;
use rfmkit::{Money, Order};

/// A date in 2025.
pub fn d(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, month, day).unwrap()
}

/// `days` days before `date`.
pub fn before(date: NaiveDate, days: u64) -> NaiveDate {
    date - Days::new(days)
}

/// `days` days after `date`.
pub fn after(date: NaiveDate, days: u64) -> NaiveDate {
    date + Days::new(days)
}

/// A completed order.
pub fn buy(id: &str, customer: &str, date: NaiveDate, amount: i64) -> Order {
    Order::new(id, customer, date, Money::new(amount))
}

/// A returned order (the refund, `amount <= 0` when valid).
pub fn refund(id: &str, customer: &str, date: NaiveDate, amount: i64) -> Order {
    buy(id, customer, date, amount).with_status(OrderStatus::Returned)
}

/// A cancelled order.
pub fn cancel(id: &str, customer: &str, date: NaiveDate, amount: i64) -> Order {
    buy(id, customer, date, amount).with_status(OrderStatus::Cancelled)
}

/// A cell `r-f-m`.
pub fn cell(r: u8, f: u8, m: u8) -> RfmScore {
    RfmScore::new(
        Score::new(r).unwrap(),
        Score::new(f).unwrap(),
        Score::new(m).unwrap(),
    )
}

/// Orders for customers given as `(id, recency_days, frequency, monetary)`:
/// `frequency` completed orders on consecutive distinct days, the last one
/// `recency_days` before `as_of`; the most recent order carries the whole
/// (non-negative) monetary value and the others are 0. A negative monetary
/// value is a purchase of 0 plus a refund of that amount on the same day.
pub fn population(as_of: NaiveDate, spec: &[(&str, u64, u64, i64)]) -> Vec<Order> {
    let mut orders = Vec::new();
    for &(id, recency, frequency, monetary) in spec {
        for j in 0..frequency {
            let date = before(as_of, recency + j);
            let amount = if j == 0 { monetary.max(0) } else { 0 };
            orders.push(buy(&format!("{id}-{j}"), id, date, amount));
        }
        if monetary < 0 {
            orders.push(refund(
                &format!("{id}-R"),
                id,
                before(as_of, recency),
                monetary,
            ));
        }
    }
    orders
}

/// Summaries of [`population`].
pub fn summaries(as_of: NaiveDate, spec: &[(&str, u64, u64, i64)]) -> Summaries {
    Summaries::from_orders(&population(as_of, spec), as_of).unwrap()
}

/// `(customer, "r-f-m")` for every scored customer, in id order.
pub fn cells(scores: &Scores) -> Vec<(String, String)> {
    scores
        .iter()
        .map(|c| (c.customer.to_string(), c.score.to_string()))
        .collect()
}

/// `[(id, cell)]` literals as owned strings, to compare with [`cells`].
pub fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|&(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
}

/// One dimension's scores (0 = R, 1 = F, 2 = M), in id order.
pub fn dim(scores: &Scores, which: usize) -> Vec<u8> {
    scores
        .iter()
        .map(|c| match which {
            0 => c.score.r.get(),
            1 => c.score.f.get(),
            _ => c.score.m.get(),
        })
        .collect()
}

/// Asserts two floats agree to 1e-12.
#[track_caller]
pub fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
}

/// Asserts an optional float agrees to 1e-12.
#[track_caller]
pub fn close_opt(got: Option<f64>, want: Option<f64>) {
    match (got, want) {
        (Some(g), Some(w)) => close(g, w),
        (None, None) => {}
        _ => panic!("got {got:?}, want {want:?}"),
    }
}
