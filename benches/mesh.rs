//! Marching-cubes benchmark: cellsdf against scikit-image's `marching_cubes` (Lewiner) on the
//! same 256^3 float32 SDF with the same anisotropic spacing, 2 threads here, best of 3 each.
//! Needs the test venv (`make test-deps`). Run: `make bench` or `cargo bench --bench mesh`.

use cellsdf::io::NpyWriter;
use cellsdf::mesh::marching_cubes;
use cellsdf::sdf::signed_distance;
use ndarray::Array3;
use std::process::Command;
use std::time::Instant;

fn main() {
    let n = 256;
    let spacing = [0.5, 0.25, 0.25]; // z, y, x um
    let blobs = [
        ([128.0, 120.0, 110.0], [60.0, 80.0, 70.0]),
        ([100.0, 170.0, 160.0], [40.0, 50.0, 60.0]),
        ([160.0, 90.0, 170.0], [35.0, 45.0, 40.0]),
    ];
    let mask = Array3::from_shape_fn((n, n, n), |(z, y, x)| {
        blobs.iter().any(|(c, r)| {
            let d = [
                (z as f64 - c[0]) / r[0],
                (y as f64 - c[1]) / r[1],
                (x as f64 - c[2]) / r[2],
            ];
            d[0] * d[0] + d[1] * d[1] + d[2] * d[2] <= 1.0
        })
    });
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
    let py = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/mesh_reference.py");
    let out = Command::new(py)
        .args([script, path.to_str().unwrap()])
        .args(spacing.iter().map(|s| s.to_string()))
        .arg(repeats.to_string())
        .output()
        .expect("run the venv's python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
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
