//! Voxelisation of a phantom shape: a voxel is inside when its centre is.

use super::shape::CellShape;
use crate::units::VoxelSize;
use ndarray::Array3;
use rayon::prelude::*;

/// Binary mask, indexed [z, y, x], of `shape` on a grid of `size_xyz` = (x, y, z) voxels of
/// `voxel` um. Voxel (x=i, y=j, z=k) has its centre at ((i + 0.5) vx, (j + 0.5) vy,
/// (k + 0.5) vz) um; it is 1 when that centre lies inside the shape, else 0. Slices are
/// filled in parallel; the result does not depend on the thread count.
pub fn rasterize(shape: &CellShape, size_xyz: [usize; 3], voxel: VoxelSize) -> Array3<u8> {
    let [nx, ny, nz] = size_xyz;
    let mut mask = Array3::<u8>::zeros((nz, ny, nx));
    let (lo, hi) = shape.bounds();
    let range = |lo: f64, hi: f64, v: f64, n: usize| -> (usize, usize) {
        let a = (lo / v - 0.5).floor().max(0.0) as usize;
        let b = ((hi / v - 0.5).ceil().max(-1.0) as i64).min(n as i64 - 1);
        (a, (b + 1).max(0) as usize)
    };
    let (x0, x1) = range(lo[0], hi[0], voxel.x, nx);
    let (y0, y1) = range(lo[1], hi[1], voxel.y, ny);
    let (z0, z1) = range(lo[2], hi[2], voxel.z, nz);
    let tube_boxes: Vec<_> = shape
        .filopodia
        .iter()
        .map(|t| t.bounding_sphere())
        .collect();
    let slice_len = nx * ny;
    mask.as_slice_mut()
        .expect("fresh array is contiguous")
        .par_chunks_mut(slice_len)
        .enumerate()
        .filter(|(k, _)| (z0..z1).contains(k))
        .for_each(|(k, slice)| {
            let z = (k as f64 + 0.5) * voxel.z;
            for j in y0..y1 {
                let y = (j as f64 + 0.5) * voxel.y;
                for i in x0..x1 {
                    let p = [(i as f64 + 0.5) * voxel.x, y, z];
                    let inside = shape.body.inside(p)
                        || shape.filopodia.iter().zip(&tube_boxes).any(|(t, (c, r))| {
                            let d = [p[0] - c[0], p[1] - c[1], p[2] - c[2]];
                            d[0] * d[0] + d[1] * d[1] + d[2] * d[2] <= r * r && t.inside(p)
                        });
                    slice[j * nx + i] = inside as u8;
                }
            }
        });
    mask
}
