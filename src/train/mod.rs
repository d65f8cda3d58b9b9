//! Training the auto-decoder: network weights and one latent code per sequence optimised
//! jointly (L1 SDF loss plus a code regulariser), Adam with separate learning rates halved
//! on a schedule, checkpoints that can be resumed exactly, progress and cancellation.

#[cfg(feature = "torch")]
mod adam;
#[cfg(feature = "torch")]
mod run;

pub use crate::device::DeviceChoice;
use crate::error::{Error, Result};
use crate::model::ArchConfig;
#[cfg(feature = "torch")]
pub use adam::{Adam, Param};
#[cfg(feature = "torch")]
pub use run::train;
use serde::{Deserialize, Serialize};

/// [`train`] in a build without libtorch: always [`Error::Unsupported`].
#[cfg(not(feature = "torch"))]
pub fn train(
    _data: &crate::dataset::Dataset,
    _opts: &TrainOptions,
    _out: &std::path::Path,
    _resume: Option<&std::path::Path>,
    _progress: &dyn crate::progress::Progress,
) -> Result<crate::model::Model> {
    Err(crate::device::training_not_built("training"))
}

/// Training options; defaults are the paper's (learning rates, schedule, sigma), with
/// batches of one frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    pub arch: ArchConfig,
    pub epochs: usize,
    pub lr_net: f64,
    pub lr_codes: f64,
    /// Both learning rates halve every this many epochs (0: never).
    pub halve_every: usize,
    /// Standard deviation of the initial codes.
    pub sigma: f64,
    /// Weight of the code regulariser mean ||z||^2 / sigma^2 (ramped in over `reg_ramp`).
    pub code_reg: f64,
    pub reg_ramp: usize,
    /// Frames per optimisation step, evaluated in one forward pass
    /// ([`crate::model::Decoder::forward_frames`]); the loss is the mean over all their points.
    pub frames_per_batch: usize,
    /// Points drawn from each frame per step (None: all the frame's samples).
    pub points_per_frame: Option<usize>,
    /// Draw fresh points from the stored grids every epoch instead of the stored samples.
    pub resample: bool,
    pub device: DeviceChoice,
    /// libtorch CPU threads (None: libtorch's default).
    pub threads: Option<usize>,
    pub seed: u64,
    /// Write a checkpoint every this many epochs (0: only at the end).
    pub checkpoint_every: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            arch: ArchConfig::paper(),
            epochs: 100,
            lr_net: 1e-4,
            lr_codes: 1e-3,
            halve_every: 100,
            sigma: 0.1,
            code_reg: 1e-4,
            reg_ramp: 100,
            frames_per_batch: 1,
            points_per_frame: None,
            resample: false,
            device: DeviceChoice::Auto,
            threads: None,
            seed: 0,
            checkpoint_every: 10,
        }
    }
}

impl TrainOptions {
    pub fn validate(&self) -> Result<()> {
        self.arch.validate()?;
        if self.epochs == 0 {
            return Err(Error::invalid("epochs", "must be at least 1"));
        }
        for (n, v) in [
            ("lr-net", self.lr_net),
            ("lr-codes", self.lr_codes),
            ("sigma", self.sigma),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::invalid(n, "must be positive"));
            }
        }
        if !(self.code_reg.is_finite() && self.code_reg >= 0.0) {
            return Err(Error::invalid("code-reg", "must be >= 0"));
        }
        if self.frames_per_batch == 0 {
            return Err(Error::invalid("frames-per-batch", "must be at least 1"));
        }
        if self.points_per_frame == Some(0) {
            return Err(Error::invalid("points-per-frame", "must be at least 1"));
        }
        Ok(())
    }
}
