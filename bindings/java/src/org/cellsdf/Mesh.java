package org.cellsdf;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** A triangle mesh in um (owns a csdf_mesh handle). */
public final class Mesh implements AutoCloseable {
    private Pointer handle;
    private final CellSdfLibrary.MeshView view = new CellSdfLibrary.MeshView();

    Mesh(Pointer handle) {
        this.handle = handle;
        CellSdf.check(CellSdf.lib().csdf_mesh_view_get(handle, view));
    }

    /** Closed surface of a mask ([z][y][x], non-zero inside) with voxel size (x, y, z) um. */
    public static Mesh ofMask(byte[] mask, int nz, int ny, int nx, double[] voxelUmXyz) {
        PointerByReference out = new PointerByReference();
        CellSdf.check(CellSdf.lib().csdf_mesh_from_mask(mask, nz, ny, nx, voxelUmXyz, out));
        return new Mesh(out.getValue());
    }

    /** A mesh file (PLY, OBJ or binary STL; um). */
    public static Mesh read(String path) {
        PointerByReference out = new PointerByReference();
        CellSdf.check(CellSdf.lib().csdf_mesh_read(path, out));
        return new Mesh(out.getValue());
    }

    private Pointer handle() {
        if (handle == null) {
            throw new IllegalStateException("the mesh is closed");
        }
        return handle;
    }

    public int vertexCount() { return (int) view.n_vertices; }
    public int faceCount() { return (int) view.n_faces; }

    /** Vertices (x, y, z) um, flattened (a copy). */
    public synchronized float[] vertices() {
        handle(); // the view points into the mesh's memory
        return view.vertices.getFloatArray(0, 3 * vertexCount());
    }

    /** Triangles as vertex indices, flattened (a copy). */
    public synchronized int[] faces() {
        handle();
        return view.faces.getIntArray(0, 3 * faceCount());
    }

    public CellSdfLibrary.Descriptors describe() {
        CellSdfLibrary.Descriptors d = new CellSdfLibrary.Descriptors();
        CellSdf.check(CellSdf.lib().csdf_describe_mesh(handle(), d));
        return d;
    }

    /**
     * Writes the mesh; format CSDF_MESH_PLY_BINARY, _PLY_ASCII, _OBJ or _STL. An existing file
     * that cellsdf did not write is replaced only when {@code overwrite}.
     */
    public void write(String path, int format, boolean overwrite) {
        CellSdf.check(CellSdf.lib().csdf_mesh_write(handle(), path, format, overwrite ? 1 : 0));
    }

    @Override
    public synchronized void close() {
        if (handle != null) {
            CellSdf.lib().csdf_mesh_free(handle);
            handle = null;
        }
    }
}
