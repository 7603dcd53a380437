//! Writing to stdout and stderr without panicking.
//!
//! `println!` panics when stdout cannot be written (a full disk, a closed
//! pipe). Here a failed write to stdout becomes an error of status 1 with
//! one line, and a closed pipe (the reader is gone, as in `| head -1`)
//! ends the command quietly with status 0: nobody is left to read the rest.
//! Notes on stderr are best effort: when stderr itself cannot be written,
//! there is nowhere left to report it.

use std::fmt::Display;
use std::io::{self, Write};

use crate::error::CliError;

/// Writes `text` to stdout and flushes it.
pub fn print(text: &str) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|err| match err.kind() {
            io::ErrorKind::BrokenPipe => CliError::quiet(),
            _ => CliError::failed(format!("cannot write to stdout: {err}")),
        })
}

/// Writes `exact-neuron: {text}` as one line on stderr (control characters
/// escaped), ignoring a failure.
pub fn note(text: impl Display) {
    let line = crate::error::one_line(text);
    let _ = writeln!(io::stderr().lock(), "exact-neuron: {line}");
}
