//! Predictive CLV: fitting BG/NBD (and MBG/NBD, Gamma-Gamma) on 100k and
//! 1M simulated customers with whole-day times (as from order dates), the
//! Pareto/NBD fit and the per-customer predictions on 100k, and BTYD
//! inputs from orders.
//!
//! ```text
//! cargo bench --bench clv
//! ```
//!
//! The 1M fits run 10 samples each (a few seconds); the ids in the report
//! say what is measured, e.g. `clv/fit_bg_nbd/1000000`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rfmkit::clv::{
    BgNbd, BtydConfig, BtydData, GammaGamma, ModelKind, PredictConfig, SimulationConfig,
    TransactionFit, TransactionModel, simulate,
};
use rfmkit::ltv::TimeUnit;
use rfmkit::sim::SimConfig;

/// `customers` simulated from a CDNOW-like BG/NBD in days, two years of
/// acquisition, times in whole days, with Gamma-Gamma spend.
fn data(customers: usize) -> BtydData {
    let truth = TransactionModel::from(BgNbd::new(0.25, 30.0, 0.8, 2.4).expect("valid"));
    let config = SimulationConfig::builder()
        .customers(customers)
        .max_age(730.0)
        .unit(TimeUnit::Day)
        .resolution(1.0)
        .spend(GammaGamma::new(6.0, 4.0, 1_500.0).expect("valid"))
        .seed(1)
        .build()
        .expect("valid simulation config");
    simulate(&truth, &config).expect("simulated data")
}

fn fits(c: &mut Criterion) {
    let mut group = c.benchmark_group("clv");
    group.sample_size(10);
    for customers in [100_000_usize, 1_000_000] {
        let data = data(customers);
        group.throughput(Throughput::Elements(customers as u64));
        for kind in [ModelKind::BgNbd, ModelKind::MbgNbd] {
            group.bench_with_input(
                BenchmarkId::new(format!("fit_{kind}"), customers),
                &data,
                |b, d| b.iter(|| TransactionFit::fit(kind, black_box(d)).expect("fit")),
            );
        }
        group.bench_with_input(
            BenchmarkId::new("fit_gamma_gamma", customers),
            &data,
            |b, d| b.iter(|| GammaGamma::fit(black_box(d)).expect("fit")),
        );
    }

    let data = data(100_000);
    group.throughput(Throughput::Elements(100_000));
    group.bench_with_input(
        BenchmarkId::new("fit_pareto_nbd", 100_000),
        &data,
        |b, d| {
            b.iter(|| TransactionFit::fit(ModelKind::ParetoNbd, black_box(d)).expect("fit"));
        },
    );
    let fit = TransactionFit::fit(ModelKind::BgNbd, &data).expect("fit");
    let spend = GammaGamma::fit(&data).expect("fit");
    let config = PredictConfig::default();
    group.bench_with_input(
        BenchmarkId::new("predict_bg_nbd", 100_000),
        &data,
        |b, d| {
            b.iter(|| {
                fit.predict(black_box(d), Some(&spend), &config)
                    .expect("predictions")
            });
        },
    );
    group.finish();
}

fn inputs(c: &mut Criterion) {
    let mut group = c.benchmark_group("clv");
    let shop = SimConfig::builder()
        .customers(20_000)
        .orders(100_000)
        .seed(7)
        .build()
        .expect("valid simulator config")
        .generate();
    let calibration_end = shop.as_of() - chrono::Days::new(180);
    let config = BtydConfig::builder(calibration_end)
        .observation_end(shop.as_of())
        .build()
        .expect("valid config");
    group.throughput(Throughput::Elements(shop.orders().len() as u64));
    group.bench_with_input(
        BenchmarkId::new("btyd_from_orders", shop.orders().len()),
        shop.orders(),
        |b, o| b.iter(|| BtydData::from_orders(black_box(o), &config).expect("inputs")),
    );
    group.finish();
}

criterion_group!(benches, fits, inputs);
criterion_main!(benches);
