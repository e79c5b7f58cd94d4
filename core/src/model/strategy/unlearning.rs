//! Unlearning strategies: `negative_merge` and `split_unlearn_merge`.

use alloc::vec::Vec;

use crate::model::error::ModelError;
use crate::model::kernels::{choice, copy_first, frac_param, prepare, store};
use crate::model::params::ParamValue;
use crate::model::rng::{Purpose, TensorRng};
use crate::model::strategy::MergeInput;

/// Task-vector negation: `base - scaling w_i tv_i` for the models listed in
/// `models_to_negate` (default all), `base + w_i tv_i` for the others.
/// One model: `base - scaling tv` when negated, else the model.
pub fn negative_merge(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let scaling = input.params.num_or("scaling", 1.0)?;
    let negate: Option<Vec<usize>> = match input.params.get("models_to_negate") {
        None => None,
        Some(ParamValue::List(v)) => Some(v.iter().map(|x| *x as usize).collect()),
        Some(ParamValue::Num(x)) => Some(alloc::vec![*x as usize]),
        Some(_) => {
            return Err(ModelError::BadParam {
                name: "models_to_negate".into(),
                detail: "must be a list of model indices".into(),
            })
        }
    };
    let negated = |i: usize| negate.as_ref().is_none_or(|v| v.contains(&i));
    let p = prepare(input)?;
    let base = p.base("negative_merge")?;
    let w = if p.n() == 1 {
        alloc::vec![1.0]
    } else {
        p.weights.clone()
    };
    if p.n() == 1 && !negated(0) {
        return copy_first(input, out);
    }
    let mut acc = base.to_vec();
    for (i, (wi, m)) in w.iter().zip(&p.models).enumerate() {
        let f = if negated(i) { -scaling * wi } else { *wi };
        for ((a, x), b) in acc.iter_mut().zip(m).zip(base) {
            *a += f * (x - b);
        }
    }
    store(out, &acc);
    Ok(())
}

/// Split-unlearn: zero the task-vector entries of an "unlearn" subspace
/// before the weighted sum. `subspace_method` `magnitude` (default): the
/// entries whose mean |task vector| is at or below the `k`-th smallest,
/// `k = max(1, floor(d target_fraction))`; `random`: each entry with
/// probability `target_fraction`.
pub fn split_unlearn_merge(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let tf = frac_param(input.params, "target_fraction", 0.1, 0.0, 1.0)?;
    let method = choice(
        input.params,
        "subspace_method",
        "magnitude",
        &["magnitude", "random"],
    )?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let tvs = p.task_vectors("split_unlearn_merge")?;
    let d = p.d;
    let unlearn: Vec<bool> = if method == "random" {
        let rng = TensorRng::new(input.seed, input.tensor);
        (0..d)
            .map(|j| rng.uniform(j as u64, 0, Purpose::Mask) < tf)
            .collect()
    } else {
        let n = tvs.len() as f64;
        let avg: Vec<f64> = (0..d)
            .map(|j| tvs.iter().map(|t| t[j].abs()).sum::<f64>() / n)
            .collect();
        let k = ((d as f64 * tf) as usize).max(1);
        let mut sorted = avg.clone();
        sorted.sort_by(f64::total_cmp);
        let th = sorted[(k - 1).min(d - 1)];
        avg.iter().map(|&a| a <= th).collect()
    };
    let mut acc = p.base("split_unlearn_merge")?.to_vec();
    for (w, tv) in p.weights.iter().zip(&tvs) {
        for j in 0..d {
            if !unlearn[j] {
                acc[j] += w * tv[j];
            }
        }
    }
    store(out, &acc);
    Ok(())
}
