//! The branches of a mask beyond its body: each connected thin part that touches the body,
//! with its base, tip, length and radius.

use super::body::{body_of, centroid, voxel_point};
use super::model::TubeParams;
use crate::geometry::Vec3;
use crate::volume::{label_components, Connectivity};
use ndarray::{Array3, ArrayView3};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One branch (a filopodium) of a frame. Points in um (x, y, z).
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// Centroid of the branch voxels that touch the body.
    pub base: Vec3,
    /// The branch voxel farthest from the base along the branch.
    pub tip: Vec3,
    /// Length from the body to the tip along the branch (um): the shortest path through the
    /// branch's voxels (26-neighbour steps) from the tip back to the body, smoothed over
    /// five voxels so that its staircase does not count.
    pub length_um: f64,
    /// Radius (um) of a capsule of the branch's volume and length.
    pub radius_um: f64,
}

/// The body and branches of one frame.
#[derive(Debug, Clone)]
pub struct FrameBranches {
    /// Centroid of the body (um, x y z); `None` when the body is empty.
    pub centroid: Option<Vec3>,
    /// Branches at least `min_length_um` long, in scan order of their first voxel.
    pub branches: Vec<Branch>,
    /// Thin parts that do not touch the body (pieces beside the cell).
    pub detached: usize,
    /// Bodies: components of the opened mask ([`super::body::main_components`]).
    pub bodies: usize,
}

/// The branches of `mask` ([z, y, x], spacing in um): the body is the main components
/// ([`super::body::main_components`]) of the mask opened at `params.opening_um`; every
/// 26-connected part of the rest that touches the body and reaches at least
/// `params.min_length_um` from it is a branch (the shorter ones are rims of the body).
pub fn find_branches(
    mask: ArrayView3<bool>,
    spacing_zyx: [f64; 3],
    params: &TubeParams,
) -> FrameBranches {
    let (body, bodies) = body_of(mask, spacing_zyx, params.opening_um, usize::MAX);
    let thin = ndarray::Zip::from(&mask)
        .and(&body)
        .map_collect(|&m, &b| m && !b);
    let (labels, count) = label_components(thin.view(), Connectivity::Full);
    let mut parts: Vec<Vec<[usize; 3]>> = vec![Vec::new(); count];
    for ((z, y, x), &l) in labels.indexed_iter() {
        if l > 0 {
            parts[l as usize - 1].push([z, y, x]);
        }
    }
    let voxel_volume = spacing_zyx.iter().product::<f64>();
    let mut branches = Vec::new();
    let mut detached = 0;
    for voxels in &parts {
        match measure_branch(voxels, &body, spacing_zyx, voxel_volume) {
            Some(b) if b.length_um >= params.min_length_um => branches.push(b),
            Some(_) => {}
            None => detached += 1,
        }
    }
    FrameBranches {
        centroid: centroid(body.view(), spacing_zyx),
        branches,
        detached,
        bodies,
    }
}

/// Neighbour offsets of the 26-neighbourhood.
fn neighbours() -> impl Iterator<Item = [i64; 3]> {
    (0..27)
        .filter(|&k| k != 13)
        .map(|k| [k / 9 - 1, (k / 3) % 3 - 1, k % 3 - 1])
}

/// Base, tip, length and radius of one thin part (`voxels`, [z, y, x] indices); `None` when
/// it does not touch `body`.
fn measure_branch(
    voxels: &[[usize; 3]],
    body: &Array3<bool>,
    h: [f64; 3],
    voxel_volume: f64,
) -> Option<Branch> {
    let dims = body.dim();
    let dims = [dims.0 as i64, dims.1 as i64, dims.2 as i64];
    let step = |v: [usize; 3], o: [i64; 3]| -> Option<[usize; 3]> {
        let w = [v[0] as i64 + o[0], v[1] as i64 + o[1], v[2] as i64 + o[2]];
        (0..3)
            .all(|a| (0..dims[a]).contains(&w[a]))
            .then(|| w.map(|c| c as usize))
    };
    // Local index of every voxel of the part (its bounding box).
    let lo: [usize; 3] = std::array::from_fn(|a| voxels.iter().map(|v| v[a]).min().unwrap_or(0));
    let hi: [usize; 3] = std::array::from_fn(|a| voxels.iter().map(|v| v[a]).max().unwrap_or(0));
    let ext = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
    let mut index = Array3::<u32>::from_elem((ext[0], ext[1], ext[2]), u32::MAX);
    for (i, v) in voxels.iter().enumerate() {
        index[[v[0] - lo[0], v[1] - lo[1], v[2] - lo[2]]] = i as u32;
    }
    let local = |v: [usize; 3]| -> Option<usize> {
        if (0..3).any(|a| v[a] < lo[a] || v[a] > hi[a]) {
            return None;
        }
        let i = index[[v[0] - lo[0], v[1] - lo[1], v[2] - lo[2]]];
        (i != u32::MAX).then_some(i as usize)
    };
    // Dijkstra from the voxels touching the body; distances in um.
    let mut dist = vec![f64::INFINITY; voxels.len()];
    let mut from = vec![usize::MAX; voxels.len()];
    let mut heap = BinaryHeap::new();
    let mut base = [0.0; 3];
    let mut at_base = 0usize;
    for (i, &v) in voxels.iter().enumerate() {
        if neighbours().any(|o| step(v, o).is_some_and(|w| body[w])) {
            dist[i] = 0.0;
            heap.push(Reverse((0u64, i)));
            let p = voxel_point(v, h);
            (0..3).for_each(|a| base[a] += p[a]);
            at_base += 1;
        }
    }
    if at_base == 0 {
        return None;
    }
    base = base.map(|c| c / at_base as f64);
    while let Some(Reverse((bits, i))) = heap.pop() {
        let d = f64::from_bits(bits);
        if d > dist[i] {
            continue;
        }
        for o in neighbours() {
            let Some(w) = step(voxels[i], o) else {
                continue;
            };
            let Some(j) = local(w) else { continue };
            let len = ((o[0] as f64 * h[0]).powi(2)
                + (o[1] as f64 * h[1]).powi(2)
                + (o[2] as f64 * h[2]).powi(2))
            .sqrt();
            if d + len < dist[j] {
                dist[j] = d + len;
                from[j] = i;
                // Non-negative f64s order as their bits do.
                heap.push(Reverse(((d + len).to_bits(), j)));
            }
        }
    }
    let (tip, _) = dist
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_finite())
        .fold((0, 0.0), |b, (i, &d)| if d > b.1 { (i, d) } else { b });
    let mut path = vec![voxel_point(voxels[tip], h)];
    let mut at = tip;
    while from[at] != usize::MAX {
        at = from[at];
        path.push(voxel_point(voxels[at], h));
    }
    let length = smoothed_length(&path, 2);
    // Capsule of length L (centre line) and radius r: pi r^2 L + 4/3 pi r^3.
    let volume = voxels.len() as f64 * voxel_volume;
    let mut r = (volume / (std::f64::consts::PI * length.max(1e-9))).sqrt();
    for _ in 0..20 {
        let rest = (volume - 4.0 / 3.0 * std::f64::consts::PI * r.powi(3)).max(0.0);
        r = 0.5 * r + 0.5 * (rest / (std::f64::consts::PI * length.max(1e-9))).sqrt();
    }
    Some(Branch {
        base,
        tip: voxel_point(voxels[tip], h),
        length_um: length,
        radius_um: r,
    })
}

/// Length (um) of the polyline `path` after a moving average over `half` points on each
/// side (shrinking windows at the ends, which stay in place).
fn smoothed_length(path: &[Vec3], half: usize) -> f64 {
    let n = path.len();
    let smooth: Vec<Vec3> = (0..n)
        .map(|i| {
            let w = half.min(i).min(n - 1 - i);
            let pts = &path[i - w..=i + w];
            let mut m = [0.0; 3];
            for p in pts {
                (0..3).for_each(|a| m[a] += p[a] / pts.len() as f64);
            }
            m
        })
        .collect();
    smooth
        .windows(2)
        .map(|w| crate::geometry::norm(crate::geometry::sub(w[1], w[0])))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{norm, sub};

    /// A ball (radius 2 um) with a rod of radius 0.2 um reaching from its surface 2.5 um out
    /// along x and a detached small ball: one branch, based on the surface, length and
    /// radius of the rod within a voxel, its tip at the rod's end; one detached piece.
    #[test]
    fn a_rod_on_a_ball_is_one_branch_of_its_length_and_radius() {
        let (n, h) = (85usize, 0.1);
        let mask = Array3::from_shape_fn((n, n, n), |(z, y, x)| {
            let (px, py, pz) = (x as f64 * h, y as f64 * h, z as f64 * h);
            let b = (px - 3.0).powi(2) + (py - 3.0).powi(2) + (pz - 3.0).powi(2) <= 4.0;
            let rod = (3.0..=7.5).contains(&px) && (py - 3.0).hypot(pz - 3.0) <= 0.2;
            let piece = (px - 3.0).powi(2) + (py - 6.0).powi(2) + (pz - 6.0).powi(2) <= 0.04;
            b || rod || piece
        });
        let params = TubeParams::default();
        let f = find_branches(mask.view(), [h; 3], &params);
        assert_eq!(f.branches.len(), 1, "{:?}", f.branches);
        assert_eq!(f.detached, 1);
        let b = &f.branches[0];
        // The opened body's surface is within a voxel or two of the ball's (x = 5.0).
        assert!((b.base[0] - 5.0).abs() < 0.35, "base {:?}", b.base);
        // The farthest voxel lies on the rod's end face (radius 0.2 um).
        assert!(norm(sub(b.tip, [7.5, 3.0, 3.0])) < 0.25, "tip {:?}", b.tip);
        assert!((b.length_um - 2.5).abs() < 0.35, "length {}", b.length_um);
        assert!((b.radius_um - 0.2).abs() < 0.06, "radius {}", b.radius_um);
        let c = f.centroid.unwrap();
        assert!(norm(sub(c, [3.0, 3.0, 3.0])) < 0.05);
    }
}
