//! A small optimizer for the model fits: BFGS with a backtracking
//! (Armijo) line search, and Nelder–Mead as a fallback, minimizing over
//! the logarithms of the parameters.
//!
//! Why not a crate: the problems have 3 or 4 unknowns and a cheap, exact
//! gradient; what matters is
//! determinism, box bounds on the log-parameters, and an honest
//! convergence report, in about 250 lines that are tested here. `argmin`
//! would add a generic solver framework (and `anyhow`-style errors) for
//! the same two algorithms.

use serde::{Deserialize, Serialize};

/// The log-parameters stay within `[-BOUND, BOUND]` (parameters within
/// `1e-8..=1e8`, after the spend model's rescaling to a mean of 1); a fit
/// that ends within 1 of the bound (a parameter below about `2.7e-8` or
/// above about `3.7e7`) has no interior maximum and is reported as not
/// identified. The box keeps the likelihood away from the extreme values
/// where it cannot be evaluated accurately in `f64` (a drop-out shape of
/// `1e12` makes every term of the Pareto/NBD integral cancel).
pub(crate) const BOUND: f64 = 18.420_680_743_952_367; // ln(1e8)

/// The most objective evaluations one minimization may use (BFGS, the
/// Nelder–Mead fallback and the final BFGS together). Well-posed fits
/// need 30 to 200; a fit that exhausts the budget is reported, not
/// returned half-way.
pub(crate) const MAX_EVALUATIONS: u32 = 1_000;

/// A fit is *converged* when every component of the gradient of the mean
/// negative log-likelihood with respect to the log-parameters is at most
/// this.
pub(crate) const CONVERGED_GRADIENT: f64 = 1e-6;

/// The optimizer that produced a fit's final parameters.
///
/// # Example
///
/// ```
/// use rfmkit::clv::Optimizer;
/// assert_eq!(serde_json::to_string(&Optimizer::Bfgs)?, "\"bfgs\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Optimizer {
    /// BFGS quasi-Newton with a backtracking line search (the normal path).
    Bfgs,
    /// Nelder–Mead simplex, then BFGS again: used when BFGS alone stalled
    /// before the gradient was small.
    NelderMeadThenBfgs,
}

/// A function of the log-parameters to minimize.
pub(crate) trait Objective<const N: usize> {
    /// The value, or `None` where it is not finite.
    fn value(&mut self, x: &[f64; N]) -> Option<f64>;

    /// The value and gradient, or `None` where either is not finite.
    fn value_and_gradient(&mut self, x: &[f64; N]) -> Option<(f64, [f64; N])>;

    /// Whether the objective refuses further evaluations (its budget is
    /// spent); the optimizers stop at once.
    fn exhausted(&self) -> bool {
        false
    }
}

/// Wraps a value-only objective with a central-difference gradient (step
/// `1e-5` in log-parameter space); for tests of the optimizer.
#[cfg(test)]
pub(crate) struct NumericGradient<F>(pub(crate) F);

#[cfg(test)]
impl<const N: usize, F: FnMut(&[f64; N]) -> Option<f64>> Objective<N> for NumericGradient<F> {
    fn value(&mut self, x: &[f64; N]) -> Option<f64> {
        (self.0)(x).filter(|v| v.is_finite())
    }

    fn value_and_gradient(&mut self, x: &[f64; N]) -> Option<(f64, [f64; N])> {
        const H: f64 = 1e-5;
        let value = self.value(x)?;
        let mut gradient = [0.0; N];
        for (i, g) in gradient.iter_mut().enumerate() {
            let mut up = *x;
            let mut down = *x;
            if let (Some(u), Some(d)) = (up.get_mut(i), down.get_mut(i)) {
                *u += H;
                *d -= H;
            }
            *g = (self.value(&up)? - self.value(&down)?) / (2.0 * H);
        }
        Some((value, gradient))
    }
}

/// Where a minimization ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outcome<const N: usize> {
    pub(crate) x: [f64; N],
    pub(crate) value: f64,
    pub(crate) gradient_norm: f64,
    pub(crate) iterations: u32,
    pub(crate) evaluations: u32,
    pub(crate) converged: bool,
    pub(crate) optimizer: Optimizer,
    /// Whether the minimization stopped because it used
    /// [`MAX_EVALUATIONS`] evaluations.
    pub(crate) exhausted: bool,
}

/// An objective that counts its evaluations and refuses (returns `None`)
/// once `limit` have been made, so that no minimization can run longer
/// than its budget whatever the objective does.
struct Budgeted<'a, O> {
    inner: &'a mut O,
    used: u32,
    limit: u32,
}

impl<const N: usize, O: Objective<N>> Objective<N> for Budgeted<'_, O> {
    fn exhausted(&self) -> bool {
        self.used >= self.limit
    }

    fn value(&mut self, x: &[f64; N]) -> Option<f64> {
        if self.exhausted() {
            return None;
        }
        self.used += 1;
        self.inner.value(x)
    }

    fn value_and_gradient(&mut self, x: &[f64; N]) -> Option<(f64, [f64; N])> {
        if self.exhausted() {
            return None;
        }
        self.used += 1;
        self.inner.value_and_gradient(x)
    }
}

/// Minimizes `f` from `x0`: BFGS; if that stalls with a gradient above
/// [`CONVERGED_GRADIENT`], Nelder–Mead from the best point, then BFGS
/// again; at most [`MAX_EVALUATIONS`] evaluations of `f` in all (the
/// outcome says whether the budget ran out). `None` if `f` is not finite
/// at `x0`.
pub(crate) fn minimize<const N: usize>(
    f: &mut impl Objective<N>,
    x0: [f64; N],
    gtol: f64,
) -> Option<Outcome<N>> {
    minimize_within(f, x0, gtol, MAX_EVALUATIONS)
}

/// [`minimize`] with an explicit evaluation budget.
pub(crate) fn minimize_within<const N: usize>(
    f: &mut impl Objective<N>,
    x0: [f64; N],
    gtol: f64,
    limit: u32,
) -> Option<Outcome<N>> {
    let mut f = Budgeted {
        inner: f,
        used: 0,
        limit: limit.max(1),
    };
    let x0 = clamp(x0);
    let first = bfgs(&mut f, x0, gtol)?;
    if first.converged || f.exhausted() {
        return Some(Outcome {
            evaluations: f.used,
            exhausted: !first.converged && f.exhausted(),
            ..first
        });
    }
    let (x, nm_iterations, _) = nelder_mead(&mut f, first.x);
    let second = if f.exhausted() {
        None
    } else {
        bfgs(&mut f, x, gtol)
    };
    let (best, second_iterations) = match second {
        Some(second) if second.value <= first.value => (second, second.iterations),
        Some(second) => (first, second.iterations),
        None => (first, 0),
    };
    Some(Outcome {
        iterations: first.iterations + nm_iterations + second_iterations,
        evaluations: f.used,
        optimizer: Optimizer::NelderMeadThenBfgs,
        exhausted: !best.converged && f.exhausted(),
        ..best
    })
}

fn clamp<const N: usize>(mut x: [f64; N]) -> [f64; N] {
    for v in &mut x {
        *v = v.clamp(-BOUND, BOUND);
    }
    x
}

fn dot<const N: usize>(a: &[f64; N], b: &[f64; N]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn inf_norm<const N: usize>(a: &[f64; N]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// `m · v` for a square matrix stored by rows.
fn mat_vec<const N: usize>(m: &[[f64; N]; N], v: &[f64; N]) -> [f64; N] {
    let mut out = [0.0; N];
    for (o, row) in out.iter_mut().zip(m) {
        *o = dot(row, v);
    }
    out
}

fn identity<const N: usize>(scale: f64) -> [[f64; N]; N] {
    let mut m = [[0.0; N]; N];
    for (i, row) in m.iter_mut().enumerate() {
        if let Some(d) = row.get_mut(i) {
            *d = scale;
        }
    }
    m
}

/// BFGS on the inverse Hessian, Armijo backtracking with safeguarded
/// quadratic interpolation, steps limited to 4 in any log-parameter.
fn bfgs<const N: usize>(f: &mut impl Objective<N>, x0: [f64; N], gtol: f64) -> Option<Outcome<N>> {
    const MAX_ITERATIONS: u32 = 1_000;
    const MAX_STEP: f64 = 4.0;
    let mut evaluations = 1;
    let (mut fx, mut g) = f.value_and_gradient(&x0)?;
    let mut x = x0;
    let mut h = identity::<N>(1.0);
    let mut iterations = 0;
    // Iterations in a row whose decrease was lost in rounding: at the
    // noise floor of f, the Armijo test passes without progress.
    let mut flat = 0;
    while iterations < MAX_ITERATIONS && inf_norm(&g) > gtol && flat < 3 && !f.exhausted() {
        iterations += 1;
        let mut d = mat_vec(&h, &g).map(|v| -v);
        let mut slope = dot(&g, &d);
        if slope >= 0.0 || !slope.is_finite() {
            h = identity(1.0);
            d = g.map(|v| -v);
            slope = -dot(&g, &g);
        }
        let longest = inf_norm(&d);
        let mut step = if longest > MAX_STEP {
            MAX_STEP / longest
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..60 {
            let mut trial = x;
            for (t, di) in trial.iter_mut().zip(&d) {
                *t += step * di;
            }
            let trial = clamp(trial);
            evaluations += 1;
            match f.value_and_gradient(&trial) {
                Some((ft, gt)) if ft <= fx + 1e-4 * step * slope => {
                    accepted = Some((trial, ft, gt));
                    break;
                }
                Some((ft, _)) => {
                    // Minimizer of the quadratic through f(x), f'(x) and
                    // f(x + step d), kept within [0.1, 0.5] of the step.
                    let denominator = 2.0 * (ft - fx - step * slope);
                    let q = if denominator > 0.0 {
                        -slope * step * step / denominator
                    } else {
                        0.5 * step
                    };
                    step = q.clamp(0.1 * step, 0.5 * step);
                }
                None => step *= 0.25,
            }
        }
        let Some((xn, fxn, gn)) = accepted else {
            break; // stalled: no decrease along the search direction
        };
        let s: [f64; N] = std::array::from_fn(|i| {
            xn.get(i).copied().unwrap_or(0.0) - x.get(i).copied().unwrap_or(0.0)
        });
        let y: [f64; N] = std::array::from_fn(|i| {
            gn.get(i).copied().unwrap_or(0.0) - g.get(i).copied().unwrap_or(0.0)
        });
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
            if iterations == 1 {
                h = identity(sy / dot(&y, &y));
            }
            // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
            let rho = 1.0 / sy;
            let hy = mat_vec(&h, &y);
            let yhy = dot(&y, &hy);
            for (i, row) in h.iter_mut().enumerate() {
                let si = s.get(i).copied().unwrap_or(0.0);
                let hyi = hy.get(i).copied().unwrap_or(0.0);
                for (j, hij) in row.iter_mut().enumerate() {
                    let sj = s.get(j).copied().unwrap_or(0.0);
                    let hyj = hy.get(j).copied().unwrap_or(0.0);
                    *hij += -rho * (si * hyj + hyi * sj) + (rho * rho * yhy + rho) * si * sj;
                }
            }
        }
        if fx - fxn <= 4.0 * f64::EPSILON * fx.abs().max(f64::MIN_POSITIVE) {
            flat += 1;
        } else {
            flat = 0;
        }
        x = xn;
        fx = fxn;
        g = gn;
    }
    let gradient_norm = inf_norm(&g);
    Some(Outcome {
        x,
        value: fx,
        gradient_norm,
        iterations,
        evaluations,
        converged: gradient_norm <= CONVERGED_GRADIENT,
        optimizer: Optimizer::Bfgs,
        exhausted: false,
    })
}

/// Nelder–Mead (reflection 1, expansion 2, contraction ½, shrink ½) from
/// a simplex of steps 0.5 around `x0`; non-finite values count as +∞.
/// Returns the best vertex and the iteration and evaluation counts.
fn nelder_mead<const N: usize>(f: &mut impl Objective<N>, x0: [f64; N]) -> ([f64; N], u32, u32) {
    let max_iterations = 500 * u32::try_from(N).unwrap_or(1);
    let spent = std::cell::Cell::new(false);
    let mut value = |x: &[f64; N]| {
        let v = f.value(x).unwrap_or(f64::INFINITY);
        spent.set(f.exhausted());
        v
    };
    let mut simplex: Vec<([f64; N], f64)> = Vec::with_capacity(N + 1);
    simplex.push((x0, value(&x0)));
    for i in 0..N {
        let mut v = x0;
        if let Some(c) = v.get_mut(i) {
            *c += 0.5;
        }
        let v = clamp(v);
        simplex.push((v, value(&v)));
    }
    let mut evaluations = u32::try_from(N + 1).unwrap_or(u32::MAX);
    let mut iterations = 0;
    while iterations < max_iterations && !spent.get() {
        iterations += 1;
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (Some(best), Some(worst)) = (simplex.first().copied(), simplex.last().copied()) else {
            break;
        };
        let spread = worst.1 - best.1;
        let size = simplex
            .iter()
            .map(|(v, _)| {
                v.iter()
                    .zip(&best.0)
                    .fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()))
            })
            .fold(0.0_f64, f64::max);
        if spread.is_finite() && spread <= 1e-15 * (best.1.abs() + 1e-300) && size <= 1e-9 {
            break;
        }
        let mut centroid = [0.0; N];
        for (v, _) in simplex.iter().take(N) {
            for (c, vi) in centroid.iter_mut().zip(v) {
                *c += vi / N as f64;
            }
        }
        let along = |t: f64| -> [f64; N] {
            clamp(std::array::from_fn(|i| {
                let c = centroid.get(i).copied().unwrap_or(0.0);
                let w = worst.0.get(i).copied().unwrap_or(0.0);
                c + t * (c - w)
            }))
        };
        let reflected = along(1.0);
        let fr = value(&reflected);
        evaluations += 1;
        let second_worst = simplex
            .get(N.saturating_sub(1))
            .map_or(f64::INFINITY, |v| v.1);
        let replacement = if fr < best.1 {
            let expanded = along(2.0);
            let fe = value(&expanded);
            evaluations += 1;
            Some(if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            })
        } else if fr < second_worst {
            Some((reflected, fr))
        } else {
            let contracted = if fr < worst.1 {
                along(0.5)
            } else {
                along(-0.5)
            };
            let fc = value(&contracted);
            evaluations += 1;
            (fc < worst.1.min(fr)).then_some((contracted, fc))
        };
        match (replacement, simplex.last_mut()) {
            (Some(vertex), Some(last)) => *last = vertex,
            _ => {
                for vertex in simplex.iter_mut().skip(1) {
                    let shrunk: [f64; N] = std::array::from_fn(|i| {
                        let b = best.0.get(i).copied().unwrap_or(0.0);
                        b + 0.5 * (vertex.0.get(i).copied().unwrap_or(0.0) - b)
                    });
                    *vertex = (shrunk, value(&shrunk));
                    evaluations += 1;
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let best = simplex.first().map_or(x0, |v| v.0);
    (best, iterations, evaluations)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Rosenbrock function, minimum 0 at (1, 1).
    struct Rosenbrock;

    impl Objective<2> for Rosenbrock {
        fn value(&mut self, x: &[f64; 2]) -> Option<f64> {
            Some((1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2))
        }

        fn value_and_gradient(&mut self, x: &[f64; 2]) -> Option<(f64, [f64; 2])> {
            let g0 = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
            let g1 = 200.0 * (x[1] - x[0] * x[0]);
            Some((self.value(x)?, [g0, g1]))
        }
    }

    #[test]
    fn bfgs_finds_the_rosenbrock_minimum() {
        let out = minimize(&mut Rosenbrock, [-1.2, 1.0], 1e-10).unwrap();
        assert!(out.converged);
        assert_eq!(out.optimizer, Optimizer::Bfgs);
        assert!(
            (out.x[0] - 1.0).abs() < 1e-8 && (out.x[1] - 1.0).abs() < 1e-8,
            "{:?}",
            out.x
        );
    }

    #[test]
    fn numeric_gradient_and_nelder_mead_agree() {
        let mut f = NumericGradient(|x: &[f64; 3]| {
            Some((x[0] - 1.0).powi(2) + 2.0 * (x[1] + 2.0).powi(2) + (x[2] - 0.5).powi(4))
        });
        let out = minimize(&mut f, [0.0, 0.0, 0.0], 1e-9).unwrap();
        assert!(out.converged);
        assert!((out.x[0] - 1.0).abs() < 1e-6 && (out.x[1] + 2.0).abs() < 1e-6);
        let (x, _, _) = nelder_mead(&mut f, [0.0, 0.0, 0.0]);
        assert!(
            (x[0] - 1.0).abs() < 1e-4 && (x[1] + 2.0).abs() < 1e-4,
            "{x:?}"
        );
    }

    #[test]
    fn an_unbounded_objective_stops_at_the_bound() {
        // Decreasing without bound as x grows: ends at the bound.
        let mut f = NumericGradient(|x: &[f64; 1]| Some(-x[0]));
        let out = minimize(&mut f, [0.0], 1e-9).unwrap();
        assert!(!out.converged);
        assert_eq!(out.x[0], BOUND);
    }

    #[test]
    fn the_evaluation_budget_stops_a_slow_minimization() {
        // Rosenbrock from far away needs more than 20 evaluations: the
        // budget ends it, and the outcome says so.
        let mut calls = 0_u32;
        let mut f = NumericGradient(|x: &[f64; 2]| {
            calls += 1;
            Some((1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2))
        });
        let out = minimize_within(&mut f, [-1.2, 1.0], 1e-12, 20).unwrap();
        assert!(out.exhausted && !out.converged);
        assert!(out.evaluations <= 20, "{}", out.evaluations);
        // Each numeric-gradient evaluation calls the function 5 times.
        assert!(calls <= 20 * 5, "{calls}");
    }

    #[test]
    fn a_non_finite_start_is_reported() {
        let mut f = NumericGradient(|_: &[f64; 2]| None);
        assert!(minimize(&mut f, [0.0, 0.0], 1e-9).is_none());
    }
}
