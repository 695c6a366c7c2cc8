"""Reference standard errors for rfmkit's `clv` fits, from `lifetimes`.

Fits BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma with lifetimes 0.11.3 on
the CDNOW sample (calibration 1997-01-01..1997-09-30, weeks = days / 7, the
same inputs as rfmkit's `BtydData`: several orders of a customer on one day
are one purchase day; the mean repeat spend leaves the first day out) and
prints the parameters with lifetimes' `standard_errors_` (Hessian-based:
autograd's exact Hessian of the mean negative log-likelihood in
log-parameters, inverted, times p_i^2 / n). lifetimes' ParetoNBDFitter has
no `standard_errors_` (its likelihood calls scipy's hyp2f1, which autograd
cannot differentiate), so for Pareto/NBD the script takes lifetimes' own
likelihood (`ParetoNBDFitter._negative_log_likelihood`) at lifetimes' fit and
differentiates it twice numerically (central differences of function values
in log-parameters, step 1e-3), then applies the same delta method. The same
numeric route is printed for BG/NBD as a check of the route itself.

Run (not in CI: it needs a venv with lifetimes, about 1 minute):

    python3 -m venv /tmp/clvse-venv
    /tmp/clvse-venv/bin/pip install lifetimes 'numpy<2'
    /tmp/clvse-venv/bin/python .ci/clv_se_reference.py tests/data/ltv_cdnow_sample.txt

The figures are recorded in tests/clv_uncertainty.rs.
"""
import sys
from collections import defaultdict
from datetime import date

import numpy as np
import pandas as pd
from lifetimes import (BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter,
                       ParetoNBDFitter)

END = date(1997, 9, 30)


def inputs(path):
    days = defaultdict(lambda: defaultdict(float))
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) != 5:
                continue
            d = date(int(fields[2][:4]), int(fields[2][4:6]), int(fields[2][6:]))
            if d <= END:
                days[fields[1]][d] += float(fields[4])
    rows = []
    for customer, spend in sorted(days.items()):
        ds = sorted(spend)
        first, last = ds[0], ds[-1]
        x = len(ds) - 1
        mean = sum(spend[d] for d in ds[1:]) / x if x > 0 else 0.0
        rows.append((customer, x, (last - first).days / 7.0, (END - first).days / 7.0, mean))
    return pd.DataFrame(rows, columns=["id", "frequency", "recency", "T", "monetary_value"])


def numeric_se(nll, params):
    """SE = p * sqrt(diag(H^-1)), H the Hessian of the total negative
    log-likelihood in log-parameters by central differences."""
    theta = np.log(np.asarray(params, dtype=float))
    k, h = len(theta), 1e-3
    f = lambda t: nll(np.exp(t))
    H = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            def at(di, dj):
                t = theta.copy()
                t[i] += di
                t[j] += dj
                return f(t)
            H[i, j] = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h)
    return np.exp(theta) * np.sqrt(np.diag(np.linalg.inv(H)))


def main():
    df = inputs(sys.argv[1] if len(sys.argv) > 1 else "tests/data/ltv_cdnow_sample.txt")
    print(f"customers {len(df)}, repeat buyers {(df.frequency > 0).sum()}")
    for name, fitter in [("bg_nbd", BetaGeoFitter()), ("mbg_nbd", ModifiedBetaGeoFitter()),
                         ("pareto_nbd", ParetoNBDFitter())]:
        fitter.fit(df["frequency"], df["recency"], df["T"])
        print(name)
        freq, rec, T = df["frequency"].values, df["recency"].values, df["T"].values
        ones = np.ones(len(df))
        if name == "pareto_nbd":
            nll = lambda p: ParetoNBDFitter._negative_log_likelihood(p, freq, rec, T, ones, 0.0)
            ses = numeric_se(nll, fitter.params_.values)
        else:
            ses = fitter.standard_errors_.values
        check = ""
        if name == "bg_nbd":
            # lifetimes' BG/NBD objective is in log-parameters, per customer.
            nll = lambda p: len(df) * BetaGeoFitter._negative_log_likelihood(
                np.log(p), freq, rec, T, ones, 0.0)
            check = numeric_se(nll, fitter.params_.values)
        for i, p in enumerate(fitter.params_.index):
            extra = f"  (numeric route {check[i]:.10g})" if len(check) else ""
            print(f"  {p:6} {fitter.params_[p]:.10g}  se {ses[i]:.10g}{extra}")
    repeat = df[df.frequency > 0]
    gg = GammaGammaFitter()
    gg.fit(repeat["frequency"], repeat["monetary_value"])
    print("gamma_gamma (dollars)")
    for p in gg.params_.index:
        print(f"  {p:6} {gg.params_[p]:.10g}  se {gg.standard_errors_[p]:.10g}")


if __name__ == "__main__":
    main()
