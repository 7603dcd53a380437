//! Two hidden subcommands for the GPU bundle, which has no Rust toolchain
//! and may have no numpy: `compare` (two .npy files, bit for bit) and
//! `golden` (every golden case replayed through `run` in a child process,
//! then compared).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::cli::{CompareArgs, GoldenArgs};
use crate::console;
use crate::device::{self, Backend};
use crate::error::{CliError, CliResult};
use crate::npy;

/// `None` when the two files hold the same dtype, shape and data bits,
/// else what differs first.
pub fn difference(actual: &Path, expected: &Path) -> Result<Option<String>, CliError> {
    let (a_label, e_label) = (actual.display().to_string(), expected.display().to_string());
    let a = npy::open(actual, &a_label)?;
    let e = npy::open(expected, &e_label)?;
    if a.header.descr != e.header.descr {
        return Ok(Some(format!(
            "dtype '{}', expected '{}'",
            a.header.descr, e.header.descr
        )));
    }
    if a.header.shape != e.header.shape {
        return Ok(Some(format!(
            "shape {}, expected {}",
            npy::ShapeText(&a.header.shape),
            npy::ShapeText(&e.header.shape)
        )));
    }
    let item = a.header.item_size.unwrap_or(1).max(1) as usize;
    let (a_data, e_data) = (a.read_data()?, e.read_data()?);
    match a_data.iter().zip(&e_data).position(|(x, y)| x != y) {
        Some(byte) => {
            let index = byte / item;
            let bits = |data: &[u8]| {
                data[index * item..(index + 1) * item]
                    .iter()
                    .rev()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            };
            Ok(Some(format!(
                "element {index} has bits 0x{}, expected 0x{}",
                bits(&a_data),
                bits(&e_data)
            )))
        }
        None if a_data.len() != e_data.len() => Ok(Some("different data lengths".into())),
        None => Ok(None),
    }
}

pub fn compare_command(args: &CompareArgs) -> CliResult {
    match difference(&args.actual, &args.expected)? {
        None => {
            console::print(&format!(
                "same: {} and {}\n",
                args.actual.display(),
                args.expected.display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Some(what) => Err(CliError::failed(format!(
            "{} differs from {}: {what}",
            args.actual.display(),
            args.expected.display()
        ))),
    }
}

/// The golden case folder: `--cases`, else `EXACT_NEURON_GOLDEN` (either
/// the cases folder or the folder holding `cases/`), else the first
/// `golden/cases` (the bundle's layout: `bin/exact-neuron` beside
/// `golden/cases/`) or `tests/golden/cases` (a checkout, whose
/// `target/release/exact-neuron` is two levels down) found in the folders
/// above the executable. Nothing of the build machine is baked in: a copy
/// of the binary elsewhere finds no cases and says so.
fn cases_dir(args: &GoldenArgs) -> Result<PathBuf, CliError> {
    let named = args
        .cases
        .clone()
        .or_else(|| std::env::var_os("EXACT_NEURON_GOLDEN").map(PathBuf::from));
    if let Some(dir) = named {
        let inner = dir.join("cases");
        return Ok(if inner.is_dir() { inner } else { dir });
    }
    let exe = std::env::current_exe()
        .map_err(|err| CliError::failed(format!("cannot find this executable: {err}")))?;
    exe.ancestors()
        .skip(1)
        .take(3)
        .flat_map(|folder| [folder.join("golden/cases"), folder.join("tests/golden/cases")])
        .find(|dir| dir.is_dir())
        .ok_or_else(|| {
            CliError::bad(
                "no golden cases found near this executable: pass --cases=DIR or set EXACT_NEURON_GOLDEN",
            )
        })
}

/// The `run` flags of one case (its case.json's `cli` list).
fn case_flags(case: &Path) -> Result<Vec<String>, String> {
    let text = fs::read_to_string(case.join("case.json")).map_err(|err| err.to_string())?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|err| err.to_string())?;
    json["cli"]
        .as_array()
        .ok_or("case.json has no cli list")?
        .iter()
        .map(|flag| {
            flag.as_str()
                .map(String::from)
                .ok_or_else(|| format!("cli flag {flag} is not a string"))
        })
        .collect()
}

/// Replays one case in a child process and compares its outputs.
fn replay(exe: &Path, case: &Path, device: &str, out: &Path) -> Result<(), String> {
    let flags = case_flags(case)?;
    let output = Command::new(exe)
        .arg("run")
        .args(&flags)
        .arg(format!("--device={device}"))
        .arg(format!("--out={}", out.display()))
        .current_dir(case)
        .output()
        .map_err(|err| format!("cannot start {}: {err}", exe.display()))?;
    if !output.status.success() {
        return Err(format!(
            "run failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    for name in ["spikes.npy", "voltage.npy"] {
        match difference(&out.join(name), &case.join(name)) {
            Ok(None) => {}
            Ok(Some(what)) => return Err(format!("{name}: {what}")),
            Err(err) => return Err(format!("{name}: {}", err.message)),
        }
    }
    Ok(())
}

pub fn golden_command(args: &GoldenArgs) -> CliResult {
    let dir = cases_dir(args)?;
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|err| CliError::bad(format!("golden cases at {}: {err}", dir.display())))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.join("case.json").is_file())
        .collect();
    cases.sort();
    if cases.is_empty() {
        return Err(CliError::bad(format!(
            "no golden cases in {}",
            dir.display()
        )));
    }
    // Resolve `auto` once (so that the children do not each report it),
    // and fail at once when `cuda` is asked for and absent.
    let device = match device::choose(args.device)? {
        Backend::Cpu => "cpu",
        Backend::Cuda(_) => "cuda",
    };
    let exe = std::env::current_exe()
        .map_err(|err| CliError::failed(format!("cannot find this executable: {err}")))?;
    let scratch = std::env::temp_dir().join(format!("exact-neuron-golden-{}", std::process::id()));
    let mut failed = 0;
    let mut printed = Ok(());
    for case in &cases {
        let name = case
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let line = match replay(&exe, case, device, &scratch.join(&name)) {
            Ok(()) => format!("ok {name} ({device})\n"),
            Err(why) => {
                failed += 1;
                format!("FAILED {name} ({device}): {why}\n")
            }
        };
        printed = console::print(&line);
        if printed.is_err() {
            break;
        }
    }
    let _ = fs::remove_dir_all(&scratch);
    printed?;
    console::print(&format!(
        "golden cases through exact-neuron run --device={device}: {} passed, {failed} failed\n",
        cases.len() - failed
    ))?;
    if failed == 0 {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(crate::error::FAILED))
    }
}
