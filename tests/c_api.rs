//! The C API tests (tests/c/test_api.c) as part of `cargo test`: compiled with
//! AddressSanitizer and UBSan against the libcellsdf.so this test build produced, and run.
//! The work folder is $CELLSDF_C_WORK (the Makefile points it at target/c/work, where the
//! plugins' tests find the tiny model it trains), else a folder under the target directory.
//! A build without libtorch cannot train: it takes the tiny model a full build's run left
//! at $CELLSDF_TEST_MODEL and checks that training and fitting are refused.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn c_api_tests_pass_under_sanitizers() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let lib = deps.join("libcellsdf.so");
    assert!(lib.exists(), "{} was not built", lib.display());
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c_api");
    let libdir = tmp.join("lib");
    std::fs::create_dir_all(&libdir).unwrap();
    // The library's SONAME is libcellsdf.so.0: link and load through both names.
    for name in ["libcellsdf.so", "libcellsdf.so.0"] {
        let link = libdir.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&lib, &link).unwrap();
    }
    let exe = tmp.join("test_api");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args([
            "-std=c11",
            "-D_DEFAULT_SOURCE",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-g",
        ])
        .args(["-fsanitize=address,undefined", "-fno-omit-frame-pointer"])
        .arg(repo.join("tests/c/test_api.c"))
        .arg("-o")
        .arg(&exe)
        .arg(format!("-I{}", repo.join("include").display()))
        .arg(format!("-L{}", libdir.display()))
        .arg("-lcellsdf")
        .arg(format!("-Wl,-rpath,{}", libdir.display()))
        .args(["-lpthread", "-lm"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cc} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let work = std::env::var_os("CELLSDF_C_WORK")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.join("work"));
    // The work folder is this test's own: it starts empty. A folder named by
    // CELLSDF_C_WORK that holds anything but a previous run's files is left alone.
    if work.exists() {
        let ours = work.join("tiny.safetensors").exists()
            || std::fs::read_dir(&work).unwrap().next().is_none();
        assert!(
            ours,
            "{} is not a previous C test folder (no tiny.safetensors): not removing it",
            work.display()
        );
        std::fs::remove_dir_all(&work).unwrap();
    }
    std::fs::create_dir_all(work.parent().unwrap()).unwrap();
    let mut cmd = Command::new(&exe);
    cmd.arg(&work);
    if !cfg!(feature = "torch") {
        let model = std::env::var_os("CELLSDF_TEST_MODEL")
            .expect("a build without libtorch needs CELLSDF_TEST_MODEL (a tiny model)");
        cmd.arg(model);
    }
    let run = cmd
        .env("ASAN_OPTIONS", "detect_leaks=1")
        .env("UBSAN_OPTIONS", "halt_on_error=1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "test_api failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("C API tests passed"), "{stdout}");
}
