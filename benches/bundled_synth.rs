//! Issue 15's target case: 30 x 256^3 masks of a bundled model (dividing, sequence 0, the
//! model cube filling the grid) on this machine, adaptive on the engine and on libtorch in
//! the same run, and the first, middle and last frames against dense rendering.
//! Run: `cargo bench --bench bundled_synth` (about 4 minutes on 2 cores).

use cellsdf::model::{jaccard, Model};
use cellsdf::progress::Silent;
use cellsdf::synth::{times, Evaluation, RenderGrid, Renderer};
use cellsdf::VoxelSize;
use std::time::Instant;

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/dividing.safetensors");
    let model = Model::load(&path).unwrap();
    let scale = model.meta.sequences[0].normalisation.unwrap().scale_um;
    let (n, frames) = (256, 30);
    let grid = RenderGrid::centred([n; 3], VoxelSize::isotropic(2.0 * scale / n as f64), scale);
    let code = model.code(0).unwrap();
    let ts = times(frames);
    let voxels = (frames * n * n * n) as f64;
    let mut r = Renderer::new(&model, &code, None).unwrap();
    let t = Instant::now();
    let seq = r
        .sequence(&grid, &ts, Evaluation::adaptive(), &Silent, 0.0, 1.0)
        .unwrap();
    let engine_s = t.elapsed().as_secs_f64();
    let mut lt = Renderer::with_engine(&model, &code, None, false).unwrap();
    let t = Instant::now();
    lt.sequence(&grid, &ts, Evaluation::adaptive(), &Silent, 0.0, 1.0)
        .unwrap();
    let torch_s = t.elapsed().as_secs_f64();
    println!("bundled dividing model, {frames} x {n}^3, adaptive:");
    println!(
        "  engine {engine_s:.1} s ({:.2} % of the points), libtorch {torch_s:.1} s: {:.2}x",
        100.0 * r.points_evaluated as f64 / voxels,
        torch_s / engine_s
    );
    for k in [0, frames / 2, frames - 1] {
        let dense = Renderer::new(&model, &code, None)
            .unwrap()
            .frame(&grid, ts[k], Evaluation::Dense)
            .unwrap();
        let a = seq.index_axis(ndarray::Axis(0), k);
        let differ = dense
            .iter()
            .zip(a.iter())
            .filter(|(x, y)| (**x <= 0.0) != (**y <= 0.0))
            .count();
        println!(
            "  frame {k}: {differ} of {} mask voxels differ from dense (JI {:.6})",
            n * n * n,
            jaccard(dense.view(), a)
        );
    }
}
