//! Data-weighted strategies: `fisher_merge`, `regression_mean`,
//! `ada_merging`, `dam`.

use alloc::vec;
use alloc::vec::Vec;

use crate::model::error::ModelError;
use crate::model::kernels::{copy_first, count_param, prepare, store, weighted_sum};
use crate::model::strategy::MergeInput;

/// Element-wise `sum f_i x_i / max(sum f_i, 1e-12)` with `f_i = x_i²`
/// (the reference's default Fisher estimate; model weights unused).
pub fn fisher_merge(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    importance_mean(input, out, 0.0)
}

/// Element-wise `sum w_i x_i / max(sum w_i, 1e-12)` with
/// `w_i = x_i² + regularization` (default 0.01).
pub fn regression_mean(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let reg = input.params.num_or("regularization", 0.01)?;
    importance_mean(input, out, reg)
}

fn importance_mean(input: &MergeInput<'_>, out: &mut [f32], reg: f64) -> Result<(), ModelError> {
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let mut num = vec![0.0; p.d];
    let mut den = vec![0.0; p.d];
    for m in &p.models {
        for j in 0..p.d {
            let f = m[j] * m[j] + reg;
            num[j] += f * m[j];
            den[j] += f;
        }
    }
    let r: Vec<f64> = num
        .iter()
        .zip(&den)
        .map(|(a, b)| a / b.max(1e-12))
        .collect();
    store(out, &r);
    Ok(())
}

/// Fixed-point refinement of mixing coefficients towards the inverse mean
/// squared distance of each model to the current mix (`steps` rounds at
/// `learning_rate`).
///
/// The distances are quadratic forms: with `b_i = a_i - a_0` and
/// coefficients summing to 1, `mean((sum c_i a_i - a_k)^2) = cᵀGc - 2(Gc)_k +
/// G_kk` for the Gram matrix `G_ij = mean(b_i b_j)`, computed once, so a
/// step costs `O(n²)` instead of passes over the tensor. Differences from
/// `a_0` keep the form free of cancellation at the models' scale.
fn refine(models: &[Vec<f64>], d: usize, mut coeffs: Vec<f64>, steps: usize, lr: f64) -> Vec<f64> {
    let n = models.len();
    let mut g = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            let v = (0..d)
                .map(|e| (models[i][e] - models[0][e]) * (models[j][e] - models[0][e]))
                .sum::<f64>()
                / d as f64;
            g[i * n + j] = v;
            g[j * n + i] = v;
        }
    }
    for _ in 0..steps {
        let total: f64 = coeffs.iter().sum();
        let dist: Vec<f64> = if (total - 1.0).abs() < 1e-12 {
            let gc: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| g[i * n + j] * coeffs[j]).sum())
                .collect();
            let cgc: f64 = coeffs.iter().zip(&gc).map(|(c, x)| c * x).sum();
            (0..n)
                .map(|k| (cgc - 2.0 * gc[k] + g[k * n + k]).max(0.0))
                .collect()
        } else {
            let merged = weighted_sum(&coeffs, models, d);
            models
                .iter()
                .map(|a| {
                    merged
                        .iter()
                        .zip(a)
                        .map(|(m, x)| (m - x) * (m - x))
                        .sum::<f64>()
                        / d as f64
                })
                .collect()
        };
        if dist.iter().cloned().fold(f64::NEG_INFINITY, f64::max) > 0.0 {
            let inv: Vec<f64> = dist.iter().map(|v| 1.0 / (v + 1e-12)).collect();
            let tot: f64 = inv.iter().sum();
            for (c, t) in coeffs.iter_mut().zip(&inv) {
                *c = (*c + lr * (t / tot - *c)).max(0.0);
            }
            let tc: f64 = coeffs.iter().sum();
            if tc > 0.0 {
                coeffs.iter_mut().for_each(|c| *c /= tc);
            }
        }
    }
    coeffs
}

/// AdaMerging: start from inverse-entropy coefficients, refine `steps`
/// (default 100) times at `learning_rate` (default 0.01).
pub fn ada_merging(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let steps = count_param(input.params, "steps", 100.0, 100_000.0)?;
    let lr = input.params.num_or("learning_rate", 0.01)?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let n = p.n();
    let ent: Vec<f64> = p
        .models
        .iter()
        .map(|a| {
            let tot: f64 = a.iter().map(|x| x.abs() + 1e-12).sum();
            -a.iter()
                .map(|x| {
                    let q = (x.abs() + 1e-12) / tot;
                    q * libm::log(q + 1e-12)
                })
                .sum::<f64>()
        })
        .collect();
    let max_ent = ent.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let coeffs = if max_ent < 1e-12 {
        vec![1.0 / n as f64; n]
    } else {
        let inv: Vec<f64> = ent.iter().map(|e| max_ent - e + 1e-6).collect();
        let t: f64 = inv.iter().sum();
        inv.iter().map(|x| x / t).collect()
    };
    let coeffs = refine(&p.models, p.d, coeffs, steps, lr);
    store(out, &weighted_sum(&coeffs, &p.models, p.d));
    Ok(())
}

/// DAM: uniform start, refine `steps` (default 50) times at
/// `learning_rate` (default 0.01).
pub fn dam(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let steps = count_param(input.params, "steps", 50.0, 100_000.0)?;
    let lr = input.params.num_or("learning_rate", 0.01)?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let n = p.n();
    let coeffs = refine(&p.models, p.d, vec![1.0 / n as f64; n], steps, lr);
    store(out, &weighted_sum(&coeffs, &p.models, p.d));
    Ok(())
}
