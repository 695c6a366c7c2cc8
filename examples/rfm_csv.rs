//! RFM-scores and segments the customers of an order CSV.
//!
//! ```text
//! cargo run --release --example rfm_csv -- --input ORDERS.csv --as-of YYYY-MM-DD \
//!     [--bins N] [--method quantile|rank] [--frequency orders|days] \
//!     [--segments standard|compact] [--scale 2] [--lenient] [--output OUT.csv] \
//!     [--audience QUERY] [--explain CUSTOMER_ID]
//! ```
//!
//! The whole pipeline on a file: orders → per-customer summaries as of
//! `--as-of` → an [`RfmModel`] fitted on those summaries → R, F, M scores →
//! a segment from a preset [`SegmentTable`].
//!
//! # Input
//!
//! A CSV with a header row. Required columns `customer_id`, `order_date`
//! (`YYYY-MM-DD`) and `amount` (a decimal such as `29.33`, negative for a
//! refund); optional `order_id`, `status` (`completed`, `returned`,
//! `cancelled`), `channel`, `store` and `cost`. Columns may come in any
//! order and extra columns are ignored. Without a `status` column a negative
//! amount is a return and any other a completed order; without `order_id`
//! an order is named after its line (`<line 7>`, a form real ids may not take). The full format is in
//! `examples/common/mod.rs`.
//!
//! ```text
//! order_id,customer_id,order_date,amount,status,channel
//! A-1,C01,2025-03-02,120.00,completed,web
//! A-2,C04,2025-11-20,-50.00,returned,app
//! ```
//!
//! # Output
//!
//! One CSV row per scored customer, in customer-id order, to `--output` or
//! else to stdout:
//!
//! | column | meaning |
//! |---|---|
//! | `customer_id` | the customer |
//! | `recency_days` | as-of date minus the last completed order's date, in days |
//! | `frequency` | completed orders (`--frequency orders`) or distinct purchase days (`days`) |
//! | `monetary` | revenue net of returns, with `--scale` decimals like the input |
//! | `r`, `f`, `m` | the scores, 1 (worst) to `--bins` (best) |
//! | `segment` | the segment name from the `--segments` table |
//!
//! The model's cuts and the per-segment report go to stdout when the CSV
//! goes to a file, and to stderr when the CSV goes to stdout, so that stdout
//! stays a clean CSV either way. Customers with only returns cannot be
//! scored; they are listed on stderr.
//!
//! # Errors
//!
//! Every error names the file and, when it comes from one row, its line:
//!
//! ```text
//! error: orders.csv line 7: order_date "2025-13-01" is not a date (YYYY-MM-DD)
//! error: orders.csv: missing column "amount" (header: customer_id,order_date)
//! error: orders.csv line 9 (order A-7): order #7 (id A-7): dated 2026-01-05, after the as-of date 2025-12-31; ...
//! ```
//!
//! The exit code is 1 for bad input (a bad `--audience` query included) and 2
//! for a bad command line. With
//! `--lenient`, malformed rows and invalid orders (duplicate ids, wrong
//! sign for the status, dated after the as-of date) are skipped instead,
//! each listed on stderr with its line, and the run succeeds.
//!
//! # Audiences
//!
//! `--audience QUERY` writes only the customers an audience query selects
//! (same columns), and reports how many it selected; the query language is
//! documented in `rfmkit::audience`. The CSV has no customer records, so
//! record fields (`email_opt_in`, `tags`, `attr.*`, ...) are missing and a
//! test on them is unknown: it selects nobody. `--explain CUSTOMER_ID`
//! prints, with the report, why that customer is or is not selected, clause
//! by clause. A query that does not parse fails before the file is read,
//! naming the column:
//!
//! ```text
//! $ rfm_csv --input orders.csv --as-of 2025-12-31 --audience "monetary >= abc"
//! error: --audience: column 13: expected a number after '>=', found 'abc'
//!   monetary >= abc
//!               ^
//! ```
//!
//! # Example
//!
//! ```text
//! $ cargo run --release --example rfm_csv -- --input tests/data/orders_small.csv \
//!       --as-of 2025-12-31 --method rank
//! customer_id,recency_days,frequency,monetary,r,f,m,segment
//! C01,11,4,405.00,4,5,5,champions
//! C02,11,1,45.00,5,1,2,new
//! ...
//! ```

#[path = "common/mod.rs"]
mod common;

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use rfmkit::audience::{Explanation, Profiles, Rule, Schema};
use rfmkit::campaign::Audience;
use rfmkit::rfm::{FrequencyBasis, Method, RfmModel, ScoringConfig};
use rfmkit::segment::{SegmentTable, Segmentation};
use rfmkit::summary::{Summaries, SummaryConfig, Validation};

use common::{Failure, LoadedOrders, locate_error, report_skipped, write_stderr};
use rfmkit::error::Location;

const USAGE: &str = "\
usage: rfm_csv --input ORDERS.csv --as-of YYYY-MM-DD [options]

RFM-scores and segments the customers of an order CSV (columns customer_id,
order_date, amount; optional order_id, status, channel, store, cost).

options:
  --input PATH          the order CSV (required)
  --as-of YYYY-MM-DD    the date to score as of; later orders are errors (required)
  --bins N              number of score bins, 2..=100 (default 5; the segment
                        tables are for 5 bins)
  --method M            quantile (equal values, equal scores; default) or rank
                        (equal-count bins, ties broken by customer id)
  --frequency F         orders (completed orders; default) or days (distinct
                        purchase days)
  --segments S          standard (11 segments; default) or compact (5)
  --scale N             decimals of the currency, 0..=18 (default 2; 0 for yen)
  --lenient             skip malformed rows and invalid orders, listing them on
                        stderr, instead of failing
  --output PATH         write the CSV there instead of stdout (the model and
                        segment report then go to stdout)
  --audience QUERY      write only the customers the audience query selects,
                        e.g. \"segment in (at_risk, cant_lose_them) and
                        last_order < -90d\" (see rfmkit::audience)
  --explain ID          with --audience: explain, clause by clause, why the
                        customer ID is or is not selected (printed with the
                        report)
  -h, --help            print this help";

/// The command line, parsed and validated.
#[derive(Debug)]
struct Options {
    input: PathBuf,
    as_of: NaiveDate,
    scoring: ScoringConfig,
    segments: SegmentTable,
    segments_name: String,
    scale: u32,
    lenient: bool,
    output: Option<PathBuf>,
    /// The `--audience` query, parsed.
    audience: Option<Rule>,
    explain: Option<String>,
}

fn parse_options() -> Result<Options, Failure> {
    let flags = common::parse_flags(
        std::env::args_os().skip(1),
        &[
            "input",
            "as-of",
            "bins",
            "method",
            "frequency",
            "segments",
            "scale",
            "output",
            "audience",
            "explain",
        ],
        &["lenient"],
    )?;
    let input = PathBuf::from(flags.required("input")?);
    let as_of_text = flags.required("as-of")?;
    let as_of = common::parse_date(as_of_text).ok_or_else(|| {
        Failure::Usage(format!("--as-of {as_of_text:?} is not a date (YYYY-MM-DD)"))
    })?;
    let bins = match flags.value("bins") {
        None => 5,
        Some(text) => text.parse::<u8>().map_err(|_| {
            Failure::Usage(format!("--bins {text:?} is not a number of bins (2..=100)"))
        })?,
    };
    let method = match flags.value("method").unwrap_or("quantile") {
        "quantile" => Method::Quantile,
        "rank" => Method::Rank,
        other => {
            return Err(Failure::Usage(format!(
                "--method {other:?}: use quantile or rank"
            )));
        }
    };
    let frequency = match flags.value("frequency").unwrap_or("orders") {
        "orders" => FrequencyBasis::Orders,
        "days" => FrequencyBasis::PurchaseDays,
        other => {
            return Err(Failure::Usage(format!(
                "--frequency {other:?}: use orders or days"
            )));
        }
    };
    let segments_name = flags.value("segments").unwrap_or("standard").to_owned();
    let segments = match segments_name.as_str() {
        "standard" => SegmentTable::standard(),
        "compact" => SegmentTable::compact(),
        other => {
            return Err(Failure::Usage(format!(
                "--segments {other:?}: use standard or compact"
            )));
        }
    };
    let scale = flags.scale()?;
    let scoring = ScoringConfig::builder()
        .bins(bins)
        .method(method)
        .frequency(frequency)
        .build()
        .map_err(|err| Failure::Usage(format!("--bins {bins}: {err}")))?;
    if segments.bins() != scoring.bins() {
        return Err(Failure::Usage(format!(
            "--bins {bins}: the {segments_name} segment table is for {} bins; use --bins {}",
            segments.bins(),
            segments.bins()
        )));
    }
    let explain = flags.value("explain").map(str::to_owned);
    let audience = match flags.value("audience") {
        Some(query) => Some(parse_query(query, &segments, scale)?),
        None if explain.is_some() => {
            return Err(Failure::Usage(
                "--explain needs --audience (the rule to explain)".into(),
            ));
        }
        None => None,
    };
    Ok(Options {
        input,
        as_of,
        scoring,
        segments,
        segments_name,
        scale,
        lenient: flags.switch("lenient"),
        output: flags.value("output").map(PathBuf::from),
        audience,
        explain,
    })
}

/// Parses the `--audience` query against the segment table and scale. The
/// CSV has no customer records, hence no custom attributes. A bad query is
/// a failed run (exit 1) whose message shows the column with a caret.
fn parse_query(query: &str, segments: &SegmentTable, scale: u32) -> Result<Rule, Failure> {
    let schema = Schema::builder()
        .scale(scale)
        .segments(segments)
        .no_attributes()
        .build()
        .map_err(|err| Failure::Usage(format!("--scale {scale}: {err}")))?;
    Rule::parse(query, &schema).map_err(|err| {
        let mut message = format!("--audience: {err}");
        if let Some(Location::Query(position)) = err.location() {
            // Control characters would garble the caret line.
            let shown: String = query
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let pad = " ".repeat(position.column.saturating_sub(1));
            message.push_str(&format!("\n  {shown}\n  {pad}^"));
        }
        Failure::Run(message)
    })
}

fn run(options: &Options) -> Result<(), Failure> {
    let path = options.input.as_path();
    let loaded = common::read_orders(path, options.scale, options.lenient)?;
    let (model, segmentation, summaries) = score(options, &loaded)?;
    let selection = select(options, &segmentation, &summaries)?;

    let header = [
        "customer_id",
        "recency_days",
        "frequency",
        "monetary",
        "r",
        "f",
        "m",
        "segment",
    ];
    let output_error = |err: &dyn std::fmt::Display| {
        let target = options
            .output
            .as_deref()
            .map_or_else(|| "stdout".to_owned(), |p| p.display().to_string());
        Failure::Run(format!("cannot write {target}: {err}"))
    };
    // The report (whose totals are checked) is made first and the output
    // file is created only once the pipeline has succeeded, so a failed run
    // leaves no truncated file behind.
    let mut report = report(options, &model, &segmentation)
        .map_err(|err| Failure::Run(format!("{}: {err}", options.input.display())))?;
    let sink: Box<dyn Write> = match &options.output {
        Some(out) => Box::new(File::create(out).map_err(|e| output_error(&e))?),
        None => Box::new(io::stdout().lock()),
    };
    let mut writer = csv::Writer::from_writer(io::BufWriter::new(sink));
    writer.write_record(header).map_err(|e| output_error(&e))?;
    let selected = |id: &str| selection.as_ref().is_none_or(|s| s.audience.contains(id));
    for customer in segmentation
        .iter()
        .filter(|c| selected(c.scored.customer.as_str()))
    {
        let scored = &customer.scored;
        writer
            .write_record([
                scored.customer.to_string(),
                scored.recency_days.to_string(),
                scored.frequency.to_string(),
                scored.monetary.display_decimal(options.scale).to_string(),
                scored.score.r.to_string(),
                scored.score.f.to_string(),
                scored.score.m.to_string(),
                customer.segment.to_string(),
            ])
            .map_err(|e| output_error(&e))?;
    }
    writer.flush().map_err(|e| output_error(&e))?;
    drop(writer);

    let written = selection
        .as_ref()
        .map_or(segmentation.len(), |s| s.audience.len());
    if let Some(selection) = &selection {
        report.push_str(&selection.summary(segmentation.len()));
    }
    if let Some(out) = &options.output {
        let text = format!("wrote {written} customers to {}\n\n{report}", out.display(),);
        // The CSV is written; a closed stdout only loses the report.
        let _ = writeln!(io::stdout().lock(), "{text}");
    } else {
        write_stderr(&report);
    }
    Ok(())
}

/// The `--audience` selection and the `--explain` explanation.
struct Selection {
    query: String,
    audience: Audience,
    explanation: Option<Explanation>,
}

impl Selection {
    /// The lines added to the report.
    fn summary(&self, scored: usize) -> String {
        let mut text = format!(
            "\n\naudience: {} of {scored} customers selected by {}",
            self.audience.len(),
            self.query
        );
        if let Some(explanation) = &self.explanation {
            text.push_str(&format!("\n\n{explanation}"));
        }
        text
    }
}

/// Runs the `--audience` query over the segmented customers and looks up
/// the `--explain` customer, before any output is written.
fn select(
    options: &Options,
    segmentation: &Segmentation,
    summaries: &Summaries,
) -> Result<Option<Selection>, Failure> {
    let Some(rule) = &options.audience else {
        return Ok(None);
    };
    let path = options.input.as_path();
    let failed = |err: rfmkit::Error| Failure::Run(format!("{}: {err}", path.display()));
    let profiles = Profiles::builder(segmentation, summaries)
        .scale(options.scale)
        .build()
        .map_err(failed)?;
    let compiled = profiles.compile(rule).map_err(failed)?;
    let explanation = match &options.explain {
        None => None,
        Some(id) => Some(compiled.explain(id).ok_or_else(|| {
            Failure::Run(format!(
                "--explain {id}: no scored customer has this id in {}",
                path.display()
            ))
        })?),
    };
    Ok(Some(Selection {
        query: rule.display_query(options.scale).to_string(),
        audience: Audience::from(&compiled),
        explanation,
    }))
}

/// Orders → summaries → model → scores → segments, with every library error
/// and every skipped order mapped back to its CSV line.
fn score(
    options: &Options,
    loaded: &LoadedOrders,
) -> Result<(RfmModel, Segmentation, Summaries), Failure> {
    let path = options.input.as_path();
    let validation = if options.lenient {
        Validation::Lenient
    } else {
        Validation::Strict
    };
    let summarized = SummaryConfig::new(options.as_of)
        .validation(validation)
        .summarize(&loaded.orders)
        .map_err(|err| Failure::Run(locate_error(path, &loaded.lines, &err)))?;

    report_skipped(path, loaded, &summarized.skipped);

    let summaries = summarized.summaries;
    let model = RfmModel::fit(&options.scoring, &summaries);
    let scores = model.score_all(&summaries);
    if !scores.unscored().is_empty() {
        let count = scores.unscored().len();
        write_stderr(&format!(
            "{count} customer{} not scored (only returns, no completed order):",
            if count == 1 { "" } else { "s" }
        ));
        for customer in scores.unscored() {
            write_stderr(&format!("  {customer}"));
        }
    }
    let segmentation = options
        .segments
        .segment_all(&scores)
        .map_err(|err| Failure::Run(format!("{}: {err}", path.display())))?;
    Ok((model, segmentation, summaries))
}

/// The model's cuts and the per-segment report, for humans.
fn report(
    options: &Options,
    model: &RfmModel,
    segmentation: &Segmentation,
) -> Result<String, rfmkit::Error> {
    Ok(format!(
        "{}\n\nsegments ({} table):\n{}",
        model.display_table(options.scale),
        options.segments_name,
        segmentation.report()?.display_table(options.scale)
    ))
}

fn main() -> ExitCode {
    let result = parse_options().and_then(|options| run(&options));
    common::exit(result, USAGE)
}
