//! Launch plans: the one place where the host decides how a kernel runs.
//!
//! A [`LaunchPlan`] holds the entry, the grid and block sizes and the
//! argument list, in the order of the entry's `.param` declarations. Every
//! kernel device builds its plans here (the CUDA backend hands them to the
//! driver; the test suite's PTX interpreter executes them), so the grid
//! arithmetic, the alignment checks that pick the vector path and the
//! argument order are one piece of code, tested on every machine.

use crate::dtype::{OverrideValue, ThresholdInput, VoltageElement};
use crate::kernel::Kernel;

/// The most parameters an entry takes (the voltage entries' six).
pub const MAX_ARGS: usize = 6;

/// Threads per block of every launch.
pub const BLOCK_THREADS: u32 = 256;

/// How large a grid a device accepts and wants.
///
/// The kernels loop with a grid stride, so any grid covers any length; the
/// cap only keeps huge launches to a few waves of resident blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridLimits {
    block: u32,
    max_blocks: u32,
}

impl GridLimits {
    /// Threads per block and the largest grid to launch, or `None` unless
    /// `1 <= block <= 1024` and `1 <= max_blocks <= 2^31 - 1` (CUDA's limits
    /// for a one-dimensional launch).
    pub const fn new(block: u32, max_blocks: u32) -> Option<GridLimits> {
        if block == 0 || block > 1024 || max_blocks == 0 || max_blocks > i32::MAX as u32 {
            None
        } else {
            Some(GridLimits { block, max_blocks })
        }
    }

    /// [`BLOCK_THREADS`] per block and at most 32 blocks per multiprocessor:
    /// enough resident warps to saturate memory on every GPU from sm_70 up.
    pub const fn for_multiprocessors(multiprocessors: u32) -> GridLimits {
        let sms = if multiprocessors == 0 {
            1
        } else {
            multiprocessors
        };
        let max_blocks = sms.saturating_mul(32);
        GridLimits {
            block: BLOCK_THREADS,
            max_blocks: if max_blocks > i32::MAX as u32 {
                i32::MAX as u32
            } else {
                max_blocks
            },
        }
    }

    /// Threads per block.
    pub const fn block(self) -> u32 {
        self.block
    }

    /// The largest grid, in blocks.
    pub const fn max_blocks(self) -> u32 {
        self.max_blocks
    }
}

/// One kernel argument, as the entry's `.param` declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgValue {
    /// A `.u64` parameter: an address or a count.
    U64(u64),
    /// A `.b32` parameter.
    B32(u32),
    /// A `.b64` parameter.
    B64(u64),
}

impl ArgValue {
    /// The parameter's size in bytes (its alignment too).
    pub const fn size(self) -> usize {
        match self {
            ArgValue::U64(_) | ArgValue::B64(_) => 8,
            ArgValue::B32(_) => 4,
        }
    }
}

/// Everything needed to launch one kernel: entry, grid, block and arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaunchPlan {
    kernel: Kernel,
    grid: u32,
    block: u32,
    args: [ArgValue; MAX_ARGS],
    arg_count: usize,
    groups: u64,
}

impl LaunchPlan {
    /// Threshold mode over `n` elements: `spike[i] = input[i] > 0`, with
    /// `out` and `input` the device addresses of the two buffers.
    pub fn threshold<T: ThresholdInput>(
        n: usize,
        out: u64,
        input: u64,
        limits: GridLimits,
    ) -> LaunchPlan {
        LaunchPlan::build(T::KERNEL, n, out, input, None, limits)
    }

    /// An override over `n` elements: `spike[i] = value[i] != 0`.
    pub fn overrides<T: OverrideValue>(
        n: usize,
        out: u64,
        values: u64,
        limits: GridLimits,
    ) -> LaunchPlan {
        LaunchPlan::build(T::KERNEL, n, out, values, None, limits)
    }

    /// The voltage view over `n` elements: `out[i] = spike[i] ? thresh : rest`.
    pub fn voltage<T: VoltageElement>(
        n: usize,
        out: u64,
        spikes: u64,
        rest: T,
        thresh: T,
        limits: GridLimits,
    ) -> LaunchPlan {
        let (rest, thresh) = match T::KERNEL {
            Kernel::VoltageF64 => (
                ArgValue::B64(rest.to_bits_u64()),
                ArgValue::B64(thresh.to_bits_u64()),
            ),
            // f32, f16 and bf16 patterns are at most 32 bits wide
            _ => (
                ArgValue::B32(rest.to_bits_u64() as u32),
                ArgValue::B32(thresh.to_bits_u64() as u32),
            ),
        };
        LaunchPlan::build(T::KERNEL, n, out, spikes, Some((rest, thresh)), limits)
    }

    fn build(
        kernel: Kernel,
        n: usize,
        out: u64,
        input: u64,
        voltages: Option<(ArgValue, ArgValue)>,
        limits: GridLimits,
    ) -> LaunchPlan {
        let n = n as u64;
        let width = kernel.group_width() as u64;
        // The vector path is taken only where both pointers are aligned for
        // its wide accesses; otherwise every element goes the scalar way.
        let aligned = out % kernel.output_alignment() as u64 == 0
            && input % kernel.input_alignment() as u64 == 0;
        let groups = if aligned { n / width } else { 0 };
        let scalars = n - groups * width;
        // One thread per work item of the longer of the two loops, capped.
        let work = groups.max(scalars);
        let block = u64::from(limits.block);
        let grid = work.div_ceil(block).min(u64::from(limits.max_blocks)) as u32;

        let mut args = [ArgValue::U64(0); MAX_ARGS];
        args[0] = ArgValue::U64(out);
        args[1] = ArgValue::U64(input);
        args[2] = ArgValue::U64(n);
        args[3] = ArgValue::U64(groups);
        let arg_count = match voltages {
            Some((rest, thresh)) => {
                args[4] = rest;
                args[5] = thresh;
                6
            }
            None => 4,
        };
        LaunchPlan {
            kernel,
            grid,
            block: limits.block,
            args,
            arg_count,
            groups,
        }
    }

    /// The entry to launch.
    pub const fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Blocks in the (one-dimensional) grid; 0 when there is nothing to do,
    /// and then the plan must not be launched.
    pub const fn grid(&self) -> u32 {
        self.grid
    }

    /// Threads per block.
    pub const fn block(&self) -> u32 {
        self.block
    }

    /// The arguments, in `.param` order.
    pub fn args(&self) -> &[ArgValue] {
        &self.args[..self.arg_count]
    }

    /// Whether the plan has no work (n = 0): launching it is skipped.
    pub const fn is_empty(&self) -> bool {
        self.grid == 0
    }

    /// How many W-element groups go the vector way (0 when a pointer is
    /// not aligned for it).
    pub const fn vector_groups(&self) -> u64 {
        self.groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::f16;

    const LIMITS: GridLimits = GridLimits::for_multiprocessors(4); // 128 blocks

    #[test]
    fn aligned_plans_take_the_vector_path() {
        let plan = LaunchPlan::threshold::<f32>(1027, 0x1000, 0x2000, LIMITS);
        assert_eq!(plan.kernel(), Kernel::ThresholdF32);
        assert_eq!(
            plan.args(),
            &[
                ArgValue::U64(0x1000),
                ArgValue::U64(0x2000),
                ArgValue::U64(1027),
                ArgValue::U64(256)
            ]
        );
        // 256 groups and 3 tail elements: one block of 256 threads
        assert_eq!((plan.grid(), plan.block()), (1, 256));
    }

    #[test]
    fn misaligned_pointers_go_scalar() {
        // input at an odd f32 offset: not 16-byte aligned
        let plan = LaunchPlan::threshold::<f32>(1027, 0x1000, 0x2004, LIMITS);
        assert_eq!(plan.vector_groups(), 0);
        assert_eq!(plan.grid(), 5); // ceil(1027 / 256)
                                    // output of a voltage view not 16-byte aligned
        let plan = LaunchPlan::voltage::<f32>(64, 0x1008, 0x2000, 1.0, 2.0, LIMITS);
        assert_eq!(plan.vector_groups(), 0);
    }

    #[test]
    fn grid_is_capped_and_empty_work_launches_nothing() {
        let plan = LaunchPlan::overrides::<u8>(1 << 30, 0, 0, LIMITS);
        assert_eq!(plan.grid(), 128);
        assert_eq!(plan.vector_groups(), 1 << 26);
        let plan = LaunchPlan::overrides::<u8>(0, 0, 0, LIMITS);
        assert!(plan.is_empty());
        // counts beyond 2^32 stay exact
        let n = (1usize << 33) + 3;
        let plan = LaunchPlan::threshold::<f16>(n, 0, 0, LIMITS);
        assert_eq!(plan.args()[2], ArgValue::U64(n as u64));
        assert_eq!(plan.vector_groups(), (n / 8) as u64);
    }

    #[test]
    fn voltage_patterns_have_the_entry_width() {
        let plan = LaunchPlan::voltage::<f64>(4, 0, 0, -60.0, -50.0, LIMITS);
        assert_eq!(plan.args()[4], ArgValue::B64((-60.0f64).to_bits()));
        assert_eq!(plan.args()[5], ArgValue::B64((-50.0f64).to_bits()));
        let plan = LaunchPlan::voltage::<f16>(4, 0, 0, f16::ONE, f16::NEG_ONE, LIMITS);
        assert_eq!(plan.args()[4], ArgValue::B32(0x3C00));
        assert_eq!(plan.args()[5], ArgValue::B32(0xBC00));
    }

    #[test]
    fn limits_are_checked() {
        assert!(GridLimits::new(0, 1).is_none());
        assert!(GridLimits::new(1025, 1).is_none());
        assert!(GridLimits::new(32, 0).is_none());
        assert!(GridLimits::new(1024, i32::MAX as u32).is_some());
        assert_eq!(GridLimits::for_multiprocessors(0).max_blocks(), 32);
    }
}
