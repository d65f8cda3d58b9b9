//! The shape commands of the CLI: `mesh`, `describe`, `compare`, `evaluate`.

use super::{load_model, with_progress};
use cellsdf::dataset::Dataset;
use cellsdf::describe::{
    describe_mesh, describe_stack, evaluate_model, mean_sd, write_report, write_table,
    DescriptorSet, EvaluateOptions, Row,
};
use cellsdf::io::{read_hyperstack, read_labels, AnyStack, OutputDir};
use cellsdf::mesh::{mesh_mask, mesh_sdf, read_mesh, write_mesh, MeshFormat};
use cellsdf::units::parse_voxel_size;
use cellsdf::volume::{label_boxes, label_mask, BoundingBox};
use cellsdf::{Error, Result, VoxelSize};
use ndarray::Axis;
use std::path::{Path, PathBuf};

/// `cellsdf mesh`: one mesh per frame (and per label of a label image).
pub fn mesh(
    input: &Path,
    level: Option<f32>,
    format: &str,
    voxel_um: Option<&str>,
    out_dir: &mut OutputDir,
    quiet: bool,
) -> Result<()> {
    let format = MeshFormat::parse(format)?;
    let stack = read_hyperstack(input)?;
    let voxel = voxel_of(&stack.calibration().voxel_um, voxel_um, input)?;
    let stem = input
        .file_stem()
        .map_or("mesh".into(), |s| s.to_string_lossy().into_owned());
    let ext = format.extension();
    if level.is_some() && !matches!(stack, AnyStack::F32(_)) {
        return Err(Error::invalid(
            "level",
            "--level applies to float32 SDF stacks; masks are meshed at their boundary",
        ));
    }
    // What will be written, claimed before any meshing: (frame, label or None for SDF and
    // binary masks).
    let frames = stack.dims().0;
    let labels = match stack {
        AnyStack::F32(h) => Err(h),
        other => Ok(other.into_labels(&input.display().to_string())?),
    };
    // (frame, label and its bounding box; None for SDF frames).
    let items: Vec<(usize, Option<(u32, BoundingBox)>)> = match &labels {
        Err(_) => (0..frames).map(|t| (t, None)).collect(),
        Ok(l) => {
            let mut items = Vec::new();
            for (t, frame) in l.data.axis_iter(Axis(0)).enumerate() {
                items.extend(label_boxes(frame).into_iter().map(|b| (t, Some(b))));
            }
            items
        }
    };
    let binary = labels
        .as_ref()
        .is_ok_and(|l| l.data.iter().all(|&v| v <= 1));
    let name = |t: usize, id: Option<(u32, BoundingBox)>| match id {
        Some((id, _)) if !binary => format!("{stem}_t{t:03}_label{id}.{ext}"),
        _ => format!("{stem}_t{t:03}.{ext}"),
    };
    let names: Vec<String> = items.iter().map(|&(t, id)| name(t, id)).collect();
    out_dir.claim(&names)?;
    let written = with_progress(quiet, "mesh", false, |report| {
        let mut written = Vec::new();
        for (k, &(t, id)) in items.iter().enumerate() {
            let mesh = match (&labels, id) {
                (Ok(l), Some((label, bbox))) => {
                    let frame = l.data.index_axis(Axis(0), t);
                    let mut m = mesh_mask(label_mask(frame, label, bbox).view(), voxel)?;
                    let lo = bbox.0;
                    m.translate([
                        lo[2] as f64 * voxel.x,
                        lo[1] as f64 * voxel.y,
                        lo[0] as f64 * voxel.z,
                    ]);
                    m
                }
                (Err(h), _) => {
                    mesh_sdf(h.data.index_axis(Axis(0), t), voxel, level.unwrap_or(0.0))?
                }
                (Ok(_), None) => unreachable!("label items carry their box"),
            };
            let path = out_dir.path(&name(t, id));
            write_mesh(&mesh, &path, format)?;
            let topo = mesh.topology();
            written.push(format!(
                "{}: {} vertices, {} triangles, area {:.3} um^2, volume {:.3} um^3, {}",
                path.display(),
                mesh.vertices.len(),
                mesh.faces.len(),
                mesh.area(),
                mesh.volume(),
                if topo.is_watertight() {
                    "closed"
                } else {
                    "open"
                }
            ));
            cellsdf::progress::check(report, (k + 1) as f32 / items.len() as f32, "meshing")?;
        }
        Ok(written)
    })?;
    for line in written {
        println!("{line}");
    }
    Ok(())
}

fn voxel_of(cal: &Option<VoxelSize>, given: Option<&str>, path: &Path) -> Result<VoxelSize> {
    match given {
        Some(text) => parse_voxel_size(text),
        None => cal.ok_or_else(|| {
            Error::invalid(
                "voxel size",
                format!(
                    "{} has no voxel size; give --voxel-um X,Y,Z",
                    path.display()
                ),
            )
        }),
    }
}

fn is_mesh(p: &Path) -> bool {
    p.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| ["ply", "obj", "stl"].contains(&e.as_str()))
}

/// Files named by `inputs`: TIFFs or meshes as given, and every .tif/.tiff in a folder
/// (sorted).
fn tiff_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| Error::io(p, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.extension().is_some_and(|x| {
                        x.eq_ignore_ascii_case("tif") || x.eq_ignore_ascii_case("tiff")
                    })
                })
                .collect();
            inside.sort();
            if inside.is_empty() {
                return Err(Error::invalid(
                    "input",
                    format!("{} holds no .tif files", p.display()),
                ));
            }
            files.extend(inside);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            return Err(Error::io(
                p,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
    }
    Ok(files)
}

/// Descriptor rows of every cell in the TIFFs named by `inputs`.
fn describe_inputs(
    inputs: &[PathBuf],
    voxel_um: Option<&str>,
    quiet: bool,
) -> Result<(Vec<Row>, Option<f64>)> {
    let voxel = voxel_um.map(parse_voxel_size).transpose()?;
    let files = tiff_files(inputs)?;
    let mut rows = Vec::new();
    let mut interval = None;
    with_progress(quiet, "describe", false, |report| {
        for (i, f) in files.iter().enumerate() {
            let name = f.display().to_string();
            if is_mesh(f) {
                rows.push(Row {
                    source: name,
                    frame: 0,
                    label: 1,
                    shape: describe_mesh(&read_mesh(f)?)?,
                });
                continue;
            }
            let labels = read_labels(f)?;
            interval = interval.or(labels.calibration.frame_interval_s);
            let n = files.len() as f32;
            let part = |fr: f32, s: &str| report.report((i as f32 + fr) / n, s);
            rows.extend(describe_stack(&labels, &name, voxel, &part)?);
        }
        Ok(())
    })?;
    Ok((rows, interval))
}

/// `cellsdf describe`.
pub fn describe(inputs: &[PathBuf], out: &Path, voxel_um: Option<&str>, quiet: bool) -> Result<()> {
    let (rows, interval) = describe_inputs(inputs, voxel_um, quiet)?;
    write_table(&rows, interval, out)?;
    println!(
        "{} cells x frames described into {}",
        rows.len(),
        out.display()
    );
    Ok(())
}

/// A set to compare: a table written by `describe` (.csv) or TIFFs (files or folders).
fn descriptor_set(input: &Path, voxel_um: Option<&str>, quiet: bool) -> Result<DescriptorSet> {
    if input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        DescriptorSet::from_table(input)
    } else {
        Ok(DescriptorSet::from_rows(
            &describe_inputs(&[input.to_path_buf()], voxel_um, quiet)?.0,
        ))
    }
}

/// `cellsdf compare`.
pub fn compare(
    original: &Path,
    generated: &Path,
    out: &mut OutputDir,
    voxel_um: Option<&str>,
    quiet: bool,
) -> Result<()> {
    let a = descriptor_set(original, voxel_um, quiet)?;
    let b = descriptor_set(generated, voxel_um, quiet)?;
    let preamble = format!(
        "Original: `{}`. Generated: `{}`.\n",
        original.display(),
        generated.display()
    );
    let rows = write_report(out, "cellsdf comparison", &preamble, &a, &b)?;
    let out = out.dir();
    for r in rows {
        println!(
            "{:20} original {:10.3} ± {:8.3}  generated {:10.3} ± {:8.3}  KS p = {:.3e}",
            r.column, r.original.0, r.original.1, r.generated.0, r.generated.1, r.ks.p_value
        );
    }
    println!("report: {}", out.join("index.html").display());
    Ok(())
}

/// `cellsdf evaluate`.
pub fn evaluate(
    model: &Path,
    data: &Path,
    out: &mut OutputDir,
    options: EvaluateOptions,
    device: &str,
    quiet: bool,
) -> Result<()> {
    let m = load_model(model, device)?;
    let d = Dataset::open(data)?;
    let summary = with_progress(quiet, "evaluate", false, |report| {
        evaluate_model(&m, &d, options, out, report)
    })?;
    let out = out.dir();
    if !summary.reconstruction_ji.is_empty() {
        let (mean, sd) = mean_sd(&summary.reconstruction_ji);
        println!(
            "reconstruction JI {mean:.3} ± {sd:.3} over {} frames",
            summary.reconstruction_ji.len(),
        );
    }
    for c in &summary.compared {
        println!(
            "{:20} training {:10.3} ± {:8.3}  new {:10.3} ± {:8.3}  KS p = {:.3e}",
            c.column, c.original.0, c.original.1, c.generated.0, c.generated.1, c.ks.p_value
        );
    }
    println!(
        "novelty: median nearest-training JI of new sequences {:.3}, of training sequences {:.3}",
        cellsdf::describe::median(&summary.novelty_generated),
        cellsdf::describe::median(&summary.novelty_training)
    );
    println!(
        "fragmentation: {:.1} % of new frames have more components than any training frame at that time; {} empty frames",
        100.0 * summary.extra_components,
        summary.empty_generated_frames
    );
    println!("report: {}", out.join("index.html").display());
    Ok(())
}
