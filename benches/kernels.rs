//! Pure-Rust kernels, best of 5 each: the exact EDT-based signed distance of a 192^3 mask,
//! marching cubes of its SDF, Gaussian smoothing, and the description of a label frame of
//! 4,096 small cells. No Python reference: this bench compares cellsdf builds with each
//! other (for instance release with and without `overflow-checks`), run side by side:
//!
//!   cargo bench --bench kernels
//!   CARGO_TARGET_DIR=target-oc CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true cargo bench --bench kernels

use cellsdf::describe::describe_stack;
use cellsdf::io::Hyperstack;
use cellsdf::mesh::marching_cubes;
use cellsdf::progress::Silent;
use cellsdf::sdf::signed_distance;
use cellsdf::volume::gaussian;
use cellsdf::{Calibration, VoxelSize};
use ndarray::Array4;
use std::time::Instant;

#[path = "support/mod.rs"]
#[allow(dead_code)] // the Python reference runner is for the other benches
mod support;

fn best_of<T>(repeats: usize, mut f: impl FnMut() -> T) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..repeats {
        let t = Instant::now();
        std::hint::black_box(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

fn main() {
    let n = 192;
    let spacing = [0.5, 0.25, 0.25];
    let mask = support::blob_mask(n);
    let sdf = signed_distance(mask.view(), spacing);
    let edt = best_of(5, || signed_distance(mask.view(), spacing));
    let mc = best_of(5, || marching_cubes(sdf.view(), spacing, 0.0).unwrap());
    let smooth = best_of(5, || gaussian(sdf.view(), [1.0, 2.0, 2.0]));
    // 16^3 cells of 4^3 voxels, each a 3^3 cube: 4,096 labels in a 64^3 frame.
    let labels = Array4::from_shape_fn((1, 64, 64, 64), |(_, z, y, x)| {
        if z % 4 == 3 || y % 4 == 3 || x % 4 == 3 {
            0
        } else {
            (1 + (z / 4 * 16 + y / 4) * 16 + x / 4) as u32
        }
    });
    let cal = Calibration {
        voxel_um: Some(VoxelSize::isotropic(0.1)),
        ..Default::default()
    };
    let stack = Hyperstack::new(labels, cal);
    let describe = best_of(5, || {
        describe_stack(&stack, "bench", None, &Silent).unwrap()
    });
    println!(
        "kernels, {} threads, best of 5 (s): signed distance {n}^3 {edt:.4}, marching cubes \
         {mc:.4}, gaussian {smooth:.4}, describe 4096 labels {describe:.4}",
        rayon::current_num_threads()
    );
}
