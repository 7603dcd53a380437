//! Output targets: one that cannot be written is refused (status 2, one
//! line) before any work; `run` replaces both outputs or neither; a failed
//! write to stdout is status 1 with one line, a closed pipe a quiet end;
//! zero steps write empty outputs without work.

use exact_neuron_support::binary as common;
use exact_neuron_support::hostile as support;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{bin, cases_dir, read_npy_raw, scratch, write_npy};
use support::{
    exact_neuron_in_memory, exact_neuron_limited, npy_bytes, one_clean_line, run_limited,
    TIME_LIMIT,
};

const RUN: [&str; 7] = [
    "run",
    "--shape=3",
    "--batch-size=2",
    "--step-time=1",
    "--rest-v=-60",
    "--thresh-v=-50",
    "--device=cpu",
];

/// A scratch folder with X.npy, valid inputs for [`RUN`] over two steps.
fn setup(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let x: Vec<f32> = (0..12).map(|i| i as f32 - 5.5).collect();
    write_npy(&dir.join("X.npy"), &[2, 2, 3], &x);
    dir
}

fn run_to(dir: &Path, out: &str) -> support::Outcome {
    let out = format!("--out={out}");
    let mut args = RUN.to_vec();
    args.extend(["--inputs=X.npy", &out]);
    exact_neuron_limited(dir, &args)
}

#[track_caller]
fn assert_status_2(outcome: &support::Outcome, needle: &str) {
    assert_eq!(outcome.code(), Some(2), "stderr: {:?}", outcome.stderr);
    let line = one_clean_line(&outcome.stderr, needle);
    assert!(
        line.contains(needle),
        "{line:?} does not contain {needle:?}"
    );
    assert!(outcome.stdout.is_empty());
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn an_out_folder_that_cannot_be_made_is_status_2() {
    let dir = setup("out-unmakeable");
    fs::write(dir.join("some_file"), "kept").unwrap();
    let outcome = run_to(&dir, "some_file/sub");
    assert_status_2(
        &outcome,
        "--out=some_file/sub: cannot create the folder some_file/sub",
    );
    assert_eq!(fs::read_to_string(dir.join("some_file")).unwrap(), "kept");
    let outcome = run_to(&dir, "/proc/x");
    assert_status_2(&outcome, "--out=/proc/x: cannot create the folder /proc/x");
    let outcome = run_to(&dir, "new/deeper/still/some_file/..");
    assert_eq!(outcome.code(), Some(2), "{}", outcome.stderr);
    assert!(
        !dir.join("new").exists(),
        "the folders made were not removed"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_folder_named_like_an_output_leaves_the_out_folder_as_it_was() {
    let dir = setup("out-taken");
    fs::create_dir_all(dir.join("o/voltage.npy")).unwrap();
    fs::write(dir.join("o/voltage.npy/inside"), "kept").unwrap();
    fs::write(dir.join("o/spikes.npy"), "old").unwrap();
    let outcome = run_to(&dir, "o");
    assert_status_2(&outcome, "o/voltage.npy is a folder");
    assert_eq!(names(&dir.join("o")), ["spikes.npy", "voltage.npy"]);
    assert_eq!(fs::read_to_string(dir.join("o/spikes.npy")).unwrap(), "old");
    assert_eq!(names(&dir.join("o/voltage.npy")), ["inside"]);
    // an empty folder of that name is not replaced either
    let dir2 = setup("out-taken-empty");
    fs::create_dir_all(dir2.join("o/spikes.npy")).unwrap();
    let outcome = run_to(&dir2, "o");
    assert_status_2(&outcome, "o/spikes.npy is a folder");
    assert_eq!(names(&dir2.join("o")), ["spikes.npy"]);
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::remove_dir_all(&dir2);
}

#[test]
fn an_unwritable_json_target_is_status_2_before_the_bench() {
    let dir = scratch("json-unwritable");
    fs::create_dir(dir.join("taken.json")).unwrap();
    for (json, needle) in [
        (
            "--json=/sys/x.json",
            "--json=/sys/x.json: cannot write in /sys",
        ),
        (
            "--json=taken.json",
            "--json=taken.json: taken.json is a folder",
        ),
    ] {
        let outcome = exact_neuron_limited(&dir, &["bench", "--device=cpu", "--sizes=2^26", json]);
        assert!(outcome.status.is_some(), "{json}: the bench ran");
        assert_status_2(&outcome, needle);
    }
    assert_eq!(names(&dir), ["taken.json"]);
    let _ = fs::remove_dir_all(&dir);
}

/// Runs the binary with stdout on /dev/full (a shell redirect: the
/// limited run's own stdout file is then the shell's, left empty).
fn to_full_disk(dir: &Path, args: &[&str]) -> support::Outcome {
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg("exec \"$0\" \"$@\" > /dev/full")
        .arg(bin())
        .args(args)
        .current_dir(dir);
    run_limited(shell, dir, TIME_LIMIT)
}

/// Runs the binary with stdout a pipe that has no reader; returns the
/// status and stderr.
fn to_closed_pipe(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    // The pipe's reader is `true`, gone before the binary starts: every
    // write to the pipe then fails with EPIPE, whatever the timing.
    let mut reader = Command::new("true")
        .stdin(Stdio::piped())
        .spawn()
        .expect("true starts");
    let pipe = reader.stdin.take().expect("a pipe");
    reader.wait().expect("true ends");
    let output = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(pipe))
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_full_disk_on_stdout_is_status_1_with_one_line() {
    let dir = scratch("full");
    write_npy(&dir.join("a.npy"), &[2], &[1.0f32, 2.0]);
    let golden = format!("--cases={}", cases_dir().display());
    for args in [
        &["bench", "--device=cpu", "--sizes=1024", "--reps=1"][..],
        &["compare", "a.npy", "a.npy"][..],
        &["golden", "--device=cpu", &golden][..],
        &["run", "--help"][..],
    ] {
        let outcome = to_full_disk(&dir, args);
        assert_eq!(outcome.code(), Some(1), "{args:?}: {:?}", outcome.stderr);
        let last = outcome.stderr.lines().last().unwrap_or_default().to_owned() + "\n";
        let line = one_clean_line(&last, &format!("{args:?}"));
        assert!(
            line.contains("cannot write to stdout: No space left on device"),
            "{line}"
        );
        assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_closed_pipe_on_stdout_ends_quietly() {
    let dir = scratch("pipe");
    write_npy(&dir.join("a.npy"), &[2], &[1.0f32, 2.0]);
    let golden = format!("--cases={}", cases_dir().display());
    for args in [
        &["bench", "--device=cpu", "--sizes=1024", "--reps=1"][..],
        &["compare", "a.npy", "a.npy"][..],
        &["golden", "--device=cpu", &golden][..],
        &["run", "--help"][..],
    ] {
        let (status, stderr) = to_closed_pipe(&dir, args);
        assert_eq!(status, Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("stdout"), "{args:?}: {stderr}");
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_full_disk_on_stderr_does_not_panic() {
    let dir = scratch("stderr-full");
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg("exec \"$0\" \"$@\" 2> /dev/full")
        .arg(bin())
        .args(["run", "--shape=x"])
        .current_dir(&dir);
    let outcome = run_limited(shell, &dir, TIME_LIMIT);
    assert_eq!(outcome.code(), Some(2));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn zero_steps_do_no_work_for_a_huge_shape() {
    // (0, 1, 32768, 65536): a header-only file of 128 bytes; the neuron
    // state alone would be 2 GiB, and memory is limited to 512 MiB here
    let dir = scratch("zero-steps-huge");
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1, 32768, 65536), }";
    let file = npy_bytes(1, dict, &[]);
    assert_eq!(file.len(), 128);
    fs::write(dir.join("X.npy"), file).unwrap();
    let outcome = exact_neuron_in_memory(
        &dir,
        512,
        &[
            "run",
            "--shape=32768,65536",
            "--step-time=1",
            "--rest-v=-60",
            "--thresh-v=-50",
            "--device=cpu",
            "--inputs=X.npy",
            "--out=o",
        ],
    );
    assert_eq!(outcome.code(), Some(0), "{}", outcome.stderr);
    for name in ["spikes.npy", "voltage.npy"] {
        let (_, shape, data) = read_npy_raw(&dir.join("o").join(name));
        assert_eq!((shape, data.len()), (vec![0, 1, 32768, 65536], 0), "{name}");
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_write_in_run_is_status_1_and_changes_nothing() {
    // Files may grow to 1 KiB at most (`ulimit -f 2`, in 512-byte blocks;
    // SIGXFSZ ignored, so that the write fails with EFBIG instead of
    // killing the process): voltage.npy would need 2528 bytes.
    let dir = scratch("efbig");
    write_npy(&dir.join("X.npy"), &[100, 2, 3], &[1.0f32; 600]);
    fs::create_dir(dir.join("o")).unwrap();
    fs::write(dir.join("o/spikes.npy"), "old").unwrap();
    for out in ["o", "new/o"] {
        let mut shell = Command::new("sh");
        shell
            .arg("-c")
            .arg("trap '' XFSZ; ulimit -f 2 && exec \"$0\" \"$@\"")
            .arg(bin())
            .args(RUN)
            .args(["--inputs=X.npy", &format!("--out={out}")])
            .current_dir(&dir);
        let outcome = run_limited(shell, &dir, TIME_LIMIT);
        assert_eq!(outcome.code(), Some(1), "{out}: {:?}", outcome.stderr);
        let line = one_clean_line(&outcome.stderr, out);
        assert!(line.contains("cannot write"), "{line}");
    }
    assert_eq!(names(&dir.join("o")), ["spikes.npy"]);
    assert_eq!(fs::read_to_string(dir.join("o/spikes.npy")).unwrap(), "old");
    assert!(
        !dir.join("new").exists(),
        "the folders made were not removed"
    );
    let _ = fs::remove_dir_all(&dir);
}
