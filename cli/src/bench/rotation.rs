//! Where a row's data comes from on a GPU, and the rotation over buffer
//! sets that makes it come from device memory.
//!
//! A kernel called again and again on the same few megabytes finds them in
//! the GPU's L2 cache and runs faster than it would on data fresh from
//! device memory (HBM). A row whose working set (every buffer one call
//! touches) fits in L2 is timed on one buffer set and labelled `l2`. A
//! larger one is timed over `ceil(4 × L2 / working set)` buffer sets, call
//! `i` using set `i mod sets`: between two uses of a set, at least four L2
//! sizes of other data have passed through the cache, so every call reads
//! from device memory; it is labelled `hbm`. On the CPU there is no L2 size
//! to compare with: one set, labelled `cpu`.

use super::backend::BenchDevice;
use super::timing::{measure, Timing};

/// Where a row's data is expected to come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cache {
    /// A CPU row (no L2 size to tell them apart).
    Cpu,
    /// The working set fits in the GPU's L2 and stays there between calls.
    L2,
    /// Rotated over buffer sets: every call reads from device memory.
    Hbm,
}

impl Cache {
    /// `cpu`, `l2` or `hbm`: the table's and the JSON's label.
    pub fn label(self) -> &'static str {
        match self {
            Cache::Cpu => "cpu",
            Cache::L2 => "l2",
            Cache::Hbm => "hbm",
        }
    }
}

/// How many L2 sizes of other data pass between two uses of a set.
const L2_MULTIPLE: u64 = 4;

/// The label and the number of buffer sets for a working set of
/// `working_set` bytes on a device whose L2 holds `l2` bytes (`None`: the
/// CPU).
pub fn placement(working_set: u64, l2: Option<u64>) -> (Cache, usize) {
    match l2 {
        None => (Cache::Cpu, 1),
        Some(l2) if working_set <= l2 => (Cache::L2, 1),
        Some(l2) => {
            let sets = (L2_MULTIPLE * l2).div_ceil(working_set.max(1)).max(1);
            (Cache::Hbm, usize::try_from(sets).unwrap_or(usize::MAX))
        }
    }
}

/// How one row is timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimingPlan {
    /// Timed repetitions after warm-up.
    pub reps: u32,
    /// Buffer sets the calls rotate over (1: no rotation).
    pub sets: usize,
    /// `Some(n)`: `n` calls captured in one CUDA graph, timed by replays;
    /// `None`: calls launched one by one on the stream.
    pub graph_calls: Option<u64>,
}

/// `count` buffer sets made by `make` (at least one).
pub fn make_sets<S>(
    count: usize,
    mut make: impl FnMut() -> Result<S, String>,
) -> Result<Vec<S>, String> {
    (0..count.max(1)).map(|_| make()).collect()
}

/// Times `call` as `plan` says, call `i` on `sets[i % sets.len()]`: one by
/// one by the device's clock, or captured into one graph and replayed (then
/// the captured calls cycle over the sets the same way).
pub fn time_rotating<D: BenchDevice, S>(
    device: &D,
    plan: TimingPlan,
    sets: &mut [S],
    mut call: impl FnMut(&mut S) -> Result<(), String>,
) -> Result<Timing, String> {
    if sets.is_empty() {
        return Err("no buffer set to time".into());
    }
    let count = sets.len();
    let mut next = 0;
    let mut one = || {
        let set = &mut sets[next];
        next = (next + 1) % count;
        call(set)
    };
    match plan.graph_calls {
        None => measure(plan.reps, |k| device.time(k, &mut one)),
        Some(calls) => device.time_graph(calls, plan.reps, &mut one),
    }
}

/// The tests' corruption (see `check`) goes to the last set only: a check
/// that looked at the first set alone would miss it.
pub fn corrupt_in(corrupt: Option<usize>, set: usize, sets: usize) -> Option<usize> {
    corrupt.filter(|_| set + 1 == sets)
}

#[cfg(test)]
mod tests {
    use exact_neuron::Cpu;

    use super::*;

    const MB: u64 = 1_000_000;

    #[test]
    fn the_cpu_never_rotates() {
        assert_eq!(placement(0, None), (Cache::Cpu, 1));
        assert_eq!(placement(1 << 40, None), (Cache::Cpu, 1));
    }

    #[test]
    fn working_sets_that_fit_in_l2_are_l2_and_the_others_rotate() {
        let l2 = Some(60 * MB);
        assert_eq!(placement(5 * MB, l2), (Cache::L2, 1));
        assert_eq!(placement(60 * MB, l2), (Cache::L2, 1));
        // just above L2: four sets make 4 x L2
        assert_eq!(placement(60 * MB + 1, l2), (Cache::Hbm, 4));
        assert_eq!(placement(84 * MB, l2), (Cache::Hbm, 3));
        assert_eq!(placement(120 * MB, l2), (Cache::Hbm, 2));
        assert_eq!(placement(240 * MB, l2), (Cache::Hbm, 1));
        assert_eq!(placement(1 << 40, l2), (Cache::Hbm, 1));
        for ws in [61 * MB, 99 * MB, 239 * MB, 5000 * MB] {
            let (_, sets) = placement(ws, l2);
            let sets = sets as u64;
            // enough sets for 4 x L2, and not one more than needed
            assert!(sets * ws >= 240 * MB, "{ws}");
            assert!(sets == 1 || (sets - 1) * ws < 240 * MB, "{ws}");
        }
        assert_eq!(placement(10, Some(0)), (Cache::Hbm, 1));
        assert_eq!(Cache::Hbm.label(), "hbm");
        assert_eq!(Cache::L2.label(), "l2");
        assert_eq!(Cache::Cpu.label(), "cpu");
    }

    #[test]
    fn calls_cycle_over_the_sets() {
        let mut sets = make_sets(3, || Ok(0u64)).unwrap();
        let mut order = Vec::new();
        let plan = TimingPlan {
            reps: 2,
            sets: 3,
            graph_calls: None,
        };
        time_rotating(&Cpu, plan, &mut sets, |set| {
            *set += 1;
            order.push(*set);
            Ok(())
        })
        .unwrap();
        let total: u64 = sets.iter().sum();
        assert_eq!(total, order.len() as u64);
        // set i % 3: the counts differ by at most one, in order
        assert!(sets[0] >= sets[1] && sets[1] >= sets[2] && sets[0] - sets[2] <= 1);
        assert_eq!(&order[..6], &[1, 1, 1, 2, 2, 2]);
    }

    #[test]
    fn graphs_are_refused_on_the_cpu_and_nothing_is_called() {
        let mut sets = make_sets(1, || Ok(0u32)).unwrap();
        let plan = TimingPlan {
            reps: 1,
            sets: 1,
            graph_calls: Some(100),
        };
        let err = time_rotating(&Cpu, plan, &mut sets, |_| panic!("called")).unwrap_err();
        assert!(err.contains("CUDA graph"), "{err}");
    }

    #[test]
    fn corruption_goes_to_the_last_set() {
        assert_eq!(corrupt_in(Some(5), 0, 3), None);
        assert_eq!(corrupt_in(Some(5), 2, 3), Some(5));
        assert_eq!(corrupt_in(None, 2, 3), None);
    }
}
