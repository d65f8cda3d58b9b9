//! The conditional SDF network in tch: weights `lin{k}.weight` [out, in] and `lin{k}.bias`
//! [out], the reference implementation's names and shapes.

use super::config::{Activation, ArchConfig, CoordinateInit};
use crate::error::Result;
use tch::{nn, Device, Kind, Tensor};

/// The decoder. Owns its parameters in a tch VarStore on one device.
pub struct Decoder {
    pub config: ArchConfig,
    pub vs: nn::VarStore,
    weights: Vec<Tensor>,
    biases: Vec<Tensor>,
}

impl Decoder {
    /// A freshly initialised network. Sine: SIREN init, U(+-1/fan_in) for lin0 and
    /// U(+-sqrt(6/fan_in)/omega) for later weights; ReLU: PyTorch's default U(+-1/sqrt(fan_in)).
    /// Biases: U(+-1/sqrt(fan_in)). Call `tch::manual_seed` first for reproducibility.
    pub fn new(config: &ArchConfig, device: Device) -> Result<Decoder> {
        config.validate()?;
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for l in 0..config.layers {
            let (fan_in, out) = config.layer_shape(l);
            let fi = fan_in as f64;
            let bound = match (config.activation, l) {
                (Activation::Sine, 0) => 1.0 / fi,
                (Activation::Sine, _) => (6.0 / fi).sqrt() / config.omega,
                (Activation::Relu, _) => 1.0 / fi.sqrt(),
            };
            let p = &root / format!("lin{l}");
            let weight = p.var(
                "weight",
                &[out as i64, fan_in as i64],
                nn::Init::Uniform {
                    lo: -bound,
                    up: bound,
                },
            );
            if l == 0
                && config.activation == Activation::Sine
                && config.coordinate_init == CoordinateInit::Siren
            {
                // The coordinate columns as a SIREN first layer over 4 inputs.
                let c = config.code_size as i64;
                tch::no_grad(|| {
                    weight
                        .f_narrow(1, c, 4)
                        .and_then(|mut w| w.f_uniform_(-0.25, 0.25).map(|_| ()))
                })?;
            }
            weights.push(weight);
            let b = 1.0 / fi.sqrt();
            biases.push(p.var("bias", &[out as i64], nn::Init::Uniform { lo: -b, up: b }));
        }
        Ok(Decoder {
            config: config.clone(),
            vs,
            weights,
            biases,
        })
    }

    /// A network on `device` holding `layers` (per layer: weight `[out, in]` row-major,
    /// bias `[out]`, as [`crate::model::Model::layers`]).
    pub fn from_layers(
        config: &ArchConfig,
        layers: &[(Vec<f32>, Vec<f32>)],
        device: Device,
    ) -> Result<Decoder> {
        let d = Decoder::new(config, device)?;
        if layers.len() != config.layers {
            return Err(crate::Error::invalid(
                "model",
                format!(
                    "{} layers, the architecture has {}",
                    layers.len(),
                    config.layers
                ),
            ));
        }
        for (l, (w, b)) in layers.iter().enumerate() {
            let (fan_in, out) = config.layer_shape(l);
            if w.len() != fan_in * out || b.len() != out {
                return Err(crate::Error::invalid(
                    "model",
                    format!("lin{l} does not have the architecture's shape"),
                ));
            }
            let w = tensor_f32(w, &[out as i64, fan_in as i64], device)?;
            let b = tensor_f32(b, &[out as i64], device)?;
            tch::no_grad(|| -> Result<()> {
                d.weights[l].shallow_clone().f_copy_(&w)?;
                d.biases[l].shallow_clone().f_copy_(&b)?;
                Ok(())
            })?;
        }
        Ok(d)
    }

    pub fn device(&self) -> Device {
        self.vs.device()
    }

    fn act(&self, x: Tensor) -> Result<Tensor> {
        Ok(match self.config.activation {
            Activation::Sine => x.f_mul_scalar(self.config.omega)?.f_sin()?,
            Activation::Relu => x.f_relu()?,
        })
    }

    /// `x W^T` for the columns `at..at + n` of layer `l`'s weight.
    fn part(&self, x: &Tensor, l: usize, at: i64, n: i64) -> Result<Tensor> {
        Ok(x.f_matmul(&self.weights[l].f_narrow(1, at, n)?.f_transpose(-1, -2)?)?)
    }

    /// SDF of a batch of full input vectors [B, code_size + 4] (code, x, y, z, t), as the
    /// reference implementation evaluates it. Returns [B]. All libtorch operations here and
    /// below are the fallible `f_*` ones: a libtorch error (device, memory) is an
    /// [`crate::Error::Torch`], never a panic.
    pub fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let c = self.config.code_size as i64;
        let coords = input.f_narrow(1, c, 4)?;
        let mut h = self.act(input.f_linear(&self.weights[0], Some(&self.biases[0]))?)?;
        let last = self.config.layers - 1;
        for l in 1..self.config.layers {
            let extra = if self.config.full_input_at.contains(&l) {
                input
            } else {
                &coords
            };
            let x = Tensor::f_cat(&[&h, extra], 1)?
                .f_linear(&self.weights[l], Some(&self.biases[l]))?;
            h = if l == last { x } else { self.act(x)? };
        }
        Ok(h.f_squeeze_dim(1)?)
    }

    /// SDF of points `coords` [B, 4] (x, y, z, t) that all share one `code` [code_size].
    /// Mathematically equal to [`Decoder::forward`] on [code, coords] rows, but the code's
    /// contribution to lin0 and to the full-input layers is computed once (a bias) instead of
    /// once per point: about 1.5x fewer multiply-adds for the paper network.
    pub fn forward_shared(&self, code: &Tensor, coords: &Tensor) -> Result<Tensor> {
        let code = code.f_reshape([1, self.config.code_size as i64])?;
        self.forward_folded(&code, coords)
    }

    /// SDF of F groups of points at once: group f's points `coords[f]` ([F, P, 4]) share the
    /// code `codes[f]` ([F, code_size]). Returns [F, P]. Each group is
    /// [`Decoder::forward_shared`] of its code and points up to float32 rounding; evaluating
    /// the groups together makes one large matrix product per layer instead of F small ones
    /// (training several frames per step).
    pub fn forward_frames(&self, codes: &Tensor, coords: &Tensor) -> Result<Tensor> {
        self.forward_folded(codes, coords)
    }

    /// The layers with the codes folded into biases: `coords` [B, 4] with `codes` [1, c]
    /// (one code; two-dimensional products, the rounding one-frame training and fitting
    /// have always had: a batched product sums in another order, and sine training amplifies
    /// that into a different model), or `coords` [F, P, 4] with `codes` [F, c] (a code per
    /// group, each group's code bias broadcast over its points). Returns [B] or [F, P].
    fn forward_folded(&self, codes: &Tensor, coords: &Tensor) -> Result<Tensor> {
        let c = self.config.code_size as i64;
        let hidden = (self.config.width - 4) as i64;
        let grouped = coords.dim() == 3;
        // The codes' contribution to layer l: [1, out], or [F, 1, out] per group.
        let code_bias = |l: usize, at: i64| -> Result<Tensor> {
            let b = self.part(codes, l, at, c)?.f_add(&self.biases[l])?;
            Ok(if grouped { b.f_unsqueeze(1)? } else { b })
        };
        // lin0: W[:, :c] z + W[:, c:] p + b.
        let mut h = self.act(self.part(coords, 0, c, 4)?.f_add(&code_bias(0, 0)?)?)?;
        let last = self.config.layers - 1;
        for l in 1..self.config.layers {
            let mut x = self.part(&h, l, 0, hidden)?;
            if self.config.full_input_at.contains(&l) {
                // Input [h, code, p]: the code part folds into the bias.
                x = x
                    .f_add(&self.part(coords, l, hidden + c, 4)?)?
                    .f_add(&code_bias(l, hidden)?)?;
            } else {
                x = x
                    .f_add(&self.part(coords, l, hidden, 4)?)?
                    .f_add(&self.biases[l])?;
            }
            h = if l == last { x } else { self.act(x)? };
        }
        Ok(h.f_squeeze_dim(-1)?)
    }

    /// Per-layer biases of one frame: within a frame the code and t are constants, so their
    /// contribution to every layer that receives them is folded into that layer's bias
    /// (b + W_code z + W_t t). Use with [`Decoder::forward_frame`].
    pub fn frame_biases(&self, code: &Tensor, t: f64) -> Result<Vec<Tensor>> {
        let c = self.config.code_size as i64;
        let hidden = (self.config.width - 4) as i64;
        let code = code.f_reshape([1, c])?.f_to_device(self.device())?;
        (0..self.config.layers)
            .map(|l| {
                // Column where (x, y, z, t) start, and where the code starts (if present).
                let (coords_at, code_at) = if l == 0 {
                    (c, Some(0))
                } else if self.config.full_input_at.contains(&l) {
                    (hidden + c, Some(hidden))
                } else {
                    (hidden, None)
                };
                let t_column = self.weights[l]
                    .f_narrow(1, coords_at + 3, 1)?
                    .f_transpose(-1, -2)?
                    .f_mul_scalar(t)?;
                let b = self.biases[l].f_reshape([1, -1])?.f_add(&t_column)?;
                Ok(match code_at {
                    Some(at) => b.f_add(&self.part(&code, l, at, c)?)?,
                    None => b,
                })
            })
            .collect()
    }

    /// SDF of points `xyz` [B, 3] of one frame whose code and t are folded into `biases`
    /// (from [`Decoder::frame_biases`]). Returns [B].
    pub fn forward_frame(&self, xyz: &Tensor, biases: &[Tensor]) -> Result<Tensor> {
        let c = self.config.code_size as i64;
        let hidden = (self.config.width - 4) as i64;
        let mut h = self.act(self.part(xyz, 0, c, 3)?.f_add(&biases[0])?)?;
        let last = self.config.layers - 1;
        for (l, bias) in biases.iter().enumerate().skip(1) {
            let coords_at = if self.config.full_input_at.contains(&l) {
                hidden + c
            } else {
                hidden
            };
            let x = self
                .part(&h, l, 0, hidden)?
                .f_add(&self.part(xyz, l, coords_at, 3)?)?
                .f_add(bias)?;
            h = if l == last { x } else { self.act(x)? };
        }
        Ok(h.f_squeeze_dim(1)?)
    }

    /// Parameters by name (`lin{k}.weight`, `lin{k}.bias`), in layer order.
    pub fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for l in 0..self.config.layers {
            out.push((format!("lin{l}.weight"), self.weights[l].shallow_clone()));
            out.push((format!("lin{l}.bias"), self.biases[l].shallow_clone()));
        }
        out
    }

    /// Total number of parameters (equals [`ArchConfig::parameter_count`]).
    pub fn parameter_count(&self) -> i64 {
        self.named_parameters()
            .iter()
            .map(|(_, t)| t.numel() as i64)
            .sum()
    }
}

/// A float32 tensor of `data` with `shape` on `device`.
pub fn tensor_f32(data: &[f32], shape: &[i64], device: Device) -> Result<Tensor> {
    Ok(Tensor::f_from_slice(data)?
        .f_reshape(shape)?
        .f_to_kind(Kind::Float)?
        .f_to_device(device)?)
}

/// Rotates the (x, y, z) columns of `coords` [B, 4] by the Euler angles `angles` [3]
/// (rotation R = Rz(a2) Ry(a1) Rx(a0), radians); t is unchanged. Differentiable in `angles`.
pub fn rotate_coords(coords: &Tensor, angles: &Tensor) -> Result<Tensor> {
    if angles.numel() != 3 || coords.dim() != 2 || coords.size()[1] != 4 {
        return Err(crate::Error::invalid(
            "rotation",
            "needs 3 Euler angles and [B, 4] coordinates",
        ));
    }
    let (s, c) = (angles.sin(), angles.cos());
    let (sa, sb, sg) = (s.get(0), s.get(1), s.get(2));
    let (ca, cb, cg) = (c.get(0), c.get(1), c.get(2));
    let rows = [
        [
            &cg * &cb,
            &cg * &sb * &sa - &sg * &ca,
            &cg * &sb * &ca + &sg * &sa,
        ],
        [
            &sg * &cb,
            &sg * &sb * &sa + &cg * &ca,
            &sg * &sb * &ca - &cg * &sa,
        ],
        [-&sb, &cb * &sa, &cb * &ca],
    ];
    let r = Tensor::stack(
        &rows
            .iter()
            .map(|row| Tensor::stack(row, 0))
            .collect::<Vec<_>>(),
        0,
    );
    let xyz = coords
        .f_narrow(1, 0, 3)?
        .f_matmul(&r.f_transpose(-1, -2)?)?;
    Ok(Tensor::f_cat(&[xyz, coords.f_narrow(1, 3, 1)?], 1)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtorch_errors_are_values_not_panics() {
        let d = Decoder::new(&ArchConfig::small(), Device::Cpu).unwrap();
        // Inputs of the wrong width: libtorch refuses the matrix product.
        let wrong = Tensor::zeros([3, 5], (Kind::Float, Device::Cpu));
        for r in [
            d.forward(&wrong),
            d.forward_shared(&Tensor::zeros([32], (Kind::Float, Device::Cpu)), &wrong),
            d.forward_frame(&wrong, &[]),
        ] {
            match r {
                Err(crate::Error::Torch(m)) => assert!(!m.is_empty()),
                other => panic!("expected a torch error, got {other:?}"),
            }
        }
        assert!(rotate_coords(&wrong, &Tensor::zeros([3], (Kind::Float, Device::Cpu))).is_err());
    }
}
