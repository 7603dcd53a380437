//! The run-time-typed neuron (`forward_dyn`, `forward_override_dyn`,
//! `voltage_dyn`, `refrac_dyn`) against the typed one, on fresh random data
//! rich in special values; and its refusals, which change nothing.

use exact_neuron::half::{bf16, f16};
use exact_neuron::{
    CpuNeuron, DType, Element, Error, HostSlice, HostValues, NeuronParams, OverrideValue,
    ThresholdInput,
};
use exact_neuron_support::random::{RandomValue, Rng};

fn params() -> NeuronParams {
    NeuronParams::new([5, 7], 1.0, -60.25, -50.125).with_batch_size(3)
}

/// The bits of every view type, typed and run-time typed, after a step.
fn views_agree(typed: &mut CpuNeuron, dynamic: &mut CpuNeuron) {
    assert_eq!(typed.spike(), dynamic.spike());
    for dtype in [DType::F16, DType::BF16, DType::F32, DType::F64] {
        let expected = match dtype {
            DType::F16 => HostValues::new(typed.voltage::<f16>().unwrap().clone()),
            DType::BF16 => HostValues::new(typed.voltage::<bf16>().unwrap().clone()),
            DType::F32 => HostValues::new(typed.voltage::<f32>().unwrap().clone()),
            _ => HostValues::new(typed.voltage::<f64>().unwrap().clone()),
        };
        let got = dynamic.voltage_dyn(dtype).unwrap();
        assert_eq!(got.dtype(), dtype);
        assert_eq!(got.as_bytes(), expected.as_bytes(), "voltage in {dtype}");
        let refrac = dynamic.refrac_dyn(dtype).unwrap();
        assert_eq!(refrac.as_bytes(), &vec![0u8; refrac.as_bytes().len()][..]);
        assert_eq!(refrac.len(), typed.len());
    }
}

fn threshold_step<T: ThresholdInput + RandomValue>(rng: &mut Rng) {
    let mut typed = CpuNeuron::cpu(&params()).unwrap();
    let mut dynamic = CpuNeuron::cpu(&params()).unwrap();
    // poison: a state the step must overwrite everywhere
    dynamic.load_spikes(&vec![true; dynamic.len()]).unwrap();
    let inputs = rng.values::<T>(typed.len());
    typed.forward::<T>(&inputs).unwrap();
    dynamic.forward_dyn(&HostSlice::new(&inputs[..])).unwrap();
    views_agree(&mut typed, &mut dynamic);
}

fn override_step<T: OverrideValue + RandomValue>(rng: &mut Rng) {
    let mut typed = CpuNeuron::cpu(&params()).unwrap();
    let mut dynamic = CpuNeuron::cpu(&params()).unwrap();
    let values = rng.values::<T>(typed.len());
    dynamic
        .load_spikes(
            &values
                .iter()
                .map(|&v| !v.is_nonzero())
                .collect::<Vec<bool>>(),
        )
        .unwrap();
    typed.forward_override::<T>(&values).unwrap();
    let owned = HostValues::new(values.clone());
    dynamic.forward_override_dyn(&owned.as_slice()).unwrap();
    views_agree(&mut typed, &mut dynamic);
}

#[test]
fn run_time_types_give_the_typed_bits() {
    let mut rng = Rng::fresh("dynamic neuron");
    for _ in 0..8 {
        threshold_step::<f16>(&mut rng);
        threshold_step::<bf16>(&mut rng);
        threshold_step::<f32>(&mut rng);
        threshold_step::<f64>(&mut rng);
        override_step::<bool>(&mut rng);
        override_step::<u8>(&mut rng);
        override_step::<f16>(&mut rng);
        override_step::<bf16>(&mut rng);
        override_step::<f32>(&mut rng);
        override_step::<f64>(&mut rng);
    }
}

#[test]
fn values_read_from_bytes_step_like_typed_values() {
    let mut rng = Rng::fresh("dynamic bytes");
    let mut typed = CpuNeuron::cpu(&params()).unwrap();
    let mut dynamic = CpuNeuron::cpu(&params()).unwrap();
    let inputs: Vec<f32> = rng.values(typed.len());
    typed.forward::<f32>(&inputs).unwrap();
    let bytes = bytemuck::cast_slice::<f32, u8>(&inputs);
    let slice = HostSlice::from_bytes("inputs", DType::F32, bytes).unwrap();
    dynamic.forward_dyn(&slice).unwrap();
    views_agree(&mut typed, &mut dynamic);
}

/// A refused call returns the error and leaves the spikes and every view as
/// they were.
#[test]
fn refusals_change_nothing() {
    let mut rng = Rng::fresh("dynamic refusals");
    let mut neuron = CpuNeuron::cpu(&params()).unwrap();
    let state: Vec<bool> = rng.values(neuron.len());
    neuron.load_spikes(&state).unwrap();
    let voltage = neuron.voltage_dyn(DType::F32).unwrap();
    let check_unchanged = |neuron: &mut CpuNeuron| {
        assert_eq!(neuron.spikes_to_host().unwrap(), state);
        assert_eq!(neuron.voltage_dyn(DType::F32).unwrap(), voltage);
    };

    let bytes = vec![1u8; neuron.len()];
    let err = neuron.forward_dyn(&HostSlice::U8(&bytes)).unwrap_err();
    assert!(matches!(err, Error::NoKernel { .. }), "{err}");
    assert_eq!(err.to_string(), "no threshold kernel for u8");
    check_unchanged(&mut neuron);

    let short = vec![1.0f32; neuron.len() - 1];
    let err = neuron.forward_dyn(&HostSlice::F32(&short)).unwrap_err();
    assert_eq!(err.to_string(), "inputs has 104 elements, expected 105");
    check_unchanged(&mut neuron);

    let long = vec![true; neuron.len() + 1];
    let err = neuron
        .forward_override_dyn(&HostSlice::Bool(&long))
        .unwrap_err();
    assert_eq!(err.to_string(), "override has 106 elements, expected 105");
    check_unchanged(&mut neuron);

    for dtype in [DType::Bool, DType::U8] {
        let err = neuron.voltage_dyn(dtype).unwrap_err();
        assert_eq!(err.to_string(), format!("no voltage kernel for {dtype}"));
        assert!(neuron.refrac_dyn(dtype).is_err());
    }
    check_unchanged(&mut neuron);

    // a voltage parameter beyond f32 is refused for f32, f16 and bf16
    let big = NeuronParams::new([2], 1.0, -1e39, 0.0);
    let mut neuron = CpuNeuron::cpu(&big).unwrap();
    let err = neuron.voltage_dyn(DType::BF16).unwrap_err();
    assert_eq!(
        err.to_string(),
        "'rest_v' (-1e+39) cannot be converted to bf16 without overflow"
    );
    assert_eq!(
        neuron.voltage_dyn(DType::F64).unwrap(),
        HostValues::F64(vec![-1e39, -1e39])
    );
}

/// `HostValues` and the typed transfers of a device round-trip every type.
#[test]
fn typed_transfers_round_trip() {
    use exact_neuron::{Cpu, KernelDevice};
    fn round_trip<T: Element + RandomValue>(rng: &mut Rng) {
        let values: Vec<T> = rng.values(37);
        let buffer = Cpu.alloc_from(&values).unwrap();
        let back = Cpu.to_host(&buffer).unwrap();
        assert_eq!(
            bytemuck::cast_slice::<T, u8>(&back),
            bytemuck::cast_slice::<T, u8>(&values)
        );
        let mut short = Cpu.alloc_zeroed::<T>(36).unwrap();
        assert!(Cpu.upload(&values, &mut short).is_err());
        assert!(Cpu.download(&buffer, &mut [values[0]; 38]).is_err());
    }
    let mut rng = Rng::fresh("typed transfers");
    round_trip::<bool>(&mut rng);
    round_trip::<u8>(&mut rng);
    round_trip::<f16>(&mut rng);
    round_trip::<bf16>(&mut rng);
    round_trip::<f32>(&mut rng);
    round_trip::<f64>(&mut rng);
}
