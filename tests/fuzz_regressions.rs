//! Replays the seed corpora and every input a fuzzer ever crashed on (fuzz/corpus/<target>/
//! and fuzz/regressions/<target>/) through the fuzz targets' bodies: none may panic. Runs
//! with the stable toolchain; `make fuzz` runs the fuzzers themselves (nightly).

#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::Path;

#[test]
fn every_saved_fuzz_input_runs_without_a_crash() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for (name, target) in targets::TARGETS {
        for kind in ["corpus", "regressions"] {
            let dir = root.join(kind).join(name);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
            files.sort();
            for f in files {
                let data = std::fs::read(&f).unwrap();
                let outcome = std::panic::catch_unwind(|| target(&data));
                assert!(outcome.is_ok(), "{name}: {} crashes", f.display());
                replayed += 1;
            }
        }
    }
    // The seed corpora are committed: an empty replay means the files went missing.
    assert!(
        replayed >= 20,
        "only {replayed} saved inputs found under {}",
        root.display()
    );
}
