//! Model files for the model-weights layer: safetensors checkpoints (single
//! file or shards) read by memory map and written as a stream, Hugging Face
//! cache lookup, mergekit YAML configs, the pipeline file
//! ([`schema::ModelMergeSchema`]), the per-tensor planner, the merge engine
//! and model cards.
//!
//! - [`error`]: [`ModelIoError`], the one error enum of this layer.
//! - [`safetensors`]: one safetensors file (read, lay out, dtype conversion).

pub mod error;
pub mod safetensors;

pub use error::ModelIoError;
pub mod card;
pub mod checkpoint;
pub mod engine;
pub mod mergekit;
pub mod plan;
pub mod schema;
