//! Bounding boxes of binary volumes.

use ndarray::{s, Array3, ArrayView3};
use std::collections::BTreeMap;

/// Inclusive (lo, hi) corner indices [z, y, x].
pub type BoundingBox = ([usize; 3], [usize; 3]);

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

/// Bounding boxes of every non-zero label of a label volume, in one pass over it.
pub fn label_boxes(labels: ArrayView3<u32>) -> BTreeMap<u32, BoundingBox> {
    let mut boxes: BTreeMap<u32, BoundingBox> = BTreeMap::new();
    for ((z, y, x), &l) in labels.indexed_iter() {
        if l == 0 {
            continue;
        }
        let b = boxes.entry(l).or_insert(([z, y, x], [z, y, x]));
        for (i, c) in [z, y, x].into_iter().enumerate() {
            b.0[i] = b.0[i].min(c);
            b.1[i] = b.1[i].max(c);
        }
    }
    boxes
}

/// The mask of `label` within its bounding box `bbox` of `labels`: work proportional to
/// the box, not to the volume. Its voxel [0, 0, 0] is `bbox.0` of the volume.
pub fn label_mask(labels: ArrayView3<u32>, label: u32, bbox: BoundingBox) -> Array3<bool> {
    let (lo, hi) = bbox;
    labels
        .slice(s![lo[0]..=hi[0], lo[1]..=hi[1], lo[2]..=hi[2]])
        .mapv(|v| v == label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_of_labels_in_one_pass() {
        let mut l = Array3::<u32>::zeros((4, 5, 6));
        l[[1, 1, 1]] = 7;
        l[[2, 3, 4]] = 7;
        l[[0, 0, 5]] = 2;
        let b = label_boxes(l.view());
        assert_eq!(b[&7], ([1, 1, 1], [2, 3, 4]));
        assert_eq!(b[&2], ([0, 0, 5], [0, 0, 5]));
        assert_eq!(b.len(), 2);
        let m = label_mask(l.view(), 7, b[&7]);
        assert_eq!(m.dim(), (2, 3, 4));
        assert_eq!(m.iter().filter(|&&v| v).count(), 2);
    }

    #[test]
    fn box_of_two_voxels_and_of_nothing() {
        let mut m = Array3::from_elem((4, 5, 6), false);
        assert_eq!(bounding_box(m.view()), None);
        m[[1, 4, 2]] = true;
        m[[3, 0, 5]] = true;
        assert_eq!(bounding_box(m.view()), Some(([1, 0, 2], [3, 4, 5])));
    }
}
