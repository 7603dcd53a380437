//! What `exact-neuron run` writes, beyond the golden cases: the layout of
//! its outputs, the 0-d shape, zero steps, conversions, replacing old
//! outputs, and what `--device=auto` says.

use exact_neuron_support::binary as common;

use std::fs;

use common::{exact_neuron, read_npy_raw, scratch, stderr, write_npy};
use exact_neuron::half::bf16;
use exact_neuron::{CpuNeuron, NeuronParams};

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["run", "--step-time=1.0", "--rest-v=-60", "--thresh-v=-50"];
    args.extend(extra);
    args
}

#[test]
fn outputs_have_the_batched_shape_per_step_and_match_the_library() {
    let dir = scratch("layout");
    let x: Vec<f32> = (0..3 * 2 * 12)
        .map(|i| {
            if i % 3 == 0 {
                f32::NAN
            } else {
                (i as f32 - 30.0) / 7.0
            }
        })
        .collect();
    write_npy(&dir.join("X.npy"), &[3, 2, 3, 4], &x);
    let output = exact_neuron(
        &dir,
        &args(&[
            "--shape=3,4",
            "--batch-size=2",
            "--inputs=X.npy",
            "--voltage-dtype=f64",
            "--device=cpu",
            "--out=result",
        ]),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let (dtype, shape, spikes) = read_npy_raw(&dir.join("result/spikes.npy"));
    assert_eq!(
        (dtype.as_str(), shape.as_slice()),
        ("|b1", &[3u64, 2, 3, 4][..])
    );
    let (dtype, shape, voltage) = read_npy_raw(&dir.join("result/voltage.npy"));
    assert_eq!(
        (dtype.as_str(), shape.as_slice()),
        ("<f8", &[3u64, 2, 3, 4][..])
    );

    let params = NeuronParams::new([3, 4], 1.0, -60.0, -50.0).with_batch_size(2);
    let mut neuron = CpuNeuron::cpu(&params).unwrap();
    for t in 0..3 {
        let step = &x[t * 24..(t + 1) * 24];
        let expected = neuron.forward::<f32>(step).unwrap().clone();
        assert_eq!(&spikes[t * 24..(t + 1) * 24], &expected[..]);
        let expected: Vec<u8> = neuron
            .voltage::<f64>()
            .unwrap()
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(&voltage[t * 24 * 8..(t + 1) * 24 * 8], &expected[..]);
    }
    // no temporary files are left behind
    let names: Vec<String> = fs::read_dir(dir.join("result"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_shape_is_a_single_neuron() {
    let dir = scratch("zero-d");
    write_npy(
        &dir.join("X.npy"),
        &[2, 3],
        &[1.0f64, -1.0, 0.0, 5e-324, -0.0, 2.0],
    );
    let output = exact_neuron(
        &dir,
        &args(&[
            "--shape=",
            "--batch-size=3",
            "--inputs=X.npy",
            "--device=cpu",
            "--out=o",
        ]),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, shape, spikes) = read_npy_raw(&dir.join("o/spikes.npy"));
    assert_eq!(shape, vec![2, 3]);
    assert_eq!(spikes, vec![1, 0, 0, 1, 0, 1]);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn zero_steps_give_empty_outputs() {
    let dir = scratch("zero-steps");
    write_npy::<u8>(&dir.join("O.npy"), &[0, 4], &[]);
    let output = exact_neuron(
        &dir,
        &args(&[
            "--shape=2",
            "--batch-size=2",
            "--override=O.npy",
            "--device=cpu",
            "--out=o",
        ]),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, shape, spikes) = read_npy_raw(&dir.join("o/spikes.npy"));
    assert_eq!((shape, spikes.len()), (vec![0, 2, 2], 0));
    let (dtype, shape, _) = read_npy_raw(&dir.join("o/voltage.npy"));
    assert_eq!((dtype.as_str(), shape), ("<f4", vec![0, 2, 2]));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn f64_inputs_narrow_to_bf16_with_one_rounding() {
    // bf16's smallest subnormal is 2^-133. A hair above half of it rounds
    // up to it (a spike); exactly half rounds to even, +0 (no spike).
    // Rounding through f32 first would lose the hair and give no spike.
    let dir = scratch("bf16");
    let half = 2f64.powi(-134);
    let x = [half * (1.0 + 2f64.powi(-40)), half, -half * 3.0, 1.0];
    write_npy(&dir.join("X.npy"), &[1, 1, 4], &x);
    let output = exact_neuron(
        &dir,
        &args(&[
            "--shape=4",
            "--inputs=X.npy",
            "--input-dtype=bf16",
            "--voltage-dtype=bf16",
            "--device=cpu",
            "--out=o",
        ]),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, _, spikes) = read_npy_raw(&dir.join("o/spikes.npy"));
    assert_eq!(spikes, vec![1, 0, 0, 1]);
    // bf16 voltage is written widened to f32, exactly
    let (dtype, _, voltage) = read_npy_raw(&dir.join("o/voltage.npy"));
    assert_eq!(dtype, "<f4");
    let thresh = f32::from(bf16::from_f32(-50.0)).to_le_bytes();
    let rest = f32::from(bf16::from_f32(-60.0)).to_le_bytes();
    assert_eq!(voltage, [thresh, rest, rest, thresh].concat());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn overrides_of_every_file_type() {
    let dir = scratch("override-types");
    write_npy(&dir.join("b.npy"), &[1, 4], &[true, false, true, false]);
    write_npy(&dir.join("u.npy"), &[1, 4], &[0u8, 255, 1, 0]);
    write_npy(
        &dir.join("f.npy"),
        &[1, 2, 2],
        &[f32::NAN, -0.0, 1e-45, 0.0],
    );
    write_npy(
        &dir.join("d.npy"),
        &[1, 4],
        &[0.0f64, -0.0, f64::NEG_INFINITY, 1.0],
    );
    write_npy(
        &dir.join("h.npy"),
        &[1, 4],
        &[
            exact_neuron::half::f16::NEG_ZERO,
            exact_neuron::half::f16::NAN,
            exact_neuron::half::f16::ONE,
            exact_neuron::half::f16::ZERO,
        ],
    );
    for (file, expected) in [
        ("b.npy", [1, 0, 1, 0]),
        ("u.npy", [0, 1, 1, 0]),
        ("f.npy", [1, 0, 1, 0]),
        ("d.npy", [0, 0, 1, 1]),
        ("h.npy", [0, 1, 1, 0]),
    ] {
        let out = format!("--out=o-{file}");
        let flag = format!("--override={file}");
        let output = exact_neuron(
            &dir,
            &args(&[
                "--shape=2,2",
                &flag,
                "--voltage-dtype=f16",
                "--device=cpu",
                &out,
            ]),
        );
        assert!(output.status.success(), "{file}: {}", stderr(&output));
        let (_, shape, spikes) = read_npy_raw(&dir.join(format!("o-{file}/spikes.npy")));
        assert_eq!(shape, vec![1, 1, 2, 2]);
        assert_eq!(spikes, expected, "{file}");
        let (dtype, _, _) = read_npy_raw(&dir.join(format!("o-{file}/voltage.npy")));
        assert_eq!(dtype, "<f2");
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn old_outputs_are_replaced() {
    let dir = scratch("replace");
    fs::create_dir(dir.join("o")).unwrap();
    fs::write(dir.join("o/spikes.npy"), "old").unwrap();
    fs::write(dir.join("o/voltage.npy"), "old").unwrap();
    write_npy(&dir.join("X.npy"), &[1, 1, 2], &[1.0f32, -1.0]);
    let output = exact_neuron(
        &dir,
        &args(&["--shape=2", "--inputs=X.npy", "--device=cpu", "--out=o"]),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(read_npy_raw(&dir.join("o/spikes.npy")).2, vec![1, 0]);
    assert_eq!(read_npy_raw(&dir.join("o/voltage.npy")).1, vec![1, 1, 2]);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn auto_says_which_device_it_took() {
    let dir = scratch("auto");
    write_npy(&dir.join("X.npy"), &[1, 1, 2], &[1.0f32, -1.0]);
    let output = exact_neuron(&dir, &args(&["--shape=2", "--inputs=X.npy", "--out=o"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    let expected = if exact_neuron::cuda::probe().is_ok() {
        "exact-neuron: --device=auto: using CUDA"
    } else {
        "exact-neuron: --device=auto: using the CPU"
    };
    assert!(err.starts_with(expected), "{err}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn compare_tells_same_from_different() {
    let dir = scratch("compare");
    write_npy(&dir.join("a.npy"), &[2], &[1.0f32, 2.0]);
    write_npy(&dir.join("b.npy"), &[2], &[1.0f32, 2.0]);
    write_npy(&dir.join("c.npy"), &[2], &[1.0f32, -2.0]);
    write_npy(&dir.join("d.npy"), &[2], &[1.0f64, 2.0]);
    let same = exact_neuron(&dir, &["compare", "a.npy", "b.npy"]);
    assert!(same.status.success(), "{}", stderr(&same));
    let differ = exact_neuron(&dir, &["compare", "a.npy", "c.npy"]);
    assert_eq!(differ.status.code(), Some(1));
    assert!(stderr(&differ).contains("element 1 has bits 0x40000000, expected 0xc0000000"));
    let dtype = exact_neuron(&dir, &["compare", "a.npy", "d.npy"]);
    assert_eq!(dtype.status.code(), Some(1));
    assert!(stderr(&dtype).contains("dtype '<f4', expected '<f8'"));
    let missing = exact_neuron(&dir, &["compare", "a.npy", "e.npy"]);
    assert_eq!(missing.status.code(), Some(2));
    let _ = fs::remove_dir_all(&dir);
}
