//! Writing results: CSV, JSON or an aligned table, to a file or stdout.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::cli::Format;
use crate::load::{Loaded, RowProblem, first_line};

/// A table of text cells, written in one of the formats. The rows are an
/// iterator: CSV and JSON are written row by row as it yields them (a
/// million customers never sit in memory as text); the table format
/// collects them to align the columns.
#[derive(Debug, Default)]
pub struct Rows<I> {
    /// Column names.
    pub header: Vec<String>,
    /// The rows, as text.
    pub rows: I,
    /// Columns that hold numbers (written as JSON numbers when they parse).
    pub numeric: Vec<&'static str>,
}

/// Where output goes: `--output FILE` or stdout.
pub fn sink(output: Option<&Path>) -> Result<Box<dyn Write>> {
    Ok(match output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

fn target(output: Option<&Path>) -> String {
    output.map_or_else(|| "stdout".to_owned(), |p| p.display().to_string())
}

impl<I: IntoIterator<Item = Vec<String>>> Rows<I> {
    /// Writes the rows in `format` to `output` (or stdout).
    pub fn write(self, format: Format, output: Option<&Path>) -> Result<()> {
        let context = || format!("cannot write {}", target(output));
        let mut out = sink(output)?;
        match format {
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(&mut out);
                writer.write_record(&self.header).with_context(context)?;
                for row in self.rows.into_iter() {
                    writer.write_record(&row).with_context(context)?;
                }
                writer.flush().with_context(context)?;
            }
            Format::Json => {
                let (header, numeric) = (&self.header, &self.numeric);
                let objects = self.rows.into_iter().map(|row| {
                    header
                        .iter()
                        .zip(row)
                        .map(|(name, cell)| {
                            let value = if numeric.contains(&name.as_str()) {
                                cell.parse::<serde_json::Number>()
                                    .map_or_else(|_| cell.into(), serde_json::Value::Number)
                            } else {
                                cell.into()
                            };
                            (name.clone(), value)
                        })
                        .collect::<serde_json::Map<String, serde_json::Value>>()
                });
                // `collect_seq` writes each object as the iterator yields
                // it, exactly as serializing a `Vec` of them would.
                serde::Serializer::collect_seq(
                    &mut serde_json::Serializer::pretty(&mut out),
                    objects,
                )
                .with_context(context)?;
                writeln!(out).with_context(context)?;
            }
            Format::Table => {
                let mut table = comfy_table::Table::new();
                table
                    .load_preset(comfy_table::presets::NOTHING)
                    .set_header(&self.header);
                for (i, name) in self.header.iter().enumerate() {
                    // Numbers, and money written as decimals, align right.
                    if self.numeric.contains(&name.as_str()) || name == "monetary" {
                        if let Some(column) = table.column_mut(i) {
                            column.set_cell_alignment(comfy_table::CellAlignment::Right);
                        }
                    }
                }
                for row in self.rows.into_iter() {
                    table.add_row(row);
                }
                writeln!(
                    out,
                    "{}",
                    table
                        .to_string()
                        .lines()
                        .map(str::trim_end)
                        .collect::<Vec<_>>()
                        .join("\n")
                )
                .with_context(context)?;
            }
        }
        out.flush().with_context(context)?;
        Ok(())
    }
}

/// Reports the rows skipped under `--lenient`: malformed rows found while
/// reading and invalid orders found by the ingest stage, in line order, on
/// stderr (or in `--skipped FILE`), then a count on stderr. Nothing when
/// nothing was skipped.
pub fn report_skipped(
    path: &Path,
    loaded: &Loaded,
    orders: &[rfmkit::ingest::Skipped],
    skipped_file: Option<&PathBuf>,
) -> Result<()> {
    let mut all: Vec<(u64, RowProblem, String)> = loaded
        .skipped
        .iter()
        .map(|p| (p.line, p.clone(), String::new()))
        .collect();
    for order in orders {
        let line = loaded.lines.line(order.index).unwrap_or(0);
        // A bad cell (Parquet) names its column in the column field; its
        // row is the report's own row number, not repeated in the text.
        let (column, problem) = match &order.reason {
            rfmkit::Error::InvalidColumn {
                column,
                row: Some(_),
                problem,
            } => (Some(format!("column {column}")), problem.clone()),
            reason => (
                None,
                format!("{reason}{}", first_line(&loaded.lines, reason)),
            ),
        };
        all.push((
            line,
            RowProblem {
                line,
                column,
                problem,
            },
            order.order_id.to_string(),
        ));
    }
    all.sort_by_key(|(line, _, _)| *line);
    if all.is_empty() {
        return Ok(());
    }
    match skipped_file {
        Some(file) => {
            let context = || format!("cannot write {}", file.display());
            let mut writer = csv::Writer::from_writer(File::create(file).with_context(context)?);
            writer
                .write_record([loaded.lines.unit(), "column", "order_id", "problem"])
                .with_context(context)?;
            for (line, problem, order_id) in &all {
                writer
                    .write_record([
                        line.to_string().as_str(),
                        problem.column.as_deref().unwrap_or(""),
                        order_id,
                        &problem.problem,
                    ])
                    .with_context(context)?;
            }
            writer.flush().with_context(context)?;
        }
        None => {
            for (_, problem, order_id) in &all {
                let mut message = problem.message_in(path, loaded.lines.unit());
                if !order_id.is_empty() {
                    message = message.replacen(": ", &format!(" (order {order_id}): "), 1);
                }
                crate::write_stderr(&format!("skipped {message}"));
            }
        }
    }
    let listed = skipped_file.map_or_else(String::new, |f| format!("; listed in {}", f.display()));
    crate::write_stderr(&format!(
        "skipped {} of {} rows{listed}",
        all.len(),
        loaded.rows
    ));
    Ok(())
}
