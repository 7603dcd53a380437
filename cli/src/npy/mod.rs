//! Reading and writing `.npy` files, with one-line errors that name the
//! file and the problem.
//!
//! A file is read in two steps, so that nothing is read that the header
//! does not announce: [`open`] reads the preamble and the header (at most
//! `header::MAX_HEADER_LEN` bytes), checks the shape with checked
//! arithmetic and checks that the file is exactly as long as the header
//! says; [`Reader::read_data`] then reads exactly the data bytes.

mod header;
mod literal;
mod write;

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use exact_neuron::half::{bf16, f16};
use exact_neuron::{DType, HostValues};

pub use header::{product, Header};
pub use write::{write, write_values, Element};

use crate::error::{quote, CliError};

/// numpy's name of an element type (bf16, which numpy lacks, by its
/// common name).
pub fn numpy_name(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "bool",
        DType::U8 => "uint8",
        DType::F16 => "float16",
        DType::BF16 => "bfloat16",
        DType::F32 => "float32",
        DType::F64 => "float64",
    }
}

/// A shape as numpy prints it, `(3,)`, `(2, 3)`, `()`, cut short past
/// [`crate::error::QUOTE_LIMIT`] characters (a file may hold thousands of
/// dimensions).
pub struct ShapeText<'a, T>(pub &'a [T]);

impl<T: fmt::Display> fmt::Display for ShapeText<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        let text = match dims.len() {
            1 => format!("({},)", dims[0]),
            _ => format!("({})", dims.join(", ")),
        };
        f.write_str(&quote(&text))
    }
}

/// An open `.npy` file whose header has been read and checked.
pub struct Reader {
    label: String,
    file: File,
    /// The file's length, when it is a regular file.
    file_len: Option<u64>,
    pub header: Header,
}

/// Reads as many bytes as `buf` holds, fewer only at the end of the file.
fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

/// Opens `path` and reads its header. `label` names the file in messages
/// (for example `--inputs=X.npy`). Refused here, before any data is read:
/// a file that is not `.npy`, a bad header, an overflowing shape, a
/// Fortran-ordered array, and a file longer or shorter than its header
/// announces.
pub fn open(path: &Path, label: &str) -> Result<Reader, CliError> {
    let cannot_read = |err: io::Error| CliError::bad(format!("{label}: cannot read: {err}"));
    let invalid = |why: String| CliError::bad(format!("{label}: not a valid .npy file ({why})"));
    let mut file = File::open(path).map_err(cannot_read)?;
    let metadata = file.metadata().map_err(cannot_read)?;
    if metadata.is_dir() {
        return Err(CliError::bad(format!("{label}: is a folder, not a file")));
    }
    let file_len = metadata.is_file().then_some(metadata.len());

    let mut start = [0u8; 8];
    let got = read_full(&mut file, &mut start).map_err(cannot_read)?;
    let version = header::version(&start[..got]).map_err(invalid)?;
    let mut length = [0u8; 4];
    let field = &mut length[..version.length_field()];
    if read_full(&mut file, field).map_err(cannot_read)? < field.len() {
        return Err(invalid("the header is cut short".into()));
    }
    let text_len = u64::from(u32::from_le_bytes(length));
    if text_len > header::MAX_HEADER_LEN {
        return Err(invalid(format!(
            "a header of {text_len} bytes; at most {} are read",
            header::MAX_HEADER_LEN
        )));
    }
    if let Some(file_len) = file_len {
        if version.preamble_len() + text_len > file_len {
            return Err(invalid(format!(
                "the header is cut short: it announces {text_len} bytes, the file holds {}",
                file_len.saturating_sub(version.preamble_len())
            )));
        }
    }
    let mut text = vec![0u8; text_len as usize];
    if read_full(&mut file, &mut text).map_err(cannot_read)? < text.len() {
        return Err(invalid("the header is cut short".into()));
    }
    // Versions 1.0 and 2.0 write the header in latin-1, 3.0 in UTF-8.
    let chars: Vec<char> = if version.major == 3 {
        std::str::from_utf8(&text)
            .map_err(|_| invalid("a version 3.0 header that is not UTF-8".into()))?
            .chars()
            .collect()
    } else {
        text.iter().map(|&byte| char::from(byte)).collect()
    };
    let header = header::parse(version, &chars, text_len).map_err(invalid)?;
    if header.fortran_order {
        return Err(CliError::bad(format!(
            "{label}: Fortran-ordered arrays are not supported (save np.ascontiguousarray(a))"
        )));
    }
    let reader = Reader {
        label: label.to_owned(),
        file,
        file_len,
        header,
    };
    if let (Some(file_len), Some(data_len)) = (reader.file_len, reader.header.data_len()) {
        reader.check_data_len(file_len.saturating_sub(reader.header.data_offset), data_len)?;
    }
    Ok(reader)
}

impl Reader {
    /// The element type, or the error "unsupported dtype".
    pub fn kind(&self) -> Result<DType, CliError> {
        self.header.kind.ok_or_else(|| {
            CliError::bad(format!(
                "{}: unsupported dtype '{}'",
                self.label, self.header.descr
            ))
        })
    }

    /// The data found must be the data the header announces.
    fn check_data_len(&self, found: u64, needed: u64) -> Result<(), CliError> {
        let what = || {
            let name = match self.header.kind {
                Some(kind) => numpy_name(kind),
                None => self.header.descr.as_str(),
            };
            format!("shape {} of {name}", ShapeText(&self.header.shape))
        };
        if found < needed {
            return Err(CliError::bad(format!(
                "{}: truncated: {} needs {needed} bytes of data, the file holds {found}",
                self.label,
                what()
            )));
        }
        if found > needed {
            return Err(CliError::bad(format!(
                "{}: {} bytes after the {needed} bytes of data that {} needs",
                self.label,
                found - needed,
                what()
            )));
        }
        Ok(())
    }

    /// Reads exactly the data bytes the header announces (of a simple
    /// dtype), and checks that nothing follows them.
    pub fn read_data(mut self) -> Result<Vec<u8>, CliError> {
        let label = self.label.clone();
        let cannot_read = |err: io::Error| CliError::bad(format!("{label}: cannot read: {err}"));
        let Some(needed) = self.header.data_len() else {
            return Err(CliError::bad(format!(
                "{}: unsupported dtype '{}'",
                self.label, self.header.descr
            )));
        };
        let too_large = || {
            CliError::bad(format!(
                "{}: {needed} bytes of data do not fit in memory",
                self.label
            ))
        };
        let mut data = Vec::new();
        if self.file_len.is_some() {
            // the file holds that much (checked in `open`)
            let capacity = usize::try_from(needed).map_err(|_| too_large())?;
            data.try_reserve_exact(capacity).map_err(|_| too_large())?;
        }
        // Not a regular file (a pipe): the data grows as it arrives, up to
        // what the header announces.
        (&mut self.file)
            .take(needed)
            .read_to_end(&mut data)
            .map_err(cannot_read)?;
        let mut extra = [0u8; 1];
        let more = read_full(&mut self.file, &mut extra).map_err(cannot_read)?;
        self.check_data_len(data.len() as u64 + more as u64, needed)?;
        Ok(data)
    }

    /// Reads and decodes every element.
    pub fn read_array(self) -> Result<HostValues, CliError> {
        let kind = self.kind()?;
        let big_endian = self.header.big_endian;
        let bytes = self.read_data()?;
        Ok(decode(kind, big_endian, &bytes))
    }
}

/// The elements of `bytes`. A bool is true for any nonzero byte, as numpy
/// reads it.
pub fn decode(kind: DType, big_endian: bool, bytes: &[u8]) -> HostValues {
    macro_rules! floats {
        ($t:ty, $n:literal) => {
            bytes
                .chunks_exact($n)
                .map(|chunk| {
                    let bytes: [u8; $n] = chunk.try_into().expect("chunks of the item size");
                    if big_endian {
                        <$t>::from_be_bytes(bytes)
                    } else {
                        <$t>::from_le_bytes(bytes)
                    }
                })
                .collect()
        };
    }
    match kind {
        DType::Bool => HostValues::Bool(bytes.iter().map(|&byte| byte != 0).collect()),
        DType::U8 => HostValues::U8(bytes.to_vec()),
        DType::F16 => HostValues::F16(floats!(f16, 2)),
        DType::BF16 => HostValues::BF16(floats!(bf16, 2)),
        DType::F32 => HostValues::F32(floats!(f32, 4)),
        DType::F64 => HostValues::F64(floats!(f64, 8)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn temp(name: &str, bytes: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!(
            "exact-neuron-npy-unit-{}-{name}",
            std::process::id()
        ));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn encoded<T: Element>(shape: &[u64], values: &[T]) -> Vec<u8> {
        let mut bytes = Vec::new();
        write(&mut bytes, shape, values.iter().copied()).unwrap();
        bytes
    }

    #[test]
    fn round_trip_truncation_and_extra_bytes() {
        let bytes = encoded::<f32>(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let path = temp("round-trip.npy", &bytes);
        let reader = open(&path, "x.npy").unwrap();
        assert_eq!(reader.header.descr, "<f4");
        assert_eq!(reader.header.shape, vec![2, 3]);
        assert!(matches!(reader.read_array().unwrap(), HostValues::F32(ref v) if v[5] == 6.0));
        for (cut, needle) in [
            (
                &bytes[..bytes.len() - 3],
                "truncated: shape (2, 3) of float32 needs 24 bytes of data, the file holds 21",
            ),
            (
                &bytes[..20],
                "not a valid .npy file (the header is cut short",
            ),
            (
                &bytes[..9],
                "not a valid .npy file (the header is cut short)",
            ),
            (
                b"hello, world",
                "not a valid .npy file (it does not start with the .npy magic string)",
            ),
        ] {
            std::fs::write(&path, cut).unwrap();
            let err = open(&path, "x.npy").err().unwrap();
            assert!(err.message.contains(needle), "{}", err.message);
        }
        let mut long = bytes.clone();
        long.push(0);
        std::fs::write(&path, long).unwrap();
        let err = open(&path, "x.npy").err().unwrap();
        assert!(
            err.message.contains("1 bytes after the 24 bytes of data"),
            "{}",
            err.message
        );
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn big_endian_and_bools() {
        assert!(
            matches!(decode(DType::F32, true, &[0x3f, 0x80, 0, 0]), HostValues::F32(ref v) if v == &[1.0])
        );
        assert!(
            matches!(decode(DType::F16, false, &[0, 0x3c]), HostValues::F16(ref v) if v == &[f16::ONE])
        );
        assert!(
            matches!(decode(DType::Bool, false, &[0, 1, 2, 255]), HostValues::Bool(ref v) if v == &[false, true, true, true])
        );
    }

    #[test]
    fn shapes_print_like_numpy() {
        assert_eq!(ShapeText::<u64>(&[]).to_string(), "()");
        assert_eq!(ShapeText(&[3u64]).to_string(), "(3,)");
        assert_eq!(ShapeText(&[3u64, 4]).to_string(), "(3, 4)");
        assert!(ShapeText(&[1u64; 1000]).to_string().ends_with("..."));
    }
}
