//! Summaries of repeated timings.

/// The median of `values` (sorted in place, NaN last).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// The `p`-th percentile (0 to 100) of `values` by the nearest-rank rule
/// (sorted in place, NaN last): a value that was measured, never an
/// interpolation, so p10 <= median <= p90 holds for any sample.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
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
    fn percentiles_by_nearest_rank() {
        let mut ten: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        assert_eq!(percentile(&mut ten, 10.0), 1.0);
        assert_eq!(percentile(&mut ten, 90.0), 9.0);
        assert_eq!(percentile(&mut ten, 100.0), 10.0);
        assert_eq!(percentile(&mut [5.0], 10.0), 5.0);
        // the median of an even count lies between its p10 and p90
        let mut two = [2.0, 1.0];
        assert!(percentile(&mut two, 10.0) <= median(&mut two));
        assert!(median(&mut two) <= percentile(&mut two, 90.0));
    }
}
