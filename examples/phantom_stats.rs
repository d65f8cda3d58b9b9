//! Prints the analytic shape statistics of a phantom class (mean +- sd over all frames of
//! N sequences), the check behind the class calibration in docs/phantoms.md.
//!
//! `cargo run --release --example phantom_stats -- dividing 33 30`

use cellsdf::phantom::{sphericity_of, tau_of, CellModel, PhantomKind};
use rayon::prelude::*;

fn main() -> cellsdf::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let kind: PhantomKind = args
        .get(1)
        .map(String::as_str)
        .unwrap_or("dividing")
        .parse()?;
    let count: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(33);
    let frames: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(30);
    let rows: Vec<(f64, f64, f64, f64)> = (0..count)
        .into_par_iter()
        .flat_map_iter(|i| {
            let model = CellModel::sample(kind, 0, i);
            (0..frames).map(move |f| {
                let shape = model.shape_at(tau_of(f, frames), [0.0; 3]);
                let m = shape.measure();
                let (lo, hi) = shape.bounds();
                let extent = (0..3).map(|k| hi[k] - lo[k]).fold(0.0, f64::max);
                (
                    m.volume_um3,
                    m.surface_um2,
                    sphericity_of(m.volume_um3, m.surface_um2),
                    extent,
                )
            })
        })
        .collect();
    let col = |k: usize| -> Vec<f64> { rows.iter().map(|r| [r.0, r.1, r.2, r.3][k]).collect() };
    for (k, name) in [
        "volume um^3",
        "surface um^2",
        "sphericity",
        "bounding extent um",
    ]
    .iter()
    .enumerate()
    {
        let v = col(k);
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
        let max = v.iter().cloned().fold(f64::MIN, f64::max);
        println!("{kind} {name}: {m:.2} +- {sd:.2} (max {max:.2})");
    }
    Ok(())
}
