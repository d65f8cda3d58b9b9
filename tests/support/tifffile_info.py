"""Reads a TIFF with tifffile and prints, as JSON, what tifffile (and so napari) sees:
shape, dtype, ImageJ metadata, resolution tags, the pixel sum and values at t,z,y,x positions."""
import json
import sys

import numpy as np
import tifffile

path, positions = sys.argv[1], sys.argv[2:]
with tifffile.TiffFile(path) as tif:
    data = tif.asarray()
    page = tif.pages[0]
    xres = page.tags["XResolution"].value if "XResolution" in page.tags else None
    yres = page.tags["YResolution"].value if "YResolution" in page.tags else None
    meta = tif.imagej_metadata or {}
    axes = tif.series[0].axes
values = {}
for p in positions:
    t, z, y, x = (int(v) for v in p.split(","))
    values[p] = data.reshape((-1,) + data.shape[-3:])[t, z, y, x].item() if data.ndim == 4 else data[z, y, x].item()
print(json.dumps({
    "shape": list(data.shape),
    "dtype": str(data.dtype),
    "axes": axes,
    "is_imagej": bool(meta),
    "spacing": meta.get("spacing"),
    "unit": meta.get("unit"),
    "finterval": meta.get("finterval"),
    "xres": list(xres) if xres else None,
    "yres": list(yres) if yres else None,
    "sum": float(np.asarray(data, dtype=np.float64).sum()),
    "values": values,
}))
