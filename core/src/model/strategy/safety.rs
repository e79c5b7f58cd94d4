//! Safety-oriented strategies: `safe_merge` and `led_merge`.

use alloc::vec::Vec;

use crate::model::error::ModelError;
use crate::model::kernels::{copy_first, frac_param, prepare, store, weighted_sum};
use crate::model::strategy::MergeInput;

/// Safe merge: weighted mean, except that the entries where the models
/// disagree most (variance at or above the `k`-th largest,
/// `k = max(1, floor(d safety_threshold))`) keep the base value.
pub fn safe_merge(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let st = frac_param(input.params, "safety_threshold", 0.1, 0.0, 1.0)?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let base = p.base("safe_merge")?;
    let n = p.n() as f64;
    let d = p.d;
    let var: Vec<f64> = (0..d)
        .map(|j| {
            let m = p.models.iter().map(|a| a[j]).sum::<f64>() / n;
            p.models
                .iter()
                .map(|a| (a[j] - m) * (a[j] - m))
                .sum::<f64>()
                / n
        })
        .collect();
    let mut merged = weighted_sum(&p.weights, &p.models, d);
    if var.iter().cloned().fold(f64::NEG_INFINITY, f64::max) > 0.0 {
        let k = ((d as f64 * st) as usize).max(1);
        let mut sorted = var.clone();
        sorted.sort_by(f64::total_cmp);
        let th = sorted[d.saturating_sub(k)];
        for j in 0..d {
            if var[j] >= th {
                merged[j] = base[j];
            }
        }
    }
    store(out, &merged);
    Ok(())
}

/// LED merge: per element, the contribution closest to the unweighted mean
/// (ties to the smaller value).
pub fn led_merge(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let n = p.n() as f64;
    let r: Vec<f64> = (0..p.d)
        .map(|j| {
            let m = p.models.iter().map(|a| a[j]).sum::<f64>() / n;
            let mut best = p.models[0][j];
            let mut bd = (best - m).abs();
            for a in &p.models[1..] {
                let dist = (a[j] - m).abs();
                if dist < bd || (dist == bd && a[j] < best) {
                    bd = dist;
                    best = a[j];
                }
            }
            best
        })
        .collect();
    store(out, &r);
    Ok(())
}
