//! Cells from label sequences on disk (`cellsdf simulate --phantoms DIR`: phantoms, or any
//! calibrated label hyperstacks, one cell sequence per file) instead of a model's new codes.
//!
//! Each file's frames are taken to signed distances (um, the file's own voxel size; every
//! label > 0 is the cell), which are sampled at the field's voxel centres by trilinear
//! interpolation in space and linear interpolation between the two nearest frames in time,
//! so a sequence of any length and voxel size fills `frames` frames of the field's voxels.
//! Arrays are [z, y, x]; the box returned is the cell's bounding box over all frames plus
//! two voxels, in field voxels.

use crate::error::{Error, Result};
use crate::io::read_labels;
use crate::sdf::{signed_distance, trilinear};
use crate::units::VoxelSize;
use ndarray::{Array3, Axis};
use std::path::Path;

/// The label sequences of the folder `dir` (its .tif files, sorted by name), one cell each.
pub fn phantom_files(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    crate::io::tiff_files_in(dir, " (label sequences, one cell per file)")
}

/// A cell sequence read from a file: its masks at the field's voxel size, and the file's
/// frame interval (s) if it has one.
pub(crate) struct LoadedCell {
    pub masks: Vec<Array3<u8>>,
    pub frame_interval_s: Option<f64>,
    pub source_frames: usize,
}

/// Largest box (voxels) of one cell at the field's voxel size.
const MAX_BOX_VOXELS: u64 = 1 << 27;

/// Reads the label sequence `path` and resamples it to `frames` frames of `voxel` (um).
pub(crate) fn load_cell(path: &Path, frames: usize, voxel: VoxelSize) -> Result<LoadedCell> {
    let stack = read_labels(path)?;
    let src = stack.calibration.voxel_um.ok_or_else(|| {
        Error::format(
            path,
            "has no voxel size: calibrate it (Image > Properties in Fiji) so its cell gets its \
             physical size in the field",
        )
    })?;
    let t_n = stack.data.dim().0;
    let masks: Vec<Array3<bool>> = stack
        .data
        .axis_iter(Axis(0))
        .map(|f| f.mapv(|l| l > 0))
        .collect();
    // Bounding box over all frames (source voxels).
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for m in &masks {
        for ((z, y, x), &v) in m.indexed_iter() {
            if v {
                for (a, c) in [z, y, x].into_iter().enumerate() {
                    lo[a] = lo[a].min(c);
                    hi[a] = hi[a].max(c);
                }
            }
        }
    }
    if lo[0] == usize::MAX {
        return Err(Error::format(path, "holds no cell (every voxel is 0)"));
    }
    let hs = src.zyx();
    let hd = voxel.zyx();
    // The box in um (voxel edges), then in field voxels with two voxels of margin.
    let origin: [f64; 3] = [0, 1, 2].map(|a| lo[a] as f64 * hs[a] - 2.0 * hd[a]);
    let dims: [usize; 3] = [0, 1, 2].map(|a| {
        let extent = (hi[a] + 1 - lo[a]) as f64 * hs[a] + 4.0 * hd[a];
        (extent / hd[a]).ceil().max(1.0) as usize
    });
    let voxels = dims.iter().map(|&d| d as u64).product::<u64>();
    if voxels > MAX_BOX_VOXELS {
        return Err(Error::invalid(
            "voxel-um",
            format!(
                "the cell of {} needs a box of {dims:?} voxels at the field's voxel size: use a \
                 larger --voxel-um",
                path.display()
            ),
        ));
    }
    let sdf_of = |k: usize| signed_distance(masks[k].view(), hs);
    let mut cache: Vec<Option<Array3<f32>>> = vec![None; t_n];
    let mut out = Vec::with_capacity(frames);
    for i in 0..frames {
        let s = if frames > 1 {
            i as f64 * (t_n - 1) as f64 / (frames - 1) as f64
        } else {
            0.0
        };
        let a = (s.floor() as usize).min(t_n - 1);
        let b = (a + 1).min(t_n - 1);
        let w = (s - a as f64) as f32;
        // Keep only the two frames in use.
        for (k, c) in cache.iter_mut().enumerate() {
            if k != a && k != b {
                *c = None;
            }
        }
        for k in [a, b] {
            if cache[k].is_none() {
                cache[k] = Some(sdf_of(k));
            }
        }
        let (ga, gb) = (
            cache[a].as_ref().expect("cached"),
            cache[b].as_ref().expect("cached"),
        );
        out.push(Array3::from_shape_fn(
            (dims[0], dims[1], dims[2]),
            |(z, y, x)| {
                // Field voxel centre in um -> fractional source index (centres at i + 0.5).
                let p = [z, y, x];
                let idx: [f64; 3] =
                    [0, 1, 2].map(|ax| (origin[ax] + (p[ax] as f64 + 0.5) * hd[ax]) / hs[ax] - 0.5);
                let va = trilinear(ga.view(), idx[0], idx[1], idx[2]);
                let v = if w > 0.0 {
                    va + w * (trilinear(gb.view(), idx[0], idx[1], idx[2]) - va)
                } else {
                    va
                };
                (v <= 0.0) as u8
            },
        ));
    }
    Ok(LoadedCell {
        masks: out,
        frame_interval_s: stack.calibration.frame_interval_s,
        source_frames: t_n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{write_hyperstack, Hyperstack};
    use crate::units::Calibration;
    use ndarray::Array4;

    #[test]
    fn a_ball_keeps_its_physical_size_at_another_voxel_size() {
        // A ball of radius 1.5 um at 0.1 um, resampled to 0.2 x 0.2 x 0.4 um.
        let n = 40;
        let data = Array4::from_shape_fn((2, n, n, n), |(_, z, y, x)| {
            let d = |i: usize| (i as f64 + 0.5) * 0.1 - 2.0;
            (d(z).powi(2) + d(y).powi(2) + d(x).powi(2) <= 1.5f64.powi(2)) as u8
        });
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("ball.tif");
        let cal = Calibration {
            voxel_um: Some(VoxelSize::isotropic(0.1)),
            frame_interval_s: Some(30.0),
        };
        write_hyperstack(&f, &Hyperstack::new(data, cal)).unwrap();
        let v = VoxelSize {
            x: 0.2,
            y: 0.2,
            z: 0.4,
        };
        let cell = load_cell(&f, 3, v).unwrap();
        assert_eq!(cell.masks.len(), 3);
        let volume = cell.masks[1].iter().filter(|&&m| m != 0).count() as f64 * 0.2 * 0.2 * 0.4;
        let exact = 4.0 / 3.0 * std::f64::consts::PI * 1.5f64.powi(3);
        assert!((volume / exact - 1.0).abs() < 0.08, "{volume} vs {exact}");
        let uncalibrated = dir.path().join("raw.tif");
        write_hyperstack(
            &uncalibrated,
            &Hyperstack::new(Array4::<u8>::ones((1, 4, 4, 4)), Calibration::default()),
        )
        .unwrap();
        let e = load_cell(&uncalibrated, 2, v).err().unwrap().to_string();
        assert!(e.contains("raw.tif") && e.contains("voxel size"), "{e}");
    }
}
