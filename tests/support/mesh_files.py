"""Reads cellsdf's PLY (binary or ASCII), OBJ and binary STL files independently with numpy
and prints JSON [{vertices, faces, area_um2}] per file given as an argument."""
import json
import sys

import numpy as np


def area(v, f):
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    return float(0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1).sum())


def ply(path):
    data = open(path, "rb").read()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:end].decode().splitlines()
    nv = int(next(l for l in header if l.startswith("element vertex")).split()[2])
    nf = int(next(l for l in header if l.startswith("element face")).split()[2])
    if "format ascii 1.0" in header:
        lines = data[end:].decode().split("\n")
        v = np.array([[float(x) for x in l.split()[:3]] for l in lines[:nv]])
        f = np.array([[int(x) for x in l.split()[1:4]] for l in lines[nv:nv + nf]])
    else:
        v = np.frombuffer(data, "<f4", nv * 6, end).reshape(nv, 6)[:, :3].astype(float)
        rec = np.frombuffer(data, np.dtype([("n", "u1"), ("i", "<i4", 3)]), nf, end + nv * 24)
        assert (rec["n"] == 3).all()
        f = rec["i"]
    return v, f


def obj(path):
    v, f = [], []
    for l in open(path):
        p = l.split()
        if p and p[0] == "v":
            v.append([float(x) for x in p[1:4]])
        elif p and p[0] == "f":
            f.append([int(x.split("/")[0]) - 1 for x in p[1:4]])
    return np.array(v), np.array(f)


def stl(path):
    data = open(path, "rb").read()
    n = int(np.frombuffer(data, "<u4", 1, 80)[0])
    rec = np.frombuffer(data, np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")]), n, 84)
    v = rec["v"].reshape(-1, 3).astype(float)
    return v, np.arange(3 * n).reshape(n, 3)


out = []
for path in sys.argv[1:]:
    v, f = {"ply": ply, "obj": obj, "stl": stl}[path.rsplit(".", 1)[1]](path)
    out.append({"vertices": len(v), "faces": len(f), "area_um2": area(v, f)})
print(json.dumps(out))
