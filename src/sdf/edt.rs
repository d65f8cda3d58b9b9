//! Exact Euclidean distance transform with anisotropic voxel size (Felzenszwalb &
//! Huttenlocher 2012: the lower envelope of parabolas, one separable pass per axis, O(n)).
//! Lines of each pass run in parallel with rayon; results do not depend on the thread count.

use ndarray::{Array3, ArrayView3, ArrayViewMut2, Axis};
use rayon::prelude::*;

/// Squared distance (um^2) from every voxel of a [z, y, x] grid to the nearest voxel where
/// `is_feature` holds, with voxel spacing `spacing_zyx` (um, in array axis order). Feature
/// voxels get 0; with no feature anywhere every voxel is `f64::INFINITY`.
pub fn squared_distance<T: Sync>(
    volume: ArrayView3<T>,
    spacing_zyx: [f64; 3],
    is_feature: impl Fn(&T) -> bool + Sync,
) -> Array3<f64> {
    transform(volume, spacing_zyx, is_feature, false)
}

/// Distance (um) to the nearest feature voxel; see [`squared_distance`].
pub fn distance<T: Sync>(
    volume: ArrayView3<T>,
    spacing_zyx: [f64; 3],
    is_feature: impl Fn(&T) -> bool + Sync,
) -> Array3<f64> {
    transform(volume, spacing_zyx, is_feature, true)
}

fn transform<T: Sync>(
    volume: ArrayView3<T>,
    spacing_zyx: [f64; 3],
    is_feature: impl Fn(&T) -> bool + Sync,
    sqrt: bool,
) -> Array3<f64> {
    let (nz, ny, nx) = volume.dim();
    let mut d = Array3::<f64>::zeros((nz, ny, nx));
    // Along x, straight from the features: distance to the nearest feature in the row.
    d.axis_iter_mut(Axis(0))
        .into_par_iter()
        .zip(volume.axis_iter(Axis(0)))
        .for_each(|(mut out, vol)| {
            for (mut row, src) in out.rows_mut().into_iter().zip(vol.rows()) {
                row_pass(&mut row, src, &is_feature, spacing_zyx[2]);
            }
        });
    // Along y within each z slice, then along z within each [z, x] plane.
    d.axis_iter_mut(Axis(0))
        .into_par_iter()
        .for_each(|slice| column_pass(slice, spacing_zyx[1], false));
    d.axis_iter_mut(Axis(1))
        .into_par_iter()
        .for_each(|plane| column_pass(plane, spacing_zyx[0], sqrt));
    d
}

/// 1D distance along a row from binary features: two scans, then squared in um^2.
fn row_pass<T>(
    row: &mut ndarray::ArrayViewMut1<f64>,
    src: ndarray::ArrayView1<T>,
    is_feature: &impl Fn(&T) -> bool,
    spacing: f64,
) {
    let n = row.len();
    let mut last: Option<usize> = None;
    for i in 0..n {
        if is_feature(&src[i]) {
            last = Some(i);
        }
        row[i] = match last {
            Some(j) => (i - j) as f64,
            None => f64::INFINITY,
        };
    }
    let mut next: Option<usize> = None;
    for i in (0..n).rev() {
        if row[i] == 0.0 {
            next = Some(i);
        }
        if let Some(j) = next {
            row[i] = row[i].min((j - i) as f64);
        }
        let v = row[i] * spacing;
        row[i] = v * v;
    }
}

/// Runs the 1D transform on every column (lines along axis 0) of `plane`, whose rows are
/// contiguous: the plane is transposed into a scratch block so that each line is contiguous,
/// and memory is only ever read and written row by row. With `sqrt` the result is the
/// distance instead of its square.
fn column_pass(mut plane: ArrayViewMut2<f64>, spacing: f64, sqrt: bool) {
    let (n, width) = plane.dim();
    let mut block = vec![0.0f64; n * width];
    for (a, row) in plane.rows().into_iter().enumerate() {
        for (b, v) in row.iter().enumerate() {
            block[b * n + a] = *v;
        }
    }
    let mut scratch = Scratch::new(n);
    for line in block.chunks_exact_mut(n) {
        scratch.f.copy_from_slice(line);
        scratch.run(spacing);
        line.copy_from_slice(&scratch.d);
    }
    for (a, mut row) in plane.rows_mut().into_iter().enumerate() {
        for (b, v) in row.iter_mut().enumerate() {
            let x = block[b * n + a];
            *v = if sqrt { x.sqrt() } else { x };
        }
    }
}

/// Buffers of the 1D lower-envelope transform.
struct Scratch {
    f: Vec<f64>,
    d: Vec<f64>,
    v: Vec<usize>,
    z: Vec<f64>,
}

impl Scratch {
    fn new(n: usize) -> Self {
        Scratch {
            f: vec![0.0; n],
            d: vec![0.0; n],
            v: vec![0; n],
            z: vec![0.0; n + 1],
        }
    }

    /// d[p] = min_q f[q] + (spacing (p - q))^2 over the finite f[q].
    fn run(&mut self, spacing: f64) {
        let n = self.f.len();
        let s2 = spacing * spacing;
        let (f, v, z) = (&self.f, &mut self.v, &mut self.z);
        let Some(first) = f.iter().position(|x| x.is_finite()) else {
            self.d.fill(f64::INFINITY);
            return;
        };
        let mut k = 0usize;
        v[0] = first;
        z[0] = f64::NEG_INFINITY;
        z[1] = f64::INFINITY;
        for q in first + 1..n {
            if !f[q].is_finite() {
                continue;
            }
            let fq = f[q] + s2 * (q * q) as f64;
            // Intersection with the parabola on top of the envelope; z[0] = -inf stops the
            // loop at k = 0.
            let mut s;
            loop {
                let p = v[k];
                s = (fq - (f[p] + s2 * (p * p) as f64)) / (2.0 * s2 * (q - p) as f64);
                if s > z[k] {
                    break;
                }
                k -= 1;
            }
            k += 1;
            v[k] = q;
            z[k] = s;
            z[k + 1] = f64::INFINITY;
        }
        let mut k = 0usize;
        for (p, out) in self.d.iter_mut().enumerate() {
            while z[k + 1] < p as f64 {
                k += 1;
            }
            let dp = p as f64 - v[k] as f64;
            *out = s2 * dp * dp + f[v[k]];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over all feature voxels.
    fn brute(mask: &Array3<bool>, s: [f64; 3]) -> Array3<f64> {
        let feats: Vec<_> = mask
            .indexed_iter()
            .filter(|(_, &m)| m)
            .map(|(i, _)| i)
            .collect();
        Array3::from_shape_fn(mask.dim(), |(z, y, x)| {
            feats
                .iter()
                .map(|&(a, b, c)| {
                    let dz = (z as f64 - a as f64) * s[0];
                    let dy = (y as f64 - b as f64) * s[1];
                    let dx = (x as f64 - c as f64) * s[2];
                    dz * dz + dy * dy + dx * dx
                })
                .fold(f64::INFINITY, f64::min)
        })
    }

    #[test]
    fn matches_brute_force_on_random_anisotropic_masks() {
        let mut state = 12345u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for (shape, s) in [
            ((7, 9, 11), [1.0, 0.5, 0.25]),
            ((5, 16, 3), [2.0, 0.3, 0.7]),
            ((1, 1, 6), [1.0, 1.0, 1.0]),
        ] {
            for density in [2u64, 10, 60] {
                let mask = Array3::from_shape_simple_fn(shape, || next() % density == 0);
                let fast = squared_distance(mask.view(), s, |&m| m);
                let slow = brute(&mask, s);
                for (a, b) in fast.iter().zip(slow.iter()) {
                    assert!(a == b || (a - b).abs() < 1e-9 * b.max(1.0), "{a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn no_features_gives_infinity() {
        let mask = Array3::<bool>::from_elem((2, 3, 4), false);
        assert!(squared_distance(mask.view(), [1.0; 3], |&m| m)
            .iter()
            .all(|d| d.is_infinite()));
    }
}
