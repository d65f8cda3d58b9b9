//! Output folders under one rule: a cellsdf command never deletes or overwrites a file that
//! cellsdf did not write.
//!
//! Every folder cellsdf writes into keeps a small index, [`INDEX_NAME`], listing the file
//! names cellsdf wrote there, one per line, each with the operation that wrote it
//! (`name<TAB>operation`, e.g. `synth_000.tif\tsynth`). A file of that folder may be
//! replaced only by the operation the index names for it, or when the caller asked to
//! overwrite (`--overwrite`): `describe --out manifest.json` does not replace the manifest
//! that `synth` wrote. Every other file is left alone, and nothing is ever deleted. Lines
//! without an operation (indexes of cellsdf before 0.10) may be replaced by any operation.
//! Names are claimed up front, before any work, so a conflict is reported before minutes of
//! computation and before anything is written. The files themselves are written atomically
//! ([`super::write_atomic`]). An output is never one of the command's own inputs
//! ([`refuse_inputs_as_output`]), not even with `--overwrite`.

use super::atomic::write_bytes_atomic;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Name of the index of cellsdf-written files kept in each output folder.
pub const INDEX_NAME: &str = ".cellsdf-outputs";

/// Largest index read (bytes); a larger one is not ours and is treated as a format error.
const INDEX_LIMIT: u64 = 16 << 20;

/// Names in an index, each with the operation that wrote it (`None`: an index line of an
/// earlier version, which any operation may replace).
type Index = BTreeMap<String, Option<String>>;

/// A folder that a command writes files into. Owns nothing on disk; holds the folder's path,
/// the operation writing (`synth`, `describe`, ...) and the names cellsdf may replace there.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    operation: &'static str,
    owned: Index,
    /// The index as found (names written by earlier runs).
    before: Index,
    had_index: bool,
    created_dir: bool,
    overwrite: bool,
}

/// Creates the output folder `dir` (and its parents) when missing; refuses a file of that
/// name. Returns whether it was created.
pub(crate) fn make_folder(dir: &Path) -> Result<bool> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::invalid(
            "out",
            format!("{} exists and is not a folder", dir.display()),
        ));
    }
    let created = !dir.exists();
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    Ok(created)
}

impl OutputDir {
    /// Opens `dir` for the output of `operation` (the name a user knows it by: `synth`,
    /// `simulate`, `describe`, ...), creating the folder (and its parents) when missing. With
    /// `overwrite`, existing files of the names claimed later are replaced even when cellsdf
    /// did not write them, or another operation did.
    pub fn create(dir: &Path, operation: &'static str, overwrite: bool) -> Result<OutputDir> {
        let created_dir = make_folder(dir)?;
        let owned = read_index(dir)?;
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            operation,
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

    /// Whether this operation may replace an existing `name`: it wrote it before (or an
    /// index line of an earlier version lists it), or `overwrite`.
    fn may_replace(&self, name: &str) -> bool {
        self.overwrite
            || self
                .owned
                .get(name)
                .is_some_and(|op| op.as_deref().is_none_or(|op| op == self.operation))
    }

    /// Checks that every file of `names` may be written (absent, written by this operation
    /// before, or `overwrite`) and records them in the folder's index. On a conflict nothing
    /// is recorded and the error names the files, who wrote them and the `--overwrite` flag.
    pub fn claim<S: AsRef<str>>(&mut self, names: &[S]) -> Result<()> {
        let mut conflicts = Vec::new();
        let mut foreign_ops = Vec::new();
        for name in names {
            let name = name.as_ref();
            if name.is_empty()
                || name == INDEX_NAME
                || name == super::LOCK_NAME
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
                // An OME-Zarr store cellsdf wrote here is replaced like a file it wrote (what
                // a user added inside it is carried over, `OmeZarrWriter::finish`).
                Ok(m) if m.is_dir() && super::is_cellsdf_store(&path) && self.may_replace(name) => {
                }
                Ok(m) if m.is_dir() && !matches!(self.owned.get(name), Some(Some(_))) => {
                    return Err(Error::invalid(
                        "out",
                        format!(
                            "{} is a folder; cellsdf will not replace it",
                            path.display()
                        ),
                    ))
                }
                Ok(m) if !m.is_dir() && self.may_replace(name) => {}
                Ok(_) => {
                    // A file (or a store) of this name that another operation wrote.
                    if let Some(Some(op)) = self.owned.get(name) {
                        foreign_ops.push(format!("{name} by cellsdf {op}"));
                        continue;
                    }
                    conflicts.push(name.to_string());
                }
            }
        }
        if !foreign_ops.is_empty() {
            let shown: Vec<&str> = foreign_ops.iter().take(5).map(String::as_str).collect();
            return Err(Error::invalid(
                "out",
                format!(
                    "{} holds file(s) that another cellsdf command wrote ({}{}), which {} \
                     will not replace; choose another name, or pass --overwrite to replace them",
                    self.dir.display(),
                    shown.join(", "),
                    if foreign_ops.len() > shown.len() {
                        ", ..."
                    } else {
                        ""
                    },
                    self.operation
                ),
            ));
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
        let mut changed = false;
        for n in names {
            let op = Some(self.operation.to_string());
            let old = self.owned.insert(n.as_ref().to_string(), op.clone());
            changed |= old != Some(op);
        }
        if changed {
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
        for (n, op) in &self.owned {
            text.push_str(n);
            if let Some(op) = op {
                text.push('\t');
                text.push_str(op);
            }
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
        let keep: Index = self
            .owned
            .iter()
            .filter_map(|(n, op)| {
                if self.dir.join(n).exists() {
                    Some((n.clone(), op.clone()))
                } else {
                    // Not written this time: the earlier run's line, if any, stays as it was.
                    self.before.get(n).map(|op| (n.clone(), op.clone()))
                }
            })
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

impl OutputDir {
    /// The folder of the single output file `path`, opened for `operation`, with the file's
    /// name claimed: write it with [`OutputDir::write_bytes`]; dropped unwritten, the claim
    /// goes (and the folder, when this made it and it is empty).
    pub fn for_file(
        path: &Path,
        operation: &'static str,
        overwrite: bool,
    ) -> Result<(OutputDir, String)> {
        let (dir, name) = split_file_path(path)?;
        let mut out = OutputDir::create(dir, operation, overwrite)?;
        out.claim(&[name])?;
        Ok((out, name.to_string()))
    }
}

/// A file path's folder (`.` for a bare name) and file name.
fn split_file_path(path: &Path) -> Result<(&Path, &str)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::invalid("out", format!("{} is not a file path", path.display())))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((dir, name))
}

/// Checks that the single file `path` may be written by `operation` (absent, written by this
/// operation before, or `overwrite`), records it in its folder's index and creates the
/// folder when missing.
pub fn claim_file(path: &Path, operation: &'static str, overwrite: bool) -> Result<()> {
    let (mut out, _) = OutputDir::for_file(path, operation, overwrite)?;
    out.keep_claims();
    Ok(())
}

/// Refuses an output `out` (a file, or a folder written into) that is, or holds, one of the
/// command's `inputs` (files or folders as the user named them): a command never replaces
/// what it reads, not even with `--overwrite`. Paths are compared after resolving links.
pub fn refuse_inputs_as_output(out: &Path, inputs: &[PathBuf], argument: &str) -> Result<()> {
    let Ok(out_real) = out.canonicalize() else {
        return Ok(()); // nothing there yet: it cannot be an input
    };
    for input in inputs {
        let Ok(real) = input.canonicalize() else {
            continue;
        };
        let same = real == out_real;
        // An output file inside an input folder is refused only when that folder's files
        // would be read, i.e. when `out` is itself one of them (TIFF or table).
        let inside_read_folder = real.is_dir()
            && out_real.parent() == Some(real.as_path())
            && super::expand_inputs(std::slice::from_ref(input)).is_ok_and(|files| {
                files
                    .iter()
                    .any(|f| f.canonicalize().ok() == Some(out_real.clone()))
            });
        if same || inside_read_folder {
            return Err(Error::invalid(
                argument,
                format!(
                    "{} is one of this command's inputs ({}); an output never replaces an \
                     input: choose another name",
                    out.display(),
                    input.display()
                ),
            ));
        }
    }
    Ok(())
}

/// The names in `dir`'s index with their operations (empty when it has none).
fn read_index(dir: &Path) -> Result<Index> {
    let path = dir.join(INDEX_NAME);
    let meta = match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Index::new()),
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
        .map(|l| match l.split_once('\t') {
            Some((name, op)) => (name.to_string(), Some(op.to_string())),
            None => (l.to_string(), None),
        })
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
        let mut out = OutputDir::create(&dir, "synth", false).unwrap();
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
        let mut again = OutputDir::create(&dir, "synth", false).unwrap();
        again.write_bytes("a.csv", b"2").unwrap();
        assert_eq!(std::fs::read(dir.join("a.csv")).unwrap(), b"2");
        assert_eq!(std::fs::read(dir.join("notes.txt")).unwrap(), b"mine");
        // --overwrite replaces a foreign file of a claimed name, and only that one.
        let mut forced = OutputDir::create(&dir, "synth", true).unwrap();
        forced.write_bytes("report.md", b"new").unwrap();
        assert_eq!(std::fs::read(dir.join("report.md")).unwrap(), b"new");
        assert_eq!(std::fs::read(dir.join("notes.txt")).unwrap(), b"mine");
    }

    #[test]
    fn a_run_that_stops_before_writing_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("new");
        {
            let mut out = OutputDir::create(&dir, "synth", false).unwrap();
            out.claim(&["a.tif", "b.tif"]).unwrap();
            assert!(dir.join(INDEX_NAME).exists());
        }
        assert!(!dir.exists(), "cancelled run left its folder");
        // In a folder with earlier outputs: names not written this time leave the index,
        // earlier names stay.
        {
            let mut out = OutputDir::create(&dir, "synth", false).unwrap();
            out.write_bytes("a.tif", b"1").unwrap();
        }
        {
            let mut out = OutputDir::create(&dir, "synth", false).unwrap();
            out.claim(&["a.tif", "b.tif"]).unwrap();
        }
        assert_eq!(
            read_index(&dir).unwrap().into_keys().collect::<Vec<_>>(),
            ["a.tif"]
        );
        std::fs::write(dir.join("b.tif"), b"user").unwrap();
        let mut out = OutputDir::create(&dir, "synth", false).unwrap();
        assert!(out.claim(&["b.tif"]).is_err(), "b.tif is not ours");
    }

    #[test]
    fn names_that_leave_the_folder_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let mut out = OutputDir::create(tmp.path(), "synth", true).unwrap();
        for bad in ["../x", "a/b", "", "..", INDEX_NAME] {
            assert!(out.claim(&[bad]).is_err(), "{bad:?}");
        }
        std::fs::create_dir(tmp.path().join("sub")).unwrap();
        assert!(out.claim(&["sub"]).is_err());
    }

    #[test]
    fn another_operations_files_are_not_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        OutputDir::create(dir, "synth", false)
            .unwrap()
            .write_bytes("manifest.json", b"{}")
            .unwrap();
        // describe may not replace synth's manifest, nor may its error be vague.
        let e = claim_file(&dir.join("manifest.json"), "describe", false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("manifest.json by cellsdf synth") && e.contains("--overwrite"),
            "{e}"
        );
        assert_eq!(std::fs::read(dir.join("manifest.json")).unwrap(), b"{}");
        // synth itself may, and so may describe with --overwrite (which then owns it).
        claim_file(&dir.join("manifest.json"), "synth", false).unwrap();
        claim_file(&dir.join("manifest.json"), "describe", true).unwrap();
        assert!(claim_file(&dir.join("manifest.json"), "synth", false).is_err());
        // An index line of an earlier version (no operation) may be replaced by any.
        std::fs::write(dir.join(INDEX_NAME), "# old\nold.csv\n").unwrap();
        std::fs::write(dir.join("old.csv"), b"x").unwrap();
        claim_file(&dir.join("old.csv"), "describe", false).unwrap();
        let index = std::fs::read_to_string(dir.join(INDEX_NAME)).unwrap();
        assert!(index.contains("old.csv\tdescribe\n"), "{index}");
    }

    #[test]
    fn an_input_is_never_the_output() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("io");
        std::fs::create_dir(&dir).unwrap();
        let tif = dir.join("a.tif");
        std::fs::write(&tif, b"II*\0").unwrap();
        // The same file, named another way, and a TIFF of an input folder are refused.
        for input in [tif.clone(), dir.join(".").join("a.tif"), dir.clone()] {
            let e = refuse_inputs_as_output(&tif, std::slice::from_ref(&input), "out")
                .unwrap_err()
                .to_string();
            assert!(e.contains("one of this command's inputs"), "{input:?}: {e}");
        }
        // A new file, or a CSV beside TIFF inputs, is fine.
        refuse_inputs_as_output(&dir.join("t.csv"), std::slice::from_ref(&dir), "out").unwrap();
        std::fs::write(dir.join("t.csv"), b"x").unwrap();
        refuse_inputs_as_output(&dir.join("t.csv"), std::slice::from_ref(&dir), "out").unwrap();
    }

    #[test]
    fn single_files_follow_the_same_rule() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("model.safetensors");
        std::fs::write(&p, b"someone else's").unwrap();
        assert!(claim_file(&p, "export", false).is_err());
        claim_file(&p, "export", true).unwrap();
        // Recorded: the next run may replace it without --overwrite.
        claim_file(&p, "export", false).unwrap();
        claim_file(&tmp.path().join("new/sub/file.json"), "export", false).unwrap();
        assert!(tmp.path().join("new/sub").is_dir());
    }
}
