//! The `dividing` class: C. elegans-like cells that grow, round up, pinch in a cleavage
//! furrow and separate into two daughters within the sequence.

use super::body::AxialBody;
use super::noise::SurfaceNoise;
use super::shape::CellShape;
use super::{random_frame, smoothstep};
use crate::geometry::Frame;
use rand::Rng;
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Per-sequence parameters, drawn from the seed. Times are normalised sequence time
/// tau in [0, 1] (first to last frame); lengths in um, volumes in um^3.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DividingCell {
    /// Volume at tau = 0 before deformation, um^3.
    pub volume0_um3: f64,
    /// Relative volume growth over the whole sequence (0.2: +20 %).
    pub growth: f64,
    /// Axial over equatorial radius at the start.
    pub elongation0: f64,
    /// Elongation added by anaphase.
    pub elongation_gain: f64,
    /// Cross-section aspect (minor / major) outside mitosis.
    pub aspect: f64,
    /// When the neck closes (topology changes from one to two components).
    pub division_tau: f64,
    /// How long the furrow takes to close.
    pub furrow_duration: f64,
    /// Furrow depth gained per unit tau after the neck closed (separation speed).
    pub separation_rate: f64,
    /// Furrow position as a fraction of the axial half-length (asymmetry of the daughters).
    pub furrow_offset: f64,
    /// Furrow width as a fraction of the axial half-length.
    pub furrow_width: f64,
    /// Largest relative surface deformation.
    pub noise_amplitude: f64,
    pub noise: SurfaceNoise,
    /// Orientation of the division axis (local z) in the image.
    pub frame: Frame,
}

/// Largest furrow depth beyond 1 once the daughters separated (sets the final gap).
const MAX_GAP_DEPTH: f64 = 0.8;

/// Ratio of the unfurrowed to the furrowed profile volume, int (1 - z^2/c^2) dz over
/// int max(0, (1 - z^2/c^2)(1 - d exp(-((z - z_f)/w)^2))) dz (midpoint rule, 2000 cells).
fn furrow_compensation(c: f64, depth: f64, pos: f64, width: f64) -> f64 {
    if depth <= 0.0 {
        return 1.0;
    }
    let n = 2000;
    let (mut plain, mut furrowed) = (0.0, 0.0);
    for i in 0..n {
        let z = -c + 2.0 * c * (i as f64 + 0.5) / n as f64;
        let p = 1.0 - (z / c).powi(2);
        plain += p;
        furrowed += (p * (1.0 - depth * (-((z - pos) / width).powi(2)).exp())).max(0.0);
    }
    plain / furrowed
}

impl DividingCell {
    pub fn sample(rng: &mut impl Rng) -> DividingCell {
        let noise_amplitude = rng.random_range(0.12..0.20);
        DividingCell {
            volume0_um3: LogNormal::new(28.5f64.ln(), 0.36).unwrap().sample(rng),
            growth: rng.random_range(0.15..0.45),
            elongation0: rng.random_range(1.1..1.4),
            elongation_gain: rng.random_range(0.35..0.7),
            aspect: rng.random_range(0.72..0.95),
            division_tau: rng.random_range(0.42..0.65),
            furrow_duration: rng.random_range(0.12..0.2),
            separation_rate: rng.random_range(3.5..6.0),
            furrow_offset: rng.random_range(-0.12..0.12),
            furrow_width: rng.random_range(0.30..0.40),
            noise_amplitude,
            noise: SurfaceNoise::random(rng, 6, noise_amplitude),
            frame: random_frame(rng),
        }
    }

    /// The cell at normalised time `tau`, centred at `centre` (um).
    pub fn shape_at(&self, tau: f64, centre: [f64; 3]) -> CellShape {
        let furrow_start = self.division_tau - self.furrow_duration;
        // Mitotic rounding: smoother and rounder around the division.
        let rounding = smoothstep(furrow_start - 0.1, furrow_start, tau)
            * (1.0 - smoothstep(self.division_tau + 0.1, self.division_tau + 0.3, tau));
        let aspect = self.aspect + (1.0 - self.aspect) * 0.8 * rounding;
        let elongation = self.elongation0
            + self.elongation_gain * smoothstep(furrow_start, self.division_tau + 0.15, tau);
        let depth = if tau < furrow_start {
            0.0
        } else if tau < self.division_tau {
            smoothstep(furrow_start, self.division_tau, tau)
        } else {
            1.0 + (self.separation_rate * (tau - self.division_tau)).min(MAX_GAP_DEPTH)
        };
        let volume = self.volume0_um3 * (1.0 + self.growth * tau);
        let a = (3.0 * volume / (4.0 * PI * aspect * elongation)).cbrt();
        let c = elongation * a;
        // The furrow removes volume; widen the profile so that the total volume keeps
        // following growth (cells divide without losing mass).
        let furrow_pos = self.furrow_offset * c;
        let furrow_width = self.furrow_width * c;
        let a = a * furrow_compensation(c, depth, furrow_pos, furrow_width).sqrt();
        CellShape {
            body: AxialBody {
                centre,
                frame: self.frame,
                a,
                aspect,
                c,
                furrow_depth: depth,
                furrow_pos,
                furrow_width,
                noise: self.noise.clone(),
                noise_scale: 1.0 - 0.6 * rounding,
                noise_bound: self.noise_amplitude,
                tau,
            },
            filopodia: Vec::new(),
        }
    }
}
