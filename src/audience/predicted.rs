//! [`PredictedValues`]: a customer's predicted values in the audience
//! profiles, and their conversion from [`clv`](crate::clv) predictions
//! (`clv` is an earlier stage; it does not import this one). A leaf of the
//! audience stage, like `column`.

use serde::{Deserialize, Serialize};

use crate::clv::CustomerPrediction;
use crate::money::Money;

/// Predicted values of a customer, filled by a predictive model (BG/NBD,
/// Gamma-Gamma) with
/// [`Profiles::set_predictions`](super::Profiles::set_predictions) or, from
/// a fitted [`clv`](crate::clv) model, with
/// [`Profiles::set_predictions_from`](super::Profiles::set_predictions_from);
/// every field is `None` until then, so rules on `p_alive`,
/// `expected_purchases` or `predicted_clv` see missing values.
///
/// # Example
///
/// ```
/// use rfmkit::audience::PredictedValues;
/// use rfmkit::Money;
///
/// let mut p = PredictedValues::default();
/// p.p_alive = Some(0.82);
/// p.predicted_clv = Some(Money::new(45_000));
/// assert_eq!(p.expected_purchases, None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub struct PredictedValues {
    /// Probability that the customer is still active, `0..=1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_alive: Option<f64>,
    /// Expected purchases over the model's horizon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_purchases: Option<f64>,
    /// Predicted customer lifetime value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_clv: Option<Money>,
}

impl From<&CustomerPrediction> for PredictedValues {
    /// `p_alive`, `expected_purchases` and `clv` (as `predicted_clv`) of a
    /// customer's [`clv`](crate::clv) predictions.
    fn from(c: &CustomerPrediction) -> PredictedValues {
        PredictedValues {
            p_alive: Some(c.p_alive),
            expected_purchases: Some(c.expected_purchases),
            predicted_clv: c.clv,
        }
    }
}
