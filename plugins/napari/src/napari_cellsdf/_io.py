"""Reader for cellsdf hyperstacks (calibrated scale) and meshes, writer for label layers."""
from pathlib import Path

import numpy as np

import cellsdf

from ._compute import napari_scale


def get_reader(path):
    if isinstance(path, list):
        return None
    p = Path(path)
    if p.suffix.lower() in (".tif", ".tiff", ".ply"):
        return read
    return None


def _read_ply(path):
    data = Path(path).read_bytes()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:end].decode().splitlines()
    if "format binary_little_endian 1.0" not in header:
        raise ValueError(f"{path}: only binary little-endian PLY files written by cellsdf are read here")
    nv = int(next(h for h in header if h.startswith("element vertex")).split()[2])
    nf = int(next(h for h in header if h.startswith("element face")).split()[2])
    v = np.frombuffer(data, "<f4", nv * 6, end).reshape(nv, 6)[:, :3]
    rec = np.frombuffer(data, np.dtype([("n", "u1"), ("i", "<i4", 3)]), nf, end + nv * 24)
    return v[:, ::-1].astype(np.float32), rec["i"].astype(np.int64)


def read(path):
    p = Path(path)
    if p.suffix.lower() == ".ply":
        verts, faces = _read_ply(p)
        return [((verts, faces), {"name": p.stem}, "surface")]
    data, voxel, interval = cellsdf.read_stack(p)
    meta = {"name": p.stem}
    if voxel is not None:
        meta["scale"] = napari_scale(voxel, interval)
    if data.shape[0] == 1:
        data = data[0]
        if "scale" in meta:
            meta["scale"] = meta["scale"][1:]
    kind = "image" if data.dtype.kind == "f" else "labels"
    return [(data, meta, kind)]


def write_labels(path, data, meta):
    scale = meta.get("scale")
    a = np.asarray(data)
    voxel = None
    interval = None
    if scale is not None and len(scale) >= 3:
        voxel = (scale[-1], scale[-2], scale[-3])
        if len(scale) == 4:
            interval = scale[0]
    dtype = np.uint8 if a.max() < 256 else np.uint16 if a.max() < 65536 else np.uint32
    cellsdf.write_stack(path, a.astype(dtype), voxel, interval)
    return [path]
