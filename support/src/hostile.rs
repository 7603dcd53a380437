//! Support for the tests of hostile files and output targets: running the
//! binary under a time limit (a hang is a failure, not a stuck test),
//! building `.npy` files byte by byte, and the one-line error rule.

use std::fs::{self, File};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long one run of the binary may take before it counts as a hang.
pub const TIME_LIMIT: Duration = Duration::from_secs(10);

/// What a limited run gave.
pub struct Outcome {
    /// `None` when it was killed at the time limit.
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|status| status.code())
    }
}

/// Runs `command` (its stdin closed) with stdout and stderr going to
/// files in `scratch`, killing it after `limit`.
pub fn run_limited(mut command: Command, scratch: &Path, limit: Duration) -> Outcome {
    let out_path = scratch.join(".stdout");
    let err_path = scratch.join(".stderr");
    let stdout = File::create(&out_path).expect("stdout file");
    let stderr = File::create(&err_path).expect("stderr file");
    command.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
    let started = Instant::now();
    let mut child = command.spawn().expect("the exact-neuron binary starts");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let outcome = Outcome {
        status,
        stdout: fs::read(&out_path).unwrap_or_default(),
        stderr: String::from_utf8_lossy(&fs::read(&err_path).unwrap_or_default()).into_owned(),
        elapsed: started.elapsed(),
    };
    let _ = fs::remove_file(out_path);
    let _ = fs::remove_file(err_path);
    outcome
}

/// `exact-neuron ARGS` in `cwd` under [`TIME_LIMIT`].
pub fn exact_neuron_limited(cwd: &Path, args: &[&str]) -> Outcome {
    let mut command = Command::new(crate::binary::bin());
    command.args(args).current_dir(cwd);
    run_limited(command, cwd, TIME_LIMIT)
}

/// `exact-neuron ARGS` in `cwd` with at most `mib` MiB of address space
/// (through the shell's `ulimit -v`) and under [`TIME_LIMIT`].
pub fn exact_neuron_in_memory(cwd: &Path, mib: u64, args: &[&str]) -> Outcome {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -v {} && exec \"$0\" \"$@\"", mib * 1024))
        .arg(crate::binary::bin())
        .args(args)
        .current_dir(cwd);
    run_limited(command, cwd, TIME_LIMIT)
}

/// An `.npy` file: `version` (1, 2 or 3), the header text as given (it is
/// padded to numpy's 64-byte alignment and ended with a line break), then
/// `data`.
pub fn npy_bytes(version: u8, dict: &str, data: &[u8]) -> Vec<u8> {
    let field = if version == 1 { 2 } else { 4 };
    let unpadded = 8 + field + dict.len() + 1;
    let len = dict.len() + 1 + unpadded.next_multiple_of(64) - unpadded;
    let mut bytes = b"\x93NUMPY".to_vec();
    bytes.extend_from_slice(&[version, 0]);
    if field == 2 {
        bytes.extend_from_slice(&(len as u16).to_le_bytes());
    } else {
        bytes.extend_from_slice(&(len as u32).to_le_bytes());
    }
    bytes.extend_from_slice(dict.as_bytes());
    bytes.resize(bytes.len() + len - dict.len() - 1, b' ');
    bytes.push(b'\n');
    bytes.extend_from_slice(data);
    bytes
}

/// A header dict with `descr`, `shape` (written as given) and `extra`
/// text before the closing brace.
pub fn dict(descr: &str, shape: &str, extra: &str) -> String {
    format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, {extra}}}")
}

/// What breaks the rule for a failed command's stderr, if anything: it is
/// exactly one line, starting `exact-neuron: `, with no control
/// characters and no panic.
pub fn line_problem(stderr: &str) -> Option<String> {
    let Some(body) = stderr.strip_suffix('\n') else {
        return Some(format!("stderr does not end one line: {stderr:?}"));
    };
    if stderr.contains("panicked") {
        Some(format!("a panic: {stderr:?}"))
    } else if body.contains('\n') {
        Some(format!("more than one line on stderr: {stderr:?}"))
    } else if body.chars().any(char::is_control) {
        Some(format!("control characters on stderr: {stderr:?}"))
    } else if !body.starts_with("exact-neuron: ") {
        Some(format!("stderr is not an exact-neuron line: {stderr:?}"))
    } else {
        None
    }
}

/// Asserts the rule of [`line_problem`]; returns the line. `context` goes
/// into the failure message.
#[track_caller]
pub fn one_clean_line(stderr: &str, context: &str) -> String {
    if let Some(problem) = line_problem(stderr) {
        panic!("{context}: {problem}");
    }
    stderr.trim_end_matches('\n').to_owned()
}
