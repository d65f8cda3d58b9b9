//! New tubes from a tube model, and a rendered frame made into body plus tubes.

use super::body::{body_of, centroid, nearest_voxel, voxel_point};
use super::model::TubeModel;
use crate::geometry::{add, cross, dot, norm, normalize, scale, sub, Vec3};
use ndarray::{Array3, ArrayView3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// A tube of a new sequence: which training track gives its length over time and radius,
/// where it leaves the body and where it points.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnTube {
    /// Index into the model's tracks.
    pub track: usize,
    /// Unit direction from the body's centroid to the tube's base.
    pub outward: Vec3,
    /// Unit direction of the tube, `outward` turned by the track's tilt.
    pub heading: Vec3,
}

fn unit_vector(rng: &mut ChaCha8Rng) -> Vec3 {
    loop {
        let v: Vec3 = [(); 3].map(|_| rng.sample::<f64, _>(StandardNormal));
        let n = norm(v);
        if n > 1e-6 {
            return scale(v, 1.0 / n);
        }
    }
}

/// The seed of a sequence's tubes: stream 2 of the sequence's own seed (the seed its code
/// was drawn with; an evaluation draws its frame times from stream 1), so a sequence's
/// tubes come back with its code.
pub fn tube_seed(sequence_seed: u64) -> u64 {
    crate::seed::stream_seed(sequence_seed, 2)
}

/// The tubes of one new sequence, reproducible from `seed`: as many as a training sequence
/// drawn at random has tracks; each takes a track drawn from all of them (its lengths over
/// time, radius and tilt) and a base direction uniform on the sphere.
pub fn draw_tubes(model: &TubeModel, seed: u64) -> Vec<DrawnTube> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    if model.tracks.is_empty() || model.tracks_per_sequence.is_empty() {
        return Vec::new();
    }
    let count = model.tracks_per_sequence[rng.random_range(0..model.tracks_per_sequence.len())];
    (0..count)
        .map(|_| {
            let track = rng.random_range(0..model.tracks.len());
            let outward = unit_vector(&mut rng);
            // A random direction across `outward` to tilt towards.
            let across = loop {
                let c = cross(outward, unit_vector(&mut rng));
                if norm(c) > 1e-3 {
                    break normalize(c);
                }
            };
            let tilt = model.tracks[track].tilt_rad;
            let heading = add(scale(outward, tilt.cos()), scale(across, tilt.sin()));
            DrawnTube {
                track,
                outward,
                heading,
            }
        })
        .collect()
}

/// The cell of a rendered frame `mask` ([z, y, x], spacing in um) with its filopodia as
/// tubes: the body ([`super::body::body_of`] at the model's opening radius, at most its
/// `max_bodies`) and every tube of `tubes` alive at model time `t`. A tube starts inside
/// the body, where the ray from the body's centroid along its outward
/// direction leaves the body, and runs along its heading for its track's length (plus a
/// hemispherical cap); a ray that meets no body draws no tube. Tubes are clipped at the
/// grid's edge. An empty body gives an empty frame.
pub fn with_tubes(
    mask: ArrayView3<bool>,
    spacing_zyx: [f64; 3],
    model: &TubeModel,
    tubes: &[DrawnTube],
    t: f64,
) -> Array3<bool> {
    let (mut cell, _) = body_of(mask, spacing_zyx, model.params.opening_um, model.max_bodies);
    let Some(c) = centroid(cell.view(), spacing_zyx) else {
        return cell;
    };
    let h_min = spacing_zyx.iter().cloned().fold(f64::INFINITY, f64::min);
    let h_max = spacing_zyx.iter().cloned().fold(0.0, f64::max);
    let (nz, ny, nx) = cell.dim();
    let dims = [nz, ny, nx];
    let extent = norm(voxel_point(dims, spacing_zyx));
    let mut segments = Vec::new();
    for tube in tubes {
        let track = &model.tracks[tube.track];
        let Some(length) = track.length_at(t) else {
            continue;
        };
        // The last point inside the body on the ray from the centroid.
        let mut surface = None;
        let mut s = 0.0;
        while s < extent {
            let p = add(c, scale(tube.outward, s));
            match nearest_voxel(p, spacing_zyx, dims) {
                Some(v) if cell[v] => surface = Some(p),
                Some(_) if surface.is_some() => break,
                None => break,
                _ => {}
            }
            s += 0.5 * h_min;
        }
        let Some(surface) = surface else { continue };
        let r = track.radius_um;
        let start = sub(surface, scale(tube.outward, r + h_max));
        let end = add(surface, scale(tube.heading, length));
        segments.push((start, end, r));
    }
    for (a, b, r) in segments {
        paint_capsule(&mut cell, spacing_zyx, a, b, r);
    }
    cell
}

/// Sets every voxel whose centre lies within `r` of the segment `a`-`b` (um), and the voxel
/// nearest each point of the segment, so that a tube thinner than the voxels stays one
/// 26-connected line.
fn paint_capsule(cell: &mut Array3<bool>, h: [f64; 3], a: Vec3, b: Vec3, r: f64) {
    let (nz, ny, nx) = cell.dim();
    let n = [nz, ny, nx];
    let (zyx_a, zyx_b) = ([a[2], a[1], a[0]], [b[2], b[1], b[0]]);
    let range = |axis: usize| {
        let lo = (zyx_a[axis].min(zyx_b[axis]) - r) / h[axis];
        let hi = (zyx_a[axis].max(zyx_b[axis]) + r) / h[axis];
        let lo = lo.floor().max(0.0) as usize;
        let hi = (hi.ceil().max(-1.0) + 1.0).min(n[axis] as f64) as usize;
        lo..hi.max(lo)
    };
    let ab = sub(b, a);
    let ab2 = dot(ab, ab).max(1e-18);
    for z in range(0) {
        for y in range(1) {
            for x in range(2) {
                let p = voxel_point([z, y, x], h);
                let f = (dot(sub(p, a), ab) / ab2).clamp(0.0, 1.0);
                let q = sub(p, add(a, scale(ab, f)));
                if dot(q, q) <= r * r {
                    cell[[z, y, x]] = true;
                }
            }
        }
    }
    let h_min = h.iter().cloned().fold(f64::INFINITY, f64::min);
    let steps = (norm(ab) / (0.5 * h_min)).ceil() as usize;
    for k in 0..=steps {
        let p = add(a, scale(ab, k as f64 / steps.max(1) as f64));
        if let Some(v) = nearest_voxel(p, h, n) {
            cell[v] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filopodia::{find_branches, TubeParams, TubeTrack};
    use crate::volume::{label_components, Connectivity};

    fn model(lengths: &[f64], tilt: f64) -> TubeModel {
        TubeModel {
            params: TubeParams::default(),
            tracks: lengths
                .iter()
                .map(|&l| TubeTrack {
                    times: vec![-1.0, 1.0],
                    lengths_um: vec![l, l],
                    radius_um: 0.15,
                    tilt_rad: tilt,
                    half_step: 1.0,
                })
                .collect(),
            tracks_per_sequence: vec![lengths.len()],
            max_bodies: 1,
        }
    }

    /// Tubes drawn onto a ball with a detached piece beside it: the piece goes, the result
    /// is one component, and the branches found in it have the drawn count, lengths and
    /// radius (measured back by `find_branches`, within a voxel or two).
    #[test]
    fn drawn_tubes_are_attached_and_measure_back() {
        let (n, h) = (90usize, 0.1);
        let mask = Array3::from_shape_fn((n, n, n), |(z, y, x)| {
            let p = [x as f64 * h - 4.5, y as f64 * h - 4.5, z as f64 * h - 4.5];
            let r2 = p.iter().map(|v| v * v).sum::<f64>();
            let piece = (p[0] - 3.5).powi(2) + (p[1] - 3.5).powi(2) + p[2].powi(2) <= 0.09;
            r2 <= 2.0f64.powi(2) || piece
        });
        let m = model(&[1.5, 2.0], 0.3);
        // Seeds until the two tubes lie apart (their measured branches stay separate).
        let seed = (0..50)
            .find(|&s| {
                let t = draw_tubes(&m, s);
                t.len() == 2 && dot(t[0].outward, t[1].outward) < 0.0
            })
            .unwrap();
        let tubes = draw_tubes(&m, seed);
        assert_eq!(tubes, draw_tubes(&m, seed));
        for t in &tubes {
            assert!((dot(t.outward, t.heading) - 0.3f64.cos()).abs() < 1e-9);
        }
        let cell = with_tubes(mask.view(), [h; 3], &m, &tubes, 0.0);
        let (_, pieces) = label_components(cell.view(), Connectivity::Full);
        assert_eq!(pieces, 1);
        let found = find_branches(cell.view(), [h; 3], &TubeParams::default());
        let mut lengths: Vec<f64> = found.branches.iter().map(|b| b.length_um).collect();
        lengths.sort_by(f64::total_cmp);
        assert_eq!(lengths.len(), 2, "{lengths:?}");
        assert!(
            (lengths[0] - 1.5).abs() < 0.3 && (lengths[1] - 2.0).abs() < 0.3,
            "{lengths:?}"
        );
        for b in &found.branches {
            assert!((b.radius_um - 0.15).abs() < 0.06, "radius {}", b.radius_um);
        }
        // Beyond the tracks' times (1 + half a step) no tube is drawn.
        let late = with_tubes(mask.view(), [h; 3], &m, &tubes, 2.5);
        assert!(find_branches(late.view(), [h; 3], &TubeParams::default())
            .branches
            .is_empty());
    }
}
