//! Element types as C passes them: an integer, validated before use.

use std::ffi::c_int;

use exact_neuron::DType;

use crate::entry::{Failure, Outcome};
use crate::status::en_status;

/// The element types. Values of `EN_F16` and `EN_BF16` travel as their
/// 16-bit patterns (`uint16_t`), `EN_BOOL` as bytes holding 0 or 1.
///
/// Functions take the type as an integer (`en_dtype_code`, declared as
/// `en_dtype` in the header) and check it: a value outside this list gives
/// `EN_ERR_BAD_DTYPE`, never undefined behaviour.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum en_dtype {
    /// `bool`: one byte, 0 or 1.
    EN_BOOL = 0,
    /// `uint8_t`.
    EN_U8 = 1,
    /// IEEE-754 binary16, as its bits in a `uint16_t`.
    EN_F16 = 2,
    /// bfloat16, as its bits in a `uint16_t`.
    EN_BF16 = 3,
    /// `float`.
    EN_F32 = 4,
    /// `double`.
    EN_F64 = 5,
}

/// An `en_dtype` as the functions receive it: the integer C passes, which
/// may be out of range; every function that takes one checks it before
/// use. The header names it `en_dtype`.
pub type en_dtype_code = c_int;

/// The element type `code` names, or `EN_ERR_BAD_DTYPE`.
pub(crate) fn dtype_of(code: en_dtype_code) -> Outcome<DType> {
    const CODES: [(en_dtype, DType); 6] = [
        (en_dtype::EN_BOOL, DType::Bool),
        (en_dtype::EN_U8, DType::U8),
        (en_dtype::EN_F16, DType::F16),
        (en_dtype::EN_BF16, DType::BF16),
        (en_dtype::EN_F32, DType::F32),
        (en_dtype::EN_F64, DType::F64),
    ];
    CODES
        .iter()
        .find(|(c, _)| *c as en_dtype_code == code)
        .map(|&(_, dtype)| dtype)
        .ok_or_else(|| {
            Failure::new(
                en_status::EN_ERR_BAD_DTYPE,
                format!("dtype {code} is not an en_dtype (EN_BOOL = 0 to EN_F64 = 5)"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_names_its_type_and_others_are_refused() {
        for (code, dtype) in DType::ALL.into_iter().enumerate() {
            assert_eq!(dtype_of(code as c_int).unwrap(), dtype);
        }
        for code in [-1, 6, 7, c_int::MAX, c_int::MIN] {
            let failure = dtype_of(code).unwrap_err();
            assert_eq!(failure.status, en_status::EN_ERR_BAD_DTYPE);
            assert!(failure.message.contains(&code.to_string()));
        }
    }
}
