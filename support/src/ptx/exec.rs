//! Executes an entry over a grid, as the driver would launch it.
//!
//! A launch names an entry, a one-dimensional grid and block, and the
//! argument values in `.param` order; the interpreter checks them against
//! the entry's parameter list (count and declared type, as a mismatch would
//! make the driver copy the wrong bytes), lays them out in a parameter block
//! at the offsets the parser computed, and runs every warp (32 consecutive
//! threads of a block; the last one partial when the block is not a
//! multiple of 32) to completion, one after another.
//!
//! Within a warp, each lane runs on its own until it exits or reaches a warp
//! collective (`vote.sync`, `shfl.sync`, `activemask`); the collective then
//! runs once for all the lanes waiting at it, which must be exactly the
//! lanes its member mask names (see `run_warp`), and they run on. Between
//! collectives, running lanes one after another is exact: the subset has no
//! shared memory, barriers or atomics, so a thread can only observe others
//! through global memory, and `memory` turns every such observation within
//! one launch into a fault (see its race shadow).
//!
//! Values live in a flat `u64` register file, each register holding its
//! value zero-extended from its declared width (a predicate is 0 or 1);
//! every instruction masks its result to its width.
//!
//! `cvta.to.global` is the identity: the driver hands the kernel pointers
//! from its global allocations, whose generic and global addresses coincide
//! on every GPU CUDA supports; the interpreter has no other state space.

use std::fmt;

use exact_neuron::launch::{ArgValue, LaunchPlan};

use super::ir::{
    mask, sext, Axis, BinOp, Cmp, Entry, Kind, Module, Op, ShflMode, Special, Src, Ty, UnOp,
    VoteMode,
};
use super::memory::{Fault, Memory, MAX_THREADS};

/// Limits of one launch.
#[derive(Clone, Copy, Debug)]
pub struct ExecOptions {
    /// Instructions one thread may execute before it is called stuck.
    pub step_limit: u64,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            step_limit: 1 << 26,
        }
    }
}

/// What a launch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LaunchStats {
    pub launches: u64,
    pub threads: u64,
    pub instructions: u64,
    pub loads: u64,
    pub stores: u64,
    /// Loads and stores with `.v2` or `.v4`: the vector path ran.
    pub vector_accesses: u64,
}

impl LaunchStats {
    pub fn add(&mut self, other: &LaunchStats) {
        self.launches += other.launches;
        self.threads += other.threads;
        self.instructions += other.instructions;
        self.loads += other.loads;
        self.stores += other.stores;
        self.vector_accesses += other.vector_accesses;
    }
}

impl fmt::Display for LaunchStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} launches, {} threads, {} instructions, {} loads, {} stores ({} vector)",
            self.launches,
            self.threads,
            self.instructions,
            self.loads,
            self.stores,
            self.vector_accesses
        )
    }
}

/// Why a thread stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapKind {
    Memory(Fault),
    StepLimit(u64),
    /// `div` or `rem` by zero.
    DivideByZero,
    /// A warp collective whose member mask (of the trapping lane) is not
    /// the set of lanes that reached it together. The other masks say where
    /// the rest of the warp was: lanes that had exited, lanes waiting at
    /// another collective, and the lanes the warp has at all (fewer than 32
    /// in the partial last warp of a block).
    MemberMask {
        mask: u32,
        arrived: u32,
        exited: u32,
        elsewhere: u32,
        present: u32,
    },
    /// `shfl.sync` reading a lane that is not taking part.
    InactiveSource {
        source: u32,
    },
}

/// A thread's fault, with everything needed to find it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    pub entry: String,
    pub pc: usize,
    pub line: u32,
    pub text: String,
    pub ctaid: u32,
    pub tid: u32,
    pub kind: TrapKind,
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.kind {
            TrapKind::Memory(fault) => fault.to_string(),
            TrapKind::StepLimit(limit) => format!("thread ran past the step limit of {limit}"),
            TrapKind::DivideByZero => "integer division by zero".into(),
            TrapKind::MemberMask {
                mask,
                arrived,
                exited,
                elsewhere,
                present,
            } => format!(
                "warp collective with member mask {mask:#010x} (lanes {}) reached together by \
                 lanes {} (exited: {}; at another collective: {}; lanes in the warp: {})",
                lane_list(*mask),
                lane_list(*arrived),
                lane_list(*exited),
                lane_list(*elsewhere),
                lane_list(*present)
            ),
            TrapKind::InactiveSource { source } => {
                format!("shfl.sync reads lane {source}, which is not taking part")
            }
        };
        write!(
            f,
            "trap in {} at line {} (`{}`), block {} thread {}: {what}",
            self.entry, self.line, self.text, self.ctaid, self.tid
        )
    }
}

/// Why a launch failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LaunchError {
    /// The module has no such entry.
    NoEntry(String),
    /// The argument list does not match the entry's parameters.
    Arguments(String),
    /// The grid or block is outside CUDA's limits.
    Config(String),
    Trap(Trap),
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LaunchError::NoEntry(name) => write!(f, "no entry `{name}` in the module"),
            LaunchError::Arguments(message) | LaunchError::Config(message) => f.write_str(message),
            LaunchError::Trap(trap) => trap.fmt(f),
        }
    }
}

impl std::error::Error for LaunchError {}

/// Runs a launch plan: the entry, grid, block and arguments all come from
/// the plan, exactly as the CUDA backend passes them to the driver.
pub fn launch_plan(
    module: &Module,
    plan: &LaunchPlan,
    memory: &mut Memory,
    options: &ExecOptions,
) -> Result<LaunchStats, LaunchError> {
    launch(
        module,
        plan.kernel().name(),
        plan.grid(),
        plan.block(),
        plan.args(),
        memory,
        options,
    )
}

/// The parameter block of `entry` for `args`.
fn parameter_block(entry: &Entry, args: &[ArgValue]) -> Result<Vec<u8>, LaunchError> {
    if args.len() != entry.params.len() {
        return Err(LaunchError::Arguments(format!(
            "{} takes {} arguments, the launch passes {}",
            entry.name,
            entry.params.len(),
            args.len()
        )));
    }
    let mut block = vec![0u8; entry.param_bytes];
    for (index, (param, arg)) in entry.params.iter().zip(args).enumerate() {
        // Each argument kind is meant for one declared type; anything else
        // means the host built the list for another entry or in another order.
        let (expected, bits) = match *arg {
            ArgValue::U64(bits) => (Ty::U64, bits),
            ArgValue::B64(bits) => (
                Ty {
                    kind: Kind::Bit,
                    bits: 64,
                },
                bits,
            ),
            ArgValue::B32(bits) => (
                Ty {
                    kind: Kind::Bit,
                    bits: 32,
                },
                u64::from(bits),
            ),
        };
        if param.ty != expected {
            return Err(LaunchError::Arguments(format!(
                "{}: argument {index} is {arg:?}, but parameter `{}` is declared {}",
                entry.name, param.name, param.ty
            )));
        }
        let size = param.ty.bytes();
        block[param.offset..param.offset + size].copy_from_slice(&bits.to_le_bytes()[..size]);
    }
    Ok(block)
}

/// Launches `name` over `grid` blocks of `block` threads.
pub fn launch(
    module: &Module,
    name: &str,
    grid: u32,
    block: u32,
    args: &[ArgValue],
    memory: &mut Memory,
    options: &ExecOptions,
) -> Result<LaunchStats, LaunchError> {
    let entry = module
        .entry(name)
        .ok_or_else(|| LaunchError::NoEntry(name.to_owned()))?;
    // cuLaunchKernel's limits for a one-dimensional launch.
    if grid == 0 || grid > i32::MAX as u32 {
        return Err(LaunchError::Config(format!(
            "grid of {grid} blocks is outside 1..=2^31-1"
        )));
    }
    if block == 0 || block > 1024 {
        return Err(LaunchError::Config(format!(
            "block of {block} threads is outside 1..=1024"
        )));
    }
    let threads = u64::from(grid) * u64::from(block);
    if threads > MAX_THREADS {
        return Err(LaunchError::Config(format!(
            "{threads} threads are more than the interpreter's race shadow can name"
        )));
    }
    let params = parameter_block(entry, args)?;
    memory.begin_launch();
    let mut stats = LaunchStats {
        launches: 1,
        ..LaunchStats::default()
    };
    let mut warp = Warp::new(entry);
    for ctaid in 0..grid {
        // Warps are 32 consecutive threads of a block; the last one is
        // partial when the block is not a multiple of 32.
        for first in (0..block).step_by(WARP_SIZE as usize) {
            let lanes = (block - first).min(WARP_SIZE);
            warp.reset(lanes);
            run_warp(
                entry, &params, memory, ctaid, first, block, grid, &mut warp, options, &mut stats,
            )?;
            stats.threads += u64::from(lanes);
        }
    }
    Ok(stats)
}

/// Threads in a warp.
pub const WARP_SIZE: u32 = 32;

/// Where a lane stands between two scheduling rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LaneState {
    /// May run on.
    Running,
    /// Stopped at the warp collective at its `pc`, waiting for the others.
    Waiting,
    /// Left the entry.
    Exited,
}

/// The lanes of one warp: a program counter, a step count and a register
/// file each.
struct Warp {
    lanes: u32,
    nregs: usize,
    pc: [usize; WARP_SIZE as usize],
    steps: [u64; WARP_SIZE as usize],
    /// For each collective instruction of the entry (`slots`), how many
    /// times each lane has passed it (run it, or skipped it by its guard):
    /// `passes[slot * 32 + lane]`.
    passes: Vec<u64>,
    /// The slot of each instruction that is a collective.
    slots: Vec<Option<usize>>,
    state: [LaneState; WARP_SIZE as usize],
    /// `nregs` registers per lane, lane after lane.
    regs: Vec<u64>,
}

impl Warp {
    fn new(entry: &Entry) -> Warp {
        let nregs = entry.regs.len();
        let mut count = 0;
        let slots = entry
            .code
            .iter()
            .map(|instr| {
                instr.op.is_collective().then(|| {
                    count += 1;
                    count - 1
                })
            })
            .collect();
        Warp {
            passes: vec![0; count * WARP_SIZE as usize],
            slots,
            lanes: 0,
            nregs,
            pc: [0; WARP_SIZE as usize],
            steps: [0; WARP_SIZE as usize],
            state: [LaneState::Exited; WARP_SIZE as usize],
            regs: vec![0; nregs * WARP_SIZE as usize],
        }
    }

    fn reset(&mut self, lanes: u32) {
        self.lanes = lanes;
        self.pc = [0; WARP_SIZE as usize];
        self.steps = [0; WARP_SIZE as usize];
        self.passes.fill(0);
        self.state = [LaneState::Exited; WARP_SIZE as usize];
        self.state[..lanes as usize].fill(LaneState::Running);
        self.regs.fill(0);
    }

    fn lane_regs(&mut self, lane: u32) -> &mut [u64] {
        let at = lane as usize * self.nregs;
        &mut self.regs[at..at + self.nregs]
    }

    /// How many times `lane` has passed the collective at `pc`.
    fn passes(&mut self, lane: u32, pc: usize) -> &mut u64 {
        let slot = self.slots[pc].expect("a collective has a slot");
        &mut self.passes[slot * WARP_SIZE as usize + lane as usize]
    }

    fn reg(&self, lane: u32, reg: super::ir::Reg) -> u64 {
        self.regs[lane as usize * self.nregs + usize::from(reg)]
    }

    /// The lanes in `state`, as a lane mask.
    fn lanes_in(&self, state: LaneState) -> u32 {
        (0..self.lanes)
            .filter(|&lane| self.state[lane as usize] == state)
            .fold(0, |mask, lane| mask | 1 << lane)
    }
}

/// Runs one warp to completion.
///
/// Each round runs every running lane, one after another, until it exits or
/// stops at a warp collective (a guarded collective whose guard is false is
/// skipped like any other instruction). Then every collective that lanes
/// wait at is executed for the lanes waiting there, which run on in the next
/// round. So lanes meet at a collective exactly when they reach it without
/// passing through another one: the warp is as converged as it can be.
/// Lanes waiting at one instruction meet only if they have passed it (run
/// it, or skipped it by its guard) equally often before, so that lanes in
/// different iterations of a loop never pair up.
///
/// The member mask of each lane at a collective must equal the set of lanes
/// waiting at that instruction. That is stricter than sm_70 hardware, which
/// lets named lanes arrive from different paths at different times, but it
/// is what the kernels promise (the warp converged, the full mask), and it
/// turns every misuse (a mask naming a lane that exited, took another
/// branch, is outside a partial warp, or that leaves out a lane that is
/// there) into a trap instead of an answer that depends on the scheduler.
#[allow(clippy::too_many_arguments)]
fn run_warp(
    entry: &Entry,
    params: &[u8],
    memory: &mut Memory,
    ctaid: u32,
    first: u32,
    block: u32,
    grid: u32,
    warp: &mut Warp,
    options: &ExecOptions,
    stats: &mut LaunchStats,
) -> Result<(), LaunchError> {
    let thread = |lane: u32| Thread {
        ctaid,
        tid: first + lane,
        ntid: block,
        nctaid: grid,
        linear: u64::from(ctaid) * u64::from(block) + u64::from(first + lane),
    };
    loop {
        for lane in 0..warp.lanes {
            if warp.state[lane as usize] != LaneState::Running {
                continue;
            }
            let t = thread(lane);
            let mut pc = warp.pc[lane as usize];
            let mut steps = warp.steps[lane as usize];
            let at = lane as usize * warp.nregs;
            let regs = &mut warp.regs[at..at + warp.nregs];
            let mut skipped = |pc: usize| {
                let slot = warp.slots[pc].expect("a collective has a slot");
                warp.passes[slot * WARP_SIZE as usize + lane as usize] += 1;
            };
            let stop = run_lane(
                entry,
                params,
                memory,
                &t,
                regs,
                &mut pc,
                &mut steps,
                &mut skipped,
                options,
                stats,
            )?;
            warp.pc[lane as usize] = pc;
            warp.steps[lane as usize] = steps;
            warp.state[lane as usize] = stop;
        }
        let waiting = warp.lanes_in(LaneState::Waiting);
        if waiting == 0 {
            let steps: u64 = warp.steps[..warp.lanes as usize].iter().sum();
            stats.instructions += steps;
            return Ok(());
        }
        // The collectives lanes wait at, each with the lanes waiting there:
        // lanes meet when they wait at the same instruction having passed it
        // equally often (not in different iterations of a loop).
        let mut groups: Vec<(usize, u64, u32)> = Vec::new();
        for lane in 0..warp.lanes {
            if warp.state[lane as usize] != LaneState::Waiting {
                continue;
            }
            let pc = warp.pc[lane as usize];
            let passes = *warp.passes(lane, pc);
            match groups
                .iter_mut()
                .find(|(at, n, _)| *at == pc && *n == passes)
            {
                Some((_, _, lanes)) => *lanes |= 1 << lane,
                None => groups.push((pc, passes, 1 << lane)),
            }
        }
        groups.sort_unstable();
        for (pc, _, arrived) in groups {
            collective(entry, warp, pc, arrived, &thread)?;
            for lane in 0..warp.lanes {
                if arrived & (1 << lane) != 0 {
                    *warp.passes(lane, pc) += 1;
                    warp.pc[lane as usize] = pc + 1;
                    warp.state[lane as usize] = LaneState::Running;
                }
            }
        }
    }
}

/// The lanes of a mask, for messages: `0-15,17`.
pub fn lane_list(mask: u32) -> String {
    let mut parts = Vec::new();
    let mut lane = 0;
    while lane < 32 {
        if mask & (1 << lane) == 0 {
            lane += 1;
            continue;
        }
        let start = lane;
        while lane < 32 && mask & (1 << lane) != 0 {
            lane += 1;
        }
        parts.push(if lane - 1 == start {
            format!("{start}")
        } else {
            format!("{start}-{}", lane - 1)
        });
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(",")
    }
}

/// Executes the collective at `pc` for the lanes in `arrived`, after
/// checking every lane's member mask.
fn collective(
    entry: &Entry,
    warp: &mut Warp,
    pc: usize,
    arrived: u32,
    thread: &dyn Fn(u32) -> Thread,
) -> Result<(), LaunchError> {
    let instr = &entry.code[pc];
    let trap = |lane: u32, kind: TrapKind| {
        let t = thread(lane);
        LaunchError::Trap(Trap {
            entry: entry.name.clone(),
            pc,
            line: instr.line,
            text: instr.text.clone(),
            ctaid: t.ctaid,
            tid: t.tid,
            kind,
        })
    };
    let lanes = (0..WARP_SIZE).filter(|lane| arrived & (1 << lane) != 0);
    let value_of = |warp: &Warp, lane: u32, src: Src| match src {
        Src::Reg(r) => warp.reg(lane, r),
        Src::Imm(v) => v,
        Src::Special(s) => thread(lane).special(s),
    };
    let mask = match instr.op {
        Op::Vote { mask, .. } | Op::Shfl { mask, .. } => Some(mask),
        _ => None,
    };
    if let Some(mask) = mask {
        for lane in lanes.clone() {
            let named = value_of(warp, lane, mask) as u32;
            if named != arrived {
                return Err(trap(
                    lane,
                    TrapKind::MemberMask {
                        mask: named,
                        arrived,
                        exited: warp.lanes_in(LaneState::Exited),
                        elsewhere: warp.lanes_in(LaneState::Waiting) & !arrived,
                        present: mask_of(warp.lanes),
                    },
                ));
            }
        }
    }
    match instr.op {
        Op::Activemask { dst } => {
            for lane in lanes {
                warp.lane_regs(lane)[usize::from(dst)] = u64::from(arrived);
            }
        }
        Op::Vote {
            mode, dst, pred, ..
        } => {
            let ballot = lanes
                .clone()
                .filter(|&lane| warp.reg(lane, pred) != 0)
                .fold(0u32, |word, lane| word | 1 << lane);
            let result = match mode {
                VoteMode::Ballot => u64::from(ballot),
                VoteMode::Any => u64::from(ballot != 0),
                VoteMode::All => u64::from(ballot == arrived),
            };
            for lane in lanes {
                warp.lane_regs(lane)[usize::from(dst)] = result;
            }
        }
        Op::Shfl {
            mode,
            dst,
            dst_pred,
            a,
            b,
            c,
            ..
        } => {
            // Every lane's source value is read before any is written: `d`
            // may be `a`.
            let sources: Vec<u64> = (0..WARP_SIZE)
                .map(|lane| {
                    if arrived & (1 << lane) != 0 {
                        value_of(warp, lane, a)
                    } else {
                        0
                    }
                })
                .collect();
            let mut results = Vec::new();
            for lane in lanes {
                let (source, valid) = shuffle_source(
                    mode,
                    lane,
                    value_of(warp, lane, b) as u32,
                    value_of(warp, lane, c) as u32,
                );
                if arrived & (1 << source) == 0 {
                    return Err(trap(lane, TrapKind::InactiveSource { source }));
                }
                results.push((lane, sources[source as usize], valid));
            }
            for (lane, value, valid) in results {
                let regs = warp.lane_regs(lane);
                regs[usize::from(dst)] = value;
                if let Some(p) = dst_pred {
                    regs[usize::from(p)] = u64::from(valid);
                }
            }
        }
        _ => unreachable!("only collectives stop a lane"),
    }
    Ok(())
}

/// The lanes `0..lanes`.
fn mask_of(lanes: u32) -> u32 {
    if lanes >= 32 {
        u32::MAX
    } else {
        (1 << lanes) - 1
    }
}

/// The lane `shfl.sync` reads for `lane`, and whether it lies inside the
/// lane's segment (the predicate result), by the ISA's pseudocode: `b`'s
/// low 5 bits are the lane or offset, `c` packs the clamp (bits 0-4) and the
/// segment mask (bits 8-12). A source outside the segment is the lane
/// itself.
pub fn shuffle_source(mode: ShflMode, lane: u32, b: u32, c: u32) -> (u32, bool) {
    let b = b & 0x1F;
    let clamp = c & 0x1F;
    let segmask = (c >> 8) & 0x1F;
    let max_lane = (lane & segmask) | (clamp & !segmask);
    let min_lane = lane & segmask;
    let lane = lane as i32;
    let (j, valid) = match mode {
        ShflMode::Up => {
            let j = lane - b as i32;
            (j, j >= max_lane as i32)
        }
        ShflMode::Down => {
            let j = lane + b as i32;
            (j, j <= max_lane as i32)
        }
        ShflMode::Bfly => {
            let j = lane ^ b as i32;
            (j, j <= max_lane as i32)
        }
        ShflMode::Idx => {
            let j = (min_lane | (b & !segmask)) as i32;
            (j, j <= max_lane as i32)
        }
    };
    if valid {
        (j as u32, true)
    } else {
        (lane as u32, false)
    }
}

/// The identity of one thread.
struct Thread {
    ctaid: u32,
    tid: u32,
    ntid: u32,
    nctaid: u32,
    linear: u64,
}

impl Thread {
    fn special(&self, special: Special) -> u64 {
        // A one-dimensional launch: y and z are 0 of 1.
        u64::from(match special {
            Special::Tid(Axis::X) => self.tid,
            Special::Ntid(Axis::X) => self.ntid,
            Special::Ctaid(Axis::X) => self.ctaid,
            Special::Nctaid(Axis::X) => self.nctaid,
            Special::Tid(_) | Special::Ctaid(_) => 0,
            Special::Ntid(_) | Special::Nctaid(_) => 1,
            // Warps are 32 consecutive threads of a block.
            Special::Laneid => self.tid % 32,
        })
    }
}

#[inline(always)]
fn value(regs: &[u64], src: Src, thread: &Thread) -> u64 {
    match src {
        Src::Reg(r) => regs[usize::from(r)],
        Src::Imm(v) => v,
        Src::Special(s) => thread.special(s),
    }
}

/// A loaded or converted value of type `ty` (already masked to it) in a
/// register of `reg_bits`: sign-extended for signed types, zero-extended
/// otherwise (PTX ISA, "Operand Size Exceeding Instruction-Type Size").
#[inline(always)]
fn extend(v: u64, ty: Ty, reg_bits: u32) -> u64 {
    if ty.kind == Kind::Signed {
        sext(v, ty.bits) as u64 & mask(reg_bits)
    } else {
        v
    }
}

/// `op.ty a, b` on canonical (masked) operands.
pub fn binary(op: BinOp, ty: Ty, a: u64, b: u64) -> u64 {
    let bits = ty.bits;
    let m = ty.mask();
    let signed = ty.kind == Kind::Signed;
    match op {
        BinOp::Add => a.wrapping_add(b) & m,
        BinOp::Sub => a.wrapping_sub(b) & m,
        BinOp::MulLo => a.wrapping_mul(b) & m,
        BinOp::MulHi => {
            if signed {
                ((i128::from(sext(a, bits)) * i128::from(sext(b, bits))) >> bits) as u64 & m
            } else {
                ((u128::from(a) * u128::from(b)) >> bits) as u64 & m
            }
        }
        BinOp::Min | BinOp::Max => {
            let a_first = if signed {
                sext(a, bits) <= sext(b, bits)
            } else {
                a <= b
            };
            if a_first == (op == BinOp::Min) {
                a
            } else {
                b
            }
        }
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        // The amount is a .u32; amounts of the width or more clamp to it:
        // everything shifted out, or the sign copied into every bit.
        BinOp::Shl => {
            if b >= u64::from(bits) {
                0
            } else {
                (a << b) & m
            }
        }
        BinOp::Div | BinOp::Rem => {
            // A zero divisor traps before this is called.
            if signed {
                let (a, b) = (sext(a, bits), sext(b, bits));
                let q = if op == BinOp::Div {
                    a.wrapping_div(b)
                } else {
                    a.wrapping_rem(b)
                };
                q as u64 & m
            } else if op == BinOp::Div {
                a / b
            } else {
                a % b
            }
        }
        BinOp::Shr => {
            if signed {
                (sext(a, bits) >> b.min(u64::from(bits) - 1)) as u64 & m
            } else if b >= u64::from(bits) {
                0
            } else {
                a >> b
            }
        }
    }
}

/// `setp.cmp.ty a, b`.
pub fn compare(cmp: Cmp, ty: Ty, a: u64, b: u64) -> bool {
    let ordering =
        if ty.kind == Kind::Signed && !matches!(cmp, Cmp::Lo | Cmp::Ls | Cmp::Hi | Cmp::Hs) {
            sext(a, ty.bits).cmp(&sext(b, ty.bits))
        } else {
            a.cmp(&b)
        };
    match cmp {
        Cmp::Eq => a == b,
        Cmp::Ne => a != b,
        Cmp::Lt | Cmp::Lo => ordering.is_lt(),
        Cmp::Le | Cmp::Ls => ordering.is_le(),
        Cmp::Gt | Cmp::Hi => ordering.is_gt(),
        Cmp::Ge | Cmp::Hs => ordering.is_ge(),
    }
}

/// `cvt{.sat}.to.from` of a source register's value, before the result is
/// extended into the destination register. The source is first chopped to
/// `from`'s width (a wider register is allowed); widening extends by the
/// source's signedness, narrowing truncates, `.sat` clamps to `to`'s range.
pub fn convert(to: Ty, from: Ty, sat: bool, v: u64) -> u64 {
    let v = v & from.mask();
    let wide: i128 = if from.kind == Kind::Signed {
        i128::from(sext(v, from.bits))
    } else {
        i128::from(v)
    };
    let wide = if sat {
        let (low, high) = if to.kind == Kind::Signed {
            (-(1i128 << (to.bits - 1)), (1i128 << (to.bits - 1)) - 1)
        } else {
            (0, (1i128 << to.bits) - 1)
        };
        wide.clamp(low, high)
    } else {
        wide
    };
    (wide as u64) & to.mask()
}

/// `mul.wide.ty a, b`: the full product of two `ty` values.
pub fn multiply_wide(ty: Ty, a: u64, b: u64) -> u64 {
    let product = if ty.kind == Kind::Signed {
        (sext(a, ty.bits) * sext(b, ty.bits)) as u64
    } else {
        a * b
    };
    product & mask(2 * ty.bits)
}

/// Runs one lane from `*pc` until it exits (`Exited`) or reaches a warp
/// collective whose guard holds (`Waiting`, `*pc` at the collective).
#[allow(clippy::too_many_arguments)]
fn run_lane(
    entry: &Entry,
    params: &[u8],
    memory: &mut Memory,
    thread: &Thread,
    regs: &mut [u64],
    pc_io: &mut usize,
    steps_io: &mut u64,
    skipped_collective: &mut dyn FnMut(usize),
    options: &ExecOptions,
    stats: &mut LaunchStats,
) -> Result<LaneState, LaunchError> {
    let code = &entry.code;
    let mut pc = *pc_io;
    let mut steps = *steps_io;
    let trap = |pc: usize, kind: TrapKind| {
        let instr = &code[pc];
        LaunchError::Trap(Trap {
            entry: entry.name.clone(),
            pc,
            line: instr.line,
            text: instr.text.clone(),
            ctaid: thread.ctaid,
            tid: thread.tid,
            kind,
        })
    };
    // Leaving the entry by its closing brace is an exit, as `ret` is.
    while let Some(instr) = code.get(pc) {
        steps += 1;
        if steps > options.step_limit {
            return Err(trap(pc, TrapKind::StepLimit(options.step_limit)));
        }
        if let Some(guard) = instr.guard {
            if (regs[usize::from(guard.reg)] != 0) == guard.negated {
                if instr.op.is_collective() {
                    skipped_collective(pc);
                }
                pc += 1;
                continue;
            }
        }
        match instr.op {
            Op::LdParam {
                ty,
                dst,
                dst_bits,
                offset,
            } => {
                let mut bytes = [0u8; 8];
                bytes[..ty.bytes()].copy_from_slice(&params[offset..offset + ty.bytes()]);
                regs[usize::from(dst)] = extend(u64::from_le_bytes(bytes), ty, dst_bits);
            }
            Op::LdGlobal {
                nc,
                ty,
                count,
                dst,
                dst_bits,
                base,
                offset,
            } => {
                let addr = regs[usize::from(base)].wrapping_add(offset as u64);
                let size = ty.bytes() * usize::from(count);
                let raw = memory
                    .load(addr, size, nc, thread.linear)
                    .map_err(|fault| trap(pc, TrapKind::Memory(fault)))?;
                for i in 0..usize::from(count) {
                    let v = (raw >> (i as u32 * ty.bits)) as u64 & ty.mask();
                    regs[usize::from(dst[i])] = extend(v, ty, dst_bits[i]);
                }
                stats.loads += 1;
                stats.vector_accesses += u64::from(count > 1);
            }
            Op::StGlobal {
                ty,
                count,
                src,
                base,
                offset,
            } => {
                let addr = regs[usize::from(base)].wrapping_add(offset as u64);
                let mut packed = 0u128;
                for (i, reg) in src[..usize::from(count)].iter().enumerate() {
                    // A wider register stores its low bits.
                    let v = regs[usize::from(*reg)] & ty.mask();
                    packed |= u128::from(v) << (i as u32 * ty.bits);
                }
                let size = ty.bytes() * usize::from(count);
                memory
                    .store(addr, size, packed, thread.linear)
                    .map_err(|fault| trap(pc, TrapKind::Memory(fault)))?;
                stats.stores += 1;
                stats.vector_accesses += u64::from(count > 1);
            }
            Op::Mov { dst, src } => regs[usize::from(dst)] = value(regs, src, thread),
            Op::CvtaToGlobal { dst, src } => regs[usize::from(dst)] = regs[usize::from(src)],
            Op::Cvt {
                to,
                from,
                sat,
                dst,
                dst_bits,
                src,
            } => {
                let v = convert(to, from, sat, regs[usize::from(src)]);
                regs[usize::from(dst)] = extend(v, to, dst_bits);
            }
            Op::Bin { op, ty, dst, a, b } => {
                let a = value(regs, a, thread);
                let b = value(regs, b, thread);
                if matches!(op, BinOp::Div | BinOp::Rem) && b == 0 {
                    return Err(trap(pc, TrapKind::DivideByZero));
                }
                regs[usize::from(dst)] = binary(op, ty, a, b);
            }
            Op::MulWide { ty, dst, a, b } => {
                let a = value(regs, a, thread);
                let b = value(regs, b, thread);
                regs[usize::from(dst)] = multiply_wide(ty, a, b);
            }
            Op::Not { ty, dst, a } => regs[usize::from(dst)] = !value(regs, a, thread) & ty.mask(),
            Op::Setp { cmp, ty, dst, a, b } => {
                let a = value(regs, a, thread);
                let b = value(regs, b, thread);
                regs[usize::from(dst)] = u64::from(compare(cmp, ty, a, b));
            }
            Op::Selp { dst, a, b, pred } => {
                let chosen = if regs[usize::from(pred)] != 0 { a } else { b };
                regs[usize::from(dst)] = value(regs, chosen, thread);
            }
            Op::Unary { op, ty, dst, a } => {
                regs[usize::from(dst)] = unary(op, ty, value(regs, a, thread));
            }
            Op::Bfe { ty, dst, a, b, c } => {
                let a = value(regs, a, thread);
                let b = value(regs, b, thread);
                let c = value(regs, c, thread);
                regs[usize::from(dst)] = bit_field_extract(ty, a, b as u32, c as u32);
            }
            Op::Prmt { dst, a, b, c } => {
                let a = value(regs, a, thread) as u32;
                let b = value(regs, b, thread) as u32;
                let c = value(regs, c, thread) as u32;
                regs[usize::from(dst)] = u64::from(permute(a, b, c));
            }
            Op::Vote { .. } | Op::Shfl { .. } | Op::Activemask { .. } => {
                // The warp runs it (`collective`), for every lane at once;
                // the step is counted here, once per lane.
                *pc_io = pc;
                *steps_io = steps;
                return Ok(LaneState::Waiting);
            }
            Op::Bra { target } => {
                pc = target;
                continue;
            }
            Op::Ret => break,
        }
        pc += 1;
    }
    *pc_io = pc;
    *steps_io = steps;
    Ok(LaneState::Exited)
}

/// `brev`, `popc`, `clz` of a `ty` value.
pub fn unary(op: UnOp, ty: Ty, a: u64) -> u64 {
    let a = a & ty.mask();
    match op {
        UnOp::Brev => a.reverse_bits() >> (64 - ty.bits),
        UnOp::Popc => u64::from(a.count_ones()),
        UnOp::Clz => u64::from(a.leading_zeros() - (64 - ty.bits)),
    }
}

/// `bfe.ty a, pos, len`: the ISA's pseudocode, with `pos` and `len` taken
/// from their low 8 bits; the bits past the field (or past the source) are
/// zero for unsigned types and copies of the field's top bit (the source's
/// sign when the field runs past it) for signed ones.
pub fn bit_field_extract(ty: Ty, a: u64, pos: u32, len: u32) -> u64 {
    let bits = ty.bits;
    let pos = pos & 0xFF;
    let len = len & 0xFF;
    let a = a & ty.mask();
    let sbit = if ty.is_signed() && len != 0 {
        let top = (pos + len - 1).min(bits - 1);
        (a >> top) & 1
    } else {
        0
    };
    let mut d = 0u64;
    for i in 0..bits {
        let bit = if i < len && pos + i < bits {
            (a >> (pos + i)) & 1
        } else {
            sbit
        };
        d |= bit << i;
    }
    d
}

/// `prmt.b32 d, a, b, c` in the default mode.
pub fn permute(a: u32, b: u32, c: u32) -> u32 {
    let bytes = (u64::from(b) << 32 | u64::from(a)).to_le_bytes();
    let mut d = 0u32;
    for i in 0..4 {
        let selector = (c >> (4 * i)) & 0xF;
        let byte = bytes[(selector & 7) as usize];
        let byte = if selector & 8 != 0 {
            if byte & 0x80 != 0 {
                0xFF
            } else {
                0
            }
        } else {
            byte
        };
        d |= u32::from(byte) << (8 * i);
    }
    d
}
