"""ctypes declarations of libcellsdf's C API (include/cellsdf.h) and the library loader.

The library is found, in order, at $CELLSDF_LIBRARY, in the cellsdf-train package (the
build with libtorch: training and code fitting; `pip install cellsdf[train]`), beside this
package (the wheel's build without libtorch: synthesis, rendering, meshing, measuring), or
in the repository's target/release. libtorch is found through the library's rpath
($ORIGIN/../torch/lib, the torch wheel)."""
import ctypes
import importlib.util
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_float, c_int32,
                    c_size_t, c_uint8, c_uint32, c_uint64, c_void_p, c_int64)
from pathlib import Path

ABI_MAJOR = 0

STATUS_OK, STATUS_INVALID_ARGUMENT, STATUS_IO, STATUS_FORMAT = 0, 1, 2, 3
STATUS_CANCELLED, STATUS_TORCH, STATUS_PANIC, STATUS_OUT_OF_MEMORY = 4, 5, 6, 7
STATUS_UNSUPPORTED = 8
DEVICE_AUTO, DEVICE_CPU, DEVICE_CUDA = 0, 1, 2
EVAL_DENSE, EVAL_ADAPTIVE = 0, 1
GRID_MASK, GRID_SDF = 0, 1
MESH_FORMATS = {"ply": 0, "ply-ascii": 1, "obj": 2, "stl": 3}
DTYPES = {0: "uint8", 1: "uint16", 2: "uint32", 3: "float32", 4: "int8", 5: "int16",
          6: "int32", 7: "float64"}

PROGRESS_FN = CFUNCTYPE(c_int32, c_void_p, c_float, c_char_p)


class ModelInfo(Structure):
    _fields_ = [("code_size", c_size_t), ("sequences", c_size_t), ("parameters", c_size_t),
                ("layers", c_size_t), ("width", c_size_t), ("activation", c_int32),
                ("omega", c_double), ("code_mean", c_double), ("code_sd", c_double),
                ("learned_rotation", c_int32)]


class SequenceInfo(Structure):
    _fields_ = [("centre_um", c_double * 3), ("scale_um", c_double), ("voxel_um", c_double * 3),
                ("frame_interval_s", c_double), ("frames", c_size_t)]


class GridView(Structure):
    _fields_ = [("data", POINTER(c_float)), ("frames", c_size_t), ("nz", c_size_t),
                ("ny", c_size_t), ("nx", c_size_t), ("voxel_um", c_double * 3)]


class MeshView(Structure):
    _fields_ = [("vertices", POINTER(c_float)), ("normals", POINTER(c_float)),
                ("n_vertices", c_size_t), ("faces", POINTER(c_uint32)), ("n_faces", c_size_t)]


class Descriptors(Structure):
    _fields_ = [("volume_um3", c_double), ("voxel_volume_um3", c_double),
                ("surface_um2", c_double), ("sphericity", c_double),
                ("inverse_sphericity", c_double), ("components", c_size_t),
                ("euler", c_int64), ("genus", c_int64), ("extent_um", c_double * 3),
                ("centroid_um", c_double * 3)]


class StackView(Structure):
    _fields_ = [("dtype", c_int32), ("data", c_void_p), ("frames", c_size_t), ("nz", c_size_t),
                ("ny", c_size_t), ("nx", c_size_t), ("voxel_um", c_double * 3),
                ("frame_interval_s", c_double)]


class PrepareOptions(Structure):
    _fields_ = [("grid", c_size_t), ("samples_per_frame", c_size_t), ("near_fraction", c_double),
                ("voxel_um", c_double * 3), ("follow_divisions", c_int32),
                ("min_length", c_size_t), ("keep_border", c_int32), ("seed", c_uint64),
                ("axes", c_char_p), ("band", c_double), ("near_surface_only", c_int32),
                ("scale", c_char_p), ("align", c_char_p), ("centre", c_char_p),
                ("clamp", c_double), ("margin", c_double)]


class TrainOptions(Structure):
    _fields_ = [("epochs", c_size_t), ("lr_net", c_double), ("lr_codes", c_double),
                ("halve_every", c_size_t), ("sigma", c_double), ("arch", c_char_p),
                ("activation", c_int32), ("device", c_int32), ("threads", c_size_t),
                ("seed", c_uint64), ("checkpoint_every", c_size_t), ("code_reg", c_double),
                ("points_per_frame", c_size_t), ("frames_per_batch", c_size_t),
                ("coordinate_init", c_int32)]


class SynthOptions(Structure):
    _fields_ = [("kind", c_int32), ("code_method", c_int32), ("code_param", c_double),
                ("count", c_size_t), ("seed", c_uint64), ("sequence", c_size_t),
                ("from_", c_size_t), ("to", c_size_t), ("steps", c_size_t),
                ("frames", c_size_t), ("size_xyz", c_size_t * 3), ("voxel_um", c_double * 3),
                ("dense", c_int32), ("write_sdf", c_int32), ("overwrite", c_int32),
                ("model_label", c_char_p), ("first", c_size_t), ("format", c_int32),
                ("zarr_chunk_zyx", c_size_t * 3), ("tubes", c_int32), ("sizes", c_int32)]


class SimulateOptions(Structure):
    _fields_ = [("cells", c_size_t), ("frames", c_size_t), ("size_xyz", c_size_t * 3),
                ("voxel_um", c_double * 3), ("interval_s", c_double), ("microscope", c_int32),
                ("na", c_double), ("wavelength_nm", c_double), ("refractive_index", c_double),
                ("snr", c_double), ("contrast", c_double), ("bleach_per_frame", c_double),
                ("drift_um", c_double), ("code_method", c_int32), ("code_param", c_double),
                ("seed", c_uint64), ("overwrite", c_int32), ("rim_um", c_double),
                ("rim_gain", c_double), ("projection", c_int32), ("format", c_int32),
                ("zarr_chunk_zyx", c_size_t * 3), ("contrast_ratio", c_double)]


class TableView(Structure):
    _fields_ = [("rows", c_size_t), ("columns", c_size_t), ("values", POINTER(c_double))]


RENDER_SYNTHESIZE, RENDER_RECONSTRUCT, RENDER_INTERPOLATE = 0, 1, 2

H = c_void_p  # every handle is opaque
PP = POINTER(c_void_p)
S = c_int32  # csdf_status
F32P, F64P, U8P, SZP = POINTER(c_float), POINTER(c_double), POINTER(c_uint8), POINTER(c_size_t)

SIGNATURES = {
    "csdf_version": (c_char_p, []),
    "csdf_abi_version": (c_uint32, []),
    "csdf_has_training": (c_int32, []),
    "csdf_stream_seed": (c_uint64, [c_uint64, c_uint64]),
    "csdf_last_error_message": (c_size_t, [c_char_p, c_size_t]),
    "csdf_status_name": (c_char_p, [S]),
    "csdf_test_panic": (S, []),
    "csdf_model_load": (S, [c_char_p, c_int32, PP]),
    "csdf_model_free": (None, [H]),
    "csdf_model_import_reference": (S, [c_char_p, c_int32, c_double, c_char_p, c_int32]),
    "csdf_model_info_get": (S, [H, POINTER(ModelInfo)]),
    "csdf_model_sequence_info": (S, [H, c_size_t, POINTER(SequenceInfo)]),
    "csdf_model_get_code": (S, [H, c_size_t, F32P, c_size_t]),
    "csdf_model_set_code": (S, [H, c_size_t, F32P, c_size_t]),
    "csdf_codes_sample": (S, [H, c_size_t, c_double, c_int32, c_uint64, F32P, c_size_t, F64P]),
    "csdf_codes_interpolate": (S, [H, c_size_t, c_size_t, c_size_t, F32P, c_size_t]),
    "csdf_fit_code": (S, [H, c_char_p, F64P, c_size_t, PROGRESS_FN, c_void_p, F32P, c_size_t]),
    "csdf_prepare_options_default": (PrepareOptions, []),
    "csdf_dataset_prepare": (S, [POINTER(c_char_p), c_size_t, c_char_p, POINTER(PrepareOptions),
                                 PROGRESS_FN, c_void_p, PP]),
    "csdf_dataset_open": (S, [c_char_p, PP]),
    "csdf_dataset_size": (S, [H, SZP, SZP]),
    "csdf_dataset_free": (None, [H]),
    "csdf_train_options_default": (TrainOptions, []),
    "csdf_train": (S, [H, POINTER(TrainOptions), c_char_p, PROGRESS_FN, c_void_p, PP]),
    "csdf_infer": (S, [H, F32P, c_size_t, F64P, c_size_t, SZP, F64P, c_double, c_int32,
                       PROGRESS_FN, c_void_p, PP]),
    "csdf_grid_view_get": (S, [H, POINTER(GridView)]),
    "csdf_grid_mask": (S, [H, U8P, c_size_t]),
    "csdf_grid_write_tiff": (S, [H, c_char_p, c_int32, c_double, c_int32]),
    "csdf_grid_free": (None, [H]),
    "csdf_mesh_from_grid": (S, [H, c_size_t, c_float, PP]),
    "csdf_mesh_from_sdf": (S, [F32P, c_size_t, c_size_t, c_size_t, F64P, c_float, PP]),
    "csdf_mesh_from_mask": (S, [U8P, c_size_t, c_size_t, c_size_t, F64P, PP]),
    "csdf_mesh_view_get": (S, [H, POINTER(MeshView)]),
    "csdf_mesh_write": (S, [H, c_char_p, c_int32, c_int32]),
    "csdf_mesh_free": (None, [H]),
    "csdf_describe_mask": (S, [U8P, c_size_t, c_size_t, c_size_t, F64P, POINTER(Descriptors)]),
    "csdf_describe_mesh": (S, [H, POINTER(Descriptors)]),
    "csdf_jaccard": (S, [U8P, U8P, c_size_t, F64P, F64P]),
    "csdf_ks_2samp": (S, [F64P, c_size_t, F64P, c_size_t, F64P, F64P, POINTER(c_int32)]),
    "csdf_stack_read": (S, [c_char_p, PP]),
    "csdf_stack_read_axes": (S, [c_char_p, c_char_p, PP]),
    "csdf_stack_view_get": (S, [H, POINTER(StackView)]),
    "csdf_stack_free": (None, [H]),
    "csdf_stack_write": (S, [c_char_p, c_int32, c_void_p, c_size_t, c_size_t, c_size_t,
                             c_size_t, F64P, c_double, c_int32]),
    "csdf_model_resolve": (S, [c_char_p, c_char_p, c_char_p, c_size_t, SZP]),
    "csdf_synth_options_default": (SynthOptions, []),
    "csdf_model_render_defaults": (S, [H, c_size_t, F64P, F64P, F64P]),
    "csdf_model_synthesize": (S, [H, POINTER(SynthOptions), c_char_p, PROGRESS_FN, c_void_p]),
    "csdf_labels_describe": (S, [c_void_p, c_int32, c_size_t, c_size_t, c_size_t, c_size_t, F64P,
                                 c_double, c_char_p, PROGRESS_FN, c_void_p, PP]),
    "csdf_table_view_get": (S, [H, POINTER(TableView)]),
    "csdf_table_column_name": (c_char_p, [c_size_t]),
    "csdf_table_write_csv": (S, [H, c_char_p, c_int32]),
    "csdf_table_free": (None, [H]),
    "csdf_mesh_read": (S, [c_char_p, PP]),
    "csdf_synth_file_name": (S, [POINTER(SynthOptions), c_size_t, c_char_p, c_size_t, SZP]),
    "csdf_simulate_options_default": (SimulateOptions, []),
    "csdf_simulate": (S, [H, POINTER(SimulateOptions), c_char_p, PROGRESS_FN, c_void_p]),
    "csdf_simulate_phantoms": (S, [c_char_p, POINTER(SimulateOptions), c_char_p, PROGRESS_FN,
                                   c_void_p]),
    "csdf_calibrate": (S, [c_char_p, c_char_p, F64P, c_double, c_char_p, c_int32, PROGRESS_FN,
                           c_void_p]),
    "csdf_simulate_like": (S, [H, c_char_p, c_uint64, c_char_p, c_int32, PROGRESS_FN, c_void_p]),
    "csdf_labels_mesh": (S, [c_void_p, c_int32, c_size_t, c_size_t, c_size_t, c_size_t, F64P,
                             c_char_p, c_int32, c_char_p, c_int32, PROGRESS_FN, c_void_p, SZP]),
}


def _candidates():
    env = os.environ.get("CELLSDF_LIBRARY")
    if env:
        yield Path(env)
    here = Path(__file__).resolve().parent
    if importlib.util.find_spec("cellsdf_train") is not None:
        from cellsdf_train import LIBRARY

        yield LIBRARY
    yield here / "libcellsdf.so"
    yield here.parents[2] / "target" / "release" / "libcellsdf.so"


def load():
    tried = []
    for p in _candidates():
        tried.append(str(p))
        if p.exists():
            lib = ctypes.CDLL(str(p))
            break
    else:
        raise OSError("libcellsdf.so not found (tried " + ", ".join(tried)
                      + "); build it with `cargo build --release` or set CELLSDF_LIBRARY")
    for name, (res, args) in SIGNATURES.items():
        f = getattr(lib, name)
        f.restype = res
        f.argtypes = args
    major = lib.csdf_abi_version() >> 16
    if major != ABI_MAJOR:
        raise OSError(f"{p}: ABI major {major}, this binding needs {ABI_MAJOR}")
    return lib


LIB = load()
