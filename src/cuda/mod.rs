//! The CUDA backend: the embedded PTX kernels, launched through cudarc.
//!
//! A [`Cuda`] device is a caller's stream plus the kernel modules of that
//! stream's context (loaded once per context, shared by every neuron on it).
//! Every operation is asynchronous on the stream: `forward`,
//! `forward_override` and `clear` allocate nothing and never wait for the
//! GPU, so a step can be captured into a CUDA graph. Only the host copies of
//! the spike state synchronise.
//!
//! ```no_run
//! use exact_neuron::{cuda, CudaNeuron, NeuronParams};
//!
//! let stream = cuda::default_stream(0)?;
//! let params = NeuronParams::new([1024], 1.0, -60.0, -50.0).with_batch_size(64);
//! let mut neuron = CudaNeuron::cuda(stream.clone(), &params)?;
//! let inputs = stream.clone_htod(&vec![1.0f32; neuron.len()])?;
//! neuron.forward::<f32>(&inputs)?;
//! let voltage = neuron.voltage::<f32>()?; // a CudaSlice<f32> on the stream
//! assert_eq!(voltage.len(), 64 * 1024);
//! # Ok::<(), exact_neuron::Error>(())
//! ```

mod probe;
mod raw;
mod registry;

use std::ffi::c_void;
use std::sync::Arc;

use cudarc::driver::sys::CUdevice_attribute;
use cudarc::driver::{CudaSlice, CudaStream, DevicePtr, DevicePtrMut};

pub use probe::{default_stream, probe};
pub use raw::{DeviceValues, RawView};

use crate::device::{check_len, KernelDevice};
use crate::dtype::{DType, Element, OverrideValue, ThresholdInput, VoltageElement};
use crate::dynamic::DynInput;
use crate::error::{Error, Result};
use crate::launch::{ArgValue, GridLimits, LaunchPlan, MAX_ARGS};
use crate::neuron::ExactNeuron;
use crate::params::NeuronParams;
use registry::KernelSet;

/// A CUDA stream as a kernel device.
#[derive(Clone)]
pub struct Cuda {
    stream: Arc<CudaStream>,
    kernels: Arc<KernelSet>,
    limits: GridLimits,
}

/// An [`ExactNeuron`] on a CUDA stream.
pub type CudaNeuron = ExactNeuron<Cuda>;

impl ExactNeuron<Cuda> {
    /// A neuron group on `stream`, all spikes clear.
    pub fn cuda(stream: Arc<CudaStream>, params: &NeuronParams) -> Result<Self> {
        ExactNeuron::with_device(Cuda::new(stream)?, params)
    }
}

impl Cuda {
    /// The device for `stream`. Loads the kernel modules into the stream's
    /// context unless a live device on that context has already.
    pub fn new(stream: Arc<CudaStream>) -> Result<Cuda> {
        let context = stream.context();
        let multiprocessors =
            context.attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)?;
        let kernels = registry::kernels_for(context)?;
        Ok(Cuda {
            limits: GridLimits::for_multiprocessors(u32::try_from(multiprocessors).unwrap_or(1)),
            stream,
            kernels,
        })
    }

    /// The same device with other grid limits (tests use a tiny grid to
    /// exercise the kernels' grid-stride loops).
    pub fn with_grid_limits(mut self, limits: GridLimits) -> Cuda {
        self.limits = limits;
        self
    }

    /// The stream every operation is queued on.
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }

    /// The grid limits of every launch.
    pub fn grid_limits(&self) -> GridLimits {
        self.limits
    }

    /// Whether two devices use the same loaded kernel modules (true for any
    /// two devices on one context while either is alive).
    pub fn shares_kernels_with(&self, other: &Cuda) -> bool {
        Arc::ptr_eq(&self.kernels, &other.kernels)
    }

    /// `Ok` when `buffer` lives on this device's context, else
    /// [`Error::WrongContext`] naming `what`. Every buffer handed to a
    /// launch is checked with it first.
    fn check_context<T>(
        &self,
        what: &'static str,
        buffer: &(impl DevicePtr<T> + ?Sized),
    ) -> Result<()> {
        if buffer.stream().context().cu_ctx() == self.stream.context().cu_ctx() {
            Ok(())
        } else {
            Err(Error::WrongContext { what })
        }
    }

    /// Queues `plan` on the stream: the low-level launch, on raw device
    /// addresses. The safe [`KernelDevice`] methods check their buffers'
    /// lengths and contexts and then call this; a caller that holds only
    /// addresses (a C caller's `cudaMalloc`'d memory) builds the plan with
    /// [`LaunchPlan`] and calls it directly. An empty plan queues nothing.
    ///
    /// # Safety
    /// Every address in the plan must point into device memory of this
    /// stream's context that is live, holds at least `n` elements of the
    /// entry's input and output types (`n` is the plan's element count),
    /// and stays valid, and unused by anything that would race with the
    /// kernel, until the kernel has run on the stream.
    pub unsafe fn launch(&self, plan: &LaunchPlan) -> Result<()> {
        if plan.is_empty() {
            return Ok(());
        }
        let function = self.kernels.function(plan.kernel());
        let mut values = [ArgValue::U64(0); MAX_ARGS];
        values[..plan.args().len()].copy_from_slice(plan.args());
        let mut params = [std::ptr::null_mut::<c_void>(); MAX_ARGS];
        for (param, value) in params.iter_mut().zip(values.iter_mut()) {
            *param = match value {
                ArgValue::U64(bits) | ArgValue::B64(bits) => bits as *mut u64 as *mut c_void,
                ArgValue::B32(bits) => bits as *mut u32 as *mut c_void,
            };
        }
        self.stream.context().bind_to_thread()?;
        // SAFETY: `function` was loaded into this stream's context (the
        // kernel set is looked up by context). `params` holds one pointer per
        // `.param` of the entry, in order and of the declared width, because
        // `LaunchPlan` checked the list against the entry's declaration in
        // the generated table; each points into `values`, which outlives the
        // call (the driver copies the values before `cuLaunchKernel`
        // returns). The grid and block are within CUDA's limits by
        // `GridLimits`. The kernel touches elements below `n` only (it
        // clamps the vector-group count), and the caller guarantees that the
        // buffers hold `n` elements of this context.
        unsafe {
            cudarc::driver::result::launch_kernel(
                function.cu_function(),
                (plan.grid(), 1, 1),
                (plan.block(), 1, 1),
                0,
                self.stream.cu_stream(),
                &mut params[..plan.args().len()],
            )?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Cuda {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cuda")
            .field("ordinal", &self.stream.context().ordinal())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl KernelDevice for Cuda {
    type Buffer<T: Element> = CudaSlice<T>;
    type Slice<'a, T: Element>
        = dyn DevicePtr<T> + 'a
    where
        T: 'a;

    fn alloc_zeroed<T: Element>(&self, len: usize) -> Result<CudaSlice<T>> {
        if len == 0 {
            return Ok(self.stream.null::<T>()?);
        }
        Ok(self.stream.alloc_zeros::<T>(len)?)
    }

    fn zero<T: Element>(&self, buf: &mut CudaSlice<T>) -> Result<()> {
        if !buf.is_empty() {
            self.stream.memset_zeros(buf)?;
        }
        Ok(())
    }

    fn buffer_len<T: Element>(buf: &CudaSlice<T>) -> usize {
        buf.len()
    }

    fn slice_len<T: Element>(slice: &(dyn DevicePtr<T> + '_)) -> usize {
        slice.len()
    }

    fn upload<T: Element>(&self, src: &[T], dst: &mut CudaSlice<T>) -> Result<()> {
        self.check_context("upload destination", dst)?;
        check_len("upload source", dst.len(), src.len())?;
        if src.is_empty() {
            return Ok(());
        }
        self.stream.memcpy_htod(src, dst)?;
        // The host slice is borrowed only for this call.
        self.stream.synchronize()?;
        Ok(())
    }

    fn download<T: Element>(&self, src: &CudaSlice<T>, dst: &mut [T]) -> Result<()> {
        self.check_context("download source", src)?;
        check_len("download destination", src.len(), dst.len())?;
        if dst.is_empty() {
            return Ok(());
        }
        self.stream.memcpy_dtoh(src, dst)?;
        self.stream.synchronize()?;
        Ok(())
    }

    fn alloc_from<T: Element>(&self, src: &[T]) -> Result<CudaSlice<T>> {
        if src.is_empty() {
            return Ok(self.stream.null::<T>()?);
        }
        let buffer = self.stream.clone_htod(src)?;
        // The host slice is borrowed only for this call.
        self.stream.synchronize()?;
        Ok(buffer)
    }

    fn with_input<T: Element, R>(
        &self,
        host: &[T],
        f: impl FnOnce(&(dyn DevicePtr<T> + '_)) -> R,
    ) -> Result<R> {
        let staged = self.alloc_from(host)?;
        Ok(f(&staged))
    }

    fn threshold<T: ThresholdInput>(
        &self,
        inputs: &(dyn DevicePtr<T> + '_),
        spikes: &mut CudaSlice<u8>,
    ) -> Result<()> {
        self.check_context("inputs", inputs)?;
        self.check_context("spike state", spikes)?;
        check_len("inputs", spikes.len(), inputs.len())?;
        let n = spikes.len();
        // The guards make the stream wait for earlier writes of the buffers
        // and, when dropped after the launch, record this use for other
        // streams (cudarc's event tracking).
        let (input, _read) = inputs.device_ptr(&self.stream);
        let (out, _write) = spikes.device_ptr_mut(&self.stream);
        let plan = LaunchPlan::threshold::<T>(n, out, input, self.limits)?;
        // SAFETY: both addresses are of live buffers on this stream's context
        // (both checked above) with `n` elements each (checked above); the guards keep them in use until
        // the launch is queued, and cudarc frees a buffer only after the
        // stream's queued work on it.
        unsafe { self.launch(&plan) }
    }

    fn overrides<T: OverrideValue>(
        &self,
        values: &(dyn DevicePtr<T> + '_),
        spikes: &mut CudaSlice<u8>,
    ) -> Result<()> {
        self.check_context("override", values)?;
        self.check_context("spike state", spikes)?;
        check_len("override", spikes.len(), values.len())?;
        let n = spikes.len();
        let (input, _read) = values.device_ptr(&self.stream);
        let (out, _write) = spikes.device_ptr_mut(&self.stream);
        let plan = LaunchPlan::overrides::<T>(n, out, input, self.limits)?;
        // SAFETY: as in `threshold`: live buffers of this context with `n`
        // elements each, checked above.
        unsafe { self.launch(&plan) }
    }

    fn voltage<T: VoltageElement>(
        &self,
        spikes: &CudaSlice<u8>,
        rest: T,
        thresh: T,
        out: &mut CudaSlice<T>,
    ) -> Result<()> {
        self.check_context("spike state", spikes)?;
        self.check_context("voltage buffer", out)?;
        check_len("voltage buffer", spikes.len(), out.len())?;
        let n = spikes.len();
        let (input, _read) = spikes.device_ptr(&self.stream);
        let (output, _write) = out.device_ptr_mut(&self.stream);
        let plan = LaunchPlan::voltage::<T>(n, output, input, rest, thresh, self.limits)?;
        // SAFETY: both buffers live on this stream's context (checked above)
        // with `n` elements each (checked above); the guards keep them in
        // use until the launch is queued.
        unsafe { self.launch(&plan) }
    }
}

/// Device values by address are an input of the device on their context.
impl DynInput<Cuda> for DeviceValues {
    fn dtype(&self) -> DType {
        DeviceValues::dtype(self)
    }

    fn len(&self) -> usize {
        DeviceValues::len(self)
    }

    fn with_typed<T: Element, R>(
        &self,
        _device: &Cuda,
        f: impl FnOnce(&(dyn DevicePtr<T> + '_)) -> R,
    ) -> Result<R> {
        Ok(f(&self.view::<T>()?))
    }
}
