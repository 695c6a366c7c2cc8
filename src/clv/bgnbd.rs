//! The BG/NBD model (Fader, Hardie & Lee 2005), and the likelihood and
//! prediction formulas it shares with MBG/NBD.

use serde::{Deserialize, Serialize};

use super::btyd::{Btyd, BtydData};
use super::model::{Groups, ModelKind, TransactionFit, TransactionModel, check_horizon, positive};
use super::special::{digamma, expectation_tail, inv_one_plus_exp, ln_gamma, one_minus_exp_over};
use crate::error::{Error, Result};

/// The BG/NBD ("beta-geometric / negative binomial") model of repeat
/// purchasing (Fader, Hardie & Lee 2005, "Counting your customers the easy
/// way").
///
/// While alive, a customer buys at Poisson rate `λ`; after each *repeat*
/// purchase they drop out for good with probability `p`. Across customers
/// `λ ~ Gamma(shape r, rate α)` and `p ~ Beta(a, b)`. `α` is in the time
/// unit of the data the model was fitted on (weeks, days); `r`, `a`, `b`
/// have no unit.
///
/// # Formulas
///
/// For a customer with `x` repeat purchases, the last at `t_x`, observed
/// for `T` (see the [module docs](super#definitions)):
///
/// ```text
/// L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
///   + [x > 0] B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))
/// P(alive) = 1 / (1 + [x > 0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
/// E[Y(t)]  = P(alive) · (a+b+x−1)/(a−1) · (1 − ((α+T)/(α+T+t))^(r+x)
///              · 2F1(r+x, b+x; a+b+x−1; t/(α+T+t)))
/// ```
///
/// `L` is evaluated in logs (FHL eq. 6, with a stable log-sum-exp);
/// `E[Y(t)]`, the expected number of purchases in the next `t`, is
/// evaluated after Euler's transformation of the 2F1, in a form without the
/// division by `a − 1`, so it is finite and accurate for `a` at or near 1 and
/// for any `x`.
///
/// Serialized as `{"r": .., "alpha": .., "a": .., "b": ..}`; deserializing
/// validates like [`BgNbd::new`].
///
/// # Example
///
/// The published CDNOW fit (weeks), applied to the paper's customer with
/// `x = 2`, `t_x = 30.43`, `T = 38.86`:
///
/// ```
/// use rfmkit::clv::{BgNbd, Btyd};
///
/// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let customer = Btyd::new(2, 30.43, 38.86)?;
/// let p_alive = model.p_alive(customer);
/// assert!((p_alive - 0.7266).abs() < 1e-4); // lifetimes: 0.72658
/// let next_39_weeks = model.expected_purchases(customer, 39.0)?;
/// assert!((next_39_weeks - 1.2260).abs() < 1e-4); // lifetimes: 1.22603
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawBgNbd")]
pub struct BgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

impl TryFrom<RawBgNbd> for BgNbd {
    type Error = Error;
    fn try_from(raw: RawBgNbd) -> Result<BgNbd> {
        BgNbd::new(raw.r, raw.alpha, raw.a, raw.b)
    }
}

impl BgNbd {
    /// A BG/NBD model with the given parameters.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if a parameter is not a finite number `> 0`.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::BgNbd;
    /// use rfmkit::Error;
    ///
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// assert_eq!(model.alpha(), 4.414);
    /// assert!(matches!(BgNbd::new(0.0, 4.4, 0.8, 2.4), Err(Error::OutOfRange { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<BgNbd> {
        Ok(BgNbd {
            r: positive("bg_nbd parameter r", r)?,
            alpha: positive("bg_nbd parameter alpha", alpha)?,
            a: positive("bg_nbd parameter a", a)?,
            b: positive("bg_nbd parameter b", b)?,
        })
    }

    /// `r`, the shape of the purchase-rate distribution.
    #[must_use]
    pub fn r(&self) -> f64 {
        self.r
    }

    /// `α`, the rate (inverse scale) of the purchase-rate distribution, in
    /// the model's time unit.
    #[must_use]
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// `a`, the first shape of the drop-out probability distribution.
    #[must_use]
    pub fn a(&self) -> f64 {
        self.a
    }

    /// `b`, the second shape of the drop-out probability distribution.
    #[must_use]
    pub fn b(&self) -> f64 {
        self.b
    }

    fn params(&self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }

    /// One customer's log-likelihood `ln L` (see [Formulas](Self#formulas)).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgNbd, Btyd};
    ///
    /// // r = α = a = b = 1, x = 0, T = 1: L = B(1,1)/B(1,1) · 1/(1+1) = 1/2.
    /// let model = BgNbd::new(1.0, 1.0, 1.0, 1.0)?;
    /// let ll = model.log_likelihood(Btyd::new(0, 0.0, 1.0)?);
    /// assert!((ll - 0.5f64.ln()).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn log_likelihood(&self, customer: Btyd) -> f64 {
        family_log_likelihood(self.params(), customer, BG)
    }

    /// The probability that the customer is still alive at `T`.
    ///
    /// 1 for a customer without repeat purchases (the BG/NBD assumption
    /// that nobody drops out before a repeat purchase; [`MbgNbd`](super::MbgNbd)
    /// drops it).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgNbd, Btyd};
    ///
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// assert_eq!(model.p_alive(Btyd::new(0, 0.0, 30.0)?), 1.0);
    /// // Two purchases long ago: probably gone.
    /// assert!(model.p_alive(Btyd::new(2, 3.0, 38.0)?) < 0.3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn p_alive(&self, customer: Btyd) -> f64 {
        family_p_alive(self.params(), customer, BG)
    }

    /// The expected number of purchases in the next `t` (in the model's time
    /// unit), given the customer's history: `E[Y(t) | x, t_x, T]`.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `t` is not a finite number `>= 0`;
    /// [`Error::Numerical`] if the hypergeometric series does not converge
    /// (only for horizons of tens of thousands of times `α + T`).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgNbd, Btyd};
    ///
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// let c = Btyd::new(2, 30.43, 38.86)?;
    /// let year = model.expected_purchases(c, 52.0)?;
    /// assert!(year > model.expected_purchases(c, 26.0)?);
    /// assert_eq!(model.expected_purchases(c, 0.0)?, 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_purchases(&self, customer: Btyd, t: f64) -> Result<f64> {
        family_expected(self.params(), customer, t, BG, ModelKind::BgNbd)
    }

    /// The expected number of repeat purchases of a new customer in their
    /// first `t`: `E[X(t)]`.
    ///
    /// # Errors
    ///
    /// As [`expected_purchases`](Self::expected_purchases).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::BgNbd;
    ///
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// let first_year = model.expected_purchases_new(52.0)?;
    /// assert!(first_year > 0.0 && first_year < 52.0 * 0.243 / 4.414);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_purchases_new(&self, t: f64) -> Result<f64> {
        let new = Btyd::new(0, 0.0, 0.0)?;
        self.expected_purchases(new, t)
    }

    /// Fits the model to `data` by maximum likelihood.
    ///
    /// Customers with identical `(x, t_x, T)` are grouped first, so the cost
    /// of each likelihood evaluation is in the number of distinct histories.
    /// The log-parameters are optimized by BFGS with the exact gradient,
    /// from `r = a = b = 1` and `α = ΣT / Σx` (the mean time per repeat
    /// purchase); see [`FitDiagnostics`](super::FitDiagnostics) for what is
    /// reported.
    ///
    /// # Errors
    ///
    /// [`Error::NotIdentified`] if the data cannot identify the model (no
    /// customers, no repeat purchase, every `T` zero, or a parameter that
    /// runs off to 0 or infinity); [`Error::Numerical`] if the likelihood is
    /// not finite at the start.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgNbd, SimulationConfig, TransactionModel, simulate};
    ///
    /// let truth = TransactionModel::BgNbd(BgNbd::new(0.5, 8.0, 0.7, 3.0)?);
    /// let data = simulate(&truth, &SimulationConfig::builder().customers(2_000).seed(7).build()?)?;
    /// let fit = BgNbd::fit(&data)?;
    /// assert!(fit.diagnostics.converged);
    /// println!("{:?}", fit.model);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit(data: &BtydData) -> Result<TransactionFit> {
        TransactionFit::fit(ModelKind::BgNbd, data)
    }
}

/// Which member of the beta-geometric family: BG/NBD lets customers drop
/// out after repeat purchases only; MBG/NBD also right after the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Family {
    /// 0 for BG/NBD, 1 for MBG/NBD: the posterior of `p` for an alive
    /// customer is `Beta(a, b + x + shift)`.
    shift: u32,
}

pub(crate) const BG: Family = Family { shift: 0 };
pub(crate) const MBG: Family = Family { shift: 1 };

impl Family {
    /// `b + x + shift`.
    fn big_b(self, b: f64, x: u32) -> f64 {
        b + f64::from(x) + f64::from(self.shift)
    }

    /// Whether the customer could have dropped out already (the likelihood
    /// has the "dropped out after the last purchase" term).
    fn could_drop(self, x: u32) -> bool {
        x > 0 || self.shift > 0
    }
}

/// One customer's `ln L` for the family member.
pub(crate) fn family_log_likelihood(p: [f64; 4], c: Btyd, family: Family) -> f64 {
    let [r, alpha, a, b] = p;
    let xf = f64::from(c.x());
    let n = r + xf;
    let big_b = family.big_b(b, c.x());
    let a1 = ln_gamma(n) - ln_gamma(r) + r * alpha.ln();
    let a2 = ln_gamma(a + b) + ln_gamma(big_b) - ln_gamma(b) - ln_gamma(a + big_b);
    let a3 = -n * (alpha + c.t()).ln();
    if family.could_drop(c.x()) {
        let a4 = a.ln() - (big_b - 1.0).ln() - n * (alpha + c.t_x()).ln();
        a1 + a2 + super::special::log_add_exp(a3, a4)
    } else {
        a1 + a2 + a3
    }
}

/// `P(alive | x, t_x, T)` for the family member.
pub(crate) fn family_p_alive(p: [f64; 4], c: Btyd, family: Family) -> f64 {
    let [r, alpha, a, b] = p;
    if !family.could_drop(c.x()) {
        return 1.0;
    }
    let n = r + f64::from(c.x());
    let big_b = family.big_b(b, c.x());
    let w = a.ln() - (big_b - 1.0).ln() + n * ((alpha + c.t()).ln() - (alpha + c.t_x()).ln());
    inv_one_plus_exp(w)
}

/// `E[Y(t) | x, t_x, T]` for the family member.
///
/// With `n = r + x`, `B = b + x + shift`, `C = a + B − 1`, `h = α + T`,
/// `z = t/(h + t)` and `L = ln(1 − z)`, Euler's transformation gives
///
/// ```text
/// E = P(alive) · (C (1 − e^((a−1)L))/(a−1) − e^((a−1)L) S),
/// S = Σ_{k≥1} (C−n)_k (a)_{k−1} / ((C+1)_{k−1} k!) z^k
/// ```
///
/// which has no division by `a − 1` or `C` left ([`expectation_tail`]).
pub(crate) fn family_expected(
    p: [f64; 4],
    c: Btyd,
    t: f64,
    family: Family,
    kind: ModelKind,
) -> Result<f64> {
    check_horizon(t)?;
    if t == 0.0 {
        return Ok(0.0);
    }
    let [r, alpha, a, b] = p;
    let n = r + f64::from(c.x());
    let big_b = family.big_b(b, c.x());
    let big_c = a + big_b - 1.0;
    let h = alpha + c.t();
    let z = t / (h + t);
    let l = -(t / h).ln_1p();
    let phi = one_minus_exp_over(a - 1.0, l);
    let tail = expectation_tail(big_c - n, a, big_c, z).ok_or_else(|| Error::Numerical {
        model: kind.name(),
        customer: None,
        problem: format!(
            "the series for the expected purchases in the next {t} did not converge \
             (t / (α + T + t) = {z}); use a shorter horizon"
        ),
    })?;
    let bracket = big_c * phi - ((a - 1.0) * l).exp() * tail;
    let expected = family_p_alive(p, c, family) * bracket;
    if expected.is_finite() {
        Ok(expected.max(0.0))
    } else {
        Err(Error::Numerical {
            model: kind.name(),
            customer: None,
            problem: format!("the expected purchases in the next {t} are not finite"),
        })
    }
}

/// The total log-likelihood of grouped data and its gradient with respect
/// to `(r, α, a, b)`.
pub(crate) fn family_grouped(
    p: [f64; 4],
    groups: &Groups,
    family: Family,
) -> Option<(f64, [f64; 4])> {
    let [r, alpha, a, b] = p;
    let ln_alpha = alpha.ln();
    let ln_a = a.ln();
    let (lg_r, psi_r) = (ln_gamma(r), digamma(r));
    let (lg_ab, psi_ab) = (ln_gamma(a + b), digamma(a + b));
    let (lg_b, psi_b) = (ln_gamma(b), digamma(b));

    // Terms that depend on x only, weighted by the number of customers.
    let mut total = 0.0;
    let mut grad = [0.0; 4];
    let mut per_x = Vec::with_capacity(groups.xs.len());
    for (&x, &weight) in groups.xs.iter().zip(&groups.x_weights) {
        let n = r + f64::from(x);
        let big_b = family.big_b(b, x);
        let a1 = ln_gamma(n) - lg_r + r * ln_alpha;
        let a2 = lg_ab + ln_gamma(big_b) - lg_b - ln_gamma(a + big_b);
        let psi_a_big_b = digamma(a + big_b);
        total += weight * (a1 + a2);
        grad[0] += weight * (digamma(n) - psi_r + ln_alpha);
        grad[1] += weight * r / alpha;
        grad[2] += weight * (psi_ab - psi_a_big_b);
        grad[3] += weight * (psi_ab + digamma(big_b) - psi_b - psi_a_big_b);
        // Only customers who could have dropped out have the second term
        // (for BG/NBD's x = 0, B − 1 = b − 1 may be 0 or negative).
        let drops = family.could_drop(x);
        let (c4, inv_b1) = if drops {
            (ln_a - (big_b - 1.0).ln(), 1.0 / (big_b - 1.0))
        } else {
            (0.0, 0.0)
        };
        per_x.push((n, c4, inv_b1, drops));
    }
    let logs = |values: &[f64]| -> Vec<(f64, f64)> {
        values
            .iter()
            .map(|v| ((alpha + v).ln(), 1.0 / (alpha + v)))
            .collect()
    };
    let at_t = logs(&groups.ts);
    let at_tx = logs(&groups.t_xs);

    for g in &groups.groups {
        let (&(n, c4, inv_b1, drops), &(lt, it), &(ltx, itx)) =
            (per_x.get(g.x)?, at_t.get(g.t)?, at_tx.get(g.t_x)?);
        let a3 = -n * lt;
        let (ll, w4) = if drops {
            let a4 = c4 - n * ltx;
            let d = a4 - a3;
            if d < 0.0 {
                let e = d.exp();
                (a3 + e.ln_1p(), e / (1.0 + e))
            } else {
                let e = (-d).exp();
                (a4 + e.ln_1p(), 1.0 / (1.0 + e))
            }
        } else {
            (a3, 0.0)
        };
        let w3 = 1.0 - w4;
        let w = g.weight;
        total += w * ll;
        grad[0] -= w * (w3 * lt + w4 * ltx);
        grad[1] -= w * n * (w3 * it + w4 * itx);
        grad[2] += w * w4 / a;
        grad[3] -= w * w4 * inv_b1;
    }
    (total.is_finite() && grad.iter().all(|g| g.is_finite())).then_some((total, grad))
}

/// Starting values for the family: `r = a = b = 1`, `α = ΣT / Σx`.
pub(crate) fn family_start(groups: &Groups) -> [f64; 4] {
    [1.0, groups.mean_time_per_repeat(), 1.0, 1.0]
}

impl From<BgNbd> for TransactionModel {
    fn from(model: BgNbd) -> TransactionModel {
        TransactionModel::BgNbd(model)
    }
}

/// The parameters as an array (for the fitting code).
pub(crate) fn from_params(p: [f64; 4]) -> Result<BgNbd> {
    let [r, alpha, a, b] = p;
    BgNbd::new(r, alpha, a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain 2F1 series (test reference).
    fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
        let (mut term, mut sum) = (1.0, 1.0);
        for k in 0..200_000 {
            let k = f64::from(k);
            term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
            sum += term;
            if term.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        sum
    }

    /// `lifetimes`' formula, as printed in FHL (2005), eq. 10.
    fn textbook_expected(m: &BgNbd, x: u32, t_x: f64, big_t: f64, t: f64) -> f64 {
        let (r, alpha, a, b) = (m.r, m.alpha, m.a, m.b);
        let x = f64::from(x);
        let hyp = hyp2f1(r + x, b + x, a + b + x - 1.0, t / (alpha + big_t + t));
        let num = (a + b + x - 1.0) / (a - 1.0)
            * (1.0 - ((alpha + big_t) / (alpha + big_t + t)).powf(r + x) * hyp);
        let drop = if x > 0.0 {
            a / (b + x - 1.0) * ((alpha + big_t) / (alpha + t_x)).powf(r + x)
        } else {
            0.0
        };
        num / (1.0 + drop)
    }

    #[test]
    fn log_likelihood_matches_hand_computation() {
        // r = 0.5, α = 2, a = 1.5, b = 3; x = 2, t_x = 4, T = 10.
        // Γ(2.5)/Γ(0.5) = 0.75 (= 1.5 · 0.5); α^r = √2.
        // B(1.5, 5)/B(1.5, 3) = Γ(5)Γ(4.5)/(Γ(3)Γ(6.5)), with
        //   Γ(6.5)/Γ(4.5) = 5.5 · 4.5 = 24.75 → 24 / (2 · 24.75) = 24/49.5.
        // B(2.5, 4)/B(1.5, 3) = [Γ(2.5)Γ(4)/Γ(6.5)] / [Γ(1.5)Γ(3)/Γ(4.5)]
        //   = 1.5 · 6 / (2 · 24.75) = 9/49.5.
        // L = 0.75 √2 (24/49.5 · 12^-2.5 + 9/49.5 · 6^-2.5)
        let m = BgNbd::new(0.5, 2.0, 1.5, 3.0).unwrap();
        let by_hand: f64 =
            0.75 * 2f64.sqrt() * (24.0 / 49.5 * 12f64.powf(-2.5) + 9.0 / 49.5 * 6f64.powf(-2.5));
        let ll = m.log_likelihood(Btyd::new(2, 4.0, 10.0).unwrap());
        assert!(
            (ll - by_hand.ln()).abs() < 1e-12,
            "{ll} vs {}",
            by_hand.ln()
        );
    }

    #[test]
    fn expected_purchases_match_the_textbook_formula() {
        let m = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
        for &(x, t_x, big_t, t) in &[
            (0, 0.0, 38.86, 39.0),
            (2, 30.43, 38.86, 39.0),
            (7, 35.0, 38.0, 10.0),
            (1, 1.0, 20.0, 104.0),
        ] {
            let ours = m
                .expected_purchases(Btyd::new(x, t_x, big_t).unwrap(), t)
                .unwrap();
            let theirs = textbook_expected(&m, x, t_x, big_t, t);
            assert!(
                (ours - theirs).abs() < 1e-9 * theirs.max(1.0),
                "{ours} vs {theirs}"
            );
        }
    }

    #[test]
    fn a_equal_to_one_is_the_continuous_limit() {
        let c = Btyd::new(3, 20.0, 30.0).unwrap();
        let at = BgNbd::new(0.5, 5.0, 1.0, 2.0)
            .unwrap()
            .expected_purchases(c, 26.0)
            .unwrap();
        let near = BgNbd::new(0.5, 5.0, 1.0 + 1e-9, 2.0)
            .unwrap()
            .expected_purchases(c, 26.0)
            .unwrap();
        assert!((at - near).abs() < 1e-7, "{at} vs {near}");
    }

    #[test]
    fn grouped_gradient_matches_finite_differences() {
        let data = [
            (0, 0.0, 30.0, 3.0),
            (2, 10.0, 25.0, 1.0),
            (5, 24.0, 24.5, 2.0),
        ];
        let groups = Groups::from_weighted(
            data.iter()
                .map(|&(x, tx, t, w)| (Btyd::new(x, tx, t).unwrap(), w)),
        );
        let p = [0.6, 3.0, 0.9, 2.5];
        let (ll, grad) = family_grouped(p, &groups, BG).unwrap();
        let direct: f64 = data
            .iter()
            .map(|&(x, tx, t, w)| w * family_log_likelihood(p, Btyd::new(x, tx, t).unwrap(), BG))
            .sum();
        assert!((ll - direct).abs() < 1e-10);
        for i in 0..4 {
            let h = 1e-6 * p[i];
            let mut up = p;
            let mut down = p;
            up[i] += h;
            down[i] -= h;
            let numeric = (family_grouped(up, &groups, BG).unwrap().0
                - family_grouped(down, &groups, BG).unwrap().0)
                / (2.0 * h);
            assert!(
                (numeric - grad[i]).abs() < 1e-5 * numeric.abs().max(1.0),
                "{i}: {numeric} vs {}",
                grad[i]
            );
        }
    }
}
