//! mergekit `ram` and `ramplus_tl` (Reinforced Agent Merging): task-vector
//! entries changed by one model are kept whole, entries changed by several
//! are averaged over those models; `ramplus_tl` boosts each model's unique
//! entries by its share of overlapping ones.

use alloc::vec::Vec;

use super::checks;
use crate::model::error::ModelError;
use crate::model::strategy::MergeInput;

/// Task vectors, "changed" masks (`|tv| > epsilon`) and per-element counts.
struct Prepared {
    tv: Vec<Vec<f32>>,
    nz: Vec<Vec<bool>>,
    count: Vec<u32>,
}

fn prepare(input: &MergeInput<'_>, base: &[f32], eps: f32) -> Prepared {
    let tv: Vec<Vec<f32>> = input
        .models
        .iter()
        .map(|m| m.iter().zip(base).map(|(&x, &y)| x - y).collect())
        .collect();
    let nz: Vec<Vec<bool>> = tv
        .iter()
        .map(|v| v.iter().map(|x| x.abs() > eps).collect())
        .collect();
    let mut count = alloc::vec![0u32; base.len()];
    for m in &nz {
        count
            .iter_mut()
            .zip(m)
            .for_each(|(c, &b)| *c += u32::from(b));
    }
    Prepared { tv, nz, count }
}

fn merge(base: &[f32], p: &Prepared, lambdas: &[f32], out: &mut [f32]) {
    for (j, o) in out.iter_mut().enumerate() {
        let c = p.count[j];
        let mut s = 0f32;
        for (i, v) in p.tv.iter().enumerate() {
            let x = if p.nz[i][j] { v[j] } else { 0.0 };
            s += if c == 1 {
                x * lambdas[i]
            } else if c > 1 {
                x / c as f32
            } else {
                0.0
            };
        }
        *o = base[j] + s;
    }
}

/// `ram` with global `epsilon` (default 1e-5).
pub(super) fn ram(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let base = checks::base(input, "ram")?;
    checks::finite(input, out)?;
    let eps = input.params.num_or("epsilon", 1e-5)? as f32;
    let p = prepare(input, base, eps);
    let ones = alloc::vec![1f32; input.models.len()];
    merge(base, &p, &ones, out);
    Ok(())
}

/// `ramplus_tl` with `r` (default 0.1), `alpha` (default 0.2), `epsilon`
/// (default 1e-5): model `i`'s unique entries are scaled by
/// `1 + r * clamp(shared_i / max(unique_i, epsilon), 0, alpha)`.
pub(super) fn ramplus_tl(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let base = checks::base(input, "ramplus_tl")?;
    checks::finite(input, out)?;
    let eps = input.params.num_or("epsilon", 1e-5)? as f32;
    let r = input.params.num_or("r", 0.1)? as f32;
    let alpha = input.params.num_or("alpha", 0.2)? as f32;
    let p = prepare(input, base, eps);
    let lambdas: Vec<f32> =
        p.nz.iter()
            .map(|m| {
                let (mut shared, mut unique) = (0u64, 0u64);
                for (&b, &c) in m.iter().zip(&p.count) {
                    shared += u64::from(b && c > 1);
                    unique += u64::from(b && c == 1);
                }
                let rho = shared as f32 / (unique as f32).max(eps);
                // torch.clamp(min=0, max=alpha) gives alpha when alpha < 0.
                1.0 + r * rho.max(0.0).min(alpha)
            })
            .collect();
    merge(base, &p, &lambdas, out);
    Ok(())
}
