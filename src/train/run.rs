//! The training loop (libtorch, `torch` feature).

use super::adam::{Adam, Param};
use super::TrainOptions;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::model::{rotate_coords, Model, TorchModel, TrainedSequence, TrainingRecord};
use crate::progress::{check, Progress};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::time::Instant;
use tch::{Device, Kind, Tensor};

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
    let device = opts.device.resolve()?.tch();
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
            frame_offset_um: s.frames.iter().filter_map(|f| f.offset_um).collect(),
        })
        .collect();
    tch::manual_seed(opts.seed as i64);
    let (mut model, state) = match resume {
        Some(p) => {
            let (plain, state) = Model::load_with_extra(p)?;
            let m = TorchModel::from_model(&plain, device)?;
            let state: std::collections::BTreeMap<String, Tensor> = state
                .into_iter()
                .map(|(n, (shape, v))| {
                    let shape: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
                    Ok((n, crate::model::tensor_f32(&v, &shape, device)?))
                })
                .collect::<Result<_>>()?;
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
        None => (
            TorchModel::new(&opts.arch, sequences, opts.sigma, device)?,
            None,
        ),
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
            // The batch's frames are evaluated together ([F, P] points, one code each): one
            // matrix product per layer (a single frame through `forward_shared`, which rounds
            // as one-frame training always has). Every frame has the same number of points,
            // so the mean over all points is the mean of the frames' mean errors.
            let mut coords = Vec::with_capacity(batch.len());
            let mut targets = Vec::with_capacity(batch.len());
            for &row in batch {
                let (xyzt, target) = frame_points(data, row, opts, &mut rng, device)?;
                coords.push(match &model.rotations {
                    Some(r) => rotate_coords(&xyzt, &r.get(seq_of_row[row]))?,
                    None => xyzt,
                });
                targets.push(target);
            }
            let rows: Vec<i64> = batch.iter().map(|&row| seq_of_row[row]).collect();
            let codes = model
                .codes
                .f_index_select(0, &Tensor::from_slice(&rows).to_device(device))?;
            let pred = match &coords[..] {
                [one] => model.decoder.forward_shared(&codes, one)?.f_unsqueeze(0)?,
                _ => model
                    .decoder
                    .forward_frames(&codes, &Tensor::f_stack(&coords, 0)?)?,
            };
            let l1 = (pred - Tensor::f_stack(&targets, 0)?)
                .f_abs()?
                .f_mean(Kind::Float)?;
            let reg = codes
                .f_square()?
                .f_sum_dim_intlist(1, false, Kind::Float)?
                .f_mean(Kind::Float)?;
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
            model.save(out, &adam.state())?;
        }
    }
    let nothing_to_do = resumed_at >= opts.epochs;
    model.meta.training = Some(record);
    if nothing_to_do {
        // A resumed checkpoint that already holds the epochs asked for: write it unchanged,
        // so that `out` always holds the model after a successful call.
        model.save(out, &adam.state())?;
    }
    let mut trained = model.to_model()?;
    trained.device = opts.device.resolve()?;
    Ok(trained)
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
