"""Reader for cellsdf hyperstacks (calibrated scale) and meshes, writer for label layers."""
from pathlib import Path

import numpy as np

import cellsdf

from ._compute import layer_meta, surface_data


def get_reader(path):
    if isinstance(path, list):
        return None
    p = Path(path)
    if p.suffix.lower() in (".tif", ".tiff", ".ply", ".obj", ".stl"):
        return read
    return None


def _read_mesh(path):
    """(vertices (z, y, x) um, faces) of a mesh file, read by the library."""
    with cellsdf.Mesh.read(path) as m:
        return surface_data(m)


def read(path):
    p = Path(path)
    if p.suffix.lower() in (".ply", ".obj", ".stl"):
        verts, faces = _read_mesh(p)
        return [((verts, faces), {"name": p.stem}, "surface")]
    data, voxel, interval = cellsdf.read_stack(p)
    meta = {"name": p.stem}
    if data.shape[0] == 1:
        data = data[0]
    if voxel is not None:
        meta.update(layer_meta(voxel, interval, ndim=data.ndim))
    kind = "image" if data.dtype.kind == "f" else "labels"
    return [(data, meta, kind)]


def write_labels(path, data, meta):
    scale = meta.get("scale")
    a = np.asarray(data)
    voxel = None
    interval = None
    if scale is not None and len(scale) >= 3:
        voxel = (scale[-1], scale[-2], scale[-3])
        units = meta.get("units")
        time_unit = str(units[0]) if units is not None and len(units) == 4 else "second"
        if len(scale) == 4 and time_unit in ("second", "s"):
            interval = scale[0]
    dtype = np.uint8 if a.max() < 256 else np.uint16 if a.max() < 65536 else np.uint32
    cellsdf.write_stack(path, a.astype(dtype), voxel, interval)
    return [path]
