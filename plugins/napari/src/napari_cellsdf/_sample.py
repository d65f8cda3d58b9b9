"""Sample data: generated cells from the bundled models."""
from ._compute import bundled_model, layer_meta, synthesize


def _generated(kind):
    masks, voxel, interval, _ = synthesize(bundled_model(kind), count=1, frames=10,
                                           size_xyz=(64, 64, 64), seed=0, model_label=kind)[0]
    return [(masks, {"name": f"generated {kind} cell", **layer_meta(voxel, interval)}, "labels")]


def generated_dividing():
    return _generated("dividing")


def generated_filopodial():
    return _generated("filopodial")
