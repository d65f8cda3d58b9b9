//! Dense evaluation of a model through libtorch (the reference implementation's full-input
//! forward pass, independent of the CPU engine: tests compare the two), and the Jaccard
//! index of masks.

#[cfg(feature = "torch")]
use super::checkpoint::Model;
#[cfg(feature = "torch")]
use crate::error::Result;
#[cfg(feature = "torch")]
use ndarray::Array3;
use ndarray::ArrayView3;

/// SDF (model units) of `code` at `points` ([x, y, z, t] rows), in chunks of `chunk` points,
/// by libtorch on the CPU; `rotation` (Euler angles, from [`Model::rotation`]) is applied to
/// x, y, z first.
#[cfg(feature = "torch")]
pub fn evaluate_points(
    model: &Model,
    code: &[f32],
    rotation: Option<[f32; 3]>,
    points: &[[f32; 4]],
    chunk: usize,
) -> Result<Vec<f32>> {
    use super::network::{rotate_coords, tensor_f32, Decoder};
    use tch::{Device, Tensor};
    let decoder = Decoder::from_layers(&model.meta.config, &model.layers, Device::Cpu)?;
    let code = Tensor::f_from_slice(code)?;
    let rotation = rotation.map(|r| Tensor::from_slice(&r));
    let mut out = Vec::with_capacity(points.len());
    tch::no_grad(|| -> Result<()> {
        for c in points.chunks(chunk.max(1)) {
            let flat: Vec<f32> = c.iter().flatten().copied().collect();
            let mut x = tensor_f32(&flat, &[c.len() as i64, 4], Device::Cpu)?;
            if let Some(r) = &rotation {
                x = rotate_coords(&x, r)?;
            }
            out.extend(Vec::<f32>::try_from(decoder.forward_shared(&code, &x)?)?);
        }
        Ok(())
    })?;
    Ok(out)
}

/// SDF of `code` at time `t` on the nodes linspace(-1, 1, n) of each model axis, [z, y, x]
/// (the layout of a dataset's grids), by [`evaluate_points`].
#[cfg(feature = "torch")]
pub fn grid_sdf(
    model: &Model,
    code: &[f32],
    rotation: Option<[f32; 3]>,
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
