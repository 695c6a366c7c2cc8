//! The columnar fast path (`rfmkit::columnar`), stage by stage, at 100k
//! simulated orders (20k customers): aggregation, rank fit + score,
//! segment lookup, audience rule evaluation, and the whole pipeline; plus
//! scoring one customer against the fitted model. With `--features
//! parallel` the stages run on rayon's global pool.
//!
//! The 1M–10M order scale is `examples/pipeline_bench.rs` (see the README's
//! "Performance" section).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rfmkit::audience::Rule;
use rfmkit::columnar::{OrderBatch, RowPolicy};
use rfmkit::rfm::{Method, ScoringConfig};
use rfmkit::segment::SegmentTable;
use rfmkit::sim::SimConfig;
use rfmkit::summary::Summaries;

const QUERY: &str = "segment in (at_risk, lost) and monetary >= 100.00";

fn stages(c: &mut Criterion) {
    let orders = 100_000;
    let shop = SimConfig::builder()
        .customers(orders / 5)
        .orders(orders)
        .seed(7)
        .build()
        .expect("valid simulator config")
        .generate();
    let mut builder = OrderBatch::builder();
    for o in shop.orders() {
        builder.push_order(o);
    }
    let batch = builder.build().expect("a small batch");
    let as_of = shop.as_of();
    let config = ScoringConfig::builder()
        .method(Method::Rank)
        .build()
        .expect("valid config");
    let table = SegmentTable::standard();

    let mut group = c.benchmark_group(format!("columnar/{orders}_orders"));
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.bench_function("aggregate", |b| {
        b.iter(|| black_box(&batch).summarize(as_of, RowPolicy::EveryRow))
    });
    let summaries = batch
        .summarize(as_of, RowPolicy::EveryRow)
        .expect("no future orders");
    group.bench_function("fit_and_score", |b| {
        b.iter(|| black_box(&summaries).score(&config))
    });
    let scores = summaries.score(&config).expect("rank config");
    group.bench_function("segment", |b| b.iter(|| black_box(&scores).segment(&table)));
    let segmentation = scores.segment(&table).expect("5 bins");
    group.bench_function("profiles", |b| {
        b.iter(|| black_box(&segmentation).profiles())
    });
    let profiles = segmentation.profiles();
    let rule = Rule::parse(QUERY, &profiles.schema()).expect("valid query");
    group.bench_function("rule_evaluation", |b| {
        b.iter(|| {
            profiles
                .compile(black_box(&rule))
                .expect("compiles")
                .tally()
        })
    });
    group.bench_function("pipeline", |b| {
        b.iter(|| {
            let s = black_box(&batch).summarize(as_of, RowPolicy::EveryRow)?;
            let sc = s.score(&config)?;
            let seg = sc.segment(&table)?;
            let p = seg.profiles();
            let rule = Rule::parse(QUERY, &p.schema())?;
            Ok::<_, rfmkit::Error>(p.compile(&rule)?.tally())
        })
    });
    group.finish();

    // One customer against the model the columnar fit returns.
    let object = Summaries::from_orders(shop.orders(), as_of).expect("valid orders");
    let customer = object.iter().nth(object.len() / 2).expect("non-empty");
    let model = scores.model().clone();
    let mut single = c.benchmark_group("columnar/score_one_customer");
    single.throughput(Throughput::Elements(1));
    single.bench_function("rank", |b| b.iter(|| model.score(black_box(customer))));
    single.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
