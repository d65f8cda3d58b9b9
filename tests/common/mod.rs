//! Helpers shared by the integration tests: the venv's Python (tifffile) and a real ImageJ 1.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Python of the project venv (has tifffile, imagecodecs, numpy, scipy).
pub fn python() -> PathBuf {
    let p = repo().join(".venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run `make venv` first (make test does)",
        p.display()
    );
    p
}

/// Runs a script from tests/support with the venv's Python and returns its stdout.
pub fn run_python(script: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg(repo().join("tests/support").join(script))
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs the cellsdf CLI with exactly `args` (stderr a pipe, not a terminal).
pub fn cli_output(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cellsdf"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs the cellsdf CLI (`--quiet`) and returns its stdout; panics with stderr on failure.
pub fn cli(args: &[&str]) -> String {
    let r = cli_output(&[&["--quiet"], args].concat());
    assert!(
        r.status.success(),
        "cellsdf {args:?}: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    String::from_utf8(r.stdout).unwrap()
}

/// Path of ImageJ 1's ij.jar (Debian package libij-java, or $IJ_JAR).
pub fn ij_jar() -> PathBuf {
    let p = std::env::var_os("IJ_JAR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/java/ij.jar"));
    assert!(
        p.exists(),
        "{} is missing: install Debian's libij-java (make test-deps does)",
        p.display()
    );
    p
}

/// Compiles tests/support/IjInfo.java once and runs it on `file`: what ImageJ 1 sees, as
/// key=value lines.
pub fn imagej_info(file: &Path, positions: &[String]) -> std::collections::HashMap<String, String> {
    let classes = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ijinfo");
    let class_file = classes.join("IjInfo.class");
    static COMPILE: std::sync::Once = std::sync::Once::new();
    COMPILE.call_once(|| {
        std::fs::create_dir_all(&classes).unwrap();
        let st = Command::new("javac")
            .args([
                "-d",
                classes.to_str().unwrap(),
                "-cp",
                ij_jar().to_str().unwrap(),
            ])
            .arg(repo().join("tests/support/IjInfo.java"))
            .status()
            .expect("javac runs");
        assert!(st.success(), "javac failed");
    });
    assert!(class_file.exists());
    let cp = format!("{}:{}", ij_jar().display(), classes.display());
    let out = Command::new("java")
        .args(["-Djava.awt.headless=true", "-cp", &cp, "IjInfo"])
        .arg(file)
        .args(positions)
        .output()
        .expect("java runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "ImageJ failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// ../shared/data, where the real label files live.
pub fn shared_data() -> PathBuf {
    repo().join("../shared/data")
}
