//! The lazily derived views (voltage, refractory time) and their cache.
//!
//! A neuron keeps one [`ViewSlots`] per view: a buffer per element type,
//! allocated the first time that type is asked for and reused until the
//! batch size changes, and the spike generation it was computed at.

use std::any::Any;

use half::{bf16, f16};

use crate::device::KernelDevice;
use crate::dtype::{DType, Element, VoltageElement};
use crate::error::Result;

/// One cached view: its buffer, once allocated, and the spike generation it
/// was computed from (`None` until computed).
pub(crate) struct Slot<B> {
    buffer: Option<B>,
    generation: Option<u64>,
}

impl<B> Default for Slot<B> {
    fn default() -> Self {
        Slot {
            buffer: None,
            generation: None,
        }
    }
}

impl<B> Slot<B> {
    /// The buffer, allocated (zeroed) on first use with `alloc`.
    pub(crate) fn buffer(&mut self, alloc: impl FnOnce() -> Result<B>) -> Result<&mut B> {
        let slot = &mut self.buffer;
        match slot {
            Some(allocated) => Ok(allocated),
            None => Ok(slot.insert(alloc()?)),
        }
    }

    /// The buffer, computed by `fill` unless it already holds generation
    /// `generation`. A failed `fill` leaves the slot stale, so that the next
    /// call computes it again.
    pub(crate) fn fresh(
        &mut self,
        generation: u64,
        alloc: impl FnOnce() -> Result<B>,
        fill: impl FnOnce(&mut B) -> Result<()>,
    ) -> Result<&mut B> {
        let stale = self.generation != Some(generation);
        if stale {
            self.generation = None;
        }
        let slot = &mut self.buffer;
        let buffer = match slot {
            Some(allocated) => allocated,
            None => slot.insert(alloc()?),
        };
        if stale {
            fill(buffer)?;
            self.generation = Some(generation);
        }
        Ok(buffer)
    }
}

impl<B> Slot<B> {
    /// The buffer, always filled by `fill` and then marked as generation
    /// `generation` (the fused step writes a view as it writes the
    /// spikes). A failed `fill` leaves the slot stale.
    pub(crate) fn refill(
        &mut self,
        generation: u64,
        alloc: impl FnOnce() -> Result<B>,
        fill: impl FnOnce(&mut B) -> Result<()>,
    ) -> Result<&mut B> {
        self.generation = None;
        let slot = &mut self.buffer;
        let buffer = match slot {
            Some(allocated) => allocated,
            None => slot.insert(alloc()?),
        };
        fill(buffer)?;
        self.generation = Some(generation);
        Ok(buffer)
    }
}

/// One slot per view element type.
pub(crate) struct ViewSlots<D: KernelDevice> {
    f32: Slot<D::Buffer<f32>>,
    f64: Slot<D::Buffer<f64>>,
    f16: Slot<D::Buffer<f16>>,
    bf16: Slot<D::Buffer<bf16>>,
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

impl<D: KernelDevice> ViewSlots<D> {
    /// The slot of element type `T`.
    pub(crate) fn slot<T: VoltageElement>(&mut self) -> &mut Slot<D::Buffer<T>> {
        // The field is picked by `T`'s name; the downcast turns its type,
        // which is then `Slot<D::Buffer<T>>`, into that of the result (it
        // cannot fail: the four voltage types are sealed and each has its
        // field, which a unit test checks).
        let slot: &mut dyn Any = match T::DTYPE {
            DType::F32 => &mut self.f32,
            DType::F64 => &mut self.f64,
            DType::F16 => &mut self.f16,
            DType::BF16 => &mut self.bf16,
            DType::Bool | DType::U8 => unreachable!("{} is not a voltage type", T::DTYPE),
        };
        slot.downcast_mut::<Slot<D::Buffer<T>>>()
            .expect("the slot of a voltage type holds buffers of that type")
    }
}

/// Allocates a zeroed buffer of `len` elements on `device`.
pub(crate) fn zeroed<D: KernelDevice, T: Element>(
    device: &D,
    len: usize,
) -> impl FnOnce() -> Result<D::Buffer<T>> + '_ {
    move || device.alloc_zeroed::<T>(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cpu;

    fn check<T: VoltageElement>(slots: &mut ViewSlots<Cpu>, len: usize) {
        let buffer = slots.slot::<T>().buffer(zeroed(&Cpu, len)).unwrap();
        assert_eq!(buffer.len(), len);
    }

    #[test]
    fn every_voltage_type_has_its_own_slot() {
        let mut slots = ViewSlots::<Cpu>::default();
        check::<f32>(&mut slots, 1);
        check::<f64>(&mut slots, 2);
        check::<f16>(&mut slots, 3);
        check::<bf16>(&mut slots, 4);
        // allocated once: the lengths stay those of the first use
        check::<f32>(&mut slots, 1);
        assert_eq!(
            slots.slot::<f64>().buffer(zeroed(&Cpu, 9)).unwrap().len(),
            2
        );
    }
}
