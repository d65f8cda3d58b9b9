//! Operations on voxel volumes (arrays indexed [z, y, x]).

mod bbox;
mod components;
mod smooth;

pub use bbox::{bounding_box, label_boxes, label_mask, BoundingBox};
pub use components::{label_components, Connectivity};
pub use smooth::gaussian;
