//! Model checkpoints: safetensors files holding the network (`lin{k}.weight`, `lin{k}.bias`),
//! the latent codes (`codes`, [sequences, code_size]) and, in training checkpoints, the
//! optimiser state (`adam.m.<name>`, `adam.v.<name>`), with a JSON description in the
//! metadata (`format` = "cellsdf-model", `version` = "1", `model` = [`ModelMeta`]).

use super::config::ArchConfig;
use super::network::{tensor_f32, Decoder};
use crate::dataset::Normalisation;
use crate::error::{Error, Result};
use crate::units::VoxelSize;
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use tch::{Device, Kind, Tensor};

pub const MODEL_FORMAT: &str = "cellsdf-model";
pub const MODEL_VERSION: u32 = 1;

/// Largest safetensors header accepted (bytes); cellsdf's own are a few kilobytes plus
/// the sequence descriptions.
const MAX_HEADER: u64 = 64 << 20;

/// The tensors a model of `config` must hold, by name, with their shapes; the number of
/// codes comes from the file's `codes` tensor, which must be [n >= 1, code_size].
fn expected_shapes(
    config: &ArchConfig,
    st: &SafeTensors<'_>,
) -> std::result::Result<BTreeMap<String, Vec<usize>>, String> {
    let codes = st
        .tensor("codes")
        .map_err(|_| "no `codes` tensor".to_string())?;
    let n = match codes.shape() {
        [n, c] if *n >= 1 && *c == config.code_size => *n,
        other => {
            return Err(format!(
                "tensor codes has shape {other:?}, expected [sequences >= 1, {}]",
                config.code_size
            ))
        }
    };
    let mut out = BTreeMap::new();
    for l in 0..config.layers {
        let (fan_in, width) = config.layer_shape(l);
        out.insert(format!("lin{l}.weight"), vec![width, fan_in]);
        out.insert(format!("lin{l}.bias"), vec![width]);
    }
    out.insert("codes".into(), vec![n, config.code_size]);
    if config.learned_rotation {
        out.insert("rotations".into(), vec![n, 3]);
    }
    for name in out.keys() {
        if st.tensor(name).is_err() {
            return Err(format!("missing tensor {name}"));
        }
    }
    Ok(out)
}

/// What the model knows of one training sequence (absent for imported reference models).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedSequence {
    pub name: String,
    pub normalisation: Option<Normalisation>,
    pub voxel_um: Option<VoxelSize>,
    pub frame_interval_s: Option<f64>,
    /// Model time t of each training frame.
    pub frame_t: Vec<f64>,
}

/// Mean and standard deviation over all entries of the learned codes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CodeStats {
    pub mean: f64,
    pub sd: f64,
}

/// Progress of training, for resuming and for the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    pub epochs_done: usize,
    pub adam_step: i64,
    /// Mean L1 loss of each epoch (model units).
    pub loss_history: Vec<f64>,
    /// Options the run was started with (JSON of `TrainOptions`).
    pub options: serde_json::Value,
    pub dataset: Option<String>,
    pub seconds: f64,
}

/// The JSON description stored in a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    pub config: ArchConfig,
    pub sequences: Vec<TrainedSequence>,
    pub code_stats: CodeStats,
    pub training: Option<TrainingRecord>,
}

/// A trained model: network, one code per training sequence, description.
pub struct Model {
    pub decoder: Decoder,
    /// [sequences, code_size], in the decoder's VarStore (trainable).
    pub codes: Tensor,
    /// [sequences, 3] Euler angles (radians) when the architecture learns rotations.
    pub rotations: Option<Tensor>,
    pub meta: ModelMeta,
}

impl Model {
    /// A fresh model with codes drawn from N(0, sigma^2).
    pub fn new(
        config: &ArchConfig,
        sequences: Vec<TrainedSequence>,
        sigma: f64,
        device: Device,
    ) -> Result<Model> {
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
        let mut m = Model {
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
            },
        };
        m.update_code_stats();
        Ok(m)
    }

    pub fn update_code_stats(&mut self) {
        let c = self.codes.detach().to_kind(Kind::Double);
        self.meta.code_stats = CodeStats {
            mean: c.mean(Kind::Double).double_value(&[]),
            sd: if c.numel() > 1 {
                c.std(true).double_value(&[])
            } else {
                0.0
            },
        };
    }

    /// The network as a libtorch-free [`crate::engine::Engine`] (a copy of the weights).
    pub fn engine(&self) -> Result<crate::engine::Engine> {
        let params = self.decoder.named_parameters();
        let flat = |t: &Tensor| -> Result<Vec<f32>> {
            Ok(Vec::<f32>::try_from(
                t.f_detach()?
                    .f_to_device(Device::Cpu)?
                    .f_to_kind(Kind::Float)?
                    .f_contiguous()?
                    .f_flatten(0, -1)?,
            )?)
        };
        let layers = params
            .chunks(2)
            .map(|wb| Ok((flat(&wb[0].1)?, flat(&wb[1].1)?)))
            .collect::<Result<Vec<_>>>()?;
        crate::engine::Engine::new(&self.meta.config, layers)
    }

    /// Code of training sequence `i`, [code_size].
    pub fn code(&self, i: usize) -> Result<Tensor> {
        let n = self.codes.size()[0] as usize;
        if i >= n {
            return Err(Error::invalid(
                "sequence",
                format!("index {i} is out of range: the model has {n} sequences"),
            ));
        }
        Ok(self.codes.get(i as i64).detach())
    }

    /// Learned rotation of training sequence `i` ([3] Euler angles), if the model has them.
    pub fn rotation(&self, i: usize) -> Option<Tensor> {
        self.rotations.as_ref().map(|r| r.get(i as i64).detach())
    }

    /// Writes the model (and `extra` tensors, e.g. optimiser state) atomically to `path`.
    pub fn save(&self, path: &Path, extra: &[(String, Tensor)]) -> Result<()> {
        let mut tensors: Vec<(String, Tensor)> = self.decoder.named_parameters();
        tensors.push(("codes".into(), self.codes.shallow_clone()));
        if let Some(r) = &self.rotations {
            tensors.push(("rotations".into(), r.shallow_clone()));
        }
        tensors.extend(extra.iter().map(|(n, t)| (n.clone(), t.shallow_clone())));
        let data: Vec<(String, Vec<f32>, Vec<usize>)> = tensors
            .iter()
            .map(|(n, t)| {
                let cpu = t
                    .detach()
                    .to_device(Device::Cpu)
                    .to_kind(Kind::Float)
                    .contiguous();
                let shape: Vec<usize> = cpu.size().iter().map(|&s| s as usize).collect();
                let v = Vec::<f32>::try_from(cpu.flatten(0, -1)).map_err(Error::from)?;
                Ok((n.clone(), v, shape))
            })
            .collect::<Result<_>>()?;
        let views: Vec<(String, TensorView<'_>)> = data
            .iter()
            .map(|(n, v, s)| {
                let view = TensorView::new(Dtype::F32, s.clone(), bytemuck::cast_slice(v))
                    .map_err(|e| Error::invalid("model", format!("tensor {n}: {e}")))?;
                Ok((n.clone(), view))
            })
            .collect::<Result<_>>()?;
        let meta = serde_json::to_string(&self.meta)
            .map_err(|e| Error::invalid("model", e.to_string()))?;
        let info = HashMap::from([
            ("format".to_string(), MODEL_FORMAT.to_string()),
            ("version".to_string(), MODEL_VERSION.to_string()),
            ("model".to_string(), meta),
        ]);
        let bytes = safetensors::serialize(views, Some(info))
            .map_err(|e| Error::format(path, format!("cannot encode: {e}")))?;
        crate::io::write_bytes_atomic(path, &bytes)
    }

    /// The description of the checkpoint at `path`, read from its header only (the tensors
    /// are not read). Errors name the file.
    pub fn read_meta(path: &Path) -> Result<ModelMeta> {
        use std::io::Read;
        let bad = |m: String| Error::format(path, m);
        let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let size = f.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut len = [0u8; 8];
        f.read_exact(&mut len)
            .map_err(|_| bad("not a cellsdf model: shorter than a safetensors header".into()))?;
        let n = u64::from_le_bytes(len);
        if n > MAX_HEADER || n > size.saturating_sub(8) {
            return Err(bad(format!(
                "not a cellsdf model: header of {n} bytes in a file of {size} bytes"
            )));
        }
        let mut header = vec![0u8; n as usize];
        f.read_exact(&mut header).map_err(|e| Error::io(path, e))?;
        let v: serde_json::Value = serde_json::from_slice(&header)
            .map_err(|e| bad(format!("not a cellsdf model: unreadable header: {e}")))?;
        let info = v.get("__metadata__");
        let field = |k: &str| info.and_then(|i| i.get(k)).and_then(|x| x.as_str());
        if field("format") != Some(MODEL_FORMAT) {
            return Err(bad("not a cellsdf model: no cellsdf-model metadata".into()));
        }
        if field("version") != Some(MODEL_VERSION.to_string().as_str()) {
            return Err(bad(format!(
                "model format version {:?} is not supported (expected {MODEL_VERSION})",
                field("version")
            )));
        }
        serde_json::from_str(field("model").unwrap_or(""))
            .map_err(|e| bad(format!("invalid model description: {e}")))
    }

    /// Loads a checkpoint onto `device`. Returns the model and the other tensors the file
    /// holds (optimiser state). Corrupt, truncated, foreign or mismatched files are errors
    /// naming the file and the problem.
    pub fn load(path: &Path, device: Device) -> Result<(Model, BTreeMap<String, Tensor>)> {
        let bad = |m: String| Error::format(path, m);
        // Everything below is bounded by the file's size, itself bounded here.
        let size = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        let limit = crate::io::ReadLimits::default().max_bytes;
        if size > limit {
            return Err(bad(format!(
                "{size} bytes exceeds the reading limit of {limit} bytes"
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(&bytes, path, device)
    }

    /// [`Model::load`] from a checkpoint held in memory; `path` names it in errors.
    pub fn from_bytes(
        bytes: &[u8],
        path: &Path,
        device: Device,
    ) -> Result<(Model, BTreeMap<String, Tensor>)> {
        let bad = |m: String| Error::format(path, m);
        let st = SafeTensors::deserialize(bytes).map_err(|e| {
            bad(format!(
                "not a cellsdf model (unreadable safetensors: {e:?}); corrupt or truncated?"
            ))
        })?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| bad(format!("{e:?}")))?;
        let info = header.metadata().clone().unwrap_or_default();
        if info.get("format").map(String::as_str) != Some(MODEL_FORMAT) {
            return Err(bad("not a cellsdf model: no cellsdf-model metadata (reference .pth models need `python -m cellsdf.convert_reference` first)".into()));
        }
        if info.get("version").map(String::as_str) != Some(&MODEL_VERSION.to_string()) {
            return Err(bad(format!(
                "model format version {:?} is not supported (expected {MODEL_VERSION})",
                info.get("version")
            )));
        }
        let meta: ModelMeta =
            serde_json::from_str(info.get("model").map(String::as_str).unwrap_or(""))
                .map_err(|e| bad(format!("invalid model description: {e}")))?;
        meta.config
            .validate()
            .map_err(|e| bad(format!("invalid architecture: {e}")))?;
        // Check names, shapes and values against the architecture before building anything:
        // the network is only allocated once the file is known to hold all of it.
        let expected = expected_shapes(&meta.config, &st).map_err(bad)?;
        let mut tensors: BTreeMap<String, Tensor> = BTreeMap::new();
        for (name, view) in st.tensors() {
            if view.dtype() != Dtype::F32 {
                return Err(bad(format!(
                    "tensor {name} is {:?}, expected F32",
                    view.dtype()
                )));
            }
            if let Some(want) = expected.get(&name) {
                if view.shape() != want.as_slice() {
                    return Err(bad(format!(
                        "tensor {name} has shape {:?}, the architecture needs {want:?}",
                        view.shape()
                    )));
                }
            }
            // Copy out of the file: safetensors data need not be 4-byte aligned.
            let v: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            if expected.contains_key(&name) && v.iter().any(|x| !x.is_finite()) {
                return Err(bad(format!("tensor {name} holds NaN or infinite values")));
            }
            let shape: Vec<i64> = view.shape().iter().map(|&s| s as i64).collect();
            tensors.insert(name, tensor_f32(&v, &shape, device)?);
        }
        let n_codes = expected["codes"][0] as i64;
        if !meta.sequences.is_empty() && meta.sequences.len() as i64 != n_codes {
            return Err(bad(format!(
                "the description lists {} sequences but the file holds {n_codes} codes",
                meta.sequences.len()
            )));
        }
        let seqs = meta.sequences.clone();
        let mut model = Model::new(&meta.config, seqs, 0.0, device)?;
        if n_codes != model.codes.size()[0] {
            // A model with codes but no sequence descriptions (imported): size codes to the file.
            model.codes = model.decoder.vs.root().var(
                "codes_loaded",
                &[n_codes, meta.config.code_size as i64],
                tch::nn::Init::Const(0.0),
            );
            if meta.config.learned_rotation {
                model.rotations = Some(model.decoder.vs.root().var(
                    "rotations_loaded",
                    &[n_codes, 3],
                    tch::nn::Init::Const(0.0),
                ));
            }
        }
        let mut targets = model.decoder.named_parameters();
        targets.push(("codes".into(), model.codes.shallow_clone()));
        if let Some(r) = &model.rotations {
            targets.push(("rotations".into(), r.shallow_clone()));
        }
        for (name, mut target) in targets {
            let src = tensors
                .remove(&name)
                .ok_or_else(|| bad(format!("missing tensor {name}")))?;
            if src.size() != target.size() {
                return Err(bad(format!(
                    "tensor {name} has shape {:?}, the architecture needs {:?}",
                    src.size(),
                    target.size()
                )));
            }
            tch::no_grad(|| target.copy_(&src));
        }
        model.meta = meta;
        Ok((model, tensors))
    }
}
