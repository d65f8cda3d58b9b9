"""GUI tests with a real napari viewer (run under Xvfb): the synthesis widget adds a
correctly scaled, non-empty 4D Labels layer; Cancel stops a run without adding layers; the
descriptor widget fills its table; a screenshot of the viewer is saved for a look."""
import os
from pathlib import Path

import numpy as np
import pytest

import cellsdf
from napari_cellsdf import _compute, _widgets

MODEL = os.environ.get("CELLSDF_TEST_MODEL", "target/c/work/tiny.safetensors")
SHOTS = Path(os.environ.get("CELLSDF_SCREENSHOTS", "target/napari-screenshots"))


def _shot(viewer, name, size=(1400, 820)):
    """A screenshot of the whole window (linked from the README, `make screenshots`)."""
    viewer.window._qt_window.resize(*size)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return viewer.screenshot(path=str(SHOTS / name), canvas_only=False)


def _cli(*args):
    import subprocess

    exe = Path(__file__).resolve().parents[3] / "target" / "release" / "cellsdf"
    r = subprocess.run([str(exe), "--quiet", *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def _synth_widget(viewer):
    w = _widgets.SynthesizeWidget(viewer)
    viewer.window.add_dock_widget(w, name="Synthesize cells")
    w.model.choices = _widgets._model_choices()
    w.model.value = "file"
    w.model_file.value = MODEL
    w.frames.value = 3
    w.size_x.value, w.size_y.value, w.size_z.value = 32, 30, 28
    w.voxel.value = 0.4
    w.seed.value = 5
    return w


def test_synthesize_widget_adds_a_scaled_labels_layer(make_napari_viewer, qtbot, tmp_path):
    viewer = make_napari_viewer()
    w = _synth_widget(viewer)
    w.out_dir.value = str(tmp_path)
    w.surface.value = True
    w.run()
    qtbot.waitUntil(lambda: len(viewer.layers) >= 1 and w._run_btn.enabled, timeout=120_000)
    layer = viewer.layers[0]
    assert layer.data.shape == (3, 28, 30, 32)
    assert layer.data.dtype == np.uint8 and layer.data.any()
    # Frame interval from the model (its training data's), as the CLI writes it.
    _, _, interval = cellsdf.read_stack(next(tmp_path.glob("synth_000.tif")))
    assert tuple(layer.scale) == pytest.approx((interval or 1.0, 0.4, 0.4, 0.4))
    # What the user sees: micrometres and seconds on labelled axes, and a surface that
    # follows the time slider (one 4D surface holding every frame).
    assert tuple(layer.axis_labels) == ("t", "z", "y", "x")
    assert [str(u) for u in layer.units] == ["second", "micrometer", "micrometer", "micrometer"]
    surface = next(l for l in viewer.layers if l.__class__.__name__ == "Surface")
    assert surface.ndim == 4
    assert sorted(set(surface.data[0][:, 0])) == pytest.approx([0.0, interval, 2 * interval])
    assert "added 1" in w.status.value
    viewer.dims.ndisplay = 3
    viewer.dims.set_point(0, 2)
    viewer.camera.angles = (20, 30, 60)
    viewer.reset_view()
    shot = _shot(viewer, "synthesize-widget.png", (1100, 760))
    assert shot.shape[2] == 4 and shot[..., :3].std() > 1


def test_filopodia_as_tubes_checkbox(make_napari_viewer, qtbot, tmp_path):
    # The bundled filopodial model with the checkbox on (its default): every frame of the
    # Labels layer is one piece, as `cellsdf synth` writes it; off: the network's shape,
    # as `cellsdf synth --no-tubes` writes it.
    from scipy import ndimage

    viewer = make_napari_viewer()
    w = _synth_widget(viewer)
    assert w.tubes.label == "filopodia as tubes (models with a tube model)" and w.tubes.value
    w.model.value = "bundled: filopodial"
    w.frames.value = 2
    w.size_x.value = w.size_y.value = w.size_z.value = 96
    w.voxel.value = 0.2
    cli_args = ["--model", "filopodial", "--count", 1, "--frames", 2, "--size", "96,96,96",
                "--voxel-um", 0.2, "--seed", 5]
    for on in (True, False):
        w.tubes.value = on
        w.out_dir.value = str(tmp_path / f"napari-{on}")
        n = len(viewer.layers)
        w.run()
        qtbot.waitUntil(lambda: len(viewer.layers) > n and w._run_btn.enabled, timeout=120_000)
        data = viewer.layers[-1].data
        pieces = [ndimage.label(f, np.ones((3, 3, 3)))[1] for f in data]
        _cli("synth", "--out", tmp_path / f"cli-{on}", *cli_args, *([] if on else ["--no-tubes"]))
        assert ((tmp_path / f"napari-{on}" / "synth_000.tif").read_bytes()
                == (tmp_path / f"cli-{on}" / "synth_000.tif").read_bytes())
        if on:
            assert pieces == [1, 1], pieces
        else:
            assert max(pieces) > 1, pieces


def test_cell_sizes_combo(make_napari_viewer, qtbot, tmp_path):
    # "cell sizes": training (the default) gives each new cell a size drawn from the
    # training cells', decoded its code's own. With the cell filling the grid (voxel 0) the
    # size shows as the layer's voxel size in um: each the voxel size `cellsdf synth
    # --sizes` records, and the two differ.
    import json

    viewer = make_napari_viewer()
    w = _synth_widget(viewer)
    assert w.sizes.label == "cell sizes" and w.sizes.value == "training"
    assert list(w.sizes.choices) == ["training", "decoded"]
    w.model.value = "bundled: dividing"
    w.frames.value = 2
    w.size_x.value = w.size_y.value = w.size_z.value = 24
    w.voxel.value = 0.0
    w.seed.value = 6
    scales = {}
    for sizes in ("training", "decoded"):
        w.sizes.value = sizes
        n = len(viewer.layers)
        w.run()
        qtbot.waitUntil(lambda: len(viewer.layers) > n and w._run_btn.enabled, timeout=120_000)
        scales[sizes] = tuple(viewer.layers[-1].scale[1:])
        _cli("synth", "--out", tmp_path / sizes, "--model", "dividing", "--count", 1, "--frames", 2,
             "--size", "24,24,24", "--seed", 6, "--sizes", sizes)
        v = json.loads((tmp_path / sizes / "manifest.json").read_text())["sequences"][0]["voxel_um"]
        assert scales[sizes] == pytest.approx((v["z"], v["y"], v["x"]))
    assert scales["training"] != pytest.approx(scales["decoded"])


def test_a_3d_frame_of_the_bundled_model(make_napari_viewer):
    # What a user looks at first: one frame of a new dividing cell from the bundled model,
    # as a shaded surface in 3D, micrometres on the scale bar.
    viewer = make_napari_viewer()
    masks, voxel, interval, _ = _compute.synthesize("dividing", count=1, frames=5,
                                                    size_xyz=(96, 96, 96), voxel_um=0.1,
                                                    seed=3)[0]
    vertices, faces = _compute.frame_surface(masks[4], voxel)
    surface = viewer.add_surface((vertices, faces), name="dividing, frame 4", shading="smooth",
                                 colormap="bop orange", units="um")
    viewer.scale_bar.visible = True
    viewer.dims.ndisplay = 3
    viewer.camera.angles = (15, 35, 70)
    viewer.window._qt_window.resize(1100, 760)
    viewer.reset_view()
    viewer.camera.zoom *= 0.6
    # The surface spans the cell: micrometres, a few um across (not voxels, not metres).
    extent = vertices.max(axis=0) - vertices.min(axis=0)
    assert ((extent > 1.0) & (extent < 9.6)).all(), extent
    assert str(surface.units[0]) == "micrometer"
    shot = _shot(viewer, "3d-frame.png", (1100, 760))
    # Cell and background both visible: the picture is not blank.
    assert shot[..., :3].std() > 5


def test_cancel_stops_synthesis_without_a_layer(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    w = _synth_widget(viewer)
    w.frames.value = 40
    w.size_x.value = w.size_y.value = w.size_z.value = 96
    w.run()
    w.cancel()
    qtbot.waitUntil(lambda: w._run_btn.enabled, timeout=120_000)
    assert w.status.value == "cancelled"
    assert len(viewer.layers) == 0


def test_synthesize_without_a_model_file_says_so(make_napari_viewer):
    viewer = make_napari_viewer()
    w = _synth_widget(viewer)
    w.model_file.value = ""
    w.run()
    assert w.status.value == "error: choose a model file (.safetensors) in 'model file'"
    assert len(viewer.layers) == 0


def test_descriptor_widget_table(make_napari_viewer, tmp_path):
    viewer = make_napari_viewer()
    z, y, x = np.mgrid[:20, :24, :26]
    ball = (((x - 12) ** 2 + (y - 12) ** 2 + (z - 10) ** 2) <= 36).astype(np.uint8)
    viewer.add_labels(np.stack([ball, ball * 3]), scale=(1, 0.2, 0.2, 0.2))
    w = _widgets.DescriptorsWidget(viewer)
    w.layer.reset_choices()
    w.compute()
    headers = list(w.table.column_headers)
    assert headers[:3] == ["frame", "label", "volume_um3"] and "time_s" in headers
    data = w.table.data.to_list()
    assert [row[headers.index("label")] for row in data] == [1, 3]
    assert data[0][headers.index("voxel_volume_um3")] == pytest.approx(ball.sum() * 0.008)
    assert w.status.value == "2 cells x frames"
    dock = viewer.window.add_dock_widget(w, name="Shape descriptors")
    dock.setMinimumWidth(900)  # room for the descriptor columns in the picture
    _shot(viewer, "descriptors-widget.png", (1700, 820))
    w.csv.value = str(tmp_path / "d.csv")
    w.save()
    lines = (tmp_path / "d.csv").read_text().splitlines()
    assert lines[0].startswith("source,frame,label,volume_um3") and len(lines) == 3
    (tmp_path / "notes.csv").write_text("mine")
    w.csv.value = str(tmp_path / "notes.csv")
    w.save()
    assert w.status.value.startswith("error:") and "notes.csv" in w.status.value
    assert (tmp_path / "notes.csv").read_text() == "mine"
    viewer.add_labels(ball[0], name="flat")
    w.layer.reset_choices()
    w.layer.value = viewer.layers["flat"]
    w.compute()
    assert w.status.value.startswith("error: flat is 2D")


def test_train_widget_offers_the_model_to_synthesis(make_napari_viewer, qtbot, tmp_path):
    viewer = make_napari_viewer()
    # A cell that grows and moves 2 voxels (0.5 um) in x per frame.
    t, z, y, x = np.mgrid[:3, :16, :18, :20]
    cell = (((x - 8 - 2 * t) ** 2 + (y - 9) ** 2 + (z - 8) ** 2) <= (4 + t) ** 2).astype(np.uint8)
    viewer.add_labels(cell, scale=(1, 0.25, 0.25, 0.25), name="cell")
    w = _widgets.TrainWidget(viewer)
    w.layer.reset_choices()
    w.out.value = str(tmp_path / "trained.safetensors")
    w.epochs.value = 3
    assert w.moving.label == "cells move: centre every frame" and "um" in w.moving.tooltip
    w.moving.value = True
    w.run()
    qtbot.waitUntil(lambda: w._run_btn.enabled, timeout=120_000)
    if not cellsdf.has_training():
        # A libcellsdf without libtorch: the widget says why, and nothing is written.
        assert w.status.value.startswith("error: ") and "needs libtorch" in w.status.value
        assert not (tmp_path / "trained.safetensors").exists()
        return
    assert (tmp_path / "trained.safetensors").exists(), w.status.value
    assert "trained: trained.safetensors" in _widgets._model_choices()
    # Each frame was centred on the cell: the model records the shifts (x, y, z) um.
    import json
    import struct

    with open(tmp_path / "trained.safetensors", "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    seq, = json.loads(header["__metadata__"]["model"])["sequences"]
    assert np.asarray(seq["frame_offset_um"]).ravel() == pytest.approx(
        [0, 0, 0, 0.5, 0, 0, 1.0, 0, 0], abs=1e-9)
    viewer.window.add_dock_widget(w, name="Train from labels")
    _shot(viewer, "train-widget.png")


def test_every_control_has_a_tooltip_with_its_unit(make_napari_viewer):
    from napari_cellsdf._widgets import (DescriptorsWidget, SimulateWidget, SynthesizeWidget,
                                         TrainWidget)

    viewer = make_napari_viewer()
    for cls in (SynthesizeWidget, SimulateWidget, TrainWidget, DescriptorsWidget):
        w = cls(viewer)
        for child in w:
            if type(child).__name__ in ("Label", "ProgressBar"):
                continue
            assert child.tooltip, f"{cls.__name__}.{child.label} has no tooltip"
    s = SynthesizeWidget(viewer)
    # What the user sees on hover is the Qt widget's tooltip.
    assert s.voxel.native.toolTip() == s.voxel.tooltip
    assert "(voxels)" in s.size_x.tooltip and "um" in s.voxel.tooltip
    assert "s from the model" in s.frames.tooltip
    d = DescriptorsWidget(viewer)
    assert "um^3" in d.compute_btn.tooltip and "label" in d.layer.tooltip


def test_tiff_files_open_calibrated_once_the_plugin_is_used(make_napari_viewer, tmp_path):
    # napari asks which reader to use for a TIFF (two plugins claim it) unless a preference
    # is set; using a Cell SDF widget sets napari-cellsdf where the user chose none, so a
    # hyperstack dragged in (napari's open without a named plugin) comes in calibrated, and
    # one opened by napari's own reader gets the file's calibration.
    from napari.settings import get_settings

    p = tmp_path / "cells.tif"
    cellsdf.write_stack(p, (np.arange(3 * 6 * 7 * 8).reshape(3, 6, 7, 8) % 5 == 0).astype(np.uint8),
                        (0.2, 0.3, 0.5), 30.0)
    viewer = make_napari_viewer()
    get_settings().plugins.extension2reader = {"*.tiff": "napari"}  # the user's own choice
    _widgets.DescriptorsWidget(viewer)
    assert get_settings().plugins.extension2reader == {"*.tiff": "napari", "*.tif": "napari-cellsdf"}
    (layer,) = viewer.open(p, plugin=None)
    # And napari's default, `viewer.open(path)` (napari's own reader), gets the calibration.
    (default,) = viewer.open(p)
    assert default.source.reader_plugin == "napari"
    for layer in (layer, default):
        assert tuple(layer.scale) == pytest.approx((30.0, 0.5, 0.3, 0.2))
        assert [str(u) for u in layer.units] == ["second", "micrometer", "micrometer",
                                                 "micrometer"]
        assert tuple(layer.axis_labels) == ("t", "z", "y", "x")


def test_the_default_save_writes_a_calibrated_hyperstack(make_napari_viewer, tmp_path):
    # File > Save Selected Layers offers the writers in napari's order and preselects the
    # first; once the plugin is used, that is cellsdf's hyperstack writer, not napari's
    # builtin TIFF (uint32, axes QQYX, no voxel size). The dialog's default choice is taken
    # here exactly as napari decodes it.
    import tifffile
    from napari._qt.qt_viewer import _npe2_decode_selected_filter
    from napari.plugins import _npe2

    viewer = make_napari_viewer()
    _widgets.DescriptorsWidget(viewer)
    data = np.zeros((3, 6, 7, 8), np.uint16)
    data[:, 2:4, 2:5, 3:6] = 7
    layer = viewer.add_labels(data, name="cells", scale=(30.0, 0.5, 0.3, 0.2),
                              units=("s", "um", "um", "um"), axis_labels=("t", "z", "y", "x"))
    viewer.layers.selection = {layer}
    ext_str, writers = _npe2.file_extensions_string_for_layers([layer])
    default_filter = ext_str.split(";;")[0]
    assert default_filter == "Cell SDF cellsdf hyperstack (*.tif)"
    writer = _npe2_decode_selected_filter(ext_str, default_filter, writers)
    saved = viewer.layers.save(str(tmp_path / "dialog.tif"), selected=True, _writer=writer)
    # And a script's plain save of the layer picks the same writer.
    plain = viewer.layers.save(str(tmp_path / "plain.tif"), selected=True)
    for path in saved + plain:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            assert series.axes == "TZYX" and series.dtype == np.uint8, (path, series.axes)
            ij = tif.imagej_metadata
            assert ij["spacing"] == pytest.approx(0.5) and ij["finterval"] == pytest.approx(30.0)
            np.testing.assert_array_equal(series.asarray(), data)


def test_a_3d_movie_of_the_synthesized_sequence(make_napari_viewer, qtbot, tmp_path):
    viewer = make_napari_viewer(show=True)
    w = _synth_widget(viewer)
    w.save_movie()
    assert w.status.value == "error: synthesize a sequence first"
    w.run()
    qtbot.waitUntil(lambda: len(viewer.layers) >= 1 and w._run_btn.enabled, timeout=120_000)
    assert w.movie_btn.enabled
    w.movie_file.value = str(tmp_path / "cell.gif")
    w.save_movie()
    assert w.status.value == "saved a 3D movie of 3 frames: cell.gif"
    import imageio.v3 as iio

    movie = iio.imread(tmp_path / "cell.gif")
    assert movie.shape[0] == 3
    # Pictures of a cell (not blank), one per frame; the viewer is back in 2D.
    assert all(frame[..., :3].std() > 1 for frame in movie)
    assert not np.array_equal(movie[0], movie[-1]), "the cell does not change over time"
    assert viewer.dims.ndisplay == 2
    assert [p.name for p in tmp_path.iterdir()] == ["cell.gif"]  # no temporary file left


def test_simulate_widget_adds_calibrated_raw_and_ground_truth(make_napari_viewer, qtbot, tmp_path):
    viewer = make_napari_viewer()
    w = _widgets.SimulateWidget(viewer)
    w.run()
    assert w.status.value == "error: choose a dataset folder"
    w.out_dir.value = str(tmp_path / "ds")
    w.cells.value, w.frames.value = 2, 3
    w.size_x.value, w.size_y.value, w.size_z.value = 64, 64, 24
    w.snr.value = 8.0
    w.projection.value = True
    w.run()
    qtbot.waitUntil(lambda: len(viewer.layers) >= 4 and w._run_btn.enabled, timeout=120_000)
    raw, truth, flat, flat_truth = (viewer.layers[i] for i in range(4))
    assert raw.data.dtype == np.uint16 and raw.data.shape == (3, 24, 64, 64)
    assert truth.data.shape == raw.data.shape and truth.data.max() >= 2
    # What the user sees: micrometres and seconds, the tracks and the SNR reached.
    assert tuple(raw.scale[1:]) == pytest.approx((0.4, 0.2, 0.2))
    assert [str(u) for u in raw.units] == ["second", "micrometer", "micrometer", "micrometer"]
    # The z projection: the brightest voxel of each column, each column's cell.
    assert flat.name == "simulated seed 0 z projection"
    assert flat.data.shape == (3, 64, 64) and tuple(flat.axis_labels) == ("t", "y", "x")
    assert [str(u) for u in flat.units] == ["second", "micrometer", "micrometer"]
    np.testing.assert_array_equal(flat.data, raw.data.max(axis=1))
    assert set(np.unique(flat_truth.data)) == set(np.unique(truth.data))
    tracks = (tmp_path / "ds" / "01_GT" / "TRA" / "man_track.txt").read_text().splitlines()
    head, snr = w.status.value.rsplit(" ", 1)
    assert head == f"{len(tracks)} tracks; first frame SNR" and abs(float(snr) - 8.0) < 0.8
    assert (tmp_path / "ds" / "01" / "t002.tif").exists()
    viewer.window.add_dock_widget(w, name="Simulate dataset")
    _shot(viewer, "simulate-widget.png", (1400, 980))
    # A phantom folder that is not there: a message, no run.
    w.phantoms.value = str(tmp_path / "missing")
    w.run()
    assert w.status.value == f"error: phantom folder {tmp_path / 'missing'} does not exist"
