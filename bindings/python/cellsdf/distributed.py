"""Synthesis on a Dask cluster: one task per new sequence, on a `distributed.Client` the
user passes in (LocalCluster, dask-jobqueue on SLURM/PBS, dask-kubernetes). cellsdf adds
no scheduler of its own; progress, retries and worker loss are Dask's.

Each task renders sequence k of the series (seed, k) through the library, exactly as
`cellsdf synth --first k --count 1` does, into a folder of its own, `OUT/synth_NNN/`
(the sequence `synth_NNN.ome.zarr` or `.tif`, and its `manifest.json`, written last).
So the result does not depend on how tasks were scheduled, sequence k equals sequence k of
`cellsdf synth --count N` with the same seed voxel for voxel, a task that dies and is
retried rewrites only its own folder, and a second run skips the sequences whose manifest
is there (resume). OUT must be storage every worker sees (a shared file system).

Example::

    from distributed import Client
    import cellsdf.distributed as cd
    with Client("tcp://scheduler:8786") as client:
        cd.synthesize(client, "dividing", "/shared/run1", count=1000, seed=7, frames=30)
"""
from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["synthesize", "finished", "sequence_folder"]


def sequence_folder(out_dir, k):
    """The folder of sequence `k` of a run in `out_dir`."""
    return Path(out_dir) / f"synth_{k:03}"


def finished(out_dir, k):
    """Whether sequence `k` of the run in `out_dir` is complete (its manifest, written after
    the sequence, is there)."""
    return (sequence_folder(out_dir, k) / "manifest.json").is_file()


def _render_one(k, model, out_dir, seed, options):
    """One task: sequence k into its own folder (runs on a worker)."""
    from cellsdf import Model

    folder = sequence_folder(out_dir, k)
    if finished(out_dir, k):
        return k, "skipped"
    # A dead attempt may have left a partial store (a hidden .partial folder); only this
    # task writes here.
    for p in folder.glob(".*.partial-*"):
        shutil.rmtree(p, ignore_errors=True)
    with Model.load(model, device="cpu") as m:
        m.synthesize(folder, kind="synthesize", count=1, first=k, seed=seed,
                     model_label=str(model), **options)
    return k, "written"


def synthesize(client, model, out_dir, count, seed=0, frames=30, codes="neighbours",
               param=None, size_xyz=None, voxel_um=None, format="ome-zarr", retries=3):
    """Synthesizes sequences 0 to `count` - 1 of the series `seed` of `model` (a model file
    every worker can read, or a bundled class name) as Dask tasks on `client`, into
    `out_dir`/synth_NNN/. Sequences already finished there are skipped. Sizes (x, y, z) in
    voxels, voxel size in um, as `Model.synthesize`. Returns {"written": [k...],
    "skipped": [k...]}; raises the first task error after Dask's `retries`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    options = dict(frames=frames, codes=codes, param=param, size_xyz=size_xyz,
                   voxel_um=voxel_um, format=format)
    skipped = [k for k in range(count) if finished(out, k)]
    todo = [k for k in range(count) if not finished(out, k)]
    futures = client.map(_render_one, todo, model=str(model), out_dir=str(out), seed=seed,
                         options=options, retries=retries, pure=False,
                         key=[f"cellsdf-synth-{seed}-{k}" for k in todo])
    done = client.gather(futures)
    written = sorted(k for k, state in done if state == "written")
    skipped = sorted(skipped + [k for k, state in done if state == "skipped"])
    return {"written": written, "skipped": skipped}
