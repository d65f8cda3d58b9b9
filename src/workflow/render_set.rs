//! Rendering sets of sequences into an output folder, as `cellsdf synth`, `reconstruct`
//! and `interpolate` (and through the C API both plugins) do: one uint8 mask hyperstack per
//! sequence (optionally the float32 SDF in um beside it) and a `manifest.json`
//! (`cellsdf-synthesis` v1) recording each sequence's code, seed, grid, voxel size (um),
//! frame interval (s) and scale.

use crate::error::{Error, Result};
use crate::io::OutputDir;
use crate::model::Model;
use crate::progress::Progress;
use crate::synth::Evaluation;
use crate::synth::{
    draw_codes_from, interpolate_codes, sequence_scale, times, training_scale_and_interval,
    write_sequence, CodeSource, SequenceFormat, SynthOptions, SynthRecord,
};

/// Which sequences to render.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RenderRequest {
    /// `count` new sequences with codes drawn by `codes`, numbered from `first`; sequence
    /// k's stream is seeded by (seed, k), so a part of a series (one task of a cluster)
    /// equals the same sequences of the whole. Files `synth_NNN.tif` (NNN = k).
    Synthesize {
        codes: CodeSource,
        count: usize,
        seed: u64,
        first: usize,
    },
    /// Training sequence `sequence` as learned (its code, rotation and scale). File
    /// `reconstruct_NNN.tif`.
    Reconstruct { sequence: usize },
    /// `steps` codes on the line from sequence `from`'s code to `to`'s, endpoints included,
    /// at the training data's mean scale. Files `morph_NNN.tif`.
    Interpolate {
        from: usize,
        to: usize,
        steps: usize,
    },
}

impl RenderRequest {
    /// Sequences the request renders.
    pub fn len(&self) -> usize {
        match *self {
            RenderRequest::Synthesize { count, .. } => count,
            RenderRequest::Reconstruct { .. } => 1,
            RenderRequest::Interpolate { steps, .. } => steps,
        }
    }

    /// True when the request renders nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// File stem of sequence `k` (`None` when `k` is not below [`Self::len`]): `synth_NNN`,
    /// `reconstruct_NNN` (the training sequence's number) or `morph_NNN`. Masks are
    /// `<stem>.tif`, SDFs `<stem>_sdf.tif`.
    pub fn stem(&self, k: usize) -> Option<String> {
        (k < self.len()).then(|| match *self {
            RenderRequest::Synthesize { first, .. } => format!("synth_{:03}", first + k),
            RenderRequest::Reconstruct { sequence } => format!("reconstruct_{sequence:03}"),
            RenderRequest::Interpolate { .. } => format!("morph_{k:03}"),
        })
    }
}

/// One sequence to render.
#[derive(Debug)]
pub struct RenderJob {
    /// File stem.
    pub name: String,
    pub code: Vec<f32>,
    /// Learned rotation (Euler angles, radians) applied to the coordinates, if the model
    /// has them.
    pub rotation: Option<[f32; 3]>,
    /// Training sequence the code comes from or was drawn around.
    pub around: Option<usize>,
    /// Seed of a drawn code.
    pub seed: Option<u64>,
    /// Micrometres per model unit.
    pub scale_um: f64,
}

/// The jobs of `request` for `model`; drawing new cells' sizes (a few renders per new
/// code) reports its stage to `progress` at fraction 0, and can be cancelled there.
pub fn render_jobs(
    model: &Model,
    request: RenderRequest,
    progress: &dyn Progress,
) -> Result<Vec<RenderJob>> {
    let (mean_scale, _) = training_scale_and_interval(model, 2);
    Ok(match request {
        RenderRequest::Synthesize {
            codes,
            count,
            seed,
            first,
        } => {
            if count == 0 || count > 100_000 {
                return Err(Error::invalid("count", "must be 1 to 100000"));
            }
            if first > 1_000_000_000 {
                return Err(Error::invalid("first", "must be at most 1000000000"));
            }
            // Sizing is reported as its own stage at fraction 0, so that the bar does not
            // run twice when rendering follows.
            let sizing = |_: f32, stage: &str| progress.report(0.0, stage);
            draw_codes_from(model, codes, first, count, seed, &sizing)?
                .into_iter()
                .enumerate()
                .map(|(k, d)| RenderJob {
                    name: request.stem(k).unwrap_or_default(),
                    code: d.values,
                    rotation: d.around.and_then(|i| model.rotation(i)),
                    around: d.around,
                    seed: Some(d.seed),
                    scale_um: d.scale_um,
                })
                .collect()
        }
        RenderRequest::Reconstruct { sequence } => {
            let code = model.code(sequence)?;
            let scale_um = sequence_scale(model, sequence);
            vec![RenderJob {
                name: request.stem(0).unwrap_or_default(),
                code,
                rotation: model.rotation(sequence),
                around: Some(sequence),
                seed: None,
                scale_um,
            }]
        }
        RenderRequest::Interpolate { from, to, steps } => {
            interpolate_codes(model, from, to, steps)?
                .into_iter()
                .enumerate()
                .map(|(k, code)| RenderJob {
                    name: request.stem(k).unwrap_or_default(),
                    code,
                    rotation: None,
                    around: None,
                    seed: None,
                    scale_um: mean_scale,
                })
                .collect()
        }
    })
}

/// What [`render_to_folder`] wrote.
#[derive(Debug, Clone)]
pub struct RenderSummary {
    pub records: Vec<SynthRecord>,
    pub frames: usize,
}

impl RenderSummary {
    /// (points evaluated, voxels rendered, seconds) over all sequences.
    pub fn totals(&self) -> (u64, u64, f64) {
        self.records.iter().fold((0, 0, 0.0), |a, r| {
            (a.0 + r.points_evaluated, a.1 + r.voxels, a.2 + r.seconds)
        })
    }
}

/// Renders `jobs` of `model` with `opts` into `out` (names claimed before any work) and
/// writes `manifest.json`, recording `model_label` (the model argument as the user gave it).
/// The frame interval is the training sequences' mean duration spread over the frames.
pub fn render_to_folder(
    model: &Model,
    model_label: &str,
    jobs: Vec<RenderJob>,
    opts: &SynthOptions,
    out: &mut OutputDir,
    progress: &dyn Progress,
) -> Result<RenderSummary> {
    let mut names: Vec<String> = vec!["manifest.json".into()];
    if opts.write_sdf && opts.format == SequenceFormat::OmeZarr {
        return Err(Error::invalid(
            "sdf",
            "the SDF is written as TIFF only: leave out --sdf with --format ome-zarr",
        ));
    }
    for job in &jobs {
        names.push(opts.format.file_name(&job.name));
        if opts.write_sdf {
            names.push(format!("{}_sdf.tif", job.name));
        }
    }
    // Every grid is checked before anything is claimed or rendered.
    let grids = jobs
        .iter()
        .map(|j| opts.grid(j.scale_um))
        .collect::<Result<Vec<_>>>()?;
    out.claim(&names)?;
    let (_, interval) = training_scale_and_interval(model, opts.frames);
    let mut written: Vec<std::path::PathBuf> = Vec::new();
    let rendered = render_all(
        model,
        jobs,
        grids,
        opts,
        interval,
        out,
        &mut written,
        progress,
    );
    let records = match rendered {
        Ok(r) => r,
        Err(e) => {
            // A cancelled or failed run leaves no part of its set behind: the files and
            // stores it wrote (itself, in this run) go; OutputDir then un-claims the names.
            for p in &written {
                if p.is_dir() {
                    if crate::io::is_cellsdf_store(p) {
                        let _ = std::fs::remove_dir_all(p);
                    }
                } else {
                    let _ = std::fs::remove_file(p);
                }
            }
            return Err(e);
        }
    };
    let manifest = serde_json::json!({
        "format": "cellsdf-synthesis",
        "version": 1,
        "model": model_label,
        "evaluation": if matches!(opts.mode, Evaluation::Dense) { "dense" } else { "adaptive" },
        "sequences": records,
    });
    let bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| {
        Error::format(
            out.path("manifest.json"),
            format!("cannot encode the manifest: {e}"),
        )
    })?;
    out.write_bytes("manifest.json", &bytes)?;
    Ok(RenderSummary {
        records,
        frames: opts.frames,
    })
}

/// Renders every job in turn; `written` collects each file as it appears.
#[allow(clippy::too_many_arguments)]
fn render_all(
    model: &Model,
    jobs: Vec<RenderJob>,
    grids: Vec<crate::synth::RenderGrid>,
    opts: &SynthOptions,
    interval: Option<f64>,
    out: &OutputDir,
    written: &mut Vec<std::path::PathBuf>,
    progress: &dyn Progress,
) -> Result<Vec<SynthRecord>> {
    let mut records = Vec::new();
    let n = jobs.len();
    let times = times(opts.frames);
    for (k, (job, grid)) in jobs.into_iter().zip(grids).enumerate() {
        let mask_file = opts.format.file_name(&job.name);
        let sdf_file = opts.write_sdf.then(|| format!("{}_sdf.tif", job.name));
        let name = &job.name;
        let part = |f: f32, stage: &str| {
            progress.report((k as f32 + f) / n as f32, &format!("{name}: {stage}"))
        };
        let tube_model = model.meta.tubes.as_ref().filter(|_| opts.tubes);
        let tube_seed = crate::filopodia::tube_seed(
            job.seed
                .or(job.around.map(|i| i as u64))
                .unwrap_or(k as u64),
        );
        let tubes = tube_model.map(|t| (t, crate::filopodia::draw_tubes(t, tube_seed)));
        let (points, seconds) = write_sequence(
            model,
            &job.code,
            job.rotation,
            &grid,
            &times,
            interval,
            opts.mode,
            &out.path(&mask_file),
            opts.zarr,
            sdf_file.as_ref().map(|f| out.path(f)).as_deref(),
            tubes.as_ref().map(|(t, drawn)| (*t, drawn.as_slice())),
            written,
            &part,
        )?;
        records.push(SynthRecord {
            file: mask_file,
            sdf_file,
            code: job.code,
            around_sequence: job.around,
            seed: job.seed,
            frames: opts.frames,
            size_xyz: grid.size_xyz,
            voxel_um: grid.voxel_um,
            frame_interval_s: interval,
            scale_um: job.scale_um,
            points_evaluated: points,
            voxels: grid.size_xyz.iter().map(|&v| v as u64).product::<u64>() * opts.frames as u64,
            seconds,
            filopodia_tubes: tubes.as_ref().map(|(_, drawn)| drawn.len()),
        });
    }
    Ok(records)
}
