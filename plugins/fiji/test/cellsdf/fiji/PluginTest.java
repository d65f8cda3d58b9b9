package cellsdf.fiji;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.ResultsTable;
import ij.process.ShortProcessor;
import java.io.File;
import java.nio.file.Files;
import java.util.List;
import org.cellsdf.CellSdf;
import org.cellsdf.CellSdfException;
import org.cellsdf.CellSdfLibrary;
import org.cellsdf.Model;
import org.junit.Test;

/** Headless tests of the plugin classes against libcellsdf (-Dcellsdf.test.model names a
 * tiny trained model, made by the C API tests). */
public class PluginTest {
    static String tinyModel() {
        String p = System.getProperty("cellsdf.test.model");
        assertTrue("set -Dcellsdf.test.model", p != null && new File(p).exists());
        return p;
    }

    /** Labels 1 and 2: two spheres (radius growing with t) in a 16-bit 3-frame hyperstack
     * of 40x36x30 voxels of 0.2 um. */
    static ImagePlus twoCells() {
        int nx = 40, ny = 36, nz = 30, nt = 3;
        ImageStack st = new ImageStack(nx, ny);
        for (int t = 0; t < nt; t++) {
            for (int z = 0; z < nz; z++) {
                ShortProcessor ip = new ShortProcessor(nx, ny);
                for (int y = 0; y < ny; y++) {
                    for (int x = 0; x < nx; x++) {
                        double r1 = 1.6 + 0.2 * t, r2 = 1.2 + 0.1 * t;
                        double a = sq((x - 12.3) * 0.2) + sq((y - 17.6) * 0.2) + sq((z - 14.8) * 0.2);
                        double b = sq((x - 29.1) * 0.2) + sq((y - 18.2) * 0.2) + sq((z - 15.3) * 0.2);
                        ip.set(x, y, a <= r1 * r1 ? 1 : b <= r2 * r2 ? 2 : 0);
                    }
                }
                st.addSlice(ip);
            }
        }
        ImagePlus imp = new ImagePlus("two_cells", st);
        imp.setDimensions(1, nz, nt);
        imp.getCalibration().setUnit("micron");
        imp.getCalibration().pixelWidth = 0.2;
        imp.getCalibration().pixelHeight = 0.2;
        imp.getCalibration().pixelDepth = 0.2;
        imp.getCalibration().frameInterval = 30;
        return imp;
    }

    static double sq(double v) {
        return v * v;
    }

    @Test
    public void synthesizesCalibratedNonEmptyHyperstacks() {
        Synthesize_Cells.Options o = new Synthesize_Cells.Options();
        o.model = tinyModel();
        o.sequences = 2;
        o.frames = 3;
        o.sizeX = 32;
        o.sizeY = 30;
        o.sizeZ = 28;
        o.voxelUm = 0.4;
        o.seed = 3;
        o.sdf = true;
        ImagePlus[] out = Synthesize_Cells.synthesize(o, null);
        assertEquals(4, out.length);
        ImagePlus m = out[0];
        assertEquals(32, m.getWidth());
        assertEquals(30, m.getHeight());
        assertEquals(28, m.getNSlices());
        assertEquals(3, m.getNFrames());
        assertEquals(8, m.getBitDepth());
        assertEquals("micron", m.getCalibration().getUnit());
        assertEquals(0.4, m.getCalibration().pixelDepth, 1e-9);
        assertEquals(60, m.getCalibration().frameInterval, 1e-9);
        long inside = 0;
        for (int i = 1; i <= m.getStackSize(); i++) {
            byte[] p = (byte[]) m.getStack().getPixels(i);
            for (byte b : p) {
                inside += b != 0 ? 1 : 0;
            }
        }
        assertTrue("masks are empty", inside > 100);
        assertEquals(32, out[1].getBitDepth());
        // Seeded: the same options give the same masks.
        ImagePlus again = Synthesize_Cells.synthesize(o, null)[0];
        for (int i = 1; i <= m.getStackSize(); i++) {
            assertTrue(java.util.Arrays.equals((byte[]) m.getStack().getPixels(i),
                (byte[]) again.getStack().getPixels(i)));
        }
    }

    @Test
    public void descriptorTableMatchesTheCApiAndTheSphere() {
        ImagePlus imp = twoCells();
        ResultsTable rt = Shape_Descriptors.describe(imp);
        assertEquals(6, rt.size());
        int[] frame = Images.frameLabels(imp, 2);
        CellSdfLibrary.Descriptors d = CellSdf.describeMask(Images.mask(frame, 1), 30, 36, 40,
            new double[] {0.2, 0.2, 0.2});
        int row = 4; // frame 3, label 1
        assertEquals(3, (int) rt.getValue("frame", row));
        assertEquals(1, (int) rt.getValue("label", row));
        assertEquals(d.volume_um3, rt.getValue("volume_um3", row), 1e-9);
        assertEquals(d.surface_um2, rt.getValue("surface_um2", row), 1e-9);
        assertEquals(d.sphericity, rt.getValue("sphericity", row), 1e-9);
        double r = 2.0;
        assertEquals(4.0 / 3.0 * Math.PI * r * r * r, rt.getValue("voxel_volume_um3", row), 0.03 * 33.5);
        assertEquals(1, (int) rt.getValue("components", row));
    }

    @Test
    public void exportsOneMeshPerLabelAndFrame() throws Exception {
        File dir = Files.createTempDirectory("cellsdf-meshes").toFile();
        List<File> files = Export_Meshes.export(twoCells(), dir, "ply");
        assertEquals(6, files.size());
        for (File f : files) {
            String head = new String(Files.readAllBytes(f.toPath()), "ISO-8859-1");
            assertTrue(head.startsWith("ply\nformat binary_little_endian 1.0"));
            assertFalse(head.contains("element vertex 0\n"));
        }
        try {
            Export_Meshes.export(twoCells(), dir, "vrml");
            fail("vrml accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("vrml"));
        }
    }

    @Test
    public void trainsFromTheCurrentImageAndCancels() throws Exception {
        File dir = Files.createTempDirectory("cellsdf-train-test").toFile();
        Train_Model.Options o = new Train_Model.Options();
        o.model = new File(dir, "m.safetensors").getPath();
        o.epochs = 20;
        o.seed = 1;
        try (Model m = Train_Model.train(twoCells(), o, null)) {
            assertEquals(2, m.sequences());
        }
        assertTrue(new File(o.model).exists());
        o.model = new File(dir, "cancelled.safetensors").getPath();
        try {
            Train_Model.train(twoCells(), o, (fraction, stage) -> false);
            fail("not cancelled");
        } catch (CellSdfException e) {
            assertTrue(e.cancelled());
        }
        assertFalse(new File(o.model).exists());
    }

    @Test
    public void uncalibratedImagesAndMissingModelsGiveClearErrors() {
        ImagePlus imp = twoCells();
        imp.getCalibration().setUnit("pixel");
        try {
            Shape_Descriptors.describe(imp);
            fail("uncalibrated image accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("two_cells"));
        }
        Synthesize_Cells.Options o = new Synthesize_Cells.Options();
        o.model = "/nonexistent/model.safetensors";
        try {
            Synthesize_Cells.synthesize(o, null);
            fail("missing model accepted");
        } catch (CellSdfException e) {
            assertEquals(CellSdfLibrary.CSDF_STATUS_IO, e.status());
            assertTrue(e.getMessage().contains("/nonexistent/model.safetensors"));
        }
    }
}
