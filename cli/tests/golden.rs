//! inferno's golden cases, replayed bit for bit through the `exact-neuron`
//! binary: `run` with each case's flags, from inside the case folder. The
//! case folder is `EXACT_NEURON_GOLDEN` when set.

use exact_neuron_support::binary as common;

use common::{case_folders, cases_dir, replay_case, replay_case_with, scratch, skip};

fn replay_all(device: &str) {
    let cases = case_folders();
    assert!(
        !cases.is_empty(),
        "no golden cases in {}",
        cases_dir().display()
    );
    let out = scratch(&format!("golden-{device}"));
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            replay_case(case, device, &out.join(&name))
                .err()
                .map(|why| format!("{name}: {why}"))
        })
        .collect();
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        failures.is_empty(),
        "{} of {} cases differ on {device}:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    common::note(&format!(
        "{} golden cases replayed through exact-neuron run --device={device}",
        cases.len()
    ));
}

#[test]
fn every_golden_case_replays_through_the_cli_on_the_cpu() {
    replay_all("cpu");
}

#[test]
fn every_golden_case_replays_through_the_cli_on_cuda() {
    if let Err(why) = exact_neuron::cuda::probe() {
        skip(
            "every_golden_case_replays_through_the_cli_on_cuda",
            "REQUIRE_GPU",
            &why.to_string(),
        );
        return;
    }
    replay_all("cuda");
}

/// The launch plans `run` offers: steps per launch x spike format x fused.
fn combinations() -> Vec<[&'static str; 3]> {
    let mut all = Vec::new();
    for steps in [
        "--steps-per-launch=1",
        "--steps-per-launch=3",
        "--steps-per-launch=all",
    ] {
        for spikes in ["--spikes-out=bytes", "--spikes-out=bits"] {
            for fused in ["--fused", ""] {
                all.push([steps, spikes, fused]);
            }
        }
    }
    all
}

/// Every golden case through every combination of `--steps-per-launch`,
/// `--spikes-out` and `--fused`: the same bits as the expected files (the
/// bit output compared with the expected spikes packed into words).
fn replay_all_combinations(device: &str) {
    let cases = case_folders();
    assert!(
        !cases.is_empty(),
        "no golden cases in {}",
        cases_dir().display()
    );
    let out = scratch(&format!("golden-combinations-{device}"));
    let mut failures = Vec::new();
    let combinations = combinations();
    for (c, flags) in combinations.iter().enumerate() {
        let flags: Vec<&str> = flags.iter().copied().filter(|f| !f.is_empty()).collect();
        for case in &cases {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            if let Err(why) =
                replay_case_with(case, device, &out.join(format!("{c}-{name}")), &flags)
            {
                failures.push(format!("{name} {}: {why}", flags.join(" ")));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        failures.is_empty(),
        "{} of {} replays differ on {device}:\n{}",
        failures.len(),
        cases.len() * combinations.len(),
        failures.join("\n")
    );
    common::note(&format!(
        "{} golden cases x {} launch plans replayed through exact-neuron run --device={device}",
        cases.len(),
        combinations.len()
    ));
}

#[test]
fn every_launch_plan_replays_every_golden_case_on_the_cpu() {
    replay_all_combinations("cpu");
}

#[test]
fn every_launch_plan_replays_every_golden_case_on_cuda() {
    if let Err(why) = exact_neuron::cuda::probe() {
        skip(
            "every_launch_plan_replays_every_golden_case_on_cuda",
            "REQUIRE_GPU",
            &why.to_string(),
        );
        return;
    }
    replay_all_combinations("cuda");
}

#[test]
fn the_hidden_golden_subcommand_agrees() {
    let dir = cases_dir();
    let output = common::exact_neuron(
        &std::env::temp_dir(),
        &[
            "golden",
            "--device=cpu",
            &format!("--cases={}", dir.display()),
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        common::stderr(&output)
    );
    let count = case_folders().len();
    assert!(
        stdout.contains(&format!("{count} passed, 0 failed")),
        "{stdout}"
    );
}
