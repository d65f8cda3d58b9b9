//! A filopodium: a tube of constant radius around a planar circular arc, capped by a
//! hemisphere at its tip; its base end lies inside the cell body.

use crate::geometry::{add, dot, norm, scale, sub, Vec3};

/// One frame of a filopodium. Lengths in um.
#[derive(Debug, Clone)]
pub struct Tube {
    /// Start of the centreline (inside the body).
    pub base: Vec3,
    /// Unit tangent at the base.
    pub dir: Vec3,
    /// Unit vector perpendicular to `dir`: the arc bends towards it when `kappa` > 0.
    pub bend: Vec3,
    /// Signed curvature of the centreline, 1/um (|kappa| * length well below pi).
    pub kappa: f64,
    /// Centreline length from the base, um.
    pub length: f64,
    /// Tube radius, um.
    pub radius: f64,
}

impl Tube {
    /// Centreline point at arc length `s` (um).
    pub fn centre_at(&self, s: f64) -> Vec3 {
        let k = self.kappa;
        let (along, across) = if (k * s).abs() < 1e-6 {
            (s - k * k * s * s * s / 6.0, 0.5 * k * s * s)
        } else {
            ((k * s).sin() / k, (1.0 - (k * s).cos()) / k)
        };
        add(
            self.base,
            add(scale(self.dir, along), scale(self.bend, across)),
        )
    }

    /// Unit tangent at arc length `s`.
    pub fn tangent_at(&self, s: f64) -> Vec3 {
        let (sn, cs) = (self.kappa * s).sin_cos();
        add(scale(self.dir, cs), scale(self.bend, sn))
    }

    /// Squared distance (um^2) from `p` to the centreline.
    pub fn distance2(&self, p: Vec3) -> f64 {
        let d = sub(p, self.base);
        let u = dot(d, self.dir);
        let v = dot(d, self.bend);
        // Unconstrained closest arc length on the full circle (or line), then clamp.
        let s0 = if self.kappa.abs() < 1e-9 {
            u
        } else {
            let r = 1.0 / self.kappa;
            (u / r).atan2((r - v) / r) * r
        };
        let candidates = [0.0, self.length, s0.clamp(0.0, self.length)];
        candidates
            .iter()
            .map(|&s| {
                let q = sub(p, self.centre_at(s));
                dot(q, q)
            })
            .fold(f64::INFINITY, f64::min)
    }

    pub fn inside(&self, p: Vec3) -> bool {
        self.distance2(p) <= self.radius * self.radius
    }

    /// Centre and radius of a sphere that contains the tube.
    pub fn bounding_sphere(&self) -> (Vec3, f64) {
        let mid = self.centre_at(0.5 * self.length);
        let r = norm(sub(self.base, mid)).max(norm(sub(self.centre_at(self.length), mid)));
        (mid, r + self.radius)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_to_arc() {
        let t = Tube {
            base: [0.0; 3],
            dir: [1.0, 0.0, 0.0],
            bend: [0.0, 1.0, 0.0],
            kappa: 0.1,
            length: 5.0,
            radius: 0.2,
        };
        for s in [0.0, 1.3, 4.9] {
            let c = t.centre_at(s);
            // Offset along the normal of the arc (in plane) and out of plane.
            let tan = t.tangent_at(s);
            let normal = [-tan[1], tan[0], 0.0];
            let p = add(c, scale(normal, 0.15));
            assert!((t.distance2(p) - 0.0225).abs() < 1e-9, "s={s}");
            let q = add(c, [0.0, 0.0, 0.1]);
            assert!((t.distance2(q) - 0.01).abs() < 1e-9);
        }
        // Beyond the tip: distance to the end point.
        let tip = t.centre_at(5.0);
        let p = add(tip, scale(t.tangent_at(5.0), 0.3));
        assert!((t.distance2(p) - 0.09).abs() < 1e-9);
        assert!(t.centre_at(5.0)[1] > 0.0);
    }
}
