//! Filopodia as tubes beside the cell body.
//!
//! A network SDF cannot keep filopodia thinner than its fitting error joined to the cell
//! (docs/results.md, "More probes of the filopodia"): their existence hangs on the sign of
//! values below 0.1 um. Here a cell is its *body*, the mask opened with a ball of radius
//! `opening_um` (the network renders it well), plus *tubes*: straight centre lines of a
//! length and radius, attached to the body, so a filopodium cannot come loose.
//!
//! - [`body`]: the opening of a mask and its main components (pieces beside the cell go,
//!   daughter cells stay);
//! - [`extract`]: the branches of a mask beyond its body (base, tip, length, radius);
//! - [`model`]: branches followed over the frames of training sequences by their bases,
//!   kept as tracks (length over time, radius, tilt from the outward direction): the
//!   [`TubeModel`] a model file carries;
//! - [`draw`]: new tubes from a tube model, and a rendered frame made into body + tubes.
//!
//! Arrays are [z, y, x] voxel grids; points and lengths are in um, a point (x, y, z) being
//! voxel (z, y, x)'s centre at (x sx, y sy, z sz).

pub mod body;
pub mod draw;
pub mod extract;
pub mod model;

pub use body::{body_of, main_components, open_with_ball};
pub use draw::{draw_tubes, tube_seed, with_tubes, DrawnTube};
pub use extract::{find_branches, Branch, FrameBranches};
pub use model::{TrackedMasks, TubeFitter, TubeModel, TubeParams, TubeTrack};
