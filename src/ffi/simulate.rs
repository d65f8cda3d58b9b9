//! Benchmark datasets from C: `csdf_simulate` writes what `cellsdf simulate` writes.

use super::{csdf_progress_fn, csdf_status, guard, handle, path, CProgress};
use crate::error::Error;
use crate::ffi::model::csdf_model;
use crate::simulate::{simulate_cells, Cells, Microscope, Optics, SimulateOptions, Stain};
use crate::units::VoxelSize;
use std::ffi::{c_char, c_void};

/// Widefield epifluorescence (`csdf_simulate_options.microscope`).
pub const CSDF_MICROSCOPE_WIDEFIELD: i32 = 0;
/// Point-scanning confocal with a small pinhole.
pub const CSDF_MICROSCOPE_CONFOCAL: i32 = 1;

/// Options of `csdf_simulate`. Start from `csdf_simulate_options_default` (the CLI's).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct csdf_simulate_options {
    /// Cells in the field and frames.
    pub cells: usize,
    pub frames: usize,
    /// Field (x, y, z) in voxels and voxel size (x, y, z) in um.
    pub size_xyz: [usize; 3],
    pub voxel_um: [f64; 3],
    /// Seconds between frames (<= 0 or NaN: the model's, its duration over the frames).
    pub interval_s: f64,
    /// CSDF_MICROSCOPE_*; numerical aperture; emission wavelength (nm); refractive index
    /// of the immersion medium.
    pub microscope: i32,
    pub na: f64,
    pub wavelength_nm: f64,
    pub refractive_index: f64,
    /// SNR of the first frame as the Cell Tracking Challenge defines it; noise-free cell /
    /// background intensity ratio; signal lost per frame to bleaching; largest drift (um per
    /// frame on each axis).
    pub snr: f64,
    pub contrast: f64,
    pub bleach_per_frame: f64,
    pub drift_um: f64,
    /// How new codes are drawn (CSDF_CODES_*) and the method's parameter (< 0: default).
    pub code_method: i32,
    pub code_param: f64,
    pub seed: u64,
    /// 1: replace files of the dataset's names even when cellsdf did not write them.
    pub overwrite: i32,
    /// Stain rim: the cells' voxels within `rim_um` of their surface are `1 + rim_gain`
    /// times brighter (rim_gain 0: a uniform stain). Since ABI 0.6.
    pub rim_um: f64,
    pub rim_gain: f64,
    /// 1: also write the 2D+t maximum projections along z (`projection/01`,
    /// `projection/01_GT`); cells then never share an x-y column. Since ABI 0.6.
    pub projection: i32,
    /// CSDF_FORMAT_TIFF (the CTC layout) or CSDF_FORMAT_OME_ZARR (01.ome.zarr with the
    /// ground truth as labels, tracks in 01_man_track.txt). Since ABI 0.6.
    pub format: i32,
    /// OME-Zarr chunk size (z, y, x) in voxels; all 0: 64^3. Since ABI 0.6.
    pub zarr_chunk_zyx: [usize; 3],
    /// Contrast ratio of the first frame as the CTC defines it; > 0: the cells' brightness
    /// is solved for it and `contrast` is not used. Since ABI 0.6.
    pub contrast_ratio: f64,
}

/// The CLI's defaults: 3 cells, 20 frames, 128 x 128 x 48 voxels of 0.2 x 0.2 x 0.4 um,
/// widefield NA 1.2 at 520 nm in water, SNR 10, contrast 3, 1 % bleaching per frame,
/// drift up to 0.05 um per frame, a uniform stain (rim 0.4 um, gain 0), no projection,
/// codes by CSDF_CODES_NEIGHBOURS, seed 0.
#[no_mangle]
pub extern "C" fn csdf_simulate_options_default() -> csdf_simulate_options {
    let d = SimulateOptions::default();
    let v = d.voxel_um;
    csdf_simulate_options {
        cells: d.cells,
        frames: d.frames,
        size_xyz: d.size_xyz,
        voxel_um: [v.x, v.y, v.z],
        interval_s: -1.0,
        microscope: CSDF_MICROSCOPE_WIDEFIELD,
        na: d.optics.na,
        wavelength_nm: d.optics.wavelength_nm,
        refractive_index: d.optics.refractive_index,
        snr: d.snr,
        contrast: d.contrast,
        bleach_per_frame: d.bleach_per_frame,
        drift_um: d.drift_um,
        code_method: super::model::CSDF_CODES_NEIGHBOURS,
        code_param: -1.0,
        seed: d.seed,
        overwrite: 0,
        rim_um: d.stain.rim_um,
        rim_gain: d.stain.rim_gain,
        projection: d.projection as i32,
        format: super::workflow::CSDF_FORMAT_TIFF,
        zarr_chunk_zyx: [0; 3],
        contrast_ratio: 0.0,
    }
}

fn options(o: &csdf_simulate_options) -> crate::Result<SimulateOptions> {
    let microscope = match o.microscope {
        CSDF_MICROSCOPE_WIDEFIELD => Microscope::Widefield,
        CSDF_MICROSCOPE_CONFOCAL => Microscope::Confocal,
        other => {
            return Err(Error::invalid(
                "microscope",
                format!("must be 0 (widefield) or 1 (confocal), got {other}"),
            ))
        }
    };
    let opts = SimulateOptions {
        cells: o.cells,
        frames: o.frames,
        size_xyz: o.size_xyz,
        voxel_um: VoxelSize {
            x: o.voxel_um[0],
            y: o.voxel_um[1],
            z: o.voxel_um[2],
        },
        interval_s: (o.interval_s > 0.0).then_some(o.interval_s),
        optics: Optics {
            microscope,
            na: o.na,
            wavelength_nm: o.wavelength_nm,
            refractive_index: o.refractive_index,
        },
        snr: o.snr,
        contrast: o.contrast,
        contrast_ratio: (o.contrast_ratio > 0.0 || o.contrast_ratio.is_nan())
            .then_some(o.contrast_ratio),
        bleach_per_frame: o.bleach_per_frame,
        drift_um: o.drift_um,
        stain: Stain {
            rim_um: o.rim_um,
            rim_gain: o.rim_gain,
        },
        projection: o.projection != 0,
        format: super::workflow::sequence_format(o.format)?,
        zarr: super::workflow::zarr_layout(o.zarr_chunk_zyx)?,
        codes: super::model::code_source(o.code_method, o.code_param)?,
        seed: o.seed,
        ..SimulateOptions::default()
    };
    opts.validate()?;
    Ok(opts)
}

/// Simulates a benchmark dataset from `model`'s new cells into the folder
/// `dataset_dir_utf8`, exactly as `cellsdf simulate` does: the Cell Tracking Challenge
/// layout (01/tNNN.tif uint16 raw, 01_GT/SEG, 01_GT/TRA with man_track.txt; with
/// `projection` the same for the z projections under projection/), manifest.json and
/// preview.png. `options` NULL: the defaults. Files cellsdf did not write stop it
/// (INVALID_ARGUMENT names them) unless `overwrite`; cancelling through `progress` or a
/// failure removes what the call wrote.
#[no_mangle]
pub unsafe extern "C" fn csdf_simulate(
    model: *const csdf_model,
    options_in: *const csdf_simulate_options,
    dataset_dir_utf8: *const c_char,
    progress: csdf_progress_fn,
    user_data: *mut c_void,
) -> csdf_status {
    guard(|| {
        let m = &handle(model, "model")?.model;
        simulate_into(
            Cells::Model(m),
            options_in,
            dataset_dir_utf8,
            progress,
            user_data,
        )
    })
}

/// The simulation of both entry points: options (NULL: the defaults), the dataset folder,
/// progress.
unsafe fn simulate_into(
    cells: Cells,
    options_in: *const csdf_simulate_options,
    dataset_dir_utf8: *const c_char,
    progress: csdf_progress_fn,
    user_data: *mut c_void,
) -> crate::Result<()> {
    let o = if options_in.is_null() {
        csdf_simulate_options_default()
    } else {
        *options_in
    };
    let dir = path(dataset_dir_utf8, "dataset_dir")?;
    let opts = options(&o)?;
    simulate_cells(
        cells,
        &opts,
        &dir,
        o.overwrite != 0,
        &CProgress::new(progress, user_data),
    )?;
    Ok(())
}

/// As `csdf_simulate`, with the cells from the calibrated label sequences (one cell per
/// .tif, e.g. phantoms) in the folder `phantoms_dir_utf8` instead of a model's new codes
/// (`cellsdf simulate --phantoms`); `code_method` and `code_param` are not used. Since ABI
/// 0.6.
#[no_mangle]
pub unsafe extern "C" fn csdf_simulate_phantoms(
    phantoms_dir_utf8: *const c_char,
    options_in: *const csdf_simulate_options,
    dataset_dir_utf8: *const c_char,
    progress: csdf_progress_fn,
    user_data: *mut c_void,
) -> csdf_status {
    guard(|| {
        let phantoms = path(phantoms_dir_utf8, "phantoms_dir")?;
        let files = crate::simulate::phantom_files(&phantoms)?;
        simulate_into(
            Cells::Files(&files),
            options_in,
            dataset_dir_utf8,
            progress,
            user_data,
        )
    })
}
