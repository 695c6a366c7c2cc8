//! The subcommands: each reads its input through [`crate::load`], runs the
//! library's pipeline and writes its output.

use std::fs::File;
use std::io::{self, BufReader, Write as _};
use std::path::Path;

use anyhow::{Context as _, Result, anyhow};
use rfmkit::Money;
use rfmkit::audience::{Explanation, Profiles, Rule, Schema, ValueType};
use rfmkit::campaign::{Audience, Campaign, Suppression};
use rfmkit::clv::{
    BootstrapConfig, BtydConfig, BtydData, GammaGamma, ModelKind, ParameterUncertainty,
    PredictConfig, SpendFit, TransactionFit,
};
use rfmkit::customer::{AttributeValue, Customers};
use rfmkit::error::Location;
use rfmkit::ingest::{FutureOrders, IdOrder, IngestConfig, Validation};
use rfmkit::ltv::{
    AcquisitionCosts, Cac, LtvBasis, LtvCacTable, LtvReport, PartialMonths, TimeUnit,
};
use rfmkit::rfm::{FrequencyBasis, Method, RfmModel, ScoringConfig, Thresholds};
use rfmkit::segment::{SegmentTable, Segmentation};
use rfmkit::summary::Summaries;
use serde::Serialize;
use serde_json::{Value, json};

use crate::UsageError;
use crate::cli::{
    AudienceArgs, CacBasisArg, ClvArgs, Command, Format, FrequencyArg, IdOrderArg, InputArgs,
    LtvArgs, MethodArg, ModelArg, ModelArgs, PartialArg, ScoreArgs, UnitArg,
};
use crate::load::{FileError, OrderFile, ParseOptions, library_message, load_orders};
use crate::output::{Rows, report_skipped};
use crate::write_stderr;

/// Runs a parsed command line.
pub fn run(cli: crate::cli::Cli) -> Result<()> {
    match cli.command {
        Command::Score(args) => score(&args),
        Command::Audience(args) => audience(&args),
        Command::Ltv(args) => ltv(&args),
        Command::Clv(args) => clv(&args),
        Command::Bench(args) => crate::bench::run(&args),
        Command::Transitions(args) => crate::timeline::transitions(&args),
        Command::Trend(args) => crate::timeline::trend(&args),
        Command::Plan(args) => crate::program::plan(&args),
        Command::Lift(args) => crate::program::lift(&args),
        Command::Report(args) => crate::report::report(&args),
    }
}

/// Column names as owned strings.
pub(crate) fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|&n| n.to_owned()).collect()
}

pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

pub(crate) fn parse_options(input: &InputArgs) -> ParseOptions {
    ParseOptions {
        scale: input.scale,
        zone: input.timezone,
        lenient: input.lenient,
    }
}

/// The ingest config of `--input`'s options as of `as_of`: validation and
/// the future-order policy.
pub(crate) fn ingest_config(input: &InputArgs, as_of: chrono::NaiveDate) -> IngestConfig {
    let future = if input.ignore_future_orders {
        rfmkit::ingest::FutureOrders::Ignore
    } else {
        rfmkit::ingest::FutureOrders::Reject
    };
    IngestConfig::new(as_of)
        .validation(validation(input))
        .future_orders(future)
}

pub(crate) fn validation(input: &InputArgs) -> Validation {
    if input.lenient {
        Validation::Lenient
    } else {
        Validation::Strict
    }
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let file = File::open(path).with_context(|| format!("{}: cannot read", path.display()))?;
    serde_json::from_reader(BufReader::new(file))
        .map_err(|e| anyhow!("{}: not a valid {what}: {e}", path.display()))
}

/// The scoring model source, the segment table and its name.
pub(crate) struct Scoring {
    pub(crate) config: ScoringConfig,
    pub(crate) frozen: Option<RfmModel>,
    pub(crate) table: SegmentTable,
    table_name: String,
    pub(crate) id_order: IdOrder,
}

pub(crate) fn scoring(args: &ModelArgs) -> Result<Scoring> {
    let frozen = args
        .model
        .as_deref()
        .map(|path| read_json::<RfmModel>(path, "rfmkit RFM model (from --model-out)"))
        .transpose()?;
    let config = match &frozen {
        Some(model) => model.config().clone(),
        None => {
            let method = match args.method {
                MethodArg::Quantile => Method::Quantile,
                MethodArg::Rank => Method::Rank,
                MethodArg::Thresholds => {
                    let path = args.thresholds.as_deref().ok_or_else(|| {
                        usage("--method thresholds needs --thresholds FILE.json (the cuts)")
                    })?;
                    Method::Thresholds(read_json::<Thresholds>(path, "thresholds file")?)
                }
            };
            if args.thresholds.is_some() && args.method != MethodArg::Thresholds {
                return Err(usage("--thresholds needs --method thresholds"));
            }
            let frequency = match args.frequency {
                FrequencyArg::Orders => FrequencyBasis::Orders,
                FrequencyArg::Days => FrequencyBasis::PurchaseDays,
            };
            ScoringConfig::builder()
                .bins(args.bins)
                .method(method)
                .frequency(frequency)
                .build()
                .map_err(|err| usage(format!("--bins {}: {err}", args.bins)))?
        }
    };
    let table = match args.segments.as_str() {
        "standard" => SegmentTable::standard(),
        "compact" => SegmentTable::compact(),
        file => read_json::<SegmentTable>(Path::new(file), "rfmkit segment table")?,
    };
    if table.bins() != config.bins() {
        let source = if frozen.is_some() {
            "the --model is".to_owned()
        } else {
            format!("--bins {} is", config.bins())
        };
        return Err(usage(format!(
            "{source} for {} bins but the {} segment table is for {}; use --bins {}",
            config.bins(),
            args.segments,
            table.bins(),
            table.bins()
        )));
    }
    let id_order = match args.id_order {
        IdOrderArg::Text => IdOrder::Text,
        IdOrderArg::Numeric => IdOrder::Numeric,
    };
    Ok(Scoring {
        config,
        frozen,
        table,
        table_name: args.segments.clone(),
        id_order,
    })
}

/// Parses an audience query; a bad one is a failed run (exit 1) whose
/// message shows the query with a caret under the column the library names.
fn parse_query(flag: &str, query: &str, schema: &Schema) -> Result<Rule> {
    Rule::parse(query, schema).map_err(|err| {
        let mut message = format!("{flag}: {err}");
        if let Some(Location::Query(position)) = err.location() {
            // Control characters would garble the caret line.
            let shown: String = query
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let pad = " ".repeat(position.column.saturating_sub(1));
            message.push_str(&format!("\n  {shown}\n  {pad}^"));
        }
        anyhow!(message)
    })
}

/// The schema a query is parsed with: the scale, the segment names, and the
/// attributes of the customer records (none without a customers file).
fn schema(scale: u32, table: &SegmentTable, customers: Option<&Customers>) -> Result<Schema> {
    let mut builder = Schema::builder().scale(scale).segments(table);
    match customers {
        None => builder = builder.no_attributes(),
        Some(customers) => {
            let mut any = false;
            for customer in customers.iter() {
                for (name, value) in customer.attributes() {
                    let ty = match value {
                        AttributeValue::Number(_) => ValueType::Number,
                        AttributeValue::Bool(_) => ValueType::Bool,
                        AttributeValue::Date(_) => ValueType::Date,
                        _ => ValueType::Text,
                    };
                    builder = builder.attribute(name, ty);
                    any = true;
                }
            }
            if !any {
                builder = builder.no_attributes();
            }
        }
    }
    builder
        .build()
        .map_err(|err| usage(format!("--scale {scale}: {err}")))
}

/// Loads the orders and runs summaries → scores → segments.
pub(crate) fn segment(
    input: &InputArgs,
    scoring: &Scoring,
    as_of: chrono::NaiveDate,
) -> Result<(OrderFile, Summaries, RfmModel, Segmentation)> {
    let config = ingest_config(input, as_of).id_order(scoring.id_order);
    let file = load_orders(&input.input, &config, parse_options(input), |b| b)?;
    let path = file.path.as_path();
    let summaries = Summaries::from_log(&file.log)
        .map_err(|e| FileError(library_message(path, &file.loaded.lines, &e)))?;
    report_skipped(
        path,
        &file.loaded,
        file.log.skipped(),
        input.skipped.as_ref(),
    )?;
    let model = match &scoring.frozen {
        Some(model) => model.clone(),
        None => RfmModel::fit(&scoring.config, &summaries),
    };
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
    let segmentation = scoring
        .table
        .segment_all(&scores)
        .map_err(|err| anyhow!("{}: {err}", path.display()))?;
    Ok((file, summaries, model, segmentation))
}

const SCORE_HEADER: [&str; 8] = [
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "r",
    "f",
    "m",
    "segment",
];
/// Written as JSON numbers; `monetary` stays a decimal string (exact, in
/// currency units with `--scale` decimals, as in the CSV).
const SCORE_NUMERIC: [&str; 5] = ["recency_days", "frequency", "r", "f", "m"];

/// The score rows of the customers `keep` selects, plus a column per
/// `extra` value, made as they are written.
fn score_rows<'s>(
    segmentation: &'s Segmentation,
    scale: u32,
    mut keep: impl FnMut(&str) -> Option<Option<&'static str>> + 's,
) -> impl Iterator<Item = Vec<String>> + 's {
    segmentation.iter().filter_map(move |customer| {
        let scored = &customer.scored;
        let extra = keep(scored.customer.as_str())?;
        let mut row = vec![
            scored.customer.to_string(),
            scored.recency_days.to_string(),
            scored.frequency.to_string(),
            scored.monetary.display_decimal(scale).to_string(),
            scored.score.r.to_string(),
            scored.score.f.to_string(),
            scored.score.m.to_string(),
            customer.segment.to_string(),
        ];
        if let Some(extra) = extra {
            row.push(extra.to_owned());
        }
        Some(row)
    })
}

/// The model's cuts and the per-segment report, for humans.
/// Fails (naming the segment) if a segment's revenue overflows.
pub(crate) fn model_report(
    scale: u32,
    table_name: &str,
    model: &RfmModel,
    seg: &Segmentation,
) -> Result<String> {
    Ok(format!(
        "{}\n\nsegments ({table_name} table):\n{}",
        model.display_table(scale),
        seg.report()?.display_table(scale)
    ))
}

/// Prints a report: to stdout when the data went to a file, else to stderr
/// (stdout stays clean data).
fn print_report(text: &str, data_to_file: bool) {
    if data_to_file {
        // The data is written; a closed stdout only loses the report.
        let _ = writeln!(io::stdout().lock(), "{text}");
    } else {
        write_stderr(text);
    }
}

fn score(args: &ScoreArgs) -> Result<()> {
    let scale = args.input.scale;
    let scoring = scoring(&args.scoring.model)?;
    let rule = args
        .audience
        .as_deref()
        .map(|q| parse_query("--audience", q, &schema(scale, &scoring.table, None)?))
        .transpose()?;
    let (file, summaries, model, segmentation) =
        segment(&args.input, &scoring, args.scoring.as_of)?;
    let path = file.path.as_path();

    let mut summary = String::new();
    let selection = match &rule {
        None => None,
        Some(rule) => {
            let profiles = Profiles::builder(&segmentation, &summaries)
                .scale(scale)
                .build()
                .map_err(|e| anyhow!("{}: {e}", path.display()))?;
            let compiled = profiles
                .compile(rule)
                .map_err(|e| anyhow!("{}: {e}", path.display()))?;
            let audience = Audience::from(&compiled);
            summary = format!(
                "audience: {} of {} customers selected by {}",
                audience.len(),
                segmentation.len(),
                rule.display_query(scale)
            );
            if let Some(id) = &args.explain {
                summary.push_str(&format!("\n\n{}", explain(&compiled, id, path)?));
            }
            Some(audience)
        }
    };
    if let Some(out) = &args.model_out {
        let text = serde_json::to_string_pretty(&model)?;
        std::fs::write(out, text + "\n")
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    let keep = |id: &str| selection.as_ref().is_none_or(|a| a.contains(id));
    let written = segmentation
        .iter()
        .filter(|c| keep(c.scored.customer.as_str()))
        .count();
    let rows = score_rows(&segmentation, scale, |id| keep(id).then_some(None));
    // Before any output, so that a report that cannot be built (a total
    // that overflows) writes nothing.
    let report = args
        .report
        .then(|| model_report(scale, &scoring.table_name, &model, &segmentation))
        .transpose()?;
    Rows {
        header: owned(&SCORE_HEADER),
        rows,
        numeric: SCORE_NUMERIC.to_vec(),
    }
    .write(args.format, args.output.as_deref())?;

    let mut text = String::new();
    if let Some(out) = &args.output {
        text = format!("wrote {written} customers to {}", out.display());
    }
    if let Some(report) = report {
        push_paragraph(&mut text, &report);
    }
    push_paragraph(&mut text, &summary);
    if !text.is_empty() {
        print_report(&text, args.output.is_some());
    }
    Ok(())
}

fn push_paragraph(text: &mut String, paragraph: &str) {
    if paragraph.is_empty() {
        return;
    }
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(paragraph);
}

fn explain(
    compiled: &rfmkit::audience::CompiledRule<'_>,
    id: &str,
    path: &Path,
) -> Result<Explanation> {
    compiled.explain(id).ok_or_else(|| {
        anyhow!(
            "--explain {id}: no scored customer has this id in {}",
            path.display()
        )
    })
}

fn audience(args: &AudienceArgs) -> Result<()> {
    let scale = args.input.scale;
    let scoring = scoring(&args.scoring.model)?;
    if args.campaign.is_some() && args.control.is_none() {
        return Err(usage(
            "--campaign needs --control F (the fraction held out)",
        ));
    }
    let customers = args
        .customers
        .as_deref()
        .map(crate::customers::load_customers)
        .transpose()?;
    let rule = parse_query(
        "--query",
        &args.query,
        &schema(scale, &scoring.table, customers.as_ref())?,
    )?;
    let campaign = match (&args.campaign, args.control) {
        (Some(key), Some(control)) => Some(
            Campaign::builder(key.as_str(), rule.clone())
                .control(control)
                .build()
                .map_err(|e| usage(format!("--control {control}: {e}")))?,
        ),
        _ => None,
    };
    let (file, summaries, _, segmentation) = segment(&args.input, &scoring, args.scoring.as_of)?;
    let path = file.path.as_path();
    let failed = |e: rfmkit::Error| anyhow!("{}: {e}", path.display());
    let mut builder = Profiles::builder(&segmentation, &summaries).scale(scale);
    if let Some(customers) = &customers {
        builder = builder.customers(customers);
    }
    let profiles = builder.build().map_err(failed)?;
    let compiled = profiles.compile(&rule).map_err(failed)?;
    let explanation = args
        .explain
        .as_deref()
        .map(|id| explain(&compiled, id, path))
        .transpose()?;
    let selected = Audience::from(&compiled);
    let query = rule.display_query(scale).to_string();
    let mut summary = format!(
        "audience: {} of {} customers selected by {query}",
        selected.len(),
        segmentation.len()
    );
    let run = match &campaign {
        None => None,
        Some(campaign) => {
            let run = campaign
                .run(&profiles, &Suppression::new())
                .map_err(failed)?;
            summary.push_str(&format!(
                "\ncampaign {}: {} matched, {} target + {} control",
                run.key,
                run.matched,
                run.target.len(),
                run.control.len()
            ));
            Some(run)
        }
    };
    let mut header = owned(&SCORE_HEADER);
    if run.is_some() {
        header.push("group".to_owned());
    }
    let rows = score_rows(&segmentation, scale, |id| match &run {
        None => selected.contains(id).then_some(None),
        Some(run) if run.target.contains(id) => Some(Some("target")),
        Some(run) if run.control.contains(id) => Some(Some("control")),
        Some(_) => None,
    });
    Rows {
        header,
        rows,
        numeric: SCORE_NUMERIC.to_vec(),
    }
    .write(args.format, args.output.as_deref())?;
    if let Some(explanation) = explanation {
        summary.push_str(&format!("\n\n{explanation}"));
    }
    print_report(&summary, args.output.is_some());
    Ok(())
}

/// What `ltv` prints as JSON: the report, with the scale its money is in,
/// and the LTV/CAC table with `--cac`.
#[derive(Serialize)]
struct LtvOutput<'a> {
    scale: u32,
    #[serde(flatten)]
    report: &'a LtvReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    ltv_cac: Option<&'a LtvCacTable>,
}

/// `--cac CHANNEL=AMOUNT` values as acquisition costs (`*` for the others).
/// `--cac` values (of `ltv` and `report`): `CHANNEL=AMOUNT` for one
/// channel, `AMOUNT` or `*=AMOUNT` for every other, in currency units
/// with at most `scale` decimals.
pub(crate) fn acquisition_costs(values: &[String], scale: u32) -> Result<AcquisitionCosts> {
    let mut costs = AcquisitionCosts::new();
    for value in values {
        let (channel, amount) = match value.rsplit_once('=') {
            Some((channel, amount)) => (channel.trim(), amount),
            None => ("*", value.as_str()),
        };
        if channel.is_empty() {
            return Err(usage(format!(
                "--cac {value:?}: the channel is empty; write CHANNEL=AMOUNT, AMOUNT or '*=AMOUNT'"
            )));
        }
        let cac = Money::parse_decimal(amount.trim(), scale)
            .and_then(Cac::new)
            .map_err(|e| {
                usage(format!(
                    "--cac {value:?}: {e}; write CHANNEL=AMOUNT, AMOUNT or '*=AMOUNT'"
                ))
            })?;
        costs = match channel {
            "*" => costs.with_default(cac),
            name => costs.with_channel(name, cac),
        };
    }
    Ok(costs)
}

fn ltv(args: &LtvArgs) -> Result<()> {
    let config = args
        .kpi
        .builder()
        .partial_months(match args.partial_months {
            PartialArg::Mark => PartialMonths::Mark,
            PartialArg::Omit => PartialMonths::Omit,
        })
        .build()
        .map_err(|e| usage(e.to_string()))?;
    if args.format == Format::Csv {
        return Err(usage("--format csv: the LTV report is json or table"));
    }
    let ingest = ingest_config(&args.input, args.as_of);
    let file = load_orders(
        &args.input.input,
        &ingest,
        parse_options(&args.input),
        |b| b,
    )?;
    let path = file.path.as_path();
    let report = LtvReport::from_log(&file.log, &config)
        .map_err(|e| FileError(library_message(path, &file.loaded.lines, &e)))?;
    report_skipped(
        path,
        &file.loaded,
        file.log.skipped(),
        args.input.skipped.as_ref(),
    )?;
    let ltv_cac = if args.cac.is_empty() {
        None
    } else {
        let costs = acquisition_costs(&args.cac, args.input.scale)?;
        let basis = match args.cac_basis {
            CacBasisArg::Revenue => LtvBasis::Revenue,
            CacBasisArg::Margin => LtvBasis::Margin,
        };
        Some(
            LtvCacTable::from_report(&report, &costs, basis)
                .map_err(|e| FileError(library_message(path, &file.loaded.lines, &e)))?,
        )
    };
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let context = || "cannot write stdout";
    if args.format == Format::Table {
        writeln!(stdout, "{}", report.display_table(args.input.scale)).with_context(context)?;
        if let Some(table) = &ltv_cac {
            writeln!(
                stdout,
                "\nLTV/CAC:\n{}",
                table.display_table(args.input.scale)
            )
            .with_context(context)?;
        }
    } else {
        let output = LtvOutput {
            scale: args.input.scale,
            report: &report,
            ltv_cac: ltv_cac.as_ref(),
        };
        serde_json::to_writer_pretty(&mut stdout, &output).with_context(context)?;
        writeln!(stdout).with_context(context)?;
    }
    stdout.flush().with_context(context)?;
    Ok(())
}

/// One JSON line with keys in insertion order (`model` first).
#[derive(Debug, Default)]
struct Line(Vec<(&'static str, Value)>);

impl Line {
    fn insert(&mut self, key: &'static str, value: Value) {
        self.0.push((key, value));
    }

    /// A float, or `null` where it is not finite (JSON has no NaN).
    fn number(&mut self, key: &'static str, value: f64) {
        self.insert(
            key,
            serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number),
        );
    }
}

impl Serialize for Line {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// A float for JSON, `null` where not finite.
fn finite(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// The fit line's `standard_errors` and `ci95` objects (parameter name →
/// SE, → `[lower, upper]`), money parameters (`gamma`) divided by
/// `money`; or, when the information matrix is not positive definite,
/// `hessian_warning` (also printed to stderr).
fn uncertainty_fields(
    line: &mut Line,
    uncertainty: Option<&ParameterUncertainty>,
    kind: ModelKind,
    money: f64,
) {
    let Some(u) = uncertainty else {
        return;
    };
    if let Some(warning) = &u.warning {
        write_stderr(&format!("warning: {}: {warning}", kind.name()));
        line.insert("hessian_warning", json!(warning));
        return;
    }
    let per = |p: &rfmkit::clv::ParameterEstimate| if p.name == "gamma" { money } else { 1.0 };
    let mut ses = serde_json::Map::new();
    let mut cis = serde_json::Map::new();
    for p in &u.parameters {
        let k = per(p);
        ses.insert(
            p.name.clone(),
            finite(p.standard_error.unwrap_or(f64::NAN) / k),
        );
        cis.insert(
            p.name.clone(),
            json!([
                finite(p.lower.unwrap_or(f64::NAN) / k),
                finite(p.upper.unwrap_or(f64::NAN) / k)
            ]),
        );
    }
    line.insert("standard_errors", Value::Object(ses));
    line.insert("ci95", Value::Object(cis));
}

fn clv(args: &ClvArgs) -> Result<()> {
    let unit = match args.unit {
        UnitArg::Day => TimeUnit::Day,
        UnitArg::Week => TimeUnit::Week,
    };
    let lenient = args.input.lenient;
    let mut builder = BtydConfig::builder(args.calibration_end).unit(unit);
    if let Some(end) = args.observation_end {
        builder = builder.observation_end(end);
    }
    if lenient {
        builder = builder.future_orders(FutureOrders::Ignore);
    }
    let config = builder.build().map_err(|e| usage(e.to_string()))?;
    let chosen_kind = match args.model {
        None | Some(ModelArg::BgNbd) => ModelKind::BgNbd,
        Some(ModelArg::MbgNbd) => ModelKind::MbgNbd,
        Some(ModelArg::ParetoNbd) => ModelKind::ParetoNbd,
    };
    // --from: the window starts on that day, i.e. (from − calibration end
    // − 1) days after the calibration end, whose day is the last of the
    // calibration period.
    let start_days = match args.from {
        Some(from) if from <= args.calibration_end => {
            return Err(usage(format!(
                "--from {from} is not after --calibration-end {}; predictions start after the \
                 calibration period",
                args.calibration_end
            )));
        }
        Some(from) => (from - args.calibration_end).num_days() - 1,
        None => 0,
    };
    let horizon_days = match (args.to, args.horizon, config.holdout_length()) {
        (Some(to), _, _) => {
            let first = args
                .from
                .unwrap_or(args.calibration_end + chrono::Days::new(1));
            if to < first {
                return Err(usage(format!(
                    "--to {to} is before the window's first day {first}; give a later --to"
                )));
            }
            // Both days included.
            ((to - first).num_days() + 1) as f64
        }
        (None, Some(h), _) | (None, None, Some(h)) => h * unit.days(),
        (None, None, None) => {
            return Err(usage(
                "--horizon is required without --observation-end (there is no holdout length); \
                 or give the window's last day with --to",
            ));
        }
    };
    let predict = PredictConfig::builder()
        .horizon_days(horizon_days)
        .start_days(start_days as f64)
        .months(args.months)
        .discount_rate(args.discount_rate)
        .margin(args.margin)
        .build()
        .map_err(|e| usage(e.to_string()))?;
    let scale = args.input.scale;

    let last_date = args.observation_end.unwrap_or(args.calibration_end);
    let future = if lenient {
        FutureOrders::Ignore
    } else {
        FutureOrders::Reject
    };
    // Orders after the last date are the only invalid orders `clv`
    // tolerates (with --lenient); malformed rows are skipped as elsewhere.
    let ingest = IngestConfig::new(last_date).future_orders(future);
    let options = parse_options(&args.input);
    let file = load_orders(&args.input.input, &ingest, options, |b| b)?;
    let path = file.path.as_path();
    report_skipped(path, &file.loaded, &[], args.input.skipped.as_ref())?;
    let data = BtydData::from_log(&file.log, &config)
        .map_err(|e| FileError(library_message(path, &file.loaded.lines, &e)))?;
    if data.ignored_orders() > 0 {
        write_stderr(&format!(
            "left out {} order(s) after the last date (--lenient)",
            data.ignored_orders()
        ));
    }
    if data.new_in_holdout() > 0 {
        write_stderr(&format!(
            "{} customer(s) first bought in the holdout period and are not modelled",
            data.new_in_holdout()
        ));
    }
    // Money is in minor units inside rfmkit; gamma and the spend density
    // are reported in currency units.
    let unit_money = 10f64.powi(i32::try_from(scale).unwrap_or(0));
    let kinds: &[ModelKind] = if args.model.is_some() {
        std::slice::from_ref(&chosen_kind)
    } else {
        &ModelKind::TRANSACTION
    };
    let spinner =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    let mut lines = Vec::new();
    let mut chosen: Option<TransactionFit> = None;
    let mut chosen_error = None;
    for &kind in kinds {
        spinner.set_message(format!("fitting {}", kind.name()));
        spinner.tick();
        let mut line = Line::default();
        line.insert("model", json!(kind.name()));
        match TransactionFit::fit(kind, &data) {
            Ok(fit) => {
                for (name, value) in fit.model.parameters() {
                    line.number(name, value);
                }
                let d = &fit.diagnostics;
                uncertainty_fields(&mut line, d.uncertainty.as_ref(), kind, 1.0);
                line.number("log_likelihood", d.log_likelihood);
                line.insert("converged", json!(d.converged));
                line.insert("iterations", json!(d.iterations));
                line.insert("customers", json!(d.customers));
                if data.holdout_length().is_some() {
                    let table = fit
                        .holdout_table(&data, 7)
                        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
                    line.insert("holdout_actual", json!(table.actual_total));
                    line.number("holdout_predicted", table.predicted_total);
                    line.number("holdout_mae", table.mean_absolute_error);
                    line.number("holdout_rmse", table.root_mean_squared_error);
                }
                if kind == chosen_kind {
                    chosen = Some(fit);
                }
            }
            Err(err) => {
                line.insert("error", json!(err.to_string()));
                if kind == chosen_kind {
                    chosen_error = Some(err);
                }
            }
        }
        lines.push(line);
    }
    spinner.set_message("fitting gamma_gamma");
    let mut line = Line::default();
    line.insert("model", json!(ModelKind::GammaGamma.name()));
    let spend: Option<SpendFit> = match GammaGamma::fit(&data) {
        Ok(fit) => {
            line.number("p", fit.model.p());
            line.number("q", fit.model.q());
            line.number("gamma", fit.model.gamma() / unit_money);
            let d = &fit.diagnostics;
            uncertainty_fields(
                &mut line,
                d.uncertainty.as_ref(),
                ModelKind::GammaGamma,
                unit_money,
            );
            let n = f64::from(u32::try_from(d.customers).unwrap_or(u32::MAX));
            line.number("log_likelihood", d.log_likelihood + n * unit_money.ln());
            line.insert("converged", json!(d.converged));
            line.insert("iterations", json!(d.iterations));
            line.insert("customers", json!(d.customers));
            Some(fit)
        }
        Err(err) => {
            line.insert("error", json!(err.to_string()));
            None
        }
    };
    lines.push(line);
    spinner.finish_and_clear();

    let mut stdout = io::stdout().lock();
    for line in &lines {
        let text = serde_json::to_string(line).context("cannot write stdout")?;
        writeln!(stdout, "{text}").context("cannot write stdout")?;
    }
    drop(stdout);

    let fit = match (chosen, chosen_error) {
        (Some(fit), _) => fit,
        (None, Some(err)) => return Err(anyhow!("{}: {err}", path.display())),
        (None, None) => return Err(anyhow!("no model was fitted")),
    };
    let intervals = if args.intervals {
        let bootstrap = BootstrapConfig::builder()
            .draws(args.draws)
            .seed(args.seed)
            .quantiles(args.quantiles.0, args.quantiles.1)
            .build()
            .map_err(|e| usage(e.to_string()))?;
        let spinner =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        spinner.set_message(format!("bootstrap: {} draws", args.draws));
        spinner.tick();
        let intervals = fit
            .predict_intervals(&data, spend.as_ref(), &predict, &bootstrap)
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        spinner.finish_and_clear();
        let mut line = Line::default();
        line.insert("intervals", json!(fit.model.kind().name()));
        line.insert("draws", json!(args.draws));
        line.insert("seed", json!(args.seed));
        line.insert("quantiles", json!([args.quantiles.0, args.quantiles.1]));
        line.insert(
            "from",
            json!(
                (args.calibration_end + chrono::Days::new(1 + start_days.unsigned_abs()))
                    .to_string()
            ),
        );
        line.number("horizon_days", predict.horizon_days());
        line.insert("months", json!(predict.months()));
        let total = intervals.total_expected_purchases();
        line.number("total_expected_purchases", total.estimate);
        line.insert(
            "total_expected_purchases_interval",
            json!([finite(total.lower), finite(total.upper)]),
        );
        if let Some(clv) = intervals.total_clv() {
            line.number("total_clv", clv.estimate / unit_money);
            line.insert(
                "total_clv_interval",
                json!([
                    finite(clv.lower / unit_money),
                    finite(clv.upper / unit_money)
                ]),
            );
        }
        let text = serde_json::to_string(&line).context("cannot write stdout")?;
        writeln!(io::stdout().lock(), "{text}").context("cannot write stdout")?;
        Some(intervals)
    } else {
        None
    };
    if let Some(output) = &args.output {
        let predictions = fit
            .predict(&data, spend.as_ref(), &predict)
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        let bounds = |i: usize| -> Vec<String> {
            let Some(all) = &intervals else {
                return Vec::new();
            };
            let Some(c) = all.customers().get(i) else {
                return vec![String::new(); 6];
            };
            let money =
                |v: f64| format!("{:.*}", usize::try_from(scale).unwrap_or(2), v / unit_money);
            vec![
                c.p_alive.lower.to_string(),
                c.p_alive.upper.to_string(),
                c.expected_purchases.lower.to_string(),
                c.expected_purchases.upper.to_string(),
                c.clv.map_or_else(String::new, |v| money(v.lower)),
                c.clv.map_or_else(String::new, |v| money(v.upper)),
            ]
        };
        let rows = predictions.iter().enumerate().map(|(i, p)| {
            let mut row = vec![
                p.customer.to_string(),
                p.btyd.x().to_string(),
                p.btyd.t_x().to_string(),
                p.btyd.t().to_string(),
                p.p_alive.to_string(),
                p.expected_purchases.to_string(),
                p.expected_spend
                    .map_or_else(String::new, |m| (m / unit_money).to_string()),
                p.clv
                    .map_or_else(String::new, |m| m.display_decimal(scale).to_string()),
                p.holdout_purchases
                    .map_or_else(String::new, |h| h.to_string()),
            ];
            row.extend(bounds(i));
            row
        });
        let mut header = vec![
            "customer_id",
            "x",
            "t_x",
            "T",
            "p_alive",
            "expected_purchases",
            "expected_spend",
            "clv",
            "holdout_purchases",
        ];
        if intervals.is_some() {
            header.extend([
                "p_alive_lower",
                "p_alive_upper",
                "expected_purchases_lower",
                "expected_purchases_upper",
                "clv_lower",
                "clv_upper",
            ]);
        }
        Rows {
            header: owned(&header),
            rows,
            numeric: Vec::new(),
        }
        .write(Format::Csv, Some(output))?;
    }
    Ok(())
}
