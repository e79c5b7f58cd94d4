//! mergekit `nearswap`: move the base towards the other model only where
//! they are already close (`weight = clamp(t / |a - b|, 0, 1)`).

use super::checks;
use crate::model::error::ModelError;
use crate::model::strategy::MergeInput;

/// `nearswap` with the required global `t`: per element
/// `w = clamp(t / max(|base - x|, 1e-6), 0, 1)`, result `w x + (1 - w) base`.
pub(super) fn nearswap(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let a = checks::base(input, "nearswap")?;
    checks::exactly(input, "nearswap", 1)?;
    checks::finite(input, out)?;
    let t = input.params.num_req("t")? as f32;
    let b = input.models[0];
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let d = (x - y).abs().max(1e-6);
        let w = (t / d).clamp(0.0, 1.0);
        *o = w * y + (1.0 - w) * x;
    }
    Ok(())
}
