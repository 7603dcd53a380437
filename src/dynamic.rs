//! The neuron with its element types chosen at run time.
//!
//! The typed methods of [`ExactNeuron`] take the element type as a type
//! parameter. A caller that learns it at run time (the command-line tool
//! from a file, a C caller from an argument) uses the methods here instead:
//! they take a [`DType`] or values that carry one ([`DynInput`]: host values
//! on any device, [`DeviceValues`](crate::cuda::DeviceValues) on CUDA), and
//! hold the one `match` per operation that turns the run-time type into the
//! typed call.

use crate::device::KernelDevice;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::neuron::ExactNeuron;
use crate::values::{HostSlice, HostValues};

/// Inputs whose element type is known at run time, which a device can hand
/// to its kernels as a typed slice.
pub trait DynInput<D: KernelDevice> {
    /// The element type of the values.
    fn dtype(&self) -> DType;

    /// The number of values.
    fn len(&self) -> usize;

    /// Whether there are no values.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs `f` on the values as the device's input slice of `T`, which
    /// must be their type ([`Error::WrongDType`] otherwise).
    fn with_typed<T: Element, R>(
        &self,
        device: &D,
        f: impl FnOnce(&D::Slice<'_, T>) -> R,
    ) -> Result<R>;
}

/// Host values are an input of every device: the CPU reads them in place,
/// a GPU copies them to the device first.
impl<D: KernelDevice> DynInput<D> for HostSlice<'_> {
    fn dtype(&self) -> DType {
        HostSlice::dtype(self)
    }

    fn len(&self) -> usize {
        HostSlice::len(self)
    }

    fn with_typed<T: Element, R>(
        &self,
        device: &D,
        f: impl FnOnce(&D::Slice<'_, T>) -> R,
    ) -> Result<R> {
        device.with_input(self.typed::<T>("values")?, f)
    }
}

impl<D: KernelDevice> ExactNeuron<D> {
    /// [`forward`](Self::forward) on inputs of a run-time element type
    /// (`f16`, `bf16`, `f32` or `f64`; another gives [`Error::NoKernel`]).
    /// Nothing changes on an error found before the kernel runs.
    pub fn forward_dyn(&mut self, inputs: &impl DynInput<D>) -> Result<()> {
        let dtype = inputs.dtype();
        if !matches!(dtype, DType::F16 | DType::BF16 | DType::F32 | DType::F64) {
            return Err(Error::NoKernel {
                op: "threshold",
                dtype,
            });
        }
        crate::device::check_len("inputs", self.len(), inputs.len())?;
        let (device, spikes) = self.spikes_mut();
        match dtype {
            DType::F16 => {
                inputs.with_typed::<half::f16, _>(device, |x| device.threshold(x, spikes))
            }
            DType::BF16 => {
                inputs.with_typed::<half::bf16, _>(device, |x| device.threshold(x, spikes))
            }
            DType::F32 => inputs.with_typed::<f32, _>(device, |x| device.threshold(x, spikes)),
            DType::F64 => inputs.with_typed::<f64, _>(device, |x| device.threshold(x, spikes)),
            DType::Bool | DType::U8 => unreachable!("refused above"),
        }?
    }

    /// [`forward_override`](Self::forward_override) on values of a run-time
    /// element type (any of the six). Nothing changes on an error found
    /// before the kernel runs.
    pub fn forward_override_dyn(&mut self, values: &impl DynInput<D>) -> Result<()> {
        crate::device::check_len("override", self.len(), values.len())?;
        let (device, spikes) = self.spikes_mut();
        match values.dtype() {
            DType::Bool => values.with_typed::<bool, _>(device, |x| device.overrides(x, spikes)),
            DType::U8 => values.with_typed::<u8, _>(device, |x| device.overrides(x, spikes)),
            DType::F16 => {
                values.with_typed::<half::f16, _>(device, |x| device.overrides(x, spikes))
            }
            DType::BF16 => {
                values.with_typed::<half::bf16, _>(device, |x| device.overrides(x, spikes))
            }
            DType::F32 => values.with_typed::<f32, _>(device, |x| device.overrides(x, spikes)),
            DType::F64 => values.with_typed::<f64, _>(device, |x| device.overrides(x, spikes)),
        }?
    }

    /// A host copy of [`voltage`](Self::voltage) in a run-time element type
    /// (`f16`, `bf16`, `f32` or `f64`; another gives [`Error::NoKernel`]).
    pub fn voltage_dyn(&mut self, dtype: DType) -> Result<HostValues> {
        fn host<D: KernelDevice, T: crate::dtype::VoltageElement>(
            neuron: &mut ExactNeuron<D>,
        ) -> Result<HostValues> {
            let (device, buffer) = neuron.voltage_view::<T>()?;
            Ok(HostValues::new(device.to_host(buffer)?))
        }
        match dtype {
            DType::F16 => host::<D, half::f16>(self),
            DType::BF16 => host::<D, half::bf16>(self),
            DType::F32 => host::<D, f32>(self),
            DType::F64 => host::<D, f64>(self),
            DType::Bool | DType::U8 => Err(Error::NoKernel {
                op: "voltage",
                dtype,
            }),
        }
    }

    /// A host copy of [`refrac`](Self::refrac) in a run-time element type
    /// (`f16`, `bf16`, `f32` or `f64`; another gives [`Error::NoKernel`]).
    pub fn refrac_dyn(&mut self, dtype: DType) -> Result<HostValues> {
        fn host<D: KernelDevice, T: crate::dtype::VoltageElement>(
            neuron: &mut ExactNeuron<D>,
        ) -> Result<HostValues> {
            let (device, buffer) = neuron.refrac_view::<T>()?;
            Ok(HostValues::new(device.to_host(buffer)?))
        }
        match dtype {
            DType::F16 => host::<D, half::f16>(self),
            DType::BF16 => host::<D, half::bf16>(self),
            DType::F32 => host::<D, f32>(self),
            DType::F64 => host::<D, f64>(self),
            DType::Bool | DType::U8 => Err(Error::NoKernel {
                op: "voltage",
                dtype,
            }),
        }
    }
}
