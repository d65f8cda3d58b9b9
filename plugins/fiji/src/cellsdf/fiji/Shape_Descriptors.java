package cellsdf.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.measure.ResultsTable;
import ij.plugin.PlugIn;
import org.cellsdf.CellSdf;
import org.cellsdf.CellSdfLibrary;

/** Plugins > Cell SDF > Shape Descriptors: one results-table row per cell (label) and frame
 * of the current label image, in um units (volume, surface, sphericity, ...). */
public class Shape_Descriptors implements PlugIn {
    @Override
    public void run(String arg) {
        ImagePlus imp = IJ.getImage();
        try {
            describe(imp).show("Cell SDF descriptors of " + imp.getTitle());
        } catch (RuntimeException e) {
            Images.error("Shape Descriptors", e);
        }
    }

    /** The descriptor table of every label in every frame of {@code imp}. */
    public static ResultsTable describe(ImagePlus imp) {
        double[] voxel = Images.voxelUm(imp);
        int nz = imp.getNSlices(), ny = imp.getHeight(), nx = imp.getWidth();
        ResultsTable rt = new ResultsTable();
        for (int t = 0; t < imp.getNFrames(); t++) {
            int[] frame = Images.frameLabels(imp, t);
            for (int label : Images.labels(frame)) {
                CellSdfLibrary.Descriptors d = CellSdf.describeMask(Images.mask(frame, label), nz, ny, nx, voxel);
                rt.incrementCounter();
                rt.addValue("frame", t + 1);
                rt.addValue("label", label);
                rt.addValue("volume_um3", d.volume_um3);
                rt.addValue("voxel_volume_um3", d.voxel_volume_um3);
                rt.addValue("surface_um2", d.surface_um2);
                rt.addValue("sphericity", d.sphericity);
                rt.addValue("inverse_sphericity", d.inverse_sphericity);
                rt.addValue("components", d.components);
                rt.addValue("genus", d.genus);
                rt.addValue("extent_x_um", d.extent_um[0]);
                rt.addValue("extent_y_um", d.extent_um[1]);
                rt.addValue("extent_z_um", d.extent_um[2]);
                rt.addValue("centroid_x_um", d.centroid_um[0]);
                rt.addValue("centroid_y_um", d.centroid_um[1]);
                rt.addValue("centroid_z_um", d.centroid_um[2]);
            }
            IJ.showProgress(t + 1, imp.getNFrames());
        }
        return rt;
    }
}
