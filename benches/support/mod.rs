//! Shared by the benchmarks: a cell-like test mask and the reference scripts in the venv.

use ndarray::Array3;
use std::process::Command;

/// A blobby cell-like n^3 mask: a union of three overlapping ellipsoids (about 20 %).
pub fn blob_mask(n: usize) -> Array3<bool> {
    let blobs = [
        ([128.0, 120.0, 110.0], [60.0, 80.0, 70.0]),
        ([100.0, 170.0, 160.0], [40.0, 50.0, 60.0]),
        ([160.0, 90.0, 170.0], [35.0, 45.0, 40.0]),
    ];
    let f = n as f64 / 256.0;
    Array3::from_shape_fn((n, n, n), |(z, y, x)| {
        blobs.iter().any(|(c, r)| {
            let d = [
                (z as f64 - f * c[0]) / (f * r[0]),
                (y as f64 - f * c[1]) / (f * r[1]),
                (x as f64 - f * c[2]) / (f * r[2]),
            ];
            d[0] * d[0] + d[1] * d[1] + d[2] * d[2] <= 1.0
        })
    })
}

/// Runs `benches/<script>` with the venv's Python and parses the JSON it prints.
pub fn reference(script: &str, args: &[String]) -> serde_json::Value {
    let py = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
    let path = format!("{}/benches/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(py)
        .arg(&path)
        .args(args)
        .output()
        .expect("run the venv's python");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from the reference script")
}
