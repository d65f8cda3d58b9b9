package cellsdf.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.cellsdf.CellSdfLibrary;
import org.cellsdf.Mesh;

/** Plugins > Cell SDF > Export Meshes...: one mesh (PLY, OBJ or STL, in um) per label and
 * frame of the current mask or label image. */
public class Export_Meshes implements PlugIn {
    static final String[] FORMATS = {"ply", "obj", "stl"};

    @Override
    public void run(String arg) {
        ImagePlus imp = IJ.getImage();
        GenericDialog gd = new GenericDialog("Export Meshes");
        gd.addDirectoryField("folder", IJ.getDirectory("temp"));
        gd.addChoice("format", FORMATS, "ply");
        gd.showDialog();
        if (gd.wasCanceled()) {
            return;
        }
        String folder = gd.getNextString();
        try {
            List<File> files = export(imp, new File(folder), gd.getNextChoice());
            IJ.log("Cell SDF: wrote " + files.size() + " meshes to " + folder);
        } catch (RuntimeException e) {
            Images.error("Export Meshes", e);
        }
    }

    /** Writes the meshes of {@code imp} into {@code dir}; returns the files. */
    public static List<File> export(ImagePlus imp, File dir, String format) {
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
        if (!dir.isDirectory() && !dir.mkdirs()) {
            throw new IllegalArgumentException("cannot create folder " + dir);
        }
        double[] voxel = Images.voxelUm(imp);
        int nz = imp.getNSlices(), ny = imp.getHeight(), nx = imp.getWidth();
        String stem = imp.getShortTitle();
        List<File> out = new ArrayList<File>();
        for (int t = 0; t < imp.getNFrames(); t++) {
            int[] frame = Images.frameLabels(imp, t);
            for (int label : Images.labels(frame)) {
                File file = new File(dir, String.format("%s_t%03d_label%d.%s", stem, t, label, format));
                try (Mesh m = Mesh.ofMask(Images.mask(frame, label), nz, ny, nx, voxel)) {
                    m.write(file.getPath(), f);
                }
                out.add(file);
            }
            IJ.showProgress(t + 1, imp.getNFrames());
        }
        return out;
    }
}
