//! Dense linear algebra the spectral strategies need: a thin singular value
//! decomposition by one-sided Jacobi rotations (Hestenes), in `f64`.
//!
//! Singular values come sorted in decreasing order; each singular pair is
//! signed so that the largest-magnitude entry of its left vector is
//! positive (LAPACK leaves the sign unspecified; products like
//! `U diag(s) Vᵀ` and projections do not depend on it).

use alloc::vec;
use alloc::vec::Vec;

/// A thin SVD `A = U diag(s) Vᵀ` of an `m × n` matrix, `r = min(m, n)`.
#[derive(Debug, Clone)]
pub struct Svd {
    /// Rows of `A`.
    pub m: usize,
    /// Columns of `A`.
    pub n: usize,
    /// Left singular vectors: `r` vectors of length `m`.
    pub u: Vec<Vec<f64>>,
    /// Singular values, decreasing.
    pub s: Vec<f64>,
    /// Right singular vectors: `r` vectors of length `n`.
    pub v: Vec<Vec<f64>>,
}

/// Thin SVD of the row-major `m × n` matrix `a`.
pub fn svd(a: &[f64], m: usize, n: usize) -> Svd {
    if m < n {
        // Aᵀ = V S Uᵀ.
        let mut t = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                t[j * m + i] = a[i * n + j];
            }
        }
        let s = svd(&t, n, m);
        return Svd {
            m,
            n,
            u: s.v,
            s: s.s,
            v: s.u,
        };
    }
    // m >= n: orthogonalize the n columns.
    let mut cols: Vec<Vec<f64>> = (0..n)
        .map(|j| (0..m).map(|i| a[i * n + j]).collect())
        .collect();
    let mut v: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            let mut e = vec![0.0; n];
            e[j] = 1.0;
            e
        })
        .collect();
    // Round-robin ("circle") ordering: each round rotates disjoint column
    // pairs, which are independent, so a round may run on many threads and
    // still give the same bits as one thread.
    let big = n + n % 2;
    for _sweep in 0..80 {
        let mut rotated = false;
        // Squared column norms, refreshed each sweep and updated exactly per
        // rotation (|a_p'|² = α - tγ, |a_q'|² = β + tγ).
        let mut nrm: Vec<f64> = cols.iter().map(|c| c.iter().map(|x| x * x).sum()).collect();
        for r in 0..big.saturating_sub(1) {
            let mut pairs: Vec<(usize, usize)> = Vec::with_capacity(big / 2);
            let last = big - 1;
            let (a, b) = (last, r % last);
            pairs.push((a.min(b), a.max(b)));
            for i in 1..big / 2 {
                let a = (r + i) % last;
                let b = (r + last - i) % last;
                pairs.push((a.min(b), a.max(b)));
            }
            pairs.retain(|&(_, q)| q < n);
            let mut work: Vec<PairWork> = pairs
                .iter()
                .map(|&(p, q)| PairWork {
                    cp: core::mem::take(&mut cols[p]),
                    cq: core::mem::take(&mut cols[q]),
                    vp: core::mem::take(&mut v[p]),
                    vq: core::mem::take(&mut v[q]),
                    np: nrm[p],
                    nq: nrm[q],
                    rotated: false,
                })
                .collect();
            for_each_pair(&mut work);
            for (w, &(p, q)) in work.into_iter().zip(&pairs) {
                rotated |= w.rotated;
                cols[p] = w.cp;
                cols[q] = w.cq;
                v[p] = w.vp;
                v[q] = w.vq;
                nrm[p] = w.np;
                nrm[q] = w.nq;
            }
        }
        if !rotated {
            break;
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    let norms: Vec<f64> = cols
        .iter()
        .map(|c| libm::sqrt(c.iter().map(|x| x * x).sum()))
        .collect();
    order.sort_by(|&i, &j| norms[j].total_cmp(&norms[i]).then(i.cmp(&j)));
    let mut u = Vec::with_capacity(n);
    let mut s = Vec::with_capacity(n);
    let mut vv = Vec::with_capacity(n);
    for &j in &order {
        let sj = norms[j];
        let mut uj: Vec<f64> = if sj > 0.0 {
            cols[j].iter().map(|x| x / sj).collect()
        } else {
            vec![0.0; m]
        };
        let mut vj = v[j].clone();
        let big = uj
            .iter()
            .chain(if sj > 0.0 { [].iter() } else { vj.iter() })
            .fold(0.0f64, |b, &x| if x.abs() > b.abs() { x } else { b });
        if big < 0.0 {
            uj.iter_mut().for_each(|x| *x = -*x);
            vj.iter_mut().for_each(|x| *x = -*x);
        }
        u.push(uj);
        s.push(sj);
        vv.push(vj);
    }
    Svd { m, n, u, s, v: vv }
}

struct PairWork {
    cp: Vec<f64>,
    cq: Vec<f64>,
    vp: Vec<f64>,
    vq: Vec<f64>,
    np: f64,
    nq: f64,
    rotated: bool,
}

impl PairWork {
    /// One Jacobi rotation orthogonalizing the two columns.
    fn run(&mut self) {
        let (alpha, beta) = (self.np, self.nq);
        let gamma: f64 = self.cp.iter().zip(&self.cq).map(|(x, y)| x * y).sum();
        if gamma == 0.0 || gamma.abs() <= 1e-15 * libm::sqrt(alpha * beta) {
            return;
        }
        self.rotated = true;
        let zeta = (beta - alpha) / (2.0 * gamma);
        let t = if zeta >= 0.0 { 1.0 } else { -1.0 } / (zeta.abs() + libm::sqrt(1.0 + zeta * zeta));
        let c = 1.0 / libm::sqrt(1.0 + t * t);
        let s = c * t;
        rotate(&mut self.cp, &mut self.cq, c, s);
        rotate(&mut self.vp, &mut self.vq, c, s);
        self.np = (alpha - t * gamma).max(0.0);
        self.nq = beta + t * gamma;
    }
}

fn for_each_pair(work: &mut [PairWork]) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        let size: usize = work.first().map_or(0, |w| w.cp.len());
        if work.len() > 1 && work.len() * size >= 1 << 12 {
            work.par_iter_mut().for_each(PairWork::run);
            return;
        }
    }
    work.iter_mut().for_each(PairWork::run);
}

fn rotate(cp: &mut [f64], cq: &mut [f64], c: f64, s: f64) {
    for (x, y) in cp.iter_mut().zip(cq.iter_mut()) {
        let (a, b) = (*x, *y);
        *x = c * a - s * b;
        *y = s * a + c * b;
    }
}

impl Svd {
    /// `sum_{j < k} w[j] u_j v_jᵀ` as a row-major `m × n` matrix, with
    /// `w = s` scaled per component (pass `s` itself for a plain truncation).
    pub fn reconstruct(&self, w: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.m * self.n];
        for (j, &wj) in w.iter().enumerate() {
            if wj == 0.0 {
                continue;
            }
            let (u, v) = (&self.u[j], &self.v[j]);
            for i in 0..self.m {
                let a = wj * u[i];
                if a == 0.0 {
                    continue;
                }
                let row = &mut out[i * self.n..(i + 1) * self.n];
                for (o, x) in row.iter_mut().zip(v) {
                    *o += a * x;
                }
            }
        }
        out
    }
}

/// Row-major product of `a` (`m × k`) and `b` (`k × n`).
pub fn matmul(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for l in 0..k {
            let x = a[i * k + l];
            if x == 0.0 {
                continue;
            }
            let row = &mut out[i * n..(i + 1) * n];
            for (o, y) in row.iter_mut().zip(&b[l * n..(l + 1) * n]) {
                *o += x * y;
            }
        }
    }
    out
}
