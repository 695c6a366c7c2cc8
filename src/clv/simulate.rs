//! Seeded samplers of the BTYD models, for parameter-recovery tests,
//! benchmarks and model checking.

use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};

use super::btyd::{Btyd, BtydData, CustomerBtyd};
use super::gamma_gamma::GammaGamma;
use super::model::TransactionModel;
use crate::error::{Error, Result};
use crate::ltv::TimeUnit;

/// How many customers to simulate, for how long, at what time resolution,
/// with which spend model and seed.
///
/// Customer `i` of `n` (0-based) has `T = max_age · (i + 1) / n`, so ages
/// are spread evenly over `(0, max_age]` like a steady stream of new
/// customers. With a `resolution`, `T` and purchase times are rounded down
/// to multiples of it and purchases in the same slot count once, as real
/// order dates do (`resolution(1.0)` on days gives whole-day data).
///
/// # Example
///
/// ```
/// use rfmkit::clv::SimulationConfig;
/// use rfmkit::ltv::TimeUnit;
///
/// let config = SimulationConfig::builder()
///     .customers(10_000)
///     .max_age(365.0)
///     .unit(TimeUnit::Day)
///     .resolution(1.0)
///     .seed(42)
///     .build()?;
/// assert_eq!(config.customers(), 10_000);
/// assert!(SimulationConfig::builder().max_age(-1.0).build().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct SimulationConfig {
    customers: usize,
    max_age: f64,
    unit: TimeUnit,
    resolution: Option<f64>,
    spend: Option<GammaGamma>,
    seed: u64,
}

impl Default for SimulationConfig {
    fn default() -> SimulationConfig {
        SimulationConfig {
            customers: 1_000,
            max_age: 52.0,
            unit: TimeUnit::Week,
            resolution: None,
            spend: None,
            seed: 0,
        }
    }
}

impl SimulationConfig {
    /// A builder with the defaults: 1,000 customers, `max_age` 52 weeks,
    /// continuous times, no spend, seed 0.
    #[must_use]
    pub fn builder() -> SimulationConfigBuilder {
        SimulationConfigBuilder {
            config: SimulationConfig::default(),
        }
    }

    /// The number of customers.
    #[must_use]
    pub fn customers(&self) -> usize {
        self.customers
    }

    /// The oldest customer's `T`.
    #[must_use]
    pub fn max_age(&self) -> f64 {
        self.max_age
    }

    /// The time unit of the simulated data (the model's parameters are
    /// taken to be in it).
    #[must_use]
    pub fn unit(&self) -> TimeUnit {
        self.unit
    }

    /// The time resolution, if times are rounded.
    #[must_use]
    pub fn resolution(&self) -> Option<f64> {
        self.resolution
    }

    /// The spend model, if spend is simulated.
    #[must_use]
    pub fn spend(&self) -> Option<GammaGamma> {
        self.spend
    }

    /// The seed.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// Builds a [`SimulationConfig`]; made by [`SimulationConfig::builder`].
#[derive(Debug, Clone)]
pub struct SimulationConfigBuilder {
    config: SimulationConfig,
}

impl SimulationConfigBuilder {
    /// Sets the number of customers (default 1,000).
    #[must_use]
    pub fn customers(mut self, customers: usize) -> Self {
        self.config.customers = customers;
        self
    }

    /// Sets the oldest customer's `T` (default 52).
    #[must_use]
    pub fn max_age(mut self, max_age: f64) -> Self {
        self.config.max_age = max_age;
        self
    }

    /// Sets the time unit of the data (default [`TimeUnit::Week`]).
    #[must_use]
    pub fn unit(mut self, unit: TimeUnit) -> Self {
        self.config.unit = unit;
        self
    }

    /// Rounds times down to multiples of `resolution` (default: none,
    /// continuous times).
    #[must_use]
    pub fn resolution(mut self, resolution: f64) -> Self {
        self.config.resolution = Some(resolution);
        self
    }

    /// Also simulates each repeat buyer's mean repeat spend from a
    /// Gamma-Gamma model (default: no spend).
    #[must_use]
    pub fn spend(mut self, spend: GammaGamma) -> Self {
        self.config.spend = Some(spend);
        self
    }

    /// Sets the seed (default 0).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Validates and returns the config.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] with field `max_age` or `resolution` if it
    /// is not a finite number `> 0`.
    pub fn build(self) -> Result<SimulationConfig> {
        let c = self.config;
        if !(c.max_age.is_finite() && c.max_age > 0.0) {
            return Err(Error::config(
                "max_age",
                format!("{} is not a finite number > 0", c.max_age),
            ));
        }
        if let Some(r) = c.resolution {
            if !(r.is_finite() && r > 0.0) {
                return Err(Error::config(
                    "resolution",
                    format!("{r} is not a finite number > 0"),
                ));
            }
        }
        Ok(c)
    }
}

/// Simulates customers from a transaction model (and, if configured,
/// their spend from a Gamma-Gamma model): the same seed gives the same
/// data on every platform (PCG-64 MCG, as [`crate::sim`]).
///
/// Each customer draws their own rates from the model's mixing
/// distributions, then purchases as the model says: BG/NBD drops out with
/// probability `p` after each repeat purchase, MBG/NBD also right after
/// the first, Pareto/NBD at an exponential time. Customer ids are `S`
/// followed by the 0-based index, zero-padded to 8 digits.
///
/// # Errors
///
/// [`Error::InvalidConfig`] with field `model` if a sampling distribution
/// rejects the parameters (extreme values) or one customer would make more
/// than 10 million purchases; with field `customers` above `u32::MAX`
/// customers.
///
/// # Example
///
/// ```
/// use rfmkit::clv::{BgNbd, SimulationConfig, TransactionModel, simulate};
///
/// let model = TransactionModel::from(BgNbd::new(0.25, 4.4, 0.8, 2.4)?);
/// let data = simulate(&model, &SimulationConfig::builder().customers(100).seed(9).build()?)?;
/// assert_eq!(data.len(), 100);
/// assert_eq!(data.as_slice()[0].customer().as_str(), "S00000000");
/// // Deterministic: the same seed gives the same data.
/// assert_eq!(data, simulate(&model, &SimulationConfig::builder().customers(100).seed(9).build()?)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn simulate(model: &TransactionModel, config: &SimulationConfig) -> Result<BtydData> {
    let mut rng = Pcg64Mcg::seed_from_u64(config.seed);
    let bad = |what: &str| {
        Error::config(
            "model",
            format!("cannot sample {what} from these parameters"),
        )
    };
    let n = f64::from(u32::try_from(config.customers).map_err(|_| {
        Error::config("customers", "at most 4294967295 customers can be simulated")
    })?);
    let round = |t: f64| match config.resolution {
        Some(r) => (t / r).floor() * r,
        None => t,
    };
    enum Sampler {
        Geometric {
            lambda: Gamma<f64>,
            p: Beta<f64>,
            at_start: bool,
        },
        Pareto {
            lambda: Gamma<f64>,
            mu: Gamma<f64>,
        },
    }
    let sampler = match model {
        TransactionModel::BgNbd(m) => Sampler::Geometric {
            lambda: Gamma::new(m.r(), 1.0 / m.alpha()).map_err(|_| bad("λ"))?,
            p: Beta::new(m.a(), m.b()).map_err(|_| bad("p"))?,
            at_start: false,
        },
        TransactionModel::MbgNbd(m) => Sampler::Geometric {
            lambda: Gamma::new(m.r(), 1.0 / m.alpha()).map_err(|_| bad("λ"))?,
            p: Beta::new(m.a(), m.b()).map_err(|_| bad("p"))?,
            at_start: true,
        },
        TransactionModel::ParetoNbd(m) => Sampler::Pareto {
            lambda: Gamma::new(m.r(), 1.0 / m.alpha()).map_err(|_| bad("λ"))?,
            mu: Gamma::new(m.s(), 1.0 / m.beta()).map_err(|_| bad("μ"))?,
        },
    };
    let spend = match config.spend {
        Some(s) => Some((
            Gamma::new(s.q(), 1.0 / s.gamma()).map_err(|_| bad("ν"))?,
            s.p(),
        )),
        None => None,
    };

    let mut customers = Vec::with_capacity(crate::bounded::capacity(config.customers));
    let mut i = 0.0_f64;
    for index in 0..config.customers {
        i += 1.0;
        let big_t = round(config.max_age * i / n);
        // Purchase times after the first (at 0), until death or T.
        let mut x: u32 = 0;
        let mut t_x = 0.0;
        let mut clock = 0.0;
        match &sampler {
            Sampler::Geometric {
                lambda,
                p,
                at_start,
            } => {
                let lambda = lambda.sample(&mut rng);
                let p = p.sample(&mut rng);
                let mut alive = !(*at_start && rng.random::<f64>() < p);
                let mut events = 0_u32;
                while alive && lambda > 0.0 {
                    events += 1;
                    if events > MAX_EVENTS {
                        return Err(too_many());
                    }
                    clock += exp(lambda, &mut rng).ok_or_else(|| bad("waiting times"))?;
                    if clock > big_t {
                        break;
                    }
                    let slot = round(clock);
                    if slot > t_x {
                        x = x.saturating_add(1);
                        t_x = slot;
                    }
                    alive = rng.random::<f64>() >= p;
                }
            }
            Sampler::Pareto { lambda, mu } => {
                let lambda = lambda.sample(&mut rng);
                let mu = mu.sample(&mut rng);
                let death = exp(mu, &mut rng).unwrap_or(f64::INFINITY);
                let end = death.min(big_t);
                let mut events = 0_u32;
                // A customer with λ = 0 never buys again.
                while lambda > 0.0 && clock <= end {
                    events += 1;
                    if events > MAX_EVENTS {
                        return Err(too_many());
                    }
                    clock += exp(lambda, &mut rng).ok_or_else(|| bad("waiting times"))?;
                    let slot = round(clock);
                    if clock <= end && slot > t_x {
                        x = x.saturating_add(1);
                        t_x = slot;
                    }
                }
            }
        }
        let id = format!("S{index:08}");
        let mut c = CustomerBtyd::new(id.as_str(), Btyd::new(x, t_x, big_t)?);
        if let (Some((nu, p)), true) = (&spend, x > 0) {
            // x purchases of Gamma(p, ν) each sum to Gamma(px, ν).
            let nu = nu.sample(&mut rng);
            let total = Gamma::new(*p * f64::from(x), 1.0 / nu)
                .map_err(|_| bad("spend"))?
                .sample(&mut rng);
            c = c.with_mean_repeat_spend(total / f64::from(x))?;
        }
        customers.push(c);
    }
    BtydData::new(config.unit, customers)
}

/// The most purchase events one simulated customer may make: a model
/// whose rates give more is rejected instead of looping for hours.
const MAX_EVENTS: u32 = 10_000_000;

fn too_many() -> Error {
    Error::config(
        "model",
        format!(
            "a simulated customer made more than {MAX_EVENTS} purchases; the purchase rates \
             (r / alpha) are too high for the ages simulated"
        ),
    )
}

/// An exponential waiting time with rate `rate`, `None` if it cannot be
/// sampled.
fn exp(rate: f64, rng: &mut Pcg64Mcg) -> Option<f64> {
    Exp::new(rate).ok().map(|d| d.sample(rng))
}
