#!/usr/bin/env python3
"""An independent per-customer reference for `rfmkit score`'s scores.

    python3 .ci/rfm_reference.py ORDERS.csv AS_OF SCORES.csv --method quantile|rank
    python3 .ci/rfm_reference.py ORDERS.csv AS_OF --write EXPECTED.csv --method quantile|rank

Reads an order CSV (customer_id, order_date YYYY-MM-DD, amount; a negative
amount is a return, which nets monetary but is not a purchase), computes
per customer recency_days, frequency (completed orders) and monetary
(cents), then R, F, M in 5 bins by the rule the rfmkit docs state, written
here from the docs and not from the code:

- quantile: with v oriented so that higher is better (v = -recency_days),
  b_k = v(ceil(k N / 5)) of the ascending values, score = 1 + #{k : v > b_k};
- rank: sort ascending by (v, customer_id) (ids as text), r the 1-based
  position, score = ceil(5 r / N).

Compares with `rfmkit score`'s output (customer_id,recency_days,frequency,
monetary,r,f,m,segment) row by row; prints the first differences and exits
1 if there is any. With `--write`, writes instead what that output must be
without its segment column (customer_id,recency_days,frequency,monetary,
r,f,m, ids in text order, monetary with 2 decimals): the committed fixtures
`tests/data/cdnow_rfm_*.expected.csv` are made this way and
`rfmkit-cli/tests/cdnow.rs` compares the binary's output with them.
"""
import csv
import datetime
import sys


def cents(text):
    neg = text.startswith("-")
    whole, _, frac = text.lstrip("+-").partition(".")
    v = int(whole or "0") * 100 + int((frac + "00")[:2])
    return -v if neg else v


def decimal(cents_value):
    sign = "-" if cents_value < 0 else ""
    whole, frac = divmod(abs(cents_value), 100)
    return f"{sign}{whole}.{frac:02d}"


def main():
    orders, as_of = sys.argv[1], sys.argv[2]
    method = sys.argv[sys.argv.index("--method") + 1] if "--method" in sys.argv else "quantile"
    as_of = datetime.date.fromisoformat(as_of)
    last, freq, mon = {}, {}, {}
    with open(orders, newline="") as f:
        for row in csv.DictReader(f):
            c, a = row["customer_id"], cents(row["amount"])
            day = datetime.date.fromisoformat(row["order_date"])
            mon[c] = mon.get(c, 0) + a
            freq.setdefault(c, 0)
            if a >= 0:
                freq[c] += 1
                last[c] = max(last.get(c, day), day)
    ids = sorted(c for c in freq if freq[c] > 0)
    n, bins = len(ids), 5
    value = {
        "r": {c: -(as_of - last[c]).days for c in ids},
        "f": {c: freq[c] for c in ids},
        "m": {c: mon[c] for c in ids},
    }
    score = {}
    for dim, v in value.items():
        if method == "quantile":
            sorted_v = sorted(v.values())
            cuts = [sorted_v[-(-k * n // bins) - 1] for k in range(1, bins)]
            score[dim] = {c: 1 + sum(v[c] > b for b in cuts) for c in ids}
        else:
            ordered = sorted(ids, key=lambda c: (v[c], c))
            score[dim] = {c: -(-bins * (i + 1) // n) for i, c in enumerate(ordered)}
    expected = {
        c: [str(-value["r"][c]), str(freq[c]), mon[c], score["r"][c], score["f"][c], score["m"][c]]
        for c in ids
    }
    if "--write" in sys.argv:
        with open(sys.argv[sys.argv.index("--write") + 1], "w", newline="") as out:
            out.write("customer_id,recency_days,frequency,monetary,r,f,m\n")
            for c in ids:
                e = expected[c]
                out.write(",".join([c, e[0], e[1], decimal(e[2])] + [str(v) for v in e[3:]]) + "\n")
        return
    scores = sys.argv[3]
    with open(scores, newline="") as f:
        got = {
            row["customer_id"]: [row["recency_days"], row["frequency"], cents(row["monetary"]),
                                 int(row["r"]), int(row["f"]), int(row["m"])]
            for row in csv.DictReader(f)
        }
    bad = [c for c in ids if got.get(c) != expected[c]] + [c for c in got if c not in expected]
    for c in bad[:5]:
        print(f"{c}: rfmkit {got.get(c)}, reference {expected.get(c)}")
    print(f"{n} customers, {len(bad)} differ ({method})")
    sys.exit(1 if bad else 0)


main()
