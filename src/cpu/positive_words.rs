//! Threshold into bits for f32 on x86-64, each word's mask formed straight
//! from 32-bit compares.
//!
//! The generic word former makes a word's 32 tests as bytes and then
//! gathers their bits: per element, as much work as the byte writer, so
//! the bits could not be faster than the bytes. Here the test runs on the
//! f32 bit patterns as integers, and `movmskps` takes one bit per lane of
//! the compare result directly: with AVX2 (detected at run time), 4 adds,
//! 4 compares and 4 movemasks per word; with the SSE2 baseline, 8 of each.
//!
//! The test is [`f32::is_positive`]'s, `bits - 1 < 0x7F80_0000` unsigned.
//! x86 has only signed 32-bit compares, so both sides get their sign bit
//! flipped, which keeps the order: `bits - 1 + 0x8000_0000`, one add of
//! `0x7FFF_FFFF` (wrapping), compared signed with `0xFF80_0000`.
//!
//! [`f32::is_positive`]: crate::dtype::ThresholdInput::is_positive

use crate::dtype::ThresholdInput;

/// What is added to the bits: `-1`, then the sign-bit flip.
const BIAS: i32 = 0x7FFF_FFFF;

/// `0x7F80_0000` with its sign bit flipped, as a signed number.
const LIMIT: i32 = 0xFF80_0000_u32 as i32;

/// Word `w` of `words` gets the tests of `bits[32 * w..32 * w + 32]`, bit
/// `j` from element `j`. Words beyond `bits.len() / 32` are left alone, as
/// are elements beyond `32 * words.len()`.
pub(super) fn pack(bits: &[u32], words: &mut [u32]) {
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (detected just above; `std` caches the
        // answer after the first call), which is all `pack_avx2` needs.
        unsafe { pack_avx2(bits, words) }
    } else {
        pack_sse2(bits, words);
    }
}

/// [`pack`] with the SSE2 baseline: 8 groups of 4 lanes per word.
pub(super) fn pack_sse2(bits: &[u32], words: &mut [u32]) {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_castsi128_ps, _mm_cmplt_epi32, _mm_loadu_si128,
        _mm_movemask_ps, _mm_set1_epi32,
    };
    for (word, chunk) in words.iter_mut().zip(bits.chunks_exact(32)) {
        // SAFETY: SSE2, which every intrinsic here needs, is part of the
        // x86-64 baseline. `chunk` is 32 readable u32s (`chunks_exact`),
        // and each load reads 4 of them at `4 * group < 32`; `loadu` has no
        // alignment requirement.
        *word = unsafe {
            let bias = _mm_set1_epi32(BIAS);
            let limit = _mm_set1_epi32(LIMIT);
            let mut mask = 0u32;
            for group in 0..8 {
                let lanes = _mm_loadu_si128(chunk.as_ptr().add(4 * group).cast::<__m128i>());
                let below = _mm_cmplt_epi32(_mm_add_epi32(lanes, bias), limit);
                mask |= (_mm_movemask_ps(_mm_castsi128_ps(below)) as u32) << (4 * group);
            }
            mask
        };
    }
}

/// [`pack`] with AVX2: 4 groups of 8 lanes per word.
///
/// # Safety
///
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn pack_avx2(bits: &[u32], words: &mut [u32]) {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_castsi256_ps, _mm256_cmpgt_epi32, _mm256_loadu_si256,
        _mm256_movemask_ps, _mm256_set1_epi32,
    };
    for (word, chunk) in words.iter_mut().zip(bits.chunks_exact(32)) {
        // SAFETY: the caller guarantees AVX2, which every intrinsic here
        // needs. `chunk` is 32 readable u32s (`chunks_exact`), and each
        // load reads 8 of them at `8 * group < 32`; `loadu` has no
        // alignment requirement.
        *word = unsafe {
            let bias = _mm256_set1_epi32(BIAS);
            let limit = _mm256_set1_epi32(LIMIT);
            let mut mask = 0u32;
            for group in 0..4 {
                let lanes = _mm256_loadu_si256(chunk.as_ptr().add(8 * group).cast::<__m256i>());
                let below = _mm256_cmpgt_epi32(limit, _mm256_add_epi32(lanes, bias));
                mask |= (_mm256_movemask_ps(_mm256_castsi256_ps(below)) as u32) << (8 * group);
            }
            mask
        };
    }
}

/// [`super::pack_rows`] without voltages for the f32 threshold, given the
/// inputs' bit patterns: whole words through [`pack`], each row's partial
/// last word (padding bits 0) through the generic tail.
pub(super) fn pack_rows(bits: &[u32], count: usize, words: &mut [u32]) {
    let test = |bits: u32| f32::from_bits(bits).is_positive();
    super::pack_rows_with(bits, count, words, pack, &test);
}
