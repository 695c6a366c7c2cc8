#!/usr/bin/env python3
"""An independent reference for the issue-6 benchmark pipeline.

    python3 .ci/pipeline_reference.py generate OUT.csv [--rows N] [--customers C] [--text-ids] [--seed S]
    python3 .ci/pipeline_reference.py checksums ORDERS.csv [--as-of 2026-01-01]
    python3 .ci/pipeline_reference.py compare ORDERS.csv PIPELINE_BENCH.json

`checksums` computes, with plain Python (no pandas), what the benchmark
computes, following rfmkit's status policy (a negative amount is a return):
per customer the last purchase date and the number of purchases over rows
with amount >= 0, and sum(amount) in cents over every row; customers with
returns only are not scored. Then R, F, M by one of three methods
(`--method`, default rank):

- rank: ceil(5 * r / N), r the 1-based rank ascending by (key, customer_id),
  R's key being the last purchase date;
- quantile: b_k = v(ceil(k * N / 5)) of the ascending keys (R type 1),
  score = 1 + #{k : v > b_k};
- thresholds: recency <= 365/180/90/30 days, frequency >= 2/3/5/10,
  monetary >= 50/200/500/1000.00, score = 1 + the number reached;

the first-match segments; and the audience segment in (at_risk, dormant)
and monetary >= 100.00. Customer ids sort as integers when every id is
one (an integer column), else as text (`--id-order text|numeric|auto`).
`compare` exits 1 unless rfmkit bench's checksums equal these.
"""
import csv
import datetime
import json
import random
import sys


def generate(path, rows, customers, text_ids, seed):
    rng = random.Random(seed)
    if text_ids:
        ids = ["u%x" % rng.randrange(1 << 40) for _ in range(customers)]
    else:
        ids = [str(i) for i in rng.sample(range(1, 10**9), customers)]
    start = datetime.date(2023, 1, 1)
    days = sorted(rng.randrange(0, 1095) for _ in range(rows))
    with open(path, "w", newline="") as f:
        f.write("order_id,customer_id,order_date,amount,channel\n")
        for i, d in enumerate(days):
            # Skewed customers (many buy once), small amounts, 5% returns.
            c = ids[min(int(rng.paretovariate(1.2)) - 1, customers - 1) if rng.random() < 0.3 else rng.randrange(customers)]
            cents = rng.randint(100, 30000)
            if rng.random() < 0.05:
                cents = -rng.randint(100, 20000)
            sign = "-" if cents < 0 else ""
            a = abs(cents)
            day = start + datetime.timedelta(days=d)
            f.write(f"{i + 1},{c},{day.isoformat()},{sign}{a // 100}.{a % 100:02d},web\n")


def cents(text):
    neg = text.startswith("-")
    text = text.lstrip("+-")
    whole, _, frac = text.partition(".")
    v = int(whole or "0") * 100 + int((frac + "00")[:2])
    return -v if neg else v


def checksums(path, as_of, method="rank", id_order="auto"):
    agg = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            c = row["customer_id"].strip()
            d = datetime.date.fromisoformat(row["order_date"])
            a = cents(row["amount"])
            last, n, s = agg.get(c, (None, 0, 0))
            if a >= 0 and not row["amount"].strip().startswith("-"):
                last, n = (d if last is None else max(last, d)), n + 1
            agg[c] = (last, n, s + a)
    scored = {k: v for k, v in agg.items() if v[1] > 0}
    numeric = {"auto": bool(agg) and all(k.lstrip("-").isdigit() for k in agg),
               "numeric": True, "text": False}[id_order]
    idkey = (lambda k: (int(k), k)) if numeric else (lambda k: k.encode())
    n = len(scored)
    recency = {k: (as_of - v[0]).days for k, v in scored.items()}

    def key(k, dim):
        return -recency[k] if dim == 0 else scored[k][dim]

    scores = {k: [0, 0, 0] for k in scored}
    for dim in range(3):
        if method == "rank":
            order = sorted(scored, key=lambda k: (key(k, dim), idkey(k)))
            for r, k in enumerate(order, start=1):
                scores[k][dim] = (5 * r + n - 1) // n
        elif method == "quantile":
            values = sorted(key(k, dim) for k in scored)
            cuts = [values[-(-j * n // 5) - 1] for j in range(1, 5)] if n else []
            for k in scored:
                scores[k][dim] = 1 + sum(1 for b in cuts if key(k, dim) > b)
        else:
            for k in scored:
                if dim == 0:
                    scores[k][0] = 1 + sum(1 for c in (365, 180, 90, 30) if recency[k] <= c)
                elif dim == 1:
                    scores[k][1] = 1 + sum(1 for c in (2, 3, 5, 10) if scored[k][1] >= c)
                else:
                    scores[k][2] = 1 + sum(1 for c in (5000, 20000, 50000, 100000) if scored[k][2] >= c)
    segs = {s: 0 for s in ["champions", "loyal", "new", "at_risk", "dormant", "other"]}
    audience = 0
    for k, (R, F, M) in scores.items():
        if R >= 4 and F >= 4 and M >= 4:
            seg = "champions"
        elif F >= 4:
            seg = "loyal"
        elif R >= 4 and F == 1:
            seg = "new"
        elif R <= 2 and F >= 3:
            seg = "at_risk"
        elif R == 1:
            seg = "dormant"
        else:
            seg = "other"
        segs[seg] += 1
        if seg in ("at_risk", "dormant") and scored[k][2] >= 10000:
            audience += 1
    return {
        "segments": segs,
        "audience": audience,
        "sum_recency_days": sum(recency.values()),
        "sum_frequency": sum(v[1] for v in scored.values()),
        "sum_monetary": sum(v[2] for v in scored.values()),
    }


def flag(args, name, default):
    return args[args.index(name) + 1] if name in args else default


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    cmd, path, rest = argv[1], argv[2], argv[3:]
    if cmd == "generate":
        generate(path, int(flag(rest, "--rows", 20000)), int(flag(rest, "--customers", 3000)),
                 "--text-ids" in rest, int(flag(rest, "--seed", 6)))
        return 0
    as_of = datetime.date.fromisoformat(flag(rest, "--as-of", "2026-01-01"))
    method = flag(rest, "--method", "rank")
    id_order = flag(rest, "--id-order", "auto")
    if cmd == "checksums":
        print(json.dumps(checksums(path, as_of, method, id_order), sort_keys=True))
        return 0
    if cmd == "compare":
        got = json.load(open(rest[0]))["checksums"]
        want = checksums(path, as_of, method, id_order)
        if got != want:
            print("mismatch:\n  rfmkit bench: %s\n  reference:      %s" % (
                json.dumps(got, sort_keys=True), json.dumps(want, sort_keys=True)))
            return 1
        print(json.dumps(want, sort_keys=True))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
