//! Stateless launches on spike bits and the fused step, on raw device
//! pointers: one kernel each, queued on the caller's stream, nothing
//! allocated and nothing waited for (so each can be captured into a CUDA
//! graph). Bits are GeNN's layout: `rows` rows of `count` neurons, each row
//! `ceil(count / 32)` `uint32_t` words, bit `j` (LSB first) of word `w` the
//! neuron `32 w + j`, padding bits 0.

use std::ffi::{c_int, c_void};

use exact_neuron::kernel::SpikeRule;
use exact_neuron::launch::{kernel_for, words_per_row, LaunchPlan, VoltageTarget};
use exact_neuron::DType;

use crate::dtype::{dtype_of, en_dtype_code};
use crate::entry::{entry, Failure, Outcome};
use crate::host_memory::byte_len;
use crate::launches::{given, launch, voltage_bits, Buffer};
use crate::spike_format::voltage_of;
use crate::status::en_status;

/// `rows * count` (the neurons) and `rows * ceil(count / 32)` (the words),
/// with neither factor 0 (`EN_ERR_LENGTH_MISMATCH`) nor the product too
/// large (`EN_ERR_TOO_LARGE`).
fn grid_of(rows: usize, count: usize) -> Outcome<(usize, usize)> {
    for (name, value) in [("rows", rows), ("count", count)] {
        if value == 0 {
            return Err(Failure::new(
                en_status::EN_ERR_LENGTH_MISMATCH,
                format!("{name} is 0: a launch needs at least one element"),
            ));
        }
    }
    let neurons = rows.checked_mul(count).ok_or_else(|| {
        Failure::new(
            en_status::EN_ERR_TOO_LARGE,
            format!("{rows} rows of {count} neurons are too many to address"),
        )
    })?;
    // rows * ceil(count / 32) <= rows * count
    Ok((neurons, rows * words_per_row(count)))
}

/// Threshold or override into bits.
///
/// # Safety
/// As the entries that call it.
#[allow(clippy::too_many_arguments)]
unsafe fn pack(
    device: c_int,
    stream: *mut c_void,
    rule: SpikeRule,
    dtype: DType,
    what: &'static str,
    values: *const c_void,
    rows: usize,
    count: usize,
    words: *mut u32,
) -> Outcome {
    kernel_for(rule.bits_op(dtype), dtype)?;
    given(what, values)?;
    given("words", words)?;
    let (neurons, word_count) = grid_of(rows, count)?;
    let value_bytes = byte_len(what, dtype, neurons)?;
    let word_bytes = byte_len("words", DType::F32, word_count)?;
    let buffers = [
        (what, values, value_bytes, dtype.size()),
        ("words", words.cast_const().cast(), word_bytes, 4),
    ];
    // SAFETY: passed on from the entries' contract.
    unsafe {
        launch(device, stream, &buffers, |a, limits| match rule {
            SpikeRule::Threshold => {
                LaunchPlan::threshold_bits_dyn(dtype, rows, count, a[1], a[0], limits)
            }
            SpikeRule::Override => {
                LaunchPlan::overrides_bits_dyn(dtype, rows, count, a[1], a[0], limits)
            }
        })
    }
}

/// Queues threshold mode into bits on raw device pointers: the bit of
/// neuron `c` of row `r` is `inputs[r * count + c] > 0`, into `rows *
/// ceil(count / 32)` words. `inputs` in `dtype` (`EN_F16`, `EN_BF16`,
/// `EN_F32`, `EN_F64`). A batch of a neuron group is `rows = batch_size`,
/// `count = prod(shape)`; a trace of `T` steps `rows = T * batch_size`.
/// `rows` or `count` 0 is `EN_ERR_LENGTH_MISMATCH`, a product beyond the
/// address space `EN_ERR_TOO_LARGE`. `device`, `stream` and the pointer
/// checks as for `en_launch_threshold`.
///
/// # Safety
/// `inputs` and `words` are NULL or device memory holding `rows * count`
/// values and `rows * ceil(count / 32)` words, live and not used by
/// anything that races with the kernel until it has run on `stream`;
/// `stream` as for `en_neuron_new_cuda`.
#[no_mangle]
pub unsafe extern "C" fn en_launch_threshold_bits(
    device: c_int,
    stream: *mut c_void,
    dtype: en_dtype_code,
    inputs: *const c_void,
    rows: usize,
    count: usize,
    words: *mut u32,
) -> en_status {
    entry(|| {
        let dtype = dtype_of(dtype)?;
        // SAFETY: passed on from this function's contract.
        unsafe {
            pack(
                device,
                stream,
                SpikeRule::Threshold,
                dtype,
                "inputs",
                inputs,
                rows,
                count,
                words,
            )
        }
    })
}

/// Queues an override into bits (`values[i] != 0`), `values` in any of the
/// six types, as `en_launch_threshold_bits`.
///
/// # Safety
/// As `en_launch_threshold_bits`.
#[no_mangle]
pub unsafe extern "C" fn en_launch_override_bits(
    device: c_int,
    stream: *mut c_void,
    dtype: en_dtype_code,
    values: *const c_void,
    rows: usize,
    count: usize,
    words: *mut u32,
) -> en_status {
    entry(|| {
        let dtype = dtype_of(dtype)?;
        // SAFETY: passed on from this function's contract.
        unsafe {
            pack(
                device,
                stream,
                SpikeRule::Override,
                dtype,
                "override",
                values,
                rows,
                count,
                words,
            )
        }
    })
}

/// Queues packing spike bytes into bits: the bit of neuron `c` of row `r`
/// is `spikes[r * count + c] != 0`. As `en_launch_threshold_bits`.
///
/// # Safety
/// As `en_launch_threshold_bits`, `spikes` holding `rows * count` bytes.
#[no_mangle]
pub unsafe extern "C" fn en_launch_pack_bits(
    device: c_int,
    stream: *mut c_void,
    spikes: *const u8,
    rows: usize,
    count: usize,
    words: *mut u32,
) -> en_status {
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe {
        pack(
            device,
            stream,
            SpikeRule::Override,
            DType::U8,
            "spikes",
            spikes.cast(),
            rows,
            count,
            words,
        )
    })
}

/// Queues unpacking bits into spike bytes (0 or 1): `spikes[r * count + c]`
/// is the bit of neuron `c` of row `r`. As `en_launch_threshold_bits`.
///
/// # Safety
/// `words` and `spikes` are NULL or device memory holding `rows * ceil(count
/// / 32)` words and `rows * count` bytes; otherwise as
/// `en_launch_threshold_bits`.
#[no_mangle]
pub unsafe extern "C" fn en_launch_unpack_bits(
    device: c_int,
    stream: *mut c_void,
    words: *const u32,
    rows: usize,
    count: usize,
    spikes: *mut u8,
) -> en_status {
    entry(|| {
        given("words", words)?;
        given("spikes", spikes)?;
        let (neurons, word_count) = grid_of(rows, count)?;
        let word_bytes = byte_len("words", DType::F32, word_count)?;
        let buffers = [
            ("words", words.cast(), word_bytes, 4),
            ("spikes", spikes.cast_const().cast(), neurons, 1),
        ];
        // SAFETY: passed on from this function's contract.
        unsafe {
            launch(device, stream, &buffers, |a, limits| {
                LaunchPlan::unpack_bits(rows, count, a[1], a[0], limits)
            })
        }
    })
}

/// Queues the voltage view from bits: `voltage[r * count + c]` is
/// `thresh_v` where the bit of neuron `c` of row `r` is set, else `rest_v`,
/// in `dtype` (`EN_F16`, `EN_BF16`, `EN_F32`, `EN_F64`), rounded as
/// `en_launch_voltage` rounds them (`EN_ERR_VOLTAGE_OVERFLOW`). As
/// `en_launch_threshold_bits` otherwise.
///
/// # Safety
/// `words` and `voltage` are NULL or device memory holding `rows *
/// ceil(count / 32)` words and `rows * count` values; otherwise as
/// `en_launch_threshold_bits`.
#[no_mangle]
pub unsafe extern "C" fn en_launch_voltage_bits(
    device: c_int,
    stream: *mut c_void,
    dtype: en_dtype_code,
    words: *const u32,
    rows: usize,
    count: usize,
    rest_v: f64,
    thresh_v: f64,
    voltage: *mut c_void,
) -> en_status {
    entry(|| {
        let dtype = dtype_of(dtype)?;
        given("words", words)?;
        given("voltage", voltage)?;
        let (neurons, word_count) = grid_of(rows, count)?;
        let (rest, thresh) = voltage_bits(dtype, rest_v, thresh_v)?;
        let word_bytes = byte_len("words", DType::F32, word_count)?;
        let voltage_bytes = byte_len("voltage", dtype, neurons)?;
        let buffers = [
            ("words", words.cast(), word_bytes, 4),
            ("voltage", voltage.cast_const(), voltage_bytes, dtype.size()),
        ];
        // SAFETY: passed on from this function's contract.
        unsafe {
            launch(device, stream, &buffers, |a, limits| {
                LaunchPlan::voltage_bits_dyn(dtype, rows, count, a[1], a[0], rest, thresh, limits)
            })
        }
    })
}

/// The arguments a fused launch shares, in the order C passes them.
struct Fused {
    device: c_int,
    stream: *mut c_void,
    rule: SpikeRule,
    dtype: en_dtype_code,
    inputs: *const c_void,
    voltage_dtype: en_dtype_code,
    voltage: *mut c_void,
    rest_v: f64,
    thresh_v: f64,
}

/// The checks a fused launch makes before its outputs': the input type
/// (with a kernel for the rule), the voltage type and pointer, the inputs.
fn fused_checks(args: &Fused, op: exact_neuron::kernel::Op) -> Outcome<(DType, Option<DType>)> {
    let dtype = dtype_of(args.dtype)?;
    kernel_for(op, dtype)?;
    let vtype = voltage_of(args.voltage_dtype, args.voltage.is_null())?;
    given(rule_name(args.rule), args.inputs)?;
    Ok((dtype, vtype))
}

fn rule_name(rule: SpikeRule) -> &'static str {
    match rule {
        SpikeRule::Threshold => "inputs",
        SpikeRule::Override => "override",
    }
}

/// The voltage target's bits and buffer, if a voltage is asked for.
fn voltage_part(
    args: &Fused,
    vtype: Option<DType>,
    neurons: usize,
) -> Outcome<Option<(DType, u64, u64, Buffer)>> {
    vtype
        .map(|vtype| {
            let (rest, thresh) = voltage_bits(vtype, args.rest_v, args.thresh_v)?;
            let bytes = byte_len("voltage", vtype, neurons)?;
            Ok((
                vtype,
                rest,
                thresh,
                ("voltage", args.voltage.cast_const(), bytes, vtype.size()),
            ))
        })
        .transpose()
}

/// The state argument: NULL and 0 for none; else at most `total` elements,
/// a whole number of `unit`s. Returns the element it starts copying from.
fn state_part(
    state: *const c_void,
    state_len: usize,
    total: usize,
    unit: usize,
) -> Outcome<Option<usize>> {
    match (state.is_null(), state_len) {
        (true, 0) => Ok(None),
        (true, _) => Err(Failure::null("state (with state_len > 0)")),
        (false, 0) => Err(Failure::new(
            en_status::EN_ERR_LENGTH_MISMATCH,
            "state_len is 0 with a state buffer (pass NULL for no state)",
        )),
        (false, len) if len > total || len % unit != 0 => Err(Failure::new(
            en_status::EN_ERR_LENGTH_MISMATCH,
            format!(
                "state has {len} elements, expected a multiple of {unit} up to the output's {total}"
            ),
        )),
        (false, len) => Ok(Some(total - len)),
    }
}

/// A fused step with spike bytes.
///
/// # Safety
/// As [`en_launch_step`].
unsafe fn step_bytes(
    args: Fused,
    len: usize,
    spikes: *mut u8,
    state: *mut u8,
    state_len: usize,
) -> Outcome {
    let (dtype, vtype) = fused_checks(&args, args.rule.step_op())?;
    given("spikes", spikes)?;
    crate::launches::check_nonzero(len)?;
    let first = state_part(state.cast_const().cast(), state_len, len, 1)?;
    let input_bytes = byte_len(rule_name(args.rule), dtype, len)?;
    let voltage = voltage_part(&args, vtype, len)?;
    let mut buffers = vec![
        (rule_name(args.rule), args.inputs, input_bytes, dtype.size()),
        ("spikes", spikes.cast_const().cast(), len, 1),
    ];
    if let Some((_, _, _, buffer)) = voltage {
        buffers.push(buffer);
    }
    if first.is_some() {
        buffers.push(("state", state.cast_const().cast(), state_len, 1));
    }
    // SAFETY: passed on from the entries' contract.
    unsafe {
        launch(args.device, args.stream, &buffers, |a, limits| {
            let target = voltage.map(|(vtype, rest, thresh, _)| VoltageTarget {
                addr: a[2],
                dtype: vtype,
                rest,
                thresh,
            });
            let state = first.map(|first| (a[buffers.len() - 1], first));
            LaunchPlan::step_dyn(args.rule, dtype, len, a[1], a[0], target, state, limits)
        })
    }
}

/// Queues a fused step on raw device pointers: `spikes[i] = inputs[i] > 0`
/// for `i < len`, `inputs` in `dtype` (`EN_F16` to `EN_F64`), and in the
/// same kernel, with a `voltage_dtype` (`EN_F16` to `EN_F64`), `voltage[i]
/// = spikes[i] ? thresh_v : rest_v` (rounded as `en_launch_voltage` rounds
/// them); with `EN_NO_VOLTAGE`, `voltage` must be NULL. A `state` of
/// `state_len` bytes (NULL and 0: none) also gets the spikes of the last
/// `state_len` elements: with `len = T * n` inputs of `T` steps of a group
/// of `n`, `state_len = n` leaves the last step's spikes there. As
/// `en_launch_threshold` otherwise.
///
/// # Safety
/// `inputs`, `spikes`, `voltage` and `state` are NULL or device memory
/// holding `len`, `len`, `len` and `state_len` values, live and not used by
/// anything that races with the kernel until it has run on `stream`;
/// `stream` as for `en_neuron_new_cuda`.
#[no_mangle]
pub unsafe extern "C" fn en_launch_step(
    device: c_int,
    stream: *mut c_void,
    dtype: en_dtype_code,
    inputs: *const c_void,
    len: usize,
    spikes: *mut u8,
    voltage_dtype: en_dtype_code,
    voltage: *mut c_void,
    rest_v: f64,
    thresh_v: f64,
    state: *mut u8,
    state_len: usize,
) -> en_status {
    let args = Fused {
        device,
        stream,
        rule: SpikeRule::Threshold,
        dtype,
        inputs,
        voltage_dtype,
        voltage,
        rest_v,
        thresh_v,
    };
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe { step_bytes(args, len, spikes, state, state_len) })
}

/// The fused step of an override (`spikes[i] = values[i] != 0`, `values`
/// in any of the six types), as `en_launch_step`.
///
/// # Safety
/// As `en_launch_step`.
#[no_mangle]
pub unsafe extern "C" fn en_launch_step_override(
    device: c_int,
    stream: *mut c_void,
    dtype: en_dtype_code,
    values: *const c_void,
    len: usize,
    spikes: *mut u8,
    voltage_dtype: en_dtype_code,
    voltage: *mut c_void,
    rest_v: f64,
    thresh_v: f64,
    state: *mut u8,
    state_len: usize,
) -> en_status {
    let args = Fused {
        device,
        stream,
        rule: SpikeRule::Override,
        dtype,
        inputs: values,
        voltage_dtype,
        voltage,
        rest_v,
        thresh_v,
    };
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe { step_bytes(args, len, spikes, state, state_len) })
}

/// A fused step with spike bits.
///
/// # Safety
/// As [`en_launch_step_bits`].
unsafe fn step_words(
    args: Fused,
    rows: usize,
    count: usize,
    words: *mut u32,
    state: *mut u32,
    state_words: usize,
) -> Outcome {
    let (dtype, vtype) = fused_checks(&args, args.rule.step_bits_op())?;
    given("words", words)?;
    let (neurons, word_count) = grid_of(rows, count)?;
    let per_row = words_per_row(count);
    let first_row = state_part(state.cast_const().cast(), state_words, word_count, per_row)?
        .map(|first_word| first_word / per_row);
    let input_bytes = byte_len(rule_name(args.rule), dtype, neurons)?;
    let word_bytes = byte_len("words", DType::F32, word_count)?;
    let voltage = voltage_part(&args, vtype, neurons)?;
    let mut buffers = vec![
        (rule_name(args.rule), args.inputs, input_bytes, dtype.size()),
        ("words", words.cast_const().cast(), word_bytes, 4),
    ];
    if let Some((_, _, _, buffer)) = voltage {
        buffers.push(buffer);
    }
    if first_row.is_some() {
        // state_words <= word_count, whose bytes are addressable
        buffers.push(("state", state.cast_const().cast(), state_words * 4, 4));
    }
    // SAFETY: passed on from the entries' contract.
    unsafe {
        launch(args.device, args.stream, &buffers, |a, limits| {
            let target = voltage.map(|(vtype, rest, thresh, _)| VoltageTarget {
                addr: a[2],
                dtype: vtype,
                rest,
                thresh,
            });
            let state = first_row.map(|first| (a[buffers.len() - 1], first));
            LaunchPlan::step_bits_dyn(
                args.rule, dtype, rows, count, a[1], a[0], target, state, limits,
            )
        })
    }
}

/// Queues a fused step with the spikes as bits on raw device pointers:
/// `rows` rows of `count` neurons, the bit of neuron `c` of row `r` being
/// `inputs[r * count + c] > 0`, into `rows * ceil(count / 32)` words, and
/// the voltage as in `en_launch_step`. A `state` of `state_words` words
/// (NULL and 0: none; a whole number of rows) also gets the words of the
/// last rows: with `rows = T * batch_size`, `state_words = batch_size *
/// ceil(count / 32)` leaves the last step's bits there. As
/// `en_launch_threshold_bits` otherwise.
///
/// # Safety
/// `inputs`, `words`, `voltage` and `state` are NULL or device memory
/// holding `rows * count` values, `rows * ceil(count / 32)` words, `rows *
/// count` values and `state_words` words, live and not used by anything
/// that races with the kernel until it has run on `stream`; `stream` as
/// for `en_neuron_new_cuda`.
#[no_mangle]
pub unsafe extern "C" fn en_launch_step_bits(
    device: c_int,
    stream: *mut c_void,
    dtype: en_dtype_code,
    inputs: *const c_void,
    rows: usize,
    count: usize,
    words: *mut u32,
    voltage_dtype: en_dtype_code,
    voltage: *mut c_void,
    rest_v: f64,
    thresh_v: f64,
    state: *mut u32,
    state_words: usize,
) -> en_status {
    let args = Fused {
        device,
        stream,
        rule: SpikeRule::Threshold,
        dtype,
        inputs,
        voltage_dtype,
        voltage,
        rest_v,
        thresh_v,
    };
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe { step_words(args, rows, count, words, state, state_words) })
}

/// The fused bit step of an override, as `en_launch_step_bits`.
///
/// # Safety
/// As `en_launch_step_bits`.
#[no_mangle]
pub unsafe extern "C" fn en_launch_step_bits_override(
    device: c_int,
    stream: *mut c_void,
    dtype: en_dtype_code,
    values: *const c_void,
    rows: usize,
    count: usize,
    words: *mut u32,
    voltage_dtype: en_dtype_code,
    voltage: *mut c_void,
    rest_v: f64,
    thresh_v: f64,
    state: *mut u32,
    state_words: usize,
) -> en_status {
    let args = Fused {
        device,
        stream,
        rule: SpikeRule::Override,
        dtype,
        inputs: values,
        voltage_dtype,
        voltage,
        rest_v,
        thresh_v,
    };
    // SAFETY: passed on from this function's contract.
    entry(|| unsafe { step_words(args, rows, count, words, state, state_words) })
}
