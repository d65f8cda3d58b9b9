//! Distributions over the learned latent space, fitted to a model's codes, for drawing new
//! codes that stay where the network was trained.
//!
//! N learned codes span at most N - 1 directions of the C-dimensional code space; an
//! isotropic draw puts most of its energy outside that span, where the network never saw a
//! code. Both distributions here live in the span: a Gaussian with the codes' mean and
//! covariance (Ledoit-Wolf shrinkage of the covariance toward its mean eigenvalue, within
//! the span), and a mixture of Gaussians centred on the learned codes, each with a radius
//! set from that code's nearest-neighbour distance.
//!
//! Points are rows of f64 (a code, optionally with a log-scale column appended, so that a
//! sequence's size is drawn together with its shape).

use crate::error::{Error, Result};
use crate::linalg::symmetric_eigen;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// The centred points' span: mean, orthonormal basis (directions with non-zero variance)
/// and the variance along each basis direction.
#[derive(Debug, Clone)]
pub struct Span {
    pub mean: Vec<f64>,
    /// Unit vectors, one per spanned direction.
    pub basis: Vec<Vec<f64>>,
    /// Sample variance (divisor n - 1) along each basis vector, descending.
    pub variances: Vec<f64>,
}

impl Span {
    /// The span of `points` (at least two rows of equal length).
    pub fn fit(points: &[Vec<f64>]) -> Result<Span> {
        let n = points.len();
        if n < 2 {
            return Err(Error::invalid(
                "codes",
                "a distribution needs at least two learned codes",
            ));
        }
        let d = points[0].len();
        if d == 0
            || points
                .iter()
                .any(|p| p.len() != d || p.iter().any(|v| !v.is_finite()))
        {
            return Err(Error::invalid(
                "codes",
                "learned codes must be finite and of one length",
            ));
        }
        let mean: Vec<f64> = (0..d)
            .map(|j| points.iter().map(|p| p[j]).sum::<f64>() / n as f64)
            .collect();
        let mut cov = vec![0.0; d * d];
        for p in points {
            let c: Vec<f64> = p.iter().zip(&mean).map(|(a, m)| a - m).collect();
            for i in 0..d {
                for j in i..d {
                    cov[i * d + j] += c[i] * c[j];
                }
            }
        }
        for i in 0..d {
            for j in i..d {
                cov[i * d + j] /= (n - 1) as f64;
                cov[j * d + i] = cov[i * d + j];
            }
        }
        let (values, vectors) = symmetric_eigen(&cov, d);
        let top = values.first().copied().unwrap_or(0.0).max(0.0);
        let keep = values
            .iter()
            .take_while(|&&v| top > 0.0 && v > 1e-10 * top)
            .count()
            .min(n - 1);
        Ok(Span {
            mean,
            basis: vectors.into_iter().take(keep).collect(),
            variances: values.into_iter().take(keep).collect(),
        })
    }

    pub fn rank(&self) -> usize {
        self.basis.len()
    }

    /// Coordinates of `p - mean` along the basis.
    pub fn project(&self, p: &[f64]) -> Vec<f64> {
        self.basis
            .iter()
            .map(|b| {
                b.iter()
                    .zip(p)
                    .zip(&self.mean)
                    .map(|((b, x), m)| b * (x - m))
                    .sum()
            })
            .collect()
    }

    /// `origin + sum_k coords[k] basis[k]`.
    fn embed(&self, origin: &[f64], coords: &[f64]) -> Vec<f64> {
        let mut out = origin.to_vec();
        for (b, c) in self.basis.iter().zip(coords) {
            for (o, v) in out.iter_mut().zip(b) {
                *o += c * v;
            }
        }
        out
    }
}

/// A Gaussian fitted to points: their mean and covariance within their span, the
/// covariance shrunk toward its mean eigenvalue (Ledoit & Wolf 2004, computed in span
/// coordinates) so that few points do not give a degenerate, over-confident fit.
#[derive(Debug, Clone)]
pub struct FittedGaussian {
    pub span: Span,
    /// Shrinkage weight in [0, 1] (0: sample covariance, 1: isotropic in the span).
    pub shrinkage: f64,
    /// Variance along each basis direction after shrinkage.
    pub variances: Vec<f64>,
}

impl FittedGaussian {
    /// Fits `points`; `shrinkage` None estimates the Ledoit-Wolf weight.
    pub fn fit(points: &[Vec<f64>], shrinkage: Option<f64>) -> Result<FittedGaussian> {
        let span = Span::fit(points)?;
        let r = span.rank();
        if r == 0 {
            return Err(Error::invalid("codes", "the learned codes are all equal"));
        }
        let alpha = match shrinkage {
            Some(a) if (0.0..=1.0).contains(&a) => a,
            Some(_) => return Err(Error::invalid("shrinkage", "must be between 0 and 1")),
            None => ledoit_wolf(&points.iter().map(|p| span.project(p)).collect::<Vec<_>>()),
        };
        let mu = span.variances.iter().sum::<f64>() / r as f64;
        let variances = span
            .variances
            .iter()
            .map(|v| (1.0 - alpha) * v + alpha * mu)
            .collect();
        Ok(FittedGaussian {
            span,
            shrinkage: alpha,
            variances,
        })
    }

    pub fn sample(&self, rng: &mut impl Rng) -> Vec<f64> {
        let coords: Vec<f64> = self
            .variances
            .iter()
            .map(|v| {
                v.sqrt() * {
                    let e: f64 = StandardNormal.sample(rng);
                    e
                }
            })
            .collect::<Vec<f64>>();
        self.span.embed(&self.span.mean, &coords)
    }

    /// The fitted covariance (row-major d x d).
    pub fn covariance(&self) -> Vec<f64> {
        let d = self.span.mean.len();
        let mut c = vec![0.0; d * d];
        for (b, v) in self.span.basis.iter().zip(&self.variances) {
            for i in 0..d {
                for j in 0..d {
                    c[i * d + j] += v * b[i] * b[j];
                }
            }
        }
        c
    }
}

/// Ledoit-Wolf shrinkage weight toward (trace / r) I for centred r-dimensional points.
fn ledoit_wolf(y: &[Vec<f64>]) -> f64 {
    let n = y.len() as f64;
    let r = y.first().map_or(0, Vec::len);
    if r == 0 {
        return 0.0;
    }
    // S with divisor n, as in the paper's estimator.
    let mut s = vec![0.0; r * r];
    for p in y {
        for i in 0..r {
            for j in 0..r {
                s[i * r + j] += p[i] * p[j] / n;
            }
        }
    }
    let mu = (0..r).map(|i| s[i * r + i]).sum::<f64>() / r as f64;
    let delta2: f64 = (0..r * r)
        .map(|k| {
            let target = if k / r == k % r { mu } else { 0.0 };
            (s[k] - target).powi(2)
        })
        .sum();
    let beta2_bar: f64 = y
        .iter()
        .map(|p| {
            (0..r * r)
                .map(|k| (p[k / r] * p[k % r] - s[k]).powi(2))
                .sum::<f64>()
        })
        .sum::<f64>()
        / (n * n);
    if delta2 <= 0.0 {
        return 1.0;
    }
    (beta2_bar.min(delta2) / delta2).clamp(0.0, 1.0)
}

/// A mixture with one Gaussian per point, centred on it, isotropic within the points' span,
/// with standard deviation `radius` x (distance to the nearest other point) / sqrt(rank):
/// the expected distance of a draw from its centre is about `radius` times the gap to its
/// nearest neighbour.
#[derive(Debug, Clone)]
pub struct NeighbourMixture {
    pub span: Span,
    pub centres: Vec<Vec<f64>>,
    /// Per centre, the standard deviation along each spanned direction.
    pub sd: Vec<f64>,
}

impl NeighbourMixture {
    pub fn fit(points: &[Vec<f64>], radius: f64) -> Result<NeighbourMixture> {
        if !(radius.is_finite() && radius >= 0.0) {
            return Err(Error::invalid("radius", "must be a number >= 0"));
        }
        let span = Span::fit(points)?;
        let r = span.rank().max(1) as f64;
        let dist = |a: &[f64], b: &[f64]| -> f64 {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let sd = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let nn = points
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, q)| dist(p, q))
                    .fold(f64::INFINITY, f64::min);
                radius * nn / r.sqrt()
            })
            .collect();
        Ok(NeighbourMixture {
            span,
            centres: points.to_vec(),
            sd,
        })
    }

    /// A draw and the index of the centre it was drawn around.
    pub fn sample(&self, rng: &mut impl Rng) -> (Vec<f64>, usize) {
        let i = rng.random_range(0..self.centres.len());
        let coords: Vec<f64> = (0..self.span.rank())
            .map(|_| {
                self.sd[i] * {
                    let e: f64 = StandardNormal.sample(rng);
                    e
                }
            })
            .collect::<Vec<f64>>();
        (self.span.embed(&self.centres[i], &coords), i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Points x = m + A e with e ~ N(0, I_k): covariance A A^T of rank k in d dimensions.
    fn draw(n: usize, m: &[f64], a: &[Vec<f64>], rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
        (0..n)
            .map(|_| {
                let e: Vec<f64> = a.iter().map(|_| StandardNormal.sample(rng)).collect();
                m.iter()
                    .enumerate()
                    .map(|(j, mj)| mj + a.iter().zip(&e).map(|(col, ek)| col[j] * ek).sum::<f64>())
                    .collect()
            })
            .collect()
    }

    fn sample_cov(points: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
        let n = points.len() as f64;
        let d = points[0].len();
        let mean: Vec<f64> = (0..d)
            .map(|j| points.iter().map(|p| p[j]).sum::<f64>() / n)
            .collect();
        let mut c = vec![0.0; d * d];
        for p in points {
            for i in 0..d {
                for j in 0..d {
                    c[i * d + j] += (p[i] - mean[i]) * (p[j] - mean[j]) / (n - 1.0);
                }
            }
        }
        (mean, c)
    }

    #[test]
    fn fitted_gaussian_reproduces_a_known_low_rank_covariance() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let d = 24;
        let m: Vec<f64> = (0..d).map(|j| 0.05 * j as f64 - 0.3).collect();
        // Three directions with variances 0.09, 0.04 and 0.01.
        let a: Vec<Vec<f64>> = [(0.3, 1), (0.2, 5), (0.1, 11)]
            .iter()
            .map(|&(s, k)| {
                (0..d)
                    .map(|j| {
                        s * if j == k {
                            0.8
                        } else if j == k + 1 {
                            0.6
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        let truth: Vec<f64> = (0..d * d)
            .map(|q| a.iter().map(|c| c[q / d] * c[q % d]).sum())
            .collect();
        let learned = draw(4000, &m, &a, &mut rng);
        let g = FittedGaussian::fit(&learned, None).unwrap();
        assert_eq!(g.span.rank(), 3);
        assert!(g.shrinkage < 0.01, "{}", g.shrinkage);
        let new: Vec<Vec<f64>> = (0..40000).map(|_| g.sample(&mut rng)).collect();
        let (mean, cov) = sample_cov(&new);
        for j in 0..d {
            assert!((mean[j] - m[j]).abs() < 0.01, "mean {j}");
        }
        let err = cov
            .iter()
            .zip(&truth)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(err < 0.004, "max covariance error {err}");
        // An isotropic draw with the same total variance misses it badly.
        let total: f64 = (0..d).map(|j| truth[j * d + j]).sum();
        let iso = total / d as f64;
        let iso_err = (0..d * d)
            .map(|q| (if q / d == q % d { iso } else { 0.0 } - truth[q]).abs())
            .fold(0.0, f64::max);
        assert!(iso_err > 0.05, "{iso_err}");
        // Draws stay in the span: no energy in orthogonal directions.
        let off: f64 = new[..100]
            .iter()
            .map(|p| {
                let c: Vec<f64> = p.iter().zip(&g.span.mean).map(|(x, y)| x - y).collect();
                let inside: f64 = g.span.project(p).iter().map(|v| v * v).sum();
                let total: f64 = c.iter().map(|v| v * v).sum();
                (total - inside).max(0.0)
            })
            .sum();
        assert!(off < 1e-9, "{off}");
    }

    #[test]
    fn few_points_are_shrunk_toward_isotropy_in_their_span() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let d = 12;
        let a: Vec<Vec<f64>> = (0..6)
            .map(|k| {
                (0..d)
                    .map(|j| if j == k { 1.0 / (1.0 + k as f64) } else { 0.0 })
                    .collect()
            })
            .collect();
        let learned = draw(8, &vec![0.0; d], &a, &mut rng);
        let g = FittedGaussian::fit(&learned, None).unwrap();
        assert!(g.span.rank() <= 6);
        assert!(g.shrinkage > 0.05 && g.shrinkage <= 1.0, "{}", g.shrinkage);
        let fixed = FittedGaussian::fit(&learned, Some(0.0)).unwrap();
        assert_eq!(fixed.variances, fixed.span.variances);
        assert!(FittedGaussian::fit(&learned[..1], None).is_err());
    }

    #[test]
    fn mixture_draws_stay_near_their_centre_at_the_set_radius() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        // Four points on a line at 0, 1, 3, 7 (in 5 dimensions).
        let points: Vec<Vec<f64>> = [0.0, 1.0, 3.0, 7.0]
            .iter()
            .map(|&x| vec![x, 2.0 * x, 0.0, 1.0, -1.0])
            .collect();
        let gap = 5f64.sqrt();
        let mix = NeighbourMixture::fit(&points, 0.5).unwrap();
        assert_eq!(mix.span.rank(), 1);
        assert!((mix.sd[0] - 0.5 * gap).abs() < 1e-9);
        assert!((mix.sd[3] - 0.5 * 4.0 * gap).abs() < 1e-9);
        let mut dist = vec![Vec::new(); 4];
        for _ in 0..20000 {
            let (z, i) = mix.sample(&mut rng);
            let d: f64 = z
                .iter()
                .zip(&points[i])
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>();
            dist[i].push(d);
        }
        for (i, d) in dist.iter().enumerate() {
            let ms = d.iter().sum::<f64>() / d.len() as f64;
            assert!(
                (ms / mix.sd[i].powi(2) - 1.0).abs() < 0.05,
                "centre {i}: {ms}"
            );
        }
    }
}
