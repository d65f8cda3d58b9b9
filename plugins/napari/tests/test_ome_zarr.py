"""cellsdf's OME-Zarr output in a real napari viewer (under Xvfb) through napari-ome-zarr,
as a user opens it: File > Open of the store (viewer.open with the plugin named). The
simulated dataset's raw image comes in as an Image layer and its ground truth as a Labels
layer, both at the right shape and in micrometres and seconds."""
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("napari_ome_zarr")

import cellsdf  # noqa: E402


def test_a_simulated_store_opens_in_napari_ome_zarr_calibrated(make_napari_viewer, tmp_path):
    with cellsdf.Model.load("dividing") as m:
        manifest = m.simulate(tmp_path / "ds", cells=2, frames=3, size_xyz=(80, 72, 24),
                              voxel_um=(0.2, 0.2, 0.4), snr=8.0, format="ome-zarr", seed=4)
    store = tmp_path / "ds" / "01.ome.zarr"
    viewer = make_napari_viewer()
    layers = viewer.open(str(store), plugin="napari-ome-zarr")
    image = [l for l in layers if l.__class__.__name__ == "Image"]
    labels = [l for l in layers if l.__class__.__name__ == "Labels"]
    assert len(image) == 1 and len(labels) == 1, [type(l).__name__ for l in layers]
    raw, truth = image[0], labels[0]
    # The pyramid (72 / 2 = 36 >= 32) comes in as a multiscale layer; level 0 is full size.
    assert raw.multiscale and raw.data[0].shape == (3, 24, 72, 80)
    assert truth.data[0].shape == (3, 24, 72, 80)
    dt = manifest["result"]["frame_interval_s"]
    assert tuple(raw.scale) == pytest.approx((dt, 0.4, 0.2, 0.2))
    assert tuple(truth.scale) == pytest.approx((dt, 0.4, 0.2, 0.2))
    assert [str(u) for u in raw.units] == ["second", "micrometer", "micrometer", "micrometer"]
    assert tuple(raw.axis_labels) == ("t", "z", "y", "x")
    # What the viewer shows is what the library wrote: labels of every track of frame 0.
    tracks = (tmp_path / "ds" / "01_man_track.txt").read_text().split("\n")
    first = {int(r.split()[0]) for r in tracks if r and int(r.split()[1]) == 0}
    shown = set(np.unique(np.asarray(truth.data[0][0]))) - {0}
    assert shown == first
    assert np.asarray(raw.data[0][0]).dtype == np.uint16
