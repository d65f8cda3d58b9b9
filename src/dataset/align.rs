//! Canonical orientation of a sequence: its principal axes (of the voxels of all its frames,
//! or of its first frame), so that cells that divide or elongate along different directions
//! in their images share one orientation in model space and codes can be blended.

use super::plan::Moments;
use crate::linalg::symmetric_eigen;
use crate::units::VoxelSize;

/// Which voxels define a sequence's principal axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Alignment {
    /// Keep the image axes.
    #[default]
    None,
    /// The voxels of every frame (a dividing cell's division axis dominates).
    Sequence,
    /// The voxels of the first frame (the definition).
    First,
}

impl std::str::FromStr for Alignment {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "none" => Ok(Alignment::None),
            "sequence" => Ok(Alignment::Sequence),
            "first" => Ok(Alignment::First),
            _ => Err(crate::Error::invalid(
                "align",
                format!("{s:?} is not none, sequence or first"),
            )),
        }
    }
}

/// Where each frame of a sequence sits in model space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Centring {
    /// One box for the whole sequence: the cell's motion stays in the model (phantoms, cells
    /// that stay in place; the reference's crop).
    #[default]
    Sequence,
    /// Every frame centred on its own centroid (the track is followed): the model learns the
    /// shape without the motion, and the box is set by the cell, not by how far it travels.
    /// Each frame's shift from the first is recorded (`offset_um` in dataset.json).
    Frame,
}

impl std::str::FromStr for Centring {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "sequence" => Ok(Centring::Sequence),
            "frame" => Ok(Centring::Frame),
            _ => Err(crate::Error::invalid(
                "centre",
                format!("{s:?} is not sequence or frame"),
            )),
        }
    }
}

/// Centroid (x, y, z) um of voxels with `moments` (indices [z, y, x]) of size `v`; `None`
/// without voxels.
pub fn centroid_um(moments: &Moments, v: VoxelSize) -> Option<[f64; 3]> {
    let n = moments.n;
    if n < 1.0 {
        return None;
    }
    let h = [v.x, v.y, v.z];
    Some([0, 1, 2].map(|a| (moments.sum[2 - a] / n + 0.5) * h[a]))
}

/// Centroid (x, y, z) um and principal axes of voxels with `moments` (indices [z, y, x]) of
/// size `v`: three orthonormal (x, y, z) vectors, the direction of largest spread first,
/// forming a right-handed frame. `None` for fewer than two voxels.
pub fn principal_axes(moments: &Moments, v: VoxelSize) -> Option<([f64; 3], [[f64; 3]; 3])> {
    let n = moments.n;
    if n < 2.0 {
        return None;
    }
    // Index (z, y, x) to um (x, y, z): p = (i + 0.5) h.
    let h = [v.x, v.y, v.z];
    let mean_idx = [moments.sum[2] / n, moments.sum[1] / n, moments.sum[0] / n];
    let centre = centroid_um(moments, v)?;
    // Second moments in (x, y, z) index order: xx, yy, zz, xy, xz, yz.
    let s = &moments.sum2;
    let raw = [[s[2], s[5], s[4]], [s[5], s[1], s[3]], [s[4], s[3], s[0]]];
    let mut cov = [0.0; 9];
    for a in 0..3 {
        for b in 0..3 {
            cov[a * 3 + b] = (raw[a][b] / n - mean_idx[a] * mean_idx[b]) * h[a] * h[b];
        }
    }
    let (_, vectors) = symmetric_eigen(&cov, 3);
    let mut axes = [[0.0; 3]; 3];
    for (k, vec) in vectors.iter().enumerate() {
        // A fixed sign convention: the largest component of each axis is positive.
        let big = vec
            .iter()
            .copied()
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            .unwrap_or(1.0);
        let sign = if big < 0.0 { -1.0 } else { 1.0 };
        axes[k] = [vec[0] * sign, vec[1] * sign, vec[2] * sign];
    }
    // Right-handed: the third axis is the cross product of the first two.
    let (a, b) = (axes[0], axes[1]);
    axes[2] = [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ];
    Some((centre, axes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_of_a_tilted_rod_follow_it() {
        // Voxels along the direction (1, 1, 0) in x, y, with a little width in z.
        let mut m = Moments::default();
        for t in 0..40 {
            for dz in 0..2 {
                m.add_voxel(10 + dz, 5 + t, 5 + t);
            }
        }
        let (centre, axes) = principal_axes(&m, VoxelSize::isotropic(0.5)).unwrap();
        let s = 0.5f64.sqrt();
        assert!(
            (axes[0][0] - s).abs() < 1e-9 && (axes[0][1] - s).abs() < 1e-9,
            "{axes:?}"
        );
        assert!((centre[0] - (5.0 + 19.5 + 0.5) * 0.5).abs() < 1e-9);
        assert!((centre[2] - (10.5 + 0.5) * 0.5).abs() < 1e-9);
        // Orthonormal and right-handed.
        let dot = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot(axes[i], axes[j]) - want).abs() < 1e-9);
            }
        }
        // Anisotropic voxels: the same rod sampled with z 4x coarser keeps its direction.
        let (_, axes) = principal_axes(
            &m,
            VoxelSize {
                x: 0.5,
                y: 0.5,
                z: 2.0,
            },
        )
        .unwrap();
        assert!((axes[0][0].abs() - s).abs() < 1e-9);
    }
}
