//! The neuron's bit, fused and multi-step API against a naive reference
//! written here, on the CPU and on the PTX interpreter (which launches the
//! table's entries through the same plans as CUDA): random data with
//! special values, shapes around word boundaries, several batch sizes and
//! step counts; bad lengths change nothing; and every golden case gives
//! the same bits through `forward_bits`, the fused step and the multi-step
//! launch, in both spike formats.

use exact_neuron::half::{bf16, f16};
use exact_neuron::launch::GridLimits;
use exact_neuron::{
    Cpu, DType, ExactNeuron, HostSlice, HostValues, KernelDevice, NeuronParams, SpikeFormat,
    SpikeRule, SpikeTrace,
};
use exact_neuron_support::golden::{load_cases, Case, Mode};
use exact_neuron_support::ptx::device::{Layout, PtxDevice};
use exact_neuron_support::random::{RandomValue, Rng};
use exact_neuron_support::skip::note;

const REST: f64 = -60.0;
const THRESH: f64 = -50.0;

/// Words of `rows` rows of `count` spikes, GeNN's layout, naively.
fn pack(rows: usize, count: usize, spikes: &[bool]) -> Vec<u32> {
    let per_row = count.div_ceil(32);
    let mut words = vec![0u32; rows * per_row];
    for r in 0..rows {
        for c in 0..count {
            if spikes[r * count + c] {
                words[r * per_row + c / 32] |= 1 << (c % 32);
            }
        }
    }
    words
}

/// The spikes of `words`, naively; padding bits must be 0.
fn unpack(rows: usize, count: usize, words: &[u32]) -> Vec<bool> {
    let per_row = count.div_ceil(32);
    assert_eq!(words.len(), rows * per_row);
    for r in 0..rows {
        if count % 32 != 0 {
            let last = words[r * per_row + per_row - 1];
            assert_eq!(last >> (count % 32), 0, "padding bits of row {r}");
        }
    }
    (0..rows * count)
        .map(|i| words[(i / count) * per_row + (i % count) / 32] >> (i % count % 32) & 1 == 1)
        .collect()
}

/// The voltage as stored bits (bf16 widened to f32), as the golden files
/// hold it.
fn stored(values: &HostValues) -> Vec<u64> {
    match values {
        HostValues::F32(v) => v.iter().map(|x| u64::from(x.to_bits())).collect(),
        HostValues::F64(v) => v.iter().map(|x| x.to_bits()).collect(),
        HostValues::F16(v) => v.iter().map(|x| u64::from(x.to_bits())).collect(),
        HostValues::BF16(v) => v
            .iter()
            .map(|x| u64::from(f32::from(*x).to_bits()))
            .collect(),
        other => panic!("not a voltage: {:?}", other.dtype()),
    }
}

/// The expected voltage bits of `spikes` in `dtype`.
fn voltage_of(spikes: &[bool], dtype: DType) -> Vec<u64> {
    let (rest, thresh) = match dtype {
        DType::F64 => (REST.to_bits(), THRESH.to_bits()),
        DType::F32 | DType::BF16 => (
            u64::from((REST as f32).to_bits()),
            u64::from((THRESH as f32).to_bits()),
        ),
        DType::F16 => (
            u64::from(f16::from_f64(REST).to_bits()),
            u64::from(f16::from_f64(THRESH).to_bits()),
        ),
        other => panic!("{other}"),
    };
    spikes
        .iter()
        .map(|&s| if s { thresh } else { rest })
        .collect()
}

/// Random inputs of `dtype` and the spikes the rule gives them.
fn draw(rng: &mut Rng, rule: SpikeRule, dtype: DType, len: usize) -> (HostValues, Vec<bool>) {
    fn go<T: RandomValue + exact_neuron::Element>(
        rng: &mut Rng,
        len: usize,
        spike: impl Fn(T) -> bool,
    ) -> (HostValues, Vec<bool>) {
        let values: Vec<T> = rng.values(len);
        let spikes = values.iter().map(|&v| spike(v)).collect();
        (HostValues::new(values), spikes)
    }
    let threshold = rule == SpikeRule::Threshold;
    match dtype {
        DType::F32 => go::<f32>(rng, len, |x| if threshold { x > 0.0 } else { x != 0.0 }),
        DType::F64 => go::<f64>(rng, len, |x| if threshold { x > 0.0 } else { x != 0.0 }),
        DType::F16 => go::<f16>(rng, len, |x| {
            if threshold {
                x.to_f32() > 0.0
            } else {
                x.to_f32() != 0.0
            }
        }),
        DType::BF16 => go::<bf16>(rng, len, |x| {
            if threshold {
                x.to_f32() > 0.0
            } else {
                x.to_f32() != 0.0
            }
        }),
        DType::U8 => go::<u8>(rng, len, |x| x != 0),
        DType::Bool => {
            let values: Vec<bool> = (0..len).map(|_| rng.below(2) == 1).collect();
            (HostValues::new(values.clone()), values)
        }
    }
}

fn params(count: usize, batch: usize) -> NeuronParams {
    NeuronParams::new([count], 1.0, REST, THRESH).with_batch_size(batch)
}

/// Every new call of the neuron on one device against the reference, for
/// a shape, a rule, an input type and a voltage type.
fn check_api<D: KernelDevice>(
    make: &dyn Fn(&NeuronParams) -> ExactNeuron<D>,
    rng: &mut Rng,
    (count, batch, steps): (usize, usize, usize),
    rule: SpikeRule,
    dtype: DType,
    vtype: DType,
) where
    for<'a> HostSlice<'a>: exact_neuron::DynInput<D>,
{
    let what = format!("count {count} batch {batch} steps {steps} {rule:?} {dtype} {vtype}");
    let n = count * batch;
    let mut neuron = make(&params(count, batch));

    // one step into bits
    let (values, spikes) = draw(rng, rule, dtype, n);
    let words = neuron
        .forward_bits_dyn(rule, &values.as_slice())
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(words, pack(batch, count, &spikes), "{what}: forward_bits");
    assert_eq!(
        neuron.spikes_to_host().unwrap(),
        spikes,
        "{what}: byte state"
    );
    assert_eq!(neuron.spike_bits_to_host().unwrap(), words, "{what}");
    assert_eq!(
        stored(&neuron.voltage_dyn(vtype).unwrap()),
        voltage_of(&spikes, vtype),
        "{what}: voltage after bits"
    );

    // the fused step leaves the view fresh
    let (values, spikes) = draw(rng, rule, dtype, n);
    neuron
        .forward_with_voltage_dyn(rule, &values.as_slice(), vtype)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(neuron.spikes_to_host().unwrap(), spikes, "{what}: fused");
    assert_eq!(
        stored(&neuron.voltage_dyn(vtype).unwrap()),
        voltage_of(&spikes, vtype),
        "{what}: fused voltage"
    );
    assert_eq!(
        neuron.spike_bits_to_host().unwrap(),
        pack(batch, count, &spikes)
    );

    // many steps, both formats, with and without the voltage
    for (format, voltage) in [
        (SpikeFormat::Bytes, Some(vtype)),
        (SpikeFormat::Bits, Some(vtype)),
        (SpikeFormat::Bytes, None),
        (SpikeFormat::Bits, None),
    ] {
        let before = neuron.spikes_to_host().unwrap();
        let (values, spikes) = draw(rng, rule, dtype, steps * n);
        let trace = neuron
            .forward_steps_dyn(rule, &values.as_slice(), format, voltage)
            .unwrap_or_else(|e| panic!("{what} {format:?}: {e}"));
        assert_eq!(trace.steps, steps);
        match trace.spikes {
            SpikeTrace::Bytes(bytes) => {
                assert_eq!(bytes.len(), steps * n);
                let got: Vec<bool> = bytes.iter().map(|&b| b == 1).collect();
                assert!(bytes.iter().all(|&b| b <= 1));
                assert_eq!(got, spikes, "{what}: byte trace");
            }
            SpikeTrace::Bits(words) => {
                assert_eq!(
                    unpack(steps * batch, count, &words),
                    spikes,
                    "{what}: bit trace"
                );
            }
        }
        match voltage {
            Some(vtype) => assert_eq!(
                stored(&trace.voltage.expect("a voltage trace")),
                voltage_of(&spikes, vtype),
                "{what}: voltage trace"
            ),
            None => assert!(trace.voltage.is_none()),
        }
        let last = if steps == 0 {
            before
        } else {
            spikes[(steps - 1) * n..].to_vec()
        };
        assert_eq!(neuron.spikes_to_host().unwrap(), last, "{what}: state");
        assert_eq!(
            neuron.spike_bits_to_host().unwrap(),
            pack(batch, count, &last),
            "{what}: bit state"
        );
        assert_eq!(
            stored(&neuron.voltage_dyn(vtype).unwrap()),
            voltage_of(&last, vtype),
            "{what}: voltage of the state"
        );
    }

    // loading bits: padding ignored, the views follow
    let (_, spikes) = draw(rng, SpikeRule::Override, DType::Bool, n);
    let mut words = pack(batch, count, &spikes);
    if count % 32 != 0 {
        for word in words
            .iter_mut()
            .skip(count.div_ceil(32) - 1)
            .step_by(count.div_ceil(32))
        {
            *word |= !0u32 << (count % 32);
        }
    }
    neuron.load_spike_bits(&words).unwrap();
    assert_eq!(neuron.spikes_to_host().unwrap(), spikes, "{what}: loaded");
    assert_eq!(
        neuron.spike_bits_to_host().unwrap(),
        pack(batch, count, &spikes)
    );
    assert_eq!(
        stored(&neuron.voltage_dyn(vtype).unwrap()),
        voltage_of(&spikes, vtype)
    );
}

const SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (31, 2, 3),
    (32, 1, 2),
    (33, 3, 4),
    (64, 2, 0),
    (100, 2, 5),
    // the packing entries' tiles of 8 words: crossing rows at partial
    // words, and whole tiles in a row with words left for the one-word loop
    (257, 3, 1),
    (96, 11, 1),
    (1000, 2, 1),
    // the unpacking entries' 16-byte chunks (E divides 48 for every
    // type), running across rows of one and a half words
    (48, 5, 2),
];

fn sweep<D: KernelDevice>(label: &str, make: &dyn Fn(&NeuronParams) -> ExactNeuron<D>)
where
    for<'a> HostSlice<'a>: exact_neuron::DynInput<D>,
{
    let mut rng = Rng::fresh(label);
    let threshold = [DType::F32, DType::F64, DType::F16, DType::BF16];
    let overrides = [
        DType::Bool,
        DType::U8,
        DType::F32,
        DType::F64,
        DType::F16,
        DType::BF16,
    ];
    let voltages = [DType::F32, DType::F64, DType::F16, DType::BF16];
    for &shape in SHAPES {
        for (rule, dtypes) in [
            (SpikeRule::Threshold, &threshold[..]),
            (SpikeRule::Override, &overrides[..]),
        ] {
            for &dtype in dtypes {
                let vtype = rng.pick(&voltages);
                check_api(make, &mut rng, shape, rule, dtype, vtype);
            }
        }
    }
}

#[test]
fn the_cpu_matches_the_reference() {
    sweep("cpu bits and steps", &|p| ExactNeuron::cpu(p).unwrap());
}

#[test]
fn the_interpreted_kernels_match_the_reference() {
    sweep("interpreter bits and steps", &|p| {
        ExactNeuron::with_device(PtxDevice::new(), p).unwrap()
    });
}

/// Odd element offsets inside guarded allocations (inputs, spike bytes and
/// voltages off their alignment), and grids from one warp to a few blocks,
/// so that every loop strides and no access may stray into the guards.
#[test]
fn the_interpreted_kernels_match_at_odd_offsets_and_on_small_grids() {
    let odd = Layout {
        guard: 64,
        input_offset: 1,
        byte_offset: 3,
        value_offset: 1,
    };
    for (block, blocks) in [(32, 1), (64, 3), (96, 2), (128, 1), (64, 40)] {
        let limits = GridLimits::new(block, blocks).expect("valid limits");
        sweep(&format!("interpreter {block}x{blocks} odd offsets"), &|p| {
            let device = PtxDevice::new().with_grid_limits(limits).with_layout(odd);
            ExactNeuron::with_device(device, p).unwrap()
        });
    }
}

#[test]
fn bad_lengths_and_types_change_nothing() {
    let mut neuron = ExactNeuron::cpu(&params(33, 2)).unwrap();
    let ones = vec![1.0f32; 66];
    neuron.forward::<f32>(&ones).unwrap();
    let state = neuron.spikes_to_host().unwrap();
    let short = vec![0.0f32; 65];
    let rule = SpikeRule::Threshold;
    assert!(neuron
        .forward_bits_dyn(rule, &HostSlice::new(&short[..]))
        .is_err());
    assert!(neuron
        .forward_with_voltage_dyn(rule, &HostSlice::new(&short[..]), DType::F32)
        .is_err());
    let err = neuron
        .forward_steps_dyn(rule, &HostSlice::new(&short[..]), SpikeFormat::Bits, None)
        .unwrap_err();
    assert!(err.to_string().contains("multiple"), "{err}");
    let bytes = [0u8; 66];
    let err = neuron
        .forward_bits_dyn(rule, &HostSlice::new(&bytes[..]))
        .unwrap_err();
    assert_eq!(err.to_string(), "no threshold kernel for u8");
    let zeros = vec![0.0f32; 66];
    assert!(neuron
        .forward_with_voltage_dyn(rule, &HostSlice::new(&zeros[..]), DType::U8)
        .is_err());
    assert!(neuron.load_spike_bits(&[0; 3]).is_err());
    let mut trace = vec![0u8; 131];
    assert!(neuron
        .forward_steps::<f32, f32>(&[0.0; 132], &mut trace, None)
        .is_err());
    let mut words = vec![0u32; 7];
    assert!(neuron
        .forward_steps_bits::<f32, f32>(&[0.0; 132], &mut words, None)
        .is_err());
    assert_eq!(neuron.spikes_to_host().unwrap(), state);
    // a voltage parameter that overflows f16 is refused before any launch
    let mut wide = ExactNeuron::cpu(&NeuronParams::new([4], 1.0, -1e6, 1e6)).unwrap();
    assert!(wide
        .forward_with_voltage::<f32, f16>(&[1.0; 4])
        .is_ok_and(|(_, v)| v.iter().all(|x| x.is_infinite())));
    let mut huge = ExactNeuron::cpu(&NeuronParams::new([4], 1.0, -1e300, 1e300)).unwrap();
    assert!(huge.forward_with_voltage::<f32, f32>(&[1.0; 4]).is_err());
    assert_eq!(huge.spikes_to_host().unwrap(), vec![false; 4]);
}

#[test]
fn typed_calls_give_the_device_buffers() {
    let mut neuron = ExactNeuron::cpu(&params(40, 2)).unwrap();
    let inputs: Vec<f32> = (0..80)
        .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
        .collect();
    let spikes: Vec<bool> = inputs.iter().map(|&x| x > 0.0).collect();
    let words = neuron.forward_bits::<f32>(&inputs).unwrap().clone();
    assert_eq!(words, pack(2, 40, &spikes));
    let (bytes, volt) = neuron.forward_with_voltage::<f32, f64>(&inputs).unwrap();
    assert_eq!(bytes.iter().map(|&b| b == 1).collect::<Vec<_>>(), spikes);
    assert_eq!(volt[0], THRESH);
    assert_eq!(volt[1], REST);
    let steps: Vec<f32> = inputs.iter().chain(&inputs).map(|x| -x).collect();
    let mut trace = vec![0xAAu8; 160];
    let mut voltage = vec![0.0f32; 160];
    assert_eq!(
        neuron
            .forward_override_steps::<f32, f32>(&steps, &mut trace, Some(&mut voltage))
            .unwrap(),
        2
    );
    assert!(trace.iter().all(|&b| b == 1), "every input is nonzero");
    let mut words = vec![!0u32; 4 * 2];
    neuron
        .forward_steps_bits::<f32, f32>(&steps, &mut words, None)
        .unwrap();
    let negated: Vec<bool> = spikes.iter().map(|s| !s).collect();
    assert_eq!(&words[4..], &pack(2, 40, &negated)[..]);
}

/// One golden case through the new paths on a device: `forward_bits`
/// then the byte state; the fused step; one launch of all steps, bytes
/// and bits.
fn replay_new_paths<D: KernelDevice>(
    case: &Case,
    make: &dyn Fn(&NeuronParams) -> ExactNeuron<D>,
) -> Result<(), String>
where
    for<'a> HostSlice<'a>: exact_neuron::DynInput<D>,
{
    let rule = match case.mode {
        Mode::Threshold => SpikeRule::Threshold,
        Mode::Override => SpikeRule::Override,
    };
    let all: HostSlice<'_> = case.values.as_slice();
    let n = case.len();
    let step = |t: usize| -> HostSlice<'_> { case.step(t) };
    let name = &case.name;
    let mut bits = make(&case.params);
    let mut fused = make(&case.params);
    let (batch, count) = (bits.batch_size(), bits.count());
    for t in 0..case.steps {
        let expected = &case.spikes[t * n..(t + 1) * n];
        let volts = &case.voltage_bits[t * n..(t + 1) * n];
        let words = bits
            .forward_bits_dyn(rule, &step(t))
            .map_err(|e| format!("{name} {t}: {e}"))?;
        if unpack(batch, count, &words) != expected || bits.spikes_to_host().unwrap() != expected {
            return Err(format!("{name} step {t}: forward_bits differs"));
        }
        if stored(&bits.voltage_dyn(case.voltage_dtype).unwrap()) != volts {
            return Err(format!(
                "{name} step {t}: voltage after forward_bits differs"
            ));
        }
        fused
            .forward_with_voltage_dyn(rule, &step(t), case.voltage_dtype)
            .map_err(|e| format!("{name} {t}: {e}"))?;
        if fused.spikes_to_host().unwrap() != expected
            || stored(&fused.voltage_dyn(case.voltage_dtype).unwrap()) != volts
        {
            return Err(format!("{name} step {t}: the fused step differs"));
        }
    }
    for format in [SpikeFormat::Bytes, SpikeFormat::Bits] {
        let mut neuron = make(&case.params);
        let trace = neuron
            .forward_steps_dyn(rule, &all, format, Some(case.voltage_dtype))
            .map_err(|e| format!("{name} {format:?}: {e}"))?;
        let spikes: Vec<bool> = match trace.spikes {
            SpikeTrace::Bytes(b) => b.iter().map(|&b| b == 1).collect(),
            SpikeTrace::Bits(w) => unpack(case.steps * batch, count, &w),
        };
        if spikes != case.spikes {
            return Err(format!(
                "{name}: the {format:?} trace of one launch differs"
            ));
        }
        if stored(&trace.voltage.unwrap()) != case.voltage_bits {
            return Err(format!("{name}: the voltage trace of one launch differs"));
        }
        if case.steps > 0 && neuron.spikes_to_host().unwrap() != case.spikes[(case.steps - 1) * n..]
        {
            return Err(format!(
                "{name}: the state after one launch is not the last step's"
            ));
        }
    }
    Ok(())
}

#[test]
fn every_golden_case_gives_the_same_bits_through_the_new_paths() {
    let cases = load_cases();
    assert!(!cases.is_empty(), "no golden cases");
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = replay_new_paths(case, &|p| ExactNeuron::cpu(p).unwrap()) {
            failures.push(format!("cpu: {e}"));
        }
        if let Err(e) = replay_new_paths(case, &|p| {
            ExactNeuron::with_device(PtxDevice::new(), p).unwrap()
        }) {
            failures.push(format!("interpreter: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    note(&format!(
        "{} golden cases through forward_bits, the fused step and one launch, on the CPU and the interpreter",
        cases.len()
    ));
}

#[test]
fn cpu_is_a_device_of_words() {
    let mut words = Cpu.alloc_words(3).unwrap();
    Cpu.upload_words(&[1, 2, 3], &mut words).unwrap();
    assert!(Cpu.upload_words(&[1, 2], &mut words).is_err());
    let mut back = [0u32; 3];
    Cpu.download_words(&words, &mut back).unwrap();
    assert_eq!(back, [1, 2, 3]);
}
