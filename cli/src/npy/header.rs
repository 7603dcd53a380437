//! An `.npy` header: the preamble (magic string, format version, header
//! length) and the dict that gives the element type, the order and the
//! shape. Every size is computed with checked arithmetic.

use super::literal::{self, Literal};
use exact_neuron::DType;

use super::ShapeText;
use crate::error::quote;

/// `\x93NUMPY`, the first six bytes of every `.npy` file.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The longest header read. numpy itself refuses headers over 10 000
/// bytes unless told otherwise; this bound only keeps a hostile length
/// field from making the tool read (or allocate) gigabytes.
pub const MAX_HEADER_LEN: u64 = 1 << 20;

/// Format version and the size of the header-length field that follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version {
    pub major: u8,
    pub minor: u8,
}

impl Version {
    /// Bytes of the little-endian header length: 2 in version 1.0, else 4.
    pub fn length_field(self) -> usize {
        if self.major == 1 {
            2
        } else {
            4
        }
    }

    /// Bytes before the header text: magic, version, length.
    pub fn preamble_len(self) -> u64 {
        8 + self.length_field() as u64
    }
}

/// The version of a file from its first 8 bytes, or why it is not an
/// `.npy` file this tool reads.
pub fn version(start: &[u8]) -> Result<Version, String> {
    if start.len() < MAGIC.len() || &start[..MAGIC.len()] != MAGIC {
        return Err("it does not start with the .npy magic string".into());
    }
    let Some(&[major, minor]) = start.get(6..8) else {
        return Err("the header is cut short".into());
    };
    match (major, minor) {
        (1..=3, 0) => Ok(Version { major, minor }),
        _ => Err(format!(
            "format version {major}.{minor}; this tool reads versions 1.0, 2.0 and 3.0"
        )),
    }
}

/// What the header says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub version: Version,
    /// The dtype as written (a structured dtype's whole list), for
    /// messages; already quoted (escaped, cut short).
    pub descr: String,
    /// The element type, when this tool reads it.
    pub kind: Option<DType>,
    /// Bytes per element, when the dtype is a simple one (`<i4`, `|u1`).
    pub item_size: Option<u64>,
    pub big_endian: bool,
    pub fortran_order: bool,
    pub shape: Vec<u64>,
    /// Where the data starts: preamble plus header.
    pub data_offset: u64,
}

impl Header {
    /// Bytes of data the shape needs, when the item size is known. The
    /// shape was checked when parsed, so this does not overflow.
    pub fn data_len(&self) -> Option<u64> {
        let size = self.item_size?;
        product(&self.shape).and_then(|count| count.checked_mul(size))
    }
}

/// The product of `dims`, or `None` when it overflows.
pub fn product(dims: &[u64]) -> Option<u64> {
    dims.iter().try_fold(1u64, |acc, &dim| acc.checked_mul(dim))
}

/// The byte order, kind and item size of a simple dtype string such as
/// `<f4`, `|b1` or `>i8`.
fn simple_dtype(descr: &str) -> Option<(bool, Option<DType>, u64)> {
    let mut chars = descr.chars();
    let order = chars.next()?;
    let code = chars.next()?;
    let digits = chars.as_str();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 9 {
        return None;
    }
    let count: u64 = digits.parse().ok()?;
    let item_size = match code {
        'b' | 'i' | 'u' | 'f' | 'c' | 'm' | 'M' | 'S' | 'a' | 'V' => count,
        'U' => count.checked_mul(4)?,
        _ => return None,
    };
    // '|' (no byte order) on a wider type means native order, as in numpy
    let big_endian = match order {
        '<' => false,
        '>' => true,
        '=' | '|' => cfg!(target_endian = "big"),
        _ => return None,
    };
    let kind = match (code, count) {
        ('b', 1) => Some(DType::Bool),
        ('u', 1) => Some(DType::U8),
        ('f', 2) => Some(DType::F16),
        ('f', 4) => Some(DType::F32),
        ('f', 8) => Some(DType::F64),
        _ => None,
    };
    Some((big_endian, kind, item_size))
}

/// Parses the header text (after the preamble; `text_len` bytes long).
pub fn parse(version: Version, text: &[char], text_len: u64) -> Result<Header, String> {
    let entries = literal::parse_dict(text).map_err(|err| {
        let near: String = text[err.at.min(text.len())..].iter().take(40).collect();
        format!(
            "header: {} at character {} (near '{}')",
            err.what,
            err.at,
            quote(&near)
        )
    })?;
    let mut descr = None;
    let mut fortran_order = None;
    let mut shape = None;
    for entry in &entries {
        let Literal::Str(key) = &entry.key else {
            continue;
        };
        let slot = match key.as_str() {
            "descr" => &mut descr,
            "fortran_order" => &mut fortran_order,
            "shape" => &mut shape,
            _ => continue,
        };
        if slot.is_some() {
            return Err(format!("header: the key '{key}' appears twice"));
        }
        *slot = Some(entry);
    }
    let missing = |key: &str| format!("header: no '{key}' key");
    let descr = descr.ok_or_else(|| missing("descr"))?;
    let fortran_order = fortran_order.ok_or_else(|| missing("fortran_order"))?;
    let shape = shape.ok_or_else(|| missing("shape"))?;

    let source: String = text[descr.value_span.clone()].iter().collect();
    let (descr_text, simple) = match &descr.value {
        Literal::Str(descr) => (quote(descr), simple_dtype(descr)),
        Literal::List(_) => (quote(&source), None),
        _ => {
            return Err(format!(
                "header: 'descr' is {}, not a dtype",
                quote(&source)
            ))
        }
    };
    let fortran_order = match &fortran_order.value {
        Literal::Atom(word) if word == "False" => false,
        Literal::Atom(word) if word == "True" => true,
        _ => {
            let source: String = text[fortran_order.value_span.clone()].iter().collect();
            return Err(format!(
                "header: 'fortran_order' is {}, not True or False",
                quote(&source)
            ));
        }
    };
    let shape_source: String = text[shape.value_span.clone()].iter().collect();
    let not_a_shape = || {
        format!(
            "header: 'shape' is {}, not a tuple of dimensions",
            quote(&shape_source)
        )
    };
    let Literal::Tuple(dims) = &shape.value else {
        return Err(not_a_shape());
    };
    let mut parsed = Vec::with_capacity(dims.len());
    for dim in dims {
        let Literal::Atom(word) = dim else {
            return Err(not_a_shape());
        };
        // Python 2 wrote long integers with an L (numpy reads them too)
        let word = word.strip_suffix('L').unwrap_or(word);
        if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_a_shape());
        }
        // numpy's dimensions are signed 64-bit (npy_intp)
        match word.parse::<u64>() {
            Ok(dim) if dim <= i64::MAX as u64 => parsed.push(dim),
            _ => {
                return Err(format!(
                    "shape {}: dimension {} is too large",
                    quote(&shape_source),
                    quote(word)
                ))
            }
        }
    }
    // As numpy does: the product of the nonzero dimensions, in bytes, must
    // fit a signed 64-bit size, even when another dimension is 0.
    let item_size = simple.map(|(_, _, size)| size);
    let nonzero = parsed
        .iter()
        .filter(|&&dim| dim != 0)
        .try_fold(item_size.unwrap_or(1).max(1), |acc, &dim| {
            acc.checked_mul(dim)
        })
        .filter(|&bytes| bytes <= i64::MAX as u64);
    if nonzero.is_none() {
        return Err(format!("shape {} is too large", ShapeText(&parsed)));
    }
    let data_offset = version.preamble_len() + text_len;
    Ok(Header {
        version,
        descr: descr_text,
        kind: simple.and_then(|(_, kind, _)| kind),
        item_size,
        big_endian: simple.is_some_and(|(big, _, _)| big),
        fortran_order,
        shape: parsed,
        data_offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: Version = Version { major: 1, minor: 0 };

    fn header(text: &str) -> Result<Header, String> {
        let chars: Vec<char> = text.chars().collect();
        parse(V1, &chars, text.len() as u64)
    }

    #[test]
    fn versions() {
        assert_eq!(version(b"\x93NUMPY\x01\x00").unwrap().length_field(), 2);
        assert_eq!(version(b"\x93NUMPY\x02\x00").unwrap().length_field(), 4);
        assert_eq!(version(b"\x93NUMPY\x03\x00").unwrap().preamble_len(), 12);
        assert!(version(b"\x93NUMPY\x04\x00").unwrap_err().contains("4.0"));
        assert!(version(b"\x93NUMPY\x01\x01").is_err());
        assert!(version(b"\x93NUMPY\x01").unwrap_err().contains("cut short"));
        assert!(version(b"PK\x03\x04zip!").unwrap_err().contains("magic"));
    }

    #[test]
    fn a_plain_header() {
        let h = header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n").unwrap();
        assert_eq!(h.kind, Some(DType::F32));
        assert_eq!(h.shape, vec![2, 3]);
        assert_eq!(h.data_len(), Some(24));
        assert!(!h.big_endian && !h.fortran_order);
        let h = header("{'shape': (), 'descr': '>f8', 'fortran_order': True, 'x': [[1]]}").unwrap();
        assert_eq!(
            (h.kind, h.big_endian, h.fortran_order),
            (Some(DType::F64), true, true)
        );
        assert_eq!(product(&h.shape), Some(1));
    }

    #[test]
    fn dtypes() {
        assert_eq!(simple_dtype("|b1"), Some((false, Some(DType::Bool), 1)));
        assert_eq!(simple_dtype("<i4"), Some((false, None, 4)));
        assert_eq!(simple_dtype("<U3"), Some((false, None, 12)));
        assert_eq!(simple_dtype("|f4"), Some((false, Some(DType::F32), 4)));
        assert_eq!(simple_dtype("<f"), None);
        assert_eq!(simple_dtype("O"), None);
        assert_eq!(simple_dtype("<f4x"), None);
        let h = header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}").unwrap();
        assert_eq!((h.kind, h.item_size), (None, None));
        assert_eq!(h.descr, "[('a', '<f4')]");
    }

    #[test]
    fn overflowing_shapes_are_refused() {
        let shape = |s: &str| {
            header(&format!(
                "{{'descr': '<f4', 'fortran_order': False, 'shape': {s}}}"
            ))
        };
        assert!(shape("(0, 9223372036854775820, 2)")
            .unwrap_err()
            .contains("too large"));
        assert!(shape("(0, 4611686018427387904, 2)")
            .unwrap_err()
            .contains("too large"));
        assert!(shape("(4294967296, 4294967296)")
            .unwrap_err()
            .contains("too large"));
        assert!(shape("(99999999999999999999999,)")
            .unwrap_err()
            .contains("too large"));
        assert_eq!(
            shape("(0, 1152921504606846975, 2)").unwrap().data_len(),
            Some(0)
        );
        assert!(shape("(-1, 2)").unwrap_err().contains("not a tuple"));
        assert!(shape("[1, 2]").unwrap_err().contains("not a tuple"));
        assert!(shape("(1.5,)").unwrap_err().contains("not a tuple"));
        assert!(shape("(L,)").unwrap_err().contains("not a tuple"));
        assert_eq!(shape("(2L, 3L)").unwrap().shape, vec![2, 3]);
    }

    #[test]
    fn bad_headers_name_the_problem_in_one_short_line() {
        for (text, what) in [
            ("{'descr': '<f4', 'fortran_order': False}", "no 'shape' key"),
            (
                "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}",
                "twice",
            ),
            (
                "{'descr': 3, 'fortran_order': False, 'shape': ()}",
                "'descr' is 3",
            ),
            (
                "{'descr': '<f4', 'fortran_order': 0, 'shape': ()}",
                "'fortran_order' is 0",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)",
                "header:",
            ),
        ] {
            let err = header(text).unwrap_err();
            assert!(err.contains(what), "{text}: {err}");
        }
        let nested = format!("{{'x': {}}}", "[".repeat(100_000));
        let err = header(&nested).unwrap_err();
        assert!(err.len() < 200 && err.contains("nested"), "{err}");
        let err = header("{'descr': '\x1b[31m\x00\x07', 'fortran_order': False, 'shape': ((),)}")
            .unwrap_err();
        assert!(!err.chars().any(char::is_control), "{err}");
    }
}
