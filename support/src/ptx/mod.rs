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
//! integer `cvt{.sat}`, `add`, `sub`, `mul.{lo,hi,wide}`, `div`, `rem`,
//! `min`, `max`, `and`, `or`, `xor`, `not`, `shl`, `shr`, `brev`, `popc`,
//! `clz`, `bfe`, `prmt` (default mode), `setp` (integer comparisons),
//! `selp`, `bra`, `ret`, guards `@%p` / `@!%p`, and the warp collectives
//! `vote.sync.{ballot.b32,any.pred,all.pred}`,
//! `shfl.sync.{idx,up,down,bfly}.b32` and `activemask.b32`. No
//! floating-point type or instruction is in it: the kernels compare IEEE bit
//! patterns as integers, so floating-point rounding and NaN rules never
//! arise, and a kernel that started using them would be rejected until the
//! interpreter learned them. There is no shared memory, barrier or atomic
//! either, so threads interact only through global memory (which the race
//! shadow watches) and through the warp collectives, which `exec` runs with
//! a warp's lanes in lockstep and checks against their member masks.

pub mod device;
pub mod exec;
pub mod ir;
pub mod lexer;
pub mod memory;
pub mod parser;
pub mod verify;
