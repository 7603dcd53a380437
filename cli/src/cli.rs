//! The command line: subcommands, flags, and how clap's own errors become
//! one line and exit status 2.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand, ValueEnum};
use exact_neuron::DType;

use crate::console;
use crate::error::{BAD_INPUT, FAILED};

/// ExactNeuron (from the inferno spiking-network library) on CUDA or the CPU.
#[derive(Debug, Parser)]
#[command(name = "exact-neuron", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a sequence of steps from an .npy file and write the spikes and
    /// voltages as .npy files.
    #[command(after_help = RUN_EXAMPLE)]
    Run(RunArgs),
    /// Time every kernel against a plain copy of the same number of bytes.
    Bench(BenchArgs),
    /// Compare two .npy files bit for bit (exit 0 when the same, 1 when not).
    #[command(hide = true)]
    Compare(CompareArgs),
    /// Replay every golden case through `run` and compare bit for bit.
    #[command(hide = true)]
    Golden(GoldenArgs),
}

const RUN_EXAMPLE: &str = "\
Example:
  exact-neuron run --shape=3,4 --batch-size=2 --step-time=1.0 --rest-v=-60 --thresh-v=-50 \\
      --inputs=X.npy --input-dtype=f16 --voltage-dtype=f32 --out=result
  X.npy has shape (T, 2, 3, 4); result/spikes.npy is bool (T, 2, 3, 4) and
  result/voltage.npy holds the voltage after each step.";

/// Where the kernels run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DeviceChoice {
    /// CUDA when a driver and a GPU are present, else the CPU.
    Auto,
    /// The CPU.
    Cpu,
    /// CUDA device 0 (an error when there is none).
    Cuda,
}

/// A floating-point element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FloatDType {
    F32,
    F64,
    F16,
    Bf16,
}

impl FloatDType {
    pub fn dtype(self) -> DType {
        match self {
            FloatDType::F32 => DType::F32,
            FloatDType::F64 => DType::F64,
            FloatDType::F16 => DType::F16,
            FloatDType::Bf16 => DType::BF16,
        }
    }
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("steps").required(true).args(["inputs", "override_file"])))]
pub struct RunArgs {
    /// Shape of the neuron group, comma-separated; empty for a single (0-d) neuron.
    #[arg(long, value_name = "DIMS", value_parser = parse_shape, allow_hyphen_values = true)]
    pub shape: Shape,
    /// Number of samples simulated at once.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        allow_hyphen_values = true
    )]
    pub batch_size: i64,
    /// Length of a simulation step, in ms.
    #[arg(long, value_name = "MS", allow_hyphen_values = true)]
    pub step_time: f64,
    /// Membrane voltage at rest, in mV.
    #[arg(long, value_name = "MV", allow_hyphen_values = true)]
    pub rest_v: f64,
    /// Membrane voltage at threshold, in mV.
    #[arg(long, value_name = "MV", allow_hyphen_values = true)]
    pub thresh_v: f64,
    /// Threshold-mode inputs: shape (T, batch_size, *shape), any float dtype.
    #[arg(long, value_name = "X.npy")]
    pub inputs: Option<PathBuf>,
    /// Converts the inputs to this type on load (round to nearest even);
    /// default: the file's own type. bf16 inputs come as f32 files.
    #[arg(long, value_name = "DTYPE", conflicts_with = "override_file")]
    pub input_dtype: Option<FloatDType>,
    /// Override steps instead of inputs: shape (T, ...) with batch_size *
    /// prod(shape) values per step; bool, u8, f16, f32 or f64.
    #[arg(long = "override", id = "override_file", value_name = "O.npy")]
    pub override_file: Option<PathBuf>,
    /// Element type of voltage.npy (bf16 is written widened to f32, exactly).
    #[arg(long, value_name = "DTYPE", default_value = "f32")]
    pub voltage_dtype: FloatDType,
    /// Where the kernels run.
    #[arg(long, value_name = "DEVICE", default_value = "auto")]
    pub device: DeviceChoice,
    /// Folder to write spikes.npy and voltage.npy into (created if absent).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Steps per launch: N (at least 1) or `all`. With N > 1 the T steps run
    /// in ceil(T/N) multi-step launches, each writing its spike and voltage
    /// traces in one launch (the fused multi-step kernels).
    #[arg(long, value_name = "N|all", default_value = "1", value_parser = parse_steps_per_launch)]
    pub steps_per_launch: StepsPerLaunch,
    /// How the spikes are written: `bytes` (DIR/spikes.npy, bool) or `bits`
    /// (DIR/spikes_bits.npy instead: uint32, shape (T, batch_size,
    /// ceil(count/32)), bit j of word w of a row = neuron 32w + j, padding
    /// bits 0).
    #[arg(long, value_name = "FORMAT", default_value = "bytes")]
    pub spikes_out: SpikesOut,
    /// The voltage comes from the fused step (one launch writes the spikes
    /// and the voltage view) rather than a second launch. Multi-step
    /// launches are always fused.
    #[arg(long)]
    pub fused: bool,
}

/// How many steps one launch runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepsPerLaunch {
    /// At most this many (at least 1).
    Count(usize),
    /// Every step of the file in one launch.
    All,
}

fn parse_steps_per_launch(text: &str) -> Result<StepsPerLaunch, String> {
    let text = text.trim();
    if text == "all" {
        return Ok(StepsPerLaunch::All);
    }
    match text.parse::<usize>() {
        Ok(0) => Err("'0' steps per launch: give at least 1, or 'all'".into()),
        Ok(n) => Ok(StepsPerLaunch::Count(n)),
        Err(_) => Err(format!(
            "'{text}' is not a number of steps per launch (give N >= 1 or 'all')"
        )),
    }
}

/// The spike output's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SpikesOut {
    /// spikes.npy: bool, one byte per neuron.
    Bytes,
    /// spikes_bits.npy: uint32 words, 32 neurons a word.
    Bits,
}

/// Dimensions as given, before the library checks that they are positive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape(pub Vec<i64>);

fn parse_shape(text: &str) -> Result<Shape, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Shape(Vec::new()));
    }
    text.split(',')
        .map(|dim| {
            let dim = dim.trim();
            dim.parse::<i64>()
                .map_err(|_| format!("'{dim}' is not an integer dimension"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Shape)
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Where the kernels run (auto falls back to the CPU and says so).
    #[arg(long, value_name = "DEVICE", default_value = "auto")]
    pub device: DeviceChoice,
    /// Element counts, comma-separated: integers or powers such as 2^20.
    /// Default: 2^10, 2^12, ... up to 2^30 on a GPU and 2^24 on the CPU
    /// (fewer where memory is short).
    #[arg(long, value_name = "LIST", value_parser = parse_sizes)]
    pub sizes: Option<Sizes>,
    /// Timed repetitions per measurement (after warm-up); the median is
    /// reported.
    #[arg(long, value_name = "N", default_value_t = 21,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub reps: u32,
    /// Also write the results to FILE as JSON, one record per row.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also time each operation from replays of 100 calls captured into one
    /// CUDA graph, a row of its own (per call = replay time / 100). CUDA
    /// only; on the CPU it is an error, status 2.
    #[arg(long)]
    pub graph: bool,
}

/// Element counts for the bench.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sizes(pub Vec<u64>);

pub fn parse_sizes(text: &str) -> Result<Sizes, String> {
    let sizes = text
        .split(',')
        .map(|item| {
            let item = item.trim();
            let value = match item.split_once('^') {
                Some((base, exp)) => {
                    let base: u64 = base.trim().parse().map_err(|_| bad_size(item))?;
                    let exp: u32 = exp.trim().parse().map_err(|_| bad_size(item))?;
                    base.checked_pow(exp).ok_or_else(|| bad_size(item))?
                }
                None => item.parse::<u64>().map_err(|_| bad_size(item))?,
            };
            if value == 0 {
                return Err(format!("size '{item}' must be at least 1"));
            }
            Ok(value)
        })
        .collect::<Result<Vec<u64>, String>>()?;
    if sizes.is_empty() {
        return Err("no sizes given".into());
    }
    Ok(Sizes(sizes))
}

fn bad_size(item: &str) -> String {
    format!("'{item}' is not an element count (write e.g. 65536 or 2^16)")
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The file produced.
    pub actual: PathBuf,
    /// The file expected.
    pub expected: PathBuf,
}

#[derive(Debug, Args)]
pub struct GoldenArgs {
    /// Folder of golden cases (caseNNN/ folders holding case.json), or the
    /// folder holding it; default: EXACT_NEURON_GOLDEN, else golden/cases
    /// (the bundle) or tests/golden/cases (a checkout) above the executable.
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// Where `run` runs the kernels.
    #[arg(long, value_name = "DEVICE", default_value = "auto")]
    pub device: DeviceChoice,
}

/// Prints help and version as clap does (status 0); any other clap error
/// becomes one line on stderr and status 2.
pub fn report_clap_error(err: &clap::Error) -> ExitCode {
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // as for every command's stdout: a closed pipe is a quiet end,
            // another failed write status 1 with one line
            let printed = err.print().and_then(|()| std::io::stdout().flush());
            match printed {
                Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
                    console::note(format!("cannot write to stdout: {err}"));
                    ExitCode::from(FAILED)
                }
                _ => ExitCode::SUCCESS,
            }
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            console::note("a subcommand is needed: run or bench (see exact-neuron --help)");
            ExitCode::from(BAD_INPUT)
        }
        _ => {
            console::note(clap_error_line(err));
            ExitCode::from(BAD_INPUT)
        }
    }
}

/// clap's message without its usage block, on one line.
pub fn clap_error_line(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    let mut parts = Vec::new();
    for line in rendered.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("For more information") {
            continue;
        }
        if line.starts_with("Usage:") {
            break;
        }
        parts.push(line.strip_prefix("error: ").unwrap_or(line).to_owned());
    }
    let mut line = parts.join(" ");
    if line.is_empty() {
        line = err.kind().to_string();
    }
    let help = match std::env::args().nth(1).as_deref() {
        Some(sub @ ("run" | "bench")) => format!("exact-neuron {sub} --help"),
        _ => "exact-neuron --help".to_owned(),
    };
    format!("{line} (see {help})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_parse() {
        assert_eq!(parse_shape("").unwrap(), Shape(vec![]));
        assert_eq!(parse_shape("3, 4").unwrap(), Shape(vec![3, 4]));
        assert_eq!(parse_shape("0,-2").unwrap(), Shape(vec![0, -2]));
        assert!(parse_shape("3,x").is_err());
        assert!(parse_shape("3,").is_err());
    }

    #[test]
    fn steps_per_launch_parse() {
        assert_eq!(parse_steps_per_launch("all"), Ok(StepsPerLaunch::All));
        assert_eq!(parse_steps_per_launch("3"), Ok(StepsPerLaunch::Count(3)));
        assert!(parse_steps_per_launch("0").is_err());
        assert!(parse_steps_per_launch("-1").is_err());
        assert!(parse_steps_per_launch("x").is_err());
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_sizes("1024,65536").unwrap(), Sizes(vec![1024, 65536]));
        assert_eq!(
            parse_sizes("2^20, 2^24,5").unwrap(),
            Sizes(vec![1 << 20, 1 << 24, 5])
        );
        assert!(parse_sizes("0").is_err());
        assert!(parse_sizes("2^x").is_err());
        assert!(parse_sizes("2^64").is_err());
        assert!(parse_sizes("").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
