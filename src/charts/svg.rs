//! A tiny SVG writer: rectangles, lines, text, polylines, and the three
//! layouts every chart is made of (heatmap, bars, lines), with axes, ticks
//! and legends. Private to [`crate::charts`].

use std::fmt::Write as _;

/// The font stack of every chart: system UI fonts first, then fonts with
/// Japanese glyphs on macOS, Windows and Linux, then any sans-serif.
pub(crate) const FONT_STACK: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, \
'Hiragino Sans', 'Hiragino Kaku Gothic ProN', 'Yu Gothic', Meiryo, 'Noto Sans CJK JP', \
'Noto Sans JP', 'IPAGothic', 'IPAexGothic', 'Noto Sans', 'DejaVu Sans', sans-serif";

/// The SVG namespace attribute; [`super::Chart::html`] leaves it out (HTML
/// puts `<svg>` in that namespace by itself).
pub(crate) const XMLNS: &str = " xmlns=\"http://www.w3.org/2000/svg\"";

/// Okabe & Ito (2008) colours, distinguishable with every common colour
/// vision deficiency; black is kept for totals and reference lines.
pub(crate) const OKABE_ITO: [&str; 7] = [
    "#0072B2", // blue
    "#E69F00", // orange
    "#009E73", // bluish green
    "#CC79A7", // reddish purple
    "#56B4E9", // sky blue
    "#D55E00", // vermillion
    "#F0E442", // yellow
];

/// Text and axis colour.
const INK: &str = "#222222";
/// Grid lines.
const GRID: &str = "#dddddd";

/// Viridis (matplotlib) at 10 evenly spaced stops, dark to light:
/// perceptually uniform and readable in grey scale and by colour-blind
/// readers.
const VIRIDIS: [(u8, u8, u8); 10] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x28, 0x78),
    (0x3e, 0x4a, 0x89),
    (0x31, 0x68, 0x8e),
    (0x26, 0x82, 0x8e),
    (0x1f, 0x9e, 0x89),
    (0x35, 0xb7, 0x79),
    (0x6d, 0xcd, 0x59),
    (0xb4, 0xde, 0x2c),
    (0xfd, 0xe7, 0x25),
];

/// The viridis colour at `t` in `0.0..=1.0` (clamped; NaN is the darkest).
pub(crate) fn viridis(t: f64) -> String {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let pos = t * 9.0;
    let mut lower = 0usize;
    while lower < 8 && pos >= (lower + 1) as f64 {
        lower += 1;
    }
    let frac = pos - lower as f64;
    let (a, b) = match (VIRIDIS.get(lower), VIRIDIS.get(lower + 1)) {
        (Some(a), Some(b)) => (*a, *b),
        _ => (VIRIDIS[9], VIRIDIS[9]),
    };
    let mix = |x: u8, y: u8| -> u8 {
        let v = f64::from(x) + (f64::from(y) - f64::from(x)) * frac;
        // v is within 0..=255 by construction.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let byte = v.round().clamp(0.0, 255.0) as u8;
        byte
    };
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

/// Escapes text for SVG and HTML content and attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An estimate of the width of `text` at `size` px: wide (CJK, kana,
/// full-width) characters count as one em, others as 0.6 em.
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| if is_wide(c) { size } else { size * 0.6 })
        .sum()
}

fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6)
}

/// Rounds to 0.1 px for compact output.
fn r1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Text anchors.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn name(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// An SVG document under construction.
#[derive(Debug)]
pub(crate) struct Svg {
    out: String,
}

impl Svg {
    /// Starts a `width` × `height` document titled `title` (its accessible
    /// name).
    pub(crate) fn new(width: f64, height: f64, title: &str) -> Svg {
        let mut out = String::new();
        let (w, h) = (r1(width).ceil(), r1(height).ceil());
        let _ = write!(
            out,
            "<svg{XMLNS} class=\"rfmkit-chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" \
height=\"{h}\" role=\"img\" aria-label=\"{t}\" font-family=\"{FONT_STACK}\" font-size=\"12\">\
<title>{t}</title><rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>",
            t = escape(title)
        );
        Svg { out }
    }

    /// A filled rectangle with an optional hover tooltip.
    pub(crate) fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, tip: Option<&str>) {
        let _ = write!(
            self.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"",
            r1(x),
            r1(y),
            r1(w.max(0.0)),
            r1(h.max(0.0))
        );
        match tip {
            Some(tip) => {
                let _ = write!(self.out, "><title>{}</title></rect>", escape(tip));
            }
            None => self.out.push_str("/>"),
        }
    }

    /// A straight line; `dash` draws it dashed.
    pub(crate) fn line(
        &mut self,
        from: (f64, f64),
        to: (f64, f64),
        stroke: &str,
        width: f64,
        dash: bool,
    ) {
        let _ = write!(
            self.out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" stroke-width=\"{width}\"{}/>",
            r1(from.0),
            r1(from.1),
            r1(to.0),
            r1(to.1),
            if dash {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            }
        );
    }

    /// A polyline through `points`.
    pub(crate) fn polyline(&mut self, points: &[(f64, f64)], stroke: &str, width: f64, dash: bool) {
        let mut list = String::new();
        for (x, y) in points {
            let _ = write!(list, "{},{} ", r1(*x), r1(*y));
        }
        let _ = write!(
            self.out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{width}\" \
stroke-linejoin=\"round\"{}/>",
            list.trim_end(),
            if dash {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            }
        );
    }

    /// A filled circle.
    pub(crate) fn circle(&mut self, x: f64, y: f64, radius: f64, fill: &str, tip: Option<&str>) {
        let _ = write!(
            self.out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{radius}\" fill=\"{fill}\"",
            r1(x),
            r1(y)
        );
        match tip {
            Some(tip) => {
                let _ = write!(self.out, "><title>{}</title></circle>", escape(tip));
            }
            None => self.out.push_str("/>"),
        }
    }

    /// Text at `(x, y)` (the baseline), `size` px, optionally bold and
    /// rotated by `rotate` degrees about its anchor point.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text(
        &mut self,
        x: f64,
        y: f64,
        text: &str,
        anchor: Anchor,
        size: f64,
        bold: bool,
        fill: &str,
        rotate: f64,
    ) {
        let (x, y) = (r1(x), r1(y));
        let _ = write!(
            self.out,
            "<text x=\"{x}\" y=\"{y}\" text-anchor=\"{}\" font-size=\"{size}\" fill=\"{fill}\"{}{}>{}</text>",
            anchor.name(),
            if bold { " font-weight=\"bold\"" } else { "" },
            if rotate == 0.0 {
                String::new()
            } else {
                format!(" transform=\"rotate({rotate} {x} {y})\"")
            },
            escape(text)
        );
    }

    /// Plain text in the ink colour.
    pub(crate) fn label(&mut self, x: f64, y: f64, text: &str, anchor: Anchor, size: f64) {
        self.text(x, y, text, anchor, size, false, INK, 0.0);
    }

    /// The chart title, top left.
    pub(crate) fn title(&mut self, text: &str) {
        self.text(12.0, 22.0, text, Anchor::Start, 15.0, true, INK, 0.0);
    }

    /// Closes the document.
    pub(crate) fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// A "nice" axis for values in `0..=max`: the axis end and the ticks
/// (steps of 1, 2 or 5 × 10^k, about `target` of them).
pub(crate) fn nice_ticks(max: f64, target: usize) -> (f64, Vec<f64>) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let n = raw / magnitude;
    let step = magnitude
        * if n <= 1.0 {
            1.0
        } else if n <= 2.0 {
            2.0
        } else if n <= 5.0 {
            5.0
        } else {
            10.0
        };
    let mut ticks = vec![0.0];
    let mut v = 0.0;
    while v < max - step * 1e-9 && ticks.len() < 50 {
        v += step;
        ticks.push(v);
    }
    (v.max(step), ticks)
}

/// A heatmap: `rows` × `cols` cells coloured by value on the viridis scale
/// between `range`, each with up to two lines of text.
#[derive(Debug)]
pub(crate) struct Heatmap<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub cols: Vec<String>,
    pub rows: Vec<String>,
    /// Row-major values; `None` draws an empty (light grey) cell.
    pub values: Vec<Vec<Option<f64>>>,
    /// Row-major cell text (one or two lines).
    pub text: Vec<Vec<Vec<String>>>,
    /// The colour scale's ends.
    pub range: (f64, f64),
    /// The legend's caption and its end labels.
    pub legend: (String, String, String),
}

impl Heatmap<'_> {
    /// Renders the heatmap.
    pub(crate) fn render(&self) -> String {
        let ncols = self.cols.len().max(1) as f64;
        let max_lines = self.text.iter().flatten().map(Vec::len).max().unwrap_or(0);
        let widest_text = self
            .text
            .iter()
            .flatten()
            .flatten()
            .map(|t| text_width(t, 11.0))
            .fold(0.0, f64::max);
        let cell_w = (widest_text * 1.15 + 12.0)
            .clamp(22.0, 80.0)
            .min((900.0 / ncols).max(16.0));
        let show_text = widest_text * 1.15 + 4.0 <= cell_w;
        let nrows = self.rows.len().max(1) as f64;
        // Tall enough for the rotated y label beside it.
        let min_h = (text_width(self.y_label, 12.0) * 1.1 + 16.0) / nrows;
        let cell_h = if show_text && max_lines > 1 {
            34.0_f64
        } else {
            24.0
        }
        .max(min_h.min(60.0));
        let row_label_w = self
            .rows
            .iter()
            .map(|r| text_width(r, 11.0))
            .fold(0.0, f64::max);
        let col_label_w = self
            .cols
            .iter()
            .map(|c| text_width(c, 11.0))
            .fold(0.0, f64::max);
        let rotate = col_label_w + 6.0 > cell_w;
        let col_label_h = if rotate {
            col_label_w * 0.72 + 18.0
        } else {
            20.0
        };
        let left = row_label_w + 44.0;
        let top = 44.0;
        let plot_w = cell_w * ncols;
        let plot_h = cell_h * self.rows.len() as f64;
        let legend_top = top + plot_h + col_label_h + 30.0;
        let x_label_w = text_width(self.x_label, 12.0) * 1.1;
        let width = (left + plot_w + 16.0)
            .max(text_width(self.title, 15.0) * 1.1 + 24.0)
            .max(x_label_w + 24.0)
            .max(360.0);
        let height = legend_top + 44.0;
        let mut svg = Svg::new(width, height, self.title);
        svg.title(self.title);
        let (lo, hi) = self.range;
        let span = if hi > lo { hi - lo } else { 1.0 };
        for (i, row) in self.rows.iter().enumerate() {
            let y = top + cell_h * i as f64;
            svg.label(left - 6.0, y + cell_h / 2.0 + 4.0, row, Anchor::End, 11.0);
            for (j, col) in self.cols.iter().enumerate() {
                let x = left + cell_w * j as f64;
                let value = self.values.get(i).and_then(|r| r.get(j)).copied().flatten();
                let lines = self.text.get(i).and_then(|r| r.get(j));
                let tip = format!(
                    "{} {row}, {} {col}: {}",
                    self.y_label,
                    self.x_label,
                    lines.map(|l| l.join(", ")).unwrap_or_default()
                );
                let t = value.map(|v| (v - lo) / span);
                let fill = t.map_or_else(|| "#f2f2f2".to_owned(), viridis);
                svg.rect(
                    x + 0.5,
                    y + 0.5,
                    cell_w - 1.0,
                    cell_h - 1.0,
                    &fill,
                    Some(&tip),
                );
                if show_text {
                    let ink = match t {
                        Some(t) if t < 0.55 => "#ffffff",
                        _ => INK,
                    };
                    let lines = lines.map(Vec::as_slice).unwrap_or_default();
                    let n = lines.len() as f64;
                    for (k, line) in lines.iter().enumerate() {
                        let ly = y + cell_h / 2.0 + 4.0 + (k as f64 - (n - 1.0) / 2.0) * 13.0;
                        svg.text(
                            x + cell_w / 2.0,
                            ly,
                            line,
                            Anchor::Middle,
                            11.0,
                            k == 0,
                            ink,
                            0.0,
                        );
                    }
                }
            }
        }
        for (j, col) in self.cols.iter().enumerate() {
            let x = left + cell_w * (j as f64 + 0.5);
            let y = top + plot_h + 14.0;
            if rotate {
                svg.text(x + 3.0, y - 4.0, col, Anchor::End, 11.0, false, INK, -45.0);
            } else {
                svg.label(x, y, col, Anchor::Middle, 11.0);
            }
        }
        svg.text(
            (left + plot_w / 2.0).max(x_label_w / 2.0 + 8.0),
            top + plot_h + col_label_h + 10.0,
            self.x_label,
            Anchor::Middle,
            12.0,
            true,
            INK,
            0.0,
        );
        let cy = top + plot_h / 2.0;
        svg.text(
            14.0,
            cy,
            self.y_label,
            Anchor::Middle,
            12.0,
            true,
            INK,
            -90.0,
        );
        // The colour legend: ten swatches from the low to the high end.
        let (caption, low, high) = &self.legend;
        let lx = left;
        svg.label(lx, legend_top, caption, Anchor::Start, 11.0);
        let sw = 18.0;
        svg.label(lx, legend_top + 26.0, low, Anchor::Start, 11.0);
        let bar_x = lx + text_width(low, 11.0) + 6.0;
        for k in 0..10 {
            let t = f64::from(k) / 9.0;
            svg.rect(
                bar_x + sw * f64::from(k),
                legend_top + 14.0,
                sw,
                14.0,
                &viridis(t),
                None,
            );
        }
        svg.label(
            bar_x + sw * 10.0 + 6.0,
            legend_top + 26.0,
            high,
            Anchor::Start,
            11.0,
        );
        svg.finish()
    }
}

/// One series of bars or of a line chart.
#[derive(Debug)]
pub(crate) struct Series {
    pub name: String,
    pub colour: &'static str,
    /// One value per category (bars); `None` is no bar.
    pub values: Vec<Option<f64>>,
}

/// How a legend entry shows its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Swatch {
    /// A filled square (bars, cells).
    Box,
    /// A solid line.
    Line,
    /// A dashed line.
    Dashed,
}

/// The width of a legend entry (swatch, name and the gap after it).
fn legend_item_width(name: &str) -> f64 {
    34.0 + text_width(name, 11.0)
}

/// Draws a legend row of colour swatches at `(x, y)`.
fn legend_row(svg: &mut Svg, x: f64, y: f64, items: &[(&str, &str, Swatch)]) {
    let mut cx = x;
    for (name, colour, swatch) in items {
        match swatch {
            Swatch::Line | Swatch::Dashed => svg.line(
                (cx, y - 4.0),
                (cx + 18.0, y - 4.0),
                colour,
                2.5,
                *swatch == Swatch::Dashed,
            ),
            Swatch::Box => svg.rect(cx, y - 10.0, 12.0, 12.0, colour, None),
        }
        svg.label(cx + 22.0, y, name, Anchor::Start, 11.0);
        cx += legend_item_width(name);
    }
}

/// Splits legend entries into rows no wider than `width`.
fn legend_rows<'a>(
    items: &[(&'a str, &'a str, Swatch)],
    width: f64,
) -> Vec<Vec<(&'a str, &'a str, Swatch)>> {
    let mut rows: Vec<Vec<(&str, &str, Swatch)>> = Vec::new();
    let mut used = f64::INFINITY;
    for item in items {
        let w = legend_item_width(item.0);
        match rows.last_mut() {
            Some(row) if used + w <= width => {
                row.push(*item);
                used += w;
            }
            _ => {
                rows.push(vec![*item]);
                used = w;
            }
        }
    }
    rows
}

/// A reference line across a chart at `value`, labelled.
#[derive(Debug)]
pub(crate) struct RefLine {
    pub value: f64,
    pub label: String,
}

/// Horizontal grouped bars: one group per category, one bar per series.
pub(crate) struct HBars<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    pub refs: Vec<RefLine>,
    pub format: &'a dyn Fn(f64) -> String,
}

impl HBars<'_> {
    /// Renders the bars.
    pub(crate) fn render(&self) -> String {
        let label_w = self
            .categories
            .iter()
            .map(|c| text_width(c, 11.0))
            .fold(0.0, f64::max);
        let left = label_w + 44.0;
        let plot_w = 440.0;
        let top = 58.0;
        let nseries = self.series.len().max(1) as f64;
        let bar_h = 13.0;
        let group_h = bar_h * nseries + 10.0;
        let plot_h = group_h * self.categories.len().max(1) as f64;
        let max = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .chain(self.refs.iter().map(|r| &r.value))
            .fold(0.0, |a: f64, b| a.max(*b));
        let (axis_max, ticks) = nice_ticks(max, 5);
        let width = left + plot_w + 70.0;
        let height = top + plot_h + 52.0 + 12.0 * self.refs.len() as f64;
        let mut svg = Svg::new(width, height, self.title);
        svg.title(self.title);
        let items: Vec<(&str, &str, Swatch)> = self
            .series
            .iter()
            .map(|s| (s.name.as_str(), s.colour, Swatch::Box))
            .collect();
        legend_row(&mut svg, left, 42.0, &items);
        let sx = |v: f64| left + plot_w * (v / axis_max).clamp(0.0, 1.0);
        for t in &ticks {
            svg.line((sx(*t), top), (sx(*t), top + plot_h), GRID, 1.0, false);
            svg.label(
                sx(*t),
                top + plot_h + 15.0,
                &(self.format)(*t),
                Anchor::Middle,
                11.0,
            );
        }
        for (i, category) in self.categories.iter().enumerate() {
            let gy = top + group_h * i as f64 + 5.0;
            svg.label(
                left - 6.0,
                gy + bar_h * nseries / 2.0 + 4.0,
                category,
                Anchor::End,
                11.0,
            );
            for (k, series) in self.series.iter().enumerate() {
                let y = gy + bar_h * k as f64;
                if let Some(v) = series.values.get(i).copied().flatten() {
                    let shown = (self.format)(v);
                    let tip = format!("{category}, {}: {shown}", series.name);
                    svg.rect(
                        left,
                        y,
                        sx(v) - left,
                        bar_h - 1.0,
                        series.colour,
                        Some(&tip),
                    );
                    svg.label(sx(v) + 4.0, y + bar_h - 3.0, &shown, Anchor::Start, 10.0);
                }
            }
        }
        svg.line((left, top), (left, top + plot_h), INK, 1.0, false);
        // Labels one above the other, so that close lines stay readable.
        // The dashed line skips the row of tick labels, which it would
        // cross out, and goes on down to its own label. The rightmost
        // line's label is the top row, so that no connector crosses a
        // label to its right.
        let mut by_value: Vec<usize> = (0..self.refs.len()).collect();
        by_value.sort_by(|&a, &b| {
            let value = |k: usize| self.refs.get(k).map_or(0.0, |r| r.value);
            value(b).total_cmp(&value(a))
        });
        for (k, r) in by_value
            .iter()
            .enumerate()
            .filter_map(|(row, &i)| self.refs.get(i).map(|r| (row, r)))
        {
            svg.line(
                (sx(r.value), top - 4.0),
                (sx(r.value), top + plot_h),
                INK,
                1.5,
                true,
            );
            svg.line(
                (sx(r.value), top + plot_h + 21.0),
                (sx(r.value), top + plot_h + 28.0 + 12.0 * k as f64),
                INK,
                1.5,
                false,
            );
            svg.text(
                sx(r.value) + 3.0,
                top + plot_h + 28.0 + 12.0 * k as f64,
                &r.label,
                Anchor::Start,
                10.0,
                true,
                INK,
                0.0,
            );
        }
        svg.text(
            left + plot_w / 2.0,
            top + plot_h + 36.0 + 12.0 * self.refs.len() as f64,
            self.x_label,
            Anchor::Middle,
            12.0,
            true,
            INK,
            0.0,
        );
        svg.text(
            14.0,
            top + plot_h / 2.0,
            self.y_label,
            Anchor::Middle,
            12.0,
            true,
            INK,
            -90.0,
        );
        svg.finish()
    }
}

/// Vertical grouped bars over categories (histograms, one series).
pub(crate) struct VBars<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    pub format: &'a dyn Fn(f64) -> String,
}

impl VBars<'_> {
    /// Renders the bars.
    pub(crate) fn render(&self) -> String {
        let n = self.categories.len().max(1) as f64;
        let nseries = self.series.len().max(1) as f64;
        let slot = (520.0 / n).clamp(16.0, 60.0);
        let label_w = self
            .categories
            .iter()
            .map(|c| text_width(c, 10.0))
            .fold(0.0, f64::max);
        let rotate = label_w + 4.0 > slot;
        let label_h = if rotate { label_w * 0.72 + 16.0 } else { 18.0 };
        let max = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .fold(0.0, |a: f64, b| a.max(*b));
        let (axis_max, ticks) = nice_ticks(max, 5);
        let tick_w = ticks
            .iter()
            .map(|t| text_width(&(self.format)(*t), 11.0))
            .fold(0.0, f64::max);
        let left = tick_w + 40.0;
        let top = if self.series.len() > 1 { 56.0 } else { 40.0 };
        let plot_w = slot * n;
        let plot_h = 220.0;
        let width = (left + plot_w + 20.0).max(text_width(self.title, 15.0) + 24.0);
        let height = top + plot_h + label_h + 34.0;
        let mut svg = Svg::new(width, height, self.title);
        svg.title(self.title);
        if self.series.len() > 1 {
            let items: Vec<(&str, &str, Swatch)> = self
                .series
                .iter()
                .map(|s| (s.name.as_str(), s.colour, Swatch::Box))
                .collect();
            legend_row(&mut svg, left, 42.0, &items);
        }
        let sy = |v: f64| top + plot_h - plot_h * (v / axis_max).clamp(0.0, 1.0);
        for t in &ticks {
            svg.line((left, sy(*t)), (left + plot_w, sy(*t)), GRID, 1.0, false);
            svg.label(
                left - 5.0,
                sy(*t) + 4.0,
                &(self.format)(*t),
                Anchor::End,
                11.0,
            );
        }
        let bar_w = (slot - 4.0) / nseries;
        for (i, category) in self.categories.iter().enumerate() {
            let x0 = left + slot * i as f64 + 2.0;
            for (k, series) in self.series.iter().enumerate() {
                if let Some(v) = series.values.get(i).copied().flatten() {
                    let tip = format!("{category}: {}", (self.format)(v));
                    let x = x0 + bar_w * k as f64;
                    svg.rect(
                        x,
                        sy(v),
                        bar_w - 1.0,
                        top + plot_h - sy(v),
                        series.colour,
                        Some(&tip),
                    );
                }
            }
            let cx = x0 + (slot - 4.0) / 2.0;
            let y = top + plot_h + 13.0;
            if rotate {
                svg.text(
                    cx + 3.0,
                    y - 3.0,
                    category,
                    Anchor::End,
                    10.0,
                    false,
                    INK,
                    -45.0,
                );
            } else {
                svg.text(cx, y, category, Anchor::Middle, 10.0, false, INK, 0.0);
            }
        }
        svg.line(
            (left, top + plot_h),
            (left + plot_w, top + plot_h),
            INK,
            1.0,
            false,
        );
        svg.text(
            left + plot_w / 2.0,
            top + plot_h + label_h + 18.0,
            self.x_label,
            Anchor::Middle,
            12.0,
            true,
            INK,
            0.0,
        );
        svg.text(
            14.0,
            top + plot_h / 2.0,
            self.y_label,
            Anchor::Middle,
            12.0,
            true,
            INK,
            -90.0,
        );
        svg.finish()
    }
}

/// One line of a [`Lines`] chart.
#[derive(Debug)]
pub(crate) struct Line {
    pub name: String,
    pub colour: &'static str,
    pub points: Vec<(f64, f64)>,
    pub width: f64,
    pub dash: bool,
    pub markers: bool,
}

/// A line chart over numeric x and y axes from 0.
pub(crate) struct Lines<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub lines: Vec<Line>,
    /// Horizontal reference lines (a CAC), labelled.
    pub hrefs: Vec<RefLine>,
    /// Vertical markers (a payback month), labelled.
    pub vrefs: Vec<RefLine>,
    pub x_format: &'a dyn Fn(f64) -> String,
    pub y_format: &'a dyn Fn(f64) -> String,
    /// The plot's width in px (460 for most charts).
    pub plot_w: f64,
    /// The x axis' end and ticks; `None`: 1-2-5 ticks from 0 past the
    /// largest x.
    pub x_axis: Option<(f64, Vec<f64>)>,
}

impl Lines<'_> {
    /// Renders the chart.
    pub(crate) fn render(&self) -> String {
        let xmax = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .fold(0.0, f64::max);
        let ymax = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .chain(self.hrefs.iter().map(|r| r.value))
            .fold(0.0, f64::max);
        let (x_axis, xticks) = match &self.x_axis {
            Some((end, ticks)) if *end > 0.0 => (*end, ticks.clone()),
            _ => nice_ticks(xmax, 8),
        };
        let (y_axis, yticks) = nice_ticks(ymax * 1.05, 5);
        let tick_w = yticks
            .iter()
            .map(|t| text_width(&(self.y_format)(*t), 11.0))
            .fold(0.0, f64::max);
        let left = tick_w + 40.0;
        let plot_w = self.plot_w;
        let plot_h = 240.0;
        // Legend rows under the title, as wide as the plot.
        let items: Vec<(&str, &str, Swatch)> = self
            .lines
            .iter()
            .map(|l| {
                let swatch = if l.dash { Swatch::Dashed } else { Swatch::Line };
                (l.name.as_str(), l.colour, swatch)
            })
            .collect();
        let legend = legend_rows(&items, plot_w);
        let rows = legend.len().max(1) as f64;
        let top = 34.0 + 18.0 * rows;
        // Room on the right for half of the last tick's label, centred
        // on the axis end.
        let right = xticks
            .last()
            .map_or(0.0, |t| text_width(&(self.x_format)(*t), 11.0) / 2.0 + 6.0)
            .max(24.0);
        let width = left + plot_w + right;
        let height = top + plot_h + 50.0;
        let mut svg = Svg::new(width, height, self.title);
        svg.title(self.title);
        for (r, row) in legend.iter().enumerate() {
            legend_row(&mut svg, left, 44.0 + 18.0 * r as f64, row);
        }
        let sx = |v: f64| left + plot_w * (v / x_axis).clamp(0.0, 1.0);
        let sy = |v: f64| top + plot_h - plot_h * (v / y_axis).clamp(0.0, 1.0);
        for t in &yticks {
            svg.line((left, sy(*t)), (left + plot_w, sy(*t)), GRID, 1.0, false);
            svg.label(
                left - 5.0,
                sy(*t) + 4.0,
                &(self.y_format)(*t),
                Anchor::End,
                11.0,
            );
        }
        for t in &xticks {
            svg.line(
                (sx(*t), top + plot_h),
                (sx(*t), top + plot_h + 4.0),
                INK,
                1.0,
                false,
            );
            svg.label(
                sx(*t),
                top + plot_h + 16.0,
                &(self.x_format)(*t),
                Anchor::Middle,
                11.0,
            );
        }
        svg.line((left, top), (left, top + plot_h), INK, 1.0, false);
        svg.line(
            (left, top + plot_h),
            (left + plot_w, top + plot_h),
            INK,
            1.0,
            false,
        );
        for line in &self.lines {
            let points: Vec<(f64, f64)> =
                line.points.iter().map(|(x, y)| (sx(*x), sy(*y))).collect();
            svg.polyline(&points, line.colour, line.width, line.dash);
            if line.markers {
                for (&(px, py), &(x, y)) in points.iter().zip(&line.points) {
                    let tip = format!(
                        "{}: {} → {}",
                        line.name,
                        (self.x_format)(x),
                        (self.y_format)(y)
                    );
                    svg.circle(px, py, 3.5, line.colour, Some(&tip));
                }
            }
        }
        for r in &self.hrefs {
            svg.line(
                (left, sy(r.value)),
                (left + plot_w, sy(r.value)),
                INK,
                1.5,
                true,
            );
            svg.text(
                left + plot_w - 4.0,
                sy(r.value) - 5.0,
                &r.label,
                Anchor::End,
                11.0,
                true,
                INK,
                0.0,
            );
        }
        for r in &self.vrefs {
            svg.line(
                (sx(r.value), top),
                (sx(r.value), top + plot_h),
                "#D55E00",
                1.5,
                true,
            );
            svg.text(
                sx(r.value) + 4.0,
                top + 12.0,
                &r.label,
                Anchor::Start,
                11.0,
                true,
                "#D55E00",
                0.0,
            );
        }
        svg.text(
            left + plot_w / 2.0,
            top + plot_h + 38.0,
            self.x_label,
            Anchor::Middle,
            12.0,
            true,
            INK,
            0.0,
        );
        svg.text(
            14.0,
            top + plot_h / 2.0,
            self.y_label,
            Anchor::Middle,
            12.0,
            true,
            INK,
            -90.0,
        );
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_are_the_published_colours() {
        assert_eq!(viridis(0.0), "#440154");
        assert_eq!(viridis(1.0), "#fde725");
        assert_eq!(viridis(f64::NAN), "#440154");
    }

    #[test]
    fn nice_ticks_cover_the_maximum() {
        let (end, ticks) = nice_ticks(87.0, 5);
        assert_eq!(end, 100.0);
        assert_eq!(ticks, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        let (end, _) = nice_ticks(0.0, 5);
        assert!(end > 0.0);
    }

    #[test]
    fn escape_and_width_handle_markup_and_japanese() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(text_width("優良", 10.0), 20.0);
        assert_eq!(text_width("ab", 10.0), 12.0);
    }
}
