//! Surfaces of SDF volumes and of binary masks.

use super::{marching_cubes, Mesh};
use crate::error::Result;
use crate::units::VoxelSize;
use crate::volume::{bounding_box, gaussian};
use ndarray::{s, Array3, ArrayView3};

/// Standard deviation of the Gaussian that turns a mask into a smooth field before meshing,
/// in voxels of the finest axis (coarser axes get proportionally less, the same in um).
pub const MASK_SMOOTHING_VOXELS: f64 = 1.0;

/// Mesh of the `level` iso-surface of an SDF frame ([z, y, x], um, negative inside).
pub fn mesh_sdf(sdf: ArrayView3<f32>, voxel: VoxelSize, level: f32) -> Result<Mesh> {
    voxel.validate("voxel size")?;
    marching_cubes(sdf, voxel.zyx(), level)
}

/// The field that [`mesh_mask`] meshes at level 0: 0.5 minus the mask smoothed by a
/// Gaussian of [`MASK_SMOOTHING_VOXELS`] (negative inside), padded with background so that
/// surfaces touching the volume's border close. Returns the field and the padding in voxels
/// per axis (z, y, x).
pub fn mask_field(mask: ArrayView3<bool>, voxel: VoxelSize) -> (Array3<f32>, [usize; 3]) {
    let finest = voxel.x.min(voxel.y).min(voxel.z);
    let sigma = voxel.zyx().map(|h| MASK_SMOOTHING_VOXELS * finest / h);
    let pad = sigma.map(|s| (4.0 * s + 0.5) as usize + 1);
    let (nz, ny, nx) = mask.dim();
    let mut indicator = Array3::<f32>::zeros((nz + 2 * pad[0], ny + 2 * pad[1], nx + 2 * pad[2]));
    indicator
        .slice_mut(s![
            pad[0]..pad[0] + nz,
            pad[1]..pad[1] + ny,
            pad[2]..pad[2] + nx
        ])
        .zip_mut_with(&mask, |d, &m| *d = if m { 1.0 } else { 0.0 });
    let mut field = gaussian(indicator.view(), sigma);
    field.mapv_inplace(|v| 0.5 - v);
    (field, pad)
}

/// 0.5 minus the mask, padded by `pad` voxels of background per axis (z, y, x).
fn mask_field_unsmoothed(mask: ArrayView3<bool>, pad: [usize; 3]) -> (Array3<f32>, [usize; 3]) {
    let (nz, ny, nx) = mask.dim();
    let mut field =
        Array3::<f32>::from_elem((nz + 2 * pad[0], ny + 2 * pad[1], nx + 2 * pad[2]), 0.5);
    field
        .slice_mut(s![
            pad[0]..pad[0] + nz,
            pad[1]..pad[1] + ny,
            pad[2]..pad[2] + nx
        ])
        .zip_mut_with(&mask, |d, &m| *d = if m { -0.5 } else { 0.5 });
    (field, pad)
}

/// Closed mesh of a binary mask ([z, y, x]) with voxel size `voxel`: the 0.5 level of the
/// smoothed mask (see [`mask_field`]), in the mask's own coordinates. Only the mask's
/// bounding box is smoothed and meshed (the padding keeps the result that of the whole
/// volume), so one cell of a large label frame costs what its size costs. An empty mask
/// gives an empty mesh. Objects too thin for the smoothed field to reach 0.5 anywhere (a
/// single voxel, a one-voxel-thick sheet or line) are meshed on the unsmoothed voxels
/// instead: a closed staircase surface whose area is overestimated, but never nothing.
pub fn mesh_mask(mask: ArrayView3<bool>, voxel: VoxelSize) -> Result<Mesh> {
    voxel.validate("voxel size")?;
    let Some((lo, hi)) = bounding_box(mask) else {
        return Ok(Mesh::default());
    };
    let crop = mask.slice(s![lo[0]..=hi[0], lo[1]..=hi[1], lo[2]..=hi[2]]);
    let (field, pad) = mask_field(crop, voxel);
    let mut mesh = marching_cubes(field.view(), voxel.zyx(), 0.0)?;
    if mesh.faces.is_empty() {
        let (field, _) = mask_field_unsmoothed(crop, pad);
        mesh = marching_cubes(field.view(), voxel.zyx(), 0.0)?;
    }
    mesh.translate([
        (lo[2] as f64 - pad[2] as f64) * voxel.x,
        (lo[1] as f64 - pad[1] as f64) * voxel.y,
        (lo[0] as f64 - pad[0] as f64) * voxel.z,
    ]);
    Ok(mesh)
}
