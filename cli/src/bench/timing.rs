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

/// Per call, from a timing of replays of a graph of `calls` captured
/// calls: every time divided by `calls`, and `inner` counted in calls.
pub fn per_call(replays: Timing, calls: u64) -> Timing {
    let calls = calls.max(1);
    let per = |seconds: f64| seconds / calls as f64;
    Timing {
        median_s: per(replays.median_s),
        p10_s: per(replays.p10_s),
        p90_s: per(replays.p90_s),
        inner: replays.inner.saturating_mul(calls),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_of_n_calls_is_divided_by_n() {
        let replays = Timing {
            median_s: 200e-6,
            p10_s: 190e-6,
            p90_s: 250e-6,
            inner: 5,
        };
        let call = per_call(replays, 100);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b;
        assert!(close(call.median_s, 2e-6), "{call:?}");
        assert!(close(call.p10_s, 1.9e-6), "{call:?}");
        assert!(close(call.p90_s, 2.5e-6), "{call:?}");
        assert_eq!(call.inner, 500);
        assert_eq!(per_call(replays, 1).median_s, 200e-6);
    }

    #[test]
    fn short_calls_are_repeated_to_a_millisecond() {
        let mut calls = 0u64;
        let timing = measure(3, |k| {
            calls += k;
            Ok(k as f64 * 1e-6)
        })
        .unwrap();
        // 1 ms / 1 µs, rounded up (1001 where the division rounds above)
        let inner = timing.inner;
        assert!((1000..=1001).contains(&inner), "{timing:?}");
        assert!((timing.median_s - 1e-6).abs() < 1e-12);
        assert_eq!(calls, 3 + 1 + inner + 3 * inner);
    }
}
