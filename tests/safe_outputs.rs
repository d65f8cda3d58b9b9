//! No command deletes or overwrites a file that cellsdf did not write (issue 12, data loss),
//! checked through the real command-line tool.

use std::path::Path;
use std::process::{Command, Output};

fn cellsdf(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cellsdf"))
        .args(args)
        .arg("--quiet")
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn failed_with(o: &Output, words: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    for w in words {
        assert!(err.contains(w), "{w:?} not in {err}");
    }
}

/// Every file under `dir` with its content, sorted.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            for (n, b) in snapshot(&p) {
                out.push((
                    format!("{}/{n}", p.file_name().unwrap().to_string_lossy()),
                    b,
                ));
            }
        } else {
            out.push((
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            ));
        }
    }
    out.sort();
    out
}

fn phantoms(dir: &Path) {
    ok(&cellsdf(
        &[
            "phantom",
            "--kind",
            "dividing",
            "--count",
            "2",
            "--frames",
            "2",
            "--voxel-um",
            "0.4",
            "--seed",
            "1",
            "--out",
            "ph",
        ],
        dir,
    ));
}

fn prepare_args(out: &str) -> Vec<&str> {
    vec![
        "prepare",
        "ph",
        "--grid",
        "8",
        "--samples-per-frame",
        "64",
        "--out",
        out,
    ]
}

#[test]
fn prepare_never_deletes_what_it_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    phantoms(d);
    // A folder of the user's with a dataset.json in it among other things (the old code
    // removed the whole folder).
    let user = d.join("work");
    std::fs::create_dir_all(user.join("sub")).unwrap();
    std::fs::write(
        user.join("dataset.json"),
        b"{\"format\": \"cellsdf-dataset\"}",
    )
    .unwrap();
    std::fs::write(user.join("notes.txt"), b"my notes").unwrap();
    std::fs::write(user.join("sub/raw.tif"), b"raw data").unwrap();
    let before = snapshot(&user);
    failed_with(
        &cellsdf(&prepare_args("work"), d),
        &["work", "notes.txt", "not a cellsdf dataset"],
    );
    assert_eq!(snapshot(&user), before);

    // `--out .` in a folder holding other files: refused, nothing removed.
    let here_before = snapshot(d);
    failed_with(&cellsdf(&prepare_args("."), d), &["working directory"]);
    assert_eq!(snapshot(d), here_before);

    // A new folder, then the same folder again: the previous dataset is replaced.
    ok(&cellsdf(&prepare_args("ds"), d));
    let first = std::fs::read(d.join("ds/samples.npy")).unwrap();
    let mut again = prepare_args("ds");
    again.extend(["--seed", "5"]);
    ok(&cellsdf(&again, d));
    let second = std::fs::read(d.join("ds/samples.npy")).unwrap();
    assert_eq!(first.len(), second.len());
    assert_ne!(
        first, second,
        "the new dataset (other seed) replaced the old one"
    );
    // Nothing left beside it (no temporary or previous folders).
    let mut names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["ds", "ph", "work"]);

    // A file dropped into the dataset folder makes it the user's: refused from then on.
    std::fs::write(d.join("ds/readme.txt"), b"mine").unwrap();
    failed_with(&cellsdf(&prepare_args("ds"), d), &["readme.txt"]);
    assert_eq!(std::fs::read(d.join("ds/samples.npy")).unwrap(), second);
}

#[test]
fn folder_outputs_replace_only_their_own_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // A foreign file with a name the phantom command writes, and an unrelated one.
    std::fs::create_dir(d.join("ph")).unwrap();
    std::fs::write(d.join("ph/manifest.json"), b"the user's manifest").unwrap();
    std::fs::write(d.join("ph/keep.txt"), b"keep").unwrap();
    let o = cellsdf(
        &[
            "phantom",
            "--kind",
            "dividing",
            "--count",
            "1",
            "--frames",
            "2",
            "--voxel-um",
            "0.4",
            "--out",
            "ph",
        ],
        d,
    );
    failed_with(&o, &["manifest.json", "--overwrite"]);
    // Refused before any work: no mask file was written.
    assert!(!d.join("ph/dividing_000.tif").exists());
    assert_eq!(
        std::fs::read(d.join("ph/manifest.json")).unwrap(),
        b"the user's manifest"
    );
    // With --overwrite the named file is replaced; the unrelated one stays.
    let o = cellsdf(
        &[
            "phantom",
            "--kind",
            "dividing",
            "--count",
            "1",
            "--frames",
            "2",
            "--voxel-um",
            "0.4",
            "--overwrite",
            "--out",
            "ph",
        ],
        d,
    );
    ok(&o);
    assert!(std::fs::read_to_string(d.join("ph/manifest.json"))
        .unwrap()
        .contains("cellsdf-phantoms"));
    assert_eq!(std::fs::read(d.join("ph/keep.txt")).unwrap(), b"keep");
    // A second run into the same folder replaces its own files without --overwrite.
    ok(&cellsdf(
        &[
            "phantom",
            "--kind",
            "dividing",
            "--count",
            "1",
            "--frames",
            "2",
            "--voxel-um",
            "0.4",
            "--seed",
            "9",
            "--out",
            "ph",
        ],
        d,
    ));

    // describe: a single output file follows the same rule.
    std::fs::write(d.join("table.csv"), b"user's table").unwrap();
    failed_with(
        &cellsdf(&["describe", "ph", "--out", "table.csv"], d),
        &["table.csv", "--overwrite"],
    );
    assert_eq!(std::fs::read(d.join("table.csv")).unwrap(), b"user's table");

    // mesh into a folder with a foreign file of an output name.
    std::fs::create_dir(d.join("meshes")).unwrap();
    std::fs::write(d.join("meshes/dividing_000_t001.ply"), b"user's mesh").unwrap();
    failed_with(
        &cellsdf(&["mesh", "ph/dividing_000.tif", "--out", "meshes"], d),
        &["dividing_000_t001.ply"],
    );
    assert!(!d.join("meshes/dividing_000_t000.ply").exists());
    ok(&cellsdf(
        &["mesh", "ph/dividing_000.tif", "--out", "meshes2"],
        d,
    ));
    assert!(d.join("meshes2/dividing_000_t001.ply").exists());
}

#[test]
#[cfg(feature = "torch")]
fn resume_with_nothing_left_to_train_writes_the_model() {
    use cellsdf::model::Model;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    phantoms(d);
    ok(&cellsdf(&prepare_args("ds"), d));
    let train = |extra: &[&str]| {
        let mut a = vec![
            "train", "--data", "ds", "--arch", "small", "--device", "cpu", "--seed", "1",
        ];
        a.extend_from_slice(extra);
        cellsdf(&a, d)
    };
    ok(&train(&["--epochs", "2", "--out", "a.safetensors"]));
    let o = train(&[
        "--epochs",
        "2",
        "--resume",
        "a.safetensors",
        "--out",
        "b.safetensors",
    ]);
    ok(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("nothing to train"), "{text}");
    // The model was written, with the checkpoint's weights and codes.
    let params = |p: &str| -> Vec<(String, Vec<f32>)> {
        let m = Model::load(&d.join(p)).unwrap();
        let mut v: Vec<(String, Vec<f32>)> = m
            .layers
            .iter()
            .enumerate()
            .flat_map(|(l, (w, b))| {
                [
                    (format!("lin{l}.weight"), w.clone()),
                    (format!("lin{l}.bias"), b.clone()),
                ]
            })
            .collect();
        v.push(("codes".into(), m.codes.clone()));
        v
    };
    let a = params("a.safetensors");
    assert!(
        a == params("b.safetensors"),
        "b.safetensors differs from its checkpoint"
    );
    // Resuming into the checkpoint itself continues it.
    ok(&train(&[
        "--resume",
        "a.safetensors",
        "--out",
        "a.safetensors",
        "--epochs",
        "3",
    ]));
    assert!(
        params("a.safetensors") != a,
        "a third epoch changed nothing"
    );
}

/// Issue 35 (round 2): an output is never one of the command's inputs, nor a file another
/// command wrote; a rerun into an OME-Zarr store keeps what a user added inside it.
#[test]
fn reruns_and_outputs_keep_what_others_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    phantoms(d);
    let tif = d.join("ph/dividing_000.tif");
    let before = std::fs::read(&tif).unwrap();
    // describe reading a TIFF does not write its table over it, not even with --overwrite.
    for extra in [&[][..], &["--overwrite"][..]] {
        let mut args = vec![
            "describe",
            "ph/dividing_000.tif",
            "--out",
            "ph/dividing_000.tif",
        ];
        args.extend(extra);
        failed_with(&cellsdf(&args, d), &["one of this command's inputs"]);
        assert_eq!(std::fs::read(&tif).unwrap(), before);
    }
    // ... nor over the manifest the phantom command wrote.
    let manifest = std::fs::read(d.join("ph/manifest.json")).unwrap();
    failed_with(
        &cellsdf(&["describe", "ph", "--out", "ph/manifest.json"], d),
        &["manifest.json by cellsdf phantom", "--overwrite"],
    );
    assert_eq!(std::fs::read(d.join("ph/manifest.json")).unwrap(), manifest);
    // A table of its own it replaces on a rerun.
    ok(&cellsdf(&["describe", "ph", "--out", "ph/table.csv"], d));
    ok(&cellsdf(&["describe", "ph", "--out", "ph/table.csv"], d));

    // OME-Zarr: a rerun of the same command replaces cellsdf's arrays and keeps the rest.
    let synth = [
        "synth", "--count", "1", "--frames", "2", "--size", "24,24,24", "--format", "ome-zarr",
        "--out", "z",
    ];
    ok(&cellsdf(&synth, d));
    let store = d.join("z/synth_000.ome.zarr");
    assert!(store.join("zarr.json").is_file());
    std::fs::create_dir_all(store.join("labels/manual")).unwrap();
    std::fs::write(store.join("labels/manual/notes.txt"), b"my notes").unwrap();
    std::fs::write(store.join("NOTES.md"), b"# mine").unwrap();
    ok(&cellsdf(&synth, d));
    assert_eq!(
        std::fs::read(store.join("labels/manual/notes.txt")).unwrap(),
        b"my notes"
    );
    assert_eq!(std::fs::read(store.join("NOTES.md")).unwrap(), b"# mine");
    assert!(
        store.join("0/zarr.json").is_file(),
        "the new store is in place"
    );
    let leftovers: Vec<_> = std::fs::read_dir(d.join("z"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Two simulate runs into one folder at once: the second is refused while the first holds
/// the folder, and the first completes with its own files only.
#[test]
fn a_second_simulate_into_a_busy_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let args = |seed: &'static str| {
        vec![
            "simulate", "--cells", "2", "--frames", "24", "--size", "96,96,32", "--seed", seed,
            "--out", "sim", "--quiet",
        ]
    };
    let mut first = Command::new(env!("CARGO_BIN_EXE_cellsdf"))
        .args(args("1"))
        .current_dir(d)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lock = d.join("sim/.cellsdf-lock");
    let t0 = std::time::Instant::now();
    while !lock.exists() && t0.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(lock.exists(), "the first run never locked its folder");
    let second = Command::new(env!("CARGO_BIN_EXE_cellsdf"))
        .args(args("2"))
        .current_dir(d)
        .output()
        .unwrap();
    let still_running = first.try_wait().unwrap().is_none();
    let status = first.wait().unwrap();
    assert!(status.success(), "the first run failed");
    if still_running {
        failed_with(&second, &["another cellsdf run", "sim"]);
    }
    let m = std::fs::read_to_string(d.join("sim/manifest.json")).unwrap();
    assert!(m.contains("\"seed\": 1"), "{m}");
    assert!(!lock.exists(), "the lock outlived the run");
}
