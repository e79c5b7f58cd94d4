//! Sparsifying task-vector strategies: `ties`, `dare`, `dare_ties`,
//! `della`, `model_breadcrumbs`, `emr`. Randomized masks draw from the
//! counter-based RNG ([`crate::model::rng`]): element `j` of model `i` uses
//! counter (`j`, stream `i`, purpose mask).

use alloc::vec;
use alloc::vec::Vec;

use crate::model::error::ModelError;
use crate::model::kernels::{
    choice, copy_first, for_chunks, frac_param, percentile, prepare, sign, store, weighted_sum,
};
use crate::model::rng::{Purpose, TensorRng};
use crate::model::strategy::MergeInput;

/// Keep entries whose magnitude reaches the `(1 - density)` percentile of
/// the non-zero magnitudes (all kept when every entry is zero).
fn trim(tv: &[f64], density: f64) -> Vec<f64> {
    let mut nz: Vec<f64> = tv.iter().map(|x| x.abs()).filter(|&x| x > 0.0).collect();
    if nz.is_empty() {
        return tv.to_vec();
    }
    let th = percentile(&mut nz, (1.0 - density) * 100.0);
    tv.iter()
        .map(|&x| if x.abs() >= th { x } else { 0.0 })
        .collect()
}

/// Sign election and disjoint mean of TIES: per element, the weighted sum of
/// the entries agreeing with the elected sign divided by their count.
fn elect_and_merge(trimmed: &[Vec<f64>], w: &[f64], d: usize, by_magnitude: bool) -> Vec<f64> {
    let votes = if by_magnitude {
        weighted_sum(w, trimmed, d)
    } else {
        let mut v = vec![0.0; d];
        for tv in trimmed {
            for (o, x) in v.iter_mut().zip(tv) {
                *o += sign(*x);
            }
        }
        v
    };
    let mut merged = vec![0.0; d];
    let mut counts = vec![0.0; d];
    for (wi, tv) in w.iter().zip(trimmed) {
        for j in 0..d {
            let x = tv[j];
            if x != 0.0 && sign(x) == sign(votes[j]) {
                merged[j] += wi * x;
                counts[j] += 1.0;
            }
        }
    }
    for (m, c) in merged.iter_mut().zip(&counts) {
        *m /= f64::max(*c, 1.0);
    }
    merged
}

fn add_base(base: &[f64], delta: &[f64]) -> Vec<f64> {
    base.iter().zip(delta).map(|(b, x)| b + x).collect()
}

/// TIES: trim each task vector to `density` (default 0.2), elect signs by
/// `majority_sign_method` (`count` or `magnitude`), average agreeing entries.
pub fn ties(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let density = frac_param(input.params, "density", 0.2, 0.0, 1.0)?;
    let method = choice(
        input.params,
        "majority_sign_method",
        "count",
        &["count", "magnitude"],
    )?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let tvs = p.task_vectors("ties")?;
    let trimmed: Vec<Vec<f64>> = tvs.iter().map(|t| trim(t, density)).collect();
    let merged = elect_and_merge(&trimmed, &p.weights, p.d, method == "magnitude");
    store(out, &add_base(p.base("ties")?, &merged));
    Ok(())
}

fn rescale_for(drop_rate: f64) -> f64 {
    if drop_rate < 1.0 {
        1.0 / (1.0 - drop_rate)
    } else {
        1.0
    }
}

/// DARE-dropped task vectors: element kept when its uniform is `>= drop_rate`,
/// then rescaled by `1 / (1 - drop_rate)`.
fn dare_drop(input: &MergeInput<'_>, tvs: &[Vec<f64>], drop_rate: f64) -> Vec<Vec<f64>> {
    let rng = TensorRng::new(input.seed, input.tensor);
    let rescale = rescale_for(drop_rate);
    tvs.iter()
        .enumerate()
        .map(|(i, tv)| {
            let mut out = tv.clone();
            for_chunks(&mut out, |start, chunk| {
                for (k, x) in chunk.iter_mut().enumerate() {
                    let j = (start + k) as u64;
                    *x = if rng.uniform(j, i as u32, Purpose::Mask) >= drop_rate {
                        *x * rescale
                    } else {
                        0.0
                    };
                }
            });
            out
        })
        .collect()
}

/// DARE: random drop (`drop_rate`, default 0.9) and rescale of each task
/// vector, weighted sum added to the base.
pub fn dare(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let drop_rate = frac_param(input.params, "drop_rate", 0.9, 0.0, 1.0)?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let tvs = p.task_vectors("dare")?;
    let dropped = dare_drop(input, &tvs, drop_rate);
    store(
        out,
        &add_base(p.base("dare")?, &weighted_sum(&p.weights, &dropped, p.d)),
    );
    Ok(())
}

/// DARE then TIES: random drop and rescale, trim to `density`, count-elect.
pub fn dare_ties(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let drop_rate = frac_param(input.params, "drop_rate", 0.9, 0.0, 1.0)?;
    let density = frac_param(input.params, "density", 0.2, 0.0, 1.0)?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let tvs = p.task_vectors("dare_ties")?;
    let trimmed: Vec<Vec<f64>> = dare_drop(input, &tvs, drop_rate)
        .iter()
        .map(|t| trim(t, density))
        .collect();
    let merged = elect_and_merge(&trimmed, &p.weights, p.d, false);
    store(out, &add_base(p.base("dare_ties")?, &merged));
    Ok(())
}

/// DELLA: magnitude-aware drop probability
/// `clip(drop_rate (1 - |x| / max|x|) + epsilon, 0, 1)`, rescale by
/// `1 / (1 - drop_rate)`, weighted sum added to the base.
pub fn della(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let drop_rate = frac_param(input.params, "drop_rate", 0.9, 0.0, 1.0)?;
    let epsilon = input.params.num_or("epsilon", 0.1)?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let tvs = p.task_vectors("della")?;
    let rng = TensorRng::new(input.seed, input.tensor);
    let rescale = rescale_for(drop_rate);
    let mut merged = vec![0.0; p.d];
    for (i, (w, tv)) in p.weights.iter().zip(&tvs).enumerate() {
        let mx = tv.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let mx = if mx > 0.0 { mx } else { 1.0 };
        for_chunks(&mut merged, |start, chunk| {
            for (k, o) in chunk.iter_mut().enumerate() {
                let j = start + k;
                let x = tv[j];
                let dp = (drop_rate * (1.0 - x.abs() / mx) + epsilon).clamp(0.0, 1.0);
                if rng.uniform(j as u64, i as u32, Purpose::Mask) >= dp {
                    *o += w * x * rescale;
                }
            }
        });
    }
    store(out, &add_base(p.base("della")?, &merged));
    Ok(())
}

/// Model breadcrumbs: keep the entries at or above the `sparsity`
/// percentile of magnitudes (`mask_method` `magnitude`), or a random
/// `1 - sparsity` share (`random`); weighted sum added to the base.
pub fn model_breadcrumbs(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let sparsity = frac_param(input.params, "sparsity", 0.9, 0.0, 1.0)?;
    let method = choice(
        input.params,
        "mask_method",
        "magnitude",
        &["magnitude", "random"],
    )?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let tvs = p.task_vectors("model_breadcrumbs")?;
    let rng = TensorRng::new(input.seed, input.tensor);
    let keep = 1.0 - sparsity;
    let masked: Vec<Vec<f64>> = tvs
        .iter()
        .enumerate()
        .map(|(i, tv)| {
            if method == "random" {
                tv.iter()
                    .enumerate()
                    .map(|(j, &x)| {
                        if rng.uniform(j as u64, i as u32, Purpose::Mask) < keep {
                            x
                        } else {
                            0.0
                        }
                    })
                    .collect()
            } else {
                let mut abs: Vec<f64> = tv.iter().map(|x| x.abs()).collect();
                if abs.iter().all(|&x| x == 0.0) {
                    return tv.clone();
                }
                let th = percentile(&mut abs, sparsity * 100.0);
                tv.iter()
                    .map(|&x| if x.abs() >= th { x } else { 0.0 })
                    .collect()
            }
        })
        .collect();
    store(
        out,
        &add_base(
            p.base("model_breadcrumbs")?,
            &weighted_sum(&p.weights, &masked, p.d),
        ),
    );
    Ok(())
}

/// EMR: elect the top `elect_ratio` (default 0.3) magnitudes of each task
/// vector, weighted sum, rescaled by `min(d / nonzero, 1 / elect_ratio)`.
pub fn emr(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let ratio = frac_param(input.params, "elect_ratio", 0.3, 0.0, 1.0)?;
    if ratio <= 0.0 {
        return Err(ModelError::BadParam {
            name: "elect_ratio".into(),
            detail: "must be greater than 0".into(),
        });
    }
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let tvs = p.task_vectors("emr")?;
    let elected: Vec<Vec<f64>> = tvs
        .iter()
        .map(|tv| {
            let mut abs: Vec<f64> = tv.iter().map(|x| x.abs()).collect();
            if abs.iter().all(|&x| x == 0.0) {
                return tv.clone();
            }
            let th = percentile(&mut abs, (1.0 - ratio) * 100.0);
            tv.iter()
                .map(|&x| if x.abs() >= th { x } else { 0.0 })
                .collect()
        })
        .collect();
    let mut merged = weighted_sum(&p.weights, &elected, p.d);
    let active = merged.iter().filter(|&&x| x != 0.0).count();
    if active > 0 {
        let f = (p.d as f64 / active as f64).min(1.0 / ratio);
        merged.iter_mut().for_each(|x| *x *= f);
    }
    store(out, &add_base(p.base("emr")?, &merged));
    Ok(())
}
