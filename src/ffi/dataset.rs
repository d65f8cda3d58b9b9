//! Datasets (prepare, open) and training.

use super::model::{csdf_device, csdf_model, device_choice};
use super::{
    csdf_progress_fn, csdf_status, guard, handle, optional_text, out, path, slice, text, CProgress,
};
use crate::dataset::{prepare, BorderPolicy, Dataset, PrepareOptions};
use crate::error::Error;
use crate::model::{Activation, ArchConfig, CoordinateInit};
use crate::train::{train, TrainOptions};
use crate::units::VoxelSize;
use std::ffi::{c_char, c_void};
use std::path::PathBuf;

/// A prepared SDF training set on disk (memory-mapped). Created by `csdf_dataset_prepare`
/// or `csdf_dataset_open`, released by `csdf_dataset_free`; `const` use is thread-safe.
pub struct csdf_dataset {
    pub(crate) data: Dataset,
}

/// Options of `csdf_dataset_prepare`. Start from `csdf_prepare_options_default`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct csdf_prepare_options {
    /// Stored SDF grid size N (N^3 per frame; 0 stores none).
    pub grid: usize,
    /// SDF samples per frame.
    pub samples_per_frame: usize,
    /// Fraction of samples near the surface.
    pub near_fraction: f64,
    /// Voxel size (x, y, z) in um for files without calibration; all 0 to require it.
    pub voxel_um: [f64; 3],
    /// 1: a sequence follows a cell through divisions (CTC inputs).
    pub follow_divisions: i32,
    /// Shortest sequence kept, in frames.
    pub min_length: usize,
    /// Cells that touch the image border: 0 skipped (default), 1 kept, 2 kept when they
    /// touch only the first or last z slice (thin stacks).
    pub keep_border: i32,
    pub seed: u64,
    /// What the planes of label TIFFs are when their metadata says otherwise: "TZYX",
    /// "ZTYX" (time varies fastest), "TYX" or "ZYX" (stored plane axes, slowest first);
    /// NULL: as the metadata says.
    pub axes: *const c_char,
    /// Near-surface band in model units (default 0.1). Since ABI 0.7.
    pub band: f64,
    /// 1: the near samples come from the two-sided band |sdf| <= band only; 0 (default):
    /// from sdf <= band, the whole inside included (the reference's rule). Since ABI 0.7.
    pub near_surface_only: i32,
    /// "dataset" (one scale for all cells, so codes learn size; default) or "sequence"
    /// (each cell scaled to its own box); NULL: the default. Since ABI 0.7.
    pub scale: *const c_char,
    /// Orientation of each cell: "sequence" (principal axes over all its frames; default),
    /// "first" (of its first frame) or "none" (image axes); NULL: the default. Since ABI 0.7.
    pub align: *const c_char,
    /// "sequence" (one box per sequence; default) or "frame" (every frame centred on its
    /// own cell, for cells that move; shifts recorded in dataset.json); NULL: the default.
    /// Since ABI 0.7.
    pub centre: *const c_char,
    /// Outside distances saturate at this many model units (default 0.5; above `band`, at
    /// most 4); 0: exact distances everywhere. Since ABI 0.7.
    pub clamp: f64,
    /// Room around the largest cell: it spans 1 / (1 + margin) of the model cube (default
    /// 0.1). Since ABI 0.7.
    pub margin: f64,
}

/// The defaults (grid 64, 16384 samples, 70 % near the surface, band 0.1, one scale,
/// aligned to each sequence's principal axes, far field clamped at 0.5, ...).
#[no_mangle]
pub extern "C" fn csdf_prepare_options_default() -> csdf_prepare_options {
    let d = PrepareOptions::default();
    csdf_prepare_options {
        grid: d.grid,
        samples_per_frame: d.samples_per_frame,
        near_fraction: d.near_fraction,
        voxel_um: [0.0; 3],
        follow_divisions: d.follow_divisions as i32,
        min_length: d.min_length,
        keep_border: 0,
        seed: d.seed,
        axes: std::ptr::null(),
        band: d.band,
        near_surface_only: d.near_surface_only as i32,
        scale: std::ptr::null(),
        align: std::ptr::null(),
        centre: std::ptr::null(),
        clamp: d.clamp.unwrap_or(0.0),
        margin: d.margin,
    }
}

fn flag(v: i32, name: &str) -> crate::Result<bool> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(Error::invalid(name, format!("must be 0 or 1, got {other}"))),
    }
}

/// Prepares label images (`n_inputs` paths: label/mask hyperstacks, folders of them, or
/// Cell Tracking Challenge folders) into a dataset directory `out_dir` and opens it.
/// `options` may be NULL for the defaults. The directory appears only when complete.
#[no_mangle]
pub unsafe extern "C" fn csdf_dataset_prepare(
    inputs: *const *const c_char,
    n_inputs: usize,
    out_dir: *const c_char,
    options: *const csdf_prepare_options,
    progress: csdf_progress_fn,
    user_data: *mut c_void,
    dataset_out: *mut *mut csdf_dataset,
) -> csdf_status {
    guard(|| {
        out(dataset_out, "dataset_out")?;
        if n_inputs == 0 {
            return Err(Error::invalid("n_inputs", "give at least one input"));
        }
        let paths: Vec<PathBuf> = slice(inputs, n_inputs, "inputs")?
            .iter()
            .map(|&p| path(p, "inputs[i]"))
            .collect::<crate::Result<_>>()?;
        let dir = path(out_dir, "out_dir")?;
        let o = if options.is_null() {
            csdf_prepare_options_default()
        } else {
            *options
        };
        let mut opts = PrepareOptions {
            grid: o.grid,
            samples_per_frame: o.samples_per_frame,
            near_fraction: o.near_fraction,
            follow_divisions: flag(o.follow_divisions, "follow_divisions")?,
            min_length: o.min_length,
            border: match o.keep_border {
                0 => BorderPolicy::Skip,
                1 => BorderPolicy::Keep,
                2 => BorderPolicy::KeepZ,
                other => {
                    return Err(Error::invalid(
                        "keep_border",
                        format!(
                        "must be 0 (skip), 1 (keep) or 2 (keep cells cut only in z), got {other}"
                    ),
                    ))
                }
            },
            seed: o.seed,
            axes: super::stack::axes_arg(o.axes)?,
            band: o.band,
            near_surface_only: flag(o.near_surface_only, "near_surface_only")?,
            clamp: (o.clamp != 0.0).then_some(o.clamp),
            margin: o.margin,
            ..PrepareOptions::default()
        };
        if let Some(s) = optional_text(o.scale, "options.scale")? {
            opts.scale = s.parse()?;
        }
        if let Some(a) = optional_text(o.align, "options.align")? {
            opts.align = a.parse()?;
        }
        if let Some(c) = optional_text(o.centre, "options.centre")? {
            opts.centre = c.parse()?;
        }
        if o.voxel_um != [0.0; 3] {
            let v = VoxelSize {
                x: o.voxel_um[0],
                y: o.voxel_um[1],
                z: o.voxel_um[2],
            };
            v.validate("voxel_um")?;
            opts.voxel_um = Some(v);
        }
        prepare(&paths, &dir, &opts, &CProgress::new(progress, user_data))?;
        let data = Dataset::open(&dir)?;
        *dataset_out = Box::into_raw(Box::new(csdf_dataset { data }));
        Ok(())
    })
}

/// Opens a dataset directory written by `csdf_dataset_prepare` or `cellsdf prepare`.
#[no_mangle]
pub unsafe extern "C" fn csdf_dataset_open(
    dir: *const c_char,
    dataset_out: *mut *mut csdf_dataset,
) -> csdf_status {
    guard(|| {
        out(dataset_out, "dataset_out")?;
        let data = Dataset::open(&path(dir, "dir")?)?;
        *dataset_out = Box::into_raw(Box::new(csdf_dataset { data }));
        Ok(())
    })
}

/// Number of sequences and of frames in all sequences.
#[no_mangle]
pub unsafe extern "C" fn csdf_dataset_size(
    dataset: *const csdf_dataset,
    sequences_out: *mut usize,
    frames_out: *mut usize,
) -> csdf_status {
    guard(|| {
        out(sequences_out, "sequences_out")?;
        out(frames_out, "frames_out")?;
        let d = &handle(dataset, "dataset")?.data;
        *sequences_out = d.meta.sequences.len();
        *frames_out = d.meta.frames_total;
        Ok(())
    })
}

/// Releases a dataset handle (the files stay); NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn csdf_dataset_free(dataset: *mut csdf_dataset) {
    if !dataset.is_null() {
        drop(Box::from_raw(dataset));
    }
}

/// Options of `csdf_train`. Start from `csdf_train_options_default` (the paper's values).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct csdf_train_options {
    pub epochs: usize,
    /// Adam learning rates of the network and of the codes.
    pub lr_net: f64,
    pub lr_codes: f64,
    /// Both rates halve every this many epochs (0: never).
    pub halve_every: usize,
    /// Standard deviation of the initial codes.
    pub sigma: f64,
    /// Architecture: "paper", "small", or a path to a JSON config (NUL-terminated UTF-8).
    pub arch: *const c_char,
    /// 0: sine (SIREN, the paper), 1: ReLU.
    pub activation: i32,
    pub device: csdf_device,
    /// CPU threads for libtorch (0: libtorch's default).
    pub threads: usize,
    pub seed: u64,
    /// Write a checkpoint every this many epochs (0: only at the end).
    pub checkpoint_every: usize,
    /// Weight of the code regulariser mean ||z||^2 / sigma^2, ramped in over the first 100
    /// epochs (default 1e-4; 0: none). Since ABI 0.7.
    pub code_reg: f64,
    /// Points drawn afresh from each frame's stored samples at every step; 0 (default): all
    /// of the frame's samples. Since ABI 0.7.
    pub points_per_frame: usize,
    /// Frames per optimisation step, evaluated together, each with its own code (default
    /// 1). Since ABI 0.7.
    pub frames_per_batch: usize,
    /// First-layer weights over the coordinates (sine): 0 the architecture's own (default;
    /// `reference` for "paper" and "small"), 1 `reference` (U(+-1/fan_in)), 2 `siren`
    /// (U(+-1/4)). Since ABI 0.7.
    pub coordinate_init: i32,
}

/// The paper's defaults (paper architecture, sine, 100 epochs, lr 1e-4 / 1e-3, halve every
/// 100, sigma 0.1, device auto, seed 0).
#[no_mangle]
pub extern "C" fn csdf_train_options_default() -> csdf_train_options {
    let d = TrainOptions::default();
    csdf_train_options {
        epochs: d.epochs,
        lr_net: d.lr_net,
        lr_codes: d.lr_codes,
        halve_every: d.halve_every,
        sigma: d.sigma,
        arch: std::ptr::null(),
        activation: 0,
        device: 0,
        threads: 0,
        seed: d.seed,
        checkpoint_every: d.checkpoint_every,
        code_reg: d.code_reg,
        points_per_frame: d.points_per_frame.unwrap_or(0),
        frames_per_batch: d.frames_per_batch,
        coordinate_init: 0,
    }
}

/// Trains a model on `dataset`, writing checkpoints to `checkpoint_path` (atomically; a
/// cancelled run keeps its last completed checkpoint), and returns it in `*model_out`.
/// `options` may be NULL for the defaults. Progress reports carry the loss in `stage`.
#[no_mangle]
pub unsafe extern "C" fn csdf_train(
    dataset: *const csdf_dataset,
    options: *const csdf_train_options,
    checkpoint_path: *const c_char,
    progress: csdf_progress_fn,
    user_data: *mut c_void,
    model_out: *mut *mut csdf_model,
) -> csdf_status {
    guard(|| {
        out(model_out, "model_out")?;
        let d = &handle(dataset, "dataset")?.data;
        let ckpt = path(checkpoint_path, "checkpoint_path")?;
        let o = if options.is_null() {
            csdf_train_options_default()
        } else {
            *options
        };
        let mut arch = if o.arch.is_null() {
            ArchConfig::paper()
        } else {
            ArchConfig::named(text(o.arch, "options.arch")?)?
        };
        arch.activation = match o.activation {
            0 => Activation::Sine,
            1 => Activation::Relu,
            other => {
                return Err(Error::invalid(
                    "options.activation",
                    format!("must be 0 (sine) or 1 (relu), got {other}"),
                ))
            }
        };
        arch.coordinate_init = match o.coordinate_init {
            0 => arch.coordinate_init,
            1 => CoordinateInit::Reference,
            2 => CoordinateInit::Siren,
            other => {
                return Err(Error::invalid(
                    "options.coordinate_init",
                    format!(
                        "must be 0 (the architecture's), 1 (reference) or 2 (siren), got {other}"
                    ),
                ))
            }
        };
        let opts = TrainOptions {
            arch,
            epochs: o.epochs,
            lr_net: o.lr_net,
            lr_codes: o.lr_codes,
            halve_every: o.halve_every,
            sigma: o.sigma,
            device: device_choice(o.device)?,
            threads: (o.threads > 0).then_some(o.threads),
            seed: o.seed,
            checkpoint_every: o.checkpoint_every,
            code_reg: o.code_reg,
            points_per_frame: (o.points_per_frame > 0).then_some(o.points_per_frame),
            frames_per_batch: o.frames_per_batch,
            ..TrainOptions::default()
        };
        let model = train(d, &opts, &ckpt, None, &CProgress::new(progress, user_data))?;
        *model_out = Box::into_raw(Box::new(csdf_model { model }));
        Ok(())
    })
}
