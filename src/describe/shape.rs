//! Shape descriptors of one cell in one frame, in micrometre units.

use crate::error::{Error, Result};
use crate::mesh::{mesh_mask, Mesh};
use crate::units::VoxelSize;
use crate::volume::{bounding_box, label_components, Connectivity};
use ndarray::{s, ArrayView3};
use serde::Serialize;

/// Descriptors of one object (one label in one frame, or one mesh).
///
/// Sphericity is pi^(1/3) (6 V)^(2/3) / A with the surface area A of the mesh and the volume
/// V of the voxels (masks; the smoothed mesh encloses slightly less where the surface is
/// curved) or of the mesh (mesh input): 1 for a sphere, smaller for any other shape. The paper's Table 1 reports its inverse (>= 1), given here as
/// `inverse_sphericity`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapeDescriptors {
    /// Enclosed volume of the surface mesh, um^3.
    pub volume_um3: f64,
    /// Number of voxels times the voxel volume, um^3 (`NaN` for a mesh input).
    pub voxel_volume_um3: f64,
    /// Surface area of the mesh, um^2.
    pub surface_um2: f64,
    pub sphericity: f64,
    pub inverse_sphericity: f64,
    /// Connected components (26-connected voxels for masks, mesh pieces for meshes).
    pub components: usize,
    /// Euler characteristic of the surface (2 per sphere-like closed piece).
    pub euler: i64,
    /// Total genus (handles) of the closed surface; -1 when the surface is not closed.
    pub genus: i64,
    /// Size of the bounding box along x, y, z, um.
    pub extent_um: [f64; 3],
    /// Centroid (x, y, z), um, in the image's coordinates (voxel centres at index * size).
    pub centroid_um: [f64; 3],
}

/// Sphericity pi^(1/3) (6 V)^(2/3) / A of a solid with volume `v` and surface area `a`.
pub fn sphericity(v: f64, a: f64) -> f64 {
    std::f64::consts::PI.cbrt() * (6.0 * v).powf(2.0 / 3.0) / a
}

/// Describes the voxels where `mask` ([z, y, x]) is true. The surface is the mesh of the
/// smoothed mask ([`mesh_mask`]); components are counted on the bounding box. Errors when
/// the mask is empty.
pub fn describe_mask(mask: ArrayView3<bool>, voxel: VoxelSize) -> Result<ShapeDescriptors> {
    voxel.validate("voxel size")?;
    let Some((lo, hi)) = bounding_box(mask) else {
        return Err(Error::invalid(
            "mask",
            "the mask is empty: nothing to describe",
        ));
    };
    let mut count = 0usize;
    let mut sum = [0f64; 3];
    for ((z, y, x), _) in mask.indexed_iter().filter(|(_, &m)| m) {
        count += 1;
        sum[0] += x as f64;
        sum[1] += y as f64;
        sum[2] += z as f64;
    }
    let crop = mask.slice(s![lo[0]..=hi[0], lo[1]..=hi[1], lo[2]..=hi[2]]);
    let (_, components) = label_components(crop, Connectivity::Full);
    let mesh = mesh_mask(mask, voxel)?;
    let size = [voxel.x, voxel.y, voxel.z];
    let mut d = surface_descriptors(&mesh);
    d.voxel_volume_um3 = count as f64 * voxel.volume_um3();
    d.sphericity = sphericity(d.voxel_volume_um3, d.surface_um2);
    d.inverse_sphericity = 1.0 / d.sphericity;
    d.components = components;
    d.extent_um = [0, 1, 2].map(|i| (hi[2 - i] - lo[2 - i] + 1) as f64 * size[i]);
    d.centroid_um = [0, 1, 2].map(|i| sum[i] / count as f64 * size[i]);
    Ok(d)
}

/// Describes a closed mesh: volume, area and centroid from the surface, extents from its
/// vertices, components and topology from its connectivity.
pub fn describe_mesh(mesh: &Mesh) -> Result<ShapeDescriptors> {
    if mesh.is_empty() {
        return Err(Error::invalid("mesh", "the mesh has no triangles"));
    }
    Ok(surface_descriptors(mesh))
}

fn surface_descriptors(mesh: &Mesh) -> ShapeDescriptors {
    let topo = mesh.topology();
    let (v, a) = (mesh.volume(), mesh.area());
    let sph = sphericity(v, a);
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for p in &mesh.vertices {
        for i in 0..3 {
            lo[i] = lo[i].min(p[i] as f64);
            hi[i] = hi[i].max(p[i] as f64);
        }
    }
    ShapeDescriptors {
        volume_um3: v,
        voxel_volume_um3: f64::NAN,
        surface_um2: a,
        sphericity: sph,
        inverse_sphericity: 1.0 / sph,
        components: topo.components,
        euler: topo.euler,
        genus: topo.genus().unwrap_or(-1),
        extent_um: [0, 1, 2].map(|i| hi[i] - lo[i]),
        centroid_um: mesh.centroid().unwrap_or([f64::NAN; 3]),
    }
}
