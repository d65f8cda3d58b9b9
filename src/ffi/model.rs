//! Models and codes: load, describe, read and write codes, draw new codes, interpolate, fit.

use super::{
    csdf_progress_fn, csdf_status, guard, handle, handle_mut, out, path, slice, slice_mut,
    CProgress,
};
use crate::device::DeviceChoice;
use crate::error::Error;
use crate::model::{Activation, Model};
use crate::synth::{draw_codes, fit_code, interpolate_codes, CodeSource, FitOptions};
use crate::units::VoxelSize;
use std::ffi::{c_char, c_void};

/// A trained model (network, one code per training sequence, metadata). Created by
/// `csdf_model_load` or `csdf_train`, released by `csdf_model_free`. A `const csdf_model *`
/// may be used by several threads at once.
pub struct csdf_model {
    pub(crate) model: Model,
}

/// Where a model runs.
pub type csdf_device = i32;
/// CUDA when available, else CPU.
pub const CSDF_DEVICE_AUTO: csdf_device = 0;
pub const CSDF_DEVICE_CPU: csdf_device = 1;
/// CUDA device 0; an error when CUDA is not available.
pub const CSDF_DEVICE_CUDA: csdf_device = 2;

pub(crate) fn device_choice(d: csdf_device) -> crate::Result<DeviceChoice> {
    match d {
        CSDF_DEVICE_AUTO => Ok(DeviceChoice::Auto),
        CSDF_DEVICE_CPU => Ok(DeviceChoice::Cpu),
        CSDF_DEVICE_CUDA => Ok(DeviceChoice::Cuda),
        other => Err(Error::invalid(
            "device",
            format!("unknown device {other} (0 auto, 1 cpu, 2 cuda)"),
        )),
    }
}

/// Architecture and training summary of a model.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct csdf_model_info {
    /// Values per code (192 in the paper).
    pub code_size: usize,
    /// Training sequences (learned codes).
    pub sequences: usize,
    /// Trainable network parameters (216,137 for the paper network).
    pub parameters: usize,
    /// Linear layers and hidden width.
    pub layers: usize,
    pub width: usize,
    /// 0: sine (SIREN), 1: ReLU.
    pub activation: i32,
    /// Frequency of the sine activation.
    pub omega: f64,
    /// Mean and standard deviation of the learned code entries.
    pub code_mean: f64,
    pub code_sd: f64,
    /// 1 when the model learns a rotation per sequence.
    pub learned_rotation: i32,
}

/// One training sequence of a model: how model units map to micrometres.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct csdf_sequence_info {
    /// Position (x, y, z) in um of the model origin in the source image.
    pub centre_um: [f64; 3],
    /// Micrometres per model unit.
    pub scale_um: f64,
    /// Voxel size (x, y, z) in um of the source image (0 when unknown).
    pub voxel_um: [f64; 3],
    /// Seconds between frames of the source (NaN when unknown).
    pub frame_interval_s: f64,
    /// Frames used in training.
    pub frames: usize,
}

/// Loads a cellsdf model (`.safetensors`, including converted reference models) onto
/// `device`. On success `*model_out` is a new handle to free with `csdf_model_free`.
#[no_mangle]
pub unsafe extern "C" fn csdf_model_load(
    path_utf8: *const c_char,
    device: csdf_device,
    model_out: *mut *mut csdf_model,
) -> csdf_status {
    guard(|| {
        out(model_out, "model_out")?;
        let p = path(path_utf8, "path")?;
        let dev = device_choice(device)?.resolve()?;
        let mut model = Model::load(&p)?;
        model.device = dev;
        *model_out = Box::into_raw(Box::new(csdf_model { model }));
        Ok(())
    })
}

/// Converts a model of the reference implementation into a cellsdf model file `out_utf8`:
/// `raw_utf8` is a plain safetensors file with the reference's `lin{k}.weight`/`.bias` and
/// `codes` [N, code size] (float32; what `python -m cellsdf.convert_reference` writes from
/// the `.pth` and `lat_vecs.mat`); the architecture comes from the weight shapes;
/// `activation` 0 sine (SIREN, frequency `omega`), 1 ReLU. An existing `out_utf8` that
/// cellsdf did not write is replaced only when `overwrite` is 1.
#[no_mangle]
pub unsafe extern "C" fn csdf_model_import_reference(
    raw_utf8: *const c_char,
    activation: i32,
    omega: f64,
    out_utf8: *const c_char,
    overwrite: i32,
) -> csdf_status {
    guard(|| {
        let raw = path(raw_utf8, "raw")?;
        let out_path = path(out_utf8, "out")?;
        let act = match activation {
            0 => Activation::Sine,
            1 => Activation::Relu,
            other => {
                return Err(Error::invalid(
                    "activation",
                    format!("must be 0 (sine) or 1 (ReLU), got {other}"),
                ))
            }
        };
        if !(omega.is_finite() && omega > 0.0) {
            return Err(Error::invalid("omega", "must be a positive number"));
        }
        let model = crate::model::import_reference(&raw, act, omega)?;
        crate::io::claim_file(&out_path, "import", overwrite != 0)?;
        model.save(&out_path, &[])
    })
}

/// Releases a model; NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn csdf_model_free(model: *mut csdf_model) {
    if !model.is_null() {
        drop(Box::from_raw(model));
    }
}

/// Fills `*info_out` with the model's architecture and code statistics.
#[no_mangle]
pub unsafe extern "C" fn csdf_model_info_get(
    model: *const csdf_model,
    info_out: *mut csdf_model_info,
) -> csdf_status {
    guard(|| {
        out(info_out, "info_out")?;
        let m = &handle(model, "model")?.model;
        let c = &m.meta.config;
        *info_out = csdf_model_info {
            code_size: c.code_size,
            sequences: m.n_codes(),
            parameters: m.parameter_count(),
            layers: c.layers,
            width: c.width,
            activation: match c.activation {
                Activation::Sine => 0,
                Activation::Relu => 1,
            },
            omega: c.omega,
            code_mean: m.meta.code_stats.mean,
            code_sd: m.meta.code_stats.sd,
            learned_rotation: c.learned_rotation as i32,
        };
        Ok(())
    })
}

/// Fills `*info_out` with training sequence `index`'s normalisation and calibration.
#[no_mangle]
pub unsafe extern "C" fn csdf_model_sequence_info(
    model: *const csdf_model,
    index: usize,
    info_out: *mut csdf_sequence_info,
) -> csdf_status {
    guard(|| {
        out(info_out, "info_out")?;
        let m = &handle(model, "model")?.model;
        let s = m.meta.sequences.get(index).ok_or_else(|| {
            Error::invalid(
                "index",
                format!(
                    "sequence {index} is out of range: the model has {}",
                    m.meta.sequences.len()
                ),
            )
        })?;
        let n = s
            .normalisation
            .unwrap_or(crate::dataset::Normalisation::new([0.0; 3], 1.0));
        let v = s.voxel_um.unwrap_or(VoxelSize {
            x: 0.0,
            y: 0.0,
            z: 0.0,
        });
        *info_out = csdf_sequence_info {
            centre_um: n.centre_um,
            scale_um: n.scale_um,
            voxel_um: [v.x, v.y, v.z],
            frame_interval_s: s.frame_interval_s.unwrap_or(f64::NAN),
            frames: s.frame_t.len(),
        };
        Ok(())
    })
}

fn code_size(m: &Model) -> usize {
    m.meta.config.code_size
}

fn check_len(len: usize, want: usize, name: &str) -> crate::Result<()> {
    check_len_of(len, want, 1, name)
}

/// `len` must equal `rows` x `per_row`, computed without wrapping.
fn check_len_of(len: usize, rows: usize, per_row: usize, name: &str) -> crate::Result<()> {
    let want = rows.checked_mul(per_row).ok_or_else(|| {
        Error::invalid(
            name,
            format!("{rows} x {per_row} values overflow the address space"),
        )
    })?;
    if len != want {
        return Err(Error::invalid(
            name,
            format!("holds {len} values; {want} are needed"),
        ));
    }
    Ok(())
}

/// Copies the learned code of training sequence `index` into `code_out` (`len` must be the
/// model's code size).
#[no_mangle]
pub unsafe extern "C" fn csdf_model_get_code(
    model: *const csdf_model,
    index: usize,
    code_out: *mut f32,
    len: usize,
) -> csdf_status {
    guard(|| {
        let m = &handle(model, "model")?.model;
        check_len(len, code_size(m), "len")?;
        let dst = slice_mut(code_out, len, "code_out")?;
        dst.copy_from_slice(&m.code(index)?);
        Ok(())
    })
}

/// Replaces the learned code of training sequence `index` with `len` values from `code`.
#[no_mangle]
pub unsafe extern "C" fn csdf_model_set_code(
    model: *mut csdf_model,
    index: usize,
    code: *const f32,
    len: usize,
) -> csdf_status {
    guard(|| {
        let m = &mut handle_mut(model, "model")?.model;
        check_len(len, code_size(m), "len")?;
        let src = slice(code, len, "code")?;
        if src.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid("code", "holds NaN or infinite values"));
        }
        m.set_code(index, src)
    })
}

/// z ~ N(0, sigma^2) (`csdf_codes_sample` method).
pub const CSDF_CODES_NORMAL: i32 = 0;
/// A learned code plus N(0, sigma^2) noise.
pub const CSDF_CODES_AROUND_LEARNED: i32 = 1;
/// A Gaussian fitted to the learned codes.
pub const CSDF_CODES_FITTED: i32 = 2;
/// A learned code plus noise scaled by its nearest-neighbour distance (the default of the
/// CLI and plugins).
pub const CSDF_CODES_NEIGHBOURS: i32 = 3;

/// The code source of `method` (CSDF_CODES_*) with its parameter (see `csdf_codes_sample`).
pub(crate) fn code_source(method: i32, param: f64) -> crate::Result<CodeSource> {
    if !param.is_finite() {
        return Err(Error::invalid("param", "must be a finite number"));
    }
    Ok(match method {
        CSDF_CODES_NORMAL => CodeSource::Random {
            sigma: (param > 0.0).then_some(param),
        },
        CSDF_CODES_AROUND_LEARNED => {
            CodeSource::parse("around-learned", (param >= 0.0).then_some(param))?
        }
        CSDF_CODES_FITTED => CodeSource::parse("fitted", (param >= 0.0).then_some(param))?,
        CSDF_CODES_NEIGHBOURS => CodeSource::parse("neighbours", (param > 0.0).then_some(param))?,
        other => {
            return Err(Error::invalid(
                "method",
                format!("must be 0 to 3 (CSDF_CODES_*), got {other}"),
            ))
        }
    })
}

/// Draws `count` new codes into `codes_out` (`count` x code size floats, row-major) by
/// `method` with its parameter `param`:
/// - `CSDF_CODES_NORMAL` (0): z ~ N(0, param^2) (param <= 0: the learned codes' standard
///   deviation), the paper's C. elegans protocol;
/// - `CSDF_CODES_AROUND_LEARNED` (1): a learned code chosen at random plus N(0, param^2)
///   noise (param < 0: 0.01, as in the paper);
/// - `CSDF_CODES_FITTED` (2): a Gaussian fitted to the
///   learned codes within their span, shrinkage `param` in [0, 1] (< 0: 0, the sample
///   covariance);
/// - `CSDF_CODES_NEIGHBOURS` (3, the default of the other front ends): a learned code plus
///   noise within the learned span,
///   `param` times its nearest-neighbour distance (<= 0: 1).
///
/// When `scales_out` is not NULL it receives `count` doubles: the scale (micrometres per
/// model unit) to render each code at, drawn with it; for FITTED and NEIGHBOURS the scale
/// that gives the cell a mean volume drawn from the training cells' (CSDF_SIZES_TRAINING).
/// Code k depends only on (`seed`, k).
#[no_mangle]
pub unsafe extern "C" fn csdf_codes_sample(
    model: *const csdf_model,
    count: usize,
    param: f64,
    method: i32,
    seed: u64,
    codes_out: *mut f32,
    len: usize,
    scales_out: *mut f64,
) -> csdf_status {
    guard(|| {
        let m = &handle(model, "model")?.model;
        check_len_of(len, count, code_size(m), "len")?;
        let dst = slice_mut(codes_out, len, "codes_out")?;
        let source = code_source(method, param)?;
        let scales = if scales_out.is_null() {
            None
        } else {
            Some(slice_mut(scales_out, count, "scales_out")?)
        };
        let drawn = draw_codes(m, source, count, seed)?;
        if let Some(out) = scales {
            for (o, c) in out.iter_mut().zip(&drawn) {
                *o = c.scale_um;
            }
        }
        for (k, c) in drawn.iter().enumerate() {
            dst[k * c.values.len()..(k + 1) * c.values.len()].copy_from_slice(&c.values);
        }
        Ok(())
    })
}

/// Writes `steps` codes on the line from training sequence `from`'s code to `to`'s
/// (endpoints included) into `codes_out` (`steps` x code size floats).
#[no_mangle]
pub unsafe extern "C" fn csdf_codes_interpolate(
    model: *const csdf_model,
    from: usize,
    to: usize,
    steps: usize,
    codes_out: *mut f32,
    len: usize,
) -> csdf_status {
    guard(|| {
        let m = &handle(model, "model")?.model;
        check_len_of(len, steps, code_size(m), "len")?;
        let dst = slice_mut(codes_out, len, "codes_out")?;
        let c = code_size(m);
        for (k, t) in interpolate_codes(m, from, to, steps)?.iter().enumerate() {
            dst[k * c..(k + 1) * c].copy_from_slice(t);
        }
        Ok(())
    })
}

/// Fits a code to the mask hyperstack at `masks_path` (one cell; sparse frames and few z
/// slices are fine) with the network frozen, `iterations` steps (0: 300), and writes it to
/// `code_out` (code size floats). `voxel_um` (x, y, z) may be NULL when the file is
/// calibrated. Needs libtorch: `CSDF_STATUS_UNSUPPORTED` from a library built without it.
#[no_mangle]
pub unsafe extern "C" fn csdf_fit_code(
    model: *const csdf_model,
    masks_path: *const c_char,
    voxel_um: *const f64,
    iterations: usize,
    progress: csdf_progress_fn,
    user_data: *mut c_void,
    code_out: *mut f32,
    len: usize,
) -> csdf_status {
    guard(|| {
        let m = &handle(model, "model")?.model;
        check_len(len, code_size(m), "len")?;
        let dst = slice_mut(code_out, len, "code_out")?;
        let p = path(masks_path, "masks_path")?;
        let mut opts = FitOptions::default();
        if iterations > 0 {
            opts.iterations = iterations;
        }
        opts.voxel_um = super::optional_voxel_arg(voxel_um)?;
        let fitted = fit_code(m, &p, &opts, &CProgress::new(progress, user_data))?;
        dst.copy_from_slice(&fitted.code);
        Ok(())
    })
}

// The header promises that const handles may be shared between threads.
const _: fn() = || {
    fn shared<T: Sync + Send>() {}
    shared::<csdf_model>();
    shared::<super::grid::csdf_grid>();
    shared::<super::mesh::csdf_mesh>();
    shared::<super::stack::csdf_stack>();
    shared::<super::dataset::csdf_dataset>();
};
