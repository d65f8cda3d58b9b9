//! Latent codes for synthesis: new random codes, learned codes with noise, interpolations.

use crate::error::{Error, Result};
use crate::model::Model;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use tch::Tensor;

/// How new codes are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CodeSource {
    /// z ~ N(0, sigma^2); `None` takes sigma from the model's learned codes (their standard
    /// deviation), or 0.1 when it has none.
    Random { sigma: Option<f64> },
    /// A learned code (chosen at random per sequence) plus N(0, sigma^2) noise (paper: 0.01).
    AroundLearned { sigma: f64 },
}

/// One drawn code and where it came from.
#[derive(Debug, Clone)]
pub struct DrawnCode {
    pub values: Vec<f32>,
    /// Training sequence it was drawn around, if any.
    pub around: Option<usize>,
    pub seed: u64,
}

/// `count` codes from `source`; code k uses its own stream seeded by (seed, k).
pub fn draw_codes(
    model: &Model,
    source: CodeSource,
    count: usize,
    seed: u64,
) -> Result<Vec<DrawnCode>> {
    let c = model.meta.config.code_size;
    let n_learned = model.codes.size()[0] as usize;
    (0..count)
        .map(|k| {
            let s = crate::phantom::sequence_seed(seed, k);
            let mut rng = ChaCha8Rng::seed_from_u64(s);
            match source {
                CodeSource::Random { sigma } => {
                    let sd = sigma.unwrap_or(if model.meta.code_stats.sd > 0.0 {
                        model.meta.code_stats.sd
                    } else {
                        0.1
                    });
                    let dist = Normal::new(0.0, sd)
                        .map_err(|_| Error::invalid("sigma", "must be a positive number"))?;
                    Ok(DrawnCode {
                        values: (0..c).map(|_| dist.sample(&mut rng) as f32).collect(),
                        around: None,
                        seed: s,
                    })
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
                    let base = Vec::<f32>::try_from(model.code(i)?.to_device(tch::Device::Cpu))?;
                    let values = base
                        .iter()
                        .map(|v| v + dist.sample(&mut rng) as f32)
                        .collect();
                    Ok(DrawnCode {
                        values,
                        around: Some(i),
                        seed: s,
                    })
                }
            }
        })
        .collect()
}

/// Codes of the straight line from sequence `from`'s code to `to`'s, `steps` >= 2 of them,
/// endpoints included (the first equals `from`'s code, the last `to`'s).
pub fn interpolate_codes(
    model: &Model,
    from: usize,
    to: usize,
    steps: usize,
) -> Result<Vec<Tensor>> {
    if steps < 2 {
        return Err(Error::invalid("steps", "must be at least 2"));
    }
    let (a, b) = (model.code(from)?, model.code(to)?);
    Ok((0..steps)
        .map(|k| {
            let w = k as f64 / (steps - 1) as f64;
            if k == 0 {
                a.copy()
            } else if k + 1 == steps {
                b.copy()
            } else {
                &a * (1.0 - w) + &b * w
            }
        })
        .collect())
}
