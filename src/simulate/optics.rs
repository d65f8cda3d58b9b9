//! The microscope's blur: a Gaussian approximation of the point spread function (Zhang,
//! Zerubia and Olivo-Marin, Applied Optics 46:1819, 2007) applied by FFT convolution
//! (`realfft`), one axis at a time (the Gaussian is separable).
//!
//! Units: wavelengths in nm, sigmas and FWHMs in um; volumes are [z, y, x] float32 owned by
//! the caller and blurred in place.

use ndarray::{Array3, Axis};
use rayon::prelude::*;
use realfft::RealFftPlanner;
use serde::{Deserialize, Serialize};

/// Full width at half maximum of a Gaussian of standard deviation 1: 2 sqrt(2 ln 2).
pub const FWHM_PER_SIGMA: f64 = 2.354_820_045_030_949;

/// Which microscope forms the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Microscope {
    /// Widefield epifluorescence.
    Widefield,
    /// Point-scanning confocal with a small pinhole.
    Confocal,
}

/// The optics: numerical aperture, emission wavelength (nm), immersion refractive index.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Optics {
    pub microscope: Microscope,
    pub na: f64,
    pub wavelength_nm: f64,
    pub refractive_index: f64,
}

impl Optics {
    /// Standard deviations (lateral, axial) of the Gaussian PSF in um. Widefield:
    /// sigma_xy = 0.21 lambda / NA, sigma_z = 0.66 lambda n / NA^2 (Zhang et al. 2007,
    /// paraxial fits). Confocal: the product of excitation and detection PSFs at about the
    /// same wavelength, a Gaussian narrower by sqrt 2 on every axis.
    pub fn sigma_um(&self) -> (f64, f64) {
        let l = self.wavelength_nm * 1e-3;
        let xy = 0.21 * l / self.na;
        let z = 0.66 * l * self.refractive_index / (self.na * self.na);
        match self.microscope {
            Microscope::Widefield => (xy, z),
            Microscope::Confocal => (xy / 2f64.sqrt(), z / 2f64.sqrt()),
        }
    }

    /// Checks the values (NA below the immersion index, positive wavelength).
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |n: &str, m: &str| Err(crate::Error::invalid(n, m));
        if !(self.refractive_index.is_finite() && (1.0..=2.5).contains(&self.refractive_index)) {
            return bad(
                "refractive-index",
                "must be 1 to 2.5 (air 1, water 1.33, oil 1.52)",
            );
        }
        if !(self.na.is_finite() && self.na >= 0.01 && self.na < self.refractive_index) {
            return bad("na", "must be at least 0.01 and below the refractive index");
        }
        if !(self.wavelength_nm.is_finite() && (200.0..=2000.0).contains(&self.wavelength_nm)) {
            return bad("wavelength-nm", "must be 200 to 2000 nm");
        }
        Ok(())
    }
}

/// A sampled, normalised 1D Gaussian of `sigma` samples, as a circular kernel of length
/// `len` (centre at index 0, negative offsets wrapped to the end).
fn circular_kernel(sigma: f64, radius: usize, len: usize) -> Vec<f32> {
    let mut k = vec![0f32; len];
    let mut sum = 0f64;
    for d in -(radius as i64)..=radius as i64 {
        let w = (-0.5 * (d as f64 / sigma).powi(2)).exp();
        sum += w;
        k[d.rem_euclid(len as i64) as usize] = w as f32;
    }
    k.iter_mut().for_each(|v| *v = (*v as f64 / sum) as f32);
    k
}

/// Convolves every line of `volume` along `axis` with a Gaussian of `sigma` samples by FFT;
/// lines are extended by mirroring at both ends (no dark borders, no wrap-around).
fn blur_axis(volume: &mut Array3<f32>, axis: usize, sigma: f64) {
    let n = volume.len_of(Axis(axis));
    if sigma < 1e-3 || n < 2 {
        return;
    }
    // A Gaussian wider than the line blurs it to nearly its mean: the kernel reaches at
    // most four line lengths (mirrored), so any sigma takes bounded memory and time.
    let radius = ((4.0 * sigma).ceil() as usize).min(4 * n);
    let len = n + 2 * radius;
    let mut planner = RealFftPlanner::<f32>::new();
    let forward = planner.plan_fft_forward(len);
    let inverse = planner.plan_fft_inverse(len);
    let mut kernel = circular_kernel(sigma, radius, len);
    let mut transfer = forward.make_output_vec();
    forward
        .process(&mut kernel, &mut transfer)
        .expect("buffer sizes from the plan");
    let scale = 1.0 / len as f32;
    let mirror = |i: i64| -> usize {
        // Reflect about the ends: -1 -> 0, n -> n - 1 (period 2n).
        let p = i.rem_euclid(2 * n as i64);
        (if p < n as i64 {
            p
        } else {
            2 * n as i64 - 1 - p
        }) as usize
    };
    volume
        .lanes_mut(Axis(axis))
        .into_iter()
        .par_bridge()
        .for_each_init(
            || {
                (
                    forward.make_input_vec(),
                    forward.make_output_vec(),
                    forward.make_scratch_vec(),
                    inverse.make_scratch_vec(),
                )
            },
            |(line, spectrum, fs, is), mut lane| {
                for (j, v) in line.iter_mut().enumerate() {
                    *v = lane[mirror(j as i64 - radius as i64)];
                }
                forward
                    .process_with_scratch(line, spectrum, fs)
                    .expect("buffer sizes from the plan");
                for (s, t) in spectrum.iter_mut().zip(&transfer) {
                    *s *= *t;
                }
                // A real signal's spectrum: the first (and, for an even length, the last)
                // value is real; rounding must not say otherwise to the inverse transform.
                spectrum[0].im = 0.0;
                if len.is_multiple_of(2) {
                    spectrum[len / 2].im = 0.0;
                }
                inverse
                    .process_with_scratch(spectrum, line, is)
                    .expect("buffer sizes from the plan");
                for (i, v) in lane.iter_mut().enumerate() {
                    *v = line[i + radius] * scale;
                }
            },
        );
}

/// Blurs `volume` ([z, y, x], voxels of `voxel_um` (x, y, z)) with the Gaussian PSF of
/// sigmas `sigma_um` (lateral, axial).
pub fn blur(volume: &mut Array3<f32>, voxel_um: crate::VoxelSize, sigma_um: (f64, f64)) {
    blur_axis(volume, 0, sigma_um.1 / voxel_um.z);
    blur_axis(volume, 1, sigma_um.0 / voxel_um.y);
    blur_axis(volume, 2, sigma_um.0 / voxel_um.x);
}
