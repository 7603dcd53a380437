//! The CPU backend: the reference semantics, and the default where no GPU
//! is present.
//!
//! Buffers are `Vec`s, inputs are slices, and each operation is one plain
//! loop over bit tests that the compiler turns into vector code (no branch
//! and no allocation per element). The CUDA kernels give the same bits.

use crate::device::KernelDevice;
use crate::dtype::{Element, OverrideValue, ThresholdInput, VoltageElement};
use crate::error::{Error, Result};
use crate::neuron::ExactNeuron;
use crate::params::NeuronParams;

/// The CPU as a kernel device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cpu;

/// An [`ExactNeuron`] on the CPU.
pub type CpuNeuron = ExactNeuron<Cpu>;

impl ExactNeuron<Cpu> {
    /// A neuron group on the CPU, all spikes clear.
    pub fn cpu(params: &NeuronParams) -> Result<Self> {
        ExactNeuron::with_device(Cpu, params)
    }
}

fn same_len(what: &'static str, expected: usize, actual: usize) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            actual,
        })
    }
}

impl KernelDevice for Cpu {
    type Buffer<T: Element> = Vec<T>;
    type Slice<'a, T: Element> = [T];

    fn alloc_zeroed<T: Element>(&self, len: usize) -> Result<Vec<T>> {
        let mut buffer = Vec::new();
        buffer
            .try_reserve_exact(len)
            .map_err(|_| Error::OutOfMemory {
                bytes: len.saturating_mul(std::mem::size_of::<T>()),
            })?;
        buffer.resize(len, T::zeroed());
        Ok(buffer)
    }

    fn zero<T: Element>(&self, buf: &mut Vec<T>) -> Result<()> {
        buf.fill(T::zeroed());
        Ok(())
    }

    fn buffer_len<T: Element>(buf: &Vec<T>) -> usize {
        buf.len()
    }

    fn slice_len<T: Element>(slice: &[T]) -> usize {
        slice.len()
    }

    fn upload(&self, src: &[u8], dst: &mut Vec<u8>) -> Result<()> {
        same_len("upload source", dst.len(), src.len())?;
        dst.copy_from_slice(src);
        Ok(())
    }

    fn download(&self, src: &Vec<u8>, dst: &mut [u8]) -> Result<()> {
        same_len("download destination", src.len(), dst.len())?;
        dst.copy_from_slice(src);
        Ok(())
    }

    fn threshold<T: ThresholdInput>(&self, inputs: &[T], spikes: &mut Vec<u8>) -> Result<()> {
        same_len("inputs", spikes.len(), inputs.len())?;
        for (spike, &input) in spikes.iter_mut().zip(inputs) {
            *spike = u8::from(input.is_positive());
        }
        Ok(())
    }

    fn overrides<T: OverrideValue>(&self, values: &[T], spikes: &mut Vec<u8>) -> Result<()> {
        same_len("override", spikes.len(), values.len())?;
        for (spike, &value) in spikes.iter_mut().zip(values) {
            *spike = u8::from(value.is_nonzero());
        }
        Ok(())
    }

    fn voltage<T: VoltageElement>(
        &self,
        spikes: &Vec<u8>,
        rest: T,
        thresh: T,
        out: &mut Vec<T>,
    ) -> Result<()> {
        same_len("voltage buffer", spikes.len(), out.len())?;
        for (voltage, &spike) in out.iter_mut().zip(spikes) {
            *voltage = if spike != 0 { thresh } else { rest };
        }
        Ok(())
    }
}
