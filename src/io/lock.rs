//! One run at a time per output folder.
//!
//! Two runs writing into one folder at once could leave files of one beside files of the
//! other (images of one seed beside the ground truth of another), both succeeding. A run
//! takes [`FolderLock`] on its output folder first; a second run into the same folder is
//! refused at once with an error naming the folder. The lock is an advisory lock
//! (`flock`) on the hidden file [`LOCK_NAME`] in the folder: the operating system releases
//! it when the process ends in any way (SIGKILL included), so no stale lock outlives a run.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// Name of the lock file kept in a folder while a run writes into it.
pub const LOCK_NAME: &str = ".cellsdf-lock";

/// An exclusive claim on an output folder for the life of this value. Owns the open lock
/// file; dropping it removes the lock file and, when taking the lock created the folder and
/// the run left it empty, the folder.
#[derive(Debug)]
pub struct FolderLock {
    file: Option<File>,
    path: PathBuf,
    created_dir: bool,
}

impl FolderLock {
    /// Locks `dir` (created, with its parents, when missing) for `operation`. Refuses with
    /// an error naming the folder when another run holds it.
    pub fn acquire(dir: &Path, operation: &str) -> Result<FolderLock> {
        let created_dir = super::output_dir::make_folder(dir)?;
        let path = dir.join(LOCK_NAME);
        // A lock file removed by the run that held it, between our open and our lock, is
        // no lock: open again until the locked file is the one at the path.
        for _ in 0..100 {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    if created_dir {
                        let _ = std::fs::remove_dir(dir);
                    }
                    return Err(Error::invalid(
                        "out",
                        format!(
                            "another cellsdf run is writing into {}; wait for it to end, or \
                             choose another folder for this {operation}",
                            dir.display()
                        ),
                    ));
                }
                Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
            if same_file(&file, &path) {
                return Ok(FolderLock {
                    file: Some(file),
                    path,
                    created_dir,
                });
            }
        }
        Err(Error::io(
            &path,
            std::io::Error::other("the lock file keeps changing; is another run starting?"),
        ))
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    // Windows does not let a locked open file be removed: the path is the file.
    path.exists()
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Remove while still holding the lock, so no waiting run locks a removed file.
        let _ = std::fs::remove_file(&self.path);
        drop(self.file.take());
        if self.created_dir {
            if let Some(dir) = self.path.parent() {
                let _ = std::fs::remove_dir(dir); // only when empty
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_into_a_locked_folder_is_refused_until_the_first_ends() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("sim");
        let first = FolderLock::acquire(&dir, "simulate").unwrap();
        let e = FolderLock::acquire(&dir, "simulate")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("another cellsdf run") && e.contains("sim"),
            "{e}"
        );
        drop(first);
        // The folder it created held nothing else: it is gone, and the lock with it.
        assert!(!dir.exists());
        let again = FolderLock::acquire(&dir, "simulate").unwrap();
        std::fs::write(dir.join("t000.tif"), b"x").unwrap();
        drop(again);
        assert!(dir.join("t000.tif").exists() && !dir.join(LOCK_NAME).exists());
    }

    #[test]
    fn a_file_is_not_a_folder_to_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("x");
        std::fs::write(&f, b"mine").unwrap();
        assert!(FolderLock::acquire(&f, "simulate").is_err());
        assert_eq!(std::fs::read(&f).unwrap(), b"mine");
    }
}
