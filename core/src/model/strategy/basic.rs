//! The reference's basic strategies: `weight_average`, `linear`, `slerp`,
//! `task_arithmetic`.

use alloc::vec::Vec;

use crate::model::error::ModelError;
use crate::model::kernels::{
    check_finite, copy_first, model_weights, norm, prepare, store, stream,
};
use crate::model::strategy::MergeInput;

/// Weighted mean of the contributions (weights normalized).
pub fn weight_average(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    check_finite(input)?;
    let w = model_weights(input)?;
    stream(out, |start, acc| {
        for (c, m) in w.iter().zip(input.models) {
            for (a, x) in acc.iter_mut().zip(&m[start..]) {
                *a += c * *x as f64;
            }
        }
    });
    Ok(())
}

/// Left fold of `(1 - t) a + t b` over the contributions (`t`, default 0.5).
pub fn linear(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let t = input.params.num_or("t", 0.5)?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    check_finite(input)?;
    stream(out, |start, acc| {
        for (a, x) in acc.iter_mut().zip(&input.models[0][start..]) {
            *a = *x as f64;
        }
        for m in &input.models[1..] {
            for (a, b) in acc.iter_mut().zip(&m[start..]) {
                *a = (1.0 - t) * *a + t * *b as f64;
            }
        }
    });
    Ok(())
}

/// Left fold of spherical interpolation of whole tensors (`t`, default 0.5):
/// direction by slerp of the unit vectors, magnitude by lerp of the norms.
pub fn slerp(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let t = input.params.num_or("t", 0.5)?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let mut acc = p.models[0].clone();
    for m in &p.models[1..] {
        acc = slerp_pair(&acc, m, t);
    }
    store(out, &acc);
    Ok(())
}

fn slerp_pair(a: &[f64], b: &[f64], t: f64) -> Vec<f64> {
    let (na, nb) = (norm(a), norm(b));
    if na < 1e-12 && nb < 1e-12 {
        return alloc::vec![0.0; a.len()];
    }
    if na < 1e-12 {
        return b.iter().map(|x| x * t).collect();
    }
    if nb < 1e-12 {
        return a.iter().map(|x| x * (1.0 - t)).collect();
    }
    let dot: f64 = a.iter().zip(b).map(|(x, y)| (x / na) * (y / nb)).sum();
    let omega = libm::acos(dot.clamp(-1.0, 1.0));
    if omega.abs() < 1e-8 {
        return a
            .iter()
            .zip(b)
            .map(|(x, y)| (1.0 - t) * x + t * y)
            .collect();
    }
    let so = libm::sin(omega);
    let ca = libm::sin((1.0 - t) * omega) / so;
    let cb = libm::sin(t * omega) / so;
    let mag = (1.0 - t) * na + t * nb;
    a.iter()
        .zip(b)
        .map(|(x, y)| (ca * (x / na) + cb * (y / nb)) * mag)
        .collect()
}

/// `base + sum_i s_i (model_i - base)` with `scaling_coefficients` (default
/// all 1; model weights are not used, as in the reference).
pub fn task_arithmetic(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    check_finite(input)?;
    let base = input
        .base
        .ok_or_else(|| ModelError::MissingBase("task_arithmetic".into()))?;
    let n = input.models.len();
    let scaling = match input.params.list_or("scaling_coefficients")? {
        None => alloc::vec![1.0; n],
        Some(s) if s.len() == n && s.iter().all(|x| x.is_finite()) => s,
        Some(s) => {
            return Err(ModelError::BadParam {
                name: "scaling_coefficients".into(),
                detail: alloc::format!("needs {n} finite numbers, got {}", s.len()),
            })
        }
    };
    stream(out, |start, acc| {
        let b = &base[start..];
        for (a, x) in acc.iter_mut().zip(b) {
            *a = *x as f64;
        }
        for (s, m) in scaling.iter().zip(input.models) {
            for ((a, x), y) in acc.iter_mut().zip(&m[start..]).zip(b) {
                *a += s * (*x as f64 - *y as f64);
            }
        }
    });
    Ok(())
}
