//! Fresh random data for every run, rich in IEEE special values.
//!
//! The seed comes from the clock and is printed, so a failure can be
//! replayed with `EXACT_NEURON_SEED=<seed>`.

use half::{bf16, f16};

/// SplitMix64: small, fast, and good enough to draw test data.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from `EXACT_NEURON_SEED` or the clock; prints the
    /// seed with `label`.
    pub fn fresh(label: &str) -> Rng {
        let seed = std::env::var("EXACT_NEURON_SEED")
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|elapsed| elapsed.as_nanos() as u64)
                    .unwrap_or(0x5EED)
                    ^ u64::from(std::process::id()).rotate_left(32)
            });
        eprintln!("{label}: EXACT_NEURON_SEED={seed}");
        Rng(seed)
    }

    /// A generator with a fixed seed.
    pub fn seeded(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`bound > 0`).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// `len` values: a quarter special values, the rest random bit patterns
    /// (so every class of number, NaN payloads and subnormals included).
    pub fn values<T: RandomValue>(&mut self, len: usize) -> Vec<T> {
        (0..len).map(|_| T::random(self)).collect()
    }
}

/// A type the tests draw random values of.
pub trait RandomValue: Copy + 'static {
    /// Hand-picked edge values of the type.
    const SPECIALS: &'static [Self];
    fn from_bits_u64(bits: u64) -> Self;
    fn random(rng: &mut Rng) -> Self {
        if rng.below(4) == 0 {
            rng.pick(Self::SPECIALS)
        } else {
            Self::from_bits_u64(rng.next_u64())
        }
    }
}

const fn f32b(bits: u32) -> f32 {
    f32::from_bits(bits)
}
const fn f64b(bits: u64) -> f64 {
    f64::from_bits(bits)
}

impl RandomValue for f32 {
    const SPECIALS: &'static [f32] = &[
        0.0,
        -0.0,
        1.0,
        -1.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        f32b(0x0000_0001), // smallest positive subnormal
        f32b(0x007F_FFFF), // largest subnormal
        f32b(0x8000_0001), // negative subnormal
        f32b(0x7FC0_0000), // quiet NaN
        f32b(0x7F80_0001), // signalling NaN, payload 1
        f32b(0x7FFF_FFFF), // NaN, all payload bits
        f32b(0xFFC0_0001), // negative NaN with payload
    ];
    fn from_bits_u64(bits: u64) -> f32 {
        f32::from_bits(bits as u32)
    }
}

impl RandomValue for f64 {
    const SPECIALS: &'static [f64] = &[
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        f64b(0x0000_0000_0000_0001),
        f64b(0x000F_FFFF_FFFF_FFFF),
        f64b(0x8000_0000_0000_0001),
        f64b(0x7FF8_0000_0000_0000),
        f64b(0x7FF0_0000_0000_0001),
        f64b(0x7FFF_FFFF_FFFF_FFFF),
        f64b(0xFFF8_0000_0000_0001),
    ];
    fn from_bits_u64(bits: u64) -> f64 {
        f64::from_bits(bits)
    }
}

impl RandomValue for f16 {
    const SPECIALS: &'static [f16] = &[
        f16::from_bits(0x0000),
        f16::from_bits(0x8000),
        f16::from_bits(0x0001), // smallest subnormal
        f16::from_bits(0x8001),
        f16::from_bits(0x03FF), // largest subnormal
        f16::from_bits(0x0400), // smallest normal
        f16::from_bits(0x3C00), // 1
        f16::from_bits(0x7BFF), // 65504
        f16::from_bits(0xFBFF),
        f16::from_bits(0x7C00), // +inf
        f16::from_bits(0xFC00), // -inf
        f16::from_bits(0x7C01), // signalling NaN
        f16::from_bits(0x7E00), // quiet NaN
        f16::from_bits(0x7FFF),
        f16::from_bits(0xFE01),
        f16::from_bits(0xFFFF),
    ];
    fn from_bits_u64(bits: u64) -> f16 {
        f16::from_bits(bits as u16)
    }
}

impl RandomValue for bf16 {
    const SPECIALS: &'static [bf16] = &[
        bf16::from_bits(0x0000),
        bf16::from_bits(0x8000),
        bf16::from_bits(0x0001),
        bf16::from_bits(0x8001),
        bf16::from_bits(0x007F),
        bf16::from_bits(0x0080),
        bf16::from_bits(0x3F80), // 1
        bf16::from_bits(0x7F7F), // max
        bf16::from_bits(0xFF7F),
        bf16::from_bits(0x7F80), // +inf
        bf16::from_bits(0xFF80), // -inf
        bf16::from_bits(0x7F81),
        bf16::from_bits(0x7FC0),
        bf16::from_bits(0x7FFF),
        bf16::from_bits(0xFFC1),
        bf16::from_bits(0xFFFF),
    ];
    fn from_bits_u64(bits: u64) -> bf16 {
        bf16::from_bits(bits as u16)
    }
}

impl RandomValue for u8 {
    const SPECIALS: &'static [u8] = &[0, 1, 2, 0x7F, 0x80, 0xFE, 0xFF];
    fn from_bits_u64(bits: u64) -> u8 {
        bits as u8
    }
}

impl RandomValue for bool {
    const SPECIALS: &'static [bool] = &[false, true];
    fn from_bits_u64(bits: u64) -> bool {
        bits & 1 == 1
    }
}
