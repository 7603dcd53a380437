//! Speed-ups that the goals are stated in, computed from rows of
//! the same run: each is "how many times faster the first is".

use super::ops::MULTISTEP_STEPS;
use super::rows::Row;

/// One ratio at one element count and input type.
#[derive(Clone, Debug, PartialEq)]
pub struct Ratio {
    /// `bits_vs_bytes`, `fused_vs_two_launches`, `multistep_vs_launches`,
    /// `fused_bits_vs_bytes`.
    pub name: &'static str,
    pub dtype: &'static str,
    pub elements: u64,
    /// The graph size of the rows compared (`None`: launched one by one):
    /// a ratio compares rows timed the same way.
    pub graph_calls: Option<u64>,
    /// Above 1: the first named is faster.
    pub speedup: f64,
}

/// Every ratio whose rows were measured:
/// - `bits_vs_bytes`: threshold into bytes / threshold into bits;
/// - `fused_vs_two_launches`: (threshold + voltage in f32) / the fused
///   step (which writes an f32 voltage);
/// - `multistep_vs_launches`: 64 fused steps / one 64-step launch;
/// - `fused_bits_vs_bytes`: the fused step into bytes / into bits (both
///   with an f32 voltage).
pub fn ratios(rows: &[Row]) -> Vec<Ratio> {
    let mut out = Vec::new();
    for row in rows {
        let (dtype, n) = (row.dtype(), row.elements);
        let t = row.timing.median_s;
        let median = |name: &str, dtype: &str, elements: u64| {
            rows.iter()
                .find(|other| {
                    other.op() == name
                        && other.dtype() == dtype
                        && other.elements == elements
                        && other.graph_calls == row.graph_calls
                })
                .map(|other| other.timing.median_s)
        };
        let ratio = match row.op() {
            "threshold_bits" => {
                median("threshold", dtype, n).map(|bytes| ("bits_vs_bytes", bytes / t))
            }
            "fused_step" => median("threshold", dtype, n)
                .zip(median("voltage", "f32", n))
                .map(|(a, b)| ("fused_vs_two_launches", (a + b) / t)),
            "multistep" => median("fused_step", dtype, n)
                .map(|one| ("multistep_vs_launches", MULTISTEP_STEPS as f64 * one / t)),
            "fused_step_bits" => {
                median("fused_step", dtype, n).map(|bytes| ("fused_bits_vs_bytes", bytes / t))
            }
            _ => None,
        };
        if let Some((name, speedup)) = ratio {
            out.push(Ratio {
                name,
                dtype,
                elements: n,
                graph_calls: row.graph_calls,
                speedup,
            });
        }
    }
    out
}
