//! Operations on voxel volumes (arrays indexed [z, y, x]).

mod components;
mod smooth;

pub use components::{label_components, Connectivity};
pub use smooth::gaussian;
