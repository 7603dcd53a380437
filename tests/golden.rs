//! inferno's golden cases, replayed bit for bit through the library API on
//! the CPU backend. The case folder is `EXACT_NEURON_GOLDEN` when set.

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
fn the_shared_set_has_forty_cases() {
    if std::env::var_os("EXACT_NEURON_GOLDEN").is_some() {
        note("SKIPPED the_shared_set_has_forty_cases: EXACT_NEURON_GOLDEN names another set");
        return;
    }
    assert_eq!(load_cases().len(), 40);
}

#[test]
fn every_golden_error_gives_inferno_s_message() {
    let Some(errors) = load_errors() else {
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
