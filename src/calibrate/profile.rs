//! The acquisition profile: what `cellsdf calibrate` measures on a real image with its labels
//! and what `cellsdf simulate --profile` reproduces. Plain JSON a person can read and edit;
//! every field name carries its unit (`_um`, `_s`, `_adu`, `_photons`, `_per_frame`, ...).
//! docs/simulation.md defines each value with its equation.

use crate::error::{Error, Result};
use crate::units::VoxelSize;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Format name in every profile file.
pub const PROFILE_FORMAT: &str = "cellsdf-acquisition-profile";

/// The acquisition profile of one image (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub format: String,
    pub version: u32,
    /// The files it was measured on (as given).
    pub source: Source,
    pub field: Field,
    pub pixels: Pixels,
    pub camera: CameraFit,
    pub background: Background,
    pub blur: Blur,
    pub depth: Depth,
    pub time: Time,
    pub cells: CellStats,
    pub texture: Texture,
    /// The Cell Tracking Challenge's measures on the first frame (foreground = labelled).
    pub ctc: Ctc,
    /// What could not be measured and what was assumed instead.
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub raw: String,
    pub labels: String,
}

/// The field: size (x, y, z) in voxels, frames, voxel size (um), frame interval (s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub size_xyz: [usize; 3],
    pub frames: usize,
    pub voxel_um: VoxelSize,
    pub frame_interval_s: Option<f64>,
}

/// Pixel type and range: numpy's dtype name, its bits, the darkest and brightest values
/// seen, and the fraction of pixels at the type's maximum (saturated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pixels {
    pub dtype: String,
    pub bit_depth: u32,
    pub min_adu: f64,
    pub max_adu: f64,
    pub saturated_fraction: f64,
}

/// The camera, from photon transfer: noise variance = `noise_slope` x mean +
/// `noise_intercept_adu2`; the gain (ADU per photon), offset (ADU of no light) and read noise
/// (photons) of the camera with that curve, the least read noise and no negative offset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraFit {
    pub gain_adu_per_photon: f64,
    pub offset_adu: f64,
    pub read_noise_photons: f64,
    pub noise_slope: f64,
    pub noise_intercept_adu2: f64,
    /// Pixels with a flat 3 x 3 neighbourhood, and the mean bins, the curve was fitted
    /// through.
    pub samples: u64,
    pub bins: usize,
}

/// The background (voxels farther than 1.5 um from every labelled voxel): mean and
/// standard deviation (ADU, first frame), and the relative standard deviation of its slow
/// variation (16 x 16-pixel block means about each slice's mean, noise removed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Background {
    pub mean_adu: f64,
    pub sd_adu: f64,
    pub slow_sd_relative: f64,
}

/// Gaussian PSF standard deviations (um) and their FWHM (2 sqrt(2 ln 2) sigma).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blur {
    pub sigma_xy_um: f64,
    pub sigma_z_um: f64,
    pub fwhm_xy_um: f64,
    pub fwhm_z_um: f64,
}

/// Cell signal against depth: signal(z) ~ exp(-attenuation_per_um z), z from the first slice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Depth {
    pub attenuation_per_um: f64,
}

/// Cell signal against time: signal(t) ~ exp(-bleach_per_frame t).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Time {
    pub bleach_per_frame: f64,
}

/// The cells: how many in the first frame, per frame and per 1000 um^3 of field, their mean volume, the spread
/// of their brightness (signal over background, relative to the frame's mean: coefficient
/// of variation and sd of its logarithm) and, for tracked labels, their motion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellStats {
    pub first_frame: usize,
    pub per_frame: f64,
    pub per_1000_um3: f64,
    pub mean_volume_um3: f64,
    pub brightness_cv: f64,
    pub brightness_log_sd: f64,
    /// Mean |centroid step| per frame on x, y, z (um) of labels present in consecutive
    /// frames; None with one frame or no label kept.
    pub step_um_per_frame: Option<[f64; 3]>,
}

/// The cells' interior texture (voxels deeper than the blur's reach): standard deviation
/// relative to the cell's signal with the noise removed, and its correlation length along x
/// (um): the sigma of a Gaussian smoothing white noise into the measured autocorrelation,
/// rho(d) = exp(-d^2 / (4 sigma^2)). `autocorrelation` holds rho at 1, 2, ... voxels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Texture {
    pub amplitude_relative: f64,
    pub correlation_um: f64,
    pub autocorrelation: Vec<f64>,
}

/// SNR = |mean fg - mean bg| / sd bg and CR = mean fg / mean bg (the CTC's definitions),
/// with the means and the standard deviation (ADU) they come from: foreground the labelled
/// voxels, background all the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ctc {
    pub snr: f64,
    pub contrast_ratio: f64,
    pub foreground_mean_adu: f64,
    pub background_mean_adu: f64,
    pub background_sd_adu: f64,
}

impl Profile {
    /// Reads and checks a profile file; every error names the file and the field.
    pub fn load(path: &Path) -> Result<Profile> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.len() > 16 << 20 {
            return Err(Error::format(path, "larger than 16 MB: not a profile"));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let p: Profile = serde_json::from_slice(&bytes)
            .map_err(|e| Error::format(path, format!("not an acquisition profile: {e}")))?;
        p.validate()
            .map_err(|e| Error::format(path, e.to_string()))?;
        Ok(p)
    }

    /// Checks every value for its range (finite, positive where it must be, CR >= 1, ...).
    pub fn validate(&self) -> Result<()> {
        if self.format != PROFILE_FORMAT || self.version != 1 {
            return Err(Error::invalid(
                "format",
                format!(
                    "is {:?} version {}, expected {PROFILE_FORMAT:?} version 1",
                    self.format, self.version
                ),
            ));
        }
        let f = &self.field;
        if f.frames == 0 || f.size_xyz.contains(&0) {
            return Err(Error::invalid(
                "field",
                "needs at least one voxel and frame",
            ));
        }
        f.voxel_um.validate("field.voxel_um")?;
        let check = |name: &str, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && v >= lo && v <= hi {
                Ok(())
            } else {
                Err(Error::invalid(
                    name,
                    format!("is {v}, must be a number from {lo} to {hi}"),
                ))
            }
        };
        if let Some(dt) = f.frame_interval_s {
            check("field.frame_interval_s", dt, 1e-9, 1e9)?;
        }
        let c = &self.camera;
        check(
            "camera.gain_adu_per_photon",
            c.gain_adu_per_photon,
            1e-9,
            1e9,
        )?;
        check("camera.offset_adu", c.offset_adu, 0.0, 1e12)?;
        check("camera.read_noise_photons", c.read_noise_photons, 0.0, 1e9)?;
        check("background.mean_adu", self.background.mean_adu, 0.0, 1e12)?;
        check("background.sd_adu", self.background.sd_adu, 0.0, 1e12)?;
        check(
            "background.slow_sd_relative",
            self.background.slow_sd_relative,
            0.0,
            1.0,
        )?;
        check("blur.sigma_xy_um", self.blur.sigma_xy_um, 0.0, 100.0)?;
        check("blur.sigma_z_um", self.blur.sigma_z_um, 0.0, 1000.0)?;
        check(
            "depth.attenuation_per_um",
            self.depth.attenuation_per_um,
            -10.0,
            10.0,
        )?;
        check(
            "time.bleach_per_frame",
            self.time.bleach_per_frame,
            -1.0,
            10.0,
        )?;
        check("cells.per_frame", self.cells.per_frame, 0.0, 1e6)?;
        check(
            "cells.brightness_log_sd",
            self.cells.brightness_log_sd,
            0.0,
            5.0,
        )?;
        check(
            "texture.amplitude_relative",
            self.texture.amplitude_relative,
            0.0,
            10.0,
        )?;
        check(
            "texture.correlation_um",
            self.texture.correlation_um,
            0.0,
            100.0,
        )?;
        check("ctc.snr", self.ctc.snr, 0.0, 1e6)?;
        check("ctc.contrast_ratio", self.ctc.contrast_ratio, 1.0, 1e6)?;
        check(
            "ctc.background_mean_adu",
            self.ctc.background_mean_adu,
            0.0,
            1e12,
        )?;
        check(
            "ctc.foreground_mean_adu",
            self.ctc.foreground_mean_adu,
            0.0,
            1e12,
        )?;
        check(
            "ctc.background_sd_adu",
            self.ctc.background_sd_adu,
            0.0,
            1e12,
        )?;
        Ok(())
    }

    /// The profile as pretty JSON (what `cellsdf calibrate` writes, byte for byte).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a profile serialises");
        s.push('\n');
        s
    }
}
