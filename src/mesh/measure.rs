//! Measurements of a mesh: surface area, enclosed volume, centroid and topology.

use super::Mesh;
use crate::geometry::{cross, dot, norm, sub};
use std::collections::HashMap;

/// Edge and component structure of a mesh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topology {
    /// Distinct vertices used by at least one face.
    pub vertices: usize,
    /// Distinct undirected edges.
    pub edges: usize,
    pub faces: usize,
    /// Edges used by exactly one face (0 for a closed surface).
    pub boundary_edges: usize,
    /// Edges used by more than two faces (0 for a manifold surface).
    pub nonmanifold_edges: usize,
    /// Directed edges that appear twice in the same direction: neighbours with opposite
    /// orientation (0 for a consistently oriented surface).
    pub misoriented_edges: usize,
    /// Connected components (faces joined through shared vertices).
    pub components: usize,
    /// Euler characteristic V - E + F.
    pub euler: i64,
}

impl Topology {
    /// Every edge is shared by exactly two consistently oriented faces.
    pub fn is_watertight(&self) -> bool {
        self.faces > 0
            && self.boundary_edges == 0
            && self.nonmanifold_edges == 0
            && self.misoriented_edges == 0
    }

    /// Total genus of a closed orientable surface: components - chi / 2 (handles, e.g.
    /// 1 for a torus). `None` when the mesh is not watertight.
    pub fn genus(&self) -> Option<i64> {
        self.is_watertight()
            .then(|| self.components as i64 - self.euler / 2)
    }
}

impl Mesh {
    /// Surface area in um^2.
    pub fn area(&self) -> f64 {
        self.faces
            .iter()
            .map(|f| {
                let [a, b, c] = self.corners(f);
                norm(cross(sub(b, a), sub(c, a))) * 0.5
            })
            .sum()
    }

    /// Signed enclosed volume in um^3 (divergence theorem; positive for an outward-oriented
    /// closed surface; meaningless for an open one).
    pub fn volume(&self) -> f64 {
        self.faces
            .iter()
            .map(|f| {
                let [a, b, c] = self.corners(f);
                dot(a, cross(b, c)) / 6.0
            })
            .sum()
    }

    /// Centroid of the enclosed solid (um, x, y, z), or `None` for zero volume.
    pub fn centroid(&self) -> Option<[f64; 3]> {
        let mut acc = [0.0; 3];
        let mut vol = 0.0;
        for f in &self.faces {
            let [a, b, c] = self.corners(f);
            let v = dot(a, cross(b, c)) / 6.0;
            vol += v;
            for (i, s) in acc.iter_mut().enumerate() {
                *s += v * (a[i] + b[i] + c[i]) / 4.0;
            }
        }
        (vol.abs() > 0.0).then(|| acc.map(|s| s / vol))
    }

    /// Edge use, components and Euler characteristic.
    pub fn topology(&self) -> Topology {
        let mut directed: HashMap<(u32, u32), u32> = HashMap::with_capacity(self.faces.len() * 3);
        for f in &self.faces {
            for i in 0..3 {
                *directed.entry((f[i], f[(i + 1) % 3])).or_default() += 1;
            }
        }
        let mut undirected: HashMap<(u32, u32), u32> = HashMap::with_capacity(directed.len());
        let mut misoriented = 0;
        for (&(a, b), &n) in &directed {
            *undirected.entry((a.min(b), a.max(b))).or_default() += n;
            if n > 1 {
                misoriented += 1;
            }
        }
        let boundary = undirected.values().filter(|&&n| n == 1).count();
        let nonmanifold = undirected.values().filter(|&&n| n > 2).count();
        // Components by union-find over vertices.
        let mut parent: Vec<u32> = (0..self.vertices.len() as u32).collect();
        fn find(p: &mut [u32], mut i: u32) -> u32 {
            while p[i as usize] != i {
                p[i as usize] = p[p[i as usize] as usize];
                i = p[i as usize];
            }
            i
        }
        let mut used = vec![false; self.vertices.len()];
        for f in &self.faces {
            for &v in f {
                used[v as usize] = true;
            }
            let r0 = find(&mut parent, f[0]);
            for &v in &f[1..] {
                let r = find(&mut parent, v);
                parent[r as usize] = r0;
            }
        }
        let nverts = used.iter().filter(|&&u| u).count();
        let components = (0..self.vertices.len() as u32)
            .filter(|&i| used[i as usize] && find(&mut parent, i) == i)
            .count();
        Topology {
            vertices: nverts,
            edges: undirected.len(),
            faces: self.faces.len(),
            boundary_edges: boundary,
            nonmanifold_edges: nonmanifold,
            misoriented_edges: misoriented,
            components,
            euler: nverts as i64 - undirected.len() as i64 + self.faces.len() as i64,
        }
    }

    fn corners(&self, f: &[u32; 3]) -> [[f64; 3]; 3] {
        f.map(|i| self.vertices[i as usize].map(|c| c as f64))
    }
}
