//! A CUDA device as a bench device: CUDA events on the stream, CUDA graphs
//! captured on it, a device-to-device copy, buffers filled on the device
//! and the L2 size.

use std::sync::Arc;

use exact_neuron::cudarc::driver::sys::{
    CUdevice_attribute, CUevent_flags, CUgraphInstantiate_flags, CUstreamCaptureMode,
};
use exact_neuron::cudarc::driver::{CudaSlice, CudaStream, DriverError};
use exact_neuron::{Cuda, Element, KernelDevice};

use super::backend::BenchDevice;
use super::data::mix;
use super::rotation::{make_sets, time_rotating, TimingPlan};
use super::timing::{measure, per_call, Timing};

/// Elements of host data staged when filling a device buffer: the data's
/// period, so that repeating the tile gives every element its own value.
const TILE: usize = super::data::PERIOD as usize;

fn text(err: impl std::fmt::Display) -> String {
    err.to_string()
}

/// The stream the bench runs on: a new stream of `stream`'s context, with
/// cudarc's cross-stream event tracking off.
///
/// Graph capture needs a stream other than the legacy default stream that
/// `--device=cuda` starts from. And with tracking on, a context with more
/// than one stream makes every use of a buffer wait on and record cudarc
/// events; a wait on an event recorded before a capture is not allowed in
/// one, and the records would also add host work to every timed call.
pub fn bench_stream(stream: &Arc<CudaStream>) -> Result<Arc<CudaStream>, String> {
    let context = stream.context();
    // SAFETY: tracking is turned off before the bench allocates anything
    // (`device::choose` made the context and read its name, no buffer), so
    // every buffer of the bench is untracked; all of them are made, used
    // and freed on the one stream returned here, in the order queued on
    // it, so no cross-stream synchronisation is needed. The host reads
    // (`to_host`, `download_words`) synchronise that stream first.
    unsafe { context.disable_event_tracking() };
    context.new_stream().map_err(text)
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

    fn l2_bytes(&self) -> Option<u64> {
        let attribute = CUdevice_attribute::CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE;
        let bytes = self.stream().context().attribute(attribute).ok()?;
        u64::try_from(bytes).ok()
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

    /// `memcpy_dtod` on the bench stream.
    fn time_copy(&self, bytes: usize, plan: TimingPlan) -> Result<Timing, String> {
        let mut sets = make_sets(plan.sets, || {
            Ok((
                self.filled(bytes, |i| mix(i) as u8)?,
                self.filled(bytes, |_| 0u8)?,
            ))
        })?;
        time_rotating(self, plan, &mut sets, |(src, dst)| {
            self.stream().memcpy_dtod(src, dst).map_err(text)
        })
    }

    /// Relaxed capture mode: the calls only queue launches and copies on
    /// the stream (no allocation, no synchronisation, and with event
    /// tracking off, see [`bench_stream`], no cudarc event), and relaxed
    /// mode lets the driver calls around them (`cuCtxSetCurrent`) be made
    /// while capturing.
    fn time_graph(
        &self,
        calls: u64,
        reps: u32,
        f: &mut dyn FnMut() -> Result<(), String>,
    ) -> Result<Timing, String> {
        let stream = self.stream();
        stream.synchronize().map_err(text)?;
        stream
            .begin_capture(CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_RELAXED)
            .map_err(text)?;
        let captured = (0..calls).try_for_each(|_| f());
        // The capture ends whatever happened, so the stream is usable again.
        let graph = stream.end_capture(CUgraphInstantiate_flags(0));
        captured?;
        let graph = graph
            .map_err(|err| format!("graph capture: {err}"))?
            .ok_or("graph capture recorded no work")?;
        graph.upload().map_err(text)?;
        let replays = measure(reps, |k| self.time(k, &mut || graph.launch().map_err(text)))?;
        Ok(per_call(replays, calls))
    }
}
