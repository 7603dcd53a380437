//! Choosing the backend: `--device=auto|cpu|cuda`.

use std::sync::Arc;

use exact_neuron::cudarc::driver::CudaStream;
use exact_neuron::{cuda, AnyNeuron, NeuronParams};

use crate::cli::DeviceChoice;
use crate::console;
use crate::error::CliError;

/// Where the kernels run.
pub enum Backend {
    Cpu,
    Cuda(Arc<CudaStream>),
}

impl Backend {
    /// `cpu` or `cuda`.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Cuda(_) => "cuda",
        }
    }

    /// A neuron with `params` on this backend.
    pub fn neuron(&self, params: &NeuronParams) -> exact_neuron::Result<AnyNeuron> {
        match self {
            Backend::Cpu => AnyNeuron::cpu(params),
            Backend::Cuda(stream) => AnyNeuron::cuda(stream.clone(), params),
        }
    }

    /// The processor's or the GPU's model name.
    pub fn device_name(&self) -> String {
        match self {
            Backend::Cpu => cpu_model(),
            Backend::Cuda(stream) => stream
                .context()
                .name()
                .unwrap_or_else(|_| "CUDA device 0".into()),
        }
    }
}

/// CUDA device 0's default stream, or why there is none.
fn cuda_stream() -> Result<Arc<CudaStream>, exact_neuron::Error> {
    cuda::probe()?;
    cuda::default_stream(0)
}

/// The backend for `choice`. `cuda` without a usable GPU is a bad-input
/// error (status 2); `auto` says on stderr which backend it took.
pub fn choose(choice: DeviceChoice) -> Result<Backend, CliError> {
    match choice {
        DeviceChoice::Cpu => Ok(Backend::Cpu),
        DeviceChoice::Cuda => cuda_stream()
            .map(Backend::Cuda)
            .map_err(|err| CliError::bad(format!("--device=cuda: {err}"))),
        DeviceChoice::Auto => match cuda_stream() {
            Ok(stream) => {
                let backend = Backend::Cuda(stream);
                console::note(format!(
                    "--device=auto: using CUDA ({})",
                    backend.device_name()
                ));
                Ok(backend)
            }
            Err(err) => {
                console::note(format!("--device=auto: using the CPU ({err})"));
                Ok(Backend::Cpu)
            }
        },
    }
}

/// The CPU's model name from /proc/cpuinfo, or the architecture.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, name)| name.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned())
}
