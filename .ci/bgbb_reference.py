#!/usr/bin/env python3
"""Reference numbers for the BG/BB tests (tests/clv.rs, `bgbb_*`), from an
independent implementation: `lifetimes`' BetaGeoBetaBinomFitter
(lifetimes 0.11.3; `pip install lifetimes "numpy<2" "pandas<2.2" "scipy<1.13"`).

Data: tests/data/bgbb_donations.csv is `lifetimes/datasets/donations.csv`
as shipped with lifetimes 0.11.3: the 1995 donor cohort of Fader, Hardie &
Shang (2010), 11,104 donors in 22 (frequency, recency, periods) patterns
over 6 yearly periods.

Prints (1) lifetimes' own fit of the data, and (2) per pattern, with the
PUBLISHED parameters (alpha 1.204, beta 0.750, gamma 0.657, delta 2.783) set
on the fitter: the log-likelihood, P(alive in period n+1)
(conditional_probability_alive with m = 1) and the expected transactions in
the next 5 periods (conditional_expected_number_of_purchases_up_to_time(5)),
plus E[X(6)] for a new donor. The test uses the same parameters and compares
to 1e-9 (relative). Not run by CI (it needs the Python packages).
"""
import os
import sys

import numpy as np
import pandas as pd
from lifetimes import BetaGeoBetaBinomFitter

here = os.path.dirname(os.path.abspath(__file__))
data = pd.read_csv(os.path.join(here, "..", "tests", "data", "bgbb_donations.csv"))

fitter = BetaGeoBetaBinomFitter()
fitter.fit(data["frequency"], data["recency"], data["periods"], weights=data["weights"])
ll = -fitter._negative_log_likelihood_ * data["weights"].sum()
print("lifetimes fit:", dict(fitter.params_.round(6)), "LL", round(ll, 4))
print("lifetimes standard errors:", dict(fitter.standard_errors_.round(6)))

params = pd.Series([1.204, 0.750, 0.657, 2.783], index=["alpha", "beta", "gamma", "delta"])
fitter.params_ = params
x, tx, n = data["frequency"].values, data["recency"].values, data["periods"].values
ll = BetaGeoBetaBinomFitter._loglikelihood(params.values, x, tx, n)
p_alive = fitter.conditional_probability_alive(1, x, tx, n)
expected = fitter.conditional_expected_number_of_purchases_up_to_time(5, x, tx, n)
print("// (x, t_x, n, ln L, P(alive in n+1), E[X(n, n+5)]) at the published parameters")
for row in zip(x, tx, n, ll, p_alive, expected):
    print("(%d, %d, %d, %.12e, %.12e, %.12e)," % row)
new = fitter.expected_number_of_transactions_in_first_n_periods(6)
mean_new = float((new["model"] * new.index.values).sum() / data["weights"].sum())
print("E[X(6)] new donor: %.12e" % mean_new)
sys.exit(0)
