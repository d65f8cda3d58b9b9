//! `cellsdf prepare`: label images to an SDF training set on disk, one source at a time
//! (only one source's frames are in memory), written into a temporary directory that replaces
//! the output only when complete.

use super::align::{centroid_um, principal_axes, Alignment, Centring};
use super::format::{DatasetMeta, FrameMeta, Normalisation, SequenceMeta, FORMAT, VERSION};
use super::plan::{plan, scan, BorderPolicy, Moments, PlanOptions, PlannedSequence, Skipped};
use super::replace::{commit, inspect_target};
use super::source::Source;
use crate::error::{Error, Result};
use crate::io::{Axes, NpyWriter};
use crate::progress::{check, Progress};
use crate::sdf::{signed_distance, trilinear};
use crate::units::VoxelSize;
use ndarray::Array3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How micrometres map to model units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ScaleMode {
    /// One scale for every sequence (the reference's fixed crop and voxel size): the largest
    /// cell spans 1 / (1 + margin) of the model cube and every other cell keeps its size
    /// relative to it, so the codes learn size and new codes reproduce the size spread.
    #[default]
    Dataset,
    /// Each sequence scaled to its own box (size divided out; cellsdf before 0.2).
    Sequence,
}

impl std::str::FromStr for ScaleMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "dataset" => Ok(ScaleMode::Dataset),
            "sequence" => Ok(ScaleMode::Sequence),
            _ => Err(Error::invalid(
                "scale",
                format!("{s:?} is not dataset or sequence"),
            )),
        }
    }
}

/// Options of `prepare`. Defaults follow the paper: 70 % of the samples where sdf <= 0.1,
/// one scale for the whole dataset, far-field SDF saturated.
#[derive(Debug, Clone, PartialEq)]
pub struct PrepareOptions {
    /// N of the stored SDF grids (N^3 per frame); 0 stores none.
    pub grid: usize,
    pub samples_per_frame: usize,
    pub near_fraction: f64,
    /// Near-surface band in model units.
    pub band: f64,
    /// Near samples from the whole inside plus the outer band (sdf <= band, the reference's
    /// rule) or from the two-sided band |sdf| <= band only (`true`), which puts them where
    /// the surface is decided.
    pub near_surface_only: bool,
    /// Room around each cell: it spans 1 / (1 + margin) of the model cube.
    pub margin: f64,
    pub scale: ScaleMode,
    /// Orientation of each sequence in model space: image axes, or its principal axes.
    pub align: Alignment,
    /// One box per sequence, or every frame centred on its own cell (moving cells).
    pub centre: Centring,
    /// Use this scale (um per model unit) for every sequence instead of computing one
    /// (fitting a code to a model trained at that scale).
    pub fixed_scale_um: Option<f64>,
    /// Outside distances saturate at this many model units (the reference clamps at 32 of
    /// 256 voxels, 0.25 model units); `None` keeps the exact distance everywhere.
    pub clamp: Option<f64>,
    /// Voxel size to use instead of (or where there is no) file calibration.
    pub voxel_um: Option<VoxelSize>,
    /// What the planes of label TIFFs mean when their metadata says otherwise.
    pub axes: Option<Axes>,
    pub follow_divisions: bool,
    pub min_length: usize,
    /// Cells touching the image border: skipped, kept when cut only in z, or kept.
    pub border: BorderPolicy,
    pub seed: u64,
}

impl Default for PrepareOptions {
    fn default() -> Self {
        PrepareOptions {
            grid: 64,
            samples_per_frame: 16384,
            near_fraction: 0.7,
            band: 0.1,
            near_surface_only: false,
            margin: 0.1,
            scale: ScaleMode::Dataset,
            align: Alignment::Sequence,
            centre: Centring::Sequence,
            fixed_scale_um: None,
            clamp: Some(0.5),
            voxel_um: None,
            axes: None,
            follow_divisions: false,
            min_length: 1,
            border: BorderPolicy::Skip,
            seed: 0,
        }
    }
}

impl PrepareOptions {
    pub fn validate(&self) -> Result<()> {
        if self.grid == 1 || self.grid > 1024 {
            return Err(Error::invalid("grid", "must be 0 (no grids) or 2 to 1024"));
        }
        if self.samples_per_frame == 0 || self.samples_per_frame > 1 << 24 {
            return Err(Error::invalid("samples-per-frame", "must be 1 to 16777216"));
        }
        if !(0.0..=1.0).contains(&self.near_fraction) {
            return Err(Error::invalid("near-fraction", "must be between 0 and 1"));
        }
        if !(self.band > 0.0 && self.band < 2.0) {
            return Err(Error::invalid(
                "band",
                "must be between 0 and 2 model units",
            ));
        }
        if !(self.margin >= 0.0 && self.margin <= 10.0) {
            return Err(Error::invalid("margin", "must be between 0 and 10"));
        }
        if let Some(c) = self.clamp {
            if !(c > self.band && c <= 4.0) {
                return Err(Error::invalid(
                    "clamp",
                    "must be above the near-surface band and at most 4 model units",
                ));
            }
        }
        if let Some(v) = self.voxel_um {
            v.validate("voxel-um")?;
        }
        if let Some(s) = self.fixed_scale_um {
            if !(s.is_finite() && s > 0.0) {
                return Err(Error::invalid("scale", "must be a positive number of um"));
            }
        }
        Ok(())
    }
}

/// The TIFF files and CTC folders named by `inputs`: a folder with a `man_track.txt` (in it
/// or in TRA/) is a CTC folder; any other folder stands for the TIFF files in it.
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if !p.exists() {
            return Err(Error::io(
                p,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            ));
        }
        if p.is_dir() && !(p.join("man_track.txt").exists() || p.join("TRA/man_track.txt").exists())
        {
            out.extend(crate::io::tiff_files_in(
                p,
                " and is not a CTC folder (no man_track.txt)",
            )?);
        } else {
            out.push(p.clone());
        }
    }
    if out.is_empty() {
        return Err(Error::invalid("input", "no input given"));
    }
    Ok(out)
}

/// Prepares a dataset from `inputs` into the directory `out`. `out` may be new, empty, or
/// hold a previous dataset and nothing else, which is then replaced atomically; any other
/// content is refused before work starts (see [`super::replace`]). Returns the dataset's
/// description; skipped cells and frames are listed in it.
pub fn prepare(
    inputs: &[PathBuf],
    out: &Path,
    opts: &PrepareOptions,
    progress: &dyn Progress,
) -> Result<DatasetMeta> {
    opts.validate()?;
    let files = expand_inputs(inputs)?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    // Refuse before any work when the folder holds anything but a previous dataset.
    inspect_target(out)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "dataset".into());
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".part")
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
    let n = opts.grid;
    let s = opts.samples_per_frame;
    let mut samples = NpyWriter::create_growing(&tmp.path().join("samples.npy"), &[s, 5])?;
    let mut grids = if n > 0 {
        Some(NpyWriter::create_growing(
            &tmp.path().join("grids.npy"),
            &[n, n, n],
        )?)
    } else {
        None
    };
    let (sequences, skipped, row) = build_rows(
        &files,
        opts,
        &mut samples,
        grids.as_mut().map(|g| g as &mut (dyn RowSink + 'static)),
        progress,
    )?;
    samples.finish()?;
    if let Some(g) = grids {
        g.finish()?;
    }
    let meta = DatasetMeta {
        format: FORMAT.into(),
        version: VERSION,
        cellsdf_version: env!("CARGO_PKG_VERSION").into(),
        grid: n,
        samples_per_frame: s,
        sample_columns: ["x", "y", "z", "t", "sdf"].map(String::from).to_vec(),
        near_fraction: opts.near_fraction,
        band: opts.band,
        near_surface_only: opts.near_surface_only,
        margin: opts.margin,
        scale: opts.scale,
        clamp: opts.clamp,
        centre: opts.centre,
        seed: opts.seed,
        frames_total: row,
        sequences,
        skipped,
    };
    let json = serde_json::to_vec_pretty(&meta)
        .map_err(|e| Error::format(out, format!("cannot encode dataset.json: {e}")))?;
    crate::io::write_bytes_atomic(&tmp.path().join("dataset.json"), &json)?;
    // The temporary folder is removed on any error below; after a successful commit it no
    // longer exists under its name.
    commit(tmp.path(), out)?;
    Ok(meta)
}

/// Where prepared rows go: the dataset's `.npy` files, or memory (fitting a code).
pub(crate) trait RowSink {
    fn put(&mut self, values: &[f32]) -> Result<()>;
}

impl RowSink for NpyWriter {
    fn put(&mut self, values: &[f32]) -> Result<()> {
        self.write(values)
    }
}

impl RowSink for Vec<f32> {
    fn put(&mut self, values: &[f32]) -> Result<()> {
        self.try_reserve(values.len())
            .map_err(|_| Error::out_of_memory(format!("{} more samples", values.len())))?;
        self.extend_from_slice(values);
        Ok(())
    }
}

/// Both passes over `files`: plans every source, then writes each kept sequence's samples
/// (and grids) row by row into the sinks. Returns the sequences, the skipped cells and the
/// number of rows.
fn build_rows(
    files: &[PathBuf],
    opts: &PrepareOptions,
    samples: &mut (dyn RowSink + 'static),
    mut grids: Option<&mut (dyn RowSink + 'static)>,
    progress: &dyn Progress,
) -> Result<(Vec<SequenceMeta>, Vec<Skipped>, usize)> {
    let mut sequences = Vec::new();
    let mut skipped = Vec::new();
    let mut row = 0usize;
    let plan_opts = PlanOptions {
        follow_divisions: opts.follow_divisions,
        min_length: opts.min_length,
        border: opts.border,
    };
    // Pass 1: what every source holds and how each sequence maps to model space (the
    // dataset-wide scale needs every cell's extent).
    let mut plans: Vec<(usize, Vec<(PlannedSequence, Placement)>)> = Vec::new();
    let mut kept: Option<Source> = None;
    let share = 1.0 / files.len() as f32;
    for (k, file) in files.iter().enumerate() {
        let source = Source::open(file, opts.voxel_um, opts.axes)?;
        let scanned = scan(&source, progress, k as f32 * share * 0.2, 0.2 * share)?;
        let planned = plan(&source, &scanned, &plan_opts, &mut skipped)?;
        let normed = planned
            .into_iter()
            .map(|seq| {
                let placed = placement(&source, &seq, opts.align, opts.centre, opts.margin)?;
                Ok((seq, placed))
            })
            .collect::<Result<Vec<_>>>()?;
        plans.push((k, normed));
        // Keep the last source open for pass 2 (one file: read once).
        kept = Some(source);
    }
    let common = match (opts.fixed_scale_um, opts.scale) {
        (Some(s), _) => Some(s),
        (None, ScaleMode::Sequence) => None,
        (None, ScaleMode::Dataset) => plans
            .iter()
            .flat_map(|(_, p)| p.iter().map(|(_, n)| n.norm.scale_um))
            .reduce(f64::max),
    };
    // Pass 2: crops, SDFs, grids and samples, one source in memory at a time.
    let total: usize = plans.iter().map(|(_, p)| p.len()).sum::<usize>().max(1);
    let mut done = 0usize;
    for (k, planned) in &plans {
        if planned.is_empty() {
            continue;
        }
        let source = match kept.take() {
            Some(s) if *k + 1 == files.len() => s,
            _ => Source::open(&files[*k], opts.voxel_um, opts.axes)?,
        };
        for (seq, placed) in planned {
            let mut norm = placed.norm;
            if let Some(scale_um) = common {
                norm.scale_um = scale_um;
            }
            let offsets = placed.offsets_um.as_deref();
            let meta = prepare_sequence(
                &source,
                seq,
                norm,
                offsets,
                opts,
                row,
                samples,
                grids.as_deref_mut(),
            )?;
            row += meta.frames.len();
            sequences.push(meta);
            done += 1;
            let f = 0.2 + 0.8 * done as f32 / total as f32;
            check(progress, f, &format!("{} ({done}/{total})", seq.name))?;
        }
    }
    if sequences.is_empty() {
        let reasons: Vec<String> = skipped
            .iter()
            .take(5)
            .map(|s| format!("{}: {}", s.what, s.reason))
            .collect();
        return Err(Error::invalid(
            "input",
            format!(
                "no cell could be prepared ({} skipped; first: {})",
                skipped.len(),
                reasons.join("; ")
            ),
        ));
    }
    Ok((sequences, skipped, row))
}

/// A set prepared in memory (no dataset folder): its sequences and `samples`, `rows` x
/// `samples_per_frame` x 5 values (x, y, z, t, sdf in model units), row by row. Grids are
/// not made. Used to fit a code to observed masks.
pub struct PreparedSamples {
    pub sequences: Vec<SequenceMeta>,
    pub samples: Vec<f32>,
    pub samples_per_frame: usize,
}

/// Prepares `inputs` as [`prepare`] does, keeping the samples in memory.
pub fn prepare_samples(
    inputs: &[PathBuf],
    opts: &PrepareOptions,
    progress: &dyn Progress,
) -> Result<PreparedSamples> {
    let opts = PrepareOptions { grid: 0, ..*opts };
    opts.validate()?;
    let files = expand_inputs(inputs)?;
    let mut samples: Vec<f32> = Vec::new();
    let (sequences, _, _) = build_rows(&files, &opts, &mut samples, None, progress)?;
    Ok(PreparedSamples {
        sequences,
        samples,
        samples_per_frame: opts.samples_per_frame,
    })
}

/// Where a sequence goes in model space: its normalisation, and with frame centring the
/// shift (x, y, z) um of every frame's cell from the first frame's.
struct Placement {
    norm: Normalisation,
    offsets_um: Option<Vec<[f64; 3]>>,
}

/// Placement of a sequence. Sequence centring: without alignment, the centre and half-size
/// of the union bounding box of its voxels; with alignment, its principal axes and the box
/// of its voxels along them. Frame centring: each frame's voxels taken about the frame's own
/// centroid (axes from the pooled within-frame moments), so the box holds the largest frame
/// rather than the whole track. The scale leaves `margin` around the cell.
fn placement(
    source: &Source,
    seq: &PlannedSequence,
    align: Alignment,
    centring: Centring,
    margin: f64,
) -> Result<Placement> {
    let v = source.voxel_um;
    if centring == Centring::Frame {
        let centres: Vec<[f64; 3]> = seq
            .frames
            .iter()
            .map(|f| centroid_um(&f.moments, v).unwrap_or([0.0; 3]))
            .collect();
        let pooled = seq.frames.iter().fold(Moments::default(), |mut m, f| {
            m.merge(&f.moments.centred());
            m
        });
        let axes = match align {
            Alignment::None => None,
            Alignment::Sequence => principal_axes(&pooled, v).map(|(_, a)| a),
            Alignment::First => principal_axes(&seq.frames[0].moments, v).map(|(_, a)| a),
        };
        let r = axes.unwrap_or(IDENTITY);
        let (mid, half) = voxel_box(source, seq, &r, &centres)?;
        let first = centres[0];
        return Ok(Placement {
            norm: Normalisation {
                centre_um: [0, 1, 2]
                    .map(|a| first[a] + (0..3).map(|k| r[k][a] * mid[k]).sum::<f64>()),
                scale_um: half * (1.0 + margin),
                axes,
            },
            offsets_um: Some(
                centres
                    .iter()
                    .map(|c| [0, 1, 2].map(|a| c[a] - first[a]))
                    .collect(),
            ),
        });
    }
    let moments = match align {
        Alignment::None => None,
        Alignment::Sequence => Some(&seq.moments),
        Alignment::First => Some(&seq.frames[0].moments),
    };
    if let Some((centroid, axes)) = moments.and_then(|m| principal_axes(m, v)) {
        let (mid, half) = voxel_box(source, seq, &axes, &vec![centroid; seq.frames.len()])?;
        let centre =
            [0, 1, 2].map(|a| centroid[a] + (0..3).map(|k| axes[k][a] * mid[k]).sum::<f64>());
        return Ok(Placement {
            norm: Normalisation {
                centre_um: centre,
                scale_um: half * (1.0 + margin),
                axes: Some(axes),
            },
            offsets_um: None,
        });
    }
    // Box in um, (x, y, z); voxel k spans [k v, (k + 1) v].
    let size = [v.x, v.y, v.z];
    let lo = [seq.lo[2], seq.lo[1], seq.lo[0]];
    let hi = [seq.hi[2], seq.hi[1], seq.hi[0]];
    let a: [f64; 3] = [0, 1, 2].map(|k| lo[k] as f64 * size[k]);
    let b: [f64; 3] = [0, 1, 2].map(|k| (hi[k] + 1) as f64 * size[k]);
    let half = (0..3).map(|k| 0.5 * (b[k] - a[k])).fold(0.0, f64::max);
    Ok(Placement {
        norm: Normalisation::new(
            [0, 1, 2].map(|k| 0.5 * (a[k] + b[k])),
            half * (1.0 + margin),
        ),
        offsets_um: None,
    })
}

const IDENTITY: [[f64; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

/// The box of a sequence's voxels along `axes` (unit (x, y, z) vectors), each frame's voxels
/// taken about `centres[frame]` (x, y, z) um: the box's middle along each axis (um from the
/// centre) and its largest half-size (um), widened by half a voxel's projection.
fn voxel_box(
    source: &Source,
    seq: &PlannedSequence,
    axes: &[[f64; 3]; 3],
    centres: &[[f64; 3]],
) -> Result<([f64; 3], f64)> {
    let v = source.voxel_um;
    let size = [v.x, v.y, v.z];
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    let half_voxel: [f64; 3] =
        [0, 1, 2].map(|k| 0.5 * (0..3).map(|a| (axes[k][a] * size[a]).abs()).sum::<f64>());
    for (f, centre) in seq.frames.iter().zip(centres) {
        source.for_each_voxel(f.time_index, &f.labels, seq.lo, seq.hi, |z, y, x| {
            let p = [
                (x as f64 + 0.5) * v.x,
                (y as f64 + 0.5) * v.y,
                (z as f64 + 0.5) * v.z,
            ];
            for k in 0..3 {
                let d: f64 = (0..3).map(|a| axes[k][a] * (p[a] - centre[a])).sum();
                lo[k] = lo[k].min(d - half_voxel[k]);
                hi[k] = hi[k].max(d + half_voxel[k]);
            }
        })?;
    }
    let mid: [f64; 3] = [0, 1, 2].map(|k| 0.5 * (lo[k] + hi[k]));
    let half = (0..3).map(|k| 0.5 * (hi[k] - lo[k])).fold(0.0, f64::max);
    Ok((mid, half))
}

#[allow(clippy::too_many_arguments)]
fn prepare_sequence(
    source: &Source,
    seq: &PlannedSequence,
    norm: Normalisation,
    offsets_um: Option<&[[f64; 3]]>,
    opts: &PrepareOptions,
    first_row: usize,
    samples: &mut (dyn RowSink + 'static),
    grids: Option<&mut (dyn RowSink + 'static)>,
) -> Result<SequenceMeta> {
    let v = source.voxel_um;
    let size_zyx = v.zyx();
    let clamp_um = opts.clamp.map(|c| (c * norm.scale_um) as f32);
    let (t0, t1) = (
        seq.frames[0].time_index,
        seq.frames.last().unwrap().time_index,
    );
    let frames: Vec<FrameMeta> = seq
        .frames
        .iter()
        .enumerate()
        .map(|(k, f)| FrameMeta {
            planned: f.clone(),
            t: if t1 > t0 {
                -1.0 + 2.0 * (f.time_index - t0) as f64 / (t1 - t0) as f64
            } else {
                0.0
            },
            time_s: source
                .frame_interval_s
                .map(|dt| (f.time_index - t0) as f64 * dt),
            offset_um: offsets_um.map(|o| o[k]),
        })
        .collect();
    // Each frame's crop and model mapping (one for all frames unless centred per frame).
    let geometries = frames
        .iter()
        .map(|f| CropGeometry::around(f.normalisation(&norm), size_zyx, &seq.name, source.path()))
        .collect::<Result<Vec<_>>>()?;
    let mut grids = grids;
    let batch = 2 * rayon::current_num_threads().max(1);
    for chunk in frames.chunks(batch).enumerate() {
        let (c, chunk) = chunk;
        let results: Vec<Result<(Vec<f32>, Vec<f32>)>> = chunk
            .par_iter()
            .enumerate()
            .map(|(i, f)| {
                let row = first_row + c * batch + i;
                let geometry = &geometries[c * batch + i];
                let mask = source.crop_mask(
                    f.planned.time_index,
                    &f.planned.labels,
                    geometry.origin,
                    geometry.shape,
                )?;
                let mut sdf = signed_distance(mask.view(), size_zyx);
                if let Some(c) = clamp_um {
                    sdf.mapv_inplace(|d| d.min(c));
                }
                let g = if opts.grid > 0 {
                    geometry.grid(&sdf, opts.grid)
                } else {
                    Vec::new()
                };
                let mut rng = ChaCha8Rng::seed_from_u64(crate::seed::stream_seed(opts.seed, row));
                let s = geometry.samples(&sdf, f.t as f32, opts, &mut rng);
                Ok((g, s))
            })
            .collect();
        for r in results {
            let (g, s) = r?;
            samples.put(&s)?;
            if let Some(w) = grids.as_deref_mut() {
                w.put(&g)?;
            }
        }
    }
    Ok(SequenceMeta {
        name: seq.name.clone(),
        source: source.path().to_path_buf(),
        label: seq.label,
        voxel_um: v,
        frame_interval_s: source.frame_interval_s,
        normalisation: norm,
        first_row,
        frames,
    })
}

/// Largest crop prepared (voxels per frame); the SDF needs about 13 bytes per voxel.
const MAX_CROP_VOXELS: u64 = 1 << 30;

/// The (z, y, x) size of the crop from index `lo` to `hi` (inclusive), refused when its
/// voxel count exceeds [`MAX_CROP_VOXELS`] (a tiny voxel size or a huge cell) before
/// anything is allocated.
fn crop_shape(lo: [f64; 3], hi: [f64; 3], name: &str, path: &Path) -> Result<[usize; 3]> {
    let shape = [0, 1, 2].map(|a| hi[a] - lo[a] + 1.0);
    let voxels: f64 = shape.iter().product();
    match voxels {
        v if v.is_finite() && v <= MAX_CROP_VOXELS as f64 && lo.iter().all(|x| x.abs() < 1e15) => {
            Ok(shape.map(|n| n as usize))
        }
        _ => Err(Error::invalid(
            "voxel-um",
            format!(
                "{}: the crop around {name} would be {}x{}x{} voxels (more than 2^30); \
                 check the file's calibration or --voxel-um",
                path.display(),
                shape[2],
                shape[1],
                shape[0]
            ),
        )),
    }
}

/// How a crop of the source image relates to model coordinates.
struct CropGeometry {
    norm: Normalisation,
    /// Index of the crop's first voxel in the source image, (z, y, x).
    origin: [i64; 3],
    /// Voxels of the crop, (z, y, x).
    shape: [usize; 3],
    size_zyx: [f64; 3],
}

impl CropGeometry {
    /// The crop (z, y, x) covering the model cube of `norm` (rotated, when aligned) plus one
    /// voxel, in an image of voxel size `size_zyx` um; refused when too large.
    fn around(norm: Normalisation, size_zyx: [f64; 3], name: &str, path: &Path) -> Result<Self> {
        let centre_zyx = [norm.centre_um[2], norm.centre_um[1], norm.centre_um[0]];
        let half = norm.half_extent_um();
        let half_zyx = [half[2], half[1], half[0]];
        let index = |a: usize, um: f64| um / size_zyx[a] - 0.5;
        let lo: [f64; 3] = [0, 1, 2].map(|a| index(a, centre_zyx[a] - half_zyx[a]).floor() - 1.0);
        let hi: [f64; 3] = [0, 1, 2].map(|a| index(a, centre_zyx[a] + half_zyx[a]).ceil() + 1.0);
        let shape = crop_shape(lo, hi, name, path)?;
        Ok(CropGeometry {
            norm,
            origin: lo.map(|x| x as i64),
            shape,
            size_zyx,
        })
    }

    /// Fractional crop index (z, y, x) of a model point (x, y, z).
    fn index_of(&self, p_model: [f64; 3]) -> [f64; 3] {
        let um = self.norm.to_um(p_model);
        let zyx = [um[2], um[1], um[0]];
        [0, 1, 2].map(|a| zyx[a] / self.size_zyx[a] - 0.5 - self.origin[a] as f64)
    }

    /// Model point (x, y, z) of fractional crop index (z, y, x).
    fn model_of(&self, idx: [f64; 3]) -> [f64; 3] {
        let zyx: [f64; 3] =
            [0, 1, 2].map(|a| (idx[a] + self.origin[a] as f64 + 0.5) * self.size_zyx[a]);
        self.norm.to_model([zyx[2], zyx[1], zyx[0]])
    }

    /// SDF (model units) interpolated at the model point `p`.
    fn sdf_at(&self, sdf_um: &Array3<f32>, p: [f64; 3]) -> f32 {
        let [z, y, x] = self.index_of(p);
        trilinear(sdf_um.view(), z, y, x) / self.norm.scale_um as f32
    }

    /// The SDF at the nodes linspace(-1, 1, n) of each model axis, in (z, y, x) C order.
    fn grid(&self, sdf_um: &Array3<f32>, n: usize) -> Vec<f32> {
        let node = |k: usize| -1.0 + 2.0 * k as f64 / (n - 1) as f64;
        let mut out = Vec::with_capacity(n * n * n);
        for k in 0..n {
            for j in 0..n {
                for i in 0..n {
                    out.push(self.sdf_at(sdf_um, [node(i), node(j), node(k)]));
                }
            }
        }
        out
    }

    /// Samples (x, y, z, t, sdf) in model units: `near_fraction` at continuous positions
    /// jittered within near voxels (sdf <= band; with `near_surface_only` |sdf| <= band),
    /// the rest uniform over the cube where the SDF is not near.
    fn samples(
        &self,
        sdf_um: &Array3<f32>,
        t: f32,
        opts: &PrepareOptions,
        rng: &mut impl Rng,
    ) -> Vec<f32> {
        let scale = self.norm.scale_um as f32;
        let band_um = opts.band as f32 * scale;
        let is_near = |v: f32| v <= band_um && (!opts.near_surface_only || v >= -band_um);
        let near: Vec<[usize; 3]> = sdf_um
            .indexed_iter()
            .filter(|(_, &v)| is_near(v))
            .map(|((z, y, x), _)| [z, y, x])
            .filter(|&idx| {
                self.model_of(idx.map(|i| i as f64))
                    .iter()
                    .all(|c| c.abs() <= 1.0)
            })
            .collect();
        let count = opts.samples_per_frame;
        let n_near = if near.is_empty() {
            0
        } else {
            (count as f64 * opts.near_fraction).round() as usize
        };
        let mut out = Vec::with_capacity(count * 5);
        for i in 0..count {
            let p = if i < n_near {
                let idx = near[rng.random_range(0..near.len())];
                let jittered = idx.map(|k| k as f64 + rng.random::<f64>() - 0.5);
                self.model_of(jittered).map(|c| c.clamp(-1.0, 1.0))
            } else {
                let mut p = [0.0; 3];
                for _ in 0..1000 {
                    p = [0; 3].map(|_| rng.random_range(-1.0..1.0));
                    let v = self.sdf_at(sdf_um, p);
                    let band = opts.band as f32;
                    if v > band || (opts.near_surface_only && v < -band) {
                        break;
                    }
                }
                p
            };
            out.extend_from_slice(&[
                p[0] as f32,
                p[1] as f32,
                p[2] as f32,
                t,
                self.sdf_at(sdf_um, p),
            ]);
        }
        out
    }
}
