//! Synthesis: SDF grids of a code at any spatial and temporal resolution (dense or
//! adaptive), new codes, interpolation between sequences, fitting codes to observed masks,
//! and writing the results as calibrated hyperstacks.

mod codes;
mod fit;
pub mod latent;
mod output;
mod render;
pub mod size;

pub use codes::{draw_codes, draw_codes_from, interpolate_codes, CodeSource, DrawnCode};
pub use fit::{fit_code, FitOptions, FittedCode};
pub use output::{
    check_frames, sequence_scale, times, training_scale_and_interval, write_sequence,
    SequenceFormat, SynthOptions, SynthRecord,
};
pub use render::{Evaluation, RenderGrid, Renderer};
