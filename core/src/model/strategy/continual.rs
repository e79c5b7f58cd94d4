//! `dual_projection`: the reference's continual-learning strategy. Deltas
//! from the base (or, without one, from the weighted mean) are split into
//! the span of their top right singular vectors (shared knowledge) and the
//! rest (task-specific); the task part is damped by `stability_weight`.

use alloc::vec;
use alloc::vec::Vec;

use crate::model::error::ModelError;
use crate::model::kernels::{copy_first, prepare, store, weighted_sum};
use crate::model::linalg::svd;
use crate::model::strategy::MergeInput;

/// `base + sum w_i shared_i + (1 - stability_weight) sum w_i task_i`, with
/// `shared_i` the projection of delta `i` on the top
/// `k = max(1, round_half_even(r rank_fraction))` right singular vectors of
/// the stacked deltas (`stability_weight` default 0.5, `rank_fraction` 0.5).
pub fn dual_projection(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let stability = input.params.num_in("stability_weight", 0.5, 0.0, 1.0)?;
    let rf = input.params.num_in("rank_fraction", 0.5, 0.0, 1.0)?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let (n, d) = (p.n(), p.d);
    let base = match &p.base {
        Some(b) => b.clone(),
        None => weighted_sum(&p.weights, &p.models, d),
    };
    let deltas: Vec<Vec<f64>> = p
        .models
        .iter()
        .map(|m| m.iter().zip(&base).map(|(x, b)| x - b).collect())
        .collect();
    if deltas
        .iter()
        .all(|dl| libm::sqrt(dl.iter().map(|x| x * x).sum::<f64>()) < 1e-15)
    {
        store(out, &base);
        return Ok(());
    }
    let flat: Vec<f64> = deltas.iter().flatten().copied().collect();
    let s = svd(&flat, n, d);
    let r = s.s.len();
    let k = (libm::rint(r as f64 * rf) as usize).max(1).min(r).min(n);
    let mut merged = base;
    for (w, dl) in p.weights.iter().zip(&deltas) {
        let mut shared = vec![0.0; d];
        for v in &s.v[..k] {
            let c: f64 = v.iter().zip(dl).map(|(a, b)| a * b).sum();
            for (o, x) in shared.iter_mut().zip(v) {
                *o += c * x;
            }
        }
        for j in 0..d {
            let task = dl[j] - shared[j];
            merged[j] += w * shared[j] + (1.0 - stability) * w * task;
        }
    }
    store(out, &merged);
    Ok(())
}
