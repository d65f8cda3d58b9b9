"""Checks what plugins/fiji/test/macro_test.ijm saved: the synthesized hyperstack (dims,
calibration, non-empty masks, read with tifffile), the descriptor table and the meshes."""
import csv
import sys
from pathlib import Path

import numpy as np
import tifffile

out = Path(sys.argv[1])
with tifffile.TiffFile(out / "synth.tif") as tif:
    data = tif.asarray()
    ij = tif.imagej_metadata
    xres = tif.pages[0].tags["XResolution"].value
assert data.shape == (3, 24, 30, 32), data.shape
assert data.dtype == np.uint8 and data.max() == 255 and (data > 0).sum() > 100
assert ij["unit"] in ("micron", "\\u00B5m", "µm"), ij["unit"]
assert abs(ij["spacing"] - 0.4) < 1e-6 and abs(xres[1] / xres[0] - 0.4) < 1e-6
assert abs(ij["finterval"] - 60) < 1e-6
rows = list(csv.DictReader(open(out / "descriptors.csv")))
assert len(rows) >= 3, rows
assert all(float(r["volume_um3"]) > 0 for r in rows)
meshes = sorted((out / "meshes").glob("*.stl"))
assert len(meshes) == len(rows), (len(meshes), len(rows))
print(f"macro output ok: {data.shape}, {len(rows)} descriptor rows, {len(meshes)} meshes")
