//! The plain-SQL recipe, run in DuckDB (through Python), equals rfmkit's
//! summaries column by column, and `score_row` on its rows equals
//! `RfmModel::score` on the summaries (a frozen model).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::Command;

use chrono::NaiveDate;
use rfmkit::ingest::IdOrder;
use rfmkit::order::OrderStatus;
use rfmkit::rfm::{Method, RfmModel, ScoringConfig};
use rfmkit::sim::SimConfig;
use rfmkit_datafusion::{SQL_CHECK, SQL_RECIPE};

use crate::support;

fn duckdb_available() -> bool {
    Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run_recipe(csv: &std::path::Path, as_of: NaiveDate) -> (usize, Vec<String>) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/duckdb_recipe.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(csv)
        .arg(as_of.to_string())
        .arg(SQL_CHECK)
        .arg(SQL_RECIPE)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let check = lines
        .next()
        .unwrap()
        .strip_prefix("check ")
        .unwrap()
        .parse()
        .unwrap();
    (check, lines.map(str::to_owned).collect())
}

fn write_csv(path: &std::path::Path, orders: &[rfmkit::Order]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "customer_id,order_date,amount,status").unwrap();
    for o in orders {
        writeln!(
            f,
            "{},{},{},{}",
            o.customer(),
            o.date(),
            o.amount().minor_units(),
            o.status()
        )
        .unwrap();
    }
    f.flush().unwrap();
}

#[test]
fn duckdb_recipe_equals_rfmkit_summaries_and_frozen_scores() {
    if !duckdb_available() {
        eprintln!(
            "SKIPPED duckdb_recipe_equals_rfmkit_summaries_and_frozen_scores: python3 with the \
             duckdb module is not available (pip install duckdb)"
        );
        return;
    }
    let as_of = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let shop = SimConfig::builder()
        .seed(11)
        .customers(800)
        .orders(8_000)
        .start(NaiveDate::from_ymd_opt(2024, 6, 1).unwrap())
        .as_of(as_of)
        .build()
        .unwrap()
        .generate();
    let orders = shop.orders();
    assert!(orders.iter().any(|o| o.status() == OrderStatus::Returned));
    assert!(orders.iter().any(|o| o.status() == OrderStatus::Cancelled));
    let csv = std::env::temp_dir().join(format!("rfmkit-df-recipe-{}.csv", std::process::id()));
    write_csv(&csv, orders);
    let (check, rows) = run_recipe(&csv, as_of);
    std::fs::remove_file(&csv).unwrap();
    assert_eq!(check, 0, "the check query found orders rfmkit rejects");

    let batch = support::orders_batch(orders).unwrap();
    let log = support::log_from_batches(&[batch], as_of, IdOrder::Text).unwrap();
    let summaries = rfmkit::summary::Summaries::from_log(&log).unwrap();
    let config = ScoringConfig::builder()
        .method(Method::Quantile)
        .build()
        .unwrap();
    let frozen = RfmModel::fit(&config, &summaries);

    let mut table: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        let cells: Vec<String> = row.split(',').map(str::to_owned).collect();
        assert_eq!(cells.len(), 9, "{row}");
        table.insert(cells[0].clone(), cells[1..].to_vec());
    }
    assert_eq!(table.len(), summaries.len());
    let mut returns_only = 0;
    for s in summaries.iter() {
        let row = &table[s.customer().as_str()];
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let expected = [
            date(s.first_order_date()),
            date(s.last_order_date()),
            s.orders().to_string(),
            s.purchase_days().to_string(),
            s.returns().to_string(),
            s.revenue().minor_units().to_string(),
            s.refunds().minor_units().to_string(),
            s.monetary().minor_units().to_string(),
        ];
        assert_eq!(
            row.as_slice(),
            expected.as_slice(),
            "customer {}",
            s.customer()
        );
        // Scoring the SQL row against the frozen model.
        let orders: u64 = row[2].parse().unwrap();
        let monetary = rfmkit::Money::new(row[7].parse().unwrap());
        if orders == 0 {
            returns_only += 1;
            assert!(
                frozen
                    .score_row(s.customer().as_str(), 0, 0, monetary)
                    .is_err()
            );
            continue;
        }
        let last: NaiveDate = row[1].parse().unwrap();
        let recency = (as_of - last).num_days();
        let from_row = frozen
            .score_row(s.customer().as_str(), recency, orders, monetary)
            .unwrap();
        assert_eq!(
            from_row,
            frozen.score(&s).unwrap(),
            "customer {}",
            s.customer()
        );
    }
    assert!(returns_only > 0 || summaries.iter().all(|s| s.orders() > 0));
}
