//! Which sequences a set of label sources holds: a scan of every frame for per-label voxel
//! counts and bounding boxes, then one sequence per persistent label (label images) or per
//! track (CTC, optionally continued into both daughters after a division), with every
//! skipped cell or frame recorded with its reason.

use super::source::{LabelSource, Source, Track};
use crate::error::{Error, Result};
use crate::progress::{check, Progress};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Voxel count, inclusive bounding box ([z, y, x] indices) and first and second moments of
/// one label in one frame.
#[derive(Debug, Clone, Copy)]
pub struct LabelStats {
    pub voxels: u64,
    pub lo: [usize; 3],
    pub hi: [usize; 3],
    /// Touches the first or last column or row (x/y border).
    pub touches_xy_border: bool,
    /// Touches the first or last z slice (stacks of more than one slice).
    pub touches_z_border: bool,
    /// Sums of the voxel indices (z, y, x) and of their products (zz, yy, xx, zy, zx, yx).
    pub moments: Moments,
}

/// Sums of voxel indices and of their pairwise products, for centroids and principal axes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    pub n: f64,
    /// (z, y, x).
    pub sum: [f64; 3],
    /// (zz, yy, xx, zy, zx, yx).
    pub sum2: [f64; 6],
}

impl Moments {
    pub fn add_voxel(&mut self, z: usize, y: usize, x: usize) {
        let (z, y, x) = (z as f64, y as f64, x as f64);
        self.n += 1.0;
        self.sum[0] += z;
        self.sum[1] += y;
        self.sum[2] += x;
        self.sum2[0] += z * z;
        self.sum2[1] += y * y;
        self.sum2[2] += x * x;
        self.sum2[3] += z * y;
        self.sum2[4] += z * x;
        self.sum2[5] += y * x;
    }

    /// The same voxels moved so that their centroid is at index 0: second moments about the
    /// centroid. Summing the centred moments of several frames pools their shapes without
    /// the motion between them.
    pub fn centred(&self) -> Moments {
        if self.n <= 0.0 {
            return Moments::default();
        }
        let m = self.sum.map(|s| s / self.n);
        // The index pairs of `sum2`, in its order.
        let pairs = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)];
        Moments {
            n: self.n,
            sum: [0.0; 3],
            sum2: std::array::from_fn(|k| {
                let (a, b) = pairs[k];
                self.sum2[k] - self.n * m[a] * m[b]
            }),
        }
    }

    pub fn merge(&mut self, o: &Moments) {
        self.n += o.n;
        for k in 0..3 {
            self.sum[k] += o.sum[k];
        }
        for k in 0..6 {
            self.sum2[k] += o.sum2[k];
        }
    }
}

/// Per time index, per label.
pub type Scan = BTreeMap<usize, BTreeMap<u32, LabelStats>>;

/// One frame of a planned sequence: the labels that make up the cell at time `time`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedFrame {
    pub time_index: usize,
    pub labels: Vec<u32>,
    pub voxels: u64,
    /// Moments of this frame's voxels (not stored in dataset.json).
    #[serde(skip)]
    pub moments: Moments,
}

/// A sequence to prepare: its frames in time order, the union bounding box of its voxels
/// (inclusive, [z, y, x]) and the moments of its voxels over all frames (each frame's own are
/// in its `PlannedFrame`).
#[derive(Debug, Clone)]
pub struct PlannedSequence {
    pub name: String,
    pub label: u32,
    pub frames: Vec<PlannedFrame>,
    pub lo: [usize; 3],
    pub hi: [usize; 3],
    pub moments: Moments,
}

/// A cell or frame left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub source: String,
    pub what: String,
    pub reason: String,
}

/// Options of planning.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    pub follow_divisions: bool,
    pub min_length: usize,
    pub border: BorderPolicy,
}

/// What happens to cells that touch the image border (cut off by the field of view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BorderPolicy {
    /// Skip every cell that touches any border (the default).
    #[default]
    Skip,
    /// Keep cells that touch only the first or last z slice (thin stacks, where every cell
    /// spans the whole depth); skip those touching the x/y border.
    KeepZ,
    /// Keep every cell.
    Keep,
}

/// A sequence before filtering: label, name and (time, labels) per frame.
type Candidate = (u32, String, Vec<(usize, Vec<u32>)>);

/// Scans every frame of `source`.
pub fn scan(source: &Source, progress: &dyn Progress, done: f32, share: f32) -> Result<Scan> {
    let times = source.times();
    let mut out = Scan::new();
    for (k, &t) in times.iter().enumerate() {
        let frame = source.frame(t)?;
        let (nz, ny, nx) = frame.dim();
        let mut stats: BTreeMap<u32, LabelStats> = BTreeMap::new();
        for ((z, y, x), &v) in frame.indexed_iter() {
            if v == 0 {
                continue;
            }
            // A single-slice image has no z border to touch.
            let z_border = nz > 1 && (z == 0 || z + 1 == nz);
            let xy_border = y == 0 || x == 0 || y + 1 == ny || x + 1 == nx;
            let s = stats.entry(v).or_insert(LabelStats {
                voxels: 0,
                lo: [z, y, x],
                hi: [z, y, x],
                touches_xy_border: false,
                touches_z_border: false,
                moments: Moments::default(),
            });
            s.voxels += 1;
            s.moments.add_voxel(z, y, x);
            for (a, p) in [z, y, x].into_iter().enumerate() {
                s.lo[a] = s.lo[a].min(p);
                s.hi[a] = s.hi[a].max(p);
            }
            s.touches_xy_border |= xy_border;
            s.touches_z_border |= z_border;
        }
        out.insert(t, stats);
        let f = done + share * (k + 1) as f32 / times.len() as f32;
        check(
            progress,
            f,
            &format!("scanning {}", source.path().display()),
        )?;
    }
    Ok(out)
}

/// Plans the sequences of `source`.
pub fn plan(
    source: &Source,
    scan: &Scan,
    opts: &PlanOptions,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<PlannedSequence>> {
    let src = source.path().display().to_string();
    let stem = source
        .path()
        .file_stem()
        .or_else(|| source.path().file_name())
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut candidates: Vec<Candidate> = Vec::new();
    match &source.labels {
        LabelSource::Stack { .. } => {
            let mut times_of: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
            for (&t, labels) in scan {
                for &l in labels.keys() {
                    times_of.entry(l).or_default().push(t);
                }
            }
            for (l, times) in times_of {
                let (first, last) = (times[0], *times.last().unwrap());
                let frames = (first..=last)
                    .filter(|t| scan.contains_key(t))
                    .map(|t| (t, vec![l]))
                    .collect();
                candidates.push((l, format!("{stem}:label{l}"), frames));
            }
        }
        LabelSource::Ctc { tracks, files, .. } => {
            let known: BTreeSet<u32> = tracks.iter().map(|t| t.label).collect();
            for (&t, labels) in scan {
                if let Some(l) = labels.keys().find(|l| !known.contains(l)) {
                    return Err(Error::format(
                        &files[&t],
                        format!("label {l} has no entry in man_track.txt"),
                    ));
                }
            }
            for tr in tracks {
                // Only time indices that have a frame: a track's claimed span may be huge.
                let mut frames: Vec<(usize, Vec<u32>)> = scan
                    .range(tr.begin..=tr.end)
                    .map(|(&t, _)| (t, vec![tr.label]))
                    .collect();
                if opts.follow_divisions {
                    frames.extend(daughters(tr, tracks, scan));
                }
                candidates.push((tr.label, format!("{stem}:track{}", tr.label), frames));
            }
        }
    }
    let mut out = Vec::new();
    'cand: for (label, name, frames) in candidates {
        let mut kept: Vec<PlannedFrame> = Vec::new();
        let (mut lo, mut hi) = ([usize::MAX; 3], [0usize; 3]);
        let mut moments = Moments::default();
        for (t, labels) in frames {
            let stats: Vec<&LabelStats> = labels.iter().filter_map(|l| scan[&t].get(l)).collect();
            let voxels: u64 = stats.iter().map(|s| s.voxels).sum();
            if voxels == 0 {
                skipped.push(Skipped {
                    source: src.clone(),
                    what: format!("{name} frame {t}"),
                    reason: "empty frame (no voxel of the cell)".into(),
                });
                continue;
            }
            let xy = stats.iter().any(|s| s.touches_xy_border);
            let z = stats.iter().any(|s| s.touches_z_border);
            let reason = match opts.border {
                BorderPolicy::Skip | BorderPolicy::KeepZ if xy => Some(format!(
                    "touches the x/y image border at time {t} (--keep-border keeps such cells)"
                )),
                BorderPolicy::Skip if z => Some(format!(
                    "touches the first or last z slice at time {t} (in thin stacks every cell does: --keep-z-border keeps cells cut only in z, --keep-border keeps all)"
                )),
                _ => None,
            };
            if let Some(reason) = reason {
                skipped.push(Skipped {
                    source: src.clone(),
                    what: name.clone(),
                    reason,
                });
                continue 'cand;
            }
            let mut frame_moments = Moments::default();
            for s in stats {
                frame_moments.merge(&s.moments);
                for a in 0..3 {
                    lo[a] = lo[a].min(s.lo[a]);
                    hi[a] = hi[a].max(s.hi[a]);
                }
                moments.merge(&s.moments);
            }
            kept.push(PlannedFrame {
                time_index: t,
                labels,
                voxels,
                moments: frame_moments,
            });
        }
        if kept.len() < opts.min_length.max(1) {
            skipped.push(Skipped {
                source: src.clone(),
                what: name.clone(),
                reason: format!(
                    "{} frames, fewer than the minimum length {}",
                    kept.len(),
                    opts.min_length.max(1)
                ),
            });
            continue;
        }
        out.push(PlannedSequence {
            name,
            label,
            frames: kept,
            lo,
            hi,
            moments,
        });
    }
    Ok(out)
}

/// Frames after the division of `tr`: both daughters (tracks whose parent is `tr` and that
/// begin right after it ends), until the first of them ends; only time indices of `scan`.
fn daughters(tr: &Track, tracks: &[Track], scan: &Scan) -> Vec<(usize, Vec<u32>)> {
    let Some(next) = tr.end.checked_add(1) else {
        return Vec::new();
    };
    let kids: Vec<&Track> = tracks
        .iter()
        .filter(|k| k.parent == tr.label && k.begin == next)
        .collect();
    let Some(until) = kids.iter().map(|k| k.end).min() else {
        return Vec::new();
    };
    let labels: Vec<u32> = kids.iter().map(|k| k.label).collect();
    scan.range(next..=until)
        .map(|(&t, _)| (t, labels.clone()))
        .collect()
}
