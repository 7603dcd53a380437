//! Work sizes that reach every branch of a kernel's unrolled grid-stride
//! loop.
//!
//! The vector loops take units k, k + S, k + 2S and k + 3S per iteration
//! while k + 3S < G (S threads in the grid, G units of work), then a single
//! loop the rest. Every thread is then left 0 to 3 units for the single
//! loop, or a few threads one more, depending on G mod 4S.

/// Unit counts G for a grid of `threads` threads (S): 4S + r for r at and
/// around 0, S, 2S, 3S and 4S - 1, so that every remainder class around a
/// boundary occurs and the plan launches the whole grid; sorted, no
/// repeats. `threads` must be at least 1.
pub fn counts_around_4s(threads: usize) -> Vec<usize> {
    let s = threads;
    let mut counts: Vec<usize> = [0, 1, s - 1, s, s + 1, 2 * s - 1, 2 * s]
        .into_iter()
        .chain([2 * s + 1, 3 * s - 1, 3 * s, 3 * s + 1, 4 * s - 1])
        .map(|r| 4 * s + r)
        .collect();
    counts.sort_unstable();
    counts.dedup();
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_of_the_single_loop_occurs() {
        for s in [1, 2, 96, 128] {
            let counts = counts_around_4s(s);
            assert!(counts.windows(2).all(|w| w[0] < w[1]));
            assert!(counts.iter().all(|&g| g >= 4 * s && g <= 8 * s));
            // units the single loop leaves thread 0 after the unrolled
            // iteration: 0 to 3 all occur
            let left: std::collections::BTreeSet<usize> =
                counts.iter().map(|&g| (g - 4 * s) / s).collect();
            assert!((0..4).all(|k| left.contains(&k)), "{s}: {left:?}");
        }
    }
}
