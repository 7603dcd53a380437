//! The tool's one error type: an exit status and a one-line message, with
//! no control characters (a message may quote a hostile file, and the
//! terminal must not act on what it quotes).

use std::fmt::{Display, Write};
use std::process::ExitCode;

/// Exit status for a bad argument or file, or an absent device.
pub const BAD_INPUT: u8 = 2;
/// Exit status for a failure while running or writing.
pub const FAILED: u8 = 1;

/// The most characters of a file's contents that a message quotes.
pub const QUOTE_LIMIT: usize = 80;

/// What went wrong, as `main` reports it: `exact-neuron: {message}` on
/// stderr, then exit with `status`. An empty message prints nothing.
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

    /// The reader of stdout has gone: stop, say nothing, status 0.
    pub fn quiet() -> Self {
        CliError {
            status: 0,
            message: String::new(),
        }
    }
}

/// The message on one line: any line breaks become `; `, and the other
/// control characters are escaped.
pub fn one_line(message: impl Display) -> String {
    let text = message.to_string();
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    escape(&joined)
}

/// `text` with each control character written as an escape: `\0`, `\t`,
/// `\x1b`, `\u{85}`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\0' => out.push_str("\\0"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if (c as u32) < 0x80 && c.is_control() => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if c.is_control() => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// A piece of a file's contents for a message: control characters escaped
/// and, past [`QUOTE_LIMIT`] characters (escapes counted as written), cut
/// short with `...`.
pub fn quote(text: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut piece = String::new();
    for c in text.chars() {
        piece.clear();
        push_escaped(&mut piece, c);
        count += piece.chars().count();
        if count > QUOTE_LIMIT {
            out.push_str("...");
            break;
        }
        out.push_str(&piece);
    }
    out
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

    #[test]
    fn control_characters_are_escaped() {
        let err = CliError::bad("a\x1b[31mb\0c\x07d\re\u{85}f\tg");
        assert_eq!(err.message, "a\\x1b[31mb\\0c\\x07d\\re\\u{85}f\\tg");
        assert!(!err.message.chars().any(char::is_control));
    }

    #[test]
    fn quotes_are_cut_short() {
        let long = "x".repeat(200);
        assert_eq!(quote(&long), format!("{}...", "x".repeat(80)));
        assert_eq!(quote(&"y".repeat(80)), "y".repeat(80));
        assert_eq!(quote("\x1b[0m"), "\\x1b[0m");
        let escapes = quote(&"\u{85}".repeat(100));
        assert!(
            escapes.chars().count() <= 83 && escapes.ends_with("..."),
            "{escapes}"
        );
    }
}
