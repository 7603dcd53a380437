//! torch's CUDA streams as cudarc streams, borrowed by their handles.
//!
//! torch runs its work on the current stream of each device, which the
//! caller may switch at any time (`with torch.cuda.stream(s):`). A CUDA
//! neuron is made on the stream current when it is made; every later call
//! names the stream current then, and when that is another stream the
//! neuron's stream first waits for it and it then waits for the neuron's, so
//! the neuron's work runs in order with the caller's torch work either way.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use exact_neuron::cuda::probe;
use exact_neuron::cudarc::driver::sys::CUstream;
use exact_neuron::cudarc::driver::{CudaContext, CudaStream};
use exact_neuron::Error;
use pyo3::prelude::*;

use crate::errors::to_py;

/// The number of CUDA devices the driver reports, 0 where there is no
/// driver or no device.
#[pyfunction]
pub(crate) fn cuda_device_count() -> usize {
    probe().unwrap_or(0)
}

/// A stream of device `ordinal`'s primary context (torch's context) for
/// torch's stream `handle` (`torch.cuda.Stream.cuda_stream`; 0 is the
/// legacy default stream).
pub(crate) fn borrow_stream(ordinal: usize, handle: usize) -> PyResult<Arc<CudaStream>> {
    let count = probe().map_err(to_py)?;
    if ordinal >= count {
        return Err(to_py(Error::NoDevice(format!(
            "device {ordinal} requested, {count} present"
        ))));
    }
    let context = catch_unwind(AssertUnwindSafe(|| CudaContext::new(ordinal)))
        .map_err(|_| to_py(Error::NoDriver))?
        .map_err(|err| to_py(Error::Driver(err)))?;
    // SAFETY: the neuron's buffers are used from this one stream (or after
    // an explicit join of the caller's current stream, `on_current_stream`),
    // and every buffer the neuron hands out is read by torch only after
    // that join, so cudarc's per-buffer events add nothing but cost; they
    // are turned off on this context handle only, which this module alone
    // holds, before any buffer is made on it.
    unsafe { context.disable_event_tracking() };
    Ok(wrap(&context, handle))
}

/// torch's stream `handle` on `context`.
pub(crate) fn wrap(context: &Arc<CudaContext>, handle: usize) -> Arc<CudaStream> {
    // SAFETY: `handle` is torch's `cuda_stream` of a stream of this device
    // (the Python half reads it from `torch.cuda.current_stream(device)`);
    // torch takes its streams from pools it never destroys (and 0, the
    // legacy default stream, always exists), so the handle outlives the
    // borrowed stream, which cudarc never destroys (`owned: false`).
    unsafe { context.wrap_borrowed_stream(handle as CUstream) }
}

/// Runs `work` queued on `own`, ordered after the work already queued on
/// the caller's stream `current` and before any queued there later.
pub(crate) fn on_current_stream<R>(
    own: &Arc<CudaStream>,
    current: usize,
    work: impl FnOnce() -> exact_neuron::Result<R>,
) -> exact_neuron::Result<R> {
    if current == own.cu_stream() as usize {
        return work();
    }
    let caller = wrap(own.context(), current);
    own.join(&caller)?;
    let result = work();
    caller.join(own)?;
    result
}
