//! Every row of SPEC section 1 on the CPU backend: validation texts and
//! order, properties, forward, override, the lazy derived views, clear,
//! batch size and state. Each operation is checked against a naive
//! reference (plain float comparisons) on an edge-case table and on fresh
//! random data rich in special values.

use std::cell::Cell;

use exact_neuron::device::StepVoltage;
use exact_neuron::half::{bf16, f16};
use exact_neuron::{
    Cpu, CpuNeuron, Element, Error, ExactNeuron, KernelDevice, NeuronParams, OverrideValue,
    ThresholdInput, VoltageElement,
};
use exact_neuron_support::random::{RandomValue, Rng};

fn params() -> NeuronParams {
    NeuronParams::new([2, 3], 1.0, -60.0, -50.0).with_batch_size(2)
}

fn neuron() -> CpuNeuron {
    CpuNeuron::cpu(&params()).expect("valid parameters")
}

fn invalid(params: NeuronParams) -> String {
    match CpuNeuron::cpu(&params) {
        Err(Error::InvalidArgument(text)) => text,
        Err(other) => panic!("expected an invalid argument, got {other:?}"),
        Ok(_) => panic!("{params:?} was accepted"),
    }
}

// ---------------------------------------------------------------- validation

#[test]
fn construction_checks_in_inferno_order_with_its_texts() {
    let p = |shape: &[usize], batch, step, rest, thresh| {
        NeuronParams::new(shape.to_vec(), step, rest, thresh).with_batch_size(batch)
    };
    let nan = f64::NAN;
    let table: &[(NeuronParams, &str)] = &[
        (
            p(&[3, 0], 2, 1.0, -60.0, -50.0),
            "'shape[1]' of 0 must be positive",
        ),
        (
            p(&[0], 2, 1.0, -60.0, -50.0),
            "'shape[0]' of 0 must be positive",
        ),
        (
            p(&[2, 3, 0, 0], 2, 1.0, -60.0, -50.0),
            "'shape[2]' of 0 must be positive",
        ),
        (
            p(&[3, 4], 0, 1.0, -60.0, -50.0),
            "'batch_size' of 0 must be positive",
        ),
        (
            p(&[3, 4], 2, 0.0, -60.0, -50.0),
            "'step_time' of 0.0 must be positive",
        ),
        (
            p(&[3, 4], 2, -0.0, -60.0, -50.0),
            "'step_time' of -0.0 must be positive",
        ),
        (
            p(&[3, 4], 2, -1.0, -60.0, -50.0),
            "'step_time' of -1.0 must be positive",
        ),
        (
            p(&[3, 4], 2, nan, -60.0, -50.0),
            "'step_time' of nan must be positive",
        ),
        (
            p(&[3, 4], 2, f64::NEG_INFINITY, -60.0, -50.0),
            "'step_time' of -inf must be positive",
        ),
        (
            p(&[3, 4], 2, 1.0, -50.0, -50.0),
            "'rest_v' (-50.0) must be less than 'thresh_v' (-50.0)",
        ),
        (
            p(&[3, 4], 2, 1.0, -40.0, -50.0),
            "'rest_v' (-40.0) must be less than 'thresh_v' (-50.0)",
        ),
        (
            p(&[3, 4], 2, 1.0, nan, -50.0),
            "'rest_v' (nan) must be less than 'thresh_v' (-50.0)",
        ),
        (
            p(&[3, 4], 2, 1.0, -60.0, nan),
            "'rest_v' (-60.0) must be less than 'thresh_v' (nan)",
        ),
        (
            p(&[3, 4], 2, 1.0, 0.0, -0.0),
            "'rest_v' (0.0) must be less than 'thresh_v' (-0.0)",
        ),
        (
            p(&[3, 4], 2, 1.0, -0.0, 0.0),
            "'rest_v' (-0.0) must be less than 'thresh_v' (0.0)",
        ),
        (
            p(&[3, 4], 2, 1.0, f64::INFINITY, f64::INFINITY),
            "'rest_v' (inf) must be less than 'thresh_v' (inf)",
        ),
        (
            p(&[3, 4], 2, 1.0, 1e-5, 1e-40),
            "'rest_v' (1e-05) must be less than 'thresh_v' (1e-40)",
        ),
        // the first failing check wins
        (
            p(&[3, 0], 0, 0.0, 1.0, 0.0),
            "'shape[1]' of 0 must be positive",
        ),
        (
            p(&[3, 4], 0, 0.0, 1.0, 0.0),
            "'batch_size' of 0 must be positive",
        ),
        (
            p(&[3, 4], 2, 0.0, 1.0, 0.0),
            "'step_time' of 0.0 must be positive",
        ),
    ];
    for (params, text) in table {
        assert_eq!(invalid(params.clone()), *text, "{params:?}");
    }
}

#[test]
fn infinities_are_accepted_where_inferno_accepts_them() {
    for (step, rest, thresh) in [
        (f64::INFINITY, -60.0, -50.0),
        (1.0, f64::NEG_INFINITY, -50.0),
        (1.0, -60.0, f64::INFINITY),
        (1.0, f64::NEG_INFINITY, f64::INFINITY),
        (5e-324, -5e-324, 5e-324),
    ] {
        let params = NeuronParams::new([1], step, rest, thresh);
        assert!(CpuNeuron::cpu(&params).is_ok(), "{params:?}");
    }
}

#[test]
fn shapes_too_large_to_address_are_errors() {
    let params = NeuronParams::new([usize::MAX / 2, 3], 1.0, -60.0, -50.0);
    assert!(matches!(
        CpuNeuron::cpu(&params),
        Err(Error::TooLarge { .. })
    ));
    let mut neuron = neuron();
    assert!(matches!(
        neuron.set_batch_size(usize::MAX),
        Err(Error::TooLarge { .. })
    ));
    assert_eq!(neuron.batch_size(), 2);
}

// ---------------------------------------------------------------- properties

#[test]
fn properties_and_display() {
    let neuron = neuron();
    assert_eq!(neuron.shape(), &[2, 3]);
    assert_eq!(neuron.count(), 6);
    assert_eq!(neuron.batch_size(), 2);
    assert_eq!(neuron.batched_shape(), vec![2, 2, 3]);
    assert_eq!(neuron.len(), 12);
    assert!(!neuron.is_empty());
    assert_eq!(neuron.dt(), 1.0);
    assert_eq!(neuron.rest_v(), -60.0);
    assert_eq!(neuron.thresh_v(), -50.0);
    assert_eq!(
        neuron.to_string(),
        "ExactNeuron(shape=(2, 3), batchsz=2, dt=1.0)"
    );

    let zero_d =
        CpuNeuron::cpu(&NeuronParams::new([], 0.1, -60.0, -50.0).with_batch_size(8)).unwrap();
    assert_eq!((zero_d.count(), zero_d.len()), (1, 8));
    assert_eq!(zero_d.batched_shape(), vec![8]);
    assert_eq!(
        zero_d.to_string(),
        "ExactNeuron(shape=(), batchsz=8, dt=0.1)"
    );

    let one_d = CpuNeuron::cpu(&NeuronParams::new([5], 1e-5, -60.0, -50.0)).unwrap();
    assert_eq!(
        one_d.to_string(),
        "ExactNeuron(shape=(5,), batchsz=1, dt=1e-05)"
    );
}

#[test]
fn set_dt_validates_and_a_rejected_value_changes_nothing() {
    let mut neuron = neuron();
    neuron.set_dt(0.25).unwrap();
    assert_eq!(neuron.dt(), 0.25);
    neuron.set_dt(f64::INFINITY).unwrap();
    assert_eq!(neuron.dt(), f64::INFINITY);
    neuron.set_dt(0.5).unwrap();
    for (bad, text) in [
        (0.0, "'dt' of 0.0 must be positive"),
        (-2.5, "'dt' of -2.5 must be positive"),
        (f64::NAN, "'dt' of nan must be positive"),
        (f64::NEG_INFINITY, "'dt' of -inf must be positive"),
    ] {
        let err = neuron.set_dt(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)));
        assert_eq!(err.to_string(), text);
        assert_eq!(neuron.dt(), 0.5);
    }
}

// ---------------------------------------------------------------- forward

/// The naive reference: IEEE comparison after an exact widening.
trait Naive: Copy {
    fn positive(self) -> bool;
    fn nonzero(self) -> bool;
}
impl Naive for f32 {
    fn positive(self) -> bool {
        self > 0.0
    }
    fn nonzero(self) -> bool {
        self != 0.0
    }
}
impl Naive for f64 {
    fn positive(self) -> bool {
        self > 0.0
    }
    fn nonzero(self) -> bool {
        self != 0.0
    }
}
impl Naive for f16 {
    fn positive(self) -> bool {
        self.to_f64() > 0.0
    }
    fn nonzero(self) -> bool {
        self.to_f64() != 0.0
    }
}
impl Naive for bf16 {
    fn positive(self) -> bool {
        self.to_f64() > 0.0
    }
    fn nonzero(self) -> bool {
        self.to_f64() != 0.0
    }
}
impl Naive for u8 {
    fn positive(self) -> bool {
        unreachable!("u8 is not a threshold input")
    }
    fn nonzero(self) -> bool {
        self != 0
    }
}
impl Naive for bool {
    fn positive(self) -> bool {
        unreachable!("bool is not a threshold input")
    }
    fn nonzero(self) -> bool {
        self
    }
}

fn neuron_of_len(len: usize) -> CpuNeuron {
    CpuNeuron::cpu(&NeuronParams::new([len], 1.0, -60.0, -50.0)).unwrap()
}

/// Loads a random spike state first, so that an element forward fails to
/// write would keep a wrong value and show.
fn poisoned(neuron: &mut CpuNeuron, rng: &mut Rng) {
    let state: Vec<bool> = rng.values(neuron.len());
    neuron.load_spikes(&state).unwrap();
}

fn check_threshold<T: ThresholdInput + Naive + RandomValue>(rng: &mut Rng) {
    // the edge table: every special value, in every position of a vector lane
    let specials = T::SPECIALS;
    let mut neuron = neuron_of_len(specials.len());
    poisoned(&mut neuron, rng);
    let spikes = neuron.forward::<T>(specials).unwrap().clone();
    for (value, spike) in specials.iter().zip(&spikes) {
        assert_eq!(*spike, u8::from(value.positive()), "{} {value:?}", T::DTYPE);
    }
    // random property, several lengths
    for len in [1, 7, 31, 32, 33, 1000, 4099] {
        let mut neuron = neuron_of_len(len);
        for _ in 0..3 {
            poisoned(&mut neuron, rng);
            let inputs: Vec<T> = rng.values(len);
            let spikes = neuron.forward::<T>(&inputs).unwrap();
            for (i, (value, spike)) in inputs.iter().zip(spikes).enumerate() {
                assert_eq!(
                    *spike,
                    u8::from(value.positive()),
                    "{} [{i}] {value:?}",
                    T::DTYPE
                );
            }
        }
    }
}

#[test]
fn threshold_is_ieee_greater_than_zero_for_every_input_type() {
    let mut rng = Rng::fresh("threshold");
    check_threshold::<f32>(&mut rng);
    check_threshold::<f64>(&mut rng);
    check_threshold::<f16>(&mut rng);
    check_threshold::<bf16>(&mut rng);
}

#[test]
fn threshold_edge_values_named_in_the_spec() {
    let mut neuron = neuron_of_len(8);
    let inputs = [
        f32::NAN,
        0.0,
        -0.0,
        f32::NEG_INFINITY,
        f32::INFINITY,
        f32::from_bits(1),
        -f32::from_bits(1),
        f32::from_bits(0xFFC0_0001),
    ];
    assert_eq!(
        neuron.forward::<f32>(&inputs).unwrap(),
        &[0, 0, 0, 0, 1, 1, 0, 0]
    );
    let halves = [
        f16::NAN,
        f16::ZERO,
        f16::NEG_ZERO,
        f16::NEG_INFINITY,
        f16::INFINITY,
        f16::from_bits(1),
        f16::from_bits(0x8001),
        f16::MAX,
    ];
    assert_eq!(
        neuron.forward::<f16>(&halves).unwrap(),
        &[0, 0, 0, 0, 1, 1, 0, 1]
    );
    let brains = halves.map(|h| bf16::from_f32(h.to_f32()));
    assert_eq!(
        neuron.forward::<bf16>(&brains).unwrap(),
        &[0, 0, 0, 0, 1, 1, 0, 1]
    );
}

fn check_override<T: OverrideValue + Naive + RandomValue>(rng: &mut Rng) {
    let specials = T::SPECIALS;
    let mut neuron = neuron_of_len(specials.len());
    poisoned(&mut neuron, rng);
    let spikes = neuron.forward_override::<T>(specials).unwrap().clone();
    for (value, spike) in specials.iter().zip(&spikes) {
        assert_eq!(*spike, u8::from(value.nonzero()), "{} {value:?}", T::DTYPE);
    }
    for len in [1, 15, 16, 17, 1000, 4099] {
        let mut neuron = neuron_of_len(len);
        poisoned(&mut neuron, rng);
        let values: Vec<T> = rng.values(len);
        let spikes = neuron.forward_override::<T>(&values).unwrap();
        for (i, (value, spike)) in values.iter().zip(spikes).enumerate() {
            assert_eq!(
                *spike,
                u8::from(value.nonzero()),
                "{} [{i}] {value:?}",
                T::DTYPE
            );
        }
    }
}

#[test]
fn override_is_not_equal_to_zero_for_every_value_type() {
    let mut rng = Rng::fresh("override");
    check_override::<bool>(&mut rng);
    check_override::<u8>(&mut rng);
    check_override::<f32>(&mut rng);
    check_override::<f64>(&mut rng);
    check_override::<f16>(&mut rng);
    check_override::<bf16>(&mut rng);
}

#[test]
fn override_edge_values_named_in_the_spec() {
    let mut neuron = neuron_of_len(4);
    assert_eq!(
        neuron
            .forward_override::<f32>(&[f32::NAN, -0.0, 0.0, 1e-45])
            .unwrap(),
        &[1, 0, 0, 1]
    );
    assert_eq!(
        neuron.forward_override::<u8>(&[255, 0, 1, 128]).unwrap(),
        &[1, 0, 1, 1]
    );
    assert_eq!(
        neuron
            .forward_override::<bool>(&[true, false, false, true])
            .unwrap(),
        &[1, 0, 0, 1]
    );
}

#[test]
fn override_values_are_copied_not_aliased() {
    let mut neuron = neuron_of_len(3);
    let mut values = vec![1u8, 0, 1];
    neuron.forward_override::<u8>(&values).unwrap();
    values[1] = 1;
    values[0] = 0;
    assert_eq!(neuron.spike(), &[1, 0, 1]);
}

#[test]
fn a_wrong_length_is_an_error_and_changes_nothing() {
    let mut neuron = neuron();
    let state = [
        true, false, true, true, false, false, true, false, true, true, false, true,
    ];
    neuron.load_spikes(&state).unwrap();
    let before = neuron.voltage::<f32>().unwrap().clone();
    for len in [0, 11, 13, 24] {
        let inputs = vec![1.0f32; len];
        match neuron.forward::<f32>(&inputs) {
            Err(Error::LengthMismatch {
                what: "inputs",
                expected: 12,
                actual,
            }) => assert_eq!(actual, len),
            other => panic!("expected a length error, got {other:?}"),
        }
        let values = vec![0u8; len];
        assert!(matches!(
            neuron.forward_override::<u8>(&values),
            Err(Error::LengthMismatch {
                what: "override",
                ..
            })
        ));
        assert!(matches!(
            neuron.load_spikes(&vec![false; len]),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            neuron.load_spike_bytes(&vec![0; len]),
            Err(Error::LengthMismatch { .. })
        ));
        let mut dst = vec![0u8; len];
        assert!(neuron.read_spike_bytes(&mut dst).is_err());
    }
    assert_eq!(neuron.spikes_to_host().unwrap(), state);
    assert_eq!(neuron.voltage::<f32>().unwrap(), &before);
    let err = neuron.forward::<f32>(&[1.0]).unwrap_err();
    assert_eq!(err.to_string(), "inputs has 1 elements, expected 12");
}

// ---------------------------------------------------------------- views

#[test]
fn voltage_selects_the_parameters_in_each_type() {
    let mut neuron = CpuNeuron::cpu(&NeuronParams::new([4], 1.0, -60.1, -50.1)).unwrap();
    neuron
        .forward_override::<bool>(&[true, false, true, false])
        .unwrap();
    let (rest, thresh) = (-60.1f64, -50.1f64);
    assert_eq!(
        neuron.voltage::<f64>().unwrap(),
        &[thresh, rest, thresh, rest]
    );
    let (r32, t32) = (rest as f32, thresh as f32);
    assert_eq!(neuron.voltage::<f32>().unwrap(), &[t32, r32, t32, r32]);
    let (r16, t16) = (f16::from_f32(r32), f16::from_f32(t32));
    assert_eq!(neuron.voltage::<f16>().unwrap(), &[t16, r16, t16, r16]);
    let (rb, tb) = (bf16::from_f32(r32), bf16::from_f32(t32));
    assert_eq!(neuron.voltage::<bf16>().unwrap(), &[tb, rb, tb, rb]);
}

#[test]
fn voltage_rounding_goes_through_f32_and_keeps_signs_and_subnormals() {
    // rest = -0.0 keeps its sign; thresh is an f32 subnormal that f16 and
    // bf16 flush to +0 by rounding (not by FTZ), and 1e-40 survives in bf16
    // only as its own subnormal.
    let mut neuron = CpuNeuron::cpu(&NeuronParams::new([2], 1.0, -0.0, 1e-40)).unwrap();
    neuron.forward_override::<u8>(&[0, 1]).unwrap();
    let v32 = neuron.voltage::<f32>().unwrap().clone();
    assert_eq!(v32[0].to_bits(), 0x8000_0000);
    assert_eq!(v32[1], 1e-40f64 as f32);
    assert_eq!(neuron.voltage::<f16>().unwrap()[1].to_bits(), 0x0000);
    assert_eq!(
        neuron.voltage::<bf16>().unwrap()[1],
        bf16::from_f32(1e-40f64 as f32)
    );
    assert_eq!(neuron.voltage::<f64>().unwrap()[1], 1e-40);

    // a double rounding case: 1 + 2^-11 + 2^-30 is above f16's halfway point
    // between 1 and 1 + 2^-10, but rounds to the halfway f32 first, and
    // then to even (1.0) as torch's f32 -> f16 conversion does.
    let thresh = 1.0 + 2f64.powi(-11) + 2f64.powi(-30);
    let mut neuron = CpuNeuron::cpu(&NeuronParams::new([1], 1.0, 0.0, thresh)).unwrap();
    neuron.forward_override::<u8>(&[1]).unwrap();
    assert_eq!(neuron.voltage::<f32>().unwrap()[0], 1.0 + 2f32.powi(-11));
    assert_eq!(neuron.voltage::<f16>().unwrap()[0], f16::ONE);
}

#[test]
fn voltage_overflow_is_an_error_except_in_f64() {
    let mut neuron = CpuNeuron::cpu(&NeuronParams::new([2], 1.0, -60.0, 1e39)).unwrap();
    neuron.forward_override::<u8>(&[1, 0]).unwrap();
    for result in [
        neuron.voltage::<f32>().map(|_| ()),
        neuron.voltage::<f16>().map(|_| ()),
        neuron.voltage::<bf16>().map(|_| ()),
    ] {
        match result {
            Err(
                err @ Error::VoltageOverflow {
                    name: "thresh_v", ..
                },
            ) => {
                assert!(err
                    .to_string()
                    .starts_with("'thresh_v' (1e+39) cannot be converted"));
            }
            other => panic!("expected an overflow, got {other:?}"),
        }
    }
    assert_eq!(neuron.voltage::<f64>().unwrap(), &[1e39, -60.0]);

    // beyond f16's range but inside f32's: +inf in f16, as torch does
    let mut neuron = CpuNeuron::cpu(&NeuronParams::new([2], 1.0, -1e5, 70000.0)).unwrap();
    neuron.forward_override::<u8>(&[1, 0]).unwrap();
    assert_eq!(
        neuron.voltage::<f16>().unwrap(),
        &[f16::INFINITY, f16::NEG_INFINITY]
    );
    assert_eq!(
        neuron.voltage::<bf16>().unwrap(),
        &[bf16::from_f32(70000.0), bf16::from_f32(-1e5)]
    );

    // infinite parameters are not an overflow
    let mut neuron = CpuNeuron::cpu(&NeuronParams::new([2], 1.0, f64::NEG_INFINITY, 5.0)).unwrap();
    neuron.forward_override::<u8>(&[0, 1]).unwrap();
    assert_eq!(neuron.voltage::<f32>().unwrap(), &[f32::NEG_INFINITY, 5.0]);
}

#[test]
fn refrac_is_positive_zero_in_every_type() {
    let mut neuron = neuron();
    neuron.forward::<f32>(&[1.0; 12]).unwrap();
    assert!(neuron
        .refrac::<f32>()
        .unwrap()
        .iter()
        .all(|v| v.to_bits() == 0));
    assert!(neuron
        .refrac::<f64>()
        .unwrap()
        .iter()
        .all(|v| v.to_bits() == 0));
    assert!(neuron
        .refrac::<f16>()
        .unwrap()
        .iter()
        .all(|v| v.to_bits() == 0));
    assert!(neuron
        .refrac::<bf16>()
        .unwrap()
        .iter()
        .all(|v| v.to_bits() == 0));
    assert_eq!(neuron.refrac::<f32>().unwrap().len(), 12);
    neuron.set_batch_size(3).unwrap();
    assert_eq!(neuron.refrac::<f64>().unwrap().len(), 18);
}

/// The CPU with counters: how often each operation ran.
#[derive(Clone, Default)]
struct Counting {
    voltage: std::rc::Rc<Cell<usize>>,
    zero: std::rc::Rc<Cell<usize>>,
    alloc: std::rc::Rc<Cell<usize>>,
    pack: std::rc::Rc<Cell<usize>>,
}

impl KernelDevice for Counting {
    type Words = Vec<u32>;
    type Buffer<T: Element> = Vec<T>;
    type Slice<'a, T: Element> = [T];

    fn alloc_zeroed<T: Element>(&self, len: usize) -> exact_neuron::Result<Vec<T>> {
        self.alloc.set(self.alloc.get() + 1);
        Cpu.alloc_zeroed(len)
    }
    fn zero<T: Element>(&self, buf: &mut Vec<T>) -> exact_neuron::Result<()> {
        self.zero.set(self.zero.get() + 1);
        Cpu.zero(buf)
    }
    fn buffer_len<T: Element>(buf: &Vec<T>) -> usize {
        buf.len()
    }
    fn slice_len<T: Element>(slice: &[T]) -> usize {
        slice.len()
    }
    fn upload<T: Element>(&self, src: &[T], dst: &mut Vec<T>) -> exact_neuron::Result<()> {
        Cpu.upload(src, dst)
    }
    fn download<T: Element>(&self, src: &Vec<T>, dst: &mut [T]) -> exact_neuron::Result<()> {
        Cpu.download(src, dst)
    }
    fn with_input<T: Element, R>(
        &self,
        host: &[T],
        f: impl FnOnce(&[T]) -> R,
    ) -> exact_neuron::Result<R> {
        Cpu.with_input(host, f)
    }
    fn threshold<T: ThresholdInput>(
        &self,
        inputs: &[T],
        spikes: &mut Vec<u8>,
    ) -> exact_neuron::Result<()> {
        Cpu.threshold(inputs, spikes)
    }
    fn overrides<T: OverrideValue>(
        &self,
        values: &[T],
        spikes: &mut Vec<u8>,
    ) -> exact_neuron::Result<()> {
        Cpu.overrides(values, spikes)
    }
    fn voltage<T: VoltageElement>(
        &self,
        spikes: &Vec<u8>,
        rest: T,
        thresh: T,
        out: &mut Vec<T>,
    ) -> exact_neuron::Result<()> {
        self.voltage.set(self.voltage.get() + 1);
        Cpu.voltage(spikes, rest, thresh, out)
    }
    fn alloc_words(&self, len: usize) -> exact_neuron::Result<Vec<u32>> {
        self.alloc.set(self.alloc.get() + 1);
        Cpu.alloc_words(len)
    }
    fn words_len(words: &Vec<u32>) -> usize {
        words.len()
    }
    fn upload_words(&self, src: &[u32], dst: &mut Vec<u32>) -> exact_neuron::Result<()> {
        Cpu.upload_words(src, dst)
    }
    fn download_words(&self, src: &Vec<u32>, dst: &mut [u32]) -> exact_neuron::Result<()> {
        Cpu.download_words(src, dst)
    }
    fn threshold_bits<T: ThresholdInput>(
        &self,
        inputs: &[T],
        rows: usize,
        count: usize,
        words: &mut Vec<u32>,
    ) -> exact_neuron::Result<()> {
        Cpu.threshold_bits(inputs, rows, count, words)
    }
    fn overrides_bits<T: OverrideValue>(
        &self,
        values: &[T],
        rows: usize,
        count: usize,
        words: &mut Vec<u32>,
    ) -> exact_neuron::Result<()> {
        Cpu.overrides_bits(values, rows, count, words)
    }
    fn pack_bits(
        &self,
        bytes: &Vec<u8>,
        rows: usize,
        count: usize,
        words: &mut Vec<u32>,
    ) -> exact_neuron::Result<()> {
        self.pack.set(self.pack.get() + 1);
        Cpu.pack_bits(bytes, rows, count, words)
    }
    fn unpack_bits(
        &self,
        words: &Vec<u32>,
        rows: usize,
        count: usize,
        bytes: &mut Vec<u8>,
    ) -> exact_neuron::Result<()> {
        Cpu.unpack_bits(words, rows, count, bytes)
    }
    fn voltage_bits<T: VoltageElement>(
        &self,
        words: &Vec<u32>,
        rows: usize,
        count: usize,
        rest: T,
        thresh: T,
        out: &mut Vec<T>,
    ) -> exact_neuron::Result<()> {
        self.voltage.set(self.voltage.get() + 1);
        Cpu.voltage_bits(words, rows, count, rest, thresh, out)
    }
    fn step<T: ThresholdInput, V: VoltageElement>(
        &self,
        inputs: &[T],
        spikes: &mut Vec<u8>,
        voltage: Option<StepVoltage<'_, Vec<V>, V>>,
        state: Option<&mut Vec<u8>>,
    ) -> exact_neuron::Result<()> {
        Cpu.step(inputs, spikes, voltage, state)
    }
    fn step_override<T: OverrideValue, V: VoltageElement>(
        &self,
        values: &[T],
        spikes: &mut Vec<u8>,
        voltage: Option<StepVoltage<'_, Vec<V>, V>>,
        state: Option<&mut Vec<u8>>,
    ) -> exact_neuron::Result<()> {
        Cpu.step_override(values, spikes, voltage, state)
    }
    fn step_bits<T: ThresholdInput, V: VoltageElement>(
        &self,
        inputs: &[T],
        rows: usize,
        count: usize,
        words: &mut Vec<u32>,
        voltage: Option<StepVoltage<'_, Vec<V>, V>>,
        state: Option<&mut Vec<u32>>,
    ) -> exact_neuron::Result<()> {
        Cpu.step_bits(inputs, rows, count, words, voltage, state)
    }
    fn step_bits_override<T: OverrideValue, V: VoltageElement>(
        &self,
        values: &[T],
        rows: usize,
        count: usize,
        words: &mut Vec<u32>,
        voltage: Option<StepVoltage<'_, Vec<V>, V>>,
        state: Option<&mut Vec<u32>>,
    ) -> exact_neuron::Result<()> {
        Cpu.step_bits_override(values, rows, count, words, voltage, state)
    }
}

#[test]
fn views_are_lazy_cached_and_invalidated_by_every_spike_change() {
    let device = Counting::default();
    let mut neuron = ExactNeuron::with_device(device.clone(), &params()).unwrap();
    let computed = || device.voltage.get();
    assert_eq!(
        computed(),
        0,
        "nothing is computed before a view is asked for"
    );

    neuron.voltage::<f32>().unwrap();
    neuron.voltage::<f32>().unwrap();
    assert_eq!(computed(), 1, "asked twice, computed once");
    neuron.voltage::<f16>().unwrap();
    assert_eq!(computed(), 2, "each type is its own view");

    let allocations = device.alloc.get();
    neuron.forward::<f32>(&[1.0; 12]).unwrap();
    assert_eq!(neuron.voltage::<f32>().unwrap(), &[-50.0f32; 12]);
    assert_eq!(computed(), 3, "forward invalidates");
    neuron.forward_override::<u8>(&[0; 12]).unwrap();
    assert_eq!(neuron.voltage::<f32>().unwrap(), &[-60.0f32; 12]);
    assert_eq!(computed(), 4, "an override invalidates");
    neuron.load_spikes(&[true; 12]).unwrap();
    assert_eq!(neuron.voltage::<f32>().unwrap(), &[-50.0f32; 12]);
    assert_eq!(computed(), 5, "loading state invalidates");
    neuron.clear().unwrap();
    assert_eq!(neuron.voltage::<f32>().unwrap(), &[-60.0f32; 12]);
    assert_eq!(computed(), 6, "clear invalidates");
    assert_eq!(device.alloc.get(), allocations, "a view's buffer is reused");

    neuron.set_batch_size(2).unwrap();
    neuron.voltage::<f32>().unwrap();
    assert_eq!(computed(), 7, "a batch-size change invalidates");
    assert_eq!(
        device.alloc.get(),
        allocations + 2,
        "new state and view buffers"
    );

    // a rejected step invalidates nothing
    assert!(neuron.forward::<f32>(&[1.0; 3]).is_err());
    neuron.voltage::<f32>().unwrap();
    assert_eq!(computed(), 7);

    // refrac is zeros from its allocation: no kernel, one allocation per type
    let allocations = device.alloc.get();
    neuron.refrac::<f64>().unwrap();
    neuron.forward::<f32>(&[1.0; 12]).unwrap();
    neuron.refrac::<f64>().unwrap();
    assert_eq!(device.alloc.get(), allocations + 1);
    assert_eq!(computed(), 7);
}

// ---------------------------------------------------------------- clear, batch size, state

#[test]
fn clear_sets_every_spike_to_zero() {
    let mut neuron = neuron();
    neuron.forward::<f32>(&[1.0; 12]).unwrap();
    neuron.clear().unwrap();
    assert_eq!(neuron.spike(), &[0; 12]);
    assert_eq!(neuron.spikes_to_host().unwrap(), vec![false; 12]);
}

#[test]
fn set_batch_size_resizes_and_clears_even_to_the_same_size() {
    let mut neuron = neuron();
    neuron.forward::<f32>(&[1.0; 12]).unwrap();
    neuron.set_batch_size(2).unwrap();
    assert_eq!(neuron.spike(), &[0; 12], "same size still clears");
    neuron.set_batch_size(5).unwrap();
    assert_eq!(neuron.batched_shape(), vec![5, 2, 3]);
    assert_eq!(neuron.len(), 30);
    assert_eq!(neuron.spike(), &[0; 30]);
    assert_eq!(neuron.voltage::<f64>().unwrap().len(), 30);
    assert!(
        neuron.forward::<f32>(&[1.0; 12]).is_err(),
        "the old length is rejected"
    );
    neuron.forward::<f32>(&[1.0; 30]).unwrap();
    assert_eq!(
        neuron.to_string(),
        "ExactNeuron(shape=(2, 3), batchsz=5, dt=1.0)"
    );
}

#[test]
fn a_rejected_batch_size_changes_nothing() {
    let mut neuron = neuron();
    neuron
        .forward_override::<u8>(&[1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
        .unwrap();
    let err = neuron.set_batch_size(0).unwrap_err();
    assert_eq!(err.to_string(), "'batch_size' of 0 must be positive");
    assert_eq!(neuron.batch_size(), 2);
    assert_eq!(neuron.spike(), &[1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
}

#[test]
fn spike_state_round_trips_through_the_host() {
    let mut rng = Rng::fresh("state");
    let mut neuron = neuron();
    let state: Vec<bool> = rng.values(12);
    neuron.load_spikes(&state).unwrap();
    assert_eq!(neuron.spikes_to_host().unwrap(), state);
    let mut bytes = vec![0xAAu8; 12];
    neuron.read_spike_bytes(&mut bytes).unwrap();
    assert_eq!(
        bytes,
        state.iter().map(|&s| u8::from(s)).collect::<Vec<_>>()
    );

    // bytes load as `!= 0`, stored as 0/1
    let raw: Vec<u8> = rng.values(12);
    neuron.load_spike_bytes(&raw).unwrap();
    assert_eq!(
        neuron.spike(),
        &raw.iter().map(|&b| u8::from(b != 0)).collect::<Vec<_>>()
    );

    // parameters are not state: another neuron with other parameters loads it
    let mut other =
        CpuNeuron::cpu(&NeuronParams::new([2, 3], 0.5, -70.0, -40.0).with_batch_size(2)).unwrap();
    other
        .load_spikes(&neuron.spikes_to_host().unwrap())
        .unwrap();
    assert_eq!(other.spike(), neuron.spike());
}

#[test]
fn neurons_and_errors_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<CpuNeuron>();
    send_sync::<exact_neuron::CudaNeuron>();
    send_sync::<Error>();
}

#[test]
fn the_bit_view_is_lazy_cached_and_kept_by_steps_that_write_bits() {
    let device = Counting::default();
    let mut neuron = ExactNeuron::with_device(device.clone(), &params()).unwrap();
    let packed = || device.pack.get();
    neuron.spike_bits().unwrap();
    neuron.spike_bits().unwrap();
    assert_eq!(packed(), 1, "asked twice, packed once");
    neuron.forward::<f32>(&[1.0; 12]).unwrap();
    assert_eq!(neuron.spike_bits().unwrap(), &[0x3F, 0x3F]);
    assert_eq!(packed(), 2, "forward invalidates");
    neuron.forward_bits::<f32>(&[-1.0; 12]).unwrap();
    assert_eq!(neuron.spike_bits().unwrap(), &[0, 0]);
    assert_eq!(packed(), 2, "a step into bits keeps its words");
    assert_eq!(neuron.spike(), &[0; 12], "and the byte state follows");
    let voltages = device.voltage.get();
    neuron.forward_with_voltage::<f32, f32>(&[1.0; 12]).unwrap();
    assert_eq!(neuron.voltage::<f32>().unwrap(), &[-50.0f32; 12]);
    assert_eq!(
        device.voltage.get(),
        voltages,
        "the fused step leaves the view fresh"
    );
    assert_eq!(neuron.voltage::<f64>().unwrap(), &[-50.0f64; 12]);
    assert_eq!(
        device.voltage.get(),
        voltages + 1,
        "other types are computed"
    );
    neuron.clear().unwrap();
    assert_eq!(neuron.spike_bits().unwrap(), &[0, 0]);
    assert_eq!(packed(), 3, "clear invalidates");
}
