//! A static check of a decoded entry: no register is read before it is
//! written, on any path.
//!
//! PTX registers start undefined; a kernel that reads one before writing it
//! gets whatever the hardware left there, which an interpreter that zeroes
//! its registers would hide. So the check is done once, at parse time, by a
//! forward "definitely written" data-flow analysis over the control-flow
//! graph: a register is definitely written at an instruction when every path
//! from the entry writes it first. A guarded instruction may not run, so it
//! writes nothing for this analysis. Code that cannot be reached is not
//! checked (it never runs).

use super::ir::{Entry, Op, Reg, Src};
use super::lexer::ParseError;

/// Registers an instruction reads (its guard included).
pub fn reads(op: &Op) -> Vec<Reg> {
    fn src(out: &mut Vec<Reg>, s: &Src) {
        if let Src::Reg(r) = s {
            out.push(*r);
        }
    }
    let mut out = Vec::new();
    match op {
        Op::LdParam { .. } | Op::Bra { .. } | Op::Ret => {}
        Op::LdGlobal { base, .. } => out.push(*base),
        Op::StGlobal {
            src: regs,
            count,
            base,
            ..
        } => {
            out.push(*base);
            out.extend_from_slice(&regs[..usize::from(*count)]);
        }
        Op::Mov { src: s, .. } => src(&mut out, s),
        Op::CvtaToGlobal { src: r, .. } | Op::Cvt { src: r, .. } => out.push(*r),
        Op::Bin { a, b, .. }
        | Op::MulWide { a, b, .. }
        | Op::Setp { a, b, .. }
        | Op::Selp { a, b, .. } => {
            src(&mut out, a);
            src(&mut out, b);
            if let Op::Selp { pred, .. } = op {
                out.push(*pred);
            }
        }
        Op::Not { a, .. } | Op::Unary { a, .. } => src(&mut out, a),
        Op::Bfe { a, b, c, .. } | Op::Prmt { a, b, c, .. } => {
            for s in [a, b, c] {
                src(&mut out, s);
            }
        }
        Op::Vote { pred, mask, .. } => {
            out.push(*pred);
            src(&mut out, mask);
        }
        Op::Shfl { a, b, c, mask, .. } => {
            for s in [a, b, c, mask] {
                src(&mut out, s);
            }
        }
        Op::Activemask { .. } => {}
    }
    out
}

/// Registers an instruction writes.
pub fn writes(op: &Op) -> Vec<Reg> {
    match op {
        Op::LdGlobal { dst, count, .. } => dst[..usize::from(*count)].to_vec(),
        Op::LdParam { dst, .. }
        | Op::Mov { dst, .. }
        | Op::CvtaToGlobal { dst, .. }
        | Op::Cvt { dst, .. }
        | Op::Bin { dst, .. }
        | Op::MulWide { dst, .. }
        | Op::Not { dst, .. }
        | Op::Setp { dst, .. }
        | Op::Selp { dst, .. }
        | Op::Unary { dst, .. }
        | Op::Bfe { dst, .. }
        | Op::Prmt { dst, .. }
        | Op::Vote { dst, .. }
        | Op::Activemask { dst } => vec![*dst],
        Op::Shfl { dst, dst_pred, .. } => {
            let mut out = vec![*dst];
            out.extend(*dst_pred);
            out
        }
        Op::StGlobal { .. } | Op::Bra { .. } | Op::Ret => vec![],
    }
}

/// Instructions that may run right after instruction `pc`; `len` stands for
/// leaving the entry by its end.
fn successors(entry: &Entry, pc: usize) -> Vec<usize> {
    let instr = &entry.code[pc];
    let guarded = instr.guard.is_some();
    match instr.op {
        Op::Bra { target } if guarded => vec![target, pc + 1],
        Op::Bra { target } => vec![target],
        Op::Ret if guarded => vec![pc + 1],
        Op::Ret => vec![],
        _ => vec![pc + 1],
    }
}

/// Fails when some reachable instruction may read a register that no path
/// to it has written.
pub fn check_definite_assignment(entry: &Entry) -> Result<(), ParseError> {
    let regs = entry.regs.len();
    let n = entry.code.len();
    // written[pc]: registers definitely written before instruction pc runs;
    // None while pc has not been reached by the analysis.
    let mut written: Vec<Option<Vec<bool>>> = vec![None; n + 1];
    if n == 0 {
        return Ok(());
    }
    written[0] = Some(vec![false; regs]);
    let mut work = vec![0usize];
    while let Some(pc) = work.pop() {
        if pc >= n {
            continue;
        }
        let mut out = written[pc]
            .clone()
            .expect("queued instructions have a state");
        if entry.code[pc].guard.is_none() {
            for reg in writes(&entry.code[pc].op) {
                out[usize::from(reg)] = true;
            }
        }
        for next in successors(entry, pc) {
            let changed = match &mut written[next] {
                slot @ None => {
                    *slot = Some(out.clone());
                    true
                }
                Some(state) => {
                    // Meet: written on every path, so a register stays only
                    // if this path writes it too.
                    let mut changed = false;
                    for (have, new) in state.iter_mut().zip(&out) {
                        if *have && !*new {
                            *have = false;
                            changed = true;
                        }
                    }
                    changed
                }
            };
            if changed {
                work.push(next);
            }
        }
    }
    for (pc, instr) in entry.code.iter().enumerate() {
        let Some(state) = &written[pc] else { continue };
        let mut read = reads(&instr.op);
        if let Some(guard) = instr.guard {
            read.push(guard.reg);
        }
        if let Some(reg) = read.into_iter().find(|&r| !state[usize::from(r)]) {
            return Err(ParseError {
                line: instr.line,
                message: format!(
                    "`{}`: register {} may be read before it is written",
                    instr.text,
                    entry.regs[usize::from(reg)].name
                ),
            });
        }
    }
    Ok(())
}
