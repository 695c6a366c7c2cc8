//! Prediction intervals by parametric bootstrap: per-customer intervals
//! for P(alive), expected purchases and CLV, and population totals with
//! intervals.

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};

use super::btyd::BtydData;
use super::gamma_gamma::{GammaGamma, SpendFit};
use super::model::{ModelKind, TransactionFit, TransactionModel};
use super::predict::{Outlook, PredictConfig, named, outlook};
use super::uncertainty::{ParameterUncertainty, Sampler};
use crate::error::{Error, Result};
use crate::id::CustomerId;
use crate::ltv::TimeUnit;

/// How to draw the parametric bootstrap: the number of parameter draws,
/// the seed and the interval's quantiles.
///
/// Built with [`BootstrapConfig::builder`]; [`Default`] is the builder's
/// defaults (200 draws, seed 0, the 2.5% and 97.5% quantiles).
///
/// # Example
///
/// ```
/// use rfmkit::clv::BootstrapConfig;
///
/// let config = BootstrapConfig::builder().draws(500).seed(42).quantiles(0.05, 0.95).build()?;
/// assert_eq!(config.draws(), 500);
/// assert_eq!(BootstrapConfig::default().quantiles(), (0.025, 0.975));
/// assert!(BootstrapConfig::builder().quantiles(0.9, 0.1).build().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "RawBootstrapConfig")]
pub struct BootstrapConfig {
    draws: u32,
    seed: u64,
    lower: f64,
    upper: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
struct RawBootstrapConfig {
    draws: u32,
    seed: u64,
    lower: f64,
    upper: f64,
}

impl TryFrom<RawBootstrapConfig> for BootstrapConfig {
    type Error = Error;
    fn try_from(raw: RawBootstrapConfig) -> Result<BootstrapConfig> {
        BootstrapConfig::builder()
            .draws(raw.draws)
            .seed(raw.seed)
            .quantiles(raw.lower, raw.upper)
            .build()
    }
}

impl Default for BootstrapConfig {
    fn default() -> BootstrapConfig {
        BootstrapConfig {
            draws: 200,
            seed: 0,
            lower: 0.025,
            upper: 0.975,
        }
    }
}

/// The most draws a [`BootstrapConfig`] accepts.
pub const MAX_DRAWS: u32 = 100_000;

impl BootstrapConfig {
    /// A builder with the defaults.
    #[must_use]
    pub fn builder() -> BootstrapConfigBuilder {
        BootstrapConfigBuilder {
            config: BootstrapConfig::default(),
        }
    }

    /// The number of parameter draws.
    #[must_use]
    pub fn draws(&self) -> u32 {
        self.draws
    }

    /// The seed of the draws.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The lower and upper quantiles of the intervals.
    #[must_use]
    pub fn quantiles(&self) -> (f64, f64) {
        (self.lower, self.upper)
    }
}

/// Builds a [`BootstrapConfig`]; made by [`BootstrapConfig::builder`].
#[derive(Debug, Clone)]
pub struct BootstrapConfigBuilder {
    config: BootstrapConfig,
}

impl BootstrapConfigBuilder {
    /// Sets the number of parameter draws (default 200; 2 to
    /// [`MAX_DRAWS`]). The interval ends are quantiles of the draws, so
    /// their own sampling error shrinks like `1/√draws`.
    #[must_use]
    pub fn draws(mut self, draws: u32) -> Self {
        self.config.draws = draws;
        self
    }

    /// Sets the seed (default 0). The same seed, fit and data give the
    /// same intervals, bit for bit, on any number of threads.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Sets the quantiles of the interval ends (default 0.025 and 0.975,
    /// a 95% interval).
    #[must_use]
    pub fn quantiles(mut self, lower: f64, upper: f64) -> Self {
        self.config.lower = lower;
        self.config.upper = upper;
        self
    }

    /// Validates and returns the config.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] with field `draws` (below 2 or above
    /// [`MAX_DRAWS`]) or `quantiles` (not `0 <= lower < upper <= 1`).
    pub fn build(self) -> Result<BootstrapConfig> {
        let c = self.config;
        if !(2..=MAX_DRAWS).contains(&c.draws) {
            return Err(Error::config(
                "draws",
                format!("{} draws; use 2 to {MAX_DRAWS}", c.draws),
            ));
        }
        if !(0.0 <= c.lower && c.lower < c.upper && c.upper <= 1.0) {
            return Err(Error::config(
                "quantiles",
                format!(
                    "{} and {} are not quantiles with 0 <= lower < upper <= 1",
                    c.lower, c.upper
                ),
            ));
        }
        Ok(c)
    }
}

/// A prediction with its bootstrap interval.
///
/// `estimate` is the prediction at the fitted parameters (what
/// [`TransactionFit::predict`] gives, before CLV's rounding to money);
/// `lower` and `upper` are the configured quantiles of the predictions
/// over the parameter draws.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct Interval {
    /// The prediction at the fitted parameters.
    pub estimate: f64,
    /// The lower quantile over the draws.
    pub lower: f64,
    /// The upper quantile over the draws.
    pub upper: f64,
}

/// One customer's predictions with intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct CustomerIntervals {
    /// The customer.
    pub customer: CustomerId,
    /// P(alive) at the calibration end.
    pub p_alive: Interval,
    /// Expected purchases over the config's horizon (window).
    pub expected_purchases: Interval,
    /// CLV in minor units (not rounded); `None` without a spend model or
    /// when the spend model gives no expected spend for the customer (as
    /// in [`CustomerPrediction::clv`](super::CustomerPrediction::clv)).
    pub clv: Option<Interval>,
}

/// Bootstrap prediction intervals for every customer of a [`BtydData`]
/// (in [`CustomerId`] order) and for the population totals: made by
/// [`TransactionFit::predict_intervals`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct PredictionIntervals {
    model: ModelKind,
    unit: TimeUnit,
    config: PredictConfig,
    bootstrap: BootstrapConfig,
    customers: Vec<CustomerIntervals>,
    total_expected_purchases: Interval,
    total_clv: Option<Interval>,
}

impl PredictionIntervals {
    /// The transaction model used.
    #[must_use]
    pub fn model(&self) -> ModelKind {
        self.model
    }

    /// The time unit of the histories.
    #[must_use]
    pub fn unit(&self) -> TimeUnit {
        self.unit
    }

    /// The prediction settings.
    #[must_use]
    pub fn config(&self) -> &PredictConfig {
        &self.config
    }

    /// The bootstrap settings.
    #[must_use]
    pub fn bootstrap(&self) -> &BootstrapConfig {
        &self.bootstrap
    }

    /// The customers' intervals, in [`CustomerId`] order.
    #[must_use]
    pub fn customers(&self) -> &[CustomerIntervals] {
        &self.customers
    }

    /// One customer's intervals, if present.
    #[must_use]
    pub fn get(&self, customer: &str) -> Option<&CustomerIntervals> {
        crate::id::find_by_customer(&self.customers, customer, |c| &c.customer)
    }

    /// The expected purchases of all customers together, with the interval
    /// of the per-draw totals.
    #[must_use]
    pub fn total_expected_purchases(&self) -> Interval {
        self.total_expected_purchases
    }

    /// The CLV of all customers together (minor units), with the interval
    /// of the per-draw totals; `None` without a spend model or when some
    /// customer has no CLV.
    #[must_use]
    pub fn total_clv(&self) -> Option<Interval> {
        self.total_clv
    }
}

/// Histories per unit of parallel work: large enough to amortize the
/// scheduling, small enough to balance 1M customers on many threads. The
/// chunks, not the threads, fix the order of the sums, so the results do
/// not depend on the number of threads.
const CHUNK_GROUPS: usize = 64;

impl TransactionFit {
    /// Predictions with intervals by parametric bootstrap.
    ///
    /// Draws `draws` parameter vectors from the fit's asymptotic normal
    /// distribution on the log scale (`θ* = θ̂ + L z`, `L Lᵀ` the
    /// covariance in [`FitDiagnostics::uncertainty`](super::FitDiagnostics::uncertainty),
    /// `z` standard normal from a PCG generator seeded with `seed`; so
    /// every drawn parameter is positive), and with a spend fit as many
    /// Gamma-Gamma vectors the same way, independently (the two models
    /// are fitted separately). For each draw it predicts P(alive), the
    /// expected purchases over [`PredictConfig`]'s horizon (window) and the
    /// CLV exactly as [`predict`](Self::predict) does, and reports the
    /// configured quantiles over the draws (linear interpolation between
    /// order statistics, `lifetimes`/numpy's default) beside the estimate
    /// at the fitted parameters. The totals' intervals are the quantiles
    /// of the per-draw sums over all customers, so they carry the
    /// correlation between customers that the same parameters induce.
    ///
    /// The intervals describe **parameter** uncertainty: how much the
    /// predictions could move with the fit, not the spread of a single
    /// customer's future purchases (which is Poisson-like and far wider).
    ///
    /// Identical histories are computed once per draw. With the `parallel`
    /// feature the histories are spread over all threads in fixed chunks,
    /// and sums are taken chunk by chunk in a fixed order: the output is
    /// identical, bit for bit, on any number of threads. Empty data gives
    /// empty intervals with zero totals.
    ///
    /// # Errors
    ///
    /// [`Error::NotIdentified`] if the fit (or the spend fit) has no
    /// positive definite covariance ([`FitDiagnostics::uncertainty`](super::FitDiagnostics::uncertainty)
    /// is `None` or not positive definite); [`Error::Numerical`] if a
    /// drawn parameter vector cannot predict (naming the customer when
    /// the failure is for one) or a drawn spend model has no finite mean
    /// spend for a customer whose estimate has one (`q <= 1` for
    /// customers without repeat purchases: the spend fit is too uncertain
    /// for CLV intervals); as [`predict`](Self::predict) otherwise.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::clv::{BgNbd, BootstrapConfig, GammaGamma, PredictConfig, SimulationConfig, TransactionModel, simulate};
    ///
    /// let truth = TransactionModel::from(BgNbd::new(0.5, 8.0, 0.7, 3.0)?);
    /// let config = SimulationConfig::builder()
    ///     .customers(2_000)
    ///     .spend(GammaGamma::new(6.0, 4.0, 1_500.0)?)
    ///     .seed(2)
    ///     .build()?;
    /// let data = simulate(&truth, &config)?;
    /// let fit = BgNbd::fit(&data)?;
    /// let spend = GammaGamma::fit(&data)?;
    /// let bootstrap = BootstrapConfig::builder().draws(100).seed(7).build()?;
    /// let intervals = fit.predict_intervals(&data, Some(&spend), &PredictConfig::default(), &bootstrap)?;
    /// let total = intervals.total_expected_purchases();
    /// assert!(total.lower < total.estimate && total.estimate < total.upper);
    /// let first = &intervals.customers()[0];
    /// assert!(first.p_alive.lower <= first.p_alive.upper);
    /// println!("next year: {:.0} purchases [{:.0}, {:.0}]", total.estimate, total.lower, total.upper);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict_intervals(
        &self,
        data: &BtydData,
        spend: Option<&SpendFit>,
        config: &PredictConfig,
        bootstrap: &BootstrapConfig,
    ) -> Result<PredictionIntervals> {
        self.check_unit(data.unit())?;
        let kind = self.model.kind();
        let sampler = sampler_of(self.diagnostics.uncertainty.as_ref(), kind)?;
        let spend_sampler = match spend {
            Some(s) => Some(sampler_of(
                s.diagnostics.uncertainty.as_ref(),
                ModelKind::GammaGamma,
            )?),
            None => None,
        };
        let draws = usize::try_from(bootstrap.draws).unwrap_or(usize::MAX);
        let mut rng = Pcg64Mcg::seed_from_u64(bootstrap.seed);
        let mut models = Vec::with_capacity(draws);
        let mut spends = Vec::with_capacity(draws);
        for _ in 0..draws {
            let p = sampler.draw(&mut rng);
            models.push(super::model::model_from(kind, &p).map_err(|e| draw_error(kind, &e))?);
            if let Some(s) = &spend_sampler {
                let q = s.draw(&mut rng);
                let [p, q, g] = [0, 1, 2].map(|i| q.get(i).copied().unwrap_or(f64::NAN));
                spends.push(
                    GammaGamma::new(p, q, g).map_err(|e| draw_error(ModelKind::GammaGamma, &e))?,
                );
            }
        }
        let horizon = config.horizon_days() / self.unit.days();
        let (lower_q, upper_q) = (bootstrap.lower, bootstrap.upper);

        // Customers grouped by identical history, in a fixed order.
        let customers = data.as_slice();
        let mut order: Vec<usize> = (0..customers.len()).collect();
        order.sort_by_key(|&i| customers.get(i).map(|c| c.btyd().key()));
        let mut runs: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        while start < order.len() {
            let key = order
                .get(start)
                .and_then(|&i| customers.get(i))
                .map(|c| c.btyd().key());
            let mut end = start + 1;
            while end < order.len()
                && order
                    .get(end)
                    .and_then(|&i| customers.get(i))
                    .map(|c| c.btyd().key())
                    == key
            {
                end += 1;
            }
            runs.push((start, end));
            start = end;
        }
        let chunks = runs.len().div_ceil(CHUNK_GROUPS);
        let ctx = Context {
            fit: self,
            models: &models,
            spends: &spends,
            spend: spend.map(|s| &s.model),
            config,
            horizon,
            quantiles: (lower_q, upper_q),
        };
        let results = crate::par::column(chunks, |chunk| {
            let first = chunk * CHUNK_GROUPS;
            let last = (first + CHUNK_GROUPS).min(runs.len());
            ctx.chunk(runs.get(first..last).unwrap_or(&[]), &order, customers)
        });

        let mut out: Vec<Option<CustomerIntervals>> = vec![None; customers.len()];
        let mut totals_purchases = vec![0.0; draws];
        let mut totals_clv = vec![0.0; draws];
        let (mut estimate_purchases, mut estimate_clv) = (0.0, 0.0);
        let mut every_clv = spend.is_some();
        for result in results {
            let part = result?;
            for (d, v) in totals_purchases.iter_mut().zip(&part.purchases) {
                *d += v;
            }
            for (d, v) in totals_clv.iter_mut().zip(&part.clv) {
                *d += v;
            }
            estimate_purchases += part.estimate_purchases;
            estimate_clv += part.estimate_clv;
            every_clv &= part.every_clv;
            for (i, c) in part.customers {
                if let Some(slot) = out.get_mut(i) {
                    *slot = Some(c);
                }
            }
        }
        let total_clv =
            every_clv.then(|| interval(estimate_clv, &mut totals_clv, lower_q, upper_q));
        Ok(PredictionIntervals {
            model: kind,
            unit: self.unit,
            config: *config,
            bootstrap: *bootstrap,
            customers: out.into_iter().flatten().collect(),
            total_expected_purchases: interval(
                estimate_purchases,
                &mut totals_purchases,
                lower_q,
                upper_q,
            ),
            total_clv,
        })
    }
}

fn sampler_of(uncertainty: Option<&ParameterUncertainty>, kind: ModelKind) -> Result<Sampler> {
    match uncertainty {
        Some(u) => u.sampler(kind.name()),
        None => Err(Error::NotIdentified {
            model: kind.name(),
            reason: "the fit carries no parameter covariance (its diagnostics have no \
                     uncertainty: it was loaded from JSON written without it); refit the \
                     model to get prediction intervals"
                .into(),
        }),
    }
}

fn draw_error(kind: ModelKind, err: &Error) -> Error {
    Error::Numerical {
        model: kind.name(),
        customer: None,
        problem: format!(
            "a parameter draw for the bootstrap is not a valid model ({err}); the fit is too \
             uncertain for prediction intervals"
        ),
    }
}

/// What the chunks share.
struct Context<'a> {
    fit: &'a TransactionFit,
    models: &'a [TransactionModel],
    spends: &'a [GammaGamma],
    spend: Option<&'a GammaGamma>,
    config: &'a PredictConfig,
    horizon: f64,
    quantiles: (f64, f64),
}

/// One chunk's customers and per-draw partial totals.
struct Part {
    customers: Vec<(usize, CustomerIntervals)>,
    purchases: Vec<f64>,
    clv: Vec<f64>,
    estimate_purchases: f64,
    estimate_clv: f64,
    every_clv: bool,
}

impl Context<'_> {
    fn chunk(
        &self,
        runs: &[(usize, usize)],
        order: &[usize],
        customers: &[super::btyd::CustomerBtyd],
    ) -> Result<Part> {
        let draws = self.models.len();
        let (lo, hi) = self.quantiles;
        let mut part = Part {
            customers: Vec::new(),
            purchases: vec![0.0; draws],
            clv: vec![0.0; draws],
            estimate_purchases: 0.0,
            estimate_clv: 0.0,
            every_clv: true,
        };
        let mut outlooks: Vec<Outlook> = Vec::with_capacity(draws);
        let mut scratch = vec![0.0; draws];
        for &(start, end) in runs {
            let members = order.get(start..end).unwrap_or(&[]);
            let Some(first) = members.first().and_then(|&i| customers.get(i)) else {
                continue;
            };
            let history = first.btyd();
            let unit = self.fit.unit;
            let point = outlook(&self.fit.model, unit, history, self.horizon, self.config)
                .map_err(|e| named(e, first))?;
            outlooks.clear();
            for model in self.models {
                outlooks.push(
                    outlook(model, unit, history, self.horizon, self.config)
                        .map_err(|e| named(e, first))?,
                );
            }
            for (s, o) in scratch.iter_mut().zip(&outlooks) {
                *s = o.p_alive;
            }
            let p_alive = interval(point.p_alive, &mut scratch, lo, hi);
            for (s, o) in scratch.iter_mut().zip(&outlooks) {
                *s = o.expected;
            }
            let expected = interval(point.expected, &mut scratch, lo, hi);
            let weight = f64::from(u32::try_from(members.len()).unwrap_or(u32::MAX));
            part.estimate_purchases += weight * point.expected;
            for (t, o) in part.purchases.iter_mut().zip(&outlooks) {
                *t += weight * o.expected;
            }
            let margin = self.config.margin();
            for &i in members {
                let Some(c) = customers.get(i) else { continue };
                let x = c.btyd().x();
                let m = c.mean_repeat_spend();
                let clv = match self.spend.and_then(|s| s.expected_spend(x, m)) {
                    Some(spend) => {
                        for ((s, o), model) in scratch.iter_mut().zip(&outlooks).zip(self.spends) {
                            let drawn =
                                model.expected_spend(x, m).ok_or_else(|| Error::Numerical {
                                    model: ModelKind::GammaGamma.name(),
                                    customer: Some(c.customer().clone()),
                                    problem: format!(
                                        "a bootstrap draw of the spend model (q = {:.3}) has \
                                         no finite expected spend for this customer; the \
                                         spend fit is too uncertain for CLV intervals",
                                        model.q()
                                    ),
                                })?;
                            *s = o.discounted * drawn * margin;
                        }
                        for (t, s) in part.clv.iter_mut().zip(&scratch) {
                            *t += s;
                        }
                        let estimate = point.discounted * spend * margin;
                        part.estimate_clv += estimate;
                        Some(interval(estimate, &mut scratch, lo, hi))
                    }
                    None => {
                        part.every_clv = false;
                        None
                    }
                };
                part.customers.push((
                    i,
                    CustomerIntervals {
                        customer: c.customer().clone(),
                        p_alive,
                        expected_purchases: expected,
                        clv,
                    },
                ));
            }
        }
        Ok(part)
    }
}

/// The estimate with the `lo` and `hi` quantiles of `values` (which it
/// sorts): linear interpolation between order statistics, position
/// `q · (n − 1)` (numpy's default).
fn interval(estimate: f64, values: &mut [f64], lo: f64, hi: f64) -> Interval {
    values.sort_unstable_by(f64::total_cmp);
    Interval {
        estimate,
        lower: quantile(values, lo),
        upper: quantile(values, hi),
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    let last = f64::from(u32::try_from(n - 1).unwrap_or(u32::MAX));
    let position = q * last;
    let below = position.floor();
    let fraction = position - below;
    // `position` is in 0..=n−1, so the conversion is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = below as usize;
    let a = sorted.get(i).copied().unwrap_or(0.0);
    let b = sorted.get(i + 1).copied().unwrap_or(a);
    a + fraction * (b - a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // numpy.quantile([1, 2, 3, 4], [0.025, 0.5, 0.975]) = [1.075, 2.5, 3.925].
        let mut v = [4.0, 1.0, 3.0, 2.0];
        let i = interval(2.0, &mut v, 0.025, 0.975);
        assert!((i.lower - 1.075).abs() < 1e-12 && (i.upper - 3.925).abs() < 1e-12);
        assert!((quantile(&v, 0.5) - 2.5).abs() < 1e-12);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 4.0);
    }
}
