//! What the bench needs of a device beyond `KernelDevice`: buffers filled
//! with a pattern, a clock (and CUDA graphs), a plain copy to compare
//! with, how much memory is free and how large the L2 cache is.

use exact_neuron::{Element, KernelDevice};

use super::rotation::TimingPlan;
use super::timing::Timing;

/// A device the bench times kernels on (`cpu.rs`, `cuda.rs`).
pub trait BenchDevice: KernelDevice {
    /// The largest element count whose buffers fit, if known.
    fn max_elements(&self) -> Option<u64>;

    /// A buffer of `n` elements holding `f(i)`, where `f` repeats with the
    /// period `data::PERIOD` (a device may fill by repeating a tile).
    fn filled<T: Element>(&self, n: usize, f: impl Fn(u64) -> T)
        -> Result<Self::Buffer<T>, String>;

    /// The size in bytes of the L2 cache that decides the `l2`/`hbm` label
    /// (see `rotation.rs`); `None` on the CPU, whose rows are `cpu`.
    fn l2_bytes(&self) -> Option<u64>;

    /// The seconds that `k` calls of `f` take, by this device's clock.
    fn time(&self, k: u64, f: &mut dyn FnMut() -> Result<(), String>) -> Result<f64, String>;

    /// Captures `calls` calls of `f` into one CUDA graph and times its
    /// replays (warm-up replays first): the timing per call, replay time /
    /// `calls`. Only a CUDA device has graphs; the CPU says so.
    fn time_graph(
        &self,
        calls: u64,
        reps: u32,
        f: &mut dyn FnMut() -> Result<(), String>,
    ) -> Result<Timing, String>;

    /// Times the plain copy of `bytes` bytes (from one buffer filled with
    /// `data::mix` into another), the copy that the kernels are compared
    /// with, as `plan` says: rotated over the same number of buffer sets
    /// as the row it is compared with, and captured in a graph when the
    /// row is.
    fn time_copy(&self, bytes: usize, plan: TimingPlan) -> Result<Timing, String>;
}
