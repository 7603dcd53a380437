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

use cudarc::driver::{CudaSlice, CudaStream, DevicePtr, DevicePtrMut};

pub use probe::{default_stream, probe};
pub use raw::{DeviceValues, RawView};

use crate::device::{
    check_bits_len, check_len, step_state_first_row, step_state_start, KernelDevice, StepVoltage,
};
use crate::dtype::{DType, Element, OverrideValue, ThresholdInput, VoltageElement};
use crate::dynamic::DynInput;
use crate::error::{Error, Result};
use crate::kernel::SpikeRule;
use crate::launch::{ArgValue, GridLimits, LaunchPlan, VoltageTarget, MAX_ARGS};
use crate::neuron::ExactNeuron;
use crate::pair_launch::PairLaunch;
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
        let kernels = registry::kernels_for(stream.context())?;
        Ok(Cuda {
            limits: kernels.grid_limits(),
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

impl Cuda {
    /// The launch of every operation that reads one buffer and writes
    /// another (`call` says which): both buffers' contexts and lengths are
    /// checked before their addresses are taken.
    fn launch_pair<I, O>(
        &self,
        call: PairLaunch,
        input: &(dyn DevicePtr<I> + '_),
        output: &mut CudaSlice<O>,
    ) -> Result<()> {
        let (input_name, output_name) = call.names();
        self.check_context(input_name, input)?;
        self.check_context(output_name, output)?;
        call.check(input.len(), output.len())?;
        let (input_len, output_len) = (input.len(), output.len());
        // The guards make the stream wait for earlier writes of the buffers
        // and, when dropped after the launch, record this use for other
        // streams (cudarc's event tracking).
        let (input, _read) = input.device_ptr(&self.stream);
        let (output, _write) = output.device_ptr_mut(&self.stream);
        let plan = call.plan(output, output_len, input, input_len, self.limits)?;
        // SAFETY: both addresses are of live buffers on this stream's
        // context (both contexts checked above) whose lengths fit the call
        // (checked above, and again by `plan`), so the entry touches only
        // their elements; the guards keep them in use until the launch is
        // queued, and cudarc frees a buffer only after the stream's queued
        // work on it.
        unsafe { self.launch(&plan) }
    }

    /// A fused step by `rule`, bytes or bits, after the checks of every
    /// safe launch. `spikes` is the byte or word output's address and
    /// `state` the state's address and first element (or row) copied.
    #[allow(clippy::too_many_arguments)]
    fn fused<T: Element, V: VoltageElement>(
        &self,
        rule: SpikeRule,
        inputs: &(dyn DevicePtr<T> + '_),
        bits: Option<(usize, usize)>,
        spikes: u64,
        voltage: Option<StepVoltage<'_, CudaSlice<V>, V>>,
        state: Option<(u64, usize)>,
    ) -> Result<()> {
        let n = inputs.len();
        let (input, _read) = inputs.device_ptr(&self.stream);
        let (target, _volt) = match voltage {
            Some(StepVoltage { out, rest, thresh }) => {
                self.check_context("voltage buffer", out)?;
                check_len("voltage buffer", n, out.len())?;
                let (addr, guard) = out.device_ptr_mut(&self.stream);
                (Some(VoltageTarget::of(addr, rest, thresh)), Some(guard))
            }
            None => (None, None),
        };
        let plan = match bits {
            None => {
                LaunchPlan::step_dyn(rule, T::DTYPE, n, spikes, input, target, state, self.limits)
            }
            Some((rows, count)) => LaunchPlan::step_bits_dyn(
                rule,
                T::DTYPE,
                rows,
                count,
                spikes,
                input,
                target,
                state,
                self.limits,
            ),
        }?;
        // SAFETY: the caller checked that the spike (or word) output and
        // the state live on this context with the lengths the plan
        // implies; the inputs and the voltage were checked above; every
        // guard lives until the launch is queued.
        unsafe { self.launch(&plan) }
    }

    /// The checks and addresses of a byte step's outputs, then the launch.
    fn step_bytes<T: Element, V: VoltageElement>(
        &self,
        rule: SpikeRule,
        inputs: &(dyn DevicePtr<T> + '_),
        spikes: &mut CudaSlice<u8>,
        voltage: Option<StepVoltage<'_, CudaSlice<V>, V>>,
        state: Option<&mut CudaSlice<u8>>,
    ) -> Result<()> {
        self.check_context("inputs", inputs)?;
        self.check_context("spikes", spikes)?;
        check_len("inputs", spikes.len(), inputs.len())?;
        let (out, _write) = spikes.device_ptr_mut(&self.stream);
        let (state, _state) = match state {
            Some(state) => {
                self.check_context("spike state", state)?;
                let last = step_state_start(inputs.len(), state.len())?;
                let (addr, guard) = state.device_ptr_mut(&self.stream);
                (Some((addr, last)), Some(guard))
            }
            None => (None, None),
        };
        self.fused(rule, inputs, None, out, voltage, state)
    }

    /// The checks and addresses of a bit step's outputs, then the launch.
    #[allow(clippy::too_many_arguments)]
    fn step_words<T: Element, V: VoltageElement>(
        &self,
        rule: SpikeRule,
        inputs: &(dyn DevicePtr<T> + '_),
        rows: usize,
        count: usize,
        words: &mut CudaSlice<u32>,
        voltage: Option<StepVoltage<'_, CudaSlice<V>, V>>,
        state: Option<&mut CudaSlice<u32>>,
    ) -> Result<()> {
        self.check_context("inputs", inputs)?;
        self.check_context("spike words", words)?;
        check_bits_len("inputs", rows, count, inputs.len(), words.len())?;
        let total = words.len();
        let (out, _write) = words.device_ptr_mut(&self.stream);
        let (state, _state) = match state {
            Some(state) => {
                self.check_context("spike state words", state)?;
                let last_row = step_state_first_row(rows, count, total, state.len())?;
                let (addr, guard) = state.device_ptr_mut(&self.stream);
                (Some((addr, last_row)), Some(guard))
            }
            None => (None, None),
        };
        self.fused(rule, inputs, Some((rows, count)), out, voltage, state)
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
    type Words = CudaSlice<u32>;
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

    fn with_buffer_input<T: Element, R>(
        &self,
        buffer: &CudaSlice<T>,
        f: impl FnOnce(&(dyn DevicePtr<T> + '_)) -> R,
    ) -> Result<R> {
        Ok(f(buffer))
    }

    fn threshold<T: ThresholdInput>(
        &self,
        inputs: &(dyn DevicePtr<T> + '_),
        spikes: &mut CudaSlice<u8>,
    ) -> Result<()> {
        self.launch_pair(PairLaunch::threshold(T::DTYPE), inputs, spikes)
    }

    fn overrides<T: OverrideValue>(
        &self,
        values: &(dyn DevicePtr<T> + '_),
        spikes: &mut CudaSlice<u8>,
    ) -> Result<()> {
        self.launch_pair(PairLaunch::overrides(T::DTYPE), values, spikes)
    }

    fn voltage<T: VoltageElement>(
        &self,
        spikes: &CudaSlice<u8>,
        rest: T,
        thresh: T,
        out: &mut CudaSlice<T>,
    ) -> Result<()> {
        let call = PairLaunch::voltage(T::DTYPE, rest.to_bits_u64(), thresh.to_bits_u64());
        self.launch_pair(call, spikes, out)
    }

    fn alloc_words(&self, len: usize) -> Result<CudaSlice<u32>> {
        if len == 0 {
            return Ok(self.stream.null::<u32>()?);
        }
        Ok(self.stream.alloc_zeros::<u32>(len)?)
    }

    fn words_len(words: &CudaSlice<u32>) -> usize {
        words.len()
    }

    fn upload_words(&self, src: &[u32], dst: &mut CudaSlice<u32>) -> Result<()> {
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

    fn download_words(&self, src: &CudaSlice<u32>, dst: &mut [u32]) -> Result<()> {
        self.check_context("download source", src)?;
        check_len("download destination", src.len(), dst.len())?;
        if dst.is_empty() {
            return Ok(());
        }
        self.stream.memcpy_dtoh(src, dst)?;
        self.stream.synchronize()?;
        Ok(())
    }

    fn threshold_bits<T: ThresholdInput>(
        &self,
        inputs: &(dyn DevicePtr<T> + '_),
        rows: usize,
        count: usize,
        words: &mut CudaSlice<u32>,
    ) -> Result<()> {
        let call = PairLaunch::pack_bits(SpikeRule::Threshold, T::DTYPE, rows, count);
        self.launch_pair(call, inputs, words)
    }

    fn overrides_bits<T: OverrideValue>(
        &self,
        values: &(dyn DevicePtr<T> + '_),
        rows: usize,
        count: usize,
        words: &mut CudaSlice<u32>,
    ) -> Result<()> {
        let call = PairLaunch::pack_bits(SpikeRule::Override, T::DTYPE, rows, count);
        self.launch_pair(call, values, words)
    }

    fn pack_bits(
        &self,
        bytes: &CudaSlice<u8>,
        rows: usize,
        count: usize,
        words: &mut CudaSlice<u32>,
    ) -> Result<()> {
        let call = PairLaunch::pack_bits(SpikeRule::Override, DType::U8, rows, count);
        self.launch_pair(call, bytes, words)
    }

    fn unpack_bits(
        &self,
        words: &CudaSlice<u32>,
        rows: usize,
        count: usize,
        bytes: &mut CudaSlice<u8>,
    ) -> Result<()> {
        self.launch_pair(PairLaunch::unpack_bits(rows, count), words, bytes)
    }

    fn voltage_bits<T: VoltageElement>(
        &self,
        words: &CudaSlice<u32>,
        rows: usize,
        count: usize,
        rest: T,
        thresh: T,
        out: &mut CudaSlice<T>,
    ) -> Result<()> {
        let (rest, thresh) = (rest.to_bits_u64(), thresh.to_bits_u64());
        let call = PairLaunch::voltage_bits(T::DTYPE, rows, count, rest, thresh);
        self.launch_pair(call, words, out)
    }

    fn step<T: ThresholdInput, V: VoltageElement>(
        &self,
        inputs: &(dyn DevicePtr<T> + '_),
        spikes: &mut CudaSlice<u8>,
        voltage: Option<StepVoltage<'_, CudaSlice<V>, V>>,
        state: Option<&mut CudaSlice<u8>>,
    ) -> Result<()> {
        self.step_bytes(SpikeRule::Threshold, inputs, spikes, voltage, state)
    }

    fn step_override<T: OverrideValue, V: VoltageElement>(
        &self,
        values: &(dyn DevicePtr<T> + '_),
        spikes: &mut CudaSlice<u8>,
        voltage: Option<StepVoltage<'_, CudaSlice<V>, V>>,
        state: Option<&mut CudaSlice<u8>>,
    ) -> Result<()> {
        self.step_bytes(SpikeRule::Override, values, spikes, voltage, state)
    }

    fn step_bits<T: ThresholdInput, V: VoltageElement>(
        &self,
        inputs: &(dyn DevicePtr<T> + '_),
        rows: usize,
        count: usize,
        words: &mut CudaSlice<u32>,
        voltage: Option<StepVoltage<'_, CudaSlice<V>, V>>,
        state: Option<&mut CudaSlice<u32>>,
    ) -> Result<()> {
        self.step_words(
            SpikeRule::Threshold,
            inputs,
            rows,
            count,
            words,
            voltage,
            state,
        )
    }

    fn step_bits_override<T: OverrideValue, V: VoltageElement>(
        &self,
        values: &(dyn DevicePtr<T> + '_),
        rows: usize,
        count: usize,
        words: &mut CudaSlice<u32>,
        voltage: Option<StepVoltage<'_, CudaSlice<V>, V>>,
        state: Option<&mut CudaSlice<u32>>,
    ) -> Result<()> {
        self.step_words(
            SpikeRule::Override,
            values,
            rows,
            count,
            words,
            voltage,
            state,
        )
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
