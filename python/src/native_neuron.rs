//! `NativeNeuron`: an [`AnyNeuron`] for the Python half to drive.
//!
//! Its methods take what the Python half has already checked (shapes,
//! devices, element types) and check again what memory safety rests on:
//! lengths, contiguity, alignment and element types. Every step runs with
//! the GIL released.

use exact_neuron::cuda::DeviceValues;
use exact_neuron::cudarc::driver::sys::CUdeviceptr;
use exact_neuron::cudarc::driver::{CudaSlice, CudaStream, DevicePtr};
use exact_neuron::{AnyNeuron, CudaNeuron, DType, HostSlice, HostValues, NeuronParams};
use numpy::npyffi::flags::NPY_ARRAY_ALIGNED;
use numpy::{PyArray1, PyArrayDescrMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::dtype_names::{dtype_named, float_dtype_named};
use crate::errors::to_py;
use crate::torch_stream::{borrow_stream, on_current_stream};

/// A neuron group on the CPU or on one CUDA device (private: the public
/// class is `exact_neuron.ExactNeuron`).
#[pyclass(module = "exact_neuron._native")]
pub(crate) struct NativeNeuron {
    neuron: AnyNeuron,
    /// The CUDA device's ordinal; `None` on the CPU.
    ordinal: Option<usize>,
}

/// What a step does with its values.
#[derive(Clone, Copy)]
enum Step {
    Threshold,
    Override,
}

impl Step {
    fn of(is_override: bool) -> Step {
        if is_override {
            Step::Override
        } else {
            Step::Threshold
        }
    }

    fn what(self) -> &'static str {
        match self {
            Step::Threshold => "inputs",
            Step::Override => "override",
        }
    }
}

#[pymethods]
impl NativeNeuron {
    /// A neuron with inferno's parameters, on the CPU (`ordinal` None) or
    /// on CUDA device `ordinal`, there on torch's stream `stream`. The
    /// parameters are checked first, in inferno's order and with its texts.
    #[new]
    #[pyo3(signature = (shape, step_time, rest_v, thresh_v, batch_size, ordinal=None, stream=0))]
    fn new(
        shape: Vec<usize>,
        step_time: f64,
        rest_v: f64,
        thresh_v: f64,
        batch_size: usize,
        ordinal: Option<usize>,
        stream: usize,
    ) -> PyResult<NativeNeuron> {
        let params =
            NeuronParams::new(shape, step_time, rest_v, thresh_v).with_batch_size(batch_size);
        params.validate().map_err(to_py)?;
        let neuron = match ordinal {
            None => AnyNeuron::cpu(&params),
            Some(ordinal) => AnyNeuron::cuda(borrow_stream(ordinal, stream)?, &params),
        }
        .map_err(to_py)?;
        Ok(NativeNeuron { neuron, ordinal })
    }

    /// The CUDA device's ordinal, `None` on the CPU.
    #[getter]
    fn ordinal(&self) -> Option<usize> {
        self.ordinal
    }

    /// The shape of the group, without the batch dimension.
    #[getter]
    fn shape(&self) -> Vec<usize> {
        self.neuron.shape().to_vec()
    }

    /// The number of samples simulated at once.
    #[getter]
    fn batch_size(&self) -> usize {
        self.neuron.batch_size()
    }

    /// The number of state elements, `batch_size * count`.
    fn __len__(&self) -> usize {
        self.neuron.len()
    }

    /// The step length, in ms.
    #[getter]
    fn dt(&self) -> f64 {
        self.neuron.dt()
    }

    /// Sets the step length (`'dt' of 0.0 must be positive` otherwise).
    fn set_dt(&mut self, dt: f64) -> PyResult<()> {
        self.neuron.set_dt(dt).map_err(to_py)
    }

    /// Resizes the state to `batch_size` samples, all clear.
    fn set_batch_size(&mut self, py: Python<'_>, batch_size: usize, stream: usize) -> PyResult<()> {
        self.run(py, stream, |neuron| neuron.set_batch_size(batch_size))
    }

    /// Clears every spike.
    fn clear(&mut self, py: Python<'_>, stream: usize) -> PyResult<()> {
        self.run(py, stream, AnyNeuron::clear)
    }

    /// inferno's repr.
    fn __repr__(&self) -> String {
        self.neuron.to_string()
    }

    /// One step on a C-contiguous, aligned numpy array of native byte
    /// order holding `len()` values of `dtype`: threshold mode, or an
    /// override when `is_override`. CPU neurons only.
    fn forward_array(
        &mut self,
        py: Python<'_>,
        values: &Bound<'_, PyUntypedArray>,
        dtype: &str,
        is_override: bool,
    ) -> PyResult<()> {
        let step = Step::of(is_override);
        let dtype = dtype_named(dtype)?;
        if !matches!(self.neuron, AnyNeuron::Cpu(_)) {
            return Err(PyValueError::new_err(format!(
                "{} in a numpy array cannot be used by a cuda neuron",
                step.what()
            )));
        }
        let descr = values.dtype();
        if descr.itemsize() != dtype.size() || descr.is_native_byteorder() == Some(false) {
            return Err(PyTypeError::new_err(format!(
                "{} array's element type does not hold {dtype} values",
                step.what()
            )));
        }
        // SAFETY: `as_array_ptr` is the live array object behind `values`,
        // which the caller holds for this call.
        let (data, flags) = unsafe {
            let array = &*values.as_array_ptr();
            (
                array.fields.data.cast::<u8>().cast_const(),
                array.fields.flags,
            )
        };
        if !values.is_c_contiguous() || flags & NPY_ARRAY_ALIGNED == 0 || data.is_null() {
            return Err(PyValueError::new_err(format!(
                "{} array must be C-contiguous and aligned",
                step.what()
            )));
        }
        let bytes = values.shape().iter().product::<usize>() * dtype.size();
        // SAFETY: a C-contiguous numpy array holds the product of its shape's
        // elements of `itemsize` bytes (checked above to be `dtype.size()`)
        // back to back from `data`, non-null; the caller keeps the array
        // alive for this call and, as for any extension that releases the
        // GIL, writes it from no other thread meanwhile.
        let bytes = unsafe { std::slice::from_raw_parts(data, bytes) };
        let values = HostSlice::from_bytes(step.what(), dtype, bytes).map_err(to_py)?;
        let neuron = &mut self.neuron;
        py.detach(|| host_step(neuron, step, values)).map_err(to_py)
    }

    /// One step on `len` values of `dtype` at `address`: host memory for a
    /// CPU neuron, device memory of the neuron's device for a CUDA one (there
    /// queued on torch's stream `stream`). For torch tensors, whose memory
    /// the Python half holds alive and names by `data_ptr()`.
    #[allow(clippy::too_many_arguments)]
    fn forward_address(
        &mut self,
        py: Python<'_>,
        dtype: &str,
        address: usize,
        len: usize,
        is_override: bool,
        stream: usize,
    ) -> PyResult<()> {
        let step = Step::of(is_override);
        let dtype = dtype_named(dtype)?;
        if address == 0 {
            return Err(PyValueError::new_err(format!(
                "{} is at address 0",
                step.what()
            )));
        }
        let size = len.checked_mul(dtype.size()).ok_or_else(|| {
            PyValueError::new_err(format!("{} of {len} values is too large", step.what()))
        })?;
        match &mut self.neuron {
            AnyNeuron::Cpu(_) => {
                // SAFETY: the Python half passes the `data_ptr()` and
                // `numel()` of a contiguous CPU tensor of `dtype`, which it
                // holds alive for this call: `size` readable bytes.
                let bytes = unsafe { std::slice::from_raw_parts(address as *const u8, size) };
                let values = HostSlice::from_bytes(step.what(), dtype, bytes).map_err(to_py)?;
                let neuron = &mut self.neuron;
                py.detach(|| host_step(neuron, step, values)).map_err(to_py)
            }
            AnyNeuron::Cuda(neuron) => {
                let own = neuron.device().stream().clone();
                // SAFETY: the Python half passes the `data_ptr()` and
                // `numel()` of a contiguous torch tensor of `dtype` on this
                // neuron's device (it checked the device), held alive for
                // this call; torch writes it only in stream order, and the
                // step is queued after the work on its current stream
                // `stream` (`on_current_stream`).
                let values =
                    unsafe { DeviceValues::new(own.clone(), dtype, address as CUdeviceptr, len) };
                let neuron = &mut self.neuron;
                py.detach(|| {
                    on_current_stream(&own, stream, || match step {
                        Step::Threshold => neuron.forward_device(&values),
                        Step::Override => neuron.forward_override_device(&values),
                    })
                })
                .map_err(to_py)
            }
        }
    }

    /// The spikes as a new numpy bool array (flat). CPU neurons only.
    fn spike_array<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<bool>>> {
        self.cpu_only("spike")?;
        let neuron = &self.neuron;
        let spikes = py.detach(|| neuron.spikes_to_host()).map_err(to_py)?;
        Ok(PyArray1::from_vec(py, spikes))
    }

    /// The voltage in `dtype` as a new flat numpy array (f16 and bf16 as
    /// their bits, in uint16). CPU neurons only.
    fn voltage_array<'py>(&mut self, py: Python<'py>, dtype: &str) -> PyResult<Bound<'py, PyAny>> {
        self.cpu_only("voltage")?;
        let dtype = float_dtype_named(dtype)?;
        let neuron = &mut self.neuron;
        let values = py.detach(|| neuron.voltage(dtype)).map_err(to_py)?;
        Ok(host_array(py, values))
    }

    /// The refractory time in `dtype`, as [`voltage_array`](Self::voltage_array).
    fn refrac_array<'py>(&mut self, py: Python<'py>, dtype: &str) -> PyResult<Bound<'py, PyAny>> {
        self.cpu_only("refrac")?;
        let dtype = float_dtype_named(dtype)?;
        let neuron = &mut self.neuron;
        let values = py.detach(|| neuron.refrac(dtype)).map_err(to_py)?;
        Ok(host_array(py, values))
    }

    /// The device address of the spike bytes, ordered before later work on
    /// torch's stream `stream`. CUDA neurons only.
    fn spike_address(&mut self, py: Python<'_>, stream: usize) -> PyResult<usize> {
        self.device_view(py, stream, |neuron, own| Ok(address(neuron.spike(), own)))
    }

    /// The device address of the voltage in `dtype` (computed if stale),
    /// ordered before later work on torch's stream `stream`.
    fn voltage_address(&mut self, py: Python<'_>, dtype: &str, stream: usize) -> PyResult<usize> {
        let dtype = float_dtype_named(dtype)?;
        self.device_view(py, stream, |neuron, own| match dtype {
            DType::F16 => Ok(address(neuron.voltage::<exact_neuron::half::f16>()?, own)),
            DType::BF16 => Ok(address(neuron.voltage::<exact_neuron::half::bf16>()?, own)),
            DType::F32 => Ok(address(neuron.voltage::<f32>()?, own)),
            _ => Ok(address(neuron.voltage::<f64>()?, own)),
        })
    }

    /// The device address of the refractory time in `dtype`, as
    /// [`voltage_address`](Self::voltage_address).
    fn refrac_address(&mut self, py: Python<'_>, dtype: &str, stream: usize) -> PyResult<usize> {
        let dtype = float_dtype_named(dtype)?;
        self.device_view(py, stream, |neuron, own| match dtype {
            DType::F16 => Ok(address(neuron.refrac::<exact_neuron::half::f16>()?, own)),
            DType::BF16 => Ok(address(neuron.refrac::<exact_neuron::half::bf16>()?, own)),
            DType::F32 => Ok(address(neuron.refrac::<f32>()?, own)),
            _ => Ok(address(neuron.refrac::<f64>()?, own)),
        })
    }
}

impl NativeNeuron {
    /// `work` on the neuron with the GIL released, on a CUDA neuron ordered
    /// after the caller's stream `stream`.
    fn run(
        &mut self,
        py: Python<'_>,
        stream: usize,
        work: impl FnOnce(&mut AnyNeuron) -> exact_neuron::Result<()> + Send,
    ) -> PyResult<()> {
        let neuron = &mut self.neuron;
        py.detach(|| match neuron {
            AnyNeuron::Cpu(_) => work(neuron),
            AnyNeuron::Cuda(cuda) => {
                let own = cuda.device().stream().clone();
                on_current_stream(&own, stream, || work(neuron))
            }
        })
        .map_err(to_py)
    }

    /// `view` of a CUDA neuron, ordered after and before the caller's
    /// stream `stream`.
    fn device_view(
        &mut self,
        py: Python<'_>,
        stream: usize,
        view: impl FnOnce(&mut CudaNeuron, &CudaStream) -> exact_neuron::Result<usize> + Send,
    ) -> PyResult<usize> {
        let AnyNeuron::Cuda(neuron) = &mut self.neuron else {
            return Err(PyValueError::new_err("a cpu neuron has no device buffers"));
        };
        py.detach(|| {
            let own = neuron.device().stream().clone();
            on_current_stream(&own, stream, || view(neuron, &own))
        })
        .map_err(to_py)
    }

    fn cpu_only(&self, what: &str) -> PyResult<()> {
        match self.neuron {
            AnyNeuron::Cpu(_) => Ok(()),
            AnyNeuron::Cuda(_) => Err(PyValueError::new_err(format!(
                "the {what} of a cuda neuron is read through its device address"
            ))),
        }
    }
}

/// One step of a host neuron.
fn host_step(
    neuron: &mut AnyNeuron,
    step: Step,
    values: HostSlice<'_>,
) -> exact_neuron::Result<()> {
    match step {
        Step::Threshold => neuron.forward(values),
        Step::Override => neuron.forward_override(values),
    }
}

/// The device address of `buffer`, a buffer of the neuron on `stream`.
fn address<T>(buffer: &CudaSlice<T>, stream: &CudaStream) -> usize {
    let (ptr, _record) = buffer.device_ptr(stream);
    ptr as usize
}

/// Host values as a flat numpy array that owns them; f16 and bf16 as their
/// bits in uint16, which the Python half views as its float type.
fn host_array(py: Python<'_>, values: HostValues) -> Bound<'_, PyAny> {
    match values {
        HostValues::F32(v) => PyArray1::from_vec(py, v).into_any(),
        HostValues::F64(v) => PyArray1::from_vec(py, v).into_any(),
        HostValues::F16(v) => {
            PyArray1::from_vec(py, v.into_iter().map(|x| x.to_bits()).collect::<Vec<u16>>())
                .into_any()
        }
        HostValues::BF16(v) => {
            PyArray1::from_vec(py, v.into_iter().map(|x| x.to_bits()).collect::<Vec<u16>>())
                .into_any()
        }
        HostValues::Bool(v) => PyArray1::from_vec(py, v).into_any(),
        HostValues::U8(v) => PyArray1::from_vec(py, v).into_any(),
    }
}
