//! `exact-neuron bench`: times each kernel and a plain copy of the same
//! traffic, on the GPU (CUDA events) or the CPU (a monotonic clock).
//!
//! Method, for every operation and element count `n`:
//! - `bytes` is what the operation reads plus what it writes (threshold
//!   from f32: `4n + n`; voltage to f16: `n + 2n`; ...).
//! - After warm-up, one repetition runs the operation `inner` times back to
//!   back (`inner` is chosen so that a repetition takes at least 1 ms; it is
//!   1 for large `n`); `median_s` is the median over the repetitions of the
//!   repetition's time divided by `inner`.
//! - `gbps = bytes / median_s / 1e9`.
//! - The roofline is a plain copy that moves the same traffic: `ceil(bytes
//!   / 2)` bytes copied (read once, written once), device to device on the
//!   GPU and `memcpy` on the CPU, timed the same way in the same run;
//!   `pct_of_copy = 100 * gbps / copy_gbps`.

use std::hint::black_box;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use exact_neuron::cudarc::driver::sys::CUevent_flags;
use exact_neuron::cudarc::driver::{CudaSlice, CudaStream, DeviceRepr, ValidAsZeroBits};
use exact_neuron::half::{bf16, f16};
use exact_neuron::{Cpu, Cuda, KernelDevice};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::cli::BenchArgs;
use crate::console;
use crate::device::{self, Backend};
use crate::error::{CliError, CliResult};
use crate::output::Outputs;

/// One benchmarked operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    ThresholdF32,
    ThresholdF16,
    ThresholdBf16,
    OverrideU8,
    VoltageF32,
    VoltageF16,
}

pub const OPS: [Op; 6] = [
    Op::ThresholdF32,
    Op::ThresholdF16,
    Op::ThresholdBf16,
    Op::OverrideU8,
    Op::VoltageF32,
    Op::VoltageF16,
];

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::ThresholdF32 | Op::ThresholdF16 | Op::ThresholdBf16 => "threshold",
            Op::OverrideU8 => "override",
            Op::VoltageF32 | Op::VoltageF16 => "voltage",
        }
    }

    /// The input type (threshold, override) or the output type (voltage).
    pub fn dtype(self) -> &'static str {
        match self {
            Op::ThresholdF32 | Op::VoltageF32 => "f32",
            Op::ThresholdF16 | Op::VoltageF16 => "f16",
            Op::ThresholdBf16 => "bf16",
            Op::OverrideU8 => "u8",
        }
    }

    /// Bytes read plus bytes written per element.
    pub fn bytes_per_element(self) -> u64 {
        match self {
            Op::ThresholdF32 | Op::VoltageF32 => 4 + 1,
            Op::ThresholdF16 | Op::ThresholdBf16 | Op::VoltageF16 => 2 + 1,
            Op::OverrideU8 => 1 + 1,
        }
    }
}

/// A timing: the median seconds per call.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub median_s: f64,
    /// Calls per timed repetition.
    pub inner: u64,
}

/// A repetition should take at least this long, so that the clock's
/// resolution and per-repetition overheads do not matter.
const MIN_REPETITION_S: f64 = 1e-3;
const WARM_UP_CALLS: u32 = 3;

/// Times `run(k)` (which runs the operation `k` times and returns the
/// seconds it took): warm-up, then `reps` repetitions of `inner` calls.
fn measure(reps: u32, mut run: impl FnMut(u64) -> Result<f64, String>) -> Result<Timing, String> {
    for _ in 0..WARM_UP_CALLS {
        run(1)?;
    }
    let once = run(1)?;
    let inner = if once >= MIN_REPETITION_S {
        1
    } else {
        ((MIN_REPETITION_S / once.max(1e-9)).ceil() as u64).clamp(1, 1 << 20)
    };
    run(inner)?;
    let mut times = (0..reps)
        .map(|_| run(inner).map(|seconds| seconds / inner as f64))
        .collect::<Result<Vec<f64>, String>>()?;
    Ok(Timing {
        median_s: median(&mut times),
        inner,
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Deterministic test data: a 64-bit mix of the index.
fn mix(i: u64) -> u64 {
    let mut x = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Inputs of both signs, spread over several binades.
fn input_f32(i: u64) -> f32 {
    let h = mix(i);
    let magnitude = (h >> 40) as f32 / (1u64 << 24) as f32 * 100.0;
    if h & 1 == 0 {
        magnitude
    } else {
        -magnitude
    }
}

/// Test data on the device side of the CUDA bench: a plain `Vec`.
fn pattern<T>(n: usize, f: impl Fn(u64) -> T) -> Vec<T> {
    (0..n as u64).map(f).collect()
}

/// A host buffer of the CPU bench holding `f(i)`. Like numpy, which advises
/// transparent huge pages for every array of at least 4 MiB on Linux, the
/// bench does so for its buffers: the comparison with numpy then differs
/// in the loops alone, not in how the memory is mapped.
fn host_buffer<T>(n: usize, f: impl Fn(u64) -> T) -> Vec<T> {
    let mut buffer = Vec::with_capacity(n);
    advise_huge_pages(buffer.spare_capacity_mut());
    buffer.extend((0..n as u64).map(f));
    buffer
}

/// numpy's threshold for the advice (`npy_alloc_cache`'s 4 MiB).
const HUGE_PAGE_MIN_BYTES: usize = 1 << 22;

#[cfg(target_os = "linux")]
fn advise_huge_pages<T>(region: &mut [std::mem::MaybeUninit<T>]) {
    const PAGE: usize = 4096;
    let bytes = std::mem::size_of_val(region);
    if bytes < HUGE_PAGE_MIN_BYTES {
        return;
    }
    let start = region.as_mut_ptr() as usize;
    let begin = start.next_multiple_of(PAGE);
    let end = (start + bytes) / PAGE * PAGE;
    if end > begin {
        // SAFETY: [begin, end) lies inside `region`, memory that the
        // caller's Vec owns and has not initialised yet. MADV_HUGEPAGE only
        // changes how the kernel backs these pages, never their contents or
        // validity; a failure (say, THP disabled) is harmless and ignored.
        unsafe {
            libc::madvise(begin as *mut libc::c_void, end - begin, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages<T>(_region: &mut [std::mem::MaybeUninit<T>]) {}

/// A backend the bench can time on.
trait Bencher {
    /// The largest element count whose buffers fit, if known.
    fn max_elements(&self) -> Option<u64>;
    fn time_op(&mut self, op: Op, n: usize, reps: u32) -> Result<Timing, String>;
    fn time_copy(&mut self, bytes: usize, reps: u32) -> Result<Timing, String>;
}

/// Bytes of memory needed per element at most (inputs, outputs, and the
/// host-side staging of the test data).
const PEAK_BYTES_PER_ELEMENT: u64 = 8;

struct CpuBench;

fn cpu_run(k: u64, mut f: impl FnMut() -> exact_neuron::Result<()>) -> Result<f64, String> {
    let start = Instant::now();
    for _ in 0..k {
        f().map_err(|err| err.to_string())?;
    }
    Ok(start.elapsed().as_secs_f64())
}

impl Bencher for CpuBench {
    fn max_elements(&self) -> Option<u64> {
        let text = std::fs::read_to_string("/proc/meminfo").ok()?;
        let kib: u64 = text
            .lines()
            .find(|line| line.starts_with("MemAvailable:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some(kib * 1024 / 10 * 7 / PEAK_BYTES_PER_ELEMENT)
    }

    fn time_op(&mut self, op: Op, n: usize, reps: u32) -> Result<Timing, String> {
        let cpu = Cpu;
        let mut spikes = host_buffer(n, |_| 0u8);
        match op {
            Op::ThresholdF32 => {
                let x = host_buffer(n, input_f32);
                measure(reps, |k| {
                    cpu_run(k, || {
                        cpu.threshold::<f32>(black_box(&x), black_box(&mut spikes))
                    })
                })
            }
            Op::ThresholdF16 => {
                let x = host_buffer(n, |i| f16::from_f32(input_f32(i)));
                measure(reps, |k| {
                    cpu_run(k, || {
                        cpu.threshold::<f16>(black_box(&x), black_box(&mut spikes))
                    })
                })
            }
            Op::ThresholdBf16 => {
                let x = host_buffer(n, |i| bf16::from_f32(input_f32(i)));
                measure(reps, |k| {
                    cpu_run(k, || {
                        cpu.threshold::<bf16>(black_box(&x), black_box(&mut spikes))
                    })
                })
            }
            Op::OverrideU8 => {
                let x = host_buffer(n, |i| (mix(i) & 1) as u8);
                measure(reps, |k| {
                    cpu_run(k, || {
                        cpu.overrides::<u8>(black_box(&x), black_box(&mut spikes))
                    })
                })
            }
            Op::VoltageF32 => {
                let spikes = host_buffer(n, |i| (mix(i) & 1) as u8);
                let mut out = host_buffer(n, |_| 0f32);
                measure(reps, |k| {
                    cpu_run(k, || {
                        cpu.voltage(black_box(&spikes), -60.0f32, -50.0, black_box(&mut out))
                    })
                })
            }
            Op::VoltageF16 => {
                let spikes = host_buffer(n, |i| (mix(i) & 1) as u8);
                let mut out = host_buffer(n, |_| f16::ZERO);
                let (rest, thresh) = (f16::from_f32(-60.0), f16::from_f32(-50.0));
                measure(reps, |k| {
                    cpu_run(k, || {
                        cpu.voltage(black_box(&spikes), rest, thresh, black_box(&mut out))
                    })
                })
            }
        }
    }

    fn time_copy(&mut self, bytes: usize, reps: u32) -> Result<Timing, String> {
        let src = host_buffer(bytes, |i| mix(i) as u8);
        let mut dst = host_buffer(bytes, |_| 0u8);
        measure(reps, |k| {
            cpu_run(k, || {
                black_box(&mut dst).copy_from_slice(black_box(&src));
                Ok(())
            })
        })
    }
}

struct CudaBench {
    device: Cuda,
    stream: Arc<CudaStream>,
}

/// Elements of host data staged per upload when filling a device buffer.
const TILE: usize = 1 << 20;

impl CudaBench {
    /// A device buffer of `n` elements holding `f(i)` (tiled from a block
    /// of at most `TILE` elements, to keep host work small).
    fn filled<T: DeviceRepr + ValidAsZeroBits>(
        &self,
        n: usize,
        f: impl Fn(u64) -> T,
    ) -> Result<CudaSlice<T>, String> {
        let text = |err: exact_neuron::cudarc::driver::DriverError| err.to_string();
        let mut buffer = self.stream.alloc_zeros::<T>(n).map_err(text)?;
        let tile = self
            .stream
            .clone_htod(&pattern(n.min(TILE), f))
            .map_err(text)?;
        let mut offset = 0;
        while offset < n {
            let len = (n - offset).min(TILE);
            self.stream
                .memcpy_dtod(
                    &tile.slice(0..len),
                    &mut buffer.slice_mut(offset..offset + len),
                )
                .map_err(text)?;
            offset += len;
        }
        self.stream.synchronize().map_err(text)?;
        Ok(buffer)
    }

    /// Times `k` calls of `f` with CUDA events on the stream.
    fn run(&self, k: u64, mut f: impl FnMut() -> Result<(), String>) -> Result<f64, String> {
        let text = |err: exact_neuron::cudarc::driver::DriverError| err.to_string();
        let flags = Some(CUevent_flags::CU_EVENT_DEFAULT);
        let start = self.stream.record_event(flags).map_err(text)?;
        for _ in 0..k {
            f()?;
        }
        let end = self.stream.record_event(flags).map_err(text)?;
        let ms = start.elapsed_ms(&end).map_err(text)?;
        Ok(f64::from(ms) / 1e3)
    }
}

impl Bencher for CudaBench {
    fn max_elements(&self) -> Option<u64> {
        let (free, _total) = self.stream.context().mem_get_info().ok()?;
        // Device buffers need at most 5 bytes per element; keep a margin.
        Some(free as u64 / 10 * 9 / 6)
    }

    fn time_op(&mut self, op: Op, n: usize, reps: u32) -> Result<Timing, String> {
        let device = self.device.clone();
        let text = |err: exact_neuron::Error| err.to_string();
        let spikes_out = || self.stream.alloc_zeros::<u8>(n).map_err(|e| e.to_string());
        match op {
            Op::ThresholdF32 => {
                let x = self.filled(n, input_f32)?;
                let mut spikes = spikes_out()?;
                measure(reps, |k| {
                    self.run(k, || device.threshold::<f32>(&x, &mut spikes).map_err(text))
                })
            }
            Op::ThresholdF16 => {
                let x = self.filled(n, |i| f16::from_f32(input_f32(i)))?;
                let mut spikes = spikes_out()?;
                measure(reps, |k| {
                    self.run(k, || device.threshold::<f16>(&x, &mut spikes).map_err(text))
                })
            }
            Op::ThresholdBf16 => {
                let x = self.filled(n, |i| bf16::from_f32(input_f32(i)))?;
                let mut spikes = spikes_out()?;
                measure(reps, |k| {
                    self.run(k, || {
                        device.threshold::<bf16>(&x, &mut spikes).map_err(text)
                    })
                })
            }
            Op::OverrideU8 => {
                let x = self.filled(n, |i| (mix(i) & 1) as u8)?;
                let mut spikes = spikes_out()?;
                measure(reps, |k| {
                    self.run(k, || device.overrides::<u8>(&x, &mut spikes).map_err(text))
                })
            }
            Op::VoltageF32 => {
                let spikes = self.filled(n, |i| (mix(i) & 1) as u8)?;
                let mut out = self
                    .stream
                    .alloc_zeros::<f32>(n)
                    .map_err(|e| e.to_string())?;
                measure(reps, |k| {
                    self.run(k, || {
                        device
                            .voltage(&spikes, -60.0f32, -50.0, &mut out)
                            .map_err(text)
                    })
                })
            }
            Op::VoltageF16 => {
                let spikes = self.filled(n, |i| (mix(i) & 1) as u8)?;
                let mut out = self
                    .stream
                    .alloc_zeros::<f16>(n)
                    .map_err(|e| e.to_string())?;
                let (rest, thresh) = (f16::from_f32(-60.0), f16::from_f32(-50.0));
                measure(reps, |k| {
                    self.run(k, || {
                        device
                            .voltage(&spikes, rest, thresh, &mut out)
                            .map_err(text)
                    })
                })
            }
        }
    }

    fn time_copy(&mut self, bytes: usize, reps: u32) -> Result<Timing, String> {
        let src = self.filled(bytes, |i| mix(i) as u8)?;
        let mut dst = self
            .stream
            .alloc_zeros::<u8>(bytes)
            .map_err(|e| e.to_string())?;
        let stream = self.stream.clone();
        measure(reps, |k| {
            self.run(k, || {
                stream
                    .memcpy_dtod(&src, &mut dst)
                    .map_err(|e| e.to_string())
            })
        })
    }
}

/// One row of results.
#[derive(Clone, Debug)]
pub struct Row {
    pub op: Op,
    pub elements: u64,
    pub bytes: u64,
    pub timing: Timing,
    pub copy_bytes: u64,
    pub copy: Timing,
}

impl Row {
    pub fn gbps(&self) -> f64 {
        self.bytes as f64 / self.timing.median_s / 1e9
    }

    /// The copy's traffic (read plus written) per second.
    pub fn copy_gbps(&self) -> f64 {
        2.0 * self.copy_bytes as f64 / self.copy.median_s / 1e9
    }

    pub fn pct_of_copy(&self) -> f64 {
        100.0 * self.gbps() / self.copy_gbps()
    }

    pub fn elements_per_s(&self) -> f64 {
        self.elements as f64 / self.timing.median_s
    }
}

/// The default element counts: 2^10, 2^12, ... up to `max_exp`.
fn default_sizes(max_exp: u32) -> Vec<u64> {
    (10..=max_exp).step_by(2).map(|exp| 1u64 << exp).collect()
}

fn progress(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed}]") {
        bar.set_style(style);
    }
    bar
}

pub fn bench(args: &BenchArgs) -> CliResult {
    // Made before any work: an unwritable --json is found now (status 2).
    let mut json_output = match &args.json {
        Some(path) => Some(Outputs::file(&format!("--json={}", path.display()), path)?),
        None => None,
    };
    let backend = device::choose(args.device)?;
    let device_name = backend.device_name();
    let (mut bencher, default_max): (Box<dyn Bencher>, u32) = match &backend {
        Backend::Cpu => (Box::new(CpuBench), 26),
        Backend::Cuda(stream) => {
            let device = Cuda::new(stream.clone())
                .map_err(|err| CliError::failed(format!("cuda backend: {err}")))?;
            (
                Box::new(CudaBench {
                    device,
                    stream: stream.clone(),
                }),
                30,
            )
        }
    };
    let requested = match &args.sizes {
        Some(sizes) => sizes.0.clone(),
        None => default_sizes(default_max),
    };
    let limit = bencher.max_elements();
    let mut sizes = Vec::new();
    for &n in &requested {
        match limit {
            Some(limit) if n > limit => console::note(format!(
                "skipping {n} elements: not enough free memory (at most {limit} fit)"
            )),
            _ if usize::try_from(n).is_err() => {
                console::note(format!("skipping {n} elements: too large for this machine"))
            }
            _ => sizes.push(n),
        }
    }
    if sizes.is_empty() {
        return Err(CliError::bad("no element count fits in memory"));
    }
    console::note(format!(
        "bench on {} ({device_name}): {} sizes x {} operations, median of {} repetitions",
        backend.name(),
        sizes.len(),
        OPS.len(),
        args.reps
    ));
    let bar = progress((sizes.len() * OPS.len()) as u64);
    let mut rows = Vec::new();
    let mut copies: Vec<(u64, Timing)> = Vec::new();
    for &n in &sizes {
        for op in OPS {
            bar.set_message(format!(
                "{} {} n={}",
                op.name(),
                op.dtype(),
                elements_text(n)
            ));
            let fail = |err: String| {
                CliError::failed(format!(
                    "{} {} at {n} elements: {err}",
                    op.name(),
                    op.dtype()
                ))
            };
            let timing = bencher.time_op(op, n as usize, args.reps).map_err(fail)?;
            let bytes = n * op.bytes_per_element();
            let copy_bytes = bytes.div_ceil(2);
            let copy = match copies.iter().find(|(size, _)| *size == copy_bytes) {
                Some(&(_, timing)) => timing,
                None => {
                    let timing =
                        bencher
                            .time_copy(copy_bytes as usize, args.reps)
                            .map_err(|err| {
                                CliError::failed(format!("copy of {copy_bytes} bytes: {err}"))
                            })?;
                    copies.push((copy_bytes, timing));
                    timing
                }
            };
            rows.push(Row {
                op,
                elements: n,
                bytes,
                timing,
                copy_bytes,
                copy,
            });
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    rows.sort_by_key(|row| (OPS.iter().position(|&op| op == row.op), row.elements));
    // The JSON file first: it is kept even when stdout's reader has gone.
    if let Some(mut json_output) = json_output.take() {
        let text = json_records(backend.name(), &device_name, args.reps, &rows);
        json_output.write(0, |out| out.write_all(text.as_bytes()))?;
        json_output.commit()?;
    }
    console::print(&table(backend.name(), &device_name, args.reps, &rows))?;
    Ok(ExitCode::SUCCESS)
}

/// `2^20` for powers of two, else the number.
fn elements_text(n: u64) -> String {
    if n.is_power_of_two() {
        format!("2^{}", n.trailing_zeros())
    } else {
        n.to_string()
    }
}

fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn seconds_text(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.3} s")
    } else if seconds >= 1e-3 {
        format!("{:.3} ms", seconds * 1e3)
    } else if seconds >= 1e-6 {
        format!("{:.3} us", seconds * 1e6)
    } else {
        format!("{:.1} ns", seconds * 1e9)
    }
}

/// The aligned table printed on stdout.
pub fn table(backend: &str, device: &str, reps: u32, rows: &[Row]) -> String {
    let header = [
        "op",
        "dtype",
        "elements",
        "bytes",
        "median",
        "Gelem/s",
        "GB/s",
        "copy GB/s",
        "% of copy",
    ];
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|row| {
            [
                row.op.name().to_owned(),
                row.op.dtype().to_owned(),
                elements_text(row.elements),
                bytes_text(row.bytes),
                seconds_text(row.timing.median_s),
                format!("{:.3}", row.elements_per_s() / 1e9),
                format!("{:.2}", row.gbps()),
                format!("{:.2}", row.copy_gbps()),
                format!("{:.1}", row.pct_of_copy()),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let copy_kind = if backend == "cuda" {
        "a device-to-device copy"
    } else {
        "memcpy"
    };
    let mut out = format!(
        "exact-neuron bench: {backend} ({device}), median of {reps} repetitions after warm-up\n\
         GB/s = (bytes read + bytes written) / time; % of copy = GB/s relative to {copy_kind} \
         of the same traffic, timed the same way\n\n"
    );
    let line = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            if i < 2 {
                text.push_str(&format!("{cell:<width$}"));
            } else {
                text.push_str(&format!("{cell:>width$}"));
            }
        }
        text.trim_end().to_owned() + "\n"
    };
    out.push_str(&line(&header.map(String::from)));
    let mut previous = None;
    for (row, cells) in rows.iter().zip(&cells) {
        if previous.is_some() && previous != Some(row.op) {
            out.push('\n');
        }
        previous = Some(row.op);
        out.push_str(&line(cells));
    }
    out
}

/// A JSON array with one record per row, one record per line.
pub fn json_records(backend: &str, device: &str, reps: u32, rows: &[Row]) -> String {
    let records: Vec<String> = rows
        .iter()
        .map(|row| {
            json!({
                "backend": backend,
                "device": device,
                "op": row.op.name(),
                "dtype": row.op.dtype(),
                "elements": row.elements,
                "bytes": row.bytes,
                "median_s": row.timing.median_s,
                "gbps": row.gbps(),
                "pct_of_copy": row.pct_of_copy(),
                "elements_per_s": row.elements_per_s(),
                "copy_bytes": row.copy_bytes,
                "copy_median_s": row.copy.median_s,
                "copy_gbps": row.copy_gbps(),
                "repetitions": reps,
                "calls_per_repetition": row.timing.inner,
            })
            .to_string()
        })
        .collect();
    format!("[\n{}\n]\n", records.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn default_sizes_step_by_four() {
        assert_eq!(default_sizes(16), vec![1 << 10, 1 << 12, 1 << 14, 1 << 16]);
        assert_eq!(default_sizes(30).len(), 11);
    }

    #[test]
    fn traffic_per_operation() {
        assert_eq!(Op::ThresholdF32.bytes_per_element(), 5);
        assert_eq!(Op::ThresholdBf16.bytes_per_element(), 3);
        assert_eq!(Op::OverrideU8.bytes_per_element(), 2);
        assert_eq!(Op::VoltageF16.bytes_per_element(), 3);
    }

    #[test]
    fn the_cpu_bench_runs() {
        let mut bench = CpuBench;
        for op in OPS {
            let timing = bench.time_op(op, 1000, 3).unwrap();
            assert!(timing.median_s > 0.0 && timing.inner >= 1, "{op:?}");
        }
        assert!(bench.time_copy(5000, 3).unwrap().median_s > 0.0);
    }

    #[test]
    fn text_formats() {
        assert_eq!(elements_text(1 << 20), "2^20");
        assert_eq!(elements_text(1000), "1000");
        assert_eq!(bytes_text(512), "512 B");
        assert_eq!(bytes_text(5 << 20), "5.0 MiB");
        assert_eq!(seconds_text(2.5e-6), "2.500 us");
    }
}
