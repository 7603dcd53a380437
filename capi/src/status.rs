//! The status codes of the C API, one per kind of failure.

use std::ffi::{c_char, CStr};

use exact_neuron::Error;

/// What a call of the C API did: `EN_OK`, or the kind of failure. The
/// numbers are stable: a new kind of failure gets a new number.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum en_status {
    /// The call succeeded.
    EN_OK = 0,
    /// A pointer argument that must not be NULL was NULL.
    EN_ERR_NULL_POINTER = 1,
    /// A neuron parameter failed validation; the message is inferno's
    /// (for example `'step_time' of 0.0 must be positive`).
    EN_ERR_INVALID_ARGUMENT = 2,
    /// An `en_dtype` argument was none of the six element types.
    EN_ERR_BAD_DTYPE = 3,
    /// The operation has no kernel for the element type (threshold inputs
    /// or a voltage in `EN_BOOL` or `EN_U8`).
    EN_ERR_NO_KERNEL = 4,
    /// A length did not match the neuron's (or was zero).
    EN_ERR_LENGTH_MISMATCH = 5,
    /// A shape, length or byte count too large to address.
    EN_ERR_TOO_LARGE = 6,
    /// Values that are not values of their type: a bool byte other than 0
    /// or 1, or a pointer not aligned for its element type.
    EN_ERR_BAD_VALUES = 7,
    /// A voltage parameter does not fit the requested element type.
    EN_ERR_VOLTAGE_OVERFLOW = 8,
    /// Host memory could not be allocated.
    EN_ERR_OUT_OF_MEMORY = 9,
    /// No CUDA driver library could be loaded.
    EN_ERR_NO_DRIVER = 10,
    /// The CUDA driver reports no such device.
    EN_ERR_NO_DEVICE = 11,
    /// A call into the CUDA driver failed.
    EN_ERR_DRIVER = 12,
    /// A device pointer or stream belongs to another CUDA context than the
    /// one the call runs in, or is not device memory at all.
    EN_ERR_WRONG_CONTEXT = 13,
    /// A call that needs a CUDA neuron was given a CPU one, or the reverse.
    EN_ERR_WRONG_DEVICE = 14,
    /// A bug: the library panicked. Nothing unwound into the caller; the
    /// neuron the call was given may be in any valid state.
    EN_ERR_INTERNAL = 15,
    /// An `en_spike_format` argument was neither `EN_SPIKES_BYTES` nor
    /// `EN_SPIKES_BITS`.
    EN_ERR_BAD_FORMAT = 16,
}

impl en_status {
    /// The name of the status, as the header spells it.
    pub const fn name(self) -> &'static CStr {
        match self {
            en_status::EN_OK => c"EN_OK",
            en_status::EN_ERR_NULL_POINTER => c"EN_ERR_NULL_POINTER",
            en_status::EN_ERR_INVALID_ARGUMENT => c"EN_ERR_INVALID_ARGUMENT",
            en_status::EN_ERR_BAD_DTYPE => c"EN_ERR_BAD_DTYPE",
            en_status::EN_ERR_NO_KERNEL => c"EN_ERR_NO_KERNEL",
            en_status::EN_ERR_LENGTH_MISMATCH => c"EN_ERR_LENGTH_MISMATCH",
            en_status::EN_ERR_TOO_LARGE => c"EN_ERR_TOO_LARGE",
            en_status::EN_ERR_BAD_VALUES => c"EN_ERR_BAD_VALUES",
            en_status::EN_ERR_VOLTAGE_OVERFLOW => c"EN_ERR_VOLTAGE_OVERFLOW",
            en_status::EN_ERR_OUT_OF_MEMORY => c"EN_ERR_OUT_OF_MEMORY",
            en_status::EN_ERR_NO_DRIVER => c"EN_ERR_NO_DRIVER",
            en_status::EN_ERR_NO_DEVICE => c"EN_ERR_NO_DEVICE",
            en_status::EN_ERR_DRIVER => c"EN_ERR_DRIVER",
            en_status::EN_ERR_WRONG_CONTEXT => c"EN_ERR_WRONG_CONTEXT",
            en_status::EN_ERR_WRONG_DEVICE => c"EN_ERR_WRONG_DEVICE",
            en_status::EN_ERR_INTERNAL => c"EN_ERR_INTERNAL",
            en_status::EN_ERR_BAD_FORMAT => c"EN_ERR_BAD_FORMAT",
        }
    }

    /// The status that reports `error`.
    pub fn of(error: &Error) -> en_status {
        match error {
            Error::InvalidArgument(_) => en_status::EN_ERR_INVALID_ARGUMENT,
            Error::LengthMismatch { .. } => en_status::EN_ERR_LENGTH_MISMATCH,
            Error::TooLarge { .. } => en_status::EN_ERR_TOO_LARGE,
            Error::VoltageOverflow { .. } => en_status::EN_ERR_VOLTAGE_OVERFLOW,
            Error::NoKernel { .. } => en_status::EN_ERR_NO_KERNEL,
            Error::WrongDType { .. } => en_status::EN_ERR_BAD_DTYPE,
            Error::BadBytes { .. } => en_status::EN_ERR_BAD_VALUES,
            Error::OutOfMemory { .. } => en_status::EN_ERR_OUT_OF_MEMORY,
            Error::NoDriver => en_status::EN_ERR_NO_DRIVER,
            Error::NoDevice(_) => en_status::EN_ERR_NO_DEVICE,
            Error::Driver(_) => en_status::EN_ERR_DRIVER,
            Error::WrongContext { .. } => en_status::EN_ERR_WRONG_CONTEXT,
            Error::WrongDevice { .. } => en_status::EN_ERR_WRONG_DEVICE,
            // A plan that does not fit its entry, a test device's failure,
            // or a kind of error added later: none is the caller's doing.
            _ => en_status::EN_ERR_INTERNAL,
        }
    }
}

/// The name of a status as the header spells it (`"EN_ERR_NULL_POINTER"`),
/// or `"unknown status"` for a number that is none. Never NULL; the string
/// is static.
#[no_mangle]
pub extern "C" fn en_status_name(status: std::ffi::c_int) -> *const c_char {
    let name = STATUSES
        .iter()
        .find(|known| **known as std::ffi::c_int == status)
        .map_or(c"unknown status", |known| known.name());
    name.as_ptr()
}

/// Every status, in number order.
pub(crate) const STATUSES: [en_status; 17] = [
    en_status::EN_OK,
    en_status::EN_ERR_NULL_POINTER,
    en_status::EN_ERR_INVALID_ARGUMENT,
    en_status::EN_ERR_BAD_DTYPE,
    en_status::EN_ERR_NO_KERNEL,
    en_status::EN_ERR_LENGTH_MISMATCH,
    en_status::EN_ERR_TOO_LARGE,
    en_status::EN_ERR_BAD_VALUES,
    en_status::EN_ERR_VOLTAGE_OVERFLOW,
    en_status::EN_ERR_OUT_OF_MEMORY,
    en_status::EN_ERR_NO_DRIVER,
    en_status::EN_ERR_NO_DEVICE,
    en_status::EN_ERR_DRIVER,
    en_status::EN_ERR_WRONG_CONTEXT,
    en_status::EN_ERR_WRONG_DEVICE,
    en_status::EN_ERR_INTERNAL,
    en_status::EN_ERR_BAD_FORMAT,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_numbers_are_the_positions_and_the_names_are_the_variants() {
        for (number, status) in STATUSES.iter().enumerate() {
            assert_eq!(*status as usize, number);
            assert_eq!(status.name().to_str().unwrap(), format!("{status:?}"));
            // SAFETY: `en_status_name` returns a static NUL-terminated string.
            let named = unsafe { CStr::from_ptr(en_status_name(number as std::ffi::c_int)) };
            assert_eq!(named, status.name());
        }
        // SAFETY: as above.
        let unknown = unsafe { CStr::from_ptr(en_status_name(-1)) };
        assert_eq!(unknown, c"unknown status");
    }
}
