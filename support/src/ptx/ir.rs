//! The pre-decoded form of a PTX module that the interpreter executes.
//!
//! The parser checks every instruction against the subset and turns it into
//! an [`Op`] with register indices, resolved branch targets, masked
//! immediates and parameter offsets, so that executing an instruction is one
//! `match` and a few array accesses: no string, no hash lookup, no type
//! check at run time.

use std::fmt;

/// What a scalar PTX type holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `.bN`: untyped bits.
    Bit,
    /// `.uN`.
    Unsigned,
    /// `.sN`: two's complement.
    Signed,
    /// `.pred`: a one-bit predicate.
    Pred,
}

/// A scalar PTX type of the subset: `.pred` or an integer or bit type of 8,
/// 16, 32 or 64 bits. Floating-point types are outside the subset (no
/// kernel uses one), and the parser rejects them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ty {
    pub kind: Kind,
    /// Width in bits (1 for `.pred`).
    pub bits: u32,
}

impl Ty {
    pub const PRED: Ty = Ty {
        kind: Kind::Pred,
        bits: 1,
    };
    pub const U32: Ty = Ty {
        kind: Kind::Unsigned,
        bits: 32,
    };
    pub const U64: Ty = Ty {
        kind: Kind::Unsigned,
        bits: 64,
    };

    /// Parses a type modifier without its dot (`u32`, `pred`). `Ok(None)`
    /// when the word is not a type at all; an error for a real PTX type that
    /// the subset leaves out (the floating-point ones).
    pub fn parse(word: &str) -> Result<Option<Ty>, String> {
        let (kind, bits) = match word {
            "pred" => return Ok(Some(Ty::PRED)),
            "f16" | "f16x2" | "bf16" | "bf16x2" | "f32" | "f64" | "tf32" | "e4m3" | "e5m2" => {
                return Err(format!(
                    "floating-point type .{word} is outside the interpreter's subset"
                ))
            }
            _ => match word.split_at(1) {
                ("b", bits) => (Kind::Bit, bits),
                ("u", bits) => (Kind::Unsigned, bits),
                ("s", bits) => (Kind::Signed, bits),
                _ => return Ok(None),
            },
        };
        match bits {
            "8" => Ok(Some(Ty { kind, bits: 8 })),
            "16" => Ok(Some(Ty { kind, bits: 16 })),
            "32" => Ok(Some(Ty { kind, bits: 32 })),
            "64" => Ok(Some(Ty { kind, bits: 64 })),
            "128" => Err(format!(".{word} is outside the interpreter's subset")),
            _ => Ok(None),
        }
    }

    /// Size in bytes (a predicate has no memory size; 0).
    pub fn bytes(self) -> usize {
        if self.kind == Kind::Pred {
            0
        } else {
            self.bits as usize / 8
        }
    }

    /// The mask of the type's bits.
    pub fn mask(self) -> u64 {
        mask(self.bits)
    }

    pub fn is_signed(self) -> bool {
        self.kind == Kind::Signed
    }

    pub fn is_pred(self) -> bool {
        self.kind == Kind::Pred
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Pred => f.write_str(".pred"),
            Kind::Bit => write!(f, ".b{}", self.bits),
            Kind::Unsigned => write!(f, ".u{}", self.bits),
            Kind::Signed => write!(f, ".s{}", self.bits),
        }
    }
}

/// The low `bits` bits set.
pub fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// `value`'s low `bits` bits read as a two's-complement number.
pub fn sext(value: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((value << shift) as i64) >> shift
}

/// A register: its index in the entry's register file.
pub type Reg = u16;

/// A declared register.
#[derive(Clone, Debug)]
pub struct RegDecl {
    pub name: String,
    pub ty: Ty,
}

/// A dimension of a special register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    X,
    Y,
    Z,
}

/// The special (read-only, predefined) registers of the subset, all `.u32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    Tid(Axis),
    Ntid(Axis),
    Ctaid(Axis),
    Nctaid(Axis),
    Laneid,
}

/// A source operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    Reg(Reg),
    /// Already truncated to the instruction type's width.
    Imm(u64),
    /// Only `mov` reads special registers.
    Special(Special),
}

/// The two-operand integer instructions that share one shape,
/// `op.type d, a, b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    MulLo,
    MulHi,
    Min,
    Max,
    And,
    Or,
    Xor,
    /// `b` is a `.u32` shift amount; amounts past the width clamp.
    Shl,
    Shr,
    /// `div` and `rem`: truncating, by signedness; a zero divisor traps
    /// (the ISA leaves the result unspecified).
    Div,
    Rem,
}

/// The one-operand bit instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `brev.bN`: bit reversal.
    Brev,
    /// `popc.bN`: number of set bits, into a `.u32`.
    Popc,
    /// `clz.bN`: leading zeros, into a `.u32`.
    Clz,
}

/// `vote.sync`'s modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoteMode {
    /// `.ballot.b32`: bit i of the result is lane i's predicate.
    Ballot,
    /// `.any.pred`.
    Any,
    /// `.all.pred`.
    All,
}

/// `shfl.sync`'s modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShflMode {
    Idx,
    Up,
    Down,
    Bfly,
}

/// `setp`'s integer comparisons. `Lt`..`Ge` are signed for `.sN` and
/// unsigned for `.uN`; `Lo`..`Hs` are always unsigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Lo,
    Ls,
    Hi,
    Hs,
}

/// A guard: `@%p` executes the instruction when `%p` is true, `@!%p` when
/// it is false.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guard {
    pub reg: Reg,
    pub negated: bool,
}

/// One decoded instruction. Register widths that an instruction needs at
/// run time (to extend a loaded value) are copied in, so that execution
/// never consults the declarations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `ld.param.type d, [param+imm]`: `offset` is the byte offset in the
    /// parameter block.
    LdParam {
        ty: Ty,
        dst: Reg,
        dst_bits: u32,
        offset: usize,
    },
    /// `ld.global{.nc}{.v2,.v4}.type d, [a+imm]`.
    LdGlobal {
        nc: bool,
        ty: Ty,
        count: u8,
        dst: [Reg; 4],
        dst_bits: [u32; 4],
        base: Reg,
        offset: i64,
    },
    /// `st.global{.v2,.v4}.type [a+imm], b`.
    StGlobal {
        ty: Ty,
        count: u8,
        src: [Reg; 4],
        base: Reg,
        offset: i64,
    },
    /// `mov.type d, a`.
    Mov { dst: Reg, src: Src },
    /// `cvta.to.global.u64 d, a`: the identity (see `exec`).
    CvtaToGlobal { dst: Reg, src: Reg },
    /// `cvt{.sat}.dtype.atype d, a`, integer to integer.
    Cvt {
        to: Ty,
        from: Ty,
        sat: bool,
        dst: Reg,
        dst_bits: u32,
        src: Reg,
    },
    /// `add`, `sub`, `mul.lo`, `mul.hi`, `min`, `max`, `and`, `or`, `xor`,
    /// `shl`, `shr`.
    Bin {
        op: BinOp,
        ty: Ty,
        dst: Reg,
        a: Src,
        b: Src,
    },
    /// `mul.wide.type d, a, b`: `ty` is the source type, `d` twice as wide.
    MulWide { ty: Ty, dst: Reg, a: Src, b: Src },
    /// `not.type d, a`.
    Not { ty: Ty, dst: Reg, a: Src },
    /// `setp.cmp.type p, a, b`.
    Setp {
        cmp: Cmp,
        ty: Ty,
        dst: Reg,
        a: Src,
        b: Src,
    },
    /// `selp.type d, a, b, c`: `d = c ? a : b`.
    Selp { dst: Reg, a: Src, b: Src, pred: Reg },
    /// `brev`, `popc`, `clz`: `ty` is the source type.
    Unary { op: UnOp, ty: Ty, dst: Reg, a: Src },
    /// `bfe.type d, a, b, c`: `c` bits of `a` from bit `b` (`b`, `c` are
    /// `.u32`, only their low 8 bits count), sign-filled for `.sN`.
    Bfe {
        ty: Ty,
        dst: Reg,
        a: Src,
        b: Src,
        c: Src,
    },
    /// `prmt.b32 d, a, b, c` in the default mode: byte i of `d` is the byte
    /// of {b, a} named by nibble i of `c` (bit 3 of the nibble replicates
    /// the chosen byte's sign bit).
    Prmt { dst: Reg, a: Src, b: Src, c: Src },
    /// `vote.sync.mode d, a, membermask`: `dst` is `.b32` for ballot, a
    /// predicate otherwise. A warp collective (see `exec`).
    Vote {
        mode: VoteMode,
        dst: Reg,
        pred: Reg,
        mask: Src,
    },
    /// `shfl.sync.mode.b32 d[|p], a, b, c, membermask`. A warp collective.
    Shfl {
        mode: ShflMode,
        dst: Reg,
        dst_pred: Option<Reg>,
        a: Src,
        b: Src,
        c: Src,
        mask: Src,
    },
    /// `activemask.b32 d`: the lanes executing it together. A warp
    /// collective without a member mask.
    Activemask { dst: Reg },
    /// `bra target`: `target` is an instruction index.
    Bra { target: usize },
    /// `ret`.
    Ret,
}

impl Op {
    /// Whether the instruction is a warp collective: it runs for all the
    /// lanes that reach it together, not for one lane at a time.
    pub fn is_collective(&self) -> bool {
        matches!(
            self,
            Op::Vote { .. } | Op::Shfl { .. } | Op::Activemask { .. }
        )
    }
}

/// An instruction with its guard and where it came from.
#[derive(Clone, Debug)]
pub struct Instr {
    pub guard: Option<Guard>,
    pub op: Op,
    /// 1-based line in the module text.
    pub line: u32,
    /// The source text, for error messages.
    pub text: String,
}

/// A kernel parameter and its place in the parameter block.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub ty: Ty,
    /// Byte offset: each parameter at its natural alignment, in order.
    pub offset: usize,
}

/// One `.entry`.
#[derive(Clone, Debug)]
pub struct Entry {
    pub name: String,
    pub params: Vec<Param>,
    /// Size of the parameter block in bytes.
    pub param_bytes: usize,
    pub regs: Vec<RegDecl>,
    pub code: Vec<Instr>,
    /// Labels and the instruction index each names.
    pub labels: Vec<(String, usize)>,
}

/// A parsed PTX module.
#[derive(Clone, Debug)]
pub struct Module {
    /// `.version major.minor`.
    pub version: (u32, u32),
    /// `.target` names (`sm_70`, ...).
    pub targets: Vec<String>,
    pub entries: Vec<Entry>,
}

impl Module {
    /// The entry called `name`.
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.name == name)
    }
}
