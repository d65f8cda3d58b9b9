//! Benchmark datasets: microscope-like 3D+t images of several cells synthesized by a model,
//! with exact ground truth, in the Cell Tracking Challenge layout (`cellsdf simulate`).
//!
//! Flow: new codes (a model's sampler) -> each cell's sequence rendered in a box of its own
//! (engine, adaptive) -> lineage (a division ends the mother and begins two daughters) ->
//! placement in the field (random start, constant drift, no shared voxel) -> per frame:
//! labels and the noise-free object (texture, bleaching, background) -> PSF blur (FFT) ->
//! shot and read noise, gain, offset, uint16 -> CTC files (and, with `projection`, their
//! maximum projections along z as a 2D+t CTC dataset in `projection/`), manifest.json and
//! preview.png (the middle frame, raw beside the ground truth's outlines). Frames of the
//! field are made and written one at a time; the cells' box masks (one byte per voxel and
//! frame) are what stays in memory. Units: um, s, nm; arrays [z, y, x].

mod calibrated;
mod contrast;
mod ctc;
pub mod image;
pub mod optics;
mod phantoms;
pub mod preview;
mod projection;
mod scene;
mod sink;

pub use image::{photons_for_snr, region_stats, Camera, Stain};
pub use optics::{blur, Microscope, Optics, FWHM_PER_SIGMA};
pub use phantoms::phantom_files;
pub use scene::Track;

use crate::error::{Error, Result};
use crate::model::Model;
use crate::progress::{check, Progress};
use crate::synth::{
    draw_codes_from, times, training_scale_and_interval, CodeSource, Evaluation, RenderGrid,
    Renderer,
};
use crate::units::{Calibration, VoxelSize};
use ndarray::Array3;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulateOptions {
    /// Cells in the field at the first frame.
    pub cells: usize,
    pub frames: usize,
    /// Field size (x, y, z) in voxels.
    pub size_xyz: [usize; 3],
    pub voxel_um: VoxelSize,
    /// Seconds between frames (None: the model's, its training duration spread over the
    /// frames).
    pub interval_s: Option<f64>,
    pub optics: Optics,
    /// Signal-to-noise ratio of the first frame as the CTC defines it.
    pub snr: f64,
    /// Noise-free cell / background intensity ratio (before blur).
    pub contrast: f64,
    /// Contrast ratio of the first frame as the CTC defines it (mean foreground / mean
    /// background of the camera image); when set, `contrast` is solved for it.
    pub contrast_ratio: Option<f64>,
    /// Fraction of the signal lost per frame to photobleaching (exp(-rate t)).
    pub bleach_per_frame: f64,
    /// Largest drift of a cell, um per frame on each axis.
    pub drift_um: f64,
    /// Grain size of the cells' texture (um) and its relative amplitude.
    pub texture_um: f64,
    pub texture_amplitude: f64,
    /// The texture as `calibrate` measures it on the blurred image (relative amplitude,
    /// correlation length um); when set, the grain and amplitude are solved for it on the
    /// first frame instead.
    pub texture_measured: Option<(f64, f64)>,
    /// Uniform or with a bright rim (membrane stains).
    pub stain: Stain,
    /// Also write the 2D+t maximum projections along z (`projection/01`, `projection/01_GT`);
    /// cells are then placed so that no two share an x-y column.
    pub projection: bool,
    /// The CTC layout of TIFFs, or an OME-Zarr store `01.ome.zarr` (raw image with the
    /// ground truth as labels) with `01_man_track.txt`.
    pub format: crate::synth::SequenceFormat,
    /// Chunks and pyramid of OME-Zarr output.
    pub zarr: crate::io::OmeZarrLayout,
    /// Relative amplitude of the background's slow variation.
    pub background_variation: f64,
    /// Let the field's border cut cells (as in most real stacks: nuclei cut by the first
    /// and last slice); cells whose box does not fit the field are cut in any case.
    pub border_cells: bool,
    /// Mean of the first frame's unlabelled voxels (ADU) on `camera`; when set, the photon
    /// scale comes from it (and `snr` is what the camera then gives) instead of `snr`.
    pub background_adu: Option<f64>,
    /// Gaussian PSF standard deviations (lateral, axial) in um, measured (`calibrate`);
    /// None: from `optics`.
    pub psf_sigma_um: Option<(f64, f64)>,
    /// Spread of the cells' brightness: standard deviation of its logarithm (a lognormal
    /// of mean 1); None: uniform in 0.8 to 1.2.
    pub brightness_log_sd: Option<f64>,
    /// The cells' signal falls as exp(-attenuation z) with depth z (um from the first
    /// slice), per um.
    pub attenuation_per_um: f64,
    pub camera: Camera,
    pub codes: CodeSource,
    pub seed: u64,
}

impl Default for SimulateOptions {
    fn default() -> Self {
        SimulateOptions {
            cells: 3,
            frames: 20,
            size_xyz: [128, 128, 48],
            voxel_um: VoxelSize {
                x: 0.2,
                y: 0.2,
                z: 0.4,
            },
            interval_s: None,
            optics: Optics {
                microscope: Microscope::Widefield,
                na: 1.2,
                wavelength_nm: 520.0,
                refractive_index: 1.33,
            },
            snr: 10.0,
            contrast: 3.0,
            contrast_ratio: None,
            bleach_per_frame: 0.01,
            drift_um: 0.05,
            texture_um: 0.3,
            texture_amplitude: 0.25,
            texture_measured: None,
            stain: Stain::default(),
            projection: false,
            format: crate::synth::SequenceFormat::Tiff,
            zarr: crate::io::OmeZarrLayout::default(),
            background_variation: 0.03,
            background_adu: None,
            border_cells: false,
            psf_sigma_um: None,
            brightness_log_sd: None,
            attenuation_per_um: 0.0,
            camera: Camera::default(),
            codes: CodeSource::default(),
            seed: 0,
        }
    }
}

impl SimulateOptions {
    pub fn validate(&self) -> Result<()> {
        self.optics.validate()?;
        self.voxel_um.validate("voxel-um")?;
        if self.cells == 0 || self.cells > 10_000 {
            return Err(Error::invalid("cells", "must be 1 to 10000"));
        }
        if self.frames == 0 || self.frames > 100_000 {
            return Err(Error::invalid("frames", "must be 1 to 100000"));
        }
        if self.size_xyz.iter().any(|n| !(1..=8192).contains(n)) {
            return Err(Error::invalid("size", "each size must be 1 to 8192 voxels"));
        }
        for (name, v) in [("snr", self.snr), ("contrast", self.contrast)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::invalid(
                    name,
                    format!("is {v}, must be a positive number"),
                ));
            }
        }
        for (name, v, lo) in [
            ("bleach", self.bleach_per_frame, -1e-12),
            ("drift-um", self.drift_um, -1e-12),
            ("texture-um", self.texture_um, -1e-12),
            ("rim-um", self.stain.rim_um, -1e-12),
            ("rim-gain", self.stain.rim_gain, -1e-12),
            ("texture-amplitude", self.texture_amplitude, -1e-12),
            ("background-variation", self.background_variation, -1e-12),
            (
                "brightness-log-sd",
                self.brightness_log_sd.unwrap_or(0.0),
                -1e-12,
            ),
            ("attenuation-per-um", self.attenuation_per_um, -10.0),
            (
                "psf-sigma-um",
                self.psf_sigma_um.map_or(0.0, |p| p.0.min(p.1)),
                -1e-12,
            ),
        ] {
            if !(v.is_finite() && v > lo) {
                return Err(Error::invalid(name, "must be a positive number (or 0)"));
            }
        }
        let c = &self.camera;
        for (name, v) in [
            ("gain", c.gain),
            ("offset", c.offset),
            ("read-noise", c.read_noise),
            ("background-adu", self.background_adu.unwrap_or(1.0)),
        ] {
            if !(0.0..1e12).contains(&v) || (name == "gain" && v == 0.0) {
                return Err(Error::invalid(
                    name,
                    format!("is {v}: must be a finite number >= 0 (the gain above 0)"),
                ));
            }
        }
        if self.background_variation > 1.0 || self.attenuation_per_um.abs() > 10.0 {
            return Err(Error::invalid(
                "background-variation",
                "must be at most 1, and the attenuation within +-10 per um",
            ));
        }
        if let Some(k) = self.contrast_ratio {
            if !(k.is_finite() && k > 1.0) {
                return Err(Error::invalid(
                    "contrast-ratio",
                    "must be above 1 (cells brighter than the background)",
                ));
            }
        }
        if let Some(dt) = self.interval_s {
            if !(dt.is_finite() && dt > 0.0) {
                return Err(Error::invalid("interval-s", "must be positive"));
            }
        }
        Ok(())
    }
}

/// What one frame came out as.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FrameStats {
    /// Measured on the written uint16 image with the ground truth, as the CTC defines them:
    /// SNR = |mean fg - mean bg| / sd bg, CR = mean fg / mean bg.
    pub snr: f64,
    pub contrast_ratio: f64,
    pub cells: usize,
}

/// What [`simulate`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Simulation {
    pub tracks: Vec<Track>,
    pub frames: Vec<FrameStats>,
    /// Gaussian PSF standard deviations (lateral, axial) and FWHMs in um.
    pub psf_sigma_um: (f64, f64),
    pub psf_fwhm_um: (f64, f64),
    pub photons_per_unit: f64,
    /// The cells' noise-free brightness over the background (requested, or solved for the
    /// requested contrast ratio).
    pub contrast: f64,
    /// The texture's grain (um) and relative amplitude before the blur (as given, or solved
    /// for `texture_measured`).
    pub texture_um: f64,
    pub texture_amplitude: f64,
    pub frame_interval_s: Option<f64>,
    /// Voxels of each cell in each frame (cell, frame), for checks.
    #[serde(skip)]
    pub cell_voxels: Vec<Vec<usize>>,
}

/// Bytes per field voxel the frames need at their peak: background, object and blurred
/// cells (f32 each), labels and raw (u16), and for the first frame's brightness and texture
/// solves a second object, its distances (f64) and labels (u32).
const FIELD_BYTES_PER_VOXEL: u64 = 40;

/// Refuses a field whose frames would not fit the memory this process can allocate
/// (available memory, address-space and cgroup limits), before anything is made.
fn check_field_memory(opts: &SimulateOptions) -> Result<()> {
    let voxels = opts.size_xyz.iter().map(|&n| n as u64).product::<u64>();
    let need = voxels.saturating_mul(FIELD_BYTES_PER_VOXEL);
    if let Some(have) = crate::io::available_memory() {
        if need > have {
            return Err(Error::out_of_memory(format!(
                "a field of {:?} voxels: its frames need about {} MB, more than the {} MB \
                 this process can allocate: use a smaller --size or a larger --voxel-um",
                opts.size_xyz,
                need >> 20,
                have >> 20
            )));
        }
    }
    Ok(())
}

/// Fewest voxels a cell may have in any frame of its sequence.
const MIN_CELL_VOXELS: usize = 8;

/// Largest memory for the cells' box masks (bytes).
const MAX_CELL_BYTES: u64 = 8 << 30;

/// Where the cells of a simulation come from.
#[derive(Debug, Clone, Copy)]
pub enum Cells<'a> {
    /// New codes drawn by the model's sampler (`SimulateOptions::codes`).
    Model(&'a Model),
    /// Calibrated label sequences on disk (phantoms), one cell per file; cell k is file
    /// k mod n, resampled to the field's voxels and frames.
    Files(&'a [PathBuf]),
}

/// Simulates a dataset of `opts` from `model` into the folder `dataset` (CTC layout plus
/// manifest.json). Existing files cellsdf did not write are kept unless `overwrite`;
/// cancelling or failing removes what this run wrote.
pub fn simulate(
    model: &Model,
    opts: &SimulateOptions,
    dataset: &Path,
    overwrite: bool,
    progress: &dyn Progress,
) -> Result<Simulation> {
    simulate_cells(Cells::Model(model), opts, dataset, overwrite, progress)
}

/// [`simulate`] with the cells from `cells`. The scene (every cell's masks, lineage and
/// placement) is made before any file is opened, so a scene that cannot be made writes
/// nothing.
pub fn simulate_cells(
    cells: Cells,
    opts: &SimulateOptions,
    dataset: &Path,
    overwrite: bool,
    progress: &dyn Progress,
) -> Result<Simulation> {
    opts.validate()?;
    check_field_memory(opts)?;
    // One run at a time into this folder, from before the scene is made (minutes) to the
    // last file; a failed run's folder goes when it created it and left it empty.
    let _lock = crate::io::FolderLock::acquire(dataset, "simulate")?;
    let [fx, fy, fz] = opts.size_xyz;
    let field = [fz, fy, fx];
    let v = opts.voxel_um;
    let scene = make_scene(cells, opts, field, progress)?;
    let interval = opts.interval_s.or(scene.interval_s);
    let calibration = Calibration {
        voxel_um: Some(v),
        frame_interval_s: interval,
    };
    // Folders this run creates go when it fails (only if empty: remove_dir).
    let mut roots = vec![dataset.to_path_buf(), dataset.join("01_GT")];
    if opts.projection {
        let p = dataset.join("projection");
        roots.extend([p.clone(), p.join("01_GT")]);
    }
    let created: Vec<PathBuf> = roots.into_iter().filter(|p| !p.exists()).collect();
    let tidy = || {
        for p in created.iter().rev() {
            let _ = std::fs::remove_dir(p);
        }
    };
    let opened = sink::Sink::create(
        dataset,
        (opts.format, opts.zarr),
        opts.frames,
        field,
        calibration,
        overwrite,
    )
    .and_then(|writer| {
        let projected = if opts.projection {
            Some(sink::Sink::create(
                &dataset.join("projection"),
                (opts.format, opts.zarr),
                opts.frames,
                [1, fy, fx],
                calibration,
                overwrite,
            )?)
        } else {
            None
        };
        let mut manifest_dir = crate::io::OutputDir::create(dataset, "simulate", overwrite)?;
        manifest_dir.claim(&["manifest.json", "preview.png"])?;
        Ok((writer, projected, manifest_dir))
    });
    let (mut writer, mut projected, mut manifest_dir) = match opened {
        Ok(w) => w,
        Err(e) => {
            tidy();
            return Err(e);
        }
    };
    let source = scene.source.clone();
    let result = run(
        scene,
        opts,
        field,
        interval,
        (&mut writer, projected.as_mut()),
        progress,
    )
    .and_then(|(sim, png)| {
        let p = manifest_dir.write_bytes("preview.png", &png)?;
        writer.written().push(p);
        let manifest = serde_json::json!({
            "format": "cellsdf-simulation",
            "version": 1,
            "layout": match opts.format {
                crate::synth::SequenceFormat::Tiff => "Cell Tracking Challenge: 01/tNNN.tif, 01_GT/SEG/man_segNNN.tif, 01_GT/TRA/man_trackNNN.tif, 01_GT/TRA/man_track.txt; frames from 0",
                crate::synth::SequenceFormat::OmeZarr => "OME-Zarr (NGFF 0.5): 01.ome.zarr (raw, labels/ground_truth), 01_man_track.txt (L B E P); frames from 0",
            },
            "projection": opts.projection.then_some("the same layout under projection/: maximum projections along z (one slice per file)"),
            "options": opts,
            "cells": source,
            "result": sim,
        });
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| Error::invalid("manifest", e.to_string()))?;
        let p = manifest_dir.write_bytes("manifest.json", text.as_bytes())?;
        writer.written().push(p);
        Ok(sim)
    });
    match result {
        Ok(sim) => {
            writer.finish();
            if let Some(p) = projected {
                p.finish();
            }
            manifest_dir.keep_claims();
            Ok(sim)
        }
        Err(e) => {
            // The manifest's claims go first: with OME-Zarr output the sink's claims share
            // the dataset folder's index, which the sink created and removes last.
            drop(manifest_dir);
            writer.abandon();
            if let Some(p) = projected {
                p.abandon();
            }
            tidy();
            Err(e)
        }
    }
}

/// The cells of a simulation, placed: what [`run`] draws frame by frame.
struct Scene {
    cells: Vec<scene::Cell>,
    /// The placement's random stream, continued by the textures and background.
    rng: ChaCha8Rng,
    /// Seconds between frames the cells' source implies.
    interval_s: Option<f64>,
    /// What the cells came from, for the manifest.
    source: serde_json::Value,
}

/// Cell k's box masks over the frames and a description of where it came from.
type CellMasks<'a> = dyn FnMut(usize) -> Result<(Vec<Array3<u8>>, String)> + 'a;

/// Makes every cell's box masks over the frames (rendered by the model, or resampled from
/// files), their lineage, and places them in the field (progress 0 to 0.5).
fn make_scene(
    source: Cells,
    opts: &SimulateOptions,
    field: [usize; 3],
    progress: &dyn Progress,
) -> Result<Scene> {
    let v = opts.voxel_um;
    let frame_times = times(opts.frames);
    let n = opts.cells;
    let mut masks_of: Box<CellMasks>;
    let (interval_s, described) = match source {
        Cells::Model(model) => {
            // Sizing new cells is its own stage at fraction 0 (rendering below reports 0 to 0.5).
            let sizing = |_: f32, stage: &str| progress.report(0.0, stage);
            let drawn = draw_codes_from(model, opts.codes, 0, n, opts.seed, &sizing)?;
            // Memory of the cells' box masks, checked before any is rendered.
            let box_of = |scale_um: f64| {
                let side = |h: f64| (2.2 * scale_um / h).ceil() as usize;
                [side(v.z), side(v.y), side(v.x)]
            };
            let bytes: u64 = drawn
                .iter()
                .map(|d| {
                    box_of(d.scale_um)
                        .iter()
                        .map(|&n| n as u64)
                        .product::<u64>()
                })
                .sum::<u64>()
                .saturating_mul(opts.frames as u64);
            if bytes > MAX_CELL_BYTES {
                return Err(Error::out_of_memory(format!(
                    "{bytes} bytes of cell masks ({} cells x {} frames): use fewer cells or \
                     frames, or a larger --voxel-um",
                    opts.cells, opts.frames
                )));
            }
            let interval = training_scale_and_interval(model, opts.frames).1;
            let config = serde_json::to_value(&model.meta.config).unwrap_or_default();
            masks_of = Box::new(move |k| {
                let d = &drawn[k];
                let dims = box_of(d.scale_um);
                let grid = RenderGrid::centred([dims[2], dims[1], dims[0]], v, d.scale_um);
                let rotation = d.around.and_then(|i| model.rotation(i));
                let mut r = Renderer::new(model, &d.values, rotation)?;
                let mut masks = Vec::with_capacity(frame_times.len());
                for (i, &t) in frame_times.iter().enumerate() {
                    masks.push(
                        r.frame(&grid, t, Evaluation::adaptive())?
                            .mapv(|s| (s <= 0.0) as u8),
                    );
                    check(
                        progress,
                        0.5 / n as f32 * (k as f32 + (i + 1) as f32 / frame_times.len() as f32),
                        &format!("cell {}/{n}: frame {}/{}", k + 1, i + 1, frame_times.len()),
                    )?;
                }
                Ok((masks, format!("new cell {} (code seed {})", k + 1, d.seed)))
            });
            (interval, serde_json::json!({ "model": config }))
        }
        Cells::Files(files) => {
            if files.is_empty() {
                return Err(Error::invalid("phantoms", "no label files given"));
            }
            let frames = opts.frames;
            let first = phantoms::load_cell(&files[0], frames, v)?;
            // The first file's duration spread over the frames.
            let interval = first.frame_interval_s.map(|dt| {
                if frames > 1 {
                    dt * (first.source_frames - 1) as f64 / (frames - 1) as f64
                } else {
                    dt
                }
            });
            let mut first = Some(first.masks);
            masks_of = Box::new(move |k| {
                let f = &files[k % files.len()];
                let masks = match first.take() {
                    Some(m) if k == 0 => m,
                    _ => phantoms::load_cell(f, frames, v)?.masks,
                };
                check(
                    progress,
                    0.5 * (k + 1) as f32 / n as f32,
                    &format!("cell {}/{n}: {}", k + 1, f.display()),
                )?;
                Ok((masks, format!("cell {} ({})", k + 1, f.display())))
            });
            let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            (interval, serde_json::json!({ "phantoms": names }))
        }
    };
    let mut rng = ChaCha8Rng::seed_from_u64(crate::seed::stream_seed(opts.seed, 0x51));
    let mut cells: Vec<scene::Cell> = Vec::with_capacity(n);
    let mut next_label = 1u32;
    let mut bytes = 0u64;
    for k in 0..n {
        let (masks, what) = masks_of(k)?;
        bytes += masks.iter().map(|m| m.len() as u64).sum::<u64>();
        if bytes > MAX_CELL_BYTES {
            return Err(Error::out_of_memory(format!(
                "more than {MAX_CELL_BYTES} bytes of cell masks: use fewer cells or frames, or \
                 a larger --voxel-um"
            )));
        }
        let (slots, division) = scene::lineage(&masks);
        let slots = scene::crop(slots)
            .ok_or_else(|| Error::invalid("cells", format!("{what} is empty in every frame")))?;
        // A cell of a few voxels is no ground truth: refuse rather than let it vanish.
        if let Some((t, n)) = slots
            .iter()
            .map(|s| s.iter().filter(|&&v| v != 0).count())
            .enumerate()
            .find(|&(_, n)| n < MIN_CELL_VOXELS)
        {
            return Err(Error::invalid(
                "voxel-um",
                format!(
                    "{what} covers {n} voxels in frame {t} at {} x {} x {} um: cells need at \
                     least {MIN_CELL_VOXELS}; use a smaller --voxel-um",
                    v.x, v.y, v.z
                ),
            ));
        }
        let labels = if division.is_some() {
            [next_label, next_label + 1, next_label + 2]
        } else {
            [next_label, 0, 0]
        };
        next_label += if division.is_some() { 3 } else { 1 };
        let mut cell = scene::Cell {
            slots,
            labels,
            position: Vec::new(),
        };
        let drift = v.zyx().map(|h| opts.drift_um / h);
        scene::place(
            &mut cell,
            &cells,
            field,
            (drift, opts.border_cells),
            opts.projection,
            &mut rng,
        )?;
        cells.push(cell);
    }
    if next_label > u16::MAX as u32 {
        return Err(Error::invalid(
            "cells",
            "more than 65535 tracks do not fit uint16 labels",
        ));
    }
    Ok(Scene {
        cells,
        rng,
        interval_s,
        source: described,
    })
}

/// Draws and writes the frames of `scene` (progress 0.5 to 1).
fn run(
    scene: Scene,
    opts: &SimulateOptions,
    field: [usize; 3],
    interval: Option<f64>,
    (writer, mut projected): (&mut sink::Sink, Option<&mut sink::Sink>),
    progress: &dyn Progress,
) -> Result<(Simulation, Vec<u8>)> {
    let v = opts.voxel_um;
    let Scene { cells, mut rng, .. } = scene;
    let tracks = scene::tracks(&cells, field);
    let psf = opts.psf_sigma_um.unwrap_or_else(|| opts.optics.sigma_um());
    let depth = image::depth_gain(field[0], v.z, opts.attenuation_per_um);
    let (grain, amplitude) = match opts.texture_measured {
        None => (opts.texture_um, opts.texture_amplitude),
        Some(target) => {
            calibrated::solve_texture(&cells, (&depth, opts.stain, v), field, psf, target, &rng)
        }
    };
    let textures: Vec<_> = cells
        .iter()
        .map(|c| image::texture(c.dims(), v, grain, amplitude as f32, &mut rng))
        .collect();
    let units = image::brightness_units(cells.len(), opts.brightness_log_sd, &mut rng);
    let background = image::background(field, opts.background_variation as f32, &mut rng);
    // The brightness (and, from a background level, the photon scale) solved on the first
    // frame split into its blurred background and cells at unit brightness.
    let split = || {
        let unit: Vec<f32> = units.iter().map(|&u| u as f32).collect();
        let look = image::Look {
            textures: &textures,
            brightness: &unit,
            stain: opts.stain,
            voxel: v,
            depth: &depth,
        };
        let zero = Array3::<f32>::zeros(background.dim());
        let (labels, mut cells_only) = image::object(&cells, &look, &zero, 1.0, 0);
        optics::blur(&mut cells_only, v, psf);
        let mut blurred = background.clone();
        optics::blur(&mut blurred, v, psf);
        (blurred, cells_only, labels)
    };
    let mut photons = None;
    let contrast = match (opts.background_adu, opts.contrast_ratio) {
        (Some(level), target) => {
            let (b, k, l) = split();
            let (c, s) = contrast::scale_for_background(
                level,
                target,
                opts.contrast,
                &opts.camera,
                (&b, &k, &l),
            )?;
            photons = Some(s);
            c
        }
        (None, None) => opts.contrast,
        (None, Some(target)) => {
            let (b, k, l) = split();
            contrast::brightness_for_ratio(target, opts.snr, &opts.camera, &b, &k, &l)?
        }
    };
    let brightness: Vec<f32> = units.iter().map(|&u| (contrast * u) as f32).collect();
    let look = image::Look {
        textures: &textures,
        brightness: &brightness,
        stain: opts.stain,
        voxel: v,
        depth: &depth,
    };
    let mut presence = projection::Presence::default();
    let mut png = Vec::new();
    let mut stats = Vec::with_capacity(opts.frames);
    for t in 0..opts.frames {
        let bleach = (-opts.bleach_per_frame * t as f64).exp() as f32;
        let (labels, mut object) = image::object(&cells, &look, &background, bleach, t);
        optics::blur(&mut object, v, psf);
        let s = match photons {
            Some(s) => s,
            None => {
                let [f, b, sd] = region_stats(&object, &labels);
                let s = photons_for_snr(opts.snr, f, b, sd, opts.camera.read_noise)?;
                photons = Some(s);
                s
            }
        };
        let raw = image::camera(
            &object,
            s,
            &opts.camera,
            crate::seed::stream_seed(opts.seed, 1 << 20 | t),
        );
        let [f, b, sd] = region_stats(&raw, &labels);
        stats.push(FrameStats {
            snr: (f - b).abs() / sd.max(1e-12),
            contrast_ratio: f / b.max(1e-12),
            cells: tracks.iter().filter(|k| k.begin <= t && t <= k.end).count(),
        });
        if t == opts.frames / 2 {
            png = preview::preview_png(&raw, &labels)?;
        }
        if let Some(p) = projected.as_deref_mut() {
            let flat = projection::column_labels(&labels);
            presence.add(t, &flat);
            let one = |a: ndarray::Array2<u16>| a.insert_axis(ndarray::Axis(0));
            p.frame(t, one(projection::max_z(&raw)), one(flat))?;
        }
        writer.frame(t, raw, labels)?;
        check(
            progress,
            0.5 + 0.5 * (t + 1) as f32 / opts.frames as f32,
            &format!("frame {}/{}", t + 1, opts.frames),
        )?;
    }
    writer.tracks(&tracks)?;
    if let Some(p) = projected {
        p.tracks(&presence.tracks(&tracks)?)?;
    }
    let cell_voxels = cells
        .iter()
        .map(|c| {
            c.slots
                .iter()
                .map(|s| s.iter().filter(|&&x| x != 0).count())
                .collect()
        })
        .collect();
    let sim = Simulation {
        tracks,
        frames: stats,
        psf_sigma_um: psf,
        psf_fwhm_um: (psf.0 * FWHM_PER_SIGMA, psf.1 * FWHM_PER_SIGMA),
        photons_per_unit: photons.unwrap_or(0.0),
        contrast,
        texture_um: grain,
        texture_amplitude: amplitude,
        frame_interval_s: interval,
        cell_voxels,
    };
    Ok((sim, png))
}
