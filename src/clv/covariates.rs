//! Pareto/NBD with static (time-invariant) covariates: each customer's
//! purchase and drop-out rate scales depend on their covariates through
//! `exp(γ·z)`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::btyd::{Btyd, BtydData};
use super::model::{FitDiagnostics, Groups, ModelKind, TransactionFit, positive};
use super::optimize::{self, BOUND, Objective, Optimizer};
use super::pareto::{self, ParetoNbd};
use super::predict::{HoldoutTable, HoldoutTally, named};
use super::uncertainty::{ParameterUncertainty, Scale, hessian};
use crate::error::{Error, Result};
use crate::id::CustomerId;
use crate::ltv::TimeUnit;

/// The most covariates a [`ParetoNbdCov`] fit takes.
pub const MAX_COVARIATES: usize = 3;

/// Named, time-invariant covariates per customer (acquisition channel as
/// 0/1 dummies, log first-order value, ...), for [`ParetoNbdCov`].
///
/// Every customer has one finite value per name. Customers are kept in
/// [`CustomerId`] order. Scale matters only for reading the coefficients:
/// centring a covariate (subtracting its mean) changes `α`/`β` but not the
/// fit, and makes `α`/`β` those of an average customer.
///
/// # Example
///
/// ```
/// use rfmkit::clv::Covariates;
///
/// let cov = Covariates::new(["log_first_value"], [("ann", vec![3.2]), ("bob", vec![2.1])])?;
/// assert_eq!(cov.get("bob"), Some(&[2.1][..]));
/// assert!(Covariates::new(["a"], [("ann", vec![f64::NAN])]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawCovariates")]
pub struct Covariates {
    names: Vec<String>,
    rows: Vec<(CustomerId, Vec<f64>)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCovariates {
    names: Vec<String>,
    rows: Vec<(CustomerId, Vec<f64>)>,
}

impl TryFrom<RawCovariates> for Covariates {
    type Error = Error;
    fn try_from(raw: RawCovariates) -> Result<Covariates> {
        Covariates::new(raw.names, raw.rows)
    }
}

impl Covariates {
    /// Covariates with the given names, one row of values per customer.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `covariates`) for no name, more
    /// than [`MAX_COVARIATES`], a repeated name, or a row of the wrong
    /// length or with a value that is not finite (naming the customer);
    /// [`Error::DuplicateCustomer`] for a customer given twice.
    ///
    /// # Example
    ///
    /// See [`Covariates`].
    pub fn new<N: Into<String>, C: Into<CustomerId>>(
        names: impl IntoIterator<Item = N>,
        rows: impl IntoIterator<Item = (C, Vec<f64>)>,
    ) -> Result<Covariates> {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        if names.is_empty() || names.len() > MAX_COVARIATES {
            return Err(Error::config(
                "covariates",
                format!(
                    "{} covariate names; give 1 to {MAX_COVARIATES}",
                    names.len()
                ),
            ));
        }
        for (i, name) in names.iter().enumerate() {
            if names.iter().skip(i + 1).any(|n| n == name) {
                return Err(Error::config(
                    "covariates",
                    format!("the name {name:?} is given twice; names must differ"),
                ));
            }
        }
        let mut rows: Vec<(CustomerId, Vec<f64>)> =
            rows.into_iter().map(|(c, v)| (c.into(), v)).collect();
        for (customer, values) in &rows {
            if values.len() != names.len() {
                return Err(Error::config(
                    "covariates",
                    format!(
                        "customer {customer}: {} values for {} covariates ({}); give one per name",
                        values.len(),
                        names.len(),
                        names.join(", ")
                    ),
                ));
            }
            if let Some((v, name)) = values.iter().zip(&names).find(|(v, _)| !v.is_finite()) {
                return Err(Error::config(
                    "covariates",
                    format!("customer {customer}: {name} = {v} is not a finite number"),
                ));
            }
        }
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = rows.windows(2).find(|w| matches!(w, [a, b] if a.0 == b.0)) {
            if let Some((customer, _)) = w.first() {
                return Err(Error::DuplicateCustomer {
                    customer: customer.clone(),
                });
            }
        }
        Ok(Covariates { names, rows })
    }

    /// The covariates' names.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// One customer's values, if given.
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<&[f64]> {
        self.rows
            .binary_search_by(|(c, _)| c.as_str().cmp(customer))
            .ok()
            .and_then(|i| self.rows.get(i))
            .map(|(_, v)| v.as_slice())
    }

    /// The number of customers with values.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no customer has values.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The values of every customer of `data`, in its order.
    fn for_data<'a>(&'a self, data: &BtydData) -> Result<Vec<&'a [f64]>> {
        data.iter()
            .map(|c| {
                self.get(c.customer().as_str())
                    .ok_or_else(|| Error::InvalidBtyd {
                        customer: Some(c.customer().clone()),
                        problem: format!(
                            "the customer has no covariate values ({}); give every modelled \
                         customer a row",
                            self.names.join(", ")
                        ),
                    })
            })
            .collect()
    }
}

/// Pareto/NBD with static covariates (the specification of CLVTools'
/// `pnbd` with static covariates; Fader & Hardie, "Incorporating
/// time-invariant covariates into the Pareto/NBD and BG/NBD models", 2007).
///
/// As [`ParetoNbd`], with customer `i`'s rate scales
///
/// ```text
/// α_i = α · exp(−γ_purchase · z_i)      (λ_i ~ Gamma(r, α_i))
/// β_i = β · exp(−γ_dropout · z_i)       (μ_i ~ Gamma(s, β_i))
/// ```
///
/// so a positive `γ_purchase` coefficient means customers with a larger
/// covariate buy more often (`E[λ_i] = r/α_i`), a positive `γ_dropout`
/// one that they drop out sooner. Every covariate enters both processes.
/// A customer's likelihood, `P(alive)` and expected purchases are those of
/// `ParetoNbd(r, α_i, s, β_i)` ([`ParetoNbdCov::for_customer`]). With all
/// coefficients 0 it is Pareto/NBD.
///
/// # Example
///
/// ```
/// use rfmkit::clv::{Btyd, ParetoNbdCov};
///
/// let model = ParetoNbdCov::new(0.55, 10.6, 0.6, 11.7, vec![0.4], vec![0.0])?;
/// let c = Btyd::new(2, 30.43, 38.86)?;
/// let big_spender = model.for_customer(&[1.0])?.expected_purchases(c, 39.0)?;
/// let small = model.for_customer(&[-1.0])?.expected_purchases(c, 39.0)?;
/// assert!(big_spender > small);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawCov")]
pub struct ParetoNbdCov {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
    purchase: Vec<f64>,
    dropout: Vec<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCov {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
    purchase: Vec<f64>,
    dropout: Vec<f64>,
}

impl TryFrom<RawCov> for ParetoNbdCov {
    type Error = Error;
    fn try_from(raw: RawCov) -> Result<ParetoNbdCov> {
        ParetoNbdCov::new(raw.r, raw.alpha, raw.s, raw.beta, raw.purchase, raw.dropout)
    }
}

impl ParetoNbdCov {
    /// A model with the given parameters and coefficients (one per
    /// covariate in each of `purchase` and `dropout`).
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `r`, `α`, `s` or `β` is not a finite
    /// number `> 0`, or a coefficient is not finite;
    /// [`Error::InvalidConfig`] (field `covariates`) if the two coefficient
    /// lists differ in length or have none or more than [`MAX_COVARIATES`].
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::ParetoNbdCov;
    ///
    /// assert!(ParetoNbdCov::new(0.5, 10.0, 0.6, 11.0, vec![0.3], vec![0.1]).is_ok());
    /// assert!(ParetoNbdCov::new(0.5, 10.0, 0.6, 11.0, vec![0.3], vec![]).is_err());
    /// ```
    pub fn new(
        r: f64,
        alpha: f64,
        s: f64,
        beta: f64,
        purchase: Vec<f64>,
        dropout: Vec<f64>,
    ) -> Result<ParetoNbdCov> {
        if purchase.len() != dropout.len() || purchase.is_empty() || purchase.len() > MAX_COVARIATES
        {
            return Err(Error::config(
                "covariates",
                format!(
                    "{} purchase and {} drop-out coefficients; give the same number, 1 to \
                     {MAX_COVARIATES}",
                    purchase.len(),
                    dropout.len()
                ),
            ));
        }
        if let Some(v) = purchase.iter().chain(&dropout).find(|v| !v.is_finite()) {
            return Err(Error::OutOfRange {
                what: "pareto_nbd covariate coefficient",
                value: v.to_string(),
                expected: "a finite number".into(),
            });
        }
        Ok(ParetoNbdCov {
            r: positive("pareto_nbd parameter r", r)?,
            alpha: positive("pareto_nbd parameter alpha", alpha)?,
            s: positive("pareto_nbd parameter s", s)?,
            beta: positive("pareto_nbd parameter beta", beta)?,
            purchase,
            dropout,
        })
    }

    /// `r`, `α`, `s`, `β` (the rate scales of a customer whose covariates
    /// are all 0).
    #[must_use]
    pub fn base(&self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }

    /// `γ_purchase`, one coefficient per covariate.
    #[must_use]
    pub fn purchase_coefficients(&self) -> &[f64] {
        &self.purchase
    }

    /// `γ_dropout`, one coefficient per covariate.
    #[must_use]
    pub fn dropout_coefficients(&self) -> &[f64] {
        &self.dropout
    }

    /// The Pareto/NBD of a customer with covariates `z`: `r`, `α_i`, `s`,
    /// `β_i`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `covariates`) if `z` has the wrong
    /// length; [`Error::OutOfRange`] if `α_i` or `β_i` is not a finite
    /// number `> 0` (covariates far outside the fitted range).
    ///
    /// # Example
    ///
    /// See [`ParetoNbdCov`].
    pub fn for_customer(&self, z: &[f64]) -> Result<ParetoNbd> {
        if z.len() != self.purchase.len() {
            return Err(Error::config(
                "covariates",
                format!(
                    "{} values for a model with {} covariates",
                    z.len(),
                    self.purchase.len()
                ),
            ));
        }
        let dot = |g: &[f64]| g.iter().zip(z).map(|(g, z)| g * z).sum::<f64>();
        ParetoNbd::new(
            self.r,
            self.alpha * (-dot(&self.purchase)).exp(),
            self.s,
            self.beta * (-dot(&self.dropout)).exp(),
        )
    }

    /// Fits the model to `data` with the customers' `covariates` by
    /// maximum likelihood.
    ///
    /// The working parameters are `ln r, ln α, ln s, ln β` and the
    /// coefficients; BFGS (Nelder–Mead as the fallback) with the exact
    /// gradient (chain rule through `α_i` and `β_i` from Pareto/NBD's exact
    /// gradient), started from the plain Pareto/NBD fit with coefficients
    /// 0. Customers with the same history and covariates are evaluated
    /// once. The diagnostics carry standard errors and 95% intervals for
    /// every parameter and coefficient (observed information; names `r`,
    /// `alpha`, `s`, `beta`, then `purchase:NAME` and `dropout:NAME`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBtyd`] naming a customer of `data` without
    /// covariates; the errors of [`ParetoNbd::fit`]; [`Error::NotIdentified`]
    /// if a parameter runs off to 0 or infinity or a coefficient beyond
    /// ±18 (a covariate that separates customers perfectly).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{Covariates, ParetoNbdCov, SimulationConfig, ParetoNbd, TransactionModel, simulate};
    ///
    /// let truth = TransactionModel::from(ParetoNbd::new(0.6, 8.0, 0.7, 10.0)?);
    /// let data = simulate(&truth, &SimulationConfig::builder().customers(300).seed(2).build()?)?;
    /// // A covariate without signal: its coefficients should be near 0.
    /// let rows = data.iter().enumerate().map(|(i, c)| (c.customer().clone(), vec![(i % 2) as f64]));
    /// let cov = Covariates::new(["even"], rows)?;
    /// let fit = ParetoNbdCov::fit(&data, &cov)?;
    /// assert_eq!(fit.covariates, ["even"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit(data: &BtydData, covariates: &Covariates) -> Result<CovariateFit> {
        let rows = covariates.for_data(data)?;
        let base = TransactionFit::fit(ModelKind::ParetoNbd, data)?;
        let [r, alpha, s, beta] = base.model.parameters().map(|(_, v)| v);
        let k = covariates.names.len();
        let cases = Cases::new(data, &rows, k);
        let start: Vec<f64> = [r.ln(), alpha.ln(), s.ln(), beta.ln()]
            .into_iter()
            .chain(std::iter::repeat_n(0.0, 2 * k))
            .collect();
        let (working, outcome) = match k {
            1 => minimize::<6>(&cases, &start)?,
            2 => minimize::<8>(&cases, &start)?,
            _ => minimize::<10>(&cases, &start)?,
        };
        let mut names = vec![
            "r".to_string(),
            "alpha".to_string(),
            "s".to_string(),
            "beta".to_string(),
        ];
        names.extend(covariates.names.iter().map(|n| format!("purchase:{n}")));
        names.extend(covariates.names.iter().map(|n| format!("dropout:{n}")));
        for (value, name) in working.iter().zip(&names) {
            if value.abs() >= BOUND - 1.0 {
                return Err(Error::NotIdentified {
                    model: KIND_NAME,
                    reason: format!(
                        "{name} runs off to {} (working value {value:.1}); the data cannot \
                         identify it (a covariate that separates buyers from non-buyers, or \
                         too few customers)",
                        if *value > 0.0 {
                            "infinity"
                        } else {
                            "0 or -infinity"
                        }
                    ),
                });
            }
        }
        let p = |i: usize| working.get(i).copied().unwrap_or(f64::NAN);
        let model = ParetoNbdCov::new(
            p(0).exp(),
            p(1).exp(),
            p(2).exp(),
            p(3).exp(),
            (0..k).map(|j| p(4 + j)).collect(),
            (0..k).map(|j| p(4 + k + j)).collect(),
        )?;
        let log_likelihood = cases.value_and_gradient(&working).map_or(f64::NAN, |v| v.0);
        let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut scales = vec![Scale::Log; 4];
        scales.extend(std::iter::repeat_n(Scale::Linear, 2 * k));
        let uncertainty = hessian(
            |theta| cases.value_and_gradient(theta).map(|v| v.1),
            &working,
        )
        .and_then(|h| ParameterUncertainty::from_hessian(&name_refs, &scales, &working, &h).ok());
        Ok(CovariateFit {
            model,
            covariates: covariates.names.clone(),
            unit: data.unit(),
            calibration_end: data.calibration_end(),
            diagnostics: FitDiagnostics {
                log_likelihood,
                converged: outcome.converged,
                gradient_norm: outcome.gradient_norm,
                iterations: outcome.iterations,
                evaluations: outcome.evaluations,
                optimizer: outcome.optimizer,
                customers: data.len(),
                groups: cases.cases.len(),
                uncertainty,
            },
        })
    }
}

const KIND_NAME: &str = "pareto_nbd";

/// A customer's history key, covariate bits, history and covariates.
type Keyed = ((u32, u64, u64), Vec<u64>, Btyd, Vec<f64>);

/// Distinct (history, covariates) with their number of customers.
struct Cases {
    cases: Vec<(Btyd, Vec<f64>, f64)>,
    customers: f64,
}

impl Cases {
    fn new(data: &BtydData, rows: &[&[f64]], k: usize) -> Cases {
        let mut keyed: Vec<Keyed> = data
            .iter()
            .zip(rows)
            .map(|(c, z)| {
                let z: Vec<f64> = z.iter().copied().take(k).collect();
                // +0.0 turns -0.0 into 0.0, so equal values have equal bits.
                let bits = z.iter().map(|v| (v + 0.0).to_bits()).collect();
                (c.btyd().key(), bits, c.btyd(), z)
            })
            .collect();
        keyed.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut cases: Vec<(Btyd, Vec<f64>, f64)> = Vec::new();
        let mut last: Option<((u32, u64, u64), Vec<u64>)> = None;
        for (key, bits, btyd, z) in keyed {
            let same = last
                .as_ref()
                .is_some_and(|(k0, b0)| *k0 == key && *b0 == bits);
            match cases.last_mut() {
                Some(case) if same => case.2 += 1.0,
                _ => cases.push((btyd, z, 1.0)),
            }
            last = Some((key, bits));
        }
        let customers = cases.iter().map(|c| c.2).sum();
        Cases { cases, customers }
    }

    /// The total log-likelihood and its gradient in the working parameters
    /// (`ln r, ln α, ln s, ln β`, purchase coefficients, drop-out
    /// coefficients).
    fn value_and_gradient(&self, theta: &[f64]) -> Option<(f64, Vec<f64>)> {
        let k = theta.len().checked_sub(4)? / 2;
        let (r, alpha, s, beta) = (
            theta.first()?.exp(),
            theta.get(1)?.exp(),
            theta.get(2)?.exp(),
            theta.get(3)?.exp(),
        );
        let purchase = theta.get(4..4 + k)?;
        let dropout = theta.get(4 + k..4 + 2 * k)?;
        let mut total = 0.0;
        let mut grad = vec![0.0; theta.len()];
        for (btyd, z, w) in &self.cases {
            let dot = |g: &[f64]| g.iter().zip(z).map(|(g, z)| g * z).sum::<f64>();
            let alpha_i = alpha * (-dot(purchase)).exp();
            let beta_i = beta * (-dot(dropout)).exp();
            let groups = Groups::from_weighted([(*btyd, 1.0)]);
            let (ll, [gr, ga, gs, gb]) =
                pareto::grouped_with_gradient([r, alpha_i, s, beta_i], &groups)?;
            total += w * ll;
            let (da, db) = (w * ga * alpha_i, w * gb * beta_i);
            for (slot, d) in grad.iter_mut().zip([w * gr * r, da, w * gs * s, db]) {
                *slot += d;
            }
            for (j, zj) in z.iter().enumerate() {
                if let Some(g) = grad.get_mut(4 + j) {
                    *g -= da * zj;
                }
                if let Some(g) = grad.get_mut(4 + k + j) {
                    *g -= db * zj;
                }
            }
        }
        (total.is_finite() && grad.iter().all(|g| g.is_finite())).then_some((total, grad))
    }
}

/// The negative mean log-likelihood as an optimizer objective.
struct Negative<'a>(&'a Cases);

impl<const N: usize> Objective<N> for Negative<'_> {
    fn value(&mut self, theta: &[f64; N]) -> Option<f64> {
        self.value_and_gradient(theta).map(|v| v.0)
    }

    fn value_and_gradient(&mut self, theta: &[f64; N]) -> Option<(f64, [f64; N])> {
        let n = self.0.customers;
        let (ll, g) = self.0.value_and_gradient(theta)?;
        let grad: [f64; N] = std::array::from_fn(|i| -g.get(i).copied().unwrap_or(f64::NAN) / n);
        Some((-ll / n, grad))
    }
}

/// Where a minimization ended, whatever its dimension.
struct Ended {
    converged: bool,
    gradient_norm: f64,
    iterations: u32,
    evaluations: u32,
    optimizer: Optimizer,
}

fn minimize<const N: usize>(cases: &Cases, start: &[f64]) -> Result<(Vec<f64>, Ended)> {
    let x0: [f64; N] = std::array::from_fn(|i| start.get(i).copied().unwrap_or(0.0));
    let outcome =
        optimize::minimize(&mut Negative(cases), x0, 1e-10).ok_or_else(|| Error::Numerical {
            model: KIND_NAME,
            customer: None,
            problem: "the log-likelihood is not finite at the starting values".into(),
        })?;
    if outcome.exhausted {
        return Err(Error::Numerical {
            model: KIND_NAME,
            customer: None,
            problem: format!(
                "the covariate fit did not converge within {} likelihood evaluations \
                 (largest gradient component {:.3e})",
                optimize::MAX_EVALUATIONS,
                outcome.gradient_norm
            ),
        });
    }
    Ok((
        outcome.x.to_vec(),
        Ended {
            converged: outcome.converged,
            gradient_norm: outcome.gradient_norm,
            iterations: outcome.iterations,
            evaluations: outcome.evaluations,
            optimizer: outcome.optimizer,
        },
    ))
}

/// A fitted [`ParetoNbdCov`]: the model, the covariates' names (in the
/// order of the coefficients), the time unit, the calibration end and the
/// diagnostics (with standard errors). Plain data (serde).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct CovariateFit {
    /// The model.
    pub model: ParetoNbdCov,
    /// The covariates' names, in the coefficients' order.
    pub covariates: Vec<String>,
    /// The time unit of `t_x`, `T`, `α`, `β` and horizons.
    pub unit: TimeUnit,
    /// The calibration end of the data, if known.
    pub calibration_end: Option<NaiveDate>,
    /// How the fit went.
    pub diagnostics: FitDiagnostics,
}

impl CovariateFit {
    /// The calibration-vs-holdout table of the fitted model on `data` (as
    /// [`TransactionFit::holdout_table`], with each customer's own
    /// `α_i`, `β_i`). The table's `model` is
    /// [`ModelKind::ParetoNbd`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if `data` has no holdout or another time
    /// unit; [`Error::InvalidBtyd`] for a customer without covariates;
    /// [`Error::Numerical`] naming a customer whose prediction fails.
    ///
    /// # Example
    ///
    /// See the `cdnow` example.
    pub fn holdout_table(
        &self,
        data: &BtydData,
        covariates: &Covariates,
        max_x: u32,
    ) -> Result<HoldoutTable> {
        if data.unit() != self.unit {
            return Err(Error::config(
                "unit",
                format!(
                    "the data is in {}s but the model was fitted in {}s",
                    data.unit(),
                    self.unit
                ),
            ));
        }
        let no_holdout = || {
            Error::config(
                "observation_end",
                "the data has no holdout period; build it with an observation end",
            )
        };
        let length = data.holdout_length().ok_or_else(no_holdout)?;
        let rows = covariates.for_data(data)?;
        let mut tally = HoldoutTally::new(max_x);
        for (c, z) in data.iter().zip(rows) {
            let actual = c.holdout().ok_or_else(no_holdout)?.purchases;
            let predicted = self
                .model
                .for_customer(z)
                .and_then(|m| m.expected_purchases(c.btyd(), length))
                .map_err(|e| named(e, c))?;
            tally.add(c.btyd().x(), actual, predicted);
        }
        Ok(tally.finish(ModelKind::ParetoNbd, length, self.unit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::CustomerBtyd;

    #[test]
    fn gradient_matches_finite_differences() {
        let data = BtydData::new(
            TimeUnit::Week,
            [
                CustomerBtyd::new("a", Btyd::new(0, 0.0, 30.0).unwrap()),
                CustomerBtyd::new("b", Btyd::new(2, 10.0, 25.0).unwrap()),
                CustomerBtyd::new("c", Btyd::new(5, 24.0, 24.5).unwrap()),
                CustomerBtyd::new("d", Btyd::new(1, 3.0, 38.0).unwrap()),
            ],
        )
        .unwrap();
        let rows: [&[f64]; 4] = [&[0.5, 1.0], &[-1.0, 0.0], &[2.0, 1.0], &[0.1, 0.0]];
        let cases = Cases::new(&data, &rows, 2);
        let theta = [-0.5, 2.0, -0.3, 2.4, 0.3, -0.2, 0.15, 0.4];
        let (_, grad) = cases.value_and_gradient(&theta).unwrap();
        for i in 0..theta.len() {
            let h = 1e-6;
            let (mut up, mut down) = (theta, theta);
            up[i] += h;
            down[i] -= h;
            let numeric = (cases.value_and_gradient(&up).unwrap().0
                - cases.value_and_gradient(&down).unwrap().0)
                / (2.0 * h);
            assert!(
                (numeric - grad[i]).abs() < 1e-6 * numeric.abs().max(1.0),
                "{i}: {numeric} vs {}",
                grad[i]
            );
        }
    }

    #[test]
    fn zero_coefficients_are_pareto_nbd() {
        let c = Btyd::new(3, 20.0, 35.0).unwrap();
        let plain = ParetoNbd::new(0.55, 10.6, 0.6, 11.7).unwrap();
        let cov = ParetoNbdCov::new(0.55, 10.6, 0.6, 11.7, vec![0.0], vec![0.0]).unwrap();
        let m = cov.for_customer(&[3.7]).unwrap();
        assert_eq!(m.log_likelihood(c), plain.log_likelihood(c));
        // α_i = α e^{-γ z}: γ = ln 2, z = 1 halves α.
        let cov = ParetoNbdCov::new(0.55, 10.6, 0.6, 11.7, vec![2f64.ln()], vec![0.0]).unwrap();
        assert!((cov.for_customer(&[1.0]).unwrap().alpha() - 5.3).abs() < 1e-12);
    }
}
