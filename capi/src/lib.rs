//! # exact-neuron-c
//!
//! The C ABI of [exact-neuron](exact_neuron): `libexact_neuron_c.a` and
//! `libexact_neuron_c.so`, declared by `include/exact_neuron.h` (generated
//! from these declarations by cbindgen; a test keeps the checked-in header
//! equal to them).
//!
//! Every entry point:
//!
//! - checks its pointers, lengths and element type before touching anything,
//!   and answers bad input with a nonzero [`en_status`] and a message for
//!   [`en_last_error`], changing no state;
//! - runs under `catch_unwind`, so that no panic unwinds into C (it becomes
//!   [`en_status::EN_ERR_INTERNAL`]);
//! - leaves the thread's last error empty when it succeeds.
//!
//! A CPU neuron takes and gives host pointers; a CUDA neuron takes and gives
//! device pointers of its device's primary context, and queues its work on
//! the caller's stream (see [`en_neuron_new_cuda`]).

// The C names (`en_neuron`, `en_status`, `EN_OK`) are the ABI.
#![allow(non_camel_case_types)]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod cuda_device;
mod cuda_steps;
mod device_memory;
mod dtype;
mod entry;
mod host_memory;
mod last_error;
mod launches;
mod launches_bits;
mod neuron;
mod neuron_steps;
mod spike_format;
mod status;
mod version;

pub use dtype::{en_dtype, en_dtype_code};
pub use last_error::en_last_error;
pub use launches::{en_launch_override, en_launch_threshold, en_launch_voltage};
pub use launches_bits::{
    en_launch_override_bits, en_launch_pack_bits, en_launch_step, en_launch_step_bits,
    en_launch_step_bits_override, en_launch_step_override, en_launch_threshold_bits,
    en_launch_unpack_bits, en_launch_voltage_bits,
};
pub use neuron::{
    en_neuron, en_neuron_batch_size, en_neuron_clear, en_neuron_forward,
    en_neuron_forward_override, en_neuron_free, en_neuron_is_cuda, en_neuron_len,
    en_neuron_new_cpu, en_neuron_new_cuda, en_neuron_set_batch_size, en_neuron_spikes,
    en_neuron_voltage,
};
pub use neuron_steps::{
    en_neuron_bits_len, en_neuron_forward_bits, en_neuron_forward_override_bits,
    en_neuron_forward_override_steps, en_neuron_forward_override_with_voltage,
    en_neuron_forward_steps, en_neuron_forward_with_voltage, en_neuron_spike_bits,
    en_neuron_words_per_row,
};
pub use spike_format::{en_spike_format, en_spike_format_code, EN_NO_VOLTAGE};
pub use status::{en_status, en_status_name};
pub use version::en_version;
