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
    eprintln!("SKIPPED {test}: {why} (set {var}=1 to make this a failure)");
}
