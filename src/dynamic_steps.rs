//! The bit, fused and multi-step forms of the neuron with the element
//! types chosen at run time (what the command-line tool's
//! `--spikes-out=bits`, `--fused` and `--steps-per-launch` and a C caller
//! use): inputs that carry their type ([`DynInput`]), a [`SpikeRule`], and
//! host copies of what the kernels wrote.

use crate::device::KernelDevice;
use crate::dtype::{DType, VoltageElement};
use crate::dyn_kernels::{with_float, DynKernels};
use crate::dynamic::DynInput;
use crate::error::{Error, Result};
use crate::kernel::SpikeRule;
use crate::neuron::ExactNeuron;
use crate::values::HostValues;

/// How a multi-step call returns its spike trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpikeFormat {
    /// One byte (0 or 1) per neuron and step.
    Bytes,
    /// `ceil(count / 32)` u32 words per batch row and step, GeNN's layout
    /// (see [`ExactNeuron::spike_bits`]).
    Bits,
}

/// A spike trace on the host, in the format asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpikeTrace {
    /// `T * batch_size * count` bytes, each 0 or 1.
    Bytes(Vec<u8>),
    /// `T * batch_size * ceil(count / 32)` words.
    Bits(Vec<u32>),
}

/// What [`ExactNeuron::forward_steps_dyn`] returns.
#[derive(Clone, Debug, PartialEq)]
pub struct StepTrace {
    /// `T`, the number of steps run.
    pub steps: usize,
    /// The spikes of every step, step-major.
    pub spikes: SpikeTrace,
    /// The voltage after every step, if asked for.
    pub voltage: Option<HostValues>,
}

/// `Ok` when `rule` has a kernel for inputs of `dtype` and the voltage
/// type `voltage` has a voltage kernel, else [`Error::NoKernel`] naming
/// `threshold` or `voltage`: checked before anything runs or changes.
fn check_types(rule: SpikeRule, dtype: DType, voltage: DType) -> Result<()> {
    if rule == SpikeRule::Threshold && matches!(dtype, DType::Bool | DType::U8) {
        return Err(Error::NoKernel {
            op: "threshold",
            dtype,
        });
    }
    if matches!(voltage, DType::Bool | DType::U8) {
        return Err(Error::NoKernel {
            op: "voltage",
            dtype: voltage,
        });
    }
    Ok(())
}

impl<D: KernelDevice> ExactNeuron<D> {
    /// One step by `rule` on inputs of a run-time type, the spikes returned
    /// as a host copy of the bits (see
    /// [`forward_bits`](Self::forward_bits)). Nothing changes on an error
    /// found before the kernel runs.
    pub fn forward_bits_dyn(
        &mut self,
        rule: SpikeRule,
        inputs: &impl DynInput<D>,
    ) -> Result<Vec<u32>> {
        check_types(rule, inputs.dtype(), DType::F32)?;
        crate::device::check_len(rule_input(rule), self.len(), inputs.len())?;
        self.step_into_bits(|device, rows, count, words| {
            device.spike_bits_dyn(rule, inputs, rows, count, words)
        })?;
        self.spike_bits_to_host()
    }

    /// One fused step by `rule` on inputs of a run-time type that also
    /// writes the voltage view in `voltage`: a following
    /// [`voltage_dyn`](Self::voltage_dyn) of that type launches nothing.
    pub fn forward_with_voltage_dyn(
        &mut self,
        rule: SpikeRule,
        inputs: &impl DynInput<D>,
        voltage: DType,
    ) -> Result<()> {
        fn run<D: KernelDevice, V: VoltageElement>(
            neuron: &mut ExactNeuron<D>,
            rule: SpikeRule,
            inputs: &impl DynInput<D>,
        ) -> Result<()> {
            crate::device::check_len(rule_input(rule), neuron.len(), inputs.len())?;
            neuron.fused_step::<V>(|device, spikes, voltage| {
                device.step_dyn_typed::<V>(rule, inputs, spikes, Some(voltage), None)
            })?;
            Ok(())
        }
        check_types(rule, inputs.dtype(), voltage)?;
        with_float!(voltage, "voltage", V => run::<D, V>(self, rule, inputs))
    }

    /// `T` steps by `rule` in one launch on inputs of a run-time type
    /// (`T * len()` values, step-major): host copies of the spike trace in
    /// `format` and, if `voltage` names a type, of the voltage trace. The
    /// state afterwards is the last step's. Nothing changes on an error
    /// found before the kernel runs (a length that is not a multiple of
    /// `len()`, a type without a kernel).
    pub fn forward_steps_dyn(
        &mut self,
        rule: SpikeRule,
        inputs: &impl DynInput<D>,
        format: SpikeFormat,
        voltage: Option<DType>,
    ) -> Result<StepTrace> {
        let vtype = voltage.unwrap_or(DType::F32);
        let with_voltage = voltage.is_some();
        check_types(rule, inputs.dtype(), vtype)?;
        with_float!(vtype, "voltage", V => {
            steps_host::<D, V>(self, rule, inputs, format, with_voltage)
        })
    }
}

/// What the inputs of `rule` are called in length errors.
fn rule_input(rule: SpikeRule) -> &'static str {
    match rule {
        SpikeRule::Threshold => "inputs",
        SpikeRule::Override => "override",
    }
}

fn steps_host<D: KernelDevice, V: VoltageElement>(
    neuron: &mut ExactNeuron<D>,
    rule: SpikeRule,
    inputs: &impl DynInput<D>,
    format: SpikeFormat,
    with_voltage: bool,
) -> Result<StepTrace> {
    let total = inputs.len();
    let steps = neuron.steps_in(total, None)?;
    let mut voltage = if with_voltage {
        Some(neuron.device().alloc_zeroed::<V>(total)?)
    } else {
        None
    };
    let spikes = match format {
        SpikeFormat::Bytes => {
            let mut trace = neuron.device().alloc_zeroed::<u8>(total)?;
            neuron.steps_bytes::<V>(
                total,
                &mut trace,
                voltage.as_mut(),
                |device, spikes, volt, state| {
                    device.step_dyn_typed::<V>(rule, inputs, spikes, volt, Some(state))
                },
            )?;
            SpikeTrace::Bytes(neuron.device().to_host(&trace)?)
        }
        SpikeFormat::Bits => {
            let mut words = neuron.device().alloc_words(steps * neuron.bits_len())?;
            neuron.steps_bits::<V>(
                total,
                &mut words,
                voltage.as_mut(),
                |device, rows, count, words, volt, state| {
                    device.step_bits_dyn_typed::<V>(
                        rule,
                        inputs,
                        rows,
                        count,
                        words,
                        volt,
                        Some(state),
                    )
                },
            )?;
            let mut host = vec![0u32; D::words_len(&words)];
            neuron.device().download_words(&words, &mut host)?;
            SpikeTrace::Bits(host)
        }
    };
    let voltage = match voltage {
        Some(buffer) => Some(HostValues::new(neuron.device().to_host(&buffer)?)),
        None => None,
    };
    Ok(StepTrace {
        steps,
        spikes,
        voltage,
    })
}
