//! Aligned text tables for the crate's `Display` impls: one writer and the
//! cell formats they share. A leaf module: it imports only [`Money`].

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

/// How [`write`] lays a table out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    /// The first `left` columns are padded on the right (left-aligned), the
    /// others on the left (right-aligned).
    pub(crate) left: usize,
    /// Between two columns.
    pub(crate) gap: &'static str,
    /// The least width of each column (columns beyond the list: 0).
    pub(crate) min_widths: &'static [usize],
}

impl Style {
    /// `left` left-aligned columns, the rest right-aligned, two spaces
    /// apart, each as wide as its widest cell.
    pub(crate) const fn left(left: usize) -> Style {
        Style {
            left,
            gap: "  ",
            min_widths: &[],
        }
    }
}

/// Writes `rows` as an aligned table, the crate's one text-table writer
/// (LTV reports, the RFM model's cuts, segment reports, the CLV holdout
/// table). Each column is as wide as its widest cell (counted in `char`s)
/// and at least its minimum width; cells are aligned as `style` says and
/// separated by its gap; trailing spaces are trimmed; lines are separated
/// by `\n`, with no final newline. Short rows are padded with empty cells.
pub(crate) fn write<R: AsRef<[String]>>(
    f: &mut fmt::Formatter<'_>,
    rows: &[R],
    style: Style,
) -> fmt::Result {
    let columns = rows.iter().map(|r| r.as_ref().len()).max().unwrap_or(0);
    let mut widths: Vec<usize> = (0..columns)
        .map(|j| style.min_widths.get(j).copied().unwrap_or(0))
        .collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row.as_ref()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for (i, row) in rows.iter().enumerate() {
        let row = row.as_ref();
        let mut line = String::new();
        for (j, w) in widths.iter().enumerate() {
            let cell = row.get(j).map_or("", String::as_str);
            let w = *w;
            if j > 0 {
                line.push_str(style.gap);
            }
            if j < style.left {
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
