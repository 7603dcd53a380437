//! The kernel-device abstraction: what a backend must provide.
//!
//! An [`ExactNeuron`](crate::ExactNeuron) holds its state in the buffers of
//! a [`KernelDevice`] and asks the device to run the operations (spikes as
//! bytes or bits, the voltage view, fused and multi-step steps); the
//! device also copies typed values between the host and its buffers. The
//! crate ships two devices, [`Cpu`](crate::Cpu) and [`Cuda`](crate::Cuda);
//! the test suite adds a third that executes the PTX text in an interpreter.
//! Devices that run the PTX kernels build each launch with
//! [`LaunchPlan`](crate::launch::LaunchPlan), so they share the host's grid
//! arithmetic and argument order.

use crate::dtype::{Element, OverrideValue, ThresholdInput, VoltageElement};
use crate::error::{Error, Result};
use crate::host_memory::zeroed_vec;

/// `Ok` when `actual` is the `expected` length, else
/// [`Error::LengthMismatch`] naming `what`. Every device checks its
/// buffers' lengths with it before touching them.
///
/// ```
/// use exact_neuron::device::check_len;
///
/// assert!(check_len("inputs", 12, 12).is_ok());
/// assert_eq!(
///     check_len("inputs", 12, 11).unwrap_err().to_string(),
///     "inputs has 11 elements, expected 12"
/// );
/// ```
pub fn check_len(what: &'static str, expected: usize, actual: usize) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            actual,
        })
    }
}

/// `len` zeroed elements in a host `Vec`, or [`Error::OutOfMemory`] (never
/// an abort, nor an OOM kill while zeroing: the memory comes zeroed from the
/// allocator, and a request larger than the machine's memory is refused).
pub fn host_zeroed<T: Element>(len: usize) -> Result<Vec<T>> {
    zeroed_vec(len)
}

/// The voltage output of a fused step: the buffer to write and the two
/// voltages in its type.
pub struct StepVoltage<'a, B, V> {
    /// The voltages to write, one per spike.
    pub out: &'a mut B,
    /// `rest_v` in `V`.
    pub rest: V,
    /// `thresh_v` in `V`.
    pub thresh: V,
}

/// `Ok` when `rows * count` neurons pack into `words` words and unpack to
/// `elements` elements, else [`Error::LengthMismatch`]; every device checks
/// the buffers of a bit operation with it.
pub fn check_bits_len(
    what: &'static str,
    rows: usize,
    count: usize,
    elements: usize,
    words: usize,
) -> Result<()> {
    let expected = rows.checked_mul(count).ok_or(Error::LengthMismatch {
        what,
        expected: usize::MAX,
        actual: elements,
    })?;
    check_len(what, expected, elements)?;
    // rows * ceil(count / 32) <= rows * count, which did not overflow
    check_len("spike words", rows * count.div_ceil(32), words)
}

/// The first spike of a byte step's state: a state buffer of `state`
/// bytes receives the last `state` of `spikes` spikes, or
/// [`Error::LengthMismatch`] when it is longer than the spikes.
pub fn step_state_start(spikes: usize, state: usize) -> Result<usize> {
    spikes.checked_sub(state).ok_or(Error::LengthMismatch {
        what: "spike state",
        expected: spikes,
        actual: state,
    })
}

/// The first row of a bit step's state: a state buffer of `state` words
/// receives the words of the last rows of `words` words of rows of `count`
/// neurons (as many whole rows as it holds), or [`Error::LengthMismatch`]
/// when it is longer than the words or not whole rows.
pub fn step_state_first_row(
    rows: usize,
    count: usize,
    words: usize,
    state: usize,
) -> Result<usize> {
    let per_row = count.div_ceil(32);
    if state > words || (per_row > 0 && state % per_row != 0) {
        return Err(Error::LengthMismatch {
            what: "spike state words",
            expected: words,
            actual: state,
        });
    }
    // `words` is `rows * per_row` (checked before by the callers), so this
    // does not saturate.
    Ok(rows.saturating_sub(state.checked_div(per_row).unwrap_or(0)))
}

/// A place where neuron state lives and the kernels run.
///
/// Every method that takes a buffer and a slice checks that their lengths
/// agree and returns an error (never panics) when they don't.
pub trait KernelDevice {
    /// An owned buffer of u32 words on the device: spikes as bits (see
    /// [`threshold_bits`](Self::threshold_bits) for the layout).
    type Words: 'static;

    /// An owned buffer of `T` on the device. It owns its memory (`'static`),
    /// so that a neuron can keep buffers of several types in one cache.
    type Buffer<T: Element>: 'static;

    /// A borrowed input of `T` that a caller hands to `forward`.
    type Slice<'a, T: Element>: ?Sized
    where
        T: 'a;

    /// Allocates `len` elements, all zero bits.
    fn alloc_zeroed<T: Element>(&self, len: usize) -> Result<Self::Buffer<T>>;

    /// Sets every element of `buf` to zero bits.
    fn zero<T: Element>(&self, buf: &mut Self::Buffer<T>) -> Result<()>;

    /// The number of elements of a buffer.
    fn buffer_len<T: Element>(buf: &Self::Buffer<T>) -> usize;

    /// The number of elements of an input.
    fn slice_len<T: Element>(slice: &Self::Slice<'_, T>) -> usize;

    /// Copies host values into a buffer of the same length; `src` may be
    /// reused when this returns.
    fn upload<T: Element>(&self, src: &[T], dst: &mut Self::Buffer<T>) -> Result<()>;

    /// Copies a buffer into host values of the same length; the values are
    /// final when this returns.
    fn download<T: Element>(&self, src: &Self::Buffer<T>, dst: &mut [T]) -> Result<()>;

    /// Runs `f` on host values as this device's input: the CPU lends `host`
    /// itself, a GPU copies it into a new buffer first.
    fn with_input<T: Element, R>(
        &self,
        host: &[T],
        f: impl FnOnce(&Self::Slice<'_, T>) -> R,
    ) -> Result<R>;

    /// Runs `f` on a buffer of this device as an input (what a kernel
    /// reads). This provided method copies the buffer through the host;
    /// the crate's devices lend the buffer itself.
    fn with_buffer_input<T: Element, R>(
        &self,
        buffer: &Self::Buffer<T>,
        f: impl FnOnce(&Self::Slice<'_, T>) -> R,
    ) -> Result<R> {
        let host = self.to_host(buffer)?;
        self.with_input(&host, f)
    }

    /// A new buffer holding a copy of `src`.
    fn alloc_from<T: Element>(&self, src: &[T]) -> Result<Self::Buffer<T>> {
        let mut buffer = self.alloc_zeroed::<T>(src.len())?;
        self.upload(src, &mut buffer)?;
        Ok(buffer)
    }

    /// A host copy of a buffer.
    fn to_host<T: Element>(&self, src: &Self::Buffer<T>) -> Result<Vec<T>> {
        let mut host = host_zeroed::<T>(Self::buffer_len(src))?;
        self.download(src, &mut host)?;
        Ok(host)
    }

    /// `spikes[i] = inputs[i] > 0`.
    fn threshold<T: ThresholdInput>(
        &self,
        inputs: &Self::Slice<'_, T>,
        spikes: &mut Self::Buffer<u8>,
    ) -> Result<()>;

    /// `spikes[i] = values[i] != 0`.
    fn overrides<T: OverrideValue>(
        &self,
        values: &Self::Slice<'_, T>,
        spikes: &mut Self::Buffer<u8>,
    ) -> Result<()>;

    /// `out[i] = if spikes[i] != 0 { thresh } else { rest }`.
    fn voltage<T: VoltageElement>(
        &self,
        spikes: &Self::Buffer<u8>,
        rest: T,
        thresh: T,
        out: &mut Self::Buffer<T>,
    ) -> Result<()>;

    /// Allocates `len` zero words.
    fn alloc_words(&self, len: usize) -> Result<Self::Words>;

    /// The number of words of a word buffer.
    fn words_len(words: &Self::Words) -> usize;

    /// Copies host words into a word buffer of the same length.
    fn upload_words(&self, src: &[u32], dst: &mut Self::Words) -> Result<()>;

    /// Copies a word buffer into host words of the same length.
    fn download_words(&self, src: &Self::Words, dst: &mut [u32]) -> Result<()>;

    /// Spikes as bits, GeNN's layout: `rows` rows of `count` neurons pack
    /// into `rows * ceil(count / 32)` words; bit `j` (LSB first) of word
    /// `w` of row `r` is `inputs[r * count + 32 w + j] > 0`, padding bits 0.
    fn threshold_bits<T: ThresholdInput>(
        &self,
        inputs: &Self::Slice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut Self::Words,
    ) -> Result<()>;

    /// As [`threshold_bits`](Self::threshold_bits), the bit being
    /// `values[i] != 0`.
    fn overrides_bits<T: OverrideValue>(
        &self,
        values: &Self::Slice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut Self::Words,
    ) -> Result<()>;

    /// Packs spike bytes (nonzero: a spike) into words.
    fn pack_bits(
        &self,
        bytes: &Self::Buffer<u8>,
        rows: usize,
        count: usize,
        words: &mut Self::Words,
    ) -> Result<()>;

    /// Unpacks words into spike bytes (0 or 1).
    fn unpack_bits(
        &self,
        words: &Self::Words,
        rows: usize,
        count: usize,
        bytes: &mut Self::Buffer<u8>,
    ) -> Result<()>;

    /// The voltage view from words: `thresh` where the bit is set, else
    /// `rest`.
    fn voltage_bits<T: VoltageElement>(
        &self,
        words: &Self::Words,
        rows: usize,
        count: usize,
        rest: T,
        thresh: T,
        out: &mut Self::Buffer<T>,
    ) -> Result<()>;

    /// A fused threshold step over every element of `inputs` (one step or
    /// several laid end to end): `spikes[i] = inputs[i] > 0`, the voltage
    /// if asked, and the last `state.len()` spikes copied into `state` if
    /// given (the neuron's state after the last step).
    fn step<T: ThresholdInput, V: VoltageElement>(
        &self,
        inputs: &Self::Slice<'_, T>,
        spikes: &mut Self::Buffer<u8>,
        voltage: Option<StepVoltage<'_, Self::Buffer<V>, V>>,
        state: Option<&mut Self::Buffer<u8>>,
    ) -> Result<()>;

    /// As [`step`](Self::step), `spike = value != 0`.
    fn step_override<T: OverrideValue, V: VoltageElement>(
        &self,
        values: &Self::Slice<'_, T>,
        spikes: &mut Self::Buffer<u8>,
        voltage: Option<StepVoltage<'_, Self::Buffer<V>, V>>,
        state: Option<&mut Self::Buffer<u8>>,
    ) -> Result<()>;

    /// A fused threshold step with spikes as bits over `rows` rows of
    /// `count` neurons: the words, the voltage if asked, and the words of
    /// the last rows copied into `state` if given (as many rows as it
    /// holds).
    #[allow(clippy::too_many_arguments)]
    fn step_bits<T: ThresholdInput, V: VoltageElement>(
        &self,
        inputs: &Self::Slice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut Self::Words,
        voltage: Option<StepVoltage<'_, Self::Buffer<V>, V>>,
        state: Option<&mut Self::Words>,
    ) -> Result<()>;

    /// As [`step_bits`](Self::step_bits), `spike = value != 0`.
    #[allow(clippy::too_many_arguments)]
    fn step_bits_override<T: OverrideValue, V: VoltageElement>(
        &self,
        values: &Self::Slice<'_, T>,
        rows: usize,
        count: usize,
        words: &mut Self::Words,
        voltage: Option<StepVoltage<'_, Self::Buffer<V>, V>>,
        state: Option<&mut Self::Words>,
    ) -> Result<()>;
}
