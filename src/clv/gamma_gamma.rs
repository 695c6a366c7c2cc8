//! The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee
//! 2005, "RFM and CLV: using iso-value curves for customer base analysis";
//! Fader & Hardie's note "The Gamma-Gamma model of monetary value", 2013).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::btyd::BtydData;
use super::model::{
    Analytic, FitDiagnostics, ModelKind, check_bounds, check_outcome, positive, run,
};
use super::optimize::Outcome;
use super::special::{digamma, ln_gamma};
use super::uncertainty::{self, ParameterUncertainty, Scale};
use crate::error::{Error, Result};

/// The Gamma-Gamma spend model: a customer's spend per purchase day is
/// `Gamma(p, ν)`, and `ν ~ Gamma(q, γ)` across customers; spend is
/// independent of the purchase process. `γ` is in money (minor units of
/// the data: cents for dollars); `p` and `q` have no unit.
///
/// # Formulas
///
/// For a customer with `x >= 1` repeat purchase days of mean spend `m̄`:
///
/// ```text
/// ln f(m̄) = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m̄ + px ln x
///           − (px+q) ln(γ + x m̄)
/// E[M | x, m̄] = p (γ + x m̄) / (px + q − 1)
///             = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · m̄
/// ```
///
/// a weighted mean of the population mean `pγ/(q−1)` and the customer's
/// own mean. The fit uses the customers with `x >= 1` and `m̄ > 0` (the
/// density is zero at `m̄ = 0`); customers without repeat purchases get the
/// population mean, which exists only for `q > 1`.
///
/// Serialized as `{"p": .., "q": .., "gamma": ..}`; deserializing validates
/// like [`GammaGamma::new`].
///
/// # Example
///
/// The published CDNOW fit, in cents (`γ` = 15.44 dollars):
///
/// ```
/// use rfmkit::clv::GammaGamma;
///
/// let model = GammaGamma::new(6.25, 3.74, 1_544.0)?;
/// // Population mean: 6.25 · 15.44 / 2.74 = $35.22.
/// let mean = model.population_mean_spend().ok_or("q <= 1")?;
/// assert!((mean - 3_522.0).abs() < 1.0);
/// // Two repeat purchases averaging $20: shrunk toward the mean.
/// let spend = model.expected_spend(2, Some(2_000.0)).ok_or("undefined")?;
/// assert!(spend > 2_000.0 && spend < mean);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawGammaGamma")]
pub struct GammaGamma {
    p: f64,
    q: f64,
    gamma: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGammaGamma {
    p: f64,
    q: f64,
    gamma: f64,
}

impl TryFrom<RawGammaGamma> for GammaGamma {
    type Error = Error;
    fn try_from(raw: RawGammaGamma) -> Result<GammaGamma> {
        GammaGamma::new(raw.p, raw.q, raw.gamma)
    }
}

impl GammaGamma {
    /// A Gamma-Gamma model with the given parameters (`γ` in minor units).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if a parameter is not a finite number `> 0`.
    pub fn new(p: f64, q: f64, gamma: f64) -> Result<GammaGamma> {
        Ok(GammaGamma {
            p: positive("gamma_gamma parameter p", p)?,
            q: positive("gamma_gamma parameter q", q)?,
            gamma: positive("gamma_gamma parameter gamma", gamma)?,
        })
    }

    /// `p`, the shape of the spend per transaction.
    #[must_use]
    pub fn p(&self) -> f64 {
        self.p
    }

    /// `q`, the shape of the customers' spend-rate distribution.
    #[must_use]
    pub fn q(&self) -> f64 {
        self.q
    }

    /// `γ`, the scale of the customers' spend-rate distribution, in minor
    /// units.
    #[must_use]
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// The log-density of a customer's mean repeat spend `m̄` over `x`
    /// purchase days.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBtyd`] if `x == 0` or `m̄` is not a finite number
    /// `> 0`.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::GammaGamma;
    ///
    /// // p = q = γ = 1, x = 1, m̄ = 1: Γ(2)/(Γ(1)Γ(1)) · 1 · 1 / (1+1)^2 = 1/4.
    /// let ll = GammaGamma::new(1.0, 1.0, 1.0)?.log_likelihood(1, 1.0)?;
    /// assert!((ll - 0.25f64.ln()).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log_likelihood(&self, x: u32, mean_spend: f64) -> Result<f64> {
        if x == 0 || !(mean_spend.is_finite() && mean_spend > 0.0) {
            return Err(Error::InvalidBtyd {
                customer: None,
                problem: format!(
                    "gamma-gamma needs x >= 1 and a mean spend > 0, got x {x} and mean {mean_spend}"
                ),
            });
        }
        Ok(log_density(
            [self.p, self.q, self.gamma],
            f64::from(x),
            mean_spend,
        ))
    }

    /// The population mean spend per purchase day, `pγ/(q−1)`; `None` if
    /// `q <= 1` (the mean is infinite).
    #[must_use]
    pub fn population_mean_spend(&self) -> Option<f64> {
        (self.q > 1.0).then(|| self.p * self.gamma / (self.q - 1.0))
    }

    /// The expected spend per future purchase day of a customer with `x`
    /// repeat purchase days of mean `mean_spend` (minor units), see
    /// [Formulas](Self#formulas). For `x == 0` or no mean, the population
    /// mean. `None` where the expectation is infinite (`px + q <= 1`, or
    /// `q <= 1` for the population mean) or the mean is not finite.
    #[must_use]
    pub fn expected_spend(&self, x: u32, mean_spend: Option<f64>) -> Option<f64> {
        match mean_spend {
            Some(m) if x > 0 && m.is_finite() && m >= 0.0 => {
                let px = self.p * f64::from(x);
                let denominator = px + self.q - 1.0;
                (denominator > 0.0).then(|| self.p * (self.gamma + f64::from(x) * m) / denominator)
            }
            Some(_) if x > 0 => None,
            _ => self.population_mean_spend(),
        }
    }

    /// Fits the model by maximum likelihood to the customers of `data` with
    /// `x >= 1` and a mean repeat spend `> 0` (BFGS on the log-parameters
    /// with the exact gradient, from `p = 1`, `q = 2`, `γ` = the mean of
    /// the customers' means).
    ///
    /// # Errors
    ///
    /// [`Error::NotIdentified`] with fewer than 2 such customers, when
    /// every such customer has the same mean (no spread to estimate), or
    /// when a parameter runs off to 0 or infinity; [`Error::Numerical`] if
    /// the likelihood is not finite at the start.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgNbd, GammaGamma, SimulationConfig, TransactionModel, simulate};
    ///
    /// let purchases = TransactionModel::from(BgNbd::new(0.8, 6.0, 0.7, 3.0)?);
    /// let config = SimulationConfig::builder()
    ///     .customers(1_000)
    ///     .spend(GammaGamma::new(6.0, 4.0, 1_500.0)?)
    ///     .seed(5)
    ///     .build()?;
    /// let fit = GammaGamma::fit(&simulate(&purchases, &config)?)?;
    /// assert!(fit.diagnostics.converged);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit(data: &BtydData) -> Result<SpendFit> {
        let mut spenders: Vec<(f64, f64)> = Vec::new();
        let mut zero_spend = 0;
        for c in data {
            match c.mean_repeat_spend() {
                Some(m) if c.btyd().x() > 0 && m > 0.0 => {
                    spenders.push((f64::from(c.btyd().x()), m))
                }
                Some(_) if c.btyd().x() > 0 => zero_spend += 1,
                _ => {}
            }
        }
        let kind = ModelKind::GammaGamma;
        if spenders.len() < 2 {
            return Err(Error::NotIdentified {
                model: kind.name(),
                reason: format!(
                    "{} customer(s) with a repeat purchase and a mean repeat spend > 0; at least 2 \
                     are needed to estimate the spread of spend",
                    spenders.len()
                ),
            });
        }
        let first = spenders.first().map_or(0.0, |s| s.1);
        if spenders.iter().all(|s| s.1 == first) {
            return Err(Error::NotIdentified {
                model: kind.name(),
                reason: "every repeat buyer has the same mean spend, so its spread cannot be \
                         estimated"
                    .into(),
            });
        }
        spenders.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let n = f64::from(u32::try_from(spenders.len()).unwrap_or(u32::MAX));
        // Fit in units of the mean of the means: γ is a money scale, and
        // in minor units of an 18-decimal currency it would leave the
        // optimizer's box. `m' = m / mean` gives `γ' = γ / mean` and
        // `ln f(m) = ln f'(m') − ln mean`.
        let mean = spenders.iter().map(|s| s.1 / n).sum::<f64>();
        let original = spenders.clone();
        for s in &mut spenders {
            s.1 /= mean;
        }
        let mut objective = Analytic(|p: [f64; 3]| {
            grouped(p, &spenders).map(|(ll, g)| (-ll / n, g.map(|v| -v / n)))
        });
        let (params, outcome): ([f64; 3], Outcome<3>) =
            run(kind, &mut objective, [1.0, 2.0, 1.0], 1e-10)?;
        check_bounds(kind, &outcome.x, &["p", "q", "gamma"])?;
        check_outcome(kind, &params, &outcome, &[])?;
        let [p, q, gamma] = params;
        let log_likelihood = -outcome.value * n - n * mean.ln();
        if !log_likelihood.is_finite() {
            return Err(Error::Numerical {
                model: kind.name(),
                customer: None,
                problem: "the log-likelihood at the fitted parameters is not finite".into(),
            });
        }
        Ok(SpendFit {
            model: GammaGamma::new(p, q, gamma * mean)?,
            calibration_end: data.calibration_end(),
            diagnostics: FitDiagnostics {
                log_likelihood,
                converged: outcome.converged,
                gradient_norm: outcome.gradient_norm,
                iterations: outcome.iterations,
                evaluations: outcome.evaluations,
                optimizer: outcome.optimizer,
                customers: spenders.len(),
                groups: spenders.len(),
                uncertainty: spend_uncertainty(params, mean, &spenders),
            },
            zero_spend,
            frequency_spend_correlation: correlation(&original),
        })
    }
}

/// The observed information at the fitted `params` (`γ` in units of the
/// mean spend `mean`); reported with `γ` in minor units. Rescaling `γ`
/// shifts `ln γ` by a constant, which leaves the Hessian in
/// log-parameters unchanged.
fn spend_uncertainty(
    params: [f64; 3],
    mean: f64,
    spenders: &[(f64, f64)],
) -> Option<ParameterUncertainty> {
    let gradient = |theta: &[f64]| -> Option<Vec<f64>> {
        let p: [f64; 3] = std::array::from_fn(|i| theta.get(i).copied().unwrap_or(0.0).exp());
        let (_, g) = grouped(p, spenders)?;
        Some(g.iter().zip(&p).map(|(g, p)| g * p).collect())
    };
    let theta = params.map(f64::ln);
    let h = uncertainty::hessian(gradient, &theta)?;
    let [lp, lq, lg] = theta;
    ParameterUncertainty::from_hessian(
        &["p", "q", "gamma"],
        &[Scale::Log; 3],
        &[lp, lq, lg + mean.ln()],
        &h,
    )
    .ok()
}

/// `ln f(m̄ | p, q, γ, x)`.
fn log_density(params: [f64; 3], x: f64, m: f64) -> f64 {
    let [p, q, gamma] = params;
    let px = p * x;
    ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q)
        + q * gamma.ln()
        + (px - 1.0) * m.ln()
        + px * x.ln()
        - (px + q) * (gamma + x * m).ln()
}

/// The total log-likelihood and its gradient in `(p, q, γ)`.
fn grouped(params: [f64; 3], spenders: &[(f64, f64)]) -> Option<(f64, [f64; 3])> {
    let [p, q, gamma] = params;
    let (lg_q, psi_q, ln_gamma_) = (ln_gamma(q), digamma(q), gamma.ln());
    let mut total = 0.0;
    let mut grad = [0.0; 3];
    // Spenders are sorted by x: ln Γ(px+q), ln Γ(px) and their ψ are
    // computed once per distinct x.
    let mut cached: Option<(f64, [f64; 4])> = None;
    for &(x, m) in spenders {
        let px = p * x;
        let per_x = match cached {
            Some((cx, v)) if cx == x => v,
            _ => {
                let v = [
                    ln_gamma(px + q) - ln_gamma(px),
                    digamma(px + q),
                    digamma(px),
                    x.ln(),
                ];
                cached = Some((x, v));
                v
            }
        };
        let [lg_diff, psi_pxq, psi_px, ln_x] = per_x;
        let (ln_m, ln_gxm) = (m.ln(), (gamma + x * m).ln());
        total += lg_diff - lg_q + q * ln_gamma_ + (px - 1.0) * ln_m + px * ln_x - (px + q) * ln_gxm;
        grad[0] += x * (psi_pxq - psi_px + ln_m + ln_x - ln_gxm);
        grad[1] += psi_pxq - psi_q + ln_gamma_ - ln_gxm;
        grad[2] += q / gamma - (px + q) / (gamma + x * m);
    }
    (total.is_finite() && grad.iter().all(|g| g.is_finite())).then_some((total, grad))
}

/// The Pearson correlation of `x` and the mean spend, if defined.
fn correlation(spenders: &[(f64, f64)]) -> Option<f64> {
    let n = f64::from(u32::try_from(spenders.len()).ok()?);
    let (mx, my) = spenders
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, m)| (a + x / n, b + m / n));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, m) in spenders {
        sxy += (x - mx) * (m - my);
        sxx += (x - mx) * (x - mx);
        syy += (m - my) * (m - my);
    }
    let r = sxy / (sxx * syy).sqrt();
    r.is_finite().then_some(r)
}

/// A fitted Gamma-Gamma spend model with its diagnostics.
///
/// # Example
///
/// See [`GammaGamma::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct SpendFit {
    /// The model (`γ` in minor units).
    pub model: GammaGamma,
    /// The calibration end of the data the model was fitted on, if known.
    pub calibration_end: Option<NaiveDate>,
    /// How the fit went; `customers` counts the repeat buyers with a mean
    /// spend `> 0` that were used.
    pub diagnostics: FitDiagnostics,
    /// Repeat buyers left out because their mean repeat spend is 0.
    pub zero_spend: usize,
    /// The correlation between `x` and the mean spend among the customers
    /// used. The model assumes spend independent of frequency; a value far
    /// from 0 (say beyond ±0.3) says the assumption does not hold.
    pub frequency_spend_correlation: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_density_matches_hand_computation() {
        // p = 2, q = 3, γ = 10, x = 2, m̄ = 5:
        // Γ(7)/(Γ(4)Γ(3)) · 10^3 · 5^3 · 2^4 / (10 + 10)^7
        //   = 720/(6·2) · 1000 · 125 · 16 / 20^7 = 60 · 2e6 / 1.28e9.
        let ll = GammaGamma::new(2.0, 3.0, 10.0)
            .unwrap()
            .log_likelihood(2, 5.0)
            .unwrap();
        let by_hand: f64 = 60.0 * 2e6 / 1.28e9;
        assert!(
            (ll - by_hand.ln()).abs() < 1e-12,
            "{ll} vs {}",
            by_hand.ln()
        );
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let spenders = [(1.0, 20.0), (1.0, 35.0), (3.0, 12.5), (7.0, 40.0)];
        let p = [4.0, 3.0, 15.0];
        let (_, grad) = grouped(p, &spenders).unwrap();
        for i in 0..3 {
            let h = 1e-6 * p[i];
            let (mut up, mut down) = (p, p);
            up[i] += h;
            down[i] -= h;
            let numeric = (grouped(up, &spenders).unwrap().0 - grouped(down, &spenders).unwrap().0)
                / (2.0 * h);
            assert!((numeric - grad[i]).abs() < 1e-6 * numeric.abs().max(1.0));
        }
    }

    #[test]
    fn expected_spend_handles_the_edges() {
        let m = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
        // No repeat purchase: the population mean 6.25 · 15.44 / 2.74.
        let population = 6.25 * 15.44 / 2.74;
        assert!((m.expected_spend(0, None).unwrap() - population).abs() < 1e-12);
        // x = 1, m̄ = 30: 6.25 (15.44 + 30) / (6.25 + 2.74).
        let one = 6.25 * 45.44 / 8.99;
        assert!((m.expected_spend(1, Some(30.0)).unwrap() - one).abs() < 1e-12);
        let heavy_tail = GammaGamma::new(0.5, 0.8, 10.0).unwrap();
        assert_eq!(heavy_tail.population_mean_spend(), None);
        assert_eq!(heavy_tail.expected_spend(0, None), None);
        assert!(m.expected_spend(1, Some(f64::NAN)).is_none());
    }
}
