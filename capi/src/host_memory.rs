//! Host memory as C hands it over: a pointer, a length and an element type.

use std::ffi::c_void;

use exact_neuron::{DType, HostSlice};

use crate::entry::{Failure, Outcome};
use crate::status::en_status;

/// The size in bytes of `len` values of `dtype`, or `EN_ERR_TOO_LARGE` when
/// it exceeds what one allocation can hold (`isize::MAX`).
pub(crate) fn byte_len(what: &str, dtype: DType, len: usize) -> Outcome<usize> {
    len.checked_mul(dtype.size())
        .filter(|&bytes| bytes <= isize::MAX as usize)
        .ok_or_else(|| {
            Failure::new(
                en_status::EN_ERR_TOO_LARGE,
                format!("{what}: {len} values of {dtype} are too many bytes to address"),
            )
        })
}

/// `len` host values of `dtype` at `ptr`, checked: not NULL, the byte count
/// addressable, the pointer aligned for the type, bool bytes 0 or 1.
///
/// # Safety
/// When `ptr` is not NULL it must point to `len` values of `dtype` (that
/// many readable bytes) that nothing writes while the slice is in use.
pub(crate) unsafe fn host_values<'a>(
    what: &'static str,
    dtype: DType,
    ptr: *const c_void,
    len: usize,
) -> Outcome<HostSlice<'a>> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    let bytes = byte_len(what, dtype, len)?;
    // SAFETY: `ptr` is not NULL and points to `bytes` readable bytes that
    // nothing writes meanwhile (this function's contract); `bytes` is at
    // most `isize::MAX` (checked above). Bytes have no alignment
    // requirement; `from_bytes` checks the element type's.
    let raw = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), bytes) };
    Ok(HostSlice::from_bytes(what, dtype, raw)?)
}
