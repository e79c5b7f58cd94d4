//! mergekit `karcher`: the weighted Riemannian (Karcher) mean of the
//! models' directions on the unit hypersphere, scaled by their mean norm.

use alloc::vec;
use alloc::vec::Vec;

use super::checks::{self, dot, norm};
use crate::model::error::ModelError;
use crate::model::strategy::MergeInput;

/// `karcher` with `max_iter` (default 10) and `tol` (default 1e-5); equal
/// weights over all models; the base is not used.
pub(super) fn karcher(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    checks::finite(input, out)?;
    let max_iter = input.params.num_in("max_iter", 10.0, 0.0, 1000.0)? as usize;
    let tol = input.params.num_or("tol", 1e-5)? as f32;
    let k = input.models.len();
    if k == 1 {
        out.copy_from_slice(input.models[0]);
        return Ok(());
    }
    let n = input.len();
    let alpha = 1.0 / k as f32;
    let norms: Vec<f32> = input.models.iter().map(|m| norm(m)).collect();
    let valid: Vec<usize> = (0..k).filter(|&i| norms[i] > tol).collect();
    if valid.is_empty() {
        out.fill(0.0);
        return Ok(());
    }
    let units: Vec<Vec<f32>> = valid
        .iter()
        .map(|&i| input.models[i].iter().map(|&x| x / norms[i]).collect())
        .collect();
    let a_sum = alpha * valid.len() as f32;
    let alphas: Vec<f32> = valid.iter().map(|_| alpha / a_sum).collect();
    let mut mean = vec![0f32; n];
    for (u, &a) in units.iter().zip(&alphas) {
        mean.iter_mut().zip(u).for_each(|(m, &x)| *m += a * x);
    }
    let mn = norm(&mean);
    if mn < tol {
        mean.copy_from_slice(&units[0]);
    } else {
        mean.iter_mut().for_each(|m| *m /= mn);
    }
    let mut tangent = vec![0f32; n];
    for _ in 0..max_iter {
        tangent.fill(0.0);
        for (u, &a) in units.iter().zip(&alphas) {
            let d = dot(&mean, u).clamp(-1.0, 1.0);
            let theta = libm::acosf(d);
            if theta < tol {
                continue;
            }
            let c = a * (theta / libm::sinf(theta));
            tangent
                .iter_mut()
                .zip(u.iter().zip(&mean))
                .for_each(|(t, (&x, &m))| *t += c * (x - d * m));
        }
        let tn = norm(&tangent);
        if tn < tol {
            break;
        }
        let (c, s) = (libm::cosf(tn), libm::sinf(tn));
        mean.iter_mut()
            .zip(&tangent)
            .for_each(|(m, &t)| *m = c * *m + s * (t / tn));
        let un = norm(&mean);
        if un > tol {
            mean.iter_mut().for_each(|m| *m /= un);
        }
    }
    let scale = checks::sum(norms.iter().map(|&nv| alpha * nv));
    out.iter_mut().zip(&mean).for_each(|(o, &m)| *o = scale * m);
    Ok(())
}
