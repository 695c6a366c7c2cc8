//! The partitioned run over Parquet files written in several parts equals
//! the in-process pipeline.

use chrono::NaiveDate;
use datafusion::prelude::ParquetReadOptions;
use rfmkit::ingest::IdOrder;
use rfmkit::sim::SimConfig;
use rfmkit_datafusion::{Scoring, run};

use crate::support;

#[test]
fn parquet_parts_give_the_in_process_results() {
    let as_of = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let shop = SimConfig::builder()
        .seed(7)
        .customers(1_500)
        .orders(15_000)
        .start(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap())
        .as_of(as_of)
        .with_costs(true)
        .build()
        .unwrap()
        .generate();
    let batch = support::orders_batch(shop.orders()).unwrap();
    let dir = std::env::temp_dir().join(format!("rfmkit-df-parquet-test-{}", std::process::id()));
    // 5 files, rows dealt unevenly so each customer spans several files.
    support::write_parts(&dir, &batch, 5, |i| (i * 7 + i / 3) % 5).unwrap();
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 5);

    let ctx = support::session(as_of, 8);
    let rt = support::runtime(2).unwrap();
    let (sql_batches, with_cost) = rt
        .block_on(async {
            ctx.register_parquet(
                "orders",
                dir.to_str().unwrap(),
                ParquetReadOptions::default(),
            )
            .await?;
            let plain = ctx.sql(support::SQL).await?.collect().await?;
            let cost = ctx.sql(support::SQL_COST).await?.collect().await?;
            Ok::<_, datafusion::error::DataFusionError>((plain, cost))
        })
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let table = support::bench_table().unwrap();
    let log =
        support::log_from_batches(std::slice::from_ref(&batch), as_of, IdOrder::Text).unwrap();
    let (summaries, model, scores, segmentation) = support::in_process(&log, &table).unwrap();
    assert!(summaries.len() > 1_000, "{}", summaries.len());
    assert!(summaries.iter().any(|s| s.margin().is_some()));
    assert!(summaries.iter().any(|s| s.returns() > 0));

    // With costs: everything equal, margins included.
    let out = run(
        &with_cost,
        as_of,
        IdOrder::Text,
        &Scoring::Fit(support::rank_config().unwrap()),
        &table,
    )
    .unwrap();
    assert_eq!(out.summaries, summaries);
    assert_eq!(out.model, model);
    assert_eq!(out.scores, scores);
    assert_eq!(out.segmentation, segmentation);
    let expected = support::checksums(&summaries, &scores, &segmentation).unwrap();
    assert_eq!(support::outcome_checksums(&out).unwrap(), expected);
    assert!(expected.audience > 0);

    // Without costs: margins unknown, scores and segments the same, and a
    // frozen model applied gives the same scores.
    let frozen = run(
        &sql_batches,
        as_of,
        IdOrder::Text,
        &Scoring::Frozen(model.clone()),
        &table,
    )
    .unwrap();
    assert!(frozen.summaries.iter().all(|s| s.margin().is_none()));
    assert_eq!(frozen.scores, scores);
    assert_eq!(frozen.segmentation, segmentation);
    assert_eq!(
        frozen.audience(support::QUERY).unwrap().len(),
        expected.audience
    );
}
