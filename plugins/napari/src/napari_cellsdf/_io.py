"""Reader for cellsdf hyperstacks (calibrated scale) and meshes, writer for label layers."""
import weakref
from pathlib import Path

import numpy as np

import cellsdf

from ._compute import layer_meta, surface_data


#: File patterns napari-cellsdf asks napari to open with its reader (calibrated).
TIFF_PATTERNS = ("*.tif", "*.tiff")


def adopt_viewer(viewer):
    """What opening a Cell SDF widget sets up: napari-cellsdf's reader preferred for TIFFs,
    its writer first for Labels, and calibration for hyperstacks napari's own reader opens
    in `viewer`."""
    prefer_cellsdf_reader()
    prefer_cellsdf_writer()
    calibrate_opened_layers(viewer)


def prefer_cellsdf_reader():
    """Makes napari-cellsdf napari's reader for TIFF files where the user has not chosen one
    (napari's `extension2reader` setting, Preferences > Plugins), so that hyperstacks dragged
    in come with their voxel size and frame interval. A choice already made is kept.
    Returns the patterns it set. (`viewer.open(path)` uses napari's own reader unless given
    `plugin=None` or `plugin="napari-cellsdf"`: napari's default, not a preference.)"""
    from napari.settings import get_settings

    plugins = get_settings().plugins
    unset = {p: "napari-cellsdf" for p in TIFF_PATTERNS if p not in plugins.extension2reader}
    if unset:
        plugins.extension2reader = {**plugins.extension2reader, **unset}
    return sorted(unset)


def prefer_cellsdf_writer():
    """Puts napari-cellsdf's hyperstack writer first among the writers of a labels layer, so
    that File > Save Selected Layers (its default file type) and `viewer.layers.save("x.tif")`
    write a calibrated uint8/uint16 TZYX hyperstack instead of napari's builtin TIFF (uint32,
    axes QQYX, no voxel size). napari 0.9.2 reads no writer preference (its
    `extension2writer` setting exists but nothing uses it) and npe2 orders writers of equal
    specificity by registration, napari's own first; so this moves cellsdf's writers ahead
    in npe2's registry (a private list: when npe2 changes it, nothing happens). Returns
    whether cellsdf's writer now comes first for labels."""
    import npe2

    pm = npe2.PluginManager.instance()
    writers = getattr(getattr(pm, "_contrib", None), "_writers", None)
    if isinstance(writers, list) and all(isinstance(w, tuple) and len(w) == 4 for w in writers):
        ours = [w for w in writers if str(w[3].command).startswith("napari-cellsdf.")]
        writers[:] = ours + [w for w in writers if w not in ours]
    first = next(iter(pm.iter_compatible_writers(["labels"])), None)
    return first is not None and first.command == "napari-cellsdf.write_labels"


_CALIBRATED_VIEWERS = weakref.WeakSet()


def calibrate_opened_layers(viewer):
    """Gives a TIFF hyperstack that napari's own reader opened (`viewer.open(path)` uses it
    by napari's default, `plugin="napari"`, and it ignores ImageJ calibration) the file's
    voxel size, frame interval, units and axis labels, as napari-cellsdf's reader would.
    Installed once per viewer when a Cell SDF widget opens; layers that already have a
    scale other than 1, or that another plugin read, are left alone."""
    if any(v is viewer for v in _CALIBRATED_VIEWERS):
        return
    _CALIBRATED_VIEWERS.add(viewer)

    def on_insert(event):
        layer = event.value
        source = getattr(layer, "source", None)
        path = getattr(source, "path", None)
        if (path is None or getattr(source, "reader_plugin", None) != "napari"
                or Path(path).suffix.lower() not in (".tif", ".tiff")
                or any(float(s) != 1.0 for s in layer.scale) or layer.ndim not in (3, 4)):
            return
        calibration = imagej_calibration(path)
        if calibration is None:
            return
        meta = layer_meta(*calibration, ndim=layer.ndim)
        layer.scale = meta["scale"]
        layer.units = meta["units"]
        layer.axis_labels = meta["axis_labels"]

    viewer.layers.events.inserted.connect(on_insert)


def imagej_calibration(path):
    """(voxel (x, y, z) um, frame interval s or None) of an ImageJ hyperstack in um (read
    from its tags, not its pixels); None when it has no such calibration."""
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            ij = tif.imagej_metadata or {}
            tags = tif.pages[0].tags
            unit = str(ij.get("unit", "")).replace("\\u00B5", "u")
            if unit not in ("micron", "um", "µm", "\u00b5m") or "XResolution" not in tags:
                return None
            xr, yr = tags["XResolution"].value, tags["YResolution"].value
            x, y = xr[1] / xr[0], yr[1] / yr[0]
            z = float(ij.get("spacing", 1.0))
            interval = float(ij["finterval"]) if ij.get("finterval") else None
            return (x, y, z), interval
    except (OSError, ValueError, KeyError, ZeroDivisionError, tifffile.TiffFileError):
        return None


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
    # napari's save dialog has already asked before replacing an existing file.
    cellsdf.write_stack(path, a.astype(dtype), voxel, interval, overwrite=True)
    return [path]
