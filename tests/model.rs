//! The auto-decoder: architecture, parity with the reference implementation (PyTorch, via the
//! converter), training that fits, exact resume, cancellation, and bad checkpoints.
#![cfg(feature = "torch")]

mod common;

use cellsdf::dataset::{prepare, Dataset, PrepareOptions};
use cellsdf::device::DeviceChoice;
use cellsdf::io::NpyArray;
use cellsdf::model::{Activation, ArchConfig, Decoder, Model, TorchModel};
use cellsdf::phantom::{generate, PhantomKind, PhantomOptions};
use cellsdf::progress::Silent;
use cellsdf::train::{train, TrainOptions};
use cellsdf::workflow::reconstruction_ji;
use cellsdf::{Error, VoxelSize};
use std::path::Path;
use tch::{Device, Kind, Tensor};

#[test]
fn paper_network_has_216137_parameters_and_folding_changes_nothing() {
    tch::manual_seed(1);
    let d = Decoder::new(&ArchConfig::paper(), Device::Cpu).unwrap();
    assert_eq!(d.parameter_count(), 216_137);
    let code = Tensor::randn([192], (Kind::Float, Device::Cpu)) * 0.1;
    let pts = Tensor::rand([1000, 4], (Kind::Float, Device::Cpu)) * 2.0 - 1.0;
    let full = Tensor::cat(
        &[
            code.reshape([1, 192]).expand([1000, 192], false),
            pts.shallow_clone(),
        ],
        1,
    );
    let a = tch::no_grad(|| d.forward(&full)).unwrap();
    let b = tch::no_grad(|| d.forward_shared(&code, &pts)).unwrap();
    let diff = (a - b).abs().max().double_value(&[]);
    assert!(diff < 1e-5, "{diff}");
}

/// Several frames at once (training with `--frames-per-batch`): every group gets its own
/// code, checked against the concatenated-input forward pass of each group on its own.
#[test]
fn frames_evaluated_together_each_use_their_own_code() {
    tch::manual_seed(2);
    let d = Decoder::new(&ArchConfig::paper(), Device::Cpu).unwrap();
    let codes = Tensor::randn([3, 192], (Kind::Float, Device::Cpu)) * 0.1;
    let pts = Tensor::rand([3, 500, 4], (Kind::Float, Device::Cpu)) * 2.0 - 1.0;
    let together = tch::no_grad(|| d.forward_frames(&codes, &pts)).unwrap();
    assert_eq!(together.size(), [3, 500]);
    for f in 0..3 {
        let full = Tensor::cat(
            &[
                codes.get(f).reshape([1, 192]).expand([500, 192], false),
                pts.get(f),
            ],
            1,
        );
        let alone = tch::no_grad(|| d.forward(&full)).unwrap();
        let diff = (alone - together.get(f)).abs().max().double_value(&[]);
        assert!(diff < 1e-5, "frame {f}: {diff}");
    }
}

#[test]
fn converted_reference_models_give_the_reference_sdf() {
    for activation in ["sine", "relu"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        common::run_python("reference_decoder.py", &["write", d, activation]);
        // The converter hands the tensors to the libcellsdf this test build made.
        let lib = std::env::current_exe()
            .unwrap()
            .with_file_name("libcellsdf.so");
        let out = std::process::Command::new(common::python())
            .current_dir(common::repo().join("bindings/python"))
            .env("CELLSDF_LIBRARY", &lib)
            .args([
                "-m",
                "cellsdf.convert_reference",
                "--activation",
                activation,
                "--pth",
            ])
            .arg(dir.path().join("model.pth"))
            .arg("--codes")
            .arg(dir.path().join("lat_vecs.mat"))
            .arg("--out")
            .arg(dir.path().join("m.safetensors"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let plain = Model::load(&dir.path().join("m.safetensors")).unwrap();
        let model = TorchModel::from_model(&plain, Device::Cpu).unwrap();
        assert_eq!(
            model.meta.config,
            ArchConfig {
                activation: if activation == "sine" {
                    Activation::Sine
                } else {
                    Activation::Relu
                },
                ..ArchConfig::paper()
            }
        );
        assert_eq!((plain.n_codes(), plain.codes.len()), (3, 3 * 192));
        let x = NpyArray::open(&dir.path().join("inputs.npy")).unwrap();
        let y = NpyArray::open(&dir.path().join("outputs.npy")).unwrap();
        let input = Tensor::from_slice(x.data()).reshape([1500, 196]);
        let want = Tensor::from_slice(y.data());
        let got = tch::no_grad(|| model.decoder.forward(&input)).unwrap();
        let diff = (&got - &want).abs().max().double_value(&[]);
        assert!(
            diff < 1e-5,
            "{activation}: max |cellsdf - reference| = {diff}"
        );
        // The folded path with the stored codes gives the same values.
        for i in 0..3i64 {
            let pts = input.narrow(0, i * 500, 500).narrow(1, 192, 4);
            let got =
                tch::no_grad(|| model.decoder.forward_shared(&model.codes.get(i), &pts)).unwrap();
            let diff = (got - want.narrow(0, i * 500, 500))
                .abs()
                .max()
                .double_value(&[]);
            assert!(diff < 1e-5, "{activation} code {i}: {diff}");
        }
    }
}

/// Two dividing phantoms of 3 frames at 0.25 um, prepared at 32^3.
fn tiny_dataset(dir: &Path) -> Dataset {
    let mut o = PhantomOptions::new(PhantomKind::Dividing);
    o.count = 2;
    o.frames = 3;
    o.voxel_um = VoxelSize::isotropic(0.25);
    o.size_xyz = cellsdf::phantom::default_size(o.kind, o.voxel_um);
    generate(&o, &dir.join("ph"), &Silent).unwrap();
    let p = PrepareOptions {
        grid: 32,
        samples_per_frame: 4096,
        ..Default::default()
    };
    prepare(&[dir.join("ph")], &dir.join("ds"), &p, &Silent).unwrap();
    Dataset::open(&dir.join("ds")).unwrap()
}

fn tiny_options(epochs: usize) -> TrainOptions {
    TrainOptions {
        arch: ArchConfig::small(),
        epochs,
        lr_net: 1e-3,
        lr_codes: 1e-3,
        halve_every: 60,
        device: DeviceChoice::Cpu,
        threads: Some(2),
        seed: 9,
        checkpoint_every: 1,
        ..Default::default()
    }
}

#[test]
fn tiny_model_fits_its_training_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    let start = std::time::Instant::now();
    let model = train(
        &data,
        &tiny_options(150),
        &dir.path().join("m.safetensors"),
        None,
        &Silent,
    )
    .unwrap();
    let loss = &model.meta.training.as_ref().unwrap().loss_history;
    println!(
        "150 epochs in {:.1} s; loss {:.4} -> {:.4}",
        start.elapsed().as_secs_f64(),
        loss[0],
        loss[149]
    );
    assert!(
        loss[149] < 0.2 * loss[0],
        "loss {} -> {}",
        loss[0],
        loss[149]
    );
    let ji = reconstruction_ji(&model, &data, &cellsdf::progress::Silent).unwrap();
    let mean = ji.iter().sum::<f64>() / ji.len() as f64;
    println!("reconstruction JI {ji:.3?}, mean {mean:.3}");
    // Measured 0.898 +- 0.017 (small network, 32^3 grid, 150 epochs, seed 9).
    assert!(mean >= 0.85, "mean JI {mean}");
    // The checkpoint on disk is the returned model.
    let loaded = Model::load(&dir.path().join("m.safetensors")).unwrap();
    let again = reconstruction_ji(&loaded, &data, &cellsdf::progress::Silent).unwrap();
    assert_eq!(ji, again);
    assert_eq!(
        loaded.meta.sequences[1].normalisation,
        Some(data.meta.sequences[1].normalisation)
    );
}

fn max_param_diff(a: &Model, b: &Model) -> f64 {
    let diff = |x: &[f32], y: &[f32]| {
        assert_eq!(x.len(), y.len());
        x.iter()
            .zip(y)
            .map(|(p, q)| (p - q).abs() as f64)
            .fold(0.0, f64::max)
    };
    let mut worst = diff(&a.codes, &b.codes);
    for ((wa, ba), (wb, bb)) in a.layers.iter().zip(&b.layers) {
        worst = worst.max(diff(wa, wb)).max(diff(ba, bb));
    }
    worst
}

#[test]
fn resumed_training_equals_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    let straight = train(
        &data,
        &tiny_options(4),
        &dir.path().join("a.safetensors"),
        None,
        &Silent,
    )
    .unwrap();
    train(
        &data,
        &tiny_options(2),
        &dir.path().join("b.safetensors"),
        None,
        &Silent,
    )
    .unwrap();
    let resumed = train(
        &data,
        &tiny_options(4),
        &dir.path().join("c.safetensors"),
        Some(&dir.path().join("b.safetensors")),
        &Silent,
    )
    .unwrap();
    let d = max_param_diff(&straight, &resumed);
    assert!(d < 1e-7, "max parameter difference {d}");
    assert_eq!(
        straight.meta.training.as_ref().unwrap().loss_history,
        resumed.meta.training.as_ref().unwrap().loss_history
    );
}

#[test]
fn cancelled_training_keeps_its_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    let path = dir.path().join("m.safetensors");
    // Stop during the third epoch; checkpoints are written after each epoch.
    let stop = |f: f32, _: &str| f < 2.5 / 4.0;
    let e = train(&data, &tiny_options(4), &path, None, &stop)
        .err()
        .unwrap();
    assert!(matches!(e, Error::Cancelled));
    let (m, state) = Model::load_with_extra(&path).unwrap();
    assert_eq!(m.meta.training.unwrap().epochs_done, 2);
    assert!(state.keys().any(|k| k.starts_with("adam.m.")));
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".part")
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn bad_checkpoints_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = Model::load(&d.join("none.safetensors")).err().unwrap();
    assert!(matches!(e, Error::Io { .. }) && e.to_string().contains("none.safetensors"));
    std::fs::write(
        d.join("junk.safetensors"),
        b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}     ",
    )
    .unwrap();
    let e = Model::load(&d.join("junk.safetensors"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("junk.safetensors") && e.contains("not a cellsdf model"),
        "{e}"
    );
    let m = TorchModel::new(&ArchConfig::small(), vec![], 0.1, Device::Cpu)
        .unwrap()
        .to_model()
        .unwrap();
    let good = d.join("good.safetensors");
    m.save(&good, &[]).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(d.join("trunc.safetensors"), &bytes[..bytes.len() - 100]).unwrap();
    let e = Model::load(&d.join("trunc.safetensors"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("trunc.safetensors") && e.contains("truncated"),
        "{e}"
    );
    // Weights that do not match the architecture in the metadata.
    let mut edited = bytes.clone();
    // The description is JSON inside the JSON header: its quotes are escaped.
    let at = edited
        .windows(10)
        .position(|w| w == b"width\\\":64")
        .expect("width in the header");
    edited[at + 8..at + 10].copy_from_slice(b"72");
    std::fs::write(d.join("mismatch.safetensors"), edited).unwrap();
    let e = Model::load(&d.join("mismatch.safetensors"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("mismatch.safetensors") && e.contains("shape"),
        "{e}"
    );
    // A safetensors file of another program.
    let other = safetensors::serialize(
        Vec::<(String, safetensors::tensor::TensorView)>::new(),
        None,
    )
    .unwrap();
    std::fs::write(d.join("other.safetensors"), other).unwrap();
    let e = Model::load(&d.join("other.safetensors"))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("no cellsdf-model metadata"), "{e}");
    assert!(m
        .code(5)
        .err()
        .unwrap()
        .to_string()
        .contains("out of range"));
}

#[test]
fn learned_rotations_rotate_train_and_round_trip() {
    use cellsdf::model::rotate_coords;
    let p = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 0.5, 0.0, 0.0, 1.0, -0.5]).reshape([2, 4]);
    let r = rotate_coords(
        &p,
        &Tensor::from_slice(&[0.0f32, 0.0, std::f32::consts::FRAC_PI_2]),
    )
    .unwrap();
    let want = Tensor::from_slice(&[0.0f32, 1.0, 0.0, 0.5, 0.0, 0.0, 1.0, -0.5]).reshape([2, 4]);
    assert!((r - want).abs().max().double_value(&[]) < 1e-6);
    let r = rotate_coords(
        &p,
        &Tensor::from_slice(&[0.0f32, std::f32::consts::FRAC_PI_2, 0.0]),
    )
    .unwrap();
    let want = Tensor::from_slice(&[0.0f32, 0.0, -1.0, 0.5, 1.0, 0.0, 0.0, -0.5]).reshape([2, 4]);
    assert!((r - want).abs().max().double_value(&[]) < 1e-6);

    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    let mut opts = tiny_options(20);
    opts.arch.learned_rotation = true;
    let path = dir.path().join("rot.safetensors");
    let model = train(&data, &opts, &path, None, &Silent).unwrap();
    let angles = model.rotations.as_ref().unwrap();
    assert_eq!(angles.len(), 2);
    assert!(
        angles.as_flattened().iter().any(|a| *a != 0.0),
        "rotations were not trained"
    );
    let loaded = Model::load(&path).unwrap();
    assert!(loaded.meta.config.learned_rotation);
    assert_eq!(
        reconstruction_ji(&model, &data, &cellsdf::progress::Silent).unwrap(),
        reconstruction_ji(&loaded, &data, &cellsdf::progress::Silent).unwrap()
    );
}

/// Rendering with a learned rotation, end to end (a reconstruct job through the workflow,
/// written as an SDF hyperstack): with sequence 0's rotation set to 90 degrees about z,
/// the rendered field at (x, y, z) is the unrotated field at (-y, x, z): on the centred
/// grid, frame[z][y][x] = unrotated[z][x][n - 1 - y]. A renderer that ignored or misapplied
/// the rotation fails this for the random network used here.
#[test]
fn learned_rotations_reach_the_rendered_sequences() {
    use cellsdf::io::{read_hyperstack, AnyStack, OutputDir};
    use cellsdf::synth::{Evaluation, RenderGrid, Renderer, SynthOptions};
    use cellsdf::workflow::{render_jobs, render_to_folder, RenderRequest};
    let mut config = ArchConfig::small();
    config.learned_rotation = true;
    let seqs = (0..2)
        .map(|i| cellsdf::model::TrainedSequence {
            name: format!("s{i}"),
            normalisation: None,
            voxel_um: None,
            frame_interval_s: None,
            frame_t: vec![-1.0, 1.0],
            frame_offset_um: Vec::new(),
        })
        .collect();
    let mut model = TorchModel::new(&config, seqs, 0.5, Device::Cpu)
        .unwrap()
        .to_model()
        .unwrap();
    model.rotations = Some(vec![[0.0, 0.0, std::f32::consts::FRAC_PI_2], [0.0; 3]]);
    let n = 15;
    let dir = tempfile::tempdir().unwrap();
    let opts = SynthOptions {
        frames: 1,
        size_xyz: Some([n; 3]),
        mode: Evaluation::Dense,
        write_sdf: true,
        ..SynthOptions::default()
    };
    let jobs = render_jobs(&model, RenderRequest::Reconstruct { sequence: 0 }, &Silent).unwrap();
    assert!(
        jobs[0].rotation.is_some(),
        "the job carries the learned rotation"
    );
    let mut out = OutputDir::create(dir.path(), "synth", false).unwrap();
    render_to_folder(&model, "test", jobs, &opts, &mut out, &Silent).unwrap();
    let AnyStack::F32(rotated) =
        read_hyperstack(&dir.path().join("reconstruct_000_sdf.tif")).unwrap()
    else {
        panic!("float32 SDF expected")
    };
    let grid: RenderGrid = opts.grid(1.0).unwrap();
    let plain = Renderer::new(&model, &model.code(0).unwrap(), None)
        .unwrap()
        .frame(&grid, 0.0, Evaluation::Dense)
        .unwrap();
    let (mut worst, mut moved) = (0.0f32, 0.0f32);
    for ((z, y, x), &v) in plain.indexed_iter() {
        let r = rotated.data[[0, z, y, x]];
        worst = worst.max((r - plain[[z, x, n - 1 - y]]).abs());
        moved = moved.max((r - v).abs());
    }
    assert!(
        worst < 1e-4,
        "rotated render differs from the rotated field by {worst} um"
    );
    assert!(moved > 1e-2, "the rotation changed nothing ({moved})");
}

/// cellsdf's Adam (training and fitting) against torch.optim.Adam on the same gradients,
/// step by step, with two learning-rate groups.
#[test]
fn adam_equals_torch_optim_adam() {
    use cellsdf::train::{Adam, Param};
    let reference: Vec<[Vec<f32>; 2]> =
        serde_json::from_str(&common::run_python("torch_adam.py", &[])).unwrap();
    let a = Tensor::linspace(-1.0, 1.0, 5, (Kind::Float, Device::Cpu)).set_requires_grad(true);
    let b = Tensor::linspace(0.5, 2.0, 3, (Kind::Float, Device::Cpu)).set_requires_grad(true);
    let mut adam = Adam::new(
        vec![
            Param {
                name: "a".into(),
                tensor: a.shallow_clone(),
                group: 0,
            },
            Param {
                name: "b".into(),
                tensor: b.shallow_clone(),
                group: 1,
            },
        ],
        vec![1e-2, 3e-3],
    );
    let grad = |k: usize, n: usize| {
        let g: Vec<f32> = (0..n)
            .map(|i| ((0.7 * k as f64 + 1.3 * i as f64).sin() * (1 + i % 3) as f64) as f32)
            .collect();
        Tensor::from_slice(&g)
    };
    for (k, want) in reference.iter().enumerate() {
        adam.zero_grad();
        ((&a * grad(k, 5)).sum(Kind::Float) + (&b * grad(k, 3)).sum(Kind::Float)).backward();
        adam.step();
        for (t, w) in [&a, &b].into_iter().zip(want) {
            let got = Vec::<f32>::try_from(t.detach()).unwrap();
            for (g, w) in got.iter().zip(w) {
                assert!((g - w).abs() < 1e-6, "step {k}: {got:?} vs torch {w:?}");
            }
        }
    }
    assert_eq!(reference.len(), 25);
}
