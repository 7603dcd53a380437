//! The `exact-neuron` binary: the tool itself is the `exact_neuron_cli`
//! library (`lib.rs`).

use std::process::ExitCode;

fn main() -> ExitCode {
    exact_neuron_cli::main()
}
