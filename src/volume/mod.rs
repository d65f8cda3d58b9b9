//! Operations on voxel volumes (arrays indexed [z, y, x]).

mod components;

pub use components::{label_components, Connectivity};
