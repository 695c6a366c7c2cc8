//! Aligned text tables for the `Display` impls of this module.

use std::fmt;

use crate::money::Money;

/// Formats the cells of a table: money with a scale, floats, percentages;
/// `-` for a missing value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cells {
    scale: u32,
}

impl Cells {
    pub(crate) fn new(scale: u32) -> Cells {
        Cells { scale }
    }

    pub(crate) fn money(self, value: Option<Money>) -> String {
        value.map_or_else(
            || "-".to_owned(),
            |m| m.display_decimal(self.scale).to_string(),
        )
    }

    pub(crate) fn num(self, value: Option<f64>, decimals: usize) -> String {
        value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
    }

    pub(crate) fn pct(self, value: Option<f64>) -> String {
        value.map_or_else(|| "-".to_owned(), |v| format!("{:.1}%", v * 100.0))
    }
}

/// Writes `rows` as an aligned table: the first `left` columns padded on the
/// right, the others on the left, two spaces apart, trailing spaces trimmed,
/// no final newline. Short rows are padded with empty cells.
pub(crate) fn write(f: &mut fmt::Formatter<'_>, rows: &[Vec<String>], left: usize) -> fmt::Result {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0_usize; columns];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for (i, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (j, w) in widths.iter().enumerate() {
            let cell = row.get(j).map_or("", String::as_str);
            let w = *w;
            if j > 0 {
                line.push_str("  ");
            }
            if j < left {
                line.push_str(&format!("{cell:<w$}"));
            } else {
                line.push_str(&format!("{cell:>w$}"));
            }
        }
        if i > 0 {
            writeln!(f)?;
        }
        f.write_str(line.trim_end())?;
    }
    Ok(())
}
