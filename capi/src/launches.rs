//! Stateless launches on raw device pointers, for a simulator that owns
//! every buffer: one kernel each, queued on the caller's stream, nothing
//! allocated and nothing waited for (so each can be captured into a CUDA
//! graph).
//!
//! The forms on spike bits and the fused step are in `launches_bits.rs`,
//! built the same way: check the type and every pointer, build the plan,
//! launch it on [`device_on`]'s device.

use std::ffi::{c_int, c_void};

use exact_neuron::half::{bf16, f16};
use exact_neuron::kernel::Op;
use exact_neuron::launch::{kernel_for, LaunchPlan};
use exact_neuron::{Cuda, DType, NeuronParams, VoltageElement};

use crate::cuda_device::device_on;
use crate::device_memory::device_buffer;
use crate::dtype::{dtype_of, en_dtype_code};
use crate::entry::{entry, Failure, Outcome};
use crate::host_memory::byte_len;
use crate::status::en_status;

/// `EN_ERR_LENGTH_MISMATCH` for an empty launch (a zero length is almost
/// always a caller's slip, and would launch nothing silently).
pub(crate) fn check_nonzero(len: usize) -> Outcome {
    if len == 0 {
        Err(Failure::new(
            en_status::EN_ERR_LENGTH_MISMATCH,
            "len is 0: a launch needs at least one element",
        ))
    } else {
        Ok(())
    }
}

/// Threshold or override: `spikes[i] = test(values[i])` for `i < len`.
///
/// # Safety
/// As the two entries that call it.
unsafe fn spike_launch(
    device: c_int,
    stream: *mut c_void,
    code: en_dtype_code,
    values: *const c_void,
    spikes: *mut u8,
    len: usize,
    threshold: bool,
) -> Outcome {
    let dtype = dtype_of(code)?;
    let what = if threshold { "inputs" } else { "override" };
    if values.is_null() {
        return Err(Failure::null(what));
    }
    if spikes.is_null() {
        return Err(Failure::null("spikes"));
    }
    check_nonzero(len)?;
    let value_bytes = byte_len(what, dtype, len)?;
    // Refuse a type without a kernel before touching the device.
    kernel_for(
        if threshold {
            Op::Threshold
        } else {
            Op::Override
        },
        dtype,
    )?;
    // SAFETY: `stream` is a live stream of the device or a special handle
    // (the contract of the entries).
    let cuda = unsafe { device_on(device, stream) }?;
    let context = cuda.stream().context().clone();
    // `device_on` made the context current on this thread.
    let input = device_buffer(what, &context, values, value_bytes, dtype.size())?;
    let output = device_buffer("spikes", &context, spikes.cast_const().cast(), len, 1)?;
    let limits = cuda.grid_limits();
    let plan = if threshold {
        LaunchPlan::threshold_dyn(dtype, len, output, input, limits)
    } else {
        LaunchPlan::overrides_dyn(dtype, len, output, input, limits)
    }?;
    // SAFETY: both addresses are device memory of the stream's context
    // with room for `len` elements of their types, as far as the driver
    // can tell (checked above) and by the entries' contract, which also
    // keeps them live and unraced until the kernel has run on the stream.
    unsafe { cuda.launch(&plan) }?;
    Ok(())
}

/// Queues threshold mode on raw device pointers: `spikes[i] = inputs[i] > 0`
/// for `i < len`, `inputs` in `dtype` (`EN_F16`, `EN_BF16`, `EN_F32`,
/// `EN_F64`). `device` and `stream` are as for `en_neuron_new_cuda`. Every
/// pointer is checked with the driver (its context, and that its
/// allocation holds the values) where the driver can tell. Queued, not
/// waited for; allocates nothing after the first call on a stream (which
/// loads the kernels once).
///
/// # Safety
/// `inputs` and `spikes` are NULL or device memory holding `len` values,
/// live and not used by anything that races with the kernel until it has
/// run on `stream`; `stream` as for `en_neuron_new_cuda`.
#[no_mangle]
pub unsafe extern "C" fn en_launch_threshold(
    device: c_int,
    stream: *mut c_void,
    dtype: en_dtype_code,
    inputs: *const c_void,
    spikes: *mut u8,
    len: usize,
) -> en_status {
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe { spike_launch(device, stream, dtype, inputs, spikes, len, true) })
}

/// Queues an override on raw device pointers: `spikes[i] = values[i] != 0`
/// for `i < len`, `values` in any of the six types. As
/// `en_launch_threshold` otherwise.
///
/// # Safety
/// As `en_launch_threshold`.
#[no_mangle]
pub unsafe extern "C" fn en_launch_override(
    device: c_int,
    stream: *mut c_void,
    dtype: en_dtype_code,
    values: *const c_void,
    spikes: *mut u8,
    len: usize,
) -> en_status {
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe { spike_launch(device, stream, dtype, values, spikes, len, false) })
}

/// The voltage plan for `T`: `rest_v` and `thresh_v` rounded to `T` as the
/// neuron's view rounds them.
fn voltage_plan<T: VoltageElement>(
    len: usize,
    output: u64,
    spikes: u64,
    rest_v: f64,
    thresh_v: f64,
    cuda: &Cuda,
) -> Outcome<LaunchPlan> {
    let (rest, thresh) = NeuronParams::new([1], 1.0, rest_v, thresh_v).voltages::<T>()?;
    Ok(LaunchPlan::voltage::<T>(
        len,
        output,
        spikes,
        rest,
        thresh,
        cuda.grid_limits(),
    )?)
}

/// Queues the voltage view on raw device pointers: `voltage[i] = spikes[i]
/// ? thresh_v : rest_v` for `i < len`, in `dtype` (`EN_F16`, `EN_BF16`,
/// `EN_F32`, `EN_F64`), the two voltages rounded as the neuron rounds them
/// (`EN_ERR_VOLTAGE_OVERFLOW` for a finite value beyond the float range of
/// f32 in a type narrower than f64). As `en_launch_threshold` otherwise.
///
/// # Safety
/// `spikes` and `voltage` are NULL or device memory holding `len` values,
/// live and not used by anything that races with the kernel until it has
/// run on `stream`; `stream` as for `en_neuron_new_cuda`.
#[no_mangle]
pub unsafe extern "C" fn en_launch_voltage(
    device: c_int,
    stream: *mut c_void,
    dtype: en_dtype_code,
    spikes: *const u8,
    rest_v: f64,
    thresh_v: f64,
    voltage: *mut c_void,
    len: usize,
) -> en_status {
    entry(|| {
        let dtype = dtype_of(dtype)?;
        if spikes.is_null() {
            return Err(Failure::null("spikes"));
        }
        if voltage.is_null() {
            return Err(Failure::null("voltage"));
        }
        check_nonzero(len)?;
        let voltage_bytes = byte_len("voltage", dtype, len)?;
        // Refuse a type without a kernel, or voltages that do not fit it,
        // before touching the device.
        fn rounded<T: VoltageElement>(rest_v: f64, thresh_v: f64) -> Outcome {
            NeuronParams::new([1], 1.0, rest_v, thresh_v).voltages::<T>()?;
            Ok(())
        }
        match dtype {
            DType::F16 => rounded::<f16>(rest_v, thresh_v),
            DType::BF16 => rounded::<bf16>(rest_v, thresh_v),
            DType::F32 => rounded::<f32>(rest_v, thresh_v),
            DType::F64 => rounded::<f64>(rest_v, thresh_v),
            DType::Bool | DType::U8 => Err(exact_neuron::Error::NoKernel {
                op: "voltage",
                dtype,
            }
            .into()),
        }?;
        // SAFETY: `stream` is a live stream of the device or a special
        // handle (this function's contract).
        let cuda = unsafe { device_on(device, stream) }?;
        let context = cuda.stream().context().clone();
        let input = device_buffer("spikes", &context, spikes.cast(), len, 1)?;
        let output = device_buffer(
            "voltage",
            &context,
            voltage.cast_const(),
            voltage_bytes,
            dtype.size(),
        )?;
        let plan = match dtype {
            DType::F16 => voltage_plan::<f16>(len, output, input, rest_v, thresh_v, &cuda),
            DType::BF16 => voltage_plan::<bf16>(len, output, input, rest_v, thresh_v, &cuda),
            DType::F32 => voltage_plan::<f32>(len, output, input, rest_v, thresh_v, &cuda),
            DType::F64 => voltage_plan::<f64>(len, output, input, rest_v, thresh_v, &cuda),
            DType::Bool | DType::U8 => unreachable!("refused above"),
        }?;
        // SAFETY: both addresses are device memory of the stream's context
        // with room for `len` elements of their types, as far as the
        // driver can tell (checked above) and by this function's contract,
        // which also keeps them live and unraced until the kernel has run.
        unsafe { cuda.launch(&plan) }?;
        Ok(())
    })
}
