//! Stateless launches on raw device pointers, for a simulator that owns
//! every buffer: one kernel each, queued on the caller's stream, nothing
//! allocated and nothing waited for (so each can be captured into a CUDA
//! graph).
//!
//! The forms on spike bits and the fused step are in `launches_bits.rs`,
//! built the same way: check the type and every pointer, then hand the
//! buffers and the plan to [`launch`], the one path to the device, which
//! checks every buffer with the driver first.

use std::ffi::{c_int, c_void};

use exact_neuron::cudarc::driver::CudaContext;
use exact_neuron::half::{bf16, f16};
use exact_neuron::kernel::Op;
use exact_neuron::launch::{kernel_for, LaunchPlan};
use exact_neuron::{DType, NeuronParams, VoltageElement};

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

/// `rest_v` and `thresh_v` in `dtype` as the neuron rounds them, as bit
/// patterns; `EN_ERR_VOLTAGE_OVERFLOW` when one does not fit.
pub(crate) fn voltage_bits(dtype: DType, rest_v: f64, thresh_v: f64) -> Outcome<(u64, u64)> {
    fn bits<T: VoltageElement>(rest_v: f64, thresh_v: f64) -> Outcome<(u64, u64)> {
        let (rest, thresh) = NeuronParams::new([1], 1.0, rest_v, thresh_v).voltages::<T>()?;
        Ok((rest.to_bits_u64(), thresh.to_bits_u64()))
    }
    match dtype {
        DType::F16 => bits::<f16>(rest_v, thresh_v),
        DType::BF16 => bits::<bf16>(rest_v, thresh_v),
        DType::F32 => bits::<f32>(rest_v, thresh_v),
        DType::F64 => bits::<f64>(rest_v, thresh_v),
        DType::Bool | DType::U8 => Err(exact_neuron::Error::NoKernel {
            op: "voltage",
            dtype,
        }
        .into()),
    }
}

/// `what` is not NULL.
pub(crate) fn given<T>(what: &str, ptr: *const T) -> Outcome {
    if ptr.is_null() {
        Err(Failure::null(what))
    } else {
        Ok(())
    }
}

/// A checked buffer: its name, address, bytes and alignment.
pub(crate) type Buffer = (&'static str, *const c_void, usize, usize);

/// Builds the plan on the device of `device` and `stream`, after checking
/// every buffer with the driver, and queues it.
///
/// # Safety
/// `stream` is as for `en_neuron_new_cuda`; each buffer holds its bytes in
/// device memory, live and unraced until the kernel has run; `plan` reads
/// and writes no more than the buffers hold.
pub(crate) unsafe fn launch(
    device: c_int,
    stream: *mut c_void,
    buffers: &[Buffer],
    plan: impl FnOnce(&[u64], exact_neuron::launch::GridLimits) -> exact_neuron::Result<LaunchPlan>,
) -> Outcome {
    // SAFETY: passed on from this function's contract.
    let cuda = unsafe { device_on(device, stream) }?;
    let context: std::sync::Arc<CudaContext> = cuda.stream().context().clone();
    // `device_on` made the context current on this thread.
    let mut addrs = [0u64; 4];
    for (slot, &(what, ptr, bytes, alignment)) in addrs.iter_mut().zip(buffers) {
        *slot = device_buffer(what, &context, ptr, bytes, alignment)?;
    }
    let plan = plan(&addrs[..buffers.len()], cuda.grid_limits())?;
    // SAFETY: every address is device memory of the stream's context with
    // room for what the plan touches, as far as the driver can tell
    // (checked above) and by this function's contract, which also keeps
    // them live and unraced until the kernel has run.
    unsafe { cuda.launch(&plan) }?;
    Ok(())
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
    given(what, values)?;
    given("spikes", spikes)?;
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
    let buffers = [
        (what, values, value_bytes, dtype.size()),
        ("spikes", spikes.cast_const().cast(), len, 1),
    ];
    // SAFETY: passed on from the entries' contract.
    unsafe {
        launch(device, stream, &buffers, |a, limits| {
            if threshold {
                LaunchPlan::threshold_dyn(dtype, len, a[1], a[0], limits)
            } else {
                LaunchPlan::overrides_dyn(dtype, len, a[1], a[0], limits)
            }
        })
    }
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
        given("spikes", spikes)?;
        given("voltage", voltage)?;
        check_nonzero(len)?;
        let voltage_bytes = byte_len("voltage", dtype, len)?;
        // Refuse a type without a kernel, or voltages that do not fit it,
        // before touching the device.
        let (rest, thresh) = voltage_bits(dtype, rest_v, thresh_v)?;
        let buffers = [
            ("spikes", spikes.cast(), len, 1),
            ("voltage", voltage.cast_const(), voltage_bytes, dtype.size()),
        ];
        // SAFETY: passed on from this function's contract.
        unsafe {
            launch(device, stream, &buffers, |a, limits| {
                LaunchPlan::voltage_dyn(dtype, len, a[1], a[0], rest, thresh, limits)
            })
        }
    })
}
