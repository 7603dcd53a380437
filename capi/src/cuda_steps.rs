//! The bit and multi-step calls of a CUDA neuron on caller device memory,
//! with the element types chosen at run time.
//!
//! The library's run-time-typed forms of these calls return host copies
//! (which wait for the GPU); a C simulator wants them queued on its stream
//! with the results left in its own device buffers. So the types are
//! matched here and the typed calls of [`CudaNeuron`] made directly, on
//! views of the caller's addresses.

use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use exact_neuron::cuda::DeviceValues;
use exact_neuron::cudarc::driver::{CudaSlice, CudaStream};
use exact_neuron::half::{bf16, f16};
use exact_neuron::{CudaNeuron, DType, Element, Error, SpikeFormat, SpikeRule, VoltageElement};

/// Caller device memory as the `CudaSlice` the typed calls write to. It is
/// never freed here: dropping it forgets the address.
struct Borrowed<T>(ManuallyDrop<CudaSlice<T>>);

impl<T> Borrowed<T> {
    /// `len` values of `T` at `addr` on `stream`'s context.
    ///
    /// # Safety
    /// `addr` holds `len` values of `T` in device memory of `stream`'s
    /// context, live until the work queued with the view has run; the
    /// context's event tracking is off (as every context of the C API).
    unsafe fn new(stream: &Arc<CudaStream>, addr: u64, len: usize) -> Borrowed<T> {
        // SAFETY: as this function's contract; with event tracking off no
        // event is made, and `ManuallyDrop` keeps the slice's drop, which
        // would free the caller's memory, from ever running.
        Borrowed(ManuallyDrop::new(unsafe {
            stream.upgrade_device_ptr(addr, len)
        }))
    }
}

impl<T> Drop for Borrowed<T> {
    fn drop(&mut self) {
        // SAFETY: the slice is taken once, here, and not used afterwards.
        let slice = unsafe { ManuallyDrop::take(&mut self.0) };
        // Gives up the address without freeing it.
        slice.leak();
    }
}

impl<T> Deref for Borrowed<T> {
    type Target = CudaSlice<T>;
    fn deref(&self) -> &CudaSlice<T> {
        &self.0
    }
}

impl<T> DerefMut for Borrowed<T> {
    fn deref_mut(&mut self) -> &mut CudaSlice<T> {
        &mut self.0
    }
}

/// `$threshold` or `$override` with `$t` the input type, by rule and
/// type; [`Error::NoKernel`] for threshold inputs of bool or u8.
macro_rules! by_rule {
    ($rule:expr, $dtype:expr, $t:ident, $threshold:expr, $override:expr) => {
        match ($rule, $dtype) {
            (SpikeRule::Threshold, DType::F16) => {
                type $t = f16;
                $threshold
            }
            (SpikeRule::Threshold, DType::BF16) => {
                type $t = bf16;
                $threshold
            }
            (SpikeRule::Threshold, DType::F32) => {
                type $t = f32;
                $threshold
            }
            (SpikeRule::Threshold, DType::F64) => {
                type $t = f64;
                $threshold
            }
            (SpikeRule::Threshold, dtype @ (DType::Bool | DType::U8)) => Err(Error::NoKernel {
                op: "threshold",
                dtype,
            }),
            (SpikeRule::Override, DType::Bool) => {
                type $t = bool;
                $override
            }
            (SpikeRule::Override, DType::U8) => {
                type $t = u8;
                $override
            }
            (SpikeRule::Override, DType::F16) => {
                type $t = f16;
                $override
            }
            (SpikeRule::Override, DType::BF16) => {
                type $t = bf16;
                $override
            }
            (SpikeRule::Override, DType::F32) => {
                type $t = f32;
                $override
            }
            (SpikeRule::Override, DType::F64) => {
                type $t = f64;
                $override
            }
        }
    };
}

/// `$body` with `$v` the voltage type; [`Error::NoKernel`] for bool, u8.
macro_rules! by_voltage {
    ($dtype:expr, $v:ident, $body:expr) => {
        match $dtype {
            DType::F16 => {
                type $v = f16;
                $body
            }
            DType::BF16 => {
                type $v = bf16;
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

/// One step by `rule` that writes the neuron's bit view (and its byte
/// state from it), queued on the neuron's stream.
pub(crate) fn forward_bits(
    neuron: &mut CudaNeuron,
    rule: SpikeRule,
    values: &DeviceValues,
) -> Result<(), Error> {
    by_rule!(
        rule,
        values.dtype(),
        T,
        neuron.forward_bits::<T>(&values.view::<T>()?).map(drop),
        neuron
            .forward_override_bits::<T>(&values.view::<T>()?)
            .map(drop)
    )
}

/// Where a multi-step call writes: the spike trace (bytes or words) and,
/// if asked, the voltage trace, as caller device addresses whose lengths
/// the caller checked.
pub(crate) struct StepOutputs {
    pub(crate) format: SpikeFormat,
    pub(crate) trace: u64,
    pub(crate) trace_len: usize,
    pub(crate) voltage: Option<(DType, u64)>,
}

/// `T` steps by `rule` in one launch on caller device memory, queued on
/// the neuron's stream; returns `T`.
///
/// # Safety
/// The addresses of `outputs` hold `trace_len` bytes or words and
/// `values.len()` voltages of their type, in device memory of the
/// neuron's context, live and unraced until the launch has run.
pub(crate) unsafe fn forward_steps(
    neuron: &mut CudaNeuron,
    rule: SpikeRule,
    values: &DeviceValues,
    outputs: &StepOutputs,
) -> Result<usize, Error> {
    let vtype = outputs.voltage.map_or(DType::F32, |(dtype, _)| dtype);
    by_voltage!(
        vtype,
        V,
        by_rule!(
            rule,
            values.dtype(),
            T,
            // SAFETY: passed on from this function's contract.
            unsafe {
                steps_into::<T, V>(
                    neuron,
                    values,
                    outputs,
                    |n, x, s, v| n.forward_steps::<T, V>(x, s, v),
                    |n, x, w, v| n.forward_steps_bits::<T, V>(x, w, v),
                )
            },
            // SAFETY: as above.
            unsafe {
                steps_into::<T, V>(
                    neuron,
                    values,
                    outputs,
                    |n, x, s, v| n.forward_override_steps::<T, V>(x, s, v),
                    |n, x, w, v| n.forward_override_steps_bits::<T, V>(x, w, v),
                )
            }
        )
    )
}

/// The outputs as views, then `bytes` or `bits` on them.
///
/// # Safety
/// As [`forward_steps`].
unsafe fn steps_into<T: Element, V: VoltageElement>(
    neuron: &mut CudaNeuron,
    values: &DeviceValues,
    outputs: &StepOutputs,
    bytes: impl Fn(
        &mut CudaNeuron,
        &exact_neuron::cuda::RawView<T>,
        &mut CudaSlice<u8>,
        Option<&mut CudaSlice<V>>,
    ) -> Result<usize, Error>,
    bits: impl Fn(
        &mut CudaNeuron,
        &exact_neuron::cuda::RawView<T>,
        &mut CudaSlice<u32>,
        Option<&mut CudaSlice<V>>,
    ) -> Result<usize, Error>,
) -> Result<usize, Error> {
    let stream = neuron.device().stream().clone();
    let view = values.view::<T>()?;
    // SAFETY: the voltage address holds `values.len()` values of `V` on
    // the neuron's context (this function's contract; `V` is the type the
    // caller named).
    let mut voltage = outputs
        .voltage
        .map(|(_, addr)| unsafe { Borrowed::<V>::new(&stream, addr, values.len()) });
    match outputs.format {
        SpikeFormat::Bytes => {
            // SAFETY: the trace holds `trace_len` bytes (the contract).
            let mut trace =
                unsafe { Borrowed::<u8>::new(&stream, outputs.trace, outputs.trace_len) };
            bytes(neuron, &view, &mut trace, voltage.as_deref_mut())
        }
        SpikeFormat::Bits => {
            // SAFETY: the trace holds `trace_len` words (the contract).
            let mut trace =
                unsafe { Borrowed::<u32>::new(&stream, outputs.trace, outputs.trace_len) };
            bits(neuron, &view, &mut trace, voltage.as_deref_mut())
        }
    }
}
