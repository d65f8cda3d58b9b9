//! Connected-component labelling of binary volumes.

use ndarray::{Array3, ArrayView3};

/// Which neighbours of a voxel are connected to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connectivity {
    /// Face neighbours only (6 in 3D).
    Faces,
    /// Face, edge and corner neighbours (26 in 3D).
    Full,
}

/// Labels the non-zero voxels of `mask` ([z, y, x]) by connected component: 0 is
/// background, components are numbered 1..=count in scan order (z, then y, then x).
/// Returns the label volume and the count.
pub fn label_components<T: Copy + Default + PartialEq>(
    mask: ArrayView3<T>,
    connectivity: Connectivity,
) -> (Array3<u32>, usize) {
    let (nz, ny, nx) = mask.dim();
    let zero = T::default();
    let mut labels = Array3::<u32>::zeros((nz, ny, nx));
    let offsets: Vec<[i64; 3]> = {
        let mut v = Vec::new();
        for dz in -1i64..=1 {
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let n = dz.abs() + dy.abs() + dx.abs();
                    if n == 0 || (connectivity == Connectivity::Faces && n > 1) {
                        continue;
                    }
                    v.push([dz, dy, dx]);
                }
            }
        }
        v
    };
    let mut count = 0u32;
    let mut stack = Vec::new();
    for ((z, y, x), &v) in mask.indexed_iter() {
        if v == zero || labels[[z, y, x]] != 0 {
            continue;
        }
        count += 1;
        labels[[z, y, x]] = count;
        stack.push([z, y, x]);
        while let Some([cz, cy, cx]) = stack.pop() {
            for o in &offsets {
                let (qz, qy, qx) = (cz as i64 + o[0], cy as i64 + o[1], cx as i64 + o[2]);
                if qz < 0
                    || qy < 0
                    || qx < 0
                    || qz >= nz as i64
                    || qy >= ny as i64
                    || qx >= nx as i64
                {
                    continue;
                }
                let q = [qz as usize, qy as usize, qx as usize];
                if mask[q] != zero && labels[q] == 0 {
                    labels[q] = count;
                    stack.push(q);
                }
            }
        }
    }
    (labels, count as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagonal_voxels_join_only_with_full_connectivity() {
        let mut m = Array3::<u8>::zeros((4, 4, 4));
        m[[0, 0, 0]] = 1;
        m[[1, 1, 1]] = 1;
        m[[3, 3, 0]] = 1;
        assert_eq!(label_components(m.view(), Connectivity::Faces).1, 3);
        let (l, n) = label_components(m.view(), Connectivity::Full);
        assert_eq!(n, 2);
        assert_eq!(l[[0, 0, 0]], l[[1, 1, 1]]);
    }
}
