//! Calibration: an acquisition profile measured on a real image with its labels
//! (`cellsdf calibrate`), so that `cellsdf simulate --profile` makes data like it.
//!
//! Input: the raw image (any pixel type, (t, z, y, x)) and a label image of the same shape
//! (0 background, one id per cell; ids that persist over frames are taken as tracks). Both
//! are borrowed. Per frame the exact Euclidean distances (um) to the nearest labelled voxel
//! and to the nearest background voxel split the field into the background (farther than
//! [`BACKGROUND_MARGIN_UM`] from every cell), each cell's interior and the band around the
//! edges; from these come the camera's noise curve ([`noise`]), the PSF ([`blur`]), and the
//! cells' brightness, texture, depth and time trends and motion ([`cells`]).
//! docs/simulation.md gives every equation.

mod blur;
mod cells;
pub mod noise;
mod profile;
pub mod realism;

pub use profile::{
    Background, Blur, CameraFit, CellStats, Ctc, Depth, Field, Pixels, Profile, Source, Texture,
    Time, PROFILE_FORMAT,
};

use crate::error::{Error, Result};
use crate::io::{AnyStack, Hyperstack};
use crate::progress::{check, Progress};
use crate::simulate::FWHM_PER_SIGMA;
use crate::units::VoxelSize;
use ndarray::{Array3, ArrayView3, Axis, Zip};

/// Background voxels are farther than this from every labelled voxel (um).
pub const BACKGROUND_MARGIN_UM: f64 = 1.5;

/// What to measure with, beyond the files: overrides of their calibration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CalibrateOptions {
    pub voxel_um: Option<VoxelSize>,
    pub frame_interval_s: Option<f64>,
}

/// One frame's regions: distances (um) to the nearest cell and to the nearest background.
struct Regions {
    to_cell: Array3<f64>,
    to_background: Array3<f64>,
}

impl Regions {
    fn of(labels: ArrayView3<u32>, voxel: VoxelSize) -> Regions {
        let h = voxel.zyx();
        Regions {
            to_cell: crate::sdf::distance(labels, h, |&l| l != 0),
            to_background: crate::sdf::distance(labels, h, |&l| l == 0),
        }
    }

    /// Background voxels: unlabelled and farther than `margin` um from every cell.
    fn background(&self, margin: f64) -> Array3<bool> {
        self.to_cell.mapv(|d| d > margin)
    }
}

/// Measures the acquisition profile of `raw` with its `labels` (names: the files, for
/// messages and the profile's `source`). Refuses mismatched shapes, an empty label image, a
/// constant image, NaN or infinite pixels, and images without background.
pub fn calibrate(
    raw: &AnyStack,
    labels: &Hyperstack<u32>,
    names: (&str, &str),
    opts: &CalibrateOptions,
    progress: &dyn Progress,
) -> Result<Profile> {
    let (raw_name, labels_name) = names;
    if raw.dims() != labels.dims() {
        return Err(Error::invalid(
            labels_name,
            format!(
                "has shape {:?} (t, z, y, x), but the raw image {raw_name} has {:?}",
                labels.dims(),
                raw.dims()
            ),
        ));
    }
    let calibration = raw.calibration();
    let voxel = opts
        .voxel_um
        .or(calibration.voxel_um)
        .or(labels.calibration.voxel_um)
        .ok_or_else(|| {
            Error::invalid(
                "voxel size",
                format!("{raw_name} has no voxel size; give --voxel-um X,Y,Z"),
            )
        })?;
    voxel.validate("voxel-um")?;
    let interval = opts
        .frame_interval_s
        .or(calibration.frame_interval_s)
        .or(labels.calibration.frame_interval_s);
    if !labels.data.iter().any(|&l| l != 0) {
        return Err(Error::invalid(labels_name, "holds no labelled voxel"));
    }
    let image = raw.to_f32();
    if let Some(bad) = image.iter().find(|v| !v.is_finite()) {
        return Err(Error::invalid(
            raw_name,
            format!("holds a pixel that is not a finite number ({bad})"),
        ));
    }
    let (lo, hi) = image
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if lo == hi {
        return Err(Error::invalid(
            raw_name,
            format!("is constant ({lo}): there is nothing to measure"),
        ));
    }
    let (frames, nz, ny, nx) = raw.dims();
    let mut notes = Vec::new();

    // The PSF first (texture and interiors depend on its reach), on the first frame.
    let lab0 = labels.data.index_axis(Axis(0), 0);
    let img0 = image.index_axis(Axis(0), 0);
    let reg0 = Regions::of(lab0, voxel);
    let bg0 = background_voxels(&reg0, lab0, voxel, &mut notes);
    let (bg_mean0, bg_sd0) = mean_sd(img0, bg0.view()).ok_or_else(|| {
        Error::invalid(
            labels_name,
            "labels cover the whole first frame: no background to measure",
        )
    })?;
    check(progress, 0.05, "calibrating: blur")?;
    let (sigma_xy, sigma_z) = {
        let interior = reg0.to_background.mapv(|d| d > 2.0 * voxel.x.max(voxel.y));
        let means = cells::label_means(img0, lab0, interior.view());
        let m = Array3::from_shape_fn(lab0.dim(), |i| {
            means
                .get(&lab0[i])
                .map_or(0.0, |&mu| (mu - bg_mean0) as f32)
        });
        let band = Zip::from(&reg0.to_cell)
            .and(&reg0.to_background)
            .map_collect(|&a, &b| a.min(b) < blur::BAND_UM);
        blur::fit_sigma(img0, m.view(), band.view(), voxel)
    };
    if nz == 1 {
        notes.push("one slice: the axial blur is not measured (sigma_z_um 0)".into());
    }
    let deep = interior_depth_um((sigma_xy, sigma_z), voxel);

    let mut noise_bins = noise::NoiseBins::new(lo as f64, hi as f64);
    let mut acc = cells::Accumulator::default();
    let mut bg0 = Some(bg0);
    for t in 0..frames {
        let lab = labels.data.index_axis(Axis(0), t);
        let img = image.index_axis(Axis(0), t);
        let reg = if t == 0 {
            None
        } else {
            Some(Regions::of(lab, voxel))
        };
        let reg = reg.as_ref().unwrap_or(&reg0);
        let bg = match bg0.take() {
            Some(b) => b,
            None => background_voxels(reg, lab, voxel, &mut Vec::new()),
        };
        let Some((bg_mean, _)) = mean_sd(img, bg.view()) else {
            notes.push(format!("frame {t} has no background and was left out"));
            continue;
        };
        // Photon-transfer classes: 1 background, 1 + label in a cell's interior.
        let shallow = 1.5 * voxel.x.max(voxel.y);
        let class = Zip::from(lab)
            .and(&bg)
            .and(&reg.to_background)
            .map_collect(|&l, &b, &d| {
                if b {
                    1
                } else if l != 0 && d > shallow {
                    l.saturating_add(1)
                } else {
                    0
                }
            });
        noise_bins.add_frame(img, class.view(), raw.type_max());
        let interior = reg.to_background.mapv(|d| d > deep);
        acc.frame(t, img, lab, interior.view(), &bg, bg_mean, voxel);
        check(
            progress,
            0.1 + 0.85 * (t + 1) as f32 / frames as f32,
            "calibrating",
        )?;
    }
    let (slope, intercept, used, bins) = noise_bins.fit().ok_or_else(|| {
        Error::invalid(
            raw_name,
            "has no flat 3 x 3-pixel patch of background or cell interior to measure the noise",
        )
    })?;
    if slope <= 0.0 {
        notes.push(
            "the noise does not grow with the signal: no photon statistics measured, gain 1 \
             and all noise as read noise"
                .into(),
        );
    }
    let (gain, offset, read_noise) = noise::camera_from_curve(slope, intercept);
    let noise_var = |m: f64| (slope.max(0.0) * m + intercept).max(0.0);
    let stats = acc.finish(noise_var, voxel, frames, &mut notes);

    let fg = labels.data.index_axis(Axis(0), 0).mapv(|l| l != 0);
    let all_bg = fg.mapv(|f| !f);
    let (f_mean, _) = mean_sd(img0, fg.view()).expect("labels are not empty");
    let (b_mean, b_sd) = mean_sd(img0, all_bg.view()).unwrap_or((bg_mean0, bg_sd0));
    let cr = if b_mean > 0.0 {
        f_mean / b_mean
    } else {
        f64::INFINITY
    };
    if cr.is_finite() && cr < 1.0 {
        return Err(Error::invalid(
            raw_name,
            format!(
                "its labelled cells are darker than the background (contrast ratio {cr:.3}); \
                 cellsdf simulates stained cells brighter than the background"
            ),
        ));
    }
    let type_max = raw.type_max();
    let saturated = type_max.map_or(0, |m| image.iter().filter(|&&v| v as f64 >= m).count());
    let field_um3 = (nx * ny * nz) as f64 * voxel.volume_um3();
    let profile = Profile {
        format: PROFILE_FORMAT.into(),
        version: 1,
        source: Source {
            raw: raw_name.into(),
            labels: labels_name.into(),
        },
        field: Field {
            size_xyz: [nx, ny, nz],
            frames,
            voxel_um: voxel,
            frame_interval_s: interval,
        },
        pixels: Pixels {
            dtype: raw.dtype_name().into(),
            bit_depth: bit_depth(raw.dtype_name()),
            min_adu: lo as f64,
            max_adu: hi as f64,
            saturated_fraction: saturated as f64 / image.len() as f64,
        },
        camera: CameraFit {
            gain_adu_per_photon: gain,
            offset_adu: offset,
            read_noise_photons: read_noise,
            noise_slope: slope,
            noise_intercept_adu2: intercept,
            samples: used,
            bins,
        },
        background: Background {
            mean_adu: bg_mean0,
            sd_adu: bg_sd0,
            slow_sd_relative: stats.slow_sd_relative,
        },
        blur: Blur {
            sigma_xy_um: sigma_xy,
            sigma_z_um: sigma_z,
            fwhm_xy_um: sigma_xy * FWHM_PER_SIGMA,
            fwhm_z_um: sigma_z * FWHM_PER_SIGMA,
        },
        depth: Depth {
            attenuation_per_um: stats.attenuation_per_um,
        },
        time: Time {
            bleach_per_frame: stats.bleach_per_frame,
        },
        cells: CellStats {
            first_frame: stats.cells_first_frame,
            per_frame: stats.cells_per_frame,
            per_1000_um3: stats.cells_per_frame / field_um3 * 1000.0,
            mean_volume_um3: stats.mean_volume_um3,
            brightness_cv: stats.brightness_cv,
            brightness_log_sd: stats.brightness_log_sd,
            step_um_per_frame: stats.step_um,
        },
        texture: Texture {
            amplitude_relative: stats.texture_amplitude,
            correlation_um: stats.texture_correlation_um,
            autocorrelation: stats.autocorrelation,
        },
        ctc: Ctc {
            snr: (f_mean - b_mean).abs() / b_sd.max(1e-12),
            contrast_ratio: cr.min(1e6),
            foreground_mean_adu: f_mean,
            background_mean_adu: b_mean,
            background_sd_adu: b_sd,
        },
        notes,
    };
    profile.validate()?;
    check(progress, 1.0, "calibrating")?;
    Ok(profile)
}

/// How deep (um) a cell's interior lies: beyond the blur's reach, two PSF widths (`psf`:
/// sigma lateral, axial, um; 98 % of the signal of a flat edge), and at least 1.5 voxels.
fn interior_depth_um(psf: (f64, f64), voxel: VoxelSize) -> f64 {
    (2.0 * psf.0.max(psf.1)).max(1.5 * voxel.x.max(voxel.y))
}

/// Where the texture of a frame's cells is measured (`labels` [z, y, x], voxel size
/// `voxel`, PSF sigmas `psf` um): the voxels deeper than [`interior_depth_um`] in a cell.
pub fn texture_interior(
    labels: ArrayView3<u32>,
    voxel: VoxelSize,
    psf: (f64, f64),
) -> Array3<bool> {
    let deep = interior_depth_um(psf, voxel);
    crate::sdf::distance(labels, voxel.zyx(), |&l| l == 0).mapv(|d| d > deep)
}

/// The texture of one noise-free frame as [`calibrate`] measures it: (amplitude relative to
/// the cells' signal over `background`, correlation length um) over `interior`
/// ([`texture_interior`]). `image` and `labels` are [z, y, x].
pub fn noise_free_texture(
    image: ArrayView3<f32>,
    labels: ArrayView3<u32>,
    interior: ArrayView3<bool>,
    background: f64,
    voxel: VoxelSize,
) -> (f64, f64) {
    let mut acc = cells::Accumulator::default();
    let none = Array3::from_elem(image.dim(), false);
    acc.frame(0, image, labels, interior, &none, background, voxel);
    let stats = acc.finish(|_| 0.0, voxel, 1, &mut Vec::new());
    (stats.texture_amplitude, stats.texture_correlation_um)
}

/// Background voxels of a frame: farther than [`BACKGROUND_MARGIN_UM`] from every cell, or
/// (where that leaves under 1 % of the frame) farther than two voxels.
fn background_voxels(
    reg: &Regions,
    labels: ArrayView3<u32>,
    voxel: VoxelSize,
    notes: &mut Vec<String>,
) -> Array3<bool> {
    let bg = reg.background(BACKGROUND_MARGIN_UM);
    if bg.iter().filter(|&&b| b).count() * 100 >= bg.len() {
        return bg;
    }
    let near = 2.0 * voxel.x.max(voxel.y).max(voxel.z.min(BACKGROUND_MARGIN_UM));
    notes.push(format!(
        "under 1 % of the field is {BACKGROUND_MARGIN_UM} um from every cell: background \
         taken {near:.2} um from the cells"
    ));
    Zip::from(&reg.to_cell)
        .and(labels)
        .map_collect(|&d, &l| l == 0 && d > near)
}

/// Mean and standard deviation of `image` where `mask` holds (None: no voxel).
fn mean_sd(image: ArrayView3<f32>, mask: ArrayView3<bool>) -> Option<(f64, f64)> {
    let (mut n, mut s, mut s2) = (0usize, 0f64, 0f64);
    Zip::from(image).and(mask).for_each(|&v, &m| {
        if m {
            let v = v as f64;
            n += 1;
            s += v;
            s2 += v * v;
        }
    });
    (n > 0).then(|| {
        let m = s / n as f64;
        (m, (s2 / n as f64 - m * m).max(0.0).sqrt())
    })
}

/// Weighted least-squares line `y = a x + b` through points (x, y, weight): (a, b); None
/// with fewer than two points or no spread in x.
fn least_squares_line(pts: &[(f64, f64, f64)]) -> Option<(f64, f64)> {
    if pts.len() < 2 {
        return None;
    }
    let sw: f64 = pts.iter().map(|p| p.2).sum();
    let mx = pts.iter().map(|p| p.2 * p.0).sum::<f64>() / sw;
    let my = pts.iter().map(|p| p.2 * p.1).sum::<f64>() / sw;
    let sxx: f64 = pts.iter().map(|p| p.2 * (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| p.2 * (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| {
        let a = sxy / sxx;
        (a, my - a * mx)
    })
}

fn bit_depth(dtype: &str) -> u32 {
    match dtype {
        "uint8" | "int8" => 8,
        "uint16" | "int16" => 16,
        "uint32" | "int32" | "float32" => 32,
        _ => 64,
    }
}
