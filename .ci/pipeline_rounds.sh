#!/usr/bin/env bash
# Side-by-side rounds of the issue-9/10 pipeline benchmark on one CSV (not
# run by CI): `rfmkit bench` (the CLI: load the file, then the pipeline
# --repeat 5 times) and polars (`read_csv` + the same pipeline, 5 times),
# alternating, on 1 and then 2 threads, plus the C loop over dense columns
# once per round. One line per tool and run (tool, threads, JSON), then a
# summary: medians over rounds of load, pipeline (median of 5) and end to
# end (load + pipeline) seconds, peak memory, and the per-round ratio
# polars / rfmkit end to end.
#
#   bash .ci/pipeline_rounds.sh orders10m.csv 3
set -euo pipefail
file=${1:?usage: pipeline_rounds.sh ORDERS.csv [ROUNDS]}
rounds=${2:-3}
cd "$(dirname "$0")/.."
cargo build --release -p rfmkit-cli >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O3 -march=native -o "$work/pipeline_c" .ci/pipeline_c.c
out="$work/rounds.tsv"
for round in $(seq 1 "$rounds"); do
    "$work/pipeline_c" "$file" 5 | sed "s/^/$round\tc\t1\t/" | tee -a "$out"
    for threads in 1 2; do
        /usr/bin/time -f '%M' -o "$work/rss" target/release/rfmkit bench --input "$file" \
            --repeat 5 --threads "$threads" >"$work/one.json"
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["max_rss_kb"]=int(open(sys.argv[2]).read().split()[-1]); print(json.dumps(d))' \
            "$work/one.json" "$work/rss" | sed "s/^/$round\trfmkit\t$threads\t/" | tee -a "$out"
        POLARS_MAX_THREADS=$threads python3 .ci/pipeline_polars.py "$file" "$threads" \
            | sed "s/^/$round\tpolars\t$threads\t/" | tee -a "$out"
    done
done
python3 - "$out" "$(stat -c %s "$file")" <<'PY'
import json, statistics, sys
rows = [line.rstrip("\n").split("\t", 3) for line in open(sys.argv[1])]
size = int(sys.argv[2])
runs = {}
for rnd, tool, threads, text in rows:
    d = json.loads(text)
    if tool == "rfmkit":
        load, pipe = d["load_seconds"], d["median_seconds"]
        checks = d["checksums"]
    elif tool == "polars":
        load, pipe = d["load"], d["median"]
        checks = d["checksums"]
    else:
        continue
    runs.setdefault((tool, threads), []).append((rnd, load, pipe, d))
med = statistics.median
for threads in ("1", "2"):
    rf, pl = runs.get(("rfmkit", threads), []), runs.get(("polars", threads), [])
    if not rf or not pl:
        continue
    for tool, rs in (("rfmkit", rf), ("polars", pl)):
        print(f"{tool:7} {threads} thread(s): load {med(r[1] for r in rs):.3f} s, "
              f"pipeline {med(r[2] for r in rs):.3f} s, "
              f"end to end {med(r[1] + r[2] for r in rs):.3f} s")
    ratios = [(p[1] + p[2]) / (r[1] + r[2]) for r, p in zip(rf, pl)]
    load_ratios = [p[1] / r[1] for r, p in zip(rf, pl)]
    rss = [r[3]["max_rss_kb"] * 1024 / size for r in rf]
    print(f"  polars/rfmkit end to end per round {[round(x, 2) for x in ratios]}, median {med(ratios):.2f}; "
          f"load {med(load_ratios):.2f}; rfmkit peak RSS {med(rss):.2f}x the file")
    same = all(json.dumps(r[3]["checksums"], sort_keys=True) == json.dumps(p[3]["checksums"], sort_keys=True)
               for r, p in zip(rf, pl))
    print(f"  checksums equal: {same}")
PY
