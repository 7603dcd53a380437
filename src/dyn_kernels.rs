//! The kernel calls of every device with element types chosen at run time.
//!
//! [`KernelDevice`]'s operations take their element types as type
//! parameters. [`DynKernels`], which every device has, takes them from the
//! values instead: inputs of a run-time type ([`DynInput`]: host values,
//! an [`AnyBuffer`], CUDA memory by address) and voltage outputs in an
//! [`AnyBuffer`]. Each call first looks its (operation, element type) up in
//! the entry table, so that a type with no kernel is [`Error::NoKernel`] on
//! every device (the CPU included), then holds the one `match` that turns
//! the run-time types into the typed call. Voltages are given as `f64` and
//! rounded to the output's type by [`VoltageElement::from_f64`].

use crate::any_buffer::AnyBuffer;
use crate::device::{KernelDevice, StepVoltage};
use crate::dtype::{DType, VoltageElement};
use crate::dynamic::DynInput;
use crate::error::{Error, Result};
use crate::kernel::{Op, SpikeRule};
use crate::launch::kernel_for;

/// `$body` with the type alias `$t` naming the float type `$dtype`
/// (threshold inputs, voltages); another type is [`Error::NoKernel`] for
/// `$op`.
macro_rules! with_float {
    ($dtype:expr, $op:expr, $t:ident => $body:expr) => {
        match $dtype {
            DType::F16 => {
                type $t = half::f16;
                $body
            }
            DType::BF16 => {
                type $t = half::bf16;
                $body
            }
            DType::F32 => {
                type $t = f32;
                $body
            }
            DType::F64 => {
                type $t = f64;
                $body
            }
            dtype => Err(Error::NoKernel { op: $op, dtype }),
        }
    };
}

/// As [`with_float!`], over all six types (override values).
macro_rules! with_any {
    ($dtype:expr, $op:expr, $t:ident => $body:expr) => {
        match $dtype {
            DType::Bool => {
                type $t = bool;
                $body
            }
            DType::U8 => {
                type $t = u8;
                $body
            }
            dtype => with_float!(dtype, $op, $t => $body),
        }
    };
}

pub(crate) use with_float;

/// `Ok` when the table has an entry for `op` on `dtype`, else
/// [`Error::NoKernel`].
fn check_entry(op: Op, dtype: DType) -> Result<()> {
    kernel_for(op, dtype).map(|_| ())
}

/// A run-time-typed voltage output as the typed one.
fn typed_voltage<'a, D: KernelDevice, V: VoltageElement>(
    voltage: Option<StepVoltage<'a, AnyBuffer<D>, f64>>,
) -> Result<Option<StepVoltage<'a, D::Buffer<V>, V>>> {
    voltage
        .map(|StepVoltage { out, rest, thresh }| {
            Ok(StepVoltage {
                out: out.typed_mut::<V>("voltage buffer")?,
                rest: V::from_f64(rest),
                thresh: V::from_f64(thresh),
            })
        })
        .transpose()
}

/// The operations of [`KernelDevice`] on values of run-time element types.
///
/// ```
/// use exact_neuron::any_buffer::AnyBuffer;
/// use exact_neuron::dyn_kernels::DynKernels;
/// use exact_neuron::{Cpu, DType, Error, HostSlice};
///
/// let mut spikes = vec![9u8; 3];
/// Cpu.threshold_dyn(&HostSlice::new(&[1.0f64, -1.0, 0.5]), &mut spikes)?;
/// assert_eq!(spikes, [1, 0, 1]);
/// let mut out = AnyBuffer::zeroed(&Cpu, DType::F16, 3)?;
/// Cpu.voltage_dyn(&spikes, -60.0, -50.0, &mut out)?;
/// assert_eq!(out.to_host(&Cpu)?.typed::<half::f16>("v")?[0].to_f64(), -50.0);
/// // u8 inputs have no threshold entry
/// let err = Cpu.threshold_dyn(&HostSlice::new(&[1u8, 0, 1]), &mut spikes).unwrap_err();
/// assert!(matches!(err, Error::NoKernel { dtype: DType::U8, .. }));
/// # Ok::<(), exact_neuron::Error>(())
/// ```
pub trait DynKernels: KernelDevice + Sized {
    /// [`threshold`](KernelDevice::threshold) on inputs of their run-time
    /// type.
    fn threshold_dyn(
        &self,
        inputs: &impl DynInput<Self>,
        spikes: &mut Self::Buffer<u8>,
    ) -> Result<()> {
        let dtype = inputs.dtype();
        check_entry(Op::Threshold, dtype)?;
        with_float!(dtype, "threshold", T => {
            inputs.with_typed::<T, _>(self, |x| self.threshold(x, spikes))?
        })
    }

    /// [`overrides`](KernelDevice::overrides) on values of their run-time
    /// type.
    fn overrides_dyn(
        &self,
        values: &impl DynInput<Self>,
        spikes: &mut Self::Buffer<u8>,
    ) -> Result<()> {
        let dtype = values.dtype();
        check_entry(Op::Override, dtype)?;
        with_any!(dtype, "override", T => {
            values.with_typed::<T, _>(self, |x| self.overrides(x, spikes))?
        })
    }

    /// [`voltage`](KernelDevice::voltage) into a buffer of its run-time
    /// type.
    fn voltage_dyn(
        &self,
        spikes: &Self::Buffer<u8>,
        rest: f64,
        thresh: f64,
        out: &mut AnyBuffer<Self>,
    ) -> Result<()> {
        let dtype = out.dtype();
        check_entry(Op::Voltage, dtype)?;
        with_float!(dtype, "voltage", T => {
            let out = out.typed_mut::<T>("voltage buffer")?;
            self.voltage(spikes, T::from_f64(rest), T::from_f64(thresh), out)
        })
    }

    /// [`threshold_bits`](KernelDevice::threshold_bits) on inputs of their
    /// run-time type.
    fn threshold_bits_dyn(
        &self,
        inputs: &impl DynInput<Self>,
        rows: usize,
        count: usize,
        words: &mut Self::Words,
    ) -> Result<()> {
        let dtype = inputs.dtype();
        check_entry(Op::ThresholdBits, dtype)?;
        with_float!(dtype, "threshold_bits", T => {
            inputs.with_typed::<T, _>(self, |x| self.threshold_bits(x, rows, count, words))?
        })
    }

    /// [`overrides_bits`](KernelDevice::overrides_bits) on values of their
    /// run-time type.
    fn overrides_bits_dyn(
        &self,
        values: &impl DynInput<Self>,
        rows: usize,
        count: usize,
        words: &mut Self::Words,
    ) -> Result<()> {
        let dtype = values.dtype();
        check_entry(SpikeRule::Override.bits_op(dtype), dtype)?;
        with_any!(dtype, "override_bits", T => {
            values.with_typed::<T, _>(self, |x| self.overrides_bits(x, rows, count, words))?
        })
    }

    /// [`voltage_bits`](KernelDevice::voltage_bits) into a buffer of its
    /// run-time type.
    fn voltage_bits_dyn(
        &self,
        words: &Self::Words,
        rows: usize,
        count: usize,
        rest: f64,
        thresh: f64,
        out: &mut AnyBuffer<Self>,
    ) -> Result<()> {
        let dtype = out.dtype();
        check_entry(Op::VoltageBits, dtype)?;
        with_float!(dtype, "voltage_bits", T => {
            let out = out.typed_mut::<T>("voltage buffer")?;
            self.voltage_bits(words, rows, count, T::from_f64(rest), T::from_f64(thresh), out)
        })
    }

    /// [`step`](KernelDevice::step) or
    /// [`step_override`](KernelDevice::step_override) by `rule`, on inputs
    /// of their run-time type, the voltage (if asked) into a buffer of its
    /// run-time type.
    fn step_dyn(
        &self,
        rule: SpikeRule,
        inputs: &impl DynInput<Self>,
        spikes: &mut Self::Buffer<u8>,
        voltage: Option<StepVoltage<'_, AnyBuffer<Self>, f64>>,
        state: Option<&mut Self::Buffer<u8>>,
    ) -> Result<()> {
        check_entry(rule.step_op(), inputs.dtype())?;
        // Without a voltage output the kernel takes no voltage type; f32
        // stands in for the typed call.
        let vtype = voltage.as_ref().map_or(DType::F32, |v| v.out.dtype());
        check_entry(Op::Voltage, vtype)?;
        with_float!(vtype, "voltage", V => {
            let voltage = typed_voltage::<Self, V>(voltage)?;
            self.step_dyn_typed::<V>(rule, inputs, spikes, voltage, state)
        })
    }

    /// As [`step_dyn`](Self::step_dyn) with the voltage output typed (a
    /// neuron's own view buffer).
    fn step_dyn_typed<V: VoltageElement>(
        &self,
        rule: SpikeRule,
        inputs: &impl DynInput<Self>,
        spikes: &mut Self::Buffer<u8>,
        voltage: Option<StepVoltage<'_, Self::Buffer<V>, V>>,
        state: Option<&mut Self::Buffer<u8>>,
    ) -> Result<()> {
        let dtype = inputs.dtype();
        check_entry(rule.step_op(), dtype)?;
        match rule {
            SpikeRule::Threshold => with_float!(dtype, "step", T => {
                inputs.with_typed::<T, _>(self, |x| self.step::<T, V>(x, spikes, voltage, state))?
            }),
            SpikeRule::Override => with_any!(dtype, "step_override", T => {
                inputs.with_typed::<T, _>(self, |x| {
                    self.step_override::<T, V>(x, spikes, voltage, state)
                })?
            }),
        }
    }

    /// [`step_bits`](KernelDevice::step_bits) or
    /// [`step_bits_override`](KernelDevice::step_bits_override) by `rule`,
    /// as [`step_dyn`](Self::step_dyn).
    #[allow(clippy::too_many_arguments)]
    fn step_bits_dyn(
        &self,
        rule: SpikeRule,
        inputs: &impl DynInput<Self>,
        rows: usize,
        count: usize,
        words: &mut Self::Words,
        voltage: Option<StepVoltage<'_, AnyBuffer<Self>, f64>>,
        state: Option<&mut Self::Words>,
    ) -> Result<()> {
        check_entry(rule.step_bits_op(), inputs.dtype())?;
        let vtype = voltage.as_ref().map_or(DType::F32, |v| v.out.dtype());
        check_entry(Op::Voltage, vtype)?;
        with_float!(vtype, "voltage", V => {
            let voltage = typed_voltage::<Self, V>(voltage)?;
            self.step_bits_dyn_typed::<V>(rule, inputs, rows, count, words, voltage, state)
        })
    }

    /// As [`step_bits_dyn`](Self::step_bits_dyn) with the voltage output
    /// typed.
    #[allow(clippy::too_many_arguments)]
    fn step_bits_dyn_typed<V: VoltageElement>(
        &self,
        rule: SpikeRule,
        inputs: &impl DynInput<Self>,
        rows: usize,
        count: usize,
        words: &mut Self::Words,
        voltage: Option<StepVoltage<'_, Self::Buffer<V>, V>>,
        state: Option<&mut Self::Words>,
    ) -> Result<()> {
        let dtype = inputs.dtype();
        check_entry(rule.step_bits_op(), dtype)?;
        match rule {
            SpikeRule::Threshold => with_float!(dtype, "step_bits", T => {
                inputs.with_typed::<T, _>(self, |x| {
                    self.step_bits::<T, V>(x, rows, count, words, voltage, state)
                })?
            }),
            SpikeRule::Override => with_any!(dtype, "step_bits_override", T => {
                inputs.with_typed::<T, _>(self, |x| {
                    self.step_bits_override::<T, V>(x, rows, count, words, voltage, state)
                })?
            }),
        }
    }

    /// Spike bytes by `rule`: [`threshold_dyn`](Self::threshold_dyn) or
    /// [`overrides_dyn`](Self::overrides_dyn).
    fn spikes_dyn(
        &self,
        rule: SpikeRule,
        inputs: &impl DynInput<Self>,
        spikes: &mut Self::Buffer<u8>,
    ) -> Result<()> {
        match rule {
            SpikeRule::Threshold => self.threshold_dyn(inputs, spikes),
            SpikeRule::Override => self.overrides_dyn(inputs, spikes),
        }
    }

    /// Spikes into bits by `rule`:
    /// [`threshold_bits_dyn`](Self::threshold_bits_dyn) or
    /// [`overrides_bits_dyn`](Self::overrides_bits_dyn).
    fn spike_bits_dyn(
        &self,
        rule: SpikeRule,
        inputs: &impl DynInput<Self>,
        rows: usize,
        count: usize,
        words: &mut Self::Words,
    ) -> Result<()> {
        match rule {
            SpikeRule::Threshold => self.threshold_bits_dyn(inputs, rows, count, words),
            SpikeRule::Override => self.overrides_bits_dyn(inputs, rows, count, words),
        }
    }
}

/// Every device has the run-time-typed calls.
impl<D: KernelDevice> DynKernels for D {}
