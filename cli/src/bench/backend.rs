//! What the bench needs of a device beyond `KernelDevice`: buffers filled
//! with a pattern, a clock, a plain copy to compare with, and how much
//! memory is free.

use exact_neuron::{Element, KernelDevice};

use super::timing::{measure, Timing};

/// A device the bench times kernels on (`cpu.rs`, `cuda.rs`).
pub trait BenchDevice: KernelDevice {
    /// The largest element count whose buffers fit, if known.
    fn max_elements(&self) -> Option<u64>;

    /// A buffer of `n` elements holding `f(i)`, where `f` repeats with the
    /// period `data::PERIOD` (a device may fill by repeating a tile).
    fn filled<T: Element>(&self, n: usize, f: impl Fn(u64) -> T)
        -> Result<Self::Buffer<T>, String>;

    /// The seconds that `k` calls of `f` take, by this device's clock.
    fn time(&self, k: u64, f: &mut dyn FnMut() -> Result<(), String>) -> Result<f64, String>;

    /// Copies `src` into `dst` (same length), the plain copy that the
    /// kernels are compared with.
    fn copy(&self, src: &Self::Buffer<u8>, dst: &mut Self::Buffer<u8>) -> Result<(), String>;

    /// Times the plain copy of `bytes` bytes.
    fn time_copy(&self, bytes: usize, reps: u32) -> Result<Timing, String> {
        let src = self.filled(bytes, |i| super::data::mix(i) as u8)?;
        let mut dst = self.filled(bytes, |_| 0u8)?;
        measure(reps, |k| self.time(k, &mut || self.copy(&src, &mut dst)))
    }
}
