//! Image formation of one frame: the noise-free object (cell texture, photobleaching, a
//! slowly varying background) blurred by the PSF, then photon shot noise, read noise,
//! gain and offset, quantised to uint16 (docs/simulation.md has the equations).
//!
//! Arrays are [z, y, x]. Noise-free intensities are in relative units (background 1);
//! `photons_per_unit` converts them to detected photons.

use super::scene::Cell;
use crate::VoxelSize;
use ndarray::{Array3, Axis, Zip};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Poisson};
use rayon::prelude::*;
use serde::Serialize;

/// Camera model: read noise (photons, standard deviation), gain (ADU per photon), offset
/// (ADU).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Camera {
    pub read_noise: f64,
    pub gain: f64,
    pub offset: f64,
}

impl Default for Camera {
    fn default() -> Self {
        Camera {
            read_noise: 2.0,
            gain: 1.0,
            offset: 100.0,
        }
    }
}

/// How the cells are stained: uniformly (a cytoplasm or nuclear stain), plus, with
/// `rim_gain` > 0, a rim (the cell's voxels within `rim_um` of its outside) `1 + rim_gain`
/// times brighter (a membrane or cortex stain). The rim follows the cell's outer surface,
/// not the plane between two daughters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stain {
    pub rim_um: f64,
    pub rim_gain: f64,
}

impl Default for Stain {
    fn default() -> Self {
        Stain {
            rim_um: 0.4,
            rim_gain: 0.0,
        }
    }
}

/// Per voxel of a cell's box (`slots`, [z, y, x], voxel size `voxel`), the stain's
/// brightness factor: `1 + rim_gain` on the rim, 1 elsewhere.
fn rim_factor(slots: &Array3<u8>, voxel: VoxelSize, stain: Stain) -> Option<Array3<f32>> {
    if stain.rim_gain <= 0.0 {
        return None;
    }
    let h = voxel.zyx();
    let half = 0.5 * voxel.z.min(voxel.y).min(voxel.x);
    let depth = crate::sdf::distance(slots.view(), h, |&s| s == 0);
    Some(depth.mapv(|d| {
        if d - half <= stain.rim_um {
            (1.0 + stain.rim_gain) as f32
        } else {
            1.0
        }
    }))
}

/// The look of the cells: per cell its texture and brightness, and the stain.
pub(crate) struct Look<'a> {
    pub textures: &'a [Array3<f32>],
    pub brightness: &'a [f32],
    pub stain: Stain,
    pub voxel: VoxelSize,
    /// The signal's factor per slice of the field (depth attenuation).
    pub depth: &'a [f32],
}

/// Each cell's brightness factor: lognormal of mean 1 and log standard deviation `log_sd`,
/// or (None) uniform in 0.8 to 1.2.
pub(crate) fn brightness_units(n: usize, log_sd: Option<f64>, rng: &mut ChaCha8Rng) -> Vec<f64> {
    match log_sd {
        None => (0..n).map(|_| rng.random_range(0.8..1.2)).collect(),
        Some(s) => {
            let normal = Normal::new(0.0, 1.0).expect("unit normal");
            (0..n)
                .map(|_| (s * normal.sample(rng) - 0.5 * s * s).exp())
                .collect()
        }
    }
}

/// The signal's factor exp(-attenuation z) for each of `slices` slices `dz_um` apart.
pub(crate) fn depth_gain(slices: usize, dz_um: f64, attenuation_per_um: f64) -> Vec<f32> {
    (0..slices)
        .map(|z| (-attenuation_per_um * z as f64 * dz_um).exp() as f32)
        .collect()
}

/// The noise-free labels and intensities of frame `t`: labels (uint16 track labels) and
/// the object (background plus cells, dimmed by `bleach`) before blurring.
pub(crate) fn object(
    cells: &[Cell],
    look: &Look,
    background: &Array3<f32>,
    bleach: f32,
    t: usize,
) -> (Array3<u16>, Array3<f32>) {
    let mut labels = Array3::<u16>::zeros(background.dim());
    let mut object = background.clone();
    let (nz, ny, nx) = background.dim();
    for (k, c) in cells.iter().enumerate() {
        let slots = &c.slots[t];
        let rim = rim_factor(slots, look.voxel, look.stain);
        for ((z, y, x), &s) in slots.indexed_iter() {
            if s != 0 {
                let Some(at) = c.at(t, (z, y, x), [nz, ny, nx]) else {
                    continue; // cut by the field's border
                };
                let stain = rim.as_ref().map_or(1.0, |r| r[[z, y, x]]);
                labels[at] = c.labels[s as usize - 1] as u16;
                object[at] += look.brightness[k]
                    * (1.0 + look.textures[k][[z, y, x]])
                    * stain
                    * bleach
                    * look.depth[at[0]];
            }
        }
    }
    (labels, object)
}

/// A cell's texture: band-limited noise (white noise smoothed by a Gaussian of `grain_um`),
/// zero mean, standard deviation `amplitude`, fixed to the cell's box.
pub(crate) fn texture(
    dims: [usize; 3],
    voxel: VoxelSize,
    grain_um: f64,
    amplitude: f32,
    rng: &mut ChaCha8Rng,
) -> Array3<f32> {
    let normal = Normal::new(0f32, 1.0).expect("unit normal");
    let white = Array3::from_shape_simple_fn((dims[0], dims[1], dims[2]), || normal.sample(rng));
    let smooth = crate::volume::gaussian(
        white.view(),
        [grain_um / voxel.z, grain_um / voxel.y, grain_um / voxel.x],
    );
    let sd = (smooth.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / smooth.len() as f64)
        .sqrt()
        .max(1e-12);
    smooth.mapv(|v| (v as f64 / sd) as f32 * amplitude)
}

/// A slowly varying background of mean 1: 1 + `variation` sin(2 pi x / X + a) cos(2 pi y /
/// Y + b) over the field (z, y, x) with random phases.
pub(crate) fn background(field: [usize; 3], variation: f32, rng: &mut ChaCha8Rng) -> Array3<f32> {
    let tau = std::f32::consts::TAU;
    let (a, b): (f32, f32) = (rng.random_range(0.0..tau), rng.random_range(0.0..tau));
    Array3::from_shape_fn((field[0], field[1], field[2]), |(_, y, x)| {
        1.0 + variation
            * (tau * x as f32 / field[2] as f32 + a).sin()
            * (tau * y as f32 / field[1] as f32 + b).cos()
    })
}

/// Means of the foreground (labels > 0) and background, and the background's standard
/// deviation, of `image`.
pub fn region_stats<T: Copy + Into<f64>>(image: &Array3<T>, labels: &Array3<u16>) -> [f64; 3] {
    let (mut fg, mut nf, mut bg, mut bg2, mut nb) = (0f64, 0usize, 0f64, 0f64, 0usize);
    Zip::from(image).and(labels).for_each(|&v, &l| {
        let v: f64 = v.into();
        if l > 0 {
            fg += v;
            nf += 1;
        } else {
            bg += v;
            bg2 += v * v;
            nb += 1;
        }
    });
    let mb = bg / nb.max(1) as f64;
    [
        fg / nf.max(1) as f64,
        mb,
        (bg2 / nb.max(1) as f64 - mb * mb).max(0.0).sqrt(),
    ]
}

/// Photons per noise-free unit that give `snr` as the Cell Tracking Challenge defines it,
/// |mean fg - mean bg| / sd bg, for a blurred noise-free frame of foreground mean `f`,
/// background mean `b` and background spatial standard deviation `v`, with Poisson noise and
/// read noise `r` photons: s (f - b) = snr sqrt(s^2 v^2 + s b + r^2), solved for s.
pub fn photons_for_snr(snr: f64, f: f64, b: f64, v: f64, r: f64) -> crate::Result<f64> {
    let d = (f - b).powi(2) - snr * snr * v * v;
    if snr.is_nan() || snr <= 0.0 || d <= 0.0 {
        return Err(crate::Error::invalid(
            "snr",
            format!(
                "{snr} cannot be reached: the background varies by {v:.3} against a contrast of \
                 {:.3} (noise-free units); ask for a lower SNR or a higher --contrast",
                f - b
            ),
        ));
    }
    let q = snr * snr;
    Ok((q * b + (q * q * b * b + 4.0 * d * q * r * r).sqrt()) / (2.0 * d))
}

/// The camera image of a blurred noise-free frame: Poisson(photons_per_unit x value) +
/// N(0, read noise), times the gain plus the offset, rounded and clamped to uint16. Each z
/// slice has its own random stream from `seed`, so the result does not depend on threads.
pub(crate) fn camera(
    blurred: &Array3<f32>,
    photons_per_unit: f64,
    camera: &Camera,
    seed: u64,
) -> Array3<u16> {
    let mut out = Array3::<u16>::zeros(blurred.dim());
    out.axis_iter_mut(Axis(0))
        .into_par_iter()
        .zip(blurred.axis_iter(Axis(0)))
        .enumerate()
        .for_each(|(z, (mut dst, src))| {
            let mut rng = ChaCha8Rng::seed_from_u64(crate::seed::stream_seed(seed, z));
            let read = Normal::new(0.0, camera.read_noise.max(0.0)).expect("finite sd");
            Zip::from(&mut dst).and(&src).for_each(|o, &v| {
                let lambda = (v as f64 * photons_per_unit).max(0.0);
                let photons = if lambda > 0.0 {
                    Poisson::new(lambda)
                        .map(|p| p.sample(&mut rng))
                        .unwrap_or(lambda)
                } else {
                    0.0
                };
                let adu = camera.gain * (photons + read.sample(&mut rng)) + camera.offset;
                *o = adu.round().clamp(0.0, 65535.0) as u16;
            });
        });
    out
}
