//! The bit, fused and multi-step forms of the neuron with the element
//! types chosen at run time (what the command-line tool's
//! `--spikes-out=bits`, `--fused` and `--steps-per-launch` and a C caller
//! use): inputs that carry their type ([`DynInput`]), a [`SpikeRule`], and
//! host copies of what the kernels wrote.

use crate::device::{KernelDevice, StepVoltage};
use crate::dtype::{DType, Element, OverrideValue, ThresholdInput, VoltageElement};
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

/// The typed device calls of one spike rule on inputs of `T`, so that one
/// generic body serves threshold and override.
trait StepKernels<D: KernelDevice, T: Element> {
    fn pack(
        device: &D,
        inputs: &D::Slice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut D::Words,
    ) -> Result<()>;

    fn bytes<V: VoltageElement>(
        device: &D,
        inputs: &D::Slice<'_, T>,
        spikes: &mut D::Buffer<u8>,
        voltage: Option<StepVoltage<'_, D::Buffer<V>, V>>,
        state: Option<&mut D::Buffer<u8>>,
    ) -> Result<()>;

    #[allow(clippy::too_many_arguments)]
    fn bits<V: VoltageElement>(
        device: &D,
        inputs: &D::Slice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut D::Words,
        voltage: Option<StepVoltage<'_, D::Buffer<V>, V>>,
        state: Option<&mut D::Words>,
    ) -> Result<()>;
}

/// `spike = input > 0`.
struct ByThreshold;

/// `spike = value != 0`.
struct ByOverride;

impl<D: KernelDevice, T: ThresholdInput> StepKernels<D, T> for ByThreshold {
    fn pack(
        device: &D,
        inputs: &D::Slice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut D::Words,
    ) -> Result<()> {
        device.threshold_bits(inputs, rows, count, words)
    }

    fn bytes<V: VoltageElement>(
        device: &D,
        inputs: &D::Slice<'_, T>,
        spikes: &mut D::Buffer<u8>,
        voltage: Option<StepVoltage<'_, D::Buffer<V>, V>>,
        state: Option<&mut D::Buffer<u8>>,
    ) -> Result<()> {
        device.step::<T, V>(inputs, spikes, voltage, state)
    }

    fn bits<V: VoltageElement>(
        device: &D,
        inputs: &D::Slice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut D::Words,
        voltage: Option<StepVoltage<'_, D::Buffer<V>, V>>,
        state: Option<&mut D::Words>,
    ) -> Result<()> {
        device.step_bits::<T, V>(inputs, rows, count, words, voltage, state)
    }
}

impl<D: KernelDevice, T: OverrideValue> StepKernels<D, T> for ByOverride {
    fn pack(
        device: &D,
        values: &D::Slice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut D::Words,
    ) -> Result<()> {
        device.overrides_bits(values, rows, count, words)
    }

    fn bytes<V: VoltageElement>(
        device: &D,
        values: &D::Slice<'_, T>,
        spikes: &mut D::Buffer<u8>,
        voltage: Option<StepVoltage<'_, D::Buffer<V>, V>>,
        state: Option<&mut D::Buffer<u8>>,
    ) -> Result<()> {
        device.step_override::<T, V>(values, spikes, voltage, state)
    }

    fn bits<V: VoltageElement>(
        device: &D,
        values: &D::Slice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut D::Words,
        voltage: Option<StepVoltage<'_, D::Buffer<V>, V>>,
        state: Option<&mut D::Words>,
    ) -> Result<()> {
        device.step_bits_override::<T, V>(values, rows, count, words, voltage, state)
    }
}

/// `$body` with `$r` the rule's kernels and `$t` the input type, or
/// [`Error::NoKernel`] for a type the rule has no kernel for.
macro_rules! with_input_type {
    ($rule:expr, $dtype:expr, $r:ident, $t:ident => $body:expr) => {
        match ($rule, $dtype) {
            (SpikeRule::Threshold, DType::F16) => {
                type $r = ByThreshold;
                type $t = half::f16;
                $body
            }
            (SpikeRule::Threshold, DType::BF16) => {
                type $r = ByThreshold;
                type $t = half::bf16;
                $body
            }
            (SpikeRule::Threshold, DType::F32) => {
                type $r = ByThreshold;
                type $t = f32;
                $body
            }
            (SpikeRule::Threshold, DType::F64) => {
                type $r = ByThreshold;
                type $t = f64;
                $body
            }
            (SpikeRule::Threshold, dtype @ (DType::Bool | DType::U8)) => Err(Error::NoKernel {
                op: "threshold",
                dtype,
            }),
            (SpikeRule::Override, DType::Bool) => {
                type $r = ByOverride;
                type $t = bool;
                $body
            }
            (SpikeRule::Override, DType::U8) => {
                type $r = ByOverride;
                type $t = u8;
                $body
            }
            (SpikeRule::Override, DType::F16) => {
                type $r = ByOverride;
                type $t = half::f16;
                $body
            }
            (SpikeRule::Override, DType::BF16) => {
                type $r = ByOverride;
                type $t = half::bf16;
                $body
            }
            (SpikeRule::Override, DType::F32) => {
                type $r = ByOverride;
                type $t = f32;
                $body
            }
            (SpikeRule::Override, DType::F64) => {
                type $r = ByOverride;
                type $t = f64;
                $body
            }
        }
    };
}

/// `$body` with `$v` the voltage type, or [`Error::NoKernel`].
macro_rules! with_voltage_type {
    ($dtype:expr, $v:ident => $body:expr) => {
        match $dtype {
            DType::F16 => {
                type $v = half::f16;
                $body
            }
            DType::BF16 => {
                type $v = half::bf16;
                $body
            }
            DType::F32 => {
                type $v = f32;
                $body
            }
            DType::F64 => {
                type $v = f64;
                $body
            }
            dtype @ (DType::Bool | DType::U8) => Err(Error::NoKernel {
                op: "voltage",
                dtype,
            }),
        }
    };
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
        fn run<D: KernelDevice, R: StepKernels<D, T>, T: Element>(
            neuron: &mut ExactNeuron<D>,
            what: &'static str,
            inputs: &impl DynInput<D>,
        ) -> Result<Vec<u32>> {
            crate::device::check_len(what, neuron.len(), inputs.len())?;
            neuron.step_into_bits(|device, rows, count, words| {
                inputs.with_typed::<T, _>(device, |x| R::pack(device, x, rows, count, words))?
            })?;
            neuron.spike_bits_to_host()
        }
        let what = rule_input(rule);
        with_input_type!(rule, inputs.dtype(), R, T => run::<D, R, T>(self, what, inputs))
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
        fn run<D: KernelDevice, R: StepKernels<D, T>, T: Element, V: VoltageElement>(
            neuron: &mut ExactNeuron<D>,
            what: &'static str,
            inputs: &impl DynInput<D>,
        ) -> Result<()> {
            crate::device::check_len(what, neuron.len(), inputs.len())?;
            neuron.fused_step::<V>(|device, spikes, voltage| {
                inputs.with_typed::<T, _>(device, |x| {
                    R::bytes::<V>(device, x, spikes, Some(voltage), None)
                })?
            })?;
            Ok(())
        }
        let what = rule_input(rule);
        with_input_type!(rule, inputs.dtype(), R, T => {
            with_voltage_type!(voltage, V => run::<D, R, T, V>(self, what, inputs))
        })
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
        with_input_type!(rule, inputs.dtype(), R, T => {
            with_voltage_type!(vtype, V => {
                steps_host::<D, R, T, V>(self, inputs, format, with_voltage)
            })
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

fn steps_host<D: KernelDevice, R: StepKernels<D, T>, T: Element, V: VoltageElement>(
    neuron: &mut ExactNeuron<D>,
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
                    inputs.with_typed::<T, _>(device, |x| {
                        R::bytes::<V>(device, x, spikes, volt, Some(state))
                    })?
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
                    inputs.with_typed::<T, _>(device, |x| {
                        R::bits::<V>(device, x, rows, count, words, volt, Some(state))
                    })?
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
