"""A simple segmentation of a simulated dataset, scored as the Cell Tracking Challenge scores
it: each raw frame smoothed by a Gaussian of one voxel (scipy), thresholded by Otsu's method
(scikit-image), split into connected components (face connectivity; components under 20
voxels dropped), then SEG of py-ctcmetrics against the dataset's ground truth. This is the
baseline a real method should beat; it shows the data are neither trivial nor broken.

Usage: baseline_seg.py DATASET WORKDIR   (prints JSON {"SEG": ..., "frames": ...})"""
import json
import sys
from pathlib import Path

import numpy as np
import tifffile
from ctc_metrics.scripts.evaluate import evaluate_sequence
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.measure import label
from skimage.morphology import remove_small_objects

dataset, work = Path(sys.argv[1]), Path(sys.argv[2])
res = work / "01_RES"
res.mkdir(parents=True)
frames = sorted((dataset / "01").glob("t*.tif"))
for f in frames:
    raw = tifffile.imread(f).astype(np.float32)
    smooth = ndimage.gaussian_filter(raw, 1.0)
    cells = remove_small_objects(smooth > threshold_otsu(smooth), max_size=19)
    tifffile.imwrite(res / ("mask" + f.name[1:]), label(cells, connectivity=1).astype(np.uint16))
scores = evaluate_sequence(str(res), str(dataset / "01_GT"), ["SEG"], threads=1)
print(json.dumps({"SEG": scores["SEG"], "frames": len(frames)}))
