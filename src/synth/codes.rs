//! Latent codes for synthesis: new codes drawn from the learned latent space (fitted
//! Gaussian or neighbour mixture, see [`super::latent`]), the paper's two protocols
//! (N(0, sigma^2) and learned codes plus noise), and interpolations.

use super::latent::{FittedGaussian, NeighbourMixture};
use super::size::{code_volume, scale_for, CellSizes, SizeDistribution};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::progress::{check, Progress, Silent};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// How new codes are drawn. Every method also gives each code a scale (micrometres per
/// model unit) for rendering: drawn together with the code by the fitted methods, the
/// chosen sequence's by the mixture and around-learned methods, the mean by `Random`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CodeSource {
    /// z ~ N(0, sigma^2 I), the paper's protocol for C. elegans (sigma 0.1); `None` takes
    /// sigma from the learned codes (their standard deviation), or 0.1 when it has none.
    Random { sigma: Option<f64> },
    /// A learned code (chosen at random per sequence) plus N(0, sigma^2 I) noise, the
    /// paper's protocol for filopodial cells (0.01).
    AroundLearned { sigma: f64 },
    /// A Gaussian fitted to the learned codes (mean, covariance within their span, shrunk
    /// toward isotropy by `shrinkage`, 0 by default; `None`: the Ledoit-Wolf estimate, which
    /// with a few dozen codes shrinks almost fully and so narrows the size spread), the log
    /// scale of each sequence drawn jointly with its code; `sizes` as for `Neighbours`.
    Fitted {
        shrinkage: Option<f64>,
        sizes: CellSizes,
    },
    /// A learned code plus Gaussian noise within the codes' span whose expected length is
    /// `radius` times the distance to that code's nearest learned neighbour. With `sizes`
    /// [`CellSizes::Training`] (the default) the sequence is rendered at the scale that
    /// gives it a size drawn from the training sizes ([`super::size`]).
    Neighbours { radius: f64, sizes: CellSizes },
}

impl Default for CodeSource {
    /// The method that measured best (docs/results.md, "Plausible new cells").
    fn default() -> Self {
        CodeSource::Neighbours {
            radius: 1.0,
            sizes: CellSizes::Training,
        }
    }
}

impl CodeSource {
    /// Parses a command-line method: `fitted`, `neighbours`, `normal`, `around-learned`,
    /// with `param` its number (shrinkage, radius, sigma, sigma; `None`: the default), and
    /// `fitted-lw` (the fitted Gaussian with Ledoit-Wolf shrinkage).
    pub fn parse(method: &str, param: Option<f64>) -> Result<CodeSource> {
        let check = |name: &str, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && (lo..=hi).contains(&v) {
                Ok(v)
            } else {
                Err(Error::invalid(name, format!("{v} is outside {lo} to {hi}")))
            }
        };
        match method {
            "fitted" => Ok(CodeSource::Fitted {
                shrinkage: Some(check("shrinkage", param.unwrap_or(0.0), 0.0, 1.0)?),
                sizes: CellSizes::default(),
            }),
            "fitted-lw" => Ok(CodeSource::Fitted {
                shrinkage: None,
                sizes: CellSizes::default(),
            }),
            "neighbours" | "neighbors" => Ok(CodeSource::Neighbours {
                radius: check("radius", param.unwrap_or(1.0), 0.0, 100.0)?,
                sizes: CellSizes::default(),
            }),
            "normal" => Ok(CodeSource::Random {
                sigma: param.map(|v| check("sigma", v, 1e-9, 100.0)).transpose()?,
            }),
            "around-learned" => Ok(CodeSource::AroundLearned {
                sigma: check("sigma", param.unwrap_or(0.01), 0.0, 100.0)?,
            }),
            other => Err(Error::invalid(
                "codes",
                format!("{other:?} is not fitted, fitted-lw, neighbours, normal or around-learned"),
            )),
        }
    }

    /// The same method with cell sizes `sizes` (the paper's two protocols, `normal` and
    /// `around-learned`, keep the decoded size).
    pub fn with_sizes(self, sizes: CellSizes) -> CodeSource {
        match self {
            CodeSource::Fitted { shrinkage, .. } => CodeSource::Fitted { shrinkage, sizes },
            CodeSource::Neighbours { radius, .. } => CodeSource::Neighbours { radius, sizes },
            s => s,
        }
    }

    /// How this method sizes new cells.
    pub fn sizes(self) -> CellSizes {
        match self {
            CodeSource::Fitted { sizes, .. } | CodeSource::Neighbours { sizes, .. } => sizes,
            _ => CellSizes::Decoded,
        }
    }
}

/// One drawn code and where it came from.
#[derive(Debug, Clone)]
pub struct DrawnCode {
    pub values: Vec<f32>,
    /// Training sequence it was drawn around, if any.
    pub around: Option<usize>,
    pub seed: u64,
    /// Micrometres per model unit to render it at.
    pub scale_um: f64,
}

/// The learned codes as rows, the weight of the appended log-scale column (`None` when the
/// scales are all equal and no column is appended), and each sequence's scale.
type AugmentedCodes = (Vec<Vec<f64>>, Option<f64>, Vec<f64>);

/// The learned codes as rows, with each sequence's log scale appended as one more column
/// (weighted so that its variance equals the mean per-dimension code variance) when the
/// scales differ; `None` as weight when they do not.
fn augmented_codes(model: &Model) -> Result<AugmentedCodes> {
    let n = model.n_codes();
    let c = model.meta.config.code_size;
    let mut rows: Vec<Vec<f64>> = model
        .codes
        .chunks(c)
        .map(|r| r.iter().map(|&v| v as f64).collect())
        .collect();
    let scales: Vec<f64> = (0..n).map(|i| super::sequence_scale(model, i)).collect();
    let logs: Vec<f64> = scales.iter().map(|s| s.ln()).collect();
    let var = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len().max(2) - 1) as f64
    };
    let log_var = var(&logs);
    let code_var = (0..c)
        .map(|j| var(&rows.iter().map(|r| r[j]).collect::<Vec<_>>()))
        .sum::<f64>()
        / c as f64;
    let weight = (n >= 2 && log_var > 1e-12 && code_var > 0.0).then(|| (code_var / log_var).sqrt());
    if let Some(w) = weight {
        for (r, l) in rows.iter_mut().zip(&logs) {
            r.push(w * l);
        }
    }
    Ok((rows, weight, scales))
}

/// `count` codes from `source`; code k uses its own stream seeded by (seed, k). A model
/// with a single learned code gives that code plus N(0, 0.01^2) noise for the fitted and
/// neighbour methods (no distribution can be fitted to one point).
pub fn draw_codes(
    model: &Model,
    source: CodeSource,
    count: usize,
    seed: u64,
) -> Result<Vec<DrawnCode>> {
    draw_codes_from(model, source, 0, count, seed, &Silent)
}

/// Codes `first` to `first + count - 1` of [`draw_codes`]'s series for `seed`: the same
/// codes, whichever part of the series a caller (one task of a cluster) draws. Sizing the
/// new cells (training sizes: a few renders per code) reports to `progress` (stage
/// "sizing new cells k/n", fraction 0 to 1 of that stage), which can cancel it.
pub fn draw_codes_from(
    model: &Model,
    source: CodeSource,
    first: usize,
    count: usize,
    seed: u64,
    progress: &dyn Progress,
) -> Result<Vec<DrawnCode>> {
    let c = model.meta.config.code_size;
    let n_learned = model.n_codes();
    let (rows, weight, scales) = augmented_codes(model)?;
    let mean_scale = super::training_scale_and_interval(model, 2).0;
    // Splits an augmented draw into the code and its scale.
    let split = |v: Vec<f64>, fallback: f64| -> (Vec<f32>, f64) {
        let scale = match weight {
            Some(w) => (v[c] / w).exp(),
            None => fallback,
        };
        (v[..c].iter().map(|&x| x as f32).collect(), scale)
    };
    // A distribution over learned codes needs two of them; a model of one sequence can
    // only give variations of it (the paper's learned code plus 0.01 noise).
    let source = match source {
        CodeSource::Fitted { .. } | CodeSource::Neighbours { .. } if n_learned < 2 => {
            CodeSource::AroundLearned { sigma: 0.01 }
        }
        s => s,
    };
    let fitted = match source {
        CodeSource::Fitted { shrinkage, .. } => Some(FittedGaussian::fit(&rows, shrinkage)?),
        _ => None,
    };
    let mixture = match source {
        CodeSource::Neighbours { radius, .. } => Some(NeighbourMixture::fit(&rows, radius)?),
        _ => None,
    };
    let drawn = (first..first.saturating_add(count))
        .map(|k| {
            let s = crate::seed::stream_seed(seed, k);
            let mut rng = ChaCha8Rng::seed_from_u64(s);
            let drawn = |values, around, scale_um| DrawnCode {
                values,
                around,
                seed: s,
                scale_um,
            };
            match source {
                CodeSource::Random { sigma } => {
                    let sd = sigma.unwrap_or(if model.meta.code_stats.sd > 0.0 {
                        model.meta.code_stats.sd
                    } else {
                        0.1
                    });
                    let dist = Normal::new(0.0, sd)
                        .map_err(|_| Error::invalid("sigma", "must be a positive number"))?;
                    let values = (0..c).map(|_| dist.sample(&mut rng) as f32).collect();
                    Ok(drawn(values, None, mean_scale))
                }
                CodeSource::AroundLearned { sigma } => {
                    if n_learned == 0 {
                        return Err(Error::invalid(
                            "around-learned",
                            "the model has no learned codes",
                        ));
                    }
                    let dist = Normal::new(0.0, sigma).map_err(|_| {
                        Error::invalid("around-learned", "must be a positive number")
                    })?;
                    let i = rand::Rng::random_range(&mut rng, 0..n_learned);
                    let values = rows[i][..c]
                        .iter()
                        .map(|v| (v + dist.sample(&mut rng)) as f32)
                        .collect();
                    Ok(drawn(values, Some(i), scales[i]))
                }
                CodeSource::Fitted { .. } => {
                    let g = fitted.as_ref().expect("fitted above");
                    let (values, scale) = split(g.sample(&mut rng), mean_scale);
                    Ok(drawn(values, None, scale))
                }
                CodeSource::Neighbours { .. } => {
                    let m = mixture.as_ref().expect("fitted above");
                    let (v, i) = m.sample(&mut rng);
                    let (values, scale) = split(v, scales[i]);
                    Ok(drawn(values, Some(i), scale))
                }
            }
        })
        .collect::<Result<Vec<_>>>()?;
    match source.sizes() {
        CellSizes::Training => with_training_sizes(model, drawn, progress),
        CellSizes::Decoded => Ok(drawn),
    }
}

/// `drawn` codes, each rescaled to a size drawn from the training sizes: around a training
/// sequence chosen at random, independently of the one the code was drawn around (stream
/// 3 of the code's seed chooses it and draws the size). Size is drawn apart from shape:
/// tying it to the code's own training sequence matched the training volumes less well
/// (docs/results.md).
fn with_training_sizes(
    model: &Model,
    mut drawn: Vec<DrawnCode>,
    progress: &dyn Progress,
) -> Result<Vec<DrawnCode>> {
    if drawn.is_empty() {
        return Ok(drawn);
    }
    let n = drawn.len();
    check(progress, 0.0, &format!("sizing new cells 0/{n}"))?;
    let sizes = SizeDistribution::learned(model)?;
    for (k, d) in drawn.iter_mut().enumerate() {
        check(
            progress,
            k as f32 / n as f32,
            &format!("sizing new cells {k}/{n}"),
        )?;
        let mut rng = ChaCha8Rng::seed_from_u64(crate::seed::stream_seed(d.seed, 3));
        let i = rand::Rng::random_range(&mut rng, 0..sizes.logs.len());
        let target = sizes.draw(i, &mut rng);
        d.scale_um = scale_for(
            code_volume(model, &d.values, d.scale_um)?,
            target,
            d.scale_um,
        );
    }
    Ok(drawn)
}

/// Codes of the straight line from sequence `from`'s code to `to`'s, `steps` >= 2 of them,
/// endpoints included (the first equals `from`'s code, the last `to`'s).
pub fn interpolate_codes(
    model: &Model,
    from: usize,
    to: usize,
    steps: usize,
) -> Result<Vec<Vec<f32>>> {
    if !(2..=100_000).contains(&steps) {
        return Err(Error::invalid(
            "steps",
            format!("is {steps}, must be 2 to 100000 (as --count)"),
        ));
    }
    let (a, b) = (model.code(from)?, model.code(to)?);
    Ok((0..steps)
        .map(|k| {
            let w = k as f64 / (steps - 1) as f64;
            if k == 0 {
                a.clone()
            } else if k + 1 == steps {
                b.clone()
            } else {
                a.iter()
                    .zip(&b)
                    .map(|(&x, &y)| (x as f64 * (1.0 - w) + y as f64 * w) as f32)
                    .collect()
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_methods_parse_with_their_defaults() {
        // `fitted` keeps the learned covariance (Ledoit-Wolf shrinks it almost fully with a
        // few dozen codes, which narrowed the generated size spread).
        assert_eq!(
            CodeSource::parse("fitted", None).unwrap(),
            CodeSource::Fitted {
                shrinkage: Some(0.0),
                sizes: CellSizes::Training,
            }
        );
        // The default sampler is the one that measured best (neighbours, radius 1).
        assert_eq!(
            CodeSource::default(),
            CodeSource::parse("neighbours", None).unwrap()
        );
        assert_eq!(
            CodeSource::parse("fitted-lw", None).unwrap(),
            CodeSource::Fitted {
                shrinkage: None,
                sizes: CellSizes::Training,
            }
        );
        assert_eq!(
            CodeSource::parse("neighbours", None).unwrap(),
            CodeSource::Neighbours {
                radius: 1.0,
                sizes: CellSizes::Training,
            }
        );
        // Training sizes are the default of the two methods that have them; the paper's
        // protocols keep the decoded size.
        let decoded = CodeSource::default().with_sizes(CellSizes::Decoded);
        assert_eq!(decoded.sizes(), CellSizes::Decoded);
        let paper = CodeSource::parse("normal", None).unwrap();
        assert_eq!(
            paper.with_sizes(CellSizes::Training).sizes(),
            CellSizes::Decoded
        );
        assert!(CodeSource::parse("fitted", Some(1.5)).is_err());
        assert!(CodeSource::parse("normal", Some(f64::NAN)).is_err());
        let e = CodeSource::parse("gaussian", None).unwrap_err().to_string();
        assert!(e.contains("gaussian") && e.contains("fitted"), "{e}");
    }
}
