//! Evaluation of a trained model against its training set, all on the dataset's own grid:
//! reconstruction Jaccard index of every training frame; and new sequences against the
//! training sequences: descriptor distributions (KS tests), fragmentation (components
//! beyond any training frame at the same time point) and novelty (nearest-training JI).

use crate::dataset::Dataset;
use crate::describe::{
    describe_mask, mean_sd, median, nearest_jaccard, report_files, write_report, write_table,
    BitMask, ComparedDescriptor, DescriptorSet, MaskSequence, Row, ShapeDescriptors, MAX_SHIFT,
};
use crate::error::{Error, Result};
use crate::filopodia::{
    draw_tubes, tube_seed, with_tubes, TrackedMasks, TubeFitter, TubeModel, TubeParams,
};
use crate::io::OutputDir;
use crate::model::{jaccard, Model};
use crate::progress::{check, Progress};
use crate::synth::size::CellSizes;
use crate::synth::{draw_codes_from, CodeSource, DrawnCode, Evaluation, RenderGrid, Renderer};
use crate::units::VoxelSize;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// What to generate for the comparison.
#[derive(Debug, Clone, Copy)]
pub struct EvaluateOptions {
    /// New sequences to draw.
    pub count: usize,
    pub seed: u64,
    /// How they are drawn.
    pub codes: CodeSource,
    /// Measure the reconstruction Jaccard index of every training frame (the slow part;
    /// off when only new sequences are compared).
    pub reconstruction: bool,
    /// Draw filopodia as tubes on the new cells when the model carries a tube model
    /// (`cellsdf tubes`); off: the network's shapes as rendered.
    pub tubes: bool,
}

impl Default for EvaluateOptions {
    fn default() -> Self {
        EvaluateOptions {
            count: 16,
            seed: 0,
            codes: CodeSource::default(),
            reconstruction: true,
            tubes: true,
        }
    }
}

/// Figures of an evaluation (also written to the report).
#[derive(Debug, Clone)]
pub struct EvaluationSummary {
    /// Reconstruction JI of every training frame, in dataset order.
    pub reconstruction_ji: Vec<f64>,
    /// New frames whose mask was empty (not described).
    pub empty_generated_frames: usize,
    /// Per new sequence: aligned JI to its nearest training sequence.
    pub novelty_generated: Vec<f64>,
    /// Per training sequence: aligned JI to its nearest other training sequence.
    pub novelty_training: Vec<f64>,
    /// Share of new frames with more connected components than any training frame at the
    /// same time point.
    pub extra_components: f64,
    /// Descriptor comparison (means, KS tests) of new vs training frames.
    pub compared: Vec<ComparedDescriptor>,
}

/// The grid of a dataset's N^3 nodes for a sequence of `scale_um`: voxel centres at the
/// nodes linspace(-1, 1, N) of each model axis.
fn node_grid(n: usize, scale_um: f64) -> RenderGrid {
    RenderGrid::centred(
        [n; 3],
        VoxelSize::isotropic(2.0 * scale_um / (n - 1) as f64),
        scale_um,
    )
}

fn grid_size(data: &Dataset) -> Result<usize> {
    match data.meta.grid {
        n if n >= 2 => Ok(n),
        _ => Err(Error::invalid(
            "data",
            "the dataset stores no grids to compare with (prepared with --grid 0)",
        )),
    }
}

/// The tube model of `data`'s training masks (the sdf <= 0 nodes of its stored grids,
/// spaced as [`evaluate_model`] renders them): filopodia found and followed with `params`.
/// Cells without filopodia (no branch anywhere) are an error: a tube model would only
/// change their shapes.
pub fn fit_tubes(data: &Dataset, params: TubeParams, progress: &dyn Progress) -> Result<TubeModel> {
    let n = grid_size(data)?;
    let total = data.meta.sequences.len();
    let mut fitter = TubeFitter::new(params)?;
    for (i, s) in data.meta.sequences.iter().enumerate() {
        let frames: Vec<ndarray::Array3<bool>> = (0..s.frames.len())
            .map(|k| {
                data.grid(s.first_row + k)
                    .expect("grid stored")
                    .mapv(|v| v <= 0.0)
            })
            .collect();
        fitter.add(&TrackedMasks {
            times: s.frames.iter().map(|f| f.t).collect(),
            frames: frames.iter().map(|f| f.view()).collect(),
            spacing_zyx: node_grid(n, s.normalisation.scale_um).voxel_um.zyx(),
        })?;
        check(
            progress,
            (i + 1) as f32 / total as f32,
            &format!("filopodia of sequence {}/{total}", i + 1),
        )?;
    }
    let model = fitter.finish()?;
    if model.tracks.is_empty() {
        return Err(Error::invalid(
            "data",
            format!(
                "no filopodia found: no part of any training mask reaches {} um beyond the body \
                 (the mask opened with a ball of {} um)",
                params.min_length_um, params.opening_um
            ),
        ));
    }
    check(progress, 1.0, "tubes")?;
    Ok(model)
}

/// Reconstruction Jaccard index of every training frame, in dataset order: the mask
/// (sdf <= 0) of the sequence's learned code (and rotation) rendered on the dataset's grid
/// nodes, against the stored grid's mask. Rendering is adaptive (identical masks to dense
/// evaluation; tests/synth.rs).
pub fn reconstruction_ji(
    model: &Model,
    data: &Dataset,
    progress: &dyn Progress,
) -> Result<Vec<f64>> {
    reconstruction_ji_of(model, data, data.meta.sequences.len(), progress)
}

/// [`reconstruction_ji`] of the first `sequences` training sequences only.
pub fn reconstruction_ji_of(
    model: &Model,
    data: &Dataset,
    sequences: usize,
    progress: &dyn Progress,
) -> Result<Vec<f64>> {
    let n = grid_size(data)?;
    let mut out = Vec::with_capacity(data.frames_total());
    let total = sequences.min(data.meta.sequences.len());
    for (i, s) in data.meta.sequences.iter().enumerate().take(total) {
        let grid = node_grid(n, s.normalisation.scale_um);
        let mut r = Renderer::new(model, &model.code(i)?, model.rotation(i))?;
        for (k, f) in s.frames.iter().enumerate() {
            let sdf = r.frame(&grid, f.t, Evaluation::adaptive())?;
            let want = data.grid(s.first_row + k).expect("grid stored");
            out.push(jaccard(sdf.view(), want));
        }
        check(
            progress,
            (i + 1) as f32 / total as f32,
            &format!("reconstruction {}/{total}", i + 1),
        )?;
    }
    Ok(out)
}

/// Evaluates `model` on `data` and writes the report (plus `original.csv`,
/// `generated.csv`, `reconstruction_ji.csv`, `novelty.csv`) into `out`; every file is
/// claimed before the work starts. New sequences are rendered on the dataset's grid at the
/// frame times of training sequences (see [`new_sequence_times`]); the originals are the
/// stored grid masks.
pub fn evaluate_model(
    model: &Model,
    data: &Dataset,
    options: EvaluateOptions,
    out: &mut OutputDir,
    progress: &dyn Progress,
) -> Result<EvaluationSummary> {
    let n = grid_size(data)?;
    if options.count == 0 {
        return Err(Error::invalid("count", "generate at least one sequence"));
    }
    if data.meta.sequences.is_empty() {
        return Err(Error::invalid("data", "the dataset holds no sequences"));
    }
    let mut files = report_files();
    files.extend(
        [
            "original.csv",
            "generated.csv",
            "reconstruction_ji.csv",
            "novelty.csv",
        ]
        .map(String::from),
    );
    out.claim(&files)?;
    let dir = out.dir().to_path_buf();
    let part = |lo: f32, hi: f32| move |f: f32, s: &str| progress.report(lo + (hi - lo) * f, s);
    let ji = if options.reconstruction {
        reconstruction_ji(model, data, &part(0.0, 0.3))?
    } else {
        Vec::new()
    };
    check(progress, 0.3, "describing training sequences")?;
    let mut original = Vec::new();
    let mut training = Vec::new();
    // Components of every training frame, with its model time.
    let mut training_components: Vec<(f64, usize)> = Vec::new();
    for s in &data.meta.sequences {
        let voxel = node_grid(n, s.normalisation.scale_um).voxel_um;
        // The frames of a sequence are described in parallel (each description is largely
        // serial); rows stay in frame order.
        let described: Vec<(BitMask, Option<ShapeDescriptors>)> = (0..s.frames.len())
            .into_par_iter()
            .map(|k| {
                let grid = data.grid(s.first_row + k).expect("grid stored");
                let mask = grid.mapv(|v| v <= 0.0);
                (
                    BitMask::pack(mask.iter().copied()),
                    describe_mask(mask.view(), voxel).ok(),
                )
            })
            .collect();
        let mut frames = Vec::new();
        for (k, (bits, shape)) in described.into_iter().enumerate() {
            frames.push(bits);
            if let Some(shape) = shape {
                training_components.push((s.frames[k].t, shape.components));
                original.push(Row {
                    source: s.name.clone(),
                    frame: k,
                    label: 1,
                    shape,
                });
            }
        }
        training.push(MaskSequence {
            times: s.frames.iter().map(|f| f.t).collect(),
            frames,
        });
        check(progress, 0.3, "describing training sequences")?;
    }
    let codes = draw_codes_from(
        model,
        options.codes,
        0,
        options.count,
        options.seed,
        &part(0.3, 0.4),
    )?;
    let tube_model = model.meta.tubes.as_ref().filter(|_| options.tubes);
    let new_times = new_sequence_times(&training, model.n_codes(), &codes);
    let mut generated = Vec::new();
    let mut new_sequences = Vec::new();
    let mut empty = 0;
    let mut extra = 0;
    for (k, (c, frame_times)) in codes.iter().zip(&new_times).enumerate() {
        let grid = node_grid(n, c.scale_um);
        let rotation = c.around.and_then(|i| model.rotation(i));
        let mut renderer = Renderer::new(model, &c.values, rotation)?;
        let mut rendered = Vec::with_capacity(frame_times.len());
        let tubes = tube_model.map(|tm| (tm, draw_tubes(tm, tube_seed(c.seed))));
        for &t in frame_times {
            let sdf = renderer.frame(&grid, t, Evaluation::adaptive())?;
            let mask = sdf.mapv(|v| v <= 0.0);
            rendered.push(match &tubes {
                Some((tm, drawn)) => with_tubes(mask.view(), grid.voxel_um.zyx(), tm, drawn, t),
                None => mask,
            });
        }
        let shapes: Vec<Result<ShapeDescriptors>> = rendered
            .par_iter()
            .map(|mask| describe_mask(mask.view(), grid.voxel_um))
            .collect();
        let masks = rendered
            .iter()
            .map(|m| BitMask::pack(m.iter().copied()))
            .collect();
        for (f, (shape, &t)) in shapes.into_iter().zip(frame_times).enumerate() {
            match shape {
                Ok(shape) => {
                    let most = most_components_near(&training_components, t, frame_times.len());
                    if shape.components > most {
                        extra += 1;
                    }
                    generated.push(Row {
                        source: format!("synth_{k:03}"),
                        frame: f,
                        label: 1,
                        shape,
                    })
                }
                Err(_) => empty += 1,
            }
        }
        new_sequences.push(MaskSequence {
            times: frame_times.clone(),
            frames: masks,
        });
        check(
            progress,
            0.4 + 0.5 * (k + 1) as f32 / codes.len() as f32,
            "describing new sequences",
        )?;
    }
    check(progress, 0.9, "novelty")?;
    let novelty_generated = nearest_jaccard(&new_sequences, &training, false);
    let novelty_training = nearest_jaccard(&training, &training, true);
    write_table(&original, None, &dir.join("original.csv"))?;
    write_table(&generated, None, &dir.join("generated.csv"))?;
    if options.reconstruction {
        let mut ji_csv = String::from("sequence,frame,jaccard\n");
        let mut i = 0;
        for s in &data.meta.sequences {
            for k in 0..s.frames.len() {
                ji_csv.push_str(&format!("{},{k},{}\n", s.name, ji[i]));
                i += 1;
            }
        }
        crate::io::write_bytes_atomic(&dir.join("reconstruction_ji.csv"), ji_csv.as_bytes())?;
    }
    let mut nov_csv = String::from("set,sequence,nearest_training_jaccard\n");
    for (s, v) in data.meta.sequences.iter().zip(&novelty_training) {
        nov_csv.push_str(&format!("training,{},{v}\n", s.name));
    }
    for (k, v) in novelty_generated.iter().enumerate() {
        nov_csv.push_str(&format!("generated,synth_{k:03},{v}\n"));
    }
    crate::io::write_bytes_atomic(&dir.join("novelty.csv"), nov_csv.as_bytes())?;
    let (m, sd) = mean_sd(&ji);
    let described = generated.len() + empty;
    let extra_share = extra as f64 / described.max(1) as f64;
    let (med_g, med_t) = (median(&novelty_generated), median(&novelty_training));
    let reconstruction = if options.reconstruction {
        format!(
            "Jaccard index of the reconstructed vs the training masks on the dataset's {n}^3 \
             grid, per frame: **{m:.3} ± {sd:.3}** (mean ± sd, {} frames; \
             `reconstruction_ji.csv`).",
            ji.len()
        )
    } else {
        "Not measured in this evaluation.".to_string()
    };
    let frames = frame_count_text(&new_times);
    let preamble = format!(
        "Model: {} training sequences, {} parameters.\n\n## Reconstruction\n\n\
         {reconstruction}\n\n\
         ## New sequences\n\n{} sequences of {frames} drawn with `{:?}` (seed {}), \
         rendered on the same grid at the scale drawn with each code{}{}; {empty} empty frames \
         not described. Originals: the training masks.\n\n\
         - Novelty (`novelty.csv`): median Jaccard index of a new sequence to its nearest \
         training sequence (per frame, best of {} time shifts) **{med_g:.3}**; of a training \
         sequence to its nearest other training sequence **{med_t:.3}** (new, not copies, \
         when the first is below the second + 0.05: {}).\n\
         - Fragmentation: {:.1} % of the new frames have more connected components than any \
         training frame at the same time point ({extra} of {described}).\n",
        model.n_codes(),
        model.parameter_count(),
        options.count,
        options.codes,
        options.seed,
        match options.codes.sizes() {
            CellSizes::Training => {
                " (the scale that gives the cell a mean volume drawn from the training cells')"
            }
            CellSizes::Decoded => "",
        },
        if tube_model.is_some() {
            ", each cell's body with filopodia drawn as tubes (the model's tube model)"
        } else {
            ""
        },
        2 * MAX_SHIFT + 1,
        if med_g < med_t + 0.05 { "yes" } else { "no" },
        100.0 * extra_share,
    );
    let compared = write_report(
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
        novelty_generated,
        novelty_training,
        extra_components: extra_share,
        compared,
    })
}

/// The model times of each new sequence's frames: those of the training sequence its code
/// was drawn around (a varied cell lives as long as the cell it varies), or, for a code
/// drawn from a distribution (and when the model's codes are not the dataset's sequences),
/// of a training sequence drawn at random with the code's seed. So new frames weigh cells as
/// the training frames do. Time-lapses whose tracks differ in length (real data: cells
/// enter, leave and divide) would otherwise be compared frame against frame with the long
/// tracks over-represented in the training set only.
///
/// `training` are the training sequences (their `times`), `learned` is the model's number
/// of codes.
fn new_sequence_times(
    training: &[MaskSequence],
    learned: usize,
    codes: &[DrawnCode],
) -> Vec<Vec<f64>> {
    codes
        .iter()
        .map(|c| {
            let i = match c.around {
                Some(i) if learned == training.len() && i < training.len() => i,
                _ => {
                    let seed = crate::seed::stream_seed(c.seed, 1);
                    ChaCha8Rng::seed_from_u64(seed).random_range(0..training.len())
                }
            };
            training[i].times.clone()
        })
        .collect()
}

/// "10 frames" when every new sequence has 10 frames, else "1 to 31 frames" and where the
/// counts come from.
fn frame_count_text(times: &[Vec<f64>]) -> String {
    let lo = times.iter().map(Vec::len).min().unwrap_or(0);
    let hi = times.iter().map(Vec::len).max().unwrap_or(0);
    if lo == hi {
        format!("{lo} frames")
    } else {
        format!(
            "{lo} to {hi} frames (each at the frame times of the training sequence it was drawn \
             around, or of one drawn at random)"
        )
    }
}

/// The most components of any training frame at model time `t`: per training sequence,
/// its frame nearest to `t`. `frames` is the new sequence's frame count (times closer than
/// half its frame step count as the same time point).
fn most_components_near(training: &[(f64, usize)], t: f64, frames: usize) -> usize {
    let half_step = if frames > 1 {
        1.0 / (frames - 1) as f64
    } else {
        1.0
    };
    training
        .iter()
        .filter(|(tt, _)| (tt - t).abs() <= half_step + 1e-9)
        .map(|&(_, c)| c)
        .max()
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(around: Option<usize>, seed: u64) -> DrawnCode {
        DrawnCode {
            values: vec![0.0; 4],
            around,
            seed,
            scale_um: 1.0,
        }
    }

    /// Tracks of 1, 4 and 31 frames (real time-lapses: cells enter, leave and divide).
    fn tracks() -> Vec<MaskSequence> {
        [
            vec![0.0],
            vec![-1.0, -0.2, 0.4, 1.0],
            (0..31).map(|k| -1.0 + k as f64 / 15.0).collect(),
        ]
        .map(|times| MaskSequence {
            times,
            frames: Vec::new(),
        })
        .to_vec()
    }

    /// A code drawn around a learned one lives as long as that cell did, at its frame times
    /// (the old evaluation gave every new sequence the median length, 4 here).
    #[test]
    fn a_varied_cell_keeps_its_tracks_frame_times() {
        let training = tracks();
        let codes = [code(Some(0), 1), code(Some(2), 2), code(Some(1), 3)];
        let times = new_sequence_times(&training, 3, &codes);
        assert_eq!(
            times,
            vec![
                training[0].times.clone(),
                training[2].times.clone(),
                training[1].times.clone()
            ]
        );
        assert!(frame_count_text(&times).starts_with("1 to 31 frames ("));
        assert_eq!(frame_count_text(&times[1..2]), "31 frames");
    }

    /// Codes from a distribution (and codes of a model that was not trained on this
    /// dataset) take the frame times of a training track drawn uniformly with the code's
    /// seed: reproducible, every track about equally often.
    #[test]
    fn drawn_codes_take_a_random_tracks_times() {
        let training = tracks();
        let codes: Vec<DrawnCode> = (0..3000)
            .map(|k| {
                code(
                    if k % 2 == 0 { None } else { Some(0) },
                    crate::seed::stream_seed(7, k),
                )
            })
            .collect();
        // 5 learned codes but 3 tracks: `around` says nothing about this dataset.
        let times = new_sequence_times(&training, 5, &codes);
        assert_eq!(times, new_sequence_times(&training, 5, &codes));
        for track in &training {
            let n = times.iter().filter(|t| **t == track.times).count();
            assert!(
                (850..1150).contains(&n),
                "{n} of 3000 codes took a {}-frame track",
                track.times.len()
            );
        }
    }
}
