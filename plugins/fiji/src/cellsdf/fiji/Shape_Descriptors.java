package cellsdf.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.measure.ResultsTable;
import ij.plugin.PlugIn;
import org.cellsdf.CellSdf;
import org.cellsdf.Table;

/** Plugins > Cell SDF > Shape Descriptors: one results-table row per cell (label) and frame
 * of the current label image, computed by the library exactly as {@code cellsdf describe}
 * does: the same columns (frames counted from 0), um units (volume, surface, sphericity,
 * ...), time in s when the image has a frame interval. */
public class Shape_Descriptors implements PlugIn {
    @Override
    public void run(String arg) {
        ImagePlus imp = IJ.getImage();
        try {
            // ImageJ's system "Results" table, so that macros read nResults and getResult.
            ResultsTable rt = describe(imp);
            ij.plugin.filter.Analyzer.setResultsTable(rt);
            rt.show("Results");
        } catch (RuntimeException | Error e) {  // native load failures are Errors
            Images.error("Shape Descriptors", e);
        }
    }

    /** The descriptor table of every label in every frame of {@code imp}. */
    public static ResultsTable describe(ImagePlus imp) {
        double[] voxel = Images.voxelUm(imp);
        int nz = imp.getNSlices(), ny = imp.getHeight(), nx = imp.getWidth();
        int frames = imp.getNFrames();
        double interval = imp.getCalibration().frameInterval;
        ResultsTable rt = new ResultsTable();
        try (Table t = CellSdf.describeLabels(Images.allLabels(imp), frames, nz, ny, nx, voxel,
                interval, imp.getTitle(), Synthesize_Cells.ijProgress())) {
            String[] columns = t.columns();
            for (int r = 0; r < t.rows(); r++) {
                rt.incrementCounter();
                for (String c : columns) {
                    rt.addValue(c, t.get(r, c));
                }
            }
        }
        return rt;
    }
}
