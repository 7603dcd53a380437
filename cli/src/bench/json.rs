//! The `--json` records.

use serde_json::json;

use super::rows::Row;

/// A JSON array with one record per row, one record per line.
pub fn json_records(backend: &str, device: &str, reps: u32, rows: &[Row]) -> String {
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
