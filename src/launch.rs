//! Launch plans: the one place where the host decides how a kernel runs.
//!
//! A [`LaunchPlan`] holds the entry, the grid and block sizes and the
//! argument list, in the order of the entry's `.param` declarations and
//! checked against them (the table of [`crate::kernel`]). Every
//! kernel device builds its plans here (the CUDA backend hands them to the
//! driver; the test suite's PTX interpreter executes them), so the grid
//! arithmetic, the alignment checks that pick the vector path and the
//! argument order are one piece of code, tested on every machine.

use crate::dtype::{DType, OverrideValue, ThresholdInput, VoltageElement};
use crate::error::{Error, Result};
use crate::kernel::{Geometry, Kernel, Op, ParamType, SpikeRule, MAX_PARAMS};

/// The most arguments a plan holds: the longest parameter list of any entry
/// in the generated table.
pub const MAX_ARGS: usize = MAX_PARAMS;

/// Threads per block of every launch.
pub const BLOCK_THREADS: u32 = 256;

/// How large a grid a device accepts and wants.
///
/// The kernels loop with a grid stride, so any grid covers any length; the
/// cap only keeps huge launches to a few waves of resident blocks.
///
/// A device may cap each entry's grid on its own
/// ([`GridLimits::per_entry`]): the CUDA backend sizes every entry's grid
/// from the blocks that entry keeps resident, so that an entry that needs
/// more registers does not shrink the grids of all the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridLimits {
    block: u32,
    max_blocks: u32,
    // Each entry's own cap, by `Kernel::index`; 0 where the entry takes
    // `max_blocks`.
    entry_blocks: [u32; ENTRIES],
}

/// The number of entries in the table.
const ENTRIES: usize = Kernel::ALL.len();

impl GridLimits {
    /// Threads per block and the largest grid to launch, or `None` unless
    /// `1 <= block <= 1024` and `1 <= max_blocks <= 2^31 - 1` (CUDA's limits
    /// for a one-dimensional launch).
    pub const fn new(block: u32, max_blocks: u32) -> Option<GridLimits> {
        if block == 0 || block > 1024 || max_blocks == 0 || max_blocks > i32::MAX as u32 {
            None
        } else {
            Some(GridLimits {
                block,
                max_blocks,
                entry_blocks: [0; ENTRIES],
            })
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
            entry_blocks: [0; ENTRIES],
        }
    }

    /// [`BLOCK_THREADS`] per block and a grid of `waves` full waves of
    /// resident blocks: `multiprocessors * resident_per_sm * waves` blocks,
    /// where `resident_per_sm` is what the driver's occupancy query gives
    /// for the entries at that block size (at least 1 is assumed). The
    /// kernels stride over any length, so more blocks than one or two
    /// waves only add scheduling; fewer leave multiprocessors idle.
    ///
    /// ```
    /// use exact_neuron::launch::GridLimits;
    ///
    /// // 132 multiprocessors (H100 SXM), 8 resident blocks of 256 threads each
    /// assert_eq!(GridLimits::from_occupancy(132, 8, 2).max_blocks(), 2112);
    /// assert_eq!(GridLimits::from_occupancy(0, 0, 0).max_blocks(), 1);
    /// ```
    pub const fn from_occupancy(
        multiprocessors: u32,
        resident_per_sm: u32,
        waves: u32,
    ) -> GridLimits {
        const fn at_least_one(x: u32) -> u32 {
            if x == 0 {
                1
            } else {
                x
            }
        }
        let blocks = (at_least_one(multiprocessors) as u64)
            * (at_least_one(resident_per_sm) as u64)
            * (at_least_one(waves) as u64);
        GridLimits {
            block: BLOCK_THREADS,
            max_blocks: clamp_blocks(blocks),
            entry_blocks: [0; ENTRIES],
        }
    }

    /// [`BLOCK_THREADS`] per block and, for each entry, a grid of `waves`
    /// full waves of the blocks *that entry* keeps resident:
    /// `multiprocessors * resident_per_sm(entry) * waves` blocks (at least
    /// 1 of each factor is assumed). A grid-stride kernel whose grid is a
    /// whole number of its own waves keeps every multiprocessor equally
    /// busy to the end; sizing all entries from the one with the fewest
    /// resident blocks would leave the others a part-filled last wave.
    ///
    /// ```
    /// use exact_neuron::kernel::Kernel;
    /// use exact_neuron::launch::GridLimits;
    ///
    /// let pack = Kernel::ALL.iter().position(|k| k.name() == "pack_bits_u8").unwrap();
    /// let limits = GridLimits::per_entry(132, 2, |kernel| {
    ///     if kernel.index() == pack { 6 } else { 8 }
    /// });
    /// assert_eq!(limits.max_blocks_for(Kernel::ALL[pack]), 132 * 6 * 2);
    /// assert_eq!(limits.max_blocks_for(Kernel::ALL[(pack + 1) % Kernel::ALL.len()]), 132 * 8 * 2);
    /// assert_eq!(limits.max_blocks(), 132 * 8 * 2);
    /// ```
    pub fn per_entry(
        multiprocessors: u32,
        waves: u32,
        mut resident_per_sm: impl FnMut(Kernel) -> u32,
    ) -> GridLimits {
        let mut entry_blocks = [0; ENTRIES];
        for kernel in Kernel::ALL {
            entry_blocks[kernel.index()] =
                GridLimits::from_occupancy(multiprocessors, resident_per_sm(kernel), waves)
                    .max_blocks;
        }
        GridLimits {
            block: BLOCK_THREADS,
            max_blocks: entry_blocks.iter().copied().max().unwrap_or(1),
            entry_blocks,
        }
    }

    /// Threads per block.
    pub const fn block(self) -> u32 {
        self.block
    }

    /// The largest grid, in blocks, of any entry.
    pub const fn max_blocks(self) -> u32 {
        self.max_blocks
    }

    /// The largest grid, in blocks, of `kernel`: its own cap where the
    /// limits have one ([`GridLimits::per_entry`]), else
    /// [`GridLimits::max_blocks`].
    pub const fn max_blocks_for(self, kernel: Kernel) -> u32 {
        match self.entry_blocks[kernel.index()] {
            0 => self.max_blocks,
            blocks => blocks,
        }
    }
}

/// `blocks`, capped at CUDA's largest one-dimensional grid, 2^31 - 1.
const fn clamp_blocks(blocks: u64) -> u32 {
    if blocks > i32::MAX as u64 {
        i32::MAX as u32
    } else {
        blocks as u32
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

    /// The `.param` type this argument fills.
    pub const fn param_type(self) -> ParamType {
        match self {
            ArgValue::U64(_) => ParamType::U64,
            ArgValue::B32(_) => ParamType::B32,
            ArgValue::B64(_) => ParamType::B64,
        }
    }
}

/// One argument as a [`PlanBuilder`] collects it, before the geometry is
/// known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arg {
    /// The address of a buffer the kernel reads or writes, the byte
    /// alignment its vector accesses need, the size of one of its
    /// elements (0: the address itself must be aligned, no head helps),
    /// and the plan's element index that `addr` holds (0 but for a buffer
    /// that starts part way, as a step's state at element `last`).
    Buffer {
        addr: u64,
        alignment: u64,
        element: u64,
        origin: u64,
    },
    /// `n`, the element count.
    Count,
    /// The number of W-element groups on the vector path.
    Groups,
    /// The number of leading elements taken one by one before the vector
    /// path, so that the vector path starts aligned.
    Head,
    /// Rows of a bit-packed layout (batch size, or steps times it).
    Rows,
    /// Neurons per row of a bit-packed layout.
    RowLen,
    /// Bits whose width is the declared parameter's (`.b32` or `.b64`).
    Bits(u64),
    /// A value of a fixed type.
    Value(ArgValue),
}

/// Everything needed to launch one kernel: entry, grid, block and arguments.
///
/// A plan of a vector entry covers `n` elements, of which the first
/// `W * vector_groups` go the vector way (W is the entry's
/// [`group_width`](Kernel::group_width)) and the rest one by one; a byte
/// step covers `n` elements one by one; a bit entry covers `rows * ceil(count
/// / 32)` words, one per warp, with a block of whole warps (an unpacking one
/// takes 16-byte output chunks instead where it can, one per thread). Every grid is
/// one-dimensional and loops with a grid stride. The arguments are an
/// ordered, typed list checked against the entry's declared parameters, so
/// an entry with more buffers (several outputs, strides) is built the same
/// way, with [`LaunchPlan::elementwise`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaunchPlan {
    kernel: Kernel,
    grid: u32,
    block: u32,
    args: [ArgValue; MAX_ARGS],
    arg_count: usize,
    groups: u64,
    head: u64,
}

/// What a plan covers: elements, or rows of bit-packed words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    /// `n` elements ([`Geometry::Vector`]).
    Elements(u64),
    /// `rows` rows of `count` neurons, `ceil(count / 32)` words each
    /// ([`Geometry::WarpPerWord`]).
    Words { rows: u64, count: u64 },
}

/// Words per row of the bit-packed layout: `ceil(count / 32)`.
///
/// ```
/// assert_eq!(exact_neuron::launch::words_per_row(33), 2);
/// assert_eq!(exact_neuron::launch::words_per_row(0), 0);
/// ```
pub const fn words_per_row(count: usize) -> usize {
    count.div_ceil(32)
}

/// The voltage output of a fused step: its address, element type and the
/// bit patterns of `rest_v` and `thresh_v` in that type, zero-extended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoltageTarget {
    /// Device address of the voltages.
    pub addr: u64,
    /// Their element type (`f16`, `bf16`, `f32` or `f64`).
    pub dtype: DType,
    /// `rest_v`'s bits in `dtype`.
    pub rest: u64,
    /// `thresh_v`'s bits in `dtype`.
    pub thresh: u64,
}

impl VoltageTarget {
    /// The target of `addr` for voltages of `T`.
    pub fn of<T: VoltageElement>(addr: u64, rest: T, thresh: T) -> VoltageTarget {
        VoltageTarget {
            addr,
            dtype: T::DTYPE,
            rest: rest.to_bits_u64(),
            thresh: thresh.to_bits_u64(),
        }
    }

    /// `(addr, vbytes, rest, thresh)` as a step entry takes them, or
    /// [`Error::NoKernel`] for a type that is not a voltage type; no
    /// voltage is `(0, 0, 0, 0)`.
    fn params(target: Option<VoltageTarget>) -> Result<(u64, u64, u64, u64)> {
        match target {
            None => Ok((0, 0, 0, 0)),
            Some(target) => match target.dtype {
                DType::F16 | DType::BF16 | DType::F32 | DType::F64 => Ok((
                    target.addr,
                    target.dtype.size() as u64,
                    target.rest,
                    target.thresh,
                )),
                dtype @ (DType::Bool | DType::U8) => Err(Error::NoKernel {
                    op: "voltage",
                    dtype,
                }),
            },
        }
    }
}

/// Collects the arguments of a plan, in `.param` order; see
/// [`LaunchPlan::elementwise`] and [`LaunchPlan::words`].
#[derive(Clone, Debug)]
#[must_use]
pub struct PlanBuilder {
    kernel: Kernel,
    work: Work,
    args: [Arg; MAX_ARGS],
    arg_count: usize,
    /// Set when more arguments were pushed than any entry takes.
    overflow: bool,
}

impl PlanBuilder {
    fn push(mut self, arg: Arg) -> Self {
        match self.args.get_mut(self.arg_count) {
            Some(slot) => {
                *slot = arg;
                self.arg_count += 1;
            }
            None => self.overflow = true,
        }
        self
    }

    /// The address of a buffer the kernel accesses, whose vector accesses
    /// need `alignment` bytes (a power of two): the vector path is taken
    /// only when every buffer of the plan is so aligned.
    pub fn buffer(self, addr: u64, alignment: usize) -> Self {
        self.push(Arg::Buffer {
            addr,
            alignment: alignment.max(1) as u64,
            element: 0,
            origin: 0,
        })
    }

    /// A buffer of `element`-byte elements whose element 0 is the plan's
    /// element `origin` (its element `i` is the plan's `origin + i`), and
    /// whose vector accesses need `alignment` bytes: the head aligns it
    /// with the others. A null address (an output not asked for) takes no
    /// part in the alignment.
    pub fn buffer_from(self, addr: u64, element: usize, alignment: usize, origin: u64) -> Self {
        // (null: address 0 for every element, aligned for anything; with
        // its element size kept, head_length would align address 0 +
        // element * i to 4 bytes and so refuse every head but multiples of
        // 4 for a step without a state)
        let (alignment, element, origin) = if addr == 0 {
            (1, 0, 0)
        } else {
            (alignment.max(1) as u64, element as u64, origin)
        };
        self.push(Arg::Buffer {
            addr,
            alignment,
            element,
            origin,
        })
    }

    /// The buffer the entry writes (`p_out`), aligned as its output must
    /// be for the vector path.
    pub fn output(self, addr: u64) -> Self {
        let alignment = self.kernel.output_alignment().max(1) as u64;
        let element = self.kernel.output_size() as u64;
        self.push(Arg::Buffer {
            addr,
            alignment,
            element,
            origin: 0,
        })
    }

    /// The buffer the entry reads (`p_in`), aligned as its input must be
    /// for the vector path.
    pub fn input(self, addr: u64) -> Self {
        let alignment = self.kernel.input_alignment().max(1) as u64;
        let element = self.kernel.input_size() as u64;
        self.push(Arg::Buffer {
            addr,
            alignment,
            element,
            origin: 0,
        })
    }

    /// The element count `n` (`p_n`).
    pub fn count(self) -> Self {
        self.push(Arg::Count)
    }

    /// The rows of a bit-packed plan (`p_rows`).
    pub fn rows(self) -> Self {
        self.push(Arg::Rows)
    }

    /// The neurons per row of a bit-packed plan (`p_count`).
    pub fn row_len(self) -> Self {
        self.push(Arg::RowLen)
    }

    /// The number of vector groups (`p_groups`): `n / W` when every buffer
    /// is aligned for the vector path, else 0; for an unpacking bit entry,
    /// `rows * count / W` 16-byte output chunks when the output is aligned
    /// and W divides `count` (below 2^31), else 0.
    pub fn groups(self) -> Self {
        self.push(Arg::Groups)
    }

    /// The head (`p_head`): how many leading elements the entry takes one
    /// by one before its vector path, computed from the buffers'
    /// addresses so that every buffer is aligned for [`UNROLL`] groups
    /// (16 bytes at most) after it. An entry that takes a head unrolls its
    /// vector loop by [`UNROLL`] groups; see [`PlanBuilder::build`].
    pub fn head(self) -> Self {
        self.push(Arg::Head)
    }

    /// A bit pattern, passed as the declared parameter at this position
    /// takes it (`.b32`: the low 32 bits, which must hold all of it).
    pub fn bits(self, bits: u64) -> Self {
        self.push(Arg::Bits(bits))
    }

    /// An argument of a fixed type.
    pub fn value(self, value: ArgValue) -> Self {
        self.push(Arg::Value(value))
    }

    /// The plan, with a grid fitted to `limits`, or
    /// [`Error::BadPlan`] when the arguments do not match the entry's
    /// declared parameters in count and type.
    pub fn build(self, limits: GridLimits) -> Result<LaunchPlan> {
        let kernel = self.kernel;
        let params = kernel.params();
        let bad = |reason: String| Error::BadPlan {
            entry: kernel.name(),
            reason,
        };
        if self.overflow || self.arg_count != params.len() {
            return Err(bad(format!(
                "{} arguments for {} parameters",
                if self.overflow {
                    format!("more than {MAX_ARGS}")
                } else {
                    self.arg_count.to_string()
                },
                params.len()
            )));
        }
        let args = &self.args[..self.arg_count];
        let geometry = kernel.geometry();
        let (n, rows, count) = match (self.work, geometry) {
            (Work::Elements(n), Geometry::Vector) => (n, 0, 0),
            (Work::Words { rows, count }, Geometry::WarpPerWord) => (0, rows, count),
            (Work::Elements(_), Geometry::WarpPerWord) => {
                return Err(bad(
                    "a bit entry takes rows and counts (LaunchPlan::words)".into()
                ))
            }
            (Work::Words { .. }, _) => {
                return Err(bad(
                    "an elementwise entry takes a count (LaunchPlan::elementwise)".into(),
                ))
            }
        };
        let mut block = limits.block;
        let has_head = args.contains(&Arg::Head);
        let mut head = 0;
        let (groups, grid) = match geometry {
            Geometry::Vector if has_head => {
                let width = kernel.group_width() as u64;
                // Elements go one by one up to the first index at which
                // every buffer is aligned for UNROLL groups at once; the
                // rest goes the vector way. Where no such index exists
                // (the buffers cannot be co-aligned), everything is scalar.
                match head_length(args) {
                    Some(start) => {
                        head = start.min(n);
                        let groups = (n - head) / width;
                        let scalars = n - groups * width;
                        // One thread per unrolled iteration, or per
                        // element of the head and tail, whichever is more.
                        let work = groups.div_ceil(UNROLL).max(scalars);
                        (groups, blocks_for(work, block, limits, kernel))
                    }
                    None => (0, blocks_for(n, block, limits, kernel)),
                }
            }
            Geometry::Vector => {
                let width = kernel.group_width() as u64;
                // The vector path is taken only where every buffer is
                // aligned for its wide accesses; otherwise every element
                // goes the scalar way.
                let groups = if all_aligned(args) { n / width } else { 0 };
                let scalars = n - groups * width;
                // One thread per work item of the longer of the two loops.
                (
                    groups,
                    blocks_for(groups.max(scalars), block, limits, kernel),
                )
            }
            Geometry::WarpPerWord => {
                // Whole warps per block (the collectives need every lane of
                // a warp in the same block), one warp per word.
                block = (block / 32 * 32).max(32);
                let threads = rows
                    .checked_mul(count.div_ceil(32))
                    .and_then(|words| words.checked_mul(32))
                    .ok_or_else(|| bad(format!("{rows} rows of {count} neurons overflow")))?;
                // An unpacking entry (it takes groups) stores 16-byte
                // chunks of W elements instead, one per thread, UNROLL per
                // iteration, where they never straddle a row (W divides
                // count) and the output is aligned for them; the kernel
                // keeps its columns in 32 bits (count below 2^31). The
                // threads above bound rows * count, so it does not
                // overflow.
                let width = kernel.group_width() as u64;
                let chunks = args.contains(&Arg::Groups)
                    && count % width == 0
                    && count < 1 << 31
                    && all_aligned(args);
                if chunks {
                    let groups = rows * count / width;
                    (
                        groups,
                        blocks_for(groups.div_ceil(UNROLL), block, limits, kernel),
                    )
                } else {
                    (0, blocks_for(threads, block, limits, kernel))
                }
            }
        };

        let mut values = [ArgValue::U64(0); MAX_ARGS];
        for (i, (arg, &param)) in args.iter().zip(params).enumerate() {
            let value = match *arg {
                Arg::Buffer { addr, .. } => ArgValue::U64(addr),
                Arg::Count => ArgValue::U64(n),
                Arg::Groups => ArgValue::U64(groups),
                Arg::Head => ArgValue::U64(head),
                Arg::Rows => ArgValue::U64(rows),
                Arg::RowLen => ArgValue::U64(count),
                Arg::Bits(bits) => match param {
                    ParamType::B64 => ArgValue::B64(bits),
                    ParamType::B32 => match u32::try_from(bits) {
                        Ok(bits) => ArgValue::B32(bits),
                        Err(_) => {
                            return Err(bad(format!(
                                "{bits:#x} does not fit .b32 parameter {}",
                                kernel.param_names()[i]
                            )))
                        }
                    },
                    ParamType::U64 => ArgValue::U64(bits),
                },
                Arg::Value(value) => value,
            };
            if value.param_type() != param {
                return Err(bad(format!(
                    "a {} argument for {} parameter {}",
                    value.param_type().ptx_name(),
                    param.ptx_name(),
                    kernel.param_names()[i]
                )));
            }
            values[i] = value;
        }
        Ok(LaunchPlan {
            kernel,
            grid,
            block,
            args: values,
            arg_count: self.arg_count,
            groups,
            head,
        })
    }
}

/// Whether every buffer of `args` is aligned for its wide accesses (at the
/// plan's element 0).
fn all_aligned(args: &[Arg]) -> bool {
    args.iter().all(|arg| match *arg {
        Arg::Buffer {
            addr,
            alignment,
            element,
            origin,
        } => addr.wrapping_sub(origin.wrapping_mul(element)) % alignment == 0,
        _ => true,
    })
}

/// Groups per iteration of the vector loop of an entry that takes a head
/// ([`PlanBuilder::head`]): four 16-byte loads in flight per thread.
pub const UNROLL: u64 = 4;

/// The smallest element index at which every buffer of `args` is aligned
/// for [`UNROLL`] groups (its alignment times [`UNROLL`], at most 16
/// bytes), or `None` when no index is. A buffer's alignment repeats with a
/// period of at most 16 elements, so the first 16 indices decide.
fn head_length(args: &[Arg]) -> Option<u64> {
    (0..16u64).find(|&i| {
        args.iter().all(|arg| match *arg {
            Arg::Buffer {
                addr,
                alignment,
                element,
                origin,
            } => {
                // the buffer's address of the plan's element 0 (wrapping:
                // only its remainder matters)
                let addr = addr.wrapping_sub(origin.wrapping_mul(element));
                // (an alignment of 16 or more asked by the caller stays)
                let wide = if alignment >= 16 {
                    alignment
                } else {
                    (alignment * UNROLL).min(16)
                };
                addr.wrapping_add(element * i) % wide == 0
            }
            _ => true,
        })
    })
}

/// Blocks of `block` threads for one thread per work item, capped.
fn blocks_for(work: u64, block: u32, limits: GridLimits, kernel: Kernel) -> u32 {
    work.div_ceil(u64::from(block))
        .min(u64::from(limits.max_blocks_for(kernel))) as u32
}

/// The entry that runs `op` on `dtype`, or [`Error::NoKernel`].
pub fn kernel_for(op: Op, dtype: DType) -> Result<Kernel> {
    Kernel::find(op, dtype).ok_or(Error::NoKernel {
        op: op.name(),
        dtype,
    })
}

impl LaunchPlan {
    /// A plan for `kernel` over `n` elements; push its arguments in `.param`
    /// order, then [`build`](PlanBuilder::build) it.
    ///
    /// ```
    /// use exact_neuron::kernel::{Kernel, Op};
    /// use exact_neuron::launch::{ArgValue, GridLimits, LaunchPlan};
    /// use exact_neuron::DType;
    ///
    /// let kernel = Kernel::find(Op::Threshold, DType::F32).unwrap();
    /// let plan = LaunchPlan::elementwise(kernel, 1000)
    ///     .output(0x1000)
    ///     .input(0x2000)
    ///     .count()
    ///     .head()
    ///     .groups()
    ///     .build(GridLimits::for_multiprocessors(1))?;
    /// assert_eq!(plan.args()[3], ArgValue::U64(0)); // aligned: no head
    /// assert_eq!(plan.args()[4], ArgValue::U64(250));
    /// // a missing argument is refused
    /// assert!(LaunchPlan::elementwise(kernel, 1000).count().build(GridLimits::for_multiprocessors(1)).is_err());
    /// # Ok::<(), exact_neuron::Error>(())
    /// ```
    pub fn elementwise(kernel: Kernel, n: usize) -> PlanBuilder {
        PlanBuilder {
            kernel,
            work: Work::Elements(n as u64),
            args: [Arg::Count; MAX_ARGS],
            arg_count: 0,
            overflow: false,
        }
    }

    /// `spike[i] = input[i] > 0` for `i < n`, with `out` and `input` the
    /// device addresses of the two buffers, on the entry that the table
    /// gives for `dtype` (the [`Op::Threshold`] row).
    pub fn threshold_dyn(
        dtype: DType,
        n: usize,
        out: u64,
        input: u64,
        limits: GridLimits,
    ) -> Result<LaunchPlan> {
        LaunchPlan::elementwise(kernel_for(Op::Threshold, dtype)?, n)
            .output(out)
            .input(input)
            .count()
            .head()
            .groups()
            .build(limits)
    }

    /// `spike[i] = values[i] != 0` for `i < n`, on `dtype`'s entry.
    pub fn overrides_dyn(
        dtype: DType,
        n: usize,
        out: u64,
        values: u64,
        limits: GridLimits,
    ) -> Result<LaunchPlan> {
        LaunchPlan::elementwise(kernel_for(Op::Override, dtype)?, n)
            .output(out)
            .input(values)
            .count()
            .head()
            .groups()
            .build(limits)
    }

    /// `out[i] = spike[i] ? thresh : rest` for `i < n`, on `dtype`'s entry;
    /// `rest` and `thresh` are the bit patterns of the two voltages in
    /// `dtype`, zero-extended.
    pub fn voltage_dyn(
        dtype: DType,
        n: usize,
        out: u64,
        spikes: u64,
        rest: u64,
        thresh: u64,
        limits: GridLimits,
    ) -> Result<LaunchPlan> {
        LaunchPlan::elementwise(kernel_for(Op::Voltage, dtype)?, n)
            .output(out)
            .input(spikes)
            .count()
            .head()
            .groups()
            .bits(rest)
            .bits(thresh)
            .build(limits)
    }

    /// A plan for a bit entry ([`Geometry::WarpPerWord`]) over `rows`
    /// rows of `count` neurons; push its arguments in `.param` order (with
    /// [`rows`](PlanBuilder::rows) and [`row_len`](PlanBuilder::row_len)),
    /// then build it. The block is rounded down to whole warps.
    pub fn words(kernel: Kernel, rows: usize, count: usize) -> PlanBuilder {
        PlanBuilder {
            kernel,
            work: Work::Words {
                rows: rows as u64,
                count: count as u64,
            },
            args: [Arg::Count; MAX_ARGS],
            arg_count: 0,
            overflow: false,
        }
    }

    /// Threshold into bits: bit of neuron `c` of row `r` = `input[r *
    /// count + c] > 0`, into `rows * words_per_row(count)` words at `out`.
    /// A trace of `T` steps is `rows = T * batch_size`.
    pub fn threshold_bits_dyn(
        dtype: DType,
        rows: usize,
        count: usize,
        out: u64,
        input: u64,
        limits: GridLimits,
    ) -> Result<LaunchPlan> {
        LaunchPlan::words(kernel_for(Op::ThresholdBits, dtype)?, rows, count)
            .output(out)
            .input(input)
            .rows()
            .row_len()
            .build(limits)
    }

    /// An override into bits (`value != 0`), as
    /// [`threshold_bits_dyn`](Self::threshold_bits_dyn); u8 and bool values
    /// (and spike bytes) go through `pack_bits_u8`.
    pub fn overrides_bits_dyn(
        dtype: DType,
        rows: usize,
        count: usize,
        out: u64,
        values: u64,
        limits: GridLimits,
    ) -> Result<LaunchPlan> {
        LaunchPlan::words(
            kernel_for(SpikeRule::Override.bits_op(dtype), dtype)?,
            rows,
            count,
        )
        .output(out)
        .input(values)
        .rows()
        .row_len()
        .build(limits)
    }

    /// Bits into spike bytes (0 or 1): `rows * count` bytes at `out` from
    /// the words at `words`; 16 bytes per thread where `out` is 16-byte
    /// aligned and `count` a multiple of 16.
    pub fn unpack_bits(
        rows: usize,
        count: usize,
        out: u64,
        words: u64,
        limits: GridLimits,
    ) -> Result<LaunchPlan> {
        LaunchPlan::words(kernel_for(Op::UnpackBits, DType::U8)?, rows, count)
            .output(out)
            .input(words)
            .rows()
            .row_len()
            .groups()
            .build(limits)
    }

    /// The voltage view from bits: `rows * count` values of `dtype` at
    /// `out`, `thresh` where the bit is set, else `rest` (bit patterns in
    /// `dtype`, zero-extended); 16 bytes per thread where `out` is 16-byte
    /// aligned and `count` a multiple of 16 bytes' worth of values.
    #[allow(clippy::too_many_arguments)]
    pub fn voltage_bits_dyn(
        dtype: DType,
        rows: usize,
        count: usize,
        out: u64,
        words: u64,
        rest: u64,
        thresh: u64,
        limits: GridLimits,
    ) -> Result<LaunchPlan> {
        LaunchPlan::words(kernel_for(Op::VoltageBits, dtype)?, rows, count)
            .output(out)
            .input(words)
            .rows()
            .row_len()
            .groups()
            .bits(rest)
            .bits(thresh)
            .build(limits)
    }

    /// A fused step over `n` elements (one step: `batch_size * count`; `T`
    /// steps: `T` times that): spike bytes at `spikes` by `rule` from the
    /// `dtype` inputs at `input`, the voltage view if `voltage` is given,
    /// and, if `state` is `(addr, last)`, the spikes of elements `last..n`
    /// also at `addr` (the last step's, for the neuron's state).
    #[allow(clippy::too_many_arguments)]
    pub fn step_dyn(
        rule: SpikeRule,
        dtype: DType,
        n: usize,
        spikes: u64,
        input: u64,
        voltage: Option<VoltageTarget>,
        state: Option<(u64, usize)>,
        limits: GridLimits,
    ) -> Result<LaunchPlan> {
        let (volt, vbytes, rest, thresh) = VoltageTarget::params(voltage)?;
        let (state, last) = state.unwrap_or((0, n));
        let kernel = kernel_for(rule.step_op(), dtype)?;
        // A group of W elements (one 16-byte input load) stores W spike
        // bytes, W state bytes and W voltages at once: each buffer is
        // aligned for that at element head (the state's element i is the
        // plan's last + i), or the whole step goes one by one.
        let width = kernel.group_width();
        LaunchPlan::elementwise(kernel, n)
            .output(spikes)
            .buffer_from(volt, vbytes as usize, (width * vbytes as usize).min(16), 0)
            .buffer_from(state, 1, width.min(16), last as u64)
            .input(input)
            .count()
            .value(ArgValue::U64(last as u64))
            .value(ArgValue::U64(vbytes))
            .bits(rest)
            .bits(thresh)
            .head()
            .groups()
            .build(limits)
    }

    /// A fused step with spikes as bits over `rows` rows of `count`
    /// neurons: words at `words`, the voltage view if asked, and, if
    /// `state` is `(addr, last_row)`, the words of rows `last_row..rows`
    /// also at `addr`.
    #[allow(clippy::too_many_arguments)]
    pub fn step_bits_dyn(
        rule: SpikeRule,
        dtype: DType,
        rows: usize,
        count: usize,
        words: u64,
        input: u64,
        voltage: Option<VoltageTarget>,
        state: Option<(u64, usize)>,
        limits: GridLimits,
    ) -> Result<LaunchPlan> {
        let (volt, vbytes, rest, thresh) = VoltageTarget::params(voltage)?;
        let (state, last_row) = state.unwrap_or((0, rows));
        LaunchPlan::words(kernel_for(rule.step_bits_op(), dtype)?, rows, count)
            .buffer(words, 4)
            .buffer(volt, 1)
            .buffer(state, 4)
            .buffer(input, 1)
            .rows()
            .row_len()
            .value(ArgValue::U64(last_row as u64))
            .value(ArgValue::U64(vbytes))
            .bits(rest)
            .bits(thresh)
            .build(limits)
    }

    /// Threshold mode over `n` elements of `T`: see
    /// [`threshold_dyn`](Self::threshold_dyn).
    pub fn threshold<T: ThresholdInput>(
        n: usize,
        out: u64,
        input: u64,
        limits: GridLimits,
    ) -> Result<LaunchPlan> {
        LaunchPlan::threshold_dyn(T::DTYPE, n, out, input, limits)
    }

    /// An override over `n` elements of `T`: see
    /// [`overrides_dyn`](Self::overrides_dyn).
    pub fn overrides<T: OverrideValue>(
        n: usize,
        out: u64,
        values: u64,
        limits: GridLimits,
    ) -> Result<LaunchPlan> {
        LaunchPlan::overrides_dyn(T::DTYPE, n, out, values, limits)
    }

    /// The voltage view over `n` elements of `T`: see
    /// [`voltage_dyn`](Self::voltage_dyn).
    pub fn voltage<T: VoltageElement>(
        n: usize,
        out: u64,
        spikes: u64,
        rest: T,
        thresh: T,
        limits: GridLimits,
    ) -> Result<LaunchPlan> {
        LaunchPlan::voltage_dyn(
            T::DTYPE,
            n,
            out,
            spikes,
            rest.to_bits_u64(),
            thresh.to_bits_u64(),
            limits,
        )
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

    /// How many leading elements go one by one before the vector path
    /// (0 for an entry without a head parameter).
    pub const fn head(&self) -> u64 {
        self.head
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::f16;

    const LIMITS: GridLimits = GridLimits::for_multiprocessors(4); // 128 blocks

    #[test]
    fn aligned_plans_take_the_vector_path() {
        let plan = LaunchPlan::threshold::<f32>(1027, 0x1000, 0x2000, LIMITS).unwrap();
        assert_eq!(plan.kernel().name(), "threshold_f32");
        assert_eq!(
            plan.args(),
            &[
                ArgValue::U64(0x1000),
                ArgValue::U64(0x2000),
                ArgValue::U64(1027),
                ArgValue::U64(0),
                ArgValue::U64(256)
            ]
        );
        // 64 blocks of four groups and 3 tail elements: one block of 256
        // threads
        assert_eq!((plan.grid(), plan.block()), (1, 256));
        assert_eq!(plan.head(), 0);
    }

    #[test]
    fn a_head_brings_co_alignable_pointers_to_the_vector_path() {
        // spikes 3 bytes in, inputs 3 f32 in: 13 elements one by one, then
        // both are 16-byte aligned
        let plan = LaunchPlan::threshold::<f32>(1027, 0x1003, 0x200C, LIMITS).unwrap();
        assert_eq!((plan.head(), plan.vector_groups()), (13, 253));
        assert_eq!(plan.args()[3], ArgValue::U64(13));
        // (1027 - 13) mod 4 = 2 tail elements; 64 blocks of work: 1 block
        assert_eq!(plan.grid(), 1);
        // f16 one element in on both sides: 15 elements, then aligned
        let plan = LaunchPlan::threshold::<f16>(100, 0x1001, 0x2002, LIMITS).unwrap();
        assert_eq!((plan.head(), plan.vector_groups()), (15, 10));
        // a head longer than the view: everything one by one
        let plan = LaunchPlan::threshold::<f16>(9, 0x1001, 0x2002, LIMITS).unwrap();
        assert_eq!((plan.head(), plan.vector_groups()), (9, 0));
        // spikes 1 byte in, inputs aligned: never aligned together
        let plan = LaunchPlan::threshold::<f32>(1027, 0x1001, 0x2000, LIMITS).unwrap();
        assert_eq!((plan.head(), plan.vector_groups()), (0, 0));
        // voltage: f32 out 3 elements in, spikes 3 bytes in: 13 one by one
        let plan = LaunchPlan::voltage::<f32>(64, 0x100C, 0x2003, 1.0, 2.0, LIMITS).unwrap();
        assert_eq!((plan.head(), plan.vector_groups()), (13, 12));
        assert_eq!(plan.args()[3], ArgValue::U64(13));
        // f64 out one element in, spikes one byte in: 15, then aligned
        let plan = LaunchPlan::voltage::<f64>(100, 0x1008, 0x2001, 1.0, 2.0, LIMITS).unwrap();
        assert_eq!((plan.head(), plan.vector_groups()), (15, 21));
        // bytes to bytes: aligned together exactly when at the same residue
        let plan = LaunchPlan::overrides::<u8>(100, 0x1003, 0x2003, LIMITS).unwrap();
        assert_eq!((plan.head(), plan.vector_groups()), (13, 5));
        let plan = LaunchPlan::overrides::<u8>(100, 0x1003, 0x2004, LIMITS).unwrap();
        assert_eq!((plan.head(), plan.vector_groups()), (0, 0));
    }

    #[test]
    fn misaligned_pointers_go_scalar() {
        // input at an odd f32 offset: not 16-byte aligned
        let plan = LaunchPlan::threshold::<f32>(1027, 0x1000, 0x2004, LIMITS).unwrap();
        assert_eq!(plan.vector_groups(), 0);
        assert_eq!(plan.grid(), 5); // ceil(1027 / 256)
                                    // output of a voltage view not 16-byte aligned
        let plan = LaunchPlan::voltage::<f32>(64, 0x1008, 0x2000, 1.0, 2.0, LIMITS).unwrap();
        assert_eq!(plan.vector_groups(), 0);
    }

    #[test]
    fn grid_is_capped_and_empty_work_launches_nothing() {
        let plan = LaunchPlan::overrides::<u8>(1 << 30, 0, 0, LIMITS).unwrap();
        assert_eq!(plan.grid(), 128);
        assert_eq!(plan.vector_groups(), 1 << 26);
        let plan = LaunchPlan::overrides::<u8>(0, 0, 0, LIMITS).unwrap();
        assert!(plan.is_empty());
        // counts beyond 2^32 stay exact
        let n = (1usize << 33) + 3;
        let plan = LaunchPlan::threshold::<f16>(n, 0, 0, LIMITS).unwrap();
        assert_eq!(plan.args()[2], ArgValue::U64(n as u64));
        assert_eq!(plan.vector_groups(), (n / 8) as u64);
    }

    #[test]
    fn voltage_patterns_have_the_entry_width() {
        let plan = LaunchPlan::voltage::<f64>(4, 0, 0, -60.0, -50.0, LIMITS).unwrap();
        assert_eq!(plan.args()[5], ArgValue::B64((-60.0f64).to_bits()));
        assert_eq!(plan.args()[6], ArgValue::B64((-50.0f64).to_bits()));
        let plan = LaunchPlan::voltage::<f16>(4, 0, 0, f16::ONE, f16::NEG_ONE, LIMITS).unwrap();
        assert_eq!(plan.args()[5], ArgValue::B32(0x3C00));
        assert_eq!(plan.args()[6], ArgValue::B32(0xBC00));
    }

    #[test]
    fn arguments_are_checked_against_the_declared_parameters() {
        let voltage = Kernel::find(Op::Voltage, DType::F32).unwrap();
        let full = || {
            LaunchPlan::elementwise(voltage, 8)
                .output(0x100)
                .input(0x200)
                .count()
                .head()
                .groups()
        };
        assert!(full().bits(1).bits(2).build(LIMITS).is_ok());
        // too few, too many
        let err = full().bits(1).build(LIMITS).unwrap_err();
        assert_eq!(
            err.to_string(),
            "launch plan for voltage_f32: 6 arguments for 7 parameters"
        );
        let mut many = full();
        for _ in 0..MAX_ARGS {
            many = many.bits(0);
        }
        assert!(many.build(LIMITS).is_err());
        // a pattern wider than .b32, a value of the wrong type
        let err = full().bits(1 << 32).bits(2).build(LIMITS).unwrap_err();
        assert!(err.to_string().contains("p_rest"), "{err}");
        let err = full()
            .bits(1)
            .value(ArgValue::B64(2))
            .build(LIMITS)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "launch plan for voltage_f32: a .b64 argument for .b32 parameter p_thresh"
        );
        // no entry for the type
        let err = LaunchPlan::threshold_dyn(DType::U8, 4, 0, 0, LIMITS).unwrap_err();
        assert_eq!(err.to_string(), "no threshold kernel for u8");
    }

    #[test]
    fn sixteen_bit_types_share_an_entry_where_the_code_is_the_same() {
        use half::bf16;
        let plan = LaunchPlan::voltage::<bf16>(4, 0, 0, bf16::ONE, bf16::NEG_ONE, LIMITS).unwrap();
        assert_eq!(plan.kernel().name(), "voltage_b16");
        assert_eq!(plan.args()[5], ArgValue::B32(0x3F80));
        assert_eq!(plan.args()[6], ArgValue::B32(0xBF80));
        let plan = LaunchPlan::overrides::<bf16>(4, 0, 0, LIMITS).unwrap();
        assert_eq!(plan.kernel().name(), "override_b16");
        let plan = LaunchPlan::threshold::<bf16>(4, 0, 0, LIMITS).unwrap();
        assert_eq!(plan.kernel().name(), "threshold_bf16");
    }

    #[test]
    fn limits_are_checked() {
        assert!(GridLimits::new(0, 1).is_none());
        assert!(GridLimits::new(1025, 1).is_none());
        assert!(GridLimits::new(32, 0).is_none());
        assert!(GridLimits::new(1024, i32::MAX as u32).is_some());
        assert_eq!(GridLimits::for_multiprocessors(0).max_blocks(), 32);
        assert_eq!(GridLimits::from_occupancy(2, 8, 2).max_blocks(), 32);
        assert_eq!(GridLimits::from_occupancy(2, 8, 2).block(), BLOCK_THREADS);
        assert_eq!(
            GridLimits::from_occupancy(u32::MAX, u32::MAX, 2).max_blocks(),
            i32::MAX as u32
        );
    }

    #[test]
    fn per_entry_limits_cap_each_entry_by_its_own_occupancy() {
        let f32_kernel = Kernel::find(Op::Threshold, DType::F32).unwrap();
        let f64_kernel = Kernel::find(Op::Threshold, DType::F64).unwrap();
        // 2 multiprocessors, 2 waves: f32 keeps 8 blocks resident, f64 3,
        // every other entry 0 (taken as 1).
        let limits = GridLimits::per_entry(2, 2, |kernel| {
            if kernel == f32_kernel {
                8
            } else if kernel == f64_kernel {
                3
            } else {
                0
            }
        });
        assert_eq!(limits.max_blocks_for(f32_kernel), 32);
        assert_eq!(limits.max_blocks_for(f64_kernel), 12);
        assert_eq!(
            limits.max_blocks_for(Kernel::find(Op::Voltage, DType::F32).unwrap()),
            4
        );
        assert_eq!(limits.max_blocks(), 32);
        assert_eq!(limits.block(), BLOCK_THREADS);
        // A launch far larger than any grid gets its own entry's cap.
        let n = 1 << 30;
        let plan = LaunchPlan::threshold::<f32>(n, 0x1000, 0x2000, limits).unwrap();
        assert_eq!(plan.grid(), 32);
        let plan = LaunchPlan::threshold::<f64>(n, 0x1000, 0x2000, limits).unwrap();
        assert_eq!(plan.grid(), 12);
        // A small launch stays small.
        let plan = LaunchPlan::threshold::<f64>(100, 0x1000, 0x2000, limits).unwrap();
        assert_eq!(plan.grid(), 1);
        // Uniform limits give every entry the same cap.
        let uniform = GridLimits::from_occupancy(2, 8, 2);
        assert!(Kernel::ALL
            .iter()
            .all(|&kernel| uniform.max_blocks_for(kernel) == 32));
    }

    #[test]
    fn bit_plans_take_whole_warps_one_per_word() {
        let kernel = Kernel::find(Op::ThresholdBits, DType::F32).unwrap();
        // 3 rows of 33 neurons: 6 words, one warp each, in one block
        let plan = LaunchPlan::threshold_bits_dyn(DType::F32, 3, 33, 0x100, 0x200, LIMITS).unwrap();
        assert_eq!(plan.kernel(), kernel);
        assert_eq!((plan.grid(), plan.block()), (1, 256));
        assert_eq!(
            plan.args(),
            &[
                ArgValue::U64(0x100),
                ArgValue::U64(0x200),
                ArgValue::U64(3),
                ArgValue::U64(33)
            ]
        );
        // a block that is not whole warps is rounded down, never below one warp
        let odd = GridLimits::new(100, 1000).unwrap();
        // (out at an odd address: the word loop)
        let plan = LaunchPlan::unpack_bits(10, 64, 1, 0, odd).unwrap();
        assert_eq!((plan.grid(), plan.block()), (7, 96)); // 20 warps of 3 per block
        let small = GridLimits::new(5, 1000).unwrap();
        assert_eq!(
            LaunchPlan::unpack_bits(1, 1, 0, 0, small).unwrap().block(),
            32
        );
        // nothing to do: no launch
        assert!(LaunchPlan::unpack_bits(0, 33, 0, 0, LIMITS)
            .unwrap()
            .is_empty());
        assert!(LaunchPlan::unpack_bits(4, 0, 0, 0, LIMITS)
            .unwrap()
            .is_empty());
        // the grid is capped
        let plan = LaunchPlan::threshold_bits_dyn(DType::F16, 1 << 20, 1024, 0, 0, LIMITS).unwrap();
        assert_eq!(plan.grid(), 128);
        // overflowing shapes are refused, not wrapped
        assert!(LaunchPlan::unpack_bits(usize::MAX, 64, 0, 0, LIMITS).is_err());
        // the wrong builder for the entry is refused
        assert!(LaunchPlan::elementwise(kernel, 64).build(LIMITS).is_err());
        let threshold = Kernel::find(Op::Threshold, DType::F32).unwrap();
        assert!(LaunchPlan::words(threshold, 2, 32).build(LIMITS).is_err());
        // override from bytes and bools packs
        let plan = LaunchPlan::overrides_bits_dyn(DType::Bool, 1, 1, 0, 0, LIMITS).unwrap();
        assert_eq!(plan.kernel().name(), "pack_bits_u8");
    }

    #[test]
    fn unpacking_plans_take_16_byte_chunks_where_they_fit_a_row() {
        // (dtype, elements per 16 bytes)
        for (dtype, width) in [
            (DType::F32, 4u64),
            (DType::F64, 2),
            (DType::F16, 8),
            (DType::BF16, 8),
        ] {
            let plan = |rows: usize, count: usize, out: u64| {
                LaunchPlan::voltage_bits_dyn(dtype, rows, count, out, 0x2004, 1, 2, LIMITS).unwrap()
            };
            let groups = |plan: LaunchPlan| plan.args()[4];
            // aligned, count a multiple of W: rows * count / W chunks, one
            // thread per 4 of them (the words may sit at any word address)
            let count = 16 * width as usize;
            let p = plan(3, count, 0x1000);
            assert_eq!(groups(p), ArgValue::U64(3 * 16), "{dtype}");
            assert_eq!(p.vector_groups(), 3 * 16, "{dtype}");
            assert_eq!((p.grid(), p.block()), (1, 256), "{dtype}");
            let p = plan(1000, count, 0x1000);
            assert_eq!(groups(p), ArgValue::U64(16_000), "{dtype}");
            assert_eq!(p.grid(), 16, "{dtype}: 4000 threads"); // 16 * 256 >= 4000
                                                               // out off 16 bytes by one element, or count not a multiple of
                                                               // W: the word loop, one warp per word
            let p = plan(3, count, 0x1000 + dtype.size() as u64);
            assert_eq!(groups(p), ArgValue::U64(0), "{dtype}");
            let p = plan(3, count + 1, 0x1000);
            assert_eq!(groups(p), ArgValue::U64(0), "{dtype}");
            assert_eq!(p.vector_groups(), 0, "{dtype}");
            let warps = 3 * (count + 1).div_ceil(32);
            assert_eq!(p.grid() as usize, (32 * warps).div_ceil(256), "{dtype}");
            // rows of 2^31 neurons or more: the word loop (32-bit columns)
            let big = LaunchPlan::voltage_bits_dyn(dtype, 1, 1 << 31, 0, 0, 1, 2, LIMITS);
            assert_eq!(groups(big.unwrap()), ArgValue::U64(0), "{dtype}");
            let below = (1usize << 31) - 16;
            let big = LaunchPlan::voltage_bits_dyn(dtype, 1, below, 0, 0, 1, 2, LIMITS);
            assert_eq!(
                groups(big.unwrap()),
                ArgValue::U64(below as u64 / width),
                "{dtype}"
            );
        }
        // spike bytes: 16 per chunk
        let plan = LaunchPlan::unpack_bits(2, 48, 0x1000, 0x2000, LIMITS).unwrap();
        assert_eq!(plan.args()[4], ArgValue::U64(6));
        assert_eq!(plan.grid(), 1);
        for (count, out) in [(40, 0x1000), (48, 0x1008)] {
            let plan = LaunchPlan::unpack_bits(2, count, out, 0x2000, LIMITS).unwrap();
            assert_eq!(plan.args()[4], ArgValue::U64(0), "{count} at {out:#x}");
        }
        // nothing to do: no launch, on either path
        assert!(LaunchPlan::unpack_bits(0, 48, 0, 0, LIMITS)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn step_plans_carry_the_voltage_width_and_the_state() {
        let volt = VoltageTarget::of(0x300, -60.0f64, -50.0);
        let plan = LaunchPlan::step_dyn(
            SpikeRule::Override,
            DType::BF16,
            1000,
            0x100,
            0x200,
            Some(volt),
            Some((0x400, 750)),
            LIMITS,
        )
        .unwrap();
        assert_eq!(plan.kernel().name(), "step_override_b16");
        // the state's element 0 - 750 at 0x400 - 750 = 0x112 is 16-byte
        // aligned at element 14, the other buffers at 0: never together,
        // so every element goes one by one, one per thread
        assert_eq!(plan.grid(), 4);
        assert_eq!(
            plan.args(),
            &[
                ArgValue::U64(0x100),
                ArgValue::U64(0x300),
                ArgValue::U64(0x400),
                ArgValue::U64(0x200),
                ArgValue::U64(1000),
                ArgValue::U64(750),
                ArgValue::U64(8),
                ArgValue::B64((-60.0f64).to_bits()),
                ArgValue::B64((-50.0f64).to_bits()),
                ArgValue::U64(0), // no vector path: head 0, no groups
                ArgValue::U64(0),
            ]
        );
        // without a state or a voltage (null, aligned for anything) the
        // head is the spikes' and inputs': 6, not a multiple of 4
        let plan = LaunchPlan::step_dyn(
            SpikeRule::Override,
            DType::U8,
            100,
            0x100A,
            0x200A,
            None,
            None,
            LIMITS,
        )
        .unwrap();
        assert_eq!((plan.head(), plan.vector_groups()), (6, 5));
        // the override steps take the vector path as the threshold steps
        // do: u8 values, W = 16, every buffer 16-byte aligned at element 5
        // (spikes 0x1010, values 0x2010, f32 voltages 0x3040, and the
        // state's element 5 - 750 at 0x4009 + 5 - 750 = 0x3D20)
        let volt = VoltageTarget::of(0x302C, -60.0f32, -50.0);
        let plan = LaunchPlan::step_dyn(
            SpikeRule::Override,
            DType::U8,
            1000,
            0x100B,
            0x200B,
            Some(volt),
            Some((0x4009, 750)),
            LIMITS,
        )
        .unwrap();
        assert_eq!(plan.kernel().name(), "step_override_u8");
        assert_eq!((plan.head(), plan.vector_groups()), (5, 62));
        // one thread per unrolled iteration (16) or scalar element (8)
        assert_eq!(plan.grid(), 1);
        // step_f32 takes the vector path when every buffer, the state at
        // element last, is aligned with the others after the head
        let step = |volt_addr, state| {
            LaunchPlan::step_dyn(
                SpikeRule::Threshold,
                DType::F32,
                1000,
                0x1003,
                0x200C,
                Some(VoltageTarget::of(volt_addr, -60.0f32, -50.0)),
                Some((state, 750)),
                LIMITS,
            )
            .unwrap()
        };
        // spikes and inputs align at element 13 (0x1010, 0x2040), the
        // voltages only at multiples of 4 (0x3034 at 13): never together
        let plan = step(0x3000, 0x4001);
        assert_eq!((plan.head(), plan.vector_groups()), (0, 0));
        // voltages at 0x3040 at element 13, and the state's element 13 -
        // 750 at 0x4001 + 13 - 750 = 0x3D20: all aligned at head 13
        let plan = step(0x300C, 0x4001);
        assert_eq!((plan.head(), plan.vector_groups()), (13, 246));
        assert_eq!(plan.args()[9..], [ArgValue::U64(13), ArgValue::U64(246)]);
        // a state one byte off: never aligned with the rest
        let plan = step(0x300C, 0x4002);
        assert_eq!((plan.head(), plan.vector_groups()), (0, 0));
        // the grid: one thread per unrolled iteration or scalar element
        assert_eq!(plan.grid(), 4);
        // no voltage, no state: null addresses, width 0, last = n
        let plan = LaunchPlan::step_dyn(
            SpikeRule::Threshold,
            DType::F16,
            9,
            1,
            2,
            None,
            None,
            LIMITS,
        )
        .unwrap();
        assert_eq!(&plan.args()[1..3], &[ArgValue::U64(0), ArgValue::U64(0)]);
        assert_eq!(plan.args()[5], ArgValue::U64(9));
        assert_eq!(plan.args()[6], ArgValue::U64(0));
        // a voltage of a type without a voltage kernel is refused
        let bad = VoltageTarget {
            addr: 1,
            dtype: DType::U8,
            rest: 0,
            thresh: 0,
        };
        assert!(LaunchPlan::step_bits_dyn(
            SpikeRule::Threshold,
            DType::F32,
            1,
            1,
            0,
            0,
            Some(bad),
            None,
            LIMITS
        )
        .is_err());
        assert!(
            LaunchPlan::step_dyn(SpikeRule::Threshold, DType::U8, 1, 0, 0, None, None, LIMITS)
                .is_err()
        );
    }
}
