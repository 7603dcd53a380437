//! Element types, and what each operation needs to know about them.
//!
//! The traits are sealed: the kernels exist for exactly these types.
//!
//! | trait              | types                              | used by            |
//! |--------------------|------------------------------------|--------------------|
//! | [`ThresholdInput`] | `f32`, `f64`, `f16`, `bf16`        | `forward`          |
//! | [`OverrideValue`]  | `bool`, `u8`, `f32`, `f64`, `f16`, `bf16` | `forward_override` |
//! | [`VoltageElement`] | `f32`, `f64`, `f16`, `bf16`        | `voltage`, `refrac` |

use std::fmt;

use half::{bf16, f16};

use crate::device::KernelDevice;
use crate::error::{Error, Result};
use crate::kernel::Kernel;
use crate::pyrepr::float_repr;
use crate::views::{Slot, ViewSlots};

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
    /// The kernel entry that runs threshold mode on this type.
    const KERNEL: Kernel;

    /// `self > 0`, with IEEE semantics: false for NaN, +0, -0 and -inf, true
    /// for +inf and positive subnormals. Implemented on the bits, exactly as
    /// the kernels do, so that it needs no floating-point unit and compiles
    /// to a branch-free vector loop.
    fn is_positive(self) -> bool;
}

/// A value type of an override: `spike = value != 0`.
pub trait OverrideValue: Element {
    /// The kernel entry that applies an override of this type (`bool` uses
    /// the `u8` one: a bool is one byte).
    const KERNEL: Kernel;

    /// `self != 0`: true for NaN, false for -0.0, true for every nonzero byte.
    fn is_nonzero(self) -> bool;
}

/// An element type of the derived views (`voltage`, `refrac`).
pub trait VoltageElement: Element {
    /// The kernel entry that writes the voltage view in this type.
    const KERNEL: Kernel;

    /// Converts a voltage parameter to this type as the port defines it: f64
    /// exactly; f32 rounded to nearest; f16 and bf16 rounded to nearest even
    /// from that f32 (what torch produces). A finite value whose magnitude
    /// exceeds `f32::MAX` cannot be converted to f32, f16 or bf16 and gives
    /// [`Error::VoltageOverflow`], as torch raises for it.
    fn from_parameter(name: &'static str, value: f64) -> Result<Self>;

    /// The bit pattern of `self`, zero-extended to 64 bits: what a voltage
    /// kernel's `p_rest`/`p_thresh` parameter carries.
    fn to_bits_u64(self) -> u64;

    #[doc(hidden)]
    /// The cache slot of this type in a set of derived views.
    fn slot<D: KernelDevice>(slots: &mut ViewSlots<D>) -> &mut Slot<D::Buffer<Self>>;
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
    const KERNEL: Kernel = Kernel::ThresholdF32;
    #[inline(always)]
    fn is_positive(self) -> bool {
        self.to_bits().wrapping_sub(1) < 0x7F80_0000
    }
}
impl ThresholdInput for f64 {
    const KERNEL: Kernel = Kernel::ThresholdF64;
    #[inline(always)]
    fn is_positive(self) -> bool {
        self.to_bits().wrapping_sub(1) < 0x7FF0_0000_0000_0000
    }
}
impl ThresholdInput for f16 {
    const KERNEL: Kernel = Kernel::ThresholdF16;
    #[inline(always)]
    fn is_positive(self) -> bool {
        self.to_bits().wrapping_sub(1) < 0x7C00
    }
}
impl ThresholdInput for bf16 {
    const KERNEL: Kernel = Kernel::ThresholdBf16;
    #[inline(always)]
    fn is_positive(self) -> bool {
        self.to_bits().wrapping_sub(1) < 0x7F80
    }
}

// A float is zero exactly when every bit but the sign bit is zero.
impl OverrideValue for bool {
    const KERNEL: Kernel = Kernel::OverrideU8;
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self
    }
}
impl OverrideValue for u8 {
    const KERNEL: Kernel = Kernel::OverrideU8;
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self != 0
    }
}
impl OverrideValue for f32 {
    const KERNEL: Kernel = Kernel::OverrideF32;
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self.to_bits() & 0x7FFF_FFFF != 0
    }
}
impl OverrideValue for f64 {
    const KERNEL: Kernel = Kernel::OverrideF64;
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self.to_bits() & 0x7FFF_FFFF_FFFF_FFFF != 0
    }
}
impl OverrideValue for f16 {
    const KERNEL: Kernel = Kernel::OverrideF16;
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self.to_bits() & 0x7FFF != 0
    }
}
impl OverrideValue for bf16 {
    const KERNEL: Kernel = Kernel::OverrideBf16;
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self.to_bits() & 0x7FFF != 0
    }
}

/// The parameter rounded to f32, or the overflow error torch raises for a
/// finite value beyond the f32 range.
fn parameter_to_f32(name: &'static str, value: f64, dtype: DType) -> Result<f32> {
    if value.is_finite() && value.abs() > f64::from(f32::MAX) {
        return Err(Error::VoltageOverflow {
            name,
            value: float_repr(value),
            dtype,
        });
    }
    Ok(value as f32)
}

impl VoltageElement for f64 {
    const KERNEL: Kernel = Kernel::VoltageF64;
    fn from_parameter(_name: &'static str, value: f64) -> Result<Self> {
        Ok(value)
    }
    fn to_bits_u64(self) -> u64 {
        self.to_bits()
    }
    fn slot<D: KernelDevice>(slots: &mut ViewSlots<D>) -> &mut Slot<D::Buffer<Self>> {
        &mut slots.f64
    }
}
impl VoltageElement for f32 {
    const KERNEL: Kernel = Kernel::VoltageF32;
    fn from_parameter(name: &'static str, value: f64) -> Result<Self> {
        parameter_to_f32(name, value, DType::F32)
    }
    fn to_bits_u64(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn slot<D: KernelDevice>(slots: &mut ViewSlots<D>) -> &mut Slot<D::Buffer<Self>> {
        &mut slots.f32
    }
}
impl VoltageElement for f16 {
    const KERNEL: Kernel = Kernel::VoltageF16;
    fn from_parameter(name: &'static str, value: f64) -> Result<Self> {
        parameter_to_f32(name, value, DType::F16).map(f16::from_f32)
    }
    fn to_bits_u64(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn slot<D: KernelDevice>(slots: &mut ViewSlots<D>) -> &mut Slot<D::Buffer<Self>> {
        &mut slots.f16
    }
}
impl VoltageElement for bf16 {
    const KERNEL: Kernel = Kernel::VoltageBf16;
    fn from_parameter(name: &'static str, value: f64) -> Result<Self> {
        parameter_to_f32(name, value, DType::BF16).map(bf16::from_f32)
    }
    fn to_bits_u64(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn slot<D: KernelDevice>(slots: &mut ViewSlots<D>) -> &mut Slot<D::Buffer<Self>> {
        &mut slots.bf16
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
    }

    #[test]
    fn f32_overflow_is_an_error_but_infinity_is_not() {
        assert!(f32::from_parameter("thresh_v", 1e39).is_err());
        assert!(f16::from_parameter("thresh_v", -1e39).is_err());
        assert!(bf16::from_parameter("rest_v", 3.5e38).is_err());
        assert_eq!(
            f32::from_parameter("x", f64::INFINITY).unwrap(),
            f32::INFINITY
        );
        assert_eq!(
            f32::from_parameter("x", f64::from(f32::MAX)).unwrap(),
            f32::MAX
        );
        // f64 keeps everything exactly
        assert_eq!(f64::from_parameter("x", 1e300).unwrap(), 1e300);
        // beyond f16's range but inside f32's: infinity, as torch does
        assert_eq!(f16::from_parameter("x", 1e5).unwrap(), f16::INFINITY);
        let err = f32::from_parameter("thresh_v", 1e39).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'thresh_v' (1e+39) cannot be converted to f32 without overflow"
        );
    }
}
