//! A row of results: one case at one element count, with its copy.

use super::ops::Case;
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
    pub copy: Timing,
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

    /// The bytes one call touches: its inputs and outputs (one buffer set,
    /// nothing rotated), the same as its traffic.
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
