//! Cell phantoms: realistic 3D+time binary masks of single-cell sequences with exact ground
//! truth, the stand-in for the paper's datasets and the built-in default of `make demo`.
//!
//! Two classes ([`PhantomKind`]): `dividing` (C. elegans-like cells that grow and divide) and
//! `filopodial` (A549-like cells with thin filopodia). Every sequence is drawn from its own
//! random stream derived from (seed, index), so the same seed gives the same files, bit for
//! bit, whatever the thread count. Shapes evolve over the normalised sequence time
//! tau in [0, 1] (first to last frame); the frame interval only calibrates the output.
//! Ground-truth volume and area come from quadrature of the analytic surface, never from
//! the voxels.

mod body;
mod dividing;
mod filopodial;
mod noise;
mod output;
mod raster;
mod shape;
mod tube;

pub use body::Measures;
pub use dividing::DividingCell;
pub use filopodial::{FilopodialCell, Filopodium};
pub use output::{
    generate, generate_into, sphericity as sphericity_of, FrameRecord, Manifest, SequenceRecord,
};
pub use raster::rasterize;
pub use shape::CellShape;

use crate::error::{Error, Result};
use crate::geometry::Frame;
use crate::units::VoxelSize;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The two phantom classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhantomKind {
    /// C. elegans-like cells that grow, round up and divide (one component, then two).
    Dividing,
    /// A549-like cells with filopodia that grow, bend and retract.
    Filopodial,
}

impl PhantomKind {
    /// Default edge of the cubic field of view, um: room for the largest cells of the class.
    pub fn default_field_um(self) -> f64 {
        match self {
            PhantomKind::Dividing => 12.8,
            PhantomKind::Filopodial => 22.4,
        }
    }

    /// Default time between frames, s (the paper's datasets: 1 min and 20 s).
    pub fn default_frame_interval_s(self) -> f64 {
        match self {
            PhantomKind::Dividing => 60.0,
            PhantomKind::Filopodial => 20.0,
        }
    }
}

impl fmt::Display for PhantomKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PhantomKind::Dividing => "dividing",
            PhantomKind::Filopodial => "filopodial",
        })
    }
}

impl FromStr for PhantomKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "dividing" => Ok(PhantomKind::Dividing),
            "filopodial" => Ok(PhantomKind::Filopodial),
            _ => Err(Error::invalid(
                "kind",
                format!("unknown phantom kind {s:?}; expected dividing or filopodial"),
            )),
        }
    }
}

/// What to generate. Sizes are (x, y, z) voxels; voxel size in um; interval in s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhantomOptions {
    pub kind: PhantomKind,
    /// Number of sequences.
    pub count: usize,
    /// Frames per sequence.
    pub frames: usize,
    /// Grid size (x, y, z) in voxels.
    pub size_xyz: [usize; 3],
    pub voxel_um: VoxelSize,
    pub frame_interval_s: f64,
    pub seed: u64,
}

impl PhantomOptions {
    /// Defaults for `kind`: 4 sequences of 30 frames at 0.1 um isotropic voxels in the
    /// class's default field of view.
    pub fn new(kind: PhantomKind) -> Self {
        let voxel_um = VoxelSize::isotropic(0.1);
        PhantomOptions {
            kind,
            count: 4,
            frames: 30,
            size_xyz: default_size(kind, voxel_um),
            voxel_um,
            frame_interval_s: kind.default_frame_interval_s(),
            seed: 0,
        }
    }

    pub fn validate(&self) -> Result<()> {
        if self.count == 0 || self.count > 100_000 {
            return Err(Error::invalid("count", "must be between 1 and 100000"));
        }
        if self.frames == 0 || self.frames > 10_000 {
            return Err(Error::invalid("frames", "must be between 1 and 10000"));
        }
        self.voxel_um.validate("voxel-um")?;
        if !(self.frame_interval_s.is_finite() && self.frame_interval_s > 0.0) {
            return Err(Error::invalid(
                "frame-interval",
                "must be a positive number of seconds",
            ));
        }
        let voxels: usize = self.size_xyz.iter().product();
        if self.size_xyz.contains(&0) || voxels > 1 << 31 {
            return Err(Error::invalid(
                "size",
                format!(
                    "grid {:?} must have 1 to 2^31 voxels per frame",
                    self.size_xyz
                ),
            ));
        }
        Ok(())
    }
}

/// The class's default field of view at `voxel` size, (x, y, z) voxels.
pub fn default_size(kind: PhantomKind, voxel: VoxelSize) -> [usize; 3] {
    let f = kind.default_field_um();
    [voxel.x, voxel.y, voxel.z].map(|v| (f / v).ceil().max(1.0) as usize)
}

/// One sequence's shape model, as drawn from its seed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum CellModel {
    Dividing(DividingCell),
    Filopodial(FilopodialCell),
}

impl CellModel {
    /// Draws the model of sequence `index` of a set generated with `seed`.
    pub fn sample(kind: PhantomKind, seed: u64, index: usize) -> CellModel {
        let mut rng = ChaCha8Rng::seed_from_u64(sequence_seed(seed, index));
        match kind {
            PhantomKind::Dividing => CellModel::Dividing(DividingCell::sample(&mut rng)),
            PhantomKind::Filopodial => CellModel::Filopodial(FilopodialCell::sample(&mut rng)),
        }
    }

    /// The shape at normalised time `tau`, with its body centre at `centre` (um).
    pub fn shape_at(&self, tau: f64, centre: [f64; 3]) -> CellShape {
        match self {
            CellModel::Dividing(c) => c.shape_at(tau, centre),
            CellModel::Filopodial(c) => c.shape_at(tau, centre),
        }
    }
}

/// Seed of sequence `index` in a set generated with `seed` (see [`crate::seed`]).
pub use crate::seed::stream_seed as sequence_seed;

/// Normalised time of frame `f` of `frames` (0 for a single frame).
pub fn tau_of(f: usize, frames: usize) -> f64 {
    if frames <= 1 {
        0.0
    } else {
        f as f64 / (frames - 1) as f64
    }
}

/// Hermite smoothstep: 0 below `e0`, 1 above `e1`, smooth in between.
pub(crate) fn smoothstep(e0: f64, e1: f64, x: f64) -> f64 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// A uniformly random orientation (normalised Gaussian quaternion).
pub(crate) fn random_frame(rng: &mut impl Rng) -> Frame {
    let q: [f64; 4] = [0; 4].map(|_| StandardNormal.sample(rng));
    Frame::from_quaternion(q)
}
