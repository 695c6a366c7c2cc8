//! The command line (clap derive).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::load::{ShopZone, parse_date};

const ORDER_FORMAT: &str = "\
ORDER FILE:
  A CSV with a header row; columns by name, in any order (case-insensitive; BOM,
  CRLF and quoted fields are fine). Required: customer_id, order_date, amount.
  Optional: order_id, status (completed|returned|cancelled), channel, store, cost.
  order_date is YYYY-MM-DD or a timestamp: '2025-01-05 10:00:00' (naive: taken as
  already in the shop's zone) or '2025-01-05T23:30:00+09:00' / '...Z' (converted
  to the shop's day with --timezone). Amounts are decimals with at most --scale
  decimals; more is an error, never rounded.

INPUT CONVENTIONS:
  status    completed, returned or cancelled (any case); other words (refunded,
            paid, shipped) are errors: map them first. Without a status column
            or with an empty cell, a negative amount is a return and any other
            amount a completed order.
  returns   a returned row's amount is the refund, <= 0 (-500.00); a completed
            row's amount is >= 0; a cancelled row's amount is ignored.
  --scale   the currency's decimals: 2 (default) for cents, 0 for yen or won.
            With --scale 2 a yen amount 1200 is read as 1200.00 (120000 minor
            units in JSON), so pass --scale 0 for yen. No thousands separators:
            \"1,200\" is an error.
  ids       customer ids are text; output and rank ties follow byte-wise text
            order (C10 < C9) unless --id-order numeric (score, audience,
            transitions, trend; every id must then be an integer: 9 < 10).
  dates     one day per order in the shop's calendar: dates as they are, naive
            timestamps as already local, offset timestamps converted with
            --timezone (required for them; the tool never guesses the zone).
            05/01/2025 and other forms are errors naming the accepted ones.";

/// RFM scores, segments, campaign audiences, LTV and predictive CLV from
/// order files.
#[derive(Debug, Parser)]
#[command(name = "rfmkit", version, about, long_about = None, after_help = ORDER_FORMAT)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// RFM-score and segment every customer: one row per customer.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  rfmkit score --input orders.csv --as-of 2025-12-31\n",
        "  rfmkit score --input orders.csv --as-of 2025-12-31 --method rank --output scores.csv --report\n",
        "  rfmkit score --input orders.csv --as-of 2025-12-31 --model-out model.json\n",
        "  rfmkit score --input new.csv --as-of 2026-01-31 --model model.json --format table\n",
        "  rfmkit score --input export.csv --as-of 2025-12-31 --timezone Asia/Tokyo --scale 0\n",
        "  rfmkit score --input orders.parquet --as-of 2025-12-31 --timezone Asia/Tokyo\n",
        "\n",
        "OUTPUT:\n",
        "  customer_id,recency_days,frequency,monetary,r,f,m,segment, in customer-id order.\n",
        "  recency_days = as-of date - last completed order; frequency = completed orders\n",
        "  (or purchase days); monetary = revenue net of returns, with --scale decimals."
    ))]
    Score(ScoreArgs),
    /// Select the customers an audience query picks, optionally with a
    /// control group.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  rfmkit audience --input orders.csv --as-of 2025-12-31 \\\n",
        "      --query 'segment in (at_risk, cant_lose_them) and last_order < -90d'\n",
        "  rfmkit audience --input orders.csv --as-of 2025-12-31 --customers customers.csv \\\n",
        "      --query 'email_opt_in and tags contains vip' --control 0.1 --campaign winback-2025-12\n",
        "  rfmkit audience --input orders.csv --as-of 2025-12-31 --query 'monetary >= 100.00' --explain C04\n",
        "\n",
        "The query language is documented in rfmkit::audience. A query that does not\n",
        "parse fails before the orders are read, with a caret under the column."
    ))]
    Audience(AudienceArgs),
    /// LTV and CRM KPIs: population, per channel and store, monthly cohorts.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  rfmkit ltv --input orders.csv --as-of 2025-12-31\n",
        "  rfmkit ltv --input orders.csv --as-of 2025-12-31 --f2-days 30 --format table\n",
        "\n",
        "JSON money is in integer minor units (cents with --scale 2); ratios are 0..=1\n",
        "or null when undefined. Definitions are in the rfmkit::ltv docs."
    ))]
    Ltv(LtvArgs),
    /// Predictive CLV: fit BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  rfmkit clv --input orders.csv --calibration-end 1997-09-30 --observation-end 1998-06-30\n",
        "  rfmkit clv --input orders.csv --calibration-end 2025-09-30 --horizon 52 \\\n",
        "      --model bg_nbd --output predictions.csv\n",
        "  rfmkit clv --input orders.csv --calibration-end 2025-09-30 --model bg_nbd \\\n",
        "      --from 2026-01-01 --to 2026-06-30 --intervals --draws 500 --seed 7 -o p.csv\n",
        "\n",
        "Prints one JSON line per model (parameters, their standard errors and 95%\n",
        "intervals, log_likelihood, converged, holdout check; hessian_warning when the\n",
        "information matrix is not positive definite); --output writes customer_id,x,\n",
        "t_x,T,p_alive,expected_purchases,expected_spend,clv,holdout_purchases.\n",
        "--intervals adds a JSON line with the population totals and their intervals\n",
        "and, with --output, the columns p_alive_lower/upper, expected_purchases_lower/\n",
        "upper and clv_lower/upper (parametric bootstrap over the fitted parameters'\n",
        "covariance; --draws, --seed, --quantiles)."
    ))]
    Clv(ClvArgs),
    /// Time the whole pipeline (load, RFM, segments, one audience).
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  rfmkit bench --customers 100000 --orders 1000000 --repeat 3\n",
        "  rfmkit bench --input orders.csv --threads 2 --method rank\n",
        "\n",
        "Prints one JSON line: load and per-stage median seconds, peak memory and\n",
        "checksums (segment counts, audience size, sums of recency, frequency, monetary)."
    ))]
    Bench(BenchArgs),
    /// Segment moves between two dates: the migration matrix and the
    /// per-customer changes.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  rfmkit transitions --input orders.csv --from 2025-06-30 --to 2025-12-31\n",
        "  rfmkit transitions --input orders.csv --from 2025-06-30 --to 2025-12-31 --refit \\\n",
        "      --output matrix.csv --changes changes.csv\n",
        "  rfmkit transitions --input orders.csv --from 2025-06-30 --to 2025-12-31 --model model.json\n",
        "\n",
        "Orders up to --to are read (later ones are errors); the first date sees those up\n",
        "to --from. Frozen (the default): the model fitted at --from (or --model) scores\n",
        "both dates, so a move means the customer changed. --refit: each date is fitted\n",
        "on its own, so a move can also mean the population changed.\n",
        "\n",
        "OUTPUT:\n",
        "  Matrix: from_segment,to_segment,customers,revenue_from,revenue_to, one row per\n",
        "  segment pair. A customer absent at a date (no completed order yet, or only\n",
        "  returns) has an empty segment and an empty revenue on that side. Revenue is\n",
        "  the customers' net revenue as of each date, with --scale decimals.\n",
        "  --changes: customer_id,from_segment,from_r,from_f,from_m,to_segment,to_r,\n",
        "  to_f,to_m,monetary_from,monetary_to for every customer whose segment or scores\n",
        "  moved, empty on an absent side."
    ))]
    Transitions(TransitionsArgs),
    /// KPIs and the segment mix at every date of a series: one row per date
    /// (and group).
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  rfmkit trend --input orders.csv --from 2025-01-31 --to 2025-12-31 --every month\n",
        "  rfmkit trend --input orders.csv --from 2025-01-31 --to 2025-12-31 --by channel --refit\n",
        "  rfmkit trend --input orders.csv --from 2025-01-05 --to 2025-03-30 --every week --format table\n",
        "\n",
        "Dates run from --from every day, week or month up to --to (a month series from a\n",
        "month end stays on month ends). Orders up to --to are read. Each row is what\n",
        "`rfmkit ltv` and `rfmkit score` would give as of that date, from one pass.\n",
        "\n",
        "OUTPUT:\n",
        "  as_of,[channel|store,]customers,returns_only_customers,orders,net_revenue,\n",
        "  average_order_value,repeat_rate,f2_eligible,f2_rate,churn_active,churn_rate,ltv,\n",
        "  then customers and monetary per segment (segment:NAME, monetary:NAME) in table\n",
        "  order. Ratios are 0..=1, empty when undefined; money has --scale decimals. The\n",
        "  mix is scored by the model fitted at --from (or --model), or refitted at every\n",
        "  date with --refit. --by groups customers by their first order's channel or store\n",
        "  (empty: unknown)."
    ))]
    Trend(TrendArgs),
    /// One self-contained HTML report: KPIs, the model's cuts, the segment
    /// report and charts (RFM heatmap, segments, distributions, cohorts,
    /// LTV, opt-ins, migration, segments over time, CLV).
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  rfmkit report --input orders.csv --as-of 2025-12-31 --output report.html\n",
        "  rfmkit report --input orders.csv --as-of 2025-12-31 --scale 0 --currency JPY \\\n",
        "      --cac 3000 --cac instagram=4500 --calibration-end 2025-06-30 \\\n",
        "      --customers customers.csv --output report.html\n",
        "\n",
        "The file has no external references (inline SVG and CSS, no scripts): open it\n",
        "in any browser, mail it or print it. Each chart has the table of its numbers\n",
        "beside it; the cut points, segment report and KPIs are the texts of\n",
        "`rfmkit score --report` and `rfmkit ltv --format table`. The migration matrix\n",
        "compares --from (default: 90 days before --as-of) with --as-of, scored by the\n",
        "model fitted at --from. With --calibration-end a BG/NBD model is fitted on the\n",
        "orders up to it, checked against the holdout up to --as-of (in weeks).\n",
        "Segment sizes over time: monthly as-of dates up to --as-of (at most 24 months\n",
        "back, none before the first order; drawn from 3 dates on), each scored by the\n",
        "--as-of model. --customers (the `rfmkit audience --customers` format) adds the\n",
        "email and SMS opt-ins per segment."
    ))]
    Report(ReportArgs),
    /// Plan a day of CRM programs: who gets which step, and why others did
    /// not.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  rfmkit plan --input orders.csv --customers customers.csv --history history.csv \\\n",
        "      --programs programs.json --as-of 2025-12-31 --output plan.csv --skipped-steps skipped.csv\n",
        "\n",
        "PROGRAMS: a JSON object {\"caps\": {...}, \"programs\": [...]} (or a bare list of\n",
        "programs) in the rfmkit::program format, e.g.\n",
        "  {\"caps\": {\"overall\": {\"max\": 3, \"days\": 7}, \"min_gap_days\": 1},\n",
        "   \"programs\": [{\"version\": 1, \"key\": \"win_back\",\n",
        "     \"audience\": {\"field\": \"segment\", \"op\": \"in\", \"value\": [\"at_risk\"]},\n",
        "     \"steps\": [{\"delay_days\": 0, \"channel\": \"email\"}], \"priority\": 5}]}\n",
        "\n",
        "HISTORY: customer_id,program,step,channel,date,outcome[,message_id]; outcome is\n",
        "sent or control. A missing --history file is an empty history.\n",
        "\n",
        "OUTPUT:\n",
        "  customer_id,program,step,channel,outcome in customer-id order, then program and\n",
        "  step; append it (with the date) to the history once sent. --skipped-steps:\n",
        "  customer_id,program,step,reason,detail for every step a program wanted and did\n",
        "  not give (capped, lower_priority, minimum_gap, opted_out, step_rule, exited,\n",
        "  already_received, quiet_period)."
    ))]
    Plan(PlanArgs),
    /// Measure a program's lift: target against control after entry.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  rfmkit lift --input orders.csv --history history.csv --program win_back \\\n",
        "      --window 30 --as-of 2025-12-31\n",
        "\n",
        "Entrants are the customers with a step-0 contact of the program (sent: target,\n",
        "control: held out); only those whose window ended by --as-of count. Prints\n",
        "conversion, orders and revenue per group, the conversion difference (Wald\n",
        "interval), revenue per customer (Welch interval), incremental revenue and the\n",
        "minimum detectable effect; warns when the control group is too small."
    ))]
    Lift(LiftArgs),
}

/// Parses `--as-of` and other dates: exactly `YYYY-MM-DD`.
fn date_arg(text: &str) -> Result<NaiveDate, String> {
    parse_date(text).ok_or_else(|| format!("{text:?} is not a date (YYYY-MM-DD)"))
}

/// Where the orders come from and how to read them.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// The order CSV (columns, status values, the sign of returns and the
    /// other input conventions: `rfmkit --help`), or a Parquet file (name
    /// ending in `.parquet`) with the same columns, typed: integer or string
    /// ids, date32 or timestamp dates, decimal or integer amounts.
    #[arg(long, short, value_name = "ORDERS.csv")]
    pub input: PathBuf,
    /// Decimals of the currency: 0 for yen (an amount 1200 is ¥1,200), 2
    /// for cents (1200 is read as 1200.00). More decimals than this are an
    /// error, never rounded.
    #[arg(long, default_value_t = 2, value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=i64::from(rfmkit::money::MAX_SCALE)))]
    pub scale: u32,
    /// The shop's time zone, for timestamps with an offset: an IANA name
    /// (Asia/Tokyo) or an offset (+09:00). Naive timestamps are taken as
    /// already in the shop's zone.
    #[arg(long, value_name = "ZONE", value_parser = |s: &str| s.parse::<ShopZone>())]
    pub timezone: Option<ShopZone>,
    /// Skip malformed rows and invalid orders, listing each (on stderr or in
    /// --skipped) and counting them on stderr, instead of failing.
    #[arg(long)]
    pub lenient: bool,
    /// With --lenient: write the skipped rows to this CSV
    /// (line,column,order_id,problem) instead of listing them on stderr.
    #[arg(long, value_name = "FILE", requires = "lenient")]
    pub skipped: Option<PathBuf>,
    /// Leave out orders dated after the as-of date (listed on stderr like
    /// skipped rows) instead of failing on the first: scoring an export
    /// as of an earlier date.
    #[arg(long)]
    pub ignore_future_orders: bool,
}

/// RFM scoring methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Empirical quantile cuts; equal values get equal scores.
    Quantile,
    /// Equal-count bins by rank, ties broken by customer id.
    Rank,
    /// Fixed cuts from --thresholds FILE.json.
    Thresholds,
}

/// The frequency measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FrequencyArg {
    /// Completed orders.
    Orders,
    /// Distinct purchase days.
    Days,
}

/// The customer id order (output order and rank tie-breaks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IdOrderArg {
    /// Byte-wise text: "C10" < "C9".
    Text,
    /// Integer ids by value: 9 < 10 < 100.
    Numeric,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON document.
    Json,
    /// An aligned text table.
    Table,
}

/// How customers are scored and segmented, as of one date.
#[derive(Debug, Args)]
pub struct ScoringArgs {
    /// The date to score as of; later orders are errors.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
    pub as_of: NaiveDate,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// How customers are scored and segmented.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Scoring method.
    #[arg(long, value_enum, default_value_t = MethodArg::Quantile, conflicts_with = "model")]
    pub method: MethodArg,
    /// With --method thresholds: the cuts, as JSON
    /// {"recency_days":[30,90,180,365],"frequency":[2,3,5,10],"monetary":[5000,20000,50000,100000]}
    /// (money in minor units).
    #[arg(long, value_name = "FILE.json", conflicts_with = "model")]
    pub thresholds: Option<PathBuf>,
    /// Number of score bins, 2..=100 (the preset segment tables are for 5).
    #[arg(long, default_value_t = 5, value_name = "N", conflicts_with = "model")]
    pub bins: u8,
    /// Frequency measure.
    #[arg(long, value_enum, default_value_t = FrequencyArg::Orders, conflicts_with = "model")]
    pub frequency: FrequencyArg,
    /// Segment table: standard (11 segments), compact (5) or a JSON file of
    /// an rfmkit SegmentTable.
    #[arg(
        long,
        default_value = "standard",
        value_name = "standard|compact|FILE.json"
    )]
    pub segments: String,
    /// Customer id order: output order and rank tie-breaks.
    #[arg(long, value_enum, default_value_t = IdOrderArg::Text)]
    pub id_order: IdOrderArg,
    /// Score against this saved model (from --model-out) instead of fitting
    /// one: new data scored with frozen cuts.
    #[arg(long, value_name = "MODEL.json")]
    pub model: Option<PathBuf>,
}

/// `rfmkit score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub scoring: ScoringArgs,
    /// Write the scores there instead of stdout.
    #[arg(long, short, value_name = "OUT.csv")]
    pub output: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Print the model's cuts and the per-segment report (to stdout when the
    /// scores go to --output, else to stderr).
    #[arg(long)]
    pub report: bool,
    /// Save the fitted model as JSON, to score later data with --model.
    #[arg(long, value_name = "MODEL.json")]
    pub model_out: Option<PathBuf>,
    /// Write only the customers this audience query selects.
    #[arg(long, value_name = "QUERY")]
    pub audience: Option<String>,
    /// With --audience: explain why this customer is or is not selected.
    #[arg(long, value_name = "ID", requires = "audience")]
    pub explain: Option<String>,
}

/// `rfmkit audience`.
#[derive(Debug, Args)]
pub struct AudienceArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub scoring: ScoringArgs,
    /// The audience query, e.g. "segment in (at_risk) and last_order < -90d".
    #[arg(long, short, value_name = "QUERY")]
    pub query: String,
    /// A customers CSV (signup_date, birthday, opt-ins, tags, attr.*) for
    /// rules on customer records.
    #[arg(long, value_name = "CUSTOMERS.csv")]
    pub customers: Option<PathBuf>,
    /// Hold out this fraction (0..=1) as a control group; needs --campaign.
    #[arg(long, value_name = "F", requires = "campaign")]
    pub control: Option<f64>,
    /// The campaign key: names the campaign and seeds its control group.
    #[arg(long, value_name = "KEY")]
    pub campaign: Option<String>,
    /// Explain, clause by clause, why this customer is or is not selected.
    #[arg(long, value_name = "ID")]
    pub explain: Option<String>,
    /// Write the audience there instead of stdout.
    #[arg(long, short, value_name = "OUT.csv")]
    pub output: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
}

/// `rfmkit ltv`.
#[derive(Debug, Args)]
pub struct LtvArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The date to measure as of; later orders are errors.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
    pub as_of: NaiveDate,
    #[command(flatten)]
    pub kpi: KpiArgs,
    /// The cohorts' as-of month when --as-of is not a month end: mark keeps
    /// its cells and flags them ("partial": true in JSON, a * in tables);
    /// omit leaves them out.
    #[arg(long, value_enum, default_value_t = PartialArg::Mark)]
    pub partial_months: PartialArg,
    /// Acquisition cost per customer, in currency units (--scale
    /// decimals): CHANNEL=AMOUNT for one channel (repeatable), AMOUNT or
    /// '*=AMOUNT' for every other: adds the LTV/CAC table with health and
    /// payback per channel ("ltv_cac" in JSON).
    #[arg(long, value_name = "[CHANNEL=]AMOUNT")]
    pub cac: Vec<String>,
    /// The LTV the CAC is read against: revenue, or margin (needs costs).
    #[arg(long, value_enum, default_value_t = CacBasisArg::Revenue, requires = "cac")]
    pub cac_basis: CacBasisArg,
    /// Output format: json (money in minor units) or table.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

/// `--cac-basis`: rfmkit::ltv::LtvBasis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CacBasisArg {
    /// Net revenue per customer.
    Revenue,
    /// Gross margin per customer.
    Margin,
}

/// `--partial-months`: rfmkit::ltv::PartialMonths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PartialArg {
    /// Keep the partial month and flag it.
    Mark,
    /// Leave the partial month out.
    Omit,
}

/// `rfmkit transitions`.
#[derive(Debug, Args)]
pub struct TransitionsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The earlier date.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
    pub from: NaiveDate,
    /// The later date; later orders are errors.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
    pub to: NaiveDate,
    /// Fit a model at each date instead of scoring both with the first
    /// date's.
    #[arg(long, conflicts_with = "model")]
    pub refit: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Write the migration matrix there instead of stdout.
    #[arg(long, short, value_name = "MATRIX.csv")]
    pub output: Option<PathBuf>,
    /// Write the per-customer changes to this file.
    #[arg(long, value_name = "CHANGES.csv")]
    pub changes: Option<PathBuf>,
    /// Output format (of both files).
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
}

/// How often a trend has a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EveryArg {
    /// Every day.
    Day,
    /// Every 7 days.
    Week,
    /// Every calendar month.
    Month,
}

/// Trend groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    /// The channel of each customer's first completed order.
    Channel,
    /// The store of each customer's first completed order.
    Store,
}

/// `rfmkit trend`.
#[derive(Debug, Args)]
pub struct TrendArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The first date.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
    pub from: NaiveDate,
    /// The last date; later orders are errors.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
    pub to: NaiveDate,
    /// The step between dates.
    #[arg(long, value_enum, default_value_t = EveryArg::Month)]
    pub every: EveryArg,
    /// One row per date and group.
    #[arg(long, value_enum)]
    pub by: Option<ByArg>,
    /// Refit the scoring model at every date instead of scoring every date
    /// with the first date's.
    #[arg(long, conflicts_with = "model")]
    pub refit: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub kpi: KpiArgs,
    /// Write the rows there instead of stdout.
    #[arg(long, short, value_name = "TREND.csv")]
    pub output: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
}

/// BTYD time units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UnitArg {
    /// Days.
    Day,
    /// Weeks (days / 7).
    Week,
}

/// Transaction models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[allow(clippy::enum_variant_names)] // the models' own names
pub enum ModelArg {
    /// BG/NBD (Fader, Hardie & Lee 2005).
    #[value(name = "bg_nbd")]
    BgNbd,
    /// MBG/NBD.
    #[value(name = "mbg_nbd")]
    MbgNbd,
    /// Pareto/NBD.
    #[value(name = "pareto_nbd")]
    ParetoNbd,
}

/// `rfmkit clv`.
#[derive(Debug, Args)]
pub struct ClvArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Last day of the calibration period.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
    pub calibration_end: NaiveDate,
    /// Last day of the holdout period: holdout purchases are counted in
    /// (calibration end, observation end].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
    pub observation_end: Option<NaiveDate>,
    /// Time unit of t_x, T, alpha and beta.
    #[arg(long, value_enum, default_value_t = UnitArg::Week)]
    pub unit: UnitArg,
    /// Fit only this transaction model (and Gamma-Gamma), and use it for
    /// --output (default: fit all three, bg_nbd for --output).
    #[arg(long, value_enum)]
    pub model: Option<ModelArg>,
    /// Expected purchases over N units (default: the holdout length;
    /// required without --observation-end).
    #[arg(long, value_name = "N", value_parser = non_negative)]
    pub horizon: Option<f64>,
    /// CLV horizon in months of 30.436875 days.
    #[arg(long, default_value_t = 12, value_name = "N")]
    pub months: u32,
    /// Monthly discount rate for CLV.
    #[arg(long, default_value_t = 0.01, value_name = "D", value_parser = non_negative)]
    pub discount_rate: f64,
    /// Share of revenue counted in CLV, 0..=1.
    #[arg(long, default_value_t = 1.0, value_name = "M", value_parser = non_negative)]
    pub margin: f64,
    /// Write per-customer predictions to this CSV.
    #[arg(long, short, value_name = "PREDICTIONS.csv")]
    pub output: Option<PathBuf>,
    /// Start the predictions on this day instead of the day after the
    /// calibration end: expected purchases and CLV cover the window from
    /// here (CLV still discounted back to the calibration end).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
    pub from: Option<NaiveDate>,
    /// Last day of the expected-purchases window (instead of --horizon):
    /// purchases are counted from --from (or the calibration end) to here.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg, conflicts_with = "horizon")]
    pub to: Option<NaiveDate>,
    /// Prediction intervals by parametric bootstrap for the chosen model
    /// (totals on stdout; per-customer bounds in --output).
    #[arg(long)]
    pub intervals: bool,
    /// Parameter draws for --intervals.
    #[arg(long, default_value_t = 200, value_name = "N", requires = "intervals",
          value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub draws: u32,
    /// Seed of the draws for --intervals.
    #[arg(long, default_value_t = 0, value_name = "S", requires = "intervals")]
    pub seed: u64,
    /// Lower and upper quantiles of the intervals, e.g. 0.05,0.95.
    #[arg(long, default_value = "0.025,0.975", value_name = "LO,HI", requires = "intervals",
          value_parser = quantile_pair)]
    pub quantiles: (f64, f64),
}

fn quantile_pair(text: &str) -> Result<(f64, f64), String> {
    let parsed = text
        .split_once(',')
        .and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?)));
    match parsed {
        Some((lo, hi)) if (0.0..=1.0).contains(&lo) && lo < hi && hi <= 1.0 => Ok((lo, hi)),
        _ => Err(format!(
            "{text:?} is not two quantiles LO,HI with 0 <= LO < HI <= 1"
        )),
    }
}

fn non_negative(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("{text:?} is not a number >= 0"))
}

/// Id order for the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchIdOrder {
    /// Numeric if every id is an integer, else text.
    Auto,
    /// Byte-wise text.
    Text,
    /// Integers by value.
    Numeric,
}

/// `rfmkit bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// An order CSV to load (as `score` reads it); without it, a simulated shop.
    #[arg(long, short, value_name = "ORDERS.csv", conflicts_with_all = ["customers", "orders"])]
    pub input: Option<PathBuf>,
    /// Decimals of the currency in --input.
    #[arg(long, default_value_t = 2, value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=i64::from(rfmkit::money::MAX_SCALE)))]
    pub scale: u32,
    /// The shop's time zone for timestamps with an offset in --input.
    #[arg(long, value_name = "ZONE", value_parser = |s: &str| s.parse::<ShopZone>())]
    pub timezone: Option<ShopZone>,
    /// Simulated customers (without --input).
    #[arg(long, default_value_t = 1_000_000, value_name = "C")]
    pub customers: usize,
    /// Simulated orders (without --input).
    #[arg(long, default_value_t = 10_000_000, value_name = "N")]
    pub orders: usize,
    /// Worker threads for the pipeline.
    #[arg(long, default_value_t = 1, value_name = "T",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: u16,
    /// Pipeline runs to time; the median is reported.
    #[arg(long, default_value_t = 5, value_name = "K",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub repeat: u16,
    /// The as-of date.
    #[arg(long, default_value = "2026-01-01", value_name = "YYYY-MM-DD", value_parser = date_arg)]
    pub as_of: NaiveDate,
    /// Rank tie-break order of ids.
    #[arg(long, value_enum, default_value_t = BenchIdOrder::Auto)]
    pub id_order: BenchIdOrder,
    /// Scoring method (thresholds: recency 30/90/180/365 days, frequency
    /// 2/3/5/10, monetary 50/200/500/1000.00).
    #[arg(long, value_enum, default_value_t = MethodArg::Rank)]
    pub method: MethodArg,
}

/// `rfmkit report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub scoring: ScoringArgs,
    /// The earlier date of the segment migration matrix (default: 90 days
    /// before --as-of).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
    pub from: Option<NaiveDate>,
    /// Fit BG/NBD on the orders up to this date and chart calibration vs
    /// holdout (to --as-of) and P(alive).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
    pub calibration_end: Option<NaiveDate>,
    /// Acquisition cost per customer, in currency units (--scale
    /// decimals): CHANNEL=AMOUNT for one channel (repeatable), AMOUNT or
    /// '*=AMOUNT' for every other.
    #[arg(long, value_name = "[CHANNEL=]AMOUNT")]
    pub cac: Vec<String>,
    /// The currency's name on axes and tables (JPY, 円, EUR, ...).
    #[arg(long, default_value = "currency units", value_name = "NAME")]
    pub currency: String,
    /// A customers CSV (the format of `rfmkit audience --customers`): adds
    /// the email and SMS opt-ins per segment (who can be contacted).
    #[arg(long, value_name = "CUSTOMERS.csv")]
    pub customers: Option<PathBuf>,
    #[command(flatten)]
    pub kpi: KpiArgs,
    /// The HTML file to write.
    #[arg(long, short, value_name = "REPORT.html")]
    pub output: PathBuf,
}

/// `rfmkit plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub scoring: ScoringArgs,
    /// A customers CSV (opt-ins, birthday, tags, attr.*) for the programs'
    /// rules and channel opt-ins.
    #[arg(long, value_name = "CUSTOMERS.csv")]
    pub customers: Option<PathBuf>,
    /// The contact history CSV.
    #[arg(long, value_name = "HISTORY.csv")]
    pub history: Option<PathBuf>,
    /// The programs (and caps) as JSON.
    #[arg(long, value_name = "PROGRAMS.json")]
    pub programs: PathBuf,
    /// Write the plan there instead of stdout.
    #[arg(long, short, value_name = "PLAN.csv")]
    pub output: Option<PathBuf>,
    /// Write the steps not given, with their reasons.
    #[arg(long, value_name = "SKIPPED.csv")]
    pub skipped_steps: Option<PathBuf>,
}

/// `rfmkit lift`.
#[derive(Debug, Args)]
pub struct LiftArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The date the measurement is as of; later orders are errors.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date_arg)]
    pub as_of: NaiveDate,
    /// The contact history CSV.
    #[arg(long, value_name = "HISTORY.csv")]
    pub history: PathBuf,
    /// The program's key.
    #[arg(long, value_name = "KEY")]
    pub program: String,
    /// The attribution window, in days after entry.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub window: u32,
    /// The confidence level of the intervals.
    #[arg(long, value_name = "C", default_value_t = 0.95)]
    pub confidence: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

/// The KPI windows (`ltv`, `trend`, `report`).
#[derive(Debug, Args)]
pub struct KpiArgs {
    /// Days a first-time buyer has to buy again to count as an F2 conversion.
    #[arg(long, default_value_t = rfmkit::ltv::DEFAULT_F2_DAYS, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub f2_days: u32,
    /// Length of the churn period in days.
    #[arg(long, default_value_t = rfmkit::ltv::DEFAULT_CHURN_DAYS, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub churn_days: u32,
}

impl KpiArgs {
    /// A KPI config builder with these windows.
    pub fn builder(&self) -> rfmkit::ltv::KpiConfigBuilder {
        rfmkit::ltv::KpiConfig::builder()
            .f2_days(self.f2_days)
            .churn_days(self.churn_days)
    }
}
