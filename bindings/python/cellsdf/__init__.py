"""cellsdf Python package. For now: the converter of reference-implementation checkpoints
(`python -m cellsdf.convert_reference`). The ctypes binding over libcellsdf follows with the
C API."""
