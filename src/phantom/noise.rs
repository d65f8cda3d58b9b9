//! Smooth, low-frequency modulation of a cell surface over the axial coordinate, the angle
//! around the axis and time: a sum of a few separable cosine modes whose amplitudes and phases
//! drift slowly with time.

use rand::Rng;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// One mode: amplitude * (1 + wobble sin(2 pi rate tau + phase0)) * cos(m phi + drift)
/// * cos(l pi u + axial_phase), with u in [0, 1] along the axis.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mode {
    pub m: u32,
    pub l: u32,
    pub amplitude: f64,
    pub wobble: f64,
    pub rate: f64,
    pub phase0: f64,
    pub angular_phase: f64,
    pub angular_drift: f64,
    pub axial_phase: f64,
}

/// A set of modes; `amplitude_scale` multiplies them all (used for mitotic rounding).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SurfaceNoise {
    pub modes: Vec<Mode>,
}

impl SurfaceNoise {
    /// `count` random modes with a total amplitude of at most `total` (relative radius).
    pub fn random(rng: &mut impl Rng, count: usize, total: f64) -> SurfaceNoise {
        let mut modes: Vec<Mode> = (0..count)
            .map(|_| {
                let m = rng.random_range(1..=4u32);
                Mode {
                    m,
                    l: rng.random_range(0..=2u32),
                    amplitude: rng.random_range(0.3..1.0) / m as f64,
                    wobble: rng.random_range(0.2..0.6),
                    rate: rng.random_range(0.3..1.5),
                    phase0: rng.random_range(0.0..2.0 * PI),
                    angular_phase: rng.random_range(0.0..2.0 * PI),
                    angular_drift: rng.random_range(-1.0..1.0),
                    axial_phase: rng.random_range(0.0..2.0 * PI),
                }
            })
            .collect();
        // Worst case of the sum is sum(amplitude * (1 + wobble)); scale it to `total`.
        let worst: f64 = modes.iter().map(|m| m.amplitude * (1.0 + m.wobble)).sum();
        if worst > 0.0 {
            for m in &mut modes {
                m.amplitude *= total / worst;
            }
        }
        SurfaceNoise { modes }
    }

    /// Relative radius change at axial position `u` in [0, 1], angle `phi` (rad), time `tau`
    /// in [0, 1], times `scale`. Its magnitude never exceeds `scale * total`.
    pub fn value(&self, u: f64, phi: f64, tau: f64, scale: f64) -> f64 {
        let mut s = 0.0;
        for m in &self.modes {
            let amp = m.amplitude * (1.0 + m.wobble * (2.0 * PI * m.rate * tau + m.phase0).sin());
            s += amp
                * (m.m as f64 * phi + m.angular_phase + m.angular_drift * tau).cos()
                * (m.l as f64 * PI * u + m.axial_phase).cos();
        }
        s * scale
    }
}
