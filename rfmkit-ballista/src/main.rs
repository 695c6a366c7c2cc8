//! `rfmkit-ballista`: a Ballista scheduler, an executor and a query client
//! with rfmkit's `rfm_summary` compiled in (see the crate README).
//!
//! ```text
//! rfmkit-ballista scheduler --port 50050
//! rfmkit-ballista executor --port 50051 --grpc-port 50052 --concurrent-tasks 1
//! rfmkit-ballista executor --port 50061 --grpc-port 50062 --concurrent-tasks 1
//! rfmkit-ballista query --input PARTS_DIR --as-of 2026-01-01
//! rfmkit-ballista simulate DIR
//! ```
//!
//! `query` prints one JSON line with the same checksums as
//! `rfmkit-datafusion`'s `partitioned` example (segment counts, audience
//! size, Σ recency / frequency / monetary): under `ballista` for the
//! cluster run and, unless `--no-compare`, under `datafusion` (the same
//! query in this process) and `in_process` (rfmkit's own pipeline on the
//! same rows). Exit status 1 if they disagree, 2 on an error.

#[path = "../../rfmkit-datafusion/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::ParquetReadOptions;
use rfmkit::ingest::IdOrder;
use rfmkit::sim::SimConfig;
use rfmkit_datafusion::{Outcome, Scoring, run};
use support::BoxError;

/// A Ballista scheduler, executor and query client with rfmkit's
/// `rfm_summary` aggregate compiled in.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scheduler (until killed).
    Scheduler {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind_host: String,
        /// gRPC port for clients and executors.
        #[arg(long, default_value_t = 50050)]
        port: u16,
    },
    /// Run an executor (until killed). It needs no as-of date: the date
    /// travels with each plan.
    Executor {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind_host: String,
        /// Arrow Flight port (shuffle data, results).
        #[arg(long, default_value_t = 50051)]
        port: u16,
        /// gRPC port (tasks from the scheduler).
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// Scheduler host.
        #[arg(long, default_value = "localhost")]
        scheduler_host: String,
        /// Scheduler port.
        #[arg(long, default_value_t = 50050)]
        scheduler_port: u16,
        /// Tasks run at the same time (Ballista's vcores).
        #[arg(long, default_value_t = 1)]
        concurrent_tasks: usize,
        /// Directory for shuffle files (default: a temporary directory).
        #[arg(long)]
        work_dir: Option<String>,
    },
    /// Run the `rfm_summary` GROUP BY on the cluster, then rfmkit's
    /// scoring, segments and audience; print one JSON line of checksums.
    Query {
        /// Scheduler URL.
        #[arg(long, default_value = "df://localhost:50050")]
        scheduler: String,
        /// Directory of Parquet files with customer_id, order_date (DATE),
        /// amount (integer minor units) and status (text).
        #[arg(long)]
        input: String,
        /// As-of date (YYYY-MM-DD); orders after it are errors.
        #[arg(long, default_value = "2026-01-01")]
        as_of: NaiveDate,
        /// DataFusion target_partitions of the query.
        #[arg(long, default_value_t = 8)]
        partitions: usize,
        /// Worker threads of this process (client and the local comparison).
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Runs of the cluster query (the median time is reported).
        #[arg(long, default_value_t = 1)]
        repeat: usize,
        /// Skip the local comparison (DataFusion in this process and
        /// rfmkit's in-process pipeline on the same rows).
        #[arg(long)]
        no_compare: bool,
    },
    /// Write the shop that `partitioned` simulates without `--input`
    /// (20 000 customers, 200 000 orders, seed 14, as of 2026-01-01) as 8
    /// Parquet parts into DIR.
    Simulate {
        /// Output directory (created).
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("info,h2=warn,tower=warn,hyper=warn"),
    )
    .init();
    match main_inner(cli.command) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// A multi-threaded runtime with Ballista's binaries' large stacks (deep
/// plans are planned recursively).
fn server_runtime() -> Result<tokio::runtime::Runtime, BoxError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 * 1024 * 1024)
        .build()?)
}

fn main_inner(command: Command) -> Result<bool, BoxError> {
    match command {
        Command::Scheduler { bind_host, port } => {
            let config = rfmkit_ballista::scheduler_config(&bind_host, port);
            let addr: std::net::SocketAddr = format!("{bind_host}:{port}").parse()?;
            server_runtime()?.block_on(async move {
                let cluster =
                    ballista_scheduler::cluster::BallistaCluster::new_from_config(&config).await?;
                ballista_scheduler::scheduler_process::start_server(
                    cluster,
                    addr,
                    std::sync::Arc::new(config),
                )
                .await
            })?;
            Ok(true)
        }
        Command::Executor {
            bind_host,
            port,
            grpc_port,
            scheduler_host,
            scheduler_port,
            concurrent_tasks,
            work_dir,
        } => {
            if concurrent_tasks == 0 {
                return Err("--concurrent-tasks must be >= 1".into());
            }
            let mut config = rfmkit_ballista::executor_config(port, grpc_port, concurrent_tasks);
            config.bind_host = bind_host;
            config.scheduler_host = scheduler_host;
            config.scheduler_port = scheduler_port;
            config.work_dir = work_dir;
            server_runtime()?.block_on(
                ballista_executor::executor_process::start_executor_process(std::sync::Arc::new(
                    config,
                )),
            )?;
            Ok(true)
        }
        Command::Query {
            scheduler,
            input,
            as_of,
            partitions,
            threads,
            repeat,
            no_compare,
        } => {
            if partitions == 0 || threads == 0 || repeat == 0 {
                return Err("--partitions, --threads and --repeat must be >= 1".into());
            }
            query(&Query {
                scheduler,
                input,
                as_of,
                partitions,
                threads,
                repeat,
                compare: !no_compare,
            })
        }
        Command::Simulate { dir } => {
            let shop = SimConfig::builder()
                .seed(14)
                .customers(20_000)
                .orders(200_000)
                .start(NaiveDate::from_ymd_opt(2024, 1, 1).ok_or("date")?)
                .as_of(NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("date")?)
                .with_costs(true)
                .build()?
                .generate();
            let batch = support::orders_batch(shop.orders())?;
            support::write_parts(&dir, &batch, 8, |i| i)?;
            eprintln!(
                "wrote {} orders as 8 Parquet parts to {}",
                batch.num_rows(),
                dir.display()
            );
            Ok(true)
        }
    }
}

struct Query {
    scheduler: String,
    input: String,
    as_of: NaiveDate,
    partitions: usize,
    threads: usize,
    repeat: usize,
    compare: bool,
}

/// One timed run: the grouped query's batches, then rfmkit on them.
struct Timed {
    outcome: Outcome,
    sums: support::Checksums,
    id_order: IdOrder,
    times: Vec<f64>,
    agg_times: Vec<f64>,
}

fn timed(
    repeat: usize,
    as_of: NaiveDate,
    mut collect: impl FnMut() -> Result<Vec<RecordBatch>, BoxError>,
) -> Result<Timed, BoxError> {
    let table = support::bench_table()?;
    let mut times = Vec::new();
    let mut agg_times = Vec::new();
    let mut last = None;
    for _ in 0..repeat {
        let t = Instant::now();
        let batches = collect()?;
        agg_times.push(t.elapsed().as_secs_f64());
        let id_order = if support::integer_ids(&batches) {
            IdOrder::Numeric
        } else {
            IdOrder::Text
        };
        let outcome = run(
            &batches,
            as_of,
            id_order,
            &Scoring::Fit(support::rank_config()?),
            &table,
        )?;
        let sums = support::outcome_checksums(&outcome)?;
        times.push(t.elapsed().as_secs_f64());
        last = Some((outcome, sums, id_order));
    }
    let (outcome, sums, id_order) = last.ok_or("no run")?;
    Ok(Timed {
        outcome,
        sums,
        id_order,
        times,
        agg_times,
    })
}

fn section(t: &Timed) -> serde_json::Value {
    serde_json::json!({
        "median_seconds": support::median(&t.times),
        "aggregate_median_seconds": support::median(&t.agg_times),
        "times": t.times,
        "checksums": t.sums.to_json(),
    })
}

fn query(q: &Query) -> Result<bool, BoxError> {
    // Timers and IO on: the gRPC client needs them.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(q.threads)
        .enable_all()
        .build()?;
    let ctx = runtime.block_on(async {
        let ctx = rfmkit_ballista::connect(&q.scheduler, q.as_of, q.partitions).await?;
        ctx.register_parquet("orders", &q.input, ParquetReadOptions::default())
            .await?;
        Ok::<_, BoxError>(ctx)
    })?;
    let cluster = timed(q.repeat, q.as_of, || {
        Ok(runtime.block_on(async { ctx.sql(support::SQL).await?.collect().await })?)
    })?;
    let mut line = serde_json::json!({
        "input": q.input,
        "scheduler": q.scheduler,
        "threads": q.threads,
        "target_partitions": q.partitions,
        "customers": cluster.outcome.summaries.len(),
        "ballista": section(&cluster),
    });
    let mut equal = true;
    if q.compare {
        // The same query in this process (as the `partitioned` example)...
        let local = support::session(q.as_of, q.partitions);
        runtime.block_on(local.register_parquet(
            "orders",
            &q.input,
            ParquetReadOptions::default(),
        ))?;
        let df = timed(q.repeat, q.as_of, || {
            Ok(runtime.block_on(async { local.sql(support::SQL).await?.collect().await })?)
        })?;
        // ...and rfmkit's in-process pipeline on the same rows.
        let t = Instant::now();
        let rows = runtime.block_on(async {
            local
                .sql("SELECT customer_id, order_date, amount, status FROM orders")
                .await?
                .collect()
                .await
        })?;
        let log = support::log_from_batches(&rows, q.as_of, cluster.id_order)?;
        drop(rows);
        let load = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let (summaries, _, scores, segmentation) =
            support::in_process(&log, &support::bench_table()?)?;
        let ip_sums = support::checksums(&summaries, &scores, &segmentation)?;
        let ip_time = t.elapsed().as_secs_f64();
        let summaries_equal =
            summaries == cluster.outcome.summaries && summaries == df.outcome.summaries;
        equal = summaries_equal && ip_sums == cluster.sums && ip_sums == df.sums;
        line["orders"] = (log.rows() + log.cancelled()).into();
        line["datafusion"] = section(&df);
        line["in_process"] = serde_json::json!({
            "load_seconds": load,
            "median_seconds": ip_time,
            "times": [ip_time],
            "checksums": ip_sums.to_json(),
        });
        line["summaries_equal"] = summaries_equal.into();
        line["equal"] = equal.into();
    }
    println!("{line}");
    if !equal {
        eprintln!("the Ballista run and the local runs disagree");
    }
    Ok(equal)
}
