//! Is there a CUDA driver and a device? Asked without ever panicking.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaStream};

use crate::error::{Error, Result};

/// Whether a CUDA driver and at least one device are present, and how many
/// devices there are.
///
/// cudarc panics when it first calls into a driver library that is absent,
/// so the library's presence is asked first (by trying to load it), and the
/// first driver calls run under `catch_unwind` as a second guard.
///
/// ```
/// match exact_neuron::cuda::probe() {
///     Ok(devices) => println!("{devices} CUDA device(s)"),
///     Err(why) => println!("no GPU here: {why}"),
/// }
/// ```
pub fn probe() -> Result<usize> {
    // SAFETY: `is_culib_present` only tries to open the driver library by
    // its candidate names with `libloading` and closes it again; it calls no
    // symbol of it, so it has no precondition beyond running on the host.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Err(Error::NoDriver);
    }
    let count = catch_unwind(CudaContext::device_count)
        .map_err(|_| Error::NoDriver)?
        .map_err(|err| Error::NoDevice(err.to_string()))?;
    match usize::try_from(count) {
        Ok(0) | Err(_) => Err(Error::NoDevice("the driver reports no device".into())),
        Ok(count) => Ok(count),
    }
}

/// The default stream of device `ordinal`'s primary context, after a
/// [`probe`]: the usual way to get a stream for [`Cuda::new`](crate::Cuda::new)
/// when the caller has none of its own.
pub fn default_stream(ordinal: usize) -> Result<Arc<CudaStream>> {
    let count = probe()?;
    if ordinal >= count {
        return Err(Error::NoDevice(format!(
            "device {ordinal} requested, {count} present"
        )));
    }
    let context = catch_unwind(AssertUnwindSafe(|| CudaContext::new(ordinal)))
        .map_err(|_| Error::NoDriver)??;
    Ok(context.default_stream())
}
