//! The command line end to end on tiny data: phantom -> prepare -> train -> fit,
//! interpolate, reconstruct, export, synth. Each step is checked by a property that a
//! broken step fails (not by its own output alone). Needs training (libtorch).
#![cfg(feature = "torch")]

mod common;

use cellsdf::io::{read_hyperstack, AnyStack};
use common::cli;

#[test]
fn phantom_prepare_train_fit_interpolate_export_synth() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    cli(&[
        "phantom",
        "--kind",
        "dividing",
        "--count",
        "2",
        "--frames",
        "3",
        "--voxel-um",
        "0.25",
        "--seed",
        "4",
        "--out",
        &d("ph"),
    ]);
    let out = cli(&[
        "prepare",
        &d("ph"),
        "--out",
        &d("ds"),
        "--grid",
        "24",
        "--samples-per-frame",
        "2048",
    ]);
    assert!(out.contains("prepared 2 sequences, 6 frames"), "{out}");
    let out = cli(&[
        "train",
        "--data",
        &d("ds"),
        "--out",
        &d("m.safetensors"),
        "--arch",
        "small",
        "--epochs",
        "4",
        "--points-per-frame",
        "1024",
        "--seed",
        "1",
        "--device",
        "cpu",
    ]);
    assert!(out.contains("trained 4 epochs"), "{out}");

    // Interpolation starts at sequence 0's code and ends at sequence 1's: with one scale for
    // the dataset (the default) its end frames are the reconstructions, byte for byte.
    let grid = ["--frames", "3", "--size", "20,20,20", "--device", "cpu"];
    let args = |cmd: &str, extra: &[&str], out: &str| {
        let mut a = vec![cmd, "--model", "m.safetensors"];
        a.extend(extra);
        a.extend(grid);
        a.extend(["--out", out]);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| {
        let a: Vec<String> = a
            .into_iter()
            .map(|s| {
                if s == "m.safetensors" {
                    d("m.safetensors")
                } else {
                    s
                }
            })
            .collect();
        cli(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    run(args(
        "interpolate",
        &["--from", "0", "--to", "1", "--steps", "3"],
        &d("morph"),
    ));
    run(args("reconstruct", &["--sequence", "0"], &d("rec")));
    run(args("reconstruct", &["--sequence", "1"], &d("rec")));
    let read = |p: &str| std::fs::read(dir.path().join(p)).unwrap();
    assert_eq!(read("morph/morph_000.tif"), read("rec/reconstruct_000.tif"));
    assert_eq!(read("morph/morph_002.tif"), read("rec/reconstruct_001.tif"));
    assert_ne!(read("morph/morph_001.tif"), read("morph/morph_000.tif"));

    // Export drops the training state but not the model: same synthesis, smaller file.
    cli(&[
        "export",
        "--model",
        &d("m.safetensors"),
        "--out",
        &d("small.safetensors"),
    ]);
    let size = |p: &str| std::fs::metadata(dir.path().join(p)).unwrap().len();
    assert!(size("small.safetensors") < size("m.safetensors"));
    for (model, out) in [("m.safetensors", "s1"), ("small.safetensors", "s2")] {
        cli(&[
            "synth",
            "--model",
            &d(model),
            "--count",
            "2",
            "--seed",
            "3",
            "--frames",
            "3",
            "--size",
            "20,20,20",
            "--device",
            "cpu",
            "--out",
            &d(out),
        ]);
    }
    for f in ["synth_000.tif", "synth_001.tif"] {
        assert_eq!(read(&format!("s1/{f}")), read(&format!("s2/{f}")), "{f}");
    }

    // A code fitted to phantom 0 (how well it fits is tests/synth.rs's business, with a
    // trained model): the JSON carries the frame times and normalisation that preparing the
    // cell gave the dataset, and the rendered fit has the frames and voxel size asked for.
    // Fitting works from memory: it runs with no usable temporary folder.
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_cellsdf"))
        .args(["--quiet", "fit", "--model", &d("m.safetensors"), "--masks"])
        .args([
            &d("ph/dividing_000.tif"),
            "--out",
            &d("fit.json"),
            "--iterations",
            "20",
        ])
        .args([
            "--device",
            "cpu",
            "--render",
            &d("fit.tif"),
            "--frames",
            "4",
        ])
        .args(["--render-voxel-um", "0.5"])
        .env("TMPDIR", dir.path().join("no-such-folder"))
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let fit: serde_json::Value = serde_json::from_slice(&read("fit.json")).unwrap();
    let ds: serde_json::Value = serde_json::from_slice(&read("ds/dataset.json")).unwrap();
    let s0 = &ds["sequences"][0];
    let times: Vec<f64> = s0["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["t"].as_f64().unwrap())
        .collect();
    assert_eq!(fit["frame_t"], serde_json::json!(times));
    assert_eq!(fit["normalisation"], s0["normalisation"]);
    let AnyStack::U8(rendered) = read_hyperstack(&dir.path().join("fit.tif")).unwrap() else {
        panic!("uint8 masks expected")
    };
    assert_eq!(rendered.data.dim().0, 4);
    let v = rendered.calibration.voxel_um.unwrap();
    assert_eq!((v.x, v.y, v.z), (0.5, 0.5, 0.5));
    assert!(fit["loss"].as_f64().unwrap().is_finite());
}
