package cellsdf.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.ImageProcessor;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import org.cellsdf.CellSdf;

/** Conversions between ImageJ hyperstacks and the [t][z][y][x] arrays of the C API. */
final class Images {
    private Images() {}

    /** Voxel size (x, y, z) in um from the image calibration; an error names the image
     * when it has no physical unit. */
    static double[] voxelUm(ImagePlus imp) {
        Calibration c = imp.getCalibration();
        String unit = c.getUnit();
        double f;
        if (unit == null || unit.equals("pixel") || unit.isEmpty()) {
            throw new IllegalArgumentException(imp.getTitle() + " has no physical voxel size: "
                + "set it with Image > Properties... (unit micron)");
        } else if (unit.equals("nm")) {
            f = 1e-3;
        } else if (unit.equals("mm")) {
            f = 1e3;
        } else {
            f = 1.0; // micron, um, µm
        }
        return new double[] {c.pixelWidth * f, c.pixelHeight * f, c.pixelDepth * f};
    }

    /** Label values of frame t (0-based) as ints, [z][y][x] flattened. */
    static int[] frameLabels(ImagePlus imp, int t) {
        int nx = imp.getWidth(), ny = imp.getHeight(), nz = imp.getNSlices();
        int[] out = new int[nz * ny * nx];
        ImageStack st = imp.getStack();
        for (int z = 0; z < nz; z++) {
            ImageProcessor ip = st.getProcessor(imp.getStackIndex(1, z + 1, t + 1));
            if (ip.getBitDepth() == 24 || ip.getBitDepth() == 32) {
                throw new IllegalArgumentException(imp.getTitle() + " is not a label image "
                    + "(8- or 16-bit integers needed, got " + ip.getBitDepth() + "-bit)");
            }
            for (int y = 0; y < ny; y++) {
                for (int x = 0; x < nx; x++) {
                    out[(z * ny + y) * nx + x] = ip.get(x, y);
                }
            }
        }
        return out;
    }

    /** Label values of all frames, [t][z][y][x] flattened. */
    static int[] allLabels(ImagePlus imp) {
        int frames = imp.getNFrames();
        int n = imp.getNSlices() * imp.getHeight() * imp.getWidth();
        if ((long) frames * n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(imp.getTitle() + " is too large for one Java "
                + "array; use the cellsdf command line");
        }
        int[] out = new int[frames * n];
        for (int t = 0; t < frames; t++) {
            System.arraycopy(frameLabels(imp, t), 0, out, t * n, n);
        }
        return out;
    }

    /** The bundled default model of a phantom class, found by the library: models/ under
     * $CELLSDF_MODELS, else -Dcellsdf.models, else Fiji.app/models. */
    static String bundledModel(String kind) {
        String dir = System.getProperty("cellsdf.models");
        if (dir == null) {
            String ij = IJ.getDirectory("imagej");
            dir = (ij == null ? "." : ij) + File.separator + "models";
        }
        return CellSdf.resolveModel(kind, dir);
    }

    /** The model file a dialog's "model" field names: the bundled model of {@code kind} for
     * "bundled", else the field as a path. */
    static String modelPath(String model, String kind) {
        return "bundled".equals(model) ? bundledModel(kind) : model;
    }

    /** {@code folder}, or a new temporary folder whose name starts with {@code prefix} when
     * it is empty. */
    static String folderOrTemp(String folder, String prefix) {
        if (folder != null && !folder.trim().isEmpty()) {
            return folder;
        }
        try {
            return Files.createTempDirectory(prefix).toString();
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temporary folder: " + e.getMessage());
        }
    }

    /** Shows an error the ImageJ way (log when headless). */
    static void error(String command, Throwable e) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        // Also in the Log: batch runs and macro logs keep the reason after the dialog.
        IJ.log("Cell SDF: " + command + ": " + msg);
        IJ.error("Cell SDF: " + command, msg + "\n(libcellsdf " + safeVersion() + ")");
    }

    private static String safeVersion() {
        try {
            return CellSdf.version();
        } catch (Throwable t) {
            return "not loaded";
        }
    }
}
