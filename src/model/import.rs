//! Models of the reference implementation (MIAGroupUT/IMPLICIT-CELL-SURFACES) as cellsdf
//! models. The reference's network weights (`lin{k}.weight`, `lin{k}.bias`) and latent codes
//! (`codes`, float32 [N, code size]) come as a plain safetensors file (what
//! `python -m cellsdf.convert_reference` writes from the `.pth` and `lat_vecs.mat`, which
//! only Python reads); the architecture is read from the weight shapes, and the model is
//! checked and built exactly as a cellsdf checkpoint is loaded.

use super::checkpoint::{CodeStats, Model, ModelMeta, TrainedSequence};
use super::checkpoint::{MODEL_FORMAT, MODEL_VERSION};
use super::config::{Activation, ArchConfig, CoordinateInit};
use crate::error::{Error, Result};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use std::collections::HashMap;
use std::path::Path;

/// The architecture that the reference weights `shapes` (name -> shape) describe: code
/// size from lin0's inputs (code + x, y, z, t), width = lin0's outputs + 4 (the reference's
/// convention), the layers that take the full input again from their input widths.
fn reference_config(
    shapes: &HashMap<String, Vec<usize>>,
    activation: Activation,
    omega: f64,
) -> std::result::Result<ArchConfig, String> {
    let mut layers: Vec<usize> = shapes
        .keys()
        .filter_map(|k| k.strip_prefix("lin")?.strip_suffix(".weight")?.parse().ok())
        .collect();
    layers.sort_unstable();
    if layers.is_empty() || layers != (0..layers.len()).collect::<Vec<_>>() {
        let mut names: Vec<&String> = shapes.keys().collect();
        names.sort();
        return Err(format!("expected weights lin0..linN, found {names:?}"));
    }
    let w0 = &shapes["lin0.weight"];
    let [hidden, input] = w0[..] else {
        return Err(format!(
            "lin0.weight has shape {w0:?}, expected 2 dimensions"
        ));
    };
    if input <= 4 || hidden == 0 {
        return Err(format!("lin0.weight has shape {w0:?}: no room for a code"));
    }
    let last = layers.len() - 1;
    let full: Vec<usize> = layers[1..last.max(1)]
        .iter()
        .copied()
        .filter(|l| shapes[&format!("lin{l}.weight")].get(1) == Some(&(hidden + input)))
        .collect();
    for &l in &layers[1..] {
        let want_in = if full.contains(&l) {
            hidden + input
        } else {
            hidden + 4
        };
        let want_out = if l == last { 1 } else { hidden };
        let got = &shapes[&format!("lin{l}.weight")];
        if got[..] != [want_out, want_in] {
            return Err(format!(
                "lin{l}.weight has shape {got:?}, expected [{want_out}, {want_in}] for the reference layout"
            ));
        }
    }
    Ok(ArchConfig {
        code_size: input - 4,
        width: hidden + 4,
        layers: layers.len(),
        full_input_at: full,
        activation,
        omega,
        learned_rotation: false,
        coordinate_init: CoordinateInit::default(),
    })
}

/// Reads the reference weights and codes from the plain safetensors file `raw` and builds
/// the model (on the CPU): architecture from the shapes, one unnamed training sequence per
/// code (no normalisation, voxel size or times: the reference does not record them).
pub fn import_reference(raw: &Path, activation: Activation, omega: f64) -> Result<Model> {
    let bad = |m: String| Error::format(raw, m);
    let size = std::fs::metadata(raw).map_err(|e| Error::io(raw, e))?.len();
    let limit = crate::io::ReadLimits::default().max_bytes;
    if size > limit {
        return Err(bad(format!(
            "{size} bytes exceeds the reading limit of {limit} bytes"
        )));
    }
    let bytes = std::fs::read(raw).map_err(|e| Error::io(raw, e))?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| bad(format!("not a safetensors file ({e:?})")))?;
    let mut shapes: HashMap<String, Vec<usize>> = HashMap::new();
    let mut views: Vec<(String, TensorView<'_>)> = Vec::new();
    for (name, view) in st.tensors() {
        let keep = name == "codes"
            || name
                .strip_prefix("lin")
                .and_then(|r| r.split_once('.'))
                .is_some_and(|(k, p)| k.parse::<usize>().is_ok() && (p == "weight" || p == "bias"));
        if !keep {
            continue;
        }
        if view.dtype() != Dtype::F32 {
            return Err(bad(format!(
                "tensor {name} is {:?}, expected F32",
                view.dtype()
            )));
        }
        shapes.insert(name.clone(), view.shape().to_vec());
        views.push((name, view));
    }
    let config = reference_config(&shapes, activation, omega).map_err(bad)?;
    let codes_view = views
        .iter()
        .find(|(n, _)| n == "codes")
        .map(|(_, v)| v)
        .ok_or_else(|| bad("no `codes` tensor (the latent codes, lat_vecs)".into()))?;
    let n = match codes_view.shape() {
        [n, c] if *c == config.code_size && *n > 0 => *n,
        other => {
            return Err(bad(format!(
                "codes have shape {other:?}, the network expects [N, {}]",
                config.code_size
            )))
        }
    };
    let codes: Vec<f32> = codes_view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let mean = codes.iter().map(|&v| v as f64).sum::<f64>() / codes.len() as f64;
    let sd = if codes.len() > 1 {
        (codes
            .iter()
            .map(|&v| (v as f64 - mean).powi(2))
            .sum::<f64>()
            / (codes.len() - 1) as f64)
            .sqrt()
    } else {
        0.0
    };
    let meta = ModelMeta {
        config,
        sequences: (0..n)
            .map(|i| TrainedSequence {
                name: format!("reference {i}"),
                normalisation: None,
                voxel_um: None,
                frame_interval_s: None,
                frame_t: Vec::new(),
                frame_offset_um: Vec::new(),
            })
            .collect(),
        code_stats: CodeStats { mean, sd },
        training: None,
        tubes: None,
        sizes: None,
    };
    let description =
        serde_json::to_string(&meta).map_err(|e| Error::invalid("model", e.to_string()))?;
    let info = HashMap::from([
        ("format".to_string(), MODEL_FORMAT.to_string()),
        ("version".to_string(), MODEL_VERSION.to_string()),
        ("model".to_string(), description),
    ]);
    let checkpoint = safetensors::serialize(views, Some(info))
        .map_err(|e| bad(format!("cannot re-encode: {e}")))?;
    Ok(Model::from_bytes(&checkpoint, raw)?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_layout_is_read_from_shapes_and_checked() {
        // The paper network: code 192, lin0 [252, 196], full input again at layer 4.
        let mut s: HashMap<String, Vec<usize>> = HashMap::new();
        for l in 0..8 {
            let (o, i) = match l {
                0 => (252, 196),
                4 => (252, 252 + 196),
                7 => (1, 256),
                _ => (252, 256),
            };
            s.insert(format!("lin{l}.weight"), vec![o, i]);
        }
        let c = reference_config(&s, Activation::Sine, 30.0).unwrap();
        assert_eq!((c.code_size, c.width, c.layers), (192, 256, 8));
        assert_eq!(c.full_input_at, vec![4]);
        s.insert("lin3.weight".into(), vec![252, 250]);
        let e = reference_config(&s, Activation::Sine, 30.0).unwrap_err();
        assert!(e.contains("lin3.weight") && e.contains("[252, 256]"), "{e}");
        s.remove("lin5.weight");
        assert!(reference_config(&s, Activation::Sine, 30.0)
            .unwrap_err()
            .contains("lin0..linN"));
    }
}
