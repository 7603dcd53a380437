//! Writing `.npy` files (format version 1.0, or 2.0 for a header too long
//! for it), little-endian, in C order, as numpy writes them: the header
//! padded with spaces so that the data starts at a multiple of 64 bytes.

use std::io::{self, Write};

use exact_neuron::half::f16;
use exact_neuron::HostValues;

use super::header::MAGIC;

/// An element type this tool writes.
pub trait Element: Copy {
    /// numpy's dtype string.
    const DESCR: &'static str;
    /// Writes the element's bytes, little-endian.
    fn put(self, out: &mut impl Write) -> io::Result<()>;
}

impl Element for bool {
    const DESCR: &'static str = "|b1";
    fn put(self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(&[u8::from(self)])
    }
}

macro_rules! float_element {
    ($t:ty, $descr:literal) => {
        impl Element for $t {
            const DESCR: &'static str = $descr;
            fn put(self, out: &mut impl Write) -> io::Result<()> {
                out.write_all(&self.to_le_bytes())
            }
        }
    };
}
impl Element for u8 {
    const DESCR: &'static str = "|u1";
    fn put(self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(&[self])
    }
}

float_element!(f16, "<f2");
float_element!(u32, "<u4");
float_element!(f32, "<f4");
float_element!(f64, "<f8");

/// Data starts at a multiple of this many bytes, as numpy aligns it.
const ALIGN: usize = 64;

/// The preamble and header of an array of `descr` with `shape`.
pub fn header(descr: &str, shape: &[u64]) -> Vec<u8> {
    // the whole shape (a message's ShapeText cuts long ones short)
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let padded = |preamble: usize| {
        let unpadded = preamble + dict.len() + 1; // + the final '\n'
        dict.len() + unpadded.next_multiple_of(ALIGN) - unpadded + 1
    };
    let (version, length_field) = if padded(10) <= usize::from(u16::MAX) {
        (1u8, 2)
    } else {
        (2u8, 4)
    };
    let len = padded(8 + length_field);
    let mut bytes = Vec::with_capacity(8 + length_field + len);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&[version, 0]);
    if length_field == 2 {
        bytes.extend_from_slice(&(len as u16).to_le_bytes());
    } else {
        bytes.extend_from_slice(&(len as u32).to_le_bytes());
    }
    bytes.extend_from_slice(dict.as_bytes());
    bytes.resize(bytes.len() + len - dict.len() - 1, b' ');
    bytes.push(b'\n');
    bytes
}

/// Writes an `.npy` file of `values` with `shape` to `out`.
pub fn write<T: Element>(
    out: &mut impl Write,
    shape: &[u64],
    values: impl IntoIterator<Item = T>,
) -> io::Result<()> {
    out.write_all(&header(T::DESCR, shape))?;
    for value in values {
        value.put(out)?;
    }
    Ok(())
}

/// Writes an `.npy` file of values whose type is known at run time; bf16,
/// which has no numpy type, is widened to float32 (exactly).
pub fn write_values(out: &mut impl Write, shape: &[u64], values: &HostValues) -> io::Result<()> {
    match values {
        HostValues::Bool(v) => write(out, shape, v.iter().copied()),
        HostValues::U8(v) => write(out, shape, v.iter().copied()),
        HostValues::F16(v) => write(out, shape, v.iter().copied()),
        HostValues::BF16(v) => write(out, shape, v.iter().map(|&x| f32::from(x))),
        HostValues::F32(v) => write(out, shape, v.iter().copied()),
        HostValues::F64(v) => write(out, shape, v.iter().copied()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_numpy_s() {
        let bytes = header("<f4", &[2, 3]);
        assert_eq!(bytes.len(), 128);
        assert_eq!(&bytes[..10], b"\x93NUMPY\x01\x00\x76\x00");
        assert_eq!(
            std::str::from_utf8(&bytes[10..]).unwrap().trim_end(),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
        );
        assert_eq!(bytes[127], b'\n');
        assert_eq!(header("|b1", &[]).len() % 64, 0);
        assert!(String::from_utf8_lossy(&header("|b1", &[7])).contains("(7,)"));
    }
}
