"""Runs py-ctcmetrics (the Cell Tracking Challenge's metrics in Python) on a simulated
dataset's ground truth against itself, as its users run it: a result folder made from the
GT's TRA files (maskNNN.tif, res_track.txt), then validity, SEG, TRA and DET. Prints JSON.

Usage: ctc_check.py DATASET WORKDIR"""
import json
import shutil
import sys
from pathlib import Path

from ctc_metrics.scripts.evaluate import evaluate_sequence

dataset, work = Path(sys.argv[1]), Path(sys.argv[2])
res = work / "01_RES"
res.mkdir(parents=True)
for f in sorted((dataset / "01_GT" / "TRA").glob("man_track*.tif")):
    shutil.copy(f, res / ("mask" + f.name[len("man_track"):]))
shutil.copy(dataset / "01_GT" / "TRA" / "man_track.txt", res / "res_track.txt")
scores = evaluate_sequence(str(res), str(dataset / "01_GT"), ["Valid", "SEG", "TRA", "DET"], threads=1)
print(json.dumps({k: scores[k] for k in ("Valid", "SEG", "TRA", "DET")}))
