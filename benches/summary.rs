//! Orders → summaries, at 10k and 100k simulated orders.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rfmkit::sim::SimConfig;
use rfmkit::summary::Summaries;

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

criterion_group!(benches, summarize);
criterion_main!(benches);
