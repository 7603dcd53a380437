//! The repository stands alone: no tracked file refers to a folder beside
//! the checkout (the golden cases and the contract live inside it, in
//! `tests/golden/` and `docs/SPEC.md`), nor to the absolute path of a
//! machine it was written on.

mod common;

use std::path::Path;
use std::process::Command;

use common::skip::note;

/// What a tracked file must not contain. Built at run time so that this
/// file does not match itself.
fn forbidden() -> Vec<String> {
    vec![
        // a folder beside the repository root, e.g. the golden cases' old home
        ["..", "/shared"].concat(),
        // the absolute path of the machine the sessions worked on
        ["/wo", "rk/"].concat(),
    ]
}

#[test]
fn no_tracked_file_refers_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output();
    let files = match listed {
        Ok(output) if output.status.success() => output.stdout,
        Ok(output) => {
            return note(&format!(
                "SKIPPED no_tracked_file_refers_outside_the_repository: not a git checkout ({})",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Err(err) => {
            return note(&format!(
                "SKIPPED no_tracked_file_refers_outside_the_repository: no git ({err})"
            ));
        }
    };
    let patterns = forbidden();
    let mut scanned = 0;
    let mut found = Vec::new();
    for name in files.split(|&b| b == 0).filter(|name| !name.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        // A file deleted in the working tree but still tracked: nothing to scan.
        let Ok(bytes) = std::fs::read(root.join(&name)) else {
            continue;
        };
        scanned += 1;
        let text = String::from_utf8_lossy(&bytes);
        for (number, line) in text.lines().enumerate() {
            for pattern in &patterns {
                if line.contains(pattern.as_str()) {
                    found.push(format!("{name}:{}: {}", number + 1, line.trim()));
                }
            }
        }
    }
    assert!(scanned > 0, "git ls-files listed no readable file");
    assert!(
        found.is_empty(),
        "tracked files refer outside the repository ({}):\n{}",
        patterns.join(", "),
        found.join("\n")
    );
    note(&format!(
        "{scanned} tracked files scanned for references outside the repository"
    ));
}
