//! Support for the tests of the `exact-neuron` binary.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use npyz::WriterBuilder;

/// The binary under test: `EXACT_NEURON_BIN` when set (the GPU bundle runs
/// these tests where cargo's path does not exist), else cargo's build.
pub fn bin() -> PathBuf {
    match std::env::var_os("EXACT_NEURON_BIN") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_BIN_EXE_exact-neuron")),
    }
}

/// The golden case folder: `EXACT_NEURON_GOLDEN` (the cases folder or its
/// parent), else the repository's `tests/golden/cases`.
pub fn cases_dir() -> PathBuf {
    cases::cases_dir_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
}

/// The golden set's `errors.json`, beside the cases folder; `None` when
/// `EXACT_NEURON_GOLDEN` names a set without one.
pub fn errors_file() -> Option<PathBuf> {
    cases::errors_file_of(&cases_dir())
}

// Where the golden cases are, the skip rule and visible notes: the
// library tests' own.
#[path = "../../../tests/common/cases.rs"]
mod cases;
#[path = "../../../tests/common/skip.rs"]
mod skip;
#[allow(unused_imports)] // each test binary uses a part
pub use skip::{note, required, skip};

/// A fresh, empty scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "exact-neuron-cli-test-{}-{}-{name}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Runs the binary with `args` in `cwd`.
pub fn exact_neuron(cwd: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the exact-neuron binary runs")
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes an `.npy` file.
pub fn write_npy<T: npyz::AutoSerialize + Clone>(path: &Path, shape: &[u64], values: &[T]) {
    let mut bytes = Vec::new();
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(&mut bytes)
        .begin_nd()
        .expect("npy header");
    writer.extend(values.iter().cloned()).expect("npy data");
    writer.finish().expect("npy end");
    fs::write(path, bytes).expect("write npy");
}

/// An `.npy` file's dtype text, shape and raw data bytes.
pub fn read_npy_raw(path: &Path) -> (String, Vec<u64>, Vec<u8>) {
    let bytes = fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let mut rest = &bytes[..];
    let header = npyz::NpyHeader::from_reader(&mut rest)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let descr = match header.dtype() {
        npyz::DType::Plain(type_str) => type_str.to_string(),
        other => other.descr(),
    };
    (descr, header.shape().to_vec(), rest.to_vec())
}

/// Every case folder (holding case.json), sorted.
pub fn case_folders() -> Vec<PathBuf> {
    let dir = cases_dir();
    let mut folders: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("golden cases at {}: {err}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.join("case.json").is_file())
        .collect();
    folders.sort();
    folders
}

/// A case's `run` flags.
pub fn case_flags(case: &Path) -> Vec<String> {
    let text = fs::read_to_string(case.join("case.json")).expect("case.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("case.json is JSON");
    json["cli"]
        .as_array()
        .expect("cli list")
        .iter()
        .map(|flag| flag.as_str().expect("flag").to_owned())
        .collect()
}

/// Replays one golden case through `exact-neuron run --device=DEVICE` and
/// compares both outputs with the expected files: dtype, shape and every
/// data byte.
pub fn replay_case(case: &Path, device: &str, out: &Path) -> Result<(), String> {
    let mut args: Vec<String> = vec!["run".into()];
    args.extend(case_flags(case));
    args.push(format!("--device={device}"));
    args.push(format!("--out={}", out.display()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = exact_neuron(case, &args);
    if !output.status.success() {
        return Err(format!(
            "exit {}: {}",
            output.status,
            stderr(&output).trim()
        ));
    }
    for name in ["spikes.npy", "voltage.npy"] {
        let (got_dtype, got_shape, got) = read_npy_raw(&out.join(name));
        let (want_dtype, want_shape, want) = read_npy_raw(&case.join(name));
        if got_dtype != want_dtype || got_shape != want_shape {
            return Err(format!(
                "{name}: {got_dtype} {got_shape:?}, expected {want_dtype} {want_shape:?}"
            ));
        }
        if let Some(i) = got.iter().zip(&want).position(|(a, b)| a != b) {
            return Err(format!("{name}: byte {i} differs"));
        }
        if got.len() != want.len() {
            return Err(format!(
                "{name}: {} data bytes, expected {}",
                got.len(),
                want.len()
            ));
        }
    }
    Ok(())
}
