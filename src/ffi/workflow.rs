//! The workflow calls that front ends make instead of re-implementing steps: resolve a
//! model argument, render sequences into a folder exactly as the CLI does, describe every
//! label of a label array into a table (the CLI's columns), read a mesh file.

use super::mesh::{csdf_mesh_format, mesh_format};
use super::model::{code_source, csdf_model};
use super::stack::{
    csdf_dtype, stack_len, CSDF_DTYPE_I32, CSDF_DTYPE_U16, CSDF_DTYPE_U32, CSDF_DTYPE_U8,
};
use super::{
    csdf_progress_fn, csdf_status, guard, handle, optional_text, out, path, slice, text, CProgress,
};
use crate::describe::{describe_stack, write_table, Row, COLUMNS};
use crate::error::Error;
use crate::io::{claim_file, Hyperstack, OutputDir};
use crate::synth::{
    check_frames, size::CellSizes, times, training_scale_and_interval, Evaluation, SequenceFormat,
    SynthOptions,
};
use crate::units::{Calibration, VoxelSize};
use crate::workflow::{mesh_labels, render_jobs, render_to_folder, resolve_model, RenderRequest};
use ndarray::Array4;
use std::ffi::{c_char, c_void, CString};
use std::sync::OnceLock;

/// Copies the file that `name_or_path` names into `buf` (UTF-8, NUL-terminated): an
/// existing path as given, or for `dividing` / `filopodial` the bundled default model found
/// in `$CELLSDF_MODELS`, `search_dir` (may be NULL), or the models/ folder of the source
/// tree the library was built from. `*needed_out` always receives the bytes needed
/// including the NUL; call with `buf` NULL and `len` 0 to size a buffer. A non-NULL `buf`
/// shorter than needed is an INVALID_ARGUMENT (nothing copied).
#[no_mangle]
pub unsafe extern "C" fn csdf_model_resolve(
    name_or_path: *const c_char,
    search_dir: *const c_char,
    buf: *mut c_char,
    len: usize,
    needed_out: *mut usize,
) -> csdf_status {
    guard(|| {
        out(needed_out, "needed_out")?;
        let arg = text(name_or_path, "name_or_path")?;
        let dir = optional_text(search_dir, "search_dir")?.map(std::path::Path::new);
        let resolved = resolve_model(arg, dir)?;
        let text = resolved.to_str().ok_or_else(|| {
            Error::invalid("name_or_path", "resolves to a path that is not UTF-8")
        })?;
        copy_string(text, buf, len, needed_out)
    })
}

/// What `csdf_infer` callers need to render like the CLI: the model times of `frames`
/// evenly spaced frames (-1 to 1; 0 for one frame) into `times_out` (`frames` doubles), the
/// training sequences' mean scale (um per model unit) and the frame interval (s; NaN when
/// the training data had none) that spreads their mean duration over `frames` frames.
/// `times_out` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn csdf_model_render_defaults(
    model: *const csdf_model,
    frames: usize,
    times_out: *mut f64,
    scale_um_out: *mut f64,
    frame_interval_s_out: *mut f64,
) -> csdf_status {
    guard(|| {
        let m = &handle(model, "model")?.model;
        out(scale_um_out, "scale_um_out")?;
        out(frame_interval_s_out, "frame_interval_s_out")?;
        check_frames(frames)?;
        if !times_out.is_null() {
            super::slice_mut(times_out, frames, "times_out")?.copy_from_slice(&times(frames));
        }
        let (scale, interval) = training_scale_and_interval(m, frames);
        *scale_um_out = scale;
        *frame_interval_s_out = interval.unwrap_or(f64::NAN);
        Ok(())
    })
}

/// What `csdf_model_synthesize` renders.
pub type csdf_render_kind = i32;
/// `count` new sequences, codes drawn by `code_method` (files synth_NNN.tif).
pub const CSDF_RENDER_SYNTHESIZE: csdf_render_kind = 0;
/// Training sequence `sequence` as learned (reconstruct_NNN.tif).
pub const CSDF_RENDER_RECONSTRUCT: csdf_render_kind = 1;
/// `steps` codes from sequence `from` to `to`, endpoints included (morph_NNN.tif).
pub const CSDF_RENDER_INTERPOLATE: csdf_render_kind = 2;

/// Options of `csdf_model_synthesize`; start from `csdf_synth_options_default()`, which
/// matches the CLI's defaults (`cellsdf synth`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct csdf_synth_options {
    /// CSDF_RENDER_*.
    pub kind: csdf_render_kind,
    /// CSDF_RENDER_SYNTHESIZE: how codes are drawn (CSDF_CODES_*, as `csdf_codes_sample`,
    /// default CSDF_CODES_NEIGHBOURS), its parameter (< 0: the method's default), how many
    /// sequences and the seed (sequence k depends only on (seed, k)).
    pub code_method: i32,
    pub code_param: f64,
    pub count: usize,
    pub seed: u64,
    /// CSDF_RENDER_RECONSTRUCT: the training sequence.
    pub sequence: usize,
    /// CSDF_RENDER_INTERPOLATE: from, to, steps (>= 2).
    pub from: usize,
    pub to: usize,
    pub steps: usize,
    /// Frames per sequence; model time -1..1 spans the training sequences' duration and the
    /// files' frame interval is that duration over frames - 1.
    pub frames: usize,
    /// Grid (x, y, z) in voxels; all 0: 64^3, or what covers the cell at `voxel_um`.
    pub size_xyz: [usize; 3],
    /// Voxel size (x, y, z) in um; all 0: the cell's box fills the grid.
    pub voxel_um: [f64; 3],
    /// 1: evaluate every voxel; 0: adaptive coarse-to-fine (same masks, faster).
    pub dense: i32,
    /// 1: also write the SDF (float32, um) as NAME_sdf.tif.
    pub write_sdf: i32,
    /// 1: replace files of the output's names even when cellsdf did not write them.
    pub overwrite: i32,
    /// Model argument recorded in manifest.json (NULL: empty).
    pub model_label: *const c_char,
    /// CSDF_RENDER_SYNTHESIZE: number of the first sequence (files synth_FIRST...,
    /// streams (seed, FIRST...)), so that a part of a series equals the same sequences of
    /// the whole. Since ABI 0.6.
    pub first: usize,
    /// CSDF_FORMAT_TIFF (ImageJ hyperstacks) or CSDF_FORMAT_OME_ZARR (one OME-Zarr store
    /// per sequence, NAME.ome.zarr; no SDF). Since ABI 0.6.
    pub format: i32,
    /// OME-Zarr chunk size (z, y, x) in voxels; all 0: 64^3. Since ABI 0.6.
    pub zarr_chunk_zyx: [usize; 3],
    /// 1 (the default): a model that carries a tube model (`cellsdf tubes`) is rendered as
    /// its body with filopodia drawn as tubes; 0: the network's shape as it is (`cellsdf
    /// synth --no-tubes`). Models without a tube model ignore it. Since ABI 0.8.
    pub tubes: i32,
    /// CSDF_RENDER_SYNTHESIZE with CSDF_CODES_NEIGHBOURS or CSDF_CODES_FITTED: how new cells
    /// get their size. CSDF_SIZES_TRAINING (the default): each sequence is rendered at the
    /// scale that gives its cell a mean volume drawn from the training cells' (`cellsdf synth
    /// --sizes training`); CSDF_SIZES_DECODED: the size its code decodes to. The paper's
    /// protocols (NORMAL, AROUND_LEARNED) ignore it. Since ABI 0.9.
    pub sizes: i32,
}

/// New cells' mean volumes drawn from the training cells' (`csdf_synth_options.sizes`).
pub const CSDF_SIZES_TRAINING: i32 = 0;
/// New cells at the size their codes decode to.
pub const CSDF_SIZES_DECODED: i32 = 1;

/// The cell sizes of a C `sizes` field (CSDF_SIZES_*).
fn cell_sizes(sizes: i32) -> crate::Result<CellSizes> {
    match sizes {
        CSDF_SIZES_TRAINING => Ok(CellSizes::Training),
        CSDF_SIZES_DECODED => Ok(CellSizes::Decoded),
        other => Err(Error::invalid(
            "sizes",
            format!("must be 0 (training) or 1 (decoded), got {other}"),
        )),
    }
}

/// The output format of a C `format` field (CSDF_FORMAT_*).
pub(crate) fn sequence_format(format: i32) -> crate::Result<SequenceFormat> {
    match format {
        CSDF_FORMAT_TIFF => Ok(SequenceFormat::Tiff),
        CSDF_FORMAT_OME_ZARR => Ok(SequenceFormat::OmeZarr),
        other => Err(Error::invalid(
            "format",
            format!("must be 0 (TIFF) or 1 (OME-Zarr), got {other}"),
        )),
    }
}

/// The OME-Zarr layout of a C `zarr_chunk_zyx` field (all 0: the default).
pub(crate) fn zarr_layout(chunk_zyx: [usize; 3]) -> crate::Result<crate::io::OmeZarrLayout> {
    if chunk_zyx == [0; 3] {
        return Ok(crate::io::OmeZarrLayout::default());
    }
    crate::io::OmeZarrLayout::with_chunk(chunk_zyx.map(|c| c as u64))
}

/// Sequences as ImageJ hyperstack TIFFs (`csdf_synth_options.format`).
pub const CSDF_FORMAT_TIFF: i32 = 0;
/// Sequences as OME-Zarr stores (NGFF 0.5).
pub const CSDF_FORMAT_OME_ZARR: i32 = 1;

/// The CLI's defaults: 1 new sequence of 30 frames by CSDF_CODES_NEIGHBOURS, seed 0, 64^3
/// voxels with the cell filling the grid, adaptive evaluation, masks only.
#[no_mangle]
pub extern "C" fn csdf_synth_options_default() -> csdf_synth_options {
    csdf_synth_options {
        kind: CSDF_RENDER_SYNTHESIZE,
        code_method: super::model::CSDF_CODES_NEIGHBOURS,
        code_param: -1.0,
        count: 1,
        seed: 0,
        sequence: 0,
        from: 0,
        to: 1,
        steps: 5,
        frames: SynthOptions::default().frames,
        size_xyz: [0; 3],
        voxel_um: [0.0; 3],
        dense: 0,
        write_sdf: 0,
        overwrite: 0,
        model_label: std::ptr::null(),
        first: 0,
        format: CSDF_FORMAT_TIFF,
        zarr_chunk_zyx: [0; 3],
        tubes: 1,
        sizes: CSDF_SIZES_TRAINING,
    }
}

unsafe fn synth_request(o: &csdf_synth_options) -> crate::Result<(RenderRequest, SynthOptions)> {
    let request = match o.kind {
        CSDF_RENDER_SYNTHESIZE => RenderRequest::Synthesize {
            codes: code_source(o.code_method, o.code_param)?.with_sizes(cell_sizes(o.sizes)?),
            count: o.count,
            seed: o.seed,
            first: o.first,
        },
        CSDF_RENDER_RECONSTRUCT => RenderRequest::Reconstruct {
            sequence: o.sequence,
        },
        CSDF_RENDER_INTERPOLATE => RenderRequest::Interpolate {
            from: o.from,
            to: o.to,
            steps: o.steps,
        },
        other => {
            return Err(Error::invalid(
                "kind",
                format!("must be 0 to 2 (CSDF_RENDER_*), got {other}"),
            ))
        }
    };
    let size = (o.size_xyz != [0; 3]).then_some(o.size_xyz);
    if size.is_some_and(|s| s.contains(&0)) {
        return Err(Error::invalid(
            "size_xyz",
            "give all three sizes or none (all 0)",
        ));
    }
    let voxel = if o.voxel_um == [0.0; 3] {
        None
    } else {
        Some(super::voxel_arg(o.voxel_um.as_ptr())?)
    };
    let opts = SynthOptions {
        frames: o.frames,
        size_xyz: size,
        voxel_um: voxel,
        mode: if o.dense != 0 {
            Evaluation::Dense
        } else {
            Evaluation::adaptive()
        },
        write_sdf: o.write_sdf != 0,
        format: sequence_format(o.format)?,
        zarr: zarr_layout(o.zarr_chunk_zyx)?,
        tubes: o.tubes != 0,
        ..SynthOptions::default()
    };
    Ok((request, opts))
}

/// Renders what `options` asks of `model` into the folder `out_dir_utf8` exactly as the
/// CLI does (`cellsdf synth` / `reconstruct` / `interpolate`): one uint8 0/1 mask
/// hyperstack (or OME-Zarr store) per sequence (calibrated in um and s), optionally the SDF, and
/// `manifest.json`. The folder is created when missing; files cellsdf did not write are
/// never replaced unless `overwrite` is 1 (then INVALID_ARGUMENT names them). Cancelling
/// through `progress` leaves no partial file.
#[no_mangle]
pub unsafe extern "C" fn csdf_model_synthesize(
    model: *const csdf_model,
    options: *const csdf_synth_options,
    out_dir_utf8: *const c_char,
    progress: csdf_progress_fn,
    user_data: *mut c_void,
) -> csdf_status {
    guard(|| {
        let m = &handle(model, "model")?.model;
        let o = handle(options, "options")?;
        let dir = path(out_dir_utf8, "out_dir")?;
        let label = optional_text(o.model_label, "model_label")?.unwrap_or("");
        let (request, opts) = synth_request(o)?;
        let report = CProgress::new(progress, user_data);
        let jobs = render_jobs(m, request, &report)?;
        let mut out_dir = OutputDir::create(&dir, "synth", o.overwrite != 0)?;
        render_to_folder(m, label, jobs, &opts, &mut out_dir, &report)?;
        Ok(())
    })
}

/// Copies the mask file name (e.g. "synth_000.tif") of sequence `k` of what `options` asks
/// for into `buf` (NUL-terminated); `*needed_out` receives the bytes needed including the
/// NUL (call with `buf` NULL and `len` 0 to size a buffer). `k` must be below the number of
/// sequences (`count`, 1 or `steps`). The SDF of the sequence is the same name with `_sdf`
/// before `.tif`.
#[no_mangle]
pub unsafe extern "C" fn csdf_synth_file_name(
    options: *const csdf_synth_options,
    k: usize,
    buf: *mut c_char,
    len: usize,
    needed_out: *mut usize,
) -> csdf_status {
    guard(|| {
        out(needed_out, "needed_out")?;
        let (request, _) = synth_request(handle(options, "options")?)?;
        let stem = request.stem(k).ok_or_else(|| {
            Error::invalid("k", format!("{k} is not below {} sequences", request.len()))
        })?;
        copy_string(&format!("{stem}.tif"), buf, len, needed_out)
    })
}

/// Copies `s` NUL-terminated into `buf` of `len` bytes (nothing when `buf` is NULL) and sets
/// `*needed_out` to its length plus one; a non-NULL `buf` shorter than that is an error.
unsafe fn copy_string(
    s: &str,
    buf: *mut c_char,
    len: usize,
    needed_out: *mut usize,
) -> crate::Result<()> {
    let bytes = s.as_bytes();
    *needed_out = bytes.len() + 1;
    if buf.is_null() {
        return Ok(());
    }
    if len < bytes.len() + 1 {
        return Err(Error::invalid(
            "len",
            format!(
                "the buffer holds {len} bytes; {} are needed",
                bytes.len() + 1
            ),
        ));
    }
    std::ptr::copy_nonoverlapping(bytes.as_ptr() as *const c_char, buf, bytes.len());
    *buf.add(bytes.len()) = 0;
    Ok(())
}

/// A table of shape descriptors, one row per label per frame, with the CLI's columns
/// (`cellsdf describe`). Created by `csdf_labels_describe`, released by `csdf_table_free`;
/// `const` use is thread-safe.
pub struct csdf_table {
    rows: Vec<Row>,
    values: Vec<f64>,
    frame_interval_s: Option<f64>,
}

/// Borrowed view of a table's numbers: `rows` x `columns` doubles, row-major, valid until
/// the table is freed. Columns are those named by `csdf_table_column_name` (the CLI's CSV
/// columns without `source`); NaN marks a value that does not exist (a mesh that cannot
/// be closed, `time_s` without a frame interval).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct csdf_table_view {
    pub rows: usize,
    pub columns: usize,
    pub values: *const f64,
}

/// Numeric columns of a descriptor table: `describe::COLUMNS` without `source`.
fn numeric_columns() -> &'static [CString] {
    static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
    NAMES.get_or_init(|| {
        COLUMNS
            .iter()
            .filter(|c| **c != "source")
            .map(|c| CString::new(*c).expect("column names hold no NUL"))
            .collect()
    })
}

/// Labels of `data` as a u32 hyperstack calibrated with `voxel` and `interval` (copied;
/// negative values refused).
unsafe fn labels_stack(
    data: *const c_void,
    dtype: csdf_dtype,
    dims: (usize, usize, usize, usize),
    voxel: VoxelSize,
    interval: Option<f64>,
) -> crate::Result<Hyperstack<u32>> {
    let labels = labels_arg(data, dtype, dims)?;
    Ok(Hyperstack::new(
        labels,
        Calibration {
            voxel_um: Some(voxel),
            frame_interval_s: interval,
        },
    ))
}

/// Labels of `data` as a u32 array (copied; negative values refused).
unsafe fn labels_arg(
    data: *const c_void,
    dtype: csdf_dtype,
    dims: (usize, usize, usize, usize),
) -> crate::Result<Array4<u32>> {
    let n = stack_len(dims)?;
    let bytes = n.saturating_mul(4);
    if bytes as u64 > crate::io::ReadLimits::default().max_bytes {
        return Err(Error::out_of_memory(format!(
            "{n} labels ({bytes} bytes as 32-bit labels)"
        )));
    }
    let mut v: Vec<u32> = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| Error::out_of_memory(format!("a copy of {n} labels")))?;
    match dtype {
        CSDF_DTYPE_U8 => v.extend(
            slice(data as *const u8, n, "data")?
                .iter()
                .map(|&x| x as u32),
        ),
        CSDF_DTYPE_U16 => v.extend(
            slice(data as *const u16, n, "data")?
                .iter()
                .map(|&x| x as u32),
        ),
        CSDF_DTYPE_U32 => v.extend_from_slice(slice(data as *const u32, n, "data")?),
        CSDF_DTYPE_I32 => {
            let s = slice(data as *const i32, n, "data")?;
            if s.iter().any(|&x| x < 0) {
                return Err(Error::invalid("data", "labels must be >= 0"));
            }
            v.extend(s.iter().map(|&x| x as u32))
        }
        other => {
            return Err(Error::invalid(
                "dtype",
                format!("labels must be u8, u16, u32 or i32 (0, 1, 2, 6), got {other}"),
            ))
        }
    }
    Array4::from_shape_vec(dims, v).map_err(|e| Error::invalid("frames, nz, ny, nx", e.to_string()))
}

/// Describes every non-zero label of every frame of `data` (frames * nz * ny * nx labels of
/// `dtype`: U8, U16, U32 or I32 >= 0; C order [t][z][y][x]) with voxel size `voxel_um`
/// (x, y, z) um and `frame_interval_s` (<= 0 or NaN: unknown), exactly as `cellsdf
/// describe` does. Frames count from 0. `source` (may be NULL) names the data in the CSV.
/// On success `*table_out` is a new table to free with `csdf_table_free`.
#[no_mangle]
pub unsafe extern "C" fn csdf_labels_describe(
    data: *const c_void,
    dtype: csdf_dtype,
    frames: usize,
    nz: usize,
    ny: usize,
    nx: usize,
    voxel_um: *const f64,
    frame_interval_s: f64,
    source: *const c_char,
    progress: csdf_progress_fn,
    user_data: *mut c_void,
    table_out: *mut *mut csdf_table,
) -> csdf_status {
    guard(|| {
        out(table_out, "table_out")?;
        let voxel = super::voxel_arg(voxel_um)?;
        let source = optional_text(source, "source")?.unwrap_or("");
        let interval =
            (frame_interval_s > 0.0 && frame_interval_s.is_finite()).then_some(frame_interval_s);
        let stack = labels_stack(data, dtype, (frames, nz, ny, nx), voxel, interval)?;
        let report = CProgress::new(progress, user_data);
        let rows = describe_stack(&stack, source, None, &report)?;
        let values = rows.iter().flat_map(|r| r.values(interval)).collect();
        *table_out = Box::into_raw(Box::new(csdf_table {
            rows,
            values,
            frame_interval_s: interval,
        }));
        Ok(())
    })
}

/// Meshes every label of every frame of `data` (as in `csdf_labels_describe`) at its
/// boundary into the folder `out_dir_utf8`, exactly as `cellsdf mesh` does: files
/// `<stem>_tNNN_labelL.<ext>` (frames from 0; `<stem>_tNNN.<ext>` for a binary mask) in
/// `format` (CSDF_MESH_*), vertices in um. Files cellsdf did not write are never replaced
/// unless `overwrite` is 1. `*written_out` (may be NULL) receives the number of meshes.
#[no_mangle]
pub unsafe extern "C" fn csdf_labels_mesh(
    data: *const c_void,
    dtype: csdf_dtype,
    frames: usize,
    nz: usize,
    ny: usize,
    nx: usize,
    voxel_um: *const f64,
    stem: *const c_char,
    format: csdf_mesh_format,
    out_dir_utf8: *const c_char,
    overwrite: i32,
    progress: csdf_progress_fn,
    user_data: *mut c_void,
    written_out: *mut usize,
) -> csdf_status {
    guard(|| {
        let voxel = super::voxel_arg(voxel_um)?;
        let stem = text(stem, "stem")?;
        if stem.is_empty() || stem.contains(['/', '\\', '\0']) {
            return Err(Error::invalid(
                "stem",
                format!("{stem:?} is not a file name stem"),
            ));
        }
        let format = mesh_format(format)?;
        let dir = path(out_dir_utf8, "out_dir")?;
        let stack = labels_stack(data, dtype, (frames, nz, ny, nx), voxel, None)?;
        let mut out_dir = OutputDir::create(&dir, "mesh", overwrite != 0)?;
        let report = CProgress::new(progress, user_data);
        let written = mesh_labels(&stack, stem, voxel, format, &mut out_dir, &report)?;
        if !written_out.is_null() {
            *written_out = written.len();
        }
        Ok(())
    })
}

/// Fills `*view_out` with a borrowed view of the table's numbers.
#[no_mangle]
pub unsafe extern "C" fn csdf_table_view_get(
    table: *const csdf_table,
    view_out: *mut csdf_table_view,
) -> csdf_status {
    guard(|| {
        out(view_out, "view_out")?;
        let t = handle(table, "table")?;
        *view_out = csdf_table_view {
            rows: t.rows.len(),
            columns: numeric_columns().len(),
            values: t.values.as_ptr(),
        };
        Ok(())
    })
}

/// Name of numeric column `index` (e.g. "volume_um3"; static string, never freed), or NULL
/// when `index` is not below the view's `columns`.
#[no_mangle]
pub extern "C" fn csdf_table_column_name(index: usize) -> *const c_char {
    numeric_columns()
        .get(index)
        .map_or(std::ptr::null(), |c| c.as_ptr())
}

/// Writes the table as the CLI's CSV (header `source,frame,label,...,time_s`), atomically.
/// An existing file that cellsdf did not write is replaced only when `overwrite` is 1.
#[no_mangle]
pub unsafe extern "C" fn csdf_table_write_csv(
    table: *const csdf_table,
    path_utf8: *const c_char,
    overwrite: i32,
) -> csdf_status {
    guard(|| {
        let t = handle(table, "table")?;
        let p = path(path_utf8, "path")?;
        claim_file(&p, "describe", overwrite != 0)?;
        write_table(&t.rows, t.frame_interval_s, &p)
    })
}

/// Releases a table; NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn csdf_table_free(table: *mut csdf_table) {
    if !table.is_null() {
        drop(Box::from_raw(table));
    }
}
