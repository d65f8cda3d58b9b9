//! Hyperstack TIFF files, so that a C tool needs no other image library.

use super::{csdf_status, guard, handle, out, output_path, path, slice};
use crate::error::Error;
use crate::io::{
    read_hyperstack, read_hyperstack_with, write_hyperstack, AnyStack, Axes, Hyperstack,
    ReadOptions, Sample,
};
use crate::units::{Calibration, VoxelSize};
use ndarray::Array4;
use std::ffi::{c_char, c_void};

/// An image read from a TIFF. Created by `csdf_stack_read`, released by `csdf_stack_free`;
/// `const` use is thread-safe.
pub struct csdf_stack {
    pub(crate) stack: AnyStack,
}

/// Pixel types.
pub type csdf_dtype = i32;
pub const CSDF_DTYPE_U8: csdf_dtype = 0;
pub const CSDF_DTYPE_U16: csdf_dtype = 1;
pub const CSDF_DTYPE_U32: csdf_dtype = 2;
pub const CSDF_DTYPE_F32: csdf_dtype = 3;
/// Read only.
pub const CSDF_DTYPE_I8: csdf_dtype = 4;
pub const CSDF_DTYPE_I16: csdf_dtype = 5;
pub const CSDF_DTYPE_I32: csdf_dtype = 6;
pub const CSDF_DTYPE_F64: csdf_dtype = 7;

/// Borrowed view of a stack: valid until the stack is freed; do not write through it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct csdf_stack_view {
    pub dtype: csdf_dtype,
    /// frames * nz * ny * nx pixels of `dtype`, C order [t][z][y][x].
    pub data: *const c_void,
    pub frames: usize,
    pub nz: usize,
    pub ny: usize,
    pub nx: usize,
    /// Voxel size (x, y, z) in um; all 0 when the file has no calibration.
    pub voxel_um: [f64; 3],
    /// Seconds between frames; NaN when unknown.
    pub frame_interval_s: f64,
}

/// Reads an ImageJ hyperstack or multi-page TIFF (uncompressed, LZW or Deflate).
#[no_mangle]
pub unsafe extern "C" fn csdf_stack_read(
    path_utf8: *const c_char,
    stack_out: *mut *mut csdf_stack,
) -> csdf_status {
    guard(|| {
        out(stack_out, "stack_out")?;
        let stack = read_hyperstack(&path(path_utf8, "path")?)?;
        *stack_out = Box::into_raw(Box::new(csdf_stack { stack }));
        Ok(())
    })
}

/// Reads a TIFF as `csdf_stack_read` does, with `axes` saying what its planes are when the
/// metadata says otherwise: "TZYX", "ZTYX" (time varies fastest, e.g. frames saved as
/// channels after the slices), "TYX" (every plane a frame) or "ZYX" (stored plane axes,
/// slowest first); NULL: as the metadata says.
#[no_mangle]
pub unsafe extern "C" fn csdf_stack_read_axes(
    path_utf8: *const c_char,
    axes: *const c_char,
    stack_out: *mut *mut csdf_stack,
) -> csdf_status {
    guard(|| {
        out(stack_out, "stack_out")?;
        let options = ReadOptions::with_axes(axes_arg(axes)?);
        let stack = read_hyperstack_with(&path(path_utf8, "path")?, &options)?;
        *stack_out = Box::into_raw(Box::new(csdf_stack { stack }));
        Ok(())
    })
}

/// The axes override at `axes` (NULL: none).
pub(crate) unsafe fn axes_arg(axes: *const c_char) -> crate::Result<Option<Axes>> {
    super::optional_text(axes, "axes")?
        .map(str::parse)
        .transpose()
}

/// Fills `*view_out` with a borrowed view of the stack's pixels and calibration.
#[no_mangle]
pub unsafe extern "C" fn csdf_stack_view_get(
    stack: *const csdf_stack,
    view_out: *mut csdf_stack_view,
) -> csdf_status {
    guard(|| {
        out(view_out, "view_out")?;
        let s = &handle(stack, "stack")?.stack;
        let (dtype, data): (csdf_dtype, *const c_void) = match s {
            AnyStack::U8(h) => (CSDF_DTYPE_U8, h.data.as_ptr() as _),
            AnyStack::U16(h) => (CSDF_DTYPE_U16, h.data.as_ptr() as _),
            AnyStack::U32(h) => (CSDF_DTYPE_U32, h.data.as_ptr() as _),
            AnyStack::F32(h) => (CSDF_DTYPE_F32, h.data.as_ptr() as _),
            AnyStack::I8(h) => (CSDF_DTYPE_I8, h.data.as_ptr() as _),
            AnyStack::I16(h) => (CSDF_DTYPE_I16, h.data.as_ptr() as _),
            AnyStack::I32(h) => (CSDF_DTYPE_I32, h.data.as_ptr() as _),
            AnyStack::F64(h) => (CSDF_DTYPE_F64, h.data.as_ptr() as _),
        };
        let (frames, nz, ny, nx) = s.dims();
        let c = s.calibration();
        let v = c.voxel_um.unwrap_or(VoxelSize {
            x: 0.0,
            y: 0.0,
            z: 0.0,
        });
        *view_out = csdf_stack_view {
            dtype,
            data,
            frames,
            nz,
            ny,
            nx,
            voxel_um: [v.x, v.y, v.z],
            frame_interval_s: c.frame_interval_s.unwrap_or(f64::NAN),
        };
        Ok(())
    })
}

/// Releases a stack; NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn csdf_stack_free(stack: *mut csdf_stack) {
    if !stack.is_null() {
        drop(Box::from_raw(stack));
    }
}

/// Writes `data` to the path `claim` returns once the size and data are checked (so a
/// refused call claims no name).
unsafe fn write_typed<T: Sample>(
    claim: impl FnOnce() -> crate::Result<std::path::PathBuf>,
    data: *const c_void,
    dims: (usize, usize, usize, usize),
    calibration: Calibration,
) -> crate::Result<()> {
    // A classic TIFF holds at most 4 GiB; refuse larger stacks before touching `data`.
    let n = dims.0 * dims.1 * dims.2 * dims.3; // checked by the caller
    if n.checked_mul(std::mem::size_of::<T>())
        .is_none_or(|b| b as u64 > u32::MAX as u64)
    {
        return Err(Error::invalid(
            "frames, nz, ny, nx",
            format!(
                "{} x {} x {} x {} pixels exceed the 4 GiB a TIFF file can hold",
                dims.0, dims.1, dims.2, dims.3
            ),
        ));
    }
    let s = slice(data as *const T, n, "data")?;
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| Error::out_of_memory(format!("a copy of {n} pixels")))?;
    v.extend_from_slice(s);
    let a = Array4::from_shape_vec(dims, v)
        .map_err(|e| Error::invalid("frames, nz, ny, nx", e.to_string()))?;
    write_hyperstack(&claim()?, &Hyperstack::new(a, calibration))
}

/// Pixels of a (frames, nz, ny, nx) stack, computed without wrapping; an empty stack is an
/// error naming the size arguments.
pub(crate) fn stack_len(dims: (usize, usize, usize, usize)) -> crate::Result<usize> {
    dims.0
        .checked_mul(dims.1)
        .and_then(|v| v.checked_mul(dims.2))
        .and_then(|v| v.checked_mul(dims.3))
        .filter(|&n| n > 0)
        .ok_or_else(|| Error::invalid("frames, nz, ny, nx", "not a valid non-empty stack size"))
}

/// Writes `data` (frames * nz * ny * nx pixels of `dtype`: U8, U16, U32 or F32; C order
/// [t][z][y][x]) as an ImageJ hyperstack that Fiji and napari open with its calibration:
/// `voxel_um` (x, y, z) um (NULL: uncalibrated), `frame_interval_s` (<= 0 or NaN: none).
/// The file appears only when complete. An existing file that cellsdf did not write (or that
/// another operation wrote) is replaced only when `overwrite` is 1 (since ABI 0.10).
#[no_mangle]
pub unsafe extern "C" fn csdf_stack_write(
    path_utf8: *const c_char,
    dtype: csdf_dtype,
    data: *const c_void,
    frames: usize,
    nz: usize,
    ny: usize,
    nx: usize,
    voxel_um: *const f64,
    frame_interval_s: f64,
    overwrite: i32,
) -> csdf_status {
    guard(|| {
        path(path_utf8, "path")?;
        stack_len((frames, nz, ny, nx))?;
        let voxel = super::optional_voxel_arg(voxel_um)?;
        let p = || output_path(path_utf8, "path", "csdf_stack_write", overwrite);
        let calibration = Calibration {
            voxel_um: voxel,
            frame_interval_s: (frame_interval_s > 0.0 && frame_interval_s.is_finite())
                .then_some(frame_interval_s),
        };
        let dims = (frames, nz, ny, nx);
        match dtype {
            CSDF_DTYPE_U8 => write_typed::<u8>(p, data, dims, calibration),
            CSDF_DTYPE_U16 => write_typed::<u16>(p, data, dims, calibration),
            CSDF_DTYPE_U32 => write_typed::<u32>(p, data, dims, calibration),
            CSDF_DTYPE_F32 => write_typed::<f32>(p, data, dims, calibration),
            other => Err(Error::invalid(
                "dtype",
                format!("cannot write pixel type {other}; use 0 (u8), 1 (u16), 2 (u32) or 3 (f32)"),
            )),
        }
    })
}
