//! Segments over time: where every customer stood on a date, who moved
//! between two dates, and the entry and exit events that programs trigger
//! on.
//!
//! A back end does not segment once: it keeps a [`Snapshot`] per night or
//! per month and compares two of them with [`Transitions`]:
//!
//! - the **migration matrix** — customers and their monetary at both dates
//!   for every (segment before, segment after) pair, with customers absent
//!   from one side (new customers, customers who left the scored
//!   population) on their own rows;
//! - the **change list** — one [`Change`] per customer whose segment or
//!   scores moved (`C123: loyal 4-4-3 → at_risk 2-4-3`);
//! - **events** — [`SegmentEvent`]s, "entered `at_risk`" and "left
//!   `champions`", the triggers of CRM programs.
//!
//! Over a whole series of dates (month ends from [`series`]), a [`Trend`]
//! gives the KPIs ([`Kpis`](crate::ltv::Kpis): customers, active
//! customers, AOV, repeat rate, F2 conversion, churn, historical LTV) and
//! the segment mix at every date, in total or per acquisition channel or
//! store, in one pass over the log.
//!
//! The trend lives here rather than in [`ltv`](crate::ltv) because its
//! segment mix needs [`rfm`](crate::rfm) and [`segment`](crate::segment),
//! which `ltv` (a sibling of scoring, fed by summaries) does not use; the
//! KPI definitions stay in `ltv` and are shared, not copied.
//!
//! # Frozen model or refit
//!
//! Two snapshots can be scored two ways, and the difference matters:
//!
//! - [`ModelMode::Frozen`] (the default of [`Transitions::from_log`]): the
//!   first date's fitted [`RfmModel`] — its cut points — scores both dates.
//!   A customer who moves has changed: their recency grew past a cut, they
//!   bought again, they were refunded.
//! - [`ModelMode::Refit`]: each date is scored by a model fitted on that
//!   date's population. A customer can then move without doing anything,
//!   because everyone else did (a busy December raises the monetary cuts
//!   and pushes quiet customers down).
//!
//! Use the frozen mode to act on customers (campaign triggers), the refit
//! mode to see the segments as an analyst would re-run them each month.
//!
//! # Example
//!
//! Three customers compared at the end of March and of June, with March's
//! frozen cuts (rank method, 5 bins, the standard table). In March alice
//! (2 orders, 11 days ago) ranks above bob on every dimension: 5-5-5
//! against ⌈5·1/2⌉ = 3-3-3. Neither buys again, so by June both fall
//! below every recency cut (R = 1); carol, who first bought in May, is
//! placed against March's cuts.
//!
//! ```
//! use chrono::NaiveDate;
//! use rfmkit::ingest::IngestConfig;
//! use rfmkit::rfm::{Method, ScoringConfig};
//! use rfmkit::segment::SegmentTable;
//! use rfmkit::timeline::{ModelMode, Transitions};
//! use rfmkit::Money;
//!
//! let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
//! let mut log = IngestConfig::new(day(6, 30)?).builder();
//! log.push("alice", day(3, 1)?, Money::new(5_000))?;
//! log.push("alice", day(3, 20)?, Money::new(4_000))?;
//! log.push("bob", day(1, 5)?, Money::new(2_000))?;
//! log.push("carol", day(5, 1)?, Money::new(4_000))?;
//! let log = log.build()?;
//!
//! let config = ScoringConfig::builder().method(Method::Rank).build()?;
//! let table = SegmentTable::standard();
//! let moves = Transitions::from_log(&log, day(3, 31)?, &config, &table, ModelMode::Frozen)?;
//! let changes: Vec<String> = moves.changes().iter().map(ToString::to_string).collect();
//! assert_eq!(changes, [
//!     "alice: champions 5-5-5 → cant_lose_them 1-5-5",
//!     "bob: need_attention 3-3-3 → at_risk 1-3-3",
//!     "carol: (absent) → need_attention 3-3-3",
//! ]);
//! assert_eq!(moves.entered("at_risk").collect::<Vec<_>>(), ["bob"]);
//! assert_eq!(moves.new_customers().collect::<Vec<_>>(), ["carol"]);
//! println!("{moves}"); // the migration matrix
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`RfmModel`]: crate::rfm::RfmModel

mod snapshot;
mod transition;
mod trend;

pub use snapshot::{Snapshot, SnapshotRow};
pub use transition::{
    Change, EventKind, Migration, ModelMode, SegmentEvent, Standing, Transitions,
};
pub use trend::{Every, SegmentShare, Trend, TrendConfig, TrendConfigBuilder, TrendPoint, series};
