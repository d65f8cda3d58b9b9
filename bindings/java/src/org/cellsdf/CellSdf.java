package org.cellsdf;

import com.sun.jna.Native;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.nio.charset.StandardCharsets;

/**
 * Entry point of the Java binding: loads libcellsdf through JNA (from jna.library.path,
 * java.library.path or the system), checks its ABI major version, and turns failed
 * statuses into {@link CellSdfException}s carrying the library's message.
 */
public final class CellSdf {
    private static CellSdfLibrary lib;

    private CellSdf() {}

    /** The loaded library; throws UnsatisfiedLinkError with a hint when it is missing. */
    public static synchronized CellSdfLibrary lib() {
        if (lib == null) {
            CellSdfLibrary l;
            try {
                l = Native.load("cellsdf", CellSdfLibrary.class);
            } catch (UnsatisfiedLinkError e) {
                throw new UnsatisfiedLinkError("libcellsdf.so not found: put it (and libtorch) in "
                    + "Fiji.app/lib/linux64 or on jna.library.path (" + e.getMessage() + ")");
            }
            int major = l.csdf_abi_version() >>> 16;
            if (major != CellSdfLibrary.CSDF_ABI_MAJOR) {
                throw new UnsatisfiedLinkError("libcellsdf ABI " + major + " is not the "
                    + CellSdfLibrary.CSDF_ABI_MAJOR + " this binding was built for");
            }
            lib = l;
        }
        return lib;
    }

    /** True when the library can train models and fit codes (built with libtorch); one
     * without it synthesizes, renders, meshes and measures, and training and fitting throw
     * a CellSdfException with status CSDF_STATUS_UNSUPPORTED. */
    public static boolean hasTraining() {
        return lib().csdf_has_training() != 0;
    }

    /** A benchmark dataset as {@link Model#simulate} writes it, with the cells from the
     * calibrated label sequences (one cell per .tif, e.g. phantoms) in {@code phantomsDir}
     * instead of a model ({@code cellsdf simulate --phantoms}). */
    public static void simulatePhantoms(String phantomsDir,
            CellSdfLibrary.SimulateOptions options, String datasetDir, Progress progress) {
        CellSdfLibrary.ProgressFn cb = Progress.callback(progress);
        check(lib().csdf_simulate_phantoms(phantomsDir, options, datasetDir, cb, null));
    }

    /** The acquisition profile of the raw image {@code raw} with its {@code labels}
     * (hyperstack TIFFs, or folders of one TIFF per frame), written as JSON to {@code out}
     * byte for byte as {@code cellsdf calibrate} writes it. {@code voxelUm} (x, y, z, um) or
     * null for the files' calibration; {@code intervalS} <= 0 for the files' interval. */
    public static void calibrate(String raw, String labels, double[] voxelUm, double intervalS,
            String out, boolean overwrite, Progress progress) {
        CellSdfLibrary.ProgressFn cb = Progress.callback(progress);
        check(lib().csdf_calibrate(raw, labels, voxelUm, intervalS, out, overwrite ? 1 : 0, cb,
            null));
    }

    /** Library version, e.g. "0.1.0". */
    public static String version() {
        return lib().csdf_version();
    }

    /** Throws a {@link CellSdfException} with the library's message unless {@code status}
     * is OK. */
    public static void check(int status) {
        if (status == CellSdfLibrary.CSDF_STATUS_OK) {
            return;
        }
        CellSdfLibrary l = lib();
        long n = l.csdf_last_error_message(null, 0);
        byte[] buf = new byte[(int) n + 1];
        l.csdf_last_error_message(buf, buf.length);
        String msg = new String(buf, 0, (int) n, StandardCharsets.UTF_8);
        throw new CellSdfException(status, l.csdf_status_name(status) + ": " + msg);
    }

    /** Shape descriptors of a mask ({@code [z][y][x]} bytes, non-zero inside), um units. */
    public static CellSdfLibrary.Descriptors describeMask(byte[] mask, int nz, int ny, int nx,
            double[] voxelUmXyz) {
        CellSdfLibrary.Descriptors d = new CellSdfLibrary.Descriptors();
        check(lib().csdf_describe_mask(mask, nz, ny, nx, voxelUmXyz, d));
        return d;
    }

    /** Descriptors of every label of every frame of {@code labels} ([t][z][y][x] flattened,
     * values >= 0) with voxel size (x, y, z) um and frame interval (s; 0: unknown), exactly as
     * {@code cellsdf describe} computes them. {@code source} names the data in the CSV. */
    public static Table describeLabels(int[] labels, int frames, int nz, int ny, int nx,
            double[] voxelUmXyz, double frameIntervalS, String source, Progress progress) {
        PointerByReference out = new PointerByReference();
        CellSdfLibrary.ProgressFn cb = Progress.callback(progress);
        check(lib().csdf_labels_describe(labels, CellSdfLibrary.CSDF_DTYPE_I32, frames, nz, ny, nx,
            voxelUmXyz, frameIntervalS, source, cb, null, out));
        return new Table(out.getValue());
    }

    /** Meshes every label of every frame into {@code outDir} exactly as {@code cellsdf mesh}
     * does ({@code <stem>_tNNN_labelL.<ext>}, frames from 0; format CSDF_MESH_*); files
     * cellsdf did not write are kept unless {@code overwrite}. Returns the number written. */
    public static long meshLabels(int[] labels, int frames, int nz, int ny, int nx,
            double[] voxelUmXyz, String stem, int format, String outDir, boolean overwrite,
            Progress progress) {
        LongByReference written = new LongByReference();
        CellSdfLibrary.ProgressFn cb = Progress.callback(progress);
        check(lib().csdf_labels_mesh(labels, CellSdfLibrary.CSDF_DTYPE_I32, frames, nz, ny, nx,
            voxelUmXyz, stem, format, outDir, overwrite ? 1 : 0, cb, null, written));
        return written.getValue();
    }

    /** The file a model argument names: a path as given, or for "dividing" / "filopodial"
     * the bundled default model found in $CELLSDF_MODELS, {@code searchDir} (may be null) or
     * the library's source tree. */
    public static String resolveModel(String nameOrPath, String searchDir) {
        LongByReference need = new LongByReference();
        check(lib().csdf_model_resolve(nameOrPath, searchDir, null, 0, need));
        byte[] buf = new byte[(int) need.getValue()];
        check(lib().csdf_model_resolve(nameOrPath, searchDir, buf, buf.length, need));
        return new String(buf, 0, buf.length - 1, StandardCharsets.UTF_8);
    }
}
