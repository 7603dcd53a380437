//! CUDA devices and streams as C names them: a device ordinal and a
//! `CUstream` / `cudaStream_t` that the caller owns.
//!
//! Work runs in the device's primary context, the one the CUDA runtime
//! uses, so that `cudaMalloc`'d memory and runtime streams are the
//! library's as they are the caller's. One `CudaContext` per device is made
//! on first use and kept for the life of the process, with cudarc's event
//! tracking turned off before anything is allocated in it: the caller
//! orders its work on its own stream, and an event recorded behind its back
//! would break a CUDA graph capture of that stream.

use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use exact_neuron::cudarc::driver::sys::{self, CUresult};
use exact_neuron::cudarc::driver::{CudaContext, CudaStream};
use exact_neuron::{cuda, Cuda, Error};

use crate::entry::{Failure, Outcome};
use crate::status::en_status;

/// The stream handles that name no stream object but a behaviour:
/// NULL (the legacy default stream, or the per-thread one when the caller
/// compiled with per-thread default streams), `cudaStreamLegacy` (0x1) and
/// `cudaStreamPerThread` (0x2). They belong to whichever context is current.
fn is_special_stream(stream: *mut c_void) -> bool {
    matches!(stream as usize, 0..=2)
}

/// The primary contexts made so far, by ordinal. Kept for the life of the
/// process: a context is made once per device, and the devices' kernel
/// modules stay loaded with it (see [`KEEPERS`]).
static CONTEXTS: Mutex<Vec<(usize, Arc<CudaContext>)>> = Mutex::new(Vec::new());

/// The primary context of device `device`, made on first use with event
/// tracking off.
pub(crate) fn context(device: c_int) -> Outcome<Arc<CudaContext>> {
    let ordinal = usize::try_from(device).map_err(|_| {
        Failure::new(
            en_status::EN_ERR_NO_DEVICE,
            format!("no CUDA device: device {device} is negative"),
        )
    })?;
    // The list is only pushed to; a panic elsewhere cannot leave it broken.
    let mut contexts = CONTEXTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, context)) = contexts.iter().find(|(o, _)| *o == ordinal) {
        return Ok(context.clone());
    }
    let count = cuda::probe()?;
    if ordinal >= count {
        return Err(Error::NoDevice(format!("device {ordinal} requested, {count} present")).into());
    }
    let context = catch_unwind(AssertUnwindSafe(|| CudaContext::new(ordinal)))
        .map_err(|_| Error::NoDriver)?
        .map_err(Error::from)?;
    // SAFETY: tracking is turned off before any buffer of this context
    // object exists (it was made just above and is not yet shared), so no
    // slice is left half-tracked. Without it, ordering is the caller's:
    // every buffer of the library is used on the one stream its neuron was
    // made with, and caller memory is ordered by the caller's stream (the
    // contract of every entry that takes a stream).
    unsafe { context.disable_event_tracking() };
    contexts.push((ordinal, context.clone()));
    Ok(context)
}

/// The caller's `stream` on `context`, wrapped without taking ownership:
/// dropping the wrapper leaves the stream alone. A stream object of
/// another context is refused.
///
/// # Safety
/// `stream` must be NULL, `cudaStreamLegacy`, `cudaStreamPerThread` or a
/// live stream, and stay live while the wrapper (or a neuron holding it) is
/// in use.
pub(crate) unsafe fn borrowed_stream(
    context: &Arc<CudaContext>,
    stream: *mut c_void,
) -> Outcome<Arc<CudaStream>> {
    context.bind_to_thread().map_err(Error::from)?;
    let cu_stream = stream as sys::CUstream;
    if !is_special_stream(stream) {
        let mut owner: sys::CUcontext = std::ptr::null_mut();
        // SAFETY: `cu_stream` is a live stream (this function's contract)
        // and `owner` a valid place for the answer.
        let result = unsafe { sys::cuStreamGetCtx(cu_stream, &mut owner) };
        if result != CUresult::CUDA_SUCCESS {
            return Err(Error::from(exact_neuron::cudarc::driver::DriverError(result)).into());
        }
        if owner != context.cu_ctx() {
            return Err(Failure::new(
                en_status::EN_ERR_WRONG_CONTEXT,
                format!(
                    "the stream belongs to another CUDA context than the primary context of device {}",
                    context.ordinal()
                ),
            ));
        }
    }
    // SAFETY: `cu_stream` belongs to `context` (checked above, or it is a
    // special handle that means the current context, which
    // `bind_to_thread` made `context`); the caller keeps it alive and
    // orders its own work on it (this function's contract).
    Ok(unsafe { context.wrap_borrowed_stream(cu_stream) })
}

/// One kernel device per device ordinal, kept for the life of the process
/// so that the device's kernel modules stay loaded between stateless
/// launches (a launch then loads nothing).
static KEEPERS: Mutex<Vec<(usize, Cuda)>> = Mutex::new(Vec::new());

/// A kernel device on the caller's `stream` of device `device`, for a
/// stateless launch. The stream is wrapped anew on every call (a stream
/// handle may be destroyed and its value reused by another stream, so none
/// is remembered); the kernels are those kept in [`KEEPERS`].
///
/// # Safety
/// As [`borrowed_stream`].
pub(crate) unsafe fn device_on(device: c_int, stream: *mut c_void) -> Outcome<Cuda> {
    let context = context(device)?;
    // SAFETY: passed on from this function's contract.
    let wrapped = unsafe { borrowed_stream(&context, stream) }?;
    let cuda = Cuda::new(wrapped)?;
    let mut keepers = KEEPERS.lock().unwrap_or_else(|p| p.into_inner());
    if !keepers.iter().any(|(o, _)| *o == context.ordinal()) {
        keepers.push((context.ordinal(), cuda.clone()));
    }
    Ok(cuda)
}
