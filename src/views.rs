//! The lazily derived views (voltage, refractory time) and their cache.

use crate::device::KernelDevice;

/// One cached view: its buffer, once allocated, and the spike generation it
/// was computed from (`None` until computed).
pub struct Slot<B> {
    pub(crate) buffer: Option<B>,
    pub(crate) generation: Option<u64>,
}

impl<B> Default for Slot<B> {
    fn default() -> Self {
        Slot {
            buffer: None,
            generation: None,
        }
    }
}

/// One slot per view element type. Each buffer is allocated once, the first
/// time its type is asked for, and reused until the batch size changes.
pub struct ViewSlots<D: KernelDevice> {
    pub(crate) f32: Slot<D::Buffer<f32>>,
    pub(crate) f64: Slot<D::Buffer<f64>>,
    pub(crate) f16: Slot<D::Buffer<half::f16>>,
    pub(crate) bf16: Slot<D::Buffer<half::bf16>>,
}

impl<D: KernelDevice> Default for ViewSlots<D> {
    fn default() -> Self {
        ViewSlots {
            f32: Slot::default(),
            f64: Slot::default(),
            f16: Slot::default(),
            bf16: Slot::default(),
        }
    }
}
