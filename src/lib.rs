//! # exact-neuron
//!
//! `ExactNeuron` from the spiking-network library
//! [inferno](https://github.com/mdominijanni/inferno) as hand-written PTX
//! kernels for CUDA, with a CPU backend that gives the same bits.
//!
//! A group of `count = prod(shape)` neurons, simulated for `batch_size`
//! samples at once, spikes where its input is positive (or where an override
//! says so). Its membrane voltage (`thresh_v` where it spiked, else
//! `rest_v`) and refractory time (zero) are derived from the spikes, lazily.
//!
//! ```
//! use exact_neuron::{CpuNeuron, NeuronParams};
//! use half::f16;
//!
//! let params = NeuronParams::new([2, 2], 1.0, -60.0, -50.0);
//! let mut neuron = CpuNeuron::cpu(&params)?;
//! neuron.forward::<f16>(&[f16::ONE, f16::NAN, f16::NEG_ZERO, f16::MIN_POSITIVE_SUBNORMAL])?;
//! assert_eq!(neuron.spike(), &[1, 0, 0, 1]);
//! neuron.forward_override::<bool>(&[false, true, false, false])?;
//! assert_eq!(neuron.voltage::<f64>()?, &[-60.0, -50.0, -60.0, -60.0]);
//! assert_eq!(neuron.refrac::<f32>()?, &[0.0; 4]);
//! # Ok::<(), exact_neuron::Error>(())
//! ```
//!
//! The same code runs on a GPU with [`CudaNeuron`] (see [`cuda`]); the
//! kernels are PTX text embedded at build time and JIT-compiled by the
//! driver, so neither nvcc nor NVRTC is needed, and a machine without CUDA
//! builds and tests the crate (the CUDA backend then reports
//! [`Error::NoDriver`]).
//!
//! Layers, lowest first: [`kernel`] (the registry of entries and their PTX),
//! [`launch`] (grid and argument plans), [`device`] (the backend trait),
//! [`ExactNeuron`] (the state machine over any device).

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod cpu;
pub mod cuda;
pub mod device;
pub mod dtype;
mod error;
pub mod kernel;
pub mod launch;
mod neuron;
mod params;
mod pyrepr;
mod shape;
mod views;

pub use cpu::{Cpu, CpuNeuron};
pub use cuda::{Cuda, CudaNeuron};
pub use device::KernelDevice;
pub use dtype::{DType, Element, OverrideValue, ThresholdInput, VoltageElement};
pub use error::{Error, Result};
pub use neuron::ExactNeuron;
pub use params::NeuronParams;
pub use shape::BatchShape;

/// Re-exported so that callers name the same `half` types as the crate.
pub use half;
