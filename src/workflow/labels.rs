//! Label images to tables and meshes: every label of every frame described (one table
//! format for every front end) or meshed into an output folder.

use crate::describe::{describe_mesh, describe_stack, Row};
use crate::error::{Error, Result};
use crate::io::{
    expand_inputs, is_mesh, read_hyperstack_with, read_labels_with, AnyStack, Axes, Hyperstack,
    OutputDir, ReadOptions,
};
use crate::mesh::{mesh_mask, mesh_sdf, write_mesh, Mesh, MeshFormat};
use crate::progress::{check, Progress};
use crate::units::VoxelSize;
use crate::volume::{label_boxes, label_mask, BoundingBox};
use ndarray::Axis;
use std::path::{Path, PathBuf};

/// Descriptor rows of every cell in the files named by `inputs` (label or mask TIFFs,
/// folders of them, meshes), and the first frame interval (s) found in their calibration.
/// `voxel` overrides the files' calibration, `axes` what their planes mean.
pub fn describe_files(
    inputs: &[PathBuf],
    voxel: Option<VoxelSize>,
    axes: Option<Axes>,
    progress: &dyn Progress,
) -> Result<(Vec<Row>, Option<f64>)> {
    let files = expand_inputs(inputs)?;
    let mut rows = Vec::new();
    let mut interval = None;
    let n = files.len() as f32;
    for (i, f) in files.iter().enumerate() {
        let name = f.display().to_string();
        if is_mesh(f) {
            rows.push(Row {
                source: name,
                frame: 0,
                label: 1,
                shape: describe_mesh(&crate::mesh::read_mesh(f)?)?,
            });
            continue;
        }
        let labels = read_labels_with(f, &ReadOptions::with_axes(axes))?;
        interval = interval.or(labels.calibration.frame_interval_s);
        let part = |fr: f32, s: &str| progress.report((i as f32 + fr) / n, s);
        rows.extend(describe_stack(&labels, &name, voxel, &part)?);
    }
    Ok((rows, interval))
}

/// One mesh written by [`mesh_file`].
#[derive(Debug, Clone)]
pub struct WrittenMesh {
    pub path: PathBuf,
    pub frame: usize,
    /// Label meshed (None: an SDF frame or a binary mask).
    pub label: Option<u32>,
    pub vertices: usize,
    pub triangles: usize,
    pub area_um2: f64,
    pub volume_um3: f64,
    pub closed: bool,
}

/// Meshes every frame of a hyperstack file into `out`: float32 stacks as SDFs at `level`
/// (um), masks and label images per label at their boundary, as [`mesh_labels`] names
/// them (stem: the file's). `voxel` overrides the calibration, `axes` what the planes mean.
pub fn mesh_file(
    input: &Path,
    level: Option<f32>,
    format: MeshFormat,
    voxel: Option<VoxelSize>,
    axes: Option<Axes>,
    out: &mut OutputDir,
    progress: &dyn Progress,
) -> Result<Vec<WrittenMesh>> {
    let stack = read_hyperstack_with(input, &ReadOptions::with_axes(axes))?;
    let voxel = voxel.or(stack.calibration().voxel_um).ok_or_else(|| {
        Error::invalid(
            "voxel size",
            format!(
                "{} has no voxel size; give --voxel-um X,Y,Z",
                input.display()
            ),
        )
    })?;
    let stem = input
        .file_stem()
        .map_or("mesh".into(), |s| s.to_string_lossy().into_owned());
    match stack {
        AnyStack::F32(h) => {
            let ext = format.extension();
            let names: Vec<String> = (0..h.data.len_of(Axis(0)))
                .map(|t| format!("{stem}_t{t:03}.{ext}"))
                .collect();
            out.claim(&names)?;
            let level = level.unwrap_or(0.0);
            let mut written = Vec::new();
            for (t, name) in names.iter().enumerate() {
                let mesh = mesh_sdf(h.data.index_axis(Axis(0), t), voxel, level)?;
                written.push(write_one(&mesh, out.path(name), format, t, None)?);
                check(progress, (t + 1) as f32 / names.len() as f32, "meshing")?;
            }
            Ok(written)
        }
        other => {
            if level.is_some() {
                return Err(Error::invalid(
                    "level",
                    "--level applies to float32 SDF stacks; masks are meshed at their boundary",
                ));
            }
            let labels = other.into_labels(&input.display().to_string())?;
            mesh_labels(&labels, &stem, voxel, format, out, progress)
        }
    }
}

/// Meshes every label of every frame of `labels` ([t, z, y, x]) at its boundary into `out`,
/// vertices in um with voxel (z, y, x)'s centre at (x sx, y sy, z sz): files
/// `<stem>_tNNN_labelL.<ext>` (frames from 0), or `<stem>_tNNN.<ext>` when the image is a
/// binary mask. Each label is cropped to its bounding box; names are claimed before meshing.
pub fn mesh_labels(
    labels: &Hyperstack<u32>,
    stem: &str,
    voxel: VoxelSize,
    format: MeshFormat,
    out: &mut OutputDir,
    progress: &dyn Progress,
) -> Result<Vec<WrittenMesh>> {
    voxel.validate("voxel size")?;
    let ext = format.extension();
    let mut items: Vec<(usize, u32, BoundingBox)> = Vec::new();
    for (t, frame) in labels.data.axis_iter(Axis(0)).enumerate() {
        items.extend(label_boxes(frame).into_iter().map(|(l, b)| (t, l, b)));
    }
    let binary = labels.data.iter().all(|&v| v <= 1);
    let name = |t: usize, label: u32| {
        if binary {
            format!("{stem}_t{t:03}.{ext}")
        } else {
            format!("{stem}_t{t:03}_label{label}.{ext}")
        }
    };
    let names: Vec<String> = items.iter().map(|&(t, l, _)| name(t, l)).collect();
    out.claim(&names)?;
    let mut written = Vec::new();
    for (k, &(t, label, bbox)) in items.iter().enumerate() {
        let frame = labels.data.index_axis(Axis(0), t);
        let mut mesh = mesh_mask(label_mask(frame, label, bbox).view(), voxel)?;
        let lo = bbox.0;
        mesh.translate([
            lo[2] as f64 * voxel.x,
            lo[1] as f64 * voxel.y,
            lo[0] as f64 * voxel.z,
        ]);
        let id = (!binary).then_some(label);
        written.push(write_one(&mesh, out.path(&names[k]), format, t, id)?);
        check(progress, (k + 1) as f32 / items.len() as f32, "meshing")?;
    }
    Ok(written)
}

fn write_one(
    mesh: &Mesh,
    path: PathBuf,
    format: MeshFormat,
    frame: usize,
    label: Option<u32>,
) -> Result<WrittenMesh> {
    write_mesh(mesh, &path, format)?;
    Ok(WrittenMesh {
        path,
        frame,
        label,
        vertices: mesh.vertices.len(),
        triangles: mesh.faces.len(),
        area_um2: mesh.area(),
        volume_um3: mesh.volume(),
        closed: mesh.topology().is_watertight(),
    })
}
