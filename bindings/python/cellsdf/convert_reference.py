"""Convert a model of the reference implementation (MIAGroupUT/IMPLICIT-CELL-SURFACES) into a
cellsdf checkpoint.

The reference saves the network as a PyTorch state dict inside `{"epoch", "model_state_dict"}`
(keys `module.lin{k}.weight` / `module.lin{k}.bias`, from DataParallel) and the latent codes
in `lat_vecs.mat` (variable `lat_vecs`, float32 [N, code_size]). Only Python reads those;
this script writes their tensors to a plain safetensors file and libcellsdf turns it into a
cellsdf model (`csdf_model_import_reference`: architecture from the weight shapes, checked
as any cellsdf model is):

    python -m cellsdf.convert_reference --pth model.pth --codes lat_vecs.mat \\
        --out model.safetensors [--activation sine|relu] [--omega 30]

Needs torch, numpy and scipy (all in the project's .venv) and libcellsdf.
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


def write_safetensors(path, tensors):
    """A plain safetensors file: u64 header length, JSON header, raw little-endian data."""
    header = {}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        blobs.append(a.tobytes())
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def convert(pth, codes_mat, out, activation="sine", omega=30.0, overwrite=False):
    """Writes the cellsdf model `out`; returns its architecture (csdf_model_info as a dict)."""
    import tempfile

    from scipy.io import loadmat

    from . import api
    from ._lib import LIB

    weights = load_state_dict(pth)
    tensors = {k: v for k, v in weights.items() if re.fullmatch(r"lin\d+\.(weight|bias)", k)}
    tensors["codes"] = np.asarray(loadmat(codes_mat)["lat_vecs"], dtype=np.float32)
    with tempfile.TemporaryDirectory(prefix="cellsdf-convert-") as tmp:
        raw = Path(tmp) / "reference.safetensors"
        write_safetensors(raw, tensors)
        api._check(LIB.csdf_model_import_reference(str(raw).encode(),
                                                     {"sine": 0, "relu": 1}[activation],
                                                     float(omega), str(out).encode(),
                                                     int(bool(overwrite))))
    with api.Model.load(out, "cpu") as m:
        return {k: getattr(m.info, k) for k, _ in m.info._fields_}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pth", required=True, help="reference checkpoint (.pth)")
    p.add_argument("--codes", required=True, help="lat_vecs.mat")
    p.add_argument("--out", required=True, help="cellsdf checkpoint to write (.safetensors)")
    p.add_argument("--activation", default="sine", choices=["sine", "relu"])
    p.add_argument("--omega", type=float, default=30.0)
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing --out that cellsdf did not write")
    a = p.parse_args(argv)
    try:
        from .api import CellSdfError

        config = convert(a.pth, a.codes, a.out, a.activation, a.omega, a.overwrite)
    except (OSError, KeyError, ValueError, CellSdfError) as e:
        print(f"convert_reference: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {a.out}: {config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
