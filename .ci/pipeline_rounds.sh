#!/usr/bin/env bash
# Side-by-side rounds of the issue-9 pipeline benchmark on one file (not run
# by CI): the C loop over dense columns, rfmkit with the rank and quantile
# methods, and polars, 1 thread each, one JSON line per tool and round.
#
#   bash .ci/pipeline_rounds.sh orders10m.csv 3
set -euo pipefail
file=${1:?usage: pipeline_rounds.sh ORDERS.csv [ROUNDS]}
rounds=${2:-3}
cd "$(dirname "$0")/.."
cargo build --release --example pipeline_bench >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O3 -march=native -o "$work/pipeline_c" .ci/pipeline_c.c
for _ in $(seq 1 "$rounds"); do
    "$work/pipeline_c" "$file" 5 | sed 's/^/c\t/'
    target/release/examples/pipeline_bench --input "$file" --repeat 5 --method rank | sed 's/^/rank\t/'
    target/release/examples/pipeline_bench --input "$file" --repeat 5 --method quantile | sed 's/^/quantile\t/'
    POLARS_MAX_THREADS=1 python3 .ci/pipeline_polars.py "$file" 1 | sed 's/^/polars\t/'
done
