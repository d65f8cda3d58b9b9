//! Reading meshes back: PLY (binary little-endian or ASCII, float or double x y z, faces as
//! uchar/int/uint lists of triangles), OBJ (v and f, any f a/b/c form) and binary STL
//! (vertices welded by exact position). Normals are not read; units are taken as um.

use super::Mesh;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::Path;

/// Reads a mesh file, choosing the format by its extension (.ply, .obj, .stl).
pub fn read_mesh(path: &Path) -> Result<Mesh> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let bad = |m: &str| Error::format(path, m.to_string());
    if !["ply", "obj", "stl"].contains(&ext.as_str()) {
        return Err(bad("not a mesh file: use .ply, .obj or .stl"));
    }
    // The parsed mesh takes at most a few times the file's size; refuse files larger than
    // the reading limit before reading them.
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    let limit = crate::io::ReadLimits::default().max_bytes / 4;
    if size > limit {
        return Err(bad(&format!(
            "{size} bytes exceeds the mesh reading limit of {limit} bytes"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    mesh_from_bytes(&bytes, &ext).map_err(|m| bad(&m))
}

/// Parses a mesh held in memory; `ext` is `ply`, `obj` or `stl`. Errors are messages
/// without the file name. Never panics, whatever the bytes.
pub fn mesh_from_bytes(bytes: &[u8], ext: &str) -> std::result::Result<Mesh, String> {
    let mesh = match ext {
        "ply" => read_ply(bytes)?,
        "obj" => read_obj(&String::from_utf8_lossy(bytes))?,
        "stl" => read_stl(bytes)?,
        _ => return Err("not a mesh file: use .ply, .obj or .stl".into()),
    };
    if let Some(f) = mesh
        .faces
        .iter()
        .flatten()
        .find(|&&i| i as usize >= mesh.vertices.len())
    {
        return Err(format!(
            "face index {f} exceeds the {} vertices",
            mesh.vertices.len()
        ));
    }
    Ok(mesh)
}

fn with_zero_normals(vertices: Vec<[f32; 3]>, faces: Vec<[u32; 3]>) -> Mesh {
    Mesh {
        normals: vec![[0.0; 3]; vertices.len()],
        vertices,
        faces,
    }
}

fn read_ply(bytes: &[u8]) -> std::result::Result<Mesh, String> {
    let end = bytes
        .windows(11)
        .position(|w| w == b"end_header\n")
        .ok_or("no PLY end_header")?
        + 11;
    let header = String::from_utf8_lossy(&bytes[..end]);
    let mut lines = header.lines();
    if lines.next() != Some("ply") {
        return Err("not a PLY file".into());
    }
    let (mut ascii, mut nv, mut nf) = (false, 0usize, 0usize);
    let mut vprops: Vec<(String, String)> = Vec::new();
    let mut face_types = ("uchar".to_string(), "int".to_string());
    let mut current = "";
    for l in lines {
        let w: Vec<&str> = l.split_whitespace().collect();
        match w.as_slice() {
            ["format", f, ..] => {
                ascii = *f == "ascii";
                if !ascii && *f != "binary_little_endian" {
                    return Err(format!("unsupported PLY format {f}"));
                }
            }
            ["element", "vertex", n] => {
                (current, nv) = ("vertex", n.parse().map_err(|_| "bad vertex count")?)
            }
            ["element", "face", n] => {
                (current, nf) = ("face", n.parse().map_err(|_| "bad face count")?)
            }
            ["element", ..] => current = "other",
            ["property", "list", c, i, _] if current == "face" => {
                face_types = (c.to_string(), i.to_string())
            }
            ["property", t, name] if current == "vertex" => {
                vprops.push((t.to_string(), name.to_string()))
            }
            _ => {}
        }
    }
    let pos = |n: &str| {
        vprops
            .iter()
            .position(|p| p.1 == n)
            .ok_or(format!("PLY vertices lack {n}"))
    };
    let (ix, iy, iz) = (pos("x")?, pos("y")?, pos("z")?);
    let size = |t: &str| -> std::result::Result<usize, String> {
        Ok(match t {
            "char" | "uchar" | "int8" | "uint8" => 1,
            "short" | "ushort" | "int16" | "uint16" => 2,
            "int" | "uint" | "float" | "int32" | "uint32" | "float32" => 4,
            "double" | "float64" => 8,
            other => return Err(format!("unsupported PLY type {other}")),
        })
    };
    // Counts come from the header: reserve no more than the bytes could hold.
    let mut vertices = Vec::with_capacity(nv.min(bytes.len() - end));
    let mut faces = Vec::with_capacity(nf.min(bytes.len() - end));
    let need = ix.max(iy).max(iz);
    if ascii {
        let body = String::from_utf8_lossy(&bytes[end..]);
        let mut rows = body.lines();
        for k in 0..nv {
            let v: Vec<f32> = rows
                .next()
                .ok_or("PLY ends early")?
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(f32::NAN))
                .collect();
            if v.len() <= need {
                return Err(format!(
                    "vertex row {k} holds {} values, fewer than its {} properties",
                    v.len(),
                    vprops.len()
                ));
            }
            vertices.push([v[ix], v[iy], v[iz]]);
        }
        for _ in 0..nf {
            let f: Vec<u32> = rows
                .next()
                .ok_or("PLY ends early")?
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(u32::MAX))
                .collect();
            if f.first() != Some(&3) || f.len() < 4 {
                return Err("only triangle faces are supported".into());
            }
            faces.push([f[1], f[2], f[3]]);
        }
        return Ok(with_zero_normals(vertices, faces));
    }
    let read = |at: usize, t: &str| -> std::result::Result<f64, String> {
        let b = bytes.get(at..at + size(t)?).ok_or("PLY data ends early")?;
        Ok(match t {
            "char" | "int8" => b[0] as i8 as f64,
            "uchar" | "uint8" => b[0] as f64,
            "short" | "int16" => i16::from_le_bytes([b[0], b[1]]) as f64,
            "ushort" | "uint16" => u16::from_le_bytes([b[0], b[1]]) as f64,
            "int" | "int32" => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
            "uint" | "uint32" => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
            "float" | "float32" => f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
            _ => f64::from_le_bytes(std::array::from_fn(|k| b[k])),
        })
    };
    let mut at = end;
    for _ in 0..nv {
        let mut vals = Vec::with_capacity(vprops.len());
        for (t, _) in &vprops {
            vals.push(read(at, t)?);
            at += size(t)?;
        }
        vertices.push([vals[ix] as f32, vals[iy] as f32, vals[iz] as f32]);
    }
    let (ct, it) = (&face_types.0, &face_types.1);
    for _ in 0..nf {
        let n = read(at, ct)?;
        at += size(ct)?;
        if n != 3.0 {
            return Err("only triangle faces are supported".into());
        }
        let mut f = [0u32; 3];
        for v in &mut f {
            let i = read(at, it)?;
            if !(0.0..u32::MAX as f64).contains(&i) {
                return Err(format!("face index {i} is not a vertex index"));
            }
            *v = i as u32;
            at += size(it)?;
        }
        faces.push(f);
    }
    Ok(with_zero_normals(vertices, faces))
}

fn read_obj(text: &str) -> std::result::Result<Mesh, String> {
    let (mut vertices, mut faces) = (Vec::new(), Vec::new());
    for (n, l) in text.lines().enumerate() {
        let w: Vec<&str> = l.split_whitespace().collect();
        match w.first() {
            Some(&"v") if w.len() >= 4 => {
                let c: Vec<f32> = w[1..4]
                    .iter()
                    .map(|x| x.parse().unwrap_or(f32::NAN))
                    .collect();
                vertices.push([c[0], c[1], c[2]]);
            }
            Some(&"f") if w.len() == 4 => {
                let mut f = [0u32; 3];
                for (k, part) in w[1..4].iter().enumerate() {
                    let i: i64 = part
                        .split('/')
                        .next()
                        .unwrap_or("")
                        .parse()
                        .map_err(|_| format!("line {}: bad face", n + 1))?;
                    let index = if i > 0 {
                        i - 1
                    } else {
                        vertices.len() as i64 + i
                    };
                    f[k] = u32::try_from(index)
                        .map_err(|_| format!("line {}: face index {i} is out of range", n + 1))?;
                }
                faces.push(f);
            }
            Some(&"f") => return Err(format!("line {}: only triangle faces are supported", n + 1)),
            _ => {}
        }
    }
    Ok(with_zero_normals(vertices, faces))
}

fn read_stl(bytes: &[u8]) -> std::result::Result<Mesh, String> {
    let n = bytes
        .get(80..84)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or("not a binary STL file")?;
    if Some(bytes.len()) != n.checked_mul(50).and_then(|b| b.checked_add(84)) {
        return Err(format!(
            "not a complete binary STL file ({} bytes for {n} triangles; ASCII STL is not read)",
            bytes.len()
        ));
    }
    let mut index: HashMap<[u32; 3], u32> = HashMap::new();
    let (mut vertices, mut faces) = (Vec::new(), Vec::with_capacity(n));
    for t in 0..n {
        let rec = &bytes[84 + 50 * t..84 + 50 * (t + 1)];
        let mut f = [0u32; 3];
        for (k, fk) in f.iter_mut().enumerate() {
            let p: [f32; 3] = std::array::from_fn(|c| {
                let at = 12 + 12 * k + 4 * c;
                f32::from_le_bytes([rec[at], rec[at + 1], rec[at + 2], rec[at + 3]])
            });
            let key = p.map(f32::to_bits);
            *fk = *index.entry(key).or_insert_with(|| {
                vertices.push(p);
                (vertices.len() - 1) as u32
            });
        }
        faces.push(f);
    }
    Ok(with_zero_normals(vertices, faces))
}
