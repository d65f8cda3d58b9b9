package cellsdf.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import java.io.File;
import org.cellsdf.CellSdf;
import org.cellsdf.CellSdfLibrary;
import org.cellsdf.Model;
import org.cellsdf.Progress;

/** Plugins > Cell SDF > Simulate Dataset...: a benchmark dataset of new cells written by the
 * library exactly as {@code cellsdf simulate} writes it (Cell Tracking Challenge layout,
 * manifest.json, preview.png), then opened: the raw time-lapse (16-bit) and its ground
 * truth (labels), as calibrated hyperstacks, and with projection the same for the maximum
 * projections along z. Macro-recordable. */
public class Simulate_Dataset implements PlugIn {
    /** What to simulate: sizes (x, y, z) in voxels, voxel sizes in um, wavelength in nm;
     * folder "": a new temporary folder. */
    public static class Options {
        public String model = "bundled";
        public String kind = "dividing";
        public int cells = 3, frames = 20, sizeX = 128, sizeY = 128, sizeZ = 48;
        public double voxelXy = 0.2, voxelZ = 0.4;
        public String microscope = "widefield";
        public double na = 1.2, wavelengthNm = 520, refractiveIndex = 1.33, snr = 10;
        public double rimUm = 0.4, rimGain = 0;
        public boolean projection = false;
        public long seed = 0;
        public String folder = "";
    }

    /** The dialog's Help: every field (its macro key) with its unit. */
    static final String HELP = "<html><h3>Simulate Dataset</h3><table>"
        + "<tr><td>model</td><td>\"bundled\", a model file (.safetensors; Browse), or a folder"
        + " of calibrated label sequences (phantoms; one cell per .tif)</td></tr>"
        + "<tr><td>bundled_class</td><td>phantom class of the bundled model</td></tr>"
        + "<tr><td>cells</td><td>cells in the field (count)</td></tr>"
        + "<tr><td>frames</td><td>frames (count); the interval in s is the model's</td></tr>"
        + "<tr><td>size_x, size_y, size_z</td><td>field size in voxels</td></tr>"
        + "<tr><td>voxel_xy, voxel_z</td><td>voxel size in um</td></tr>"
        + "<tr><td>microscope</td><td>widefield or confocal (Gaussian PSF)</td></tr>"
        + "<tr><td>NA</td><td>numerical aperture, no unit, below the refractive index</td></tr>"
        + "<tr><td>wavelength</td><td>emission wavelength in nm</td></tr>"
        + "<tr><td>refractive_index</td><td>of the immersion medium, no unit</td></tr>"
        + "<tr><td>SNR</td><td>of the first frame as the Cell Tracking Challenge defines it,"
        + " no unit</td></tr>"
        + "<tr><td>rim</td><td>depth of the stain's bright rim in um</td></tr>"
        + "<tr><td>rim_gain</td><td>extra brightness of the rim, no unit (0: uniform stain;"
        + " e.g. 3 for a membrane stain)</td></tr>"
        + "<tr><td>projection</td><td>also write and open the maximum projections along z"
        + " (a 2D+t dataset in projection/; cells then never share an x-y column)</td></tr>"
        + "<tr><td>seed</td><td>integer; the same seed gives the same dataset</td></tr>"
        + "<tr><td>folder</td><td>where 01/ and 01_GT/ go (empty: a temporary folder)</td></tr>"
        + "</table></html>";

    @Override
    public void run(String arg) {
        Options o = new Options();
        GenericDialog gd = new GenericDialog("Simulate Dataset");
        gd.addFileField("model", o.model, 30);
        gd.addChoice("bundled_class", new String[] {"dividing", "filopodial"}, o.kind);
        gd.addNumericField("cells", o.cells, 0);
        gd.addNumericField("frames", o.frames, 0);
        gd.addNumericField("size_x", o.sizeX, 0, 6, "voxels");
        gd.addNumericField("size_y", o.sizeY, 0, 6, "voxels");
        gd.addNumericField("size_z", o.sizeZ, 0, 6, "voxels");
        gd.addNumericField("voxel_xy", o.voxelXy, 3, 8, "um");
        gd.addNumericField("voxel_z", o.voxelZ, 3, 8, "um");
        gd.addChoice("microscope", new String[] {"widefield", "confocal"}, o.microscope);
        gd.addNumericField("NA", o.na, 2);
        gd.addNumericField("wavelength", o.wavelengthNm, 0, 6, "nm");
        gd.addNumericField("refractive_index", o.refractiveIndex, 3);
        gd.addNumericField("SNR", o.snr, 2);
        gd.addNumericField("rim", o.rimUm, 2, 6, "um");
        gd.addNumericField("rim_gain", o.rimGain, 2);
        gd.addCheckbox("projection", o.projection);
        gd.addNumericField("seed", o.seed, 0);
        gd.addDirectoryField("folder", o.folder);
        gd.addHelp(HELP);
        gd.showDialog();
        if (gd.wasCanceled()) {
            return;
        }
        o.model = gd.getNextString();
        o.kind = gd.getNextChoice();
        o.cells = (int) gd.getNextNumber();
        o.frames = (int) gd.getNextNumber();
        o.sizeX = (int) gd.getNextNumber();
        o.sizeY = (int) gd.getNextNumber();
        o.sizeZ = (int) gd.getNextNumber();
        o.voxelXy = gd.getNextNumber();
        o.voxelZ = gd.getNextNumber();
        o.microscope = gd.getNextChoice();
        o.na = gd.getNextNumber();
        o.wavelengthNm = gd.getNextNumber();
        o.refractiveIndex = gd.getNextNumber();
        o.snr = gd.getNextNumber();
        o.rimUm = gd.getNextNumber();
        o.rimGain = gd.getNextNumber();
        o.projection = gd.getNextBoolean();
        o.seed = (long) gd.getNextNumber();
        o.folder = gd.getNextString();
        try {
            for (ImagePlus imp : simulate(o, Synthesize_Cells.ijProgress())) {
                imp.show();
            }
        } catch (RuntimeException | Error e) {  // native load failures are Errors
            Images.error("Simulate Dataset", e);
        }
    }

    /** Simulates into {@code o.folder} (a temporary folder when empty) and returns the raw
     * time-lapse and its ground-truth labels as hyperstacks. */
    public static ImagePlus[] simulate(Options o, Progress progress) {
        String path = new File(o.model).isDirectory() ? o.model
            : Images.modelPath(o.model, o.kind);
        String folder = Images.folderOrTemp(o.folder, "cellsdf-simulate-");
        CellSdfLibrary.SimulateOptions so = CellSdf.lib().csdf_simulate_options_default();
        so.cells = o.cells;
        so.frames = o.frames;
        so.size_xyz = new long[] {o.sizeX, o.sizeY, o.sizeZ};
        so.voxel_um = new double[] {o.voxelXy, o.voxelXy, o.voxelZ};
        so.microscope = "confocal".equals(o.microscope)
            ? CellSdfLibrary.CSDF_MICROSCOPE_CONFOCAL : CellSdfLibrary.CSDF_MICROSCOPE_WIDEFIELD;
        so.na = o.na;
        so.wavelength_nm = o.wavelengthNm;
        so.refractive_index = o.refractiveIndex;
        so.snr = o.snr;
        so.rim_um = o.rimUm;
        so.rim_gain = o.rimGain;
        so.projection = o.projection ? 1 : 0;
        so.seed = o.seed;
        if (new File(o.model).isDirectory()) {
            // A folder of label sequences (phantoms): one cell per file.
            CellSdf.simulatePhantoms(o.model, so, folder, progress);
        } else {
            try (Model m = Model.load(path, CellSdfLibrary.CSDF_DEVICE_CPU)) {
                m.simulate(so, folder, progress);
            }
        }
        String d = o.frames > 1000 ? "%04d" : "%03d";
        String name = new File(folder).getName();
        ImagePlus[] images = dataset(new File(folder), d, o.frames, name);
        if (!o.projection) {
            return images;
        }
        ImagePlus[] projected = dataset(new File(folder, "projection"), d, o.frames,
            name + " projection");
        return new ImagePlus[] {images[0], images[1], projected[0], projected[1]};
    }

    /** The raw time-lapse and ground truth of the CTC sequence 01 under {@code root}. */
    private static ImagePlus[] dataset(File root, String d, int frames, String name) {
        return new ImagePlus[] {
            timeLapse(new File(root, "01"), "t" + d + ".tif", frames, name + " raw"),
            timeLapse(new File(root, "01_GT/SEG"), "man_seg" + d + ".tif", frames,
                name + " ground truth"),
        };
    }

    /** The frames {@code pattern} (0-based) of {@code dir} as one calibrated hyperstack. */
    private static ImagePlus timeLapse(File dir, String pattern, int frames, String title) {
        ImageStack stack = null;
        ImagePlus first = null;
        for (int t = 0; t < frames; t++) {
            File f = new File(dir, String.format(pattern, t));
            ImagePlus frame = IJ.openImage(f.getPath());
            if (frame == null) {
                throw new IllegalStateException("ImageJ could not open " + f);
            }
            if (stack == null) {
                first = frame;
                stack = new ImageStack(frame.getWidth(), frame.getHeight());
            }
            for (int z = 1; z <= frame.getStackSize(); z++) {
                stack.addSlice(frame.getStack().getProcessor(z));
            }
        }
        ImagePlus imp = new ImagePlus(title, stack);
        imp.setDimensions(1, first.getStackSize(), frames);
        imp.setOpenAsHyperStack(true);
        imp.setCalibration(first.getCalibration());
        return imp;
    }
}
