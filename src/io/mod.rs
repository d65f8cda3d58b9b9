//! Image I/O: ImageJ hyperstack TIFFs that Fiji, napari (tifffile) and cellsdf agree on.
//!
//! Arrays are (t, z, y, x) in memory, C order. Calibration travels with the data: x/y pixel
//! size in the TIFF resolution tags, z spacing, unit (micron) and frame interval in the ImageJ
//! description. Outputs are written to a temporary file and renamed, so a failed or cancelled
//! write never leaves a half-written file.

mod atomic;
mod axes;
mod imagej;
mod inputs;
mod lock;
mod npy;
mod ome_zarr;
mod output_dir;
mod stack;
mod tiff_read;
mod tiff_write;

pub(crate) use atomic::write_bytes_atomic;
pub use atomic::{sync_dir, write_atomic};
pub use axes::{Axes, PlaneLayout};
pub use inputs::{expand_inputs, is_mesh, is_tiff, tiff_files_in};
pub use lock::{FolderLock, LOCK_NAME};
pub use npy::{NpyArray, NpyWriter};
pub use ome_zarr::{is_cellsdf_store, OmeZarrLayout, OmeZarrWriter, StoreSpec, ZarrElement};
pub use output_dir::{claim_file, refuse_inputs_as_output, OutputDir, INDEX_NAME};
pub use stack::{AnyStack, Hyperstack, Sample, SampleKind};
pub use tiff_read::{
    available_memory, read_hyperstack, read_hyperstack_bytes, read_hyperstack_with,
    read_hyperstack_with_limits, read_labels, read_labels_with, read_labels_with_limits,
    ReadLimits, ReadOptions,
};
pub use tiff_write::write_hyperstack;
