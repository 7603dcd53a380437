//! inferno's golden cases (`tests/golden/`), replayed bit for bit through
//! the library API on the CPU backend. `EXACT_NEURON_GOLDEN` names another
//! set.

mod common;

use common::golden::{load_cases, load_errors, replay};
use common::skip::note;
use exact_neuron::{CpuNeuron, Error};

#[test]
fn every_golden_case_replays_bit_for_bit_on_the_cpu() {
    let cases = load_cases();
    assert!(
        !cases.is_empty(),
        "no golden cases in {}",
        common::golden::cases_dir().display()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| replay(case, CpuNeuron::cpu).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    note(&format!("{} golden cases replayed on the CPU", cases.len()));
}

#[test]
fn the_repository_set_has_forty_cases_and_errors_json() {
    if common::cases::golden_overridden() {
        note("SKIPPED the_repository_set_has_forty_cases_and_errors_json: EXACT_NEURON_GOLDEN names another set");
        return;
    }
    assert_eq!(load_cases().len(), 40);
    assert!(
        load_errors().is_some_and(|errors| !errors.is_empty()),
        "no errors.json beside {}",
        common::golden::cases_dir().display()
    );
}

#[test]
fn every_golden_error_gives_inferno_s_message() {
    let Some(errors) = load_errors() else {
        // The repository's set has one; only another set may lack it.
        assert!(
            common::cases::golden_overridden(),
            "no errors.json beside {}",
            common::golden::cases_dir().display()
        );
        note("SKIPPED every_golden_error_gives_inferno_s_message: the case set has no errors.json");
        return;
    };
    assert!(!errors.is_empty());
    for case in errors {
        match CpuNeuron::cpu(&case.params) {
            Err(Error::InvalidArgument(message)) => {
                assert_eq!(message, case.message, "{:?}", case.params)
            }
            Err(other) => panic!(
                "{:?}: expected an invalid argument, got {other}",
                case.params
            ),
            Ok(_) => panic!("{:?}: accepted, inferno says {}", case.params, case.message),
        }
        // the validation alone gives the same text
        assert_eq!(
            case.params.validate().unwrap_err().to_string(),
            case.message
        );
    }
}
