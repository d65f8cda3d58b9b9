//! Fitting a code to an observed sequence with the network frozen (DeepSDF's inference):
//! the masks are prepared like training data (exact SDF with their physical voxel size, so
//! anisotropic stacks and missing frames are fine), then only the code is optimised.

use crate::dataset::Normalisation;
#[cfg(feature = "torch")]
use crate::dataset::{prepare_samples, Alignment, Centring, PrepareOptions, ScaleMode};
#[cfg(feature = "torch")]
use crate::error::Error;
use crate::error::Result;
use crate::model::Model;
use crate::progress::Progress;
#[cfg(feature = "torch")]
use crate::progress::{check, Silent};
#[cfg(feature = "torch")]
use crate::train::{Adam, Param};
use crate::units::VoxelSize;
use std::path::Path;
#[cfg(feature = "torch")]
use tch::{Kind, Tensor};

/// Options of [`fit_code`].
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    pub iterations: usize,
    pub lr: f64,
    /// Weight of the code regulariser ||z||^2 / sigma^2 (sigma from the model).
    pub code_reg: f64,
    pub samples_per_frame: usize,
    pub voxel_um: Option<VoxelSize>,
    /// What the planes of the mask file mean when its metadata says otherwise.
    pub axes: Option<crate::io::Axes>,
    pub seed: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            iterations: 300,
            lr: 5e-3,
            code_reg: 1e-4,
            samples_per_frame: 8192,
            voxel_um: None,
            axes: None,
            seed: 0,
        }
    }
}

/// A fitted code with the normalisation of the observed cell and the final L1 loss.
#[derive(Debug, Clone)]
pub struct FittedCode {
    pub code: Vec<f32>,
    pub normalisation: Normalisation,
    pub voxel_um: VoxelSize,
    pub frame_interval_s: Option<f64>,
    /// Model time of each observed frame.
    pub frame_t: Vec<f64>,
    pub loss: f64,
}

/// Fits a code of `model` to the single cell in the mask or label file `masks` (one
/// sequence; empty frames count as missing). The network is not changed. Needs libtorch
/// (gradients): [`crate::Error::Unsupported`] in a build without it.
#[cfg(not(feature = "torch"))]
pub fn fit_code(
    _model: &Model,
    _masks: &Path,
    _opts: &FitOptions,
    _progress: &dyn Progress,
) -> Result<FittedCode> {
    Err(crate::device::training_not_built("fitting a code"))
}

/// Fits a code of `model` to the single cell in the mask or label file `masks` (one
/// sequence; empty frames count as missing). The network is not changed.
#[cfg(feature = "torch")]
pub fn fit_code(
    model: &Model,
    masks: &Path,
    opts: &FitOptions,
    progress: &dyn Progress,
) -> Result<FittedCode> {
    if opts.iterations == 0 {
        return Err(Error::invalid("iterations", "must be at least 1"));
    }
    // Prepare the observation as the model's training data was: at the training scale when
    // it was one for all sequences (codes then carry size), aligned when they were aligned.
    let norms: Vec<Normalisation> = model
        .meta
        .sequences
        .iter()
        .filter_map(|s| s.normalisation)
        .collect();
    let shared_scale = norms
        .first()
        .map(|n| n.scale_um)
        .filter(|s| norms.iter().all(|n| (n.scale_um - s).abs() <= 1e-9 * s));
    let p = PrepareOptions {
        grid: 0,
        samples_per_frame: opts.samples_per_frame,
        voxel_um: opts.voxel_um,
        axes: opts.axes,
        seed: opts.seed,
        fixed_scale_um: shared_scale.filter(|_| norms.len() > 1),
        scale: if shared_scale.is_some() && norms.len() > 1 {
            ScaleMode::Dataset
        } else {
            ScaleMode::Sequence
        },
        align: if norms.iter().any(|n| n.axes.is_some()) {
            Alignment::Sequence
        } else {
            Alignment::None
        },
        centre: if model
            .meta
            .sequences
            .iter()
            .any(|s| !s.frame_offset_um.is_empty())
        {
            Centring::Frame
        } else {
            Centring::Sequence
        },
        ..Default::default()
    };
    // The observation's samples, prepared in memory (no dataset folder).
    let prepared = prepare_samples(&[masks.to_path_buf()], &p, &Silent)?;
    if prepared.sequences.len() != 1 {
        return Err(Error::invalid(
            "masks",
            format!("{} holds {} cells (sequences); fit one cell at a time (a binary mask, or a label image of one label)", masks.display(), prepared.sequences.len()),
        ));
    }
    let device = model.device.tch();
    let decoder = crate::model::Decoder::from_layers(&model.meta.config, &model.layers, device)?;
    let c = model.meta.config.code_size as i64;
    let sigma = if model.meta.code_stats.sd > 0.0 {
        model.meta.code_stats.sd
    } else {
        0.1
    };
    let code = Tensor::zeros([c], (Kind::Float, device)).set_requires_grad(true);
    // The trainer's Adam (PyTorch's update), on the code alone.
    let mut adam = Adam::new(
        vec![Param {
            name: "code".into(),
            tensor: code.shallow_clone(),
            group: 0,
        }],
        vec![opts.lr],
    );
    let per_row = prepared.samples_per_frame * 5;
    let batches: Vec<(Tensor, Tensor)> = prepared
        .samples
        .chunks_exact(per_row)
        .map(|row| {
            let t = Tensor::from_slice(row)
                .reshape([prepared.samples_per_frame as i64, 5])
                .to_device(device);
            (t.narrow(1, 0, 4), t.select(1, 4))
        })
        .collect();
    let mut loss_value = f64::NAN;
    for it in 0..opts.iterations {
        adam.zero_grad();
        let mut l1s = Vec::new();
        for (coords, target) in &batches {
            l1s.push(
                (decoder.forward_shared(&code, coords)? - target)
                    .abs()
                    .mean(Kind::Float),
            );
        }
        let l1 = Tensor::stack(&l1s, 0).mean(Kind::Float);
        let loss = &l1 + code.square().sum(Kind::Float) * (opts.code_reg / (sigma * sigma));
        loss.backward();
        adam.step();
        loss_value = l1.double_value(&[]);
        check(
            progress,
            (it + 1) as f32 / opts.iterations as f32,
            &format!("fitting: loss {loss_value:.5}"),
        )?;
    }
    let s = &prepared.sequences[0];
    Ok(FittedCode {
        code: Vec::<f32>::try_from(code.detach().to_device(tch::Device::Cpu))?,
        normalisation: s.normalisation,
        voxel_um: s.voxel_um,
        frame_interval_s: s.frame_interval_s,
        frame_t: s.frames.iter().map(|f| f.t).collect(),
        loss: loss_value,
    })
}
