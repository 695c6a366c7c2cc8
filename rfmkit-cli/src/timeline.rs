//! `rfmkit transitions` and `rfmkit trend`: segments and KPIs over time.

use anyhow::Result;
use rfmkit::Money;
use rfmkit::ltv::Kpis;
use rfmkit::summary::Summaries;
use rfmkit::timeline::{
    Every, ModelMode, Snapshot, Standing, Transitions, Trend, TrendConfig, TrendPoint, series,
};

use crate::cli::{ByArg, EveryArg, InputArgs, TransitionsArgs, TrendArgs};
use crate::commands::{Scoring, ingest_config, owned, parse_options, scoring, usage};
use crate::load::{FileError, OrderFile, library_message, load_orders};
use crate::output::{Rows, report_skipped};

/// Loads the orders up to `to` and reports the skipped rows.
fn load(input: &InputArgs, scoring: &Scoring, to: chrono::NaiveDate) -> Result<OrderFile> {
    let config = ingest_config(input, to).id_order(scoring.id_order);
    let file = load_orders(&input.input, &config, parse_options(input), |b| b)?;
    report_skipped(
        &file.path,
        &file.loaded,
        file.log.skipped(),
        input.skipped.as_ref(),
    )?;
    Ok(file)
}

/// A library error, naming the file (and the line, when it names an order).
fn failed(file: &OrderFile) -> impl Fn(rfmkit::Error) -> anyhow::Error + '_ {
    move |e| FileError(library_message(&file.path, &file.loaded.lines, &e)).into()
}

fn money(m: Money, scale: u32) -> String {
    m.display_decimal(scale).to_string()
}

fn ratio(r: Option<f64>) -> String {
    r.map_or_else(String::new, |r| r.to_string())
}

pub fn transitions(args: &TransitionsArgs) -> Result<()> {
    if args.from > args.to {
        return Err(usage(format!(
            "--from {} is after --to {}; the earlier date comes first",
            args.from, args.to
        )));
    }
    let scale = args.input.scale;
    let scoring = scoring(&args.model)?;
    let file = load(&args.input, &scoring, args.to)?;
    let fail = failed(&file);
    let moves = match &scoring.frozen {
        Some(model) => {
            let at = |log: &rfmkit::ingest::OrderLog| -> rfmkit::Result<Snapshot> {
                Snapshot::take(model, &scoring.table, &Summaries::from_log(log)?)
            };
            let before = at(&file.log.until(args.from).map_err(&fail)?).map_err(&fail)?;
            let after = at(&file.log).map_err(&fail)?;
            Transitions::between(&before, &after).map_err(&fail)?
        }
        None => {
            let mode = if args.refit {
                ModelMode::Refit
            } else {
                ModelMode::Frozen
            };
            Transitions::from_log(&file.log, args.from, &scoring.config, &scoring.table, mode)
                .map_err(&fail)?
        }
    };
    let side = |m: Option<Money>| m.map_or_else(String::new, |m| money(m, scale));
    let matrix: Vec<Vec<String>> = moves
        .matrix()
        .iter()
        .map(|cell| {
            vec![
                cell.from
                    .as_ref()
                    .map_or_else(String::new, ToString::to_string),
                cell.to
                    .as_ref()
                    .map_or_else(String::new, ToString::to_string),
                cell.customers.to_string(),
                side(cell.from.as_ref().map(|_| cell.revenue_from)),
                side(cell.to.as_ref().map(|_| cell.revenue_to)),
            ]
        })
        .collect();
    if let Some(path) = &args.changes {
        let standing = |s: &Option<Standing>| -> [String; 5] {
            match s {
                None => Default::default(),
                Some(s) => [
                    s.segment.to_string(),
                    s.score.r.to_string(),
                    s.score.f.to_string(),
                    s.score.m.to_string(),
                    money(s.monetary, scale),
                ],
            }
        };
        let rows: Vec<Vec<String>> = moves
            .changes()
            .iter()
            .map(|c| {
                let [fs, fr, ff, fm, fmon] = standing(&c.before);
                let [ts, tr, tf, tm, tmon] = standing(&c.after);
                vec![
                    c.customer.to_string(),
                    fs,
                    fr,
                    ff,
                    fm,
                    ts,
                    tr,
                    tf,
                    tm,
                    fmon,
                    tmon,
                ]
            })
            .collect();
        Rows {
            header: owned(&[
                "customer_id",
                "from_segment",
                "from_r",
                "from_f",
                "from_m",
                "to_segment",
                "to_r",
                "to_f",
                "to_m",
                "monetary_from",
                "monetary_to",
            ]),
            rows,
            numeric: vec!["from_r", "from_f", "from_m", "to_r", "to_f", "to_m"],
        }
        .write(args.format, Some(path))?;
    }
    Rows {
        header: owned(&[
            "from_segment",
            "to_segment",
            "customers",
            "revenue_from",
            "revenue_to",
        ]),
        rows: matrix,
        numeric: vec!["customers"],
    }
    .write(args.format, args.output.as_deref())?;
    Ok(())
}

const TREND_HEADER: [&str; 12] = [
    "customers",
    "returns_only_customers",
    "orders",
    "net_revenue",
    "average_order_value",
    "repeat_rate",
    "f2_eligible",
    "f2_rate",
    "churn_active",
    "churn_rate",
    "ltv",
    "margin_ltv",
];

fn kpi_cells(k: &Kpis, scale: u32) -> Vec<String> {
    let opt = |m: Option<Money>| m.map_or_else(String::new, |m| money(m, scale));
    vec![
        k.customers.to_string(),
        k.returns_only_customers.to_string(),
        k.orders.to_string(),
        money(k.net_revenue, scale),
        opt(k.average_order_value),
        ratio(k.repeat_rate),
        k.f2.eligible.to_string(),
        ratio(k.f2.rate),
        k.churn.active.to_string(),
        ratio(k.churn.rate),
        opt(k.ltv),
        opt(k.margin_ltv),
    ]
}

fn mix_cells(p: &TrendPoint, scale: u32) -> Vec<String> {
    let mut cells = Vec::with_capacity(2 * p.mix.len());
    cells.extend(p.mix.iter().map(|s| s.customers.to_string()));
    cells.extend(p.mix.iter().map(|s| money(s.monetary, scale)));
    cells
}

pub fn trend(args: &TrendArgs) -> Result<()> {
    let every = match args.every {
        EveryArg::Day => Every::Day,
        EveryArg::Week => Every::Week,
        EveryArg::Month => Every::Month,
    };
    let dates = series(args.from, args.to, every)
        .map_err(|e| usage(format!("--from {} --to {}: {e}", args.from, args.to)))?;
    let kpi = args
        .kpi
        .builder()
        .build()
        .map_err(|e| usage(e.to_string()))?;
    let scale = args.input.scale;
    let scoring = scoring(&args.model)?;
    let file = load(&args.input, &scoring, args.to)?;
    let fail = failed(&file);
    let builder = TrendConfig::builder().kpi(kpi);
    let builder = match (&scoring.frozen, args.refit) {
        (Some(model), _) => builder.frozen(model.clone(), scoring.table.clone()),
        (None, true) => builder.refit(scoring.config.clone(), scoring.table.clone()),
        (None, false) => {
            // The model fitted at the first date scores every date.
            let first = file.log.until(args.from).map_err(&fail)?;
            let summaries = Summaries::from_log(&first).map_err(&fail)?;
            let model = rfmkit::rfm::RfmModel::fit(&scoring.config, &summaries);
            builder.frozen(model, scoring.table.clone())
        }
    };
    let config = builder.build().map_err(|e| usage(e.to_string()))?;
    let groups: Vec<(Option<String>, Trend)> = match args.by {
        None => vec![(
            None,
            Trend::from_log(&file.log, &dates, &config).map_err(&fail)?,
        )],
        Some(ByArg::Channel) => Trend::by_channel(&file.log, &dates, &config)
            .map_err(&fail)?
            .iter()
            .map(|g| {
                (
                    Some(g.key.as_ref().map_or_else(String::new, ToString::to_string)),
                    g.value.clone(),
                )
            })
            .collect(),
        Some(ByArg::Store) => Trend::by_store(&file.log, &dates, &config)
            .map_err(&fail)?
            .iter()
            .map(|g| {
                (
                    Some(g.key.as_ref().map_or_else(String::new, ToString::to_string)),
                    g.value.clone(),
                )
            })
            .collect(),
    };
    let mut header = vec!["as_of".to_owned()];
    if let Some(by) = args.by {
        header.push(match by {
            ByArg::Channel => "channel".to_owned(),
            ByArg::Store => "store".to_owned(),
        });
    }
    header.extend(owned(&TREND_HEADER));
    let segments: Vec<String> = scoring.table.segments().map(ToString::to_string).collect();
    header.extend(segments.iter().map(|s| format!("segment:{s}")));
    header.extend(segments.iter().map(|s| format!("monetary:{s}")));
    let mut rows = Vec::new();
    // One row per date, groups together within a date.
    for (j, &date) in dates.iter().enumerate() {
        for (key, trend) in &groups {
            let Some(point) = trend.points().get(j) else {
                continue;
            };
            let mut row = vec![date.to_string()];
            if let Some(key) = key {
                row.push(key.clone());
            }
            row.extend(kpi_cells(&point.kpis, scale));
            row.extend(mix_cells(point, scale));
            rows.push(row);
        }
    }
    let numeric: Vec<&'static str> = vec![
        "customers",
        "returns_only_customers",
        "orders",
        "repeat_rate",
        "f2_eligible",
        "f2_rate",
        "churn_active",
        "churn_rate",
    ];
    Rows {
        header,
        rows,
        numeric,
    }
    .write(args.format, args.output.as_deref())?;
    Ok(())
}
