//! RFM (recency, frequency, monetary) customer segmentation for e-commerce
//! back ends: from a list of orders to every customer's RFM scores and named
//! segment, with numbers an analyst can check by hand.
//!
//! rfmkit is a library to embed: plain data types with serde, one error type
//! that says which order or customer was wrong, no panics on bad input, no
//! clock reads (every result is "as of" a date you pass), and deterministic
//! output in customer-id order.
//!
//! # Example
//!
//! Six orders of three customers, scored as of 31 March 2025 by equal-count
//! ranks (`⌈5·r/N⌉`, like SQL's `NTILE`), segmented with the standard preset, and turned
//! into a campaign audience by a one-line query:
//!
//! ```
//! use chrono::NaiveDate;
//! use rfmkit::audience::{Profiles, Rule};
//! use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
//! use rfmkit::segment::SegmentTable;
//! use rfmkit::summary::Summaries;
//! use rfmkit::{CustomerId, Money, Order};
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
//! let as_of = day(3, 31)?;
//!
//! // orders -> per-customer summaries
//! let summaries = Summaries::from_orders(&orders, as_of)?;
//! // summaries -> a frozen scoring model -> R, F, M scores (1..=5)
//! let config = ScoringConfig::builder().method(Method::Rank).build()?;
//! let model = RfmModel::fit(&config, &summaries);
//! let scores = model.score_all(&summaries);
//! // scores -> named segments
//! let segments = SegmentTable::standard().segment_all(&scores)?;
//!
//! // alice ranks 3rd of 3 in every dimension: score ⌈5·3/3⌉ = 5;
//! // bob ranks 1st: ⌈5·1/3⌉ = 2.
//! let alice = segments.get("alice").ok_or("alice missing")?;
//! assert_eq!(alice.scored.score.to_string(), "5-5-5");
//! assert_eq!(alice.segment.as_str(), "champions");
//! let bob = segments.get("bob").ok_or("bob missing")?;
//! assert_eq!((bob.scored.score.to_string().as_str(), bob.segment.as_str()), ("2-2-2", "dormant"));
//! println!("{}", model.display_table(2)); // the cuts the model uses
//! println!("{}", segments.report()?.display_table(2)); // customers and revenue per segment
//!
//! // segments -> a campaign audience, from a query a marketer can type
//! let profiles = Profiles::builder(&segments, &summaries).build()?;
//! let rule = Rule::parse("segment in (champions, loyal) and monetary >= 100.00", &profiles.schema())?;
//! let audience = profiles.compile(&rule)?.selected();
//! assert_eq!(audience, [CustomerId::from("alice")]); // carol (34.00) spent too little
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Overview
//!
//! The modules follow the pipeline, each stage using only earlier ones:
//!
//! ```text
//! orders ──► order log ──► summaries ──► RFM scores ──► segments ──► audiences ──► campaigns
//!                              │                            │          ▲              │
//!                              │                            ▼          │              ▼
//!                              │              timeline (snapshots,     │        programs (plans,
//!                              │              transitions, trends)     │        caps, lift)
//!                              └──► LTV, KPIs, cohorts, CLV ───────────┘ (predicted values)
//! ```
//!
//! - [`money`], [`id`]: [`Money`] in integer minor units; string ids
//!   ([`CustomerId`], [`OrderId`], ...).
//! - [`order`]: [`Order`], the input record, and its status policy (returns
//!   and cancellations). [`customer`]: [`Customer`](customer::Customer)
//!   records for campaigns.
//! - [`ingest`]: orders → the validated [`OrderLog`](ingest::OrderLog),
//!   the one ingest stage: strict or lenient validation with a full skip
//!   report, customer ids interned once into the
//!   [`CustomerIndex`](ingest::CustomerIndex) whose [`IdOrder`](ingest::IdOrder)
//!   (text or numeric) every later stage shares, rows stored as columns.
//!   From `&[Order]`, any iterator, or a push builder for loaders.
//! - [`summary`]: the log → [`Summaries`](summary::Summaries), one
//!   [`CustomerSummary`](summary::CustomerSummary) per customer (first/last
//!   order, counts, net revenue, margin), stored as columns; mergeable.
//! - [`rfm`]: fit an [`RfmModel`](rfm::RfmModel) (quantile, rank or fixed
//!   thresholds), then score customers in bulk or one at a time.
//! - [`segment`]: [`SegmentTable`](segment::SegmentTable) rules → one named
//!   segment per customer, and the [`SegmentReport`](segment::SegmentReport).
//! - [`audience`]: [`Profiles`](audience::Profiles) join summaries, scores,
//!   segments and customer records; audience [`Rule`](audience::Rule)s from
//!   a typed builder, versioned JSON or a one-line query
//!   (`segment in (at_risk, cant_lose_them) and last_order < -90d`),
//!   compiled once, evaluated over columns, and explained per customer.
//! - [`campaign`]: [`Audience`](campaign::Audience) sets (union,
//!   intersection, difference), suppression lists, deterministic control
//!   groups and top-N limits, run as a [`Campaign`](campaign::Campaign).
//! - [`timeline`]: segments over time — [`Snapshot`](timeline::Snapshot)s,
//!   [`Transitions`](timeline::Transitions) between two dates (migration
//!   matrix, per-customer changes, entry and exit events) with a frozen or
//!   refitted model, and KPI and segment-mix [`Trend`](timeline::Trend)s;
//!   incremental updates live with the summaries
//!   ([`LiveSummaries`](summary::LiveSummaries)).
//! - [`program`]: CRM programs planned day by day — a
//!   [`ContactHistory`](program::ContactHistory),
//!   [`Program`](program::Program)s as validated data, the seeds'
//!   [`presets`](program::presets), frequency caps and priorities in the
//!   [`Planner`](program::Planner), loyalty tiers, and measured
//!   [`Lift`](program::Lift) against the control group.
//! - [`ltv`]: the seeds' LTV formulas (exact), population KPIs (AOV, repeat
//!   rate, F2 conversion, churn, historical LTV), breakdowns per acquisition
//!   channel and store, multi-store merge, monthly cohorts with the LTV
//!   curve, and LTV against CAC.
//! - [`clv`]: predictive CLV — BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma
//!   fitted by maximum likelihood (reproducing the published CDNOW fits),
//!   per-customer P(alive), expected purchases, expected spend and
//!   discounted CLV, and the calibration-vs-holdout check.
//! - [`sim`]: a deterministic shop simulator for examples, tests and
//!   benchmarks.
//! - [`error`]: the [`Error`] type.
//! - [`tutorial`]: a walk through the pipeline, from your own records to
//!   segments.
//!
//! # Dates and money
//!
//! Order dates are [`chrono::NaiveDate`]s in the shop's calendar
//! ([`order::shop_date`] converts a UTC timestamp); recency is
//! `as_of − last order date` in days. Amounts are [`Money`]: `i64` minor
//! units, summed with overflow checks; the crate does not track currencies.
//!
//! # Stored JSON
//!
//! Every type with `Deserialize` is a trust boundary: a document read back
//! from a database or a file may have been edited by hand, by another
//! service or by an attacker. Loading therefore
//!
//! - goes through the type's checked constructor, so an invalid value is an
//!   [`Error`] naming the field (a path such as `customers[3].orders`) and
//!   the customer, never a silently wrong result (each type's docs list its
//!   invariants);
//! - rejects keys the type does not know (`unknown field "R", expected one
//!   of "name", "r", ...`), so a typo is an error rather than a default.
//!
//! **Adding fields later.** A field added in a later rfmkit release is
//! optional on load (`#[serde(default)]`, with the value that means "as
//! before"), so documents written by older releases keep loading; documents
//! written by a newer release that carry a field this release does not know
//! are rejected, by name, rather than half-read. A change that is not
//! additive bumps the format version of the types that carry one
//! ([`audience::StoredRule::VERSION`], also used by
//! [`campaign::Campaign`]); a reader refuses a version it does not know
//! with [`Error::UnsupportedVersion`].
//!
//! # Crate features
//!
//! - `parallel` (**on by default**): summaries, fitting, scoring,
//!   segmenting, profiles and rule evaluation run on all cores of rayon's
//!   current thread pool, with
//!   results bit-identical to one thread. Adds the `rayon` dependency;
//!   depend on rfmkit with `default-features = false` for a build without
//!   threads (everything then runs on the calling thread).
//! - `charts` (off by default): the `charts` module, SVG
//!   charts with their data tables (RFM heatmap, segment bars,
//!   distributions, cohort retention, LTV curves and LTV/CAC, calibration
//!   vs holdout, P(alive), segment migration, segment sizes over time,
//!   opt-ins per segment). Adds no dependency.
//! - `arrow` (off by default): [`ingest::arrow`](crate::ingest), orders
//!   from Arrow `RecordBatch`es (a Parquet file read with the `parquet`
//!   crate, an IPC stream, a query engine's result) straight into the
//!   ingest stage, without text: integer or string customer ids,
//!   `date32`/`date64`/timestamp dates converted to the shop's day with an
//!   offset or your own conversion, decimal or integer amounts checked
//!   exactly against the money scale. Adds `arrow-array`, `arrow-buffer`
//!   and `arrow-schema` (arrow-rs 59, without default features; no compute
//!   kernels, no IO).
//!
//! Everything else is always available.
//!
//! # Changes
//!
//! See `CHANGELOG.md` in the repository.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![doc(test(attr(deny(warnings))))]

pub mod audience;
mod bounded;
pub mod campaign;
#[cfg(feature = "charts")]
pub mod charts;
pub mod clv;
pub mod customer;
pub mod error;
pub mod id;
pub mod ingest;
pub mod ltv;
pub mod money;
pub mod order;
mod par;
pub mod program;
pub mod rfm;
pub mod segment;
pub mod sim;
pub mod summary;
mod table;
pub mod timeline;
pub mod tutorial;

pub use error::{Error, Result};
pub use id::{CustomerId, OrderId};
pub use money::Money;
pub use order::Order;

/// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
