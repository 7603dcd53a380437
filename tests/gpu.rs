//! GPU integration tests: every kernel and dtype on the CUDA backend
//! against the CPU backend, the neuron's state machine on the GPU, graph
//! capture, and the golden cases.
//!
//! Without a CUDA driver or device each test prints that it was skipped and
//! passes; with `REQUIRE_GPU=1` it fails instead.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use cudarc::driver::{CudaContext, CudaSlice, CudaStream};
use exact_neuron::half::{bf16, f16};
use exact_neuron::launch::GridLimits;
use exact_neuron::{
    Cpu, Cuda, CudaNeuron, Element, ExactNeuron, KernelDevice, NeuronParams, OverrideValue,
    ThresholdInput, VoltageElement,
};
use exact_neuron_support::golden::{load_cases, replay};
use exact_neuron_support::random::{RandomValue, Rng};
use exact_neuron_support::skip::{note, skip};

/// One GPU test at a time. Every test here works on the same CUDA context
/// (device 0's primary context), and the graph-capture test captures a
/// stream of it. cudarc synchronizes the whole context when it makes a
/// stream while its event tracking is on, and a context-wide synchronize
/// from another thread while a capture is active invalidates the capture:
/// run side by side, the tests would pass or fail with the thread timing.
/// So each test holds this lock from its first CUDA call to its end.
/// A test that failed while holding it poisons it; the next one goes on
/// (the lock guards no data, only the timing).
static GPU: Mutex<()> = Mutex::new(());

/// The GPU lock (see [`GPU`]) and the stream of device 0, or `None` after
/// reporting the skip. Keep the guard alive for the whole test.
fn gpu(test: &str) -> Option<(MutexGuard<'static, ()>, Arc<CudaStream>)> {
    let guard = GPU.lock().unwrap_or_else(PoisonError::into_inner);
    match exact_neuron::cuda::default_stream(0) {
        Ok(stream) => Some((guard, stream)),
        Err(why) => {
            skip(test, "REQUIRE_GPU", &why.to_string());
            None
        }
    }
}

fn upload<T: Element>(stream: &Arc<CudaStream>, host: &[T]) -> CudaSlice<T> {
    if host.is_empty() {
        stream.null().expect("empty slice")
    } else {
        stream.clone_htod(host).expect("host to device copy")
    }
}

fn download<T: Element>(stream: &Arc<CudaStream>, buffer: &CudaSlice<T>) -> Result<Vec<T>, String> {
    if buffer.is_empty() {
        return Ok(Vec::new());
    }
    let host = stream.clone_dtoh(buffer).map_err(|e| e.to_string())?;
    stream.synchronize().map_err(|e| e.to_string())?;
    Ok(host)
}

/// Lengths from SPEC and the issue: empty, one, around a warp, around a
/// block of 1024, past 2^16, and past 2^24 with a tail of 3.
const LENGTHS: [usize; 10] = [0, 1, 31, 32, 33, 1023, 1024, 1025, 65537, (1 << 24) + 3];

/// The grids to run each length on: the device's own limits, and a tiny
/// grid far smaller than the work, so every thread loops (grid stride).
fn devices(stream: &Arc<CudaStream>) -> Vec<(Cuda, &'static str)> {
    let own = Cuda::new(stream.clone()).expect("kernels load");
    let tiny = own
        .clone()
        .with_grid_limits(GridLimits::new(64, 3).expect("valid limits"));
    vec![(own, "device grid"), (tiny, "3x64 grid")]
}

fn first_difference<T: PartialEq + std::fmt::Debug>(got: &[T], expected: &[T]) -> Option<String> {
    if got.len() != expected.len() {
        return Some(format!(
            "{} elements, expected {}",
            got.len(),
            expected.len()
        ));
    }
    (0..got.len())
        .find(|&i| got[i] != expected[i])
        .map(|i| format!("element {i}: got {:?}, expected {:?}", got[i], expected[i]))
}

fn threshold_case<T: ThresholdInput + RandomValue>(
    cuda: &Cuda,
    rng: &mut Rng,
    len: usize,
    offset: usize,
) -> (String, Option<String>) {
    let stream = cuda.stream();
    let host: Vec<T> = rng.values(len + offset);
    let inputs = upload(stream, &host);
    let view = inputs.slice(offset..);
    let mut spikes = upload(stream, &vec![0xA5u8; len]); // poisoned
    cuda.threshold::<T>(&view, &mut spikes)
        .expect("threshold runs");
    let got = download(stream, &spikes).expect("download");
    let mut expected = vec![0u8; len];
    Cpu.threshold(&host[offset..], &mut expected).unwrap();
    (
        format!("threshold_{}", T::DTYPE),
        first_difference(&got, &expected),
    )
}

fn override_case<T: OverrideValue + RandomValue>(
    cuda: &Cuda,
    rng: &mut Rng,
    len: usize,
    offset: usize,
) -> (String, Option<String>) {
    let stream = cuda.stream();
    let host: Vec<T> = rng.values(len + offset);
    let values = upload(stream, &host);
    let view = values.slice(offset..);
    let mut spikes = upload(stream, &vec![0xA5u8; len]);
    cuda.overrides::<T>(&view, &mut spikes)
        .expect("override runs");
    let got = download(stream, &spikes).expect("download");
    let mut expected = vec![0u8; len];
    Cpu.overrides(&host[offset..], &mut expected).unwrap();
    (
        format!("override_{}", T::DTYPE),
        first_difference(&got, &expected),
    )
}

fn voltage_case<T: VoltageElement + RandomValue + PartialEq>(
    cuda: &Cuda,
    rng: &mut Rng,
    len: usize,
) -> (String, Option<String>) {
    let stream = cuda.stream();
    // any bytes: the kernel and the CPU both test `!= 0`
    let spikes_host: Vec<u8> = rng.values(len);
    let spikes = upload(stream, &spikes_host);
    let (rest, thresh) = (T::random(rng), T::random(rng));
    // poisoned with an all-ones NaN, which no draw above is likely to be
    let mut out = upload(stream, &vec![T::from_bits_u64(u64::MAX); len]);
    cuda.voltage::<T>(&spikes, rest, thresh, &mut out)
        .expect("voltage runs");
    let got: Vec<u64> = download(stream, &out)
        .expect("download")
        .iter()
        .map(|v| bits(v))
        .collect();
    let mut expected = vec![T::from_bits_u64(0); len];
    Cpu.voltage(&spikes_host, rest, thresh, &mut expected)
        .unwrap();
    let expected: Vec<u64> = expected.iter().map(|v| bits(v)).collect();
    (
        format!("voltage_{}", T::DTYPE),
        first_difference(&got, &expected),
    )
}

/// The bits of a value (NaN payloads compare exactly).
fn bits<T: Element>(value: &T) -> u64 {
    let bytes = bytemuck::bytes_of(value);
    let mut wide = [0u8; 8];
    wide[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(wide)
}

#[test]
fn every_kernel_matches_the_cpu_on_random_data() {
    let Some((_gpu, stream)) = gpu("every_kernel_matches_the_cpu_on_random_data") else {
        return;
    };
    let mut rng = Rng::fresh("gpu kernels");
    let mut failures = Vec::new();
    let mut runs = 0;
    for (cuda, grid) in devices(&stream) {
        for len in LENGTHS {
            for offset in [0, 1] {
                let results = [
                    threshold_case::<f32>(&cuda, &mut rng, len, offset),
                    threshold_case::<f64>(&cuda, &mut rng, len, offset),
                    threshold_case::<f16>(&cuda, &mut rng, len, offset),
                    threshold_case::<bf16>(&cuda, &mut rng, len, offset),
                    override_case::<u8>(&cuda, &mut rng, len, offset),
                    override_case::<bool>(&cuda, &mut rng, len, offset),
                    override_case::<f32>(&cuda, &mut rng, len, offset),
                    override_case::<f64>(&cuda, &mut rng, len, offset),
                    override_case::<f16>(&cuda, &mut rng, len, offset),
                    override_case::<bf16>(&cuda, &mut rng, len, offset),
                ];
                for (name, result) in results {
                    runs += 1;
                    if let Some(why) = result {
                        failures.push(format!("{name} n={len} offset={offset} {grid}: {why}"));
                    }
                }
            }
            let results = [
                voltage_case::<f32>(&cuda, &mut rng, len),
                voltage_case::<f64>(&cuda, &mut rng, len),
                voltage_case::<f16>(&cuda, &mut rng, len),
                voltage_case::<bf16>(&cuda, &mut rng, len),
            ];
            for (name, result) in results {
                runs += 1;
                if let Some(why) = result {
                    failures.push(format!("{name} n={len} {grid}: {why}"));
                }
            }
        }
    }
    note(&format!(
        "{runs} kernel runs compared with the CPU on the GPU"
    ));
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs the same sequence of operations on the GPU and the CPU, comparing
/// spikes and every view after each.
#[test]
fn the_neuron_state_machine_matches_the_cpu() {
    let Some((_gpu, stream)) = gpu("the_neuron_state_machine_matches_the_cpu") else {
        return;
    };
    let mut rng = Rng::fresh("gpu neuron");
    let params = NeuronParams::new([3, 37], 0.5, -65.3, -48.7).with_batch_size(5);
    let mut gpu = CudaNeuron::cuda(stream.clone(), &params).unwrap();
    let mut cpu = exact_neuron::CpuNeuron::cpu(&params).unwrap();
    let cuda = gpu.device().clone();

    fn compare(step: &str, gpu: &mut CudaNeuron, cpu: &mut exact_neuron::CpuNeuron, cuda: &Cuda) {
        assert_eq!(
            gpu.spikes_to_host().unwrap(),
            cpu.spikes_to_host().unwrap(),
            "{step}: spikes"
        );
        let (g, c) = (
            cuda.to_host(gpu.voltage::<f32>().unwrap()).unwrap(),
            cpu.voltage::<f32>().unwrap().clone(),
        );
        assert_eq!(g, c, "{step}: f32 voltage");
        let (g, c) = (
            cuda.to_host(gpu.voltage::<f64>().unwrap()).unwrap(),
            cpu.voltage::<f64>().unwrap().clone(),
        );
        assert_eq!(g, c, "{step}: f64 voltage");
        let (g, c) = (
            cuda.to_host(gpu.voltage::<f16>().unwrap()).unwrap(),
            cpu.voltage::<f16>().unwrap().clone(),
        );
        assert_eq!(g, c, "{step}: f16 voltage");
        let (g, c) = (
            cuda.to_host(gpu.voltage::<bf16>().unwrap()).unwrap(),
            cpu.voltage::<bf16>().unwrap().clone(),
        );
        assert_eq!(g, c, "{step}: bf16 voltage");
        let refrac = cuda.to_host(gpu.refrac::<f32>().unwrap()).unwrap();
        assert!(refrac.iter().all(|v| v.to_bits() == 0), "{step}: refrac");
        assert_eq!(refrac.len(), cpu.len());
    }

    compare("new", &mut gpu, &mut cpu, &cuda);
    for round in 0..3 {
        let inputs: Vec<f32> = rng.values(cpu.len());
        cuda.with_input(&inputs, |staged| gpu.forward::<f32>(staged).map(|_| ()))
            .unwrap()
            .unwrap();
        cpu.forward::<f32>(&inputs).unwrap();
        compare(&format!("forward {round}"), &mut gpu, &mut cpu, &cuda);

        let values: Vec<f16> = rng.values(cpu.len());
        cuda.with_input(&values, |staged| {
            gpu.forward_override::<f16>(staged).map(|_| ())
        })
        .unwrap()
        .unwrap();
        cpu.forward_override::<f16>(&values).unwrap();
        compare(&format!("override {round}"), &mut gpu, &mut cpu, &cuda);
    }
    gpu.clear().unwrap();
    cpu.clear().unwrap();
    compare("clear", &mut gpu, &mut cpu, &cuda);

    let state: Vec<bool> = rng.values(cpu.len());
    gpu.load_spikes(&state).unwrap();
    cpu.load_spikes(&state).unwrap();
    compare("load", &mut gpu, &mut cpu, &cuda);
    assert_eq!(gpu.spikes_to_host().unwrap(), state);

    gpu.set_batch_size(9).unwrap();
    cpu.set_batch_size(9).unwrap();
    assert_eq!(gpu.len(), 9 * 111);
    compare("batch size", &mut gpu, &mut cpu, &cuda);
    let inputs: Vec<bf16> = rng.values(cpu.len());
    cuda.with_input(&inputs, |staged| gpu.forward::<bf16>(staged).map(|_| ()))
        .unwrap()
        .unwrap();
    cpu.forward::<bf16>(&inputs).unwrap();
    compare("forward after resize", &mut gpu, &mut cpu, &cuda);

    // a wrong length changes nothing, on the GPU too
    let short = upload(&stream, &[1.0f32; 10]);
    assert!(gpu.forward::<f32>(&short).is_err());
    compare("rejected step", &mut gpu, &mut cpu, &cuda);
}

#[test]
fn kernels_load_once_per_context() {
    let Some((_gpu, stream)) = gpu("kernels_load_once_per_context") else {
        return;
    };
    let a = Cuda::new(stream.clone()).unwrap();
    let b = Cuda::new(stream.clone()).unwrap();
    assert!(a.shares_kernels_with(&b));
    let other_stream = stream.context().new_stream().unwrap();
    let c = Cuda::new(other_stream).unwrap();
    assert!(
        a.shares_kernels_with(&c),
        "a second stream of the context shares them"
    );
}

#[test]
fn every_entry_grid_is_two_waves_of_its_own_occupancy() {
    let Some((_gpu, stream)) = gpu("every_entry_grid_is_two_waves_of_its_own_occupancy") else {
        return;
    };
    use cudarc::driver::sys::CUdevice_attribute;
    use exact_neuron::kernel::Kernel;
    let sms = stream
        .context()
        .attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
        .unwrap() as u32;
    let limits = Cuda::new(stream).unwrap().grid_limits();
    // (blocks resident per multiprocessor, the entries with that many)
    let mut by_resident: Vec<(u32, Vec<&str>)> = Vec::new();
    for kernel in Kernel::ALL {
        let blocks = limits.max_blocks_for(kernel);
        assert_eq!(
            blocks % (2 * sms),
            0,
            "{}: {blocks} blocks are not whole waves on {sms} multiprocessors",
            kernel.name()
        );
        let resident = blocks / (2 * sms);
        // 256-thread blocks: at most 2048 threads per multiprocessor on
        // any GPU this library targets, so 1..=8 blocks.
        assert!(
            (1..=8).contains(&resident),
            "{}: {resident} resident blocks per multiprocessor",
            kernel.name()
        );
        match by_resident.iter_mut().find(|(r, _)| *r == resident) {
            Some((_, names)) => names.push(kernel.name()),
            None => by_resident.push((resident, vec![kernel.name()])),
        }
    }
    assert_eq!(
        limits.max_blocks(),
        Kernel::ALL
            .iter()
            .map(|&kernel| limits.max_blocks_for(kernel))
            .max()
            .unwrap()
    );
    by_resident.sort();
    for (resident, names) in by_resident {
        note(&format!(
            "grid: {resident} resident blocks of 256 threads per multiprocessor \
             ({} blocks on {sms} multiprocessors) for {} entries: {}",
            2 * sms * resident,
            names.len(),
            names.join(" ")
        ));
    }
}

#[test]
fn inputs_from_another_stream_are_waited_for() {
    let Some((_gpu, stream)) = gpu("inputs_from_another_stream_are_waited_for") else {
        return;
    };
    // A second stream puts cudarc in multi-stream mode: the input's write
    // event must be waited for by the neuron's stream.
    let producer = stream.context().new_stream().unwrap();
    let params = NeuronParams::new([1 << 20], 1.0, -60.0, -50.0);
    let mut neuron = CudaNeuron::cuda(stream.clone(), &params).unwrap();
    for round in 0..4 {
        let value = if round % 2 == 0 { 1.0f32 } else { -1.0 };
        let inputs = producer.clone_htod(&vec![value; 1 << 20]).unwrap();
        neuron.forward::<f32>(&inputs).unwrap();
        let expected = vec![round % 2 == 0; 1 << 20];
        assert_eq!(neuron.spikes_to_host().unwrap(), expected, "round {round}");
    }
}

#[test]
fn a_step_can_be_captured_into_a_cuda_graph() {
    // Held to the end: no other test may synchronize the context during
    // the capture (see `GPU`).
    let Some((_gpu, _)) = gpu("a_step_can_be_captured_into_a_cuda_graph") else {
        return;
    };
    // Graph capture needs a non-default stream, and cudarc's cross-stream
    // event tracking off (its waits on pre-capture events are not allowed
    // inside a capture); see the README.
    let context = CudaContext::new(0).unwrap();
    // SAFETY: nothing was allocated on this context object yet, and the test
    // uses one stream only, so no cross-stream synchronisation is needed.
    unsafe { context.disable_event_tracking() };
    let stream = context.new_stream().unwrap();
    let params = NeuronParams::new([4096], 1.0, -60.0, -50.0).with_batch_size(3);
    let mut neuron = CudaNeuron::cuda(stream.clone(), &params).unwrap();
    let host: Vec<f32> = (0..neuron.len())
        .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
        .collect();
    let inputs = stream.clone_htod(&host).unwrap();
    let voltage_before_capture = neuron.voltage::<f32>().unwrap().len();
    stream.synchronize().unwrap();

    stream
        .begin_capture(
            cudarc::driver::sys::CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL,
        )
        .unwrap();
    neuron.clear().unwrap();
    neuron.forward::<f32>(&inputs).unwrap();
    let graph = stream
        .end_capture(cudarc::driver::sys::CUgraphInstantiate_flags(0))
        .unwrap()
        .expect("the capture recorded work");
    graph.launch().unwrap();
    stream.synchronize().unwrap();
    let spikes = neuron.spikes_to_host().unwrap();
    assert!(spikes.iter().enumerate().all(|(i, &s)| s == (i % 3 == 0)));
    assert_eq!(voltage_before_capture, neuron.len());
}

#[test]
fn golden_cases_replay_bit_for_bit_on_the_gpu() {
    let Some((_gpu, stream)) = gpu("golden_cases_replay_bit_for_bit_on_the_gpu") else {
        return;
    };
    let cases = load_cases();
    let mut failures = Vec::new();
    for (cuda, grid) in devices(&stream) {
        for case in &cases {
            if let Err(why) = replay(case, |params| {
                ExactNeuron::with_device(cuda.clone(), params)
            }) {
                failures.push(format!("{grid}: {why}"));
            }
        }
    }
    note(&format!(
        "{} golden cases replayed on the GPU, on two grids",
        cases.len()
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
