//! cellsdf's TIFFs as a real ImageJ 1 and tifffile (napari's reader) see them, and files
//! written by tifffile as cellsdf reads them.

mod common;

use cellsdf::io::{read_hyperstack, write_hyperstack, AnyStack, Hyperstack, Sample};
use cellsdf::{Calibration, VoxelSize};
use ndarray::Array4;
use std::path::Path;

const SHAPE: (usize, usize, usize, usize) = (3, 4, 6, 9);

fn calib() -> Calibration {
    Calibration {
        voxel_um: Some(VoxelSize {
            x: 0.09,
            y: 0.125,
            z: 1.0,
        }),
        frame_interval_s: Some(20.0),
    }
}

/// Test stacks of every written type; values stay below 2^24 where ImageJ turns u32 into
/// float, and include the type's extremes otherwise.
fn write_all(dir: &Path) -> Vec<(String, Array4<f64>, u32)> {
    fn put<T: Sample>(
        dir: &Path,
        name: &str,
        f: impl Fn(usize) -> T,
        bits: u32,
    ) -> (String, Array4<f64>, u32) {
        let data = Array4::from_shape_fn(SHAPE, |(t, z, y, x)| {
            f(((t * SHAPE.1 + z) * SHAPE.2 + y) * SHAPE.3 + x)
        });
        let p = dir.join(name);
        write_hyperstack(&p, &Hyperstack::new(data.clone(), calib())).unwrap();
        (
            p.to_str().unwrap().to_string(),
            data.mapv(|v| v.to_f64()),
            bits,
        )
    }
    vec![
        put(
            dir,
            "u8.tif",
            |i| if i == 5 { 255u8 } else { (i % 7) as u8 },
            8,
        ),
        put(
            dir,
            "u16.tif",
            |i| {
                if i == 5 {
                    65535u16
                } else {
                    (i * 113 % 60000) as u16
                }
            },
            16,
        ),
        put(dir, "u32.tif", |i| (i as u32 * 40_503) % (1 << 24), 32),
        put(dir, "f32.tif", |i| (i as f32 - 300.0) * 0.0625, 32),
    ]
}

fn positions() -> Vec<(usize, usize, usize, usize)> {
    vec![
        (0, 0, 0, 0),
        (0, 0, 0, 5),
        (1, 2, 3, 4),
        (2, 3, 5, 8),
        (2, 0, 5, 1),
    ]
}

#[test]
fn imagej_opens_our_hyperstacks_with_dims_calibration_and_values() {
    let dir = tempfile::tempdir().unwrap();
    for (file, data, bits) in write_all(dir.path()) {
        let pos: Vec<String> = positions()
            .iter()
            .map(|p| format!("{},{},{},{}", p.0, p.1, p.2, p.3))
            .collect();
        let info = common::imagej_info(Path::new(&file), &pos);
        let num = |k: &str| {
            info[k]
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("{k}: {}", info[k]))
        };
        assert_eq!(num("width"), SHAPE.3 as f64, "{file}");
        assert_eq!(num("height"), SHAPE.2 as f64);
        assert_eq!(num("slices"), SHAPE.1 as f64, "{file}: {info:?}");
        assert_eq!(num("frames"), SHAPE.0 as f64);
        assert_eq!(num("channels"), 1.0);
        assert_eq!(num("bitdepth"), bits as f64, "{file}");
        assert!(
            matches!(info["unit"].as_str(), "micron" | "µm"),
            "{}",
            info["unit"]
        );
        assert!((num("pixelwidth") - 0.09).abs() < 1e-9, "{info:?}");
        assert!((num("pixelheight") - 0.125).abs() < 1e-9);
        assert!((num("pixeldepth") - 1.0).abs() < 1e-9);
        assert!((num("frameinterval") - 20.0).abs() < 1e-9);
        assert_eq!(num("sum"), data.sum(), "{file}: pixel sum differs");
        for (p, key) in positions().iter().zip(&pos) {
            assert_eq!(
                num(&format!("value[{key}]")),
                data[[p.0, p.1, p.2, p.3]],
                "{file} at {key}"
            );
        }
    }
}

#[test]
fn tifffile_reads_our_hyperstacks() {
    let dir = tempfile::tempdir().unwrap();
    for (file, data, _) in write_all(dir.path()) {
        let pos: Vec<String> = positions()
            .iter()
            .map(|p| format!("{},{},{},{}", p.0, p.1, p.2, p.3))
            .collect();
        let mut args = vec![file.as_str()];
        args.extend(pos.iter().map(String::as_str));
        let out: serde_json::Value =
            serde_json::from_str(&common::run_python("tifffile_info.py", &args)).unwrap();
        assert_eq!(
            out["shape"],
            serde_json::json!([SHAPE.0, SHAPE.1, SHAPE.2, SHAPE.3]),
            "{file}"
        );
        assert_eq!(out["axes"], "TZYX");
        assert_eq!(out["is_imagej"], true);
        let want = match Path::new(&file).file_stem().unwrap().to_str().unwrap() {
            "u8" => "uint8",
            "u16" => "uint16",
            "u32" => "uint32",
            _ => "float32",
        };
        assert_eq!(out["dtype"], want);
        assert_eq!(out["spacing"].as_f64(), Some(1.0));
        assert_eq!(out["unit"], "micron");
        assert_eq!(out["finterval"].as_f64(), Some(20.0));
        let xres = out["xres"].as_array().unwrap();
        let ppu = xres[0].as_f64().unwrap() / xres[1].as_f64().unwrap();
        assert!((1.0 / ppu - 0.09).abs() < 1e-12);
        assert_eq!(out["sum"].as_f64().unwrap(), data.sum());
        for (p, key) in positions().iter().zip(&pos) {
            assert_eq!(
                out["values"][key].as_f64().unwrap(),
                data[[p.0, p.1, p.2, p.3]]
            );
        }
    }
}

#[test]
fn we_read_what_tifffile_writes_and_refuse_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let listing: serde_json::Value = serde_json::from_str(&common::run_python(
        "tifffile_write.py",
        &[dir.path().to_str().unwrap()],
    ))
    .unwrap();
    for f in listing.as_array().unwrap() {
        let path = dir.path().join(f["file"].as_str().unwrap());
        if let Some(problem) = f["bad"].as_str() {
            let e = read_hyperstack(&path).unwrap_err().to_string();
            assert!(
                e.contains(f["file"].as_str().unwrap()) && e.contains(problem),
                "{e}"
            );
            continue;
        }
        let stack = read_hyperstack(&path).unwrap_or_else(|e| panic!("{e}"));
        let shape: Vec<usize> = f["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let (t, z, y, x) = stack.dims();
        let lead = shape.len() - 3;
        let expect = if shape.len() == 4 {
            (shape[0], shape[1], shape[2], shape[3])
        } else {
            (1, shape[lead], shape[lead + 1], shape[lead + 2])
        };
        assert_eq!((t, z, y, x), expect, "{}", f["file"]);
        assert_eq!(stack.dtype_name(), f["dtype"].as_str().unwrap());
        let sum = match &stack {
            AnyStack::U16(h) => h.data.iter().map(|&v| v as f64).sum::<f64>(),
            AnyStack::I32(h) => h.data.iter().map(|&v| v as f64).sum(),
            AnyStack::U32(h) => h.data.iter().map(|&v| v as f64).sum(),
            AnyStack::F32(h) => h.data.iter().map(|&v| v as f64).sum(),
            other => panic!("unexpected {}", other.dtype_name()),
        };
        let want = f["sum"].as_f64().unwrap();
        assert!(
            (sum - want).abs() <= 1e-6 * want.abs().max(1.0),
            "{}: {sum} vs {want}",
            f["file"]
        );
        match f["voxel"].as_array() {
            Some(v) => {
                let got = stack.calibration().voxel_um.expect("calibrated");
                for (g, w) in [got.x, got.y, got.z].iter().zip(v) {
                    assert!((g - w.as_f64().unwrap()).abs() < 1e-9, "{got:?} vs {v:?}");
                }
                assert_eq!(
                    stack.calibration().frame_interval_s,
                    f["finterval"].as_f64()
                );
            }
            None => assert_eq!(stack.calibration().voxel_um, None, "{}", f["file"]),
        }
    }
}

/// Files whose metadata misnames their axes read correctly with an axes override, and
/// without one the error names the override.
#[test]
fn axes_override_reads_frames_saved_as_channels_and_plain_pages() {
    use cellsdf::io::{read_hyperstack_with, ReadOptions};
    let dir = tempfile::tempdir().unwrap();
    common::run_python("tifffile_axes.py", &[dir.path().to_str().unwrap()]);
    let read = |name: &str, axes: Option<&str>| {
        read_hyperstack_with(
            &dir.path().join(name),
            &ReadOptions::with_axes(axes.map(|a| a.parse().unwrap())),
        )
    };
    let e = read("frames_as_channels.tif", None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("frames_as_channels.tif")
            && e.contains("5 slices x 4 channels")
            && e.contains("--axes"),
        "{e}"
    );
    let AnyStack::U16(h) = read("frames_as_channels.tif", Some("ZTYX")).unwrap() else {
        panic!("uint16 expected")
    };
    assert_eq!(h.data.dim(), (4, 5, 9, 11));
    for ((t, z, y, x), &v) in h.data.indexed_iter() {
        assert_eq!(
            v as usize,
            100 * t + 10 * z + (y + x) % 10,
            "at {t},{z},{y},{x}"
        );
    }
    let AnyStack::U16(p) = read("plain_pages.tif", None).unwrap() else {
        panic!("uint16 expected")
    };
    assert_eq!(p.data.dim(), (1, 6, 9, 11), "pages are slices by default");
    let AnyStack::U16(p) = read("plain_pages.tif", Some("TYX")).unwrap() else {
        panic!("uint16 expected")
    };
    assert_eq!(p.data.dim(), (6, 1, 9, 11));
    for ((t, _, y, x), &v) in p.data.indexed_iter() {
        assert_eq!(v as usize, 100 * t + (y + x) % 10);
    }
    let e = read("plain_pages.tif", Some("TZYX"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("6 planes") && e.contains("TYX"), "{e}");
    // Labels read through the same override (describe, prepare).
    let labels = cellsdf::io::read_labels_with(
        &dir.path().join("frames_as_channels.tif"),
        &ReadOptions::with_axes(Some("ZTYX".parse().unwrap())),
    )
    .unwrap();
    assert_eq!(labels.data[[3, 4, 0, 1]], 341);
}
