//! `cellsdf simulate`: a benchmark dataset in the Cell Tracking Challenge layout.

use super::{load_model, parse_code_source, with_progress};
use cellsdf::calibrate::Profile;
use cellsdf::simulate::{
    phantom_files, simulate, simulate_cells, Cells, Microscope, SimulateOptions, Stain,
};
use cellsdf::units::{parse_grid_size, parse_voxel_size};
use cellsdf::workflow::{resolve_model, resolve_profile};
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
    /// An acquisition profile (`cellsdf calibrate` output), or the name of a bundled one
    /// (cells3d-nuclei): the field, voxel size, frames, interval, cell count, camera, PSF,
    /// SNR, contrast ratio, bleaching, depth attenuation, background, brightness spread and
    /// texture of that acquisition; the flags below override single values.
    #[arg(long)]
    profile: Option<String>,
    /// Cells in the field [default: the profile's, else 3].
    #[arg(long)]
    cells: Option<usize>,
    /// Frames [default: the profile's, else 20].
    #[arg(long)]
    frames: Option<usize>,
    /// Field X,Y,Z in voxels [default: the profile's, else 128,128,48].
    #[arg(long)]
    size: Option<String>,
    /// Voxel size X,Y,Z (or one value) in um [default: the profile's, else 0.2,0.2,0.4].
    #[arg(long)]
    voxel_um: Option<String>,
    /// Seconds between frames [default: the model's, its duration spread over the frames].
    #[arg(long)]
    interval_s: Option<f64>,
    /// widefield or confocal (Gaussian PSF from NA, wavelength, refractive index; any of
    /// these four replaces a profile's measured PSF) [default: widefield].
    #[arg(long)]
    microscope: Option<String>,
    /// Numerical aperture [default: 1.2].
    #[arg(long)]
    na: Option<f64>,
    /// Emission wavelength, nm [default: 520].
    #[arg(long)]
    wavelength_nm: Option<f64>,
    /// Refractive index of the immersion medium [default: 1.33].
    #[arg(long)]
    refractive_index: Option<f64>,
    /// Signal-to-noise ratio of the first frame, as the Cell Tracking Challenge defines it
    /// [default: 10; with a profile, the SNR its camera and background level give].
    #[arg(long)]
    snr: Option<f64>,
    /// Noise-free cell / background intensity ratio (instead of a profile's contrast
    /// ratio) [default: 3].
    #[arg(long, conflicts_with = "contrast_ratio")]
    contrast: Option<f64>,
    /// Contrast ratio of the first frame as the Cell Tracking Challenge defines it (mean
    /// foreground / mean background of the written image); the cells' brightness is
    /// solved for it (instead of --contrast) [default: the profile's].
    #[arg(long)]
    contrast_ratio: Option<f64>,
    /// Photobleaching: fraction of the signal lost per frame (exp(-rate t)) [default: the
    /// profile's, else 0.01].
    #[arg(long)]
    bleach: Option<f64>,
    /// Largest drift of a cell per frame, um on each axis [default: from the profile's
    /// tracked motion, else 0.05].
    #[arg(long)]
    drift_um: Option<f64>,
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

/// The options of `a`: a flag given wins, then the profile's value, then the library's
/// default.
fn options(a: &SimulateArgs) -> Result<SimulateOptions> {
    let mut opts = SimulateOptions::default();
    if let Some(name) = &a.profile {
        let path = resolve_profile(name, None)?;
        opts = SimulateOptions::from_profile(&Profile::load(&path)?, opts);
    }
    let optics = &mut opts.optics;
    if let Some(m) = &a.microscope {
        optics.microscope = match m.as_str() {
            "widefield" => Microscope::Widefield,
            "confocal" => Microscope::Confocal,
            other => {
                return Err(Error::invalid(
                    "microscope",
                    format!("{other:?} is not widefield or confocal"),
                ))
            }
        };
    }
    set(&mut optics.na, a.na);
    set(&mut optics.wavelength_nm, a.wavelength_nm);
    set(&mut optics.refractive_index, a.refractive_index);
    if a.microscope.is_some()
        || a.na.is_some()
        || a.wavelength_nm.is_some()
        || a.refractive_index.is_some()
    {
        opts.psf_sigma_um = None;
    }
    set(&mut opts.cells, a.cells);
    set(&mut opts.frames, a.frames);
    if let Some(s) = &a.size {
        opts.size_xyz = parse_grid_size(s)?;
    }
    if let Some(v) = &a.voxel_um {
        opts.voxel_um = parse_voxel_size(v)?;
    }
    if a.interval_s.is_some() {
        opts.interval_s = a.interval_s;
    }
    if a.snr.is_some() {
        opts.snr = a.snr.unwrap_or(opts.snr);
        opts.background_adu = None;
    }
    if let Some(c) = a.contrast {
        opts.contrast = c;
        opts.contrast_ratio = None;
    }
    if a.contrast_ratio.is_some() {
        opts.contrast_ratio = a.contrast_ratio;
    }
    set(&mut opts.bleach_per_frame, a.bleach);
    set(&mut opts.drift_um, a.drift_um);
    opts.stain = Stain {
        rim_um: a.rim_um,
        rim_gain: a.rim_gain,
    };
    opts.projection = a.projection;
    opts.format = a.format.parse()?;
    opts.zarr =
        cellsdf::io::OmeZarrLayout::with_chunk(cellsdf::units::parse_zyx_chunk(&a.zarr_chunk)?)?;
    opts.codes = parse_code_source(&a.codes, &a.sizes)?;
    opts.seed = a.seed;
    Ok(opts)
}

fn set<T: Copy>(slot: &mut T, flag: Option<T>) {
    if let Some(v) = flag {
        *slot = v;
    }
}

/// Runs the command.
pub fn run(a: &SimulateArgs, quiet: bool, overwrite: bool) -> Result<()> {
    let opts = options(a)?;
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
