//! A CUDA device as a bench device: CUDA events on the stream, a
//! device-to-device copy, and buffers filled on the device.

use exact_neuron::cudarc::driver::sys::CUevent_flags;
use exact_neuron::cudarc::driver::{CudaSlice, DriverError};
use exact_neuron::{Cuda, Element, KernelDevice};

use super::backend::BenchDevice;

/// Elements of host data staged when filling a device buffer: the data's
/// period, so that repeating the tile gives every element its own value.
const TILE: usize = super::data::PERIOD as usize;

fn text(err: impl std::fmt::Display) -> String {
    err.to_string()
}

impl BenchDevice for Cuda {
    fn max_elements(&self) -> Option<u64> {
        let (free, _total) = self.stream().context().mem_get_info().ok()?;
        // Device buffers need at most 5 bytes per element; keep a margin.
        Some(free as u64 / 10 * 9 / 6)
    }

    /// Tiled from a block of at most `TILE` elements, to keep host work
    /// small: right for the bench's data, which repeats with that period
    /// (`data::PERIOD`); `f` is called for the first `TILE` indices only.
    fn filled<T: Element>(&self, n: usize, f: impl Fn(u64) -> T) -> Result<CudaSlice<T>, String> {
        let stream = self.stream();
        let mut buffer = self.alloc_zeroed::<T>(n).map_err(text)?;
        let pattern: Vec<T> = (0..n.min(TILE) as u64).map(f).collect();
        let tile = self.alloc_from(&pattern).map_err(text)?;
        let mut offset = 0;
        while offset < n {
            let len = (n - offset).min(TILE);
            stream
                .memcpy_dtod(
                    &tile.slice(0..len),
                    &mut buffer.slice_mut(offset..offset + len),
                )
                .map_err(text)?;
            offset += len;
        }
        stream.synchronize().map_err(text)?;
        Ok(buffer)
    }

    fn time(&self, k: u64, f: &mut dyn FnMut() -> Result<(), String>) -> Result<f64, String> {
        let stream = self.stream();
        let flags = Some(CUevent_flags::CU_EVENT_DEFAULT);
        let start = stream.record_event(flags).map_err(text)?;
        for _ in 0..k {
            f()?;
        }
        let end = stream.record_event(flags).map_err(text)?;
        let ms = start
            .elapsed_ms(&end)
            .map_err(|err: DriverError| err.to_string())?;
        Ok(f64::from(ms) / 1e3)
    }

    fn copy(&self, src: &CudaSlice<u8>, dst: &mut CudaSlice<u8>) -> Result<(), String> {
        self.stream().memcpy_dtod(src, dst).map_err(text)
    }
}
