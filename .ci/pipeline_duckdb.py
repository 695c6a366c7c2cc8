#!/usr/bin/env python3
"""The issue-6 benchmark pipeline in DuckDB, for side-by-side timing and
checksums with `rfmkit bench` (not run by CI: needs
`pip install duckdb`).

    python3 .ci/pipeline_duckdb.py orders.csv THREADS

Scores use ceil(5 * row_number() / N), the benchmark formula: SQL NTILE(5)
gives the remainder rows to the first tiles instead, so it differs when N
is not a multiple of 5.
"""
import sys, time, json, statistics, duckdb
path, threads = sys.argv[1], int(sys.argv[2])
con = duckdb.connect(); con.execute(f"SET threads={threads}")
t = time.perf_counter()
con.execute(f"CREATE TABLE o AS SELECT customer_id, order_date::DATE AS d, CAST(round(amount*100) AS BIGINT) AS cents FROM read_csv_auto('{path}')")
load = time.perf_counter() - t
Q = """
WITH g AS (SELECT customer_id, max(d) FILTER (WHERE cents >= 0) AS last, count(*) FILTER (WHERE cents >= 0) AS frequency, sum(cents) AS monetary FROM o GROUP BY customer_id HAVING count(*) FILTER (WHERE cents >= 0) > 0),
s AS (SELECT *, DATE '2026-01-01' - last AS recency_days,
  CAST(ceil(5.0 * row_number() OVER (ORDER BY last, customer_id) / count(*) OVER ()) AS INT) AS R,
  CAST(ceil(5.0 * row_number() OVER (ORDER BY frequency, customer_id) / count(*) OVER ()) AS INT) AS F,
  CAST(ceil(5.0 * row_number() OVER (ORDER BY monetary, customer_id) / count(*) OVER ()) AS INT) AS M FROM g),
t AS (SELECT *, CASE WHEN R>=4 AND F>=4 AND M>=4 THEN 'champions' WHEN F>=4 THEN 'loyal' WHEN R>=4 AND F=1 THEN 'new'
  WHEN R<=2 AND F>=3 THEN 'at_risk' WHEN R=1 THEN 'dormant' ELSE 'other' END AS segment FROM s)
SELECT segment, count(*), sum(CASE WHEN segment IN ('at_risk','dormant') AND monetary >= 10000 THEN 1 ELSE 0 END),
  sum(recency_days), sum(frequency), sum(monetary) FROM t GROUP BY segment"""
times = []
for _ in range(5):
    t = time.perf_counter(); rows = con.execute(Q).fetchall(); times.append(time.perf_counter() - t)
segs = {r[0]: r[1] for r in rows}
for s in ["champions", "loyal", "new", "at_risk", "dormant", "other"]: segs.setdefault(s, 0)
print(json.dumps({"tool": "duckdb", "median": statistics.median(times), "load": load, "checksums": {"segments": segs, "audience": int(sum(r[2] for r in rows)),
  "sum_recency_days": int(sum(r[3] for r in rows)), "sum_frequency": int(sum(r[4] for r in rows)), "sum_monetary": int(sum(r[5] for r in rows))}}, sort_keys=True))
