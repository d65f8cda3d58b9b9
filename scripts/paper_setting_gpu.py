#!/usr/bin/env python3
"""The paper's training setting on a CUDA machine whose PyTorch is not the 2.13 that cellsdf's
libtorch (tch 0.26) needs: a PyTorch port of `cellsdf train` for that one experiment.

Why a port: tch's inline C++ code is compiled against libtorch 2.13's headers, and loading a
cellsdf build against another libtorch (the GPU machine lent to this project has PyTorch
2.11) fails at the first tensor operation ("tensor does not have a device"). cellsdf's
`phantom` and `prepare`, which make no libtorch calls, run there unchanged, so the data are
cellsdf's own; this script trains on them exactly as `cellsdf train` does and writes a
cellsdf model file, which every cellsdf command loads.

What is the same as `cellsdf train` (src/train/mod.rs, src/model/network.rs):
- the network (ArchConfig layout: lin0 over [code, x, y, z, t], later layers over
  [h, x, y, z, t] or the full input at `full_input_at`), parameter names and shapes;
- initialisation (Decoder::new): sine U(+-1/fan_in) for lin0 and U(+-sqrt(6/fan_in)/omega)
  after, ReLU U(+-1/sqrt(fan_in)); biases U(+-1/sqrt(fan_in)); with `--coordinate-init
  siren` lin0's coordinate columns U(+-1/4); codes N(0, sigma^2);
- loss: mean absolute SDF error per frame, averaged over the frames of a step, plus
  code_reg * ramp / sigma^2 * mean ||z||^2 of those frames' codes, ramp = min((epoch+1) /
  reg_ramp, 1);
- Adam (beta 0.9, 0.999, eps 1e-8) with one rate for the network and one for the codes, both
  halved every `halve_every` epochs; an epoch visits every frame once in a random order,
  `frames_per_step` frames per step, `points` points drawn (with replacement) from each
  frame's prepared samples at every step;
- reconstruction Jaccard index as `cellsdf evaluate`: masks sdf <= 0 of the model and of the
  dataset's grid on the grid nodes linspace(-1, 1, N) of each model axis.

Not the same: the random streams (torch's, not ChaCha), so runs are not bit-identical to
`cellsdf train`. With `--budget-s` the points per frame and step are chosen (from 1024 up, by
powers of two) so that all epochs fit the budget on this device; runs that share a
`--probe-dir` agree on one value (the smallest), so that they train at the same budget.

    python3 scripts/paper_setting_gpu.py --data DATASET --out MODEL.safetensors \
        --activation sine|relu [--coordinate-init reference|siren] [--epochs 1250] ...
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
from safetensors.torch import save_file


def layer_shapes(cfg):
    hidden = cfg["width"] - 4
    inp = cfg["code_size"] + 4
    out = []
    for l in range(cfg["layers"]):
        o = 1 if l + 1 == cfg["layers"] else hidden
        if l == 0:
            i = inp
        elif l in cfg["full_input_at"]:
            i = hidden + inp
        else:
            i = hidden + 4
        out.append((i, o))
    return out


class Net(torch.nn.Module):
    """cellsdf's decoder; forward takes per-frame codes [F, c] and points [F, P, 4]."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.w = torch.nn.ParameterList()
        self.b = torch.nn.ParameterList()
        c = cfg["code_size"]
        for l, (fan_in, out) in enumerate(layer_shapes(cfg)):
            if cfg["activation"] == "sine":
                bound = 1.0 / fan_in if l == 0 else math.sqrt(6.0 / fan_in) / cfg["omega"]
            else:
                bound = 1.0 / math.sqrt(fan_in)
            w = torch.empty(out, fan_in).uniform_(-bound, bound)
            if l == 0 and cfg["activation"] == "sine" and cfg["coordinate_init"] == "siren":
                w[:, c:c + 4].uniform_(-0.25, 0.25)
            bb = 1.0 / math.sqrt(fan_in)
            self.w.append(torch.nn.Parameter(w))
            self.b.append(torch.nn.Parameter(torch.empty(out).uniform_(-bb, bb)))

    def act(self, x):
        if self.cfg["activation"] == "sine":
            return torch.sin(self.cfg["omega"] * x)
        return torch.relu(x)

    def forward(self, codes, pts):
        c = self.cfg["code_size"]
        hidden = self.cfg["width"] - 4
        last = self.cfg["layers"] - 1
        w, b = self.w, self.b
        h = self.act(pts @ w[0][:, c:].T + (codes @ w[0][:, :c].T + b[0])[:, None, :])
        for l in range(1, last + 1):
            if l in self.cfg["full_input_at"]:
                x = (h @ w[l][:, :hidden].T + pts @ w[l][:, hidden + c:].T
                     + (codes @ w[l][:, hidden:hidden + c].T + b[l])[:, None, :])
            else:
                x = h @ w[l][:, :hidden].T + pts @ w[l][:, hidden:].T + b[l]
            h = x if l == last else self.act(x)
        return h[..., 0]


def grid_nodes(n):
    """The (x, y, z) model coordinates of an n^3 grid's nodes in its stored [z][y][x] order."""
    nodes = torch.linspace(-1, 1, n)
    zz, yy, xx = torch.meshgrid(nodes, nodes, nodes, indexing="ij")
    return torch.stack([xx, yy, zz], -1).reshape(-1, 3)


def predict_near(net, code, g, xyz, t, band):
    """A ground-truth SDF grid g (flat) with the network's values (code [1, c], time t) at
    the nodes where |g| < band; the ground truth elsewhere. Evaluated in chunks of 2^18."""
    near = np.nonzero(np.abs(g) < band)[0]
    q = torch.cat([xyz[near], torch.full((len(near), 1), float(t))], 1)
    with torch.no_grad():
        pv = torch.cat([net(code, q[b:b + (1 << 18)][None])[0]
                        for b in range(0, len(q), 1 << 18)]).numpy()
    pred = g.copy()
    pred[near] = pv
    return pred


def agree_on_points(args, measured_max):
    """Writes this run's largest affordable points per frame into the probe folder and
    returns the smallest of all `--probe-runs` runs (waits up to 120 s for the others)."""
    if not args.probe_dir:
        return measured_max
    os.makedirs(args.probe_dir, exist_ok=True)
    with open(os.path.join(args.probe_dir, os.path.basename(args.out) + ".probe"), "w") as f:
        f.write(str(measured_max))
    until = time.time() + 120
    while True:
        got = [int(open(os.path.join(args.probe_dir, n)).read())
               for n in os.listdir(args.probe_dir) if n.endswith(".probe")]
        if len(got) >= args.probe_runs or time.time() > until:
            return min(got)
        time.sleep(0.5)


def write_model(path, net, codes, seqs, training=None):
    """The cellsdf model file (format cellsdf-model, version 1) of `net` and its `codes`, one
    per dataset sequence of `seqs` (dataset.json entries), with the training record
    `training` when given."""
    tensors = {}
    for l in range(net.cfg["layers"]):
        tensors[f"lin{l}.weight"] = net.w[l].detach().float().cpu().contiguous()
        tensors[f"lin{l}.bias"] = net.b[l].detach().float().cpu().contiguous()
    tensors["codes"] = codes.detach().float().cpu().contiguous()
    c64 = codes.detach().double().cpu()
    model_meta = {
        "config": net.cfg,
        "sequences": [{"name": s["name"], "normalisation": s["normalisation"],
                       "voxel_um": s["voxel_um"], "frame_interval_s": s.get("frame_interval_s"),
                       "frame_t": [f["t"] for f in s["frames"]]} for s in seqs],
        "code_stats": {"mean": float(c64.mean()), "sd": float(c64.std())},
    }
    if training is not None:
        model_meta["training"] = training
    save_file(tensors, path, metadata={"format": "cellsdf-model", "version": "1",
                                       "model": json.dumps(model_meta)})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--report", help="JSON of the run (default: OUT with .json)")
    p.add_argument("--activation", choices=["sine", "relu"], default="sine")
    p.add_argument("--coordinate-init", choices=["reference", "siren"], default="reference")
    p.add_argument("--epochs", type=int, default=1250)
    p.add_argument("--lr-net", type=float, default=1e-4)
    p.add_argument("--lr-codes", type=float, default=1e-3)
    p.add_argument("--halve-every", type=int, default=100)
    p.add_argument("--sigma", type=float, default=0.1)
    p.add_argument("--code-reg", type=float, default=1e-4)
    p.add_argument("--reg-ramp", type=int, default=100)
    p.add_argument("--frames-per-step", type=int, default=30)
    p.add_argument("--points", type=int, help="points per frame and step (else from --budget-s)")
    p.add_argument("--budget-s", type=float, default=200.0, help="training time to fit")
    p.add_argument("--deadline", type=float, help="unix time: stop training (and say so) after it")
    p.add_argument("--probe-dir")
    p.add_argument("--probe-runs", type=int, default=1)
    p.add_argument("--tf32", action="store_true", help="TF32 matrix products (default: float32)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()
    t_start = time.time()
    dev = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.manual_seed(args.seed)

    meta = json.load(open(os.path.join(args.data, "dataset.json")))
    samples_np = np.load(os.path.join(args.data, "samples.npy"), mmap_mode="r")
    samples = torch.from_numpy(np.ascontiguousarray(samples_np)).to(dev)
    n_frames, s_per_frame, _ = samples.shape
    seqs = meta["sequences"]
    seq_of_row = torch.tensor([i for i, s in enumerate(seqs) for _ in s["frames"]], device=dev)
    assert len(seq_of_row) == n_frames, "dataset rows and frames disagree"
    cfg = {"code_size": 192, "width": 128, "layers": 11, "full_input_at": [4, 7],
           "activation": args.activation, "omega": 30.0, "learned_rotation": False,
           "coordinate_init": args.coordinate_init}
    net = Net(cfg).to(dev)
    codes = torch.nn.Parameter(torch.randn(len(seqs), cfg["code_size"], device=dev) * args.sigma)
    opt = torch.optim.Adam([{"params": list(net.parameters()), "lr": args.lr_net},
                            {"params": [codes], "lr": args.lr_codes}],
                           betas=(0.9, 0.999), eps=1e-8)
    fps = args.frames_per_step
    steps_per_epoch = math.ceil(n_frames / fps)

    def step(frames, pts_per_frame, ramp):
        idx = torch.randint(0, s_per_frame, (len(frames), pts_per_frame), device=dev)
        batch = samples[frames[:, None], idx]  # [F, P, 5]
        z = codes[seq_of_row[frames]]
        pred = net(z, batch[..., :4])
        l1 = (pred - batch[..., 4]).abs().mean()
        reg = (z * z).sum(-1).mean()
        loss = l1 + reg * (args.code_reg * ramp / args.sigma ** 2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return l1.detach()

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    # Points per frame and step: measured on a copy of the start state, then reset.
    points = args.points
    probe = None
    if points is None:
        state = ({k: v.clone() for k, v in net.state_dict().items()}, codes.detach().clone())
        frames = torch.arange(min(fps, n_frames), device=dev)
        times = {}
        for pp in (1024, 8192):
            for _ in range(3):
                step(frames, pp, 0.0)
            sync()
            t0 = time.time()
            for _ in range(12):
                step(frames, pp, 0.0)
            sync()
            times[pp] = (time.time() - t0) / 12
        slope = max((times[8192] - times[1024]) / 7168, 1e-12)
        per_step = args.budget_s / (args.epochs * steps_per_epoch)
        affordable = (per_step - (times[1024] - 1024 * slope)) / slope
        best = 1024
        while best * 2 <= min(affordable, s_per_frame):
            best *= 2
        points = agree_on_points(args, best)
        probe = {"seconds_per_step": times, "affordable": affordable, "chosen": points}
        net.load_state_dict(state[0])
        with torch.no_grad():
            codes.copy_(state[1])
        opt = torch.optim.Adam([{"params": list(net.parameters()), "lr": args.lr_net},
                                {"params": [codes], "lr": args.lr_codes}],
                               betas=(0.9, 0.999), eps=1e-8)

    history = []
    stopped = None
    t_train = time.time()
    epoch = 0
    for epoch in range(args.epochs):
        factor = 0.5 ** (epoch // args.halve_every) if args.halve_every > 0 else 1.0
        opt.param_groups[0]["lr"] = args.lr_net * factor
        opt.param_groups[1]["lr"] = args.lr_codes * factor
        ramp = min((epoch + 1) / args.reg_ramp, 1.0) if args.reg_ramp > 0 else 1.0
        order = torch.randperm(n_frames, device=dev)
        total = torch.zeros((), device=dev)
        for k in range(steps_per_epoch):
            total += step(order[k * fps:(k + 1) * fps], points, ramp)
        history.append(total / steps_per_epoch)
        if args.deadline and (epoch % 10 == 9) and time.time() > args.deadline:
            stopped = epoch + 1
            break
    sync()
    train_s = time.time() - t_train
    history = [float(x) for x in torch.stack(history).cpu()]
    epochs_done = len(history)

    # Reconstruction JI on the dataset's grids (cellsdf evaluate's protocol).
    ji = []
    grids = None
    gpath = os.path.join(args.data, "grids.npy")
    t_eval = time.time()
    if os.path.exists(gpath):
        grids = np.load(gpath, mmap_mode="r")
        n = grids.shape[1]
        nodes = torch.linspace(-1, 1, n, device=dev)
        zz, yy, xx = torch.meshgrid(nodes, nodes, nodes, indexing="ij")
        xyz = torch.stack([xx, yy, zz], -1).reshape(-1, 3)
        row = 0
        with torch.no_grad():
            for si, s in enumerate(seqs):
                for fr in s["frames"]:
                    t = torch.full((xyz.shape[0], 1), float(fr["t"]), device=dev)
                    pred = torch.cat([
                        net(codes[si:si + 1], torch.cat([xyz[a:a + (1 << 21)], t[a:a + (1 << 21)]], 1)[None])[0]
                        for a in range(0, xyz.shape[0], 1 << 21)])
                    a_in = pred <= 0
                    b_in = torch.from_numpy(np.ascontiguousarray(grids[row])).to(dev).reshape(-1) <= 0
                    union = (a_in | b_in).sum().item()
                    ji.append(1.0 if union == 0 else (a_in & b_in).sum().item() / union)
                    row += 1
    eval_s = time.time() - t_eval

    options = {k: v for k, v in vars(args).items() if k not in ("deadline", "probe_dir")}
    options.update(trainer="scripts/paper_setting_gpu.py", points_per_frame=points,
                   torch=torch.__version__,
                   gpu=torch.cuda.get_device_name(0) if dev.type == "cuda" else None)
    write_model(args.out, net, codes, seqs, {
        "epochs_done": epochs_done, "adam_step": epochs_done * steps_per_epoch,
        "loss_history": history, "options": options,
        "dataset": os.path.abspath(args.data), "seconds": train_s})
    report = {
        "activation": args.activation, "coordinate_init": args.coordinate_init,
        "epochs_asked": args.epochs, "epochs_done": epochs_done, "stopped_at_deadline": stopped,
        "frames": n_frames, "sequences": len(seqs), "frames_per_step": fps,
        "points_per_frame": points, "steps": epochs_done * steps_per_epoch,
        "points_total": epochs_done * n_frames * points, "probe": probe,
        "train_s": train_s, "eval_s": eval_s, "total_s": time.time() - t_start,
        "final_loss": history[-1] if history else None,
        "grid": None if grids is None else grids.shape[1],
        "ji_mean": float(np.mean(ji)) if ji else None,
        "ji_sd": float(np.std(ji, ddof=1)) if len(ji) > 1 else None,
        "ji": ji, "options": options,
    }
    with open(args.report or os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(report, f, indent=1)
    print(f"{os.path.basename(args.out)}: {epochs_done} epochs, {points} points/frame, "
          f"train {train_s:.0f} s, JI {report['ji_mean']} +- {report['ji_sd']}", flush=True)


if __name__ == "__main__":
    main()
