"""Training step of the reference decoder in PyTorch (forward on [code, x, y, z, t] rows,
L1 loss + code regulariser, backward, Adam with two parameter groups), as the reference
implementation runs it. Prints points per second as JSON."""
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
from reference_decoder import Decoder  # noqa: E402

points, steps, threads = (int(a) for a in sys.argv[1:4])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = Decoder()
codes = torch.nn.Parameter(torch.randn(4, 192) * 0.1)
opt = torch.optim.Adam([{"params": model.parameters(), "lr": 1e-4}, {"params": [codes], "lr": 1e-3}])
xyzt = torch.rand(points, 4) * 2 - 1
target = torch.rand(points) - 0.5


def step():
    opt.zero_grad()
    code = codes[1]
    x = torch.cat([code[None].expand(points, 192), xyzt], 1)
    loss = (model(x) - target).abs().mean() + 1e-4 * code.square().sum() / 0.01
    loss.backward()
    opt.step()


for _ in range(2):
    step()
t0 = time.perf_counter()
for _ in range(steps):
    step()
dt = time.perf_counter() - t0
print(json.dumps({"points_per_s": points * steps / dt, "torch": torch.__version__}))
