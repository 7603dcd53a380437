//! Hostile `.npy` files through `exact-neuron run`: each is refused with
//! status 2 and one short, clean line (or, where numpy would read it,
//! read as numpy does), in bounded time and memory, writing nothing.

use exact_neuron_support::binary as common;
use exact_neuron_support::hostile as support;

use std::fs;
use std::path::Path;

use common::{read_npy_raw, scratch};
use support::{dict, exact_neuron_in_memory, exact_neuron_limited, npy_bytes, one_clean_line};

/// `run --shape=3 --batch-size=2 ... FLAG --out=out` on the CPU.
fn run(dir: &Path, flag: &str) -> support::Outcome {
    exact_neuron_limited(
        dir,
        &[
            "run",
            "--shape=3",
            "--batch-size=2",
            "--step-time=1",
            "--rest-v=-60",
            "--thresh-v=-50",
            "--device=cpu",
            flag,
            "--out=out",
        ],
    )
}

/// Status 2, one clean line holding `needle` and at most `max_len`
/// characters, nothing on stdout, no output folder.
#[track_caller]
fn assert_refused(dir: &Path, outcome: &support::Outcome, needle: &str, max_len: usize) {
    assert!(
        outcome.status.is_some(),
        "a hang: killed after {:?}",
        outcome.elapsed
    );
    assert_eq!(outcome.code(), Some(2), "stderr: {:?}", outcome.stderr);
    let line = one_clean_line(&outcome.stderr, needle);
    assert!(
        line.contains(needle),
        "{line:?} does not contain {needle:?}"
    );
    assert!(
        line.chars().count() <= max_len,
        "a line of {} characters: {line}",
        line.chars().count()
    );
    assert!(outcome.stdout.is_empty());
    assert!(!dir.join("out").exists(), "an output folder was written");
}

/// Six u8 override values per step, two steps.
const OVERRIDE_DATA: [u8; 12] = [0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 2];

#[test]
fn nested_brackets_in_an_extra_key_take_linear_time() {
    let dir = scratch("nested-ok");
    // 30 levels inside the header's dict: allowed, and read at once (the
    // old grammar took time doubling per level: hours at 30)
    let nested = format!("'x': {}{}, ", "[".repeat(30), "]".repeat(30));
    let file = npy_bytes(1, &dict("|u1", "(2, 6)", &nested), &OVERRIDE_DATA);
    fs::write(dir.join("O.npy"), file).unwrap();
    let outcome = run(&dir, "--override=O.npy");
    assert!(
        outcome.status.is_some(),
        "a hang: killed after {:?}",
        outcome.elapsed
    );
    assert_eq!(outcome.code(), Some(0), "{}", outcome.stderr);
    let (_, shape, spikes) = read_npy_raw(&dir.join("out/spikes.npy"));
    assert_eq!(shape, vec![2, 2, 3]);
    assert_eq!(spikes, [0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 1]);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn deeper_nesting_is_refused_with_a_short_line() {
    for depth in [40, 100_000] {
        let dir = scratch("nested-deep");
        let nested = format!("'x': {}{}, ", "[".repeat(depth), "]".repeat(depth));
        let file = npy_bytes(2, &dict("|u1", "(2, 6)", &nested), &OVERRIDE_DATA);
        fs::write(dir.join("O.npy"), file).unwrap();
        let outcome = run(&dir, "--override=O.npy");
        assert_refused(&dir, &outcome, "containers nested more than 32 deep", 300);
        let _ = fs::remove_dir_all(&dir);
    }
}

#[test]
fn an_overflowing_shape_is_refused() {
    for shape in [
        "(0, 9223372036854775820, 2)",
        "(0, 4611686018427387904, 4)",
        "(4294967296, 4294967296, 0)",
    ] {
        let dir = scratch("overflow");
        let file = npy_bytes(1, &dict("|u1", shape, ""), &[]);
        fs::write(dir.join("O.npy"), file).unwrap();
        let outcome = run(&dir, "--override=O.npy");
        assert_refused(&dir, &outcome, "too large", 300);
        let _ = fs::remove_dir_all(&dir);
    }
}

#[test]
fn control_characters_of_a_header_are_escaped_and_long_quotes_cut() {
    let dir = scratch("control");
    let file = npy_bytes(1, &dict("\x1b[31m<i4\x07\\x00", "(2, 2, 3)", ""), &[0; 48]);
    fs::write(dir.join("X.npy"), file).unwrap();
    let outcome = run(&dir, "--inputs=X.npy");
    assert_refused(
        &dir,
        &outcome,
        "dtype '\\x1b[31m<i4\\x07\\0' is not a float type",
        300,
    );
    // a header of garbage: the message quotes a little of it
    let garbage: String = (0..20_000)
        .map(|i| char::from(b"\x1b\x07 ab["[i % 6]))
        .collect();
    let file = npy_bytes(1, &format!("{{'descr': {garbage}"), &[]);
    fs::write(dir.join("G.npy"), file).unwrap();
    let outcome = run(&dir, "--inputs=G.npy");
    assert_refused(&dir, &outcome, "not a valid .npy file", 300);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn dev_zero_is_refused_at_once() {
    let dir = scratch("dev-zero");
    let outcome = exact_neuron_in_memory(
        &dir,
        512,
        &[
            "run",
            "--shape=3",
            "--step-time=1",
            "--rest-v=-60",
            "--thresh-v=-50",
            "--device=cpu",
            "--inputs=/dev/zero",
            "--out=out",
        ],
    );
    assert_refused(
        &dir,
        &outcome,
        "--inputs=/dev/zero: not a valid .npy file",
        300,
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_bool_byte_other_than_1_is_a_spike() {
    // numpy reads any nonzero byte as True, and the override rule is != 0
    let dir = scratch("bool-bytes");
    let file = npy_bytes(1, &dict("|b1", "(2, 6)", ""), &OVERRIDE_DATA);
    fs::write(dir.join("B.npy"), file).unwrap();
    let outcome = run(&dir, "--override=B.npy");
    assert_eq!(outcome.code(), Some(0), "{}", outcome.stderr);
    let (_, _, spikes) = read_npy_raw(&dir.join("out/spikes.npy"));
    assert_eq!(spikes, [0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 1]);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_file_longer_than_its_header_announces_is_refused() {
    let dir = scratch("too-long");
    let mut data = OVERRIDE_DATA.to_vec();
    data.push(7);
    fs::write(
        dir.join("O.npy"),
        npy_bytes(1, &dict("|u1", "(2, 6)", ""), &data),
    )
    .unwrap();
    let outcome = run(&dir, "--override=O.npy");
    assert_refused(
        &dir,
        &outcome,
        "1 bytes after the 12 bytes of data that shape (2, 6) of uint8 needs",
        300,
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_header_length_beyond_the_file_is_refused_before_reading() {
    let dir = scratch("header-length");
    let mut file = npy_bytes(2, &dict("|u1", "(2, 6)", ""), &OVERRIDE_DATA);
    file[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    fs::write(dir.join("O.npy"), &file).unwrap();
    let outcome = exact_neuron_in_memory(
        &dir,
        512,
        &[
            "run",
            "--shape=6",
            "--step-time=1",
            "--rest-v=-60",
            "--thresh-v=-50",
            "--device=cpu",
            "--override=O.npy",
            "--out=out",
        ],
    );
    assert_refused(&dir, &outcome, "a header of 4294967295 bytes", 300);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn fortran_order_is_refused_whatever_the_shape() {
    // numpy says Fortran order only of an array that is not C-contiguous;
    // the tool reads C order alone, and refuses the flag rather than guess
    // (even where, as for (1, 6), both orders lay out the data alike)
    let dir = scratch("fortran-any");
    let dict = "{'descr': '|u1', 'fortran_order': True, 'shape': (1, 6), }";
    fs::write(dir.join("O.npy"), npy_bytes(1, dict, &OVERRIDE_DATA[..6])).unwrap();
    let outcome = run(&dir, "--override=O.npy");
    assert_refused(
        &dir,
        &outcome,
        "Fortran-ordered arrays are not supported",
        300,
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn format_versions_2_and_3_and_big_endian_data_are_read() {
    let dir = scratch("versions");
    let values: Vec<f32> = (0..12).map(|i| i as f32 - 5.5).collect();
    let big: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    let little: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    for (name, version, dict, data) in [
        ("v2.npy", 2, dict("<f4", "(2, 2, 3)", ""), &little),
        (
            "v3.npy",
            3,
            dict("<f4", "(2, 2, 3)", "'note': 'caf\u{e9}', "),
            &little,
        ),
        ("be.npy", 1, dict(">f4", "(2, 2, 3)", ""), &big),
    ] {
        fs::write(dir.join(name), npy_bytes(version, &dict, data)).unwrap();
        let outcome = run(&dir, &format!("--inputs={name}"));
        assert_eq!(outcome.code(), Some(0), "{name}: {}", outcome.stderr);
        let (_, _, spikes) = read_npy_raw(&dir.join("out/spikes.npy"));
        let expected: Vec<u8> = values.iter().map(|&v| u8::from(v > 0.0)).collect();
        assert_eq!(spikes, expected, "{name}");
        fs::remove_dir_all(dir.join("out")).unwrap();
    }
    let _ = fs::remove_dir_all(&dir);
}
