//! The auto-decoder: architecture, network, checkpoints, dense evaluation.

mod checkpoint;
mod config;
mod evaluate;
mod import;
mod network;

pub use checkpoint::{
    CodeStats, Model, ModelMeta, TrainedSequence, TrainingRecord, MODEL_FORMAT, MODEL_VERSION,
};
pub use config::{Activation, ArchConfig, CoordinateInit};
pub use evaluate::{evaluate_points, grid_sdf, jaccard};
pub use import::import_reference;
pub use network::{rotate_coords, tensor_f32, Decoder};
