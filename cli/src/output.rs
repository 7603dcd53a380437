//! Output files that appear all together or not at all.
//!
//! [`Outputs`] is made before any work: it creates the folder (and its
//! missing parents), checks that no output name is taken by a folder, and
//! opens a temporary file for each output beside its final name. That
//! proves the targets writable, so an unwritable one is a bad argument
//! (status 2) found at once, not after the work. The work then writes the
//! temporary files, and [`Outputs::commit`] renames them into place: when a
//! rename fails, the ones already made are undone and the old files put
//! back. Dropped without a commit (an error on the way), it removes its
//! temporary files and the folders it created.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::CliError;

/// One output: its temporary file and its final name.
struct Pending {
    temp: PathBuf,
    target: PathBuf,
    file: Option<File>,
}

/// Output files being written; see the module's description.
pub struct Outputs {
    label: String,
    /// Folders this made, parents first.
    created: Vec<PathBuf>,
    files: Vec<Pending>,
    committed: bool,
}

/// A name beside `target` that no other file or process uses: dot-prefixed,
/// with the process id and a counter.
fn sibling(target: &Path, suffix: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(
        ".{name}.{}-{}.{suffix}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

fn is_folder(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir())
}

impl Outputs {
    /// The files `names` in the folder `dir`, which is created if absent.
    /// `label` names the flag in messages (`--out=DIR`).
    pub fn in_folder(label: &str, dir: &Path, names: &[&str]) -> Result<Self, CliError> {
        let mut outputs = Outputs {
            label: label.to_owned(),
            created: Vec::new(),
            files: Vec::new(),
            committed: false,
        };
        let missing: Vec<&Path> = dir
            .ancestors()
            .filter(|path| !path.as_os_str().is_empty())
            .take_while(|path| fs::symlink_metadata(path).is_err())
            .collect();
        for folder in missing.into_iter().rev() {
            fs::create_dir(folder).map_err(|err| {
                CliError::bad(format!(
                    "{label}: cannot create the folder {}: {err}",
                    folder.display()
                ))
            })?;
            outputs.created.push(folder.to_owned());
        }
        if !dir.is_dir() {
            return Err(CliError::bad(format!(
                "{label}: exists and is not a folder"
            )));
        }
        for name in names {
            outputs.add(&dir.join(name))?;
        }
        Ok(outputs)
    }

    /// The one file `path`, in a folder that must exist.
    pub fn file(label: &str, path: &Path) -> Result<Self, CliError> {
        let folder = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !folder.is_dir() {
            return Err(CliError::bad(format!(
                "{label}: the folder {} does not exist",
                folder.display()
            )));
        }
        let mut outputs = Outputs {
            label: label.to_owned(),
            created: Vec::new(),
            files: Vec::new(),
            committed: false,
        };
        outputs.add(path)?;
        Ok(outputs)
    }

    /// Checks `target` and opens its temporary file.
    fn add(&mut self, target: &Path) -> Result<(), CliError> {
        if is_folder(target) || target.file_name().is_none() {
            return Err(CliError::bad(format!(
                "{}: {} is a folder",
                self.label,
                target.display()
            )));
        }
        let temp = sibling(target, "tmp");
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|err| {
                let folder = target.parent().unwrap_or(Path::new("."));
                CliError::bad(format!(
                    "{}: cannot write in {}: {err}",
                    self.label,
                    folder.display()
                ))
            })?;
        self.files.push(Pending {
            temp,
            target: target.to_owned(),
            file: Some(file),
        });
        Ok(())
    }

    /// Writes output `index` (in the order given) through `write`. A
    /// failure (a full disk) is status 1.
    pub fn write(
        &mut self,
        index: usize,
        write: impl FnOnce(&mut BufWriter<&File>) -> io::Result<()>,
    ) -> Result<(), CliError> {
        let pending = &mut self.files[index];
        let file = pending.file.take().expect("each output is written once");
        let mut out = BufWriter::with_capacity(1 << 20, &file);
        write(&mut out).and_then(|()| out.flush()).map_err(|err| {
            CliError::failed(format!(
                "{}: cannot write {}: {err}",
                self.label,
                pending.target.display()
            ))
        })
    }

    /// Renames every temporary file to its final name: all of them, or
    /// (on a failure, status 1) none, with the old files back in place.
    pub fn commit(mut self) -> Result<(), CliError> {
        // Each old file moves aside first, so that it can come back.
        let mut done: Vec<(&Path, Option<PathBuf>)> = Vec::new();
        let mut failure = None;
        for pending in &self.files {
            let target = pending.target.as_path();
            let backup = match fs::symlink_metadata(target) {
                Ok(meta) if meta.is_dir() => {
                    failure = Some((target, io::Error::other("a folder has taken the name")));
                    break;
                }
                Ok(_) => {
                    let backup = sibling(target, "old");
                    if let Err(err) = fs::rename(target, &backup) {
                        failure = Some((target, err));
                        break;
                    }
                    Some(backup)
                }
                Err(_) => None,
            };
            if let Err(err) = fs::rename(&pending.temp, target) {
                if let Some(backup) = &backup {
                    let _ = fs::rename(backup, target);
                }
                failure = Some((target, err));
                break;
            }
            done.push((target, backup));
        }
        let Some((target, err)) = failure else {
            for (_, backup) in done {
                if let Some(backup) = backup {
                    let _ = fs::remove_file(backup);
                }
            }
            self.committed = true;
            return Ok(());
        };
        for (target, backup) in done.into_iter().rev() {
            let _ = fs::remove_file(target);
            if let Some(backup) = backup {
                let _ = fs::rename(backup, target);
            }
        }
        Err(CliError::failed(format!(
            "{}: cannot write {}: {err} (no output was changed)",
            self.label,
            target.display()
        )))
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for pending in &self.files {
            let _ = fs::remove_file(&pending.temp);
        }
        // only folders left empty go: never anything of someone else's
        for folder in self.created.iter().rev() {
            let _ = fs::remove_dir(folder);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "exact-neuron-output-unit-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn both_files_appear_on_commit() {
        let dir = scratch("commit");
        let out = dir.join("a/b");
        let mut outputs = Outputs::in_folder("--out", &out, &["x", "y"]).unwrap();
        outputs.write(0, |w| w.write_all(b"new x")).unwrap();
        outputs.write(1, |w| w.write_all(b"new y")).unwrap();
        outputs.commit().unwrap();
        assert_eq!(names(&out), ["x", "y"]);
        assert_eq!(fs::read(out.join("y")).unwrap(), b"new y");
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_failed_rename_puts_the_old_files_back() {
        let dir = scratch("rollback");
        fs::write(dir.join("x"), "old x").unwrap();
        let mut outputs = Outputs::in_folder("--out", &dir, &["x", "y"]).unwrap();
        outputs.write(0, |w| w.write_all(b"new x")).unwrap();
        outputs.write(1, |w| w.write_all(b"new y")).unwrap();
        // a folder takes y's name between the check and the rename
        fs::create_dir(dir.join("y")).unwrap();
        fs::write(dir.join("y/inside"), "kept").unwrap();
        let err = outputs.commit().unwrap_err();
        assert_eq!(err.status, 1);
        assert!(
            err.message.contains("no output was changed"),
            "{}",
            err.message
        );
        assert_eq!(fs::read_to_string(dir.join("x")).unwrap(), "old x");
        assert_eq!(fs::read_to_string(dir.join("y/inside")).unwrap(), "kept");
        assert_eq!(names(&dir), ["x", "y"]);
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn dropping_removes_temporary_files_and_new_folders() {
        let dir = scratch("drop");
        let out = dir.join("new/deeper");
        let outputs = Outputs::in_folder("--out", &out, &["x", "y"]).unwrap();
        assert_eq!(names(&out).len(), 2);
        drop(outputs);
        assert!(names(&dir).is_empty());
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn unwritable_targets_are_bad_arguments() {
        let dir = scratch("unwritable");
        fs::write(dir.join("file"), "").unwrap();
        fs::create_dir_all(dir.join("taken/y/z")).unwrap();
        for (path, needle) in [
            (dir.join("file/sub"), "cannot create the folder"),
            (dir.join("file"), "exists and is not a folder"),
            (dir.join("taken"), "is a folder"),
        ] {
            let err = Outputs::in_folder("--out", &path, &["x", "y"])
                .err()
                .unwrap();
            assert_eq!(err.status, 2);
            assert!(err.message.contains(needle), "{}", err.message);
        }
        assert_eq!(names(&dir.join("taken")), ["y"]);
        let err = Outputs::file("--json", &dir.join("missing/j.json"))
            .err()
            .unwrap();
        assert!(err.message.contains("does not exist"), "{}", err.message);
        let err = Outputs::file("--json", &dir.join("taken")).err().unwrap();
        assert!(err.message.contains("is a folder"), "{}", err.message);
        let _ = fs::remove_dir_all(dir);
    }
}
