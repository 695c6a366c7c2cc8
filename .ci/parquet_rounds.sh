#!/usr/bin/env bash
# Side-by-side rounds of the Parquet benchmark (not run by CI): rfmkit bench
# and polars (read_parquet + the same pipeline), 1 thread each, one JSON
# line per tool and round, alternating so that both see the same machine.
#
#   python3 .ci/csv_to_parquet.py orders10m.csv orders10m.parquet
#   bash .ci/parquet_rounds.sh orders10m.parquet 3 [RFMKIT_BINARY]
set -euo pipefail
file=${1:?usage: parquet_rounds.sh ORDERS.parquet [ROUNDS] [RFMKIT]}
rounds=${2:-3}
cd "$(dirname "$0")/.."
rfmkit=${3:-}
if [ -z "$rfmkit" ]; then
    cargo build --release -p rfmkit-cli >&2
    rfmkit=target/release/rfmkit
fi
for _ in $(seq 1 "$rounds"); do
    "$rfmkit" bench --input "$file" --threads 1 --repeat 5 | sed 's/^/rfmkit\t/'
    POLARS_MAX_THREADS=1 python3 .ci/pipeline_polars.py "$file" 1 | sed 's/^/polars\t/'
done
