//! Element types, and what each operation needs to know about them.
//!
//! The traits are sealed: the kernels exist for exactly these types. This
//! module knows nothing of devices, kernels or caches: which kernel entry
//! runs an operation on a type is a row of [`crate::kernel`]'s table, and
//! how a voltage parameter is rounded to a type is [`crate::NeuronParams`]'
//! business.
//!
//! | trait              | types                              | used by            |
//! |--------------------|------------------------------------|--------------------|
//! | [`ThresholdInput`] | `f32`, `f64`, `f16`, `bf16`        | `forward`          |
//! | [`OverrideValue`]  | `bool`, `u8`, `f32`, `f64`, `f16`, `bf16` | `forward_override` |
//! | [`VoltageElement`] | `f32`, `f64`, `f16`, `bf16`        | `voltage`, `refrac` |

use std::fmt;

use half::{bf16, f16};

/// The element types of this crate, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// `bool`, one byte holding 0 or 1.
    Bool,
    /// `u8`.
    U8,
    /// IEEE-754 binary16 ([`half::f16`]).
    F16,
    /// bfloat16 ([`half::bf16`]).
    BF16,
    /// IEEE-754 binary32.
    F32,
    /// IEEE-754 binary64.
    F64,
}

impl DType {
    /// Every element type, in the order of this enum.
    pub const ALL: [DType; 6] = [
        DType::Bool,
        DType::U8,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
    ];

    /// The type called `name` (as [`DType::name`] spells it), if any.
    pub fn from_name(name: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|dtype| dtype.name() == name)
    }

    /// The short name used in kernel entries and on the command line:
    /// `bool`, `u8`, `f16`, `bf16`, `f32`, `f64`.
    pub const fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "u8",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }

    /// The size of one element in bytes.
    pub const fn size(self) -> usize {
        match self {
            DType::Bool | DType::U8 => 1,
            DType::F16 | DType::BF16 => 2,
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for bool {}
    impl Sealed for u8 {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for half::f16 {}
    impl Sealed for half::bf16 {}
}

/// A type that can live in a neuron's buffers on every backend: plain bits,
/// valid when zeroed, and passable to a CUDA kernel.
pub trait Element:
    sealed::Sealed
    + Copy
    + Send
    + Sync
    + fmt::Debug
    + 'static
    + bytemuck::NoUninit
    + bytemuck::Zeroable
    + cudarc::driver::DeviceRepr
    + cudarc::driver::ValidAsZeroBits
{
    /// This type's name.
    const DTYPE: DType;
}

/// An input type of threshold mode: `spike = input > 0`.
pub trait ThresholdInput: Element {
    /// `self > 0`, with IEEE semantics: false for NaN, +0, -0 and -inf, true
    /// for +inf and positive subnormals. Implemented on the bits, exactly as
    /// the kernels do, so that it needs no floating-point unit and compiles
    /// to a branch-free vector loop.
    fn is_positive(self) -> bool;
}

/// A value type of an override: `spike = value != 0`.
pub trait OverrideValue: Element {
    /// `self != 0`: true for NaN, false for -0.0, true for every nonzero byte.
    fn is_nonzero(self) -> bool;
}

/// An element type of the derived views (`voltage`, `refrac`).
pub trait VoltageElement: Element {
    /// `value` in this type, rounded to nearest even (exact for f64).
    fn from_f64(value: f64) -> Self;

    /// `value` in this type, rounded to nearest even (exact for f32 and f64).
    fn from_f32(value: f32) -> Self;

    /// The bit pattern of `self`, zero-extended to 64 bits: what a voltage
    /// kernel's `p_rest`/`p_thresh` parameter carries.
    fn to_bits_u64(self) -> u64;

    /// `out[i] = if spikes[i] != 0 { thresh } else { rest }` for every `i`
    /// of the shorter slice: the CPU backend's voltage loop. It selects bit
    /// patterns with integer masks, which the compiler turns into vector
    /// code for every width; a plain `if` on the values was vectorised for
    /// the 16-bit types only, and f32 ran about 5 times slower per element.
    #[doc(hidden)]
    fn select(spikes: &[u8], out: &mut [Self], rest: Self, thresh: Self);
}

/// [`VoltageElement::select`] on the bit patterns, `$bits` wide.
macro_rules! select_by_bits {
    ($bits:ty) => {
        // Not forced inline: as a function of its own its two slices are
        // known not to overlap, which the vectoriser needs.
        fn select(spikes: &[u8], out: &mut [Self], rest: Self, thresh: Self) {
            let rest = rest.to_bits();
            let flip = rest ^ thresh.to_bits();
            for (voltage, &spike) in out.iter_mut().zip(spikes) {
                // all ones where the neuron spiked, else 0
                let mask = <$bits>::from(spike != 0).wrapping_neg();
                *voltage = Self::from_bits(rest ^ (flip & mask));
            }
        }
    };
}

impl Element for bool {
    const DTYPE: DType = DType::Bool;
}
impl Element for u8 {
    const DTYPE: DType = DType::U8;
}
impl Element for f32 {
    const DTYPE: DType = DType::F32;
}
impl Element for f64 {
    const DTYPE: DType = DType::F64;
}
impl Element for f16 {
    const DTYPE: DType = DType::F16;
}
impl Element for bf16 {
    const DTYPE: DType = DType::BF16;
}

// Positive IEEE numbers are exactly the bit patterns 1 ..= bits(+inf), so
// `bits - 1 < bits(+inf)` (wrapping, unsigned) is `x > 0` in one compare.
impl ThresholdInput for f32 {
    #[inline(always)]
    fn is_positive(self) -> bool {
        self.to_bits().wrapping_sub(1) < 0x7F80_0000
    }
}
impl ThresholdInput for f64 {
    #[inline(always)]
    fn is_positive(self) -> bool {
        self.to_bits().wrapping_sub(1) < 0x7FF0_0000_0000_0000
    }
}
impl ThresholdInput for f16 {
    #[inline(always)]
    fn is_positive(self) -> bool {
        self.to_bits().wrapping_sub(1) < 0x7C00
    }
}
impl ThresholdInput for bf16 {
    #[inline(always)]
    fn is_positive(self) -> bool {
        self.to_bits().wrapping_sub(1) < 0x7F80
    }
}

// A float is zero exactly when every bit but the sign bit is zero.
impl OverrideValue for bool {
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self
    }
}
impl OverrideValue for u8 {
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self != 0
    }
}
impl OverrideValue for f32 {
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self.to_bits() & 0x7FFF_FFFF != 0
    }
}
impl OverrideValue for f64 {
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self.to_bits() & 0x7FFF_FFFF_FFFF_FFFF != 0
    }
}
impl OverrideValue for f16 {
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self.to_bits() & 0x7FFF != 0
    }
}
impl OverrideValue for bf16 {
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self.to_bits() & 0x7FFF != 0
    }
}

impl VoltageElement for f64 {
    select_by_bits!(u64);
    fn from_f64(value: f64) -> Self {
        value
    }
    fn from_f32(value: f32) -> Self {
        f64::from(value)
    }
    fn to_bits_u64(self) -> u64 {
        self.to_bits()
    }
}
impl VoltageElement for f32 {
    select_by_bits!(u32);
    fn from_f64(value: f64) -> Self {
        value as f32
    }
    fn from_f32(value: f32) -> Self {
        value
    }
    fn to_bits_u64(self) -> u64 {
        u64::from(self.to_bits())
    }
}
impl VoltageElement for f16 {
    select_by_bits!(u16);
    fn from_f64(value: f64) -> Self {
        f16::from_f64(value)
    }
    fn from_f32(value: f32) -> Self {
        f16::from_f32(value)
    }
    fn to_bits_u64(self) -> u64 {
        u64::from(self.to_bits())
    }
}
impl VoltageElement for bf16 {
    select_by_bits!(u16);
    fn from_f64(value: f64) -> Self {
        bf16::from_f64(value)
    }
    fn from_f32(value: f32) -> Self {
        bf16::from_f32(value)
    }
    fn to_bits_u64(self) -> u64 {
        u64::from(self.to_bits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sizes() {
        assert_eq!(<f32 as Element>::DTYPE.name(), "f32");
        assert_eq!(<bf16 as Element>::DTYPE.size(), 2);
        assert_eq!(<bool as Element>::DTYPE.size(), std::mem::size_of::<bool>());
        assert_eq!(DType::F64.to_string(), "f64");
        for dtype in DType::ALL {
            assert_eq!(DType::from_name(dtype.name()), Some(dtype));
        }
        assert_eq!(DType::from_name("f8"), None);
    }

    /// `select` copies the two bit patterns exactly (NaN payloads, -0,
    /// subnormals) for every spike byte, at lengths around the vector
    /// width, and writes nothing past the shorter slice.
    fn select_copies_patterns<V: VoltageElement>(patterns: &[V]) {
        let bits = |v: V| v.to_bits_u64();
        let spikes: Vec<u8> = (0..67u32)
            .map(|i| [0, 1, 0x80, 0xFF, 0][i as usize % 5])
            .collect();
        for &rest in patterns {
            for &thresh in patterns {
                for len in [0, 1, 15, 16, 17, 33, 66] {
                    let mut out = vec![patterns[0]; 67];
                    V::select(&spikes[..len], &mut out, rest, thresh);
                    for (i, &v) in out.iter().enumerate() {
                        let expected = if i >= len {
                            patterns[0]
                        } else if spikes[i] != 0 {
                            thresh
                        } else {
                            rest
                        };
                        assert_eq!(bits(v), bits(expected), "{rest:?} {thresh:?} {len} {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn select_copies_the_bit_patterns() {
        select_copies_patterns(&[
            f32::from_bits(0x7FC0_1234),
            -0.0f32,
            f32::from_bits(1),
            -60.0,
            f32::NEG_INFINITY,
        ]);
        select_copies_patterns(&[f64::from_bits(0xFFF8_0000_0000_0042), -0.0, 5e-324, -50.0]);
        select_copies_patterns(&[f16::from_bits(0x7E01), f16::NEG_ZERO, f16::from_bits(1)]);
        select_copies_patterns(&[bf16::from_bits(0xFFC1), bf16::NEG_ZERO, bf16::from_bits(1)]);
    }
}
