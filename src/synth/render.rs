//! SDF grids of one code at any resolution: dense evaluation in bounded chunks, or adaptive
//! coarse-to-fine evaluation that only refines blocks near the surface.

use crate::dataset::Normalisation;
use crate::device::ComputeDevice;
use crate::engine::{euler_matrix, Engine, FrameBiases};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::progress::{check, Progress};
use crate::units::VoxelSize;
use ndarray::{Array3, Array4};
use rayon::prelude::*;

/// Points evaluated per network call.
const CHUNK: usize = 1 << 16;

/// An output grid: (x, y, z) voxels of `voxel_um`; voxel (i, j, k) has its centre at
/// ((i + 0.5) vx, (j + 0.5) vy, (k + 0.5) vz) um. `placement` maps those micrometres to
/// model units (its centre is where the cell's model origin lands in the grid).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderGrid {
    pub size_xyz: [usize; 3],
    pub voxel_um: VoxelSize,
    pub placement: Normalisation,
}

impl RenderGrid {
    /// A grid of `size_xyz` voxels of `voxel_um` with the model origin at its centre and
    /// `scale_um` micrometres per model unit.
    pub fn centred(size_xyz: [usize; 3], voxel_um: VoxelSize, scale_um: f64) -> RenderGrid {
        let v = [voxel_um.x, voxel_um.y, voxel_um.z];
        RenderGrid {
            size_xyz,
            voxel_um,
            placement: Normalisation::new(
                [0, 1, 2].map(|a| size_xyz[a] as f64 * v[a] / 2.0),
                scale_um,
            ),
        }
    }

    pub fn validate(&self) -> Result<()> {
        self.voxel_um.validate("voxel-um")?;
        if self.size_xyz.iter().any(|&n| n == 0 || n > 8192) {
            return Err(Error::invalid(
                "size",
                format!("{:?}: each size must be 1 to 8192 voxels", self.size_xyz),
            ));
        }
        if !(self.placement.scale_um.is_finite() && self.placement.scale_um > 0.0) {
            return Err(Error::invalid(
                "scale",
                "must be a positive number of micrometres",
            ));
        }
        Ok(())
    }

    /// Model coordinates (x, y, z) of voxel (z, y, x).
    fn model_xyz(&self, z: usize, y: usize, x: usize) -> [f32; 3] {
        let v = self.voxel_um;
        let p = self.placement.to_model([
            (x as f64 + 0.5) * v.x,
            (y as f64 + 0.5) * v.y,
            (z as f64 + 0.5) * v.z,
        ]);
        p.map(|c| c as f32)
    }

    fn dims_zyx(&self) -> (usize, usize, usize) {
        (self.size_xyz[2], self.size_xyz[1], self.size_xyz[0])
    }
}

/// How to evaluate a grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Evaluation {
    /// Every voxel.
    Dense,
    /// Coarse grid of stride `coarse` voxels, refined where |sdf| <= `safety` x block
    /// diagonal; other voxels take the sign and a trilinear value from the coarse level.
    /// `safety` plays the role of a bound on the SDF's gradient (1 for an exact distance).
    Adaptive { coarse: usize, safety: f64 },
}

impl Evaluation {
    pub fn adaptive() -> Self {
        Evaluation::Adaptive {
            coarse: 8,
            safety: 1.5,
        }
    }
}

/// How a renderer evaluates the network.
enum Backend {
    /// The libtorch-free engine (CPU): learned rotation as a matrix.
    Engine {
        engine: Engine,
        rotation: Option<[[f32; 3]; 3]>,
    },
    /// libtorch on the model's device (CUDA), or on the CPU for comparisons.
    #[cfg(feature = "torch")]
    Torch {
        decoder: crate::model::Decoder,
        code: tch::Tensor,
        rotation: Option<tch::Tensor>,
    },
}

/// Per-frame constants of a backend.
enum FrameState {
    Engine(FrameBiases),
    #[cfg(feature = "torch")]
    Torch(Vec<tch::Tensor>),
}

/// The SDF of one code over frames: per frame `t` (model time), [z, y, x] values in um.
/// Models on the CPU are evaluated by [`crate::engine::Engine`], models on a CUDA device by
/// libtorch (`torch` feature). The renderer owns copies of the weights and the code.
pub struct Renderer {
    backend: Backend,
    code: Vec<f32>,
    pub points_evaluated: u64,
}

impl Renderer {
    /// A renderer of `code` (code_size values) with an optional learned `rotation` (Euler
    /// angles, radians, from [`Model::rotation`]), on the model's device.
    pub fn new(model: &Model, code: &[f32], rotation: Option<[f32; 3]>) -> Result<Self> {
        Self::with_engine(model, code, rotation, model.device == ComputeDevice::Cpu)
    }

    /// As [`Renderer::new`], with libtorch even for a model on the CPU (`use_engine` false):
    /// for comparisons of the two.
    pub fn with_engine(
        model: &Model,
        code: &[f32],
        rotation: Option<[f32; 3]>,
        use_engine: bool,
    ) -> Result<Self> {
        let c = model.meta.config.code_size;
        if code.len() != c {
            return Err(Error::invalid(
                "code",
                format!("has {} values, the model needs {c}", code.len()),
            ));
        }
        let backend = if use_engine {
            let rotation = rotation
                .map(|a| euler_matrix(a.map(|v| v as f64)).map(|row| row.map(|v| v as f32)));
            Backend::Engine {
                engine: model.engine()?,
                rotation,
            }
        } else {
            Self::torch_backend(model, code, rotation)?
        };
        Ok(Renderer {
            backend,
            code: code.to_vec(),
            points_evaluated: 0,
        })
    }

    #[cfg(feature = "torch")]
    fn torch_backend(model: &Model, code: &[f32], rotation: Option<[f32; 3]>) -> Result<Backend> {
        let device = model.device.tch();
        let decoder =
            crate::model::Decoder::from_layers(&model.meta.config, &model.layers, device)?;
        Ok(Backend::Torch {
            decoder,
            code: crate::model::tensor_f32(code, &[code.len() as i64], device)?,
            rotation: rotation
                .map(|r| crate::model::tensor_f32(&r, &[3], device))
                .transpose()?,
        })
    }

    #[cfg(not(feature = "torch"))]
    fn torch_backend(_: &Model, _: &[f32], _: Option<[f32; 3]>) -> Result<Backend> {
        Err(crate::device::training_not_built(
            "rendering through libtorch (cuda)",
        ))
    }

    fn frame_state(&self, t: f64) -> Result<FrameState> {
        Ok(match &self.backend {
            Backend::Engine { engine, .. } => {
                FrameState::Engine(engine.frame_biases(&self.code, t)?)
            }
            #[cfg(feature = "torch")]
            Backend::Torch { decoder, code, .. } => {
                FrameState::Torch(decoder.frame_biases(code, t)?)
            }
        })
    }

    /// SDF (model units) at model points `xyz` of the frame whose constants are `state`.
    fn eval(&mut self, state: &FrameState, xyz: &[[f32; 3]]) -> Result<Vec<f32>> {
        self.points_evaluated += xyz.len() as u64;
        match (&self.backend, state) {
            (Backend::Engine { engine, rotation }, FrameState::Engine(biases)) => {
                Ok(match rotation {
                    None => engine.eval_vec(biases, xyz),
                    Some(r) => {
                        let turned: Vec<[f32; 3]> = xyz
                            .iter()
                            .map(|p| r.map(|row| row[0] * p[0] + row[1] * p[1] + row[2] * p[2]))
                            .collect();
                        engine.eval_vec(biases, &turned)
                    }
                })
            }
            #[cfg(feature = "torch")]
            (
                Backend::Torch {
                    decoder, rotation, ..
                },
                FrameState::Torch(biases),
            ) => torch_eval(decoder, rotation.as_ref(), biases, xyz),
            #[cfg(feature = "torch")]
            _ => unreachable!("frame state of another backend"),
        }
    }

    /// SDF in um of the frame at model time `t` on `grid`.
    pub fn frame(&mut self, grid: &RenderGrid, t: f64, mode: Evaluation) -> Result<Array3<f32>> {
        grid.validate()?;
        let biases = self.frame_state(t)?;
        let scale = grid.placement.scale_um as f32;
        let mut sdf = match mode {
            Evaluation::Dense => self.dense(grid, &biases)?,
            Evaluation::Adaptive { coarse, safety } => {
                self.adaptive(grid, &biases, coarse.max(2), safety)?
            }
        };
        sdf.mapv_inplace(|v| v * scale);
        Ok(sdf)
    }

    fn dense(&mut self, grid: &RenderGrid, biases: &FrameState) -> Result<Array3<f32>> {
        let (nz, ny, nx) = grid.dims_zyx();
        let mut out = Vec::with_capacity(nz * ny * nx);
        let slab = (CHUNK / (nx * ny)).max(1);
        for z0 in (0..nz).step_by(slab) {
            let mut pts = Vec::with_capacity(slab * ny * nx);
            for z in z0..(z0 + slab).min(nz) {
                for y in 0..ny {
                    for x in 0..nx {
                        pts.push(grid.model_xyz(z, y, x));
                    }
                }
            }
            out.extend(self.eval(biases, &pts)?);
        }
        Ok(Array3::from_shape_vec((nz, ny, nx), out).expect("one value per voxel"))
    }

    /// Coarse-to-fine: nodes at stride s (plus each axis' last index) are evaluated; a block
    /// between nodes whose corner values all exceed `safety` x half its diagonal (model
    /// units) in magnitude, with one sign, cannot contain surface for a 1-Lipschitz SDF: its
    /// voxels are interpolated. Other blocks are split (s halves) until s = 1.
    fn adaptive(
        &mut self,
        grid: &RenderGrid,
        biases: &FrameState,
        coarse: usize,
        safety: f64,
    ) -> Result<Array3<f32>> {
        let (nz, ny, nx) = grid.dims_zyx();
        let dims = [nz, ny, nx];
        let mut val = Array3::<f32>::zeros((nz, ny, nx));
        let mut known = Array3::<bool>::from_elem((nz, ny, nx), false);
        let v = grid.voxel_um;
        let voxel_diag = (v.x * v.x + v.y * v.y + v.z * v.z).sqrt() / grid.placement.scale_um;
        // Level-0 nodes.
        let axis_nodes = |n: usize, s: usize| -> Vec<usize> {
            let mut a: Vec<usize> = (0..n).step_by(s).collect();
            if *a.last().unwrap() != n - 1 {
                a.push(n - 1);
            }
            a
        };
        let nodes: Vec<Vec<usize>> = (0..3).map(|a| axis_nodes(dims[a], coarse)).collect();
        let mut todo: Vec<[usize; 3]> = Vec::new();
        for &z in &nodes[0] {
            for &y in &nodes[1] {
                for &x in &nodes[2] {
                    todo.push([z, y, x]);
                }
            }
        }
        self.fill(grid, biases, &todo, &mut val, &mut known)?;
        // Blocks as (lo, hi) inclusive corner indices.
        let mut blocks: Vec<([usize; 3], [usize; 3])> = Vec::new();
        for i in 0..nodes[0].len().saturating_sub(1).max(1) {
            for j in 0..nodes[1].len().saturating_sub(1).max(1) {
                for k in 0..nodes[2].len().saturating_sub(1).max(1) {
                    let pick = |a: usize, i: usize| {
                        let n = &nodes[a];
                        (n[i.min(n.len() - 1)], n[(i + 1).min(n.len() - 1)])
                    };
                    let (z0, z1) = pick(0, i);
                    let (y0, y1) = pick(1, j);
                    let (x0, x1) = pick(2, k);
                    blocks.push(([z0, y0, x0], [z1, y1, x1]));
                }
            }
        }
        while !blocks.is_empty() {
            let mut refine = Vec::new();
            // Blocks interpolated at this level, in order, with their corner values: their
            // corners are known before the level starts, so the level's decisions do not
            // depend on its interpolations, which then run in parallel.
            let mut interpolate = Vec::new();
            for (lo, hi) in blocks {
                let span = (0..3).map(|a| hi[a] - lo[a]).max().unwrap();
                let vals = corners(lo, hi).map(|c| val[c]);
                // Every point of the block lies within half its diagonal of the nearest
                // corner, so a 1-Lipschitz SDF cannot change sign inside it when every
                // corner's |value| exceeds that distance (times the safety factor).
                let diag = 0.5 * voxel_diag * span as f64;
                let same_sign = vals.iter().all(|&x| x > 0.0) || vals.iter().all(|&x| x <= 0.0);
                let far = vals.iter().all(|&x| (x.abs() as f64) > safety * diag);
                if span <= 1 {
                    continue; // all voxels of a unit block are nodes
                }
                if same_sign && far {
                    interpolate.push((lo, hi, vals));
                } else {
                    refine.push((lo, hi));
                }
            }
            interpolate_blocks(&mut val, &mut known, &interpolate);
            // Split each block at its midpoints; evaluate the new nodes.
            let mut next = Vec::new();
            let mut todo = Vec::new();
            for (lo, hi) in refine {
                let splits = [0, 1, 2].map(|a| split_points(lo[a], hi[a]));
                let mids = splits.each_ref().map(|(points, n)| &points[..*n]);
                for &z in mids[0] {
                    for &y in mids[1] {
                        for &x in mids[2] {
                            if !known[[z, y, x]] {
                                known[[z, y, x]] = true;
                                todo.push([z, y, x]);
                            }
                        }
                    }
                }
                for a in 0..mids[0].len() - 1 {
                    for b in 0..mids[1].len() - 1 {
                        for c in 0..mids[2].len() - 1 {
                            next.push((
                                [mids[0][a], mids[1][b], mids[2][c]],
                                [mids[0][a + 1], mids[1][b + 1], mids[2][c + 1]],
                            ));
                        }
                    }
                }
            }
            self.fill(grid, biases, &todo, &mut val, &mut known)?;
            blocks = next;
        }
        // Any voxel still unknown lies inside a refined unit block's interior: none, but be safe.
        let rest: Vec<[usize; 3]> = known
            .indexed_iter()
            .filter(|(_, &k)| !k)
            .map(|((z, y, x), _)| [z, y, x])
            .collect();
        self.fill(grid, biases, &rest, &mut val, &mut known)?;
        Ok(val)
    }

    fn fill(
        &mut self,
        grid: &RenderGrid,
        biases: &FrameState,
        idx: &[[usize; 3]],
        val: &mut Array3<f32>,
        known: &mut Array3<bool>,
    ) -> Result<()> {
        if idx.is_empty() {
            return Ok(());
        }
        let pts: Vec<[f32; 3]> = idx
            .iter()
            .map(|&[z, y, x]| grid.model_xyz(z, y, x))
            .collect();
        let v = self.eval(biases, &pts)?;
        for (i, value) in idx.iter().zip(v) {
            val[*i] = value;
            known[*i] = true;
        }
        Ok(())
    }

    /// SDF in um of frames at model times `times`, [t, z, y, x]. Progress per frame.
    pub fn sequence(
        &mut self,
        grid: &RenderGrid,
        times: &[f64],
        mode: Evaluation,
        progress: &dyn Progress,
        done: f32,
        share: f32,
    ) -> Result<Array4<f32>> {
        let (nz, ny, nx) = grid.dims_zyx();
        let mut out = Array4::<f32>::zeros((times.len(), nz, ny, nx));
        for (i, &t) in times.iter().enumerate() {
            let f = self.frame(grid, t, mode)?;
            out.index_axis_mut(ndarray::Axis(0), i).assign(&f);
            check(
                progress,
                done + share * (i + 1) as f32 / times.len() as f32,
                &format!("frame {}/{}", i + 1, times.len()),
            )?;
        }
        Ok(out)
    }
}

/// The split points of [lo, hi] on one axis: lo, the midpoint (when there is one), hi; the
/// first `n` entries of the array.
fn split_points(lo: usize, hi: usize) -> ([usize; 3], usize) {
    let m = (lo + hi) / 2;
    if m == lo || m == hi {
        ([lo, hi, hi], 2)
    } else {
        ([lo, m, hi], 3)
    }
}

fn corners(lo: [usize; 3], hi: [usize; 3]) -> [[usize; 3]; 8] {
    let mut c = [[0; 3]; 8];
    for (i, corner) in c.iter_mut().enumerate() {
        let pick = |a: usize, bit: usize| if i >> bit & 1 == 0 { lo[a] } else { hi[a] };
        *corner = [pick(0, 2), pick(1, 1), pick(2, 0)];
    }
    c
}

/// A block [lo, hi] (inclusive voxel indices, z, y, x) with the values at its corners in the
/// order of [`corners`].
type CornerBlock = ([usize; 3], [usize; 3], [f32; 8]);

/// Trilinear fill of the unknown voxels of `blocks` from their corners, marking them known.
/// Where blocks share a face, the first in `blocks` fills it (as one block after another
/// would). Runs on rayon's pool, one z plane per task.
fn interpolate_blocks(val: &mut Array3<f32>, known: &mut Array3<bool>, blocks: &[CornerBlock]) {
    if blocks.is_empty() {
        return;
    }
    let (nz, ny, nx) = val.dim();
    let mut by_z: Vec<Vec<usize>> = vec![Vec::new(); nz];
    for (i, (lo, hi, _)) in blocks.iter().enumerate() {
        for plane in &mut by_z[lo[0]..=hi[0]] {
            plane.push(i);
        }
    }
    let vals = val.as_slice_mut().expect("a standard-layout grid");
    let known = known.as_slice_mut().expect("a standard-layout grid");
    vals.par_chunks_mut(ny * nx)
        .zip(known.par_chunks_mut(ny * nx))
        .zip(by_z.par_iter())
        .enumerate()
        .for_each(|(z, ((vplane, kplane), here))| {
            for &i in here {
                let (lo, hi, c) = &blocks[i];
                interpolate_plane(vplane, kplane, nx, z, *lo, *hi, c);
            }
        });
}

/// Trilinear fill of the unknown voxels of plane `z` (row-major [y, x], rows of `nx`) of
/// block [lo, hi] whose corner values are `c` (order of [`corners`]).
fn interpolate_plane(
    vplane: &mut [f32],
    kplane: &mut [bool],
    nx: usize,
    z: usize,
    lo: [usize; 3],
    hi: [usize; 3],
    c: &[f32; 8],
) {
    let frac = |v: usize, a: usize| {
        if hi[a] == lo[a] {
            0.0
        } else {
            (v - lo[a]) as f32 / (hi[a] - lo[a]) as f32
        }
    };
    let l = |a: f32, b: f32, t: f32| a + (b - a) * t;
    let fz = frac(z, 0);
    for y in lo[1]..=hi[1] {
        let fy = frac(y, 1);
        for x in lo[2]..=hi[2] {
            let i = y * nx + x;
            if kplane[i] {
                continue;
            }
            let fx = frac(x, 2);
            // Corner k has z from bit 2, y from bit 1, x from bit 0 (see `corners`).
            vplane[i] = l(
                l(l(c[0], c[1], fx), l(c[2], c[3], fx), fy),
                l(l(c[4], c[5], fx), l(c[6], c[7], fx), fy),
                fz,
            );
            kplane[i] = true;
        }
    }
}

/// SDF at `xyz` by libtorch on the decoder's device, in chunks.
#[cfg(feature = "torch")]
fn torch_eval(
    decoder: &crate::model::Decoder,
    rotation: Option<&tch::Tensor>,
    biases: &[tch::Tensor],
    xyz: &[[f32; 3]],
) -> Result<Vec<f32>> {
    use tch::{Device, Tensor};
    let device = decoder.device();
    let mut out = Vec::with_capacity(xyz.len());
    tch::no_grad(|| -> Result<()> {
        for c in xyz.chunks(CHUNK) {
            let flat: Vec<f32> = c.iter().flatten().copied().collect();
            let mut p = crate::model::tensor_f32(&flat, &[c.len() as i64, 3], device)?;
            if let Some(r) = rotation {
                let with_t = Tensor::f_cat(&[&p, &p.f_narrow(1, 0, 1)?.f_zeros_like()?], 1)?;
                p = crate::model::rotate_coords(&with_t, r)?.f_narrow(1, 0, 3)?;
            }
            let y = decoder
                .forward_frame(&p, biases)?
                .f_to_device(Device::Cpu)?;
            out.extend(Vec::<f32>::try_from(y)?);
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trilinear interpolation reproduces an affine function exactly: blocks of several
    /// sizes (sharing faces) filled from their corners match the closed form at every voxel,
    /// and voxels already known keep their values.
    #[test]
    fn block_fill_reproduces_an_affine_field() {
        let f = |z: usize, y: usize, x: usize| {
            0.5 + 0.25 * z as f32 - 0.125 * y as f32 + 2.0 * x as f32
        };
        let (nz, ny, nx) = (9, 9, 17);
        let mut val = Array3::<f32>::zeros((nz, ny, nx));
        let mut known = Array3::<bool>::from_elem((nz, ny, nx), false);
        known[[3, 3, 3]] = true;
        val[[3, 3, 3]] = -7.0;
        let blocks: Vec<CornerBlock> = [
            ([0, 0, 0], [8, 8, 8]),
            ([0, 0, 8], [4, 4, 12]),
            ([4, 0, 8], [8, 8, 16]),
            ([0, 4, 8], [4, 8, 16]),
            ([0, 0, 12], [4, 4, 16]),
        ]
        .into_iter()
        .map(|(lo, hi)| (lo, hi, corners(lo, hi).map(|[z, y, x]| f(z, y, x))))
        .collect();
        interpolate_blocks(&mut val, &mut known, &blocks);
        assert!(known.iter().all(|&k| k), "every voxel filled");
        assert_eq!(val[[3, 3, 3]], -7.0, "a known voxel is kept");
        for ((z, y, x), v) in val.indexed_iter() {
            if [z, y, x] != [3, 3, 3] {
                let want = f(z, y, x);
                assert!(
                    (v - want).abs() <= 1e-5 * want.abs().max(1.0),
                    "({z}, {y}, {x}): {v} vs {want}"
                );
            }
        }
    }
}
