//! The MBG/NBD model (Batislam, Denizel & Filiztekin 2007).

use serde::{Deserialize, Serialize};

use super::bgnbd::{MBG, family_expected, family_log_likelihood, family_p_alive};
use super::btyd::{Btyd, BtydData};
use super::model::{ModelKind, TransactionFit, TransactionModel, positive};
use crate::error::{Error, Result};

/// The MBG/NBD model: BG/NBD where a customer may also drop out right
/// after the *first* purchase (Batislam, Denizel & Filiztekin 2007; Wagner
/// & Hoppe 2008 erratum), so one-time buyers are no longer certainly alive.
///
/// Same parameters as [`BgNbd`](super::BgNbd): purchase rate
/// `λ ~ Gamma(r, α)`, drop-out probability `p ~ Beta(a, b)`, with `p`
/// applied after every purchase including the first.
///
/// # Formulas
///
/// ```text
/// L = B(a, b+x+1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
///   + B(a+1, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))
/// P(alive) = 1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^(r+x))
/// E[Y(t)]  = P(alive) · (a+b+x)/(a−1) · (1 − ((α+T)/(α+T+t))^(r+x)
///              · 2F1(r+x, b+x+1; a+b+x; t/(α+T+t)))
/// ```
///
/// evaluated as for BG/NBD (logs, Euler's transformation).
///
/// # Example
///
/// ```
/// use rfmkit::clv::{Btyd, MbgNbd};
///
/// let model = MbgNbd::new(0.525, 6.183, 0.891, 1.614)?;
/// // A one-time buyer seen 30 weeks ago may have left already.
/// let p = model.p_alive(Btyd::new(0, 0.0, 30.0)?);
/// assert!(p < 1.0 && p > 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawMbgNbd")]
pub struct MbgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMbgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
}

impl TryFrom<RawMbgNbd> for MbgNbd {
    type Error = Error;
    fn try_from(raw: RawMbgNbd) -> Result<MbgNbd> {
        MbgNbd::new(raw.r, raw.alpha, raw.a, raw.b)
    }
}

impl MbgNbd {
    /// An MBG/NBD model with the given parameters.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if a parameter is not a finite number `> 0`.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<MbgNbd> {
        Ok(MbgNbd {
            r: positive("mbg_nbd parameter r", r)?,
            alpha: positive("mbg_nbd parameter alpha", alpha)?,
            a: positive("mbg_nbd parameter a", a)?,
            b: positive("mbg_nbd parameter b", b)?,
        })
    }

    /// `r`, the shape of the purchase-rate distribution.
    #[must_use]
    pub fn r(&self) -> f64 {
        self.r
    }

    /// `α`, the rate of the purchase-rate distribution, in the model's time
    /// unit.
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

    /// One customer's log-likelihood.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{Btyd, MbgNbd};
    ///
    /// // r = α = a = b = 1, x = 0, T = 1:
    /// // L = B(1,2)/B(1,1) · 1/2 + B(2,1)/B(1,1) · 1 = 1/4 + 1/2.
    /// let model = MbgNbd::new(1.0, 1.0, 1.0, 1.0)?;
    /// let ll = model.log_likelihood(Btyd::new(0, 0.0, 1.0)?);
    /// assert!((ll - 0.75f64.ln()).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn log_likelihood(&self, customer: Btyd) -> f64 {
        family_log_likelihood(self.params(), customer, MBG)
    }

    /// The probability that the customer is still alive at `T`.
    #[must_use]
    pub fn p_alive(&self, customer: Btyd) -> f64 {
        family_p_alive(self.params(), customer, MBG)
    }

    /// The expected number of purchases in the next `t`, given the history.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `t` is not a finite number `>= 0`;
    /// [`Error::Numerical`] if the series does not converge.
    pub fn expected_purchases(&self, customer: Btyd, t: f64) -> Result<f64> {
        family_expected(self.params(), customer, t, MBG, ModelKind::MbgNbd)
    }

    /// The expected number of repeat purchases of a new customer in their
    /// first `t`.
    ///
    /// # Errors
    ///
    /// As [`expected_purchases`](Self::expected_purchases).
    pub fn expected_purchases_new(&self, t: f64) -> Result<f64> {
        self.expected_purchases(Btyd::new(0, 0.0, 0.0)?, t)
    }

    /// Fits the model by maximum likelihood, as [`BgNbd::fit`](super::BgNbd::fit).
    ///
    /// # Errors
    ///
    /// As [`BgNbd::fit`](super::BgNbd::fit).
    pub fn fit(data: &BtydData) -> Result<TransactionFit> {
        TransactionFit::fit(ModelKind::MbgNbd, data)
    }
}

impl From<MbgNbd> for TransactionModel {
    fn from(model: MbgNbd) -> TransactionModel {
        TransactionModel::MbgNbd(model)
    }
}

pub(crate) fn from_params(p: [f64; 4]) -> Result<MbgNbd> {
    let [r, alpha, a, b] = p;
    MbgNbd::new(r, alpha, a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_likelihood_matches_hand_computation() {
        // r = 0.5, α = 2, a = 1.5, b = 3; x = 2, t_x = 4, T = 10.
        // Γ(2.5)/Γ(0.5) α^r = 0.75 √2.
        // B(1.5, 6)/B(1.5, 3) = Γ(6)Γ(4.5)/(Γ(3)Γ(7.5)) = 120/(2 · 6.5·5.5·4.5·... )
        //   Γ(7.5)/Γ(4.5) = 6.5 · 5.5 · 4.5 = 160.875 → 120 / (2 · 160.875)
        // B(2.5, 5)/B(1.5, 3) = [Γ(2.5)Γ(5)/Γ(7.5)] / [Γ(1.5)Γ(3)/Γ(4.5)]
        //   = 1.5 · 24 / (2 · 160.875)
        let m = MbgNbd::new(0.5, 2.0, 1.5, 3.0).unwrap();
        let by_hand: f64 = 0.75
            * 2f64.sqrt()
            * (120.0 / 321.75 * 12f64.powf(-2.5) + 36.0 / 321.75 * 6f64.powf(-2.5));
        let ll = m.log_likelihood(Btyd::new(2, 4.0, 10.0).unwrap());
        assert!(
            (ll - by_hand.ln()).abs() < 1e-12,
            "{ll} vs {}",
            by_hand.ln()
        );
    }

    #[test]
    fn new_customer_expectation_matches_the_published_formula() {
        // E[X(t)] = b/(a−1) (1 − (α/(α+t))^r 2F1(r, b+1; a+b; t/(α+t))).
        let m = MbgNbd::new(0.525, 6.183, 0.891, 1.614).unwrap();
        let (r, alpha, a, b, t) = (0.525, 6.183, 0.891, 1.614, 39.0_f64);
        let z = t / (alpha + t);
        let (mut term, mut hyp) = (1.0, 1.0);
        for k in 0..10_000 {
            let k = f64::from(k);
            term *= (r + k) * (b + 1.0 + k) / ((a + b + k) * (k + 1.0)) * z;
            hyp += term;
        }
        let expected = b / (a - 1.0) * (1.0 - (alpha / (alpha + t)).powf(r) * hyp);
        let ours = m.expected_purchases_new(t).unwrap();
        assert!((ours - expected).abs() < 1e-10, "{ours} vs {expected}");
    }
}
