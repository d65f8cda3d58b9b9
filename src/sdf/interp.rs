//! Trilinear interpolation on regular grids.

use ndarray::ArrayView3;

/// Value of `grid` ([z, y, x]) at fractional index position (z, y, x), trilinear between the
/// eight surrounding samples; positions outside the grid are clamped to its border.
pub fn trilinear(grid: ArrayView3<f32>, z: f64, y: f64, x: f64) -> f32 {
    let (nz, ny, nx) = grid.dim();
    let split = |p: f64, n: usize| -> (usize, usize, f64) {
        let p = p.clamp(0.0, (n - 1) as f64);
        let i = (p.floor() as usize).min(n.saturating_sub(2));
        let j = (i + 1).min(n - 1);
        (i, j, p - i as f64)
    };
    let (z0, z1, fz) = split(z, nz);
    let (y0, y1, fy) = split(y, ny);
    let (x0, x1, fx) = split(x, nx);
    let g = |a, b, c| grid[[a, b, c]] as f64;
    let lerp = |a: f64, b: f64, t: f64| a + (b - a) * t;
    let c00 = lerp(g(z0, y0, x0), g(z0, y0, x1), fx);
    let c01 = lerp(g(z0, y1, x0), g(z0, y1, x1), fx);
    let c10 = lerp(g(z1, y0, x0), g(z1, y0, x1), fx);
    let c11 = lerp(g(z1, y1, x0), g(z1, y1, x1), fx);
    lerp(lerp(c00, c01, fy), lerp(c10, c11, fy), fz) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn reproduces_linear_fields() {
        let g = Array3::from_shape_fn((4, 5, 6), |(z, y, x)| {
            (2.0 * z as f32) - y as f32 + 0.5 * x as f32
        });
        let v = trilinear(g.view(), 1.25, 3.5, 4.75);
        assert!((v - (2.5 - 3.5 + 2.375)).abs() < 1e-5);
        assert_eq!(trilinear(g.view(), -3.0, 0.0, 0.0), g[[0, 0, 0]]);
        assert_eq!(trilinear(g.view(), 3.0, 4.0, 5.0), g[[3, 4, 5]]);
    }
}
