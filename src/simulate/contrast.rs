//! Dialling the contrast ratio: the cells' brightness that gives the first frame a requested
//! contrast ratio (CR) as the Cell Tracking Challenge measures it on the camera image,
//! at the requested SNR.
//!
//! The blurred noise-free first frame is linear in the brightness c: `o = B + c K`, with
//! `B` the blurred background and `K` the blurred cells at unit brightness. Its foreground
//! and background means and the background's spatial variance are then quadratic in c, the
//! photon scale `s(c)` follows from the SNR ([`super::photons_for_snr`]), and the expected
//! CR of the camera image is `(g s f + offset) / (g s b + offset)`. At a fixed SNR this CR
//! rises with c from 1, then falls back toward `1 + SNR g r / offset` as fewer photons are
//! needed; the smallest c that reaches the target is taken (log scan, then bisection).

use super::image::{photons_for_snr, Camera};
use crate::error::{Error, Result};
use ndarray::{Array3, Zip};

/// Foreground and background moments of `B` and `K`.
struct Moments {
    fb: f64,
    fk: f64,
    bb: f64,
    bk: f64,
    var_b: f64,
    var_k: f64,
    cov: f64,
}

fn moments(b: &Array3<f32>, k: &Array3<f32>, labels: &Array3<u16>) -> Moments {
    let (mut nf, mut nb) = (0f64, 0f64);
    let (mut fb, mut fk, mut bb, mut bk, mut bb2, mut bk2, mut bbk) =
        (0f64, 0., 0., 0., 0., 0., 0.);
    Zip::from(b).and(k).and(labels).for_each(|&x, &y, &l| {
        let (x, y) = (x as f64, y as f64);
        if l > 0 {
            nf += 1.0;
            fb += x;
            fk += y;
        } else {
            nb += 1.0;
            bb += x;
            bk += y;
            bb2 += x * x;
            bk2 += y * y;
            bbk += x * y;
        }
    });
    let (nf, nb) = (nf.max(1.0), nb.max(1.0));
    let (mb, mk) = (bb / nb, bk / nb);
    Moments {
        fb: fb / nf,
        fk: fk / nf,
        bb: mb,
        bk: mk,
        var_b: (bb2 / nb - mb * mb).max(0.0),
        var_k: (bk2 / nb - mk * mk).max(0.0),
        cov: bbk / nb - mb * mk,
    }
}

/// Expected CR of the camera image at brightness `c` and `snr` (None: SNR unreachable).
fn ratio(m: &Moments, c: f64, snr: f64, camera: &Camera) -> Option<f64> {
    let f = m.fb + c * m.fk;
    let b = m.bb + c * m.bk;
    let var = (m.var_b + 2.0 * c * m.cov + c * c * m.var_k).max(0.0);
    let s = photons_for_snr(snr, f, b, var.sqrt(), camera.read_noise).ok()?;
    Some((camera.gain * s * f + camera.offset) / (camera.gain * s * b + camera.offset))
}

/// The brightness c (noise-free cell / background units) that gives the blurred first frame
/// `background + c cells` the contrast ratio `target` at `snr`; `background` and `cells`
/// are blurred, `labels` the ground truth of the frame.
pub(crate) fn brightness_for_ratio(
    target: f64,
    snr: f64,
    camera: &Camera,
    background: &Array3<f32>,
    cells: &Array3<f32>,
    labels: &Array3<u16>,
) -> Result<f64> {
    let m = moments(background, cells, labels);
    let cr = |c: f64| ratio(&m, c, snr, camera);
    // Log scan from 1e-3 to 1e4 for the first brightness at or above the target.
    let grid: Vec<f64> = (0..=280)
        .map(|i| 10f64.powf(-3.0 + i as f64 / 40.0))
        .collect();
    let mut best = f64::NEG_INFINITY;
    let mut below = None;
    for &c in &grid {
        match cr(c) {
            Some(r) if r >= target => {
                let (mut lo, mut hi) = (below.unwrap_or(c / 10.0), c);
                for _ in 0..60 {
                    let mid = 0.5 * (lo + hi);
                    if cr(mid).is_some_and(|r| r >= target) {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                return Ok(hi);
            }
            Some(r) => {
                best = best.max(r);
                below = Some(c);
            }
            None => {}
        }
    }
    Err(Error::invalid(
        "contrast-ratio",
        format!(
            "{target} cannot be reached at SNR {snr}: the highest contrast ratio this camera \
             (offset {} ADU, read noise {} photons) gives is {best:.3}; ask for a lower \
             ratio or a lower --snr",
            camera.offset, camera.read_noise
        ),
    ))
}

/// The brightness c and photon scale s (photons per noise-free unit) that give the first
/// frame, on `camera`, the mean `background_adu` over its unlabelled voxels and the contrast
/// ratio `target` (None: brightness `contrast` as given). With `L = (background_adu -
/// offset) / gain` and `F = (target background_adu - offset) / gain` the background and
/// foreground light (photons), `s (B_b + c K_b) = L` and `s (B_f + c K_f) = F`, so with
/// `q = F / L`, `c = (q B_b - B_f) / (K_f - q K_b)` and `s = L / (B_b + c K_b)`.
pub(crate) fn scale_for_background(
    background_adu: f64,
    target: Option<f64>,
    contrast: f64,
    camera: &Camera,
    (background, cells, labels): (&Array3<f32>, &Array3<f32>, &Array3<u16>),
) -> Result<(f64, f64)> {
    let m = moments(background, cells, labels);
    let light = (background_adu - camera.offset) / camera.gain;
    if light.is_nan() || light <= 0.0 {
        return Err(Error::invalid(
            "background",
            format!(
                "a background of {background_adu} ADU is not above the camera's offset \
                 ({} ADU): no light to simulate",
                camera.offset
            ),
        ));
    }
    let c = match target {
        None => contrast,
        Some(k) => {
            let q = (k * background_adu - camera.offset) / camera.gain / light;
            let den = m.fk - q * m.bk;
            let c = (q * m.bb - m.fb) / den;
            if den.is_nan() || den <= 0.0 || !c.is_finite() || c <= 0.0 {
                return Err(Error::invalid(
                    "contrast-ratio",
                    format!(
                        "{k} cannot be reached with a background of {background_adu} ADU: the \
                         cells' blur onto the background caps the ratio near {:.3}",
                        (camera.gain * light * m.fk / m.bk.max(1e-12) + camera.offset)
                            / background_adu
                    ),
                ));
            }
            c
        }
    };
    Ok((c, light / (m.bb + c * m.bk)))
}
