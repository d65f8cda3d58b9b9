//! cellsdf: generative neural signed distance functions of living-cell shapes in 3D+time
//! (Wiesner et al., MICCAI 2022), with image I/O that Fiji and napari agree on and
//! realistic cell phantoms with exact ground truth.
//!
//! Conventions everywhere: arrays are (t, z, y, x) in C order; user-facing sizes and voxel
//! sizes are (x, y, z); lengths are micrometres, times seconds.

pub mod calibrate;
pub mod dataset;
pub mod describe;
pub mod device;
pub mod engine;
pub mod error;
pub mod ffi;
pub mod filopodia;
pub mod geometry;
pub mod io;
pub mod linalg;
pub mod mesh;
pub mod model;
pub mod phantom;
pub mod progress;
pub mod sdf;
pub mod seed;
pub mod simulate;
pub mod synth;
#[cfg(feature = "torch")]
pub mod torch_info;
pub mod train;
pub mod units;
pub mod volume;
pub mod workflow;

pub use error::{Error, Result};
pub use units::{Calibration, VoxelSize};
