//! Generating a phantom set on disk: one ImageJ hyperstack (uint8 mask, 0/1) per sequence,
//! `manifest.json` with every parameter and per-frame ground truth, and `phantoms.csv` with
//! the per-frame table for spreadsheets.

use super::{rasterize, tau_of, CellModel, PhantomOptions};
use crate::error::{Error, Result};
use crate::io::{write_atomic, write_hyperstack, Hyperstack, OutputDir};
use crate::progress::{check, Progress};
use crate::units::{Calibration, VoxelSize};
use ndarray::{s, Array3, Array4};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// Ground truth of one frame. Volumes in um^3, areas in um^2, time in s.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FrameRecord {
    pub frame: usize,
    pub time_s: f64,
    /// Normalised sequence time in [0, 1].
    pub tau: f64,
    /// Analytic volume (quadrature of the surface).
    pub volume_um3: f64,
    /// Analytic surface area.
    pub surface_um2: f64,
    /// pi^(1/3) (6 V)^(2/3) / A: 1 for a sphere, smaller otherwise.
    pub sphericity: f64,
    /// Connected components of the analytic shape (2 after a division).
    pub components: usize,
    /// Number of mask voxels.
    pub voxel_count: u64,
    /// Voxel count times voxel volume.
    pub voxel_volume_um3: f64,
}

/// One generated sequence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SequenceRecord {
    pub index: usize,
    /// Seed of this sequence's random stream (see [`super::sequence_seed`]).
    pub seed: u64,
    /// Mask file, relative to the manifest.
    pub file: String,
    pub model: CellModel,
    pub frames: Vec<FrameRecord>,
}

/// Everything needed to reproduce and interpret a phantom set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always "cellsdf-phantoms".
    pub format: String,
    pub version: u32,
    pub cellsdf_version: String,
    pub options: PhantomOptions,
    /// Axis order of the mask files.
    pub axes: String,
    pub sequences: Vec<SequenceRecord>,
}

/// Generates `opts.count` sequences into `out_dir` (created if needed), replacing only
/// files that cellsdf wrote there: see [`generate_into`].
pub fn generate(
    opts: &PhantomOptions,
    out_dir: &Path,
    progress: &dyn Progress,
) -> Result<Manifest> {
    opts.validate()?;
    generate_into(
        opts,
        &mut OutputDir::create(out_dir, "phantom", false)?,
        progress,
    )
}

/// Generates `opts.count` sequences into `out`: files `<kind>_NNN.tif`, `manifest.json`,
/// `phantoms.csv`, all claimed before any work (a file of those names that cellsdf did not
/// write is an error unless `out` overwrites). Every file is written atomically; progress
/// is reported on the calling thread after each batch of frames, and cancelling stops
/// before the next file is written. A cell that reaches the grid border is an error that
/// says which grid would hold it.
pub fn generate_into(
    opts: &PhantomOptions,
    out: &mut OutputDir,
    progress: &dyn Progress,
) -> Result<Manifest> {
    opts.validate()?;
    let mut names: Vec<String> = (0..opts.count)
        .map(|i| format!("{}_{i:03}.tif", opts.kind))
        .collect();
    names.extend(["manifest.json".into(), "phantoms.csv".into()]);
    out.claim(&names)?;
    let out_dir = out.dir();
    let total = (opts.count * opts.frames) as f32;
    let mut sequences = Vec::with_capacity(opts.count);
    let batch = 2 * rayon::current_num_threads().max(1);
    for index in 0..opts.count {
        let model = CellModel::sample(opts.kind, opts.seed, index);
        let seed = super::sequence_seed(opts.seed, index);
        let [nx, ny, nz] = opts.size_xyz;
        let mut data = Array4::<u8>::zeros((opts.frames, nz, ny, nx));
        let mut frames = Vec::with_capacity(opts.frames);
        for start in (0..opts.frames).step_by(batch) {
            let end = (start + batch).min(opts.frames);
            let done: Vec<(FrameRecord, Array3<u8>)> = (start..end)
                .into_par_iter()
                .map(|f| frame(opts, &model, f))
                .collect();
            for (record, mask) in done {
                check_border(&mask, opts, index, record.frame)?;
                data.slice_mut(s![record.frame, .., .., ..]).assign(&mask);
                frames.push(record);
            }
            let fraction = (index * opts.frames + end) as f32 / total;
            check(
                progress,
                fraction,
                &format!("sequence {}/{}", index + 1, opts.count),
            )?;
        }
        let file = format!("{}_{index:03}.tif", opts.kind);
        let stack = Hyperstack::new(
            data,
            Calibration {
                voxel_um: Some(opts.voxel_um),
                frame_interval_s: Some(opts.frame_interval_s),
            },
        );
        write_hyperstack(&out_dir.join(&file), &stack)?;
        sequences.push(SequenceRecord {
            index,
            seed,
            file,
            model,
            frames,
        });
    }
    let manifest = Manifest {
        format: "cellsdf-phantoms".into(),
        version: 1,
        cellsdf_version: env!("CARGO_PKG_VERSION").into(),
        options: opts.clone(),
        axes: "TZYX".into(),
        sequences,
    };
    write_manifest(&manifest, out_dir)?;
    Ok(manifest)
}

/// Shape, ground truth and mask of frame `f`; the cell is centred in the field of view.
fn frame(opts: &PhantomOptions, model: &CellModel, f: usize) -> (FrameRecord, Array3<u8>) {
    let centre = field_centre(opts.size_xyz, opts.voxel_um);
    let tau = tau_of(f, opts.frames);
    let shape = model.shape_at(tau, centre);
    let m = shape.measure();
    let mask = rasterize(&shape, opts.size_xyz, opts.voxel_um);
    let voxel_count = mask.iter().map(|&v| v as u64).sum::<u64>();
    let record = FrameRecord {
        frame: f,
        time_s: f as f64 * opts.frame_interval_s,
        tau,
        volume_um3: m.volume_um3,
        surface_um2: m.surface_um2,
        sphericity: sphericity(m.volume_um3, m.surface_um2),
        components: m.components,
        voxel_count,
        voxel_volume_um3: voxel_count as f64 * opts.voxel_um.volume_um3(),
    };
    (record, mask)
}

/// Centre of a grid of `size_xyz` voxels, um.
pub(crate) fn field_centre(size_xyz: [usize; 3], v: VoxelSize) -> [f64; 3] {
    [
        size_xyz[0] as f64 * v.x / 2.0,
        size_xyz[1] as f64 * v.y / 2.0,
        size_xyz[2] as f64 * v.z / 2.0,
    ]
}

/// pi^(1/3) (6 V)^(2/3) / A (1 for a sphere).
pub fn sphericity(volume_um3: f64, surface_um2: f64) -> f64 {
    std::f64::consts::PI.cbrt() * (6.0 * volume_um3).powf(2.0 / 3.0) / surface_um2
}

fn check_border(mask: &Array3<u8>, opts: &PhantomOptions, seq: usize, frame: usize) -> Result<()> {
    let (nz, ny, nx) = mask.dim();
    let touches = mask.indexed_iter().any(|((z, y, x), &v)| {
        v != 0 && (z == 0 || y == 0 || x == 0 || z + 1 == nz || y + 1 == ny || x + 1 == nx)
    });
    if touches {
        let need = super::default_size(opts.kind, opts.voxel_um);
        return Err(Error::invalid(
            "size",
            format!(
                "sequence {seq} frame {frame} reaches the border of the {}x{}x{} grid; use a larger grid (the {} default at this voxel size is {}x{}x{}) or larger voxels",
                nx, ny, nz, opts.kind, need[0], need[1], need[2]
            ),
        ));
    }
    Ok(())
}

fn write_manifest(m: &Manifest, dir: &Path) -> Result<()> {
    let json_path = dir.join("manifest.json");
    let json = serde_json::to_vec_pretty(m)
        .map_err(|e| Error::format(&json_path, format!("cannot encode manifest: {e}")))?;
    crate::io::write_bytes_atomic(&json_path, &json)?;
    let csv_path = dir.join("phantoms.csv");
    write_atomic(&csv_path, |w| {
        let mut put = |line: String| {
            w.write_all(line.as_bytes())
                .map_err(|e| Error::io(&csv_path, e))
        };
        put("kind,sequence,file,frame,time_s,volume_um3,surface_um2,sphericity,components,voxel_count,voxel_volume_um3\n".into())?;
        for s in &m.sequences {
            for f in &s.frames {
                put(format!(
                    "{},{},{},{},{},{:.6},{:.6},{:.6},{},{},{:.6}\n",
                    m.options.kind,
                    s.index,
                    s.file,
                    f.frame,
                    f.time_s,
                    f.volume_um3,
                    f.surface_um2,
                    f.sphericity,
                    f.components,
                    f.voxel_count,
                    f.voxel_volume_um3
                ))?;
            }
        }
        Ok(())
    })
}
