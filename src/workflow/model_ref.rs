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
    resolve_bundled(arg, extra_dir, "model", &BUNDLED_CLASSES, ".safetensors")
}

/// Acquisition profiles (`cellsdf calibrate` output) that ship beside the bundled models,
/// each calibrated on a real image (`models/<name>.profile.json`).
pub const BUNDLED_PROFILES: [&str; 1] = ["cells3d-nuclei"];

/// The file a profile argument names: an existing path as given, or a bundled profile's
/// name as the first `<name>.profile.json` in [`bundled_model_dirs`].
pub fn resolve_profile(arg: &str, extra_dir: Option<&Path>) -> Result<PathBuf> {
    resolve_bundled(
        arg,
        extra_dir,
        "profile",
        &BUNDLED_PROFILES,
        ".profile.json",
    )
}

/// An existing file `arg`, or the bundled `<arg><suffix>` when `arg` is one of `names`.
fn resolve_bundled(
    arg: &str,
    extra_dir: Option<&Path>,
    what: &str,
    names: &[&str],
    suffix: &str,
) -> Result<PathBuf> {
    if arg.is_empty() {
        return Err(Error::invalid(
            what,
            format!("empty: give a {what} file or one of {}", names.join(", ")),
        ));
    }
    let path = PathBuf::from(arg);
    if path.exists() {
        return Ok(path);
    }
    if !names.contains(&arg) {
        return Err(Error::io(
            &path,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no such {what} file (bundled: {})", names.join(", ")),
            ),
        ));
    }
    let file = format!("{arg}{suffix}");
    let dirs = bundled_model_dirs(extra_dir);
    dirs.iter()
        .map(|d| d.join(&file))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::invalid(
                what,
                format!(
                    "no bundled {file} found in {dirs:?}: run `make models`, set CELLSDF_MODELS, or give a {what} file"
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
