//! Orders → summaries, at 10k and 100k simulated orders.

use std::hint::black_box;

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rfmkit::ingest::{IngestConfig, OrderRecord};
use rfmkit::rfm::{RfmModel, ScoringConfig};
use rfmkit::sim::SimConfig;
use rfmkit::summary::{LiveSummaries, Summaries};

fn summarize(c: &mut Criterion) {
    let mut group = c.benchmark_group("summarize");
    for orders in [10_000_usize, 100_000] {
        let shop = SimConfig::builder()
            .customers(orders / 5)
            .orders(orders)
            .seed(7)
            .build()
            .expect("valid simulator config")
            .generate();
        let as_of = shop.as_of();
        group.throughput(Throughput::Elements(shop.orders().len() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(orders),
            shop.orders(),
            |b, o| {
                b.iter(|| Summaries::from_orders(black_box(o), as_of).expect("valid orders"));
            },
        );
    }
    group.finish();
}

/// Issue 12's request path: apply one new order to live summaries of a
/// 20k-customer shop (100k orders) and re-score that customer against the
/// frozen model. Target: <= 1 µs median.
fn live_apply_and_rescore(c: &mut Criterion) {
    let shop = SimConfig::builder()
        .customers(20_000)
        .orders(100_000)
        .seed(7)
        .build()
        .expect("valid simulator config")
        .generate();
    let as_of = shop.as_of();
    let mut live = LiveSummaries::new(IngestConfig::new(as_of));
    for order in shop.orders() {
        live.apply_order(order).expect("valid orders");
    }
    let model = RfmModel::fit(
        &ScoringConfig::default(),
        &live.summaries().expect("summaries"),
    );
    let customers: Vec<String> = shop
        .customers()
        .iter()
        .map(|c| c.id().to_string())
        .collect();
    let mut next = 0_usize;
    let mut group = c.benchmark_group("live");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("apply_and_rescore", |b| {
        b.iter_custom(|iters| {
            // Unique order ids, made before the clock starts.
            let ids: Vec<String> = (0..iters).map(|i| format!("L-{next}-{i}")).collect();
            next += 1;
            let start = Instant::now();
            for (k, id) in ids.iter().enumerate() {
                let customer = &customers[k % customers.len()];
                let record =
                    OrderRecord::new(customer, as_of, rfmkit::Money::new(1_500)).order_id(id);
                live.apply(black_box(record)).expect("valid order");
                let summary = live.get(customer).expect("known customer");
                black_box(model.score(&summary).expect("scored"));
            }
            start.elapsed()
        });
    });
    group.finish();
}

criterion_group!(benches, summarize, live_apply_and_rescore);
criterion_main!(benches);
