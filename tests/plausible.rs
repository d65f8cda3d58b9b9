//! The pieces behind plausible new cells (issue 13), each against a property the old
//! behaviour fails: a dataset-wide scale keeps size, alignment makes differently oriented
//! cells coincide, the far field saturates at the clamp, the scale drawn with a code
//! reproduces a known size distribution, and training sizes keep new cells as varied in
//! size as the training cells.

use cellsdf::dataset::{prepare, Alignment, Dataset, PrepareOptions, ScaleMode};
use cellsdf::io::{write_hyperstack, Hyperstack};
use cellsdf::model::{ArchConfig, Model, TrainedSequence};
use cellsdf::progress::Silent;
use cellsdf::synth::size::{code_volume, CellSizes, SizeDistribution};
use cellsdf::synth::{draw_codes, CodeSource};
use cellsdf::{Calibration, VoxelSize};
use ndarray::Array4;
use std::path::Path;

mod common;

const VOXEL: f64 = 0.25;

/// A one-frame mask of an ellipsoid with semi-axes `r` (um, along `dir` and two
/// perpendicular directions in the x-y plane and z) centred in a 48^3 image.
fn ellipsoid(path: &Path, r: [f64; 3], dir: [f64; 2]) {
    let n = 48;
    let c = n as f64 * VOXEL / 2.0;
    let len = (dir[0] * dir[0] + dir[1] * dir[1]).sqrt();
    let (ux, uy) = (dir[0] / len, dir[1] / len);
    let data = Array4::from_shape_fn((1, n, n, n), |(_, z, y, x)| {
        let p = [
            (x as f64 + 0.5) * VOXEL - c,
            (y as f64 + 0.5) * VOXEL - c,
            (z as f64 + 0.5) * VOXEL - c,
        ];
        let a = p[0] * ux + p[1] * uy;
        let b = -p[0] * uy + p[1] * ux;
        ((a / r[0]).powi(2) + (b / r[1]).powi(2) + (p[2] / r[2]).powi(2) <= 1.0) as u8
    });
    let cal = Calibration {
        voxel_um: Some(VoxelSize::isotropic(VOXEL)),
        frame_interval_s: Some(60.0),
    };
    write_hyperstack(path, &Hyperstack::new(data, cal)).unwrap();
}

fn options(scale: ScaleMode, align: Alignment, clamp: Option<f64>) -> PrepareOptions {
    PrepareOptions {
        grid: 24,
        samples_per_frame: 2048,
        scale,
        align,
        clamp,
        ..PrepareOptions::default()
    }
}

/// Prepares `inputs` into `out` with `opts` and opens the result.
fn prepared(
    inputs: &[std::path::PathBuf],
    out: &std::path::Path,
    opts: &PrepareOptions,
) -> Dataset {
    prepare(inputs, out, opts, &Silent).unwrap();
    Dataset::open(out).unwrap()
}

/// Voxels inside (sdf <= 0) of each stored grid.
fn inside_counts(d: &Dataset) -> Vec<usize> {
    (0..d.frames_total())
        .map(|r| d.grid(r).unwrap().iter().filter(|&&v| v <= 0.0).count())
        .collect()
}

#[test]
fn a_dataset_wide_scale_keeps_the_cells_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("small.tif"), tmp.path().join("large.tif"));
    ellipsoid(&a, [2.0, 2.0, 2.0], [1.0, 0.0]);
    ellipsoid(&b, [4.0, 4.0, 4.0], [1.0, 0.0]);
    let inputs = [a, b];
    let ds = |name: &str, mode| {
        let opts = options(mode, Alignment::None, Some(0.5));
        prepared(&inputs, &tmp.path().join(name), &opts)
    };
    let shared = ds("shared", ScaleMode::Dataset);
    let s = &shared.meta.sequences;
    assert_eq!(s[0].normalisation.scale_um, s[1].normalisation.scale_um);
    let n = inside_counts(&shared);
    // Volumes in model units keep the 8:1 ratio of the cells (up to voxelisation).
    let ratio = n[1] as f64 / n[0] as f64;
    assert!((ratio - 8.0).abs() < 1.2, "{n:?}");
    // Scaled each to its own box (the old behaviour), both fill the cube alike.
    let own = ds("own", ScaleMode::Sequence);
    let n = inside_counts(&own);
    let ratio = n[1] as f64 / n[0] as f64;
    assert!((ratio - 1.0).abs() < 0.15, "{n:?}");
}

#[test]
fn alignment_makes_differently_oriented_cells_coincide() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a.tif"), tmp.path().join("b.tif"));
    ellipsoid(&a, [4.5, 2.0, 1.5], [1.0, 0.0]);
    ellipsoid(&b, [4.5, 2.0, 1.5], [1.0, 1.3]);
    let inputs = [a, b];
    let jaccard = |align| {
        let opts = options(ScaleMode::Dataset, align, Some(0.5));
        let d = prepared(&inputs, &tmp.path().join(format!("{align:?}")), &opts);
        let (g0, g1) = (d.grid(0).unwrap(), d.grid(1).unwrap());
        let both = g0
            .iter()
            .zip(g1)
            .filter(|(a, b)| **a <= 0.0 && **b <= 0.0)
            .count();
        let any = g0
            .iter()
            .zip(g1)
            .filter(|(a, b)| **a <= 0.0 || **b <= 0.0)
            .count();
        both as f64 / any as f64
    };
    let (unaligned, aligned) = (jaccard(Alignment::None), jaccard(Alignment::Sequence));
    assert!(unaligned < 0.6, "{unaligned}");
    assert!(aligned > 0.85, "{aligned}");
}

#[test]
fn the_far_field_saturates_at_the_clamp_and_the_surface_stays() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("cell.tif");
    ellipsoid(&a, [2.0, 2.0, 2.0], [1.0, 0.0]);
    let inputs = [a];
    let ds = |name: &str, clamp| {
        let opts = options(ScaleMode::Dataset, Alignment::None, clamp);
        prepared(&inputs, &tmp.path().join(name), &opts)
    };
    let (exact, clamped) = (ds("exact", None), ds("clamped", Some(0.25)));
    let max = |d: &Dataset| d.grid(0).unwrap().iter().cloned().fold(f32::MIN, f32::max);
    assert!(max(&exact) > 0.5, "{}", max(&exact));
    assert!((max(&clamped) - 0.25).abs() < 1e-6, "{}", max(&clamped));
    let samples = clamped.samples(0);
    assert!(samples.column(4).iter().all(|&v| v <= 0.25 + 1e-6));
    // More than a voxel diagonal (0.2 model units here) below the clamp nothing changed:
    // the same values, so the same surface.
    let mut compared = 0;
    for (e, c) in exact.grid(0).unwrap().iter().zip(clamped.grid(0).unwrap()) {
        if *e < 0.04 {
            assert_eq!(e, c);
            compared += 1;
        }
    }
    assert!(compared > 100);
}

#[test]
fn scales_drawn_with_the_codes_reproduce_a_known_size_distribution() {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    // 200 sequences whose log scale is 1.2 + 0.3 e, with e also stored (times 0.5) in the
    // first code entry; the other entries are independent noise.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let unit = Normal::new(0.0, 1.0).unwrap();
    let n = 200;
    let config = ArchConfig::small();
    let mut codes = Vec::new();
    let mut sequences = Vec::new();
    for i in 0..n {
        let e: f64 = unit.sample(&mut rng);
        let mut code: Vec<f32> = (0..config.code_size)
            .map(|_| 0.05 * unit.sample(&mut rng) as f32)
            .collect();
        code[0] = 0.5 * e as f32;
        codes.extend(code);
        sequences.push(TrainedSequence {
            name: format!("s{i}"),
            normalisation: Some(cellsdf::dataset::Normalisation::new(
                [0.0; 3],
                (1.2 + 0.3 * e).exp(),
            )),
            voxel_um: None,
            frame_interval_s: None,
            frame_t: vec![0.0],
            frame_offset_um: Vec::new(),
        });
    }
    // Only the codes matter here: the network is all zeros.
    let layers = (0..config.layers)
        .map(|l| {
            let (fan_in, out) = config.layer_shape(l);
            (vec![0.0; fan_in * out], vec![0.0; out])
        })
        .collect();
    let model = Model::from_parts(&config, layers, codes, None, sequences).unwrap();
    let drawn = draw_codes(
        &model,
        CodeSource::Fitted {
            shrinkage: Some(0.0),
            sizes: CellSizes::Decoded,
        },
        4000,
        9,
    )
    .unwrap();
    let logs: Vec<f64> = drawn.iter().map(|d| d.scale_um.ln()).collect();
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    let sd =
        (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (logs.len() - 1) as f64).sqrt();
    assert!((mean - 1.2).abs() < 0.05, "mean log scale {mean}");
    assert!((sd - 0.3).abs() < 0.03, "sd of log scale {sd}");
    // The scale follows the code: drawn first entries and log scales correlate as 1.
    let x: Vec<f64> = drawn.iter().map(|d| d.values[0] as f64).collect();
    let mx = x.iter().sum::<f64>() / x.len() as f64;
    let cov: f64 = x
        .iter()
        .zip(&logs)
        .map(|(a, b)| (a - mx) * (b - mean))
        .sum::<f64>();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum::<f64>();
    let vl: f64 = logs.iter().map(|b| (b - mean).powi(2)).sum::<f64>();
    assert!(cov / (vx * vl).sqrt() > 0.95);
    // The paper's isotropic draw renders every code at the mean scale: no size spread.
    let iso = draw_codes(&model, CodeSource::Random { sigma: Some(0.1) }, 50, 9).unwrap();
    assert!(iso.iter().all(|d| d.scale_um == iso[0].scale_um));
}

/// Standard deviation (divisor n - 1) of `v`.
fn sd(v: &[f64]) -> f64 {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// The bundled filopodial model's codes drawn between learned codes decode to bodies of more
/// varied size than the training cells' (the neighbour radius 1 here); with training sizes
/// each is rendered at the scale that gives it a size drawn around the training sizes, so
/// the spread of new sizes is the training spread, and the codes stay the same.
#[test]
fn training_sizes_keep_the_training_size_spread() {
    let model = Model::load(&common::repo().join("models/filopodial.safetensors")).unwrap();
    let learned = SizeDistribution::learned(&model).unwrap();
    let spread = sd(&learned.logs);
    let sizes_of = |sizes: CellSizes| -> (Vec<Vec<f32>>, Vec<f64>) {
        let source = CodeSource::parse("neighbours", Some(1.0))
            .unwrap()
            .with_sizes(sizes);
        let drawn = draw_codes(&model, source, 24, 11).unwrap();
        let logs = drawn
            .iter()
            .map(|d| code_volume(&model, &d.values, d.scale_um).unwrap().ln())
            .collect();
        (drawn.into_iter().map(|d| d.values).collect(), logs)
    };
    let (codes_t, training) = sizes_of(CellSizes::Training);
    let (codes_d, decoded) = sizes_of(CellSizes::Decoded);
    assert_eq!(codes_t, codes_d);
    let (rt, rd) = (sd(&training) / spread, sd(&decoded) / spread);
    println!("sd of ln volume / training's: training sizes {rt:.2}, decoded {rd:.2}");
    assert!((0.6..1.4).contains(&rt), "training sizes: {rt}");
    assert!(rd > 1.5, "decoded sizes: {rd}");
    let lo = learned.logs.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = learned
        .logs
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max);
    let margin = 0.5 * (hi - lo);
    assert!(training
        .iter()
        .all(|v| (lo - margin..hi + margin).contains(v)));
}
