//! Host values of an element type chosen at run time.
//!
//! [`HostValues`] owns them, [`HostSlice`] borrows them; both say their
//! [`DType`] and lend their bytes. They are what the run-time-typed neuron
//! methods ([`crate::dynamic`]) take and give, so that a caller that learns
//! the type from a file, a command line or a C caller needs no `match` of
//! its own.

use std::any::{Any, TypeId};

use half::{bf16, f16};

use crate::device::host_zeroed;
use crate::dtype::{DType, Element, OverrideValue, ThresholdInput, VoltageElement};
use crate::error::{Error, Result};
use crate::kernel::SpikeRule;

/// Owned host values of any element type.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)] // the variants are the element types
pub enum HostValues {
    Bool(Vec<bool>),
    U8(Vec<u8>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// Borrowed host values of any element type.
#[derive(Clone, Copy, Debug, PartialEq)]
#[allow(missing_docs)] // the variants are the element types
pub enum HostSlice<'a> {
    Bool(&'a [bool]),
    U8(&'a [u8]),
    F16(&'a [f16]),
    BF16(&'a [bf16]),
    F32(&'a [f32]),
    F64(&'a [f64]),
}

/// `values` as a slice of `T`, when `T` is `U`.
fn same_type<U: Element, T: Element>(values: &[U]) -> Option<&[T]> {
    if TypeId::of::<U>() == TypeId::of::<T>() {
        // SAFETY: `U` and `T` are the same type (equal `TypeId`s), so the
        // pointer and length describe the same valid, initialised values.
        Some(unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<T>(), values.len()) })
    } else {
        None
    }
}

impl<'a> HostSlice<'a> {
    /// Typed values, under their type's variant.
    pub fn new<T: Element>(values: &'a [T]) -> HostSlice<'a> {
        // Exactly one arm matches: `T` is one of the six sealed types.
        if let Some(v) = same_type::<T, bool>(values) {
            HostSlice::Bool(v)
        } else if let Some(v) = same_type::<T, u8>(values) {
            HostSlice::U8(v)
        } else if let Some(v) = same_type::<T, f16>(values) {
            HostSlice::F16(v)
        } else if let Some(v) = same_type::<T, bf16>(values) {
            HostSlice::BF16(v)
        } else if let Some(v) = same_type::<T, f32>(values) {
            HostSlice::F32(v)
        } else {
            HostSlice::F64(same_type::<T, f64>(values).unwrap_or_default())
        }
    }

    /// Reads `bytes` as values of `dtype`, without copying: the length must
    /// be a whole number of values, the start aligned for the type, and
    /// every byte of a `bool` 0 or 1; else [`Error::BadBytes`] naming
    /// `what`.
    pub fn from_bytes(what: &'static str, dtype: DType, bytes: &'a [u8]) -> Result<HostSlice<'a>> {
        let bad = |reason: String| Error::BadBytes { what, reason };
        let size = dtype.size();
        if bytes.len() % size != 0 {
            return Err(bad(format!(
                "{} bytes are not a whole number of {dtype} values",
                bytes.len()
            )));
        }
        // Every float type has the alignment of its size.
        if bytes.as_ptr().align_offset(size) != 0 {
            return Err(bad(format!(
                "the data is not aligned to {size} bytes, as {dtype} values must be"
            )));
        }
        let floats = |e: bytemuck::PodCastError| bad(format!("{e:?}"));
        Ok(match dtype {
            DType::Bool => {
                if let Some(i) = bytes.iter().position(|&b| b > 1) {
                    return Err(bad(format!("byte {i} ({:#04x}) is not a bool", bytes[i])));
                }
                // SAFETY: every byte is 0 or 1 (checked above), the bit
                // patterns of `false` and `true`; a bool has size and
                // alignment 1, so the pointer and length fit.
                HostSlice::Bool(unsafe {
                    std::slice::from_raw_parts(bytes.as_ptr().cast::<bool>(), bytes.len())
                })
            }
            DType::U8 => HostSlice::U8(bytes),
            DType::F16 => HostSlice::F16(bytemuck::try_cast_slice(bytes).map_err(floats)?),
            DType::BF16 => HostSlice::BF16(bytemuck::try_cast_slice(bytes).map_err(floats)?),
            DType::F32 => HostSlice::F32(bytemuck::try_cast_slice(bytes).map_err(floats)?),
            DType::F64 => HostSlice::F64(bytemuck::try_cast_slice(bytes).map_err(floats)?),
        })
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            HostSlice::Bool(_) => DType::Bool,
            HostSlice::U8(_) => DType::U8,
            HostSlice::F16(_) => DType::F16,
            HostSlice::BF16(_) => DType::BF16,
            HostSlice::F32(_) => DType::F32,
            HostSlice::F64(_) => DType::F64,
        }
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.as_bytes().len() / self.dtype().size()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values' bytes, in memory order.
    pub fn as_bytes(&self) -> &'a [u8] {
        match *self {
            HostSlice::Bool(v) => bytemuck::cast_slice(v),
            HostSlice::U8(v) => v,
            HostSlice::F16(v) => bytemuck::cast_slice(v),
            HostSlice::BF16(v) => bytemuck::cast_slice(v),
            HostSlice::F32(v) => bytemuck::cast_slice(v),
            HostSlice::F64(v) => bytemuck::cast_slice(v),
        }
    }

    /// The values as `T`, when `T` is their type, else
    /// [`Error::WrongDType`] naming `what`.
    pub fn typed<T: Element>(&self, what: &'static str) -> Result<&'a [T]> {
        let typed = match *self {
            HostSlice::Bool(v) => same_type(v),
            HostSlice::U8(v) => same_type(v),
            HostSlice::F16(v) => same_type(v),
            HostSlice::BF16(v) => same_type(v),
            HostSlice::F32(v) => same_type(v),
            HostSlice::F64(v) => same_type(v),
        };
        typed.ok_or(Error::WrongDType {
            what,
            expected: T::DTYPE,
            actual: self.dtype(),
        })
    }

    /// Whether value `i` spikes by `rule` (the bit tests of the kernels:
    /// `> 0` for a threshold, `!= 0` for an override), or
    /// [`Error::NoKernel`] for a threshold on `bool` or `u8` values.
    ///
    /// # Panics
    /// When `i` is not below [`len`](Self::len), as indexing does.
    pub fn spike(&self, rule: SpikeRule, i: usize) -> Result<bool> {
        fn by<T: ThresholdInput + OverrideValue>(rule: SpikeRule, value: T) -> bool {
            match rule {
                SpikeRule::Threshold => value.is_positive(),
                SpikeRule::Override => value.is_nonzero(),
            }
        }
        Ok(match *self {
            HostSlice::F16(v) => by(rule, v[i]),
            HostSlice::BF16(v) => by(rule, v[i]),
            HostSlice::F32(v) => by(rule, v[i]),
            HostSlice::F64(v) => by(rule, v[i]),
            HostSlice::Bool(v) if rule == SpikeRule::Override => v[i].is_nonzero(),
            HostSlice::U8(v) if rule == SpikeRule::Override => v[i].is_nonzero(),
            HostSlice::Bool(_) | HostSlice::U8(_) => {
                return Err(Error::NoKernel {
                    op: "threshold",
                    dtype: self.dtype(),
                })
            }
        })
    }

    /// An owned copy.
    pub fn to_values(&self) -> HostValues {
        match *self {
            HostSlice::Bool(v) => HostValues::Bool(v.to_vec()),
            HostSlice::U8(v) => HostValues::U8(v.to_vec()),
            HostSlice::F16(v) => HostValues::F16(v.to_vec()),
            HostSlice::BF16(v) => HostValues::BF16(v.to_vec()),
            HostSlice::F32(v) => HostValues::F32(v.to_vec()),
            HostSlice::F64(v) => HostValues::F64(v.to_vec()),
        }
    }
}

impl HostValues {
    /// Typed values, under their type's variant.
    pub fn new<T: Element>(values: Vec<T>) -> HostValues {
        // Exactly one downcast succeeds: `T` is one of the six sealed types.
        let any: Box<dyn Any> = Box::new(values);
        let any = match any.downcast::<Vec<bool>>() {
            Ok(v) => return HostValues::Bool(*v),
            Err(any) => any,
        };
        let any = match any.downcast::<Vec<u8>>() {
            Ok(v) => return HostValues::U8(*v),
            Err(any) => any,
        };
        let any = match any.downcast::<Vec<f16>>() {
            Ok(v) => return HostValues::F16(*v),
            Err(any) => any,
        };
        let any = match any.downcast::<Vec<bf16>>() {
            Ok(v) => return HostValues::BF16(*v),
            Err(any) => any,
        };
        let any = match any.downcast::<Vec<f32>>() {
            Ok(v) => return HostValues::F32(*v),
            Err(any) => any,
        };
        HostValues::F64(any.downcast::<Vec<f64>>().map(|v| *v).unwrap_or_default())
    }

    /// `values` in the voltage type `dtype`, each rounded as
    /// [`VoltageElement::from_f64`] rounds, or [`Error::NoKernel`] for
    /// `bool` and `u8`.
    ///
    /// ```
    /// use exact_neuron::{DType, HostValues};
    ///
    /// let v = HostValues::voltages(DType::BF16, &[-50.1])?;
    /// assert_eq!(v.typed::<half::bf16>("v")?[0].to_f64(), -50.0);
    /// # Ok::<(), exact_neuron::Error>(())
    /// ```
    pub fn voltages(dtype: DType, values: &[f64]) -> Result<HostValues> {
        fn typed<V: VoltageElement>(values: &[f64]) -> HostValues {
            HostValues::new(values.iter().map(|&v| V::from_f64(v)).collect())
        }
        Ok(match dtype {
            DType::F16 => typed::<f16>(values),
            DType::BF16 => typed::<bf16>(values),
            DType::F32 => typed::<f32>(values),
            DType::F64 => typed::<f64>(values),
            DType::Bool | DType::U8 => {
                return Err(Error::NoKernel {
                    op: "voltage",
                    dtype,
                })
            }
        })
    }

    /// `len` zero values of `dtype` (`false`, `0`, `+0.0`), or
    /// [`Error::OutOfMemory`].
    pub fn zeroed(dtype: DType, len: usize) -> Result<HostValues> {
        Ok(match dtype {
            DType::Bool => HostValues::Bool(host_zeroed(len)?),
            DType::U8 => HostValues::U8(host_zeroed(len)?),
            DType::F16 => HostValues::F16(host_zeroed(len)?),
            DType::BF16 => HostValues::BF16(host_zeroed(len)?),
            DType::F32 => HostValues::F32(host_zeroed(len)?),
            DType::F64 => HostValues::F64(host_zeroed(len)?),
        })
    }

    /// A copy of `bytes` as values of `dtype`, at any alignment: the
    /// length must be a whole number of values and every byte of a `bool`
    /// 0 or 1; else [`Error::BadBytes`] naming `what`.
    pub fn from_bytes(what: &'static str, dtype: DType, bytes: &[u8]) -> Result<HostValues> {
        let bad = |reason: String| Error::BadBytes { what, reason };
        let size = dtype.size();
        if bytes.len() % size != 0 {
            return Err(bad(format!(
                "{} bytes are not a whole number of {dtype} values",
                bytes.len()
            )));
        }
        let mut values = HostValues::zeroed(dtype, bytes.len() / size)?;
        match &mut values {
            HostValues::Bool(v) => {
                if let Some(i) = bytes.iter().position(|&b| b > 1) {
                    return Err(bad(format!("byte {i} ({:#04x}) is not a bool", bytes[i])));
                }
                for (value, &byte) in v.iter_mut().zip(bytes) {
                    *value = byte == 1;
                }
            }
            HostValues::U8(v) => v.copy_from_slice(bytes),
            HostValues::F16(v) => bytemuck::cast_slice_mut(v).copy_from_slice(bytes),
            HostValues::BF16(v) => bytemuck::cast_slice_mut(v).copy_from_slice(bytes),
            HostValues::F32(v) => bytemuck::cast_slice_mut(v).copy_from_slice(bytes),
            HostValues::F64(v) => bytemuck::cast_slice_mut(v).copy_from_slice(bytes),
        }
        Ok(values)
    }

    /// The values, borrowed.
    pub fn as_slice(&self) -> HostSlice<'_> {
        match self {
            HostValues::Bool(v) => HostSlice::Bool(v),
            HostValues::U8(v) => HostSlice::U8(v),
            HostValues::F16(v) => HostSlice::F16(v),
            HostValues::BF16(v) => HostSlice::BF16(v),
            HostValues::F32(v) => HostSlice::F32(v),
            HostValues::F64(v) => HostSlice::F64(v),
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.as_slice().dtype()
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values' bytes, in memory order.
    pub fn as_bytes(&self) -> &[u8] {
        self.as_slice().as_bytes()
    }

    /// The values as `T`, when `T` is their type, else
    /// [`Error::WrongDType`] naming `what`.
    pub fn typed<T: Element>(&self, what: &'static str) -> Result<&[T]> {
        self.as_slice().typed(what)
    }
}

impl<'a> From<&'a HostValues> for HostSlice<'a> {
    fn from(values: &'a HostValues) -> HostSlice<'a> {
        values.as_slice()
    }
}

impl<T: Element> From<Vec<T>> for HostValues {
    fn from(values: Vec<T>) -> HostValues {
        HostValues::new(values)
    }
}

impl<'a, T: Element> From<&'a [T]> for HostSlice<'a> {
    fn from(values: &'a [T]) -> HostSlice<'a> {
        HostSlice::new(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_lands_in_its_variant_and_back() {
        fn check<T: Element + PartialEq>(values: Vec<T>) {
            let owned = HostValues::new(values.clone());
            assert_eq!(owned.dtype(), T::DTYPE);
            assert_eq!(owned.len(), values.len());
            assert_eq!(owned.typed::<T>("x").unwrap(), &values[..]);
            assert_eq!(HostSlice::new(&values[..]), owned.as_slice());
            assert_eq!(owned.as_bytes(), bytemuck::cast_slice::<T, u8>(&values));
            let again = HostSlice::from_bytes("x", T::DTYPE, owned.as_bytes()).unwrap();
            assert_eq!(again.to_values(), owned);
            // a copy from bytes at an odd address
            let mut shifted = vec![0xEEu8];
            shifted.extend_from_slice(owned.as_bytes());
            let copied = HostValues::from_bytes("x", T::DTYPE, &shifted[1..]).unwrap();
            assert_eq!(copied, owned);
        }
        check(vec![true, false]);
        check(vec![1u8, 255]);
        check(vec![f16::ONE, f16::INFINITY]);
        check(vec![bf16::MIN, bf16::NEG_ZERO]);
        check(vec![1.5f32, -0.0, f32::INFINITY]);
        check(vec![f64::MIN_POSITIVE]);
        for dtype in DType::ALL {
            let zeros = HostValues::zeroed(dtype, 3).unwrap();
            assert_eq!(zeros.dtype(), dtype);
            assert_eq!(zeros.as_bytes(), &vec![0u8; 3 * dtype.size()][..]);
        }
    }

    #[test]
    fn bad_bytes_and_wrong_types_are_errors() {
        let err = HostSlice::from_bytes("inputs", DType::F32, &[0u8; 6]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "inputs: 6 bytes are not a whole number of f32 values"
        );
        let err = HostSlice::from_bytes("override", DType::Bool, &[0, 1, 2]).unwrap_err();
        assert_eq!(err.to_string(), "override: byte 2 (0x02) is not a bool");
        let err = HostValues::from_bytes("override", DType::Bool, &[0, 1, 2]).unwrap_err();
        assert_eq!(err.to_string(), "override: byte 2 (0x02) is not a bool");
        let err = HostValues::from_bytes("inputs", DType::F16, &[0u8; 3]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "inputs: 3 bytes are not a whole number of f16 values"
        );
        // misaligned f64s
        let words = [0u64; 3];
        let bytes = &bytemuck::cast_slice::<u64, u8>(&words)[1..17];
        let err = HostSlice::from_bytes("inputs", DType::F64, bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "inputs: the data is not aligned to 8 bytes, as f64 values must be"
        );
        let values = HostValues::new(vec![1.0f32]);
        let err = values.typed::<f64>("inputs").unwrap_err();
        assert_eq!(err.to_string(), "inputs are f32, expected f64");
    }

    #[test]
    fn spikes_of_run_time_values_follow_the_bit_tests() {
        let floats = [0.5f32, -0.0, f32::NAN, 0.0, f32::from_bits(1)];
        let values = HostSlice::new(&floats);
        let threshold: Vec<bool> = (0..5)
            .map(|i| values.spike(SpikeRule::Threshold, i).unwrap())
            .collect();
        assert_eq!(threshold, [true, false, false, false, true]);
        let overrides: Vec<bool> = (0..5)
            .map(|i| values.spike(SpikeRule::Override, i).unwrap())
            .collect();
        assert_eq!(overrides, [true, false, true, false, true]);
        let bytes = HostSlice::new(&[0u8, 7]);
        assert!(!bytes.spike(SpikeRule::Override, 0).unwrap());
        assert!(bytes.spike(SpikeRule::Override, 1).unwrap());
        assert!(matches!(
            bytes.spike(SpikeRule::Threshold, 1),
            Err(Error::NoKernel {
                dtype: DType::U8,
                ..
            })
        ));
        assert!(matches!(
            HostValues::voltages(DType::Bool, &[1.0]),
            Err(Error::NoKernel { .. })
        ));
        let v = HostValues::voltages(DType::F32, &[-50.1, f64::NAN]).unwrap();
        assert_eq!(v.typed::<f32>("v").unwrap()[0], -50.1f32);
        assert!(v.typed::<f32>("v").unwrap()[1].is_nan());
    }
}
