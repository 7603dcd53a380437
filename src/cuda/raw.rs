//! Device memory that the caller owns and hands over by its address alone
//! (a C caller's `cudaMalloc`'d pointer, memory of another library), as an
//! input the neuron can read.

use std::marker::PhantomData;
use std::sync::Arc;

use cudarc::driver::sys::CUdeviceptr;
use cudarc::driver::{CudaStream, DevicePtr, DeviceSlice, SyncOnDrop};

use crate::dtype::{DType, Element};
use crate::error::{Error, Result};

/// `len` values of `T` at a raw device address, on a stream's context: a
/// [`DevicePtr`] that [`CudaNeuron::forward`](crate::ExactNeuron::forward)
/// and `forward_override` take like a `CudaSlice`.
///
/// cudarc's event tracking does not know this memory: the caller orders its
/// own writes of it before the neuron's stream reads it.
#[derive(Debug)]
pub struct RawView<T> {
    ptr: CUdeviceptr,
    len: usize,
    stream: Arc<CudaStream>,
    _element: PhantomData<fn() -> T>,
}

impl<T> RawView<T> {
    /// The memory at `ptr` as `len` values of `T` on `stream`'s context.
    ///
    /// # Safety
    /// `ptr` must be the address of `len` values of `T` in device memory of
    /// `stream`'s context, live and not written by anything but this crate's
    /// kernels until every kernel queued on `stream` while the view is in
    /// use has run.
    pub unsafe fn new(stream: Arc<CudaStream>, ptr: CUdeviceptr, len: usize) -> RawView<T> {
        RawView {
            ptr,
            len,
            stream,
            _element: PhantomData,
        }
    }

    /// The device address of the first value.
    pub fn addr(&self) -> CUdeviceptr {
        self.ptr
    }
}

impl<T> DeviceSlice<T> for RawView<T> {
    fn len(&self) -> usize {
        self.len
    }

    fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }
}

impl<T> DevicePtr<T> for RawView<T> {
    fn device_ptr<'a>(&'a self, _stream: &'a CudaStream) -> (CUdeviceptr, SyncOnDrop<'a>) {
        // No event to wait for or record: the caller orders its accesses
        // (the contract of `RawView::new`).
        (self.ptr, SyncOnDrop::Record(None))
    }
}

/// Values of an element type chosen at run time at a raw device address:
/// what a C caller hands over with `(dtype, pointer, length)`. It is a
/// [`DynInput`](crate::DynInput) of the CUDA device, so the run-time-typed neuron methods
/// ([`ExactNeuron::forward_dyn`](crate::ExactNeuron::forward_dyn)) take it
/// as they take host values.
#[derive(Debug)]
pub struct DeviceValues {
    dtype: DType,
    ptr: CUdeviceptr,
    len: usize,
    stream: Arc<CudaStream>,
}

impl DeviceValues {
    /// `len` values of `dtype` at `ptr`.
    ///
    /// # Safety
    /// As [`RawView::new`] for the element type `dtype` names.
    pub unsafe fn new(
        stream: Arc<CudaStream>,
        dtype: DType,
        ptr: CUdeviceptr,
        len: usize,
    ) -> DeviceValues {
        DeviceValues {
            dtype,
            ptr,
            len,
            stream,
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

    /// The values as a typed view, when `T` is their type, else
    /// [`Error::WrongDType`].
    pub fn view<T: Element>(&self) -> Result<RawView<T>> {
        if T::DTYPE != self.dtype {
            return Err(Error::WrongDType {
                what: "device values",
                expected: T::DTYPE,
                actual: self.dtype,
            });
        }
        // SAFETY: the memory holds `len` values of `dtype` on the stream's
        // context (the contract of `DeviceValues::new`), and `T` is that
        // type (checked above).
        Ok(unsafe { RawView::new(self.stream.clone(), self.ptr, self.len) })
    }
}
