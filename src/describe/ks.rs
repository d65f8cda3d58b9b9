//! Two-sample Kolmogorov-Smirnov test (two-sided), as scipy.stats.ks_2samp computes it with
//! `method="auto"`: the exact null distribution when both samples have at most 10,000
//! values, the asymptotic Kolmogorov distribution above.

use crate::error::{Error, Result};
use serde::Serialize;

/// Largest sample size for which the exact distribution is used (scipy's `MAX_AUTO_N`).
pub const MAX_EXACT_N: usize = 10_000;

/// Result of a two-sample KS test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KsTest {
    /// sup |F1 - F2| of the two empirical CDFs.
    pub statistic: f64,
    /// P(D >= statistic) under the null hypothesis that both samples share a distribution.
    pub p_value: f64,
    /// Whether the p-value is exact (otherwise asymptotic).
    pub exact: bool,
}

/// Two-sided two-sample KS test of `a` against `b`. Errors on an empty sample or a NaN.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Result<KsTest> {
    for (name, s) in [("first sample", a), ("second sample", b)] {
        if s.is_empty() {
            return Err(Error::invalid(name, "the KS test needs at least one value"));
        }
        if s.iter().any(|v| v.is_nan()) {
            return Err(Error::invalid(name, "the sample contains NaN"));
        }
    }
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n1, n2) = (a.len(), b.len());
    let d = statistic_sorted(&a, &b);
    if n1.max(n2) <= MAX_EXACT_N {
        let g = gcd(n1, n2);
        let lcm = (n1 / g) * n2;
        let h = (d * lcm as f64).round() as usize;
        let statistic = h as f64 / lcm as f64;
        let p = if h == 0 {
            1.0
        } else {
            1.0 - prob_inside(n1, n2, g, h)
        };
        return Ok(KsTest {
            statistic,
            p_value: p.clamp(0.0, 1.0),
            exact: true,
        });
    }
    let en = (n1 as f64 * n2 as f64 / (n1 + n2) as f64).round();
    Ok(KsTest {
        statistic: d,
        p_value: kolmogorov_sf(en.sqrt() * d).clamp(0.0, 1.0),
        exact: false,
    })
}

/// sup |F1 - F2| of two sorted, non-empty samples, evaluated after each distinct value.
fn statistic_sorted(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len(), b.len());
    let (mut i, mut j, mut d) = (0usize, 0usize, 0f64);
    while i < n1 || j < n2 {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => unreachable!(),
        };
        while i < n1 && a[i] <= v {
            i += 1;
        }
        while j < n2 && b[j] <= v {
            j += 1;
        }
        d = d.max((i as f64 / n1 as f64 - j as f64 / n2 as f64).abs());
    }
    d
}

/// Permutations [`ks_groups_permuted`] draws in reports.
pub const GROUP_PERMUTATIONS: usize = 4999;

/// P-value of the two-sample KS statistic when the values come in groups that are not
/// independent inside (the frames of one cell's time-lapse): the null distribution of D
/// comes from reassigning whole groups between the two samples at random (`permutations`
/// times, seeded), keeping each sample's number of groups. Returns
/// (1 + #{D_perm >= D}) / (1 + permutations), which is a valid p-value whatever the
/// correlation inside a group; [`ks_2samp`] treats every value as independent and so
/// reports too small a p when groups hold several correlated values. Errors on an empty
/// group list, an empty group or a NaN.
pub fn ks_groups_permuted(
    a: &[Vec<f64>],
    b: &[Vec<f64>],
    permutations: usize,
    seed: u64,
) -> Result<f64> {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    for (name, groups) in [("first sample", a), ("second sample", b)] {
        if groups.is_empty() || groups.iter().any(|g| g.is_empty()) {
            return Err(Error::invalid(name, "the KS test needs non-empty groups"));
        }
        if groups.iter().flatten().any(|v| v.is_nan()) {
            return Err(Error::invalid(name, "the sample contains NaN"));
        }
    }
    // Every value with its group, sorted once; a permutation only reassigns groups, so D
    // is one pass over this order (ties: the CDFs are compared after each run of equal
    // values, as in `statistic_sorted`).
    let mut values: Vec<(f64, usize)> = a
        .iter()
        .chain(b)
        .enumerate()
        .flat_map(|(g, vs)| vs.iter().map(move |&v| (v, g)))
        .collect();
    values.sort_by(|x, y| x.0.total_cmp(&y.0));
    let sizes: Vec<usize> = a.iter().chain(b).map(Vec::len).collect();
    let statistic = |in_first: &[bool]| -> f64 {
        let n1: usize = sizes
            .iter()
            .zip(in_first)
            .filter(|p| *p.1)
            .map(|p| *p.0)
            .sum();
        let n2 = values.len() - n1;
        let (mut c1, mut c2, mut d) = (0usize, 0usize, 0f64);
        for (k, &(v, g)) in values.iter().enumerate() {
            if in_first[g] {
                c1 += 1;
            } else {
                c2 += 1;
            }
            if values.get(k + 1).is_none_or(|next| next.0 > v) {
                d = d.max((c1 as f64 / n1 as f64 - c2 as f64 / n2 as f64).abs());
            }
        }
        d
    };
    let mut in_first: Vec<bool> = (0..sizes.len()).map(|g| g < a.len()).collect();
    let observed = statistic(&in_first);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    let mut as_large = 0usize;
    for _ in 0..permutations {
        // The groups shuffled into the first a.len() places form the first sample.
        order.shuffle(&mut rng);
        for (k, &g) in order.iter().enumerate() {
            in_first[g] = k < a.len();
        }
        // D takes values k / lcm: compare with a tolerance far below one step.
        if statistic(&in_first) >= observed - 1e-12 {
            as_large += 1;
        }
    }
    Ok((1 + as_large) as f64 / (1 + permutations) as f64)
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Fraction of the monotone lattice paths from (0, 0) to (m, n) that stay strictly inside
/// |i n/g - j m/g| < h: P(D < h / lcm(m, n)) under the null. Dynamic programme over
/// B(i, j) = paths(i, j) / C(i + j, i), which satisfies
/// B(i, j) = (i B(i-1, j) + j B(i, j-1)) / (i + j) and stays in [0, 1].
fn prob_inside(m: usize, n: usize, g: usize, h: usize) -> f64 {
    let (mg, ng) = ((m / g) as i64, (n / g) as i64);
    let h = h as i64;
    let inside = |i: usize, j: usize| (i as i64 * ng - j as i64 * mg).abs() < h;
    let mut col = vec![0f64; n + 1];
    // i = 0: paths along the j axis.
    col[0] = 1.0;
    for j in 1..=n {
        col[j] = if inside(0, j) { col[j - 1] } else { 0.0 };
    }
    for i in 1..=m {
        col[0] = if inside(i, 0) { col[0] } else { 0.0 };
        for j in 1..=n {
            col[j] = if inside(i, j) {
                (i as f64 * col[j] + j as f64 * col[j - 1]) / (i + j) as f64
            } else {
                0.0
            };
        }
    }
    col[n]
}

/// Survival function of the Kolmogorov distribution, sum 2 (-1)^(k-1) exp(-2 k^2 x^2).
fn kolmogorov_sf(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let mut s = 0.0;
    for k in 1..=100 {
        let term = 2.0 * (-2.0 * (k * k) as f64 * x * x).exp();
        s += if k % 2 == 1 { term } else { -term };
        if term < 1e-17 {
            break;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_samples_and_complete_separation() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let t = ks_2samp(&a, &a).unwrap();
        assert_eq!(t.statistic, 0.0);
        assert_eq!(t.p_value, 1.0);
        // Complete separation of n = m = 3: p = 2 / C(6, 3) = 0.1.
        let t = ks_2samp(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
        assert_eq!(t.statistic, 1.0);
        assert!((t.p_value - 0.1).abs() < 1e-12, "{}", t.p_value);
        assert!(ks_2samp(&[], &a).is_err());
        assert!(ks_2samp(&[f64::NAN], &a).is_err());
    }

    /// `n` groups of `k` values: a per-group offset N(0, 1) plus N(0, noise^2) per value,
    /// shifted by `shift`.
    fn groups(
        rng: &mut impl rand::Rng,
        n: usize,
        k: usize,
        noise: f64,
        shift: f64,
    ) -> Vec<Vec<f64>> {
        use rand_distr::{Distribution, StandardNormal};
        (0..n)
            .map(|_| {
                let o: f64 = StandardNormal.sample(rng);
                (0..k)
                    .map(|_| {
                        let e: f64 = StandardNormal.sample(rng);
                        shift + o + noise * e
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn with_one_value_per_group_the_permutation_p_is_the_exact_p() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for (shift, seed) in [(0.3, 1), (0.6, 2), (0.0, 3)] {
            let a = groups(&mut rng, 30, 1, 0.0, 0.0);
            let b = groups(&mut rng, 40, 1, 0.0, shift);
            let exact = ks_2samp(&a.concat(), &b.concat()).unwrap().p_value;
            let n = 9999;
            let p = ks_groups_permuted(&a, &b, n, seed).unwrap();
            // Monte Carlo standard error of the estimate.
            let se = (exact * (1.0 - exact) / n as f64).sqrt();
            assert!(
                (p - exact).abs() < 4.0 * se + 2e-4,
                "shift {shift}: {p} vs exact {exact}"
            );
        }
    }

    #[test]
    fn correlated_frames_do_not_make_equal_distributions_look_different() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        // Both sets from one distribution: 32 and 48 cells of 10 strongly correlated frames.
        let (mut grouped, mut framewise) = (0, 0);
        let runs = 200;
        for r in 0..runs {
            let a = groups(&mut rng, 32, 10, 0.3, 0.0);
            let b = groups(&mut rng, 48, 10, 0.3, 0.0);
            if ks_groups_permuted(&a, &b, 199, r).unwrap() <= 0.05 {
                grouped += 1;
            }
            if ks_2samp(&a.concat(), &b.concat()).unwrap().p_value <= 0.05 {
                framewise += 1;
            }
        }
        // A valid test rejects about 5 % of true nulls; frame by frame rejects far more.
        assert!(grouped <= 18, "grouped rejected {grouped} of {runs}");
        assert!(
            framewise >= 80,
            "frame-wise rejected only {framewise} of {runs}"
        );
        // And a real difference (1.5 cell sd) is still found.
        let a = groups(&mut rng, 32, 10, 0.3, 0.0);
        let b = groups(&mut rng, 48, 10, 0.3, 1.5);
        let p = ks_groups_permuted(&a, &b, 999, 1).unwrap();
        assert!(p < 0.01, "{p}");
        assert!(ks_groups_permuted(&[], &b, 9, 1).is_err());
        assert!(ks_groups_permuted(&a, &[vec![]], 9, 1).is_err());
    }
}
