//! Marching cubes on a scalar volume, parallel over z with rayon.
//!
//! Vertices lie on the grid edges where the field crosses the level (linear interpolation),
//! one vertex per crossing edge shared by every triangle that uses it, so the mesh is welded
//! by construction. Positions are (x, y, z) in micrometres with voxel (0, 0, 0)'s centre at
//! the origin and voxel (z, y, x)'s centre at (x * sx, y * sy, z * sz), as napari and
//! scikit-image place them. Inside is `value < level`; triangles are ordered so that their
//! normals point towards larger values (outwards for an SDF, negative inside), and vertex
//! normals are the normalised field gradient (central differences, in physical units).
//!
//! Work is split into three parallel passes: count the crossings of each z plane, write
//! each plane's vertices into its slice of the vertex array, and triangulate each layer of
//! cubes (between planes k and k + 1) with per-thread rank maps that turn a grid edge into
//! its global vertex index. Memory beyond the mesh is O(ny * nx) per thread.

use super::cases::{table, CENTRE, EDGES, FACES};
use super::Mesh;
use crate::error::{Error, Result};
use crate::volume::PARALLEL_MIN_VOXELS;
use ndarray::ArrayView3;
use rayon::prelude::*;

/// Triangulates the `level` iso-surface of `field` ([z, y, x]) with voxel spacing
/// `spacing_zyx` (um). NaN values are treated as outside. Errors when the volume has fewer
/// than 2 voxels along an axis or the spacing is not positive.
pub fn marching_cubes(field: ArrayView3<f32>, spacing_zyx: [f64; 3], level: f32) -> Result<Mesh> {
    let (nz, ny, nx) = field.dim();
    if nz < 2 || ny < 2 || nx < 2 {
        return Err(Error::invalid(
            "volume",
            format!("marching cubes needs at least 2 voxels along each axis, got {nz}x{ny}x{nx} (z, y, x)"),
        ));
    }
    if !spacing_zyx.iter().all(|s| s.is_finite() && *s > 0.0) {
        return Err(Error::invalid("voxel size", "spacing must be positive"));
    }
    if !level.is_finite() {
        return Err(Error::invalid(
            "level",
            "the iso level must be a finite number",
        ));
    }
    let owned;
    let data: &[f32] = match field.as_slice() {
        Some(s) => s,
        None => {
            owned = field.as_standard_layout().to_owned();
            owned.as_slice().expect("standard layout")
        }
    };
    // Small volumes stay on the calling thread (see PARALLEL_MIN_VOXELS).
    let min_planes = (PARALLEL_MIN_VOXELS / (ny * nx)).max(1);
    let flags: Vec<u8> = data
        .par_iter()
        .with_min_len(PARALLEL_MIN_VOXELS)
        .map(|&v| (v < level) as u8)
        .collect();
    let grid = Grid {
        data,
        flags: &flags,
        nz,
        ny,
        nx,
        level,
        spacing: spacing_zyx,
    };

    // Pass 1: crossings per plane, and each plane's first vertex index.
    let counts: Vec<usize> = (0..nz)
        .into_par_iter()
        .with_min_len(min_planes)
        .map(|k| grid.plane_count(k))
        .collect();
    let mut offsets = Vec::with_capacity(nz + 1);
    offsets.push(0usize);
    for c in &counts {
        offsets.push(offsets.last().unwrap() + c);
    }
    let total = offsets[nz];
    if total >= EXTRA as usize {
        return Err(Error::invalid(
            "volume",
            "the surface has more than 2^31 vertices",
        ));
    }

    // Pass 2: vertices and normals, each plane into its own slice.
    let mut vertices = vec![[0f32; 3]; total];
    let mut normals = vec![[0f32; 3]; total];
    {
        let mut vs: Vec<&mut [[f32; 3]]> = Vec::with_capacity(nz);
        let mut ns: Vec<&mut [[f32; 3]]> = Vec::with_capacity(nz);
        let (mut vrest, mut nrest) = (&mut vertices[..], &mut normals[..]);
        for c in &counts {
            let (a, b) = vrest.split_at_mut(*c);
            vs.push(a);
            vrest = b;
            let (a, b) = nrest.split_at_mut(*c);
            ns.push(a);
            nrest = b;
        }
        vs.into_par_iter()
            .zip(ns)
            .with_min_len(min_planes)
            .enumerate()
            .for_each(|(k, (v, n))| grid.plane_vertices(k, v, n));
    }

    // Pass 3: triangles of each layer of cubes. Loop centres (rare) are numbered after the
    // edge vertices, layer by layer.
    let cases = table();
    let chunk = (nz - 1)
        .div_ceil(4 * rayon::current_num_threads())
        .max(min_planes);
    let starts: Vec<usize> = (0..nz - 1).step_by(chunk).collect();
    let layers: Vec<Layer> = starts
        .into_par_iter()
        .flat_map_iter(|first| {
            // Each task walks its layers upwards, reusing the upper plane's ranks as the
            // next layer's lower ones.
            let (mut lower, mut upper) = (Ranks::new(ny, nx), Ranks::new(ny, nx));
            grid.plane_ranks(first, offsets[first] as u32, &mut lower);
            let mut out = Vec::new();
            for k in first..(first + chunk).min(nz - 1) {
                grid.plane_ranks(k + 1, offsets[k + 1] as u32, &mut upper);
                out.push(grid.layer_triangles(k, &lower, &upper, cases, (&vertices, &normals)));
                std::mem::swap(&mut lower, &mut upper);
            }
            out
        })
        .collect();
    let mut faces = Vec::with_capacity(layers.iter().map(|l| l.faces.len()).sum());
    for layer in layers {
        let base = vertices.len() as u32;
        faces.extend(layer.faces.into_iter().map(|f| {
            f.map(|i| {
                if i & EXTRA != 0 {
                    base + (i & !EXTRA)
                } else {
                    i
                }
            })
        }));
        vertices.extend(layer.centres);
        normals.extend(layer.centre_normals);
    }
    if vertices.len() >= EXTRA as usize {
        return Err(Error::invalid(
            "volume",
            "the surface has more than 2^31 vertices",
        ));
    }
    Ok(Mesh {
        vertices,
        normals,
        faces,
    })
}

/// Marks a per-layer centre vertex index before renumbering.
const EXTRA: u32 = 1 << 31;

/// Triangles of one layer of cubes, plus the loop-centre vertices they introduced.
struct Layer {
    faces: Vec<[u32; 3]>,
    centres: Vec<[f32; 3]>,
    centre_normals: Vec<[f32; 3]>,
}

struct Grid<'a> {
    data: &'a [f32],
    /// 1 where the voxel is inside (value < level), else 0.
    flags: &'a [u8],
    nz: usize,
    ny: usize,
    nx: usize,
    level: f32,
    spacing: [f64; 3],
}

/// Global vertex index of each crossing edge of one plane.
struct Ranks {
    x: Vec<u32>,
    y: Vec<u32>,
    z: Vec<u32>,
}

impl Ranks {
    fn new(ny: usize, nx: usize) -> Self {
        Ranks {
            x: vec![u32::MAX; ny * nx],
            y: vec![u32::MAX; ny * nx],
            z: vec![u32::MAX; ny * nx],
        }
    }
}

impl Grid<'_> {
    #[inline]
    fn at(&self, z: usize, y: usize, x: usize) -> f32 {
        self.data[(z * self.ny + y) * self.nx + x]
    }

    /// Calls `f(axis, y, x)` for each crossing edge of plane k in the order that numbers
    /// its vertices: edges along x, then along y, then along z (to plane k + 1).
    #[inline]
    fn for_each_crossing(&self, k: usize, mut f: impl FnMut(usize, usize, usize)) {
        let (ny, nx) = (self.ny, self.nx);
        let plane = &self.flags[k * ny * nx..(k + 1) * ny * nx];
        for y in 0..ny {
            let row = &plane[y * nx..(y + 1) * nx];
            for (x, pair) in row.windows(2).enumerate() {
                if pair[0] != pair[1] {
                    f(0, y, x);
                }
            }
        }
        for y in 0..ny - 1 {
            let (r0, r1) = (
                &plane[y * nx..(y + 1) * nx],
                &plane[(y + 1) * nx..(y + 2) * nx],
            );
            for (x, (a, b)) in r0.iter().zip(r1).enumerate() {
                if a != b {
                    f(1, y, x);
                }
            }
        }
        if k + 1 < self.nz {
            let next = &self.flags[(k + 1) * ny * nx..(k + 2) * ny * nx];
            for (i, (a, b)) in plane.iter().zip(next).enumerate() {
                if a != b {
                    f(2, i / nx, i % nx);
                }
            }
        }
    }

    fn plane_count(&self, k: usize) -> usize {
        let mut n = 0;
        self.for_each_crossing(k, |_, _, _| n += 1);
        n
    }

    /// Fills the ranks of plane k's crossing edges (entries of other edges keep stale
    /// values: triangles only ever look up crossing edges).
    fn plane_ranks(&self, k: usize, first: u32, ranks: &mut Ranks) {
        let nx = self.nx;
        let mut r = first;
        self.for_each_crossing(k, |axis, y, x| {
            let map = match axis {
                0 => &mut ranks.x,
                1 => &mut ranks.y,
                _ => &mut ranks.z,
            };
            map[y * nx + x] = r;
            r += 1;
        });
    }

    /// Field gradient (per um) at a grid point, in (x, y, z) order.
    fn gradient(&self, z: usize, y: usize, x: usize) -> [f64; 3] {
        let d = |lo: f32, hi: f32, steps: usize, h: f64| (hi - lo) as f64 / (steps as f64 * h);
        let diff = |n: usize, i: usize, get: &dyn Fn(usize) -> f32, h: f64| {
            let (a, b) = (i.saturating_sub(1), (i + 1).min(n - 1));
            d(get(a), get(b), b - a, h)
        };
        [
            diff(self.nx, x, &|i| self.at(z, y, i), self.spacing[2]),
            diff(self.ny, y, &|i| self.at(z, i, x), self.spacing[1]),
            diff(self.nz, z, &|i| self.at(i, y, x), self.spacing[0]),
        ]
    }

    fn plane_vertices(&self, k: usize, verts: &mut [[f32; 3]], normals: &mut [[f32; 3]]) {
        let mut i = 0;
        let s = self.spacing;
        self.for_each_crossing(k, |axis, y, x| {
            let a = [k, y, x];
            let mut b = a;
            b[2 - axis] += 1;
            let (va, vb) = (self.at(a[0], a[1], a[2]), self.at(b[0], b[1], b[2]));
            let (wa, wb) = ((va - self.level) as f64, (vb - self.level) as f64);
            let t = if wa.is_finite() && wb.is_finite() && wa != wb {
                (wa / (wa - wb)).clamp(0.0, 1.0)
            } else {
                0.5
            };
            let mut p = [x as f64 * s[2], y as f64 * s[1], k as f64 * s[0]];
            p[axis] += t * s[2 - axis];
            let (ga, gb) = (
                self.gradient(a[0], a[1], a[2]),
                self.gradient(b[0], b[1], b[2]),
            );
            let g: Vec<f64> = (0..3).map(|j| ga[j] + t * (gb[j] - ga[j])).collect();
            let len = (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt();
            verts[i] = [p[0] as f32, p[1] as f32, p[2] as f32];
            normals[i] = if len > 0.0 && len.is_finite() {
                [
                    (g[0] / len) as f32,
                    (g[1] / len) as f32,
                    (g[2] / len) as f32,
                ]
            } else {
                [0.0; 3]
            };
            i += 1;
        });
        debug_assert_eq!(i, verts.len());
    }

    fn layer_triangles(
        &self,
        k: usize,
        lower: &Ranks,
        upper: &Ranks,
        cases: &super::cases::CaseTable,
        edge_vertices: (&[[f32; 3]], &[[f32; 3]]),
    ) -> Layer {
        let (ny, nx) = (self.ny, self.nx);
        let mut layer = Layer {
            faces: Vec::new(),
            centres: Vec::new(),
            centre_normals: Vec::new(),
        };
        let mut w = [0f32; 8];
        for y in 0..ny - 1 {
            for x in 0..nx - 1 {
                let f = &self.flags;
                let (r00, r01) = ((k * ny + y) * nx + x, (k * ny + y + 1) * nx + x);
                let (r10, r11) = (r00 + ny * nx, r01 + ny * nx);
                let case = (f[r00] | f[r00 + 1] << 1 | f[r01] << 2 | f[r01 + 1] << 3) as usize
                    | ((f[r10] | f[r10 + 1] << 1 | f[r11] << 2 | f[r11 + 1] << 3) as usize) << 4;
                if case == 0 || case == 255 {
                    continue;
                }
                let mut joined = 0u8;
                let amb = cases.ambiguous[case];
                if amb != 0 {
                    for (c, wc) in w.iter_mut().enumerate() {
                        *wc = self.at(k + (c >> 2), y + (c >> 1 & 1), x + (c & 1)) - self.level;
                    }
                    for (f, face) in FACES.iter().enumerate() {
                        if amb >> f & 1 == 1 {
                            let [a, b, c, d] = face.map(|i| w[i]);
                            // Inside diagonal first: joined when the saddle is inside.
                            let (p, q) = if case >> face[0] & 1 == 1 {
                                (a * c, b * d)
                            } else {
                                (b * d, a * c)
                            };
                            if p > q {
                                joined |= 1 << f;
                            }
                        }
                    }
                }
                let index = |e: u8| -> u32 {
                    let [c0, _] = EDGES[e as usize];
                    let (dx, dy, dz) = (c0 & 1, c0 >> 1 & 1, c0 >> 2);
                    let plane = if dz == 0 { lower } else { upper };
                    let at = (y + dy) * nx + x + dx;
                    match e {
                        0..=3 => plane.x[at],
                        4..=7 => plane.y[at],
                        _ => lower.z[at],
                    }
                };
                let tris = cases.triangles(case, joined);
                let first_centre = layer.centres.len() as u32;
                for tri in tris.chunks_exact(3) {
                    layer.faces.push([tri[0], tri[1], tri[2]].map(|e| {
                        if e >= CENTRE {
                            EXTRA | (first_centre + (e - CENTRE) as u32)
                        } else {
                            index(e)
                        }
                    }));
                }
                // Centre vertices: mean position and normal of their loop's crossings.
                let mut marker = CENTRE;
                while tris.contains(&marker) {
                    let (mut p, mut n, mut count) = ([0f64; 3], [0f64; 3], 0.0);
                    for tri in tris.chunks_exact(3).filter(|t| t[0] == marker) {
                        let i = index(tri[1]) as usize;
                        for j in 0..3 {
                            p[j] += edge_vertices.0[i][j] as f64;
                            n[j] += edge_vertices.1[i][j] as f64;
                        }
                        count += 1.0;
                    }
                    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt().max(1e-30);
                    layer.centres.push(p.map(|c| (c / count) as f32));
                    layer.centre_normals.push(n.map(|c| (c / len) as f32));
                    marker += 1;
                }
            }
        }
        layer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;
    use rand::{Rng, SeedableRng};

    /// Sum of a few random Gaussian bumps minus a threshold: blobby shapes with thin necks,
    /// holes and many ambiguous faces.
    fn blobs(seed: u64, n: usize) -> Array3<f32> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let bumps: Vec<[f64; 4]> = (0..8)
            .map(|_| {
                [
                    rng.random_range(0.25..0.75) * n as f64,
                    rng.random_range(0.25..0.75) * n as f64,
                    rng.random_range(0.25..0.75) * n as f64,
                    rng.random_range(0.05..0.15) * n as f64,
                ]
            })
            .collect();
        Array3::from_shape_fn((n, n, n), |(z, y, x)| {
            let v: f64 = bumps
                .iter()
                .map(|b| {
                    let d2 = (z as f64 - b[0]).powi(2)
                        + (y as f64 - b[1]).powi(2)
                        + (x as f64 - b[2]).powi(2);
                    (-d2 / (2.0 * b[3] * b[3])).exp()
                })
                .sum();
            (0.5 - v) as f32
        })
    }

    #[test]
    fn random_blobs_give_closed_consistently_oriented_meshes() {
        for seed in 0..12 {
            let f = blobs(seed, 24 + seed as usize);
            let m = marching_cubes(f.view(), [1.0, 1.0, 1.0], 0.0).unwrap();
            let t = m.topology();
            assert!(t.is_watertight(), "seed {seed}: {t:?}");
            assert!(m.volume() > 0.0, "seed {seed}: outward orientation");
        }
        // Pure noise: the hardest case for ambiguous faces.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut noise = Array3::from_shape_fn((20, 21, 22), |_| rng.random_range(-1.0f32..1.0));
        for b in [0, 19] {
            noise.index_axis_mut(ndarray::Axis(0), b).fill(1.0);
        }
        for b in [0, 20] {
            noise.index_axis_mut(ndarray::Axis(1), b).fill(1.0);
        }
        for b in [0, 21] {
            noise.index_axis_mut(ndarray::Axis(2), b).fill(1.0);
        }
        let m = marching_cubes(noise.view(), [0.5, 0.7, 0.3], 0.0).unwrap();
        let t = m.topology();
        assert!(t.is_watertight(), "noise: {t:?}");
        assert!(m.volume() > 0.0);
    }

    #[test]
    fn normals_point_outwards_and_match_the_surface() {
        let n = 32;
        let f = Array3::from_shape_fn((n, n, n), |(z, y, x)| {
            let d =
                ((z as f64 - 15.2).powi(2) + (y as f64 - 16.1).powi(2) + (x as f64 - 15.7).powi(2))
                    .sqrt();
            (d - 10.0) as f32
        });
        let m = marching_cubes(f.view(), [1.0; 3], 0.0).unwrap();
        for (v, nrm) in m.vertices.iter().zip(&m.normals) {
            let r = [v[0] as f64 - 15.7, v[1] as f64 - 16.1, v[2] as f64 - 15.2];
            let len = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt();
            assert!((len - 10.0).abs() < 0.05);
            let cos = (r[0] * nrm[0] as f64 + r[1] * nrm[1] as f64 + r[2] * nrm[2] as f64) / len;
            assert!(cos > 0.99, "normal {nrm:?} at {v:?}");
        }
        assert_eq!(m.topology().genus(), Some(0));
        let area = m.area();
        let exact = 4.0 * std::f64::consts::PI * 100.0;
        assert!((area / exact - 1.0).abs() < 0.01, "area {area} vs {exact}");
    }

    #[test]
    fn torus_has_genus_one_and_bad_input_is_rejected() {
        let n = 40;
        let f = Array3::from_shape_fn((n, n, n), |(z, y, x)| {
            let (x, y, z) = (x as f64 - 19.5, y as f64 - 19.5, z as f64 - 19.5);
            let q = ((x * x + y * y).sqrt() - 12.0).hypot(z);
            (q - 4.0) as f32
        });
        let m = marching_cubes(f.view(), [1.0; 3], 0.0).unwrap();
        assert_eq!(m.topology().genus(), Some(1));
        assert!(marching_cubes(Array3::<f32>::zeros((1, 4, 4)).view(), [1.0; 3], 0.0).is_err());
        assert!(marching_cubes(f.view(), [1.0, 0.0, 1.0], 0.0).is_err());
    }
}
