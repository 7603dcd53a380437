//! Where the golden cases are. Kept free of dependencies so that the CLI's
//! tests include this same file.
//!
//! The set lives in the repository, `tests/golden/`: a `cases/` folder of
//! `caseNNN/` folders and `errors.json` beside it. `EXACT_NEURON_GOLDEN`
//! names another set, either its `cases/` folder or the folder holding it.

use std::path::{Path, PathBuf};

/// The variable that names another golden set.
pub const GOLDEN_VAR: &str = "EXACT_NEURON_GOLDEN";

/// Whether `EXACT_NEURON_GOLDEN` names a set other than the repository's.
pub fn golden_overridden() -> bool {
    std::env::var_os(GOLDEN_VAR).is_some()
}

/// The folder of golden cases to replay, for the repository at `root`:
/// `EXACT_NEURON_GOLDEN` (the cases folder, or its parent when that holds
/// a `cases/` folder), else `root/tests/golden/cases`.
pub fn cases_dir_in(root: &Path) -> PathBuf {
    match std::env::var_os(GOLDEN_VAR) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            let inner = dir.join("cases");
            if inner.is_dir() {
                inner
            } else {
                dir
            }
        }
        None => root.join("tests/golden/cases"),
    }
}

/// The `errors.json` of the set whose cases are in `cases`: beside the
/// cases folder, or inside it. `None` when the set has none.
pub fn errors_file_of(cases: &Path) -> Option<PathBuf> {
    [cases.join("../errors.json"), cases.join("errors.json")]
        .into_iter()
        .find(|path| path.is_file())
}
