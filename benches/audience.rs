//! Audience rules over simulated profiles: parse + compile a query, evaluate
//! a five-condition rule over 100,000 and 1,000,000 profiles, and evaluate
//! or explain it for one customer.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rfmkit::audience::{Profiles, Rule};
use rfmkit::rfm::{RfmModel, ScoringConfig};
use rfmkit::segment::SegmentTable;
use rfmkit::sim::SimConfig;
use rfmkit::summary::Summaries;

/// The five-condition win-back rule of the `audience_bench` example.
const QUERY: &str = "segment in (at_risk, cant_lose_them, loyal) and monetary >= 100.00 \
                     and last_order < -90d and email_opt_in and not tags contains vip";

fn profiles(customers: usize) -> Profiles {
    let shop = SimConfig::builder()
        .customers(customers)
        .orders(customers * 3)
        .seed(7)
        .build()
        .expect("valid simulator config")
        .generate();
    let summaries = Summaries::from_orders(shop.orders(), shop.as_of()).expect("valid orders");
    let scores = RfmModel::fit(&ScoringConfig::default(), &summaries).score_all(&summaries);
    let segmentation = SegmentTable::standard()
        .segment_all(&scores)
        .expect("matching bins");
    Profiles::builder(&segmentation, &summaries)
        .customers(shop.customers())
        .build()
        .expect("consistent inputs")
}

fn audience(c: &mut Criterion) {
    for customers in [100_000_usize, 1_000_000] {
        let p = profiles(customers);
        let schema = p.schema();
        let rule = Rule::parse(QUERY, &schema).expect("valid query");
        let compiled = p.compile(&rule).expect("compiles");
        let mut group = c.benchmark_group(format!("audience/{customers}_profiles"));
        if customers >= 1_000_000 {
            group.sample_size(20);
        }
        group.throughput(Throughput::Elements(p.len() as u64));
        group.bench_function(BenchmarkId::new("tally", "5_conditions"), |b| {
            b.iter(|| black_box(&compiled).tally());
        });
        group.bench_function(BenchmarkId::new("selected", "5_conditions"), |b| {
            b.iter(|| black_box(&compiled).selected());
        });
        group.finish();

        let mut one = c.benchmark_group(format!("audience/{customers}_profiles/one"));
        one.throughput(Throughput::Elements(1));
        one.bench_function("parse_and_compile", |b| {
            b.iter(|| {
                let rule = Rule::parse(black_box(QUERY), &schema).expect("valid query");
                p.compile(&rule)
                    .expect("compiles")
                    .rule()
                    .conditions()
                    .count()
            });
        });
        let id = p.customers()[p.len() / 2].clone();
        one.bench_function("matches", |b| {
            b.iter(|| compiled.matches(black_box(id.as_str())));
        });
        one.bench_function("explain", |b| {
            b.iter(|| compiled.explain(black_box(id.as_str())));
        });
        one.finish();
    }
}

criterion_group!(benches, audience);
criterion_main!(benches);
