//! Construction parameters and their validation, with inferno's texts.

use crate::error::{Error, Result};
use crate::pyrepr::float_repr;
use crate::shape::BatchShape;

/// The parameters of an [`ExactNeuron`](crate::ExactNeuron).
///
/// ```
/// use exact_neuron::NeuronParams;
///
/// let params = NeuronParams::new([3, 4], 1.0, -60.0, -50.0).with_batch_size(2);
/// assert!(params.validate().is_ok());
/// let bad = NeuronParams::new([3, 4], 0.0, -60.0, -50.0);
/// assert_eq!(bad.validate().unwrap_err().to_string(), "'step_time' of 0.0 must be positive");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronParams {
    /// Shape of the group of neurons; empty for a single (0-d) neuron.
    pub shape: Vec<usize>,
    /// Length of a simulation step, in ms.
    pub step_time: f64,
    /// Membrane voltage at rest, in mV: the voltage where no spike is set.
    pub rest_v: f64,
    /// Membrane voltage at threshold, in mV: the voltage where a spike is set.
    pub thresh_v: f64,
    /// Number of samples simulated at once.
    pub batch_size: usize,
}

impl NeuronParams {
    /// Parameters with a batch size of 1.
    pub fn new(shape: impl Into<Vec<usize>>, step_time: f64, rest_v: f64, thresh_v: f64) -> Self {
        NeuronParams {
            shape: shape.into(),
            step_time,
            rest_v,
            thresh_v,
            batch_size: 1,
        }
    }

    /// The same parameters with another batch size.
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Checks the parameters in inferno's order and returns the first
    /// failure: every dimension positive, `batch_size` positive,
    /// `step_time > 0` (NaN rejected, +inf accepted), then
    /// `rest_v < thresh_v` strictly (NaN rejected, `0.0 < -0.0` rejected).
    pub fn validate(&self) -> Result<BatchShape> {
        let shape = BatchShape::new(&self.shape, self.batch_size)?;
        check_positive("step_time", self.step_time)?;
        check_voltages(self.rest_v, self.thresh_v)?;
        Ok(shape)
    }
}

/// `value > 0`, else `'{name}' of {value} must be positive`.
pub(crate) fn check_positive(name: &str, value: f64) -> Result<f64> {
    // `!(value > 0)` rather than `value <= 0` so that NaN is rejected too.
    if value > 0.0 {
        Ok(value)
    } else {
        Err(Error::InvalidArgument(format!(
            "'{name}' of {} must be positive",
            float_repr(value)
        )))
    }
}

/// `rest_v < thresh_v`, else inferno's message naming both.
pub(crate) fn check_voltages(rest_v: f64, thresh_v: f64) -> Result<()> {
    if rest_v < thresh_v {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "'rest_v' ({}) must be less than 'thresh_v' ({})",
            float_repr(rest_v),
            float_repr(thresh_v)
        )))
    }
}
