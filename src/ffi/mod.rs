//! The stable C API of libcellsdf (prefix `csdf_`), generated into `include/cellsdf.h` by
//! cbindgen. Conventions (after rustls-ffi and wasmtime): opaque handles created by the
//! library and released once by their `_free` (which accepts NULL); every fallible function
//! returns a `csdf_status` and writes its outputs through out-pointers only on success; the
//! message of the last failure on the calling thread is read with
//! `csdf_last_error_message`; panics never cross the boundary (they become
//! `CSDF_STATUS_PANIC`); every pointer, size and enum value from C is checked.
//!
//! Threads: functions taking a `const` handle may be called from several threads at once
//! on the same handle; a non-const handle must be used by one thread at a time.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod calibrate;
mod dataset;
mod grid;
mod measure;
mod mesh;
mod model;
mod simulate;
mod stack;
mod workflow;

// The C functions, reachable from Rust too (the fuzz driver calls them as C would).
pub use self::dataset::*;
pub use self::grid::*;
pub use self::measure::*;
pub use self::mesh::*;
pub use self::model::*;
pub use self::simulate::*;
pub use self::stack::*;
pub use self::workflow::*;

use crate::error::Error;
use crate::progress::Progress;
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

/// Result of every fallible call. Values are stable across versions of the same ABI major.
pub type csdf_status = i32;
/// Success.
pub const CSDF_STATUS_OK: csdf_status = 0;
/// An argument is NULL, out of range or inconsistent with another.
pub const CSDF_STATUS_INVALID_ARGUMENT: csdf_status = 1;
/// The operating system refused a read or write.
pub const CSDF_STATUS_IO: csdf_status = 2;
/// A file is malformed, truncated or of an unsupported kind.
pub const CSDF_STATUS_FORMAT: csdf_status = 3;
/// The progress callback asked to stop; no partial output was written.
pub const CSDF_STATUS_CANCELLED: csdf_status = 4;
/// libtorch reported an error (including running out of GPU memory).
pub const CSDF_STATUS_TORCH: csdf_status = 5;
/// A bug inside the library (a Rust panic), caught at the boundary.
pub const CSDF_STATUS_PANIC: csdf_status = 6;
/// Memory for the result could not be reserved (the call changed nothing).
pub const CSDF_STATUS_OUT_OF_MEMORY: csdf_status = 7;
/// This build of the library lacks the operation: training, code fitting and CUDA need
/// libtorch, and a library built without it (`csdf_has_training()` is 0) returns this.
pub const CSDF_STATUS_UNSUPPORTED: csdf_status = 8;

/// Progress and cancellation of long calls: `fraction` runs from 0 to 1, `stage` names the
/// current step (valid during the call only). Return 0 to go on, non-zero to cancel: the
/// call then returns `CSDF_STATUS_CANCELLED` and leaves no partial file. May be called from
/// a library worker thread. NULL means no reporting.
pub type csdf_progress_fn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, fraction: f32, stage: *const c_char) -> i32,
>;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
    static IN_CALL: Cell<bool> = const { Cell::new(false) };
}

fn set_error(message: String) {
    LAST_ERROR.with(|e| *e.borrow_mut() = message);
}

fn status_of(e: &Error) -> csdf_status {
    match e {
        Error::Io { .. } => CSDF_STATUS_IO,
        Error::Format { .. } => CSDF_STATUS_FORMAT,
        Error::InvalidArgument { .. } => CSDF_STATUS_INVALID_ARGUMENT,
        Error::Cancelled => CSDF_STATUS_CANCELLED,
        Error::Torch(_) => CSDF_STATUS_TORCH,
        Error::OutOfMemory { .. } => CSDF_STATUS_OUT_OF_MEMORY,
        Error::Unsupported(_) => CSDF_STATUS_UNSUPPORTED,
    }
}

/// Runs one exported body: errors become statuses with their message kept for
/// `csdf_last_error_message`, panics become `CSDF_STATUS_PANIC` without printing.
pub(crate) fn guard(body: impl FnOnce() -> crate::Result<()>) -> csdf_status {
    install_quiet_panic_hook();
    IN_CALL.with(|c| c.set(true));
    let result = catch_unwind(AssertUnwindSafe(body));
    IN_CALL.with(|c| c.set(false));
    match result {
        Ok(Ok(())) => CSDF_STATUS_OK,
        Ok(Err(e)) => {
            set_error(e.to_string());
            status_of(&e)
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_error(format!("internal error (panic): {what}"));
            CSDF_STATUS_PANIC
        }
    }
}

/// A panic inside a C API call is reported through its status, not printed; panics
/// elsewhere in the process keep the previous hook.
fn install_quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_CALL.with(|c| c.get()) {
                previous(info);
            }
        }));
    });
}

/// The NUL-terminated UTF-8 string `ptr` (argument `name`).
pub(crate) unsafe fn text<'a>(ptr: *const c_char, name: &str) -> crate::Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::invalid(name, "is NULL"));
    }
    CStr::from_ptr(ptr)
        .to_str()
        .map_err(|_| Error::invalid(name, "is not valid UTF-8"))
}

/// Like [`text`], with NULL meaning "not given".
pub(crate) unsafe fn optional_text<'a>(
    ptr: *const c_char,
    name: &str,
) -> crate::Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        text(ptr, name).map(Some)
    }
}

pub(crate) unsafe fn path(ptr: *const c_char, name: &str) -> crate::Result<PathBuf> {
    Ok(PathBuf::from(text(ptr, name)?))
}

/// The output file at `ptr` (argument `name`), claimed for `operation` as the CLI claims its
/// outputs: a file cellsdf did not write, or another operation wrote, is replaced only when
/// `overwrite` is 1. Its folder must exist (a C caller's missing folder is an I/O error
/// naming the file, not a folder made for it).
pub(crate) unsafe fn output_path(
    ptr: *const c_char,
    name: &str,
    operation: &'static str,
    overwrite: i32,
) -> crate::Result<PathBuf> {
    let p = path(ptr, name)?;
    existing_folder(&p)?;
    crate::io::claim_file(&p, operation, overwrite != 0)?;
    Ok(p)
}

/// The folder of a C caller's output `p` must exist: a missing one is an I/O error naming
/// the file, not a folder made for it.
pub(crate) fn existing_folder(p: &std::path::Path) -> crate::Result<()> {
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    if parent.is_dir() {
        Ok(())
    } else {
        Err(Error::io(
            p,
            std::io::Error::new(std::io::ErrorKind::NotFound, "its folder does not exist"),
        ))
    }
}

/// `len` elements at `ptr` (argument `name`); NULL is allowed only when `len` is 0.
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, len: usize, name: &str) -> crate::Result<&'a [T]> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(Error::invalid(name, "is NULL"));
    }
    Ok(std::slice::from_raw_parts(ptr, len))
}

pub(crate) unsafe fn slice_mut<'a, T>(
    ptr: *mut T,
    len: usize,
    name: &str,
) -> crate::Result<&'a mut [T]> {
    if ptr.is_null() {
        return Err(Error::invalid(name, "is NULL"));
    }
    Ok(std::slice::from_raw_parts_mut(ptr, len))
}

/// The voxel size (x, y, z) um at `voxel_um` (3 doubles), validated.
pub(crate) unsafe fn voxel_arg(voxel_um: *const f64) -> crate::Result<crate::VoxelSize> {
    let v = slice(voxel_um, 3, "voxel_um")?;
    let v = crate::VoxelSize {
        x: v[0],
        y: v[1],
        z: v[2],
    };
    v.validate("voxel_um")?;
    Ok(v)
}

/// Like [`voxel_arg`], with NULL meaning "not given".
pub(crate) unsafe fn optional_voxel_arg(
    voxel_um: *const f64,
) -> crate::Result<Option<crate::VoxelSize>> {
    if voxel_um.is_null() {
        Ok(None)
    } else {
        voxel_arg(voxel_um).map(Some)
    }
}

/// Checks an out-pointer before any work is done.
pub(crate) fn out<T>(ptr: *mut T, name: &str) -> crate::Result<()> {
    if ptr.is_null() {
        Err(Error::invalid(name, "output pointer is NULL"))
    } else {
        Ok(())
    }
}

/// The handle behind `ptr` (argument `name`).
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, name: &str) -> crate::Result<&'a T> {
    ptr.as_ref()
        .ok_or_else(|| Error::invalid(name, "handle is NULL"))
}

pub(crate) unsafe fn handle_mut<'a, T>(ptr: *mut T, name: &str) -> crate::Result<&'a mut T> {
    ptr.as_mut()
        .ok_or_else(|| Error::invalid(name, "handle is NULL"))
}

/// A C progress callback as a [`Progress`].
pub(crate) struct CProgress {
    callback: csdf_progress_fn,
    user_data: *mut c_void,
}

// The C caller promises (header) that the callback may be called from any thread.
unsafe impl Sync for CProgress {}

impl CProgress {
    pub(crate) fn new(callback: csdf_progress_fn, user_data: *mut c_void) -> Self {
        CProgress {
            callback,
            user_data,
        }
    }
}

impl Progress for CProgress {
    fn report(&self, fraction: f32, stage: &str) -> bool {
        match self.callback {
            None => true,
            Some(f) => {
                let stage = std::ffi::CString::new(stage.replace('\0', " ")).unwrap_or_default();
                unsafe { f(self.user_data, fraction, stage.as_ptr()) == 0 }
            }
        }
    }
}

/// Version of the library, e.g. "0.1.0" (static string, never freed).
#[no_mangle]
pub extern "C" fn csdf_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// ABI version, major << 16 | minor. Bindings refuse a library with another major.
#[no_mangle]
pub extern "C" fn csdf_abi_version() -> u32 {
    CSDF_ABI_MAJOR << 16 | CSDF_ABI_MINOR
}

/// 1 when this library can train models and fit codes (it was built with libtorch), 0
/// when it only synthesizes, renders, meshes and measures: training and fitting calls then
/// return `CSDF_STATUS_UNSUPPORTED`, and a CUDA device is refused the same way.
#[no_mangle]
pub extern "C" fn csdf_has_training() -> i32 {
    crate::device::has_training() as i32
}

/// Seed of item `index` of a run seeded `seed` (SplitMix64 mixing, the library's own
/// streams): for tools that split a run into independent items (one simulated field of
/// view per cluster task) so that item k does not depend on how many others there are.
/// Since ABI 0.6.
#[no_mangle]
pub extern "C" fn csdf_stream_seed(seed: u64, index: u64) -> u64 {
    crate::seed::stream_seed(seed, index as usize)
}

/// ABI major version of this header (the `.so` SONAME is libcellsdf.so.<major>).
pub const CSDF_ABI_MAJOR: u32 = 0;
/// ABI minor version of this header.
pub const CSDF_ABI_MINOR: u32 = 11;

/// Copies the message of the last failed call on this thread into `buf` (NUL-terminated,
/// truncated to `len` bytes) and returns the message's full length in bytes without the
/// NUL, so that a caller can size a buffer: call with NULL/0 first. Returns 0 when no call
/// failed yet.
#[no_mangle]
pub unsafe extern "C" fn csdf_last_error_message(buf: *mut c_char, len: usize) -> usize {
    LAST_ERROR.with(|e| {
        let msg = e.borrow();
        if !buf.is_null() && len > 0 {
            let n = msg.len().min(len - 1);
            std::ptr::copy_nonoverlapping(msg.as_ptr() as *const c_char, buf, n);
            *buf.add(n) = 0;
        }
        msg.len()
    })
}

/// Describes a status code (static string, never freed).
#[no_mangle]
pub extern "C" fn csdf_status_name(status: csdf_status) -> *const c_char {
    let s: &'static str = match status {
        CSDF_STATUS_OK => "ok\0",
        CSDF_STATUS_INVALID_ARGUMENT => "invalid argument\0",
        CSDF_STATUS_IO => "i/o error\0",
        CSDF_STATUS_FORMAT => "bad file format\0",
        CSDF_STATUS_CANCELLED => "cancelled\0",
        CSDF_STATUS_TORCH => "torch error\0",
        CSDF_STATUS_PANIC => "internal error\0",
        CSDF_STATUS_OUT_OF_MEMORY => "out of memory\0",
        CSDF_STATUS_UNSUPPORTED => "not supported by this build\0",
        _ => "unknown status\0",
    };
    s.as_ptr() as *const c_char
}

/// For the C tests only: panics inside a guarded call, to show that a panic becomes
/// `CSDF_STATUS_PANIC`. Always returns that status.
#[no_mangle]
pub extern "C" fn csdf_test_panic() -> csdf_status {
    guard(|| panic!("csdf_test_panic was called"))
}
