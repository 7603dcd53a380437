//! Property tests of the library API on the CPU backend: any shape, batch
//! size and parameters, overflowing ones included, give `Ok` or a typed
//! `Error` and never a panic; and a call that fails changes no state.
//!
//! Each property runs against a model: the validation order of
//! `docs/SPEC.md` section 1 for construction, and a plain `Vec<bool>` of
//! spikes for a random sequence of operations on a live neuron.
//!
//! The seed is drawn afresh and printed (`EXACT_NEURON_SEED` replays it).
//! Sizes are drawn either small (so the neuron can exist) or far beyond any
//! address space (so they must be refused before anything is allocated):
//! a size in between could be allocated and zero-filled for real.

mod common;

use std::cell::Cell;

use common::skip::note;
use exact_neuron::half::{bf16, f16};
use exact_neuron::{CpuNeuron, Error, NeuronParams};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// Sizes at or above this many elements are "huge": no machine holds
/// them, and the library must refuse them as too large to address.
const HUGE: u128 = 1 << 61;
/// The largest neuron the tests build for real.
const SMALL: u128 = 1 << 16;

/// A runner with a fresh, printed seed, and no regression files written
/// into the source tree.
fn runner(label: &str, cases: u32) -> TestRunner {
    let seed = std::env::var("EXACT_NEURON_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|elapsed| elapsed.as_nanos() as u64)
                .unwrap_or(0x5EED)
                ^ u64::from(std::process::id()).rotate_left(32)
        });
    // PROPTEST_CASES, proptest's own variable, overrides the count.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(cases);
    note(&format!("{label}: EXACT_NEURON_SEED={seed}, {cases} cases"));
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_global_rejects: 1 << 16,
        ..Config::default()
    })
}

/// A dimension: zero, small, or huge (alone or multiplied, beyond any
/// address space, or overflowing `usize`).
fn dimension() -> impl Strategy<Value = usize> {
    prop_oneof![
        2 => Just(0usize),
        8 => 1usize..=6,
        1 => (1usize << 61)..=usize::MAX,
        1 => Just(usize::MAX),
        1 => Just(1usize << 32),
    ]
}

fn batch_size() -> impl Strategy<Value = usize> {
    prop_oneof![
        2 => Just(0usize),
        8 => 1usize..=4,
        1 => (1usize << 61)..=usize::MAX,
        1 => Just(1usize << 32),
    ]
}

/// A float parameter: ordinary values, IEEE specials and magnitudes that
/// overflow f32, f16 or bf16, and any bit pattern.
fn parameter() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -100.0f64..100.0,
        4 => prop::sample::select(vec![
            0.0,
            -0.0,
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            -f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            f64::from(f32::MAX),
            -f64::from(f32::MAX),
            f64::from(f32::MAX) * 1.000_000_1,
            -f64::from(f32::MAX) * 1.000_000_1,
            65504.0,
            70000.0,
            -70000.0,
            1e-40,
        ]),
        1 => any::<f64>(),
    ]
}

fn params() -> impl Strategy<Value = NeuronParams> {
    (
        prop::collection::vec(dimension(), 0..4),
        batch_size(),
        parameter(),
        parameter(),
        parameter(),
    )
        .prop_map(|(shape, batch, step, rest, thresh)| {
            NeuronParams::new(shape, step, rest, thresh).with_batch_size(batch)
        })
}

/// The element count of a shape and batch size, exact (`None`: more than
/// `u128` holds, which only happens far beyond `HUGE`).
fn exact_len(shape: &[usize], batch_size: usize) -> Option<u128> {
    shape
        .iter()
        .try_fold(batch_size as u128, |acc, &dim| acc.checked_mul(dim as u128))
}

/// What construction must give, in the documented order of checks.
#[derive(Debug)]
enum Expected {
    /// An `InvalidArgument` whose text starts so.
    Invalid(String),
    TooLarge,
    Ok(usize),
    /// A size neither small nor huge: this run does not build it.
    Unsure,
}

fn expected(params: &NeuronParams) -> Expected {
    if let Some(index) = params.shape.iter().position(|&dim| dim == 0) {
        return Expected::Invalid(format!("'shape[{index}]' of 0 must be positive"));
    }
    if params.batch_size == 0 {
        return Expected::Invalid("'batch_size' of 0 must be positive".into());
    }
    let len = exact_len(&params.shape, params.batch_size);
    if len.is_none_or(|len| len >= HUGE) {
        return Expected::TooLarge;
    }
    // Both comparisons are false for NaN, which must fail.
    let step_time_positive = params.step_time > 0.0;
    let rest_below_thresh = params.rest_v < params.thresh_v;
    if !step_time_positive {
        return Expected::Invalid("'step_time' of ".into());
    }
    if !rest_below_thresh {
        return Expected::Invalid("'rest_v' (".into());
    }
    match len {
        Some(len) if len <= SMALL => Expected::Ok(len as usize),
        _ => Expected::Unsure,
    }
}

#[test]
fn construction_gives_ok_or_the_documented_error_never_a_panic() {
    let mut runner = runner("construction", 4096);
    let seen: [Cell<usize>; 4] = Default::default();
    runner
        .run(&params(), |params| {
            let want = expected(&params);
            if matches!(want, Expected::Unsure) {
                return Err(TestCaseError::reject("a size between small and huge"));
            }
            // validate() alone and a neuron give the same answer
            let validated = params.validate();
            let built = CpuNeuron::cpu(&params);
            match (&want, &validated, &built) {
                (Expected::Ok(len), Ok(shape), Ok(neuron)) => {
                    seen[0].set(seen[0].get() + 1);
                    prop_assert_eq!(shape.len(), *len);
                    prop_assert_eq!(neuron.len(), *len);
                    prop_assert_eq!(neuron.shape(), &params.shape[..]);
                    prop_assert_eq!(neuron.batch_size(), params.batch_size);
                    prop_assert!(neuron.spikes_to_host().unwrap().iter().all(|&s| !s));
                    let _ = neuron.to_string();
                }
                (Expected::Invalid(prefix), Err(Error::InvalidArgument(a)), Err(b)) => {
                    seen[1].set(seen[1].get() + 1);
                    prop_assert!(a.starts_with(prefix.as_str()), "{a:?} for {params:?}");
                    prop_assert_eq!(a, &b.to_string());
                }
                (Expected::TooLarge, Err(Error::TooLarge { .. }), Err(Error::TooLarge { .. })) => {
                    seen[2].set(seen[2].get() + 1);
                }
                _ => {
                    return Err(TestCaseError::fail(format!(
                        "{params:?}: expected {want:?}, validate gave {validated:?}, cpu gave {:?}",
                        built.as_ref().map(|n| n.len())
                    )))
                }
            }
            seen[3].set(seen[3].get() + 1);
            Ok(())
        })
        .unwrap();
    let seen = seen.map(Cell::into_inner);
    note(&format!(
        "construction: {} accepted, {} invalid, {} too large, of {}",
        seen[0], seen[1], seen[2], seen[3]
    ));
    // the generator reaches every outcome
    assert!(seen[0] > 0 && seen[1] > 0 && seen[2] > 0, "{seen:?}");
}

/// One call on a live neuron; lengths are offsets from the neuron's length
/// (so most calls fit and some do not), values are raw bits.
#[derive(Clone, Debug)]
enum Op {
    ForwardF32(isize, Vec<u32>),
    ForwardF64(isize, Vec<u64>),
    ForwardF16(isize, Vec<u16>),
    ForwardBf16(isize, Vec<u16>),
    OverrideBool(isize, Vec<bool>),
    OverrideU8(isize, Vec<u8>),
    OverrideF32(isize, Vec<u32>),
    OverrideF64(isize, Vec<u64>),
    OverrideF16(isize, Vec<u16>),
    OverrideBf16(isize, Vec<u16>),
    LoadSpikes(isize, Vec<bool>),
    LoadSpikeBytes(isize, Vec<u8>),
    ReadSpikeBytes(isize),
    Voltage(u8),
    Refrac(u8),
    Clear,
    SetDt(f64),
    SetBatchSize(usize),
}

/// A length offset: mostly exact, sometimes off by a little or a lot.
fn offset() -> impl Strategy<Value = isize> {
    prop_oneof![6 => Just(0isize), 2 => -3isize..=3, 1 => Just(isize::MIN), 1 => Just(1 << 12)]
}

/// Values enough for any neuron of the sequence (they are cycled): any
/// bit pattern, and half of them from `special` (zeros of both signs,
/// infinities, NaN, the smallest subnormals), which random bits would
/// almost never hit.
fn bits<T: Arbitrary + Clone + std::fmt::Debug + 'static>(
    special: &'static [T],
) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(
        prop_oneof![any::<T>(), prop::sample::select(special)],
        1..64,
    )
}

const F32_SPECIAL: &[u32] = &[
    0,
    0x8000_0000,
    0x7F80_0000,
    0xFF80_0000,
    0x7FC0_0000,
    0xFFC0_0001,
    1,
    0x8000_0001,
];
const F64_SPECIAL: &[u64] = &[
    0,
    1 << 63,
    0x7FF0_0000_0000_0000,
    0xFFF0_0000_0000_0000,
    0x7FF8_0000_0000_0000,
    0xFFF0_0000_0000_0001,
    1,
    (1 << 63) | 1,
];
const F16_SPECIAL: &[u16] = &[0, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0xFC01, 1, 0x8001];
const BF16_SPECIAL: &[u16] = &[0, 0x8000, 0x7F80, 0xFF80, 0x7FC0, 0xFF81, 1, 0x8001];
const U8_SPECIAL: &[u8] = &[0, 1, 2, 0x80, 0xFF];
const BOOL_SPECIAL: &[bool] = &[false, true];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (offset(), bits(F32_SPECIAL)).prop_map(|(o, v)| Op::ForwardF32(o, v)),
        (offset(), bits(F64_SPECIAL)).prop_map(|(o, v)| Op::ForwardF64(o, v)),
        (offset(), bits(F16_SPECIAL)).prop_map(|(o, v)| Op::ForwardF16(o, v)),
        (offset(), bits(BF16_SPECIAL)).prop_map(|(o, v)| Op::ForwardBf16(o, v)),
        (offset(), bits(BOOL_SPECIAL)).prop_map(|(o, v)| Op::OverrideBool(o, v)),
        (offset(), bits(U8_SPECIAL)).prop_map(|(o, v)| Op::OverrideU8(o, v)),
        (offset(), bits(F32_SPECIAL)).prop_map(|(o, v)| Op::OverrideF32(o, v)),
        (offset(), bits(F64_SPECIAL)).prop_map(|(o, v)| Op::OverrideF64(o, v)),
        (offset(), bits(F16_SPECIAL)).prop_map(|(o, v)| Op::OverrideF16(o, v)),
        (offset(), bits(BF16_SPECIAL)).prop_map(|(o, v)| Op::OverrideBf16(o, v)),
        (offset(), bits(BOOL_SPECIAL)).prop_map(|(o, v)| Op::LoadSpikes(o, v)),
        (offset(), bits(U8_SPECIAL)).prop_map(|(o, v)| Op::LoadSpikeBytes(o, v)),
        offset().prop_map(Op::ReadSpikeBytes),
        (0u8..4).prop_map(Op::Voltage),
        (0u8..4).prop_map(Op::Refrac),
        Just(Op::Clear),
        parameter().prop_map(Op::SetDt),
        batch_size().prop_map(Op::SetBatchSize),
    ]
}

/// Everything observable about a neuron.
#[derive(Debug, PartialEq)]
struct Snapshot {
    spikes: Vec<bool>,
    shape: Vec<usize>,
    batch_size: usize,
    batched_shape: Vec<usize>,
    len: usize,
    count: usize,
    dt: u64,
    rest_v: u64,
    thresh_v: u64,
    display: String,
}

fn snapshot(neuron: &CpuNeuron) -> Snapshot {
    Snapshot {
        spikes: neuron.spikes_to_host().expect("spikes to host"),
        shape: neuron.shape().to_vec(),
        batch_size: neuron.batch_size(),
        batched_shape: neuron.batched_shape(),
        len: neuron.len(),
        count: neuron.count(),
        dt: neuron.dt().to_bits(),
        rest_v: neuron.rest_v().to_bits(),
        thresh_v: neuron.thresh_v().to_bits(),
        display: neuron.to_string(),
    }
}

/// `len + offset`, at least 0.
fn sized(len: usize, offset: isize) -> usize {
    len.saturating_add_signed(offset)
}

/// `n` values cycled from `values`.
fn cycled<T: Copy>(values: &[T], n: usize) -> Vec<T> {
    values.iter().copied().cycle().take(n).collect()
}

/// The expected voltage bits of one element, as `voltage::<T>()` of
/// `dtype` index 0..4 (f32, f64, f16, bf16) gives them, or `None` when
/// the parameter overflows the type.
fn voltage_bits(dtype: u8, value: f64) -> Option<u64> {
    let overflows = value.is_finite() && value.abs() > f64::from(f32::MAX);
    match dtype {
        1 => Some(value.to_bits()),
        _ if overflows => None,
        0 => Some(u64::from((value as f32).to_bits())),
        2 => Some(u64::from(f16::from_f32(value as f32).to_bits())),
        _ => Some(u64::from(bf16::from_f32(value as f32).to_bits())),
    }
}

fn voltage_of(neuron: &mut CpuNeuron, dtype: u8) -> Result<Vec<u64>, Error> {
    Ok(match dtype {
        0 => neuron
            .voltage::<f32>()?
            .iter()
            .map(|v| u64::from(v.to_bits()))
            .collect(),
        1 => neuron
            .voltage::<f64>()?
            .iter()
            .map(|v| v.to_bits())
            .collect(),
        2 => neuron
            .voltage::<f16>()?
            .iter()
            .map(|v| u64::from(v.to_bits()))
            .collect(),
        _ => neuron
            .voltage::<bf16>()?
            .iter()
            .map(|v| u64::from(v.to_bits()))
            .collect(),
    })
}

fn refrac_of(neuron: &mut CpuNeuron, dtype: u8) -> Result<Vec<u64>, Error> {
    Ok(match dtype {
        0 => neuron
            .refrac::<f32>()?
            .iter()
            .map(|v| u64::from(v.to_bits()))
            .collect(),
        1 => neuron
            .refrac::<f64>()?
            .iter()
            .map(|v| v.to_bits())
            .collect(),
        2 => neuron
            .refrac::<f16>()?
            .iter()
            .map(|v| u64::from(v.to_bits()))
            .collect(),
        _ => neuron
            .refrac::<bf16>()?
            .iter()
            .map(|v| u64::from(v.to_bits()))
            .collect(),
    })
}

/// Applies `op` to the neuron and to the model spikes; checks the result
/// against the model, and that a failed call changed nothing.
fn apply(neuron: &mut CpuNeuron, model: &mut Vec<bool>, op: &Op) -> Result<(), TestCaseError> {
    let before = snapshot(neuron);
    let len = neuron.len();
    // Some(new model spikes) when the call must succeed, None when it must
    // fail with a length mismatch.
    macro_rules! step {
        ($offset:expr, $values:expr, $convert:expr, $rule:expr, $call:ident) => {{
            let n = sized(len, *$offset);
            let values: Vec<_> = cycled($values, n).into_iter().map($convert).collect();
            let result = neuron.$call(&values[..]).map(|_| ());
            if n == len {
                prop_assert!(result.is_ok(), "{op:?}: {result:?}");
                *model = values.iter().map($rule).collect();
            } else {
                prop_assert!(
                    matches!(result, Err(Error::LengthMismatch { expected, actual, .. }) if expected == len && actual == n),
                    "{op:?}: {result:?}"
                );
            }
            result.is_ok()
        }};
    }
    let ok = match op {
        Op::ForwardF32(o, v) => step!(o, v, f32::from_bits, |x: &f32| *x > 0.0, forward),
        Op::ForwardF64(o, v) => step!(o, v, f64::from_bits, |x: &f64| *x > 0.0, forward),
        Op::ForwardF16(o, v) => step!(o, v, f16::from_bits, |x: &f16| x.to_f32() > 0.0, forward),
        Op::ForwardBf16(o, v) => {
            step!(o, v, bf16::from_bits, |x: &bf16| x.to_f32() > 0.0, forward)
        }
        Op::OverrideBool(o, v) => step!(o, v, |x| x, |x: &bool| *x, forward_override),
        Op::OverrideU8(o, v) => step!(o, v, |x| x, |x: &u8| *x != 0, forward_override),
        Op::OverrideF32(o, v) => {
            step!(o, v, f32::from_bits, |x: &f32| *x != 0.0, forward_override)
        }
        Op::OverrideF64(o, v) => {
            step!(o, v, f64::from_bits, |x: &f64| *x != 0.0, forward_override)
        }
        Op::OverrideF16(o, v) => step!(
            o,
            v,
            f16::from_bits,
            |x: &f16| x.to_f32() != 0.0,
            forward_override
        ),
        Op::OverrideBf16(o, v) => step!(
            o,
            v,
            bf16::from_bits,
            |x: &bf16| x.to_f32() != 0.0,
            forward_override
        ),
        Op::LoadSpikes(o, v) => step!(o, v, |x| x, |x: &bool| *x, load_spikes),
        Op::LoadSpikeBytes(o, v) => step!(o, v, |x| x, |x: &u8| *x != 0, load_spike_bytes),
        Op::ReadSpikeBytes(o) => {
            let n = sized(len, *o);
            let mut dst = vec![0xA5u8; n];
            let result = neuron.read_spike_bytes(&mut dst);
            if n == len {
                prop_assert!(result.is_ok(), "{op:?}: {result:?}");
                let want: Vec<u8> = model.iter().map(|&s| u8::from(s)).collect();
                prop_assert_eq!(dst, want);
            } else {
                prop_assert!(
                    matches!(result, Err(Error::LengthMismatch { .. })),
                    "{op:?}: {result:?}"
                );
                prop_assert!(dst.iter().all(|&b| b == 0xA5), "{op:?} wrote into dst");
            }
            result.is_ok()
        }
        Op::Voltage(dtype) => {
            let rest = voltage_bits(*dtype, neuron.rest_v());
            let thresh = voltage_bits(*dtype, neuron.thresh_v());
            let result = voltage_of(neuron, *dtype);
            match (rest, thresh, &result) {
                (Some(rest), Some(thresh), Ok(got)) => {
                    let want: Vec<u64> = model
                        .iter()
                        .map(|&s| if s { thresh } else { rest })
                        .collect();
                    prop_assert_eq!(got, &want, "{:?}", op);
                }
                (None, _, Err(Error::VoltageOverflow { name, .. })) => {
                    prop_assert_eq!(*name, "rest_v")
                }
                (Some(_), None, Err(Error::VoltageOverflow { name, .. })) => {
                    prop_assert_eq!(*name, "thresh_v")
                }
                _ => {
                    return Err(TestCaseError::fail(format!(
                        "{op:?} with rest {} thresh {}: {result:?}",
                        neuron.rest_v(),
                        neuron.thresh_v()
                    )))
                }
            }
            result.is_ok()
        }
        Op::Refrac(dtype) => {
            let got = refrac_of(neuron, *dtype);
            prop_assert!(
                matches!(&got, Ok(zeros) if zeros.len() == len && zeros.iter().all(|&z| z == 0)),
                "{op:?}: {got:?}"
            );
            true
        }
        Op::Clear => {
            prop_assert!(neuron.clear().is_ok());
            model.iter_mut().for_each(|s| *s = false);
            true
        }
        Op::SetDt(dt) => {
            let result = neuron.set_dt(*dt);
            if *dt > 0.0 {
                prop_assert!(result.is_ok(), "{op:?}: {result:?}");
                prop_assert_eq!(neuron.dt().to_bits(), dt.to_bits());
            } else {
                prop_assert!(
                    matches!(&result, Err(Error::InvalidArgument(text)) if text.starts_with("'dt' of ")),
                    "{op:?}: {result:?}"
                );
            }
            result.is_ok()
        }
        Op::SetBatchSize(batch) => {
            let new_len = exact_len(neuron.shape(), *batch);
            if new_len.is_some_and(|n| n > SMALL && n < HUGE) {
                // It could be allocated for real: not in a test.
                return Err(TestCaseError::reject("a size between small and huge"));
            }
            let result = neuron.set_batch_size(*batch);
            match new_len {
                _ if *batch == 0 => prop_assert!(
                    matches!(&result, Err(Error::InvalidArgument(text)) if text == "'batch_size' of 0 must be positive"),
                    "{op:?}: {result:?}"
                ),
                Some(n) if n <= SMALL => {
                    prop_assert!(result.is_ok(), "{op:?}: {result:?}");
                    prop_assert_eq!(neuron.len() as u128, n);
                    prop_assert_eq!(neuron.batch_size(), *batch);
                    *model = vec![false; n as usize];
                }
                _ => prop_assert!(
                    matches!(&result, Err(Error::TooLarge { .. })),
                    "{op:?}: {result:?}"
                ),
            }
            result.is_ok()
        }
    };
    let after = snapshot(neuron);
    prop_assert_eq!(&after.spikes, model, "{:?}", op);
    if !ok {
        prop_assert_eq!(&after, &before, "a failed {:?} changed the state", op);
    }
    Ok(())
}

#[test]
fn any_sequence_of_calls_follows_the_model_and_failures_change_nothing() {
    let mut runner = runner("sequences", 2048);
    let small_params = (
        prop::collection::vec(1usize..=5, 0..4),
        1usize..=4,
        parameter(),
        parameter(),
    )
        .prop_filter_map("valid parameters", |(shape, batch, rest, thresh)| {
            let params = NeuronParams::new(shape, 1.0, rest, thresh).with_batch_size(batch);
            params.validate().is_ok().then_some(params)
        });
    let calls = Cell::new(0usize);
    runner
        .run(
            &(small_params, prop::collection::vec(op(), 1..24)),
            |(params, ops)| {
                let mut neuron = CpuNeuron::cpu(&params).expect("valid parameters");
                let mut model = vec![false; neuron.len()];
                for op in &ops {
                    apply(&mut neuron, &mut model, op)?;
                    calls.set(calls.get() + 1);
                }
                Ok(())
            },
        )
        .unwrap();
    note(&format!(
        "sequences: {} calls checked against the model",
        calls.get()
    ));
}

/// The voltage view of a type whose parameter overflows leaves the cached
/// views of other types as they were.
#[test]
fn an_overflowing_voltage_keeps_the_other_views() {
    let params = NeuronParams::new([3], 1.0, -60.0, 1e300).with_batch_size(2);
    let mut neuron = CpuNeuron::cpu(&params).unwrap();
    neuron
        .forward::<f32>(&[1.0, -1.0, 0.0, 2.0, f32::NAN, 3.0])
        .unwrap();
    let f64_before = neuron.voltage::<f64>().unwrap().clone();
    assert!(matches!(
        neuron.voltage::<f32>(),
        Err(Error::VoltageOverflow {
            name: "thresh_v",
            ..
        })
    ));
    assert_eq!(neuron.voltage::<f64>().unwrap(), &f64_before);
    assert_eq!(
        neuron.spikes_to_host().unwrap(),
        [true, false, false, true, false, true]
    );
}
