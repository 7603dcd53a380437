//! The native half of the `exact_neuron` Python package: the library's
//! [`AnyNeuron`](exact_neuron::AnyNeuron) as a Python class with a small,
//! private interface (`exact_neuron._native.NativeNeuron`). The public,
//! inferno-shaped `ExactNeuron` is Python code in `exact_neuron/`: it checks
//! every argument, turns numpy arrays and torch tensors into what this class
//! takes (an array, or an address, an element type and a length), and turns
//! what it gives back into arrays and tensors.

use pyo3::prelude::*;

mod dtype_names;
mod errors;
mod native_neuron;
mod torch_stream;

/// The extension module, `exact_neuron._native`.
#[pymodule]
#[pyo3(name = "_native")]
fn native_module(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<native_neuron::NativeNeuron>()?;
    module.add_function(wrap_pyfunction!(torch_stream::cuda_device_count, module)?)?;
    Ok(())
}
