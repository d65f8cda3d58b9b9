"""napari-cellsdf: cellsdf in napari (widgets, sample data, reader and writer)."""
__version__ = "0.1.0"
