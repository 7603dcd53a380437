//! What the bench times: rows of the entry table (an operation and an
//! element type), their traffic, and the one call of each.

use std::hint::black_box;

use exact_neuron::half::{bf16, f16};
use exact_neuron::kernel::{Kernel, Op};
use exact_neuron::{DType, VoltageElement};

use super::backend::BenchDevice;
use super::data::{mix, Sample};
use super::timing::{measure, Timing};

/// The (operation, element type) pairs timed by default; each is a row of
/// the entry table ([`Kernel::find`] maps it to its entry).
const DEFAULT: [(Op, DType); 6] = [
    (Op::Threshold, DType::F32),
    (Op::Threshold, DType::F16),
    (Op::Threshold, DType::BF16),
    (Op::Override, DType::U8),
    (Op::Voltage, DType::F32),
    (Op::Voltage, DType::F16),
];

/// One benchmarked case: an entry of the table run for one element type
/// (the input type of threshold and override, the output type of voltage).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Case {
    pub kernel: Kernel,
    pub dtype: DType,
}

impl Case {
    /// Every case the table serves: each entry of the three one-step
    /// elementwise operations with each of its types (the bit and step
    /// entries have no timed call yet).
    pub fn all() -> impl Iterator<Item = Case> {
        Kernel::ALL
            .into_iter()
            .filter(|kernel| matches!(kernel.op(), Op::Threshold | Op::Override | Op::Voltage))
            .flat_map(|kernel| {
                kernel
                    .dtypes()
                    .iter()
                    .map(move |&dtype| Case { kernel, dtype })
            })
    }

    /// The cases timed by default.
    pub fn defaults() -> Vec<Case> {
        Case::all()
            .filter(|case| DEFAULT.contains(&(case.op(), case.dtype)))
            .collect()
    }

    pub fn op(self) -> Op {
        self.kernel.op()
    }

    /// Bytes read plus bytes written for `n` elements, from the table's
    /// element sizes.
    pub fn traffic_bytes(self, n: u64) -> u64 {
        n * (self.kernel.input_size() + self.kernel.output_size()) as u64
    }

    /// Times the entry on `n` elements of `device`.
    pub fn time<D: BenchDevice>(self, device: &D, n: usize, reps: u32) -> Result<Timing, String> {
        match (self.op(), self.dtype) {
            (Op::Threshold, DType::F16) => into_spikes::<D, f16>(device, n, reps, D::threshold),
            (Op::Threshold, DType::BF16) => into_spikes::<D, bf16>(device, n, reps, D::threshold),
            (Op::Threshold, DType::F32) => into_spikes::<D, f32>(device, n, reps, D::threshold),
            (Op::Threshold, DType::F64) => into_spikes::<D, f64>(device, n, reps, D::threshold),
            (Op::Override, DType::Bool) => into_spikes::<D, bool>(device, n, reps, D::overrides),
            (Op::Override, DType::U8) => into_spikes::<D, u8>(device, n, reps, D::overrides),
            (Op::Override, DType::F16) => into_spikes::<D, f16>(device, n, reps, D::overrides),
            (Op::Override, DType::BF16) => into_spikes::<D, bf16>(device, n, reps, D::overrides),
            (Op::Override, DType::F32) => into_spikes::<D, f32>(device, n, reps, D::overrides),
            (Op::Override, DType::F64) => into_spikes::<D, f64>(device, n, reps, D::overrides),
            (Op::Voltage, DType::F16) => voltage::<D, f16>(device, n, reps),
            (Op::Voltage, DType::BF16) => voltage::<D, bf16>(device, n, reps),
            (Op::Voltage, DType::F32) => voltage::<D, f32>(device, n, reps),
            (Op::Voltage, DType::F64) => voltage::<D, f64>(device, n, reps),
            (op, dtype) => Err(format!("no {op} kernel for {dtype}")),
        }
    }
}

/// Times `call` on `device`: the measurement of every case.
fn time_calls<D: BenchDevice>(
    device: &D,
    reps: u32,
    mut call: impl FnMut() -> exact_neuron::Result<()>,
) -> Result<Timing, String> {
    measure(reps, |k| {
        device.time(k, &mut || call().map_err(|err| err.to_string()))
    })
}

/// A kernel from values of `T` into spikes (threshold, override).
type SpikeCall<D, T> = fn(
    &D,
    &<D as exact_neuron::KernelDevice>::Slice<'_, T>,
    &mut <D as exact_neuron::KernelDevice>::Buffer<u8>,
) -> exact_neuron::Result<()>;

fn into_spikes<D: BenchDevice, T: Sample>(
    device: &D,
    n: usize,
    reps: u32,
    call: SpikeCall<D, T>,
) -> Result<Timing, String> {
    let x = device.filled(n, T::sample)?;
    let mut spikes = device.filled(n, |_| 0u8)?;
    time_calls(device, reps, || {
        call(device, black_box(D::input(&x)), black_box(&mut spikes))
    })
}

fn voltage<D: BenchDevice, T: VoltageElement>(
    device: &D,
    n: usize,
    reps: u32,
) -> Result<Timing, String> {
    let spikes = device.filled(n, |i| (mix(i) & 1) as u8)?;
    let mut out = device.filled(n, |_| T::zeroed())?;
    let (rest, thresh) = (T::from_f64(-60.0), T::from_f64(-50.0));
    time_calls(device, reps, || {
        device.voltage(black_box(&spikes), rest, thresh, black_box(&mut out))
    })
}

#[cfg(test)]
mod tests {
    use exact_neuron::Cpu;

    use super::*;

    fn case(op: Op, dtype: DType) -> Option<Case> {
        Case::all().find(|case| case.op() == op && case.dtype == dtype)
    }

    #[test]
    fn the_defaults_are_entries_of_the_table() {
        let defaults = Case::defaults();
        assert_eq!(defaults.len(), DEFAULT.len());
        for (op, dtype) in DEFAULT {
            let case = case(op, dtype).unwrap_or_else(|| panic!("no entry for {op} {dtype}"));
            assert_eq!(Kernel::find(op, dtype), Some(case.kernel));
        }
    }

    #[test]
    fn traffic_per_operation() {
        let traffic = |op, dtype| case(op, dtype).unwrap().traffic_bytes(1);
        assert_eq!(traffic(Op::Threshold, DType::F32), 5);
        assert_eq!(traffic(Op::Threshold, DType::BF16), 3);
        assert_eq!(traffic(Op::Override, DType::U8), 2);
        assert_eq!(traffic(Op::Voltage, DType::F16), 3);
    }

    #[test]
    fn the_cpu_bench_runs_every_case() {
        for case in Case::all() {
            let timing = case.time(&Cpu, 1000, 3).unwrap();
            assert!(timing.median_s > 0.0 && timing.inner >= 1, "{case:?}");
        }
        assert!(Cpu.time_copy(5000, 3).unwrap().median_s > 0.0);
    }
}
