//! The SDF network's forward pass on the CPU without libtorch: what synthesis, rendering,
//! meshing of model surfaces and evaluation run on.
//!
//! Within one frame the code and the time are constants, so their share of every layer that
//! receives them is folded into that layer's bias once per frame ([`Engine::frame_biases`]),
//! and a point needs only its (x, y, z). Points are taken in blocks of 256 so that a
//! block's activations (BLOCK x hidden float32, twice) stay in the core's L2 cache; each
//! hidden layer is one matrix product (`matrixmultiply`'s sgemm, which picks AVX/FMA kernels
//! at run time) on top of the bias and the 3 coordinate columns; blocks run in parallel
//! (rayon). The sine is [`sine::sin_scaled_inplace`] (error bound documented there).
//!
//! Units: model units in and out (x, y, z in [-1, 1] for the model cube; SDF in model units).
//! The engine owns a copy of the weights; it holds no reference to a libtorch model.

pub mod sine;

use crate::error::{Error, Result};
use crate::model::{Activation, ArchConfig};
use rayon::prelude::*;

/// Points per block (per task and per matrix product).
pub(crate) const BLOCK: usize = 256;

/// One linear layer: `weight` `[out, in]` row-major as stored in a model file, `bias` `[out]`.
struct Layer {
    out: usize,
    in_width: usize,
    weight: Vec<f32>,
    bias: Vec<f32>,
    /// Column of x (then y, z, t) in this layer's input.
    xyz_at: usize,
    /// Column where the code starts, for layers that receive it.
    code_at: Option<usize>,
    /// The x, y and z weights of the outputs, gathered: `[3][out]` (one contiguous row per
    /// coordinate, so that the loop over outputs vectorises).
    w_xyz: [Vec<f32>; 3],
}

/// The network of one model, ready to evaluate.
pub struct Engine {
    config: ArchConfig,
    hidden: usize,
    layers: Vec<Layer>,
}

/// Per-layer biases of one frame: b + W_code z + W_t t (from [`Engine::frame_biases`]).
pub struct FrameBiases(Vec<Vec<f32>>);

impl Engine {
    /// An engine for `config` from its layers' (weight `[out, in]` row-major, bias `[out]`),
    /// checked against the shapes the configuration implies.
    pub fn new(config: &ArchConfig, layers: Vec<(Vec<f32>, Vec<f32>)>) -> Result<Engine> {
        config.validate()?;
        if layers.len() != config.layers {
            return Err(Error::invalid(
                "model",
                format!(
                    "{} layers given, the architecture has {}",
                    layers.len(),
                    config.layers
                ),
            ));
        }
        let hidden = config.width - 4;
        let c = config.code_size;
        let layers = layers
            .into_iter()
            .enumerate()
            .map(|(l, (weight, bias))| {
                let (in_width, out) = config.layer_shape(l);
                if weight.len() != in_width * out || bias.len() != out {
                    return Err(Error::invalid(
                        "model",
                        format!(
                            "lin{l}: {} weights and {} biases, expected {out} x {in_width} and {out}",
                            weight.len(),
                            bias.len()
                        ),
                    ));
                }
                let (xyz_at, code_at) = if l == 0 {
                    (c, Some(0))
                } else if config.full_input_at.contains(&l) {
                    (hidden + c, Some(hidden))
                } else {
                    (hidden, None)
                };
                let w_xyz = [0, 1, 2].map(|a| {
                    (0..out)
                        .map(|o| weight[o * in_width + xyz_at + a])
                        .collect()
                });
                Ok(Layer {
                    out,
                    in_width,
                    weight,
                    bias,
                    xyz_at,
                    code_at,
                    w_xyz,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Engine {
            config: config.clone(),
            hidden,
            layers,
        })
    }

    pub fn config(&self) -> &ArchConfig {
        &self.config
    }

    /// The biases of the frame at model time `t` for `code` (code_size values); sums in f64.
    pub fn frame_biases(&self, code: &[f32], t: f64) -> Result<FrameBiases> {
        if code.len() != self.config.code_size {
            return Err(Error::invalid(
                "code",
                format!(
                    "has {} values, the model needs {}",
                    code.len(),
                    self.config.code_size
                ),
            ));
        }
        Ok(FrameBiases(
            self.layers
                .iter()
                .map(|layer| {
                    (0..layer.out)
                        .map(|o| {
                            let row = &layer.weight[o * layer.in_width..(o + 1) * layer.in_width];
                            let mut b = layer.bias[o] as f64 + row[layer.xyz_at + 3] as f64 * t;
                            if let Some(at) = layer.code_at {
                                b += row[at..at + code.len()]
                                    .iter()
                                    .zip(code)
                                    .map(|(w, z)| *w as f64 * *z as f64)
                                    .sum::<f64>();
                            }
                            b as f32
                        })
                        .collect()
                })
                .collect(),
        ))
    }

    /// SDF (model units) at the model points `xyz` of the frame whose `biases` are given;
    /// `out` receives one value per point. Runs on rayon's pool.
    pub fn eval(&self, biases: &FrameBiases, xyz: &[[f32; 3]], out: &mut [f32]) {
        assert_eq!(xyz.len(), out.len(), "one output per point");
        xyz.par_chunks(BLOCK)
            .zip(out.par_chunks_mut(BLOCK))
            .for_each_init(
                || vec![0f32; 2 * BLOCK * self.hidden],
                |buf, (p, o)| self.eval_block(biases, p, o, buf),
            );
    }

    /// Convenience: [`Engine::eval`] into a new vector.
    pub fn eval_vec(&self, biases: &FrameBiases, xyz: &[[f32; 3]]) -> Vec<f32> {
        let mut out = vec![0f32; xyz.len()];
        self.eval(biases, xyz, &mut out);
        out
    }

    fn activate(&self, v: &mut [f32]) {
        match self.config.activation {
            Activation::Sine => sine::sin_scaled_inplace(v, self.config.omega as f32),
            Activation::Relu => v.iter_mut().for_each(|x| *x = x.max(0.0)),
        }
    }

    /// Bias plus the x, y, z terms of `layer` for every point, into `dst` `[n, out]`.
    fn affine_xyz(layer: &Layer, bias: &[f32], pts: &[[f32; 3]], dst: &mut [f32]) {
        let [wx, wy, wz] = &layer.w_xyz;
        let (wx, wy, wz) = (&wx[..layer.out], &wy[..layer.out], &wz[..layer.out]);
        let bias = &bias[..layer.out];
        for (p, row) in pts.iter().zip(dst.chunks_exact_mut(layer.out)) {
            for o in 0..layer.out {
                row[o] = bias[o] + wx[o] * p[0] + wy[o] * p[1] + wz[o] * p[2];
            }
        }
    }

    fn eval_block(&self, biases: &FrameBiases, pts: &[[f32; 3]], out: &mut [f32], buf: &mut [f32]) {
        let n = pts.len();
        let h = self.hidden;
        let (a, b) = buf.split_at_mut(BLOCK * h);
        let (mut cur, mut next) = (&mut a[..n * h], &mut b[..n * h]);
        let last = self.layers.len() - 1;
        Self::affine_xyz(&self.layers[0], &biases.0[0], pts, cur);
        self.activate(cur);
        for (l, layer) in self.layers.iter().enumerate().skip(1) {
            if l == last {
                break;
            }
            Self::affine_xyz(layer, &biases.0[l], pts, next);
            // next [n, out] += cur [n, h] x W[:, :h]^T; W is [out, in] row-major, so its
            // transpose's (k, o) entry is weight[o * in + k].
            // SAFETY: the strides describe slices of exactly these sizes: cur is n x h
            // (row stride h), W^T is h x out read from weight (out x in_width, in_width >= h),
            // next is n x out (row stride out = h for hidden layers).
            unsafe {
                matrixmultiply::sgemm(
                    n,
                    h,
                    layer.out,
                    1.0,
                    cur.as_ptr(),
                    h as isize,
                    1,
                    layer.weight.as_ptr(),
                    1,
                    layer.in_width as isize,
                    1.0,
                    next.as_mut_ptr(),
                    layer.out as isize,
                    1,
                );
            }
            self.activate(next);
            std::mem::swap(&mut cur, &mut next);
        }
        // The last layer has one output: a dot product per point.
        let layer = &self.layers[last];
        let w = &layer.weight[..h];
        let wx = layer.w_xyz.each_ref().map(|w| w[0]);
        let b = biases.0[last][0];
        for ((p, row), o) in pts.iter().zip(cur.chunks_exact(h)).zip(out.iter_mut()) {
            let dot = dot_product(row, w);
            *o = b + wx[0] * p[0] + wx[1] * p[1] + wx[2] * p[2] + dot;
        }
    }
}

/// Sum of `a[i] * b[i]` in eight running partial sums (so that it vectorises), added
/// pairwise at the end.
fn dot_product(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let quads = [0, 1, 2, 3].map(|i| acc[i] + acc[i + 4]);
    (quads[0] + quads[2]) + (quads[1] + quads[3]) + tail
}

/// The rotation matrix R = Rz(a2) Ry(a1) Rx(a0) of Euler angles `angles` (radians), rows
/// first; a learned rotation maps p to R p (as `model::rotate_coords`).
pub fn euler_matrix(angles: [f64; 3]) -> [[f64; 3]; 3] {
    let (sa, ca) = angles[0].sin_cos();
    let (sb, cb) = angles[1].sin_cos();
    let (sg, cg) = angles[2].sin_cos();
    [
        [cg * cb, cg * sb * sa - sg * ca, cg * sb * ca + sg * sa],
        [sg * cb, sg * sb * sa + cg * ca, sg * sb * ca - cg * sa],
        [-sb, cb * sa, cb * ca],
    ]
}
