//! Sizes of new cells. A code drawn between learned codes decodes to a cell of its own
//! size, and such codes decode to a wider spread of sizes than the training cells have
//! (filopodial bundled model: per-sequence mean volumes 38.5 to 66.5 um^3 against 40.0 to
//! 52.0; docs/results.md). [`CellSizes::Training`] renders each new sequence at the scale
//! (um per model unit) that gives it a volume drawn from the training sizes, so that size
//! follows the training distribution while the code gives the shape.
//!
//! A sequence's size is the mean volume (um^3) of its cell at [`SIZE_TIMES`] model times
//! evenly spread over the sequence, measured on a [`SIZE_GRID`]^3 grid over the model cube
//! [-1, 1]^3 ([`code_volume`]). The learned codes' sizes, measured the same way, form the
//! training size distribution; a new sequence's target size is drawn from it by the
//! smoothed bootstrap with variance correction (Silverman 1986, section 6.4.1): a training
//! sequence's size chosen at random plus kernel noise, shrunk toward the mean.

use super::render::{Evaluation, RenderGrid, Renderer};
use crate::error::{Error, Result};
use crate::filopodia::body_of;
use crate::model::Model;
use crate::units::VoxelSize;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Model times at which a sequence's size is measured (evenly from -1 to 1).
const SIZE_TIMES: usize = 5;
/// Grid (voxels per side of the model cube) on which a sequence's size is measured.
const SIZE_GRID: usize = 64;
/// A drawn scale is at most this factor from the code's own (a code that decodes to almost
/// nothing is not blown up to the target size).
const MAX_RESCALE: f64 = 2.0;

/// How new cells get their size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellSizes {
    /// Each new sequence's mean volume drawn from the training sequences', apart from its
    /// shape (the default for the samplers of the learned distribution, `neighbours` and
    /// `fitted`).
    #[default]
    Training,
    /// The size the code decodes to, at the scale drawn with it.
    Decoded,
}

impl CellSizes {
    /// Parses `training` or `decoded` (argument `sizes`).
    pub fn parse(text: &str) -> Result<CellSizes> {
        match text {
            "training" => Ok(CellSizes::Training),
            "decoded" => Ok(CellSizes::Decoded),
            other => Err(Error::invalid(
                "sizes",
                format!("{other:?} is not training or decoded"),
            )),
        }
    }
}

/// Mean volume (um^3) of the cell that `code` renders to at `scale_um` um per model unit,
/// over [`SIZE_TIMES`] model times, on a [`SIZE_GRID`]^3 grid over the model cube: the
/// body ([`crate::filopodia::body_of`], as rendered) when the model carries a tube model
/// (its tubes are drawn from the training tubes, so only the body is sized), else the whole
/// shape with partial-volume voxels.
pub fn code_volume(model: &Model, code: &[f32], scale_um: f64) -> Result<f64> {
    let h = 2.0 * scale_um / SIZE_GRID as f64;
    let grid = RenderGrid::centred([SIZE_GRID; 3], VoxelSize::isotropic(h), scale_um);
    let mut renderer = Renderer::new(model, code, None)?;
    let times = super::times(SIZE_TIMES);
    let mut total = 0.0;
    for &t in &times {
        let sdf = renderer.frame(&grid, t, Evaluation::adaptive())?;
        total += match &model.meta.tubes {
            Some(tubes) => {
                let mask = sdf.mapv(|d| d <= 0.0);
                let (body, _) = body_of(
                    mask.view(),
                    [h; 3],
                    tubes.params.opening_um,
                    tubes.max_bodies,
                );
                body.iter().filter(|&&b| b).count() as f64
            }
            None => sdf
                .iter()
                .map(|&d| (0.5 - d as f64 / h).clamp(0.0, 1.0))
                .sum::<f64>(),
        } * h.powi(3);
    }
    Ok(total / times.len() as f64)
}

/// What [`code_volume`] measures for `model`, in words (a [`SizeRecord`] of another
/// measure is not used).
fn measure(model: &Model) -> String {
    let what = match &model.meta.tubes {
        Some(t) => format!(
            "body (opened with {} um, at most {} bodies)",
            t.params.opening_um, t.max_bodies
        ),
        None => "whole shape, partial-volume voxels".to_string(),
    };
    format!("mean volume of the {what} at {SIZE_TIMES} times on {SIZE_GRID}^3 voxels over the model cube")
}

/// Each training sequence's size (ln um^3), as stored in a model file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SizeRecord {
    /// How the sizes were measured (see [`code_volume`]).
    pub measure: String,
    /// ln(volume / um^3), one per training sequence.
    pub log_volume_um3: Vec<f64>,
}

impl SizeRecord {
    /// Measures `model`'s learned codes, each at its sequence's scale
    /// ([`super::sequence_scale`]).
    pub fn measure(model: &Model) -> Result<SizeRecord> {
        let log_volume_um3 = (0..model.n_codes())
            .map(|i| {
                let v = code_volume(model, &model.code(i)?, super::sequence_scale(model, i))?;
                if v <= 0.0 {
                    return Err(Error::invalid(
                        "model",
                        format!("training sequence {i}'s code decodes to an empty shape"),
                    ));
                }
                Ok(v.ln())
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SizeRecord {
            measure: measure(model),
            log_volume_um3,
        })
    }

    /// Refuses a record with no size or a size that is not a finite number.
    pub fn validate(&self) -> Result<()> {
        if self.log_volume_um3.is_empty() || self.log_volume_um3.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "sizes",
                "must be finite log volumes, at least one",
            ));
        }
        Ok(())
    }
}

/// The training sequences' sizes as natural logs of um^3, and the smoothed bootstrap that
/// draws new sizes from them.
#[derive(Debug, Clone)]
pub struct SizeDistribution {
    /// ln(volume / um^3) of each training sequence.
    pub logs: Vec<f64>,
    mean: f64,
    /// Standard deviation of `logs` (divisor n).
    sd: f64,
    /// Kernel bandwidth (Silverman's rule of thumb, 1.06 sd n^(-1/5)).
    bandwidth: f64,
}

impl SizeDistribution {
    /// From log volumes (at least one, all finite).
    pub fn from_logs(logs: Vec<f64>) -> Result<SizeDistribution> {
        if logs.is_empty() || logs.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "sizes",
                "training sizes must be finite volumes, at least one",
            ));
        }
        let n = logs.len() as f64;
        let mean = logs.iter().sum::<f64>() / n;
        // The spread of the sizes themselves (divisor n): the variance the draws keep.
        let sd = (logs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        Ok(SizeDistribution {
            logs,
            mean,
            sd,
            bandwidth: 1.06 * sd * n.powf(-0.2),
        })
    }

    /// The sizes of `model`'s learned codes, each sequence at its own scale: the model's
    /// record when it holds one of this measure, else measured now.
    pub fn learned(model: &Model) -> Result<SizeDistribution> {
        match &model.meta.sizes {
            Some(r) if r.measure == measure(model) && r.log_volume_um3.len() == model.n_codes() => {
                Self::from_logs(r.log_volume_um3.clone())
            }
            _ => Self::from_logs(SizeRecord::measure(model)?.log_volume_um3),
        }
    }

    /// A size (ln um^3) drawn around training sequence `i`: its size plus kernel noise,
    /// shrunk toward the mean so that the draws keep the training sizes' mean and variance.
    pub fn draw(&self, i: usize, rng: &mut impl Rng) -> f64 {
        let li = self.logs[i.min(self.logs.len() - 1)];
        if self.sd <= 0.0 {
            return li;
        }
        let e: f64 = StandardNormal.sample(rng);
        let shrink = (1.0 + (self.bandwidth / self.sd).powi(2)).sqrt();
        self.mean + (li - self.mean + self.bandwidth * e) / shrink
    }
}

/// The scale (um per model unit) at which a cell of `volume_um3` at `scale_um` has
/// `exp(log_target)` um^3, at most [`MAX_RESCALE`] from `scale_um`; `scale_um` when the
/// cell is empty.
pub fn scale_for(volume_um3: f64, log_target: f64, scale_um: f64) -> f64 {
    if !(volume_um3 > 0.0 && log_target.is_finite()) {
        return scale_um;
    }
    let s = scale_um * ((log_target - volume_um3.ln()) / 3.0).exp();
    s.clamp(scale_um / MAX_RESCALE, scale_um * MAX_RESCALE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Draws around uniformly chosen training sizes keep the training sizes' mean and
    /// standard deviation (a plain smoothed bootstrap inflates the variance by
    /// 1 + h^2 / sd^2, 28 % for 32 sizes), and are new values, not copies.
    #[test]
    fn drawn_sizes_keep_the_training_mean_and_spread() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let logs: Vec<f64> = (0..32)
            .map(|_| {
                let e: f64 = StandardNormal.sample(&mut rng);
                3.8 + 0.07 * e
            })
            .collect();
        let dist = SizeDistribution::from_logs(logs.clone()).unwrap();
        let n = 200_000;
        let draws: Vec<f64> = (0..n)
            .map(|_| dist.draw(rng.random_range(0..32), &mut rng))
            .collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let sd = (draws.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        let m0 = logs.iter().sum::<f64>() / 32.0;
        let sd0 = (logs.iter().map(|v| (v - m0).powi(2)).sum::<f64>() / 32.0).sqrt();
        assert!((mean - m0).abs() < 0.002, "{mean} vs {m0}");
        assert!((sd / sd0 - 1.0).abs() < 0.01, "{sd} vs {sd0}");
        assert!(draws.iter().take(100).all(|d| !logs.contains(d)));
    }

    /// A cell of volume v at scale s has v (s' / s)^3 at scale s'; the scale that gives it
    /// a target volume is the cube root of the ratio, bounded.
    #[test]
    fn scale_for_a_target_volume() {
        let s = scale_for(2.0, (16.0f64).ln(), 1.5);
        assert!((s - 3.0).abs() < 1e-12);
        assert_eq!(scale_for(2.0, (1e6f64).ln(), 1.0), 2.0);
        assert_eq!(scale_for(0.0, 1.0, 1.5), 1.5);
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(CellSizes::parse("decoded").unwrap(), CellSizes::Decoded);
        assert!(CellSizes::parse("big")
            .unwrap_err()
            .to_string()
            .contains("sizes"));
    }
}
