"""Qt-free tests of the Python binding against libcellsdf and independent references
(numpy, scipy, tifffile). CELLSDF_TEST_MODEL names a tiny trained model."""
import os

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
        np.testing.assert_array_equal(g.masks(), (sdf <= 0).astype(np.uint8))
        assert g.masks().sum() > 50
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
    rows = cellsdf.describe_labels(np.stack([ball.astype(np.uint8) * 2] * 2), (0.1, 0.1, 0.1))
    assert [(r["frame"], r["label"]) for r in rows] == [(0, 2), (1, 2)]
