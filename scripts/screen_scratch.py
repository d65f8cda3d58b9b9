#!/usr/bin/env python3
"""From-scratch screening of training-recipe variants on the first K sequences of a cellsdf
dataset: the paper network (PyTorch port of `cellsdf train`, scripts/paper_setting_gpu.py)
with sine frequency --omega (30), --fps frames (32) x 1,024 fresh pool points per step, lr
halved every --halve-every epochs, outside distances clamped at --clamp model units (the
dataset's own clamp is 0.5), the target multiplied by --tscale and its positive part also by
--outside. Reports the reconstruction Jaccard index and 26-connected pieces of every frame
of those sequences on the dataset's grid nodes (the model is evaluated where |ground-truth
sdf| < 0.05, as scripts/thin_necks.py does), and saves the network and codes to OUT.pt
(`scripts/filopodia_probe.py convert` makes a model file of it). A probe for
docs/results.md (issue 13), not part of the product. Needs scipy.

    python3 scripts/screen_scratch.py --data DATASET --out OUT [--seqs 8] [--epochs 400]
        [--halve-every 50] [--fps 32] [--clamp 0.25] [--tscale 4] [--omega 30]
        [--outside 0.25] [--threads 1]
"""
import argparse, json, math, os, sys, time
import numpy as np, torch
from scipy import ndimage
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paper_setting_gpu import Net, grid_nodes, predict_near
p = argparse.ArgumentParser()
p.add_argument("--data", required=True); p.add_argument("--out", required=True)
p.add_argument("--seqs", type=int, default=8); p.add_argument("--epochs", type=int, default=400)
p.add_argument("--halve-every", type=int, default=50)
p.add_argument("--lr-net", type=float, default=1e-4); p.add_argument("--lr-codes", type=float, default=1e-3)
p.add_argument("--points", type=int, default=1024); p.add_argument("--fps", type=int, default=32)
p.add_argument("--clamp", type=float, default=0.5); p.add_argument("--tscale", type=float, default=1.0)
p.add_argument("--omega", type=float, default=30.0)
p.add_argument("--outside", type=float, default=1.0, help="outside distances multiplied by this")
p.add_argument("--seed", type=int, default=1); p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.manual_seed(a.seed); torch.set_num_threads(a.threads)
meta = json.load(open(os.path.join(a.data, "dataset.json"))); seqs = meta["sequences"][: a.seqs]
nF = sum(len(s["frames"]) for s in seqs)
seq_of_row = torch.tensor([i for i, s in enumerate(seqs) for _ in s["frames"]])
S = torch.from_numpy(np.array(np.load(os.path.join(a.data, "samples.npy"), mmap_mode="r")[:nF]))
nS = S.shape[1]
tgt_all = S[..., 4].clamp(max=a.clamp) * a.tscale
tgt_all = torch.where(tgt_all > 0, tgt_all * a.outside, tgt_all)
cfg = {"code_size": 192, "width": 128, "layers": 11, "full_input_at": [4, 7], "activation": "sine",
       "omega": a.omega, "learned_rotation": False, "coordinate_init": "reference"}
net = Net(cfg)
codes = torch.nn.Parameter(torch.randn(len(seqs), 192) * 0.1)
opt = torch.optim.Adam([{"params": list(net.parameters()), "lr": a.lr_net}, {"params": [codes], "lr": a.lr_codes}])
t0 = time.time()
for ep in range(a.epochs):
    if ep and ep % a.halve_every == 0:
        for g in opt.param_groups: g["lr"] *= 0.5
    ramp = min(1.0, ep / 100)
    order = torch.randperm(nF); tot = 0; k = 0
    for st in range(0, nF, a.fps):
        fr = order[st:st + a.fps]
        idx = torch.randint(0, nS, (len(fr), a.points))
        batch = S[fr[:, None], idx]; tgt = tgt_all[fr[:, None], idx]
        z = codes[seq_of_row[fr]]
        pred = net(z, batch[..., :4])
        l1 = (pred - tgt).abs().mean()
        loss = l1 + (z * z).sum(-1).mean() * (1e-4 * ramp / 0.01)
        opt.zero_grad(); loss.backward(); opt.step(); tot += l1.item(); k += 1
    if (ep + 1) % 25 == 0: print(f"epoch {ep+1} loss {tot/k/a.tscale:.5f} {time.time()-t0:.0f}s", flush=True)
torch.save({"net": net.state_dict(), "codes": codes.detach(), "config": cfg}, a.out + ".pt")
G = np.load(os.path.join(a.data, "grids.npy"), mmap_mode="r"); n = G.shape[1]
xyz = grid_nodes(n)
st = np.ones((3, 3, 3)); rows = []; r0 = 0
with torch.no_grad():
    for si, s in enumerate(seqs):
        for fi, fr in enumerate(s["frames"]):
            g = np.asarray(G[r0 + fi]).reshape(-1)
            pred = predict_near(net, codes[si:si+1], g, xyz, fr["t"], 0.05)
            pred[np.abs(g) < 0.05] /= a.tscale
            A = (pred <= 0).reshape(n, n, n); B = (g <= 0).reshape(n, n, n)
            rows.append((si, fi, (A & B).sum() / max((A | B).sum(), 1), ndimage.label(A, st)[1], ndimage.label(B, st)[1]))
        r0 += len(s["frames"])
R = np.array(rows)
print(f"EVAL {a.out}: JI {R[:,2].mean():.4f} +- {R[:,2].std():.4f} pieces {R[:,3].mean():.2f} gt {R[:,4].mean():.2f} frames>gt {np.mean(R[:,3]>R[:,4])*100:.1f}% train {time.time()-t0:.0f}s", flush=True)
np.savetxt(a.out + ".eval.csv", R, delimiter=",", fmt="%.5f")
