//! A row of results: one case at one element count, with its copy.

use super::ops::Case;
use super::rotation::Cache;
use super::timing::Timing;

/// One row of results.
#[derive(Clone, Debug)]
pub struct Row {
    pub case: Case,
    pub elements: u64,
    /// Bytes read plus bytes written.
    pub bytes: u64,
    pub timing: Timing,
    /// Bytes the roofline copy copies (it reads and writes each once).
    pub copy_bytes: u64,
    /// The copy, timed the same way (same buffer sets, graph or not).
    pub copy: Timing,
    /// Where the data came from: `l2`, `hbm` or `cpu`.
    pub cache: Cache,
    /// Buffer sets the calls rotated over (1: none).
    pub sets: usize,
    /// Calls captured in the CUDA graph that was replayed, or `None` for
    /// calls launched one by one.
    pub graph_calls: Option<u64>,
}

impl Row {
    /// The row's name, `threshold`, `fused_step`, ...
    pub fn op(&self) -> &'static str {
        self.case.name()
    }

    /// The element type's name, `f32`.
    pub fn dtype(&self) -> &'static str {
        self.case.dtype.name()
    }

    /// Steps per call: 64 for `multistep`, else 1.
    pub fn steps(&self) -> u64 {
        self.case.steps
    }

    /// The bytes one call touches: its inputs and outputs (one buffer set),
    /// the same as its traffic.
    pub fn working_set_bytes(&self) -> u64 {
        self.bytes
    }

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

/// Rows as a GPU run makes them, for the output tests: the fused step at
/// 2^24 elements, with the given label, sets and graph size.
#[cfg(test)]
pub fn example(cache: Cache, sets: usize, graph_calls: Option<u64>) -> Row {
    let case = Case::defaults()
        .into_iter()
        .find(|case| case.name() == "fused_step")
        .expect("a fused_step row");
    let timing = Timing {
        median_s: 2e-6,
        p10_s: 1.5e-6,
        p90_s: 3e-6,
        inner: 500,
    };
    Row {
        case,
        elements: 1 << 24,
        bytes: case.traffic_bytes(1 << 24),
        timing,
        copy_bytes: case.traffic_bytes(1 << 24).div_ceil(2),
        copy: Timing {
            median_s: 1e-6,
            ..timing
        },
        cache,
        sets,
        graph_calls,
    }
}
