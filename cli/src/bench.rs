//! `exact-neuron bench` (to come).

use crate::cli::BenchArgs;
use crate::error::{CliError, CliResult};

pub fn bench(_args: &BenchArgs) -> CliResult {
    Err(CliError::failed("bench is not implemented yet"))
}
