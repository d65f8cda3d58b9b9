//! Meshes: from a grid frame, from a caller's SDF or mask buffer; views and files.

use super::grid::csdf_grid;
use super::{csdf_status, guard, handle, out, output_path, path, slice, voxel_arg};
use crate::error::Error;
use crate::mesh::{mesh_mask, mesh_sdf, read_mesh, write_mesh, Mesh, MeshFormat};
use ndarray::{ArrayView3, Axis};
use std::ffi::c_char;

/// A triangle mesh in um. Created by the `csdf_mesh_from_*` functions, released by
/// `csdf_mesh_free`; `const` use is thread-safe.
pub struct csdf_mesh {
    pub(crate) mesh: Mesh,
}

/// Borrowed view of a mesh: valid until the mesh is freed; do not write through it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct csdf_mesh_view {
    /// n_vertices * 3 floats (x, y, z) in um; voxel (z, y, x)'s centre is at
    /// (x * sx, y * sy, z * sz).
    pub vertices: *const f32,
    /// n_vertices * 3 floats: unit outward normals.
    pub normals: *const f32,
    pub n_vertices: usize,
    /// n_faces * 3 vertex indices, counter-clockwise seen from outside.
    pub faces: *const u32,
    pub n_faces: usize,
}

/// Mesh file formats of `csdf_mesh_write`.
pub type csdf_mesh_format = i32;
pub const CSDF_MESH_PLY_BINARY: csdf_mesh_format = 0;
pub const CSDF_MESH_PLY_ASCII: csdf_mesh_format = 1;
pub const CSDF_MESH_OBJ: csdf_mesh_format = 2;
pub const CSDF_MESH_STL: csdf_mesh_format = 3;

pub(crate) unsafe fn volume_arg<'a, T>(
    data: *const T,
    nz: usize,
    ny: usize,
    nx: usize,
    name: &str,
) -> crate::Result<ArrayView3<'a, T>> {
    let len = nz
        .checked_mul(ny)
        .and_then(|v| v.checked_mul(nx))
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            Error::invalid(
                "nz, ny, nx",
                format!("{nz}x{ny}x{nx} is not a valid volume size"),
            )
        })?;
    // The caller's buffer must be addressable, and the meshing or describing of it (a float
    // field per voxel plus temporaries, about 12 bytes per voxel) must fit in memory.
    let bytes = len.checked_mul(std::mem::size_of::<T>().max(1));
    let budget = 2 * crate::io::ReadLimits::default().max_bytes;
    if bytes.is_none_or(|b| b > isize::MAX as usize) || (len as u64).saturating_mul(12) > budget {
        return Err(Error::invalid(
            "nz, ny, nx",
            format!("{nz}x{ny}x{nx} voxels are too large for the memory available"),
        ));
    }
    let s = slice(data, len, name)?;
    ArrayView3::from_shape((nz, ny, nx), s).map_err(|e| Error::invalid("nz, ny, nx", e.to_string()))
}

fn boxed(mesh: Mesh, mesh_out: *mut *mut csdf_mesh) {
    unsafe { *mesh_out = Box::into_raw(Box::new(csdf_mesh { mesh })) };
}

/// Meshes the `level` iso-surface (um) of frame `frame` of a grid.
#[no_mangle]
pub unsafe extern "C" fn csdf_mesh_from_grid(
    grid: *const csdf_grid,
    frame: usize,
    level: f32,
    mesh_out: *mut *mut csdf_mesh,
) -> csdf_status {
    guard(|| {
        out(mesh_out, "mesh_out")?;
        let g = handle(grid, "grid")?;
        let frames = g.sdf.len_of(Axis(0));
        if frame >= frames {
            return Err(Error::invalid(
                "frame",
                format!("{frame} is out of range: the grid has {frames} frames"),
            ));
        }
        boxed(
            mesh_sdf(g.sdf.index_axis(Axis(0), frame), g.voxel, level)?,
            mesh_out,
        );
        Ok(())
    })
}

/// Meshes the `level` iso-surface of a caller's float32 volume `data` ([z][y][x], C order)
/// with voxel size `voxel_um` (x, y, z). The data is read during the call only.
#[no_mangle]
pub unsafe extern "C" fn csdf_mesh_from_sdf(
    data: *const f32,
    nz: usize,
    ny: usize,
    nx: usize,
    voxel_um: *const f64,
    level: f32,
    mesh_out: *mut *mut csdf_mesh,
) -> csdf_status {
    guard(|| {
        out(mesh_out, "mesh_out")?;
        let v = volume_arg(data, nz, ny, nx, "data")?;
        boxed(mesh_sdf(v, voxel_arg(voxel_um)?, level)?, mesh_out);
        Ok(())
    })
}

/// Meshes a caller's mask (`data` non-zero inside, [z][y][x]): the closed surface of the
/// mask smoothed by one voxel.
#[no_mangle]
pub unsafe extern "C" fn csdf_mesh_from_mask(
    data: *const u8,
    nz: usize,
    ny: usize,
    nx: usize,
    voxel_um: *const f64,
    mesh_out: *mut *mut csdf_mesh,
) -> csdf_status {
    guard(|| {
        out(mesh_out, "mesh_out")?;
        let v = volume_arg(data, nz, ny, nx, "data")?;
        boxed(
            mesh_mask(v.mapv(|x| x != 0).view(), voxel_arg(voxel_um)?)?,
            mesh_out,
        );
        Ok(())
    })
}

/// Fills `*view_out` with a borrowed view of the mesh.
#[no_mangle]
pub unsafe extern "C" fn csdf_mesh_view_get(
    mesh: *const csdf_mesh,
    view_out: *mut csdf_mesh_view,
) -> csdf_status {
    guard(|| {
        out(view_out, "view_out")?;
        let m = &handle(mesh, "mesh")?.mesh;
        *view_out = csdf_mesh_view {
            vertices: m.vertices.as_ptr() as *const f32,
            normals: m.normals.as_ptr() as *const f32,
            n_vertices: m.vertices.len(),
            faces: m.faces.as_ptr() as *const u32,
            n_faces: m.faces.len(),
        };
        Ok(())
    })
}

/// The mesh format of a CSDF_MESH_* value.
pub(crate) fn mesh_format(format: csdf_mesh_format) -> crate::Result<MeshFormat> {
    match format {
        CSDF_MESH_PLY_BINARY => Ok(MeshFormat::PlyBinary),
        CSDF_MESH_PLY_ASCII => Ok(MeshFormat::PlyAscii),
        CSDF_MESH_OBJ => Ok(MeshFormat::Obj),
        CSDF_MESH_STL => Ok(MeshFormat::Stl),
        other => Err(Error::invalid(
            "format",
            format!("unknown mesh format {other} (0 PLY, 1 ASCII PLY, 2 OBJ, 3 STL)"),
        )),
    }
}

/// Writes the mesh to `path` (um) in `format`; the file appears only when complete. An
/// existing file that cellsdf did not write (or that another operation wrote) is replaced
/// only when `overwrite` is 1 (since ABI 0.10).
#[no_mangle]
pub unsafe extern "C" fn csdf_mesh_write(
    mesh: *const csdf_mesh,
    path_utf8: *const c_char,
    format: csdf_mesh_format,
    overwrite: i32,
) -> csdf_status {
    guard(|| {
        let m = &handle(mesh, "mesh")?.mesh;
        let format = mesh_format(format)?;
        let p = output_path(path_utf8, "path", "csdf_mesh_write", overwrite)?;
        write_mesh(m, &p, format)
    })
}

/// Reads a mesh file (PLY binary or ASCII, OBJ, binary STL; um) into a new mesh handle.
#[no_mangle]
pub unsafe extern "C" fn csdf_mesh_read(
    path_utf8: *const c_char,
    mesh_out: *mut *mut csdf_mesh,
) -> csdf_status {
    guard(|| {
        out(mesh_out, "mesh_out")?;
        boxed(read_mesh(&path(path_utf8, "path")?)?, mesh_out);
        Ok(())
    })
}

/// Releases a mesh; NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn csdf_mesh_free(mesh: *mut csdf_mesh) {
    if !mesh.is_null() {
        drop(Box::from_raw(mesh));
    }
}
