//! What libtorch this build runs on: version, threads, CUDA.

use serde::Serialize;

/// Facts about the linked libtorch, for `cellsdf info` and bug reports.
#[derive(Debug, Clone, Serialize)]
pub struct TorchInfo {
    /// Directory libtorch was linked from at build time (the rpath).
    pub libtorch_lib: String,
    /// Intra-op CPU threads libtorch uses.
    pub threads: i32,
    pub cuda_available: bool,
    pub cuda_devices: i64,
    pub cudnn_available: bool,
}

/// Queries libtorch. Cheap; safe to call from any thread.
pub fn torch_info() -> TorchInfo {
    TorchInfo {
        libtorch_lib: env!("CELLSDF_LIBTORCH_LIB").to_string(),
        threads: tch::get_num_threads(),
        cuda_available: tch::Cuda::is_available(),
        cuda_devices: tch::Cuda::device_count(),
        cudnn_available: tch::Cuda::cudnn_is_available(),
    }
}
