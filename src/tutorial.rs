//! A walk through the pipeline on six orders, from your own data to segments.
//!
//! This module has no code: it is a tutorial in documentation form. Every
//! example runs as a test.
//!
//! # 1. Turn your records into [`Order`](crate::Order)s
//!
//! An order needs an id, a customer id, a date in the shop's calendar and an
//! amount in integer minor units. If your data has decimal amounts as text,
//! [`Money::parse_decimal`](crate::Money::parse_decimal) converts them
//! exactly (no floats); if it has UTC timestamps,
//! [`shop_date`](crate::order::shop_date) converts them with your shop's UTC
//! offset. Returns and cancellations get a status.
//!
//! ```
//! use chrono::NaiveDate;
//! use rfmkit::order::{shop_date, OrderStatus};
//! use rfmkit::{Money, Order};
//!
//! // (order id, customer, ISO date, amount as text)
//! let rows = [
//!     ("A-1", "alice", "2025-01-05", "45.00"),
//!     ("A-2", "alice", "2025-02-14", "30.00"),
//!     ("A-3", "alice", "2025-03-30", "60.00"),
//!     ("A-4", "bob", "2025-01-10", "12.00"),
//!     ("A-5", "carol", "2025-03-02", "25.00"),
//!     ("A-6", "carol", "2025-03-28", "-9.00"), // a refund
//! ];
//! let mut orders = Vec::new();
//! for (id, customer, date, amount) in rows {
//!     let date: NaiveDate = date.parse()?;
//!     let amount = Money::parse_decimal(amount, 2)?; // cents
//!     let status = if amount.is_negative() { OrderStatus::Returned } else { OrderStatus::Completed };
//!     orders.push(Order::new(id, customer, date, amount).with_status(status));
//! }
//! assert_eq!(orders[5].amount(), Money::new(-900));
//!
//! // A timestamp from a back end in Tokyo (UTC+9): 2025-01-04T20:00Z is 5 January there.
//! assert_eq!(shop_date(1_736_020_800, 9 * 3600)?, NaiveDate::from_ymd_opt(2025, 1, 5).ok_or("bad")?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # 2. Summarize as of a date
//!
//! Everything is computed *as of* a date you choose: rfmkit never reads the
//! clock. Orders after that date are an error by default, because they
//! usually mean the wrong date was passed.
//!
//! ```
//! # use chrono::NaiveDate;
//! # use rfmkit::order::OrderStatus;
//! # use rfmkit::{Money, Order};
//! use rfmkit::summary::Summaries;
//! # let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
//! # let orders = vec![
//! #     Order::new("A-1", "alice", d(1, 5)?, Money::new(4500)),
//! #     Order::new("A-2", "alice", d(2, 14)?, Money::new(3000)),
//! #     Order::new("A-3", "alice", d(3, 30)?, Money::new(6000)),
//! #     Order::new("A-4", "bob", d(1, 10)?, Money::new(1200)),
//! #     Order::new("A-5", "carol", d(3, 2)?, Money::new(2500)),
//! #     Order::new("A-6", "carol", d(3, 28)?, Money::new(-900)).with_status(OrderStatus::Returned),
//! # ];
//!
//! let as_of = NaiveDate::from_ymd_opt(2025, 3, 31).ok_or("bad date")?;
//! let summaries = Summaries::from_orders(&orders, as_of)?;
//!
//! let carol = summaries.get("carol").ok_or("carol missing")?;
//! assert_eq!(carol.orders(), 1); // the refund is not a purchase...
//! assert_eq!(carol.monetary(), Money::new(1600)); // ...but nets against monetary
//! assert_eq!(carol.recency_days(), Some(29)); // last purchase 2 March
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Real data has bad records. [`Validation::Lenient`](crate::summary::Validation)
//! skips them and tells you which and why, so nothing disappears silently:
//!
//! ```
//! # use chrono::NaiveDate;
//! # use rfmkit::{Money, Order};
//! use rfmkit::summary::{SummaryConfig, Validation};
//! # let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
//!
//! let orders = vec![
//!     Order::new("A-1", "alice", d(1, 5)?, Money::new(4500)),
//!     Order::new("A-1", "alice", d(1, 5)?, Money::new(4500)), // sent twice
//!     Order::new("A-7", "dave", d(4, 2)?, Money::new(800)),   // after the as-of date
//! ];
//! let out = SummaryConfig::new(d(3, 31)?).validation(Validation::Lenient).summarize(&orders)?;
//! assert_eq!(out.summaries.len(), 1);
//! for skipped in &out.skipped {
//!     println!("skipped: {}", skipped.reason);
//! }
//! assert_eq!(
//!     out.skipped[0].reason.to_string(),
//!     "order #1 (id A-1): duplicate order id, first seen at order #0; order ids must be unique"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # 3. Fit a model, then score
//!
//! A model is fitted once on a population and then frozen. Print it to see
//! exactly which cut points it uses; store it as JSON to score customers
//! elsewhere (a request path) with identical results.
//!
//! ```
//! # use chrono::NaiveDate;
//! # use rfmkit::order::OrderStatus;
//! # use rfmkit::summary::Summaries;
//! # use rfmkit::{Money, Order};
//! use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
//! # let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
//! # let orders = vec![
//! #     Order::new("A-1", "alice", d(1, 5)?, Money::new(4500)),
//! #     Order::new("A-2", "alice", d(2, 14)?, Money::new(3000)),
//! #     Order::new("A-3", "alice", d(3, 30)?, Money::new(6000)),
//! #     Order::new("A-4", "bob", d(1, 10)?, Money::new(1200)),
//! #     Order::new("A-5", "carol", d(3, 2)?, Money::new(2500)),
//! #     Order::new("A-6", "carol", d(3, 28)?, Money::new(-900)).with_status(OrderStatus::Returned),
//! # ];
//! # let summaries = Summaries::from_orders(&orders, d(3, 31)?)?;
//!
//! // Three bins, equal-count ranks (⌈3·r/N⌉): with three customers, one per bin.
//! let config = ScoringConfig::builder().bins(3).method(Method::Rank).build()?;
//! let model = RfmModel::fit(&config, &summaries);
//! println!("{}", model.display_table(2));
//!
//! let scores = model.score_all(&summaries);
//! let cells: Vec<String> = scores.iter().map(|s| format!("{} {}", s.customer, s.score)).collect();
//! // recency: bob (80 days) < carol (29) < alice (1); frequency: bob 1, carol 1, alice 3
//! // (the tie bob/carol is broken by id); monetary: bob 12.00 < carol 16.00 < alice 135.00.
//! assert_eq!(cells, ["alice 3-3-3", "bob 1-1-1", "carol 2-2-2"]);
//!
//! // Later, in another service: load the model and score one customer.
//! let stored = serde_json::to_string(&model)?;
//! let loaded: RfmModel = serde_json::from_str(&stored)?;
//! let bob = summaries.get("bob").ok_or("bob missing")?;
//! assert_eq!(loaded.score(&bob)?.to_string(), "1-1-1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The default method, [`Method::Quantile`](crate::rfm::Method::Quantile),
//! guarantees that equal values get equal scores; read the
//! [tie rules](crate::rfm#heavy-ties) before comparing with another tool.
//! [`Method::Thresholds`](crate::rfm::Method::Thresholds) uses your own
//! business cut points instead of learning them.
//!
//! # 4. Name the segments
//!
//! A [`SegmentTable`](crate::segment::SegmentTable) maps cells to names,
//! first match wins, with a fallback so everyone lands somewhere. Use a
//! preset or write your own for your number of bins:
//!
//! ```
//! # use chrono::NaiveDate;
//! # use rfmkit::order::OrderStatus;
//! # use rfmkit::summary::Summaries;
//! # use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
//! # use rfmkit::{Money, Order};
//! use rfmkit::segment::{SegmentRule, SegmentTable};
//! # let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
//! # let orders = vec![
//! #     Order::new("A-1", "alice", d(1, 5)?, Money::new(4500)),
//! #     Order::new("A-2", "alice", d(2, 14)?, Money::new(3000)),
//! #     Order::new("A-3", "alice", d(3, 30)?, Money::new(6000)),
//! #     Order::new("A-4", "bob", d(1, 10)?, Money::new(1200)),
//! #     Order::new("A-5", "carol", d(3, 2)?, Money::new(2500)),
//! #     Order::new("A-6", "carol", d(3, 28)?, Money::new(-900)).with_status(OrderStatus::Returned),
//! # ];
//! # let summaries = Summaries::from_orders(&orders, d(3, 31)?)?;
//! # let config = ScoringConfig::builder().bins(3).method(Method::Rank).build()?;
//! # let scores = RfmModel::fit(&config, &summaries).score_all(&summaries);
//!
//! let table = SegmentTable::builder(3)
//!     .rule(SegmentRule::new("best")?.r(3..=3).f(2..=3).describe("recent repeat buyers"))
//!     .rule(SegmentRule::new("slipping")?.r(1..=2).f(2..=3))
//!     .rule(SegmentRule::new("one_timer")?.f(1..=1))
//!     .fallback("other")
//!     .build()?;
//! let segments = table.segment_all(&scores)?;
//! let names: Vec<String> = segments.iter().map(|c| c.segment.to_string()).collect();
//! assert_eq!(names, ["best", "one_timer", "slipping"]);
//!
//! // Customers, revenue and mean R/F/M per segment, as a table or as JSON.
//! println!("{}", segments.report()?.display_table(2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # 5. Select a campaign audience
//!
//! [`Profiles`](crate::audience::Profiles) join each customer's summary,
//! scores and segment (and, optionally, their [`Customer`](crate::customer::Customer)
//! record). A rule can be typed by a marketer, stored as JSON, or built in
//! Rust; it compiles once and explains itself per customer. A condition on
//! a missing value is never true, so `!=` does not sneak in customers who
//! have no value at all.
//!
//! ```
//! # use chrono::NaiveDate;
//! # use rfmkit::order::OrderStatus;
//! # use rfmkit::summary::Summaries;
//! # use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
//! # use rfmkit::segment::{SegmentRule, SegmentTable};
//! # use rfmkit::{Money, Order};
//! use rfmkit::audience::{Profiles, Rule};
//! # let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
//! # let orders = vec![
//! #     Order::new("A-1", "alice", d(1, 5)?, Money::new(4500)),
//! #     Order::new("A-2", "alice", d(2, 14)?, Money::new(3000)),
//! #     Order::new("A-3", "alice", d(3, 30)?, Money::new(6000)),
//! #     Order::new("A-4", "bob", d(1, 10)?, Money::new(1200)),
//! #     Order::new("A-5", "carol", d(3, 2)?, Money::new(2500)),
//! #     Order::new("A-6", "carol", d(3, 28)?, Money::new(-900)).with_status(OrderStatus::Returned),
//! # ];
//! # let summaries = Summaries::from_orders(&orders, d(3, 31)?)?;
//! # let config = ScoringConfig::builder().bins(3).method(Method::Rank).build()?;
//! # let scores = RfmModel::fit(&config, &summaries).score_all(&summaries);
//! # let table = SegmentTable::builder(3)
//! #     .rule(SegmentRule::new("best")?.r(3..=3).f(2..=3))
//! #     .rule(SegmentRule::new("slipping")?.r(1..=2).f(2..=3))
//! #     .rule(SegmentRule::new("one_timer")?.f(1..=1))
//! #     .fallback("other")
//! #     .build()?;
//! # let segments = table.segment_all(&scores)?;
//!
//! let profiles = Profiles::builder(&segments, &summaries).build()?;
//! // Win back: slipping or one-time buyers whose last purchase is over 20 days old.
//! let rule = Rule::parse("segment in (slipping, one_timer) and last_order < -20d", &profiles.schema())?;
//! let compiled = profiles.compile(&rule)?;
//! let selected = compiled.selected();
//! let ids: Vec<&str> = selected.iter().map(|c| c.as_str()).collect();
//! assert_eq!(ids, ["bob", "carol"]); // last purchases 10 January and 2 March
//! println!("{}", compiled.explain("alice").ok_or("no profile")?); // why alice is not in it
//!
//! // A typo is an error that points at the column, with a suggestion.
//! let err = Rule::parse("segment in (slippng)", &profiles.schema()).unwrap_err();
//! assert!(err.to_string().contains("did you mean 'slipping'"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The [`campaign`](crate::campaign) module adds suppression lists, control
//! groups and top-N limits; the [`ltv`](crate::ltv) module measures LTV,
//! KPIs and cohorts beside the pipeline.
//!
//! # 6. Try it at scale
//!
//! The [`sim`](crate::sim) module generates a realistic shop, the same for
//! the same seed everywhere, for your integration tests and benchmarks; the
//! `quickstart` example runs this pipeline on 100,000 simulated orders.
