"""Checks what plugins/fiji/test/macro_test.ijm saved: the synthesized hyperstack (dims,
calibration, non-empty masks, read with tifffile), the descriptor table, the same masks as
ImageJ binary 0/255 (one cell, label 1), the meshes, the 3D movie, and, when the library can train
($EXPECT_TRAINING=1; 0 when it must not), the model trained from the image.

Usage: check_macro_output.py OUT_DIR"""
import csv
import json
import os
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
assert data.dtype == np.uint8 and data.max() == 1 and (data > 0).sum() > 100
assert ij["unit"] in ("micron", "\\u00B5m", "µm"), ij["unit"]
assert abs(ij["spacing"] - 0.4) < 1e-6 and abs(xres[1] / xres[0] - 0.4) < 1e-6
# The frame interval is the model's (as the CLI writes it), the same as the library's file.
with tifffile.TiffFile(out / "synth" / "synth_000.tif") as lib:
    assert abs(ij["finterval"] - lib.imagej_metadata["finterval"]) < 1e-9
    assert (lib.asarray() == data).all()
rows = list(csv.DictReader(open(out / "descriptors.csv")))
assert len(rows) >= 3, rows
assert {"frame", "label", "volume_um3", "time_s"} <= set(rows[0]), rows[0].keys()
assert sorted({int(float(r["frame"])) for r in rows}) == [0, 1, 2]
assert all(float(r["volume_um3"]) > 0 for r in rows)
seen = (out / "results_seen_by_macro.txt").read_text().split()
assert int(seen[0]) == len(rows), (seen, len(rows))
assert abs(float(seen[1]) - float(rows[0]["voxel_volume_um3"])) < 1e-3 * float(seen[1]), seen
binary = (out / "binary_seen_by_macro.txt").read_text().split()
assert int(binary[0]) == len(rows) and float(binary[1]) == 1.0, binary
assert abs(float(binary[2]) - float(rows[0]["voxel_volume_um3"])) < 1e-3 * float(binary[2]), binary
meshes = sorted((out / "meshes").glob("*.stl"))
assert len(meshes) == len(rows), (len(meshes), len(rows))
# The 3D movie: one rendering per frame, written as an AVI that ImageJ reopens.
movie = (out / "movie_seen_by_macro.txt").read_text().split()
assert movie[0] == movie[1] == "3" and int(movie[2]) >= 32, movie
assert (out / "movie.avi").read_bytes()[:4] == b"RIFF" and not list(out.glob(".movie*"))
# The simulated dataset: CTC files, and the ground truth the macro had open last (16-bit,
# 20 slices x 2 frames).
assert (out / "simulated" / "01" / "t001.tif").exists()
assert (out / "simulated" / "01_GT" / "TRA" / "man_track.txt").read_text().strip()
seen = (out / "simulated_seen_by_macro.txt").read_text().split()
assert seen[1:] == ["16", "40"], seen
training = (out / "training.txt").read_text().strip()
expected = os.environ.get("EXPECT_TRAINING")
if expected is not None:
    assert training == {"1": "true", "0": "false"}[expected], (training, expected)
model = out / "trained.safetensors"
if training == "true":
    raw = model.read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    meta = json.loads(header["__metadata__"]["model"])
    assert header["__metadata__"]["format"] == "cellsdf-model"
    # One cell (the 0/255 mask), trained for the 2 epochs asked, voxel size of the image.
    assert len(meta["sequences"]) == 1 and meta["training"]["epochs_done"] == 2, meta["training"]
    assert abs(meta["sequences"][0]["voxel_um"]["z"] - 0.3) < 1e-9, meta["sequences"][0]
else:
    assert training == "false" and not model.exists(), training
print(f"macro output ok: {data.shape}, {len(rows)} descriptor rows, {len(meshes)} meshes, "
      f"training {training}")
