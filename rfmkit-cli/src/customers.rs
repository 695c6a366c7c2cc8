//! The customers file: records for audience rules (`--customers`).
//!
//! # Customers CSV format
//!
//! A header row, then one customer per row; columns by name, in any order,
//! as in the order file (case-insensitive, BOM, CRLF, quoting, trimmed
//! cells). Only `customer_id` is required; an empty cell means "not known".
//!
//! | column | meaning |
//! |---|---|
//! | `customer_id` | the customer; unique |
//! | `signup_date` | `YYYY-MM-DD` |
//! | `birthday` | `MM-DD` or `YYYY-MM-DD` (the year is ignored) |
//! | `acquisition_channel` | how the customer was acquired |
//! | `email_opt_in`, `sms_opt_in` | `true`/`false`, `yes`/`no` or `1`/`0`; empty is `false` (never contact without consent) |
//! | `tags` | tags separated by `;` (`vip;newsletter`) |
//! | `attr.NAME` | a custom attribute `NAME`, typed per column: numbers if every non-empty cell is a number, `true`/`false` if every one is, dates if every one is `YYYY-MM-DD`, else text |
//!
//! Other columns are ignored.

use std::fs::File;
use std::path::Path;

use anyhow::Result;
use rfmkit::customer::{AttributeValue, Birthday, Customer, Customers};

use crate::load::{FileError, Header, parse_date, reader_builder};

/// The type of an `attr.*` column, from all its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AttrType {
    Number,
    Bool,
    Date,
    Text,
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

fn parse_number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn parse_birthday(text: &str) -> Option<Birthday> {
    let month_day = match text.len() {
        5 => text,
        10 => {
            parse_date(text)?;
            text.get(5..)?
        }
        _ => return None,
    };
    let (m, d) = month_day.split_once('-')?;
    if m.len() != 2 || d.len() != 2 {
        return None;
    }
    Birthday::new(m.parse().ok()?, d.parse().ok()?).ok()
}

/// Reads a customers file.
///
/// # Errors
///
/// The file cannot be read, a bad header, or a malformed cell (naming the
/// line and column), or a repeated customer id.
pub fn load_customers(path: &Path) -> Result<Customers> {
    let file =
        File::open(path).map_err(|e| FileError(format!("{}: cannot read: {e}", path.display())))?;
    let mut reader = reader_builder().from_reader(std::io::BufReader::new(file));
    let mut records = reader.records();
    let header_record = match records.next() {
        Some(Ok(record)) => record.into_byte_record(),
        Some(Err(e)) => {
            return Err(
                FileError(format!("{}: cannot read the header: {e}", path.display())).into(),
            );
        }
        None => csv::ByteRecord::new(),
    };
    let header = Header::new(path, &header_record)?;
    let id = header.required("customer_id")?;
    let signup = header.position("signup_date")?;
    let birthday = header.position("birthday")?;
    let channel = header.position("acquisition_channel")?;
    let email = header.position("email_opt_in")?;
    let sms = header.position("sms_opt_in")?;
    let tags = header.position("tags")?;
    let mut attrs: Vec<(usize, String)> = Vec::new();
    for (i, name) in header.names().iter().enumerate() {
        if let Some(attr) = name
            .strip_prefix("attr.")
            .or_else(|| name.strip_prefix("ATTR."))
        {
            if attrs.iter().any(|(_, a)| a == attr) {
                return Err(FileError(format!(
                    "{} line 1: column {name:?} appears twice; keep one",
                    path.display()
                ))
                .into());
            }
            attrs.push((i, attr.to_owned()));
        }
    }

    let mut rows: Vec<(u64, csv::StringRecord)> = Vec::new();
    for record in records {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            FileError(format!("{} line {line}: {e}", path.display()))
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() != header.names().len() {
            return Err(FileError(format!(
                "{} line {line}: has {} fields but the header has {}",
                path.display(),
                record.len(),
                header.names().len()
            ))
            .into());
        }
        rows.push((line, record));
    }
    let cell = |record: &csv::StringRecord, i: usize| record.get(i).unwrap_or_default().to_owned();
    let types: Vec<AttrType> = attrs
        .iter()
        .map(|&(i, _)| {
            let cells: Vec<String> = rows
                .iter()
                .map(|(_, r)| cell(r, i))
                .filter(|c| !c.is_empty())
                .collect();
            if cells.iter().all(|c| parse_number(c).is_some()) {
                AttrType::Number
            } else if cells.iter().all(|c| parse_bool(c).is_some()) {
                AttrType::Bool
            } else if cells.iter().all(|c| parse_date(c).is_some()) {
                AttrType::Date
            } else {
                AttrType::Text
            }
        })
        .collect();

    let mut customers = Vec::with_capacity(rows.len());
    for (line, record) in &rows {
        let at = |i: usize, problem: String| {
            let name = header.names().get(i).map_or("", String::as_str);
            FileError(format!(
                "{} line {line}, column {} ({name}): {problem}",
                path.display(),
                i + 1
            ))
        };
        let get = |i: Option<usize>| {
            i.map(|i| (i, cell(record, i)))
                .filter(|(_, c)| !c.is_empty())
        };
        let customer_id = cell(record, id);
        if customer_id.is_empty() {
            return Err(at(id, "customer_id is empty".to_owned()).into());
        }
        let mut customer = Customer::new(customer_id.as_str());
        if let Some((i, text)) = get(signup) {
            let date = parse_date(&text)
                .ok_or_else(|| at(i, format!("{text:?} is not a date (YYYY-MM-DD)")))?;
            customer = customer.with_signup_date(date);
        }
        if let Some((i, text)) = get(birthday) {
            let b = parse_birthday(&text).ok_or_else(|| {
                at(
                    i,
                    format!("{text:?} is not a birthday (MM-DD or YYYY-MM-DD)"),
                )
            })?;
            customer = customer.with_birthday(b);
        }
        if let Some((_, text)) = get(channel) {
            customer = customer.with_acquisition_channel(text.as_str());
        }
        for (column, set) in [(email, true), (sms, false)] {
            if let Some((i, text)) = get(column) {
                let v = parse_bool(&text)
                    .ok_or_else(|| at(i, format!("{text:?} is not true or false")))?;
                customer = if set {
                    customer.with_email_opt_in(v)
                } else {
                    customer.with_sms_opt_in(v)
                };
            }
        }
        if let Some((_, text)) = get(tags) {
            for tag in text.split(';').map(str::trim).filter(|t| !t.is_empty()) {
                customer = customer.with_tag(tag);
            }
        }
        for (&(i, ref name), ty) in attrs.iter().zip(&types) {
            let Some((_, text)) = get(Some(i)) else {
                continue;
            };
            let value = match ty {
                AttrType::Number => parse_number(&text).map(AttributeValue::Number),
                AttrType::Bool => parse_bool(&text).map(AttributeValue::Bool),
                AttrType::Date => parse_date(&text).map(AttributeValue::Date),
                AttrType::Text => Some(AttributeValue::String(text.clone())),
            }
            .ok_or_else(|| at(i, format!("{text:?} does not match the column's type")))?;
            customer = customer.with_attribute(name.as_str(), value);
        }
        customers.push(customer);
    }
    Customers::new(customers).map_err(|e| FileError(format!("{}: {e}", path.display())).into())
}
