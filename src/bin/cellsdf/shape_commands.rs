//! The shape commands of the CLI: `mesh`, `describe`, `compare`, `evaluate`.

use super::{load_model, with_progress};
use cellsdf::dataset::Dataset;
use cellsdf::describe::{mean_sd, write_report, write_table, DescriptorSet, Row};
use cellsdf::io::{Axes, OutputDir};
use cellsdf::mesh::MeshFormat;
use cellsdf::units::parse_voxel_size;
use cellsdf::workflow::{describe_files, evaluate_model, mesh_file, EvaluateOptions};
use cellsdf::Result;
use std::path::{Path, PathBuf};

/// `cellsdf mesh`: one mesh per frame (and per label of a label image).
pub fn mesh(
    input: &Path,
    level: Option<f32>,
    format: &str,
    voxel_um: Option<&str>,
    axes: Option<Axes>,
    out_dir: &mut OutputDir,
    quiet: bool,
) -> Result<()> {
    let format = MeshFormat::parse(format)?;
    let voxel = voxel_um.map(parse_voxel_size).transpose()?;
    let written = with_progress(quiet, "mesh", false, |report| {
        mesh_file(input, level, format, voxel, axes, out_dir, report)
    })?;
    for m in written {
        println!(
            "{}: {} vertices, {} triangles, area {:.3} um^2, volume {:.3} um^3, {}",
            m.path.display(),
            m.vertices,
            m.triangles,
            m.area_um2,
            m.volume_um3,
            if m.closed { "closed" } else { "open" }
        );
    }
    Ok(())
}

/// Descriptor rows of every cell in the files named by `inputs`.
fn describe_inputs(
    inputs: &[PathBuf],
    voxel_um: Option<&str>,
    axes: Option<Axes>,
    quiet: bool,
) -> Result<(Vec<Row>, Option<f64>)> {
    let voxel = voxel_um.map(parse_voxel_size).transpose()?;
    with_progress(quiet, "describe", false, |report| {
        describe_files(inputs, voxel, axes, report)
    })
}

/// `cellsdf describe`.
pub fn describe(
    inputs: &[PathBuf],
    out: &Path,
    voxel_um: Option<&str>,
    axes: Option<Axes>,
    quiet: bool,
) -> Result<()> {
    let (rows, interval) = describe_inputs(inputs, voxel_um, axes, quiet)?;
    write_table(&rows, interval, out)?;
    println!(
        "{} cells x frames described into {}",
        rows.len(),
        out.display()
    );
    Ok(())
}

/// A set to compare: a table written by `describe` (.csv) or TIFFs (files or folders).
fn descriptor_set(
    input: &Path,
    voxel_um: Option<&str>,
    axes: Option<Axes>,
    quiet: bool,
) -> Result<DescriptorSet> {
    if input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        DescriptorSet::from_table(input)
    } else {
        Ok(DescriptorSet::from_rows(
            &describe_inputs(&[input.to_path_buf()], voxel_um, axes, quiet)?.0,
        ))
    }
}

/// `cellsdf compare`.
pub fn compare(
    original: &Path,
    generated: &Path,
    out: &mut OutputDir,
    voxel_um: Option<&str>,
    axes: Option<Axes>,
    quiet: bool,
) -> Result<()> {
    let a = descriptor_set(original, voxel_um, axes, quiet)?;
    let b = descriptor_set(generated, voxel_um, axes, quiet)?;
    let preamble = format!(
        "Original: `{}`. Generated: `{}`.\n",
        original.display(),
        generated.display()
    );
    let rows = write_report(out, "cellsdf comparison", &preamble, &a, &b)?;
    let out = out.dir();
    for r in rows {
        println!(
            "{:20} original {:10.3} ± {:8.3}  generated {:10.3} ± {:8.3}  KS p = {:.3e} (cells permuted {:.4})",
            r.column, r.original.0, r.original.1, r.generated.0, r.generated.1, r.ks.p_value, r.p_cells
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
            "{:20} training {:10.3} ± {:8.3}  new {:10.3} ± {:8.3}  KS p = {:.3e} (cells permuted {:.4})",
            c.column, c.original.0, c.original.1, c.generated.0, c.generated.1, c.ks.p_value, c.p_cells
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
