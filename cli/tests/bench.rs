//! `exact-neuron bench`: a short run on the CPU, its table and its JSON.

use exact_neuron_support::binary as common;

use std::fs;

use common::{exact_neuron, scratch, stderr};

#[test]
fn a_short_cpu_run_prints_a_table_and_writes_json() {
    let dir = scratch("bench");
    let output = exact_neuron(
        &dir,
        &[
            "bench",
            "--device=cpu",
            "--sizes=1024,1000",
            "--reps=3",
            "--json=bench.json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("% of copy"), "{table}");
    // times per call in microseconds; CPU rows are one buffer set, `cpu`
    assert!(table.contains("median µs"), "{table}");
    assert!(table.contains("cache cpu: one buffer set"), "{table}");
    let header = table.lines().find(|line| line.starts_with("op ")).unwrap();
    assert!(!header.contains("launch"), "no graph rows: {table}");
    for (op, dtype) in [
        ("threshold", "f32"),
        ("threshold", "f16"),
        ("threshold", "bf16"),
        ("override", "u8"),
        ("voltage", "f32"),
        ("voltage", "f16"),
        ("threshold_bits", "f32"),
        ("override_bits", "u8"),
        ("voltage_bits", "f32"),
        ("fused_step", "f32"),
        ("fused_step_bits", "f32"),
        ("multistep", "f32"),
    ] {
        let rows = table
            .lines()
            .filter(|line| {
                let cells: Vec<&str> = line.split_whitespace().collect();
                cells.len() > 2 && cells[0] == op && cells[1] == dtype
            })
            .count();
        assert_eq!(rows, 2, "{op} {dtype}:\n{table}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("bench.json")).unwrap()).unwrap();
    let all = json.as_array().expect("a list of records");
    let (ratios, records): (Vec<_>, Vec<_>) = all.iter().partition(|r| r.get("ratio").is_some());
    assert_eq!(records.len(), 24);
    // per size: bits_vs_bytes, fused_vs_two_launches, multistep_vs_launches,
    // fused_bits_vs_bytes
    assert_eq!(ratios.len(), 8, "{ratios:?}");
    for ratio in &ratios {
        assert!(
            ratio["speedup"].as_f64().is_some_and(|x| x > 0.0),
            "{ratio}"
        );
        assert!(ratio.get("elements").is_none(), "{ratio}");
        assert!(ratio["graph_calls"].is_null(), "{ratio}");
    }
    assert!(table.contains("multistep_vs_launches"), "{table}");
    assert!(table.contains("fused_bits_vs_bytes"), "{table}");
    for record in records {
        assert_eq!(record["backend"], "cpu");
        assert!(record["device"].as_str().is_some_and(|d| !d.is_empty()));
        let op = record["op"].as_str().unwrap();
        let dtype = record["dtype"].as_str().unwrap();
        let elements = record["elements"].as_u64().unwrap();
        assert!(elements == 1024 || elements == 1000);
        let words = 4 * elements.div_ceil(32);
        let (bytes, steps) = match (op, dtype) {
            ("threshold", "f32") | ("voltage", "f32") => (5 * elements, 1),
            ("threshold", "f16" | "bf16") | ("voltage", "f16") => (3 * elements, 1),
            ("override", "u8") => (2 * elements, 1),
            ("threshold_bits", "f32") | ("voltage_bits", "f32") => (4 * elements + words, 1),
            ("override_bits", "u8") => (elements + words, 1),
            ("fused_step", "f32") => (9 * elements, 1),
            ("fused_step_bits", "f32") => (8 * elements + words, 1),
            ("multistep", "f32") => (64 * 9 * elements + elements, 64),
            other => panic!("unexpected row {other:?}"),
        };
        assert_eq!(record["bytes"].as_u64(), Some(bytes));
        let median = record["median_s"].as_f64().unwrap();
        let gbps = record["gbps"].as_f64().unwrap();
        assert!(median > 0.0);
        let (p10, p90) = (
            record["p10_s"].as_f64().unwrap(),
            record["p90_s"].as_f64().unwrap(),
        );
        assert!(0.0 < p10 && p10 <= median && median <= p90, "{record}");
        assert_eq!(record["cache"], "cpu", "{record}");
        assert_eq!(record["buffer_sets"].as_u64(), Some(1), "{record}");
        assert!(record["graph_calls"].is_null(), "{record}");
        assert!(record["l2_bytes"].is_null(), "{record}");
        assert_eq!(record["steps"].as_u64(), Some(steps), "{record}");
        assert_eq!(record["working_set_bytes"].as_u64(), Some(bytes));
        let expected = bytes as f64 / median / 1e9;
        assert!((gbps - expected).abs() <= 1e-9 * expected, "{record}");
        let pct = record["pct_of_copy"].as_f64().unwrap();
        let copy = record["copy_gbps"].as_f64().unwrap();
        assert!((pct - 100.0 * gbps / copy).abs() <= 1e-9 * pct, "{record}");
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn bad_bench_arguments_exit_2_with_one_line() {
    let dir = scratch("bench-bad");
    for (args, needle) in [
        (&["bench", "--sizes=0"][..], "must be at least 1"),
        (&["bench", "--sizes=2^x"][..], "is not an element count"),
        (&["bench", "--reps=0"][..], "--reps"),
        (&["bench", "--device=gpu"][..], "invalid value 'gpu'"),
        (
            &["bench", "--device=cpu", "--sizes=1024", "--graph"][..],
            "--graph: CUDA graphs need --device=cuda",
        ),
        (
            &["bench", "--sizes=1024", "--json=missing/b.json"][..],
            "does not exist",
        ),
    ] {
        let output = exact_neuron(&dir, args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(output.stdout.is_empty());
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn auto_falls_back_to_the_cpu_and_says_so() {
    if exact_neuron::cuda::probe().is_ok() {
        common::note("SKIPPED auto_falls_back_to_the_cpu_and_says_so: a GPU is present");
        return;
    }
    let dir = scratch("bench-auto");
    let output = exact_neuron(&dir, &["bench", "--sizes=1024", "--reps=1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("--device=auto: using the CPU"));
    let cuda = exact_neuron(&dir, &["bench", "--sizes=1024", "--device=cuda"]);
    assert_eq!(cuda.status.code(), Some(2));
    assert!(stderr(&cuda).contains("--device=cuda: no CUDA"));
    let _ = fs::remove_dir_all(&dir);
}
