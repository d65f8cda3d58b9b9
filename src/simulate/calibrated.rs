//! Simulation options from an acquisition profile (`simulate --profile`): the real data's
//! field, voxel size, frames, interval and cell count, its camera, PSF, SNR and contrast
//! ratio, bleaching, depth attenuation, background variation, brightness spread and texture.
//! The profile measures the camera image; where the simulator's parameter acts before the
//! blur or the camera (texture, background variation), it is inverted here
//! (docs/simulation.md, "Simulating like a profile").

use super::{Camera, SimulateOptions};
use crate::calibrate::Profile;

impl SimulateOptions {
    /// The options that reproduce `profile`, the rest from `base` (its model, seed,
    /// format and stain are kept).
    pub fn from_profile(profile: &Profile, base: SimulateOptions) -> SimulateOptions {
        let f = &profile.field;
        let cam = &profile.camera;
        let (sxy, sz) = (profile.blur.sigma_xy_um, profile.blur.sigma_z_um);
        let (grain, amplitude) = texture_before_blur(
            profile.texture.amplitude_relative,
            profile.texture.correlation_um,
            (sxy, sz),
            f.voxel_um.x.min(f.voxel_um.y),
        );
        // The background's slow part relative to its ADU mean, offset included; the
        // simulator's sin x cos field of amplitude v has standard deviation v / 2 of the
        // light above the offset.
        let bg = profile.background.mean_adu;
        let light = (bg - cam.offset_adu).max(1e-9 * bg.abs().max(1.0));
        let variation = (2.0 * profile.background.slow_sd_relative * bg / light).min(1.0);
        // Constant drift uniform in [-d, d] per axis has mean |step| d / 2.
        let drift = profile
            .cells
            .step_um_per_frame
            .map_or(base.drift_um, |s| (s[0] + s[1]).max(0.0));
        SimulateOptions {
            cells: profile.cells.first_frame.max(1),
            frames: f.frames,
            size_xyz: f.size_xyz,
            voxel_um: f.voxel_um,
            interval_s: f.frame_interval_s.or(base.interval_s),
            snr: profile.ctc.snr,
            contrast_ratio: Some(profile.ctc.contrast_ratio),
            background_adu: Some(profile.ctc.background_mean_adu),
            bleach_per_frame: profile.time.bleach_per_frame.max(0.0),
            drift_um: drift,
            texture_um: grain,
            texture_amplitude: amplitude,
            background_variation: variation,
            camera: Camera {
                read_noise: cam.read_noise_photons,
                gain: cam.gain_adu_per_photon,
                offset: cam.offset_adu,
            },
            psf_sigma_um: Some((sxy, sz)),
            brightness_log_sd: Some(profile.cells.brightness_log_sd),
            attenuation_per_um: profile.depth.attenuation_per_um,
            ..base
        }
    }
}

/// The texture before the blur (grain sigma um, relative amplitude) that the PSF (sigma
/// lateral, axial, um) turns into the measured one. White noise smoothed by a Gaussian of
/// sigma s has the autocorrelation exp(-d^2 / (4 s^2)); blurred by the PSF, s^2 becomes
/// s^2 + sigma^2 per axis, so s = sqrt(c^2 - sigma_xy^2) for the measured correlation
/// length c (at least half the pixel `pixel_um`, the finest grain a grid holds), and the
/// variance, inversely proportional to the product of the three widths, falls by
/// prod_axes s / sqrt(s^2 + sigma_a^2).
pub fn texture_before_blur(
    amplitude: f64,
    correlation_um: f64,
    (sigma_xy, sigma_z): (f64, f64),
    pixel_um: f64,
) -> (f64, f64) {
    let s = (correlation_um.powi(2) - sigma_xy.powi(2))
        .max(0.0)
        .sqrt()
        .max(0.5 * pixel_um);
    let keep = |sigma: f64| s / (s * s + sigma * sigma).sqrt();
    let var_kept = keep(sigma_xy) * keep(sigma_xy) * keep(sigma_z);
    (s, amplitude / var_kept.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Smoothing white noise twice by Gaussians is one smoothing by their quadrature sum;
    /// without blur the texture is unchanged.
    #[test]
    fn texture_inversion_undoes_the_blur() {
        let (s, a) = texture_before_blur(0.2, 0.5, (0.0, 0.0), 0.1);
        assert!((s - 0.5).abs() < 1e-12 && (a - 0.2).abs() < 1e-12);
        let (s, a) = texture_before_blur(0.2, 0.5, (0.3, 0.0), 0.1);
        assert!((s - 0.4).abs() < 1e-12);
        // Lateral widths 0.4 -> 0.5 on two axes: variance x (0.4 / 0.5)^2.
        assert!((a - 0.2 / 0.8).abs() < 1e-12, "{a}");
    }
}
