package cellsdf.fiji;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.ResultsTable;
import ij.process.ShortProcessor;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cellsdf.CellSdf;
import org.cellsdf.CellSdfException;
import org.cellsdf.CellSdfLibrary;
import org.cellsdf.Grid;
import org.cellsdf.Mesh;
import org.cellsdf.Model;
import org.junit.Test;

/** Headless tests of the plugin classes against libcellsdf (-Dcellsdf.test.model names a
 * tiny trained model, made by the C API tests): each front-end result is compared with what
 * the cellsdf command line writes for the same input (target/release/cellsdf). */
public class PluginTest {
    static String tinyModel() {
        String p = System.getProperty("cellsdf.test.model");
        assertTrue("set -Dcellsdf.test.model", p != null && new File(p).exists());
        return p;
    }

    /** Runs the CLI with {@code args}; fails with its stderr unless it succeeds. */
    static void cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<String>();
        cmd.add(System.getProperty("cellsdf.cli", "target/release/cellsdf"));
        cmd.add("--quiet");
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = readAll(p.getInputStream());
        assertEquals(new String(out, StandardCharsets.UTF_8), 0, p.waitFor());
    }

    static byte[] readAll(java.io.InputStream in) throws Exception {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
            b.write(buf, 0, n);
        }
        return b.toByteArray();
    }

    static File tempDir(String prefix) throws Exception {
        return Files.createTempDirectory(prefix).toFile();
    }

    /** Labels 1 and 2: two spheres (radius growing with t) in a 16-bit 3-frame hyperstack
     * of 40x36x30 voxels of 0.2 um, 30 s apart. */
    /** The label of voxel (x, y, z) at frame t. */
    interface LabelAt {
        int at(int t, int z, int y, int x);
    }

    /** A label hyperstack of 0.2 um voxels (micron) drawn by {@code f}. */
    static ImagePlus labels(String title, int nx, int ny, int nz, int nt, LabelAt f) {
        ImageStack st = new ImageStack(nx, ny);
        for (int t = 0; t < nt; t++) {
            for (int z = 0; z < nz; z++) {
                ShortProcessor ip = new ShortProcessor(nx, ny);
                for (int y = 0; y < ny; y++) {
                    for (int x = 0; x < nx; x++) {
                        ip.set(x, y, f.at(t, z, y, x));
                    }
                }
                st.addSlice(ip);
            }
        }
        ImagePlus imp = new ImagePlus(title, st);
        imp.setDimensions(1, nz, nt);
        imp.getCalibration().setUnit("micron");
        imp.getCalibration().pixelWidth = 0.2;
        imp.getCalibration().pixelHeight = 0.2;
        imp.getCalibration().pixelDepth = 0.2;
        return imp;
    }

    static ImagePlus twoCells() {
        ImagePlus imp = labels("two_cells", 40, 36, 30, 3, (t, z, y, x) -> {
            double r1 = 1.6 + 0.2 * t, r2 = 1.2 + 0.1 * t;
            double a = sq((x - 12.3) * 0.2) + sq((y - 17.6) * 0.2) + sq((z - 14.8) * 0.2);
            double b = sq((x - 29.1) * 0.2) + sq((y - 18.2) * 0.2) + sq((z - 15.3) * 0.2);
            return a <= r1 * r1 ? 1 : b <= r2 * r2 ? 2 : 0;
        });
        imp.getCalibration().frameInterval = 30;
        return imp;
    }

    static double sq(double v) {
        return v * v;
    }

    /** {@code twoCells()} written as DIR/two_cells.tif. */
    static File twoCellsFile(File dir) {
        File f = new File(dir, "two_cells.tif");
        Train_Model.writeLabels(twoCells(), f.getPath());
        return f;
    }

    @Test
    public void simulationWritesWhatTheCliWritesAndOpensCalibrated() throws Exception {
        Simulate_Dataset.Options o = new Simulate_Dataset.Options();
        o.cells = 2;
        o.frames = 3;
        o.sizeX = 64;
        o.sizeY = 60;
        o.sizeZ = 24;
        o.snr = 7;
        o.rimGain = 2;
        o.projection = true;
        o.seed = 2;
        o.folder = tempDir("cellsdf-fiji-simulate").getPath();
        ImagePlus[] out = Simulate_Dataset.simulate(o, null);
        File cliDir = tempDir("cellsdf-cli-simulate");
        cli("simulate", "--model", "dividing", "--out", cliDir.getPath(), "--cells", "2",
            "--frames", "3", "--size", "64,60,24", "--snr", "7", "--rim-gain", "2",
            "--projection", "--seed", "2");
        for (String name : new String[] {"01/t000.tif", "01/t002.tif", "01_GT/SEG/man_seg001.tif",
                "01_GT/TRA/man_track.txt", "manifest.json", "projection/01/t001.tif",
                "projection/01_GT/SEG/man_seg002.tif", "projection/01_GT/TRA/man_track.txt"}) {
            assertArrayEquals(name, Files.readAllBytes(new File(cliDir, name).toPath()),
                Files.readAllBytes(new File(o.folder, name).toPath()));
        }
        assertEquals(4, out.length);
        for (int i = 0; i < out.length; i++) {
            ImagePlus imp = out[i];
            assertEquals(64, imp.getWidth());
            assertEquals(60, imp.getHeight());
            assertEquals(i < 2 ? 24 : 1, imp.getNSlices());
            assertEquals(3, imp.getNFrames());
            assertEquals(16, imp.getBitDepth());
            assertEquals(0.4, imp.getCalibration().pixelDepth, 1e-9);
            assertEquals(0.2, imp.getCalibration().pixelWidth, 1e-9);
        }
        assertTrue(out[1].getTitle(), out[1].getTitle().endsWith("ground truth"));
        assertTrue(out[3].getTitle(), out[3].getTitle().endsWith("projection ground truth"));
    }

    @Test
    public void simulationFromAPhantomFolderWritesWhatTheCliWrites() throws Exception {
        File phantoms = tempDir("cellsdf-fiji-phantoms");
        cli("phantom", "--kind", "dividing", "--count", "2", "--frames", "3", "--voxel-um", "0.1",
            "--seed", "4", "--out", phantoms.getPath());
        Simulate_Dataset.Options o = new Simulate_Dataset.Options();
        o.model = phantoms.getPath();
        o.cells = 2;
        o.frames = 3;
        o.sizeX = 80;
        o.sizeY = 80;
        o.sizeZ = 30;
        o.seed = 6;
        o.folder = tempDir("cellsdf-fiji-simulate-phantoms").getPath();
        ImagePlus[] out = Simulate_Dataset.simulate(o, null);
        File cliDir = tempDir("cellsdf-cli-simulate-phantoms");
        cli("simulate", "--phantoms", phantoms.getPath(), "--out", cliDir.getPath(), "--cells",
            "2", "--frames", "3", "--size", "80,80,30", "--seed", "6");
        for (String name : new String[] {"01/t000.tif", "01/t002.tif", "01_GT/SEG/man_seg001.tif",
                "01_GT/TRA/man_track.txt"}) {
            assertArrayEquals(name, Files.readAllBytes(new File(cliDir, name).toPath()),
                Files.readAllBytes(new File(o.folder, name).toPath()));
        }
        assertEquals(2, out.length);
        assertEquals(3, out[1].getNFrames());
        assertEquals(30, out[1].getNSlices());
    }

    /** The bundled filopodial model draws its filopodia as tubes by default; with the
     * dialog's filopodia_as_tubes off it writes the network's shape. Each way the file is
     * the CLI's byte for byte (with and without --no-tubes), and the manifest says so. */
    @Test
    public void filopodiaAsTubesOnAndOffAsTheCli() throws Exception {
        for (boolean tubes : new boolean[] {true, false}) {
            Synthesize_Cells.Options o = new Synthesize_Cells.Options();
            o.kind = "filopodial";
            o.frames = 2;
            o.sizeX = 64;
            o.sizeY = 64;
            o.sizeZ = 64;
            o.voxelUm = 0.3;
            o.seed = 2;
            o.tubes = tubes;
            o.folder = tempDir("cellsdf-fiji-tubes").getPath();
            Synthesize_Cells.synthesize(o, null);
            File cliDir = tempDir("cellsdf-cli-tubes");
            List<String> args = new ArrayList<>(Arrays.asList("synth", "--model", "filopodial",
                "--out", cliDir.getPath(), "--count", "1", "--frames", "2", "--size", "64,64,64",
                "--voxel-um", "0.3", "--seed", "2"));
            if (!tubes) {
                args.add("--no-tubes");
            }
            cli(args.toArray(new String[0]));
            assertArrayEquals("tubes " + tubes,
                Files.readAllBytes(new File(cliDir, "synth_000.tif").toPath()),
                Files.readAllBytes(new File(o.folder, "synth_000.tif").toPath()));
            String manifest = new String(Files.readAllBytes(new File(o.folder, "manifest.json")
                .toPath()), StandardCharsets.UTF_8);
            assertEquals(manifest, tubes, manifest.contains("\"filopodia_tubes\""));
        }
    }

    /** The dialog's cell_sizes: "training" (the default) renders each new cell at the scale
     * that gives it a size drawn from the training cells', "decoded" at its code's own;
     * each way the file is the CLI's byte for byte (--sizes), and the scales differ. */
    @Test
    public void cellSizesAsTheCli() throws Exception {
        assertEquals("training", new Synthesize_Cells.Options().sizes);
        List<String> scales = new ArrayList<>();
        for (String sizes : Synthesize_Cells.SIZES) {
            Synthesize_Cells.Options o = new Synthesize_Cells.Options();
            o.frames = 2;
            o.sizeX = 24;
            o.sizeY = 24;
            o.sizeZ = 24;
            o.seed = 5;
            o.sizes = sizes;
            o.folder = tempDir("cellsdf-fiji-sizes").getPath();
            Synthesize_Cells.synthesize(o, null);
            File cliDir = tempDir("cellsdf-cli-sizes");
            cli("synth", "--model", "dividing", "--out", cliDir.getPath(), "--count", "1",
                "--frames", "2", "--size", "24,24,24", "--seed", "5", "--sizes", sizes);
            assertArrayEquals("sizes " + sizes,
                Files.readAllBytes(new File(cliDir, "synth_000.tif").toPath()),
                Files.readAllBytes(new File(o.folder, "synth_000.tif").toPath()));
            String manifest = new String(Files.readAllBytes(new File(o.folder, "manifest.json")
                .toPath()), StandardCharsets.UTF_8);
            java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("\"scale_um\": ([0-9.]+)").matcher(manifest);
            assertTrue(manifest, m.find());
            scales.add(m.group(1));
        }
        assertTrue(scales.toString(), !scales.get(0).equals(scales.get(1)));
        Synthesize_Cells.Options bad = new Synthesize_Cells.Options();
        bad.sizes = "large";
        try {
            Synthesize_Cells.options(bad);
            fail("unknown cell_sizes accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("cell_sizes"));
        }
    }

    @Test
    public void synthesisWritesWhatTheCliWrites() throws Exception {
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
        o.folder = tempDir("cellsdf-fiji-synth").getPath();
        ImagePlus[] out = Synthesize_Cells.synthesize(o, null);
        File cliDir = tempDir("cellsdf-cli-synth");
        cli("synth", "--model", tinyModel(), "--out", cliDir.getPath(), "--count", "2", "--frames",
            "3", "--size", "32,30,28", "--voxel-um", "0.4", "--seed", "3", "--sdf");
        for (String name : new String[] {"synth_000.tif", "synth_000_sdf.tif", "synth_001.tif",
                "synth_001_sdf.tif"}) {
            assertArrayEquals(name, Files.readAllBytes(new File(cliDir, name).toPath()),
                Files.readAllBytes(new File(o.folder, name).toPath()));
        }
        assertEquals(4, out.length);
        ImagePlus m = out[0];
        assertEquals(32, m.getWidth());
        assertEquals(30, m.getHeight());
        assertEquals(28, m.getNSlices());
        assertEquals(3, m.getNFrames());
        assertEquals(8, m.getBitDepth());
        assertEquals(0.4, m.getCalibration().pixelDepth, 1e-9);
        assertEquals(32, out[1].getBitDepth());
        long inside = 0;
        for (int i = 1; i <= m.getStackSize(); i++) {
            for (byte b : (byte[]) m.getStack().getPixels(i)) {
                inside += b != 0 ? 1 : 0;
            }
        }
        assertTrue("masks are empty", inside > 100);
        // The folder now holds files cellsdf wrote: a second run replaces them; a file of
        // the same name that cellsdf did not write is refused and kept.
        Synthesize_Cells.synthesize(o, null);
        File foreign = new File(tempDir("cellsdf-fiji-foreign"), "synth_000.tif");
        Files.write(foreign.toPath(), "mine".getBytes(StandardCharsets.UTF_8));
        o.folder = foreign.getParent();
        try {
            Synthesize_Cells.synthesize(o, null);
            fail("a foreign file was overwritten");
        } catch (CellSdfException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("synth_000.tif"));
        }
        assertEquals("mine", new String(Files.readAllBytes(foreign.toPath()), StandardCharsets.UTF_8));
    }

    @Test
    public void descriptorTableIsTheCliTable() throws Exception {
        File dir = tempDir("cellsdf-describe");
        File tif = twoCellsFile(dir);
        File csv = new File(dir, "cli.csv");
        cli("describe", tif.getPath(), "--out", csv.getPath());
        List<String> lines = Files.readAllLines(csv.toPath(), StandardCharsets.UTF_8);
        String[] header = lines.get(0).split(",");
        ResultsTable rt = Shape_Descriptors.describe(twoCells());
        assertEquals(lines.size() - 1, rt.size());
        String[] headings = rt.getHeadings();
        assertEquals(Arrays.asList(header).subList(1, header.length), Arrays.asList(headings));
        for (int r = 0; r < rt.size(); r++) {
            String[] cells = lines.get(r + 1).split(",", -1);
            for (int c = 1; c < header.length; c++) {
                double want = cells[c].isEmpty() ? Double.NaN : Double.parseDouble(cells[c]);
                assertEquals(header[c] + " row " + r, want, rt.getValue(header[c], r), 1e-12);
            }
        }
        // Frames count from 0 as in the CLI; time in s from the 30 s interval; the sphere of
        // radius 2.0 um (frame 2, label 1) against its closed-form volume.
        int row = 4;
        assertEquals(2, (int) rt.getValue("frame", row));
        assertEquals(1, (int) rt.getValue("label", row));
        assertEquals(60.0, rt.getValue("time_s", row), 1e-9);
        assertEquals(4.0 / 3.0 * Math.PI * 8.0, rt.getValue("voxel_volume_um3", row), 0.03 * 33.5);
        assertEquals(4.0 / 3.0 * Math.PI * 8.0, rt.getValue("volume_um3", row), 0.05 * 33.5);
        assertEquals(1, (int) rt.getValue("components", row));
    }

    @Test
    public void exportsTheMeshesTheCliExports() throws Exception {
        File dir = tempDir("cellsdf-meshes");
        File cliDir = tempDir("cellsdf-cli-meshes");
        cli("mesh", twoCellsFile(tempDir("cellsdf-mesh-in")).getPath(), "--format", "ply", "--out",
            cliDir.getPath());
        assertEquals(6, Export_Meshes.export(twoCells(), dir, "ply"));
        String[] names = cliDir.list((d, n) -> n.endsWith(".ply"));
        Arrays.sort(names);
        assertEquals(6, names.length);
        assertEquals("two_cells_t000_label1.ply", names[0]);
        for (String n : names) {
            assertArrayEquals(n, Files.readAllBytes(new File(cliDir, n).toPath()),
                Files.readAllBytes(new File(dir, n).toPath()));
        }
        Mesh m = Mesh.read(new File(dir, names[0]).getPath());
        assertTrue(m.describe().volume_um3 > 0);
        m.close();
        try {
            m.vertices();
            fail("a closed mesh was read");
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage().contains("closed"));
        }
        try {
            Export_Meshes.export(twoCells(), dir, "vrml");
            fail("vrml accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("vrml"));
        }
    }

    @Test
    public void closedGridsThrow() {
        try (Model m = Model.load(tinyModel(), CellSdfLibrary.CSDF_DEVICE_CPU)) {
            Grid g = m.infer(m.learnedCode(0), new double[] {0.0}, new long[] {8, 8, 8}, null,
                true, null);
            assertEquals(512, g.sdf(0).length);
            g.close();
            try {
                g.sdf(0);
                fail("a closed grid was read");
            } catch (IllegalStateException e) {
                assertTrue(e.getMessage().contains("closed"));
            }
        }
    }

    /** Every field of every dialog (by its macro key) is explained in the dialog's Help,
     * with its unit where it has one. */
    @Test
    public void everyDialogFieldHasHelpWithItsUnit() {
        String[][] fields = {
            {Synthesize_Cells.HELP, "model", "bundled_class", "sequences", "frames",
                "size_x, size_y, size_z", "voxels", "voxel_size", "um", "codes", "parameter",
                "cell_sizes", "um^3", "seed", "also_SDF", "filopodia_as_tubes", "folder"},
            {Train_Model.HELP, "source", "model", "architecture", "epochs", "learning_rate",
                "seed", "folder_axes", " s)"},
            {Export_Meshes.HELP, "folder", "format", "um"},
            {Save_3D_Movie.HELP, "file", "angle", "degrees", "frame_rate", "per second"},
            {Simulate_Dataset.HELP, "model", "bundled_class", "cells", "frames",
                "size_x, size_y, size_z", "voxels", "voxel_xy, voxel_z", "um", "microscope",
                "NA", "wavelength", "nm", "refractive_index", "SNR", "rim", "rim_gain", "projection",
                "seed", "folder"},
        };
        for (String[] f : fields) {
            for (int i = 1; i < f.length; i++) {
                assertTrue(f[i] + " missing in " + f[0], f[0].contains(f[i]));
            }
        }
    }

    @Test
    public void trainsFromTheCurrentImageAndCancels() throws Exception {
        File dir = tempDir("cellsdf-train-test");
        Train_Model.Options o = new Train_Model.Options();
        o.model = new File(dir, "m.safetensors").getPath();
        o.epochs = 20;
        o.seed = 1;
        if (!CellSdf.hasTraining()) {
            // A library without libtorch refuses with its reason and writes nothing.
            try {
                Train_Model.train(twoCells(), o, null).close();
                fail("a library without libtorch trained");
            } catch (CellSdfException e) {
                assertEquals(CellSdfLibrary.CSDF_STATUS_UNSUPPORTED, e.status());
                assertTrue(e.getMessage(), e.getMessage().contains("needs libtorch"));
            }
            assertTrue(!new File(o.model).exists());
            return;
        }
        try (Model m = Train_Model.train(twoCells(), o, null)) {
            // One sequence per label, with the image's frames, voxel size and interval.
            assertEquals(2, m.sequences());
            for (int i = 0; i < 2; i++) {
                CellSdfLibrary.SequenceInfo si = m.sequenceInfo(i);
                assertEquals(3, si.frames);
                assertEquals(0.2, si.voxel_um[2], 1e-9);
                assertEquals(30.0, si.frame_interval_s, 1e-9);
            }
            // Label 1's sphere is centred at voxel (12.3, 17.6, 14.8) of 0.2 um.
            double[] c = m.sequenceInfo(0).centre_um;
            assertEquals(12.3 * 0.2, c[0], 0.15);
            assertEquals(17.6 * 0.2, c[1], 0.15);
            assertEquals(14.8 * 0.2, c[2], 0.15);
        }
        assertTrue(new File(o.model).exists());
        o.model = new File(dir, "cancelled.safetensors").getPath();
        try {
            Train_Model.train(twoCells(), o, (fraction, stage) -> false);
            fail("not cancelled");
        } catch (CellSdfException e) {
            assertTrue(e.cancelled());
        }
        assertTrue(!new File(o.model).exists());
    }

    @Test
    public void cellsThatMoveAreCentredEveryFrame() throws Exception {
        // A ball of radius 1 um moving 0.6 um in x per frame over 3 frames. One box for the
        // sequence holds the whole track (half-extent 1.6 um in x: the ball plus the 0.6 um
        // it travels either side of the middle frame); a box per frame holds one ball (1 um),
        // so the model's scale (um per model unit) shrinks by 1.6 (1.55 with half a voxel
        // on each bound) when the option is on.
        if (!CellSdf.hasTraining()) {
            return;
        }
        ImagePlus imp = labels("moving_cell", 40, 30, 30, 3, (t, z, y, x) ->
            sq((x - 12 - 3 * t) * 0.2) + sq((y - 15) * 0.2) + sq((z - 15) * 0.2) <= 1.0 ? 1 : 0);
        File dir = tempDir("cellsdf-moving-test");
        Train_Model.Options o = new Train_Model.Options();
        assertTrue("off by default", !o.cellsMove);
        assertTrue(Train_Model.HELP.contains("<td>cells_move</td>"));
        o.epochs = 1;
        o.model = new File(dir, "track.safetensors").getPath();
        double track, cell;
        try (Model m = Train_Model.train(imp, o, null)) {
            track = m.sequenceInfo(0).scale_um;
        }
        o.cellsMove = true;
        o.model = new File(dir, "cell.safetensors").getPath();
        try (Model m = Train_Model.train(imp, o, null)) {
            cell = m.sequenceInfo(0).scale_um;
        }
        assertTrue("scale " + track + " um with one box, " + cell + " um per frame",
            track / cell > 1.45 && track / cell < 1.65);
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
        o.model = "bundled";
        o.kind = "spherical";
        try {
            Synthesize_Cells.synthesize(o, null);
            fail("unknown bundled class accepted");
        } catch (CellSdfException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("spherical"));
        }
    }
}
