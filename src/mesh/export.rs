//! Mesh files: PLY (binary little-endian or ASCII, with vertex normals), OBJ (with vertex
//! normals) and binary STL (facet normals). Written atomically; units are micrometres.

use super::Mesh;
use crate::error::{Error, Result};
use crate::geometry::{cross, norm, sub};
use crate::io::write_atomic;
use std::io::Write;
use std::path::Path;

/// Mesh file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeshFormat {
    PlyBinary,
    PlyAscii,
    Obj,
    Stl,
}

impl MeshFormat {
    /// Parses `ply`, `ply-ascii`, `obj` or `stl`.
    pub fn parse(text: &str) -> Result<Self> {
        Ok(match text.to_ascii_lowercase().as_str() {
            "ply" => MeshFormat::PlyBinary,
            "ply-ascii" => MeshFormat::PlyAscii,
            "obj" => MeshFormat::Obj,
            "stl" => MeshFormat::Stl,
            other => {
                return Err(Error::invalid(
                    "format",
                    format!("unknown mesh format {other:?}; use ply, ply-ascii, obj or stl"),
                ))
            }
        })
    }

    /// File name extension.
    pub fn extension(self) -> &'static str {
        match self {
            MeshFormat::PlyBinary | MeshFormat::PlyAscii => "ply",
            MeshFormat::Obj => "obj",
            MeshFormat::Stl => "stl",
        }
    }
}

/// Writes `mesh` to `path` in `format`; the file appears only when complete.
pub fn write_mesh(mesh: &Mesh, path: &Path, format: MeshFormat) -> Result<()> {
    let io = |e: std::io::Error| Error::io(path, e);
    write_atomic(path, |w| {
        match format {
            MeshFormat::PlyBinary | MeshFormat::PlyAscii => {
                let kind = if format == MeshFormat::PlyBinary {
                    "binary_little_endian"
                } else {
                    "ascii"
                };
                write!(
                    w,
                    "ply\nformat {kind} 1.0\ncomment cellsdf mesh, units micrometre\n\
                     element vertex {}\nproperty float x\nproperty float y\nproperty float z\n\
                     property float nx\nproperty float ny\nproperty float nz\n\
                     element face {}\nproperty list uchar int vertex_indices\nend_header\n",
                    mesh.vertices.len(),
                    mesh.faces.len()
                )
                .map_err(io)?;
                for (v, n) in mesh.vertices.iter().zip(&mesh.normals) {
                    if format == MeshFormat::PlyBinary {
                        for c in v.iter().chain(n) {
                            w.write_all(&c.to_le_bytes()).map_err(io)?;
                        }
                    } else {
                        writeln!(w, "{} {} {} {} {} {}", v[0], v[1], v[2], n[0], n[1], n[2])
                            .map_err(io)?;
                    }
                }
                for f in &mesh.faces {
                    if format == MeshFormat::PlyBinary {
                        w.write_all(&[3u8]).map_err(io)?;
                        for i in f {
                            w.write_all(&(*i as i32).to_le_bytes()).map_err(io)?;
                        }
                    } else {
                        writeln!(w, "3 {} {} {}", f[0], f[1], f[2]).map_err(io)?;
                    }
                }
            }
            MeshFormat::Obj => {
                writeln!(w, "# cellsdf mesh, units micrometre").map_err(io)?;
                for v in &mesh.vertices {
                    writeln!(w, "v {} {} {}", v[0], v[1], v[2]).map_err(io)?;
                }
                for n in &mesh.normals {
                    writeln!(w, "vn {} {} {}", n[0], n[1], n[2]).map_err(io)?;
                }
                for f in &mesh.faces {
                    let [a, b, c] = f.map(|i| i + 1);
                    writeln!(w, "f {a}//{a} {b}//{b} {c}//{c}").map_err(io)?;
                }
            }
            MeshFormat::Stl => {
                let mut header = [b' '; 80];
                let text = b"cellsdf mesh, units micrometre";
                header[..text.len()].copy_from_slice(text);
                w.write_all(&header).map_err(io)?;
                let count = u32::try_from(mesh.faces.len())
                    .map_err(|_| Error::invalid("mesh", "too many triangles for binary STL"))?;
                w.write_all(&count.to_le_bytes()).map_err(io)?;
                for f in &mesh.faces {
                    let [a, b, c] = f.map(|i| mesh.vertices[i as usize].map(|x| x as f64));
                    let n = cross(sub(b, a), sub(c, a));
                    let len = norm(n);
                    let n = if len > 0.0 {
                        n.map(|x| x / len)
                    } else {
                        [0.0; 3]
                    };
                    for x in n
                        .iter()
                        .map(|&x| x as f32)
                        .chain(a.iter().chain(&b).chain(&c).map(|&x| x as f32))
                    {
                        w.write_all(&x.to_le_bytes()).map_err(io)?;
                    }
                    w.write_all(&[0u8, 0]).map_err(io)?;
                }
            }
        }
        Ok(())
    })
}
