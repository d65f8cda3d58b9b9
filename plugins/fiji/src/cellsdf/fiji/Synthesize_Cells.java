package cellsdf.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import org.cellsdf.CellSdfLibrary;
import org.cellsdf.Grid;
import org.cellsdf.Model;
import org.cellsdf.Progress;

/** Plugins > Cell SDF > Synthesize Cells...: new cell sequences from a model as calibrated
 * 4D mask hyperstacks (optionally the SDF as float32). Macro-recordable. */
public class Synthesize_Cells implements PlugIn {
    /** What to synthesize. Sizes (x, y, z) in voxels; voxel size in um (0: the cell fills
     * the grid); sigma 0: the learned codes' spread. */
    public static class Options {
        public String model = "bundled";
        public String kind = "dividing";
        public int sequences = 1, frames = 10, sizeX = 64, sizeY = 64, sizeZ = 64;
        public double voxelUm = 0, sigma = 0, frameIntervalS = 60;
        public boolean aroundLearned = false, sdf = false;
        public long seed = 0;
    }

    @Override
    public void run(String arg) {
        Options o = new Options();
        GenericDialog gd = new GenericDialog("Synthesize Cells");
        gd.addStringField("model", o.model, 30);
        gd.addChoice("bundled_class", new String[] {"dividing", "filopodial"}, o.kind);
        gd.addNumericField("sequences", o.sequences, 0);
        gd.addNumericField("frames", o.frames, 0);
        gd.addNumericField("size_x", o.sizeX, 0);
        gd.addNumericField("size_y", o.sizeY, 0);
        gd.addNumericField("size_z", o.sizeZ, 0);
        gd.addNumericField("voxel_size", o.voxelUm, 3, 8, "um (0: cell fills the grid)");
        gd.addNumericField("sigma", o.sigma, 3, 8, "(0: from the learned codes)");
        gd.addCheckbox("around_learned_codes", o.aroundLearned);
        gd.addNumericField("frame_interval", o.frameIntervalS, 1, 8, "s");
        gd.addNumericField("seed", o.seed, 0);
        gd.addCheckbox("also_SDF", o.sdf);
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
        o.sigma = gd.getNextNumber();
        o.aroundLearned = gd.getNextBoolean();
        o.frameIntervalS = gd.getNextNumber();
        o.seed = (long) gd.getNextNumber();
        o.sdf = gd.getNextBoolean();
        try {
            for (ImagePlus imp : synthesize(o, ijProgress())) {
                imp.show();
            }
        } catch (RuntimeException e) {
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

    /** The new sequences: masks (and SDFs when asked), calibrated, not shown. */
    public static ImagePlus[] synthesize(Options o, Progress progress) {
        if (o.sequences < 1 || o.frames < 1) {
            throw new IllegalArgumentException("sequences and frames must be at least 1");
        }
        String path = "bundled".equals(o.model) ? Images.bundledModel(o.kind) : o.model;
        try (Model m = Model.load(path, CellSdfLibrary.CSDF_DEVICE_AUTO)) {
            // Around learned codes (sigma <= 0: the paper's 0.01), N(0, sigma^2) when a sigma
            // is given, else around learned codes within their span (the library's default).
            int method = o.aroundLearned ? CellSdfLibrary.CSDF_CODES_AROUND_LEARNED
                : o.sigma > 0 ? CellSdfLibrary.CSDF_CODES_NORMAL : CellSdfLibrary.CSDF_CODES_NEIGHBOURS;
            double[] scales = new double[o.sequences];
            float[][] codes = m.sampleCodes(o.sequences, method, o.sigma > 0 ? o.sigma : -1.0, o.seed,
                scales);
            double[] times = new double[o.frames];
            for (int i = 0; i < o.frames; i++) {
                times[i] = o.frames > 1 ? -1.0 + 2.0 * i / (o.frames - 1) : 0.0;
            }
            long[] size = {o.sizeX, o.sizeY, o.sizeZ};
            double[] voxel = o.voxelUm > 0 ? new double[] {o.voxelUm, o.voxelUm, o.voxelUm} : null;
            ImagePlus[] out = new ImagePlus[o.sequences * (o.sdf ? 2 : 1)];
            for (int k = 0; k < o.sequences; k++) {
                try (Grid g = m.infer(codes[k], times, size, voxel, scales[k], true, progress)) {
                    String title = String.format("synth_%03d", k);
                    out[k * (o.sdf ? 2 : 1)] = Images.maskStack(title, g.masks(), g.frames(), g.nz(),
                        g.ny(), g.nx(), g.voxelUm(), o.frameIntervalS);
                    if (o.sdf) {
                        out[2 * k + 1] = sdfStack(title + "_sdf", g, o.frameIntervalS);
                    }
                }
            }
            return out;
        }
    }

    static ImagePlus sdfStack(String title, Grid g, double frameIntervalS) {
        ij.ImageStack st = new ij.ImageStack(g.nx(), g.ny());
        int plane = g.ny() * g.nx();
        for (int t = 0; t < g.frames(); t++) {
            float[] v = g.sdf(t);
            for (int z = 0; z < g.nz(); z++) {
                float[] p = new float[plane];
                System.arraycopy(v, z * plane, p, 0, plane);
                st.addSlice(null, p);
            }
        }
        ImagePlus imp = Images.hyperstack(title, st, g.nz(), g.frames(), g.voxelUm(), frameIntervalS);
        imp.getCalibration().setValueUnit("um");
        return imp;
    }
}
