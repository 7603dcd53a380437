//! The CPU backend: the reference semantics, and the default where no GPU
//! is present.
//!
//! Buffers are `Vec`s, inputs are slices, and each operation is a loop over
//! bit tests that the compiler turns into vector code (no branch and no
//! allocation per element). The CUDA kernels give the same bits.
//!
//! The spike writers (threshold, override) work in blocks of 16 elements,
//! one 16-byte vector store each; on x86-64, outputs of at least
//! [`STREAM_MIN_LEN`] bytes are written with streaming (non-temporal)
//! stores, which skip reading the destination into the cache first: the
//! output of such a step does not fit in the cache anyway, and memory
//! traffic is what limits the loop there (about a fifth less of it).

use crate::device::{
    check_bits_len, check_len, host_zeroed, step_state_first_row, step_state_start, KernelDevice,
    StepVoltage,
};
use crate::dtype::{Element, OverrideValue, ThresholdInput, VoltageElement};
use crate::error::Result;
use crate::neuron::ExactNeuron;
use crate::params::NeuronParams;

#[cfg(target_arch = "x86_64")]
mod positive_words;

/// The CPU as a kernel device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cpu;

/// An [`ExactNeuron`] on the CPU.
pub type CpuNeuron = ExactNeuron<Cpu>;

impl ExactNeuron<Cpu> {
    /// A neuron group on the CPU, all spikes clear.
    pub fn cpu(params: &NeuronParams) -> Result<Self> {
        ExactNeuron::with_device(Cpu, params)
    }
}

/// Elements per block of the spike writers: one SSE register of results.
const BLOCK: usize = 16;

/// Spike outputs at least this long (4 MiB) are written with streaming
/// stores on x86-64. Below it, the output may still be in the cache when
/// the next operation (the voltage view) reads it.
const STREAM_MIN_LEN: usize = 1 << 22;

/// `out[i] = test(inputs[i])` as 0 or 1, for `i < min(len)`.
#[inline(always)]
fn write_plain<T: Copy>(inputs: &[T], out: &mut [u8], test: &impl Fn(T) -> bool) {
    for (spike, &input) in out.iter_mut().zip(inputs) {
        *spike = u8::from(test(input));
    }
}

/// One block of results. `inputs` holds [`BLOCK`] elements (a chunk of
/// `chunks_exact`, whose length the compiler knows, so that this compiles
/// to a few vector compares and packs, without bounds checks).
#[inline(always)]
fn block_of<T: Copy>(inputs: &[T], test: &impl Fn(T) -> bool) -> [u8; BLOCK] {
    let mut block = [0u8; BLOCK];
    write_plain(inputs, &mut block, test);
    block
}

/// `out[i] = test(inputs[i])` as 0 or 1 for every element, in blocks of
/// [`BLOCK`] (the slices have the same length: the callers check it).
#[inline(always)]
fn write_spikes<T: Copy>(inputs: &[T], out: &mut [u8], test: impl Fn(T) -> bool) {
    #[cfg(target_arch = "x86_64")]
    if out.len() >= STREAM_MIN_LEN {
        stream::write_spikes(inputs, out, &test);
        return;
    }
    let mut inputs = inputs.chunks_exact(BLOCK);
    let mut outs = out.chunks_exact_mut(BLOCK);
    for (out, inputs) in (&mut outs).zip(&mut inputs) {
        out.copy_from_slice(&block_of(inputs, &test));
    }
    write_plain(inputs.remainder(), outs.into_remainder(), &test);
}

/// The spike writer with streaming stores, for outputs beyond the cache.
#[cfg(target_arch = "x86_64")]
mod stream {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_sfence, _mm_stream_si128};

    use super::{block_of, write_plain, BLOCK};

    /// As [`super::write_spikes`], every aligned block of `out` written
    /// with `movntdq`. Any length and alignment: the head up to the first
    /// 16-byte boundary and the tail use plain stores.
    pub(super) fn write_spikes<T: Copy>(inputs: &[T], out: &mut [u8], test: &impl Fn(T) -> bool) {
        let len = out.len().min(inputs.len());
        // `align_offset` may answer "never" (usize::MAX): then all is head.
        let head = out.as_ptr().align_offset(BLOCK).min(len);
        let (head_inputs, inputs) = inputs[..len].split_at(head);
        let (head_out, out) = out[..len].split_at_mut(head);
        write_plain(head_inputs, head_out, test);
        let mut inputs = inputs.chunks_exact(BLOCK);
        let mut outs = out.chunks_exact_mut(BLOCK);
        for (out, inputs) in (&mut outs).zip(&mut inputs) {
            let block = block_of(inputs, test);
            // SAFETY: SSE2, which both intrinsics need, is part of the
            // x86-64 baseline. `block` is 16 readable bytes (`loadu` has no
            // alignment requirement). `out` is 16 bytes of the exclusively
            // borrowed output, starting on a 16-byte boundary (the output
            // was split at its first boundary and every chunk is 16 bytes
            // long), which is what `_mm_stream_si128` requires.
            unsafe {
                let value = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
                _mm_stream_si128(out.as_mut_ptr().cast::<__m128i>(), value);
            }
        }
        // SAFETY: SSE2 is part of the x86-64 baseline. The fence orders the
        // streaming stores (which are weakly ordered) before every later
        // store, so that whoever reads the spikes next, another thread
        // included, sees them as it would see ordinary stores.
        unsafe { _mm_sfence() };
        write_plain(inputs.remainder(), outs.into_remainder(), test);
    }
}

/// The 32 tests of a full word as bytes (0 or 1): vector compares, whose
/// count the compiler knows.
#[inline(always)]
fn tests_of_word<T: Copy>(inputs: &[T; 32], test: &impl Fn(T) -> bool) -> [u8; 32] {
    let (low, high) = inputs.split_at(BLOCK);
    let mut bytes = [0u8; 32];
    bytes[..BLOCK].copy_from_slice(&block_of(low, test));
    bytes[BLOCK..].copy_from_slice(&block_of(high, test));
    bytes
}

/// The word whose bit `j` is byte `j` (each 0 or 1).
#[inline(always)]
fn mask_of_bytes(bytes: &[u8; 32]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_movemask_epi8, _mm_slli_epi64};
        // SAFETY: SSE2, which these intrinsics need, is part of the x86-64
        // baseline; both loads read 16 bytes inside the 32-byte array
        // (`loadu` has no alignment requirement).
        unsafe {
            let low = _mm_loadu_si128(bytes.as_ptr().cast::<__m128i>());
            let high = _mm_loadu_si128(bytes.as_ptr().add(16).cast::<__m128i>());
            // 0 or 1 shifted into each byte's top bit, which movemask takes
            let low = _mm_movemask_epi8(_mm_slli_epi64::<7>(low)) as u32;
            let high = _mm_movemask_epi8(_mm_slli_epi64::<7>(high)) as u32;
            low | high << 16
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        bytes
            .iter()
            .enumerate()
            .fold(0, |word, (j, &byte)| word | (u32::from(byte) << j))
    }
}

/// Packs whole words: `inputs` holds 32 per word of `words`, and
/// `voltage`, if given, one voltage per input.
#[inline(always)]
fn pack_words<T: Copy, V: Copy>(
    inputs: &[T],
    words: &mut [u32],
    voltage: Option<(&mut [V], V, V)>,
    test: &impl Fn(T) -> bool,
) {
    match voltage {
        None => {
            for (word, chunk) in words.iter_mut().zip(inputs.chunks_exact(32)) {
                let chunk: &[T; 32] = chunk.try_into().expect("chunks of 32");
                *word = mask_of_bytes(&tests_of_word(chunk, test));
            }
        }
        Some((volts, rest, thresh)) => {
            for ((word, chunk), volts) in words
                .iter_mut()
                .zip(inputs.chunks_exact(32))
                .zip(volts.chunks_exact_mut(32))
            {
                let chunk: &[T; 32] = chunk.try_into().expect("chunks of 32");
                let bytes = tests_of_word(chunk, test);
                *word = mask_of_bytes(&bytes);
                for (volt, &byte) in volts.iter_mut().zip(&bytes) {
                    *volt = if byte != 0 { thresh } else { rest };
                }
            }
        }
    }
}

/// Packs `rows` rows of `count` inputs into words and, if `voltage` is
/// given, writes each element's voltage from the same tests (the lengths
/// are checked by the caller: `rows * count` inputs and voltages, `rows *
/// ceil(count / 32)` words). One pass: a word's 32 tests are made once, as
/// bytes, then masked into the word and mapped to voltages.
fn pack_rows<T: Copy, V: Copy>(
    inputs: &[T],
    count: usize,
    words: &mut [u32],
    voltage: Option<(&mut [V], V, V)>,
    test: impl Fn(T) -> bool,
) {
    let Some((volts, rest, thresh)) = voltage else {
        let whole = |x: &[T], w: &mut [u32]| pack_words::<T, V>(x, w, None, &test);
        pack_rows_with(inputs, count, words, whole, &test);
        return;
    };
    if count == 0 {
        return;
    }
    if count % 32 == 0 {
        // Rows of whole words lie end to end as one run of words.
        pack_words(inputs, words, Some((volts, rest, thresh)), &test);
        return;
    }
    let per_row = count.div_ceil(32);
    let full = count / 32 * 32;
    for ((row, out), volts) in inputs
        .chunks_exact(count)
        .zip(words.chunks_exact_mut(per_row))
        .zip(volts.chunks_exact_mut(count))
    {
        let (last, out) = out.split_last_mut().expect("a partial word per row");
        let (volts, tail_volts) = volts.split_at_mut(full);
        pack_words(&row[..full], out, Some((volts, rest, thresh)), &test);
        let (word, bytes) = pack_tail(&row[full..], &test);
        *last = word;
        for (volt, &byte) in tail_volts.iter_mut().zip(&bytes) {
            *volt = if byte != 0 { thresh } else { rest };
        }
    }
}

/// Packs `rows` rows of `count` inputs into words, without voltages: the
/// whole words of each row (all of them, as one run, when `count` is a
/// multiple of 32) by `whole`, which sets word `w` from inputs `32 w ..
/// 32 w + 32` of the slices it is given, and each row's partial last word
/// by `test` (padding bits 0). The lengths are checked by the caller.
fn pack_rows_with<T: Copy>(
    inputs: &[T],
    count: usize,
    words: &mut [u32],
    whole: impl Fn(&[T], &mut [u32]),
    test: &impl Fn(T) -> bool,
) {
    if count == 0 {
        return;
    }
    if count % 32 == 0 {
        // Rows of whole words lie end to end as one run of words.
        whole(inputs, words);
        return;
    }
    let per_row = count.div_ceil(32);
    let full = count / 32 * 32;
    for (row, out) in inputs
        .chunks_exact(count)
        .zip(words.chunks_exact_mut(per_row))
    {
        let (last, out) = out.split_last_mut().expect("a partial word per row");
        whole(&row[..full], out);
        *last = pack_tail(&row[full..], test).0;
    }
}

/// The partial word of fewer than 32 inputs, padding bits 0, and its tests
/// as bytes.
#[inline(always)]
fn pack_tail<T: Copy>(inputs: &[T], test: &impl Fn(T) -> bool) -> (u32, [u8; 32]) {
    let mut bytes = [0u8; 32];
    for (byte, &input) in bytes.iter_mut().zip(inputs) {
        *byte = u8::from(test(input));
    }
    (mask_of_bytes(&bytes), bytes)
}

/// Unpacks words into `rows * count` elements, `set` where the bit is set
/// and `clear` elsewhere (the lengths are checked by the caller).
fn unpack_rows<V: Copy>(words: &[u32], count: usize, out: &mut [V], set: V, clear: V) {
    if count == 0 {
        return;
    }
    let per_row = count.div_ceil(32);
    for (row, words) in out.chunks_exact_mut(count).zip(words.chunks_exact(per_row)) {
        for (chunk, &word) in row.chunks_mut(32).zip(words) {
            for (j, value) in chunk.iter_mut().enumerate() {
                *value = if word >> j & 1 != 0 { set } else { clear };
            }
        }
    }
}

/// The fused byte step: spikes, the voltage if asked and the state, in one
/// pass over blocks of [`BLOCK`] elements.
fn step_bytes<T: Copy, V: Copy>(
    inputs: &[T],
    spikes: &mut [u8],
    voltage: Option<StepVoltage<'_, Vec<V>, V>>,
    state: Option<&mut Vec<u8>>,
    test: impl Fn(T) -> bool,
) -> Result<()> {
    check_len("inputs", spikes.len(), inputs.len())?;
    if let Some(voltage) = &voltage {
        check_len("voltage buffer", spikes.len(), voltage.out.len())?;
    }
    if let Some(state) = &state {
        step_state_start(spikes.len(), state.len())?;
    }
    match voltage {
        None => write_spikes(inputs, spikes, &test),
        Some(StepVoltage { out, rest, thresh }) => {
            let mut inputs_blocks = inputs.chunks_exact(BLOCK);
            let mut spike_blocks = spikes.chunks_exact_mut(BLOCK);
            let mut volt_blocks = out.chunks_exact_mut(BLOCK);
            for ((spikes, volts), inputs) in (&mut spike_blocks)
                .zip(&mut volt_blocks)
                .zip(&mut inputs_blocks)
            {
                let block = block_of(inputs, &test);
                spikes.copy_from_slice(&block);
                for (volt, &spike) in volts.iter_mut().zip(&block) {
                    *volt = if spike != 0 { thresh } else { rest };
                }
            }
            for ((spike, volt), &input) in spike_blocks
                .into_remainder()
                .iter_mut()
                .zip(volt_blocks.into_remainder())
                .zip(inputs_blocks.remainder())
            {
                let fired = test(input);
                *spike = u8::from(fired);
                *volt = if fired { thresh } else { rest };
            }
        }
    }
    if let Some(state) = state {
        let last = spikes.len() - state.len();
        state.copy_from_slice(&spikes[last..]);
    }
    Ok(())
}

/// The fused bit step: words, the voltage if asked and the state words.
fn step_words<T: Copy, V: Copy>(
    inputs: &[T],
    rows: usize,
    count: usize,
    words: &mut [u32],
    voltage: Option<StepVoltage<'_, Vec<V>, V>>,
    state: Option<&mut Vec<u32>>,
    test: impl Fn(T) -> bool,
) -> Result<()> {
    check_bits_len("inputs", rows, count, inputs.len(), words.len())?;
    if let Some(voltage) = &voltage {
        check_len("voltage buffer", inputs.len(), voltage.out.len())?;
    }
    if let Some(state) = &state {
        step_state_first_row(rows, count, words.len(), state.len())?;
    }
    let voltage = voltage.map(|StepVoltage { out, rest, thresh }| (&mut out[..], rest, thresh));
    pack_rows(inputs, count, words, voltage, test);
    if let Some(state) = state {
        let last = words.len() - state.len();
        state.copy_from_slice(&words[last..]);
    }
    Ok(())
}

impl KernelDevice for Cpu {
    type Words = Vec<u32>;
    type Buffer<T: Element> = Vec<T>;
    type Slice<'a, T: Element> = [T];

    fn alloc_zeroed<T: Element>(&self, len: usize) -> Result<Vec<T>> {
        host_zeroed(len)
    }

    fn zero<T: Element>(&self, buf: &mut Vec<T>) -> Result<()> {
        buf.fill(T::zeroed());
        Ok(())
    }

    fn buffer_len<T: Element>(buf: &Vec<T>) -> usize {
        buf.len()
    }

    fn slice_len<T: Element>(slice: &[T]) -> usize {
        slice.len()
    }

    fn upload<T: Element>(&self, src: &[T], dst: &mut Vec<T>) -> Result<()> {
        check_len("upload source", dst.len(), src.len())?;
        dst.copy_from_slice(src);
        Ok(())
    }

    fn download<T: Element>(&self, src: &Vec<T>, dst: &mut [T]) -> Result<()> {
        check_len("download destination", src.len(), dst.len())?;
        dst.copy_from_slice(src);
        Ok(())
    }

    fn with_input<T: Element, R>(&self, host: &[T], f: impl FnOnce(&[T]) -> R) -> Result<R> {
        Ok(f(host))
    }

    fn with_buffer_input<T: Element, R>(
        &self,
        buffer: &Vec<T>,
        f: impl FnOnce(&[T]) -> R,
    ) -> Result<R> {
        Ok(f(buffer))
    }

    fn to_host<T: Element>(&self, src: &Vec<T>) -> Result<Vec<T>> {
        let mut host = host_zeroed::<T>(src.len())?;
        host.copy_from_slice(src);
        Ok(host)
    }

    fn threshold<T: ThresholdInput>(&self, inputs: &[T], spikes: &mut Vec<u8>) -> Result<()> {
        check_len("inputs", spikes.len(), inputs.len())?;
        write_spikes(inputs, spikes, T::is_positive);
        Ok(())
    }

    fn overrides<T: OverrideValue>(&self, values: &[T], spikes: &mut Vec<u8>) -> Result<()> {
        check_len("override", spikes.len(), values.len())?;
        write_spikes(values, spikes, T::is_nonzero);
        Ok(())
    }

    fn voltage<T: VoltageElement>(
        &self,
        spikes: &Vec<u8>,
        rest: T,
        thresh: T,
        out: &mut Vec<T>,
    ) -> Result<()> {
        check_len("voltage buffer", spikes.len(), out.len())?;
        T::select(spikes, out, rest, thresh);
        Ok(())
    }

    fn alloc_words(&self, len: usize) -> Result<Vec<u32>> {
        crate::host_memory::zeroed_vec(len)
    }

    fn words_len(words: &Vec<u32>) -> usize {
        words.len()
    }

    fn upload_words(&self, src: &[u32], dst: &mut Vec<u32>) -> Result<()> {
        check_len("upload source", dst.len(), src.len())?;
        dst.copy_from_slice(src);
        Ok(())
    }

    fn download_words(&self, src: &Vec<u32>, dst: &mut [u32]) -> Result<()> {
        check_len("download destination", src.len(), dst.len())?;
        dst.copy_from_slice(src);
        Ok(())
    }

    fn threshold_bits<T: ThresholdInput>(
        &self,
        inputs: &[T],
        rows: usize,
        count: usize,
        words: &mut Vec<u32>,
    ) -> Result<()> {
        check_bits_len("inputs", rows, count, inputs.len(), words.len())?;
        // f32 has a word former of its own on x86-64 (masks straight from
        // 32-bit compares); it needs the inputs as their bit patterns.
        #[cfg(target_arch = "x86_64")]
        if std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>() {
            positive_words::pack_rows(bytemuck::cast_slice(inputs), count, words);
            return Ok(());
        }
        pack_rows::<T, u8>(inputs, count, words, None, T::is_positive);
        Ok(())
    }

    fn overrides_bits<T: OverrideValue>(
        &self,
        values: &[T],
        rows: usize,
        count: usize,
        words: &mut Vec<u32>,
    ) -> Result<()> {
        check_bits_len("override", rows, count, values.len(), words.len())?;
        pack_rows::<T, u8>(values, count, words, None, T::is_nonzero);
        Ok(())
    }

    fn pack_bits(
        &self,
        bytes: &Vec<u8>,
        rows: usize,
        count: usize,
        words: &mut Vec<u32>,
    ) -> Result<()> {
        self.overrides_bits::<u8>(bytes, rows, count, words)
    }

    fn unpack_bits(
        &self,
        words: &Vec<u32>,
        rows: usize,
        count: usize,
        bytes: &mut Vec<u8>,
    ) -> Result<()> {
        check_bits_len("spike bytes", rows, count, bytes.len(), words.len())?;
        unpack_rows(words, count, bytes, 1, 0);
        Ok(())
    }

    fn voltage_bits<T: VoltageElement>(
        &self,
        words: &Vec<u32>,
        rows: usize,
        count: usize,
        rest: T,
        thresh: T,
        out: &mut Vec<T>,
    ) -> Result<()> {
        check_bits_len("voltage buffer", rows, count, out.len(), words.len())?;
        unpack_rows(words, count, out, thresh, rest);
        Ok(())
    }

    fn step<T: ThresholdInput, V: VoltageElement>(
        &self,
        inputs: &[T],
        spikes: &mut Vec<u8>,
        voltage: Option<StepVoltage<'_, Vec<V>, V>>,
        state: Option<&mut Vec<u8>>,
    ) -> Result<()> {
        step_bytes(inputs, spikes, voltage, state, T::is_positive)
    }

    fn step_override<T: OverrideValue, V: VoltageElement>(
        &self,
        values: &[T],
        spikes: &mut Vec<u8>,
        voltage: Option<StepVoltage<'_, Vec<V>, V>>,
        state: Option<&mut Vec<u8>>,
    ) -> Result<()> {
        step_bytes(values, spikes, voltage, state, T::is_nonzero)
    }

    fn step_bits<T: ThresholdInput, V: VoltageElement>(
        &self,
        inputs: &[T],
        rows: usize,
        count: usize,
        words: &mut Vec<u32>,
        voltage: Option<StepVoltage<'_, Vec<V>, V>>,
        state: Option<&mut Vec<u32>>,
    ) -> Result<()> {
        step_words(inputs, rows, count, words, voltage, state, T::is_positive)
    }

    fn step_bits_override<T: OverrideValue, V: VoltageElement>(
        &self,
        values: &[T],
        rows: usize,
        count: usize,
        words: &mut Vec<u32>,
        voltage: Option<StepVoltage<'_, Vec<V>, V>>,
        state: Option<&mut Vec<u32>>,
    ) -> Result<()> {
        step_words(values, rows, count, words, voltage, state, T::is_nonzero)
    }
}

#[cfg(test)]
mod tests {
    use half::{bf16, f16};

    use super::*;

    /// Every f16 bit pattern, then a pseudo-random mix of f32 patterns that
    /// includes the special values.
    fn f32_patterns(len: usize) -> Vec<f32> {
        let special = [
            0.0,
            -0.0,
            f32::NAN,
            -f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MIN_POSITIVE,
            f32::from_bits(1),
            f32::from_bits(0x8000_0001),
            f32::MAX,
            -1.0,
            1.0,
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        (0..len)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if i % 7 == 0 {
                    special[(state % special.len() as u64) as usize]
                } else {
                    f32::from_bits(state as u32)
                }
            })
            .collect()
    }

    fn reference<T: Copy>(inputs: &[T], test: impl Fn(T) -> bool) -> Vec<u8> {
        inputs.iter().map(|&x| u8::from(test(x))).collect()
    }

    #[test]
    fn blocked_writers_match_the_element_loop_at_every_offset_and_length() {
        let inputs = f32_patterns(4096 + 64);
        let halves: Vec<f16> = (0..=u16::MAX).map(f16::from_bits).collect();
        let brains: Vec<bf16> = (0..=u16::MAX).map(bf16::from_bits).collect();
        let mut out = vec![0xAAu8; inputs.len() + 64];
        for offset in 0..BLOCK + 1 {
            for len in [0, 1, 15, 16, 17, 31, 33, 100, 4096] {
                let x = &inputs[offset..offset + len];
                let expected = reference(x, f32::is_positive);
                out.fill(0xAA);
                write_spikes(x, &mut out[offset..offset + len], f32::is_positive);
                assert_eq!(&out[offset..offset + len], &expected[..], "{offset} {len}");
                // the bytes around are untouched
                assert!(out[..offset].iter().all(|&b| b == 0xAA));
                assert!(out[offset + len..].iter().all(|&b| b == 0xAA));
                #[cfg(target_arch = "x86_64")]
                {
                    out.fill(0xAA);
                    stream::write_spikes(x, &mut out[offset..offset + len], &f32::is_positive);
                    assert_eq!(&out[offset..offset + len], &expected[..], "{offset} {len}");
                    assert!(out[..offset].iter().all(|&b| b == 0xAA));
                    assert!(out[offset + len..].iter().all(|&b| b == 0xAA));
                }
            }
        }
        let mut out = vec![0u8; halves.len()];
        write_spikes(&halves, &mut out, f16::is_positive);
        assert_eq!(out, reference(&halves, f16::is_positive));
        write_spikes(&brains, &mut out, bf16::is_nonzero);
        assert_eq!(out, reference(&brains, bf16::is_nonzero));
        #[cfg(target_arch = "x86_64")]
        {
            stream::write_spikes(&halves, &mut out, &f16::is_nonzero);
            assert_eq!(out, reference(&halves, f16::is_nonzero));
            stream::write_spikes(&brains, &mut out, &bf16::is_positive);
            assert_eq!(out, reference(&brains, bf16::is_positive));
        }
    }

    /// Words whose bit `j` is `test(inputs[32 * w + j])`, padding bits 0:
    /// the definition, element by element.
    fn reference_words<T: Copy>(inputs: &[T], count: usize, test: impl Fn(T) -> bool) -> Vec<u32> {
        let mut words = Vec::new();
        for row in inputs.chunks_exact(count) {
            for word in row.chunks(32) {
                let bits = word.iter().enumerate();
                words.push(bits.fold(0, |w, (j, &x)| w | u32::from(test(x)) << j));
            }
        }
        words
    }

    /// f32 edge patterns around every boundary of `x > 0` (zeros, the
    /// smallest subnormals, the largest finite, infinities, NaN payloads of
    /// both signs), then random patterns from a printed seed.
    #[cfg(target_arch = "x86_64")]
    fn f32_bits_with_edges(len: usize) -> Vec<u32> {
        let edges = [
            0x0000_0000u32,
            0x0000_0001,
            0x0000_0002,
            0x007F_FFFF,
            0x0080_0000,
            0x3F80_0000,
            0x7F7F_FFFF,
            0x7F80_0000,
            0x7F80_0001,
            0x7FC0_0000,
            0x7FFF_FFFF,
            0x8000_0000,
            0x8000_0001,
            0x807F_FFFF,
            0xBF80_0000,
            0xFF7F_FFFF,
            0xFF80_0000,
            0xFF80_0001,
            0xFFC0_0000,
            0xFFFF_FFFF,
        ];
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        println!("f32 word former seed: {seed:#x}");
        let mut state = seed;
        // Edges first, shifted by one more each word, so that within
        // `edges.len()` words each edge lands on every lane of a word (33 is
        // coprime to 20), then random bits with edges among them.
        (0..len)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if i < edges.len() * 32 {
                    edges[(i + i / 32) % edges.len()]
                } else if i % 5 == 0 {
                    edges[(state % edges.len() as u64) as usize]
                } else {
                    state as u32
                }
            })
            .collect()
    }

    /// A safe f32 word former: the inputs' bit patterns into words.
    #[cfg(target_arch = "x86_64")]
    type WordFormer = fn(&[u32], &mut [u32]);

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn f32_word_formers_match_the_element_loop_at_every_offset_and_length() {
        let bits = f32_bits_with_edges(4096 + 64);
        let floats: Vec<f32> = bits.iter().map(|&b| f32::from_bits(b)).collect();
        let avx2 = std::is_x86_feature_detected!("avx2");
        if !avx2 {
            println!("AVX2 word former SKIPPED: this CPU has no AVX2");
        }
        let mut words = vec![0u32; bits.len() / 32 + 4];
        for offset in 0..=32 {
            for len in [0, 1, 31, 32, 33, 63, 64, 65, 96, 100, 4096] {
                let x = &bits[offset..offset + len];
                let expected = reference_words(
                    &floats[offset..offset + len / 32 * 32],
                    32,
                    f32::is_positive,
                );
                let n = expected.len();
                let formers: [(&str, WordFormer); 2] = [
                    ("sse2", positive_words::pack_sse2),
                    ("dispatch", positive_words::pack),
                ];
                for (name, former) in formers {
                    words.fill(0xAAAA_AAAA);
                    former(x, &mut words[..n + 1]);
                    assert_eq!(&words[..n], &expected[..], "{name} {offset} {len}");
                    // the word after the last whole one is untouched
                    assert!(
                        words[n..].iter().all(|&w| w == 0xAAAA_AAAA),
                        "{name} {offset} {len}"
                    );
                }
                if avx2 {
                    words.fill(0xAAAA_AAAA);
                    // SAFETY: the CPU has AVX2 (detected above).
                    unsafe { positive_words::pack_avx2(x, &mut words[..n + 1]) };
                    assert_eq!(&words[..n], &expected[..], "avx2 {offset} {len}");
                    assert!(
                        words[n..].iter().all(|&w| w == 0xAAAA_AAAA),
                        "avx2 {offset} {len}"
                    );
                }
            }
        }
        // Rows of every length around a word, whole words and partial ones,
        // through the backend's entry point and against the generic packer.
        for count in [1, 2, 31, 32, 33, 63, 64, 65, 95, 97, 100, 128, 130] {
            let rows = (bits.len() / count).min(7);
            let x = &floats[..rows * count];
            let expected = reference_words(x, count, f32::is_positive);
            let mut out = Cpu.alloc_words(expected.len()).unwrap();
            out.fill(0xAAAA_AAAA);
            Cpu.threshold_bits(x, rows, count, &mut out).unwrap();
            assert_eq!(out, expected, "count {count}");
            out.fill(0xAAAA_AAAA);
            pack_rows::<f32, u8>(x, count, &mut out, None, f32::is_positive);
            assert_eq!(out, expected, "generic, count {count}");
        }
    }

    #[test]
    fn a_large_step_takes_the_streaming_path_and_gives_the_same_bits() {
        let len = STREAM_MIN_LEN + 37;
        let inputs = f32_patterns(len);
        let mut spikes = Cpu.alloc_zeroed::<u8>(len).unwrap();
        Cpu.threshold(&inputs[..], &mut spikes).unwrap();
        assert_eq!(spikes, reference(&inputs, f32::is_positive));
        let values: Vec<u8> = (0..len).map(|i| (i % 3) as u8 * 127).collect();
        Cpu.overrides(&values[..], &mut spikes).unwrap();
        assert_eq!(spikes, reference(&values, u8::is_nonzero));
    }

    #[test]
    fn buffers_larger_than_the_machine_get_the_typed_error_not_a_kill() {
        // Twice the machine's memory (or 1 PiB where it is not known): the
        // eager zero-fill used to write every page of such a buffer and get
        // the process killed; now nothing is written and the request fails.
        let bytes = crate::host_memory::machine_memory()
            .map_or(1u64 << 50, |m| m.saturating_mul(2))
            .min(1 << 50) as usize;
        let out_of_memory = |err: crate::Error, expected: usize| match err {
            crate::Error::OutOfMemory { bytes } => assert_eq!(bytes, expected),
            other => panic!("{other}"),
        };
        out_of_memory(
            Cpu.alloc_zeroed::<f64>(bytes / 8).unwrap_err(),
            bytes / 8 * 8,
        );
        out_of_memory(Cpu.alloc_zeroed::<u8>(bytes).unwrap_err(), bytes);
        out_of_memory(Cpu.alloc_words(bytes / 4).unwrap_err(), bytes / 4 * 4);
        // A small buffer still comes, zeroed.
        let small = Cpu.alloc_zeroed::<f32>(1000).unwrap();
        assert!(small.iter().all(|v| v.to_bits() == 0));
    }
}
