//! The repository's CUDA C++ sources compile with NVIDIA's `nvcc`, with the
//! flags the GPU bundle's `run.sh` builds them with: the C API's example
//! simulator (`capi/examples/simulator.cu`, against the header
//! `capi/include/exact_neuron.h`) and the access-layout probe
//! (`scripts/probes/access_layout.cu`).
//!
//! Both are otherwise built only on a GPU machine, where a compile error
//! would cost device time; here they are compiled to object files (`-c`),
//! which needs no GPU, no driver and no CUDA library to link against.
//!
//! `nvcc` is found through `NVCC`, else on the PATH. Without it the test
//! says it was skipped; with `REQUIRE_NVCC=1` it fails instead. `.ci/run`
//! unpacks CUDA 13.0's compiler from the package index (the wheels
//! `nvidia-cuda-nvcc`, `nvidia-nvvm`, `nvidia-cuda-crt` and
//! `nvidia-cuda-runtime`) and sets both.

use std::path::{Path, PathBuf};
use std::process::Command;

use exact_neuron_support::skip::{note, skip};

/// The nvcc binary, if one runs.
fn find_nvcc() -> Option<PathBuf> {
    let path = std::env::var_os("NVCC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("nvcc"));
    Command::new(&path)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
        .then_some(path)
}

/// Compiles `source` to an object file with `flags`, failing the test with
/// nvcc's report when it does not compile or warns.
fn compile(nvcc: &Path, source: &Path, flags: &[&str]) {
    let object = std::env::temp_dir().join(format!(
        "exact-neuron-nvcc-{}-{}.o",
        std::process::id(),
        source.file_stem().unwrap().to_string_lossy()
    ));
    let out = Command::new(nvcc)
        .args(flags)
        // Host-compiler warnings too, as errors: a warning here is a
        // warning on the GPU machine.
        .args(["-Werror", "all-warnings", "-c"])
        .arg(source)
        .arg("-o")
        .arg(&object)
        .output()
        .expect("nvcc runs");
    let built = object.exists();
    let _ = std::fs::remove_file(&object);
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && built,
        "nvcc {flags:?} -c {} failed:\n{report}",
        source.display()
    );
    note(&format!("nvcc: {} compiled", source.display()));
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The nvcc to use, or `None` after reporting `test` as skipped.
fn nvcc_for(test: &str) -> Option<PathBuf> {
    let nvcc = find_nvcc();
    if nvcc.is_none() {
        skip(
            test,
            "REQUIRE_NVCC",
            "no nvcc (set NVCC or put it on the PATH)",
        );
    }
    nvcc
}

#[test]
fn the_c_api_cuda_example_compiles() {
    let Some(nvcc) = nvcc_for("the_c_api_cuda_example_compiles") else {
        return;
    };
    let root = repository();
    let include = root.join("capi/include");
    compile(
        &nvcc,
        &root.join("capi/examples/simulator.cu"),
        &["-std=c++14", "-O2", "-I", include.to_str().unwrap()],
    );
}

#[test]
fn the_access_layout_probe_compiles() {
    let Some(nvcc) = nvcc_for("the_access_layout_probe_compiles") else {
        return;
    };
    compile(
        &nvcc,
        &repository().join("scripts/probes/access_layout.cu"),
        &["-O3", "-std=c++17", "-arch=sm_90"],
    );
}
