"""The three dock widgets. Long work runs in a napari thread worker; progress arrives
through a Qt signal (queued to the GUI thread); Cancel makes the next progress callback
return False, which cancels the library call cleanly."""
import threading
from pathlib import Path

import numpy as np
from magicgui.widgets import (CheckBox, ComboBox, Container, FileEdit, FloatSpinBox, Label,
                              ProgressBar, PushButton, SpinBox, Table, create_widget)
from napari.layers import Labels
from napari.qt.threading import create_worker
from qtpy.QtCore import QObject, Signal

import cellsdf

from . import _compute, _io

#: Models trained in this session (name -> path), offered by the synthesis widget.
TRAINED_MODELS = {}


class _Relay(QObject):
    progressed = Signal(float, str)


class _Job(Container):
    """Run/Cancel buttons, progress bar and status line shared by the widgets."""

    def __init__(self, widgets, run_text):
        self._run_btn = PushButton(text=run_text)
        self._cancel_btn = PushButton(text="Cancel", enabled=False)
        self._bar = ProgressBar(min=0, max=1000, value=0)
        self.status = Label(value="")
        super().__init__(widgets=[*widgets, self._run_btn, self._cancel_btn, self._bar, self.status])
        _tooltips({self._run_btn: f"{run_text.lower()} in the background (progress below)",
                   self._cancel_btn: "stop after the current step; nothing half-written is kept"})
        self._relay = _Relay()
        self._relay.progressed.connect(self._show_progress)
        self._cancel = threading.Event()
        self.worker = None
        self._run_btn.changed.connect(self.run)
        self._cancel_btn.changed.connect(self.cancel)

    def _show_progress(self, fraction, stage):
        self._bar.value = int(1000 * max(0.0, min(1.0, fraction)))
        self.status.value = stage

    def progress(self, fraction, stage):
        """Called from the worker thread by the library."""
        self._relay.progressed.emit(fraction, stage)
        return not self._cancel.is_set()

    def cancel(self):
        self._cancel.set()
        self.status.value = "cancelling..."

    def start(self, fn, on_done, *args, **kwargs):
        self._cancel.clear()
        self._run_btn.enabled, self._cancel_btn.enabled = False, True
        # Errors are shown in the status line (errored), not re-raised in the GUI thread.
        self.worker = create_worker(fn, *args, _ignore_errors=True, **kwargs)
        self.worker.returned.connect(on_done)
        self.worker.errored.connect(self._failed)
        self.worker.finished.connect(self._finished)
        self.worker.start()

    def _failed(self, e):
        self._bar.value = 0
        self.status.value = "cancelled" if isinstance(e, cellsdf.Cancelled) else f"error: {e}"

    def _finished(self):
        self._run_btn.enabled, self._cancel_btn.enabled = True, False


def _tooltips(tips):
    """Sets each widget's tooltip (what it is, with its unit)."""
    for widget, text in tips.items():
        widget.tooltip = text


def _model_choices(_widget=None):
    return ["bundled: dividing", "bundled: filopodial", *TRAINED_MODELS, "file"]


def _model_tips(model, model_file):
    """Tooltips of a model combo box and its file field."""
    return {model: "a bundled model (per phantom class), one trained in this session, "
                   "or 'file' for the model file below",
            model_file: "a cellsdf model (.safetensors); Select file... browses"}


def _chosen_model(model, model_file):
    """(model file, label for the manifest) of a model combo box and its file field."""
    choice = model.value
    if choice.startswith("bundled: "):
        kind = choice.split(": ")[1]
        return _compute.bundled_model(kind), kind
    if choice in TRAINED_MODELS:
        return TRAINED_MODELS[choice], str(TRAINED_MODELS[choice])
    path = Path(str(model_file.value or ""))
    if str(path) in ("", ".") or not path.is_file():
        raise ValueError("choose a model file (.safetensors) in 'model file'")
    return path, str(path)


def save_movie(viewer, layer, path, fps=4):
    """An animated GIF of `layer`'s frames (its first axis, time) as the 3D canvas shows them,
    written atomically to `path`; the viewer's 2D/3D mode and time point are restored.
    Returns the number of frames."""
    import os
    import tempfile

    import imageio.v3 as iio

    before = (viewer.dims.ndisplay, viewer.dims.current_step)
    try:
        viewer.dims.ndisplay = 3
        frames = []
        for t in range(layer.data.shape[0]):
            viewer.dims.set_current_step(0, t)
            frames.append(viewer.screenshot(canvas_only=True, flash=False)[..., :3])
    finally:
        viewer.dims.ndisplay = before[0]
        viewer.dims.current_step = before[1]
    path = Path(path)
    fd, tmp = tempfile.mkstemp(suffix=".gif", dir=path.parent)
    os.close(fd)
    try:
        iio.imwrite(tmp, np.stack(frames), extension=".gif", duration=int(1000 / fps), loop=0)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return len(frames)


class SynthesizeWidget(_Job):
    """Synthesize cells: new sequences from a model as 4D Labels layers (t, z, y, x) scaled
    in um, optionally with a Surface layer of the first frame."""

    def __init__(self, napari_viewer):
        self.viewer = napari_viewer
        _io.adopt_viewer(self.viewer)
        self.model = ComboBox(label="model", choices=_model_choices)
        self.model_file = FileEdit(label="model file", filter="*.safetensors")
        self.count = SpinBox(label="sequences", value=1, min=1, max=100)
        self.frames = SpinBox(label="frames", value=10, min=1, max=1000)
        self.size_x = SpinBox(label="size x", value=64, min=2, max=1024)
        self.size_y = SpinBox(label="size y", value=64, min=2, max=1024)
        self.size_z = SpinBox(label="size z", value=64, min=2, max=1024)
        self.voxel = FloatSpinBox(label="voxel (um, 0 fills)", value=0.0, min=0.0, max=100.0, step=0.01)
        self.codes = ComboBox(label="codes", choices=list(_compute.CODE_METHODS), value="neighbours")
        self.param = FloatSpinBox(label="parameter (0 = default)", value=0.0, min=0.0, max=100.0,
                                  step=0.01)
        self.sizes = ComboBox(label="cell sizes", choices=list(_compute.CELL_SIZES),
                              value="training")
        self.seed = SpinBox(label="seed", value=0, min=0, max=2**31 - 1)
        self.tubes = CheckBox(label="filopodia as tubes (models with a tube model)", value=True)
        self.out_dir = FileEdit(label="also save to folder", mode="d", value="")
        self.surface = CheckBox(label="surface (follows the time slider)", value=False)
        self.movie_file = FileEdit(label="3D movie file", mode="w", filter="*.gif", value="")
        self.movie_btn = PushButton(text="Save 3D movie", enabled=False)
        self._last_layer = None
        super().__init__([self.model, self.model_file, self.count, self.frames, self.size_x,
                          self.size_y, self.size_z, self.voxel, self.codes, self.param,
                          self.sizes, self.seed, self.tubes, self.out_dir, self.surface],
                         "Synthesize")
        # Below the progress and status: the movie of what was synthesized.
        self.extend([self.movie_file, self.movie_btn])
        self.movie_btn.changed.connect(self.save_movie)
        _tooltips({
            **_model_tips(self.model, self.model_file),
            self.count: "number of new cell sequences",
            self.frames: "frames per sequence, spread evenly over the model's time span "
                         "(frame interval in s from the model)",
            self.size_x: "grid size along x (voxels)",
            self.size_y: "grid size along y (voxels)",
            self.size_z: "grid size along z (voxels)",
            self.voxel: "voxel size (um, the same on x, y, z); 0 fits the model cube to the grid",
            self.codes: "how new codes are drawn: neighbours (default), fitted Gaussian, "
                        "the paper's normal or around-learned",
            self.param: "the method's parameter (0 = its default): neighbour radius, "
                        "shrinkage, sigma or noise sd (model code units)",
            self.sizes: "training: each new cell's mean volume (um^3) drawn from the training "
                        "cells'; decoded: the size its code decodes to (neighbours and fitted)",
            self.seed: "random seed: the same seed gives the same cells",
            self.tubes: "draw filopodia as tubes attached to the cell body when the model "
                        "carries a tube model (the bundled filopodial model does); off: the "
                        "network's shape as it is",
            self.out_dir: "also write the masks (calibrated TIFF, um and s) and a manifest here",
            self.surface: "add a Surface layer (mesh in um) that follows the time slider",
            self.movie_file: "animated GIF to write (one picture per frame, in 3D)",
            self.movie_btn: "turn the last synthesized sequence in 3D, one frame after the "
                            "other, and save it as an animated GIF (4 frames per second)",
        })

    def model_path(self):
        """(model file, label recorded in the manifest)."""
        return _chosen_model(self.model, self.model_file)

    def run(self):
        try:
            path, label = self.model_path()
        except (FileNotFoundError, ValueError) as e:
            self.status.value = f"error: {e}"
            return
        folder = str(self.out_dir.value or "")
        self.start(_compute.synthesize, self._add_layers, path, count=self.count.value,
                   frames=self.frames.value,
                   size_xyz=(self.size_x.value, self.size_y.value, self.size_z.value),
                   voxel_um=self.voxel.value, codes=self.codes.value,
                   param=self.param.value or None, seed=self.seed.value,
                   tubes=self.tubes.value, sizes=self.sizes.value,
                   out_dir=folder if folder not in ("", ".") else None, model_label=label,
                   progress=self.progress)

    def save_movie(self):
        path = Path(str(self.movie_file.value or ""))
        if self._last_layer is None or self._last_layer not in self.viewer.layers:
            self.status.value = "error: synthesize a sequence first"
            return
        if str(path) in ("", ".") or path.suffix.lower() != ".gif":
            self.status.value = "error: choose a movie file ending in .gif"
            return
        try:
            n = save_movie(self.viewer, self._last_layer, path)
        except OSError as e:
            self.status.value = f"error: {e}"
            return
        self.status.value = f"saved a 3D movie of {n} frames: {path.name}"

    def _add_layers(self, sequences):
        for k, (masks, voxel, interval, _code) in enumerate(sequences):
            name = f"synth seed {self.seed.value} #{k}"
            meta = _compute.layer_meta(voxel, interval)
            self._last_layer = self.viewer.add_labels(masks, name=name, **meta)
            self.movie_btn.enabled = True
            if self.surface.value and masks.any():
                self.viewer.add_surface(_compute.sequence_surface(masks, voxel, interval),
                                        name=f"{name} surface", units=meta["units"],
                                        axis_labels=meta["axis_labels"])
        self.status.value = f"added {len(sequences)} sequence(s)"


class SimulateWidget(_Job):
    """Simulate dataset: microscope-like 3D+t images of several new cells with exact ground
    truth, written in the Cell Tracking Challenge layout and shown as a calibrated Image
    layer (raw, uint16) and Labels layer (ground truth)."""

    def __init__(self, napari_viewer):
        self.viewer = napari_viewer
        _io.adopt_viewer(self.viewer)
        self.model = ComboBox(label="model", choices=_model_choices)
        self.model_file = FileEdit(label="model file", filter="*.safetensors")
        self.phantoms = FileEdit(label="or phantom folder", mode="d", value="")
        self.cells = SpinBox(label="cells", value=3, min=1, max=1000)
        self.frames = SpinBox(label="frames", value=20, min=1, max=10000)
        self.size_x = SpinBox(label="size x", value=128, min=8, max=8192)
        self.size_y = SpinBox(label="size y", value=128, min=8, max=8192)
        self.size_z = SpinBox(label="size z", value=48, min=8, max=8192)
        self.voxel_xy = FloatSpinBox(label="voxel x, y (um)", value=0.2, min=0.001, max=100.0,
                                     step=0.01)
        self.voxel_z = FloatSpinBox(label="voxel z (um)", value=0.4, min=0.001, max=100.0,
                                    step=0.01)
        self.microscope = ComboBox(label="microscope", choices=["widefield", "confocal"],
                                   value="widefield")
        self.na = FloatSpinBox(label="NA", value=1.2, min=0.05, max=1.7, step=0.05)
        self.wavelength = FloatSpinBox(label="wavelength (nm)", value=520.0, min=200.0,
                                       max=2000.0, step=10.0)
        self.index = FloatSpinBox(label="refractive index", value=1.33, min=1.0, max=2.0,
                                  step=0.01)
        self.snr = FloatSpinBox(label="SNR", value=10.0, min=0.1, max=100.0, step=0.5)
        self.rim_um = FloatSpinBox(label="rim (um)", value=0.4, min=0.0, max=100.0, step=0.05)
        self.rim_gain = FloatSpinBox(label="rim gain", value=0.0, min=0.0, max=100.0, step=0.5)
        self.projection = CheckBox(label="also z projection (2D+t)", value=False)
        self.seed = SpinBox(label="seed", value=0, min=0, max=2**31 - 1)
        self.out_dir = FileEdit(label="dataset folder", mode="d", value="")
        super().__init__([self.model, self.model_file, self.phantoms, self.cells, self.frames,
                          self.size_x, self.size_y, self.size_z, self.voxel_xy, self.voxel_z,
                          self.microscope, self.na, self.wavelength, self.index, self.snr,
                          self.rim_um, self.rim_gain, self.projection, self.seed,
                          self.out_dir], "Simulate")
        _tooltips({
            **_model_tips(self.model, self.model_file),
            self.phantoms: "instead of the model: a folder of calibrated label sequences "
                           "(e.g. cellsdf phantom output), one cell per .tif, used in turn",
            self.cells: "number of cells in the field (each from a new code)",
            self.frames: "frames of the time-lapse (frame interval in s from the model)",
            self.size_x: "field size along x (voxels)",
            self.size_y: "field size along y (voxels)",
            self.size_z: "field size along z (voxels)",
            self.voxel_xy: "voxel width and height (um)",
            self.voxel_z: "voxel depth (um)",
            self.microscope: "widefield or confocal: the shape of the Gaussian PSF",
            self.na: "numerical aperture of the objective (no unit), below the refractive index",
            self.wavelength: "emission wavelength (nm)",
            self.index: "refractive index of the immersion medium (no unit)",
            self.snr: "signal-to-noise ratio of the first frame as the Cell Tracking "
                      "Challenge defines it (no unit)",
            self.rim_um: "depth of the stain's bright rim below the cell surface (um)",
            self.rim_gain: "extra brightness of the rim (no unit): 0 a uniform stain, "
                           "e.g. 3 a membrane stain",
            self.projection: "also write and show the maximum projections along z, a 2D+t "
                             "dataset in projection/ (cells then never share an x-y column)",
            self.seed: "random seed: the same seed gives the same dataset",
            self.out_dir: "folder for 01/ and 01_GT/ (Cell Tracking Challenge layout)",
        })

    def run(self):
        folder = str(self.out_dir.value or "")
        if folder in ("", "."):
            self.status.value = "error: choose a dataset folder"
            return
        phantoms = str(self.phantoms.value or "")
        phantoms = "" if phantoms in ("", ".") else phantoms
        path = None
        if phantoms and not Path(phantoms).is_dir():
            self.status.value = f"error: phantom folder {phantoms} does not exist"
            return
        if not phantoms:
            try:
                path, _ = _chosen_model(self.model, self.model_file)
            except (FileNotFoundError, ValueError) as e:
                self.status.value = f"error: {e}"
                return
        self.start(_compute.simulate_dataset, self._add_layers, path, folder,
                   phantoms_dir=phantoms or None,
                   cells=self.cells.value, frames=self.frames.value,
                   size_xyz=(self.size_x.value, self.size_y.value, self.size_z.value),
                   voxel_um=(self.voxel_xy.value, self.voxel_xy.value, self.voxel_z.value),
                   microscope=self.microscope.value, na=self.na.value,
                   wavelength_nm=self.wavelength.value, refractive_index=self.index.value,
                   snr=self.snr.value, rim_um=self.rim_um.value,
                   rim_gain=self.rim_gain.value, projection=self.projection.value,
                   seed=self.seed.value, progress=self.progress)

    def _add_layers(self, result):
        raw, labels, voxel, interval, manifest, projected = result
        meta = _compute.layer_meta(voxel, interval)
        name = f"simulated seed {self.seed.value}"
        self.viewer.add_image(raw, name=f"{name} raw", **meta)
        self.viewer.add_labels(labels, name=f"{name} ground truth", **meta)
        if projected is not None:
            flat = _compute.without_z(meta)
            self.viewer.add_image(projected[0], name=f"{name} z projection", **flat)
            self.viewer.add_labels(projected[1], name=f"{name} z projection ground truth",
                                   **flat)
        snr = manifest["result"]["frames"][0]["snr"]
        tracks = len(manifest["result"]["tracks"])
        self.status.value = f"{tracks} tracks; first frame SNR {snr:.2f}"


class TrainWidget(_Job):
    """Train from labels: a 4D Labels layer whose ids persist over time (one sequence per
    id); the model is saved and offered in the synthesis widget."""

    def __init__(self, napari_viewer):
        self.viewer = napari_viewer
        _io.adopt_viewer(self.viewer)
        self.layer = create_widget(annotation=Labels, label="labels")
        self.folder = FileEdit(label="or folder (labels / CTC)", mode="d", value="")
        self.axes = ComboBox(label="folder files' axes", value="as in the files",
                             choices=["as in the files", "TZYX", "ZTYX", "TYX", "ZYX"])
        self.out = FileEdit(label="save model as", mode="w", filter="*.safetensors",
                            value=str(Path.home() / "cellsdf-model.safetensors"))
        self.arch = ComboBox(label="architecture", choices=["small", "paper"], value="small")
        self.epochs = SpinBox(label="epochs", value=100, min=1, max=100000)
        self.lr = FloatSpinBox(label="learning rate", value=1e-3, min=1e-6, max=1.0, step=1e-4)
        self.seed = SpinBox(label="seed", value=0, min=0, max=2**31 - 1)
        self.moving = CheckBox(label="cells move: centre every frame", value=False)
        super().__init__([self.layer, self.folder, self.axes, self.out, self.arch, self.epochs,
                          self.lr, self.seed, self.moving], "Train")
        _tooltips({
            self.layer: "a 4D Labels layer (t, z, y, x) scaled in um; each id is one cell "
                        "sequence",
            self.folder: "or a folder of label hyperstacks or a Cell Tracking Challenge GT folder",
            self.axes: "what the planes of the folder's TIFFs are, if their metadata is wrong",
            self.out: "where the trained model (.safetensors) is written",
            self.arch: "network size: small (about 20k parameters, fast) or the paper's (216k)",
            self.epochs: "passes over all frames",
            self.lr: "network learning rate (codes 1e-3), both halved every 100 epochs",
            self.seed: "random seed: the same seed gives the same model",
            self.moving: "for time-lapses where cells travel: each frame is centred on its cell "
                         "(shift in um recorded), so the model learns the shape, not the track",
        })
        napari_viewer.layers.events.inserted.connect(lambda e: self.layer.reset_choices())
        napari_viewer.layers.events.removed.connect(lambda e: self.layer.reset_choices())

    def run(self):
        options = dict(arch=self.arch.value, epochs=self.epochs.value, lr_net=self.lr.value,
                       seed=self.seed.value, centre="frame" if self.moving.value else None,
                       progress=self.progress)
        folder = str(self.folder.value or "")
        if folder not in ("", ".") and Path(folder).is_dir():
            axes = None if self.axes.value == "as in the files" else self.axes.value
            self.start(_compute.train_from_folder, self._trained, folder, Path(self.out.value),
                       axes=axes, **options)
            return
        layer = self.layer.value
        if layer is None:
            self.status.value = "error: choose a Labels layer or a folder"
            return
        s = layer.scale
        voxel = (s[-1], s[-2], s[-3])
        self.start(_compute.train_from_labels, self._trained, layer.data, voxel, Path(self.out.value),
                   **options)

    def _trained(self, path):
        TRAINED_MODELS[f"trained: {path.name}"] = path
        self.status.value = f"saved {path}"


class DescriptorsWidget(Container):
    """Shape descriptors: per-cell, per-frame table of a Labels layer, saved as CSV."""

    def __init__(self, napari_viewer):
        self.viewer = napari_viewer
        _io.adopt_viewer(self.viewer)
        self.layer = create_widget(annotation=Labels, label="labels")
        self.compute_btn = PushButton(text="Compute")
        self.table = Table(value=[])
        self.csv = FileEdit(label="CSV", mode="w", filter="*.csv")
        self.save_btn = PushButton(text="Save CSV")
        self.status = Label(value="")
        super().__init__(widgets=[self.layer, self.compute_btn, self.table, self.csv, self.save_btn, self.status])
        _tooltips({
            self.layer: "a Labels layer (t, z, y, x) scaled in um; 0/255 masks count as one "
                        "cell labelled 1",
            self.compute_btn: "measure every cell in every frame (volume um^3, surface um^2, "
                              "sphericity, components; frames from 0)",
            self.table: "one row per cell and frame; lengths in um, times in s",
            self.csv: "where Save CSV writes the table",
            self.save_btn: "write the table as CSV (the same columns as the CLI's describe)",
        })
        self.result = None
        self.compute_btn.changed.connect(self.compute)
        self.save_btn.changed.connect(self.save)
        napari_viewer.layers.events.inserted.connect(lambda e: self.layer.reset_choices())

    def compute(self):
        layer = self.layer.value
        if layer is None:
            self.status.value = "error: choose a Labels layer"
            return
        if layer.data.ndim not in (3, 4):
            self.status.value = (f"error: {layer.name} is {layer.data.ndim}D; descriptors need a 3D "
                                 "(z, y, x) or 4D (t, z, y, x) Labels layer")
            return
        s = layer.scale
        interval = s[0] if layer.data.ndim == 4 and s[0] != 1.0 else None
        try:
            self.result = _compute.describe(layer.data, (s[-1], s[-2], s[-3]), interval)
        except (cellsdf.CellSdfError, ValueError) as e:
            self.status.value = f"error: {e}"
            return
        rows = self.result.rows()
        cols = list(self.result.columns)
        # magicgui reads a dict as a split table only with all three keys.
        self.table.value = {"data": [[r[c] for c in cols] for r in rows],
                            "index": [str(i + 1) for i in range(len(rows))], "columns": cols}
        self.status.value = f"{len(rows)} cells x frames"

    def save(self):
        if self.result is None:
            self.status.value = "error: compute the table first"
            return
        try:
            self.result.write_csv(self.csv.value)
        except cellsdf.CellSdfError as e:
            self.status.value = f"error: {e}"
            return
        self.status.value = f"saved {self.csv.value}"
