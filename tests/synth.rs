//! Synthesis: constant folding, dense vs adaptive evaluation on trained models of both
//! phantom classes, reconstruction equal to the trainer's evaluation, fitting, interpolation,
//! and bad input.
#![cfg(feature = "torch")]

use cellsdf::dataset::{prepare, Dataset, PrepareOptions};
use cellsdf::device::DeviceChoice;
use cellsdf::io::{read_hyperstack, AnyStack};
use cellsdf::model::{jaccard, ArchConfig, Decoder, Model};
use cellsdf::phantom::{generate, PhantomKind, PhantomOptions};
use cellsdf::progress::Silent;
use cellsdf::synth::{
    draw_codes, fit_code, interpolate_codes, CodeSource, Evaluation, FitOptions, RenderGrid,
    Renderer, SynthOptions,
};
use cellsdf::train::{train, TrainOptions};
use cellsdf::workflow::reconstruction_ji;
use cellsdf::{Error, VoxelSize};
use std::path::PathBuf;
use std::sync::OnceLock;
use tch::{Device, Kind, Tensor};

/// A tiny trained model per class (trained once per test run, then loaded by each test)
/// and its dataset.
fn trained(kind: PhantomKind) -> (PathBuf, Model, Dataset) {
    static DIV: OnceLock<PathBuf> = OnceLock::new();
    static FIL: OnceLock<PathBuf> = OnceLock::new();
    let cell = if kind == PhantomKind::Dividing {
        &DIV
    } else {
        &FIL
    };
    let dir = cell.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let mut o = PhantomOptions::new(kind);
        o.count = 2;
        o.frames = 3;
        o.voxel_um = VoxelSize::isotropic(if kind == PhantomKind::Dividing {
            0.25
        } else {
            0.2
        });
        o.size_xyz = cellsdf::phantom::default_size(kind, o.voxel_um);
        generate(&o, &dir.join("ph"), &Silent).unwrap();
        let p = PrepareOptions {
            grid: 32,
            samples_per_frame: 4096,
            ..Default::default()
        };
        prepare(&[dir.join("ph")], &dir.join("ds"), &p, &Silent).unwrap();
        let data = Dataset::open(&dir.join("ds")).unwrap();
        let opts = TrainOptions {
            arch: ArchConfig::small(),
            epochs: 100,
            lr_net: 1e-3,
            halve_every: 40,
            device: DeviceChoice::Cpu,
            threads: Some(2),
            seed: 3,
            checkpoint_every: 0,
            ..Default::default()
        };
        train(&data, &opts, &dir.join("m.safetensors"), None, &Silent).unwrap();
        dir
    });
    let model = Model::load(&dir.join("m.safetensors")).unwrap();
    (dir.clone(), model, Dataset::open(&dir.join("ds")).unwrap())
}

#[test]
fn folding_code_and_time_into_biases_changes_values_by_less_than_1e_5() {
    tch::manual_seed(4);
    let d = Decoder::new(&ArchConfig::paper(), Device::Cpu).unwrap();
    let code = Tensor::randn([192], (Kind::Float, Device::Cpu)) * 0.1;
    let xyz = Tensor::rand([2000, 3], (Kind::Float, Device::Cpu)) * 2.0 - 1.0;
    let t = 0.37;
    let full = Tensor::cat(
        &[
            code.reshape([1, 192]).expand([2000, 192], false),
            xyz.shallow_clone(),
            xyz.narrow(1, 0, 1).full_like(t),
        ],
        1,
    );
    let naive = tch::no_grad(|| d.forward(&full)).unwrap();
    let folded =
        tch::no_grad(|| d.forward_frame(&xyz, &d.frame_biases(&code, t).unwrap())).unwrap();
    let diff = (naive - folded).abs().max().double_value(&[]);
    assert!(diff < 1e-5, "{diff}");
}

#[test]
fn adaptive_evaluation_gives_the_dense_masks_of_both_classes() {
    for kind in [PhantomKind::Dividing, PhantomKind::Filopodial] {
        let (_, model, _) = trained(kind);
        let model = &model;
        let scale = model.meta.sequences[0].normalisation.unwrap().scale_um;
        let grid = RenderGrid::centred(
            [80, 72, 64],
            VoxelSize {
                x: 2.2 * scale / 80.0,
                y: 2.2 * scale / 72.0,
                z: 2.2 * scale / 64.0,
            },
            scale,
        );
        for code in [
            model.code(0).unwrap(),
            draw_codes(model, CodeSource::Random { sigma: None }, 1, 5).unwrap()[0]
                .values
                .clone(),
        ] {
            for t in [-1.0, 0.3] {
                let mut dense = Renderer::new(model, &code, None).unwrap();
                let d = dense.frame(&grid, t, Evaluation::Dense).unwrap();
                let mut adaptive = Renderer::new(model, &code, None).unwrap();
                let a = adaptive.frame(&grid, t, Evaluation::adaptive()).unwrap();
                let ji = jaccard(d.view(), a.view());
                let fraction = adaptive.points_evaluated as f64 / dense.points_evaluated as f64;
                println!(
                    "{kind} t={t}: JI {ji:.5}, adaptive evaluated {:.1} %",
                    100.0 * fraction
                );
                assert!(ji >= 0.999, "{kind} t={t}: JI {ji}");
                assert!(fraction < 0.5, "{kind}: adaptive evaluated {fraction}");
                // Near the surface the values are the dense ones.
                for (x, y) in d.iter().zip(a.iter()) {
                    if x.abs() < 0.05 * scale as f32 {
                        assert!((x - y).abs() < 1e-4 * scale as f32);
                    }
                }
            }
        }
    }
}

#[test]
fn reconstruction_on_the_training_grid_matches_the_trainer() {
    let (_, model, data) = trained(PhantomKind::Dividing);
    let (model, data) = (&model, &data);
    let n = data.meta.grid;
    let trainer = reconstruction_ji(model, data, &cellsdf::progress::Silent).unwrap();
    for (i, s) in data.meta.sequences.iter().enumerate() {
        let scale = s.normalisation.scale_um;
        // Voxel centres of an n^3 grid of 2 scale / (n - 1) um, centred: the dataset's nodes.
        let grid = RenderGrid::centred(
            [n; 3],
            VoxelSize::isotropic(2.0 * scale / (n - 1) as f64),
            scale,
        );
        let mut r = Renderer::new(model, &model.code(i).unwrap(), None).unwrap();
        for (k, f) in s.frames.iter().enumerate() {
            let sdf = r
                .frame(&grid, f.t, Evaluation::Dense)
                .unwrap()
                .mapv(|v| v / scale as f32);
            let want =
                cellsdf::model::grid_sdf(model, &model.code(i).unwrap(), None, f.t as f32, n)
                    .unwrap();
            let diff = (&sdf - &want)
                .mapv(f32::abs)
                .iter()
                .cloned()
                .fold(0.0, f32::max);
            assert!(diff < 1e-4, "sequence {i} frame {k}: {diff}");
            let ji = jaccard(sdf.view(), data.grid(s.first_row + k).unwrap());
            assert!((ji - trainer[s.first_row + k]).abs() < 1e-9);
        }
    }
}

#[test]
fn a_code_fitted_to_training_masks_reconstructs_them_about_as_well() {
    let (dir, model, data) = trained(PhantomKind::Dividing);
    let (model, data) = (&model, &data);
    let learned = reconstruction_ji(model, data, &cellsdf::progress::Silent).unwrap();
    let learned0: f64 = learned[..3].iter().sum::<f64>() / 3.0;
    let fitted = fit_code(
        model,
        &dir.join("ph/dividing_000.tif"),
        &FitOptions {
            iterations: 200,
            ..Default::default()
        },
        &Silent,
    )
    .unwrap();
    let s = &data.meta.sequences[0];
    assert_eq!(fitted.normalisation, s.normalisation);
    let code = fitted.code.clone();
    let mut ji = 0.0;
    for (k, f) in s.frames.iter().enumerate() {
        let g = cellsdf::model::grid_sdf(model, &code, None, f.t as f32, data.meta.grid).unwrap();
        ji += jaccard(g.view(), data.grid(k).unwrap()) / 3.0;
    }
    println!("learned code JI {learned0:.3}, fitted code JI {ji:.3}");
    assert!(ji >= learned0 - 0.05, "fitted {ji} vs learned {learned0}");
}

#[test]
fn interpolation_endpoints_are_the_two_sequences() {
    let (_, model, _) = trained(PhantomKind::Dividing);
    let model = &model;
    let codes = interpolate_codes(model, 0, 1, 4).unwrap();
    assert_eq!(codes.len(), 4);
    let (a, b) = (model.code(0).unwrap(), model.code(1).unwrap());
    assert_eq!(codes[0], a);
    assert_eq!(codes[3], b);
    let mid = codes[1]
        .iter()
        .zip(a.iter().zip(&b))
        .map(|(m, (x, y))| (m - (x * (2.0 / 3.0) + y * (1.0 / 3.0))).abs())
        .fold(0f32, f32::max);
    assert!(mid < 1e-6);
    assert!(interpolate_codes(model, 0, 7, 4).is_err());
    assert!(interpolate_codes(model, 0, 1, 1).is_err());
}

#[test]
fn bad_synthesis_requests_give_clear_errors() {
    let (dir, model, _) = trained(PhantomKind::Dividing);
    let model = &model;
    let e = model.code(9).err().unwrap().to_string();
    assert!(e.contains("9") && e.contains("2 sequences"), "{e}");
    let big = SynthOptions {
        frames: 30,
        size_xyz: Some([2048, 2048, 2048]),
        ..Default::default()
    };
    let e = big.grid(5.0).err().unwrap().to_string();
    assert!(e.contains("GB") && e.contains("2048x2048x2048"), "{e}");
    let zero = SynthOptions {
        size_xyz: Some([0, 4, 4]),
        ..Default::default()
    };
    assert!(matches!(zero.grid(5.0), Err(Error::InvalidArgument { .. })));
    assert!(Renderer::new(model, &[0.0; 5], None).is_err());
    // Two cells in one file cannot be fitted as one.
    let two = dir.join("two.tif");
    let a = match read_hyperstack(&dir.join("ph/dividing_000.tif")).unwrap() {
        AnyStack::U8(h) => h,
        _ => unreachable!(),
    };
    let mut data = a.data.clone();
    data.slice_mut(ndarray::s![.., .., .., ..10]).fill(0);
    data[[0, 2, 2, 2]] = 2;
    data[[1, 2, 2, 2]] = 2;
    cellsdf::io::write_hyperstack(&two, &cellsdf::io::Hyperstack::new(data, a.calibration))
        .unwrap();
    let e = fit_code(
        model,
        &two,
        &FitOptions {
            iterations: 1,
            ..Default::default()
        },
        &Silent,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("cells"), "{e}");
}

#[test]
fn cli_synthesizes_calibrated_masks() {
    let (dir, _, _) = trained(PhantomKind::Filopodial);
    let out = dir.join("synth");
    let exe = env!("CARGO_BIN_EXE_cellsdf");
    let r = std::process::Command::new(exe)
        .args([
            "synth",
            "--count",
            "2",
            "--frames",
            "3",
            "--size",
            "40,40,24",
            "--voxel-um",
            "0.5,0.5,0.8",
            "--seed",
            "1",
            "--device",
            "cpu",
            "--quiet",
            "--model",
        ])
        .arg(dir.join("m.safetensors"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    for k in 0..2 {
        let m = match read_hyperstack(&out.join(format!("synth_{k:03}.tif"))).unwrap() {
            AnyStack::U8(h) => h,
            other => panic!("{}", other.dtype_name()),
        };
        assert_eq!(m.data.dim(), (3, 24, 40, 40));
        assert_eq!(
            m.calibration.voxel_um,
            Some(VoxelSize {
                x: 0.5,
                y: 0.5,
                z: 0.8
            })
        );
        assert!(m.calibration.frame_interval_s.unwrap() > 0.0);
        assert!(m.data.iter().any(|&v| v == 1), "empty synthesized masks");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["sequences"].as_array().unwrap().len(), 2);
    let r = std::process::Command::new(exe)
        .args([
            "reconstruct",
            "--sequence",
            "5",
            "--device",
            "cpu",
            "--model",
        ])
        .arg(dir.join("m.safetensors"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("out of range"));
    let r = std::process::Command::new(exe)
        .args(["synth", "--device", "cpu", "--model"])
        .arg(dir.join("ph/filopodial_000.tif"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("not a cellsdf model"));
}

#[test]
fn evaluation_report_matches_the_trainer_and_renders() {
    let (dir, model, data) = trained(PhantomKind::Dividing);
    let out = dir.join("evaluation");
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_cellsdf"))
        .args([
            "evaluate", "--count", "3", "--device", "cpu", "--quiet", "--model",
        ])
        .arg(dir.join("m.safetensors"))
        .arg("--data")
        .arg(dir.join("ds"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    // The report's JI (adaptive rendering) against one computed here another way: dense
    // evaluation of every grid node (model::grid_sdf) and the Jaccard index counted by hand
    // against the dataset's stored masks, frame by frame in dataset order.
    let ji = cellsdf::describe::read_column(&out.join("reconstruction_ji.csv"), "jaccard").unwrap();
    assert_eq!(ji.len(), data.meta.frames_total);
    let mut row = 0;
    for (i, s) in data.meta.sequences.iter().enumerate() {
        let code = model.code(i).unwrap();
        assert_eq!(s.first_row, row, "rows in dataset order");
        for f in &s.frames {
            let pred =
                cellsdf::model::grid_sdf(&model, &code, None, f.t as f32, data.meta.grid).unwrap();
            let truth = data.grid(row).unwrap();
            let (mut both, mut either) = (0usize, 0usize);
            for (p, t) in pred.iter().zip(truth.iter()) {
                both += (*p <= 0.0 && *t <= 0.0) as usize;
                either += (*p <= 0.0 || *t <= 0.0) as usize;
            }
            let by_hand = both as f64 / either as f64;
            assert!(
                (ji[row] - by_hand).abs() < 0.01,
                "frame {row}: report {} vs {by_hand}",
                ji[row]
            );
            row += 1;
        }
    }
    let original = cellsdf::describe::read_column(&out.join("original.csv"), "volume_um3").unwrap();
    assert_eq!(original.len(), data.meta.frames_total);
    let generated =
        cellsdf::describe::read_column(&out.join("generated.csv"), "volume_um3").unwrap();
    assert!(!generated.is_empty());
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("Reconstruction") && report.contains("KS"));
    assert!(out.join("index.html").exists() && out.join("qq_volume_um3.svg").exists());
}
