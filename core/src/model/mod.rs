//! The model-weights layer: `CRDTMergeState` (an add-wins OR-Set of
//! contributions with content hashes), tensor dtypes, the counter-based RNG
//! and every merge strategy as a pure function on CPU.
//!
//! - [`continual`]: [`continual::ContinualMerge`], the continual-merge engine with its convergence check.
//! - [`dtype`]: f32 / f16 / bf16 bytes in and out (round to nearest even).
//! - [`error`]: [`ModelError`], the one error enum of this layer.
//! - [`params`]: [`Params`], named method parameters (numbers, flags, strings, lists).
//! - [`kernels`]: the validated `f64` view of an input and shared numeric kernels.
//! - [`linalg`]: thin SVD by one-sided Jacobi rotations.
//! - [`rng`]: Philox4x32-10 counter-based RNG keyed by (seed, tensor name).
//! - [`state`]: [`state::CrdtMergeState`], the OR-Set of contributions (wire tag 0x63).
//! - [`strategy`]: [`Method`] descriptors and the two registries,
//!   [`strategy::reference_methods`] (the reference's 26 names) and
//!   [`strategy::mergekit_methods`] (mergekit's names and parameters).
//! - [`mergekit`]: mergekit's methods, one file per family.
//! - [`lora`], [`federated`], [`safety`], [`provenance`]: LoRA adapter
//!   merging, FedAvg/FedProx rounds, cross-model variance analysis and
//!   per-layer provenance.
//!
//! A strategy sees one tensor at a time through [`MergeInput`]: the flat
//! `f32` data of every contribution in canonical order, the optional base,
//! per-model parameters, global parameters and a seed. File formats, dtype
//! conversion and scheduling over tensors live outside (io crate, CLI).

pub mod continual;
pub mod dtype;
pub mod error;
pub mod federated;
pub mod kernels;
pub mod linalg;
pub mod lora;
pub mod mergekit;
pub mod params;
pub mod provenance;
pub mod rng;
pub mod safety;
pub mod state;
pub mod strategy;

pub use error::ModelError;
pub use params::{ParamValue, Params};
pub use strategy::{BaseUse, MergeInput, Method};
