//! Adaptive vs dense masks on a bundled model: for `COUNT` codes of the default sampler
//! (seed 1) and frames at model time 0, 0.5 and 1 (or, with `FRAMES`, a sequence of that many
//! frames over the model's time), the voxels whose side of the surface differs from dense
//! rendering, and the share of points evaluated, per (coarse stride, safety) setting; also
//! the steepest slope between neighbouring dense voxels (um per um), anywhere and within 2
//! voxels of the surface. A `SIDE` of 0 renders the model cube at 0.1 um.
//! Run: `cargo bench --bench adaptive_band -- KIND COUNT SIDE 8/1.5,8/2.0 [FRAMES]`
//! (dividing, 20 codes, 128^3, three frames: about 10 minutes on 2 cores).
use cellsdf::model::Model;
use cellsdf::synth::{draw_codes, times, CodeSource, Evaluation, RenderGrid, Renderer};
use cellsdf::VoxelSize;
use ndarray::{Array3, Axis};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().filter(|a| !a.starts_with("--")).collect();
    if args.len() < 5 {
        eprintln!("usage: cargo bench --bench adaptive_band -- KIND COUNT SIDE COARSE/SAFETY,...");
        return;
    }
    let kind = &args[1];
    let count: usize = args[2].parse().unwrap();
    let n: usize = args[3].parse().unwrap(); // 0: 0.1 um voxels
    let safeties: Vec<(usize, f64)> = args[4]
        .split(',')
        .map(|s| {
            let (c, f) = s.split_once('/').unwrap();
            (c.parse().unwrap(), f.parse().unwrap())
        })
        .collect();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("models/{kind}.safetensors"));
    let model = Model::load(&path).unwrap();
    let ts = match args.get(5) {
        Some(f) => times(f.parse().unwrap()),
        None => vec![0.0, 0.5, 1.0],
    };
    let codes = draw_codes(&model, CodeSource::default(), count, 1).unwrap();
    let mut miss = vec![0usize; safeties.len()];
    let mut pts = vec![0u64; safeties.len()];
    let mut total = 0u64;
    for (i, c) in codes.iter().enumerate() {
        let s = c.scale_um;
        let (size, vox) = if n == 0 {
            let m = (2.0 * s / 0.1).ceil() as usize;
            (m, 0.1)
        } else {
            (n, 2.0 * s / n as f64)
        };
        let grid = RenderGrid::centred([size; 3], VoxelSize::isotropic(vox), s);
        for &t in &ts {
            let t0 = Instant::now();
            let dense = Renderer::new(&model, &c.values, None)
                .unwrap()
                .frame(&grid, t, Evaluation::Dense)
                .unwrap();
            let td = t0.elapsed().as_secs_f64();
            total += dense.len() as u64;
            let (gmax, gnear) = steepest_slopes(&dense, vox as f32);
            let mut line = format!("{kind} code {i} t {t:.3}: {size}^3 at {vox:.3} um, dense {td:.1} s, slope max {gmax:.2} near {gnear:.2};");
            for (k, &(co, sf)) in safeties.iter().enumerate() {
                let mut r = Renderer::new(&model, &c.values, None).unwrap();
                let mode = Evaluation::Adaptive {
                    coarse: co,
                    safety: sf,
                };
                let a = r.frame(&grid, t, mode).unwrap();
                let d = dense
                    .iter()
                    .zip(a.iter())
                    .filter(|(x, y)| (**x <= 0.0) != (**y <= 0.0))
                    .count();
                miss[k] += d;
                pts[k] += r.points_evaluated;
                line += &format!(
                    " c{co}/s{sf}: {d} ({:.2} %)",
                    100.0 * r.points_evaluated as f64 / dense.len() as f64
                );
            }
            println!("{line}");
        }
    }
    for (k, &(co, sf)) in safeties.iter().enumerate() {
        println!(
            "TOTAL {kind} coarse {co} safety {sf}: {} wrong voxels, {:.2} % of points",
            miss[k],
            100.0 * pts[k] as f64 / total as f64
        );
    }
}

/// The steepest |difference| / `vox` (um per um) between neighbouring voxels of `sdf` (um)
/// along z, y and x: anywhere, and where the first of the two lies within 2 voxels of the
/// surface.
fn steepest_slopes(sdf: &Array3<f32>, vox: f32) -> (f32, f32) {
    let (mut all, mut near) = (0f32, 0f32);
    for axis in 0..3 {
        let n = sdf.len_of(Axis(axis));
        let lo = sdf.slice_axis(Axis(axis), (0..n - 1).into());
        let hi = sdf.slice_axis(Axis(axis), (1..n).into());
        ndarray::Zip::from(&lo).and(&hi).for_each(|&v, &w| {
            let g = (w - v).abs() / vox;
            all = all.max(g);
            if v.abs() < 2.0 * vox {
                near = near.max(g);
            }
        });
    }
    (all, near)
}
