//! Simulated benchmark datasets (`cellsdf simulate`): the PSF against its closed form, the
//! requested SNR as the Cell Tracking Challenge measures it, bleaching, cells that never
//! share a voxel, lineage, reproducibility, clean refusals, and the ground truth checked by
//! py-ctcmetrics (validity, SEG = TRA = DET = 1 against itself).

mod common;

use cellsdf::io::{read_hyperstack, AnyStack};
use cellsdf::model::Model;
use cellsdf::simulate::{blur, simulate, Microscope, Optics, SimulateOptions, FWHM_PER_SIGMA};
use cellsdf::synth::{size::CellSizes, CodeSource};
use cellsdf::VoxelSize;
use ndarray::Array3;
use std::collections::BTreeMap;
use std::path::Path;

fn bundled() -> Model {
    Model::load(&common::repo().join("models/dividing.safetensors")).unwrap()
}

fn small(seed: u64, snr: f64) -> SimulateOptions {
    SimulateOptions {
        cells: 2,
        frames: 6,
        size_xyz: [80, 80, 28],
        snr,
        bleach_per_frame: 0.08,
        seed,
        ..SimulateOptions::default()
    }
}

fn u16_stack(p: &Path) -> (Array3<u16>, cellsdf::Calibration) {
    match read_hyperstack(p).unwrap() {
        AnyStack::U16(h) => {
            let c = h.calibration;
            (h.data.index_axis_move(ndarray::Axis(0), 0), c)
        }
        other => panic!("{}: {} instead of uint16", p.display(), other.dtype_name()),
    }
}

/// py-ctcmetrics, run as its users run it (tests/support/ctc_check.py, scratch in `work`),
/// finds the ground truth of `dataset` valid and scores it SEG = TRA = DET = 1 against itself.
fn assert_valid_ctc(dataset: &Path, work: &Path) {
    let report = common::run_python(
        "ctc_check.py",
        &[dataset.to_str().unwrap(), work.to_str().unwrap()],
    );
    assert_eq!(
        report.lines().last().unwrap(),
        r#"{"Valid": 1, "SEG": 1.0, "TRA": 1.0, "DET": 1.0}"#,
        "{}: {report}",
        dataset.display()
    );
}

/// Full width at half maximum (in samples) of a profile peaking at `peak`, by linear
/// interpolation of the half-maximum crossings.
fn fwhm(profile: &[f32], peak: usize) -> f64 {
    let half = profile[peak] as f64 / 2.0;
    let cross = |step: i64| {
        let mut i = peak as i64;
        while (profile[(i + step) as usize] as f64) > half {
            i += step;
        }
        let (a, b) = (
            profile[i as usize] as f64,
            profile[(i + step) as usize] as f64,
        );
        i as f64 + step as f64 * (a - half) / (a - b)
    };
    cross(1) - cross(-1)
}

#[test]
fn the_blurred_point_has_the_closed_form_fwhm() {
    // Gaussian approximations of the PSF (Zhang et al. 2007): widefield FWHM
    // 2.355 x 0.21 lambda / NA laterally and 2.355 x 0.66 lambda n / NA^2 axially; a
    // confocal's sqrt 2 narrower.
    let (na, lambda, n) = (1.4, 0.52, 1.518);
    for (microscope, narrowing) in [
        (Microscope::Widefield, 1.0),
        (Microscope::Confocal, 2f64.sqrt()),
    ] {
        let optics = Optics {
            microscope,
            na,
            wavelength_nm: lambda * 1e3,
            refractive_index: n,
        };
        let want_xy = FWHM_PER_SIGMA * 0.21 * lambda / na / narrowing;
        let want_z = FWHM_PER_SIGMA * 0.66 * lambda * n / (na * na) / narrowing;
        let voxel = VoxelSize {
            x: 0.02,
            y: 0.02,
            z: 0.05,
        };
        let mut point = Array3::<f32>::zeros((61, 41, 41));
        point[[30, 20, 20]] = 1.0;
        blur(&mut point, voxel, optics.sigma_um());
        let total: f32 = point.iter().sum();
        assert!(
            (total - 1.0).abs() < 1e-4,
            "the blur keeps the light: {total}"
        );
        let x: Vec<f32> = (0..41).map(|i| point[[30, 20, i]]).collect();
        let z: Vec<f32> = (0..61).map(|i| point[[i, 20, 20]]).collect();
        let (got_xy, got_z) = (fwhm(&x, 20) * voxel.x, fwhm(&z, 30) * voxel.z);
        println!("{microscope:?}: FWHM {got_xy:.4} x {got_z:.4} um, closed form {want_xy:.4} x {want_z:.4}");
        assert!(
            (got_xy / want_xy - 1.0).abs() < 0.05,
            "{got_xy} vs {want_xy}"
        );
        assert!((got_z / want_z - 1.0).abs() < 0.05, "{got_z} vs {want_z}");
    }
}

#[test]
fn a_dataset_has_the_requested_snr_exact_ground_truth_and_repeats_from_its_seed() {
    let model = bundled();
    let dir = tempfile::tempdir().unwrap();
    for snr in [4.0, 15.0] {
        let out = dir.path().join(format!("snr{snr}"));
        let opts = small(3, snr);
        let sim = simulate(&model, &opts, &out, false, &cellsdf::progress::Silent).unwrap();
        let mut present: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
        let mut signal = Vec::new();
        for t in 0..opts.frames {
            let (raw, cal) = u16_stack(&out.join(format!("01/t{t:03}.tif")));
            let (seg, _) = u16_stack(&out.join(format!("01_GT/SEG/man_seg{t:03}.tif")));
            let (tra, _) = u16_stack(&out.join(format!("01_GT/TRA/man_track{t:03}.tif")));
            assert_eq!(raw.dim(), (28, 80, 80));
            assert_eq!(cal.voxel_um, Some(opts.voxel_um));
            assert_eq!(seg, tra);
            // No two cells share a voxel: every cell's voxels are in the labels.
            let labelled = seg.iter().filter(|&&l| l > 0).count();
            let cells: usize = sim.cell_voxels.iter().map(|c| c[t]).sum();
            assert_eq!(labelled, cells, "frame {t}");
            let mut labels: Vec<u16> = seg.iter().copied().filter(|&l| l > 0).collect();
            labels.sort_unstable();
            labels.dedup();
            for l in labels {
                present.entry(l).or_default().push(t);
            }
            // The CTC's SNR and the mean signal above background, measured here.
            let (mut fg, mut nf, mut bg, mut bg2, mut nb) = (0f64, 0f64, 0f64, 0f64, 0f64);
            for (&v, &l) in raw.iter().zip(seg.iter()) {
                let v = v as f64;
                if l > 0 {
                    fg += v;
                    nf += 1.0;
                } else {
                    bg += v;
                    bg2 += v * v;
                    nb += 1.0;
                }
            }
            let (mf, mb) = (fg / nf, bg / nb);
            let sd = (bg2 / nb - mb * mb).sqrt();
            if t == 0 {
                let measured = (mf - mb).abs() / sd;
                println!("requested SNR {snr}: measured {measured:.2}");
                assert!(
                    (measured / snr - 1.0).abs() < 0.10,
                    "SNR {measured} for {snr}"
                );
                assert!((sim.frames[0].snr - measured).abs() < 1e-6 * measured);
            }
            signal.push(mf - mb);
        }
        // Bleaching: the signal above background follows exp(-rate t) (within 10 %: the
        // cells change shape, and the blur takes a share of their light to the background).
        for (t, s) in signal.iter().enumerate() {
            let want = (-opts.bleach_per_frame * t as f64).exp();
            assert!(
                (s / signal[0] / want - 1.0).abs() < 0.10,
                "frame {t}: {} vs {want}",
                s / signal[0]
            );
        }
        // man_track.txt: every label with the frames it is in; divisions give two daughters.
        let text = std::fs::read_to_string(out.join("01_GT/TRA/man_track.txt")).unwrap();
        let rows: Vec<[usize; 4]> = text
            .lines()
            .map(|l| {
                let v: Vec<usize> = l.split(' ').map(|x| x.parse().unwrap()).collect();
                [v[0], v[1], v[2], v[3]]
            })
            .collect();
        assert_eq!(rows.len(), present.len());
        for &[l, b, e, p] in &rows {
            let frames = &present[&(l as u16)];
            assert_eq!((b, e), (frames[0], *frames.last().unwrap()), "track {l}");
            if p > 0 {
                let parent = rows.iter().find(|r| r[0] == p).expect("parent exists");
                assert_eq!(
                    parent[2] + 1,
                    b,
                    "daughter {l} begins after its mother ends"
                );
                assert_eq!(rows.iter().filter(|r| r[3] == p).count(), 2);
            }
        }
        assert!(
            rows.iter().any(|r| r[3] > 0),
            "the dividing model's cells divide"
        );
        // The ground truth as py-ctcmetrics sees it.
        assert_valid_ctc(&out, &dir.path().join(format!("ctc{snr}")));
    }
    // The same seed gives the same files, bit for bit; another seed other images.
    let again = dir.path().join("again");
    simulate(
        &model,
        &small(3, 4.0),
        &again,
        false,
        &cellsdf::progress::Silent,
    )
    .unwrap();
    let other = dir.path().join("other");
    simulate(
        &model,
        &small(4, 4.0),
        &other,
        false,
        &cellsdf::progress::Silent,
    )
    .unwrap();
    for f in [
        "01/t000.tif",
        "01/t005.tif",
        "01_GT/SEG/man_seg003.tif",
        "01_GT/TRA/man_track.txt",
        "manifest.json",
    ] {
        let a = std::fs::read(dir.path().join("snr4").join(f)).unwrap();
        assert!(
            a == std::fs::read(again.join(f)).unwrap(),
            "{f} differs for the same seed"
        );
    }
    assert!(
        std::fs::read(other.join("01/t000.tif")).unwrap()
            != std::fs::read(again.join("01/t000.tif")).unwrap()
    );
}

#[test]
fn bad_requests_and_cancellation_leave_nothing() {
    let model = bundled();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    let fail = |opts: SimulateOptions, words: &[&str]| {
        let e = simulate(&model, &opts, &out, false, &cellsdf::progress::Silent)
            .unwrap_err()
            .to_string();
        assert!(words.iter().all(|w| e.contains(w)), "{e}");
        assert!(!out.exists(), "{e}: left {}", out.display());
    };
    let mut o = small(1, 5.0);
    o.optics.na = 1.5; // above water's 1.33
    fail(o, &["na"]);
    fail(
        SimulateOptions {
            cells: 40,
            ..small(1, 5.0)
        },
        &["cells", "--size"],
    );
    fail(
        SimulateOptions {
            snr: 5000.0,
            ..small(1, 5.0)
        },
        &["snr", "contrast"],
    );
    // Cancelled half-way through the frames: nothing is left behind.
    let stop = |f: f32, _: &str| f < 0.75;
    let e = simulate(&model, &small(1, 5.0), &out, false, &stop).unwrap_err();
    assert!(matches!(e, cellsdf::Error::Cancelled));
    assert!(!out.exists());
    // The same with OME-Zarr output and projections: no store, no temporary folder.
    let zarr = SimulateOptions {
        format: cellsdf::synth::SequenceFormat::OmeZarr,
        projection: true,
        ..small(1, 5.0)
    };
    let e = simulate(&model, &zarr, &out, false, &stop).unwrap_err();
    assert!(matches!(e, cellsdf::Error::Cancelled));
    assert!(
        !out.exists(),
        "left {:?}",
        std::fs::read_dir(&out).map(|d| d.map(|e| e.unwrap().file_name()).collect::<Vec<_>>())
    );
    // A file cellsdf did not write stops the run before anything is written.
    std::fs::create_dir_all(out.join("01")).unwrap();
    std::fs::write(out.join("01/t000.tif"), b"mine").unwrap();
    let e = simulate(
        &model,
        &small(1, 5.0),
        &out,
        false,
        &cellsdf::progress::Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("t000.tif") && e.contains("--overwrite"), "{e}");
    assert_eq!(std::fs::read(out.join("01/t000.tif")).unwrap(), b"mine");
    assert!(!out.join("01_GT").exists() && !out.join("01/t001.tif").exists());
}

#[test]
fn the_projection_is_the_z_maximum_with_each_columns_cell_and_valid_ctc() {
    let model = bundled();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    let opts = SimulateOptions {
        cells: 3,
        size_xyz: [96, 96, 28],
        projection: true,
        ..small(5, 8.0)
    };
    simulate(&model, &opts, &out, false, &cellsdf::progress::Silent).unwrap();
    let flat = out.join("projection");
    for t in 0..opts.frames {
        let (raw, _) = u16_stack(&out.join(format!("01/t{t:03}.tif")));
        let (seg, _) = u16_stack(&out.join(format!("01_GT/SEG/man_seg{t:03}.tif")));
        let (raw2, cal) = u16_stack(&flat.join(format!("01/t{t:03}.tif")));
        let (seg2, _) = u16_stack(&flat.join(format!("01_GT/SEG/man_seg{t:03}.tif")));
        assert_eq!(raw2.dim(), (1, 96, 96));
        assert_eq!(cal.voxel_um, Some(opts.voxel_um));
        for ((_, y, x), &v) in raw2.indexed_iter() {
            let column = raw.slice(ndarray::s![.., y, x]);
            assert_eq!(v, *column.iter().max().unwrap(), "frame {t} ({y}, {x})");
            // Each pixel's cell is in its column; an empty column stays background.
            let l = seg2[[0, y, x]];
            let cells = seg.slice(ndarray::s![.., y, x]);
            if l == 0 {
                assert!(cells.iter().all(|&c| c == 0), "frame {t} ({y}, {x})");
            } else {
                assert!(cells.iter().any(|&c| c == l), "frame {t} ({y}, {x})");
            }
        }
    }
    assert_eq!(
        std::fs::read(flat.join("01_GT/TRA/man_track.txt")).unwrap(),
        std::fs::read(out.join("01_GT/TRA/man_track.txt")).unwrap()
    );
    assert_valid_ctc(&flat, &dir.path().join("ctc"));
}

/// Mean raw intensity of the cells' outer shell (labelled voxels with an unlabelled face
/// neighbour in x or y) over their core (the other labelled voxels).
fn shell_over_core(out: &Path) -> f64 {
    let (raw, _) = u16_stack(&out.join("01/t000.tif"));
    let (seg, _) = u16_stack(&out.join("01_GT/SEG/man_seg000.tif"));
    let (nz, ny, nx) = seg.dim();
    let (mut s, mut ns, mut c, mut nc) = (0f64, 0usize, 0f64, 0usize);
    for z in 0..nz {
        for y in 1..ny - 1 {
            for x in 1..nx - 1 {
                if seg[[z, y, x]] == 0 {
                    continue;
                }
                let edge = [(y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)]
                    .iter()
                    .any(|&(b, a)| seg[[z, b, a]] == 0);
                let v = raw[[z, y, x]] as f64 - 100.0; // the camera offset
                if edge {
                    s += v;
                    ns += 1;
                } else {
                    c += v;
                    nc += 1;
                }
            }
        }
    }
    (s / ns as f64) / (c / nc as f64)
}

#[test]
fn a_rim_stain_makes_the_cells_edge_brighter_than_its_core() {
    let model = bundled();
    let dir = tempfile::tempdir().unwrap();
    let run = |gain: f64, name: &str| {
        let out = dir.path().join(name);
        let mut opts = small(7, 30.0);
        opts.stain.rim_gain = gain;
        opts.optics.microscope = Microscope::Confocal;
        simulate(&model, &opts, &out, false, &cellsdf::progress::Silent).unwrap();
        shell_over_core(&out)
    };
    let (uniform, rim) = (run(0.0, "uniform"), run(3.0, "rim"));
    eprintln!("edge / core: uniform stain {uniform:.3}, rim gain 3 {rim:.3}");
    // Blur dims a uniform cell's edge; a rim three times brighter outshines the core.
    assert!(uniform < 1.0, "uniform stain: edge / core {uniform:.3}");
    assert!(rim > 1.3, "rim stain: edge / core {rim:.3}");
}

#[test]
fn a_simple_segmentation_scores_well_at_high_snr_and_fails_at_snr_one() {
    let model = bundled();
    let dir = tempfile::tempdir().unwrap();
    let seg = |snr: f64| {
        let out = dir.path().join(format!("snr{snr}"));
        // The cells of the figures in docs/results.md (the sampler's default then, radius
        // 0.75 at decoded sizes): the SNR at which Otsu collapses depends on the cells
        // drawn, and with today's default cells this field still gives SEG 0.44 at SNR 1.
        let opts = SimulateOptions {
            cells: 3,
            size_xyz: [96, 96, 28],
            bleach_per_frame: 0.0,
            codes: CodeSource::parse("neighbours", Some(0.75))
                .unwrap()
                .with_sizes(CellSizes::Decoded),
            ..small(11, snr)
        };
        simulate(&model, &opts, &out, false, &cellsdf::progress::Silent).unwrap();
        let work = dir.path().join(format!("seg{snr}"));
        let report = common::run_python(
            "baseline_seg.py",
            &[out.to_str().unwrap(), work.to_str().unwrap()],
        );
        let v: serde_json::Value = serde_json::from_str(report.lines().last().unwrap()).unwrap();
        v["SEG"].as_f64().unwrap()
    };
    let (high, low) = (seg(20.0), seg(1.0));
    eprintln!("Otsu baseline SEG: SNR 20 {high:.3}, SNR 1 {low:.3}");
    assert!(high > 0.8, "Otsu at SNR 20: SEG {high:.3}");
    assert!(
        low < 0.5 * high,
        "Otsu at SNR 1: SEG {low:.3} (SNR 20: {high:.3})"
    );
}

#[test]
fn cells_from_phantom_files_keep_their_size_and_lineage() {
    let dir = tempfile::tempdir().unwrap();
    let phantoms = dir.path().join("phantoms");
    let out = common::cli_output(&[
        "phantom",
        "--kind",
        "dividing",
        "--count",
        "2",
        "--frames",
        "5",
        "--voxel-um",
        "0.1",
        "--seed",
        "3",
        "--quiet",
        "--out",
        phantoms.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<_> = std::fs::read_dir(&phantoms)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tif"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 2);
    let opts = SimulateOptions {
        cells: 3,
        frames: 9,
        size_xyz: [128, 128, 40],
        ..small(1, 10.0)
    };
    let ds = dir.path().join("ds");
    let sim = cellsdf::simulate::simulate_cells(
        cellsdf::simulate::Cells::Files(&files),
        &opts,
        &ds,
        false,
        &cellsdf::progress::Silent,
    )
    .unwrap();
    // Each cell's volume in the field's first frame against its file's first frame (um^3).
    for (k, voxels) in sim.cell_voxels.iter().enumerate() {
        let (mask, cal) = match read_hyperstack(&files[k % 2]).unwrap() {
            AnyStack::U8(h) => (h.data, h.calibration),
            other => panic!("{}", other.dtype_name()),
        };
        let h = cal.voxel_um.unwrap();
        let source = mask
            .index_axis(ndarray::Axis(0), 0)
            .iter()
            .filter(|&&m| m > 0)
            .count() as f64
            * h.x
            * h.y
            * h.z;
        let field = voxels[0] as f64 * 0.2 * 0.2 * 0.4;
        assert!(
            (field / source - 1.0).abs() < 0.15,
            "cell {k}: {field:.1} um^3 in the field, {source:.1} in its file"
        );
    }
    // Dividing phantoms divide: every cell's mother ends and two daughters begin.
    assert_eq!(sim.tracks.iter().filter(|t| t.parent > 0).count(), 6);
    assert_valid_ctc(&ds, &dir.path().join("ctc"));
    let manifest = std::fs::read_to_string(ds.join("manifest.json")).unwrap();
    assert!(manifest.contains("dividing_000.tif"), "{manifest}");
    // An uncalibrated file stops the run before anything is written, naming the file.
    let raw = dir.path().join("raw.tif");
    cellsdf::io::write_hyperstack(
        &raw,
        &cellsdf::io::Hyperstack::new(
            ndarray::Array4::<u8>::ones((1, 8, 8, 8)),
            cellsdf::Calibration::default(),
        ),
    )
    .unwrap();
    let e = cellsdf::simulate::simulate_cells(
        cellsdf::simulate::Cells::Files(&[raw]),
        &opts,
        &dir.path().join("none"),
        false,
        &cellsdf::progress::Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("raw.tif") && e.contains("voxel size"), "{e}");
    assert!(!dir.path().join("none").exists());
}

#[test]
fn a_requested_contrast_ratio_is_the_one_measured_on_the_written_image() {
    let model = bundled();
    let dir = tempfile::tempdir().unwrap();
    for (k, snr) in [(1.3, 8.0), (1.1, 4.0), (2.0, 20.0)] {
        let out = dir.path().join(format!("cr{k}"));
        let opts = SimulateOptions {
            contrast_ratio: Some(k),
            bleach_per_frame: 0.0,
            ..small(2, snr)
        };
        let sim = simulate(&model, &opts, &out, false, &cellsdf::progress::Silent).unwrap();
        let (raw, _) = u16_stack(&out.join("01/t000.tif"));
        let (seg, _) = u16_stack(&out.join("01_GT/SEG/man_seg000.tif"));
        let [f, b, sd] = cellsdf::simulate::region_stats(&raw, &seg);
        let (cr, measured_snr) = (f / b, (f - b) / sd);
        eprintln!(
            "CR {k} at SNR {snr}: measured CR {cr:.3}, SNR {measured_snr:.2} (contrast {:.3})",
            sim.contrast
        );
        assert!(
            (cr / k - 1.0).abs() < 0.1 * (k - 1.0) / k,
            "CR {cr} for {k}"
        );
        assert!(
            (measured_snr / snr - 1.0).abs() < 0.1,
            "SNR {measured_snr} for {snr}"
        );
    }
    // A ratio the camera cannot give at this SNR: a clear error naming the highest one.
    let e = simulate(
        &model,
        &SimulateOptions {
            contrast_ratio: Some(5.0),
            ..small(2, 10.0)
        },
        &dir.path().join("none"),
        false,
        &cellsdf::progress::Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("contrast-ratio") && e.contains("highest"), "{e}");
    assert!(!dir.path().join("none").exists());
}

/// A field of 5 slices, thinner than the cells (as the real stack of issue 34): the field's
/// border cuts them, the ground truth stays exact and valid for py-ctcmetrics, and every
/// label in the images is a track of man_track.txt over the frames it is seen in.
#[test]
fn cells_thicker_than_the_field_are_cut_by_its_border() {
    let model = bundled();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("thin");
    let opts = SimulateOptions {
        cells: 3,
        frames: 4,
        size_xyz: [96, 96, 5],
        border_cells: true,
        seed: 2,
        ..SimulateOptions::default()
    };
    let sim = simulate(&model, &opts, &out, false, &cellsdf::progress::Silent).unwrap();
    let mut seen: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    let mut cut = 0;
    for t in 0..4 {
        let (gt, _) = u16_stack(&out.join(format!("01_GT/SEG/man_seg{t:03}.tif")));
        assert_eq!(gt.dim(), (5, 96, 96));
        for (z, plane) in gt.outer_iter().enumerate() {
            if z == 0 || z == 4 {
                cut += plane.iter().filter(|&&l| l != 0).count();
            }
            for &l in plane.iter().filter(|&&l| l != 0) {
                let f = seen.entry(l).or_default();
                if f.last() != Some(&t) {
                    f.push(t);
                }
            }
        }
    }
    assert!(cut > 0, "no cell reaches the first or last slice");
    for k in &sim.tracks {
        let frames: Vec<usize> = (k.begin..=k.end).collect();
        assert_eq!(seen.get(&(k.label as u16)), Some(&frames), "track {k:?}");
    }
    assert_eq!(seen.len(), sim.tracks.len());
    assert_valid_ctc(&out, &tmp.path().join("work"));
}
