//! Charts as SVG strings, each with the table of the numbers it shows
//! (feature `charts`).
//!
//! Every function here takes one of the crate's result types and returns a
//! [`Chart`]: a title, a self-contained SVG document (no scripts, no
//! external references, no ids that could clash when several charts share
//! a page) and a [`DataTable`] with exactly the numbers drawn, formatted as
//! the crate's text tables format them. [`Chart::html`] gives both as one
//! HTML fragment.
//!
//! | chart | from |
//! |---|---|
//! | [`rfm_heatmap`] | [`Scores`] (R × F: customers and mean monetary) |
//! | [`segment_bars`] | [`SegmentReport`] (share of customers vs revenue) |
//! | [`distribution`] | [`Scores`] (histogram of recency, frequency or monetary) |
//! | [`cohort_retention`] | [`CohortTable`] (retention by cohort and month) |
//! | [`ltv_curves`] | [`CohortTable`] (cumulative revenue per customer, CAC, payback) |
//! | [`ltv_cac`] | [`LtvCacTable`] (LTV / CAC per channel) |
//! | [`holdout`] | [`HoldoutTable`] (calibration vs holdout) |
//! | [`p_alive_matrix`] | [`TransactionModel`] (P(alive) by frequency and recency) |
//! | [`migration_matrix`] | [`Transitions`] (segment moves between two dates) |
//! | [`segment_trend`] | [`Trend`] (segment sizes and KPIs over a series of dates) |
//! | [`opt_ins`] | [`Segmentation`] and [`Customers`] (email / SMS opt-ins per segment) |
//!
//! # Design
//!
//! The SVG is written by a small private builder (rectangles, lines, text,
//! three layouts) rather than a plotting crate: the charts are simple, the
//! output stays small and stable enough to test by its structure, and the
//! feature adds no dependency and almost no compile time.
//!
//! Colours carry meaning only with a legend. Categorical series use the
//! Okabe–Ito palette and heatmaps the viridis scale; both stay readable
//! with colour vision deficiencies and in grey scale. Money is shown in
//! currency units with the [`MoneyFormat`]'s scale and thousands
//! separators. Text is UTF-8 and set in a font stack with Japanese fonts,
//! so segment names such as `優良顧客` render in a browser.
//!
//! Empty input is valid: it gives a chart with axes and an empty table.
//!
//! # Example
//!
//! ```
//! use chrono::NaiveDate;
//! use rfmkit::charts::{self, MoneyFormat};
//! use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
//! use rfmkit::segment::SegmentTable;
//! use rfmkit::summary::Summaries;
//! use rfmkit::{Money, Order};
//!
//! let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
//! let orders = vec![
//!     Order::new("A-1", "alice", day(1, 5)?, Money::new(4_500)),
//!     Order::new("A-2", "alice", day(2, 14)?, Money::new(3_000)),
//!     Order::new("A-3", "alice", day(3, 30)?, Money::new(6_000)),
//!     Order::new("A-4", "bob", day(1, 10)?, Money::new(1_200)),
//!     Order::new("A-5", "carol", day(3, 2)?, Money::new(2_500)),
//!     Order::new("A-6", "carol", day(3, 28)?, Money::new(900)),
//! ];
//! let summaries = Summaries::from_orders(&orders, day(3, 31)?)?;
//! let config = ScoringConfig::builder().method(Method::Rank).build()?;
//! let scores = RfmModel::fit(&config, &summaries).score_all(&summaries);
//! let report = SegmentTable::standard().segment_all(&scores)?.report()?;
//!
//! let chart = charts::segment_bars(&report, &MoneyFormat::new(2));
//! assert!(chart.svg().starts_with("<svg"));
//! // champions (R, F, M 4..=5): alice 5-5-5 and carol 4-4-4, 2 of 3
//! // customers and 169.00 of 181.00 revenue
//! let row = chart.table().rows().iter().find(|r| r[0] == "champions").ok_or("no row")?;
//! assert_eq!(row[1..], ["2", "66.7%", "169.00", "93.4%"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod svg;

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::Money;
use crate::clv::{Btyd, HoldoutTable, TransactionModel};
use crate::customer::Customers;
use crate::ltv::{Cac, CohortTable, LtvBasis, LtvCacTable, TimeUnit, payback_months};
use crate::rfm::{Dimension, ScoredCustomer, Scores};
use crate::segment::{SegmentReport, SegmentTable, Segmentation};
use crate::timeline::{Transitions, Trend};
use crate::{Error, Result};

use svg::{HBars, Heatmap, Line, Lines, OKABE_ITO, RefLine, Series, VBars, escape};

/// How charts show money: the currency's decimals (`scale`: 0 for yen, 2
/// for cents) and an optional unit name for axis labels.
///
/// # Example
///
/// ```
/// use rfmkit::Money;
/// use rfmkit::charts::MoneyFormat;
///
/// let yen = MoneyFormat::new(0).unit("円");
/// assert_eq!(yen.format(Money::new(1_234_567)), "1,234,567");
/// assert_eq!(yen.unit_name(), "円");
/// assert_eq!(MoneyFormat::new(2).format(Money::new(-123_456)), "-1,234.56");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct MoneyFormat {
    scale: u32,
    unit: String,
}

impl MoneyFormat {
    /// Money with `scale` decimals, labelled "currency units".
    #[must_use]
    pub fn new(scale: u32) -> MoneyFormat {
        MoneyFormat {
            scale,
            unit: "currency units".to_owned(),
        }
    }

    /// Names the unit on axes and in legends (default "currency units"),
    /// e.g. "JPY", "円" or "EUR".
    #[must_use]
    pub fn unit(mut self, unit: impl Into<String>) -> MoneyFormat {
        self.unit = unit.into();
        self
    }

    /// The decimals.
    #[must_use]
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// The unit name.
    #[must_use]
    pub fn unit_name(&self) -> &str {
        &self.unit
    }

    /// `money` in currency units with the scale's decimals and thousands
    /// separators.
    #[must_use]
    pub fn format(&self, money: Money) -> String {
        group_thousands(&money.display_decimal(self.scale).to_string())
    }

    /// A mean or other amount in minor units (a float), rounded to the
    /// nearest minor unit and formatted as [`MoneyFormat::format`]; `–`
    /// if it is not finite.
    #[must_use]
    pub fn format_minor(&self, minor_units: f64) -> String {
        match money_from_f64(minor_units) {
            Some(m) => self.format(m),
            None => "–".to_owned(),
        }
    }
}

/// Rounds a float amount of minor units to [`Money`]; `None` if it is not
/// finite or out of `i64` range.
fn money_from_f64(value: f64) -> Option<Money> {
    let rounded = value.round();
    if rounded.is_finite() && rounded.abs() < 9_223_372_036_854_775_808.0 {
        // In range by the check above.
        #[allow(clippy::cast_possible_truncation)]
        Some(Money::new(rounded as i64))
    } else {
        None
    }
}

/// Inserts `,` every three digits of a decimal number's integer part.
fn group_thousands(number: &str) -> String {
    let (sign, rest) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number),
    };
    let (int, frac) = match rest.find('.') {
        Some(dot) => rest.split_at(dot),
        None => (rest, ""),
    };
    let mut out = String::from(sign);
    let len = int.chars().count();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(frac);
    out
}

/// A count with thousands separators.
fn count(n: u64) -> String {
    group_thousands(&n.to_string())
}

/// A ratio in `0..=1` as a percentage with one decimal.
fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

fn u64_f64(n: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let v = n as f64;
    v
}

fn i64_f64(n: i64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let v = n as f64;
    v
}

/// The numbers a chart shows, as text cells: a caption, column names and
/// rows, formatted as the chart labels them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct DataTable {
    caption: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl DataTable {
    fn new(caption: impl Into<String>, columns: &[&str]) -> DataTable {
        DataTable {
            caption: caption.into(),
            columns: columns.iter().map(|&c| c.to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// What the table holds.
    #[must_use]
    pub fn caption(&self) -> &str {
        &self.caption
    }

    /// The column names.
    #[must_use]
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The rows, each with one cell per column.
    #[must_use]
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// The cells of the column named `name`, top to bottom; `None` if there
    /// is no such column.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<Vec<&str>> {
        let k = self.columns.iter().position(|c| c == name)?;
        Some(
            self.rows
                .iter()
                .map(|r| r.get(k).map_or("", String::as_str))
                .collect(),
        )
    }

    /// The table as an HTML `<table>` (escaped; numbers right-aligned by
    /// the `num` class).
    #[must_use]
    pub fn html(&self) -> String {
        let mut out = String::from("<table class=\"rfmkit-data\">");
        let _ = write!(
            out,
            "<caption>{}</caption><thead><tr>",
            escape(&self.caption)
        );
        for c in &self.columns {
            let _ = write!(out, "<th scope=\"col\">{}</th>", escape(c));
        }
        out.push_str("</tr></thead><tbody>");
        for row in &self.rows {
            out.push_str("<tr>");
            for (k, cell) in row.iter().enumerate() {
                let numeric = k > 0
                    && cell
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '–');
                let class = if numeric { " class=\"num\"" } else { "" };
                let _ = write!(out, "<td{class}>{}</td>", escape(cell));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
        out
    }
}

/// One chart: its title, the SVG document and the numbers it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Chart {
    title: String,
    svg: String,
    table: DataTable,
}

impl Chart {
    /// The title (also the SVG's `<title>`, its accessible name).
    #[must_use]
    pub fn title(&self) -> &str {
        &self.title
    }

    /// A standalone SVG document (`<svg xmlns=...>...</svg>`): write it to a
    /// `.svg` file or inline it.
    #[must_use]
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The numbers drawn.
    #[must_use]
    pub fn table(&self) -> &DataTable {
        &self.table
    }

    /// An HTML fragment: `<figure class="rfmkit-figure">` with the SVG
    /// (inline, without the namespace attribute HTML does not need) and
    /// the table beside it. Needs no CSS, but reads best with a rule that
    /// lays the two side by side (`.rfmkit-figure { display: flex }`).
    #[must_use]
    pub fn html(&self) -> String {
        format!(
            "<figure class=\"rfmkit-figure\"><div class=\"rfmkit-svg\">{}</div>\
<div class=\"rfmkit-table\">{}</div></figure>",
            self.svg.replacen(svg::XMLNS, "", 1),
            self.table.html()
        )
    }
}

/// The R × F heatmap: one cell per (R score, F score) with the number of
/// customers and their mean monetary value, coloured by the mean (viridis;
/// empty cells grey). R runs left to right from 1 (longest ago) to `bins`,
/// F from `bins` (most orders) at the top to 1.
///
/// The table has one row per cell, R then F ascending: `r`, `f`,
/// `customers`, `mean monetary` (in currency units; `–` for an empty
/// cell). Mean = the cell's summed monetary / its customers.
///
/// # Example
///
/// ```
/// # use chrono::NaiveDate;
/// # use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
/// # use rfmkit::summary::Summaries;
/// # use rfmkit::{Money, Order};
/// use rfmkit::charts::{self, MoneyFormat};
/// # let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// # let orders = vec![
/// #     Order::new("A-1", "alice", day(1, 5)?, Money::new(4_500)),
/// #     Order::new("A-4", "bob", day(1, 10)?, Money::new(1_200)),
/// # ];
/// # let summaries = Summaries::from_orders(&orders, day(3, 31)?)?;
/// # let config = ScoringConfig::builder().method(Method::Rank).build()?;
/// let scores = RfmModel::fit(&config, &summaries).score_all(&summaries);
/// let chart = charts::rfm_heatmap(&scores, &MoneyFormat::new(2));
/// assert_eq!(chart.table().rows().len(), 25); // 5 × 5 cells
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn rfm_heatmap(scores: &Scores, money: &MoneyFormat) -> Chart {
    let n = usize::from(scores.bins());
    let mut customers = vec![vec![0u64; n]; n];
    let mut sums = vec![vec![0i128; n]; n];
    for c in scores.iter() {
        let r = usize::from(c.score.r.get()).saturating_sub(1);
        let f = usize::from(c.score.f.get()).saturating_sub(1);
        if let Some(cell) = customers.get_mut(r).and_then(|row| row.get_mut(f)) {
            *cell += 1;
        }
        if let Some(cell) = sums.get_mut(r).and_then(|row| row.get_mut(f)) {
            *cell += i128::from(c.monetary.minor_units());
        }
    }
    let mean = |r: usize, f: usize| -> Option<f64> {
        let k = *customers.get(r)?.get(f)?;
        let sum = *sums.get(r)?.get(f)?;
        // i128 sums of i64 amounts: the quotient is an i64-range value.
        #[allow(clippy::cast_precision_loss)]
        let m = (k > 0).then(|| sum as f64 / u64_f64(k));
        m
    };
    let mut table = DataTable::new(
        format!(
            "customers and mean monetary ({}) per R and F score",
            money.unit
        ),
        &["r", "f", "customers", "mean monetary"],
    );
    for r in 0..n {
        for f in 0..n {
            let k = customers
                .get(r)
                .and_then(|row| row.get(f))
                .copied()
                .unwrap_or(0);
            table.rows.push(vec![
                (r + 1).to_string(),
                (f + 1).to_string(),
                count(k),
                mean(r, f).map_or_else(|| "–".to_owned(), |m| money.format_minor(m)),
            ]);
        }
    }
    let means: Vec<f64> = (0..n)
        .flat_map(|r| (0..n).map(move |f| (r, f)))
        .filter_map(|(r, f)| mean(r, f))
        .collect();
    let lo = means.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if means.is_empty() {
        (0.0, 1.0)
    } else {
        (lo, hi)
    };
    let rows: Vec<usize> = (0..n).rev().collect();
    let title = "RFM heatmap: customers and mean monetary by R and F";
    let y_label = "F score (frequency; 1 = fewest orders)";
    let x_label = "R score (recency; 1 = longest ago)";
    let heatmap = Heatmap {
        title,
        x_label,
        y_label,
        cols: (1..=n).map(|r| r.to_string()).collect(),
        rows: rows.iter().map(|f| (f + 1).to_string()).collect(),
        values: rows
            .iter()
            .map(|&f| (0..n).map(|r| mean(r, f)).collect())
            .collect(),
        text: rows
            .iter()
            .map(|&f| {
                (0..n)
                    .map(|r| {
                        let k = customers
                            .get(r)
                            .and_then(|row| row.get(f))
                            .copied()
                            .unwrap_or(0);
                        match mean(r, f) {
                            Some(m) => vec![count(k), money.format_minor(m)],
                            None => vec!["0".to_owned()],
                        }
                    })
                    .collect()
            })
            .collect(),
        range: (lo, hi),
        legend: (
            format!(
                "colour: mean monetary ({}); grey: no customers; bold: customers",
                money.unit
            ),
            money.format_minor(lo),
            money.format_minor(hi),
        ),
    };
    Chart {
        title: title.to_owned(),
        svg: heatmap.render(),
        table,
    }
}

/// Segment bars: each segment's share of customers beside its share of
/// revenue (horizontal bars, in the report's segment order).
///
/// The table: `segment`, `customers`, `customer share`, `revenue`
/// (currency units), `revenue share` (`–` when total revenue is 0), as in
/// [`SegmentReport::display_table`].
#[must_use]
pub fn segment_bars(report: &SegmentReport, money: &MoneyFormat) -> Chart {
    let title = "Segments: share of customers vs share of revenue";
    let mut table = DataTable::new(
        format!("customers and revenue ({}) per segment", money.unit),
        &[
            "segment",
            "customers",
            "customer share",
            "revenue",
            "revenue share",
        ],
    );
    for row in report.rows() {
        table.rows.push(vec![
            row.segment.to_string(),
            count(u64::try_from(row.customers).unwrap_or(u64::MAX)),
            percent(row.customer_share),
            money.format(row.revenue),
            row.revenue_share.map_or_else(|| "–".to_owned(), percent),
        ]);
    }
    let format = |v: f64| format!("{:.1}%", v);
    let bars = HBars {
        title,
        x_label: "share of all scored customers / of their net revenue (%)",
        y_label: "segment",
        categories: report
            .rows()
            .iter()
            .map(|r| r.segment.to_string())
            .collect(),
        series: vec![
            Series {
                name: "share of customers".to_owned(),
                colour: OKABE_ITO[0],
                values: report
                    .rows()
                    .iter()
                    .map(|r| Some(r.customer_share * 100.0))
                    .collect(),
            },
            Series {
                name: "share of revenue".to_owned(),
                colour: OKABE_ITO[1],
                values: report
                    .rows()
                    .iter()
                    .map(|r| r.revenue_share.map(|s| s * 100.0))
                    .collect(),
            },
        ],
        refs: Vec::new(),
        format: &format,
    };
    Chart {
        title: title.to_owned(),
        svg: bars.render(),
        table,
    }
}

/// The value of one dimension for a scored customer (monetary in minor
/// units).
fn dimension_value(c: &ScoredCustomer, dimension: Dimension) -> i64 {
    match dimension {
        Dimension::Recency => c.recency_days,
        Dimension::Frequency => i64::try_from(c.frequency).unwrap_or(i64::MAX),
        Dimension::Monetary => c.monetary.minor_units(),
    }
}

/// A histogram of one dimension's raw values over the scored customers:
/// recency in days, frequency in orders (or purchase days), monetary in
/// currency units.
///
/// Bins have equal width `w` (1 for frequencies up to 20, else a 1-2-5
/// step giving at most about 15 bins up to the 99th percentile); bin `k`
/// holds values `v` with `start + k·w <= v < start + (k+1)·w`, and the
/// last bin also everything above (its `to` is empty), so a few extreme
/// customers do not squash the rest. `start` is the smallest frequency
/// for `w = 1`; for wider frequency bins 1 (every scored customer has at
/// least one order; 0 if some frequency is 0); for recency and monetary
/// 0, or the minimum rounded down to a multiple of `w` when that is
/// negative.
///
/// Recency and frequency are whole numbers, so their bars are labelled
/// with the values they hold, both ends included (`1–2`, `3–4`, …, the
/// last `≥25`); monetary bars by their start.
///
/// The table: `from (incl.)`, `to (excl.)`, `customers`, `share`.
///
/// # Example
///
/// ```
/// # use chrono::NaiveDate;
/// # use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
/// # use rfmkit::summary::Summaries;
/// # use rfmkit::{Money, Order};
/// use rfmkit::charts::{self, MoneyFormat};
/// use rfmkit::rfm::Dimension;
/// # let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// # let orders = vec![
/// #     Order::new("A-1", "alice", day(1, 5)?, Money::new(4_500)),
/// #     Order::new("A-2", "alice", day(2, 14)?, Money::new(3_000)),
/// #     Order::new("A-4", "bob", day(1, 10)?, Money::new(1_200)),
/// # ];
/// # let summaries = Summaries::from_orders(&orders, day(3, 31)?)?;
/// # let config = ScoringConfig::builder().method(Method::Rank).build()?;
/// let scores = RfmModel::fit(&config, &summaries).score_all(&summaries);
/// let chart = charts::distribution(&scores, Dimension::Frequency, &MoneyFormat::new(2));
/// // alice 2 orders, bob 1: one bar per frequency, starting at 1
/// assert_eq!(chart.table().column("from (incl.)"), Some(vec!["1", "2"]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn distribution(scores: &Scores, dimension: Dimension, money: &MoneyFormat) -> Chart {
    let mut values: Vec<i64> = scores
        .iter()
        .map(|c| dimension_value(&c, dimension))
        .collect();
    values.sort_unstable();
    let min_value = values.first().copied().unwrap_or(0);
    let min = if dimension == Dimension::Frequency {
        min_value.clamp(0, 1)
    } else {
        min_value.min(0)
    };
    let max = values.last().copied().unwrap_or(0);
    let p99 = values
        .get((values.len().saturating_sub(1)) * 99 / 100)
        .copied()
        .unwrap_or(0);
    let small_integers = dimension == Dimension::Frequency && max <= 20;
    let width: i64 = if small_integers {
        1
    } else {
        let span = i64_f64(p99.saturating_sub(min).max(1));
        let (_, ticks) = svg::nice_ticks(span, 15);
        let step = ticks.get(1).copied().unwrap_or(1.0);
        // A tick step of an integer span is an integer >= 1 here.
        #[allow(clippy::cast_possible_truncation)]
        let step = step.round().max(1.0) as i64;
        step
    };
    let start = if small_integers {
        values.first().copied().unwrap_or(0)
    } else if dimension == Dimension::Frequency {
        i64::from(min_value >= 1)
    } else {
        min.div_euclid(width).saturating_mul(width)
    };
    let upper = if small_integers { max } else { p99 };
    let nbins = usize::try_from(upper.saturating_sub(start) / width + 1)
        .unwrap_or(1)
        .clamp(1, 60);
    let mut counts = vec![0u64; nbins];
    for v in &values {
        let k = usize::try_from(v.saturating_sub(start) / width)
            .unwrap_or(0)
            .min(nbins - 1);
        if let Some(c) = counts.get_mut(k) {
            *c += 1;
        }
    }
    let total = u64_f64(u64::try_from(values.len()).unwrap_or(u64::MAX));
    let (name, unit) = match dimension {
        Dimension::Recency => ("Recency", "days since the last order".to_owned()),
        Dimension::Frequency => ("Frequency", "orders".to_owned()),
        Dimension::Monetary => ("Monetary", format!("net revenue, {}", money.unit)),
    };
    let show = |v: i64| match dimension {
        Dimension::Monetary => money.format(Money::new(v)),
        _ => count(u64::try_from(v).unwrap_or(0)),
    };
    let mut table = DataTable::new(
        format!("customers per {} bin ({unit})", name.to_lowercase()),
        &["from (incl.)", "to (excl.)", "customers", "share"],
    );
    let whole = dimension != Dimension::Monetary;
    let mut categories = Vec::new();
    for (k, c) in counts.iter().enumerate() {
        let from = start.saturating_add(width.saturating_mul(i64::try_from(k).unwrap_or(0)));
        let to = from.saturating_add(width);
        let last = k + 1 == nbins;
        table.rows.push(vec![
            show(from),
            if last { String::new() } else { show(to) },
            count(*c),
            if total > 0.0 {
                percent(u64_f64(*c) / total)
            } else {
                "–".to_owned()
            },
        ]);
        categories.push(if last && (width > 1 || max > from) {
            format!("≥{}", show(from))
        } else if whole && width > 1 {
            format!("{}–{}", show(from), show(to.saturating_sub(1)))
        } else {
            show(from)
        });
    }
    let title = format!(
        "{name} distribution ({} customers)",
        count(u64::try_from(values.len()).unwrap_or(u64::MAX))
    );
    let x_label = if whole {
        format!("{unit} (last bin: and above)")
    } else {
        format!("{unit} (bin start; last bin: and above)")
    };
    let format = |v: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = v.round().max(0.0) as u64;
        count(n)
    };
    let bars = VBars {
        title: &title,
        x_label: &x_label,
        y_label: "customers",
        categories,
        series: vec![Series {
            name: "customers".to_owned(),
            colour: OKABE_ITO[0],
            values: counts.iter().map(|c| Some(u64_f64(*c))).collect(),
        }],
        format: &format,
    };
    Chart {
        svg: bars.render(),
        title,
        table,
    }
}

/// The cohort retention heatmap: one row per acquisition month (with its
/// customers), one column per month since acquisition, each cell the share
/// of the cohort with a completed order that month (viridis, 0 to 100 %).
///
/// The table is the wide cohort table: `cohort`, `customers`, then one
/// column per month since acquisition (`m0`, `m1`, ...) with the retention
/// in percent; empty where the cohort has not reached that month.
#[must_use]
pub fn cohort_retention(table: &CohortTable) -> Chart {
    let months = table
        .cohorts()
        .iter()
        .flat_map(|c| c.cells.iter().map(|cell| cell.months_since))
        .max()
        .map_or(0, |m| m as usize + 1);
    let mut columns = vec!["cohort".to_owned(), "customers".to_owned()];
    columns.extend((0..months).map(|m| format!("m{m}")));
    let mut data = DataTable {
        caption: "retention: share of each cohort with an order, by month since acquisition"
            .to_owned(),
        columns,
        rows: Vec::new(),
    };
    let mut values = Vec::new();
    let mut text = Vec::new();
    let mut rows = Vec::new();
    for cohort in table.cohorts() {
        let mut row = vec![cohort.month.to_string(), count(cohort.customers)];
        let mut vrow = vec![None; months];
        let mut trow = vec![Vec::new(); months];
        for cell in &cohort.cells {
            let m = cell.months_since as usize;
            if let Some(v) = vrow.get_mut(m) {
                *v = Some(cell.retention);
            }
            if let Some(t) = trow.get_mut(m) {
                *t = vec![format!("{:.0}%", cell.retention * 100.0)];
            }
        }
        row.extend(vrow.iter().map(|v| v.map_or_else(String::new, percent)));
        data.rows.push(row);
        rows.push(format!("{} (n={})", cohort.month, count(cohort.customers)));
        values.push(vrow);
        text.push(trow);
    }
    let title = "Cohort retention: share of customers ordering, by month since their first order";
    let heatmap = Heatmap {
        title,
        x_label: "months since the first order (0 = acquisition month)",
        y_label: "cohort (first-order month)",
        cols: (0..months).map(|m| m.to_string()).collect(),
        rows,
        values,
        text,
        range: (0.0, 1.0),
        legend: (
            "colour: retention (% of the cohort with a completed order)".to_owned(),
            "0%".to_owned(),
            "100%".to_owned(),
        ),
    };
    Chart {
        title: title.to_owned(),
        svg: heatmap.render(),
        table: data,
    }
}

/// Cumulative LTV curves: net revenue per customer from the acquisition
/// month on, for all cohorts pooled ([`CohortTable::curve`], thick black)
/// and for up to six cohorts spread evenly from the oldest to the newest,
/// with the CAC as a dashed line and the pooled curve's payback month
/// ([`payback_months`]) marked.
///
/// The table: `month`, `all cohorts` (pooled, currency units), then one
/// column per cohort drawn; empty where a cohort has not reached the month.
/// Its caption names the payback month, or says the CAC is not reached.
#[must_use]
pub fn ltv_curves(table: &CohortTable, cac: Option<Cac>, money: &MoneyFormat) -> Chart {
    let curve = table.curve();
    let cohorts = table.cohorts();
    let shown: Vec<usize> = if cohorts.len() <= 6 {
        (0..cohorts.len()).collect()
    } else {
        let mut picks: Vec<usize> = (0..6).map(|k| k * (cohorts.len() - 1) / 5).collect();
        picks.dedup();
        picks
    };
    let mut lines = vec![Line {
        name: "all cohorts".to_owned(),
        colour: "#000000",
        points: curve
            .iter()
            .map(|p| {
                (
                    f64::from(p.months_since),
                    i64_f64(p.cumulative_revenue_per_customer.minor_units()),
                )
            })
            .collect(),
        width: 3.0,
        dash: false,
        markers: false,
    }];
    let mut columns = vec!["month".to_owned(), "all cohorts".to_owned()];
    for (i, &k) in shown.iter().enumerate() {
        let Some(cohort) = cohorts.get(k) else {
            continue;
        };
        columns.push(cohort.month.to_string());
        lines.push(Line {
            name: format!("{} (n={})", cohort.month, count(cohort.customers)),
            colour: OKABE_ITO
                .get(i % OKABE_ITO.len())
                .copied()
                .unwrap_or("#0072B2"),
            points: cohort
                .cells
                .iter()
                .map(|c| {
                    (
                        f64::from(c.months_since),
                        i64_f64(c.cumulative_revenue_per_customer.minor_units()),
                    )
                })
                .collect(),
            width: 1.5,
            dash: false,
            markers: false,
        });
    }
    let payback = cac.and_then(|c| payback_months(&curve, c, LtvBasis::Revenue));
    let caption = match (cac, payback) {
        (Some(c), Some(m)) => format!(
            "cumulative net revenue per customer ({}); CAC {} paid back in month {m}",
            money.unit,
            money.format(c.money())
        ),
        (Some(c), None) => format!(
            "cumulative net revenue per customer ({}); CAC {} not reached yet",
            money.unit,
            money.format(c.money())
        ),
        (None, _) => format!("cumulative net revenue per customer ({})", money.unit),
    };
    let mut data = DataTable {
        caption,
        columns,
        rows: Vec::new(),
    };
    for p in &curve {
        let mut row = vec![
            p.months_since.to_string(),
            money.format(p.cumulative_revenue_per_customer),
        ];
        for &k in &shown {
            let cell = cohorts.get(k).and_then(|c| {
                c.cells
                    .iter()
                    .find(|cell| cell.months_since == p.months_since)
            });
            row.push(cell.map_or_else(String::new, |c| {
                money.format(c.cumulative_revenue_per_customer)
            }));
        }
        data.rows.push(row);
    }
    let hrefs = cac
        .map(|c| RefLine {
            value: i64_f64(c.money().minor_units()),
            label: format!("CAC {}", money.format(c.money())),
        })
        .into_iter()
        .collect();
    let vrefs = payback
        .map(|m| RefLine {
            value: f64::from(m),
            label: format!("payback: month {m}"),
        })
        .into_iter()
        .collect();
    let title = "Cumulative LTV per customer by cohort, against CAC";
    let y_label = format!("net revenue per customer ({})", money.unit);
    let x_format = |v: f64| format!("{v:.0}");
    let y_format = |v: f64| money.format_minor(v);
    let chart = Lines {
        title,
        x_label: "months since the first order",
        y_label: &y_label,
        lines,
        hrefs,
        vrefs,
        x_format: &x_format,
        y_format: &y_format,
        plot_w: 460.0,
        x_axis: None,
    };
    Chart {
        title: title.to_owned(),
        svg: chart.render(),
        table: data,
    }
}

/// LTV / CAC per acquisition channel (and all channels), as horizontal
/// bars with dashed reference lines at 1 (break-even) and 3 (the usual
/// target). Channels without a CAC or LTV have no bar.
///
/// The table: `channel` (`(none)` for customers without one, `all` for the
/// total), `customers`, `ltv`, `cac`, `ltv / cac` (two decimals), `payback
/// months`.
#[must_use]
pub fn ltv_cac(table: &LtvCacTable, money: &MoneyFormat) -> Chart {
    let rows: Vec<(String, &crate::ltv::LtvCacRow)> = table
        .rows()
        .iter()
        .map(|r| {
            (
                r.channel
                    .as_ref()
                    .map_or_else(|| "(none)".to_owned(), ToString::to_string),
                r,
            )
        })
        .chain(std::iter::once(("all".to_owned(), table.total())))
        .collect();
    let mut data = DataTable::new(
        format!(
            "LTV ({}, {} basis) against CAC per channel",
            money.unit,
            table.basis()
        ),
        &[
            "channel",
            "customers",
            "ltv",
            "cac",
            "ltv / cac",
            "payback months",
        ],
    );
    for (name, r) in &rows {
        data.rows.push(vec![
            name.clone(),
            count(r.customers),
            r.ltv.map_or_else(|| "–".to_owned(), |m| money.format(m)),
            r.cac
                .map_or_else(|| "–".to_owned(), |c| money.format(c.money())),
            r.ratio
                .map_or_else(|| "–".to_owned(), |v| format!("{v:.2}")),
            r.payback_months
                .map_or_else(|| "–".to_owned(), |m| m.to_string()),
        ]);
    }
    let format = |v: f64| format!("{v:.1}×");
    let title = "LTV / CAC per acquisition channel";
    let bars = HBars {
        title,
        x_label: "LTV ÷ CAC (times; 1 = break-even)",
        y_label: "channel",
        categories: rows.iter().map(|(n, _)| n.clone()).collect(),
        series: vec![Series {
            name: "LTV / CAC".to_owned(),
            colour: OKABE_ITO[2],
            values: rows.iter().map(|(_, r)| r.ratio).collect(),
        }],
        refs: vec![
            RefLine {
                value: 1.0,
                label: "1× break-even".to_owned(),
            },
            RefLine {
                value: 3.0,
                label: "3× target".to_owned(),
            },
        ],
        format: &format,
    };
    Chart {
        title: title.to_owned(),
        svg: bars.render(),
        table: data,
    }
}

/// Calibration vs holdout: mean holdout purchases per customer by the
/// number of repeat purchases in the calibration period, actual (blue)
/// against the model's prediction (orange, dashed). The last point is
/// "x or more".
///
/// The table: `x` (`7+` for the last row), `customers`, `actual`,
/// `predicted` (three decimals), as the holdout table displays them.
#[must_use]
pub fn holdout(table: &HoldoutTable) -> Chart {
    let mut data = DataTable::new(
        format!(
            "mean purchases per customer in the {} {}-holdout by calibration repeat purchases",
            table.holdout_length, table.unit
        ),
        &["x", "customers", "actual", "predicted"],
    );
    for row in &table.rows {
        data.rows.push(vec![
            if row.or_more {
                format!("{}+", row.x)
            } else {
                row.x.to_string()
            },
            count(u64::try_from(row.customers).unwrap_or(u64::MAX)),
            format!("{:.3}", row.actual),
            format!("{:.3}", row.predicted),
        ]);
    }
    let points = |f: fn(&crate::clv::HoldoutRow) -> f64| -> Vec<(f64, f64)> {
        table.rows.iter().map(|r| (f64::from(r.x), f(r))).collect()
    };
    let title = format!("{} calibration vs holdout", table.model);
    let y_label = format!(
        "mean holdout purchases ({} {}s)",
        table.holdout_length, table.unit
    );
    let x_format = |v: f64| format!("{v:.0}");
    let y_format = |v: f64| format!("{v:.2}");
    let chart = Lines {
        title: &title,
        x_label: "repeat purchases in the calibration period (last point: or more)",
        y_label: &y_label,
        lines: vec![
            Line {
                name: "actual".to_owned(),
                colour: OKABE_ITO[0],
                points: points(|r| r.actual),
                width: 2.5,
                dash: false,
                markers: true,
            },
            Line {
                name: format!("predicted ({})", table.model),
                colour: OKABE_ITO[1],
                points: points(|r| r.predicted),
                width: 2.5,
                dash: true,
                markers: true,
            },
        ],
        hrefs: Vec::new(),
        vrefs: Vec::new(),
        x_format: &x_format,
        y_format: &y_format,
        plot_w: 460.0,
        x_axis: None,
    };
    Chart {
        svg: chart.render(),
        title,
        table: data,
    }
}

/// The P(alive) matrix: the model's probability that a customer is still
/// active, for repeat purchases `x = 1..=max_x` (rows, most at the top)
/// and the time of the last purchase `t_x` at ten even steps up to the
/// customer age `t` (columns, most recent on the right), all in `unit`.
///
/// The table: `x`, then one column per `t_x` with P(alive) in percent.
///
/// # Errors
///
/// [`Error::OutOfRange`] if `max_x` is 0 or above 100, or if `t` is not a
/// finite number > 0.
pub fn p_alive_matrix(
    model: &TransactionModel,
    max_x: u32,
    t: f64,
    unit: TimeUnit,
) -> Result<Chart> {
    if max_x == 0 || max_x > 100 {
        return Err(Error::OutOfRange {
            what: "max_x",
            value: max_x.to_string(),
            expected: "1..=100 rows of repeat purchases".to_owned(),
        });
    }
    if !(t.is_finite() && t > 0.0) {
        return Err(Error::OutOfRange {
            what: "t",
            value: t.to_string(),
            expected: "a customer age > 0".to_owned(),
        });
    }
    let steps: Vec<f64> = (1..=10).map(|k| t * f64::from(k) / 10.0).collect();
    let mut columns = vec!["x".to_owned()];
    columns.extend(steps.iter().map(|s| format!("t_x={s:.1}")));
    let mut data = DataTable {
        caption: format!(
            "P(alive) by repeat purchases x and time of the last purchase t_x ({unit}s after the first), age T = {t:.1} {unit}s"
        ),
        columns,
        rows: Vec::new(),
    };
    let mut values = Vec::new();
    let mut text = Vec::new();
    for x in (1..=max_x).rev() {
        let mut vrow = Vec::new();
        let mut trow = Vec::new();
        let mut row = vec![x.to_string()];
        for &t_x in &steps {
            let p = model.p_alive(Btyd::new(x, t_x, t)?);
            vrow.push(Some(p));
            trow.push(vec![format!("{:.0}%", p * 100.0)]);
            row.push(percent(p));
        }
        values.push(vrow);
        text.push(trow);
        data.rows.push(row);
    }
    let title = format!("P(alive) by frequency and recency ({})", model.kind());
    let x_label =
        format!("time of the last purchase t_x ({unit}s after the first; right = recent)");
    let heatmap = Heatmap {
        title: &title,
        x_label: &x_label,
        y_label: "repeat purchases x",
        cols: steps.iter().map(|s| format!("{s:.0}")).collect(),
        rows: (1..=max_x).rev().map(|x| x.to_string()).collect(),
        values,
        text,
        range: (0.0, 1.0),
        legend: (
            "colour: P(alive)".to_owned(),
            "0%".to_owned(),
            "100%".to_owned(),
        ),
    };
    Ok(Chart {
        svg: heatmap.render(),
        title,
        table: data,
    })
}

/// The segment migration matrix between two dates as a heatmap: rows are
/// the segment at the earlier date, columns the segment at the later one,
/// `(none)` for customers absent at that date (not yet a customer, or
/// only returns). A cell shows its customers and, as colour, their share
/// of the row (where that segment's customers went).
///
/// Segments appear in `table`'s order (the table the transitions were
/// segmented with: its priority order, as in the segment report), the
/// same on both axes, `(none)` last. Segments with no customer at either
/// date are left out; a segment the table does not name (a different
/// table) comes after the table's, in the order it first occurs in
/// [`Transitions::matrix`].
///
/// The table has one row per non-empty cell, in the same order (by
/// `from`, then `to`): `from`, `to`, `customers`, `share of from`.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::charts;
/// use rfmkit::ingest::IngestConfig;
/// use rfmkit::rfm::{Method, ScoringConfig};
/// use rfmkit::segment::SegmentTable;
/// use rfmkit::timeline::{ModelMode, Transitions};
/// use rfmkit::{Money, Order};
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let orders = vec![
///     Order::new("1", "ann", d(3, 30)?, Money::new(10_000)),
///     Order::new("2", "ben", d(3, 1)?, Money::new(5_000)),
///     Order::new("3", "cid", d(6, 1)?, Money::new(100_000)),
/// ];
/// let log = IngestConfig::new(d(6, 30)?).ingest(&orders)?;
/// let config = ScoringConfig::builder().method(Method::Rank).build()?;
/// let table = SegmentTable::standard();
/// let moves = Transitions::from_log(&log, d(3, 31)?, &config, &table, ModelMode::Frozen)?;
/// let chart = charts::migration_matrix(&moves, &table);
/// let customers: u64 = chart.table().column("customers").ok_or("no column")?
///     .iter().map(|c| c.parse::<u64>()).sum::<Result<u64, _>>()?;
/// assert_eq!(customers, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn migration_matrix(transitions: &Transitions, table: &SegmentTable) -> Chart {
    let name = |s: Option<&crate::segment::Segment>| {
        s.map_or_else(|| "(none)".to_owned(), ToString::to_string)
    };
    let mut seen: Vec<String> = Vec::new();
    let mut has_none = false;
    for m in transitions.matrix() {
        for s in [m.from.as_ref(), m.to.as_ref()] {
            match s {
                Some(s) => {
                    let s = s.to_string();
                    if !seen.contains(&s) {
                        seen.push(s);
                    }
                }
                None => has_none = true,
            }
        }
    }
    let mut order: Vec<String> = table
        .segments()
        .map(ToString::to_string)
        .filter(|s| seen.contains(s))
        .collect();
    for s in seen {
        if !order.contains(&s) {
            order.push(s);
        }
    }
    if has_none {
        order.push("(none)".to_owned());
    }
    let n = order.len();
    let index = |s: &str| order.iter().position(|o| o == s);
    let mut counts = vec![vec![0u64; n]; n];
    for m in transitions.matrix() {
        if let (Some(i), Some(j)) = (index(&name(m.from.as_ref())), index(&name(m.to.as_ref()))) {
            if let Some(c) = counts.get_mut(i).and_then(|r| r.get_mut(j)) {
                *c += m.customers;
            }
        }
    }
    let row_total = |i: usize| counts.get(i).map_or(0, |r| r.iter().sum::<u64>());
    let mut data = DataTable::new(
        format!(
            "customers moving between segments, {} → {}",
            transitions.from(),
            transitions.to()
        ),
        &["from", "to", "customers", "share of from"],
    );
    let mut values = Vec::new();
    let mut text = Vec::new();
    for (i, from) in order.iter().enumerate() {
        let total = row_total(i);
        let mut vrow = Vec::new();
        let mut trow = Vec::new();
        for (j, to) in order.iter().enumerate() {
            let k = counts.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0);
            if k > 0 {
                let share = u64_f64(k) / u64_f64(total);
                data.rows
                    .push(vec![from.clone(), to.clone(), count(k), percent(share)]);
                vrow.push(Some(share));
                trow.push(vec![count(k)]);
            } else {
                vrow.push(None);
                trow.push(Vec::new());
            }
        }
        values.push(vrow);
        text.push(trow);
    }
    let title = format!(
        "Segment migration {} → {}: customers per (from, to) pair",
        transitions.from(),
        transitions.to()
    );
    let x_label = format!("segment on {} (to)", transitions.to());
    let y_label = format!("segment on {} (from)", transitions.from());
    let heatmap = Heatmap {
        title: &title,
        x_label: &x_label,
        y_label: &y_label,
        cols: order.clone(),
        rows: order.clone(),
        values,
        text,
        range: (0.0, 1.0),
        legend: (
            "colour: share of the row's customers; grey: none; number: customers".to_owned(),
            "0%".to_owned(),
            "100%".to_owned(),
        ),
    };
    Chart {
        svg: heatmap.render(),
        title,
        table: data,
    }
}

/// The segment sizes over time: one line per segment of a [`Trend`]'s
/// mix (its customers at each as-of date, in the segment table's order;
/// segments empty at every date are not drawn), or, for a trend without
/// a mix, one line of all customers. Categorical Okabe–Ito colours, the
/// eighth segment on drawn dashed.
///
/// The table has one row per date: `as of`, `customers`, `orders`, `net
/// revenue` (currency units), `repeat rate`, then one column per segment
/// of the mix (every one, empty segments included) with its customers.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::charts::{self, MoneyFormat};
/// use rfmkit::ingest::IngestConfig;
/// use rfmkit::timeline::{Every, Trend, TrendConfig, series};
/// use rfmkit::Money;
///
/// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// let mut log = IngestConfig::new(d(3, 31)?).builder();
/// log.push("alice", d(1, 5)?, Money::new(4_500))?;
/// log.push("bob", d(2, 10)?, Money::new(1_200))?;
/// log.push("carol", d(3, 2)?, Money::new(2_500))?;
/// let log = log.build()?;
/// let dates = series(d(1, 31)?, d(3, 31)?, Every::Month)?;
/// let trend = Trend::from_log(&log, &dates, &TrendConfig::default())?;
/// let chart = charts::segment_trend(&trend, &MoneyFormat::new(2));
/// assert_eq!(chart.table().column("customers"), Some(vec!["1", "2", "3"]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn segment_trend(trend: &Trend, money: &MoneyFormat) -> Chart {
    let segments: Vec<String> = trend
        .points()
        .first()
        .map(|p| p.mix.iter().map(|s| s.segment.to_string()).collect())
        .unwrap_or_default();
    let mut columns = vec![
        "as of".to_owned(),
        "customers".to_owned(),
        "orders".to_owned(),
        "net revenue".to_owned(),
        "repeat rate".to_owned(),
    ];
    columns.extend(segments.iter().cloned());
    let mut data = DataTable {
        caption: format!(
            "KPIs and customers per segment at each as-of date (net revenue in {})",
            money.unit
        ),
        columns,
        rows: Vec::new(),
    };
    for p in trend.points() {
        let mut row = vec![
            p.as_of.to_string(),
            count(p.kpis.customers),
            count(p.kpis.orders),
            money.format(p.kpis.net_revenue),
            p.kpis.repeat_rate.map_or_else(|| "–".to_owned(), percent),
        ];
        row.extend(p.mix.iter().map(|s| count(s.customers)));
        data.rows.push(row);
    }
    let x = |k: usize| -> f64 { u64_f64(u64::try_from(k).unwrap_or(u64::MAX)) };
    let markers = trend.len() <= 24;
    let mut lines = Vec::new();
    if segments.is_empty() {
        lines.push(Line {
            name: "all customers".to_owned(),
            colour: "#000000",
            points: trend
                .iter()
                .enumerate()
                .map(|(k, p)| (x(k), u64_f64(p.kpis.customers)))
                .collect(),
            width: 2.5,
            dash: false,
            markers,
        });
    } else {
        for (j, name) in segments.iter().enumerate() {
            let points: Vec<(f64, f64)> = trend
                .iter()
                .enumerate()
                .map(|(k, p)| (x(k), p.mix.get(j).map_or(0.0, |s| u64_f64(s.customers))))
                .collect();
            if points.iter().all(|&(_, y)| y == 0.0) {
                continue;
            }
            let drawn = lines.len();
            lines.push(Line {
                name: name.clone(),
                colour: OKABE_ITO
                    .get(drawn % OKABE_ITO.len())
                    .copied()
                    .unwrap_or("#0072B2"),
                points,
                width: 2.0,
                dash: drawn >= OKABE_ITO.len(),
                markers,
            });
        }
    }
    let dates: Vec<String> = trend.iter().map(|p| p.as_of.to_string()).collect();
    let x_format = |v: f64| {
        let k = v.round();
        if (v - k).abs() > 1e-9 || k < 0.0 {
            return String::new();
        }
        // A non-negative whole number, checked above.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let k = k as usize;
        dates.get(k).cloned().unwrap_or_default()
    };
    let y_format = |v: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = v.round().max(0.0) as u64;
        count(n)
    };
    let (title, y_label) = if segments.is_empty() {
        ("Customers over time", "customers with an order by the date")
    } else {
        (
            "Segment sizes over time",
            "customers in the segment (as of each date)",
        )
    };
    // Ticks every 1, 2, 3, 6 or 12 dates (at most 9 labels), counted back
    // from the last date, so that the as-of date is labelled.
    let last = trend.len().saturating_sub(1);
    let step = [1, 2, 3, 6, 12]
        .into_iter()
        .find(|s| last / s <= 8)
        .unwrap_or(24);
    let mut ticks: Vec<f64> = (0..=last / step).map(|j| x(last - j * step)).collect();
    ticks.reverse();
    let chart = Lines {
        title,
        x_label: "as-of date",
        y_label,
        lines,
        hrefs: Vec::new(),
        vrefs: Vec::new(),
        x_format: &x_format,
        y_format: &y_format,
        plot_w: 720.0,
        x_axis: (last > 0).then(|| (x(last), ticks)),
    };
    Chart {
        title: title.to_owned(),
        svg: chart.render(),
        table: data,
    }
}

/// Who can be contacted: per segment (in `segmentation`'s table order),
/// the share of its customers who opted in to email and to SMS, from the
/// customer records. A scored customer without a record counts as not
/// opted in (no consent is known); segments without customers have no
/// bars.
///
/// The table: `segment`, `customers`, `with record` (customers with a
/// record in `customers`), `email opt-in`, `sms opt-in`, `reachable`
/// (email or SMS), `reachable share` (`–` for an empty segment). Its
/// caption counts the scored customers without a record.
///
/// # Example
///
/// ```
/// # use chrono::NaiveDate;
/// # use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
/// # use rfmkit::summary::Summaries;
/// # use rfmkit::{Money, Order};
/// use rfmkit::charts;
/// use rfmkit::customer::{Customer, Customers};
/// use rfmkit::segment::SegmentTable;
/// # let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
/// # let orders = vec![
/// #     Order::new("A-1", "alice", day(3, 30)?, Money::new(4_500)),
/// #     Order::new("A-4", "bob", day(1, 10)?, Money::new(1_200)),
/// # ];
/// # let summaries = Summaries::from_orders(&orders, day(3, 31)?)?;
/// # let config = ScoringConfig::builder().method(Method::Rank).build()?;
/// let scores = RfmModel::fit(&config, &summaries).score_all(&summaries);
/// let segmentation = SegmentTable::standard().segment_all(&scores)?;
/// let customers = Customers::new([Customer::new("alice").with_email_opt_in(true)])?;
/// let chart = charts::opt_ins(&segmentation, &customers);
/// let reachable: u64 = chart.table().column("reachable").ok_or("no column")?
///     .iter().map(|c| c.parse::<u64>()).sum::<Result<u64, _>>()?;
/// assert_eq!(reachable, 1); // alice
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn opt_ins(segmentation: &Segmentation, customers: &Customers) -> Chart {
    let segments: Vec<String> = segmentation
        .table()
        .segments()
        .map(ToString::to_string)
        .collect();
    // Per segment: customers, with a record, email, sms, either.
    let mut counts = vec![[0u64; 5]; segments.len()];
    let mut without = 0u64;
    for c in segmentation.iter() {
        let Some(k) = segments.iter().position(|s| s == c.segment.as_str()) else {
            continue;
        };
        let Some(row) = counts.get_mut(k) else {
            continue;
        };
        row[0] += 1;
        match customers.get(c.scored.customer.as_ref()) {
            Some(record) => {
                row[1] += 1;
                row[2] += u64::from(record.email_opt_in());
                row[3] += u64::from(record.sms_opt_in());
                row[4] += u64::from(record.email_opt_in() || record.sms_opt_in());
            }
            None => without += 1,
        }
    }
    let mut data = DataTable::new(
        format!(
            "customers who can be contacted, per segment ({} of {} scored customers have no customer record and count as not opted in)",
            count(without),
            count(u64::try_from(segmentation.len()).unwrap_or(u64::MAX))
        ),
        &[
            "segment",
            "customers",
            "with record",
            "email opt-in",
            "sms opt-in",
            "reachable",
            "reachable share",
        ],
    );
    for (name, row) in segments.iter().zip(&counts) {
        let mut cells = vec![name.clone()];
        cells.extend(row.iter().map(|&n| count(n)));
        cells.push(if row[0] > 0 {
            percent(u64_f64(row[4]) / u64_f64(row[0]))
        } else {
            "–".to_owned()
        });
        data.rows.push(cells);
    }
    let share = |k: usize| -> Vec<Option<f64>> {
        counts
            .iter()
            .map(|row| {
                let n = row.get(k).copied().unwrap_or(0);
                (row[0] > 0).then(|| 100.0 * u64_f64(n) / u64_f64(row[0]))
            })
            .collect()
    };
    let format = |v: f64| format!("{v:.1}%");
    let title = "Opt-ins per segment: share of customers reachable by email and SMS";
    let bars = HBars {
        title,
        x_label: "share of the segment's customers who opted in (%)",
        y_label: "segment",
        categories: segments.clone(),
        series: vec![
            Series {
                name: "email opt-in".to_owned(),
                colour: OKABE_ITO[0],
                values: share(2),
            },
            Series {
                name: "SMS opt-in".to_owned(),
                colour: OKABE_ITO[2],
                values: share(3),
            },
        ],
        refs: Vec::new(),
        format: &format,
    };
    Chart {
        title: title.to_owned(),
        svg: bars.render(),
        table: data,
    }
}

#[cfg(test)]
mod tests {
    //! Charts of small data sets whose numbers are worked out by hand in
    //! the comments: the tables must hold exactly those numbers and the
    //! SVG one shape per number.

    use chrono::NaiveDate;

    use super::*;
    use crate::Order;
    use crate::clv::{BgNbd, HoldoutRow, ModelKind};
    use crate::ingest::IngestConfig;
    use crate::ltv::{AcquisitionCosts, KpiConfig, LtvReport};
    use crate::rfm::{Method, RfmModel, ScoringConfig};
    use crate::segment::SegmentTable;
    use crate::summary::Summaries;
    use crate::timeline::{Every, ModelMode, TrendConfig, series};

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, day).unwrap()
    }

    /// The crate example's shop, as of 31 March 2025: alice 3 orders
    /// (45.00 + 30.00 + 60.00 = 135.00, last 30 Mar: 1 day), bob 1 order
    /// (12.00, 10 Jan: 80 days), carol 2 orders (25.00 + 9.00 = 34.00,
    /// last 28 Mar: 3 days). Rank scores ⌈5·rank/3⌉ = 2, 4, 5 in each
    /// dimension: bob 2-2-2, carol 4-4-4, alice 5-5-5.
    fn orders() -> Vec<Order> {
        vec![
            Order::new("A-1", "alice", d(1, 5), Money::new(4_500)),
            Order::new("A-2", "alice", d(2, 14), Money::new(3_000)),
            Order::new("A-3", "alice", d(3, 30), Money::new(6_000)),
            Order::new("A-4", "bob", d(1, 10), Money::new(1_200)),
            Order::new("A-5", "carol", d(3, 2), Money::new(2_500)),
            Order::new("A-6", "carol", d(3, 28), Money::new(900)),
        ]
    }

    fn scores() -> Scores {
        let summaries = Summaries::from_orders(&orders(), d(3, 31)).unwrap();
        let config = ScoringConfig::builder()
            .method(Method::Rank)
            .build()
            .unwrap();
        RfmModel::fit(&config, &summaries).score_all(&summaries)
    }

    /// Shapes with a hover title: one per cell, bar or point.
    fn marks(svg: &str, tag: &str) -> usize {
        let open = format!("<{tag} ");
        svg.match_indices(&open)
            .filter(|(at, _)| {
                let rest = &svg[*at..];
                rest.find('>')
                    .is_some_and(|end| rest[end + 1..].starts_with("<title>"))
            })
            .count()
    }

    fn row<'a>(chart: &'a Chart, first: &str) -> &'a [String] {
        chart
            .table()
            .rows()
            .iter()
            .find(|r| r[0] == first)
            .unwrap_or_else(|| panic!("no row {first}"))
    }

    fn assert_well_formed(chart: &Chart) {
        let svg = chart.svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(&format!("<title>{}</title>", escape(chart.title()))));
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        let html = chart.html();
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert_eq!(html.matches("<svg").count(), 1);
        assert!(html.contains("<table class=\"rfmkit-data\">"));
    }

    #[test]
    fn rfm_heatmap_counts_and_averages_each_cell() {
        let chart = rfm_heatmap(&scores(), &MoneyFormat::new(2));
        assert_well_formed(&chart);
        let t = chart.table();
        assert_eq!(t.columns(), ["r", "f", "customers", "mean monetary"]);
        assert_eq!(t.rows().len(), 25);
        let cell = |r: &str, f: &str| {
            t.rows()
                .iter()
                .find(|row| row[0] == r && row[1] == f)
                .map(|row| (row[2].as_str(), row[3].as_str()))
                .unwrap()
        };
        assert_eq!(cell("5", "5"), ("1", "135.00"));
        assert_eq!(cell("4", "4"), ("1", "34.00"));
        assert_eq!(cell("2", "2"), ("1", "12.00"));
        assert_eq!(cell("1", "1"), ("0", "–"));
        let customers: u32 = t
            .column("customers")
            .unwrap()
            .iter()
            .map(|c| c.parse::<u32>().unwrap())
            .sum();
        assert_eq!(customers, 3);
        // 25 cells plus 10 legend swatches (no title).
        assert_eq!(marks(chart.svg(), "rect"), 25);
        assert!(chart.svg().contains("R score (recency; 1 = longest ago)"));
        assert!(
            chart
                .svg()
                .contains("F score (frequency; 1 = fewest orders)")
        );
        assert!(chart.svg().contains(">135.00</text>"));
        // the legend runs from the lowest to the highest mean
        assert!(chart.svg().contains(">12.00</text>"));
    }

    #[test]
    fn segment_bars_show_both_shares_per_segment() {
        let report = SegmentTable::standard()
            .segment_all(&scores())
            .unwrap()
            .report()
            .unwrap();
        let chart = segment_bars(&report, &MoneyFormat::new(2));
        assert_well_formed(&chart);
        // champions R, F, M 4..=5: alice 5-5-5 and carol 4-4-4, 2 of 3
        // customers; revenue (135.00 + 34.00) / 181.00 = 93.4 %
        assert_eq!(
            row(&chart, "champions")[1..],
            ["2", "66.7%", "169.00", "93.4%"]
        );
        let rows = chart.table().rows().len();
        assert_eq!(rows, report.rows().len());
        // two bars per segment (every revenue share is defined here)
        assert_eq!(marks(chart.svg(), "rect"), 2 * rows);
        assert!(chart.svg().contains(">share of customers</text>"));
        assert!(chart.svg().contains(">share of revenue</text>"));
        assert!(chart.svg().contains(">93.4%</text>"));
    }

    #[test]
    fn distributions_bin_raw_values() {
        let money = MoneyFormat::new(2);
        // frequencies 1, 2, 3: one bar per value
        let f = distribution(&scores(), Dimension::Frequency, &money);
        assert_well_formed(&f);
        assert_eq!(
            f.table().rows(),
            [
                ["1", "2", "1", "33.3%"],
                ["2", "3", "1", "33.3%"],
                ["3", "", "1", "33.3%"],
            ]
        );
        assert_eq!(marks(f.svg(), "rect"), 3);
        // monetary 12.00, 34.00, 135.00: p99 is 34.00 (index ⌊2·99/100⌋ = 1);
        // 3400 / 15 ≈ 227 → step 500 (5.00); bins 0..3500, the last open:
        // 12.00 in [10.00, 15.00), 34.00 and 135.00 in [30.00, ∞).
        let m = distribution(&scores(), Dimension::Monetary, &money);
        assert_eq!(m.table().rows().len(), 7);
        assert_eq!(m.table().rows()[2], ["10.00", "15.00", "1", "33.3%"]);
        assert_eq!(m.table().rows()[6], ["30.00", "", "2", "66.7%"]);
        assert!(m.svg().contains(">≥30.00</text>"));
        assert!(m.svg().contains("net revenue, currency units"));
        let r = distribution(&scores(), Dimension::Recency, &money);
        let total: u32 = r
            .table()
            .column("customers")
            .unwrap()
            .iter()
            .map(|c| c.parse::<u32>().unwrap())
            .sum();
        assert_eq!(total, 3);
        assert!(r.svg().contains("days since the last order"));
    }

    /// January cohort: alice and bob (2); both buy in January, alice alone
    /// in February and March → 100 %, 50 %, 50 %. March cohort: carol (1),
    /// 100 % in month 0.
    #[test]
    fn cohort_retention_is_the_wide_cohort_table() {
        let report = LtvReport::from_orders(&orders(), d(3, 31), &KpiConfig::default()).unwrap();
        let chart = cohort_retention(&report.cohorts);
        assert_well_formed(&chart);
        assert_eq!(
            chart.table().columns(),
            ["cohort", "customers", "m0", "m1", "m2"]
        );
        assert_eq!(
            chart.table().rows(),
            [
                ["2025-01", "2", "100.0%", "50.0%", "50.0%"],
                ["2025-03", "1", "100.0%", "", ""],
            ]
        );
        assert_eq!(marks(chart.svg(), "rect"), 6);
        assert!(chart.svg().contains(">2025-01 (n=2)</text>"));
        assert!(chart.svg().contains(">50%</text>"));
    }

    /// Pooled curve: month 0 (both cohorts, 3 customers) 57.00 + 34.00 =
    /// 91.00 / 3 = 30.33; month 1 (January only) 87.00 / 2 = 43.50; month 2
    /// 147.00 / 2 = 73.50. A CAC of 40.00 is reached in month 1.
    #[test]
    fn ltv_curves_mark_cac_and_payback() {
        let report = LtvReport::from_orders(&orders(), d(3, 31), &KpiConfig::default()).unwrap();
        let money = MoneyFormat::new(2);
        let cac = Cac::new(Money::new(4_000)).unwrap();
        let chart = ltv_curves(&report.cohorts, Some(cac), &money);
        assert_well_formed(&chart);
        assert_eq!(
            chart.table().column("all cohorts").unwrap(),
            ["30.33", "43.50", "73.50"]
        );
        assert_eq!(chart.table().column("2025-03").unwrap(), ["34.00", "", ""]);
        assert!(
            chart
                .table()
                .caption()
                .contains("CAC 40.00 paid back in month 1")
        );
        assert!(chart.svg().contains(">payback: month 1</text>"));
        assert!(chart.svg().contains(">CAC 40.00</text>"));
        // pooled + two cohorts
        assert_eq!(chart.svg().matches("<polyline").count(), 3);
        let none = ltv_curves(
            &report.cohorts,
            Some(Cac::new(Money::new(10_000)).unwrap()),
            &money,
        );
        assert!(none.table().caption().contains("not reached yet"));
        assert!(!none.svg().contains("payback"));
    }

    /// LTV = 181.00 / 3 = 60.33 against a CAC of 40.00: 1.51.
    #[test]
    fn ltv_cac_has_a_bar_per_channel_and_the_total() {
        let report = LtvReport::from_orders(&orders(), d(3, 31), &KpiConfig::default()).unwrap();
        let costs = AcquisitionCosts::new().with_default(Cac::new(Money::new(4_000)).unwrap());
        let table = LtvCacTable::from_report(&report, &costs, LtvBasis::Revenue).unwrap();
        let chart = ltv_cac(&table, &MoneyFormat::new(2));
        assert_well_formed(&chart);
        assert_eq!(row(&chart, "all")[1..5], ["3", "60.33", "40.00", "1.51"]);
        assert_eq!(marks(chart.svg(), "rect"), chart.table().rows().len());
        assert!(chart.svg().contains(">1× break-even</text>"));
        assert!(chart.svg().contains(">1.5×</text>"));
    }

    #[test]
    fn holdout_plots_actual_against_predicted() {
        let table = HoldoutTable {
            model: ModelKind::BgNbd,
            holdout_length: 39.0,
            unit: TimeUnit::Week,
            rows: vec![
                HoldoutRow {
                    x: 0,
                    or_more: false,
                    customers: 10,
                    actual: 0.2,
                    predicted: 0.25,
                },
                HoldoutRow {
                    x: 1,
                    or_more: false,
                    customers: 5,
                    actual: 0.8,
                    predicted: 0.7,
                },
                HoldoutRow {
                    x: 2,
                    or_more: true,
                    customers: 2,
                    actual: 1.5,
                    predicted: 1.6,
                },
            ],
            customers: 17,
            actual_total: 9,
            predicted_total: 9.2,
            mean_absolute_error: 0.1,
            root_mean_squared_error: 0.2,
        };
        let chart = holdout(&table);
        assert_well_formed(&chart);
        assert_eq!(
            chart.table().rows(),
            [
                ["0", "10", "0.200", "0.250"],
                ["1", "5", "0.800", "0.700"],
                ["2+", "2", "1.500", "1.600"],
            ]
        );
        assert_eq!(marks(chart.svg(), "circle"), 6);
        assert!(chart.svg().contains(">actual</text>"));
        assert!(chart.svg().contains(">predicted (bg_nbd)</text>"));
    }

    #[test]
    fn p_alive_rises_with_recency() {
        let model = TransactionModel::from(BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap());
        let chart = p_alive_matrix(&model, 3, 38.86, TimeUnit::Week).unwrap();
        assert_well_formed(&chart);
        assert_eq!(chart.table().rows().len(), 3);
        assert_eq!(chart.table().columns().len(), 11);
        assert_eq!(marks(chart.svg(), "rect"), 30);
        // x = 2, t_x = 38.86 (bought at the end): the model's own number
        let p = model.p_alive(Btyd::new(2, 38.86, 38.86).unwrap());
        assert_eq!(row(&chart, "2")[10], percent(p));
        let top: Vec<f64> = row(&chart, "3")[1..]
            .iter()
            .map(|c| c.trim_end_matches('%').parse().unwrap())
            .collect();
        assert!(top.windows(2).all(|w| w[0] <= w[1]), "{top:?}");
        assert!(top[0] < top[9]);
        assert!(p_alive_matrix(&model, 0, 38.86, TimeUnit::Week).is_err());
        assert!(p_alive_matrix(&model, 3, f64::NAN, TimeUnit::Week).is_err());
    }

    /// tests/timeline.rs works this example by hand: frozen at 31 March,
    /// ann potential_loyalist → at_risk, ben loyal → at_risk, cid new →
    /// champions.
    #[test]
    fn migration_matrix_counts_each_move() {
        let buy = |id: &str, c: &str, date, amount| Order::new(id, c, date, Money::new(amount));
        let orders = vec![
            buy("1", "ann", d(3, 30), 10_000),
            buy("2", "ben", d(3, 1), 5_000),
            buy("3", "cid", d(6, 1), 100_000),
            buy("4", "cid", d(6, 10), 100_000),
            buy("5", "cid", d(6, 30), 100_000),
        ];
        let log = IngestConfig::new(d(6, 30)).ingest(&orders).unwrap();
        let config = ScoringConfig::builder()
            .method(Method::Rank)
            .build()
            .unwrap();
        let t = Transitions::from_log(
            &log,
            d(3, 31),
            &config,
            &SegmentTable::standard(),
            ModelMode::Frozen,
        )
        .unwrap();
        let chart = migration_matrix(&t, &SegmentTable::standard());
        assert_well_formed(&chart);
        // In the standard table's order (champions, loyal,
        // potential_loyalist, ..., at_risk, ...), (none) last; first
        // appearance in the matrix would put at_risk before
        // potential_loyalist and champions after both.
        assert_eq!(
            chart.table().rows(),
            [
                ["loyal", "at_risk", "1", "100.0%"],
                ["potential_loyalist", "at_risk", "1", "100.0%"],
                ["(none)", "champions", "1", "100.0%"],
            ]
        );
        let at = |label: &str| {
            chart
                .svg()
                .find(&format!(">{label}</text>"))
                .unwrap_or_else(|| panic!("no label {label}"))
        };
        let rows = [
            "champions",
            "loyal",
            "potential_loyalist",
            "at_risk",
            "(none)",
        ];
        assert!(
            rows.windows(2).all(|w| at(w[0]) < at(w[1])),
            "row labels out of table order"
        );
        // five labels on each axis: 25 cells
        assert_eq!(marks(chart.svg(), "rect"), 25);
        assert!(chart.svg().contains("segment on 2025-03-31 (from)"));
        assert!(chart.svg().contains("segment on 2025-06-30 (to)"));
    }

    /// Frequencies 1, 2, 25 and 40: above 20, so bins are wider than 1.
    /// p99 is the value at index ⌊3·99/100⌋ = 2, 25; the span 25 − 1 = 24
    /// over about 15 bins is 1.6 → a step of 2, from 1: [1, 3) holds 1
    /// and 2, [25, ∞) holds 25 and 40, 13 bins in all. The bars are
    /// labelled by the whole numbers they hold: "1–2", ..., "≥25".
    #[test]
    fn wide_frequency_bins_start_at_one_and_say_what_they_hold() {
        let day = |k: u32| NaiveDate::from_ymd_opt(2025, 1 + k / 28, 1 + k % 28).unwrap();
        let mut orders = Vec::new();
        for (customer, n) in [("a", 1), ("b", 2), ("c", 25), ("d", 40)] {
            for k in 0..n {
                orders.push(Order::new(
                    format!("{customer}-{k}").as_str(),
                    customer,
                    day(k),
                    Money::new(100),
                ));
            }
        }
        let summaries = Summaries::from_orders(&orders, d(3, 31)).unwrap();
        let config = ScoringConfig::builder()
            .method(Method::Rank)
            .build()
            .unwrap();
        let scores = RfmModel::fit(&config, &summaries).score_all(&summaries);
        let chart = distribution(&scores, Dimension::Frequency, &MoneyFormat::new(2));
        assert_well_formed(&chart);
        let rows = chart.table().rows();
        assert_eq!(rows.len(), 13);
        assert_eq!(rows[0], ["1", "3", "2", "50.0%"]);
        assert_eq!(rows[1], ["3", "5", "0", "0.0%"]);
        assert_eq!(rows[12], ["25", "", "2", "50.0%"]);
        assert!(chart.svg().contains(">1–2</text>"));
        assert!(chart.svg().contains(">23–24</text>"));
        assert!(chart.svg().contains(">≥25</text>"));
        assert!(!chart.svg().contains(">0–"), "a bin starts at 0");
        // recency bins (whole days) are labelled by both ends too
        let r = distribution(&scores, Dimension::Recency, &MoneyFormat::new(2));
        assert!(r.svg().contains("–"), "{}", r.svg());
    }

    /// Monthly points 31 Jan, 28 Feb and 31 Mar of the crate example's
    /// shop, the mix scored by a frozen rank model fitted on 31 March
    /// (alice 5-5-5 and carol 4-4-4 are champions then). The KPI columns
    /// are worked out by hand below; the chart draws one line per segment
    /// with a customer at some date.
    #[test]
    fn segment_trend_has_a_row_per_date_and_a_line_per_segment() {
        let log = IngestConfig::new(d(3, 31)).ingest(&orders()).unwrap();
        let summaries = Summaries::from_log(&log).unwrap();
        let config = ScoringConfig::builder()
            .method(Method::Rank)
            .build()
            .unwrap();
        let model = RfmModel::fit(&config, &summaries);
        let trend_config = TrendConfig::builder()
            .frozen(model, SegmentTable::standard())
            .build()
            .unwrap();
        let dates = series(d(1, 31), d(3, 31), Every::Month).unwrap();
        let trend = Trend::from_log(&log, &dates, &trend_config).unwrap();
        let chart = segment_trend(&trend, &MoneyFormat::new(2));
        assert_well_formed(&chart);
        let t = chart.table();
        assert_eq!(
            t.column("as of").unwrap(),
            ["2025-01-31", "2025-02-28", "2025-03-31"]
        );
        // January: alice A-1 and bob A-4; February + alice A-2; March all.
        assert_eq!(t.column("customers").unwrap(), ["2", "2", "3"]);
        assert_eq!(t.column("orders").unwrap(), ["2", "3", "6"]);
        assert_eq!(
            t.column("net revenue").unwrap(),
            ["57.00", "87.00", "181.00"]
        );
        // every segment of the standard table is a column
        assert_eq!(t.columns().len(), 5 + SegmentTable::standard().len());
        // on 31 March the mix is the segment report's
        assert_eq!(t.column("champions").unwrap()[2], "2");
        // per date, the segments hold every customer
        for row in t.rows() {
            let mix: u64 = row[5..].iter().map(|c| c.parse::<u64>().unwrap()).sum();
            assert_eq!(mix.to_string(), row[1]);
        }
        let drawn = (5..t.columns().len())
            .filter(|&k| t.rows().iter().any(|r| r[k] != "0"))
            .count();
        assert_eq!(chart.svg().matches("<polyline").count(), drawn);
        assert_eq!(marks(chart.svg(), "circle"), 3 * drawn);
        assert!(chart.svg().contains(">2025-02-28</text>"));
        // without a mix: one line of all customers
        let plain = Trend::from_log(&log, &dates, &TrendConfig::default()).unwrap();
        let chart = segment_trend(&plain, &MoneyFormat::new(2));
        assert_eq!(chart.svg().matches("<polyline").count(), 1);
        assert_eq!(chart.table().columns().len(), 5);
        assert!(chart.svg().contains(">all customers</text>"));
    }

    /// alice (champions) opted in to email and SMS, carol (champions) to
    /// email only, bob (hibernating segment) has no record: champions 2
    /// customers, 2 with a record, 2 email, 1 SMS, 2 reachable (100 %).
    #[test]
    fn opt_ins_count_consent_per_segment() {
        let segmentation = SegmentTable::standard().segment_all(&scores()).unwrap();
        let customers = Customers::new([
            crate::customer::Customer::new("alice")
                .with_email_opt_in(true)
                .with_sms_opt_in(true),
            crate::customer::Customer::new("carol").with_email_opt_in(true),
            crate::customer::Customer::new("zoe").with_sms_opt_in(true),
        ])
        .unwrap();
        let chart = opt_ins(&segmentation, &customers);
        assert_well_formed(&chart);
        assert_eq!(
            row(&chart, "champions")[1..],
            ["2", "2", "2", "1", "2", "100.0%"]
        );
        let bob = segmentation.segment_of_customer("bob").unwrap().to_string();
        assert_eq!(row(&chart, &bob)[1..], ["1", "0", "0", "0", "0", "0.0%"]);
        assert_eq!(row(&chart, "other")[1..], ["0", "0", "0", "0", "0", "–"]);
        assert!(chart.table().caption().contains("1 of 3 scored customers"));
        // zoe has no order: not scored, in no segment
        let reachable: u64 = chart
            .table()
            .column("reachable")
            .unwrap()
            .iter()
            .map(|c| c.parse::<u64>().unwrap())
            .sum();
        assert_eq!(reachable, 2);
        // two bars per non-empty segment: champions and bob's
        assert_eq!(marks(chart.svg(), "rect"), 4);
        assert!(chart.svg().contains(">100.0%</text>"));
        assert!(chart.svg().contains(">SMS opt-in</text>"));
    }

    #[test]
    fn japanese_names_and_yen_survive_escaping() {
        let yen = MoneyFormat::new(0).unit("円");
        assert_eq!(yen.format(Money::new(1_234_567)), "1,234,567");
        let chart = rfm_heatmap(&scores(), &yen);
        assert!(chart.svg().contains(">13,500</text>"));
        assert!(chart.table().caption().contains("円"));
        assert!(chart.svg().contains("Noto Sans CJK JP"));
    }

    #[test]
    fn empty_input_gives_empty_tables() {
        let summaries = Summaries::from_orders(&[], d(3, 31)).unwrap();
        let config = ScoringConfig::builder()
            .method(Method::Rank)
            .build()
            .unwrap();
        let scores = RfmModel::fit(&config, &summaries).score_all(&summaries);
        let money = MoneyFormat::new(2);
        let heat = rfm_heatmap(&scores, &money);
        assert!(heat.table().rows().iter().all(|r| r[2] == "0"));
        assert_well_formed(&heat);
        let dist = distribution(&scores, Dimension::Monetary, &money);
        assert_well_formed(&dist);
        assert_eq!(dist.table().rows().len(), 1);
        let cohorts = cohort_retention(&CohortTable::empty(d(3, 31)));
        assert!(cohorts.table().rows().is_empty());
        assert_well_formed(&cohorts);
    }
}
