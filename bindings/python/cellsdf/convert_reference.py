"""Convert a model of the reference implementation (MIAGroupUT/IMPLICIT-CELL-SURFACES) into a
cellsdf checkpoint.

The reference saves the network as a PyTorch state dict inside `{"epoch", "model_state_dict"}`
(keys `module.lin{k}.weight` / `module.lin{k}.bias`, from DataParallel) and the latent codes
in `lat_vecs.mat` (variable `lat_vecs`, float32 [N, code_size]). cellsdf reads safetensors
with a JSON description in the metadata; this script writes one:

    python -m cellsdf.convert_reference --pth model.pth --codes lat_vecs.mat \\
        --out model.safetensors [--activation sine|relu] [--omega 30]

The architecture (code size, width, layers, layers that receive the full input) is read
from the weight shapes. Needs torch, numpy and scipy (all in the project's .venv).
"""
import argparse
import json
import re
import struct
import sys
from pathlib import Path

import numpy as np


def load_state_dict(path):
    import torch

    obj = torch.load(path, map_location="cpu", weights_only=False)
    state = obj.get("model_state_dict", obj) if isinstance(obj, dict) else obj
    out = {}
    for key, value in state.items():
        name = key[len("module."):] if key.startswith("module.") else key
        out[name] = value.detach().cpu().numpy().astype(np.float32)
    return out


def infer_config(weights, activation, omega):
    layers = sorted(int(m.group(1)) for k in weights if (m := re.fullmatch(r"lin(\d+)\.weight", k)))
    if not layers or layers != list(range(len(layers))):
        raise ValueError(f"expected weights lin0..linN, found {sorted(weights)}")
    w0 = weights["lin0.weight"]
    hidden, input_size = w0.shape
    code_size = input_size - 4
    full = [l for l in layers[1:-1] if weights[f"lin{l}.weight"].shape[1] == hidden + input_size]
    for l in layers[1:]:
        want_in = hidden + input_size if l in full else hidden + 4
        want_out = 1 if l == layers[-1] else hidden
        if weights[f"lin{l}.weight"].shape != (want_out, want_in):
            raise ValueError(f"lin{l}.weight has shape {weights[f'lin{l}.weight'].shape}, "
                             f"expected {(want_out, want_in)} for the reference layout")
    return {"code_size": int(code_size), "width": int(hidden + 4), "layers": len(layers),
            "full_input_at": full, "activation": activation, "omega": float(omega)}


def write_safetensors(path, tensors, metadata):
    """The safetensors format: u64 header length, JSON header, raw little-endian data."""
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        blobs.append(a.tobytes())
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = Path(str(path) + ".part")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    tmp.replace(path)


def convert(pth, codes_mat, out, activation="sine", omega=30.0):
    from scipy.io import loadmat

    weights = load_state_dict(pth)
    codes = np.asarray(loadmat(codes_mat)["lat_vecs"], dtype=np.float32)
    config = infer_config(weights, activation, omega)
    if codes.ndim != 2 or codes.shape[1] != config["code_size"]:
        raise ValueError(f"lat_vecs has shape {codes.shape}, the network expects [N, {config['code_size']}]")
    tensors = {k: v for k, v in weights.items() if re.fullmatch(r"lin\d+\.(weight|bias)", k)}
    tensors["codes"] = codes
    meta = {
        "config": config,
        "sequences": [{"name": f"reference {i}", "normalisation": None, "voxel_um": None,
                       "frame_interval_s": None, "frame_t": []} for i in range(codes.shape[0])],
        "code_stats": {"mean": float(codes.mean()), "sd": float(codes.std(ddof=1)) if codes.size > 1 else 0.0},
        "training": None,
    }
    write_safetensors(out, tensors, {"format": "cellsdf-model", "version": "1", "model": json.dumps(meta)})
    return config


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pth", required=True, help="reference checkpoint (.pth)")
    p.add_argument("--codes", required=True, help="lat_vecs.mat")
    p.add_argument("--out", required=True, help="cellsdf checkpoint to write (.safetensors)")
    p.add_argument("--activation", default="sine", choices=["sine", "relu"])
    p.add_argument("--omega", type=float, default=30.0)
    a = p.parse_args(argv)
    try:
        config = convert(a.pth, a.codes, a.out, a.activation, a.omega)
    except (OSError, KeyError, ValueError) as e:
        print(f"convert_reference: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {a.out}: {config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
