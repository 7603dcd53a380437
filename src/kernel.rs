//! The typed registry of kernel entries and their embedded PTX.
//!
//! Every entry is named `{op}_{dtype}` after its operation and the element
//! type of its typed side (the input for `threshold` and `override`, the
//! output for `voltage`), as candle-kernels names its entries. [`Kernel`] is
//! the closed list of the 13 entries; its methods give what a launcher must
//! know: the PTX module, the vector-group width and the alignments that the
//! vector path needs.

use crate::dtype::DType;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/kernels.rs"));
}

/// An operation, one PTX file (`kernels/{name}.ptx`) each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `spike = input > 0`.
    Threshold,
    /// `spike = value != 0`.
    Override,
    /// `voltage = spike ? thresh_v : rest_v`.
    Voltage,
}

impl Op {
    /// Every operation.
    pub const ALL: [Op; 3] = [Op::Threshold, Op::Override, Op::Voltage];

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
        }
    }

    /// The PTX text of the operation's module, embedded at build time.
    pub const fn ptx(self) -> &'static str {
        match self {
            Op::Threshold => embedded::THRESHOLD_PTX,
            Op::Override => embedded::OVERRIDE_PTX,
            Op::Voltage => embedded::VOLTAGE_PTX,
        }
    }
}

/// One kernel entry.
///
/// Every entry takes `(out: u64, in: u64, n: u64, groups: u64)` and the
/// voltage entries two more: the bit patterns of `rest_v` and `thresh_v`
/// (`.b64` for `voltage_f64`, `.b32` otherwise). See [`crate::launch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the variants are the entry names
pub enum Kernel {
    ThresholdF32,
    ThresholdF64,
    ThresholdF16,
    ThresholdBf16,
    OverrideU8,
    OverrideF32,
    OverrideF64,
    OverrideF16,
    OverrideBf16,
    VoltageF32,
    VoltageF64,
    VoltageF16,
    VoltageBf16,
}

impl Kernel {
    /// All 13 entries.
    pub const ALL: [Kernel; 13] = [
        Kernel::ThresholdF32,
        Kernel::ThresholdF64,
        Kernel::ThresholdF16,
        Kernel::ThresholdBf16,
        Kernel::OverrideU8,
        Kernel::OverrideF32,
        Kernel::OverrideF64,
        Kernel::OverrideF16,
        Kernel::OverrideBf16,
        Kernel::VoltageF32,
        Kernel::VoltageF64,
        Kernel::VoltageF16,
        Kernel::VoltageBf16,
    ];

    /// The entry's position in [`Kernel::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The entry's operation.
    pub const fn op(self) -> Op {
        match self {
            Kernel::ThresholdF32
            | Kernel::ThresholdF64
            | Kernel::ThresholdF16
            | Kernel::ThresholdBf16 => Op::Threshold,
            Kernel::OverrideU8
            | Kernel::OverrideF32
            | Kernel::OverrideF64
            | Kernel::OverrideF16
            | Kernel::OverrideBf16 => Op::Override,
            Kernel::VoltageF32 | Kernel::VoltageF64 | Kernel::VoltageF16 | Kernel::VoltageBf16 => {
                Op::Voltage
            }
        }
    }

    /// The element type of the entry's typed side.
    pub const fn dtype(self) -> DType {
        match self {
            Kernel::OverrideU8 => DType::U8,
            Kernel::ThresholdF32 | Kernel::OverrideF32 | Kernel::VoltageF32 => DType::F32,
            Kernel::ThresholdF64 | Kernel::OverrideF64 | Kernel::VoltageF64 => DType::F64,
            Kernel::ThresholdF16 | Kernel::OverrideF16 | Kernel::VoltageF16 => DType::F16,
            Kernel::ThresholdBf16 | Kernel::OverrideBf16 | Kernel::VoltageBf16 => DType::BF16,
        }
    }

    /// The entry's name in its PTX module, `{op}_{dtype}`.
    pub const fn name(self) -> &'static str {
        match self {
            Kernel::ThresholdF32 => "threshold_f32",
            Kernel::ThresholdF64 => "threshold_f64",
            Kernel::ThresholdF16 => "threshold_f16",
            Kernel::ThresholdBf16 => "threshold_bf16",
            Kernel::OverrideU8 => "override_u8",
            Kernel::OverrideF32 => "override_f32",
            Kernel::OverrideF64 => "override_f64",
            Kernel::OverrideF16 => "override_f16",
            Kernel::OverrideBf16 => "override_bf16",
            Kernel::VoltageF32 => "voltage_f32",
            Kernel::VoltageF64 => "voltage_f64",
            Kernel::VoltageF16 => "voltage_f16",
            Kernel::VoltageBf16 => "voltage_bf16",
        }
    }

    /// The entry for `op` on `dtype`, if there is one (`bool` overrides run
    /// on the `u8` entry).
    pub fn find(op: Op, dtype: DType) -> Option<Kernel> {
        let dtype = if dtype == DType::Bool && op == Op::Override {
            DType::U8
        } else {
            dtype
        };
        Kernel::ALL
            .into_iter()
            .find(|kernel| kernel.op() == op && kernel.dtype() == dtype)
    }

    /// Size in bytes of one element read (`in`).
    pub const fn input_size(self) -> usize {
        match self.op() {
            Op::Voltage => 1,
            Op::Threshold | Op::Override => self.dtype().size(),
        }
    }

    /// Size in bytes of one element written (`out`).
    pub const fn output_size(self) -> usize {
        match self.op() {
            Op::Voltage => self.dtype().size(),
            Op::Threshold | Op::Override => 1,
        }
    }

    /// W, the number of elements one vector-path iteration handles: 16
    /// bytes' worth of the wider side, rounded to at least 4 elements.
    pub const fn group_width(self) -> usize {
        let wide = if self.input_size() > self.output_size() {
            self.input_size()
        } else {
            self.output_size()
        };
        match wide {
            1 => 16,
            2 => 8,
            _ => 4,
        }
    }

    /// Byte alignment of `in` that the vector path needs: that of one
    /// group's input, capped at the 16 bytes of the widest access.
    pub const fn input_alignment(self) -> usize {
        let bytes = self.group_width() * self.input_size();
        if bytes > 16 {
            16
        } else {
            bytes
        }
    }

    /// Byte alignment of `out` that the vector path needs.
    pub const fn output_alignment(self) -> usize {
        let bytes = self.group_width() * self.output_size();
        if bytes > 16 {
            16
        } else {
            bytes
        }
    }

    /// The PTX text of the module that holds this entry.
    pub const fn ptx(self) -> &'static str {
        self.op().ptx()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_are_positions_in_all() {
        for (index, kernel) in Kernel::ALL.into_iter().enumerate() {
            assert_eq!(kernel.index(), index);
        }
        for (index, op) in Op::ALL.into_iter().enumerate() {
            assert_eq!(op.index(), index);
        }
    }

    #[test]
    fn names_are_op_underscore_dtype() {
        for kernel in Kernel::ALL {
            assert_eq!(
                kernel.name(),
                format!("{}_{}", kernel.op().name(), kernel.dtype().name())
            );
            assert_eq!(Kernel::find(kernel.op(), kernel.dtype()), Some(kernel));
        }
        assert_eq!(
            Kernel::find(Op::Override, DType::Bool),
            Some(Kernel::OverrideU8)
        );
        assert_eq!(Kernel::find(Op::Threshold, DType::Bool), None);
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
        // (entry, W, in alignment, out alignment), as documented in kernels/*.ptx
        let table = [
            (Kernel::ThresholdF32, 4, 16, 4),
            (Kernel::ThresholdF64, 4, 16, 4),
            (Kernel::ThresholdF16, 8, 16, 8),
            (Kernel::ThresholdBf16, 8, 16, 8),
            (Kernel::OverrideU8, 16, 16, 16),
            (Kernel::OverrideF32, 4, 16, 4),
            (Kernel::OverrideF64, 4, 16, 4),
            (Kernel::OverrideF16, 8, 16, 8),
            (Kernel::OverrideBf16, 8, 16, 8),
            (Kernel::VoltageF32, 4, 4, 16),
            (Kernel::VoltageF64, 4, 4, 16),
            (Kernel::VoltageF16, 8, 8, 16),
            (Kernel::VoltageBf16, 8, 8, 16),
        ];
        for (kernel, width, input, output) in table {
            assert_eq!(kernel.group_width(), width, "{}", kernel.name());
            assert_eq!(kernel.input_alignment(), input, "{}", kernel.name());
            assert_eq!(kernel.output_alignment(), output, "{}", kernel.name());
        }
    }
}
