//! The tube model: branches of training sequences followed over time by their bases, kept
//! as tracks, and how many each sequence has. Stored in a model file's description
//! (`ModelMeta::tubes`), so every front end that renders the model draws its tubes.

use super::extract::{find_branches, Branch};
use crate::error::{Error, Result};
use crate::geometry::{dot, norm, sub};
use ndarray::ArrayView3;
use serde::{Deserialize, Serialize};

/// How branches are found and followed. Lengths in um.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TubeParams {
    /// Radius of the ball the body is opened with: parts thinner than about twice this are
    /// branches.
    pub opening_um: f64,
    /// Parts reaching less far from the body are rims of the body, not branches.
    pub min_length_um: f64,
    /// A branch continues a track when its base lies this close to the track's base in the
    /// frame before.
    pub match_um: f64,
}

impl Default for TubeParams {
    fn default() -> Self {
        TubeParams {
            opening_um: 0.4,
            min_length_um: 0.5,
            match_um: 0.5,
        }
    }
}

impl TubeParams {
    /// Refuses non-finite or non-positive lengths (argument `tubes`).
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("opening", self.opening_um),
            ("min length", self.min_length_um),
            ("match distance", self.match_um),
        ] {
            if !(v.is_finite() && v > 0.0 && v < 1e3) {
                return Err(Error::invalid(
                    "tubes",
                    format!("the {name} must be above 0 and below 1000 um, not {v}"),
                ));
            }
        }
        Ok(())
    }
}

/// One filopodium of a training sequence over the frames it was seen in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TubeTrack {
    /// Model times (-1 to 1) of its frames, increasing.
    pub times: Vec<f64>,
    /// Length beyond the body (um) in each of those frames.
    pub lengths_um: Vec<f64>,
    /// Mean radius (um).
    pub radius_um: f64,
    /// Mean angle (radians) between the branch (base to tip) and the outward direction
    /// from the body's centroid through its base.
    pub tilt_rad: f64,
    /// Half the frame step of its sequence (model time): the track is drawn from
    /// `times[0] - half_step` to the last time + `half_step`.
    pub half_step: f64,
}

impl TubeTrack {
    /// Length (um) at model time `t`: linear between its frames, the end value within half
    /// a frame step beyond them, `None` farther away.
    pub fn length_at(&self, t: f64) -> Option<f64> {
        let (first, last) = (*self.times.first()?, *self.times.last()?);
        if t < first - self.half_step - 1e-9 || t > last + self.half_step + 1e-9 {
            return None;
        }
        let k = self.times.partition_point(|&s| s <= t);
        Some(match k {
            0 => self.lengths_um[0],
            k if k == self.times.len() => self.lengths_um[k - 1],
            k => {
                let (t0, t1) = (self.times[k - 1], self.times[k]);
                let f = (t - t0) / (t1 - t0);
                self.lengths_um[k - 1] * (1.0 - f) + self.lengths_um[k] * f
            }
        })
    }
}

/// Tracks of the training sequences' branches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TubeModel {
    pub params: TubeParams,
    pub tracks: Vec<TubeTrack>,
    /// Per training sequence, its number of tracks (a new sequence draws one of these
    /// counts).
    pub tracks_per_sequence: Vec<usize>,
    /// Most bodies of any training frame (2 for dividing cells): a rendered frame keeps at
    /// most this many, the largest.
    pub max_bodies: usize,
}

/// One training sequence: model times and masks ([z, y, x]) of its frames, voxel spacing
/// (um).
pub struct TrackedMasks<'a> {
    pub times: Vec<f64>,
    pub frames: Vec<ArrayView3<'a, bool>>,
    pub spacing_zyx: [f64; 3],
}

/// Builds a [`TubeModel`] one training sequence at a time (so that only one sequence's
/// masks need be in memory).
#[derive(Debug)]
pub struct TubeFitter {
    params: TubeParams,
    tracks: Vec<TubeTrack>,
    per_sequence: Vec<usize>,
    max_bodies: usize,
}

impl TubeFitter {
    /// A fitter with `params` (checked).
    pub fn new(params: TubeParams) -> Result<TubeFitter> {
        params.validate()?;
        Ok(TubeFitter {
            params,
            tracks: Vec::new(),
            per_sequence: Vec::new(),
            max_bodies: 1,
        })
    }

    /// Finds the branches of every frame of `s` and follows them: a branch whose base lies
    /// within `params.match_um` of a base of the frame before continues that track
    /// (closest pairs first); the others start tracks.
    pub fn add(&mut self, s: &TrackedMasks) -> Result<()> {
        if s.times.len() != s.frames.len() || s.times.is_empty() {
            return Err(Error::invalid(
                "sequences",
                "every sequence needs one time per frame and at least one frame",
            ));
        }
        let found: Vec<_> = s
            .frames
            .iter()
            .map(|m| find_branches(*m, s.spacing_zyx, &self.params))
            .collect();
        let half_step = if s.times.len() > 1 {
            0.5 * (s.times[s.times.len() - 1] - s.times[0]) / (s.times.len() - 1) as f64
        } else {
            0.0
        };
        self.max_bodies = found
            .iter()
            .map(|f| f.bodies)
            .fold(self.max_bodies, usize::max);
        let before = self.tracks.len();
        follow(&s.times, &found, &self.params, half_step, &mut self.tracks);
        self.per_sequence.push(self.tracks.len() - before);
        Ok(())
    }

    /// The model of the sequences added (at least one).
    pub fn finish(self) -> Result<TubeModel> {
        if self.per_sequence.is_empty() {
            return Err(Error::invalid("sequences", "no training sequence"));
        }
        Ok(TubeModel {
            params: self.params,
            tracks: self.tracks,
            tracks_per_sequence: self.per_sequence,
            max_bodies: self.max_bodies,
        })
    }
}

impl TubeModel {
    /// The model of `sequences` with `params` ([`TubeFitter`] over all of them).
    pub fn fit<'a>(
        sequences: impl IntoIterator<Item = TrackedMasks<'a>>,
        params: TubeParams,
    ) -> Result<TubeModel> {
        let mut fitter = TubeFitter::new(params)?;
        for s in sequences {
            fitter.add(&s)?;
        }
        fitter.finish()
    }

    /// Refuses a model read from a file that cannot be drawn from (argument `tubes`).
    pub fn validate(&self) -> Result<()> {
        self.params.validate()?;
        let bad = |why: String| Err(Error::invalid("tubes", why));
        if self.tracks_per_sequence.is_empty() {
            return bad("no training sequence".into());
        }
        if !(1..=1000).contains(&self.max_bodies) {
            return bad(format!("{} bodies is not 1 to 1000", self.max_bodies));
        }
        if self.tracks_per_sequence.iter().sum::<usize>() != self.tracks.len() {
            return bad("the tracks per sequence do not add up to the tracks".into());
        }
        for (k, t) in self.tracks.iter().enumerate() {
            let finite = t.times.iter().chain(&t.lengths_um).all(|v| v.is_finite());
            if t.times.is_empty()
                || t.times.len() != t.lengths_um.len()
                || !finite
                || t.times.windows(2).any(|w| w[1] <= w[0])
                || t.lengths_um.iter().any(|&l| !(0.0..1e3).contains(&l))
                || !(t.radius_um > 0.0 && t.radius_um < 1e3)
                || !(0.0..=std::f64::consts::PI).contains(&t.tilt_rad)
                || !(0.0..=2.0).contains(&t.half_step)
            {
                return bad(format!("track {k} is not a valid track"));
            }
        }
        Ok(())
    }
}

/// Appends the tracks of one sequence's frames to `tracks`.
fn follow(
    times: &[f64],
    frames: &[super::FrameBranches],
    params: &TubeParams,
    half_step: f64,
    tracks: &mut Vec<TubeTrack>,
) {
    // Open tracks: (index into `tracks`, last base, sums of radius and tilt).
    let mut open: Vec<(usize, crate::geometry::Vec3)> = Vec::new();
    let mut sums: Vec<(f64, f64, usize)> = Vec::new();
    let first = tracks.len();
    for (k, f) in frames.iter().enumerate() {
        let Some(c) = f.centroid else {
            open.clear();
            continue;
        };
        let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
        for (i, (_, base)) in open.iter().enumerate() {
            for (j, b) in f.branches.iter().enumerate() {
                let d = norm(sub(b.base, *base));
                if d <= params.match_um {
                    pairs.push((d, i, j));
                }
            }
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut taken_open = vec![false; open.len()];
        let mut continues: Vec<Option<usize>> = vec![None; f.branches.len()];
        for (_, i, j) in pairs {
            if !taken_open[i] && continues[j].is_none() {
                taken_open[i] = true;
                continues[j] = Some(open[i].0);
            }
        }
        let mut next = Vec::new();
        for (j, b) in f.branches.iter().enumerate() {
            let idx = match continues[j] {
                Some(idx) => idx,
                None => {
                    tracks.push(TubeTrack {
                        times: Vec::new(),
                        lengths_um: Vec::new(),
                        radius_um: 0.0,
                        tilt_rad: 0.0,
                        half_step,
                    });
                    sums.push((0.0, 0.0, 0));
                    tracks.len() - 1
                }
            };
            tracks[idx].times.push(times[k]);
            tracks[idx].lengths_um.push(b.length_um);
            let s = &mut sums[idx - first];
            s.0 += b.radius_um;
            s.1 += tilt(c, b);
            s.2 += 1;
            next.push((idx, b.base));
        }
        open = next;
    }
    for (t, s) in tracks[first..].iter_mut().zip(sums) {
        t.radius_um = s.0 / s.2 as f64;
        t.tilt_rad = s.1 / s.2 as f64;
    }
}

/// Angle between a branch and the outward direction through its base.
fn tilt(centroid: crate::geometry::Vec3, b: &Branch) -> f64 {
    let out = sub(b.base, centroid);
    let along = sub(b.tip, b.base);
    let n = norm(out) * norm(along);
    if n <= 0.0 {
        return 0.0;
    }
    (dot(out, along) / n).clamp(-1.0, 1.0).acos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    /// A ball with rods: `rods` are (direction index, length um) with directions +x, +y, -x.
    fn cell(rods: &[(usize, f64)]) -> Array3<bool> {
        let (n, h, c) = (80usize, 0.1, 4.0);
        Array3::from_shape_fn((n, n, n), |(z, y, x)| {
            let p = [x as f64 * h - c, y as f64 * h - c, z as f64 * h - c];
            if p.iter().map(|v| v * v).sum::<f64>() <= 4.0 {
                return true;
            }
            rods.iter().any(|&(d, len)| {
                let (a, s) = [(0, 1.0), (1, 1.0), (0, -1.0)][d];
                let along = s * p[a];
                let across: f64 = (0..3).filter(|&k| k != a).map(|k| p[k] * p[k]).sum();
                along >= 0.0 && along <= 2.0 + len && across <= 0.04
            })
        })
    }

    /// Three frames: a rod along +x grows (1.0, 1.5, 2.0 um), one along +y appears in the
    /// second frame, one along -x is seen in the first only. Tracks follow each rod with its
    /// lengths; lengths between frames are interpolated, and none is drawn beyond half a
    /// frame step.
    #[test]
    fn rods_are_followed_over_frames_by_their_bases() {
        let frames = [
            cell(&[(0, 1.0), (2, 1.2)]),
            cell(&[(0, 1.5), (1, 1.0)]),
            cell(&[(0, 2.0), (1, 1.0)]),
        ];
        let seq = TrackedMasks {
            times: vec![-1.0, 0.0, 1.0],
            frames: frames.iter().map(|f| f.view()).collect(),
            spacing_zyx: [0.1; 3],
        };
        let m = TubeModel::fit([seq], TubeParams::default()).unwrap();
        m.validate().unwrap();
        assert_eq!(m.tracks.len(), 3, "{:?}", m.tracks);
        assert_eq!(m.tracks_per_sequence, vec![3]);
        assert_eq!(m.max_bodies, 1);
        let grow = m.tracks.iter().find(|t| t.times.len() == 3).unwrap();
        let l = &grow.lengths_um;
        assert!(
            (l[0] - 1.0).abs() < 0.3 && (l[2] - 2.0).abs() < 0.3,
            "{l:?}"
        );
        assert!(l[0] < l[1] && l[1] < l[2]);
        assert!((grow.length_at(-0.5).unwrap() - 0.5 * (l[0] + l[1])).abs() < 1e-12);
        assert!(grow.tilt_rad < 0.2 && (grow.radius_um - 0.2).abs() < 0.06);
        let late = m.tracks.iter().find(|t| t.times == vec![0.0, 1.0]).unwrap();
        assert!(late.length_at(-0.6).is_none() && late.length_at(-0.4).is_some());
        let once = m.tracks.iter().find(|t| t.times == vec![-1.0]).unwrap();
        assert!(once.length_at(-0.4).is_none());
        let mut bad = m.clone();
        bad.tracks[0].radius_um = f64::NAN;
        assert!(bad.validate().is_err());
        bad = m.clone();
        bad.tracks_per_sequence = vec![2];
        assert!(bad.validate().is_err());
        bad = m.clone();
        bad.max_bodies = 0;
        assert!(bad.validate().is_err());
    }
}
