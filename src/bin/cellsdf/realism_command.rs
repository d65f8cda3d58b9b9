//! `cellsdf realism`: a real acquisition beside a simulated one.

use super::with_progress;
use cellsdf::calibrate::CalibrateOptions;
use cellsdf::io::Axes;
use cellsdf::units::parse_voxel_size;
use cellsdf::workflow::realism_report;
use cellsdf::{Error, Result};
use std::path::{Path, PathBuf};

/// Options of `cellsdf realism`.
#[derive(clap::Args, Debug)]
pub struct RealismArgs {
    /// The real raw image (hyperstack TIFF, or a folder of one TIFF per frame).
    real: PathBuf,
    /// Its labels (as `calibrate --labels`).
    #[arg(long)]
    labels: PathBuf,
    /// The simulated data: a `cellsdf simulate` dataset folder (its 01/ and 01_GT/SEG/), or
    /// a raw image with --simulated-labels.
    #[arg(long)]
    simulated: PathBuf,
    /// The simulated labels [default: SIMULATED/01_GT/SEG with SIMULATED/01].
    #[arg(long)]
    simulated_labels: Option<PathBuf>,
    /// Folder for realism.html, realism.png and both profiles.
    #[arg(long)]
    out: PathBuf,
    /// Voxel size X,Y,Z (or one value) in um of the real image [default: its calibration].
    #[arg(long)]
    voxel_um: Option<String>,
}

pub fn run(a: &RealismArgs, axes: Option<Axes>, quiet: bool, overwrite: bool) -> Result<()> {
    let (sim_raw, sim_labels) = match &a.simulated_labels {
        Some(l) => (a.simulated.clone(), l.clone()),
        None => {
            let (r, l) = (
                a.simulated.join("01"),
                a.simulated.join("01_GT").join("SEG"),
            );
            if !(r.is_dir() && l.is_dir()) {
                return Err(Error::invalid(
                    "simulated",
                    format!(
                        "{} is not a simulate dataset (01/ and 01_GT/SEG/): give \
                         --simulated-labels",
                        a.simulated.display()
                    ),
                ));
            }
            (r, l)
        }
    };
    let opts = CalibrateOptions {
        voxel_um: a.voxel_um.as_deref().map(parse_voxel_size).transpose()?,
        frame_interval_s: None,
    };
    let report = with_progress(quiet, "realism", false, |progress| {
        realism_report(
            (&a.real, &a.labels),
            (&sim_raw, &sim_labels),
            axes,
            &opts,
            &a.out,
            overwrite,
            progress,
        )
    })?;
    let misses = report
        .rows
        .iter()
        .filter(|r| r.relative_difference.is_some_and(|d| d.abs() > 0.1))
        .count();
    println!(
        "foreground KS distance {:.3}, background {:.3}; {misses} of {} profile values differ \
         by more than 10 %; wrote {}",
        report.foreground_ks,
        report.background_ks,
        report.rows.len(),
        Path::new(&a.out).join("realism.html").display()
    );
    Ok(())
}
