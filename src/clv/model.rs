//! The transaction models as one closed enum, the fitting driver shared by
//! all models, and the fit diagnostics.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::bgnbd::{self, BG, BgNbd, MBG};
use super::btyd::{Btyd, BtydData};
use super::mbgnbd::{self, MbgNbd};
use super::optimize::{self, BOUND, Objective, Optimizer};
use super::pareto::{self, ParetoNbd};
use super::uncertainty::{self, ParameterUncertainty, Scale};
use crate::error::{Error, Result};
use crate::ltv::TimeUnit;

/// The models of the `clv` module, by name.
///
/// Names print and parse in snake case (`bg_nbd`, `mbg_nbd`, `pareto_nbd`,
/// `gamma_gamma`, `bg_bb`); parsing also takes `bgnbd`, `mbgnbd`, `pareto`,
/// `paretonbd`, `gammagamma` and `bgbb`, in any case.
///
/// # Example
///
/// ```
/// use rfmkit::clv::ModelKind;
///
/// let kind: ModelKind = "pareto".parse()?;
/// assert_eq!(kind, ModelKind::ParetoNbd);
/// assert_eq!(kind.to_string(), "pareto_nbd");
/// assert!("bgnbd2".parse::<ModelKind>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModelKind {
    /// BG/NBD (Fader, Hardie & Lee 2005): [`BgNbd`].
    BgNbd,
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007): [`MbgNbd`].
    MbgNbd,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987): [`ParetoNbd`].
    ParetoNbd,
    /// Gamma-Gamma spend (Fader, Hardie & Lee 2005b): [`GammaGamma`](super::GammaGamma).
    GammaGamma,
    /// BG/BB for discrete-time data (Fader, Hardie & Shang 2010):
    /// [`BgBb`](super::BgBb). Fitted by [`BgBb::fit`](super::BgBb::fit) on
    /// [`BgBbData`](super::BgBbData), not by [`TransactionFit`].
    BgBb,
}

impl ModelKind {
    /// The transaction models, in the order they are usually reported.
    pub const TRANSACTION: [ModelKind; 3] =
        [ModelKind::BgNbd, ModelKind::MbgNbd, ModelKind::ParetoNbd];

    /// The model's name, as printed and serialized.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            ModelKind::BgNbd => "bg_nbd",
            ModelKind::MbgNbd => "mbg_nbd",
            ModelKind::ParetoNbd => "pareto_nbd",
            ModelKind::GammaGamma => "gamma_gamma",
            ModelKind::BgBb => "bg_bb",
        }
    }

    /// Whether the model is one of the continuous-time transaction models
    /// that [`TransactionFit`] fits and [`TransactionModel`] holds (BG/NBD,
    /// MBG/NBD, Pareto/NBD): not the spend model, and not the discrete-time
    /// BG/BB, which has its own [`BgBbFit`](super::BgBbFit).
    #[must_use]
    pub const fn is_transaction_model(self) -> bool {
        !matches!(self, ModelKind::GammaGamma | ModelKind::BgBb)
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = Error;

    /// # Errors
    ///
    /// [`Error::InvalidConfig`] with field `model` for an unknown name.
    fn from_str(s: &str) -> Result<ModelKind> {
        match s.to_ascii_lowercase().as_str() {
            "bg_nbd" | "bgnbd" | "bg/nbd" => Ok(ModelKind::BgNbd),
            "mbg_nbd" | "mbgnbd" | "mbg/nbd" => Ok(ModelKind::MbgNbd),
            "pareto_nbd" | "paretonbd" | "pareto" | "pareto/nbd" => Ok(ModelKind::ParetoNbd),
            "gamma_gamma" | "gammagamma" | "gamma-gamma" => Ok(ModelKind::GammaGamma),
            "bg_bb" | "bgbb" | "bg/bb" => Ok(ModelKind::BgBb),
            _ => Err(Error::config(
                "model",
                format!(
                    "unknown model {s:?}; use bg_nbd, mbg_nbd, pareto_nbd, gamma_gamma or bg_bb"
                ),
            )),
        }
    }
}

/// A fitted (or given) transaction model: which one, with its parameters.
///
/// A closed enum rather than a trait, so a model serializes as plain data
/// and loads back without a registry:
/// `{"model": "bg_nbd", "r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}`.
///
/// # Example
///
/// ```
/// use rfmkit::clv::{BgNbd, Btyd, ModelKind, TransactionModel};
///
/// let model = TransactionModel::from(BgNbd::new(0.243, 4.414, 0.793, 2.426)?);
/// assert_eq!(model.kind(), ModelKind::BgNbd);
/// let json = serde_json::to_string(&model)?;
/// assert_eq!(json, r#"{"model":"bg_nbd","r":0.243,"alpha":4.414,"a":0.793,"b":2.426}"#);
/// let back: TransactionModel = serde_json::from_str(&json)?;
/// let c = Btyd::new(2, 30.43, 38.86)?;
/// assert_eq!(back.p_alive(c), model.p_alive(c));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransactionModel {
    /// BG/NBD.
    BgNbd(BgNbd),
    /// MBG/NBD.
    MbgNbd(MbgNbd),
    /// Pareto/NBD.
    ParetoNbd(ParetoNbd),
}

impl TransactionModel {
    /// Which model this is.
    #[must_use]
    pub fn kind(&self) -> ModelKind {
        match self {
            TransactionModel::BgNbd(_) => ModelKind::BgNbd,
            TransactionModel::MbgNbd(_) => ModelKind::MbgNbd,
            TransactionModel::ParetoNbd(_) => ModelKind::ParetoNbd,
        }
    }

    /// The parameters by their usual names, in the usual order: `r`,
    /// `alpha`, `a`, `b` (BG/NBD, MBG/NBD) or `r`, `alpha`, `s`, `beta`
    /// (Pareto/NBD).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{ParetoNbd, TransactionModel};
    ///
    /// let model = TransactionModel::from(ParetoNbd::new(0.553, 10.578, 0.606, 11.669)?);
    /// assert_eq!(model.parameters()[3], ("beta", 11.669));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn parameters(&self) -> [(&'static str, f64); 4] {
        match self {
            TransactionModel::BgNbd(m) => [
                ("r", m.r()),
                ("alpha", m.alpha()),
                ("a", m.a()),
                ("b", m.b()),
            ],
            TransactionModel::MbgNbd(m) => [
                ("r", m.r()),
                ("alpha", m.alpha()),
                ("a", m.a()),
                ("b", m.b()),
            ],
            TransactionModel::ParetoNbd(m) => [
                ("r", m.r()),
                ("alpha", m.alpha()),
                ("s", m.s()),
                ("beta", m.beta()),
            ],
        }
    }

    /// One customer's log-likelihood.
    #[must_use]
    pub fn log_likelihood(&self, customer: Btyd) -> f64 {
        match self {
            TransactionModel::BgNbd(m) => m.log_likelihood(customer),
            TransactionModel::MbgNbd(m) => m.log_likelihood(customer),
            TransactionModel::ParetoNbd(m) => m.log_likelihood(customer),
        }
    }

    /// The total log-likelihood of `data` (customers with identical
    /// histories are evaluated once).
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgNbd, Btyd, BtydData, CustomerBtyd, TransactionModel};
    /// use rfmkit::ltv::TimeUnit;
    ///
    /// let model = TransactionModel::from(BgNbd::new(1.0, 1.0, 1.0, 1.0)?);
    /// let data = BtydData::new(TimeUnit::Week, [
    ///     CustomerBtyd::new("a", Btyd::new(0, 0.0, 1.0)?),
    ///     CustomerBtyd::new("b", Btyd::new(0, 0.0, 1.0)?),
    /// ])?;
    /// // Each customer has L = 1/2 (see BgNbd::log_likelihood).
    /// assert!((model.total_log_likelihood(&data) - 2.0 * 0.5f64.ln()).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn total_log_likelihood(&self, data: &BtydData) -> f64 {
        let groups = Groups::from_data(data);
        groups
            .distinct()
            .map(|(c, w)| w * self.log_likelihood(c))
            .sum()
    }

    /// The probability that the customer is alive at `T`.
    #[must_use]
    pub fn p_alive(&self, customer: Btyd) -> f64 {
        match self {
            TransactionModel::BgNbd(m) => m.p_alive(customer),
            TransactionModel::MbgNbd(m) => m.p_alive(customer),
            TransactionModel::ParetoNbd(m) => m.p_alive(customer),
        }
    }

    /// The expected number of purchases in the next `t`, given the
    /// customer's history.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `t` is not a finite number `>= 0`;
    /// [`Error::Numerical`] if a series does not converge.
    pub fn expected_purchases(&self, customer: Btyd, t: f64) -> Result<f64> {
        match self {
            TransactionModel::BgNbd(m) => m.expected_purchases(customer, t),
            TransactionModel::MbgNbd(m) => m.expected_purchases(customer, t),
            TransactionModel::ParetoNbd(m) => m.expected_purchases(customer, t),
        }
    }

    /// The expected number of purchases between `t1` and `t2` from now
    /// (`0 <= t1 <= t2`, in the model's time unit), given the customer's
    /// history: `E[X(T + t2) − X(T + t1) | x, t_x, T] = E[Y(t2)] − E[Y(t1)]`.
    ///
    /// `between(0, t)` is [`expected_purchases`](Self::expected_purchases)`(t)`,
    /// and windows add up: `between(t1, t2) + between(t2, t3) =
    /// between(t1, t3)` (up to rounding). A difference below 0 from
    /// rounding (the expectation is non-decreasing in `t`) is returned as 0.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] (what `horizon`) if `t1` or `t2` is not a
    /// finite number in `0..=`[`MAX_HORIZON_DAYS`](super::MAX_HORIZON_DAYS)
    /// or `t1 > t2`; [`Error::Numerical`] as
    /// [`expected_purchases`](Self::expected_purchases).
    ///
    /// # Example
    ///
    /// The CDNOW BG/NBD fit (weeks): the second half-year after the
    /// calibration end expects fewer purchases than the first.
    ///
    /// ```
    /// use rfmkit::clv::{BgNbd, Btyd, TransactionModel};
    ///
    /// let model = TransactionModel::from(BgNbd::new(0.243, 4.414, 0.793, 2.426)?);
    /// let c = Btyd::new(2, 30.43, 38.86)?;
    /// let first = model.expected_purchases_between(c, 0.0, 26.0)?;
    /// let second = model.expected_purchases_between(c, 26.0, 52.0)?;
    /// assert!(second < first);
    /// assert!((first + second - model.expected_purchases(c, 52.0)?).abs() < 1e-12);
    /// assert!(model.expected_purchases_between(c, 52.0, 26.0).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_purchases_between(&self, customer: Btyd, t1: f64, t2: f64) -> Result<f64> {
        check_horizon(t1)?;
        check_horizon(t2)?;
        if t1 > t2 {
            return Err(Error::OutOfRange {
                what: "horizon",
                value: format!("{t1}..{t2}"),
                expected: "a window t1..t2 with t1 <= t2 (the start before the end)".into(),
            });
        }
        let end = self.expected_purchases(customer, t2)?;
        let start = self.expected_purchases(customer, t1)?;
        Ok((end - start).max(0.0))
    }

    /// The expected number of repeat purchases of a new customer in their
    /// first `t`.
    ///
    /// # Errors
    ///
    /// As [`expected_purchases`](Self::expected_purchases).
    pub fn expected_purchases_new(&self, t: f64) -> Result<f64> {
        match self {
            TransactionModel::BgNbd(m) => m.expected_purchases_new(t),
            TransactionModel::MbgNbd(m) => m.expected_purchases_new(t),
            TransactionModel::ParetoNbd(m) => m.expected_purchases_new(t),
        }
    }
}

/// How a fit went: the maximized log-likelihood and the optimizer's report.
///
/// `converged` means every component of the gradient of the mean
/// log-likelihood (per customer) with respect to the log-parameters is at
/// most `1e-6` at the returned parameters: the maximum was found to well
/// beyond the 3 significant digits parameters are usually reported with.
///
/// Loading from JSON checks these invariants: a finite log-likelihood, a
/// gradient norm `>= 0` (at most `1e-6` when `converged`), and `groups <=
/// customers`; a broken one is [`Error::InvalidConfig`] naming the field
/// (`diagnostics.converged`, ...).
///
/// # Example
///
/// ```
/// use rfmkit::clv::{BgNbd, SimulationConfig, TransactionModel, simulate};
///
/// let truth = TransactionModel::from(BgNbd::new(0.5, 8.0, 0.7, 3.0)?);
/// let data = simulate(&truth, &SimulationConfig::builder().customers(500).seed(1).build()?)?;
/// let fit = BgNbd::fit(&data)?;
/// let d = &fit.diagnostics;
/// assert_eq!(d.customers, 500);
/// assert!(d.groups <= 500 && d.log_likelihood < 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawFitDiagnostics")]
#[non_exhaustive]
pub struct FitDiagnostics {
    /// The total log-likelihood at the fitted parameters.
    pub log_likelihood: f64,
    /// Whether the optimizer converged (see above).
    pub converged: bool,
    /// The largest gradient component at the end (mean log-likelihood,
    /// log-parameters).
    pub gradient_norm: f64,
    /// Optimizer iterations.
    pub iterations: u32,
    /// Likelihood evaluations.
    pub evaluations: u32,
    /// Which optimizer produced the parameters.
    pub optimizer: Optimizer,
    /// Customers used in the fit.
    pub customers: usize,
    /// Distinct histories the likelihood was evaluated on.
    pub groups: usize,
    /// Standard errors, 95% intervals and the covariance of the
    /// parameters, from the observed information at the maximum (see
    /// [`uncertainty`](super::uncertainty)); its `warning` is set when the
    /// information matrix is not positive definite. Every fit fills it;
    /// `None` only for diagnostics loaded from JSON written without it, or
    /// when the likelihood's gradient could not be evaluated around the
    /// maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<ParameterUncertainty>,
}

/// The JSON form of [`FitDiagnostics`], checked on load.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawFitDiagnostics {
    log_likelihood: f64,
    converged: bool,
    gradient_norm: f64,
    iterations: u32,
    evaluations: u32,
    optimizer: Optimizer,
    customers: usize,
    groups: usize,
    #[serde(default)]
    uncertainty: Option<ParameterUncertainty>,
}

impl TryFrom<RawFitDiagnostics> for FitDiagnostics {
    type Error = Error;

    /// Checks what every fit guarantees: a finite log-likelihood, a
    /// gradient norm `>= 0` and at most `1e-6` when `converged`, and no
    /// more groups than customers.
    fn try_from(raw: RawFitDiagnostics) -> Result<FitDiagnostics> {
        if !raw.log_likelihood.is_finite() {
            return Err(Error::config(
                "diagnostics.log_likelihood",
                format!("{} is not finite", raw.log_likelihood),
            ));
        }
        if !(raw.gradient_norm >= 0.0 && raw.gradient_norm.is_finite()) {
            return Err(Error::config(
                "diagnostics.gradient_norm",
                format!("{} is not a finite norm >= 0", raw.gradient_norm),
            ));
        }
        if raw.converged && raw.gradient_norm > optimize::CONVERGED_GRADIENT {
            return Err(Error::config(
                "diagnostics.converged",
                format!(
                    "true, but the gradient norm {} is above {}; a converged fit's is not",
                    raw.gradient_norm,
                    optimize::CONVERGED_GRADIENT
                ),
            ));
        }
        if raw.groups > raw.customers {
            return Err(Error::config(
                "diagnostics.groups",
                format!(
                    "{} distinct histories among {} customers; there cannot be more",
                    raw.groups, raw.customers
                ),
            ));
        }
        Ok(FitDiagnostics {
            log_likelihood: raw.log_likelihood,
            converged: raw.converged,
            gradient_norm: raw.gradient_norm,
            iterations: raw.iterations,
            evaluations: raw.evaluations,
            optimizer: raw.optimizer,
            customers: raw.customers,
            groups: raw.groups,
            uncertainty: raw.uncertainty,
        })
    }
}

/// A fitted transaction model: the model, the time unit of its parameters,
/// the calibration end of its data and the fit diagnostics.
///
/// Plain data: serialize it, store it, load it back and predict with it
/// (predictions are identical, since the parameters round-trip exactly;
/// with `serde_json`, enable its `float_roundtrip` feature).
///
/// # Example
///
/// ```
/// use rfmkit::clv::{BgNbd, ModelKind, SimulationConfig, TransactionFit, TransactionModel, simulate};
///
/// let truth = TransactionModel::from(BgNbd::new(0.5, 8.0, 0.7, 3.0)?);
/// let data = simulate(&truth, &SimulationConfig::builder().customers(1_000).seed(3).build()?)?;
/// let fit = TransactionFit::fit(ModelKind::BgNbd, &data)?;
/// let json = serde_json::to_string(&fit)?;
/// let back: TransactionFit = serde_json::from_str(&json)?;
/// assert_eq!(back.model.kind(), ModelKind::BgNbd);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct TransactionFit {
    /// The model and its parameters.
    pub model: TransactionModel,
    /// The time unit of `t_x`, `T`, `α`, `β` and of horizons.
    pub unit: TimeUnit,
    /// The calibration end of the data the model was fitted on, if known.
    pub calibration_end: Option<NaiveDate>,
    /// How the fit went.
    pub diagnostics: FitDiagnostics,
}

impl TransactionFit {
    /// Fits the transaction model `kind` to `data` by maximum likelihood.
    ///
    /// See [`BgNbd::fit`] for the method; for [`ParetoNbd`] the likelihood
    /// and its gradient come from one quadrature pass per history (see
    /// [`ParetoNbd::fit`]). Starting values are `r = 1`,
    /// `α = ΣT / Σx` and 1 for the drop-out parameters (`β = α` for
    /// Pareto/NBD).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] (field `model`) for
    /// [`ModelKind::GammaGamma`], which is a spend model
    /// ([`GammaGamma::fit`](super::GammaGamma::fit)), and for
    /// [`ModelKind::BgBb`], a discrete-time model
    /// ([`BgBb::fit`](super::BgBb::fit));
    /// [`Error::NotIdentified`] if the data cannot identify the model;
    /// [`Error::Numerical`] if the likelihood is not finite at the start.
    pub fn fit(kind: ModelKind, data: &BtydData) -> Result<TransactionFit> {
        if kind == ModelKind::GammaGamma {
            return Err(Error::config(
                "model",
                "gamma_gamma is a spend model; fit it with GammaGamma::fit",
            ));
        }
        if kind == ModelKind::BgBb {
            return Err(Error::config(
                "model",
                "bg_bb is a discrete-time model; fit it with BgBb::fit on BgBbData",
            ));
        }
        let groups = Groups::from_data(data);
        check_identifiable(kind, &groups)?;
        let mut start = match kind {
            ModelKind::ParetoNbd => pareto::start(&groups),
            _ => bgnbd::family_start(&groups),
        };
        // On large data, start from the fit to a systematic sample of about
        // 20,000 histories: the full-data optimization then needs only a
        // few iterations.
        if groups.groups.len() > 2 * WARM_START_GROUPS {
            let thin = groups.thinned(groups.groups.len() / WARM_START_GROUPS);
            if let Ok((p, outcome)) = maximize(kind, &thin, start) {
                if outcome.converged && outcome.x.iter().all(|v| v.abs() < BOUND - 1.0) {
                    start = p;
                }
            }
        }
        let (params, outcome) = maximize(kind, &groups, start)?;
        check_bounds(kind, &outcome.x, &names(kind))?;
        let shapes: &[(usize, &'static str)] = match kind {
            ModelKind::ParetoNbd => &[(0, "r"), (2, "s")],
            _ => &[(0, "r")],
        };
        check_outcome(kind, &params, &outcome, shapes)?;
        let model = match kind {
            ModelKind::BgNbd => TransactionModel::BgNbd(bgnbd::from_params(params)?),
            ModelKind::MbgNbd => TransactionModel::MbgNbd(mbgnbd::from_params(params)?),
            _ => TransactionModel::ParetoNbd(pareto::from_params(params)?),
        };
        check_predicts(&model)?;
        let mut diagnostics =
            diagnostics(&outcome, -outcome.value * groups.customers_f64(), &groups);
        diagnostics.uncertainty = transaction_uncertainty(kind, &groups, params);
        Ok(TransactionFit {
            model,
            unit: data.unit(),
            calibration_end: data.calibration_end(),
            diagnostics,
        })
    }
}

/// The observed information of a transaction model at `params` on
/// `groups` (see [`uncertainty`]): the exact gradient of the total
/// log-likelihood in log-parameters, differenced.
fn transaction_uncertainty(
    kind: ModelKind,
    groups: &Groups,
    params: [f64; 4],
) -> Option<ParameterUncertainty> {
    let family = if kind == ModelKind::MbgNbd { MBG } else { BG };
    let gradient = |theta: &[f64]| -> Option<Vec<f64>> {
        let p: [f64; 4] = std::array::from_fn(|i| theta.get(i).copied().unwrap_or(0.0).exp());
        let (_, g) = match kind {
            ModelKind::ParetoNbd => pareto::grouped_with_gradient(p, groups)?,
            _ => bgnbd::family_grouped(p, groups, family)?,
        };
        Some(g.iter().zip(&p).map(|(g, p)| g * p).collect())
    };
    let theta = params.map(f64::ln);
    let h = uncertainty::hessian(gradient, &theta)?;
    ParameterUncertainty::from_hessian(&names(kind), &[Scale::Log; 4], &theta, &h).ok()
}

/// Above twice this many distinct histories, a fit starts from the fit to
/// a sample of about this many.
const WARM_START_GROUPS: usize = 20_000;

/// Maximizes a transaction model's likelihood on `groups` from `start`;
/// returns the parameters and the optimizer's outcome (in log-parameters).
fn maximize(
    kind: ModelKind,
    groups: &Groups,
    start: [f64; 4],
) -> Result<([f64; 4], optimize::Outcome<4>)> {
    let n = groups.customers_f64();
    match kind {
        ModelKind::ParetoNbd => {
            let mut objective = Analytic(|p: [f64; 4]| {
                pareto::grouped_with_gradient(p, groups).map(|(ll, g)| (-ll / n, g.map(|v| -v / n)))
            });
            run(kind, &mut objective, start, 1e-10)
        }
        _ => {
            let family = if kind == ModelKind::MbgNbd { MBG } else { BG };
            let mut objective = Analytic(|p: [f64; 4]| {
                bgnbd::family_grouped(p, groups, family).map(|(ll, g)| (-ll / n, g.map(|v| -v / n)))
            });
            run(kind, &mut objective, start, 1e-10)
        }
    }
}

/// The transaction model `kind` with the parameters `p` (in the order of
/// [`TransactionModel::parameters`]).
pub(crate) fn model_from(kind: ModelKind, p: &[f64]) -> Result<TransactionModel> {
    let params: [f64; 4] = std::array::from_fn(|i| p.get(i).copied().unwrap_or(f64::NAN));
    match kind {
        ModelKind::BgNbd => Ok(TransactionModel::BgNbd(bgnbd::from_params(params)?)),
        ModelKind::MbgNbd => Ok(TransactionModel::MbgNbd(mbgnbd::from_params(params)?)),
        ModelKind::ParetoNbd => Ok(TransactionModel::ParetoNbd(pareto::from_params(params)?)),
        ModelKind::GammaGamma => Err(Error::config(
            "model",
            "gamma_gamma is a spend model, not a transaction model",
        )),
        ModelKind::BgBb => Err(Error::config(
            "model",
            "bg_bb is a discrete-time model; it has its own BgBbFit",
        )),
    }
}

fn names(kind: ModelKind) -> [&'static str; 4] {
    match kind {
        ModelKind::ParetoNbd => ["r", "alpha", "s", "beta"],
        _ => ["r", "alpha", "a", "b"],
    }
}

/// An objective with an exact gradient in the parameters, optimized over
/// their logarithms (chain rule: `∂f/∂θ = p · ∂f/∂p`).
pub(crate) struct Analytic<F>(pub(crate) F);

impl<const N: usize, F: FnMut([f64; N]) -> Option<(f64, [f64; N])>> Objective<N> for Analytic<F> {
    fn value(&mut self, theta: &[f64; N]) -> Option<f64> {
        self.value_and_gradient(theta).map(|(v, _)| v)
    }

    fn value_and_gradient(&mut self, theta: &[f64; N]) -> Option<(f64, [f64; N])> {
        let p = theta.map(f64::exp);
        let (value, grad) = (self.0)(p)?;
        let mut g = grad;
        for (gi, pi) in g.iter_mut().zip(&p) {
            *gi *= pi;
        }
        (value.is_finite() && g.iter().all(|v| v.is_finite())).then_some((value, g))
    }
}

/// Minimizes from `start` (parameters, not logs) and returns the fitted
/// parameters with the outcome.
pub(crate) fn run<const N: usize>(
    kind: ModelKind,
    objective: &mut impl Objective<N>,
    start: [f64; N],
    gtol: f64,
) -> Result<([f64; N], optimize::Outcome<N>)> {
    let outcome = optimize::minimize(objective, start.map(f64::ln), gtol)
        .ok_or_else(|| not_finite_at_start(kind))?;
    Ok((outcome.x.map(f64::exp), outcome))
}

/// The most a gamma shape parameter (`r`, and `s` of Pareto/NBD) may be in
/// a fit that is reported as identified. A shape of `10^4` means the
/// customers' rates differ by 1% (coefficient of variation `1/√shape`):
/// past it the likelihood is flat along `shape/scale` = constant and the
/// data cannot tell the value from infinity, so any number reported would
/// be an arbitrary point of that ridge.
pub(crate) const MAX_SHAPE: f64 = 1e4;

/// Checks a finished minimization: a gamma shape beyond [`MAX_SHAPE`] is
/// [`Error::NotIdentified`]; an exhausted evaluation budget is
/// [`Error::Numerical`].
pub(crate) fn check_outcome<const N: usize>(
    kind: ModelKind,
    params: &[f64; N],
    outcome: &optimize::Outcome<N>,
    shapes: &[(usize, &'static str)],
) -> Result<()> {
    for &(i, name) in shapes {
        if let Some(&value) = params.get(i) {
            if value > MAX_SHAPE {
                return Err(Error::NotIdentified {
                    model: kind.name(),
                    reason: format!(
                        "parameter {name} runs off to infinity (reached {value:.3e}, beyond \
                         {MAX_SHAPE:e}): the data show no spread in the customers' rates, so \
                         the model's heterogeneity cannot be estimated; fit on more customers \
                         or try another model"
                    ),
                });
            }
        }
    }
    if outcome.exhausted {
        return Err(Error::Numerical {
            model: kind.name(),
            customer: None,
            problem: format!(
                "the fit did not converge within {} likelihood evaluations ({} iterations, \
                 largest gradient component {:.3e}); the data fit the model poorly, try \
                 another model or a longer calibration period",
                optimize::MAX_EVALUATIONS,
                outcome.iterations,
                outcome.gradient_norm
            ),
        });
    }
    Ok(())
}

pub(crate) fn not_finite_at_start(kind: ModelKind) -> Error {
    Error::Numerical {
        model: kind.name(),
        customer: None,
        problem: "the log-likelihood is not finite at the starting values; check the inputs \
                  for extreme values"
            .into(),
    }
}

/// A fit that ends with a log-parameter at the bound has no interior
/// maximum: the data do not identify that parameter.
pub(crate) fn check_bounds<const N: usize>(
    kind: ModelKind,
    theta: &[f64; N],
    names: &[&'static str; N],
) -> Result<()> {
    for (value, name) in theta.iter().zip(names) {
        if value.abs() >= BOUND - 1.0 {
            let direction = if *value > 0.0 { "infinity" } else { "0" };
            return Err(Error::NotIdentified {
                model: kind.name(),
                reason: format!(
                    "parameter {name} runs off to {direction}, so the likelihood has no maximum \
                     inside the parameter space; the data cannot identify the model (too few \
                     customers, or purchase patterns the model does not fit)"
                ),
            });
        }
    }
    Ok(())
}

pub(crate) fn diagnostics<const N: usize>(
    outcome: &optimize::Outcome<N>,
    log_likelihood: f64,
    groups: &Groups,
) -> FitDiagnostics {
    FitDiagnostics {
        log_likelihood,
        converged: outcome.converged,
        gradient_norm: outcome.gradient_norm,
        iterations: outcome.iterations,
        evaluations: outcome.evaluations,
        optimizer: outcome.optimizer,
        customers: groups.customers,
        groups: groups.groups.len(),
        uncertainty: None,
    }
}

fn check_identifiable(kind: ModelKind, groups: &Groups) -> Result<()> {
    let reason = if groups.customers == 0 {
        Some("there are no customers; fit on a period with purchases")
    } else if groups.repeat_purchases == 0.0 {
        Some(
            "no customer made a repeat purchase (x > 0), so purchase rates and drop-out cannot \
             be estimated; use a longer calibration period or more customers",
        )
    } else if groups.groups.len() < 2 {
        Some(
            "every customer has the same history (x, t_x, T), so the spread of purchase and \
             drop-out rates across customers cannot be estimated; fit on customers with \
             different histories",
        )
    } else if groups.total_time == 0.0 {
        Some(
            "every customer's T is 0 (all first purchases on the calibration end); use a later \
             calibration end",
        )
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::NotIdentified {
            model: kind.name(),
            reason: reason.into(),
        }),
        None => Ok(()),
    }
}

/// Checks that a parameter is a finite number `> 0`.
pub(crate) fn positive(what: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::OutOfRange {
            what,
            value: value.to_string(),
            expected: "a finite number > 0".into(),
        })
    }
}

/// Checks a prediction horizon `t` (in the model's time unit): finite,
/// `>= 0` and at most [`MAX_HORIZON_DAYS`](super::MAX_HORIZON_DAYS); the
/// error says which of the three it is not.
pub(crate) fn check_horizon(t: f64) -> Result<()> {
    let expected = if t.is_nan() {
        "the horizon is not a number; give a length of time >= 0 in the model's time unit"
    } else if t < 0.0 {
        "the horizon is negative; give a length of time >= 0 in the model's time unit"
    } else if t > super::MAX_HORIZON_DAYS {
        "the horizon is longer than the longest supported, 36524.25 (100 years in days) in \
         the model's time unit"
    } else {
        return Ok(());
    };
    Err(Error::OutOfRange {
        what: "horizon",
        value: t.to_string(),
        expected: expected.into(),
    })
}

/// Checks that a fitted model can predict every allowed horizon: the
/// series of the BG/NBD family converge most slowly for a new customer
/// (`x = 0`, `T = 0`) over the longest horizon, so that one case is
/// evaluated. Pareto/NBD's expectation is in closed form.
fn check_predicts(model: &TransactionModel) -> Result<()> {
    match model.expected_purchases_new(super::MAX_HORIZON_DAYS) {
        Ok(_) => Ok(()),
        Err(err) => Err(Error::Numerical {
            model: model.kind().name(),
            customer: None,
            problem: format!(
                "the fitted parameters cannot predict the longest supported horizon ({err}); \
                 the fit is not usable"
            ),
        }),
    }
}

/// One distinct `(x, t_x, T)` with the number of customers who have it, as
/// indices into the distinct values of [`Groups`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Group {
    pub(crate) x: usize,
    pub(crate) t_x: usize,
    pub(crate) t: usize,
    pub(crate) weight: f64,
}

/// Customers grouped by identical `(x, t_x, T)`, with the distinct values
/// of `x`, `t_x` and `T` separately, so that per-value terms (ln Γ, ψ,
/// logarithms) are computed once per value and per-group work is a few
/// additions and one `exp`/`ln_1p` pair.
#[derive(Debug, Clone, Default)]
pub(crate) struct Groups {
    pub(crate) xs: Vec<u32>,
    pub(crate) x_weights: Vec<f64>,
    pub(crate) t_xs: Vec<f64>,
    pub(crate) ts: Vec<f64>,
    pub(crate) groups: Vec<Group>,
    pub(crate) customers: usize,
    pub(crate) total_weight: f64,
    pub(crate) repeat_purchases: f64,
    pub(crate) total_time: f64,
}

impl Groups {
    pub(crate) fn from_data(data: &BtydData) -> Groups {
        Groups::from_weighted(data.iter().map(|c| (c.btyd(), 1.0)))
    }

    /// Groups weighted histories (the weight is a number of customers).
    pub(crate) fn from_weighted(items: impl IntoIterator<Item = (Btyd, f64)>) -> Groups {
        // Times are >= 0 (and never -0.0, see `Btyd::new`), so their bit
        // patterns sort like their values: keys sort as integers.
        let mut keyed: Vec<((u32, u64, u64), f64)> = crate::bounded::bounded(items)
            .map(|(c, w)| (c.key(), w))
            .collect();
        keyed.sort_unstable_by_key(|k| k.0);
        let mut g = Groups::default();
        let mut distinct: Vec<((u32, u64, u64), f64)> = Vec::new();
        for (key, w) in keyed {
            g.customers += 1;
            g.total_weight += w;
            g.repeat_purchases += w * f64::from(key.0);
            g.total_time += w * f64::from_bits(key.2);
            match distinct.last_mut() {
                Some((last, weight)) if *last == key => *weight += w,
                _ => distinct.push((key, w)),
            }
        }
        let values = |bits: Vec<u64>| {
            let mut bits = bits;
            bits.sort_unstable();
            bits.dedup();
            bits
        };
        let t_x_bits = values(distinct.iter().map(|d| d.0.1).collect());
        let t_bits = values(distinct.iter().map(|d| d.0.2).collect());
        let position = |all: &[u64], v: u64| all.binary_search(&v).unwrap_or(0);
        g.groups.reserve_exact(distinct.len());
        for ((x, t_x, t), w) in distinct {
            if g.xs.last() != Some(&x) {
                g.xs.push(x);
                g.x_weights.push(0.0);
            }
            if let Some(xw) = g.x_weights.last_mut() {
                *xw += w;
            }
            g.groups.push(Group {
                x: g.xs.len() - 1,
                t_x: position(&t_x_bits, t_x),
                t: position(&t_bits, t),
                weight: w,
            });
        }
        g.t_xs = t_x_bits.into_iter().map(f64::from_bits).collect();
        g.ts = t_bits.into_iter().map(f64::from_bits).collect();
        g
    }

    /// Every `k`-th group, its weight multiplied by `k`: a systematic
    /// sample that estimates the same likelihood at a fraction of the
    /// cost, for starting values on large data.
    pub(crate) fn thinned(&self, k: usize) -> Groups {
        let k = k.max(1);
        let scale = f64::from(u32::try_from(k).unwrap_or(u32::MAX));
        let mut g = Groups {
            t_xs: self.t_xs.clone(),
            ts: self.ts.clone(),
            customers: self.customers,
            total_weight: 0.0,
            repeat_purchases: self.repeat_purchases,
            total_time: self.total_time,
            ..Groups::default()
        };
        let mut x_slot: Vec<Option<usize>> = vec![None; self.xs.len()];
        for group in self.groups.iter().step_by(k) {
            let weight = group.weight * scale;
            g.total_weight += weight;
            let slot = match x_slot.get(group.x).copied().flatten() {
                Some(slot) => slot,
                None => {
                    g.xs.push(self.xs.get(group.x).copied().unwrap_or(0));
                    g.x_weights.push(0.0);
                    if let Some(s) = x_slot.get_mut(group.x) {
                        *s = Some(g.xs.len() - 1);
                    }
                    g.xs.len() - 1
                }
            };
            if let Some(xw) = g.x_weights.get_mut(slot) {
                *xw += weight;
            }
            g.groups.push(Group {
                x: slot,
                weight,
                ..*group
            });
        }
        g
    }

    /// The number of customers as a float (the sum of the weights).
    pub(crate) fn customers_f64(&self) -> f64 {
        self.total_weight
    }

    /// `ΣT / Σx`: the mean observed time per repeat purchase (1 if there is
    /// none), a starting value for `α`.
    pub(crate) fn mean_time_per_repeat(&self) -> f64 {
        let v = self.total_time / self.repeat_purchases;
        if v.is_finite() && v > 0.0 { v } else { 1.0 }
    }

    /// Every distinct history with its weight.
    pub(crate) fn distinct(&self) -> impl Iterator<Item = (Btyd, f64)> + '_ {
        self.groups.iter().filter_map(|g| {
            let x = *self.xs.get(g.x)?;
            let t_x = *self.t_xs.get(g.t_x)?;
            let t = *self.ts.get(g.t)?;
            Btyd::new(x, t_x, t).ok().map(|c| (c, g.weight))
        })
    }
}
