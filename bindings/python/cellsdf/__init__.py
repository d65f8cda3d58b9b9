"""cellsdf: Python binding over libcellsdf (ctypes). Arrays are numpy, (t, z, y, x) in C
order; voxel sizes (x, y, z) in micrometres. Also the converter of reference-implementation
checkpoints (`python -m cellsdf.convert_reference`, needs torch and scipy). The binding
loads libcellsdf on first use of one of its names."""

__all__ = ["Cancelled", "CellSdfError", "Grid", "Mesh", "Model", "Table", "Unsupported",
           "calibrate", "describe_labels", "describe_mask", "has_training", "jaccard", "ks_2samp", "mesh_labels",
           "read_stack", "resolve_model", "simulate_phantoms", "stream_seed", "version",
           "write_stack"]


def __getattr__(name):
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'cellsdf' has no attribute {name!r}")
