//! The wrapper around every entry point: failures become a status and a
//! message, panics are caught before they reach C.

use std::panic::{catch_unwind, AssertUnwindSafe};

use exact_neuron::Error;

use crate::last_error;
use crate::status::en_status;

/// Why a call failed: the status to return and the message to record.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: en_status,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: en_status, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }

    /// `what` is NULL.
    pub(crate) fn null(what: &str) -> Failure {
        Failure::new(en_status::EN_ERR_NULL_POINTER, format!("{what} is NULL"))
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::new(en_status::of(&error), error.to_string())
    }
}

/// The result of a call's body.
pub(crate) type Outcome<T = ()> = Result<T, Failure>;

/// Runs `body` as an entry point: `EN_OK` and an empty last error when it
/// succeeds; its status and message when it fails; `EN_ERR_INTERNAL` and a
/// message when it panics (the panic stops here, it never unwinds into C).
pub(crate) fn entry(body: impl FnOnce() -> Outcome) -> en_status {
    // The state a panicking body may leave behind is a neuron in some valid
    // state (every field is replaced whole) or nothing: no invariant of
    // ours breaks across an unwind, so asserting unwind safety is sound.
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            last_error::set("");
            return en_status::EN_OK;
        }
        Ok(Err(failure)) => failure,
        Err(payload) => {
            let why = payload
                .downcast_ref::<&str>()
                .map(|text| text.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            Failure::new(
                en_status::EN_ERR_INTERNAL,
                format!("internal error (a panic in exact-neuron): {why}"),
            )
        }
    };
    last_error::set(&failure.message);
    failure.status
}

/// Runs `body`, an entry point that returns a plain value rather than a
/// status: `fallback` when it panics. The last error is left as it is.
pub(crate) fn plain<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;
    use crate::last_error::en_last_error;

    fn last() -> String {
        // SAFETY: `en_last_error` returns a NUL-terminated string valid
        // until this thread's next call into the library.
        unsafe { CStr::from_ptr(en_last_error()) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn a_panic_is_an_internal_error_and_a_success_clears_the_message() {
        let status = entry(|| panic!("boom"));
        assert_eq!(status, en_status::EN_ERR_INTERNAL);
        assert!(last().contains("boom"), "{}", last());
        assert_eq!(entry(|| Ok(())), en_status::EN_OK);
        assert_eq!(last(), "");
        let status = entry(|| Err(Failure::null("out")));
        assert_eq!(status, en_status::EN_ERR_NULL_POINTER);
        assert_eq!(last(), "out is NULL");
        assert_eq!(plain(7, || panic!("again")), 7);
    }
}
