//! The cell body of a mask: its opening with a ball, and its main components.

use crate::geometry::Vec3;
use crate::sdf::distance;
use crate::volume::{label_components, Connectivity};
use ndarray::{Array3, ArrayView3, Zip};

/// The opening of `mask` ([z, y, x], spacing in um) with a ball of radius `radius_um`: the
/// voxels within `radius_um` of a voxel that lies deeper than `radius_um` inside the mask
/// (voxels beyond the array's edge count as background). Thin parts -- filopodia, rims --
/// go; the body stays. A subset of `mask`.
pub fn open_with_ball(
    mask: ArrayView3<bool>,
    spacing_zyx: [f64; 3],
    radius_um: f64,
) -> Array3<bool> {
    let dims = mask.dim();
    let mut depth = distance(mask, spacing_zyx, |&m| !m);
    let edge = |i: usize, n: usize, h: f64| (i.min(n - 1 - i) + 1) as f64 * h;
    Zip::indexed(&mut depth).par_for_each(|(z, y, x), d| {
        let e = edge(z, dims.0, spacing_zyx[0])
            .min(edge(y, dims.1, spacing_zyx[1]))
            .min(edge(x, dims.2, spacing_zyx[2]));
        *d = d.min(e);
    });
    let core = depth.mapv(|d| d > radius_um);
    let reach = distance(core.view(), spacing_zyx, |&c| c);
    let mut out = Array3::from_elem(dims, false);
    Zip::from(&mut out)
        .and(&mask)
        .and(&reach)
        .par_for_each(|o, &m, &r| *o = m && r <= radius_um);
    out
}

/// Share of the largest body a separate body needs to count as one: two daughter cells
/// count, pieces beside a cell do not.
const BODY_MIN_SHARE: f64 = 0.25;

/// The bodies of `mask`: its 26-connected components with at least a quarter
/// (`BODY_MIN_SHARE`) of the largest one's voxels, at most `max_count` of them (the largest;
/// ties to the first in scan order). Returns the kept voxels and how many components
/// qualified before the cap (0 when the mask is empty).
pub fn main_components(mask: ArrayView3<bool>, max_count: usize) -> (Array3<bool>, usize) {
    let (labels, count) = label_components(mask, Connectivity::Full);
    let mut sizes = vec![0usize; count + 1];
    for &l in labels.iter() {
        sizes[l as usize] += 1;
    }
    let largest = sizes[1..].iter().copied().max().unwrap_or(0);
    let mut qualified: Vec<usize> = (1..=count)
        .filter(|&l| sizes[l] as f64 >= BODY_MIN_SHARE * largest as f64)
        .collect();
    let n = qualified.len();
    qualified.sort_by_key(|&l| (std::cmp::Reverse(sizes[l]), l));
    let mut keep = vec![false; count + 1];
    for &l in qualified.iter().take(max_count) {
        keep[l] = true;
    }
    (labels.mapv(|l| keep[l as usize]), n)
}

/// The body of `mask` ([z, y, x], spacing in um): the main components of its opening with
/// a ball of `opening_um`, at most `max_bodies` ([`open_with_ball`], [`main_components`]),
/// and how many qualified.
pub fn body_of(
    mask: ArrayView3<bool>,
    spacing_zyx: [f64; 3],
    opening_um: f64,
    max_bodies: usize,
) -> (Array3<bool>, usize) {
    main_components(
        open_with_ball(mask, spacing_zyx, opening_um).view(),
        max_bodies,
    )
}

/// Centre (um, x y z) of voxel `v` ([z, y, x] indices).
pub(super) fn voxel_point(v: [usize; 3], spacing_zyx: [f64; 3]) -> Vec3 {
    [
        v[2] as f64 * spacing_zyx[2],
        v[1] as f64 * spacing_zyx[1],
        v[0] as f64 * spacing_zyx[0],
    ]
}

/// The voxel ([z, y, x] indices) whose centre is nearest `p` (um, x y z), `None` outside a
/// grid of `dims` voxels.
pub(super) fn nearest_voxel(
    p: Vec3,
    spacing_zyx: [f64; 3],
    dims: [usize; 3],
) -> Option<[usize; 3]> {
    let i = [
        p[2] / spacing_zyx[0],
        p[1] / spacing_zyx[1],
        p[0] / spacing_zyx[2],
    ]
    .map(f64::round);
    (0..3)
        .all(|a| i[a] >= 0.0 && (i[a] as usize) < dims[a])
        .then(|| i.map(|v| v as usize))
}

/// Centroid (um, x y z) of the true voxels of `mask`, `None` when there are none.
pub fn centroid(mask: ArrayView3<bool>, spacing_zyx: [f64; 3]) -> Option<[f64; 3]> {
    let mut s = [0.0; 3];
    let mut n = 0usize;
    for ((z, y, x), &m) in mask.indexed_iter() {
        if m {
            s[0] += x as f64;
            s[1] += y as f64;
            s[2] += z as f64;
            n += 1;
        }
    }
    (n > 0).then(|| {
        [
            s[0] / n as f64 * spacing_zyx[2],
            s[1] / n as f64 * spacing_zyx[1],
            s[2] / n as f64 * spacing_zyx[0],
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ball(h: f64, c: [f64; 3], r: f64) -> impl Fn(usize, usize, usize) -> bool {
        move |z, y, x| {
            let p = [
                x as f64 * h - c[0],
                y as f64 * h - c[1],
                z as f64 * h - c[2],
            ];
            p[0] * p[0] + p[1] * p[1] + p[2] * p[2] <= r * r
        }
    }

    /// A ball of radius 2 um with a rod of radius 0.2 um sticking out: opening at 0.5 um
    /// keeps the ball (within a voxel of its volume) and removes every rod voxel farther
    /// than 0.5 um from the ball.
    #[test]
    fn opening_removes_a_thin_rod_and_keeps_the_ball() {
        let (n, h) = (60usize, 0.1);
        let inside_ball = ball(h, [3.0, 3.0, 3.0], 2.0);
        let mask = Array3::from_shape_fn((n, n, n), |(z, y, x)| {
            let (px, py, pz) = (x as f64 * h, y as f64 * h, z as f64 * h);
            let rod = (3.0..=5.8).contains(&px) && (py - 3.0).hypot(pz - 3.0) <= 0.2;
            inside_ball(z, y, x) || rod
        });
        let body = open_with_ball(mask.view(), [h; 3], 0.5);
        let ball_voxels = Array3::from_shape_fn((n, n, n), |(z, y, x)| inside_ball(z, y, x));
        let lost = Zip::from(&ball_voxels)
            .and(&body)
            .fold(0usize, |a, &b, &o| a + (b && !o) as usize);
        let kept_rod = body
            .indexed_iter()
            .filter(|&((_, _, x), &o)| o && x as f64 * h > 5.5)
            .count();
        let total = ball_voxels.iter().filter(|&&b| b).count();
        assert!(lost * 100 < total, "{lost} of {total} ball voxels lost");
        assert_eq!(kept_rod, 0);
        assert!(Zip::from(&body).and(&mask).all(|&o, &m| !o || m));
    }

    /// A ball of an eighth of the big one's volume is a piece and goes; two equal balls
    /// (daughter cells) both stay, unless one body is asked for.
    #[test]
    fn main_components_drop_a_piece_and_keep_two_daughters() {
        let n = 40;
        let big = ball(1.0, [10.0, 20.0, 20.0], 6.0);
        let small = ball(1.0, [30.0, 20.0, 20.0], 3.0);
        let twin = ball(1.0, [28.0, 20.0, 20.0], 6.0);
        let mask = Array3::from_shape_fn((n, n, n), |(z, y, x)| big(z, y, x) || small(z, y, x));
        let (kept, bodies) = main_components(mask.view(), 2);
        assert_eq!(bodies, 1);
        assert!(kept[[20, 20, 10]] && !kept[[20, 20, 30]]);
        let c = centroid(kept.view(), [1.0; 3]).unwrap();
        assert!((c[0] - 10.0).abs() < 1e-9 && (c[1] - 20.0).abs() < 1e-9);
        let pair = Array3::from_shape_fn((n, n, n), |(z, y, x)| big(z, y, x) || twin(z, y, x));
        assert_eq!(main_components(pair.view(), 2), (pair.clone(), 2));
        let (one, bodies) = main_components(pair.view(), 1);
        assert_eq!(bodies, 2);
        assert_eq!(
            one.iter().filter(|&&v| v).count() * 2,
            pair.iter().filter(|&&v| v).count()
        );
        let (none, bodies) = main_components(Array3::from_elem((3, 3, 3), false).view(), 1);
        assert!(bodies == 0 && none.iter().all(|&v| !v));
    }
}
