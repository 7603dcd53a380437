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
use exact_neuron::{DType, ExactNeuron, HostSlice, HostValues, KernelDevice, NeuronParams};
use serde_json::Value;

use crate::cases::{cases_dir_in, errors_file_of};

/// The folder of golden cases to replay (see [`cases_dir_in`]).
pub fn cases_dir() -> PathBuf {
    cases_dir_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
}

/// Whether threshold inputs or override values drive the steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Threshold,
    Override,
}

/// One golden case.
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub params: NeuronParams,
    pub mode: Mode,
    pub steps: usize,
    pub voltage_dtype: DType,
    /// All steps' values, in the element type the case runs them in.
    pub values: HostValues,
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
    DType::from_name(name).unwrap_or_else(|| panic!("unknown dtype {name:?}"))
}

/// An .npy file's values, in the file's own type.
fn read_npy(path: &Path) -> HostValues {
    let bytes = fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let npy =
        npyz::NpyFile::new(&bytes[..]).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let descr = match npy.dtype() {
        npyz::DType::Plain(type_str) => type_str.to_string(),
        other => panic!("{}: unexpected dtype {other:?}", path.display()),
    };
    let fail = |err: std::io::Error| -> ! { panic!("{}: {err}", path.display()) };
    match descr.as_str() {
        "|b1" => HostValues::Bool(npy.into_vec().unwrap_or_else(|e| fail(e))),
        "|u1" => HostValues::U8(npy.into_vec().unwrap_or_else(|e| fail(e))),
        "<f2" => HostValues::F16(npy.into_vec().unwrap_or_else(|e| fail(e))),
        "<f4" => HostValues::F32(npy.into_vec().unwrap_or_else(|e| fail(e))),
        "<f8" => HostValues::F64(npy.into_vec().unwrap_or_else(|e| fail(e))),
        other => panic!("{}: unexpected dtype {other}", path.display()),
    }
}

/// Voltages as the golden files store them: their bits, with bf16 widened
/// to f32 (exactly), zero-extended to 64 bits.
pub fn stored_bits(values: &HostValues) -> Result<Vec<u64>, String> {
    Ok(match values {
        HostValues::F16(v) => v.iter().map(|x| u64::from(x.to_bits())).collect(),
        HostValues::BF16(v) => v
            .iter()
            .map(|&x| u64::from(f32::from(x).to_bits()))
            .collect(),
        HostValues::F32(v) => v.iter().map(|x| u64::from(x.to_bits())).collect(),
        HostValues::F64(v) => v.iter().map(|x| x.to_bits()).collect(),
        other => return Err(format!("{} values are not voltages", other.dtype())),
    })
}

/// Converts float file values to the run dtype, rounding to nearest even
/// as `--input-dtype` does.
fn floats_as(values: HostValues, dtype: DType) -> HostValues {
    if values.dtype() == dtype {
        return values;
    }
    let file = values.dtype();
    let wide: Vec<f64> = match values {
        HostValues::F16(v) => v.iter().map(|x| x.to_f64()).collect(),
        HostValues::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        HostValues::F64(v) => v,
        other => panic!("{} values are not floats", other.dtype()),
    };
    match dtype {
        DType::F64 => HostValues::F64(wide),
        DType::F32 => HostValues::F32(wide.into_iter().map(|v| v as f32).collect()),
        // From f16 and f32 files the f64 values carry no bits beyond f32,
        // so `from_f32` rounds once, to nearest even. (half's `from_f64`
        // drops low bits before rounding, so f64 files would need a
        // round-to-odd step first; no golden case has one.)
        DType::F16 => {
            assert!(file != DType::F64, "f16 inputs come from f16 or f32 files");
            HostValues::F16(wide.into_iter().map(|v| f16::from_f32(v as f32)).collect())
        }
        DType::BF16 => {
            assert!(file != DType::F64, "bf16 inputs come from f32 files");
            HostValues::BF16(wide.into_iter().map(|v| bf16::from_f32(v as f32)).collect())
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
            let values = read_npy(&dir.join("inputs.npy"));
            let float = matches!(values.dtype(), DType::F16 | DType::F32 | DType::F64);
            assert!(float, "{}: inputs.npy must be a float array", dir.display());
            floats_as(values, dtype)
        }
        Mode::Override => {
            let dtype = dtype_named(json["override_dtype"].as_str().expect("override_dtype"));
            let values = read_npy(&dir.join("override.npy"));
            assert!(
                values.dtype() == dtype,
                "{}: override.npy is not {dtype}",
                dir.display()
            );
            values
        }
    };
    let spikes = match read_npy(&dir.join("spikes.npy")) {
        HostValues::Bool(spikes) => spikes,
        _ => panic!("{}: spikes.npy must be bool", dir.display()),
    };
    let voltage_bits = stored_bits(&read_npy(&dir.join("voltage.npy")))
        .unwrap_or_else(|err| panic!("{}: voltage.npy: {err}", dir.display()));
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
    case_folders()
        .iter()
        .map(|folder| load_case(folder))
        .collect()
}

/// Every case folder (a folder holding `case.json`), sorted by name.
pub fn case_folders() -> Vec<PathBuf> {
    let dir = cases_dir();
    let mut folders: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("golden cases at {}: {err}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("case.json").is_file())
        .collect();
    folders.sort();
    folders
}

/// The invalid parameter sets of `errors.json`, if the case set has one.
pub fn load_errors() -> Option<Vec<ErrorCase>> {
    let path = errors_file_of(&cases_dir())?;
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

    /// Whether a step has no elements (a case with no steps).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Step `t`'s values.
    pub fn step(&self, t: usize) -> HostSlice<'_> {
        let size = self.values.dtype().size();
        let bytes = &self.values.as_bytes()[t * self.len() * size..(t + 1) * self.len() * size];
        HostSlice::from_bytes("step values", self.values.dtype(), bytes)
            .expect("a step of whole, aligned values")
    }
}

fn text<E: Display>(err: E) -> String {
    err.to_string()
}

fn run_step<D: KernelDevice>(
    neuron: &mut ExactNeuron<D>,
    mode: Mode,
    values: HostSlice<'_>,
) -> Result<(), String> {
    match mode {
        Mode::Threshold => neuron.forward_dyn(&values),
        Mode::Override => neuron.forward_override_dyn(&values),
    }
    .map_err(text)
}

/// The voltage view in `dtype`, as stored bits.
pub fn voltage_bits<D: KernelDevice>(
    neuron: &mut ExactNeuron<D>,
    dtype: DType,
) -> Result<Vec<u64>, String> {
    stored_bits(&neuron.voltage_dyn(dtype).map_err(text)?)
}

/// Replays `case` on a fresh neuron from `make`, comparing the spikes and
/// the voltage after every step bit for bit.
pub fn replay<D: KernelDevice>(
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
