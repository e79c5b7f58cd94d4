//! Spectral task-vector strategies: `star`, `svd_knot_tying`, `adarank`.
//!
//! A tensor is "1-D" when it has one axis or any axis of length 1 (then
//! entries are ranked by magnitude); otherwise it is viewed as a
//! `shape[0] × rest` matrix and decomposed with [`crate::model::linalg::svd`].

use alloc::vec;
use alloc::vec::Vec;

use crate::model::error::ModelError;
use crate::model::kernels::{choice, copy_first, kth_largest, prepare, store, weighted_sum};
use crate::model::linalg::svd;
use crate::model::params::ParamValue;
use crate::model::strategy::MergeInput;

/// `(rows, cols)` of the matrix view, or `None` for a 1-D tensor.
fn matrix_view(shape: &[usize]) -> Option<(usize, usize)> {
    if shape.len() <= 1 || shape.contains(&1) {
        return None;
    }
    let rows = shape[0];
    let cols = shape[1..].iter().product();
    Some((rows, cols))
}

fn add_base(base: &[f64], delta: &[f64]) -> Vec<f64> {
    base.iter().zip(delta).map(|(b, x)| b + x).collect()
}

fn mask_at_least(tv: &[f64], th: f64) -> Vec<f64> {
    tv.iter()
        .map(|&x| if x.abs() >= th { x } else { 0.0 })
        .collect()
}

/// First index whose value reaches `v` in a non-decreasing sequence
/// (numpy's `searchsorted(..., side="left")`).
fn searchsorted(cum: &[f64], v: f64) -> usize {
    cum.iter().position(|&c| c >= v).unwrap_or(cum.len())
}

/// STAR: keep the top `rank_fraction` (default 0.5) of singular values (or
/// magnitudes for 1-D tensors), rescaled to the original energy when
/// `rescale_method` is `energy` (default; `none` disables).
pub fn star(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let rf = input.params.num_in("rank_fraction", 0.5, 0.0, 1.0)?;
    let energy = choice(
        input.params,
        "rescale_method",
        "energy",
        &["energy", "none"],
    )? == "energy";
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let tvs = p.task_vectors("star")?;
    let truncated: Vec<Vec<f64>> = match matrix_view(input.shape) {
        None => tvs
            .iter()
            .map(|tv| {
                let abs: Vec<f64> = tv.iter().map(|x| x.abs()).collect();
                if abs.iter().all(|&x| x == 0.0) {
                    return tv.clone();
                }
                let k = ((tv.len() as f64 * rf) as usize).max(1);
                let mut t = mask_at_least(tv, kth_largest(&abs, k));
                if energy {
                    let o: f64 = tv.iter().map(|x| x * x).sum();
                    let e: f64 = t.iter().map(|x| x * x).sum();
                    if e > 0.0 {
                        let f = libm::sqrt(o / e);
                        t.iter_mut().for_each(|x| *x *= f);
                    }
                }
                t
            })
            .collect(),
        Some((r, c)) => tvs
            .iter()
            .map(|tv| {
                let s = svd(tv, r, c);
                let k = ((s.s.len() as f64 * rf) as usize).max(1);
                let mut w: Vec<f64> =
                    s.s.iter()
                        .enumerate()
                        .map(|(j, &x)| if j < k { x } else { 0.0 })
                        .collect();
                if energy {
                    let o: f64 = s.s.iter().map(|x| x * x).sum();
                    let e: f64 = w.iter().map(|x| x * x).sum();
                    if e > 0.0 {
                        let f = libm::sqrt(o / e);
                        w.iter_mut().for_each(|x| *x *= f);
                    }
                }
                s.reconstruct(&w)
            })
            .collect(),
    };
    store(
        out,
        &add_base(p.base("star")?, &weighted_sum(&p.weights, &truncated, p.d)),
    );
    Ok(())
}

/// `target_rank`: `"auto"` (90% energy) or a count.
fn target_rank(input: &MergeInput<'_>) -> Result<Option<usize>, ModelError> {
    match input.params.get("target_rank") {
        None => Ok(None),
        Some(ParamValue::Str(s)) if s == "auto" => Ok(None),
        Some(ParamValue::Num(v)) if v.is_finite() && *v >= 0.0 => Ok(Some(*v as usize)),
        Some(_) => Err(ModelError::BadParam {
            name: "target_rank".into(),
            detail: "must be \"auto\" or a non-negative number".into(),
        }),
    }
}

/// AdaRank: keep the smallest rank (or count of largest magnitudes for 1-D
/// tensors) holding 90% of the energy (`target_rank` `auto`), or
/// `target_rank` components.
pub fn adarank(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let tr = target_rank(input)?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let tvs = p.task_vectors("adarank")?;
    let pruned: Vec<Vec<f64>> = match matrix_view(input.shape) {
        None => tvs
            .iter()
            .map(|tv| {
                let abs: Vec<f64> = tv.iter().map(|x| x.abs()).collect();
                if abs.iter().all(|&x| x == 0.0) {
                    return tv.clone();
                }
                let len = tv.len();
                let k = match tr {
                    None => {
                        let mut sorted = abs.clone();
                        sorted.sort_by(|a, b| b.total_cmp(a));
                        let mut cum = Vec::with_capacity(len);
                        let mut acc = 0.0;
                        for x in &sorted {
                            acc += x * x;
                            cum.push(acc);
                        }
                        (searchsorted(&cum, 0.9 * acc) + 1).min(len)
                    }
                    Some(k) => k.min(len),
                };
                // k == 0 indexes the smallest magnitude, as Python's [-1] does.
                let th = if k == 0 {
                    kth_largest(&abs, len)
                } else {
                    kth_largest(&abs, k)
                };
                mask_at_least(tv, th)
            })
            .collect(),
        Some((r, c)) => tvs
            .iter()
            .map(|tv| {
                let s = svd(tv, r, c);
                let total: f64 = s.s.iter().map(|x| x * x).sum();
                let k = match tr {
                    None => {
                        if total == 0.0 {
                            return tv.clone();
                        }
                        let mut acc = 0.0;
                        let cum: Vec<f64> =
                            s.s.iter()
                                .map(|x| {
                                    acc += x * x;
                                    acc / total
                                })
                                .collect();
                        (searchsorted(&cum, 0.9) + 1).min(s.s.len())
                    }
                    Some(k) => k.min(s.s.len()),
                };
                let w: Vec<f64> =
                    s.s.iter()
                        .enumerate()
                        .map(|(j, &x)| if j < k { x } else { 0.0 })
                        .collect();
                s.reconstruct(&w)
            })
            .collect(),
    };
    store(
        out,
        &add_base(p.base("adarank")?, &weighted_sum(&p.weights, &pruned, p.d)),
    );
    Ok(())
}

/// SVD knot tying: decompose each task vector (rank `rank`, default full),
/// rotate every left basis onto the first model's by orthogonal Procrustes
/// (`alignment_method` `procrustes`; `none` skips it), recompose, weighted
/// sum added to the base. 1-D tensors: plain weighted task-vector sum.
pub fn svd_knot_tying(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let method = choice(
        input.params,
        "alignment_method",
        "procrustes",
        &["procrustes", "none"],
    )?;
    let rank = match input.params.get("rank") {
        None => None,
        Some(_) => Some(input.params.num_in("rank", 0.0, 0.0, 1e9)? as usize),
    };
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let tvs = p.task_vectors("svd_knot_tying")?;
    let Some((m, c)) = matrix_view(input.shape) else {
        store(
            out,
            &add_base(
                p.base("svd_knot_tying")?,
                &weighted_sum(&p.weights, &tvs, p.d),
            ),
        );
        return Ok(());
    };
    let decomps: Vec<_> = tvs
        .iter()
        .map(|tv| {
            let mut s = svd(tv, m, c);
            let r = rank.unwrap_or(s.s.len()).min(s.s.len());
            s.u.truncate(r);
            s.s.truncate(r);
            s.v.truncate(r);
            s
        })
        .collect();
    let refd = &decomps[0];
    let mut mats = Vec::with_capacity(decomps.len());
    for (idx, di) in decomps.iter().enumerate() {
        if method != "procrustes" || idx == 0 {
            mats.push(di.reconstruct(&di.s));
            continue;
        }
        let mc = refd.s.len().min(di.s.len());
        // M = U_iᵀ U_ref (mc × mc), row-major.
        let mut mm = vec![0.0; mc * mc];
        for a in 0..mc {
            for b in 0..mc {
                mm[a * mc + b] = di.u[a].iter().zip(&refd.u[b]).map(|(x, y)| x * y).sum();
            }
        }
        let ms = svd(&mm, mc, mc);
        // R = Um Vmᵀ; aligned column b = sum_a U_i[:, a] R[a][b].
        let mut mat = vec![0.0; m * c];
        for b in 0..mc {
            let mut col = vec![0.0; m];
            for a in 0..mc {
                let rab: f64 = (0..ms.s.len()).map(|q| ms.u[q][a] * ms.v[q][b]).sum();
                if rab != 0.0 {
                    for (o, x) in col.iter_mut().zip(&di.u[a]) {
                        *o += rab * x;
                    }
                }
            }
            let sb = di.s[b];
            for i in 0..m {
                let f = sb * col[i];
                if f != 0.0 {
                    for (o, y) in mat[i * c..(i + 1) * c].iter_mut().zip(&di.v[b]) {
                        *o += f * y;
                    }
                }
            }
        }
        mats.push(mat);
    }
    store(
        out,
        &add_base(
            p.base("svd_knot_tying")?,
            &weighted_sum(&p.weights, &mats, p.d),
        ),
    );
    Ok(())
}
