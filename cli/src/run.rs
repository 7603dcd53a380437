//! `exact-neuron run`: replays steps from an `.npy` file through an
//! `ExactNeuron` and writes `spikes.npy` (or `spikes_bits.npy`) and
//! `voltage.npy`, in one-step or multi-step launches.
//!
//! Everything is checked (parameters, voltage conversions, the file's
//! header, type and shape, the output folder, the device) before any work;
//! the two files are written under temporary names and renamed into place
//! together (see `output.rs`). With zero steps nothing is simulated.

use std::path::Path;
use std::process::ExitCode;

use exact_neuron::launch::words_per_row;
use exact_neuron::{
    DType, HostSlice, HostValues, NeuronParams, SpikeFormat, SpikeRule, SpikeTrace,
};

use crate::cli::{RunArgs, SpikesOut, StepsPerLaunch};
use crate::convert::{f64_to_bf16, f64_to_f16};
use crate::device::{self, Backend};
use crate::error::{CliError, CliResult};
use crate::npy::{self, ShapeText};
use crate::output::Outputs;

/// Whether inputs or override values drive the steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Threshold,
    Override,
}

/// What `run` replays.
struct Job {
    mode: Mode,
    /// All steps' values, in the type they are run in.
    values: HostValues,
    steps: usize,
}

pub fn run(args: &RunArgs) -> CliResult {
    let params = params(args)?;
    let batched = params
        .validate()
        .map_err(|err| CliError::bad(err.to_string()))?;
    let n = batched.len();
    let voltage_dtype = args.voltage_dtype.dtype();
    check_voltage_parameters(voltage_dtype, &params)?;
    check_out_dir(&args.out)?;
    let job = load_job(args, &params, n)?;
    let plan = Plan {
        steps_per_launch: match args.steps_per_launch {
            StepsPerLaunch::Count(count) => count,
            StepsPerLaunch::All => job.steps.max(1),
        },
        format: match args.spikes_out {
            SpikesOut::Bytes => SpikeFormat::Bytes,
            SpikesOut::Bits => SpikeFormat::Bits,
        },
        fused: args.fused,
        voltage: voltage_dtype,
    };
    let spikes_name = match plan.format {
        SpikeFormat::Bytes => "spikes.npy",
        SpikeFormat::Bits => "spikes_bits.npy",
    };
    // Made before any work: an unwritable --out is found now (status 2).
    let label = format!("--out={}", args.out.display());
    let mut outputs = Outputs::in_folder(&label, &args.out, &[spikes_name, "voltage.npy"])?;
    let backend = device::choose(args.device)?;
    let mut shape = vec![job.steps as u64];
    shape.extend(params_batched_shape(&params));
    let (spikes, voltage) = simulate(&backend, &params, &job, &plan)
        .map_err(|err| CliError::failed(format!("{} backend: {err}", backend.name())))?;
    match spikes {
        SpikeTrace::Bytes(bytes) => outputs.write(0, |out| {
            npy::write(out, &shape, bytes.into_iter().map(|byte| byte != 0))
        })?,
        SpikeTrace::Bits(words) => {
            let words_shape = [
                job.steps as u64,
                params.batch_size as u64,
                words_per_row(n / params.batch_size) as u64,
            ];
            outputs.write(0, |out| npy::write(out, &words_shape, words))?
        }
    }
    outputs.write(1, |out| npy::write_values(out, &shape, &voltage))?;
    outputs.commit()?;
    Ok(ExitCode::SUCCESS)
}

/// How `run` launches the steps; every plan gives the same bits.
struct Plan {
    /// At least 1; above 1 each launch is a multi-step one.
    steps_per_launch: usize,
    format: SpikeFormat,
    /// One-step launches: the voltage from the fused step.
    fused: bool,
    voltage: DType,
}

fn params_batched_shape(params: &NeuronParams) -> Vec<u64> {
    std::iter::once(params.batch_size as u64)
        .chain(params.shape.iter().map(|&dim| dim as u64))
        .collect()
}

/// The parameters, with inferno's text for a non-positive dimension or
/// batch size (the library takes unsigned sizes, so negative ones are
/// caught here, in the library's order and words).
fn params(args: &RunArgs) -> Result<NeuronParams, CliError> {
    let mut shape = Vec::with_capacity(args.shape.0.len());
    for (index, &dim) in args.shape.0.iter().enumerate() {
        if dim <= 0 {
            return Err(CliError::bad(format!(
                "'shape[{index}]' of {dim} must be positive"
            )));
        }
        shape.push(usize::try_from(dim).map_err(|_| CliError::bad("dimension too large"))?);
    }
    if args.batch_size <= 0 {
        return Err(CliError::bad(format!(
            "'batch_size' of {} must be positive",
            args.batch_size
        )));
    }
    let batch_size =
        usize::try_from(args.batch_size).map_err(|_| CliError::bad("batch size too large"))?;
    Ok(
        NeuronParams::new(shape, args.step_time, args.rest_v, args.thresh_v)
            .with_batch_size(batch_size),
    )
}

/// A voltage parameter that does not fit the voltage type is an error of
/// the arguments, found before any work.
fn check_voltage_parameters(dtype: DType, params: &NeuronParams) -> Result<(), CliError> {
    params
        .check_voltages(dtype)
        .map_err(|err| CliError::bad(err.to_string()))
}

fn check_out_dir(out: &Path) -> Result<(), CliError> {
    if out.as_os_str().is_empty() {
        return Err(CliError::bad("--out: the folder name is empty"));
    }
    if out.exists() && !out.is_dir() {
        return Err(CliError::bad(format!(
            "--out={}: exists and is not a folder",
            out.display()
        )));
    }
    Ok(())
}

/// Reads `--inputs` or `--override`, checks its type and shape, and
/// converts it to the type it runs in.
fn load_job(args: &RunArgs, params: &NeuronParams, n: usize) -> Result<Job, CliError> {
    let (mode, path, shown) = match (&args.inputs, &args.override_file) {
        (Some(path), None) => (
            Mode::Threshold,
            path,
            format!("--inputs={}", path.display()),
        ),
        (None, Some(path)) => (
            Mode::Override,
            path,
            format!("--override={}", path.display()),
        ),
        _ => return Err(CliError::bad("give exactly one of --inputs and --override")),
    };
    let reader = npy::open(path, &shown)?;
    let file_shape = reader.header.shape.clone();
    let kind = reader.header.kind;
    let steps = match mode {
        Mode::Threshold => {
            if !matches!(kind, Some(DType::F16 | DType::F32 | DType::F64)) {
                return Err(CliError::bad(format!(
                    "{shown}: dtype '{}' is not a float type; --inputs takes float16, float32 or float64",
                    reader.header.descr
                )));
            }
            let expected = params_batched_shape(params);
            if file_shape.len() != expected.len() + 1 || file_shape[1..] != expected[..] {
                // the shape was checked for overflow when read
                let per_step = npy::product(file_shape.get(1..).unwrap_or_default()).unwrap_or(0);
                let count = if file_shape.is_empty() || per_step != n as u64 {
                    format!(
                        " ({} values per step, expected {n})",
                        if file_shape.is_empty() { 0 } else { per_step }
                    )
                } else {
                    String::new()
                };
                return Err(CliError::bad(format!(
                    "{shown}: shape {} does not match (T, batch_size, *shape) = (T, {}){count}",
                    ShapeText(&file_shape),
                    expected
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            file_shape[0]
        }
        Mode::Override => {
            if kind.is_none() {
                return Err(CliError::bad(format!(
                    "{shown}: dtype '{}' is not supported; --override takes bool, uint8, float16, float32 or float64",
                    reader.header.descr
                )));
            }
            let Some((&steps, rest)) = file_shape.split_first() else {
                return Err(CliError::bad(format!(
                    "{shown}: a 0-d array; --override needs shape (T, ...) with {n} values per step"
                )));
            };
            let per_step = npy::product(rest).unwrap_or(0);
            if per_step != n as u64 {
                return Err(CliError::bad(format!(
                    "{shown}: shape {} has {per_step} values per step, expected {n} (batch_size {} x shape {})",
                    ShapeText(&file_shape),
                    params.batch_size,
                    ShapeText(&params.shape)
                )));
            }
            steps
        }
    };
    let steps =
        usize::try_from(steps).map_err(|_| CliError::bad(format!("{shown}: too many steps")))?;
    let data = reader.read_array()?;
    let values = match mode {
        Mode::Override => data,
        Mode::Threshold => convert_inputs(data, args.input_dtype.map(|dtype| dtype.dtype())),
    };
    Ok(Job {
        mode,
        values,
        steps,
    })
}

/// Float file data in `target` (default: the file's own type), rounded to
/// nearest even where it narrows: every float widens to f64 exactly, and
/// the one rounding from there is correct (see `convert.rs`).
fn convert_inputs(data: HostValues, target: Option<DType>) -> HostValues {
    let Some(target) = target.filter(|&target| target != data.dtype()) else {
        return data;
    };
    let converted = {
        let wide: Box<dyn Iterator<Item = f64> + '_> = match &data {
            HostValues::F16(v) => Box::new(v.iter().map(|x| x.to_f64())),
            HostValues::BF16(v) => Box::new(v.iter().map(|x| x.to_f64())),
            HostValues::F32(v) => Box::new(v.iter().map(|&x| f64::from(x))),
            HostValues::F64(v) => Box::new(v.iter().copied()),
            // load_job lets only float files through
            HostValues::Bool(_) | HostValues::U8(_) => Box::new(std::iter::empty()),
        };
        match target {
            DType::F16 => Some(HostValues::F16(wide.map(f64_to_f16).collect())),
            DType::BF16 => Some(HostValues::BF16(wide.map(f64_to_bf16).collect())),
            DType::F32 => Some(HostValues::F32(wide.map(|x| x as f32).collect())),
            DType::F64 => Some(HostValues::F64(wide.collect())),
            // --input-dtype names float types only
            DType::Bool | DType::U8 => None,
        }
    };
    match data {
        HostValues::Bool(_) | HostValues::U8(_) => data,
        _ => converted.unwrap_or(data),
    }
}

/// Runs every step on `backend` as `plan` says; returns the spike trace
/// (bytes or words, step-major) and the voltage after each step.
fn simulate(
    backend: &Backend,
    params: &NeuronParams,
    job: &Job,
    plan: &Plan,
) -> exact_neuron::Result<(SpikeTrace, HostValues)> {
    if job.steps == 0 {
        // Nothing to simulate: no neuron (whose state is as large as the
        // shape) is made, and nothing is allocated.
        let spikes = match plan.format {
            SpikeFormat::Bytes => SpikeTrace::Bytes(Vec::new()),
            SpikeFormat::Bits => SpikeTrace::Bits(Vec::new()),
        };
        return Ok((spikes, HostValues::zeroed(plan.voltage, 0)?));
    }
    let mut neuron = backend.neuron(params)?;
    let n = neuron.len();
    let rule = match job.mode {
        Mode::Threshold => SpikeRule::Threshold,
        Mode::Override => SpikeRule::Override,
    };
    let dtype = job.values.dtype();
    let step_bytes = n * dtype.size();
    let mut bytes = Vec::new();
    let mut words = Vec::new();
    let mut voltage = Vec::with_capacity(job.steps * n * plan.voltage.size());
    let mut first = 0;
    while first < job.steps {
        let steps = plan.steps_per_launch.min(job.steps - first);
        let chunk = &job.values.as_bytes()[first * step_bytes..(first + steps) * step_bytes];
        let values = HostSlice::from_bytes("step values", dtype, chunk)?;
        if steps > 1 {
            let trace = neuron.forward_steps(rule, values, plan.format, Some(plan.voltage))?;
            match trace.spikes {
                SpikeTrace::Bytes(b) => bytes.extend_from_slice(&b),
                SpikeTrace::Bits(w) => words.extend_from_slice(&w),
            }
            if let Some(v) = trace.voltage {
                voltage.extend_from_slice(v.as_bytes());
            }
        } else {
            if plan.fused {
                neuron.forward_with_voltage(rule, values, plan.voltage)?;
            } else if plan.format == SpikeFormat::Bits {
                words.extend(neuron.forward_bits(rule, values)?);
            } else {
                match rule {
                    SpikeRule::Threshold => neuron.forward(values)?,
                    SpikeRule::Override => neuron.forward_override(values)?,
                }
            }
            match plan.format {
                SpikeFormat::Bytes => {
                    let at = bytes.len();
                    bytes.resize(at + n, 0);
                    neuron.read_spike_bytes(&mut bytes[at..])?;
                }
                SpikeFormat::Bits if plan.fused => words.extend(neuron.spike_bits()?),
                // forward_bits gave them above
                SpikeFormat::Bits => {}
            }
            voltage.extend_from_slice(neuron.voltage(plan.voltage)?.as_bytes());
        }
        first += steps;
    }
    let spikes = match plan.format {
        SpikeFormat::Bytes => SpikeTrace::Bytes(bytes),
        SpikeFormat::Bits => SpikeTrace::Bits(words),
    };
    Ok((
        spikes,
        HostValues::from_bytes("voltage", plan.voltage, &voltage)?,
    ))
}

#[cfg(test)]
mod tests {
    use exact_neuron::half::{bf16, f16};

    use super::*;

    #[test]
    fn conversions_round_to_nearest_even() {
        let HostValues::BF16(v) = convert_inputs(
            HostValues::F32(vec![1.0 + 2f32.powi(-8)]),
            Some(DType::BF16),
        ) else {
            panic!("not bf16");
        };
        assert_eq!(v, vec![bf16::ONE]);
        let HostValues::F16(v) = convert_inputs(
            HostValues::F64(vec![1.0 + 2f64.powi(-11) + 2f64.powi(-40)]),
            Some(DType::F16),
        ) else {
            panic!("not f16");
        };
        assert_eq!(v[0].to_bits(), 0x3C01);
        let HostValues::F32(v) = convert_inputs(
            HostValues::F16(vec![f16::MIN_POSITIVE_SUBNORMAL]),
            Some(DType::F32),
        ) else {
            panic!("not f32");
        };
        assert_eq!(v, vec![2f32.powi(-24)]);
        assert!(matches!(
            convert_inputs(HostValues::F16(vec![f16::ONE]), None),
            HostValues::F16(_)
        ));
    }
}
