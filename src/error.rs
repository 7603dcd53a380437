//! The one error type of the crate.

use crate::dtype::DType;

/// Everything that can go wrong in this crate.
///
/// Validation errors carry the text that inferno raises for the same input
/// (see `Display`); every other variant names the buffer, device or value at
/// fault. An operation that returns an error because of bad input changes no
/// state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter failed validation. The message is inferno's, for example
    /// `'step_time' of 0.0 must be positive`.
    #[error("{0}")]
    InvalidArgument(String),

    /// A buffer had the wrong number of elements.
    #[error("{what} has {actual} elements, expected {expected}")]
    LengthMismatch {
        /// What was passed: `"inputs"`, `"override"`, `"spike state"`, ...
        what: &'static str,
        /// The number of elements the neuron needs (its `len()`).
        expected: usize,
        /// The number of elements given.
        actual: usize,
    },

    /// The batched shape has more elements (or bytes) than can be addressed.
    #[error("shape {shape:?} with batch size {batch_size} is too large to address")]
    TooLarge {
        /// The neuron shape.
        shape: Vec<usize>,
        /// The batch size.
        batch_size: usize,
    },

    /// A voltage parameter does not fit the requested element type (a finite
    /// value whose magnitude exceeds `f32::MAX`, for f32, f16 and bf16).
    #[error("'{name}' ({value}) cannot be converted to {dtype} without overflow")]
    VoltageOverflow {
        /// `"rest_v"` or `"thresh_v"`.
        name: &'static str,
        /// The parameter, formatted like Python's `repr`.
        value: String,
        /// The requested element type.
        dtype: DType,
    },

    /// No kernel entry runs the operation on the element type (threshold
    /// mode on `u8`, say).
    #[error("no {op} kernel for {dtype}")]
    NoKernel {
        /// The operation: `"threshold"`, `"override"` or `"voltage"`.
        op: &'static str,
        /// The element type asked for.
        dtype: DType,
    },

    /// A launch plan's arguments do not match its entry's parameters.
    #[error("launch plan for {entry}: {reason}")]
    BadPlan {
        /// The entry's name.
        entry: &'static str,
        /// What does not match.
        reason: String,
    },

    /// Host values of one element type were given where another is needed.
    #[error("{what} are {actual}, expected {expected}")]
    WrongDType {
        /// What was passed.
        what: &'static str,
        /// The type needed.
        expected: DType,
        /// The type given.
        actual: DType,
    },

    /// Bytes that cannot be read as values of an element type.
    #[error("{what}: {reason}")]
    BadBytes {
        /// What was passed.
        what: &'static str,
        /// Why the bytes are not values: length, alignment, bool bytes.
        reason: String,
    },

    /// Host memory for a buffer could not be allocated.
    #[error("cannot allocate {bytes} bytes of host memory")]
    OutOfMemory {
        /// The size of the failed allocation.
        bytes: usize,
    },

    /// No CUDA driver library (libcuda) could be loaded.
    #[error("no CUDA driver: the libcuda shared library could not be loaded")]
    NoDriver,

    /// The CUDA driver loaded, but reports no usable device.
    #[error("no CUDA device: {0}")]
    NoDevice(String),

    /// A call into the CUDA driver failed.
    #[error("CUDA driver error: {0}")]
    Driver(#[from] cudarc::driver::DriverError),

    /// A device buffer belongs to another CUDA context than the neuron.
    #[error("{what} lives on another CUDA context than the neuron")]
    WrongContext {
        /// The buffer at fault.
        what: &'static str,
    },

    /// Memory of one device was handed to a neuron on another (CUDA
    /// memory to a CPU neuron).
    #[error("{what} cannot be used by a {device} neuron")]
    WrongDevice {
        /// What was passed.
        what: &'static str,
        /// The neuron's device: `"cpu"` or `"cuda"`.
        device: &'static str,
    },

    /// A kernel device other than CUDA (for example a test harness) failed.
    #[error("kernel device error: {0}")]
    Device(String),
}

/// The crate's `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
