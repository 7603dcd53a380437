//! Every bad argument or file makes `exact-neuron run` exit with status 2,
//! print exactly one line on stderr that names the problem, and write
//! nothing.

use exact_neuron_support::binary as common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{exact_neuron, scratch, stderr, write_npy};

/// A scratch folder holding valid files for `--shape=3 --batch-size=2`
/// over two steps: X.npy (f32, (2, 2, 3)) and O.npy (u8, (2, 6)).
fn setup(name: &str) -> PathBuf {
    let dir = scratch(name);
    let x: Vec<f32> = (0..12).map(|i| i as f32 - 5.5).collect();
    write_npy(&dir.join("X.npy"), &[2, 2, 3], &x);
    let o: Vec<u8> = (0..12).map(|i| (i % 2) as u8).collect();
    write_npy(&dir.join("O.npy"), &[2, 6], &o);
    dir
}

const PARAMS: [&str; 5] = [
    "--shape=3",
    "--batch-size=2",
    "--step-time=1.0",
    "--rest-v=-60",
    "--thresh-v=-50",
];

/// Runs `run` with the valid parameters, `extra` flags and `--out=out` (the
/// tests that change a parameter pass their own list instead).
fn run_with(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run"];
    args.extend(PARAMS);
    args.extend(extra);
    args.push("--out=out");
    exact_neuron(dir, &args)
}

/// Asserts status 2, one stderr line containing `needle`, and no output.
#[track_caller]
fn assert_bad(dir: &Path, output: &std::process::Output, needle: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "stderr: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got {err:?}");
    assert!(lines[0].starts_with("exact-neuron: "), "{err}");
    assert!(
        lines[0].contains(needle),
        "{err:?} does not contain {needle:?}"
    );
    assert!(
        output.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(!dir.join("out").exists(), "an output folder was written");
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn valid_arguments_succeed() {
    // the baseline the other tests break one thing of
    let dir = setup("valid");
    let output = run_with(&dir, &["--inputs=X.npy", "--device=cpu"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.join("out/spikes.npy").is_file());
    let output = run_with(&dir, &["--override=O.npy", "--device=cpu"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn unknown_input_dtype() {
    let dir = setup("input-dtype");
    let output = run_with(&dir, &["--inputs=X.npy", "--input-dtype=f8"]);
    assert_bad(&dir, &output, "invalid value 'f8' for '--input-dtype");
}

#[test]
fn unknown_voltage_dtype() {
    let dir = setup("voltage-dtype");
    let output = run_with(&dir, &["--inputs=X.npy", "--voltage-dtype=int8"]);
    assert_bad(&dir, &output, "invalid value 'int8' for '--voltage-dtype");
}

#[test]
fn bad_steps_per_launch() {
    for (value, needle) in [
        ("0", "'0' steps per launch"),
        ("-3", "'-3' is not a number of steps per launch"),
        ("some", "'some' is not a number of steps per launch"),
        ("", "is not a number of steps per launch"),
    ] {
        let dir = setup("steps-per-launch");
        let flag = format!("--steps-per-launch={value}");
        let output = run_with(&dir, &["--inputs=X.npy", &flag]);
        assert_bad(&dir, &output, needle);
    }
}

#[test]
fn unknown_spike_format() {
    let dir = setup("spikes-out");
    let output = run_with(&dir, &["--inputs=X.npy", "--spikes-out=words"]);
    assert_bad(&dir, &output, "invalid value 'words' for '--spikes-out");
}

#[test]
fn fused_takes_no_value() {
    let dir = setup("fused-value");
    let output = run_with(&dir, &["--inputs=X.npy", "--fused=yes"]);
    assert_bad(&dir, &output, "--fused");
}

#[test]
fn bits_replace_the_byte_spikes() {
    let dir = setup("bits-output");
    let output = run_with(
        &dir,
        &[
            "--inputs=X.npy",
            "--device=cpu",
            "--spikes-out=bits",
            "--steps-per-launch=all",
            "--fused",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!dir.join("out/spikes.npy").exists());
    let (dtype, shape, data) = common::read_npy_raw(&dir.join("out/spikes_bits.npy"));
    assert_eq!((dtype.as_str(), shape), ("<u4", vec![2, 2, 1]));
    // X = i - 5.5 for i in 0..12: positive from i = 6, i.e. step 1
    assert_eq!(data, [0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 7, 0, 0, 0]);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn unknown_device() {
    let dir = setup("device");
    let output = run_with(&dir, &["--inputs=X.npy", "--device=tpu"]);
    assert_bad(&dir, &output, "invalid value 'tpu' for '--device");
}

#[test]
fn inputs_with_the_wrong_element_count() {
    let dir = setup("inputs-count");
    write_npy(&dir.join("X4.npy"), &[2, 2, 4], &[1.0f32; 16]);
    let output = run_with(&dir, &["--inputs=X4.npy"]);
    assert_bad(&dir, &output, "8 values per step, expected 6");
}

#[test]
fn inputs_with_the_right_count_in_the_wrong_shape() {
    let dir = setup("inputs-shape");
    write_npy(&dir.join("X6.npy"), &[2, 6], &[1.0f32; 12]);
    let output = run_with(&dir, &["--inputs=X6.npy"]);
    assert_bad(
        &dir,
        &output,
        "--inputs=X6.npy: shape (2, 6) does not match (T, batch_size, *shape) = (T, 2, 3)",
    );
}

#[test]
fn a_0d_inputs_array() {
    let dir = setup("inputs-0d");
    write_npy(&dir.join("X0.npy"), &[], &[1.0f32]);
    let output = run_with(&dir, &["--inputs=X0.npy"]);
    assert_bad(&dir, &output, "shape () does not match");
}

#[test]
fn override_with_the_wrong_element_count() {
    let dir = setup("override-count");
    write_npy(&dir.join("O5.npy"), &[2, 5], &[1u8; 10]);
    let output = run_with(&dir, &["--override=O5.npy"]);
    assert_bad(&dir, &output, "has 5 values per step, expected 6");
}

#[test]
fn a_missing_file() {
    let dir = setup("missing");
    let output = run_with(&dir, &["--inputs=nowhere.npy"]);
    assert_bad(&dir, &output, "--inputs=nowhere.npy: cannot read");
}

#[test]
fn a_truncated_file() {
    let dir = setup("truncated");
    let bytes = fs::read(dir.join("X.npy")).unwrap();
    fs::write(dir.join("cut.npy"), &bytes[..bytes.len() - 5]).unwrap();
    let output = run_with(&dir, &["--inputs=cut.npy"]);
    assert_bad(&dir, &output, "--inputs=cut.npy: truncated");
}

#[test]
fn a_file_cut_inside_its_header() {
    let dir = setup("cut-header");
    let bytes = fs::read(dir.join("O.npy")).unwrap();
    fs::write(dir.join("cut.npy"), &bytes[..30]).unwrap();
    let output = run_with(&dir, &["--override=cut.npy"]);
    assert_bad(&dir, &output, "--override=cut.npy: not a valid .npy file");
}

#[test]
fn a_file_that_is_not_npy() {
    let dir = setup("not-npy");
    fs::write(dir.join("text.npy"), "step,value\n0,1.5\n").unwrap();
    let output = run_with(&dir, &["--inputs=text.npy"]);
    assert_bad(&dir, &output, "--inputs=text.npy: not a valid .npy file");
}

#[test]
fn an_empty_file() {
    let dir = setup("empty");
    fs::write(dir.join("empty.npy"), "").unwrap();
    let output = run_with(&dir, &["--override=empty.npy"]);
    assert_bad(&dir, &output, "not a valid .npy file");
}

#[test]
fn integer_inputs() {
    let dir = setup("int-inputs");
    write_npy(&dir.join("I.npy"), &[2, 2, 3], &[1i32; 12]);
    let output = run_with(&dir, &["--inputs=I.npy"]);
    assert_bad(&dir, &output, "dtype '<i4' is not a float type");
}

#[test]
fn an_override_of_an_unsupported_dtype() {
    let dir = setup("int-override");
    write_npy(&dir.join("I.npy"), &[2, 6], &[1i64; 12]);
    let output = run_with(&dir, &["--override=I.npy"]);
    assert_bad(&dir, &output, "dtype '<i8' is not supported");
}

#[test]
fn a_fortran_ordered_array() {
    let dir = setup("fortran");
    let mut bytes = fs::read(dir.join("X.npy")).unwrap();
    let (from, to) = (b"'fortran_order': False", b"'fortran_order': True ");
    let at = bytes
        .windows(from.len())
        .position(|window| window == from)
        .expect("a C-order header");
    bytes[at..at + to.len()].copy_from_slice(to);
    let out = bytes;
    fs::write(dir.join("F.npy"), out).unwrap();
    let output = run_with(&dir, &["--inputs=F.npy"]);
    assert_bad(&dir, &output, "Fortran-ordered arrays are not supported");
}

/// The parameter sets of errors.json, each through the CLI: the message is
/// inferno's, exactly.
#[test]
fn invalid_parameters_give_inferno_s_messages() {
    let cases = common::cases_dir();
    let Some(path) = [cases.join("errors.json"), cases.join("../errors.json")]
        .into_iter()
        .find(|path| path.is_file())
    else {
        common::skip(
            "invalid_parameters_give_inferno_s_messages",
            "REQUIRE_GOLDEN_ERRORS",
            "the case set has no errors.json",
        );
        return;
    };
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    let entries = json.as_array().expect("a list");
    assert!(!entries.is_empty());
    let number = |value: &serde_json::Value| match value {
        serde_json::Value::String(text) => text.clone(),
        other => format!("{:?}", other.as_f64().expect("a number")),
    };
    for entry in entries {
        let dir = setup("errors-json");
        let shape: Vec<String> = entry["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|dim| dim.to_string())
            .collect();
        let args = [
            "run".to_owned(),
            format!("--shape={}", shape.join(",")),
            format!("--batch-size={}", entry["batch_size"]),
            format!("--step-time={}", number(&entry["step_time"])),
            format!("--rest-v={}", number(&entry["rest_v"])),
            format!("--thresh-v={}", number(&entry["thresh_v"])),
            "--inputs=X.npy".to_owned(),
            "--out=out".to_owned(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = exact_neuron(&dir, &args);
        let message = entry["inferno_message"].as_str().unwrap();
        assert_eq!(
            stderr(&output),
            format!("exact-neuron: {message}\n"),
            "{args:?}"
        );
        assert_bad(&dir, &output, message);
    }
}

#[test]
fn a_zero_step_time() {
    let dir = setup("step-time");
    let output = exact_neuron(
        &dir,
        &[
            "run",
            "--shape=3,4",
            "--batch-size=2",
            "--step-time=0",
            "--rest-v=-60",
            "--thresh-v=-50",
            "--inputs=X.npy",
            "--out=out",
        ],
    );
    assert_bad(&dir, &output, "'step_time' of 0.0 must be positive");
}

#[test]
fn rest_v_not_below_thresh_v() {
    let dir = setup("voltages");
    let output = exact_neuron(
        &dir,
        &[
            "run",
            "--shape=3",
            "--batch-size=2",
            "--step-time=1",
            "--rest-v=-50",
            "--thresh-v=-50",
            "--inputs=X.npy",
            "--out=out",
        ],
    );
    assert_bad(
        &dir,
        &output,
        "'rest_v' (-50.0) must be less than 'thresh_v' (-50.0)",
    );
}

#[test]
fn a_negative_dimension() {
    let dir = setup("negative-dim");
    let output = exact_neuron(
        &dir,
        &[
            "run",
            "--shape=3,-1",
            "--batch-size=2",
            "--step-time=1",
            "--rest-v=-60",
            "--thresh-v=-50",
            "--inputs=X.npy",
            "--out=out",
        ],
    );
    assert_bad(&dir, &output, "'shape[1]' of -1 must be positive");
}

#[test]
fn a_zero_dimension_and_a_negative_batch_size() {
    let dir = setup("zero-dim");
    let output = exact_neuron(
        &dir,
        &[
            "run",
            "--shape=0",
            "--batch-size=-2",
            "--step-time=1",
            "--rest-v=-60",
            "--thresh-v=-50",
            "--inputs=X.npy",
            "--out=out",
        ],
    );
    // the shape is checked first, as inferno does
    assert_bad(&dir, &output, "'shape[0]' of 0 must be positive");
    let dir = setup("negative-batch");
    let output = exact_neuron(
        &dir,
        &[
            "run",
            "--shape=3",
            "--batch-size=-2",
            "--step-time=1",
            "--rest-v=-60",
            "--thresh-v=-50",
            "--inputs=X.npy",
            "--out=out",
        ],
    );
    assert_bad(&dir, &output, "'batch_size' of -2 must be positive");
}

#[test]
fn a_shape_that_is_not_a_list_of_integers() {
    let dir = setup("shape-text");
    let output = exact_neuron(
        &dir,
        &[
            "run",
            "--shape=3,x",
            "--step-time=1",
            "--rest-v=-60",
            "--thresh-v=-50",
            "--inputs=X.npy",
            "--out=out",
        ],
    );
    assert_bad(&dir, &output, "'x' is not an integer dimension");
}

#[test]
fn a_voltage_that_overflows_the_voltage_dtype() {
    let dir = setup("overflow");
    let output = exact_neuron(
        &dir,
        &[
            "run",
            "--shape=3",
            "--batch-size=2",
            "--step-time=1",
            "--rest-v=-1e39",
            "--thresh-v=-50",
            "--inputs=X.npy",
            "--voltage-dtype=f16",
            "--out=out",
        ],
    );
    assert_bad(
        &dir,
        &output,
        "'rest_v' (-1e+39) cannot be converted to f16 without overflow",
    );
}

#[test]
fn a_number_that_is_not_a_number() {
    let dir = setup("not-a-number");
    let output = exact_neuron(
        &dir,
        &[
            "run",
            "--shape=3",
            "--step-time=fast",
            "--rest-v=-60",
            "--thresh-v=-50",
            "--inputs=X.npy",
            "--out=out",
        ],
    );
    assert_bad(&dir, &output, "invalid value 'fast' for '--step-time");
}

#[test]
fn both_inputs_and_override() {
    let dir = setup("both");
    let output = run_with(&dir, &["--inputs=X.npy", "--override=O.npy"]);
    assert_bad(&dir, &output, "cannot be used with");
}

#[test]
fn neither_inputs_nor_override() {
    let dir = setup("neither");
    let output = run_with(&dir, &[]);
    assert_bad(
        &dir,
        &output,
        "the following required arguments were not provided",
    );
}

#[test]
fn input_dtype_with_an_override() {
    let dir = setup("override-input-dtype");
    let output = run_with(&dir, &["--override=O.npy", "--input-dtype=f16"]);
    assert_bad(
        &dir,
        &output,
        "the argument '--override <O.npy>' cannot be used with '--input-dtype <DTYPE>'",
    );
}

#[test]
fn an_unknown_flag() {
    let dir = setup("unknown-flag");
    let output = run_with(&dir, &["--inputs=X.npy", "--steps=4"]);
    assert_bad(&dir, &output, "unexpected argument '--steps' found");
}

#[test]
fn no_subcommand_and_an_unknown_one() {
    let dir = setup("subcommand");
    let output = exact_neuron(&dir, &[]);
    assert_bad(&dir, &output, "a subcommand is needed");
    let dir = setup("subcommand2");
    let output = exact_neuron(&dir, &["walk"]);
    assert_bad(&dir, &output, "unrecognized subcommand 'walk'");
}

#[test]
fn an_output_path_that_is_a_file() {
    let dir = setup("out-file");
    fs::write(dir.join("taken"), "not a folder").unwrap();
    let mut args = vec!["run"];
    args.extend(PARAMS);
    args.extend(["--inputs=X.npy", "--out=taken"]);
    let output = exact_neuron(&dir, &args);
    assert_eq!(
        fs::read_to_string(dir.join("taken")).unwrap(),
        "not a folder"
    );
    assert_bad(&dir, &output, "--out=taken: exists and is not a folder");
}

#[test]
fn an_existing_output_folder_is_left_alone_on_error() {
    let dir = setup("out-kept");
    fs::create_dir(dir.join("kept")).unwrap();
    fs::write(dir.join("kept/spikes.npy"), "old").unwrap();
    let mut args = vec!["run"];
    args.extend(PARAMS);
    args.extend(["--inputs=nowhere.npy", "--out=kept"]);
    let output = exact_neuron(&dir, &args);
    assert_eq!(output.status.code(), Some(2));
    let entries: Vec<_> = fs::read_dir(dir.join("kept")).unwrap().collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        fs::read_to_string(dir.join("kept/spikes.npy")).unwrap(),
        "old"
    );
    assert_bad(&dir, &output, "cannot read");
}

#[test]
fn cuda_asked_for_where_there_is_none() {
    if exact_neuron::cuda::probe().is_ok() {
        common::note("SKIPPED cuda_asked_for_where_there_is_none: a GPU is present");
        return;
    }
    let dir = setup("no-cuda");
    let output = run_with(&dir, &["--inputs=X.npy", "--device=cuda"]);
    assert_bad(&dir, &output, "--device=cuda: no CUDA");
}
