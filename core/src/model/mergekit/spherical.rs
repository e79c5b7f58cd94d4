//! mergekit's spherical interpolations: `slerp` (base and one model, whole
//! tensor), `nuslerp` (two models, per row, column or whole tensor,
//! optionally on task vectors) and `multislerp` (any number of models,
//! barycentric on the hypersphere through a tangent space).

use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use super::checks::{self, norm};
use crate::model::error::ModelError;
use crate::model::strategy::MergeInput;

/// `slerp` with the required global `t` (0 gives the base, 1 the model):
/// spherical interpolation of the flattened tensors' directions with the
/// raw (unnormalized) tensors as end points; linear when the directions are
/// within `|cos| > 0.9995`.
pub(super) fn slerp(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let a = checks::base(input, "slerp")?;
    checks::exactly(input, "slerp", 1)?;
    checks::finite(input, out)?;
    let t = input.params.num_req("t")? as f32;
    let b = input.models[0];
    let (ca, cb) = slerp_coefficients(t, a, b);
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = ca * x + cb * y;
    }
    Ok(())
}

/// The two coefficients of [`slerp`] for end points `a`, `b`.
fn slerp_coefficients(t: f32, a: &[f32], b: &[f32]) -> (f32, f32) {
    const EPS: f32 = 1e-8;
    let na = norm(a);
    let nb = norm(b);
    let na = if na > EPS { f64::from(na) } else { 1.0 };
    let nb = if nb > EPS { f64::from(nb) } else { 1.0 };
    let raw: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) / na) * (f64::from(y) / nb))
        .sum();
    let d = (raw as f32).clamp(-1.0, 1.0);
    if d.abs() > 0.9995 {
        return (1.0 - t, t);
    }
    let theta = libm::acos(f64::from(d));
    let s = libm::sin(theta);
    let t = f64::from(t);
    (
        (libm::sin((1.0 - t) * theta) / s) as f32,
        (libm::sin(t * theta) / s) as f32,
    )
}

/// Lanes of a tensor along one axis: `outer * inner` vectors of `len`
/// elements, element `j` of lane `(o, i)` at `o * len * inner + j * inner + i`.
#[derive(Clone, Copy)]
pub(super) struct Lanes {
    pub(super) outer: usize,
    pub(super) len: usize,
    pub(super) inner: usize,
}

impl Lanes {
    /// Lanes along `axis` of `shape` (the whole tensor for an empty shape).
    pub(super) fn along(shape: &[usize], axis: usize) -> Lanes {
        if shape.is_empty() {
            return Lanes {
                outer: 1,
                len: 1,
                inner: 1,
            };
        }
        Lanes {
            outer: shape[..axis].iter().product(),
            len: shape[axis],
            inner: shape[axis + 1..].iter().product(),
        }
    }
    /// The whole tensor as one lane.
    pub(super) fn flat(n: usize) -> Lanes {
        Lanes {
            outer: 1,
            len: n,
            inner: 1,
        }
    }
    /// Flat indices of every lane, lane by lane.
    pub(super) fn for_each(&self, mut f: impl FnMut(&mut dyn Iterator<Item = usize>)) {
        let block = self.len * self.inner;
        for o in 0..self.outer {
            for i in 0..self.inner {
                let start = o * block + i;
                let step = self.inner.max(1);
                f(&mut (0..self.len).map(move |j| start + j * step));
            }
        }
    }
}

/// `nuslerp`: needs two models with per-model `weight`; `t = w1 / (w0 +
/// w1)` (0.5 when the sum is below 1e-6). With a base it interpolates the
/// task vectors and adds the base back. `nuslerp_flatten` (default true)
/// treats the tensor as one vector; otherwise `nuslerp_row_wise` picks
/// vectors along axis 0 (true) or the last axis (false, default).
pub(super) fn nuslerp(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    checks::exactly(input, "nuslerp", 2)?;
    checks::finite(input, out)?;
    let w = checks::per_model(input, "weight", None)?;
    let total = w[0] + w[1];
    let t = if total.abs() < 1e-6 {
        0.5
    } else {
        w[1] / total
    };
    let flatten = input.params.flag_or("nuslerp_flatten", true)?;
    let row_wise = input.params.flag_or("nuslerp_row_wise", false)?;
    let n = input.len();
    let (mut v0, mut v1) = (input.models[0].to_vec(), input.models[1].to_vec());
    if let Some(b) = input.base {
        v0.iter_mut().zip(b).for_each(|(x, &y)| *x -= y);
        v1.iter_mut().zip(b).for_each(|(x, &y)| *x -= y);
    }
    let lanes = if flatten || input.shape.len() < 2 {
        Lanes::flat(n)
    } else if row_wise {
        Lanes::along(input.shape, 0)
    } else {
        Lanes::along(input.shape, input.shape.len() - 1)
    };
    if lanes.inner == 1 {
        // Contiguous lanes: work on the slices in place.
        let len = lanes.len.max(1);
        for ((x, y), o) in v0.chunks(len).zip(v1.chunks(len)).zip(out.chunks_mut(len)) {
            nuslerp_lane(t, x, y, o);
        }
    } else {
        let (mut x, mut y, mut o) = (Vec::new(), Vec::new(), Vec::new());
        lanes.for_each(|idx| {
            let idx: Vec<usize> = idx.collect();
            x.clear();
            y.clear();
            x.extend(idx.iter().map(|&k| v0[k]));
            y.extend(idx.iter().map(|&k| v1[k]));
            o.clear();
            o.resize(idx.len(), 0.0);
            nuslerp_lane(t, &x, &y, &mut o);
            for (&k, &v) in idx.iter().zip(&o) {
                out[k] = v;
            }
        });
    }
    if let Some(b) = input.base {
        out.iter_mut().zip(b).for_each(|(o, &y)| *o += y);
    }
    Ok(())
}

/// One lane of [`nuslerp`]: interpolate `x` towards `y` by `t` into `o`.
fn nuslerp_lane(t: f64, x: &[f32], y: &[f32], o: &mut [f32]) {
    let t32 = t as f32;
    let nx = f64::from(norm(x).max(1e-7));
    let ny = f64::from(norm(y).max(1e-7));
    let c: f64 = x
        .iter()
        .zip(y)
        .map(|(&p, &q)| (f64::from(p) / nx) * (f64::from(q) / ny))
        .sum();
    let c = (c as f32).clamp(-1.0, 1.0);
    if 1.0 - c * c <= 1e-16 {
        for ((o, &p), &q) in o.iter_mut().zip(x).zip(y) {
            *o = (1.0 - t32) * p + t32 * q;
        }
    } else {
        let theta = libm::acos(f64::from(c));
        let s = libm::sin(theta);
        let ca = (libm::sin((1.0 - t) * theta) / s) as f32;
        let cb = (libm::sin(t * theta) / s) as f32;
        for ((o, &p), &q) in o.iter_mut().zip(x).zip(y) {
            *o = ca * p + cb * q;
        }
    }
}

/// `multislerp`: per-model `weight` (normalized to sum 1 when
/// `normalize_weights`, default true), optional base (task vectors),
/// `eps` (default 1e-8). One model returns that model unchanged.
pub(super) fn multislerp(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    checks::finite(input, out)?;
    let mut w: Vec<f32> = checks::per_model(input, "weight", None)?
        .iter()
        .map(|&w| w as f32)
        .collect();
    if input.models.len() == 1 {
        out.copy_from_slice(input.models[0]);
        return Ok(());
    }
    if input.params.flag_or("normalize_weights", true)? {
        let s = w.iter().fold(0f32, |a, &b| a + b);
        if s == 0.0 {
            return Err(ModelError::BadParam {
                name: "weight".to_string(),
                detail: "weights sum to zero and normalize_weights is on".to_string(),
            });
        }
        w.iter_mut().for_each(|x| *x /= s);
    }
    let eps = input.params.num_or("eps", 1e-8)? as f32;
    let n = input.len();
    let base = input.base;
    let tv = |i: usize, j: usize| input.models[i][j] - base.map_or(0.0, |b| b[j]);
    let norms: Vec<f32> = (0..input.models.len())
        .map(|i| libm::sqrt((0..n).map(|j| f64::from(tv(i, j)).powi(2)).sum::<f64>()) as f32)
        .collect();
    // Weighted mean of the unit task vectors, M = sum_i w_i tv_i / (|tv_i| + eps).
    let coef: Vec<f32> = w
        .iter()
        .zip(&norms)
        .map(|(&wi, &ni)| wi / (ni + eps))
        .collect();
    let mut mean = vec![0f32; n];
    for (j, m) in mean.iter_mut().enumerate() {
        for (i, &c) in coef.iter().enumerate() {
            *m += tv(i, j) * c;
        }
    }
    let mean_norm = norm(&mean);
    if mean_norm < eps {
        if input.models.len() == 2 {
            for (j, o) in out.iter_mut().enumerate() {
                *o = tv(0, j) * w[0] + tv(1, j) * w[1] + base.map_or(0.0, |b| b[j]);
            }
            return Ok(());
        }
        return Err(ModelError::BadParam {
            name: "weight".to_string(),
            detail: "the weighted sum of the unit task vectors is zero (antipodal inputs)"
                .to_string(),
        });
    }
    // mergekit projects the units onto the tangent space at m = M / |M| and
    // sums them with the same weights: T = M - (sum_i w_i u_i . m) m =
    // M - |M| m = 0, so the exponential map returns m * cos(eps) (its
    // output differs from this only by float rounding).
    let c = libm::cosf(eps);
    let avg_norm = checks::sum(norms.iter().zip(&w).map(|(&a, &b)| a * b));
    for (j, o) in out.iter_mut().enumerate() {
        *o = (mean[j] / mean_norm) * c * avg_norm + base.map_or(0.0, |b| b[j]);
    }
    Ok(())
}
