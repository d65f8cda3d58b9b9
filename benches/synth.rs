//! Synthesis speed of the paper network on this machine (2 CPU threads): points/s of dense
//! evaluation by the engine and by libtorch beside the reference decoder in PyTorch, and a
//! 30 x 256^3 mask sequence dense vs adaptive (engine and libtorch). Dense 30 x 256^3 would
//! take about half an hour here, so dense is timed on one 256^3 frame and scaled by 30
//! (stated in the output); adaptive runs all 30 frames.
//! The network is trained briefly on phantoms first so that its surface is cell-like.
//! Run: `make bench` or `cargo bench --bench synth`.

use cellsdf::dataset::{prepare, Dataset, PrepareOptions};
use cellsdf::device::DeviceChoice;
use cellsdf::model::{jaccard, ArchConfig};
use cellsdf::phantom::{generate, PhantomKind, PhantomOptions};
use cellsdf::progress::Silent;
use cellsdf::synth::{times, Evaluation, RenderGrid, Renderer};
use cellsdf::train::{train, TrainOptions};
use cellsdf::VoxelSize;
use std::process::Command;
use std::time::Instant;

fn main() {
    let threads = 2;
    tch::set_num_threads(threads);
    let dir = tempfile::tempdir().unwrap();
    let mut o = PhantomOptions::new(PhantomKind::Dividing);
    o.count = 2;
    o.frames = 3;
    o.voxel_um = VoxelSize::isotropic(0.25);
    o.size_xyz = cellsdf::phantom::default_size(o.kind, o.voxel_um);
    generate(&o, &dir.path().join("ph"), &Silent).unwrap();
    let p = PrepareOptions {
        grid: 0,
        samples_per_frame: 4096,
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
        epochs: 60,
        lr_net: 1e-4,
        device: DeviceChoice::Cpu,
        threads: Some(threads as usize),
        checkpoint_every: 0,
        ..Default::default()
    };
    let t = Instant::now();
    let model = train(
        &data,
        &opts,
        &dir.path().join("m.safetensors"),
        None,
        &Silent,
    )
    .unwrap();
    println!(
        "(trained the paper network for 60 epochs on 2 phantoms in {:.0} s)",
        t.elapsed().as_secs_f64()
    );
    let code = model.code(0).unwrap();
    let scale = data.meta.sequences[0].normalisation.scale_um;
    let n = 256;
    let grid = RenderGrid::centred([n; 3], VoxelSize::isotropic(2.0 * scale / n as f64), scale);

    // Dense: the engine on one 256^3 frame; libtorch on a 128^3 frame (its points/s).
    let mut dense = Renderer::new(&model, &code, None).unwrap();
    let t = Instant::now();
    let d = dense.frame(&grid, 0.0, Evaluation::Dense).unwrap();
    let dense_frame = t.elapsed().as_secs_f64();
    let pps = dense.points_evaluated as f64 / dense_frame;
    let small = RenderGrid::centred([128; 3], VoxelSize::isotropic(2.0 * scale / 128.0), scale);
    let mut lt = Renderer::with_engine(&model, &code, None, false).unwrap();
    let t = Instant::now();
    lt.frame(&small, 0.0, Evaluation::Dense).unwrap();
    let lt_pps = lt.points_evaluated as f64 / t.elapsed().as_secs_f64();

    let mut adaptive = Renderer::new(&model, &code, None).unwrap();
    let a = adaptive.frame(&grid, 0.0, Evaluation::adaptive()).unwrap();
    let ji = jaccard(d.view(), a.view());
    let masks_equal = d
        .iter()
        .zip(a.iter())
        .all(|(x, y)| (*x <= 0.0) == (*y <= 0.0));
    let mut adaptive = Renderer::new(&model, &code, None).unwrap();
    let t = Instant::now();
    let seq = adaptive
        .sequence(&grid, &times(30), Evaluation::adaptive(), &Silent, 0.0, 1.0)
        .unwrap();
    let adaptive_seq = t.elapsed().as_secs_f64();
    let masks = seq.mapv(|v| (v <= 0.0) as u8);
    assert!(masks.iter().any(|&m| m == 1));
    let mut lt_adaptive = Renderer::with_engine(&model, &code, None, false).unwrap();
    let t = Instant::now();
    let lt_seq = lt_adaptive
        .sequence(&grid, &times(30), Evaluation::adaptive(), &Silent, 0.0, 1.0)
        .unwrap();
    let lt_adaptive_seq = t.elapsed().as_secs_f64();
    let same_masks = seq
        .iter()
        .zip(lt_seq.iter())
        .filter(|(x, y)| (**x <= 0.0) != (**y <= 0.0))
        .count();

    let py = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/synth_reference.py");
    let r = Command::new(py)
        .args([script, "2097152", "65536", &threads.to_string()])
        .output()
        .expect("python");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let torch = serde_json::from_slice::<serde_json::Value>(&r.stdout).unwrap()["points_per_s"]
        .as_f64()
        .unwrap();

    println!("synthesis, paper network, {threads} threads:");
    println!("  dense points/s: engine {pps:.0}, libtorch {lt_pps:.0} (both with code and t folded into biases), PyTorch reference {torch:.0}");
    println!(
        "                  engine / reference {:.2}, engine / libtorch {:.2}",
        pps / torch,
        pps / lt_pps
    );
    println!("  one 256^3 frame: dense {dense_frame:.1} s; adaptive gives JI {ji:.5} against it (masks identical: {masks_equal})");
    println!("  30 x 256^3 masks: dense {:.0} s (30 x one frame), PyTorch dense {:.0} s (30 x 256^3 / its points/s)", 30.0 * dense_frame, 30.0 * (n * n * n) as f64 / torch);
    println!(
        "                    adaptive {adaptive_seq:.1} s on the engine, {lt_adaptive_seq:.1} s on libtorch ({:.2}x); {:.2} % of the points; {same_masks} mask voxels differ between the two",
        lt_adaptive_seq / adaptive_seq,
        100.0 * adaptive.points_evaluated as f64 / (30.0 * (n * n * n) as f64),
    );
    println!(
        "                    engine adaptive vs engine dense: {:.1}x",
        30.0 * dense_frame / adaptive_seq
    );
}
