/*
 * Tests of the C API in C, run by `make test` (built with AddressSanitizer): NULL and
 * invalid arguments give the right status and a message, panics become a status,
 * cancellation leaves no partial file, and the whole workflow (write masks, prepare,
 * train, infer dense and adaptive, mesh, describe, files) works, also from two threads
 * sharing one const model. Usage: test_api WORKDIR [MODEL] (left with tiny.safetensors
 * for the C example). A library built without libtorch (csdf_has_training() == 0) must
 * refuse training and fitting with CSDF_STATUS_UNSUPPORTED; MODEL, the tiny model a full
 * build's run trained on the same masks, then stands in for the training.
 */
#include "cellsdf.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

static int failures = 0;
static char path_buf[4096];

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                     \
            fprintf(stderr, "\n");                                            \
            failures++;                                                       \
        }                                                                     \
    } while (0)

static const char *last_error(void) {
    static char buf[2048];
    csdf_last_error_message(buf, sizeof buf);
    return buf;
}

/* A call must fail with `want` and leave a message naming `needle`. */
#define EXPECT_STATUS(call, want, needle)                                                   \
    do {                                                                                    \
        csdf_status s_ = (call);                                                            \
        CHECK(s_ == (want), "%s returned %d (%s), expected %d", #call, s_, last_error(), want); \
        CHECK(strstr(last_error(), (needle)) != NULL, "%s: message '%s' lacks '%s'", #call,  \
              last_error(), needle);                                                        \
    } while (0)

#define OK(call)                                                                          \
    do {                                                                                  \
        csdf_status s_ = (call);                                                          \
        if (s_ != CSDF_STATUS_OK) {                                                       \
            fprintf(stderr, "FAIL %s:%d: %s: %s\n", __FILE__, __LINE__, #call, last_error()); \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)

static const char *in_dir(const char *dir, const char *name) {
    snprintf(path_buf, sizeof path_buf, "%s/%s", dir, name);
    return path_buf;
}

static int exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* Files in `dir` whose name contains ".part" (unfinished atomic writes). */
static int partial_files(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    if (!d) return 0;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".part")) n++;
    closedir(d);
    return n;
}

static int32_t cancel_after(void *user, float fraction, const char *stage) {
    int *calls = (int *)user;
    (void)fraction;
    CHECK(stage != NULL, "stage is NULL");
    return ++*calls > 2;
}

static int32_t count_reports(void *user, float fraction, const char *stage) {
    (void)stage;
    CHECK(fraction >= 0.0f && fraction <= 1.0f, "fraction %f", fraction);
    ++*(int *)user;
    return 0;
}

static void test_bad_arguments(const char *dir) {
    csdf_model *model = NULL;
    csdf_grid *grid = NULL;
    csdf_mesh *mesh = NULL;
    csdf_stack *stack = NULL;
    csdf_dataset *data = NULL;
    csdf_model_info info;
    csdf_descriptors d;
    double v[3] = {0.5, 0.5, 0.5};
    double bad_v[3] = {0.5, -1.0, 0.5};
    uint8_t mask[8] = {0};
    float code[4] = {0};
    double t = 0.0;
    size_t size[3] = {8, 8, 8};
    double stat, p;

    EXPECT_STATUS(csdf_model_load(NULL, CSDF_DEVICE_CPU, &model), CSDF_STATUS_INVALID_ARGUMENT, "path");
    EXPECT_STATUS(csdf_model_load("x.safetensors", CSDF_DEVICE_CPU, NULL), CSDF_STATUS_INVALID_ARGUMENT, "model_out");
    EXPECT_STATUS(csdf_model_load("x.safetensors", 7, &model), CSDF_STATUS_INVALID_ARGUMENT, "device");
    EXPECT_STATUS(csdf_model_load(in_dir(dir, "missing.safetensors"), CSDF_DEVICE_CPU, &model), CSDF_STATUS_IO, "missing.safetensors");
    CHECK(model == NULL, "model written on failure");
    /* A file that is not a checkpoint. */
    FILE *f = fopen(in_dir(dir, "junk.safetensors"), "wb");
    fputs("not a model at all", f);
    fclose(f);
    EXPECT_STATUS(csdf_model_load(in_dir(dir, "junk.safetensors"), CSDF_DEVICE_CPU, &model), CSDF_STATUS_FORMAT, "junk.safetensors");
    EXPECT_STATUS(csdf_model_info_get(NULL, &info), CSDF_STATUS_INVALID_ARGUMENT, "model");
    EXPECT_STATUS(csdf_model_sequence_info(NULL, 0, NULL), CSDF_STATUS_INVALID_ARGUMENT, "info_out");
    EXPECT_STATUS(csdf_model_get_code(NULL, 0, code, 4), CSDF_STATUS_INVALID_ARGUMENT, "model");
    EXPECT_STATUS(csdf_model_set_code(NULL, 0, code, 4), CSDF_STATUS_INVALID_ARGUMENT, "model");
    EXPECT_STATUS(csdf_codes_sample(NULL, 1, 0.1, 0, 1, code, 4, NULL), CSDF_STATUS_INVALID_ARGUMENT, "model");
    EXPECT_STATUS(csdf_codes_interpolate(NULL, 0, 1, 2, code, 4), CSDF_STATUS_INVALID_ARGUMENT, "model");
    EXPECT_STATUS(csdf_fit_code(NULL, "m.tif", NULL, 0, NULL, NULL, code, 4), CSDF_STATUS_INVALID_ARGUMENT, "model");
    EXPECT_STATUS(csdf_infer(NULL, code, 4, &t, 1, size, v, 0, CSDF_EVAL_DENSE, NULL, NULL, &grid), CSDF_STATUS_INVALID_ARGUMENT, "model");
    EXPECT_STATUS(csdf_grid_view_get(NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "view_out");
    EXPECT_STATUS(csdf_grid_mask(NULL, mask, 8), CSDF_STATUS_INVALID_ARGUMENT, "grid");
    EXPECT_STATUS(csdf_grid_write_tiff(NULL, "x.tif", CSDF_GRID_MASK, 0, 0), CSDF_STATUS_INVALID_ARGUMENT, "grid");
    EXPECT_STATUS(csdf_mesh_from_grid(NULL, 0, 0, &mesh), CSDF_STATUS_INVALID_ARGUMENT, "grid");
    EXPECT_STATUS(csdf_mesh_from_sdf(NULL, 2, 2, 2, v, 0, &mesh), CSDF_STATUS_INVALID_ARGUMENT, "data");
    EXPECT_STATUS(csdf_mesh_from_mask(mask, 2, 2, 2, bad_v, &mesh), CSDF_STATUS_INVALID_ARGUMENT, "voxel_um");
    EXPECT_STATUS(csdf_mesh_from_mask(mask, 2, 0, 2, v, &mesh), CSDF_STATUS_INVALID_ARGUMENT, "nz, ny, nx");
    EXPECT_STATUS(csdf_mesh_view_get(NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "view_out");
    EXPECT_STATUS(csdf_mesh_write(NULL, "x.ply", CSDF_MESH_PLY_BINARY, 0), CSDF_STATUS_INVALID_ARGUMENT, "mesh");
    EXPECT_STATUS(csdf_describe_mask(mask, 2, 2, 2, v, NULL), CSDF_STATUS_INVALID_ARGUMENT, "out_descriptors");
    EXPECT_STATUS(csdf_describe_mask(mask, 2, 2, 2, v, &d), CSDF_STATUS_INVALID_ARGUMENT, "empty");
    EXPECT_STATUS(csdf_describe_mesh(NULL, &d), CSDF_STATUS_INVALID_ARGUMENT, "mesh");
    EXPECT_STATUS(csdf_jaccard(mask, NULL, 8, &stat, &p), CSDF_STATUS_INVALID_ARGUMENT, "b");
    EXPECT_STATUS(csdf_ks_2samp(NULL, 3, &t, 1, &stat, &p, NULL), CSDF_STATUS_INVALID_ARGUMENT, "a");
    EXPECT_STATUS(csdf_ks_2samp(&t, 0, &t, 1, &stat, &p, NULL), CSDF_STATUS_INVALID_ARGUMENT, "first sample");
    EXPECT_STATUS(csdf_stack_read(NULL, &stack), CSDF_STATUS_INVALID_ARGUMENT, "path");
    EXPECT_STATUS(csdf_stack_read(in_dir(dir, "junk.safetensors"), &stack), CSDF_STATUS_FORMAT, "junk.safetensors");
    EXPECT_STATUS(csdf_stack_view_get(NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "view_out");
    EXPECT_STATUS(csdf_stack_write("x.tif", 9, mask, 1, 2, 2, 2, v, 0, 0), CSDF_STATUS_INVALID_ARGUMENT, "dtype");
    EXPECT_STATUS(csdf_stack_write("x.tif", CSDF_DTYPE_U8, NULL, 1, 2, 2, 2, v, 0, 0), CSDF_STATUS_INVALID_ARGUMENT, "data");
    /* Sizes that would read far beyond the buffer (or wrap) are refused before it is touched. */
    EXPECT_STATUS(csdf_stack_write("x.tif", CSDF_DTYPE_U8, mask, (size_t)1 << 62, 1, 1, 1, v, 0, 0),
                  CSDF_STATUS_INVALID_ARGUMENT, "4 GiB");
    EXPECT_STATUS(csdf_stack_write("x.tif", CSDF_DTYPE_U32, mask, (size_t)1 << 31, 2, 2, 2, v, 0, 0),
                  CSDF_STATUS_INVALID_ARGUMENT, "4 GiB");
    EXPECT_STATUS(csdf_stack_write("x.tif", CSDF_DTYPE_U8, mask, SIZE_MAX, 2, 2, 2, v, 0, 0),
                  CSDF_STATUS_INVALID_ARGUMENT, "stack size");
    EXPECT_STATUS(csdf_dataset_open(in_dir(dir, "nothing"), &data), CSDF_STATUS_IO, "nothing");
    EXPECT_STATUS(csdf_dataset_prepare(NULL, 0, "out", NULL, NULL, NULL, &data), CSDF_STATUS_INVALID_ARGUMENT, "n_inputs");
    EXPECT_STATUS(csdf_dataset_size(NULL, NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "sequences_out");
    EXPECT_STATUS(csdf_train(NULL, NULL, "m.safetensors", NULL, NULL, &model), CSDF_STATUS_INVALID_ARGUMENT, "dataset");
    /* Simulation: NULL handles and out-of-range options are named. */
    EXPECT_STATUS(csdf_simulate(NULL, NULL, dir, NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "model");
    /* Calibration (ABI 0.11): NULL, missing files and a missing output folder are named. */
    EXPECT_STATUS(csdf_calibrate(NULL, "l.tif", NULL, 0, "p.json", 0, NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "raw");
    EXPECT_STATUS(csdf_calibrate("r.tif", NULL, NULL, 0, "p.json", 0, NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "labels");
    EXPECT_STATUS(csdf_calibrate("r.tif", "l.tif", NULL, 0, NULL, 0, NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "out");
    char profile_out[4096];
    snprintf(profile_out, sizeof profile_out, "%s/p.json", dir);
    EXPECT_STATUS(csdf_calibrate(in_dir(dir, "no_raw.tif"), "no_labels.tif", NULL, 0, profile_out, 0, NULL, NULL),
                  CSDF_STATUS_IO, "no_raw.tif");
    CHECK(!exists(profile_out), "nothing written for a missing input");
    EXPECT_STATUS(csdf_calibrate("r.tif", "l.tif", NULL, 0, in_dir(dir, "none/p.json"), 0, NULL, NULL),
                  CSDF_STATUS_IO, "folder does not exist");
    double bad_voxel[3] = {0.2, -1.0, 0.4};
    EXPECT_STATUS(csdf_calibrate("r.tif", "l.tif", bad_voxel, 0, profile_out, 0, NULL, NULL),
                  CSDF_STATUS_INVALID_ARGUMENT, "voxel");
    EXPECT_STATUS(csdf_simulate_like(NULL, "cells3d-nuclei", 0, dir, 0, NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "model");
    struct csdf_simulate_options so = csdf_simulate_options_default();
    CHECK(so.cells == 3 && so.frames == 20 && so.size_xyz[0] == 128 && fabs(so.voxel_um[2] - 0.4) < 1e-12
          && so.microscope == CSDF_MICROSCOPE_WIDEFIELD && so.code_method == CSDF_CODES_NEIGHBOURS, "simulate defaults");
    /* _free accepts NULL. */
    csdf_model_free(NULL);
    csdf_grid_free(NULL);
    csdf_mesh_free(NULL);
    csdf_stack_free(NULL);
    csdf_dataset_free(NULL);
    /* A panic becomes a status with a message, and the process goes on. */
    EXPECT_STATUS(csdf_test_panic(), CSDF_STATUS_PANIC, "panic");
    /* The error buffer protocol: full length back, truncated copy. */
    char small[8];
    size_t n = csdf_last_error_message(NULL, 0);
    CHECK(n > 8, "length %zu", n);
    CHECK(csdf_last_error_message(small, sizeof small) == n, "same length");
    CHECK(strlen(small) == 7, "truncated to 7 + NUL: '%s'", small);
}

/* Two growing spheres (frames x 24^3, 0.5 um) written as uint8 hyperstacks. */
static void write_masks(const char *dir) {
    const size_t T = 3, N = 24;
    uint8_t *m = calloc(T * N * N * N, 1);
    double v[3] = {0.5, 0.5, 0.5};
    for (int s = 0; s < 2; s++) {
        for (size_t t = 0; t < T; t++)
            for (size_t z = 0; z < N; z++)
                for (size_t y = 0; y < N; y++)
                    for (size_t x = 0; x < N; x++) {
                        double r = 3.0 + 0.5 * t + 0.5 * s;
                        double dx = (x - 11.5) * 0.5, dy = (y - 11.7) * 0.5, dz = (z - 11.4) * 0.5 * (1 + 0.2 * s);
                        m[((t * N + z) * N + y) * N + x] = dx * dx + dy * dy + dz * dz <= r * r;
                    }
        char name[64];
        snprintf(name, sizeof name, "masks/cell_%d.tif", s);
        OK(csdf_stack_write(in_dir(dir, name), CSDF_DTYPE_U8, m, T, N, N, N, v, 60.0, 0));
    }
    free(m);
}

struct worker {
    const csdf_model *model;
    const float *code;
    size_t code_len;
    double sum;
    csdf_status status;
};

static void *infer_worker(void *arg) {
    struct worker *w = arg;
    double times[2] = {-1.0, 1.0};
    size_t size[3] = {20, 20, 20};
    csdf_grid *g = NULL;
    w->status = csdf_infer(w->model, w->code, w->code_len, times, 2, size, NULL, 0, CSDF_EVAL_DENSE, NULL, NULL, &g);
    if (w->status == CSDF_STATUS_OK) {
        csdf_grid_view v;
        csdf_grid_view_get(g, &v);
        w->sum = 0;
        for (size_t i = 0; i < v.frames * v.nz * v.ny * v.nx; i++) w->sum += v.data[i];
    }
    csdf_grid_free(g);
    return NULL;
}

/* The model a build with libtorch trained (argv[2]), for a build without it. */
static const char *trained_model = NULL;

static void copy_file(const char *from, const char *to) {
    CHECK(from != NULL, "a library without libtorch needs MODEL (argv[2])");
    if (from == NULL) exit(1);
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    CHECK(in && out, "copy %s to %s", from, to);
    if (!in || !out) exit(1);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
}

static int file_starts_with(const char *path, const char *prefix);

static void test_workflow(const char *dir) {
    char masks[4096], dsdir[4096], ckpt[4096];
    snprintf(masks, sizeof masks, "%s/masks", dir);
    mkdir(masks, 0755);
    write_masks(dir);

    /* The masks read back with their calibration. */
    csdf_stack *stack = NULL;
    csdf_stack_view sv;
    OK(csdf_stack_read(in_dir(dir, "masks/cell_0.tif"), &stack));
    OK(csdf_stack_view_get(stack, &sv));
    CHECK(sv.dtype == CSDF_DTYPE_U8 && sv.frames == 3 && sv.nz == 24 && sv.nx == 24, "dims");
    CHECK(fabs(sv.voxel_um[2] - 0.5) < 1e-9 && fabs(sv.frame_interval_s - 60.0) < 1e-9, "calibration");
    csdf_stack_free(stack);

    /* Prepare. */
    const char *inputs[1] = {masks};
    struct csdf_prepare_options po = csdf_prepare_options_default();
    po.grid = 24;
    po.samples_per_frame = 2048;
    snprintf(dsdir, sizeof dsdir, "%s/dataset", dir);
    csdf_dataset *data = NULL;
    int reports = 0;
    OK(csdf_dataset_prepare(inputs, 1, dsdir, &po, count_reports, &reports, &data));
    CHECK(reports > 0, "no progress reports");
    size_t nseq, nframes;
    OK(csdf_dataset_size(data, &nseq, &nframes));
    CHECK(nseq == 2 && nframes == 6, "sequences %zu frames %zu", nseq, nframes);
    /* The recipe options (ABI 0.7): defaults as documented, bad names refused by name. */
    CHECK(po.band == 0.1 && po.near_surface_only == 0 && po.clamp == 0.5 && po.margin == 0.1
              && po.align == NULL && po.centre == NULL && po.scale == NULL, "prepare defaults");
    struct csdf_prepare_options bad = po;
    bad.align = "diagonal";
    char baddir[4096];
    snprintf(baddir, sizeof baddir, "%s/bad-dataset", dir);
    csdf_dataset *refused = NULL;
    EXPECT_STATUS(csdf_dataset_prepare(inputs, 1, baddir, &bad, NULL, NULL, &refused), CSDF_STATUS_INVALID_ARGUMENT, "align");
    bad.align = NULL;
    bad.centre = "track";
    EXPECT_STATUS(csdf_dataset_prepare(inputs, 1, baddir, &bad, NULL, NULL, &refused), CSDF_STATUS_INVALID_ARGUMENT, "centre");
    CHECK(refused == NULL && !exists(baddir), "a refused prepare wrote something");

    /* Training cancelled by the callback leaves no checkpoint and no partial file. */
    struct csdf_train_options to = csdf_train_options_default();
    to.arch = "small";
    to.epochs = 40;
    to.lr_net = 1e-3;
    to.halve_every = 20;
    to.device = CSDF_DEVICE_CPU;
    to.threads = 2;
    to.seed = 1;
    to.checkpoint_every = 0;
    snprintf(ckpt, sizeof ckpt, "%s/cancelled.safetensors", dir);
    csdf_model *model = NULL;
    int calls = 0;
    if (csdf_has_training()) {
        EXPECT_STATUS(csdf_train(data, &to, ckpt, cancel_after, &calls, &model), CSDF_STATUS_CANCELLED, "cancelled");
        CHECK(model == NULL && !exists(ckpt) && partial_files(dir) == 0, "cancelled training left output");
    }
    EXPECT_STATUS(csdf_train(data, &to, NULL, NULL, NULL, &model), CSDF_STATUS_INVALID_ARGUMENT, "checkpoint_path");
    to.activation = 5;
    EXPECT_STATUS(csdf_train(data, &to, ckpt, NULL, NULL, &model), CSDF_STATUS_INVALID_ARGUMENT, "activation");
    to.activation = 0;

    /* Train for real. */
    snprintf(ckpt, sizeof ckpt, "%s/tiny.safetensors", dir);
    if (csdf_has_training()) {
        OK(csdf_train(data, &to, ckpt, NULL, NULL, &model));
        csdf_model_free(model);
    } else {
        EXPECT_STATUS(csdf_train(data, &to, ckpt, NULL, NULL, &model), CSDF_STATUS_UNSUPPORTED, "libtorch");
        CHECK(model == NULL && !exists(ckpt), "refused training wrote something");
        CHECK(strcmp(csdf_status_name(CSDF_STATUS_UNSUPPORTED), "not supported by this build") == 0, "status name");
        copy_file(trained_model, ckpt);
    }
    csdf_dataset_free(data);
    OK(csdf_model_load(ckpt, CSDF_DEVICE_CPU, &model));
    csdf_model_info info;
    OK(csdf_model_info_get(model, &info));
    CHECK(info.sequences == 2 && info.code_size > 0 && info.activation == 0, "info");
    csdf_sequence_info si;
    OK(csdf_model_sequence_info(model, 1, &si));
    CHECK(si.frames == 3 && si.scale_um > 0 && fabs(si.voxel_um[0] - 0.5) < 1e-9, "sequence info");
    EXPECT_STATUS(csdf_model_sequence_info(model, 2, &si), CSDF_STATUS_INVALID_ARGUMENT, "out of range");

    /* Codes. */
    size_t c = info.code_size;
    float *code = malloc(c * sizeof(float)), *codes = malloc(3 * c * sizeof(float));
    OK(csdf_model_get_code(model, 0, code, c));
    EXPECT_STATUS(csdf_model_get_code(model, 0, code, c + 1), CSDF_STATUS_INVALID_ARGUMENT, "len");
    OK(csdf_codes_interpolate(model, 0, 1, 3, codes, 3 * c));
    CHECK(memcmp(codes, code, c * sizeof(float)) == 0, "interpolation starts at code 0");
    OK(csdf_codes_sample(model, 3, 0.0, CSDF_CODES_NORMAL, 7, codes, 3 * c, NULL));
    float again[3 * 64];
    double scales[3] = {0, 0, 0};
    if (c <= 64) {
        OK(csdf_codes_sample(model, 3, 0.0, CSDF_CODES_NORMAL, 7, again, 3 * c, NULL));
        CHECK(memcmp(codes, again, 3 * c * sizeof(float)) == 0, "seeded codes repeat");
        OK(csdf_codes_sample(model, 3, -1.0, CSDF_CODES_FITTED, 7, again, 3 * c, scales));
        CHECK(scales[0] > 0 && scales[1] > 0 && scales[2] > 0, "fitted codes come with scales");
        OK(csdf_codes_sample(model, 3, 0.5, CSDF_CODES_NEIGHBOURS, 7, again, 3 * c, scales));
    }
    EXPECT_STATUS(csdf_codes_sample(model, 1, 0.01, 4, 7, codes, c, NULL), CSDF_STATUS_INVALID_ARGUMENT, "method");
    /* count x code size that wraps around size_t is refused, not truncated. */
    EXPECT_STATUS(csdf_codes_sample(model, SIZE_MAX / 2 + 2, 0.0, 0, 7, codes, c, NULL),
                  CSDF_STATUS_INVALID_ARGUMENT, "overflow");
    EXPECT_STATUS(csdf_codes_interpolate(model, 0, 1, SIZE_MAX / 2 + 2, codes, c),
                  CSDF_STATUS_INVALID_ARGUMENT, "overflow");

    /* Inference: dense and adaptive masks agree; NaN times and huge grids are refused. */
    double times[3] = {-1.0, 0.0, 1.0};
    size_t size[3] = {32, 32, 32};
    double voxel[3] = {0.4, 0.4, 0.4};
    csdf_grid *dense = NULL, *adaptive = NULL;
    OK(csdf_infer(model, code, c, times, 3, size, voxel, 0, CSDF_EVAL_DENSE, NULL, NULL, &dense));
    OK(csdf_infer(model, code, c, times, 3, size, voxel, 0, CSDF_EVAL_ADAPTIVE, NULL, NULL, &adaptive));
    csdf_grid_view gv;
    OK(csdf_grid_view_get(dense, &gv));
    CHECK(gv.frames == 3 && gv.nz == 32 && gv.ny == 32 && gv.nx == 32 && fabs(gv.voxel_um[1] - 0.4) < 1e-9, "grid view");
    size_t nvox = gv.frames * gv.nz * gv.ny * gv.nx;
    uint8_t *ma = malloc(nvox), *mb = malloc(nvox);
    OK(csdf_grid_mask(dense, ma, nvox));
    OK(csdf_grid_mask(adaptive, mb, nvox));
    double ji, dice;
    OK(csdf_jaccard(ma, mb, nvox, &ji, &dice));
    CHECK(ji > 0.999, "dense vs adaptive JI %f", ji);
    size_t inside = 0;
    for (size_t i = 0; i < nvox; i++) inside += ma[i];
    CHECK(inside > 100 && inside < nvox / 2, "cell occupies %zu voxels", inside);
    double bad_t = NAN;
    EXPECT_STATUS(csdf_infer(model, code, c, &bad_t, 1, size, voxel, 0, 0, NULL, NULL, &dense), CSDF_STATUS_INVALID_ARGUMENT, "times");
    size_t huge[3] = {4096, 4096, 4096};
    csdf_grid *none = NULL;
    EXPECT_STATUS(csdf_infer(model, code, c, times, 3, huge, voxel, 0, 0, NULL, NULL, &none), CSDF_STATUS_INVALID_ARGUMENT, "GB");
    EXPECT_STATUS(csdf_infer(model, code, c - 1, times, 3, size, voxel, 0, 0, NULL, NULL, &none), CSDF_STATUS_INVALID_ARGUMENT, "code_len");
    calls = 0;
    EXPECT_STATUS(csdf_infer(model, code, c, times, 3, size, voxel, 0, 0, cancel_after, &calls, &none), CSDF_STATUS_CANCELLED, "cancelled");
    CHECK(none == NULL, "grid written on cancel");

    /* Files: the grid as a TIFF reads back equal. */
    OK(csdf_grid_write_tiff(dense, in_dir(dir, "sdf.tif"), CSDF_GRID_SDF, 30.0, 0));
    OK(csdf_stack_read(in_dir(dir, "sdf.tif"), &stack));
    OK(csdf_stack_view_get(stack, &sv));
    CHECK(sv.dtype == CSDF_DTYPE_F32 && memcmp(sv.data, gv.data, nvox * 4) == 0, "SDF TIFF round trip");
    CHECK(fabs(sv.frame_interval_s - 30.0) < 1e-9, "frame interval");
    csdf_stack_free(stack);

    /* Meshes and descriptors: the mesh of the SDF and of the mask describe the same cell. */
    /* On a frame where the tiny model draws one whole cell inside the grid: a piece cut by
       the grid's border has an open SDF mesh, and which frames of a 40-epoch model are whole
       changes with training's float rounding. */
    const size_t one = (size_t)32 * 32 * 32;
    size_t pick = 3;
    csdf_descriptors dm, dk, dmm;
    for (size_t f = 0; f < 3 && pick == 3; f++) {
        const uint8_t *m = ma + f * one;
        int edge = 0;
        for (size_t z = 0; z < 32; z++)
            for (size_t y = 0; y < 32; y++)
                for (size_t x = 0; x < 32; x++)
                    if (m[(z * 32 + y) * 32 + x] && (z % 31 == 0 || y % 31 == 0 || x % 31 == 0)) edge = 1;
        OK(csdf_describe_mask(m, 32, 32, 32, voxel, &dk));
        if (!edge && dk.components == 1) pick = f;
    }
    CHECK(pick < 3, "no frame with one whole cell inside the grid");
    if (pick == 3) pick = 1;
    csdf_mesh *mesh = NULL, *mmesh = NULL;
    OK(csdf_mesh_from_grid(dense, pick, 0.0f, &mesh));
    EXPECT_STATUS(csdf_mesh_from_grid(dense, 3, 0.0f, &mmesh), CSDF_STATUS_INVALID_ARGUMENT, "frame");
    csdf_mesh_view mv;
    OK(csdf_mesh_view_get(mesh, &mv));
    CHECK(mv.n_vertices > 100 && mv.n_faces > 100, "mesh size");
    for (size_t i = 0; i < mv.n_faces * 3; i++)
        if (mv.faces[i] >= mv.n_vertices) { CHECK(0, "face index out of range"); break; }
    OK(csdf_describe_mesh(mesh, &dm));
    OK(csdf_describe_mask(ma + pick * one, 32, 32, 32, voxel, &dk));
    OK(csdf_mesh_from_mask(ma + pick * one, 32, 32, 32, voxel, &mmesh));
    OK(csdf_describe_mesh(mmesh, &dmm));
    /* The mask's mesh is closed (padded) and matches the mask's own description (specks of a
       voxel or two vanish in the smoothing, so it may have fewer pieces than the voxels). */
    CHECK(dmm.genus >= 0 && dmm.components >= 1 && dmm.components <= dk.components, "mask mesh: genus %lld, %zu vs %zu components",
          (long long)dmm.genus, dmm.components, dk.components);
    /* The SDF's own mesh encloses about the voxel volume; its area exceeds the smoothed
       mask's a little (the mask smoothing rounds off the tiny model's bumps). */
    CHECK(fabs(dm.volume_um3 / dk.voxel_volume_um3 - 1.0) < 0.05, "mesh volume %f vs voxels %f", dm.volume_um3, dk.voxel_volume_um3);
    CHECK(dm.surface_um2 > 0.95 * dk.surface_um2 && dm.surface_um2 < 1.2 * dk.surface_um2, "areas %f vs %f", dm.surface_um2, dk.surface_um2);
    OK(csdf_mesh_write(mesh, in_dir(dir, "frame1.ply"), CSDF_MESH_PLY_BINARY, 0));
    OK(csdf_mesh_write(mmesh, in_dir(dir, "frame1_mask.stl"), CSDF_MESH_STL, 0));
    EXPECT_STATUS(csdf_mesh_write(mesh, in_dir(dir, "no/such/dir/x.ply"), CSDF_MESH_OBJ, 0), CSDF_STATUS_IO, "x.ply");
    /* A file cellsdf did not write is replaced only with overwrite = 1, by each writer. */
    const char *foreign[3] = {"mine.ply", "mine_grid.tif", "mine_stack.tif"};
    const uint8_t mask1[8] = {0, 1, 1, 0, 0, 1, 1, 0};
    const double v1[3] = {0.5, 0.5, 0.5};
    for (int k = 0; k < 3; k++) {
        FILE *mine = fopen(in_dir(dir, foreign[k]), "wb");
        fputs("mine", mine);
        fclose(mine);
    }
    EXPECT_STATUS(csdf_mesh_write(mesh, in_dir(dir, "mine.ply"), CSDF_MESH_PLY_BINARY, 0), CSDF_STATUS_INVALID_ARGUMENT, "--overwrite");
    EXPECT_STATUS(csdf_grid_write_tiff(dense, in_dir(dir, "mine_grid.tif"), CSDF_GRID_MASK, 0, 0), CSDF_STATUS_INVALID_ARGUMENT, "mine_grid.tif");
    EXPECT_STATUS(csdf_stack_write(in_dir(dir, "mine_stack.tif"), CSDF_DTYPE_U8, mask1, 1, 2, 2, 2, v1, 0, 0), CSDF_STATUS_INVALID_ARGUMENT, "mine_stack.tif");
    for (int k = 0; k < 3; k++)
        CHECK(file_starts_with(in_dir(dir, foreign[k]), "mine"), "%s was replaced without overwrite", foreign[k]);
    OK(csdf_mesh_write(mesh, in_dir(dir, "mine.ply"), CSDF_MESH_PLY_BINARY, 1));
    OK(csdf_grid_write_tiff(dense, in_dir(dir, "mine_grid.tif"), CSDF_GRID_MASK, 0, 1));
    OK(csdf_stack_write(in_dir(dir, "mine_stack.tif"), CSDF_DTYPE_U8, mask1, 1, 2, 2, 2, v1, 0, 1));
    CHECK(file_starts_with(in_dir(dir, "mine.ply"), "ply"), "mesh not written with overwrite");
    CHECK(file_starts_with(in_dir(dir, "mine_stack.tif"), "II*"), "stack not written with overwrite");
    /* Another operation's file: the mesh writer does not replace the stack writer's TIFF. */
    EXPECT_STATUS(csdf_mesh_write(mesh, in_dir(dir, "mine_stack.tif"), CSDF_MESH_PLY_BINARY, 0), CSDF_STATUS_INVALID_ARGUMENT, "csdf_stack_write");
    CHECK(partial_files(dir) == 0, "partial files left");

    /* KS test: identical samples. */
    double a[5] = {1, 2, 3, 4, 5}, stat, p;
    int exact;
    OK(csdf_ks_2samp(a, 5, a, 5, &stat, &p, &exact));
    CHECK(stat == 0 && p == 1 && exact == 1, "KS");

    /* Two threads share one const model and agree with each other. */
    struct worker w[2] = {{model, code, c, 0, -1}, {model, code, c, 0, -1}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, infer_worker, &w[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    struct worker single = {model, code, c, 0, -1};
    infer_worker(&single);
    CHECK(w[0].status == 0 && w[1].status == 0, "threads failed");
    CHECK(w[0].sum == single.sum && w[1].sum == single.sum, "threads differ: %f %f %f", w[0].sum, w[1].sum, single.sum);

    /* Setting a code changes what is rendered. */
    OK(csdf_model_get_code(model, 1, codes, c));
    OK(csdf_model_set_code(model, 0, codes, c));
    OK(csdf_model_get_code(model, 0, code, c));
    CHECK(memcmp(code, codes, c * sizeof(float)) == 0, "set_code");

    free(ma);
    free(mb);
    free(code);
    free(codes);
    csdf_mesh_free(mesh);
    csdf_mesh_free(mmesh);
    csdf_grid_free(dense);
    csdf_grid_free(adaptive);
    csdf_model_free(model);
}

/* A ball of radius `r` um centred in an n^3 grid of `h` um voxels, as 32-bit labels `label`;
   returns its voxel count. */
static size_t ball(uint32_t *out, size_t n, double h, double r, uint32_t label) {
    size_t count = 0;
    double c = (n - 1) / 2.0;
    for (size_t z = 0; z < n; z++)
        for (size_t y = 0; y < n; y++)
            for (size_t x = 0; x < n; x++) {
                double d2 = ((x - c) * (x - c) + (y - c) * (y - c) + (z - c) * (z - c)) * h * h;
                int in = d2 <= r * r;
                out[(z * n + y) * n + x] = in ? label : 0;
                count += in;
            }
    return count;
}

static int file_starts_with(const char *path, const char *prefix) {
    char buf[256] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    return got >= strlen(prefix) && strncmp(buf, prefix, strlen(prefix)) == 0;
}

/* The calls the front ends make: resolve a model, synthesize into a folder, describe and
   mesh labels, read meshes. Values are checked against closed forms (a ball). */
static void test_front_end_calls(const char *dir, const char *model_path) {
    /* Model names: the query-size-then-fill protocol; bundled names; clear errors. */
    size_t need = 0;
    OK(csdf_model_resolve(model_path, NULL, NULL, 0, &need));
    CHECK(need == strlen(model_path) + 1, "needed %zu", need);
    char small[4], name[4096];
    EXPECT_STATUS(csdf_model_resolve(model_path, NULL, small, sizeof small, &need), CSDF_STATUS_INVALID_ARGUMENT, "len");
    OK(csdf_model_resolve(model_path, NULL, name, sizeof name, &need));
    CHECK(strcmp(name, model_path) == 0, "resolved %s", name);
    OK(csdf_model_resolve("dividing", NULL, name, sizeof name, &need));
    CHECK(strstr(name, "models/dividing.safetensors") != NULL, "bundled %s", name);
    EXPECT_STATUS(csdf_model_resolve(in_dir(dir, "none.safetensors"), NULL, name, sizeof name, &need), CSDF_STATUS_IO, "none.safetensors");
    EXPECT_STATUS(csdf_model_resolve(NULL, NULL, name, sizeof name, &need), CSDF_STATUS_INVALID_ARGUMENT, "name_or_path");

    /* Synthesis into a folder, as `cellsdf synth` does. */
    csdf_model *model = NULL;
    OK(csdf_model_load(model_path, CSDF_DEVICE_CPU, &model));
    csdf_synth_options so = csdf_synth_options_default();
    CHECK(so.tubes == 1, "filopodia tubes on by default (ABI 0.8)");
    CHECK(so.sizes == CSDF_SIZES_TRAINING, "training sizes by default (ABI 0.9)");
    CHECK(so.count == 1 && so.frames == 30 && so.code_method == CSDF_CODES_NEIGHBOURS, "defaults");
    so.count = 2;
    so.frames = 2;
    so.size_xyz[0] = 16; so.size_xyz[1] = 14; so.size_xyz[2] = 12;
    so.seed = 9;
    so.model_label = "tiny";
    OK(csdf_synth_file_name(&so, 1, name, sizeof name, &need));
    CHECK(strcmp(name, "synth_001.tif") == 0, "file name %s", name);
    EXPECT_STATUS(csdf_synth_file_name(&so, 2, name, sizeof name, &need), CSDF_STATUS_INVALID_ARGUMENT, "k");
    char synth_dir[4096];
    snprintf(synth_dir, sizeof synth_dir, "%s/synth", dir);
    int reports = 0;
    OK(csdf_model_synthesize(model, &so, synth_dir, count_reports, &reports));
    CHECK(reports > 0, "no progress");
    csdf_stack *st = NULL;
    csdf_stack_view sv;
    OK(csdf_stack_read(in_dir(dir, "synth/synth_001.tif"), &st));
    OK(csdf_stack_view_get(st, &sv));
    CHECK(sv.dtype == CSDF_DTYPE_U8 && sv.frames == 2 && sv.nz == 12 && sv.ny == 14 && sv.nx == 16, "synth dims");
    csdf_stack_free(st);
    CHECK(file_starts_with(in_dir(dir, "synth/manifest.json"), "{"), "manifest");
    /* Again into the same folder (cellsdf's own files are replaced); a foreign file is kept. */
    OK(csdf_model_synthesize(model, &so, synth_dir, NULL, NULL));
    FILE *f = fopen(in_dir(dir, "synth/synth_000_sdf.tif"), "wb");
    fputs("mine", f);
    fclose(f);
    so.write_sdf = 1;
    EXPECT_STATUS(csdf_model_synthesize(model, &so, synth_dir, NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "synth_000_sdf.tif");
    CHECK(file_starts_with(in_dir(dir, "synth/synth_000_sdf.tif"), "mine"), "foreign file changed");
    int after = 0;
    EXPECT_STATUS(csdf_model_synthesize(model, &so, in_dir(dir, "cancelled_synth"), cancel_after, &after), CSDF_STATUS_CANCELLED, "cancel");
    CHECK(!exists(in_dir(dir, "cancelled_synth")), "cancelled synthesis left a folder");
    so.sizes = 5;
    EXPECT_STATUS(csdf_model_synthesize(model, &so, synth_dir, NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "sizes");
    so.sizes = CSDF_SIZES_TRAINING;
    so.kind = 7;
    EXPECT_STATUS(csdf_model_synthesize(model, &so, synth_dir, NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "kind");
    so.kind = CSDF_RENDER_SYNTHESIZE;
    so.size_xyz[1] = 0;
    EXPECT_STATUS(csdf_model_synthesize(model, &so, synth_dir, NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "size_xyz");
    EXPECT_STATUS(csdf_model_synthesize(NULL, &so, synth_dir, NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "model");
    csdf_model_free(model);

    /* Describing labels: a ball of radius 1.5 um in 0.1 um voxels, and a second label. */
    const size_t n = 40;
    const double h = 0.1, r = 1.5, pi = 3.14159265358979;
    uint32_t *lab = malloc(2 * n * n * n * sizeof *lab);
    size_t count = ball(lab, n, h, r, 4);
    ball(lab + n * n * n, n, h, 1.0, 4);
    lab[n * n * n] = 9; /* a one-voxel cell in the corner of frame 1 */
    double vox[3] = {h, h, h};
    csdf_table *table = NULL;
    OK(csdf_labels_describe(lab, CSDF_DTYPE_U32, 2, n, n, n, vox, 0.0, "balls", NULL, NULL, &table));
    csdf_table_view tv;
    OK(csdf_table_view_get(table, &tv));
    CHECK(tv.rows == 3, "rows %zu", tv.rows);
    CHECK(strcmp(csdf_table_column_name(0), "frame") == 0 && strcmp(csdf_table_column_name(2), "volume_um3") == 0, "columns");
    CHECK(csdf_table_column_name(tv.columns) == NULL, "column past the end");
    size_t cv = 0, cvv = 0, cs = 0, ct = 0;
    for (size_t i = 0; i < tv.columns; i++) {
        const char *c = csdf_table_column_name(i);
        if (!strcmp(c, "volume_um3")) cv = i;
        if (!strcmp(c, "voxel_volume_um3")) cvv = i;
        if (!strcmp(c, "surface_um2")) cs = i;
        if (!strcmp(c, "time_s")) ct = i;
    }
    const double *row0 = tv.values;
    CHECK(row0[0] == 0 && row0[1] == 4, "first row frame %f label %f", row0[0], row0[1]);
    CHECK(fabs(row0[cvv] - count * h * h * h) < 1e-9, "voxel volume %f vs %zu voxels", row0[cvv], count);
    CHECK(fabs(row0[cv] / (4.0 / 3.0 * pi * r * r * r) - 1.0) < 0.03, "ball volume %f", row0[cv]);
    CHECK(fabs(row0[cs] / (4.0 * pi * r * r) - 1.0) < 0.05, "ball area %f", row0[cs]);
    CHECK(isnan(row0[ct]), "time without an interval");
    const double *row2 = tv.values + 2 * tv.columns;
    CHECK(row2[0] == 1 && row2[1] == 9, "one-voxel cell row: frame %f label %f", row2[0], row2[1]);
    OK(csdf_table_write_csv(table, in_dir(dir, "balls.csv"), 0));
    CHECK(file_starts_with(in_dir(dir, "balls.csv"), "source,frame,label,volume_um3"), "CSV header");
    f = fopen(in_dir(dir, "notes.csv"), "wb");
    fputs("mine", f);
    fclose(f);
    EXPECT_STATUS(csdf_table_write_csv(table, in_dir(dir, "notes.csv"), 0), CSDF_STATUS_INVALID_ARGUMENT, "notes.csv");
    CHECK(file_starts_with(in_dir(dir, "notes.csv"), "mine"), "foreign CSV changed");
    csdf_table_free(table);
    csdf_table_free(NULL);
    EXPECT_STATUS(csdf_labels_describe(lab, 9, 2, n, n, n, vox, 0.0, NULL, NULL, NULL, &table), CSDF_STATUS_INVALID_ARGUMENT, "dtype");
    EXPECT_STATUS(csdf_labels_describe(lab, CSDF_DTYPE_U32, 2, n, n, n, NULL, 0.0, NULL, NULL, NULL, &table), CSDF_STATUS_INVALID_ARGUMENT, "voxel_um");
    EXPECT_STATUS(csdf_labels_describe(lab, CSDF_DTYPE_U32, SIZE_MAX, n, n, n, vox, 0.0, NULL, NULL, NULL, &table), CSDF_STATUS_INVALID_ARGUMENT, "stack size");
    int32_t neg[8] = {0, -1, 0, 0, 0, 0, 0, 0};
    EXPECT_STATUS(csdf_labels_describe(neg, CSDF_DTYPE_I32, 1, 2, 2, 2, vox, 0.0, NULL, NULL, NULL, &table), CSDF_STATUS_INVALID_ARGUMENT, ">= 0");

    /* Meshing labels into a folder, and reading a mesh back: the ball's area. */
    size_t written = 0;
    char mesh_dir[4096];
    snprintf(mesh_dir, sizeof mesh_dir, "%s/label_meshes", dir);
    OK(csdf_labels_mesh(lab, CSDF_DTYPE_U32, 1, n, n, n, vox, "ball", CSDF_MESH_PLY_BINARY, mesh_dir, 0, NULL, NULL, &written));
    CHECK(written == 1, "meshes %zu", written);
    csdf_mesh *mesh = NULL;
    EXPECT_STATUS(csdf_mesh_read(in_dir(dir, "label_meshes/missing.ply"), &mesh), CSDF_STATUS_IO, "missing.ply");
    OK(csdf_mesh_read(in_dir(dir, "label_meshes/ball_t000_label4.ply"), &mesh));
    csdf_descriptors d;
    OK(csdf_describe_mesh(mesh, &d));
    CHECK(fabs(d.surface_um2 / (4.0 * pi * r * r) - 1.0) < 0.05, "read mesh area %f", d.surface_um2);
    CHECK(d.components == 1 && d.genus == 0, "read mesh topology");
    csdf_mesh_free(mesh);
    EXPECT_STATUS(csdf_labels_mesh(lab, CSDF_DTYPE_U32, 1, n, n, n, vox, "a/b", CSDF_MESH_PLY_BINARY, mesh_dir, 0, NULL, NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "stem");
    EXPECT_STATUS(csdf_labels_mesh(lab, CSDF_DTYPE_U32, 1, n, n, n, vox, "ball", 9, mesh_dir, 0, NULL, NULL, NULL), CSDF_STATUS_INVALID_ARGUMENT, "format");
    free(lab);

    /* A mesh of an analytic SDF (a sphere of radius 1.2 um on 0.1 um voxels): its area and
       volume against the closed forms. */
    const size_t m = 32;
    float *sdf = malloc(m * m * m * sizeof *sdf);
    const double rs = 1.2, mid = (m - 1) / 2.0;
    for (size_t z = 0; z < m; z++)
        for (size_t y = 0; y < m; y++)
            for (size_t x = 0; x < m; x++)
                sdf[(z * m + y) * m + x] = (float)(sqrt((x - mid) * (x - mid) + (y - mid) * (y - mid) + (z - mid) * (z - mid)) * h - rs);
    OK(csdf_mesh_from_sdf(sdf, m, m, m, vox, 0.0f, &mesh));
    OK(csdf_describe_mesh(mesh, &d));
    CHECK(fabs(d.surface_um2 / (4.0 * pi * rs * rs) - 1.0) < 0.02, "SDF mesh area %f", d.surface_um2);
    CHECK(fabs(d.volume_um3 / (4.0 / 3.0 * pi * rs * rs * rs) - 1.0) < 0.02, "SDF mesh volume %f", d.volume_um3);
    csdf_mesh_free(mesh);
    free(sdf);

    /* Render defaults: the CLI's time axis and the training data's scale and interval. */
    double times5[5], scale5 = 0, interval5 = 0;
    OK(csdf_model_load(model_path, CSDF_DEVICE_CPU, &model));
    OK(csdf_model_render_defaults(model, 5, times5, &scale5, &interval5));
    CHECK(times5[0] == -1.0 && times5[2] == 0.0 && times5[4] == 1.0 && scale5 > 0, "render defaults");
    /* The training masks are 3 frames 60 s apart: their duration over 5 frames. */
    CHECK(fabs(interval5 - 120.0 / 4.0) < 1e-9, "frame interval %f", interval5);
    EXPECT_STATUS(csdf_model_render_defaults(model, 0, times5, &scale5, &interval5), CSDF_STATUS_INVALID_ARGUMENT, "frames");
    csdf_model_free(model);

    /* Fitting a code to a training cell's masks: a code comes back, finite and moved. */
    OK(csdf_model_load(model_path, CSDF_DEVICE_CPU, &model));
    csdf_model_info info;
    OK(csdf_model_info_get(model, &info));
    float *fitted = calloc(info.code_size, sizeof *fitted);
    reports = 0;
    if (!csdf_has_training()) {
        EXPECT_STATUS(csdf_fit_code(model, in_dir(dir, "masks/cell_0.tif"), NULL, 20, NULL, NULL, fitted, info.code_size),
                      CSDF_STATUS_UNSUPPORTED, "libtorch");
        free(fitted);
        csdf_model_free(model);
        return;
    }
    OK(csdf_fit_code(model, in_dir(dir, "masks/cell_0.tif"), NULL, 20, count_reports, &reports, fitted, info.code_size));
    double norm = 0;
    int finite = 1;
    for (size_t i = 0; i < info.code_size; i++) {
        finite &= isfinite(fitted[i]);
        norm += fitted[i] * fitted[i];
    }
    CHECK(finite && norm > 0 && reports >= 20, "fitted code: finite %d, |code|^2 %f, %d reports", finite, norm, reports);
    EXPECT_STATUS(csdf_fit_code(model, in_dir(dir, "masks/none.tif"), NULL, 20, NULL, NULL, fitted, info.code_size), CSDF_STATUS_IO, "none.tif");
    EXPECT_STATUS(csdf_fit_code(model, in_dir(dir, "masks/cell_0.tif"), NULL, 20, NULL, NULL, fitted, info.code_size - 1), CSDF_STATUS_INVALID_ARGUMENT, "len");
    free(fitted);
    /* A profile that is not there, or not a profile, is named before anything is written. */
    char like_dir[4096];
    snprintf(like_dir, sizeof like_dir, "%s/like", dir);
    EXPECT_STATUS(csdf_simulate_like(model, in_dir(dir, "none.json"), 0, like_dir, 0, NULL, NULL),
                  CSDF_STATUS_IO, "none.json");
    EXPECT_STATUS(csdf_simulate_like(model, in_dir(dir, "synth/manifest.json"), 0, like_dir, 0, NULL, NULL),
                  CSDF_STATUS_FORMAT, "manifest.json");
    CHECK(!exists(like_dir), "nothing written for a bad profile");
    csdf_model_free(model);
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s WORKDIR [MODEL]\n", argv[0]);
        return 2;
    }
    if (argc == 3) trained_model = argv[2];
    mkdir(argv[1], 0755);
    CHECK(csdf_abi_version() >> 16 == CSDF_ABI_MAJOR, "ABI major");
    CHECK(strlen(csdf_version()) > 0, "version");
    CHECK(strcmp(csdf_status_name(CSDF_STATUS_CANCELLED), "cancelled") == 0, "status name");
    test_bad_arguments(argv[1]);
    test_workflow(argv[1]);
    char tiny[4096];
    snprintf(tiny, sizeof tiny, "%s/tiny.safetensors", argv[1]);
    test_front_end_calls(argv[1], tiny);
    if (failures) {
        fprintf(stderr, "%d C API check(s) failed\n", failures);
        return 1;
    }
    printf("C API tests passed (libcellsdf %s)\n", csdf_version());
    return 0;
}
