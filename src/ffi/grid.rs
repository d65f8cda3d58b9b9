//! Inference: SDF grids of one code at chosen times, their masks and files.

use super::model::csdf_model;
use super::{
    csdf_progress_fn, csdf_status, guard, handle, out, output_path, slice, slice_mut, CProgress,
};
use crate::error::Error;
use crate::io::{write_hyperstack, Hyperstack};
use crate::synth::{Evaluation, Renderer, SynthOptions};
use crate::units::{Calibration, VoxelSize};
use ndarray::Array4;
use std::ffi::{c_char, c_void};

/// An SDF sequence in micrometres (negative inside), indexed [t][z][y][x]. Created by
/// `csdf_infer`, released by `csdf_grid_free`; `const` use is thread-safe.
pub struct csdf_grid {
    pub(crate) sdf: Array4<f32>,
    pub(crate) voxel: VoxelSize,
}

/// Borrowed view of a grid: valid until the grid is freed; do not write through it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct csdf_grid_view {
    /// frames * nz * ny * nx float32 values, C order [t][z][y][x], um.
    pub data: *const f32,
    pub frames: usize,
    pub nz: usize,
    pub ny: usize,
    pub nx: usize,
    /// Voxel size (x, y, z) in um.
    pub voxel_um: [f64; 3],
}

/// How `csdf_infer` evaluates the network.
pub type csdf_eval_mode = i32;
/// Every voxel.
pub const CSDF_EVAL_DENSE: csdf_eval_mode = 0;
/// Coarse-to-fine near the surface only: the same mask, far fewer evaluations.
pub const CSDF_EVAL_ADAPTIVE: csdf_eval_mode = 1;

/// Renders the SDF of `code` (`code_len` = the model's code size) at the `n_times` model
/// times `times` (each in [-1, 1]; -1 is the first training frame, 1 the last) on a grid of
/// `size_xyz` voxels of `voxel_um` (x, y, z) um centred on the cell, with `scale_um`
/// micrometres per model unit (<= 0: the training sequences' mean). `voxel_um` NULL makes
/// the model cube fill the grid. Refuses grids that would need more than 8 GB.
#[no_mangle]
pub unsafe extern "C" fn csdf_infer(
    model: *const csdf_model,
    code: *const f32,
    code_len: usize,
    times: *const f64,
    n_times: usize,
    size_xyz: *const usize,
    voxel_um: *const f64,
    scale_um: f64,
    mode: csdf_eval_mode,
    progress: csdf_progress_fn,
    user_data: *mut c_void,
    grid_out: *mut *mut csdf_grid,
) -> csdf_status {
    guard(|| {
        out(grid_out, "grid_out")?;
        let m = &handle(model, "model")?.model;
        let want = m.meta.config.code_size;
        if code_len != want {
            return Err(Error::invalid(
                "code_len",
                format!("is {code_len}; the model's codes have {want} values"),
            ));
        }
        let code = slice(code, code_len, "code")?;
        if code.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid("code", "holds NaN or infinite values"));
        }
        if n_times == 0 {
            return Err(Error::invalid("n_times", "give at least one time point"));
        }
        let times = slice(times, n_times, "times")?;
        if let Some(t) = times
            .iter()
            .find(|t| !(t.is_finite() && (-1.0..=1.0).contains(*t)))
        {
            return Err(Error::invalid("times", format!("{t} is outside [-1, 1]")));
        }
        let s = slice(size_xyz, 3, "size_xyz")?;
        if s.iter().any(|&n| n == 0 || n > 4096) {
            return Err(Error::invalid(
                "size_xyz",
                format!("{s:?} voxels: each size must be 1 to 4096"),
            ));
        }
        let voxel = super::optional_voxel_arg(voxel_um)?;
        let mode = match mode {
            CSDF_EVAL_DENSE => Evaluation::Dense,
            CSDF_EVAL_ADAPTIVE => Evaluation::adaptive(),
            other => {
                return Err(Error::invalid(
                    "mode",
                    format!("must be 0 (dense) or 1 (adaptive), got {other}"),
                ))
            }
        };
        let scale = if scale_um > 0.0 && scale_um.is_finite() {
            scale_um
        } else {
            crate::synth::training_scale_and_interval(m, n_times).0
        };
        let opts = SynthOptions {
            frames: n_times,
            size_xyz: Some([s[0], s[1], s[2]]),
            voxel_um: voxel,
            mode,
            write_sdf: true,
            ..SynthOptions::default()
        };
        let grid = opts.grid(scale)?;
        let mut r = Renderer::new(m, code, None)?;
        let sdf = r.sequence(
            &grid,
            times,
            mode,
            &CProgress::new(progress, user_data),
            0.0,
            1.0,
        )?;
        *grid_out = Box::into_raw(Box::new(csdf_grid {
            sdf,
            voxel: grid.voxel_um,
        }));
        Ok(())
    })
}

/// Fills `*view_out` with a borrowed view of the grid's SDF values.
#[no_mangle]
pub unsafe extern "C" fn csdf_grid_view_get(
    grid: *const csdf_grid,
    view_out: *mut csdf_grid_view,
) -> csdf_status {
    guard(|| {
        out(view_out, "view_out")?;
        let g = handle(grid, "grid")?;
        let (frames, nz, ny, nx) = g.sdf.dim();
        *view_out = csdf_grid_view {
            data: g.sdf.as_ptr(),
            frames,
            nz,
            ny,
            nx,
            voxel_um: [g.voxel.x, g.voxel.y, g.voxel.z],
        };
        Ok(())
    })
}

/// Copies the masks (1 where sdf <= 0, else 0) of all frames into `mask_out`, which holds
/// `len` = frames * nz * ny * nx bytes.
#[no_mangle]
pub unsafe extern "C" fn csdf_grid_mask(
    grid: *const csdf_grid,
    mask_out: *mut u8,
    len: usize,
) -> csdf_status {
    guard(|| {
        let g = handle(grid, "grid")?;
        if len != g.sdf.len() {
            return Err(Error::invalid(
                "len",
                format!("is {len}; the grid has {} voxels", g.sdf.len()),
            ));
        }
        let dst = slice_mut(mask_out, len, "mask_out")?;
        for (d, &v) in dst.iter_mut().zip(g.sdf.iter()) {
            *d = (v <= 0.0) as u8;
        }
        Ok(())
    })
}

/// What `csdf_grid_write_tiff` writes.
pub type csdf_grid_content = i32;
/// uint8 masks (1 inside).
pub const CSDF_GRID_MASK: csdf_grid_content = 0;
/// float32 SDF in um.
pub const CSDF_GRID_SDF: csdf_grid_content = 1;

/// Writes the grid as an ImageJ hyperstack TIFF (calibrated in um; `frame_interval_s` <= 0
/// or NaN: none). The file appears only when complete. An existing file that cellsdf did not
/// write (or that another operation wrote) is replaced only when `overwrite` is 1 (since ABI
/// 0.10).
#[no_mangle]
pub unsafe extern "C" fn csdf_grid_write_tiff(
    grid: *const csdf_grid,
    path_utf8: *const c_char,
    content: csdf_grid_content,
    frame_interval_s: f64,
    overwrite: i32,
) -> csdf_status {
    guard(|| {
        let g = handle(grid, "grid")?;
        if !(content == CSDF_GRID_MASK || content == CSDF_GRID_SDF) {
            return Err(Error::invalid(
                "content",
                format!("must be 0 (mask) or 1 (sdf), got {content}"),
            ));
        }
        let p = output_path(path_utf8, "path", "csdf_grid_write_tiff", overwrite)?;
        let calibration = Calibration {
            voxel_um: Some(g.voxel),
            frame_interval_s: (frame_interval_s > 0.0 && frame_interval_s.is_finite())
                .then_some(frame_interval_s),
        };
        match content {
            CSDF_GRID_MASK => write_hyperstack(
                &p,
                &Hyperstack::new(g.sdf.mapv(|v| (v <= 0.0) as u8), calibration),
            ),
            CSDF_GRID_SDF => write_hyperstack(&p, &Hyperstack::new(g.sdf.clone(), calibration)),
            other => Err(Error::invalid(
                "content",
                format!("must be 0 (mask) or 1 (sdf), got {other}"),
            )),
        }
    })
}

/// Releases a grid; NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn csdf_grid_free(grid: *mut csdf_grid) {
    if !grid.is_null() {
        drop(Box::from_raw(grid));
    }
}
