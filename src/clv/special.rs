//! Special functions and numerics for the BTYD models: ln Γ and ψ (from
//! `statrs`), a numerically stable log-sum-exp and logistic, the
//! hypergeometric series the conditional expectations need, and adaptive
//! Gauss–Kronrod quadrature.
//!
//! Every series here has a hard cap on its number of terms and reports
//! non-convergence as `None`, so the callers can turn it into an
//! [`Error::Numerical`](crate::Error::Numerical) instead of returning a
//! silently wrong number.

/// `ln Γ(x)` for `x > 0` (Lanczos approximation, about 15 significant digits).
pub(crate) fn ln_gamma(x: f64) -> f64 {
    statrs::function::gamma::ln_gamma(x)
}

/// The digamma function `ψ(x) = d/dx ln Γ(x)` for `x > 0`.
pub(crate) fn digamma(x: f64) -> f64 {
    statrs::function::gamma::digamma(x)
}

/// `ln(e^a + e^b)` without overflow.
pub(crate) fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// `1 / (1 + e^w)`, accurate for any `w` (the logistic of `-w`).
pub(crate) fn inv_one_plus_exp(w: f64) -> f64 {
    if w > 0.0 {
        let e = (-w).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + w.exp())
    }
}

/// `(1 - e^{εL}) / ε`, the limit `-L` at `ε = 0`, computed without
/// cancellation for small `ε`.
pub(crate) fn one_minus_exp_over(eps: f64, l: f64) -> f64 {
    if eps == 0.0 {
        -l
    } else {
        -(eps * l).exp_m1() / eps
    }
}

/// The most terms a series may take before it is declared non-convergent.
/// At the ratio bound `z` the terms fall like `z^k`; 2^22 terms reach
/// 1e-16 for every `z <= 0.999_991`, far beyond any realistic horizon.
pub(crate) const MAX_SERIES_TERMS: u32 = 1 << 22;

/// The tail series of the conditional expectation of the BG/NBD family:
///
/// ```text
/// S = Σ_{k>=1} (A)_k (a)_{k-1} / ((C+1)_{k-1} k!) z^k
/// ```
///
/// with `C > -1`, `a > 0`, `0 <= z < 1`. It is `C · (2F1(A, a-1; C; z) - 1) / (a-1)`
/// written without the divisions by `C` and `a - 1`, so it stays finite as
/// `a → 1` and `C → 0`. `None` if it does not converge within
/// [`MAX_SERIES_TERMS`] terms.
pub(crate) fn expectation_tail(big_a: f64, a: f64, c: f64, z: f64) -> Option<f64> {
    if z == 0.0 {
        return Some(0.0);
    }
    let mut term = big_a * z;
    let mut sum = term;
    let mut k = 1.0_f64;
    for _ in 0..MAX_SERIES_TERMS {
        if term == 0.0 {
            return Some(sum);
        }
        let ratio = (big_a + k) * (a + k - 1.0) * z / ((c + k) * (k + 1.0));
        term *= ratio;
        sum += term;
        k += 1.0;
        if !term.is_finite() {
            return None;
        }
        // The ratio of successive terms tends to z < 1; once it is below 1,
        // the tail is bounded by a geometric series with ratio
        // q = max(|ratio|, z), so a term this small ends the sum.
        let q = ratio.abs().max(z);
        if q < 1.0 && term.abs() * q <= f64::EPSILON * 0.25 * sum.abs() * (1.0 - q) {
            return sum.is_finite().then_some(sum);
        }
    }
    None
}

/// `ln 2F1(1, b; c; z)` for `0 <= b < c`, `0 <= z < 1`: all terms are
/// positive and fall by at most `z` each, so it converges geometrically.
/// `None` past [`MAX_SERIES_TERMS`] terms.
pub(crate) fn ln_hyp2f1_one(b: f64, c: f64, z: f64) -> Option<f64> {
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    let mut k = 0.0_f64;
    for _ in 0..MAX_SERIES_TERMS {
        term *= (b + k) / (c + k) * z;
        sum += term;
        k += 1.0;
        if term <= f64::EPSILON * 0.25 * sum * (1.0 - z) {
            return Some(sum.ln());
        }
    }
    None
}

/// Gauss–Kronrod 15-point nodes (the abscissae on `[0, 1)` of the symmetric
/// rule on `[-1, 1]`; QUADPACK `qk15`).
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];

/// Kronrod weights for [`XGK`].
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_18,
    0.140_653_259_715_525_92,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_83,
];

/// Gauss 7-point weights, at the odd-indexed [`XGK`] nodes.
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// One 15-point Kronrod estimate of `∫ f` over `[lo, hi]` for each of the
/// `N` components of `f`, and the error estimate of component 0 (the
/// difference from the embedded 7-point Gauss rule).
fn gk15<const N: usize>(f: &mut impl FnMut(f64) -> [f64; N], lo: f64, hi: f64) -> ([f64; N], f64) {
    let center = 0.5 * (lo + hi);
    let half = 0.5 * (hi - lo);
    let fc = f(center);
    let mut kronrod = fc.map(|v| v * WGK[7]);
    let mut gauss = fc.first().copied().unwrap_or(0.0) * WG[3];
    for (j, (&x, &wk)) in XGK.iter().zip(WGK.iter()).take(7).enumerate() {
        let dx = half * x;
        let (left, right) = (f(center - dx), f(center + dx));
        for ((k, l), r) in kronrod.iter_mut().zip(&left).zip(&right) {
            *k += wk * (l + r);
        }
        if j % 2 == 1 {
            if let (Some(&wg), Some(l), Some(r)) = (WG.get(j / 2), left.first(), right.first()) {
                gauss += wg * (l + r);
            }
        }
    }
    let error = ((kronrod.first().copied().unwrap_or(0.0) - gauss) * half).abs();
    (kronrod.map(|v| v * half), error)
}

/// The most subintervals one adaptive quadrature may use. Smooth
/// integrands need a handful; an integrand that still misses the
/// tolerance after this many is too peaked or too noisy to integrate in
/// `f64`, and the quadrature reports failure rather than spin.
pub(crate) const MAX_INTERVALS: usize = 200;

/// The relative error a quadrature that ran out of subintervals may
/// still have and be accepted: about 8 significant digits, far beyond the
/// 3 that fitted parameters are reported with.
const BUDGET_TOLERANCE: f64 = 1e-8;

/// `∫ f` over `[lo, hi]` by globally adaptive Gauss–Kronrod (15 points),
/// bisecting the interval with the largest error estimate until the total
/// estimated error is below `rel_tol · |integral|`, with at most
/// [`MAX_INTERVALS`] subintervals (then the estimate is accepted if its
/// error is below `1e-8` of the integral). `None` if the integral is not
/// finite or misses that tolerance.
#[cfg(test)]
pub(crate) fn integrate(
    mut f: impl FnMut(f64) -> f64,
    lo: f64,
    hi: f64,
    rel_tol: f64,
) -> Option<f64> {
    integrate_n(|v| [f(v)], lo, hi, rel_tol).map(|[v]| v)
}

/// [`integrate`] for several integrands at once, on the same nodes; the
/// subdivision follows the error of component 0.
pub(crate) fn integrate_n<const N: usize>(
    mut f: impl FnMut(f64) -> [f64; N],
    lo: f64,
    hi: f64,
    rel_tol: f64,
) -> Option<[f64; N]> {
    if hi <= lo {
        return Some([0.0; N]);
    }
    let finite = |v: &[f64; N]| v.iter().all(|x| x.is_finite());
    let first = |v: &[f64; N]| v.first().copied().unwrap_or(0.0);
    let (value, error) = gk15(&mut f, lo, hi);
    if !finite(&value) || !error.is_finite() {
        return None;
    }
    // Running totals: each bisection replaces one part by two, so the
    // totals are updated in O(N) rather than re-summed over every part.
    let mut total = value;
    let mut total_error = error;
    let mut parts = vec![(lo, hi, value, error)];
    // Each step adds a part or zeroes one part's error: 2 × the interval
    // budget bounds the loop even if no part can be split.
    for _ in 0..2 * MAX_INTERVALS {
        if total_error <= rel_tol * first(&total).abs() || total_error == 0.0 {
            return Some(total);
        }
        if parts.len() >= MAX_INTERVALS {
            break;
        }
        let (worst, _) = parts
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |best, (i, p)| {
                if p.3 > best.1 { (i, p.3) } else { best }
            });
        let (a, b, old, old_error) = parts.swap_remove(worst);
        let mid = 0.5 * (a + b);
        if mid <= a || mid >= b {
            // The interval cannot be split further in f64: accept its
            // estimate as exact.
            total_error -= old_error;
            parts.push((a, b, old, 0.0));
            continue;
        }
        let (v1, e1) = gk15(&mut f, a, mid);
        let (v2, e2) = gk15(&mut f, mid, b);
        if !finite(&v1) || !finite(&v2) || !(e1 + e2).is_finite() {
            return None;
        }
        for ((t, o), (x, y)) in total.iter_mut().zip(&old).zip(v1.iter().zip(&v2)) {
            *t += x + y - o;
        }
        total_error += e1 + e2 - old_error;
        parts.push((a, mid, v1, e1));
        parts.push((mid, b, v2, e2));
    }
    // Out of budget: recompute the totals exactly before judging them.
    let mut exact = [0.0; N];
    let mut exact_error = 0.0;
    for part in &parts {
        for (t, v) in exact.iter_mut().zip(&part.2) {
            *t += v;
        }
        exact_error += part.3;
    }
    let accept = finite(&exact)
        && exact_error.is_finite()
        && exact_error <= BUDGET_TOLERANCE * first(&exact).abs().max(f64::MIN_POSITIVE);
    accept.then_some(exact)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    /// Plain 2F1 series for moderate arguments (test reference only).
    fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
        let (mut term, mut sum) = (1.0, 1.0);
        for k in 0..100_000 {
            let k = f64::from(k);
            term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
            sum += term;
            if term.abs() < 1e-18 * sum.abs() {
                break;
            }
        }
        sum
    }

    #[test]
    fn ln_gamma_and_digamma_match_known_values() {
        // Γ(5) = 24; Γ(1/2) = √π; ψ(1) = -γ (Euler–Mascheroni).
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-14));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-14
        ));
        assert!(close(digamma(1.0), -0.577_215_664_901_532_9, 1e-13));
    }

    #[test]
    fn log_add_exp_and_logistic_are_stable() {
        assert!(close(log_add_exp(0.0, 0.0), 2f64.ln(), 1e-15));
        assert!(close(
            log_add_exp(-1000.0, -1000.0),
            -1000.0 + 2f64.ln(),
            1e-15
        ));
        assert_eq!(log_add_exp(5.0, f64::NEG_INFINITY), 5.0);
        assert_eq!(inv_one_plus_exp(0.0), 0.5);
        assert!(inv_one_plus_exp(800.0) >= 0.0);
        assert_eq!(inv_one_plus_exp(-800.0), 1.0);
    }

    #[test]
    fn expectation_tail_matches_the_hypergeometric_function() {
        // S = C (2F1(A, a-1; C; z) - 1) / (a - 1).
        for &(big_a, a, c, z) in &[
            (1.5, 0.8, 3.2, 0.4),
            (-2.3, 2.5, 10.0, 0.9),
            (0.7, 1.3, 0.5, 0.2),
            (3.0, 0.2, 50.0, 0.99),
        ] {
            let reference = c * (hyp2f1(big_a, a - 1.0, c, z) - 1.0) / (a - 1.0);
            let got = expectation_tail(big_a, a, c, z).unwrap();
            assert!(close(got, reference, 1e-11), "{got} vs {reference}");
        }
        assert_eq!(expectation_tail(1.0, 1.0, 1.0, 0.0), Some(0.0));
    }

    #[test]
    fn ln_hyp2f1_one_matches_the_series() {
        for &(b, c, z) in &[(0.5, 2.0, 0.3), (3.0, 3.5, 0.95), (1.2, 40.0, 0.5)] {
            let got = ln_hyp2f1_one(b, c, z).unwrap();
            assert!(close(got, hyp2f1(1.0, b, c, z).ln(), 1e-13));
        }
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z.
        let z: f64 = 0.5;
        assert!(close(
            ln_hyp2f1_one(1.0, 2.0, z).unwrap(),
            (-(1.0 - z).ln() / z).ln(),
            1e-14
        ));
    }

    #[test]
    fn quadrature_integrates_smooth_and_peaked_functions() {
        let exp = integrate(f64::exp, 0.0, 1.0, 1e-13).unwrap();
        assert!(close(exp, std::f64::consts::E - 1.0, 1e-13));
        // ∫_0^100 (0.01 + y)^-2 dy = 1/0.01 - 1/100.01.
        let peaked = integrate(|y| (0.01 + y).powi(-2), 0.0, 100.0, 1e-12).unwrap();
        assert!(close(peaked, 100.0 - 1.0 / 100.01, 1e-11));
        assert_eq!(integrate(f64::exp, 1.0, 1.0, 1e-12), Some(0.0));
        assert_eq!(integrate(|_| f64::NAN, 0.0, 1.0, 1e-12), None);
    }

    #[test]
    fn quadrature_of_noise_reports_failure_within_its_budget() {
        // A deterministic pseudo-random integrand in [0.5, 1.5): the error
        // estimate never falls, so the budget ends the subdivision and the
        // result is refused rather than returned after a long spin.
        let mut calls = 0_u32;
        let noisy = |v: f64| {
            calls += 1;
            let bits = (v * 1e9).to_bits().wrapping_mul(0x9E37_79B9_7F4A_7C15);
            0.5 + f64::from(u32::try_from(bits >> 40).unwrap()) / f64::from(1_u32 << 24)
        };
        assert_eq!(integrate(noisy, 0.0, 1.0, 1e-12), None);
        // One 15-point rule at the start, two per bisection.
        let most = 15 * (1 + 2 * u32::try_from(MAX_INTERVALS).unwrap());
        assert!(calls <= most, "{calls} > {most}");
    }

    #[test]
    fn one_minus_exp_over_has_the_right_limit() {
        assert_eq!(one_minus_exp_over(0.0, -2.0), 2.0);
        assert!(close(one_minus_exp_over(1e-12, -2.0), 2.0, 1e-10));
        assert!(close(
            one_minus_exp_over(-0.5, -2.0),
            (1.0 - 1f64.exp()) / -0.5,
            1e-14
        ));
    }
}
