//! Python's `repr` of a float, for error texts that match inferno's.

/// Formats `value` as Python's `repr(float)` does: the shortest digits that
/// read back to the same number, positional for decimal exponents from -4
/// up to 15 (`0.0001`, `100000.0`, `-50.0`), scientific otherwise (`1e-05`,
/// `1e+16`, `1.5e-40`), and `nan`, `inf`, `-inf` for the non-finite values.
pub(crate) fn float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.into();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .into();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits as Python, as
    // `d.ddde±x`; only the layout differs.
    let scientific = format!("{:e}", value.abs());
    let parsed = scientific
        .split_once('e')
        .and_then(|(mantissa, exponent)| Some((mantissa, exponent.parse::<i32>().ok()?)));
    let Some((mantissa, exponent)) = parsed else {
        // `{:e}` always writes `mantissa e exponent`; keep Rust's text if not.
        return format!("{value:?}");
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if value < 0.0 { "-" } else { "" };

    if (-4..16).contains(&exponent) {
        let body = if exponent >= 0 {
            let int_len = exponent as usize + 1;
            if digits.len() > int_len {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            } else {
                format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
            }
        } else {
            format!("0.{}{digits}", "0".repeat((-exponent - 1) as usize))
        };
        format!("{sign}{body}")
    } else {
        let mantissa = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::float_repr;

    #[test]
    fn matches_python_repr() {
        // (value, repr(value) in CPython 3)
        let table: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (-1.0, "-1.0"),
            (-50.0, "-50.0"),
            (0.5, "0.5"),
            (0.1, "0.1"),
            (-42.59, "-42.59"),
            (100000.0, "100000.0"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (1e-5, "1e-05"),
            (1.5e-5, "1.5e-05"),
            (1e-40, "1e-40"),
            (-1e-40, "-1e-40"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1e300, "1e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (5.085071812564664, "5.085071812564664"),
            (3.4028235677973366e38, "3.4028235677973366e+38"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for &(value, expected) in table {
            assert_eq!(float_repr(value), expected, "repr of {value:e}");
        }
    }
}
