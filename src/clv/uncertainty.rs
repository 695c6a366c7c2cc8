//! Parameter uncertainty of a maximum-likelihood fit: the observed
//! information matrix, standard errors and Wald confidence intervals, and
//! draws from the estimate's asymptotic normal distribution (for the
//! parametric bootstrap of [`TransactionFit::predict_intervals`](super::TransactionFit::predict_intervals)).
//!
//! # Method
//!
//! Every model is fitted over *working parameters* `θ`: the logarithm of
//! each positive parameter ([`Scale::Log`], `p = e^θ`), or the parameter
//! itself for an unconstrained one ([`Scale::Linear`], e.g. a covariate
//! coefficient). At the maximum `θ̂`:
//!
//! ```text
//! H   = ∂²ℓ/∂θ∂θᵀ (θ̂)          (ℓ the total log-likelihood)
//! Σ_θ = (−H)⁻¹                  (the inverse observed information)
//! SE(p_i) = |∂p_i/∂θ_i| · √Σ_θ,ii = p_i · √Σ_θ,ii for Scale::Log  (delta method)
//! 95% CI:  p_i = g(θ̂_i ± 1.959964 √Σ_θ,ii)       (g = exp or identity)
//! ```
//!
//! `H` is computed by central differences of the *exact* gradient,
//! column `j` being `(∇ℓ(θ̂ + h e_j) − ∇ℓ(θ̂ − h e_j)) / 2h` with
//! `h = 1e-4 · max(1, |θ̂_j|)`, then symmetrized. The truncation error is
//! `O(h²)` (about `1e-8` relative) and the rounding error about
//! `ε/h ≈ 1e-12` relative, far below what three significant digits need;
//! the log scale makes one step size fit every parameter. At the maximum
//! the gradient is zero, so the Hessian in the natural parameters is
//! `D⁻¹ H D⁻¹` with `D = diag(p)`, and the delta method above is exact
//! for the SEs. The interval for a [`Scale::Log`] parameter is the Wald
//! interval of `ln p`, mapped back: it is asymmetric and always positive
//! (a symmetric `p ± 1.96 SE` can cross 0 for a skewed estimate such as
//! Pareto/NBD's `β`).
//!
//! When `−H` is not positive definite (the likelihood is flat or not at a
//! maximum along some direction, or the fit did not converge) there is no
//! covariance: [`ParameterUncertainty::positive_definite`] is `false`, the
//! SEs and intervals are `None` and [`ParameterUncertainty::warning`] says
//! why. Nothing is clamped or regularized.
//!
//! # Example
//!
//! ```
//! use rfmkit::clv::{BgNbd, SimulationConfig, TransactionModel, simulate};
//!
//! let truth = TransactionModel::from(BgNbd::new(0.5, 8.0, 0.7, 3.0)?);
//! let data = simulate(&truth, &SimulationConfig::builder().customers(2_000).seed(11).build()?)?;
//! let fit = BgNbd::fit(&data)?;
//! let u = fit.diagnostics.uncertainty.as_ref().ok_or("no uncertainty")?;
//! assert!(u.positive_definite && u.warning.is_none());
//! for p in &u.parameters {
//!     let (se, lo, hi) = (p.standard_error.ok_or("se")?, p.lower.ok_or("lo")?, p.upper.ok_or("hi")?);
//!     assert!(se > 0.0 && lo < p.estimate && p.estimate < hi);
//!     println!("{:>5} {:.3} ± {:.3}  [{:.3}, {:.3}]", p.name, p.estimate, se, lo, hi);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The standard normal quantile for a two-sided 95% interval, `Φ⁻¹(0.975)`.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// How a parameter maps to the working parameter the likelihood is
/// maximized over.
///
/// # Example
///
/// ```
/// use rfmkit::clv::Scale;
/// assert_eq!(Scale::Log.to_parameter(0.0), 1.0);
/// assert_eq!(Scale::Linear.to_parameter(-0.5), -0.5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scale {
    /// A positive parameter `p = e^θ` (shapes, rates, scales).
    Log,
    /// An unconstrained parameter `p = θ` (covariate coefficients).
    Linear,
}

impl Scale {
    /// The parameter for the working value `theta`.
    #[must_use]
    pub fn to_parameter(self, theta: f64) -> f64 {
        match self {
            Scale::Log => theta.exp(),
            Scale::Linear => theta,
        }
    }

    /// The working value for the parameter `p` (`ln p` for [`Scale::Log`]).
    #[must_use]
    pub fn to_working(self, p: f64) -> f64 {
        match self {
            Scale::Log => p.ln(),
            Scale::Linear => p,
        }
    }

    /// `dp/dθ` at the working value `theta`.
    fn derivative(self, theta: f64) -> f64 {
        match self {
            Scale::Log => theta.exp(),
            Scale::Linear => 1.0,
        }
    }
}

/// One parameter's estimate with its standard error and 95% Wald interval
/// (see the [module docs](self#method)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct ParameterEstimate {
    /// The parameter's usual name (`r`, `alpha`, ...).
    pub name: String,
    /// The maximum-likelihood estimate.
    pub estimate: f64,
    /// How it maps to the working parameter.
    pub scale: Scale,
    /// The standard error (delta method); `None` when the information
    /// matrix is not positive definite.
    pub standard_error: Option<f64>,
    /// The lower end of the 95% interval; `None` as `standard_error`.
    pub lower: Option<f64>,
    /// The upper end of the 95% interval; `None` as `standard_error`.
    pub upper: Option<f64>,
}

/// The uncertainty of a fit's parameters: estimates, standard errors, 95%
/// intervals, and the covariance of the working parameters.
///
/// Made by the fits (in [`FitDiagnostics::uncertainty`](super::FitDiagnostics::uncertainty))
/// or from a Hessian with [`ParameterUncertainty::from_hessian`]. See the
/// [module docs](self) for the method and an example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct ParameterUncertainty {
    /// Every parameter, in the model's usual order.
    pub parameters: Vec<ParameterEstimate>,
    /// Whether the observed information `−H` is positive definite (the
    /// estimate is a strict local maximum and SEs exist).
    pub positive_definite: bool,
    /// Why there are no SEs, when `positive_definite` is `false`.
    pub warning: Option<String>,
    /// The covariance `Σ_θ = (−H)⁻¹` of the working parameters (row by
    /// row, in the order of `parameters`); `None` when not positive
    /// definite.
    pub working_covariance: Option<Vec<Vec<f64>>>,
}

impl ParameterUncertainty {
    /// The uncertainty from the Hessian `hessian` of the total
    /// log-likelihood with respect to the working parameters `working`
    /// (`θ`, see [`Scale`]), at the maximum.
    ///
    /// A Hessian whose negative is not positive definite (or whose inverse
    /// has a non-finite or non-positive variance) gives
    /// `positive_definite = false` and a warning, not an error: the
    /// estimates are still reported.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `hessian`) if the lengths of
    /// `names`, `scales`, `working` and the Hessian's rows differ, or an
    /// entry of `working` is not finite.
    ///
    /// # Example
    ///
    /// A normal sample's mean with known variance 4 and `n = 100`: the
    /// log-likelihood's second derivative is `−n/σ² = −25`, so the SE is
    /// `1/5` and the interval `μ̂ ± 1.96 · 0.2`.
    ///
    /// ```
    /// use rfmkit::clv::{ParameterUncertainty, Scale};
    ///
    /// let u = ParameterUncertainty::from_hessian(&["mu"], &[Scale::Linear], &[3.0], &[vec![-25.0]])?;
    /// let mu = &u.parameters[0];
    /// assert!((mu.standard_error.ok_or("se")? - 0.2).abs() < 1e-12);
    /// assert!((mu.lower.ok_or("lo")? - (3.0 - 1.959964 * 0.2)).abs() < 1e-6);
    /// let flat = ParameterUncertainty::from_hessian(&["mu"], &[Scale::Linear], &[3.0], &[vec![0.0]])?;
    /// assert!(!flat.positive_definite && flat.warning.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_hessian(
        names: &[&str],
        scales: &[Scale],
        working: &[f64],
        hessian: &[Vec<f64>],
    ) -> Result<ParameterUncertainty> {
        let k = working.len();
        if names.len() != k
            || scales.len() != k
            || hessian.len() != k
            || hessian.iter().any(|row| row.len() != k)
        {
            return Err(Error::config(
                "hessian",
                format!(
                    "{} names, {} scales, {} working parameters and a {}-row Hessian; they must \
                     all have the same length (a square Hessian)",
                    names.len(),
                    scales.len(),
                    k,
                    hessian.len()
                ),
            ));
        }
        if let Some(bad) = working.iter().position(|v| !v.is_finite()) {
            return Err(Error::config(
                "hessian",
                format!("working parameter {bad} is not finite"),
            ));
        }
        let information: Vec<Vec<f64>> = hessian
            .iter()
            .map(|row| row.iter().map(|v| -v).collect())
            .collect();
        let covariance = cholesky(&information).and_then(|l| {
            let inverse = cholesky_inverse(&l)?;
            let ok = (0..k).all(|i| {
                let v = at(&inverse, i, i);
                v.is_finite() && v > 0.0
            }) && inverse.iter().flatten().all(|v| v.is_finite());
            ok.then_some(inverse)
        });
        let parameters = (0..k)
            .map(|i| {
                let theta = working.get(i).copied().unwrap_or(0.0);
                let scale = scales.get(i).copied().unwrap_or(Scale::Log);
                let sd = covariance.as_ref().map(|c| at(c, i, i).sqrt());
                ParameterEstimate {
                    name: names.get(i).map_or_else(String::new, |n| (*n).to_string()),
                    estimate: scale.to_parameter(theta),
                    scale,
                    standard_error: sd.map(|s| scale.derivative(theta).abs() * s),
                    lower: sd.map(|s| scale.to_parameter(theta - Z_95 * s)),
                    upper: sd.map(|s| scale.to_parameter(theta + Z_95 * s)),
                }
            })
            .collect();
        let positive_definite = covariance.is_some();
        Ok(ParameterUncertainty {
            parameters,
            positive_definite,
            warning: (!positive_definite).then(|| {
                "the observed information matrix (minus the Hessian of the log-likelihood) is \
                 not positive definite: the likelihood is flat or not at a maximum along some \
                 direction, so the parameters are not well identified by the data and have no \
                 standard errors; fit on more customers or a longer calibration period"
                    .to_string()
            }),
            working_covariance: covariance,
        })
    }

    /// The standard errors in parameter order, if they exist.
    #[must_use]
    pub fn standard_errors(&self) -> Option<Vec<f64>> {
        self.parameters.iter().map(|p| p.standard_error).collect()
    }

    /// The two-sided Wald interval of parameter `index` at confidence
    /// `level` (in `(0, 1)`), computed on the working scale and mapped
    /// back; `None` without a covariance, for an index out of range or a
    /// level outside `(0, 1)`.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{ParameterUncertainty, Scale};
    ///
    /// // ln p has SE 0.1 at p = 1: the 95% interval is e^(±0.196).
    /// let u = ParameterUncertainty::from_hessian(&["p"], &[Scale::Log], &[0.0], &[vec![-100.0]])?;
    /// let (lo, hi) = u.interval(0, 0.95).ok_or("none")?;
    /// assert!((lo - (-0.1959964f64).exp()).abs() < 1e-6 && (hi * lo - 1.0).abs() < 1e-12);
    /// let (lo90, hi90) = u.interval(0, 0.90).ok_or("none")?;
    /// assert!(lo90 > lo && hi90 < hi);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn interval(&self, index: usize, level: f64) -> Option<(f64, f64)> {
        if !(level > 0.0 && level < 1.0) {
            return None;
        }
        let p = self.parameters.get(index)?;
        let covariance = self.working_covariance.as_ref()?;
        let sd = at(covariance, index, index).sqrt();
        let z = normal_quantile(0.5 + level / 2.0)?;
        let theta = p.scale.to_working(p.estimate);
        Some((
            p.scale.to_parameter(theta - z * sd),
            p.scale.to_parameter(theta + z * sd),
        ))
    }

    /// A sampler of parameter vectors from the estimate's asymptotic
    /// normal distribution on the working scale (so every draw is a valid
    /// parameter vector: positive where the scale is [`Scale::Log`]).
    ///
    /// # Errors
    ///
    /// [`Error::NotIdentified`] (naming `model`) if there is no positive
    /// definite covariance.
    pub(crate) fn sampler(&self, model: &'static str) -> Result<Sampler> {
        let not_pd = || Error::NotIdentified {
            model,
            reason: "the fit has no positive definite covariance matrix (see its diagnostics' \
                     uncertainty warning), so parameter draws for prediction intervals are not \
                     possible; fit on more data"
                .into(),
        };
        let covariance = self.working_covariance.as_ref().ok_or_else(not_pd)?;
        let factor = cholesky(covariance).ok_or_else(not_pd)?;
        Ok(Sampler {
            mean: self
                .parameters
                .iter()
                .map(|p| p.scale.to_working(p.estimate))
                .collect(),
            scales: self.parameters.iter().map(|p| p.scale).collect(),
            factor,
        })
    }
}

/// Draws parameter vectors `g(θ̂ + L z)`, `z` standard normal, `L Lᵀ = Σ_θ`.
#[derive(Debug, Clone)]
pub(crate) struct Sampler {
    mean: Vec<f64>,
    scales: Vec<Scale>,
    factor: Vec<Vec<f64>>,
}

impl Sampler {
    /// One parameter vector (natural scale).
    pub(crate) fn draw(&self, rng: &mut impl Rng) -> Vec<f64> {
        let z: Vec<f64> = self
            .mean
            .iter()
            .map(|_| rng.sample::<f64, _>(StandardNormal))
            .collect();
        self.mean
            .iter()
            .zip(&self.scales)
            .enumerate()
            .map(|(i, (m, s))| {
                let row = self.factor.get(i).map_or(&[][..], Vec::as_slice);
                let shift: f64 = row.iter().zip(&z).map(|(l, z)| l * z).sum();
                s.to_parameter(m + shift)
            })
            .collect()
    }
}

/// The Hessian of a function at `at`, by central differences of its
/// gradient `gradient` (see the [module docs](self#method) for the step),
/// symmetrized. `None` if a gradient is not available or not finite.
///
/// This is the crate's one numeric Hessian: models give their exact
/// gradient with respect to the working parameters and get the observed
/// information from here.
pub(crate) fn hessian(
    mut gradient: impl FnMut(&[f64]) -> Option<Vec<f64>>,
    at: &[f64],
) -> Option<Vec<Vec<f64>>> {
    let k = at.len();
    let mut columns = Vec::with_capacity(k);
    for j in 0..k {
        let h = 1e-4 * at.get(j)?.abs().max(1.0);
        let mut up = at.to_vec();
        let mut down = at.to_vec();
        *up.get_mut(j)? += h;
        *down.get_mut(j)? -= h;
        let (gu, gd) = (gradient(&up)?, gradient(&down)?);
        if gu.len() != k || gd.len() != k {
            return None;
        }
        let column: Vec<f64> = gu
            .iter()
            .zip(&gd)
            .map(|(u, d)| (u - d) / (2.0 * h))
            .collect();
        if column.iter().any(|v| !v.is_finite()) {
            return None;
        }
        columns.push(column);
    }
    // columns[j][i] = ∂g_i/∂θ_j; symmetrize.
    Some(
        (0..k)
            .map(|i| {
                (0..k)
                    .map(|j| (at2(&columns, j, i) + at2(&columns, i, j)) / 2.0)
                    .collect()
            })
            .collect(),
    )
}

fn at(m: &[Vec<f64>], i: usize, j: usize) -> f64 {
    m.get(i).and_then(|r| r.get(j)).copied().unwrap_or(f64::NAN)
}

fn at2(m: &[Vec<f64>], i: usize, j: usize) -> f64 {
    at(m, i, j)
}

/// The lower-triangular Cholesky factor `L` of a symmetric positive
/// definite matrix (`A = L Lᵀ`), or `None` if it is not positive definite.
pub(crate) fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let k = a.len();
    let mut l = vec![vec![0.0; k]; k];
    for i in 0..k {
        for j in 0..=i {
            let mut sum = at(a, i, j);
            for m in 0..j {
                sum -= at(&l, i, m) * at(&l, j, m);
            }
            let value = if i == j {
                if !(sum > 0.0 && sum.is_finite()) {
                    return None;
                }
                sum.sqrt()
            } else {
                sum / at(&l, j, j)
            };
            if !value.is_finite() {
                return None;
            }
            *l.get_mut(i)?.get_mut(j)? = value;
        }
    }
    Some(l)
}

/// `A⁻¹` from the Cholesky factor of `A`.
fn cholesky_inverse(l: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let k = l.len();
    let mut inverse = vec![vec![0.0; k]; k];
    for c in 0..k {
        // Solve L y = e_c, then Lᵀ x = y.
        let mut y = vec![0.0; k];
        for i in 0..k {
            let mut s = if i == c { 1.0 } else { 0.0 };
            for m in 0..i {
                s -= at(l, i, m) * y.get(m)?;
            }
            *y.get_mut(i)? = s / at(l, i, i);
        }
        let mut x = vec![0.0; k];
        for i in (0..k).rev() {
            let mut s = *y.get(i)?;
            for m in i + 1..k {
                s -= at(l, m, i) * x.get(m)?;
            }
            *x.get_mut(i)? = s / at(l, i, i);
        }
        for (i, v) in x.into_iter().enumerate() {
            *inverse.get_mut(i)?.get_mut(c)? = v;
        }
    }
    // Symmetrize away rounding.
    for i in 0..k {
        for j in 0..i {
            let m = (at(&inverse, i, j) + at(&inverse, j, i)) / 2.0;
            *inverse.get_mut(i)?.get_mut(j)? = m;
            *inverse.get_mut(j)?.get_mut(i)? = m;
        }
    }
    Some(inverse)
}

/// `Φ⁻¹(p)` for `p` in `(0, 1)` (Acklam's rational approximation, about
/// 1e-9 relative, refined by one Halley step on statrs' `erfc`: within
/// 1e-10 of the tables; the 95% intervals use the exact constant [`Z_95`]).
pub(crate) fn normal_quantile(p: f64) -> Option<f64> {
    if !(p > 0.0 && p < 1.0) {
        return None;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // One Halley step: e = Φ(x) − p.
    let e = 0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    let refined = x - u / (1.0 + x * u / 2.0);
    refined.is_finite().then_some(refined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantile_matches_tables() {
        // Φ⁻¹(0.975) = 1.959963984540054; Φ⁻¹(0.95) = 1.644853626951472;
        // Φ⁻¹(0.001) = −3.090232306167813 (standard tables, 16 digits).
        for (p, z) in [
            (0.975, Z_95),
            (0.95, 1.644_853_626_951_472),
            (0.001, -3.090_232_306_167_813),
            (0.5, 0.0),
        ] {
            let q = normal_quantile(p).unwrap();
            assert!((q - z).abs() < 1e-10, "{p}: {q} vs {z}");
        }
        assert_eq!(normal_quantile(1.0), None);
        assert_eq!(normal_quantile(f64::NAN), None);
    }

    #[test]
    fn hessian_of_a_quadratic_is_exact() {
        // f(θ) = −(2θ0² + θ0θ1 + 3θ1²)/2 has Hessian [[−2, −0.5], [−0.5, −3]].
        let grad = |t: &[f64]| Some(vec![-(2.0 * t[0] + 0.5 * t[1]), -(0.5 * t[0] + 3.0 * t[1])]);
        let h = hessian(grad, &[0.3, -1.2]).unwrap();
        let want = [[-2.0, -0.5], [-0.5, -3.0]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((h[i][j] - want[i][j]).abs() < 1e-9, "{h:?}");
            }
        }
        // Covariance = [[2, .5], [.5, 3]]⁻¹ = [[3, −.5], [−.5, 2]] / 5.75.
        let u = ParameterUncertainty::from_hessian(
            &["a", "b"],
            &[Scale::Linear, Scale::Log],
            &[0.3, -1.2],
            &h,
        )
        .unwrap();
        let c = u.working_covariance.as_ref().unwrap();
        assert!((c[0][0] - 3.0 / 5.75).abs() < 1e-9);
        assert!((c[0][1] + 0.5 / 5.75).abs() < 1e-9);
        assert!((c[1][1] - 2.0 / 5.75).abs() < 1e-9);
        // Delta method for the log-scale b = e^−1.2.
        let se_b = u.parameters[1].standard_error.unwrap();
        assert!((se_b - (-1.2f64).exp() * (2.0 / 5.75f64).sqrt()).abs() < 1e-9);
    }

    #[test]
    fn indefinite_hessians_warn_and_bad_shapes_are_errors() {
        let u = ParameterUncertainty::from_hessian(
            &["a", "b"],
            &[Scale::Log, Scale::Log],
            &[0.0, 0.0],
            &[vec![-1.0, 0.0], vec![0.0, 1.0]],
        )
        .unwrap();
        assert!(!u.positive_definite);
        assert!(
            u.warning
                .as_deref()
                .unwrap()
                .contains("not positive definite")
        );
        assert_eq!(u.standard_errors(), None);
        assert!(u.sampler("bg_nbd").is_err());
        assert!(
            ParameterUncertainty::from_hessian(&["a"], &[Scale::Log], &[0.0, 1.0], &[vec![1.0]])
                .is_err()
        );
    }

    #[test]
    fn draws_have_the_covariance() {
        use rand::SeedableRng;
        let u = ParameterUncertainty::from_hessian(
            &["a", "b"],
            &[Scale::Linear, Scale::Linear],
            &[1.0, 2.0],
            &[vec![-2.0, -0.5], vec![-0.5, -3.0]],
        )
        .unwrap();
        let sampler = u.sampler("bg_nbd").unwrap();
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        let n = 40_000.0;
        let (mut s0, mut s1, mut s01) = (0.0, 0.0, 0.0);
        for _ in 0..40_000 {
            let d = sampler.draw(&mut rng);
            s0 += (d[0] - 1.0).powi(2) / n;
            s1 += (d[1] - 2.0).powi(2) / n;
            s01 += (d[0] - 1.0) * (d[1] - 2.0) / n;
        }
        // Σ = [[3, −.5], [−.5, 2]] / 5.75; sampling error about 1%.
        assert!((s0 - 3.0 / 5.75).abs() < 0.03 * 3.0 / 5.75, "{s0}");
        assert!((s1 - 2.0 / 5.75).abs() < 0.03 * 2.0 / 5.75, "{s1}");
        assert!((s01 + 0.5 / 5.75).abs() < 0.01, "{s01}");
    }
}
