//! Bounding boxes of binary volumes.

use ndarray::ArrayView3;

/// Inclusive (lo, hi) corner indices [z, y, x] of the true voxels of `mask`, or `None`
/// when there are none.
pub fn bounding_box(mask: ArrayView3<bool>) -> Option<([usize; 3], [usize; 3])> {
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for ((z, y, x), &m) in mask.indexed_iter() {
        if m {
            for (i, c) in [z, y, x].into_iter().enumerate() {
                lo[i] = lo[i].min(c);
                hi[i] = hi[i].max(c);
            }
        }
    }
    (lo[0] != usize::MAX).then_some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn box_of_two_voxels_and_of_nothing() {
        let mut m = Array3::from_elem((4, 5, 6), false);
        assert_eq!(bounding_box(m.view()), None);
        m[[1, 4, 2]] = true;
        m[[3, 0, 5]] = true;
        assert_eq!(bounding_box(m.view()), Some(([1, 0, 2], [3, 4, 5])));
    }
}
