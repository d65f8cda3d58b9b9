"""cellsdf.distributed on a real distributed.LocalCluster (two worker processes): the same
sequences as one `cellsdf synth` process voxel for voxel, a worker killed mid-run, a
resumed run that skips finished sequences; and the OME-Zarr stores read back by
ome-zarr-py and validated by ome-zarr-models (NGFF 0.5)."""
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")

import cellsdf  # noqa: E402
import cellsdf.distributed as cd  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
CLI = REPO / "target" / "release" / "cellsdf"
OPTS = dict(frames=4, size_xyz=(48, 44, 40), voxel_um=0.12, format="ome-zarr")
COUNT, SEED = 8, 5


def _reference(tmp_path):
    out = tmp_path / "single"
    subprocess.run([str(CLI), "synth", "--model", "dividing", "--out", str(out), "--count",
                    str(COUNT), "--seed", str(SEED), "--frames", "4", "--size", "48,44,40",
                    "--voxel-um", "0.12", "--format", "ome-zarr", "--quiet"], check=True)
    return out


def _masks(store):
    g = zarr.open_group(str(store), mode="r")
    return np.asarray(g["0"]), np.asarray(g["labels/cell/0"])


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield c


def test_cluster_equals_one_process_survives_a_killed_worker_and_resumes(client, tmp_path):
    ref = _reference(tmp_path)
    out = tmp_path / "cluster"
    # Kill one worker process as soon as the first sequence is finished.
    pids = list(client.run(os.getpid).values())
    killed = []

    def killer():
        deadline = time.time() + 120
        while time.time() < deadline and not any(cd.finished(out, k) for k in range(COUNT)):
            time.sleep(0.05)
        os.kill(pids[0], signal.SIGKILL)
        killed.append(pids[0])

    t = threading.Thread(target=killer)
    t.start()
    result = cd.synthesize(client, "dividing", out, COUNT, seed=SEED, **OPTS)
    t.join()
    assert killed, "a worker was killed mid-run"
    assert sorted(result["written"] + result["skipped"]) == list(range(COUNT))
    for k in range(COUNT):
        a = _masks(cd.sequence_folder(out, k) / f"synth_{k:03}.ome.zarr")
        b = _masks(ref / f"synth_{k:03}.ome.zarr")
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y, err_msg=f"sequence {k}")
        assert a[0].any(), f"sequence {k} is empty"
        # No partial store of a dead attempt is left.
        assert not list(cd.sequence_folder(out, k).glob(".*partial*"))
    # A resumed run finds every sequence and rewrites none of them.
    stamp = {k: (cd.sequence_folder(out, k) / "manifest.json").stat().st_mtime_ns
             for k in range(COUNT)}
    again = cd.synthesize(client, "dividing", out, COUNT, seed=SEED, **OPTS)
    assert again == {"written": [], "skipped": list(range(COUNT))}
    assert stamp == {k: (cd.sequence_folder(out, k) / "manifest.json").stat().st_mtime_ns
                     for k in range(COUNT)}
    # A lost sequence is redone, and only that one.
    import shutil
    shutil.rmtree(cd.sequence_folder(out, 3))
    third = cd.synthesize(client, "dividing", out, COUNT, seed=SEED, **OPTS)
    assert third["written"] == [3]
    np.testing.assert_array_equal(_masks(cd.sequence_folder(out, 3) / "synth_003.ome.zarr")[0],
                                  _masks(ref / "synth_003.ome.zarr")[0])


def test_the_store_reads_in_ome_zarr_and_validates_as_ngff_05(tmp_path):
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader
    from ome_zarr_models.v05.image import Image
    from ome_zarr_models.v05.labels import Labels

    with cellsdf.Model.load("dividing") as m:
        m.synthesize(tmp_path, count=1, frames=3, size_xyz=(80, 72, 40), voxel_um=0.1,
                     format="ome-zarr", seed=1)
    store = tmp_path / "synth_000.ome.zarr"
    nodes = list(Reader(parse_url(str(store)))())
    image = nodes[0]
    # Full resolution and one level halving y and x (72 / 2 = 36 >= 32; 18 would not be).
    assert [d.shape for d in image.data] == [(3, 40, 72, 80), (3, 40, 36, 40)]
    assert [a["name"] for a in image.metadata["axes"]] == ["t", "z", "y", "x"]
    assert [a.get("unit") for a in image.metadata["axes"]] == [
        "second", "micrometer", "micrometer", "micrometer"]
    scales = [c[0]["scale"] for c in image.metadata["coordinateTransformations"]]
    assert scales[0][1:] == pytest.approx([0.1, 0.1, 0.1])
    assert scales[1][1:] == pytest.approx([0.1, 0.2, 0.2])
    labels = [n for n in nodes if "labels/cell" in str(n)]
    assert labels and np.asarray(labels[0].data[0]).max() == 1
    # The TIFF of the same sequence holds the same mask.
    with cellsdf.Model.load("dividing") as m:
        m.synthesize(tmp_path / "tif", count=1, frames=3, size_xyz=(80, 72, 40), voxel_um=0.1,
                     seed=1)
    masks, voxel, interval = cellsdf.read_stack(tmp_path / "tif" / "synth_000.tif")
    np.testing.assert_array_equal(np.asarray(image.data[0]), masks)
    assert scales[0][0] == pytest.approx(interval)
    # NGFF 0.5 as ome-zarr-models reads the specification.
    Image.from_zarr(zarr.open_group(str(store), mode="r"))
    Labels.from_zarr(zarr.open_group(str(store / "labels"), mode="r"))


def test_a_rerun_replaces_its_own_store_and_never_a_foreign_folder(tmp_path):
    with cellsdf.Model.load("dividing") as m:
        kw = dict(count=1, frames=2, size_xyz=(40, 40, 40), format="ome-zarr", seed=2)
        m.synthesize(tmp_path / "a", **kw)
        m.synthesize(tmp_path / "a", **kw)  # cellsdf's own store: replaced
        assert sorted(p.name for p in (tmp_path / "a").iterdir() if not p.name.startswith(".")) \
            == ["manifest.json", "synth_000.ome.zarr"]
        foreign = tmp_path / "b" / "synth_000.ome.zarr"
        foreign.mkdir(parents=True)
        (foreign / "mine.txt").write_text("keep")
        with pytest.raises(cellsdf.CellSdfError, match="synth_000.ome.zarr"):
            m.synthesize(tmp_path / "b", overwrite=True, **kw)
        assert (foreign / "mine.txt").read_text() == "keep"


def test_simulated_fields_on_the_cluster_equal_the_cli_and_read_as_ome_zarr(client, tmp_path):
    from ome_zarr_models.v05.image import Image

    opts = dict(cells=2, frames=3, size_xyz=(64, 64, 24), snr=6.0, format="ome-zarr")
    result = cd.simulate(client, "dividing", tmp_path / "run", 2, seed=9, **opts)
    assert result == {"written": [0, 1], "skipped": []}
    for k in range(2):
        field = cd.field_folder(tmp_path / "run", k)
        ref = tmp_path / f"cli{k}"
        subprocess.run([str(CLI), "simulate", "--model", "dividing", "--out", str(ref),
                        "--cells", "2", "--frames", "3", "--size", "64,64,24", "--snr", "6",
                        "--format", "ome-zarr", "--seed", str(cellsdf.stream_seed(9, k)),
                        "--quiet"], check=True)
        a = zarr.open_group(str(field / "01.ome.zarr"), mode="r")
        b = zarr.open_group(str(ref / "01.ome.zarr"), mode="r")
        np.testing.assert_array_equal(np.asarray(a["0"]), np.asarray(b["0"]))
        truth = np.asarray(a["labels/ground_truth/0"])
        np.testing.assert_array_equal(truth, np.asarray(b["labels/ground_truth/0"]))
        assert np.asarray(a["0"]).dtype == np.uint16 and truth.max() >= 2
        assert (field / "01_man_track.txt").read_text() == (ref / "01_man_track.txt").read_text()
        Image.from_zarr(a)
    # The two fields differ (their own seeds).
    f0 = np.asarray(zarr.open_group(str(cd.field_folder(tmp_path / "run", 0) / "01.ome.zarr"))["0"])
    f1 = np.asarray(zarr.open_group(str(cd.field_folder(tmp_path / "run", 1) / "01.ome.zarr"))["0"])
    assert not np.array_equal(f0, f1)
    assert cd.simulate(client, "dividing", tmp_path / "run", 2, seed=9, **opts)["skipped"] == [0, 1]


def test_a_simulated_store_holds_the_frames_of_the_tiff_dataset(tmp_path):
    with cellsdf.Model.load("dividing") as m:
        kw = dict(cells=2, frames=2, size_xyz=(64, 48, 20), snr=5.0, seed=8, projection=True)
        m.simulate(tmp_path / "tif", **kw)
        m.simulate(tmp_path / "zarr", format="ome-zarr", **kw)
    for root in ("", "projection"):
        g = zarr.open_group(str(tmp_path / "zarr" / root / "01.ome.zarr"), mode="r")
        for t in range(2):
            raw, _, _ = cellsdf.read_stack(tmp_path / "tif" / root / "01" / f"t{t:03}.tif")
            seg, _, _ = cellsdf.read_stack(tmp_path / "tif" / root / "01_GT" / "SEG" /
                                           f"man_seg{t:03}.tif")
            np.testing.assert_array_equal(np.asarray(g["0"][t]), raw[0])
            np.testing.assert_array_equal(np.asarray(g["labels/ground_truth/0"][t]), seg[0])
        tracks = (tmp_path / "tif" / root / "01_GT" / "TRA" / "man_track.txt").read_text()
        assert (tmp_path / "zarr" / root / "01_man_track.txt").read_text() == tracks


def test_the_chunk_size_is_the_one_asked_for_and_bad_ones_are_refused(tmp_path):
    with cellsdf.Model.load("dividing") as m:
        m.synthesize(tmp_path / "a", count=1, frames=2, size_xyz=(40, 40, 40), seed=1,
                     format="ome-zarr", zarr_chunk=(8, 16, 32))
        a = zarr.open_group(str(tmp_path / "a" / "synth_000.ome.zarr"), mode="r")
        assert a["0"].chunks == (1, 8, 16, 32)
        m.simulate(tmp_path / "b", cells=1, frames=2, size_xyz=(48, 48, 20), seed=1,
                   format="ome-zarr", zarr_chunk=(20, 24, 24))
        b = zarr.open_group(str(tmp_path / "b" / "01.ome.zarr"), mode="r")
        assert b["0"].chunks == (1, 20, 24, 24)
        assert b["labels/ground_truth/0"].chunks == (1, 20, 24, 24)
        with pytest.raises(cellsdf.CellSdfError, match="zarr-chunk"):
            m.simulate(tmp_path / "c", format="ome-zarr", zarr_chunk=(5000, 64, 64))
    assert not (tmp_path / "c").exists()
