//! The aligned table printed on stdout.

use super::ratios::Ratio;
use super::rows::Row;

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

fn seconds_text(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.3} s")
    } else if seconds >= 1e-3 {
        format!("{:.3} ms", seconds * 1e3)
    } else if seconds >= 1e-6 {
        format!("{:.3} us", seconds * 1e6)
    } else {
        format!("{:.1} ns", seconds * 1e9)
    }
}

/// The aligned table printed on stdout.
pub fn table(backend: &str, device: &str, reps: u32, rows: &[Row]) -> String {
    let header = [
        "op",
        "dtype",
        "elements",
        "bytes",
        "median",
        "p10",
        "p90",
        "Gelem/s",
        "GB/s",
        "copy GB/s",
        "% of copy",
    ];
    let cells: Vec<[String; 11]> = rows
        .iter()
        .map(|row| {
            [
                row.op().to_owned(),
                row.dtype().to_owned(),
                elements_text(row.elements),
                bytes_text(row.bytes),
                seconds_text(row.timing.median_s),
                seconds_text(row.timing.p10_s),
                seconds_text(row.timing.p90_s),
                format!("{:.3}", row.elements_per_s() / 1e9),
                format!("{:.2}", row.gbps()),
                format!("{:.2}", row.copy_gbps()),
                format!("{:.1}", row.pct_of_copy()),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let copy_kind = if backend == "cuda" {
        "a device-to-device copy"
    } else {
        "memcpy"
    };
    let mut out = format!(
        "exact-neuron bench: {backend} ({device}), median of {reps} repetitions after warm-up\n\
         GB/s = (bytes read + bytes written) / time; % of copy = GB/s relative to {copy_kind} \
         of the same traffic, timed the same way\n\n"
    );
    let line = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            if i < 2 {
                text.push_str(&format!("{cell:<width$}"));
            } else {
                text.push_str(&format!("{cell:>width$}"));
            }
        }
        text.trim_end().to_owned() + "\n"
    };
    out.push_str(&line(&header.map(String::from)));
    let mut previous = None;
    for (row, cells) in rows.iter().zip(&cells) {
        if previous.is_some() && previous != Some(row.case) {
            out.push('\n');
        }
        previous = Some(row.case);
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
        out.push_str(&format!(
            "  {:<22} {:<5} {:>8} {:>7.2}\n",
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
        assert_eq!(seconds_text(2.5e-6), "2.500 us");
    }
}
