//! The golden cases computed by inferno (`tests/golden/`, see its README),
//! and a replay of them through `ExactNeuron` on any device the tests can
//! stage data on.
//!
//! The case folder is `EXACT_NEURON_GOLDEN` when set, else the
//! repository's (see [`cases_dir_in`]); `errors.json` is beside it.

use std::fmt::Display;
use std::fs;
use std::path::{Path, PathBuf};

use exact_neuron::half::{bf16, f16};
use exact_neuron::{DType, Element, ExactNeuron, KernelDevice, NeuronParams, VoltageElement};
use serde_json::Value;

use super::cases::{cases_dir_in, errors_file_of};

/// The folder of golden cases to replay (see [`cases_dir_in`]).
pub fn cases_dir() -> PathBuf {
    cases_dir_in(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// Whether threshold inputs or override values drive the steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Threshold,
    Override,
}

/// All steps' input values, in the element type the case runs them in.
pub enum Values {
    F32(Vec<f32>),
    F64(Vec<f64>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    Bool(Vec<bool>),
    U8(Vec<u8>),
}

/// One step's values.
#[derive(Clone, Copy)]
pub enum StepValues<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
    F16(&'a [f16]),
    BF16(&'a [bf16]),
    Bool(&'a [bool]),
    U8(&'a [u8]),
}

/// One golden case.
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub params: NeuronParams,
    pub mode: Mode,
    pub steps: usize,
    pub voltage_dtype: DType,
    pub values: Values,
    /// Expected spikes of every step, `steps * n`.
    pub spikes: Vec<bool>,
    /// Expected voltage bits of every step, as the file stores them (bf16
    /// widened to f32), zero-extended to 64 bits.
    pub voltage_bits: Vec<u64>,
    /// The `exact-neuron run` flags that replay the case from its folder.
    pub cli: Vec<String>,
}

/// An invalid parameter set and inferno's message for it.
pub struct ErrorCase {
    pub params: NeuronParams,
    pub message: String,
}

fn number(value: &Value) -> f64 {
    match value {
        Value::String(text) => match text.as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => panic!("unexpected number text {other:?}"),
        },
        other => other
            .as_f64()
            .unwrap_or_else(|| panic!("not a number: {other}")),
    }
}

fn params_of(json: &Value) -> NeuronParams {
    let shape = json["shape"]
        .as_array()
        .expect("shape is a list")
        .iter()
        .map(|dim| dim.as_u64().expect("dimension is an integer") as usize)
        .collect::<Vec<_>>();
    NeuronParams::new(
        shape,
        number(&json["step_time"]),
        number(&json["rest_v"]),
        number(&json["thresh_v"]),
    )
    .with_batch_size(
        json["batch_size"]
            .as_u64()
            .expect("batch_size is an integer") as usize,
    )
}

pub fn dtype_named(name: &str) -> DType {
    match name {
        "bool" => DType::Bool,
        "u8" => DType::U8,
        "f16" => DType::F16,
        "bf16" => DType::BF16,
        "f32" => DType::F32,
        "f64" => DType::F64,
        other => panic!("unknown dtype {other:?}"),
    }
}

/// An .npy file's values as f64 (any float dtype), bool or u8.
enum Npy {
    Float(Vec<f64>, DType),
    Bool(Vec<bool>),
    U8(Vec<u8>),
    /// The raw bits of a float array, for exact comparison.
    Bits(Vec<u64>),
}

fn read_npy(path: &Path, bits: bool) -> Npy {
    let bytes = fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let npy =
        npyz::NpyFile::new(&bytes[..]).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let descr = match npy.dtype() {
        npyz::DType::Plain(type_str) => type_str.to_string(),
        other => panic!("{}: unexpected dtype {other:?}", path.display()),
    };
    let fail = |err: std::io::Error| -> ! { panic!("{}: {err}", path.display()) };
    match descr.as_str() {
        "|b1" => Npy::Bool(npy.into_vec::<bool>().unwrap_or_else(|e| fail(e))),
        "|u1" => Npy::U8(npy.into_vec::<u8>().unwrap_or_else(|e| fail(e))),
        "<f2" => {
            let values = npy.into_vec::<f16>().unwrap_or_else(|e| fail(e));
            if bits {
                Npy::Bits(values.iter().map(|v| u64::from(v.to_bits())).collect())
            } else {
                Npy::Float(values.iter().map(|v| v.to_f64()).collect(), DType::F16)
            }
        }
        "<f4" => {
            let values = npy.into_vec::<f32>().unwrap_or_else(|e| fail(e));
            if bits {
                Npy::Bits(values.iter().map(|v| u64::from(v.to_bits())).collect())
            } else {
                Npy::Float(values.iter().map(|&v| f64::from(v)).collect(), DType::F32)
            }
        }
        "<f8" => {
            let values = npy.into_vec::<f64>().unwrap_or_else(|e| fail(e));
            if bits {
                Npy::Bits(values.iter().map(|v| v.to_bits()).collect())
            } else {
                Npy::Float(values, DType::F64)
            }
        }
        other => panic!("{}: unexpected dtype {other}", path.display()),
    }
}

/// Converts float file values (read exactly as f64) to the run dtype,
/// rounding to nearest even as `--input-dtype` does.
fn floats_as(values: Vec<f64>, file: DType, dtype: DType) -> Values {
    match dtype {
        DType::F64 => Values::F64(values),
        DType::F32 => Values::F32(values.into_iter().map(|v| v as f32).collect()),
        // From f16 and f32 files the f64 values carry no bits beyond f32,
        // so `from_f32` rounds once, to nearest even. (half's `from_f64`
        // drops low bits before rounding, so f64 files would need a
        // round-to-odd step first; no golden case has one.)
        DType::F16 => {
            assert!(file != DType::F64, "f16 inputs come from f16 or f32 files");
            Values::F16(
                values
                    .into_iter()
                    .map(|v| f16::from_f32(v as f32))
                    .collect(),
            )
        }
        DType::BF16 => {
            assert!(file != DType::F64, "bf16 inputs come from f32 files");
            Values::BF16(
                values
                    .into_iter()
                    .map(|v| bf16::from_f32(v as f32))
                    .collect(),
            )
        }
        other => panic!("floats cannot be run as {other}"),
    }
}

/// Loads one case folder.
pub fn load_case(dir: &Path) -> Case {
    let text = fs::read_to_string(dir.join("case.json"))
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    let json: Value = serde_json::from_str(&text).expect("case.json is JSON");
    let mode = match json["mode"].as_str() {
        Some("threshold") => Mode::Threshold,
        Some("override") => Mode::Override,
        other => panic!("{}: unknown mode {other:?}", dir.display()),
    };
    let values = match mode {
        Mode::Threshold => {
            let dtype = dtype_named(json["input_dtype"].as_str().expect("input_dtype"));
            match read_npy(&dir.join("inputs.npy"), false) {
                Npy::Float(values, file) => floats_as(values, file, dtype),
                _ => panic!("{}: inputs.npy must be a float array", dir.display()),
            }
        }
        Mode::Override => {
            let dtype = dtype_named(json["override_dtype"].as_str().expect("override_dtype"));
            match (read_npy(&dir.join("override.npy"), false), dtype) {
                (Npy::Bool(values), DType::Bool) => Values::Bool(values),
                (Npy::U8(values), DType::U8) => Values::U8(values),
                (Npy::Float(values, file), dtype) if dtype == file => {
                    floats_as(values, file, dtype)
                }
                (_, dtype) => panic!("{}: override.npy is not {dtype}", dir.display()),
            }
        }
    };
    let spikes = match read_npy(&dir.join("spikes.npy"), false) {
        Npy::Bool(spikes) => spikes,
        _ => panic!("{}: spikes.npy must be bool", dir.display()),
    };
    let voltage_bits = match read_npy(&dir.join("voltage.npy"), true) {
        Npy::Bits(bits) => bits,
        _ => panic!("{}: voltage.npy must be a float array", dir.display()),
    };
    let cli = json["cli"]
        .as_array()
        .map(|flags| {
            flags
                .iter()
                .filter_map(|f| f.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    Case {
        name: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        dir: dir.to_path_buf(),
        params: params_of(&json),
        mode,
        steps: json["steps"].as_u64().expect("steps") as usize,
        voltage_dtype: dtype_named(json["voltage_dtype"].as_str().expect("voltage_dtype")),
        values,
        spikes,
        voltage_bits,
        cli,
    }
}

/// Every case folder (a folder holding `case.json`), sorted by name.
pub fn load_cases() -> Vec<Case> {
    load_cases_in(&cases_dir())
}

/// Every case folder in `dir`, sorted by name (for a crate of the workspace
/// whose manifest is not at the repository's root).
pub fn load_cases_in(dir: &Path) -> Vec<Case> {
    let mut folders: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("golden cases at {}: {err}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("case.json").is_file())
        .collect();
    folders.sort();
    folders.iter().map(|folder| load_case(folder)).collect()
}

/// The invalid parameter sets of `errors.json`, if the case set has one.
pub fn load_errors() -> Option<Vec<ErrorCase>> {
    load_errors_in(&cases_dir())
}

/// The invalid parameter sets of the set whose cases are in `cases`.
pub fn load_errors_in(cases: &Path) -> Option<Vec<ErrorCase>> {
    let path = errors_file_of(cases)?;
    let text = fs::read_to_string(&path).expect("errors.json is readable");
    let json: Value = serde_json::from_str(&text).expect("errors.json is JSON");
    Some(
        json.as_array()
            .expect("errors.json is a list")
            .iter()
            .map(|entry| ErrorCase {
                params: params_of(entry),
                message: entry["inferno_message"]
                    .as_str()
                    .expect("message")
                    .to_owned(),
            })
            .collect(),
    )
}

impl Case {
    /// Elements per step.
    pub fn len(&self) -> usize {
        self.spikes.len() / self.steps.max(1)
    }

    /// Step `t`'s values.
    pub fn step(&self, t: usize) -> StepValues<'_> {
        let range = t * self.len()..(t + 1) * self.len();
        match &self.values {
            Values::F32(v) => StepValues::F32(&v[range]),
            Values::F64(v) => StepValues::F64(&v[range]),
            Values::F16(v) => StepValues::F16(&v[range]),
            Values::BF16(v) => StepValues::BF16(&v[range]),
            Values::Bool(v) => StepValues::Bool(&v[range]),
            Values::U8(v) => StepValues::U8(&v[range]),
        }
    }
}

/// A voltage element as the golden files store it: its bits, with bf16
/// widened to f32 (exactly).
pub trait StoredBits: VoltageElement {
    fn stored_bits(self) -> u64;
}
impl StoredBits for f32 {
    fn stored_bits(self) -> u64 {
        u64::from(self.to_bits())
    }
}
impl StoredBits for f64 {
    fn stored_bits(self) -> u64 {
        self.to_bits()
    }
}
impl StoredBits for f16 {
    fn stored_bits(self) -> u64 {
        u64::from(self.to_bits())
    }
}
impl StoredBits for bf16 {
    fn stored_bits(self) -> u64 {
        u64::from(f32::from(self).to_bits())
    }
}

/// A device the tests can move host data to and from.
pub trait TestDevice: KernelDevice + Clone {
    /// Runs `f` on a device copy of `host`.
    fn stage<T: Element, R>(
        &self,
        host: &[T],
        f: impl FnOnce(&Self::Slice<'_, T>) -> R,
    ) -> Result<R, String>;

    /// A host copy of a buffer.
    fn fetch<T: Element>(&self, buffer: &Self::Buffer<T>) -> Result<Vec<T>, String>;
}

fn text<E: Display>(err: E) -> String {
    err.to_string()
}

fn run_step<D: TestDevice>(
    neuron: &mut ExactNeuron<D>,
    mode: Mode,
    values: StepValues<'_>,
) -> Result<(), String> {
    let device = neuron.device().clone();
    macro_rules! go {
        ($slice:expr, $method:ident) => {
            device
                .stage($slice, |staged| neuron.$method(staged).map(|_| ()))?
                .map_err(text)
        };
    }
    match (mode, values) {
        (Mode::Threshold, StepValues::F32(v)) => go!(v, forward),
        (Mode::Threshold, StepValues::F64(v)) => go!(v, forward),
        (Mode::Threshold, StepValues::F16(v)) => go!(v, forward),
        (Mode::Threshold, StepValues::BF16(v)) => go!(v, forward),
        (Mode::Override, StepValues::F32(v)) => go!(v, forward_override),
        (Mode::Override, StepValues::F64(v)) => go!(v, forward_override),
        (Mode::Override, StepValues::F16(v)) => go!(v, forward_override),
        (Mode::Override, StepValues::BF16(v)) => go!(v, forward_override),
        (Mode::Override, StepValues::Bool(v)) => go!(v, forward_override),
        (Mode::Override, StepValues::U8(v)) => go!(v, forward_override),
        (Mode::Threshold, _) => Err("threshold inputs must be floats".into()),
    }
}

/// The voltage view in `dtype`, as stored bits.
pub fn voltage_bits<D: TestDevice>(
    neuron: &mut ExactNeuron<D>,
    dtype: DType,
) -> Result<Vec<u64>, String> {
    fn bits<D: TestDevice, T: StoredBits>(neuron: &mut ExactNeuron<D>) -> Result<Vec<u64>, String> {
        let device = neuron.device().clone();
        let view = neuron.voltage::<T>().map_err(text)?;
        Ok(device
            .fetch(view)?
            .into_iter()
            .map(T::stored_bits)
            .collect())
    }
    match dtype {
        DType::F32 => bits::<D, f32>(neuron),
        DType::F64 => bits::<D, f64>(neuron),
        DType::F16 => bits::<D, f16>(neuron),
        DType::BF16 => bits::<D, bf16>(neuron),
        other => Err(format!("no voltage view in {other}")),
    }
}

/// Replays `case` on a fresh neuron from `make`, comparing the spikes and
/// the voltage after every step bit for bit.
pub fn replay<D: TestDevice>(
    case: &Case,
    make: impl FnOnce(&NeuronParams) -> Result<ExactNeuron<D>, exact_neuron::Error>,
) -> Result<(), String> {
    let mut neuron = make(&case.params).map_err(|err| format!("{}: {err}", case.name))?;
    let n = case.len();
    if neuron.len() != n {
        return Err(format!(
            "{}: neuron has {} elements, case {n}",
            case.name,
            neuron.len()
        ));
    }
    for t in 0..case.steps {
        run_step(&mut neuron, case.mode, case.step(t))
            .map_err(|e| format!("{} step {t}: {e}", case.name))?;
        let spikes = neuron.spikes_to_host().map_err(text)?;
        let expected = &case.spikes[t * n..(t + 1) * n];
        if let Some(i) = (0..n).find(|&i| spikes[i] != expected[i]) {
            return Err(format!(
                "{} step {t}: spike {i} is {}, inferno says {}",
                case.name, spikes[i], expected[i]
            ));
        }
        let voltage = voltage_bits(&mut neuron, case.voltage_dtype)?;
        let expected = &case.voltage_bits[t * n..(t + 1) * n];
        if let Some(i) = (0..n).find(|&i| voltage[i] != expected[i]) {
            return Err(format!(
                "{} step {t}: voltage {i} has bits {:#x}, inferno's are {:#x}",
                case.name, voltage[i], expected[i]
            ));
        }
    }
    Ok(())
}

impl TestDevice for exact_neuron::Cpu {
    fn stage<T: Element, R>(&self, host: &[T], f: impl FnOnce(&[T]) -> R) -> Result<R, String> {
        Ok(f(host))
    }

    fn fetch<T: Element>(&self, buffer: &Vec<T>) -> Result<Vec<T>, String> {
        Ok(buffer.clone())
    }
}
