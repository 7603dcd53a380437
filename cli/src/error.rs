//! The tool's one error type: an exit status and a one-line message.

use std::fmt::Display;
use std::process::ExitCode;

/// Exit status for a bad argument or file, or an absent device.
pub const BAD_INPUT: u8 = 2;
/// Exit status for a failure while running or writing.
pub const FAILED: u8 = 1;

/// What went wrong, as `main` reports it: `exact-neuron: {message}` on
/// stderr, then exit with `status`.
#[derive(Debug)]
pub struct CliError {
    pub status: u8,
    pub message: String,
}

impl CliError {
    /// A bad argument or file (status 2).
    pub fn bad(message: impl Display) -> Self {
        CliError {
            status: BAD_INPUT,
            message: one_line(message),
        }
    }

    /// A failure while running or writing (status 1).
    pub fn failed(message: impl Display) -> Self {
        CliError {
            status: FAILED,
            message: one_line(message),
        }
    }
}

/// The message on one line: any line breaks become `; `.
fn one_line(message: impl Display) -> String {
    let text = message.to_string();
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a subcommand returns.
pub type CliResult = Result<ExitCode, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line() {
        let err = CliError::bad("first\n\n  second  \nthird");
        assert_eq!(err.message, "first; second; third");
        assert_eq!(err.status, 2);
        assert_eq!(CliError::failed("x").status, 1);
    }
}
