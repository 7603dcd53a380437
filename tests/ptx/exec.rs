//! Executes an entry over a grid, as the driver would launch it.
//!
//! A launch names an entry, a one-dimensional grid and block, and the
//! argument values in `.param` order; the interpreter checks them against
//! the entry's parameter list (count and declared type, as a mismatch would
//! make the driver copy the wrong bytes), lays them out in a parameter block
//! at the offsets the parser computed, and runs every thread
//! `(ctaid.x, tid.x)` of the grid to completion, one after another.
//!
//! Running threads sequentially is exact for this subset: it has no shared
//! memory, barriers, atomics or warp-level instructions, so a thread can
//! only observe others through global memory, and `memory` turns every such
//! observation within one launch into a fault (see its race shadow).
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

use super::ir::{mask, sext, Axis, BinOp, Cmp, Entry, Kind, Module, Op, Special, Src, Ty};
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
    let mut regs = vec![0u64; entry.regs.len()];
    for ctaid in 0..grid {
        for tid in 0..block {
            let thread = Thread {
                ctaid,
                tid,
                ntid: block,
                nctaid: grid,
                linear: u64::from(ctaid) * u64::from(block) + u64::from(tid),
            };
            regs.fill(0);
            run_thread(
                entry, &params, memory, &thread, &mut regs, options, &mut stats,
            )?;
            stats.threads += 1;
        }
    }
    Ok(stats)
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

fn run_thread(
    entry: &Entry,
    params: &[u8],
    memory: &mut Memory,
    thread: &Thread,
    regs: &mut [u64],
    options: &ExecOptions,
    stats: &mut LaunchStats,
) -> Result<(), LaunchError> {
    let code = &entry.code;
    let mut pc = 0usize;
    let mut steps = 0u64;
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
            Op::Bra { target } => {
                pc = target;
                continue;
            }
            Op::Ret => break,
        }
        pc += 1;
    }
    stats.instructions += steps;
    Ok(())
}
