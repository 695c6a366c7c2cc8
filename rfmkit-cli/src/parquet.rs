//! Parquet order files → the library's Arrow ingest (`rfmkit::ingest::arrow`).
//!
//! A file whose name ends in `.parquet` (any case) is read as Parquet: the
//! same columns as an order CSV, found by name (ASCII case-insensitive), in
//! typed form: `customer_id` an integer or a string, `order_date` a
//! `date32`/`date64` or a timestamp, `amount` (and `cost`) a decimal with at
//! most `--scale` decimals per value, or integer minor units. Timestamps
//! with a time zone are instants, converted to the shop's day with
//! `--timezone` (required for them, as for CSV timestamps with an offset);
//! timestamps without one are wall-clock times in the shop's zone. The
//! library's module docs list every type and rule.
//!
//! Only the order columns are decoded (a projection); other columns are
//! never read. Rows in messages are the 0-based row index within the file,
//! as pyarrow and polars number them: `orders.parquet: row 3, column
//! amount: is null`.

use std::fs::File;
use std::path::Path;

use anyhow::Result;
use chrono::TimeZone as _;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rfmkit::ingest::arrow::ArrowOrders;
use rfmkit::ingest::{IngestConfig, LogBuilder};

use crate::load::{FileError, LineMap, Loaded, OrderFile, ParseOptions, ShopZone, library_message};

/// The columns the loader decodes (the library finds them again by name).
const COLUMNS: [&str; 8] = [
    "customer_id",
    "order_date",
    "amount",
    "order_id",
    "status",
    "channel",
    "store",
    "cost",
];

/// Rows per decoded batch: large enough that per-batch work vanishes,
/// small enough to stay in cache-friendly chunks.
const BATCH_ROWS: usize = 8 * 1024;

/// Whether `path` names a Parquet file (by its extension).
pub fn is_parquet(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Loads a Parquet order file: as `load::load_orders` for CSV, with rows
/// for lines.
///
/// # Errors
///
/// An unreadable file or one that is not Parquet; a missing column or one
/// of an unsupported type; in strict mode the first bad cell or invalid
/// order, naming the file, the 0-based row and the column.
pub fn load_parquet(
    path: &Path,
    config: &IngestConfig,
    options: ParseOptions,
    adjust: impl FnOnce(LogBuilder<'_>) -> LogBuilder<'_>,
) -> Result<OrderFile> {
    let file =
        File::open(path).map_err(|e| FileError(format!("{}: cannot read: {e}", path.display())))?;
    let not_parquet = |e: parquet::errors::ParquetError| {
        FileError(format!("{}: cannot read as Parquet: {e}", path.display()))
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).map_err(not_parquet)?;
    let total = usize::try_from(reader.metadata().file_metadata().num_rows()).unwrap_or(0);
    let wanted: Vec<usize> = reader
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            COLUMNS
                .iter()
                .any(|c| f.name().trim().eq_ignore_ascii_case(c))
        })
        .map(|(i, _)| i)
        .collect();
    let mask = ProjectionMask::roots(reader.parquet_schema(), wanted);
    let mut orders = ArrowOrders::new(options.scale)
        .map_err(|e| FileError(format!("{}: --scale: {e}", path.display())))?;
    orders = match options.zone {
        None => orders,
        Some(ShopZone::Fixed(offset)) => orders.offset(offset),
        Some(ShopZone::Named(tz)) => {
            orders.day_of(move |utc| tz.from_utc_datetime(&utc.naive_utc()).date_naive())
        }
    };
    let batches = reader
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(not_parquet)?;
    let bar = crate::load::progress(
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        "loading",
    );
    let bytes_per_row = bar.length().unwrap_or(0) / u64::try_from(total.max(1)).unwrap_or(1);
    let mut builder = config.builder();
    builder.reserve(total);
    let mut lines = LineMap::rows(0);
    let fail = |lines: &LineMap, err: &rfmkit::Error| {
        FileError(library_message(path, lines, err).replace(
            "set it with ArrowOrders::offset or ArrowOrders::day_of",
            "give it with --timezone (an IANA name such as Asia/Tokyo, or +09:00)",
        ))
    };
    for batch in batches {
        let batch =
            batch.map_err(|e| FileError(format!("{}: cannot read: {e}", path.display())))?;
        // Every row takes one push position, so push index = row index.
        lines = LineMap::rows(orders.rows() + batch.num_rows());
        orders
            .push_batch(&batch, &mut builder)
            .map_err(|e| fail(&lines, &e))?;
        bar.set_position(bytes_per_row * u64::try_from(orders.rows()).unwrap_or(0));
    }
    bar.finish_and_clear();
    let loaded = Loaded {
        lines,
        skipped: Vec::new(),
        rows: u64::try_from(orders.rows()).unwrap_or(u64::MAX),
    };
    let log = adjust(builder)
        .build()
        .map_err(|e| fail(&loaded.lines, &e))?;
    Ok(OrderFile {
        log,
        loaded,
        path: path.to_owned(),
    })
}
