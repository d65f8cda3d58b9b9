"""Writes TIFFs whose metadata misnames their axes, as real files do, for the --axes tests.
Every pixel holds 100 t + 10 z + (y + x) % 10 of its true (t, z, y, x) position (uint16).
- frames_as_channels.tif: ImageJ hyperstack of 5 slices x 4 channels (axes ZCYX) whose
  channels are really the 4 time points;
- plain_pages.tif: 6 pages without any axis metadata that are really 6 time points."""
import sys
from pathlib import Path

import numpy as np
import tifffile

out = Path(sys.argv[1])
t, z, y, x = np.mgrid[:4, :5, :9, :11]
true = (100 * t + 10 * z + (y + x) % 10).astype(np.uint16)
tifffile.imwrite(out / "frames_as_channels.tif", true.transpose(1, 0, 2, 3), imagej=True,
                 metadata={"axes": "ZCYX"})
t6, y6, x6 = np.mgrid[:6, :9, :11]
tifffile.imwrite(out / "plain_pages.tif", (100 * t6 + (y6 + x6) % 10).astype(np.uint16),
                 metadata=None, photometric="minisblack")
print("ok")
