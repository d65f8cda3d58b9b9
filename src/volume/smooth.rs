//! Separable Gaussian smoothing of [z, y, x] volumes, as scipy.ndimage.gaussian_filter
//! computes it (kernel truncated at 4 sigma, `reflect` borders: d c b a | a b c d).

use ndarray::{Array3, ArrayView3, ArrayViewMut1, Axis, Zip};

/// Smooths `volume` with a Gaussian of standard deviation `sigma_zyx` voxels per axis
/// (0 leaves that axis alone). Returns a new volume; arithmetic in f64 per line.
pub fn gaussian(volume: ArrayView3<f32>, sigma_zyx: [f64; 3]) -> Array3<f32> {
    let mut out = volume.as_standard_layout().to_owned();
    for (axis, &sigma) in sigma_zyx.iter().enumerate() {
        if sigma <= 0.0 {
            continue;
        }
        let kernel = kernel(sigma);
        let n = out.len_of(Axis(axis));
        let smooth = |mut lane: ArrayViewMut1<f32>| {
            let line: Vec<f64> = lane.iter().map(|&v| v as f64).collect();
            let mut res = vec![0f64; n];
            convolve(&line, &kernel, &mut res);
            for (v, r) in lane.iter_mut().zip(&res) {
                *v = *r as f32;
            }
        };
        if out.len() >= super::PARALLEL_MIN_VOXELS {
            Zip::from(out.lanes_mut(Axis(axis))).par_for_each(smooth);
        } else {
            Zip::from(out.lanes_mut(Axis(axis))).for_each(smooth);
        }
    }
    out
}

/// Normalised Gaussian weights for offsets -r..=r, r = floor(4 sigma + 0.5).
fn kernel(sigma: f64) -> Vec<f64> {
    let r = (4.0 * sigma + 0.5) as i64;
    let w: Vec<f64> = (-r..=r)
        .map(|i| (-0.5 * (i * i) as f64 / (sigma * sigma)).exp())
        .collect();
    let s: f64 = w.iter().sum();
    w.into_iter().map(|x| x / s).collect()
}

fn convolve(line: &[f64], kernel: &[f64], out: &mut [f64]) {
    let n = line.len() as i64;
    let r = (kernel.len() / 2) as i64;
    // Half-sample symmetric reflection, repeated for kernels longer than the line.
    let reflect = |mut i: i64| -> usize {
        let period = 2 * n;
        i = i.rem_euclid(period);
        if i >= n {
            i = period - 1 - i;
        }
        i as usize
    };
    for (i, o) in out.iter_mut().enumerate() {
        let i = i as i64;
        *o = kernel
            .iter()
            .enumerate()
            .map(|(j, w)| w * line[reflect(i + j as i64 - r)])
            .sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preserves_mass_and_constants() {
        let mut v = Array3::<f32>::zeros((9, 10, 11));
        v[[4, 5, 5]] = 1.0;
        let s = gaussian(v.view(), [1.0, 1.0, 1.0]);
        assert!((s.sum() - 1.0).abs() < 1e-5);
        assert!(s[[4, 5, 5]] > s[[4, 5, 6]]);
        let c = gaussian(Array3::from_elem((5, 5, 5), 2.0f32).view(), [2.0, 0.5, 0.0]);
        assert!(c.iter().all(|x| (x - 2.0).abs() < 1e-6));
    }
}
