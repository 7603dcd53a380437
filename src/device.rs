//! The kernel-device abstraction: what a backend must provide.
//!
//! An [`ExactNeuron`](crate::ExactNeuron) holds its state in the buffers of
//! a [`KernelDevice`] and asks the device to run the three operations; the
//! device also copies typed values between the host and its buffers. The
//! crate ships two devices, [`Cpu`](crate::Cpu) and [`Cuda`](crate::Cuda);
//! the test suite adds a third that executes the PTX text in an interpreter.
//! Devices that run the PTX kernels build each launch with
//! [`LaunchPlan`](crate::launch::LaunchPlan), so they share the host's grid
//! arithmetic and argument order.

use crate::dtype::{Element, OverrideValue, ThresholdInput, VoltageElement};
use crate::error::{Error, Result};

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
/// an abort) when the allocation fails.
pub fn host_zeroed<T: Element>(len: usize) -> Result<Vec<T>> {
    let mut buffer = Vec::new();
    buffer
        .try_reserve_exact(len)
        .map_err(|_| Error::OutOfMemory {
            bytes: len.saturating_mul(std::mem::size_of::<T>()),
        })?;
    buffer.resize(len, T::zeroed());
    Ok(buffer)
}

/// A place where neuron state lives and the kernels run.
///
/// Every method that takes a buffer and a slice checks that their lengths
/// agree and returns an error (never panics) when they don't.
pub trait KernelDevice {
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
}
