#!/usr/bin/env python3
"""Probes of why filopodia break (issue 13, docs/results.md "More probes of the filopodia");
not part of the product. Needs scipy and tifffile (tubes: scikit-image).

    filopodia_probe.py pieces GLOB [GLOB ...] [--erode UM,UM,...] [--every K]
        26-connected pieces per frame of ImageJ mask hyperstacks (TZYX), optionally after
        removing every voxel whose exact depth (distance transform at the mask's own voxel
        size, read from the file, minus half a voxel) is not above UM.
    filopodia_probe.py grid-erosion DATASET [--rows N] [--erode UNITS,...] [--every K]
        The same on a prepared dataset's SDF grids (nodes with sdf <= -UNITS), first N rows.
    filopodia_probe.py tubes GLOB [--body-um 0.4] [--every K]
        How well a body plus tubes describes the masks: the body is the mask opened with a
        ball of radius --body-um, the tubes are balls of the distance-transform radius on
        the mask's 3D skeleton (scikit-image) where it runs through the rest. Jaccard index
        of body alone and of body + tubes against the mask, pieces, skeleton branches.
    filopodia_probe.py track GLOB [--body-um 0.4] [--min-um 0.5]
        Whether those branches can be followed in time: for the branches that reach
        --min-um beyond the body, the share whose base (the branch's voxel nearest the
        body) lies within 0.5 um and 1 um of a base in the frame before.
    filopodia_probe.py convert RUN.pt DATASET OUT.safetensors
        A scripts/screen_scratch.py network and codes as a cellsdf model file, so that
        `cellsdf reconstruct` renders it at any voxel size.
"""
import argparse, glob, json, os, sys
import numpy as np
from scipy import ndimage

FULL = np.ones((3, 3, 3))


def frames(path, every):
    """(mask [z, y, x], voxel size in um) of every `every`-th frame of an ImageJ hyperstack."""
    import tifffile
    with tifffile.TiffFile(path) as t:
        ij = t.imagej_metadata or {}
        nt = int(ij.get("frames", 1))
        nz = int(ij.get("slices", len(t.pages) // nt))
        x_res = t.pages[0].tags["XResolution"].value
        um = x_res[1] / x_res[0]
        for k in range(0, nt, every):
            yield np.stack([t.pages[k * nz + z].asarray() for z in range(nz)]) > 0, um


def summary(label, counts):
    c = np.array(counts)
    print(f"{label}: {len(c)} frames, pieces {c.mean():.2f}, more than one piece "
          f"{np.mean(c > 1) * 100:.1f} %, max {c.max()}", flush=True)


def crop(m, margin):
    """`m` cut to the box of its inside voxels plus `margin` voxels, and the box's origin."""
    idx = np.argwhere(m)
    lo, hi = np.maximum(idx.min(0) - margin, 0), idx.max(0) + margin + 1
    return m[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]], lo


def erosions(text):
    """0 (the mask itself) and the comma-separated depths of `text`."""
    return [0.0] + [float(d) for d in text.split(",") if d]


def pieces(a):
    depths = erosions(a.erode)
    for pattern in a.globs:
        counts = {d: [] for d in depths}
        for f in sorted(glob.glob(pattern)):
            for m, um in frames(f, a.every):
                m, _ = crop(m, 2)
                depth = ndimage.distance_transform_edt(m) * um - um / 2 if len(depths) > 1 else None
                for d in depths:
                    counts[d].append(ndimage.label(m if d == 0 else depth > d + 1e-9, FULL)[1])
        for d in depths:
            summary(f"{pattern}, eroded by {d:.3f} um", counts[d])


def grid_erosion(a):
    g_all = np.load(os.path.join(a.dataset, "grids.npy"), mmap_mode="r")
    scale = json.load(open(os.path.join(a.dataset, "dataset.json")))["sequences"][0]["normalisation"]["scale_um"]
    depths = erosions(a.erode)
    counts = {d: [] for d in depths}
    for r in range(0, min(a.rows or len(g_all), len(g_all)), a.every):
        g = np.asarray(g_all[r])
        for d in depths:
            counts[d].append(ndimage.label(g <= -d, FULL)[1])
    for d in depths:
        summary(f"grids, eroded by {d:.4f} units ({d * scale:.3f} um)", counts[d])


def ball(r):
    k = int(np.ceil(r))
    z, y, x = np.mgrid[-k:k + 1, -k:k + 1, -k:k + 1]
    return x * x + y * y + z * z <= r * r


def body_and_centre(m, um, body_um):
    """(mask cropped to the cell, crop origin in voxels, body, the rest, skeleton voxels
    outside the body) of one frame."""
    from skimage.morphology import skeletonize
    m, lo = crop(m, 6)
    body = ndimage.binary_opening(m, ball(body_um / um))
    rest = m & ~body
    centre = (skeletonize(m) > 0) & ndimage.binary_dilation(rest, FULL)
    return m, lo, body, rest, centre


def tubes(a):
    rows = []
    for f in sorted(glob.glob(a.glob)):
        for m, um in frames(f, a.every):
            m, _, body, rest, centre = body_and_centre(m, um, a.body_um)
            edt = ndimage.distance_transform_edt(m)
            rebuilt = body.copy()
            for p in np.argwhere(centre):
                b = ball(edt[tuple(p)] + 0.5 - 1e-6)
                k = b.shape[0] // 2
                if np.all(p >= k) and np.all(p + k < m.shape):
                    rebuilt[tuple(slice(c - k, c + k + 1) for c in p)] |= b
            rows.append(((body & m).sum() / (body | m).sum(),
                         (rebuilt & m).sum() / (rebuilt | m).sum(),
                         ndimage.label(rebuilt, FULL)[1], ndimage.label(centre, FULL)[1],
                         rest.sum() / m.sum(), np.median(edt[centre] * um - um / 2)))
    r = np.array(rows)
    print(f"{a.glob}: {len(r)} frames; JI to the mask: body alone {r[:, 0].mean():.4f}, "
          f"body + tubes {r[:, 1].mean():.4f} (min {r[:, 1].min():.4f}); pieces of body + "
          f"tubes {r[:, 2].mean():.2f} (max {r[:, 2].max():.0f}); skeleton branches outside "
          f"the body {r[:, 3].mean():.1f}; volume outside the body {r[:, 4].mean() * 100:.1f} "
          f"%; median tube radius {np.median(r[:, 5]):.3f} um", flush=True)


def track(a):
    """Branch bases (the skeleton voxel of a branch nearest the body) frame to frame."""
    rows = []
    for f in sorted(glob.glob(a.glob)):
        before = None
        for m, um in frames(f, 1):
            _, lo, body, _, centre = body_and_centre(m, um, a.body_um)
            lab, _ = ndimage.label(centre, FULL)
            out = ndimage.distance_transform_edt(~body) * um
            bases = []
            for i, sl in enumerate(ndimage.find_objects(lab), 1):
                own = lab[sl] == i
                pts, d = np.argwhere(own), out[sl][own]
                if d.max() >= a.min_um:
                    bases.append((pts[d.argmin()] + [s.start for s in sl] + lo) * um)
            bases = np.array(bases).reshape(-1, 3)
            if before is not None and len(bases) and len(before):
                near = np.sqrt(((bases[:, None] - before[None]) ** 2).sum(-1)).min(1)
                rows.append((len(bases), np.mean(near <= 0.5), np.mean(near <= 1.0)))
            before = bases
    r = np.array(rows)
    print(f"{a.glob}: {len(r)} pairs of consecutive frames; {r[:, 0].mean():.1f} branches "
          f"reaching {a.min_um} um beyond the body per frame; their bases within 0.5 um of a "
          f"base in the frame before: {r[:, 1].mean() * 100:.0f} %, within 1 um: "
          f"{r[:, 2].mean() * 100:.0f} %", flush=True)


def convert(a):
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from paper_setting_gpu import Net, write_model
    run = torch.load(a.checkpoint)
    net = Net(run["config"])
    net.load_state_dict(run["net"])
    seqs = json.load(open(os.path.join(a.dataset, "dataset.json")))["sequences"]
    write_model(a.out, net, run["codes"], seqs[: run["codes"].shape[0]])
    print("wrote", a.out)


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
s = sub.add_parser("pieces"); s.add_argument("globs", nargs="+")
s.add_argument("--erode", default=""); s.add_argument("--every", type=int, default=1)
s.set_defaults(func=pieces)
s = sub.add_parser("grid-erosion"); s.add_argument("dataset")
s.add_argument("--rows", type=int, default=0); s.add_argument("--every", type=int, default=1)
s.add_argument("--erode", default="0.001,0.002,0.003,0.005"); s.set_defaults(func=grid_erosion)
s = sub.add_parser("tubes"); s.add_argument("glob")
s.add_argument("--body-um", type=float, default=0.4); s.add_argument("--every", type=int, default=1)
s.set_defaults(func=tubes)
s = sub.add_parser("track"); s.add_argument("glob")
s.add_argument("--body-um", type=float, default=0.4); s.add_argument("--min-um", type=float, default=0.5)
s.set_defaults(func=track)
s = sub.add_parser("convert"); s.add_argument("checkpoint"); s.add_argument("dataset"); s.add_argument("out")
s.set_defaults(func=convert)
a = p.parse_args()
a.func(a)
