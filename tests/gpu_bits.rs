//! GPU tests of the bit, fused and multi-step entries: the neuron's new
//! calls on CUDA against the CPU backend, bit for bit, on random data with
//! special values, around word boundaries, on the default grid and on a
//! grid of one 32-thread block (so that the warp-per-word loops stride);
//! and every golden case through the new paths.
//!
//! Without a CUDA driver or device each test prints that it was skipped and
//! passes; with `REQUIRE_GPU=1` it fails instead.

use std::sync::Arc;

use cudarc::driver::CudaStream;
use exact_neuron::half::{bf16, f16};
use exact_neuron::launch::GridLimits;
use exact_neuron::{
    Cuda, DType, Element, ExactNeuron, HostSlice, HostValues, KernelDevice, NeuronParams,
    SpikeFormat, SpikeRule,
};
use exact_neuron_support::golden::{load_cases, Mode};
use exact_neuron_support::random::{RandomValue, Rng};
use exact_neuron_support::skip::{note, skip};

fn gpu(test: &str) -> Option<Arc<CudaStream>> {
    match exact_neuron::cuda::default_stream(0) {
        Ok(stream) => Some(stream),
        Err(why) => {
            skip(test, "REQUIRE_GPU", &why.to_string());
            None
        }
    }
}

fn values_of(rng: &mut Rng, dtype: DType, len: usize) -> HostValues {
    fn go<T: RandomValue + Element>(rng: &mut Rng, len: usize) -> HostValues {
        HostValues::new(rng.values::<T>(len))
    }
    match dtype {
        DType::F32 => go::<f32>(rng, len),
        DType::F64 => go::<f64>(rng, len),
        DType::F16 => go::<f16>(rng, len),
        DType::BF16 => go::<bf16>(rng, len),
        DType::U8 => go::<u8>(rng, len),
        DType::Bool => HostValues::new((0..len).map(|_| rng.below(2) == 1).collect::<Vec<_>>()),
    }
}

/// The same calls on both neurons give the same bits.
#[allow(clippy::too_many_arguments)]
fn compare<D: KernelDevice>(
    gpu: &mut ExactNeuron<D>,
    cpu: &mut exact_neuron::CpuNeuron,
    rng: &mut Rng,
    rule: SpikeRule,
    dtype: DType,
    vtype: DType,
    steps: usize,
    what: &str,
) where
    for<'a> HostSlice<'a>: exact_neuron::DynInput<D>,
{
    let n = cpu.len();
    let values = values_of(rng, dtype, n);
    assert_eq!(
        gpu.forward_bits_dyn(rule, &values.as_slice()).unwrap(),
        cpu.forward_bits_dyn(rule, &values.as_slice()).unwrap(),
        "{what}: forward_bits"
    );
    assert_eq!(
        gpu.spikes_to_host().unwrap(),
        cpu.spikes_to_host().unwrap(),
        "{what}"
    );
    assert_eq!(
        gpu.voltage_dyn(vtype).unwrap(),
        cpu.voltage_dyn(vtype).unwrap(),
        "{what}"
    );
    let values = values_of(rng, dtype, n);
    gpu.forward_with_voltage_dyn(rule, &values.as_slice(), vtype)
        .unwrap();
    cpu.forward_with_voltage_dyn(rule, &values.as_slice(), vtype)
        .unwrap();
    assert_eq!(
        gpu.voltage_dyn(vtype).unwrap(),
        cpu.voltage_dyn(vtype).unwrap(),
        "{what}: fused"
    );
    assert_eq!(
        gpu.spike_bits_to_host().unwrap(),
        cpu.spike_bits_to_host().unwrap(),
        "{what}"
    );
    for format in [SpikeFormat::Bytes, SpikeFormat::Bits] {
        for voltage in [Some(vtype), None] {
            let values = values_of(rng, dtype, steps * n);
            let g = gpu
                .forward_steps_dyn(rule, &values.as_slice(), format, voltage)
                .unwrap();
            let c = cpu
                .forward_steps_dyn(rule, &values.as_slice(), format, voltage)
                .unwrap();
            assert_eq!(g, c, "{what}: {steps} steps {format:?} {voltage:?}");
            assert_eq!(gpu.spikes_to_host().unwrap(), cpu.spikes_to_host().unwrap());
        }
    }
    let words = cpu.spike_bits_to_host().unwrap();
    gpu.load_spike_bits(&words).unwrap();
    assert_eq!(gpu.spikes_to_host().unwrap(), cpu.spikes_to_host().unwrap());
}

#[test]
fn bit_fused_and_multi_step_calls_match_the_cpu() {
    let Some(stream) = gpu("bit_fused_and_multi_step_calls_match_the_cpu") else {
        return;
    };
    let mut rng = Rng::fresh("gpu bits");
    let tiny = GridLimits::new(32, 1).expect("valid limits");
    let overrides = [
        DType::Bool,
        DType::U8,
        DType::F32,
        DType::F64,
        DType::F16,
        DType::BF16,
    ];
    let thresholds = [DType::F32, DType::F64, DType::F16, DType::BF16];
    let voltages = [DType::F32, DType::F64, DType::F16, DType::BF16];
    for (count, batch, steps) in [
        (1, 1, 1),
        (31, 3, 2),
        (33, 2, 4),
        (1000, 3, 3),
        (4096, 2, 64),
    ] {
        for limits in [None, Some(tiny)] {
            let params = NeuronParams::new([count], 1.0, -60.0, -50.0).with_batch_size(batch);
            let mut device = Cuda::new(stream.clone()).expect("a CUDA device");
            if let Some(limits) = limits {
                device = device.with_grid_limits(limits);
            }
            let mut gpu = ExactNeuron::with_device(device, &params).unwrap();
            let mut cpu = ExactNeuron::cpu(&params).unwrap();
            for (rule, dtypes) in [
                (SpikeRule::Threshold, &thresholds[..]),
                (SpikeRule::Override, &overrides[..]),
            ] {
                for &dtype in dtypes {
                    let vtype = rng.pick(&voltages);
                    let what =
                        format!("count {count} batch {batch} {rule:?} {dtype} {vtype} {limits:?}");
                    compare(
                        &mut gpu, &mut cpu, &mut rng, rule, dtype, vtype, steps, &what,
                    );
                }
            }
        }
    }
}

#[test]
fn every_golden_case_replays_through_the_new_paths_on_the_gpu() {
    let Some(stream) = gpu("every_golden_case_replays_through_the_new_paths_on_the_gpu") else {
        return;
    };
    let cases = load_cases();
    for case in &cases {
        let rule = match case.mode {
            Mode::Threshold => SpikeRule::Threshold,
            Mode::Override => SpikeRule::Override,
        };
        let all = case.values.as_slice();
        for format in [SpikeFormat::Bytes, SpikeFormat::Bits] {
            let mut gpu = ExactNeuron::cuda(stream.clone(), &case.params).unwrap();
            let mut cpu = ExactNeuron::cpu(&case.params).unwrap();
            let g = gpu
                .forward_steps_dyn(rule, &all, format, Some(case.voltage_dtype))
                .unwrap();
            let c = cpu
                .forward_steps_dyn(rule, &all, format, Some(case.voltage_dtype))
                .unwrap();
            assert_eq!(g, c, "{} {format:?}", case.name);
            assert_eq!(gpu.spikes_to_host().unwrap(), cpu.spikes_to_host().unwrap());
        }
    }
    note(&format!(
        "{} golden cases through one launch on the GPU",
        cases.len()
    ));
}

#[test]
fn buffers_of_another_context_or_length_are_refused() {
    let Some(stream) = gpu("buffers_of_another_context_or_length_are_refused") else {
        return;
    };
    let cuda = Cuda::new(stream.clone()).unwrap();
    let inputs = stream.clone_htod(&[1.0f32; 64]).unwrap();
    let mut words = cuda.alloc_words(3).unwrap();
    let err = cuda
        .threshold_bits::<f32>(&inputs, 2, 32, &mut words)
        .unwrap_err();
    assert!(err.to_string().contains("spike words"), "{err}");
    let mut words = cuda.alloc_words(2).unwrap();
    cuda.threshold_bits::<f32>(&inputs, 2, 32, &mut words)
        .unwrap();
    let mut host = [0u32; 2];
    cuda.download_words(&words, &mut host).unwrap();
    assert_eq!(host, [!0, !0]);
}
