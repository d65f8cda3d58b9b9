//! Output folders under one rule: a cellsdf command never deletes or overwrites a file that
//! cellsdf did not write.
//!
//! Every folder cellsdf writes into keeps a small index, [`INDEX_NAME`], listing the file
//! names cellsdf wrote there (one per line). A file of that folder may be replaced only when
//! the index lists it, or when the caller asked to overwrite (`--overwrite`); every other
//! file is left alone, and nothing is ever deleted. Names are claimed up front, before any
//! work, so a conflict is reported before minutes of computation and before anything is
//! written. The files themselves are written atomically ([`super::write_atomic`]).

use super::atomic::write_bytes_atomic;
use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Name of the index of cellsdf-written files kept in each output folder.
pub const INDEX_NAME: &str = ".cellsdf-outputs";

/// Largest index read (bytes); a larger one is not ours and is treated as a format error.
const INDEX_LIMIT: u64 = 16 << 20;

/// A folder that a command writes files into. Owns nothing on disk; holds the folder's path
/// and the set of names cellsdf may replace there.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    owned: BTreeSet<String>,
    /// The index as found (names written by earlier runs).
    before: BTreeSet<String>,
    had_index: bool,
    created_dir: bool,
    overwrite: bool,
}

impl OutputDir {
    /// Opens `dir` for output, creating it (and its parents) when missing. With `overwrite`,
    /// existing files of the names claimed later are replaced even when cellsdf did not
    /// write them.
    pub fn create(dir: &Path, overwrite: bool) -> Result<OutputDir> {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::invalid(
                "out",
                format!("{} exists and is not a folder", dir.display()),
            ));
        }
        let created_dir = !dir.exists();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let owned = read_index(dir)?;
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            before: owned.clone(),
            had_index: dir.join(INDEX_NAME).exists(),
            created_dir,
            owned,
            overwrite,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the file `name` in the folder (claim it first with [`OutputDir::claim`]).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Checks that every file of `names` may be written (absent, written by cellsdf before,
    /// or `overwrite`) and records them in the folder's index. On a conflict nothing is
    /// recorded and the error names the files and the `--overwrite` flag.
    pub fn claim<S: AsRef<str>>(&mut self, names: &[S]) -> Result<()> {
        let mut conflicts = Vec::new();
        for name in names {
            let name = name.as_ref();
            if name.is_empty()
                || name == INDEX_NAME
                || name.contains(['/', '\\'])
                || name == "."
                || name == ".."
            {
                return Err(Error::invalid(
                    "out",
                    format!("{name:?} is not a plain file name"),
                ));
            }
            let path = self.dir.join(name);
            match std::fs::symlink_metadata(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e)),
                // An OME-Zarr store cellsdf wrote here is replaced like a file it wrote.
                Ok(m)
                    if m.is_dir()
                        && super::is_cellsdf_store(&path)
                        && (self.owned.contains(name) || self.overwrite) => {}
                Ok(m) if m.is_dir() => {
                    return Err(Error::invalid(
                        "out",
                        format!(
                            "{} is a folder; cellsdf will not replace it",
                            path.display()
                        ),
                    ))
                }
                Ok(_) if self.owned.contains(name) || self.overwrite => {}
                Ok(_) => conflicts.push(name.to_string()),
            }
        }
        if !conflicts.is_empty() {
            let shown: Vec<&str> = conflicts.iter().take(5).map(String::as_str).collect();
            return Err(Error::invalid(
                "out",
                format!(
                    "{} already holds {} file(s) that cellsdf did not write ({}{}); \
                     choose another folder, or pass --overwrite to replace them",
                    self.dir.display(),
                    conflicts.len(),
                    shown.join(", "),
                    if conflicts.len() > shown.len() {
                        ", ..."
                    } else {
                        ""
                    }
                ),
            ));
        }
        let before = self.owned.len();
        self.owned
            .extend(names.iter().map(|n| n.as_ref().to_string()));
        if self.owned.len() != before {
            self.write_index()?;
        }
        Ok(())
    }

    /// Claims `name` and writes `bytes` to it atomically; returns its path.
    pub fn write_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        self.claim(&[name])?;
        let path = self.path(name);
        write_bytes_atomic(&path, bytes)?;
        Ok(path)
    }

    /// Keeps the claims (and the folder) when this value is dropped before the files are
    /// written: for callers that claim a file and write it later by path.
    pub fn keep_claims(&mut self) {
        self.before = self.owned.clone();
        self.created_dir = false;
    }

    fn write_index(&self) -> Result<()> {
        let mut text = String::from(
            "# files written by cellsdf in this folder; cellsdf replaces only these\n",
        );
        for n in &self.owned {
            text.push_str(n);
            text.push('\n');
        }
        write_bytes_atomic(&self.dir.join(INDEX_NAME), text.as_bytes())
    }
}

impl Drop for OutputDir {
    /// A run that stopped before writing files it claimed (cancelled or failed) takes their
    /// names back out of the index; it removes the index when this run created it and wrote
    /// nothing, and the folder when this run created it and it is still empty. Best effort:
    /// a name left in the index only lets a later run replace a file of that name.
    fn drop(&mut self) {
        let keep: BTreeSet<String> = self
            .owned
            .iter()
            .filter(|n| self.before.contains(*n) || self.dir.join(n).exists())
            .cloned()
            .collect();
        if keep.len() != self.owned.len() {
            self.owned = keep;
            if self.owned.is_empty() && !self.had_index {
                let _ = std::fs::remove_file(self.dir.join(INDEX_NAME));
            } else {
                let _ = self.write_index();
            }
        }
        if self.created_dir {
            // Fails, as it should, unless the folder is empty.
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

/// Checks that the single file `path` may be written (absent, written by cellsdf before, or
/// `overwrite`), records it in its folder's index and creates the folder when missing.
pub fn claim_file(path: &Path, overwrite: bool) -> Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::invalid("out", format!("{} is not a file path", path.display())))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut out = OutputDir::create(dir, overwrite)?;
    out.claim(&[name])?;
    out.keep_claims();
    Ok(())
}

/// The names in `dir`'s index (empty when it has none).
fn read_index(dir: &Path) -> Result<BTreeSet<String>> {
    let path = dir.join(INDEX_NAME);
    let meta = match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(Error::io(&path, e)),
        Ok(m) => m,
    };
    if !meta.is_file() || meta.len() > INDEX_LIMIT {
        return Err(Error::format(
            &path,
            "not a cellsdf output index (not a file, or larger than 16 MB)",
        ));
    }
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_files_are_kept_and_own_files_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), b"mine").unwrap();
        std::fs::write(dir.join("report.md"), b"user's report").unwrap();
        let mut out = OutputDir::create(&dir, false).unwrap();
        // A foreign file of a claimed name: refused, and nothing recorded.
        let e = out.claim(&["a.csv", "report.md"]).unwrap_err().to_string();
        assert!(e.contains("report.md") && e.contains("--overwrite"), "{e}");
        assert!(!dir.join(INDEX_NAME).exists());
        assert_eq!(
            std::fs::read(dir.join("report.md")).unwrap(),
            b"user's report"
        );
        // Own files are replaced on the next run; unrelated files stay untouched.
        out.write_bytes("a.csv", b"1").unwrap();
        let mut again = OutputDir::create(&dir, false).unwrap();
        again.write_bytes("a.csv", b"2").unwrap();
        assert_eq!(std::fs::read(dir.join("a.csv")).unwrap(), b"2");
        assert_eq!(std::fs::read(dir.join("notes.txt")).unwrap(), b"mine");
        // --overwrite replaces a foreign file of a claimed name, and only that one.
        let mut forced = OutputDir::create(&dir, true).unwrap();
        forced.write_bytes("report.md", b"new").unwrap();
        assert_eq!(std::fs::read(dir.join("report.md")).unwrap(), b"new");
        assert_eq!(std::fs::read(dir.join("notes.txt")).unwrap(), b"mine");
    }

    #[test]
    fn a_run_that_stops_before_writing_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("new");
        {
            let mut out = OutputDir::create(&dir, false).unwrap();
            out.claim(&["a.tif", "b.tif"]).unwrap();
            assert!(dir.join(INDEX_NAME).exists());
        }
        assert!(!dir.exists(), "cancelled run left its folder");
        // In a folder with earlier outputs: names not written this time leave the index,
        // earlier names stay.
        {
            let mut out = OutputDir::create(&dir, false).unwrap();
            out.write_bytes("a.tif", b"1").unwrap();
        }
        {
            let mut out = OutputDir::create(&dir, false).unwrap();
            out.claim(&["a.tif", "b.tif"]).unwrap();
        }
        assert_eq!(
            read_index(&dir).unwrap().into_iter().collect::<Vec<_>>(),
            ["a.tif"]
        );
        std::fs::write(dir.join("b.tif"), b"user").unwrap();
        let mut out = OutputDir::create(&dir, false).unwrap();
        assert!(out.claim(&["b.tif"]).is_err(), "b.tif is not ours");
    }

    #[test]
    fn names_that_leave_the_folder_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let mut out = OutputDir::create(tmp.path(), true).unwrap();
        for bad in ["../x", "a/b", "", "..", INDEX_NAME] {
            assert!(out.claim(&[bad]).is_err(), "{bad:?}");
        }
        std::fs::create_dir(tmp.path().join("sub")).unwrap();
        assert!(out.claim(&["sub"]).is_err());
    }

    #[test]
    fn single_files_follow_the_same_rule() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("model.safetensors");
        std::fs::write(&p, b"someone else's").unwrap();
        assert!(claim_file(&p, false).is_err());
        claim_file(&p, true).unwrap();
        // Recorded: the next run may replace it without --overwrite.
        claim_file(&p, false).unwrap();
        claim_file(&tmp.path().join("new/sub/file.json"), false).unwrap();
        assert!(tmp.path().join("new/sub").is_dir());
    }
}
