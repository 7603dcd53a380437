//! Every kernel file assembles with NVIDIA's `ptxas`: CUDA 12.9's for sm_70
//! and CUDA 13.0's for sm_80 and sm_90, with 0 bytes of stack and no
//! spills, and declares exactly the entries of the library's table.
//!
//! The binaries are found through `PTXAS_12` and `PTXAS_13`, else as
//! `ptxas` on the PATH when its version matches. Without them the test says
//! it was skipped; with `REQUIRE_PTXAS=1` it fails instead. `.ci/run`
//! fetches both from the package index (SPEC section 2).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use exact_neuron::kernel::{Kernel, Op};
use exact_neuron_support::skip::{note, skip};

/// A ptxas binary and the CUDA release it reports.
fn find_ptxas(var: &str, release: &str) -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os(var) {
        Some(path) => vec![PathBuf::from(path)],
        None => vec![PathBuf::from("ptxas")],
    };
    candidates.into_iter().find(|path| {
        Command::new(path)
            .arg("--version")
            .output()
            .is_ok_and(|out| {
                String::from_utf8_lossy(&out.stdout).contains(&format!("release {release}"))
            })
    })
}

/// Assembles `file` for `arch` and returns ptxas's `-v` report.
fn assemble(ptxas: &Path, arch: &str, file: &Path) -> String {
    let cubin = std::env::temp_dir().join(format!(
        "exact-neuron-{}-{arch}-{}.cubin",
        std::process::id(),
        file.file_stem().unwrap().to_string_lossy()
    ));
    let out = Command::new(ptxas)
        .arg(format!("-arch={arch}"))
        .arg("-v")
        .arg("--warning-as-error")
        .arg(file)
        .arg("-o")
        .arg(&cubin)
        .output()
        .expect("ptxas runs");
    let _ = std::fs::remove_file(&cubin);
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "ptxas -arch={arch} {} failed:\n{report}",
        file.display()
    );
    report
}

/// The entries a `-v` report names, each with its stack/spill line.
fn compiled_entries(report: &str, arch: &str) -> BTreeSet<String> {
    let mut entries = BTreeSet::new();
    let mut current: Option<String> = None;
    for line in report.lines() {
        if let Some(rest) = line.split("Compiling entry function '").nth(1) {
            let name = rest.split('\'').next().unwrap_or_default().to_owned();
            assert!(
                rest.contains(&format!("for '{arch}'")),
                "{name} compiled for another target: {line}"
            );
            current = Some(name);
        }
        if line.contains("bytes stack frame") {
            let name = current.take().expect("a properties line follows an entry");
            assert_eq!(
                line.trim(),
                "0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads",
                "{name} on {arch}"
            );
            entries.insert(name);
        }
    }
    entries
}

#[test]
fn every_kernel_assembles_for_sm70_sm80_sm90_without_stack_or_spills() {
    let ptxas12 = find_ptxas("PTXAS_12", "12.9");
    let ptxas13 = find_ptxas("PTXAS_13", "13.0");
    let (Some(ptxas12), Some(ptxas13)) = (ptxas12, ptxas13) else {
        skip(
            "every_kernel_assembles_for_sm70_sm80_sm90_without_stack_or_spills",
            "REQUIRE_PTXAS",
            "ptxas 12.9 and 13.0 not found (set PTXAS_12 and PTXAS_13)",
        );
        return;
    };
    let kernels = Path::new(env!("CARGO_MANIFEST_DIR")).join("kernels");
    let expected: BTreeSet<String> = Kernel::ALL.iter().map(|k| k.name().to_owned()).collect();
    for (ptxas, arch) in [
        (&ptxas12, "sm_70"),
        (&ptxas13, "sm_80"),
        (&ptxas13, "sm_90"),
    ] {
        let mut seen = BTreeSet::new();
        for op in Op::ALL {
            let file = kernels.join(format!("{}.ptx", op.name()));
            // the file on disk is the text the library embeds
            assert_eq!(
                std::fs::read_to_string(&file).unwrap(),
                op.ptx(),
                "{}",
                file.display()
            );
            let report = assemble(ptxas, arch, &file);
            let entries = compiled_entries(&report, arch);
            assert!(
                entries.iter().all(|e| e.starts_with(op.name())),
                "{entries:?}"
            );
            seen.extend(entries);
        }
        assert_eq!(seen, expected, "entries assembled for {arch}");
        note(&format!(
            "{} entries assembled for {arch} with {}",
            seen.len(),
            ptxas.display()
        ));
    }
}

#[test]
fn a_broken_kernel_is_rejected_by_ptxas() {
    // The harness must be able to fail: a kernel with an unknown instruction.
    let Some(ptxas) = find_ptxas("PTXAS_12", "12.9") else {
        skip(
            "a_broken_kernel_is_rejected_by_ptxas",
            "REQUIRE_PTXAS",
            "ptxas 12.9 not found",
        );
        return;
    };
    let broken = Op::Threshold.ptx().replacen("min.u64", "mni.u64", 1);
    let file = std::env::temp_dir().join(format!("exact-neuron-broken-{}.ptx", std::process::id()));
    std::fs::write(&file, broken).unwrap();
    let out = Command::new(&ptxas)
        .args(["-arch=sm_70", "-o", "/dev/null"])
        .arg(&file)
        .output()
        .expect("ptxas runs");
    let _ = std::fs::remove_file(&file);
    assert!(!out.status.success());
}
