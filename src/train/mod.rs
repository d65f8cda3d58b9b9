//! Training the auto-decoder: network weights and one latent code per sequence optimised
//! jointly (L1 SDF loss plus a code regulariser), Adam with separate learning rates halved
//! on a schedule, checkpoints that can be resumed exactly, progress and cancellation.

mod adam;

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::model::{rotate_coords, ArchConfig, Model, TrainedSequence, TrainingRecord};
use crate::progress::{check, Progress};
pub use adam::{Adam, Param};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;
use tch::{Device, Kind, Tensor};

/// Where to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// CUDA when available, else CPU.
    Auto,
    Cpu,
    Cuda,
}

impl DeviceChoice {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(DeviceChoice::Auto),
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda),
            _ => Err(Error::invalid(
                "device",
                format!("{s:?} is not auto, cpu or cuda"),
            )),
        }
    }

    pub fn resolve(self) -> Result<Device> {
        match self {
            DeviceChoice::Cpu => Ok(Device::Cpu),
            DeviceChoice::Auto => Ok(Device::cuda_if_available()),
            DeviceChoice::Cuda if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
            DeviceChoice::Cuda => Err(Error::invalid(
                "device",
                "cuda was asked for but libtorch sees no CUDA device",
            )),
        }
    }
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
    /// Frames per optimisation step.
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

/// Trains a model on `data`, writing checkpoints to `out` every `checkpoint_every` epochs and
/// at the end (atomically: a killed run keeps its last complete checkpoint). With `resume`,
/// continues from that checkpoint (weights, codes, optimiser state, epoch) to `opts.epochs`;
/// on CPU the result equals an uninterrupted run. A checkpoint that already holds
/// `opts.epochs` epochs (or more) is written to `out` unchanged. Progress reports the epoch, loss and speed;
/// cancelling stops after the current step and returns [`Error::Cancelled`], leaving the last
/// checkpoint as it was.
pub fn train(
    data: &Dataset,
    opts: &TrainOptions,
    out: &Path,
    resume: Option<&Path>,
    progress: &dyn Progress,
) -> Result<Model> {
    opts.validate()?;
    // The checkpoint's folder is created up front, so that a run does not fail at its
    // first checkpoint after minutes of work.
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    if let Some(t) = opts.threads {
        tch::set_num_threads(t.max(1) as i32);
    }
    let device = opts.device.resolve()?;
    let sequences: Vec<TrainedSequence> = data
        .meta
        .sequences
        .iter()
        .map(|s| TrainedSequence {
            name: s.name.clone(),
            normalisation: Some(s.normalisation),
            voxel_um: Some(s.voxel_um),
            frame_interval_s: s.frame_interval_s,
            frame_t: s.frames.iter().map(|f| f.t).collect(),
        })
        .collect();
    tch::manual_seed(opts.seed as i64);
    let (mut model, state) = match resume {
        Some(p) => {
            let (m, state) = Model::load(p, device)?;
            if m.meta.config != opts.arch || m.meta.sequences.len() != sequences.len() {
                return Err(Error::invalid(
                    "resume",
                    format!(
                        "{} was trained with another architecture or dataset",
                        p.display()
                    ),
                ));
            }
            (m, Some(state))
        }
        None => (Model::new(&opts.arch, sequences, opts.sigma, device)?, None),
    };
    let mut params: Vec<Param> = model
        .decoder
        .named_parameters()
        .into_iter()
        .map(|(name, tensor)| Param {
            name,
            tensor,
            group: 0,
        })
        .collect();
    params.push(Param {
        name: "codes".into(),
        tensor: model.codes.shallow_clone(),
        group: 1,
    });
    if let Some(r) = &model.rotations {
        params.push(Param {
            name: "rotations".into(),
            tensor: r.shallow_clone(),
            group: 1,
        });
    }
    let mut adam = Adam::new(params, vec![opts.lr_net, opts.lr_codes]);
    let mut record = TrainingRecord {
        epochs_done: 0,
        adam_step: 0,
        loss_history: Vec::new(),
        options: serde_json::to_value(opts).unwrap_or_default(),
        dataset: Some(data.dir.display().to_string()),
        seconds: 0.0,
    };
    if let (Some(state), Some(prev)) = (state, model.meta.training.clone()) {
        if !adam.restore(&state, prev.adam_step) {
            return Err(Error::invalid(
                "resume",
                "the checkpoint holds no optimiser state (not a training checkpoint)",
            ));
        }
        record = TrainingRecord {
            options: record.options,
            ..prev
        };
    }
    // Sequence index of every frame row (rows are stored sequence by sequence).
    let seq_of_row: Vec<i64> = data
        .meta
        .sequences
        .iter()
        .enumerate()
        .flat_map(|(i, s)| std::iter::repeat_n(i as i64, s.frames.len()))
        .collect();
    let total_points = {
        let per = opts.points_per_frame.unwrap_or(data.meta.samples_per_frame);
        per * data.frames_total()
    };
    let started = Instant::now();
    let time_before = record.seconds;
    let resumed_at = record.epochs_done;
    for epoch in record.epochs_done..opts.epochs {
        let halvings = epoch.checked_div(opts.halve_every).unwrap_or(0);
        let factor = 0.5f64.powi(halvings as i32);
        adam.lr = vec![opts.lr_net * factor, opts.lr_codes * factor];
        let ramp = if opts.reg_ramp > 0 {
            ((epoch + 1) as f64 / opts.reg_ramp as f64).min(1.0)
        } else {
            1.0
        };
        let mut rng = ChaCha8Rng::seed_from_u64(crate::seed::stream_seed(opts.seed, epoch));
        let mut order: Vec<usize> = (0..data.frames_total()).collect();
        order.shuffle(&mut rng);
        let epoch_start = Instant::now();
        let mut loss_sum = 0.0;
        let mut steps = 0usize;
        for batch in order.chunks(opts.frames_per_batch) {
            adam.zero_grad();
            let mut l1s = Vec::with_capacity(batch.len());
            let mut regs = Vec::with_capacity(batch.len());
            for &row in batch {
                let (coords, target) = frame_points(data, row, opts, &mut rng, device)?;
                let code = model.codes.get(seq_of_row[row]);
                let coords = match &model.rotations {
                    Some(r) => rotate_coords(&coords, &r.get(seq_of_row[row]))?,
                    None => coords,
                };
                let pred = model.decoder.forward_shared(&code, &coords)?;
                l1s.push((pred - target).abs().mean(Kind::Float));
                regs.push(code.square().sum(Kind::Float));
            }
            let l1 = Tensor::stack(&l1s, 0).mean(Kind::Float);
            let reg = Tensor::stack(&regs, 0).mean(Kind::Float);
            let loss = &l1 + reg * (opts.code_reg * ramp / (opts.sigma * opts.sigma));
            loss.backward();
            adam.step();
            loss_sum += l1.double_value(&[]);
            steps += 1;
            let fraction = (epoch as f32
                + steps as f32 / (order.len() as f32 / opts.frames_per_batch as f32))
                / opts.epochs as f32;
            if !progress.report(
                fraction.min(1.0),
                &format!("epoch {}/{}", epoch + 1, opts.epochs),
            ) {
                return Err(Error::Cancelled);
            }
        }
        let mean = loss_sum / steps.max(1) as f64;
        record.loss_history.push(mean);
        record.epochs_done = epoch + 1;
        record.adam_step = adam.step;
        record.seconds = time_before + started.elapsed().as_secs_f64();
        let speed = total_points as f64 / epoch_start.elapsed().as_secs_f64().max(1e-9);
        let left = (opts.epochs - epoch - 1) as f64 * epoch_start.elapsed().as_secs_f64();
        check(
            progress,
            (epoch + 1) as f32 / opts.epochs as f32,
            &format!(
                "epoch {}/{} loss {mean:.5} {:.0}k points/s {:.0}s left",
                epoch + 1,
                opts.epochs,
                speed / 1e3,
                left
            ),
        )?;
        let last = epoch + 1 == opts.epochs;
        if last || (opts.checkpoint_every > 0 && (epoch + 1) % opts.checkpoint_every == 0) {
            model.meta.training = Some(record.clone());
            model.update_code_stats();
            model.save(out, &adam.state())?;
        }
    }
    let nothing_to_do = resumed_at >= opts.epochs;
    model.meta.training = Some(record);
    model.update_code_stats();
    if nothing_to_do {
        // A resumed checkpoint that already holds the epochs asked for: write it unchanged,
        // so that `out` always holds the model after a successful call.
        model.save(out, &adam.state())?;
    }
    Ok(model)
}

/// (coords [P, 4], sdf [P]) of frame `row` for one step.
fn frame_points(
    data: &Dataset,
    row: usize,
    opts: &TrainOptions,
    rng: &mut ChaCha8Rng,
    device: Device,
) -> Result<(Tensor, Tensor)> {
    let s = data.meta.samples_per_frame;
    let p = opts.points_per_frame.unwrap_or(s);
    let rows = if opts.resample {
        data.resample(row, p, rng)?
    } else {
        let all = data.samples(row);
        if p >= s {
            all.to_owned()
        } else {
            let idx: Vec<usize> = (0..p).map(|_| rng.random_range(0..s)).collect();
            all.select(ndarray::Axis(0), &idx)
        }
    };
    let n = rows.nrows() as i64;
    let flat: Vec<f32> = rows.iter().copied().collect();
    let t = Tensor::from_slice(&flat).reshape([n, 5]).to_device(device);
    Ok((t.narrow(1, 0, 4), t.select(1, 4)))
}
