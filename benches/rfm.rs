//! Summaries → RFM model → scores → segments, at 10k and 100k simulated
//! orders, plus scoring a single customer against a frozen model.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
use rfmkit::segment::SegmentTable;
use rfmkit::sim::SimConfig;
use rfmkit::summary::Summaries;

fn summaries(orders: usize) -> Summaries {
    let shop = SimConfig::builder()
        .customers(orders / 5)
        .orders(orders)
        .seed(7)
        .build()
        .expect("valid simulator config")
        .generate();
    Summaries::from_orders(shop.orders(), shop.as_of()).expect("valid orders")
}

fn scoring(c: &mut Criterion) {
    let quantile = ScoringConfig::default();
    let rank = ScoringConfig::builder()
        .method(Method::Rank)
        .build()
        .expect("valid config");
    let table = SegmentTable::standard();
    for orders in [10_000_usize, 100_000] {
        let s = summaries(orders);
        let mut group = c.benchmark_group(format!("rfm/{orders}_orders"));
        group.throughput(Throughput::Elements(s.len() as u64));
        for (name, config) in [("quantile", &quantile), ("rank", &rank)] {
            group.bench_with_input(BenchmarkId::new("fit", name), &s, |b, s| {
                b.iter(|| RfmModel::fit(black_box(config), black_box(s)));
            });
        }
        let model = RfmModel::fit(&quantile, &s);
        group.bench_with_input(BenchmarkId::new("score_all", "quantile"), &s, |b, s| {
            b.iter(|| model.score_all(black_box(s)));
        });
        let scores = model.score_all(&s);
        group.bench_with_input(
            BenchmarkId::new("segment_all", "standard"),
            &scores,
            |b, sc| {
                b.iter(|| table.segment_all(black_box(sc)).expect("matching bins"));
            },
        );
        group.finish();
    }

    let s = summaries(100_000);
    let mut single = c.benchmark_group("rfm/score_one_customer");
    single.throughput(Throughput::Elements(1));
    for (name, config) in [("quantile", &quantile), ("rank", &rank)] {
        let model = RfmModel::fit(config, &s);
        let customer = s.iter().nth(s.len() / 2).expect("non-empty population");
        single.bench_function(name, |b| b.iter(|| model.score(black_box(&customer))));
    }
    single.finish();
}

criterion_group!(benches, scoring);
criterion_main!(benches);
