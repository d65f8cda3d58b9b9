//! Signed distance functions of voxel masks: the exact Euclidean distance transform, the
//! signed distance in micrometres, and trilinear interpolation of sampled fields.

mod edt;
mod interp;
mod signed;

pub use edt::{distance, squared_distance};
pub use interp::trilinear;
pub use signed::signed_distance;
