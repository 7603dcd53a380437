//! The run-time-typed device calls (`DynKernels`, `AnyBuffer`) against the
//! typed calls, on the CPU and on the PTX interpreter: every (operation,
//! element type) of the table, inputs as host values and as device buffers,
//! fresh random data, outputs poisoned before each call and compared bit
//! for bit; a type with no entry, or a buffer of the wrong type, is a typed
//! error that writes nothing.

use exact_neuron::any_buffer::AnyBuffer;
use exact_neuron::device::StepVoltage;
use exact_neuron::dyn_kernels::DynKernels;
use exact_neuron::half::{bf16, f16};
use exact_neuron::{
    Cpu, DType, Element, Error, HostSlice, KernelDevice, OverrideValue, Result, SpikeRule,
    ThresholdInput, VoltageElement,
};
use exact_neuron_support::ptx::device::PtxDevice;
use exact_neuron_support::random::{RandomValue, Rng};

const REST: f64 = -60.0;
const THRESH: f64 = -50.1;
const POISON: u8 = 0xA5;

/// The bytes of a buffer, for bit-for-bit comparison.
fn bytes<D: KernelDevice, T: Element>(device: &D, buffer: &D::Buffer<T>) -> Vec<u8> {
    bytemuck::cast_slice(&device.to_host(buffer).unwrap()).to_vec()
}

fn words<D: KernelDevice>(device: &D, words: &D::Words) -> Vec<u32> {
    let mut host = vec![0; D::words_len(words)];
    device.download_words(words, &mut host).unwrap();
    host
}

fn poisoned_words<D: KernelDevice>(device: &D, len: usize) -> D::Words {
    let mut words = device.alloc_words(len).unwrap();
    device
        .upload_words(&vec![0xA5A5_A5A5; len], &mut words)
        .unwrap();
    words
}

/// A voltage output of `V`, every byte poisoned (a NaN pattern for floats).
fn poisoned_voltage<D: KernelDevice, V: VoltageElement>(device: &D, len: usize) -> D::Buffer<V> {
    let host = vec![V::from_f64(f64::NAN); len];
    device.alloc_from(&host).unwrap()
}

/// Spike bytes and bits of `rows` rows of `count` values by `rule`: the
/// typed calls `typed_bytes` and `typed_bits` on the host values against
/// the run-time calls on the host values and on their device copy.
fn compare_spikes<D: DynKernels, T: Element>(
    device: &D,
    rule: SpikeRule,
    (host, buffer): (&[T], &AnyBuffer<D>),
    (rows, count): (usize, usize),
    typed_bytes: impl Fn(&D::Slice<'_, T>, &mut D::Buffer<u8>) -> Result<()>,
    typed_bits: impl Fn(&D::Slice<'_, T>, &mut D::Words) -> Result<()>,
) {
    let (n, len) = (rows * count, rows * count.div_ceil(32));
    let what = format!("{rule:?} {} {rows}x{count}", T::DTYPE);
    let by_rule = |inputs: &dyn Fn(&mut D::Buffer<u8>) -> Result<()>| {
        let mut spikes = device.alloc_from(&vec![POISON; n]).unwrap();
        inputs(&mut spikes).unwrap();
        bytes(device, &spikes)
    };
    let typed = by_rule(&|spikes| device.with_input(host, |x| typed_bytes(x, spikes))?);
    let from_host = by_rule(&|spikes| device.spikes_dyn(rule, &HostSlice::new(host), spikes));
    let from_buffer = by_rule(&|spikes| device.spikes_dyn(rule, buffer, spikes));
    assert_eq!(typed, from_host, "{what}");
    assert_eq!(typed, from_buffer, "{what}");

    let mut typed_words = poisoned_words(device, len);
    device
        .with_input(host, |x| typed_bits(x, &mut typed_words))
        .unwrap()
        .unwrap();
    let mut dyn_words = poisoned_words(device, len);
    device
        .spike_bits_dyn(rule, buffer, rows, count, &mut dyn_words)
        .unwrap();
    assert_eq!(
        words(device, &typed_words),
        words(device, &dyn_words),
        "{what}"
    );
}

/// Threshold, bits and the fused threshold step of `T`, run-time against
/// typed, with the voltage in `V`.
fn threshold_case<D: DynKernels, T: ThresholdInput + RandomValue, V: VoltageElement>(
    device: &D,
    rng: &mut Rng,
) {
    let (rows, count) = (1 + rng.below(3) as usize, rng.below(80) as usize);
    let n = rows * count;
    let host = rng.values::<T>(n);
    let buffer = AnyBuffer::<D>::new(device.alloc_from(&host).unwrap());
    let what = format!("{} {rows}x{count}", T::DTYPE);

    compare_spikes(
        device,
        SpikeRule::Threshold,
        (&host, &buffer),
        (rows, count),
        |x, spikes| device.threshold(x, spikes),
        |x, words| device.threshold_bits(x, rows, count, words),
    );
    let len = rows * count.div_ceil(32);

    // The fused step with the voltage in V and the last row as state.
    let (rest, thresh) = (V::from_f64(REST), V::from_f64(THRESH));
    let mut spikes = device.alloc_from(&vec![POISON; n]).unwrap();
    let mut volt = poisoned_voltage::<D, V>(device, n);
    let mut state = device.alloc_from(&vec![POISON; count]).unwrap();
    device
        .with_input(&host, |x| {
            let voltage = StepVoltage {
                out: &mut volt,
                rest,
                thresh,
            };
            device.step::<T, V>(x, &mut spikes, Some(voltage), Some(&mut state))
        })
        .unwrap()
        .unwrap();
    let mut dyn_spikes = device.alloc_from(&vec![POISON; n]).unwrap();
    let mut dyn_volt = AnyBuffer::new(poisoned_voltage::<D, V>(device, n));
    let mut dyn_state = device.alloc_from(&vec![POISON; count]).unwrap();
    let voltage = StepVoltage {
        out: &mut dyn_volt,
        rest: REST,
        thresh: THRESH,
    };
    device
        .step_dyn(
            SpikeRule::Threshold,
            &buffer,
            &mut dyn_spikes,
            Some(voltage),
            Some(&mut dyn_state),
        )
        .unwrap();
    assert_eq!(bytes(device, &spikes), bytes(device, &dyn_spikes), "{what}");
    assert_eq!(bytes(device, &state), bytes(device, &dyn_state), "{what}");
    assert_eq!(
        bytes(device, &volt),
        bytes(device, dyn_volt.typed::<V>("v").unwrap()),
        "{what} voltage in {}",
        V::DTYPE
    );

    // The bit step, no voltage, no state.
    let mut typed_words = poisoned_words(device, len);
    device
        .with_input(&host, |x| {
            device.step_bits::<T, f32>(x, rows, count, &mut typed_words, None, None)
        })
        .unwrap()
        .unwrap();
    let mut dyn_words = poisoned_words(device, len);
    device
        .step_bits_dyn(
            SpikeRule::Threshold,
            &buffer,
            rows,
            count,
            &mut dyn_words,
            None,
            None,
        )
        .unwrap();
    assert_eq!(
        words(device, &typed_words),
        words(device, &dyn_words),
        "{what}"
    );
}

/// Override, override into bits and the override steps of `T`.
fn override_case<D: DynKernels, T: OverrideValue + RandomValue>(device: &D, rng: &mut Rng) {
    let (rows, count) = (1 + rng.below(3) as usize, rng.below(80) as usize);
    let n = rows * count;
    let host = rng.values::<T>(n);
    let buffer = AnyBuffer::<D>::new(device.alloc_from(&host).unwrap());
    let what = format!("{} {rows}x{count}", T::DTYPE);

    compare_spikes(
        device,
        SpikeRule::Override,
        (&host, &buffer),
        (rows, count),
        |x, spikes| device.overrides(x, spikes),
        |x, words| device.overrides_bits(x, rows, count, words),
    );
    let len = rows * count.div_ceil(32);

    let mut spikes = device.alloc_from(&vec![POISON; n]).unwrap();
    device
        .with_input(&host, |x| {
            device.step_override::<T, f32>(x, &mut spikes, None, None)
        })
        .unwrap()
        .unwrap();
    let mut dyn_spikes = device.alloc_from(&vec![POISON; n]).unwrap();
    device
        .step_dyn(SpikeRule::Override, &buffer, &mut dyn_spikes, None, None)
        .unwrap();
    assert_eq!(bytes(device, &spikes), bytes(device, &dyn_spikes), "{what}");

    let mut typed_words = poisoned_words(device, len);
    let mut volt = poisoned_voltage::<D, f64>(device, n);
    device
        .with_input(&host, |x| {
            let voltage = StepVoltage {
                out: &mut volt,
                rest: REST,
                thresh: THRESH,
            };
            device.step_bits_override::<T, f64>(
                x,
                rows,
                count,
                &mut typed_words,
                Some(voltage),
                None,
            )
        })
        .unwrap()
        .unwrap();
    let mut dyn_words = poisoned_words(device, len);
    let mut dyn_volt = AnyBuffer::new(poisoned_voltage::<D, f64>(device, n));
    let voltage = StepVoltage {
        out: &mut dyn_volt,
        rest: REST,
        thresh: THRESH,
    };
    device
        .step_bits_dyn(
            SpikeRule::Override,
            &buffer,
            rows,
            count,
            &mut dyn_words,
            Some(voltage),
            None,
        )
        .unwrap();
    assert_eq!(
        words(device, &typed_words),
        words(device, &dyn_words),
        "{what}"
    );
    assert_eq!(
        bytes(device, &volt),
        bytes(device, dyn_volt.typed::<f64>("v").unwrap()),
        "{what}"
    );
}

/// The voltage views in `V`, from bytes and from bits.
fn voltage_case<D: DynKernels, V: VoltageElement>(device: &D, rng: &mut Rng) {
    let (rows, count) = (1 + rng.below(3) as usize, rng.below(80) as usize);
    let n = rows * count;
    let spikes: Vec<u8> = (0..n).map(|_| rng.below(2) as u8).collect();
    let spikes = device.alloc_from(&spikes).unwrap();
    let (rest, thresh) = (V::from_f64(REST), V::from_f64(THRESH));
    let what = format!("{} {rows}x{count}", V::DTYPE);

    let mut typed = poisoned_voltage::<D, V>(device, n);
    device.voltage(&spikes, rest, thresh, &mut typed).unwrap();
    let mut dyn_out = AnyBuffer::new(poisoned_voltage::<D, V>(device, n));
    device
        .voltage_dyn(&spikes, REST, THRESH, &mut dyn_out)
        .unwrap();
    let dyn_host = dyn_out.to_host(device).unwrap();
    assert_eq!(dyn_host.dtype(), V::DTYPE);
    assert_eq!(bytes(device, &typed), dyn_host.as_bytes(), "{what}");

    let mut packed = poisoned_words(device, rows * count.div_ceil(32));
    device.pack_bits(&spikes, rows, count, &mut packed).unwrap();
    let mut typed = poisoned_voltage::<D, V>(device, n);
    device
        .voltage_bits(&packed, rows, count, rest, thresh, &mut typed)
        .unwrap();
    let mut dyn_out = AnyBuffer::new(poisoned_voltage::<D, V>(device, n));
    device
        .voltage_bits_dyn(&packed, rows, count, REST, THRESH, &mut dyn_out)
        .unwrap();
    assert_eq!(
        bytes(device, &typed),
        dyn_out.to_host(device).unwrap().as_bytes(),
        "{what}"
    );
}

fn every_entry<D: DynKernels>(device: &D, rng: &mut Rng) {
    threshold_case::<D, f16, f32>(device, rng);
    threshold_case::<D, bf16, f64>(device, rng);
    threshold_case::<D, f32, f16>(device, rng);
    threshold_case::<D, f64, bf16>(device, rng);
    override_case::<D, bool>(device, rng);
    override_case::<D, u8>(device, rng);
    override_case::<D, f16>(device, rng);
    override_case::<D, bf16>(device, rng);
    override_case::<D, f32>(device, rng);
    override_case::<D, f64>(device, rng);
    voltage_case::<D, f16>(device, rng);
    voltage_case::<D, bf16>(device, rng);
    voltage_case::<D, f32>(device, rng);
    voltage_case::<D, f64>(device, rng);
}

#[test]
fn run_time_calls_match_the_typed_calls_on_the_cpu() {
    let mut rng = Rng::fresh("dyn kernels on the CPU");
    for _ in 0..20 {
        every_entry(&Cpu, &mut rng);
    }
}

#[test]
fn run_time_calls_match_the_typed_calls_on_the_interpreter() {
    let mut rng = Rng::fresh("dyn kernels on the PTX interpreter");
    every_entry(&PtxDevice::new(), &mut rng);
}

/// A type with no entry, or a buffer of another type than asked, is a
/// typed error, and the output keeps its poison.
fn mismatches<D: DynKernels>(device: &D) {
    let n = 5;
    let mut spikes = device.alloc_from(&[POISON; 5]).unwrap();
    let untouched = |device: &D, spikes: &D::Buffer<u8>| {
        assert_eq!(bytes(device, spikes), [POISON; 5]);
    };
    let no_kernel = |err: Error, dtype: DType| match err {
        Error::NoKernel { dtype: got, .. } => assert_eq!(got, dtype),
        other => panic!("expected no kernel for {dtype}: {other}"),
    };

    for dtype in [DType::Bool, DType::U8] {
        let inputs = AnyBuffer::<D>::zeroed(device, dtype, n).unwrap();
        no_kernel(
            device.threshold_dyn(&inputs, &mut spikes).unwrap_err(),
            dtype,
        );
        let mut packed = poisoned_words(device, 1);
        no_kernel(
            device
                .threshold_bits_dyn(&inputs, 1, n, &mut packed)
                .unwrap_err(),
            dtype,
        );
        no_kernel(
            device
                .step_dyn(SpikeRule::Threshold, &inputs, &mut spikes, None, None)
                .unwrap_err(),
            dtype,
        );
        let mut out = AnyBuffer::<D>::zeroed(device, dtype, n).unwrap();
        no_kernel(
            device
                .voltage_dyn(&spikes, REST, THRESH, &mut out)
                .unwrap_err(),
            dtype,
        );
        // A step whose voltage output is of a type with no voltage entry.
        let floats = AnyBuffer::<D>::zeroed(device, DType::F32, n).unwrap();
        let voltage = StepVoltage {
            out: &mut out,
            rest: REST,
            thresh: THRESH,
        };
        no_kernel(
            device
                .step_dyn(
                    SpikeRule::Threshold,
                    &floats,
                    &mut spikes,
                    Some(voltage),
                    None,
                )
                .unwrap_err(),
            dtype,
        );
        assert_eq!(words(device, &packed), [0xA5A5_A5A5]);
    }
    untouched(device, &spikes);

    // A length mismatch found by the typed call: nothing written.
    let short = AnyBuffer::<D>::zeroed(device, DType::F64, n - 1).unwrap();
    assert!(matches!(
        device.overrides_dyn(&short, &mut spikes),
        Err(Error::LengthMismatch { .. })
    ));
    untouched(device, &spikes);

    // The buffer's own typed access.
    let mut values = AnyBuffer::<D>::zeroed(device, DType::BF16, n).unwrap();
    assert_eq!((values.dtype(), values.len()), (DType::BF16, n));
    assert!(matches!(
        values.typed::<f16>("values"),
        Err(Error::WrongDType {
            expected: DType::F16,
            actual: DType::BF16,
            ..
        })
    ));
    assert!(values.typed_mut::<bf16>("values").is_ok());
    let host = HostSlice::new(&[true, false, true]);
    let copied = AnyBuffer::<D>::from_host(device, host).unwrap();
    assert_eq!(copied.to_host(device).unwrap().as_slice(), host);
}

#[test]
fn mismatched_types_are_typed_errors_that_write_nothing() {
    mismatches(&Cpu);
    mismatches(&PtxDevice::new());
}
