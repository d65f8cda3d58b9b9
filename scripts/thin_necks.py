#!/usr/bin/env python3
"""Thin filopodium necks: fine-tunes a cellsdf model (weights and codes, fresh Adam) with a
sampling or loss variant, then measures every training frame on the dataset's grid nodes:
Jaccard index, connected pieces of the model's mask against the ground truth's (26- and
6-connected), and with --barriers how many pieces join when the mask may cross SDF barriers
up to tau. The model is evaluated where |ground-truth sdf| < --eval-band and takes the
ground truth's sign elsewhere (as fast as a band, and the same JI as `cellsdf evaluate` on
the bundled filopodial model: 0.8965). A probe for docs/results.md (issue 13), not part of
the product; network and file format from scripts/paper_setting_gpu.py. Needs safetensors
and scipy.

    python3 scripts/thin_necks.py --data DATASET --init MODEL --out OUT [--epochs 20]
        [--narrow 0.5 --band2 0.01 | --hinge 1.0 | --thin 0.5 | --thin-hinge 1.0] [--seqs K]
        [--eval-only] [--barriers] [--piece-sizes]

--thin F draws F of each frame's points from the pool samples near thin parts: inside nodes
of the frame's grid that a ball of --thin-radius (model units) cannot reach (the mask minus
its opening), dilated by --thin-dilate. --seqs K fine-tunes and evaluates only the first K
sequences. --thin-hinge W adds W * mean(max(0, f - sdf)) over --thin-nodes of those thin
inside nodes per frame (the model must be at least as deep there as the ground truth).
--piece-sizes describes every piece of the model's mask but the largest (voxels,
share inside the ground truth, the ground truth's depth under it).
"""
import argparse, json, math, os, sys, time
import numpy as np, torch
from scipy import ndimage
from safetensors.torch import load_file, save_file
from safetensors import safe_open
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paper_setting_gpu import Net, grid_nodes, predict_near

p = argparse.ArgumentParser()
p.add_argument("--data", required=True); p.add_argument("--init", required=True)
p.add_argument("--out", required=True)
p.add_argument("--epochs", type=int, default=40)
p.add_argument("--lr-net", type=float, default=1e-4 / 8)
p.add_argument("--lr-codes", type=float, default=1e-3 / 8)
p.add_argument("--points", type=int, default=1024)
p.add_argument("--fps", type=int, default=32)
p.add_argument("--narrow", type=float, default=0.0, help="fraction of points from |sdf|<band2")
p.add_argument("--band2", type=float, default=0.01)
p.add_argument("--thin", type=float, default=0.0, help="fraction of points near thin parts")
p.add_argument("--thin-radius", type=float, default=0.037)
p.add_argument("--thin-dilate", type=float, default=0.03)
p.add_argument("--seqs", type=int, default=0, help="only the first K sequences (0: all)")
p.add_argument("--hinge", type=float, default=0.0, help="weight of sign hinge")
p.add_argument("--thin-hinge", type=float, default=0.0,
               help="weight of max(0, f - sdf) at the thin inside nodes of the frame's grid")
p.add_argument("--thin-nodes", type=int, default=256, help="thin inside nodes per frame and step")
p.add_argument("--eval-only", action="store_true")
p.add_argument("--eval-frames", default="0,1,2,3,4,5,6,7,8,9")
p.add_argument("--eval-band", type=float, default=0.05)
p.add_argument("--barriers", action="store_true")
p.add_argument("--piece-sizes", action="store_true", help="describe the detached pieces")
p.add_argument("--eval-step", type=int, default=1, help="every k-th frame")
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
torch.manual_seed(a.seed); torch.set_num_threads(2)
meta = json.load(open(os.path.join(a.data, "dataset.json")))
seqs = meta["sequences"]
seq_of_row = torch.tensor([i for i, s in enumerate(seqs) for _ in s["frames"]])
with safe_open(a.init, "pt") as f:
    mm = json.loads(f.metadata()["model"])
cfg = mm["config"]; cfg.setdefault("coordinate_init", "reference")
T = load_file(a.init)
net = Net(cfg)
with torch.no_grad():
    for l in range(cfg["layers"]):
        net.w[l].copy_(T[f"lin{l}.weight"]); net.b[l].copy_(T[f"lin{l}.bias"])
codes = torch.nn.Parameter(T["codes"].clone())
opt = torch.optim.Adam([{"params": list(net.parameters()), "lr": a.lr_net}, {"params": [codes], "lr": a.lr_codes}])
G = np.load(os.path.join(a.data, "grids.npy"), mmap_mode="r")
n = G.shape[1]


def thin_parts(r):
    """Frame r's thin inside nodes (inside nodes of its grid that a ball of --thin-radius
    model units cannot reach: the mask minus its opening) and those dilated by
    --thin-dilate, both as full [n, n, n] masks."""
    h = 2.0 / (n - 1); R, D = a.thin_radius, a.thin_dilate
    g = np.asarray(G[r])
    inside = g <= 0
    zs, ys, xs = [np.nonzero(inside.any(axis=ax))[0] for ax in [(1, 2), (0, 2), (0, 1)]]
    m = int(np.ceil((R + D) / h)) + 2
    sl = tuple(slice(max(v[0] - m, 0), min(v[-1] + m + 1, n)) for v in (zs, ys, xs))
    gc = g[sl]; ic = gc <= 0
    eroded = gc < -R
    opened = ndimage.distance_transform_edt(~eroded, sampling=h) <= R if eroded.any() else np.zeros_like(ic)
    thin = ic & ~opened
    band = ndimage.distance_transform_edt(~thin, sampling=h) <= D if thin.any() else np.zeros_like(ic)
    full_thin = np.zeros((n, n, n), bool); full_thin[sl] = thin
    full_band = np.zeros((n, n, n), bool); full_band[sl] = band
    return full_thin, full_band


def thin_samples(r, s):
    """Indices of frame r's pool samples s [samples, 5] near its thin parts (see --thin)."""
    h = 2.0 / (n - 1)
    band = thin_parts(r)[1]
    ii = np.clip(np.rint((s[:, :3] + 1) / h).astype(int), 0, n - 1)  # x, y, z
    return np.nonzero(band[ii[:, 2], ii[:, 1], ii[:, 0]])[0]


t0 = time.time()
hist = []
if not a.eval_only:
  # The sample pool and, per frame, the samples of the narrow band (only to train).
  S = torch.from_numpy(np.ascontiguousarray(np.load(os.path.join(a.data, "samples.npy"))))
  nF, nS, _ = S.shape
  if a.seqs: nF = sum(len(s["frames"]) for s in seqs[: a.seqs])
  narrow_idx = [torch.nonzero(S[r, :, 4].abs() < a.band2)[:, 0] for r in range(nF)]
  if a.thin:
      thin_idx = [torch.from_numpy(thin_samples(r, S[r].numpy())).long() for r in range(nF)]
      print("thin samples per frame", np.mean([len(t) for t in thin_idx]), flush=True)
  if a.thin_hinge:
      # Per frame: the flat indices of its thin inside nodes and their ground-truth SDF.
      xyz_all = grid_nodes(n)
      t_of_row = torch.tensor([f["t"] for s in seqs for f in s["frames"]], dtype=torch.float32)
      thin_nodes = [torch.from_numpy(np.nonzero(thin_parts(r)[0].reshape(-1))[0]).long() for r in range(nF)]
      thin_gt = [torch.from_numpy(np.asarray(G[r]).reshape(-1)[ids.numpy()].astype(np.float32)) for r, ids in enumerate(thin_nodes)]
      print("thin inside nodes per frame", np.mean([len(t) for t in thin_nodes]), flush=True)
  for ep in range(a.epochs):
    order = torch.randperm(nF); tot = 0; k = 0
    for st in range(0, nF, a.fps):
        fr = order[st:st + a.fps]
        idxs = []
        for r in fr.tolist():
            n2 = int(round(a.points * a.narrow))
            parts = [torch.randint(0, nS, (a.points - n2,))]
            if n2: parts.append(narrow_idx[r][torch.randint(0, len(narrow_idx[r]), (n2,))])
            n3 = int(round(a.points * a.thin))
            if n3:
                parts[0] = parts[0][: a.points - n2 - n3]
                parts.append(thin_idx[r][torch.randint(0, len(thin_idx[r]), (n3,))])
            idxs.append(torch.cat(parts))
        idx = torch.stack(idxs)
        batch = S[fr[:, None], idx]
        z = codes[seq_of_row[fr]]
        pred = net(z, batch[..., :4]); tgt = batch[..., 4]
        l1 = (pred - tgt).abs().mean()
        loss = l1 + (z * z).sum(-1).mean() * (1e-4 / 0.01)
        if a.hinge:
            loss = loss + a.hinge * torch.relu(-pred * torch.sign(tgt)).mean()
        if a.thin_hinge:
            # One-sided: inside a thin part the model must be at least as deep as the truth.
            qs, gs, ws = [], [], []
            for r in fr.tolist():
                ids, gv = thin_nodes[r], thin_gt[r]
                if len(ids):
                    pick = torch.randint(0, len(ids), (a.thin_nodes,))
                    qs.append(ids[pick]); gs.append(gv[pick]); ws.append(1.0)
                else:
                    qs.append(torch.zeros(a.thin_nodes, dtype=torch.long)); gs.append(torch.zeros(a.thin_nodes)); ws.append(0.0)
            Q = torch.stack(qs); tt = t_of_row[fr][:, None, None].expand(-1, a.thin_nodes, 1)
            pt = net(z, torch.cat([xyz_all[Q], tt], -1))
            w = torch.tensor(ws)[:, None]
            loss = loss + a.thin_hinge * (torch.relu(pt - torch.stack(gs)) * w).sum() / max(w.sum().item() * a.thin_nodes, 1.0)
        opt.zero_grad(); loss.backward(); opt.step(); tot += l1.item(); k += 1
    hist.append(tot / k)
    print(f"epoch {ep+1} loss {tot/k:.5f} {time.time()-t0:.0f}s", flush=True)
  tensors = {f"lin{l}.weight": net.w[l].detach().contiguous() for l in range(cfg["layers"])}
  tensors.update({f"lin{l}.bias": net.b[l].detach().contiguous() for l in range(cfg["layers"])})
  tensors["codes"] = codes.detach().contiguous()
  mm["training"] = {"epochs_done": a.epochs, "adam_step": 0, "loss_history": hist, "options": vars(a), "dataset": a.data, "seconds": time.time() - t0}
  save_file(tensors, a.out, metadata={"format": "cellsdf-model", "version": "1", "model": json.dumps(mm)})
# evaluation on frames `eval_frames` of every sequence
xyz = grid_nodes(n)
st = np.ones((3, 3, 3))
rows = []; r0 = 0; taus = [0.0025, 0.005, 0.01, 0.02]; joined = []; pieces = []
want = [int(x) for x in a.eval_frames.split(",")]
with torch.no_grad():
    for si, s in enumerate(seqs):
        for fi, fr in enumerate(s["frames"]):
            if (not a.seqs or si < a.seqs) and fi in want and (r0 + fi) % a.eval_step == 0:
                g = np.asarray(G[r0 + fi]).reshape(-1)
                pred = predict_near(net, codes[si:si+1], g, xyz, fr["t"], a.eval_band).reshape(n, n, n); g = g.reshape(n, n, n)
                A = pred <= 0; B = g <= 0
                ji = (A & B).sum() / max((A | B).sum(), 1)
                ca = ndimage.label(A, st)[1]; cb = ndimage.label(B, st)[1]
                ca6 = ndimage.label(A)[1]; cb6 = ndimage.label(B)[1]
                rows.append((si, fi, ji, ca, cb, ca6, cb6))
                if a.piece_sizes and ca > 1:
                    # Every piece but the largest: voxels, share inside the ground truth,
                    # deepest ground-truth SDF under it (model units; -r on a tube's axis).
                    la = ndimage.label(A, st)[0]
                    sizes = np.bincount(la.ravel())[1:]
                    for lab in np.argsort(sizes)[:-1] + 1:
                        m = la == lab
                        pieces.append((sizes[lab - 1], B[m].mean(), g[m].min()))
                if a.barriers:
                    la, na = ndimage.label(A, st)
                    row = []
                    for tau in taus:
                        lt = ndimage.label(pred <= tau, st)[0]
                        row.append(len(set(lt[la > 0].tolist())) if na else 0)
                    joined.append(row)
        r0 += len(s["frames"])
R = np.array(rows)
print(f"EVAL {a.out}: JI {R[:,2].mean():.4f} +- {R[:,2].std():.4f}  comps pred {R[:,3].mean():.2f} gt {R[:,4].mean():.2f}  frames pred>gt {np.mean(R[:,3]>R[:,4])*100:.1f}% (6-conn: pred {R[:,5].mean():.2f} gt {R[:,6].mean():.2f} frames {np.mean(R[:,5]>R[:,6])*100:.1f}%)  ({time.time()-t0:.0f}s)", flush=True)
np.savetxt(a.out + ".eval.csv", R, delimiter=",", fmt="%.5f")
if pieces:
    P = np.array(pieces); scale_um = meta["sequences"][0]["normalisation"]["scale_um"]
    print(f"detached pieces: {len(P)} in {len(R)} frames; voxels median {np.median(P[:,0]):.0f}, "
          f"share of 1-8 voxels {np.mean(P[:,0] <= 8)*100:.1f}%; inside the ground truth "
          f"(>= 90% of voxels) {np.mean(P[:,1] >= 0.9)*100:.1f}%; deepest ground truth under a "
          f"piece median {np.median(-P[:,2]) * scale_um:.3f} um")
    np.savetxt(a.out + ".pieces.csv", P, delimiter=",", fmt="%.5f", header="voxels,inside_share,min_gt_sdf")
for k, tau in enumerate(taus if a.barriers else []):
    c = np.array([j[k] for j in joined])
    print(f"barriers up to {tau} model units: pieces {c.mean():.2f}, frames with more than the ground truth {np.mean(c > R[:, 4]) * 100:.1f}%")
