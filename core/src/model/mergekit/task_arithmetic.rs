//! mergekit's generalized task arithmetic: `task_arithmetic`, `ties`,
//! `dare_ties`, `dare_linear`, `breadcrumbs`, `breadcrumbs_ties`, `della`,
//! `della_linear`. Each model's task vector (model - base) is sparsified,
//! scaled by its `weight`, optionally filtered by TIES sign consensus,
//! summed, optionally divided by the (masked) weight sum, scaled by
//! `lambda` and added to the base.

use alloc::string::ToString;
use alloc::vec::Vec;

use super::checks;
use super::sparsify::{self, Sparsification};
use crate::model::error::ModelError;
use crate::model::kernels::for_chunks;
use crate::model::strategy::MergeInput;

/// One member of the family: its sparsification, consensus and defaults.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// Method name (for errors).
    pub name: &'static str,
    /// TIES sign consensus ("sum" method) on or off.
    pub consensus: bool,
    /// Sparsification of each task vector.
    pub sparsify: Option<Sparsification>,
    /// Default of `normalize`.
    pub normalize: bool,
    /// Default of `rescale`.
    pub rescale: bool,
}

/// The element-wise TIES sign election (mergekit `get_mask(method="sum")`):
/// `mask[i][j]` is true when `sign(d[i][j])` equals the sign of
/// `sum_i d[i][j]` (a zero sum counts as positive; a zero entry never
/// matches).
pub fn sign_consensus(deltas: &[Vec<f32>], j: usize) -> impl Fn(f32) -> bool {
    let mut s = 0f32;
    for d in deltas {
        s += d[j];
    }
    let majority = if s >= 0.0 { 1.0 } else { -1.0 };
    move |x: f32| x != 0.0 && x.signum() == majority
}

/// Merge with the family's rules; `draw(model, element)` gives uniform
/// draws in `[0, 1)` for the random sparsifications.
pub fn merge<D: Fn(usize, usize) -> f64 + Sync>(
    fam: &Family,
    input: &MergeInput<'_>,
    out: &mut [f32],
    draw: D,
) -> Result<(), ModelError> {
    let base = checks::base(input, fam.name)?;
    checks::finite(input, out)?;
    input.params.flag_or("int8_mask", false)?; // mask dtype only: no effect on values
    let normalize = input.params.flag_or("normalize", fam.normalize)?;
    let rescale = input.params.flag_or("rescale", fam.rescale)?;
    let lambda = input.params.num_or("lambda", 1.0)?;
    let weights = checks::per_model(input, "weight", None)?;
    let density = checks::per_model(input, "density", Some(1.0))?;
    let gamma = checks::per_model(input, "gamma", Some(0.01))?;
    let epsilon = checks::per_model(input, "epsilon", Some(0.15))?;
    if input.models.is_empty() {
        out.copy_from_slice(base);
        return Ok(());
    }
    let mut deltas: Vec<Vec<f32>> = Vec::with_capacity(input.models.len());
    for (i, m) in input.models.iter().enumerate() {
        let mut d: Vec<f32> = m.iter().zip(base).map(|(&x, &y)| x - y).collect();
        let u = |j: usize| draw(i, j);
        match fam.sparsify {
            None => {}
            Some(Sparsification::Magnitude) => sparsify::magnitude(&mut d, density[i], rescale),
            Some(Sparsification::Random) => sparsify::random(&mut d, density[i], rescale, u),
            Some(Sparsification::MagnitudeOutliers) => {
                if gamma[i] < 0.0 {
                    return Err(ModelError::BadParam {
                        name: "gamma".to_string(),
                        detail: alloc::format!("must be >= 0, got {} for model {i}", gamma[i]),
                    });
                }
                sparsify::magnitude_outliers(&mut d, density[i], gamma[i], rescale)
            }
            Some(Sparsification::DellaMagprune) => {
                let (p, e) = (density[i], epsilon[i]);
                if p > 0.0 && p < 1.0 && (p + e >= 1.0 || p - e <= 0.0) {
                    return Err(ModelError::BadParam {
                        name: "epsilon".to_string(),
                        detail: alloc::format!(
                            "density +/- epsilon must lie in (0, 1), got density {p}, epsilon {e} for model {i}"
                        ),
                    });
                }
                sparsify::della_magprune(&mut d, input.shape, p, e, rescale, u)
            }
        }
        let w = weights[i] as f32;
        d.iter_mut().for_each(|x| *x *= w);
        deltas.push(d);
    }
    let w32: Vec<f32> = weights.iter().map(|&w| w as f32).collect();
    let lam = lambda as f32;
    let deltas = &deltas;
    let w32 = &w32;
    if fam.consensus {
        for_chunks(out, |start, chunk| {
            for (i, o) in chunk.iter_mut().enumerate() {
                let j = start + i;
                let keep = sign_consensus(deltas, j);
                let (mut mixed, mut div) = (0f32, 0f32);
                for (d, &w) in deltas.iter().zip(w32) {
                    if keep(d[j]) {
                        mixed += d[j];
                        div += w;
                    }
                }
                if div == 0.0 {
                    div = 1.0;
                }
                if normalize {
                    mixed /= div;
                }
                if lambda != 1.0 {
                    mixed *= lam;
                }
                *o = base[j] + mixed;
            }
        });
    } else {
        let mut div = w32.iter().fold(0f32, |a, &b| a + b);
        if div.abs() < 1e-8 {
            div = 1.0;
        }
        for_chunks(out, |start, chunk| {
            for (i, o) in chunk.iter_mut().enumerate() {
                let j = start + i;
                let mut mixed = 0f32;
                for d in deltas {
                    mixed += d[j];
                }
                if normalize {
                    mixed /= div;
                }
                if lambda != 1.0 {
                    mixed *= lam;
                }
                *o = base[j] + mixed;
            }
        });
    }
    Ok(())
}
