//! `rfmkit report`: one self-contained HTML file with the model's cuts,
//! the segment report, the KPIs and the charts the data supports.

use std::fmt::Write as _;

use anyhow::{Context as _, Result, anyhow};
use chrono::NaiveDate;
use rfmkit::Money;
use rfmkit::charts::{self, Chart, MoneyFormat};
use rfmkit::clv::{BtydConfig, BtydData, ModelKind, TransactionFit};
use rfmkit::ltv::{AcquisitionCosts, LtvBasis, LtvCacTable, LtvReport, TimeUnit};
use rfmkit::rfm::Dimension;
use rfmkit::timeline::{ModelMode, Transitions, Trend, TrendConfig};

use crate::cli::ReportArgs;
use crate::commands::{model_report, scoring, segment, usage};
use crate::write_stderr;

/// The CSS of the report: one column up to 1200 px, charts beside their
/// tables, tables scrolling on screen and printed in full.
const CSS: &str = "\
:root{color:#222;background:#fff}
body{font-family:FONT;margin:0 auto;max-width:1200px;padding:16px 24px;line-height:1.4}
h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #0072B2;padding-bottom:2px}
.meta{color:#555;margin:0 0 12px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:12px 0}
.tile{border:1px solid #ccc;border-radius:6px;padding:8px 12px;min-width:0;overflow-wrap:anywhere}
.tile b{display:block;font-size:20px;font-variant-numeric:tabular-nums}.tile span{color:#555;font-size:12px}
.rfmkit-figure{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start;margin:0 0 24px;break-inside:avoid}
.rfmkit-svg{flex:0 1 auto;max-width:100%}.rfmkit-svg svg{max-width:100%;height:auto;display:block}
.rfmkit-table{flex:0 1 auto;max-height:460px;overflow:auto;max-width:100%}
table{border-collapse:collapse;font-size:12px}caption{text-align:left;font-weight:bold;padding:2px 0 4px}
th,td{padding:2px 8px;border-bottom:1px solid #e4e4e4;white-space:nowrap}th{background:#f3f3f3;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{font-family:ui-monospace,Menlo,Consolas,'Noto Sans Mono CJK JP',IPAGothic,monospace;font-size:12px;background:#f7f7f7;padding:8px;overflow-x:auto;max-width:100%}
.note{color:#8a4b00}
@media print{body{max-width:none;padding:0}.rfmkit-table{max-height:none;overflow:visible}h2{break-after:avoid}}
";

/// The font stack of the page (the charts carry the same one).
const FONT: &str = "system-ui,-apple-system,'Segoe UI',Roboto,'Hiragino Sans',\
'Hiragino Kaku Gothic ProN','Yu Gothic',Meiryo,'Noto Sans CJK JP','Noto Sans JP',IPAGothic,\
IPAexGothic,'Noto Sans','DejaVu Sans',sans-serif";

/// A count with thousands separators, as the charts' tables write it.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Parses `--cac AMOUNT` (every channel) or `--cac CHANNEL=AMOUNT`.
fn costs(values: &[String], scale: u32) -> Result<Option<AcquisitionCosts>> {
    if values.is_empty() {
        return Ok(None);
    }
    crate::commands::acquisition_costs(values, scale).map(Some)
}

/// One section of the page.
struct Page {
    body: String,
    charts: usize,
}

impl Page {
    fn section(&mut self, title: &str) {
        let _ = write!(self.body, "<h2>{}</h2>", esc(title));
    }

    fn chart(&mut self, chart: &Chart) {
        self.body.push_str(&chart.html());
        self.charts += 1;
    }

    fn pre(&mut self, text: &str) {
        let _ = write!(self.body, "<pre>{}</pre>", esc(text));
    }

    fn note(&mut self, text: &str) {
        let _ = write!(self.body, "<p class=\"note\">{}</p>", esc(text));
    }

    /// A plain paragraph (a note is for what is missing).
    fn text(&mut self, text: &str) {
        let _ = write!(self.body, "<p class=\"meta\">{}</p>", esc(text));
    }
}

/// `rfmkit report`.
pub fn report(args: &ReportArgs) -> Result<()> {
    let scale = args.input.scale;
    let as_of = args.scoring.as_of;
    let money = MoneyFormat::new(scale).unit(args.currency.clone());
    let costs = costs(&args.cac, scale)?;
    let kpi_config = args
        .kpi
        .builder()
        .build()
        .map_err(|e| usage(e.to_string()))?;
    let from = match args.from {
        Some(from) => from,
        None => as_of
            .checked_sub_days(chrono::Days::new(90))
            .ok_or_else(|| usage("--as-of is too early for the default --from (90 days before)"))?,
    };
    if from >= as_of {
        return Err(usage(format!(
            "--from {from} must be before --as-of {as_of}"
        )));
    }
    if let Some(end) = args.calibration_end {
        if end >= as_of {
            return Err(usage(format!(
                "--calibration-end {end} must be before --as-of {as_of} (the holdout runs to --as-of)"
            )));
        }
    }
    let customers = args
        .customers
        .as_deref()
        .map(crate::customers::load_customers)
        .transpose()?;
    let scoring = scoring(&args.scoring.model)?;
    let (file, summaries, model, segmentation) = segment(&args.input, &scoring, as_of)?;
    let path = file.path.as_path();
    let failed = |e: rfmkit::Error| anyhow!("{}: {e}", path.display());
    let ltv = LtvReport::from_log(&file.log, &kpi_config).map_err(failed)?;
    let segment_report = segmentation.report().map_err(failed)?;
    let scores = segmentation.scores();

    let mut page = Page {
        body: String::new(),
        charts: 0,
    };
    let k = &ltv.kpis;
    let tile = |value: String, label: &str| {
        format!(
            "<div class=\"tile\"><b>{}</b><span>{}</span></div>",
            esc(&value),
            esc(label)
        )
    };
    let ratio = |r: Option<f64>| r.map_or_else(|| "–".to_owned(), |r| format!("{:.1}%", r * 100.0));
    let opt_money = |m: Option<Money>| m.map_or_else(|| "–".to_owned(), |m| money.format(m));
    let _ = write!(
        page.body,
        "<div class=\"tiles\">{}{}{}{}{}{}{}</div>",
        tile(grouped(k.customers), "customers"),
        tile(grouped(k.orders), "orders"),
        tile(
            money.format(k.net_revenue),
            &format!("net revenue ({})", money.unit_name())
        ),
        tile(opt_money(k.average_order_value), "average order value"),
        tile(ratio(k.repeat_rate), "repeat rate"),
        tile(
            ratio(k.churn.rate),
            &format!("churn ({} days)", k.churn.days)
        ),
        tile(opt_money(k.ltv), "historical LTV per customer"),
    );

    page.section("RFM scores");
    page.chart(&charts::rfm_heatmap(scores, &money));
    page.section("Segments");
    page.chart(&charts::segment_bars(&segment_report, &money));
    page.section("Recency, frequency and monetary distributions");
    for dimension in Dimension::ALL {
        page.chart(&charts::distribution(scores, dimension, &money));
    }
    page.section("Cohorts and LTV");
    page.chart(&charts::cohort_retention(&ltv.cohorts));
    let default_cac = costs.as_ref().and_then(|c| c.cac(None));
    page.chart(&charts::ltv_curves(&ltv.cohorts, default_cac, &money));
    match &costs {
        Some(costs) => {
            let table = LtvCacTable::from_report(&ltv, costs, LtvBasis::Revenue).map_err(failed)?;
            page.chart(&charts::ltv_cac(&table, &money));
        }
        None => page.note("LTV / CAC per channel: give acquisition costs with --cac AMOUNT or --cac CHANNEL=AMOUNT."),
    }

    if let Some(customers) = &customers {
        page.section("Who can be contacted");
        page.chart(&charts::opt_ins(&segmentation, customers));
    }

    page.section(&format!("Segment migration {from} → {as_of}"));
    match Transitions::from_log(
        &file.log,
        from,
        &scoring.config,
        &scoring.table,
        ModelMode::Frozen,
    ) {
        Ok(transitions) => page.chart(&charts::migration_matrix(&transitions, &scoring.table)),
        Err(err) => page.note(&format!("no migration matrix: {err}")),
    }

    page.section("Segments over time");
    let first = summaries.iter().filter_map(|s| s.first_order_date()).min();
    let dates = monthly_dates(first, as_of);
    if dates.len() < MIN_TREND_DATES {
        page.note(&format!(
            "no trend chart: the orders span {} monthly as-of date(s) up to {as_of}; it needs {MIN_TREND_DATES}",
            dates.len()
        ));
    } else {
        let config = TrendConfig::builder()
            .kpi(kpi_config.clone())
            .frozen(model.clone(), scoring.table.clone())
            .build()
            .map_err(failed)?;
        let trend = Trend::from_log(&file.log, &dates, &config).map_err(failed)?;
        page.text(&format!(
            "Monthly as-of dates up to {as_of} (at most {} months back), every date scored with the model as of {as_of} (its cut points, below): a change is customers moving, not cuts.",
            MAX_TREND_MONTHS
        ));
        page.chart(&charts::segment_trend(&trend, &money));
    }

    page.section("Predictive CLV (BG/NBD)");
    match args.calibration_end {
        None => page.note("Calibration vs holdout and P(alive): give --calibration-end DATE (the holdout runs to --as-of)."),
        Some(end) => match clv_charts(&file.log, end, as_of) {
            Ok(list) => {
                for chart in &list {
                    page.chart(chart);
                }
            }
            Err(err) => page.note(&format!("no CLV charts: {err}")),
        },
    }

    page.section("Model cut points and segment report");
    page.pre(&model_report(
        scale,
        &args.scoring.model.segments,
        &model,
        &segmentation,
    )?);
    page.section("KPIs");
    page.pre(&ltv.display_table(scale).to_string());

    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>rfmkit report {as_of}</title><style>{}</style></head><body>\
<h1>Customer report as of {as_of}</h1><p class=\"meta\">{} · {} scored customers · \
money in {} ({} decimals) · {} charts · made by rfmkit {}</p>{}</body></html>\n",
        CSS.replace("FONT", FONT),
        esc(&name),
        segmentation.len(),
        esc(money.unit_name()),
        scale,
        page.charts,
        env!("CARGO_PKG_VERSION"),
        page.body
    );
    std::fs::write(&args.output, html)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    write_stderr(&format!(
        "wrote {} ({} charts)",
        args.output.display(),
        page.charts
    ));
    Ok(())
}

/// The trend chart needs this many monthly as-of dates.
const MIN_TREND_DATES: usize = 3;
/// And goes at most this many months back.
const MAX_TREND_MONTHS: u32 = 24;

/// Monthly as-of dates ending on `as_of` (`as_of` minus 1, 2, ...
/// calendar months, the day clamped to the month's length), none before
/// the first order, at most [`MAX_TREND_MONTHS`] back; ascending.
fn monthly_dates(first_order: Option<NaiveDate>, as_of: NaiveDate) -> Vec<NaiveDate> {
    let Some(first) = first_order else {
        return Vec::new();
    };
    let mut dates: Vec<NaiveDate> = (0..=MAX_TREND_MONTHS)
        .map_while(|k| as_of.checked_sub_months(chrono::Months::new(k)))
        .take_while(|d| *d >= first)
        .collect();
    dates.reverse();
    dates
}

/// Calibration vs holdout and the P(alive) matrix of a BG/NBD fit with the
/// holdout from `calibration_end` to `as_of`, in weeks.
fn clv_charts(
    log: &rfmkit::ingest::OrderLog,
    calibration_end: NaiveDate,
    as_of: NaiveDate,
) -> Result<Vec<Chart>> {
    let config = BtydConfig::builder(calibration_end)
        .observation_end(as_of)
        .unit(TimeUnit::Week)
        .build()?;
    let data = BtydData::from_log(log, &config)?;
    let fit = TransactionFit::fit(ModelKind::BgNbd, &data)?;
    let holdout = fit.holdout_table(&data, 7)?;
    let age = data.iter().map(|c| c.btyd().t()).fold(0.0, f64::max);
    let p_alive = charts::p_alive_matrix(&fit.model, 10, age, TimeUnit::Week)?;
    Ok(vec![charts::holdout(&holdout), p_alive])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// CDNOW: first order 1 January 1997, as of 30 June 1998: the 30th of
    /// each month back to January 1997 (30 December 1996 is before the
    /// first order), February clamped to the 28th.
    #[test]
    fn monthly_dates_end_on_as_of_and_start_after_the_first_order() {
        let dates = monthly_dates(Some(d(1997, 1, 1)), d(1998, 6, 30));
        assert_eq!(dates.len(), 18);
        assert_eq!(dates[0], d(1997, 1, 30));
        assert_eq!(dates[1], d(1997, 2, 28));
        assert_eq!(dates[2], d(1997, 3, 30));
        assert_eq!(dates[17], d(1998, 6, 30));
        assert!(dates.windows(2).all(|w| w[0] < w[1]));
        // at most 24 months back: 25 dates
        assert_eq!(monthly_dates(Some(d(2000, 1, 1)), d(2026, 1, 1)).len(), 25);
        assert!(monthly_dates(None, d(2026, 1, 1)).is_empty());
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(6919), "6,919");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(monthly_dates(Some(d(2026, 1, 1)), d(2026, 1, 1)).len(), 1);
    }
}
