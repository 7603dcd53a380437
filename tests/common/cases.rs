//! Where the golden cases are. Kept free of dependencies so that the CLI's
//! tests include this same file.

use std::path::{Path, PathBuf};

/// The folder of golden cases to replay: `EXACT_NEURON_GOLDEN` when set,
/// else the shared cases beside the repository at `root`
/// (`../shared/golden/cases`), else a `shared/` folder inside it.
pub fn cases_dir_in(root: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("EXACT_NEURON_GOLDEN") {
        return PathBuf::from(dir);
    }
    let beside = root.join("../shared/golden/cases");
    let inside = root.join("shared/golden/cases");
    if !beside.is_dir() && inside.is_dir() {
        inside
    } else {
        beside
    }
}
