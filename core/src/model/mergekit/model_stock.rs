//! mergekit `model_stock`: interpolate between the base and the models'
//! average by a ratio derived from the mean pairwise cosine of the task
//! vectors (whole tensor, or per filter = per last-axis row).

use alloc::vec::Vec;

use super::checks::{self, norm};
use super::spherical::Lanes;
use crate::model::error::ModelError;
use crate::model::strategy::MergeInput;

/// `model_stock`: base plus at least two models; `filter_wise` (default
/// false) computes the ratio per row along the last axis. With `k` models
/// and mean cosine `c`, `t = k c / (1 + (k - 1) c)` (0 when the denominator
/// is below 1e-6 in magnitude) and the result is `t avg + (1 - t) base`.
pub(super) fn model_stock(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let w0 = checks::base(input, "model_stock")?;
    checks::finite(input, out)?;
    let filter_wise = input.params.flag_or("filter_wise", false)?;
    let k = input.models.len();
    let n = input.len();
    let lanes = if filter_wise && !input.shape.is_empty() {
        Lanes::along(input.shape, input.shape.len() - 1)
    } else {
        Lanes::flat(n)
    };
    let offsets: Vec<Vec<f32>> = input
        .models
        .iter()
        .map(|m| m.iter().zip(w0).map(|(&x, &y)| x - y).collect())
        .collect();
    // Lanes are the whole tensor or rows of the last axis: contiguous.
    let len = lanes.len.max(1);
    let count = k as f32;
    for (r, o) in out.chunks_mut(len).enumerate() {
        let span = r * len..r * len + o.len();
        let lane_off: Vec<&[f32]> = offsets.iter().map(|v| &v[span.clone()]).collect();
        let norms: Vec<f32> = lane_off.iter().map(|v| norm(v)).collect();
        let mut cos_sum = 0f64;
        let mut pairs = 0usize;
        for a in 0..k {
            for b in a + 1..k {
                let np = (norms[a] * norms[b]).max(1e-6);
                let d = checks::dot(lane_off[a], lane_off[b]);
                cos_sum += f64::from((d / np).clamp(-1.0, 1.0));
                pairs += 1;
            }
        }
        let cos = (cos_sum / pairs.max(1) as f64) as f32;
        let den = 1.0 + (count - 1.0) * cos;
        let t = if den.abs() < 1e-6 {
            0.0
        } else {
            (count * cos) / den
        };
        for (i, o) in o.iter_mut().enumerate() {
            let j = span.start + i;
            let mut s = 0f32;
            for m in input.models {
                s += m[j];
            }
            *o = t * (s / count) + (1.0 - t) * w0[j];
        }
    }
    Ok(())
}
