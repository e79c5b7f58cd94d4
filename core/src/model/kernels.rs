//! Numeric kernels the strategies share: the validated `f64` view of a
//! [`MergeInput`] (finite checks, normalized weights), weighted sums,
//! numpy-compatible percentiles and summary statistics.
//!
//! Every strategy computes in `f64` like the reference (which upcasts to
//! float64) and rounds to `f32` once at the end. Reductions run in a fixed
//! order (element order, models in canonical order), so results never
//! depend on scheduling.

use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use super::error::ModelError;
use super::params::Params;
use super::strategy::MergeInput;

/// A validated input in `f64`.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Number of elements.
    pub d: usize,
    /// Contributions, in canonical order.
    pub models: Vec<Vec<f64>>,
    /// Base model when given.
    pub base: Option<Vec<f64>>,
    /// Per-model weights normalized to sum 1 (uniform when none are given).
    pub weights: Vec<f64>,
}

impl Prepared {
    /// Number of contributions.
    pub fn n(&self) -> usize {
        self.models.len()
    }
    /// The base, or an error naming the method.
    pub fn base(&self, method: &str) -> Result<&[f64], ModelError> {
        self.base
            .as_deref()
            .ok_or_else(|| ModelError::MissingBase(method.to_string()))
    }
    /// Task vectors `model - base`.
    pub fn task_vectors(&self, method: &str) -> Result<Vec<Vec<f64>>, ModelError> {
        let b = self.base(method)?;
        Ok(self
            .models
            .iter()
            .map(|m| m.iter().zip(b).map(|(x, y)| x - y).collect())
            .collect())
    }
}

/// Check every input is finite, convert to `f64` and normalize weights.
pub fn prepare(input: &MergeInput<'_>) -> Result<Prepared, ModelError> {
    let nonfinite = |which: alloc::string::String| ModelError::NonFinite {
        tensor: input.tensor.to_string(),
        which,
    };
    let mut models = Vec::with_capacity(input.models.len());
    for (i, m) in input.models.iter().enumerate() {
        if !m.iter().all(|x| x.is_finite()) {
            return Err(nonfinite(alloc::format!("model {i}")));
        }
        models.push(m.iter().map(|&x| x as f64).collect::<Vec<f64>>());
    }
    let base = match input.base {
        Some(b) => {
            if !b.iter().all(|x| x.is_finite()) {
                return Err(nonfinite("base".to_string()));
            }
            Some(b.iter().map(|&x| x as f64).collect())
        }
        None => None,
    };
    let weights = model_weights(input)?;
    Ok(Prepared {
        d: input.len(),
        models,
        base,
        weights,
    })
}

/// Per-model `weight` parameters normalized to sum 1; uniform when no model
/// has one (a missing weight beside given ones counts 1.0).
pub fn model_weights(input: &MergeInput<'_>) -> Result<Vec<f64>, ModelError> {
    let n = input.models.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let given = (0..n).any(|i| input.model_param(i).get("weight").is_some());
    if !given {
        return Ok(vec![1.0 / n as f64; n]);
    }
    let raw = (0..n)
        .map(|i| input.model_param(i).num_or("weight", 1.0))
        .collect::<Result<Vec<f64>, _>>()?;
    normalize(&raw)
}

/// Normalize weights to sum 1 (a zero sum is an error, as in the reference).
pub fn normalize(raw: &[f64]) -> Result<Vec<f64>, ModelError> {
    let total: f64 = raw.iter().sum();
    if total == 0.0 || !total.is_finite() {
        return Err(ModelError::BadParam {
            name: "weight".to_string(),
            detail: "weights must have a finite, non-zero sum".to_string(),
        });
    }
    Ok(raw.iter().map(|w| w / total).collect())
}

/// Elements per chunk of the element-parallel loops.
pub const CHUNK: usize = 1 << 14;

/// Run `f(start, chunk)` over consecutive `CHUNK`-sized chunks of `out`;
/// on rayon with the `parallel` feature. Each element is computed by the
/// same operations in the same order either way, so results are
/// bit-identical for any thread count.
pub fn for_chunks<T: Send>(out: &mut [T], f: impl Fn(usize, &mut [T]) + Sync + Send) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        if out.len() > CHUNK {
            out.par_chunks_mut(CHUNK)
                .enumerate()
                .for_each(|(i, c)| f(i * CHUNK, c));
            return;
        }
    }
    for (i, c) in out.chunks_mut(CHUNK).enumerate() {
        f(i * CHUNK, c);
    }
}

/// `sum_i c[i] * xs[i]`, element-wise (models accumulated in order).
pub fn weighted_sum(coeffs: &[f64], xs: &[Vec<f64>], d: usize) -> Vec<f64> {
    let mut out = vec![0.0; d];
    for_chunks(&mut out, |start, chunk| {
        for (c, x) in coeffs.iter().zip(xs) {
            for (o, v) in chunk.iter_mut().zip(&x[start..]) {
                *o += c * v;
            }
        }
    });
    out
}

/// Write `f64` values into the `f32` output, rounding to nearest.
pub fn store(out: &mut [f32], v: &[f64]) {
    for_chunks(out, |start, chunk| {
        for (o, x) in chunk.iter_mut().zip(&v[start..]) {
            *o = *x as f32;
        }
    });
}

/// Copy an `f32` slice to the output (the reference's "one model: return it").
pub fn copy_first(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let first = input
        .models
        .first()
        .ok_or_else(|| ModelError::TooFewModels {
            method: "merge".to_string(),
            need: 1,
            got: 0,
        })?;
    if !first.iter().all(|x| x.is_finite()) {
        return Err(ModelError::NonFinite {
            tensor: input.tensor.to_string(),
            which: "model 0".to_string(),
        });
    }
    out.copy_from_slice(first);
    Ok(())
}

/// numpy's `percentile(values, q)` with linear interpolation (q in 0..=100).
/// `values` is sorted in place. Empty input gives 0.
pub fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let virt = (q / 100.0) * (n - 1) as f64;
    let lo = libm::floor(virt).clamp(0.0, (n - 1) as f64);
    let i = lo as usize;
    let j = (i + 1).min(n - 1);
    let t = virt - lo;
    let (a, b) = (values[i], values[j]);
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// The `k`-th largest value (1-based, clamped to the length).
pub fn kth_largest(values: &[f64], k: usize) -> f64 {
    let mut s = values.to_vec();
    s.sort_by(|a, b| b.total_cmp(a));
    s[(k.max(1) - 1).min(s.len() - 1)]
}

/// Mean.
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter().sum::<f64>() / x.len() as f64
}

/// Population variance.
pub fn var(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / x.len() as f64
}

/// Population standard deviation.
pub fn std(x: &[f64]) -> f64 {
    libm::sqrt(var(x))
}

/// Euclidean norm.
pub fn norm(x: &[f64]) -> f64 {
    libm::sqrt(x.iter().map(|v| v * v).sum::<f64>())
}

/// Dot product.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Sign as numpy's `sign` (0 for 0).
pub fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// A count-like parameter (`steps`, `generations`) bounded to keep work finite.
pub fn count_param(p: &Params, name: &str, default: f64, max: f64) -> Result<usize, ModelError> {
    let v = p.num_in(name, default, 0.0, max)?;
    Ok(v as usize)
}

/// A fraction parameter in `[lo, hi]`.
pub fn frac_param(
    p: &Params,
    name: &str,
    default: f64,
    lo: f64,
    hi: f64,
) -> Result<f64, ModelError> {
    p.num_in(name, default, lo, hi)
}

/// A string parameter that must be one of `allowed`.
pub fn choice<'a>(
    p: &'a Params,
    name: &str,
    default: &'a str,
    allowed: &[&str],
) -> Result<&'a str, ModelError> {
    let v = p.str_or(name, default)?;
    if allowed.contains(&v) {
        Ok(v)
    } else {
        Err(ModelError::BadParam {
            name: name.to_string(),
            detail: alloc::format!("must be one of {allowed:?}, got {v:?}"),
        })
    }
}
