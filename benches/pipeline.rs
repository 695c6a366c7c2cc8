//! The whole pipeline through the documented API, stage by stage, at 100k
//! simulated orders (20k customers): ingest (validate, intern, group),
//! summaries, fit + score for each method, segments, profiles, audience
//! rule evaluation, and the whole pipeline; plus scoring one customer
//! against the fitted model. With the `parallel` feature (default) the
//! stages run on rayon's global pool.
//!
//! The 1M–10M order scale is `rfmkit bench` (the command line; see the README's
//! "Performance" section).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rfmkit::audience::{Profiles, Rule};
use rfmkit::ingest::IngestConfig;
use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
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
    let as_of = shop.as_of();
    let ingest = IngestConfig::new(as_of);
    let rank = ScoringConfig::builder()
        .method(Method::Rank)
        .build()
        .expect("valid config");
    let quantile = ScoringConfig::default();
    let table = SegmentTable::standard();

    let mut group = c.benchmark_group(format!("pipeline/{orders}_orders"));
    group.throughput(Throughput::Elements(shop.orders().len() as u64));
    group.bench_function("ingest", |b| {
        b.iter(|| ingest.ingest(black_box(shop.orders())))
    });
    let log = ingest.ingest(shop.orders()).expect("valid orders");
    group.bench_function("summaries", |b| {
        b.iter(|| Summaries::from_log(black_box(&log)))
    });
    let summaries = Summaries::from_log(&log).expect("no overflow");
    for (name, config) in [("rank", &rank), ("quantile", &quantile)] {
        group.bench_function(format!("fit_and_score_{name}"), |b| {
            b.iter(|| RfmModel::fit(config, black_box(&summaries)).score_all(&summaries))
        });
    }
    let model = RfmModel::fit(&rank, &summaries);
    let scores = model.score_all(&summaries);
    group.bench_function("segment", |b| {
        b.iter(|| table.segment_all(black_box(&scores)))
    });
    let segmentation = table.segment_all(&scores).expect("5 bins");
    group.bench_function("profiles", |b| {
        b.iter(|| Profiles::builder(black_box(&segmentation), &summaries).build())
    });
    let profiles = Profiles::builder(&segmentation, &summaries)
        .build()
        .expect("profiles");
    let rule = Rule::parse(QUERY, &profiles.schema()).expect("valid query");
    group.bench_function("rule_evaluation", |b| {
        b.iter(|| {
            profiles
                .compile(black_box(&rule))
                .expect("compiles")
                .tally()
        })
    });
    group.bench_function("pipeline_from_log", |b| {
        b.iter(|| {
            let s = Summaries::from_log(black_box(&log))?;
            let sc = RfmModel::fit(&rank, &s).score_all(&s);
            let seg = table.segment_all(&sc)?;
            let p = Profiles::builder(&seg, &s).build()?;
            let rule = Rule::parse(QUERY, &p.schema())?;
            Ok::<_, rfmkit::Error>(p.compile(&rule)?.tally())
        })
    });
    group.finish();

    // One customer against the fitted model, in a request path.
    let customer = summaries
        .row(summaries.len() / 2)
        .expect("non-empty summaries");
    let mut single = c.benchmark_group("pipeline/score_one_customer");
    single.throughput(Throughput::Elements(1));
    single.bench_function("rank", |b| b.iter(|| model.score(black_box(&customer))));
    let q = RfmModel::fit(&quantile, &summaries);
    single.bench_function("quantile", |b| b.iter(|| q.score(black_box(&customer))));
    single.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
