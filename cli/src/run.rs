//! `exact-neuron run`: replays steps from an `.npy` file through an
//! `ExactNeuron` and writes `spikes.npy` and `voltage.npy`.
//!
//! Everything is checked (parameters, voltage conversions, the file's
//! header, type and shape, the output folder, the device) before any work;
//! the two files are written under temporary names and renamed into place
//! together (see `output.rs`). With zero steps nothing is simulated.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use cudarc::driver::{CudaStream, CudaView};
use exact_neuron::half::{bf16, f16};
use exact_neuron::{CpuNeuron, CudaNeuron, DType, Element, NeuronParams, VoltageElement};

use crate::cli::RunArgs;
use crate::convert::{f64_to_bf16, f64_to_f16};
use crate::device::{self, Backend};
use crate::error::{CliError, CliResult};
use crate::npy::{self, Data, Kind, ShapeText};
use crate::output::Outputs;

/// Whether inputs or override values drive the steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Threshold,
    Override,
}

/// All steps' values, in the type they are run in.
enum Values {
    Bool(Vec<bool>),
    U8(Vec<u8>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// What `run` replays.
struct Job {
    mode: Mode,
    values: Values,
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
    // Made before any work: an unwritable --out is found now (status 2).
    let label = format!("--out={}", args.out.display());
    let mut outputs = Outputs::in_folder(&label, &args.out, &["spikes.npy", "voltage.npy"])?;
    let backend = device::choose(args.device)?;
    let mut shape = vec![job.steps as u64];
    shape.extend(params_batched_shape(&params));
    match voltage_dtype {
        DType::F32 => finish::<f32, f32>(&backend, &params, &job, &shape, &mut outputs, |v| v),
        DType::F64 => finish::<f64, f64>(&backend, &params, &job, &shape, &mut outputs, |v| v),
        DType::F16 => finish::<f16, f16>(&backend, &params, &job, &shape, &mut outputs, |v| v),
        DType::BF16 => {
            finish::<bf16, f32>(&backend, &params, &job, &shape, &mut outputs, f32::from)
        }
        other => return Err(CliError::bad(format!("no voltage view in {other}"))),
    }?;
    outputs.commit()?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the steps with voltages in `V` and writes both outputs, the
/// voltage as `W` (`widen` converts: bf16 has no `.npy` type).
fn finish<V: VoltageElement, W: npy::Element>(
    backend: &Backend,
    params: &NeuronParams,
    job: &Job,
    shape: &[u64],
    outputs: &mut Outputs,
    widen: impl Fn(V) -> W,
) -> Result<(), CliError> {
    let (spikes, voltage) = simulate::<V>(backend, params, job)
        .map_err(|err| CliError::failed(format!("{} backend: {err}", backend.name())))?;
    outputs.write(0, |out| {
        npy::write(out, shape, spikes.into_iter().map(|byte| byte != 0))
    })?;
    outputs.write(1, |out| {
        npy::write(out, shape, voltage.into_iter().map(widen))
    })
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
    fn check<T: VoltageElement>(params: &NeuronParams) -> exact_neuron::Result<()> {
        params.voltages::<T>().map(|_| ())
    }
    match dtype {
        DType::F32 => check::<f32>(params),
        DType::F64 => check::<f64>(params),
        DType::F16 => check::<f16>(params),
        DType::BF16 => check::<bf16>(params),
        _ => Ok(()),
    }
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
            if !matches!(kind, Some(Kind::F16 | Kind::F32 | Kind::F64)) {
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
        Mode::Override => match data {
            Data::Bool(v) => Values::Bool(v),
            Data::U8(v) => Values::U8(v),
            Data::F16(v) => Values::F16(v),
            Data::F32(v) => Values::F32(v),
            Data::F64(v) => Values::F64(v),
        },
        Mode::Threshold => {
            let target = args.input_dtype.map(|dtype| dtype.dtype());
            convert_inputs(data, target)
        }
    };
    Ok(Job {
        mode,
        values,
        steps,
    })
}

/// Float file data in `target` (default: the file's own type), rounded to
/// nearest even where it narrows.
fn convert_inputs(data: Data, target: Option<DType>) -> Values {
    match (data, target) {
        (Data::F32(v), None | Some(DType::F32)) => Values::F32(v),
        (Data::F64(v), None | Some(DType::F64)) => Values::F64(v),
        (Data::F16(v), None | Some(DType::F16)) => Values::F16(v),
        (Data::F32(v), Some(DType::F64)) => Values::F64(v.into_iter().map(f64::from).collect()),
        (Data::F32(v), Some(DType::F16)) => Values::F16(v.into_iter().map(f16::from_f32).collect()),
        (Data::F32(v), Some(DType::BF16)) => {
            Values::BF16(v.into_iter().map(bf16::from_f32).collect())
        }
        (Data::F64(v), Some(DType::F32)) => Values::F32(v.into_iter().map(|x| x as f32).collect()),
        (Data::F64(v), Some(DType::F16)) => Values::F16(v.into_iter().map(f64_to_f16).collect()),
        (Data::F64(v), Some(DType::BF16)) => Values::BF16(v.into_iter().map(f64_to_bf16).collect()),
        (Data::F16(v), Some(DType::F32)) => Values::F32(v.into_iter().map(f32::from).collect()),
        (Data::F16(v), Some(DType::F64)) => Values::F64(v.into_iter().map(f64::from).collect()),
        (Data::F16(v), Some(DType::BF16)) => Values::BF16(
            v.into_iter()
                .map(|x| bf16::from_f32(f32::from(x)))
                .collect(),
        ),
        // load_job lets only float files and float targets through
        (Data::Bool(v), _) => Values::Bool(v),
        (Data::U8(v), _) => Values::U8(v),
        (Data::F32(v), Some(_)) => Values::F32(v),
        (Data::F64(v), Some(_)) => Values::F64(v),
        (Data::F16(v), Some(_)) => Values::F16(v),
    }
}

/// Runs every step on `backend`; returns the spikes (one byte per element)
/// and the voltage after each step, in `V`.
fn simulate<V: VoltageElement>(
    backend: &Backend,
    params: &NeuronParams,
    job: &Job,
) -> exact_neuron::Result<(Vec<u8>, Vec<V>)> {
    if job.steps == 0 {
        // Nothing to simulate: no neuron (whose state is as large as the
        // shape) is made, and nothing is allocated.
        return Ok((Vec::new(), Vec::new()));
    }
    macro_rules! go {
        ($values:expr, $t:ty, $method:ident) => {
            match backend {
                Backend::Cpu => on_cpu::<$t, V>(params, $values, job.steps, |neuron, x| {
                    neuron.$method::<$t>(x).map(|_| ())
                }),
                Backend::Cuda(stream) => {
                    on_cuda::<$t, V>(stream, params, $values, job.steps, |neuron, x| {
                        neuron.$method::<$t>(x).map(|_| ())
                    })
                }
            }
        };
    }
    match (job.mode, &job.values) {
        (Mode::Threshold, Values::F32(v)) => go!(v, f32, forward),
        (Mode::Threshold, Values::F64(v)) => go!(v, f64, forward),
        (Mode::Threshold, Values::F16(v)) => go!(v, f16, forward),
        (Mode::Threshold, Values::BF16(v)) => go!(v, bf16, forward),
        (Mode::Override, Values::Bool(v)) => go!(v, bool, forward_override),
        (Mode::Override, Values::U8(v)) => go!(v, u8, forward_override),
        (Mode::Override, Values::F32(v)) => go!(v, f32, forward_override),
        (Mode::Override, Values::F64(v)) => go!(v, f64, forward_override),
        (Mode::Override, Values::F16(v)) => go!(v, f16, forward_override),
        (Mode::Override, Values::BF16(v)) => go!(v, bf16, forward_override),
        (Mode::Threshold, Values::Bool(_) | Values::U8(_)) => Err(
            exact_neuron::Error::InvalidArgument("threshold inputs must be floats".into()),
        ),
    }
}

fn on_cpu<T: Element, V: VoltageElement>(
    params: &NeuronParams,
    values: &[T],
    steps: usize,
    step: impl Fn(&mut CpuNeuron, &[T]) -> exact_neuron::Result<()>,
) -> exact_neuron::Result<(Vec<u8>, Vec<V>)> {
    let mut neuron = CpuNeuron::cpu(params)?;
    let n = neuron.len();
    let mut spikes = vec![0u8; steps * n];
    let mut voltage = Vec::with_capacity(steps * n);
    for (t, spikes) in spikes.chunks_exact_mut(n).enumerate() {
        step(&mut neuron, &values[t * n..(t + 1) * n])?;
        neuron.read_spike_bytes(spikes)?;
        voltage.extend_from_slice(neuron.voltage::<V>()?);
    }
    Ok((spikes, voltage))
}

fn on_cuda<T: Element, V: VoltageElement>(
    stream: &Arc<CudaStream>,
    params: &NeuronParams,
    values: &[T],
    steps: usize,
    step: impl Fn(&mut CudaNeuron, &CudaView<'_, T>) -> exact_neuron::Result<()>,
) -> exact_neuron::Result<(Vec<u8>, Vec<V>)> {
    let mut neuron = CudaNeuron::cuda(stream.clone(), params)?;
    let n = neuron.len();
    let total = steps * n;
    if total == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let inputs = stream.clone_htod(values)?;
    let mut spikes = stream.alloc_zeros::<u8>(total)?;
    let mut voltage = stream.alloc_zeros::<V>(total)?;
    for t in 0..steps {
        let range = t * n..(t + 1) * n;
        step(&mut neuron, &inputs.slice(range.clone()))?;
        stream.memcpy_dtod(neuron.spike(), &mut spikes.slice_mut(range.clone()))?;
        let view = neuron.voltage::<V>()?;
        stream.memcpy_dtod(view, &mut voltage.slice_mut(range))?;
    }
    let spikes = stream.clone_dtoh(&spikes)?;
    let voltage = stream.clone_dtoh(&voltage)?;
    stream.synchronize()?;
    Ok((spikes, voltage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_to_nearest_even() {
        let Values::BF16(v) =
            convert_inputs(Data::F32(vec![1.0 + 2f32.powi(-8)]), Some(DType::BF16))
        else {
            panic!("not bf16");
        };
        assert_eq!(v, vec![bf16::ONE]);
        let Values::F16(v) = convert_inputs(
            Data::F64(vec![1.0 + 2f64.powi(-11) + 2f64.powi(-40)]),
            Some(DType::F16),
        ) else {
            panic!("not f16");
        };
        assert_eq!(v[0].to_bits(), 0x3C01);
        let Values::F32(v) = convert_inputs(
            Data::F16(vec![f16::MIN_POSITIVE_SUBNORMAL]),
            Some(DType::F32),
        ) else {
            panic!("not f32");
        };
        assert_eq!(v, vec![2f32.powi(-24)]);
        assert!(matches!(
            convert_inputs(Data::F16(vec![f16::ONE]), None),
            Values::F16(_)
        ));
    }
}
