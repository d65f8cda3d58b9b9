"""Dense SDF evaluation of the reference decoder in PyTorch (rows [code, x, y, z, t], as the
reference implementation evaluates grids), 2 threads, no grad. Prints points/s as JSON."""
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
from reference_decoder import Decoder  # noqa: E402

points, chunk, threads = (int(a) for a in sys.argv[1:4])
torch.set_num_threads(threads)
model = Decoder().eval()
code = torch.randn(192) * 0.1
xyz = torch.rand(points, 3) * 2 - 1
t0 = time.perf_counter()
with torch.no_grad():
    for s in range(0, points, chunk):
        p = xyz[s:s + chunk]
        x = torch.cat([code[None].expand(len(p), 192), p, torch.full((len(p), 1), 0.3)], 1)
        model(x)
dt = time.perf_counter() - t0
print(json.dumps({"points_per_s": points / dt}))
