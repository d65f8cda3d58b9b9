"""libcellsdf built with libtorch, for the cellsdf binding: with this package installed,
`import cellsdf` loads LIBRARY instead of the wheel's libtorch-free library, and training and
code fitting work (`cellsdf.has_training()` is True)."""
from pathlib import Path

LIBRARY = Path(__file__).resolve().parent / "libcellsdf_torch.so"
