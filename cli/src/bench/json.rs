//! The `--json` records.

use serde_json::json;

use super::ratios::Ratio;
use super::rows::Row;

/// A JSON array with one record per row, one record per line, then one
/// record per ratio (`{"ratio": ..., "speedup": ...}`, which has no
/// `elements` field: it is `ratio_elements`, so that readers of the rows
/// that match `"elements":` skip it).
pub fn json_records(
    backend: &str,
    device: &str,
    reps: u32,
    rows: &[Row],
    ratios: &[Ratio],
) -> String {
    // On a GPU the L2/HBM label needs the L2 size and buffer rotation,
    // which this bench does not do yet: null there rather than a guess.
    let cache = (backend == "cpu").then_some("cpu");
    let records: Vec<String> = rows
        .iter()
        .map(|row| {
            json!({
                "backend": backend,
                "device": device,
                "op": row.op(),
                "dtype": row.dtype(),
                "elements": row.elements,
                "bytes": row.bytes,
                "median_s": row.timing.median_s,
                "p10_s": row.timing.p10_s,
                "p90_s": row.timing.p90_s,
                "working_set_bytes": row.working_set_bytes(),
                "cache": cache,
                "steps": row.steps(),
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
        .chain(ratios.iter().map(|ratio| {
            json!({
                "backend": backend,
                "device": device,
                "ratio": ratio.name,
                "dtype": ratio.dtype,
                "ratio_elements": ratio.elements,
                "speedup": ratio.speedup,
            })
            .to_string()
        }))
        .collect();
    format!("[\n{}\n]\n", records.join(",\n"))
}
