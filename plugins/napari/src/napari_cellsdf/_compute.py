"""Qt-free work behind the widgets: everything here is a thin use of the cellsdf binding,
testable without a display. Arrays (t, z, y, x); voxel sizes (x, y, z) um; napari scales
(t, z, y, x)."""
import os
import tempfile
from pathlib import Path

import numpy as np

import cellsdf

CLASSES = ("dividing", "filopodial")


def bundled_model(kind):
    """Path of the bundled default model of a phantom class ($CELLSDF_MODELS, else the
    repository's models/ folder)."""
    if kind not in CLASSES:
        raise ValueError(f"unknown phantom class {kind!r}; choose one of {CLASSES}")
    base = os.environ.get("CELLSDF_MODELS")
    folder = Path(base) if base else Path(__file__).resolve().parents[4] / "models"
    path = folder / f"{kind}.safetensors"
    if not path.exists():
        raise FileNotFoundError(f"bundled model {path} not found: run `make models` or set CELLSDF_MODELS")
    return path


def napari_scale(voxel_um, frame_interval_s=None):
    """napari scale (t, z, y, x) for voxel size (x, y, z) um."""
    return (frame_interval_s or 1.0, voxel_um[2], voxel_um[1], voxel_um[0])


def synthesize(model_path, count=1, frames=10, size_xyz=(64, 64, 64), voxel_um=0.0, sigma=0.0,
               around_learned=False, seed=0, progress=None):
    """New sequences as [(masks uint8 (t, z, y, x), voxel_um (x, y, z), code)]; `progress`
    (fraction, stage) -> bool (False cancels, raising cellsdf.Cancelled)."""
    if count < 1 or frames < 1:
        raise ValueError("count and frames must be at least 1")
    times = np.linspace(-1.0, 1.0, frames) if frames > 1 else np.zeros(1)
    out = []
    with cellsdf.Model.load(model_path) as m:
        if around_learned:
            method, param = "around-learned", (sigma if sigma > 0 else None)
        elif sigma > 0:
            method, param = "normal", sigma
        else:
            method, param = "neighbours", None
        codes, scales = m.sample_codes(count, method, param, seed)
        for k, (code, scale) in enumerate(zip(codes, scales)):
            def part(fraction, stage, k=k):
                return progress is None or progress((k + fraction) / count, f"sequence {k + 1}/{count}: {stage}")

            with m.infer(code, times, size_xyz, voxel_um if voxel_um > 0 else None,
                         adaptive=True, scale_um=float(scale), progress=part) as g:
                out.append((g.masks(), g.voxel_um, code))
    return out


def train_from_labels(labels, voxel_um, model_path, arch="small", epochs=100, lr_net=1e-3,
                      seed=0, frame_interval_s=None, progress=None):
    """Trains a model on a (t, z, y, x) label array whose ids persist over time (one
    sequence per id); saves it to `model_path` and returns the path."""
    lab = np.asarray(labels)
    if lab.ndim != 4:
        raise ValueError(f"need a 4D (t, z, y, x) label layer, got shape {lab.shape}")
    if lab.max() == 0:
        raise ValueError("the label layer is empty")
    dtype = np.uint16 if lab.max() < 65536 else np.uint32
    with tempfile.TemporaryDirectory(prefix="cellsdf-train-") as work:
        src = Path(work) / "labels.tif"
        cellsdf.write_stack(src, lab.astype(dtype), voxel_um, frame_interval_s)
        with cellsdf.Model.train([src], Path(work) / "dataset", model_path, arch=arch,
                                 epochs=epochs, lr_net=lr_net, seed=seed, progress=progress):
            pass
    return Path(model_path)


def train_from_folder(folder, model_path, arch="small", epochs=100, lr_net=1e-3, seed=0,
                      progress=None):
    """Trains a model on a folder of label hyperstacks or a Cell Tracking Challenge folder
    (man_track.txt); saves it to `model_path` and returns the path."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    with tempfile.TemporaryDirectory(prefix="cellsdf-train-") as work:
        with cellsdf.Model.train([folder], Path(work) / "dataset", model_path, arch=arch,
                                 epochs=epochs, lr_net=lr_net, seed=seed, progress=progress):
            pass
    return Path(model_path)


def describe(labels, voxel_um, progress=None):
    """Descriptor rows of every label in every frame (dicts; um units)."""
    return cellsdf.describe_labels(labels, voxel_um, progress)


def frame_surface(mask, voxel_um):
    """(vertices (z, y, x) um, faces) of a (z, y, x) mask, as napari's Surface layer wants."""
    m = cellsdf.Mesh.from_mask(mask, voxel_um)
    try:
        return m.vertices[:, ::-1].copy(), m.faces.astype(np.int64)
    finally:
        m.close()


def write_table(rows, path):
    """Writes descriptor rows as CSV."""
    import csv

    if not rows:
        raise ValueError("no rows to write")
    keys = [k for k in rows[0] if k not in ("extent_um", "centroid_um")]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(keys + ["extent_x_um", "extent_y_um", "extent_z_um",
                           "centroid_x_um", "centroid_y_um", "centroid_z_um"])
        for r in rows:
            w.writerow([r[k] for k in keys] + list(r["extent_um"]) + list(r["centroid_um"]))
