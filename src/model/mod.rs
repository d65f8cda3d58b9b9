//! The auto-decoder: architecture, checkpoints (plain data, no libtorch) and, with the
//! `torch` feature, the libtorch network for training, fitting and CUDA.

mod checkpoint;
mod config;
mod evaluate;
mod import;
#[cfg(feature = "torch")]
mod network;
#[cfg(feature = "torch")]
mod trainable;

pub use checkpoint::{
    CodeStats, ExtraTensors, Model, ModelMeta, TrainedSequence, TrainingRecord, MODEL_FORMAT,
    MODEL_VERSION,
};
pub use config::{Activation, ArchConfig, CoordinateInit};
pub use evaluate::jaccard;
#[cfg(feature = "torch")]
pub use evaluate::{evaluate_points, grid_sdf};
pub use import::import_reference;
#[cfg(feature = "torch")]
pub use network::{rotate_coords, tensor_f32, Decoder};
#[cfg(feature = "torch")]
pub use trainable::{tensor_values, TorchModel};
