package cellsdf.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.ImageProcessor;
import java.io.File;
import java.util.TreeSet;
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

    /** Non-zero labels present in a frame, ascending. */
    static TreeSet<Integer> labels(int[] frame) {
        TreeSet<Integer> s = new TreeSet<Integer>();
        for (int v : frame) {
            if (v != 0) {
                s.add(v);
            }
        }
        return s;
    }

    /** Mask of one label (1 inside). */
    static byte[] mask(int[] frame, int label) {
        byte[] m = new byte[frame.length];
        for (int i = 0; i < frame.length; i++) {
            m[i] = (byte) (frame[i] == label ? 1 : 0);
        }
        return m;
    }

    /** A calibrated 8-bit hyperstack (t, z, y, x) of masks (255 inside). */
    static ImagePlus maskStack(String title, byte[] masks, int frames, int nz, int ny, int nx,
            double[] voxelUm, double frameIntervalS) {
        ImageStack st = new ImageStack(nx, ny);
        for (int t = 0; t < frames; t++) {
            for (int z = 0; z < nz; z++) {
                byte[] plane = new byte[ny * nx];
                int base = (t * nz + z) * ny * nx;
                for (int i = 0; i < plane.length; i++) {
                    plane[i] = masks[base + i] != 0 ? (byte) 255 : 0;
                }
                st.addSlice(null, plane);
            }
        }
        return hyperstack(title, st, nz, frames, voxelUm, frameIntervalS);
    }

    /** A (t, z) hyperstack of {@code st}'s planes, calibrated in um and seconds. */
    static ImagePlus hyperstack(String title, ImageStack st, int nz, int frames, double[] voxelUm,
            double frameIntervalS) {
        ImagePlus imp = new ImagePlus(title, st);
        imp.setDimensions(1, nz, frames);
        imp.setOpenAsHyperStack(frames > 1 || nz > 1);
        Calibration c = imp.getCalibration();
        c.setUnit("micron");
        c.pixelWidth = voxelUm[0];
        c.pixelHeight = voxelUm[1];
        c.pixelDepth = voxelUm[2];
        c.frameInterval = frameIntervalS;
        c.setTimeUnit("sec");
        return imp;
    }

    /** The bundled default model of a phantom class: models/CLASS.safetensors under
     * -Dcellsdf.models, else Fiji.app/models. */
    static String bundledModel(String kind) {
        String dir = System.getProperty("cellsdf.models");
        if (dir == null) {
            String ij = IJ.getDirectory("imagej");
            dir = (ij == null ? "." : ij) + File.separator + "models";
        }
        File f = new File(dir, kind + ".safetensors");
        if (!f.exists()) {
            throw new IllegalArgumentException("bundled model " + f + " not found: install the "
                + "cellsdf models folder there (see plugins/fiji/README.md) or choose a file");
        }
        return f.getPath();
    }

    /** Shows an error the ImageJ way (log when headless). */
    static void error(String command, Throwable e) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
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
