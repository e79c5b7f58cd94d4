//! mergekit `sce` (Select, Calculate, Erase): keep the `select_topk` share
//! of elements with the largest variance across task vectors, weight each
//! task vector by its mean square, erase entries against the TIES sign
//! consensus and take the weighted mean of what remains.

use alloc::vec::Vec;

use super::checks;
use super::task_arithmetic::sign_consensus;
use crate::model::error::ModelError;
use crate::model::kernels::for_chunks;
use crate::model::strategy::MergeInput;

/// Indices kept by the variance selection: the `floor(nonzero * topk)`
/// elements of largest population variance across models (ties by
/// index), where `nonzero` counts elements of non-zero variance.
pub fn select_by_variance(tvs: &[Vec<f32>], n: usize, topk: f64) -> Vec<bool> {
    if topk <= 0.0 {
        return alloc::vec![false; n];
    }
    if topk >= 1.0 {
        return alloc::vec![true; n];
    }
    let k = tvs.len() as f64;
    let var: Vec<f32> = (0..n)
        .map(|j| {
            let mean = tvs.iter().map(|t| f64::from(t[j])).sum::<f64>() / k;
            (tvs.iter()
                .map(|t| (f64::from(t[j]) - mean) * (f64::from(t[j]) - mean))
                .sum::<f64>()
                / k) as f32
        })
        .collect();
    let nonzero = var.iter().filter(|&&v| v != 0.0).count();
    let keep = (nonzero as f64 * topk) as usize;
    // Largest variance first, ties by index (variances are >= 0, so their
    // bit patterns order like their values).
    let mut keys: Vec<(u32, usize)> = var
        .iter()
        .enumerate()
        .map(|(j, v)| (!v.to_bits(), j))
        .collect();
    let keep = keep.min(n);
    if keep < n {
        keys.select_nth_unstable(keep);
    }
    let mut mask = alloc::vec![false; n];
    for &(_, j) in &keys[..keep] {
        mask[j] = true;
    }
    mask
}

/// `sce` with `select_topk` (default 1: no selection) and `int8_mask`
/// (mask dtype only, no effect on values).
pub(super) fn sce(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let base = checks::base(input, "sce")?;
    checks::finite(input, out)?;
    input.params.flag_or("int8_mask", false)?;
    let topk = input.params.num_or("select_topk", 1.0)?;
    if input.models.is_empty() {
        out.copy_from_slice(base);
        return Ok(());
    }
    let n = input.len();
    let mut tvs: Vec<Vec<f32>> = input
        .models
        .iter()
        .map(|m| m.iter().zip(base).map(|(&x, &y)| x - y).collect())
        .collect();
    if topk < 1.0 {
        let mask = select_by_variance(&tvs, n, topk);
        for t in &mut tvs {
            t.iter_mut().zip(&mask).for_each(|(x, &k)| {
                if !k {
                    *x = 0.0
                }
            });
        }
    }
    let msq: Vec<f32> = tvs
        .iter()
        .map(|t| (t.iter().map(|&x| f64::from(x * x)).sum::<f64>() / n.max(1) as f64) as f32)
        .collect();
    let total = checks::sum(msq.iter().copied());
    let w: Vec<f32> = if total.abs() < 1e-6 {
        alloc::vec![1.0 / tvs.len() as f32; tvs.len()]
    } else {
        msq.iter().map(|&m| m / total).collect()
    };
    let (tvs, w) = (&tvs, &w);
    for_chunks(out, |start, chunk| {
        for (i, o) in chunk.iter_mut().enumerate() {
            let j = start + i;
            let keep = sign_consensus(tvs, j);
            let (mut s, mut ws) = (0f32, 0f32);
            for (t, &wi) in tvs.iter().zip(w) {
                let e = if keep(t[j]) { wi } else { 0.0 };
                s += t[j] * e;
                ws += e;
            }
            *o = base[j] + s / ws.max(1e-6);
        }
    });
    Ok(())
}
