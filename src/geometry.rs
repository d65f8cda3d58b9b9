//! Small 3-vector and rotation helpers. Vectors are (x, y, z) in micrometres.

/// A point or direction (x, y, z).
pub type Vec3 = [f64; 3];

pub fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub fn scale(a: Vec3, s: f64) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

pub fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}

pub fn normalize(a: Vec3) -> Vec3 {
    scale(a, 1.0 / norm(a))
}

/// A rotation as an orthonormal frame: `axes[k]` is local axis k expressed in world
/// coordinates (right-handed).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Frame {
    pub axes: [Vec3; 3],
}

impl Frame {
    /// The frame of a unit quaternion (w, x, y, z); the quaternion need not be normalised.
    pub fn from_quaternion(q: [f64; 4]) -> Frame {
        let n = (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]).sqrt();
        let [w, x, y, z] = q.map(|c| c / n);
        Frame {
            axes: [
                [
                    1.0 - 2.0 * (y * y + z * z),
                    2.0 * (x * y + w * z),
                    2.0 * (x * z - w * y),
                ],
                [
                    2.0 * (x * y - w * z),
                    1.0 - 2.0 * (x * x + z * z),
                    2.0 * (y * z + w * x),
                ],
                [
                    2.0 * (x * z + w * y),
                    2.0 * (y * z - w * x),
                    1.0 - 2.0 * (x * x + y * y),
                ],
            ],
        }
    }

    /// World vector `v` in local coordinates.
    pub fn to_local(&self, v: Vec3) -> Vec3 {
        [
            dot(v, self.axes[0]),
            dot(v, self.axes[1]),
            dot(v, self.axes[2]),
        ]
    }

    /// Local vector `v` in world coordinates.
    pub fn to_world(&self, v: Vec3) -> Vec3 {
        let [a, b, c] = self.axes;
        [
            a[0] * v[0] + b[0] * v[1] + c[0] * v[2],
            a[1] * v[0] + b[1] * v[1] + c[1] * v[2],
            a[2] * v[0] + b[2] * v[1] + c[2] * v[2],
        ]
    }
}

/// Gauss-Legendre nodes and weights on [-1, 1] (Newton iteration on P_n).
pub fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    for i in 0..n.div_ceil(2) {
        let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 0.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, z);
            for k in 2..=n {
                let p2 = ((2 * k - 1) as f64 * z * p1 - (k - 1) as f64 * p0) / k as f64;
                p0 = p1;
                p1 = p2;
            }
            let p = if n == 0 { 1.0 } else { p1 };
            dp = n as f64 * (z * p - p0) / (z * z - 1.0);
            let dz = p / dp;
            z -= dz;
            if dz.abs() < 1e-15 {
                break;
            }
        }
        x[i] = -z;
        x[n - 1 - i] = z;
        w[i] = 2.0 / ((1.0 - z * z) * dp * dp);
        w[n - 1 - i] = w[i];
    }
    (x, w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_integrates_polynomials() {
        let (x, w) = gauss_legendre(8);
        let s: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(14)).sum();
        assert!((s - 2.0 / 15.0).abs() < 1e-13);
        assert!((w.iter().sum::<f64>() - 2.0).abs() < 1e-13);
    }

    #[test]
    fn frame_is_orthonormal() {
        let f = Frame::from_quaternion([0.3, -0.5, 0.2, 0.7]);
        for i in 0..3 {
            for j in 0..3 {
                let d = dot(f.axes[i], f.axes[j]);
                assert!((d - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!((dot(cross(f.axes[0], f.axes[1]), f.axes[2]) - 1.0).abs() < 1e-12);
        let v = [0.1, 2.0, -3.0];
        let back = f.to_world(f.to_local(v));
        assert!(norm(sub(back, v)) < 1e-12);
    }
}
