//! Training throughput of the paper network: points per second for forward + backward +
//! Adam step, one frame of 16384 points per step, 2 CPU threads, against the same step of
//! the reference decoder in PyTorch from the venv. Run: `make bench` or
//! `cargo bench --bench train_step`.

use cellsdf::dataset::{prepare, Dataset, PrepareOptions};
use cellsdf::device::DeviceChoice;
use cellsdf::model::ArchConfig;
use cellsdf::phantom::{generate, PhantomKind, PhantomOptions};
use cellsdf::progress::Silent;
use cellsdf::train::{train, TrainOptions};
use cellsdf::VoxelSize;
use std::process::Command;
use std::time::Instant;

fn main() {
    let points = 16384;
    let threads = 2;
    // A real dataset: 2 dividing phantoms x 4 frames, 16384 samples per frame.
    let dir = tempfile::tempdir().unwrap();
    let mut o = PhantomOptions::new(PhantomKind::Dividing);
    o.count = 2;
    o.frames = 4;
    o.voxel_um = VoxelSize::isotropic(0.25);
    o.size_xyz = cellsdf::phantom::default_size(o.kind, o.voxel_um);
    generate(&o, &dir.path().join("ph"), &Silent).unwrap();
    let p = PrepareOptions {
        grid: 0,
        samples_per_frame: points,
        ..Default::default()
    };
    prepare(
        &[dir.path().join("ph")],
        &dir.path().join("ds"),
        &p,
        &Silent,
    )
    .unwrap();
    let data = Dataset::open(&dir.path().join("ds")).unwrap();
    let opts = TrainOptions {
        arch: ArchConfig::paper(),
        epochs: 3,
        device: DeviceChoice::Cpu,
        threads: Some(threads),
        checkpoint_every: 0,
        ..Default::default()
    };
    // One warm-up epoch, then time two (8 steps each).
    let out = dir.path().join("m.safetensors");
    train(
        &data,
        &TrainOptions {
            epochs: 1,
            ..opts.clone()
        },
        &out,
        None,
        &Silent,
    )
    .unwrap();
    let t = Instant::now();
    train(
        &data,
        &TrainOptions { epochs: 2, ..opts },
        &out,
        None,
        &Silent,
    )
    .unwrap();
    let ours = (2 * data.frames_total() * points) as f64 / t.elapsed().as_secs_f64();
    let py = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/train_step_reference.py"
    );
    let r = Command::new(py)
        .args([script, &points.to_string(), "16", &threads.to_string()])
        .output()
        .expect("run the venv's python");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let torch = v["points_per_s"].as_f64().unwrap();
    println!("training step, paper network (216,137 parameters), {points} points per step, {threads} threads:");
    println!("  cellsdf (tch, code folded into per-frame biases) {:8.0} points/s (includes data loading)", ours);
    println!(
        "  PyTorch {} reference decoder                 {:8.0} points/s",
        v["torch"].as_str().unwrap_or("?"),
        torch
    );
    println!("  ratio cellsdf / PyTorch = {:.2}", ours / torch);
}
