//! LTV and KPIs: population KPIs from summaries, breakdowns, the monthly
//! cohort table and the whole report, at 10k and 100k simulated orders.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rfmkit::ltv::{CohortTable, KpiConfig, Kpis, LtvReport};
use rfmkit::sim::{Shop, SimConfig};
use rfmkit::summary::Summaries;

fn shop(orders: usize) -> Shop {
    SimConfig::builder()
        .customers(orders / 5)
        .orders(orders)
        .seed(7)
        .build()
        .expect("valid simulator config")
        .generate()
}

fn ltv(c: &mut Criterion) {
    let config = KpiConfig::default();
    let mut group = c.benchmark_group("ltv");
    for orders in [10_000_usize, 100_000] {
        let shop = shop(orders);
        let as_of = shop.as_of();
        let summaries = Summaries::from_orders(shop.orders(), as_of).expect("valid orders");
        group.throughput(Throughput::Elements(shop.orders().len() as u64));
        group.bench_with_input(
            BenchmarkId::new("kpis_from_summaries", orders),
            &summaries,
            |b, s| b.iter(|| Kpis::from_summaries(black_box(s), &config).expect("kpis")),
        );
        group.bench_with_input(
            BenchmarkId::new("kpis_by_channel", orders),
            &summaries,
            |b, s| b.iter(|| Kpis::by_channel(black_box(s), &config).expect("kpis")),
        );
        group.bench_with_input(
            BenchmarkId::new("cohorts_from_orders", orders),
            shop.orders(),
            |b, o| {
                b.iter(|| CohortTable::from_orders(black_box(o), as_of, &config).expect("cohorts"));
            },
        );
        group.bench_with_input(
            BenchmarkId::new("report_from_orders", orders),
            shop.orders(),
            |b, o| b.iter(|| LtvReport::from_orders(black_box(o), as_of, &config).expect("report")),
        );
    }
    group.finish();
}

criterion_group!(benches, ltv);
criterion_main!(benches);
