"""Pythonic layer over libcellsdf: numpy arrays in and out, exceptions with the library's
message, progress callbacks that can cancel, handles freed by close() / `with` / the
garbage collector.

Arrays are (t, z, y, x) or (z, y, x) in C order; voxel sizes are (x, y, z) micrometres.
Arrays returned by this module are copies owned by numpy unless a name says "view"."""
import ctypes
import json
import weakref
from pathlib import Path
from ctypes import byref, c_char_p, c_double, c_float, c_int32, c_size_t, c_uint8, c_void_p

import numpy as np

from . import _lib
from ._lib import LIB


class CellSdfError(RuntimeError):
    """A failed libcellsdf call; `status` is one of the _lib.STATUS_* codes."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Cancelled(CellSdfError):
    """The progress callback cancelled the call; nothing was half-written."""


class Unsupported(CellSdfError):
    """This libcellsdf lacks the operation: training, code fitting and CUDA need a library
    built with libtorch (see `has_training()`)."""


def _check(status):
    if status == _lib.STATUS_OK:
        return
    n = LIB.csdf_last_error_message(None, 0)
    buf = ctypes.create_string_buffer(n + 1)
    LIB.csdf_last_error_message(buf, n + 1)
    msg = buf.value.decode("utf-8", "replace")
    cls = {_lib.STATUS_CANCELLED: Cancelled, _lib.STATUS_UNSUPPORTED: Unsupported}.get(
        status, CellSdfError)
    raise cls(status, f"{LIB.csdf_status_name(status).decode()}: {msg}")


def version():
    return LIB.csdf_version().decode()


def has_training():
    """True when the loaded libcellsdf can train and fit codes (built with libtorch); a
    library without it synthesizes, renders, meshes and measures, and raises `Unsupported`
    from training and fitting."""
    return bool(LIB.csdf_has_training())


def stream_seed(seed, index):
    """Seed of item `index` of a run seeded `seed` (the library's own streams): item k of a
    run split over a cluster does not depend on how many items there are."""
    return int(LIB.csdf_stream_seed(int(seed), int(index)))


MICROSCOPES = {"widefield": 0, "confocal": 1}
FORMATS = {"tiff": 0, "ome-zarr": 1}


def simulate_options(cells=3, frames=20, size_xyz=(128, 128, 48), voxel_um=(0.2, 0.2, 0.4),
                     interval_s=None, microscope="widefield", na=1.2, wavelength_nm=520.0,
                     refractive_index=1.33, snr=10.0, contrast=3.0, bleach=0.01, drift_um=0.05,
                     rim_um=0.4, rim_gain=0.0, projection=False, seed=0, overwrite=False,
                     format="tiff", zarr_chunk=None, contrast_ratio=None):
    """The C options of a simulation (`csdf_simulate_options`) from keywords, the CLI's
    defaults; sizes (x, y, z) in voxels, voxel size and rim in um, interval in s (None: the
    cells' source's), wavelength in nm; `contrast_ratio` (the CTC's CR of the first frame)
    replaces `contrast` when given."""
    if microscope not in MICROSCOPES:
        raise ValueError(f"microscope must be one of {sorted(MICROSCOPES)}, got {microscope!r}")
    if format not in FORMATS:
        raise ValueError(f"format must be one of {sorted(FORMATS)}, got {format!r}")
    o = LIB.csdf_simulate_options_default()
    o.cells, o.frames, o.seed = cells, frames, seed
    o.size_xyz = (c_size_t * 3)(*[int(v) for v in size_xyz])
    v = [float(voxel_um)] * 3 if np.ndim(voxel_um) == 0 else [float(x) for x in voxel_um]
    o.voxel_um = (c_double * 3)(*v)
    o.interval_s = -1.0 if interval_s is None else float(interval_s)
    o.microscope = MICROSCOPES[microscope]
    o.na, o.wavelength_nm, o.refractive_index = na, wavelength_nm, refractive_index
    o.snr, o.contrast, o.bleach_per_frame, o.drift_um = snr, contrast, bleach, drift_um
    o.rim_um, o.rim_gain, o.projection = rim_um, rim_gain, int(bool(projection))
    o.format = FORMATS[format]
    if zarr_chunk is not None:
        o.zarr_chunk_zyx = (c_size_t * 3)(*[int(v) for v in zarr_chunk])
    o.overwrite = int(bool(overwrite))
    o.contrast_ratio = 0.0 if contrast_ratio is None else float(contrast_ratio)
    return o


def simulate_phantoms(phantoms_dir, dataset_dir, progress=None, **options):
    """A benchmark dataset as `Model.simulate` writes it, with the cells from the calibrated
    label sequences in `phantoms_dir` (one cell per .tif, e.g. `cellsdf phantom` output)
    instead of a model (`cellsdf simulate --phantoms`); returns the manifest (dict)."""
    o = simulate_options(**options)
    cb = _progress(progress)
    _check(LIB.csdf_simulate_phantoms(str(phantoms_dir).encode(), byref(o),
                                      str(dataset_dir).encode(), cb, None))
    return json.loads((Path(dataset_dir) / "manifest.json").read_text())


def calibrate(raw, labels, out, voxel_um=None, interval_s=None, overwrite=False, progress=None):
    """The acquisition profile of the raw image `raw` with its `labels` (hyperstack TIFFs of
    one shape, or CTC-style folders of one TIFF per frame), written as JSON to `out` byte
    for byte as `cellsdf calibrate` writes it (csdf_calibrate); returns it as a dict.
    `voxel_um` (x, y, z) or one value in um and `interval_s` override the files'
    calibration."""
    v = None
    if voxel_um is not None:
        v = [float(voxel_um)] * 3 if np.ndim(voxel_um) == 0 else [float(x) for x in voxel_um]
        v = (c_double * 3)(*v)
    cb = _progress(progress)
    _check(LIB.csdf_calibrate(str(raw).encode(), str(labels).encode(), v,
                              -1.0 if interval_s is None else float(interval_s),
                              str(out).encode(), int(bool(overwrite)), cb, None))
    return json.loads(Path(out).read_text())


def _progress(callback):
    """ctypes callback for `callback(fraction, stage) -> bool` (False cancels). Keep the
    returned object referenced while the call runs."""
    if callback is None:
        return _lib.PROGRESS_FN()

    def trampoline(_user, fraction, stage):
        try:
            return 0 if callback(float(fraction), stage.decode()) is not False else 1
        except Exception:  # an exception in the callback cancels the call
            return 1

    return _lib.PROGRESS_FN(trampoline)


def _f64(values, n=None):
    a = np.ascontiguousarray(values, dtype=np.float64)
    if n is not None and a.size != n:
        raise ValueError(f"expected {n} values, got {a.size}")
    return a, a.ctypes.data_as(_lib.F64P)


class _Handle:
    _free = None

    def __init__(self, ptr):
        self._ptr = ptr
        self._finalizer = weakref.finalize(self, type(self)._free, ptr)

    @property
    def ptr(self):
        if not self._finalizer.alive:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._ptr

    def close(self):
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Model(_Handle):
    """A trained model. Inference from several threads on one model is allowed."""

    _free = LIB.csdf_model_free

    def __init__(self, ptr):
        super().__init__(ptr)
        self.info = _lib.ModelInfo()
        _check(LIB.csdf_model_info_get(ptr, byref(self.info)))

    @classmethod
    def load(cls, path, device="auto"):
        """A model file, or a bundled default by class name (`dividing`, `filopodial`)."""
        dev = {"auto": _lib.DEVICE_AUTO, "cpu": _lib.DEVICE_CPU, "cuda": _lib.DEVICE_CUDA}[device]
        path = resolve_model(path)
        out = c_void_p()
        _check(LIB.csdf_model_load(str(path).encode(), dev, byref(out)))
        return cls(out.value)

    @classmethod
    def train(cls, inputs, dataset_dir, checkpoint, arch="small", epochs=100, lr_net=1e-3,
              seed=0, grid=64, samples_per_frame=16384, voxel_um=None, axes=None,
              device="auto", progress=None, **options):
        """Prepares label images (hyperstack paths, folders or CTC folders) into
        `dataset_dir` and trains a model saved to `checkpoint`. `axes` as in `read_stack`.

        Further keyword options are the fields of `csdf_prepare_options` and
        `csdf_train_options` (include/cellsdf.h) by name, e.g. `band=0.05,
        near_surface_only=1, align="first", centre="frame", points_per_frame=1024,
        frames_per_batch=32, coordinate_init=2`; text fields take str, the library checks
        every value. `seed` seeds the training (the sampling keeps the library's seed 0)."""
        cb = _progress(progress)
        po = LIB.csdf_prepare_options_default()
        to = LIB.csdf_train_options_default()
        keep = []  # encoded strings referenced by the structs until the calls return

        def put(struct, name, value):
            if isinstance(value, Path):
                value = str(value)
            if isinstance(value, str):
                value = value.encode()
                keep.append(value)
            elif isinstance(value, bool):
                value = int(value)
            setattr(struct, name, value)

        po.grid, po.samples_per_frame = grid, samples_per_frame
        if axes is not None:
            put(po, "axes", str(axes))
        if voxel_um is not None:
            po.voxel_um = (c_double * 3)(*voxel_um)
        put(to, "arch", arch)
        to.epochs, to.lr_net, to.seed = epochs, lr_net, seed
        to.device = {"auto": 0, "cpu": 1, "cuda": 2}[device]
        prepare_fields = {f for f, _ in _lib.PrepareOptions._fields_}
        train_fields = {f for f, _ in _lib.TrainOptions._fields_}
        for name, value in options.items():
            if name in prepare_fields:
                put(po, name, value)
            elif name in train_fields:
                put(to, name, value)
            else:
                raise TypeError(f"train() got an unknown option {name!r}")
        paths = (c_char_p * len(inputs))(*[str(p).encode() for p in inputs])
        ds = c_void_p()
        _check(LIB.csdf_dataset_prepare(paths, len(inputs), str(dataset_dir).encode(), byref(po),
                                        cb, None, byref(ds)))
        try:
            out = c_void_p()
            _check(LIB.csdf_train(ds, byref(to), str(checkpoint).encode(), cb, None, byref(out)))
            return cls(out.value)
        finally:
            LIB.csdf_dataset_free(ds)

    @property
    def code_size(self):
        return self.info.code_size

    @property
    def sequences(self):
        return self.info.sequences

    def sequence_info(self, i):
        """Training sequence i: centre_um, scale_um, voxel_um (x, y, z), frame_interval_s
        (None when unknown) and frames."""
        si = _lib.SequenceInfo()
        _check(LIB.csdf_model_sequence_info(self.ptr, i, byref(si)))
        return {"centre_um": tuple(si.centre_um), "scale_um": si.scale_um,
                "voxel_um": tuple(si.voxel_um),
                "frame_interval_s": None if np.isnan(si.frame_interval_s) else si.frame_interval_s,
                "frames": si.frames}

    def learned_code(self, i):
        c = np.empty(self.code_size, np.float32)
        _check(LIB.csdf_model_get_code(self.ptr, i, c.ctypes.data_as(_lib.F32P), c.size))
        return c

    #: Ways to draw new codes (`csdf_codes_sample`'s methods).
    CODE_METHODS = {"normal": 0, "around-learned": 1, "fitted": 2, "neighbours": 3}

    def sample_codes(self, count, method="neighbours", param=None, seed=0):
        """`count` new codes drawn by `method` (see CODE_METHODS and the C API's
        csdf_codes_sample; `param` None: the method's default). Returns (codes
        (count, code_size) float32, scales (count,) micrometres per model unit)."""
        if method not in self.CODE_METHODS:
            raise ValueError(f"method must be one of {sorted(self.CODE_METHODS)}, got {method!r}")
        c = np.empty((count, self.code_size), np.float32)
        scales = np.empty(count, np.float64)
        _check(LIB.csdf_codes_sample(self.ptr, count, -1.0 if param is None else float(param),
                                     self.CODE_METHODS[method], seed,
                                     c.ctypes.data_as(_lib.F32P), c.size,
                                     scales.ctypes.data_as(_lib.F64P)))
        return c, scales

    def render_defaults(self, frames):
        """(model times of `frames` frames, mean scale in um per model unit, frame interval
        in s or None): what `infer` needs to render as the CLI does."""
        t = np.empty(frames, np.float64)
        scale, interval = c_double(), c_double()
        _check(LIB.csdf_model_render_defaults(self.ptr, frames, t.ctypes.data_as(_lib.F64P),
                                              byref(scale), byref(interval)))
        return t, scale.value, None if np.isnan(interval.value) else interval.value

    #: What `synthesize` renders (CSDF_RENDER_*).
    RENDER_KINDS = {"synthesize": 0, "reconstruct": 1, "interpolate": 2}
    #: How new cells get their size (CSDF_SIZES_*).
    SIZES = {"training": 0, "decoded": 1}

    def synthesize(self, out_dir, kind="synthesize", count=1, frames=30, codes="neighbours",
                   param=None, seed=0, sequence=0, from_=0, to=1, steps=5, size_xyz=None,
                   voxel_um=None, dense=False, sdf=False, overwrite=False, model_label="",
                   first=0, format="tiff", zarr_chunk=None, tubes=True, sizes="training",
                   progress=None):
        """Renders into `out_dir` exactly as `cellsdf synth` / `reconstruct` / `interpolate`
        do (mask hyperstacks or OME-Zarr stores, optional SDFs, manifest.json) and returns
        the manifest (dict). `size_xyz` voxels and `voxel_um` (x, y, z) um default to the
        CLI's (None). `first`: number of the first new sequence (part of a series, as
        `synth --first`); `format`: "tiff" or "ome-zarr"; `zarr_chunk`: OME-Zarr chunk
        (z, y, x) voxels (None: 64^3); `tubes`: draw the model's filopodia as tubes when it
        carries a tube model (False: the network's shape, `synth --no-tubes`); `sizes`:
        "training" (mean volumes drawn from the training cells') or "decoded" (the size the
        code decodes to), as `synth --sizes`."""
        if sizes not in self.SIZES:
            raise ValueError(f"sizes must be one of {sorted(self.SIZES)}, got {sizes!r}")
        if format not in FORMATS:
            raise ValueError(f"format must be one of {sorted(FORMATS)}, got {format!r}")
        if kind not in self.RENDER_KINDS:
            raise ValueError(f"kind must be one of {sorted(self.RENDER_KINDS)}, got {kind!r}")
        if codes not in self.CODE_METHODS:
            raise ValueError(f"codes must be one of {sorted(self.CODE_METHODS)}, got {codes!r}")
        o = LIB.csdf_synth_options_default()
        o.kind, o.code_method = self.RENDER_KINDS[kind], self.CODE_METHODS[codes]
        o.code_param = -1.0 if param is None else float(param)
        o.count, o.seed, o.frames = count, seed, frames
        o.sequence, o.from_, o.to, o.steps = sequence, from_, to, steps
        if size_xyz is not None:
            o.size_xyz = (c_size_t * 3)(*[int(v) for v in size_xyz])
        if voxel_um is not None:
            v = [float(voxel_um)] * 3 if np.ndim(voxel_um) == 0 else [float(x) for x in voxel_um]
            o.voxel_um = (c_double * 3)(*v)
        o.dense, o.write_sdf, o.overwrite = int(bool(dense)), int(bool(sdf)), int(bool(overwrite))
        o.first, o.format, o.tubes = int(first), FORMATS[format], int(bool(tubes))
        o.sizes = self.SIZES[sizes]
        if zarr_chunk is not None:
            o.zarr_chunk_zyx = (c_size_t * 3)(*[int(v) for v in zarr_chunk])
        label = str(model_label).encode()
        o.model_label = label
        cb = _progress(progress)
        _check(LIB.csdf_model_synthesize(self.ptr, byref(o), str(out_dir).encode(), cb, None))
        return json.loads((Path(out_dir) / "manifest.json").read_text())

    def simulate(self, dataset_dir, codes="neighbours", param=None, progress=None, **options):
        """A benchmark dataset of this model's new cells in `dataset_dir`, exactly as `cellsdf
        simulate` writes it (Cell Tracking Challenge layout, or with `format` "ome-zarr"
        01.ome.zarr and 01_man_track.txt; manifest.json, preview.png; with `projection`
        also the z projections under projection/); returns the manifest (dict). `options`
        as `simulate_options` (sizes (x, y, z) in voxels, voxel size and rim in um, interval
        in s (None: the model's), wavelength in nm)."""
        if codes not in self.CODE_METHODS:
            raise ValueError(f"codes must be one of {sorted(self.CODE_METHODS)}, got {codes!r}")
        o = simulate_options(**options)
        o.code_method = self.CODE_METHODS[codes]
        o.code_param = -1.0 if param is None else float(param)
        cb = _progress(progress)
        _check(LIB.csdf_simulate(self.ptr, byref(o), str(dataset_dir).encode(), cb, None))
        return json.loads((Path(dataset_dir) / "manifest.json").read_text())

    def simulate_like(self, profile, dataset_dir, seed=0, overwrite=False, progress=None):
        """A benchmark dataset of this model's new cells like the acquisition of `profile`
        (a file `calibrate` wrote, or a bundled profile's name, e.g. "cells3d-nuclei"), as
        `cellsdf simulate --profile PROFILE --seed SEED` writes it; returns the manifest."""
        cb = _progress(progress)
        _check(LIB.csdf_simulate_like(self.ptr, str(profile).encode(), int(seed),
                                      str(dataset_dir).encode(), int(bool(overwrite)), cb, None))
        return json.loads((Path(dataset_dir) / "manifest.json").read_text())

    def interpolate(self, i, j, steps):
        c = np.empty((steps, self.code_size), np.float32)
        _check(LIB.csdf_codes_interpolate(self.ptr, i, j, steps, c.ctypes.data_as(_lib.F32P), c.size))
        return c

    def infer(self, code, times, size_xyz, voxel_um=None, adaptive=True, scale_um=0.0,
              progress=None):
        """SDF grid of `code` at model times in [-1, 1] on `size_xyz` voxels of `voxel_um`
        (x, y, z) um (None: the cell fills the grid)."""
        code = np.ascontiguousarray(code, np.float32)
        t, tp = _f64(times)
        size = (c_size_t * 3)(*[int(s) for s in size_xyz])
        vp = None
        if voxel_um is not None:
            v, vp = _f64(voxel_um if np.ndim(voxel_um) else [voxel_um] * 3, 3)
        cb = _progress(progress)
        out = c_void_p()
        _check(LIB.csdf_infer(self.ptr, code.ctypes.data_as(_lib.F32P), code.size, tp, t.size,
                              size, vp, scale_um,
                              _lib.EVAL_ADAPTIVE if adaptive else _lib.EVAL_DENSE, cb, None,
                              byref(out)))
        return Grid(out.value)


class Grid(_Handle):
    """An SDF sequence in um (negative inside), shape (t, z, y, x)."""

    _free = LIB.csdf_grid_free

    def __init__(self, ptr):
        super().__init__(ptr)
        self._view = _lib.GridView()
        _check(LIB.csdf_grid_view_get(ptr, byref(self._view)))

    @property
    def shape(self):
        v = self._view
        return (v.frames, v.nz, v.ny, v.nx)

    @property
    def voxel_um(self):
        return tuple(self._view.voxel_um)

    def sdf_view(self):
        """The grid's own memory as a read-only array; valid while the grid is open."""
        n = int(np.prod(self.shape))
        self.ptr  # raises when closed
        a = np.ctypeslib.as_array(self._view.data, shape=(n,)).reshape(self.shape)
        a.flags.writeable = False
        return a

    def sdf(self):
        return self.sdf_view().copy()

    def masks(self):
        """The library's masks (1 inside, sdf <= 0), uint8 (t, z, y, x)."""
        m = np.empty(self.shape, np.uint8)
        _check(LIB.csdf_grid_mask(self.ptr, m.ctypes.data_as(_lib.U8P), m.size))
        return m

    def mesh(self, frame, level=0.0):
        out = c_void_p()
        _check(LIB.csdf_mesh_from_grid(self.ptr, frame, level, byref(out)))
        return Mesh(out.value)


def _rows3(ptr, rows, dtype):
    """A (rows, 3) copy of the C array at `ptr` (empty when rows is 0)."""
    if rows == 0:
        return np.zeros((0, 3), dtype)
    return np.ctypeslib.as_array(ptr, shape=(rows * 3,)).reshape(rows, 3).copy()


class Mesh(_Handle):
    """A triangle mesh in um: vertices (n, 3) as (x, y, z), faces (m, 3)."""

    _free = LIB.csdf_mesh_free

    def __init__(self, ptr):
        super().__init__(ptr)
        v = _lib.MeshView()
        _check(LIB.csdf_mesh_view_get(ptr, byref(v)))
        self.vertices = _rows3(v.vertices, v.n_vertices, np.float32)
        self.normals = _rows3(v.normals, v.n_vertices, np.float32)
        self.faces = _rows3(v.faces, v.n_faces, np.uint32)

    @classmethod
    def from_mask(cls, mask, voxel_um):
        m = np.ascontiguousarray(mask != 0, np.uint8)
        _, vp = _f64(voxel_um, 3)
        out = c_void_p()
        _check(LIB.csdf_mesh_from_mask(m.ctypes.data_as(_lib.U8P), *m.shape, vp, byref(out)))
        return cls(out.value)

    @classmethod
    def read(cls, path):
        """A mesh file (PLY, OBJ, binary STL; um)."""
        out = c_void_p()
        _check(LIB.csdf_mesh_read(str(path).encode(), byref(out)))
        return cls(out.value)

    def describe(self):
        d = _lib.Descriptors()
        _check(LIB.csdf_describe_mesh(self.ptr, byref(d)))
        return _descriptors(d)

    def write(self, path, fmt="ply", overwrite=False):
        """Writes the mesh (um). An existing file that cellsdf did not write is replaced
        only with `overwrite`."""
        _check(LIB.csdf_mesh_write(self.ptr, str(path).encode(), _lib.MESH_FORMATS[fmt],
                                   int(bool(overwrite))))


def _descriptors(d):
    out = {k: getattr(d, k) for k, _ in _lib.Descriptors._fields_}
    out["extent_um"] = tuple(d.extent_um)
    out["centroid_um"] = tuple(d.centroid_um)
    return out


def describe_mask(mask, voxel_um):
    """Descriptors (dict, um units) of the non-zero voxels of a (z, y, x) mask."""
    m = np.ascontiguousarray(mask != 0, np.uint8)
    if m.ndim != 3:
        raise ValueError(f"mask must be 3D (z, y, x), got shape {m.shape}")
    _, vp = _f64(voxel_um, 3)
    d = _lib.Descriptors()
    _check(LIB.csdf_describe_mask(m.ctypes.data_as(_lib.U8P), *m.shape, vp, byref(d)))
    return _descriptors(d)


class Table(_Handle):
    """Shape descriptors, one row per label per frame, with the columns of `cellsdf
    describe` (frames count from 0; lengths um, areas um^2, volumes um^3, time s).
    `values` is a (rows, columns) float64 copy; NaN marks a value that does not exist."""

    _free = LIB.csdf_table_free

    def __init__(self, ptr):
        super().__init__(ptr)
        v = _lib.TableView()
        _check(LIB.csdf_table_view_get(ptr, byref(v)))
        self.columns = tuple(LIB.csdf_table_column_name(i).decode() for i in range(v.columns))
        n = v.rows * v.columns
        self.values = (np.ctypeslib.as_array(v.values, shape=(n,)).reshape(v.rows, v.columns).copy()
                       if n else np.zeros((v.rows, v.columns)))

    def __len__(self):
        return self.values.shape[0]

    def column(self, name):
        return self.values[:, self.columns.index(name)]

    def rows(self):
        """The rows as dicts (frame, label and counts as int)."""
        ints = {"frame", "label", "components", "euler", "genus"}
        return [{c: (int(v) if c in ints else float(v)) for c, v in zip(self.columns, row)}
                for row in self.values]

    def write_csv(self, path, overwrite=False):
        """Writes the CLI's CSV (atomically); a file cellsdf did not write is replaced only
        with `overwrite`."""
        _check(LIB.csdf_table_write_csv(self.ptr, str(path).encode(), int(bool(overwrite))))


_LABEL_DTYPES = {np.dtype(np.uint8): 0, np.dtype(np.uint16): 1, np.dtype(np.uint32): 2,
                 np.dtype(np.int32): 6}


def describe_labels(labels, voxel_um, frame_interval_s=None, source="", progress=None):
    """Descriptors of every label of every frame of a (t, z, y, x) or (z, y, x) label array
    as a `Table` (the library's `cellsdf describe`). Other integer types are converted
    when their values fit."""
    lab = _labels_array(labels)
    _, vp = _f64(voxel_um, 3)
    cb = _progress(progress)
    out = c_void_p()
    _check(LIB.csdf_labels_describe(lab.ctypes.data_as(c_void_p), _LABEL_DTYPES[lab.dtype],
                                    *lab.shape, vp, float(frame_interval_s or 0.0),
                                    str(source).encode(), cb, None, byref(out)))
    return Table(out.value)


def _labels_array(labels):
    """A C-contiguous (t, z, y, x) label array of a type the library takes."""
    lab = np.asarray(labels)
    if lab.ndim == 3:
        lab = lab[None]
    if lab.ndim != 4:
        raise ValueError(f"labels must be (t, z, y, x) or (z, y, x), got shape {lab.shape}")
    if lab.dtype not in _LABEL_DTYPES:
        if lab.dtype.kind not in "iub" or (lab.size and (lab.min() < 0 or lab.max() >= 2**32)):
            raise ValueError(f"labels must be non-negative integers below 2^32, got {lab.dtype}")
        lab = lab.astype(np.uint32)
    return np.ascontiguousarray(lab)


def mesh_labels(labels, voxel_um, out_dir, stem="labels", fmt="ply", overwrite=False,
                progress=None):
    """Meshes every label of every frame into `out_dir` exactly as `cellsdf mesh` does
    (`<stem>_tNNN_labelL.<ext>`, frames from 0); returns the number of meshes written."""
    lab = _labels_array(labels)
    _, vp = _f64(voxel_um, 3)
    cb = _progress(progress)
    n = c_size_t()
    _check(LIB.csdf_labels_mesh(lab.ctypes.data_as(c_void_p), _LABEL_DTYPES[lab.dtype], *lab.shape,
                                vp, str(stem).encode(), _lib.MESH_FORMATS[fmt],
                                str(out_dir).encode(), int(bool(overwrite)), cb, None, byref(n)))
    return n.value


#: Bundled default models inside an installed wheel.
PACKAGE_MODELS = Path(__file__).resolve().parent / "models"


def resolve_model(name_or_path, search_dir=None):
    """The file a model argument names: a path as given, or `dividing` / `filopodial` for a
    bundled default model (searched in $CELLSDF_MODELS, then `search_dir`, else the wheel's
    own models/, then the repository's models/)."""
    arg = str(name_or_path).encode()
    if search_dir is None and PACKAGE_MODELS.is_dir():
        search_dir = PACKAGE_MODELS
    d = None if search_dir is None else str(search_dir).encode()
    need = c_size_t()
    _check(LIB.csdf_model_resolve(arg, d, None, 0, byref(need)))
    buf = ctypes.create_string_buffer(need.value)
    _check(LIB.csdf_model_resolve(arg, d, buf, need.value, byref(need)))
    return Path(buf.value.decode())


def jaccard(a, b):
    """(Jaccard, Dice) of two masks of one shape."""
    a = np.ascontiguousarray(np.asarray(a) != 0, np.uint8)
    b = np.ascontiguousarray(np.asarray(b) != 0, np.uint8)
    if a.shape != b.shape:
        raise ValueError(f"mask shapes differ: {a.shape} vs {b.shape}")
    j, d = c_double(), c_double()
    _check(LIB.csdf_jaccard(a.ctypes.data_as(_lib.U8P), b.ctypes.data_as(_lib.U8P), a.size,
                            byref(j), byref(d)))
    return j.value, d.value


def ks_2samp(a, b):
    """(statistic, p-value, exact) of the two-sided two-sample KS test."""
    x, xp = _f64(a)
    y, yp = _f64(b)
    s, p, e = c_double(), c_double(), c_int32()
    _check(LIB.csdf_ks_2samp(xp, x.size, yp, y.size, byref(s), byref(p), byref(e)))
    return s.value, p.value, bool(e.value)


def read_stack(path, axes=None):
    """(array (t, z, y, x), voxel_um (x, y, z) or None, frame_interval_s or None). `axes`
    says what the planes are when the metadata says otherwise: "TZYX", "ZTYX" (time varies
    fastest), "TYX" or "ZYX" (stored plane axes, slowest first)."""
    h = c_void_p()
    _check(LIB.csdf_stack_read_axes(str(path).encode(), None if axes is None else str(axes).encode(),
                                    byref(h)))
    try:
        v = _lib.StackView()
        _check(LIB.csdf_stack_view_get(h, byref(v)))
        dtype = np.dtype(_lib.DTYPES[v.dtype])
        shape = (v.frames, v.nz, v.ny, v.nx)
        n = int(np.prod(shape))
        buf = (ctypes.c_char * (n * dtype.itemsize)).from_address(v.data)
        arr = np.frombuffer(buf, dtype=dtype, count=n).reshape(shape).copy()
        voxel = tuple(v.voxel_um) if any(v.voxel_um) else None
        fi = None if np.isnan(v.frame_interval_s) else v.frame_interval_s
        return arr, voxel, fi
    finally:
        LIB.csdf_stack_free(h)


def write_stack(path, data, voxel_um=None, frame_interval_s=None, overwrite=False):
    """Writes a (t, z, y, x) or (z, y, x) uint8/uint16/uint32/float32 array as a calibrated
    ImageJ hyperstack (atomically). An existing file that cellsdf did not write is replaced
    only with `overwrite`."""
    a = np.asarray(data)
    if a.ndim == 3:
        a = a[None]
    codes = {np.dtype(np.uint8): 0, np.dtype(np.uint16): 1, np.dtype(np.uint32): 2,
             np.dtype(np.float32): 3}
    if a.ndim != 4 or a.dtype not in codes:
        raise ValueError(f"need a 3D/4D uint8, uint16, uint32 or float32 array, got {a.dtype} {a.shape}")
    a = np.ascontiguousarray(a)
    vp = None
    if voxel_um is not None:
        _, vp = _f64(voxel_um, 3)
    _check(LIB.csdf_stack_write(str(path).encode(), codes[a.dtype], a.ctypes.data_as(c_void_p),
                                *a.shape, vp, frame_interval_s or 0.0, int(bool(overwrite))))


__all__ = ["CellSdfError", "Cancelled", "Model", "Grid", "Mesh", "Table", "describe_mask",
           "describe_labels", "jaccard", "ks_2samp", "mesh_labels", "read_stack", "resolve_model",
           "write_stack", "version"]
_ = (c_float, c_size_t, c_uint8)
