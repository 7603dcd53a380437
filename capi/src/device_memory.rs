//! Device memory as C hands it over: a raw address, checked with the
//! driver where it can tell.
//!
//! The driver knows, for memory it allocated, the context it belongs to and
//! the allocation it lies in (`cuPointerGetAttribute`). A pointer into
//! another context's memory, a host pointer, or a buffer that ends before
//! the values do is refused here, before a kernel could fault on it. Memory
//! the driver knows a device but no context for (stream-ordered pools,
//! virtual-memory mappings) passes when the device is the call's: there the
//! caller's word is all there is.

use std::ffi::c_void;

use exact_neuron::cudarc::driver::sys::{self, CUpointer_attribute, CUresult};
use exact_neuron::cudarc::driver::{CudaContext, DriverError};
use exact_neuron::Error;

use crate::entry::{Failure, Outcome};
use crate::status::en_status;

/// One pointer attribute of `addr`, or the driver's error.
///
/// # Safety
/// `T` must be the type the driver writes for `attribute`.
unsafe fn attribute<T: Default>(
    attribute: CUpointer_attribute,
    addr: sys::CUdeviceptr,
) -> Result<T, CUresult> {
    let mut value = T::default();
    // SAFETY: `value` is a valid place of the type the driver writes for
    // `attribute` (this function's contract); the driver only reads `addr`
    // as a number.
    let result =
        unsafe { sys::cuPointerGetAttribute((&mut value as *mut T).cast(), attribute, addr) };
    match result {
        CUresult::CUDA_SUCCESS => Ok(value),
        error => Err(error),
    }
}

/// `ptr` as the address of `bytes` bytes of device memory in `context`,
/// holding values of `alignment` bytes each: `EN_ERR_NULL_POINTER` for
/// NULL, `EN_ERR_BAD_VALUES` for an address not aligned for the values (a
/// kernel's load there would fault), `EN_ERR_WRONG_CONTEXT` for memory of
/// another context or memory the driver does not know,
/// `EN_ERR_LENGTH_MISMATCH` when the allocation ends before `bytes` do.
/// `context` must be current on this thread.
pub(crate) fn device_buffer(
    what: &str,
    context: &CudaContext,
    ptr: *const c_void,
    bytes: usize,
    alignment: usize,
) -> Outcome<sys::CUdeviceptr> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    let addr = ptr as sys::CUdeviceptr;
    if addr % alignment as u64 != 0 {
        return Err(Failure::new(
            en_status::EN_ERR_BAD_VALUES,
            format!("{what} ({ptr:p}) is not aligned to {alignment} bytes, as its values must be"),
        ));
    }
    // SAFETY: the driver writes a `CUcontext` for this attribute.
    let owner =
        unsafe { attribute::<usize>(CUpointer_attribute::CU_POINTER_ATTRIBUTE_CONTEXT, addr) };
    match owner {
        Ok(owner) if owner != 0 && owner != context.cu_ctx() as usize => {
            return Err(Failure::new(
                en_status::EN_ERR_WRONG_CONTEXT,
                format!(
                "{what} is memory of another CUDA context than the primary context of device {}",
                context.ordinal()
            ),
            ))
        }
        Ok(_) => {}
        Err(CUresult::CUDA_ERROR_INVALID_VALUE) => {
            // No context: memory of a stream-ordered pool or a virtual
            // mapping may have none but a device; host memory has neither.
            // SAFETY: the driver writes an `int` for the device ordinal.
            let device = unsafe {
                attribute::<i32>(
                    CUpointer_attribute::CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL,
                    addr,
                )
            };
            match device {
                Ok(ordinal) if usize::try_from(ordinal).ok() == Some(context.ordinal()) => {}
                Ok(ordinal) => {
                    return Err(Failure::new(
                        en_status::EN_ERR_WRONG_CONTEXT,
                        format!(
                            "{what} is memory of CUDA device {ordinal}, not of device {}",
                            context.ordinal()
                        ),
                    ))
                }
                Err(_) => {
                    return Err(Failure::new(
                        en_status::EN_ERR_WRONG_CONTEXT,
                        format!("{what} ({ptr:p}) is not CUDA device memory"),
                    ))
                }
            }
        }
        Err(error) => return Err(Error::from(DriverError(error)).into()),
    }
    // SAFETY: the driver writes a `CUdeviceptr` for the range start and a
    // `size_t` for the range size.
    let range = unsafe {
        (
            attribute::<sys::CUdeviceptr>(
                CUpointer_attribute::CU_POINTER_ATTRIBUTE_RANGE_START_ADDR,
                addr,
            ),
            attribute::<usize>(CUpointer_attribute::CU_POINTER_ATTRIBUTE_RANGE_SIZE, addr),
        )
    };
    if let (Ok(start), Ok(size)) = range {
        let available = (start as u128 + size as u128).saturating_sub(addr as u128);
        if (bytes as u128) > available {
            return Err(Failure::new(
                en_status::EN_ERR_LENGTH_MISMATCH,
                format!(
                    "{what} needs {bytes} bytes, its allocation has {available} from the pointer on"
                ),
            ));
        }
    }
    Ok(addr)
}
