//! A scheduler and two executors in this process (gRPC on localhost, as
//! separate processes would talk), none of which knows an as-of date: the
//! client's `rfm_summary` reaches them through the codecs, and the result
//! equals rfmkit's in-process pipeline on the same orders.
//!
//! Not run by the workspace CI (this crate is outside the workspace); run
//! with `cargo test --manifest-path rfmkit-ballista/Cargo.toml`.

#[path = "../../rfmkit-datafusion/tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use datafusion::prelude::ParquetReadOptions;
use rfmkit::ingest::IdOrder;
use rfmkit::sim::SimConfig;
use rfmkit_datafusion::{Scoring, run};
use support::BoxError;

fn free_port() -> Result<u16, BoxError> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

#[test]
fn two_executors_give_the_in_process_result() -> Result<(), BoxError> {
    // An as-of date no process but the client is told.
    let as_of = NaiveDate::from_ymd_opt(2025, 7, 1).ok_or("date")?;
    let shop = SimConfig::builder()
        .seed(3)
        .customers(1_500)
        .orders(12_000)
        .start(NaiveDate::from_ymd_opt(2024, 1, 1).ok_or("date")?)
        .as_of(as_of)
        .build()?
        .generate();
    let dir = std::env::temp_dir().join(format!("rfmkit-ballista-test-{}", std::process::id()));
    let batch = support::orders_batch(shop.orders())?;
    support::write_parts(&dir, &batch, 4, |i| i)?;
    let input = dir.to_string_lossy().into_owned();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let port = free_port()?;
        let config = rfmkit_ballista::scheduler_config("127.0.0.1", port);
        let cluster =
            ballista_scheduler::cluster::BallistaCluster::new_from_config(&config).await?;
        let addr = format!("127.0.0.1:{port}").parse()?;
        tokio::spawn(ballista_scheduler::scheduler_process::start_server(
            cluster,
            addr,
            Arc::new(config),
        ));
        for _ in 0..2 {
            let mut config = rfmkit_ballista::executor_config(free_port()?, free_port()?, 1);
            config.scheduler_port = port;
            tokio::spawn(ballista_executor::executor_process::start_executor_process(
                Arc::new(config),
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;

        let ctx = rfmkit_ballista::connect(&format!("df://localhost:{port}"), as_of, 4).await?;
        ctx.register_parquet("orders", &input, ParquetReadOptions::default())
            .await?;
        let batches = ctx.sql(support::SQL).await?.collect().await?;

        let local = support::session(as_of, 1);
        local
            .register_parquet("orders", &input, ParquetReadOptions::default())
            .await?;
        let rows = local
            .sql("SELECT customer_id, order_date, amount, status FROM orders")
            .await?
            .collect()
            .await?;
        Ok::<_, BoxError>((batches, rows))
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    std::fs::remove_dir_all(&dir)?;
    let (batches, rows) = result?;

    let table = support::bench_table()?;
    let out = run(
        &batches,
        as_of,
        IdOrder::Text,
        &Scoring::Fit(support::rank_config()?),
        &table,
    )?;
    let log = support::log_from_batches(&rows, as_of, IdOrder::Text)?;
    let (summaries, _, scores, segmentation) = support::in_process(&log, &table)?;
    assert!(summaries.len() > 1_000, "{} customers", summaries.len());
    assert_eq!(out.summaries, summaries);
    assert_eq!(
        support::outcome_checksums(&out)?,
        support::checksums(&summaries, &scores, &segmentation)?
    );
    Ok(())
}
