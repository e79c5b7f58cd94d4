//! Input checks and parameter lookups shared by every mergekit method:
//! finiteness of all inputs, the base model, per-model numeric parameters
//! and "exactly N models" contracts.

use alloc::string::ToString;
use alloc::vec::Vec;

use crate::model::error::ModelError;
use crate::model::strategy::MergeInput;

/// Check slice lengths against the shape and the output length, then
/// refuse NaN or infinity in any model or the base (mergekit would spread
/// them silently; we name the input instead). Every method calls this
/// first, so calling a method's function directly is as safe as
/// `Method::merge_into`.
pub(super) fn finite(input: &MergeInput<'_>, out: &[f32]) -> Result<(), ModelError> {
    input.check_shapes()?;
    if out.len() != input.len() {
        return Err(ModelError::ShapeMismatch {
            tensor: input.tensor.to_string(),
            detail: alloc::format!("output has {} elements, needs {}", out.len(), input.len()),
        });
    }
    let bad = |which: alloc::string::String| ModelError::NonFinite {
        tensor: input.tensor.to_string(),
        which,
    };
    for (i, m) in input.models.iter().enumerate() {
        if !m.iter().all(|x| x.is_finite()) {
            return Err(bad(alloc::format!("model {i}")));
        }
    }
    if let Some(b) = input.base {
        if !b.iter().all(|x| x.is_finite()) {
            return Err(bad("base".to_string()));
        }
    }
    Ok(())
}

/// The base tensor, or [`ModelError::MissingBase`].
pub(super) fn base<'a>(input: &MergeInput<'a>, method: &str) -> Result<&'a [f32], ModelError> {
    input
        .base
        .ok_or_else(|| ModelError::MissingBase(method.to_string()))
}

/// Per-model number `name` for every model: required when `default` is
/// `None` (mergekit declares no default), else defaulted.
pub(super) fn per_model(
    input: &MergeInput<'_>,
    name: &str,
    default: Option<f64>,
) -> Result<Vec<f64>, ModelError> {
    (0..input.models.len())
        .map(|i| {
            let p = input.model_param(i);
            match default {
                Some(d) => p.num_or(name, d),
                None => p.num_req(name).map_err(|_| ModelError::BadParam {
                    name: name.to_string(),
                    detail: alloc::format!("is required for model {i} (a finite number)"),
                }),
            }
        })
        .collect()
}

/// Exactly `n` models besides the base.
pub(super) fn exactly(input: &MergeInput<'_>, method: &str, n: usize) -> Result<(), ModelError> {
    if input.models.len() != n {
        return Err(ModelError::BadParam {
            name: "models".to_string(),
            detail: alloc::format!(
                "method \"{method}\" takes exactly {n} model(s) besides the base, got {}",
                input.models.len()
            ),
        });
    }
    Ok(())
}

/// Sum of `x` accumulated in f64, rounded once to f32 (torch's f32
/// reductions are within a few ulps of this correctly rounded value).
pub(super) fn sum(x: impl Iterator<Item = f32>) -> f32 {
    x.map(f64::from).sum::<f64>() as f32
}

/// Euclidean norm of `x`, accumulated in f64, rounded to f32.
pub(super) fn norm(x: &[f32]) -> f32 {
    libm::sqrt(x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>()) as f32
}

/// Dot product of `a` and `b`, accumulated in f64, rounded to f32.
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum::<f64>() as f32
}
