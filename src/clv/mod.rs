//! Predictive CLV: "buy 'til you die" models fitted by maximum likelihood —
//! BG/NBD, MBG/NBD and Pareto/NBD for purchases, Gamma-Gamma for spend —
//! and per-customer P(alive), expected purchases, expected spend and CLV.
//!
//! RFM says who bought recently; these models say who is probably still a
//! customer, how many purchases to expect from them and what they will be
//! worth. They reproduce the published fits on the CDNOW sample (see
//! [Reproducing the papers](#reproducing-the-papers)).
//!
//! # Example
//!
//! ```
//! use rfmkit::clv::{BgNbd, BtydConfig, BtydData, GammaGamma, PredictConfig};
//! use rfmkit::ltv::TimeUnit;
//! use rfmkit::sim::SimConfig;
//!
//! // Two years of a simulated shop; calibrate on the first 18 months.
//! let shop = SimConfig::builder().customers(3_000).orders(15_000).seed(8).build()?.generate();
//! let calibration_end = shop.as_of() - chrono::Days::new(182);
//! let config = BtydConfig::builder(calibration_end)
//!     .observation_end(shop.as_of())
//!     .unit(TimeUnit::Week)
//!     .build()?;
//! let data = BtydData::from_orders(shop.orders(), &config)?;
//!
//! let purchases = BgNbd::fit(&data)?;
//! let spend = GammaGamma::fit(&data)?;
//! assert!(purchases.diagnostics.converged && spend.diagnostics.converged);
//!
//! let predictions = purchases.predict(&data, Some(&spend), &PredictConfig::default())?;
//! for p in predictions.iter().take(3) {
//!     println!("{} p_alive {:.2} next year {:.2} clv {:?}", p.customer, p.p_alive, p.expected_purchases, p.clv);
//! }
//! println!("{}", purchases.holdout_table(&data, 7)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Definitions
//!
//! [`BtydData::from_orders`] turns orders into one [`CustomerBtyd`] per
//! customer, given a calibration end `E` (the last calibration day,
//! included), an optional observation end `O` and a time unit `u` (in days:
//! 1 for [`TimeUnit::Day`](crate::ltv::TimeUnit::Day), 7 for
//! [`TimeUnit::Week`](crate::ltv::TimeUnit::Week)). Only completed orders
//! are purchases; several orders of a customer on one day are **one
//! purchase day**, whose spend is their sum. Over the purchase days on or
//! before `E`, with `first` and `last` the first and last of them:
//!
//! - `x` = the number of purchase days − 1 (**repeat** purchases: the first
//!   purchase is not counted);
//! - `t_x` = (`last` − `first`) in days / `u`: the *recency* of the BTYD
//!   literature is the time of the last purchase **since the first**, not
//!   the time since the last purchase (RFM's
//!   [`recency_days`](crate::summary::CustomerSummary::recency_days)); `t_x
//!   = 0` when `x = 0`;
//! - `T` = (`E` − `first`) in days / `u`: the customer's age at the
//!   calibration end; a purchase on `E` itself has `t_x = T`;
//! - mean repeat spend `m̄` = the sum of the spend of the repeat purchase
//!   days / `x` (the first purchase day is left out), in minor units;
//!   none when `x = 0`;
//! - holdout purchases = the number of distinct purchase days in
//!   `(E, O]`; holdout spend = their spend. The holdout length is
//!   (`O` − `E`) / `u`.
//!
//! Times are fractional: a week is exactly `days / 7` (not calendar weeks,
//! and purchases in one week are not merged). Customers whose first
//! purchase is after `E` are not modelled (counted in
//! [`BtydData::new_in_holdout`]). Figures from elsewhere enter through
//! [`Btyd::new`] and [`BtydData::new`].
//!
//! # Models
//!
//! | model | purchases while alive | drop-out | parameters |
//! |---|---|---|---|
//! | [`BgNbd`] | Poisson `λ`, `λ ~ Gamma(r, α)` | with prob. `p` after each repeat purchase, `p ~ Beta(a, b)` | `r`, `alpha`, `a`, `b` |
//! | [`MbgNbd`] | as BG/NBD | also right after the first purchase | `r`, `alpha`, `a`, `b` |
//! | [`ParetoNbd`] | as BG/NBD | at an exponential time, rate `μ ~ Gamma(s, β)` | `r`, `alpha`, `s`, `beta` |
//! | [`GammaGamma`] | spend per purchase day `Gamma(p, ν)`, `ν ~ Gamma(q, γ)` | — | `p`, `q`, `gamma` |
//! | [`ParetoNbdCov`] | as Pareto/NBD, `α_i = α·e^(−γ_purchase·z_i)` | as Pareto/NBD, `β_i = β·e^(−γ_dropout·z_i)` | `r`, `alpha`, `s`, `beta`, coefficients |
//! | [`BgBb`] (discrete time) | in each period with prob. `p ~ Beta(α, β)` | before each period with prob. `θ ~ Beta(γ, δ)` | `alpha`, `beta`, `gamma`, `delta` |
//!
//! [`ParetoNbdCov`] takes per-customer static [`Covariates`] (acquisition
//! channel, first-order value); [`BgBb`] is fitted on per-period histories
//! ([`BgBbData`]: patterns with counts, or orders cut into periods of
//! [`BgBbConfig::period_days`] from each customer's first purchase) rather
//! than on [`BtydData`].
//!
//! Each model's docs state its likelihood, `P(alive)` and
//! `E[Y(t) | x, t_x, T]` and how they are evaluated. `α` and `β` are in
//! the data's time unit; `γ` is in minor units.
//!
//! # Fitting
//!
//! [`TransactionFit::fit`] (or `BgNbd::fit`, ...) and [`GammaGamma::fit`]
//! maximize the likelihood over the logarithms of the parameters (so they
//! stay positive) with BFGS and the exact gradient; Nelder–Mead takes over
//! if BFGS stalls. On large data the fit starts from a fit to a systematic
//! sample of about 20,000 distinct histories. Customers with identical `(x, t_x, T)` are grouped
//! first, and terms that depend on `x`, `t_x` or `T` alone are computed once
//! per distinct value: fitting BG/NBD on a million customers takes well
//! under a second. The result carries [`FitDiagnostics`]: the
//! log-likelihood, whether it converged, iterations. A fit whose data
//! cannot identify the model (no customers, no repeat purchases, a
//! parameter running off to 0 or infinity) is an
//! [`Error::NotIdentified`](crate::Error::NotIdentified), never a NaN.
//!
//! # Predictions
//!
//! [`TransactionFit::predict`] gives, per customer ([`CustomerPrediction`]):
//! `p_alive`, `expected_purchases` over [`PredictConfig::horizon_days`]
//! (converted to the model's unit), `expected_spend` (Gamma-Gamma's
//! `E[M | x, m̄]`) and `clv`. Identical histories are computed once.
//!
//! # Uncertainty
//!
//! Every fit carries standard errors, 95% intervals and the covariance of
//! its log-parameters in [`FitDiagnostics::uncertainty`], from the
//! observed information at the maximum (see [`uncertainty`] for the
//! method; they match `lifetimes`' on CDNOW). A warning is set when the
//! information matrix is not positive definite.
//! [`TransactionFit::predict_intervals`] propagates the parameter
//! uncertainty to the predictions by parametric bootstrap
//! ([`BootstrapConfig`]): per-customer intervals for P(alive), expected
//! purchases and CLV, and the totals with intervals.
//!
//! # Predictions over a window
//!
//! [`PredictConfig::builder`]`().start_days(s)` moves the predictions to a
//! window that starts `s` days after the calibration end (in the model's
//! unit, `s' = s / u`): the expected purchases are
//! `E[Y(s' + h)] − E[Y(s')]`, the purchases expected in `(s', s' + h]`
//! (`E[X(T + t2) − X(T + t1) | x, t_x, T]` in the literature's notation;
//! [`TransactionModel::expected_purchases_between`] for one history), and
//! the CLV below sums the months `s' + (i−1)·m .. s' + i·m` for
//! `i = 1..=months`, month `i` discounted by `(1 + d)^(s'/m + i)`, back to
//! the calibration end. With `s` a whole number of months, windows add
//! up: the CLV of months 1–6 plus that of months 7–12 (`start_days` =
//! 6 · [`MONTH_DAYS`]) is the 12-month CLV.
//!
//! # CLV
//!
//! ```text
//! clv = margin · E[M | x, m̄] · Σ_{i=1}^{months} (E[Y(i·m)] − E[Y((i−1)·m)]) / (1 + d)^i
//! ```
//!
//! where `E[Y(t)]` is the conditional expected number of purchases in the
//! next `t`, `m` is one month of [`MONTH_DAYS`] = 365.2425 / 12 =
//! 30.436875 days in the model's unit (4.348125 weeks), `d` the monthly
//! discount rate and `margin` the share of revenue kept (default 1, a
//! revenue CLV; 12 months at 1% a month by default). Each month's
//! expected purchases are discounted at the month's end. The result is
//! rounded to the nearest minor unit ([`Money`](crate::Money)).
//!
//! # Feeding audience rules
//!
//! Copy the [`Predictions`] into the audience profiles in one call, then
//! write rules such as `m >= 4 and p_alive < 0.5` (high past value, probably
//! slipping away). The CLV already includes P(alive) (through the expected
//! purchases), so pair a prediction with history rather than two
//! predictions with each other (see the [field list](crate::audience#fields)):
//!
//! ```text
//! let matched = profiles.set_predictions_from(&predictions);
//! ```
//!
//! ([`Profiles::set_predictions_from`](crate::audience::Profiles::set_predictions_from);
//! one customer's [`CustomerPrediction`] converts into
//! [`audience::PredictedValues`](crate::audience::PredictedValues) with
//! `From`.)
//!
//! # Plain data
//!
//! Models, fits ([`TransactionFit`], [`SpendFit`]: parameters, time unit,
//! calibration end, diagnostics), inputs and predictions serialize with
//! serde and load back to identical predictions. Parameters are `f64`; a
//! JSON library must round-trip them exactly (`serde_json` does with its
//! `float_roundtrip` feature).
//!
//! # Reproducing the papers
//!
//! On the CDNOW sample (2,357 customers; calibration 1997-01-01 to
//! 1997-09-30, holdout to 1998-06-30, weeks = days / 7, `T` from the first
//! purchase to 1997-09-30 as a fraction of weeks), the fits match the
//! published parameters to 3 significant digits and the log-likelihoods
//! to 0.1: BG/NBD `r = 0.243, α = 4.414, a = 0.793, b = 2.426`,
//! LL −9582.4; Pareto/NBD `r = 0.553, α = 10.578, s = 0.606, β = 11.669`,
//! LL −9595.0; Gamma-Gamma on the 946 repeat buyers' mean repeat spend
//! (same-day orders summed, first purchase left out) `p = 6.25,
//! q = 3.74, γ = 15.44` dollars. The `cdnow` example prints them with the
//! calibration-vs-holdout table ([`TransactionFit::holdout_table`]).

mod bgbb;
mod bgnbd;
mod btyd;
mod covariates;
mod drop;
mod gamma_gamma;
mod intervals;
mod mbgnbd;
mod model;
mod optimize;
mod pareto;
mod predict;
mod simulate;
mod special;
pub mod uncertainty;

pub use bgbb::{
    BgBb, BgBbConfig, BgBbData, BgBbFit, BgBbHistory, BgBbPattern, CustomerBgBb, MAX_SUMMED_PERIODS,
};
pub use bgnbd::BgNbd;
pub use btyd::{Btyd, BtydConfig, BtydConfigBuilder, BtydData, CustomerBtyd, Holdout};
pub use covariates::{CovariateFit, Covariates, MAX_COVARIATES, ParetoNbdCov};
pub use drop::ExpectedFrequency;
pub use gamma_gamma::{GammaGamma, SpendFit};
pub use intervals::{
    BootstrapConfig, BootstrapConfigBuilder, CustomerIntervals, Interval, MAX_DRAWS,
    PredictionIntervals,
};
pub use mbgnbd::MbgNbd;
pub use model::{FitDiagnostics, ModelKind, TransactionFit, TransactionModel};
pub use optimize::Optimizer;
pub use pareto::ParetoNbd;
pub use predict::{
    CustomerPrediction, HoldoutRow, HoldoutTable, MAX_HORIZON_DAYS, MONTH_DAYS, PredictConfig,
    PredictConfigBuilder, Predictions,
};
pub use simulate::{SimulationConfig, SimulationConfigBuilder, simulate};
pub use uncertainty::{ParameterEstimate, ParameterUncertainty, Scale};
