//! Which sequences a set of label sources holds: a scan of every frame for per-label voxel
//! counts and bounding boxes, then one sequence per persistent label (label images) or per
//! track (CTC, optionally continued into both daughters after a division), with every
//! skipped cell or frame recorded with its reason.

use super::source::{LabelSource, Source, Track};
use crate::error::{Error, Result};
use crate::progress::{check, Progress};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Voxel count and inclusive bounding box ([z, y, x] indices) of one label in one frame.
#[derive(Debug, Clone, Copy)]
pub struct LabelStats {
    pub voxels: u64,
    pub lo: [usize; 3],
    pub hi: [usize; 3],
    pub touches_border: bool,
}

/// Per time index, per label.
pub type Scan = BTreeMap<usize, BTreeMap<u32, LabelStats>>;

/// One frame of a planned sequence: the labels that make up the cell at time `time`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedFrame {
    pub time_index: usize,
    pub labels: Vec<u32>,
    pub voxels: u64,
}

/// A sequence to prepare: its frames in time order and the union bounding box of its voxels
/// (inclusive, [z, y, x]).
#[derive(Debug, Clone)]
pub struct PlannedSequence {
    pub name: String,
    pub label: u32,
    pub frames: Vec<PlannedFrame>,
    pub lo: [usize; 3],
    pub hi: [usize; 3],
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
    pub keep_border: bool,
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
            let border = (nz > 1 && (z == 0 || z + 1 == nz))
                || y == 0
                || x == 0
                || y + 1 == ny
                || x + 1 == nx;
            let s = stats.entry(v).or_insert(LabelStats {
                voxels: 0,
                lo: [z, y, x],
                hi: [z, y, x],
                touches_border: false,
            });
            s.voxels += 1;
            for (a, p) in [z, y, x].into_iter().enumerate() {
                s.lo[a] = s.lo[a].min(p);
                s.hi[a] = s.hi[a].max(p);
            }
            s.touches_border |= border;
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
        let mut kept = Vec::new();
        let (mut lo, mut hi) = ([usize::MAX; 3], [0usize; 3]);
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
            if !opts.keep_border && stats.iter().any(|s| s.touches_border) {
                skipped.push(Skipped {
                    source: src.clone(),
                    what: name.clone(),
                    reason: format!("touches the image border at time {t}"),
                });
                continue 'cand;
            }
            for s in stats {
                for a in 0..3 {
                    lo[a] = lo[a].min(s.lo[a]);
                    hi[a] = hi[a].max(s.hi[a]);
                }
            }
            kept.push(PlannedFrame {
                time_index: t,
                labels,
                voxels,
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
