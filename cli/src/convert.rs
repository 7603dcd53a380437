//! Float conversions of `--input-dtype`, each rounding once to nearest even.
//!
//! f64 to f32 is Rust's `as`. f64 to f16 or bf16 goes through f32 rounded
//! *to odd*, which makes the second rounding (half's exact f32 conversion)
//! give the correctly rounded result: `half`'s own `from_f64` drops the low
//! 32 bits of the f64 before rounding, so it misrounds values just above a
//! tie. Narrower sources widen exactly first.

use exact_neuron::half::{bf16, f16};

/// `x` rounded to f32 with round-to-odd: truncated toward zero, with the
/// last bit set when the result is inexact. With f32's 24-bit significand,
/// at least two bits more than f16's and bf16's, a second rounding to
/// nearest even from here equals a single rounding of `x`.
pub fn f64_to_f32_round_odd(x: f64) -> f32 {
    let nearest = x as f32;
    if !x.is_finite() || f64::from(nearest) == x {
        return nearest;
    }
    let mut bits = nearest.to_bits();
    if f64::from(nearest).abs() > x.abs() {
        // Rounded away from zero (possibly to infinity): step back one unit
        // toward zero, keeping the sign bit.
        bits -= 1;
    }
    f32::from_bits(bits | 1)
}

pub fn f64_to_f16(x: f64) -> f16 {
    f16::from_f32(f64_to_f32_round_odd(x))
}

pub fn f64_to_bf16(x: f64) -> bf16 {
    bf16::from_f32(f64_to_f32_round_odd(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_values_are_unchanged() {
        for x in [0.0, -0.0, 1.0, -2.5, 65504.0, f64::INFINITY, 1e-45] {
            let y = f64_to_f32_round_odd(x);
            assert_eq!(y.to_bits(), (x as f32).to_bits(), "{x}");
        }
        assert!(f64_to_f32_round_odd(f64::NAN).is_nan());
        assert!(f64_to_f16(f64::NAN).is_nan());
        assert!(f64_to_bf16(-f64::NAN).is_nan());
    }

    #[test]
    fn just_above_a_tie_rounds_up() {
        // 1 + 2^-11 is halfway between two f16 values; a hair above it must
        // round up to 1 + 2^-10 (half's from_f64 gives 1.0 here).
        let x = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
        assert_eq!(f64_to_f16(x), f16::from_f32(1.0 + 2f32.powi(-10)));
        assert_eq!(f64_to_f16(-x), -f16::from_f32(1.0 + 2f32.powi(-10)));
        // the same for bf16 (8-bit significand): tie at 1 + 2^-8
        let x = 1.0 + 2f64.powi(-8) + 2f64.powi(-45);
        assert_eq!(f64_to_bf16(x), bf16::from_f32(1.0 + 2f32.powi(-7)));
        // an exact tie still rounds to even
        assert_eq!(f64_to_f16(1.0 + 2f64.powi(-11)), f16::ONE);
        assert_eq!(f64_to_bf16(1.0 + 2f64.powi(-8)), bf16::ONE);
    }

    #[test]
    fn overflow_and_underflow() {
        assert_eq!(f64_to_f16(1e6), f16::INFINITY);
        assert_eq!(f64_to_bf16(-1e39), bf16::NEG_INFINITY);
        assert_eq!(f64_to_bf16(f64::from(f32::MAX)), bf16::INFINITY);
        assert_eq!(f64_to_bf16(3.3e38).to_bits(), 0x7F78);
        // tiny values go to a signed zero, never to the smallest subnormal
        assert_eq!(f64_to_f16(1e-300).to_bits(), 0);
        assert_eq!(f64_to_f16(-1e-300).to_bits(), 0x8000);
        assert_eq!(f64_to_bf16(1e-300).to_bits(), 0);
        // positive subnormal f16 survives
        let tiny = 2f64.powi(-24);
        assert_eq!(f64_to_f16(tiny).to_bits(), 1);
        // just above half the smallest subnormal rounds up to it
        assert_eq!(f64_to_f16(2f64.powi(-25) * (1.0 + 1e-12)).to_bits(), 1);
        assert_eq!(f64_to_f16(2f64.powi(-25)).to_bits(), 0);
    }

    #[test]
    fn agrees_with_exact_rounding_on_a_sweep() {
        // Compare with rounding by hand: the two f16 neighbours of x and the
        // nearest one, ties to even, for values built to sit near ties.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bits = (state & 0x7BFF) as u16;
            if bits == 0x7BFF {
                continue;
            }
            let lo = f16::from_bits(bits).to_f64();
            let hi = f16::from_bits(bits + 1).to_f64();
            let offset = ((state >> 20) % 2049) as f64 / 2048.0; // 0 ..= 1 ulp
                                                                 // sometimes a hair above (sticky bits far below f32's precision)
            let hair = ((state >> 40) & 1) as f64 * 2f64.powi(-30);
            let x = lo + (hi - lo) * (offset + hair).min(1.0);
            let got = f64_to_f16(x).to_f64();
            let expect = if x - lo < hi - x {
                lo
            } else if x - lo > hi - x {
                hi
            } else if bits % 2 == 0 {
                lo
            } else {
                hi
            };
            assert_eq!(got, expect, "x = {x:e}");
        }
    }
}
