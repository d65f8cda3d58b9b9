"""Independent surface areas of the masks in a cellsdf hyperstack: scikit-image marching
cubes on the mask smoothed with a Gaussian of sigma = 1 voxel (level 0.5), with the file's
voxel spacing. Prints one JSON list of areas in um^2, one per frame."""
import json
import sys

import numpy as np
import tifffile
from scipy.ndimage import gaussian_filter
from skimage.measure import marching_cubes, mesh_surface_area

with tifffile.TiffFile(sys.argv[1]) as tif:
    data = tif.asarray()
    meta = tif.imagej_metadata
    xres = tif.pages[0].tags["XResolution"].value
frames = [int(f) for f in sys.argv[2:]]
dx = xres[1] / xres[0]
spacing = (meta["spacing"], dx, dx)
areas = []
for f in frames:
    smooth = gaussian_filter(data[f].astype(np.float32), 1.0)
    verts, faces, _, _ = marching_cubes(smooth, 0.5, spacing=spacing)
    areas.append(mesh_surface_area(verts, faces))
print(json.dumps(areas))
