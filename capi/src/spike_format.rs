//! How a multi-step call returns its spike trace, and "no voltage", as C
//! passes them: integers, validated before use.

use std::ffi::c_int;

use exact_neuron::{DType, SpikeFormat};

use crate::dtype::{dtype_of, en_dtype_code};
use crate::entry::{Failure, Outcome};
use crate::status::en_status;

/// The layout of a spike trace. Functions take it as an integer
/// (`en_spike_format_code`, declared as `en_spike_format` in the header)
/// and check it: another value gives `EN_ERR_BAD_FORMAT`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum en_spike_format {
    /// One byte (0 or 1) per neuron and step (`uint8_t`).
    EN_SPIKES_BYTES = 0,
    /// Bits, GeNN's layout: per step, `batch_size` rows of
    /// `en_neuron_words_per_row` `uint32_t` words; bit `j` (LSB first) of
    /// word `w` of a row is neuron `32 w + j`, padding bits 0.
    EN_SPIKES_BITS = 1,
}

/// An `en_spike_format` as the functions receive it. The header names it
/// `en_spike_format`.
pub type en_spike_format_code = c_int;

/// The voltage type argument that asks for no voltage (of the fused
/// launches and the multi-step calls); the voltage pointer must then be
/// NULL (and its length 0).
pub const EN_NO_VOLTAGE: en_dtype_code = -1;

/// The format `code` names, or `EN_ERR_BAD_FORMAT`.
pub(crate) fn format_of(code: en_spike_format_code) -> Outcome<SpikeFormat> {
    match code {
        0 => Ok(SpikeFormat::Bytes),
        1 => Ok(SpikeFormat::Bits),
        _ => Err(Failure::new(
            en_status::EN_ERR_BAD_FORMAT,
            format!(
                "spike format {code} is not an en_spike_format (EN_SPIKES_BYTES = 0, EN_SPIKES_BITS = 1)"
            ),
        )),
    }
}

/// The voltage type `code` names (`None` for `EN_NO_VOLTAGE`), with the
/// voltage pointer checked against it: NULL exactly when there is none.
pub(crate) fn voltage_of(code: en_dtype_code, ptr_is_null: bool) -> Outcome<Option<DType>> {
    if code == EN_NO_VOLTAGE {
        if !ptr_is_null {
            return Err(Failure::new(
                en_status::EN_ERR_LENGTH_MISMATCH,
                "a voltage buffer was given with EN_NO_VOLTAGE (pass NULL, or a voltage type)",
            ));
        }
        return Ok(None);
    }
    let dtype = dtype_of(code)?;
    if !matches!(dtype, DType::F16 | DType::BF16 | DType::F32 | DType::F64) {
        return Err(exact_neuron::Error::NoKernel {
            op: "voltage",
            dtype,
        }
        .into());
    }
    if ptr_is_null {
        return Err(Failure::null("voltage"));
    }
    Ok(Some(dtype))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_voltage_types_are_checked() {
        assert_eq!(format_of(0).unwrap(), SpikeFormat::Bytes);
        assert_eq!(format_of(1).unwrap(), SpikeFormat::Bits);
        for code in [-1, 2, c_int::MAX] {
            let failure = format_of(code).unwrap_err();
            assert_eq!(failure.status, en_status::EN_ERR_BAD_FORMAT);
            assert!(failure.message.contains(&code.to_string()));
        }
        assert_eq!(voltage_of(EN_NO_VOLTAGE, true).unwrap(), None);
        assert_eq!(voltage_of(4, false).unwrap(), Some(DType::F32));
        let status = |code, null| voltage_of(code, null).unwrap_err().status;
        assert_eq!(
            status(EN_NO_VOLTAGE, false),
            en_status::EN_ERR_LENGTH_MISMATCH
        );
        assert_eq!(status(4, true), en_status::EN_ERR_NULL_POINTER);
        assert_eq!(status(1, false), en_status::EN_ERR_NO_KERNEL);
        assert_eq!(status(9, false), en_status::EN_ERR_BAD_DTYPE);
    }
}
