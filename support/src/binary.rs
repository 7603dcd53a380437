//! Support for the tests of the `exact-neuron` binary (the CLI crate's
//! tests): finding and running it, scratch folders, `.npy` files, and the
//! golden cases replayed through it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use npyz::WriterBuilder;

/// The binary under test: `EXACT_NEURON_BIN` when set (the GPU bundle runs
/// these tests where cargo's path does not exist), else cargo's build of
/// it beside the running test (a test runs from `target/<profile>/deps`,
/// the binary is in `target/<profile>`).
pub fn bin() -> PathBuf {
    if let Some(path) = std::env::var_os("EXACT_NEURON_BIN") {
        return PathBuf::from(path);
    }
    let test = std::env::current_exe().expect("the running test's path");
    let profile = test
        .parent()
        .and_then(Path::parent)
        .expect("a test executable in target/<profile>/deps");
    profile.join(format!("exact-neuron{}", std::env::consts::EXE_SUFFIX))
}

/// The golden case folder: `EXACT_NEURON_GOLDEN` (the cases folder or its
/// parent), else the repository's `tests/golden/cases`.
pub fn cases_dir() -> PathBuf {
    crate::golden::cases_dir()
}

/// The golden set's `errors.json`, beside the cases folder; `None` when
/// `EXACT_NEURON_GOLDEN` names a set without one.
pub fn errors_file() -> Option<PathBuf> {
    crate::cases::errors_file_of(&cases_dir())
}

// The case folders, the skip rule and visible notes, for the tests that use
// this module alone.
pub use crate::golden::case_folders;
pub use crate::skip::{note, required, skip};

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
    replay_case_with(case, device, out, &[])
}

/// As [`replay_case`], with `extra` flags added to the case's own (for
/// example `--steps-per-launch=3`, `--fused`); with `--spikes-out=bits`
/// the spikes are read from `spikes_bits.npy` and compared with the
/// expected spikes packed into words, GeNN's layout, and `spikes.npy` must
/// not exist.
pub fn replay_case_with(
    case: &Path,
    device: &str,
    out: &Path,
    extra: &[&str],
) -> Result<(), String> {
    let flags = case_flags(case);
    let mut args: Vec<String> = vec!["run".into()];
    args.extend(flags.iter().cloned());
    args.extend(extra.iter().map(|&flag| flag.to_owned()));
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
    let bits = extra.contains(&"--spikes-out=bits");
    compare_file(
        &out.join("voltage.npy"),
        &case.join("voltage.npy"),
        "voltage.npy",
    )?;
    if !bits {
        return compare_file(
            &out.join("spikes.npy"),
            &case.join("spikes.npy"),
            "spikes.npy",
        );
    }
    if out.join("spikes.npy").exists() {
        return Err("spikes.npy written beside spikes_bits.npy".into());
    }
    let batch_size = flags
        .iter()
        .find_map(|flag| flag.strip_prefix("--batch-size="))
        .map_or(1, |text| text.parse::<u64>().expect("a case's batch size"));
    let (want_dtype, want_shape, want) = read_npy_raw(&case.join("spikes.npy"));
    if want_dtype != "|b1" {
        return Err(format!("expected spikes.npy is {want_dtype}, not bool"));
    }
    let (want_shape, want_words) = pack_spikes(&want_shape, batch_size, &want);
    let (got_dtype, got_shape, got) = read_npy_raw(&out.join("spikes_bits.npy"));
    if got_dtype != "<u4" || got_shape != want_shape {
        return Err(format!(
            "spikes_bits.npy: {got_dtype} {got_shape:?}, expected <u4 {want_shape:?}"
        ));
    }
    let got_words: Vec<u32> = got
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if got.len() != want_words.len() * 4 {
        return Err(format!(
            "spikes_bits.npy: {} data bytes, expected {}",
            got.len(),
            want_words.len() * 4
        ));
    }
    if let Some(i) = got_words.iter().zip(&want_words).position(|(a, b)| a != b) {
        return Err(format!(
            "spikes_bits.npy: word {i} is {:#010x}, expected {:#010x}",
            got_words[i], want_words[i]
        ));
    }
    Ok(())
}

/// Spike bytes of shape `(T, batch_size, ...)` packed into GeNN's layout:
/// the shape `(T, batch_size, ceil(count/32))` and the words (bit `j` of
/// word `w` of a row = neuron `32w + j`, padding bits 0). Written here
/// from the definition, independently of the library's packing.
pub fn pack_spikes(shape: &[u64], batch_size: u64, bytes: &[u8]) -> (Vec<u64>, Vec<u32>) {
    let steps = shape.first().copied().unwrap_or(0);
    let rows = steps * batch_size;
    // (T, batch_size, *shape): a 0-d neuron's count is the empty product, 1
    let count = shape.iter().skip(2).product::<u64>() as usize;
    let words_per_row = count.div_ceil(32);
    let mut words = vec![0u32; rows as usize * words_per_row];
    for (row, spikes) in bytes.chunks(count).enumerate() {
        for (i, &spike) in spikes.iter().enumerate() {
            if spike != 0 {
                words[row * words_per_row + i / 32] |= 1 << (i % 32);
            }
        }
    }
    (vec![steps, batch_size, words_per_row as u64], words)
}

/// `got` and `want` have the same dtype, shape and data bytes.
fn compare_file(got: &Path, want: &Path, name: &str) -> Result<(), String> {
    let (got_dtype, got_shape, got) = read_npy_raw(got);
    let (want_dtype, want_shape, want) = read_npy_raw(want);
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
    Ok(())
}
