//! Calibration from C: `csdf_calibrate` writes the profile `cellsdf calibrate` writes, and
//! `csdf_simulate_like` simulates as `cellsdf simulate --profile`.

use super::{csdf_progress_fn, csdf_status, existing_folder, guard, handle, path, CProgress};
use crate::calibrate::{CalibrateOptions, Profile};
use crate::ffi::model::csdf_model;
use crate::simulate::{simulate_cells, Cells, SimulateOptions};
use crate::units::VoxelSize;
use crate::workflow::{calibrate_to_file, resolve_profile};
use std::ffi::{c_char, c_void};

/// Measures the acquisition profile of the raw image `raw_utf8` with its labels
/// `labels_utf8` (hyperstack TIFFs of the same shape, or folders of one TIFF per frame
/// matched by frame number) and writes it as JSON to `out_utf8`, byte for byte what
/// `cellsdf calibrate` writes. `voxel_um`: NULL for the files' calibration, else 3 doubles
/// (x, y, z, um); `interval_s` <= 0 or NaN: the files' frame interval. The output is never
/// one of the inputs, its folder must exist, and a file there that cellsdf did not write
/// stops it unless `overwrite` is 1; nothing is written when it fails. Since ABI 0.11.
#[no_mangle]
pub unsafe extern "C" fn csdf_calibrate(
    raw_utf8: *const c_char,
    labels_utf8: *const c_char,
    voxel_um: *const f64,
    interval_s: f64,
    out_utf8: *const c_char,
    overwrite: i32,
    progress: csdf_progress_fn,
    user_data: *mut c_void,
) -> csdf_status {
    guard(|| {
        let raw = path(raw_utf8, "raw")?;
        let labels = path(labels_utf8, "labels")?;
        let out = path(out_utf8, "out")?;
        existing_folder(&out)?;
        let voxel = if voxel_um.is_null() {
            None
        } else {
            let v = std::slice::from_raw_parts(voxel_um, 3);
            Some(VoxelSize {
                x: v[0],
                y: v[1],
                z: v[2],
            })
        };
        let opts = CalibrateOptions {
            voxel_um: voxel,
            frame_interval_s: (interval_s > 0.0).then_some(interval_s),
        };
        calibrate_to_file(
            (&raw, &labels),
            None,
            &opts,
            &out,
            overwrite != 0,
            &CProgress::new(progress, user_data),
        )?;
        Ok(())
    })
}

/// Simulates a dataset like the acquisition of the profile `profile_utf8` (a file
/// `csdf_calibrate` wrote, or a bundled profile's name such as "cells3d-nuclei") from
/// `model`'s new cells into `dataset_dir_utf8`, as `cellsdf simulate --profile P --seed S`
/// does (every other value the library's default). Files cellsdf did not write stop it
/// unless `overwrite` is 1; cancelling or a failure removes what the call wrote. Since ABI
/// 0.11.
#[no_mangle]
pub unsafe extern "C" fn csdf_simulate_like(
    model: *const csdf_model,
    profile_utf8: *const c_char,
    seed: u64,
    dataset_dir_utf8: *const c_char,
    overwrite: i32,
    progress: csdf_progress_fn,
    user_data: *mut c_void,
) -> csdf_status {
    guard(|| {
        let m = &handle(model, "model")?.model;
        let name = super::text(profile_utf8, "profile")?;
        let profile = Profile::load(&resolve_profile(name, None)?)?;
        let dir = path(dataset_dir_utf8, "dataset_dir")?;
        let opts = SimulateOptions::from_profile(
            &profile,
            SimulateOptions {
                seed,
                ..SimulateOptions::default()
            },
        );
        opts.validate()?;
        simulate_cells(
            Cells::Model(m),
            &opts,
            &dir,
            overwrite != 0,
            &CProgress::new(progress, user_data),
        )?;
        Ok(())
    })
}
