//! `PtxDevice`: a `KernelDevice` whose kernels run in the interpreter.
//!
//! It is built like the CUDA backend: every operation checks lengths, builds
//! its `LaunchPlan` with the shared host code from the buffers' addresses
//! and the device's grid limits, and hands the plan over (here to
//! `exec::launch_plan` instead of the driver). Around each launch it adds
//! the checks a GPU cannot make:
//!
//! - the output range is poisoned first (spike bytes 0xA5, voltages a NaN
//!   pattern no kernel can produce), and every output element must have been
//!   written afterwards;
//! - nothing but the output range may change: the whole device memory is
//!   compared before and after, so a stray write into a guard byte, the
//!   input or any other buffer fails the launch;
//! - buffers and staged inputs can sit at any element offset inside a larger
//!   allocation with guard bytes around them (`Layout`), so that odd offsets
//!   take the scalar path and the guards catch writes past either end.
//!
//! The device is a cheap handle: clones share one memory and one set of
//! parsed modules (`Rc<RefCell<..>>`), as clones of a CUDA stream share a
//! context. Buffers free their allocation when dropped; addresses are never
//! reused, so a dangling pointer traps.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;

use exact_neuron::device::{
    check_bits_len, check_len, step_state_first_row, step_state_start, StepVoltage,
};
use exact_neuron::kernel::{Op, SpikeRule};
use exact_neuron::launch::{GridLimits, LaunchPlan, VoltageTarget};
use exact_neuron::pair_launch::PairLaunch;
use exact_neuron::{
    DType, Element, Error, KernelDevice, OverrideValue, Result, ThresholdInput, VoltageElement,
};

use super::exec::{launch_plan, ExecOptions, LaunchStats};
use super::ir::Module;
use super::lexer::ParseError;
use super::memory::Memory;
use super::parser::parse_module;

/// Where buffers sit inside their allocations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Guard bytes before and after the data (a multiple of 16, so that the
    /// data's alignment is set by the offsets alone).
    pub guard: usize,
    /// Elements of padding before a staged input (`stage_input`).
    pub input_offset: usize,
    /// Elements of padding before a byte buffer (`Buffer<u8>`: spikes).
    pub byte_offset: usize,
    /// Elements of padding before any other buffer (voltage views).
    pub value_offset: usize,
}

impl Layout {
    /// Data at the start of an allocation of exactly its size: an access one
    /// byte past either end is outside the allocation.
    pub const TIGHT: Layout = Layout {
        guard: 0,
        input_offset: 0,
        byte_offset: 0,
        value_offset: 0,
    };

    /// 16-byte aligned data between 64 guard bytes on each side.
    pub const GUARDED: Layout = Layout {
        guard: 64,
        input_offset: 0,
        byte_offset: 0,
        value_offset: 0,
    };
}

/// Bytes around the data that the kernels must never touch.
const GUARD_PATTERN: [u8; 4] = [0x5A, 0xC3, 0x3C, 0x96];

/// The poison written over an output before a launch, as the bits of one
/// element of `dtype`: never 0 or 1 for spikes, a NaN for voltages (a
/// voltage is `rest_v` or `thresh_v`, which are never NaN).
pub fn poison_bits(dtype: DType) -> u64 {
    match dtype {
        DType::Bool | DType::U8 => 0xA5,
        DType::F16 => 0x7DAD,
        DType::BF16 => 0x7FAD,
        DType::F32 => 0x7FBA_DBAD,
        DType::F64 => 0x7FF5_BAD0_BAD0_BAD0,
    }
}

fn poison_bytes(dtype: DType) -> Vec<u8> {
    poison_bits(dtype).to_le_bytes()[..dtype.size()].to_vec()
}

/// One output range of a launch: `len` elements whose poison is `poison`
/// (one element's bytes).
struct Output {
    addr: u64,
    len: usize,
    poison: Vec<u8>,
    /// Spike bytes, which must be 0 or 1.
    spikes: bool,
}

impl Output {
    fn bytes(&self) -> usize {
        self.len * self.poison.len()
    }

    /// Words: poisoned with a pattern that has a padding bit set in every
    /// byte, which no packing kernel writes for a row of fewer than 32.
    fn words(addr: u64, len: usize) -> Output {
        Output {
            addr,
            len,
            poison: 0xA5A5_A5A5u32.to_le_bytes().to_vec(),
            spikes: false,
        }
    }

    fn values(addr: u64, len: usize, dtype: DType) -> Output {
        Output {
            addr,
            len,
            poison: poison_bytes(dtype),
            spikes: dtype == DType::U8,
        }
    }
}

/// What every clone of a device shares.
struct State {
    memory: Memory,
    /// The parsed module of each operation, in `Op::ALL` order.
    modules: Vec<Module>,
    stats: LaunchStats,
    options: ExecOptions,
}

/// The interpreter as a kernel device.
#[derive(Clone)]
pub struct PtxDevice {
    state: Rc<RefCell<State>>,
    limits: GridLimits,
    layout: Layout,
}

/// A device buffer: `len` elements at `addr`, inside the allocation at
/// `base`.
pub struct PtxBuffer<T> {
    state: Rc<RefCell<State>>,
    base: u64,
    addr: u64,
    len: usize,
    _element: PhantomData<T>,
}

/// A borrowed device input: an address and a length, like a `CudaView`.
pub struct PtxSlice<'a, T> {
    addr: u64,
    len: usize,
    _borrow: PhantomData<&'a T>,
}

impl<T> PtxBuffer<T> {
    /// Address of the first element.
    pub fn addr(&self) -> u64 {
        self.addr
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The whole buffer as an input.
    pub fn as_slice(&self) -> PtxSlice<'_, T> {
        PtxSlice {
            addr: self.addr,
            len: self.len,
            _borrow: PhantomData,
        }
    }
}

impl<T> PtxSlice<'_, T> {
    pub fn addr(&self) -> u64 {
        self.addr
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<T> Drop for PtxBuffer<T> {
    fn drop(&mut self) {
        // A buffer dropped while the device is busy (never, in the tests)
        // leaks its allocation rather than panicking in a destructor.
        if let Ok(mut state) = self.state.try_borrow_mut() {
            let _ = state.memory.free(self.base);
        }
    }
}

fn device_error(message: impl Into<String>) -> Error {
    Error::Device(message.into())
}

/// Copies bytes into elements of `T`.
pub fn from_bytes<T: Element>(bytes: &[u8]) -> std::result::Result<Vec<T>, String> {
    let size = std::mem::size_of::<T>();
    if bytes.len() % size != 0 {
        return Err(format!("{} bytes are not whole {}s", bytes.len(), T::DTYPE));
    }
    // Every bit pattern is a valid value of every element type but bool,
    // whose bytes must be 0 or 1.
    if T::DTYPE == DType::Bool && bytes.iter().any(|&b| b > 1) {
        return Err("a bool buffer holds a byte other than 0 and 1".into());
    }
    let mut out = vec![T::zeroed(); bytes.len() / size];
    // SAFETY: `out` owns exactly `bytes.len()` bytes of plain-data elements
    // (`Element: NoUninit`), the regions do not overlap, and the bytes form
    // valid values of `T` (checked above for bool, the only type with
    // invalid bit patterns).
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), out.as_mut_ptr().cast::<u8>(), bytes.len());
    }
    Ok(out)
}

impl Default for PtxDevice {
    fn default() -> Self {
        PtxDevice::new()
    }
}

impl PtxDevice {
    /// The device running the kernels the library embeds (`Op::ptx()`, the
    /// text the CUDA backend loads), with a small GPU's grid limits and
    /// guarded buffers.
    pub fn new() -> PtxDevice {
        let modules = exact_neuron::kernel::Op::ALL
            .iter()
            .map(|op| {
                parse_module(op.ptx())
                    .unwrap_or_else(|err| panic!("kernels/{}.ptx: {err}", op.name()))
            })
            .collect();
        PtxDevice::with_modules(modules)
    }

    fn with_modules(modules: Vec<Module>) -> PtxDevice {
        PtxDevice {
            state: Rc::new(RefCell::new(State {
                memory: Memory::new(),
                modules,
                stats: LaunchStats::default(),
                options: ExecOptions::default(),
            })),
            limits: GridLimits::for_multiprocessors(2),
            layout: Layout::GUARDED,
        }
    }

    /// A device whose module for `op` is `ptx` instead of the library's (the
    /// broken-kernel tests); the other two modules are the library's.
    pub fn with_source(op: Op, ptx: &str) -> std::result::Result<PtxDevice, ParseError> {
        let mut modules = Vec::new();
        for other in Op::ALL {
            let text = if other == op { ptx } else { other.ptx() };
            modules.push(parse_module(text)?);
        }
        Ok(PtxDevice::with_modules(modules))
    }

    /// The same device (shared memory) launching with other grid limits.
    pub fn with_grid_limits(mut self, limits: GridLimits) -> PtxDevice {
        self.limits = limits;
        self
    }

    /// The same device (shared memory) placing new buffers by `layout`.
    pub fn with_layout(mut self, layout: Layout) -> PtxDevice {
        assert_eq!(layout.guard % 16, 0, "guards keep 16-byte alignment");
        self.layout = layout;
        self
    }

    pub fn grid_limits(&self) -> GridLimits {
        self.limits
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Everything launched on this device (all clones) so far.
    pub fn stats(&self) -> LaunchStats {
        self.state.borrow().stats
    }

    /// Live allocations (buffers and staged inputs not yet dropped).
    pub fn live_allocations(&self) -> usize {
        self.state.borrow().memory.live()
    }

    fn owns<T>(&self, buffer: &PtxBuffer<T>) -> Result<()> {
        if Rc::ptr_eq(&self.state, &buffer.state) {
            Ok(())
        } else {
            Err(device_error("buffer belongs to another interpreter device"))
        }
    }

    /// A new buffer of `len` elements of `size` bytes, `offset` elements
    /// into an allocation between guards, its data zeroed.
    fn allocate<T>(&self, len: usize, size: usize, offset: usize) -> PtxBuffer<T> {
        let guard = self.layout.guard;
        let before = guard + offset * size;
        let data = len * size;
        let mut state = self.state.borrow_mut();
        let base = state.memory.alloc(before + data + guard);
        let addr = base + before as u64;
        state
            .memory
            .fill(base, before, &GUARD_PATTERN)
            .and_then(|()| state.memory.fill(addr + data as u64, guard, &GUARD_PATTERN))
            .expect("guards lie inside the new allocation");
        PtxBuffer {
            state: Rc::clone(&self.state),
            base,
            addr,
            len,
            _element: PhantomData,
        }
    }

    /// A device copy of `host` at the layout's input offset: what a caller
    /// of `forward` would hand the neuron.
    pub fn stage_input<T: Element>(&self, host: &[T]) -> PtxBuffer<T> {
        let buffer = self.allocate::<T>(host.len(), T::DTYPE.size(), self.layout.input_offset);
        self.state
            .borrow_mut()
            .memory
            .write(buffer.addr, bytemuck::cast_slice(host))
            .expect("the staged data fits its allocation");
        buffer
    }

    /// A host copy of a buffer.
    pub fn read<T: Element>(&self, buffer: &PtxBuffer<T>) -> std::result::Result<Vec<T>, String> {
        self.owns(buffer).map_err(|e| e.to_string())?;
        let state = self.state.borrow();
        from_bytes(
            state
                .memory
                .read(buffer.addr, buffer.len * T::DTYPE.size())?,
        )
    }

    /// A host copy of a buffer's whole allocation, guards included.
    pub fn read_allocation<T>(&self, buffer: &PtxBuffer<T>) -> Vec<u8> {
        let state = self.state.borrow();
        let (base, len) = state
            .memory
            .allocation_of(buffer.base)
            .expect("a live buffer has an allocation");
        state
            .memory
            .read(base, len)
            .expect("an allocation reads whole")
            .to_vec()
    }

    /// Runs `plan`, which writes every element of each of `outputs` and
    /// nothing else, with the poison and the memory checks described above.
    fn run_outputs(&self, plan: &LaunchPlan, outputs: &[Output]) -> Result<()> {
        // The CUDA backend does not launch an empty plan (a grid of 0 blocks
        // is an error for the driver, and for the interpreter).
        if plan.is_empty() {
            return Ok(());
        }
        let mut state = self.state.borrow_mut();
        let State {
            memory,
            modules,
            stats,
            options,
        } = &mut *state;
        for output in outputs {
            memory
                .fill(output.addr, output.bytes(), &output.poison)
                .map_err(device_error)?;
        }
        let before = memory.snapshot();
        let module = &modules[plan.kernel().op().index()];
        let launched = launch_plan(module, plan, memory, options)
            .map_err(|err| device_error(format!("{}: {err}", plan.kernel().name())))?;
        stats.add(&launched);
        // Nothing but the outputs changed: memory must equal the snapshot
        // with the outputs' new bytes written into it.
        let mut expected = before;
        for output in outputs.iter().filter(|o| o.len > 0) {
            let written = memory
                .read(output.addr, output.bytes())
                .map_err(device_error)?
                .to_vec();
            expected = memory.with_bytes(expected, output.addr, &written);
        }
        if let Some(addr) = memory.first_change(&expected, 0..0) {
            return Err(device_error(format!(
                "{} changed memory outside its outputs at {addr:#x}",
                plan.kernel().name()
            )));
        }
        for output in outputs {
            let size = output.poison.len();
            let written = memory
                .read(output.addr, output.bytes())
                .map_err(device_error)?;
            if let Some(i) = written.chunks_exact(size).position(|e| e == output.poison) {
                return Err(device_error(format!(
                    "{} left output element {i} of {} at {:#x} unwritten",
                    plan.kernel().name(),
                    output.len,
                    output.addr
                )));
            }
            if output.spikes {
                if let Some(i) = written.iter().position(|&b| b > 1) {
                    return Err(device_error(format!(
                        "{} wrote spike byte {:#04x} at element {i}",
                        plan.kernel().name(),
                        written[i]
                    )));
                }
            }
        }
        Ok(())
    }

    /// Fails unless `slice` lies inside one live allocation of this device.
    fn check_slice<T: Element>(&self, slice: &PtxSlice<'_, T>) -> Result<()> {
        let bytes = slice.len * T::DTYPE.size();
        let state = self.state.borrow();
        match state.memory.allocation_of(slice.addr) {
            Some((base, len)) if slice.addr + bytes as u64 <= base + len as u64 => Ok(()),
            _ if bytes == 0 => Ok(()),
            _ => Err(device_error(format!(
                "input at {:#x} ({bytes} bytes) is not in this device's memory",
                slice.addr
            ))),
        }
    }
}

impl PtxDevice {
    /// The words of a word buffer.
    pub fn read_words(&self, words: &PtxBuffer<u32>) -> std::result::Result<Vec<u32>, String> {
        self.owns(words).map_err(|e| e.to_string())?;
        let state = self.state.borrow();
        let bytes = state.memory.read(words.addr, words.len * 4)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    /// The launch of every operation that reads one buffer (`input`
    /// elements at `input.0`) and writes another (`output`), after the
    /// caller's ownership checks: the shared length checks and plan, then
    /// the poisoned run.
    fn launch_pair(
        &self,
        call: PairLaunch,
        input: (u64, usize),
        output: (u64, usize),
    ) -> Result<()> {
        let plan = call.plan(output.0, output.1, input.0, input.1, self.limits)?;
        let output = match call.output_dtype() {
            Some(dtype) => Output::values(output.0, output.1, dtype),
            None => Output::words(output.0, output.1),
        };
        self.run_outputs(&plan, &[output])
    }

    #[allow(clippy::too_many_arguments)]
    fn fused<T: Element, V: VoltageElement>(
        &self,
        rule: SpikeRule,
        inputs: &PtxSlice<'_, T>,
        bits: Option<(usize, usize)>,
        out: Output,
        voltage: Option<StepVoltage<'_, PtxBuffer<V>, V>>,
        state: Option<(Output, usize)>,
    ) -> Result<()> {
        self.check_slice(inputs)?;
        let n = inputs.len;
        let mut outputs = vec![];
        let target = match voltage {
            Some(StepVoltage { out, rest, thresh }) => {
                self.owns(out)?;
                check_len("voltage buffer", n, out.len)?;
                outputs.push(Output::values(out.addr, out.len, V::DTYPE));
                Some(VoltageTarget::of(out.addr, rest, thresh))
            }
            None => None,
        };
        let spikes = out.addr;
        outputs.push(out);
        let state = state.map(|(output, last)| {
            let addr = output.addr;
            outputs.push(output);
            (addr, last)
        });
        let plan = match bits {
            None => LaunchPlan::step_dyn(
                rule,
                T::DTYPE,
                n,
                spikes,
                inputs.addr,
                target,
                state,
                self.limits,
            ),
            Some((rows, count)) => LaunchPlan::step_bits_dyn(
                rule,
                T::DTYPE,
                rows,
                count,
                spikes,
                inputs.addr,
                target,
                state,
                self.limits,
            ),
        }?;
        self.run_outputs(&plan, &outputs)
    }

    fn step_bytes<T: Element, V: VoltageElement>(
        &self,
        rule: SpikeRule,
        inputs: &PtxSlice<'_, T>,
        spikes: &mut PtxBuffer<u8>,
        voltage: Option<StepVoltage<'_, PtxBuffer<V>, V>>,
        state: Option<&mut PtxBuffer<u8>>,
    ) -> Result<()> {
        self.owns(spikes)?;
        check_len("inputs", spikes.len, inputs.len)?;
        let state = match state {
            Some(state) => {
                self.owns(state)?;
                let last = step_state_start(inputs.len, state.len)?;
                Some((Output::values(state.addr, state.len, DType::U8), last))
            }
            None => None,
        };
        let out = Output::values(spikes.addr, spikes.len, DType::U8);
        self.fused(rule, inputs, None, out, voltage, state)
    }

    #[allow(clippy::too_many_arguments)]
    fn step_words<T: Element, V: VoltageElement>(
        &self,
        rule: SpikeRule,
        inputs: &PtxSlice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut PtxBuffer<u32>,
        voltage: Option<StepVoltage<'_, PtxBuffer<V>, V>>,
        state: Option<&mut PtxBuffer<u32>>,
    ) -> Result<()> {
        self.owns(words)?;
        check_bits_len("inputs", rows, count, inputs.len, words.len)?;
        let state = match state {
            Some(state) => {
                self.owns(state)?;
                let last_row = step_state_first_row(rows, count, words.len, state.len)?;
                Some((Output::words(state.addr, state.len), last_row))
            }
            None => None,
        };
        let out = Output::words(words.addr, words.len);
        self.fused(rule, inputs, Some((rows, count)), out, voltage, state)
    }
}

impl KernelDevice for PtxDevice {
    type Words = PtxBuffer<u32>;
    type Buffer<T: Element> = PtxBuffer<T>;
    type Slice<'a, T: Element>
        = PtxSlice<'a, T>
    where
        T: 'a;

    fn alloc_zeroed<T: Element>(&self, len: usize) -> Result<PtxBuffer<T>> {
        let offset = match T::DTYPE {
            DType::U8 | DType::Bool => self.layout.byte_offset,
            _ => self.layout.value_offset,
        };
        Ok(self.allocate::<T>(len, T::DTYPE.size(), offset))
    }

    fn zero<T: Element>(&self, buf: &mut PtxBuffer<T>) -> Result<()> {
        self.owns(buf)?;
        // The driver's memset, not a kernel: exactly the buffer's bytes.
        self.state
            .borrow_mut()
            .memory
            .fill(buf.addr, buf.len * T::DTYPE.size(), &[0])
            .map_err(device_error)
    }

    fn buffer_len<T: Element>(buf: &PtxBuffer<T>) -> usize {
        buf.len
    }

    fn slice_len<T: Element>(slice: &PtxSlice<'_, T>) -> usize {
        slice.len
    }

    fn upload<T: Element>(&self, src: &[T], dst: &mut PtxBuffer<T>) -> Result<()> {
        self.owns(dst)?;
        check_len("upload source", dst.len, src.len())?;
        self.state
            .borrow_mut()
            .memory
            .write(dst.addr, bytemuck::cast_slice(src))
            .map_err(device_error)
    }

    fn download<T: Element>(&self, src: &PtxBuffer<T>, dst: &mut [T]) -> Result<()> {
        self.owns(src)?;
        check_len("download destination", src.len, dst.len())?;
        let values = self.read(src).map_err(device_error)?;
        dst.copy_from_slice(&values);
        Ok(())
    }

    fn with_input<T: Element, R>(
        &self,
        host: &[T],
        f: impl FnOnce(&PtxSlice<'_, T>) -> R,
    ) -> Result<R> {
        let staged = self.stage_input(host);
        let result = f(&staged.as_slice());
        // The kernels only read their input (compared as bits: NaN != NaN).
        let after = self.read(&staged).map_err(device_error)?;
        assert!(
            bytemuck::cast_slice::<T, u8>(&after) == bytemuck::cast_slice::<T, u8>(host),
            "a kernel wrote into its input"
        );
        Ok(result)
    }

    fn with_buffer_input<T: Element, R>(
        &self,
        buffer: &PtxBuffer<T>,
        f: impl FnOnce(&PtxSlice<'_, T>) -> R,
    ) -> Result<R> {
        self.owns(buffer)?;
        Ok(f(&buffer.as_slice()))
    }

    fn threshold<T: ThresholdInput>(
        &self,
        inputs: &PtxSlice<'_, T>,
        spikes: &mut PtxBuffer<u8>,
    ) -> Result<()> {
        self.owns(spikes)?;
        self.check_slice(inputs)?;
        let call = PairLaunch::threshold(T::DTYPE);
        self.launch_pair(call, (inputs.addr, inputs.len), (spikes.addr, spikes.len))
    }

    fn overrides<T: OverrideValue>(
        &self,
        values: &PtxSlice<'_, T>,
        spikes: &mut PtxBuffer<u8>,
    ) -> Result<()> {
        self.owns(spikes)?;
        self.check_slice(values)?;
        let call = PairLaunch::overrides(T::DTYPE);
        self.launch_pair(call, (values.addr, values.len), (spikes.addr, spikes.len))
    }

    fn voltage<T: VoltageElement>(
        &self,
        spikes: &PtxBuffer<u8>,
        rest: T,
        thresh: T,
        out: &mut PtxBuffer<T>,
    ) -> Result<()> {
        self.owns(spikes)?;
        self.owns(out)?;
        let call = PairLaunch::voltage(T::DTYPE, rest.to_bits_u64(), thresh.to_bits_u64());
        self.launch_pair(call, (spikes.addr, spikes.len), (out.addr, out.len))
    }

    fn alloc_words(&self, len: usize) -> Result<PtxBuffer<u32>> {
        Ok(self.allocate::<u32>(len, 4, 0))
    }

    fn words_len(words: &PtxBuffer<u32>) -> usize {
        words.len
    }

    fn upload_words(&self, src: &[u32], dst: &mut PtxBuffer<u32>) -> Result<()> {
        self.owns(dst)?;
        check_len("upload source", dst.len, src.len())?;
        self.state
            .borrow_mut()
            .memory
            .write(dst.addr, bytemuck::cast_slice(src))
            .map_err(device_error)
    }

    fn download_words(&self, src: &PtxBuffer<u32>, dst: &mut [u32]) -> Result<()> {
        check_len("download destination", src.len, dst.len())?;
        dst.copy_from_slice(&self.read_words(src).map_err(device_error)?);
        Ok(())
    }

    fn threshold_bits<T: ThresholdInput>(
        &self,
        inputs: &PtxSlice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut PtxBuffer<u32>,
    ) -> Result<()> {
        self.owns(words)?;
        self.check_slice(inputs)?;
        let call = PairLaunch::pack_bits(SpikeRule::Threshold, T::DTYPE, rows, count);
        self.launch_pair(call, (inputs.addr, inputs.len), (words.addr, words.len))
    }

    fn overrides_bits<T: OverrideValue>(
        &self,
        values: &PtxSlice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut PtxBuffer<u32>,
    ) -> Result<()> {
        self.owns(words)?;
        self.check_slice(values)?;
        let call = PairLaunch::pack_bits(SpikeRule::Override, T::DTYPE, rows, count);
        self.launch_pair(call, (values.addr, values.len), (words.addr, words.len))
    }

    fn pack_bits(
        &self,
        bytes: &PtxBuffer<u8>,
        rows: usize,
        count: usize,
        words: &mut PtxBuffer<u32>,
    ) -> Result<()> {
        self.owns(bytes)?;
        self.owns(words)?;
        let call = PairLaunch::pack_bits(SpikeRule::Override, DType::U8, rows, count);
        self.launch_pair(call, (bytes.addr, bytes.len), (words.addr, words.len))
    }

    fn unpack_bits(
        &self,
        words: &PtxBuffer<u32>,
        rows: usize,
        count: usize,
        bytes: &mut PtxBuffer<u8>,
    ) -> Result<()> {
        self.owns(words)?;
        self.owns(bytes)?;
        let call = PairLaunch::unpack_bits(rows, count);
        self.launch_pair(call, (words.addr, words.len), (bytes.addr, bytes.len))
    }

    fn voltage_bits<T: VoltageElement>(
        &self,
        words: &PtxBuffer<u32>,
        rows: usize,
        count: usize,
        rest: T,
        thresh: T,
        out: &mut PtxBuffer<T>,
    ) -> Result<()> {
        self.owns(words)?;
        self.owns(out)?;
        let (rest, thresh) = (rest.to_bits_u64(), thresh.to_bits_u64());
        let call = PairLaunch::voltage_bits(T::DTYPE, rows, count, rest, thresh);
        self.launch_pair(call, (words.addr, words.len), (out.addr, out.len))
    }

    fn step<T: ThresholdInput, V: VoltageElement>(
        &self,
        inputs: &PtxSlice<'_, T>,
        spikes: &mut PtxBuffer<u8>,
        voltage: Option<StepVoltage<'_, PtxBuffer<V>, V>>,
        state: Option<&mut PtxBuffer<u8>>,
    ) -> Result<()> {
        self.step_bytes(SpikeRule::Threshold, inputs, spikes, voltage, state)
    }

    fn step_override<T: OverrideValue, V: VoltageElement>(
        &self,
        values: &PtxSlice<'_, T>,
        spikes: &mut PtxBuffer<u8>,
        voltage: Option<StepVoltage<'_, PtxBuffer<V>, V>>,
        state: Option<&mut PtxBuffer<u8>>,
    ) -> Result<()> {
        self.step_bytes(SpikeRule::Override, values, spikes, voltage, state)
    }

    fn step_bits<T: ThresholdInput, V: VoltageElement>(
        &self,
        inputs: &PtxSlice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut PtxBuffer<u32>,
        voltage: Option<StepVoltage<'_, PtxBuffer<V>, V>>,
        state: Option<&mut PtxBuffer<u32>>,
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
        values: &PtxSlice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut PtxBuffer<u32>,
        voltage: Option<StepVoltage<'_, PtxBuffer<V>, V>>,
        state: Option<&mut PtxBuffer<u32>>,
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
