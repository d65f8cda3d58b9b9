//! Label images to SDF training sets: the EDT against scipy, the whole geometry of prepared
//! grids and samples against a scipy recomputation, CTC lineage, the real files in
//! ../shared/data, and clear errors for bad input.

mod common;

use cellsdf::dataset::{prepare, Dataset, PrepareOptions};
use cellsdf::io::{write_hyperstack, Hyperstack, NpyWriter};
use cellsdf::phantom::{generate, PhantomKind, PhantomOptions};
use cellsdf::progress::Silent;
use cellsdf::sdf::distance;
use cellsdf::volume::{label_components, Connectivity};
use cellsdf::{Calibration, Error, VoxelSize};
use ndarray::{Array3, Array4};
use rand::{Rng, SeedableRng};
use std::path::Path;

fn write_npy(path: &Path, shape: &[usize], v: impl Iterator<Item = f32>) {
    let mut w = NpyWriter::create(path, shape).unwrap();
    w.write(&v.collect::<Vec<_>>()).unwrap();
    w.finish().unwrap();
}

#[test]
fn edt_equals_scipy_on_random_anisotropic_masks() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    for case in 0..4 {
        let shape = (
            rng.random_range(5..40),
            rng.random_range(5..40),
            rng.random_range(5..40),
        );
        let spacing = [
            rng.random_range(0.1..2.0),
            rng.random_range(0.05..1.0),
            rng.random_range(0.05..1.0),
        ];
        // Random blobs: thresholded sums of a few random balls, plus speckle.
        let balls: Vec<[f64; 4]> = (0..5)
            .map(|_| {
                [
                    rng.random_range(0.0..shape.0 as f64),
                    rng.random_range(0.0..shape.1 as f64),
                    rng.random_range(0.0..shape.2 as f64),
                    rng.random_range(2.0..9.0),
                ]
            })
            .collect();
        let mask = Array3::from_shape_fn(shape, |(z, y, x)| {
            balls.iter().any(|b| {
                (z as f64 - b[0]).powi(2) + (y as f64 - b[1]).powi(2) + (x as f64 - b[2]).powi(2)
                    < b[3] * b[3]
            }) || (z * 31 + y * 17 + x * 7 + case) % 97 == 0
        });
        let ours = distance(mask.view(), spacing, |&m| !m);
        let (m, o) = (dir.path().join("m.npy"), dir.path().join("o.npy"));
        let dims = [shape.0, shape.1, shape.2];
        write_npy(&m, &dims, mask.iter().map(|&b| b as u8 as f32));
        write_npy(&o, &dims, ours.iter().map(|&d| d as f32));
        let s: Vec<String> = spacing.iter().map(|v| format!("{v:.17}")).collect();
        let out: serde_json::Value = serde_json::from_str(&common::run_python(
            "sdf_reference.py",
            &[
                "edt",
                m.to_str().unwrap(),
                o.to_str().unwrap(),
                &s[0],
                &s[1],
                &s[2],
            ],
        ))
        .unwrap();
        // Our values pass through float32 on the way: float rounding of values up to `max`.
        let tol = 1e-6 * out["max"].as_f64().unwrap().max(1.0);
        assert!(
            out["max_abs"].as_f64().unwrap() <= tol,
            "case {case}: {out}"
        );
    }
}

fn phantom_dataset(dir: &Path, grid: usize) -> cellsdf::dataset::DatasetMeta {
    let mut o = PhantomOptions::new(PhantomKind::Dividing);
    o.count = 2;
    o.frames = 3;
    o.voxel_um = VoxelSize {
        x: 0.2,
        y: 0.2,
        z: 0.3,
    };
    o.size_xyz = cellsdf::phantom::default_size(o.kind, o.voxel_um);
    generate(&o, &dir.join("phantoms"), &Silent).unwrap();
    let opts = PrepareOptions {
        grid,
        samples_per_frame: 3000,
        seed: 4,
        ..Default::default()
    };
    prepare(&[dir.join("phantoms")], &dir.join("ds"), &opts, &Silent).unwrap()
}

#[test]
fn prepared_grids_and_samples_equal_a_scipy_recomputation() {
    let dir = tempfile::tempdir().unwrap();
    let meta = phantom_dataset(dir.path(), 20);
    assert_eq!(meta.sequences.len(), 2);
    assert_eq!(meta.frames_total, 6);
    let out: serde_json::Value = serde_json::from_str(&common::run_python(
        "sdf_reference.py",
        &["dataset", dir.path().join("ds").to_str().unwrap()],
    ))
    .unwrap();
    println!("{out}");
    // Both sides interpolate float SDFs linearly: agreement to float rounding.
    assert!(out["grid_max_abs"].as_f64().unwrap() < 1e-5, "{out}");
    assert!(out["samples_max_abs"].as_f64().unwrap() < 1e-5, "{out}");
    let (lo, hi) = (
        out["near_fraction_min"].as_f64().unwrap(),
        out["near_fraction_max"].as_f64().unwrap(),
    );
    assert!(lo > 0.66 && hi < 0.74, "near fraction {lo}..{hi}");
    let ts: Vec<f64> = out["t"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(ts, vec![-1.0, 0.0, 1.0, -1.0, 0.0, 1.0]);
    // Model units: the cell spans 1 / (1 + margin) of the cube; um map back.
    let ds = Dataset::open(&dir.path().join("ds")).unwrap();
    let s = &ds.meta.sequences[0];
    assert_eq!(
        s.voxel_um,
        VoxelSize {
            x: 0.2,
            y: 0.2,
            z: 0.3
        }
    );
    assert_eq!(s.frames[1].time_s, Some(60.0));
    let back = s
        .normalisation
        .to_um(s.normalisation.to_model([1.0, 2.0, 3.0]));
    assert!((back[0] - 1.0).abs() < 1e-12 && (back[2] - 3.0).abs() < 1e-12);
    // Resampling from the grid: right count, right t, near fraction.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let r = ds.resample(4, 1000, &mut rng).unwrap();
    assert_eq!(r.dim(), (1000, 5));
    assert!(r.column(3).iter().all(|&t| t == 0.0));
    let near = r.column(4).iter().filter(|&&v| v <= 0.1).count();
    assert!((650..=750).contains(&near), "{near}");
    assert_eq!(ds.samples(5).dim(), (3000, 5));
}

/// A CTC folder: a mother (label 1, frames 0-2) divides into daughters 2 and 3 (frames 3-5).
fn write_ctc(dir: &Path, extra_label: bool, odd_size: bool) {
    let tra = dir.join("TRA");
    std::fs::create_dir_all(&tra).unwrap();
    let ball = |c: [f64; 3], r: f64, z: usize, y: usize, x: usize| {
        let d = [(z as f64 - c[0]) * 2.0, y as f64 - c[1], x as f64 - c[2]];
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2] <= r * r
    };
    for t in 0..6 {
        let (nz, ny, nx) = if odd_size && t == 4 {
            (12, 40, 41)
        } else {
            (12, 40, 40)
        };
        let frame = Array4::from_shape_fn((1, nz, ny, nx), |(_, z, y, x)| {
            let sep = 2.0 + 1.5 * t as f64;
            if t < 3 {
                if ball([6.0, 20.0, 20.0], 7.0 + t as f64, z, y, x) {
                    1u16
                } else {
                    0
                }
            } else if ball([6.0, 20.0, 20.0 - sep], 4.5, z, y, x) {
                2
            } else if ball([6.0, 20.0, 20.0 + sep], 4.5, z, y, x) {
                3
            } else if extra_label && t == 5 && z == 6 && y == 3 && x == 3 {
                4
            } else {
                0
            }
        });
        let cal = Calibration {
            voxel_um: Some(VoxelSize {
                x: 0.5,
                y: 0.5,
                z: 1.0,
            }),
            frame_interval_s: Some(90.0),
        };
        write_hyperstack(
            &tra.join(format!("man_track{t:03}.tif")),
            &Hyperstack::new(frame, cal),
        )
        .unwrap();
    }
    std::fs::write(tra.join("man_track.txt"), "1 0 2 0\n2 3 5 1\n3 3 5 1\n").unwrap();
}

#[test]
fn ctc_mother_and_daughters_form_one_sequence() {
    let dir = tempfile::tempdir().unwrap();
    write_ctc(dir.path(), false, false);
    let opts = PrepareOptions {
        grid: 32,
        samples_per_frame: 500,
        follow_divisions: true,
        ..Default::default()
    };
    let meta = prepare(
        &[dir.path().to_path_buf()],
        &dir.path().join("ds"),
        &opts,
        &Silent,
    )
    .unwrap();
    let names: Vec<&str> = meta.sequences.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(meta.sequences.len(), 3, "{names:?}");
    let mother = &meta.sequences[0];
    assert_eq!(mother.frames.len(), 6);
    assert_eq!(mother.frames[2].planned.labels, vec![1]);
    assert_eq!(mother.frames[3].planned.labels, vec![2, 3]);
    assert_eq!(mother.frame_interval_s, Some(90.0));
    let ds = Dataset::open(&dir.path().join("ds")).unwrap();
    let components = |row: usize| {
        let g = ds.grid(row).unwrap();
        label_components(g.mapv(|v| (v <= 0.0) as u8).view(), Connectivity::Full).1
    };
    assert_eq!(components(0), 1);
    assert_eq!(
        components(5),
        2,
        "after the division the sequence holds both daughters"
    );
    // Without following divisions the mother's sequence ends with her track.
    let opts = PrepareOptions {
        follow_divisions: false,
        ..opts
    };
    let meta = prepare(
        &[dir.path().to_path_buf()],
        &dir.path().join("ds"),
        &opts,
        &Silent,
    )
    .unwrap();
    assert_eq!(meta.sequences[0].frames.len(), 3);
}

#[test]
fn bad_inputs_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A label in the images without a man_track.txt entry.
    write_ctc(&d.join("extra"), true, false);
    let e = prepare(
        &[d.join("extra")],
        &d.join("ds"),
        &PrepareOptions::default(),
        &Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("label 4") && e.contains("man_track.txt") && e.contains("man_track005.tif"),
        "{e}"
    );
    // Frames of different sizes.
    write_ctc(&d.join("odd"), false, true);
    let e = prepare(
        &[d.join("odd")],
        &d.join("ds"),
        &PrepareOptions::default(),
        &Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("man_track004.tif") && e.contains("41x40x12"),
        "{e}"
    );
    // No labels at all.
    let empty = d.join("empty.tif");
    let cal = Calibration {
        voxel_um: Some(VoxelSize::isotropic(1.0)),
        frame_interval_s: None,
    };
    write_hyperstack(
        &empty,
        &Hyperstack::new(Array4::<u8>::zeros((2, 4, 5, 6)), cal),
    )
    .unwrap();
    let e = prepare(&[empty], &d.join("ds"), &PrepareOptions::default(), &Silent)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no cell"), "{e}");
    // Missing input, uncalibrated input, bad option, an output that is not a dataset.
    let e = prepare(
        &[d.join("nope.tif")],
        &d.join("ds"),
        &PrepareOptions::default(),
        &Silent,
    )
    .unwrap_err();
    assert!(matches!(e, Error::Io { .. }) && e.to_string().contains("nope.tif"));
    let nuclei = common::shared_data().join("cells3d-nuclei/nuclei_label.tif");
    let e = prepare(
        std::slice::from_ref(&nuclei),
        &d.join("ds"),
        &PrepareOptions::default(),
        &Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("voxel-um") && e.contains("nuclei_label.tif"),
        "{e}"
    );
    let e = prepare(
        &[nuclei],
        &d.join("ds"),
        &PrepareOptions {
            near_fraction: 1.5,
            ..Default::default()
        },
        &Silent,
    )
    .unwrap_err();
    assert!(e.to_string().contains("near-fraction"));
    std::fs::write(d.join("notes.txt"), "x").unwrap();
    let e = prepare(&[d.join("extra")], d, &PrepareOptions::default(), &Silent)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a cellsdf dataset"), "{e}");
    // A truncated dataset file.
    phantom_dataset(&d.join("p"), 0);
    let npy = d.join("p/ds/samples.npy");
    let len = std::fs::metadata(&npy).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&npy)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let e = Dataset::open(&d.join("p/ds")).err().unwrap().to_string();
    assert!(e.contains("samples.npy") && e.contains("truncated"), "{e}");
}

#[test]
fn cancelled_prepare_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = PhantomOptions::new(PhantomKind::Dividing);
    o.count = 1;
    o.frames = 2;
    o.voxel_um = VoxelSize::isotropic(0.4);
    o.size_xyz = cellsdf::phantom::default_size(o.kind, o.voxel_um);
    generate(&o, &dir.path().join("ph"), &Silent).unwrap();
    let stop = |f: f32, _: &str| f < 0.5;
    let e = prepare(
        &[dir.path().join("ph")],
        &dir.path().join("ds"),
        &PrepareOptions::default(),
        &stop,
    )
    .unwrap_err();
    assert!(matches!(e, Error::Cancelled));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("ph")], "{left:?}");
}

#[test]
fn real_label_files_prepare_with_the_expected_sequence_counts() {
    let dir = tempfile::tempdir().unwrap();
    let opts = PrepareOptions {
        grid: 0,
        samples_per_frame: 200,
        ..Default::default()
    };
    let tgmm = common::shared_data().join("tgmm-mini/tgmm-mini.tif");
    let want: usize = common::run_python("sdf_reference.py", &["count", tgmm.to_str().unwrap()])
        .trim()
        .parse()
        .unwrap();
    let meta = prepare(&[tgmm], &dir.path().join("tgmm"), &opts, &Silent).unwrap();
    assert_eq!(meta.sequences.len(), want);
    assert_eq!(
        meta.sequences.len()
            + meta
                .skipped
                .iter()
                .filter(|s| s.reason.contains("border"))
                .count(),
        212
    );
    assert!(meta.sequences.iter().all(|s| s.voxel_um
        == VoxelSize {
            x: 1.0,
            y: 1.0,
            z: 5.0
        }));
    let nuclei = common::shared_data().join("cells3d-nuclei/nuclei_label.tif");
    let want: usize = common::run_python("sdf_reference.py", &["count", nuclei.to_str().unwrap()])
        .trim()
        .parse()
        .unwrap();
    let opts = PrepareOptions {
        voxel_um: Some(VoxelSize {
            x: 0.26,
            y: 0.26,
            z: 0.29,
        }),
        ..opts
    };
    let meta = prepare(&[nuclei], &dir.path().join("nuclei"), &opts, &Silent).unwrap();
    assert_eq!(meta.sequences.len(), want);
    assert!(meta
        .sequences
        .iter()
        .all(|s| s.frames.len() == 1 && s.frames[0].t == 0.0));
}

/// A thin stack (4 slices) in which label 1 spans the whole depth (touches the top and
/// bottom slice only) and label 2 also touches the x border.
#[test]
fn thin_stacks_keep_cells_cut_only_in_z_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (t, nz, ny, nx) = (2, 4, 20, 24);
    let mut a = Array4::<u8>::zeros((t, nz, ny, nx));
    for ((_, _, y, x), v) in a.indexed_iter_mut() {
        let (dy, dx) = (y as f64 - 9.5, x as f64 - 7.5);
        if dy * dy + dx * dx <= 16.0 {
            *v = 1;
        } else if (8..13).contains(&y) && x >= 18 {
            *v = 2;
        }
    }
    let path = d.join("thin.tif");
    let cal = Calibration {
        voxel_um: Some(VoxelSize {
            x: 0.3,
            y: 0.3,
            z: 1.0,
        }),
        frame_interval_s: Some(60.0),
    };
    write_hyperstack(&path, &Hyperstack::new(a, cal)).unwrap();
    // By default both are skipped; the message names the flag that keeps the first.
    let e = prepare(
        std::slice::from_ref(&path),
        &d.join("ds"),
        &PrepareOptions::default(),
        &Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("--keep-z-border") || e.contains("--keep-border"),
        "{e}"
    );
    let opts = |border| PrepareOptions {
        border,
        grid: 0,
        samples_per_frame: 256,
        ..PrepareOptions::default()
    };
    let meta = prepare(
        std::slice::from_ref(&path),
        &d.join("ds"),
        &opts(cellsdf::dataset::BorderPolicy::KeepZ),
        &Silent,
    )
    .unwrap();
    assert_eq!(meta.sequences.len(), 1, "only the cell cut in z is kept");
    assert_eq!(meta.skipped.len(), 1);
    assert!(
        meta.skipped[0].reason.contains("x/y image border")
            && meta.skipped[0].reason.contains("--keep-border"),
        "{:?}",
        meta.skipped
    );
    let meta = prepare(
        &[path],
        &d.join("ds"),
        &opts(cellsdf::dataset::BorderPolicy::Keep),
        &Silent,
    )
    .unwrap();
    assert_eq!(meta.sequences.len(), 2);
}

/// A cell that moves: an ellipsoid (semi-axes 3, 6, 3 voxels in x, y, z) travelling 8 voxels
/// per frame along x over 4 frames, in 0.5 um voxels. Sequence centring puts its track in
/// the box; frame centring follows it: every frame's grid is the same cell, the box is set by
/// the cell, the recorded shifts are the motion, and the principal axes are the cell's (y),
/// not the track's (x). The grids and samples match scipy's recomputation with the shifts.
#[test]
fn frame_centring_follows_a_moving_cell() {
    use cellsdf::dataset::{Alignment, Centring};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (t, nz, ny, nx) = (4, 12, 20, 56);
    let mut a = Array4::<u8>::zeros((t, nz, ny, nx));
    for ((f, z, y, x), v) in a.indexed_iter_mut() {
        let c = [5.5, 9.5, 10.5 + 8.0 * f as f64];
        let (dz, dy, dx) = (z as f64 - c[0], y as f64 - c[1], x as f64 - c[2]);
        if (dx / 3.0).powi(2) + (dy / 6.0).powi(2) + (dz / 3.0).powi(2) <= 1.0 {
            *v = 1;
        }
    }
    let path = d.join("moving.tif");
    let cal = Calibration {
        voxel_um: Some(VoxelSize::isotropic(0.5)),
        frame_interval_s: Some(30.0),
    };
    write_hyperstack(&path, &Hyperstack::new(a, cal)).unwrap();
    let opts = |centre, align| PrepareOptions {
        grid: 16,
        samples_per_frame: 2000,
        centre,
        align,
        seed: 3,
        ..PrepareOptions::default()
    };
    let whole = prepare(
        std::slice::from_ref(&path),
        &d.join("seq"),
        &opts(Centring::Sequence, Alignment::Sequence),
        &Silent,
    )
    .unwrap();
    let followed = prepare(
        std::slice::from_ref(&path),
        &d.join("frame"),
        &opts(Centring::Frame, Alignment::Sequence),
        &Silent,
    )
    .unwrap();
    let (sw, sf) = (&whole.sequences[0], &followed.sequences[0]);
    assert_eq!(followed.centre, Centring::Frame);
    // The followed box holds the cell: its longest half-axis (y: voxel centres up to 5.5
    // voxels from the centre, plus half a voxel: 3.0 um) times 1 + margin; the whole track
    // (x: 24 voxels of motion plus the cell) is more than twice that.
    let margin = 1.0 + PrepareOptions::default().margin;
    assert!(
        (sf.normalisation.scale_um - 3.0 * margin).abs() < 1e-9,
        "{:?}",
        sf.normalisation
    );
    assert!(
        sw.normalisation.scale_um > 2.0 * sf.normalisation.scale_um,
        "{:?}",
        sw.normalisation
    );
    // Recorded shifts: 4 um per frame along x (the centroids' motion), none in the other.
    for (k, f) in sf.frames.iter().enumerate() {
        let o = f.offset_um.unwrap();
        assert!(
            (o[0] - 4.0 * k as f64).abs() < 1e-9 && o[1].abs() < 1e-9 && o[2].abs() < 1e-9,
            "frame {k}: {o:?}"
        );
        assert!(sw.frames[k].offset_um.is_none());
    }
    // Principal axes of the cell, not of its track: model x is the image's y.
    let ax = sf.normalisation.axes.unwrap();
    assert!((ax[0][1].abs() - 1.0).abs() < 1e-9, "{ax:?}");
    let ax = sw.normalisation.axes.unwrap();
    assert!((ax[0][0].abs() - 1.0).abs() < 1e-9, "{ax:?}");
    // Every followed frame is the same cell in model space; the whole-sequence ones move.
    let grids = |name: &str| {
        let ds = Dataset::open(&d.join(name)).unwrap();
        (0..4)
            .map(|k| ds.grid(k).unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let diff = |g: &[Array3<f32>]| {
        g.iter()
            .map(|x| (x - &g[0]).mapv(f32::abs).fold(0.0f32, |m, &v| m.max(v)))
            .fold(0.0f32, f32::max)
    };
    assert!(diff(&grids("frame")) < 1e-5, "{}", diff(&grids("frame")));
    assert!(diff(&grids("seq")) > 0.1, "{}", diff(&grids("seq")));
    // Against scipy, which places each frame with the recorded shift.
    let out: serde_json::Value = serde_json::from_str(&common::run_python(
        "sdf_reference.py",
        &["dataset", d.join("frame").to_str().unwrap()],
    ))
    .unwrap();
    assert!(out["grid_max_abs"].as_f64().unwrap() < 1e-5, "{out}");
    assert!(out["samples_max_abs"].as_f64().unwrap() < 1e-5, "{out}");
}
