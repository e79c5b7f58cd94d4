//! mergekit's sparsification of task vectors (`mergekit/sparsify.py`):
//! `magnitude` (keep the largest), `magnitude_outliers` (drop the largest
//! `gamma` share, then keep the next largest), Bernoulli `random` (DARE) and
//! `della_magprune` (keep probability rising with magnitude rank), each
//! optionally rescaled to the original L1 norm.
//!
//! Ties in magnitude are broken by flat index (lower index counts as
//! larger for `magnitude` and as smaller for `magnitude_outliers`), so the
//! selection is a total order and never depends on a sort's stability.
//! Random draws come from a caller-supplied uniform source `u(j)` in
//! `[0, 1)` keyed by element index; element `j` is kept when `u(j) < p_j`.

use alloc::vec::Vec;

use crate::model::kernels::for_chunks;

/// Which sparsification a task-arithmetic method applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sparsification {
    /// Keep the `density` share of largest magnitudes (TIES).
    Magnitude,
    /// Keep each element with probability `density` (DARE).
    Random,
    /// Drop the `gamma` share of largest magnitudes, keep the next `density` share (breadcrumbs).
    MagnitudeOutliers,
    /// Keep with probability `density - epsilon + 2 epsilon * rank_norm` (DELLA).
    DellaMagprune,
}

/// Scale `masked` so its L1 norm equals `orig_l1` (skipped when either
/// norm is below 1e-7, as mergekit does).
pub fn rescale_l1(masked: &mut [f32], orig_l1: f32) {
    let after = l1(masked);
    if orig_l1 < 1e-7 || after < 1e-7 {
        return;
    }
    let f = orig_l1 / after;
    masked.iter_mut().for_each(|x| *x *= f);
}

/// L1 norm, accumulated in f64.
pub fn l1(x: &[f32]) -> f32 {
    x.iter().map(|&v| f64::from(v.abs())).sum::<f64>() as f32
}

/// Sort keys of `x` by magnitude: `(|x| bits, index)`. For finite values
/// the bit pattern of `|x|` orders like the value, so plain integer
/// comparisons give the magnitude order with ties by index.
fn ascending_keys(x: &[f32]) -> Vec<(u32, usize)> {
    x.iter()
        .enumerate()
        .map(|(j, v)| (v.abs().to_bits(), j))
        .collect()
}

/// Zero every element whose index is not in `keep`.
fn keep_only(x: &mut [f32], keep: &[(u32, usize)]) {
    let mut mask = alloc::vec![false; x.len()];
    for &(_, j) in keep {
        mask[j] = true;
    }
    x.iter_mut().zip(&mask).for_each(|(v, &k)| {
        if !k {
            *v = 0.0
        }
    });
}

/// `magnitude`: keep `max(1, floor(density * n))` largest entries (none
/// when `density <= 0`, all when `density >= 1`).
pub fn magnitude(x: &mut [f32], density: f64, rescale: bool) {
    if density >= 1.0 {
        return;
    }
    if density <= 0.0 || x.is_empty() {
        x.fill(0.0);
        return;
    }
    let k = ((density * x.len() as f64) as usize).max(1).min(x.len());
    let before = l1(x);
    // Largest first, ties by lower index: descending magnitude bits, ascending index.
    let mut keys: Vec<(u32, usize)> = x
        .iter()
        .enumerate()
        .map(|(j, v)| (!v.abs().to_bits(), j))
        .collect();
    if k < keys.len() {
        keys.select_nth_unstable(k);
    }
    keep_only(x, &keys[..k]);
    if rescale {
        rescale_l1(x, before);
    }
}

/// `magnitude_outliers`: with `target = floor(density n)` and `top =
/// floor(gamma n)`, sort ascending and keep positions `[bot, bot + target)`
/// where `bot = max(0, n - target - top)`.
pub fn magnitude_outliers(x: &mut [f32], density: f64, gamma: f64, rescale: bool) {
    if density >= 1.0 {
        return;
    }
    let n = x.len();
    let target = if density > 0.0 {
        (density * n as f64) as usize
    } else {
        0
    };
    let top = if gamma > 0.0 {
        (gamma * n as f64) as usize
    } else {
        0
    };
    let bot = n.saturating_sub(target + top);
    let before = l1(x);
    // Ascending by magnitude, ties by index; keep ranks [bot, bot + target).
    let mut keys = ascending_keys(x);
    if bot > 0 && bot < n {
        keys.select_nth_unstable(bot);
    }
    let rest = &mut keys[bot.min(n)..];
    let take = target.min(rest.len());
    if take < rest.len() {
        rest.select_nth_unstable(take);
    }
    keep_only(x, &rest[..take]);
    if rescale {
        rescale_l1(x, before);
    }
}

/// Bernoulli `random` (DARE): keep element `j` when `u(j) < density`.
pub fn random<U: Fn(usize) -> f64 + Sync>(x: &mut [f32], density: f64, rescale: bool, u: U) {
    if density >= 1.0 {
        return;
    }
    let p = f64::from(density as f32);
    let before = l1(x);
    for_chunks(x, |start, chunk| {
        for (j, v) in chunk.iter_mut().enumerate() {
            if u(start + j) >= p {
                *v = 0.0;
            }
        }
    });
    if rescale {
        rescale_l1(x, before);
    }
}

/// Keep probabilities of `della_magprune` for a tensor of `shape`: ranks
/// by magnitude along axis 1 (a 1-D tensor is one row), normalized to
/// `[0, 1]`, mapped to `density - epsilon + 2 epsilon * rank_norm`. A lane
/// of one element gets `rank_norm = 0.5` (mergekit divides 0 by 0 there).
pub fn della_probs(x: &[f32], shape: &[usize], density: f64, epsilon: f64) -> Vec<f32> {
    let (outer, len, inner) = match shape.len() {
        0 => (1, x.len(), 1),
        1 => (1, shape[0], 1),
        _ => (shape[0], shape[1], shape[2..].iter().product()),
    };
    let lo = (density - epsilon) as f32;
    let mut probs = alloc::vec![0f32; x.len()];
    let mut lane: Vec<usize> = Vec::with_capacity(len);
    for o in 0..outer {
        for i in 0..inner {
            lane.clear();
            lane.extend((0..len).map(|j| o * len * inner + j * inner + i));
            lane.sort_unstable_by_key(|&a| (x[a].abs().to_bits(), a));
            for (r, &j) in lane.iter().enumerate() {
                let norm = if len > 1 {
                    (r as f32) / ((len - 1) as f32)
                } else {
                    0.5
                };
                probs[j] = lo + norm * 2.0 * epsilon as f32;
            }
        }
    }
    probs
}

/// `della_magprune`: keep element `j` when `u(j) < probs[j]` (see
/// [`della_probs`]); none when `density <= 0`, all when `density >= 1`.
pub fn della_magprune<U: Fn(usize) -> f64 + Sync>(
    x: &mut [f32],
    shape: &[usize],
    density: f64,
    epsilon: f64,
    rescale: bool,
    u: U,
) {
    if density >= 1.0 {
        return;
    }
    if density <= 0.0 {
        x.fill(0.0);
        return;
    }
    let probs = della_probs(x, shape, density, epsilon);
    let before = l1(x);
    for_chunks(x, |start, chunk| {
        for (j, v) in chunk.iter_mut().enumerate() {
            if u(start + j) >= f64::from(probs[start + j]) {
                *v = 0.0;
            }
        }
    });
    if rescale {
        rescale_l1(x, before);
    }
}
