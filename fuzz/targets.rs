//! The bodies of the fuzz targets, shared by the cargo-fuzz binaries (fuzz_targets/) and
//! by the regression test that replays every crashing input found (tests/fuzz_regressions.rs,
//! which needs no nightly toolchain). Each takes arbitrary bytes and must return without
//! panicking or aborting, whatever they hold: errors are fine, crashes are bugs.
#![allow(dead_code)]

use cellsdf::dataset::{
    parse_man_track_text, plan, BorderPolicy, Dataset, LabelSource, LabelStats, PlanOptions, Scan,
    Source,
};
use cellsdf::describe::describe_mesh;
use cellsdf::io::{read_hyperstack_bytes, ReadLimits};
use cellsdf::mesh::{mesh_from_bytes, mesh_sdf};
use cellsdf::model::Model;
use cellsdf::VoxelSize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Limits that keep one input far below the fuzzer's memory limit.
fn limits() -> ReadLimits {
    ReadLimits {
        max_bytes: 64 << 20,
    }
}

/// A TIFF from bytes: decoding, shaping, calibration, conversion to labels.
pub fn tiff(data: &[u8]) {
    if let Ok(stack) = read_hyperstack_bytes(data, "fuzz.tif", &limits()) {
        let _ = stack.calibration();
        let _ = stack.into_labels("fuzz.tif");
    }
}

/// A checkpoint from bytes: header, metadata, shapes, values; then one evaluation.
pub fn checkpoint(data: &[u8]) {
    if let Ok((m, _)) = Model::from_bytes(data, Path::new("fuzz.safetensors")) {
        if let (Ok(code), Ok(engine)) = (m.code(0), m.engine()) {
            if let Ok(biases) = engine.frame_biases(&code, 0.0) {
                let _ = engine.eval_vec(&biases, &[[0.0, 0.0, 0.0]]);
            }
        }
    }
}

/// A mesh file (first byte picks PLY, OBJ or STL), then its descriptors.
pub fn mesh(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let ext = ["ply", "obj", "stl"][kind as usize % 3];
    if let Ok(m) = mesh_from_bytes(rest, ext) {
        let _ = describe_mesh(&m);
        let _ = m.topology();
    }
}

/// A CTC lineage table and the sequence plan over frames 0..8 where each track's label
/// is present in every frame it claims.
pub fn man_track(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(tracks) = parse_man_track_text(&text, Path::new("man_track.txt")) else {
        return;
    };
    let frames = 8usize;
    let mut scan = Scan::new();
    let mut files = BTreeMap::new();
    for t in 0..frames {
        let mut labels = BTreeMap::new();
        for tr in tracks
            .iter()
            .filter(|tr| tr.begin <= t && t <= tr.end)
            .take(64)
        {
            labels.insert(
                tr.label,
                LabelStats {
                    voxels: 1 + (tr.label as u64 % 7),
                    lo: [t % 3, 1, 1],
                    hi: [t % 3 + 1, 2, 3],
                    touches_xy_border: tr.label % 5 == 0,
                    touches_z_border: tr.label % 3 == 0,
                    moments: Default::default(),
                },
            );
        }
        scan.insert(t, labels);
        files.insert(t, PathBuf::from(format!("man_track{t:03}.tif")));
    }
    let source = Source {
        labels: LabelSource::Ctc {
            path: PathBuf::from("ctc"),
            files,
            tracks,
            dims: (4, 4, 4),
        },
        voxel_um: VoxelSize::isotropic(0.5),
        frame_interval_s: None,
    };
    for (follow, border) in [
        (false, BorderPolicy::Skip),
        (true, BorderPolicy::KeepZ),
        (true, BorderPolicy::Keep),
    ] {
        let opts = PlanOptions {
            follow_divisions: follow,
            min_length: 1,
            border,
        };
        let _ = plan(&source, &scan, &opts, &mut Vec::new());
    }
}

/// A small volume: dims, voxel size and level from the first bytes, float values (NaN and
/// infinities included) from the rest; marching cubes and the mesh measures.
pub fn marching_cubes(data: &[u8]) {
    if data.len() < 8 {
        return;
    }
    let dim = |b: u8| 2 + (b as usize % 15);
    let (nz, ny, nx) = (dim(data[0]), dim(data[1]), dim(data[2]));
    // Voxel sizes from tiny to huge: 10^(k / 16 - 8) um.
    let size = |b: u8| 10f64.powf(b as f64 / 16.0 - 8.0);
    let voxel = VoxelSize {
        x: size(data[3]),
        y: size(data[4]),
        z: size(data[5]),
    };
    let level = (data[6] as f32 - 128.0) / 16.0;
    let values: Vec<f32> = data[8..]
        .chunks(4)
        .map(|c| {
            if c.len() == 4 {
                f32::from_le_bytes([c[0], c[1], c[2], c[3]])
            } else {
                c[0] as f32 - 128.0
            }
        })
        .chain(std::iter::repeat(1.0))
        .take(nz * ny * nx)
        .collect();
    let field = ndarray::Array3::from_shape_vec((nz, ny, nx), values).expect("sized above");
    if let Ok(m) = mesh_sdf(field.view(), voxel, level) {
        let _ = m.area();
        let _ = m.volume();
        let _ = m.topology();
        let _ = describe_mesh(&m);
    }
    let mask = field.mapv(|v| v <= level);
    let _ = cellsdf::describe::describe_mask(mask.view(), voxel);
}

/// A dataset folder: `dataset.json` from the text before the first NUL byte, `samples.npy`
/// and `grids.npy` from the rest (split at the second NUL); opened, read and resampled.
pub fn dataset(data: &[u8]) {
    let mut parts = data.splitn(3, |&b| b == 0);
    let (json, samples, grids) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).is_ok();
    if !(write("dataset.json", json) && write("samples.npy", samples) && write("grids.npy", grids))
    {
        return;
    }
    if let Ok(d) = Dataset::open(dir.path()) {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for row in 0..d.frames_total().min(4) {
            let _ = d.samples(row).sum();
            let _ = d.grid(row).map(|g| g.sum());
            let _ = d.locate(row);
            let _ = d.resample(row, 16, &mut rng);
        }
    }
}

/// The C API's size-taking calls with sizes from the input; buffers exist only for sizes
/// that fit a small budget, so larger claims must be refused before any access. A call may
/// fail, but never with CSDF_STATUS_PANIC.
pub fn c_api(data: &[u8]) {
    use cellsdf::ffi::*;
    if data.len() < 33 {
        return;
    }
    let word = |k: usize| -> usize {
        let b: [u8; 8] = std::array::from_fn(|i| data[1 + 8 * k + i]);
        // Mostly small sizes, sometimes huge ones.
        let v = u64::from_le_bytes(b);
        if v.is_multiple_of(4) {
            v as usize
        } else {
            (v % 24) as usize
        }
    };
    let (a, b, c, d) = (word(0), word(1), word(2), word(3));
    const BUDGET: usize = 1 << 16;
    let fits = |dims: &[usize]| {
        dims.iter()
            .try_fold(1usize, |acc, &n| acc.checked_mul(n))
            .is_some_and(|n| n <= BUDGET)
    };
    let voxel = [0.5f64, 0.5, 1.0];
    let status_ok = |s: csdf_status| assert_ne!(s, CSDF_STATUS_PANIC, "a call panicked");
    unsafe {
        let n = if fits(&[a, b, c]) { a * b * c } else { 0 };
        let bytes: Vec<u8> = (0..n).map(|i| data[i % data.len()] & 1).collect();
        let floats: Vec<f32> = (0..n)
            .map(|i| data[i % data.len()] as f32 - 100.0)
            .collect();
        let (pb, pf) = if n > 0 {
            (bytes.as_ptr(), floats.as_ptr())
        } else {
            (std::ptr::null(), std::ptr::null())
        };
        let mut mesh = std::ptr::null_mut();
        match data[0] % 5 {
            0 => {
                status_ok(csdf_mesh_from_mask(pb, a, b, c, voxel.as_ptr(), &mut mesh));
            }
            1 => {
                status_ok(csdf_mesh_from_sdf(
                    pf,
                    a,
                    b,
                    c,
                    voxel.as_ptr(),
                    0.0,
                    &mut mesh,
                ));
            }
            2 => {
                let mut out = std::mem::zeroed();
                status_ok(csdf_describe_mask(pb, a, b, c, voxel.as_ptr(), &mut out));
            }
            3 => {
                let (mut j, mut dice) = (0.0, 0.0);
                let len = if fits(&[d]) { d.min(n) } else { d };
                let ptr = if fits(&[d]) { pb } else { std::ptr::null() };
                status_ok(csdf_jaccard(ptr, ptr, len, &mut j, &mut dice));
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path =
                    std::ffi::CString::new(dir.path().join("s.tif").to_str().unwrap()).unwrap();
                let ptr = if fits(&[a, b, c, d]) && n > 0 {
                    pb
                } else {
                    std::ptr::null()
                };
                let frames = if fits(&[a, b, c, d]) { 1 } else { d };
                status_ok(csdf_stack_write(
                    path.as_ptr(),
                    CSDF_DTYPE_U8,
                    ptr as *const std::ffi::c_void,
                    frames,
                    a,
                    b,
                    c,
                    voxel.as_ptr(),
                    60.0,
                    1,
                ));
            }
        }
        csdf_mesh_free(mesh);
    }
}

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// Every target by name, for the regression replay.
pub const TARGETS: [(&str, Target); 7] = [
    ("tiff", tiff),
    ("checkpoint", checkpoint),
    ("mesh", mesh),
    ("man_track", man_track),
    ("marching_cubes", marching_cubes),
    ("dataset", dataset),
    ("c_api", c_api),
];
