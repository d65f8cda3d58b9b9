//! The marching-cubes case table, built from per-face rules rather than typed in.
//!
//! A cube's corners are numbered `c = dx | dy << 1 | dz << 2`. On each of the six faces the
//! iso-contour is a set of segments between edge crossings that depends only on that face's
//! four corner values, so the two cubes sharing a face always agree and the surface has no
//! cracks (the property Lewiner et al. obtain with their case table). An ambiguous face
//! (two diagonal inside corners) is resolved by the asymptotic decider: its two inside
//! corners are joined when the bilinear interpolant's saddle lies inside, which is
//! `w0 * w2 > w1 * w3` for inside corners 0, 2 (values relative to the iso level). The
//! segments of the six faces close into loops around the cube; each loop becomes a fan of
//! triangles ordered so that their normals point from inside (below the level) to outside.
//!
//! The table is indexed by the cube's inside-corner bits and by which of its ambiguous
//! faces are joined (one bit per face), and built once on first use.

use std::sync::OnceLock;

/// Corners of each face, counter-clockwise as seen from outside the cube.
pub(crate) const FACES: [[usize; 4]; 6] = [
    [0, 4, 6, 2], // x = 0
    [1, 3, 7, 5], // x = 1
    [0, 1, 5, 4], // y = 0
    [2, 6, 7, 3], // y = 1
    [0, 2, 3, 1], // z = 0
    [4, 5, 7, 6], // z = 1
];

/// The 12 cube edges as corner pairs: 0..4 along x, 4..8 along y, 8..12 along z.
pub(crate) const EDGES: [[usize; 2]; 12] = [
    [0, 1],
    [2, 3],
    [4, 5],
    [6, 7],
    [0, 2],
    [1, 3],
    [4, 6],
    [5, 7],
    [0, 4],
    [1, 5],
    [2, 6],
    [3, 7],
];

fn edge_of(a: usize, b: usize) -> usize {
    EDGES
        .iter()
        .position(|e| (e[0] == a && e[1] == b) || (e[0] == b && e[1] == a))
        .expect("corners of a face edge")
}

/// Triangle corners at or above this value are not cube edges but the centre vertex of
/// loop `value - CENTRE` of the cube (the mean of that loop's crossings).
pub(crate) const CENTRE: u8 = 12;

/// True when cube edges `a` and `b` lie on a common face.
fn share_face(a: usize, b: usize) -> bool {
    FACES.iter().any(|f| {
        let on = |e: usize| f.contains(&EDGES[e][0]) && f.contains(&EDGES[e][1]);
        on(a) && on(b)
    })
}

/// Triangles (as cube edge ids) for every (case, joined-face bits) combination.
pub(crate) struct CaseTable {
    /// `ambiguous[case]`: bit f set when face f of that case is ambiguous.
    pub ambiguous: [u8; 256],
    /// Start of each entry's triangles in `edges`; entry = case * 64 + joined bits.
    starts: Vec<u32>,
    edges: Vec<u8>,
}

impl CaseTable {
    /// Edge ids of the triangles of `case` with ambiguous faces joined as in `joined`
    /// (bits outside `ambiguous[case]` must be zero); three per triangle.
    #[inline]
    pub fn triangles(&self, case: usize, joined: u8) -> &[u8] {
        let i = case * 64 + joined as usize;
        &self.edges[self.starts[i] as usize..self.starts[i + 1] as usize]
    }
}

/// The table, built on first use.
pub(crate) fn table() -> &'static CaseTable {
    static TABLE: OnceLock<CaseTable> = OnceLock::new();
    TABLE.get_or_init(build)
}

fn build() -> CaseTable {
    let mut ambiguous = [0u8; 256];
    let mut starts = Vec::with_capacity(256 * 64 + 1);
    let mut edges = Vec::new();
    for (case, amb) in ambiguous.iter_mut().enumerate() {
        let inside = |c: usize| case >> c & 1 == 1;
        for (f, face) in FACES.iter().enumerate() {
            let ins: Vec<bool> = face.iter().map(|&c| inside(c)).collect();
            if ins[0] == ins[2] && ins[1] == ins[3] && ins[0] != ins[1] {
                *amb |= 1 << f;
            }
        }
        for joined in 0..64u8 {
            starts.push(edges.len() as u32);
            if joined & !*amb != 0 {
                continue;
            }
            polygonize(case, joined, &mut edges);
        }
    }
    starts.push(edges.len() as u32);
    CaseTable {
        ambiguous,
        starts,
        edges,
    }
}

/// Appends the fan triangles of one cube configuration to `out`.
fn polygonize(case: usize, joined: u8, out: &mut Vec<u8>) {
    let inside = |c: usize| case >> c & 1 == 1;
    // next[e] = the crossing that follows crossing e on its loop.
    let mut next = [usize::MAX; 12];
    for (f, face) in FACES.iter().enumerate() {
        let edge = |i: usize| edge_of(face[i % 4], face[(i + 1) % 4]);
        let entering = |i: usize| !inside(face[i % 4]) && inside(face[(i + 1) % 4]);
        if joined >> f & 1 == 1 {
            // Inside corners face[i], face[i + 2]: walking counter-clockwise, each inside
            // stretch leaves through the edge after the *other* inside corner.
            let i = if inside(face[0]) { 0 } else { 1 };
            next[edge(i + 3)] = edge(i + 2);
            next[edge(i + 1)] = edge(i);
        } else {
            // Each inside stretch of the boundary closes on itself.
            for i in 0..4 {
                if entering(i) {
                    let mut j = i + 1;
                    while inside(face[(j + 1) % 4]) {
                        j += 1;
                    }
                    next[edge(i)] = edge(j);
                }
            }
        }
    }
    let mut seen = [false; 12];
    // Centre markers are numbered densely (CENTRE, CENTRE + 1, ...) over the loops that
    // need one: the mesher numbers each cube's centres in that order.
    let mut centres = 0u8;
    for start in 0..12 {
        if next[start] == usize::MAX || seen[start] {
            continue;
        }
        let mut lp = Vec::new();
        let mut e = start;
        while !seen[e] {
            seen[e] = true;
            lp.push(e);
            e = next[e];
        }
        // Fan from a vertex whose diagonals all cross the cube's interior: a diagonal along
        // a face could be drawn by the neighbouring cube too, making that edge non-manifold.
        // Loops without such a vertex get a centre vertex (marker CENTRE + loop number).
        let n = lp.len();
        match (0..n).find(|&r| (2..n - 1).all(|k| !share_face(lp[r], lp[(r + k) % n]))) {
            Some(start) => {
                for k in 1..n - 1 {
                    out.extend_from_slice(&[
                        lp[start] as u8,
                        lp[(start + k) % n] as u8,
                        lp[(start + k + 1) % n] as u8,
                    ]);
                }
            }
            None => {
                let centre = CENTRE + centres;
                centres += 1;
                for k in 0..n {
                    out.extend_from_slice(&[centre, lp[k] as u8, lp[(k + 1) % n] as u8]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mesher creates centre vertices for markers CENTRE, CENTRE + 1, ... in turn:
    /// every entry must use them densely from CENTRE (a loop fanned without a centre before
    /// one that needs it once produced CENTRE + 1 alone, and a face index past the end).
    #[test]
    fn centre_markers_are_dense_in_every_entry() {
        let t = table();
        for case in 0..256usize {
            for joined in 0..64u8 {
                if joined & !t.ambiguous[case] != 0 {
                    continue;
                }
                let mut used: Vec<u8> = t
                    .triangles(case, joined)
                    .iter()
                    .copied()
                    .filter(|&e| e >= CENTRE)
                    .collect();
                used.sort_unstable();
                used.dedup();
                let want: Vec<u8> = (0..used.len() as u8).map(|k| CENTRE + k).collect();
                assert_eq!(used, want, "case {case} joined {joined:06b}");
            }
        }
    }

    #[test]
    fn every_crossing_edge_is_used_and_empty_cases_have_no_triangles() {
        let t = table();
        assert!(t.triangles(0, 0).is_empty());
        assert!(t.triangles(255, 0).is_empty());
        for case in 1..255usize {
            let crossing: Vec<usize> = (0..12)
                .filter(|&e| (case >> EDGES[e][0] & 1) != (case >> EDGES[e][1] & 1))
                .collect();
            let tris = t.triangles(case, 0);
            assert!(!tris.is_empty(), "case {case}");
            assert!(
                tris.iter().all(|&e| e < CENTRE),
                "case {case} needs no centre"
            );
            for e in crossing {
                assert!(tris.contains(&(e as u8)), "case {case} misses edge {e}");
            }
        }
        // The checkerboard case has all six faces ambiguous.
        assert_eq!(t.ambiguous[0b1001_0110], 0b11_1111);
    }
}
