package org.cellsdf;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * JNA mirror of include/cellsdf.h (the C API of libcellsdf). Sizes are size_t, mapped to
 * long (64-bit platforms only). Prefer the object layer ({@link Model}, {@link Grid},
 * {@link Mesh}), which checks statuses and frees handles.
 */
public interface CellSdfLibrary extends Library {
    int CSDF_STATUS_OK = 0;
    int CSDF_STATUS_INVALID_ARGUMENT = 1;
    int CSDF_STATUS_IO = 2;
    int CSDF_STATUS_FORMAT = 3;
    int CSDF_STATUS_CANCELLED = 4;
    int CSDF_STATUS_TORCH = 5;
    int CSDF_STATUS_PANIC = 6;
    int CSDF_STATUS_OUT_OF_MEMORY = 7;
    int CSDF_STATUS_UNSUPPORTED = 8;
    int CSDF_ABI_MAJOR = 0;

    int CSDF_DEVICE_AUTO = 0;
    int CSDF_DEVICE_CPU = 1;
    int CSDF_DEVICE_CUDA = 2;
    int CSDF_EVAL_DENSE = 0;
    int CSDF_EVAL_ADAPTIVE = 1;
    int CSDF_CODES_NORMAL = 0;
    int CSDF_CODES_AROUND_LEARNED = 1;
    int CSDF_CODES_FITTED = 2;
    int CSDF_CODES_NEIGHBOURS = 3;
    int CSDF_GRID_MASK = 0;
    int CSDF_GRID_SDF = 1;
    int CSDF_MESH_PLY_BINARY = 0;
    int CSDF_MESH_PLY_ASCII = 1;
    int CSDF_MESH_OBJ = 2;
    int CSDF_MESH_STL = 3;
    int CSDF_DTYPE_U8 = 0;
    int CSDF_DTYPE_U16 = 1;
    int CSDF_DTYPE_U32 = 2;
    int CSDF_DTYPE_F32 = 3;
    int CSDF_DTYPE_I8 = 4;
    int CSDF_DTYPE_I16 = 5;
    int CSDF_DTYPE_I32 = 6;
    int CSDF_DTYPE_F64 = 7;
    int CSDF_RENDER_SYNTHESIZE = 0;
    int CSDF_RENDER_RECONSTRUCT = 1;
    int CSDF_RENDER_INTERPOLATE = 2;

    /** Progress: return 0 to go on, non-zero to cancel. May run on a library thread. */
    interface ProgressFn extends Callback {
        int invoke(Pointer userData, float fraction, String stage);
    }

    @Structure.FieldOrder({"code_size", "sequences", "parameters", "layers", "width", "activation",
        "omega", "code_mean", "code_sd", "learned_rotation"})
    class ModelInfo extends Structure {
        public long code_size, sequences, parameters, layers, width;
        public int activation;
        public double omega, code_mean, code_sd;
        public int learned_rotation;
    }

    @Structure.FieldOrder({"data", "frames", "nz", "ny", "nx", "voxel_um"})
    class GridView extends Structure {
        public Pointer data;
        public long frames, nz, ny, nx;
        public double[] voxel_um = new double[3];
    }

    @Structure.FieldOrder({"vertices", "normals", "n_vertices", "faces", "n_faces"})
    class MeshView extends Structure {
        public Pointer vertices, normals;
        public long n_vertices;
        public Pointer faces;
        public long n_faces;
    }

    @Structure.FieldOrder({"volume_um3", "voxel_volume_um3", "surface_um2", "sphericity",
        "inverse_sphericity", "components", "euler", "genus", "extent_um", "centroid_um"})
    class Descriptors extends Structure {
        public double volume_um3, voxel_volume_um3, surface_um2, sphericity, inverse_sphericity;
        public long components, euler, genus;
        public double[] extent_um = new double[3];
        public double[] centroid_um = new double[3];
    }

    @Structure.FieldOrder({"grid", "samples_per_frame", "near_fraction", "voxel_um",
        "follow_divisions", "min_length", "keep_border", "seed", "axes", "band",
        "near_surface_only", "scale", "align", "centre", "clamp", "margin"})
    class PrepareOptions extends Structure {
        public long grid, samples_per_frame;
        public double near_fraction;
        public double[] voxel_um = new double[3];
        public int follow_divisions;
        public long min_length;
        public int keep_border;
        public long seed;
        public String axes;
        public double band;
        public int near_surface_only;
        public String scale, align, centre;
        public double clamp, margin;
        public static class ByValue extends PrepareOptions implements Structure.ByValue {}
    }

    @Structure.FieldOrder({"epochs", "lr_net", "lr_codes", "halve_every", "sigma", "arch",
        "activation", "device", "threads", "seed", "checkpoint_every", "code_reg",
        "points_per_frame", "frames_per_batch", "coordinate_init"})
    class TrainOptions extends Structure {
        public long epochs;
        public double lr_net, lr_codes;
        public long halve_every;
        public double sigma;
        public String arch;
        public int activation, device;
        public long threads, seed, checkpoint_every;
        public double code_reg;
        public long points_per_frame, frames_per_batch;
        public int coordinate_init;
        public static class ByValue extends TrainOptions implements Structure.ByValue {}
    }

    @Structure.FieldOrder({"centre_um", "scale_um", "voxel_um", "frame_interval_s", "frames"})
    class SequenceInfo extends Structure {
        public double[] centre_um = new double[3];
        public double scale_um;
        public double[] voxel_um = new double[3];
        public double frame_interval_s;
        public long frames;
    }

    @Structure.FieldOrder({"dtype", "data", "frames", "nz", "ny", "nx", "voxel_um",
        "frame_interval_s"})
    class StackView extends Structure {
        public int dtype;
        public Pointer data;
        public long frames, nz, ny, nx;
        public double[] voxel_um = new double[3];
        public double frame_interval_s;
    }

    @Structure.FieldOrder({"kind", "code_method", "code_param", "count", "seed", "sequence",
        "from", "to", "steps", "frames", "size_xyz", "voxel_um", "dense", "write_sdf",
        "overwrite", "model_label", "first", "format", "zarr_chunk_zyx", "tubes", "sizes"})
    class SynthOptions extends Structure {
        public int kind, code_method;
        public double code_param;
        public long count, seed, sequence, from, to, steps, frames;
        public long[] size_xyz = new long[3];
        public double[] voxel_um = new double[3];
        public int dense, write_sdf, overwrite;
        public String model_label;
        public long first;
        public int format;
        public long[] zarr_chunk_zyx = new long[3];
        /** 1: filopodia as tubes when the model carries a tube model (ABI 0.8). */
        public int tubes;
        /** CSDF_SIZES_TRAINING (0): sizes drawn from the training cells'; 1: decoded (ABI 0.9). */
        public int sizes;
        public static class ByValue extends SynthOptions implements Structure.ByValue {}
    }

    int CSDF_SIZES_TRAINING = 0;
    int CSDF_SIZES_DECODED = 1;
    int CSDF_FORMAT_TIFF = 0;
    int CSDF_FORMAT_OME_ZARR = 1;
    int CSDF_MICROSCOPE_WIDEFIELD = 0;
    int CSDF_MICROSCOPE_CONFOCAL = 1;

    @Structure.FieldOrder({"cells", "frames", "size_xyz", "voxel_um", "interval_s", "microscope",
        "na", "wavelength_nm", "refractive_index", "snr", "contrast", "bleach_per_frame",
        "drift_um", "code_method", "code_param", "seed", "overwrite", "rim_um", "rim_gain",
        "projection", "format", "zarr_chunk_zyx", "contrast_ratio"})
    class SimulateOptions extends Structure {
        public long cells, frames;
        public long[] size_xyz = new long[3];
        public double[] voxel_um = new double[3];
        public double interval_s;
        public int microscope;
        public double na, wavelength_nm, refractive_index;
        public double snr, contrast, bleach_per_frame, drift_um;
        public int code_method;
        public double code_param;
        public long seed;
        public int overwrite;
        public double rim_um, rim_gain;
        public int projection, format;
        public long[] zarr_chunk_zyx = new long[3];
        public double contrast_ratio;
        public static class ByValue extends SimulateOptions implements Structure.ByValue {}
    }

    @Structure.FieldOrder({"rows", "columns", "values"})
    class TableView extends Structure {
        public long rows, columns;
        public Pointer values;
    }

    String csdf_version();
    int csdf_abi_version();
    int csdf_has_training();
    long csdf_stream_seed(long seed, long index);
    long csdf_last_error_message(byte[] buf, long len);
    String csdf_status_name(int status);
    int csdf_test_panic();

    int csdf_model_load(String path, int device, PointerByReference modelOut);
    void csdf_model_free(Pointer model);
    int csdf_model_import_reference(String raw, int activation, double omega, String out,
        int overwrite);
    int csdf_model_info_get(Pointer model, ModelInfo info);
    int csdf_model_sequence_info(Pointer model, long index, SequenceInfo info);
    int csdf_model_get_code(Pointer model, long index, float[] code, long len);
    int csdf_model_set_code(Pointer model, long index, float[] code, long len);
    int csdf_codes_interpolate(Pointer model, long from, long to, long steps, float[] codes,
        long len);
    int csdf_fit_code(Pointer model, String masksPath, double[] voxelUm, long iterations,
        ProgressFn progress, Pointer user, float[] code, long len);
    int csdf_model_resolve(String nameOrPath, String searchDir, byte[] buf, long len,
        LongByReference neededOut);
    SynthOptions.ByValue csdf_synth_options_default();
    SimulateOptions.ByValue csdf_simulate_options_default();
    int csdf_simulate(Pointer model, SimulateOptions options, String datasetDir,
        ProgressFn progress, Pointer user);
    int csdf_simulate_phantoms(String phantomsDir, SimulateOptions options, String datasetDir,
        ProgressFn progress, Pointer user);
    int csdf_calibrate(String raw, String labels, double[] voxelUm, double intervalS, String out,
        int overwrite, ProgressFn progress, Pointer user);
    int csdf_simulate_like(Pointer model, String profile, long seed, String datasetDir,
        int overwrite, ProgressFn progress, Pointer user);
    int csdf_model_render_defaults(Pointer model, long frames, double[] timesOut,
        double[] scaleUmOut, double[] frameIntervalSOut);
    int csdf_model_synthesize(Pointer model, SynthOptions options, String outDir,
        ProgressFn progress, Pointer user);
    int csdf_synth_file_name(SynthOptions options, long k, byte[] buf, long len,
        LongByReference neededOut);
    int csdf_codes_sample(Pointer model, long count, double param, int method, long seed,
        float[] codes, long len, double[] scales);
    int csdf_infer(Pointer model, float[] code, long codeLen, double[] times, long nTimes,
        long[] sizeXyz, double[] voxelUm, double scaleUm, int mode, ProgressFn progress,
        Pointer user, PointerByReference gridOut);
    int csdf_grid_view_get(Pointer grid, GridView view);
    int csdf_grid_mask(Pointer grid, byte[] mask, long len);
    int csdf_grid_write_tiff(Pointer grid, String path, int content, double frameIntervalS,
        int overwrite);
    void csdf_grid_free(Pointer grid);

    PrepareOptions.ByValue csdf_prepare_options_default();
    int csdf_dataset_prepare(String[] inputs, long n, String outDir, PrepareOptions options,
        ProgressFn progress, Pointer user, PointerByReference datasetOut);
    int csdf_dataset_open(String dir, PointerByReference datasetOut);
    int csdf_dataset_size(Pointer dataset, LongByReference sequences, LongByReference frames);
    void csdf_dataset_free(Pointer dataset);
    TrainOptions.ByValue csdf_train_options_default();
    int csdf_train(Pointer dataset, TrainOptions options, String checkpoint, ProgressFn progress,
        Pointer user, PointerByReference modelOut);

    int csdf_mesh_from_grid(Pointer grid, long frame, float level, PointerByReference meshOut);
    int csdf_mesh_from_sdf(float[] data, long nz, long ny, long nx, double[] voxelUm,
        float level, PointerByReference meshOut);
    int csdf_mesh_from_mask(byte[] data, long nz, long ny, long nx, double[] voxelUm,
        PointerByReference meshOut);
    int csdf_mesh_read(String path, PointerByReference meshOut);
    int csdf_mesh_view_get(Pointer mesh, MeshView view);
    int csdf_mesh_write(Pointer mesh, String path, int format, int overwrite);
    void csdf_mesh_free(Pointer mesh);

    int csdf_describe_mask(byte[] data, long nz, long ny, long nx, double[] voxelUm,
        Descriptors out);
    int csdf_describe_mesh(Pointer mesh, Descriptors out);
    int csdf_jaccard(byte[] a, byte[] b, long len, double[] jaccard, double[] dice);
    int csdf_ks_2samp(double[] a, long na, double[] b, long nb, double[] statistic,
        double[] p, IntByReference exact);

    int csdf_labels_describe(int[] data, int dtype, long frames, long nz, long ny, long nx,
        double[] voxelUm, double frameIntervalS, String source, ProgressFn progress, Pointer user,
        PointerByReference tableOut);
    int csdf_labels_mesh(int[] data, int dtype, long frames, long nz, long ny, long nx,
        double[] voxelUm, String stem, int format, String outDir, int overwrite,
        ProgressFn progress, Pointer user, LongByReference writtenOut);
    int csdf_table_view_get(Pointer table, TableView view);
    String csdf_table_column_name(long index);
    int csdf_table_write_csv(Pointer table, String path, int overwrite);
    void csdf_table_free(Pointer table);

    int csdf_stack_read(String path, PointerByReference stackOut);
    int csdf_stack_read_axes(String path, String axes, PointerByReference stackOut);
    int csdf_stack_view_get(Pointer stack, StackView view);
    void csdf_stack_free(Pointer stack);
    int csdf_stack_write(String path, int dtype, Pointer data, long frames, long nz, long ny,
        long nx, double[] voxelUm, double frameIntervalS, int overwrite);
}
