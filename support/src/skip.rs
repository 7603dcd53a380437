//! How a test that needs something absent says it was skipped.

/// Whether `var` is set to `1` (for example `REQUIRE_GPU=1`).
pub fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|value| value == "1")
}

/// Reports a skipped test on stderr, or fails it when `var=1` demands that
/// it run. Call it and return when what the test needs is absent.
pub fn skip(test: &str, var: &str, why: &str) {
    if required(var) {
        panic!("{test}: {var}=1 but {why}");
    }
    note(&format!(
        "SKIPPED {test}: {why} (set {var}=1 to make this a failure)"
    ));
}

/// Prints a line that shows in the test log even when the test passes.
///
/// Written to the stderr handle directly rather than with `eprintln!`,
/// which the test harness captures and hides for a passing test: a skip or
/// a count of work done must show in every log.
pub fn note(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
