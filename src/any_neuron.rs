//! One neuron handle for either backend, the backend chosen at run time.
//!
//! [`AnyNeuron`] is what a caller that picks the device and the element
//! types at run time holds (the command-line tool, a C caller's opaque
//! handle): host values in, host values out, the same calls on the CPU and
//! on CUDA. It adds no behaviour: each method is the run-time-typed method
//! of the [`ExactNeuron`] inside.

use std::fmt;
use std::sync::Arc;

use cudarc::driver::CudaStream;

use crate::cpu::CpuNeuron;
use crate::cuda::{CudaNeuron, DeviceValues};
use crate::dtype::DType;
use crate::dynamic_steps::{SpikeFormat, StepTrace};
use crate::error::{Error, Result};
use crate::kernel::SpikeRule;
use crate::neuron::ExactNeuron;
use crate::params::NeuronParams;
use crate::values::{HostSlice, HostValues};

/// An [`ExactNeuron`] on the CPU or on a CUDA stream.
///
/// ```
/// use exact_neuron::{AnyNeuron, DType, HostSlice, HostValues, NeuronParams};
///
/// let params = NeuronParams::new([4], 1.0, -60.0, -50.0);
/// let mut neuron = AnyNeuron::cpu(&params)?;
/// let inputs = [1.0f32, -1.0, f32::NAN, f32::INFINITY];
/// neuron.forward(HostSlice::new(&inputs[..]))?;
/// assert_eq!(neuron.spikes_to_host()?, [true, false, false, true]);
/// assert_eq!(
///     neuron.voltage(DType::F64)?,
///     HostValues::F64(vec![-50.0, -60.0, -60.0, -50.0])
/// );
/// # Ok::<(), exact_neuron::Error>(())
/// ```
#[derive(Debug)]
// Both variants are a few hundred bytes; a handle is made once and kept, so
// boxing the larger would buy nothing but an indirection on every call.
#[allow(clippy::large_enum_variant)]
pub enum AnyNeuron {
    /// On the CPU.
    Cpu(CpuNeuron),
    /// On a CUDA stream.
    Cuda(CudaNeuron),
}

/// `$body` with `$neuron` bound to the neuron inside, whichever it is.
macro_rules! on_either {
    ($self:expr, $neuron:ident => $body:expr) => {
        match $self {
            AnyNeuron::Cpu($neuron) => $body,
            AnyNeuron::Cuda($neuron) => $body,
        }
    };
}

impl AnyNeuron {
    /// A neuron group on the CPU, all spikes clear.
    pub fn cpu(params: &NeuronParams) -> Result<AnyNeuron> {
        ExactNeuron::cpu(params).map(AnyNeuron::Cpu)
    }

    /// A neuron group on `stream`, all spikes clear.
    pub fn cuda(stream: Arc<CudaStream>, params: &NeuronParams) -> Result<AnyNeuron> {
        ExactNeuron::cuda(stream, params).map(AnyNeuron::Cuda)
    }

    /// `"cpu"` or `"cuda"`.
    pub fn device_name(&self) -> &'static str {
        match self {
            AnyNeuron::Cpu(_) => "cpu",
            AnyNeuron::Cuda(_) => "cuda",
        }
    }

    /// Number of state elements, `batch_size * count`.
    pub fn len(&self) -> usize {
        on_either!(self, n => n.len())
    }

    /// Always false: a neuron group has at least one element.
    pub fn is_empty(&self) -> bool {
        on_either!(self, n => n.is_empty())
    }

    /// Shape of the group (without the batch dimension).
    pub fn shape(&self) -> &[usize] {
        on_either!(self, n => n.shape())
    }

    /// Number of samples simulated at once.
    pub fn batch_size(&self) -> usize {
        on_either!(self, n => n.batch_size())
    }

    /// `[batch_size, *shape]`, the layout of the state and of every view.
    pub fn batched_shape(&self) -> Vec<usize> {
        on_either!(self, n => n.batched_shape())
    }

    /// Length of a simulation step, in ms.
    pub fn dt(&self) -> f64 {
        on_either!(self, n => n.dt())
    }

    /// See [`ExactNeuron::set_dt`].
    pub fn set_dt(&mut self, dt: f64) -> Result<()> {
        on_either!(self, n => n.set_dt(dt))
    }

    /// See [`ExactNeuron::set_batch_size`].
    pub fn set_batch_size(&mut self, batch_size: usize) -> Result<()> {
        on_either!(self, n => n.set_batch_size(batch_size))
    }

    /// Clears every spike.
    pub fn clear(&mut self) -> Result<()> {
        on_either!(self, n => n.clear())
    }

    /// One step in threshold mode on host inputs (`f16`, `bf16`, `f32` or
    /// `f64`): see [`ExactNeuron::forward_dyn`].
    pub fn forward(&mut self, inputs: HostSlice<'_>) -> Result<()> {
        on_either!(self, n => n.forward_dyn(&inputs))
    }

    /// One step with an override of host values (any type): see
    /// [`ExactNeuron::forward_override_dyn`].
    pub fn forward_override(&mut self, values: HostSlice<'_>) -> Result<()> {
        on_either!(self, n => n.forward_override_dyn(&values))
    }

    /// One step in threshold mode on CUDA memory given by address; a CPU
    /// neuron refuses it with [`Error::WrongDevice`].
    pub fn forward_device(&mut self, inputs: &DeviceValues) -> Result<()> {
        match self {
            AnyNeuron::Cuda(n) => n.forward_dyn(inputs),
            AnyNeuron::Cpu(_) => Err(Error::WrongDevice {
                what: "device inputs",
                device: "cpu",
            }),
        }
    }

    /// One step with an override in CUDA memory given by address; a CPU
    /// neuron refuses it with [`Error::WrongDevice`].
    pub fn forward_override_device(&mut self, values: &DeviceValues) -> Result<()> {
        match self {
            AnyNeuron::Cuda(n) => n.forward_override_dyn(values),
            AnyNeuron::Cpu(_) => Err(Error::WrongDevice {
                what: "device override",
                device: "cpu",
            }),
        }
    }

    /// One step by `rule` on host values, the spikes returned as bits: see
    /// [`ExactNeuron::forward_bits_dyn`].
    pub fn forward_bits(&mut self, rule: SpikeRule, inputs: HostSlice<'_>) -> Result<Vec<u32>> {
        on_either!(self, n => n.forward_bits_dyn(rule, &inputs))
    }

    /// One fused step by `rule` on host values that leaves the voltage view
    /// in `voltage` fresh: see [`ExactNeuron::forward_with_voltage_dyn`].
    pub fn forward_with_voltage(
        &mut self,
        rule: SpikeRule,
        inputs: HostSlice<'_>,
        voltage: DType,
    ) -> Result<()> {
        on_either!(self, n => n.forward_with_voltage_dyn(rule, &inputs, voltage))
    }

    /// `T` steps by `rule` in one launch on host values: see
    /// [`ExactNeuron::forward_steps_dyn`].
    pub fn forward_steps(
        &mut self,
        rule: SpikeRule,
        inputs: HostSlice<'_>,
        format: SpikeFormat,
        voltage: Option<DType>,
    ) -> Result<StepTrace> {
        on_either!(self, n => n.forward_steps_dyn(rule, &inputs, format, voltage))
    }

    /// `T` steps by `rule` in one launch on CUDA memory given by address;
    /// a CPU neuron refuses it with [`Error::WrongDevice`].
    pub fn forward_steps_device(
        &mut self,
        rule: SpikeRule,
        inputs: &DeviceValues,
        format: SpikeFormat,
        voltage: Option<DType>,
    ) -> Result<StepTrace> {
        match self {
            AnyNeuron::Cuda(n) => n.forward_steps_dyn(rule, inputs, format, voltage),
            AnyNeuron::Cpu(_) => Err(Error::WrongDevice {
                what: "device inputs",
                device: "cpu",
            }),
        }
    }

    /// A host copy of the spikes as bits: see [`ExactNeuron::spike_bits`].
    pub fn spike_bits(&mut self) -> Result<Vec<u32>> {
        on_either!(self, n => n.spike_bits_to_host())
    }

    /// Loads the spike state from bits: see
    /// [`ExactNeuron::load_spike_bits`].
    pub fn load_spike_bits(&mut self, words: &[u32]) -> Result<()> {
        on_either!(self, n => n.load_spike_bits(words))
    }

    /// A host copy of the voltage in `dtype`: see
    /// [`ExactNeuron::voltage_dyn`].
    pub fn voltage(&mut self, dtype: DType) -> Result<HostValues> {
        on_either!(self, n => n.voltage_dyn(dtype))
    }

    /// A host copy of the refractory time in `dtype`: see
    /// [`ExactNeuron::refrac_dyn`].
    pub fn refrac(&mut self, dtype: DType) -> Result<HostValues> {
        on_either!(self, n => n.refrac_dyn(dtype))
    }

    /// Copies the spikes to the host as bools.
    pub fn spikes_to_host(&self) -> Result<Vec<bool>> {
        on_either!(self, n => n.spikes_to_host())
    }

    /// Copies the spikes into `dst` (exactly [`len`](Self::len) bytes).
    pub fn read_spike_bytes(&self, dst: &mut [u8]) -> Result<()> {
        on_either!(self, n => n.read_spike_bytes(dst))
    }

    /// Loads the spike state from the host.
    pub fn load_spikes(&mut self, spikes: &[bool]) -> Result<()> {
        on_either!(self, n => n.load_spikes(spikes))
    }

    /// Loads the spike state from host bytes: a nonzero byte is a spike.
    pub fn load_spike_bytes(&mut self, spikes: &[u8]) -> Result<()> {
        on_either!(self, n => n.load_spike_bytes(spikes))
    }
}

impl fmt::Display for AnyNeuron {
    /// inferno's repr, as [`ExactNeuron`]'s.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        on_either!(self, n => fmt::Display::fmt(n, f))
    }
}

impl From<CpuNeuron> for AnyNeuron {
    fn from(neuron: CpuNeuron) -> AnyNeuron {
        AnyNeuron::Cpu(neuron)
    }
}

impl From<CudaNeuron> for AnyNeuron {
    fn from(neuron: CudaNeuron) -> AnyNeuron {
        AnyNeuron::Cuda(neuron)
    }
}

#[cfg(test)]
mod tests {
    use half::bf16;

    use super::*;

    #[test]
    fn a_cpu_handle_steps_like_the_typed_neuron() {
        let params = NeuronParams::new([3], 1.0, -60.0, -50.0).with_batch_size(2);
        let mut typed = CpuNeuron::cpu(&params).unwrap();
        let mut any = AnyNeuron::cpu(&params).unwrap();
        assert_eq!(any.device_name(), "cpu");
        assert_eq!(any.to_string(), typed.to_string());
        assert_eq!(any.batched_shape(), [2, 3]);
        let inputs: Vec<bf16> = [1.0f32, -1.0, 0.0, -0.0, f32::INFINITY, f32::NAN]
            .iter()
            .map(|&x| bf16::from_f32(x))
            .collect();
        typed.forward::<bf16>(&inputs).unwrap();
        any.forward(HostSlice::new(&inputs[..])).unwrap();
        assert_eq!(
            any.spikes_to_host().unwrap(),
            typed.spikes_to_host().unwrap()
        );
        assert_eq!(
            any.voltage(DType::BF16).unwrap(),
            HostValues::new(typed.voltage::<bf16>().unwrap().clone())
        );
        // a refused step changes nothing
        let short = [1u8; 5];
        assert!(any.forward_override(HostSlice::new(&short[..])).is_err());
        assert_eq!(
            any.spikes_to_host().unwrap(),
            typed.spikes_to_host().unwrap()
        );
        any.forward_override(HostSlice::new(&[0u8, 0, 0, 0, 0, 7][..]))
            .unwrap();
        assert_eq!(
            any.spikes_to_host().unwrap(),
            [false, false, false, false, false, true]
        );
    }
}
