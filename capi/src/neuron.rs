//! The neuron handle: `en_neuron`, on the CPU or on a caller's CUDA stream.

use std::ffi::{c_int, c_void};

use exact_neuron::cuda::DeviceValues;
use exact_neuron::cudarc::driver::DevicePtr;
use exact_neuron::device::check_len;
use exact_neuron::half::{bf16, f16};
use exact_neuron::kernel::Op;
use exact_neuron::launch::kernel_for;
use exact_neuron::{AnyNeuron, DType, Error, NeuronParams, VoltageElement};

use crate::cuda_device;
use crate::device_memory::device_buffer;
use crate::dtype::{dtype_of, en_dtype_code};
use crate::entry::{entry, plain, Failure, Outcome};
use crate::host_memory::{byte_len, host_values};
use crate::status::en_status;

/// A group of exact neurons and its state (opaque to C). Made by
/// `en_neuron_new_cpu` or `en_neuron_new_cuda`, freed by `en_neuron_free`;
/// one thread at a time may use it.
pub struct en_neuron {
    inner: AnyNeuron,
}

impl en_neuron {
    /// The neuron inside.
    pub(crate) fn inner(&self) -> &AnyNeuron {
        &self.inner
    }
}

/// The neuron behind a handle, or `EN_ERR_NULL_POINTER`.
///
/// # Safety
/// `neuron` is NULL or a live handle that no other thread is using.
pub(crate) unsafe fn handle<'a>(neuron: *mut en_neuron) -> Outcome<&'a mut AnyNeuron> {
    // SAFETY: NULL or live and unshared (this function's contract).
    match unsafe { neuron.as_mut() } {
        Some(neuron) => Ok(&mut neuron.inner),
        None => Err(Failure::null("neuron")),
    }
}

/// The construction parameters from C's arguments, validated (inferno's
/// texts on failure) before any device is touched.
///
/// # Safety
/// `shape` is NULL or points to `ndim` readable `size_t`s.
unsafe fn params_of(
    shape: *const usize,
    ndim: usize,
    batch_size: usize,
    step_time: f64,
    rest_v: f64,
    thresh_v: f64,
) -> Outcome<NeuronParams> {
    let dims: &[usize] = if ndim == 0 {
        &[]
    } else if shape.is_null() {
        return Err(Failure::null("shape (with ndim > 0)"));
    } else {
        if ndim > isize::MAX as usize / std::mem::size_of::<usize>() {
            return Err(Failure::new(
                en_status::EN_ERR_TOO_LARGE,
                format!("ndim {ndim} is too large to address"),
            ));
        }
        // SAFETY: `shape` is not NULL and points to `ndim` readable values
        // (this function's contract), whose byte count is addressable
        // (checked above); `usize` is `size_t` on every platform Rust
        // supports with a C ABI.
        unsafe { std::slice::from_raw_parts(shape, ndim) }
    };
    let params =
        NeuronParams::new(dims.to_vec(), step_time, rest_v, thresh_v).with_batch_size(batch_size);
    params.validate()?;
    Ok(params)
}

/// Stores a new handle in `*out`.
///
/// # Safety
/// `out` is a valid place for a pointer.
unsafe fn hand_out(inner: AnyNeuron, out: *mut *mut en_neuron) {
    let handle = Box::into_raw(Box::new(en_neuron { inner }));
    // SAFETY: `out` is a valid place for a pointer (this function's contract).
    unsafe { out.write(handle) };
}

/// Makes a neuron group on the CPU, all spikes clear, and stores its handle
/// in `*out`.
///
/// `shape` holds `ndim` dimensions (NULL is allowed when `ndim` is 0: a
/// single neuron); the state has `batch_size * prod(shape)` elements.
/// `step_time` is in ms, `rest_v` and `thresh_v` in mV. The parameters are
/// checked in inferno's order, and a failure carries inferno's text in
/// `en_last_error()` (`EN_ERR_INVALID_ARGUMENT`). On any failure `*out` is
/// set to NULL (unless `out` itself is NULL: `EN_ERR_NULL_POINTER`).
///
/// # Safety
/// `shape` is NULL or points to `ndim` `size_t`s; `out` is NULL or a valid
/// place for a pointer.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_new_cpu(
    shape: *const usize,
    ndim: usize,
    batch_size: usize,
    step_time: f64,
    rest_v: f64,
    thresh_v: f64,
    out: *mut *mut en_neuron,
) -> en_status {
    entry(|| {
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        // SAFETY: `out` is a valid place for a pointer (the contract).
        unsafe { out.write(std::ptr::null_mut()) };
        // SAFETY: `shape` points to `ndim` values or is NULL (the contract).
        let params = unsafe { params_of(shape, ndim, batch_size, step_time, rest_v, thresh_v) }?;
        let neuron = AnyNeuron::cpu(&params)?;
        // SAFETY: checked not NULL above; valid by the contract.
        unsafe { hand_out(neuron, out) };
        Ok(())
    })
}

/// Makes a neuron group on CUDA device `device` (an ordinal, as
/// `cudaSetDevice` takes it), all spikes clear, and stores its handle in
/// `*out`. The parameters are as for `en_neuron_new_cpu`, and checked
/// first, so their errors are the same on a machine without a GPU.
///
/// The neuron works in the device's primary context (the CUDA runtime's)
/// and queues everything on `stream`, the caller's `CUstream` /
/// `cudaStream_t` (NULL: the legacy default stream; a stream of another
/// context gives `EN_ERR_WRONG_CONTEXT`). Its calls are ordered with the
/// caller's own work on that stream: a step allocates nothing and never
/// waits for the GPU, so it can be captured into a CUDA graph. The state is
/// allocated here (with the stream-ordered allocator where the device has
/// one) and freed by `en_neuron_free`, on the same stream.
///
/// # Safety
/// As `en_neuron_new_cpu`; `stream` is NULL, `cudaStreamLegacy`,
/// `cudaStreamPerThread` or a live stream of the device that outlives the
/// neuron.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_new_cuda(
    device: c_int,
    stream: *mut c_void,
    shape: *const usize,
    ndim: usize,
    batch_size: usize,
    step_time: f64,
    rest_v: f64,
    thresh_v: f64,
    out: *mut *mut en_neuron,
) -> en_status {
    entry(|| {
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        // SAFETY: `out` is a valid place for a pointer (the contract).
        unsafe { out.write(std::ptr::null_mut()) };
        // SAFETY: `shape` points to `ndim` values or is NULL (the contract).
        let params = unsafe { params_of(shape, ndim, batch_size, step_time, rest_v, thresh_v) }?;
        let context = cuda_device::context(device)?;
        // SAFETY: `stream` is a live stream of the device, or a special
        // handle, and outlives the neuron (the contract).
        let stream = unsafe { cuda_device::borrowed_stream(&context, stream) }?;
        let neuron = AnyNeuron::cuda(stream, &params)?;
        // SAFETY: checked not NULL above; valid by the contract.
        unsafe { hand_out(neuron, out) };
        Ok(())
    })
}

/// Frees a neuron and its state. NULL: nothing happens. A CUDA neuron's
/// memory is released in order on its stream, which must still be live;
/// do not free a neuron while its stream is being captured.
///
/// # Safety
/// `neuron` is NULL or a live handle, not used again afterwards.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_free(neuron: *mut en_neuron) {
    if neuron.is_null() {
        return;
    }
    plain((), || {
        // SAFETY: a live handle from `hand_out`'s `Box::into_raw`, freed
        // once (the contract).
        drop(unsafe { Box::from_raw(neuron) });
    });
}

/// The number of state elements, `batch_size * prod(shape)`; 0 for NULL.
///
/// # Safety
/// `neuron` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_len(neuron: *const en_neuron) -> usize {
    plain(0, || {
        // SAFETY: NULL or live (the contract).
        let neuron = unsafe { neuron.as_ref() };
        neuron.map_or(0, |n| n.inner.len())
    })
}

/// The number of samples simulated at once; 0 for NULL.
///
/// # Safety
/// `neuron` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_batch_size(neuron: *const en_neuron) -> usize {
    plain(0, || {
        // SAFETY: NULL or live (the contract).
        let neuron = unsafe { neuron.as_ref() };
        neuron.map_or(0, |n| n.inner.batch_size())
    })
}

/// 1 for a CUDA neuron (which takes and gives device pointers), 0 for a CPU
/// neuron or NULL.
///
/// # Safety
/// `neuron` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_is_cuda(neuron: *const en_neuron) -> c_int {
    plain(0, || {
        // SAFETY: NULL or live (the contract).
        let neuron = unsafe { neuron.as_ref() };
        neuron.map_or(0, |n| c_int::from(matches!(n.inner, AnyNeuron::Cuda(_))))
    })
}

/// The values of a step, checked: on the host for a CPU neuron, on the
/// device (in the neuron's context, the whole span allocated) for a CUDA
/// one. Runs `step` on them.
///
/// # Safety
/// `values` is NULL or points to `len` values of `dtype` on the neuron's
/// side (host or device), unwritten until the step has run.
unsafe fn step(
    neuron: *mut en_neuron,
    what: &'static str,
    code: en_dtype_code,
    values: *const c_void,
    len: usize,
    threshold: bool,
) -> Outcome {
    // SAFETY: NULL or live and unshared (the contract of every entry).
    let neuron = unsafe { handle(neuron) }?;
    let dtype = dtype_of(code)?;
    // A type the operation has no kernel for is the first thing wrong with
    // the call, whatever its values hold.
    kernel_for(
        if threshold {
            Op::Threshold
        } else {
            Op::Override
        },
        dtype,
    )?;
    if values.is_null() {
        return Err(Failure::null(what));
    }
    check_len(what, neuron.len(), len)?;
    match neuron {
        AnyNeuron::Cpu(_) => {
            // SAFETY: `len` host values of `dtype` at `values` (the contract).
            let host = unsafe { host_values(what, dtype, values, len) }?;
            if threshold {
                neuron.forward(host)?;
            } else {
                neuron.forward_override(host)?;
            }
        }
        AnyNeuron::Cuda(cuda) => {
            let stream = cuda.device().stream().clone();
            stream.context().bind_to_thread().map_err(Error::from)?;
            let bytes = byte_len(what, dtype, len)?;
            let addr = device_buffer(what, stream.context(), values, bytes, dtype.size())?;
            // SAFETY: `len` values of `dtype` at `addr`, in the stream's
            // context (checked by the driver where it can tell, and the
            // contract), unwritten until the step has run on the stream.
            let device = unsafe { DeviceValues::new(stream, dtype, addr, len) };
            if threshold {
                neuron.forward_device(&device)?;
            } else {
                neuron.forward_override_device(&device)?;
            }
        }
    }
    Ok(())
}

/// One step in threshold mode: `spike[i] = inputs[i] > 0` (NaN, ±0 and
/// -inf give 0). `dtype` is `EN_F16`, `EN_BF16`, `EN_F32` or `EN_F64`
/// (`EN_ERR_NO_KERNEL` for the others); `len` must be `en_neuron_len`.
/// `inputs` is host memory for a CPU neuron, device memory for a CUDA one
/// (queued on its stream, not waited for). On failure nothing changes.
///
/// # Safety
/// `neuron` is NULL or a live handle; `inputs` is NULL or points to `len`
/// values of `dtype` that nothing writes until the step has run.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_forward(
    neuron: *mut en_neuron,
    dtype: en_dtype_code,
    inputs: *const c_void,
    len: usize,
) -> en_status {
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe { step(neuron, "inputs", dtype, inputs, len, true) })
}

/// One step with an override: `spike[i] = values[i] != 0` (NaN gives 1,
/// -0.0 gives 0). Any of the six types; `EN_BOOL` bytes must be 0 or 1
/// (`EN_ERR_BAD_VALUES`, checked on the CPU only). Otherwise as
/// `en_neuron_forward`.
///
/// # Safety
/// As `en_neuron_forward`.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_forward_override(
    neuron: *mut en_neuron,
    dtype: en_dtype_code,
    values: *const c_void,
    len: usize,
) -> en_status {
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe { step(neuron, "override", dtype, values, len, false) })
}

/// Stores in `*spikes` the address of the state: `en_neuron_len` bytes,
/// each 0 or 1, in host memory for a CPU neuron and in device memory for a
/// CUDA one (whose last step may still be queued: read it on the stream).
/// The address stays valid until `en_neuron_set_batch_size` or
/// `en_neuron_free`; the bytes change with every step.
///
/// # Safety
/// `neuron` is NULL or a live handle; `spikes` is NULL or a valid place for
/// a pointer. The bytes are the library's: read them, never write them.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_spikes(
    neuron: *mut en_neuron,
    spikes: *mut *const u8,
) -> en_status {
    entry(|| {
        // SAFETY: NULL or live and unshared (the contract).
        let neuron = unsafe { handle(neuron) }?;
        if spikes.is_null() {
            return Err(Failure::null("spikes"));
        }
        let addr = match neuron {
            AnyNeuron::Cpu(cpu) => cpu.spike().as_ptr(),
            AnyNeuron::Cuda(cuda) => {
                let stream = cuda.device().stream().clone();
                // The guard records nothing: event tracking is off.
                let (addr, _guard) = cuda.spike().device_ptr(&stream);
                addr as usize as *const u8
            }
        };
        // SAFETY: `spikes` is a valid place for a pointer (the contract).
        unsafe { spikes.write(addr) };
        Ok(())
    })
}

/// The voltage view's address on the neuron's side.
pub(crate) fn voltage_addr<T: VoltageElement>(
    neuron: &mut AnyNeuron,
) -> Result<*const c_void, Error> {
    Ok(match neuron {
        AnyNeuron::Cpu(cpu) => cpu.voltage::<T>()?.as_ptr().cast(),
        AnyNeuron::Cuda(cuda) => {
            let stream = cuda.device().stream().clone();
            let view = cuda.voltage::<T>()?;
            // The guard records nothing: event tracking is off.
            let (addr, _guard) = view.device_ptr(&stream);
            addr as usize as *const c_void
        }
    })
}

/// Stores in `*voltage` the address of the membrane voltage in `dtype`
/// (`EN_F16`, `EN_BF16`, `EN_F32` or `EN_F64`): `en_neuron_len` values,
/// `thresh_v` where the spike is set and `rest_v` elsewhere, on the
/// neuron's side (host or device). Computed here when the state changed
/// since the last call for this type (a kernel queued on the stream,
/// nothing waited for); the address stays valid, and the values current,
/// until the next call that changes the state (a step, `en_neuron_clear`,
/// `en_neuron_set_batch_size`) or `en_neuron_free`.
///
/// The first call for each type allocates the view's buffer: on CUDA, make
/// it before capturing a stream into a graph.
///
/// # Safety
/// `neuron` is NULL or a live handle; `voltage` is NULL or a valid place
/// for a pointer. The values are the library's: read them, never write them.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_voltage(
    neuron: *mut en_neuron,
    dtype: en_dtype_code,
    voltage: *mut *const c_void,
) -> en_status {
    entry(|| {
        // SAFETY: NULL or live and unshared (the contract).
        let neuron = unsafe { handle(neuron) }?;
        let dtype = dtype_of(dtype)?;
        if voltage.is_null() {
            return Err(Failure::null("voltage"));
        }
        let addr = match dtype {
            DType::F16 => voltage_addr::<f16>(neuron),
            DType::BF16 => voltage_addr::<bf16>(neuron),
            DType::F32 => voltage_addr::<f32>(neuron),
            DType::F64 => voltage_addr::<f64>(neuron),
            DType::Bool | DType::U8 => Err(Error::NoKernel {
                op: "voltage",
                dtype,
            }),
        }?;
        // SAFETY: `voltage` is a valid place for a pointer (the contract).
        unsafe { voltage.write(addr) };
        Ok(())
    })
}

/// Clears every spike (the resting state). Queued on the stream for a CUDA
/// neuron.
///
/// # Safety
/// `neuron` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_clear(neuron: *mut en_neuron) -> en_status {
    entry(|| {
        // SAFETY: NULL or live and unshared (the contract).
        unsafe { handle(neuron) }?.clear()?;
        Ok(())
    })
}

/// Resizes the state to `batch_size` samples, all spikes clear (even when
/// the size does not change). Allocates: on CUDA, not while capturing. The
/// addresses from `en_neuron_spikes` and `en_neuron_voltage` are invalid
/// afterwards. A refused size (0: inferno's text, or too large) changes
/// nothing.
///
/// # Safety
/// `neuron` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_set_batch_size(
    neuron: *mut en_neuron,
    batch_size: usize,
) -> en_status {
    entry(|| {
        // SAFETY: NULL or live and unshared (the contract).
        unsafe { handle(neuron) }?.set_batch_size(batch_size)?;
        Ok(())
    })
}
