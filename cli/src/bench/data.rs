//! The bench's test data: deterministic values of every element type.

use exact_neuron::half::{bf16, f16};
use exact_neuron::Element;

/// The period of the bench's data: element `i` of every buffer holds the
/// value of element `i % PERIOD`. A device may fill a buffer by repeating
/// its first `PERIOD` elements (the CUDA bench does, to keep host work
/// small), and the checks after timing expect exactly that pattern.
pub const PERIOD: u64 = 1 << 20;

/// Deterministic test data: a 64-bit mix of the index modulo [`PERIOD`].
pub fn mix(i: u64) -> u64 {
    let mut x = (i % PERIOD).wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Inputs of both signs, spread over several binades.
fn input_f32(i: u64) -> f32 {
    let h = mix(i);
    let magnitude = (h >> 40) as f32 / (1u64 << 24) as f32 * 100.0;
    if h & 1 == 0 {
        magnitude
    } else {
        -magnitude
    }
}

/// An element type the bench can fill buffers of: floats of both signs,
/// integers and bools 0 or 1 (as spikes are).
pub trait Sample: Element {
    /// The `i`th value of the pattern.
    fn sample(i: u64) -> Self;
}

impl Sample for bool {
    fn sample(i: u64) -> bool {
        mix(i) & 1 == 1
    }
}

impl Sample for u8 {
    fn sample(i: u64) -> u8 {
        (mix(i) & 1) as u8
    }
}

impl Sample for f16 {
    fn sample(i: u64) -> f16 {
        f16::from_f32(input_f32(i))
    }
}

impl Sample for bf16 {
    fn sample(i: u64) -> bf16 {
        bf16::from_f32(input_f32(i))
    }
}

impl Sample for f32 {
    fn sample(i: u64) -> f32 {
        input_f32(i)
    }
}

impl Sample for f64 {
    fn sample(i: u64) -> f64 {
        f64::from(input_f32(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device that repeats the first `PERIOD` elements (CUDA's `filled`)
    /// must give what the checks expect, which index the full range.
    #[test]
    fn the_data_repeats_with_its_period() {
        for i in [0, 1, 2047, 2048, PERIOD - 1, 12_345_678, 1 << 40] {
            assert_eq!(mix(i), mix(i + PERIOD), "mix at {i}");
            assert_eq!(
                f32::sample(i).to_bits(),
                f32::sample(i + 3 * PERIOD).to_bits()
            );
            assert_eq!(u8::sample(i), u8::sample(i + PERIOD));
        }
        // and the period is not shorter: neighbours differ somewhere
        assert!((0..64).any(|i| mix(i) != mix(i + PERIOD / 2)));
    }
}
