//! Merge methods: one [`Method`] descriptor per name, in two registries.
//!
//! [`reference_methods`] holds the 26 strategies the reference registers
//! (`crdt_merge.model.strategies`), under its names and parameter names;
//! [`mergekit_methods`] holds mergekit's methods under mergekit's names and
//! parameters (`linear` there is not the reference's `linear`). A method is
//! a pure, deterministic function of its [`MergeInput`]: contributions come
//! in canonical order, randomness comes from the counter-based RNG keyed by
//! (seed, tensor name, element index), so the result never depends on the
//! thread count or the platform.

use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use super::error::ModelError;
use super::params::Params;

pub mod basic;
pub mod calibration;
pub mod continual;
pub mod evolutionary;
pub mod safety;
pub mod sparse;
pub mod spectral;
pub mod unlearning;
pub mod weighted;

/// How a method uses the base model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseUse {
    /// Ignored.
    Unused,
    /// Used when given (task vectors against it), else the method falls back.
    Optional,
    /// Required: an error without one.
    Required,
}

/// One tensor's worth of input to a method.
#[derive(Debug, Clone, Copy)]
pub struct MergeInput<'a> {
    /// Tensor name (keys the RNG, names errors).
    pub tensor: &'a str,
    /// Logical shape; `product(shape) == len` of every slice.
    pub shape: &'a [usize],
    /// Base model's tensor, when the method uses one.
    pub base: Option<&'a [f32]>,
    /// Contributions' tensors, in canonical order.
    pub models: &'a [&'a [f32]],
    /// Per-model parameters (`weight`, `density`, ...), aligned with `models`
    /// (may be shorter: missing entries are empty).
    pub model_params: &'a [Params],
    /// Method-wide parameters.
    pub params: &'a Params,
    /// Seed of randomized methods.
    pub seed: u64,
}

impl MergeInput<'_> {
    /// Number of elements of the tensor.
    /// (Saturates at `usize::MAX` on overflow, which no slice matches.)
    pub fn len(&self) -> usize {
        self.shape
            .iter()
            .try_fold(1usize, |a, &b| a.checked_mul(b))
            .unwrap_or(usize::MAX)
    }
    /// True for a zero-element tensor.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Parameters of model `i` (empty when not given).
    pub fn model_param(&self, i: usize) -> &Params {
        static EMPTY: Params = Params::EMPTY;
        self.model_params.get(i).unwrap_or(&EMPTY)
    }
    /// Check lengths of every slice against the shape.
    pub fn check_shapes(&self) -> Result<(), ModelError> {
        let n = self.len();
        let bad = |which: &str, got: usize| ModelError::ShapeMismatch {
            tensor: self.tensor.to_string(),
            detail: alloc::format!(
                "{which} has {got} elements, shape {:?} needs {n}",
                self.shape
            ),
        };
        for (i, m) in self.models.iter().enumerate() {
            if m.len() != n {
                return Err(bad(&alloc::format!("model {i}"), m.len()));
            }
        }
        if let Some(b) = self.base {
            if b.len() != n {
                return Err(bad("base", b.len()));
            }
        }
        Ok(())
    }
}

/// Signature of a method: fill `out` (length `input.len()`).
pub type MergeFn = fn(&MergeInput<'_>, &mut [f32]) -> Result<(), ModelError>;

/// A registered method.
#[derive(Debug, Clone, Copy)]
pub struct Method {
    /// Name as users write it.
    pub name: &'static str,
    /// How the base model is used.
    pub base: BaseUse,
    /// Minimum number of contributions (besides the base).
    pub min_models: usize,
    /// True when the method draws random numbers (DARE, DELLA, ...).
    pub randomized: bool,
    /// The function.
    pub merge: MergeFn,
}

impl Method {
    /// Validate the input against this method's needs and merge into `out`.
    pub fn merge_into(&self, input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
        input.check_shapes()?;
        if out.len() != input.len() {
            return Err(ModelError::ShapeMismatch {
                tensor: input.tensor.to_string(),
                detail: alloc::format!("output has {} elements, needs {}", out.len(), input.len()),
            });
        }
        if self.base == BaseUse::Required && input.base.is_none() {
            return Err(ModelError::MissingBase(self.name.to_string()));
        }
        if input.models.len() < self.min_models {
            return Err(ModelError::TooFewModels {
                method: self.name.to_string(),
                need: self.min_models,
                got: input.models.len(),
            });
        }
        if input.is_empty() {
            return Ok(());
        }
        (self.merge)(input, out)
    }
    /// [`Method::merge_into`] a new vector.
    pub fn merge_vec(&self, input: &MergeInput<'_>) -> Result<Vec<f32>, ModelError> {
        let mut out = vec![0f32; input.len()];
        self.merge_into(input, &mut out)?;
        Ok(out)
    }
}

/// The reference's 26 registered strategies, under its names. `randomized`
/// marks the ones the reference seeds (`STOCHASTIC`); `model_breadcrumbs`
/// and `split_unlearn_merge` also draw from the RNG in their `random` modes.
pub fn reference_methods() -> &'static [Method] {
    REFERENCE
}

static REFERENCE: &[Method] = &[
    Method {
        name: "weight_average",
        base: BaseUse::Unused,
        min_models: 1,
        randomized: false,
        merge: basic::weight_average,
    },
    Method {
        name: "linear",
        base: BaseUse::Unused,
        min_models: 1,
        randomized: false,
        merge: basic::linear,
    },
    Method {
        name: "slerp",
        base: BaseUse::Unused,
        min_models: 1,
        randomized: false,
        merge: basic::slerp,
    },
    Method {
        name: "task_arithmetic",
        base: BaseUse::Required,
        min_models: 1,
        randomized: false,
        merge: basic::task_arithmetic,
    },
    Method {
        name: "ties",
        base: BaseUse::Required,
        min_models: 1,
        randomized: false,
        merge: sparse::ties,
    },
    Method {
        name: "dare",
        base: BaseUse::Required,
        min_models: 1,
        randomized: true,
        merge: sparse::dare,
    },
    Method {
        name: "dare_ties",
        base: BaseUse::Required,
        min_models: 1,
        randomized: true,
        merge: sparse::dare_ties,
    },
    Method {
        name: "della",
        base: BaseUse::Required,
        min_models: 1,
        randomized: true,
        merge: sparse::della,
    },
    Method {
        name: "model_breadcrumbs",
        base: BaseUse::Required,
        min_models: 1,
        randomized: false,
        merge: sparse::model_breadcrumbs,
    },
    Method {
        name: "emr",
        base: BaseUse::Required,
        min_models: 1,
        randomized: false,
        merge: sparse::emr,
    },
    Method {
        name: "star",
        base: BaseUse::Required,
        min_models: 1,
        randomized: false,
        merge: spectral::star,
    },
    Method {
        name: "svd_knot_tying",
        base: BaseUse::Required,
        min_models: 1,
        randomized: false,
        merge: spectral::svd_knot_tying,
    },
    Method {
        name: "adarank",
        base: BaseUse::Required,
        min_models: 1,
        randomized: false,
        merge: spectral::adarank,
    },
    Method {
        name: "fisher_merge",
        base: BaseUse::Unused,
        min_models: 1,
        randomized: false,
        merge: weighted::fisher_merge,
    },
    Method {
        name: "regression_mean",
        base: BaseUse::Unused,
        min_models: 1,
        randomized: false,
        merge: weighted::regression_mean,
    },
    Method {
        name: "ada_merging",
        base: BaseUse::Unused,
        min_models: 1,
        randomized: false,
        merge: weighted::ada_merging,
    },
    Method {
        name: "dam",
        base: BaseUse::Unused,
        min_models: 1,
        randomized: false,
        merge: weighted::dam,
    },
    Method {
        name: "evolutionary_merge",
        base: BaseUse::Unused,
        min_models: 1,
        randomized: true,
        merge: evolutionary::evolutionary_merge,
    },
    Method {
        name: "genetic_merge",
        base: BaseUse::Unused,
        min_models: 1,
        randomized: true,
        merge: evolutionary::genetic_merge,
    },
    Method {
        name: "negative_merge",
        base: BaseUse::Required,
        min_models: 1,
        randomized: false,
        merge: unlearning::negative_merge,
    },
    Method {
        name: "split_unlearn_merge",
        base: BaseUse::Required,
        min_models: 1,
        randomized: false,
        merge: unlearning::split_unlearn_merge,
    },
    Method {
        name: "weight_scope_alignment",
        base: BaseUse::Optional,
        min_models: 1,
        randomized: false,
        merge: calibration::weight_scope_alignment,
    },
    Method {
        name: "representation_surgery",
        base: BaseUse::Unused,
        min_models: 1,
        randomized: false,
        merge: calibration::representation_surgery,
    },
    Method {
        name: "safe_merge",
        base: BaseUse::Required,
        min_models: 1,
        randomized: false,
        merge: safety::safe_merge,
    },
    Method {
        name: "led_merge",
        base: BaseUse::Unused,
        min_models: 1,
        randomized: false,
        merge: safety::led_merge,
    },
    Method {
        name: "dual_projection",
        base: BaseUse::Optional,
        min_models: 1,
        randomized: false,
        merge: continual::dual_projection,
    },
];

/// mergekit's methods under mergekit's names (filled in by the mergekit module).
pub fn mergekit_methods() -> &'static [Method] {
    super::mergekit::METHODS
}

/// Look a method up by name in one registry.
pub fn find(registry: &'static [Method], name: &str) -> Result<&'static Method, ModelError> {
    registry
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| ModelError::UnknownMethod(name.to_string()))
}
