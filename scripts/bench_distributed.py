"""Throughput of cellsdf.distributed on a LocalCluster of 1 and 2 worker processes (one
thread each), and the overhead per task against one `cellsdf synth` process (docs/results.md,
issue 18). Bundled dividing model, 16 sequences of 10 frames of 64^3 voxels at 0.1 um,
OME-Zarr.

Usage: python scripts/bench_distributed.py WORK_DIR"""
import subprocess
import sys
import time
from pathlib import Path

import distributed

import cellsdf.distributed as cd



def main():
    work = Path(sys.argv[1])
    N, OPTS = 16, dict(frames=10, size_xyz=(64, 64, 64), voxel_um=0.1, format="ome-zarr")
    cli = Path(__file__).resolve().parents[1] / "target" / "release" / "cellsdf"
    t0 = time.perf_counter()
    subprocess.run([str(cli), "synth", "--out", str(work / "single"), "--count", str(N), "--frames",
                    "10", "--size", "64,64,64", "--voxel-um", "0.1", "--format", "ome-zarr",
                    "--quiet", "--seed", "1"], check=True, env={"RAYON_NUM_THREADS": "1"})
    single = time.perf_counter() - t0
    print(f"one process, 1 thread: {N} sequences in {single:.1f} s ({N / single:.2f}/s)")
    for workers in (1, 2):
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None,
                                      env={"RAYON_NUM_THREADS": "1"}) as cluster, \
                distributed.Client(cluster) as client:
            t0 = time.perf_counter()
            cd.synthesize(client, "dividing", work / f"cluster{workers}", N, seed=1, **OPTS)
            dt = time.perf_counter() - t0
            print(f"LocalCluster {workers} worker(s): {N} sequences in {dt:.1f} s "
                  f"({N / dt:.2f}/s; {dt / N * workers - single / N:+.2f} s per task over one "
                  f"process)")


if __name__ == "__main__":
    main()
