package org.cellsdf;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** An SDF sequence in um, [t][z][y][x] (owns a csdf_grid handle). */
public final class Grid implements AutoCloseable {
    private Pointer handle;
    private final CellSdfLibrary.GridView view = new CellSdfLibrary.GridView();

    Grid(Pointer handle) {
        this.handle = handle;
        CellSdf.check(CellSdf.lib().csdf_grid_view_get(handle, view));
    }

    private Pointer handle() {
        if (handle == null) {
            throw new IllegalStateException("the grid is closed");
        }
        return handle;
    }

    public int frames() { return (int) view.frames; }
    public int nz() { return (int) view.nz; }
    public int ny() { return (int) view.ny; }
    public int nx() { return (int) view.nx; }

    /** Voxel size (x, y, z) in um. */
    public double[] voxelUm() {
        return view.voxel_um.clone();
    }

    /** SDF values (um) of frame t, [z][y][x] flattened (a copy). */
    public synchronized float[] sdf(int t) {
        handle(); // the view points into the grid's memory
        long n = view.nz * view.ny * view.nx;
        if (t < 0 || t >= view.frames) {
            throw new IndexOutOfBoundsException("frame " + t + " of " + view.frames);
        }
        return view.data.getFloatArray(t * n * 4, (int) n);
    }

    /** Masks of all frames (1 inside), [t][z][y][x] flattened. */
    public synchronized byte[] masks() {
        byte[] m = new byte[(int) (view.frames * view.nz * view.ny * view.nx)];
        CellSdf.check(CellSdf.lib().csdf_grid_mask(handle(), m, m.length));
        return m;
    }

    /** Mesh of the {@code level} iso-surface (um) of frame t. */
    public Mesh mesh(int t, float level) {
        PointerByReference out = new PointerByReference();
        CellSdf.check(CellSdf.lib().csdf_mesh_from_grid(handle(), t, level, out));
        return new Mesh(out.getValue());
    }

    @Override
    public synchronized void close() {
        if (handle != null) {
            CellSdf.lib().csdf_grid_free(handle);
            handle = null;
        }
    }
}
