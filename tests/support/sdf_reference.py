"""Independent references for cellsdf's SDF pipeline, computed with scipy.

  edt MASK.npy OURS.npy SZ SY SX       max |ours - scipy EDT of the mask's foreground|
  dataset DIR                           recomputes each frame's grid and samples from the
                                        source masks (scipy EDT + map_coordinates) and prints
                                        the largest differences, as JSON
  count FILE.tif                        labels that never touch the image border
"""
import json
import sys
from pathlib import Path

import numpy as np
import tifffile
from scipy.ndimage import distance_transform_edt, map_coordinates


def sdf_um(mask, spacing):
    half = 0.5 * min(spacing)
    out = distance_transform_edt(~mask, sampling=spacing) - half
    inside = -(distance_transform_edt(mask, sampling=spacing) - half)
    return np.where(mask, inside, out)


def labels_of(path):
    with tifffile.TiffFile(path) as tif:
        data = tif.asarray()
        shape = tif.series[0].shape
    if data.ndim == 3:
        data = data[None]
    return data


cmd = sys.argv[1]
if cmd == "edt":
    mask = np.load(sys.argv[2]) > 0.5
    ours = np.load(sys.argv[3])
    ref = distance_transform_edt(mask, sampling=tuple(float(s) for s in sys.argv[4:7]))
    print(json.dumps({"max_abs": float(np.abs(ours - ref).max()), "max": float(ref.max())}))
elif cmd == "dataset":
    d = Path(sys.argv[2])
    meta = json.loads((d / "dataset.json").read_text())
    samples = np.load(d / "samples.npy", mmap_mode="r")
    grids = np.load(d / "grids.npy", mmap_mode="r") if meta["grid"] else None
    worst_grid = worst_samples = 0.0
    near = []
    ts = []
    for seq in meta["sequences"]:
        data = labels_of(seq["source"])
        v = seq["voxel_um"]
        spacing = (v["z"], v["y"], v["x"])
        c = seq["normalisation"]["centre_um"]
        s = seq["normalisation"]["scale_um"]
        # Model axis k is the image direction axes[k] (x, y, z) when the cell was aligned.
        axes = seq["normalisation"].get("axes")
        rot = np.asarray(axes, dtype=np.float64) if axes else np.eye(3)
        clamp = meta.get("clamp")
        for k, f in enumerate(seq["frames"]):
            row = seq["first_row"] + k
            mask = np.isin(data[f["time_index"]], f["labels"])
            # Pad generously with background so interpolation never clamps.
            pad = [int(np.ceil(2 * s / h)) + 2 for h in spacing]
            field = sdf_um(np.pad(mask, [(p, p) for p in pad]), spacing)
            if clamp is not None:
                field = np.minimum(field, clamp * s)

            # Frames centred on their cell (--centre frame) are shifted by offset_um.
            cf = np.asarray(c) + np.asarray(f.get("offset_um", [0.0, 0.0, 0.0]))

            def at(xyz):
                um = cf[None, :] + s * (xyz @ rot)  # (n, 3) x, y, z
                idx = [um[:, 2 - a] / spacing[a] - 0.5 + pad[a] for a in range(3)]
                return map_coordinates(field, idx, order=1) / s

            if grids is not None:
                n = meta["grid"]
                nodes = np.linspace(-1, 1, n)
                zz, yy, xx = np.meshgrid(nodes, nodes, nodes, indexing="ij")
                pts = np.stack([xx.ravel(), yy.ravel(), zz.ravel()], axis=1)
                ref = at(pts).reshape(n, n, n)
                worst_grid = max(worst_grid, float(np.abs(ref - grids[row]).max()))
            smp = np.asarray(samples[row], dtype=np.float64)
            worst_samples = max(worst_samples, float(np.abs(at(smp[:, :3]) - smp[:, 4]).max()))
            near.append(float((smp[:, 4] <= meta["band"]).mean()))
            ts.append(float(smp[0, 3]))
    print(json.dumps({"grid_max_abs": worst_grid, "samples_max_abs": worst_samples,
                      "near_fraction_min": min(near), "near_fraction_max": max(near), "t": ts}))
elif cmd == "count":
    data = labels_of(sys.argv[2])
    border = set()
    for t in range(data.shape[0]):
        f = data[t]
        faces = [f[:, 0], f[:, -1], f[:, :, 0], f[:, :, -1]]
        if f.shape[0] > 1:
            faces += [f[0], f[-1]]
        for face in faces:
            border.update(np.unique(face).tolist())
    present = set(np.unique(data).tolist())
    print(len(present - border - {0}))
