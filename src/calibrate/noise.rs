//! Photon transfer: the camera's noise curve from one image and its labels.
//!
//! Every pixel whose 3 x 3 in-plane neighbourhood lies in one class (all background, or all
//! inside one cell's interior) and is not saturated gives one sample: the noise from the
//! second difference along x of its own row, `d = I[y, x-1] - 2 I[y, x] + I[y, x+1]`
//! (`E d^2 = 6 v` for white noise of variance `v`, blind to a linear trend), and the local
//! mean `m` from the six pixels of the rows above and below, whose noise is independent of
//! `d` (a mean taken from the same pixels would select samples by their own noise). Samples
//! are binned by `m` (256 bins over the image's range); a bin's variance is
//! `median(d^2) / (6 x 0.4549)` (0.4549 the median of chi-square with one degree of
//! freedom), robust against the few samples on texture or an unnoticed edge. A weighted line
//! `v = a m + b` is fitted through the bins with at least [`MIN_BIN`] samples (weights
//! n / v^2). For a camera recording `ADU = g (Poisson(lambda) + N(0, r^2)) + o` the curve is
//! `v = g m - g o + g^2 r^2`, so `a` is the gain g (ADU per photon) and
//! `b = g^2 r^2 - g o`. One image fixes a and b, not o and r apart: [`camera_from_curve`]
//! takes the camera with the least read noise and a non-negative offset that has this curve.

use ndarray::{ArrayView3, Axis};

/// Bins of the local mean over the image's range.
const BINS: usize = 256;
/// Samples kept per bin (a deterministic reservoir beyond).
const RESERVOIR: usize = 4096;
/// Fewest samples for a bin to enter the fit.
pub(super) const MIN_BIN: u64 = 32;
/// Median of chi-square with one degree of freedom.
const CHI2_1_MEDIAN: f64 = 0.454_936;

#[derive(Debug, Clone, Default)]
struct Bin {
    seen: u64,
    sum_mean: f64,
    d2: Vec<f32>,
}

/// Noise samples of a whole stack, binned by local mean (ADU).
#[derive(Debug, Clone)]
pub(super) struct NoiseBins {
    lo: f64,
    width: f64,
    bins: Vec<Bin>,
}

impl NoiseBins {
    /// Bins over the image's value range `[lo, hi]` (ADU).
    pub fn new(lo: f64, hi: f64) -> NoiseBins {
        NoiseBins {
            lo,
            width: ((hi - lo) / BINS as f64).max(f64::MIN_POSITIVE),
            bins: vec![Bin::default(); BINS],
        }
    }

    fn push(&mut self, mean: f64, d2: f64) {
        let k = (((mean - self.lo) / self.width) as usize).min(BINS - 1);
        let bin = &mut self.bins[k];
        bin.seen += 1;
        bin.sum_mean += mean;
        if bin.d2.len() < RESERVOIR {
            bin.d2.push(d2 as f32);
        } else {
            // Reservoir sampling with a fixed hash of the count: the same image always
            // gives the same profile.
            let j = (splitmix(bin.seen ^ k as u64) % bin.seen) as usize;
            if j < RESERVOIR {
                bin.d2[j] = d2 as f32;
            }
        }
    }

    /// Adds the samples of one frame ([z, y, x]): `class` is 0 where no sample may come
    /// from, else the same non-zero value for one region (1 background, 1 + label in a
    /// cell's interior); pixels `>= saturation` are left out.
    pub fn add_frame(
        &mut self,
        image: ArrayView3<f32>,
        class: ArrayView3<u32>,
        saturation: Option<f64>,
    ) {
        let (_, ny, nx) = image.dim();
        if nx < 3 {
            return; // no second difference along x
        }
        let sat = saturation.unwrap_or(f64::INFINITY) as f32;
        for (img, cls) in image.axis_iter(Axis(0)).zip(class.axis_iter(Axis(0))) {
            for y in 0..ny {
                // The rows the mean comes from: above and below, or (one-row images) the
                // sample's own, which selects a little by noise but is all there is.
                let rows: &[usize] = if ny < 3 {
                    &[y]
                } else if y == 0 || y + 1 == ny {
                    continue;
                } else {
                    &[y - 1, y + 1]
                };
                for x in 1..nx - 1 {
                    let c = cls[[y, x]];
                    if c == 0 {
                        continue;
                    }
                    let flat = rows
                        .iter()
                        .chain([&y])
                        .all(|&r| (x - 1..=x + 1).all(|i| cls[[r, i]] == c && img[[r, i]] < sat));
                    if !flat {
                        continue;
                    }
                    let mut m = 0f64;
                    for &r in rows {
                        m += (img[[r, x - 1]] + img[[r, x]] + img[[r, x + 1]]) as f64;
                    }
                    m /= (3 * rows.len()) as f64;
                    let d =
                        img[[y, x - 1]] as f64 - 2.0 * img[[y, x]] as f64 + img[[y, x + 1]] as f64;
                    self.push(m, d * d);
                }
            }
        }
    }

    /// The noise curve `v = a m + b`: (a, b, samples, bins used); None without two samples.
    pub fn fit(&mut self) -> Option<(f64, f64, u64, usize)> {
        let total: u64 = self.bins.iter().map(|b| b.seen).sum();
        if total < 2 {
            return None;
        }
        let min = MIN_BIN.min(total);
        let mut pts = Vec::new();
        for bin in self.bins.iter_mut().filter(|b| b.seen >= min) {
            bin.d2.sort_by(f32::total_cmp);
            let n = bin.d2.len();
            let med = if n % 2 == 1 {
                bin.d2[n / 2] as f64
            } else {
                (bin.d2[n / 2 - 1] as f64 + bin.d2[n / 2] as f64) / 2.0
            };
            let v = med / (6.0 * CHI2_1_MEDIAN);
            pts.push((bin.sum_mean / bin.seen as f64, v, n as f64));
        }
        let used: u64 = self
            .bins
            .iter()
            .filter(|b| b.seen >= min)
            .map(|b| b.seen)
            .sum();
        let (a, b) = weighted_line(&pts);
        Some((a, b, used, pts.len()))
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The line `v = a m + b` through points (m, v, n) with weights n / v^2; with one level
/// only, or a slope whose Poisson part is under 1 % of the variance at the brightest
/// level, all the variance is read noise (a = 0) as far as the image tells.
fn weighted_line(pts: &[(f64, f64, f64)]) -> (f64, f64) {
    let n: f64 = pts.iter().map(|p| p.2).sum();
    let read_noise_only = (0.0, pts.iter().map(|p| p.1 * p.2).sum::<f64>() / n);
    let (lo, hi) = (pts[0].0, pts[pts.len() - 1].0);
    if pts.len() < 2 || hi - lo <= 1e-6 * hi.abs().max(1.0) {
        return read_noise_only;
    }
    let weighted: Vec<(f64, f64, f64)> = pts
        .iter()
        .map(|p| (p.0, p.1, p.2 / p.1.max(1e-12).powi(2)))
        .collect();
    let Some((a, b)) = super::least_squares_line(&weighted) else {
        return read_noise_only;
    };
    // A Poisson part under 1 % of the variance at the brightest level is no measured
    // photon statistics (a pattern, or a camera whose read noise swamps the shot noise);
    // so is a gain under 1e-9 ADU per photon.
    if !(a >= 1e-9 && a * hi >= 0.01 * (a * hi + b)) {
        return read_noise_only;
    }
    (a, b)
}

/// The camera (gain ADU/photon, offset ADU, read noise photons) with the noise curve
/// `v = a m + b` that has the least read noise and no negative offset: with m0 = -b / a
/// the mean of zero variance, offset m0 and no read noise when m0 >= 0, else offset 0 and
/// read noise sqrt(b) / a. A curve without Poisson part (a <= 0) is all read noise at a
/// gain of 1.
pub fn camera_from_curve(a: f64, b: f64) -> (f64, f64, f64) {
    if a <= 0.0 {
        return (1.0, 0.0, b.max(0.0).sqrt());
    }
    let m0 = -b / a;
    if m0 >= 0.0 {
        (a, m0, 0.0)
    } else {
        (a, 0.0, b.sqrt() / a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal, Poisson};

    /// A camera image of known gain, offset and read noise over three flat levels.
    #[test]
    fn the_curve_of_a_known_camera_is_recovered() {
        let (g, o, r) = (2.5, 100.0, 3.0);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let read = Normal::new(0.0, r).unwrap();
        let (nz, ny, nx) = (3, 96, 96);
        let mut img = Array3::<f32>::zeros((nz, ny, nx));
        let mut cls = Array3::<u32>::zeros((nz, ny, nx));
        for ((z, y, x), v) in img.indexed_iter_mut() {
            let level = [20.0, 200.0, 900.0][x * 3 / nx];
            let p: f64 = Poisson::new(level).unwrap().sample(&mut rng);
            *v = (g * (p + read.sample(&mut rng)) + o) as f32;
            cls[[z, y, x]] = 1 + (x * 3 / nx) as u32;
        }
        let mut bins = NoiseBins::new(0.0, 2.0 * 900.0 * g + o);
        bins.add_frame(img.view(), cls.view(), None);
        let (a, b, _, _) = bins.fit().unwrap();
        assert!((a / g - 1.0).abs() < 0.05, "gain {a}");
        let expect_b = g * g * r * r - g * o;
        assert!(
            (b - expect_b).abs() < 0.05 * expect_b.abs(),
            "b {b} vs {expect_b}"
        );
        // The zero-variance level: offset less g r^2.
        let (gain, offset, read_noise) = camera_from_curve(a, b);
        assert!((offset - (o - g * r * r)).abs() < 8.0 && read_noise == 0.0 && gain == a);
    }

    #[test]
    fn a_curve_below_zero_is_read_noise() {
        let (g, o, r) = camera_from_curve(2.0, 50.0);
        assert_eq!((g, o), (2.0, 0.0));
        assert!((r - 50f64.sqrt() / 2.0).abs() < 1e-12);
        assert_eq!(camera_from_curve(0.0, 9.0), (1.0, 0.0, 3.0));
    }
}
