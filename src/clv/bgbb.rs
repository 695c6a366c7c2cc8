//! The BG/BB model (Fader, Hardie & Shang 2010) for discrete-time data:
//! one transaction opportunity per period (a yearly donation, a monthly
//! renewal, a weekly visit), and the per-period histories it is fitted on.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{Analytic, FitDiagnostics, ModelKind, check_bounds, positive, run};
use super::special::{digamma, ln_gamma};
use super::uncertainty::{ParameterUncertainty, Scale, hessian};
use crate::error::{Error, Result};
use crate::id::CustomerId;
use crate::ingest::{IngestConfig, OrderLog};
use crate::order::Order;

const KIND: ModelKind = ModelKind::BgBb;

/// The longest horizon, in periods, over which the expected number of
/// transactions is summed term by term (only when `γ` is within `1e-4` of
/// 1, where the closed form divides by `γ − 1`; within `1e-6` a longer
/// horizon is an error).
pub const MAX_SUMMED_PERIODS: u32 = 10_000_000;

/// Within this distance of `γ = 1` the expectation is summed (horizons up
/// to [`MAX_SUMMED_PERIODS`]).
const SUM_NEAR_ONE: f64 = 1e-4;

/// Beyond this distance of `γ = 1` the closed form may be used.
const CLOSED_FORM_FROM: f64 = 1e-6;

/// One customer's discrete-time history: `x` transactions in the `n`
/// transaction opportunities (periods) after the first, the last in period
/// `t_x`.
///
/// The first transaction (period 0) is not counted, as in the continuous
/// models. `t_x = 0` when `x = 0`. A valid history has `x <= t_x <= n`
/// (at most one transaction per period) and `x > 0` exactly when
/// `t_x > 0`.
///
/// Serialized as `{"x": .., "t_x": .., "n": ..}`; deserializing validates
/// like [`BgBbHistory::new`].
///
/// # Example
///
/// ```
/// use rfmkit::clv::BgBbHistory;
///
/// // Donated in 3 of the 6 years after the first donation, last in year 5.
/// let h = BgBbHistory::new(3, 5, 6)?;
/// assert_eq!((h.x(), h.t_x(), h.n()), (3, 5, 6));
/// assert!(BgBbHistory::new(4, 3, 6).is_err()); // 4 transactions in 3 periods
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawHistory")]
pub struct BgBbHistory {
    x: u32,
    t_x: u32,
    n: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHistory {
    x: u32,
    t_x: u32,
    n: u32,
}

impl TryFrom<RawHistory> for BgBbHistory {
    type Error = Error;
    fn try_from(raw: RawHistory) -> Result<BgBbHistory> {
        BgBbHistory::new(raw.x, raw.t_x, raw.n)
    }
}

impl BgBbHistory {
    /// A history of `x` transactions in `n` periods, the last in period
    /// `t_x`.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] (what `bg_bb history`) unless
    /// `x <= t_x <= n` and (`x = 0`) = (`t_x = 0`).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::BgBbHistory;
    /// use rfmkit::Error;
    ///
    /// assert!(BgBbHistory::new(0, 0, 6).is_ok());
    /// assert!(matches!(BgBbHistory::new(0, 2, 6), Err(Error::OutOfRange { .. })));
    /// assert!(matches!(BgBbHistory::new(2, 7, 6), Err(Error::OutOfRange { .. })));
    /// ```
    pub fn new(x: u32, t_x: u32, n: u32) -> Result<BgBbHistory> {
        let problem = if x > t_x {
            Some("x is larger than t_x: at most one transaction per period")
        } else if t_x > n {
            Some("t_x is larger than n: the last transaction is after the last period")
        } else if (x == 0) != (t_x == 0) {
            Some("t_x must be 0 exactly when x is 0")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(Error::OutOfRange {
                what: "bg_bb history",
                value: format!("x = {x}, t_x = {t_x}, n = {n}"),
                expected: format!("{problem}; a history has x <= t_x <= n"),
            }),
            None => Ok(BgBbHistory { x, t_x, n }),
        }
    }

    /// `x`, the number of periods with a transaction after the first.
    #[must_use]
    pub fn x(&self) -> u32 {
        self.x
    }

    /// `t_x`, the period of the last transaction (0 if `x = 0`).
    #[must_use]
    pub fn t_x(&self) -> u32 {
        self.t_x
    }

    /// `n`, the number of transaction opportunities observed after the
    /// first transaction.
    #[must_use]
    pub fn n(&self) -> u32 {
        self.n
    }
}

/// The BG/BB ("beta-geometric / beta-Bernoulli") model of discrete-time
/// repeat transactions (Fader, Hardie & Shang 2010, "Customer-base
/// analysis in a discrete-time noncontractual setting", *Marketing
/// Science* 29(6)).
///
/// While alive, a customer transacts in each period with probability `p`;
/// at the start of each period after the first transaction an alive
/// customer dies for good with probability `θ`. Across customers
/// `p ~ Beta(α, β)` and `θ ~ Beta(γ, δ)`. The four parameters have no unit:
/// the period is whatever the data's period is (see
/// [`BgBbData::from_orders`]).
///
/// # Formulas
///
/// For a history `(x, t_x, n)` ([`BgBbHistory`]), with `B` the beta
/// function (FHS 2010, eqs. 5, 8, 11 and 13):
///
/// ```text
/// L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
///   + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ)
/// P(alive in period n+1) = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n+1)/B(γ,δ) / L
/// E[X(n, n+n*) | x, t_x, n] = B(α+x+1, β+n−x)/B(α,β) / L · S(n, n*)
/// E[X(n)] = α/(α+β) · S(0, n)
/// S(n, n*) = Σ_{k=1}^{n*} B(γ, δ+n+k)/B(γ,δ)
///          = δ/(γ−1) · Γ(γ+δ)/Γ(1+δ) · (Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+n*)/Γ(γ+δ+n+n*))
/// ```
///
/// `E[X(n, n+n*) | ..]` is the expected number of transactions in the next
/// `n*` periods of a customer with that history, `E[X(n)]` that of a new
/// customer in their first `n` periods. `L` is evaluated in logs with a
/// log-sum-exp; `S` in closed form (in logs, with `expm1`), or as the sum
/// when `γ` is within `1e-4` of 1.
///
/// Serialized as `{"alpha": .., "beta": .., "gamma": .., "delta": ..}`;
/// deserializing validates like [`BgBb::new`].
///
/// # Example
///
/// The published fit to the 1995 donor cohort (11,104 donors, 6 years):
///
/// ```
/// use rfmkit::clv::{BgBb, BgBbHistory};
///
/// let model = BgBb::new(1.204, 0.750, 0.657, 2.783)?;
/// // Gave in 4 of the 6 years, last in year 6: probably still a donor.
/// let h = BgBbHistory::new(4, 6, 6)?;
/// assert!(model.p_alive(h) > 0.8);
/// let next_5_years = model.expected_transactions(h, 5)?;
/// assert!(next_5_years > 2.0 && next_5_years < 5.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawBgBb")]
pub struct BgBb {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBgBb {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
}

impl TryFrom<RawBgBb> for BgBb {
    type Error = Error;
    fn try_from(raw: RawBgBb) -> Result<BgBb> {
        BgBb::new(raw.alpha, raw.beta, raw.gamma, raw.delta)
    }
}

/// `ln B(a, b)`.
fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// `∂ ln B(a, b) / ∂a` and `∂ ln B(a, b) / ∂b`.
fn d_ln_beta(a: f64, b: f64) -> (f64, f64) {
    let psi_ab = digamma(a + b);
    (digamma(a) - psi_ab, digamma(b) - psi_ab)
}

fn u32_f64(v: u32) -> f64 {
    f64::from(v)
}

impl BgBb {
    /// A BG/BB model with the given parameters.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if a parameter is not a finite number `> 0`.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::BgBb;
    ///
    /// let model = BgBb::new(1.204, 0.750, 0.657, 2.783)?;
    /// assert_eq!(model.gamma(), 0.657);
    /// assert!(BgBb::new(1.0, -1.0, 1.0, 1.0).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<BgBb> {
        Ok(BgBb {
            alpha: positive("bg_bb parameter alpha", alpha)?,
            beta: positive("bg_bb parameter beta", beta)?,
            gamma: positive("bg_bb parameter gamma", gamma)?,
            delta: positive("bg_bb parameter delta", delta)?,
        })
    }

    /// `α`, the first shape of the transaction probability's distribution.
    #[must_use]
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// `β`, the second shape of the transaction probability's distribution.
    #[must_use]
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// `γ`, the first shape of the drop-out probability's distribution.
    #[must_use]
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// `δ`, the second shape of the drop-out probability's distribution.
    #[must_use]
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// The parameters by name, in the usual order.
    #[must_use]
    pub fn parameters(&self) -> [(&'static str, f64); 4] {
        [
            ("alpha", self.alpha),
            ("beta", self.beta),
            ("gamma", self.gamma),
            ("delta", self.delta),
        ]
    }

    fn params(&self) -> [f64; 4] {
        [self.alpha, self.beta, self.gamma, self.delta]
    }

    /// One history's log-likelihood `ln L` (see [Formulas](Self#formulas)).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgBb, BgBbHistory};
    ///
    /// // α = β = γ = δ = 1, one period, no transaction:
    /// // L = B(1,2)/B(1,1) · B(1,2)/B(1,1) + B(1,1)/B(1,1) · B(2,1)/B(1,1)
    /// //   = 1/2 · 1/2 + 1/2 = 3/4.
    /// let model = BgBb::new(1.0, 1.0, 1.0, 1.0)?;
    /// let ll = model.log_likelihood(BgBbHistory::new(0, 0, 1)?);
    /// assert!((ll - 0.75f64.ln()).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn log_likelihood(&self, history: BgBbHistory) -> f64 {
        log_likelihood_and_gradient(self.params(), history, false).0
    }

    /// The total log-likelihood of `data` (each pattern once, times its
    /// number of customers).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgBb, BgBbData, BgBbHistory};
    ///
    /// let model = BgBb::new(1.0, 1.0, 1.0, 1.0)?;
    /// let data = BgBbData::from_patterns([(BgBbHistory::new(0, 0, 1)?, 2)])?;
    /// assert!((model.total_log_likelihood(&data) - 2.0 * 0.75f64.ln()).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn total_log_likelihood(&self, data: &BgBbData) -> f64 {
        data.patterns
            .iter()
            .map(|p| count_f64(p.customers) * self.log_likelihood(p.history))
            .sum()
    }

    /// The probability that a customer with this history is alive in
    /// period `n + 1`, the next transaction opportunity (FHS eq. 11).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgBb, BgBbHistory};
    ///
    /// let model = BgBb::new(1.204, 0.750, 0.657, 2.783)?;
    /// let recent = model.p_alive(BgBbHistory::new(3, 6, 6)?);
    /// let lapsed = model.p_alive(BgBbHistory::new(3, 3, 6)?);
    /// assert!(recent > lapsed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn p_alive(&self, history: BgBbHistory) -> f64 {
        let [alpha, beta, gamma, delta] = self.params();
        let (x, n) = (u32_f64(history.x), u32_f64(history.n));
        let ll = self.log_likelihood(history);
        let log = ln_beta(alpha + x, beta + n - x) - ln_beta(alpha, beta)
            + ln_beta(gamma, delta + n + 1.0)
            - ln_beta(gamma, delta)
            - ll;
        log.exp().clamp(0.0, 1.0)
    }

    /// The expected number of transactions in the next `periods` periods
    /// (`n + 1` to `n + periods`) of a customer with this history:
    /// `E[X(n, n + n*) | x, t_x, n]` (FHS eq. 13).
    ///
    /// # Errors
    ///
    /// [`Error::Numerical`] if `γ` is within `1e-6` of 1 and `periods` is
    /// above [`MAX_SUMMED_PERIODS`] (the sum would be too long and the
    /// closed form inaccurate), or the result is not finite.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgBb, BgBbHistory};
    ///
    /// let model = BgBb::new(1.204, 0.750, 0.657, 2.783)?;
    /// let h = BgBbHistory::new(6, 6, 6)?;
    /// assert_eq!(model.expected_transactions(h, 0)?, 0.0);
    /// // At most one transaction per period.
    /// assert!(model.expected_transactions(h, 5)? < 5.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_transactions(&self, history: BgBbHistory, periods: u32) -> Result<f64> {
        if periods == 0 {
            return Ok(0.0);
        }
        let [alpha, beta, gamma, delta] = self.params();
        let (x, n) = (u32_f64(history.x), u32_f64(history.n));
        let ll = self.log_likelihood(history);
        let ln_s = ln_survival_sum(gamma, delta, history.n, periods)?;
        let log = ln_beta(alpha + x + 1.0, beta + n - x) - ln_beta(alpha, beta) - ll + ln_s;
        finite(log.exp(), periods)
    }

    /// The expected number of repeat transactions of a new customer in
    /// their first `periods` periods: `E[X(n)]` (FHS eq. 8).
    ///
    /// # Errors
    ///
    /// As [`expected_transactions`](Self::expected_transactions).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::BgBb;
    ///
    /// // γ = 2, δ = 1: S(0, 1) = B(2, 2)/B(2, 1) = 1/3, so E[X(1)] = α/(α+β) / 3.
    /// let model = BgBb::new(1.0, 3.0, 2.0, 1.0)?;
    /// assert!((model.expected_transactions_new(1)? - 0.25 / 3.0).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_transactions_new(&self, periods: u32) -> Result<f64> {
        if periods == 0 {
            return Ok(0.0);
        }
        let [alpha, beta, gamma, delta] = self.params();
        let ln_s = ln_survival_sum(gamma, delta, 0, periods)?;
        finite(alpha / (alpha + beta) * ln_s.exp(), periods)
    }

    /// Fits the model to `data` by maximum likelihood.
    ///
    /// The log-parameters are optimized by BFGS with the exact gradient (the
    /// optimizer of the continuous models, with Nelder–Mead as the
    /// fallback), from `α = β = γ = δ = 1`. Each distinct pattern is
    /// evaluated once per step, in `O(n − t_x)` beta functions. The
    /// diagnostics carry the parameters' standard errors and 95% intervals
    /// from the observed information (see
    /// [`ParameterUncertainty`](super::ParameterUncertainty)).
    ///
    /// # Errors
    ///
    /// [`Error::NotIdentified`] if the data cannot identify the model (no
    /// customers, no period observed, no repeat transaction, every customer
    /// a repeat transaction in every period, or a parameter that runs off to
    /// 0 or infinity); [`Error::Numerical`] if the fit does not converge
    /// within the optimizer's budget.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgBb, BgBbData, BgBbHistory};
    ///
    /// let h = |x, t_x| BgBbHistory::new(x, t_x, 4);
    /// let data = BgBbData::from_patterns([
    ///     (h(0, 0)?, 500), (h(1, 1)?, 120), (h(1, 4)?, 60), (h(2, 2)?, 50),
    ///     (h(2, 4)?, 80), (h(3, 4)?, 110), (h(4, 4)?, 150), (h(1, 3)?, 40),
    /// ])?;
    /// let fit = BgBb::fit(&data)?;
    /// assert!(fit.diagnostics.converged);
    /// assert_eq!(fit.diagnostics.customers, 1_110);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit(data: &BgBbData) -> Result<BgBbFit> {
        check_identifiable(data)?;
        let n = data.customer_count_f64();
        let patterns = &data.patterns;
        let mut objective = Analytic(|p: [f64; 4]| {
            grouped(p, patterns).map(|(ll, g)| (-ll / n, g.map(|v| -v / n)))
        });
        let (params, outcome) = run(KIND, &mut objective, [1.0; 4], 1e-10)?;
        check_bounds(KIND, &outcome.x, &["alpha", "beta", "gamma", "delta"])?;
        if outcome.exhausted {
            return Err(Error::Numerical {
                model: KIND.name(),
                customer: None,
                problem: format!(
                    "the fit did not converge within {} iterations (largest gradient \
                     component {:.3e}); the data fit the model poorly",
                    outcome.iterations, outcome.gradient_norm
                ),
            });
        }
        let [alpha, beta, gamma, delta] = params;
        let model = BgBb::new(alpha, beta, gamma, delta)?;
        let log_likelihood = model.total_log_likelihood(data);
        let working = outcome.x;
        let uncertainty = hessian(
            |theta| {
                let p: [f64; 4] =
                    std::array::from_fn(|i| theta.get(i).map_or(f64::NAN, |t| t.exp()));
                let (_, g) = grouped(p, patterns)?;
                Some(g.iter().zip(&p).map(|(gi, pi)| gi * pi).collect())
            },
            &working,
        )
        .and_then(|h| {
            ParameterUncertainty::from_hessian(
                &["alpha", "beta", "gamma", "delta"],
                &[Scale::Log; 4],
                &working,
                &h,
            )
            .ok()
        });
        Ok(BgBbFit {
            model,
            period_days: data.period_days,
            calibration_end: data.calibration_end,
            diagnostics: FitDiagnostics {
                log_likelihood,
                converged: outcome.converged,
                gradient_norm: outcome.gradient_norm,
                iterations: outcome.iterations,
                evaluations: outcome.evaluations,
                optimizer: outcome.optimizer,
                customers: usize::try_from(data.customer_count()).unwrap_or(usize::MAX),
                groups: data.patterns.len(),
                uncertainty,
            },
        })
    }
}

fn finite(value: f64, periods: u32) -> Result<f64> {
    if value.is_finite() {
        Ok(value.max(0.0))
    } else {
        Err(Error::Numerical {
            model: KIND.name(),
            customer: None,
            problem: format!(
                "the expected transactions in the next {periods} periods are not finite"
            ),
        })
    }
}

/// `ln S(n, m)`, `S(n, m) = Σ_{k=1}^{m} B(γ, δ+n+k)/B(γ, δ)` for `m >= 1`.
fn ln_survival_sum(gamma: f64, delta: f64, n: u32, m: u32) -> Result<f64> {
    let (nf, mf) = (u32_f64(n), u32_f64(m));
    let eps = gamma - 1.0;
    // Near γ = 1 the closed form divides a difference of ln Γ values by
    // γ − 1 and loses about 1e-15/|γ − 1| of relative accuracy: sum there.
    let summed = eps.abs() <= SUM_NEAR_ONE && m <= MAX_SUMMED_PERIODS;
    if !summed && eps.abs() > CLOSED_FORM_FROM {
        let c = delta.ln() - eps.abs().ln() + ln_gamma(gamma + delta) - ln_gamma(1.0 + delta);
        let u1 = ln_gamma(1.0 + delta + nf) - ln_gamma(gamma + delta + nf);
        let u2 = ln_gamma(1.0 + delta + nf + mf) - ln_gamma(gamma + delta + nf + mf);
        // γ > 1: u2 < u1 and the bracket is positive; γ < 1: both flip.
        let bracket = if eps > 0.0 {
            -(u2 - u1).exp_m1()
        } else {
            (u2 - u1).exp_m1()
        };
        return Ok(c + u1 + bracket.ln());
    }
    if !summed {
        return Err(Error::Numerical {
            model: KIND.name(),
            customer: None,
            problem: format!(
                "γ = {gamma} is within {CLOSED_FORM_FROM:e} of 1, where the expectation is \
                 summed period by period, and {m} periods is more than {MAX_SUMMED_PERIODS}; \
                 use a shorter horizon"
            ),
        });
    }
    // B(γ, δ+j+1)/B(γ, δ+j) = (δ+j)/(γ+δ+j).
    let mut term = (ln_beta(gamma, delta + nf) - ln_beta(gamma, delta)).exp();
    let mut sum = 0.0;
    for k in 0..m {
        let j = nf + u32_f64(k);
        term *= (delta + j) / (gamma + delta + j);
        sum += term;
    }
    Ok(sum.ln())
}

/// `ln L` of one history and, if asked, its gradient in `(α, β, γ, δ)`.
fn log_likelihood_and_gradient(p: [f64; 4], h: BgBbHistory, gradient: bool) -> (f64, [f64; 4]) {
    let [alpha, beta, gamma, delta] = p;
    let (x, t_x, n) = (u32_f64(h.x), u32_f64(h.t_x), u32_f64(h.n));
    let base = ln_beta(alpha, beta) + ln_beta(gamma, delta);
    let (d_ab, d_gd) = if gradient {
        (d_ln_beta(alpha, beta), d_ln_beta(gamma, delta))
    } else {
        ((0.0, 0.0), (0.0, 0.0))
    };
    // Each term: its log and its gradient; combined by log-sum-exp.
    let term = |b1: f64, g: f64, d2: f64| -> (f64, [f64; 4]) {
        let value = ln_beta(alpha + x, b1) + ln_beta(g, d2) - base;
        if !gradient {
            return (value, [0.0; 4]);
        }
        let (da, db) = d_ln_beta(alpha + x, b1);
        let (dg, dd) = d_ln_beta(g, d2);
        (value, [da - d_ab.0, db - d_ab.1, dg - d_gd.0, dd - d_gd.1])
    };
    let mut terms = Vec::with_capacity(usize::try_from(h.n - h.t_x).unwrap_or(0) + 1);
    terms.push(term(beta + n - x, gamma, delta + n));
    for i in 0..(h.n - h.t_x) {
        let i = u32_f64(i);
        terms.push(term(beta + t_x - x + i, gamma + 1.0, delta + t_x + i));
    }
    let max = terms.iter().map(|t| t.0).fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    let mut grad = [0.0; 4];
    for (value, g) in &terms {
        let w = (value - max).exp();
        sum += w;
        for (acc, gi) in grad.iter_mut().zip(g) {
            *acc += w * gi;
        }
    }
    (max + sum.ln(), grad.map(|g| g / sum))
}

/// The total log-likelihood of weighted patterns and its gradient.
fn grouped(p: [f64; 4], patterns: &[BgBbPattern]) -> Option<(f64, [f64; 4])> {
    let mut total = 0.0;
    let mut grad = [0.0; 4];
    for pattern in patterns {
        let w = count_f64(pattern.customers);
        if w == 0.0 {
            continue;
        }
        let (ll, g) = log_likelihood_and_gradient(p, pattern.history, true);
        total += w * ll;
        for (acc, gi) in grad.iter_mut().zip(g) {
            *acc += w * gi;
        }
    }
    (total.is_finite() && grad.iter().all(|g| g.is_finite())).then_some((total, grad))
}

fn count_f64(count: u64) -> f64 {
    // Counts of customers are far below 2^53: exact.
    u32::try_from(count).map_or_else(|_| count as f64, f64::from)
}

fn check_identifiable(data: &BgBbData) -> Result<()> {
    let present = || data.patterns.iter().filter(|p| p.customers > 0);
    let reason = if data.customer_count() == 0 {
        Some("there are no customers; fit on a period with transactions")
    } else if present().all(|p| p.history.n == 0) {
        Some(
            "no customer has a complete period after their first transaction (every n is 0); \
             use a later calibration end or shorter periods",
        )
    } else if present().all(|p| p.history.x == 0) {
        Some(
            "no customer made a repeat transaction (x > 0), so transaction and drop-out \
             probabilities cannot be estimated; use a longer calibration period",
        )
    } else if present().all(|p| p.history.x == p.history.n) {
        Some(
            "every customer transacted in every period, so the model's spread of transaction \
             and drop-out probabilities cannot be estimated",
        )
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::NotIdentified {
            model: KIND.name(),
            reason: reason.into(),
        }),
        None => Ok(()),
    }
}

/// A distinct history with its number of customers.
///
/// # Example
///
/// ```
/// use rfmkit::clv::{BgBbData, BgBbHistory};
///
/// let data = BgBbData::from_patterns([(BgBbHistory::new(1, 2, 6)?, 277)])?;
/// assert_eq!(data.patterns()[0].customers, 277);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BgBbPattern {
    /// The history.
    pub history: BgBbHistory,
    /// How many customers have it.
    pub customers: u64,
}

/// One customer's BG/BB history, by id (from [`BgBbData::from_orders`] or
/// [`BgBbData::from_histories`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerBgBb {
    /// The customer.
    pub customer: CustomerId,
    /// Their history.
    pub history: BgBbHistory,
    /// The day of their first transaction (period 0 starts on it), when
    /// built from orders.
    pub first_purchase: Option<NaiveDate>,
}

/// How orders become BG/BB histories: the calibration end and the period
/// length in days.
///
/// # Periods
///
/// Each customer's periods start at their own first purchase day `f`:
/// period `k` is the `period_days` days from `f + k · period_days`. Period 0
/// holds the first purchase and is not counted (as the first purchase of
/// the continuous models). With `E` the calibration end (included):
///
/// - `n` = the number of whole periods after period 0 that end on or before
///   `E`: `n = ⌊(E − f + 1) / period_days⌋ − 1` (at least 0);
/// - `x` = the number of periods `1..=n` with at least one completed order
///   (several orders in one period are one transaction);
/// - `t_x` = the last of them (0 if none).
///
/// Orders in the trailing, incomplete period (after period `n`, on or
/// before `E`) are not used; they are counted in
/// [`BgBbData::partial_period_orders`]. Orders after `E` are an error, as in
/// ingestion. So a 365-day period turns a shop's log into yearly
/// histories, 7 into weekly ones. Cohort data aligned on the calendar (all
/// first purchases in one year, as the donation data) can be entered as
/// patterns directly ([`BgBbData::from_patterns`]).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use rfmkit::clv::BgBbConfig;
///
/// let config = BgBbConfig::new(NaiveDate::from_ymd_opt(2025, 12, 31).ok_or("date")?, 30)?;
/// assert_eq!(config.period_days(), 30);
/// assert!(BgBbConfig::new(NaiveDate::from_ymd_opt(2025, 12, 31).ok_or("date")?, 0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct BgBbConfig {
    calibration_end: NaiveDate,
    period_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    calibration_end: NaiveDate,
    period_days: u32,
}

impl TryFrom<RawConfig> for BgBbConfig {
    type Error = Error;
    fn try_from(raw: RawConfig) -> Result<BgBbConfig> {
        BgBbConfig::new(raw.calibration_end, raw.period_days)
    }
}

impl BgBbConfig {
    /// Periods of `period_days` days, up to `calibration_end` (included).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `period_days`) if `period_days` is 0.
    ///
    /// # Example
    ///
    /// See [`BgBbConfig`].
    pub fn new(calibration_end: NaiveDate, period_days: u32) -> Result<BgBbConfig> {
        if period_days == 0 {
            return Err(Error::config(
                "period_days",
                "0 days; a period is at least 1 day (7 for weeks, 365 for years)",
            ));
        }
        Ok(BgBbConfig {
            calibration_end,
            period_days,
        })
    }

    /// The last calibration day.
    #[must_use]
    pub fn calibration_end(&self) -> NaiveDate {
        self.calibration_end
    }

    /// The length of a period, in days.
    #[must_use]
    pub fn period_days(&self) -> u32 {
        self.period_days
    }
}

/// BG/BB input: distinct histories with their number of customers, and the
/// customers' own histories when they are known.
///
/// Patterns are sorted by history and distinct. Serializes as plain data;
/// loading validates every history.
///
/// # Example
///
/// ```
/// use rfmkit::clv::{BgBbData, BgBbHistory};
///
/// let data = BgBbData::from_histories([
///     ("ann", BgBbHistory::new(2, 3, 4)?),
///     ("bob", BgBbHistory::new(0, 0, 4)?),
///     ("cat", BgBbHistory::new(2, 3, 4)?),
/// ])?;
/// assert_eq!(data.customer_count(), 3);
/// assert_eq!(data.patterns().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BgBbData {
    patterns: Vec<BgBbPattern>,
    customers: Vec<CustomerBgBb>,
    period_days: Option<u32>,
    calibration_end: Option<NaiveDate>,
    partial_period_orders: usize,
}

impl BgBbData {
    /// Data from grouped patterns (such as a published table of histories
    /// with counts). Equal histories are merged; a count of 0 is allowed
    /// and contributes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`]-free: counts add in `u64`; [`Error::OutOfRange`]
    /// (what `bg_bb customers`) if they overflow.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgBbData, BgBbHistory};
    ///
    /// let h = BgBbHistory::new(1, 1, 6)?;
    /// let data = BgBbData::from_patterns([(h, 1_000), (h, 91)])?;
    /// assert_eq!(data.patterns().len(), 1);
    /// assert_eq!(data.customer_count(), 1_091);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_patterns(
        patterns: impl IntoIterator<Item = (BgBbHistory, u64)>,
    ) -> Result<BgBbData> {
        let mut all: Vec<(BgBbHistory, u64)> = patterns.into_iter().collect();
        all.sort_unstable_by_key(|p| p.0);
        let mut merged: Vec<BgBbPattern> = Vec::with_capacity(all.len());
        for (history, customers) in all {
            match merged.last_mut() {
                Some(last) if last.history == history => {
                    last.customers =
                        last.customers
                            .checked_add(customers)
                            .ok_or_else(|| Error::OutOfRange {
                                what: "bg_bb customers",
                                value: format!("{} + {customers}", last.customers),
                                expected: "a total number of customers below 2^64".into(),
                            })?;
                }
                _ => merged.push(BgBbPattern { history, customers }),
            }
        }
        Ok(BgBbData {
            patterns: merged,
            customers: Vec::new(),
            period_days: None,
            calibration_end: None,
            partial_period_orders: 0,
        })
    }

    /// Data from per-customer histories; customers are sorted by id.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateCustomer`] if a customer appears twice.
    ///
    /// # Example
    ///
    /// See [`BgBbData`].
    pub fn from_histories<C: Into<CustomerId>>(
        histories: impl IntoIterator<Item = (C, BgBbHistory)>,
    ) -> Result<BgBbData> {
        let customers = histories
            .into_iter()
            .map(|(c, history)| CustomerBgBb {
                customer: c.into(),
                history,
                first_purchase: None,
            })
            .collect();
        BgBbData::from_customers(customers, None, None, 0)
    }

    fn from_customers(
        mut customers: Vec<CustomerBgBb>,
        period_days: Option<u32>,
        calibration_end: Option<NaiveDate>,
        partial_period_orders: usize,
    ) -> Result<BgBbData> {
        customers.sort_unstable_by(|a, b| a.customer.cmp(&b.customer));
        if let Some(pair) = customers.windows(2).find(|w| match w {
            [a, b] => a.customer == b.customer,
            _ => false,
        }) {
            if let Some(first) = pair.first() {
                return Err(Error::DuplicateCustomer {
                    customer: first.customer.clone(),
                });
            }
        }
        let mut data = BgBbData::from_patterns(customers.iter().map(|c| (c.history, 1)))?;
        data.customers = customers;
        data.period_days = period_days;
        data.calibration_end = calibration_end;
        data.partial_period_orders = partial_period_orders;
        Ok(data)
    }

    /// Per-customer histories from orders, with the periods of `config`
    /// (see [`BgBbConfig`] for how days map to periods). Only completed
    /// orders are transactions. Empty input gives empty data.
    ///
    /// # Errors
    ///
    /// The first invalid order's error, as [`IngestConfig::ingest`] with
    /// the calibration end as the as-of date: [`Error::DuplicateOrderId`],
    /// [`Error::OrderAfterAsOf`] or [`Error::InvalidAmount`].
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::clv::{BgBbConfig, BgBbData};
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or("bad date");
    /// let orders = [
    ///     Order::new("1", "ann", d(2020, 3, 1)?, Money::new(500)),
    ///     Order::new("2", "ann", d(2021, 5, 1)?, Money::new(500)), // year 1
    ///     Order::new("3", "ann", d(2021, 6, 1)?, Money::new(500)), // year 1 again
    ///     Order::new("4", "ann", d(2023, 1, 1)?, Money::new(500)), // year 2
    ///     Order::new("5", "ann", d(2025, 3, 1)?, Money::new(500)), // year 5, incomplete
    /// ];
    /// let config = BgBbConfig::new(d(2025, 6, 30)?, 365)?;
    /// let data = BgBbData::from_orders(&orders, &config)?;
    /// let ann = &data.customers()[0];
    /// assert_eq!((ann.history.x(), ann.history.t_x(), ann.history.n()), (2, 2, 4));
    /// assert_eq!(data.partial_period_orders(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_orders<'a>(
        orders: impl IntoIterator<Item = &'a Order>,
        config: &BgBbConfig,
    ) -> Result<BgBbData> {
        let log = IngestConfig::new(config.calibration_end).ingest(orders)?;
        BgBbData::from_log(&log, config)
    }

    /// Per-customer histories from an ingested [`OrderLog`], as
    /// [`from_orders`](Self::from_orders). Orders after the calibration
    /// end are not used and not counted.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateCustomer`] cannot happen for a log; none in
    /// practice (the result is `Result` for forward compatibility).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use rfmkit::clv::{BgBbConfig, BgBbData};
    /// use rfmkit::ingest::IngestConfig;
    /// use rfmkit::{Money, Order};
    ///
    /// let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).ok_or("bad date");
    /// let orders = [
    ///     Order::new("1", "ann", d(1, 1)?, Money::new(500)),
    ///     Order::new("2", "ann", d(1, 9)?, Money::new(500)),
    /// ];
    /// let log = IngestConfig::new(d(1, 28)?).ingest(&orders)?;
    /// let data = BgBbData::from_log(&log, &BgBbConfig::new(d(1, 28)?, 7)?)?;
    /// let h = data.customers()[0].history;
    /// assert_eq!((h.x(), h.t_x(), h.n()), (1, 1, 3)); // weeks 1..3 after Jan 1-7
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_log(log: &OrderLog, config: &BgBbConfig) -> Result<BgBbData> {
        let end = config.calibration_end;
        let len = i64::from(config.period_days);
        let mut customers = Vec::with_capacity(log.index().len().min(1 << 22));
        let mut partial = 0_usize;
        let mut dates: Vec<NaiveDate> = Vec::new();
        for (slot, id) in log.index().iter().enumerate() {
            dates.clear();
            dates.extend(
                log.customer_rows(slot)
                    .filter(|r| !r.returned && r.date <= end)
                    .map(|r| r.date),
            );
            let Some(&first) = dates.iter().min() else {
                continue;
            };
            let n = ((end - first).num_days() + 1) / len - 1;
            let n = n.max(0);
            let mut periods: Vec<i64> = dates
                .iter()
                .map(|d| (*d - first).num_days() / len)
                .filter(|&k| k >= 1)
                .collect();
            partial += periods.iter().filter(|&&k| k > n).count();
            periods.retain(|&k| k <= n);
            periods.sort_unstable();
            periods.dedup();
            let to_u32 = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
            let x = to_u32(i64::try_from(periods.len()).unwrap_or(i64::MAX));
            let t_x = to_u32(periods.last().copied().unwrap_or(0));
            customers.push(CustomerBgBb {
                customer: CustomerId::from(id.as_ref()),
                history: BgBbHistory::new(x, t_x, to_u32(n))?,
                first_purchase: Some(first),
            });
        }
        BgBbData::from_customers(
            customers,
            Some(config.period_days),
            Some(config.calibration_end),
            partial,
        )
    }

    /// The distinct histories with their number of customers, sorted.
    #[must_use]
    pub fn patterns(&self) -> &[BgBbPattern] {
        &self.patterns
    }

    /// The customers' own histories, by id (empty for data built from
    /// patterns).
    #[must_use]
    pub fn customers(&self) -> &[CustomerBgBb] {
        &self.customers
    }

    /// The number of customers (the sum of the patterns' counts).
    #[must_use]
    pub fn customer_count(&self) -> u64 {
        self.patterns
            .iter()
            .fold(0_u64, |acc, p| acc.saturating_add(p.customers))
    }

    fn customer_count_f64(&self) -> f64 {
        self.patterns.iter().map(|p| count_f64(p.customers)).sum()
    }

    /// The period length in days, for data built from orders.
    #[must_use]
    pub fn period_days(&self) -> Option<u32> {
        self.period_days
    }

    /// The calibration end, for data built from orders.
    #[must_use]
    pub fn calibration_end(&self) -> Option<NaiveDate> {
        self.calibration_end
    }

    /// Completed orders in a customer's trailing, incomplete period (not
    /// used; see [`BgBbConfig`]).
    #[must_use]
    pub fn partial_period_orders(&self) -> usize {
        self.partial_period_orders
    }
}

/// A fitted BG/BB model with the period of its data and the fit
/// diagnostics. Plain data (serde).
///
/// # Example
///
/// ```
/// use rfmkit::clv::{BgBb, BgBbData, BgBbHistory};
///
/// let h = |x, t_x| BgBbHistory::new(x, t_x, 3);
/// let data = BgBbData::from_patterns([
///     (h(0, 0)?, 300), (h(1, 1)?, 80), (h(1, 3)?, 50), (h(2, 3)?, 90), (h(3, 3)?, 120), (h(2, 2)?, 40),
/// ])?;
/// let fit = BgBb::fit(&data)?;
/// let json = serde_json::to_string(&fit)?;
/// assert_eq!(serde_json::from_str::<rfmkit::clv::BgBbFit>(&json)?, fit);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct BgBbFit {
    /// The model and its parameters.
    pub model: BgBb,
    /// The period length in days of the data it was fitted on, if known.
    pub period_days: Option<u32>,
    /// The calibration end of that data, if known.
    pub calibration_end: Option<NaiveDate>,
    /// How the fit went.
    pub diagnostics: FitDiagnostics,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The likelihood as a plain sum of beta-function ratios (FHS eq. 5).
    fn direct(p: [f64; 4], h: BgBbHistory) -> f64 {
        let [a, b, g, d] = p;
        let (x, tx, n) = (f64::from(h.x), f64::from(h.t_x), f64::from(h.n));
        let bf = |u: f64, v: f64| ln_beta(u, v).exp();
        let mut l = bf(a + x, b + n - x) / bf(a, b) * bf(g, d + n) / bf(g, d);
        for i in 0..(h.n - h.t_x) {
            let i = f64::from(i);
            l += bf(a + x, b + tx - x + i) / bf(a, b) * bf(g + 1.0, d + tx + i) / bf(g, d);
        }
        l.ln()
    }

    #[test]
    fn likelihood_matches_the_plain_sum() {
        let p = [1.204, 0.750, 0.657, 2.783];
        for (x, tx, n) in [(0, 0, 6), (1, 1, 6), (3, 5, 6), (6, 6, 6), (2, 4, 10)] {
            let h = BgBbHistory::new(x, tx, n).unwrap();
            let ours = log_likelihood_and_gradient(p, h, false).0;
            assert!((ours - direct(p, h)).abs() < 1e-12, "{x} {tx} {n}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let patterns: Vec<BgBbPattern> = [(0, 0, 6, 30), (2, 3, 6, 10), (5, 6, 6, 4), (1, 1, 4, 7)]
            .iter()
            .map(|&(x, tx, n, w)| BgBbPattern {
                history: BgBbHistory::new(x, tx, n).unwrap(),
                customers: w,
            })
            .collect();
        let p = [1.3, 0.8, 0.6, 2.5];
        let (_, grad) = grouped(p, &patterns).unwrap();
        for i in 0..4 {
            let h = 1e-6 * p[i];
            let (mut up, mut down) = (p, p);
            up[i] += h;
            down[i] -= h;
            let numeric = (grouped(up, &patterns).unwrap().0 - grouped(down, &patterns).unwrap().0)
                / (2.0 * h);
            assert!(
                (numeric - grad[i]).abs() < 1e-6 * numeric.abs().max(1.0),
                "{i}: {numeric} vs {}",
                grad[i]
            );
        }
    }

    #[test]
    fn survival_sum_closed_form_equals_the_sum_and_is_continuous_at_gamma_one() {
        for &(g, d, n, m) in &[
            (0.657, 2.783, 6, 5),
            (2.5, 1.5, 0, 10),
            (1.0 + 2e-6, 3.0, 4, 7),
        ] {
            let closed = ln_survival_sum(g, d, n, m).unwrap().exp();
            let summed: f64 = (1..=m)
                .map(|k| (ln_beta(g, d + f64::from(n + k)) - ln_beta(g, d)).exp())
                .sum();
            assert!(
                (closed - summed).abs() < 1e-8 * summed,
                "{closed} vs {summed}"
            );
        }
        let at = ln_survival_sum(1.0, 3.0, 4, 7).unwrap();
        let near = ln_survival_sum(1.0 + 2e-6, 3.0, 4, 7).unwrap();
        assert!((at - near).abs() < 1e-5);
    }

    #[test]
    fn expected_new_matches_the_published_closed_form() {
        // FHS eq. 8, written out.
        let m = BgBb::new(1.204, 0.750, 0.657, 2.783).unwrap();
        let (a, b, g, d) = (1.204, 0.750, 0.657, 2.783);
        let n = 6.0;
        let eq8 = a / (a + b) * d / (g - 1.0)
            * (1.0
                - (ln_gamma(g + d) - ln_gamma(g + d + n) + ln_gamma(1.0 + d + n)
                    - ln_gamma(1.0 + d))
                .exp());
        assert!((m.expected_transactions_new(6).unwrap() - eq8).abs() < 1e-12);
    }
}
