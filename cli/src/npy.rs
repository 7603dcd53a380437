//! Reading and writing `.npy` files (through npyz), with one-line errors
//! that name the file and the problem.

use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

use exact_neuron::half::f16;
use npyz::{Deserialize, NpyFile, NpyHeader, WriterBuilder};

use crate::error::CliError;

/// The element types this tool reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bool,
    U8,
    F16,
    F32,
    F64,
}

impl Kind {
    pub fn size(self) -> u64 {
        match self {
            Kind::Bool | Kind::U8 => 1,
            Kind::F16 => 2,
            Kind::F32 => 4,
            Kind::F64 => 8,
        }
    }

    /// numpy's name of the type.
    pub fn numpy_name(self) -> &'static str {
        match self {
            Kind::Bool => "bool",
            Kind::U8 => "uint8",
            Kind::F16 => "float16",
            Kind::F32 => "float32",
            Kind::F64 => "float64",
        }
    }
}

/// An array's elements, in file order (C order).
pub enum Data {
    Bool(Vec<bool>),
    U8(Vec<u8>),
    F16(Vec<f16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// A whole `.npy` array's elements (its shape is the header's).
pub struct Array {
    pub data: Data,
}

/// A shape as numpy prints it: `(3,)`, `(2, 3)`, `()`.
pub struct ShapeText<'a, T>(pub &'a [T]);

impl<T: fmt::Display> fmt::Display for ShapeText<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        match dims.len() {
            1 => write!(f, "({},)", dims[0]),
            _ => write!(f, "({})", dims.join(", ")),
        }
    }
}

/// The parsed header and the data bytes of an `.npy` file, checked for
/// length; elements are decoded by [`Raw::decode`].
pub struct Raw<'a> {
    pub descr: String,
    pub kind: Option<Kind>,
    pub header: NpyHeader,
    pub data: &'a [u8],
}

fn kind_of(descr: &str) -> Option<Kind> {
    let (order, code) = descr.split_at(descr.len().min(1));
    if !matches!(order, "<" | ">" | "|" | "=") {
        return None;
    }
    match code {
        "b1" => Some(Kind::Bool),
        "u1" => Some(Kind::U8),
        "f2" => Some(Kind::F16),
        "f4" => Some(Kind::F32),
        "f8" => Some(Kind::F64),
        _ => None,
    }
}

/// Reads the whole file.
/// `label` names the file in messages (for example `--inputs=X.npy`).
pub fn read_bytes(path: &Path, label: &str) -> Result<Vec<u8>, CliError> {
    fs::read(path).map_err(|err| CliError::bad(format!("{label}: cannot read: {err}")))
}

/// Parses the header and checks that the data is all there.
pub fn parse<'a>(label: &str, bytes: &'a [u8]) -> Result<Raw<'a>, CliError> {
    let mut rest = bytes;
    let header = NpyHeader::from_reader(&mut rest).map_err(|err| {
        CliError::bad(format!(
            "{label}: not a valid .npy file ({})",
            if err.kind() == io::ErrorKind::UnexpectedEof {
                "the header is cut short".to_string()
            } else {
                err.to_string()
            }
        ))
    })?;
    let descr = match header.dtype() {
        npyz::DType::Plain(type_str) => type_str.to_string(),
        other => other.descr(),
    };
    let kind = kind_of(&descr);
    if let Some(kind) = kind {
        let needed = header
            .shape()
            .iter()
            .try_fold(kind.size(), |acc, &dim| acc.checked_mul(dim));
        match needed {
            None => {
                return Err(CliError::bad(format!(
                    "{label}: shape {} is too large",
                    ShapeText(header.shape())
                )))
            }
            Some(needed) if (rest.len() as u64) < needed => {
                return Err(CliError::bad(format!(
                    "{label}: truncated: shape {} of {} needs {needed} bytes of data, the file holds {}",
                    ShapeText(header.shape()),
                    kind.numpy_name(),
                    rest.len()
                )))
            }
            Some(_) => {}
        }
        if header.order() == npyz::Order::Fortran
            && header.shape().iter().filter(|&&d| d > 1).count() > 1
        {
            return Err(CliError::bad(format!(
                "{label}: Fortran-ordered arrays are not supported (save np.ascontiguousarray(a))"
            )));
        }
    }
    Ok(Raw {
        descr,
        kind,
        header,
        data: rest,
    })
}

impl Raw<'_> {
    /// Decodes every element.
    pub fn decode(&self, label: &str) -> Result<Array, CliError> {
        fn all<T: Deserialize>(raw: &Raw<'_>, label: &str) -> Result<Vec<T>, CliError> {
            NpyFile::with_header(raw.header.clone(), raw.data)
                .into_vec::<T>()
                .map_err(|err| CliError::bad(format!("{label}: bad data: {err}")))
        }
        let data = match self.kind {
            Some(Kind::Bool) => Data::Bool(all(self, label)?),
            Some(Kind::U8) => Data::U8(all(self, label)?),
            Some(Kind::F16) => Data::F16(all(self, label)?),
            Some(Kind::F32) => Data::F32(all(self, label)?),
            Some(Kind::F64) => Data::F64(all(self, label)?),
            None => {
                return Err(CliError::bad(format!(
                    "{label}: unsupported dtype '{}'",
                    self.descr
                )))
            }
        };
        Ok(Array { data })
    }
}

/// An `.npy` file in memory: `values` with `shape`, in C order.
pub fn encode<T: npyz::AutoSerialize>(
    shape: &[u64],
    values: impl IntoIterator<Item = T>,
) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(&mut bytes)
        .begin_nd()?;
    writer.extend(values)?;
    writer.finish()?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let bytes = encode::<f32>(&[2, 3], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let path = "x.npy";
        let raw = parse(path, &bytes).unwrap();
        assert_eq!(raw.descr, "<f4");
        let array = raw.decode(path).unwrap();
        assert_eq!(raw.header.shape(), &[2, 3]);
        assert!(matches!(array.data, Data::F32(ref v) if v.len() == 6));
        let cut = &bytes[..bytes.len() - 3];
        let err = parse(path, cut).err().unwrap();
        assert!(err.message.contains("truncated"), "{}", err.message);
        let err = parse(path, &bytes[..20]).err().unwrap();
        assert!(
            err.message.contains("not a valid .npy file"),
            "{}",
            err.message
        );
        let err = parse(path, b"hello, world").err().unwrap();
        assert!(
            err.message.contains("not a valid .npy file"),
            "{}",
            err.message
        );
    }

    #[test]
    fn shapes_print_like_numpy() {
        assert_eq!(ShapeText::<u64>(&[]).to_string(), "()");
        assert_eq!(ShapeText(&[3u64]).to_string(), "(3,)");
        assert_eq!(ShapeText(&[3u64, 4]).to_string(), "(3, 4)");
    }

    #[test]
    fn kinds() {
        assert_eq!(kind_of("<f4"), Some(Kind::F32));
        assert_eq!(kind_of(">f8"), Some(Kind::F64));
        assert_eq!(kind_of("|b1"), Some(Kind::Bool));
        assert_eq!(kind_of("|u1"), Some(Kind::U8));
        assert_eq!(kind_of("<i4"), None);
        assert_eq!(kind_of(""), None);
    }
}
