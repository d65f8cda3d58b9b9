//! Novelty of generated sequences: how close each one comes to its nearest training
//! sequence, as a Jaccard index of masks per frame with the best alignment in time.
//!
//! Distribution match alone can be met by copying training cells; this measure says
//! whether new sequences are new. It is reported beside the same figure for every training
//! sequence against the other training sequences, which sets the scale: a generated
//! sequence whose nearest-training JI exceeds what training sequences reach among
//! themselves is closer to a copy than the data's own variety.

use rayon::prelude::*;

/// A binary mask packed 64 voxels per word (any fixed voxel order; masks compared with each
/// other must come from grids of one shape).
#[derive(Debug, Clone, PartialEq)]
pub struct BitMask {
    words: Vec<u64>,
    len: usize,
}

impl BitMask {
    /// Packs `mask` (true = inside).
    pub fn pack(mask: impl IntoIterator<Item = bool>) -> BitMask {
        let mut words = Vec::new();
        let mut len = 0;
        for (i, m) in mask.into_iter().enumerate() {
            if i % 64 == 0 {
                words.push(0);
            }
            if m {
                words[i / 64] |= 1 << (i % 64);
            }
            len = i + 1;
        }
        BitMask { words, len }
    }

    pub fn count(&self) -> u64 {
        self.words.iter().map(|w| w.count_ones() as u64).sum()
    }

    /// |A and B| / |A or B| (1 when both are empty). Masks of different lengths have
    /// nothing in common: 0.
    pub fn jaccard(&self, other: &BitMask) -> f64 {
        if self.len != other.len {
            return 0.0;
        }
        let (mut inter, mut union) = (0u64, 0u64);
        for (a, b) in self.words.iter().zip(&other.words) {
            inter += (a & b).count_ones() as u64;
            union += (a | b).count_ones() as u64;
        }
        if union == 0 {
            1.0
        } else {
            inter as f64 / union as f64
        }
    }
}

/// A sequence of masks with the model time (-1..1) of each frame.
#[derive(Debug, Clone)]
pub struct MaskSequence {
    pub times: Vec<f64>,
    pub frames: Vec<BitMask>,
}

/// Time shifts tried, in frames of the reference sequence (both directions).
pub const MAX_SHIFT: i64 = 2;

/// Jaccard index of `a` against `b` with the best alignment in time: every frame of `a` is
/// compared with the frame of `b` nearest in model time, shifted by k frames (clipped at
/// the ends), for k in -[`MAX_SHIFT`]..=[`MAX_SHIFT`]; the result is the largest mean over
/// `a`'s frames.
pub fn aligned_jaccard(a: &MaskSequence, b: &MaskSequence) -> f64 {
    if a.frames.is_empty() || b.frames.is_empty() {
        return 0.0;
    }
    let nearest: Vec<i64> = a
        .times
        .iter()
        .map(|&t| {
            b.times
                .iter()
                .enumerate()
                .min_by(|x, y| (x.1 - t).abs().total_cmp(&(y.1 - t).abs()))
                .map_or(0, |(j, _)| j as i64)
        })
        .collect();
    let last = b.frames.len() as i64 - 1;
    (-MAX_SHIFT..=MAX_SHIFT)
        .map(|k| {
            a.frames
                .iter()
                .zip(&nearest)
                .map(|(f, &j)| f.jaccard(&b.frames[(j + k).clamp(0, last) as usize]))
                .sum::<f64>()
                / a.frames.len() as f64
        })
        .fold(0.0, f64::max)
}

/// For each of `queries`, the aligned Jaccard index to its nearest sequence in
/// `references`, skipping the reference of the same index when `skip_same` (a training set
/// against itself).
pub fn nearest_jaccard(
    queries: &[MaskSequence],
    references: &[MaskSequence],
    skip_same: bool,
) -> Vec<f64> {
    queries
        .par_iter()
        .enumerate()
        .map(|(i, q)| {
            references
                .iter()
                .enumerate()
                .filter(|&(j, _)| !(skip_same && i == j))
                .map(|(_, r)| aligned_jaccard(q, r))
                .fold(0.0, f64::max)
        })
        .collect()
}

/// Median of `v` (NaN when empty).
pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1D "sequence" of intervals [c - r, c + r] on 200 cells.
    fn seq(centres: &[f64], r: f64) -> MaskSequence {
        let n = centres.len();
        MaskSequence {
            times: (0..n)
                .map(|k| -1.0 + 2.0 * k as f64 / (n - 1) as f64)
                .collect(),
            frames: centres
                .iter()
                .map(|&c| BitMask::pack((0..200).map(|i| (i as f64 - c).abs() <= r)))
                .collect(),
        }
    }

    #[test]
    fn jaccard_of_packed_masks_equals_the_count_by_hand() {
        let a = BitMask::pack((0..130).map(|i| i < 70));
        let b = BitMask::pack((0..130).map(|i| i >= 50));
        // Intersection 50..70 (20), union 0..130 (130).
        assert!((a.jaccard(&b) - 20.0 / 130.0).abs() < 1e-15);
        assert_eq!(a.count(), 70);
        let empty = BitMask::pack((0..130).map(|_| false));
        assert_eq!(empty.jaccard(&empty), 1.0);
        assert_eq!(a.jaccard(&BitMask::pack((0..64).map(|_| true))), 0.0);
    }

    #[test]
    fn a_time_shifted_copy_is_found_and_a_disjoint_one_is_not() {
        let moving: Vec<f64> = (0..10).map(|k| 50.0 + 5.0 * k as f64).collect();
        let a = seq(&moving, 10.0);
        // The same motion one frame later (first frame repeated): shift 1 aligns all but one.
        let mut later = vec![moving[0]];
        later.extend_from_slice(&moving[..9]);
        let b = seq(&later, 10.0);
        let shifted = aligned_jaccard(&a, &b);
        assert!(shifted > 0.89, "{shifted}");
        // Without alignment the mean frame JI is lower.
        let direct: f64 = a
            .frames
            .iter()
            .zip(&b.frames)
            .map(|(x, y)| x.jaccard(y))
            .sum::<f64>()
            / 10.0;
        assert!(direct < shifted - 0.1, "{direct} vs {shifted}");
        let far = seq(&[180.0; 10], 5.0);
        assert_eq!(aligned_jaccard(&a, &far), 0.0);
        assert_eq!(aligned_jaccard(&a, &a), 1.0);
        // Nearest neighbours: itself skipped in a set against itself.
        let set = vec![a.clone(), b.clone(), far.clone()];
        let nn = nearest_jaccard(&set, &set, true);
        assert!((nn[0] - shifted).abs() < 1e-12);
        assert!(nn[2] < 0.01);
        assert_eq!(nearest_jaccard(&set, &set, false), vec![1.0; 3]);
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), 2.5);
    }
}
