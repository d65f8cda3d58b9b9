package cellsdf.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.GenericDialog;
import ij.measure.Calibration;
import ij.ImageStack;
import ij.plugin.PlugIn;
import ij.process.ByteProcessor;
import ij.process.ImageProcessor;
import java.io.File;

/** Plugins > Cell SDF > Save 3D Movie...: the current mask or label time-lapse as a movie of
 * 3D renderings, one per frame (ImageJ's 3D Project, brightest point, seen from
 * {@code angle} degrees about the y axis with the true voxel depth), saved as an AVI and
 * shown. Every label > 0 is drawn white. An existing file is never replaced. */
public class Save_3D_Movie implements PlugIn {
    /** The dialog's Help: every field (its macro key) with its unit. */
    static final String HELP = "<html><h3>Save 3D Movie</h3><table>"
        + "<tr><td>file</td><td>the movie (.avi, JPEG frames); an existing file is kept"
        + " (choose another name)</td></tr>"
        + "<tr><td>angle</td><td>view angle about the y axis in degrees</td></tr>"
        + "<tr><td>frame_rate</td><td>movie frames per second</td></tr>"
        + "</table></html>";

    @Override
    public void run(String arg) {
        ImagePlus imp = IJ.getImage();
        GenericDialog gd = new GenericDialog("Save 3D Movie");
        gd.addFileField("file", new File(IJ.getDirectory("temp"), imp.getShortTitle()
            + "_3d.avi").getPath(), 30);
        gd.addNumericField("angle", 30, 0, 6, "degrees");
        gd.addNumericField("frame_rate", 5, 0, 6, "fps");
        gd.addHelp(HELP);
        gd.showDialog();
        if (gd.wasCanceled()) {
            return;
        }
        String file = gd.getNextString();
        double angle = gd.getNextNumber();
        double fps = gd.getNextNumber();
        try {
            ImagePlus movie = save(imp, new File(file), angle, fps);
            movie.show();
            IJ.log("Cell SDF: wrote a 3D movie of " + movie.getNFrames() + " frames to " + file);
        } catch (RuntimeException | Error e) {
            Images.error("Save 3D Movie", e);
        }
    }

    /** The image ImageJ's 3D Project made of {@code source} (it names it "Projections of
     * TITLE"; in batch mode it is not the current image). */
    private static ImagePlus projectionOf(ImagePlus source) {
        ImagePlus current = WindowManager.getCurrentImage();
        String title = "Projections of " + source.getTitle();
        if (current != null && current.getTitle().startsWith(title)) {
            return current;
        }
        int[] ids = WindowManager.getIDList();
        if (ids != null) {
            for (int id : ids) {
                ImagePlus i = WindowManager.getImage(id);
                if (i != null && i.getTitle().startsWith(title)) {
                    return i;
                }
            }
        }
        return null;
    }

    /** Renders every frame of {@code imp} ([t][z][y][x] masks or labels, calibrated) seen
     * from {@code angleDeg} about y, saves the movie as an AVI at {@code path} ({@code fps}
     * frames per second) and returns it (one projection per frame). */
    public static ImagePlus save(ImagePlus imp, File path, double angleDeg, double fps) {
        if (path.exists()) {
            throw new IllegalArgumentException(path + " exists: choose another file name");
        }
        if (imp.getNSlices() < 2) {
            throw new IllegalArgumentException(imp.getTitle() + " is not a 3D image (one slice)");
        }
        if (!(fps > 0 && fps <= 60)) {
            throw new IllegalArgumentException("frame_rate must be 1 to 60 fps, got " + fps);
        }
        // Every label > 0 white on black, 8-bit, for the brightest-point projection.
        ImageStack in = imp.getStack();
        ImageStack mask = new ImageStack(imp.getWidth(), imp.getHeight());
        for (int i = 1; i <= in.getSize(); i++) {
            ImageProcessor ip = in.getProcessor(i);
            ByteProcessor b = new ByteProcessor(imp.getWidth(), imp.getHeight());
            for (int k = 0; k < ip.getPixelCount(); k++) {
                b.set(k, ip.getf(k) > 0 ? 255 : 0);
            }
            mask.addSlice(b);
        }
        ImagePlus work = new ImagePlus("cellsdf-movie-" + System.nanoTime(), mask);
        Calibration cal = imp.getCalibration();
        work.setCalibration(cal.copy());
        work.setDimensions(1, imp.getNSlices(), imp.getNFrames());
        work.setOpenAsHyperStack(true);
        IJ.run(work, "3D Project...", "projection=[Brightest Point] axis=Y-Axis slice="
            + cal.pixelDepth + " initial=" + (int) Math.round(angleDeg)
            + " total=0 rotation=10 lower=1 upper=255 opacity=0 surface=100 interior=50"
            + " interpolate all");
        ImagePlus movie = projectionOf(work);
        if (movie == null) {
            throw new IllegalStateException("ImageJ's 3D Project made no movie");
        }
        work.changes = false;
        work.close();
        movie.setTitle(imp.getShortTitle() + " 3D movie");
        // Written under a temporary name, then renamed: no half-written movie.
        File tmp = new File(path.getParentFile(), "." + path.getName() + ".partial.avi");
        IJ.run(movie, "AVI... ", "compression=JPEG frame=" + (int) Math.round(fps)
            + " save=[" + tmp.getPath() + "]");
        if (!tmp.isFile() || !tmp.renameTo(path)) {
            tmp.delete();
            throw new IllegalStateException("could not write " + path);
        }
        return movie;
    }
}
