//! `cellsdf prepare`: label images to an SDF training set on disk, one source at a time
//! (only one source's frames are in memory), written into a temporary directory that replaces
//! the output only when complete.

use super::format::{DatasetMeta, FrameMeta, Normalisation, SequenceMeta, FORMAT, VERSION};
use super::plan::{plan, scan, PlanOptions, PlannedSequence};
use super::replace::{commit, inspect_target};
use super::source::Source;
use crate::error::{Error, Result};
use crate::io::NpyWriter;
use crate::progress::{check, Progress};
use crate::sdf::{signed_distance, trilinear};
use crate::units::VoxelSize;
use ndarray::Array3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Options of `prepare`. Defaults follow the paper: 70 % of the samples where sdf <= 0.1.
#[derive(Debug, Clone, PartialEq)]
pub struct PrepareOptions {
    /// N of the stored SDF grids (N^3 per frame); 0 stores none.
    pub grid: usize,
    pub samples_per_frame: usize,
    pub near_fraction: f64,
    /// Near-surface band in model units.
    pub band: f64,
    /// Room around each cell: it spans 1 / (1 + margin) of the model cube.
    pub margin: f64,
    /// Voxel size to use instead of (or where there is no) file calibration.
    pub voxel_um: Option<VoxelSize>,
    pub follow_divisions: bool,
    pub min_length: usize,
    pub keep_border: bool,
    pub seed: u64,
}

impl Default for PrepareOptions {
    fn default() -> Self {
        PrepareOptions {
            grid: 64,
            samples_per_frame: 16384,
            near_fraction: 0.7,
            band: 0.1,
            margin: 0.1,
            voxel_um: None,
            follow_divisions: false,
            min_length: 1,
            keep_border: false,
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
        if let Some(v) = self.voxel_um {
            v.validate("voxel-um")?;
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
            let mut tifs: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| Error::io(p, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| matches!(f.extension().and_then(|e| e.to_str()), Some("tif" | "tiff")))
                .collect();
            if tifs.is_empty() {
                return Err(Error::invalid(
                    "input",
                    format!(
                        "{} holds no .tif files and is not a CTC folder (no man_track.txt)",
                        p.display()
                    ),
                ));
            }
            tifs.sort();
            out.extend(tifs);
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
    let mut sequences = Vec::new();
    let mut skipped = Vec::new();
    let mut row = 0usize;
    let plan_opts = PlanOptions {
        follow_divisions: opts.follow_divisions,
        min_length: opts.min_length,
        keep_border: opts.keep_border,
    };
    for (k, file) in files.iter().enumerate() {
        let share = 1.0 / files.len() as f32;
        let base = k as f32 * share;
        let source = Source::open(file, opts.voxel_um)?;
        let scanned = scan(&source, progress, base, 0.2 * share)?;
        let planned = plan(&source, &scanned, &plan_opts, &mut skipped)?;
        for (q, seq) in planned.iter().enumerate() {
            let meta = prepare_sequence(&source, seq, opts, row, &mut samples, grids.as_mut())?;
            row += meta.frames.len();
            sequences.push(meta);
            let f = base + share * (0.2 + 0.8 * (q + 1) as f32 / planned.len() as f32);
            check(
                progress,
                f,
                &format!("{} ({}/{})", seq.name, q + 1, planned.len()),
            )?;
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
        margin: opts.margin,
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

/// Normalisation of a sequence from the union bounding box of its voxels.
fn normalisation(seq: &PlannedSequence, v: VoxelSize, margin: f64) -> Normalisation {
    // Box in um, (x, y, z); voxel k spans [k v, (k + 1) v].
    let size = [v.x, v.y, v.z];
    let lo = [seq.lo[2], seq.lo[1], seq.lo[0]];
    let hi = [seq.hi[2], seq.hi[1], seq.hi[0]];
    let a: [f64; 3] = [0, 1, 2].map(|k| lo[k] as f64 * size[k]);
    let b: [f64; 3] = [0, 1, 2].map(|k| (hi[k] + 1) as f64 * size[k]);
    let half = (0..3).map(|k| 0.5 * (b[k] - a[k])).fold(0.0, f64::max);
    Normalisation {
        centre_um: [0, 1, 2].map(|k| 0.5 * (a[k] + b[k])),
        scale_um: half * (1.0 + margin),
    }
}

fn prepare_sequence(
    source: &Source,
    seq: &PlannedSequence,
    opts: &PrepareOptions,
    first_row: usize,
    samples: &mut NpyWriter,
    grids: Option<&mut NpyWriter>,
) -> Result<SequenceMeta> {
    let v = source.voxel_um;
    let norm = normalisation(seq, v, opts.margin);
    // Crop (z, y, x) covering the model cube plus one voxel.
    let size_zyx = [v.z, v.y, v.x];
    let centre_zyx = [norm.centre_um[2], norm.centre_um[1], norm.centre_um[0]];
    let origin: [i64; 3] =
        [0, 1, 2].map(|a| ((centre_zyx[a] - norm.scale_um) / size_zyx[a] - 0.5).floor() as i64 - 1);
    let end: [i64; 3] =
        [0, 1, 2].map(|a| ((centre_zyx[a] + norm.scale_um) / size_zyx[a] - 0.5).ceil() as i64 + 1);
    let shape: [usize; 3] = [0, 1, 2].map(|a| (end[a] - origin[a] + 1) as usize);
    let (t0, t1) = (
        seq.frames[0].time_index,
        seq.frames.last().unwrap().time_index,
    );
    let frames: Vec<FrameMeta> = seq
        .frames
        .iter()
        .map(|f| FrameMeta {
            planned: f.clone(),
            t: if t1 > t0 {
                -1.0 + 2.0 * (f.time_index - t0) as f64 / (t1 - t0) as f64
            } else {
                0.0
            },
            time_s: source
                .frame_interval_s
                .map(|dt| (f.time_index - t0) as f64 * dt),
        })
        .collect();
    let geometry = CropGeometry {
        norm,
        origin,
        size_zyx,
    };
    let mut grids = grids;
    let batch = 2 * rayon::current_num_threads().max(1);
    for chunk in frames.chunks(batch).enumerate() {
        let (c, chunk) = chunk;
        let results: Vec<Result<(Vec<f32>, Vec<f32>)>> = chunk
            .par_iter()
            .enumerate()
            .map(|(i, f)| {
                let row = first_row + c * batch + i;
                let mask =
                    source.crop_mask(f.planned.time_index, &f.planned.labels, origin, shape)?;
                let sdf = signed_distance(mask.view(), size_zyx);
                let g = if opts.grid > 0 {
                    geometry.grid(&sdf, opts.grid)
                } else {
                    Vec::new()
                };
                let mut rng =
                    ChaCha8Rng::seed_from_u64(crate::phantom::sequence_seed(opts.seed, row));
                let s = geometry.samples(&sdf, f.t as f32, opts, &mut rng);
                Ok((g, s))
            })
            .collect();
        for r in results {
            let (g, s) = r?;
            samples.write(&s)?;
            if let Some(w) = grids.as_deref_mut() {
                w.write(&g)?;
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

/// How a crop of the source image relates to model coordinates.
struct CropGeometry {
    norm: Normalisation,
    /// Index of the crop's first voxel in the source image, (z, y, x).
    origin: [i64; 3],
    size_zyx: [f64; 3],
}

impl CropGeometry {
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
    /// jittered within voxels whose sdf <= band, the rest uniform over the cube where
    /// sdf > band.
    fn samples(
        &self,
        sdf_um: &Array3<f32>,
        t: f32,
        opts: &PrepareOptions,
        rng: &mut impl Rng,
    ) -> Vec<f32> {
        let scale = self.norm.scale_um as f32;
        let band_um = opts.band as f32 * scale;
        let near: Vec<[usize; 3]> = sdf_um
            .indexed_iter()
            .filter(|(_, &v)| v <= band_um)
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
                    if self.sdf_at(sdf_um, p) > opts.band as f32 {
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
