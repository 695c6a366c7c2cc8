#!/usr/bin/env python3
"""Converts an order CSV (as `pipeline_reference.py generate` writes it) to
Parquet for the Parquet benchmark (not run by CI: needs `pip install
polars`).

    python3 .ci/csv_to_parquet.py orders10m.csv orders10m.parquet [--amounts decimal|cents]

Types: `order_id` and `customer_id` Int64, `order_date` Date (date32),
`amount` Decimal(18, 2) (default; read from the CSV's text, exactly) or
Int64 minor units (`--amounts cents`, for `rfmkit --scale 2`), `channel`
Utf8 (dictionary-encoded by the writer). polars' defaults otherwise: zstd
compression, row groups of at most 512Ki rows. Prints the file's shape.
"""
import sys
import polars as pl

args = [a for a in sys.argv[1:] if not a.startswith("--")]
amounts = "decimal"
if "--amounts" in sys.argv:
    amounts = sys.argv[sys.argv.index("--amounts") + 1]
    args.remove(amounts)
src, dst = args
df = pl.read_csv(src, schema_overrides={"amount": pl.Utf8, "order_date": pl.Utf8,
                                        "customer_id": pl.Int64, "order_id": pl.Int64})
df = df.with_columns(pl.col("order_date").str.to_date("%Y-%m-%d"))
dec = pl.col("amount").str.to_decimal(scale=2).cast(pl.Decimal(18, 2))
if amounts == "cents":
    df = df.with_columns((dec * 100).cast(pl.Int64).alias("amount"))
elif amounts == "decimal":
    df = df.with_columns(dec.alias("amount"))
else:
    sys.exit(f"--amounts must be decimal or cents, not {amounts!r}")
df.write_parquet(dst)
meta = pl.read_parquet_schema(dst)
print(f"{dst}: {df.height} rows; " + ", ".join(f"{k} {v}" for k, v in meta.items()))
