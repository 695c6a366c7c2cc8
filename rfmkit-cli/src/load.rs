//! Order files → the library's ingest stage.
//!
//! # Order CSV format
//!
//! A header row, then one order per row. Columns are found by header name
//! (ASCII case-insensitive, surrounding spaces and a UTF-8 byte-order mark
//! ignored), in any order; unknown columns are ignored, a known column
//! named twice is an error. Rows may end in LF or CRLF; fields may be
//! quoted (`"1,200.00"`, `"say ""hi"""`); cells are trimmed of surrounding
//! spaces; blank lines are skipped and do not shift line numbers.
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `customer_id` | yes | the customer; must not be empty |
//! | `order_date` | yes | a date `YYYY-MM-DD`, or a timestamp (see below) |
//! | `amount` | yes | a decimal such as `29.33` or `-5.00`, at most `--scale` decimals (more is an error, never rounded) |
//! | `order_id` | no | the order's id; ids must be unique; empty means none |
//! | `status` | no | `completed`, `returned` or `cancelled` (any case); if absent or empty, a negative amount is a return and any other a completed order |
//! | `channel` | no | the sales channel; empty means none |
//! | `store` | no | the store; empty means none |
//! | `cost` | no | the cost of goods sold, a decimal like `amount`; empty means unknown |
//!
//! # Timestamps and the shop's day
//!
//! `order_date` may be a timestamp: `2025-01-05 10:00`, `2025-01-05
//! 10:00:00`, `2025-01-05T10:00:00.123`, optionally followed by `Z` or a
//! UTC offset (`+09:00`, `+0900`, `+09`, `-05:00`). rfmkit counts days in
//! the shop's calendar:
//!
//! - a timestamp **with** an offset or `Z` is converted to the shop's time
//!   zone, given with `--timezone` (an IANA name such as `Asia/Tokyo`, or a
//!   fixed offset such as `+09:00`), and its day there is the order's day:
//!   `2025-01-05T23:30:00+09:00` is 5 January in Tokyo and 5 January 14:30
//!   in UTC, `2025-01-05T15:30:00Z` is 6 January in Tokyo. Without
//!   `--timezone` such a row is an error (the tool never guesses the shop's
//!   zone);
//! - a timestamp **without** an offset (a naive one) is taken as already
//!   in the shop's time zone: its date is the day, whatever `--timezone`
//!   says;
//! - a date is the day.
//!
//! # Errors
//!
//! Every malformed row is an error naming the file, the line (the physical
//! line where the row starts, 1-based, the header being line 1) and the
//! column: `orders.csv line 4, column 3 (order_date): "2025-13-01" is not a
//! date ...`. With `--lenient` such rows are skipped and listed instead.
//!
//! # Design
//!
//! [`parse_records`] reads rows from any [`csv::Reader`] and pushes them into
//! a [`LogBuilder`] as borrowed [`OrderRecord`]s: nothing is allocated per
//! row (the csv reader reuses one [`csv::ByteRecord`]; ids are interned by
//! the library). [`parse_chunk`] runs it on a byte slice of whole rows with
//! a known first line.
//!
//! [`load_orders`] reads the file in blocks of whole lines and splits rows
//! on commas itself while they hold no quote (the fast path), lines and
//! cells in one sweep; each block's rows are parsed in pieces into
//! [`OrderBatch`]es on the current rayon pool's threads (`Piece`) and
//! pushed in file order on the calling thread, while the next block is
//! read and parsed, so the log, the skipped rows and the first error are
//! those of a sequential read. A piece is checked for quotes, carriage
//! returns and UTF-8 once, not line by line or cell by cell. From the
//! first row with a quote on, the csv reader reads the rest.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context as _, Result};
use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset as _, TimeZone as _};
use rfmkit::Money;
use rfmkit::error::Location;
use rfmkit::ingest::{IngestConfig, LogBuilder, OrderBatch, OrderLog, OrderRecord};
use rfmkit::order::OrderStatus;

/// The shop's time zone, from `--timezone`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopZone {
    /// A fixed offset such as `+09:00` (or `UTC`).
    Fixed(FixedOffset),
    /// An IANA zone such as `Asia/Tokyo`, with its daylight-saving rules.
    Named(chrono_tz::Tz),
}

impl FromStr for ShopZone {
    type Err = String;

    fn from_str(text: &str) -> Result<ShopZone, String> {
        if text.eq_ignore_ascii_case("utc") || text == "Z" {
            return Ok(ShopZone::Fixed(FixedOffset::east_opt(0).ok_or("offset")?));
        }
        if text.starts_with(['+', '-']) {
            return parse_offset(text.as_bytes())
                .map(ShopZone::Fixed)
                .ok_or_else(|| format!("{text:?} is not an offset; use +HH:MM such as +09:00"));
        }
        text.parse::<chrono_tz::Tz>().map(ShopZone::Named).map_err(|_| {
            format!(
                "{text:?} is not a time zone; use an IANA name such as Asia/Tokyo or an offset such as +09:00"
            )
        })
    }
}

impl ShopZone {
    /// The shop's calendar day of a UTC instant.
    fn day_of(self, utc: NaiveDateTime) -> NaiveDate {
        match self {
            ShopZone::Fixed(offset) => offset.from_utc_datetime(&utc).date_naive(),
            ShopZone::Named(tz) => tz.from_utc_datetime(&utc).date_naive(),
        }
    }
}

/// Parses `+HH:MM`, `+HHMM` or `+HH` (or `-`), at most ±23:59.
fn parse_offset(text: &[u8]) -> Option<FixedOffset> {
    let (sign, rest) = match text.split_first()? {
        (b'+', rest) => (1, rest),
        (b'-', rest) => (-1, rest),
        _ => return None,
    };
    let (hours, minutes) = match rest {
        [h1, h2] => (two(*h1, *h2)?, 0),
        [h1, h2, m1, m2] | [h1, h2, b':', m1, m2] => (two(*h1, *h2)?, two(*m1, *m2)?),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * i32::try_from(hours * 3600 + minutes * 60).ok()?)
}

/// Two ASCII digits as a number.
fn two(a: u8, b: u8) -> Option<u32> {
    (a.is_ascii_digit() && b.is_ascii_digit())
        .then(|| u32::from(a - b'0') * 10 + u32::from(b - b'0'))
}

/// Parses a date written exactly `YYYY-MM-DD`, rejecting impossible dates
/// such as `2025-02-30`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    match text.as_bytes() {
        [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] => {
            let year = two(*y1, *y2)? * 100 + two(*y3, *y4)?;
            NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, two(*m1, *m2)?, two(*d1, *d2)?)
        }
        _ => None,
    }
}

/// Parses `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff…` (fraction ignored).
fn parse_time(text: &[u8]) -> Option<NaiveTime> {
    let (hm, rest) = text.split_at_checked(5)?;
    let (h, m) = match hm {
        [h1, h2, b':', m1, m2] => (two(*h1, *h2)?, two(*m1, *m2)?),
        _ => return None,
    };
    let s = match rest {
        [] => 0,
        [b':', s1, s2, fraction @ ..] => {
            match fraction {
                [] => {}
                [b'.', digits @ ..]
                    if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {}
                _ => return None,
            }
            two(*s1, *s2)?
        }
        _ => return None,
    };
    NaiveTime::from_hms_opt(h, m, s)
}

/// The shop day of an `order_date` cell: a date, a naive timestamp (already
/// in the shop's zone) or a timestamp with `Z` / an offset (converted to
/// `zone`). The error is the problem, without the location.
pub fn parse_order_date(text: &str, zone: Option<ShopZone>) -> Result<NaiveDate, String> {
    let bad = || {
        format!(
            "{text:?} is not a date or timestamp; use YYYY-MM-DD, \"YYYY-MM-DD HH:MM:SS\" or \
             YYYY-MM-DDTHH:MM:SS+09:00"
        )
    };
    let bytes = text.as_bytes();
    let (date_part, rest) = bytes.split_at_checked(10).unwrap_or((bytes, &[]));
    let date = std::str::from_utf8(date_part)
        .ok()
        .and_then(parse_date)
        .ok_or_else(bad)?;
    let Some((sep, rest)) = rest.split_first() else {
        return Ok(date);
    };
    if !matches!(sep, b' ' | b'T' | b't') {
        return Err(bad());
    }
    // The time runs up to the offset: `Z`, `+`, `-` or a space before one.
    let end = rest
        .iter()
        .position(|b| matches!(b, b'Z' | b'z' | b'+' | b'-' | b' '))
        .unwrap_or(rest.len());
    let (time_part, offset_part) = rest.split_at(end);
    let time = parse_time(time_part).ok_or_else(bad)?;
    let offset_part = offset_part.strip_prefix(b" ").unwrap_or(offset_part);
    let offset = match offset_part {
        [] => return Ok(date),
        [b'Z' | b'z'] => FixedOffset::east_opt(0).ok_or_else(bad)?,
        _ => parse_offset(offset_part).ok_or_else(bad)?,
    };
    let Some(zone) = zone else {
        return Err(format!(
            "{text:?} has a UTC offset, so its day depends on the shop's time zone; \
             pass --timezone (e.g. Asia/Tokyo or +09:00)"
        ));
    };
    let utc = date.and_time(time) - offset.fix();
    Ok(zone.day_of(utc))
}

/// How to read order cells.
#[derive(Debug, Clone, Copy)]
pub struct ParseOptions {
    /// Currency decimals of `amount` and `cost`.
    pub scale: u32,
    /// The shop's zone for timestamps with an offset.
    pub zone: Option<ShopZone>,
    /// Skip malformed rows (listing them) instead of failing.
    pub lenient: bool,
}

/// The known columns of an order file and where they are.
#[derive(Debug, Clone)]
pub struct OrderColumns {
    customer_id: usize,
    order_date: usize,
    amount: usize,
    order_id: Option<usize>,
    status: Option<usize>,
    channel: Option<usize>,
    store: Option<usize>,
    cost: Option<usize>,
    /// The header's names, trimmed, for messages.
    names: Vec<String>,
}

/// A header problem or an unreadable file.
#[derive(Debug)]
pub struct FileError(pub String);

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FileError {}

/// Finds named columns in a header row: trimmed, ASCII case-insensitive, a
/// leading byte-order mark ignored.
#[derive(Debug)]
pub struct Header {
    names: Vec<String>,
    path: PathBuf,
}

impl Header {
    /// The header row of `path`.
    pub fn new(path: &Path, record: &csv::ByteRecord) -> Result<Header, FileError> {
        let mut names = Vec::with_capacity(record.len());
        for (i, field) in record.iter().enumerate() {
            let name = std::str::from_utf8(field).map_err(|_| {
                FileError(format!(
                    "{} line 1: header column {} is not valid UTF-8; save the file as UTF-8",
                    path.display(),
                    i + 1
                ))
            })?;
            let name = if i == 0 {
                name.trim_start_matches('\u{feff}')
            } else {
                name
            };
            names.push(name.trim().to_owned());
        }
        Ok(Header {
            names,
            path: path.to_owned(),
        })
    }

    /// The position of `column`, if present.
    ///
    /// # Errors
    ///
    /// If the column appears more than once.
    pub fn position(&self, column: &str) -> Result<Option<usize>, FileError> {
        let mut found = self
            .names
            .iter()
            .enumerate()
            .filter(|(_, name)| name.eq_ignore_ascii_case(column))
            .map(|(i, _)| i);
        let first = found.next();
        if let Some(second) = found.next() {
            return Err(FileError(format!(
                "{} line 1: column {column:?} appears twice (columns {} and {}); keep one",
                self.path.display(),
                first.map_or(0, |i| i + 1),
                second + 1
            )));
        }
        Ok(first)
    }

    /// The position of a required column.
    ///
    /// # Errors
    ///
    /// If the column is missing or appears more than once.
    pub fn required(&self, column: &str) -> Result<usize, FileError> {
        self.position(column)?.ok_or_else(|| {
            if self.names.iter().all(String::is_empty) {
                FileError(format!(
                    "{}: missing column {column:?} (the file has no header row)",
                    self.path.display()
                ))
            } else {
                FileError(format!(
                    "{}: missing column {column:?} (header: {})",
                    self.path.display(),
                    self.names.join(",")
                ))
            }
        })
    }

    /// The column names, trimmed.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

impl OrderColumns {
    /// The order columns of a header row.
    ///
    /// # Errors
    ///
    /// A missing required column or a known column named twice.
    pub fn find(path: &Path, record: &csv::ByteRecord) -> Result<OrderColumns, FileError> {
        let header = Header::new(path, record)?;
        Ok(OrderColumns {
            customer_id: header.required("customer_id")?,
            order_date: header.required("order_date")?,
            amount: header.required("amount")?,
            order_id: header.position("order_id")?,
            status: header.position("status")?,
            channel: header.position("channel")?,
            store: header.position("store")?,
            cost: header.position("cost")?,
            names: header.names,
        })
    }

    /// `column 3 (order_date)`.
    fn describe(&self, i: usize) -> String {
        match self.names.get(i) {
            Some(name) => format!("column {} ({name})", i + 1),
            None => format!("column {}", i + 1),
        }
    }
}

/// A malformed row: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The 1-based line where the row starts.
    pub line: u64,
    /// `column 3 (order_date)`, when one cell is at fault.
    pub column: Option<String>,
    /// What is wrong, and how to fix it.
    pub problem: String,
}

impl RowProblem {
    /// `orders.csv line 4, column 3 (order_date): …`.
    pub fn message(&self, path: &Path) -> String {
        self.message_in(path, "line")
    }

    /// As [`message`](Self::message), counting in `unit` (`line`, `row`).
    pub fn message_in(&self, path: &Path, unit: &str) -> String {
        match &self.column {
            Some(column) => format!(
                "{} {unit} {}, {column}: {}",
                path.display(),
                self.line,
                self.problem
            ),
            None => format!("{} {unit} {}: {}", path.display(), self.line, self.problem),
        }
    }
}

/// Maps push positions (the library's 0-based order `index`) back to lines,
/// storing only the places where the next row is not on the next line
/// (blank lines, multi-line fields, skipped rows). For a Parquet file
/// ([`LineMap::rows`]) the "lines" are 0-based row indices.
#[derive(Debug, Clone, Default)]
pub struct LineMap {
    /// (push index, line) where a run of consecutive lines starts.
    jumps: Vec<(usize, u64)>,
    next_index: usize,
    next_line: u64,
    /// Whether the lines are 0-based row indices (a Parquet file).
    rows: bool,
}

impl LineMap {
    /// The map of a file of `count` rows each pushed once, in order: push
    /// index `i` is row `i` (0-based), named "row" in messages.
    pub fn rows(count: usize) -> LineMap {
        LineMap {
            jumps: vec![(0, 0)],
            next_index: count,
            next_line: u64::try_from(count).unwrap_or(u64::MAX),
            rows: true,
        }
    }

    /// What the map's numbers are: `line` (1-based CSV lines) or `row`
    /// (0-based Parquet rows).
    pub fn unit(&self) -> &'static str {
        if self.rows { "row" } else { "line" }
    }

    fn record(&mut self, line: u64) {
        self.record_run(line, 1);
    }

    /// Records `count` rows on consecutive lines from `line` on.
    fn record_run(&mut self, line: u64, count: usize) {
        if count == 0 {
            return;
        }
        if self.jumps.is_empty() || line != self.next_line {
            self.jumps.push((self.next_index, line));
        }
        self.next_index += count;
        self.next_line = line + u64::try_from(count).unwrap_or(u64::MAX);
    }

    /// The line of the row pushed at `index`.
    pub fn line(&self, index: usize) -> Option<u64> {
        if index >= self.next_index {
            return None;
        }
        let at = self.jumps.partition_point(|&(i, _)| i <= index);
        let &(start, line) = self.jumps.get(at.checked_sub(1)?)?;
        Some(line + u64::try_from(index - start).ok()?)
    }
}

/// What loading gathered besides the rows themselves.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Push index → line.
    pub lines: LineMap,
    /// Malformed rows skipped under `--lenient`, in file order.
    pub skipped: Vec<RowProblem>,
    /// Data rows read (pushed or skipped).
    pub rows: u64,
}

/// Parses rows from `reader` (positioned after the header) and pushes them
/// into `builder`. `line_offset` is added to the reader's own line numbers
/// (0 when the reader starts at the top of the file).
///
/// # Errors
///
/// Strict mode: the first malformed row, or the library's error for the
/// first invalid order, each naming file and line. Both modes: a read error.
pub fn parse_records<R: Read>(
    path: &Path,
    reader: &mut csv::Reader<R>,
    line_offset: u64,
    columns: &OrderColumns,
    options: ParseOptions,
    builder: &mut LogBuilder<'_>,
    loaded: &mut Loaded,
) -> Result<()> {
    let mut record = csv::ByteRecord::new();
    let mut cache = DateCache::default();
    loop {
        let line_before = reader.position().line() + line_offset;
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                let line = err
                    .position()
                    .map_or(line_before, |p| p.line() + line_offset);
                if matches!(err.kind(), csv::ErrorKind::Io(_)) {
                    return Err(anyhow::Error::new(err))
                        .with_context(|| format!("{}: cannot read", path.display()));
                }
                let problem = RowProblem {
                    line,
                    column: None,
                    problem: err.to_string(),
                };
                skip_or_fail(path, options, loaded, problem)?;
                continue;
            }
        }
        let line = record
            .position()
            .map_or(line_before, |p| p.line() + line_offset);
        push_cells(
            path, &record, line, columns, options, &mut cache, builder, loaded,
        )?;
    }
    Ok(())
}

/// Validates one split row and pushes it into `builder`: the common tail of
/// the csv reader's path and the fast path.
#[allow(clippy::too_many_arguments)]
fn push_cells<'r>(
    path: &Path,
    cells: impl Cells<'r>,
    line: u64,
    columns: &OrderColumns,
    options: ParseOptions,
    cache: &mut DateCache,
    builder: &mut LogBuilder<'_>,
    loaded: &mut Loaded,
) -> Result<()> {
    loaded.rows += 1;
    let order = match columns.record(cells, line, options, cache) {
        Ok(order) => order,
        Err(problem) => return skip_or_fail(path, options, loaded, problem),
    };
    loaded.lines.record(line);
    builder
        .push_record(order)
        .map_err(|err| FileError(library_message(path, &loaded.lines, &err)).into())
}

fn skip_or_fail(
    path: &Path,
    options: ParseOptions,
    loaded: &mut Loaded,
    problem: RowProblem,
) -> Result<()> {
    if options.lenient {
        loaded.skipped.push(problem);
        Ok(())
    } else {
        Err(FileError(problem.message(path)).into())
    }
}

/// Parses a chunk of whole rows (no header) whose first row starts on line
/// `first_line` of `path` through the csv reader (quoting allowed). The
/// loader itself parses pieces of blocks on its fast path (`parse_piece`);
/// today only the tests call this.
///
/// # Errors
///
/// As [`parse_records`].
#[cfg_attr(not(test), allow(dead_code))]
pub fn parse_chunk(
    path: &Path,
    chunk: &[u8],
    first_line: u64,
    columns: &OrderColumns,
    options: ParseOptions,
    builder: &mut LogBuilder<'_>,
    loaded: &mut Loaded,
) -> Result<()> {
    let mut reader = reader_builder().from_reader(chunk);
    parse_records(
        path,
        &mut reader,
        first_line.saturating_sub(1),
        columns,
        options,
        builder,
        loaded,
    )
}

/// The csv reader settings of every order and customer file: no header
/// handling (the first record is read as the header), trimmed cells, rows
/// of any length (checked per row, so the message names the line).
pub fn reader_builder() -> csv::ReaderBuilder {
    let mut builder = csv::ReaderBuilder::new();
    builder
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All);
    builder
}

/// The last `order_date` text and its day: exports are usually sorted by
/// time, so consecutive rows often share a date.
#[derive(Debug, Default)]
struct DateCache {
    text: Vec<u8>,
    day: Option<NaiveDate>,
}

impl DateCache {
    /// The cached day, if `text` is the cached date's text. Dates of 10
    /// bytes compare as fixed-size arrays, inline (a call to `memcmp` on
    /// every row costs more than the comparison).
    fn get(&self, text: &[u8]) -> Option<NaiveDate> {
        let same = match (text.first_chunk::<10>(), self.text.first_chunk::<10>()) {
            (Some(a), Some(b)) if text.len() == 10 && self.text.len() == 10 => a == b,
            _ => self.text == text,
        };
        self.day.filter(|_| same)
    }
}

/// The trimmed cells of one data row, however it was split: by the csv
/// reader or by the fast path's split on commas.
trait Cells<'r>: Copy {
    /// The number of cells.
    fn len(self) -> usize;
    /// Cell `i` (empty past the end).
    fn get(self, i: usize) -> &'r [u8];
    /// Cell `i` as text.
    fn text(self, i: usize) -> Result<&'r str, std::str::Utf8Error> {
        std::str::from_utf8(self.get(i))
    }
}

/// Cells of a row already known to be UTF-8 (split from a `str`).
impl<'r> Cells<'r> for &[&'r str] {
    fn len(self) -> usize {
        <[&str]>::len(self)
    }
    fn get(self, i: usize) -> &'r [u8] {
        self.text(i).map(str::as_bytes).unwrap_or_default()
    }
    fn text(self, i: usize) -> Result<&'r str, std::str::Utf8Error> {
        Ok(<[&str]>::get(self, i).copied().unwrap_or_default())
    }
}

impl<'r> Cells<'r> for &'r csv::ByteRecord {
    fn len(self) -> usize {
        csv::ByteRecord::len(self)
    }
    fn get(self, i: usize) -> &'r [u8] {
        csv::ByteRecord::get(self, i).unwrap_or_default()
    }
}

impl<'r> Cells<'r> for &[&'r [u8]] {
    fn len(self) -> usize {
        <[&[u8]]>::len(self)
    }
    fn get(self, i: usize) -> &'r [u8] {
        <[&[u8]]>::get(self, i).copied().unwrap_or_default()
    }
}

impl OrderColumns {
    /// The order in one data row, borrowing the row's cells.
    fn record<'r>(
        &self,
        record: impl Cells<'r>,
        line: u64,
        options: ParseOptions,
        cache: &mut DateCache,
    ) -> Result<OrderRecord<'r>, RowProblem> {
        let problem = |column: Option<usize>, problem: String| RowProblem {
            line,
            column: column.map(|i| self.describe(i)),
            problem,
        };
        if record.len() != self.names.len() {
            let hint = if record.len() > self.names.len() {
                "; quote values that contain a comma"
            } else {
                ""
            };
            return Err(problem(
                None,
                format!(
                    "has {} fields but the header has {}{hint}",
                    record.len(),
                    self.names.len()
                ),
            ));
        }
        let cell = |i: usize| -> Result<&'r str, RowProblem> {
            record.text(i).map_err(|_| {
                problem(
                    Some(i),
                    "is not valid UTF-8; save the file as UTF-8".to_owned(),
                )
            })
        };
        let optional = |i: Option<usize>| -> Result<Option<&'r str>, RowProblem> {
            match i {
                Some(i) => cell(i).map(|s| Some(s).filter(|s| !s.is_empty())),
                None => Ok(None),
            }
        };
        let customer = cell(self.customer_id)?;
        if customer.is_empty() {
            return Err(problem(
                Some(self.customer_id),
                "customer_id is empty".to_owned(),
            ));
        }
        let date_text = cell(self.order_date)?;
        let day = match cache.get(date_text.as_bytes()) {
            Some(day) => day,
            None => {
                let day = parse_order_date(date_text, options.zone)
                    .map_err(|p| problem(Some(self.order_date), p))?;
                cache.text.clear();
                cache.text.extend_from_slice(date_text.as_bytes());
                cache.day = Some(day);
                day
            }
        };
        let amount = parse_money(cell(self.amount)?, options.scale)
            .map_err(|p| problem(Some(self.amount), p))?;
        let status = match optional(self.status)? {
            Some(text) => parse_status(text).map_err(|p| problem(self.status, p))?,
            None if amount.is_negative() => OrderStatus::Returned,
            None => OrderStatus::Completed,
        };
        let mut order = OrderRecord::new(customer, day, amount).status(status);
        if let Some(id) = optional(self.order_id)? {
            order = order.order_id(id);
        }
        if let Some(channel) = optional(self.channel)? {
            order = order.channel(channel);
        }
        if let Some(store) = optional(self.store)? {
            order = order.store(store);
        }
        if let Some(cost) = optional(self.cost)? {
            let cost = parse_money(cost, options.scale).map_err(|p| problem(self.cost, p))?;
            order = order.cost(cost);
        }
        Ok(order)
    }
}

/// A money cell through [`Money::parse_decimal`] (plain decimals such as
/// `29.33` or `-5` take a shortcut with the same result).
pub fn parse_money(text: &str, scale: u32) -> Result<Money, String> {
    if let Some(money) = plain_decimal(text.as_bytes(), scale) {
        return Ok(money);
    }
    Money::parse_decimal(text, scale).map_err(|err| match err {
        rfmkit::Error::ParseMoney { reason, .. } => {
            format!("{text:?} is not an amount with at most {scale} decimals: {reason}")
        }
        other => format!("{text:?}: {other}"),
    })
}

/// The common amount: an optional `-`, digits, and optionally `.` and 1 to
/// `scale` digits, at most 18 characters after the sign, in minor units.
/// `None` for anything else (which [`Money::parse_decimal`] then accepts
/// or explains), so the result is always the same as the general parser's.
fn plain_decimal(text: &[u8], scale: u32) -> Option<Money> {
    let (negative, body) = match text.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, text),
    };
    // Scales past 18 are the general parser's error to give.
    if scale > 18 || body.len() > 18 {
        return None;
    }
    // At least one digit, all digits: at most 18 of them, below 10^18.
    let digits = |part: &[u8]| -> Option<i64> {
        if part.is_empty() {
            return None;
        }
        part.iter().try_fold(0_i64, |value, &b| {
            let digit = b.wrapping_sub(b'0');
            (digit <= 9).then(|| value * 10 + i64::from(digit))
        })
    };
    let (value, decimals) = match body.iter().position(|&b| b == b'.') {
        Some(dot) => {
            let fraction = body.get(dot + 1..)?;
            let decimals = u32::try_from(fraction.len()).ok()?;
            let whole = digits(body.get(..dot)?)?;
            let shifted = whole.checked_mul(10_i64.checked_pow(decimals)?)?;
            (shifted.checked_add(digits(fraction)?)?, decimals)
        }
        None => (digits(body)?, 0),
    };
    let pad = 10_i64.checked_pow(scale.checked_sub(decimals)?)?;
    let minor = value.checked_mul(pad)?;
    Some(Money::new(if negative { -minor } else { minor }))
}

fn parse_status(text: &str) -> Result<OrderStatus, String> {
    [
        OrderStatus::Completed,
        OrderStatus::Returned,
        OrderStatus::Cancelled,
    ]
    .into_iter()
    .find(|status| text.eq_ignore_ascii_case(&status.to_string()))
    .ok_or_else(|| format!("status {text:?} is unknown; use completed, returned or cancelled"))
}

/// A library error about pushed rows, located: `orders.csv line 9 (order
/// A-7): …`, plus the line of the first occurrence of a duplicate id.
pub fn library_message(path: &Path, lines: &LineMap, err: &rfmkit::Error) -> String {
    let mut message = match err.location() {
        Some(Location::Order { index, order_id }) => {
            let order = if order_id.as_str().is_empty() {
                String::new()
            } else {
                format!(" (order {order_id})")
            };
            match lines.line(index) {
                Some(line) => format!("{} {} {line}{order}: {err}", path.display(), lines.unit()),
                None => format!("{}{order}: {err}", path.display()),
            }
        }
        _ => format!("{}: {err}", path.display()),
    };
    message.push_str(&first_line(lines, err));
    // The library names its own API; on the command line, name the flags.
    message
        .replace("(FutureOrders::Ignore)", "(--ignore-future-orders)")
        .replace("use IdOrder::Text", "use --id-order text")
}

/// ` (the first is on line N)` for a duplicate order id, else empty: the
/// library names the first occurrence by its push index only.
pub fn first_line(lines: &LineMap, err: &rfmkit::Error) -> String {
    match err {
        rfmkit::Error::DuplicateOrderId { first_index, .. } => {
            lines.line(*first_index).map_or_else(String::new, |line| {
                format!(" (the first is on {} {line})", lines.unit())
            })
        }
        _ => String::new(),
    }
}

/// A progress bar over the bytes of a file, drawn on stderr only when it is
/// a terminal (indicatif hides it otherwise).
pub fn progress(len: u64, message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    bar
}

/// An order file, loaded into the ingest stage.
pub struct OrderFile {
    /// The validated log.
    pub log: OrderLog,
    /// Lines and skipped rows.
    pub loaded: Loaded,
    /// The file.
    pub path: PathBuf,
}

/// How many bytes the fast path reads at a time (a block ends at the last
/// whole line it holds).
const BLOCK: usize = 1 << 20;

/// Reads a file in blocks of whole lines, keeping one block in memory.
struct Blocks<R> {
    input: R,
    /// The bytes read are `buf[..filled]`; the rest is memory initialized
    /// before, read into without being zeroed again (`read_to_end` zeroes
    /// its room on every call: 1 MiB of writes a block).
    buf: Vec<u8>,
    filled: usize,
    /// Bytes of `buf` before this were handed out.
    done: usize,
    eof: bool,
}

/// Reads into `to` until it is full or the input ends; the bytes read.
fn read_into(input: &mut impl Read, to: &mut [u8]) -> io::Result<usize> {
    let mut read = 0;
    while let Some(rest) = to.get_mut(read..).filter(|rest| !rest.is_empty()) {
        match input.read(rest) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(read)
}

impl<R: Read> Blocks<R> {
    fn new(input: R) -> Blocks<R> {
        Blocks {
            input,
            buf: Vec::new(),
            filled: 0,
            done: 0,
            eof: false,
        }
    }

    /// The next run of whole lines (the last one may lack its newline at
    /// the end of the file), as a range of `self.buf`; `None` at the end.
    fn next_block(&mut self) -> io::Result<Option<std::ops::Range<usize>>> {
        let done = self.done.min(self.filled);
        self.buf.copy_within(done..self.filled, 0);
        self.filled -= done;
        self.done = 0;
        loop {
            if !self.eof {
                let want = BLOCK.saturating_sub(self.filled).max(BLOCK / 4);
                let end = self.filled + want;
                if self.buf.len() < end {
                    // Zeroes only memory never read into before.
                    self.buf.resize(end, 0);
                }
                let room = self.buf.get_mut(self.filled..end).unwrap_or_default();
                let read = read_into(&mut self.input, room)?;
                self.filled += read;
                self.eof = read == 0;
            }
            let data = self.buf.get(..self.filled).unwrap_or_default();
            let end = match memchr::memrchr(b'\n', data) {
                Some(newline) => newline + 1,
                None if self.eof => self.filled,
                None => continue,
            };
            if end == 0 {
                return Ok(None);
            }
            self.done = end;
            return Ok(Some(0..end));
        }
    }

    /// [`next_block`](Self::next_block) as an owned buffer (reusing
    /// `spare`'s allocation for what stays behind: the partial last line).
    fn next_owned(&mut self, spare: Vec<u8>) -> io::Result<Option<Vec<u8>>> {
        let Some(range) = self.next_block()? else {
            return Ok(None);
        };
        let mut block = std::mem::replace(&mut self.buf, spare);
        // The partial last line stays behind, at the start of `spare`
        // (whose memory, up to its length, was initialized before).
        let rest = block.get(range.end..self.filled).unwrap_or_default();
        if self.buf.len() < rest.len() {
            self.buf.resize(rest.len(), 0);
        }
        if let Some(to) = self.buf.get_mut(..rest.len()) {
            to.copy_from_slice(rest);
        }
        self.filled = rest.len();
        block.truncate(range.end);
        self.done = 0;
        Ok(Some(block))
    }

    /// Everything not handed out yet, then the rest of the input.
    fn rest_from(mut self, at: usize) -> io::Chain<io::Cursor<Vec<u8>>, R> {
        self.buf.truncate(self.filled);
        let rest = self.buf.split_off(at.min(self.buf.len()));
        io::Cursor::new(rest).chain(self.input)
    }
}

/// The fields of `line` split on commas, each trimmed of ASCII spaces, into
/// `fields`.
fn split_line<'l>(line: &'l [u8], fields: &mut Vec<&'l [u8]>) {
    fields.clear();
    let mut start = 0;
    for comma in memchr::memchr_iter(b',', line) {
        fields.push(line.get(start..comma).unwrap_or_default().trim_ascii());
        start = comma + 1;
    }
    fields.push(line.get(start..).unwrap_or_default().trim_ascii());
}

/// [`split_line`] for text: the cells stay `str`, so they need no UTF-8
/// check of their own (commas are ASCII, so every cut is at a character
/// boundary).
fn split_line_str<'l>(line: &'l str, fields: &mut Vec<&'l str>) {
    fields.clear();
    let mut start = 0;
    for comma in memchr::memchr_iter(b',', line.as_bytes()) {
        fields.push(line.get(start..comma).unwrap_or_default().trim_ascii());
        start = comma + 1;
    }
    fields.push(line.get(start..).unwrap_or_default().trim_ascii());
}

/// The positions of the commas and newlines in a text, in order (what
/// `memchr::memchr2_iter(b',', b'\n', bytes)` gives), found eight bytes at
/// a time with word arithmetic. Order cells are a few bytes long, so a
/// vector search would restart every few bytes; this reads each word once
/// and takes its separators from one bit mask.
struct Separators<'b> {
    bytes: &'b [u8],
    /// Where the word `mask` comes from starts.
    base: usize,
    /// The separators of the current word not handed out yet: the high
    /// bit of each such byte.
    mask: u64,
}

impl<'b> Separators<'b> {
    fn new(bytes: &'b [u8]) -> Separators<'b> {
        Separators {
            bytes,
            // The first `next` loads the word at 0 (8 past this).
            base: 0_usize.wrapping_sub(8),
            mask: 0,
        }
    }

    /// The high bit of every byte of `word` that is a comma or a newline
    /// (exactly: no carries between bytes).
    fn of_word(word: u64) -> u64 {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        // The high bit of each zero byte of `x`.
        let zero = |x: u64| !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7);
        zero(word ^ (ONES * u64::from(b','))) | zero(word ^ (ONES * u64::from(b'\n')))
    }
}

impl Iterator for Separators<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            let base = self.base.wrapping_add(8);
            let rest = self.bytes.get(base..).filter(|rest| !rest.is_empty())?;
            let word = match rest.first_chunk::<8>() {
                Some(chunk) => *chunk,
                None => {
                    // The last few bytes, padded with zeros (not separators).
                    let mut padded = [0_u8; 8];
                    for (to, &from) in padded.iter_mut().zip(rest) {
                        *to = from;
                    }
                    padded
                }
            };
            self.base = base;
            self.mask = Separators::of_word(u64::from_le_bytes(word));
        }
        let byte = self.mask.trailing_zeros() as usize / 8;
        self.mask &= self.mask - 1;
        Some(self.base + byte)
    }
}

/// Splits `text` (no quotes, no carriage returns) into lines and each
/// line into cells, as [`split_line_str`] does, in one sweep for commas
/// and newlines over the whole text (instead of a search for the line end
/// and then one for each comma: most cells are a few bytes long). Hands
/// each non-empty line's cells, with its line number relative to the
/// text's first line, to `line`; returns the number of lines.
fn sweep_lines<'t>(
    text: &'t str,
    cells: &mut Vec<&'t str>,
    mut line: impl FnMut(u64, &[&'t str]) -> Result<()>,
) -> Result<u64> {
    let bytes = text.as_bytes();
    let mut relative = 0;
    let mut line_start = 0;
    let mut cell_start = 0;
    // A line's first cells go into an array on the stack (no length and
    // capacity kept in memory through every push); a longer line goes on
    // in `cells`.
    let mut few: [&'t str; FEW_CELLS] = [""; FEW_CELLS];
    let mut count = 0;
    for at in Separators::new(bytes) {
        let cell = text.get(cell_start..at).unwrap_or_default().trim_ascii();
        add_cell(&mut few, cells, &mut count, cell);
        cell_start = at + 1;
        if bytes.get(at) == Some(&b'\n') {
            if at > line_start {
                line(relative, few.get(..count).unwrap_or(cells))?;
            }
            count = 0;
            relative += 1;
            line_start = cell_start;
        }
    }
    if line_start < bytes.len() {
        let cell = text.get(cell_start..).unwrap_or_default().trim_ascii();
        add_cell(&mut few, cells, &mut count, cell);
        line(relative, few.get(..count).unwrap_or(cells))?;
        relative += 1;
    }
    Ok(relative)
}

/// Cells of a line [`sweep_lines`] keeps on the stack.
const FEW_CELLS: usize = 16;

/// Adds a line's cell number `*count` to `few`, or from the first cell
/// past them on, with all before it, to `more`.
fn add_cell<'t>(
    few: &mut [&'t str; FEW_CELLS],
    more: &mut Vec<&'t str>,
    count: &mut usize,
    cell: &'t str,
) {
    match few.get_mut(*count) {
        Some(slot) => *slot = cell,
        None => {
            if *count == FEW_CELLS {
                more.clear();
                more.extend_from_slice(few);
            }
            more.push(cell);
        }
    }
    *count += 1;
}

/// Whether a line (without its `\n` and a final `\r`) needs the csv
/// reader: it has a quote (a quoted field may hold commas or newlines) or a
/// lone carriage return (which the csv reader takes as a line end).
fn needs_csv(line: &[u8]) -> bool {
    memchr::memchr2(b'"', b'\r', line).is_some()
}

/// Splits `data` (whole lines) into at most `parts` pieces of whole lines,
/// each with its byte offset in `data`.
fn split_at_lines(data: &[u8], parts: usize) -> Vec<(usize, &[u8])> {
    let parts = parts.clamp(1, 64);
    let target = (data.len() / parts).max(64 << 10);
    let mut pieces = Vec::with_capacity(parts);
    let mut start = 0;
    while start < data.len() {
        let want = start.saturating_add(target);
        let end = match data
            .get(want..)
            .and_then(|rest| memchr::memchr(b'\n', rest))
        {
            Some(i) if pieces.len() + 1 < parts => want + i + 1,
            _ => data.len(),
        };
        pieces.push((start, data.get(start..end).unwrap_or_default()));
        start = end;
    }
    pieces
}

/// The rows of a piece of whole lines, as runs of readable rows each ended
/// by a malformed row (the last run may end with none). Lines are relative
/// to the piece's first line (0-based; a problem's `line` is relative too).
struct Piece {
    runs: Vec<Run>,
    end: PieceEnd,
}

/// Readable rows in a batch, with their relative lines, then the malformed
/// row after them, if any.
struct Run {
    batch: OrderBatch,
    /// (rows, relative line of the first): the rows as stretches of
    /// consecutive lines (a blank line starts a new one).
    lines: Vec<(usize, u64)>,
    problem: Option<RowProblem>,
}

impl Run {
    fn new(capacity: usize) -> Run {
        Run {
            batch: OrderBatch::with_capacity(capacity),
            lines: Vec::new(),
            problem: None,
        }
    }

    /// Notes that the next row is on relative line `line`.
    fn add_line(&mut self, line: u64) {
        match self.lines.last_mut() {
            Some((rows, first)) if *first + (*rows as u64) == line => *rows += 1,
            _ => self.lines.push((1, line)),
        }
    }
}

/// Where the fast path stopped in a piece.
#[derive(Debug, Clone, Copy)]
struct PieceEnd {
    /// Lines in the piece (up to the fallback, if any).
    lines: u64,
    /// The first line that needs the csv reader: (relative line, byte
    /// offset in the piece); no rows after it were parsed.
    fallback: Option<(u64, usize)>,
}

/// Parses the rows of `piece` on the fast path, handing each (with its
/// relative line) to `row` in order, until a line needs the csv reader.
/// A piece without any quote or carriage return skips the per-line check.
fn parse_piece<'b>(
    piece: &'b [u8],
    columns: &OrderColumns,
    options: ParseOptions,
    mut row: impl FnMut(u64, Result<OrderRecord<'b>, RowProblem>) -> Result<()>,
) -> Result<PieceEnd> {
    let check = memchr::memchr2(b'"', b'\r', piece).is_some();
    // A piece of valid UTF-8 (the usual case) is checked once here
    // instead of cell by cell.
    let piece_text = std::str::from_utf8(piece).ok();
    let mut cache = DateCache::default();
    if let (false, Some(text)) = (check, piece_text) {
        // The usual piece: valid UTF-8 without quotes or carriage returns,
        // split into lines and cells in one sweep for commas and newlines.
        let mut cells: Vec<&str> = Vec::with_capacity(columns.names.len());
        let lines = sweep_lines(text, &mut cells, |relative, cells| {
            row(
                relative,
                columns.record(cells, relative, options, &mut cache),
            )
        })?;
        return Ok(PieceEnd {
            lines,
            fallback: None,
        });
    }
    let mut fields: Vec<&[u8]> = Vec::with_capacity(columns.names.len());
    let mut text_fields: Vec<&str> = Vec::with_capacity(columns.names.len());
    let mut relative = 0;
    let mut at = 0;
    while at < piece.len() {
        let rest = piece.get(at..).unwrap_or_default();
        let (raw, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (rest.get(..i).unwrap_or_default(), at + i + 1),
            None => (rest, piece.len()),
        };
        let text = if check {
            let text = raw.strip_suffix(b"\r").unwrap_or(raw);
            if needs_csv(text) {
                return Ok(PieceEnd {
                    lines: relative,
                    fallback: Some((relative, at)),
                });
            }
            text
        } else {
            raw
        };
        if !text.is_empty() {
            let line = piece_text.and_then(|t| t.get(at..at + text.len()));
            let parsed = match line {
                Some(line) => {
                    split_line_str(line, &mut text_fields);
                    columns.record(text_fields.as_slice(), relative, options, &mut cache)
                }
                None => {
                    split_line(text, &mut fields);
                    columns.record(fields.as_slice(), relative, options, &mut cache)
                }
            };
            row(relative, parsed)?;
        }
        relative += 1;
        at = next;
    }
    Ok(PieceEnd {
        lines: relative,
        fallback: None,
    })
}

/// Parses `piece` into runs of rows in batches (on any thread).
fn collect_piece(piece: &[u8], columns: &OrderColumns, options: ParseOptions) -> Piece {
    let capacity = piece.len() / 32;
    let mut runs = Vec::new();
    let mut run = Run::new(capacity);
    let end = parse_piece(piece, columns, options, |relative, parsed| {
        match parsed {
            Ok(record) => {
                run.batch.push_record(record);
                run.add_line(relative);
            }
            Err(problem) => {
                run.problem = Some(problem);
                runs.push(std::mem::replace(&mut run, Run::new(0)));
            }
        }
        Ok(())
    });
    runs.push(run);
    Piece {
        runs,
        // Collecting never fails.
        end: end.unwrap_or(PieceEnd {
            lines: 0,
            fallback: Some((0, 0)),
        }),
    }
}

/// A block of whole lines and its pieces' rows (byte offset of each piece
/// in the block, its rows).
struct ParsedBlock {
    block: Vec<u8>,
    pieces: Vec<(usize, Piece)>,
}

/// Parses `block` from byte `start` (before it: header lines) in pieces
/// on the current pool's threads.
fn parse_block(
    block: Vec<u8>,
    start: usize,
    columns: &OrderColumns,
    options: ParseOptions,
) -> ParsedBlock {
    use rayon::prelude::*;
    let data = block.get(start..).unwrap_or_default();
    // Many more pieces than threads (16 of 64 KiB on 2 threads): a thread
    // done pushing the previous block helps parse this one, and the
    // threads finish the block close together (with 2 pieces a thread, one
    // thread idled for most of a piece per block: ~8% of the load).
    let parts = match rayon::current_num_threads() {
        1 => 1,
        threads => 8 * threads,
    };
    let pieces = split_at_lines(data, parts)
        .into_par_iter()
        .map(|(offset, piece)| (start + offset, collect_piece(piece, columns, options)))
        .collect();
    ParsedBlock { block, pieces }
}

/// Pushes the rows of a parsed block in file order, from `*line` on;
/// returns where the csv reader must take over (byte in the block, line),
/// if a piece stopped at a line that needs it.
fn push_block(
    path: &Path,
    options: ParseOptions,
    block: &ParsedBlock,
    line: &mut u64,
    builder: &mut LogBuilder<'_>,
    loaded: &mut Loaded,
) -> Result<Option<(usize, u64)>> {
    for (offset, piece) in &block.pieces {
        for run in &piece.runs {
            for &(rows, relative) in &run.lines {
                loaded.rows += u64::try_from(rows).unwrap_or(u64::MAX);
                loaded.lines.record_run(*line + relative, rows);
            }
            builder
                .push_batch(&run.batch)
                .map_err(|err| FileError(library_message(path, &loaded.lines, &err)))?;
            if let Some(problem) = &run.problem {
                loaded.rows += 1;
                let mut problem = problem.clone();
                problem.line += *line;
                skip_or_fail(path, options, loaded, problem)?;
            }
        }
        if let Some((relative, byte)) = piece.end.fallback {
            return Ok(Some((offset + byte, *line + relative)));
        }
        *line += piece.end.lines;
    }
    Ok(None)
}

/// Where the csv reader takes over from the fast path: these bytes, then
/// the reader's blocks from this offset of their buffer, at this line.
struct Fallback {
    prefix: Vec<u8>,
    at: usize,
    line: u64,
}

/// The fast path, from the rows of the current block (`first`) to the end
/// of the file: on several threads, while this thread pushes one block's
/// rows and then reads the block after the next, the other threads parse
/// the next block (so the next block's parse never waits for a read).
/// Returns where the csv reader must take over, if anywhere.
#[allow(clippy::too_many_arguments)]
fn load_blocks<R: Read + Send>(
    path: &Path,
    options: ParseOptions,
    columns: &OrderColumns,
    blocks: &mut Blocks<R>,
    first: Vec<u8>,
    line: &mut u64,
    builder: &mut LogBuilder<'_>,
    loaded: &mut Loaded,
) -> Result<Option<Fallback>> {
    let cannot_read = |e: io::Error| FileError(format!("{}: cannot read: {e}", path.display()));
    let overlap = rayon::current_num_threads() > 1;
    let mut current = parse_block(first, 0, columns, options);
    // The block after `current`, read but not parsed yet.
    let mut ahead = blocks
        .next_owned(Vec::with_capacity(BLOCK))
        .map_err(cannot_read)?;
    let mut spare = Vec::with_capacity(BLOCK);
    loop {
        let buffer = std::mem::take(&mut spare);
        let raw = ahead.take();
        // Push this block's rows, then (unless the push stopped) read the
        // block after the next one.
        let push_and_read = || {
            let pushed = push_block(path, options, &current, line, builder, loaded);
            let read = match pushed {
                Ok(None) => blocks.next_owned(buffer),
                _ => Ok(None),
            };
            (pushed, read)
        };
        let ((pushed, read), next) = if overlap {
            rayon::join(push_and_read, || {
                raw.map(|block| parse_block(block, 0, columns, options))
            })
        } else {
            let (pushed, read) = push_and_read();
            let next = match pushed {
                Ok(None) => raw.map(|block| parse_block(block, 0, columns, options)),
                _ => raw.map(|block| ParsedBlock {
                    block,
                    pieces: Vec::new(),
                }),
            };
            ((pushed, read), next)
        };
        if let Some((byte, at_line)) = pushed? {
            // The csv reader goes on from that line: the rest of this block,
            // the next one (parsed in vain), then the reader's own buffer
            // (nothing was read past the next block).
            let mut prefix = current.block;
            prefix.drain(..byte.min(prefix.len()));
            if let Some(next) = next {
                prefix.extend_from_slice(&next.block);
            }
            return Ok(Some(Fallback {
                prefix,
                at: 0,
                line: at_line,
            }));
        }
        ahead = read.map_err(cannot_read)?;
        let Some(next) = next else {
            return Ok(None);
        };
        spare = std::mem::replace(&mut current, next).block;
    }
}

/// Reads `path` into a log built with `config`; `adjust` may change the
/// builder (its id order) once every row is pushed.
///
/// Rows are split on commas directly (the fast path: no copy of the row,
/// no allocation) while they contain no quote and no lone carriage return;
/// from the first row that does, the rest of the file goes through the csv
/// reader, with the same checks and messages. One block of a few MB of the
/// file is in memory at a time.
///
/// # Errors
///
/// The file cannot be read, a bad header, (strict mode) the first malformed
/// row or invalid order; the library's errors when building the log.
pub fn load_orders(
    path: &Path,
    config: &IngestConfig,
    options: ParseOptions,
    adjust: impl FnOnce(LogBuilder<'_>) -> LogBuilder<'_>,
) -> Result<OrderFile> {
    if crate::parquet::is_parquet(path) {
        return crate::parquet::load_parquet(path, config, options, adjust);
    }
    let file =
        File::open(path).map_err(|e| FileError(format!("{}: cannot read: {e}", path.display())))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress(len, "loading");
    let cannot_read = |e: io::Error| FileError(format!("{}: cannot read: {e}", path.display()));
    let mut blocks = Blocks::new(bar.wrap_read(file));
    let mut builder = config.builder();
    // A generous row count (32 bytes a row; order exports have more) to
    // reserve for, so the columns never regrow: unused room costs address
    // space, not memory. The library caps it.
    builder.reserve(usize::try_from(len / 32).unwrap_or(0));
    let mut loaded = Loaded::default();
    let mut columns: Option<OrderColumns> = None;
    // The 1-based line of the next line to read.
    let mut line: u64 = 1;
    let mut fallback: Option<Fallback> = None;
    'blocks: while let Some(range) = blocks.next_block().map_err(cannot_read)? {
        let block = blocks.buf.get(range.clone()).unwrap_or_default();
        let mut fields: Vec<&[u8]> = Vec::new();
        let mut at = 0;
        // The header: the first non-blank line.
        while columns.is_none() && at < block.len() {
            let rest = block.get(at..).unwrap_or_default();
            let (raw, next) = match memchr::memchr(b'\n', rest) {
                Some(i) => (rest.get(..i).unwrap_or_default(), at + i + 1),
                None => (rest, block.len()),
            };
            let text = raw.strip_suffix(b"\r").unwrap_or(raw);
            if needs_csv(text) {
                fallback = Some(Fallback {
                    prefix: Vec::new(),
                    at: range.start + at,
                    line,
                });
                break 'blocks;
            }
            if !text.is_empty() {
                split_line(text, &mut fields);
                let header: csv::ByteRecord = fields.iter().collect();
                columns = Some(OrderColumns::find(path, &header)?);
            }
            line += 1;
            at = next;
        }
        let Some(columns) = &columns else {
            continue;
        };
        // The rest of the file, block by block (see `load_blocks`).
        let first = block.get(at..).unwrap_or_default().to_vec();
        fallback = load_blocks(
            path,
            options,
            columns,
            &mut blocks,
            first,
            &mut line,
            &mut builder,
            &mut loaded,
        )?;
        break 'blocks;
    }
    if let Some(Fallback { prefix, at, line }) = fallback {
        let mut reader =
            reader_builder().from_reader(io::Cursor::new(prefix).chain(blocks.rest_from(at)));
        let columns = match columns {
            Some(columns) => columns,
            None => {
                let mut header = csv::ByteRecord::new();
                let has_header = reader.read_byte_record(&mut header).map_err(|e| {
                    FileError(format!("{}: cannot read the header: {e}", path.display()))
                })?;
                if !has_header {
                    header.clear();
                }
                OrderColumns::find(path, &header)?
            }
        };
        parse_records(
            path,
            &mut reader,
            line.saturating_sub(1),
            &columns,
            options,
            &mut builder,
            &mut loaded,
        )?;
    } else if columns.is_none() {
        OrderColumns::find(path, &csv::ByteRecord::new())?;
    }
    bar.finish_and_clear();
    let log = adjust(builder)
        .build()
        .map_err(|e| FileError(library_message(path, &loaded.lines, &e)))?;
    Ok(OrderFile {
        log,
        loaded,
        path: path.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_and_timestamps() {
        let tokyo: ShopZone = "Asia/Tokyo".parse().unwrap();
        let utc: ShopZone = "UTC".parse().unwrap();
        let ok = |text: &str, zone: Option<ShopZone>| parse_order_date(text, zone).unwrap();
        assert_eq!(ok("2025-01-05", None), d(2025, 1, 5));
        assert_eq!(ok("2025-01-05 10:00:00", None), d(2025, 1, 5));
        assert_eq!(ok("2025-01-05 23:59", Some(utc)), d(2025, 1, 5));
        assert_eq!(ok("2025-01-05T23:30:00+09:00", Some(tokyo)), d(2025, 1, 5));
        assert_eq!(ok("2025-01-05T23:30:00+09:00", Some(utc)), d(2025, 1, 5));
        assert_eq!(ok("2025-01-05T08:30:00+09:00", Some(utc)), d(2025, 1, 4));
        assert_eq!(ok("2025-01-05T15:30:00Z", Some(tokyo)), d(2025, 1, 6));
        assert_eq!(ok("2025-01-05T15:30:00.250Z", Some(tokyo)), d(2025, 1, 6));
        assert_eq!(ok("2025-01-05 15:30:00 -0500", Some(tokyo)), d(2025, 1, 6));
        let err = parse_order_date("2025-01-05T15:30:00Z", None).unwrap_err();
        assert!(err.contains("--timezone"), "{err}");
        for bad in [
            "2025-13-01",
            "2025-02-30",
            "2025-1-05",
            "2025-01-05 25:00",
            "2025-01-05T10:00+24:00",
            "2025-01-05x",
            "",
        ] {
            assert!(parse_order_date(bad, Some(tokyo)).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_decimals_agree_with_the_general_parser() {
        // Every text up to 5 characters over an alphabet of digits, signs,
        // points and junk (the bytes just below and above the digits
        // too), at scales 0 to 3: the shortcut either declines or gives
        // exactly `Money::parse_decimal`'s value.
        let alphabet = b"09-+.e 5/:";
        let mut taken = 0;
        for len in 0..=5_u32 {
            for code in 0..10_usize.pow(len) {
                let text: String = (0..len)
                    .scan(code, |c, _| {
                        let b = alphabet[*c % 10];
                        *c /= 10;
                        Some(char::from(b))
                    })
                    .collect();
                for scale in 0..=3 {
                    if let Some(fast) = plain_decimal(text.as_bytes(), scale) {
                        taken += 1;
                        assert_eq!(Money::parse_decimal(&text, scale), Ok(fast), "{text:?}");
                    }
                }
            }
        }
        assert!(taken > 1000, "{taken}");
        // Long and extreme values: declined or exact.
        for text in [
            "999999999999999999",
            "92233720368547758.07",
            "-0.00",
            "1.5",
            "-12.34",
        ] {
            for scale in [0, 2, 4, 18, 19] {
                if let Some(fast) = plain_decimal(text.as_bytes(), scale) {
                    assert_eq!(Money::parse_decimal(text, scale), Ok(fast), "{text:?}");
                }
            }
        }
        assert_eq!(plain_decimal(b"-12.34", 2), Some(Money::new(-1234)));
        assert_eq!(plain_decimal(b"7", 2), Some(Money::new(700)));
        assert_eq!(plain_decimal(b"1.234", 2), None);
    }

    #[test]
    fn zones() {
        let nine = FixedOffset::east_opt(9 * 3600).unwrap();
        assert_eq!("+09:00".parse::<ShopZone>(), Ok(ShopZone::Fixed(nine)));
        assert!("Mars/Olympus".parse::<ShopZone>().is_err());
        assert!("+25:00".parse::<ShopZone>().is_err());
    }

    #[test]
    fn a_chunk_parses_on_its_own_lines() {
        let path = Path::new("orders.csv");
        let mut header = csv::ByteRecord::new();
        for name in ["order_id", "customer_id", "order_date", "amount"] {
            header.push_field(name.as_bytes());
        }
        let columns = OrderColumns::find(path, &header).unwrap();
        let options = ParseOptions {
            scale: 2,
            zone: None,
            lenient: true,
        };
        let config = IngestConfig::new(d(2025, 12, 31));
        let mut builder = config.builder();
        let mut loaded = Loaded::default();
        // A chunk starting on line 101: a good row, a bad date, a good row.
        let chunk = b"A1,C1,2025-01-01,1.00\nA2,C1,2025-02-30,1.00\nA3,C2,2025-01-02,2.50\n";
        parse_chunk(
            path,
            chunk,
            101,
            &columns,
            options,
            &mut builder,
            &mut loaded,
        )
        .unwrap();
        assert_eq!(loaded.rows, 3);
        assert_eq!(loaded.skipped.len(), 1);
        assert_eq!(loaded.skipped[0].line, 102);
        assert_eq!(
            loaded.skipped[0].column.as_deref(),
            Some("column 3 (order_date)")
        );
        assert_eq!(
            (loaded.lines.line(0), loaded.lines.line(1)),
            (Some(101), Some(103))
        );
        assert_eq!(builder.build().unwrap().rows(), 2);
    }

    #[test]
    fn pieces_end_at_line_ends() {
        let data: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("row {i}\n").into_bytes())
            .collect();
        let pieces = split_at_lines(&data, 3);
        assert_eq!(pieces.len(), 3);
        let mut next = 0;
        for &(offset, piece) in &pieces {
            assert_eq!(offset, next);
            assert_eq!(piece.last(), Some(&b'\n'));
            next += piece.len();
        }
        assert_eq!(next, data.len());
        // Small data stays one piece; empty data has none.
        assert_eq!(split_at_lines(b"a\nb\n", 2).len(), 1);
        assert!(split_at_lines(b"", 2).is_empty());
    }

    /// Loads `text` on a pool of `threads` threads.
    fn load_text(text: &str, threads: usize, lenient: bool) -> Result<OrderFile> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.csv");
        std::fs::write(&path, text).unwrap();
        let options = ParseOptions {
            scale: 2,
            zone: None,
            lenient,
        };
        let config = IngestConfig::new(d(2025, 12, 31));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| load_orders(&path, &config, options, |b| b))
    }

    #[test]
    fn lines_of_many_cells_keep_every_cell() {
        // 20 columns (past the 16 a line keeps on the stack): 16 unused,
        // then the order's; amounts 1.00, 2.50 and a return of -0.25.
        let unused: Vec<String> = (1..=16).map(|i| format!("x{i}")).collect();
        let mut text = format!(
            "{},order_id,customer_id,order_date,amount\n",
            unused.join(",")
        );
        for (id, customer, date, amount) in [
            (1, 7, "2025-03-01", "1.00"),
            (2, 7, "2025-03-04", "2.50"),
            (3, 9, "2025-03-02", "-0.25"),
        ] {
            text.push_str(&format!(
                "{}{id},{customer},{date},{amount}\n",
                "a,".repeat(16)
            ));
        }
        for threads in [1, 2] {
            let file = load_text(&text, threads, false).unwrap();
            let rows = |c: usize| -> Vec<(NaiveDate, i64)> {
                file.log
                    .customer_rows(c)
                    .map(|r| (r.date, r.amount.minor_units()))
                    .collect()
            };
            assert_eq!(rows(0), [(d(2025, 3, 1), 100), (d(2025, 3, 4), 250)]);
            assert_eq!(rows(1), [(d(2025, 3, 2), -25)]);
            // One cell too many on line 3, the 21st.
            let extra = text.replacen("2025-03-04,2.50\n", "2025-03-04,2.50,z\n", 1);
            let err = load_text(&extra, threads, false).err().unwrap().to_string();
            assert!(err.contains("line 3"), "{err}");
            assert!(err.contains("has 21 fields but the header has 20"), "{err}");
        }
    }

    #[test]
    fn blank_lines_keep_the_lines_of_library_errors() {
        // Lines 1 header, 2-3 rows, 4-5 blank, 6 a row, 7 blank, 8 the
        // second order 3 (a duplicate the library finds).
        let text = "order_id,customer_id,order_date,amount\n\
                    1,10,2025-01-02,1.00\n2,11,2025-01-03,2.00\n\n\n\
                    3,10,2025-01-04,3.00\n\n3,12,2025-01-05,4.00\n";
        for threads in [1, 2] {
            let err = load_text(text, threads, false).err().unwrap().to_string();
            assert!(err.contains("line 8"), "{threads} threads: {err}");
            assert!(err.contains("line 6"), "{threads} threads: {err}");
        }
        let file = load_text(&text.replace("3,12,", "4,12,"), 1, false).unwrap();
        let lines: Vec<Option<u64>> = (0..5).map(|i| file.loaded.lines.line(i)).collect();
        assert_eq!(lines, [Some(2), Some(3), Some(6), Some(8), None]);
        assert_eq!(file.loaded.rows, 4);
    }

    #[test]
    fn parallel_pieces_keep_lines_and_results() {
        // 30,000 rows (~700 KB: several pieces on 2 threads), a bad date on
        // line 20,001 and a quoted row on line 25,001 (the csv reader takes
        // over there), a bad amount on line 28,001.
        let mut text = String::from("order_id,customer_id,order_date,amount\n");
        for i in 2..=30_001_u32 {
            let date = if i == 20_001 {
                "2025-02-30"
            } else {
                "2025-03-04"
            };
            let amount = if i == 28_001 { "1.234" } else { "2.50" };
            let customer = if i == 25_001 {
                "\"c7\"".to_owned()
            } else {
                format!("c{}", i % 97)
            };
            text.push_str(&format!("{i},{customer},{date},{amount}\n"));
        }
        let one = load_text(&text, 1, true).unwrap();
        let two = load_text(&text, 2, true).unwrap();
        assert_eq!(one.log, two.log);
        let lines = |f: &OrderFile| f.loaded.skipped.iter().map(|p| p.line).collect::<Vec<_>>();
        assert_eq!(lines(&one), [20_001, 28_001]);
        assert_eq!(lines(&two), [20_001, 28_001]);
        assert_eq!((two.log.rows(), two.loaded.rows), (29_998, 30_000));
        assert_eq!(two.loaded.lines.line(29_997), Some(30_001));
        let err = load_text(&text, 2, false).err().unwrap().to_string();
        assert!(
            err.contains("orders.csv line 20001, column 3 (order_date)"),
            "{err}"
        );
        // A duplicate order id in a later piece names both lines.
        let text = text.replace("\n29000,", "\n5,");
        let err = load_text(&text, 2, false).err().unwrap().to_string();
        assert!(err.contains("line 20001"), "{err}");
        let dup = load_text(
            &text
                .replace("2025-02-30", "2025-03-04")
                .replace("1.234", "1.23"),
            2,
            false,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            dup.contains("line 29000") && dup.contains("the first is on line 5"),
            "{dup}"
        );
    }

    #[test]
    fn blocks_parsed_ahead_keep_lines_and_results() {
        // 200,000 rows (~5.6 MB: five 1-MiB blocks, each parsed on other
        // threads while the one before is pushed): bad cells in the first,
        // third and last blocks, and a quoted row in the fourth block (or
        // the second), from which the csv reader reads the rest, including
        // the next block that was already parsed ahead.
        for quoted in [150_001_u32, 40_001] {
            blocks_parsed_ahead_with_a_quote_at(quoted);
        }
    }

    /// The rows of `blocks_parsed_ahead_keep_lines_and_results`, with the
    /// quoted row at line `quoted`: when the csv reader takes over, the
    /// next block was parsed and (with room left) the one after it read.
    fn blocks_parsed_ahead_with_a_quote_at(quoted: u32) {
        let mut text = String::from("order_id,customer_id,order_date,amount\n");
        let bad_dates = [1_001_u32, 90_001, 199_001];
        let bad_amount = 180_001_u32;
        for i in 2..=200_001_u32 {
            let date = if bad_dates.contains(&i) {
                "2025-02-30"
            } else {
                "2025-03-04"
            };
            let amount = if i == bad_amount { "1.234" } else { "2.50" };
            let customer = if i == quoted {
                "\"c7\"".to_owned()
            } else {
                format!("{}", 1_000 + i % 9_973)
            };
            text.push_str(&format!("{i},{customer},{date},{amount}\n"));
        }
        assert!(text.len() > 5 * BLOCK);
        let one = load_text(&text, 1, true).unwrap();
        let lines = |f: &OrderFile| f.loaded.skipped.iter().map(|p| p.line).collect::<Vec<_>>();
        // Hand-counted: 200,000 rows, 4 of them bad.
        assert_eq!(lines(&one), [1_001, 90_001, u64::from(bad_amount), 199_001]);
        assert_eq!((one.log.rows(), one.loaded.rows), (199_996, 200_000));
        // The 9,973 numeric customers and `c7` of the quoted row.
        assert_eq!(one.log.index().len(), 9_974);
        for threads in [2, 3] {
            let many = load_text(&text, threads, true).unwrap();
            assert_eq!(one.log, many.log, "{threads} threads");
            assert_eq!(lines(&many), lines(&one), "{threads} threads");
            assert_eq!(many.loaded.rows, one.loaded.rows);
            assert_eq!(many.loaded.lines.line(199_995), Some(200_001));
        }
        // Strict: the first bad line, wherever its block is parsed.
        let late = text.replacen("2025-02-30", "2025-03-04", 2);
        for threads in [1, 2] {
            let err = load_text(&late, threads, false).err().unwrap().to_string();
            assert!(err.contains("line 180001, column 4 (amount)"), "{err}");
        }
    }

    #[test]
    fn invalid_utf8_names_its_cell_and_the_rest_still_loads() {
        // One bad byte makes the piece fail the whole-piece UTF-8 check,
        // so its rows are split as bytes and checked cell by cell.
        let mut bytes = b"order_id,customer_id,order_date,amount\n".to_vec();
        bytes.extend_from_slice(
            b"1,7,2025-03-04,1.00\n2,\xff8,2025-03-04,2.00\n3,9,2025-03-05,3.50\n",
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.csv");
        std::fs::write(&path, &bytes).unwrap();
        let options = ParseOptions {
            scale: 2,
            zone: None,
            lenient: true,
        };
        let config = IngestConfig::new(d(2025, 12, 31));
        let file = load_orders(&path, &config, options, |b| b).unwrap();
        assert_eq!(file.log.rows(), 2);
        assert_eq!(file.loaded.skipped.len(), 1);
        let skipped = &file.loaded.skipped[0];
        assert_eq!(skipped.line, 3);
        assert_eq!(skipped.column.as_deref(), Some("column 2 (customer_id)"));
        assert!(skipped.problem.contains("UTF-8"), "{}", skipped.problem);
        assert_eq!(file.loaded.lines.line(1), Some(4));
    }

    proptest::proptest! {
        /// The word-at-a-time search finds exactly the commas and newlines
        /// a byte search finds, wherever they fall in a word (bytes with
        /// the high bit set, next to separators, and tails of 0-7 bytes).
        #[test]
        fn separators_are_the_commas_and_newlines(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b','),
                    proptest::strategy::Just(b'\n'),
                    proptest::strategy::Just(b'-'),
                    proptest::strategy::Just(b'\x0b'),
                    proptest::strategy::Just(0xac_u8),
                    proptest::strategy::Just(0_u8),
                    proptest::num::u8::ANY,
                ],
                0..80,
            ),
        ) {
            let found: Vec<usize> = Separators::new(&bytes).collect();
            let expected: Vec<usize> = bytes
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b',' || b == b'\n')
                .map(|(i, _)| i)
                .collect();
            proptest::prop_assert_eq!(found, expected);
        }
    }

    #[test]
    fn separators_in_a_row() {
        let row = b"1,605845465,2023-01-01,287.20,web\n2,9";
        assert_eq!(
            Separators::new(row).collect::<Vec<_>>(),
            [1, 11, 22, 29, 33, 35]
        );
        assert_eq!(Separators::new(b"").next(), None);
        assert_eq!(Separators::new(b"abcdefgh").next(), None);
        assert_eq!(Separators::new(b"abcdefgh,").collect::<Vec<_>>(), [8]);
    }

    #[test]
    fn line_map() {
        let mut map = LineMap::default();
        for line in [2, 3, 5, 6, 7, 10] {
            map.record(line);
        }
        let lines: Vec<Option<u64>> = (0..7).map(|i| map.line(i)).collect();
        assert_eq!(
            lines,
            [Some(2), Some(3), Some(5), Some(6), Some(7), Some(10), None]
        );
    }
}
