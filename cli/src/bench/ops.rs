//! What the bench times: rows of the entry table (an operation and an
//! element type, and for the fused step a number of steps per launch),
//! their traffic, the one call of each, and the check of its output.

use std::hint::black_box;

use exact_neuron::any_buffer::AnyBuffer;
use exact_neuron::device::StepVoltage;
use exact_neuron::dyn_kernels::DynKernels;
use exact_neuron::half::{bf16, f16};
use exact_neuron::kernel::{Kernel, Op};
use exact_neuron::{DType, Element, HostSlice, HostValues, SpikeRule};

use super::backend::BenchDevice;
use super::check::{check_bits, check_values, Poison};
use super::data::{mix, Sample};
use super::rotation::{corrupt_in, make_sets, time_rotating, TimingPlan};
use super::timing::Timing;

/// Steps per launch of the `multistep` rows.
pub const MULTISTEP_STEPS: u64 = 64;

/// The rows timed by default: (row name, element type).
const DEFAULT: [(&str, DType); 12] = [
    ("threshold", DType::F32),
    ("threshold", DType::F16),
    ("threshold", DType::BF16),
    ("override", DType::U8),
    ("voltage", DType::F32),
    ("voltage", DType::F16),
    ("threshold_bits", DType::F32),
    ("override_bits", DType::U8),
    ("voltage_bits", DType::F32),
    ("fused_step", DType::F32),
    ("fused_step_bits", DType::F32),
    ("multistep", DType::F32),
];

/// One benchmarked case: an entry of the table run for one element type
/// (the input type of the spike writers and steps, the output type of the
/// voltage views), `steps` steps per launch (1 except for `multistep`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Case {
    pub kernel: Kernel,
    pub dtype: DType,
    pub steps: u64,
}

impl Case {
    /// Every case the bench has a call for: each entry of the one-step
    /// operations, the bit writers and readers, the fused threshold
    /// step (once as `fused_step`, once as `multistep`) and the fused
    /// threshold step into bits (`fused_step_bits`), with each of its
    /// types.
    pub fn all() -> impl Iterator<Item = Case> {
        Kernel::ALL.into_iter().flat_map(|kernel| {
            let steps: &'static [u64] = match kernel.op() {
                Op::Threshold
                | Op::Override
                | Op::Voltage
                | Op::ThresholdBits
                | Op::OverrideBits
                | Op::PackBits
                | Op::VoltageBits => &[1],
                Op::Step => &[1, MULTISTEP_STEPS],
                Op::StepBits => &[1],
                _ => &[],
            };
            steps.iter().flat_map(move |&steps| {
                kernel.dtypes().iter().map(move |&dtype| Case {
                    kernel,
                    dtype,
                    steps,
                })
            })
        })
    }

    /// The cases timed by default.
    pub fn defaults() -> Vec<Case> {
        Case::all()
            .filter(|case| DEFAULT.contains(&(case.name(), case.dtype)))
            .collect()
    }

    pub fn op(self) -> Op {
        self.kernel.op()
    }

    /// The row's name: the operation's, except that the override from
    /// bytes into bits (served by `pack_bits_u8`) is `override_bits`, the
    /// fused step is `fused_step` or `multistep`, and the fused step into
    /// bits `fused_step_bits`.
    pub fn name(self) -> &'static str {
        match (self.op(), self.steps) {
            (Op::PackBits, _) => "override_bits",
            (Op::Step, 1) => "fused_step",
            (Op::Step, _) => "multistep",
            (Op::StepBits, _) => "fused_step_bits",
            (op, _) => op.name(),
        }
    }

    /// Bytes read plus bytes written for `n` neurons (per step): words of
    /// `ceil(n/32)` for the bit entries (one row of `n`), spike bytes (or
    /// words) and an f32 voltage for the steps, and the state (the last
    /// step's spikes) for a multi-step launch.
    pub fn traffic_bytes(self, n: u64) -> u64 {
        let element = self.dtype.size() as u64;
        let words = 4 * n.div_ceil(32);
        match self.op() {
            Op::ThresholdBits | Op::OverrideBits | Op::PackBits => n * element + words,
            Op::VoltageBits => words + n * element,
            Op::StepBits => n * (element + 4) + words,
            Op::Step => {
                let per_step = n * (element + 1 + 4);
                if self.steps > 1 {
                    self.steps * per_step + n
                } else {
                    per_step
                }
            }
            _ => n * (self.kernel.input_size() + self.kernel.output_size()) as u64,
        }
    }

    /// Times the case on `n` neurons of `device` as `plan` says (buffer
    /// sets, graph), then checks a sample of the outputs of every buffer
    /// set (poisoned before the first call) against the host.
    pub fn time<D: BenchDevice>(
        self,
        device: &D,
        n: usize,
        plan: TimingPlan,
    ) -> Result<Timing, String> {
        self.run(device, n, plan, None)
    }

    /// As [`time`](Self::time); `corrupt` changes the output of the last
    /// buffer set after timing and before the check (the tests' way to see
    /// the check fail).
    pub fn run<D: BenchDevice>(
        self,
        device: &D,
        n: usize,
        plan: TimingPlan,
        corrupt: Option<usize>,
    ) -> Result<Timing, String> {
        let steps = self.steps as usize;
        // The row's element type picks the type of its test data, once;
        // the operation reaches its kernel through the library's
        // run-time-typed calls, which check the pair against the entry
        // table.
        match self.dtype {
            DType::Bool => self.run_on::<D, bool>(device, n, steps, plan, corrupt),
            DType::U8 => self.run_on::<D, u8>(device, n, steps, plan, corrupt),
            DType::F16 => self.run_on::<D, f16>(device, n, steps, plan, corrupt),
            DType::BF16 => self.run_on::<D, bf16>(device, n, steps, plan, corrupt),
            DType::F32 => self.run_on::<D, f32>(device, n, steps, plan, corrupt),
            DType::F64 => self.run_on::<D, f64>(device, n, steps, plan, corrupt),
        }
    }

    /// [`run`](Self::run) with the test data in `T`.
    fn run_on<D: BenchDevice, T: Sample>(
        self,
        device: &D,
        n: usize,
        steps: usize,
        plan: TimingPlan,
        corrupt: Option<usize>,
    ) -> Result<Timing, String> {
        use SpikeRule::{Override, Threshold};
        match self.op() {
            Op::Threshold => spike_bytes::<D, T>(device, n, Threshold, plan, corrupt),
            Op::Override => spike_bytes::<D, T>(device, n, Override, plan, corrupt),
            Op::Voltage => voltage::<D, T>(device, n, plan, corrupt),
            Op::ThresholdBits => spike_bits::<D, T>(device, n, Threshold, plan, corrupt),
            Op::OverrideBits | Op::PackBits => {
                spike_bits::<D, T>(device, n, Override, plan, corrupt)
            }
            Op::VoltageBits => voltage_bits::<D, T>(device, n, plan, corrupt),
            Op::Step => fused_step::<D, T>(device, n, steps, plan, corrupt),
            Op::StepBits => fused_step_bits::<D, T>(device, n, plan, corrupt),
            op => Err(format!("the bench has no call for {op}")),
        }
    }
}

fn text(err: exact_neuron::Error) -> String {
    err.to_string()
}

/// The spike of neuron `i` of the test data by `rule`, by the library's
/// bit tests.
fn spike<T: Sample>(rule: SpikeRule, i: u64) -> Result<bool, String> {
    HostSlice::new(&[T::sample(i)]).spike(rule, 0).map_err(text)
}

/// The test data on `device`, as an input of the run-time-typed calls.
fn samples<D: BenchDevice, T: Sample>(device: &D, n: usize) -> Result<AnyBuffer<D>, String> {
    Ok(AnyBuffer::new(device.filled(n, T::sample)?))
}

/// `[NaN (the poison), rest, thresh]` in the voltage type `V`.
fn voltages<V: Element>() -> Result<[V; 3], String> {
    let values = HostValues::voltages(V::DTYPE, &[f64::NAN, REST, THRESH]).map_err(text)?;
    let values = values.typed::<V>("voltages").map_err(text)?;
    Ok([values[0], values[1], values[2]])
}

/// The spike-rule check of an output: expected bits, or the error of a type
/// the rule does not apply to (found before timing).
fn spikes_of<T: Sample>(rule: SpikeRule) -> Result<impl Fn(u64) -> bool, String> {
    spike::<T>(rule, 0)?;
    Ok(move |i| spike::<T>(rule, i).unwrap_or(false))
}

/// The spike bytes the voltage rows read.
fn spike_byte(i: u64) -> u8 {
    (mix(i) & 1) as u8
}

/// The voltages of the bench's neurons.
const REST: f64 = -60.0;
const THRESH: f64 = -50.0;

/// Checks a voltage output of `V`: `thresh` where `spiked(i)`, else
/// `rest`.
fn check_voltage<D: BenchDevice, V: Sample>(
    device: &D,
    out: &AnyBuffer<D>,
    corrupt: Option<usize>,
    [rest, thresh]: [V; 2],
    spiked: impl Fn(u64) -> bool,
) -> Result<(), String> {
    let out = out.typed::<V>("voltage buffer").map_err(text)?;
    check_values(
        device,
        out,
        corrupt,
        |i| if spiked(i) { thresh } else { rest },
    )
}

/// Whether the spike byte `spike_byte(i)`, which the voltage rows read, is
/// set.
fn byte_spiked(i: u64) -> bool {
    spike_byte(i) != 0
}

/// Spike bytes from `n` values of `T` by `rule` (threshold or override).
fn spike_bytes<D: BenchDevice, T: Sample>(
    device: &D,
    n: usize,
    rule: SpikeRule,
    plan: TimingPlan,
    corrupt: Option<usize>,
) -> Result<Timing, String> {
    let spike = spikes_of::<T>(rule)?;
    let mut sets = make_sets(plan.sets, || {
        Ok((
            samples::<D, T>(device, n)?,
            device.filled(n, |_| u8::POISON)?,
        ))
    })?;
    let timing = time_rotating(device, plan, &mut sets, |(x, spikes)| {
        device
            .spikes_dyn(rule, black_box(x), black_box(spikes))
            .map_err(text)
    })?;
    for (set, (_, spikes)) in sets.iter().enumerate() {
        check_values(device, spikes, corrupt_in(corrupt, set, sets.len()), |i| {
            u8::from(spike(i))
        })?;
    }
    Ok(timing)
}

fn voltage<D: BenchDevice, V: Sample>(
    device: &D,
    n: usize,
    plan: TimingPlan,
    corrupt: Option<usize>,
) -> Result<Timing, String> {
    let [nan, rest, thresh] = voltages::<V>()?;
    let mut sets = make_sets(plan.sets, || {
        Ok((
            device.filled(n, spike_byte)?,
            AnyBuffer::new(device.filled(n, |_| nan)?),
        ))
    })?;
    let timing = time_rotating(device, plan, &mut sets, |(spikes, out)| {
        device
            .voltage_dyn(black_box(spikes), REST, THRESH, black_box(out))
            .map_err(text)
    })?;
    for (set, (_, out)) in sets.iter().enumerate() {
        let corrupt = corrupt_in(corrupt, set, sets.len());
        check_voltage(device, out, corrupt, [rest, thresh], byte_spiked)?;
    }
    Ok(timing)
}

/// Spike bits from `n` values of `T` by `rule` (threshold or override).
fn spike_bits<D: BenchDevice, T: Sample>(
    device: &D,
    n: usize,
    rule: SpikeRule,
    plan: TimingPlan,
    corrupt: Option<usize>,
) -> Result<Timing, String> {
    let spike = spikes_of::<T>(rule)?;
    let mut sets = make_sets(plan.sets, || {
        Ok((samples::<D, T>(device, n)?, poisoned_words(device, n)?))
    })?;
    let timing = time_rotating(device, plan, &mut sets, |(x, words)| {
        device
            .spike_bits_dyn(rule, black_box(x), 1, n, black_box(words))
            .map_err(text)
    })?;
    for (set, (_, words)) in sets.iter().enumerate() {
        let corrupt = corrupt_in(corrupt, set, sets.len());
        check_bits(device, words, n, corrupt, &spike)?;
    }
    Ok(timing)
}

fn voltage_bits<D: BenchDevice, V: Sample>(
    device: &D,
    n: usize,
    plan: TimingPlan,
    corrupt: Option<usize>,
) -> Result<Timing, String> {
    let [nan, rest, thresh] = voltages::<V>()?;
    let bytes = device.filled(n, spike_byte)?;
    let mut sets = make_sets(plan.sets, || {
        let mut words = device.alloc_words(n.div_ceil(32)).map_err(text)?;
        device.pack_bits(&bytes, 1, n, &mut words).map_err(text)?;
        Ok((words, AnyBuffer::new(device.filled(n, |_| nan)?)))
    })?;
    drop(bytes);
    let timing = time_rotating(device, plan, &mut sets, |(words, out)| {
        device
            .voltage_bits_dyn(black_box(words), 1, n, REST, THRESH, black_box(out))
            .map_err(text)
    })?;
    for (set, (_, out)) in sets.iter().enumerate() {
        let corrupt = corrupt_in(corrupt, set, sets.len());
        check_voltage(device, out, corrupt, [rest, thresh], byte_spiked)?;
    }
    Ok(timing)
}

/// The fused threshold step, spikes as bytes and the voltage in f32, over
/// `steps` steps of `n` neurons in one launch (the state, the last step's
/// spikes, written when `steps` > 1).
fn fused_step<D: BenchDevice, T: Sample>(
    device: &D,
    n: usize,
    steps: usize,
    plan: TimingPlan,
    corrupt: Option<usize>,
) -> Result<Timing, String> {
    let spike = spikes_of::<T>(SpikeRule::Threshold)?;
    let total = n
        .checked_mul(steps)
        .ok_or_else(|| format!("{steps} steps of {n} neurons overflow"))?;
    let mut sets = make_sets(plan.sets, || {
        let state = if steps > 1 {
            Some(device.filled(n, |_| u8::POISON)?)
        } else {
            None
        };
        Ok(StepSet::<D> {
            x: samples::<D, T>(device, total)?,
            spikes: device.filled(total, |_| u8::POISON)?,
            out: AnyBuffer::new(device.filled(total, |_| f32::NAN)?),
            state,
        })
    })?;
    let timing = time_rotating(device, plan, &mut sets, |set| {
        let voltage = StepVoltage {
            out: &mut set.out,
            rest: REST,
            thresh: THRESH,
        };
        device
            .step_dyn(
                SpikeRule::Threshold,
                black_box(&set.x),
                black_box(&mut set.spikes),
                Some(voltage),
                set.state.as_mut(),
            )
            .map_err(text)
    })?;
    let [_, rest, thresh] = voltages::<f32>()?;
    for (index, set) in sets.iter().enumerate() {
        let corrupt = corrupt_in(corrupt, index, sets.len());
        check_values(device, &set.spikes, corrupt, |i| u8::from(spike(i)))?;
        check_voltage(device, &set.out, None, [rest, thresh], &spike)?;
        if let Some(state) = &set.state {
            let last = (total - n) as u64;
            check_values(device, state, None, |i| u8::from(spike(last + i)))?;
        }
    }
    Ok(timing)
}

/// The fused threshold step into bits (one row of `n` neurons) with the
/// voltage in f32, one step per launch and no state.
fn fused_step_bits<D: BenchDevice, T: Sample>(
    device: &D,
    n: usize,
    plan: TimingPlan,
    corrupt: Option<usize>,
) -> Result<Timing, String> {
    let spike = spikes_of::<T>(SpikeRule::Threshold)?;
    let mut sets = make_sets(plan.sets, || {
        Ok((
            samples::<D, T>(device, n)?,
            poisoned_words(device, n)?,
            AnyBuffer::new(device.filled(n, |_| f32::NAN)?),
        ))
    })?;
    let timing = time_rotating(device, plan, &mut sets, |(x, words, out)| {
        let voltage = StepVoltage {
            out,
            rest: REST,
            thresh: THRESH,
        };
        device
            .step_bits_dyn(
                SpikeRule::Threshold,
                black_box(x),
                1,
                n,
                black_box(words),
                Some(voltage),
                None,
            )
            .map_err(text)
    })?;
    let [_, rest, thresh] = voltages::<f32>()?;
    for (index, (_, words, out)) in sets.iter().enumerate() {
        let corrupt = corrupt_in(corrupt, index, sets.len());
        check_bits(device, words, n, corrupt, &spike)?;
        check_voltage(device, out, None, [rest, thresh], &spike)?;
    }
    Ok(timing)
}

/// The buffers of one call of the fused step (one buffer set).
struct StepSet<D: BenchDevice> {
    x: AnyBuffer<D>,
    spikes: D::Buffer<u8>,
    out: AnyBuffer<D>,
    state: Option<D::Buffer<u8>>,
}

/// Words for `n` neurons in one row, every bit set: a poison that the
/// padding rule (padding bits 0) and most spikes contradict.
fn poisoned_words<D: BenchDevice>(device: &D, n: usize) -> Result<D::Words, String> {
    let len = n.div_ceil(32);
    let mut words = device.alloc_words(len).map_err(text)?;
    device
        .upload_words(&vec![u32::MAX; len], &mut words)
        .map_err(text)?;
    Ok(words)
}

#[cfg(test)]
mod tests {
    use exact_neuron::Cpu;

    use super::*;

    fn case(name: &str, dtype: DType) -> Option<Case> {
        Case::all().find(|case| case.name() == name && case.dtype == dtype)
    }

    #[test]
    fn the_defaults_are_entries_of_the_table() {
        let defaults = Case::defaults();
        assert_eq!(defaults.len(), DEFAULT.len());
        for (name, dtype) in DEFAULT {
            assert!(case(name, dtype).is_some(), "no entry for {name} {dtype}");
        }
    }

    #[test]
    fn every_type_of_the_table_has_a_row() {
        for (name, dtypes) in [
            (
                "threshold",
                &[DType::F16, DType::BF16, DType::F32, DType::F64][..],
            ),
            (
                "override",
                &[
                    DType::Bool,
                    DType::U8,
                    DType::F16,
                    DType::BF16,
                    DType::F32,
                    DType::F64,
                ],
            ),
            (
                "voltage",
                &[DType::F16, DType::BF16, DType::F32, DType::F64],
            ),
            (
                "threshold_bits",
                &[DType::F16, DType::BF16, DType::F32, DType::F64],
            ),
            (
                "override_bits",
                &[
                    DType::Bool,
                    DType::U8,
                    DType::F16,
                    DType::BF16,
                    DType::F32,
                    DType::F64,
                ],
            ),
            (
                "voltage_bits",
                &[DType::F16, DType::BF16, DType::F32, DType::F64],
            ),
            (
                "fused_step",
                &[DType::F16, DType::BF16, DType::F32, DType::F64],
            ),
            (
                "multistep",
                &[DType::F16, DType::BF16, DType::F32, DType::F64],
            ),
            (
                "fused_step_bits",
                &[DType::F16, DType::BF16, DType::F32, DType::F64],
            ),
        ] {
            for &dtype in dtypes {
                assert!(case(name, dtype).is_some(), "no row {name} {dtype}");
            }
        }
    }

    #[test]
    fn traffic_per_operation() {
        let traffic = |name, dtype, n| case(name, dtype).unwrap().traffic_bytes(n);
        assert_eq!(traffic("threshold", DType::F32, 1), 5);
        assert_eq!(traffic("threshold", DType::BF16, 1), 3);
        assert_eq!(traffic("override", DType::U8, 1), 2);
        assert_eq!(traffic("voltage", DType::F16, 1), 3);
        assert_eq!(traffic("threshold_bits", DType::F32, 64), 4 * 64 + 8);
        assert_eq!(traffic("voltage_bits", DType::F32, 33), 8 + 4 * 33);
        assert_eq!(traffic("fused_step", DType::F32, 1), 9);
        assert_eq!(traffic("multistep", DType::F32, 2), 64 * 18 + 2);
        assert_eq!(traffic("fused_step_bits", DType::F32, 64), 8 * 64 + 8);
    }

    fn plan(reps: u32, sets: usize) -> TimingPlan {
        TimingPlan {
            reps,
            sets,
            graph_calls: None,
        }
    }

    #[test]
    fn the_cpu_bench_runs_and_checks_every_case() {
        for case in Case::all() {
            for n in [1000, 1031] {
                let timing = case.time(&Cpu, n, plan(3, 1)).unwrap();
                assert!(timing.median_s > 0.0 && timing.inner >= 1, "{case:?}");
            }
        }
        assert!(Cpu.time_copy(5000, plan(3, 1)).unwrap().median_s > 0.0);
        assert!(Cpu.time_copy(5000, plan(3, 4)).unwrap().median_s > 0.0);
    }

    /// Rotation, as a GPU does it for rows larger than its L2, run on the
    /// CPU: every set is written and checked.
    #[test]
    fn every_buffer_set_is_timed_and_checked() {
        for case in Case::all() {
            let timing = case.time(&Cpu, 1031, plan(2, 3)).unwrap();
            assert!(timing.median_s > 0.0, "{case:?}");
        }
    }

    #[test]
    fn a_corrupted_output_fails_the_check() {
        for case in Case::all() {
            for (at, sets) in [(0, 1), (517, 1), (999, 1), (517, 3)] {
                let err = case.run(&Cpu, 1000, plan(1, sets), Some(at)).unwrap_err();
                assert!(err.contains("sample check"), "{case:?}: {err}");
            }
        }
    }

    #[test]
    fn graphs_are_refused_on_the_cpu() {
        let case = case("threshold", DType::F32).unwrap();
        let graph = TimingPlan {
            reps: 1,
            sets: 1,
            graph_calls: Some(100),
        };
        let err = case.time(&Cpu, 1000, graph).unwrap_err();
        assert!(err.contains("CUDA graph"), "{err}");
    }
}
