/*
 * cellsdf from C: load a model, synthesize a new cell sequence, mesh one frame, print its
 * shape descriptors, write the masks as an ImageJ hyperstack and the mesh as PLY.
 *
 *   cc -Iinclude examples/c/synth_mesh.c -Ltarget/release -lcellsdf \
 *      -Wl,-rpath,$PWD/target/release -o synth_mesh
 *   ./synth_mesh [MODEL] [OUT_DIR]
 *
 * MODEL is a .safetensors file or the name of a bundled default model (dividing,
 * filopodial), found by the library as every cellsdf front end finds it; default dividing.
 */
#include "cellsdf.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int fail(const char *what, csdf_status status) {
    char msg[1024];
    csdf_last_error_message(msg, sizeof msg);
    fprintf(stderr, "synth_mesh: %s failed (%s): %s\n", what, csdf_status_name(status), msg);
    return 1;
}

static int32_t show_progress(void *user, float fraction, const char *stage) {
    (void)user;
    fprintf(stderr, "\r%-24s %5.1f %%", stage, 100.0f * fraction);
    if (fraction >= 1.0f) fputc('\n', stderr);
    return 0; /* non-zero would cancel */
}

int main(int argc, char **argv) {
    const char *model_arg = argc > 1 ? argv[1] : "dividing";
    const char *out_dir = argc > 2 ? argv[2] : "out/c-example";
    char path[4096], model_path[4096];
    size_t needed = 0;
    csdf_status s;
    csdf_model *model = NULL;
    csdf_grid *grid = NULL;
    csdf_mesh *mesh = NULL;
    csdf_model_info info;
    csdf_descriptors d;
    csdf_grid_view view;
    float *code = NULL;
    int rc = 1;

    printf("libcellsdf %s (ABI %u.%u)\n", csdf_version(), csdf_abi_version() >> 16, csdf_abi_version() & 0xffff);
    if ((s = csdf_model_resolve(model_arg, NULL, model_path, sizeof model_path, &needed)) != CSDF_STATUS_OK)
        return fail("finding the model", s);
    if ((s = csdf_model_load(model_path, CSDF_DEVICE_AUTO, &model)) != CSDF_STATUS_OK)
        return fail("loading the model", s);
    if ((s = csdf_model_info_get(model, &info)) != CSDF_STATUS_OK) {
        rc = fail("reading the model", s);
        goto done;
    }
    printf("model %s: %zu training sequences, codes of %zu values, %zu parameters\n", model_path,
           info.sequences, info.code_size, info.parameters);

    /* A new code near a learned one (the library's default way), with its scale, seed 42. */
    code = malloc(info.code_size * sizeof *code);
    double scale_um = 0.0;
    if ((s = csdf_codes_sample(model, 1, -1.0, CSDF_CODES_NEIGHBOURS, 42, code, info.code_size,
                               &scale_um)) != CSDF_STATUS_OK) {
        rc = fail("drawing a code", s);
        goto done;
    }

    /* 10 frames over the training time span on a 64^3 grid, the model cube filling it. */
    double times[10];
    for (int i = 0; i < 10; i++) times[i] = -1.0 + 2.0 * i / 9.0;
    size_t size[3] = {64, 64, 64};
    s = csdf_infer(model, code, info.code_size, times, 10, size, NULL, scale_um, CSDF_EVAL_ADAPTIVE,
                   show_progress, NULL, &grid);
    if (s != CSDF_STATUS_OK) {
        rc = fail("synthesizing", s);
        goto done;
    }
    csdf_grid_view_get(grid, &view);
    printf("grid: %zu frames of %zux%zux%zu voxels (z, y, x) of %.3f um\n", view.frames, view.nz,
           view.ny, view.nx, view.voxel_um[0]);

    mkdir(out_dir, 0755);
    snprintf(path, sizeof path, "%s/synth_masks.tif", out_dir);
    if ((s = csdf_grid_write_tiff(grid, path, CSDF_GRID_MASK, 60.0, 0)) != CSDF_STATUS_OK) {
        rc = fail("writing the masks", s);
        goto done;
    }
    printf("wrote %s\n", path);

    if ((s = csdf_mesh_from_grid(grid, 0, 0.0f, &mesh)) != CSDF_STATUS_OK) {
        rc = fail("meshing frame 0", s);
        goto done;
    }
    if ((s = csdf_describe_mesh(mesh, &d)) != CSDF_STATUS_OK) {
        rc = fail("describing the mesh", s);
        goto done;
    }
    printf("frame 0: volume %.2f um^3, surface %.2f um^2, sphericity %.3f (inverse %.3f), "
           "%zu component(s), genus %lld\n",
           d.volume_um3, d.surface_um2, d.sphericity, d.inverse_sphericity, d.components,
           (long long)d.genus);
    snprintf(path, sizeof path, "%s/synth_t000.ply", out_dir);
    if ((s = csdf_mesh_write(mesh, path, CSDF_MESH_PLY_BINARY, 0)) != CSDF_STATUS_OK) {
        rc = fail("writing the mesh", s);
        goto done;
    }
    printf("wrote %s\n", path);
    rc = 0;
done:
    free(code);
    csdf_mesh_free(mesh);
    csdf_grid_free(grid);
    csdf_model_free(model);
    return rc;
}
