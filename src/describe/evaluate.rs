//! Evaluation of a trained model against its training set: reconstruction Jaccard index of
//! every training frame, and the descriptor report of new sequences against the training
//! sequences, both on the dataset's own grid.

use super::report::{mean_sd, report_files, write_report, DescriptorSet};
use super::shape::describe_mask;
use super::table::{write_table, Row};
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::io::OutputDir;
use crate::model::Model;
use crate::progress::{check, Progress};
use crate::synth::{
    draw_codes, times, training_scale_and_interval, CodeSource, Evaluation, RenderGrid, Renderer,
};
use crate::train::reconstruction_ji;
use crate::units::VoxelSize;
use tch::Tensor;

/// What to generate for the comparison.
#[derive(Debug, Clone, Copy)]
pub struct EvaluateOptions {
    /// New sequences drawn with z ~ N(0, sigma^2), sigma from the learned codes.
    pub count: usize,
    pub seed: u64,
}

impl Default for EvaluateOptions {
    fn default() -> Self {
        EvaluateOptions { count: 16, seed: 0 }
    }
}

/// Figures of an evaluation (also written to the report).
#[derive(Debug, Clone)]
pub struct EvaluationSummary {
    /// Reconstruction JI of every training frame, in dataset order.
    pub reconstruction_ji: Vec<f64>,
    /// New frames whose mask was empty (not described).
    pub empty_generated_frames: usize,
}

/// Evaluates `model` on `data` and writes the report (plus `original.csv`,
/// `generated.csv`, `reconstruction_ji.csv`) into `out`; every file is claimed before the
/// work starts.
pub fn evaluate_model(
    model: &Model,
    data: &Dataset,
    options: EvaluateOptions,
    out: &mut OutputDir,
    progress: &dyn Progress,
) -> Result<EvaluationSummary> {
    let n = data.meta.grid;
    if n < 2 {
        return Err(Error::invalid(
            "data",
            "the dataset stores no grids to compare with (prepared with --grid 0)",
        ));
    }
    if options.count == 0 {
        return Err(Error::invalid("count", "generate at least one sequence"));
    }
    let mut files = report_files();
    files.extend(["original.csv", "generated.csv", "reconstruction_ji.csv"].map(String::from));
    out.claim(&files)?;
    let dir = out.dir().to_path_buf();
    check(progress, 0.0, "reconstruction")?;
    let ji = reconstruction_ji(model, data)?;
    check(progress, 0.3, "describing training sequences")?;
    // Grid node k sits at model coordinate -1 + 2k / (n - 1): nodes (n - 1) / 2 scale apart.
    let node_um = |scale: f64| 2.0 * scale / (n - 1) as f64;
    let mut original = Vec::new();
    for s in &data.meta.sequences {
        let voxel = VoxelSize::isotropic(node_um(s.normalisation.scale_um));
        for k in 0..s.frames.len() {
            let grid = data.grid(s.first_row + k).expect("grid stored");
            let mask = grid.mapv(|v| v <= 0.0);
            if let Ok(shape) = describe_mask(mask.view(), voxel) {
                original.push(Row {
                    source: s.name.clone(),
                    frame: k,
                    label: 1,
                    shape,
                });
            }
        }
    }
    let mut lengths: Vec<usize> = data.meta.sequences.iter().map(|s| s.frames.len()).collect();
    lengths.sort_unstable();
    let frames = lengths[lengths.len() / 2].max(1);
    let (scale, _) = training_scale_and_interval(model, frames);
    let grid = RenderGrid::centred([n; 3], VoxelSize::isotropic(node_um(scale)), scale);
    let codes = draw_codes(
        model,
        CodeSource::Random { sigma: None },
        options.count,
        options.seed,
    )?;
    let mut generated = Vec::new();
    let mut empty = 0;
    for (k, c) in codes.iter().enumerate() {
        let mut renderer = Renderer::new(model, &Tensor::from_slice(&c.values), None)?;
        for (f, &t) in times(frames).iter().enumerate() {
            let sdf = renderer.frame(&grid, t, Evaluation::adaptive())?;
            match describe_mask(sdf.mapv(|v| v <= 0.0).view(), grid.voxel_um) {
                Ok(shape) => generated.push(Row {
                    source: format!("synth_{k:03}"),
                    frame: f,
                    label: 1,
                    shape,
                }),
                Err(_) => empty += 1,
            }
        }
        check(
            progress,
            0.3 + 0.65 * (k + 1) as f32 / codes.len() as f32,
            "describing new sequences",
        )?;
    }
    write_table(&original, None, &dir.join("original.csv"))?;
    write_table(&generated, None, &dir.join("generated.csv"))?;
    let mut ji_csv = String::from("sequence,frame,jaccard\n");
    let mut i = 0;
    for s in &data.meta.sequences {
        for k in 0..s.frames.len() {
            ji_csv.push_str(&format!("{},{k},{}\n", s.name, ji[i]));
            i += 1;
        }
    }
    crate::io::write_bytes_atomic(&dir.join("reconstruction_ji.csv"), ji_csv.as_bytes())?;
    let (m, sd) = mean_sd(&ji);
    let preamble = format!(
        "Model: {} training sequences, {} parameters.\n\n## Reconstruction\n\n\
         Jaccard index of the reconstructed vs the training masks on the dataset's {n}^3 grid, \
         per frame: **{m:.3} ± {sd:.3}** (mean ± sd, {} frames; `reconstruction_ji.csv`).\n\n\
         ## New sequences\n\n{} sequences of {frames} frames drawn with z ~ N(0, sigma^2) \
         (seed {}), rendered on the same grid at the training sequences' mean scale; \
         {empty} empty frames not described. Originals: the training masks.\n",
        model.codes.size()[0],
        model.decoder.parameter_count(),
        ji.len(),
        options.count,
        options.seed
    );
    write_report(
        out,
        "cellsdf evaluation",
        &preamble,
        &DescriptorSet::from_rows(&original),
        &DescriptorSet::from_rows(&generated),
    )?;
    check(progress, 1.0, "done")?;
    Ok(EvaluationSummary {
        reconstruction_ji: ji,
        empty_generated_frames: empty,
    })
}
