//! The `--json` records.

use serde_json::json;

use super::ratios::Ratio;
use super::rows::Row;
use super::Run;

/// A JSON array with one record per row, one record per line, then one
/// record per ratio (`{"ratio": ..., "speedup": ...}`, which has no
/// `elements` field: it is `ratio_elements`, so that readers of the rows
/// that match `"elements":` skip it). What holds for the whole run (the
/// backend, the device, the L2 size) is repeated in every record, so that
/// each line stands alone.
pub fn json_records(run: &Run<'_>, rows: &[Row], ratios: &[Ratio]) -> String {
    let records: Vec<String> = rows
        .iter()
        .map(|row| {
            json!({
                "backend": run.backend,
                "device": run.device,
                "l2_bytes": run.l2_bytes,
                "op": row.op(),
                "dtype": row.dtype(),
                "elements": row.elements,
                "bytes": row.bytes,
                "median_s": row.timing.median_s,
                "p10_s": row.timing.p10_s,
                "p90_s": row.timing.p90_s,
                "working_set_bytes": row.working_set_bytes(),
                "cache": row.cache.label(),
                "buffer_sets": row.sets,
                "graph_calls": row.graph_calls,
                "steps": row.steps(),
                "gbps": row.gbps(),
                "pct_of_copy": row.pct_of_copy(),
                "elements_per_s": row.elements_per_s(),
                "copy_bytes": row.copy_bytes,
                "copy_median_s": row.copy.median_s,
                "copy_gbps": row.copy_gbps(),
                "repetitions": run.reps,
                "calls_per_repetition": row.timing.inner,
            })
            .to_string()
        })
        .chain(ratios.iter().map(|ratio| {
            json!({
                "backend": run.backend,
                "device": run.device,
                "ratio": ratio.name,
                "dtype": ratio.dtype,
                "ratio_elements": ratio.elements,
                "graph_calls": ratio.graph_calls,
                "speedup": ratio.speedup,
            })
            .to_string()
        }))
        .collect();
    format!("[\n{}\n]\n", records.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::super::rotation::Cache;
    use super::super::rows::example;
    use super::*;

    #[test]
    fn gpu_records_carry_the_label_the_sets_the_graph_and_the_l2_size() {
        let run = Run {
            backend: "cuda",
            device: "H200",
            reps: 21,
            l2_bytes: Some(60 << 20),
        };
        let rows = [
            example(Cache::Hbm, 3, None),
            example(Cache::L2, 1, Some(100)),
        ];
        let text = json_records(&run, &rows, &[]);
        let records: serde_json::Value = serde_json::from_str(&text).unwrap();
        let records = records.as_array().unwrap();
        assert_eq!(text.lines().count(), 2 + records.len());
        assert_eq!(records[0]["cache"], "hbm");
        assert_eq!(records[0]["buffer_sets"], 3);
        assert!(records[0]["graph_calls"].is_null());
        assert_eq!(records[1]["cache"], "l2");
        assert_eq!(records[1]["graph_calls"], 100);
        assert_eq!(records[1]["calls_per_repetition"], 500);
        for record in records {
            assert_eq!(record["l2_bytes"], 60 << 20);
            assert_eq!(record["working_set_bytes"], 9 << 24);
        }
        let cpu = Run {
            backend: "cpu",
            l2_bytes: None,
            ..run
        };
        let text = json_records(&cpu, &[example(Cache::Cpu, 1, None)], &[]);
        let records: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(records[0]["l2_bytes"].is_null());
        assert_eq!(records[0]["cache"], "cpu");
    }
}
