//! Model checkpoints: safetensors files holding the network (`lin{k}.weight`, `lin{k}.bias`),
//! the latent codes (`codes`, [sequences, code_size]) and, in training checkpoints, the
//! optimiser state (`adam.m.<name>`, `adam.v.<name>`), with a JSON description in the
//! metadata (`format` = "cellsdf-model", `version` = "1", `model` = [`ModelMeta`]).

use super::config::ArchConfig;
use crate::dataset::Normalisation;
use crate::device::ComputeDevice;
use crate::error::{Error, Result};
use crate::units::VoxelSize;
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

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
    /// Shift (x, y, z) um of each training frame's cell from the first frame's, when the
    /// dataset centred every frame on its cell (the track; empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frame_offset_um: Vec<[f64; 3]>,
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
    /// Filopodia drawn as tubes on the rendered body (`cellsdf tubes`); absent in models
    /// that render the network's shape as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tubes: Option<crate::filopodia::TubeModel>,
    /// Each training sequence's cell size as the synthesis samplers measure it
    /// ([`crate::synth::size`]), recorded by `cellsdf export` so that drawing new sizes
    /// need not render every learned code first; absent: measured when needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sizes: Option<crate::synth::size::SizeRecord>,
}

/// Tensors of a checkpoint that are not part of the model (the optimiser state), by name:
/// shape and float32 values in C order.
pub type ExtraTensors = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// A trained model: network weights, one code per training sequence, description. Plain
/// float32 data owned by the model (no libtorch): the CPU engine renders it directly, and
/// training, fitting and CUDA rendering copy it into libtorch (`TorchModel`, `torch`
/// feature).
#[derive(Debug, Clone)]
pub struct Model {
    /// Per layer `lin{k}`: weight `[out, in]` row-major and bias `[out]`.
    pub layers: Vec<(Vec<f32>, Vec<f32>)>,
    /// Learned codes `[sequences, code_size]`, row-major.
    pub codes: Vec<f32>,
    /// Per sequence, Euler angles (radians) when the architecture learns rotations.
    pub rotations: Option<Vec<[f32; 3]>>,
    pub meta: ModelMeta,
    /// Where renders of this model run (CUDA needs the `torch` feature).
    pub device: ComputeDevice,
}

impl Model {
    /// A model from its parts, checked against `config`: `layers` per layer (weight
    /// `[out, in]` row-major, bias `[out]`), `codes` `[sequences, code_size]` row-major (at
    /// least one), `rotations` one per code when the architecture learns them. Code
    /// statistics are computed; `sequences` may be empty or one per code.
    pub fn from_parts(
        config: &ArchConfig,
        layers: Vec<(Vec<f32>, Vec<f32>)>,
        codes: Vec<f32>,
        rotations: Option<Vec<[f32; 3]>>,
        sequences: Vec<TrainedSequence>,
    ) -> Result<Model> {
        config.validate()?;
        // The engine checks the layer shapes.
        crate::engine::Engine::new(config, layers.clone())?;
        let c = config.code_size;
        let n = codes.len() / c.max(1);
        if n == 0 || codes.len() != n * c {
            return Err(Error::invalid(
                "codes",
                format!("{} values are not one or more codes of {c}", codes.len()),
            ));
        }
        if !sequences.is_empty() && sequences.len() != n {
            return Err(Error::invalid(
                "sequences",
                format!("{} descriptions for {n} codes", sequences.len()),
            ));
        }
        if rotations.as_ref().map(Vec::len) != config.learned_rotation.then_some(n) {
            return Err(Error::invalid(
                "rotations",
                "one per code exactly when the architecture learns rotations",
            ));
        }
        let mut m = Model {
            layers,
            codes,
            rotations,
            meta: ModelMeta {
                config: config.clone(),
                sequences,
                code_stats: CodeStats { mean: 0.0, sd: 0.0 },
                training: None,
                tubes: None,
                sizes: None,
            },
            device: ComputeDevice::Cpu,
        };
        m.update_code_stats();
        Ok(m)
    }

    /// Number of learned codes (training sequences).
    pub fn n_codes(&self) -> usize {
        self.codes.len() / self.meta.config.code_size.max(1)
    }

    /// Recomputes [`ModelMeta::code_stats`] from the codes (sample standard deviation).
    pub fn update_code_stats(&mut self) {
        let n = self.codes.len();
        let mean = self.codes.iter().map(|&v| v as f64).sum::<f64>() / n.max(1) as f64;
        let var = self
            .codes
            .iter()
            .map(|&v| (v as f64 - mean).powi(2))
            .sum::<f64>()
            / (n.max(2) - 1) as f64;
        self.meta.code_stats = CodeStats {
            mean,
            sd: if n > 1 { var.sqrt() } else { 0.0 },
        };
    }

    /// Total number of network parameters (equals [`ArchConfig::parameter_count`]).
    pub fn parameter_count(&self) -> usize {
        self.layers.iter().map(|(w, b)| w.len() + b.len()).sum()
    }

    /// The network as a [`crate::engine::Engine`] (a copy of the weights).
    pub fn engine(&self) -> Result<crate::engine::Engine> {
        crate::engine::Engine::new(&self.meta.config, self.layers.clone())
    }

    /// Code of training sequence `i`, [code_size].
    pub fn code(&self, i: usize) -> Result<Vec<f32>> {
        let n = self.n_codes();
        if i >= n {
            return Err(Error::invalid(
                "sequence",
                format!("index {i} is out of range: the model has {n} sequences"),
            ));
        }
        let c = self.meta.config.code_size;
        Ok(self.codes[i * c..(i + 1) * c].to_vec())
    }

    /// Replaces the code of training sequence `i` by `code` ([code_size] finite values).
    pub fn set_code(&mut self, i: usize, code: &[f32]) -> Result<()> {
        let c = self.meta.config.code_size;
        self.code(i)?;
        if code.len() != c || code.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "code",
                format!("needs {c} finite values, got {}", code.len()),
            ));
        }
        self.codes[i * c..(i + 1) * c].copy_from_slice(code);
        Ok(())
    }

    /// Learned rotation of training sequence `i` (Euler angles, radians), if the model has
    /// them.
    pub fn rotation(&self, i: usize) -> Option<[f32; 3]> {
        self.rotations.as_ref().and_then(|r| r.get(i).copied())
    }

    /// Writes the model (and `extra` tensors, e.g. optimiser state) atomically to `path`.
    pub fn save(&self, path: &Path, extra: &[(String, Vec<usize>, Vec<f32>)]) -> Result<()> {
        let mut data: Vec<(String, &[f32], Vec<usize>)> = Vec::new();
        for (l, (w, b)) in self.layers.iter().enumerate() {
            let (fan_in, out) = self.meta.config.layer_shape(l);
            data.push((format!("lin{l}.weight"), w, vec![out, fan_in]));
            data.push((format!("lin{l}.bias"), b, vec![out]));
        }
        data.push((
            "codes".into(),
            &self.codes,
            vec![self.n_codes(), self.meta.config.code_size],
        ));
        if let Some(r) = &self.rotations {
            data.push(("rotations".into(), r.as_flattened(), vec![r.len(), 3]));
        }
        data.extend(
            extra
                .iter()
                .map(|(n, s, v)| (n.clone(), v.as_slice(), s.clone())),
        );
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

    /// Loads a checkpoint (rendering on the CPU). Corrupt, truncated, foreign or
    /// mismatched files are errors naming the file and the problem.
    pub fn load(path: &Path) -> Result<Model> {
        Ok(Self::load_with_extra(path)?.0)
    }

    /// [`Model::load`], also returning the other tensors the file holds (optimiser state).
    pub fn load_with_extra(path: &Path) -> Result<(Model, ExtraTensors)> {
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
        Self::from_bytes(&bytes, path)
    }

    /// [`Model::load_with_extra`] from a checkpoint held in memory; `path` names it in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<(Model, ExtraTensors)> {
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
        if let Some(t) = &meta.tubes {
            t.validate()
                .map_err(|e| bad(format!("invalid tube model: {e}")))?;
        }
        if let Some(s) = &meta.sizes {
            s.validate()
                .map_err(|e| bad(format!("invalid cell sizes: {e}")))?;
        }
        // Check names, shapes and values against the architecture before keeping anything.
        let expected = expected_shapes(&meta.config, &st).map_err(bad)?;
        let mut tensors: ExtraTensors = BTreeMap::new();
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
            tensors.insert(name, (view.shape().to_vec(), v));
        }
        let n_codes = expected["codes"][0];
        if !meta.sequences.is_empty() && meta.sequences.len() != n_codes {
            return Err(bad(format!(
                "the description lists {} sequences but the file holds {n_codes} codes",
                meta.sequences.len()
            )));
        }
        let mut take = |name: &str| -> Result<Vec<f32>> {
            tensors
                .remove(name)
                .map(|(_, v)| v)
                .ok_or_else(|| bad(format!("missing tensor {name}")))
        };
        let layers = (0..meta.config.layers)
            .map(|l| {
                Ok((
                    take(&format!("lin{l}.weight"))?,
                    take(&format!("lin{l}.bias"))?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let codes = take("codes")?;
        let rotations = if meta.config.learned_rotation {
            Some(
                take("rotations")?
                    .chunks_exact(3)
                    .map(|r| [r[0], r[1], r[2]])
                    .collect(),
            )
        } else {
            None
        };
        let model = Model {
            layers,
            codes,
            rotations,
            meta,
            device: ComputeDevice::Cpu,
        };
        Ok((model, tensors))
    }
}
