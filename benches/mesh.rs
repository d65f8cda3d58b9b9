//! Marching-cubes benchmark: cellsdf against scikit-image's `marching_cubes` (Lewiner) on the
//! same 256^3 float32 SDF with the same anisotropic spacing, 2 threads here, best of 3 each.
//! Needs the test venv (`make test-deps`). Run: `make bench` or `cargo bench --bench mesh`.

use cellsdf::io::NpyWriter;
use cellsdf::mesh::marching_cubes;
use cellsdf::sdf::signed_distance;
use std::time::Instant;

#[path = "support/mod.rs"]
mod support;

fn main() {
    let n = 256;
    let spacing = [0.5, 0.25, 0.25]; // z, y, x um
    let mask = support::blob_mask(n);
    let sdf = signed_distance(mask.view(), spacing);
    let repeats = 3;
    let mut best = f64::INFINITY;
    let mut mesh = None;
    for _ in 0..repeats {
        let t = Instant::now();
        let m = marching_cubes(sdf.view(), spacing, 0.0).unwrap();
        best = best.min(t.elapsed().as_secs_f64());
        mesh = Some(m);
    }
    let mesh = mesh.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sdf.npy");
    let mut w = NpyWriter::create(&path, &[n, n, n]).unwrap();
    w.write(sdf.as_slice().unwrap()).unwrap();
    w.finish().unwrap();
    let mut args = vec![path.to_str().unwrap().to_string()];
    args.extend(spacing.iter().map(|s| s.to_string()));
    args.push(repeats.to_string());
    let r = support::reference("mesh_reference.py", &args);
    let t_sk = r["seconds"].as_f64().unwrap();
    let area_sk = r["area_um2"].as_f64().unwrap();
    println!(
        "Marching cubes of a {n}^3 SDF, spacing (z, y, x) = {spacing:?} um, {} threads, best of {repeats}:",
        rayon::current_num_threads()
    );
    println!(
        "  cellsdf       {best:8.3} s  {} vertices, {} triangles, area {:.3} um^2, watertight {}",
        mesh.vertices.len(),
        mesh.faces.len(),
        mesh.area(),
        mesh.topology().is_watertight()
    );
    println!(
        "  scikit-image  {t_sk:8.3} s  {} vertices, {} triangles, area {area_sk:.3} um^2",
        r["vertices"], r["faces"]
    );
    println!(
        "  ratio scikit-image / cellsdf = {:.2}; area difference {:+.4} %",
        t_sk / best,
        100.0 * (mesh.area() / area_sk - 1.0)
    );
}
