#!/usr/bin/env python3
"""Converts an order CSV (order_id,customer_id,order_date,amount[,...],
amount a decimal like 12.34) into N Parquet parts for rfmkit-datafusion's
`partitioned` example (not run by CI: needs `pip install polars`).

    python3 .ci/orders_to_parquet.py orders.csv OUT_DIR [N=8]

Columns written: customer_id (as read: integer ids stay integers),
order_date (DATE), amount (BIGINT cents, rounded as .ci/pipeline_polars.py
does) and status ('returned' for a negative amount, else 'completed': the
status policy the benchmark CSV implies). Row i goes to part i mod N, so
every customer's orders spread over the parts.
"""
import os
import sys

import polars as pl

path, out = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 8
df = pl.read_csv(path, columns=["customer_id", "order_date", "amount"], try_parse_dates=True)
df = df.with_columns((pl.col("amount") * 100).round(0).cast(pl.Int64).alias("amount"))
df = df.with_columns(
    pl.when(pl.col("amount") < 0).then(pl.lit("returned")).otherwise(pl.lit("completed")).alias("status"),
    (pl.int_range(pl.len()) % n).alias("part"),
)
os.makedirs(out, exist_ok=True)
for p in range(n):
    part = df.filter(pl.col("part") == p).drop("part")
    part.write_parquet(os.path.join(out, f"part-{p:03}.parquet"), compression="snappy")
print(f"{df.height} rows -> {n} parts in {out}")
