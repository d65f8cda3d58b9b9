//! Putting a finished dataset folder in place without ever losing data.
//!
//! `prepare` builds the new dataset in a hidden folder beside the target and then:
//! - target missing or empty: renames the new folder onto it (one atomic rename);
//! - target holds a previous dataset and nothing else (only [`DATASET_FILES`] and the
//!   output index): swaps the two folders atomically (`renameat2(RENAME_EXCHANGE)` on Linux;
//!   elsewhere the old folder is first renamed aside), then deletes the old dataset's files,
//!   which `prepare` itself wrote. A crash leaves either the old or the new dataset whole;
//! - anything else (foreign files or folders, the working directory or one above it):
//!   refused before any work, naming what is in the way.

use crate::error::{Error, Result};
use crate::io::{sync_dir, INDEX_NAME};
use std::path::{Path, PathBuf};

/// The files a dataset folder holds; `prepare` writes these and nothing else.
pub const DATASET_FILES: [&str; 3] = ["dataset.json", "samples.npy", "grids.npy"];

/// What is at the output path before `prepare` commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Nothing there, or an empty folder.
    Free,
    /// A previous dataset and nothing else.
    Dataset,
}

/// Decides whether `out` may receive a new dataset; errors name what is in the way.
pub(crate) fn inspect_target(out: &Path) -> Result<Target> {
    let meta = match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::Free),
        Err(e) => return Err(Error::io(out, e)),
        Ok(m) => m,
    };
    if !meta.is_dir() {
        return Err(Error::invalid(
            "out",
            format!("{} exists and is not a folder", out.display()),
        ));
    }
    if contains_working_dir(out) {
        return Err(Error::invalid(
            "out",
            format!(
                "{} is the working directory (or holds it); give a new folder for the dataset, e.g. --out dataset",
                out.display()
            ),
        ));
    }
    let mut foreign = Vec::new();
    let mut ours = 0;
    for entry in std::fs::read_dir(out).map_err(|e| Error::io(out, e))? {
        let entry = entry.map_err(|e| Error::io(out, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if is_file && (DATASET_FILES.contains(&name.as_str()) || name == INDEX_NAME) {
            ours += 1;
        } else {
            foreign.push(name);
        }
    }
    if foreign.is_empty() && ours == 0 {
        return Ok(Target::Free);
    }
    if foreign.is_empty() && is_dataset_description(&out.join("dataset.json")) {
        return Ok(Target::Dataset);
    }
    foreign.sort();
    let shown: Vec<&str> = foreign.iter().take(5).map(String::as_str).collect();
    Err(Error::invalid(
        "out",
        format!(
            "{} is not empty and not a cellsdf dataset ({}{}); prepare replaces only a folder \
             that holds nothing but a previous dataset: choose a new or empty folder",
            out.display(),
            if shown.is_empty() {
                "no readable dataset.json".to_string()
            } else {
                format!("holds {}", shown.join(", "))
            },
            if foreign.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        ),
    ))
}

/// Whether `path` is a `dataset.json` written by `prepare` (its `format` field).
fn is_dataset_description(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if meta.len() > 1 << 30 {
        return false;
    }
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(String::from))
        .is_some_and(|f| f == super::format::FORMAT)
}

/// Whether the process's working directory is `dir` or lies inside it.
fn contains_working_dir(dir: &Path) -> bool {
    match (std::env::current_dir(), std::fs::canonicalize(dir)) {
        (Ok(cwd), Ok(d)) => cwd.starts_with(d),
        _ => false,
    }
}

/// Moves the finished dataset folder `new` to `out` as described in the module docs.
/// `new` must be a sibling of `out` (same file system).
pub(crate) fn commit(new: &Path, out: &Path) -> Result<()> {
    sync_dir(new)?;
    let parent = parent_of(out);
    match inspect_target(out)? {
        Target::Free => {
            std::fs::rename(new, out).map_err(|e| Error::io(out, e))?;
            sync_dir(&parent)
        }
        Target::Dataset => {
            let old = exchange(new, out)?;
            sync_dir(&parent)?;
            // `old` holds the previous dataset's files only (checked above): delete those.
            for name in DATASET_FILES.iter().chain([&INDEX_NAME]) {
                let p = old.join(name);
                if p.exists() {
                    std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
                }
            }
            std::fs::remove_dir(&old).map_err(|e| Error::io(&old, e))
        }
    }
}

fn parent_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Puts `new` at `out` and returns where the previous content of `out` now is.
#[cfg(target_os = "linux")]
fn exchange(new: &Path, out: &Path) -> Result<PathBuf> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| Error::invalid("out", format!("{} contains a NUL byte", p.display())))
    };
    let (a, b) = (c(new)?, c(out)?);
    // SAFETY: both arguments are valid NUL-terminated paths; renameat2 only reads them.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(new.to_path_buf());
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        // File systems without the exchange flag: fall back to two renames.
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => {
            exchange_by_renames(new, out)
        }
        _ => Err(Error::io(out, err)),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(new: &Path, out: &Path) -> Result<PathBuf> {
    exchange_by_renames(new, out)
}

/// Renames `out` aside (a hidden sibling), then `new` onto `out`. A crash between the two
/// leaves the previous dataset whole in the hidden sibling.
fn exchange_by_renames(new: &Path, out: &Path) -> Result<PathBuf> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dataset".into());
    let aside = parent_of(out).join(format!(".{name}.previous-{}", std::process::id()));
    std::fs::rename(out, &aside).map_err(|e| Error::io(out, e))?;
    if let Err(e) = std::fs::rename(new, out) {
        // Put the previous dataset back.
        let _ = std::fs::rename(&aside, out);
        return Err(Error::io(out, e));
    }
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_dataset(dir: &Path, marker: &str) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(
            dir.join("dataset.json"),
            format!("{{\"format\": \"cellsdf-dataset\", \"marker\": \"{marker}\"}}"),
        )
        .unwrap();
        std::fs::write(dir.join("samples.npy"), marker).unwrap();
    }

    #[test]
    fn a_previous_dataset_is_swapped_and_foreign_content_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("ds");
        write_dataset(&out, "old");
        let new = tmp.path().join(".ds.new");
        write_dataset(&new, "new");
        commit(&new, &out).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("samples.npy")).unwrap(),
            "new"
        );
        assert!(!new.exists());
        // Leftovers: none beside the dataset.
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);

        // A user's file in the folder: refused, and the folder is untouched.
        std::fs::write(out.join("notes.txt"), "keep").unwrap();
        write_dataset(&new, "newer");
        let e = commit(&new, &out).unwrap_err().to_string();
        assert!(e.contains("notes.txt"), "{e}");
        assert_eq!(
            std::fs::read_to_string(out.join("notes.txt")).unwrap(),
            "keep"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("samples.npy")).unwrap(),
            "new"
        );

        // A folder of other things that happens to hold a samples.npy: refused.
        let other = tmp.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("samples.npy"), "user data").unwrap();
        assert!(inspect_target(&other).is_err());
        // An empty folder is free.
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert_eq!(inspect_target(&empty).unwrap(), Target::Free);
    }

    #[test]
    fn the_fallback_exchange_keeps_the_old_dataset_until_the_new_one_is_in_place() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("ds");
        write_dataset(&out, "old");
        let new = tmp.path().join(".ds.new");
        write_dataset(&new, "new");
        let old = exchange_by_renames(&new, &out).unwrap();
        assert_eq!(
            std::fs::read_to_string(old.join("samples.npy")).unwrap(),
            "old"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("samples.npy")).unwrap(),
            "new"
        );
    }
}
