//! Triangle meshes of cell surfaces: marching cubes on SDF volumes and masks, measurements
//! (area, enclosed volume, topology) and export to PLY, OBJ and STL.
//!
//! Coordinates are micrometres in (x, y, z) order, with voxel (z, y, x)'s centre at
//! (x * sx, y * sy, z * sz): the placement napari and scikit-image use.

mod cases;
mod export;
mod import;
mod marching;
mod measure;
mod surface;

pub use export::{write_mesh, MeshFormat};
pub use import::{mesh_from_bytes, read_mesh};
pub use marching::marching_cubes;
pub use measure::Topology;
pub use surface::{mask_field, mesh_mask, mesh_sdf, MASK_SMOOTHING_VOXELS};

/// An indexed triangle mesh that owns its arrays. `vertices[i]` and `normals[i]` are
/// (x, y, z), in um and unit length; `faces` index into them, counter-clockwise seen from
/// outside (normals by the right-hand rule point outwards).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mesh {
    pub vertices: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub faces: Vec<[u32; 3]>,
}

impl Mesh {
    /// True when the mesh has no triangle.
    pub fn is_empty(&self) -> bool {
        self.faces.is_empty()
    }

    /// Moves every vertex by `offset` (x, y, z) um.
    pub fn translate(&mut self, offset: [f64; 3]) {
        for v in &mut self.vertices {
            for (c, o) in v.iter_mut().zip(offset) {
                *c = (*c as f64 + o) as f32;
            }
        }
    }
}
