//! The registry of kernel entries: a table generated from the PTX.
//!
//! `build.rs` reads every `.visible .entry` declaration of `kernels/*.ptx`
//! and generates the table that [`Kernel`] indexes: each entry's name, its
//! operation (the file it is in), its element suffix and its `.param` list.
//! No entry name is written anywhere else in Rust: the CUDA registry loads
//! [`Kernel::ALL`], the launch plans take their parameter types from
//! [`Kernel::params`], and the tests iterate the same list.
//!
//! Every entry is named `{op}_{suffix}`, as candle-kernels names its
//! entries. The suffix names the element type of the entry's typed side
//! (the input for `threshold` and `override`, the output for `voltage`), or
//! the types that share its code: `u8` also serves `bool` (a bool is one
//! byte), and `b16` serves both `f16` and `bf16` where the kernel only
//! moves or tests 16-bit patterns and never interprets them
//! (`override_b16`, `voltage_b16`). [`Kernel::find`] maps an operation and
//! an element type to its entry.

use std::fmt;

use crate::dtype::DType;

/// The declared type of one kernel parameter: what a launch argument must
/// be (see [`crate::launch::ArgValue`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamType {
    /// `.param .u64`: an address or a count.
    U64,
    /// `.param .b32`: 32 bits.
    B32,
    /// `.param .b64`: 64 bits.
    B64,
}

impl ParamType {
    /// The PTX spelling: `.u64`, `.b32` or `.b64`.
    pub const fn ptx_name(self) -> &'static str {
        match self {
            ParamType::U64 => ".u64",
            ParamType::B32 => ".b32",
            ParamType::B64 => ".b64",
        }
    }
}

/// One row of the generated table.
struct EntryInfo {
    name: &'static str,
    op: Op,
    suffix: &'static str,
    params: &'static [ParamType],
    param_names: &'static [&'static str],
}

mod generated {
    use super::{EntryInfo, Op, ParamType};

    include!(concat!(env!("OUT_DIR"), "/kernels.rs"));
}

/// The longest parameter list of any entry (the size of a launch plan's
/// argument array).
pub const MAX_PARAMS: usize = generated::MAX_PARAMS;

/// An operation, one PTX file (`kernels/{name}.ptx`) each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `spike = input > 0`.
    Threshold,
    /// `spike = value != 0`.
    Override,
    /// `voltage = spike ? thresh_v : rest_v`.
    Voltage,
    /// `spike = input > 0` into bit-packed words.
    ThresholdBits,
    /// `spike = value != 0` into bit-packed words, from f32, f64, f16 and
    /// bf16 values (bytes and bools go through [`Op::PackBits`]).
    OverrideBits,
    /// Spike bytes (or u8 / bool override values) into bit-packed words.
    PackBits,
    /// `voltage = bit ? thresh_v : rest_v` from bit-packed words.
    VoltageBits,
    /// Bit-packed words into spike bytes (0 or 1).
    UnpackBits,
    /// A fused threshold step: spike bytes and, if asked, the voltage view
    /// and the state, from one read of the inputs; one step or many.
    Step,
    /// A fused override step, as [`Op::Step`].
    StepOverride,
    /// A fused threshold step with spikes as bit-packed words.
    StepBits,
    /// A fused override step with spikes as bit-packed words.
    StepBitsOverride,
}

/// How an operation's entries split their work over the grid, which the
/// launch plan must respect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Geometry {
    /// One element per thread per iteration of a grid-stride loop, with a
    /// 16-byte vector path for `groups` W-element groups and a scalar tail
    /// (`threshold`, `override`, `voltage`, and the fused byte steps
    /// `step` and `step_override`, whose head and groups parameters come
    /// last).
    Vector,
    /// One 32-neuron word per warp per iteration (warp collectives): the
    /// block must be whole warps; any number of blocks (the bit entries and
    /// `step_bits*`). The unpacking entries (`voltage_bits`, `unpack_bits`)
    /// also take `groups`: 16-byte output chunks of W elements, one per
    /// thread per iteration, when the plan finds the output aligned and the
    /// row length a multiple of W, else 0 and the word loop.
    WarpPerWord,
}

/// How a spike is decided from a step's input: the two modes of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpikeRule {
    /// `spike = input > 0` (`forward`).
    Threshold,
    /// `spike = value != 0` (`forward_override`).
    Override,
}

impl SpikeRule {
    /// The operation writing spike bytes by this rule.
    pub const fn bytes_op(self) -> Op {
        match self {
            SpikeRule::Threshold => Op::Threshold,
            SpikeRule::Override => Op::Override,
        }
    }

    /// The operation writing bit-packed words by this rule for `dtype`
    /// (bytes and bools pack with [`Op::PackBits`]).
    pub const fn bits_op(self, dtype: DType) -> Op {
        match (self, dtype) {
            (SpikeRule::Threshold, _) => Op::ThresholdBits,
            (SpikeRule::Override, DType::U8 | DType::Bool) => Op::PackBits,
            (SpikeRule::Override, _) => Op::OverrideBits,
        }
    }

    /// The fused step of this rule, with spikes as bytes.
    pub const fn step_op(self) -> Op {
        match self {
            SpikeRule::Threshold => Op::Step,
            SpikeRule::Override => Op::StepOverride,
        }
    }

    /// The fused step of this rule, with spikes as bits.
    pub const fn step_bits_op(self) -> Op {
        match self {
            SpikeRule::Threshold => Op::StepBits,
            SpikeRule::Override => Op::StepBitsOverride,
        }
    }
}

impl Op {
    /// Every operation.
    pub const ALL: [Op; 12] = [
        Op::Threshold,
        Op::Override,
        Op::Voltage,
        Op::ThresholdBits,
        Op::OverrideBits,
        Op::PackBits,
        Op::VoltageBits,
        Op::UnpackBits,
        Op::Step,
        Op::StepOverride,
        Op::StepBits,
        Op::StepBitsOverride,
    ];

    /// The operation's position in [`Op::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The operation's name: the prefix of its entries and its file's stem.
    pub const fn name(self) -> &'static str {
        match self {
            Op::Threshold => "threshold",
            Op::Override => "override",
            Op::Voltage => "voltage",
            Op::ThresholdBits => "threshold_bits",
            Op::OverrideBits => "override_bits",
            Op::PackBits => "pack_bits",
            Op::VoltageBits => "voltage_bits",
            Op::UnpackBits => "unpack_bits",
            Op::Step => "step",
            Op::StepOverride => "step_override",
            Op::StepBits => "step_bits",
            Op::StepBitsOverride => "step_bits_override",
        }
    }

    /// The PTX text of the operation's module, embedded at build time.
    pub const fn ptx(self) -> &'static str {
        match self {
            Op::Threshold => generated::THRESHOLD_PTX,
            Op::Override => generated::OVERRIDE_PTX,
            Op::Voltage => generated::VOLTAGE_PTX,
            Op::ThresholdBits => generated::THRESHOLD_BITS_PTX,
            Op::OverrideBits => generated::OVERRIDE_BITS_PTX,
            Op::PackBits => generated::PACK_BITS_PTX,
            Op::VoltageBits => generated::VOLTAGE_BITS_PTX,
            Op::UnpackBits => generated::UNPACK_BITS_PTX,
            Op::Step => generated::STEP_PTX,
            Op::StepOverride => generated::STEP_OVERRIDE_PTX,
            Op::StepBits => generated::STEP_BITS_PTX,
            Op::StepBitsOverride => generated::STEP_BITS_OVERRIDE_PTX,
        }
    }

    /// How the operation's entries split their work (see [`Geometry`]).
    pub const fn geometry(self) -> Geometry {
        match self {
            Op::Threshold | Op::Override | Op::Voltage | Op::Step | Op::StepOverride => {
                Geometry::Vector
            }
            Op::ThresholdBits
            | Op::OverrideBits
            | Op::PackBits
            | Op::VoltageBits
            | Op::UnpackBits
            | Op::StepBits
            | Op::StepBitsOverride => Geometry::WarpPerWord,
        }
    }

    /// The entries of this operation, in table order.
    pub fn kernels(self) -> impl Iterator<Item = Kernel> {
        Kernel::ALL
            .into_iter()
            .filter(move |kernel| kernel.op() == self)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The element types an entry suffix serves, the first being the one whose
/// size the entry reads or writes. Empty for a suffix this crate does not
/// know (a unit test keeps the table free of those).
fn suffix_dtypes(suffix: &str) -> &'static [DType] {
    match suffix {
        "u8" => &[DType::U8, DType::Bool],
        "b16" => &[DType::F16, DType::BF16],
        "f16" => &[DType::F16],
        "bf16" => &[DType::BF16],
        "f32" => &[DType::F32],
        "f64" => &[DType::F64],
        _ => &[],
    }
}

/// One kernel entry: a row of the table generated from `kernels/*.ptx`.
///
/// The vector entries take `(out: u64, in: u64, n: u64, groups: u64)` and
/// the voltage entries two more, the bit patterns of `rest_v` and
/// `thresh_v`; the bit entries take rows and neurons per row instead of `n`
/// (the packing ones no `groups`), and the steps more outputs (see each
/// file's header).
/// [`Kernel::params`] is what the PTX declares, and a
/// [`LaunchPlan`](crate::launch::LaunchPlan) is checked against it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kernel {
    index: u8,
}

/// The number of entries.
const COUNT: usize = generated::ENTRIES.len();

impl Kernel {
    /// Every entry, in table order (by file name, then declaration order).
    pub const ALL: [Kernel; COUNT] = {
        let mut all = [Kernel { index: 0 }; COUNT];
        let mut i = 0;
        while i < COUNT {
            all[i] = Kernel { index: i as u8 };
            i += 1;
        }
        all
    };

    const fn info(self) -> &'static EntryInfo {
        &generated::ENTRIES[self.index as usize]
    }

    /// The entry's position in [`Kernel::ALL`].
    pub const fn index(self) -> usize {
        self.index as usize
    }

    /// The entry's name in its PTX module, `{op}_{suffix}`.
    pub const fn name(self) -> &'static str {
        self.info().name
    }

    /// The entry's operation.
    pub const fn op(self) -> Op {
        self.info().op
    }

    /// The part of the name after `{op}_`: `u8`, `b16`, `f32`, ...
    pub const fn suffix(self) -> &'static str {
        self.info().suffix
    }

    /// The declared types of the entry's parameters, in launch order.
    pub const fn params(self) -> &'static [ParamType] {
        self.info().params
    }

    /// The declared names of the entry's parameters (`p_out`, ...).
    pub const fn param_names(self) -> &'static [&'static str] {
        self.info().param_names
    }

    /// The element types this entry runs for (`override_u8`: `u8` and
    /// `bool`; `voltage_b16`: `f16` and `bf16`).
    pub fn dtypes(self) -> &'static [DType] {
        suffix_dtypes(self.suffix())
    }

    /// The entry called `name`, if there is one.
    pub fn named(name: &str) -> Option<Kernel> {
        Kernel::ALL.into_iter().find(|kernel| kernel.name() == name)
    }

    /// The entry that runs `op` on `dtype`, if there is one.
    pub fn find(op: Op, dtype: DType) -> Option<Kernel> {
        op.kernels().find(|kernel| kernel.dtypes().contains(&dtype))
    }

    /// Size in bytes of the suffix's element.
    fn element_size(self) -> usize {
        self.dtypes().first().map_or(0, |dtype| dtype.size())
    }

    /// Size in bytes of one element read (`in`): a spike byte for
    /// `voltage`, a u32 word for the entries that read bits, else the
    /// suffix's element.
    pub fn input_size(self) -> usize {
        match self.op() {
            Op::Voltage => 1,
            Op::VoltageBits | Op::UnpackBits => 4,
            _ => self.element_size(),
        }
    }

    /// Size in bytes of one element written (`out`): a u32 word for the
    /// entries that write bits, a spike byte for the other spike writers,
    /// the suffix's element for `voltage` and `voltage_bits`.
    pub fn output_size(self) -> usize {
        match self.op() {
            Op::Voltage | Op::VoltageBits => self.element_size(),
            Op::ThresholdBits
            | Op::OverrideBits
            | Op::PackBits
            | Op::StepBits
            | Op::StepBitsOverride => 4,
            Op::Threshold | Op::Override | Op::UnpackBits | Op::Step | Op::StepOverride => 1,
        }
    }

    /// How this entry splits its work: its operation's [`Op::geometry`]
    /// (every entry of an operation splits it the same way).
    pub fn geometry(self) -> Geometry {
        self.op().geometry()
    }

    /// W, the number of elements one vector-path iteration handles: 16
    /// bytes' worth of the wider side, rounded to at least 4 elements; for
    /// the unpacking bit entries the elements of one 16-byte output chunk
    /// (16 bytes, 8 f16/bf16, 4 f32, 2 f64: E in `kernels/voltage_bits.ptx`);
    /// 1 for the entries without a vector path (see [`Op::geometry`]).
    pub fn group_width(self) -> usize {
        if self.unpacks_bits() {
            return 16 / self.output_size().max(1);
        }
        if self.geometry() != Geometry::Vector {
            return 1;
        }
        match self.input_size().max(self.output_size()) {
            1 => 16,
            2 => 8,
            _ => 4,
        }
    }

    /// Byte alignment of `in` that the vector path needs: that of one
    /// group's input, capped at the 16 bytes of the widest access (the
    /// unpacking bit entries read their words one at a time: 4).
    pub fn input_alignment(self) -> usize {
        if self.unpacks_bits() {
            return self.input_size();
        }
        (self.group_width() * self.input_size()).clamp(1, 16)
    }

    /// An entry that reads bit-packed words into elements (`voltage_bits`,
    /// `unpack_bits`): its vector path stores 16-byte chunks of a row.
    fn unpacks_bits(self) -> bool {
        matches!(self.op(), Op::VoltageBits | Op::UnpackBits)
    }

    /// Byte alignment of `out` that the vector path needs.
    pub fn output_alignment(self) -> usize {
        (self.group_width() * self.output_size()).clamp(1, 16)
    }

    /// The PTX text of the module that holds this entry.
    pub const fn ptx(self) -> &'static str {
        self.op().ptx()
    }
}

impl fmt::Debug for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kernel({})", self.name())
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DTYPES: [DType; 6] = [
        DType::Bool,
        DType::U8,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
    ];

    #[test]
    fn indices_are_positions_in_all() {
        for (index, kernel) in Kernel::ALL.into_iter().enumerate() {
            assert_eq!(kernel.index(), index);
            assert_eq!(Kernel::named(kernel.name()), Some(kernel));
        }
        for (index, op) in Op::ALL.into_iter().enumerate() {
            assert_eq!(op.index(), index);
        }
        assert_eq!(Kernel::named("voltage_bf16"), None);
    }

    #[test]
    fn names_are_op_underscore_a_known_suffix() {
        for kernel in Kernel::ALL {
            assert_eq!(
                kernel.name(),
                format!("{}_{}", kernel.op().name(), kernel.suffix())
            );
            assert!(!kernel.dtypes().is_empty(), "{kernel}: unknown suffix");
            assert_eq!(kernel.params().len(), kernel.param_names().len());
            assert!(kernel.params().len() <= MAX_PARAMS);
            for &dtype in kernel.dtypes() {
                assert_eq!(Kernel::find(kernel.op(), dtype), Some(kernel));
            }
        }
    }

    /// Each operation has at most one entry per element type, and exactly
    /// the types its trait admits.
    #[test]
    fn every_operation_covers_its_element_types_once() {
        let covered = |op: Op| -> Vec<DType> {
            DTYPES
                .into_iter()
                .filter(|&dtype| {
                    let serving = op
                        .kernels()
                        .filter(|kernel| kernel.dtypes().contains(&dtype))
                        .count();
                    assert!(serving <= 1, "{op} on {dtype}: {serving} entries");
                    serving == 1
                })
                .collect()
        };
        let floats = vec![DType::F16, DType::BF16, DType::F32, DType::F64];
        assert_eq!(covered(Op::Threshold), floats);
        assert_eq!(covered(Op::Override), DTYPES.to_vec());
        assert_eq!(covered(Op::Voltage), floats);
        assert_eq!(
            Kernel::find(Op::Override, DType::Bool),
            Kernel::find(Op::Override, DType::U8)
        );
        assert_eq!(
            Kernel::find(Op::Voltage, DType::BF16),
            Kernel::find(Op::Voltage, DType::F16)
        );
        assert_ne!(
            Kernel::find(Op::Threshold, DType::BF16),
            Kernel::find(Op::Threshold, DType::F16)
        );
        assert_eq!(Kernel::find(Op::Threshold, DType::Bool), None);
        assert_eq!(covered(Op::ThresholdBits), floats);
        assert_eq!(covered(Op::Step), floats);
        assert_eq!(covered(Op::StepBits), floats);
        assert_eq!(covered(Op::VoltageBits), floats);
        assert_eq!(covered(Op::StepOverride), DTYPES.to_vec());
        assert_eq!(covered(Op::StepBitsOverride), DTYPES.to_vec());
        // bytes and bools pack; the override into bits covers the rest
        assert_eq!(covered(Op::PackBits), vec![DType::Bool, DType::U8]);
        assert_eq!(covered(Op::UnpackBits), vec![DType::Bool, DType::U8]);
        assert_eq!(
            covered(Op::OverrideBits),
            vec![DType::F16, DType::BF16, DType::F32, DType::F64]
        );
        for dtype in DTYPES {
            let op = SpikeRule::Override.bits_op(dtype);
            assert!(Kernel::find(op, dtype).is_some(), "{op} {dtype}");
        }
        assert_eq!(Kernel::find(Op::Voltage, DType::U8), None);
    }

    #[test]
    fn every_entry_is_in_its_embedded_module_and_nowhere_else() {
        for kernel in Kernel::ALL {
            let declaration = format!(".visible .entry {}(", kernel.name());
            for op in Op::ALL {
                assert_eq!(
                    op.ptx().contains(&declaration),
                    op == kernel.op(),
                    "{} in {}.ptx",
                    kernel.name(),
                    op.name()
                );
            }
        }
        let total: usize = Op::ALL
            .iter()
            .map(|op| op.ptx().matches(".visible .entry ").count())
            .sum();
        assert_eq!(total, Kernel::ALL.len());
    }

    #[test]
    fn vector_geometry_matches_the_ptx_headers() {
        // (op, dtype, W, in alignment, out alignment), as documented in
        // kernels/*.ptx
        let table = [
            (Op::Threshold, DType::F32, 4, 16, 4),
            (Op::Threshold, DType::F64, 4, 16, 4),
            (Op::Threshold, DType::F16, 8, 16, 8),
            (Op::Threshold, DType::BF16, 8, 16, 8),
            (Op::Override, DType::U8, 16, 16, 16),
            (Op::Override, DType::F32, 4, 16, 4),
            (Op::Override, DType::F64, 4, 16, 4),
            (Op::Override, DType::F16, 8, 16, 8),
            (Op::Override, DType::BF16, 8, 16, 8),
            (Op::Voltage, DType::F32, 4, 4, 16),
            (Op::Voltage, DType::F64, 4, 4, 16),
            (Op::Voltage, DType::F16, 8, 8, 16),
            (Op::Voltage, DType::BF16, 8, 8, 16),
            (Op::Step, DType::F32, 4, 16, 4),
            (Op::Step, DType::F64, 4, 16, 4),
            (Op::Step, DType::F16, 8, 16, 8),
            (Op::Step, DType::BF16, 8, 16, 8),
            (Op::StepOverride, DType::U8, 16, 16, 16),
            (Op::StepOverride, DType::Bool, 16, 16, 16),
            (Op::StepOverride, DType::F32, 4, 16, 4),
            (Op::StepOverride, DType::F64, 4, 16, 4),
            (Op::StepOverride, DType::F16, 8, 16, 8),
            (Op::StepOverride, DType::BF16, 8, 16, 8),
            // words in, 16-byte chunks out (kernels/voltage_bits.ptx: E)
            (Op::VoltageBits, DType::F32, 4, 4, 16),
            (Op::VoltageBits, DType::F64, 2, 4, 16),
            (Op::VoltageBits, DType::F16, 8, 4, 16),
            (Op::VoltageBits, DType::BF16, 8, 4, 16),
            (Op::UnpackBits, DType::U8, 16, 4, 16),
            (Op::UnpackBits, DType::Bool, 16, 4, 16),
        ];
        // the packing bit entries have no vector path
        for op in [Op::ThresholdBits, Op::OverrideBits, Op::PackBits] {
            for kernel in op.kernels() {
                assert_eq!(kernel.group_width(), 1, "{kernel}");
            }
        }
        for (op, dtype, width, input, output) in table {
            let kernel = Kernel::find(op, dtype).expect("an entry");
            assert_eq!(kernel.group_width(), width, "{kernel}");
            assert_eq!(kernel.input_alignment(), input, "{kernel}");
            assert_eq!(kernel.output_alignment(), output, "{kernel}");
        }
    }

    #[test]
    fn parameter_lists_are_the_ones_the_launch_plans_build() {
        use ParamType::{B32, B64, U64};
        for kernel in Kernel::ALL {
            let expected: &[ParamType] = match (kernel.op(), kernel.suffix()) {
                // out, in, n, head, groups
                (Op::Threshold | Op::Override, _) => &[U64, U64, U64, U64, U64],
                // out, in, n, head, groups, rest, thresh
                (Op::Voltage, "f64") => &[U64, U64, U64, U64, U64, B64, B64],
                (Op::Voltage, _) => &[U64, U64, U64, U64, U64, B32, B32],
                // out, in, rows, count, groups, rest, thresh
                (Op::VoltageBits, "f64") => &[U64, U64, U64, U64, U64, B64, B64],
                (Op::VoltageBits, _) => &[U64, U64, U64, U64, U64, B32, B32],
                // out, in, rows, count, groups
                (Op::UnpackBits, _) => &[U64, U64, U64, U64, U64],
                // spikes, volt, state, in, n, last, vbytes, rest, thresh,
                // head, groups
                (Op::Step | Op::StepOverride, _) => {
                    &[U64, U64, U64, U64, U64, U64, U64, B64, B64, U64, U64]
                }
                (Op::StepBits | Op::StepBitsOverride, _) => {
                    &[U64, U64, U64, U64, U64, U64, U64, U64, B64, B64]
                }
                _ => &[U64, U64, U64, U64],
            };
            assert_eq!(kernel.params(), expected, "{kernel}");
        }
    }
}
