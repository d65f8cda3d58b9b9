//! Dense evaluation of a model in bounded memory, and the Jaccard index of masks.

use super::checkpoint::Model;
use super::network::{rotate_coords, tensor_f32};
use crate::error::Result;
use ndarray::{Array3, ArrayView3};
use tch::Tensor;

/// SDF (model units) of `code` at `points` ([x, y, z, t] rows), in chunks of `chunk` points;
/// `rotation` (Euler angles [3], from [`Model::rotation`]) is applied to x, y, z first.
pub fn evaluate_points(
    model: &Model,
    code: &Tensor,
    rotation: Option<&Tensor>,
    points: &[[f32; 4]],
    chunk: usize,
) -> Result<Vec<f32>> {
    let device = model.decoder.device();
    let code = code.to_device(device);
    let rotation = rotation.map(|r| r.to_device(device));
    let mut out = Vec::with_capacity(points.len());
    tch::no_grad(|| -> Result<()> {
        for c in points.chunks(chunk.max(1)) {
            let flat: Vec<f32> = c.iter().flatten().copied().collect();
            let mut x = tensor_f32(&flat, &[c.len() as i64, 4], device)?;
            if let Some(r) = &rotation {
                x = rotate_coords(&x, r)?;
            }
            let y = model
                .decoder
                .forward_shared(&code, &x)?
                .f_to_device(tch::Device::Cpu)?;
            out.extend(Vec::<f32>::try_from(y)?);
        }
        Ok(())
    })?;
    Ok(out)
}

/// SDF of `code` at time `t` on the nodes linspace(-1, 1, n) of each model axis, [z, y, x]
/// (the layout of a dataset's grids).
pub fn grid_sdf(
    model: &Model,
    code: &Tensor,
    rotation: Option<&Tensor>,
    t: f32,
    n: usize,
) -> Result<Array3<f32>> {
    let node = |k: usize| -1.0 + 2.0 * k as f32 / (n - 1) as f32;
    let mut pts = Vec::with_capacity(n * n * n);
    for k in 0..n {
        for j in 0..n {
            for i in 0..n {
                pts.push([node(i), node(j), node(k), t]);
            }
        }
    }
    let v = evaluate_points(model, code, rotation, &pts, 1 << 16)?;
    Ok(Array3::from_shape_vec((n, n, n), v).expect("n^3 values"))
}

/// Jaccard index |A and B| / |A or B| of the masks sdf <= 0 of two fields (1 when both are
/// empty).
pub fn jaccard(a: ArrayView3<f32>, b: ArrayView3<f32>) -> f64 {
    let inside = |v: &f32| *v <= 0.0;
    crate::describe::overlap_by(a, b, inside, inside).jaccard
}
