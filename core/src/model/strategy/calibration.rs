//! Distribution-calibrating strategies: `weight_scope_alignment` and
//! `representation_surgery`.

use alloc::vec;
use alloc::vec::Vec;

use crate::model::error::ModelError;
use crate::model::kernels::{
    choice, copy_first, mean, norm, prepare, std, store, var, weighted_sum,
};
use crate::model::linalg::svd;
use crate::model::strategy::MergeInput;

fn minmax(x: &[f64]) -> (f64, f64) {
    x.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// Weight scope alignment: normalize each model (`scope_method` `zscore`,
/// `minmax` or `l2`), take the weighted mean, map back to a target scope
/// (`target_distribution` `mean` of the models, `first`, or `base`).
pub fn weight_scope_alignment(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let scope = choice(
        input.params,
        "scope_method",
        "zscore",
        &["zscore", "minmax", "l2"],
    )?;
    let target = choice(
        input.params,
        "target_distribution",
        "mean",
        &["mean", "first", "base"],
    )?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let stats = |a: &[f64]| {
        let (lo, hi) = minmax(a);
        (mean(a), std(a), lo, hi)
    };
    let (tm, ts, tlo, thi) = match (target, p.base.as_deref()) {
        ("first", _) => stats(&p.models[0]),
        ("base", Some(b)) => stats(b),
        _ => {
            let all: Vec<_> = p.models.iter().map(|a| stats(a)).collect();
            let n = all.len() as f64;
            (
                all.iter().map(|s| s.0).sum::<f64>() / n,
                all.iter().map(|s| s.1).sum::<f64>() / n,
                all.iter().map(|s| s.2).sum::<f64>() / n,
                all.iter().map(|s| s.3).sum::<f64>() / n,
            )
        }
    };
    let normalized: Vec<Vec<f64>> = p
        .models
        .iter()
        .map(|a| match scope {
            "zscore" => {
                let (m, s) = (mean(a), std(a));
                if s < 1e-12 {
                    vec![0.0; a.len()]
                } else {
                    a.iter().map(|x| (x - m) / s).collect()
                }
            }
            "minmax" => {
                let (lo, hi) = minmax(a);
                if hi - lo < 1e-12 {
                    vec![0.0; a.len()]
                } else {
                    a.iter().map(|x| (x - lo) / (hi - lo)).collect()
                }
            }
            _ => {
                let nm = norm(a);
                if nm < 1e-12 {
                    vec![0.0; a.len()]
                } else {
                    a.iter().map(|x| x / nm).collect()
                }
            }
        })
        .collect();
    let merged = weighted_sum(&p.weights, &normalized, p.d);
    let result: Vec<f64> = match scope {
        "zscore" => {
            let s = ts.max(1e-12);
            merged.iter().map(|x| x * s + tm).collect()
        }
        "minmax" => merged.iter().map(|x| x * (thi - tlo) + tlo).collect(),
        _ => {
            let tn = p.models.iter().map(|a| norm(a)).sum::<f64>() / p.n() as f64;
            merged.iter().map(|x| x * tn).collect()
        }
    };
    store(out, &result);
    Ok(())
}

fn rescale(merged: &[f64], avg_mean: f64, avg_var: f64) -> Vec<f64> {
    let mv = var(merged);
    if mv < 1e-12 {
        return merged.to_vec();
    }
    let s = libm::sqrt(avg_var / mv);
    let mm = mean(merged);
    merged.iter().map(|x| (x - mm) * s + avg_mean).collect()
}

/// Representation surgery: weighted mean, then correct its drift from the
/// inputs' statistics (`correction_method` `center`, `rescale`, `whiten`
/// (2-D tensors: decorrelate columns, rescale to the inputs' deviation),
/// or `none`).
pub fn representation_surgery(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let method = choice(
        input.params,
        "correction_method",
        "center",
        &["center", "rescale", "whiten", "none"],
    )?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let n = p.n() as f64;
    let merged = weighted_sum(&p.weights, &p.models, p.d);
    let avg_mean = p.models.iter().map(|a| mean(a)).sum::<f64>() / n;
    let avg_var = p.models.iter().map(|a| var(a)).sum::<f64>() / n;
    let result = match method {
        "center" => {
            let drift = mean(&merged) - avg_mean;
            merged.iter().map(|x| x - drift).collect()
        }
        "rescale" => rescale(&merged, avg_mean, avg_var),
        "whiten" => match input.shape {
            [r, c] if *r > 1 && *c > 1 => whiten(&merged, *r, *c, avg_mean, avg_var),
            _ => rescale(&merged, avg_mean, avg_var),
        },
        _ => merged,
    };
    store(out, &result);
    Ok(())
}

/// `centered @ E diag(1/sqrt(max(λ, 1e-12))) Eᵀ * sqrt(avg_var) + avg_mean`,
/// with `λ, E` the eigenpairs of the column covariance.
fn whiten(m: &[f64], r: usize, c: usize, avg_mean: f64, avg_var: f64) -> Vec<f64> {
    let mut centered = m.to_vec();
    for j in 0..c {
        let mu = (0..r).map(|i| m[i * c + j]).sum::<f64>() / r as f64;
        for i in 0..r {
            centered[i * c + j] -= mu;
        }
    }
    let denom = (r - 1).max(1) as f64;
    let mut cov = vec![0.0; c * c];
    for a in 0..c {
        for b in a..c {
            let v = (0..r)
                .map(|i| centered[i * c + a] * centered[i * c + b])
                .sum::<f64>()
                / denom;
            cov[a * c + b] = v;
            cov[b * c + a] = v;
        }
    }
    // cov is symmetric positive semi-definite: its SVD is its eigen
    // decomposition, and V is orthonormal even for zero eigenvalues.
    let e = svd(&cov, c, c);
    let mut w = vec![0.0; c * c];
    for (k, lam) in e.s.iter().enumerate() {
        let f = 1.0 / libm::sqrt(lam.max(1e-12));
        let v = &e.v[k];
        for a in 0..c {
            for b in 0..c {
                w[a * c + b] += v[a] * f * v[b];
            }
        }
    }
    let scale = if avg_var > 0.0 {
        libm::sqrt(avg_var)
    } else {
        1.0
    };
    crate::model::linalg::matmul(&centered, &w, r, c, c)
        .into_iter()
        .map(|x| x * scale + avg_mean)
        .collect()
}
