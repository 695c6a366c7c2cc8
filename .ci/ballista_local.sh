#!/usr/bin/env bash
# A local Ballista cluster running rfmkit's `rfm_summary` (issue 14 item 4).
# NOT run by CI (`.ci/run` never calls it): it builds rfmkit-ballista, a
# separate crate with the Ballista scheduler/executor/gRPC stack.
#
#   .ci/ballista_local.sh PARTS_DIR [AS_OF=2026-01-01] [EXPECTED_JSON]
#
# 1. builds `rfmkit-ballista` (profile $BALLISTA_PROFILE, default `release`;
#    target dir $CARGO_TARGET_DIR, default rfmkit-ballista/target);
# 2. starts one scheduler and TWO executor processes on localhost (ports
#    $BASE_PORT.. , default 50050: scheduler 50050, executors 50051/50052
#    and 50061/50062), each executor running 1 task at a time and knowing
#    no as-of date (it travels with the plan);
# 3. runs the client: `SELECT customer_id, rfm_summary(order_date, amount,
#    status) FROM orders GROUP BY customer_id` over PARTS_DIR on the
#    cluster ($REPEAT times, default 3), then rfmkit's scoring, segments
#    and audience; the client also runs the same query in its own process
#    and rfmkit's in-process pipeline, and reports whether all agree
#    (`equal`);
# 4. stops all processes (trap), checks that BOTH executors ran tasks (their
#    logs), and compares the cluster's checksums with EXPECTED_JSON if given
#    (a JSON object with the checksums, or an output line of
#    `cargo run -p rfmkit-datafusion --release --example partitioned --
#    --input PARTS_DIR`), or runs that example when RUN_PARTITIONED=1.
#
# PARTS_DIR: Parquet files with customer_id, order_date (DATE), amount
# (integer minor units), status; e.g. `rfmkit-ballista simulate DIR` (the
# shop `partitioned` simulates) or `.ci/orders_to_parquet.py CSV DIR 8`.
# Logs and the client's JSON line stay in $LOG_DIR (default: a new
# /tmp/rfmkit-ballista-* directory).
set -euo pipefail

if [ $# -lt 1 ]; then
    sed -n '2,30p' "$0"
    exit 2
fi
PARTS_DIR=$1
AS_OF=${2:-2026-01-01}
EXPECTED=${3:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MANIFEST=$ROOT/rfmkit-ballista/Cargo.toml
PROFILE=${BALLISTA_PROFILE:-release}
TARGET=${CARGO_TARGET_DIR:-$ROOT/rfmkit-ballista/target}
REPEAT=${REPEAT:-3}
BASE_PORT=${BASE_PORT:-50050}
LOG_DIR=${LOG_DIR:-$(mktemp -d /tmp/rfmkit-ballista-XXXXXX)}
mkdir -p "$LOG_DIR"

echo "== build ($PROFILE, target dir $TARGET)"
start=$(date +%s)
# Not --locked: rfmkit and rfmkit-datafusion are path dependencies whose own
# dependencies may change; the committed Cargo.lock pins everything else.
CARGO_TARGET_DIR=$TARGET cargo build --manifest-path "$MANIFEST" --profile "$PROFILE"
echo "build: $(( $(date +%s) - start )) s"
case $PROFILE in
    dev) BIN=$TARGET/debug/rfmkit-ballista ;;
    *) BIN=$TARGET/$PROFILE/rfmkit-ballista ;;
esac

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

wait_for() { # FILE PATTERN SECONDS
    for _ in $(seq 1 "$(( $3 * 10 ))"); do
        if grep -q "$2" "$1" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "timed out waiting for '$2' in $1:" >&2
    tail -20 "$1" >&2
    return 1
}

SCHED=$BASE_PORT
echo "== scheduler on $SCHED, executors on $((SCHED + 1))/$((SCHED + 2)) and $((SCHED + 11))/$((SCHED + 12)); logs in $LOG_DIR"
"$BIN" scheduler --port "$SCHED" >"$LOG_DIR/scheduler.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$SCHED") 2>/dev/null; then break; fi
    sleep 0.1
done
wait_for "$LOG_DIR/scheduler.log" "listening on" 1
sleep 1
start_executor() { # I
    local port=$(( SCHED + 10 * ($1 - 1) + 1 ))
    "$BIN" executor --port "$port" --grpc-port "$(( port + 1 ))" --scheduler-port "$SCHED" \
        --concurrent-tasks 1 >>"$LOG_DIR/executor$1.log" 2>&1 &
    EPID[$1]=$!
    PIDS+=($!)
}
registered() { # registrations the scheduler accepted
    local got failed
    got=$(grep -c "Received register executor request" "$LOG_DIR/scheduler.log" || true)
    failed=$(grep -c "Fail to do executor registration" "$LOG_DIR/scheduler.log" || true)
    echo $(( got - failed ))
}
# Both executors must be registered before the query (a job waits for
# executors). Seen once: a registration that the scheduler answered only
# after the executor's 30 s gRPC timeout, so that executor exited; it is
# then started again (at most 3 restarts).
EPID=()
start_executor 1
start_executor 2
restarts=0
for _ in $(seq 1 600); do
    alive=1
    for i in 1 2; do
        if ! kill -0 "${EPID[$i]}" 2>/dev/null; then
            alive=0
            if [ "$restarts" -ge 3 ]; then
                echo "executor$i is not running:" >&2
                tail -5 "$LOG_DIR/executor$i.log" >&2
                exit 1
            fi
            echo "executor$i exited (registration failed?); starting it again" >&2
            restarts=$(( restarts + 1 ))
            start_executor "$i"
        fi
    done
    if [ "$alive" = 1 ] && [ "$(registered)" -ge 2 ]; then break; fi
    sleep 0.2
done
if [ "$(registered)" -lt 2 ]; then
    echo "the executors did not register within 120 s" >&2
    exit 1
fi
sleep 1

echo "== query (as of $AS_OF, $REPEAT runs)"
status=0
timeout "${QUERY_TIMEOUT:-900}" "$BIN" query --scheduler "df://localhost:$SCHED" --input "$PARTS_DIR" --as-of "$AS_OF" \
    --repeat "$REPEAT" >"$LOG_DIR/query.json" 2>"$LOG_DIR/query.log" || status=$?
cat "$LOG_DIR/query.json"
cleanup
PIDS=()
if [ "$status" -ne 0 ]; then
    echo "query failed (exit $status):" >&2
    tail -30 "$LOG_DIR/query.log" >&2
    exit 1
fi

echo "== tasks per executor (from their logs)"
for i in 1 2; do
    n=$(grep -cE "Execute task|Received task" "$LOG_DIR/executor$i.log" || true)
    echo "executor$i: $n tasks"
    grep -E "Execute task|Received task" "$LOG_DIR/executor$i.log" | head -3 | sed 's/^/    /'
    if [ "$n" -eq 0 ]; then
        echo "executor$i ran no task" >&2
        exit 1
    fi
done

if [ "${RUN_PARTITIONED:-0}" = 1 ] && [ -z "$EXPECTED" ]; then
    echo "== partitioned example (in process)"
    EXPECTED=$LOG_DIR/partitioned.json
    (cd "$ROOT" && cargo run -q -p rfmkit-datafusion --release --example partitioned -- \
        --input "$PARTS_DIR" --as-of "$AS_OF") >"$EXPECTED"
    cat "$EXPECTED"
fi

python3 - "$LOG_DIR/query.json" "$EXPECTED" <<'EOF'
import json, sys
line = json.loads(open(sys.argv[1]).read())
got = line["ballista"]["checksums"]
ok = True
if "equal" in line:
    print("cluster == local DataFusion == in-process pipeline:", line["equal"])
    ok = ok and line["equal"]
if sys.argv[2]:
    exp = json.loads(open(sys.argv[2]).read())
    sources = [(k, exp[k]["checksums"]) for k in ("datafusion", "in_process") if k in exp]
    if not sources:
        sources = [("expected", exp.get("checksums", exp))]
    for name, sums in sources:
        same = sums == got
        print(f"cluster == {name} ({sys.argv[2]}):", same)
        if not same:
            print("  expected", json.dumps(sums, sort_keys=True))
            print("  got     ", json.dumps(got, sort_keys=True))
        ok = ok and same
b = line["ballista"]
print(f"cluster: median {b['median_seconds']:.3f} s (aggregate {b['aggregate_median_seconds']:.3f} s), runs {b['times']}")
if "datafusion" in line:
    d = line["datafusion"]
    print(f"in-process DataFusion: median {d['median_seconds']:.3f} s (aggregate {d['aggregate_median_seconds']:.3f} s)")
sys.exit(0 if ok else 1)
EOF
echo "OK: logs in $LOG_DIR"
