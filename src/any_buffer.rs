//! A device buffer whose element type is known at run time.
//!
//! [`KernelDevice::Buffer<T>`] names its element type statically; a caller
//! that picks the type at run time (the bench from its table rows, a C
//! caller from an argument) holds an [`AnyBuffer`] instead: the typed buffer
//! and its [`DType`]. It is an input of the run-time-typed calls
//! ([`DynInput`]) and an output of the voltage ones
//! ([`DynKernels`](crate::dyn_kernels::DynKernels)).

use std::any::Any;
use std::marker::PhantomData;

use crate::device::KernelDevice;
use crate::dtype::{DType, Element};
use crate::dynamic::DynInput;
use crate::error::{Error, Result};
use crate::values::{HostSlice, HostValues};

/// A buffer of `D` holding values of a run-time element type.
///
/// ```
/// use exact_neuron::any_buffer::AnyBuffer;
/// use exact_neuron::{Cpu, DType, HostSlice};
///
/// let buffer = AnyBuffer::from_host(&Cpu, HostSlice::new(&[1.5f32, -2.0]))?;
/// assert_eq!((buffer.dtype(), buffer.len()), (DType::F32, 2));
/// assert_eq!(buffer.typed::<f32>("values")?, &vec![1.5f32, -2.0]);
/// assert!(buffer.typed::<f64>("values").is_err());
/// # Ok::<(), exact_neuron::Error>(())
/// ```
pub struct AnyBuffer<D: KernelDevice> {
    dtype: DType,
    len: usize,
    /// A `D::Buffer<T>` with `T::DTYPE == dtype`.
    buffer: Box<dyn Any>,
    _device: PhantomData<fn() -> D>,
}

impl<D: KernelDevice> AnyBuffer<D> {
    /// A typed buffer, with its type.
    pub fn new<T: Element>(buffer: D::Buffer<T>) -> AnyBuffer<D> {
        AnyBuffer {
            dtype: T::DTYPE,
            len: D::buffer_len(&buffer),
            buffer: Box::new(buffer),
            _device: PhantomData,
        }
    }

    /// `len` zero values of `dtype` on `device`.
    pub fn zeroed(device: &D, dtype: DType, len: usize) -> Result<AnyBuffer<D>> {
        fn typed<D: KernelDevice, T: Element>(device: &D, len: usize) -> Result<AnyBuffer<D>> {
            Ok(AnyBuffer::new(device.alloc_zeroed::<T>(len)?))
        }
        match dtype {
            DType::Bool => typed::<D, bool>(device, len),
            DType::U8 => typed::<D, u8>(device, len),
            DType::F16 => typed::<D, half::f16>(device, len),
            DType::BF16 => typed::<D, half::bf16>(device, len),
            DType::F32 => typed::<D, f32>(device, len),
            DType::F64 => typed::<D, f64>(device, len),
        }
    }

    /// A device copy of host values.
    pub fn from_host(device: &D, values: HostSlice<'_>) -> Result<AnyBuffer<D>> {
        fn typed<D: KernelDevice, T: Element>(device: &D, values: &[T]) -> Result<AnyBuffer<D>> {
            Ok(AnyBuffer::new(device.alloc_from(values)?))
        }
        match values {
            HostSlice::Bool(v) => typed(device, v),
            HostSlice::U8(v) => typed(device, v),
            HostSlice::F16(v) => typed(device, v),
            HostSlice::BF16(v) => typed(device, v),
            HostSlice::F32(v) => typed(device, v),
            HostSlice::F64(v) => typed(device, v),
        }
    }

    /// A host copy of the values.
    pub fn to_host(&self, device: &D) -> Result<HostValues> {
        fn typed<D: KernelDevice, T: Element>(
            device: &D,
            buffer: &AnyBuffer<D>,
        ) -> Result<HostValues> {
            Ok(HostValues::new(
                device.to_host(buffer.typed::<T>("buffer")?)?,
            ))
        }
        match self.dtype {
            DType::Bool => typed::<D, bool>(device, self),
            DType::U8 => typed::<D, u8>(device, self),
            DType::F16 => typed::<D, half::f16>(device, self),
            DType::BF16 => typed::<D, half::bf16>(device, self),
            DType::F32 => typed::<D, f32>(device, self),
            DType::F64 => typed::<D, f64>(device, self),
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn wrong_dtype<T: Element>(&self, what: &'static str) -> Error {
        Error::WrongDType {
            what,
            expected: T::DTYPE,
            actual: self.dtype,
        }
    }

    /// The typed buffer, when `T` is its type, else [`Error::WrongDType`]
    /// naming `what`.
    pub fn typed<T: Element>(&self, what: &'static str) -> Result<&D::Buffer<T>> {
        // The dtype is compared first: two element types may share a
        // buffer type on some device.
        if T::DTYPE != self.dtype {
            return Err(self.wrong_dtype::<T>(what));
        }
        self.buffer
            .downcast_ref::<D::Buffer<T>>()
            .ok_or_else(|| self.wrong_dtype::<T>(what))
    }

    /// The typed buffer, mutably, as [`typed`](Self::typed).
    pub fn typed_mut<T: Element>(&mut self, what: &'static str) -> Result<&mut D::Buffer<T>> {
        if T::DTYPE != self.dtype {
            return Err(self.wrong_dtype::<T>(what));
        }
        let wrong = self.wrong_dtype::<T>(what);
        self.buffer.downcast_mut::<D::Buffer<T>>().ok_or(wrong)
    }
}

impl<D: KernelDevice> std::fmt::Debug for AnyBuffer<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyBuffer")
            .field("dtype", &self.dtype)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// A buffer is an input of its own device, lent without a copy where the
/// device can ([`KernelDevice::with_buffer_input`]).
impl<D: KernelDevice> DynInput<D> for AnyBuffer<D> {
    fn dtype(&self) -> DType {
        self.dtype
    }

    fn len(&self) -> usize {
        self.len
    }

    fn with_typed<T: Element, R>(
        &self,
        device: &D,
        f: impl FnOnce(&D::Slice<'_, T>) -> R,
    ) -> Result<R> {
        device.with_buffer_input(self.typed::<T>("values")?, f)
    }
}
