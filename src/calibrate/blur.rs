//! The blur per axis: the Gaussian PSF that best maps the labelled objects to the image.
//!
//! Model of a frame near the cells' edges: `I(x) = alpha + beta (G_sigma * m)(x)`, where
//! `m` is each cell's interior brightness over the background on its labelled voxels (0
//! elsewhere) and `G_sigma` a Gaussian of standard deviation `sigma_xy` (x and y) and
//! `sigma_z` (um). alpha and beta are solved by least squares for each sigma; the sigmas
//! minimise the squared residual over the band of voxels within `BAND_UM` of an edge, by
//! golden-section search on ln sigma, one axis at a time (three rounds).

use crate::units::VoxelSize;
use ndarray::{ArrayView3, Zip};

/// Half-width of the band around the cells' edges that the fit looks at (um).
pub(super) const BAND_UM: f64 = 2.0;

/// Search range of sigma in voxels on each axis.
const SIGMA_VOXELS: (f64, f64) = (0.05, 12.0);

/// Residual of the best alpha + beta (G_sigma * m) against `image` over `band`.
fn residual(
    image: ArrayView3<f32>,
    m: ArrayView3<f32>,
    band: ArrayView3<bool>,
    sigma_zyx: [f64; 3],
) -> f64 {
    let g = crate::volume::gaussian(m, sigma_zyx);
    let (mut n, mut sx, mut sy, mut sxx, mut sxy, mut syy) = (0f64, 0f64, 0f64, 0f64, 0f64, 0f64);
    Zip::from(&g).and(image).and(band).for_each(|&p, &i, &b| {
        if b {
            let (p, i) = (p as f64, i as f64);
            n += 1.0;
            sx += p;
            sy += i;
            sxx += p * p;
            sxy += p * i;
            syy += i * i;
        }
    });
    if n < 2.0 {
        return f64::INFINITY;
    }
    let vx = sxx - sx * sx / n;
    let cxy = sxy - sx * sy / n;
    let vy = syy - sy * sy / n;
    if vx <= 0.0 {
        return vy;
    }
    vy - cxy * cxy / vx
}

/// Golden-section minimum of `f` over ln sigma in `SIGMA_VOXELS`.
fn golden(mut f: impl FnMut(f64) -> f64) -> f64 {
    let (mut a, mut b) = (SIGMA_VOXELS.0.ln(), SIGMA_VOXELS.1.ln());
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - r * (b - a), a + r * (b - a));
    let (mut fc, mut fd) = (f(c.exp()), f(d.exp()));
    for _ in 0..14 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - r * (b - a);
            fc = f(c.exp());
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + r * (b - a);
            fd = f(d.exp());
        }
    }
    (0.5 * (a + b)).exp()
}

/// The PSF sigmas (lateral, axial) in um of a frame: `image` and the cells' brightness map
/// `m` ([z, y, x]) over the voxels of `band`. An axis of one slice keeps sigma 0 there.
pub(super) fn fit_sigma(
    image: ArrayView3<f32>,
    m: ArrayView3<f32>,
    band: ArrayView3<bool>,
    voxel: VoxelSize,
) -> (f64, f64) {
    let (nz, _, _) = image.dim();
    // sigma in voxels: [z, xy] with the lateral one in x-voxels (y scaled by voxel size).
    let (mut sz, mut sxy) = (if nz > 1 { 1.0 } else { 0.0 }, 1.0);
    let zyx = |sz: f64, sxy: f64| [sz, sxy * voxel.x / voxel.y, sxy];
    for _ in 0..3 {
        sxy = golden(|s| residual(image, m, band, zyx(sz, s)));
        if nz > 1 {
            sz = golden(|s| residual(image, m, band, zyx(s, sxy)));
        }
    }
    (sxy * voxel.x, sz * voxel.z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn a_blurred_ball_gives_back_its_sigmas() {
        let voxel = VoxelSize {
            x: 0.1,
            y: 0.1,
            z: 0.3,
        };
        let (nz, ny, nx) = (24, 64, 64);
        let m = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
            let d = ((z as f64 - 12.0) * 0.3).powi(2)
                + ((y as f64 - 32.0) * 0.1).powi(2)
                + ((x as f64 - 30.0) * 0.1).powi(2);
            if d < 1.6 * 1.6 {
                50.0f32
            } else {
                0.0
            }
        });
        // True PSF: 0.2 um lateral, 0.6 um axial; background 10.
        let image = crate::volume::gaussian(m.view(), [2.0, 2.0, 2.0]).mapv(|v| v + 10.0);
        let band = Array3::from_elem((nz, ny, nx), true);
        let (sxy, sz) = fit_sigma(image.view(), m.view(), band.view(), voxel);
        assert!((sxy / 0.2 - 1.0).abs() < 0.03, "lateral {sxy}");
        assert!((sz / 0.6 - 1.0).abs() < 0.03, "axial {sz}");
    }
}
