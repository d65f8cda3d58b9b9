//! Adaptive rendering against dense rendering on both bundled models, codes from the
//! default sampler, one frame per code (times spread over the sequence), on the model cube at
//! 0.1 um (filopodia included). Trained networks are not 1-Lipschitz (slopes near the
//! surface up to 11 um per um on dividing; 1.2 to 1.8 on the bundled filopodial model, 34 on
//! the 20-epoch one it replaced), so the refinement band (1.5 x half a block's diagonal) is
//! not a proof: measured on 60 dividing frames at 128^3, 8 of 126 M voxels fell on the other
//! side; on 20 filopodial frames at 0.1 um, none of 201 M (the 20-epoch model: 1,220 of
//! 605 M; docs/results.md). The test bounds that share per frame (at most 1e-6 of the voxels,
//! each within two voxels of the surface) and the points evaluated (under half). About 3
//! minutes on 2 cores, so it runs in the default build only (the build without libtorch
//! renders with the same engine).
#![cfg(feature = "torch")]

use cellsdf::model::Model;
use cellsdf::synth::{draw_codes, CodeSource, Evaluation, RenderGrid, Renderer};
use cellsdf::VoxelSize;
use std::path::Path;

fn bundled(kind: &str) -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("models/{kind}.safetensors"));
    Model::load(&path).unwrap()
}

#[test]
fn adaptive_masks_match_dense_masks_on_both_bundled_models() {
    for (kind, count) in [("dividing", 20), ("filopodial", 4)] {
        let model = bundled(kind);
        let codes = draw_codes(&model, CodeSource::default(), count, 7).unwrap();
        let (mut adaptive_points, mut dense_points, mut wrong) = (0u64, 0u64, 0usize);
        for (k, code) in codes.iter().enumerate() {
            let side = (2.0 * code.scale_um / 0.1).ceil() as usize;
            let grid = RenderGrid::centred([side; 3], VoxelSize::isotropic(0.1), code.scale_um);
            let t = -1.0 + 2.0 * k as f64 / (count - 1) as f64;
            let mut dense = Renderer::new(&model, &code.values, None).unwrap();
            let d = dense.frame(&grid, t, Evaluation::Dense).unwrap();
            let mut adaptive = Renderer::new(&model, &code.values, None).unwrap();
            let a = adaptive.frame(&grid, t, Evaluation::adaptive()).unwrap();
            assert!(d.iter().any(|v| *v <= 0.0), "{kind}, code {k}: no cell");
            let differ: Vec<f32> = d
                .iter()
                .zip(a.iter())
                .filter(|(x, y)| (**x <= 0.0) != (**y <= 0.0))
                .map(|(x, _)| x.abs())
                .collect();
            let far = differ.iter().fold(0f32, |m, v| m.max(*v));
            if !differ.is_empty() {
                println!(
                    "{kind}, code {k}, t {t:.2}: {} voxels differ, up to {far} um from the dense surface",
                    differ.len()
                );
            }
            // At most 1e-6 of the voxels (ten in a 216^3 frame), each within two voxels of
            // the surface.
            assert!(
                differ.len() as f64 <= 1e-6 * d.len() as f64,
                "{kind}, code {k}, t {t:.2}: {} of {} voxels differ from dense",
                differ.len(),
                d.len()
            );
            assert!(
                far < 0.2,
                "{kind}, code {k}: a wrong voxel {far} um from the surface"
            );
            wrong += differ.len();
            adaptive_points += adaptive.points_evaluated;
            dense_points += dense.points_evaluated;
        }
        let share = adaptive_points as f64 / dense_points as f64;
        println!(
            "{kind}: {count} frames, {wrong} of {dense_points} voxels differ; adaptive evaluated {:.2} % of the points",
            100.0 * share
        );
        assert!(share < 0.5, "{kind}: adaptive evaluated {share}");
    }
}
