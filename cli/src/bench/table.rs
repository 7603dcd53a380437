//! The aligned table printed on stdout.

use super::ratios::Ratio;
use super::rows::Row;
use super::Run;

/// `2^20` for powers of two, else the number.
pub fn elements_text(n: u64) -> String {
    if n.is_power_of_two() {
        format!("2^{}", n.trailing_zeros())
    } else {
        n.to_string()
    }
}

fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Seconds as microseconds, without the unit (the column says µs): three
/// significant digits or more, so that a 2 µs call and a 300 ms one are
/// both readable.
fn micros_text(seconds: f64) -> String {
    let us = seconds * 1e6;
    if us < 1.0 {
        format!("{us:.3}")
    } else if us < 100.0 {
        format!("{us:.2}")
    } else {
        format!("{us:.1}")
    }
}

/// The aligned table printed on stdout.
pub fn table(run: &Run<'_>, rows: &[Row]) -> String {
    let graphs = rows.iter().find_map(|row| row.graph_calls);
    let mut header = vec![
        "op",
        "dtype",
        "elements",
        "bytes",
        "cache",
        "sets",
        "median µs",
        "p10 µs",
        "p90 µs",
        "Gelem/s",
        "GB/s",
        "copy GB/s",
        "% of copy",
    ];
    if graphs.is_some() {
        header.insert(6, "launch");
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let mut cells = vec![
                row.op().to_owned(),
                row.dtype().to_owned(),
                elements_text(row.elements),
                bytes_text(row.bytes),
                row.cache.label().to_owned(),
                row.sets.to_string(),
                micros_text(row.timing.median_s),
                micros_text(row.timing.p10_s),
                micros_text(row.timing.p90_s),
                format!("{:.3}", row.elements_per_s() / 1e9),
                format!("{:.2}", row.gbps()),
                format!("{:.2}", row.copy_gbps()),
                format!("{:.1}", row.pct_of_copy()),
            ];
            if graphs.is_some() {
                let launch = if row.graph_calls.is_some() {
                    "graph"
                } else {
                    "each"
                };
                cells.insert(6, launch.to_owned());
            }
            cells
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let copy_kind = if run.backend == "cuda" {
        "a device-to-device copy"
    } else {
        "memcpy"
    };
    let mut out = format!(
        "exact-neuron bench: {} ({}), median of {} repetitions after warm-up; times per call\n\
         GB/s = (bytes read + bytes written) / time; % of copy = GB/s relative to {copy_kind} \
         of the same traffic, timed the same way\n",
        run.backend, run.device, run.reps
    );
    match run.l2_bytes {
        Some(l2) => out.push_str(&format!(
            "L2: {}; cache l2: the working set fits in L2 (one buffer set); hbm: calls rotate \
             over `sets` buffer sets, at least 4 x L2 in all, so each reads device memory\n",
            bytes_text(l2)
        )),
        None => out.push_str("cache cpu: one buffer set, no L2/HBM distinction\n"),
    }
    if let Some(calls) = graphs {
        out.push_str(&format!(
            "launch each: calls launched one by one on the stream; graph: {calls} calls \
             captured in one CUDA graph, per call = replay time / {calls}\n"
        ));
    }
    out.push('\n');
    let line = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            let pad = " ".repeat(width.saturating_sub(cell.chars().count()));
            if i < 2 {
                text.push_str(cell);
                text.push_str(&pad);
            } else {
                text.push_str(&pad);
                text.push_str(cell);
            }
        }
        text.trim_end().to_owned() + "\n"
    };
    out.push_str(&line(
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    ));
    let mut previous = None;
    for (row, cells) in rows.iter().zip(&cells) {
        let group = (row.case, row.graph_calls);
        if previous.is_some() && previous != Some(group) {
            out.push('\n');
        }
        previous = Some(group);
        out.push_str(&line(cells));
    }
    out
}

/// The ratios block printed after the table (empty when there is none).
pub fn ratios_table(ratios: &[Ratio]) -> String {
    if ratios.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\nratios, same run (speed-up of the first; above 1: faster):\n\
         bits_vs_bytes = threshold / threshold_bits; fused_vs_two_launches = \
         (threshold + voltage f32) / fused_step; multistep_vs_launches = 64 x fused_step / multistep\n",
    );
    for ratio in ratios {
        let graph = match ratio.graph_calls {
            Some(calls) => format!("  (graphs of {calls})"),
            None => String::new(),
        };
        out.push_str(&format!(
            "  {:<22} {:<5} {:>8} {:>7.2}{graph}\n",
            ratio.name,
            ratio.dtype,
            elements_text(ratio.elements),
            ratio.speedup
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_formats() {
        assert_eq!(elements_text(1 << 20), "2^20");
        assert_eq!(elements_text(1000), "1000");
        assert_eq!(bytes_text(512), "512 B");
        assert_eq!(bytes_text(5 << 20), "5.0 MiB");
        assert_eq!(micros_text(2.5e-6), "2.50");
        assert_eq!(micros_text(4.2e-7), "0.420");
        assert_eq!(micros_text(312.46e-6), "312.5");
        assert_eq!(micros_text(0.25), "250000.0");
    }
}

#[cfg(test)]
mod gpu_tests {
    use super::super::rotation::Cache;
    use super::super::rows::example;
    use super::*;

    fn cells<'a>(text: &'a str, op: &str) -> Vec<Vec<&'a str>> {
        text.lines()
            .map(|line| line.split_whitespace().collect::<Vec<_>>())
            .filter(|cells| cells.first() == Some(&op))
            .collect()
    }

    #[test]
    fn a_gpu_table_names_the_l2_the_label_the_sets_and_the_launch() {
        let run = Run {
            backend: "cuda",
            device: "H200",
            reps: 21,
            l2_bytes: Some(60 << 20),
        };
        let rows = [
            example(Cache::Hbm, 3, None),
            example(Cache::Hbm, 3, Some(100)),
        ];
        let text = table(&run, &rows);
        assert!(text.contains("L2: 60.0 MiB"), "{text}");
        assert!(
            text.contains("100 calls captured in one CUDA graph"),
            "{text}"
        );
        let rows = cells(&text, "fused_step");
        assert_eq!(rows.len(), 2, "{text}");
        // op dtype elements bytes (two words: "144.0 MiB") cache sets launch median
        assert_eq!(&rows[0][5..9], &["hbm", "3", "each", "2.00"], "{text}");
        assert_eq!(&rows[1][5..9], &["hbm", "3", "graph", "2.00"], "{text}");
        // the µs header is aligned by characters, not bytes
        let header = text.lines().find(|l| l.starts_with("op ")).unwrap();
        let first = text.lines().find(|l| l.starts_with("fused_step")).unwrap();
        assert_eq!(header.chars().count(), first.chars().count(), "{text}");
    }

    #[test]
    fn a_cpu_table_has_no_launch_column() {
        let run = Run {
            backend: "cpu",
            device: "EPYC",
            reps: 3,
            l2_bytes: None,
        };
        let text = table(&run, &[example(Cache::Cpu, 1, None)]);
        assert!(!text.contains("launch"), "{text}");
        assert_eq!(&cells(&text, "fused_step")[0][5..8], &["cpu", "1", "2.00"]);
    }
}
