//! The C programs under `capi/tests/`, compiled with the system C and C++
//! compilers against `include/exact_neuron.h` and the library this build
//! made, and run: the golden cases bit for bit on the CPU (`golden.c`),
//! every misuse (`errors.c`), the header as C++ (`header.cpp`, linked
//! against the shared library too), and the first two again under
//! valgrind, with no error and no leak, where valgrind is installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use exact_neuron::DType;
use exact_neuron_support::golden::{load_cases, load_errors, Case, Mode};

/// The repository's root.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("capi/ is inside the repository")
        .to_path_buf()
}

/// The newest file in `dir` whose name starts with `prefix` and ends with
/// `suffix`.
fn newest(dir: &Path, prefix: &str, suffix: &str) -> Option<(SystemTime, PathBuf)> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with(prefix) && name.ends_with(suffix)
        })
        .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
        .max()
}

/// The library as this build made it, `.a` or `.so`: cargo builds every
/// crate type of the library for the tests, into `deps/` beside this test
/// binary (with a hash in the static library's name), and copies the
/// requested ones up a folder. The newest is this build's.
fn library(suffix: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its path");
    let deps = exe.parent().expect("the test binary is in deps/");
    [Some(deps), deps.parent()]
        .into_iter()
        .flatten()
        .filter_map(|dir| newest(dir, "libexact_neuron_c", suffix))
        .max()
        .map(|(_, path)| path)
        .unwrap_or_else(|| panic!("no libexact_neuron_c{suffix} near {}", exe.display()))
}

/// A scratch folder for this test binary's outputs.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("capi")
        .join(name);
    std::fs::create_dir_all(&dir).expect("the scratch folder can be made");
    dir
}

/// Runs `command`, failing the test with its output unless it succeeds.
fn run(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("{command:?} did not start: {err}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    stdout + &stderr
}

/// Compiles `source` (a file of `capi/tests/`) into `out` with `compiler`
/// and `standard`, linked against the static library.
fn build(compiler: &str, standard: &str, source: &str, out: &Path) {
    let capi = Path::new(env!("CARGO_MANIFEST_DIR"));
    run(Command::new(compiler)
        .arg(format!("-std={standard}"))
        .args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
        .arg("-I")
        .arg(capi.join("include"))
        .arg(capi.join("tests").join(source))
        .arg(library(".a"))
        .args(["-lpthread", "-ldl", "-lm"])
        .arg("-o")
        .arg(out));
}

fn dtype_code(dtype: DType) -> u64 {
    DType::ALL.iter().position(|&d| d == dtype).unwrap() as u64
}

/// The fields `c_support.h` reads for a neuron's parameters.
fn put_params(out: &mut Vec<u8>, params: &exact_neuron::NeuronParams) {
    out.extend((params.shape.len() as u64).to_le_bytes());
    for &dim in &params.shape {
        out.extend((dim as u64).to_le_bytes());
    }
    out.extend((params.batch_size as u64).to_le_bytes());
    for value in [params.step_time, params.rest_v, params.thresh_v] {
        out.extend(value.to_bits().to_le_bytes());
    }
}

/// A case as the flat file `golden.c` reads: the parameters, the mode and
/// types, then every step's values, spikes and voltage bits in the
/// voltage's own type (the golden files widen bf16 to f32; its bits are the
/// top half of that f32's).
fn case_file(case: &Case) -> Vec<u8> {
    let mut out = b"ENCASE01".to_vec();
    put_params(&mut out, &case.params);
    let (value_dtype, values) = (case.values.dtype(), case.values.as_bytes());
    let mode = match case.mode {
        Mode::Threshold => 0u64,
        Mode::Override => 1,
    };
    for field in [
        mode,
        dtype_code(value_dtype),
        dtype_code(case.voltage_dtype),
        case.steps as u64,
        case.len() as u64,
    ] {
        out.extend(field.to_le_bytes());
    }
    out.extend(values);
    out.extend(case.spikes.iter().map(|&s| u8::from(s)));
    for &bits in &case.voltage_bits {
        match case.voltage_dtype {
            DType::F64 => out.extend(bits.to_le_bytes()),
            DType::F32 => out.extend((bits as u32).to_le_bytes()),
            DType::F16 => out.extend((bits as u16).to_le_bytes()),
            DType::BF16 => {
                let widened = bits as u32;
                assert_eq!(widened & 0xFFFF, 0, "{}: a bf16 widened exactly", case.name);
                out.extend(((widened >> 16) as u16).to_le_bytes());
            }
            other => panic!("{}: voltage in {other}", case.name),
        }
    }
    out
}

/// The case files of the golden set, written to the scratch folder.
fn golden_files() -> Vec<PathBuf> {
    let cases = load_cases();
    assert!(!cases.is_empty(), "no golden cases");
    let dir = scratch("golden");
    cases
        .iter()
        .map(|case| {
            let path = dir.join(format!("{}.bin", case.name));
            std::fs::write(&path, case_file(case)).expect("case file written");
            path
        })
        .collect()
}

/// inferno's parameter errors, as the flat file `errors.c` reads, in the
/// scratch folder `folder` (one per test: the tests run side by side).
fn errors_file(folder: &str) -> PathBuf {
    let errors = load_errors().expect("the golden set has errors.json");
    let mut out = b"ENERRS01".to_vec();
    out.extend((errors.len() as u64).to_le_bytes());
    for error in &errors {
        put_params(&mut out, &error.params);
        out.extend((error.message.len() as u64).to_le_bytes());
        out.extend(error.message.as_bytes());
    }
    let path = scratch(folder).join("errors.bin");
    std::fs::write(&path, out).expect("errors file written");
    path
}

/// valgrind, when installed.
fn valgrind() -> Option<Command> {
    let found = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("SKIPPED the valgrind runs: valgrind is not installed");
        return None;
    }
    let mut command = Command::new("valgrind");
    command.args([
        "--quiet",
        "--error-exitcode=99",
        "--leak-check=full",
        "--show-leak-kinds=definite,indirect,possible",
        "--errors-for-leak-kinds=definite,indirect,possible",
    ]);
    Some(command)
}

#[test]
fn the_golden_cases_run_bit_for_bit_through_the_c_api() {
    let files = golden_files();
    let program = scratch("golden").join("golden");
    build("cc", "c99", "golden.c", &program);
    let output = run(Command::new(&program).args(&files));
    assert!(
        output.contains(&format!("{} golden case(s) bit for bit", files.len())),
        "{output}"
    );
    if let Some(mut valgrind) = valgrind() {
        run(valgrind.arg(&program).args(&files));
    }
}

#[test]
fn the_golden_cases_run_bit_for_bit_as_bits_fused_and_multi_step() {
    let files = golden_files();
    let program = scratch("golden").join("golden_bits");
    build("cc", "c99", "golden_bits.c", &program);
    let output = run(Command::new(&program).args(&files));
    assert!(
        output.contains(&format!(
            "{} golden case(s) bit for bit as bits, fused and multi-step",
            files.len()
        )),
        "{output}"
    );
    if let Some(mut valgrind) = valgrind() {
        run(valgrind.arg(&program).args(&files));
    }
}

#[test]
fn every_misuse_gives_a_status_and_a_message() {
    let errors = errors_file("errors");
    let program = scratch("errors").join("errors");
    build("cc", "c99", "errors.c", &program);
    let output = run(Command::new(&program).arg(&errors));
    assert!(
        output.contains("every misuse gave its status and message"),
        "{output}"
    );
    if let Some(mut valgrind) = valgrind() {
        run(valgrind.arg(&program).arg(&errors));
    }
}

#[test]
fn the_cuda_examples_host_parts_run_on_a_cpu_neuron() {
    // simulator.cu without CUDA: its input model, reference and checks, on
    // a CPU neuron with host buffers (the CUDA parts need nvcc and a GPU;
    // the GPU bundle builds and runs them).
    let program = scratch("simulator").join("simulator_host");
    let capi = Path::new(env!("CARGO_MANIFEST_DIR"));
    run(Command::new("c++")
        .args([
            "-std=c++14",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-g",
        ])
        .arg("-DEXACT_NEURON_HOST_ONLY")
        .arg("-I")
        .arg(capi.join("include"))
        .args(["-x", "c++"])
        .arg(capi.join("examples/simulator.cu"))
        .args(["-x", "none"])
        .arg(library(".a"))
        .args(["-lpthread", "-ldl", "-lm"])
        .arg("-o")
        .arg(&program));
    let output = run(&mut Command::new(&program));
    assert!(
        output.contains("every spike and voltage as the host reference"),
        "{output}"
    );
}

#[test]
fn install_sh_and_pkg_config_give_the_compile_and_link_lines() {
    let found = Command::new("pkg-config")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("SKIPPED the pkg-config test: pkg-config is not installed");
        return;
    }
    let capi = Path::new(env!("CARGO_MANIFEST_DIR"));
    let prefix = scratch("install").join("prefix");
    let _ = std::fs::remove_dir_all(&prefix);
    let lib_dir = library(".a").parent().unwrap().to_path_buf();
    assert_eq!(
        library(".so").parent().unwrap(),
        lib_dir,
        "both libraries in one folder"
    );
    run(Command::new("bash")
        .arg(capi.join("install.sh"))
        .arg(&prefix)
        .arg(&lib_dir));
    let pkg_config = |args: &[&str]| {
        run(Command::new("pkg-config")
            .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
            .args(args)
            .arg("exact_neuron_c"))
    };
    assert_eq!(
        pkg_config(&["--modversion"]).trim(),
        env!("CARGO_PKG_VERSION")
    );
    let flags: Vec<String> = pkg_config(&["--cflags", "--libs"])
        .split_whitespace()
        .map(String::from)
        .collect();
    // Linked against the installed shared library, the misuse program runs
    // as it does statically linked.
    let program = scratch("install").join("errors_shared");
    run(Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg(capi.join("tests/errors.c"))
        .args(&flags)
        .arg("-lpthread")
        .arg("-o")
        .arg(&program));
    let output = run(Command::new(&program)
        .env("LD_LIBRARY_PATH", prefix.join("lib"))
        .arg(errors_file("install")));
    assert!(
        output.contains("every misuse gave its status and message"),
        "{output}"
    );
}

#[test]
fn the_readme_example_compiles_links_and_prints_what_it_says() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let section = &readme[readme
        .find("## From C and CUDA C++")
        .expect("the README has the C section")..];
    let start = section.find("```c\n").expect("a C example") + 5;
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let dir = scratch("readme");
    let source = dir.join("prog.c");
    std::fs::write(&source, example).unwrap();
    let program = dir.join("prog");
    // The static link line of the README.
    let capi = Path::new(env!("CARGO_MANIFEST_DIR"));
    run(Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg(&source)
        .arg("-I")
        .arg(capi.join("include"))
        .arg(library(".a"))
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&program));
    let output = run(&mut Command::new(&program));
    assert_eq!(output, "1 -50\n0 -60\n0 -60\n1 -50\n0 -60\n1 -50\n");
}

#[test]
fn the_header_is_valid_cpp_and_the_shared_library_links() {
    let dir = scratch("cpp");
    let program = dir.join("header_cpp");
    build("c++", "c++11", "header.cpp", &program);
    assert!(run(&mut Command::new(&program)).contains("C++: ok"));
    // The same program against the shared library.
    let shared = library(".so");
    let lib_dir = shared.parent().unwrap();
    let linked = dir.join("header_cpp_shared");
    let capi = Path::new(env!("CARGO_MANIFEST_DIR"));
    run(Command::new("c++")
        .args(["-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg("-I")
        .arg(capi.join("include"))
        .arg(capi.join("tests/header.cpp"))
        .arg("-L")
        .arg(lib_dir)
        .arg("-lexact_neuron_c")
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .arg("-o")
        .arg(&linked));
    assert!(run(&mut Command::new(&linked)).contains("C++: ok"));
    // And the header alone in strict C89-free C99 and in C++98-free C++17.
    for (compiler, standard, language) in [("cc", "c99", "c"), ("c++", "c++17", "c++")] {
        run(Command::new(compiler)
            .arg(format!("-std={standard}"))
            .args([
                "-Wall",
                "-Wextra",
                "-Werror",
                "-pedantic",
                "-fsyntax-only",
                "-x",
                language,
            ])
            .arg(capi.join("include/exact_neuron.h")));
    }
}
