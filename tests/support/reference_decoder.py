"""The reference implementation's decoder, re-implemented in PyTorch from its published layout
(method.md), for parity tests and the training-step benchmark.

  write DIR [sine|relu]   random paper-layout model saved the reference's way (model.pth with
                          module.-prefixed keys, lat_vecs.mat) plus test inputs and outputs
                          (inputs.npy [B, 196], outputs.npy [B])
"""
import math
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn


class Decoder(nn.Module):
    def __init__(self, code=192, width=128, layers=11, full=(4, 7), activation="sine", omega=30.0):
        super().__init__()
        self.code, self.full, self.activation, self.omega = code, full, activation, omega
        hidden, inp = width - 4, code + 4
        for l in range(layers):
            i = inp if l == 0 else hidden + (inp if l in full else 4)
            o = 1 if l == layers - 1 else hidden
            lin = nn.Linear(i, o)
            if activation == "sine":
                with torch.no_grad():
                    b = 1 / i if l == 0 else math.sqrt(6 / i) / omega
                    lin.weight.uniform_(-b, b)
            setattr(self, f"lin{l}", lin)
        self.layers = layers

    def forward(self, x):
        coords = x[:, self.code:]
        h = x
        for l in range(self.layers):
            if l > 0:
                h = torch.cat([h, x if l in self.full else coords], 1)
            h = getattr(self, f"lin{l}")(h)
            if l < self.layers - 1:
                h = torch.sin(self.omega * h) if self.activation == "sine" else torch.relu(h)
        return h[:, 0]


if __name__ == "__main__" and sys.argv[1] == "write":
    from scipy.io import savemat

    out = Path(sys.argv[2])
    activation = sys.argv[3] if len(sys.argv) > 3 else "sine"
    torch.manual_seed(5)
    model = nn.DataParallel(Decoder(activation=activation))
    torch.save({"epoch": 7, "model_state_dict": model.state_dict()}, out / "model.pth")
    codes = (torch.randn(3, 192) * 0.1).numpy().astype(np.float32)
    savemat(out / "lat_vecs.mat", {"lat_vecs": codes})
    g = np.random.default_rng(1)
    inputs = []
    for i in range(3):
        pts = g.uniform(-1, 1, size=(500, 4)).astype(np.float32)
        inputs.append(np.concatenate([np.repeat(codes[i][None], 500, 0), pts], 1))
    x = np.concatenate(inputs, 0)
    with torch.no_grad():
        y = model.module(torch.from_numpy(x)).numpy()
    np.save(out / "inputs.npy", x)
    np.save(out / "outputs.npy", y.astype(np.float32))
