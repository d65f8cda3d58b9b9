"""Writes TIFF files the way other tools do (tifffile, as used by napari and scikit-image),
for cellsdf's reader tests. Prints a JSON list of {file, shape, dtype, sum, voxel, finterval}
describing what each good file holds; bad files are listed with "bad": the problem."""
import json
import sys
from pathlib import Path

import numpy as np
import tifffile

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(7)
files = []


def record(name, data, voxel=None, finterval=None):
    files.append({"file": name, "shape": list(data.shape), "dtype": str(data.dtype),
                  "sum": float(data.astype(np.float64).sum()), "voxel": voxel,
                  "finterval": finterval,
                  "probe": [int(i) for i in np.unravel_index(int(np.argmax(data)), data.shape)],
                  "probe_value": float(data.max())})


# ImageJ hyperstack (t, z, y, x), uint16, calibrated: what Fiji users save.
a = rng.integers(0, 4000, size=(3, 5, 17, 23), dtype=np.uint16)
tifffile.imwrite(out / "ij_u16.tif", a, imagej=True, resolution=(1 / 0.2, 1 / 0.25),
                 metadata={"axes": "TZYX", "spacing": 1.5, "unit": "um", "finterval": 30.0})
record("ij_u16.tif", a, voxel=[0.2, 0.25, 1.5], finterval=30.0)

# Label image, int32, LZW-compressed, 3D (z, y, x), no calibration.
b = rng.integers(0, 9, size=(6, 31, 29), dtype=np.int32)
tifffile.imwrite(out / "lzw_i32.tif", b, compression="lzw")
record("lzw_i32.tif", b)

# float32, Deflate-compressed with predictor, tifffile "shaped" 4D layout.
c = rng.normal(size=(2, 5, 16, 12)).astype(np.float32)
tifffile.imwrite(out / "deflate_f32.tif", c, compression="zlib", predictor=True,
                 photometric="minisblack")
record("deflate_f32.tif", c)

# uint32 labels, one z-stack, uncompressed, with a tifffile shape description.
d = rng.integers(0, 70000, size=(7, 9, 11), dtype=np.uint32)
tifffile.imwrite(out / "plain_u32.tif", d)
record("plain_u32.tif", d)

# Bad: pages of different sizes.
tifffile.imwrite(out / "bad_sizes.tif", np.zeros((8, 8), np.uint8))
tifffile.imwrite(out / "bad_sizes.tif", np.zeros((9, 8), np.uint8), append=True)
files.append({"file": "bad_sizes.tif", "bad": "page 1 is 8x9"})

# Bad: 64-bit integers (no microscopy tool writes them as labels; cellsdf refuses them).
tifffile.imwrite(out / "bad_i64.tif", np.zeros((2, 5, 5), np.int64), photometric="minisblack")
files.append({"file": "bad_i64.tif", "bad": "unsupported sample format"})

# Bad: RGB.
tifffile.imwrite(out / "bad_rgb.tif", np.zeros((4, 4, 3), np.uint8), photometric="rgb")
files.append({"file": "bad_rgb.tif", "bad": "unsupported pixel layout"})

print(json.dumps(files))
