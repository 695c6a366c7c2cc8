//! `rfmkit plan` and `rfmkit lift`: CRM programs over time.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result, anyhow};
use rfmkit::audience::Profiles;
use rfmkit::program::{
    Caps, Contact, ContactChannel, ContactHistory, Lift, Outcome, Planner, Program, SkipReason,
};
use serde::Deserialize;

use crate::cli::{Format, LiftArgs, PlanArgs};
use crate::commands::{ingest_config, owned, parse_options, read_json, scoring, segment};
use crate::load::{FileError, library_message, load_orders, parse_date};
use crate::output::{Rows, report_skipped};

/// Reads the programs file: `{"caps": .., "programs": [..]}` or a bare
/// list of programs; an error names the program (`programs[i]`).
fn read_programs(path: &Path) -> Result<(Vec<Program>, Caps)> {
    let value: serde_json::Value = read_json(path, "JSON file")?;
    let bad = |what: String, e: serde_json::Error| anyhow!("{}: {what}: {e}", path.display());
    let (list, caps) = match value {
        serde_json::Value::Array(list) => (list, Caps::new()),
        serde_json::Value::Object(mut object) => {
            let caps = match object.remove("caps") {
                Some(caps) => serde_json::from_value(caps).map_err(|e| bad("caps".into(), e))?,
                None => Caps::new(),
            };
            let list = match object.remove("programs") {
                Some(serde_json::Value::Array(list)) => list,
                _ => {
                    return Err(anyhow!(
                        "{}: \"programs\" must be a list of programs",
                        path.display()
                    ));
                }
            };
            if let Some(key) = object.keys().next() {
                return Err(anyhow!(
                    "{}: unknown key {key:?}; expected \"caps\" and \"programs\"",
                    path.display()
                ));
            }
            (list, caps)
        }
        _ => {
            return Err(anyhow!(
                "{}: expected {{\"caps\": .., \"programs\": [..]}} or a list of programs",
                path.display()
            ));
        }
    };
    let programs = list
        .into_iter()
        .enumerate()
        .map(|(i, p)| serde_json::from_value(p).map_err(|e| bad(format!("programs[{i}]"), e)))
        .collect::<Result<Vec<Program>>>()?;
    Ok((programs, caps))
}

/// One row of the history CSV.
#[derive(Deserialize)]
struct HistoryRow {
    customer_id: String,
    program: String,
    step: u16,
    channel: ContactChannel,
    date: String,
    #[serde(default)]
    outcome: Option<Outcome>,
    #[serde(default)]
    message_id: Option<String>,
}

/// Reads the contact history CSV; an error names the file and line.
fn read_history(path: &Path) -> Result<ContactHistory> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let mut contacts = Vec::new();
    for record in reader.deserialize::<HistoryRow>() {
        let row = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            FileError(format!("{} line {line}: {e}", path.display()))
        })?;
        let line = contacts.len() + 2;
        let date = parse_date(&row.date).ok_or_else(|| {
            FileError(format!(
                "{} line {line}: date {:?} is not a date (YYYY-MM-DD)",
                path.display(),
                row.date
            ))
        })?;
        let mut contact = Contact::sent(
            row.customer_id.as_str(),
            &row.program,
            row.step,
            row.channel,
            date,
        );
        if row.outcome == Some(Outcome::Control) {
            contact = contact.held_out();
        }
        contact.message_id = row.message_id.filter(|m| !m.is_empty());
        contacts.push(contact);
    }
    ContactHistory::new(contacts).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// A skip reason as a (reason, detail) pair of CSV cells.
fn reason(r: &SkipReason) -> (&'static str, String) {
    match r {
        SkipReason::Capped { channel } => (
            "capped",
            channel.map_or_else(|| "overall".to_owned(), |c| c.to_string()),
        ),
        SkipReason::LowerPriority { program } => ("lower_priority", program.clone()),
        SkipReason::MinimumGap { last } => ("minimum_gap", last.to_string()),
        SkipReason::OptedOut { channel } => ("opted_out", channel.to_string()),
        SkipReason::StepRule => ("step_rule", String::new()),
        SkipReason::Exited => ("exited", String::new()),
        SkipReason::AlreadyReceived => ("already_received", String::new()),
        SkipReason::QuietPeriod { until } => ("quiet_period", until.to_string()),
        _ => ("other", format!("{r:?}")),
    }
}

pub fn plan(args: &PlanArgs) -> Result<()> {
    let scale = args.input.scale;
    let scoring = scoring(&args.scoring.model)?;
    let (programs, caps) = read_programs(&args.programs)?;
    let planner =
        Planner::new(programs, caps).map_err(|e| anyhow!("{}: {e}", args.programs.display()))?;
    let history = match &args.history {
        Some(path) if path.exists() => read_history(path)?,
        _ => ContactHistory::default(),
    };
    let customers = args
        .customers
        .as_deref()
        .map(crate::customers::load_customers)
        .transpose()?;
    let (file, summaries, _, segmentation) = segment(&args.input, &scoring, args.scoring.as_of)?;
    let path = file.path.as_path();
    let failed = |e: rfmkit::Error| anyhow!("{}: {e}", path.display());
    let mut builder = Profiles::builder(&segmentation, &summaries).scale(scale);
    if let Some(customers) = &customers {
        builder = builder.customers(customers);
    }
    let profiles = builder.build().map_err(failed)?;
    let plan = planner
        .plan(&profiles, &history)
        .map_err(|e| match &args.history {
            Some(h) => anyhow!("{}: {e}", h.display()),
            None => anyhow!("{e}"),
        })?;
    let outcome = |o: Outcome| {
        if o == Outcome::Control {
            "control"
        } else {
            "sent"
        }
    };
    Rows {
        header: owned(&["customer_id", "program", "step", "channel", "outcome"]),
        rows: plan
            .contacts()
            .iter()
            .map(|c| {
                vec![
                    c.customer.to_string(),
                    c.program.clone(),
                    c.step.to_string(),
                    c.channel.to_string(),
                    outcome(c.outcome).to_owned(),
                ]
            })
            .collect::<Vec<_>>(),
        numeric: vec!["step"],
    }
    .write(Format::Csv, args.output.as_deref())?;
    if let Some(out) = &args.skipped_steps {
        Rows {
            header: owned(&["customer_id", "program", "step", "reason", "detail"]),
            rows: plan
                .skipped()
                .iter()
                .map(|s| {
                    let (r, detail) = reason(&s.reason);
                    vec![
                        s.customer.to_string(),
                        s.program.clone(),
                        s.step.to_string(),
                        r.to_owned(),
                        detail,
                    ]
                })
                .collect::<Vec<_>>(),
            numeric: vec!["step"],
        }
        .write(Format::Csv, Some(out))?;
    }
    crate::write_stderr(&format!(
        "plan {}: {} to send, {} held out as control, {} steps not given",
        plan.as_of,
        plan.sends().count(),
        plan.contacts().len() - plan.sends().count(),
        plan.skipped().len()
    ));
    Ok(())
}

pub fn lift(args: &LiftArgs) -> Result<()> {
    let history = read_history(&args.history)?;
    let config = ingest_config(&args.input, args.as_of);
    let file = load_orders(
        &args.input.input,
        &config,
        parse_options(&args.input),
        |b| b,
    )?;
    report_skipped(
        &file.path,
        &file.loaded,
        file.log.skipped(),
        args.input.skipped.as_ref(),
    )?;
    let lift = Lift::measure(
        &file.log,
        &history,
        &args.program,
        args.window,
        args.confidence,
    )
    .map_err(|e| FileError(library_message(&file.path, &file.loaded.lines, &e)))?;
    if lift.target.customers + lift.control.customers == 0 {
        crate::write_stderr(&format!(
            "lift {}: no entrant with a complete {}-day window by {}",
            args.program, args.window, args.as_of
        ));
    }
    if lift.underpowered {
        crate::write_stderr(&format!(
            "warning: the groups ({} target, {} control) are too small to tell a conversion difference of {} from chance (minimum detectable: {})",
            lift.target.customers,
            lift.control.customers,
            lift.conversion_difference
                .map_or_else(|| "-".to_owned(), |d| format!("{:.4}", d.estimate)),
            lift.minimum_detectable_effect
                .map_or_else(|| "-".to_owned(), |m| format!("{m:.4}")),
        ));
    }
    match args.format {
        Format::Json => {
            let mut out = crate::output::sink(None)?;
            serde_json::to_writer(&mut out, &lift)?;
            writeln!(out)?;
        }
        _ => {
            let num = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), |x| format!("{x:.4}"));
            let interval = |i: Option<rfmkit::program::Interval>| {
                i.map_or_else(
                    || "-".to_owned(),
                    |i| format!("{:.4} [{:.4}, {:.4}]", i.estimate, i.low, i.high),
                )
            };
            // Revenue in currency units with the currency's decimals (the
            // JSON keeps the library's minor units).
            let scale = args.input.scale;
            let unit = 10_f64.powi(i32::try_from(scale).unwrap_or(0));
            let places = usize::try_from(scale).unwrap_or(0);
            let money = |i: Option<rfmkit::program::Interval>| {
                i.map_or_else(
                    || "-".to_owned(),
                    |i| {
                        let [e, lo, hi] = [i.estimate, i.low, i.high].map(|x| x / unit);
                        format!("{e:.places$} [{lo:.places$}, {hi:.places$}]")
                    },
                )
            };
            let rows = vec![
                vec![
                    "entrants (target / control / pending)".to_owned(),
                    format!(
                        "{} / {} / {}",
                        lift.target.customers, lift.control.customers, lift.pending
                    ),
                ],
                vec![
                    "converted".to_owned(),
                    format!("{} / {}", lift.target.converted, lift.control.converted),
                ],
                vec![
                    "conversion rate".to_owned(),
                    format!(
                        "{} / {}",
                        num(lift.target.conversion_rate),
                        num(lift.control.conversion_rate)
                    ),
                ],
                vec![
                    "conversion difference".to_owned(),
                    interval(lift.conversion_difference),
                ],
                vec![
                    "revenue per customer difference".to_owned(),
                    money(lift.revenue_per_customer_difference),
                ],
                vec![
                    "incremental revenue".to_owned(),
                    money(lift.incremental_revenue),
                ],
                vec![
                    "minimum detectable effect".to_owned(),
                    num(lift.minimum_detectable_effect),
                ],
            ];
            Rows {
                header: owned(&["measure", "value"]),
                rows,
                numeric: vec![],
            }
            .write(args.format, None)?;
        }
    }
    Ok(())
}
