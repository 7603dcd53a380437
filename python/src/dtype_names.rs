//! Element types by the short names the Python half passes.

use exact_neuron::DType;
use pyo3::exceptions::PyTypeError;
use pyo3::PyResult;

/// The element type called `name` (`bool`, `u8`, `f16`, `bf16`, `f32`,
/// `f64`), or a `TypeError` naming it.
pub(crate) fn dtype_named(name: &str) -> PyResult<DType> {
    DType::from_name(name)
        .ok_or_else(|| PyTypeError::new_err(format!("unsupported element type {name:?}")))
}

/// The element type of a voltage or refractory view called `name`: one of
/// the four float types, else a `TypeError` naming it.
pub(crate) fn float_dtype_named(name: &str) -> PyResult<DType> {
    match dtype_named(name)? {
        dtype @ (DType::F16 | DType::BF16 | DType::F32 | DType::F64) => Ok(dtype),
        other => Err(PyTypeError::new_err(format!(
            "views are float16, bfloat16, float32 or float64, not {other}"
        ))),
    }
}
