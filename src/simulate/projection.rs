//! The 2D+t variant of a simulated dataset: each raw frame's maximum-intensity projection
//! along z, and its ground truth (the label of each (y, x) column). Cells are placed so that
//! no two share a column ([`super::scene::place`] with `footprint`), so a column holds one
//! cell, or the two daughters of one cell, which split by the larger share of the column.
//!
//! Arrays are [z, y, x] in, [y, x] out (stored as one-slice stacks).

use super::scene::Track;
use crate::error::{Error, Result};
use ndarray::{Array2, Array3, Axis};

/// Maximum of `raw` along z.
pub(crate) fn max_z(raw: &Array3<u16>) -> Array2<u16> {
    raw.fold_axis(Axis(0), 0u16, |&m, &v| m.max(v))
}

/// The label of each (y, x) column of `labels`: the one with the most voxels in it (the
/// lowest label on a tie), 0 for an empty column.
pub(crate) fn column_labels(labels: &Array3<u16>) -> Array2<u16> {
    let (nz, ny, nx) = labels.dim();
    Array2::from_shape_fn((ny, nx), |(y, x)| {
        let mut counts: Vec<(u16, usize)> = Vec::new();
        for z in 0..nz {
            let l = labels[[z, y, x]];
            if l != 0 {
                match counts.iter_mut().find(|(k, _)| *k == l) {
                    Some(c) => c.1 += 1,
                    None => counts.push((l, 1)),
                }
            }
        }
        counts
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map_or(0, |c| c.0)
    })
}

/// Frames in which each label appears in the projected ground truth.
#[derive(Debug, Default)]
pub(crate) struct Presence {
    /// Per label: first frame, last frame, frames present.
    seen: std::collections::BTreeMap<u16, (usize, usize, usize)>,
}

impl Presence {
    /// Records the labels of projected frame `t` (frames in order).
    pub fn add(&mut self, t: usize, labels: &Array2<u16>) {
        let mut here: Vec<u16> = labels.iter().copied().filter(|&l| l != 0).collect();
        here.sort_unstable();
        here.dedup();
        for l in here {
            let e = self.seen.entry(l).or_insert((t, t, 0));
            e.1 = t;
            e.2 += 1;
        }
    }

    /// The projection's tracks: the 3D tracks' labels and parents with the frames they are
    /// seen in. An error when a cell is hidden in a frame between its first and last (its
    /// sister covers it), which the Cell Tracking Challenge's format cannot express.
    pub fn tracks(&self, tracks3d: &[Track]) -> Result<Vec<Track>> {
        tracks3d
            .iter()
            .map(|k| {
                let hidden = || {
                    Error::invalid(
                        "projection",
                        format!(
                            "cell {} is hidden by its sister in the z projection in some of \
                             frames {}..={}: use another --seed, or no --projection",
                            k.label, k.begin, k.end
                        ),
                    )
                };
                let &(begin, end, n) = self.seen.get(&(k.label as u16)).ok_or_else(hidden)?;
                if n != end - begin + 1 || begin != k.begin || end != k.end {
                    return Err(hidden());
                }
                Ok(Track { begin, end, ..*k })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_column_takes_its_largest_label_and_ties_the_lowest() {
        // z = 3, y = 1, x = 3.
        let l = Array3::from_shape_vec((3, 1, 3), vec![2, 0, 5, 3, 0, 4, 3, 0, 0]).unwrap();
        assert_eq!(column_labels(&l), array![[3, 0, 4]]);
        let raw = Array3::from_shape_vec((2, 1, 2), vec![7u16, 1, 3, 9]).unwrap();
        assert_eq!(max_z(&raw), array![[7, 9]]);
    }

    #[test]
    fn a_hidden_frame_is_refused() {
        let track = Track {
            label: 1,
            begin: 0,
            end: 2,
            parent: 0,
        };
        let mut p = Presence::default();
        p.add(0, &array![[1u16]]);
        p.add(1, &array![[0u16]]);
        p.add(2, &array![[1u16]]);
        assert!(p.tracks(&[track]).is_err());
        let mut q = Presence::default();
        for t in 0..3 {
            q.add(t, &array![[1u16, 0]]);
        }
        assert_eq!(q.tracks(&[track]).unwrap(), vec![track]);
    }
}
