//! `exact-neuron`: the command-line tool of the exact-neuron crate, as a
//! library that the binary (`main.rs`) calls and the tests import.
//!
//! - `run` replays a sequence of steps from `.npy` files through an
//!   `ExactNeuron` and writes the spikes and voltages (SPEC section 3).
//! - `bench` times each kernel against a plain copy of the same traffic.
//!
//! Exit status: 0 on success; 2 for a bad argument or file, an output that
//! cannot be written, or a device that is not there (one line on stderr,
//! nothing written); 1 for a failure while running or writing (a driver
//! error, a full disk). When the reader of stdout has gone (a closed pipe),
//! the command stops quietly with 0.

mod bench;
mod cli;
mod console;
mod convert;
mod device;
pub mod error;
mod golden;
pub mod npy;
mod output;
mod run;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use error::CliError;

/// Parses the command line, runs the command and gives the exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return cli::report_clap_error(&err),
    };
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Bench(args) => bench::bench(&args),
        Command::Compare(args) => golden::compare_command(&args),
        Command::Golden(args) => golden::golden_command(&args),
    };
    match result {
        Ok(code) => code,
        Err(CliError { status, message }) => {
            if !message.is_empty() {
                console::note(message);
            }
            ExitCode::from(status)
        }
    }
}
