#!/usr/bin/env bash
# Builds every example once (release) and runs them against the fixtures in
# tests/data/, checking output, exit codes and the line numbers in errors.
#
# Usage: bash .ci/examples.sh   (from anywhere; it cd's to the crate root)
# Prints one line per check and "N passed, M failed"; exits 1 if any failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

target_dir="${CARGO_TARGET_DIR:-target}"
bin_dir="$target_dir/release/examples"
data=tests/data
as_of=2025-12-31

echo "building examples (release)"
cargo build --release --examples --quiet

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

passed=0
failed=0

pass() {
    passed=$((passed + 1))
    echo "ok    $1"
}

fail() {
    failed=$((failed + 1))
    echo "FAIL  $1"
    shift
    # Extra lines explain the failure.
    for detail in "$@"; do
        printf '%s\n' "$detail" | sed 's/^/      /'
    done
}

# run NAME ARGS...: runs an example, capturing stdout, stderr and the exit
# code in $work/{out,err} and $rc, without tripping `set -e`.
run() {
    local name="$1"
    shift
    rc=0
    "$bin_dir/$name" "$@" >"$work/out" 2>"$work/err" || rc=$?
}

# --- rfm_csv ------------------------------------------------------------

if [[ -f examples/rfm_csv.rs ]]; then
    rfm=rfm_csv

    # The hand-computed expected output (tests/data/orders_small.expected.md).
    check="rfm_csv orders_small.csv --method rank --bins 5 matches orders_small.expected.csv"
    run "$rfm" --input "$data/orders_small.csv" --as-of "$as_of" --method rank --bins 5
    if [[ $rc -eq 0 ]] && diff -u "$data/orders_small.expected.csv" "$work/out" >"$work/diff"; then
        pass "$check"
    else
        fail "$check" "exit code $rc" "$(cat "$work/diff" "$work/err")"
    fi

    # The same through --output: the file gets the CSV, stdout the report.
    check="rfm_csv --output writes the same CSV to the file"
    run "$rfm" --input "$data/orders_small.csv" --as-of "$as_of" --method rank \
        --output "$work/small.csv"
    if [[ $rc -eq 0 ]] && diff -u "$data/orders_small.expected.csv" "$work/small.csv" >"$work/diff" \
        && grep -q "RFM model as of $as_of" "$work/out"; then
        pass "$check"
    else
        fail "$check" "exit code $rc" "$(cat "$work/diff" "$work/err")"
    fi

    # Malformed fixtures: exit 1 and an error naming the right line.
    # fixture:expected-text (a line number N means "line N" must appear).
    for case in \
        bad_date:4 \
        bad_amount:3 \
        overflow_amount:5 \
        short_row:5 \
        after_as_of:8 \
        'missing_column:missing column "amount"'; do
        fixture="${case%%:*}"
        expect="${case#*:}"
        if [[ "$expect" =~ ^[0-9]+$ ]]; then
            pattern="line $expect([^0-9]|\$)"
            shown="line $expect"
        else
            pattern="$(printf '%s' "$expect" | sed 's/[][\.*^$()+?{}|]/\\&/g')"
            shown="$expect"
        fi
        check="rfm_csv $fixture.csv fails with exit 1 naming '$shown'"
        run "$rfm" --input "$data/$fixture.csv" --as-of "$as_of"
        if [[ $rc -eq 1 ]] && grep -qE "$pattern" "$work/err" && [[ ! -s "$work/out" ]]; then
            pass "$check"
        else
            fail "$check" "exit code $rc" "stderr: $(cat "$work/err")"
        fi
    done

    check="rfm_csv empty.csv (header only) prints exactly the header"
    run "$rfm" --input "$data/empty.csv" --as-of "$as_of"
    if [[ $rc -eq 0 ]] \
        && [[ "$(cat "$work/out")" == "customer_id,recency_days,frequency,monetary,r,f,m,segment" ]]; then
        pass "$check"
    else
        fail "$check" "exit code $rc" "stdout: $(cat "$work/out")" "stderr: $(cat "$work/err")"
    fi

    # Lenient mode: a malformed row (read stage) and an order after the
    # as-of date (summary stage) are skipped, listed with their line.
    for case in bad_date:4 after_as_of:8; do
        fixture="${case%%:*}"
        line="${case#*:}"
        check="rfm_csv --lenient $fixture.csv succeeds, listing skipped line $line"
        run "$rfm" --input "$data/$fixture.csv" --as-of "$as_of" --lenient
        if [[ $rc -eq 0 ]] && grep -qE "^skipped .* line $line([^0-9]|\$)" "$work/err" \
            && grep -q "^skipped 1 of " "$work/err" \
            && head -n 1 "$work/out" | grep -q '^customer_id,'; then
            pass "$check"
        else
            fail "$check" "exit code $rc" "stderr: $(cat "$work/err")"
        fi
    done

    check="rfm_csv --help exits 0 with usage on stdout"
    run "$rfm" --help
    if [[ $rc -eq 0 ]] && grep -q '^usage: rfm_csv' "$work/out"; then
        pass "$check"
    else
        fail "$check" "exit code $rc"
    fi

    check="rfm_csv with a bad flag exits 2 with usage on stderr"
    run "$rfm" --input "$data/orders_small.csv" --as-of "$as_of" --bogus
    if [[ $rc -eq 2 ]] && grep -q 'unknown flag --bogus' "$work/err" \
        && grep -q '^usage: rfm_csv' "$work/err"; then
        pass "$check"
    else
        fail "$check" "exit code $rc" "stderr: $(cat "$work/err")"
    fi
else
    fail "examples/rfm_csv.rs exists"
fi

# --- the other examples -------------------------------------------------
# Examples that run without arguments are run here; the ones that need
# input files get their own checks above when they have fixtures.
no_args=(quickstart)
for source in examples/*.rs; do
    name="$(basename "$source" .rs)"
    [[ "$name" == rfm_csv ]] && continue
    if [[ " ${no_args[*]} " == *" $name "* ]]; then
        check="$name runs without arguments"
        run "$name"
        if [[ $rc -eq 0 ]]; then
            pass "$check"
        else
            fail "$check" "exit code $rc" "stderr: $(tail -n 20 "$work/err")"
        fi
    else
        echo "skip  $name (needs arguments; no check yet)"
    fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
