//! The C API on a GPU, called from Rust as C calls it: a CUDA neuron on the
//! caller's stream with raw device pointers, step by step against a CPU
//! neuron of the C API on random bits; the stateless launches; memory and
//! streams of another context refused; a step captured into a CUDA graph;
//! the legacy default stream.
//!
//! Without a CUDA driver or device each test prints that it was skipped and
//! passes; with `REQUIRE_GPU=1` it fails instead.

use std::ffi::c_void;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use exact_neuron::cudarc::driver::{result, sys, CudaContext, CudaSlice, CudaStream, DevicePtr};
use exact_neuron_c::*;
use exact_neuron_support::skip::{note, skip};

/// One test at a time: the graph capture must not see another test's
/// work on the context.
static GPU: Mutex<()> = Mutex::new(());

/// The lock and device 0's primary context (event tracking off, as the C
/// API's), or `None` after reporting the skip.
fn gpu(test: &str) -> Option<(MutexGuard<'static, ()>, Arc<CudaContext>)> {
    let guard = GPU.lock().unwrap_or_else(PoisonError::into_inner);
    if let Err(why) = exact_neuron::cuda::probe() {
        skip(test, "REQUIRE_GPU", &why.to_string());
        return None;
    }
    let context = CudaContext::new(0).expect("device 0's primary context");
    // SAFETY: nothing was allocated on this context object yet; each test
    // orders its work on one stream and synchronizes before reading.
    unsafe { context.disable_event_tracking() };
    Some((guard, context))
}

const SHAPE: [usize; 2] = [37, 29];
const BATCH: usize = 3;
const REST_V: f64 = -65.0;
const THRESH_V: f64 = -50.0;
const DTYPES: [en_dtype; 6] = [
    en_dtype::EN_BOOL,
    en_dtype::EN_U8,
    en_dtype::EN_F16,
    en_dtype::EN_BF16,
    en_dtype::EN_F32,
    en_dtype::EN_F64,
];

fn size(dtype: en_dtype) -> usize {
    match dtype {
        en_dtype::EN_BOOL | en_dtype::EN_U8 => 1,
        en_dtype::EN_F16 | en_dtype::EN_BF16 => 2,
        en_dtype::EN_F32 => 4,
        en_dtype::EN_F64 => 8,
    }
}

fn ok(status: en_status, call: &str) {
    // SAFETY: en_last_error returns a NUL-terminated string valid until
    // this thread's next call.
    let message = unsafe { std::ffi::CStr::from_ptr(en_last_error()) };
    assert_eq!(status, en_status::EN_OK, "{call}: {message:?}");
}

/// xorshift64*, seeded from the clock (printed, to replay a failure).
struct Rng(u64);
impl Rng {
    fn new(test: &str) -> Rng {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1;
        note(&format!("{test}: seed {seed:#x}"));
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// `n` values of `dtype` as bytes: any bit pattern for the floats (NaN,
    /// infinities, subnormals, both zeros among them), 0/1 for bool.
    fn values(&mut self, dtype: en_dtype, n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|_| {
                let bits = self.next();
                let bits = if dtype == en_dtype::EN_BOOL {
                    bits & 1
                } else {
                    bits
                };
                bits.to_le_bytes()[..size(dtype)].to_vec()
            })
            .collect()
    }
}

/// Host bytes in memory aligned for any element type (little-endian words).
fn aligned(bytes: &[u8]) -> Vec<u64> {
    let mut words = vec![0u64; bytes.len().div_ceil(8)];
    for (i, &byte) in bytes.iter().enumerate() {
        words[i / 8] |= u64::from(byte) << (8 * (i % 8));
    }
    words
}

fn raw<T>(slice: &CudaSlice<T>, stream: &CudaStream) -> *mut c_void {
    let (addr, _guard) = slice.device_ptr(stream);
    addr as usize as *mut c_void
}

/// `len` bytes of device memory at `addr`, after the stream's work.
fn download(stream: &CudaStream, addr: *const c_void, len: usize) -> Vec<u8> {
    stream.synchronize().unwrap();
    let mut host = vec![0u8; len];
    // SAFETY: `addr` is device memory of the stream's (current) context
    // holding `len` bytes, and the stream's work on it is done.
    unsafe { result::memcpy_dtoh_sync(&mut host, addr as sys::CUdeviceptr) }.unwrap();
    host
}

/// A CPU and a CUDA neuron of the C API with the same parameters.
fn pair(stream: *mut c_void) -> (*mut en_neuron, *mut en_neuron) {
    let mut cpu = std::ptr::null_mut();
    let mut cuda = std::ptr::null_mut();
    // SAFETY: the shape holds 2 dimensions; the out pointers are valid;
    // `stream` is live for the test.
    unsafe {
        ok(
            en_neuron_new_cpu(SHAPE.as_ptr(), 2, BATCH, 1.0, REST_V, THRESH_V, &mut cpu),
            "new cpu",
        );
        ok(
            en_neuron_new_cuda(
                0,
                stream,
                SHAPE.as_ptr(),
                2,
                BATCH,
                1.0,
                REST_V,
                THRESH_V,
                &mut cuda,
            ),
            "new cuda",
        );
        assert_eq!(en_neuron_is_cuda(cuda), 1);
    }
    (cpu, cuda)
}

/// The spikes and the voltage in every type agree between the neurons.
fn same_state(cpu: *mut en_neuron, cuda: *mut en_neuron, stream: &CudaStream, step: &str) {
    // SAFETY: live handles; the CPU pointers cover len values of their
    // type, the CUDA ones are device memory read after the stream's work.
    unsafe {
        let n = en_neuron_len(cpu);
        let (mut host, mut device) = (std::ptr::null(), std::ptr::null());
        ok(en_neuron_spikes(cpu, &mut host), "spikes");
        ok(en_neuron_spikes(cuda, &mut device), "spikes");
        let expected = std::slice::from_raw_parts(host, n);
        assert_eq!(
            download(stream, device.cast(), n),
            expected,
            "{step}: spikes"
        );
        for dtype in [
            en_dtype::EN_F16,
            en_dtype::EN_BF16,
            en_dtype::EN_F32,
            en_dtype::EN_F64,
        ] {
            let (mut host, mut device) = (std::ptr::null(), std::ptr::null());
            ok(en_neuron_voltage(cpu, dtype as i32, &mut host), "voltage");
            ok(
                en_neuron_voltage(cuda, dtype as i32, &mut device),
                "voltage",
            );
            let bytes = n * size(dtype);
            let expected = std::slice::from_raw_parts(host.cast::<u8>(), bytes);
            assert_eq!(
                download(stream, device, bytes),
                expected,
                "{step}: voltage {dtype:?}"
            );
        }
    }
}

#[test]
fn cuda_steps_on_raw_pointers_match_the_cpu_bit_for_bit() {
    let test = "cuda_steps_on_raw_pointers_match_the_cpu_bit_for_bit";
    let Some((_gpu, context)) = gpu(test) else {
        return;
    };
    let stream = context.new_stream().unwrap();
    let (cpu, cuda) = pair(stream.cu_stream().cast());
    // SAFETY: live handle.
    let n = unsafe { en_neuron_len(cuda) };
    let mut rng = Rng::new(test);
    let out = stream.alloc_zeros::<u8>(n).unwrap();
    let voltage_out = stream.alloc_zeros::<u8>(n * 8).unwrap();
    for step in 0..24 {
        let threshold = step % 2 == 0;
        let dtype = if threshold {
            DTYPES[2 + (rng.next() % 4) as usize]
        } else {
            DTYPES[(rng.next() % 6) as usize]
        };
        let bytes = rng.values(dtype, n);
        let host = aligned(&bytes);
        let device = stream.clone_htod(&bytes).unwrap();
        let label = format!("step {step} ({dtype:?}, threshold {threshold})");
        // SAFETY: live handles; `host` and `device` hold n values of dtype.
        unsafe {
            if threshold {
                ok(
                    en_neuron_forward(cpu, dtype as i32, host.as_ptr().cast(), n),
                    &label,
                );
                ok(
                    en_neuron_forward(cuda, dtype as i32, raw(&device, &stream), n),
                    &label,
                );
                ok(
                    en_launch_threshold(
                        0,
                        stream.cu_stream().cast(),
                        dtype as i32,
                        raw(&device, &stream),
                        raw(&out, &stream).cast(),
                        n,
                    ),
                    &label,
                );
            } else {
                ok(
                    en_neuron_forward_override(cpu, dtype as i32, host.as_ptr().cast(), n),
                    &label,
                );
                ok(
                    en_neuron_forward_override(cuda, dtype as i32, raw(&device, &stream), n),
                    &label,
                );
                ok(
                    en_launch_override(
                        0,
                        stream.cu_stream().cast(),
                        dtype as i32,
                        raw(&device, &stream),
                        raw(&out, &stream).cast(),
                        n,
                    ),
                    &label,
                );
            }
        }
        same_state(cpu, cuda, &stream, &label);
        // The stateless launches give the neuron's bits.
        // SAFETY: live handle; `out` and `voltage_out` hold n values.
        unsafe {
            let mut spikes = std::ptr::null();
            ok(en_neuron_spikes(cpu, &mut spikes), "spikes");
            let expected = std::slice::from_raw_parts(spikes, n);
            assert_eq!(
                download(&stream, raw(&out, &stream), n),
                expected,
                "{label}: stateless spikes"
            );
            let dtype = DTYPES[2 + (rng.next() % 4) as usize];
            ok(
                en_launch_voltage(
                    0,
                    stream.cu_stream().cast(),
                    dtype as i32,
                    raw(&out, &stream).cast(),
                    REST_V,
                    THRESH_V,
                    raw(&voltage_out, &stream),
                    n,
                ),
                &label,
            );
            let mut voltage = std::ptr::null();
            ok(
                en_neuron_voltage(cpu, dtype as i32, &mut voltage),
                "voltage",
            );
            let bytes = n * size(dtype);
            let expected = std::slice::from_raw_parts(voltage.cast::<u8>(), bytes);
            assert_eq!(
                download(&stream, raw(&voltage_out, &stream), bytes),
                expected,
                "{label}: stateless voltage {dtype:?}"
            );
        }
    }
    // SAFETY: live handles, freed once, the CUDA one before its stream.
    unsafe {
        ok(en_neuron_clear(cuda), "clear");
        ok(en_neuron_clear(cpu), "clear");
        same_state(cpu, cuda, &stream, "after clear");
        ok(en_neuron_set_batch_size(cuda, 5), "resize");
        ok(en_neuron_set_batch_size(cpu, 5), "resize");
        same_state(cpu, cuda, &stream, "after resize");
        en_neuron_free(cuda);
        en_neuron_free(cpu);
    }
    stream.synchronize().unwrap();
}

#[test]
fn memory_and_streams_of_another_context_are_refused() {
    let test = "memory_and_streams_of_another_context_are_refused";
    let Some((_gpu, context)) = gpu(test) else {
        return;
    };
    let stream = context.new_stream().unwrap();
    let (cpu, cuda) = pair(stream.cu_stream().cast());
    // SAFETY: live handle.
    let n = unsafe { en_neuron_len(cuda) };
    // Host memory.
    let host = vec![1.0f32; n];
    // SAFETY: live handle; the pointer is host memory, refused unread.
    let status =
        unsafe { en_neuron_forward(cuda, en_dtype::EN_F32 as i32, host.as_ptr().cast(), n) };
    assert_eq!(status, en_status::EN_ERR_WRONG_CONTEXT);
    // Device memory too short for the values (4096 bytes, n * 4 needed).
    context.bind_to_thread().unwrap();
    // SAFETY: a plain allocation of the current (primary) context, freed below.
    let short = unsafe { result::malloc_sync(4096) }.unwrap();
    // SAFETY: live handle; the allocation is refused unread.
    let status = unsafe {
        en_neuron_forward(
            cuda,
            en_dtype::EN_F32 as i32,
            short as usize as *const c_void,
            n,
        )
    };
    assert_eq!(status, en_status::EN_ERR_LENGTH_MISMATCH);
    // SAFETY: allocated above, unused since.
    unsafe { result::free_sync(short) }.unwrap();
    // Memory and a stream of another context on the same device.
    let other = CudaContext::new_non_primary(0, 0).unwrap();
    other.bind_to_thread().unwrap();
    // SAFETY: a plain allocation of `other` (current), freed below.
    let foreign = unsafe { result::malloc_sync(n * 4) }.unwrap();
    // SAFETY: live handle; the memory is refused unread.
    let status = unsafe {
        en_neuron_forward(
            cuda,
            en_dtype::EN_F32 as i32,
            foreign as usize as *const c_void,
            n,
        )
    };
    assert_eq!(status, en_status::EN_ERR_WRONG_CONTEXT);
    let out = stream.alloc_zeros::<u8>(n).unwrap();
    // SAFETY: the memory is refused unread.
    let status = unsafe {
        en_launch_threshold(
            0,
            stream.cu_stream().cast(),
            en_dtype::EN_F32 as i32,
            foreign as usize as *const c_void,
            raw(&out, &stream).cast(),
            n,
        )
    };
    assert_eq!(status, en_status::EN_ERR_WRONG_CONTEXT);
    let foreign_stream = other.new_stream().unwrap();
    let mut refused = std::ptr::null_mut();
    // SAFETY: valid shape and out pointer; the stream is refused.
    let status = unsafe {
        en_neuron_new_cuda(
            0,
            foreign_stream.cu_stream().cast(),
            SHAPE.as_ptr(),
            2,
            BATCH,
            1.0,
            REST_V,
            THRESH_V,
            &mut refused,
        )
    };
    assert_eq!(status, en_status::EN_ERR_WRONG_CONTEXT);
    assert!(refused.is_null());
    other.bind_to_thread().unwrap();
    // SAFETY: allocated above, unused since.
    unsafe { result::free_sync(foreign) }.unwrap();
    // An address not aligned for its values (a kernel's load would fault).
    let padded = stream.alloc_zeros::<f32>(n + 1).unwrap();
    let odd = (raw(&padded, &stream) as usize + 2) as *const c_void;
    // SAFETY: live handle; the address is refused unread.
    let status = unsafe { en_neuron_forward(cuda, en_dtype::EN_F32 as i32, odd, n) };
    assert_eq!(status, en_status::EN_ERR_BAD_VALUES);
    // NULL, as on the CPU.
    // SAFETY: live handle; NULL is refused.
    let status = unsafe { en_neuron_forward(cuda, en_dtype::EN_F32 as i32, std::ptr::null(), n) };
    assert_eq!(status, en_status::EN_ERR_NULL_POINTER);
    // The refused steps changed nothing.
    same_state(cpu, cuda, &stream, "after refusals");
    // SAFETY: live handles, freed once.
    unsafe {
        en_neuron_free(cuda);
        en_neuron_free(cpu);
    }
    stream.synchronize().unwrap();
}

#[test]
fn a_step_through_the_c_api_can_be_captured_into_a_graph() {
    let test = "a_step_through_the_c_api_can_be_captured_into_a_graph";
    let Some((_gpu, context)) = gpu(test) else {
        return;
    };
    let stream = context.new_stream().unwrap();
    let (cpu, cuda) = pair(stream.cu_stream().cast());
    // SAFETY: live handle.
    let n = unsafe { en_neuron_len(cuda) };
    let mut rng = Rng::new(test);
    let bytes = rng.values(en_dtype::EN_F32, n);
    let host = aligned(&bytes);
    let device = stream.clone_htod(&bytes).unwrap();
    let out = stream.alloc_zeros::<u8>(n).unwrap();
    let mut voltage = std::ptr::null();
    // SAFETY: live handle; the first request makes the view's buffer,
    // before the capture.
    unsafe {
        ok(
            en_neuron_voltage(cuda, en_dtype::EN_F32 as i32, &mut voltage),
            "voltage",
        )
    };
    stream.synchronize().unwrap();
    stream
        .begin_capture(sys::CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL)
        .unwrap();
    // SAFETY: live handle; `device` and `out` hold n values.
    unsafe {
        ok(
            en_neuron_forward(cuda, en_dtype::EN_F32 as i32, raw(&device, &stream), n),
            "captured step",
        );
        let mut captured = std::ptr::null();
        ok(
            en_neuron_voltage(cuda, en_dtype::EN_F32 as i32, &mut captured),
            "captured voltage",
        );
        assert_eq!(captured, voltage, "the view's buffer stays");
        ok(
            en_launch_threshold(
                0,
                stream.cu_stream().cast(),
                en_dtype::EN_F32 as i32,
                raw(&device, &stream),
                raw(&out, &stream).cast(),
                n,
            ),
            "captured launch",
        );
    }
    let graph = stream
        .end_capture(sys::CUgraphInstantiate_flags(0))
        .unwrap()
        .expect("the capture recorded work");
    graph.launch().unwrap();
    // SAFETY: live handle; host values of n f32.
    unsafe {
        ok(
            en_neuron_forward(cpu, en_dtype::EN_F32 as i32, host.as_ptr().cast(), n),
            "cpu step",
        )
    };
    same_state(cpu, cuda, &stream, "after the graph");
    // SAFETY: live handle.
    unsafe {
        let mut spikes = std::ptr::null();
        ok(en_neuron_spikes(cpu, &mut spikes), "spikes");
        let expected = std::slice::from_raw_parts(spikes, n);
        assert_eq!(
            download(&stream, raw(&out, &stream), n),
            expected,
            "captured stateless launch"
        );
        en_neuron_free(cuda);
        en_neuron_free(cpu);
    }
    stream.synchronize().unwrap();
}

#[test]
fn a_neuron_on_the_legacy_default_stream_steps() {
    let test = "a_neuron_on_the_legacy_default_stream_steps";
    let Some((_gpu, context)) = gpu(test) else {
        return;
    };
    let stream = context.default_stream();
    let (cpu, cuda) = pair(std::ptr::null_mut());
    // SAFETY: live handle.
    let n = unsafe { en_neuron_len(cuda) };
    let mut rng = Rng::new(test);
    let bytes = rng.values(en_dtype::EN_BF16, n);
    let host = aligned(&bytes);
    let device = stream.clone_htod(&bytes).unwrap();
    // SAFETY: live handles; n bf16 values on each side.
    unsafe {
        ok(
            en_neuron_forward(cuda, en_dtype::EN_BF16 as i32, raw(&device, &stream), n),
            "step",
        );
        ok(
            en_neuron_forward(cpu, en_dtype::EN_BF16 as i32, host.as_ptr().cast(), n),
            "step",
        );
    }
    same_state(cpu, cuda, &stream, "legacy stream");
    // SAFETY: live handles, freed once.
    unsafe {
        en_neuron_free(cuda);
        en_neuron_free(cpu);
    }
    stream.synchronize().unwrap();
}

/// `len` bytes of the host memory at `ptr`.
///
/// # Safety
/// `ptr` holds `len` readable bytes.
unsafe fn host_bytes(ptr: *const c_void, len: usize) -> Vec<u8> {
    // SAFETY: the contract.
    unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) }.to_vec()
}

/// The CPU neuron's bits as bytes.
fn cpu_bits(cpu: *mut en_neuron) -> Vec<u8> {
    let mut words = std::ptr::null();
    // SAFETY: live handle; the words cover bits_len u32s.
    unsafe {
        ok(en_neuron_spike_bits(cpu, &mut words), "spike bits");
        host_bytes(words.cast(), en_neuron_bits_len(cpu) * 4)
    }
}

/// The CPU neuron's state and its voltage in `dtype`, as bytes.
fn cpu_state(cpu: *mut en_neuron, dtype: en_dtype) -> (Vec<u8>, Vec<u8>) {
    // SAFETY: live handle; the views cover len values of their type.
    unsafe {
        let n = en_neuron_len(cpu);
        let (mut spikes, mut voltage) = (std::ptr::null(), std::ptr::null());
        ok(en_neuron_spikes(cpu, &mut spikes), "spikes");
        ok(
            en_neuron_voltage(cpu, dtype as i32, &mut voltage),
            "voltage",
        );
        (
            host_bytes(spikes.cast(), n),
            host_bytes(voltage, n * size(dtype)),
        )
    }
}

#[test]
fn bit_fused_and_multi_step_calls_and_launches_match_the_cpu() {
    let test = "bit_fused_and_multi_step_calls_and_launches_match_the_cpu";
    let Some((_gpu, context)) = gpu(test) else {
        return;
    };
    let stream = context.new_stream().unwrap();
    let s = stream.cu_stream().cast::<c_void>();
    let (cpu, cuda) = pair(s);
    // SAFETY: live handles.
    let (n, per_row, bits_len) = unsafe {
        (
            en_neuron_len(cuda),
            en_neuron_words_per_row(cuda),
            en_neuron_bits_len(cuda),
        )
    };
    // SAFETY: live handle.
    assert_eq!(unsafe { en_neuron_bits_len(cpu) }, bits_len);
    let count = n / BATCH;
    let mut rng = Rng::new(test);
    let words = stream.alloc_zeros::<u32>(bits_len).unwrap();
    let words2 = stream.alloc_zeros::<u32>(bits_len).unwrap();
    let state_words = stream.alloc_zeros::<u32>(bits_len).unwrap();
    let bytes_out = stream.alloc_zeros::<u8>(n).unwrap();
    let state_bytes = stream.alloc_zeros::<u8>(n).unwrap();
    let volt = stream.alloc_zeros::<u8>(n * 8).unwrap();
    for step in 0..18 {
        let threshold = step % 2 == 0;
        let dtype = if threshold {
            DTYPES[2 + (rng.next() % 4) as usize]
        } else {
            DTYPES[(rng.next() % 6) as usize]
        };
        let vtype = DTYPES[2 + (rng.next() % 4) as usize];
        let form = step % 3;
        let steps = if form == 2 { 3 } else { 1 };
        let values = rng.values(dtype, steps * n);
        let host = aligned(&values);
        let device = stream.clone_htod(&values).unwrap();
        let (hp, dp) = (host.as_ptr().cast::<c_void>(), raw(&device, &stream));
        let label = format!(
            "step {step} ({dtype:?}, threshold {threshold}, form {form}, voltage {vtype:?})"
        );
        let d = dtype as i32;
        // SAFETY: live handles; host and device buffers hold what each call
        // is told; device results are read after the stream's work.
        unsafe {
            match form {
                0 => {
                    let call = if threshold {
                        en_neuron_forward_bits
                    } else {
                        en_neuron_forward_override_bits
                    };
                    ok(call(cpu, d, hp, n), &label);
                    ok(call(cuda, d, dp, n), &label);
                    let mut dw = std::ptr::null();
                    ok(en_neuron_spike_bits(cuda, &mut dw), &label);
                    assert_eq!(
                        download(&stream, dw.cast(), bits_len * 4),
                        cpu_bits(cpu),
                        "{label}: bits"
                    );
                }
                1 => {
                    let call = if threshold {
                        en_neuron_forward_with_voltage
                    } else {
                        en_neuron_forward_override_with_voltage
                    };
                    let (mut hv, mut dv) = (std::ptr::null(), std::ptr::null());
                    ok(call(cpu, d, hp, n, vtype as i32, &mut hv), &label);
                    ok(call(cuda, d, dp, n, vtype as i32, &mut dv), &label);
                    assert_eq!(
                        download(&stream, dv, n * size(vtype)),
                        host_bytes(hv, n * size(vtype)),
                        "{label}: fused voltage"
                    );
                }
                _ => {
                    let call = if threshold {
                        en_neuron_forward_steps
                    } else {
                        en_neuron_forward_override_steps
                    };
                    let bits = step % 2 == 1;
                    let (format, trace_len, item) = if bits {
                        (en_spike_format::EN_SPIKES_BITS, steps * bits_len, 4)
                    } else {
                        (en_spike_format::EN_SPIKES_BYTES, steps * n, 1)
                    };
                    let total = steps * n;
                    let mut host_trace = vec![0u64; (trace_len * item).div_ceil(8)];
                    let mut host_volt = vec![0u64; total];
                    let dev_trace = stream.alloc_zeros::<u8>(trace_len * item).unwrap();
                    let dev_volt = stream.alloc_zeros::<u8>(total * size(vtype)).unwrap();
                    ok(
                        call(
                            cpu,
                            d,
                            hp,
                            total,
                            format as i32,
                            host_trace.as_mut_ptr().cast(),
                            trace_len,
                            vtype as i32,
                            host_volt.as_mut_ptr().cast(),
                            total,
                        ),
                        &label,
                    );
                    ok(
                        call(
                            cuda,
                            d,
                            dp,
                            total,
                            format as i32,
                            raw(&dev_trace, &stream),
                            trace_len,
                            vtype as i32,
                            raw(&dev_volt, &stream),
                            total,
                        ),
                        &label,
                    );
                    assert_eq!(
                        download(&stream, raw(&dev_trace, &stream), trace_len * item),
                        host_bytes(host_trace.as_ptr().cast(), trace_len * item),
                        "{label}: spike trace"
                    );
                    assert_eq!(
                        download(&stream, raw(&dev_volt, &stream), total * size(vtype)),
                        host_bytes(host_volt.as_ptr().cast(), total * size(vtype)),
                        "{label}: voltage trace"
                    );
                }
            }
        }
        same_state(cpu, cuda, &stream, &label);
        if form == 2 {
            continue;
        }
        // The stateless launches on the same inputs give the CPU neuron's
        // bits, bytes and voltage.
        let (spikes, voltage) = cpu_state(cpu, vtype);
        let bits = cpu_bits(cpu);
        let (w, w2, sw) = (
            raw(&words, &stream).cast::<u32>(),
            raw(&words2, &stream).cast::<u32>(),
            raw(&state_words, &stream).cast::<u32>(),
        );
        let (b, sb, v) = (
            raw(&bytes_out, &stream).cast::<u8>(),
            raw(&state_bytes, &stream).cast::<u8>(),
            raw(&volt, &stream),
        );
        let vb = n * size(vtype);
        // SAFETY: every device buffer holds what its call is told; read
        // after the stream's work.
        unsafe {
            let pack = if threshold {
                en_launch_threshold_bits
            } else {
                en_launch_override_bits
            };
            ok(pack(0, s, d, dp, BATCH, count, w), &label);
            assert_eq!(
                download(&stream, w.cast(), bits_len * 4),
                bits,
                "{label}: launch bits"
            );
            ok(en_launch_unpack_bits(0, s, w, BATCH, count, b), &label);
            assert_eq!(download(&stream, b.cast(), n), spikes, "{label}: unpack");
            ok(en_launch_pack_bits(0, s, b, BATCH, count, w2), &label);
            assert_eq!(
                download(&stream, w2.cast(), bits_len * 4),
                bits,
                "{label}: pack"
            );
            ok(
                en_launch_voltage_bits(0, s, vtype as i32, w, BATCH, count, REST_V, THRESH_V, v),
                &label,
            );
            assert_eq!(download(&stream, v, vb), voltage, "{label}: voltage bits");
            let fused = if threshold {
                en_launch_step
            } else {
                en_launch_step_override
            };
            ok(
                fused(0, s, d, dp, n, b, vtype as i32, v, REST_V, THRESH_V, sb, n),
                &label,
            );
            assert_eq!(download(&stream, b.cast(), n), spikes, "{label}: step");
            assert_eq!(
                download(&stream, sb.cast(), n),
                spikes,
                "{label}: step state"
            );
            assert_eq!(download(&stream, v, vb), voltage, "{label}: step voltage");
            ok(
                fused(
                    0,
                    s,
                    d,
                    dp,
                    n,
                    b,
                    EN_NO_VOLTAGE,
                    std::ptr::null_mut(),
                    0.0,
                    0.0,
                    std::ptr::null_mut(),
                    0,
                ),
                &label,
            );
            assert_eq!(download(&stream, b.cast(), n), spikes, "{label}: bare step");
            let fused_bits = if threshold {
                en_launch_step_bits
            } else {
                en_launch_step_bits_override
            };
            ok(
                fused_bits(
                    0,
                    s,
                    d,
                    dp,
                    BATCH,
                    count,
                    w,
                    vtype as i32,
                    v,
                    REST_V,
                    THRESH_V,
                    sw,
                    bits_len,
                ),
                &label,
            );
            assert_eq!(
                download(&stream, w.cast(), bits_len * 4),
                bits,
                "{label}: step bits"
            );
            assert_eq!(
                download(&stream, sw.cast(), bits_len * 4),
                bits,
                "{label}: step bits state"
            );
            assert_eq!(
                download(&stream, v, vb),
                voltage,
                "{label}: step bits voltage"
            );
        }
        assert_eq!(per_row, count.div_ceil(32));
    }
    // SAFETY: live handles, freed once, the CUDA one before its stream.
    unsafe {
        en_neuron_free(cuda);
        en_neuron_free(cpu);
    }
    stream.synchronize().unwrap();
}
