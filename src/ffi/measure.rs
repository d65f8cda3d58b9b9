//! Descriptors, overlap and the KS test.

use super::mesh::{csdf_mesh, volume_arg};
use super::{csdf_status, guard, handle, out, slice, voxel_arg};
use crate::describe::{describe_mask, describe_mesh, ks_2samp, overlap_by, ShapeDescriptors};
use crate::error::Error;

/// Shape descriptors of one cell, in um units. Sphericity is pi^(1/3) (6V)^(2/3) / A
/// (1 for a sphere); the paper reports `inverse_sphericity`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct csdf_descriptors {
    /// Volume enclosed by the mesh, um^3.
    pub volume_um3: f64,
    /// Voxel count times voxel volume, um^3 (NaN for a mesh).
    pub voxel_volume_um3: f64,
    /// Mesh surface area, um^2.
    pub surface_um2: f64,
    pub sphericity: f64,
    pub inverse_sphericity: f64,
    /// Connected components.
    pub components: usize,
    /// Euler characteristic of the surface.
    pub euler: i64,
    /// Total genus (handles); -1 when the surface is not closed.
    pub genus: i64,
    /// Bounding box size (x, y, z), um.
    pub extent_um: [f64; 3],
    /// Centroid (x, y, z), um.
    pub centroid_um: [f64; 3],
}

impl From<ShapeDescriptors> for csdf_descriptors {
    fn from(d: ShapeDescriptors) -> Self {
        csdf_descriptors {
            volume_um3: d.volume_um3,
            voxel_volume_um3: d.voxel_volume_um3,
            surface_um2: d.surface_um2,
            sphericity: d.sphericity,
            inverse_sphericity: d.inverse_sphericity,
            components: d.components,
            euler: d.euler,
            genus: d.genus,
            extent_um: d.extent_um,
            centroid_um: d.centroid_um,
        }
    }
}

/// Describes the non-zero voxels of a mask ([z][y][x] bytes) with voxel size `voxel_um`
/// (x, y, z). An empty mask is an INVALID_ARGUMENT error.
#[no_mangle]
pub unsafe extern "C" fn csdf_describe_mask(
    data: *const u8,
    nz: usize,
    ny: usize,
    nx: usize,
    voxel_um: *const f64,
    out_descriptors: *mut csdf_descriptors,
) -> csdf_status {
    guard(|| {
        out(out_descriptors, "out_descriptors")?;
        let v = volume_arg(data, nz, ny, nx, "data")?;
        let d = describe_mask(v.mapv(|x| x != 0).view(), voxel_arg(voxel_um)?)?;
        *out_descriptors = d.into();
        Ok(())
    })
}

/// Describes a closed mesh.
#[no_mangle]
pub unsafe extern "C" fn csdf_describe_mesh(
    mesh: *const csdf_mesh,
    out_descriptors: *mut csdf_descriptors,
) -> csdf_status {
    guard(|| {
        out(out_descriptors, "out_descriptors")?;
        *out_descriptors = describe_mesh(&handle(mesh, "mesh")?.mesh)?.into();
        Ok(())
    })
}

/// Jaccard index and Dice coefficient of two masks of `len` bytes each (non-zero inside);
/// both are 1 when both masks are empty. Either output may be NULL.
#[no_mangle]
pub unsafe extern "C" fn csdf_jaccard(
    a: *const u8,
    b: *const u8,
    len: usize,
    jaccard_out: *mut f64,
    dice_out: *mut f64,
) -> csdf_status {
    guard(|| {
        if len == 0 {
            return Err(Error::invalid("len", "the masks are empty (0 voxels)"));
        }
        let a = volume_arg(a, 1, 1, len, "a")?;
        let b = volume_arg(b, 1, 1, len, "b")?;
        let o = overlap_by(a, b, |v| *v != 0, |v| *v != 0);
        if !jaccard_out.is_null() {
            *jaccard_out = o.jaccard;
        }
        if !dice_out.is_null() {
            *dice_out = o.dice;
        }
        Ok(())
    })
}

/// Two-sided two-sample Kolmogorov-Smirnov test: statistic and p-value (exact when both
/// samples have at most 10,000 values, as scipy.stats.ks_2samp). `exact_out` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn csdf_ks_2samp(
    a: *const f64,
    n_a: usize,
    b: *const f64,
    n_b: usize,
    statistic_out: *mut f64,
    p_value_out: *mut f64,
    exact_out: *mut i32,
) -> csdf_status {
    guard(|| {
        out(statistic_out, "statistic_out")?;
        out(p_value_out, "p_value_out")?;
        let t = ks_2samp(slice(a, n_a, "a")?, slice(b, n_b, "b")?)?;
        *statistic_out = t.statistic;
        *p_value_out = t.p_value;
        if !exact_out.is_null() {
            *exact_out = t.exact as i32;
        }
        Ok(())
    })
}
