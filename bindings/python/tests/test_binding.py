"""Qt-free tests of the Python binding against libcellsdf and independent references
(numpy, scipy, tifffile). CELLSDF_TEST_MODEL names a tiny trained model."""
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
import tifffile

import cellsdf

MODEL = os.environ.get("CELLSDF_TEST_MODEL", "target/c/work/tiny.safetensors")


@pytest.fixture(scope="module")
def model():
    with cellsdf.Model.load(MODEL, "cpu") as m:
        yield m


def test_inference_masks_meshes(model):
    codes, scales = model.sample_codes(1, seed=4)
    code = codes[0]
    assert code.shape == (model.code_size,) and scales[0] > 0
    np.testing.assert_array_equal(code, model.sample_codes(1, seed=4)[0][0])
    with pytest.raises(ValueError, match="method"):
        model.sample_codes(1, method="uniform")
    with model.infer(code, [-1.0, 0.0, 1.0], (20, 22, 18), 0.5) as g:
        assert g.shape == (3, 18, 22, 20)
        assert g.voxel_um == (0.5, 0.5, 0.5)
        sdf = g.sdf()
        # The library's masks against numpy's reading of the SDF it returned.
        masks = g.masks()
        np.testing.assert_array_equal(masks, (sdf <= 0).astype(np.uint8))
        assert 50 < masks.sum() < masks.size
        view = g.sdf_view()
        assert not view.flags.writeable
        mesh = g.mesh(1)
        assert mesh.faces.max() < len(mesh.vertices)
        d = mesh.describe()
        assert d["volume_um3"] > 0 and d["surface_um2"] > 0
    with pytest.raises(ValueError, match="closed"):
        g.sdf_view()
    with pytest.raises(ValueError, match="closed"):
        g.masks()


def test_dense_and_adaptive_agree(model):
    code = model.learned_code(0)
    with model.infer(code, [0.0], (24, 24, 24), adaptive=False) as a, \
            model.infer(code, [0.0], (24, 24, 24), adaptive=True) as b:
        j, d = cellsdf.jaccard(a.masks(), b.masks())
        assert j > 0.999


def test_errors_carry_the_message_and_status(model):
    with pytest.raises(cellsdf.CellSdfError, match="missing.safetensors") as e:
        cellsdf.Model.load("missing.safetensors")
    assert e.value.status == 2
    with pytest.raises(cellsdf.CellSdfError, match="times"):
        model.infer(model.learned_code(0), [2.0], (8, 8, 8))
    with pytest.raises(cellsdf.CellSdfError, match="empty"):
        cellsdf.describe_mask(np.zeros((4, 4, 4)), (1, 1, 1))


def test_progress_and_cancel(model):
    seen = []
    with model.infer(model.learned_code(0), [-1, 1], (16, 16, 16),
                     progress=lambda f, s: seen.append((f, s))):
        pass
    assert seen and seen[-1][0] == pytest.approx(1.0)
    with pytest.raises(cellsdf.Cancelled):
        model.infer(model.learned_code(0), [-1, 1], (16, 16, 16), progress=lambda f, s: False)


def test_stack_round_trip_is_calibrated_for_tifffile(tmp_path):
    a = (np.random.default_rng(0).random((2, 5, 6, 7)) > 0.5).astype(np.uint16) * 3
    p = tmp_path / "labels.tif"
    cellsdf.write_stack(p, a, (0.2, 0.25, 0.5), 30.0)
    b, voxel, interval = cellsdf.read_stack(p)
    np.testing.assert_array_equal(a, b)
    assert voxel == pytest.approx((0.2, 0.25, 0.5)) and interval == pytest.approx(30.0)
    with tifffile.TiffFile(p) as t:
        np.testing.assert_array_equal(t.asarray(), a)
        assert t.imagej_metadata["spacing"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="float64"):
        cellsdf.write_stack(p, a.astype(np.float64))


def test_descriptors_ks_jaccard_against_references():
    z, y, x = np.mgrid[:40, :40, :40]
    ball = ((z - 19.6) ** 2 + (y - 20.2) ** 2 + (x - 19.9) ** 2) * 0.01 <= 1.5 ** 2
    d = cellsdf.describe_mask(ball, (0.1, 0.1, 0.1))
    assert d["voxel_volume_um3"] == pytest.approx(ball.sum() * 1e-3)
    assert d["volume_um3"] == pytest.approx(4 / 3 * np.pi * 1.5 ** 3, rel=0.02)
    assert d["components"] == 1 and d["genus"] == 0
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=40), rng.normal(0.3, size=55)
    s, p, exact = cellsdf.ks_2samp(a, b)
    ref = scipy.stats.ks_2samp(a, b)
    assert exact and s == pytest.approx(ref.statistic, abs=1e-12) and p == pytest.approx(ref.pvalue, abs=1e-6)
    m1, m2 = rng.random((10, 10, 10)) > 0.5, rng.random((10, 10, 10)) > 0.5
    j, dice = cellsdf.jaccard(m1, m2)
    assert j == pytest.approx((m1 & m2).sum() / (m1 | m2).sum())
    assert dice == pytest.approx(2 * (m1 & m2).sum() / (m1.sum() + m2.sum()))
    table = cellsdf.describe_labels(np.stack([ball.astype(np.uint8) * 2] * 2), (0.1, 0.1, 0.1))
    assert [(r["frame"], r["label"]) for r in table.rows()] == [(0, 2), (1, 2)]


def _cli(*args):
    import subprocess
    from pathlib import Path

    exe = Path(__file__).resolve().parents[3] / "target" / "release" / "cellsdf"
    r = subprocess.run([str(exe), "--quiet", *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_describe_labels_matches_the_cli_and_numpy(tmp_path):
    z, y, x = np.mgrid[:18, :22, :26]
    a = ((x - 8) ** 2 + (y - 10) ** 2 + (z - 9) ** 2) <= 25
    b = ((x - 18) ** 2 + (y - 12) ** 2 + (z - 8) ** 2) <= 16
    labels = np.stack([a * 3 + b * 7, a * 3]).astype(np.uint16)
    voxel = (0.2, 0.25, 0.5)
    path = tmp_path / "cells.tif"
    cellsdf.write_stack(path, labels, voxel, 45.0)
    _cli("describe", path, "--out", tmp_path / "cli.csv")
    table = cellsdf.describe_labels(labels, voxel, 45.0, source=str(path))
    table.write_csv(tmp_path / "py.csv")
    assert (tmp_path / "py.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()
    # Values against numpy: voxel volume, centroid (voxel centres at index x size), time.
    assert table.columns[:3] == ("frame", "label", "volume_um3") and table.columns[-1] == "time_s"
    rows = table.rows()
    assert [(r["frame"], r["label"]) for r in rows] == [(0, 3), (0, 7), (1, 3)]
    for r in rows:
        m = labels[r["frame"]] == r["label"]
        assert r["voxel_volume_um3"] == pytest.approx(m.sum() * 0.2 * 0.25 * 0.5)
        zz, yy, xx = np.nonzero(m)
        assert r["time_s"] == pytest.approx(45.0 * r["frame"])
        assert r["volume_um3"] == pytest.approx(r["voxel_volume_um3"], rel=0.15)
        assert (r["centroid_x_um"], r["centroid_y_um"], r["centroid_z_um"]) == pytest.approx(
            (xx.mean() * 0.2, yy.mean() * 0.25, zz.mean() * 0.5), abs=0.05)
    table.write_csv(tmp_path / "py.csv")  # cellsdf wrote it: replaced
    (tmp_path / "mine.csv").write_text("my notes")
    with pytest.raises(cellsdf.CellSdfError, match="mine.csv"):
        table.write_csv(tmp_path / "mine.csv")
    assert (tmp_path / "mine.csv").read_text() == "my notes"
    with pytest.raises(ValueError, match="non-negative"):
        cellsdf.describe_labels(-labels.astype(np.int64), voxel)


def test_cell_sizes_training_and_decoded_as_the_cli(tmp_path):
    # sizes="training" renders each new cell at the scale that gives it a size drawn from
    # the training cells' (`synth --sizes training`, the default); "decoded" at the scale
    # drawn with its code. Same codes, other scales; each byte for byte the CLI's files.
    args = ["--model", "dividing", "--count", 2, "--frames", 2, "--size", "24,24,24", "--seed", 3]
    scales = {}
    with cellsdf.Model.load("dividing") as m:
        for sizes in ("training", "decoded"):
            _cli("synth", "--out", tmp_path / f"cli-{sizes}", *args, "--sizes", sizes)
            manifest = m.synthesize(tmp_path / sizes, count=2, frames=2, size_xyz=(24, 24, 24),
                                    seed=3, model_label="dividing", sizes=sizes)
            for k in range(2):
                name = f"synth_{k:03d}.tif"
                assert ((tmp_path / sizes / name).read_bytes()
                        == (tmp_path / f"cli-{sizes}" / name).read_bytes())
            scales[sizes] = [s["scale_um"] for s in manifest["sequences"]]
            codes = [s["code"] for s in manifest["sequences"]]
            scales[sizes + "-codes"] = codes
        with pytest.raises(ValueError, match="sizes"):
            m.synthesize(tmp_path / "bad", sizes="large")
    assert scales["training-codes"] == scales["decoded-codes"]
    assert all(a != b and 0.5 <= a / b <= 2.0
               for a, b in zip(scales["training"], scales["decoded"])), scales


def test_filopodia_tubes_on_and_off_as_the_cli(tmp_path):
    # The bundled filopodial model carries a tube model: by default its filopodia are drawn
    # as tubes (one piece per frame), with tubes=False the network's shape is written; each
    # byte for byte what the CLI writes with and without --no-tubes.
    from scipy import ndimage

    args = ["--model", "filopodial", "--count", 1, "--frames", 2, "--voxel-um", "0.15", "--seed", 4]
    pieces = {}
    with cellsdf.Model.load("filopodial") as m:
        for tubes in (True, False):
            name = "tubes" if tubes else "network"
            _cli("synth", "--out", tmp_path / f"cli-{name}", *args, *([] if tubes else ["--no-tubes"]))
            manifest = m.synthesize(tmp_path / name, count=1, frames=2, voxel_um=0.15, seed=4,
                                    model_label="filopodial", tubes=tubes)
            assert ((tmp_path / name / "synth_000.tif").read_bytes()
                    == (tmp_path / f"cli-{name}" / "synth_000.tif").read_bytes())
            assert ("filopodia_tubes" in manifest["sequences"][0]) == tubes
            masks, _, _ = cellsdf.read_stack(tmp_path / name / "synth_000.tif")
            pieces[name] = [ndimage.label(f, np.ones((3, 3, 3)))[1] for f in masks]
    assert pieces["tubes"] == [1, 1], pieces
    assert max(pieces["network"]) > 1, pieces


def test_synthesize_writes_what_the_cli_writes(model, tmp_path):
    args = ["--model", MODEL, "--count", 2, "--frames", 3, "--size", "20,18,16", "--voxel-um",
            "0.4", "--seed", 3]
    _cli("synth", "--out", tmp_path / "cli", *args)
    manifest = model.synthesize(tmp_path / "py", count=2, frames=3, size_xyz=(20, 18, 16),
                                voxel_um=0.4, seed=3, model_label=MODEL)
    cli = __import__("json").loads((tmp_path / "cli" / "manifest.json").read_text())
    for a, b in zip(manifest["sequences"], cli["sequences"], strict=True):
        assert (tmp_path / "py" / a["file"]).read_bytes() == (tmp_path / "cli" / b["file"]).read_bytes()
        a.pop("seconds"), b.pop("seconds")
        assert a == b
    assert manifest["model"] == cli["model"] == MODEL
    masks, voxel, interval = cellsdf.read_stack(tmp_path / "py" / "synth_000.tif")
    assert masks.shape == (3, 16, 18, 20) and voxel == pytest.approx((0.4, 0.4, 0.4))
    assert interval == pytest.approx(manifest["sequences"][0]["frame_interval_s"])
    # The codes are the ones sample_codes draws for the same seed.
    codes, scales = model.sample_codes(2, seed=3)
    np.testing.assert_allclose(manifest["sequences"][1]["code"], codes[1], rtol=1e-6)
    # A folder holding a file cellsdf did not write is refused, the file kept.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "synth_000.tif").write_text("mine")
    with pytest.raises(cellsdf.CellSdfError, match="synth_000.tif"):
        model.synthesize(tmp_path / "mine", frames=2, size_xyz=(8, 8, 8))
    assert (tmp_path / "mine" / "synth_000.tif").read_text() == "mine"
    with pytest.raises(cellsdf.Cancelled):
        model.synthesize(tmp_path / "cancelled", frames=2, size_xyz=(8, 8, 8),
                         progress=lambda f, s: False)
    assert not (tmp_path / "cancelled").exists()


def test_resolve_model_and_mesh_files(tmp_path, monkeypatch):
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    assert cellsdf.resolve_model("dividing") == repo / "models" / "dividing.safetensors"
    (tmp_path / "dividing.safetensors").write_bytes(b"x")
    monkeypatch.setenv("CELLSDF_MODELS", str(tmp_path))
    assert cellsdf.resolve_model("dividing") == tmp_path / "dividing.safetensors"
    with pytest.raises(cellsdf.CellSdfError, match="nothing.safetensors"):
        cellsdf.resolve_model("nothing.safetensors")
    z, y, x = np.mgrid[:16, :16, :16]
    ball = ((x - 7.5) ** 2 + (y - 7.5) ** 2 + (z - 7.5) ** 2) <= 25
    with cellsdf.Mesh.from_mask(ball, (0.5, 0.5, 0.5)) as m:
        for fmt, ext in (("ply", "ply"), ("obj", "obj"), ("stl", "stl")):
            m.write(tmp_path / f"b.{ext}", fmt)
            with cellsdf.Mesh.read(tmp_path / f"b.{ext}") as r:
                np.testing.assert_allclose(np.sort(r.vertices, axis=0), np.sort(m.vertices, axis=0),
                                           atol=1e-5)
                assert len(r.faces) == len(m.faces)
                assert r.describe()["volume_um3"] == pytest.approx(m.describe()["volume_um3"])


def test_mesh_labels_writes_what_the_cli_writes(tmp_path):
    z, y, x = np.mgrid[:14, :16, :18]
    a = ((x - 6) ** 2 + (y - 7) ** 2 + (z - 6) ** 2) <= 16
    b = ((x - 13) ** 2 + (y - 9) ** 2 + (z - 7) ** 2) <= 9
    labels = np.stack([a * 2 + b * 5, a * 2]).astype(np.uint8)
    cellsdf.write_stack(tmp_path / "cells.tif", labels, (0.3, 0.3, 0.6))
    _cli("mesh", tmp_path / "cells.tif", "--format", "obj", "--out", tmp_path / "cli")
    n = cellsdf.mesh_labels(labels, (0.3, 0.3, 0.6), tmp_path / "py", stem="cells", fmt="obj")
    names = sorted(p.name for p in (tmp_path / "cli").glob("*.obj"))
    assert n == 3 and names == ["cells_t000_label2.obj", "cells_t000_label5.obj",
                                "cells_t001_label2.obj"]
    for name in names:
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
    # Vertices in um: the label-5 sphere's mesh centroid near its centre (13, 9, 7) voxels.
    with cellsdf.Mesh.read(tmp_path / "py" / "cells_t000_label5.obj") as m:
        assert m.vertices.mean(axis=0) == pytest.approx((13 * 0.3, 9 * 0.3, 7 * 0.6), abs=0.1)


def test_axes_override_for_frames_saved_as_channels(tmp_path):
    t, z, y, x = np.mgrid[:3, :6, :12, :12]
    cells = (((x - 5.5) ** 2 + (y - 5.5) ** 2 + (z - 2.5) ** 2) <= (2 + t) ** 2).astype(np.uint8)
    path = tmp_path / "swapped.tif"
    tifffile.imwrite(path, cells.transpose(1, 0, 2, 3), imagej=True, resolution=(2.0, 2.0),
                     metadata={"axes": "ZCYX", "spacing": 0.5, "unit": "um"})
    with pytest.raises(cellsdf.CellSdfError, match="--axes"):
        cellsdf.read_stack(path)
    data, voxel, _ = cellsdf.read_stack(path, axes="ZTYX")
    np.testing.assert_array_equal(data, cells)
    assert voxel == pytest.approx((0.5, 0.5, 0.5))
    _cli("--axes", "ZTYX", "describe", path, "--out", tmp_path / "d.csv")
    lines = (tmp_path / "d.csv").read_text().splitlines()
    assert [int(l.split(",")[1]) for l in lines[1:]] == [0, 1, 2]
    vol = [float(l.split(",")[4]) for l in lines[1:]]
    assert vol == pytest.approx([cells[k].sum() * 0.125 for k in range(3)])


def test_render_defaults_are_what_the_cli_renders_with(model, tmp_path):
    times, scale, interval = model.render_defaults(5)
    np.testing.assert_allclose(times, np.linspace(-1.0, 1.0, 5))
    manifest = model.synthesize(tmp_path / "s", frames=5, size_xyz=(8, 8, 8))
    rec = manifest["sequences"][0]
    assert rec["frame_interval_s"] == (pytest.approx(interval) if interval else None)
    with cellsdf.Model.load(MODEL, "cpu") as m:
        r = m.synthesize(tmp_path / "r", kind="interpolate", from_=0, to=1, steps=2, frames=5,
                         size_xyz=(8, 8, 8))
    assert r["sequences"][0]["scale_um"] == pytest.approx(scale)


def test_simulate_writes_what_the_cli_writes(tmp_path):
    # A benchmark dataset from the binding (csdf_simulate) is the CLI's, file for file and
    # byte for byte; the raw frames are uint16 and calibrated, the SNR is the one asked for.
    args = dict(cells=2, frames=3, size_xyz=(64, 64, 24), voxel_um=(0.2, 0.2, 0.4), snr=6.0,
                microscope="confocal", seed=5)
    with cellsdf.Model.load("dividing") as m:
        manifest = m.simulate(tmp_path / "py", **args)
    _cli("simulate", "--model", "dividing", "--out", tmp_path / "cli", "--cells", 2, "--frames", 3,
         "--size", "64,64,24", "--voxel-um", "0.2,0.2,0.4", "--snr", 6, "--microscope", "confocal",
         "--seed", 5)
    files = sorted(p.relative_to(tmp_path / "py") for p in (tmp_path / "py").rglob("*") if p.is_file())
    assert [str(f) for f in files if f.name != ".cellsdf-outputs"][:4] == [
        "01/t000.tif", "01/t001.tif", "01/t002.tif", "01_GT/SEG/man_seg000.tif"]
    for f in files:
        assert (tmp_path / "py" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f
    raw, voxel, _ = cellsdf.read_stack(tmp_path / "py" / "01" / "t000.tif")
    assert raw.dtype == np.uint16 and voxel == pytest.approx((0.2, 0.2, 0.4))
    assert manifest["result"]["frames"][0]["snr"] == pytest.approx(6.0, rel=0.1)
    with cellsdf.Model.load("dividing") as m:
        with pytest.raises(ValueError, match="microscope"):
            m.simulate(tmp_path / "x", microscope="lightsheet")
        # The library's own check, named: NA above the immersion medium's index.
        with pytest.raises(cellsdf.CellSdfError, match="`na`"):
            m.simulate(tmp_path / "x", na=1.4, refractive_index=1.33)
    assert not (tmp_path / "x").exists()


def test_simulate_from_phantoms_writes_what_the_cli_writes(tmp_path):
    # Cells from a folder of phantom sequences (csdf_simulate_phantoms) instead of a model.
    _cli("phantom", "--kind", "dividing", "--count", 2, "--frames", 3, "--voxel-um", 0.1,
         "--seed", 2, "--out", tmp_path / "phantoms")
    args = dict(cells=2, frames=3, size_xyz=(80, 80, 30), snr=8.0, seed=3)
    manifest = cellsdf.simulate_phantoms(tmp_path / "phantoms", tmp_path / "py", **args)
    _cli("simulate", "--phantoms", tmp_path / "phantoms", "--out", tmp_path / "cli", "--cells", 2,
         "--frames", 3, "--size", "80,80,30", "--snr", 8, "--seed", 3)
    for f in ("01/t000.tif", "01/t002.tif", "01_GT/SEG/man_seg001.tif", "01_GT/TRA/man_track.txt",
              "manifest.json"):
        assert (tmp_path / "py" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f
    assert [Path(p).name for p in manifest["cells"]["phantoms"]] == [
        "dividing_000.tif", "dividing_001.tif"]
    with pytest.raises(cellsdf.CellSdfError, match="nowhere"):
        cellsdf.simulate_phantoms(tmp_path / "nowhere", tmp_path / "x", **args)
    assert not (tmp_path / "x").exists()


def _training_options(path):
    """The training options a cellsdf model file records (its safetensors header)."""
    import json
    import struct

    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return json.loads(header["__metadata__"]["model"])["training"]["options"]


@pytest.mark.skipif(not cellsdf.has_training(), reason="library built without libtorch")
def test_recipe_options_reach_the_library_as_the_clis_flags_do(tmp_path):
    # Every option of make models' recipe through the C API (ABI 0.7), none at its default:
    # the dataset is the CLI's byte for byte and the training records the CLI's options, so
    # a field the C API drops or mixes up fails here.
    _cli("phantom", "--kind", "dividing", "--count", "2", "--frames", "3", "--voxel-um", "0.25",
         "--seed", "3", "--out", tmp_path / "ph")
    cellsdf.Model.train([tmp_path / "ph"], tmp_path / "ds", tmp_path / "api.safetensors",
                        arch="small", epochs=2, lr_net=1e-3, seed=4, grid=16,
                        samples_per_frame=512, device="cpu", band=0.05, near_surface_only=True,
                        align="first", centre="frame", scale="sequence", clamp=0.3, margin=0.2,
                        points_per_frame=64, frames_per_batch=2, coordinate_init=2,
                        code_reg=0.0, lr_codes=2e-3, halve_every=1, threads=1).close()
    _cli("prepare", tmp_path / "ph", "--out", tmp_path / "ds-cli", "--grid", 16,
         "--samples-per-frame", 512, "--band", 0.05, "--near-surface-only", "--align", "first",
         "--centre", "frame", "--scale", "sequence", "--clamp", 0.3, "--margin", 0.2)
    for name in ("samples.npy", "grids.npy", "dataset.json"):
        assert (tmp_path / "ds" / name).read_bytes() == (tmp_path / "ds-cli" / name).read_bytes(), name
    _cli("train", "--data", tmp_path / "ds", "--out", tmp_path / "cli.safetensors", "--arch",
         "small", "--epochs", 2, "--lr-net", 1e-3, "--seed", 4, "--device", "cpu",
         "--points-per-frame", 64, "--frames-per-batch", 2, "--coordinate-init", "siren",
         "--code-reg", 0, "--lr-codes", 2e-3, "--halve-every", 1, "--threads", 1)
    api = _training_options(tmp_path / "api.safetensors")
    assert api == _training_options(tmp_path / "cli.safetensors")
    assert (api["points_per_frame"], api["frames_per_batch"], api["code_reg"]) == (64, 2, 0.0)
    assert api["arch"]["coordinate_init"] == "siren"
    # Bad values are refused with the option's name, and no model is written.
    for bad, word in ((dict(align="diagonal"), "align"), (dict(centre="track"), "centre"),
                      (dict(near_surface_only=2), "near_surface_only"),
                      (dict(coordinate_init=7), "coordinate_init")):
        with pytest.raises(cellsdf.CellSdfError, match=word):
            cellsdf.Model.train([tmp_path / "ph"], tmp_path / "bad", tmp_path / "bad.safetensors",
                                arch="small", epochs=1, device="cpu", grid=16,
                                samples_per_frame=512, **bad)
    assert not (tmp_path / "bad.safetensors").exists()
    with pytest.raises(TypeError, match="no_such_option"):
        cellsdf.Model.train([tmp_path / "ph"], tmp_path / "bad", tmp_path / "bad.safetensors",
                            no_such_option=1)


def test_calibrate_and_simulate_like_write_what_the_cli_writes(tmp_path):
    # csdf_calibrate's profile is the CLI's byte for byte; a dataset simulated like it
    # (csdf_simulate_like) is `simulate --profile`'s, and gives back the profile's camera.
    _cli("simulate", "--model", "dividing", "--out", tmp_path / "real", "--cells", 2, "--frames", 3,
         "--size", "64,64,20", "--snr", 12, "--seed", 4)
    raw, labels = tmp_path / "real" / "01", tmp_path / "real" / "01_GT" / "SEG"
    profile = cellsdf.calibrate(raw, labels, tmp_path / "py.json")
    _cli("calibrate", raw, "--labels", labels, "--out", tmp_path / "cli.json")
    assert (tmp_path / "py.json").read_bytes() == (tmp_path / "cli.json").read_bytes()
    assert profile["field"]["size_xyz"] == [64, 64, 20] and profile["pixels"]["dtype"] == "uint16"
    assert profile["ctc"]["snr"] == pytest.approx(12.0, rel=0.1)
    with cellsdf.Model.load("dividing") as m:
        manifest = m.simulate_like(tmp_path / "py.json", tmp_path / "like", seed=2)
    _cli("simulate", "--profile", tmp_path / "py.json", "--out", tmp_path / "cli_like", "--seed", 2)
    for f in ("01/t000.tif", "01/t002.tif", "01_GT/SEG/man_seg001.tif", "manifest.json"):
        assert (tmp_path / "like" / f).read_bytes() == (tmp_path / "cli_like" / f).read_bytes(), f
    assert manifest["result"]["frames"][0]["contrast_ratio"] == pytest.approx(
        profile["ctc"]["contrast_ratio"], rel=0.05)
    # Refusals name the argument; nothing is written.
    with pytest.raises(cellsdf.CellSdfError, match="labels"):
        cellsdf.calibrate(raw, tmp_path / "missing", tmp_path / "x.json")
    with pytest.raises(cellsdf.CellSdfError, match="folder does not exist"):
        cellsdf.calibrate(raw, labels, tmp_path / "no" / "x.json")
    assert not (tmp_path / "x.json").exists() and not (tmp_path / "no").exists()
