//! Construction parameters and their validation, with inferno's texts.

use crate::dtype::{DType, VoltageElement};
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

    /// `(rest_v, thresh_v)` in `T`, rounded as the voltage view uses them:
    /// f64 exactly; f32 rounded to nearest; f16 and bf16 rounded to nearest
    /// even from that f32. The first that cannot be converted (a finite
    /// value beyond `f32::MAX`, for f32, f16 and bf16) gives
    /// [`Error::VoltageOverflow`].
    pub fn voltages<T: VoltageElement>(&self) -> Result<(T, T)> {
        Ok((
            voltage_parameter("rest_v", self.rest_v)?,
            voltage_parameter("thresh_v", self.thresh_v)?,
        ))
    }

    /// Whether `rest_v` and `thresh_v` convert to the voltage type `dtype`
    /// chosen at run time, as [`voltages`](Self::voltages) does for a type
    /// known at compile time; `bool` and `u8` give [`Error::NoKernel`].
    pub fn check_voltages(&self, dtype: DType) -> Result<()> {
        match dtype {
            DType::F16 => self.voltages::<half::f16>().map(drop),
            DType::BF16 => self.voltages::<half::bf16>().map(drop),
            DType::F32 => self.voltages::<f32>().map(drop),
            DType::F64 => self.voltages::<f64>().map(drop),
            DType::Bool | DType::U8 => Err(Error::NoKernel {
                op: "voltage",
                dtype,
            }),
        }
    }
}

/// A voltage parameter in `T`, rounded as the port defines it: f64
/// exactly; f32 rounded to nearest; f16 and bf16 rounded to nearest even
/// from that f32 (what torch produces, double rounding included). A finite
/// value whose magnitude exceeds `f32::MAX` cannot be converted to f32, f16
/// or bf16 and gives [`Error::VoltageOverflow`], as torch raises for it.
pub(crate) fn voltage_parameter<T: VoltageElement>(name: &'static str, value: f64) -> Result<T> {
    if T::DTYPE == DType::F64 {
        return Ok(T::from_f64(value));
    }
    if value.is_finite() && value.abs() > f64::from(f32::MAX) {
        return Err(Error::VoltageOverflow {
            name,
            value: float_repr(value),
            dtype: T::DTYPE,
        });
    }
    Ok(T::from_f32(value as f32))
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

#[cfg(test)]
mod tests {
    use half::{bf16, f16};

    use super::*;

    #[test]
    fn f32_overflow_is_an_error_but_infinity_is_not() {
        assert!(voltage_parameter::<f32>("thresh_v", 1e39).is_err());
        assert!(voltage_parameter::<f16>("thresh_v", -1e39).is_err());
        assert!(voltage_parameter::<bf16>("rest_v", 3.5e38).is_err());
        assert_eq!(
            voltage_parameter::<f32>("x", f64::INFINITY).unwrap(),
            f32::INFINITY
        );
        assert_eq!(
            voltage_parameter::<f32>("x", f64::from(f32::MAX)).unwrap(),
            f32::MAX
        );
        // f64 keeps everything exactly
        assert_eq!(voltage_parameter::<f64>("x", 1e300).unwrap(), 1e300);
        // beyond f16's range but inside f32's: infinity, as torch does
        assert_eq!(voltage_parameter::<f16>("x", 1e5).unwrap(), f16::INFINITY);
        let err = voltage_parameter::<f32>("thresh_v", 1e39).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'thresh_v' (1e+39) cannot be converted to f32 without overflow"
        );
    }
}
