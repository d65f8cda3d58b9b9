//! The `filopodial` class: A549-like cells, a deformed body with thin filopodia that emerge,
//! grow, bend slightly and sometimes retract.

use super::body::AxialBody;
use super::noise::SurfaceNoise;
use super::random_frame;
use super::shape::CellShape;
use super::tube::Tube;
use crate::geometry::{add, cross, dot, normalize, scale, Frame, Vec3};
use rand::Rng;
use rand_distr::{Distribution, Normal, StandardNormal};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// One filopodium's life. Times in normalised sequence time tau; lengths in um.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Filopodium {
    /// Direction from the body centre, in the body's local frame (unit).
    pub direction: Vec3,
    /// Bending direction, perpendicular to `direction` (local frame, unit).
    pub bend: Vec3,
    pub radius_um: f64,
    /// When it pierces the surface (may be < 0: present from the start).
    pub emerge_tau: f64,
    /// Growth speed, um per unit tau.
    pub speed: f64,
    pub max_length_um: f64,
    /// When it starts to retract, if it does.
    pub retract_tau: Option<f64>,
    pub retract_speed: f64,
    /// Curvature kappa(tau) = kappa0 + kappa1 sin(2 pi rate tau + phase), 1/um.
    pub kappa0: f64,
    pub kappa1: f64,
    pub bend_rate: f64,
    pub bend_phase: f64,
}

impl Filopodium {
    /// Visible length beyond the body surface at `tau`, um.
    pub fn length_at(&self, tau: f64) -> f64 {
        let grow = |t: f64| (self.speed * (t - self.emerge_tau)).clamp(0.0, self.max_length_um);
        match self.retract_tau {
            Some(r) if tau > r => (grow(r) - self.retract_speed * (tau - r)).max(0.0),
            _ => grow(tau),
        }
    }
}

/// Per-sequence parameters, drawn from the seed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FilopodialCell {
    pub body_volume_um3: f64,
    pub elongation: f64,
    pub aspect: f64,
    pub noise_amplitude: f64,
    pub noise: SurfaceNoise,
    pub frame: Frame,
    pub filopodia: Vec<Filopodium>,
}

/// How far inside the body surface a filopodium's centreline starts, um.
const ROOT_DEPTH_UM: f64 = 0.4;

impl FilopodialCell {
    pub fn sample(rng: &mut impl Rng) -> FilopodialCell {
        let noise_amplitude = rng.random_range(0.12..0.2);
        let count = rng.random_range(9..=14usize);
        let mut dirs: Vec<Vec3> = Vec::new();
        let min_cos = (40.0f64).to_radians().cos();
        while dirs.len() < count {
            let v: Vec3 = [0; 3].map(|_| StandardNormal.sample(rng));
            let v = normalize(v);
            if dirs.iter().all(|d| dot(*d, v) < min_cos) {
                dirs.push(v);
            }
        }
        let filopodia = dirs
            .into_iter()
            .map(|direction| {
                let helper: Vec3 = if direction[0].abs() < 0.9 {
                    [1.0, 0.0, 0.0]
                } else {
                    [0.0, 1.0, 0.0]
                };
                let e1 = normalize(cross(direction, helper));
                let e2 = cross(direction, e1);
                let angle = rng.random_range(0.0..2.0 * PI);
                let bend = add(scale(e1, angle.cos()), scale(e2, angle.sin()));
                let emerge_tau = rng.random_range(-0.7..0.7);
                Filopodium {
                    direction,
                    bend,
                    radius_um: rng.random_range(0.1..0.3),
                    emerge_tau,
                    speed: rng.random_range(6.0..16.0),
                    max_length_um: rng.random_range(3.0..8.5),
                    retract_tau: if rng.random_bool(0.4) {
                        Some(rng.random_range(emerge_tau + 0.3..1.2))
                    } else {
                        None
                    },
                    retract_speed: rng.random_range(5.0..12.0),
                    kappa0: rng.random_range(-0.04..0.04),
                    kappa1: rng.random_range(0.0..0.04),
                    bend_rate: rng.random_range(0.5..1.5),
                    bend_phase: rng.random_range(0.0..2.0 * PI),
                }
            })
            .collect();
        FilopodialCell {
            body_volume_um3: Normal::new(45.0f64, 2.5).unwrap().sample(rng).max(35.0),
            elongation: rng.random_range(1.0..1.3),
            aspect: rng.random_range(0.45..0.7),
            noise_amplitude,
            noise: SurfaceNoise::random(rng, 6, noise_amplitude),
            frame: random_frame(rng),
            filopodia,
        }
    }

    /// The cell at normalised time `tau`, centred at `centre` (um).
    pub fn shape_at(&self, tau: f64, centre: Vec3) -> CellShape {
        let a = (3.0 * self.body_volume_um3 / (4.0 * PI * self.aspect * self.elongation)).cbrt();
        let body = AxialBody {
            centre,
            frame: self.frame,
            a,
            aspect: self.aspect,
            c: self.elongation * a,
            furrow_depth: 0.0,
            furrow_pos: 0.0,
            furrow_width: 1.0,
            noise: self.noise.clone(),
            noise_scale: 1.0,
            noise_bound: self.noise_amplitude,
            tau,
        };
        let filopodia = self
            .filopodia
            .iter()
            .map(|f| {
                let dir = self.frame.to_world(f.direction);
                let surface = surface_distance(&body, dir);
                let depth = ROOT_DEPTH_UM + f.radius_um;
                Tube {
                    base: add(centre, scale(dir, surface - depth)),
                    dir,
                    bend: self.frame.to_world(f.bend),
                    kappa: f.kappa0
                        + f.kappa1 * (2.0 * PI * f.bend_rate * tau + f.bend_phase).sin(),
                    length: depth + f.length_at(tau),
                    radius: f.radius_um,
                }
            })
            .collect();
        CellShape { body, filopodia }
    }
}

/// Distance from the body centre to its surface along the world direction `dir` (um).
fn surface_distance(body: &AxialBody, dir: Vec3) -> f64 {
    let (mut lo, mut hi) = (0.0, body.bounding_radius() * 1.01);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if body.inside(add(body.centre, scale(dir, mid))) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}
