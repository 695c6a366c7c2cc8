//! The order-CSV loader (`rfmkit-cli/src/load.rs`): a generated CSV of
//! 200k orders from 20k customers, shaped like the 10M-row benchmark file
//! (`order_id,customer_id,order_date,amount,channel`, date-sorted, 9-digit
//! integer customer ids), loaded into the ingest stage on 1 and 2 threads,
//! and the same rows with quoted cells (the csv-crate path). The file is
//! written once and read from the page cache, so the numbers are parsing
//! and building, not disk.
//!
//! ```text
//! cargo bench -p rfmkit-cli --bench load
//! ```

// The loader is a module of the binary; the bench compiles it in directly
// and uses only part of it.
#[allow(dead_code)]
#[path = "../src/load.rs"]
mod load;
// `load.rs` hands `.parquet` inputs to this module.
#[allow(dead_code)]
#[path = "../src/parquet.rs"]
mod parquet;

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use chrono::NaiveDate;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rfmkit::ingest::IngestConfig;

use load::{ParseOptions, load_orders};

/// `rows` orders of `customers` customers over 2023-2025, in date order,
/// with a fixed linear congruential generator (no dependency, same bytes
/// on every machine). `quoted` wraps the channel in quotes.
fn orders_csv(rows: u64, customers: u64, quoted: bool) -> String {
    let mut text = String::from("order_id,customer_id,order_date,amount,channel\n");
    let mut state: u64 = 7;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).expect("valid date");
    let channels = ["web", "app", "store"];
    for i in 0..rows {
        let customer = 100_000_000 + (next() % customers) * 7_919;
        let day = start + chrono::Days::new(i * 1_095 / rows);
        let cents = next() % 50_000;
        let channel = channels[usize::try_from(next() % 3).expect("small")];
        let q = if quoted { "\"" } else { "" };
        writeln!(
            text,
            "{},{customer},{day},{}.{:02},{q}{channel}{q}",
            i + 1,
            cents / 100,
            cents % 100
        )
        .expect("write to a String");
    }
    text
}

fn load(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = IngestConfig::new(NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date"));
    let options = ParseOptions {
        scale: 2,
        zone: None,
        lenient: false,
    };
    let mut group = c.benchmark_group("load_orders");
    group.sample_size(10);
    for (name, quoted) in [("plain", false), ("quoted", true)] {
        let text = orders_csv(200_000, 20_000, quoted);
        let path = dir.path().join(format!("{name}.csv"));
        std::fs::write(&path, &text).expect("write the CSV");
        group.throughput(Throughput::Bytes(text.len() as u64));
        let threads: &[usize] = if quoted { &[1] } else { &[1, 2] };
        for &threads in threads {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            group.bench_with_input(
                BenchmarkId::new(name, format!("{threads}_threads")),
                Path::new(&path),
                |b, path| {
                    b.iter(|| {
                        let file = pool
                            .install(|| load_orders(black_box(path), &config, options, |b| b))
                            .expect("a valid file");
                        assert_eq!(file.log.rows(), 200_000);
                        file
                    });
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
