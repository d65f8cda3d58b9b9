package cellsdf.fiji;

import com.sun.jna.Memory;
import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import org.cellsdf.CellSdf;
import org.cellsdf.CellSdfLibrary;
import org.cellsdf.Model;
import org.cellsdf.Progress;

/** Plugins > Cell SDF > Train Model...: trains a model on the current label hyperstack (ids
 * persisting over time) or on a folder (label hyperstacks or a Cell Tracking Challenge
 * folder); progress in the status bar, Esc cancels. */
public class Train_Model implements PlugIn {
    /** Training options; {@code source} is "current image" or a folder path. */
    public static class Options {
        public String source = "current image";
        public String model = "";
        public String arch = "small";
        public int epochs = 100;
        public double lrNet = 1e-3;
        public long seed = 0;
        /** For a folder source: what the files' planes are when their metadata says
         * otherwise ("TZYX", "ZTYX", "TYX", "ZYX"); "" as the metadata says. (For the
         * current image use Image > Hyperstacks > Re-order Hyperstack first.) */
        public String axes = "";
        /** Cells that travel: centre every frame on its cell (shifts in um recorded), so
         * the model learns the shape and not the track ({@code cellsdf prepare --centre frame}). */
        public boolean cellsMove = false;
    }

    /** The dialog's Help: every field (its macro key) with its unit. */
    static final String HELP = "<html><h3>Train Model</h3><table>"
        + "<tr><td>source</td><td>\"current image\" (a label hyperstack calibrated in um and"
        + " s) or a folder of label hyperstacks or a Cell Tracking Challenge folder (Browse)</td></tr>"
        + "<tr><td>model</td><td>the model file to write (.safetensors)</td></tr>"
        + "<tr><td>architecture</td><td>small (fast) or paper (the paper's network)</td></tr>"
        + "<tr><td>epochs</td><td>passes over all frames (count)</td></tr>"
        + "<tr><td>learning_rate</td><td>of the network, no unit (codes: 10x)</td></tr>"
        + "<tr><td>seed</td><td>integer; the same seed trains the same model</td></tr>"
        + "<tr><td>folder_axes</td><td>what a folder's file planes are when their metadata"
        + " says otherwise</td></tr>"
        + "<tr><td>cells_move</td><td>centre every frame on its cell (cells that travel;"
        + " each frame's shift in um is recorded), so the model learns the shape, not the"
        + " track</td></tr></table>"
        + "<p>Needs libcellsdf built with libtorch (install with TRAINING=1).</p></html>";

    /** "true" when the installed libcellsdf can train (built with libtorch), else "false";
     * for macros: {@code call("cellsdf.fiji.Train_Model.hasTraining")}. */
    public static String hasTraining() {
        return String.valueOf(CellSdf.hasTraining());
    }

    @Override
    public void run(String arg) {
        Options o = new Options();
        GenericDialog gd = new GenericDialog("Train Model");
        gd.addDirectoryField("source", o.source, 30);
        gd.addFileField("model", IJ.getDirectory("home") + "cellsdf-model.safetensors", 30);
        gd.addChoice("architecture", new String[] {"small", "paper"}, o.arch);
        gd.addNumericField("epochs", o.epochs, 0);
        gd.addNumericField("learning_rate", o.lrNet, 5);
        gd.addNumericField("seed", o.seed, 0);
        gd.addChoice("folder_axes", new String[] {"as in the files", "TZYX", "ZTYX", "TYX", "ZYX"},
            "as in the files");
        gd.addCheckbox("cells_move (centre every frame)", o.cellsMove);
        gd.addHelp(HELP);
        gd.showDialog();
        if (gd.wasCanceled()) {
            return;
        }
        o.source = gd.getNextString();
        o.model = gd.getNextString();
        o.arch = gd.getNextChoice();
        o.epochs = (int) gd.getNextNumber();
        o.lrNet = gd.getNextNumber();
        o.seed = (long) gd.getNextNumber();
        String axes = gd.getNextChoice();
        o.axes = axes.startsWith("as ") ? "" : axes;
        o.cellsMove = gd.getNextBoolean();
        try {
            ImagePlus imp = "current image".equals(o.source) ? WindowManager.getCurrentImage() : null;
            try (Model m = train(imp, o, Synthesize_Cells.ijProgress())) {
                IJ.log("Cell SDF: trained a model on " + m.sequences() + " sequences: " + o.model);
            }
        } catch (IOException | RuntimeException | Error e) {
            Images.error("Train Model", e);
        }
    }

    /** Trains on {@code imp} (written to a temporary hyperstack) or on the folder named by
     * {@code o.source}; the model is saved to {@code o.model}. */
    public static Model train(ImagePlus imp, Options o, Progress progress) throws IOException {
        File work = Files.createTempDirectory("cellsdf-train").toFile();
        try {
            String input;
            if (imp != null) {
                input = new File(work, "labels.tif").getPath();
                writeLabels(imp, input);
            } else if (new File(o.source).exists()) {
                input = o.source;
            } else {
                throw new IllegalArgumentException("no image is open and the source " + o.source + " does not exist");
            }
            return Model.train(new String[] {input}, new File(work, "dataset").getPath(), o.model,
                o.arch, o.epochs, o.lrNet, o.seed, imp != null || o.axes.isEmpty() ? null : o.axes,
                o.cellsMove ? "frame" : null, progress);
        } finally {
            deleteTree(work);
        }
    }

    /** Writes an 8/16-bit label hyperstack through the C API, with its calibration. */
    static void writeLabels(ImagePlus imp, String path) {
        int nx = imp.getWidth(), ny = imp.getHeight(), nz = imp.getNSlices(), nt = imp.getNFrames();
        boolean wide = imp.getBitDepth() == 16;
        Memory mem = new Memory((long) nt * nz * ny * nx * (wide ? 2 : 1));
        long i = 0;
        for (int t = 0; t < nt; t++) {
            for (int v : Images.frameLabels(imp, t)) {
                if (wide) {
                    mem.setShort(2 * i, (short) v);
                } else {
                    mem.setByte(i, (byte) v);
                }
                i++;
            }
        }
        double fi = imp.getCalibration().frameInterval;
        CellSdf.check(CellSdf.lib().csdf_stack_write(path, wide ? CellSdfLibrary.CSDF_DTYPE_U16
            : CellSdfLibrary.CSDF_DTYPE_U8, mem, nt, nz, ny, nx, Images.voxelUm(imp), fi, 0));
    }

    static void deleteTree(File f) {
        File[] kids = f.listFiles();
        if (kids != null) {
            for (File k : kids) {
                deleteTree(k);
            }
        }
        f.delete();
    }
}
