package org.cellsdf;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** A trained cellsdf model (owns a csdf_model handle; close it, or use try-with-resources).
 * Inference from several threads on one model is allowed. */
public final class Model implements AutoCloseable {
    private Pointer handle;
    private final CellSdfLibrary.ModelInfo info = new CellSdfLibrary.ModelInfo();

    private Model(Pointer handle) {
        this.handle = handle;
        CellSdf.check(CellSdf.lib().csdf_model_info_get(handle, info));
    }

    /** Loads a .safetensors model; device: CSDF_DEVICE_AUTO, _CPU or _CUDA. */
    public static Model load(String path, int device) {
        PointerByReference out = new PointerByReference();
        CellSdf.check(CellSdf.lib().csdf_model_load(path, device, out));
        return new Model(out.getValue());
    }

    /** Prepares label images (hyperstack files, folders or CTC folders) into
     * {@code datasetDir} and trains a model written to {@code checkpoint}. {@code arch} is
     * "paper", "small" or a JSON config path. */
    public static Model train(String[] inputs, String datasetDir, String checkpoint, String arch,
            int epochs, double lrNet, long seed, Progress progress) {
        return train(inputs, datasetDir, checkpoint, arch, epochs, lrNet, seed, null, progress);
    }

    /** As above; {@code axes} ("TZYX", "ZTYX", "TYX", "ZYX" or null) says what the files'
     * planes are when their metadata says otherwise (stored plane axes, slowest first). */
    public static Model train(String[] inputs, String datasetDir, String checkpoint, String arch,
            int epochs, double lrNet, long seed, String axes, Progress progress) {
        return train(inputs, datasetDir, checkpoint, arch, epochs, lrNet, seed, axes, null, progress);
    }

    /** As above; {@code centre} "frame" centres every frame on its cell (cells that travel;
     * {@code cellsdf prepare --centre frame}), null or "sequence" one box per sequence. */
    public static Model train(String[] inputs, String datasetDir, String checkpoint, String arch,
            int epochs, double lrNet, long seed, String axes, String centre, Progress progress) {
        CellSdfLibrary lib = CellSdf.lib();
        CellSdfLibrary.PrepareOptions po = lib.csdf_prepare_options_default();
        po.axes = axes;
        po.centre = centre;
        CellSdfLibrary.TrainOptions to = lib.csdf_train_options_default();
        to.arch = arch;
        to.epochs = epochs;
        to.lr_net = lrNet;
        to.seed = seed;
        to.device = CellSdfLibrary.CSDF_DEVICE_AUTO;
        return train(inputs, datasetDir, checkpoint, po, to, progress);
    }

    /** Prepares and trains with every option of the C API (the bundled models' recipe
     * included): start from {@code csdf_prepare_options_default()} and
     * {@code csdf_train_options_default()} of {@link CellSdf#lib()} and set their fields, which
     * include/cellsdf.h documents (band, near_surface_only, align, centre, points_per_frame,
     * frames_per_batch, coordinate_init, ...; text fields as Strings). */
    public static Model train(String[] inputs, String datasetDir, String checkpoint,
            CellSdfLibrary.PrepareOptions po, CellSdfLibrary.TrainOptions to, Progress progress) {
        CellSdfLibrary lib = CellSdf.lib();
        CellSdfLibrary.ProgressFn cb = Progress.callback(progress);
        PointerByReference ds = new PointerByReference();
        CellSdf.check(lib.csdf_dataset_prepare(inputs, inputs.length, datasetDir, po, cb, null, ds));
        try {
            PointerByReference m = new PointerByReference();
            CellSdf.check(lib.csdf_train(ds.getValue(), to, checkpoint, cb, null, m));
            return new Model(m.getValue());
        } finally {
            lib.csdf_dataset_free(ds.getValue());
        }
    }

    Pointer handle() {
        if (handle == null) {
            throw new IllegalStateException("the model is closed");
        }
        return handle;
    }

    public int codeSize() {
        return (int) info.code_size;
    }

    public int sequences() {
        return (int) info.sequences;
    }

    public long parameters() {
        return info.parameters;
    }

    /** What the model records of training sequence i: centre and voxel size (x, y, z) um,
     * um per model unit, frame interval (s; NaN when unknown), frames. */
    public CellSdfLibrary.SequenceInfo sequenceInfo(int i) {
        CellSdfLibrary.SequenceInfo si = new CellSdfLibrary.SequenceInfo();
        CellSdf.check(CellSdf.lib().csdf_model_sequence_info(handle(), i, si));
        return si;
    }

    /** Learned code of training sequence i. */
    public float[] learnedCode(int i) {
        float[] c = new float[codeSize()];
        CellSdf.check(CellSdf.lib().csdf_model_get_code(handle(), i, c, c.length));
        return c;
    }

    /** {@code count} new codes drawn by {@code method} (CSDF_CODES_NORMAL, _AROUND_LEARNED,
     * _FITTED or _NEIGHBOURS) with its parameter (negative: the method's default), seeded.
     * {@code scalesOut} (length {@code count}, or null) receives the scale to render each code
     * at (micrometres per model unit). */
    public float[][] sampleCodes(int count, int method, double param, long seed, double[] scalesOut) {
        int c = codeSize();
        float[] flat = new float[count * c];
        if (scalesOut != null && scalesOut.length != count) {
            throw new IllegalArgumentException("scalesOut must hold " + count + " values");
        }
        CellSdf.check(CellSdf.lib().csdf_codes_sample(handle(), count, param, method, seed, flat,
            flat.length, scalesOut));
        float[][] out = new float[count][c];
        for (int k = 0; k < count; k++) {
            System.arraycopy(flat, k * c, out[k], 0, c);
        }
        return out;
    }

    /** SDF grid of {@code code} at model times in [-1, 1], {@code sizeXyz} voxels of
     * {@code voxelUmXyz} um (null: the cell fills the grid), adaptive or dense. */
    public Grid infer(float[] code, double[] times, long[] sizeXyz, double[] voxelUmXyz,
            boolean adaptive, Progress progress) {
        return infer(code, times, sizeXyz, voxelUmXyz, 0.0, adaptive, progress);
    }

    /** As above, rendered at {@code scaleUm} micrometres per model unit (0: the training
     * sequences' mean), e.g. the scale drawn with the code by {@link #sampleCodes}. */
    public Grid infer(float[] code, double[] times, long[] sizeXyz, double[] voxelUmXyz,
            double scaleUm, boolean adaptive, Progress progress) {
        PointerByReference out = new PointerByReference();
        CellSdfLibrary.ProgressFn cb = Progress.callback(progress);
        CellSdf.check(CellSdf.lib().csdf_infer(handle(), code, code.length, times, times.length,
            sizeXyz, voxelUmXyz, scaleUm, adaptive ? CellSdfLibrary.CSDF_EVAL_ADAPTIVE
                : CellSdfLibrary.CSDF_EVAL_DENSE, cb, null, out));
        return new Grid(out.getValue());
    }

    /** Model times of {@code frames} evenly spaced frames (-1 to 1), as the CLI renders;
     * {@code scaleAndIntervalOut} (length 2, or null) receives the training data's mean um
     * per model unit and the frame interval (s, NaN when unknown) for that many frames. */
    public double[] renderTimes(int frames, double[] scaleAndIntervalOut) {
        double[] t = new double[frames];
        double[] scale = new double[1], interval = new double[1];
        CellSdf.check(CellSdf.lib().csdf_model_render_defaults(handle(), frames, t, scale, interval));
        if (scaleAndIntervalOut != null) {
            scaleAndIntervalOut[0] = scale[0];
            scaleAndIntervalOut[1] = interval[0];
        }
        return t;
    }

    /** The CLI's rendering defaults ({@code cellsdf synth}): one new sequence of 30 frames,
     * codes by CSDF_CODES_NEIGHBOURS, 64^3 voxels with the cell filling the grid. */
    public static CellSdfLibrary.SynthOptions synthOptions() {
        return CellSdf.lib().csdf_synth_options_default();
    }

    /** Renders what {@code options} asks into {@code outDir} exactly as the CLI does (mask
     * hyperstacks NAME.tif, calibrated in um and s with the model's frame interval, optional
     * NAME_sdf.tif, manifest.json); files cellsdf did not write are never replaced unless
     * options.overwrite is 1. Returns the mask files written, in order. */
    public java.util.List<java.io.File> synthesize(CellSdfLibrary.SynthOptions options,
            String outDir, Progress progress) {
        CellSdfLibrary.ProgressFn cb = Progress.callback(progress);
        CellSdf.check(CellSdf.lib().csdf_model_synthesize(handle(), options, outDir, cb, null));
        java.util.List<java.io.File> files = new java.util.ArrayList<java.io.File>();
        com.sun.jna.ptr.LongByReference need = new com.sun.jna.ptr.LongByReference();
        for (long k = 0; ; k++) {
            // The library names the files; k past the last sequence ends the list.
            if (CellSdf.lib().csdf_synth_file_name(options, k, null, 0, need)
                    != CellSdfLibrary.CSDF_STATUS_OK) {
                break;
            }
            byte[] buf = new byte[(int) need.getValue()];
            CellSdf.check(CellSdf.lib().csdf_synth_file_name(options, k, buf, buf.length, need));
            files.add(new java.io.File(outDir,
                new String(buf, 0, buf.length - 1, java.nio.charset.StandardCharsets.UTF_8)));
        }
        return files;
    }

    /** Writes a benchmark dataset of this model's new cells into {@code datasetDir} exactly
     * as {@code cellsdf simulate} does (Cell Tracking Challenge layout: 01/tNNN.tif,
     * 01_GT/SEG, 01_GT/TRA with man_track.txt; manifest.json, preview.png). */
    public void simulate(CellSdfLibrary.SimulateOptions options, String datasetDir,
            Progress progress) {
        CellSdfLibrary.ProgressFn cb = Progress.callback(progress);
        CellSdf.check(CellSdf.lib().csdf_simulate(handle(), options, datasetDir, cb, null));
    }

    /** A benchmark dataset like the acquisition of {@code profile} (a file
     * {@link CellSdf#calibrate} wrote, or a bundled profile's name such as "cells3d-nuclei"),
     * as {@code cellsdf simulate --profile PROFILE --seed SEED} writes it. */
    public void simulateLike(String profile, long seed, String datasetDir, boolean overwrite,
            Progress progress) {
        CellSdfLibrary.ProgressFn cb = Progress.callback(progress);
        CellSdf.check(CellSdf.lib().csdf_simulate_like(handle(), profile, seed, datasetDir,
            overwrite ? 1 : 0, cb, null));
    }

    @Override
    public synchronized void close() {
        if (handle != null) {
            CellSdf.lib().csdf_model_free(handle);
            handle = null;
        }
    }
}
