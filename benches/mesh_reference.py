"""scikit-image marching cubes on a float32 .npy volume: best time of N runs, mesh size and
area. Arguments: volume.npy spacing_z spacing_y spacing_x repeats. Prints JSON."""
import json
import sys
import time

import numpy as np
from skimage.measure import marching_cubes, mesh_surface_area

vol = np.load(sys.argv[1])
spacing = tuple(float(s) for s in sys.argv[2:5])
best = float("inf")
for _ in range(int(sys.argv[5])):
    t = time.perf_counter()
    verts, faces, _, _ = marching_cubes(vol, 0.0, spacing=spacing)
    best = min(best, time.perf_counter() - t)
print(json.dumps({"seconds": best, "vertices": len(verts), "faces": len(faces),
                  "area_um2": float(mesh_surface_area(verts, faces))}))
