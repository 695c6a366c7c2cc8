//! CSV loading and command-line plumbing shared by the rfmkit examples.
//!
//! Each example that reads an order file includes this module with
//!
//! ```text
//! #[path = "common/mod.rs"]
//! mod common;
//! ```
//!
//! and gets:
//!
//! - [`read_orders`]: an order CSV → [`Order`]s, each with its 1-based CSV
//!   line, so that every later error can name the line it comes from;
//! - [`locate_error`]: an [`rfmkit::Error`] that carries an order `index`
//!   → a message naming the CSV line and order id;
//! - [`parse_flags`], [`Failure`] and [`exit`]: a small hand-written flag
//!   parser and the exit-code convention (0 ok, 1 failed run, 2 usage error);
//! - [`write_stderr`]: printing that cannot panic.
//!
//! Nothing here is specific to one example: RFM, LTV and the benchmarks all
//! read the same order format. Items an example does not use are marked
//! `#[allow(dead_code)]`.
//!
//! # Order CSV format
//!
//! A header row, then one order per row. Columns are found by header name
//! (ASCII case-insensitive, surrounding spaces and a UTF-8 byte-order mark
//! ignored), in any order; unknown columns are ignored.
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `customer_id` | yes | the customer; must not be empty |
//! | `order_date` | yes | the shop-calendar date, exactly `YYYY-MM-DD` |
//! | `amount` | yes | a decimal such as `29.33` or `-5.00`, at most `scale` decimals |
//! | `order_id` | no | the order's id; if the column is absent or the cell empty, `<line N>` (N = the CSV line; see below) |
//! | `status` | no | `completed`, `returned` or `cancelled`; if absent or empty, a negative amount is a return and any other amount a completed order |
//! | `channel` | no | the sales channel; empty means none |
//! | `store` | no | the store; empty means none |
//! | `cost` | no | the cost of goods sold, a decimal like `amount`; empty means unknown |
//!
//! Every row must have as many fields as the header (a row with more fields
//! usually has an unquoted comma, as in `1,200.00`). Cells are trimmed of
//! surrounding spaces. Blank lines are skipped and do not shift the line
//! numbers, which are physical lines of the file (a quoted field may span
//! several).

use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use rfmkit::error::Location;
use rfmkit::order::OrderStatus;
use rfmkit::{Money, Order};

/// Orders read from a CSV file by [`read_orders`].
#[derive(Debug, Clone, Default)]
pub struct LoadedOrders {
    /// The orders, in file order.
    pub orders: Vec<Order>,
    /// The 1-based CSV line of each order: `lines[i]` is the line of
    /// `orders[i]`. Pass it to [`locate_error`] to turn an rfmkit error's
    /// 0-based order `index` back into a line.
    pub lines: Vec<u64>,
    /// Rows skipped in lenient mode: (1-based line, what is wrong), in file
    /// order. Always empty in strict mode.
    pub skipped: Vec<(u64, String)>,
}

/// Why an order CSV could not be read.
///
/// Displays with the file name first, then the line when there is one:
///
/// ```text
/// orders.csv line 7: order_date "2025-13-01" is not a date (YYYY-MM-DD)
/// orders.csv: missing column "amount" (header: customer_id,order_date)
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum CsvError {
    /// The file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A required column is not in the header row.
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The missing column.
        column: &'static str,
        /// The header row as read (trimmed).
        header: Vec<String>,
    },
    /// A known column appears twice in the header row, so which one to use
    /// is ambiguous.
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The repeated column.
        column: &'static str,
    },
    /// A data row is malformed (strict mode only; lenient mode skips it).
    Row {
        /// The file.
        path: PathBuf,
        /// The 1-based line where the row starts.
        line: u64,
        /// What is wrong with it.
        problem: String,
    },
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvError::Io { path, source } => {
                write!(f, "{}: cannot read: {source}", path.display())
            }
            CsvError::MissingColumn {
                path,
                column,
                header,
            } => {
                if header.iter().all(String::is_empty) {
                    write!(
                        f,
                        "{}: missing column {column:?} (the file has no header row)",
                        path.display()
                    )
                } else {
                    write!(
                        f,
                        "{}: missing column {column:?} (header: {})",
                        path.display(),
                        header.join(",")
                    )
                }
            }
            CsvError::DuplicateColumn { path, column } => write!(
                f,
                "{}: column {column:?} appears more than once in the header; keep one",
                path.display()
            ),
            CsvError::Row {
                path,
                line,
                problem,
            } => write!(f, "{} line {line}: {problem}", path.display()),
        }
    }
}

impl std::error::Error for CsvError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CsvError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Positions of the known columns in the header row.
#[derive(Debug, Clone, Copy)]
struct Columns {
    customer_id: usize,
    order_date: usize,
    amount: usize,
    order_id: Option<usize>,
    status: Option<usize>,
    channel: Option<usize>,
    store: Option<usize>,
    cost: Option<usize>,
}

impl Columns {
    fn find(path: &Path, header: &csv::StringRecord) -> Result<Columns, CsvError> {
        let names: Vec<String> = header
            .iter()
            .enumerate()
            .map(|(i, name)| {
                // Spreadsheet exports often start with a UTF-8 byte-order
                // mark, which the csv crate keeps in the first header.
                let name = if i == 0 {
                    name.trim_start_matches('\u{feff}').trim()
                } else {
                    name
                };
                name.to_owned()
            })
            .collect();
        let position = |column: &'static str| -> Result<Option<usize>, CsvError> {
            let mut found = names
                .iter()
                .enumerate()
                .filter(|(_, name)| name.eq_ignore_ascii_case(column))
                .map(|(i, _)| i);
            let first = found.next();
            if found.next().is_some() {
                return Err(CsvError::DuplicateColumn {
                    path: path.to_owned(),
                    column,
                });
            }
            Ok(first)
        };
        let required = |column: &'static str| -> Result<usize, CsvError> {
            position(column)?.ok_or_else(|| CsvError::MissingColumn {
                path: path.to_owned(),
                column,
                header: names.clone(),
            })
        };
        Ok(Columns {
            customer_id: required("customer_id")?,
            order_date: required("order_date")?,
            amount: required("amount")?,
            order_id: position("order_id")?,
            status: position("status")?,
            channel: position("channel")?,
            store: position("store")?,
            cost: position("cost")?,
        })
    }

    /// The order in one data row, or what is wrong with the row.
    fn order(
        &self,
        record: &csv::StringRecord,
        header_len: usize,
        line: u64,
        scale: u32,
    ) -> Result<Order, String> {
        if record.len() != header_len {
            let hint = if record.len() > header_len {
                "; quote values that contain a comma"
            } else {
                ""
            };
            return Err(format!(
                "has {} fields but the header has {header_len}{hint}",
                record.len()
            ));
        }
        // The length check above guarantees every index is present; the
        // empty-string default is never used.
        let cell = |i: usize| record.get(i).unwrap_or("");
        let optional = |i: Option<usize>| i.map(cell).filter(|s| !s.is_empty());

        let customer = cell(self.customer_id);
        if customer.is_empty() {
            return Err("customer_id is empty".to_owned());
        }
        let date_text = cell(self.order_date);
        let date = parse_date(date_text)
            .ok_or_else(|| format!("order_date {date_text:?} is not a date (YYYY-MM-DD)"))?;
        let amount = parse_money("amount", cell(self.amount), scale)?;
        let status = match optional(self.status) {
            Some(text) => parse_status(text)?,
            None if amount.is_negative() => OrderStatus::Returned,
            None => OrderStatus::Completed,
        };
        let id = match optional(self.order_id) {
            Some(id) if is_invented_id(id) => {
                return Err(format!(
                    "order_id {id:?} has the form <line N> that is reserved for rows without \
                     an order id; rename the order"
                ));
            }
            Some(id) => id.to_owned(),
            None => invented_id(line),
        };
        let mut order = Order::new(id, customer, date, amount).with_status(status);
        if let Some(channel) = optional(self.channel) {
            order = order.with_channel(channel);
        }
        if let Some(store) = optional(self.store) {
            order = order.with_store(store);
        }
        if let Some(cost) = optional(self.cost) {
            order = order.with_cost(parse_money("cost", cost, scale)?);
        }
        Ok(order)
    }
}

/// The order id given to a row without one: `<line N>`, N its 1-based CSV
/// line.
///
/// Invented ids live in a namespace of their own: a real `order_id` of the
/// form `<line …>` is rejected ([`is_invented_id`]), so an invented id can
/// never equal a real one and never causes a false duplicate-id error; two
/// invented ids differ because their lines do.
fn invented_id(line: u64) -> String {
    format!("<line {line}>")
}

/// Whether `id` has the reserved form of an [`invented_id`].
fn is_invented_id(id: &str) -> bool {
    id.starts_with("<line ") && id.ends_with('>')
}

/// Parses a date written exactly `YYYY-MM-DD` (four-digit year, two-digit
/// month and day), rejecting impossible dates such as `2025-02-30`.
///
/// Stricter than chrono's `%Y-%m-%d`, which also takes `2025-1-5` and signed
/// years: a CSV column with mixed date formats is usually a data problem.
#[allow(dead_code)]
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let shape_ok = parts.next().is_none()
        && [(year, 4), (month, 2), (day, 2)]
            .iter()
            .all(|(part, len)| part.len() == *len && part.bytes().all(|b| b.is_ascii_digit()));
    if !shape_ok {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// Parses a money cell with [`Money::parse_decimal`], naming the column in
/// the error.
fn parse_money(column: &str, text: &str, scale: u32) -> Result<Money, String> {
    Money::parse_decimal(text, scale).map_err(|err| match err {
        rfmkit::Error::ParseMoney { reason, .. } => {
            format!("{column} {text:?} is not an amount: {reason}")
        }
        other => format!("{column} {text:?}: {other}"),
    })
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

/// Reads the orders of a CSV file (format in the [module docs](self)),
/// parsing amounts with `scale` decimals (2 for dollars, 0 for yen).
///
/// In strict mode (`lenient == false`) the first malformed row is the
/// error. In lenient mode malformed rows are left out and listed in
/// [`LoadedOrders::skipped`]; only an unreadable file or header fails.
/// A file with a header and no rows gives no orders.
///
/// Only the form of each row is checked here. Whether the orders make sense
/// together (unique ids, amount signs, dates up to the as-of date) is
/// checked by rfmkit when summarizing; report those errors with
/// [`locate_error`].
///
/// # Errors
///
/// [`CsvError::Io`] if the file cannot be opened or read,
/// [`CsvError::MissingColumn`] / [`CsvError::DuplicateColumn`] for a bad
/// header, and (strict mode) [`CsvError::Row`] for the first malformed row:
/// wrong number of fields, empty `customer_id`, a bad date, a non-numeric or
/// overflowing amount or cost, an unknown status, or invalid UTF-8.
pub fn read_orders(path: &Path, scale: u32, lenient: bool) -> Result<LoadedOrders, CsvError> {
    let io_error = |source: io::Error| CsvError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        // Field counts are checked per row below, so that the message names
        // the line and lenient mode can skip the row.
        .flexible(true)
        .from_reader(io::BufReader::new(file));
    let header = reader
        .headers()
        .map_err(|err| csv_error(path, err, 1))?
        .clone();
    let columns = Columns::find(path, &header)?;

    let mut loaded = LoadedOrders::default();
    let mut record = csv::StringRecord::new();
    loop {
        let line_before = reader.position().line();
        let result = match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(line_before, csv::Position::line);
                columns
                    .order(&record, header.len(), line, scale)
                    .map(|order| (line, order))
                    .map_err(|problem| CsvError::Row {
                        path: path.to_owned(),
                        line,
                        problem,
                    })
            }
            Err(err) => Err(csv_error(path, err, line_before)),
        };
        match result {
            Ok((line, order)) => {
                loaded.orders.push(order);
                loaded.lines.push(line);
            }
            Err(CsvError::Row { line, problem, .. }) if lenient => {
                loaded.skipped.push((line, problem));
            }
            Err(err) => return Err(err),
        }
    }
    Ok(loaded)
}

/// Maps a csv crate error: I/O errors stay I/O errors (fatal even in lenient
/// mode, as the reader cannot go on); invalid UTF-8 becomes a row problem.
fn csv_error(path: &Path, err: csv::Error, fallback_line: u64) -> CsvError {
    let line = err.position().map_or(fallback_line, csv::Position::line);
    let message = err.to_string();
    match err.into_kind() {
        csv::ErrorKind::Io(source) => CsvError::Io {
            path: path.to_owned(),
            source,
        },
        csv::ErrorKind::Utf8 { err, .. } => CsvError::Row {
            path: path.to_owned(),
            line,
            problem: format!(
                "field {} is not valid UTF-8; save the file as UTF-8",
                err.field() + 1
            ),
        },
        _ => CsvError::Row {
            path: path.to_owned(),
            line,
            problem: message,
        },
    }
}

/// A message for an rfmkit error about the orders read from `path`, naming
/// the CSV line when the error names an order.
///
/// `lines` is [`LoadedOrders::lines`]: the error's 0-based order `index`
/// (see [`rfmkit::error::Location`]) is looked up there, which stays exact
/// when blank lines, multi-line fields or skipped rows make `index + 2`
/// wrong. The library's own message follows the location:
///
/// ```text
/// orders.csv line 9 (order A-7): order #7 (id A-7): dated 2026-01-05, after the as-of date ...
/// ```
///
/// Errors about a customer or without a location get the file name only.
/// A duplicate order id also gets the line of the first occurrence.
#[allow(dead_code)]
pub fn locate_error(path: &Path, lines: &[u64], err: &rfmkit::Error) -> String {
    let mut message = match err.location() {
        Some(Location::Order { index, order_id }) => match lines.get(index) {
            Some(line) => format!("{} line {line} (order {order_id}): {err}", path.display()),
            None => format!("{} (order {order_id}): {err}", path.display()),
        },
        _ => format!("{}: {err}", path.display()),
    };
    // The library names the first occurrence by its 0-based index only.
    if let rfmkit::Error::DuplicateOrderId { first_index, .. } = err {
        if let Some(first_line) = lines.get(*first_index) {
            message.push_str(&format!(" (the first is on line {first_line})"));
        }
    }
    message
}

/// Parsed command-line flags; made by [`parse_flags`].
#[allow(dead_code)]
#[derive(Debug, Clone, Default)]
pub struct Flags {
    values: Vec<(&'static str, String)>,
    switches: Vec<&'static str>,
}

#[allow(dead_code)]
impl Flags {
    /// The value of `--name VALUE`, if given.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a required `--name VALUE`.
    ///
    /// # Errors
    ///
    /// [`Failure::Usage`] if the flag was not given.
    pub fn required(&self, name: &str) -> Result<&str, Failure> {
        self.value(name)
            .ok_or_else(|| Failure::Usage(format!("--{name} is required")))
    }

    /// Whether the switch `--name` was given.
    pub fn switch(&self, name: &str) -> bool {
        self.switches.contains(&name)
    }

    /// The value of `--name N`, a positive whole number, or `default`.
    ///
    /// # Errors
    ///
    /// [`Failure::Usage`] if the value is not a positive number.
    pub fn positive(&self, name: &str, default: usize) -> Result<usize, Failure> {
        match self.value(name) {
            None => Ok(default),
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| {
                    Failure::Usage(format!("--{name} {text:?} is not a positive number"))
                }),
        }
    }

    /// The currency scale from `--scale N` (default 2 decimals).
    ///
    /// # Errors
    ///
    /// [`Failure::Usage`] unless N is `0..=MAX_SCALE`.
    pub fn scale(&self) -> Result<u32, Failure> {
        let max = rfmkit::money::MAX_SCALE;
        match self.value("scale") {
            None => Ok(2),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|&s| s <= max)
                .ok_or_else(|| Failure::Usage(format!("--scale {text:?}: use 0..={max} decimals"))),
        }
    }
}

/// Prints on stderr, in file order, every row skipped under `--lenient`:
/// the malformed rows found while reading and the invalid orders found while
/// summarizing, then a count. Prints nothing when nothing was skipped.
#[allow(dead_code)]
pub fn report_skipped(path: &Path, loaded: &LoadedOrders, orders: &[rfmkit::summary::Skipped]) {
    let mut skipped: Vec<(u64, String)> = loaded
        .skipped
        .iter()
        .map(|(line, problem)| (*line, format!("{} line {line}: {problem}", path.display())))
        .collect();
    skipped.extend(orders.iter().map(|order| {
        let line = loaded.lines.get(order.index).copied().unwrap_or(0);
        (line, locate_error(path, &loaded.lines, &order.reason))
    }));
    skipped.sort_by_key(|(line, _)| *line);
    if skipped.is_empty() {
        return;
    }
    for (_, message) in &skipped {
        write_stderr(&format!("skipped {message}"));
    }
    write_stderr(&format!(
        "skipped {} of {} rows (--lenient)",
        skipped.len(),
        loaded.orders.len() + loaded.skipped.len()
    ));
}

/// Parses `--name VALUE`, `--name=VALUE` and `--name` switches.
///
/// `args` are the program's arguments without the program name (pass
/// `std::env::args_os().skip(1)`, which unlike `std::env::args` does not
/// panic on arguments that are not UTF-8). `with_value` and `switches` list
/// the accepted flag names without the leading `--`. `--help` or `-h`
/// anywhere gives [`Failure::Help`].
///
/// # Errors
///
/// [`Failure::Usage`] for an unknown flag, a positional argument, a flag
/// given twice, a missing value, a value given to a switch, or an argument
/// that is not UTF-8.
#[allow(dead_code)]
pub fn parse_flags(
    args: impl IntoIterator<Item = OsString>,
    with_value: &[&'static str],
    switches: &[&'static str],
) -> Result<Flags, Failure> {
    let mut flags = Flags::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|arg| Failure::Usage(format!("argument {arg:?} is not valid UTF-8")))?;
        if arg == "--help" || arg == "-h" {
            return Err(Failure::Help);
        }
        let Some(body) = arg.strip_prefix("--") else {
            return Err(Failure::Usage(format!("unexpected argument {arg:?}")));
        };
        let (name, inline) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (body, None),
        };
        let seen = flags.value(name).is_some() || flags.switch(name);
        if let Some(&known) = with_value.iter().find(|&&n| n == name) {
            if seen {
                return Err(Failure::Usage(format!("--{name} is given twice")));
            }
            let value = match inline {
                Some(value) => value,
                None => match args.next().map(OsString::into_string) {
                    Some(Ok(value)) if !value.starts_with("--") => value,
                    Some(Err(value)) => {
                        return Err(Failure::Usage(format!(
                            "--{name}: {value:?} is not valid UTF-8"
                        )));
                    }
                    _ => return Err(Failure::Usage(format!("--{name} needs a value"))),
                },
            };
            flags.values.push((known, value));
        } else if let Some(&known) = switches.iter().find(|&&n| n == name) {
            if seen {
                return Err(Failure::Usage(format!("--{name} is given twice")));
            }
            if inline.is_some() {
                return Err(Failure::Usage(format!("--{name} takes no value")));
            }
            flags.switches.push(known);
        } else {
            return Err(Failure::Usage(format!("unknown flag --{name}")));
        }
    }
    Ok(flags)
}

/// How an example run ended, other than successfully.
#[allow(dead_code)]
#[derive(Debug)]
pub enum Failure {
    /// `--help` was asked for: print the usage on stdout, exit 0.
    Help,
    /// Bad command line: print the message and the usage on stderr, exit 2.
    Usage(String),
    /// The run failed (bad input, unwritable output): print the message on
    /// stderr, exit 1.
    Run(String),
}

impl From<CsvError> for Failure {
    fn from(err: CsvError) -> Failure {
        Failure::Run(err.to_string())
    }
}

/// Prints the outcome of a run and gives its exit code: 0 on success or
/// `--help`, 1 for [`Failure::Run`], 2 for [`Failure::Usage`].
#[allow(dead_code)]
pub fn exit(result: Result<(), Failure>, usage: &str) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Help) => {
            // A closed stdout is not worth failing `--help` over.
            let _ = writeln!(io::stdout().lock(), "{usage}");
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(message)) => {
            write_stderr(&format!("error: {message}\n\n{usage}"));
            ExitCode::from(2)
        }
        Err(Failure::Run(message)) => {
            write_stderr(&format!("error: {message}"));
            ExitCode::FAILURE
        }
    }
}

/// Writes `text` and a newline to stderr, ignoring write errors
/// (`eprintln!` panics on them, e.g. when stderr is a closed pipe).
#[allow(dead_code)]
pub fn write_stderr(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("2025-12-31").is_some());
        for bad in [
            "2025-13-01",
            "2025-02-30",
            "2025-1-05",
            "+2025-01-05",
            "",
            "2025-01-05-",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }
}
