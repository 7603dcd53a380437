//! The library's errors as the Python exceptions a caller expects.

use exact_neuron::Error;
use pyo3::exceptions::{PyMemoryError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::PyErr;

/// `err` as a Python exception with the same text: bad values are
/// `ValueError` (inferno raises that for its parameter checks), values of
/// the wrong element type `TypeError`, allocation failures `MemoryError`,
/// and everything the driver or the machine reports `RuntimeError`.
pub(crate) fn to_py(err: Error) -> PyErr {
    let text = err.to_string();
    match err {
        Error::InvalidArgument(_)
        | Error::LengthMismatch { .. }
        | Error::TooLarge { .. }
        | Error::VoltageOverflow { .. }
        | Error::BadBytes { .. }
        | Error::WrongDevice { .. }
        | Error::WrongContext { .. } => PyValueError::new_err(text),
        Error::WrongDType { .. } | Error::NoKernel { .. } => PyTypeError::new_err(text),
        Error::OutOfMemory { .. } => PyMemoryError::new_err(text),
        _ => PyRuntimeError::new_err(text),
    }
}
