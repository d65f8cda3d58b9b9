"""torch.optim.Adam on fixed gradients, the reference for cellsdf's Adam: two parameters in
two learning-rate groups, gradient at step k of element i = sin(0.7 k + 1.3 i) (1 + i % 3),
the loss being sum(p * g_k). Prints the parameters after every step as JSON."""
import json
import math

import torch

a = torch.linspace(-1.0, 1.0, 5, dtype=torch.float32).requires_grad_(True)
b = torch.linspace(0.5, 2.0, 3, dtype=torch.float32).requires_grad_(True)
opt = torch.optim.Adam([{"params": [a], "lr": 1e-2}, {"params": [b], "lr": 3e-3}])
steps = []
for k in range(25):
    opt.zero_grad()
    ga = torch.tensor([math.sin(0.7 * k + 1.3 * i) * (1 + i % 3) for i in range(5)])
    gb = torch.tensor([math.sin(0.7 * k + 1.3 * i) * (1 + i % 3) for i in range(3)])
    ((a * ga).sum() + (b * gb).sum()).backward()
    opt.step()
    steps.append([a.detach().tolist(), b.detach().tolist()])
print(json.dumps(steps))
