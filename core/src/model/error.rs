//! [`ModelError`]: every way a model merge can refuse its input.

use alloc::string::String;

/// Errors of the model layer; each renders as one line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// No method of this name in the registry asked for.
    #[error("unknown merge method \"{0}\"")]
    UnknownMethod(String),
    /// The method needs a base model and none was given.
    #[error("method \"{0}\" needs a base model")]
    MissingBase(String),
    /// Fewer contributions than the method needs.
    #[error("method \"{method}\" needs at least {need} model(s), got {got}")]
    TooFewModels {
        /// Method name.
        method: String,
        /// Minimum number of models.
        need: usize,
        /// Number given.
        got: usize,
    },
    /// Tensor lengths or shapes disagree.
    #[error("tensor \"{tensor}\": shape mismatch: {detail}")]
    ShapeMismatch {
        /// Tensor name.
        tensor: String,
        /// What differs.
        detail: String,
    },
    /// NaN or infinity in an input the method cannot handle.
    #[error("tensor \"{tensor}\": non-finite value (NaN or Inf) in {which}")]
    NonFinite {
        /// Tensor name.
        tensor: String,
        /// Which input ("model 2", "base").
        which: String,
    },
    /// A parameter is missing, of the wrong kind or out of range.
    #[error("parameter \"{name}\": {detail}")]
    BadParam {
        /// Parameter name.
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// Malformed serialized state (JSON or wire payload).
    #[error("bad model merge state: {0}")]
    BadState(String),
}
