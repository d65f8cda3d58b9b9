//! Naming a model: a file path, or the name of a bundled default model (one per phantom
//! class, `models/<class>.safetensors`). Every front end resolves model arguments here.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Phantom classes that ship a bundled default model.
pub const BUNDLED_CLASSES: [&str; 2] = ["dividing", "filopodial"];

/// Folders searched for bundled models, in order: `$CELLSDF_MODELS` (the user's choice
/// wins), `extra` (a front end's own place: Fiji.app/models, the Python wheel's models/),
/// `models/` two levels above the running executable (target/release/cellsdf in a
/// checkout), and the source tree this library was built from.
pub fn bundled_model_dirs(extra: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(d) = std::env::var_os("CELLSDF_MODELS") {
        dirs.push(PathBuf::from(d));
    }
    dirs.extend(extra.map(Path::to_path_buf));
    if let Some(up) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent()?.parent()?.parent().map(Path::to_path_buf))
    {
        dirs.push(up.join("models"));
    }
    dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"));
    dirs
}

/// The file a model argument names: an existing path as given; a bundled class name
/// (`dividing`, `filopodial`) as the first `<class>.safetensors` in [`bundled_model_dirs`];
/// anything else is an error naming the argument.
pub fn resolve_model(arg: &str, extra_dir: Option<&Path>) -> Result<PathBuf> {
    if arg.is_empty() {
        return Err(Error::invalid(
            "model",
            "empty: give a model file or one of dividing, filopodial",
        ));
    }
    let path = PathBuf::from(arg);
    if path.exists() {
        return Ok(path);
    }
    if !BUNDLED_CLASSES.contains(&arg) {
        return Err(Error::io(
            &path,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "no such model file (bundled defaults: {})",
                    BUNDLED_CLASSES.join(", ")
                ),
            ),
        ));
    }
    let file = format!("{arg}.safetensors");
    let dirs = bundled_model_dirs(extra_dir);
    dirs.iter()
        .map(|d| d.join(&file))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::invalid(
                "model",
                format!(
                    "no bundled {file} found in {dirs:?}: run `make models`, set CELLSDF_MODELS, or give a model file"
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_names_resolve_to_the_repository_models_and_unknown_names_fail() {
        let p = resolve_model("dividing", None).unwrap();
        assert!(p.ends_with("models/dividing.safetensors"), "{p:?}");
        let e = resolve_model("no-such-model.safetensors", None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no-such-model.safetensors") && e.contains("dividing, filopodial"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dividing.safetensors"), b"x").unwrap();
        assert_eq!(
            resolve_model("dividing", Some(dir.path())).unwrap(),
            dir.path().join("dividing.safetensors")
        );
        assert!(resolve_model("", None).is_err());
    }
}
