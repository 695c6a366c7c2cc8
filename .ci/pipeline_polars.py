#!/usr/bin/env python3
"""The issue-6 benchmark pipeline in polars, for side-by-side timing and
checksums with `rfmkit bench` (not run by CI: needs
`pip install polars`).

    POLARS_MAX_THREADS=1 python3 .ci/pipeline_polars.py orders.csv 1
    POLARS_MAX_THREADS=1 python3 .ci/pipeline_polars.py orders.parquet 1

(a `.parquet` file from .ci/csv_to_parquet.py is read with `read_parquet`).

Prints one JSON line: load and median seconds of 5 runs, and the same
checksums as rfmkit bench.
"""
import sys, time, json, statistics, datetime
import polars as pl
path = sys.argv[1]; threads = sys.argv[2] if len(sys.argv) > 2 else "?"
t = time.perf_counter()
if path.endswith(".parquet"):
    # A file from .ci/csv_to_parquet.py: amounts are Decimal(18, 2) (exact
    # cents) or Int64 cents already.
    df = pl.read_parquet(path, columns=["customer_id", "order_date", "amount"])
    if df.schema["amount"].is_integer():
        df = df.with_columns(pl.col("amount").alias("cents"))
    else:
        df = df.with_columns((pl.col("amount") * 100).cast(pl.Int64).alias("cents"))
else:
    df = pl.read_csv(path, columns=["customer_id", "order_date", "amount"], try_parse_dates=True)
    df = df.with_columns((pl.col("amount") * 100).round(0).cast(pl.Int64).alias("cents"))
load = time.perf_counter() - t
as_of = datetime.date(2026, 1, 1)
def run():
    # rfmkit's status policy: a negative amount is a return, which nets
    # monetary but is not a purchase; returns-only customers are not scored.
    bought = pl.col("cents") >= 0
    g = df.group_by("customer_id").agg(pl.col("order_date").filter(bought).max().alias("last"), bought.sum().alias("frequency"), pl.col("cents").sum().alias("monetary"))
    g = g.filter(pl.col("frequency") > 0)
    g = g.with_columns((pl.lit(as_of) - pl.col("last")).dt.total_days().alias("recency_days"))
    n = g.height
    def score(key):
        r = g.sort([key, "customer_id"]).with_row_index("pos", offset=1)
        return r.select("customer_id", ((5 * pl.col("pos") + n - 1) // n).alias("s"))
    g = g.join(score("last").rename({"s": "R"}), on="customer_id").join(score("frequency").rename({"s": "F"}), on="customer_id").join(score("monetary").rename({"s": "M"}), on="customer_id")
    seg = (pl.when((pl.col("R") >= 4) & (pl.col("F") >= 4) & (pl.col("M") >= 4)).then(pl.lit("champions"))
           .when(pl.col("F") >= 4).then(pl.lit("loyal"))
           .when((pl.col("R") >= 4) & (pl.col("F") == 1)).then(pl.lit("new"))
           .when((pl.col("R") <= 2) & (pl.col("F") >= 3)).then(pl.lit("at_risk"))
           .when(pl.col("R") == 1).then(pl.lit("dormant")).otherwise(pl.lit("other")))
    g = g.with_columns(seg.alias("segment"))
    aud = g.filter(pl.col("segment").is_in(["at_risk", "dormant"]) & (pl.col("monetary") >= 10000)).height
    return g, aud
times = []
for _ in range(5):
    t = time.perf_counter(); g, aud = run(); times.append(time.perf_counter() - t)
segs = {r["segment"]: r["len"] for r in g.group_by("segment").len().iter_rows(named=True)}
for s in ["champions", "loyal", "new", "at_risk", "dormant", "other"]: segs.setdefault(s, 0)
print(json.dumps({"tool": "polars", "threads": threads, "load": load, "median": statistics.median(times), "times": times,
  "checksums": {"segments": segs, "audience": aud, "sum_recency_days": int(g["recency_days"].sum()), "sum_frequency": int(g["frequency"].sum()), "sum_monetary": int(g["monetary"].sum())}}, sort_keys=True))
