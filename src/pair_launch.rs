//! The kernel calls that read one device buffer and write another, as data.
//!
//! Six [`KernelDevice`](crate::KernelDevice) operations have that shape:
//! threshold and override into spike bytes, the voltage view from spike
//! bytes, and their bit forms (packing, unpacking, the voltage view from
//! words). A device that runs the PTX kernels does the same four things for
//! each: check that both buffers are its own, check their lengths, take their
//! addresses, build the plan and launch it. [`PairLaunch`] holds what differs
//! between the six (the entry, the geometry, the names in the errors), so
//! that the length checks and the plan are written once for every such
//! device; the ownership checks and the launch stay with the device, which
//! alone knows what "its own" means.

use crate::device::{check_bits_len, check_len};
use crate::dtype::DType;
use crate::error::Result;
use crate::kernel::SpikeRule;
use crate::launch::{GridLimits, LaunchPlan};

/// What the kernel computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Spike bytes by `rule` from values of the dtype.
    Spikes(SpikeRule, DType),
    /// Values of the dtype from spike bytes: the two voltages' bits.
    Voltage(DType, u64, u64),
    /// Words by `rule` from `rows` rows of `count` values of the dtype.
    PackBits(SpikeRule, DType, usize, usize),
    /// Spike bytes from the words of `rows` rows of `count` neurons.
    UnpackBits(usize, usize),
    /// Values of the dtype from words: `rows`, `count`, the voltages' bits.
    VoltageBits(DType, usize, usize, u64, u64),
}

/// One launch that reads the buffer `input` and writes the buffer `output`.
///
/// ```
/// use exact_neuron::launch::GridLimits;
/// use exact_neuron::pair_launch::PairLaunch;
/// use exact_neuron::DType;
///
/// let call = PairLaunch::threshold(DType::F32);
/// assert_eq!(call.names(), ("inputs", "spike state"));
/// let limits = GridLimits::for_multiprocessors(1);
/// assert!(call.plan(0x1000, 100, 0x2000, 100, limits).is_ok());
/// assert_eq!(
///     call.check(99, 100).unwrap_err().to_string(),
///     "inputs has 99 elements, expected 100"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairLaunch {
    kind: Kind,
    input: &'static str,
    output: &'static str,
}

impl PairLaunch {
    /// `spikes[i] = inputs[i] > 0`, inputs of `dtype`.
    pub const fn threshold(dtype: DType) -> PairLaunch {
        PairLaunch {
            kind: Kind::Spikes(SpikeRule::Threshold, dtype),
            input: "inputs",
            output: "spike state",
        }
    }

    /// `spikes[i] = values[i] != 0`, values of `dtype`.
    pub const fn overrides(dtype: DType) -> PairLaunch {
        PairLaunch {
            kind: Kind::Spikes(SpikeRule::Override, dtype),
            input: "override",
            output: "spike state",
        }
    }

    /// `out[i] = spikes[i] ? thresh : rest` in `dtype` (the voltages' bit
    /// patterns, zero-extended).
    pub const fn voltage(dtype: DType, rest: u64, thresh: u64) -> PairLaunch {
        PairLaunch {
            kind: Kind::Voltage(dtype, rest, thresh),
            input: "spike state",
            output: "voltage buffer",
        }
    }

    /// Words by `rule` from `rows` rows of `count` values of `dtype` (u8
    /// with [`SpikeRule::Override`] also packs spike bytes).
    pub const fn pack_bits(rule: SpikeRule, dtype: DType, rows: usize, count: usize) -> PairLaunch {
        PairLaunch {
            kind: Kind::PackBits(rule, dtype, rows, count),
            input: "inputs",
            output: "spike words",
        }
    }

    /// Spike bytes (0 or 1) from the words of `rows` rows of `count`.
    pub const fn unpack_bits(rows: usize, count: usize) -> PairLaunch {
        PairLaunch {
            kind: Kind::UnpackBits(rows, count),
            input: "spike words",
            output: "spike bytes",
        }
    }

    /// The voltage view in `dtype` from the words of `rows` rows of
    /// `count` (the voltages' bit patterns, zero-extended).
    pub const fn voltage_bits(
        dtype: DType,
        rows: usize,
        count: usize,
        rest: u64,
        thresh: u64,
    ) -> PairLaunch {
        PairLaunch {
            kind: Kind::VoltageBits(dtype, rows, count, rest, thresh),
            input: "spike words",
            output: "voltage buffer",
        }
    }

    /// The names of the input and the output buffer in errors (a device's
    /// ownership checks use them too).
    pub const fn names(&self) -> (&'static str, &'static str) {
        (self.input, self.output)
    }

    /// `Ok` when buffers of `input_len` and `output_len` elements fit the
    /// call, else [`Error::LengthMismatch`](crate::Error::LengthMismatch):
    /// an elementwise call names its values buffer and expects the spike
    /// bytes' length; a bit call names its element buffer (see
    /// [`check_bits_len`]).
    pub fn check(&self, input_len: usize, output_len: usize) -> Result<()> {
        match self.kind {
            Kind::Spikes(..) => check_len(self.input, output_len, input_len),
            Kind::Voltage(..) => check_len(self.output, input_len, output_len),
            Kind::PackBits(_, _, rows, count) => {
                check_bits_len(self.input, rows, count, input_len, output_len)
            }
            Kind::UnpackBits(rows, count) | Kind::VoltageBits(_, rows, count, _, _) => {
                check_bits_len(self.output, rows, count, output_len, input_len)
            }
        }
    }

    /// The plan for buffers of `output_len` elements at `output` and
    /// `input_len` elements at `input`, after [`check`](Self::check).
    pub fn plan(
        &self,
        output: u64,
        output_len: usize,
        input: u64,
        input_len: usize,
        limits: GridLimits,
    ) -> Result<LaunchPlan> {
        self.check(input_len, output_len)?;
        match self.kind {
            Kind::Spikes(SpikeRule::Threshold, dtype) => {
                LaunchPlan::threshold_dyn(dtype, output_len, output, input, limits)
            }
            Kind::Spikes(SpikeRule::Override, dtype) => {
                LaunchPlan::overrides_dyn(dtype, output_len, output, input, limits)
            }
            Kind::Voltage(dtype, rest, thresh) => {
                LaunchPlan::voltage_dyn(dtype, input_len, output, input, rest, thresh, limits)
            }
            Kind::PackBits(SpikeRule::Threshold, dtype, rows, count) => {
                LaunchPlan::threshold_bits_dyn(dtype, rows, count, output, input, limits)
            }
            Kind::PackBits(SpikeRule::Override, dtype, rows, count) => {
                LaunchPlan::overrides_bits_dyn(dtype, rows, count, output, input, limits)
            }
            Kind::UnpackBits(rows, count) => {
                LaunchPlan::unpack_bits(rows, count, output, input, limits)
            }
            Kind::VoltageBits(dtype, rows, count, rest, thresh) => LaunchPlan::voltage_bits_dyn(
                dtype, rows, count, output, input, rest, thresh, limits,
            ),
        }
    }

    /// The element type the output holds: `None` for words, `U8` for spike
    /// bytes (a device that poisons outputs picks its pattern by it).
    pub const fn output_dtype(&self) -> Option<DType> {
        match self.kind {
            Kind::Spikes(..) | Kind::UnpackBits(..) => Some(DType::U8),
            Kind::Voltage(dtype, ..) | Kind::VoltageBits(dtype, ..) => Some(dtype),
            Kind::PackBits(..) => None,
        }
    }
}
