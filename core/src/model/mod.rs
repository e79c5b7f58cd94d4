//! The model-weights layer: `CRDTMergeState` (an add-wins OR-Set of
//! contributions with content hashes), tensor dtypes, the counter-based RNG
//! and every merge strategy as a pure function on CPU.
//!
//! - [`error`]: [`ModelError`], the one error enum of this layer.
//! - [`params`]: [`Params`], named method parameters (numbers, flags, strings, lists).
//! - [`kernels`]: the validated `f64` view of an input and shared numeric kernels.
//! - [`linalg`]: thin SVD by one-sided Jacobi rotations.
//! - [`rng`]: Philox4x32-10 counter-based RNG keyed by (seed, tensor name).
//! - [`strategy`]: [`Method`] descriptors and the two registries,
//!   [`strategy::reference_methods`] (the reference's 26 names) and
//!   [`strategy::mergekit_methods`] (mergekit's names and parameters).
//!
//! A strategy sees one tensor at a time through [`MergeInput`]: the flat
//! `f32` data of every contribution in canonical order, the optional base,
//! per-model parameters, global parameters and a seed. File formats, dtype
//! conversion and scheduling over tensors live outside (io crate, CLI).

pub mod error;
pub mod kernels;
pub mod linalg;
pub mod mergekit;
pub mod params;
pub mod rng;
pub mod strategy;

pub use error::ModelError;
pub use params::{ParamValue, Params};
pub use strategy::{BaseUse, MergeInput, Method};
