//! `exact-neuron bench`: times each kernel and a plain copy of the same
//! traffic, on the GPU (CUDA events) or the CPU (a monotonic clock).
//!
//! Method, for every case (an entry of the kernel table and an element
//! type) and element count `n`:
//! - `bytes` is what the operation reads plus what it writes (threshold
//!   from f32: `4n + n`; voltage to f16: `n + 2n`; ...), from the table's
//!   element sizes.
//! - After warm-up, one repetition runs the operation `inner` times back to
//!   back (`inner` is chosen so that a repetition takes at least 1 ms; it is
//!   1 for large `n`); `median_s` is the median over the repetitions of the
//!   repetition's time divided by `inner` (p10 and p90 likewise).
//! - `gbps = bytes / median_s / 1e9`.
//! - The roofline is a plain copy that moves the same traffic: `ceil(bytes
//!   / 2)` bytes copied (read once, written once), device to device on the
//!   GPU and `memcpy` on the CPU, timed the same way in the same run;
//!   `pct_of_copy = 100 * gbps / copy_gbps`.
//! - On a GPU, a row whose working set (`bytes`, every buffer one call
//!   touches) fits in L2 is labelled `l2`; a larger one rotates over enough
//!   buffer sets that each call reads device memory, `hbm` (`rotation.rs`);
//!   its copy rotates over as many. CPU rows are `cpu`.
//! - `--graph` (CUDA) adds a row per case and size timed from replays of
//!   [`GRAPH_CALLS`] calls captured in one CUDA graph: per call = replay
//!   time / `GRAPH_CALLS` (the copy likewise).
//! - After timing, a sample of every buffer set's outputs is checked
//!   against the host (`check.rs`).
//!
//! The files, one concern each: `ops.rs` (the cases and their calls),
//! `backend.rs` with `cpu.rs` and `cuda.rs` (buffers, clock, graphs, copy
//! and L2 size per device), `rotation.rs` (labels and buffer sets),
//! `data.rs` (test data), `check.rs` (the output check), `timing.rs` and
//! `stats.rs` (the method), `rows.rs` (results), `ratios.rs`, `table.rs`
//! and `json.rs` (output).

mod backend;
mod check;
mod cpu;
mod cuda;
mod data;
mod json;
mod ops;
mod ratios;
mod rotation;
mod rows;
mod stats;
mod table;
mod timing;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use exact_neuron::{Cpu, Cuda};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::BenchArgs;
use crate::console;
use crate::device::{self, Backend};
use crate::error::{CliError, CliResult};
use crate::output::Outputs;

use backend::BenchDevice;
use ops::Case;
use rotation::{placement, TimingPlan};
use rows::Row;
use table::{elements_text, table};
use timing::Timing;

/// Calls captured in one CUDA graph by `--graph`: at a few microseconds a
/// call, a replay takes some hundreds of microseconds, far above the cost
/// of launching the graph itself, which the division by this spreads thin.
pub const GRAPH_CALLS: u64 = 100;

/// The most elements (steps x neurons) a `multistep` row runs: larger
/// sizes are skipped for it.
const MULTISTEP_MAX_ELEMENTS: u64 = 1 << 26;

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
    let json_output = match &args.json {
        Some(path) => Some(Outputs::file(&format!("--json={}", path.display()), path)?),
        None => None,
    };
    let backend = device::choose(args.device)?;
    if args.graph && matches!(backend, Backend::Cpu) {
        // Not a silent fallback: a number labelled "graph" must be one.
        return Err(CliError::bad(
            "--graph: CUDA graphs need --device=cuda (a GPU); the CPU bench has none",
        ));
    }
    match &backend {
        Backend::Cpu => bench_on(&Cpu, &backend, 24, args, json_output),
        Backend::Cuda(stream) => {
            let failed = |err: String| CliError::failed(format!("cuda backend: {err}"));
            let stream = cuda::bench_stream(stream).map_err(failed)?;
            let device = Cuda::new(stream).map_err(|err| failed(err.to_string()))?;
            bench_on(&device, &backend, 30, args, json_output)
        }
    }
}

/// The element counts of `--sizes` (default: 2^10 ... 2^`default_max`)
/// that fit on `device`; a note for each that does not.
fn sizes_that_fit<D: BenchDevice>(
    device: &D,
    args: &BenchArgs,
    default_max: u32,
) -> Result<Vec<u64>, CliError> {
    let requested = match &args.sizes {
        Some(sizes) => sizes.0.clone(),
        None => default_sizes(default_max),
    };
    let limit = device.max_elements();
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
    Ok(sizes)
}

/// What the table's header and every JSON record say about the run.
pub struct Run<'a> {
    /// `cpu` or `cuda`.
    pub backend: &'static str,
    pub device: &'a str,
    pub reps: u32,
    /// The GPU's L2 size (`None` on the CPU).
    pub l2_bytes: Option<u64>,
}

fn bench_on<D: BenchDevice>(
    device: &D,
    backend: &Backend,
    default_max: u32,
    args: &BenchArgs,
    json_output: Option<Outputs>,
) -> CliResult {
    let device_name = backend.device_name();
    let sizes = sizes_that_fit(device, args, default_max)?;
    let cases = Case::defaults();
    let l2 = device.l2_bytes();
    // Each case and size is timed launched one by one, and with --graph
    // also as replays of a graph of GRAPH_CALLS calls (a row each).
    let launches: &[Option<u64>] = if args.graph {
        &[None, Some(GRAPH_CALLS)]
    } else {
        &[None]
    };
    console::note(format!(
        "bench on {} ({device_name}): {} sizes x {} operations{}, median of {} repetitions",
        backend.name(),
        sizes.len(),
        cases.len(),
        if args.graph {
            format!(", launched one by one and replayed from graphs of {GRAPH_CALLS} calls")
        } else {
            String::new()
        },
        args.reps
    ));
    let bar = progress((sizes.len() * cases.len() * launches.len()) as u64);
    let mut rows = Vec::new();
    // Copies already timed: (bytes, plan) and the timing.
    let mut copies: Vec<(u64, TimingPlan, Timing)> = Vec::new();
    for &n in &sizes {
        for &case in &cases {
            if case.steps > 1 && n.saturating_mul(case.steps) > MULTISTEP_MAX_ELEMENTS {
                // 64 steps of the largest sizes would not fit: skipped
                bar.inc(launches.len() as u64);
                continue;
            }
            let bytes = case.traffic_bytes(n);
            let (cache, sets) = placement(bytes, l2);
            for &graph_calls in launches {
                let plan = TimingPlan {
                    reps: args.reps,
                    sets,
                    graph_calls,
                };
                let (op, dtype) = (case.name(), case.dtype);
                let how = match graph_calls {
                    Some(calls) => format!(" (graph of {calls})"),
                    None => String::new(),
                };
                bar.set_message(format!("{op} {dtype} n={}{how}", elements_text(n)));
                let fail = |err: String| {
                    CliError::failed(format!("{op} {dtype} at {n} elements{how}: {err}"))
                };
                let timing = case.time(device, n as usize, plan).map_err(fail)?;
                let copy_bytes = bytes.div_ceil(2);
                let copy = match copies
                    .iter()
                    .find(|(size, timed, _)| *size == copy_bytes && *timed == plan)
                {
                    Some(&(_, _, timing)) => timing,
                    None => {
                        let timing =
                            device.time_copy(copy_bytes as usize, plan).map_err(|err| {
                                CliError::failed(format!("copy of {copy_bytes} bytes{how}: {err}"))
                            })?;
                        copies.push((copy_bytes, plan, timing));
                        timing
                    }
                };
                rows.push(Row {
                    case,
                    elements: n,
                    bytes,
                    timing,
                    copy_bytes,
                    copy,
                    cache,
                    sets,
                    graph_calls,
                });
                bar.inc(1);
            }
        }
    }
    bar.finish_and_clear();
    rows.sort_by_key(|row| {
        (
            cases.iter().position(|&case| case == row.case),
            row.graph_calls,
            row.elements,
        )
    });
    let ratios = ratios::ratios(&rows);
    let run = Run {
        backend: backend.name(),
        device: &device_name,
        reps: args.reps,
        l2_bytes: l2,
    };
    // The JSON file first: it is kept even when stdout's reader has gone.
    if let Some(mut json_output) = json_output {
        let text = json::json_records(&run, &rows, &ratios);
        json_output.write(0, |out| out.write_all(text.as_bytes()))?;
        json_output.commit()?;
    }
    let mut text = table(&run, &rows);
    text.push_str(&table::ratios_table(&ratios));
    console::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_sizes_step_by_four() {
        assert_eq!(default_sizes(16), vec![1 << 10, 1 << 12, 1 << 14, 1 << 16]);
        assert_eq!(default_sizes(30).len(), 11);
    }
}
