//! The scene: cell sequences rendered by a model in boxes of their own, their lineage
//! (a mother that divides ends, two daughters begin), and their placement in one field of
//! view with a smooth drift and no shared voxel.
//!
//! Arrays are [z, y, x]; positions are voxel indices (z, y, x) of a box's first voxel in
//! the field. A cell owns its per-frame box masks as "slots" (0 outside, 1 the mother,
//! 2 and 3 the daughters) and the map from slots to track labels.

use crate::error::{Error, Result};
use crate::volume::{label_components, Connectivity};
use ndarray::Array3;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// One track of the Cell Tracking Challenge's man_track.txt: label, first and last frame
/// (0-based), parent label (0: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Track {
    pub label: u32,
    pub begin: usize,
    pub end: usize,
    pub parent: u32,
}

/// The Cell Tracking Challenge's man_track.txt of `tracks`: one "L B E P" line each.
pub(crate) fn man_track_text(tracks: &[Track]) -> String {
    tracks
        .iter()
        .map(|t| format!("{} {} {} {}\n", t.label, t.begin, t.end, t.parent))
        .collect()
}

/// A cell of the scene.
pub(crate) struct Cell {
    /// Per frame, the slot of every voxel of the cell's box (0 outside the cell).
    pub slots: Vec<Array3<u8>>,
    /// Track label of slots 1 (mother), 2 and 3 (daughters; 0 when it does not divide).
    pub labels: [u32; 3],
    /// Per frame, the field position (z, y, x) of the box's first voxel; negative, or so
    /// large that the box reaches past the field, where the field's border cuts the cell.
    pub position: Vec<[i64; 3]>,
}

impl Cell {
    /// Box size (z, y, x).
    pub fn dims(&self) -> [usize; 3] {
        let (z, y, x) = self.slots[0].dim();
        [z, y, x]
    }

    /// The field voxel of box voxel `(z, y, x)` in frame `t`, None outside a field of
    /// `field` voxels (z, y, x).
    pub fn at(
        &self,
        t: usize,
        (z, y, x): (usize, usize, usize),
        field: [usize; 3],
    ) -> Option<[usize; 3]> {
        let p = self.position[t];
        let q = [p[0] + z as i64, p[1] + y as i64, p[2] + x as i64];
        (0..3)
            .all(|i| q[i] >= 0 && q[i] < field[i] as i64)
            .then(|| q.map(|v| v as usize))
    }

    /// Per slot (mother, daughters), the frames in which some of its voxels lie in the
    /// field.
    fn visible(&self, field: [usize; 3]) -> [Vec<usize>; 3] {
        let mut out: [Vec<usize>; 3] = Default::default();
        for (t, slots) in self.slots.iter().enumerate() {
            let mut seen = [false; 3];
            for (i, &v) in slots.indexed_iter() {
                if v != 0 && !seen[v as usize - 1] && self.at(t, i, field).is_some() {
                    seen[v as usize - 1] = true;
                }
            }
            for k in 0..3 {
                if seen[k] {
                    out[k].push(t);
                }
            }
        }
        out
    }
}

/// Components smaller than this share of the cell's voxels are fragments, not daughters.
const FRAGMENT_SHARE: f64 = 0.05;

/// Centroid (z, y, x) of the voxels of `labels` equal to `which`.
fn centroid(labels: &Array3<u32>, which: u32) -> Option<[f64; 3]> {
    let (mut s, mut n) = ([0f64; 3], 0usize);
    for ((z, y, x), &l) in labels.indexed_iter() {
        if l == which {
            s[0] += z as f64;
            s[1] += y as f64;
            s[2] += x as f64;
            n += 1;
        }
    }
    (n > 0).then(|| s.map(|v| v / n as f64))
}

fn dist2(a: [f64; 3], b: [f64; 3]) -> f64 {
    (0..3).map(|i| (a[i] - b[i]).powi(2)).sum()
}

/// Slots of one cell's masks over time: slot 1 until the first frame with two components of
/// at least 5 % of the cell each, slots 2 and 3 (the two largest) from then on. Fragments,
/// and after the division every voxel, go to the daughter whose centroid in the frame before
/// is nearest (a cell divides once). Returns the slots and the frame of the division.
pub(crate) fn lineage(masks: &[Array3<u8>]) -> (Vec<Array3<u8>>, Option<usize>) {
    let mut out = Vec::with_capacity(masks.len());
    let mut division = None;
    let mut previous: Option<[[f64; 3]; 2]> = None;
    for (t, mask) in masks.iter().enumerate() {
        let (comp, n) = label_components(mask.view(), Connectivity::Faces);
        let mut sizes = vec![0usize; n + 1];
        comp.iter().for_each(|&c| sizes[c as usize] += 1);
        let total: usize = sizes[1..].iter().sum();
        let mut order: Vec<usize> = (1..=n).collect();
        order.sort_by_key(|&c| std::cmp::Reverse(sizes[c]));
        let major = |c: usize| sizes[c] as f64 >= FRAGMENT_SHARE * total as f64;
        if previous.is_none() && t > 0 && n >= 2 && major(order[0]) && major(order[1]) {
            division = Some(t);
        }
        let slots = if division.is_none() || total == 0 {
            mask.mapv(|v| (v != 0) as u8)
        } else {
            // The daughters' reference points: last frame's centroids, or at the division
            // the two largest components'.
            let refs = previous.unwrap_or_else(|| {
                [
                    centroid(&comp, order[0] as u32).expect("a component"),
                    centroid(&comp, order[1] as u32).expect("a component"),
                ]
            });
            let mut slot_of = vec![0u8; n + 1];
            for (c, slot) in slot_of.iter_mut().enumerate().skip(1) {
                let m = centroid(&comp, c as u32).expect("a component");
                *slot = if dist2(m, refs[0]) <= dist2(m, refs[1]) {
                    2
                } else {
                    3
                };
            }
            let mut s = comp.mapv(|c| slot_of[c as usize]);
            if !s.iter().any(|&v| v == 2) || !s.iter().any(|&v| v == 3) {
                // The daughters touch: split the voxels by the nearest reference point.
                for ((z, y, x), v) in s.indexed_iter_mut() {
                    if *v != 0 {
                        let p = [z as f64, y as f64, x as f64];
                        *v = if dist2(p, refs[0]) <= dist2(p, refs[1]) {
                            2
                        } else {
                            3
                        };
                    }
                }
            }
            let l = s.mapv(u32::from);
            previous = Some([
                centroid(&l, 2).unwrap_or(refs[0]),
                centroid(&l, 3).unwrap_or(refs[1]),
            ]);
            s
        };
        out.push(slots);
    }
    (out, division)
}

/// `slots` cropped to the bounding box of the cell over all frames (plus one voxel of
/// margin where the box allows); `None` when the cell is empty in every frame.
pub(crate) fn crop(slots: Vec<Array3<u8>>) -> Option<Vec<Array3<u8>>> {
    let (nz, ny, nx) = slots.first()?.dim();
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for s in &slots {
        for ((z, y, x), &v) in s.indexed_iter() {
            if v != 0 {
                for (a, c) in [z, y, x].into_iter().enumerate() {
                    lo[a] = lo[a].min(c);
                    hi[a] = hi[a].max(c);
                }
            }
        }
    }
    if lo[0] == usize::MAX {
        return None;
    }
    let n = [nz, ny, nx];
    let lo = lo.map(|c| c.saturating_sub(1));
    let hi = [0, 1, 2].map(|a| (hi[a] + 2).min(n[a]));
    Some(
        slots
            .into_iter()
            .map(|s| {
                s.slice(ndarray::s![lo[0]..hi[0], lo[1]..hi[1], lo[2]..hi[2]])
                    .to_owned()
            })
            .collect(),
    )
}

/// The tracks of the placed cells in a field of `field` voxels (z, y, x), from the frames
/// where each slot has voxels in the field; a daughter whose mother is never in the field
/// has no parent.
pub(crate) fn tracks(cells: &[Cell], field: [usize; 3]) -> Vec<Track> {
    let mut out = Vec::new();
    for c in cells {
        let visible = c.visible(field);
        for (slot, &label) in c.labels.iter().enumerate() {
            if let (Some(&begin), Some(&end)) = (visible[slot].first(), visible[slot].last()) {
                out.push(Track {
                    label,
                    begin,
                    end,
                    parent: if slot == 0 || visible[0].is_empty() {
                        0
                    } else {
                        c.labels[0]
                    },
                });
            }
        }
    }
    out.sort_by_key(|t| t.label);
    out
}

/// Whether `a` and `b` share a voxel in any frame; with `footprint`, whether they share an
/// (y, x) column (their maximum projections along z overlap).
fn overlap(a: &Cell, b: &Cell, footprint: bool) -> bool {
    let (da, db) = (a.dims(), b.dims());
    (0..a.slots.len()).any(|t| {
        let (pa, pb) = (a.position[t], b.position[t]);
        let lo = [0, 1, 2].map(|i| pa[i].max(pb[i]));
        let hi = [0, 1, 2].map(|i| (pa[i] + da[i] as i64).min(pb[i] + db[i] as i64));
        let (sa, sb) = (&a.slots[t], &b.slots[t]);
        let idx = |p: [i64; 3], z: i64, y: i64, x: i64| {
            [
                (z - p[0]) as usize,
                (y - p[1]) as usize,
                (x - p[2]) as usize,
            ]
        };
        if footprint {
            if (1..3).any(|i| lo[i] >= hi[i]) {
                return false;
            }
            let column = |s: &Array3<u8>, p: [i64; 3], y: i64, x: i64| {
                (0..s.dim().0).any(|z| s[idx(p, p[0] + z as i64, y, x)] != 0)
            };
            return (lo[1]..hi[1])
                .any(|y| (lo[2]..hi[2]).any(|x| column(sa, pa, y, x) && column(sb, pb, y, x)));
        }
        if (0..3).any(|i| lo[i] >= hi[i]) {
            return false;
        }
        (lo[0]..hi[0]).any(|z| {
            (lo[1]..hi[1]).any(|y| {
                (lo[2]..hi[2]).any(|x| sa[idx(pa, z, y, x)] != 0 && sb[idx(pb, z, y, x)] != 0)
            })
        })
    })
}

/// Attempts at a free place per cell before giving up.
const PLACEMENT_TRIES: usize = 500;

/// Places `cell` in a field of `field` voxels (z, y, x): a random start and a constant drift
/// of up to `drift` voxels per frame on each axis (rounded per frame), sharing no voxel with
/// `placed` in any frame (with `footprint`, no (y, x) column either, so that a maximum
/// projection along z keeps the cells apart). On each axis the box stays inside the field
/// in every frame, unless it does not fit or `cut` allows the field's border to cut the
/// cell: then the box's centre stays inside. A placement where a cell's part (mother or
/// daughter) leaves the field and comes back is tried again, so every track is one run of
/// frames.
pub(crate) fn place(
    cell: &mut Cell,
    placed: &[Cell],
    field: [usize; 3],
    (drift, cut): ([f64; 3], bool),
    footprint: bool,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    let dims = cell.dims();
    let frames = cell.slots.len();
    for _ in 0..PLACEMENT_TRIES {
        let v = drift.map(|d| {
            if d > 0.0 {
                rng.random_range(-d..=d)
            } else {
                0.0
            }
        });
        let shift = |t: usize| v.map(|vi| (vi * t as f64).round() as i64);
        let lo = [0, 1, 2].map(|i| (0..frames).map(|t| shift(t)[i]).min().unwrap_or(0));
        let hi = [0, 1, 2].map(|i| (0..frames).map(|t| shift(t)[i]).max().unwrap_or(0));
        // Start p with p + lo >= 0 and p + hi + dims <= field on each axis; where that is
        // impossible or cutting is allowed, p + lo + dims / 2 >= 0 and
        // p + hi + dims / 2 < field.
        let mut start = [0i64; 3];
        let mut fits = true;
        for i in 0..3 {
            let (n, d) = (field[i] as i64, dims[i] as i64);
            let (mut a, mut b) = (-lo[i], n - d - hi[i]);
            if cut || a > b {
                (a, b) = (-lo[i] - d / 2, n - 1 - hi[i] - d / 2);
            }
            if a > b {
                fits = false;
                break;
            }
            start[i] = rng.random_range(a..=b);
        }
        if !fits {
            continue;
        }
        cell.position = (0..frames)
            .map(|t| {
                let s = shift(t);
                [0, 1, 2].map(|i| start[i] + s[i])
            })
            .collect();
        let runs = cell
            .visible(field)
            .iter()
            .all(|f| f.windows(2).all(|w| w[1] == w[0] + 1));
        if runs && !placed.iter().any(|p| overlap(cell, p, footprint)) {
            return Ok(());
        }
    }
    Err(Error::invalid(
        "cells",
        format!(
            "no place found for cell {} without sharing a {} with the others in \
             {PLACEMENT_TRIES} tries: use fewer --cells, a larger --size or a smaller --drift-um",
            placed.len() + 1,
            if footprint {
                "voxel or (with --projection) an x-y column"
            } else {
                "voxel"
            }
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ball(n: usize, centres: &[[f64; 3]], r: f64) -> Array3<u8> {
        Array3::from_shape_fn((n, n, n), |(z, y, x)| {
            centres
                .iter()
                .any(|c| dist2([z as f64, y as f64, x as f64], *c) <= r * r) as u8
        })
    }

    #[test]
    fn a_cell_that_splits_in_two_becomes_two_daughters_and_stays_so() {
        let a = [10.0, 10.0, 9.0];
        let b = [10.0, 10.0, 13.0];
        let masks = vec![
            ball(20, &[[10.0, 10.0, 11.0]], 4.0),
            ball(20, &[a, b], 2.5), // touching: one component
            ball(20, &[[10.0, 10.0, 6.0], [10.0, 10.0, 16.0]], 2.5), // two
            ball(20, &[[10.0, 10.0, 5.0], [10.0, 10.0, 17.0]], 2.5),
        ];
        let (slots, division) = lineage(&masks);
        assert_eq!(division, Some(2));
        assert!(slots[0].iter().all(|&s| s <= 1) && slots[1].iter().all(|&s| s <= 1));
        for s in &slots[2..] {
            // Each daughter on its own side, the same side in both frames.
            assert_eq!(s[[10, 10, 6]].max(s[[10, 10, 5]]), 2);
            assert_eq!(s[[10, 10, 16]].max(s[[10, 10, 17]]), 3);
        }
        let cell = Cell {
            slots,
            labels: [1, 2, 3],
            position: vec![[0; 3]; 4],
        };
        assert_eq!(
            tracks(&[cell], [20, 20, 20]),
            vec![
                Track {
                    label: 1,
                    begin: 0,
                    end: 1,
                    parent: 0
                },
                Track {
                    label: 2,
                    begin: 2,
                    end: 3,
                    parent: 1
                },
                Track {
                    label: 3,
                    begin: 2,
                    end: 3,
                    parent: 1
                },
            ]
        );
    }
}
