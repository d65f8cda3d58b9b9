//! Simulation options from an acquisition profile (`simulate --profile`): the real data's
//! field, voxel size, frames, interval and cell count, its camera, PSF, SNR and contrast
//! ratio, bleaching, depth attenuation, background variation, brightness spread and texture.
//! The profile measures the camera image; where the simulator's parameter acts before the
//! blur or the camera it is inverted: the background's variation here, the texture on the
//! first frame by [`solve_texture`] (docs/simulation.md, "Simulating like a profile").

use super::image::{self, Look};
use super::scene::Cell;
use super::{optics, Camera, SimulateOptions};
use crate::calibrate::{noise_free_texture, texture_interior, Profile};
use crate::units::VoxelSize;
use ndarray::Array3;
use rand_chacha::ChaCha8Rng;

impl SimulateOptions {
    /// The options that reproduce `profile`, the rest from `base` (its model, seed,
    /// format and stain are kept).
    pub fn from_profile(profile: &Profile, base: SimulateOptions) -> SimulateOptions {
        let f = &profile.field;
        let cam = &profile.camera;
        let (sxy, sz) = (profile.blur.sigma_xy_um, profile.blur.sigma_z_um);
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
            texture_measured: Some((
                profile.texture.amplitude_relative,
                profile.texture.correlation_um,
            )),
            background_variation: variation,
            camera: Camera {
                read_noise: cam.read_noise_photons,
                gain: cam.gain_adu_per_photon,
                offset: cam.offset_adu,
            },
            psf_sigma_um: Some((sxy, sz)),
            border_cells: true,
            brightness_log_sd: Some(profile.cells.brightness_log_sd),
            attenuation_per_um: profile.depth.attenuation_per_um,
            ..base
        }
    }
}

/// The texture grain (um) and amplitude that give the cells of the first frame, blurred by
/// `psf` (sigma lateral, axial, um), the texture `target` (relative amplitude, correlation
/// length um) as `calibrate` measures it. The correlation length grows with the grain, so
/// the grain is bisected (from a quarter pixel to four target lengths); the measured
/// variance is `a^2 T + M` in the amplitude a (M from the blurred edges, measured at a = 0),
/// so a follows in closed form. Every trial draws its white noise from a copy of `rng`, the
/// stream the final textures are drawn from.
pub(super) fn solve_texture(
    cells: &[Cell],
    look: (&[f32], super::Stain, VoxelSize),
    field: [usize; 3],
    psf: (f64, f64),
    target: (f64, f64),
    rng: &ChaCha8Rng,
) -> (f64, f64) {
    let (depth, stain, v) = look;
    if target.0 <= 0.0 || cells.is_empty() {
        return (0.0, 0.0);
    }
    let unit = vec![1f32; cells.len()];
    let zero = Array3::<f32>::zeros((field[0], field[1], field[2]));
    let mut interior = None;
    let mut measure = |grain: f64, amplitude: f32| {
        let mut r = rng.clone();
        let textures: Vec<_> = cells
            .iter()
            .map(|c| image::texture(c.dims(), v, grain, amplitude, &mut r))
            .collect();
        let look = Look {
            textures: &textures,
            brightness: &unit,
            stain,
            voxel: v,
            depth,
        };
        let (labels, mut object) = image::object(cells, &look, &zero, 1.0, 0);
        optics::blur(&mut object, v, psf);
        let labels = labels.mapv(u32::from);
        let inside = interior.get_or_insert_with(|| texture_interior(labels.view(), v, psf));
        noise_free_texture(object.view(), labels.view(), inside.view(), 0.0, v)
    };
    let pixel = v.x.min(v.y);
    let (mut lo, mut hi) = (0.25 * pixel, (4.0 * target.1).max(2.0 * pixel));
    if target.1 > 0.0 {
        for _ in 0..12 {
            let mid = (lo * hi).sqrt();
            if measure(mid, 1.0).1 < target.1 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
    } else {
        hi = lo;
    }
    let grain = (lo * hi).sqrt();
    let edges = measure(grain, 0.0).0.powi(2);
    let full = measure(grain, 1.0).0.powi(2);
    let a2 = (target.0.powi(2) - edges) / (full - edges).max(1e-12);
    (grain, a2.max(0.0).sqrt())
}
