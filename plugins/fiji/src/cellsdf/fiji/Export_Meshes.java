package cellsdf.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import java.io.File;
import org.cellsdf.CellSdf;
import org.cellsdf.CellSdfLibrary;

/** Plugins > Cell SDF > Export Meshes...: one mesh (PLY, OBJ or STL, in um) per label and
 * frame of the current mask or label image, as {@code cellsdf mesh} writes them. */
public class Export_Meshes implements PlugIn {
    static final String[] FORMATS = {"ply", "obj", "stl"};

    /** The dialog's Help: every field (its macro key) with its unit. */
    static final String HELP = "<html><h3>Export Meshes</h3><table>"
        + "<tr><td>folder</td><td>where one mesh per frame and label goes: &lt;image&gt;_t000"
        + " (frames from 0, as the Results table counts them), with _label&lt;id&gt; when the"
        + " image holds several labels</td></tr>"
        + "<tr><td>format</td><td>ply (binary), obj or stl; vertices in um</td></tr>"
        + "</table></html>";

    @Override
    public void run(String arg) {
        ImagePlus imp = IJ.getImage();
        GenericDialog gd = new GenericDialog("Export Meshes");
        gd.addDirectoryField("folder", IJ.getDirectory("temp"));
        gd.addChoice("format", FORMATS, "ply");
        gd.addHelp(HELP);
        gd.showDialog();
        if (gd.wasCanceled()) {
            return;
        }
        String folder = gd.getNextString();
        try {
            long n = export(imp, new File(folder), gd.getNextChoice());
            IJ.log("Cell SDF: wrote " + n + " meshes to " + folder);
        } catch (RuntimeException | Error e) {  // native load failures are Errors
            Images.error("Export Meshes", e);
        }
    }

    /** Writes the meshes of {@code imp} into {@code dir} exactly as {@code cellsdf mesh}
     * does (files cellsdf did not write are kept: an error names them); returns the number
     * of meshes written. */
    public static long export(ImagePlus imp, File dir, String format) {
        int f;
        if ("ply".equals(format)) {
            f = CellSdfLibrary.CSDF_MESH_PLY_BINARY;
        } else if ("obj".equals(format)) {
            f = CellSdfLibrary.CSDF_MESH_OBJ;
        } else if ("stl".equals(format)) {
            f = CellSdfLibrary.CSDF_MESH_STL;
        } else {
            throw new IllegalArgumentException("unknown mesh format " + format + "; use ply, obj or stl");
        }
        double[] voxel = Images.voxelUm(imp);
        return CellSdf.meshLabels(Images.allLabels(imp), imp.getNFrames(), imp.getNSlices(),
            imp.getHeight(), imp.getWidth(), voxel, imp.getShortTitle(), f, dir.getPath(), false,
            Synthesize_Cells.ijProgress());
    }
}
