"""Times the `edt` package and scipy on the mask that benches/edt.rs wrote, checks cellsdf's
distances against scipy's, and prints one JSON object (seconds, best of `repeats`)."""
import json
import sys
import time

import edt
import numpy as np
from scipy.ndimage import distance_transform_edt

mask_path, ours_path, sz, sy, sx, repeats = sys.argv[1:7]
mask = np.load(mask_path) > 0.5
ours = np.load(ours_path, mmap_mode="r")
spacing = (float(sz), float(sy), float(sx))
repeats = int(repeats)


def best(f):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out


t_edt, d_edt = best(lambda: edt.edt(mask, anisotropy=spacing, black_border=False, parallel=2))
t_scipy, d_scipy = best(lambda: distance_transform_edt(mask, sampling=spacing))
print(json.dumps({
    "edt_s": t_edt,
    "scipy_s": t_scipy,
    "max_abs_diff_vs_scipy_um": float(np.abs(np.asarray(ours, dtype=np.float64) - d_scipy).max()),
    "max_abs_diff_edt_vs_scipy_um": float(np.abs(d_edt.astype(np.float64) - d_scipy).max()),
    "edt_version": edt.__version__ if hasattr(edt, "__version__") else "unknown",
}))
