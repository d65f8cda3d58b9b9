//! `cellsdf simulate`: a benchmark dataset in the Cell Tracking Challenge layout.

use super::{load_model, parse_code_source, with_progress};
use cellsdf::simulate::{
    phantom_files, simulate, simulate_cells, Cells, Microscope, Optics, SimulateOptions, Stain,
};
use cellsdf::units::{parse_grid_size, parse_voxel_size};
use cellsdf::workflow::resolve_model;
use cellsdf::{Error, Result};
use std::path::PathBuf;

/// Options of `cellsdf simulate` (defaults: `SimulateOptions::default()`).
#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// Trained model (.safetensors), or `dividing` / `filopodial` for a bundled one.
    #[arg(long, default_value = "dividing")]
    model: String,
    /// Instead of a model's new cells: calibrated label sequences (e.g. `cellsdf phantom`
    /// output), one cell per .tif in this folder, used in turn and resampled to the field's
    /// voxels and frames.
    #[arg(long, conflicts_with = "codes")]
    phantoms: Option<PathBuf>,
    /// Dataset folder (01/, 01_GT/, manifest.json, preview.png and with --projection
    /// projection/ are written into it).
    #[arg(long)]
    out: PathBuf,
    /// Cells in the field.
    #[arg(long, default_value_t = 3)]
    cells: usize,
    #[arg(long, default_value_t = 20)]
    frames: usize,
    /// Field X,Y,Z in voxels.
    #[arg(long, default_value = "128,128,48")]
    size: String,
    /// Voxel size X,Y,Z (or one value) in um.
    #[arg(long, default_value = "0.2,0.2,0.4")]
    voxel_um: String,
    /// Seconds between frames [default: the model's, its duration spread over the frames].
    #[arg(long)]
    interval_s: Option<f64>,
    /// widefield or confocal (Gaussian PSF from NA, wavelength, refractive index).
    #[arg(long, default_value = "widefield")]
    microscope: String,
    #[arg(long, default_value_t = 1.2)]
    na: f64,
    /// Emission wavelength, nm.
    #[arg(long, default_value_t = 520.0)]
    wavelength_nm: f64,
    /// Refractive index of the immersion medium.
    #[arg(long, default_value_t = 1.33)]
    refractive_index: f64,
    /// Signal-to-noise ratio of the first frame, as the Cell Tracking Challenge defines it.
    #[arg(long, default_value_t = 10.0)]
    snr: f64,
    /// Noise-free cell / background intensity ratio.
    #[arg(long, default_value_t = 3.0, conflicts_with = "contrast_ratio")]
    contrast: f64,
    /// Contrast ratio of the first frame as the Cell Tracking Challenge defines it (mean
    /// foreground / mean background of the written image); the cells' brightness is
    /// solved for it (instead of --contrast).
    #[arg(long)]
    contrast_ratio: Option<f64>,
    /// Photobleaching: fraction of the signal lost per frame (exp(-rate t)).
    #[arg(long, default_value_t = 0.01)]
    bleach: f64,
    /// Largest drift of a cell per frame, um on each axis.
    #[arg(long, default_value_t = 0.05)]
    drift_um: f64,
    /// Rim of the stain, um: the cells' voxels this close to their surface get --rim-gain.
    #[arg(long, default_value_t = 0.4)]
    rim_um: f64,
    /// Extra brightness of the rim (0: a uniform stain; e.g. 3 for a membrane stain).
    #[arg(long, default_value_t = 0.0)]
    rim_gain: f64,
    /// Also write the 2D+t maximum projections along z as a CTC dataset in OUT/projection
    /// (cells then never share an x-y column).
    #[arg(long)]
    projection: bool,
    /// tiff (the CTC layout) or ome-zarr (01.ome.zarr: the raw image with the ground truth
    /// as labels, NGFF 0.5; tracks in 01_man_track.txt).
    #[arg(long, default_value = "tiff")]
    format: String,
    /// OME-Zarr chunk size Z,Y,X in voxels (one frame per chunk in t).
    #[arg(long, default_value = "64,64,64")]
    zarr_chunk: String,
    /// How new codes are drawn (as `synth --codes`).
    #[arg(long, default_value = "neighbours")]
    codes: String,
    /// How new cells get their size (as `synth --sizes`).
    #[arg(long, default_value = "training")]
    sizes: String,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Runs the command.
pub fn run(a: &SimulateArgs, quiet: bool, overwrite: bool) -> Result<()> {
    let microscope = match a.microscope.as_str() {
        "widefield" => Microscope::Widefield,
        "confocal" => Microscope::Confocal,
        other => {
            return Err(Error::invalid(
                "microscope",
                format!("{other:?} is not widefield or confocal"),
            ))
        }
    };
    let opts = SimulateOptions {
        cells: a.cells,
        frames: a.frames,
        size_xyz: parse_grid_size(&a.size)?,
        voxel_um: parse_voxel_size(&a.voxel_um)?,
        interval_s: a.interval_s,
        optics: Optics {
            microscope,
            na: a.na,
            wavelength_nm: a.wavelength_nm,
            refractive_index: a.refractive_index,
        },
        snr: a.snr,
        contrast: a.contrast,
        contrast_ratio: a.contrast_ratio,
        bleach_per_frame: a.bleach,
        drift_um: a.drift_um,
        stain: Stain {
            rim_um: a.rim_um,
            rim_gain: a.rim_gain,
        },
        projection: a.projection,
        format: a.format.parse()?,
        zarr: cellsdf::io::OmeZarrLayout::with_chunk(cellsdf::units::parse_zyx_chunk(
            &a.zarr_chunk,
        )?)?,
        codes: parse_code_source(&a.codes, &a.sizes)?,
        seed: a.seed,
        ..SimulateOptions::default()
    };
    opts.validate()?;
    let sim = match &a.phantoms {
        Some(dir) => {
            let files = phantom_files(dir)?;
            with_progress(quiet, "simulate", false, |report| {
                simulate_cells(Cells::Files(&files), &opts, &a.out, overwrite, report)
            })?
        }
        None => {
            let model = load_model(&resolve_model(&a.model, None)?, "cpu")?;
            with_progress(quiet, "simulate", false, |report| {
                simulate(&model, &opts, &a.out, overwrite, report)
            })?
        }
    };
    let first = sim.frames.first().copied();
    println!(
        "wrote {} frames with {} tracks to {} (PSF FWHM {:.3} x {:.3} um; first frame SNR {:.2}, CR {:.2})",
        sim.frames.len(),
        sim.tracks.len(),
        a.out.display(),
        sim.psf_fwhm_um.0,
        sim.psf_fwhm_um.1,
        first.map_or(f64::NAN, |f| f.snr),
        first.map_or(f64::NAN, |f| f.contrast_ratio),
    );
    Ok(())
}
