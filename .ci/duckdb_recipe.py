#!/usr/bin/env python3
"""Runs rfmkit-datafusion's plain-SQL summary recipe in DuckDB (the
independent engine of rfmkit-datafusion's `recipe` test).

    python3 .ci/duckdb_recipe.py ORDERS.csv AS_OF CHECK_SQL RECIPE_SQL

ORDERS.csv has customer_id,order_date,amount,status (amount in integer
minor units). Prints `check N` (the rows SQL_CHECK finds), then the
recipe's rows as CSV without a header. `:as_of` in the SQL is replaced by
DATE 'AS_OF'.
"""
import sys

import duckdb

path, as_of, check, recipe = sys.argv[1:5]
con = duckdb.connect()
quoted = "'" + path.replace("'", "''") + "'"
con.execute(
    f"CREATE VIEW orders AS SELECT * FROM read_csv({quoted}, header = true, columns = "
    "{'customer_id': 'VARCHAR', 'order_date': 'DATE', 'amount': 'BIGINT', 'status': 'VARCHAR'})"
)
literal = f"DATE '{as_of}'"
bad = con.execute(check.replace(":as_of", literal)).fetchall()
print(f"check {len(bad)}")
for row in con.execute(recipe.replace(":as_of", literal)).fetchall():
    print(",".join("" if v is None else str(v) for v in row))
