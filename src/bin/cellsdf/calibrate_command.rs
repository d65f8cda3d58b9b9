//! `cellsdf calibrate`: the acquisition profile of a real image with its labels.

use super::with_progress;
use cellsdf::calibrate::CalibrateOptions;
use cellsdf::io::Axes;
use cellsdf::units::parse_voxel_size;
use cellsdf::workflow::calibrate_to_file;
use cellsdf::Result;
use std::path::PathBuf;

/// Options of `cellsdf calibrate` (defaults: `CalibrateOptions::default()`).
#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    /// The raw image: a hyperstack TIFF (3D or 3D+t, any number of slices), or a folder of
    /// one TIFF per frame (the CTC's 01/).
    raw: PathBuf,
    /// Its labels (0 background, one id per cell; ids kept over frames are tracks): a
    /// hyperstack of the same shape, or a folder of one TIFF per frame (01_GT/SEG/),
    /// matched to the raw frames by the number in their names.
    #[arg(long)]
    labels: PathBuf,
    /// The profile (JSON) to write.
    #[arg(long)]
    out: PathBuf,
    /// Voxel size X,Y,Z (or one value) in um [default: the files' calibration].
    #[arg(long)]
    voxel_um: Option<String>,
    /// Seconds between frames [default: the files' calibration].
    #[arg(long)]
    interval_s: Option<f64>,
}

pub fn run(args: &CalibrateArgs, axes: Option<Axes>, quiet: bool, overwrite: bool) -> Result<()> {
    let opts = CalibrateOptions {
        voxel_um: args.voxel_um.as_deref().map(parse_voxel_size).transpose()?,
        frame_interval_s: args.interval_s,
    };
    let profile = with_progress(quiet, "calibrate", false, |report| {
        calibrate_to_file(
            (&args.raw, &args.labels),
            axes,
            &opts,
            &args.out,
            overwrite,
            report,
        )
    })?;
    let c = &profile.camera;
    println!(
        "{} frames of {:?} voxels: gain {:.3} ADU/photon, offset {:.1} ADU, read noise {:.2} photons; \
         PSF sigma {:.3} x {:.3} um; SNR {:.2}, CR {:.2}; {:.1} cells per frame; wrote {}",
        profile.field.frames,
        profile.field.size_xyz,
        c.gain_adu_per_photon,
        c.offset_adu,
        c.read_noise_photons,
        profile.blur.sigma_xy_um,
        profile.blur.sigma_z_um,
        profile.ctc.snr,
        profile.ctc.contrast_ratio,
        profile.cells.per_frame,
        args.out.display()
    );
    for n in &profile.notes {
        println!("note: {n}");
    }
    Ok(())
}
