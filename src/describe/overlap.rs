//! Overlap of two masks: Jaccard index and Dice coefficient.

use crate::error::{Error, Result};
use ndarray::{ArrayView3, ArrayView4};
use serde::Serialize;

/// Overlap of two masks. Both are 1 when both masks are empty.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Overlap {
    /// |A and B| / |A or B|.
    pub jaccard: f64,
    /// 2 |A and B| / (|A| + |B|).
    pub dice: f64,
}

/// Overlap of the voxels where `inside_a` and `inside_b` hold, over two volumes of one shape.
pub fn overlap_by<A, B>(
    a: ArrayView3<A>,
    b: ArrayView3<B>,
    inside_a: impl Fn(&A) -> bool,
    inside_b: impl Fn(&B) -> bool,
) -> Overlap {
    assert_eq!(a.dim(), b.dim(), "overlap of volumes with different shapes");
    let (mut inter, mut na, mut nb) = (0u64, 0u64, 0u64);
    for (x, y) in a.iter().zip(b.iter()) {
        let (p, q) = (inside_a(x), inside_b(y));
        inter += (p && q) as u64;
        na += p as u64;
        nb += q as u64;
    }
    let union = na + nb - inter;
    if union == 0 {
        return Overlap {
            jaccard: 1.0,
            dice: 1.0,
        };
    }
    Overlap {
        jaccard: inter as f64 / union as f64,
        dice: 2.0 * inter as f64 / (na + nb) as f64,
    }
}

/// Per-frame overlap of the non-zero voxels of two mask sequences ([t, z, y, x]); errors
/// when their shapes differ.
pub fn overlap_sequence<T: PartialEq + Default>(
    a: ArrayView4<T>,
    b: ArrayView4<T>,
) -> Result<Vec<Overlap>> {
    if a.dim() != b.dim() {
        return Err(Error::invalid(
            "masks",
            format!(
                "the two mask sequences differ in size: {:?} vs {:?} (t, z, y, x)",
                a.dim(),
                b.dim()
            ),
        ));
    }
    let zero = T::default();
    Ok(a.outer_iter()
        .zip(b.outer_iter())
        .map(|(fa, fb)| overlap_by(fa, fb, |v| *v != zero, |v| *v != zero))
        .collect())
}
