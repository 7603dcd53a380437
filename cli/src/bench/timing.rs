//! The timing method: warm-up, then repetitions long enough for the clock.

use super::stats::{median, percentile};

/// A timing: the median, 10th and 90th percentile seconds per call over
/// the repetitions.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub median_s: f64,
    pub p10_s: f64,
    pub p90_s: f64,
    /// Calls per timed repetition.
    pub inner: u64,
}

/// A repetition should take at least this long, so that the clock's
/// resolution and per-repetition overheads do not matter.
const MIN_REPETITION_S: f64 = 1e-3;
const WARM_UP_CALLS: u32 = 3;

/// Times `run(k)` (which runs the operation `k` times and returns the
/// seconds it took): warm-up, then `reps` repetitions of `inner` calls.
pub fn measure(
    reps: u32,
    mut run: impl FnMut(u64) -> Result<f64, String>,
) -> Result<Timing, String> {
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
        p10_s: percentile(&mut times, 10.0),
        p90_s: percentile(&mut times, 90.0),
        inner,
    })
}
