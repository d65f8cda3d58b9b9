//! Small dense linear algebra in f64 for statistics of latent codes: the eigendecomposition
//! of a symmetric matrix by the cyclic Jacobi method (accurate to rounding for the sizes
//! used here, a few hundred rows).

/// Eigenvalues (descending) and unit eigenvectors of the symmetric `n` x `n` matrix `a`
/// (row-major; only symmetry-consistent input is meaningful). Eigenvector k is
/// `vectors[k]`, of length `n`.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    assert_eq!(a.len(), n * n, "matrix of {n} x {n}");
    let mut m = a.to_vec();
    // v holds the eigenvectors as columns (row-major n x n), starting from the identity.
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let norm: f64 = m.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum::<f64>()
            .sqrt();
        if off <= 1e-15 * norm.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let (app, aqq) = (m[p * n + p], m[q * n + q]);
                // Rotation angle that zeroes m[p][q] (Golub & Van Loan, sym.schur2).
                let tau = (aqq - app) / (2.0 * apq);
                let sign = if tau >= 0.0 { 1.0 } else { -1.0 };
                let t = sign / (tau.abs() + (1.0 + tau * tau).sqrt());
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[j * n + j].total_cmp(&m[i * n + i]));
    let values = order.iter().map(|&i| m[i * n + i]).collect();
    let vectors = order
        .iter()
        .map(|&i| (0..n).map(|k| v[k * n + i]).collect())
        .collect();
    (values, vectors)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Q diag(d) Q^T for an orthogonal Q made of two Givens rotations and a reflection.
    fn known(d: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
        let n = d.len();
        let mut q = vec![vec![0.0; n]; n];
        for (i, row) in q.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        let rot = |q: &mut Vec<Vec<f64>>, a: usize, b: usize, th: f64| {
            let (c, s) = (th.cos(), th.sin());
            for row in q.iter_mut() {
                let (x, y) = (row[a], row[b]);
                row[a] = c * x - s * y;
                row[b] = s * x + c * y;
            }
        };
        rot(&mut q, 0, 1, 0.7);
        rot(&mut q, 1, n - 1, -1.1);
        for row in q.iter_mut() {
            row[2] = -row[2];
        }
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = (0..n).map(|k| q[i][k] * d[k] * q[j][k]).sum();
            }
        }
        // Columns of q are the eigenvectors.
        let cols = (0..n).map(|k| (0..n).map(|i| q[i][k]).collect()).collect();
        (a, cols)
    }

    #[test]
    fn recovers_known_eigenvalues_and_vectors() {
        let d = [5.0, 3.0, 2.5, 1.0, 0.0, -0.5];
        let (a, q) = known(&d);
        let (values, vectors) = symmetric_eigen(&a, d.len());
        for (got, want) in values.iter().zip(d) {
            assert!((got - want).abs() < 1e-12, "{values:?}");
        }
        for (k, v) in vectors.iter().enumerate() {
            // Same direction up to sign.
            let dot: f64 = v.iter().zip(&q[k]).map(|(a, b)| a * b).sum();
            assert!((dot.abs() - 1.0).abs() < 1e-10, "vector {k}: {dot}");
        }
    }

    #[test]
    fn a_diagonal_matrix_is_returned_sorted() {
        let a = [1.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 2.0];
        let (values, vectors) = symmetric_eigen(&a, 3);
        assert_eq!(values, vec![3.0, 2.0, 1.0]);
        assert_eq!(vectors[0], vec![0.0, 1.0, 0.0]);
    }
}
