//! mergekit's merge methods under mergekit's names and parameters
//! (mergekit 0.1.5, `mergekit/merge_methods/*.py`), one file per family:
//!
//! - [`linear`](self): `linear`, `passthrough`.
//! - `spherical`: `slerp`, `nuslerp`, `multislerp`.
//! - `karcher`: `karcher`.
//! - [`task_arithmetic`]: `task_arithmetic`, `ties`, `dare_ties`,
//!   `dare_linear`, `breadcrumbs`, `breadcrumbs_ties`, `della`,
//!   `della_linear`, built on [`sparsify`].
//! - `model_stock`, [`sce`], `nearswap`, `ram` (`ram`, `ramplus_tl`).
//!
//! Parameters: per-model ones (`weight`, `density`, `gamma`, `epsilon`,
//! `scale`) come from [`MergeInput::model_params`], method-wide ones
//! (`t`, `normalize`, `rescale`, `lambda`, `int8_mask`, `select_topk`, ...)
//! from [`MergeInput::params`]; names, defaults and required-ness follow
//! mergekit (wire-spec/model-mergekit.md lists them). Element-wise work is
//! done in `f32` like mergekit's CPU path; reductions (norms, dots, sums
//! over a tensor) accumulate in `f64` and round once. Every input must be
//! finite ([`ModelError::NonFinite`] otherwise).
//!
//! Randomized methods (`dare_*`, `della*`) draw their keep masks from the
//! model layer's counter-based RNG keyed by (seed, tensor name, element,
//! model index), so masks differ from torch's but never from run to run.

mod checks;
mod karcher;
mod linear;
mod model_stock;
mod nearswap;
mod ram;
pub mod sce;
pub mod sparsify;
mod spherical;
pub mod task_arithmetic;

use crate::model::error::ModelError;
use crate::model::rng::{Purpose, TensorRng};
use crate::model::strategy::{BaseUse, MergeInput, Method};
use sparsify::Sparsification;
use task_arithmetic::Family;

/// Family member descriptors of the generalized task arithmetic.
pub mod families {
    use super::{Family, Sparsification};
    /// `task_arithmetic`.
    pub const TASK_ARITHMETIC: Family = Family {
        name: "task_arithmetic",
        consensus: false,
        sparsify: None,
        normalize: false,
        rescale: false,
    };
    /// `ties`.
    pub const TIES: Family = Family {
        name: "ties",
        consensus: true,
        sparsify: Some(Sparsification::Magnitude),
        normalize: true,
        rescale: false,
    };
    /// `dare_ties`.
    pub const DARE_TIES: Family = Family {
        name: "dare_ties",
        consensus: true,
        sparsify: Some(Sparsification::Random),
        normalize: false,
        rescale: true,
    };
    /// `dare_linear`.
    pub const DARE_LINEAR: Family = Family {
        name: "dare_linear",
        consensus: false,
        sparsify: Some(Sparsification::Random),
        normalize: false,
        rescale: true,
    };
    /// `breadcrumbs`.
    pub const BREADCRUMBS: Family = Family {
        name: "breadcrumbs",
        consensus: false,
        sparsify: Some(Sparsification::MagnitudeOutliers),
        normalize: false,
        rescale: false,
    };
    /// `breadcrumbs_ties`.
    pub const BREADCRUMBS_TIES: Family = Family {
        name: "breadcrumbs_ties",
        consensus: true,
        sparsify: Some(Sparsification::MagnitudeOutliers),
        normalize: false,
        rescale: false,
    };
    /// `della`.
    pub const DELLA: Family = Family {
        name: "della",
        consensus: true,
        sparsify: Some(Sparsification::DellaMagprune),
        normalize: true,
        rescale: true,
    };
    /// `della_linear`.
    pub const DELLA_LINEAR: Family = Family {
        name: "della_linear",
        consensus: false,
        sparsify: Some(Sparsification::DellaMagprune),
        normalize: false,
        rescale: true,
    };
}

/// Deterministic members never draw: their draw source is constant.
fn no_draw(_: &MergeInput<'_>) -> impl Fn(usize, usize) -> f64 + Sync {
    |_, _| 0.0
}

/// The keep-mask draw of the random members: a uniform in `[0, 1)` for
/// (model index, element index) from the model layer's Philox RNG keyed
/// by (seed, tensor name), stream = model index, purpose = mask.
pub fn mask_draw(input: &MergeInput<'_>) -> impl Fn(usize, usize) -> f64 + Sync {
    let rng = TensorRng::new(input.seed, input.tensor);
    move |model: usize, j: usize| rng.uniform(j as u64, model as u32, Purpose::Mask)
}

macro_rules! gta {
    ($f:ident, $fam:expr, $draw:ident) => {
        fn $f(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
            task_arithmetic::merge(&$fam, input, out, $draw(input))
        }
    };
}
gta!(task_arithmetic_fn, families::TASK_ARITHMETIC, no_draw);
gta!(ties_fn, families::TIES, no_draw);
gta!(dare_ties_fn, families::DARE_TIES, mask_draw);
gta!(dare_linear_fn, families::DARE_LINEAR, mask_draw);
gta!(della_fn, families::DELLA, mask_draw);
gta!(della_linear_fn, families::DELLA_LINEAR, mask_draw);
gta!(breadcrumbs_fn, families::BREADCRUMBS, no_draw);
gta!(breadcrumbs_ties_fn, families::BREADCRUMBS_TIES, no_draw);

const fn m(
    name: &'static str,
    base: BaseUse,
    min_models: usize,
    randomized: bool,
    merge: crate::model::strategy::MergeFn,
) -> Method {
    Method {
        name,
        base,
        min_models,
        randomized,
        merge,
    }
}

/// Every mergekit method, in mergekit's registry order.
pub static METHODS: &[Method] = &[
    m(
        "multislerp",
        BaseUse::Optional,
        1,
        false,
        spherical::multislerp,
    ),
    m("nearswap", BaseUse::Required, 1, false, nearswap::nearswap),
    m("ram", BaseUse::Required, 0, false, ram::ram),
    m("ramplus_tl", BaseUse::Required, 0, false, ram::ramplus_tl),
    m("sce", BaseUse::Required, 0, false, sce::sce),
    m("linear", BaseUse::Unused, 1, false, linear::linear),
    m("slerp", BaseUse::Required, 1, false, spherical::slerp),
    m("nuslerp", BaseUse::Optional, 2, false, spherical::nuslerp),
    m(
        "passthrough",
        BaseUse::Unused,
        1,
        false,
        linear::passthrough,
    ),
    m(
        "model_stock",
        BaseUse::Required,
        2,
        false,
        model_stock::model_stock,
    ),
    m("karcher", BaseUse::Unused, 1, false, karcher::karcher),
    m(
        "task_arithmetic",
        BaseUse::Required,
        0,
        false,
        task_arithmetic_fn,
    ),
    m("ties", BaseUse::Required, 0, false, ties_fn),
    m("dare_ties", BaseUse::Required, 0, true, dare_ties_fn),
    m("dare_linear", BaseUse::Required, 0, true, dare_linear_fn),
    m("breadcrumbs", BaseUse::Required, 0, false, breadcrumbs_fn),
    m(
        "breadcrumbs_ties",
        BaseUse::Required,
        0,
        false,
        breadcrumbs_ties_fn,
    ),
    m("della", BaseUse::Required, 0, true, della_fn),
    m("della_linear", BaseUse::Required, 0, true, della_linear_fn),
];
