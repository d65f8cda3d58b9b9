//! Rendering sequences into calibrated hyperstacks (uint8 masks, optional float32 SDF in um)
//! or OME-Zarr stores (the uint8 mask as the image and as an NGFF labels image "cell").

use super::render::{Evaluation, RenderGrid, Renderer};
use crate::error::{Error, Result};
use crate::filopodia::{with_tubes, DrawnTube, TubeModel};
use crate::io::{write_hyperstack, Hyperstack};
use crate::model::Model;
use crate::progress::Progress;
use crate::units::{Calibration, VoxelSize};
use ndarray::{Array4, Axis};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How a rendered sequence is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SequenceFormat {
    /// One ImageJ hyperstack TIFF per sequence (`NAME.tif`).
    #[default]
    Tiff,
    /// One OME-Zarr store per sequence (`NAME.ome.zarr`, NGFF 0.5).
    OmeZarr,
}

impl SequenceFormat {
    /// The file (or store folder) name of the sequence `stem`.
    pub fn file_name(self, stem: &str) -> String {
        match self {
            SequenceFormat::Tiff => format!("{stem}.tif"),
            SequenceFormat::OmeZarr => format!("{stem}.ome.zarr"),
        }
    }
}

impl std::str::FromStr for SequenceFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "tiff" | "tif" => Ok(SequenceFormat::Tiff),
            "ome-zarr" | "zarr" => Ok(SequenceFormat::OmeZarr),
            _ => Err(Error::invalid(
                "format",
                format!("{s:?} is not tiff or ome-zarr"),
            )),
        }
    }
}

/// What to render. Sizes (x, y, z) in voxels, voxel size in um.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOptions {
    pub frames: usize,
    pub size_xyz: Option<[usize; 3]>,
    pub voxel_um: Option<VoxelSize>,
    pub mode: Evaluation,
    /// Also write the SDF (float32, um; TIFF only).
    pub write_sdf: bool,
    /// TIFF or OME-Zarr masks.
    pub format: SequenceFormat,
    /// Chunks and pyramid of OME-Zarr output.
    pub zarr: crate::io::OmeZarrLayout,
    /// Refuse jobs whose output would need more memory than this (bytes; default: half the
    /// memory available, at most 16 GiB).
    pub max_bytes: u64,
    /// Draw filopodia as tubes on the rendered body when the model carries a tube model
    /// (`cellsdf tubes`; default); off: the network's shape as rendered.
    pub tubes: bool,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            frames: 30,
            size_xyz: None,
            voxel_um: None,
            mode: Evaluation::adaptive(),
            write_sdf: false,
            format: SequenceFormat::Tiff,
            zarr: crate::io::OmeZarrLayout::default(),
            max_bytes: crate::io::ReadLimits::default().max_bytes,
            tubes: true,
        }
    }
}

/// Refuses a frame count outside 1 to 10,000 (argument `frames`).
pub fn check_frames(frames: usize) -> Result<()> {
    if frames == 0 || frames > 10_000 {
        return Err(Error::invalid("frames", "must be 1 to 10000"));
    }
    Ok(())
}

/// Model times of `frames` evenly spaced frames from -1 to 1 (0 for one frame).
pub fn times(frames: usize) -> Vec<f64> {
    (0..frames)
        .map(|k| {
            if frames > 1 {
                -1.0 + 2.0 * k as f64 / (frames - 1) as f64
            } else {
                0.0
            }
        })
        .collect()
}

impl SynthOptions {
    /// The output grid for `model` with micrometres per model unit `scale_um`: explicit size
    /// and voxel size as given; a missing voxel size makes the model cube fill the grid; a
    /// missing size covers the cube at the voxel size; neither: 64^3.
    pub fn grid(&self, scale_um: f64) -> Result<RenderGrid> {
        check_frames(self.frames)?;
        let (size, voxel) = match (self.size_xyz, self.voxel_um) {
            (Some(s), Some(v)) => (s, v),
            (Some(s), None) => (
                s,
                VoxelSize::isotropic(2.0 * scale_um / *s.iter().max().unwrap() as f64),
            ),
            (None, Some(v)) => {
                v.validate("voxel-um")?;
                (
                    [v.x, v.y, v.z].map(|h| (2.0 * scale_um / h).ceil().max(1.0) as usize),
                    v,
                )
            }
            (None, None) => ([64; 3], VoxelSize::isotropic(2.0 * scale_um / 64.0)),
        };
        let grid = RenderGrid::centred(size, voxel, scale_um);
        grid.validate()?;
        let voxels: u64 = size.iter().map(|&n| n as u64).product();
        let need = voxels * self.frames as u64 * (1 + if self.write_sdf { 4 } else { 0 } + 4);
        if need > self.max_bytes {
            return Err(Error::invalid(
                "size",
                format!(
                    "{} frames of {}x{}x{} voxels need {:.1} GB of memory, more than the limit of {:.1} GB; use fewer frames or voxels",
                    self.frames, size[0], size[1], size[2], need as f64 / 1e9, self.max_bytes as f64 / 1e9
                ),
            ));
        }
        Ok(grid)
    }
}

/// Scale (um per model unit) of training sequence `i`: its own, or the mean of
/// [`training_scale_and_interval`] when the model does not record it.
pub fn sequence_scale(model: &Model, i: usize) -> f64 {
    model
        .meta
        .sequences
        .get(i)
        .and_then(|s| s.normalisation)
        .map_or_else(|| training_scale_and_interval(model, 2).0, |n| n.scale_um)
}

/// Scale (um per model unit) and frame interval (s) typical of the model's training data:
/// the mean scale, and the mean sequence duration spread over `frames` frames.
pub fn training_scale_and_interval(model: &Model, frames: usize) -> (f64, Option<f64>) {
    let seqs = &model.meta.sequences;
    let scales: Vec<f64> = seqs
        .iter()
        .filter_map(|s| s.normalisation.map(|n| n.scale_um))
        .collect();
    let scale = if scales.is_empty() {
        1.0
    } else {
        scales.iter().sum::<f64>() / scales.len() as f64
    };
    let durations: Vec<f64> = seqs
        .iter()
        .filter_map(|s| {
            s.frame_interval_s
                .map(|dt| dt * s.frame_t.len().saturating_sub(1) as f64)
        })
        .collect();
    let interval = (!durations.is_empty() && frames > 1)
        .then(|| durations.iter().sum::<f64>() / durations.len() as f64 / (frames - 1) as f64);
    (scale, interval.filter(|v| *v > 0.0))
}

/// One rendered sequence, as recorded in a synthesis manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SynthRecord {
    pub file: String,
    pub sdf_file: Option<String>,
    pub code: Vec<f32>,
    pub around_sequence: Option<usize>,
    pub seed: Option<u64>,
    pub frames: usize,
    pub size_xyz: [usize; 3],
    pub voxel_um: VoxelSize,
    pub frame_interval_s: Option<f64>,
    pub scale_um: f64,
    pub points_evaluated: u64,
    pub voxels: u64,
    pub seconds: f64,
    /// Filopodia drawn as tubes on the body (absent when the network's shape is written as
    /// rendered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filopodia_tubes: Option<usize>,
}

/// Renders `code` (with `rotation`, if any) at `times` on `grid` and writes the masks to
/// `mask_path` (uint8 0/1; an OME-Zarr store of layout `zarr` when the path ends in
/// `.zarr`) and, when given, the SDF in um to `sdf_path` (float32). With `tubes` (a tube
/// model and the sequence's drawn tubes, [`crate::filopodia::draw_tubes`]) each frame is the
/// rendered body with those filopodia ([`crate::filopodia::with_tubes`]) and the SDF is
/// that mask's signed distance. Each file is pushed onto `written` once it is in place (so a caller can take
/// back what a run that fails later wrote). Returns (points evaluated, seconds).
#[allow(clippy::too_many_arguments)]
pub fn write_sequence(
    model: &Model,
    code: &[f32],
    rotation: Option<[f32; 3]>,
    grid: &RenderGrid,
    times: &[f64],
    frame_interval_s: Option<f64>,
    mode: Evaluation,
    mask_path: &Path,
    zarr: crate::io::OmeZarrLayout,
    sdf_path: Option<&Path>,
    tubes: Option<(&TubeModel, &[DrawnTube])>,
    written: &mut Vec<std::path::PathBuf>,
    progress: &dyn Progress,
) -> Result<(u64, f64)> {
    let start = std::time::Instant::now();
    let mut r = Renderer::new(model, code, rotation)?;
    let sdf = r.sequence(grid, times, mode, progress, 0.0, 1.0)?;
    let calibration = Calibration {
        voxel_um: Some(grid.voxel_um),
        frame_interval_s,
    };
    let (mask, sdf) = match tubes {
        None => (sdf.mapv(|v| (v <= 0.0) as u8), sdf),
        Some((tube_model, drawn)) => {
            let (mask, cell_sdf) =
                body_with_tubes(&sdf, grid, times, tube_model, drawn, sdf_path.is_some());
            (mask, cell_sdf.unwrap_or(sdf))
        }
    };
    if mask_path.extension().is_some_and(|e| e == "zarr") {
        write_mask_store(mask_path, &mask, calibration, zarr)?;
    } else {
        write_hyperstack(mask_path, &Hyperstack::new(mask, calibration))?;
    }
    written.push(mask_path.to_path_buf());
    if let Some(p) = sdf_path {
        write_hyperstack(p, &Hyperstack::new(sdf, calibration))?;
        written.push(p.to_path_buf());
    }
    Ok((r.points_evaluated, start.elapsed().as_secs_f64()))
}

/// Masks (and, with `want_sdf`, their signed distance in um) of the rendered frames `sdf`
/// [t, z, y, x] made into body plus the tubes `drawn`.
fn body_with_tubes(
    sdf: &Array4<f32>,
    grid: &RenderGrid,
    times: &[f64],
    tube_model: &TubeModel,
    drawn: &[DrawnTube],
    want_sdf: bool,
) -> (Array4<u8>, Option<Array4<f32>>) {
    let h = grid.voxel_um.zyx();
    let mut mask = Array4::<u8>::zeros(sdf.dim());
    let mut out = want_sdf.then(|| Array4::<f32>::zeros(sdf.dim()));
    for (k, frame) in sdf.outer_iter().enumerate() {
        let cell = with_tubes(
            frame.mapv(|v| v <= 0.0).view(),
            h,
            tube_model,
            drawn,
            times[k],
        );
        if let Some(o) = out.as_mut() {
            o.index_axis_mut(Axis(0), k)
                .assign(&crate::sdf::signed_distance(cell.view(), h));
        }
        mask.index_axis_mut(Axis(0), k).assign(&cell.mapv(u8::from));
    }
    (mask, out)
}

/// Writes masks [t, z, y, x] as an OME-Zarr store at `path` (claimed by the caller): the
/// uint8 mask as the image and as the labels image "cell" (label 1).
fn write_mask_store(
    path: &Path,
    mask: &ndarray::Array4<u8>,
    calibration: Calibration,
    layout: crate::io::OmeZarrLayout,
) -> Result<()> {
    use crate::io::{OmeZarrWriter, StoreSpec};
    let (t, z, y, x) = mask.dim();
    let spec = StoreSpec {
        frames: t,
        dims: [z, y, x],
        calibration,
        labels: Some("cell"),
        mask: true,
        layout,
    };
    let mut w = OmeZarrWriter::create::<u8>(path, &spec, true)?;
    for (k, frame) in mask.outer_iter().enumerate() {
        w.frame(k, frame, Some(frame.mapv(u16::from).view()))?;
    }
    w.finish().map(|_| ())
}
