//! mergekit `linear` (weighted sum, optionally divided by the weight sum)
//! and `passthrough` (one input, optionally scaled).

use alloc::string::ToString;

use super::checks;
use crate::model::error::ModelError;
use crate::model::strategy::MergeInput;

/// `linear`: `sum_i w_i x_i`, divided by `sum_i w_i` when `normalize`
/// (default true). Every model needs a `weight`. The base is ignored.
pub(super) fn linear(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    checks::finite(input, out)?;
    let normalize = input.params.flag_or("normalize", true)?;
    let weights = checks::per_model(input, "weight", None)?;
    let w: alloc::vec::Vec<f32> = weights.iter().map(|&w| w as f32).collect();
    out.fill(0.0);
    for (m, &wi) in input.models.iter().zip(&w) {
        for (o, &x) in out.iter_mut().zip(m.iter()) {
            *o += x * wi;
        }
    }
    if normalize {
        let total = w.iter().fold(0f32, |a, &b| a + b);
        if total == 0.0 {
            return Err(ModelError::BadParam {
                name: "weight".to_string(),
                detail: "weights sum to zero and normalize is on".to_string(),
            });
        }
        out.iter_mut().for_each(|o| *o /= total);
    }
    Ok(())
}

/// `passthrough`: the single input, times its optional `scale`.
pub(super) fn passthrough(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    checks::exactly(input, "passthrough", 1)?;
    checks::finite(input, out)?;
    let scale = match input.model_param(0).get("scale") {
        None => None,
        Some(_) => Some(input.model_param(0).num_req("scale")? as f32),
    };
    let x = input.models[0];
    match scale {
        None => out.copy_from_slice(x),
        Some(s) => out.iter_mut().zip(x).for_each(|(o, &v)| *o = v * s),
    }
    Ok(())
}
