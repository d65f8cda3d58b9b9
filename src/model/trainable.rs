//! A model in libtorch, for what needs gradients or a GPU: training, code fitting and CUDA
//! rendering (`torch` feature). It is made from a [`Model`] or freshly initialised, and
//! turned back into one to be saved or rendered on the CPU.

use super::checkpoint::{CodeStats, Model, ModelMeta, TrainedSequence};
use super::config::ArchConfig;
use super::network::{tensor_f32, Decoder};
use crate::device::ComputeDevice;
use crate::error::Result;
use tch::{Device, Kind, Tensor};

/// Network, codes and rotations as trainable tensors on one device.
pub struct TorchModel {
    pub decoder: Decoder,
    /// [sequences, code_size], in the decoder's VarStore (trainable).
    pub codes: Tensor,
    /// [sequences, 3] Euler angles (radians) when the architecture learns rotations.
    pub rotations: Option<Tensor>,
    pub meta: ModelMeta,
}

/// The float32 values of `t` (any device) in C order.
pub fn tensor_values(t: &Tensor) -> Result<Vec<f32>> {
    Ok(Vec::<f32>::try_from(
        t.f_detach()?
            .f_to_device(Device::Cpu)?
            .f_to_kind(Kind::Float)?
            .f_contiguous()?
            .f_flatten(0, -1)?,
    )?)
}

impl TorchModel {
    /// A fresh model with codes drawn from N(0, sigma^2) (call `tch::manual_seed` first).
    pub fn new(
        config: &ArchConfig,
        sequences: Vec<TrainedSequence>,
        sigma: f64,
        device: Device,
    ) -> Result<TorchModel> {
        let decoder = Decoder::new(config, device)?;
        let n = sequences.len().max(1) as i64;
        let codes = decoder.vs.root().var(
            "codes",
            &[n, config.code_size as i64],
            tch::nn::Init::Randn {
                mean: 0.0,
                stdev: sigma,
            },
        );
        let rotations = config.learned_rotation.then(|| {
            decoder
                .vs
                .root()
                .var("rotations", &[n, 3], tch::nn::Init::Const(0.0))
        });
        Ok(TorchModel {
            decoder,
            codes,
            rotations,
            meta: ModelMeta {
                config: config.clone(),
                sequences,
                code_stats: CodeStats {
                    mean: 0.0,
                    sd: sigma,
                },
                training: None,
                tubes: None,
                sizes: None,
            },
        })
    }

    /// A copy of `model` on `device`, trainable.
    pub fn from_model(model: &Model, device: Device) -> Result<TorchModel> {
        let config = &model.meta.config;
        let decoder = Decoder::from_layers(config, &model.layers, device)?;
        let n = model.n_codes() as i64;
        let root = decoder.vs.root();
        let codes = root.var(
            "codes",
            &[n, config.code_size as i64],
            tch::nn::Init::Const(0.0),
        );
        let src = tensor_f32(&model.codes, &[n, config.code_size as i64], device)?;
        tch::no_grad(|| codes.shallow_clone().f_copy_(&src))?;
        let rotations = match &model.rotations {
            None => None,
            Some(r) => {
                let t = root.var("rotations", &[n, 3], tch::nn::Init::Const(0.0));
                let src = tensor_f32(r.as_flattened(), &[n, 3], device)?;
                tch::no_grad(|| t.shallow_clone().f_copy_(&src))?;
                Some(t)
            }
        };
        Ok(TorchModel {
            decoder,
            codes,
            rotations,
            meta: model.meta.clone(),
        })
    }

    /// The model as plain data (weights copied to the host), with fresh code statistics.
    pub fn to_model(&self) -> Result<Model> {
        let params = self.decoder.named_parameters();
        let layers = params
            .chunks(2)
            .map(|wb| Ok((tensor_values(&wb[0].1)?, tensor_values(&wb[1].1)?)))
            .collect::<Result<Vec<_>>>()?;
        let rotations = match &self.rotations {
            None => None,
            Some(r) => Some(
                tensor_values(r)?
                    .chunks_exact(3)
                    .map(|a| [a[0], a[1], a[2]])
                    .collect(),
            ),
        };
        let device = match self.decoder.device() {
            Device::Cuda(i) => ComputeDevice::Cuda(i),
            _ => ComputeDevice::Cpu,
        };
        let mut m = Model {
            layers,
            codes: tensor_values(&self.codes)?,
            rotations,
            meta: self.meta.clone(),
            device,
        };
        m.update_code_stats();
        Ok(m)
    }

    /// Writes the model and `extra` tensors (optimiser state) atomically to `path`; returns
    /// the model as saved.
    pub fn save(&self, path: &std::path::Path, extra: &[(String, Tensor)]) -> Result<Model> {
        let m = self.to_model()?;
        let extra = extra
            .iter()
            .map(|(n, t)| {
                let shape = t.size().iter().map(|&s| s as usize).collect();
                Ok((n.clone(), shape, tensor_values(t)?))
            })
            .collect::<Result<Vec<_>>>()?;
        m.save(path, &extra)?;
        Ok(m)
    }
}
