//! EDT benchmark: cellsdf's exact anisotropic distance transform on a 256^3 mask against the
//! `edt` package (PyPI) and scipy.ndimage.distance_transform_edt on the same mask, with the
//! same voxel spacing and 2 threads. Needs the test venv (`make test-deps`) plus `edt`
//! (`make bench` installs it). Run: `make bench` or `cargo bench --bench edt`.

use cellsdf::io::NpyWriter;
use cellsdf::sdf::distance;
use std::time::Instant;

#[path = "support/mod.rs"]
mod support;

fn main() {
    let n = 256;
    let spacing = [0.5, 0.25, 0.25]; // z, y, x um
                                     // A blobby cell-like mask: a union of overlapping ellipsoids filling about 20 %.
    let mask = support::blob_mask(n);
    let repeats = 3;
    let mut best = f64::INFINITY;
    let mut result = None;
    for _ in 0..repeats {
        let t = Instant::now();
        let d = distance(mask.view(), spacing, |&m| !m);
        best = best.min(t.elapsed().as_secs_f64());
        result = Some(d);
    }
    let d = result.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mp, op) = (dir.path().join("mask.npy"), dir.path().join("ours.npy"));
    let mut w = NpyWriter::create(&mp, &[n, n, n]).unwrap();
    w.write(&mask.iter().map(|&m| m as u8 as f32).collect::<Vec<_>>())
        .unwrap();
    w.finish().unwrap();
    let mut w = NpyWriter::create(&op, &[n, n, n]).unwrap();
    w.write(&d.iter().map(|&v| v as f32).collect::<Vec<_>>())
        .unwrap();
    w.finish().unwrap();
    let mut args = vec![
        mp.to_str().unwrap().to_string(),
        op.to_str().unwrap().to_string(),
    ];
    args.extend(spacing.iter().map(|s| s.to_string()));
    args.push(repeats.to_string());
    let r = support::reference("edt_reference.py", &args);
    let (t_edt, t_scipy) = (r["edt_s"].as_f64().unwrap(), r["scipy_s"].as_f64().unwrap());
    println!(
        "EDT of a {n}^3 mask, spacing (z, y, x) = {spacing:?} um, {} threads, best of {repeats}:",
        rayon::current_num_threads()
    );
    println!("  cellsdf   {best:8.3} s");
    println!(
        "  edt (PyPI, parallel=2) {t_edt:8.3} s   ratio edt/cellsdf = {:.2}",
        t_edt / best
    );
    println!(
        "  scipy     {t_scipy:8.3} s   ratio scipy/cellsdf = {:.2}",
        t_scipy / best
    );
    println!(
        "  max |cellsdf - scipy| = {:.2e} um (edt package vs scipy: {:.2e} um)",
        r["max_abs_diff_vs_scipy_um"].as_f64().unwrap(),
        r["max_abs_diff_edt_vs_scipy_um"].as_f64().unwrap()
    );
}
