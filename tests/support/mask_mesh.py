"""Independent mesh figures of a binary mask: scipy's gaussian_filter of the mask padded with
background (sigma per axis in voxels), scikit-image marching_cubes at level 0.5 with the
voxel spacing, mesh_surface_area. Arguments: mask.npy sz sy sx sigma_z sigma_y sigma_x pad_z
pad_y pad_x. Prints JSON {area_um2, vertices, faces}."""
import json
import sys

import numpy as np
from scipy.ndimage import gaussian_filter
from skimage.measure import marching_cubes, mesh_surface_area

mask = np.load(sys.argv[1]).astype(np.float32)
spacing = tuple(float(v) for v in sys.argv[2:5])
sigma = tuple(float(v) for v in sys.argv[5:8])
pad = [(int(p), int(p)) for p in sys.argv[8:11]]
field = gaussian_filter(np.pad(mask, pad), sigma)
verts, faces, _, _ = marching_cubes(field, 0.5, spacing=spacing)
print(json.dumps({"area_um2": float(mesh_surface_area(verts, faces)),
                  "vertices": len(verts), "faces": len(faces)}))
