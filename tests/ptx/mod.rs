//! A PTX interpreter for the subset of PTX that `kernels/*.ptx` is written
//! in, so that the test suite can run the real kernel text, launched by the
//! real host code (`exact_neuron::launch::LaunchPlan`), on a machine
//! without a GPU, and compare it bit for bit with the CPU backend.
//!
//! Test support only: it lives under `tests/` and is not part of the
//! published crate.
//!
//! - `lexer`: tokens.
//! - `parser`: modules, entries, parameters, registers, labels, and the
//!   decoding of every instruction against the subset (unknown
//!   instructions, modifiers and types, and mismatched register types, are
//!   errors).
//! - `verify`: no register read before it is written, on any path.
//! - `ir`: the decoded form that runs.
//! - `memory`: global memory with bounds, alignment and race checks.
//! - `exec`: launching an entry over a grid; the semantics of each
//!   instruction.
//! - `device`: `PtxDevice`, an `exact_neuron::KernelDevice` on top.
//!
//! The subset: `ld.param`, `ld.global{.nc}{.v2,.v4}`, `st.global{.v2,.v4}`
//! (8 to 64-bit integer and bit types), `mov` (registers, immediates,
//! `%tid`, `%ntid`, `%ctaid`, `%nctaid`, `%laneid`), `cvta.to.global.u64`,
//! integer `cvt{.sat}`, `add`, `sub`, `mul.{lo,hi,wide}`, `min`, `max`,
//! `and`, `or`, `xor`, `not`, `shl`, `shr`, `setp` (integer comparisons),
//! `selp`, `bra`, `ret`, and guards `@%p` / `@!%p`. No floating-point type
//! or instruction is in it: the kernels compare IEEE bit patterns as
//! integers, so floating-point rounding and NaN rules never arise, and a
//! kernel that started using them would be rejected until the interpreter
//! learned them. There are no warp-level instructions, shared memory or
//! barriers either, which is why threads may run one after another.
#![allow(dead_code)]

pub mod device;
pub mod exec;
pub mod ir;
pub mod lexer;
pub mod memory;
pub mod parser;
pub mod verify;
