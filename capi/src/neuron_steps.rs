//! The neuron's bit, fused and multi-step calls: the spikes as bits, a step
//! that writes the voltage view in the same launch, and `T` steps in one
//! launch into the caller's trace buffers. Host pointers for a CPU neuron,
//! device pointers (queued on its stream, never waited for) for a CUDA one.

use std::ffi::c_void;

use exact_neuron::cuda::DeviceValues;
use exact_neuron::cudarc::driver::DevicePtr;
use exact_neuron::device::check_len;
use exact_neuron::half::{bf16, f16};
use exact_neuron::launch::kernel_for;
use exact_neuron::{AnyNeuron, DType, Error, HostSlice, SpikeFormat, SpikeRule, SpikeTrace};

use crate::cuda_steps::{self, StepOutputs};
use crate::device_memory::device_buffer;
use crate::dtype::{dtype_of, en_dtype_code};
use crate::entry::{entry, plain, Failure, Outcome};
use crate::host_memory::{byte_len, host_values};
use crate::neuron::{en_neuron, handle, voltage_addr};
use crate::spike_format::{en_spike_format_code, format_of, voltage_of};
use crate::status::en_status;

/// A step's values on the neuron's side.
enum Values<'a> {
    Host(HostSlice<'a>),
    Device(DeviceValues),
}

/// `len` values of `dtype` at `ptr`, checked for the neuron's side: host
/// memory for a CPU neuron; device memory of the neuron's context (the
/// whole span allocated, as far as the driver can tell) for a CUDA one.
///
/// # Safety
/// `ptr` is NULL or points to `len` values of `dtype` on the neuron's side,
/// unwritten until the step has run.
unsafe fn values_on<'a>(
    neuron: &AnyNeuron,
    what: &'static str,
    dtype: DType,
    ptr: *const c_void,
    len: usize,
) -> Outcome<Values<'a>> {
    match neuron {
        // SAFETY: passed on from this function's contract.
        AnyNeuron::Cpu(_) => Ok(Values::Host(unsafe { host_values(what, dtype, ptr, len) }?)),
        AnyNeuron::Cuda(cuda) => {
            let stream = cuda.device().stream().clone();
            stream.context().bind_to_thread().map_err(Error::from)?;
            let bytes = byte_len(what, dtype, len)?;
            let addr = device_buffer(what, stream.context(), ptr, bytes, dtype.size())?;
            // SAFETY: `len` values of `dtype` at `addr` in the stream's
            // context (checked by the driver where it can tell, and this
            // function's contract), unwritten until the step has run.
            Ok(Values::Device(unsafe {
                DeviceValues::new(stream, dtype, addr, len)
            }))
        }
    }
}

/// An output of `bytes` bytes at `ptr` on the neuron's side, aligned for
/// its values: its address.
fn output_on(
    neuron: &AnyNeuron,
    what: &'static str,
    ptr: *mut c_void,
    bytes: usize,
    alignment: usize,
) -> Outcome<u64> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    match neuron {
        AnyNeuron::Cpu(_) => {
            if ptr as usize % alignment != 0 {
                return Err(Failure::new(
                    en_status::EN_ERR_BAD_VALUES,
                    format!("{what} ({ptr:p}) is not aligned to {alignment} bytes, as its values must be"),
                ));
            }
            Ok(ptr as usize as u64)
        }
        AnyNeuron::Cuda(cuda) => {
            let context = cuda.device().stream().context().clone();
            context.bind_to_thread().map_err(Error::from)?;
            device_buffer(what, &context, ptr.cast_const(), bytes, alignment)
        }
    }
}

/// The rule's name for its values, and the check that `dtype` has a kernel
/// for it (the first thing wrong with a call, whatever its values hold).
fn rule_values(rule: SpikeRule, dtype: DType) -> Outcome<&'static str> {
    kernel_for(rule.bytes_op(), dtype)?;
    Ok(match rule {
        SpikeRule::Threshold => "inputs",
        SpikeRule::Override => "override",
    })
}

/// Words per batch row and words of the bit state.
fn bit_sizes(neuron: &AnyNeuron) -> (usize, usize) {
    match neuron {
        AnyNeuron::Cpu(n) => (n.words_per_row(), n.bits_len()),
        AnyNeuron::Cuda(n) => (n.words_per_row(), n.bits_len()),
    }
}

/// A one-step call's handle, type and values, checked in order.
///
/// # Safety
/// As [`values_on`]; `neuron` is NULL or a live, unshared handle.
unsafe fn one_step<'a>(
    neuron: *mut en_neuron,
    rule: SpikeRule,
    code: en_dtype_code,
    values: *const c_void,
    len: usize,
) -> Outcome<(&'a mut AnyNeuron, Values<'a>)> {
    // SAFETY: NULL or live and unshared (the contract).
    let neuron = unsafe { handle(neuron) }?;
    let dtype = dtype_of(code)?;
    let what = rule_values(rule, dtype)?;
    if values.is_null() {
        return Err(Failure::null(what));
    }
    check_len(what, neuron.len(), len)?;
    // SAFETY: passed on from this function's contract.
    let values = unsafe { values_on(neuron, what, dtype, values, len) }?;
    Ok((neuron, values))
}

/// One step that writes the spikes as bits.
///
/// # Safety
/// As [`en_neuron_forward_bits`].
unsafe fn step_bits(
    neuron: *mut en_neuron,
    rule: SpikeRule,
    code: en_dtype_code,
    values: *const c_void,
    len: usize,
) -> Outcome {
    // SAFETY: passed on from the entries' contract.
    let (neuron, values) = unsafe { one_step(neuron, rule, code, values, len) }?;
    match (neuron, values) {
        (neuron @ AnyNeuron::Cpu(_), Values::Host(host)) => drop(neuron.forward_bits(rule, host)?),
        (AnyNeuron::Cuda(cuda), Values::Device(device)) => {
            cuda_steps::forward_bits(cuda, rule, &device)?
        }
        _ => unreachable!("values_on gives the neuron's side"),
    }
    Ok(())
}

/// One step in threshold mode, as `en_neuron_forward`, by the kernels that
/// write the spikes as bits: afterwards `en_neuron_spike_bits` gives them
/// with no further launch (and `en_neuron_spikes` the bytes, unpacked in a
/// second launch). The bit view's buffer is made by the first call that
/// needs it: on CUDA, make one before capturing a stream into a graph.
///
/// # Safety
/// As `en_neuron_forward`.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_forward_bits(
    neuron: *mut en_neuron,
    dtype: en_dtype_code,
    inputs: *const c_void,
    len: usize,
) -> en_status {
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe { step_bits(neuron, SpikeRule::Threshold, dtype, inputs, len) })
}

/// One step with an override, as `en_neuron_forward_override`, by the
/// kernels that write the spikes as bits (see `en_neuron_forward_bits`).
///
/// # Safety
/// As `en_neuron_forward`.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_forward_override_bits(
    neuron: *mut en_neuron,
    dtype: en_dtype_code,
    values: *const c_void,
    len: usize,
) -> en_status {
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe { step_bits(neuron, SpikeRule::Override, dtype, values, len) })
}

/// Words per batch row of the spikes as bits, `ceil(prod(shape) / 32)`;
/// 0 for NULL.
///
/// # Safety
/// `neuron` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_words_per_row(neuron: *const en_neuron) -> usize {
    plain(0, || {
        // SAFETY: NULL or live (the contract).
        let neuron = unsafe { neuron.as_ref() };
        neuron.map_or(0, |n| bit_sizes(n.inner()).0)
    })
}

/// Words of the spikes as bits, `batch_size * en_neuron_words_per_row`;
/// 0 for NULL.
///
/// # Safety
/// `neuron` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_bits_len(neuron: *const en_neuron) -> usize {
    plain(0, || {
        // SAFETY: NULL or live (the contract).
        let neuron = unsafe { neuron.as_ref() };
        neuron.map_or(0, |n| bit_sizes(n.inner()).1)
    })
}

/// Stores in `*words` the address of the spikes as bits: `en_neuron_bits_len`
/// `uint32_t` words, `batch_size` rows of `en_neuron_words_per_row` words;
/// bit `j` (LSB first) of word `w` of row `b` is the spike of neuron
/// `32 w + j` of sample `b`, padding bits 0 (GeNN's layout). Host memory
/// for a CPU neuron, device memory for a CUDA one. Packed here when the
/// state changed since (a kernel queued on the stream, nothing waited for);
/// fresh with no launch after `en_neuron_forward_bits` or a multi-step call
/// in bits. The address stays valid, and the words current, until the next
/// call that changes the state or `en_neuron_free`. The first call makes
/// the buffer: on CUDA, before capturing a stream into a graph.
///
/// # Safety
/// `neuron` is NULL or a live handle; `words` is NULL or a valid place for
/// a pointer. The words are the library's: read them, never write them.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_spike_bits(
    neuron: *mut en_neuron,
    words: *mut *const u32,
) -> en_status {
    entry(|| {
        // SAFETY: NULL or live and unshared (the contract).
        let neuron = unsafe { handle(neuron) }?;
        if words.is_null() {
            return Err(Failure::null("words"));
        }
        let addr = match neuron {
            AnyNeuron::Cpu(cpu) => cpu.spike_bits()?.as_ptr(),
            AnyNeuron::Cuda(cuda) => {
                let stream = cuda.device().stream().clone();
                let bits = cuda.spike_bits()?;
                // The guard records nothing: event tracking is off.
                let (addr, _guard) = bits.device_ptr(&stream);
                addr as usize as *const u32
            }
        };
        // SAFETY: `words` is a valid place for a pointer (the contract).
        unsafe { words.write(addr) };
        Ok(())
    })
}

/// The fused step and the voltage view's address.
///
/// # Safety
/// As [`en_neuron_forward_with_voltage`].
unsafe fn step_with_voltage(
    neuron: *mut en_neuron,
    rule: SpikeRule,
    code: en_dtype_code,
    values: *const c_void,
    len: usize,
    voltage_code: en_dtype_code,
    voltage: *mut *const c_void,
) -> Outcome {
    {
        // The checks that come before the values', in the order of the
        // arguments: the handle, the two types, the out pointer.
        // SAFETY: NULL or live and unshared (the contract).
        unsafe { handle(neuron) }?;
        dtype_of(code)?;
    }
    let vtype = match voltage_of(voltage_code, false)? {
        Some(vtype) => vtype,
        None => unreachable!("the pointer given is not NULL"),
    };
    if voltage.is_null() {
        return Err(Failure::null("voltage"));
    }
    // SAFETY: passed on from the entries' contract.
    let (neuron, values) = unsafe { one_step(neuron, rule, code, values, len) }?;
    match (&mut *neuron, values) {
        (neuron @ AnyNeuron::Cpu(_), Values::Host(host)) => {
            neuron.forward_with_voltage(rule, host, vtype)?
        }
        (AnyNeuron::Cuda(cuda), Values::Device(device)) => {
            cuda.forward_with_voltage_dyn(rule, &device, vtype)?
        }
        _ => unreachable!("values_on gives the neuron's side"),
    }
    // The view is fresh: this only reads its address.
    let addr = match vtype {
        DType::F16 => voltage_addr::<f16>(neuron),
        DType::BF16 => voltage_addr::<bf16>(neuron),
        DType::F32 => voltage_addr::<f32>(neuron),
        DType::F64 => voltage_addr::<f64>(neuron),
        DType::Bool | DType::U8 => unreachable!("voltage_of refused it"),
    }?;
    // SAFETY: `voltage` is a valid place for a pointer (the contract).
    unsafe { voltage.write(addr) };
    Ok(())
}

/// One step in threshold mode, as `en_neuron_forward`, that also writes the
/// voltage view in `voltage_dtype` (`EN_F16`, `EN_BF16`, `EN_F32`,
/// `EN_F64`) in the same launch (the fused step), and stores its address
/// in `*voltage`, as `en_neuron_voltage` would give it (no launch of its
/// own). A voltage that does not fit the type
/// (`EN_ERR_VOLTAGE_OVERFLOW`) is refused before the step. The view's
/// buffer is made by the first call for each type: on CUDA, before
/// capturing a stream into a graph.
///
/// # Safety
/// As `en_neuron_forward`; `voltage` is NULL or a valid place for a
/// pointer.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_forward_with_voltage(
    neuron: *mut en_neuron,
    dtype: en_dtype_code,
    inputs: *const c_void,
    len: usize,
    voltage_dtype: en_dtype_code,
    voltage: *mut *const c_void,
) -> en_status {
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe {
        step_with_voltage(
            neuron,
            SpikeRule::Threshold,
            dtype,
            inputs,
            len,
            voltage_dtype,
            voltage,
        )
    })
}

/// The fused step of an override, as `en_neuron_forward_with_voltage`.
///
/// # Safety
/// As `en_neuron_forward_with_voltage`.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_forward_override_with_voltage(
    neuron: *mut en_neuron,
    dtype: en_dtype_code,
    values: *const c_void,
    len: usize,
    voltage_dtype: en_dtype_code,
    voltage: *mut *const c_void,
) -> en_status {
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe {
        step_with_voltage(
            neuron,
            SpikeRule::Override,
            dtype,
            values,
            len,
            voltage_dtype,
            voltage,
        )
    })
}

/// `T` steps in one launch into the caller's traces.
///
/// # Safety
/// As [`en_neuron_forward_steps`].
#[allow(clippy::too_many_arguments)]
unsafe fn steps(
    neuron: *mut en_neuron,
    rule: SpikeRule,
    code: en_dtype_code,
    values: *const c_void,
    len: usize,
    format_code: en_spike_format_code,
    spike_trace: *mut c_void,
    trace_len: usize,
    voltage_code: en_dtype_code,
    voltage_trace: *mut c_void,
    voltage_len: usize,
) -> Outcome {
    // SAFETY: NULL or live and unshared (the contract).
    let neuron = unsafe { handle(neuron) }?;
    let dtype = dtype_of(code)?;
    let what = rule_values(rule, dtype)?;
    let format = format_of(format_code)?;
    let vtype = voltage_of(voltage_code, voltage_trace.is_null())?;
    if values.is_null() {
        return Err(Failure::null(what));
    }
    if spike_trace.is_null() {
        return Err(Failure::null("spike_trace"));
    }
    let n = neuron.len();
    if len == 0 || len % n != 0 {
        return Err(Failure::new(
            en_status::EN_ERR_LENGTH_MISMATCH,
            format!("{what} has {len} elements, expected a positive multiple of {n} (steps * en_neuron_len)"),
        ));
    }
    let step_count = len / n;
    let (trace_elements, trace_item) = match format {
        SpikeFormat::Bytes => (len, 1),
        // steps * bits_len <= steps * n = len: no overflow
        SpikeFormat::Bits => (step_count * bit_sizes(neuron).1, 4),
    };
    check_len("spike_trace", trace_elements, trace_len)?;
    check_len(
        "voltage_trace",
        if vtype.is_some() { len } else { 0 },
        voltage_len,
    )?;
    // SAFETY: passed on from this function's contract.
    let input = unsafe { values_on(neuron, what, dtype, values, len) }?;
    let item = if trace_item == 1 {
        DType::U8
    } else {
        DType::F32
    };
    let trace_bytes = byte_len("spike_trace", item, trace_len)?;
    let trace = output_on(neuron, "spike_trace", spike_trace, trace_bytes, trace_item)?;
    let voltage = match vtype {
        Some(vtype) => {
            let bytes = byte_len("voltage_trace", vtype, len)?;
            let addr = output_on(neuron, "voltage_trace", voltage_trace, bytes, vtype.size())?;
            Some((vtype, addr, bytes))
        }
        None => None,
    };
    match (&mut *neuron, input) {
        (neuron @ AnyNeuron::Cpu(_), Values::Host(host)) => {
            let result = neuron.forward_steps(rule, host, format, vtype)?;
            // SAFETY: `trace` is the caller's host buffer of `trace_len`
            // elements of the format's type, aligned for it (checked
            // above; the contract says it holds that many), disjoint from
            // the library's own copy, whose length is the same.
            unsafe {
                match &result.spikes {
                    SpikeTrace::Bytes(bytes) => std::ptr::copy_nonoverlapping(
                        bytes.as_ptr(),
                        trace as usize as *mut u8,
                        bytes.len().min(trace_len),
                    ),
                    SpikeTrace::Bits(words) => std::ptr::copy_nonoverlapping(
                        words.as_ptr(),
                        trace as usize as *mut u32,
                        words.len().min(trace_len),
                    ),
                }
            };
            if let (Some((_, addr, bytes)), Some(values)) = (voltage, &result.voltage) {
                let host = values.as_bytes();
                // SAFETY: as above, for the voltage buffer of `bytes` bytes.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        host.as_ptr(),
                        addr as usize as *mut u8,
                        host.len().min(bytes),
                    )
                };
            }
        }
        (AnyNeuron::Cuda(cuda), Values::Device(device)) => {
            let outputs = StepOutputs {
                format,
                trace,
                trace_len,
                voltage: voltage.map(|(vtype, addr, _)| (vtype, addr)),
            };
            // SAFETY: the outputs are device memory of the neuron's context
            // holding their lengths (checked by the driver where it can
            // tell, and this function's contract).
            unsafe { cuda_steps::forward_steps(cuda, rule, &device, &outputs) }?;
        }
        _ => unreachable!("values_on gives the neuron's side"),
    }
    Ok(())
}

/// `T` steps in threshold mode in one launch: `inputs` holds `len = T *
/// en_neuron_len` values of `dtype`, step-major (each step's inputs laid end
/// to end). The spikes of every step go to `spike_trace` in
/// `spike_format`: `EN_SPIKES_BYTES`, `trace_len = len` bytes (`uint8_t`,
/// 0 or 1); `EN_SPIKES_BITS`, `trace_len = T * en_neuron_bits_len` words
/// (`uint32_t`, each step in the layout of `en_neuron_spike_bits`). With a
/// `voltage_dtype` (`EN_F16` to `EN_F64`), the voltage after every step
/// goes to `voltage_trace` (`voltage_len = len` values); with
/// `EN_NO_VOLTAGE`, pass NULL and 0. The state afterwards is the last
/// step's. Any length that does not fit (`len` 0 or no multiple of
/// `en_neuron_len`, a trace of another length) is `EN_ERR_LENGTH_MISMATCH`,
/// an unknown format `EN_ERR_BAD_FORMAT`; nothing changes then. Host
/// buffers for a CPU neuron; device buffers for a CUDA one, queued on its
/// stream and not waited for (allocating nothing, except the bit view's
/// buffer on the first call in bits).
///
/// # Safety
/// `neuron` is NULL or a live handle; `inputs` is NULL or holds `len`
/// values of `dtype`; `spike_trace` and `voltage_trace` are NULL or hold
/// `trace_len` and `voltage_len` elements, on the neuron's side, unused by
/// anything else until the steps have run.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_forward_steps(
    neuron: *mut en_neuron,
    dtype: en_dtype_code,
    inputs: *const c_void,
    len: usize,
    spike_format: en_spike_format_code,
    spike_trace: *mut c_void,
    trace_len: usize,
    voltage_dtype: en_dtype_code,
    voltage_trace: *mut c_void,
    voltage_len: usize,
) -> en_status {
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe {
        steps(
            neuron,
            SpikeRule::Threshold,
            dtype,
            inputs,
            len,
            spike_format,
            spike_trace,
            trace_len,
            voltage_dtype,
            voltage_trace,
            voltage_len,
        )
    })
}

/// `T` override steps in one launch, as `en_neuron_forward_steps`.
///
/// # Safety
/// As `en_neuron_forward_steps`.
#[no_mangle]
pub unsafe extern "C" fn en_neuron_forward_override_steps(
    neuron: *mut en_neuron,
    dtype: en_dtype_code,
    values: *const c_void,
    len: usize,
    spike_format: en_spike_format_code,
    spike_trace: *mut c_void,
    trace_len: usize,
    voltage_dtype: en_dtype_code,
    voltage_trace: *mut c_void,
    voltage_len: usize,
) -> en_status {
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe {
        steps(
            neuron,
            SpikeRule::Override,
            dtype,
            values,
            len,
            spike_format,
            spike_trace,
            trace_len,
            voltage_dtype,
            voltage_trace,
            voltage_len,
        )
    })
}
