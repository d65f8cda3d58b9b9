package cellsdf.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.cellsdf.CellSdfLibrary;
import org.cellsdf.Model;
import org.cellsdf.Progress;

/** Plugins > Cell SDF > Synthesize Cells...: new cell sequences from a model, rendered by
 * the library exactly as {@code cellsdf synth} renders them (calibrated 4D mask hyperstacks
 * with the model's frame interval, optionally the SDF as float32, and manifest.json) into a
 * folder, then opened. Macro-recordable. */
public class Synthesize_Cells implements PlugIn {
    /** Ways to draw new codes, as the CLI's --codes names them (default first). */
    static final String[] CODES = {"neighbours", "fitted", "normal", "around-learned"};
    static final String[] SIZES = {"training", "decoded"};

    /** What to synthesize. Sizes (x, y, z) in voxels; voxel size in um (0: the cell fills
     * the grid); param 0: the code method's default; folder "": a new temporary folder. */
    public static class Options {
        public String model = "bundled";
        public String kind = "dividing";
        public int sequences = 1, frames = 10, sizeX = 64, sizeY = 64, sizeZ = 64;
        public double voxelUm = 0, param = 0;
        public String codes = "neighbours";
        /** training: each cell's mean volume drawn from the training cells'; decoded: the
         * size its code decodes to (neighbours and fitted; the paper's methods decode). */
        public String sizes = "training";
        public boolean sdf = false;
        /** Filopodia as tubes when the model carries a tube model (cellsdf tubes). */
        public boolean tubes = true;
        public long seed = 0;
        public String folder = "";
    }

    /** The dialog's Help: every field (its macro key) with its unit. */
    static final String HELP = "<html><h3>Synthesize Cells</h3><table>"
        + "<tr><td>model</td><td>\"bundled\" or a model file (.safetensors; Browse)</td></tr>"
        + "<tr><td>bundled_class</td><td>phantom class of the bundled model</td></tr>"
        + "<tr><td>sequences</td><td>new cell sequences (count)</td></tr>"
        + "<tr><td>frames</td><td>frames per sequence (count); the frame interval in s is the"
        + " model's, spread over them</td></tr>"
        + "<tr><td>size_x, size_y, size_z</td><td>grid size in voxels</td></tr>"
        + "<tr><td>voxel_size</td><td>um, isotropic (0: the cell fills the grid)</td></tr>"
        + "<tr><td>codes</td><td>how new latent codes are drawn (neighbours: around learned"
        + " codes)</td></tr>"
        + "<tr><td>parameter</td><td>of the code method, no unit (0: its default)</td></tr>"
        + "<tr><td>cell_sizes</td><td>training: each new cell's mean volume (um^3) drawn from"
        + " the training cells'; decoded: the size its code decodes to (neighbours and"
        + " fitted)</td></tr>"
        + "<tr><td>seed</td><td>integer; the same seed gives the same cells</td></tr>"
        + "<tr><td>also_SDF</td><td>also write the signed distance in um (float32)</td></tr>"
        + "<tr><td>filopodia_as_tubes</td><td>draw filopodia as tubes attached to the body"
        + " when the model carries a tube model (the bundled filopodial model does); off:"
        + " the network's shape as it is</td></tr>"
        + "<tr><td>folder</td><td>where the hyperstacks and manifest.json go (empty: a"
        + " temporary folder)</td></tr></table></html>";

    @Override
    public void run(String arg) {
        Options o = new Options();
        GenericDialog gd = new GenericDialog("Synthesize Cells");
        gd.addFileField("model", o.model, 30);
        gd.addChoice("bundled_class", new String[] {"dividing", "filopodial"}, o.kind);
        gd.addNumericField("sequences", o.sequences, 0);
        gd.addNumericField("frames", o.frames, 0);
        gd.addNumericField("size_x", o.sizeX, 0, 6, "voxels");
        gd.addNumericField("size_y", o.sizeY, 0, 6, "voxels");
        gd.addNumericField("size_z", o.sizeZ, 0, 6, "voxels");
        gd.addNumericField("voxel_size", o.voxelUm, 3, 8, "um (0: cell fills the grid)");
        gd.addChoice("codes", CODES, o.codes);
        gd.addNumericField("parameter", o.param, 3, 8, "(0: the method's default)");
        gd.addChoice("cell_sizes", SIZES, o.sizes);
        gd.addNumericField("seed", o.seed, 0);
        gd.addCheckbox("also_SDF", o.sdf);
        gd.addCheckbox("filopodia_as_tubes", o.tubes);
        gd.addDirectoryField("folder", o.folder);
        gd.addHelp(HELP);
        gd.showDialog();
        if (gd.wasCanceled()) {
            return;
        }
        o.model = gd.getNextString();
        o.kind = gd.getNextChoice();
        o.sequences = (int) gd.getNextNumber();
        o.frames = (int) gd.getNextNumber();
        o.sizeX = (int) gd.getNextNumber();
        o.sizeY = (int) gd.getNextNumber();
        o.sizeZ = (int) gd.getNextNumber();
        o.voxelUm = gd.getNextNumber();
        o.codes = gd.getNextChoice();
        o.param = gd.getNextNumber();
        o.sizes = gd.getNextChoice();
        o.seed = (long) gd.getNextNumber();
        o.sdf = gd.getNextBoolean();
        o.tubes = gd.getNextBoolean();
        o.folder = gd.getNextString();
        try {
            for (ImagePlus imp : synthesize(o, ijProgress())) {
                imp.show();
            }
        } catch (RuntimeException | Error e) {  // native load failures are Errors
            Images.error("Synthesize Cells", e);
        }
    }

    /** Progress in ImageJ's status bar; Esc cancels. */
    static Progress ijProgress() {
        IJ.resetEscape();
        return (fraction, stage) -> {
            IJ.showStatus("Cell SDF: " + stage);
            IJ.showProgress(fraction);
            return !IJ.escapePressed();
        };
    }

    /** The library's options for {@code o}. */
    static CellSdfLibrary.SynthOptions options(Options o) {
        CellSdfLibrary.SynthOptions so = Model.synthOptions();
        int method = java.util.Arrays.asList(CODES).indexOf(o.codes);
        if (method < 0) {
            throw new IllegalArgumentException("codes must be one of "
                + String.join(", ", CODES) + ", not " + o.codes);
        }
        so.code_method = new int[] {CellSdfLibrary.CSDF_CODES_NEIGHBOURS,
            CellSdfLibrary.CSDF_CODES_FITTED, CellSdfLibrary.CSDF_CODES_NORMAL,
            CellSdfLibrary.CSDF_CODES_AROUND_LEARNED}[method];
        so.code_param = o.param > 0 ? o.param : -1.0;
        int sizes = java.util.Arrays.asList(SIZES).indexOf(o.sizes);
        if (sizes < 0) {
            throw new IllegalArgumentException("cell_sizes must be one of "
                + String.join(", ", SIZES) + ", not " + o.sizes);
        }
        so.sizes = new int[] {CellSdfLibrary.CSDF_SIZES_TRAINING,
            CellSdfLibrary.CSDF_SIZES_DECODED}[sizes];
        so.count = o.sequences;
        so.frames = o.frames;
        so.seed = o.seed;
        so.size_xyz = new long[] {o.sizeX, o.sizeY, o.sizeZ};
        so.voxel_um = o.voxelUm > 0 ? new double[] {o.voxelUm, o.voxelUm, o.voxelUm}
            : new double[3];
        so.write_sdf = o.sdf ? 1 : 0;
        so.tubes = o.tubes ? 1 : 0;
        so.model_label = "bundled".equals(o.model) ? o.kind : o.model;
        return so;
    }

    /** Renders into {@code o.folder} (a new temporary folder when empty) and opens the
     * files: masks of every sequence, each followed by its SDF when asked; not shown. */
    public static ImagePlus[] synthesize(Options o, Progress progress) {
        String path = Images.modelPath(o.model, o.kind);
        String folder = Images.folderOrTemp(o.folder, "cellsdf-synth-");
        List<ImagePlus> out = new ArrayList<ImagePlus>();
        try (Model m = Model.load(path, CellSdfLibrary.CSDF_DEVICE_AUTO)) {
            for (File f : m.synthesize(options(o), folder, progress)) {
                out.add(open(f));
                if (o.sdf) {
                    out.add(open(new File(f.getParent(), f.getName().replace(".tif", "_sdf.tif"))));
                }
            }
        }
        return out.toArray(new ImagePlus[0]);
    }

    private static ImagePlus open(File f) {
        ImagePlus imp = IJ.openImage(f.getPath());
        if (imp == null) {
            throw new IllegalStateException("ImageJ could not open " + f);
        }
        if (imp.getBitDepth() == 8) {
            imp.setDisplayRange(0, 1); // masks are 0/1 labels
        }
        return imp;
    }
}
