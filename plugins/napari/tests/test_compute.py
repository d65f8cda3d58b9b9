"""Qt-free tests of the plugin's compute functions, reader, writer and sample data."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import cellsdf
from napari_cellsdf import _compute, _io, _sample

MODEL = os.environ.get("CELLSDF_TEST_MODEL", "target/c/work/tiny.safetensors")


def two_cells():
    t, z, y, x = np.mgrid[:3, :20, :24, :26]
    a = ((x - 8.3) ** 2 + (y - 11.6) ** 2 + (z - 9.8) ** 2) * 0.04 <= (0.7 + 0.1 * t) ** 2
    b = ((x - 19.1) ** 2 + (y - 12.2) ** 2 + (z - 10.3) ** 2) * 0.04 <= (0.7 + 0.1 * t) ** 2
    return (a * 1 + b * 2).astype(np.uint16)


def _cli(*args):
    exe = Path(__file__).resolve().parents[3] / "target" / "release" / "cellsdf"
    r = subprocess.run([str(exe), "--quiet", *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_synthesize_gives_the_cli_files(tmp_path):
    out = _compute.synthesize(MODEL, count=2, frames=3, size_xyz=(24, 20, 16), voxel_um=0.5,
                              seed=1, out_dir=tmp_path / "napari")
    _cli("synth", "--model", MODEL, "--out", tmp_path / "cli", "--count", 2, "--frames", 3,
         "--size", "24,20,16", "--voxel-um", 0.5, "--seed", 1)
    assert len(out) == 2
    for k, (masks, voxel, interval, code) in enumerate(out):
        name = f"synth_{k:03}.tif"
        assert (tmp_path / "napari" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
        assert masks.shape == (3, 16, 20, 24) and masks.dtype == np.uint8 and masks.sum() > 10
        cli = json.loads((tmp_path / "cli" / "manifest.json").read_text())["sequences"][k]
        assert _compute.napari_scale(voxel, interval) == pytest.approx(
            (cli["frame_interval_s"] or 1.0, 0.5, 0.5, 0.5))
        np.testing.assert_array_equal(code, np.asarray(cli["code"], np.float32))
    with pytest.raises(cellsdf.Cancelled):
        _compute.synthesize(MODEL, frames=3, size_xyz=(16, 16, 16), progress=lambda f, s: False)


def test_describe_table_is_the_cli_table(tmp_path):
    path = tmp_path / "cells.tif"
    cellsdf.write_stack(path, two_cells(), (0.2, 0.2, 0.2), 60.0)
    _cli("describe", path, "--out", tmp_path / "cli.csv")
    table = _compute.describe(two_cells(), (0.2, 0.2, 0.2), 60.0)
    rows = table.rows()
    assert [(r["frame"], r["label"]) for r in rows] == [(t, l) for t in range(3) for l in (1, 2)]
    cli = (tmp_path / "cli.csv").read_text().splitlines()
    assert cli[0].split(",")[1:] == list(table.columns)
    for line, r in zip(cli[1:], rows, strict=True):
        cells = line.split(",")[1:]
        assert [float(c) if c else np.nan for c in cells] == pytest.approx(
            [r[c] for c in table.columns], nan_ok=True)
    # Voxel volume against numpy.
    assert rows[4]["voxel_volume_um3"] == pytest.approx((two_cells()[2] == 1).sum() * 0.008)


def test_train_from_labels(tmp_path):
    # What the model records of its training sequences comes from the labels given: one
    # sequence per label, 3 frames, the voxel size of the layer and of the files.
    if not cellsdf.has_training():
        # A libcellsdf without libtorch refuses, says why, and writes nothing.
        with pytest.raises(cellsdf.Unsupported, match="needs libtorch"):
            _compute.train_from_labels(two_cells(), (0.2, 0.25, 0.5), tmp_path / "m.safetensors",
                                       epochs=5)
        assert not (tmp_path / "m.safetensors").exists()
        return
    path = _compute.train_from_labels(two_cells(), (0.2, 0.25, 0.5), tmp_path / "m.safetensors",
                                      epochs=5)
    with cellsdf.Model.load(path) as m:
        assert m.sequences == 2
        for i in range(2):
            info = m.sequence_info(i)
            assert info["frames"] == 3 and info["voxel_um"] == pytest.approx((0.2, 0.25, 0.5))
            assert info["frame_interval_s"] is None
    folder = tmp_path / "labels"
    folder.mkdir()
    cellsdf.write_stack(folder / "cells.tif", two_cells(), (0.2, 0.2, 0.2), 45.0)
    path = _compute.train_from_folder(folder, tmp_path / "f.safetensors", epochs=3)
    with cellsdf.Model.load(path) as m:
        assert m.sequences == 2
        assert m.sequence_info(1)["frame_interval_s"] == pytest.approx(45.0)
        # Label 2's centre (x, y, z) um: the sphere is centred at voxel (19.1, 12.2, 10.3).
        assert m.sequence_info(1)["centre_um"] == pytest.approx((19.1 * 0.2, 12.2 * 0.2, 10.3 * 0.2),
                                                               abs=0.15)
    with pytest.raises(ValueError, match="4D"):
        _compute.train_from_labels(two_cells()[0], (0.2, 0.2, 0.2), tmp_path / "x.safetensors")


def test_reader_writer_and_surface(tmp_path):
    p = tmp_path / "cells.tif"
    _io.write_labels(str(p), two_cells(), {"scale": (30.0, 0.5, 0.2, 0.2)})
    (data, meta, kind), = _io.get_reader(str(p))(str(p))
    assert kind == "labels" and data.shape == (3, 20, 24, 26)
    assert meta["scale"] == pytest.approx((30.0, 0.5, 0.2, 0.2))
    assert meta["units"] == ("second", "micrometer", "micrometer", "micrometer")
    assert meta["axis_labels"] == ("t", "z", "y", "x")
    # A layer saved back keeps the interval; one without a time calibration writes none.
    _io.write_labels(str(tmp_path / "again.tif"), data, meta)
    assert cellsdf.read_stack(tmp_path / "again.tif")[2] == pytest.approx(30.0)
    _io.write_labels(str(tmp_path / "frames.tif"), data,
                     {"scale": (1.0, 0.5, 0.2, 0.2), "units": ("pixel", "micrometer", "micrometer", "micrometer")})
    assert cellsdf.read_stack(tmp_path / "frames.tif")[2] is None
    verts, faces = _compute.frame_surface(two_cells()[0] == 1, (0.2, 0.2, 0.2))
    assert verts.shape[1] == 3 and faces.max() < len(verts)
    m = cellsdf.Mesh.from_mask(two_cells()[0] == 1, (0.2, 0.2, 0.2))
    m.write(tmp_path / "c.ply")
    ((v2, f2), meta2, kind2), = _io.read(str(tmp_path / "c.ply"))
    assert kind2 == "surface" and np.allclose(v2, verts) and (f2 == faces).all()


def test_sample_data_uses_the_bundled_model(tmp_path, monkeypatch):
    shutil.copy(MODEL, tmp_path / "dividing.safetensors")
    monkeypatch.setenv("CELLSDF_MODELS", str(tmp_path))
    (data, meta, kind), = _sample.generated_dividing()
    assert kind == "labels" and data.ndim == 4 and data.any()
    assert _compute.bundled_model("dividing") == tmp_path / "dividing.safetensors"
    with pytest.raises(ValueError, match="spherical"):
        _compute.bundled_model("spherical")


def test_surface_layer_is_the_cli_mesh(tmp_path):
    """The Surface napari shows for a label is the mesh `cellsdf mesh` writes for it."""
    path = tmp_path / "cells.tif"
    cellsdf.write_stack(path, two_cells(), (0.2, 0.2, 0.2))
    _cli("mesh", path, "--format", "ply", "--out", tmp_path / "m")
    verts, faces = _compute.frame_surface(two_cells()[0] == 1, (0.2, 0.2, 0.2))
    with cellsdf.Mesh.read(tmp_path / "m" / "cells_t000_label1.ply") as cli_mesh:
        cli_zyx = cli_mesh.vertices[:, ::-1]
        assert len(cli_zyx) == len(verts) and len(cli_mesh.faces) == len(faces)
        np.testing.assert_allclose(np.sort(verts, axis=0), np.sort(cli_zyx, axis=0), atol=1e-5)


def test_bundled_models_load_by_name():
    # `cellsdf.Model.load("dividing")` loads the bundled model, as the CLI's --model does:
    # from the wheel's own models/ when cellsdf is installed from its wheel (make
    # wheel-test), else the repository's; either way the file is the repository's.
    repo_models = Path(__file__).resolve().parents[3] / "models"
    package = Path(cellsdf.__file__).resolve().parent
    for name in ("dividing", "filopodial"):
        path = cellsdf.resolve_model(name)
        if (package / "models").is_dir():
            assert path.parent == package / "models", path
        assert path.read_bytes() == (repo_models / f"{name}.safetensors").read_bytes()
        with cellsdf.Model.load(name) as m:
            assert m.sequences == 32 and m.info.code_size > 0
    with pytest.raises(cellsdf.CellSdfError, match="dividing, filopodial"):
        cellsdf.Model.load("no-such-class")


def test_a_wheel_install_synthesizes_without_torch():
    # Installed from the cellsdf wheel alone (no cellsdf-train): the library is the wheel's,
    # built without libtorch, and torch is not needed to synthesize.
    package = Path(cellsdf.__file__).resolve().parent
    if not (package / "libcellsdf.so").exists() or os.environ.get("CELLSDF_LIBRARY"):
        pytest.skip("not a wheel install (make wheel-test runs this)")
    import importlib.util
    import sys

    assert not cellsdf.has_training()
    assert importlib.util.find_spec("cellsdf_train") is None
    masks, _, _, _ = _compute.synthesize("dividing", count=1, frames=2, size_xyz=(32, 32, 32),
                                         voxel_um=0.25, seed=1, out_dir=None)[0]
    assert masks.sum() > 100
    assert "torch" not in sys.modules
