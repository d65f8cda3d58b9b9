//! Expanding what a user names as inputs into files: files as given, and every
//! `.tif`/`.tiff` (any case) of a folder, sorted by name.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// True for names ending in `.tif` or `.tiff`, in any case.
pub fn is_tiff(p: &Path) -> bool {
    p.extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("tif") || x.eq_ignore_ascii_case("tiff"))
}

/// True for mesh files (`.ply`, `.obj`, `.stl`, any case).
pub fn is_mesh(p: &Path) -> bool {
    p.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| ["ply", "obj", "stl"].contains(&e.as_str()))
}

/// The `.tif`/`.tiff` files (any case) of `folder`, sorted by name; a folder without any is
/// an error naming it and `what_else` (what else the folder could have held).
pub fn tiff_files_in(folder: &Path, what_else: &str) -> Result<Vec<PathBuf>> {
    let mut inside: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|e| Error::io(folder, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| f.is_file() && is_tiff(f))
        .collect();
    inside.sort();
    if inside.is_empty() {
        return Err(Error::invalid(
            "input",
            format!(
                "{} holds no .tif or .tiff files{what_else}",
                folder.display()
            ),
        ));
    }
    Ok(inside)
}

/// Files named by `inputs`: existing files as given, and every `.tif`/`.tiff` of a folder
/// (sorted). A missing path, or a folder without TIFFs, is an error naming it.
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if inputs.is_empty() {
        return Err(Error::invalid("input", "no input files or folders given"));
    }
    let mut files = Vec::new();
    for p in inputs {
        if p.is_dir() {
            files.extend(tiff_files_in(p, "")?);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            return Err(Error::io(
                p,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            ));
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_expand_to_their_tiffs_in_any_case_sorted() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["b.TIF", "a.tiff", "c.Tiff", "notes.txt"] {
            std::fs::write(dir.path().join(n), b"").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.tif")).unwrap();
        let got = expand_inputs(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = got
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["a.tiff", "b.TIF", "c.Tiff"]);
        let empty = tempfile::tempdir().unwrap();
        let e = expand_inputs(&[empty.path().to_path_buf()]).unwrap_err();
        assert!(e.to_string().contains("holds no .tif"), "{e}");
        let e = expand_inputs(&[dir.path().join("missing.tif")]).unwrap_err();
        assert!(e.to_string().contains("missing.tif"), "{e}");
    }
}
