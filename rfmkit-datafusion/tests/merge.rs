//! Exactness across partitions: hand-computed summaries, and proptests
//! that any partitioning (and any merge order of accumulator states) gives
//! the one-partition summaries, scores and segments.

use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Int64Array, RecordBatch, StringArray, StringViewArray,
};
use datafusion::arrow::datatypes::{DataType, Date32Type, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::logical_expr::Accumulator as _;
use proptest::prelude::*;
use rfmkit::ingest::IdOrder;
use rfmkit::order::OrderStatus;
use rfmkit::segment::SegmentTable;
use rfmkit::{Money, Order};
use rfmkit_datafusion::{Scoring, SummaryAccumulator, date32, run, summaries_from_batches};

use crate::support;

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, day).unwrap()
}

const AS_OF: (u32, u32) = (3, 31);

fn as_of() -> NaiveDate {
    d(AS_OF.0, AS_OF.1)
}

/// Runs the grouped query on `batches` split into `partitions` memory
/// partitions (batch `i` in partition `assign[i]`).
fn aggregate(
    batches: Vec<RecordBatch>,
    assign: &[usize],
    partitions: usize,
    target_partitions: usize,
    sql: &str,
) -> Vec<RecordBatch> {
    let schema = batches[0].schema();
    let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions];
    for (b, p) in batches.into_iter().zip(assign) {
        parts[*p % partitions].push(b);
    }
    let ctx = support::session(as_of(), target_partitions);
    ctx.register_table(
        "orders",
        Arc::new(MemTable::try_new(schema, parts).unwrap()),
    )
    .unwrap();
    let rt = support::runtime(2).unwrap();
    rt.block_on(async { ctx.sql(sql).await?.collect().await })
        .unwrap()
}

fn hand_orders() -> Vec<Order> {
    vec![
        // alice: 3 completed on 2 days, one return, costs on all.
        Order::new("1", "alice", d(1, 5), Money::new(3000)).with_cost(Money::new(1800)),
        Order::new("2", "alice", d(1, 5), Money::new(1000)).with_cost(Money::new(600)),
        Order::new("3", "alice", d(2, 1), Money::new(2000)).with_cost(Money::new(1200)),
        Order::new("4", "alice", d(2, 3), Money::new(-2000))
            .with_cost(Money::new(-1200))
            .with_status(OrderStatus::Returned),
        // bob: one purchase without a cost (margin unknown), one cancelled.
        Order::new("5", "bob", d(3, 30), Money::new(700)),
        Order::new("6", "bob", d(3, 31), Money::new(-99)).with_status(OrderStatus::Cancelled),
        // zoe: a return only. yan: cancelled only (left out).
        Order::new("7", "zoe", d(2, 2), Money::new(-500)).with_status(OrderStatus::Returned),
        Order::new("8", "yan", d(2, 2), Money::new(900)).with_status(OrderStatus::Cancelled),
    ]
}

#[test]
fn hand_computed_summaries_over_three_partitions() {
    let orders = hand_orders();
    let batch = support::orders_batch(&orders).unwrap();
    let rows: Vec<RecordBatch> = (0..batch.num_rows()).map(|i| batch.slice(i, 1)).collect();
    let assign: Vec<usize> = (0..rows.len()).map(|i| (i * 2) % 3).collect();
    let out = aggregate(rows, &assign, 3, 3, support::SQL_COST);
    let mut by_id = std::collections::BTreeMap::new();
    for b in &out {
        let ids = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).unwrap();
        let ids = ids.as_string::<i32>();
        let s = b.column(1).as_struct();
        for r in 0..b.num_rows() {
            let int = |name: &str| {
                let c = s.column_by_name(name).unwrap().as_primitive::<Int64Type>();
                c.is_valid(r).then(|| c.value(r))
            };
            let date = |name: &str| {
                let c = s.column_by_name(name).unwrap().as_primitive::<Date32Type>();
                c.is_valid(r).then(|| c.value(r))
            };
            by_id.insert(
                ids.value(r).to_owned(),
                (
                    date("first_purchase"),
                    date("last_purchase"),
                    [int("orders"), int("purchase_days"), int("returns")],
                    [
                        int("revenue"),
                        int("refunds"),
                        int("monetary"),
                        int("margin"),
                    ],
                ),
            );
        }
    }
    // alice: first 5 Jan, last 1 Feb, 3 orders on 2 days, 1 return,
    // revenue 6000, refunds -2000, net 4000, margin 1200+400+800-800 = 1600.
    assert_eq!(
        by_id["alice"],
        (
            Some(date32(d(1, 5))),
            Some(date32(d(2, 1))),
            [Some(3), Some(2), Some(1)],
            [Some(6000), Some(-2000), Some(4000), Some(1600)]
        )
    );
    assert_eq!(
        by_id["bob"],
        (
            Some(date32(d(3, 30))),
            Some(date32(d(3, 30))),
            [Some(1), Some(1), Some(0)],
            [Some(700), Some(0), Some(700), None]
        )
    );
    assert_eq!(
        by_id["zoe"],
        (
            None,
            None,
            [Some(0), Some(0), Some(1)],
            [Some(0), Some(-500), Some(-500), None]
        )
    );
    assert_eq!(by_id["yan"].2, [Some(0), Some(0), Some(0)]);

    // Into rfmkit: yan (cancelled only) is left out, zoe is unscored.
    let config = support::rank_config().unwrap();
    let result = run(
        &out,
        as_of(),
        IdOrder::Text,
        &Scoring::Fit(config),
        &SegmentTable::standard(),
    )
    .unwrap();
    let ids: Vec<String> = result
        .summaries
        .iter()
        .map(|s| s.customer().to_string())
        .collect();
    assert_eq!(ids, ["alice", "bob", "zoe"]);
    assert_eq!(result.scores.unscored(), [rfmkit::CustomerId::from("zoe")]);
    let log = support::log_from_batches(&[batch], as_of(), IdOrder::Text).unwrap();
    let (summaries, _, scores, segmentation) =
        support::in_process(&log, &SegmentTable::standard()).unwrap();
    assert_eq!(result.summaries, summaries);
    assert_eq!(result.scores, scores);
    assert_eq!(result.segmentation, segmentation);
}

/// Random orders: `customers` ids, dates in Jan–Mar 2025, every status,
/// amounts with the right sign, costs on most orders.
fn orders_strategy() -> impl Strategy<Value = Vec<Order>> {
    let order = (
        0..12_u8,
        0..89_i64,
        0..50_000_i64,
        0..10_u8,
        prop::option::weighted(0.9, 0..30_000_i64),
    );
    prop::collection::vec(order, 1..120).prop_map(|rows| {
        let start = d(1, 1);
        rows.into_iter()
            .enumerate()
            .map(|(i, (c, day, amount, status, cost))| {
                let date = start + chrono::Days::new(u64::try_from(day).unwrap());
                let (status, amount) = match status {
                    0 => (OrderStatus::Returned, -amount),
                    1 => (OrderStatus::Cancelled, amount - 25_000),
                    _ => (OrderStatus::Completed, amount),
                };
                let mut o = Order::new(i.to_string(), format!("c{c}"), date, Money::new(amount))
                    .with_status(status);
                if let Some(cost) = cost {
                    o = o.with_cost(Money::new(cost));
                }
                o
            })
            .collect()
    })
}

/// The input batch of the orders, and the expected (in-process) results.
fn expected(
    orders: &[Order],
) -> (
    RecordBatch,
    (
        rfmkit::summary::Summaries,
        rfmkit::rfm::Scores,
        rfmkit::segment::Segmentation,
    ),
) {
    let batch = support::orders_batch(orders).unwrap();
    let log =
        support::log_from_batches(std::slice::from_ref(&batch), as_of(), IdOrder::Text).unwrap();
    let (summaries, _, scores, segmentation) =
        support::in_process(&log, &support::bench_table().unwrap()).unwrap();
    (batch, (summaries, scores, segmentation))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Orders split into 1..=6 memory partitions at random (rows in any
    /// order), run with 1..=8 target partitions: summaries, scores and
    /// segments equal the in-process pipeline on all orders at once.
    #[test]
    fn any_partitioning_gives_the_single_node_result(
        orders in orders_strategy(),
        partitions in 1..=6_usize,
        target in 1..=8_usize,
        seed in any::<u64>(),
    ) {
        let (batch, (summaries, scores, segmentation)) = expected(&orders);
        // Shuffle rows into 1-3-row batches dealt to partitions.
        let n = batch.num_rows();
        let mut order: Vec<usize> = (0..n).collect();
        let mut s = seed | 1;
        for i in (1..n).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            order.swap(i, usize::try_from(s % u64::try_from(i + 1).unwrap()).unwrap());
        }
        let mut rows = Vec::new();
        let mut assign = Vec::new();
        for (k, chunk) in order.chunks(1 + usize::try_from(seed % 3).unwrap()).enumerate() {
            let idx = datafusion::arrow::array::UInt32Array::from(
                chunk.iter().map(|&i| u32::try_from(i).unwrap()).collect::<Vec<_>>(),
            );
            rows.push(datafusion::arrow::compute::take_record_batch(&batch, &idx).unwrap());
            assign.push(usize::try_from((seed >> 8).wrapping_add(k as u64 * 7) % 97).unwrap());
        }
        let out = aggregate(rows, &assign, partitions, target, support::SQL_COST);
        let result = run(
            &out, as_of(), IdOrder::Text,
            &Scoring::Fit(support::rank_config().unwrap()),
            &support::bench_table().unwrap(),
        ).unwrap();
        prop_assert_eq!(&result.summaries, &summaries);
        prop_assert_eq!(&result.scores, &scores);
        prop_assert_eq!(&result.segmentation, &segmentation);
    }

    /// The accumulator on its own: one customer's orders split into parts,
    /// each part's state taken, the states merged in a random order (and
    /// in several `merge_batch` calls) into a fresh accumulator, evaluate:
    /// the summary equals the one-part summary.
    #[test]
    fn states_merge_in_any_order(
        orders in orders_strategy(),
        parts in 1..=7_usize,
        seed in any::<u64>(),
    ) {
        let (_, (summaries, _, _)) = expected(&orders);
        let mut customers: Vec<String> = orders.iter().map(|o| o.customer().to_string()).collect();
        customers.sort();
        customers.dedup();
        let mut ids = Vec::new();
        let mut results = Vec::new();
        for (c, customer) in customers.iter().enumerate() {
            let mine: Vec<Order> = orders.iter().filter(|o| o.customer().as_str() == customer).cloned().collect();
            let batch = support::orders_batch(&mine).unwrap();
            // Arguments as the planner coerces them: status as Utf8View.
            let status: StringViewArray = batch.column(3).as_string::<i32>().iter().collect();
            let args: Vec<ArrayRef> = vec![
                Arc::clone(batch.column(1)),
                Arc::clone(batch.column(2)),
                Arc::new(status),
                Arc::clone(batch.column(4)),
            ];
            let mut states: Vec<Vec<ScalarValue>> = Vec::new();
            for p in 0..parts {
                let mut acc = SummaryAccumulator::new(as_of());
                let take: Vec<u32> = (0..mine.len())
                    .filter(|i| (i + c + usize::try_from(seed % 5).unwrap()) % parts == p)
                    .map(|i| u32::try_from(i).unwrap())
                    .collect();
                let idx = datafusion::arrow::array::UInt32Array::from(take);
                let part: Vec<ArrayRef> = args
                    .iter()
                    .map(|a| datafusion::arrow::compute::take(a, &idx, None).unwrap())
                    .collect();
                acc.update_batch(&part).unwrap();
                states.push(acc.state().unwrap());
            }
            // Merge in a seeded random order, in chunks of 1..=3 states.
            let rot = usize::try_from(seed % u64::try_from(parts).unwrap()).unwrap();
            states.rotate_left(rot);
            if seed & 1 == 1 { states.reverse(); }
            let mut merged = SummaryAccumulator::new(as_of());
            for chunk in states.chunks(1 + usize::try_from(seed % 3).unwrap()) {
                let columns: Vec<ArrayRef> = (0..6)
                    .map(|k| ScalarValue::iter_to_array(chunk.iter().map(|s| s[k].clone())).unwrap())
                    .collect();
                merged.merge_batch(&columns).unwrap();
            }
            ids.push(customer.clone());
            results.push(merged.evaluate().unwrap());
        }
        let summary = ScalarValue::iter_to_array(results).unwrap();
        let batch = RecordBatch::try_from_iter([
            ("customer_id", Arc::new(StringArray::from(ids)) as ArrayRef),
            ("summary", summary),
        ]).unwrap();
        let got = summaries_from_batches(&[batch], as_of(), IdOrder::Text).unwrap();
        prop_assert_eq!(got, summaries);
    }
}

#[test]
fn integer_ids_give_numeric_id_order() {
    // Ids 9, 10, 100: text order would be 10, 100, 9.
    let batch = RecordBatch::try_from_iter([
        (
            "customer_id",
            Arc::new(Int64Array::from(vec![100, 9, 10])) as ArrayRef,
        ),
        (
            "order_date",
            Arc::new(Date32Array::from(vec![date32(d(1, 1)); 3])) as ArrayRef,
        ),
        (
            "amount",
            Arc::new(Int64Array::from(vec![5, 5, 5])) as ArrayRef,
        ),
        (
            "status",
            Arc::new(StringArray::from(vec!["completed"; 3])) as ArrayRef,
        ),
    ])
    .unwrap();
    let out = aggregate(vec![batch], &[0], 1, 2, support::SQL);
    let summaries = summaries_from_batches(&out, as_of(), IdOrder::Numeric).unwrap();
    let ids: Vec<String> = summaries.iter().map(|s| s.customer().to_string()).collect();
    assert_eq!(ids, ["9", "10", "100"]);
}
