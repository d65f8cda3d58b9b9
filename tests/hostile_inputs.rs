//! Hostile and malformed inputs give a named error, never a panic or an abort (issue 12).
//! Each case was a crash before: a size taken from a file or an argument was trusted.

mod common;

use cellsdf::dataset::{prepare, Dataset, PrepareOptions};
use cellsdf::describe::describe_mask;
use cellsdf::io::{read_labels_with_limits, write_hyperstack, Hyperstack, ReadLimits};
use cellsdf::mesh::{mesh_from_bytes, mesh_mask};
use cellsdf::model::Model;
use cellsdf::progress::Silent;
use cellsdf::{Calibration, Error, VoxelSize};
use ndarray::{Array3, Array4};
use std::collections::HashMap;
use std::path::Path;

fn cal(v: f64) -> Calibration {
    Calibration {
        voxel_um: Some(VoxelSize::isotropic(v)),
        frame_interval_s: Some(60.0),
    }
}

/// A two-frame u8 mask stack with a small block in the middle.
fn small_mask(path: &Path, voxel: f64) {
    let data = Array4::from_shape_fn((2, 6, 8, 8), |(_, z, y, x)| {
        ((2..4).contains(&z) && (3..5).contains(&y) && (3..5).contains(&x)) as u8
    });
    write_hyperstack(path, &Hyperstack::new(data, cal(voxel))).unwrap();
}

fn message(e: Error) -> String {
    e.to_string()
}

#[test]
fn a_ctc_track_claiming_a_trillion_frames_is_a_named_error() {
    let dir = tempfile::tempdir().unwrap();
    let tra = dir.path().join("ctc/TRA");
    std::fs::create_dir_all(&tra).unwrap();
    for t in 0..2 {
        let frame = Array4::from_shape_fn((1, 6, 8, 8), |(_, z, y, x)| {
            ((2..4).contains(&z) && (3..5).contains(&y) && (3..5).contains(&x)) as u16
        });
        write_hyperstack(
            &tra.join(format!("man_track{t:03}.tif")),
            &Hyperstack::new(frame, cal(0.5)),
        )
        .unwrap();
    }
    std::fs::write(tra.join("man_track.txt"), "1 0 1000000000000 0\n").unwrap();
    let e = message(
        prepare(
            &[dir.path().join("ctc")],
            &dir.path().join("ds"),
            &PrepareOptions::default(),
            &Silent,
        )
        .unwrap_err(),
    );
    assert!(
        e.contains("man_track.txt") && e.contains("1000000000000"),
        "{e}"
    );
    // A frame number too large for any integer type in a file name.
    std::fs::write(tra.join("man_track.txt"), "1 0 1 0\n").unwrap();
    std::fs::copy(
        tra.join("man_track000.tif"),
        tra.join("man_track99999999999999999999999.tif"),
    )
    .unwrap();
    let e = message(
        prepare(
            &[dir.path().join("ctc")],
            &dir.path().join("ds"),
            &PrepareOptions::default(),
            &Silent,
        )
        .unwrap_err(),
    );
    assert!(
        e.contains("99999999999999999999999") && e.contains("too large"),
        "{e}"
    );
}

#[test]
fn a_calibration_that_asks_for_a_huge_crop_is_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mask.tif");
    small_mask(&file, 0.5);
    for voxel in [
        VoxelSize {
            x: 1000.0,
            y: 1000.0,
            z: 0.000001,
        },
        VoxelSize {
            x: 1e9,
            y: 1e-9,
            z: 1e-9,
        },
    ] {
        let opts = PrepareOptions {
            voxel_um: Some(voxel),
            ..PrepareOptions::default()
        };
        let e = message(
            prepare(
                std::slice::from_ref(&file),
                &dir.path().join("ds"),
                &opts,
                &Silent,
            )
            .unwrap_err(),
        );
        assert!(e.contains("voxel"), "{voxel:?}: {e}");
        assert!(!dir.path().join("ds").exists());
    }
}

#[test]
fn a_stack_beyond_the_reading_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mask.tif");
    small_mask(&file, 0.5);
    // 2 x 6 x 8 x 8 = 768 labels of 4 bytes: 3072 bytes in memory.
    let tight = ReadLimits { max_bytes: 3000 };
    let e = message(read_labels_with_limits(&file, &tight).unwrap_err());
    assert!(e.contains("mask.tif") && e.contains("limit"), "{e}");
    let ok = ReadLimits { max_bytes: 3072 };
    let labels = read_labels_with_limits(&file, &ok).unwrap();
    assert_eq!(labels.data.dim(), (2, 6, 8, 8));
    assert_eq!(labels.data.iter().filter(|&&v| v == 1).count(), 16);
    assert!(ReadLimits::default().max_bytes <= 16 << 30);
}

#[test]
fn meshes_with_lying_headers_are_errors() {
    let huge = b"ply\nformat binary_little_endian 1.0\nelement vertex 100000000000\nproperty float x\nproperty float y\nproperty float z\nelement face 0\nproperty list uchar int vertex_indices\nend_header\n\0\0\0\0";
    let e = mesh_from_bytes(huge, "ply").unwrap_err();
    assert!(e.contains("ends early"), "{e}");
    let short = b"ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nelement face 0\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 1\n";
    let e = mesh_from_bytes(short, "ply").unwrap_err();
    assert!(e.contains("vertex row 1"), "{e}");
    let obj = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4294967298\n";
    let e = mesh_from_bytes(obj, "obj").unwrap_err();
    assert!(e.contains("out of range") || e.contains("exceeds"), "{e}");
    let stl = [0u8; 84];
    assert!(mesh_from_bytes(&stl[..83], "stl").is_err());
}

/// A safetensors file with cellsdf metadata describing `config` and the given tensors.
fn checkpoint(path: &Path, config: serde_json::Value, tensors: &[(&str, Vec<usize>, Vec<f32>)]) {
    use safetensors::tensor::{Dtype, TensorView};
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect())
        .collect();
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .zip(&bytes)
        .map(|((n, s, _), b)| {
            (
                n.to_string(),
                TensorView::new(Dtype::F32, s.clone(), b).unwrap(),
            )
        })
        .collect();
    let meta = serde_json::json!({
        "config": config,
        "sequences": [],
        "code_stats": {"mean": 0.0, "sd": 0.1},
        "training": null,
    });
    let info = HashMap::from([
        ("format".to_string(), "cellsdf-model".to_string()),
        ("version".to_string(), "1".to_string()),
        ("model".to_string(), meta.to_string()),
    ]);
    std::fs::write(path, safetensors::serialize(views, Some(info)).unwrap()).unwrap();
}

fn tiny_config(width: usize, layers: usize) -> serde_json::Value {
    serde_json::json!({
        "code_size": 2, "width": width, "layers": layers, "full_input_at": [],
        "activation": "relu", "omega": 30.0, "learned_rotation": false
    })
}

/// All tensors of a 2-layer network with width 8 (hidden 4) and code size 2.
fn tiny_tensors(codes: Vec<usize>, fill: f32) -> Vec<(&'static str, Vec<usize>, Vec<f32>)> {
    let n: usize = codes.iter().product();
    vec![
        ("lin0.weight", vec![4, 6], vec![fill; 24]),
        ("lin0.bias", vec![4], vec![0.0; 4]),
        ("lin1.weight", vec![1, 8], vec![0.1; 8]),
        ("lin1.bias", vec![1], vec![0.0]),
        ("codes", codes, vec![0.0; n]),
    ]
}

#[test]
fn checkpoints_are_checked_before_the_network_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.safetensors");
    // The genuine tiny model loads.
    checkpoint(&p, tiny_config(8, 2), &tiny_tensors(vec![3, 2], 0.5));
    let m = Model::load(&p).unwrap();
    assert_eq!((m.n_codes(), m.codes.len()), (3, 6));
    // Metadata claiming width 8192 x 64 layers (25 GB) with tiny tensors.
    checkpoint(&p, tiny_config(8192, 64), &tiny_tensors(vec![3, 2], 0.5));
    let e = message(Model::load(&p).err().unwrap());
    assert!(e.contains("shape") || e.contains("missing tensor"), "{e}");
    // Non-finite weights.
    checkpoint(&p, tiny_config(8, 2), &tiny_tensors(vec![3, 2], f32::NAN));
    let e = message(Model::load(&p).err().unwrap());
    assert!(e.contains("lin0.weight") && e.contains("NaN"), "{e}");
    // A 0-d codes tensor.
    let mut t = tiny_tensors(vec![], 0.5);
    t[4] = ("codes", vec![], vec![1.0]);
    checkpoint(&p, tiny_config(8, 2), &t);
    let e = message(Model::load(&p).err().unwrap());
    assert!(e.contains("codes") && e.contains("shape"), "{e}");
}

#[test]
fn npy_files_and_dataset_descriptions_are_cross_checked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mask.tif");
    small_mask(&data, 0.5);
    let ds = dir.path().join("ds");
    let opts = PrepareOptions {
        grid: 8,
        samples_per_frame: 16,
        ..PrepareOptions::default()
    };
    prepare(&[data], &ds, &opts, &Silent).unwrap();
    Dataset::open(&ds).unwrap();
    let json_path = ds.join("dataset.json");
    let original = std::fs::read_to_string(&json_path).unwrap();
    let mut meta: serde_json::Value = serde_json::from_str(&original).unwrap();
    // Sequences that do not tile the rows.
    meta["sequences"][0]["first_row"] = serde_json::json!(5);
    std::fs::write(&json_path, meta.to_string()).unwrap();
    let e = message(Dataset::open(&ds).err().unwrap());
    assert!(e.contains("dataset.json") && e.contains("row"), "{e}");
    // frames_total larger than the frames listed.
    let mut meta: serde_json::Value = serde_json::from_str(&original).unwrap();
    meta["frames_total"] = serde_json::json!(1000);
    std::fs::write(&json_path, meta.to_string()).unwrap();
    let e = message(Dataset::open(&ds).err().unwrap());
    assert!(e.contains("frames_total"), "{e}");
    std::fs::write(&json_path, &original).unwrap();
    // samples.npy whose data starts off a 4-byte boundary.
    let npy = ds.join("samples.npy");
    let mut bad = b"\x93NUMPY\x01\x00".to_vec();
    let dict = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n";
    bad.extend_from_slice(&(dict.len() as u16 + 1).to_le_bytes());
    bad.extend_from_slice(dict);
    bad.push(b' ');
    bad.extend_from_slice(&[0u8; 8]);
    std::fs::write(&npy, &bad).unwrap();
    let e = message(Dataset::open(&ds).err().unwrap());
    assert!(e.contains("samples.npy") && e.contains("4-byte"), "{e}");
    // A shape whose element count overflows.
    let mut huge = b"\x93NUMPY\x01\x00".to_vec();
    let dict = b"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 8), }";
    let pad = 64 - (10 + dict.len() + 1) % 64;
    huge.extend_from_slice(&((dict.len() + pad + 1) as u16).to_le_bytes());
    huge.extend_from_slice(dict);
    huge.extend(std::iter::repeat_n(b' ', pad));
    huge.push(b'\n');
    std::fs::write(&npy, &huge).unwrap();
    let e = message(Dataset::open(&ds).err().unwrap());
    assert!(e.contains("samples.npy") && e.contains("too large"), "{e}");
}

#[test]
fn thin_objects_are_meshed_and_described_with_finite_figures() {
    let v = VoxelSize::isotropic(0.1);
    let mut single = Array3::from_elem((5, 5, 5), false);
    single[[2, 2, 2]] = true;
    let mut sheet = Array3::from_elem((7, 9, 9), false);
    for y in 2..7 {
        for x in 2..7 {
            sheet[[3, y, x]] = true;
        }
    }
    for mask in [single, sheet] {
        let mesh = mesh_mask(mask.view(), v).unwrap();
        assert!(!mesh.faces.is_empty());
        assert!(mesh.topology().is_watertight());
        let d = describe_mask(mask.view(), v).unwrap();
        for x in [
            d.volume_um3,
            d.surface_um2,
            d.sphericity,
            d.inverse_sphericity,
        ] {
            assert!(x.is_finite() && x > 0.0, "{d:?}");
        }
        // The staircase surface of n voxels encloses about their volume.
        let voxels = mask.iter().filter(|&&m| m).count() as f64 * 1e-3;
        assert!(
            d.volume_um3 > 0.1 * voxels && d.volume_um3 < 1.5 * voxels,
            "{d:?}"
        );
    }
}

#[test]
fn a_frame_of_32768_one_voxel_labels_is_described_label_by_label() {
    // Every voxel its own label: before, each label copied the whole frame (seconds to
    // minutes); now each label's work is its bounding box. Each row must describe its own
    // voxel: one voxel's volume, centred on that voxel (a cropping slip moves centroids).
    let n = 32;
    let data = Array4::from_shape_fn((1, n, n, n), |(_, z, y, x)| {
        (1 + (z * n + y) * n + x) as u32
    });
    let stack = Hyperstack::new(data, cal(0.1));
    let start = std::time::Instant::now();
    let rows = cellsdf::describe::describe_stack(&stack, "labels.tif", None, &Silent).unwrap();
    println!(
        "{} labels described in {:.2} s",
        rows.len(),
        start.elapsed().as_secs_f64()
    );
    let mut seen = vec![false; n * n * n];
    for r in &rows {
        let i = r.label as usize - 1;
        let (z, y, x) = (i / (n * n), i / n % n, i % n);
        assert!(!seen[i], "label {} twice", r.label);
        seen[i] = true;
        assert!(
            (r.shape.voxel_volume_um3 - 1e-3).abs() < 1e-12,
            "{:?}",
            r.shape
        );
        let c = r.shape.centroid_um;
        let want = [x as f64 * 0.1, y as f64 * 0.1, z as f64 * 0.1];
        for a in 0..3 {
            assert!(
                (c[a] - want[a]).abs() < 1e-6,
                "label {}: {c:?} vs {want:?}",
                r.label
            );
        }
        assert!(r.shape.sphericity.is_finite() && r.shape.sphericity > 0.0);
    }
    assert!(seen.iter().all(|&s| s), "labels missing");
}

/// Issue 35's aborts and panics from arguments: each is now a named error (exit 2), the
/// output folder is never made, and under an address-space limit (`ulimit -v`, as cluster
/// jobs run) a field that does not fit is refused by its memory need before allocating.
#[test]
fn absurd_arguments_are_named_errors_not_aborts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sim");
    let o = out.to_str().unwrap();
    for (args, needle) in [
        (
            vec!["simulate", "--size", "8192,8192,8192"],
            "out of memory",
        ),
        (vec!["simulate", "--na", "1e-5"], "`na`"),
        (
            vec!["simulate", "--snr", "0"],
            "`snr`: is 0, must be a positive number",
        ),
        (vec!["simulate", "--na", "1e-300"], "`na`"),
        (
            vec!["simulate", "--refractive-index", "1e20"],
            "`refractive-index`",
        ),
        (
            vec!["simulate", "--refractive-index", "1e6"],
            "`refractive-index`",
        ),
        (vec!["--threads", "2147483648", "simulate"], "`threads`"),
        (
            vec!["--progress-every", "1e300", "simulate"],
            "`progress-every`",
        ),
        (
            vec!["--progress-every", "NaN", "simulate"],
            "`progress-every`",
        ),
        (vec!["--progress-every=-1", "simulate"], "`progress-every`"),
        (
            vec![
                "interpolate",
                "--model",
                "dividing",
                "--from",
                "0",
                "--to",
                "1",
                "--steps",
                "1000000",
            ],
            "`steps`",
        ),
        (
            vec![
                "interpolate",
                "--model",
                "dividing",
                "--from",
                "0",
                "--to",
                "1",
                "--steps",
                "18446744073709551615",
            ],
            "`steps`",
        ),
    ] {
        let mut all = vec!["--quiet"];
        all.extend(&args);
        all.extend(["--out", o]);
        let r = common::cli_output(&all);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} made {o}");
    }
    // Under a 4 GB address-space limit: refused by the need, not an allocation abort.
    let r = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -v 4000000 && exec {} --quiet simulate --size 2048,2048,512 --out {o}",
            env!("CARGO_BIN_EXE_cellsdf")
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("this process can allocate"), "{err}");
    assert!(!out.exists());
}
