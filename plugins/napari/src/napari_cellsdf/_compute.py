"""Qt-free work behind the widgets: everything here is a thin use of the cellsdf binding,
testable without a display. Arrays (t, z, y, x); voxel sizes (x, y, z) um; napari scales
(t, z, y, x)."""
import tempfile
from pathlib import Path

import numpy as np

import cellsdf

CLASSES = ("dividing", "filopodial")


def bundled_model(kind):
    """Path of the bundled default model of a phantom class, found by the library
    ($CELLSDF_MODELS, the cellsdf wheel's models/, else the models/ folder of the cellsdf
    source tree)."""
    if kind not in CLASSES:
        raise ValueError(f"unknown phantom class {kind!r}; choose one of {CLASSES}")
    try:
        return cellsdf.resolve_model(kind)
    except cellsdf.CellSdfError as e:
        raise FileNotFoundError(str(e)) from None


def napari_scale(voxel_um, frame_interval_s=None):
    """napari scale (t, z, y, x) for voxel size (x, y, z) um."""
    return (frame_interval_s or 1.0, voxel_um[2], voxel_um[1], voxel_um[0])


def layer_meta(voxel_um, frame_interval_s=None, ndim=4):
    """Layer keywords for a calibrated (t, z, y, x) or (z, y, x) array: scale, units
    (seconds, micrometres; frames without an interval stay in frame units) and axis labels,
    so that napari's scale bar and dims read physical units."""
    scale = napari_scale(voxel_um, frame_interval_s)
    units = ("second" if frame_interval_s else "pixel", "micrometer", "micrometer", "micrometer")
    labels = ("t", "z", "y", "x")
    return {"scale": scale[-ndim:], "units": units[-ndim:], "axis_labels": labels[-ndim:]}


def sequence_surface(masks, voxel_um, frame_interval_s=None):
    """One 4D surface of every frame of `masks` (t, z, y, x), so that it follows napari's
    time slider: (vertices (t, z, y, x) in the layer's world units, faces)."""
    dt = frame_interval_s or 1.0
    verts, faces, base = [], [], 0
    for t, frame in enumerate(np.asarray(masks)):
        if not frame.any():
            continue
        v, f = frame_surface(frame, voxel_um)
        verts.append(np.column_stack([np.full(len(v), t * dt, np.float32), v]))
        faces.append(f + base)
        base += len(v)
    if not verts:
        raise ValueError("every frame is empty: no surface to show")
    return np.concatenate(verts), np.concatenate(faces)


#: Code methods offered by the synthesis widget (the library's, default first).
CODE_METHODS = ("neighbours", "fitted", "normal", "around-learned")

#: How new cells get their size (the library's, default first).
CELL_SIZES = ("training", "decoded")


def synthesize(model_path, count=1, frames=10, size_xyz=(64, 64, 64), voxel_um=0.0,
               codes="neighbours", param=None, seed=0, out_dir=None, model_label=None,
               tubes=True, sizes="training", progress=None):
    """New sequences rendered by the library exactly as `cellsdf synth` renders them, into
    `out_dir` (None: a temporary folder, removed after reading). Returns
    [(masks uint8 (t, z, y, x), voxel_um (x, y, z), frame_interval_s or None, code)];
    `tubes`: filopodia as tubes when the model carries a tube model (`synth --no-tubes`
    when False); `sizes`: "training" or "decoded" (`synth --sizes`); `progress` (fraction,
    stage) -> bool (False cancels, raising cellsdf.Cancelled)."""
    with tempfile.TemporaryDirectory(prefix="cellsdf-synth-") as tmp:
        folder = Path(out_dir) if out_dir else Path(tmp)
        with cellsdf.Model.load(model_path) as m:
            manifest = m.synthesize(folder, count=count, frames=frames, codes=codes, param=param,
                                    seed=seed, size_xyz=size_xyz, tubes=tubes, sizes=sizes,
                                    voxel_um=voxel_um if voxel_um else None,
                                    model_label=model_label or str(model_path), progress=progress)
        out = []
        for rec in manifest["sequences"]:
            masks, voxel, interval = cellsdf.read_stack(folder / rec["file"])
            out.append((masks, voxel, interval, np.asarray(rec["code"], np.float32)))
        return out


def simulate_dataset(model_path, dataset_dir, cells=3, frames=20, size_xyz=(128, 128, 48),
                     voxel_um=(0.2, 0.2, 0.4), microscope="widefield", na=1.2,
                     wavelength_nm=520.0, refractive_index=1.33, snr=10.0, rim_um=0.4,
                     rim_gain=0.0, projection=False, seed=0, phantoms_dir=None, progress=None):
    """A benchmark dataset written by the library exactly as `cellsdf simulate` writes it
    (Cell Tracking Challenge layout) into `dataset_dir`; returns (raw uint16 (t, z, y, x),
    labels uint16 (t, z, y, x), voxel_um (x, y, z), frame_interval_s or None, manifest,
    projected): with `projection` projected is the z projections' (raw (t, y, x), labels
    (t, y, x)) as written under projection/, else None. With `phantoms_dir` the cells come
    from its label sequences (one cell per .tif) instead of the model."""
    folder = Path(dataset_dir)
    options = dict(cells=cells, frames=frames, size_xyz=size_xyz, voxel_um=voxel_um,
                   microscope=microscope, na=na, wavelength_nm=wavelength_nm,
                   refractive_index=refractive_index, snr=snr, rim_um=rim_um,
                   rim_gain=rim_gain, projection=projection, seed=seed)
    if phantoms_dir:
        manifest = cellsdf.simulate_phantoms(phantoms_dir, folder, progress=progress, **options)
    else:
        with cellsdf.Model.load(model_path) as m:
            manifest = m.simulate(folder, progress=progress, **options)
    raw, labels, voxel, interval = _ctc_sequence(folder, frames)
    projected = _ctc_sequence(folder / "projection", frames)[:2] if projection else None
    if projected is not None:
        projected = tuple(a[:, 0] for a in projected)  # one slice per frame: (t, y, x)
    return raw, labels, voxel, interval, manifest, projected


def _ctc_sequence(root, frames):
    """Raw and ground-truth (SEG) frames of the CTC sequence 01 under `root` as (t, z, y, x)
    arrays, with the voxel size (x, y, z) um and frame interval of the files."""
    raw, labels = [], []
    voxel = interval = None
    digits = 4 if frames > 1000 else 3
    for t in range(frames):
        r, voxel, interval = cellsdf.read_stack(root / "01" / f"t{t:0{digits}}.tif")
        g, _, _ = cellsdf.read_stack(root / "01_GT" / "SEG" / f"man_seg{t:0{digits}}.tif")
        raw.append(r[0])
        labels.append(g[0])
    return np.stack(raw), np.stack(labels), voxel, interval


def without_z(meta):
    """`layer_meta` keywords of a (t, z, y, x) layer for its (t, y, x) projection."""
    return {k: tuple(v[i] for i in (0, 2, 3)) for k, v in meta.items()}


def train_from_labels(labels, voxel_um, model_path, arch="small", epochs=100, lr_net=1e-3,
                      seed=0, frame_interval_s=None, centre=None, progress=None):
    """Trains a model on a (t, z, y, x) label array whose ids persist over time (one
    sequence per id); saves it to `model_path` and returns the path. `centre="frame"`
    centres every frame on its cell (cells that move; `cellsdf prepare --centre frame`)."""
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
                                 epochs=epochs, lr_net=lr_net, seed=seed, centre=centre,
                                 progress=progress):
            pass
    return Path(model_path)


def train_from_folder(folder, model_path, arch="small", epochs=100, lr_net=1e-3, seed=0,
                      axes=None, centre=None, progress=None):
    """Trains a model on a folder of label hyperstacks or a Cell Tracking Challenge folder
    (man_track.txt); saves it to `model_path` and returns the path. `centre` as in
    `train_from_labels`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    with tempfile.TemporaryDirectory(prefix="cellsdf-train-") as work:
        with cellsdf.Model.train([folder], Path(work) / "dataset", model_path, arch=arch,
                                 epochs=epochs, lr_net=lr_net, seed=seed, axes=axes or None,
                                 centre=centre, progress=progress):
            pass
    return Path(model_path)


def describe(labels, voxel_um, frame_interval_s=None, progress=None):
    """The library's descriptor table (cellsdf.Table) of every label in every frame."""
    return cellsdf.describe_labels(labels, voxel_um, frame_interval_s, progress=progress)


def surface_data(mesh):
    """(vertices (z, y, x) um, faces int64) of a cellsdf.Mesh, as napari's Surface wants."""
    return mesh.vertices[:, ::-1].copy(), mesh.faces.astype(np.int64)


def frame_surface(mask, voxel_um):
    """(vertices (z, y, x) um, faces) of a (z, y, x) mask, as napari's Surface layer wants."""
    with cellsdf.Mesh.from_mask(mask, voxel_um) as m:
        return surface_data(m)
