//! The dataset on disk (format `cellsdf-dataset`, version 1), and its reader.
//!
//! A dataset is a directory:
//! - `dataset.json`: this module's [`DatasetMeta`]: options, and per sequence its source,
//!   labels, voxel size (um), frame interval (s), normalisation and frames;
//! - `samples.npy`: float32, shape (F, S, 5), columns (x, y, z, t, sdf) in model units, F the
//!   number of frames of all sequences in order, S samples per frame;
//! - `grids.npy` (when `grid` > 0): float32, shape (F, N, N, N), axes (frame, z, y, x): the
//!   SDF in model units at the nodes linspace(-1, 1, N) of each model axis.
//!
//! Model units: p_model = (p_um - centre_um) / scale_um, centre_um per sequence (plus the
//! frame's `offset_um` when every frame was centred on its cell), scale_um one
//! value for the whole dataset (or, with `scale` = sequence, per sequence); one scale for all
//! axes, so shapes keep their proportions; sdf_model = min(sdf_um / scale_um, clamp). Time: the first frame of
//! a sequence is t = -1, the last t = +1, proportional to the source's time index in between
//! (a single frame has t = 0). numpy reads both arrays with `np.load(p, mmap_mode="r")`.

use super::align::Centring;
use super::plan::{PlannedFrame, Skipped};
use super::prepare::ScaleMode;
use crate::error::{Error, Result};
use crate::io::NpyArray;
use crate::sdf::trilinear;
use crate::units::VoxelSize;
use ndarray::{Array2, ArrayView2, ArrayView3};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FORMAT: &str = "cellsdf-dataset";

fn legacy_scale() -> ScaleMode {
    ScaleMode::Sequence
}
pub const VERSION: u32 = 1;

/// Maps micrometres of the source image to model units: p_model = R^T (p_um - centre_um) /
/// scale_um, where R's columns are `axes` (the identity when `axes` is `None`). Image
/// position of voxel (x=i, y=j, z=k) is ((i + 0.5) vx, (j + 0.5) vy, (k + 0.5) vz) um.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Normalisation {
    /// (x, y, z) um.
    pub centre_um: [f64; 3],
    pub scale_um: f64,
    /// Model axes x, y, z as unit (x, y, z) vectors of the image (a rotation), when the
    /// sequence was aligned to its principal axes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub axes: Option<[[f64; 3]; 3]>,
}

impl Normalisation {
    /// An unrotated normalisation.
    pub fn new(centre_um: [f64; 3], scale_um: f64) -> Normalisation {
        Normalisation {
            centre_um,
            scale_um,
            axes: None,
        }
    }

    pub fn to_model(&self, p_um: [f64; 3]) -> [f64; 3] {
        let q = [0, 1, 2].map(|a| (p_um[a] - self.centre_um[a]) / self.scale_um);
        match &self.axes {
            None => q,
            Some(r) => [0, 1, 2].map(|k| r[k][0] * q[0] + r[k][1] * q[1] + r[k][2] * q[2]),
        }
    }

    pub fn to_um(&self, p_model: [f64; 3]) -> [f64; 3] {
        let q = match &self.axes {
            None => p_model,
            Some(r) => [0, 1, 2].map(|a| (0..3).map(|k| r[k][a] * p_model[k]).sum::<f64>()),
        };
        [0, 1, 2].map(|a| self.centre_um[a] + self.scale_um * q[a])
    }

    /// Half-size (x, y, z) um of the image-aligned box that holds the model cube [-1, 1]^3.
    pub fn half_extent_um(&self) -> [f64; 3] {
        match &self.axes {
            None => [self.scale_um; 3],
            Some(r) => {
                [0, 1, 2].map(|a| self.scale_um * (0..3).map(|k| r[k][a].abs()).sum::<f64>())
            }
        }
    }
}

/// One frame of a prepared sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameMeta {
    #[serde(flatten)]
    pub planned: PlannedFrame,
    /// Model time in [-1, 1].
    pub t: f64,
    /// Seconds since the sequence's first frame, when the source has a frame interval.
    pub time_s: Option<f64>,
    /// Shift (x, y, z) um of this frame's cell from the sequence's normalisation, when every
    /// frame was centred on its own cell (`--centre frame`): the model point p of this
    /// frame is at `normalisation.to_um(p) + offset_um` in the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_um: Option<[f64; 3]>,
}

impl FrameMeta {
    /// The normalisation that maps this frame's model points to image um.
    pub fn normalisation(&self, sequence: &Normalisation) -> Normalisation {
        match self.offset_um {
            None => *sequence,
            Some(o) => Normalisation {
                centre_um: [0, 1, 2].map(|a| sequence.centre_um[a] + o[a]),
                ..*sequence
            },
        }
    }
}

/// One prepared sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequenceMeta {
    pub name: String,
    pub source: PathBuf,
    pub label: u32,
    pub voxel_um: VoxelSize,
    pub frame_interval_s: Option<f64>,
    pub normalisation: Normalisation,
    /// Row of this sequence's first frame in samples.npy / grids.npy.
    pub first_row: usize,
    pub frames: Vec<FrameMeta>,
}

/// Everything in `dataset.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetMeta {
    pub format: String,
    pub version: u32,
    pub cellsdf_version: String,
    /// N of grids.npy (0: no grids stored).
    pub grid: usize,
    pub samples_per_frame: usize,
    pub sample_columns: Vec<String>,
    pub near_fraction: f64,
    /// Near-surface band: samples with sdf <= band (model units) count as near.
    pub band: f64,
    /// Near samples only where |sdf| <= band (not in the deep inside).
    #[serde(default)]
    pub near_surface_only: bool,
    /// Space left around each cell: the cell spans 1 / (1 + margin) of the model cube.
    pub margin: f64,
    /// One scale for all sequences (`dataset`) or one per sequence (`sequence`, the only
    /// kind before this field existed).
    #[serde(default = "legacy_scale")]
    pub scale: ScaleMode,
    /// Outside SDF values saturate at this many model units (None: exact distances).
    #[serde(default)]
    pub clamp: Option<f64>,
    /// One box per sequence, or every frame centred on its cell.
    #[serde(default)]
    pub centre: Centring,
    pub seed: u64,
    pub frames_total: usize,
    pub sequences: Vec<SequenceMeta>,
    pub skipped: Vec<Skipped>,
}

/// Cross-checks a description: sequences stored back to back from row 0, their frames
/// summing to `frames_total`, times in [-1, 1], positive finite scales, sizes in range.
fn check_meta(meta: &DatasetMeta) -> std::result::Result<(), String> {
    if meta.samples_per_frame == 0 || meta.samples_per_frame > 1 << 24 {
        return Err(format!(
            "samples_per_frame {} is outside 1 to 2^24",
            meta.samples_per_frame
        ));
    }
    if meta.grid == 1 || meta.grid > 1024 {
        return Err(format!("grid {} is outside 0 and 2 to 1024", meta.grid));
    }
    if !(meta.band.is_finite() && meta.band > 0.0) {
        return Err("band must be a positive number".into());
    }
    let mut row = 0usize;
    for (i, s) in meta.sequences.iter().enumerate() {
        if s.first_row != row {
            return Err(format!(
                "sequence {i} ({}) starts at row {}, expected {row}",
                s.name, s.first_row
            ));
        }
        if s.frames.is_empty() {
            return Err(format!("sequence {i} ({}) has no frames", s.name));
        }
        if s.frames.iter().any(|f| {
            f.offset_um
                .is_some_and(|o| o.iter().any(|c| !c.is_finite()))
        }) {
            return Err(format!(
                "sequence {i} ({}) has an invalid frame offset",
                s.name
            ));
        }
        if s.frames
            .iter()
            .any(|f| !(f.t.is_finite() && (-1.0..=1.0).contains(&f.t)))
        {
            return Err(format!(
                "sequence {i} ({}) has a time outside [-1, 1]",
                s.name
            ));
        }
        let n = &s.normalisation;
        if !(n.scale_um.is_finite()
            && n.scale_um > 0.0
            && n.centre_um.iter().all(|c| c.is_finite()))
        {
            return Err(format!(
                "sequence {i} ({}) has an invalid normalisation",
                s.name
            ));
        }
        row = row
            .checked_add(s.frames.len())
            .ok_or("frame count overflows")?;
    }
    if row != meta.frames_total {
        return Err(format!(
            "the sequences hold {row} frames but frames_total is {}",
            meta.frames_total
        ));
    }
    Ok(())
}

/// A prepared dataset, memory-mapped.
pub struct Dataset {
    pub dir: PathBuf,
    pub meta: DatasetMeta,
    samples: NpyArray,
    grids: Option<NpyArray>,
}

impl Dataset {
    /// Opens a dataset directory; checks format, version and array shapes.
    pub fn open(dir: &Path) -> Result<Dataset> {
        let json = dir.join("dataset.json");
        let text = std::fs::read_to_string(&json).map_err(|e| Error::io(&json, e))?;
        let meta: DatasetMeta = serde_json::from_str(&text)
            .map_err(|e| Error::format(&json, format!("not a cellsdf dataset description: {e}")))?;
        if meta.format != FORMAT || meta.version != VERSION {
            return Err(Error::format(
                &json,
                format!(
                    "format {} version {} is not {FORMAT} version {VERSION}",
                    meta.format, meta.version
                ),
            ));
        }
        check_meta(&meta).map_err(|m| Error::format(&json, m))?;
        let samples = NpyArray::open(&dir.join("samples.npy"))?;
        let want = [meta.frames_total, meta.samples_per_frame, 5];
        if samples.shape() != want {
            return Err(Error::format(
                dir.join("samples.npy"),
                format!("shape {:?}, dataset.json says {want:?}", samples.shape()),
            ));
        }
        let grids = if meta.grid > 0 {
            let g = NpyArray::open(&dir.join("grids.npy"))?;
            let n = meta.grid;
            if g.shape() != [meta.frames_total, n, n, n] {
                return Err(Error::format(
                    dir.join("grids.npy"),
                    format!(
                        "shape {:?}, dataset.json says {:?}",
                        g.shape(),
                        [meta.frames_total, n, n, n]
                    ),
                ));
            }
            Some(g)
        } else {
            None
        };
        Ok(Dataset {
            dir: dir.to_path_buf(),
            meta,
            samples,
            grids,
        })
    }

    pub fn frames_total(&self) -> usize {
        self.meta.frames_total
    }

    /// Samples of frame row `row`: (S, 5) = (x, y, z, t, sdf), model units.
    pub fn samples(&self, row: usize) -> ArrayView2<'_, f32> {
        let s = self.meta.samples_per_frame;
        let data = &self.samples.data()[row * s * 5..(row + 1) * s * 5];
        ArrayView2::from_shape((s, 5), data).expect("shape checked at open")
    }

    /// SDF grid of frame row `row`, [z, y, x] at linspace(-1, 1, N), if the dataset has grids.
    pub fn grid(&self, row: usize) -> Option<ArrayView3<'_, f32>> {
        let g = self.grids.as_ref()?;
        let n = self.meta.grid;
        let data = &g.data()[row * n * n * n..(row + 1) * n * n * n];
        Some(ArrayView3::from_shape((n, n, n), data).expect("shape checked at open"))
    }

    /// Sequence index and frame index of frame row `row`.
    pub fn locate(&self, row: usize) -> (usize, usize) {
        let i = self
            .meta
            .sequences
            .partition_point(|s| s.first_row <= row)
            .saturating_sub(1);
        (i, row - self.meta.sequences[i].first_row)
    }

    /// Fresh samples of frame row `row` drawn from its stored grid (for resampling every
    /// epoch): `near_fraction` of them jittered around grid nodes with sdf <= band, the rest
    /// uniform in the cube where sdf > band; SDF by trilinear interpolation of the grid.
    /// Columns as in samples.npy. Errors when the dataset has no grids.
    pub fn resample(&self, row: usize, count: usize, rng: &mut impl Rng) -> Result<Array2<f32>> {
        let grid = self.grid(row).ok_or_else(|| {
            Error::invalid(
                "resample",
                "the dataset stores no SDF grids (prepared with --grid 0)",
            )
        })?;
        let n = self.meta.grid;
        let (seq, f) = self.locate(row);
        let t = self.meta.sequences[seq].frames[f].t as f32;
        let h = 2.0 / (n - 1) as f64;
        let node = |k: usize| -1.0 + h * k as f64;
        let band = self.meta.band as f32;
        let two_sided = self.meta.near_surface_only;
        let is_near = |v: f32| v <= band && (!two_sided || v >= -band);
        let near: Vec<(usize, usize, usize)> = grid
            .indexed_iter()
            .filter(|(_, &v)| is_near(v))
            .map(|(i, _)| i)
            .collect();
        let n_near = if near.is_empty() {
            0
        } else {
            (count as f64 * self.meta.near_fraction).round() as usize
        };
        let mut out = Array2::<f32>::zeros((count, 5));
        let at =
            |p: [f64; 3]| trilinear(grid, (p[2] + 1.0) / h, (p[1] + 1.0) / h, (p[0] + 1.0) / h);
        for i in 0..count {
            let p = if i < n_near {
                let (z, y, x) = near[rng.random_range(0..near.len())];
                [x, y, z].map(|k| (node(k) + h * (rng.random::<f64>() - 0.5)).clamp(-1.0, 1.0))
            } else {
                let mut p = [0.0; 3];
                for _ in 0..100 {
                    p = [0; 3].map(|_| rng.random_range(-1.0..1.0));
                    if !is_near(at(p)) {
                        break;
                    }
                }
                p
            };
            let v = at(p);
            out.row_mut(i).assign(&ndarray::arr1(&[
                p[0] as f32,
                p[1] as f32,
                p[2] as f32,
                t,
                v,
            ]));
        }
        Ok(out)
    }
}
