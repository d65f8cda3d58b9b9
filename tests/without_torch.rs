//! What a build without libtorch (`cargo test --no-default-features`) offers and refuses,
//! checked in both builds: the library links libtorch exactly when it can train; synthesis
//! with the bundled model, rendering and measuring work either way; training, fitting and
//! CUDA give a clear "needs libtorch" error (exit status 2, nothing written) when it cannot.

mod common;

use cellsdf::io::{read_hyperstack, AnyStack};
use common::{cli, cli_output};
use std::path::Path;

fn libcellsdf() -> std::path::PathBuf {
    // Integration tests run from target/<profile>/deps, where cargo puts the cdylib too.
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().join("libcellsdf.so")
}

#[test]
fn the_library_links_libtorch_exactly_when_it_can_train() {
    assert_eq!(cellsdf::device::has_training(), cfg!(feature = "torch"));
    let lib = libcellsdf();
    assert!(lib.exists(), "{} was not built", lib.display());
    let ldd = std::process::Command::new("ldd")
        .arg(&lib)
        .output()
        .unwrap();
    let deps = String::from_utf8_lossy(&ldd.stdout);
    assert_eq!(
        deps.contains("libtorch_cpu"),
        cfg!(feature = "torch"),
        "ldd {}:\n{deps}",
        lib.display()
    );
    let info = cli(&["info"]);
    assert_eq!(
        info.contains("libtorch: none"),
        !cfg!(feature = "torch"),
        "{info}"
    );
}

#[test]
fn the_bundled_model_synthesizes_in_either_build() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("synth");
    cli(&[
        "synth", "--count", "1", "--frames", "2", "--size", "40,40,40", "--seed", "3", "--out",
    ]
    .iter()
    .copied()
    .chain([out.to_str().unwrap()])
    .collect::<Vec<_>>());
    let AnyStack::U8(h) = read_hyperstack(&out.join("synth_000.tif")).unwrap() else {
        panic!("a uint8 mask hyperstack expected")
    };
    let inside = h.data.iter().filter(|&&v| v != 0).count();
    // A cell, not an empty or a full grid.
    assert!(
        inside > 100 && inside < h.data.len() / 2,
        "{inside} voxels inside"
    );
}

fn tiny_dataset(dir: &Path) -> String {
    let d = |p: &str| dir.join(p).to_str().unwrap().to_string();
    cli(&[
        "phantom",
        "--kind",
        "dividing",
        "--count",
        "2",
        "--frames",
        "2",
        "--voxel-um",
        "0.3",
        "--seed",
        "1",
        "--out",
        &d("ph"),
    ]);
    cli(&[
        "prepare",
        &d("ph"),
        "--out",
        &d("ds"),
        "--grid",
        "16",
        "--samples-per-frame",
        "512",
    ]);
    d("ds")
}

#[test]
fn training_fitting_and_cuda_need_libtorch() {
    if cfg!(feature = "torch") {
        return; // tests/model.rs, tests/synth.rs and tests/cli_workflow.rs train and fit.
    }
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    let model = dir.path().join("m.safetensors");
    let refused = |args: &[&str]| {
        let o = cli_output(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("needs libtorch") && err.contains("`torch` feature"),
            "{args:?}: {err}"
        );
    };
    refused(&[
        "train",
        "--data",
        &data,
        "--out",
        model.to_str().unwrap(),
        "--epochs",
        "1",
    ]);
    assert!(!model.exists(), "refused training wrote a model");
    let bundled = common::repo().join("models/dividing.safetensors");
    let bundled = bundled.to_str().unwrap();
    let masks = dir.path().join("ph/dividing_000.tif");
    let fitted = dir.path().join("fitted.json");
    refused(&[
        "fit",
        "--model",
        bundled,
        "--masks",
        masks.to_str().unwrap(),
        "--out",
        fitted.to_str().unwrap(),
    ]);
    assert!(!fitted.exists());
    let out = dir.path().join("cuda");
    refused(&[
        "synth",
        "--model",
        bundled,
        "--device",
        "cuda",
        "--count",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!out.exists());
    // The library call says the same.
    let d = cellsdf::dataset::Dataset::open(Path::new(&data)).unwrap();
    let e = cellsdf::train::train(
        &d,
        &Default::default(),
        &model,
        None,
        &cellsdf::progress::Silent,
    )
    .unwrap_err();
    assert!(matches!(e, cellsdf::Error::Unsupported(_)), "{e}");
}
