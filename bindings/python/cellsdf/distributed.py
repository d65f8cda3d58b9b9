"""Synthesis and simulation on a Dask cluster: one task per new sequence (`synthesize`) or
per simulated field of view (`simulate`), on a `distributed.Client` the user passes in
(LocalCluster, dask-jobqueue on SLURM/PBS, dask-kubernetes). cellsdf adds no scheduler of
its own; progress, retries and worker loss are Dask's.

Simulated field k is the dataset `cellsdf simulate --seed stream_seed(seed, k)` writes, in
`OUT/field_NNN/` (CTC TIFFs or `01.ome.zarr`), finished when its manifest is there.

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

__all__ = ["synthesize", "simulate", "finished", "sequence_folder", "field_folder"]


def sequence_folder(out_dir, k):
    """The folder of sequence `k` of a run in `out_dir`."""
    return Path(out_dir) / f"synth_{k:03}"


def field_folder(out_dir, k):
    """The folder of simulated field `k` of a run in `out_dir`."""
    return Path(out_dir) / f"field_{k:03}"


def _done(folder):
    """Whether an item's folder is complete (its manifest, written last, is there)."""
    return (Path(folder) / "manifest.json").is_file()


def finished(out_dir, k):
    """Whether sequence `k` of the run in `out_dir` is complete."""
    return _done(sequence_folder(out_dir, k))


_FOLDERS = {"synth": sequence_folder, "simulate": field_folder}


def _task(k, kind, model, out_dir, seed, options):
    """One task: item k of `kind` into its own folder (runs on a worker)."""
    from cellsdf import Model, stream_seed

    folder = _FOLDERS[kind](out_dir, k)
    if _done(folder):
        return k, "skipped"
    # A dead attempt may have left a partial store (a hidden .partial folder); only this
    # task writes here.
    for p in folder.glob(".*.partial-*"):
        shutil.rmtree(p, ignore_errors=True)
    with Model.load(model, device="cpu") as m:
        if kind == "synth":
            m.synthesize(folder, kind="synthesize", count=1, first=k, seed=seed,
                         model_label=str(model), **options)
        else:
            m.simulate(folder, seed=stream_seed(seed, k), **options)
    return k, "written"


def _run(client, kind, model, out_dir, n, what, seed, retries, options):
    """Items 0 to `n` - 1 of `kind` as Dask tasks, the finished ones skipped."""
    out = Path(out_dir)
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")
    out.mkdir(parents=True, exist_ok=True)
    folder_of = _FOLDERS[kind]
    before = [k for k in range(n) if _done(folder_of(out, k))]
    todo = [k for k in range(n) if k not in before]
    futures = client.map(_task, todo, kind=kind, model=str(model), out_dir=str(out), seed=seed,
                         options=options, retries=retries, pure=False,
                         key=[f"cellsdf-{kind}-{seed}-{k}" for k in todo])
    done = client.gather(futures)
    return {"written": sorted(k for k, state in done if state == "written"),
            "skipped": sorted(before + [k for k, state in done if state == "skipped"])}


def synthesize(client, model, out_dir, count, seed=0, frames=30, codes="neighbours",
               param=None, size_xyz=None, voxel_um=None, format="ome-zarr", retries=3):
    """Synthesizes sequences 0 to `count` - 1 of the series `seed` of `model` (a model file
    every worker can read, or a bundled class name) as Dask tasks on `client`, into
    `out_dir`/synth_NNN/. Sequences already finished there are skipped. Sizes (x, y, z) in
    voxels, voxel size in um, as `Model.synthesize`. Returns {"written": [k...],
    "skipped": [k...]}; raises the first task error after Dask's `retries`."""
    options = dict(frames=frames, codes=codes, param=param, size_xyz=size_xyz,
                   voxel_um=voxel_um, format=format)
    return _run(client, "synth", model, out_dir, count, "count", seed, retries, options)


def simulate(client, model, out_dir, fields, seed=0, retries=3, **options):
    """Simulates `fields` fields of view of `model` (as `Model.simulate`; `options` are its
    keywords: cells, frames, size_xyz, snr, format, ...) as Dask tasks on `client`, field k
    seeded by `stream_seed(seed, k)`, into `out_dir`/field_NNN/. Finished fields are
    skipped. Returns {"written": [k...], "skipped": [k...]}."""
    return _run(client, "simulate", model, out_dir, fields, "fields", seed, retries, options)
